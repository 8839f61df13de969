/*
 * test_sim_mobility.c - device mobility and positions (sim/sim_mobility.c):
 *   - random waypoint stays in its area and moves at speeds in [vmin, vmax]
 *     (sampled every 0.1 s over an hour), and is a pure function of time
 *     (same seed, same path; asking for an earlier time replays it);
 *   - a trace is interpolated linearly and held at the end; a bad row is
 *     reported as FILE:LINE;
 *   - a device moving away (trace 10 m -> 100 m) takes longer to upload, by
 *     exactly the free-space link budget at each distance;
 *   - `server: nearest` picks the nearest server; with `handover` the device
 *     re-attaches to the nearest server as it moves (with a margin as
 *     hysteresis), its uplink's path loss and shared cell follow, tasks
 *     already offloaded finish where they were sent; loader errors;
 *   - a static position at the channel's distance gives the same tasks as
 *     no mobility at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_world.h"
#include "sim_rng.h"

/* ---- random waypoint ---------------------------------------------------- */

static void rwp_init(sim_mob *m, const scn_mobility *c, uint64_t seed)
{
    memset(m, 0, sizeof *m);
    scn_device d = {0};
    d.mobility = *c;
    d.name = "ue";
    scn_scenario s = {0};
    s.seed = seed;
    sim_world w = {0};
    w.scn = &s;
    sim_device dev = {0};
    dev.cfg = &d;
    off_err e;
    assert_int_equal(sim_mobility_init(&w, &dev, sim_rng_entity_key("device:ue#0"), &e),
                     OFF_OK);
    *m = *dev.mob;
    free(dev.mob);
    m->cfg = c; /* d dies here; c lives in the caller */
}

static void test_waypoint_area_speed_determinism(void **state)
{
    (void)state;
    scn_mobility c = {.model = SCN_MOB_WAYPOINT, .area_w_m = 200, .area_h_m = 50,
                      .vmin_mps = 1, .vmax_mps = 3, .pause_s = 2};
    sim_mob a, b;
    rwp_init(&a, &c, 7);
    rwp_init(&b, &c, 7);
    const double dt = 0.1;
    double px, py, vmin = INFINITY, vmax = 0, xs[100], ys[100];
    size_t moving = 0, paused = 0;
    assert_true(sim_mob_position(&a, 0, &px, &py));
    for (int i = 1; i <= 36000; i++) {
        double t = i * dt, x, y, bx, by;
        assert_true(sim_mob_position(&a, t, &x, &y));
        assert_true(x >= 0 && x <= 200 && y >= 0 && y <= 50);
        assert_true(sim_mob_position(&b, t, &bx, &by));
        assert_true(x == bx && y == by); /* same seed, same path */
        if (i % 360 == 0) {
            xs[i / 360 - 1] = x;
            ys[i / 360 - 1] = y;
        }
        double v = hypot(x - px, y - py) / dt;
        assert_true(v <= 3 * (1 + 1e-9));
        /* both samples inside the moving part of one leg: v in [vmin, vmax] */
        if (t - dt >= a.t0 && t <= a.t1) {
            assert_true(v >= 1 * (1 - 1e-9));
            vmin = fmin(vmin, v);
            vmax = fmax(vmax, v);
            moving++;
        } else if (v == 0) {
            paused++;
        }
        px = x;
        py = y;
    }
    printf("  waypoint: %zu moving samples, speeds %.3f..%.3f m/s, %zu paused\n", moving,
           vmin, vmax, paused);
    assert_true(moving > 10000 && paused > 100);
    /* back in time: the same positions again */
    for (int k = 0; k < 100; k++) {
        double x, y;
        assert_true(sim_mob_position(&a, (k + 1) * 36.0, &x, &y));
        assert_true(fabs(x - xs[k]) < 1e-9 && fabs(y - ys[k]) < 1e-9);
    }
    /* another seed, another path */
    sim_mob o;
    double x1, y1, x2, y2;
    rwp_init(&o, &c, 8);
    sim_mob_position(&o, 100, &x1, &y1);
    sim_mob_position(&a, 100, &x2, &y2);
    assert_true(x1 != x2 || y1 != y2);
    sim_mobility_free(&a);
    sim_mobility_free(&b);
    sim_mobility_free(&o);
}

/* ---- scenarios ------------------------------------------------------------ */

