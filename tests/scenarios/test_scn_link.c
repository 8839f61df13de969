/* test_scn_link.c - a device's uplink/downlink: `channel` (fixed, shannon,
 * mcs, trace with path loss, shadowing, fading, outages, shared cell) and
 * `estimator` load with units converted and the defaults of scn.h, and
 * every bad value is one positioned message that leaves nothing allocated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "scn.h"

#define assert_near(a, b) assert_true(fabs((double)(a) - (double)(b)) <= \
                                      1e-9 * fabs((double)(b)) + 1e-12)

/* The scenario "lives" in tests/data/scenarios/ so that a relative trace
 * path resolves there (tests run from the source directory). */
#define SCN_FILE "tests/data/scenarios/t.yaml"

/* Lines 1-10; a test's own lines start at line 11. */
#define HEAD "duration: 1 s\n" \
             "model:\n" \
             "  layers: [{name: l1, macs: 1 G, out: 1 kB}]\n" \
             "  exits: [{name: out, after: l1, accuracy: 0.9}]\n" \
             "servers:\n" \
             "  - {name: edge, speed: 10 GMAC/s}\n" \
             "devices:\n" \
             "  - name: phone\n" \
             "    speed: 1 GMAC/s\n" \
             "    arrivals: {process: poisson, rate: 1 /s}\n"

static off_status load(scn_scenario *s, const char *text, off_err *e)
{
    return scn_load_text(s, SCN_FILE, text, strlen(text), NULL, 0, e);
}

static void load_ok(scn_scenario *s, const char *text)
{
    off_err e = {0};
    if (load(s, text, &e) != OFF_OK)
        fail_msg("load failed: %s", e.msg);
}

/* The error must be positioned at the first occurrence of `at` after
 * HEAD (so that the expected position is the intended token, not a
 * hand-counted column). */
static void expect_err(const char *text, off_status want, const char *at,
                       const char *const *words)
{
    const char *hit = strstr(text + strlen(HEAD), at);
    if (!hit)
        fail_msg("'%s' is not in the test's text", at);
    int line = 1, col = 1;
    for (const char *p = text; p < hit; p++, col++)
        if (*p == '\n') {
            line++;
            col = 0;
        }
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s:%d:%d: ", SCN_FILE, line, col);
    scn_scenario s;
    off_err e = {0};
    off_status st = load(&s, text, &e);
    print_message("  -> %s\n", e.msg);
    if (st != want)
        fail_msg("status %d (%s), want %d: %s", st, off_status_str(st), want,
                 e.msg);
    if (strncmp(e.msg, prefix, strlen(prefix)) != 0)
        fail_msg("'%s' does not start with '%s'", e.msg, prefix);
    for (size_t i = 0; words[i]; i++)
        if (!strstr(e.msg, words[i]))
            fail_msg("'%s' lacks '%s'", e.msg, words[i]);
    assert_null(s.file);
    assert_null(s.devices);
    assert_int_equal(s.n_devices, 0);
}
#define EXPECT_ERR(text, st, at, ...) \
    expect_err(text, st, at, (const char *const[]){__VA_ARGS__, NULL})

