/*
 * test_mdl_profile.c - hardware profiles: the shipped profiles load and
 * reproduce the published latencies they are calibrated on (each printed
 * beside the model's, within 25 %), the model-level helpers split the work
 * as mdl_device_macs/mdl_server_macs do, and bad profile files give one
 * clear "FILE:LINE:COL: message".  Measured profiles (a table of seconds
 * by layer and exit name) cost a model by its names whatever the bits,
 * and mdl_profile_check_model tells which model they do not fit.
 */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "mdl_arch.h"
#include "mdl_graph.h"
#include "mdl_profile.h"

#define DIR "models/profiles/"

static const char *const profiles[] = {"raspberry-pi3", "raspberry-pi4", "jetson-nano",
                                       "phone-soc",     "desktop-cpu",   "edge-gpu"};
#define N_PROFILES (sizeof profiles / sizeof profiles[0])

static void load(mdl_profile *p, const char *name)
{
    char path[256];
    off_err e = {0};
    snprintf(path, sizeof path, DIR "%s.yaml", name);
    if (mdl_profile_load(p, path, &e) != OFF_OK)
        fail_msg("%s", e.msg);
}

static void build(mdl_model *m, const char *name)
{
    off_err e = {0};
    if (mdl_arch_build(m, name, &e) != OFF_OK)
        fail_msg("%s", e.msg);
}

static const mdl_layer *layer(const mdl_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_layers; i++)
        if (strcmp(m->layers[i].name, name) == 0)
            return &m->layers[i];
    fail_msg("no layer %s", name);
    return NULL;
}

/* Print "what: published X, model Y (+Z %)" and check |Z| < 25 %. */
static void near(const char *what, double published_s, double model_s)
{
    double rel = (model_s - published_s) / published_s;
    printf("  %-44s published %8.4f s   model %8.4f s   (%+5.1f %%)\n", what, published_s,
           model_s, rel * 100);
    assert_true(fabs(rel) < 0.25);
}

static double whole_model_s(const mdl_profile *p, const mdl_model *m, int bits)
{
    size_t final = m->n_exits - 1;
    return mdl_profile_device_seconds(p, m, final, m->n_layers, bits);
}

static void test_profiles_load_with_physical_constants(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_PROFILES; i++) {
        mdl_profile p;
        load(&p, profiles[i]);
        assert_string_equal(p.name, profiles[i]);
        printf("  %-14s fp32 %7.1f Gop/s  int8 %7.1f Gop/s  DRAM %6.1f GB/s  %s\n", p.name,
               p.peak_ops[MDL_PREC_FP32] / 1e9, p.peak_ops[MDL_PREC_INT8] / 1e9,
               p.dram_bw_Bps / 1e9, p.device);
        assert_true(p.peak_ops[MDL_PREC_FP32] > 0);
        assert_true(p.device[0] && p.framework[0]);
        for (size_t k = 0; k < MDL_LAYER_N_KINDS; k++)
            assert_true(p.efficiency[k] > 0 && p.efficiency[k] <= 1);
        /* narrower arithmetic is never slower at its peak */
        assert_true(p.peak_ops[MDL_PREC_INT8] == 0 ||
                    p.peak_ops[MDL_PREC_INT8] >= p.peak_ops[MDL_PREC_FP32]);
        assert_true(p.dram_bw_Bps > 0);
        assert_true(p.cache_bytes == 0 || p.cache_bw_Bps >= p.dram_bw_Bps);
        /* and every zoo architecture costs a finite, positive time that
         * int8 does not make longer */
        size_t n;
        const mdl_arch_info *a = mdl_arch_list(&n);
        for (size_t j = 0; j < n; j++) {
            mdl_model m;
            build(&m, a[j].name);
            double t32 = whole_model_s(&p, &m, 32), t8 = whole_model_s(&p, &m, 8);
            assert_true(isfinite(t32) && t32 > 0);
            assert_true(t8 <= t32);
            mdl_model_free(&m);
        }
    }
}

/* Edgent (Li, Zhou, Chen, MECOMM 2018): B-AlexNet for CIFAR-10 in Chainer,
 * float32, on a Raspberry Pi 3: more than 2 s device-only (~2.3 s), conv2
 * alone ~1.3 s, conv1 ~52 ms; on the desktop edge server the whole model
 * in ~10 ms. */
static void test_edgent_b_alexnet_on_the_pi3_and_the_desktop(void **state)
{
    (void)state;
    mdl_profile pi, pc;
    mdl_model m;
    load(&pi, "raspberry-pi3");
    load(&pc, "desktop-cpu");
    build(&m, "b-alexnet");
    near("Edgent, Pi 3, conv1", 0.052, mdl_profile_layer_seconds(&pi, layer(&m, "conv1"), 32));
    near("Edgent, Pi 3, conv2", 1.3, mdl_profile_layer_seconds(&pi, layer(&m, "conv2"), 32));
    double dev = whole_model_s(&pi, &m, 32);
    near("Edgent, Pi 3, B-AlexNet device-only (> 2 s)", 2.3, dev);
    assert_true(dev > 2.0);
    near("Edgent, desktop server, whole B-AlexNet", 0.010, whole_model_s(&pc, &m, 32));
    /* why conv2 costs 25x conv1 for 5x the MACs: its im2col working set
     * (1 MiB) leaves the Pi's 512 KiB L2, conv1's (434 KiB) does not */
    mdl_layer_cost c1, c2;
    mdl_profile_layer_cost(&pi, layer(&m, "conv1"), 32, &c1);
    mdl_profile_layer_cost(&pi, layer(&m, "conv2"), 32, &c2);
    assert_true(c1.in_cache && !c2.in_cache);
    assert_true(c1.memory_s > c1.compute_s && c2.memory_s > c2.compute_s);
    mdl_model_free(&m);
}

