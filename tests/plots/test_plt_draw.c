/* test_plt_draw.c - the latency CDF and the learning curves through gnuplot:
 * the PNG is written and the temporary files removed, and the data that
 * gnuplot plots (plt_write_data, read back) have one curve per run, the
 * right number of points and the values of the database. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plt.h"
#include "plt_testing.h"

static char dir[] = "/tmp/offsim-plt-XXXXXX";

/* Latency of task i of a test run, in seconds: 1..97 ms. */
static double latency_of(size_t i)
{
    return 0.001 * (double)(1 + i % 97);
}

/* A run of policy and seed begun in the database at p (created if
 * missing), left open in *db: its id. */
static int64_t begin_run(const char *p, const char *policy, int seed, res_db **db)
{
    off_err e;
    assert_int_equal(res_open(db, p, &e), OFF_OK);
    res_run_info info = {"plot_test", "x.yaml", "", "", 1, (uint64_t)seed, policy};
    int64_t run;
    assert_int_equal(res_run_begin(*db, &info, &run, &e), OFF_OK);
    return run;
}

/* A run of n_tasks finished tasks (latency_of) appended to the database
 * at p (created if missing). */
static void add_run(const char *p, size_t n_tasks, const char *policy)
{
    res_db *db;
    off_err e;
    int64_t run = begin_run(p, policy, 1, &db);
    for (size_t i = 0; i < n_tasks; i++) {
        res_task_row r = {0};
        r.task_id = (int64_t)i;
        r.device_name = "d";
        r.sample = -1;
        r.latency_s = latency_of(i);
        assert_int_equal(res_add_task(db, run, &r, &e), OFF_OK);
    }
    res_close(db);
}

static void make_db(const char *p, size_t n_tasks)
{
    add_run(p, n_tasks, "edge");
}

/* The file at path starts with the PNG signature. */
static void assert_png(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char magic[8];
    assert_int_equal(fread(magic, 1, 8, f), 8);
    fclose(f);
    assert_memory_equal(magic, "\x89PNG\r\n\x1a\n", 8);
}

/* A plot's data read back: points per curve and the points themselves. */
enum { MAX_CURVES = 8, MAX_POINTS = 4000 };
typedef struct plot_data {
    size_t n_curves, n[MAX_CURVES];
    double x[MAX_CURVES][MAX_POINTS], y[MAX_CURVES][MAX_POINTS];
    double half[MAX_CURVES][MAX_POINTS]; /* a band's third column, else 0 */
    int cnt[MAX_CURVES][MAX_POINTS];     /* a band's fourth column, else 0 */
} plot_data;

static plot_data pd;

/* Writes the data of kind for the database at p and parses it: blocks
 * separated by blank lines, "x y" per line. */
static void read_plot_data(const char *p, plt_kind kind)
{
    res_db *db;
    off_err e;
    char data[300], line[256];
    snprintf(data, sizeof data, "%s.data", p);
    assert_int_equal(res_open_readonly(&db, p, &e), OFF_OK);
    size_t n_curves;
    assert_int_equal(plt_write_data(db, kind, data, &n_curves, &e), OFF_OK);
    res_close(db);
    FILE *f = fopen(data, "r");
    assert_non_null(f);
    memset(&pd, 0, sizeof pd);
    bool blank = true;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        if (line[0] == '\n') {
            blank = true;
            continue;
        }
        if (blank)
            pd.n_curves++;
        blank = false;
        size_t c = pd.n_curves - 1;
        assert_true(c < MAX_CURVES && pd.n[c] < MAX_POINTS);
        size_t i = pd.n[c];
        int got = sscanf(line, "%lf %lf %lf %d", &pd.x[c][i], &pd.y[c][i], &pd.half[c][i],
                         &pd.cnt[c][i]);
        assert_int_equal(got, kind == PLT_LEARNING_BAND ? 4 : 2);
        pd.n[c]++;
    }
    fclose(f);
    unlink(data);
    assert_int_equal(pd.n_curves, n_curves);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Curve c is the CDF of n tasks of latency_of: every step-th rank and the
 * last (step = n / 2000 above 2,000 tasks), x in ms, y = rank / n. */