static void test_full_channel_loads_every_value(void **state)
{
    (void)state;
    scn_scenario s;
    load_ok(&s, HEAD
            "    uplink:\n"
            "      delay: 2 ms\n"
            "      channel:\n"
            "        model: shannon\n"
            "        bandwidth: 10 MHz\n"
            "        efficiency: 0.75\n"
            "        tx_power: 23 dBm\n"
            "        noise_density: -174 dBm/Hz\n"
            "        noise_figure: 9 dB\n"
            "        pathloss: {model: uma-nlos, frequency: 3.5 GHz, "
            "distance: 200 m, shadowing: 6 dB}\n"
            "        fading: {model: block, k: 0, coherence: 10 ms}\n"
            "        outage: {good: 2 s, bad: 200 ms, slot: 1 ms, factor: 0}\n"
            "        shared: true\n"
            "      estimator: {kind: ewma, alpha: 0.3}\n"
            "    downlink:\n"
            "      channel: {model: trace, file: chan_trace.csv, loop: false,\n"
            "                outage: {good: 1 s, bad: 10 ms, factor: 10 %}}\n"
            "      estimator: {kind: harmonic, k: 8}\n");
    const scn_link *u = &s.devices[0].uplink, *d = &s.devices[0].downlink;
    const scn_channel *c = &u->chan;
    assert_true(isinf(u->rate_bps));
    assert_near(u->delay_s, 2e-3);
    assert_int_equal(c->model, SCN_CHAN_SHANNON);
    assert_near(c->bandwidth_hz, 1e7);
    assert_near(c->efficiency, 0.75);
    assert_true(c->tx_power_dbm == 23.0); /* taken exactly, not via watts */
    assert_true(c->noise_density_dbm_hz == -174.0);
    assert_near(c->noise_figure_db, 9);
    assert_int_equal(c->pathloss, SCN_PL_UMA_NLOS);
    assert_near(c->frequency_hz, 3.5e9);
    assert_near(c->distance_m, 200);
    assert_near(c->shadowing_db, 6);
    assert_int_equal(c->fading, SCN_FADE_BLOCK);
    assert_near(c->k_factor, 0);
    assert_near(c->coherence_s, 0.01);
    assert_true(c->outage);
    assert_near(c->good_s, 2);
    assert_near(c->bad_s, 0.2);
    assert_near(c->outage_slot_s, 1e-3);
    assert_near(c->bad_factor, 0);
    assert_true(c->shared);
    assert_null(c->trace_path);
    assert_int_equal(c->pos.line, 14);
    assert_int_equal(c->pos.col, 9);
    assert_int_equal(u->est.kind, SCN_EST_EWMA);
    assert_near(u->est.alpha, 0.3);

    const scn_channel *t = &d->chan;
    assert_int_equal(t->model, SCN_CHAN_TRACE);
    assert_string_equal(t->trace_path, "tests/data/scenarios/chan_trace.csv");
    assert_false(t->trace_loop);
    assert_true(t->outage);
    assert_near(t->outage_slot_s, 1e-3);
    assert_near(t->bad_factor, 0.1);
    assert_false(t->shared);
    assert_int_equal(d->est.kind, SCN_EST_HARMONIC);
    assert_int_equal(d->est.k, 8);
    scn_free(&s);
}

