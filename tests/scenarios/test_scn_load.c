/* test_scn_load.c - valid scenarios load into scn_scenario with every
 * field converted to SI, defaults applied and positions kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "scn.h"

#define FULL "tests/data/scenarios/full.yaml"
#define MINIMAL "tests/data/scenarios/minimal.yaml"

#define assert_near(a, b) assert_true(fabs((double)(a) - (double)(b)) <= \
                                      1e-9 * fabs((double)(b)) + 1e-12)

/* Model, devices and servers that later tests reuse. */
#define MODEL "model:\n" \
              "  layers: [{name: l1, macs: 1 G, out: 1 kB}]\n" \
              "  exits: [{name: out, after: l1, accuracy: 0.9}]\n"
#define DEVICES "devices:\n" \
                "  - {name: phone, speed: 1 GMAC/s, arrivals: {process: poisson, rate: 1 /s}}\n"
#define SERVERS "servers:\n" \
                "  - {name: edge, speed: 10 GMAC/s}\n"

static void load_ok(scn_scenario *s, const char *text)
{
    off_err e = {0};
    off_status st = scn_load_text(s, "t.yaml", text, strlen(text), NULL, 0, &e);
    if (st != OFF_OK)
        fail_msg("load failed: %s", e.msg);
}

static void test_full_scenario_loads_every_field(void **state)
{
    (void)state;
    scn_scenario s;
    off_err e = {0};
    off_status st = scn_load(&s, FULL, NULL, 0, &e);
    if (st != OFF_OK)
        fail_msg("%s", e.msg);
    assert_string_equal(s.file, FULL);
    assert_non_null(strstr(s.text, "name: full-example"));
    assert_string_equal(s.overrides, "");
    assert_string_equal(s.name, "full-example");
    assert_int_equal(s.seed, 42);
    assert_near(s.duration_s, 120);
    assert_int_equal(s.max_tasks, 5000);
    assert_near(s.warmup_s, 0.5);

    const scn_model *m = &s.model;
    assert_int_equal(m->kind, SCN_MODEL_PROFILED);
    assert_string_equal(m->name, "tiny-cnn");
    assert_near(m->input_bytes, 784);
    assert_near(m->result_bytes, 40);
    assert_int_equal(m->n_bits, 4);
    assert_int_equal(m->bits[0], 2);
    assert_int_equal(m->bits[1], 4);
    assert_int_equal(m->bits[2], 8);
    assert_int_equal(m->bits[3], 32);
    assert_int_equal(m->n_layers, 3);
    assert_string_equal(m->layers[0].name, "conv1");
    assert_near(m->layers[0].macs, 1.2e6);
    assert_near(m->layers[0].out_bytes, 65536); /* 64 KiB */
    assert_string_equal(m->layers[1].name, "conv2");
    assert_near(m->layers[1].macs, 3e6);        /* 3 M */
    assert_near(m->layers[1].out_bytes, 16384);
    assert_string_equal(m->layers[2].name, "fc");
    assert_near(m->layers[2].macs, 20000);
    assert_near(m->layers[2].out_bytes, 40);
    assert_int_equal(m->layers[0].pos.line, 15);
    assert_int_equal(m->layers[0].pos.col, 7);
    assert_int_equal(m->n_exits, 2);
    assert_string_equal(m->exits[0].name, "early");
    assert_int_equal(m->exits[0].after, 1);
    assert_near(m->exits[0].macs, 5000);
    assert_near(m->exits[0].accuracy, 0.715); /* 71.5 % */
    assert_string_equal(m->exits[1].name, "final");
    assert_int_equal(m->exits[1].after, 3);
    assert_near(m->exits[1].macs, 0);
    assert_near(m->exits[1].accuracy, 0.91);
    assert_int_equal(m->work.kind, SCN_DIST_DETERMINISTIC);
    assert_near(m->work.mean, 1.2e6 + 3e6 + 20000);
    assert_int_equal(m->pos.line, 9);
    assert_int_equal(m->pos.col, 3);

    assert_int_equal(s.n_devices, 3);
    const scn_device *d = &s.devices[0];
    assert_string_equal(d->name, "phone");
    assert_int_equal(d->count, 3);
    assert_near(d->speed_macs, 2e9);               /* 2 GMAC/s */
    assert_near(d->power_active_w, 0.19952623149688797); /* 23 dBm */
    assert_true(fabs(d->power_active_w - 0.19953) < 1e-5);
    assert_near(d->power_idle_w, 0.05);
    assert_near(d->power_tx_w, 1.5);
    assert_near(d->power_rx_w, 0.8);
    assert_int_equal(d->arrivals.kind, SCN_ARR_POISSON);
    assert_near(d->arrivals.rate_hz, 8);
    assert_near(d->deadline_s, 0.1);
    assert_near(d->uplink.rate_bps, 2e7);          /* 20 Mbps */
    assert_near(d->uplink.delay_s, 0.005);         /* 5 ms */
    assert_near(d->downlink.rate_bps, 4e7);        /* 5 MB/s */
    assert_near(d->downlink.delay_s, 0.002);
    assert_string_equal(d->server, "cloud");
    assert_string_equal(d->pos.file, FULL);
    assert_int_equal(d->pos.line, 23);
    assert_int_equal(d->pos.col, 5);

    d = &s.devices[1];
    assert_string_equal(d->name, "camera");
    assert_int_equal(d->count, 1);
    assert_near(d->speed_macs, 5e8);
    assert_near(d->power_active_w, 2.0);
    assert_near(d->power_idle_w, 0.1);
    assert_near(d->power_tx_w, 1.2);
    assert_near(d->power_rx_w, 0.9);
    assert_int_equal(d->arrivals.kind, SCN_ARR_PERIODIC);
    assert_near(d->arrivals.period_s, 0.033);
    assert_near(d->arrivals.phase_s, 0.001);
    assert_true(isinf(d->deadline_s));
    assert_true(isinf(d->uplink.rate_bps));
    assert_near(d->uplink.delay_s, 0);
    assert_string_equal(d->server, "edge");        /* the first server */

    d = &s.devices[2];
    assert_int_equal(d->arrivals.kind, SCN_ARR_TRACE);
    assert_string_equal(d->arrivals.trace_path,
                        "tests/data/scenarios/arrivals_good.txt");
    assert_int_equal(d->arrivals.n_trace, 5);
    const double want[] = {0.0, 0.5, 0.5, 1.25, 3};
    for (size_t i = 0; i < 5; i++)
        assert_near(d->arrivals.trace_s[i], want[i]);

    assert_int_equal(s.n_servers, 2);
    assert_string_equal(s.servers[0].name, "edge");
    assert_int_equal(s.servers[0].cores, 4);
    assert_near(s.servers[0].speed_macs, 5e10);
    assert_int_equal(s.servers[0].discipline, SCN_DISC_FCFS);
    assert_string_equal(s.servers[1].name, "cloud");
    assert_int_equal(s.servers[1].cores, 1);
    assert_near(s.servers[1].speed_macs, 1e12);    /* 1 TMAC/s */

    assert_string_equal(s.policy.type, "branchy");
    assert_int_equal(s.policy.n_params, 2);
    const scn_param *q = scn_policy_param(&s.policy, "threshold");
    assert_non_null(q);
    assert_string_equal(q->value, "90 %");
    assert_int_equal(q->pos.line, 51);
    assert_int_equal(q->pos.col, 14);
    assert_int_equal(q->key_pos.line, 51);
    assert_int_equal(q->key_pos.col, 3);
    assert_string_equal(scn_policy_param(&s.policy, "exit")->value, "early");
    assert_null(scn_policy_param(&s.policy, "nope"));

    assert_string_equal(s.db_path, "/tmp/offsim-full.db");
    assert_false(s.record_tasks);

    scn_free(&s);
    scn_free(&s); /* idempotent */
    assert_null(s.devices);
}

