/*
 * test_cli_report.c - `offsim report --by` and `offsim plot --x` on a tiny
 * real sweep: `offsim sweep` of 2 policies x 2 uplink rates x 2 seeds into
 * one database, and one failed run added.  Runs the built binary
 * ($OFFSIM_BIN).
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char bin[1024], dir[1024], db[1100];
static char out[32768];

/* "offsim ARGS" with stdout and stderr into out (stderr after stdout);
 * its exit status. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
    char args[4096], cmd[8192], log[1200], err[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(log, sizeof log, "%s/out.txt", dir);
    snprintf(err, sizeof err, "%s/err.txt", dir);
    snprintf(cmd, sizeof cmd, "%s %s >'%s' 2>'%s'", bin, args, log, err);
    int st = system(cmd);
    size_t n = 0;
    const char *files[] = {log, err};
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(files[i], "r");
        assert_non_null(f);
        n += fread(out + n, 1, sizeof out - 1 - n, f);
        fclose(f);
    }
    out[n] = '\0';
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void sql(const char *text)
{
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(h, text, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", text, msg);
    sqlite3_close(h);
}

static double sql_double(const char *text)
{
    sqlite3 *h;
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, text, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    double v = sqlite3_column_double(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(h);
    return v;
}

static int setup(void **state)
{
    (void)state;
    const char *b = getenv("OFFSIM_BIN"), *t = getenv("OFFSIM_TMP");
    snprintf(bin, sizeof bin, "%s", b ? b : "build/offsim");
    snprintf(dir, sizeof dir, "%s/cli-report", t ? t : "/tmp/offsim-test");
    snprintf(db, sizeof db, "%s/sweep.db", dir);
    char cmd[2400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    if (system(cmd) != 0)
        return -1;
    if (run("sweep scenarios/examples/quickstart.yaml --db '%s' --quiet --jobs 2 --seeds 2 "
            "--axis policy=local,edge --axis 'devices.0.uplink.rate=500 kbps,8 Mbps' "
            "--set duration=2s --set warmup=0s",
            db) != 0) {
        fprintf(stderr, "%s\n", out);
        return -1;
    }
    /* a failed run: left out, and said so */
    sql("INSERT INTO runs (scenario, scenario_file, config_text, overrides, config_hash, seed,"
        " policy, version, started_at, wall_s, status) SELECT scenario, scenario_file,"
        " config_text, overrides, config_hash, 3, policy, version, started_at, wall_s,"
        " 'failed' FROM runs WHERE run_id = 1");
    return 0;
}

static void test_report_table(void **state)
{
    (void)state;
    assert_int_equal(run("report '%s' --by policy,devices.0.uplink.rate -m latency -m energy "
                         "--baseline policy=local", db), 0);
    assert_int_equal(strncmp(out, "quickstart: 8 ok runs in 4 groups", 33), 0);
    assert_non_null(strstr(out, "diff vs policy=local [95% CI]"));
    assert_non_null(strstr(out, "latency_mean (ms)"));
    assert_non_null(strstr(out, "energy_mean_j (mJ)"));
    assert_non_null(strstr(out, "baseline"));
    assert_non_null(strstr(out, "1 run not ok left out (1 failed"));
    assert_null(strstr(out, "nan"));
    /* numeric order: 500 kbps before 8 Mbps within each policy */
    char *slow = strstr(out, "edge    500 kbps"), *fast = strstr(out, "edge    8 Mbps");
    assert_non_null(slow);
    assert_non_null(fast);
    assert_true(slow < fast);
    /* one seed: no interval, and why */
    assert_int_equal(
        run("report '%s' --by policy,devices.0.uplink.rate --where 'r.seed = 1'", db), 0);
    assert_non_null(strstr(out, "± n/a (n < 2)"));
    assert_null(strstr(out, "nan"));
    /* the rate left out of --by: pooled, with a warning naming it */
    assert_int_equal(run("report '%s' --by policy", db), 0);
    assert_non_null(
        strstr(out, "runs that differ in 'devices.0.uplink.rate' (not in --by) are pooled"));
}

