/*
 * test_pol_classic.c - the classic offloading policies (Neurosurgeon,
 * Edgent, BranchyNet, DyNO) and the cost predictor they share, on a small
 * hand-made model whose costs are worked out by hand below.
 *
 * Model A: 4 backbone layers of 1 MMAC each; float32 outputs 40000, 10000,
 * 2000 and 40 B; input 20000 B, result 4 B; exits e0 after layer 1 and e1
 * after layer 2 (branches of 0.1 MMAC; accuracy 0.60, 0.75) and final after
 * layer 4 (accuracy 0.90); bit-widths 2, 4, 8, 32.  Device 1e8 MAC/s (10 ms
 * a layer, 1 ms a branch), one server core at 1e9 MAC/s (1 ms a layer);
 * no propagation, an infinitely fast downlink, nothing queued.
 *
 * Final exit at 8 bits (payload at split s: out(s-1) / 4; s = 0: the input),
 * latency in ms at an uplink of R bit/s:
 *   s=0: 160000/R + 4   s=1: 10 + 80000/R + 3   s=2: 20 + 20000/R + 2
 *   s=3: 30 + 4000/R + 1   s=4 (local): 40
 *   R = 100 M: 5.6  13.8  22.2  31.0  40   -> 0
 *   R =   7 M: 26.9 24.4  24.9  31.6  40   -> 1
 *   R =   4 M: 44   33    27    32    40   -> 2
 *   R =   1 M: 164  93    42    35    40   -> 3
 *   R = 0.2 M: 804  413   122   51    40   -> 4
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pol.h"

static const mdl_layer layers[] = {{"l1", 1e6, 40000, MDL_LAYER_CONV, 0},
                                   {"l2", 1e6, 10000, MDL_LAYER_CONV, 0},
                                   {"l3", 1e6, 2000, MDL_LAYER_CONV, 0},
                                   {"l4", 1e6, 40, MDL_LAYER_FC, 0}};
static const mdl_exit exits[] = {
    {"e0", 1, 1e5, 0.60}, {"e1", 2, 1e5, 0.75}, {"final", 4, 0, 0.90}};
static const int bits[] = {2, 4, 8, 32};
static mdl_model model;

static int setup(void **state)
{
    (void)state;
    mdl_model_desc d = {"a", layers, 4, exits, 3, bits, 4, 20000, 4};
    off_err e;
    return mdl_model_init(&model, &d, &e) == OFF_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mdl_model_free(&model);
    return 0;
}

static pol_obs obs_at(const mdl_model *m, double rate_bps)
{
    pol_obs o = {0};
    o.model = m;
    o.deadline_s = INFINITY;
    o.device_speed_macs = 1e8;
    o.device_compute_bits = 8;
    o.uplink_rate_bps = rate_bps;
    o.downlink_rate_bps = INFINITY;
    o.server_speed_macs = 1e9;
    o.server_compute_bits = 32;
    o.server_cores = 1;
    return o;
}

static void create(pol_policy *p, const char *type, const mdl_model *m,
                   const pol_param *ps, size_t n)
{
    pol_cfg cfg = {.model = m, .params = ps, .n_params = n, .rng = NULL, .n_devices = 1};
    off_err e;
    off_status st = pol_create(p, type, &cfg, "x.yaml", 1, 1, &e);
    if (st)
        fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(st, OFF_OK);
}

static pol_action decide(pol_policy *p, const pol_obs *o)
{
    pol_action a = {-1, -1, -1, -1};
    pol_decide(p, o, &a);
    return a;
}

/* ---- the predictor ----------------------------------------------------- */