static void test_defaults_follow_scn_h(void **state)
{
    (void)state;
    scn_scenario s;
    /* no uplink/downlink at all */
    load_ok(&s, HEAD);
    for (int i = 0; i < 2; i++) {
        const scn_link *l = i ? &s.devices[0].downlink : &s.devices[0].uplink;
        const scn_channel *c = &l->chan;
        assert_true(isinf(l->rate_bps));
        assert_near(l->delay_s, 0);
        assert_int_equal(c->model, SCN_CHAN_FIXED);
        assert_near(c->efficiency, 1);
        assert_near(c->tx_power_dbm, 23);
        assert_near(c->noise_density_dbm_hz, -174);
        /* the receiver's: base station 5 dB up, device 9 dB down */
        assert_near(c->noise_figure_db, i ? 9 : 5);
        assert_int_equal(c->pathloss, SCN_PL_GAIN);
        assert_near(c->exponent, 3);
        assert_near(c->ref_distance_m, 1);
        assert_true(c->shadowing_db < 0); /* the model's own */
        assert_int_equal(c->fading, SCN_FADE_NONE);
        assert_near(c->k_factor, 0);
        assert_near(c->doppler_hz, 10);
        assert_near(c->coherence_s, 0.0423);
        assert_false(c->outage);
        assert_near(c->outage_slot_s, 1e-3);
        assert_near(c->bad_factor, 0);
        assert_null(c->trace_path);
        assert_true(c->trace_loop);
        assert_false(c->shared);
        assert_int_equal(l->est.kind, SCN_EST_LAST);
    }
    scn_free(&s);

    /* a minimal shannon channel, gauss-markov fading from its doppler */
    load_ok(&s, HEAD
            "    uplink:\n"
            "      channel:\n"
            "        model: shannon\n"
            "        bandwidth: 20 MHz\n"
            "        pathloss: {model: gain, gain: -100 dB}\n"
            "        fading: {model: gauss-markov, doppler: 50 Hz, k: 6 dB}\n"
            "    downlink:\n"
            "      rate: 50 Mbps\n"
            "      channel: {model: fixed, shared: no}\n"
            "  - {name: cam, speed: 1 GMAC/s, arrivals: {process: poisson, "
            "rate: 1 /s},\n"
            "     uplink: {rate: 5 Mbps, channel: {model: fixed, shared: yes}}}\n");
    const scn_channel *c = &s.devices[0].uplink.chan;
    assert_int_equal(c->model, SCN_CHAN_SHANNON);
    assert_near(c->bandwidth_hz, 2e7);
    assert_near(c->efficiency, 1);
    assert_near(c->noise_figure_db, 5);
    assert_int_equal(c->pathloss, SCN_PL_GAIN);
    assert_near(c->gain_db, -100);
    assert_true(c->shadowing_db < 0);
    assert_int_equal(c->fading, SCN_FADE_GAUSS_MARKOV);
    assert_near(c->doppler_hz, 50);
    assert_near(c->coherence_s, 0.423 / 50 / 10); /* gauss-markov: a tenth */
    assert_near(c->k_factor, pow(10, 0.6));
    const scn_link *d = &s.devices[0].downlink;
    assert_int_equal(d->chan.model, SCN_CHAN_FIXED);
    assert_false(d->chan.shared);
    assert_near(d->rate_bps, 5e7);
    assert_int_equal(s.devices[1].uplink.chan.model, SCN_CHAN_FIXED);
    assert_true(s.devices[1].uplink.chan.shared);
    assert_near(s.devices[1].uplink.rate_bps, 5e6);
    scn_free(&s);

    /* mcs, log-distance with its defaults and then given */
    load_ok(&s, HEAD
            "    uplink:\n"
            "      channel: {model: mcs, bandwidth: 5 MHz, noise_density: -170,\n"
            "                pathloss: {model: log-distance, frequency: 2.4 GHz, "
            "distance: 50 m},\n"
            "                outage: false}\n"
            "    downlink:\n"
            "      channel: {model: mcs, bandwidth: 5 MHz, noise_figure: 7 dB,\n"
            "                pathloss: {model: log-distance, frequency: 2.4 GHz, "
            "distance: 50 m,\n"
            "                           exponent: 3.5, ref_distance: 10 m}}\n");
    c = &s.devices[0].uplink.chan;
    assert_int_equal(c->model, SCN_CHAN_MCS);
    assert_near(c->noise_density_dbm_hz, -170);
    assert_int_equal(c->pathloss, SCN_PL_LOG_DISTANCE);
    assert_near(c->frequency_hz, 2.4e9);
    assert_near(c->distance_m, 50);
    assert_near(c->exponent, 3);
    assert_near(c->ref_distance_m, 1);
    assert_false(c->outage);
    c = &s.devices[0].downlink.chan;
    assert_near(c->noise_figure_db, 7);
    assert_near(c->exponent, 3.5);
    assert_near(c->ref_distance_m, 10);
    scn_free(&s);
}

static void test_tx_power_units_convert_to_dbm(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        double dbm;
    } cases[] = {{"23 dBm", 23}, {"23dBm", 23},    {"-7 dBW", 23},
                 {"1 W", 30},    {"200 mW", 10 * log10(200.0)},
                 {"0 dBm", 0},   {"100 uW", -10}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text,
                 HEAD "    uplink: {channel: {model: shannon, bandwidth: 1 MHz, "
                      "tx_power: %s, pathloss: {model: gain, gain: -90 dB}}}\n",
                 cases[i].text);
        scn_scenario s;
        load_ok(&s, text);
        double got = s.devices[0].uplink.chan.tx_power_dbm;
        print_message("  %s -> %.17g dBm\n", cases[i].text, got);
        assert_true(fabs(got - cases[i].dbm) < 1e-12);
        scn_free(&s);
    }
}

