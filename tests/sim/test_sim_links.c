/*
 * test_sim_links.c - channels in the world (sim/sim_link.c):
 *   - a constant Shannon link sends at eta W log2(1 + SNR) from the link
 *     budget, exactly;
 *   - a block-fading link integrates each transfer over the blocks it spans,
 *     with the device's own channel stream (checked against an independent
 *     sim_chan_transfer_end on the same key);
 *   - two uploads that start together on a shared cell each take twice as
 *     long; the cell as a whole is an M/D/1 processor-sharing queue whose
 *     mean upload time is E[S] / (1 - rho) (within 2 %);
 *   - the throughput estimators (last, EWMA, harmonic mean of k) by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "sim_link.h"
#include "sim_rng.h"
#include "sim_test_util.h"

static double one_rate_bps(void) /* 1 MHz, 23 dBm, -100 dB, NF 9 dB */
{
    double snr_db = sim_chan_snr_db(23, -100, 1e6, SIM_CHAN_N0_DBM_HZ, SIM_CHAN_NF_UE_DB);
    return sim_chan_shannon_bps(1e6, sim_chan_db_to_lin(snr_db), 1.0);
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

static void test_shared_pair_and_block_fading(void **state)
{
    (void)state;
    rows k = {0};
    res_summary sum;
    run_scenario_file("tests/data/sim/cell_two.yaml", NULL, 0, keep, &k, &sum);
    assert_int_equal(k.n, 3);
    double S = 125000.0 * 8 / one_rate_bps();
    size_t shared = 0;
    for (size_t i = 0; i < k.n; i++) {
        const res_task_row *r = &k.r[i];
        if (r->device < 2) { /* ue[0], ue[1] (names die with the world) */
            printf("  ue[%d]: upload %.6f s, alone it would take %.6f s\n", r->device,
                   r->uplink_s, S);
            assert_true(fabs(r->uplink_s - 2 * S) < 1e-9);
            shared++;
            continue;
        }
        /* the faded device: its own CHANNEL stream gives the process key */
        gsl_rng *rng = sim_rng_stream(5, sim_rng_entity_key("device:faded#0"), SIM_RNG_CHANNEL);
        uint64_t key = sim_chan_key_from_rng(rng);
        gsl_rng_free(rng);
        sim_chan_fading f;
        sim_chan_fading_cfg fc = {SIM_CHAN_FADING_BLOCK, 0, 0.01, 0};
        off_err e;
        assert_int_equal(sim_chan_fading_init(&f, &fc, key, &e), OFF_OK);
        sim_chan_link l = {.model = SIM_CHAN_RATE_SHANNON, .ptx_dbm = 23, .gain_db = -100,
                           .bandwidth_hz = 1e6, .n0_dbm_hz = SIM_CHAN_N0_DBM_HZ,
                           .nf_db = SIM_CHAN_NF_UE_DB, .eta = 1.0, .fading = &f};
        double t_end;
        assert_int_equal(sim_chan_transfer_end(sim_chan_link_rate, &l, 1.0, 125000, &t_end, &e),
                         OFF_OK);
        printf("  faded: upload %.6f s (independent integration %.6f s, %.0f blocks; "
               "%.6f s at the mean SNR)\n", r->uplink_s, t_end - 1.0, (t_end - 1.0) / 0.01, S);
        assert_true(fabs(r->uplink_s - (t_end - 1.0)) < 1e-9);
        assert_true(fabs(r->uplink_s - S) > 1e-6); /* fading did change it */
    }
    assert_int_equal(shared, 2);
}

/* OFDMA: the two shared devices of cell_two.yaml on one subchannel
 * interfere (SINR = S / (S + N)); on two they do not, each with half the
 * band (and half the noise). */
static void test_ofdma_interference(void **state)
{
    (void)state;
    double S = sim_chan_db_to_lin(23 - 100);
    for (int K = 1; K <= 2; K++) {
        char set[64];
        snprintf(set, sizeof set, "devices.0.uplink.channel.subchannels=%d", K);
        const char *sets[] = {set};
        rows k = {0};
        res_summary sum;
        run_scenario_file("tests/data/sim/cell_two.yaml", sets, 1, keep, &k, &sum);
        double bw = 1e6 / K, N = sim_chan_db_to_lin(sim_chan_noise_dbm(bw, -174, 9));
        double rate = sim_chan_shannon_bps(bw, S / ((K == 1 ? S : 0) + N), 1.0);
        double want = 125000.0 * 8 / rate;
        for (size_t i = 0; i < k.n; i++)
            if (k.r[i].device < 2) {
                printf("  OFDMA, %d subchannel%s: upload %.6f s, by hand %.6f s\n", K,
                       K == 1 ? "" : "s", k.r[i].uplink_s, want);
                assert_true(fabs(k.r[i].uplink_s - want) < 1e-9);
            }
    }
}

typedef struct acc {
    double sum;
    size_t n;
} acc;

static void add_upload(void *ud, const res_task_row *r)
{
    acc *a = ud;
    if (r->t_arrival >= 100) {
        a->sum += r->uplink_s;
        a->n++;
    }
}

static void test_cell_is_processor_sharing(void **state)
{
    (void)state;
    acc a = {0};
    res_summary sum;
    run_scenario_file("tests/data/sim/cell_ps.yaml", NULL, 0, add_upload, &a, &sum);
    double S = 125000.0 * 8 / one_rate_bps(), lambda = 1000 * 0.00465, rho = lambda * S;
    double want = S / (1 - rho), got = a.sum / (double)a.n;
    printf("  M/D/1-PS cell: rho %.3f, E[S] %.4f s: analytic E[T] %.5f s, simulated %.5f s "
           "(%zu uploads, %+.2f %%)\n", rho, S, want, got, a.n, 100 * (got / want - 1));
    assert_true(a.n > 10000);
    assert_true(fabs(got / want - 1) < 0.02);
}

static void test_estimators(void **state)
{
    (void)state;
    scn_link cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.rate_bps = 1e6;
    sim_link l;
    memset(&l, 0, sizeof l);
    l.cfg = &cfg;
    l.est_bps = 1e6;
    /* samples of 1, 2, 4 Mbit/s: 1 Mbit in 1 s, 0.5 s, 0.25 s */
    const double dur[3] = {1.0, 0.5, 0.25};
    cfg.est.kind = SCN_EST_LAST;
    for (int i = 0; i < 3; i++)
        sim_link_observe(&l, 125000, dur[i]);
    assert_true(fabs(l.est_bps - 4e6) < 1e-6);
    memset(&l, 0, sizeof l);
    l.cfg = &cfg;
    cfg.est.kind = SCN_EST_EWMA;
    cfg.est.alpha = 0.5;
    for (int i = 0; i < 3; i++)
        sim_link_observe(&l, 125000, dur[i]);
    assert_true(fabs(l.est_bps - 2.75e6) < 1e-6); /* 1 -> 1.5 -> 2.75 */
    memset(&l, 0, sizeof l);
    l.cfg = &cfg;
    cfg.est.kind = SCN_EST_HARMONIC;
    cfg.est.k = 2;
    double hist[2]; /* sim_link_init allocates the window; by hand here */
    l.hist = hist;
    for (int i = 0; i < 3; i++)
        sim_link_observe(&l, 125000, dur[i]);
    assert_true(fabs(l.est_bps - 2.0 / (1 / 2e6 + 1 / 4e6)) < 1e-3); /* last two */
    sim_link_observe(&l, 125000, 0); /* nothing measured: no change */
    assert_true(fabs(l.est_bps - 2.0 / (1 / 2e6 + 1 / 4e6)) < 1e-3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_pair_and_block_fading),
        cmocka_unit_test(test_cell_is_processor_sharing),
        cmocka_unit_test(test_ofdma_interference),
        cmocka_unit_test(test_estimators),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