static void test_predictor_terms_match_hand_computation(void **state)
{
    (void)state;
    pol_pred p;
    off_err e;
    assert_int_equal(pol_pred_init(&p, &model, &e), OFF_OK);
    /* Final exit, split 2, 8 bits, uplink 4 Mbit/s with 2 ms propagation,
     * 3 ms of compute queued on the device, 30 ms of transmission queued on
     * the uplink, a downlink of 1 Mbit/s with 1 ms propagation, two cores
     * both busy with 20 tasks waiting.
     *   device done   3 + 20                      = 23 ms
     *   upload        max(23, 30) + 2500 B * 8 / 4 M (5) + 2 = 37 ms
     *   server free   (2 + 20 - 2 + 1) * 1 * 4 ms / 2 = 42 ms -> wait 5 ms
     *   done          42 + 2 (server) + 0.032 (4 B at 1 M) + 1 = 45.032 ms
     * Energy (active 2 W, tx 1 W, rx 0.5 W, idle 0.1 W):
     *   2 * 0.020 + 1 * 0.005 + 0.5 * 0.000032 + 0.1 * (0.002 + 0.005 + 0.002)
     *   = 0.045916 J */
    pol_obs o = obs_at(&model, 4e6);
    o.uplink_delay_s = 0.002;
    o.device_backlog_s = 0.003;
    o.uplink_backlog_s = 0.030;
    o.downlink_rate_bps = 1e6;
    o.downlink_delay_s = 0.001;
    o.server_cores = 2;
    o.server_busy = 2;
    o.server_queue = 20;
    o.device_power_active_w = 2;
    o.device_power_tx_w = 1;
    o.device_power_rx_w = 0.5;
    o.device_power_idle_w = 0.1;
    pol_pred_ctx c;
    pol_pred_begin(&p, &o, &c);
    pol_pred_cost k;
    pol_pred_eval(&c, 2, 2, 2, &k);
    printf("  split 2 @ 4 Mbit/s: predicted %.6f ms (hand 45.032), %.6f J (hand 0.045916)\n",
           k.latency_s * 1e3, k.energy_j);
    assert_false(k.local);
    assert_float_equal(k.device_s, 0.020, 1e-12);
    assert_float_equal(k.payload_bytes, 2500, 0);
    assert_float_equal(k.uplink_s, 0.005, 1e-12);
    assert_float_equal(k.server_wait_s, 0.005, 1e-12);
    assert_float_equal(k.server_s, 0.002, 1e-12);
    assert_float_equal(k.downlink_s, 32e-6, 1e-12);
    assert_float_equal(k.latency_s, 0.045032, 1e-12);
    assert_float_equal(k.energy_j, 0.045916, 1e-12);
    /* Full offload skips the device queue: max(0, 30) + 40 + 2 = 72 ms,
     * after the server frees (42 ms): 72 + 4 + 1.032 = 77.032 ms. */
    pol_pred_eval(&c, 2, 0, 2, &k);
    assert_float_equal(k.device_s, 0, 0);
    assert_float_equal(k.server_wait_s, 0, 0);
    assert_float_equal(k.latency_s, 0.077032, 1e-12);
    /* Local at e1: the backlog, two layers and the branch: 3 + 21 ms. */
    pol_pred_eval(&c, 1, 2, 0, &k);
    assert_true(k.local);
    assert_float_equal(k.latency_s, 0.024, 1e-12);
    assert_float_equal(k.energy_j, 2 * 0.021, 1e-12);
    /* The search function agrees with the breakdown on every action, and
     * a split beyond the exit is the exit's local action. */
    for (size_t ex = 0; ex < model.n_exits; ex++)
        for (size_t sp = 0; sp <= model.n_layers; sp++)
            for (size_t b = 0; b < model.n_bits; b++) {
                pol_pred_eval(&c, ex, sp, b, &k);
                assert_float_equal(pol_pred_latency(&c, ex, sp, b), k.latency_s, 0);
                assert_int_equal(k.local, sp >= model.exits[ex].after);
            }
    /* Behind a backhaul of 40 ms RTT at 2 Mbit/s (a cloud server):
     *   arrival       37 + 20 + 2500 B * 8 / 2 M (10)  = 67 ms -> no wait
     *   done          67 + 2 + 20 + 4 B at 2 M (0.016) + 0.032 + 1 = 90.048 ms
     *   energy        0.045016 + 0.1 * (0.002 + 0.050016 + 0.002) = 0.0504176 J */
    pol_obs ob = o;
    ob.server_backhaul_rtt_s = 0.040;
    ob.server_backhaul_rate_bps = 2e6;
    pol_pred_ctx cb;
    pol_pred_begin(&p, &ob, &cb);
    pol_pred_eval(&cb, 2, 2, 2, &k);
    printf("  behind a 40 ms, 2 Mbit/s backhaul: predicted %.6f ms (hand 90.048), "
           "%.7f J (hand 0.0504176)\n", k.latency_s * 1e3, k.energy_j);
    assert_float_equal(k.backhaul_s, 0.050016, 1e-12);
    assert_float_equal(k.server_wait_s, 0, 0);
    assert_float_equal(k.latency_s, 0.090048, 1e-12);
    assert_float_equal(k.energy_j, 0.0504176, 1e-12);
    pol_pred_eval(&cb, 1, 2, 0, &k); /* local: no backhaul */
    assert_float_equal(k.latency_s, 0.024, 1e-12);
    assert_float_equal(k.backhaul_s, 0, 0);
    /* An offload of half the full model's server work moves the running
     * mean from 1 to 1 - (1 - 0.5) / 8 = 0.9375: split 2 leaves 2 of 4 ms. */
    pol_pred_note(&p, &c, 2, 2);
    assert_float_equal(p.srv_frac, 0.9375, 1e-12);
    pol_pred_note(&p, &c, 1, 2); /* local: no change */
    assert_float_equal(p.srv_frac, 0.9375, 1e-12);
    pol_pred_free(&p);
    pol_pred_free(&p);
}

