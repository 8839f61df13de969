/* test_scn_units.c - scn_parse_quantity: every dimension's units convert to
 * SI; bad numbers, unknown units and units of another dimension give one
 * clear, positioned message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "scn.h"

static const scn_pos POS = {"u.yaml", 3, 4};

typedef struct qcase {
    const char *text;
    scn_dim dim;
    double want;
} qcase;

static void test_units_convert_to_si(void **state)
{
    (void)state;
    static const qcase cases[] = {
        {"5 ms", SCN_DIM_TIME, 0.005},
        {"5ms", SCN_DIM_TIME, 0.005},
        {" 5 ms ", SCN_DIM_TIME, 0.005},
        {"+2 s", SCN_DIM_TIME, 2},
        {"2 min", SCN_DIM_TIME, 120},
        {"1.5 h", SCN_DIM_TIME, 5400},
        {"100 us", SCN_DIM_TIME, 1e-4},
        {"100 \xc2\xb5s", SCN_DIM_TIME, 1e-4},
        {"3 ns", SCN_DIM_TIME, 3e-9},
        {"1e3", SCN_DIM_TIME, 1000},
        {"2.5e-3 s", SCN_DIM_TIME, 0.0025},
        {".5 s", SCN_DIM_TIME, 0.5},
        {"-5 ms", SCN_DIM_TIME, -0.005}, /* the range is the caller's job */
        {"20 Mbps", SCN_DIM_RATE, 2e7},
        {"20Mbps", SCN_DIM_RATE, 2e7},
        {"1 Gbps", SCN_DIM_RATE, 1e9},
        {"56 kbps", SCN_DIM_RATE, 56e3},
        {"300 bps", SCN_DIM_RATE, 300},
        {"2 MB/s", SCN_DIM_RATE, 1.6e7},
        {"100 kB/s", SCN_DIM_RATE, 8e5},
        {"10 B/s", SCN_DIM_RATE, 80},
        {"2.4 GHz", SCN_DIM_FREQ, 2.4e9},
        {"20 MHz", SCN_DIM_FREQ, 2e7},
        {"23 dBm", SCN_DIM_POWER, 0.19952623149688797},
        {"0 dBm", SCN_DIM_POWER, 0.001},
        {"0 dBW", SCN_DIM_POWER, 1},
        {"1.5 W", SCN_DIM_POWER, 1.5},
        {"500 mW", SCN_DIM_POWER, 0.5},
        {"20 uW", SCN_DIM_POWER, 2e-5},
        {"10 J", SCN_DIM_ENERGY, 10},
        {"2 Wh", SCN_DIM_ENERGY, 7200},
        {"5 mJ", SCN_DIM_ENERGY, 0.005},
        {"64 KiB", SCN_DIM_BYTES, 65536},
        {"1 MiB", SCN_DIM_BYTES, 1048576},
        {"3 kB", SCN_DIM_BYTES, 3000},
        {"2 GB", SCN_DIM_BYTES, 2e9},
        {"16 b", SCN_DIM_BYTES, 2},
        {"784", SCN_DIM_BYTES, 784},
        {"3 GMAC", SCN_DIM_WORK, 3e9},
        {"3 G", SCN_DIM_WORK, 3e9},
        {"1.2 MMAC", SCN_DIM_WORK, 1.2e6},
        {"5 kMAC", SCN_DIM_WORK, 5e3},
        {"2 GMAC/s", SCN_DIM_SPEED, 2e9},
        {"1 TMAC/s", SCN_DIM_SPEED, 1e12},
        {"10 /s", SCN_DIM_HZ_EVENTS, 10},
        {"60 /min", SCN_DIM_HZ_EVENTS, 1},
        {"7200/h", SCN_DIM_HZ_EVENTS, 2},
        {"10 per s", SCN_DIM_HZ_EVENTS, 10},
        {"100 m", SCN_DIM_LENGTH, 100},
        {"2 km", SCN_DIM_LENGTH, 2000},
        {"5 cm", SCN_DIM_LENGTH, 0.05},
        {"3 dB", SCN_DIM_DB, 3},
        {"-3 dB", SCN_DIM_DB, -3},
        {"90 %", SCN_DIM_NONE, 0.9},
        {"90%", SCN_DIM_NONE, 0.9},
        {"0.5", SCN_DIM_NONE, 0.5},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = -12345;
        off_err e = {0};
        off_status st = scn_parse_quantity(cases[i].text, cases[i].dim, &v,
                                           POS, &e);
        if (st != OFF_OK)
            fail_msg("'%s': %s", cases[i].text, e.msg);
        double tol = 1e-12 * fabs(cases[i].want);
        if (fabs(v - cases[i].want) > tol)
            fail_msg("'%s' -> %.17g, want %.17g", cases[i].text, v,
                     cases[i].want);
    }
}

