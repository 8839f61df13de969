/* test_scn_errors.c - every class of bad scenario gives exactly one
 * "FILE:LINE:COL: message" with the right status, position and words, and
 * leaves nothing allocated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "scn.h"

/* Lines 2-4 */
#define MODEL_BODY "  layers: [{name: l1, macs: 1 G, out: 1 kB}]\n" \
                   "  exits: [{name: out, after: l1, accuracy: 0.9}]\n"
#define MODEL "model:\n" MODEL_BODY
/* 2 lines */
#define SERVERS "servers:\n" \
                "  - {name: edge, speed: 10 GMAC/s}\n"
/* 2 lines */
#define DEVICES "devices:\n" \
                "  - {name: phone, speed: 1 GMAC/s, arrivals: {process: poisson, rate: 1 /s}}\n"
/* Lines 1-10; a test adds the device's 11th line. */
#define HEAD "duration: 1 s\n" MODEL SERVERS \
             "devices:\n" \
             "  - name: phone\n" \
             "    speed: 1 GMAC/s\n" \
             "    arrivals: {process: poisson, rate: 1 /s}\n"

static void expect_err(const char *text, off_status want, const char *prefix,
                       const char *const *words)
{
    scn_scenario s;
    off_err e = {0};
    off_status st = scn_load_text(&s, "t.yaml", text, strlen(text), NULL, 0,
                                  &e);
    print_message("  -> %s\n", e.msg);
    if (st != want)
        fail_msg("status %d (%s), want %d: %s", st, off_status_str(st), want,
                 e.msg);
    if (strncmp(e.msg, prefix, strlen(prefix)) != 0)
        fail_msg("'%s' does not start with '%s'", e.msg, prefix);
    for (size_t i = 0; words[i]; i++)
        if (!strstr(e.msg, words[i]))
            fail_msg("'%s' lacks '%s'", e.msg, words[i]);
    /* nothing left behind */
    assert_null(s.file);
    assert_null(s.text);
    assert_null(s.devices);
    assert_null(s.model.layers);
    assert_int_equal(s.n_devices, 0);
}
#define EXPECT_ERR(text, st, prefix, ...) \
    expect_err(text, st, prefix, (const char *const[]){__VA_ARGS__, NULL})

static void test_yaml_syntax_error_reports_libyaml_problem(void **state)
{
    (void)state;
    EXPECT_ERR("a: b: c\n", OFF_EPARSE, "t.yaml:1:5: ",
               "YAML syntax error: mapping values are not allowed in this "
               "context");
    EXPECT_ERR("duration: 1 s\nseed: [1, 2\n", OFF_EPARSE, "t.yaml:3:1: ",
               "YAML syntax error", "did not find expected ',' or ']'",
               "line 2, column 7");
    EXPECT_ERR("name: x\n\tseed: 1\n", OFF_EPARSE, "t.yaml:2:1: ",
               "YAML syntax error", "tab");
}

static void test_unknown_key_suggests_and_lists_valid_keys(void **state)
{
    (void)state;
    EXPECT_ERR("durtion: 1 s\n" MODEL DEVICES SERVERS, OFF_EINVAL,
               "t.yaml:1:1: ",
               "unknown key 'durtion' in the scenario (did you mean "
               "'duration'?); valid keys: name, seed, duration, max_tasks, "
               "warmup, model, devices, servers, policy, reward, output");
    EXPECT_ERR(HEAD "    uplink: {rat: 5 Mbps, delay: 1 ms}\n", OFF_EINVAL,
               "t.yaml:11:14: ",
               "unknown key 'rat' in uplink of device 'phone' (did you mean "
               "'rate'?); valid keys: rate, delay");
    EXPECT_ERR(HEAD "    uplink: {bandwdith: 5 Mbps}\n", OFF_EINVAL,
               "t.yaml:11:14: ",
               "unknown key 'bandwdith' in uplink of device 'phone'; valid "
               "keys: rate, delay");
    EXPECT_ERR(HEAD "    uplink: {rtae: 5 Mbps}\n", OFF_EINVAL,
               "t.yaml:11:14: ",
               "unknown key 'rtae' in uplink of device 'phone' (did you mean "
               "'rate'?)"); /* a swap of two letters */
    EXPECT_ERR(HEAD "    sped: 1\n", OFF_EINVAL, "t.yaml:11:5: ",
               "unknown key 'sped' in device 'phone' (did you mean "
               "'speed'?)");
    EXPECT_ERR("duration: 1 s\n" MODEL DEVICES SERVERS "output: {dbb: x}\n",
               OFF_EINVAL, "t.yaml:9:10: ",
               "unknown key 'dbb' in output (did you mean 'db'?); valid "
               "keys: db, tasks");
}