static void test_minimal_scenario_gets_defaults(void **state)
{
    (void)state;
    scn_scenario s;
    off_err e = {0};
    if (scn_load(&s, MINIMAL, NULL, 0, &e) != OFF_OK)
        fail_msg("%s", e.msg);
    assert_string_equal(s.name, "minimal");        /* file name */
    assert_int_equal(s.seed, 1);
    assert_near(s.duration_s, 10);
    assert_int_equal(s.max_tasks, 0);
    assert_near(s.warmup_s, 0);
    assert_string_equal(s.model.name, "model");
    assert_int_equal(s.model.kind, SCN_MODEL_PROFILED);
    assert_near(s.model.input_bytes, 784);
    assert_near(s.model.result_bytes, 4);
    assert_int_equal(s.model.n_bits, 2);
    assert_int_equal(s.model.bits[0], 8);
    assert_int_equal(s.model.bits[1], 32);
    const scn_device *d = &s.devices[0];
    assert_int_equal(d->count, 1);
    assert_near(d->power_active_w, 2);
    assert_near(d->power_idle_w, 0.1);
    assert_near(d->power_tx_w, 1.2);
    assert_near(d->power_rx_w, 0.9);
    assert_true(isinf(d->deadline_s));
    assert_true(isinf(d->uplink.rate_bps) && isinf(d->downlink.rate_bps));
    assert_near(d->uplink.delay_s, 0);
    assert_near(d->downlink.delay_s, 0);
    assert_string_equal(d->server, "edge");
    assert_int_equal(s.servers[0].cores, 1);
    assert_int_equal(s.servers[0].discipline, SCN_DISC_FCFS);
    assert_string_equal(s.policy.type, "local");
    assert_int_equal(s.policy.n_params, 0);
    assert_string_equal(s.db_path, "results/minimal.db");
    assert_true(s.record_tasks);
    scn_free(&s);
}

