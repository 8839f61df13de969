/* test_plt_sweep.c - sweep figures: PNG, PDF and SVG written (non-empty,
 * the format's signature, no temporary file left), the data gnuplot plots
 * read back (one series per value of by, one point per value of x, in
 * display units: Mbit/s on x, ms on y; the error bar the group's
 * interval), the baseline's line left out of the data, categories on x,
 * a metric on x joined along an axis, and the errors (extension, log of
 * 0, baseline axis). */
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
#include "results/agg_testing.h"

static char dir[] = "/tmp/offsim-pltsw-XXXXXX";
static char db_path[300];

static const char *const rates[] = {"500 kbps@5e5", "2 Mbps@2e6", "8 Mbps@8e6"};

/* Latency of a run: the policy's, falling with the rate, plus per-seed noise. */
static double lat(int p, int r, unsigned s)
{
    return (p ? 0.004 : 0.012) / (1 + r) + 0.0005 * s;
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    snprintf(db_path, sizeof db_path, "%s/sweep.db", dir);
    for (int p = 0; p < 2; p++)
        for (int r = 0; r < 3; r++)
            for (unsigned s = 1; s <= 3; s++) {
                char params[160];
                snprintf(params, sizeof params, "policy=%s;uplink.rate=%s;seed=%u@%u",
                         p ? "edge" : "local", rates[r], s, s);
                agg_add_run(db_path, p ? "edge" : "local", s, "ok", lat(p, r, s), 0.001, params);
            }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* The file at path is non-empty and starts with magic. */
static void assert_starts(const char *path, const char *magic, size_t len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char buf[64] = {0};
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(n >= len);
    assert_memory_equal(buf, magic, len);
}

/* Data read back: series, points of each, x y half. */
enum { MAX_S = 4, MAX_P = 8 };
static struct {
    size_t n_series, n[MAX_S];
    char name[MAX_S][64];
    double x[MAX_S][MAX_P], y[MAX_S][MAX_P], h[MAX_S][MAX_P];
    double xh[MAX_S][MAX_P]; /* x's half-width: a metric on x (4 columns) */
} rd;

static void read_back(const plt_sweep_spec *spec)
{
    char data[400], line[256];
    snprintf(data, sizeof data, "%s/fig.data", dir);
    res_db *db;
    off_err e;
    assert_int_equal(res_open_readonly(&db, db_path, &e), OFF_OK);
    size_t ns, np;
    assert_int_equal(plt_sweep_write_data(db, spec, data, &ns, &np, &e), OFF_OK);
    res_close(db);
    memset(&rd, 0, sizeof rd);
    FILE *f = fopen(data, "r");
    assert_non_null(f);
    size_t total = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') {
            assert_true(rd.n_series < MAX_S);
            sscanf(line, "# %63s", rd.name[rd.n_series++]);
            continue;
        }
        if (line[0] == '\n')
            continue;
        size_t c = rd.n_series - 1, k = rd.n[c]++;
        assert_true(k < MAX_P);
        double v[4];
        int got = sscanf(line, "%lf %lf %lf %lf", &v[0], &v[1], &v[2], &v[3]);
        assert_int_equal(got, spec->x_metric ? 4 : 3);
        rd.x[c][k] = v[0];
        rd.y[c][k] = v[1];
        rd.xh[c][k] = got == 4 ? v[2] : 0;
        rd.h[c][k] = got == 4 ? v[3] : v[2];
        total++;
    }
    fclose(f);
    unlink(data);
    assert_int_equal(rd.n_series, ns);
    assert_int_equal(total, np);
}

static void test_data_series_points_units(void **state)
{
    (void)state;
    plt_sweep_spec spec = {.x = "uplink.rate", .y = "latency", .by = "policy"};
    read_back(&spec);
    assert_int_equal(rd.n_series, 2);
    assert_string_equal(rd.name[0], "policy=edge");
    assert_string_equal(rd.name[1], "policy=local");
    for (int s = 0; s < 2; s++) {
        int p = s == 0; /* edge first */
        assert_int_equal(rd.n[s], 3);
        static const double mbps[] = {0.5, 2, 8};
        for (int r = 0; r < 3; r++) {
            assert_true(fabs(rd.x[s][r] - mbps[r]) < 1e-9);
            double mean = (lat(p, r, 1) + lat(p, r, 2) + lat(p, r, 3)) / 3;
            assert_true(fabs(rd.y[s][r] - mean * 1e3) < 1e-6);
            /* sd of 0.5, 1, 1.5 ms is 0.5 ms: t(0.975, 2) 0.5 / sqrt(3) */
            assert_true(fabs(rd.h[s][r] - 4.302652729749464 * 0.5 / sqrt(3.0)) < 1e-6);
        }
    }
}

/* A metric on x joined along the rate: x is the mean energy (1 mJ, the
 * same in every run: no interval), y the mean latency, in the rate's order
 * (latency falls along it); a baseline is refused. */