static void test_wrong_type_names_expected_shape(void **state)
{
    (void)state;
    EXPECT_ERR("duration: 1 s\nmodel: 5\n" DEVICES SERVERS, OFF_EINVAL,
               "t.yaml:2:8: ", "model: expected a mapping", "got '5'");
    EXPECT_ERR("duration: 1 s\n" MODEL SERVERS "devices: {a: 1}\n",
               OFF_EINVAL, "t.yaml:7:10: ", "devices: expected a list",
               "got a mapping");
    EXPECT_ERR("name: [a]\nduration: 1 s\n" MODEL DEVICES SERVERS, OFF_EINVAL,
               "t.yaml:1:7: ", "name: expected a scalar, got a list");
    EXPECT_ERR(HEAD "    power: 5 W\n", OFF_EINVAL, "t.yaml:11:12: ",
               "power of device 'phone': expected a mapping (keys: active, "
               "idle, tx, rx), got '5 W'");
    EXPECT_ERR("duration:\n" MODEL DEVICES SERVERS, OFF_EINVAL,
               "t.yaml:1:10: ", "duration: expected a duration",
               "got an empty value");
    EXPECT_ERR("duration: 1 s\n" MODEL SERVERS "devices:\n  - 5\n",
               OFF_EINVAL, "t.yaml:8:5: ", "devices.0: expected a mapping");
}

static void test_bad_values_name_expected_unit_and_range(void **state)
{
    (void)state;
    EXPECT_ERR(HEAD "    deadline: fast\n", OFF_EINVAL, "t.yaml:11:15: ",
               "deadline: expected a duration such as '5 ms' (units: ns, us, "
               "ms, s, min, h), got 'fast'");
    EXPECT_ERR(HEAD "    deadline: -5 ms\n", OFF_EINVAL, "t.yaml:11:15: ",
               "deadline must be > 0, got -5 ms");
    EXPECT_ERR(HEAD "    uplink: {rate: 20 mbs}\n", OFF_EINVAL,
               "t.yaml:11:20: ",
               "unknown unit 'mbs' for a data rate (did you mean 'Mbps'?); "
               "units: bps, kbps, Mbps, Gbps, B/s, kB/s, MB/s");
    EXPECT_ERR(HEAD "    uplink: {rate: 5 ms}\n", OFF_EINVAL,
               "t.yaml:11:20: ", "'5 ms' is a duration, expected a data rate");
    EXPECT_ERR(HEAD "    uplink: {rate: 0 bps}\n", OFF_EINVAL,
               "t.yaml:11:20: ", "rate must be > 0, got 0 bps");
    EXPECT_ERR(HEAD "    power: {idle: -1 W}\n", OFF_EINVAL,
               "t.yaml:11:19: ", "idle must be >= 0, got -1 W");
    EXPECT_ERR("duration: 1 s\nmodel:\n"
               "  layers: [{name: l1, macs: 1 G, out: 1 kB}]\n"
               "  exits: [{name: out, after: l1, accuracy: 1.5}]\n"
               DEVICES SERVERS, OFF_EINVAL, "t.yaml:4:44: ",
               "accuracy must be between 0 and 1", "got 1.5");
    EXPECT_ERR("duration: 1 s\nmodel:\n"
               "  layers: [{name: l1, macs: 1 G, out: 0 B}]\n"
               "  exits: [{name: out, after: l1, accuracy: 1}]\n"
               DEVICES SERVERS, OFF_EINVAL, "t.yaml:3:39: ",
               "out must be > 0, got 0 B");
    EXPECT_ERR("duration: 1 s\n" MODEL DEVICES SERVERS "output: {tasks: maybe}\n",
               OFF_EINVAL, "t.yaml:9:17: ",
               "tasks: expected true or false, got 'maybe'");
}