static void test_max_tasks_alone_means_infinite_duration(void **state)
{
    (void)state;
    scn_scenario s;
    load_ok(&s, "max_tasks: 100\n" MODEL DEVICES SERVERS);
    assert_int_equal(s.max_tasks, 100);
    assert_true(isinf(s.duration_s));
    assert_string_equal(s.name, "t");
    scn_free(&s);
    load_ok(&s, "max_tasks: 100\nduration: inf\nwarmup: 2 s\n" MODEL DEVICES
                SERVERS);
    assert_true(isinf(s.duration_s));
    assert_near(s.warmup_s, 2);
    scn_free(&s);
}

static void test_synthetic_model_has_one_layer_and_one_exit(void **state)
{
    (void)state;
    scn_scenario s;
    load_ok(&s, "duration: 1 s\n"
                "model:\n"
                "  kind: synthetic\n"
                "  input: 1 kB\n"
                "  work: {dist: lognormal, mean: 2 GMAC, cv: 0.5}\n"
                "  accuracy: 80 %\n" DEVICES SERVERS);
    const scn_model *m = &s.model;
    assert_int_equal(m->kind, SCN_MODEL_SYNTHETIC);
    assert_int_equal(m->work.kind, SCN_DIST_LOGNORMAL);
    assert_near(m->work.mean, 2e9);
    assert_near(m->work.cv, 0.5);
    assert_int_equal(m->work.pos.line, 5);
    assert_int_equal(m->n_layers, 1);
    assert_string_equal(m->layers[0].name, "work");
    assert_near(m->layers[0].macs, 2e9);
    assert_near(m->layers[0].out_bytes, 1000);
    assert_int_equal(m->n_exits, 1);
    assert_string_equal(m->exits[0].name, "final");
    assert_int_equal(m->exits[0].after, 1);
    assert_near(m->exits[0].macs, 0);
    assert_near(m->exits[0].accuracy, 0.8);
    scn_free(&s);

    load_ok(&s, "duration: 1 s\nmodel:\n  kind: synthetic\n"
                "  work: {dist: uniform, min: 1 G, max: 3 G}\n" DEVICES SERVERS);
    assert_int_equal(s.model.work.kind, SCN_DIST_UNIFORM);
    assert_near(s.model.work.min, 1e9);
    assert_near(s.model.work.max, 3e9);
    assert_near(s.model.layers[0].macs, 2e9); /* the mean */
    assert_near(s.model.exits[0].accuracy, 1); /* default */
    scn_free(&s);

    load_ok(&s, "duration: 1 s\nmodel:\n  kind: synthetic\n"
                "  work: {dist: exponential, mean: 5 MMAC}\n" DEVICES SERVERS);
    assert_int_equal(s.model.work.kind, SCN_DIST_EXPONENTIAL);
    assert_near(s.model.work.mean, 5e6);
    scn_free(&s);

    /* short forms: a bare amount of work is deterministic */
    load_ok(&s, "duration: 1 s\nmodel: {kind: synthetic, work: 3 GMAC, "
                "bits: 8}\n" DEVICES SERVERS);
    assert_int_equal(s.model.work.kind, SCN_DIST_DETERMINISTIC);
    assert_near(s.model.work.mean, 3e9);
    assert_int_equal(s.model.n_bits, 1);
    assert_int_equal(s.model.bits[0], 8);
    scn_free(&s);
}

static void test_policy_short_form_and_params(void **state)
{
    (void)state;
    scn_scenario s;
    load_ok(&s, "duration: 1 s\n" MODEL DEVICES SERVERS "policy: edge\n");
    assert_string_equal(s.policy.type, "edge");
    assert_int_equal(s.policy.n_params, 0);
    assert_int_equal(s.policy.pos.line, 9);
    assert_int_equal(s.policy.pos.col, 9);
    scn_free(&s);

    load_ok(&s, "duration: 1 s\n" MODEL DEVICES SERVERS
                "policy:\n  type: fixed\n  split: 2\n  bits: 4\n");
    assert_string_equal(s.policy.type, "fixed");
    assert_int_equal(s.policy.n_params, 2);
    assert_string_equal(s.policy.params[0].key, "split");
    assert_string_equal(s.policy.params[0].value, "2");
    assert_int_equal(s.policy.params[0].pos.line, 11);
    assert_int_equal(s.policy.params[0].pos.col, 10);
    assert_string_equal(s.policy.params[1].key, "bits");
    scn_free(&s);
}