/* MAHPPO (Hao et al., IEEE TMC 2023), Jetson Nano, full models at
 * 224x224: VGG-11 ~0.19 s, ResNet-18 ~0.046 s, MobileNetV2 ~0.053 s.
 * Assumed: PyTorch on the GPU in float32 (bits = 32). */
static void test_mahppo_models_on_the_jetson_nano(void **state)
{
    (void)state;
    mdl_profile p;
    load(&p, "jetson-nano");
    static const struct {
        const char *arch, *what;
        double published_s;
    } fig[] = {{"vgg11", "MAHPPO, Jetson Nano, VGG-11 (fp32)", 0.19},
               {"resnet18", "MAHPPO, Jetson Nano, ResNet-18 (fp32)", 0.046},
               {"mobilenetv2", "MAHPPO, Jetson Nano, MobileNetV2 (fp32)", 0.053}};
    for (size_t i = 0; i < sizeof fig / sizeof fig[0]; i++) {
        mdl_model m;
        build(&m, fig[i].arch);
        near(fig[i].what, fig[i].published_s, whole_model_s(&p, &m, 32));
        mdl_model_free(&m);
    }
}

/* The model-level helpers: device + server = the whole (exit, split), the
 * branch counted once on whichever side finishes the task, ranges add. */
static void test_device_and_server_split_the_work(void **state)
{
    (void)state;
    mdl_profile p;
    mdl_model m;
    load(&p, "raspberry-pi3");
    build(&m, "b-alexnet");
    size_t L = m.n_layers;
    for (size_t e = 0; e < m.n_exits; e++) {
        size_t after = m.exits[e].after;
        double br = mdl_profile_exit_seconds(&p, &m, e, 32);
        assert_true(e == m.n_exits - 1 ? br == 0 : br > 0);
        double whole = mdl_profile_range_seconds(&p, &m, 0, after, 32) + br;
        for (size_t s = 0; s <= L; s++) {
            double d = mdl_profile_device_seconds(&p, &m, e, s, 32);
            double v = mdl_profile_server_seconds(&p, &m, e, s, 32);
            assert_true(fabs(d + v - whole) <= 1e-12 * whole);
            if (s >= after)
                assert_true(v == 0);
            if (s == 0)
                assert_true(d == 0);
        }
    }
    /* exit1 on the device: conv1, conv2 and its branch */
    double t = mdl_profile_device_seconds(&p, &m, 0, L, 32);
    double want = mdl_profile_layer_seconds(&p, &m.layers[0], 32) +
                  mdl_profile_layer_seconds(&p, &m.layers[1], 32) +
                  mdl_profile_exit_seconds(&p, &m, 0, 32);
    assert_true(fabs(t - want) <= 1e-12 * want);
    for (size_t a = 0; a <= L; a++)
        for (size_t b = a; b <= L; b++)
            assert_true(fabs(mdl_profile_range_seconds(&p, &m, 0, a, 32) +
                             mdl_profile_range_seconds(&p, &m, a, b, 32) -
                             mdl_profile_range_seconds(&p, &m, 0, b, 32)) < 1e-12);
    mdl_model_free(&m);
}

/* The roofline's terms on a hand-made layer: compute-bound at fp32 on the
 * Nano, then the same layer at int8 with its bytes quartered. */
