/*
 * test_cli_merge.c - `offsim merge` end to end: two databases of runs
 * merged (in the order of the inputs), merging again adds nothing
 * and says so, a conflicting run exits 1 naming both runs and writes
 * nothing, bad input exits 2 naming the file.  Runs the built binary
 * ($OFFSIM_BIN).
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "results/res_testing.h"

static char bin[1024], tmp[1024];

/* "offsim ARGS" with its stdout and stderr into a file, read back into
 * out; the exit status. */
static int offsim(char *out, size_t cap, const char *fmt, ...)
{
    char args[4096], cmd[8000], log[1100];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(log, sizeof log, "%s/out.txt", tmp);
    snprintf(cmd, sizeof cmd, "%s %s > '%s' 2>&1", bin, args, log);
    int st = system(cmd);
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    out[fread(out, 1, cap - 1, f)] = '\0';
    fclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_merge_command(void **state)
{
    (void)state;
    char out[8192], a[1100], b[1100], ab[1100], ba[1100], c[1100];
    snprintf(a, sizeof a, "%s/a.db", tmp);
    snprintf(b, sizeof b, "%s/b.db", tmp);
    snprintf(ab, sizeof ab, "%s/ab.db", tmp);
    snprintf(ba, sizeof ba, "%s/ba.db", tmp);
    snprintf(c, sizeof c, "%s/c.db", tmp);
    const char *q = "scenarios/examples/quickstart.yaml --quiet --set duration=20s";
    assert_int_equal(offsim(out, sizeof out, "run %s --db %s", q, a), 0);
    assert_int_equal(offsim(out, sizeof out, "run %s --db %s --set policy=local", q, a), 0);
    assert_int_equal(offsim(out, sizeof out, "run %s --db %s --seed 5", q, b), 0);
    long long rows = query_int(a, "SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM tasks)"
                                  " + (SELECT count(*) FROM summary) + (SELECT count(*) FROM devices)") +
                     query_int(b, "SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM tasks)"
                                  " + (SELECT count(*) FROM summary) + (SELECT count(*) FROM devices)");
    assert_int_equal(offsim(out, sizeof out, "merge %s %s %s", ab, a, b), 0);
    char want[256];
    snprintf(want, sizeof want, "merged 3 runs (%lld rows), skipped 0 already present", rows);
    assert_non_null(strstr(out, want));
    /* runs outside a sweep follow the order of the inputs (a sweep's
     * shards merge in any order: test_res_merge) */
    assert_int_equal(offsim(out, sizeof out, "merge %s %s %s", ba, b, a), 0);
    assert_non_null(strstr(out, want));
    assert_int_equal(query_int(ba, "SELECT seed FROM runs WHERE run_id = 1"), 5);
    assert_int_equal(query_int(ab, "SELECT seed FROM runs WHERE run_id = 3"), 5);
    char *dab = res_dump(ab), *dba;
    /* again: nothing added */
    assert_int_equal(offsim(out, sizeof out, "merge %s %s %s", ab, b, a), 0);
    assert_non_null(strstr(out, "merged 0 runs (0 rows), skipped 3 already present"));
    dba = res_dump(ab);
    assert_string_equal(dab, dba);
    free(dba);

    /* a conflict: same run (identity) with other task rows */
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", a, c);
    assert_int_equal(system(cmd), 0);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(c, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "UPDATE tasks SET latency_s = 1 WHERE run_id = 1 AND"
                                     " task_id = 0", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    assert_int_equal(offsim(out, sizeof out, "merge %s %s", ab, c), 1);
    assert_non_null(strstr(out, c));
    assert_non_null(strstr(out, "run 1 conflicts with run 1 of"));
    assert_non_null(strstr(out, "different tasks"));
    dba = res_dump(ab);
    assert_string_equal(dab, dba);
    free(dba);
    free(dab);

    /* bad input: exit 2 naming the file */
    assert_int_equal(offsim(out, sizeof out, "merge %s %s/missing.db", ab, tmp), 2);
    assert_non_null(strstr(out, "missing.db"));
    assert_int_equal(offsim(out, sizeof out, "merge %s CMakeLists.txt", ab), 2);
    assert_non_null(strstr(out, "CMakeLists.txt: not an offsim results database"));
    assert_int_equal(offsim(out, sizeof out, "merge %s", ab), 2);
}

int main(void)
{
    const char *b = getenv("OFFSIM_BIN"), *t = getenv("OFFSIM_TMP");
    snprintf(bin, sizeof bin, "%s", b ? b : "build/offsim");
    snprintf(tmp, sizeof tmp, "%s/cli-merge", t ? t : "/tmp/offsim-test");
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'; mkdir -p '%s'", tmp, tmp);
    if (system(cmd) != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
