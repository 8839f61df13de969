/*
 * bench_policies.c - the cost of one decision, per policy.
 *
 * A layer-table model of 12 layers (AlexNet-like shapes), 3 exits and 5
 * bit-widths (2, 4, 6, 8, 32).  1,024 observations are drawn up front
 * (uplink 0.5-200 Mbit/s log-uniform, device and uplink backlogs 0-20 ms,
 * 0-7 tasks at a 4-core server, deadlines 5-100 ms) and cycled through, so
 * that the searches do not see one input over and over.  Each policy is
 * timed through pol_decide (the simulator's call) in three settings:
 * compute costed from MACs / speed, from hardware profiles (device
 * raspberry-pi4, server desktop-cpu), and from profiles with the device's
 * compute bits changing on every decision among more (profile, bits) pairs
 * than the predictor keeps (POL_PRED_SLOTS), the worst case, where every
 * decision rebuilds a table.
 *
 * "joint" is no policy: the exhaustive search over every valid (exit,
 * split, bits) of the model through pol_pred_latency, for the cost per
 * action.  Figures: median of 5 runs of >= 0.2 s each, [min..max].
 * Usage: bench_policies.  Results are recorded in docs/policies.md.
 */
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "pol.h"

enum { NOBS = 1024, RUNS = 5 };

/* AlexNet's layer shapes (224 x 224 x 3 input); out_bytes are float32. */
static const mdl_layer layers[] = {
    {"conv1", 105e6, 1161600, MDL_LAYER_CONV, 35e3},
    {"pool1", 0.6e6, 279936, MDL_LAYER_POOL, 0},
    {"conv2", 224e6, 746496, MDL_LAYER_CONV, 307e3},
    {"pool2", 0.4e6, 173056, MDL_LAYER_POOL, 0},
    {"conv3", 150e6, 259584, MDL_LAYER_CONV, 664e3},
    {"conv4", 112e6, 259584, MDL_LAYER_CONV, 442e3},
    {"conv5", 75e6, 173056, MDL_LAYER_CONV, 295e3},
    {"pool5", 0.1e6, 36864, MDL_LAYER_POOL, 0},
    {"fc6", 38e6, 16384, MDL_LAYER_FC, 38e6},
    {"fc7", 17e6, 16384, MDL_LAYER_FC, 17e6},
    {"fc8", 4e6, 4000, MDL_LAYER_FC, 4e6},
    {"softmax", 0.01e6, 4000, MDL_LAYER_OTHER, 0},
};
static const mdl_exit exits[] = {
    {"exit1", 2, 5e6, 0.55}, {"exit2", 5, 3e6, 0.63}, {"final", 12, 0, 0.72}};
static const int bits[] = {2, 4, 6, 8, 32};

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void draw_obs(pol_obs *o, const mdl_model *m, gsl_rng *r)
{
    for (size_t i = 0; i < NOBS; i++) {
        pol_obs *x = &o[i];
        *x = (pol_obs){0};
        x->model = m;
        x->task_id = i;
        x->deadline_s = 0.005 + 0.095 * gsl_rng_uniform(r);
        x->device_speed_macs = 10e9;
        x->device_compute_bits = 8;
        x->device_backlog_s = 0.02 * gsl_rng_uniform(r);
        x->uplink_rate_bps = 0.5e6 * pow(400, gsl_rng_uniform(r));
        x->uplink_delay_s = 0.002;
        x->downlink_rate_bps = 50e6;
        x->downlink_delay_s = 0.002;
        x->uplink_backlog_s = 0.02 * gsl_rng_uniform(r);
        x->server_speed_macs = 100e9;
        x->server_compute_bits = 32;
        x->server_cores = 4;
        size_t n = gsl_rng_uniform_int(r, 8);
        x->server_busy = n < 4 ? n : 4;
        x->server_queue = n > 4 ? n - 4 : 0;
        x->device_power_active_w = 2.5;
        x->device_power_tx_w = 1.2;
        x->device_power_rx_w = 0.9;
        x->device_power_idle_w = 0.1;
    }
}

typedef enum setting { MACS, PROFILE, THRASH } setting;

static void set_profiles(pol_obs *o, setting s, const mdl_profile *dev, const mdl_profile *srv)
{
    static const int cbits[] = {4, 8, 16, 32};
    for (size_t i = 0; i < NOBS; i++) {
        o[i].device_profile = s == MACS ? NULL : dev;
        o[i].server_profile = s == MACS ? NULL : srv;
        o[i].device_compute_bits = s == THRASH ? cbits[i % 4] + (int)(i / 4 % 4) : 8;
    }
}