#define TRACE "/tmp/offsim_test_mobility_pos.csv"

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A device uploading 125 KB every `period` over a Shannon link with
 * free-space path loss (2.4 GHz, 1 MHz, 23 dBm, uplink NF 5 dB), full
 * offload; `chan` adds channel keys, `extra` completes the device
 * (mobility, server) and `servers` is the list. */
static void world_text(char *buf, size_t cap, const char *duration, const char *period,
                       const char *chan, const char *extra, const char *servers)
{
    snprintf(buf, cap,
             "name: mob\n"
             "seed: 3\n"
             "duration: %s\n"
             "model: {kind: synthetic, input: 125 KB, work: 1 kMAC}\n"
             "devices:\n"
             "  - name: ue\n"
             "    speed: 1 TMAC/s\n"
             "    arrivals: {process: periodic, period: %s, phase: 0 s}\n"
             "    uplink:\n"
             "      channel:\n"
             "        model: shannon\n"
             "        bandwidth: 1 MHz\n"
             "        tx_power: 23 dBm\n"
             "        pathloss: {model: free-space, frequency: 2.4 GHz, distance: 10 m}\n"
             "%s%s"
             "servers:\n%s"
             "policy: edge\n",
             duration, period, chan, extra, servers);
}

/* One upload every 10 s for 15 s. */
static void scenario(char *buf, size_t cap, const char *extra, const char *servers)
{
    world_text(buf, cap, "15 s", "10 s", "", extra, servers);
}

typedef struct rows {
    res_task_row r[16];
    size_t n;
} rows;

static void keep(void *ud, const res_task_row *r)
{
    rows *k = ud;
    if (k->n < 16)
        k->r[k->n++] = *r;
}

static uint64_t last_handovers; /* device 0's, of the last run_text */

static void run_text(const char *text, rows *k, size_t *server)
{
    scn_scenario s;
    off_err e = {0};
    if (scn_load_text(&s, "/tmp/mob.yaml", text, strlen(text), NULL, 0, &e) != OFF_OK)
        fail_msg("%s", e.msg);
    sim_world *w = NULL;
    res_summary sum;
    if (sim_world_new(&w, &s, &e) != OFF_OK)
        fail_msg("%s", e.msg);
    if (server)
        *server = w->dev[0].server;
    if (k && sim_world_run(w, NULL, 0, keep, k, &sum, &e) != OFF_OK)
        fail_msg("%s", e.msg);
    last_handovers = w->dev[0].mob ? w->dev[0].mob->n_handovers : 0;
    sim_world_free(w);
    scn_free(&s);
}

static double upload_s(double d_m) /* by hand: the link budget at d */
{
    double fspl = 20 * log10(d_m) + 20 * log10(2.4e9) + 20 * log10(4 * 3.14159265358979323846 / 299792458.0);
    double snr_db = 23 - fspl - (-174 + 60 + 5);
    return 125000.0 * 8 / (1e6 * log2(1 + pow(10, snr_db / 10)));
}

static void test_moving_away_uploads_longer(void **state)
{
    (void)state;
    write_file(TRACE, "time,x,y\n# walks away along x\n0,10,0\n10,100,0\n");
    char text[2048];
    scenario(text, sizeof text, "    mobility: {model: trace, file: " TRACE "}\n",
             "  - {name: edge, speed: 1 TMAC/s}\n");
    rows k = {0};
    run_text(text, &k, NULL);
    assert_int_equal(k.n, 2);
    double near = upload_s(10), far = upload_s(100);
    printf("  upload at 10 m: %.6f s (by hand %.6f), at 100 m: %.6f s (by hand %.6f)\n",
           k.r[0].uplink_s, near, k.r[1].uplink_s, far);
    assert_true(fabs(k.r[0].uplink_s - near) < 1e-9 * near);
    assert_true(fabs(k.r[1].uplink_s - far) < 1e-9 * far);
    assert_true(far > near);

    /* interpolation and holding: halfway at t = 5, held after the end */
    scn_scenario s;
    off_err e = {0};
    assert_int_equal(scn_load_text(&s, "/tmp/mob.yaml", text, strlen(text), NULL, 0, &e),
                     OFF_OK);
    sim_mob m = {.cfg = &s.devices[0].mobility};
    double x, y;
    assert_true(sim_mob_position(&m, 5, &x, &y) && fabs(x - 55) < 1e-12 && y == 0);
    assert_true(sim_mob_position(&m, 99, &x, &y) && x == 100);
    assert_true(sim_mob_position(&m, 2.5, &x, &y) && fabs(x - 32.5) < 1e-12);
    scn_free(&s);

    /* a bad row names the file and line */
    write_file(TRACE, "time,x,y\n0,10,0\n5,20\n");
    assert_int_not_equal(scn_load_text(&s, "/tmp/mob.yaml", text, strlen(text), NULL, 0, &e),
                         OFF_OK);
    printf("  %s\n", e.msg);
    assert_non_null(strstr(e.msg, TRACE ":3:"));
    write_file(TRACE, "0,10,0\n0,20,0\n");
    assert_int_not_equal(scn_load_text(&s, "/tmp/mob.yaml", text, strlen(text), NULL, 0, &e),
                         OFF_OK);
    assert_non_null(strstr(e.msg, TRACE ":2:"));
    remove(TRACE);
}

