/* test_pol_basic.c - the baseline policies and parameter checking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <gsl/gsl_rng.h>
#include <string.h>

#include "pol.h"

static const mdl_layer layers[] = {{"a", 100, 4000, MDL_LAYER_OTHER, 0},
                                   {"b", 10, 1000, MDL_LAYER_OTHER, 0},
                                   {"c", 200, 40, MDL_LAYER_OTHER, 0}};
static const mdl_exit exits[] = {{"early", 1, 5, 0.7}, {"final", 3, 0, 0.9}};
static const int bits[] = {4, 8, 32};
static mdl_model model;

static int setup(void **state)
{
    (void)state;
    mdl_model_desc d = {"t", layers, 3, exits, 2, bits, 3, 784, 4};
    off_err e;
    return mdl_model_init(&model, &d, &e) == OFF_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mdl_model_free(&model);
    return 0;
}

static pol_action decide(const char *type, const pol_param *ps, size_t n, gsl_rng *rng)
{
    pol_cfg cfg = {.model = &model, .params = ps, .n_params = n, .rng = rng, .n_devices = 1};
    pol_policy p;
    off_err e;
    assert_int_equal(pol_create(&p, type, &cfg, "x.yaml", 1, 1, &e), OFF_OK);
    pol_obs o = {0};
    o.model = &model;
    pol_action a;
    pol_decide(&p, &o, &a);
    pol_destroy(&p);
    pol_destroy(&p);
    return a;
}

static void test_local_edge_fixed_choose_their_actions(void **state)
{
    (void)state;
    pol_action a = decide("local", NULL, 0, NULL);
    assert_int_equal(a.exit, 1);
    assert_int_equal(a.split, 3);
    a = decide("edge", NULL, 0, NULL);
    assert_int_equal(a.split, 0);
    assert_int_equal(a.bits, 8);
    pol_param ps[] = {{"exit", "early", "x.yaml", 3, 9, 3, 3},
                      {"split", "1", "x.yaml", 4, 9, 4, 3},
                      {"bits", "4", "x.yaml", 5, 9, 5, 3}};
    a = decide("fixed", ps, 3, NULL);
    assert_int_equal(a.exit, 0);
    assert_int_equal(a.split, 1);
    assert_int_equal(a.bits, 4);
}

static void test_random_policy_covers_valid_actions_only(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    pol_cfg cfg = {.model = &model, .params = NULL, .n_params = 0, .rng = r, .n_devices = 1};
    pol_policy p;
    off_err e;
    assert_int_equal(pol_create(&p, "random", &cfg, "x", 1, 1, &e), OFF_OK);
    pol_obs o = {0};
    o.model = &model;
    int seen[2][4] = {{0}};
    for (int i = 0; i < 2000; i++) {
        pol_action a;
        pol_decide(&p, &o, &a);
        assert_in_range(a.exit, 0, 1);
        assert_in_range(a.split, 0, (int)model.exits[a.exit].after);
        assert_true(mdl_bits_index(&model, a.bits) >= 0);
        seen[a.exit][a.split]++;
    }
    /* every valid (exit, split) pair shows up */
    assert_true(seen[0][0] && seen[0][1] && seen[1][0] && seen[1][1] && seen[1][2] &&
                seen[1][3]);
    pol_destroy(&p);
    gsl_rng_free(r);
}

static void test_parameter_errors_carry_positions(void **state)
{
    (void)state;
    pol_policy p;
    off_err e;
    pol_param bad_key[] = {{"splt", "1", "s.yaml", 7, 12, 7, 5}};
    pol_cfg cfg = {.model = &model, .params = bad_key, .n_params = 1, .rng = NULL, .n_devices = 1};
    assert_int_equal(pol_create(&p, "fixed", &cfg, "s.yaml", 6, 3, &e), OFF_EINVAL);
    assert_string_equal(e.msg, "s.yaml:7:5: unknown key 'splt' for policy 'fixed' "
                               "(did you mean 'split'?); valid keys: type, exit, split, "
                               "bits, threshold");
    pol_param bad_split[] = {{"split", "9", "s.yaml", 7, 12, 7, 5}};
    cfg.params = bad_split;
    assert_int_equal(pol_create(&p, "fixed", &cfg, "s.yaml", 6, 3, &e), OFF_EINVAL);
    assert_string_equal(e.msg, "s.yaml:7:12: 'split' must be in 0..3, got 9");
    pol_param bad_int[] = {{"split", "two", "s.yaml", 7, 12, 7, 5}};
    cfg.params = bad_int;
    assert_int_equal(pol_create(&p, "fixed", &cfg, "s.yaml", 6, 3, &e), OFF_EINVAL);
    pol_param bad_thr[] = {{"threshold", "1.5", "s.yaml", 8, 14, 8, 3}};
    cfg.params = bad_thr;
    assert_int_equal(pol_create(&p, "fixed", &cfg, "s.yaml", 6, 3, &e), OFF_EINVAL);
    assert_string_equal(e.msg, "s.yaml:8:14: 'threshold' must be a number in 0..1, got '1.5'");
    cfg.n_params = 0;
    assert_int_equal(pol_create(&p, "lokal", &cfg, "s.yaml", 6, 9, &e), OFF_EINVAL);
    assert_non_null(strstr(e.msg, "s.yaml:6:9: unknown policy 'lokal' (did you mean 'local'?)"));
    pol_param any[] = {{"x", "1", "s.yaml", 7, 12, 7, 5}};
    cfg.params = any;
    cfg.n_params = 1;
    assert_int_equal(pol_create(&p, "edge", &cfg, "s.yaml", 6, 3, &e), OFF_EINVAL);
    assert_non_null(strstr(e.msg, "takes no parameters"));
    /* random without a stream is refused rather than crashing */
    cfg.n_params = 0;
    assert_int_equal(pol_create(&p, "random", &cfg, "s.yaml", 6, 3, &e), OFF_ERUNTIME);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_local_edge_fixed_choose_their_actions),
        cmocka_unit_test(test_random_policy_covers_valid_actions_only),
        cmocka_unit_test(test_parameter_errors_carry_positions),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