static void test_roofline_terms_by_hand(void **state)
{
    (void)state;
    mdl_profile p;
    load(&p, "jetson-nano");
    /* fc 4096 -> 4096: W = (params + in + out) * 4 B */
    mdl_layer fc = {.macs = 4096.0 * 4096, .out_bytes = 4.0 * 4096, .kind = MDL_LAYER_FC,
                    .params = 4096.0 * 4096 + 4096};
    mdl_layer_cost c;
    mdl_profile_layer_cost(&p, &fc, 32, &c);
    double w = (fc.params + 4096 + 4096) * 4;
    assert_true(fabs(c.working_set_bytes - w) < 1e-6);
    assert_true(fabs(c.memory_s - w / 25.6e9) < 1e-15);
    assert_true(fabs(c.compute_s - 2 * fc.macs / (235.9e9 * 0.38)) < 1e-15);
    assert_true(fabs(c.total_s - (0.3e-3 + c.memory_s)) < 1e-15); /* bandwidth-bound */
    printf("  fc 4096x4096 on the Nano: compute %.3f ms, memory %.3f ms -> %.3f ms\n",
           c.compute_s * 1e3, c.memory_s * 1e3, c.total_s * 1e3);
    mdl_layer_cost c8;
    mdl_profile_layer_cost(&p, &fc, 8, &c8);
    assert_int_equal(c8.prec, MDL_PREC_INT8);
    assert_true(fabs(c8.working_set_bytes - w / 4) < 1e-6);
    /* 16 bits: fp16 on the Nano; on the Pi 3 (no fp16) fp32 */
    assert_int_equal(mdl_profile_precision(&p, 16), MDL_PREC_FP16);
    mdl_profile pi;
    load(&pi, "raspberry-pi3");
    assert_int_equal(mdl_profile_precision(&pi, 16), MDL_PREC_FP32);
    assert_int_equal(mdl_profile_precision(&pi, 4), MDL_PREC_INT8);
    /* im2col: a 3x3 conv 64->64 at 8x8, no bias: X = 8*8*9*64 exactly */
    mdl_layer cv = {.macs = 64.0 * 64 * 9 * 64, .out_bytes = 4.0 * 64 * 64,
                    .kind = MDL_LAYER_CONV, .params = 64.0 * 9 * 64};
    mdl_profile_layer_cost(&pi, &cv, 32, &c);
    assert_true(fabs(c.working_set_bytes - (cv.params + 64.0 * 9 * 64 + 64 * 64) * 4) < 1e-6);
    /* a layer of unknown kind and weights still costs something sane */
    mdl_layer other = {.macs = 1e6, .out_bytes = 400};
    assert_true(mdl_profile_layer_seconds(&pi, &other, 32) > pi.overhead_s);
}

/* ---- bad profile files ---------------------------------------------------- */

/* A good profile, line by line; the tests swap one part for a bad one. */
#define NAME "name: t\n"                                  /* 1 */
#define PEAK "peak: {fp32: 10 Gop/s, int8: 20 Gop/s}\n"   /* 2 */
#define EFF "efficiency: {conv: 0.3, dwconv: 5 %, fc: 0.3}\n" /* 3 */
#define OVH "overhead: 1 ms\n"                            /* 4 */
#define MEM "memory:\n"                                   /* 5 */ \
            "  dram_bandwidth: 10 GB/s\n"                 /* 6 */ \
            "  cache: 1 MiB\n"                            /* 7 */ \
            "  cache_bandwidth: 40 GB/s\n"                /* 8 */
#define GOOD NAME PEAK EFF OVH MEM

static void expect_bad(const char *text, off_status want, const char *msg)
{
    mdl_profile p;
    off_err e = {0};
    off_status st = mdl_profile_parse(&p, text, strlen(text), "bad.yaml", &e);
    printf("  -> %s\n", e.msg);
    if (st != want)
        fail_msg("status %d (%s), want %d: %s", st, off_status_str(st), want, e.msg);
    if (!strstr(e.msg, msg))
        fail_msg("'%s' lacks '%s'", e.msg, msg);
    assert_int_equal(off_exit_code(st), 2);
}

