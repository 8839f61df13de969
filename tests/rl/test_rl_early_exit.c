/*
 * test_rl_early_exit.c - the agents' `early_exit` travels in their
 * checkpoints (policies/rl/pol_rl.c, section "rl.early_exit"):
 *   - a SAC agent trained with early_exit 0.3 on a trained model (mexit,
 *     real images, whose early exit the threshold takes) writes the
 *     section; loaded without the key it makes the same decisions, task for
 *     task, as with `early_exit: 0.3` given; `early_exit: 0` given
 *     overrides it (and changes what happens to the tasks, so the
 *     comparison can fail);
 *   - a checkpoint without the section (trained without early_exit, as
 *     every earlier checkpoint) has exactly the sections it had before and
 *     loads with early_exit 0;
 *   - a stored value out of 0..1 or a section of the wrong size is refused,
 *     naming the file and the section.
 * Resuming a training with it: tests/rl/test_rl_train.c.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fashion_skip.h"
#include "mdl_weights.h"
#include "pol.h"
#include "sim/sim_test_util.h"

#define TRAINED "tests/data/sim/trained.yaml"
#define SAC "policy={type: sac-discrete, hidden: 16, batch: 32, learning_starts: 100, " \
            "lr: 0.003, eval_every: 0}"

static char *tmp_path(char *buf, size_t cap, const char *what)
{
    snprintf(buf, cap, "/tmp/offsim-rlee-%ld-%s", (long)getpid(), what);
    return buf;
}

/* Train SAC for 300 decisions on TRAINED (extra: one more set or NULL);
 * the checkpoint at path. */
static void train_sac(const char *extra, const char *path)
{
    const char *sets[] = {SAC, extra};
    scn_scenario s;
    load_scenario_file(TRAINED, sets, extra ? 2 : 1, &s);
    pol_train t = {.max_steps = 300, .seed = 5};
    off_err err = {0};
    if (sim_train(&s, &t, t.seed, NULL, NULL, NULL, &err) != OFF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        fail();
    }
    assert_int_equal(pol_rl_save(&t, path, &err), OFF_OK);
    t.free_agent(t.agent);
    scn_free(&s);
}

/* what happened to each task of a run */
typedef struct trace {
    int32_t exit[4096], split[4096], bits[4096];
    double latency[4096];
    size_t n;
} trace;

static void on_task(void *ud, const res_task_row *row)
{
    trace *tr = ud;
    size_t i = (size_t)row->task_id;
    if (i < 4096) {
        tr->exit[i] = row->exit;
        tr->split[i] = row->split;
        tr->bits[i] = row->bits;
        tr->latency[i] = row->latency_s;
    }
    if (i + 1 > tr->n)
        tr->n = i + 1;
}

/* Run TRAINED with the checkpoint at path, sampling (greedy: false, so
 * that many actions are taken), and `extra` (may be NULL). */
static off_status run_ckpt(const char *path, const char *extra, trace *tr, off_err *err)
{
    char ck[300];
    snprintf(ck, sizeof ck, "policy.checkpoint=%s", path);
    const char *sets[] = {SAC, ck, "policy.greedy=false", extra};
    scn_scenario s;
    load_scenario_file(TRAINED, sets, extra ? 4 : 3, &s);
    memset(tr, 0, sizeof *tr);
    sim_world *w = NULL;
    res_summary sum;
    off_status st = sim_world_new(&w, &s, err);
    if (!st)
        st = sim_world_run(w, NULL, 0, on_task, tr, &sum, err);
    sim_world_free(w);
    scn_free(&s);
    return st;
}

static void must_run(const char *path, const char *extra, trace *tr)
{
    off_err err = {0};
    if (run_ckpt(path, extra, tr, &err) != OFF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        fail();
    }
    assert_true(tr->n > 100 && tr->n <= 4096);
}

static bool same_trace(const trace *a, const trace *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (a->exit[i] != b->exit[i] || a->split[i] != b->split[i] ||
            a->bits[i] != b->bits[i] || a->latency[i] != b->latency[i])
            return false;
    return true;
}

/* the section names of the checkpoint at path, in order, one string */
static void section_names(const char *path, char *out, size_t cap)
{
    mdl_weights w;
    off_err err = {0};
    assert_int_equal(mdl_weights_read(&w, path, &err), OFF_OK);
    out[0] = '\0';
    for (size_t i = 0; i < w.n; i++) {
        assert_true(strlen(out) + strlen(w.t[i].name) + 2 < cap);
        strcat(out, w.t[i].name);
        strcat(out, " ");
    }
    mdl_weights_free(&w);
}

