/*
 * test_rl_train.c - the training loop of the learning agents (sim_train,
 * policies/rl/) on tests/data/sim/rl.yaml:
 *   - held-out evaluation during training keeps the best agent: a run whose
 *     evaluations collapse after the first (the reward is turned against
 *     the agent) keeps the first agent as the best, in a checkpoint that,
 *     run with `checkpoint:` on the validation seeds, scores exactly the
 *     recorded best, and that differs from the last checkpoint;
 *   - resumable training: 2N decisions in one go and N, a checkpoint,
 *     then resumed to 2N give byte-identical checkpoints, for PPO and for
 *     SAC with its replay (held-out evaluations included); a resumed SAC
 *     without its replay still loads; a weights-only file cannot be
 *     resumed, and a checkpoint of another agent is refused naming both;
 *     a training with early_exit 0.3, resumed without the key, keeps the
 *     checkpoint's threshold (the same bytes as one go), and `early_exit: 0`
 *     given overrides it;
 *   - the end of a run is a truncation: SAC stores its last transition as
 *     not done, bootstrapping from the last observation; PPO adds
 *     gamma V(s) of it to the last reward and cuts GAE there.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mdl_weights.h"
#include "pol.h"
#include "sim/sim_test_util.h"

#define RL "tests/data/sim/rl.yaml"
#define EVAL_SEED 500000ULL /* sim_train's validation seeds */

static const char *agent_set(const char *type)
{
    return strcmp(type, "ppo") == 0
               ? "policy.type=ppo"
               : "policy={type: sac-discrete, hidden: 16, batch: 32, learning_starts: 100, "
                 "lr: 0.003}";
}

static char *tmp_path(char *buf, size_t cap, const char *what)
{
    snprintf(buf, cap, "/tmp/offsim-rltrain-%ld-%s", (long)getpid(), what);
    return buf;
}

/* the two files hold the same bytes */
static bool same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    assert_non_null(fa);
    assert_non_null(fb);
    int ca, cb;
    do {
        ca = fgetc(fa);
        cb = fgetc(fb);
    } while (ca == cb && ca != EOF);
    fclose(fa);
    fclose(fb);
    return ca == cb;
}

static long file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (long)st.st_size;
}

/* The mean reward per task of the checkpoint at path on the first n
 * validation seeds, run as `offsim run` would with `checkpoint:`. */
static double checkpoint_score(const char *type, const char *path, unsigned n)
{
    char ck[300];
    snprintf(ck, sizeof ck, "policy.checkpoint=%s", path);
    const char *sets[] = {agent_set(type), ck};
    double sum = 0.0;
    size_t tasks = 0;
    for (unsigned i = 0; i < n; i++) {
        scn_scenario s;
        load_scenario_file(RL, sets, 2, &s);
        s.seed = EVAL_SEED + i;
        sim_world *w = NULL;
        res_summary r;
        off_err err = {0};
        assert_int_equal(sim_world_new(&w, &s, &err), OFF_OK);
        assert_int_equal(sim_world_run(w, NULL, 0, NULL, NULL, &r, &err), OFF_OK);
        sim_world_free(w);
        scn_free(&s);
        sum += r.reward_mean * (double)r.n_tasks;
        tasks += r.n_tasks;
    }
    return sum / (double)tasks;
}

typedef struct collapse {
    scn_scenario *s;
    pol_train *t;
    int evals, turned;
    double score[64];
    bool best[64];
    uint64_t step[64];
} collapse;

static void on_eval(void *ud, uint64_t step, double reward, bool best)
{
    collapse *c = ud;
    if (c->evals < 64) {
        c->score[c->evals] = reward;
        c->best[c->evals] = best;
        c->step[c->evals] = step;
    }
    c->evals++;
}

/* after the first evaluation: the reward punishes what it rewarded, so
 * every later agent (and evaluation) collapses */