static void test_predictor_uses_hardware_profiles(void **state)
{
    (void)state;
    mdl_profile pi4, desk;
    off_err e;
    assert_int_equal(mdl_profile_load(&pi4, OFFSIM_SOURCE_DIR "/models/profiles/raspberry-pi4.yaml", &e),
                     OFF_OK);
    assert_int_equal(mdl_profile_load(&desk, OFFSIM_SOURCE_DIR "/models/profiles/desktop-cpu.yaml", &e),
                     OFF_OK);
    pol_pred p;
    assert_int_equal(pol_pred_init(&p, &model, &e), OFF_OK);
    pol_obs o = obs_at(&model, 4e6);
    o.device_profile = &pi4;
    o.server_profile = &desk;
    /* 8, 32, 8 again: the third reuses the first table */
    int seq[] = {8, 32, 8};
    for (int i = 0; i < 3; i++) {
        o.device_compute_bits = seq[i];
        pol_pred_ctx c;
        pol_pred_begin(&p, &o, &c);
        for (size_t ex = 0; ex < model.n_exits; ex++)
            for (size_t sp = 0; sp <= model.exits[ex].after; sp++) {
                pol_pred_cost k;
                pol_pred_eval(&c, ex, sp, 2, &k);
                double dev = mdl_profile_device_seconds(&pi4, &model, ex, sp, seq[i]);
                double srv = mdl_profile_server_seconds(&desk, &model, ex, sp, 32);
                if (sp == 0 && !k.local)
                    dev = 0; /* full offload: nothing runs on the device */
                assert_float_equal(k.device_s, dev, 1e-15);
                assert_float_equal(k.server_s, k.local ? 0 : srv, 1e-15);
            }
    }
    assert_int_equal(p.dev_next, 2);
    assert_int_equal(p.srv_next, 1);
    pol_pred_free(&p);
}

/* ---- Neurosurgeon ------------------------------------------------------ */

static void test_neurosurgeon_moves_split_to_device_as_bandwidth_falls(void **state)
{
    (void)state;
    pol_policy p;
    create(&p, "neurosurgeon", &model, NULL, 0);
    const double rate[] = {100e6, 7e6, 4e6, 1e6, 0.2e6};
    const int split[] = {0, 1, 2, 3, 4};
    for (size_t i = 0; i < 5; i++) {
        pol_obs o = obs_at(&model, rate[i]);
        pol_action a = decide(&p, &o);
        printf("  neurosurgeon at %5.1f Mbit/s: split %d (hand %d)\n", rate[i] / 1e6,
               a.split, split[i]);
        assert_int_equal(a.exit, 2);
        assert_int_equal(a.split, split[i]);
        assert_int_equal(a.bits, 8);
        assert_true(a.entropy_threshold == 0);
    }
    pol_destroy(&p);
}

