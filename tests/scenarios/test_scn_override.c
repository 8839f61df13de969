/* test_scn_override.c - "--set path=value": splitting the flag, replacing
 * and adding values in the tree before validation, list items by index and
 * by name, flow values, and errors that name the flag. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "scn.h"

#define MINIMAL "tests/data/scenarios/minimal.yaml"

#define assert_near(a, b) assert_true(fabs((double)(a) - (double)(b)) <= \
                                      1e-9 * fabs((double)(b)) + 1e-12)

/* Parse up to 8 flags into ov (the strings are copied into bufs). */
static size_t parse_flags(const char *const *flags, scn_override *ov,
                          char bufs[][256])
{
    size_t n = 0;
    for (; flags[n]; n++) {
        off_err e = {0};
        snprintf(bufs[n], 256, "%s", flags[n]);
        if (scn_override_parse(bufs[n], &ov[n], &e) != OFF_OK)
            fail_msg("flag '%s': %s", flags[n], e.msg);
    }
    return n;
}

static off_status load_with(scn_scenario *s, const char *const *flags,
                            off_err *e)
{
    scn_override ov[8];
    char bufs[8][256];
    size_t n = parse_flags(flags, ov, bufs);
    return scn_load(s, MINIMAL, ov, n, e);
}
#define LOAD_WITH(s, e, ...) load_with(s, (const char *const[]){__VA_ARGS__, NULL}, e)

static void test_override_parse_splits_at_first_equals(void **state)
{
    (void)state;
    scn_override o;
    off_err e = {0};
    char a[] = "devices.0.arrivals.rate=8 /s";
    assert_int_equal(scn_override_parse(a, &o, &e), OFF_OK);
    assert_string_equal(o.path, "devices.0.arrivals.rate");
    assert_string_equal(o.value, "8 /s");
    char b[] = "name=a=b";
    assert_int_equal(scn_override_parse(b, &o, &e), OFF_OK);
    assert_string_equal(o.path, "name");
    assert_string_equal(o.value, "a=b");
    char c[] = " seed = 5";
    assert_int_equal(scn_override_parse(c, &o, &e), OFF_OK);
    assert_string_equal(o.path, "seed");
    char d[] = "name=";
    assert_int_equal(scn_override_parse(d, &o, &e), OFF_OK);
    assert_string_equal(o.value, "");
}

static void test_override_parse_rejects_malformed_flags(void **state)
{
    (void)state;
    static const char *const bad[] = {"abc", "=1", "a..b=1", ".a=1", "a.=1",
                                      " =1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%s", bad[i]);
        scn_override o;
        off_err e = {0};
        assert_int_equal(scn_override_parse(buf, &o, &e), OFF_EUSAGE);
        print_message("  '%s' -> %s\n", bad[i], e.msg);
        assert_non_null(strstr(e.msg, "--set '"));
        assert_non_null(strstr(e.msg, "expected path.to.key=value"));
    }
}

static void test_override_replaces_by_index_and_by_name(void **state)
{
    (void)state;
    scn_scenario s;
    off_err e = {0};
    off_status st = LOAD_WITH(&s, &e, "devices.0.arrivals.rate=8 /s",
                              "devices.phone.count=4", "seed=7",
                              "model.layers.l1.macs=2 GMAC");
    if (st)
        fail_msg("%s", e.msg);
    assert_near(s.devices[0].arrivals.rate_hz, 8);
    assert_int_equal(s.devices[0].count, 4);
    assert_int_equal(s.seed, 7);
    assert_near(s.model.layers[0].macs, 2e9);
    assert_string_equal(s.overrides,
                        "devices.0.arrivals.rate=8 /s\ndevices.phone.count=4\n"
                        "seed=7\nmodel.layers.l1.macs=2 GMAC");
    assert_int_equal(s.n_set_labels, 4);
    assert_string_equal(s.set_labels[2], "<--set 3>");
    scn_free(&s);
}

static void test_override_adds_keys_and_list_items(void **state)
{
    (void)state;
    scn_scenario s;
    off_err e = {0};
    off_status st = LOAD_WITH(&s, &e, "devices.0.deadline=50 ms",
                              "devices.1={name: watch, speed: 1 GMAC/s, "
                              "arrivals: {process: periodic, period: 1 s}}",
                              "devices.watch.uplink={rate: 2 Mbps}",
                              "output={tasks: no}");
    if (st)
        fail_msg("%s", e.msg);
    assert_near(s.devices[0].deadline_s, 0.05);
    assert_int_equal(s.n_devices, 2);
    assert_string_equal(s.devices[1].name, "watch");
    assert_int_equal(s.devices[1].arrivals.kind, SCN_ARR_PERIODIC);
    assert_near(s.devices[1].uplink.rate_bps, 2e6);
    assert_string_equal(s.devices[1].pos.file, "<--set 2>");
    assert_int_equal(s.devices[1].pos.line, 1);
    assert_int_equal(s.devices[1].pos.col, 1);
    assert_false(s.record_tasks);
    scn_free(&s);
}