static void test_negative_and_inconsistent_durations(void **state)
{
    (void)state;
    EXPECT_ERR("duration: -1 s\n" MODEL DEVICES SERVERS, OFF_EINVAL,
               "t.yaml:1:11: ", "duration must be > 0, got -1 s");
    EXPECT_ERR("duration: 1 s\nwarmup: -2 s\n" MODEL DEVICES SERVERS,
               OFF_EINVAL, "t.yaml:2:9: ", "warmup must be >= 0, got -2 s");
    EXPECT_ERR("duration: 1 s\nwarmup: 5 s\n" MODEL DEVICES SERVERS,
               OFF_EINVAL, "t.yaml:2:9: ",
               "warmup must be < duration (1 s), got 5 s");
    EXPECT_ERR(MODEL DEVICES SERVERS, OFF_EINVAL, "t.yaml:1:1: ",
               "no 'duration' and no 'max_tasks'");
    EXPECT_ERR("duration: inf\n" MODEL DEVICES SERVERS, OFF_EINVAL,
               "t.yaml:1:11: ", "duration is infinite and max_tasks is 0");
    EXPECT_ERR("duration: 1 s\n" MODEL SERVERS
               "devices:\n  - {name: cam, speed: 1 GMAC/s, arrivals: {process: "
               "periodic, period: -33 ms}}\n",
               OFF_EINVAL, "t.yaml:8:72: ", "period must be > 0, got -33 ms");
}

static void test_missing_required_key_points_at_enclosing_mapping(void **state)
{
    (void)state;
    EXPECT_ERR("duration: 1 s\n" MODEL SERVERS
               "devices:\n  - name: phone\n    arrivals: {process: poisson, "
               "rate: 1 /s}\n",
               OFF_EINVAL, "t.yaml:8:5: ", "device 'phone' has no 'speed'");
    EXPECT_ERR("duration: 1 s\n" MODEL SERVERS
               "devices:\n  - speed: 1 GMAC/s\n    arrivals: {process: poisson, "
               "rate: 1 /s}\n",
               OFF_EINVAL, "t.yaml:8:5: ", "devices.0 has no 'name'");
    EXPECT_ERR("duration: 1 s\n" DEVICES SERVERS, OFF_EINVAL, "t.yaml:1:1: ",
               "the scenario has no 'model'");
    EXPECT_ERR(HEAD "    uplink: {}\n  - name: cam\n    speed: 1 GMAC/s\n"
               "    arrivals: {rate: 1 /s}\n",
               OFF_EINVAL, "t.yaml:14:15: ",
               "arrivals of device 'cam' has no 'process'");
    EXPECT_ERR("duration: 1 s\n" DEVICES SERVERS "model:\n  layers: []\n  exits: []\n",
               OFF_EINVAL, "t.yaml:7:11: ",
               "model.layers must list at least one layer");
    EXPECT_ERR("duration: 1 s\n" MODEL DEVICES SERVERS "policy: {split: 2}\n",
               OFF_EINVAL, "t.yaml:9:9: ", "policy has no 'type'");
}

static void test_duplicate_keys_and_names(void **state)
{
    (void)state;
    EXPECT_ERR("seed: 1\nduration: 1 s\nseed: 2\n" MODEL DEVICES SERVERS,
               OFF_EPARSE, "t.yaml:3:1: ",
               "duplicate key 'seed' (first at line 1, column 1)");
    EXPECT_ERR("duration: 1 s\n" MODEL SERVERS DEVICES
               "  - {name: phone, speed: 2 GMAC/s, arrivals: {process: poisson, "
               "rate: 1 /s}}\n",
               OFF_EINVAL, "t.yaml:9:12: ",
               "duplicate device name 'phone' (first at line 8)");
    EXPECT_ERR("duration: 1 s\n" MODEL DEVICES SERVERS
               "  - {name: edge, speed: 1 GMAC/s}\n",
               OFF_EINVAL, "t.yaml:9:12: ",
               "duplicate server name 'edge' (first at line 8)");
    EXPECT_ERR("duration: 1 s\nmodel:\n"
               "  layers: [{name: a, macs: 1, out: 1}, {name: a, macs: 1, "
               "out: 1}]\n"
               "  exits: [{name: out, after: a, accuracy: 1}]\n"
               DEVICES SERVERS, OFF_EINVAL, "t.yaml:3:47: ",
               "duplicate layer name 'a'");
}