/* path's checkpoint written again to bad with the section rl.early_exit
 * holding `value` (8 bytes) or, with short_, its first 4 bytes only */
static void rewrite_early_exit(const char *path, const char *bad, double value, bool short_)
{
    mdl_weights w;
    off_err err = {0};
    assert_int_equal(mdl_weights_read(&w, path, &err), OFF_OK);
    mdl_tensor_rec *t = malloc(w.n * sizeof *t);
    assert_non_null(t);
    memcpy(t, w.t, w.n * sizeof *t);
    uint8_t b[8];
    uint64_t u;
    memcpy(&u, &value, sizeof u);
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(u >> (8 * i));
    bool found = false;
    for (size_t i = 0; i < w.n; i++)
        if (strcmp(t[i].name, "rl.early_exit") == 0) {
            t[i].data = b;
            t[i].dims[0] = short_ ? 4 : 8;
            t[i].nbytes = short_ ? 4 : 8;
            found = true;
        }
    assert_true(found);
    assert_int_equal(mdl_weights_write(bad, t, w.n, &err), OFF_OK);
    free(t);
    mdl_weights_free(&w);
}

static void test_early_exit_in_the_checkpoint(void **state)
{
    (void)state;
    if (fashion_mnist_missing())
        return;
    char ee[256], plain[256], bad[256];
    tmp_path(ee, sizeof ee, "ee.ckpt");
    tmp_path(plain, sizeof plain, "plain.ckpt");
    tmp_path(bad, sizeof bad, "bad.ckpt");
    train_sac("policy.early_exit=0.3", ee);
    train_sac(NULL, plain);

    /* the section is there with the value's bits, and only when T > 0 */
    char names_ee[2048], names_plain[2048];
    section_names(ee, names_ee, sizeof names_ee);
    section_names(plain, names_plain, sizeof names_plain);
    printf("  with early_exit: %s\n", names_ee);
    assert_non_null(strstr(names_ee, "rl.state rl.early_exit "));
    assert_null(strstr(names_plain, "rl.early_exit"));
    char *cut = strstr(names_ee, "rl.early_exit ");
    *cut = '\0';
    assert_string_equal(names_ee, names_plain);
    mdl_weights w;
    off_err err = {0};
    assert_int_equal(mdl_weights_read(&w, ee, &err), OFF_OK);
    const mdl_tensor_rec *r = mdl_weights_find(&w, "rl.early_exit");
    assert_non_null(r);
    assert_int_equal(r->dtype, MDL_DT_U8);
    assert_int_equal(r->nbytes, 8);
    double v = 0.3, got;
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u |= (uint64_t)((const uint8_t *)r->data)[i] << (8 * i);
    memcpy(&got, &u, sizeof got);
    assert_true(got == v);
    mdl_weights_free(&w);

    /* the stored threshold is applied: the same decisions and outcomes as
     * with the key given; 0 given overrides it */
    static trace given, stored, off, old, old0;
    must_run(ee, "policy.early_exit=0.3", &given);
    must_run(ee, NULL, &stored);
    must_run(ee, "policy.early_exit=0", &off);
    size_t early = 0;
    for (size_t i = 0; i < given.n; i++)
        early += given.exit[i] != off.exit[i];
    printf("  %zu tasks; with the threshold, %zu left at another exit than without\n",
           given.n, early);
    assert_true(same_trace(&given, &stored));
    assert_true(early > 0);
    assert_false(same_trace(&given, &off));

    /* a checkpoint without the section loads, without an early exit */
    must_run(plain, NULL, &old);
    must_run(plain, "policy.early_exit=0", &old0);
    assert_true(same_trace(&old, &old0));

    /* a bad stored value, a section of the wrong size */
    rewrite_early_exit(ee, bad, 1.5, false);
    assert_int_equal(run_ckpt(bad, NULL, &old, &err), OFF_EINVAL);
    printf("  -> %s\n", err.msg);
    assert_non_null(strstr(err.msg, bad));
    assert_non_null(strstr(err.msg, "'rl.early_exit' holds 1.5"));
    /* given, the key wins over the file's value */
    must_run(bad, "policy.early_exit=0.3", &old);
    assert_true(same_trace(&old, &given));
    rewrite_early_exit(ee, bad, 0.3, true);
    assert_int_equal(run_ckpt(bad, NULL, &old, &err), OFF_EINVAL);
    printf("  -> %s\n", err.msg);
    assert_non_null(strstr(err.msg, "'rl.early_exit' has 4 values"));
    unlink(bad);
    unlink(ee);
    unlink(plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_early_exit_in_the_checkpoint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