static void test_override_reaches_channel_keys(void **state)
{
    (void)state;
    const char *text = HEAD
        "    uplink: {channel: {model: shannon, bandwidth: 1 MHz, "
        "pathloss: {model: gain, gain: -90 dB}}}\n";
    scn_override ov[] = {{"devices.0.uplink.channel.bandwidth", "20 MHz"},
                         {"devices.phone.uplink.estimator", "{kind: ewma, alpha: 0.5}"}};
    scn_scenario s;
    off_err e = {0};
    if (scn_load_text(&s, SCN_FILE, text, strlen(text), ov, 2, &e))
        fail_msg("%s", e.msg);
    assert_near(s.devices[0].uplink.chan.bandwidth_hz, 2e7);
    assert_int_equal(s.devices[0].uplink.est.kind, SCN_EST_EWMA);
    assert_near(s.devices[0].uplink.est.alpha, 0.5);
    scn_free(&s);
    scn_override bad[] = {{"devices.0.uplink.channel.model", "shanon"}};
    assert_int_equal(scn_load_text(&s, SCN_FILE, text, strlen(text), bad, 1, &e),
                     OFF_EINVAL);
    print_message("  -> %s\n", e.msg);
    assert_non_null(strstr(e.msg, "<--set 1>:1:1: "));
    assert_non_null(strstr(e.msg, "did you mean 'shannon'?"));
}

/* Line 11 column 5 is "uplink"; a flow mapping on line 11 starts at 13. */
#define SH "{model: shannon, bandwidth: 10 MHz, pathloss: {model: gain, gain: -90 dB}"

static void test_unknown_keys_and_choices_suggest(void **state)
{
    (void)state;
    EXPECT_ERR(HEAD "    uplink: {channle: {model: shannon}}\n", OFF_EINVAL,
               "channle",
               "unknown key 'channle' in uplink of device 'phone' (did you "
               "mean 'channel'?); valid keys: rate, delay, channel, estimator");
    EXPECT_ERR(HEAD "    uplink:\n"
                    "      channel:\n"
                    "        model: shannon\n"
                    "        bandwdith: 10 MHz\n",
               OFF_EINVAL, "bandwdith",
               "unknown key 'bandwdith' in channel of uplink of device "
               "'phone' (did you mean 'bandwidth'?)");
    EXPECT_ERR(HEAD "    uplink:\n"
                    "      channel:\n"
                    "        model: shanon\n",
               OFF_EINVAL, "shanon",
               "unknown channel model 'shanon' (did you mean "
               "'shannon'?); accepted values: fixed, shannon, mcs, trace");
    EXPECT_ERR(HEAD "    uplink: {channel: {model: shannon, bandwidth: 1 MHz,\n"
                    "      pathloss: {model: uma-nlso, frequency: 3 GHz, "
                    "distance: 1 km}}}\n",
               OFF_EINVAL, "uma-nlso", "'uma-nlso' (did you mean "
               "'uma-nlos'?)", "gain, free-space, log-distance, umi-los");
    EXPECT_ERR(HEAD "    uplink: {channel: " SH ",\n"
                    "      fading: {model: gauss-markow}}}\n",
               OFF_EINVAL, "gauss-markow",
               "'gauss-markow' (did you mean 'gauss-markov'?)");
    EXPECT_ERR(HEAD "    downlink: {estimator: {kind: ewna, alpha: 0.3}}\n",
               OFF_EINVAL, "ewna",
               "unknown estimator kind 'ewna' (did you mean 'ewma'?); accepted "
               "values: last, ewma, harmonic");
    EXPECT_ERR(HEAD "    uplink: {channel: " SH ",\n"
                    "      outage: {good: 1 s, bda: 1 s}}}\n",
               OFF_EINVAL, "bda",
               "unknown key 'bda' in outage of uplink of device 'phone' (did "
               "you mean 'bad'?)");
    EXPECT_ERR(HEAD "    uplink: {channel: {bandwidth: 1 MHz}}\n", OFF_EINVAL,
               "{bandwidth",
               "channel of uplink of device 'phone' has no 'model'");
}