static void test_bad_profiles_give_clear_errors(void **state)
{
    (void)state;
    mdl_profile p;
    off_err e = {0};
    assert_int_equal(mdl_profile_parse(&p, GOOD, strlen(GOOD), "good.yaml", &e), OFF_OK);
    assert_true(p.efficiency[MDL_LAYER_DWCONV] == 0.05);
    assert_true(p.efficiency[MDL_LAYER_POOL] == 0.3); /* defaults to conv */
    assert_true(p.cache_bytes == 1048576 && p.overhead_s == 1e-3);
    /* missing keys */
    expect_bad(NAME PEAK EFF OVH, OFF_EINVAL,
               "bad.yaml:1:1: the profile has no 'memory' (required)");
    expect_bad(NAME PEAK EFF OVH "memory: {cache: 1 MiB, cache_bandwidth: 2 GB/s}\n",
               OFF_EINVAL, "bad.yaml:5:9: memory has no 'dram_bandwidth' (required)");
    expect_bad(NAME "peak: {int8: 1 Gop/s}\n" EFF OVH MEM, OFF_EINVAL,
               "bad.yaml:2:7: peak has no 'fp32' (required)");
    expect_bad(NAME PEAK "efficiency: {conv: 1, fc: 1}\n" OVH MEM, OFF_EINVAL,
               "bad.yaml:3:13: efficiency has no 'dwconv' (required)");
    /* unknown keys, with a did-you-mean */
    expect_bad(GOOD "  dram_bandwith: 3 GB/s\n", OFF_EINVAL,
               "bad.yaml:9:3: unknown key 'dram_bandwith' in memory (did you mean "
               "'dram_bandwidth'?)");
    expect_bad("nmae: t\n" PEAK EFF OVH MEM, OFF_EINVAL,
               "bad.yaml:1:1: unknown key 'nmae' in the profile (did you mean 'name'?); "
               "valid keys: name, device, framework, peak, efficiency, overhead, memory");
    expect_bad(GOOD "  cache: 2 MiB\n", OFF_EPARSE,
               "bad.yaml:9:3: duplicate key 'cache' (first at line 7");
    /* bad numbers and units */
    expect_bad(NAME "peak: {fp32: fast}\n" EFF OVH MEM, OFF_EINVAL,
               "bad.yaml:2:14: peak.fp32: expected an operation rate such as '19.2 Gop/s' "
               "(units: op/s, kop/s, Mop/s, Gop/s, Top/s, FLOP/s, MFLOP/s, GFLOP/s, TFLOP/s), "
               "got 'fast'");
    expect_bad(NAME "peak: {fp32: 19.2 Gops}\n" EFF OVH MEM, OFF_EINVAL,
               "bad.yaml:2:14: peak.fp32: unknown unit 'Gops' for an operation rate (did you "
               "mean 'Gop/s'?)");
    expect_bad(NAME "peak: {fp32: 1 GB/s}\n" EFF OVH MEM, OFF_EINVAL,
               "'1 GB/s' is a data rate, expected an operation rate");
    expect_bad(NAME "peak: {fp32: -3 Gop/s}\n" EFF OVH MEM, OFF_EINVAL,
               "bad.yaml:2:14: peak.fp32 must be > 0, got '-3 Gop/s'");
    expect_bad(NAME PEAK "efficiency: {conv: 1.5, dwconv: 1, fc: 1}\n" OVH MEM, OFF_EINVAL, "bad.yaml:3:20: efficiency.conv must be in (0, 1], got '1.5'");
    expect_bad(NAME "peak: {fp32: 1e999 Gop/s}\n" EFF OVH MEM, OFF_EINVAL, "out of range");
    expect_bad(NAME "peak: {fp32: [1, 2]}\n" EFF OVH MEM, OFF_EINVAL,
               "peak.fp32: expected an operation rate (units: op/s,");
    expect_bad(NAME "peak: {fp32: [1, 2]}\n" EFF OVH MEM, OFF_EINVAL, "got a list");
    expect_bad(NAME "peak: 5\n" EFF OVH MEM, OFF_EINVAL,
               "bad.yaml:2:7: peak: expected a mapping (keys: fp32, fp16, int8), got '5'");
    expect_bad(GOOD "  im2col: maybe\n", OFF_EINVAL,
               "bad.yaml:9:11: memory.im2col: expected true or false, got 'maybe'");
    expect_bad(NAME PEAK EFF OVH "memory: {dram_bandwidth: 1 GB/s, cache: 1 MiB}\n", OFF_EINVAL, "bad.yaml:5:41: memory: 'cache' and 'cache_bandwidth' go together");
    /* truncated or broken YAML */
    expect_bad("name: t\npeak: {fp32: 10 Gop/s, int8:", OFF_EPARSE,
               "bad.yaml:2:29: YAML syntax error: did not find expected node content");
    expect_bad("name: t\npeak: {fp32: 10 Gop/s, int8:", OFF_EPARSE,
               "(the file ends here: truncated?)");
    expect_bad("name: t\npeak: \"10 Gop/s\n", OFF_EPARSE, "truncated?");
    expect_bad("name: t\n  peak: 3\n", OFF_EPARSE,
               "bad.yaml:2:7: YAML syntax error: mapping values");
    expect_bad("", OFF_EINVAL, "bad.yaml:1:1: the profile is empty");
    expect_bad(GOOD "---\nname: u\n", OFF_EPARSE,
               "bad.yaml:9:1: a second YAML document: a profile file holds one");
    /* a missing file */
    assert_int_equal(mdl_profile_load(&p, DIR "no-such-device.yaml", &e), OFF_EIO);
    printf("  -> %s\n", e.msg);
    assert_non_null(strstr(e.msg, "no-such-device.yaml"));
}

/* Every truncation of a real profile loads or fails with a positioned
 * OFF_EPARSE/OFF_EINVAL, never anything else. */
static void test_every_truncation_fails_cleanly(void **state)
{
    (void)state;
    char *text;
    size_t len;
    off_err e = {0};
    assert_int_equal(off_read_file(DIR "raspberry-pi3.yaml", &text, &len, &e), OFF_OK);
    size_t ok = 0, parse = 0, inval = 0;
    for (size_t n = 0; n < len; n++) {
        mdl_profile p;
        off_status st = mdl_profile_parse(&p, text, n, "pi3.yaml", &e);
        if (st == OFF_OK) {
            ok++;
            continue;
        }
        assert_true(st == OFF_EPARSE || st == OFF_EINVAL);
        assert_int_equal(strncmp(e.msg, "pi3.yaml:", 9), 0);
        st == OFF_EPARSE ? parse++ : inval++;
    }
    printf("  %zu truncations: %zu load, %zu YAML errors, %zu schema errors\n", len, ok, parse,
           inval);
    assert_true(ok < len / 10 && inval > 0);
    free(text);
}

/* ---- measured profiles ---------------------------------------------------- */

/* A measured table for the model tiny() below, line by line; its layers are
 * not in the model's order (lookups are by name). */
#define M_HEAD "name: host-tiny\n"          /* 1 */ \
               "kind: measured\n"           /* 2 */ \
               "device: a test CPU\n"       /* 3 */ \
               "model: tiny\n"              /* 4 */ \
               "bits: 8\n"                  /* 5 */