static void on_episode(void *ud, uint64_t episode, const res_summary *sum)
{
    (void)episode, (void)sum;
    collapse *c = ud;
    if (c->evals == 1 && !c->turned) {
        c->s->reward.accuracy = -4.0;
        c->s->reward.deadline_miss = -2.0;
        c->turned = 1;
    }
}

static void test_best_checkpoint_survives_a_collapse(void **state)
{
    (void)state;
    const char *types[] = {"ppo", "sac-discrete"};
    for (int k = 0; k < 2; k++) {
        const char *sets[] = {agent_set(types[k]), "policy.eval_every=800",
                              "policy.eval_episodes=2"};
        scn_scenario s;
        load_scenario_file(RL, sets, 3, &s);
        char best[256], last[256];
        tmp_path(best, sizeof best, "best.ckpt");
        tmp_path(last, sizeof last, "last.ckpt");
        unlink(best);
        pol_train t = {.max_steps = 3200, .seed = 4};
        collapse c = {.s = &s, .t = &t};
        t.best_path = best;
        t.on_eval = on_eval;
        t.eval_ud = &c;
        off_err err = {0};
        assert_int_equal(sim_train(&s, &t, 4, NULL, on_episode, &c, &err), OFF_OK);
        assert_int_equal(pol_rl_save(&t, last, &err), OFF_OK);
        printf("  %s: %d evaluations:", types[k], c.evals);
        for (int i = 0; i < c.evals && i < 64; i++)
            printf(" %llu:%.3f%s", (unsigned long long)c.step[i], c.score[i],
                   c.best[i] ? "*" : "");
        printf("\n");
        /* every 800 decisions, and the last agent's at the end */
        assert_true(c.evals >= 4);
        assert_int_equal(c.step[c.evals - 1], 3200);
        assert_true(c.best[0]);
        for (int i = 1; i < c.evals; i++) {
            assert_false(c.best[i]);
            assert_true(c.score[i] < c.score[0]);
        }
        assert_int_equal(t.best_step, c.step[0]);
        assert_true(t.best == c.score[0]);
        assert_false(same_file(best, last));
        /* the file is the agent that was evaluated: same score, same reward */
        double again = checkpoint_score(types[k], best, 2);
        printf("  best checkpoint run again on the validation seeds: %.6f (recorded %.6f)\n",
               again, t.best);
        assert_true(again == t.best);
        t.free_agent(t.agent);
        scn_free(&s);
        unlink(best);
        unlink(last);
    }
}

/* Train type (with extra sets) to 2N decisions, stopping at stop (0: none);
 * the checkpoint at path.  resume: continue that checkpoint instead. */
static void train_to(const char *type, const char *extra, uint64_t steps, uint64_t stop,
                     const char *resume, const char *path)
{
    const char *sets[] = {agent_set(type), "policy.eval_every=500", extra};
    scn_scenario s;
    load_scenario_file(RL, sets, extra ? 3 : 2, &s);
    pol_train t = {.max_steps = steps, .seed = 9, .stop_at = stop};
    off_err err = {0};
    if (resume) {
        t.max_steps = 0; /* the checkpoint's target */
        assert_int_equal(pol_rl_resume(&t, resume, &err), OFF_OK);
        assert_int_equal(t.max_steps, steps);
        assert_int_equal(t.seed, 9);
        assert_true(t.episode > 0);
    }
    if (sim_train(&s, &t, t.seed, NULL, NULL, NULL, &err) != OFF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        fail();
    }
    assert_true(stop ? pol_rl_steps(&t) >= stop && pol_rl_steps(&t) < steps
                     : pol_rl_steps(&t) == steps);
    assert_int_equal(pol_rl_save(&t, path, &err), OFF_OK);
    t.free_agent(t.agent);
    scn_free(&s);
}