static void assert_cdf(size_t c, size_t n)
{
    static double sorted[10000];
    assert_true(n <= 10000);
    for (size_t i = 0; i < n; i++)
        sorted[i] = latency_of(i);
    qsort(sorted, n, sizeof *sorted, cmp_double);
    size_t step = n > 2000 ? n / 2000 : 1, k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % step != 0 && i != n - 1)
            continue;
        assert_true(k < pd.n[c]);
        assert_true(fabs(pd.x[c][k] - sorted[i] * 1e3) < 1e-6);
        assert_true(fabs(pd.y[c][k] - (double)(i + 1) / (double)n) < 1e-9);
        k++;
    }
    assert_int_equal(pd.n[c], k);
    assert_true(pd.y[c][k - 1] == 1.0);
}


/* Two runs: two curves, the first of 5,000 tasks thinned to 2,501
 * points, the second of 40 tasks drawn whole. */
static void test_latency_cdf_data(void **state)
{
    (void)state;
    char p[256];
    if (strstr(dir, "XXXXXX")) /* gnuplot missing: the PNG test made no folder */
        assert_non_null(mkdtemp(dir));
    snprintf(p, sizeof p, "%s/cdf.db", dir);
    make_db(p, 5000);
    add_run(p, 40, "local");
    read_plot_data(p, PLT_LATENCY_CDF);
    assert_int_equal(pd.n_curves, 2);
    assert_int_equal(pd.n[0], 2501);
    assert_int_equal(pd.n[1], 40);
    assert_cdf(0, 5000);
    assert_cdf(1, 40);
    assert_true(pd.x[0][0] == 1.0 && pd.x[0][2500] == 97.0);
}

static void test_latency_cdf_writes_a_png_and_cleans_up(void **state)
{
    (void)state;
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        printf("  gnuplot not installed: skipped\n");
        skip();
    }
    assert_non_null(mkdtemp(dir));
    char p[256], out[4096];
    snprintf(p, sizeof p, "%s/r.db", dir);
    make_db(p, 5000);
    res_db *db;
    off_err e;
    assert_int_equal(res_open_readonly(&db, p, &e), OFF_OK);
    plt_opts o = {PLT_LATENCY_CDF, NULL, 0, 0};
    assert_int_equal(plt_draw(db, &o, out, sizeof out, &e), OFF_OK);
    res_close(db);
    char expect[300];
    snprintf(expect, sizeof expect, "%s/r-latency.png", dir);
    assert_string_equal(out, expect);
    assert_png(out);
    /* only the database (and its WAL files) and the plot remain */
    size_t n = files_in(dir);
    assert_true(n >= 2 && n <= 4);
}

/* A training run of policy at p: reward_mean r[k] at step 100 (k + 1). */
static void add_training(const char *p, const char *policy, int seed, const double *r, int n)
{
    res_db *db;
    off_err e;
    int64_t run = begin_run(p, policy, seed, &db);
    for (int k = 0; k < n; k++) {
        res_train_row row = {.step = 100 * (uint64_t)(k + 1), .episode = 1, .updates = 1,
                             .reward_mean = r[k], .episode_return = NAN, .temperature = NAN};
        assert_int_equal(res_add_training(db, run, &row, &e), OFF_OK);
    }
    assert_int_equal(res_run_end(db, run, "ok", 1.0, NULL, &e), OFF_OK);
    res_close(db);
}

/* Learning curves: a PNG from the training table; none is an error. */
static void test_learning_curves(void **state)
{
    (void)state;
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        printf("  gnuplot not installed: skipped\n");
        skip();
    }
    char p[256], out[4096];
    snprintf(p, sizeof p, "%s/l.db", dir);
    make_db(p, 10);
    res_db *db;
    off_err e;
    plt_opts o = {PLT_LEARNING, NULL, 0, 0};
    assert_int_equal(res_open_readonly(&db, p, &e), OFF_OK);
    assert_int_equal(plt_draw(db, &o, out, sizeof out, &e), OFF_EINVAL);
    assert_non_null(strstr(e.msg, "no learning curve"));
    res_close(db);
    double r[50];
    for (int k = 1; k <= 50; k++)
        r[k - 1] = 1.0 - 1.0 / k;
    add_training(p, "ppo", 1, r, 50);
    assert_int_equal(res_open_readonly(&db, p, &e), OFF_OK);
    assert_int_equal(plt_draw(db, &o, out, sizeof out, &e), OFF_OK);
    res_close(db);
    char expect[300];
    snprintf(expect, sizeof expect, "%s/l-learning.png", dir);
    assert_string_equal(out, expect);
    assert_png(out);
    /* the plotted curve: the 50 rows of the training table */
    read_plot_data(p, PLT_LEARNING);
    assert_int_equal(pd.n_curves, 1);
    assert_int_equal(pd.n[0], 50);
    for (int k = 1; k <= 50; k++) {
        assert_true(pd.x[0][k - 1] == 100.0 * k);
        assert_true(fabs(pd.y[0][k - 1] - (1.0 - 1.0 / k)) < 1e-8);
    }
}