static void test_report_csv(void **state)
{
    (void)state;
    assert_int_equal(run("report '%s' --by policy,devices.0.uplink.rate --metric p95 --csv "
                         "--baseline policy=local 2>/dev/null", db), 0);
    char *line = strtok(out, "\n");
    assert_string_equal(line, "policy,devices.0.uplink.rate,metric,unit,n,mean,ci95_half,"
                              "ci95_lo,ci95_hi,baseline,n_pairs,diff_mean,diff_ci95_half,"
                              "diff_ci95_lo,"
                              "diff_ci95_hi,diff_unpaired_ci95_half,note");
    size_t rows = 0;
    while ((line = strtok(NULL, "\n")) && strncmp(line, "offsim", 6) != 0) {
        rows++;
        if (strncmp(line, "edge,8 Mbps,latency_p95,s,2,", 28) == 0) {
            double mean = strtod(line + 28, NULL);
            double want = sql_double(
                "SELECT avg(s.latency_p95) FROM summary s JOIN params p USING (run_id) "
                "JOIN params q USING (run_id) WHERE p.name = 'policy' AND p.value = 'edge' "
                "AND q.name = 'devices.0.uplink.rate' AND q.value = '8 Mbps'");
            assert_true(fabs(mean - want) < 1e-9 * want);
            assert_non_null(strstr(line, ",policy=local,2,"));
        }
        if (strncmp(line, "local,", 6) == 0)
            assert_non_null(strstr(line, ",baseline")); /* the note says why no diff */
    }
    assert_int_equal(rows, 4);
}

static void test_report_usage_errors(void **state)
{
    (void)state;
    assert_int_equal(run("report '%s' --by policy --metric latncy", db), 2);
    assert_non_null(strstr(out, "unknown metric 'latncy' (did you mean 'latency'?)"));
    assert_int_equal(run("report '%s' --csv", db), 2);
    assert_non_null(strstr(out, "--csv needs --by"));
    assert_int_equal(run("report '%s' --by policy --baseline devices.0.uplink.rate=8", db), 2);
    assert_non_null(strstr(out, "not one of the --by axes"));
    assert_int_equal(run("report '%s' --by policy --where 'nonsense ='", db), 2);
    assert_non_null(strstr(out, "--where"));
    /* without --by: the per-run report of before */
    assert_int_equal(run("report '%s'", db), 0);
    assert_non_null(strstr(out, "quickstart"));
}

static bool non_empty(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && sb.st_size > 0;
}

static void test_plot_sweep(void **state)
{
    (void)state;
    if (system("command -v gnuplot >/dev/null 2>&1") != 0)
        skip();
    char png[1200], svg[1200], dflt[1200];
    snprintf(png, sizeof png, "%s/lat.png", dir);
    snprintf(svg, sizeof svg, "%s/energy.svg", dir);
    snprintf(dflt, sizeof dflt, "%s/sweep-latency_mean-vs-devices.0.uplink.rate.png", dir);
    assert_int_equal(
        run("plot '%s' --x devices.0.uplink.rate --by policy --logx --out '%s'", db, png), 0);
    assert_true(non_empty(png));
    assert_int_equal(run("plot '%s' --x devices.0.uplink.rate --by policy -- '%s'", db, db), 2);
    assert_int_equal(run("plot '%s' --x devices.0.uplink.rate --by policy --y energy "
                         "--baseline policy=local --out '%s'", db, svg), 0);
    assert_true(non_empty(svg));
    assert_int_equal(run("plot '%s' --x devices.0.uplink.rate --by policy", db), 0);
    assert_true(non_empty(dflt));
    assert_int_equal(run("plot '%s' --y energy", db), 2);
    assert_non_null(strstr(out, "--y needs --x"));
    assert_int_equal(run("plot '%s' --x devices.0.uplink.rate --out '%s/x.gif'", db, dir), 2);
    assert_non_null(strstr(out, ".png, .pdf or .svg"));
    assert_int_equal(run("plot '%s' --x devices.0.uplink.rate --y energ", db), 2);
    assert_non_null(strstr(out, "did you mean"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_table),
        cmocka_unit_test(test_report_csv),
        cmocka_unit_test(test_report_usage_errors),
        cmocka_unit_test(test_plot_sweep),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
