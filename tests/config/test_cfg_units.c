/* test_cfg_units.c - cfg_quantity, the one unit grammar of every
 * configuration file (scenarios, hardware profiles, model files): every
 * dimension's units convert to its base; bad numbers, unknown units and
 * units of another dimension give one clear, positioned message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cfg.h"

static const cfg_pos POS = {"u.yaml", 3, 4};

typedef struct qcase {
    const char *text;
    cfg_dim dim;
    double want;
} qcase;

static void test_units_convert_to_si(void **state)
{
    (void)state;
    static const qcase cases[] = {
        {"5 ms", CFG_DIM_TIME, 0.005},
        {"5ms", CFG_DIM_TIME, 0.005},
        {" 5 ms ", CFG_DIM_TIME, 0.005},
        {"+2 s", CFG_DIM_TIME, 2},
        {"2 min", CFG_DIM_TIME, 120},
        {"1.5 h", CFG_DIM_TIME, 5400},
        {"100 us", CFG_DIM_TIME, 1e-4},
        {"100 \xc2\xb5s", CFG_DIM_TIME, 1e-4},
        {"3 ns", CFG_DIM_TIME, 3e-9},
        {"1e3", CFG_DIM_TIME, 1000},
        {"2.5e-3 s", CFG_DIM_TIME, 0.0025},
        {".5 s", CFG_DIM_TIME, 0.5},
        {"-5 ms", CFG_DIM_TIME, -0.005}, /* the range is the caller's job */
        {"20 Mbps", CFG_DIM_RATE, 2e7},
        {"20Mbps", CFG_DIM_RATE, 2e7},
        {"1 Gbps", CFG_DIM_RATE, 1e9},
        {"56 kbps", CFG_DIM_RATE, 56e3},
        {"300 bps", CFG_DIM_RATE, 300},
        {"2 MB/s", CFG_DIM_RATE, 1.6e7},
        {"100 kB/s", CFG_DIM_RATE, 8e5},
        {"10 B/s", CFG_DIM_RATE, 80},
        {"2.4 GHz", CFG_DIM_FREQ, 2.4e9},
        {"20 MHz", CFG_DIM_FREQ, 2e7},
        {"23 dBm", CFG_DIM_POWER, 0.19952623149688797},
        {"0 dBm", CFG_DIM_POWER, 0.001},
        {"0 dBW", CFG_DIM_POWER, 1},
        {"1.5 W", CFG_DIM_POWER, 1.5},
        {"500 mW", CFG_DIM_POWER, 0.5},
        {"20 uW", CFG_DIM_POWER, 2e-5},
        {"10 J", CFG_DIM_ENERGY, 10},
        {"2 Wh", CFG_DIM_ENERGY, 7200},
        {"5 mJ", CFG_DIM_ENERGY, 0.005},
        {"64 KiB", CFG_DIM_BYTES, 65536},
        {"1 MiB", CFG_DIM_BYTES, 1048576},
        {"3 kB", CFG_DIM_BYTES, 3000},
        {"2 GB", CFG_DIM_BYTES, 2e9},
        {"16 b", CFG_DIM_BYTES, 2},
        {"784", CFG_DIM_BYTES, 784},
        {"3 GMAC", CFG_DIM_WORK, 3e9},
        {"3 G", CFG_DIM_WORK, 3e9},
        {"1.2 MMAC", CFG_DIM_WORK, 1.2e6},
        {"5 kMAC", CFG_DIM_WORK, 5e3},
        {"2 GMAC/s", CFG_DIM_SPEED, 2e9},
        {"1 TMAC/s", CFG_DIM_SPEED, 1e12},
        {"10 /s", CFG_DIM_HZ_EVENTS, 10},
        {"60 /min", CFG_DIM_HZ_EVENTS, 1},
        {"7200/h", CFG_DIM_HZ_EVENTS, 2},
        {"10 per s", CFG_DIM_HZ_EVENTS, 10},
        {"100 m", CFG_DIM_LENGTH, 100},
        {"2 km", CFG_DIM_LENGTH, 2000},
        {"5 cm", CFG_DIM_LENGTH, 0.05},
        {"3 dB", CFG_DIM_DB, 3},
        {"-3 dB", CFG_DIM_DB, -3},
        {"90 %", CFG_DIM_NONE, 0.9},
        {"90%", CFG_DIM_NONE, 0.9},
        {"0.5", CFG_DIM_NONE, 0.5},
        /* the dimensions of hardware profiles */
        {"19.2 Gop/s", CFG_DIM_OPS, 19.2e9},
        {"8.1 Top/s", CFG_DIM_OPS, 8.1e12},
        {"2 GFLOP/s", CFG_DIM_OPS, 2e9},
        {"25.6 GB/s", CFG_DIM_BYTE_RATE, 25.6e9},
        {"34.1 GB/s", CFG_DIM_BYTE_RATE, 34.1e9},
        {"1 TB/s", CFG_DIM_BYTE_RATE, 1e12},
        {"8 Gbps", CFG_DIM_BYTE_RATE, 1e9},
        {"100 KB/s", CFG_DIM_BYTE_RATE, 1e5},
        {"512", CFG_DIM_BYTE_RATE, 512},
        {"64 B/MAC", CFG_DIM_BYTES_PER_MAC, 64},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = -12345;
        off_err e = {0};
        off_status st = cfg_quantity(cases[i].text, cases[i].dim, NULL, &v,
                                     POS, &e);
        if (st != OFF_OK)
            fail_msg("'%s': %s", cases[i].text, e.msg);
        double tol = 1e-12 * fabs(cases[i].want);
        /* a byte rate in bytes is exact: x8 then /8 is lossless */
        if (cases[i].dim == CFG_DIM_BYTE_RATE && strstr(cases[i].text, "B/s"))
            tol = 0;
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
        assert_int_equal(cfg_quantity(texts[i], CFG_DIM_RATE, NULL, &v, POS,
                                            NULL), OFF_OK);
        assert_true(isinf(v) && v > 0);
    }
    double v = 0;
    assert_int_equal(cfg_quantity("-inf s", CFG_DIM_TIME, NULL, &v, POS, NULL),
                     OFF_OK);
    assert_true(isinf(v) && v < 0);
}

