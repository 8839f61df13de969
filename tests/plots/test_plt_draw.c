/* test_plt_draw.c - the latency CDF and the learning curves through gnuplot. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plt.h"

static char dir[] = "/tmp/offsim-plt-XXXXXX";

static void make_db(const char *p, size_t n_tasks)
{
    res_db *db;
    off_err e;
    assert_int_equal(res_open(&db, p, &e), OFF_OK);
    res_run_info info = {"plot_test", "x.yaml", "", "", 1, 1, "edge"};
    int64_t run;
    assert_int_equal(res_run_begin(db, &info, &run, &e), OFF_OK);
    for (size_t i = 0; i < n_tasks; i++) {
        res_task_row r = {0};
        r.task_id = (int64_t)i;
        r.device_name = "d";
        r.sample = -1;
        r.latency_s = 0.001 * (double)(1 + i % 97);
        assert_int_equal(res_add_task(db, run, &r, &e), OFF_OK);
    }
    res_close(db);
}

static size_t files_in(const char *d)
{
    DIR *dp = opendir(d);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(dp)))
        n += de->d_name[0] != '.';
    closedir(dp);
    return n;
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
    assert_int_equal(res_open(&db, p, &e), OFF_OK);
    res_run_info info = {"plot_test", "x.yaml", "", "", 1, 1, "ppo"};
    int64_t run;
    assert_int_equal(res_run_begin(db, &info, &run, &e), OFF_OK);
    for (int k = 1; k <= 50; k++) {
        res_train_row r = {.step = 100 * (uint64_t)k, .episode = (uint64_t)k / 10,
                           .updates = (uint64_t)k, .reward_mean = 1.0 - 1.0 / k,
                           .episode_return = NAN, .temperature = NAN};
        assert_int_equal(res_add_training(db, run, &r, &e), OFF_OK);
    }
    assert_int_equal(res_run_end(db, run, "ok", 1.0, NULL, &e), OFF_OK);
    res_close(db);
    assert_int_equal(res_open_readonly(&db, p, &e), OFF_OK);
    assert_int_equal(plt_draw(db, &o, out, sizeof out, &e), OFF_OK);
    res_close(db);
    char expect[300];
    snprintf(expect, sizeof expect, "%s/l-learning.png", dir);
    assert_string_equal(out, expect);
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
        cmocka_unit_test(test_database_without_finished_tasks_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