static void test_empty_and_non_mapping_documents(void **state)
{
    (void)state;
    EXPECT_ERR("", OFF_EINVAL, "t.yaml:1:1: ",
               "empty scenario: expected a mapping with keys name, seed, "
               "duration, max_tasks, warmup, model, devices, servers, "
               "policy, reward, output");
    EXPECT_ERR("# only a comment\n\n", OFF_EINVAL, "t.yaml:1:1: ",
               "empty scenario");
    EXPECT_ERR("---\n", OFF_EINVAL, "t.yaml:1:1: ", "empty scenario");
    EXPECT_ERR("- a\n- b\n", OFF_EINVAL, "t.yaml:1:1: ",
               "a scenario must be a mapping", "got a list");
    EXPECT_ERR("hello\n", OFF_EINVAL, "t.yaml:1:1: ",
               "a scenario must be a mapping", "got 'hello'");
    EXPECT_ERR("duration: 1 s\n---\nseed: 2\n", OFF_EPARSE, "t.yaml:2:1: ",
               "a second YAML document");

    /* and from a file */
    scn_scenario s;
    off_err e = {0};
    assert_int_equal(scn_load(&s, "tests/data/scenarios/empty.yaml", NULL, 0,
                              &e), OFF_EINVAL);
    print_message("  -> %s\n", e.msg);
    assert_string_equal(e.msg,
                        "tests/data/scenarios/empty.yaml:1:1: empty scenario: "
                        "expected a mapping with keys name, seed, duration, "
                        "max_tasks, warmup, model, devices, servers, policy, "
                        "reward, output");
}

static void test_unreadable_file_is_an_io_error(void **state)
{
    (void)state;
    scn_scenario s;
    off_err e = {0};
    assert_int_equal(scn_load(&s, "tests/data/scenarios/no-such-file.yaml",
                              NULL, 0, &e), OFF_EIO);
    print_message("  -> %s\n", e.msg);
    assert_non_null(strstr(e.msg, "tests/data/scenarios/no-such-file.yaml: "));
    assert_non_null(strstr(e.msg, "cannot open"));
    assert_null(s.file);
    assert_int_equal(scn_load(&s, "tests/data/scenarios", NULL, 0, &e),
                     OFF_EIO);
    print_message("  -> %s\n", e.msg);
}

static void test_numbers_overflow_nan_and_non_integers(void **state)
{
    (void)state;
    EXPECT_ERR("seed: 99999999999999999999\nduration: 1 s\n" MODEL DEVICES
               SERVERS, OFF_EINVAL, "t.yaml:1:7: ",
               "seed is out of range (at most 18446744073709551615)");
    EXPECT_ERR("seed: -1\nduration: 1 s\n" MODEL DEVICES SERVERS, OFF_EINVAL,
               "t.yaml:1:7: ", "seed must be >= 0, got -1");
    EXPECT_ERR("seed: 1.5\nduration: 1 s\n" MODEL DEVICES SERVERS, OFF_EINVAL,
               "t.yaml:1:7: ", "seed: expected an integer, got '1.5'");
    EXPECT_ERR(HEAD "    count: 1e3\n", OFF_EINVAL, "t.yaml:11:12: ",
               "count: expected an integer, got '1e3'");
    EXPECT_ERR(HEAD "    count: 0\n", OFF_EINVAL, "t.yaml:11:12: ",
               "count must be between 1 and 10000000, got 0");
    EXPECT_ERR("duration: 1e999 s\n" MODEL DEVICES SERVERS, OFF_EINVAL,
               "t.yaml:1:11: ", "number out of range: '1e999 s'");
    EXPECT_ERR("duration: nan\n" MODEL DEVICES SERVERS, OFF_EINVAL,
               "t.yaml:1:11: ", "expected a duration", "got 'nan'");
    EXPECT_ERR("duration: .nan\n" MODEL DEVICES SERVERS, OFF_EINVAL,
               "t.yaml:1:11: ", "expected a duration");
    EXPECT_ERR("max_tasks: 184467440737095516160\n" MODEL DEVICES SERVERS,
               OFF_EINVAL, "t.yaml:1:12: ", "max_tasks is out of range");
}