static void test_neurosurgeon_energy_objective(void **state)
{
    (void)state;
    /* Active 2 W, tx 0.5 W, idle 0.1 W, at 1 Mbit/s, in mJ:
     *   s=0: 0.5 * 160 + 0.1 * 4 = 80.4      s=1: 20 + 40 + 0.3 = 60.3
     *   s=2: 40 + 10 + 0.2 = 50.2            s=3: 60 + 2 + 0.1 = 62.1
     *   s=4: 80
     * -> split 2, where latency picks 3.  At 4 bits: s=2 sends 1250 B:
     *   40 + 5 + 0.2 = 45.2; s=1 sends 5000 B: 20 + 20 + 0.3 = 40.3 -> 1. */
    pol_param ps[] = {{"objective", "energy", "x.yaml", 2, 12, 2, 1}};
    pol_param ps4[] = {{"objective", "energy", "x.yaml", 2, 12, 2, 1},
                       {"bits", "4", "x.yaml", 3, 7, 3, 1}};
    pol_policy p, p4, pl;
    create(&p, "neurosurgeon", &model, ps, 1);
    create(&p4, "neurosurgeon", &model, ps4, 2);
    create(&pl, "neurosurgeon", &model, NULL, 0);
    pol_obs o = obs_at(&model, 1e6);
    o.device_power_active_w = 2;
    o.device_power_tx_w = 0.5;
    o.device_power_idle_w = 0.1;
    assert_int_equal(decide(&p, &o).split, 2);
    pol_action a = decide(&p4, &o);
    assert_int_equal(a.split, 1);
    assert_int_equal(a.bits, 4);
    assert_int_equal(decide(&pl, &o).split, 3);
    /* no power figures: every energy is 0 and latency decides */
    pol_obs z = obs_at(&model, 1e6);
    assert_int_equal(decide(&p, &z).split, 3);
    pol_destroy(&p);
    pol_destroy(&p4);
    pol_destroy(&pl);
}

static void test_neurosurgeon_sees_queues(void **state)
{
    (void)state;
    pol_policy p;
    create(&p, "neurosurgeon", &model, NULL, 0);
    /* At 100 Mbit/s full offload wins (5.6 ms), but 100 ms of uploads
     * queued ahead make every offload later than local (40 ms). */
    pol_obs o = obs_at(&model, 100e6);
    o.uplink_backlog_s = 0.100;
    assert_int_equal(decide(&p, &o).split, 4);
    /* A busy server: 1 core, 1 busy, 30 waiting: free in 31 * 4 ms. */
    o = obs_at(&model, 100e6);
    o.server_busy = 1;
    o.server_queue = 30;
    assert_int_equal(decide(&p, &o).split, 4);
    pol_destroy(&p);
}

/* ---- Edgent ------------------------------------------------------------ */

/* Deadline 15 ms, fastest split per exit (ms):
 *   R = 1 M:  final 35 (s=3); e1 21 (local); e0 11 (local)     -> e0, s=1
 *   R = 13 M: final 12.31 + 4 = 16.31 (s=0); e1 12.31 + 2.1 = 14.41 (s=0)
 *                                                             -> e1, s=0
 *   R = 20 M: final 8 + 4 = 12 (s=0)                          -> final, s=0 */
static void test_edgent_steps_up_exits_as_bandwidth_grows(void **state)
{
    (void)state;
    pol_policy p;
    create(&p, "edgent", &model, NULL, 0);
    const double rate[] = {1e6, 13e6, 20e6};
    const int ex[] = {0, 1, 2}, sp[] = {1, 0, 0};
    for (size_t i = 0; i < 3; i++) {
        pol_obs o = obs_at(&model, rate[i]);
        o.deadline_s = 0.015;
        pol_action a = decide(&p, &o);
        printf("  edgent at %4.1f Mbit/s, deadline 15 ms: exit %d split %d (hand %d, %d)\n",
               rate[i] / 1e6, a.exit, a.split, ex[i], sp[i]);
        assert_int_equal(a.exit, ex[i]);
        assert_int_equal(a.split, sp[i]);
        assert_int_equal(a.bits, 8);
    }
    /* no deadline: the most accurate exit, at its fastest split */
    pol_obs o = obs_at(&model, 1e6);
    pol_action a = decide(&p, &o);
    assert_int_equal(a.exit, 2);
    assert_int_equal(a.split, 3);
    /* exactly on the deadline meets it: final at 20 M is 12 ms */
    o = obs_at(&model, 20e6);
    o.deadline_s = 0.012;
    assert_int_equal(decide(&p, &o).exit, 2);
    pol_destroy(&p);
}

