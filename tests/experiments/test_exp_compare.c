/*
 * test_exp_compare.c - `offsim compare`'s statistics against hand
 * computations (the pooled interval over training and evaluation seeds,
 * the mean and interval over seeds with missing runs), and its plan: the
 * experiment it writes loads and validates, one point per policy and seed,
 * every valid constant action of the model once, the agent of OUT.seedN
 * checkpoints, errors for a file that is not a checkpoint; the constant
 * actions planned with the early exit a checkpoint carries when the key is
 * not given; the oracle's reward bound read from the database its runs
 * recorded it in.
 */
#define _POSIX_C_SOURCE 200809L
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "db_query.h"
#include "exp.h"
#include "exp_compare.h"
#include "mdl_weights.h"

#define SCENARIO "tests/data/sim/rl.yaml"
/* in double precision (cmocka's assert_float_equal compares floats) */
#define NEAR(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

/* K = 2 training seeds x J = 3 evaluation seeds:
 *   row means 2 and 4 (grand mean 3): s_rows^2 = 2, / K = 1
 *   column means 1.5, 3, 4.5: s_cols^2 = 2.25, / J = 0.75
 *   V = 1.75, df = 1.75^2 / (1^2 / 1 + 0.75^2 / 2) = 3.0625 / 1.28125 */
static void pooled_by_hand(void **state)
{
    (void)state;
    const double d[6] = {1, 2, 3, 2, 4, 6};
    double m, h, df;
    exp_pooled_diff(d, 2, 3, &m, &h, &df);
    NEAR(m, 3.0, 1e-12);
    NEAR(df, 3.0625 / 1.28125, 1e-12);
    NEAR(h, gsl_cdf_tdist_Pinv(0.975, 3.0625 / 1.28125) * sqrt(1.75), 1e-9);
    /* wider than the interval over training seeds alone would be with the
     * same df: the evaluation seeds' shared spread is counted */
    assert_true(h > gsl_cdf_tdist_Pinv(0.975, 3.0625 / 1.28125) * sqrt(1.0));
    /* every value the same: no spread, a zero half-width */
    const double z[6] = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
    exp_pooled_diff(z, 3, 2, &m, &h, NULL);
    NEAR(m, 0.5, 1e-12);
    NEAR(h, 0.0, 0.0);
    /* a difference the same on every evaluation seed: only the training
     * seeds spread, df = K - 1 */
    const double r[6] = {1, 1, 1, 3, 3, 3};
    exp_pooled_diff(r, 2, 3, &m, &h, &df);
    NEAR(m, 2.0, 1e-12);
    NEAR(df, 1.0, 1e-12);
    NEAR(h, gsl_cdf_tdist_Pinv(0.975, 1) * 1.0, 1e-9);
}

static void mean_half_skips_nan(void **state)
{
    (void)state;
    const double x[3] = {1, NAN, 3};
    double m, h;
    assert_int_equal(exp_mean_half(x, 3, &m, &h), 2);
    NEAR(m, 2.0, 1e-12);
    /* sd sqrt(2), n 2: t(0.975, 1) * sqrt(2) / sqrt(2) */
    NEAR(h, gsl_cdf_tdist_Pinv(0.975, 1), 1e-9);
    assert_int_equal(exp_mean_half(x + 1, 1, &m, &h), 0);
    assert_true(isnan(m) && isnan(h));
}

static void plan_loads_and_validates(void **state)
{
    (void)state;
    exp_compare_opts o = {.scenario = SCENARIO, .seeds = 3};
    exp_compare c;
    off_err err = {0};
    assert_int_equal(exp_compare_plan(&c, &o, &err), OFF_OK);
    assert_string_equal(c.name, "rl-compare");
    size_t fixed = 0, oracle = 0, cons = 0;
    for (size_t r = 0; r < c.n_rows; r++) {
        fixed += c.row[r].kind == EXP_CMP_FIXED;
        oracle += c.row[r].kind == EXP_CMP_ORACLE;
        cons += c.row[r].kind == EXP_CMP_CONST;
    }
    /* local, edge, random, neurosurgeon, edgent, branchynet, dyno */
    assert_int_equal(fixed + c.n_skipped, 7);
    assert_int_equal(oracle, 1);
    /* lenet5-2exit: exits after layers 2 and 7, bits 4, 8, 32; exit e
     * gives after(e) splits that send (x 3 bit-widths) and one on the
     * device: (2 * 3 + 1) + (7 * 3 + 1) */
    assert_int_equal(cons, 29);
    exp_experiment e;
    exp_cli cli = {0};
    assert_int_equal(exp_load_text(&e, "offsim compare", c.text, strlen(c.text), &cli, &err),
                     OFF_OK);
    assert_int_equal(e.n_points, c.n_rows * 3);
    assert_int_equal(exp_validate(&e, &err), OFF_OK);
    exp_free(&e);
    exp_compare_free(&c);
    exp_compare_free(&c); /* idempotent */
}