static void test_model_structure_errors(void **state)
{
    (void)state;
    EXPECT_ERR("duration: 1 s\nmodel:\n  work: 1 G\n" MODEL_BODY DEVICES SERVERS,
               OFF_EINVAL, "t.yaml:3:3: ",
               "'work' applies to synthetic models only");
    EXPECT_ERR("duration: 1 s\nmodel:\n  kind: synthetic\n  work: 1 G\n"
               "  exits: []\n" DEVICES SERVERS,
               OFF_EINVAL, "t.yaml:5:3: ",
               "'exits' applies to profiled models only");
    EXPECT_ERR("duration: 1 s\nmodel:\n  kind: synthtic\n  work: 1 G\n"
               DEVICES SERVERS, OFF_EINVAL, "t.yaml:3:9: ",
               "unknown model kind 'synthtic' (did you mean 'synthetic'?); "
               "accepted values: profiled, synthetic");
    EXPECT_ERR("duration: 1 s\nmodel:\n  kind: synthetic\n"
               "  work: {dist: uniform, min: 3 G, max: 1 G}\n" DEVICES SERVERS,
               OFF_EINVAL, "t.yaml:4:40: ", "max must be >= min");
    EXPECT_ERR("duration: 1 s\nmodel:\n  kind: synthetic\n"
               "  work: {dist: exponential, cv: 2}\n" DEVICES SERVERS,
               OFF_EINVAL, "t.yaml:4:29: ",
               "'cv' does not apply to a exponential distribution");
    EXPECT_ERR("duration: 1 s\nmodel:\n"
               "  layers: [{name: a, macs: 1, out: 1}, {name: b, macs: 1, "
               "out: 1}, {name: c, macs: 1, out: 1}]\n"
               "  exits: [{name: e1, after: b, accuracy: 0.5}, {name: e2, "
               "after: a, accuracy: 0.6}, {name: e3, after: c, accuracy: 1}]\n"
               DEVICES SERVERS, OFF_EINVAL, "t.yaml:4:66: ",
               "exits must be listed in layer order",
               "exit 'e2' is after layer 'a'");
    EXPECT_ERR("duration: 1 s\nmodel:\n"
               "  layers: [{name: a, macs: 1, out: 1}, {name: b, macs: 1, "
               "out: 1}]\n"
               "  exits: [{name: e1, after: a, accuracy: 0.5}]\n"
               DEVICES SERVERS, OFF_EINVAL, "t.yaml:4:29: ",
               "the last exit must be after the last layer 'b'");
    EXPECT_ERR("duration: 1 s\nmodel:\n"
               "  layers: [{name: conv1, macs: 1, out: 1}]\n"
               "  exits: [{name: e1, after: cnv1, accuracy: 0.5}]\n"
               DEVICES SERVERS, OFF_EINVAL, "t.yaml:4:29: ",
               "after names no layer: 'cnv1' (did you mean 'conv1'?)");
    EXPECT_ERR("duration: 1 s\nmodel:\n  bits: [8, 20]\n" MODEL_BODY DEVICES
               SERVERS, OFF_EINVAL, "t.yaml:3:13: ",
               "bits must be 1..16 or 32 (float), got 20");
    EXPECT_ERR("duration: 1 s\nmodel:\n  bits: [8, 4]\n" MODEL_BODY DEVICES
               SERVERS, OFF_EINVAL, "t.yaml:3:13: ",
               "bits must be strictly ascending (4 after 8)");
}

static void test_device_and_server_errors(void **state)
{
    (void)state;
    EXPECT_ERR(HEAD "    server: edg\n", OFF_EINVAL, "t.yaml:11:13: ",
               "device 'phone': unknown server 'edg' (did you mean "
               "'edge'?); servers: edge");
    EXPECT_ERR("duration: 1 s\n" MODEL SERVERS
               "devices:\n  - {name: p, speed: 1 GMAC/s, arrivals: {process: "
               "poisson, rate: 1 /s, period: 1 s}}\n",
               OFF_EINVAL, "t.yaml:8:73: ",
               "'period' does not apply to poisson arrivals (their keys: "
               "process, rate)");
    EXPECT_ERR("duration: 1 s\n" MODEL SERVERS
               "devices:\n  - {name: p, speed: 1 GMAC/s, arrivals: {process: "
               "poison, rate: 1 /s}}\n",
               OFF_EINVAL, "t.yaml:8:52: ",
               "unknown arrival process 'poison' (did you mean 'poisson'?); "
               "accepted values: poisson, periodic, trace");
    EXPECT_ERR("duration: 1 s\n" MODEL DEVICES
               "servers:\n  - {name: edge, speed: 1 GMAC/s, discipline: sjf}\n",
               OFF_EINVAL, "t.yaml:8:47: ",
               "unknown discipline 'sjf'; accepted values: fcfs, ps, edf");
    EXPECT_ERR("duration: 1 s\n" MODEL DEVICES
               "servers:\n  - {name: edge, speed: 1 GMAC/s, discipline: edff}\n",
               OFF_EINVAL, "t.yaml:8:47: ",
               "unknown discipline 'edff' (did you mean 'edf'?)");
    EXPECT_ERR("duration: 1 s\n" MODEL DEVICES "servers: []\n", OFF_EINVAL,
               "t.yaml:7:10: ", "servers must list at least one server");
}