static void test_resume_is_bit_exact(void **state)
{
    (void)state;
    static const struct {
        const char *type, *extra;
    } cases[] = {{"ppo", NULL}, {"sac-discrete", "policy.save_replay=true"}};
    for (size_t k = 0; k < 2; k++) {
        char one[256], half[256], two[256];
        tmp_path(one, sizeof one, "one.ckpt");
        tmp_path(half, sizeof half, "half.ckpt");
        tmp_path(two, sizeof two, "two.ckpt");
        train_to(cases[k].type, cases[k].extra, 2000, 0, NULL, one);
        train_to(cases[k].type, cases[k].extra, 2000, 1000, NULL, half);
        train_to(cases[k].type, cases[k].extra, 2000, 0, half, two);
        printf("  %s: one go %ld bytes, stopped at 1000 %ld bytes, resumed %ld bytes\n",
               cases[k].type, file_size(one), file_size(half), file_size(two));
        assert_true(same_file(one, two));
        assert_false(same_file(one, half));
        unlink(one);
        unlink(two);
        if (k == 1) {
            /* without its replay SAC resumes too (from an empty buffer) */
            train_to(cases[k].type, NULL, 2000, 1000, NULL, half);
            train_to(cases[k].type, NULL, 2000, 0, half, two);
            unlink(two);
        }
        unlink(half);
    }
}

static void test_resume_keeps_the_early_exit(void **state)
{
    (void)state;
    char one[256], half[256], two[256], zero[256];
    tmp_path(one, sizeof one, "ee-one.ckpt");
    tmp_path(half, sizeof half, "ee-half.ckpt");
    tmp_path(two, sizeof two, "ee-two.ckpt");
    tmp_path(zero, sizeof zero, "ee-zero.ckpt");
    train_to("ppo", "policy.early_exit=0.3", 2000, 0, NULL, one);
    train_to("ppo", "policy.early_exit=0.3", 2000, 1000, NULL, half);
    train_to("ppo", NULL, 2000, 0, half, two); /* not given: the checkpoint's */
    assert_true(same_file(one, two));
    /* given, the key overrides the stored value (and 0 is not stored) */
    train_to("ppo", "policy.early_exit=0", 2000, 0, half, zero);
    assert_false(same_file(one, zero));
    mdl_weights w;
    off_err err = {0};
    assert_int_equal(mdl_weights_read(&w, zero, &err), OFF_OK);
    assert_null(mdl_weights_find(&w, "rl.early_exit"));
    mdl_weights_free(&w);
    assert_int_equal(mdl_weights_read(&w, two, &err), OFF_OK);
    assert_non_null(mdl_weights_find(&w, "rl.early_exit"));
    mdl_weights_free(&w);
    unlink(one);
    unlink(half);
    unlink(two);
    unlink(zero);
}

static void test_resume_errors(void **state)
{
    (void)state;
    char ppo[256];
    tmp_path(ppo, sizeof ppo, "ppo.ckpt");
    train_to("ppo", NULL, 400, 200, NULL, ppo);
    /* SAC resuming PPO's checkpoint: refused when its first world is made */
    const char *sets[] = {agent_set("sac-discrete")};
    scn_scenario s;
    load_scenario_file(RL, sets, 1, &s);
    pol_train t = {0};
    off_err err = {0};
    assert_int_equal(pol_rl_resume(&t, ppo, &err), OFF_OK);
    assert_int_equal(sim_train(&s, &t, t.seed, NULL, NULL, NULL, &err), OFF_EINVAL);
    printf("  -> %s\n", err.msg);
    assert_non_null(strstr(err.msg, "a ppo checkpoint, expected sac-discrete"));
    assert_null(t.agent);
    scn_free(&s);
    /* a file without the training's state */
    char bad[256];
    tmp_path(bad, sizeof bad, "bad.ckpt");
    FILE *f = fopen(bad, "wb");
    assert_non_null(f);
    fputs("not a checkpoint", f);
    fclose(f);
    pol_train u = {0};
    assert_int_not_equal(pol_rl_resume(&u, bad, &err), OFF_OK);
    printf("  -> %s\n", err.msg);
    assert_non_null(strstr(err.msg, bad));
    unlink(bad);
    unlink(ppo);
}