static void test_edgent_impossible_deadline_takes_fastest(void **state)
{
    (void)state;
    pol_policy p;
    create(&p, "edgent", &model, NULL, 0);
    /* 1 ms: nothing meets it.  At 1 M the fastest is e0 on the device
     * (11 ms); at 100 M it is e0 fully offloaded (1.6 + 1.1 = 2.7 ms,
     * against 3.7 for e1 and 5.6 for final). */
    pol_obs o = obs_at(&model, 1e6);
    o.deadline_s = 0.001;
    pol_action a = decide(&p, &o);
    assert_int_equal(a.exit, 0);
    assert_int_equal(a.split, 1);
    o = obs_at(&model, 100e6);
    o.deadline_s = 0.001;
    a = decide(&p, &o);
    assert_int_equal(a.exit, 0);
    assert_int_equal(a.split, 0);
    pol_destroy(&p);
}

static void test_edgent_orders_exits_by_accuracy(void **state)
{
    (void)state;
    /* Accuracies that fall with depth: with no
     * deadline the first exit is the most accurate.  Equal accuracies:
     * the deeper. */
    mdl_exit ex2[] = {{"e0", 1, 1e5, 0.80}, {"e1", 2, 1e5, 0.78}, {"final", 4, 0, 0.77}};
    mdl_exit ex3[] = {{"e0", 1, 1e5, 0.80}, {"e1", 2, 1e5, 0.90}, {"final", 4, 0, 0.90}};
    mdl_model m2, m3;
    off_err e;
    mdl_model_desc d2 = {"b", layers, 4, ex2, 3, bits, 4, 20000, 4};
    mdl_model_desc d3 = {"c", layers, 4, ex3, 3, bits, 4, 20000, 4};
    assert_int_equal(mdl_model_init(&m2, &d2, &e), OFF_OK);
    assert_int_equal(mdl_model_init(&m3, &d3, &e), OFF_OK);
    pol_policy p2, p3;
    create(&p2, "edgent", &m2, NULL, 0);
    create(&p3, "edgent", &m3, NULL, 0);
    pol_obs o2 = obs_at(&m2, 1e6), o3 = obs_at(&m3, 1e6);
    assert_int_equal(decide(&p2, &o2).exit, 0);
    assert_int_equal(decide(&p3, &o3).exit, 2);
    /* deadline 25 ms at 1 M: final (35) misses, e1 on the device (21) meets */
    o3.deadline_s = 0.025;
    pol_action a = decide(&p3, &o3);
    assert_int_equal(a.exit, 1);
    assert_int_equal(a.split, 2);
    pol_destroy(&p2);
    pol_destroy(&p3);
    mdl_model_free(&m2);
    mdl_model_free(&m3);
}

/* ---- BranchyNet -------------------------------------------------------- */

static void test_branchynet_runs_locally_with_threshold(void **state)
{
    (void)state;
    pol_policy p;
    create(&p, "branchynet", &model, NULL, 0);
    pol_obs o = obs_at(&model, 100e6);
    pol_action a = decide(&p, &o);
    assert_int_equal(a.exit, 2);
    assert_int_equal(a.split, 4);
    assert_true(mdl_is_local(&model, (size_t)a.exit, (size_t)a.split));
    assert_float_equal(a.entropy_threshold, 0.3, 0);
    pol_destroy(&p);
    pol_param ps[] = {{"threshold", "0.05", "x.yaml", 2, 14, 2, 3}};
    create(&p, "branchynet", &model, ps, 1);
    a = decide(&p, &o);
    assert_float_equal(a.entropy_threshold, 0.05, 0);
    assert_int_equal(a.split, 4);
    pol_destroy(&p);
}

/* ---- DyNO -------------------------------------------------------------- */

