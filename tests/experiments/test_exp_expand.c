/*
 * test_exp_expand.c - experiment files expanded to points: grids, zips,
 * nesting, ranges with units, named points, filters, seeds (exact counts
 * and values), the command line's --axis/--seeds, and positioned errors.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "exp.h"

#define DIR "tests/experiments/data/"

static exp_experiment e;

static off_status load(const char *text, off_err *err)
{
    return exp_load_text(&e, DIR "x.yaml", text, strlen(text), NULL, err);
}

static void load_ok(const char *text)
{
    off_err err = {0};
    off_status st = load(text, &err);
    if (st)
        fail_msg("%s", err.msg);
}

/* The error message of text, which must fail. */
static const char *load_err(const char *text)
{
    static off_err err;
    memset(&err, 0, sizeof err);
    assert_int_not_equal(load(text, &err), OFF_OK);
    assert_int_equal(e.n_points, 0);
    return err.msg;
}

static const char *cell(size_t i, const char *col)
{
    for (size_t c = 0; c < e.n_cols; c++)
        if (!strcmp(e.cols[c], col))
            return exp_cell(&e, i, c)->text;
    fail_msg("no column %s", col);
    return NULL;
}

static double num(size_t i, const char *col)
{
    for (size_t c = 0; c < e.n_cols; c++)
        if (!strcmp(e.cols[c], col))
            return exp_cell(&e, i, c)->num;
    fail_msg("no column %s", col);
    return NAN;
}

static void test_grid_order_and_seeds(void **state)
{
    (void)state;
    load_ok("name: g\nscenario: tiny.yaml\n"
            "axes:\n  policy: [local, edge, fixed]\n  devices.0.count: [1, 2]\nseeds: 3\n");
    assert_int_equal(e.n_points, 3 * 2 * 3);
    assert_int_equal(e.n_cols, 3);
    assert_string_equal(e.cols[0], "policy");
    assert_string_equal(e.cols[1], "devices.0.count");
    assert_string_equal(e.cols[2], "seed");
    /* the first axis outermost, the seed innermost */
    assert_string_equal(cell(0, "policy"), "local");
    assert_string_equal(cell(0, "seed"), "1");
    assert_string_equal(cell(2, "seed"), "3");
    assert_string_equal(cell(3, "devices.0.count"), "2");
    assert_string_equal(cell(6, "policy"), "edge");
    assert_string_equal(cell(17, "policy"), "fixed");
    assert_true(num(17, "devices.0.count") == 2.0);
    assert_string_equal(e.scenario[0], DIR "tiny.yaml");
    assert_string_equal(e.name, "g");
    exp_free(&e);
}

static void test_zip_and_nesting(void **state)
{
    (void)state;
    load_ok("scenario: tiny.yaml\n"
            "axes:\n  grid:\n    - {policy: [local, edge]}\n"
            "    - zip:\n        - {devices.0.count: [1, 2, 3]}\n"
            "        - {duration: [1 s, 2 s, 3 s]}\n");
    assert_int_equal(e.n_points, 2 * 3);
    assert_string_equal(cell(0, "devices.0.count"), "1");
    assert_string_equal(cell(0, "duration"), "1 s");
    assert_string_equal(cell(4, "devices.0.count"), "2");
    assert_string_equal(cell(4, "duration"), "2 s");
    assert_string_equal(cell(4, "policy"), "edge");
    assert_true(num(5, "duration") == 3.0);
    exp_free(&e);
    /* zip of unequal lengths */
    const char *m = load_err("scenario: tiny.yaml\naxes: {zip: [{a: [1, 2]}, {b: [1]}]}\n");
    assert_non_null(strstr(m, "x.yaml:2:8: zip: its items must have the same number"));
}