#define M_LAYERS "layers:\n"                /* 6 */ \
                 "  conv1: 40 us\n"         /* 7 */ \
                 "  fc1: 0.01 ms\n"         /* 8 */ \
                 "  pool1: 5e-6\n"          /* 9 */
#define M_EXITS "exits:\n"                  /* 10 */ \
                "  early: 2.5 us\n"         /* 11 */ \
                "  final: 0\n"              /* 12 */
#define MEASURED M_HEAD M_LAYERS M_EXITS

/* conv1 -> pool1 -> fc1, exit "early" after conv1, "final" after fc1. */
static void tiny(mdl_model *m, const char *name)
{
    static const mdl_layer layers[] = {
        {.name = "conv1", .macs = 1e6, .out_bytes = 4096, .kind = MDL_LAYER_CONV},
        {.name = "pool1", .macs = 0, .out_bytes = 1024, .kind = MDL_LAYER_POOL},
        {.name = "fc1", .macs = 1e4, .out_bytes = 40, .kind = MDL_LAYER_FC}};
    static const mdl_exit exits[] = {{"early", 1, 5e3, 0.8}, {"final", 3, 0, 0.9}};
    static const int bits[] = {2, 8, 32};
    mdl_model_desc d = {name, layers, 3, exits, 2, bits, 3, 784, 4};
    off_err e = {0};
    if (mdl_model_init(m, &d, &e) != OFF_OK)
        fail_msg("%s", e.msg);
}

static void parse_ok(mdl_profile *p, const char *text, const char *file)
{
    off_err e = {0};
    if (mdl_profile_parse(p, text, strlen(text), file, &e) != OFF_OK)
        fail_msg("%s", e.msg);
}

#define NEAR(a, b) assert_true(fabs((a) - (b)) <= 1e-12 * fabs(b) + 1e-18)

static void test_measured_profile_costs_layers_and_exits_by_name(void **state)
{
    (void)state;
    mdl_profile p;
    mdl_model m;
    parse_ok(&p, MEASURED, "m.yaml");
    tiny(&m, "tiny");
    assert_int_equal(p.kind, MDL_PROFILE_MEASURED);
    assert_string_equal(p.name, "host-tiny");
    assert_string_equal(p.model, "tiny");
    assert_string_equal(p.device, "a test CPU");
    assert_int_equal(p.bits, 8);
    assert_int_equal(p.n_layer_times, 3);
    assert_int_equal(p.n_exit_times, 2);
    off_err e = {0};
    assert_int_equal(mdl_profile_check_model(&p, &m, &e), OFF_OK);
    /* per layer, whatever the bits: the time measured at int8 */
    static const int bits[] = {2, 4, 8, 16, 32};
    for (size_t k = 0; k < sizeof bits / sizeof bits[0]; k++) {
        NEAR(mdl_profile_layer_seconds(&p, &m.layers[0], bits[k]), 40e-6);
        NEAR(mdl_profile_layer_seconds(&p, &m.layers[1], bits[k]), 5e-6);
        NEAR(mdl_profile_layer_seconds(&p, &m.layers[2], bits[k]), 10e-6);
        assert_int_equal(mdl_profile_precision(&p, bits[k]), MDL_PREC_INT8);
    }
    mdl_layer_cost c;
    mdl_profile_layer_cost(&p, &m.layers[2], 32, &c);
    NEAR(c.total_s, 10e-6);
    assert_true(c.compute_s == 0 && c.memory_s == 0 && c.prec == MDL_PREC_INT8);
    /* ranges add, exits are the table's */
    NEAR(mdl_profile_range_seconds(&p, &m, 0, 3, 8), 55e-6);
    NEAR(mdl_profile_range_seconds(&p, &m, 1, 3, 2), 15e-6);
    assert_true(mdl_profile_range_seconds(&p, &m, 2, 2, 8) == 0);
    NEAR(mdl_profile_exit_seconds(&p, &m, 0, 8), 2.5e-6);
    assert_true(mdl_profile_exit_seconds(&p, &m, 1, 8) == 0);
    /* device and server: early exit taken on the device, then offloaded */
    NEAR(mdl_profile_device_seconds(&p, &m, 0, 3, 8), 42.5e-6);
    NEAR(mdl_profile_device_seconds(&p, &m, 1, 1, 4), 40e-6);
    NEAR(mdl_profile_server_seconds(&p, &m, 1, 1, 4), 15e-6);
    NEAR(mdl_profile_server_seconds(&p, &m, 0, 0, 8), 42.5e-6);
    printf("  measured tiny: device-only %.1f us, early exit %.1f us\n",
           mdl_profile_device_seconds(&p, &m, 1, 3, 8) * 1e6,
           mdl_profile_device_seconds(&p, &m, 0, 3, 8) * 1e6);
    /* a layer the table lacks costs NaN (check_model reports it first) */
    mdl_layer stray = {.name = "conv9", .macs = 1};
    assert_true(isnan(mdl_profile_layer_seconds(&p, &stray, 8)));
    /* an explicit roofline kind is the roofline, and fits any model */
    mdl_profile r;
    parse_ok(&r, "kind: roofline\n" GOOD, "r.yaml");
    assert_int_equal(r.kind, MDL_PROFILE_ROOFLINE);
    assert_int_equal(mdl_profile_check_model(&r, &m, &e), OFF_OK);
    mdl_model_free(&m);
}