static void test_dyno_picks_narrow_bits_when_bandwidth_is_low(void **state)
{
    (void)state;
    /* At 4 Mbit/s, min_bits 4 (latencies in ms, final exit):
     *   s=1 @4: 10 + 5000 B (10) + 3 = 23     s=1 @8: 33
     *   s=2 @4: 20 + 1250 B (2.5) + 2 = 24.5  s=3 @4: 31.5   s=0: 44   local 40
     *   -> split 1 at 4 bits (never 2, below the floor).
     * min_bits 2: s=1 @2: 10 + 5 + 3 = 18 -> split 1 at 2 bits.
     * At 100 Mbit/s full offload (5.6 ms) wins; the input is sent as it
     * is, so all bit-widths tie and the widest (32) is reported. */
    pol_policy p, p2;
    create(&p, "dyno", &model, NULL, 0);
    pol_param ps[] = {{"min_bits", "2", "x.yaml", 2, 13, 2, 3}};
    create(&p2, "dyno", &model, ps, 1);
    pol_obs o = obs_at(&model, 4e6);
    pol_action a = decide(&p, &o);
    assert_int_equal(a.exit, 2);
    assert_int_equal(a.split, 1);
    assert_int_equal(a.bits, 4);
    a = decide(&p2, &o);
    assert_int_equal(a.split, 1);
    assert_int_equal(a.bits, 2);
    o = obs_at(&model, 100e6);
    a = decide(&p, &o);
    assert_int_equal(a.split, 0);
    assert_int_equal(a.bits, 32);
    pol_destroy(&p);
    pol_destroy(&p2);
}

static void test_dyno_slack_spends_precision_on_a_fast_link(void **state)
{
    (void)state;
    /* Model A with a 4 MB input, so that full offload never pays.  At
     * 1 Gbit/s: s=1 @4: 10 + 0.04 + 3 = 13.04, @8: 13.08, @32: 13.32;
     * s=0: 32 + 4 = 36.  Slack 0.05: limit 13.692 -> 32 bits; slack 0 ->
     * 4 bits.  At 4 Mbit/s: s=1 @4: 23, @8: 33, s=2 @4: 24.5 > 24.15
     * -> 4 bits even with the slack. */
    mdl_model big;
    off_err e;
    mdl_model_desc d = {"big", layers, 4, exits, 3, bits, 4, 4e6, 4};
    assert_int_equal(mdl_model_init(&big, &d, &e), OFF_OK);
    pol_param ps[] = {{"slack", "0.05", "x.yaml", 2, 10, 2, 3}};
    pol_policy ps0, ps5;
    create(&ps0, "dyno", &big, NULL, 0);
    create(&ps5, "dyno", &big, ps, 1);
    pol_obs o = obs_at(&big, 1e9);
    pol_action a = decide(&ps0, &o);
    assert_int_equal(a.split, 1);
    assert_int_equal(a.bits, 4);
    a = decide(&ps5, &o);
    assert_int_equal(a.split, 1);
    assert_int_equal(a.bits, 32);
    o = obs_at(&big, 4e6);
    a = decide(&ps5, &o);
    assert_int_equal(a.split, 1);
    assert_int_equal(a.bits, 4);
    printf("  dyno slack 0.05: 32 bits at 1 Gbit/s, 4 bits at 4 Mbit/s\n");
    pol_destroy(&ps0);
    pol_destroy(&ps5);
    mdl_model_free(&big);
}

/* ---- registry and parameters ------------------------------------------- */

static void test_classic_policies_are_registered(void **state)
{
    (void)state;
    const char *names[] = {"neurosurgeon", "edgent", "branchynet", "dyno"};
    for (size_t i = 0; i < 4; i++) {
        const pol_class *c = pol_find(names[i]);
        assert_non_null(c);
        assert_string_equal(c->name, names[i]);
        assert_non_null(c->summary);
    }
}

static void expect_error(const char *type, const mdl_model *m, const pol_param *ps,
                         size_t n, const char *msg)
{
    pol_cfg cfg = {.model = m, .params = ps, .n_params = n, .rng = NULL, .n_devices = 1};
    pol_policy p;
    off_err e;
    assert_int_equal(pol_create(&p, type, &cfg, "s.yaml", 6, 3, &e), OFF_EINVAL);
    assert_string_equal(e.msg, msg);
    assert_null(p.cls);
}