/* servers' background and batching mappings */
#define SRV_HEAD "duration: 1 s\n" MODEL DEVICES "servers:\n  - name: edge\n" \
                 "    speed: 1 GMAC/s\n"
static void test_background_and_batching_errors(void **state)
{
    (void)state;
    /* line 10 is the server's third line */
    EXPECT_ERR(SRV_HEAD "    background: {rate: 20 /s}\n", OFF_EINVAL, "t.yaml:10:17: ",
               "background of server 'edge' has no 'work'");
    EXPECT_ERR(SRV_HEAD "    background: {rate: 20 /s, wrok: 5 MMAC}\n", OFF_EINVAL,
               "t.yaml:10:31: ", "unknown key 'wrok' in background of server 'edge' "
               "(did you mean 'work'?); valid keys: rate, work");
    EXPECT_ERR(SRV_HEAD "    background: {rate: 20 ms, work: 5 MMAC}\n", OFF_EINVAL,
               "t.yaml:10:24: ", "rate: '20 ms' is a duration, expected an event rate");
    EXPECT_ERR(SRV_HEAD "    background: {rate: -1 /s, work: 5 MMAC}\n", OFF_EINVAL,
               "t.yaml:10:24: ", "rate must be >= 0");
    EXPECT_ERR(SRV_HEAD "    background: {rate: 2 /s, work: {dist: uniform, min: 2 M, "
               "max: 1 M}}\n", OFF_EINVAL, "t.yaml:10:67: ",
               "max must be >= min");
    EXPECT_ERR(SRV_HEAD "    background: {rate: 2 /s, work: {dist: exponential, min: 1 M}}\n",
               OFF_EINVAL, "t.yaml:10:56: ",
               "'min' does not apply to a exponential distribution (its keys: dist, mean)");
    EXPECT_ERR(SRV_HEAD "    batching: {window: 5 ms, speedup: 2}\n", OFF_EINVAL,
               "t.yaml:10:15: ", "batching of server 'edge' has no 'max'");
    EXPECT_ERR(SRV_HEAD "    batching: {max: 8, speedup: 9}\n", OFF_EINVAL,
               "t.yaml:10:33: ", "speedup must be between 1 (no gain) and max (8");
    EXPECT_ERR(SRV_HEAD "    batching: {max: 0, speedup: 1}\n", OFF_EINVAL,
               "t.yaml:10:21: ", "max must be between 1 and 4096, got 0");
    EXPECT_ERR(SRV_HEAD "    batching: {max: 3, speedup: [1, 1.5]}\n", OFF_EINVAL,
               "t.yaml:10:33: ", "a list must give S(n) for every batch size n = 1..max "
               "(3 values), got 2");
    EXPECT_ERR(SRV_HEAD "    batching: {max: 3, speedup: [1.2, 1.5, 2]}\n", OFF_EINVAL,
               "t.yaml:10:34: ", "speedup of a batch of 1 must be 1, got 1.2");
    EXPECT_ERR(SRV_HEAD "    batching: {max: 3, speedup: [1, 2.5, 2]}\n", OFF_EINVAL,
               "t.yaml:10:37: ", "speedup of a batch of 2 must be between 1 and 2, got 2.5");
    EXPECT_ERR(SRV_HEAD "    batching: {max: 3, speedup: [1, 1.5, 3]}\n", OFF_EINVAL,
               "t.yaml:10:42: ", "speedup 3 for a batch of 3 makes it faster than a batch "
               "of 2");
    EXPECT_ERR(SRV_HEAD "    discipline: ps\n    batching: {max: 2, speedup: 2}\n",
               OFF_EINVAL, "t.yaml:11:15: ",
               "server 'edge': batching needs discipline fcfs", "the discipline is ps");
}