/* The message of a failing parse, checked for its prefix and words. */
static void expect_fail(const char *text, cfg_dim dim, const char *const *words)
{
    off_err e = {0};
    double v = 42;
    off_status st = cfg_quantity(text, dim, NULL, &v, POS, &e);
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
    EXPECT_FAIL("fast", CFG_DIM_TIME,
                "expected a duration such as '5 ms' (units: ns, us, ms, s, "
                "min, h), got 'fast'");
    EXPECT_FAIL("", CFG_DIM_TIME, "expected a duration", "got ''");
    EXPECT_FAIL("ms", CFG_DIM_TIME, "expected a duration");
    EXPECT_FAIL("nan", CFG_DIM_SPEED, "expected a compute speed");
    EXPECT_FAIL("NaN s", CFG_DIM_TIME, "expected a duration");
    EXPECT_FAIL("0x10", CFG_DIM_BYTES, "unknown unit 'x10'");
    EXPECT_FAIL("abc", CFG_DIM_NONE, "expected a number", "'abc'");
}

static void test_units_overflow(void **state)
{
    (void)state;
    EXPECT_FAIL("1e999 s", CFG_DIM_TIME, "number out of range", "1e999 s");
    EXPECT_FAIL("1e308 TMAC", CFG_DIM_WORK, "number out of range");
    EXPECT_FAIL("1e400 dBm", CFG_DIM_POWER, "number out of range");
}

static void test_units_unknown_unit_suggests(void **state)
{
    (void)state;
    EXPECT_FAIL("20 mbs", CFG_DIM_RATE,
                "unknown unit 'mbs' for a data rate (did you mean 'Mbps'?); "
                "units: bps, kbps, Mbps, Gbps, B/s, kB/s, MB/s");
    EXPECT_FAIL("5 msec", CFG_DIM_TIME, "unknown unit 'msec' for a duration",
                "units: ns, us, ms, s, min, h");
    EXPECT_FAIL("2 gmac/s", CFG_DIM_SPEED, "did you mean 'GMAC/s'?");
    EXPECT_FAIL("3 furlongs", CFG_DIM_LENGTH, "unknown unit 'furlongs'",
                "units: mm, cm, m, km");
}

static void test_units_wrong_dimension(void **state)
{
    (void)state;
    EXPECT_FAIL("5 ms", CFG_DIM_RATE,
                "'5 ms' is a duration, expected a data rate");
    EXPECT_FAIL("20 Mbps", CFG_DIM_TIME,
                "'20 Mbps' is a data rate, expected a duration");
    EXPECT_FAIL("2 GMAC", CFG_DIM_SPEED,
                "'2 GMAC' is an amount of work, expected a compute speed");
    EXPECT_FAIL("64 KiB", CFG_DIM_NONE,
                "'64 KiB' is a size, expected a plain number");
    EXPECT_FAIL("1 W", CFG_DIM_ENERGY, "is a power, expected an energy");
    EXPECT_FAIL("1 GB/s", CFG_DIM_OPS,
                "'1 GB/s' is a data rate, expected an operation rate such as "
                "'19.2 Gop/s'");
    EXPECT_FAIL("19.2 Gops", CFG_DIM_OPS, "unknown unit 'Gops' for an "
                "operation rate (did you mean 'Gop/s'?)");
    EXPECT_FAIL("3 Gop/s", CFG_DIM_BYTE_RATE,
                "'3 Gop/s' is an operation rate, expected a bandwidth");
}

/* what names the value at the start of the message */
static void test_units_message_names_the_key(void **state)
{
    (void)state;
    off_err e = {0};
    double v;
    assert_int_equal(cfg_quantity("5 parsecs", CFG_DIM_TIME, "deadline", &v,
                                  POS, &e), OFF_EINVAL);
    assert_non_null(strstr(e.msg, "u.yaml:3:4: deadline: unknown unit"));
    char buf[200];
    assert_string_equal(cfg_dim_units(CFG_DIM_TIME, buf, sizeof buf),
                        "ns, us, ms, s, min, h");
    assert_string_equal(cfg_dim_noun(CFG_DIM_BYTE_RATE), "a bandwidth");
    uint64_t u = 0;
    assert_int_equal(cfg_parse_u64("+42", &u), 0);
    assert_true(u == 42);
    assert_int_equal(cfg_parse_u64("4.2", &u), 1);
    assert_int_equal(cfg_parse_u64("-3", &u), 2);
    assert_int_equal(cfg_parse_u64("99999999999999999999", &u), 3);
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
        cmocka_unit_test(test_units_message_names_the_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