static void test_anchors_aliases_and_merge_keys(void **state)
{
    (void)state;
    scn_scenario s;
    load_ok(&s, "duration: 1 s\n" MODEL SERVERS
                "devices:\n"
                "  - &phone\n"
                "    name: phone\n"
                "    speed: 1 GMAC/s\n"
                "    uplink: &wifi {rate: 50 Mbps, delay: 2 ms}\n"
                "    arrivals: {process: poisson, rate: 2 /s}\n"
                "  - <<: *phone\n"
                "    name: watch\n"
                "    count: 2\n"
                "    downlink: *wifi\n");
    assert_int_equal(s.n_devices, 2);
    const scn_device *w = &s.devices[1];
    assert_string_equal(w->name, "watch");
    assert_int_equal(w->count, 2);
    assert_near(w->speed_macs, 1e9);
    assert_near(w->arrivals.rate_hz, 2);
    assert_near(w->uplink.rate_bps, 5e7);
    assert_near(w->downlink.rate_bps, 5e7);
    assert_near(w->downlink.delay_s, 0.002);
    scn_free(&s);
}

static void test_server_disciplines_background_and_batching(void **state)
{
    (void)state;
    scn_scenario s;
    load_ok(&s, "duration: 1 s\n" MODEL DEVICES
                "servers:\n"
                "  - {name: a, speed: 1 GMAC/s, discipline: ps,\n"
                "     background: {rate: 20 /s, work: 5 MMAC}}\n"
                "  - {name: b, speed: 1 GMAC/s, discipline: edf,\n"
                "     background: {rate: 1 /min, work: {dist: exponential, mean: 2 GMAC}}}\n"
                "  - {name: c, speed: 1 GMAC/s, cores: 2,\n"
                "     batching: {window: 5 ms, max: 8, speedup: 4}}\n"
                "  - {name: d, speed: 1 GMAC/s, batching: {max: 3, speedup: [1, 1.5, 2]}}\n");
    const scn_server *a = &s.servers[0], *b = &s.servers[1], *c = &s.servers[2],
                     *d = &s.servers[3];
    assert_int_equal(a->discipline, SCN_DISC_PS);
    assert_near(a->background.rate_hz, 20);
    assert_int_equal(a->background.work.kind, SCN_DIST_DETERMINISTIC);
    assert_near(a->background.work.mean, 5e6);
    assert_int_equal(a->batching.max, 0);
    assert_int_equal(b->discipline, SCN_DISC_EDF);
    assert_near(b->background.rate_hz, 1.0 / 60);
    assert_int_equal(b->background.work.kind, SCN_DIST_EXPONENTIAL);
    assert_near(b->background.work.mean, 2e9);
    assert_int_equal(c->discipline, SCN_DISC_FCFS);
    assert_near(c->background.rate_hz, 0); /* none */
    assert_int_equal(c->batching.max, 8);
    assert_near(c->batching.window_s, 0.005);
    /* affine model: n / S(n) = a + (1 - a) n, a = 8 (1 - 1/4) / 7 = 6/7 */
    assert_near(c->batching.speedup[0], 1);
    assert_near(c->batching.speedup[7], 4);
    assert_near(c->batching.speedup[2], 3.0 / (6.0 / 7 + 3.0 / 7));
    assert_int_equal(d->batching.max, 3);
    assert_near(d->batching.window_s, 0);
    assert_near(d->batching.speedup[1], 1.5);
    assert_near(d->batching.speedup[2], 2);
    scn_free(&s);
}

static void test_load_text_copies_text_and_free_is_null_safe(void **state)
{
    (void)state;
    scn_free(NULL);
    scn_scenario s;
    char text[] = "duration: 1 s\n" MODEL DEVICES SERVERS;
    off_err e = {0};
    assert_int_equal(scn_load_text(&s, "dir/x.yml", text, strlen(text), NULL,
                                   0, &e), OFF_OK);
    text[0] = 'X'; /* the scenario keeps its own copy */
    assert_int_equal(s.text[0], 'd');
    assert_string_equal(s.name, "x");
    assert_string_equal(s.db_path, "results/x.db");
    assert_string_equal(s.devices[0].pos.file, "dir/x.yml");
    scn_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_scenario_loads_every_field),
        cmocka_unit_test(test_minimal_scenario_gets_defaults),
        cmocka_unit_test(test_max_tasks_alone_means_infinite_duration),
        cmocka_unit_test(test_synthetic_model_has_one_layer_and_one_exit),
        cmocka_unit_test(test_policy_short_form_and_params),
        cmocka_unit_test(test_anchors_aliases_and_merge_keys),
        cmocka_unit_test(test_server_disciplines_background_and_batching),
        cmocka_unit_test(test_load_text_copies_text_and_free_is_null_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
