/*
 * test_exp_claims.c - claims checked on small hand-made databases: each
 * kind holds where it should and fails where it should (the paired
 * interval computed here from GSL's t quantile), a claim without runs is
 * n/a, quick: false is skipped under --quick; the `quick:` block; the new
 * task metrics; positioned errors at load time; the table `claims`.
 *
 * The experiments name a scenario that is never loaded: the points get
 * hashes of our own, and the runs are written straight into the tables
 * with those hashes.
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "db_query.h"
#include "exp.h"
#include "res.h"

static exp_experiment e;
static res_db *db;
static char db_path[512];
static exp_claim_out *out;

/* The value of column col at point i (as written), or NULL. */
static const char *col(size_t i, const char *name)
{
    for (size_t c = 0; c < e.n_cols; c++)
        if (!strcmp(e.cols[c], name))
            return exp_cell(&e, i, c)->text;
    return NULL;
}

static double col_num(size_t i, const char *name)
{
    for (size_t c = 0; c < e.n_cols; c++)
        if (!strcmp(e.cols[c], name))
            return exp_cell(&e, i, c)->num;
    return NAN;
}

static void load_q(const char *text, bool quick)
{
    exp_cli cli = {.quick = quick};
    off_err err = {0};
    if (exp_load_text(&e, "x.yaml", text, strlen(text), &cli, &err))
        fail_msg("%s", err.msg);
    e.hash = calloc(e.n_points, sizeof *e.hash);
    for (size_t i = 0; i < e.n_points; i++)
        snprintf(e.hash[i], sizeof e.hash[i], "%016zx", i + 1);
}

/* A fresh database. */
static void db_new(void)
{
    const char *tmp = getenv("OFFSIM_TMP");
    if (tmp)
        mkdir(tmp, 0777);
    snprintf(db_path, sizeof db_path, "%s/claims-test-%d.db", tmp ? tmp : "/tmp", (int)getpid());
    remove(db_path);
    off_err err = {0};
    if (res_open(&db, db_path, &err))
        fail_msg("%s", err.msg);
}