static void plan_refuses_non_checkpoints(void **state)
{
    (void)state;
    const char *const bad[] = {"no/such.ckpt"};
    exp_compare_opts o = {.scenario = SCENARIO, .seeds = 3, .ckpt = bad, .n_ckpt = 1};
    exp_compare c;
    off_err err = {0};
    assert_int_not_equal(exp_compare_plan(&c, &o, &err), OFF_OK);
    assert_non_null(strstr(err.msg, "no/such.ckpt"));
    assert_int_equal(c.n_rows, 0);
    /* model weights are an OFFW file without an agent kind */
    const char *const w[] = {"models/zoo/mexit-fmnist.offw"};
    o.ckpt = w;
    assert_int_equal(exp_compare_plan(&c, &o, &err), OFF_EINVAL);
    assert_non_null(strstr(err.msg, "not an agent's checkpoint"));
}

/* The comparison's experiment (no checkpoint, 2 seeds of 5 s) run into a
 * scratch database; its plan in *c, the experiment in *e. */
static void run_comparison(exp_compare *c, exp_experiment *e, const char *db)
{
    static const scn_override set[] = {{"duration", "5s"}};
    static char dur[] = "duration=5s";
    static char *const whole[] = {dur};
    exp_compare_opts o = {.scenario = SCENARIO, .set = set, .n_set = 1, .seeds = 2};
    off_err err = {0};
    assert_int_equal(exp_compare_plan(c, &o, &err), OFF_OK);
    exp_cli cli = {.set = whole, .n_set = 1};
    assert_int_equal(exp_load_text(e, "offsim compare", c->text, strlen(c->text), &cli, &err),
                     OFF_OK);
    assert_int_equal(exp_validate(e, &err), OFF_OK);
    exp_run_opts ro = {.db = db, .jobs = 1, .n_shards = 1, .quiet = true, .out = stdout};
    exp_run_stats rs;
    assert_int_equal(exp_run(e, &ro, &rs, &err), OFF_OK);
    assert_int_equal(rs.failed, 0);
}

/* The oracle's runs record the reward bound (summary.reward_bound): the
 * comparison reads it back and runs nothing again; it is the bound a run
 * of the oracle's point in this process computes, bit for bit; where the
 * database lacks it (a run recorded before schema version 6, made here by
 * taking it away), exactly those seeds are run again, to the same values. */