static void test_nearest_server(void **state)
{
    (void)state;
    const char *srv = "  - {name: a, speed: 1 TMAC/s, position: [0 m, 0 m]}\n"
                      "  - {name: b, speed: 1 TMAC/s, position: [100 m, 0]}\n"
                      "  - {name: c, speed: 1 TMAC/s, position: [50, 80]}\n";
    char text[2048];
    size_t j = 99;
    scenario(text, sizeof text,
             "    server: nearest\n    mobility: {model: static, position: [90, 10]}\n", srv);
    run_text(text, NULL, &j);
    assert_int_equal(j, 1);
    scenario(text, sizeof text,
             "    server: nearest\n    mobility: {model: static, position: [45, 60]}\n", srv);
    run_text(text, NULL, &j);
    assert_int_equal(j, 2);
    /* nearest without a position is an error at load */
    scenario(text, sizeof text, "    server: nearest\n", srv);
    scn_scenario s;
    off_err e = {0};
    assert_int_equal(scn_load_text(&s, "/tmp/mob.yaml", text, strlen(text), NULL, 0, &e),
                     OFF_EINVAL);
    printf("  %s\n", e.msg);
    assert_non_null(strstr(e.msg, "needs the device's position"));
}

/* A device walks from x = 10 m (t = 0) to 190 m (t = 9 s) between server
 * a at x = 0 and b at x = 200, one task a second (125 KB, full offload).
 * b is nearer from x > 100 m, i.e. from the task at 5 s (x = 110); with a
 * 50 m margin from x > 125 m (the task at 6 s, x = 130).  The upload
 * follows the distance to the current server: the task at 9 s (10 m from
 * b) uploads as fast as the one at 0 s (10 m from a); without handover it
 * is 190 m from a. */
static void handover_scenario(char *buf, size_t cap, const char *handover,
                              const char *shared)
{
    char extra[256];
    snprintf(extra, sizeof extra,
             "    server: nearest\n"
             "    mobility: {model: trace, file: " TRACE "}\n"
             "%s", handover);
    world_text(buf, cap, "9.5 s", "1 s", shared, extra,
               "  - {name: a, speed: 1 TMAC/s, position: [0, 0]}\n"
               "  - {name: b, speed: 1 TMAC/s, position: [200 m, 0]}\n");
}

static void check_handover(const char *handover, const char *shared, size_t first_b)
{
    char text[2048];
    rows k = {0};
    handover_scenario(text, sizeof text, handover, shared);
    run_text(text, &k, NULL);
    assert_int_equal(k.n, 10);
    printf("  %-24.*s %-14s servers:", handover[0] ? (int)strlen(handover) - 5 : 11,
           handover[0] ? handover + 4 : "no handover", shared[0] ? "(shared cell)" : "");
    for (size_t i = 0; i < k.n; i++)
        printf(" %d", k.r[i].server);
    printf("; upload at 0 s %.6f s, at 9 s %.6f s\n", k.r[0].uplink_s, k.r[9].uplink_s);
    for (size_t i = 0; i < k.n; i++) {
        assert_int_equal(k.r[i].task_id, (int64_t)i);
        assert_int_equal(k.r[i].server, i >= first_b ? 1 : 0);
        double x = 10 + 20.0 * (double)i, d = i >= first_b ? 200 - x : x;
        double want = upload_s(d);
        if (fabs(k.r[i].uplink_s - want) > 1e-9 * want)
            fail_msg("task %zu: upload %.9f s, by hand %.9f s at %g m", i, k.r[i].uplink_s,
                     want, d);
    }
    assert_int_equal(last_handovers, first_b < k.n ? 1 : 0); /* its devices row */
}