static void exec(const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(res_handle(db), sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

/* A run of point i (ok) with latency_mean lat and accuracy acc. */
static void put_run(size_t i, double lat, double acc)
{
    char sql[512];
    const char *seed = col(i, "seed");
    snprintf(sql, sizeof sql,
             "INSERT INTO runs (run_id, scenario, config_text, config_hash, seed, policy, version,"
             " started_at, status, point_hash) VALUES (%zu, 's', '', 'h', %s, 'p', 'v', 't', 'ok',"
             " '%s');"
             "INSERT INTO summary (run_id, latency_mean, accuracy) VALUES (%zu, %.17g, %.17g);",
             i + 1, seed ? seed : "1", e.hash[i], i + 1, lat, acc);
    exec(sql);
}

/* Every point's run, latency from f. */
static void put_all(double (*f)(size_t i))
{
    for (size_t i = 0; i < e.n_points; i++)
        put_run(i, f(i), 0.5);
}

static void eval(void)
{
    off_err err = {0};
    free(out);
    out = NULL;
    if (exp_claims_eval(&e, db, &out, &err))
        fail_msg("%s", err.msg);
}

/* Each claim named h-* must hold, f-* fail, na-* be n/a, s-* be skipped. */
static void expect_all(void)
{
    eval();
    for (size_t i = 0; i < e.n_claims; i++) {
        const char *n = out[i].name;
        exp_verdict want = n[0] == 'h' ? EXP_HOLDS : n[0] == 'f' ? EXP_FAILS
                           : n[0] == 's'                        ? EXP_SKIPPED
                                                                : EXP_NA;
        if (out[i].verdict != want)
            fail_msg("claim %s: %s (%s | %s), expected %s", n,
                     exp_verdict_names[out[i].verdict], out[i].offsim, out[i].detail,
                     exp_verdict_names[want]);
    }
}

static int teardown(void **state)
{
    (void)state;
    free(out);
    out = NULL;
    res_close(db);
    db = NULL;
    remove(db_path);
    exp_free(&e);
    return 0;
}

#define HEAD                                                                                   \
    "name: t\nscenario: none.yaml\n"

/* ---- trend -------------------------------------------------------------- */

/* 1/rate, with a bump of 3 % up at rate 4, and a seed jitter of 1 %. */
static double trend_lat(size_t i)
{
    double r = col_num(i, "rate"), s = col_num(i, "seed");
    return (1.0 / r) * (r == 4 ? 2.06 : 1.0) * (1 + 0.01 * (s - 2));
}

static void test_trend_direction_tolerance_spearman(void **state)
{
    (void)state;
    load_q(HEAD "axes: {rate: [1, 2, 4, 8]}\nseeds: 3\nclaims:\n"
                "  - {name: f-dec-strict, says: s, kind: trend, along: rate, direction: decreasing}\n"
                "  - {name: h-dec-5pc, says: s, kind: trend, along: rate, direction: decreasing,"
                " tolerance: 5 %}\n"
                "  - {name: f-dec-2pc, says: s, kind: trend, along: rate, direction: decreasing,"
                " tolerance: 2 %}\n"
                "  - {name: f-inc, says: s, kind: trend, along: rate, direction: increasing,"
                " tolerance: 5 %}\n"
                "  - {name: h-rho-75, says: s, kind: trend, along: rate, direction: decreasing,"
                " spearman: 0.75}\n"
                "  - {name: f-rho-90, says: s, kind: trend, along: rate, direction: decreasing,"
                " spearman: 0.9}\n"
                "  - {name: na-one-value, says: s, kind: trend, along: rate, where: rate == 2,"
                " direction: decreasing}\n",
           false);
    db_new();
    put_all(trend_lat);
    /* means 1, 0.5, 0.515, 0.125: one step up by 3 %; ranks give rho = -0.8 */
    expect_all();
    assert_non_null(strstr(out[0].detail, "3 % against"));
    assert_non_null(strstr(out[4].offsim, "-0.800"));
}

/* Two policies: 'up' grows with the rate, 'down' falls; a third column
 * pooled without by. */
static double by_lat(size_t i)
{
    double r = col_num(i, "rate");
    return !strcmp(col(i, "policy"), "up") ? r : 1 / r;
}

static void test_trend_by_group_and_pooling(void **state)
{
    (void)state;
    load_q(HEAD "axes: {policy: [up, down], rate: [1, 2, 4]}\nseeds: 2\nclaims:\n"
                "  - {name: h-up, says: s, kind: trend, along: rate, direction: increasing,"
                " where: policy == 'up'}\n"
                "  - {name: f-by, says: s, kind: trend, along: rate, direction: increasing,"
                " by: policy}\n"
                "  - {name: na-pooled, says: s, kind: trend, along: rate, direction: increasing}\n",
           false);
    db_new();
    put_all(by_lat);
    expect_all();
    assert_non_null(strstr(out[1].detail, "down"));
    assert_non_null(strstr(out[2].detail, "differ in policy"));
}

/* ---- slope -------------------------------------------------------------- */

/* 2/rate up to 4, then flat. */
static double slope_lat(size_t i)
{
    double r = col_num(i, "rate");
    return 2 / (r <= 4e3 ? r : 4e3);
}

static void test_slope_range_and_bounds(void **state)
{
    (void)state;
    load_q(HEAD "axes: {rate: [1 kbps, 2 kbps, 4 kbps, 8 kbps, 16 kbps]}\nseeds: 2\nclaims:\n"
                "  - {name: h-to, says: s, kind: slope, along: rate, range: [-1.01, -0.99],"
                " to: 4 kbps}\n"
                "  - {name: f-all, says: s, kind: slope, along: rate, range: [-1.1, -0.9]}\n"
                "  - {name: h-flat, says: s, kind: slope, along: rate, range: [-0.01, 0.01],"
                " from: 4000}\n"
                "  - {name: na-one, says: s, kind: slope, along: rate, range: [-2, 0],"
                " from: 16 kbps}\n",
           false);
    db_new();
    put_all(slope_lat);
    expect_all();
    /* over all five: log-log least squares of (0,1,2,3,3) doublings */
    double x[5] = {0, 1, 2, 3, 4}, y[5] = {0, -1, -2, -2, -2}, mx = 2, my = -1.4, sxy = 0, sxx = 0;
    for (int k = 0; k < 5; k++)
        sxy += (x[k] - mx) * (y[k] - my), sxx += (x[k] - mx) * (x[k] - mx);
    char want[32];
    snprintf(want, sizeof want, "slope %.3f", sxy / sxx);
    assert_non_null(strstr(out[1].offsim, want));
}

/* ---- better: paired over seeds ------------------------------------------ */

/* Per seed a large common part (so that the unpaired interval is wide) and
 * a - b = d[seed]; 'c' better than a by 5 at every seed.  At rate 2 the
 * sides swap. */
static const double d_ab[5] = {-1.0e-3, -1.2e-3, -0.8e-3, -1.1e-3, -0.9e-3};

static double better_lat(size_t i)
{
    int s = atoi(col(i, "seed"));
    double base = 0.1 * s, r = col_num(i, "rate");
    const char *p = col(i, "point");
    double a = base + d_ab[s - 1];
    if (!strcmp(p, "a"))
        return r == 1 ? a : base - d_ab[s - 1];
    if (!strcmp(p, "b"))
        return base;
    return a - 5e-3;
}

/* mean + half of the paired interval of d_ab, by hand. */
static double upper_by_hand(void)
{
    double m = 0, ss = 0;
    for (int k = 0; k < 5; k++)
        m += d_ab[k] / 5;
    for (int k = 0; k < 5; k++)
        ss += (d_ab[k] - m) * (d_ab[k] - m);
    double sd = sqrt(ss / 4);
    return m + gsl_cdf_tdist_Pinv(0.975, 4) * sd / sqrt(5);
}

static void test_better_paired_interval(void **state)
{
    (void)state;
    double up = upper_by_hand(); /* -0.8037 ms */
    char text[4096];
    /* margin just inside and just outside the interval's upper end */
    snprintf(text, sizeof text,
             HEAD "axes: {rate: [1, 2]}\n"
                  "points: [{name: a, policy: local}, {name: b, policy: edge},"
                  " {name: c, policy: edge}]\nseeds: 5\nclaims:\n"
                  "  - {name: h-at1, says: s, kind: better, a: point == 'a', b: point == 'b',"
                  " at: rate == 1}\n"
                  "  - {name: h-margin-in, says: s, kind: better, a: point == 'a',"
                  " b: point == 'b', at: rate == 1, margin: %.6f ms}\n"
                  "  - {name: f-margin-out, says: s, kind: better, a: point == 'a',"
                  " b: point == 'b', at: rate == 1, margin: %.6f ms}\n"
                  "  - {name: f-all, says: s, kind: better, a: point == 'a', b: point == 'b'}\n"
                  "  - {name: h-some, says: s, kind: better, a: point == 'a', b: point == 'b',"
                  " some: true}\n"
                  "  - {name: f-two-b, says: s, kind: better, a: point == 'a',"
                  " b: [point == 'b', point == 'c'], at: rate == 1}\n"
                  "  - {name: h-higher, says: s, kind: better, a: point == 'b', b: point == 'a',"
                  " at: rate == 1, lower: false}\n"
                  "  - {name: na-one-seed, says: s, kind: better, a: point == 'a',"
                  " b: point == 'b', where: seed == 1}\n"
                  "  - {name: na-no-b, says: s, kind: better, a: point == 'a',"
                  " b: point == 'zz'}\n",
             -up * 1e3 - 1e-4, -up * 1e3 + 1e-4);
    load_q(text, false);
    db_new();
    put_all(better_lat);
    expect_all();
    /* the interval shown is the one computed here */
    double half = up - (-1.0e-3);
    char want[64];
    snprintf(want, sizeof want, "-1 +- %.4g ms (5 seeds)", half * 1e3);
    assert_non_null(strstr(out[0].offsim, want));
}

/* ---- value ---------------------------------------------------------------- */

static double value_lat(size_t i)
{
    return !strcmp(col(i, "point"), "x") ? 2.0 + 0.01 * atoi(col(i, "seed")) : 2.2;
}

static void test_value_tolerance(void **state)
{
    (void)state;
    load_q(HEAD "points: [{name: x, policy: local}, {name: y, policy: edge}]\nseeds: 3\n"
                "claims:\n"
                "  - {name: h-rel, says: s, kind: value, where: point == 'x', paper: 2.317 s,"
                " tolerance: 30 %, source: 'Li et al., Fig. 7'}\n"
                "  - {name: f-rel, says: s, kind: value, where: point == 'x', paper: 2.317 s,"
                " tolerance: 5 %}\n"
                "  - {name: f-abs, says: s, kind: value, where: point == 'x', paper: 2317 ms,"
                " tolerance: 0.2 s}\n"
                "  - {name: h-abs, says: s, kind: value, where: point == 'y', paper: 2317 ms,"
                " tolerance: 0.2 s}\n"
                "  - {name: h-acc, says: s, kind: value, metric: accuracy, paper: 50.5 %,"
                " tolerance: 1 %}\n"
                "  - {name: f-acc, says: s, kind: value, metric: accuracy, paper: 52 %,"
                " tolerance: 1 %}\n",
           false);
    db_new();
    put_all(value_lat);
    expect_all();
    assert_non_null(strstr(out[0].offsim, "2020 +- "));
    assert_non_null(strstr(out[0].offsim, "paper 2.317 s"));
}

/* ---- step ----------------------------------------------------------------- */

static double step_lat(size_t i)
{
    double r = col_num(i, "rate");
    const char *p = col(i, "point");
    if (!strcmp(p, "flat"))
        return 3;
    if (!strcmp(p, "never"))
        return 10;
    return r <= 200 ? 5 - r / 1000 : 1; /* a - flat: 1.9, 1.8, -2, -2 */
}

static void test_step_location_and_crossover(void **state)
{
    (void)state;
    load_q(HEAD "axes: {rate: [100 bps, 200 bps, 400 bps, 800 bps]}\n"
                "points: [{name: a, policy: local}, {name: flat, policy: edge},"
                " {name: never, policy: edge}]\nseeds: 2\nclaims:\n"
                "  - {name: h-step, says: s, kind: step, where: point == 'a', along: rate,"
                " between: [250 bps, 300 bps]}\n"
                "  - {name: f-step, says: s, kind: step, where: point == 'a', along: rate,"
                " between: [300 bps, 1 kbps]}\n"
                "  - {name: f-flat, says: s, kind: step, where: point == 'flat', along: rate,"
                " between: [0 bps, 1 kbps]}\n"
                "  - {name: h-cross, says: s, kind: step, a: point == 'a', b: point == 'flat',"
                " along: rate, between: [200 bps, 400 bps]}\n"
                "  - {name: f-cross, says: s, kind: step, a: point == 'a', b: point == 'flat',"
                " along: rate, between: [350 bps, 400 bps]}\n"
                "  - {name: f-no-cross, says: s, kind: step, a: point == 'a',"
                " b: point == 'never', along: rate, between: [0 bps, 1 kbps]}\n",
           false);
    db_new();
    put_all(step_lat);
    expect_all();
    /* the largest change: between 200 and 400 bps, at their geometric mean */
    char want[32];
    snprintf(want, sizeof want, "~%.4g bps", sqrt(200.0 * 400.0));
    assert_non_null(strstr(out[0].offsim, want));
    /* the crossover, interpolated on the log axis: 1.8 / 3.8 of the way */
    snprintf(want, sizeof want, "~%.4g bps", exp(log(200) + 1.8 / 3.8 * log(2)));
    assert_non_null(strstr(out[3].offsim, want));
}

/* ---- runs missing, quick ------------------------------------------------- */

static void test_no_runs_is_na_and_quick_skips(void **state)
{
    (void)state;
    const char *text = HEAD "axes: {rate: [1, 2, 4, 8]}\nseeds: 3\n"
                            "quick: {seeds: 2, axes: {rate: [1, 8]}}\nclaims:\n"
                            "  - {name: c1, says: s, kind: trend, along: rate,"
                            " direction: decreasing}\n"
                            "  - {name: c2, says: s, kind: value, paper: 1 s, tolerance: 1 s,"
                            " quick: false}\n";
    load_q(text, false);
    assert_int_equal(e.n_points, 12);
    db_new();
    eval();
    assert_int_equal(out[0].verdict, EXP_NA);
    assert_non_null(strstr(out[0].detail, "12 of the 12 points"));
    assert_int_equal(out[1].verdict, EXP_NA);
    /* a run for some points only: still n/a, not a partial check */
    put_run(0, 1, 1);
    eval();
    assert_int_equal(out[0].verdict, EXP_NA);
    assert_non_null(strstr(out[0].detail, "11 of the 12"));
    res_close(db);
    db = NULL;
    exp_free(&e);

    load_q(text, true);
    assert_int_equal(e.n_points, 4); /* 2 rates x 2 seeds */
    assert_string_equal(col(3, "rate"), "8");
    assert_string_equal(col(3, "seed"), "2");
    assert_non_null(strstr(e.text, "# offsim sweep --quick"));
    db_new();
    put_all(trend_lat);
    eval();
    assert_int_equal(out[0].verdict, EXP_HOLDS);
    assert_int_equal(out[1].verdict, EXP_SKIPPED);
}

/* ---- the task metrics ----------------------------------------------------- */

static double one(size_t i)
{
    (void)i;
    return 1;
}

static void test_task_metrics(void **state)
{
    (void)state;
    load_q(HEAD "axes: {rate: [1, 2]}\nclaims:\n"
                "  - {name: h-exit, says: s, kind: trend, metric: exit_mean, along: rate,"
                " direction: increasing}\n",
           false);
    db_new();
    put_all(one);
    /* run 1: exits 0, 2 and an unfinished 4 (left out); run 2: exit 3 */
    exec("INSERT INTO tasks (run_id, task_id, device, device_name, server, t_arrival, t_done,"
         " exit, split, bits) VALUES"
         " (1, 0, 0, 'd', 0, 0, 1, 0, 1, 4), (1, 1, 0, 'd', NULL, 0, 1, 2, 3, 0),"
         " (1, 2, 0, 'd', 0, 0, NULL, 4, 5, 8), (2, 0, 0, 'd', NULL, 0, 1, 3, 2, 0)");
    const char *names[] = {"exit_mean", "split_mean", "bits_mean"};
    double want[2][3] = {{1, 3, 6}, {3, 2, NAN}};
    int64_t runs[2] = {1, 2};
    for (int m = 0; m < 3; m++) {
        off_err err = {0};
        const res_metric_info *mi = res_metric_find(names[m], &err);
        assert_non_null(mi);
        double v[2];
        assert_int_equal(res_metric_values(db, mi, runs, 2, v, &err), OFF_OK);
        for (int r = 0; r < 2; r++)
            if (isnan(want[r][m]))
                assert_true(isnan(v[r]));
            else
                assert_float_equal(v[r], want[r][m], 1e-12);
    }
    expect_all();
}

/* ---- errors at load time --------------------------------------------------- */

static const char *load_err(const char *claims)
{
    static off_err err;
    char text[2048];
    snprintf(text, sizeof text, HEAD "axes: {rate: [1, 2]}\npoints: [{name: a, policy: local}]\n"
                                     "seeds: 2\nclaims:\n%s", claims);
    memset(&err, 0, sizeof err);
    assert_int_not_equal(exp_load_text(&e, "x.yaml", text, strlen(text), NULL, &err), OFF_OK);
    assert_int_equal(e.n_points, 0);
    return err.msg;
}

static void test_load_errors_positioned(void **state)
{
    (void)state;
    static const struct { const char *claims, *want; } cases[] = {
        {"  - {name: x, says: s, kind: trnd}\n", "x.yaml:7:30: unknown claims[0].kind 'trnd' (did you mean 'trend'?)"},
        {"  - {name: x, says: s, kind: value, metric: latncy, paper: 1 s, tolerance: 1 s}\n",
         "x.yaml:7:45: claims[0].metric: unknown metric 'latncy' (did you mean 'latency'?)"},
        {"  - {name: x, says: s, kind: trend, along: rte, direction: increasing}\n",
         "x.yaml:7:44: unknown claims[0].along axis 'rte' (did you mean 'rate'?)"},
        {"  - {name: x, says: s, kind: trend, along: seed, direction: increasing}\n",
         "x.yaml:7:44: claims[0].along axis: not the seed"},
        {"  - {name: x, says: s, kind: value, paper: 1 s, tolerance: 1 s, where: pont == 'a'}\n",
         "x.yaml:7:72: filter: unknown axis 'pont' (did you mean 'point'?)"},
        {"  - {name: x, says: s, kind: trend, along: rate, direction: up}\n",
         "x.yaml:7:61: unknown claims[0].direction 'up'"},
        {"  - {name: x, says: s, kind: trend, along: rate, direction: increasing,"
         " spearmn: 0.9}\n",
         "x.yaml:7:73: unknown key 'spearmn' in claims[0] (did you mean 'spearman'?)"},
        {"  - {name: x, says: s, kind: slope, along: rate, range: [-1, 0], spearman: 0.9}\n",
         "x.yaml:7:66: claims[0]: 'spearman' is not a key of a slope claim"},
        {"  - {name: x, says: s, kind: slope, along: rate, range: [0, -1]}\n",
         "x.yaml:7:57: claims[0].range: the low end is above the high end"},
        {"  - {name: x, says: s, kind: value, paper: 3 J, tolerance: 1 %}\n",
         "x.yaml:7:44: claims[0].paper: '3 J' is an energy, expected a duration"},
        {"  - {name: x, says: s, kind: better, metric: exit_mean, a: point == 'a',"
         " b: point == 'a'}\n",
         "x.yaml:7:5: claims[0]: say whether lower exit_mean is better"},
        {"  - {name: x, says: s, kind: trend, along: rate, direction: increasing,"
         " tolerance: 5 %, spearman: 0.9}\n",
         "give tolerance or spearman, not both"},
        {"  - {name: x, says: s, kind: value, paper: 1 s, tolerance: 1 s}\n"
         "  - {name: x, says: s, kind: value, paper: 1 s, tolerance: 1 s}\n",
         "x.yaml:8:12: claims[1].name: 'x' is claims[0]'s name too"},
        {"  - {name: x, kind: value, paper: 1 s, tolerance: 1 s}\n", "claims[0] has no 'says'"},
        {"  - {name: x, says: s, kind: step, along: rate, between: [1, 2], a: point == 'a'}\n",
         "x.yaml:7:5: claims[0] has a but no b"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        const char *msg = load_err(cases[k].claims);
        if (!strstr(msg, cases[k].want))
            fail_msg("case %zu: got '%s', want '%s'", k, msg, cases[k].want);
    }
    const char *bad_quick = HEAD "axes: {rate: [1, 2]}\nquick: {axes: {rat: [1]}}\n";
    off_err err = {0};
    assert_int_not_equal(exp_load_text(&e, "x.yaml", bad_quick, strlen(bad_quick), NULL, &err),
                         OFF_OK);
    assert_non_null(strstr(err.msg, "x.yaml:4:16: quick.axes: 'rat' is not an axis of the "
                                    "experiment (did you mean 'rate'?)"));
}

/* ---- the record: table claims and claims.md ------------------------------- */

static void test_check_writes_table_and_markdown(void **state)
{
    (void)state;
    load_q(HEAD "axes: {rate: [1, 2, 4, 8]}\nseeds: 3\nclaims:\n"
                "  - {name: falls, says: 'it | falls', source: Fig. 7, kind: trend, along: rate,"
                " direction: decreasing, tolerance: 5 %}\n"
                "  - {name: rises, says: s, kind: trend, along: rate, direction: increasing}\n",
           false);
    db_new();
    put_all(trend_lat);
    res_close(db);
    db = NULL;
    off_err err = {0};
    size_t failed = 9;
    FILE *devnull = fopen("/dev/null", "w");
    assert_int_equal(exp_claims_check(&e, db_path, devnull, &failed, &err), OFF_OK);
    fclose(devnull);
    assert_int_equal(failed, 1);
    assert_int_equal(query_int(db_path, "SELECT count(*) FROM claims WHERE experiment = 't'"), 2);
    assert_int_equal(query_int(db_path, "SELECT count(*) FROM claims WHERE name = 'falls' AND"
                                        " verdict = 'holds' AND source = 'Fig. 7'"), 1);
    assert_int_equal(query_int(db_path, "PRAGMA user_version"), 6);
    /* checked again: replaced, not added */
    assert_int_equal(exp_claims_check(&e, db_path, NULL, &failed, &err), OFF_OK);
    assert_int_equal(query_int(db_path, "SELECT count(*) FROM claims"), 2);
    char md[600];
    snprintf(md, sizeof md, "%.*s-figures/claims.md", (int)(strlen(db_path) - 3), db_path);
    FILE *f = fopen(md, "r");
    assert_non_null(f);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_non_null(strstr(buf, "# Claims of t"));
    assert_non_null(strstr(buf, "| falls (trend) | it \\| falls [Fig. 7] |"));
    remove(md);
    md[strlen(md) - strlen("/claims.md")] = '\0';
    rmdir(md);
}

/* A version-4 database (the schema without claims) gains the table when
 * opened for writing, its rows kept. */
static void test_v4_database_migrates(void **state)
{
    (void)state;
    load_q(HEAD "axes: {rate: [1, 2]}\n", false);
    db_new();
    put_all(one);
    db_make_v4(res_handle(db));
    res_close(db);
    db = NULL;
    assert_int_equal(query_int(db_path, "SELECT count(*) FROM sqlite_master WHERE name = 'claims'"),
                     0);
    off_err err = {0};
    if (res_open(&db, db_path, &err))
        fail_msg("%s", err.msg);
    res_close(db);
    db = NULL;
    assert_int_equal(query_int(db_path, "PRAGMA user_version"), 6);
    assert_int_equal(query_int(db_path, "SELECT count(*) FROM sqlite_master WHERE name = 'claims'"),
                     1);
    assert_int_equal(query_int(db_path, "SELECT count(*) FROM runs"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_trend_direction_tolerance_spearman, teardown),
        cmocka_unit_test_teardown(test_trend_by_group_and_pooling, teardown),
        cmocka_unit_test_teardown(test_slope_range_and_bounds, teardown),
        cmocka_unit_test_teardown(test_better_paired_interval, teardown),
        cmocka_unit_test_teardown(test_value_tolerance, teardown),
        cmocka_unit_test_teardown(test_step_location_and_crossover, teardown),
        cmocka_unit_test_teardown(test_no_runs_is_na_and_quick_skips, teardown),
        cmocka_unit_test_teardown(test_task_metrics, teardown),
        cmocka_unit_test_teardown(test_load_errors_positioned, teardown),
        cmocka_unit_test_teardown(test_check_writes_table_and_markdown, teardown),
        cmocka_unit_test_teardown(test_v4_database_migrates, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
