/* test_cfg_csv.c - the line/CSV reader every trace uses: fields with
 * their columns, comments, blank lines and CRLF skipped, strict decimal
 * numbers, NUL bytes reported at FILE:LINE:COL, and cfg_read_at naming the
 * configuration value that gave a missing file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cfg.h"

static void next_ok(cfg_csv *r, cfg_row *row)
{
    off_err e = {0};
    if (cfg_csv_next(r, row, &e) != OFF_OK)
        fail_msg("%s", e.msg);
}

static void test_rows_fields_and_columns(void **state)
{
    (void)state;
    static const char text[] = "# a header comment\r\n"
                               "time_s, rate\r\n"
                               "\r\n"
                               "   \t\n"
                               "  0.5 ,  2e6  # inline comment\n"
                               "1,2,3,4,5,6,7,8,9,10\n"
                               "last";
    cfg_csv r;
    cfg_row row;
    cfg_csv_init(&r, text, strlen(text), "t.csv", "rows");
    next_ok(&r, &row);
    assert_int_equal(row.line, 2);
    assert_int_equal(row.n, 2);
    char buf[32];
    assert_string_equal(cfg_field_str(&row.f[0], buf, sizeof buf), "time_s");
    assert_string_equal(cfg_field_str(&row.f[1], buf, sizeof buf), "rate");
    assert_int_equal(row.f[1].col, 9);
    double v;
    assert_false(cfg_field_num(&row.f[0], &v));
    next_ok(&r, &row);
    assert_int_equal(row.line, 5);
    assert_int_equal(row.col, 3);
    assert_int_equal(row.n, 2);
    assert_int_equal(row.f[0].col, 3);
    assert_int_equal(row.f[1].col, 10);
    assert_true(cfg_field_num(&row.f[0], &v) && v == 0.5);
    assert_true(cfg_field_num(&row.f[1], &v) && v == 2e6);
    assert_string_equal(cfg_field_str(&row.all, buf, sizeof buf), "0.5 ,  2e6");
    next_ok(&r, &row); /* more fields than kept: all counted */
    assert_int_equal(row.n, 10);
    assert_true(cfg_field_num(&row.f[CFG_CSV_MAX_FIELDS - 1], &v) && v == 8);
    next_ok(&r, &row); /* no newline at the end */
    assert_int_equal(row.line, 7);
    assert_string_equal(cfg_field_str(&row.f[0], buf, sizeof buf), "last");
    next_ok(&r, &row);
    assert_int_equal(row.n, 0);
    next_ok(&r, &row); /* and stays at the end */
    assert_int_equal(row.n, 0);
}

static void test_numbers_are_strict_decimals(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        bool ok;
        double v;
    } cases[] = {{"0", true, 0},       {"-1.5", true, -1.5}, {"+2e3", true, 2000},
                 {".25", true, 0.25},  {"1e-3", true, 1e-3}, {"", false, 0},
                 {"nan", false, 0},    {"inf", false, 0},    {"0x10", false, 0},
                 {"1e999", false, 0},  {"1 2", false, 0},    {"1,5", false, 0},
                 {"12abc", false, 0},  {"-", false, 0},      {"e5", false, 0}};
    for (size_t i = 0; i < OFF_COUNT(cases); i++) {
        cfg_field f = {cases[i].text, cases[i].text + strlen(cases[i].text), 1};
        double v = -7;
        bool ok = cfg_field_num(&f, &v);
        if (ok != cases[i].ok || (ok && v != cases[i].v))
            fail_msg("'%s': ok %d v %g", cases[i].text, ok, v);
    }
    char longer[80];
    memset(longer, '1', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    cfg_field f = {longer, longer + strlen(longer), 1};
    double v;
    assert_false(cfg_field_num(&f, &v)); /* too long to be a number we read */
}

static void test_nul_byte_is_positioned(void **state)
{
    (void)state;
    static const char text[] = "0,1\n1,\0" "2\n";
    cfg_csv r;
    cfg_row row;
    off_err e = {0};
    cfg_csv_init(&r, text, sizeof text - 1, "bad.csv", "rows \"t,x\"");
    next_ok(&r, &row);
    assert_int_equal(cfg_csv_next(&r, &row, &e), OFF_EPARSE);
    assert_string_equal(e.msg,
                        "bad.csv:2:3: NUL byte: not a text file (expected rows \"t,x\")");
    assert_int_equal(off_exit_code(e.status), 2);
}

static void test_read_at_names_the_value(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len;
    off_err e = {0};
    cfg_pos at = {"s.yaml", 4, 11};
    assert_int_equal(cfg_read_at("/nonexistent/t.csv", "trace file", at, &buf, &len, &e),
                     OFF_EIO);
    assert_string_equal(e.msg, "s.yaml:4:11: cannot read trace file '/nonexistent/t.csv': "
                               "cannot open: No such file or directory");
    assert_null(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_fields_and_columns),
        cmocka_unit_test(test_numbers_are_strict_decimals),
        cmocka_unit_test(test_nul_byte_is_positioned),
        cmocka_unit_test(test_read_at_names_the_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