static void test_metric_on_x_along_an_axis(void **state)
{
    (void)state;
    plt_sweep_spec spec = {.x = "uplink.rate", .y = "latency", .by = "policy",
                           .x_metric = "energy_mean_j"};
    read_back(&spec);
    assert_int_equal(rd.n_series, 2);
    for (int s = 0; s < 2; s++) {
        int p = s == 0;
        assert_int_equal(rd.n[s], 3);
        for (int r = 0; r < 3; r++) {
            assert_true(fabs(rd.x[s][r] - 1.0) < 1e-9); /* mJ */
            assert_true(fabs(rd.xh[s][r]) < 1e-12);
            double mean = (lat(p, r, 1) + lat(p, r, 2) + lat(p, r, 3)) / 3;
            assert_true(fabs(rd.y[s][r] - mean * 1e3) < 1e-6);
            assert_true(fabs(rd.h[s][r] - 4.302652729749464 * 0.5 / sqrt(3.0)) < 1e-6);
        }
    }
    res_db *db;
    off_err e = {0};
    assert_int_equal(res_open_readonly(&db, db_path, &e), OFF_OK);
    char out[400];
    snprintf(out, sizeof out, "%s/xm.png", dir);
    plt_sweep_spec base = spec;
    base.baseline = "policy=local";
    assert_int_equal(plt_sweep_figure(db, &base, out, &e), OFF_EUSAGE);
    assert_non_null(strstr(e.msg, "has no baseline"));
    res_close(db);
}

static void test_baseline_and_categories(void **state)
{
    (void)state;
    plt_sweep_spec spec = {.x = "uplink.rate", .by = "policy", .baseline = "policy=local"};
    read_back(&spec);
    assert_int_equal(rd.n_series, 1); /* the baseline is the line y = 0 */
    assert_string_equal(rd.name[0], "policy=edge");
    for (int r = 0; r < 3; r++) {
        assert_true(fabs(rd.y[0][r] - (lat(1, r, 1) - lat(0, r, 1)) * 1e3) < 1e-6);
        assert_true(fabs(rd.h[0][r]) < 1e-9); /* common noise cancels */
    }
    plt_sweep_spec cat = {.x = "policy", .y = "energy"};
    read_back(&cat);
    assert_int_equal(rd.n_series, 1);
    assert_int_equal(rd.n[0], 2);
    assert_true(rd.x[0][0] == 0 && rd.x[0][1] == 1); /* edge, local */
    assert_true(fabs(rd.y[0][0] - 1.0) < 1e-9);      /* mJ */
}

static void draw(const char *name, const plt_sweep_spec *spec, const char *magic, size_t len)
{
    char out[400];
    snprintf(out, sizeof out, "%s/%s", dir, name);
    res_db *db;
    off_err e;
    assert_int_equal(res_open_readonly(&db, db_path, &e), OFF_OK);
    size_t before = files_in(dir);
    off_status st = plt_sweep_figure(db, spec, out, &e);
    if (st != OFF_OK)
        fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(st, OFF_OK);
    res_close(db);
    assert_int_equal(files_in(dir), before + 1); /* no temporary file left */
    assert_starts(out, magic, len);
}

static void test_png_pdf_svg(void **state)
{
    (void)state;
    if (system("command -v gnuplot >/dev/null 2>&1") != 0)
        skip();
    plt_sweep_spec spec = {.x = "uplink.rate", .by = "policy", .logx = true};
    draw("lat.png", &spec, "\x89PNG\r\n\x1a\n", 8);
    draw("lat.pdf", &spec, "%PDF", 4);
    draw("lat.svg", &spec, "<?xml", 5);
    plt_sweep_spec diff = {.x = "uplink.rate", .by = "policy", .baseline = "policy=local",
                           .y = "p95", .title = "a \"quoted\" title_with_specials"};
    draw("diff.png", &diff, "\x89PNG\r\n\x1a\n", 8);
}

static void test_errors(void **state)
{
    (void)state;
    res_db *db;
    off_err e;
    assert_int_equal(res_open_readonly(&db, db_path, &e), OFF_OK);
    char out[400];
    snprintf(out, sizeof out, "%s/x.gif", dir);
    plt_sweep_spec spec = {.x = "uplink.rate", .by = "policy"};
    assert_int_equal(plt_sweep_figure(db, &spec, out, &e), OFF_EUSAGE);
    assert_non_null(strstr(e.msg, ".png, .pdf or .svg"));
    snprintf(out, sizeof out, "%s/x.png", dir);
    plt_sweep_spec same = {.x = "policy", .by = "policy"};
    assert_int_equal(plt_sweep_figure(db, &same, out, &e), OFF_EUSAGE);
    plt_sweep_spec base = {.x = "policy", .by = "uplink.rate", .baseline = "policy=local"};
    assert_int_equal(plt_sweep_figure(db, &base, out, &e), OFF_EUSAGE);
    plt_sweep_spec logx = {.x = "policy", .logx = true, .y = "nope"};
    assert_int_equal(plt_sweep_figure(db, &logx, out, &e), OFF_EUSAGE);
    assert_non_null(strstr(e.msg, "unknown metric 'nope'"));
    res_close(db);
    assert_int_equal(access(out, F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_series_points_units),
        cmocka_unit_test(test_metric_on_x_along_an_axis),
        cmocka_unit_test(test_baseline_and_categories),
        cmocka_unit_test(test_png_pdf_svg),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