static void test_keys_of_another_model_name_the_model(void **state)
{
    (void)state;
    EXPECT_ERR(HEAD "    uplink: {channel: {model: mcs, efficiency: 0.8}}\n",
               OFF_EINVAL, "efficiency",
               "'efficiency' does not apply to the mcs channel model (its "
               "keys: model, bandwidth, tx_power, noise_density, "
               "noise_figure, pathloss, fading, outage, shared)");
    EXPECT_ERR(HEAD "    uplink: {channel: {model: fixed, bandwidth: 1 MHz}}\n",
               OFF_EINVAL, "bandwidth",
               "'bandwidth' does not apply to the fixed channel model (its "
               "keys: model, shared)");
    EXPECT_ERR(HEAD "    uplink: {channel: {model: trace, file: chan_trace.csv, "
                    "fading: {model: none}}}\n",
               OFF_EINVAL, "fading",
               "'fading' does not apply to the trace channel model");
    EXPECT_ERR(HEAD "    uplink: {channel: {model: shannon, bandwidth: 1 MHz,\n"
                    "      pathloss: {model: uma-nlos, frequency: 3 GHz, "
                    "distance: 1 km, exponent: 3}}}\n",
               OFF_EINVAL, "exponent",
               "'exponent' does not apply to the uma-nlos path-loss model (its "
               "keys: model, frequency, distance, shadowing, decorrelation)");
    EXPECT_ERR(HEAD "    uplink: {channel: " SH ",\n"
                    "      fading: {model: none, k: 3}}}\n",
               OFF_EINVAL, "k: 3",
               "'k' does not apply to the none fading model (its keys: model)");
    EXPECT_ERR(HEAD "    uplink: {estimator: {kind: last, alpha: 0.5}}\n",
               OFF_EINVAL, "alpha",
               "'alpha' does not apply to the last estimator (its keys: kind)");
    EXPECT_ERR(HEAD "    uplink: {estimator: {kind: ewma, k: 4}}\n",
               OFF_EINVAL, "k: 4",
               "'k' does not apply to the ewma estimator (its keys: kind, "
               "alpha)");
}

static void test_rate_and_channel_exclude_each_other(void **state)
{
    (void)state;
    EXPECT_ERR(HEAD "    uplink:\n"
                    "      rate: 20 Mbps\n"
                    "      channel: " SH "}\n",
               OFF_EINVAL, "rate:",
               "uplink of device 'phone': 'rate' and a shannon channel exclude "
               "each other");
    EXPECT_ERR(HEAD "    downlink: {channel: {model: trace, file: chan_trace.csv}, "
                    "rate: 1 Mbps}\n",
               OFF_EINVAL, "rate",
               "'rate' and a trace channel exclude each other");
}

static void test_required_keys(void **state)
{
    (void)state;
    EXPECT_ERR(HEAD "    uplink: {channel: {model: trace, loop: true}}\n",
               OFF_EINVAL, "{model: trace",
               "channel of uplink of device 'phone' has no 'file'");
    EXPECT_ERR(HEAD "    uplink: {channel: {model: trace, file: nope.csv}}\n",
               OFF_EIO, "nope.csv",
               "cannot read channel trace file 'tests/data/scenarios/nope.csv'",
               "No such file or directory");
    EXPECT_ERR(HEAD "    uplink: {channel: {model: shannon, pathloss: {model: "
                    "gain, gain: -90}}}\n",
               OFF_EINVAL, "{model: shannon",
               "channel of uplink of device 'phone' has no 'bandwidth'");
    EXPECT_ERR(HEAD "    uplink: {channel: {model: mcs, bandwidth: 1 MHz}}\n",
               OFF_EINVAL, "{model: mcs",
               "channel of uplink of device 'phone' has no 'pathloss'");
    EXPECT_ERR(HEAD "    uplink: {channel: {model: mcs, bandwidth: 1 MHz, "
                    "pathloss: {model: free-space, distance: 10 m}}}\n",
               OFF_EINVAL, "{model: free-space",
               "pathloss of uplink of device 'phone' has no 'frequency'");
    EXPECT_ERR(HEAD "    uplink: {channel: {model: mcs, bandwidth: 1 MHz, "
                    "pathloss: {model: gain}}}\n",
               OFF_EINVAL, "{model: gain}",
               "pathloss of uplink of device 'phone' has no 'gain'");
    EXPECT_ERR(HEAD "    uplink: {estimator: {kind: ewma}}\n", OFF_EINVAL,
               "{kind: ewma}",
               "estimator of uplink of device 'phone' has no 'alpha'");
    EXPECT_ERR(HEAD "    uplink: {estimator: {kind: harmonic}}\n", OFF_EINVAL,
               "{kind: harmonic}",
               "estimator of uplink of device 'phone' has no 'k'");
    EXPECT_ERR(HEAD "    uplink: {channel: " SH ", outage: {good: 1 s}}}\n",
               OFF_EINVAL, "{good: 1 s}",
               "outage of uplink of device 'phone' has no 'bad'");
}