/* The names a measured table must hold are those of a trained graph's cost
 * view (mdl_graph_cost_model: backbone layers and exits by name). */
static void test_measured_profile_fits_the_graph_cost_view(void **state)
{
    (void)state;
    const mdl_gspec *sp = mdl_zoo_graph("mexit");
    assert_non_null(sp);
    mdl_graph g;
    mdl_model m;
    off_err e = {0};
    assert_int_equal(mdl_graph_init(&g, sp, &e), OFF_OK);
    assert_int_equal(mdl_graph_cost_model(&g, NULL, &m, &e), OFF_OK);
    char text[2048];
    int k = snprintf(text, sizeof text, "name: h\nkind: measured\nmodel: %s\nbits: 8\nlayers:\n",
                     sp->name);
    for (size_t i = 0; i < sp->n_layers; i++)
        k += snprintf(text + k, sizeof text - (size_t)k, "  %s: %zu us\n", sp->layers[i].name,
                      i + 1);
    k += snprintf(text + k, sizeof text - (size_t)k, "exits:\n");
    for (size_t x = 0; x < sp->n_exits; x++)
        k += snprintf(text + k, sizeof text - (size_t)k, "  %s: %s\n", sp->exits[x].name,
                      x + 1 < sp->n_exits ? "3 us" : "0");
    mdl_profile p;
    parse_ok(&p, text, "mexit.yaml");
    assert_int_equal(mdl_profile_check_model(&p, &m, &e), OFF_OK);
    double L = (double)sp->n_layers;
    NEAR(mdl_profile_range_seconds(&p, &m, 0, sp->n_layers, 8), L * (L + 1) / 2 * 1e-6);
    mdl_model_free(&m);
    mdl_graph_free(&g);
}

static void expect_misfit(const mdl_profile *p, const mdl_model *m, const char *msg)
{
    off_err e = {0};
    off_status st = mdl_profile_check_model(p, m, &e);
    printf("  -> %s\n", e.msg);
    assert_int_equal(st, OFF_EINVAL);
    if (!strstr(e.msg, msg))
        fail_msg("'%s' lacks '%s'", e.msg, msg);
}

static void test_check_model_names_what_a_measured_profile_lacks(void **state)
{
    (void)state;
    mdl_profile p;
    mdl_model m, other;
    tiny(&m, "tiny");
    tiny(&other, "tiny-v2");
    /* a table without pool1 */
    parse_ok(&p, M_HEAD "layers: {conv1: 40 us, fc1: 10 us}\n" M_EXITS, "dir/m.yaml");
    expect_misfit(&p, &m,
                  "dir/m.yaml:6:9: layers: profile 'host-tiny' has no time for layer 'pool1' "
                  "of model 'tiny' (it has: conv1, fc1)");
    /* nor the early exit */
    parse_ok(&p, M_HEAD M_LAYERS "exits:\n  final: 0\n", "m.yaml");
    expect_misfit(&p, &m, "m.yaml:11:3: exits: profile 'host-tiny' has no time for exit "
                          "'early' of model 'tiny' (it has: final)");
    /* measured on another model, even one with the same layer names */
    parse_ok(&p, MEASURED, "m.yaml");
    expect_misfit(&p, &other,
                  "m.yaml:4:8: model: profile 'host-tiny' was measured on model 'tiny', not "
                  "on 'tiny-v2'");
    /* extra entries are fine */
    parse_ok(&p, M_HEAD M_LAYERS "  conv2: 3 us\n" M_EXITS "  late: 1 us\n", "m.yaml");
    off_err e = {0};
    assert_int_equal(mdl_profile_check_model(&p, &m, &e), OFF_OK);
    NEAR(mdl_profile_range_seconds(&p, &m, 0, 3, 8), 55e-6);
    mdl_model_free(&m);
    mdl_model_free(&other);
}