static void test_policy_errors(void **state)
{
    (void)state;
    EXPECT_ERR("duration: 1 s\n" MODEL DEVICES SERVERS
               "policy: {type: edge, th: [1, 2]}\n",
               OFF_EINVAL, "t.yaml:9:26: ",
               "policy parameter 'th' must be a scalar", "got a list");
    EXPECT_ERR("duration: 1 s\n" MODEL DEVICES SERVERS "policy: [edge]\n",
               OFF_EINVAL, "t.yaml:9:9: ",
               "policy: expected a policy name", "got a list");
}

static void test_yaml_features_rejected_clearly(void **state)
{
    (void)state;
    EXPECT_ERR("seed: *nope\n", OFF_EPARSE, "t.yaml:1:7: ",
               "unknown alias '*nope'");
    EXPECT_ERR("a: &a [1,1,1,1,1,1,1,1,1,1]\n"
               "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
               "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
               "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
               "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
               "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
               "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n",
               OFF_EPARSE, "t.yaml:", "document too large");
    EXPECT_ERR("duration: 1 s\nmodel:\n  <<: 5\n", OFF_EPARSE, "t.yaml:3:7: ",
               "the merge key '<<' takes a mapping");
    char deep[400] = "a: ";
    for (int i = 0; i < 150; i++)
        strcat(deep, "[");
    for (int i = 0; i < 150; i++)
        strcat(deep, "]");
    EXPECT_ERR(deep, OFF_EPARSE, "t.yaml:1:", "nesting deeper than 64");
    EXPECT_ERR("name: \"a\\0b\"\n", OFF_EPARSE, "t.yaml:1:7: ",
               "NUL character");
    EXPECT_ERR("{? [a]: 1}\n", OFF_EPARSE, "t.yaml:1:4: ",
               "a mapping key must be a word or string");
}

static void test_not_text_is_reported_with_position(void **state)
{
    (void)state;
    scn_scenario s;
    off_err e = {0};
    static const char nul[] = "name: a\nseed: \0\x01\x02";
    assert_int_equal(scn_load_text(&s, "t.yaml", nul, sizeof nul - 1, NULL, 0,
                                   &e), OFF_EPARSE);
    print_message("  -> %s\n", e.msg);
    assert_non_null(strstr(e.msg, "t.yaml:2:7: not a YAML text file"));
    assert_non_null(strstr(e.msg, "NUL"));
    EXPECT_ERR("name: caf\xc3\xa9 \xff\xfe\n", OFF_EPARSE, "t.yaml:1:12: ",
               "not a YAML text file: invalid UTF-8 byte 0xff");
    EXPECT_ERR("name: a\x01" "b\n", OFF_EPARSE, "t.yaml:1:8: ",
               "not a YAML text file", "control characters");
    EXPECT_ERR("\xef\xbb\xbf" "duration: 1 s\nseed: x\n" MODEL DEVICES SERVERS,
               OFF_EINVAL,
               "t.yaml:2:7: ", "seed: expected an integer"); /* BOM is fine */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_syntax_error_reports_libyaml_problem),
        cmocka_unit_test(test_unknown_key_suggests_and_lists_valid_keys),
        cmocka_unit_test(test_wrong_type_names_expected_shape),
        cmocka_unit_test(test_bad_values_name_expected_unit_and_range),
        cmocka_unit_test(test_negative_and_inconsistent_durations),
        cmocka_unit_test(test_missing_required_key_points_at_enclosing_mapping),
        cmocka_unit_test(test_duplicate_keys_and_names),
        cmocka_unit_test(test_empty_and_non_mapping_documents),
        cmocka_unit_test(test_unreadable_file_is_an_io_error),
        cmocka_unit_test(test_numbers_overflow_nan_and_non_integers),
        cmocka_unit_test(test_model_structure_errors),
        cmocka_unit_test(test_device_and_server_errors),
        cmocka_unit_test(test_background_and_batching_errors),
        cmocka_unit_test(test_policy_errors),
        cmocka_unit_test(test_yaml_features_rejected_clearly),
        cmocka_unit_test(test_not_text_is_reported_with_position),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