static void test_ranges_with_units(void **state)
{
    (void)state;
    load_ok("scenario: tiny.yaml\naxes:\n"
            "  devices.0.uplink.rate: {logspace: [50 kbps, 2 Mbps, 6]}\n");
    assert_int_equal(e.n_points, 6);
    assert_string_equal(cell(0, "devices.0.uplink.rate"), "50 kbps");
    assert_string_equal(cell(5, "devices.0.uplink.rate"), "2000 kbps");
    assert_true(fabs(num(0, "devices.0.uplink.rate") - 50e3) < 1e-6);
    assert_true(fabs(num(5, "devices.0.uplink.rate") - 2e6) < 1e-3);
    /* ratio (2e6/5e4)^(1/5) between neighbours */
    double r = pow(40.0, 0.2);
    for (size_t i = 1; i < 6; i++)
        assert_true(fabs(num(i, "devices.0.uplink.rate") / num(i - 1, "devices.0.uplink.rate") - r) < 1e-4);
    exp_free(&e);

    load_ok("scenario: tiny.yaml\naxes:\n  duration: {linspace: [1 s, 3 s, 5]}\n");
    assert_int_equal(e.n_points, 5);
    assert_string_equal(cell(1, "duration"), "1.5 s");
    assert_true(num(4, "duration") == 3.0);
    exp_free(&e);

    load_ok("scenario: tiny.yaml\naxes:\n  duration: {range: [500 ms, 2 s, 500 ms]}\n");
    assert_int_equal(e.n_points, 4);
    assert_string_equal(cell(0, "duration"), "500 ms");
    assert_string_equal(cell(3, "duration"), "2000 ms");
    assert_true(fabs(num(3, "duration") - 2.0) < 1e-12);
    exp_free(&e);

    load_ok("scenario: tiny.yaml\naxes:\n  devices.0.count: {range: [1, 10, 3]}\n");
    assert_int_equal(e.n_points, 4); /* 1 4 7 10 */
    assert_string_equal(cell(3, "devices.0.count"), "10");
    exp_free(&e);
}

static void test_named_points_filter(void **state)
{
    (void)state;
    load_ok("scenario: tiny.yaml\n"
            "axes:\n  devices.0.uplink.rate: [100 kbps, 1 Mbps, 2 Mbps]\n"
            "points:\n  - {name: loc, policy: local}\n"
            "  - {name: fast, policy: {type: fixed, split: 1}}\n"
            "filter: \"point != 'loc' or devices.0.uplink.rate >= 1 Mbps\"\n"
            "seeds: [1, 2, 5]\n");
    /* 3 rates x 2 points, minus loc at 100 kbps: 5, times 3 seeds */
    assert_int_equal(e.n_points, 15);
    assert_string_equal(cell(0, "point"), "fast");
    assert_string_equal(cell(0, "devices.0.uplink.rate"), "100 kbps");
    assert_string_equal(cell(2, "seed"), "5");
    assert_string_equal(cell(3, "point"), "loc");
    assert_string_equal(cell(3, "devices.0.uplink.rate"), "1 Mbps");
    const exp_val *v = exp_cell(&e, 0, 1);
    assert_int_equal(v->n_sets, 1);
    assert_string_equal(v->sets[0].path, "policy");
    assert_string_equal(v->sets[0].value, "{type: fixed, split: 1}");
    exp_free(&e);

    load_ok("scenario: tiny.yaml\naxes: {policy: [local, edge], duration: [1 s, 2 s]}\n"
            "filter: not (policy == 'edge' and duration > 1500 ms) and duration < 1 min\n");
    assert_int_equal(e.n_points, 3);
    exp_free(&e);
}

static void test_scenarios_and_set(void **state)
{
    (void)state;
    load_ok("scenarios: [tiny.yaml, ../../data/scenarios/minimal.yaml]\nset: {duration: 1 s}\n"
            "figures: [{x: a}]\n"
            "claims: [{name: c, says: s, kind: value, paper: 1 s, tolerance: 1 s}]\n");
    assert_int_equal(e.n_points, 2);
    assert_string_equal(e.scenario[1], DIR "../../data/scenarios/minimal.yaml");
    assert_int_equal(e.n_set, 1);
    assert_string_equal(e.set[0].path, "duration");
    assert_string_equal(e.set[0].value, "1 s");
    assert_non_null(e.figures);
    assert_non_null(e.claims);
    assert_int_equal(e.n_claims, 1);
    off_err err = {0};
    if (exp_validate(&e, &err))
        fail_msg("%s", err.msg);
    assert_string_equal(e.name, "tiny");
    assert_string_not_equal(e.hash[0], e.hash[1]);
    exp_free(&e);
}

