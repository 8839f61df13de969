/*
 * test_sim_trained.c - tasks that carry real Fashion-MNIST test images
 * through a trained zoo model (tests/data/sim/trained.yaml):
 *   - every task records its sample; correctness is the int8 model's answer
 *     for that image (checked against an independent mdl_qgraph_infer), and
 *     the payload is that image's real compressed split tensor;
 *   - compute times come from the hardware profiles;
 *   - the BranchyNet threshold takes early exits for confident images only,
 *     and a threshold of 1 takes the first exit for every task;
 *   - the same scenario and seed give the same tasks, bit for bit;
 *   - a model-based policy's predictor costs the payloads really sent: the
 *     mean over the first test images, checked against mdl_qgraph_infer;
 *   - scenario mistakes (unknown model, unknown profile) are positioned errors.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "mdl_profile.h"
#include "mdl_qgraph.h"
#include "mdl_trained.h"
#include "sim_test_util.h"
#include "fashion_skip.h"

#define SCN "tests/data/sim/trained.yaml"
#define MAX_ROWS 2000

typedef struct rows {
    res_task_row r[MAX_ROWS];
    size_t n;
} rows;

static void keep(void *ud, const res_task_row *r)
{
    rows *k = ud;
    if (k->n < MAX_ROWS)
        k->r[k->n++] = *r;
}

static rows A, B;

/* An int8 graph of mexit built here, independently of the simulator's,
 * with the test set. */
typedef struct ref {
    mdl_graph g;
    mdl_dataset tr, te;
    mdl_qgraph *q;
    mdl_qctx *c;
} ref;

static void ref_open(ref *r)
{
    off_err e;
    assert_int_equal(mdl_graph_init(&r->g, mdl_zoo_graph("mexit"), &e), OFF_OK);
    assert_int_equal(mdl_graph_load(&r->g, OFFSIM_SOURCE_DIR "/models/zoo/mexit-fmnist.offw", &e),
                     OFF_OK);
    assert_int_equal(mdl_dataset_load_fashion(&r->tr, NULL, false, &e), OFF_OK);
    assert_int_equal(mdl_dataset_load_fashion(&r->te, NULL, true, &e), OFF_OK);
    assert_int_equal(mdl_qgraph_new(&r->q, &r->g, &r->tr, MDL_TRAINED_CALIBRATION, &e), OFF_OK);
    r->c = mdl_qctx_new(r->q);
    assert_non_null(r->c);
}

static void ref_close(ref *r)
{
    mdl_qctx_free(r->c);
    mdl_qgraph_free(r->q);
    mdl_dataset_free(&r->tr);
    mdl_dataset_free(&r->te);
    mdl_graph_free(&r->g);
}

static void test_tasks_carry_real_images(void **state)
{
    (void)state;
    res_summary sum;
    A.n = 0;
    run_scenario_file(SCN, NULL, 0, keep, &A, &sum);
    assert_true(A.n > 200);
    /* an independent int8 graph over the same images */
    off_err e;
    ref r0;
    ref_open(&r0);
    mdl_profile pi4;
    assert_int_equal(mdl_profile_load(&pi4, OFFSIM_SOURCE_DIR "/models/profiles/raspberry-pi4.yaml",
                                      &e), OFF_OK);
    mdl_model m;
    assert_int_equal(mdl_graph_cost_model(&r0.g, NULL, &m, &e), OFF_OK);
    double dev_s = mdl_profile_device_seconds(&pi4, &m, 1, 2, 8);
    size_t right = 0, distinct_payloads = 0;
    double last_payload = -1;
    for (size_t i = 0; i < A.n; i++) {
        const res_task_row *r = &A.r[i];
        assert_true(r->sample >= 0 && r->sample < 10000);
        mdl_qresult qr;
        assert_int_equal(mdl_qgraph_infer(r0.q, r0.c, r0.te.images + (size_t)r->sample * 784,
                                          2, 4, &qr, &e),
                         OFF_OK);
        assert_int_equal(r->correct, qr.pred[1] == r0.te.labels[r->sample]);
        assert_true(r->bytes_up == qr.payload);
        assert_int_equal(r->exit, 1);
        assert_int_equal(r->split, 2);
        assert_true(fabs(r->compute_device_s - dev_s) < 1e-12);
        assert_true(r->compute_server_s > 0);
        right += (size_t)r->correct;
        distinct_payloads += r->bytes_up != last_payload;
        last_payload = r->bytes_up;
    }
    double acc = (double)right / (double)A.n;
    printf("  %zu tasks, accuracy %.2f %% on their real images, device %.3f ms (Pi 4 "
           "profile, int8)\n", A.n, acc * 100, dev_s * 1e3);
    assert_true(acc > 0.85 && acc < 0.97);
    assert_true(distinct_payloads > A.n / 4); /* per-image sizes, not a constant */
    mdl_model_free(&m);
    ref_close(&r0);
}

/* The world of SCN with one override ("policy=..."). */
static sim_world *world_with(const char *set, scn_scenario *s)
{
    scn_override ov;
    char buf[128];
    off_err e = {0};
    snprintf(buf, sizeof buf, "%s", set);
    assert_int_equal(scn_override_parse(buf, &ov, &e), OFF_OK);
    if (scn_load(s, SCN, &ov, 1, &e) != OFF_OK)
        fail_msg("%s", e.msg);
    sim_world *w = NULL;
    if (sim_world_new(&w, s, &e) != OFF_OK)
        fail_msg("%s", e.msg);
    return w;
}