static void test_handover_follows_the_nearest_server(void **state)
{
    (void)state;
    write_file(TRACE, "time,x,y\n0,10,0\n9,190,0\n");
    check_handover("", "", 99);
    check_handover("    handover: true\n", "", 5);
    check_handover("    handover: {margin: 50 m}\n", "", 6);
    check_handover("    handover: true\n", "        shared: true\n", 5);
    { /* OFDMA: the uplink takes a subchannel of the new cell's plan */
        char text[2048];
        rows k = {0};
        handover_scenario(text, sizeof text, "    handover: true\n",
                          "        shared: true\n        subchannels: 2\n");
        run_text(text, &k, NULL);
        assert_int_equal(k.n, 10);
        for (size_t i = 0; i < k.n; i++)
            assert_int_equal(k.r[i].server, i >= 5 ? 1 : 0);
        /* alone on its subchannel in either cell: the same upload at 10 m */
        assert_true(fabs(k.r[9].uplink_s - k.r[0].uplink_s) < 1e-9 * k.r[0].uplink_s);
        assert_int_equal(last_handovers, 1);
    }

    /* an upload still to finish holds the device where it is: at 2 kbit/s
     * (fixed rate) each 125 KB upload takes 500 s, so every task after the
     * first queues behind it and goes to a, whatever the distance */
    char text[2048];
    rows k = {0};
    handover_scenario(text, sizeof text, "    handover: true\n", "");
    char *ch = strstr(text, "      channel:");
    assert_non_null(ch);
    char *end = strstr(ch, "    server:");
    memmove(ch + strlen("      rate: 2 kbps\n"), end, strlen(end) + 1);
    memcpy(ch, "      rate: 2 kbps\n", strlen("      rate: 2 kbps\n"));
    run_text(text, &k, NULL);
    assert_int_equal(k.n, 10);
    for (size_t i = 0; i < k.n; i++)
        assert_int_equal(k.r[i].server, 0);

    /* handover without `server: nearest`, and a bad margin, at load */
    const char *bad[][2] = {
        {"    handover: true\n", "needs `server: nearest`"},
        {"    handover: {margin: -1 m}\n", "margin must be >= 0"},
        {"    handover: {margin: 5 s}\n", "margin"},
        {"    handover: {hysteresis: 5 m}\n", "unknown key 'hysteresis'"},
        {"    handover: maybe\n", "handover"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        handover_scenario(text, sizeof text, bad[i][0], "");
        if (i == 0) { /* a named server instead of nearest */
            char *n = strstr(text, "server: nearest");
            memcpy(n, "server: a      ", 15);
        }
        scn_scenario s;
        off_err e = {0};
        assert_int_equal(scn_load_text(&s, "/tmp/ho.yaml", text, strlen(text), NULL, 0, &e),
                         OFF_EINVAL);
        printf("  %s\n", e.msg);
        assert_non_null(strstr(e.msg, bad[i][1]));
        assert_non_null(strstr(e.msg, "/tmp/ho.yaml:"));
    }
    remove(TRACE);
}

/* The shadowing implied by an upload of 125 KB in up_s at distance d_m
 * (the link budget of upload_s solved for the shadowing), dB. */
static double implied_shadow_db(double up_s, double d_m)
{
    double fspl = 20 * log10(d_m) + 20 * log10(2.4e9) +
                  20 * log10(4 * 3.14159265358979323846 / 299792458.0);
    double snr_db = 10 * log10(pow(2.0, 125000.0 * 8 / (1e6 * up_s)) - 1);
    return 23 - fspl - (-174 + 60 + 5) - snr_db;
}

/* Shadowing of 8 dB along a walk of 20 m/s (10 m -> 190 m in 9 s, towards
 * server a at 0 m): without `decorrelation` one draw for the whole run
 * (the implied shadowing is the same at every task); with 10 m it changes
 * along the path, and it is a function of the path alone: a run with a
 * task every 0.5 s (twice the evaluations) sees the same channel at the
 * whole seconds.  A static device keeps one value. */
static void test_correlated_shadowing_follows_the_path(void **state)
{
    (void)state;
    write_file(TRACE, "time,x,y\n0,10,0\n9,190,0\n");
    char text[2048], mod[2048];
    rows fixed = {0}, corr = {0}, dense = {0};
    handover_scenario(text, sizeof text, "", "");
    const char *pl = "pathloss: {model: free-space, frequency: 2.4 GHz, distance: 10 m}";
    char *at = strstr(text, pl);
    assert_non_null(at);
    /* one draw per run */
    snprintf(mod, sizeof mod, "%.*spathloss: {model: free-space, frequency: 2.4 GHz, "
             "distance: 10 m, shadowing: 8 dB}%s", (int)(at - text), text, at + strlen(pl));
    run_text(mod, &fixed, NULL);
    /* along the path */
    snprintf(mod, sizeof mod, "%.*spathloss: {model: free-space, frequency: 2.4 GHz, "
             "distance: 10 m, shadowing: 8 dB, decorrelation: 10 m}%s", (int)(at - text),
             text, at + strlen(pl));
    run_text(mod, &corr, NULL);
    char *per = strstr(mod, "period: 1 s");
    assert_non_null(per);
    memcpy(per, "period: .5s", 11);
    run_text(mod, &dense, NULL);
    assert_int_equal(fixed.n, 10);
    assert_int_equal(corr.n, 10);
    assert_true(dense.n == 16); /* rows kept: the first 16 of 19 */
    double lo = INFINITY, hi = -INFINITY;
    printf("  implied shadowing (dB) at x = 10, 30, ..., 190 m:\n    one draw:     ");
    for (size_t i = 0; i < 10; i++) {
        double x = 10 + 20.0 * (double)i;
        double f = implied_shadow_db(fixed.r[i].uplink_s, x);
        double c = implied_shadow_db(corr.r[i].uplink_s, x);
        printf(" %6.2f", f);
        assert_true(fabs(f - implied_shadow_db(fixed.r[0].uplink_s, 10)) < 1e-6);
        lo = fmin(lo, c);
        hi = fmax(hi, c);
        if (2 * i < dense.n) { /* the same instant in the denser run */
            assert_int_equal(dense.r[2 * i].t_arrival, corr.r[i].t_arrival);
            assert_true(dense.r[2 * i].uplink_s == corr.r[i].uplink_s);
        }
    }
    printf("\n    along path:   ");
    for (size_t i = 0; i < 10; i++)
        printf(" %6.2f", implied_shadow_db(corr.r[i].uplink_s, 10 + 20.0 * (double)i));
    printf("\n");
    assert_true(hi - lo > 3.0); /* 20 m apart = 2 decorrelation distances */

    /* a static device: the same value at every task (to rounding: the
     * transfers start at different times) */
    snprintf(text, sizeof text, "%s", mod);
    char *mob = strstr(text, "mobility: {model: trace");
    assert_non_null(mob);
    char *eol = strchr(mob, '\n');
    snprintf(mod, sizeof mod, "%.*smobility: {model: static, position: [30, 0]}%s",
             (int)(mob - text), text, eol);
    rows st = {0};
    run_text(mod, &st, NULL);
    assert_true(st.n >= 10);
    for (size_t i = 1; i < st.n; i++)
        if (fabs(st.r[i].uplink_s - st.r[0].uplink_s) > 1e-12 * st.r[0].uplink_s)
            fail_msg("static device: task %zu uploads in %.12g s, task 0 in %.12g s", i,
                     st.r[i].uplink_s, st.r[0].uplink_s);
    remove(TRACE);
}

static void test_static_default_identical(void **state)
{
    (void)state;
    char text[2048];
    rows a = {0}, b = {0};
    scenario(text, sizeof text, "", "  - {name: edge, speed: 1 TMAC/s}\n");
    run_text(text, &a, NULL);
    scenario(text, sizeof text, "    mobility: {model: static, position: [6 m, 8 m]}\n",
             "  - {name: edge, speed: 1 TMAC/s}\n");
    run_text(text, &b, NULL);
    assert_int_equal(a.n, 2);
    assert_int_equal(b.n, 2);
    for (size_t i = 0; i < a.n; i++) {
        assert_true(fabs(a.r[i].uplink_s - b.r[i].uplink_s) < 1e-12 * a.r[i].uplink_s);
        assert_true(a.r[i].t_done == b.r[i].t_done || fabs(a.r[i].t_done - b.r[i].t_done) <
                                                          1e-12 * a.r[i].t_done);
    }
    assert_true(fabs(a.r[0].uplink_s - upload_s(10)) < 1e-9 * upload_s(10));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_waypoint_area_speed_determinism),
        cmocka_unit_test(test_moving_away_uploads_longer),
        cmocka_unit_test(test_nearest_server),
        cmocka_unit_test(test_handover_follows_the_nearest_server),
        cmocka_unit_test(test_correlated_shadowing_follows_the_path),
        cmocka_unit_test(test_static_default_identical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