/* Learning curves over seeds: one band per policy, the mean over its runs
 * at each step and the 95 % t half-width, computed here by hand. */
static void test_learning_bands(void **state)
{
    (void)state;
    char p[256], out[4096];
    snprintf(p, sizeof p, "%s/b.db", dir);
    make_db(p, 10); /* a run without a learning curve: in no band */
    /* ppo, 3 seeds, 5 steps: 0.1, 0.2, 0.6 above 0.01 x step index */
    static const double base[3] = {0.1, 0.2, 0.6};
    for (int k = 0; k < 3; k++) {
        double r[5];
        for (int j = 0; j < 5; j++)
            r[j] = base[k] + 0.01 * (j + 1);
        add_training(p, "ppo", k + 1, r, 5);
    }
    /* sac-discrete, 2 seeds; the second logged only the first step */
    add_training(p, "sac-discrete", 1, (const double[]){0.5, 0.7}, 2);
    add_training(p, "sac-discrete", 2, (const double[]){0.3}, 1);
    read_plot_data(p, PLT_LEARNING_BAND);
    assert_int_equal(pd.n_curves, 2);
    assert_int_equal(pd.n[0], 5);
    for (int j = 0; j < 5; j++) {
        assert_true(pd.x[0][j] == 100.0 * (j + 1));
        /* mean 0.3 + 0.01 (j + 1); sd sqrt(0.07); t(0.975, 2) = 4.302653:
         * 4.302653 x 0.264575 / sqrt(3) = 0.657241 */
        assert_true(fabs(pd.y[0][j] - (0.3 + 0.01 * (j + 1))) < 1e-8);
        assert_true(fabs(pd.half[0][j] - 0.657241) < 1e-6);
        assert_int_equal(pd.cnt[0][j], 3);
    }
    /* sac step 100: 0.5 and 0.3, mean 0.4, sd sqrt(0.02), t(0.975, 1) =
     * 12.706205: half 12.706205 x 0.141421 / sqrt(2) = 1.270620; step 200:
     * one run, no band */
    assert_int_equal(pd.n[1], 2);
    assert_true(fabs(pd.y[1][0] - 0.4) < 1e-8);
    assert_true(fabs(pd.half[1][0] - 1.270620) < 1e-6);
    assert_int_equal(pd.cnt[1][0], 2);
    assert_true(fabs(pd.y[1][1] - 0.7) < 1e-8);
    assert_true(pd.half[1][1] == 0.0);
    assert_int_equal(pd.cnt[1][1], 1);
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        printf("  gnuplot not installed: drawing skipped\n");
        return;
    }
    res_db *db;
    off_err e;
    plt_opts o = {PLT_LEARNING_BAND, NULL, 0, 0};
    assert_int_equal(res_open_readonly(&db, p, &e), OFF_OK);
    assert_int_equal(plt_draw(db, &o, out, sizeof out, &e), OFF_OK);
    res_close(db);
    assert_png(out);
}

static void test_database_without_finished_tasks_is_an_error(void **state)
{
    (void)state;
    char p[256], out[4096];
    snprintf(p, sizeof p, "%s/empty.db", dir);
    make_db(p, 0);
    res_db *db;
    off_err e;
    assert_int_equal(res_open_readonly(&db, p, &e), OFF_OK);
    plt_opts o = {PLT_LATENCY_CDF, NULL, 0, 0};
    assert_int_equal(plt_draw(db, &o, out, sizeof out, &e), OFF_EINVAL);
    assert_non_null(strstr(e.msg, "no finished tasks to plot"));
    res_close(db);
    snprintf(out, sizeof out, "rm -rf '%s'", dir);
    assert_int_equal(system(out), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_latency_cdf_writes_a_png_and_cleans_up),
        cmocka_unit_test(test_learning_curves),
        cmocka_unit_test(test_learning_bands),
        cmocka_unit_test(test_latency_cdf_data),
        cmocka_unit_test(test_database_without_finished_tasks_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