static void bound_is_read_from_the_database_not_run_again(void **state)
{
    (void)state;
    char dir[] = "/tmp/offsim-cmp-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char db[64];
    snprintf(db, sizeof db, "%s/c.db", dir);
    exp_compare c;
    exp_experiment e = {0};
    run_comparison(&c, &e, db);
    off_err err = {0};
    assert_int_equal(exp_compare_collect(&c, &e, db, &err), OFF_OK);
    assert_non_null(c.bound);
    assert_int_equal(exp_compare_bound_missing(&c), 0);
    size_t reran = 99;
    assert_int_equal(exp_compare_bound(&c, &e, &reran, &err), OFF_OK);
    assert_int_equal(reran, 0);
    double stored[2] = {c.bound[0], c.bound[1]};
    printf("  bound recorded: %.6f %.6f\n", stored[0], stored[1]);
    for (int j = 0; j < 2; j++)
        assert_true(stored[j] > -10 && stored[j] <= 1);
    /* only the oracle's runs have one, one per seed */
    assert_int_equal(query_int(db, "SELECT count(*) FROM summary WHERE reward_bound IS NOT NULL"),
                     2);
    assert_int_equal(query_int(db, "SELECT count(*) FROM summary s JOIN runs r USING (run_id)"
                                   " WHERE r.policy = 'oracle' AND s.bound_tasks > 0"), 2);
    /* computed again in this process: the same */
    c.bound[0] = c.bound[1] = NAN;
    assert_int_equal(exp_compare_bound_missing(&c), 2);
    assert_int_equal(exp_compare_bound(&c, &e, &reran, &err), OFF_OK);
    assert_int_equal(reran, 2);
    assert_true(c.bound[0] == stored[0] && c.bound[1] == stored[1]);
    /* a database without seed 2's bound: that seed alone runs again */
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "UPDATE summary SET reward_bound = NULL, bound_tasks = NULL"
                                     " WHERE run_id IN (SELECT run_id FROM runs WHERE"
                                     " policy = 'oracle' AND seed = 2)", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    assert_int_equal(exp_compare_collect(&c, &e, db, &err), OFF_OK);
    assert_int_equal(exp_compare_bound_missing(&c), 1);
    assert_true(c.bound[0] == stored[0] && isnan(c.bound[1]));
    assert_int_equal(exp_compare_bound(&c, &e, &reran, &err), OFF_OK);
    assert_int_equal(reran, 1);
    assert_true(c.bound[0] == stored[0] && c.bound[1] == stored[1]);
    exp_free(&e);
    exp_compare_free(&c);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* constant actions of a plan, and how many carry an early exit of 0.3 */
static size_t plan_constants(const exp_compare_opts *o, size_t *with_ee)
{
    exp_compare c;
    off_err err = {0};
    assert_int_equal(exp_compare_plan(&c, o, &err), OFF_OK);
    size_t cons = 0;
    *with_ee = 0;
    for (size_t r = 0; r < c.n_rows; r++) {
        cons += c.row[r].kind == EXP_CMP_CONST;
        *with_ee += c.row[r].kind == EXP_CMP_CONST && strstr(c.row[r].label, "early exit 0.3");
    }
    exp_compare_free(&c);
    return cons;
}

static void plan_takes_the_stored_early_exit(void **state)
{
    (void)state;
    /* an agent's checkpoint as far as the plan reads it: its kind, and
     * the section with early_exit 0.3 (a double by its little-endian bits) */
    char path[128];
    snprintf(path, sizeof path, "/tmp/offsim-cmpee-%ld.ckpt", (long)getpid());
    double v = 0.3;
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    uint8_t bits[8];
    for (int i = 0; i < 8; i++)
        bits[i] = (uint8_t)(u >> (8 * i));
    mdl_tensor_rec t[2] = {{.name = "kind", .dtype = MDL_DT_U8, .ndim = 1, .dims = {3},
                            .nbytes = 3, .data = "ppo"},
                           {.name = "rl.early_exit", .dtype = MDL_DT_U8, .ndim = 1,
                            .dims = {8}, .nbytes = 8, .data = bits}};
    off_err err = {0};
    assert_int_equal(mdl_weights_write(path, t, 2, &err), OFF_OK);
    const char *const ck[] = {path};
    exp_compare_opts o = {.scenario = SCENARIO, .seeds = 3, .ckpt = ck, .n_ckpt = 1};
    size_t ee;
    /* 29 plain, and the 22 of the second exit again with the threshold */
    assert_int_equal(plan_constants(&o, &ee), 29 + 22);
    assert_int_equal(ee, 22);
    /* given, the key decides: 0 is no early exit */
    const scn_override off[] = {{"policy.early_exit", "0"}};
    o.set = off;
    o.n_set = 1;
    assert_int_equal(plan_constants(&o, &ee), 29);
    assert_int_equal(ee, 0);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pooled_by_hand),
        cmocka_unit_test(mean_half_skips_nan),
        cmocka_unit_test(plan_takes_the_stored_early_exit),
        cmocka_unit_test(plan_loads_and_validates),
        cmocka_unit_test(plan_refuses_non_checkpoints),
        cmocka_unit_test(bound_is_read_from_the_database_not_run_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