static void test_bad_measured_profiles_give_clear_errors(void **state)
{
    (void)state;
    /* kind */
    expect_bad("name: t\nkind: mesured\n", OFF_EINVAL,
               "bad.yaml:2:7: kind: unknown kind 'mesured' (did you mean 'measured'?); kinds: "
               "roofline, measured");
    expect_bad("name: t\nkind: [a]\n", OFF_EINVAL, "bad.yaml:2:7: kind: unknown kind a list");
    /* keys of the other kind, and unknown keys */
    expect_bad(GOOD "layers: {conv1: 1 us}\n", OFF_EINVAL,
               "bad.yaml:9:1: key 'layers' belongs to profiles of kind: measured, and this one "
               "is kind: roofline (the default; add 'kind: measured' for a measured table)");
    expect_bad(MEASURED "overhead: 1 ms\n", OFF_EINVAL,
               "bad.yaml:13:1: key 'overhead' belongs to profiles of kind: roofline, and this "
               "one is kind: measured");
    expect_bad(MEASURED "exit: {a: 1 us}\n", OFF_EINVAL,
               "bad.yaml:13:1: unknown key 'exit' in the profile (did you mean 'exits'?); valid "
               "keys: name, kind, device, framework, model, bits, layers, exits");
    /* missing keys */
    expect_bad(M_HEAD M_EXITS, OFF_EINVAL,
               "bad.yaml:1:1: the profile (kind: measured) has no 'layers' (required)");
    expect_bad("name: t\nkind: measured\nbits: 8\n" M_LAYERS M_EXITS, OFF_EINVAL,
               "bad.yaml:1:1: the profile (kind: measured) has no 'model' (required)");
    /* bits */
    expect_bad("name: t\nkind: measured\nmodel: m\nbits: 8.5\n" M_LAYERS M_EXITS, OFF_EINVAL,
               "bad.yaml:4:7: bits: expected a whole number of bits, got '8.5'");
    expect_bad("name: t\nkind: measured\nmodel: m\nbits: 8 b\n" M_LAYERS M_EXITS, OFF_EINVAL,
               "bad.yaml:4:7: bits: expected a bit-width like '8', got '8 b'");
    expect_bad("name: t\nkind: measured\nmodel: m\nbits: 0\n" M_LAYERS M_EXITS, OFF_EINVAL,
               "bad.yaml:4:7: bits must be in [1, 32], got '0'");
    /* the tables */
    expect_bad(M_HEAD "layers:\n  conv1: 40 usec\n" M_EXITS, OFF_EINVAL,
               "bad.yaml:7:10: layers.conv1: unknown unit 'usec' for a duration; units: ns, "
               "us, ms, s, min, h");
    expect_bad(M_HEAD "layers:\n  conv1: -1 us\n" M_EXITS, OFF_EINVAL,
               "bad.yaml:7:10: layers.conv1 must be >= 0, got '-1 us'");
    expect_bad(M_HEAD "layers:\n  conv1: fast\n" M_EXITS, OFF_EINVAL,
               "bad.yaml:7:10: layers.conv1: expected a duration such as '5 ms'");
    expect_bad(M_HEAD "layers:\n  conv1: fast\n" M_EXITS, OFF_EINVAL, "got 'fast'");
    expect_bad(M_HEAD M_LAYERS "  conv1: 3 us\n" M_EXITS, OFF_EPARSE,
               "bad.yaml:10:3: duplicate key 'conv1' (first at line 7");
    expect_bad(M_HEAD "layers: {}\n" M_EXITS, OFF_EINVAL,
               "bad.yaml:6:9: layers: expected a mapping of layer name to its time, like "
               "'conv1: 41.2 us', got an empty mapping");
    expect_bad(M_HEAD "layers: [conv1, fc1]\n" M_EXITS, OFF_EINVAL,
               "bad.yaml:6:9: layers: expected a mapping of layer name to its time, like "
               "'conv1: 41.2 us', got a list");
    expect_bad(M_HEAD M_LAYERS "exits: 0\n", OFF_EINVAL,
               "bad.yaml:10:8: exits: expected a mapping of exit name to its time, like "
               "'early: 41.2 us', got '0'");
    expect_bad(M_HEAD "layers:\n  a_layer_name_of_more_than_31_chars: 1 us\n" M_EXITS,
               OFF_EINVAL,
               "bad.yaml:7:3: layers: layer name 'a_layer_name_of_more_than_31_chars' is longer "
               "than 31 characters");
    char big[4096];
    int k = snprintf(big, sizeof big, M_HEAD "layers:\n");
    for (int i = 0; i <= MDL_PROFILE_MAX_LAYERS; i++)
        k += snprintf(big + k, sizeof big - (size_t)k, "  l%d: 1 us\n", i);
    snprintf(big + k, sizeof big - (size_t)k, M_EXITS);
    expect_bad(big, OFF_EINVAL, "bad.yaml:71:3: layers: more than 64 entries");
    /* broken YAML */
    expect_bad(M_HEAD "layers: {conv1: 40 us\n", OFF_EPARSE, "truncated?");
}

/* Every truncation of a measured profile loads or fails with a positioned
 * OFF_EPARSE/OFF_EINVAL; the whole text loads. */
static void test_every_truncation_of_a_measured_profile_fails_cleanly(void **state)
{
    (void)state;
    const char *text = "# a comment\n" MEASURED;
    size_t len = strlen(text), ok = 0;
    off_err e = {0};
    for (size_t n = 0; n <= len; n++) {
        mdl_profile p;
        off_status st = mdl_profile_parse(&p, text, n, "m.yaml", &e);
        if (st == OFF_OK) {
            ok++;
            continue;
        }
        assert_true(st == OFF_EPARSE || st == OFF_EINVAL);
        assert_int_equal(strncmp(e.msg, "m.yaml:", 7), 0);
    }
    mdl_profile p;
    assert_int_equal(mdl_profile_parse(&p, text, len, "m.yaml", &e), OFF_OK);
    printf("  %zu truncations, %zu load\n", len + 1, ok);
}