static void test_units_infinity(void **state)
{
    (void)state;
    const char *texts[] = {"inf", "infinity", "Inf", "inf Mbps", "INFINITY"};
    for (size_t i = 0; i < 5; i++) {
        double v = 0;
        assert_int_equal(scn_parse_quantity(texts[i], SCN_DIM_RATE, &v, POS,
                                            NULL), OFF_OK);
        assert_true(isinf(v) && v > 0);
    }
    double v = 0;
    assert_int_equal(scn_parse_quantity("-inf s", SCN_DIM_TIME, &v, POS, NULL),
                     OFF_OK);
    assert_true(isinf(v) && v < 0);
}

/* The message of a failing parse, checked for its prefix and words. */
static void expect_fail(const char *text, scn_dim dim, const char *const *words)
{
    off_err e = {0};
    double v = 42;
    off_status st = scn_parse_quantity(text, dim, &v, POS, &e);
    print_message("  '%s' -> %s\n", text, e.msg);
    assert_int_equal(st, OFF_EINVAL);
    assert_true(v == 42); /* untouched on failure */
    if (strncmp(e.msg, "u.yaml:3:4: ", 12) != 0)
        fail_msg("not positioned: %s", e.msg);
    for (size_t i = 0; words[i]; i++)
        if (!strstr(e.msg, words[i]))
            fail_msg("'%s' lacks '%s'", e.msg, words[i]);
}
#define EXPECT_FAIL(text, dim, ...) \
    expect_fail(text, dim, (const char *const[]){__VA_ARGS__, NULL})

static void test_units_not_a_number(void **state)
{
    (void)state;
    EXPECT_FAIL("fast", SCN_DIM_TIME,
                "expected a duration such as '5 ms' (units: ns, us, ms, s, "
                "min, h), got 'fast'");
    EXPECT_FAIL("", SCN_DIM_TIME, "expected a duration", "got ''");
    EXPECT_FAIL("ms", SCN_DIM_TIME, "expected a duration");
    EXPECT_FAIL("nan", SCN_DIM_SPEED, "expected a compute speed");
    EXPECT_FAIL("NaN s", SCN_DIM_TIME, "expected a duration");
    EXPECT_FAIL("0x10", SCN_DIM_BYTES, "unknown unit 'x10'");
    EXPECT_FAIL("abc", SCN_DIM_NONE, "expected a number", "'abc'");
}

static void test_units_overflow(void **state)
{
    (void)state;
    EXPECT_FAIL("1e999 s", SCN_DIM_TIME, "number out of range", "1e999 s");
    EXPECT_FAIL("1e308 TMAC", SCN_DIM_WORK, "number out of range");
    EXPECT_FAIL("1e400 dBm", SCN_DIM_POWER, "number out of range");
}

static void test_units_unknown_unit_suggests(void **state)
{
    (void)state;
    EXPECT_FAIL("20 mbs", SCN_DIM_RATE,
                "unknown unit 'mbs' for a data rate (did you mean 'Mbps'?); "
                "units: bps, kbps, Mbps, Gbps, B/s, kB/s, MB/s");
    EXPECT_FAIL("5 msec", SCN_DIM_TIME, "unknown unit 'msec' for a duration",
                "units: ns, us, ms, s, min, h");
    EXPECT_FAIL("2 gmac/s", SCN_DIM_SPEED, "did you mean 'GMAC/s'?");
    EXPECT_FAIL("3 furlongs", SCN_DIM_LENGTH, "unknown unit 'furlongs'",
                "units: mm, cm, m, km");
}

static void test_units_wrong_dimension(void **state)
{
    (void)state;
    EXPECT_FAIL("5 ms", SCN_DIM_RATE,
                "'5 ms' is a duration, expected a data rate");
    EXPECT_FAIL("20 Mbps", SCN_DIM_TIME,
                "'20 Mbps' is a data rate, expected a duration");
    EXPECT_FAIL("2 GMAC", SCN_DIM_SPEED,
                "'2 GMAC' is an amount of work, expected a compute speed");
    EXPECT_FAIL("64 KiB", SCN_DIM_NONE,
                "'64 KiB' is a size, expected a plain number");
    EXPECT_FAIL("1 W", SCN_DIM_ENERGY, "is a power, expected an energy");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_units_convert_to_si),
        cmocka_unit_test(test_units_infinity),
        cmocka_unit_test(test_units_not_a_number),
        cmocka_unit_test(test_units_overflow),
        cmocka_unit_test(test_units_unknown_unit_suggests),
        cmocka_unit_test(test_units_wrong_dimension),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