static void test_classic_parameter_errors_carry_positions(void **state)
{
    (void)state;
    pol_param obj[] = {{"objective", "latncy", "s.yaml", 7, 16, 7, 5}};
    expect_error("neurosurgeon", &model, obj, 1,
                 "s.yaml:7:16: 'objective' must be one of latency, energy, got 'latncy' "
                 "(did you mean 'latency'?)");
    pol_param obj2[] = {{"objective", "accuracy", "s.yaml", 7, 16, 7, 5}};
    expect_error("neurosurgeon", &model, obj2, 1,
                 "s.yaml:7:16: 'objective' must be one of latency, energy, got 'accuracy'");
    pol_param nb[] = {{"bits", "7", "s.yaml", 8, 11, 8, 5}};
    expect_error("neurosurgeon", &model, nb, 1,
                 "s.yaml:8:11: 'bits' must be one of the model's bit-widths (2, 4, 8, 32), "
                 "got '7'");
    expect_error("edgent", &model, nb, 1,
                 "s.yaml:8:11: 'bits' must be one of the model's bit-widths (2, 4, 8, 32), "
                 "got '7'");
    pol_param dl[] = {{"deadline", "5 ms", "s.yaml", 9, 15, 9, 5}};
    expect_error("edgent", &model, dl, 1,
                 "s.yaml:9:5: unknown key 'deadline' for policy 'edgent'; valid keys: "
                 "type, bits");
    pol_param thr[] = {{"threshold", "1.5", "s.yaml", 7, 16, 7, 5}};
    expect_error("branchynet", &model, thr, 1,
                 "s.yaml:7:16: 'threshold' must be a number in 0..1, got '1.5'");
    pol_param thk[] = {{"treshold", "0.2", "s.yaml", 7, 16, 7, 5}};
    expect_error("branchynet", &model, thk, 1,
                 "s.yaml:7:5: unknown key 'treshold' for policy 'branchynet' (did you "
                 "mean 'threshold'?); valid keys: type, threshold");
    pol_param mb[] = {{"min_bits", "64", "s.yaml", 7, 15, 7, 5}};
    expect_error("dyno", &model, mb, 1, "s.yaml:7:15: 'min_bits' must be in 1..32, got 64");
    pol_param sl[] = {{"slack", "-0.1", "s.yaml", 8, 12, 8, 5}};
    expect_error("dyno", &model, sl, 1,
                 "s.yaml:8:12: 'slack' must be a number in 0..10, got '-0.1'");
    /* a floor above the model's widest bit-width */
    static const int narrow[] = {2, 4};
    mdl_model n;
    off_err e;
    mdl_model_desc d = {"narrow", layers, 4, exits, 3, narrow, 2, 20000, 4};
    assert_int_equal(mdl_model_init(&n, &d, &e), OFF_OK);
    pol_param mb8[] = {{"min_bits", "8", "s.yaml", 7, 15, 7, 5}};
    expect_error("dyno", &n, mb8, 1,
                 "s.yaml:7:15: 'min_bits' 8 is above every bit-width of model 'narrow' "
                 "(the widest is 4)");
    /* the default floor (4) is there; at 4 Mbit/s split 1 at 4 bits */
    pol_policy p;
    create(&p, "dyno", &n, NULL, 0);
    pol_obs o = obs_at(&n, 4e6);
    pol_action a = decide(&p, &o);
    assert_int_equal(a.bits, 4);
    pol_destroy(&p);
    mdl_model_free(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_predictor_terms_match_hand_computation),
        cmocka_unit_test(test_predictor_uses_hardware_profiles),
        cmocka_unit_test(test_neurosurgeon_moves_split_to_device_as_bandwidth_falls),
        cmocka_unit_test(test_neurosurgeon_energy_objective),
        cmocka_unit_test(test_neurosurgeon_sees_queues),
        cmocka_unit_test(test_edgent_steps_up_exits_as_bandwidth_grows),
        cmocka_unit_test(test_edgent_impossible_deadline_takes_fastest),
        cmocka_unit_test(test_edgent_orders_exits_by_accuracy),
        cmocka_unit_test(test_branchynet_runs_locally_with_threshold),
        cmocka_unit_test(test_dyno_picks_narrow_bits_when_bandwidth_is_low),
        cmocka_unit_test(test_dyno_slack_spends_precision_on_a_fast_link),
        cmocka_unit_test(test_classic_policies_are_registered),
        cmocka_unit_test(test_classic_parameter_errors_carry_positions),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