static void test_command_line(void **state)
{
    (void)state;
    char *axes[] = {"policy=local,edge", "devices.0.uplink.rate=logspace:50kbps:2Mbps:3"};
    char *sets[] = {"duration=1 s"};
    exp_cli cli = {.axis = axes, .n_axis = 2, .seeds = "2", .set = sets, .n_set = 1};
    off_err err = {0};
    if (exp_load(&e, DIR "tiny.yaml", &cli, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(e.n_points, 2 * 3 * 2);
    assert_null(e.file);
    assert_non_null(strstr(e.text, "offsim sweep " DIR "tiny.yaml --set 'duration=1 s'"));
    assert_string_equal(cell(2, "devices.0.uplink.rate"), "316.228 kbps");
    assert_string_equal(cell(11, "seed"), "2");
    if (exp_validate(&e, &err))
        fail_msg("%s", err.msg);
    exp_free(&e);

    char *bad[] = {"policy"};
    cli = (exp_cli){.axis = bad, .n_axis = 1};
    assert_int_equal(exp_load(&e, DIR "tiny.yaml", &cli, &err), OFF_EUSAGE);
    assert_non_null(strstr(err.msg, "--axis 'policy': expected PATH=a,b,c"));
    char *badr[] = {"duration=linspace:1s:2Mbps:3"};
    cli = (exp_cli){.axis = badr, .n_axis = 1};
    assert_int_equal(exp_load(&e, DIR "tiny.yaml", &cli, &err), OFF_EINVAL);
    assert_non_null(strstr(err.msg, "<--axis 1>:1:"));
}

static void test_errors_positioned(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want, *also;
    } cases[] = {
        {"axis: {policy: [local]}\n", "x.yaml:2:1: unknown key 'axis'", "did you mean 'axes'"},
        {"axes:\n  duration: {range: [1 s, 5 s, -1 s]}\n", "x.yaml:3:32: range: the step", NULL},
        {"axes:\n  duration: {linspace: [1 s, 5 Mbps, 3]}\n",
         "x.yaml:3:30: linspace: '5 Mbps' is a data rate", NULL},
        {"axes:\n  duration: {logspace: [0 s, 5 s, 3]}\n", "logspace: both ends must be > 0",
         NULL},
        {"axes:\n  duration: {lnspace: [0 s, 5 s, 3]}\n", "x.yaml:3:14: unknown key 'lnspace'",
         "did you mean 'linspace'"},
        {"axes: {policy: [local, edge]}\nfilter: policy == 'edge' and\n",
         "x.yaml:3:29: filter: expected an axis", NULL},
        {"axes: {policy: [local, edge]}\nfilter: \"polcy == 'edge'\"\n",
         "x.yaml:3:10: filter: unknown axis 'polcy' (did you mean 'policy'?)", NULL},
        {"axes: {policy: [local, edge]}\nfilter: (policy == 'edge'\n",
         "x.yaml:3:9: filter: this '(' is not closed", NULL},
        {"axes: {policy: [local, edge]}\nfilter: policy == 'x'\n",
         "filter: it drops every one of the 2 points", NULL},
        {"axes: {grid: [{policy: [a]}, {policy: [b]}]}\n", "axis 'policy' is given twice", NULL},
        {"seeds: 0\n", "x.yaml:2:8: seeds must be between 1 and", NULL},
        {"seeds: [7, 3, 9, 3, 7]\n", "x.yaml:2:18: seeds: seed 3 is given twice", NULL},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char text[512];
        snprintf(text, sizeof text, "scenario: tiny.yaml\n%s", cases[k].text);
        const char *m = load_err(text);
        if (!strstr(m, cases[k].want) || (cases[k].also && !strstr(m, cases[k].also)))
            fail_msg("case %zu: expected '%s' in: %s", k, cases[k].want, m);
    }
}

static void test_invalid_point_reported(void **state)
{
    (void)state;
    load_ok("scenario: tiny.yaml\naxes:\n  devices.0.count: [1, 2]\n"
            "  devices.0.uplink.rate: [1 Mbps, 5 ms]\n");
    off_err err = {0};
    assert_int_not_equal(exp_validate(&e, &err), OFF_OK);
    assert_non_null(strstr(err.msg, "point 1 of 4 (devices.0.count=1, devices.0.uplink.rate=5 ms)"));
    assert_non_null(strstr(err.msg, "is a duration, expected a data rate"));
    exp_free(&e);
    /* the same configuration twice */
    load_ok("scenario: tiny.yaml\n"
            "axes: {zip: [{policy: [edge, edge]}, {devices.0.count: [1, 1]}]}\n");
    assert_int_not_equal(exp_validate(&e, &err), OFF_OK);
    assert_non_null(strstr(err.msg, "are the same configuration and seed"));
    exp_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid_order_and_seeds),
        cmocka_unit_test(test_zip_and_nesting),
        cmocka_unit_test(test_ranges_with_units),
        cmocka_unit_test(test_named_points_filter),
        cmocka_unit_test(test_scenarios_and_set),
        cmocka_unit_test(test_command_line),
        cmocka_unit_test(test_errors_positioned),
        cmocka_unit_test(test_invalid_point_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