/* One training episode of the scenario with sets, the agent's checkpoint
 * read back; n: the transitions. */
static void one_episode(const char *const *sets, size_t n_sets, mdl_weights *w, size_t *n)
{
    scn_scenario s;
    load_scenario_file(RL, sets, n_sets, &s);
    pol_train t = {.max_steps = UINT64_MAX, .seed = 2};
    sim_world *wd = NULL;
    res_summary sum;
    off_err err = {0};
    assert_int_equal(sim_world_new_train(&wd, &s, &t, NULL, &err), OFF_OK);
    assert_int_equal(sim_world_run(wd, NULL, 0, NULL, NULL, &sum, &err), OFF_OK);
    sim_world_free(wd);
    *n = pol_rl_steps(&t);
    assert_int_equal(*n, sum.n_tasks);
    char path[256];
    tmp_path(path, sizeof path, "episode.ckpt");
    assert_int_equal(pol_rl_save(&t, path, &err), OFF_OK);
    assert_int_equal(mdl_weights_read(w, path, &err), OFF_OK);
    unlink(path);
    t.free_agent(t.agent);
    scn_free(&s);
}

static const float *section(const mdl_weights *w, const char *name)
{
    const mdl_tensor_rec *r = mdl_weights_find(w, name);
    assert_non_null(r);
    return (const float *)r->data;
}

static void test_end_of_run_is_truncation(void **state)
{
    (void)state;
    /* SAC: no update (learning_starts above the episode), replay kept */
    const char *sac[] = {"policy={type: sac-discrete, hidden: 16, buffer: 1000, "
                         "learning_starts: 5000, save_replay: true}"};
    mdl_weights w;
    size_t n;
    one_episode(sac, 1, &w, &n);
    const float *obs = section(&w, "sac.rb.obs"), *next = section(&w, "sac.rb.next");
    const float *done = section(&w, "sac.rb.done");
    size_t D = mdl_weights_find(&w, "sac.rb.obs")->dims[0] / 1000;
    for (size_t i = 0; i < n; i++)
        assert_true(done[i] == 0.0f);
    for (size_t i = 0; i + 1 < n; i++)
        assert_memory_equal(next + i * D, obs + (i + 1) * D, D * sizeof *obs);
    assert_memory_equal(next + (n - 1) * D, obs + (n - 1) * D, D * sizeof *obs);
    printf("  sac: %zu transitions, none done; the last bootstraps from its own state\n", n);
    mdl_weights_free(&w);

    /* PPO: no update within the episode (one rollout longer than it); the
     * same decisions at gamma 0 and 0.9, whose last rewards differ by
     * exactly 0.9 V(s_last) */
    float rew[2], val = 0.0f;
    for (int g = 0; g < 2; g++) {
        const char *ppo[] = {"policy.rollout=4096", g ? "policy.gamma=0.9" : "policy.gamma=0"};
        one_episode(ppo, 2, &w, &n);
        const float *r = section(&w, "ppo.roll.rew"), *d = section(&w, "ppo.roll.done");
        for (size_t i = 0; i + 1 < n; i++)
            assert_true(d[i] == 0.0f);
        assert_true(d[n - 1] == 1.0f);
        rew[g] = r[n - 1];
        val = section(&w, "ppo.roll.val")[n - 1];
        mdl_weights_free(&w);
    }
    printf("  ppo: last reward %.6f at gamma 0, %.6f at 0.9 (V(s_last) %.6f)\n", rew[0],
           rew[1], val);
    assert_true(val != 0.0f);
    assert_true(rew[1] == rew[0] + 0.9f * val);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_best_checkpoint_survives_a_collapse),
        cmocka_unit_test(test_resume_is_bit_exact),
        cmocka_unit_test(test_resume_keeps_the_early_exit),
        cmocka_unit_test(test_resume_errors),
        cmocka_unit_test(test_end_of_run_is_truncation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