/* Profiles read the units of scenarios (one grammar, config/cfg.h):
 * KB, µs, min, Mbit/s and the rest, and their own (Gop/s, B/MAC). */
static void test_profiles_accept_the_units_of_scenarios(void **state)
{
    (void)state;
    static const char roof[] = "name: units\n"
                               "peak: {fp32: 10 Gop/s, int8: 20 TFLOP/s}\n"
                               "efficiency: {conv: 30 %, dwconv: 0.1, fc: 0.3}\n"
                               "overhead: 250 \xc2\xb5s\n"
                               "memory:\n"
                               "  dram_bandwidth: 80 Gbit/s\n"
                               "  cache: 512 KB\n"
                               "  cache_bandwidth: 40 GB/s\n"
                               "  stream: 2 B/MAC\n";
    mdl_profile p;
    off_err e = {0};
    if (mdl_profile_parse(&p, roof, strlen(roof), "u.yaml", &e) != OFF_OK)
        fail_msg("%s", e.msg);
    assert_true(fabs(p.overhead_s - 250e-6) < 1e-18);
    assert_true(p.cache_bytes == 512e3);
    assert_true(p.dram_bw_Bps == 10e9 && p.cache_bw_Bps == 40e9);
    assert_true(p.peak_ops[MDL_PREC_INT8] == 20e12 && p.efficiency[MDL_LAYER_CONV] == 0.3);
    assert_true(p.stream_bytes_per_mac == 2);
    static const char meas[] = M_HEAD "layers:\n  conv1: 40 \xc2\xb5s\n  fc1: 0.001 min\n"
                               "  pool1: 5e-6\n" M_EXITS;
    if (mdl_profile_parse(&p, meas, strlen(meas), "m.yaml", &e) != OFF_OK)
        fail_msg("%s", e.msg);
    assert_true(fabs(p.layer_times[0].seconds - 40e-6) < 1e-18);
    assert_true(fabs(p.layer_times[1].seconds - 0.06) < 1e-15);
}

/* A measured profile written with the configuration layer's YAML writer
 * (as `offsim models profile` writes one) loads back with its names and
 * times, awkward device text included. */
static void test_profile_written_with_cfg_emit_loads_back(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    cfg_emit e;
    cfg_emit_init(&e, f);
    cfg_emit_comment(&e, "Measured hardware profile: a test.\nRegenerate rather than edit.");
    cfg_emit_str(&e, "name", "host-tiny");
    cfg_emit_str(&e, "kind", "measured");
    cfg_emit_str(&e, "device", "Intel(R) CPU @ 2.1GHz: 4 cores, \"turbo\" # off");
    cfg_emit_str(&e, "model", "tiny");
    cfg_emit_fmt(&e, "bits", "%d", 8);
    cfg_emit_begin(&e, "layers");
    cfg_emit_fmt(&e, "conv1", "%.3f us", 40.0);
    cfg_emit_fmt(&e, "pool1", "%.3f us", 5.0);
    cfg_emit_fmt(&e, "fc1", "%.3f us", 10.0);
    cfg_emit_end(&e);
    cfg_emit_begin(&e, "exits");
    cfg_emit_fmt(&e, "early", "%.3f us", 2.5);
    cfg_emit_str(&e, "final", "0");
    cfg_emit_end(&e);
    fclose(f);
    mdl_profile p;
    off_err err = {0};
    if (mdl_profile_parse(&p, buf, len, "w.yaml", &err) != OFF_OK)
        fail_msg("%s\n%s", err.msg, buf);
    assert_string_equal(p.device, "Intel(R) CPU @ 2.1GHz: 4 cores, \"turbo\" # off");
    assert_int_equal(p.n_layer_times, 3);
    assert_string_equal(p.layer_times[2].name, "fc1");
    assert_true(fabs(p.layer_times[2].seconds - 10e-6) < 1e-18);
    assert_true(fabs(p.exit_times[0].seconds - 2.5e-6) < 1e-18 && p.exit_times[1].seconds == 0);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profiles_accept_the_units_of_scenarios),
        cmocka_unit_test(test_profile_written_with_cfg_emit_loads_back),
        cmocka_unit_test(test_profiles_load_with_physical_constants),
        cmocka_unit_test(test_edgent_b_alexnet_on_the_pi3_and_the_desktop),
        cmocka_unit_test(test_mahppo_models_on_the_jetson_nano),
        cmocka_unit_test(test_device_and_server_split_the_work),
        cmocka_unit_test(test_roofline_terms_by_hand),
        cmocka_unit_test(test_bad_profiles_give_clear_errors),
        cmocka_unit_test(test_every_truncation_fails_cleanly),
        cmocka_unit_test(test_measured_profile_costs_layers_and_exits_by_name),
        cmocka_unit_test(test_measured_profile_fits_the_graph_cost_view),
        cmocka_unit_test(test_check_model_names_what_a_measured_profile_lacks),
        cmocka_unit_test(test_bad_measured_profiles_give_clear_errors),
        cmocka_unit_test(test_every_truncation_of_a_measured_profile_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