static void test_values_out_of_range(void **state)
{
    (void)state;
    EXPECT_ERR(HEAD "    uplink: {channel: {model: shannon, bandwidth: 1 MHz, pathloss: "
                    "{model: free-space, frequency: 2 GHz, distance: 9 m, decorrelation: 10 m}}}\n",
               OFF_EINVAL, "10 m}", "decorrelation: pathloss of",
               "has no shadowing to correlate");
    EXPECT_ERR(HEAD "    uplink: {channel: {model: shannon, bandwidth: 1 MHz, pathloss: "
                    "{model: umi-los, frequency: 2 GHz, distance: 9 m, decorrelation: 0 m}}}\n",
               OFF_EINVAL, "0 m}", "decorrelation must be > 0, got 0 m");
    EXPECT_ERR(HEAD "    uplink: {channel: {model: shannon, bandwidth: 1 MHz, pathloss: "
                    "{model: gain, gain: -90 dB, shadowing: 4 dB, decorrelation: 9 m}}}\n",
               OFF_EINVAL, "decorrelation", "'decorrelation' does not apply to the gain");
    EXPECT_ERR(HEAD "    uplink: {channel: {model: shannon, bandwidth: -5 MHz}}\n",
               OFF_EINVAL, "-5 MHz",
               "bandwidth must be > 0, got -5 MHz");
    EXPECT_ERR(HEAD "    uplink: {channel: {model: shannon, bandwidth: 5 Mbps}}\n",
               OFF_EINVAL, "5 Mbps",
               "bandwidth: '5 Mbps' is a data rate, expected a frequency");
    EXPECT_ERR(HEAD "    uplink: {channel: {model: shannon, bandwidth: 1 MHz, efficiency: 1.2}}\n",
               OFF_EINVAL, "1.2",
               "efficiency must be between 0 and 1", "got 1.2");
    EXPECT_ERR(HEAD "    uplink: {channel: {model: shannon, bandwidth: 1 MHz, efficiency: 0}}\n",
               OFF_EINVAL, "0}}", "efficiency must be > 0");
    EXPECT_ERR(HEAD "    uplink: {estimator: {kind: ewma, alpha: 0}}\n",
               OFF_EINVAL, "0}}", "alpha must be > 0, got 0");
    EXPECT_ERR(HEAD "    uplink: {estimator: {kind: ewma, alpha: 1.5}}\n",
               OFF_EINVAL, "1.5", "alpha must be between 0 and 1",
               "got 1.5");
    EXPECT_ERR(HEAD "    uplink: {estimator: {kind: harmonic, k: 0}}\n",
               OFF_EINVAL, "0}}",
               "k must be between 1 and 64, got 0");
    EXPECT_ERR(HEAD "    uplink: {estimator: {kind: harmonic, k: 65}}\n",
               OFF_EINVAL, "65",
               "k is out of range (at most 64), got 65");
    EXPECT_ERR(HEAD "    uplink: {estimator: {kind: harmonic, k: 2.5}}\n",
               OFF_EINVAL, "2.5",
               "k: expected an integer, got '2.5'");
    EXPECT_ERR(HEAD "    uplink: {channel: {model: shannon, bandwidth: 1 MHz, "
                    "tx_power: 23}}\n",
               OFF_EINVAL, "23}",
               "tx_power: give a unit, such as '23 dBm' or '200 mW'");
    EXPECT_ERR(HEAD "    uplink: {channel: {model: shannon, bandwidth: 1 MHz, "
                    "tx_power: 0 W}}\n",
               OFF_EINVAL, "0 W", "tx_power must be > 0, got 0 W");
    EXPECT_ERR(HEAD "    uplink: {channel: {model: shannon, bandwidth: 1 MHz, "
                    "noise_density: -174 dBm}}\n",
               OFF_EINVAL, "-174 dBm",
               "noise_density: expected a level in dBm/Hz such as "
               "'-174 dBm/Hz' (a bare number is in dBm/Hz), got '-174 dBm'");
    EXPECT_ERR(HEAD "    uplink: {channel: {model: shannon, bandwidth: 1 MHz, "
                    "noise_figure: -1 dB}}\n",
               OFF_EINVAL, "-1 dB",
               "noise_figure must be >= 0, got -1 dB");
    EXPECT_ERR(HEAD "    uplink: {channel: {model: shannon, bandwidth: 1 MHz,\n"
                    "      pathloss: {model: umi-los, frequency: 200 MHz, "
                    "distance: 100 m}}}\n",
               OFF_EINVAL, "200 MHz",
               "frequency: the 3GPP TR 38.901 umi-los model holds for 0.5 GHz "
               "to 100 GHz, got 200 MHz");
    EXPECT_ERR(HEAD "    uplink: {channel: {model: shannon, bandwidth: 1 MHz,\n"
                    "      pathloss: {model: free-space, frequency: 2 GHz, "
                    "distance: 0 m}}}\n",
               OFF_EINVAL, "0 m}", "distance must be > 0, got 0 m");
    EXPECT_ERR(HEAD "    uplink: {channel: {model: shannon, bandwidth: 1 MHz,\n"
                    "      pathloss: {model: gain, gain: -90 dB, shadowing: "
                    "-2 dB}}}\n",
               OFF_EINVAL, "-2 dB",
               "shadowing must be >= 0, got -2 dB");
    EXPECT_ERR(HEAD "    uplink: {channel: " SH ",\n"
                    "      fading: {model: block, k: -1}}}\n",
               OFF_EINVAL, "-1}", "k must be >= 0, got -1");
    EXPECT_ERR(HEAD "    uplink: {channel: " SH ",\n"
                    "      fading: {model: block, coherence: 5 ms, doppler: 5 Hz}}}\n",
               OFF_EINVAL, "5 Hz",
               "doppler only sets block fading's default coherence");
    EXPECT_ERR(HEAD "    uplink: {channel: " SH ",\n"
                    "      outage: {good: 1 s, bad: 0.5 ms}}}\n",
               OFF_EINVAL, "0.5 ms",
               "bad must be at least the slot (0.001 s", "got 0.5 ms");
    EXPECT_ERR(HEAD "    uplink: {channel: " SH ",\n"
                    "      outage: {good: 1 s, bad: 1 s, factor: 2}}}\n",
               OFF_EINVAL, "2}",
               "factor must be between 0 and 1");
    EXPECT_ERR(HEAD "    uplink: {channel: " SH ",\n"
                    "      outage: true}}\n",
               OFF_EINVAL, "true",
               "write the mapping {good, bad}");
    EXPECT_ERR(HEAD "    uplink: {channel: {model: trace, file: chan_trace.csv, "
                    "loop: maybe}}\n",
               OFF_EINVAL, "maybe",
               "loop: expected true or false, got 'maybe'");
    EXPECT_ERR(HEAD "    downlink: {channel: " SH ", shared: true}}\n",
               OFF_EINVAL, "true",
               "channel of downlink of device 'phone': only uplinks can share "
               "a cell");
    EXPECT_ERR(HEAD "    uplink: {channel: shannon}\n", OFF_EINVAL,
               "shannon}",
               "channel of uplink of device 'phone': expected a mapping (keys: "
               "model, bandwidth");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_channel_loads_every_value),
        cmocka_unit_test(test_defaults_follow_scn_h),
        cmocka_unit_test(test_tx_power_units_convert_to_dbm),
        cmocka_unit_test(test_override_reaches_channel_keys),
        cmocka_unit_test(test_unknown_keys_and_choices_suggest),
        cmocka_unit_test(test_keys_of_another_model_name_the_model),
        cmocka_unit_test(test_rate_and_channel_exclude_each_other),
        cmocka_unit_test(test_required_keys),
        cmocka_unit_test(test_values_out_of_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