static void test_override_flow_values(void **state)
{
    (void)state;
    scn_scenario s;
    off_err e = {0};
    off_status st = LOAD_WITH(&s, &e, "model.bits=[4,8]",
                              "policy={type: edge, k: 3}");
    if (st)
        fail_msg("%s", e.msg);
    assert_int_equal(s.model.n_bits, 2);
    assert_int_equal(s.model.bits[0], 4);
    assert_int_equal(s.model.bits[1], 8);
    assert_string_equal(s.policy.type, "edge");
    const scn_param *k = scn_policy_param(&s.policy, "k");
    assert_non_null(k);
    assert_string_equal(k->value, "3");
    assert_string_equal(k->pos.file, "<--set 2>");
    assert_int_equal(k->pos.line, 1);
    assert_int_equal(k->pos.col, 17);
    scn_free(&s);

    st = LOAD_WITH(&s, &e, "policy=edge");
    assert_int_equal(st, OFF_OK);
    assert_string_equal(s.policy.type, "edge");
    scn_free(&s);
}

static void test_override_applies_before_validation(void **state)
{
    (void)state;
    /* the file alone is invalid; the override fixes it */
    static const char text[] =
        "duration: 1 s\n"
        "model: {layers: [{name: a, macs: 1, out: 1}], "
        "exits: [{name: e, after: a, accuracy: 1}]}\n"
        "devices: [{name: p, speed: fast, arrivals: {process: poisson, "
        "rate: 1 /s}}]\n"
        "servers: [{name: s, speed: 1 GMAC/s}]\n";
    char flag[] = "devices.p.speed=3 GMAC/s";
    scn_override o;
    off_err e = {0};
    assert_int_equal(scn_override_parse(flag, &o, &e), OFF_OK);
    scn_scenario s;
    off_status st = scn_load_text(&s, "t.yaml", text, sizeof text - 1, &o, 1,
                                  &e);
    if (st)
        fail_msg("%s", e.msg);
    assert_near(s.devices[0].speed_macs, 3e9);
    scn_free(&s);
}

static void expect_err(const char *const *flags, off_status want,
                       const char *prefix, const char *const *words)
{
    scn_scenario s;
    off_err e = {0};
    off_status st = load_with(&s, flags, &e);
    print_message("  -> %s\n", e.msg);
    if (st != want)
        fail_msg("status %d, want %d: %s", st, want, e.msg);
    if (strncmp(e.msg, prefix, strlen(prefix)) != 0)
        fail_msg("'%s' does not start with '%s'", e.msg, prefix);
    for (size_t i = 0; words[i]; i++)
        if (!strstr(e.msg, words[i]))
            fail_msg("'%s' lacks '%s'", e.msg, words[i]);
    assert_null(s.file);
    assert_null(s.set_labels);
}
#define FLAGS(...) (const char *const[]){__VA_ARGS__, NULL}
#define WORDS(...) (const char *const[]){__VA_ARGS__, NULL}

static void test_override_errors_name_the_flag(void **state)
{
    (void)state;
    /* added key that the schema does not know */
    expect_err(FLAGS("devices.0.colour=red"), OFF_EINVAL, "<--set 1>: ",
               WORDS("unknown key 'colour' in device 'phone'",
                     "valid keys: name, count"));
    /* a value that came from an override: column within the value */
    expect_err(FLAGS("name=x", "devices.0.speed=fast"), OFF_EINVAL,
               "<--set 2>:1:1: ",
               WORDS("speed: expected a compute speed", "got 'fast'"));
    expect_err(FLAGS("model.bits=[4, 20]"), OFF_EINVAL, "<--set 1>:1:5: ",
               WORDS("bits must be 1..16 or 32"));
    expect_err(FLAGS("policy={type: edge"), OFF_EPARSE, "<--set 1>:1:12: ",
               WORDS("YAML syntax error"));
    expect_err(FLAGS("devices.0.name="), OFF_EINVAL, "<--set 1>:1:1: ",
               WORDS("name: expected a scalar, got an empty value"));
    /* paths through missing parents */
    expect_err(FLAGS("devices.0.uplink.rate=5 Mbps"), OFF_EINVAL,
               "<--set 1>: ",
               WORDS("--set devices.0.uplink.rate=5 Mbps",
                     "no key 'uplink' to go into",
                     "its keys: name, speed, arrivals"));
    expect_err(FLAGS("devices.7.count=1"), OFF_EINVAL, "<--set 1>: ",
               WORDS("no item '7'", "items 0..0 or by name: phone"));
    expect_err(FLAGS("devices.watch.count=1"), OFF_EINVAL, "<--set 1>: ",
               WORDS("no item 'watch'"));
    expect_err(FLAGS("devices.5={name: x}"), OFF_EINVAL, "<--set 1>: ",
               WORDS("no item '5' in the list", "index 1 appends"));
    expect_err(FLAGS("modle.layers.l1.macs=1"), OFF_EINVAL, "<--set 1>: ",
               WORDS("no key 'modle' to go into (did you mean 'model'?)"));
    expect_err(FLAGS("duration.x=1"), OFF_EINVAL, "<--set 1>: ",
               WORDS("cannot set 'x' inside a scalar value"));
    expect_err(FLAGS("seed=1", "seed=2", "durtion=5 s"), OFF_EINVAL,
               "<--set 3>: ",
               WORDS("unknown key 'durtion' in the scenario",
                     "did you mean 'duration'?"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_override_parse_splits_at_first_equals),
        cmocka_unit_test(test_override_parse_rejects_malformed_flags),
        cmocka_unit_test(test_override_replaces_by_index_and_by_name),
        cmocka_unit_test(test_override_adds_keys_and_list_items),
        cmocka_unit_test(test_override_flow_values),
        cmocka_unit_test(test_override_applies_before_validation),
        cmocka_unit_test(test_override_errors_name_the_flag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
