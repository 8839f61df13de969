/* test_scn_trace.c - arrival trace files: resolved next to the scenario,
 * loaded at load time; bad contents are reported as TRACEFILE:LINE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "scn.h"

/* The scenario "lives" in tests/data/scenarios/, so a relative trace path
 * is looked up there. */
#define SCN_FILE "tests/data/scenarios/inline.yaml"
#define DIR "tests/data/scenarios/"

static off_status load_trace(scn_scenario *s, const char *file, off_err *e)
{
    char text[1024];
    snprintf(text, sizeof text,
             "max_tasks: 10\n"
             "model:\n"
             "  layers: [{name: l1, macs: 1 G, out: 1 kB}]\n"
             "  exits: [{name: out, after: l1, accuracy: 0.9}]\n"
             "servers: [{name: edge, speed: 10 GMAC/s}]\n"
             "devices:\n"
             "  - name: replay\n"
             "    speed: 1 GMAC/s\n"
             "    arrivals: {process: trace, file: %s}\n", file);
    return scn_load_text(s, SCN_FILE, text, strlen(text), NULL, 0, e);
}

static void test_trace_loads_relative_to_the_scenario(void **state)
{
    (void)state;
    scn_scenario s;
    off_err e = {0};
    if (load_trace(&s, "arrivals_good.txt", &e) != OFF_OK)
        fail_msg("%s", e.msg);
    const scn_arrivals *a = &s.devices[0].arrivals;
    assert_int_equal(a->kind, SCN_ARR_TRACE);
    assert_string_equal(a->trace_path, DIR "arrivals_good.txt");
    assert_int_equal(a->n_trace, 5); /* header, comment, blank skipped */
    assert_true(a->trace_s[0] == 0.0 && a->trace_s[1] == 0.5 &&
                a->trace_s[2] == 0.5 && a->trace_s[3] == 1.25 &&
                a->trace_s[4] == 3.0);
    scn_free(&s);
}

static void test_trace_absolute_path_and_crlf(void **state)
{
    (void)state;
    const char *path = "/tmp/offsim-test-scn-trace-crlf.txt";
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("t\r\n1\r\n  2.5  \r\n# end\r\n", f);
    fclose(f);
    scn_scenario s;
    off_err e = {0};
    if (load_trace(&s, path, &e) != OFF_OK)
        fail_msg("%s", e.msg);
    assert_string_equal(s.devices[0].arrivals.trace_path, path);
    assert_int_equal(s.devices[0].arrivals.n_trace, 2);
    assert_true(s.devices[0].arrivals.trace_s[1] == 2.5);
    scn_free(&s);
    remove(path);
}

static void expect_trace_err(const char *file, off_status want,
                             const char *prefix, const char *words)
{
    scn_scenario s;
    off_err e = {0};
    off_status st = load_trace(&s, file, &e);
    print_message("  -> %s\n", e.msg);
    assert_int_equal(st, want);
    if (strncmp(e.msg, prefix, strlen(prefix)) != 0)
        fail_msg("'%s' does not start with '%s'", e.msg, prefix);
    if (!strstr(e.msg, words))
        fail_msg("'%s' lacks '%s'", e.msg, words);
    assert_null(s.devices);
}

static void test_trace_errors_name_file_and_line(void **state)
{
    (void)state;
    expect_trace_err("arrivals_decreasing.txt", OFF_EINVAL,
                     DIR "arrivals_decreasing.txt:4: ",
                     "times must not decrease (0.15 after 0.2)");
    expect_trace_err("arrivals_bad_value.txt", OFF_EINVAL,
                     DIR "arrivals_bad_value.txt:2: ",
                     "expected an arrival time in seconds (a finite number), "
                     "got 'abc'");
    expect_trace_err("arrivals_negative.txt", OFF_EINVAL,
                     DIR "arrivals_negative.txt:2: ",
                     "times must be >= 0, got -2");
    expect_trace_err("arrivals_empty.txt", OFF_EINVAL,
                     DIR "arrivals_empty.txt: ", "empty trace");
    /* the missing file is reported at the scenario's `file:` value */
    expect_trace_err("no_such_trace.txt", OFF_EIO, SCN_FILE ":9:38: ",
                     "cannot read trace file '" DIR "no_such_trace.txt': "
                     "cannot open: No such file or directory");
}

static void test_trace_rejects_nan_inf_and_binary(void **state)
{
    (void)state;
    const char *path = "/tmp/offsim-test-scn-trace-bad.txt";
    static const char *const bodies[] = {"0\nnan\n", "0\ninf\n", "1e999\n",
                                         "0x10\n", "1,2\n"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fputs(bodies[i], f);
        fclose(f);
        scn_scenario s;
        off_err e = {0};
        assert_int_equal(load_trace(&s, path, &e), OFF_EINVAL);
        print_message("  -> %s\n", e.msg);
        assert_non_null(strstr(e.msg, "expected an arrival time"));
    }
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite("0.1\n\0\0\x01", 1, 7, f);
    fclose(f);
    scn_scenario s;
    off_err e = {0};
    assert_int_equal(load_trace(&s, path, &e), OFF_EINVAL);
    print_message("  -> %s\n", e.msg);
    assert_non_null(strstr(e.msg, "not a text file"));
    remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trace_loads_relative_to_the_scenario),
        cmocka_unit_test(test_trace_absolute_path_and_crlf),
        cmocka_unit_test(test_trace_errors_name_file_and_line),
        cmocka_unit_test(test_trace_rejects_nan_inf_and_binary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