static void test_predictor_costs_the_real_payloads(void **state)
{
    (void)state;
    scn_scenario s1, s2;
    sim_world *w = world_with("policy={type: neurosurgeon, bits: 4}", &s1);
    const mdl_model *m = sim_world_model(w);
    assert_non_null(m->payload_mean);
    /* independently: the mean of mdl_qgraph_infer's payloads */
    off_err e;
    ref r0;
    ref_open(&r0);
    const int bits[] = {4, 32};
    const size_t bidx[] = {1, 4}; /* in {2, 4, 6, 8, 32} */
    size_t L = m->n_layers, nb = m->n_bits, smaller = 0;
    for (size_t sp = 0; sp <= L; sp++)
        for (size_t k = 0; k < 2; k++) {
            double sum = 0;
            for (size_t i = 0; i < MDL_TRAINED_PAYLOAD_PROFILE; i++) {
                mdl_qresult r;
                assert_int_equal(mdl_qgraph_infer(r0.q, r0.c, r0.te.images + i * 784, sp,
                                                  bits[k], &r, &e),
                                 OFF_OK);
                sum += r.payload;
            }
            double mean = sum / MDL_TRAINED_PAYLOAD_PROFILE;
            double got = m->payload_mean[sp * nb + bidx[k]];
            double table = sp < L ? mdl_payload_bytes(m, m->n_exits - 1, sp, bits[k]) : 0;
            if (sp < 3 || sp == L)
                printf("  split %zu at %2d bits: mean sent %8.1f B (by hand %8.1f), layer table "
                       "%8.1f B\n", sp, bits[k], got, mean, table);
            if (fabs(got - mean) > 1e-9 * (mean + 1))
                fail_msg("split %zu, %d bits: %.6f B against %.6f B by hand", sp, bits[k], got,
                         mean);
            smaller += bits[k] == 4 && sp < L && got < table;
        }
    assert_true(smaller >= 1); /* compression: the table over-predicts */
    /* a policy that predicts nothing leaves the layer table */
    sim_world *wl = world_with("policy=local", &s2);
    assert_null(sim_world_model(wl)->payload_mean);
    sim_world_free(wl);
    scn_free(&s2);
    sim_world_free(w);
    scn_free(&s1);
    ref_close(&r0);
}

static void test_same_seed_same_tasks(void **state)
{
    (void)state;
    res_summary sum;
    B.n = 0;
    run_scenario_file(SCN, NULL, 0, keep, &B, &sum);
    assert_int_equal(A.n, B.n);
    for (size_t i = 0; i < A.n; i++) {
        assert_int_equal(A.r[i].sample, B.r[i].sample);
        assert_true(A.r[i].latency_s == B.r[i].latency_s);
        assert_true(A.r[i].bytes_up == B.r[i].bytes_up);
        assert_int_equal(A.r[i].correct, B.r[i].correct);
    }
}

static void test_entropy_threshold(void **state)
{
    (void)state;
    res_summary sum;
    const char *mid[] = {"policy.threshold=0.3"};
    B.n = 0;
    run_scenario_file(SCN, mid, 1, keep, &B, &sum);
    size_t early = 0, right_early = 0, right_final = 0, final = 0;
    for (size_t i = 0; i < B.n; i++) {
        if (B.r[i].exit == 0) {
            early++;
            right_early += (size_t)B.r[i].correct;
            assert_true(B.r[i].bytes_up == 0); /* exit 0 is on the device (after 2) */
        } else {
            final++;
            right_final += (size_t)B.r[i].correct;
        }
    }
    printf("  threshold 0.3: %zu of %zu tasks exit early (accuracy %.1f %%), the rest "
           "%.1f %%\n", early, B.n, 100.0 * (double)right_early / (double)(early ? early : 1),
           100.0 * (double)right_final / (double)(final ? final : 1));
    assert_true(early > B.n / 4 && early < B.n); /* confident images only */
    /* confident early answers are more often right than the hard rest */
    assert_true((double)right_early / (double)early > (double)right_final / (double)final);
    const char *all[] = {"policy.threshold=1"};
    B.n = 0;
    run_scenario_file(SCN, all, 1, keep, &B, &sum);
    for (size_t i = 0; i < B.n; i++)
        assert_int_equal(B.r[i].exit, 0);
}

static void expect_error(const char *set, const char *want)
{
    scn_override ov;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", set);
    off_err e;
    assert_int_equal(scn_override_parse(buf, &ov, &e), OFF_OK);
    scn_scenario s;
    off_status st = scn_load(&s, SCN, &ov, 1, &e);
    if (st == OFF_OK) {
        sim_world *w = NULL;
        st = sim_world_new(&w, &s, &e);
        sim_world_free(w);
        scn_free(&s);
    }
    printf("  %s -> %s\n", set, e.msg);
    assert_int_equal(st, OFF_EINVAL);
    assert_non_null(strstr(e.msg, want));
}

static void test_scenario_mistakes(void **state)
{
    (void)state;
    expect_error("model.name=mexti", "no trained model 'mexti' (did you mean 'mexit'?)");
    expect_error("devices.0.profile=raspberry-pi5", "no hardware profile 'raspberry-pi5'");
    expect_error("devices.0.compute_bits=12", "compute_bits must be 8, 16 or 32");
    expect_error("model.bits=[4]", "unknown key 'bits'");
}

int main(void)
{
    if (fashion_mnist_missing())
        return 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tasks_carry_real_images),
        cmocka_unit_test(test_predictor_costs_the_real_payloads),
        cmocka_unit_test(test_same_seed_same_tasks),
        cmocka_unit_test(test_entropy_threshold),
        cmocka_unit_test(test_scenario_mistakes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