static volatile long sink;

/* ns per pol_decide; ns per action for "joint" (n_actions > 0). */
static void time_policy(const char *type, const mdl_model *m, const pol_obs *o,
                        gsl_rng *rng, double out[RUNS])
{
    pol_cfg cfg = {.model = m, .params = NULL, .n_params = 0, .rng = rng, .n_devices = 1};
    pol_policy p;
    off_err e;
    if (pol_create(&p, type, &cfg, "bench", 0, 0, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        exit(1);
    }
    for (int r = 0; r < RUNS; r++) {
        long n = 0, acc = 0;
        double t0 = off_wall_seconds(), dt;
        do {
            for (size_t i = 0; i < NOBS; i++) {
                pol_action a;
                pol_decide(&p, &o[i], &a);
                acc += a.split + a.exit + a.bits;
            }
            n += NOBS;
            dt = off_wall_seconds() - t0;
        } while (dt < 0.2);
        sink += acc;
        out[r] = dt / (double)n * 1e9;
    }
    pol_destroy(&p);
}

static size_t time_joint(const mdl_model *m, const pol_obs *o, double out[RUNS])
{
    pol_pred pred;
    off_err e;
    if (pol_pred_init(&pred, m, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        exit(1);
    }
    size_t actions = 0;
    for (size_t ex = 0; ex < m->n_exits; ex++)
        actions += (m->exits[ex].after + 1) * m->n_bits;
    for (int r = 0; r < RUNS; r++) {
        long n = 0;
        double t0 = off_wall_seconds(), dt, acc = 0;
        do {
            for (size_t i = 0; i < NOBS; i++) {
                pol_pred_ctx c;
                pol_pred_begin(&pred, &o[i], &c);
                double best = INFINITY;
                for (size_t ex = 0; ex < m->n_exits; ex++)
                    for (size_t sp = 0; sp <= m->exits[ex].after; sp++)
                        for (size_t b = 0; b < m->n_bits; b++) {
                            double l = pol_pred_latency(&c, ex, sp, b);
                            best = l < best ? l : best;
                        }
                acc += best;
            }
            n += NOBS;
            dt = off_wall_seconds() - t0;
        } while (dt < 0.2);
        sink += (long)acc;
        out[r] = dt / ((double)n * (double)actions) * 1e9;
    }
    pol_pred_free(&pred);
    return actions;
}

static void row(const char *name, double v[RUNS], const char *unit)
{
    qsort(v, RUNS, sizeof v[0], cmp);
    printf("  %-13s %9.1f %s [%.1f..%.1f]\n", name, v[RUNS / 2], unit, v[0], v[RUNS - 1]);
}

int main(void)
{
    mdl_model m;
    off_err e;
    mdl_model_desc d = {"bench12", layers, 12, exits, 3, bits, 5, 150528, 4};
    if (mdl_model_init(&m, &d, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    mdl_profile dev, srv;
    if (mdl_profile_load(&dev, OFFSIM_SOURCE_DIR "/models/profiles/raspberry-pi4.yaml", &e) ||
        mdl_profile_load(&srv, OFFSIM_SOURCE_DIR "/models/profiles/desktop-cpu.yaml", &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    pol_obs *o = malloc(NOBS * sizeof *o);
    if (!o)
        return 1;
    draw_obs(o, &m, rng);
    static const char *const pols[] = {"local", "random", "branchynet", "neurosurgeon",
                                       "edgent", "dyno"};
    static const char *const names[] = {"MACs / speed", "hardware profiles",
                                        "profiles, table rebuilt every decision"};
    printf("policy decisions: %s, %zu layers x %zu exits x %zu bit-widths, %d observations\n",
           m.name, m.n_layers, m.n_exits, m.n_bits, NOBS);
    for (setting s = MACS; s <= THRASH; s++) {
        printf("%s (ns per decision):\n", names[s]);
        set_profiles(o, s, &dev, &srv);
        for (size_t i = 0; i < sizeof pols / sizeof pols[0]; i++) {
            double v[RUNS];
            time_policy(pols[i], &m, o, rng, v);
            row(pols[i], v, "ns");
        }
        double v[RUNS];
        size_t na = time_joint(&m, o, v);
        char label[32];
        snprintf(label, sizeof label, "joint (%zu)", na);
        row(label, v, "ns per action");
    }
    free(o);
    gsl_rng_free(rng);
    mdl_model_free(&m);
    return 0;
}
