/*
 * sim_chan.h - channel models: path loss, shadowing, small-scale fading,
 * Gilbert-Elliott outages, throughput traces, link rate (Shannon or MCS
 * table) and the finishing time of a transfer over a time-varying rate.
 *
 * Pure functions and small state machines.  Nothing here knows scenarios,
 * devices or the event engine; nothing allocates per evaluation (only
 * sim_chan_trace_load/_parse allocate, once).  Units are in the names:
 * _db, _dbm, _hz, _m, _s, _bps; "gain" is a linear power ratio unless it
 * ends in _db.  Every model, its equation, parameters, defaults and source
 * are listed in docs/models-reference.md ("Channels").
 *
 * Randomness and common random numbers.  Independent draws
 * (sim_chan_rayleigh_gain, sim_chan_shadow_db, ...) take the caller's
 * gsl_rng (a sim_rng stream).  The processes that evolve over time (block
 * and Gauss-Markov fading, Gilbert-Elliott) instead take a 64-bit key,
 * normally drawn once from the caller's stream with sim_chan_key_from_rng
 * (or the stream's seed, sim_rng_seed): the value of block k is a pure
 * function of (key, k), computed with the splitmix64 generator addressed
 * by a counter (sim_chan_u01).  So a realisation does not depend on when,
 * how often or in which order it is asked for: two policies that look at
 * the channel at different times see the same channel, and the draws of
 * one process never shift another's.  Sequential processes (Gauss-Markov,
 * Gilbert-Elliott) step through every block between two queries, so their
 * cost is proportional to simulated time / block length over a whole run,
 * whatever the queries; asking for an earlier block than the last one
 * restarts from block 0 (correct, O(k); meant to be rare).
 *
 * Time is double seconds >= 0.  Block k of length T covers [k T, (k+1) T),
 * with boundaries computed as k * T (sim_chan_block_index).
 */
#ifndef SIM_CHAN_H
#define SIM_CHAN_H

#include <gsl/gsl_rng.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "off.h"

/* ------------------------------------------------------------------------ */
/* Constants and defaults                                                   */
/* ------------------------------------------------------------------------ */

#define SIM_CHAN_C_MPS 299792458.0    /* speed of light (Friis, Doppler)      */
#define SIM_CHAN_N0_DBM_HZ (-174.0)   /* thermal noise density kT at 290 K    */
#define SIM_CHAN_NF_UE_DB 9.0         /* UE receiver noise figure, TR 36.814 A */
#define SIM_CHAN_NF_BS_DB 5.0         /* BS receiver noise figure, TR 36.814 A */
#define SIM_CHAN_GAP_BER 5e-5         /* BER target of the SNR-gap CQI map    */

/* ------------------------------------------------------------------------ */
/* Units, SNR and rate                        (sim_chan_rate.c)              */
/* ------------------------------------------------------------------------ */

double sim_chan_db_to_lin(double db);   /* 10^(db/10)                     */
double sim_chan_lin_to_db(double lin);  /* 10 log10(lin); -inf at 0       */

/* Noise power over the band, dBm:
 *   N = n0_dbm_hz + 10 log10(bandwidth_hz) + nf_db. */
double sim_chan_noise_dbm(double bandwidth_hz, double n0_dbm_hz, double nf_db);

/* Received SNR, dB:  SNR = ptx_dbm + gain_db - N, where gain_db is the
 * whole link gain (antenna gains - path loss - shadowing + 10 log10 of the
 * fading power gain) and N is sim_chan_noise_dbm. */
double sim_chan_snr_db(double ptx_dbm, double gain_db, double bandwidth_hz,
                       double n0_dbm_hz, double nf_db);

/* Shannon rate with an efficiency factor, bit/s (Shannon 1948):
 *   rate = eta * W * log2(1 + snr_lin),  0 < eta <= 1 (1 = capacity;
 *   TR 36.942 A.2 models LTE with an attenuated bound, eta = 0.6).
 * snr_lin < 0 or NaN gives 0. */
double sim_chan_shannon_bps(double bandwidth_hz, double snr_lin, double eta);

/* One row of the 4-bit CQI table 1 of 3GPP TS 38.214 Table 5.2.2.1-2
 * (identical to TS 36.213 Table 7.2.3-1): modulation order Qm, code rate
 * x 1024 and spectral efficiency (bit/s/Hz, as printed: Qm R / 1024 to 4
 * decimals). */
typedef struct sim_chan_cqi_row {
    int qm;
    int rate_x1024;
    double eff_bps_hz;
} sim_chan_cqi_row;

/* CQI 1..15 at indices 0..14 (CQI 0 = "out of range" is not a row). */
extern const sim_chan_cqi_row sim_chan_cqi_table1[15];

/* An MCS table: entry i is usable at SNR >= snr_db[i] and gives
 * eff_bps_hz[i].  Thresholds strictly increase, efficiencies are > 0 and
 * non-decreasing.  Fixed capacity: no allocation. */
#define SIM_CHAN_MCS_MAX 32
typedef struct sim_chan_mcs {
    size_t n;
    double snr_db[SIM_CHAN_MCS_MAX];
    double eff_bps_hz[SIM_CHAN_MCS_MAX];
} sim_chan_mcs;

/* Fill m from n thresholds and efficiencies (copied); OFF_EINVAL, with the
 * offending entry named, when n is 0 or > SIM_CHAN_MCS_MAX, a value is not
 * finite, thresholds do not strictly increase or efficiencies decrease. */
off_status sim_chan_mcs_init(sim_chan_mcs *m, const double *snr_db,
                             const double *eff_bps_hz, size_t n, off_err *err);

/* SNR gap of uncoded M-QAM at bit error rate ber (Goldsmith & Chua 1997:
 * BER <= 0.2 exp(-1.5 SNR / (M - 1))), linear:  Gamma = -ln(5 ber) / 1.5.
 * Valid for 0 < ber < 0.2 (NaN otherwise). */
double sim_chan_gap_lin(double ber);

/* CQI table 1 with thresholds by the SNR-gap mapping (as ns-3's LteAmc
 * "PiroEW2010" model, which picks the highest CQI with efficiency <=
 * log2(1 + SNR / Gamma)):
 *   snr_db[i] = 10 log10(Gamma (2^eff[i] - 1)),  Gamma = sim_chan_gap_lin(ber).
 * ber = SIM_CHAN_GAP_BER gives thresholds -2.11 dB (CQI 1) ... 24.05 dB
 * (CQI 15).  OFF_EINVAL if ber is outside (0, 0.2). */
off_status sim_chan_mcs_cqi1_gap(sim_chan_mcs *m, double ber, off_err *err);

/* Index of the highest entry with snr_db[i] <= snr_db, or -1 below the
 * first threshold (outage) or for NaN.  O(log n). */
int sim_chan_mcs_index(const sim_chan_mcs *m, double snr_db);

/* Rate from the table, bit/s:  rate = eta * W * eff[index], 0 in outage.
 * eta covers overheads (e.g. TS 38.306 OH = 0.14 for FR1 downlink gives
 * eta = 0.86); 1 = none. */
double sim_chan_mcs_rate_bps(const sim_chan_mcs *m, double bandwidth_hz,
                             double snr_db, double eta);

/* ------------------------------------------------------------------------ */
/* Path loss and shadowing                    (sim_chan_pathloss.c)          */
/* ------------------------------------------------------------------------ */

/* Free-space path loss (Friis 1946), dB, far field (d >> wavelength):
 *   FSPL = 20 log10(d) + 20 log10(f) + 20 log10(4 pi / c).
 * 1 km at 2.4 GHz = 100.05 dB. */
double sim_chan_fspl_db(double d_m, double f_hz);

/* Log-distance path loss, dB (Rappaport, Wireless Communications, 2nd ed.,
 * sec. 4.9.1):  PL(d) = pl0_db + 10 n log10(d / d0),  d >= d0; d < d0 gives
 * pl0_db.  pl0_db is usually sim_chan_fspl_db(d0, f). */
double sim_chan_logdist_db(double d_m, double d0_m, double pl0_db, double n);

/* 3GPP TR 38.901 (v17) Table 7.4.1-1 scenarios. */
typedef enum sim_chan_38901_scen {
    SIM_CHAN_38901_UMI = 1, /* urban micro, street canyon (h_BS 10 m) */
    SIM_CHAN_38901_UMA = 2, /* urban macro (h_BS 25 m)                */
} sim_chan_38901_scen;

typedef struct sim_chan_38901 {
    sim_chan_38901_scen scen;
    bool los;
    double fc_hz;  /* carrier frequency, 0.5 - 100 GHz                  */
    double h_bs_m; /* base-station antenna height                       */
    double h_ut_m; /* user antenna height, 1.5 - 22.5 m                 */
    double h_e_m;  /* effective environment height (1 m; see below)    */
} sim_chan_38901;

/* The TR's heights: h_BS 10 m (UMi) or 25 m (UMa), h_UT 1.5 m, h_E 1 m.
 * (For UMa with h_UT > 13 m the TR draws h_E at random; we keep 1 m unless
 * the caller sets h_e_m.) */
void sim_chan_38901_defaults(sim_chan_38901 *p, sim_chan_38901_scen scen,
                             bool los, double fc_hz);

/* OFF_EINVAL unless the scenario is known, 0.5 GHz <= fc <= 100 GHz,
 * 1.5 m <= h_UT <= 22.5 m, h_BS > h_E and h_UT > h_E. */
off_status sim_chan_38901_check(const sim_chan_38901 *p, off_err *err);

/* Breakpoint distance d'_BP = 4 h'_BS h'_UT f_c / c, h' = h - h_E, with
 * c = 3.0e8 m/s as in the TR. */
double sim_chan_38901_breakpoint_m(const sim_chan_38901 *p);

/* Path loss, dB, at 2D distance d2d_m (d_3D = sqrt(d_2D^2 + (h_BS-h_UT)^2),
 * f_c in GHz in the formulas):
 *   UMa LOS   PL1 = 28.0 + 22 log10(d3D) + 20 log10(fc)       10 m <= d2D <= d'BP
 *             PL2 = 28.0 + 40 log10(d3D) + 20 log10(fc)
 *                   - 9 log10(d'BP^2 + (hBS - hUT)^2)          d'BP <= d2D <= 5 km
 *   UMa NLOS  max(PL_UMa-LOS, 13.54 + 39.08 log10(d3D) + 20 log10(fc)
 *                             - 0.6 (hUT - 1.5))
 *   UMi LOS   PL1 = 32.4 + 21 log10(d3D) + 20 log10(fc)
 *             PL2 = 32.4 + 40 log10(d3D) + 20 log10(fc)
 *                   - 9.5 log10(d'BP^2 + (hBS - hUT)^2)
 *   UMi NLOS  max(PL_UMi-LOS, 35.3 log10(d3D) + 22.4 + 21.3 log10(fc)
 *                             - 0.3 (hUT - 1.5))
 * Outside 10 m <= d2D <= 5 km the formulas are extrapolated as they stand
 * (sim_chan_38901_in_range says whether d2d_m is inside). */
double sim_chan_38901_pl_db(const sim_chan_38901 *p, double d2d_m);
bool sim_chan_38901_in_range(double d2d_m);

/* Shadow-fading standard deviation, dB: UMa LOS 4, NLOS 6; UMi LOS 4,
 * NLOS 7.82 (Table 7.4.1-1). */
double sim_chan_38901_sigma_db(const sim_chan_38901 *p);

/* Shadow-fading decorrelation distance, m (Table 7.5-6 part 1): UMa LOS
 * 37, NLOS 50; UMi LOS 10, NLOS 13. */
double sim_chan_38901_sf_corr_m(const sim_chan_38901 *p);

/* LOS probability (Table 7.4.2-1), outdoor user:
 *   UMi  1 if d2D <= 18 m, else 18/d + exp(-d/36) (1 - 18/d)
 *   UMa  1 if d2D <= 18 m, else [18/d + exp(-d/63) (1 - 18/d)]
 *        * (1 + C'(hUT) 5/4 (d/100)^3 exp(-d/150)),
 *        C'(hUT) = 0 for hUT <= 13 m, ((hUT - 13)/10)^1.5 up to 23 m. */
double sim_chan_38901_los_prob(sim_chan_38901_scen scen, double d2d_m,
                               double h_ut_m);

/* Log-normal shadowing: one independent draw X ~ N(0, sigma_db^2), dB
 * (added to the path loss). */
double sim_chan_shadow_db(gsl_rng *r, double sigma_db);

/* Spatially correlated shadowing after moving moved_m (Gudmundson 1991,
 * exponential autocorrelation):
 *   X' = a X + sqrt(1 - a^2) sigma N(0, 1),  a = exp(-moved_m / corr_m). */
double sim_chan_shadow_next_db(gsl_rng *r, double prev_db, double sigma_db,
                               double moved_m, double corr_m);

/* Spatially correlated shadowing along a device's path (Gudmundson 1991,
 * exponential autocorrelation exp(-r / corr), as the 3GPP TR 38.901
 * section 7.6.3.1 spatial consistency of large-scale parameters): on the
 * grid s_k = k * step of distance travelled, step = corr / 16,
 *   X_0 = sigma z_0,  X_k = a X_{k-1} + sqrt(1 - a^2) sigma z_k,
 *   a = exp(-step / corr) = exp(-1/16),
 * held between grid points; z_k standard normal by Box-Muller from
 * sim_chan_u01(key', 2k) and (key', 2k + 1), key' = mix64(key ^ tag).  X at
 * a path length is a function of the key alone, however often and in
 * whatever order it is asked (an earlier length restarts from X_0). */
typedef struct sim_chan_shadow {
    uint64_t key;
    double sigma_db, corr_m, step_m, a, innov;
    int64_t k;                 /* the grid point of x_db                   */
    double x_db;
} sim_chan_shadow;

void sim_chan_shadow_init(sim_chan_shadow *p, double sigma_db, double corr_m, uint64_t key);
double sim_chan_shadow_at(sim_chan_shadow *p, double path_m);

/* ------------------------------------------------------------------------ */
/* Small-scale fading                         (sim_chan_fading.c)            */
/* ------------------------------------------------------------------------ */

/* Independent power gains (mean 1) from the caller's stream:
 *   Rayleigh  |h|^2 ~ Exp(1)                       (gsl_ran_exponential);
 *             with mean SNR g: P(SNR < x) = 1 - exp(-x/g), and
 *             E[log2(1 + g |h|^2)] = e^{1/g} E1(1/g) / ln 2 (Lee 1990)
 *   Rician    |h|^2, h = sqrt(K/(K+1)) + sqrt(1/(K+1)) CN(0, 1)
 *             (two gsl_ran_gaussian); variance (1 + 2K) / (1 + K)^2. */
double sim_chan_rayleigh_gain(gsl_rng *r);
double sim_chan_rician_gain(gsl_rng *r, double k_factor);

/* Maximum Doppler shift f_D = v f_c / c, Hz. */
double sim_chan_doppler_hz(double speed_mps, double fc_hz);

/* Coherence time T_c = 0.423 / f_D, s (Rappaport 2nd ed. sec. 5.4.3);
 * +inf at f_D = 0. */
double sim_chan_coherence_time_s(double doppler_hz);

/* Lag-T correlation of Clarke/Jakes fading, rho = J0(2 pi f_D T)
 * (gsl_sf_bessel_J0). */
double sim_chan_gm_rho(double doppler_hz, double period_s);

/* A 64-bit key for the processes below: two gsl_rng_get draws, mixed. */
uint64_t sim_chan_key_from_rng(gsl_rng *r);

/* Counter-addressed uniform in (0, 1]: output number ctr of splitmix64
 * seeded with key (Steele, Lea & Flood 2014), top 53 bits:
 *   u = ((mix64(key + ctr * 0x9e3779b97f4a7c15) >> 11) + 1) 2^-53. */
double sim_chan_u01(uint64_t key, uint64_t ctr);

/* Block of time t for blocks of length period_s: the k with
 * k T <= t < (k+1) T (boundaries computed as k * T, so that this agrees
 * with sim_chan_block_start exactly). */
int64_t sim_chan_block_index(double t_s, double period_s);
double sim_chan_block_start(int64_t k, double period_s); /* k * T */

typedef enum sim_chan_fading_kind {
    SIM_CHAN_FADING_NONE = 0,  /* gain 1                                    */
    SIM_CHAN_FADING_BLOCK,     /* i.i.d. per block of period_s (coherence)  */
    SIM_CHAN_FADING_GM,        /* Gauss-Markov, sampled every period_s      */
} sim_chan_fading_kind;

typedef struct sim_chan_fading_cfg {
    sim_chan_fading_kind kind;
    double k_factor; /* Rician K (linear), >= 0; 0 = Rayleigh               */
    double period_s; /* block length T > 0 (BLOCK: coherence time;
                        GM: sample period)                                 */
    double rho;      /* GM lag-1 correlation, |rho| <= 1 (sim_chan_gm_rho) */
} sim_chan_fading_cfg;

/* Block fading:  h_k = a + b z_k, z_k ~ CN(0,1) i.i.d., a = sqrt(K/(K+1)),
 * b = sqrt(1/(K+1)); z_k from sim_chan_u01(key', 2k) and (key', 2k+1) by
 * Box-Muller, so block k is random-access.
 * Gauss-Markov (first-order autoregressive; Baddour & Beaulieu 2005), with
 * rho = J0(2 pi f_D T) matching Clarke's autocorrelation at lag T:
 *   s_0 = z_0,  s_k = rho s_{k-1} + sqrt(1 - rho^2) z_k,  h_k = a + b s_k.
 * Power gain |h_k|^2, mean 1, constant over [k T, (k+1) T).  For Rayleigh
 * blocks (K = 0) sim_chan_fading_block_gain returns |z_k|^2 = -ln u, u =
 * sim_chan_u01(key', 2k), the Box-Muller radius squared: exactly Exp(1), and
 * the same realisation as the coefficient's (common random numbers hold),
 * without the sine and cosine; it equals |coef|^2 up to rounding.
 * key' = mix64(key ^ tag) with a tag per kind.  State is this struct. */
typedef struct sim_chan_fading {
    sim_chan_fading_cfg cfg;
    uint64_t key;
    double los_amp, nlos_amp, innov; /* a, b, sqrt(1 - rho^2)            */
    int64_t k;                        /* GM: block of (s_re, s_im)        */
    double s_re, s_im;
} sim_chan_fading;

/* OFF_EINVAL on a bad kind, K < 0, T <= 0 (unless NONE) or |rho| > 1. */
off_status sim_chan_fading_init(sim_chan_fading *f, const sim_chan_fading_cfg *cfg,
                                uint64_t key, off_err *err);

/* Complex coefficient h_k of block k >= 0 (1 + 0i for NONE). */
void sim_chan_fading_coef(sim_chan_fading *f, int64_t k, double *re, double *im);

/* Power gain |h_k|^2 of block k >= 0. */
double sim_chan_fading_block_gain(sim_chan_fading *f, int64_t k);

/* Power gain at time t >= 0; *next_s (may be NULL) receives the end of
 * its block (+inf for NONE). */
double sim_chan_fading_gain(sim_chan_fading *f, double t_s, double *next_s);

/* ------------------------------------------------------------------------ */
/* Gilbert-Elliott outages                    (sim_chan_ge.c)                */
/* ------------------------------------------------------------------------ */

/* Two-state Markov chain over slots of slot_s (Gilbert 1960, Elliott 1963):
 * good -> bad with probability p_gb per slot, bad -> good with p_bg.  The
 * rate is multiplied by 1 in the good state and by bad_mult (0 = outage)
 * in the bad state.  Stationary bad fraction p_gb / (p_gb + p_bg); mean
 * sojourns slot_s / p_gb (good) and slot_s / p_bg (bad). */
typedef struct sim_chan_ge_cfg {
    double slot_s;
    double p_gb, p_bg;
    double bad_mult;
} sim_chan_ge_cfg;

/* cfg from mean sojourn times: p_gb = slot_s / mean_good_s,
 * p_bg = slot_s / mean_bad_s; OFF_EINVAL if a mean is < slot_s. */
off_status sim_chan_ge_cfg_sojourn(sim_chan_ge_cfg *cfg, double slot_s,
                                   double mean_good_s, double mean_bad_s,
                                   double bad_mult, off_err *err);

double sim_chan_ge_bad_fraction(const sim_chan_ge_cfg *cfg);

/* The chain is generated by sojourns: slot 0 is bad with probability
 * p_gb / (p_gb + p_bg) (uniform number 0), and sojourn j lasts
 * 1 + floor(ln u / ln(1 - p)) slots (u = uniform number j + 1, p the
 * leaving probability), i.e. Geometric(p), which is exactly the per-slot
 * chain.  Queries cost O(1) per sojourn crossed. */
typedef struct sim_chan_ge {
    sim_chan_ge_cfg cfg;
    uint64_t key;
    uint64_t sojourn;   /* index j of the current sojourn              */
    int64_t start, end; /* its slots [start, end); end INT64_MAX = never */
    bool bad;
} sim_chan_ge;

/* OFF_EINVAL unless slot_s > 0, 0 <= p <= 1, p_gb + p_bg > 0 and
 * 0 <= bad_mult <= 1. */
off_status sim_chan_ge_init(sim_chan_ge *g, const sim_chan_ge_cfg *cfg,
                            uint64_t key, off_err *err);

/* State of slot k >= 0; *end_slot (may be NULL) receives the first slot
 * after the current sojourn (INT64_MAX if it never ends). */
bool sim_chan_ge_bad_slot(sim_chan_ge *g, int64_t k, int64_t *end_slot);

/* Rate multiplier at time t >= 0 (1 or bad_mult); *next_s (may be NULL)
 * receives the end of the current sojourn (+inf if it never ends). */
double sim_chan_ge_mult(sim_chan_ge *g, double t_s, double *next_s);

/* ------------------------------------------------------------------------ */
/* Throughput traces                          (sim_chan_trace.c)             */
/* ------------------------------------------------------------------------ */

/* A throughput trace: CSV text, one "time_s,throughput_bps" row per line.
 *   - '#' starts a comment (whole line or after the values); blank lines
 *     are skipped; CRLF is accepted;
 *   - the first row may be a header (any row whose first field is not a
 *     number), e.g. "time_s,throughput_bps";
 *   - times strictly increase; rates are finite and >= 0; decimal numbers
 *     only (no hex, inf, nan); exactly two fields.
 * The first row's time is the trace's origin (simulated time 0), so traces
 * with absolute timestamps replay from their start.  Row i's rate holds on
 * [t_i, t_{i+1}).  At the end the trace either holds its last rate for
 * ever or loops with period t_last - t_first + (t_last - t_{last-1}) (the
 * last row lasts as long as the one before it; looping needs two rows). */
typedef struct sim_chan_trace {
    double *t_s;      /* times relative to the first row, t_s[0] = 0 */
    double *rate_bps;
    size_t n;
    bool loop;
    double period_s;  /* loop period (+inf when holding)             */
    size_t hint;      /* last row found: amortized O(1) forward scans */
} sim_chan_trace;

/* Load path.  Errors: OFF_EIO naming the path when it cannot be read;
 * OFF_EPARSE "PATH:LINE:COL: ..." for malformed rows (a field that is not
 * a number, a wrong number of fields, NUL bytes); OFF_EINVAL "PATH:LINE:
 * ..." for well-formed rows with invalid values (time not increasing, a
 * negative or infinite rate) and for an empty trace or a one-row loop. */
off_status sim_chan_trace_load(sim_chan_trace *tr, const char *path, bool loop,
                               off_err *err);

/* The same from text[0..len) (need not be NUL-terminated); name is used
 * in the messages. */
off_status sim_chan_trace_parse(sim_chan_trace *tr, const char *text, size_t len,
                                const char *name, bool loop, off_err *err);

void sim_chan_trace_free(sim_chan_trace *tr); /* NULL-safe, idempotent */

/* Rate at t >= 0 (t < 0 reads as 0); *next_s (may be NULL) receives the
 * time of the next row boundary (+inf after the last row when holding).
 * O(1) when t moves forward by about a row, O(log n) otherwise. */
double sim_chan_trace_rate(sim_chan_trace *tr, double t_s, double *next_s);

/* ------------------------------------------------------------------------ */
/* Transfers over a piecewise-constant rate   (sim_chan_transfer.c)          */
/* ------------------------------------------------------------------------ */

/* A piecewise-constant rate process: the rate (bit/s, >= 0) that holds
 * from t_s until *next_s (> t_s, or +inf if it never changes). */
typedef double sim_chan_rate_fn(void *ud, double t_s, double *next_s);

/* Finishing time of a transfer of `bytes` bytes that starts at t0_s:
 * the t_end with  integral_{t0}^{t_end} rate(t) dt = 8 bytes,  integrated
 * block by block (the rate is asked again at every boundary, so a change
 * mid-transfer counts).  Blocks with rate 0 are waited out; +inf when the
 * rate stays 0 for ever.  OFF_EINVAL for a negative/non-finite size or
 * start; OFF_ERUNTIME if the callback returns a negative or NaN rate or a
 * boundary not after t (a bug in the callback). */
off_status sim_chan_transfer_end(sim_chan_rate_fn *rate, void *ud, double t0_s,
                                 double bytes, double *t_end_s, off_err *err);

/* Bits delivered over [t0_s, t1_s] (0 if t1 <= t0); same errors, and
 * OFF_EINVAL for a non-finite end. */
off_status sim_chan_transfer_bits(sim_chan_rate_fn *rate, void *ud, double t0_s,
                                  double t1_s, double *bits, off_err *err);

/* ------------------------------------------------------------------------ */
/* A link: the models above composed into one rate process (sim_chan_link.c) */
/* ------------------------------------------------------------------------ */

typedef enum sim_chan_rate_model {
    SIM_CHAN_RATE_SHANNON = 0, /* eta W log2(1 + SNR)                      */
    SIM_CHAN_RATE_MCS,         /* eta W eff(SNR) from mcs                  */
    SIM_CHAN_RATE_TRACE,       /* the trace's rate (SNR chain unused)      */
} sim_chan_rate_model;

/* rate(t) = mult_GE(t) * R(SNR(t)) with
 *   SNR(t) = ptx_dbm + gain_db + 10 log10 |h(t)|^2 - N(bandwidth, n0, nf)
 * or, for TRACE, rate(t) = mult_GE(t) * trace(t).  gain_db is the static
 * part (antenna gains - path loss - shadowing), set by the caller and
 * changed by it as devices move.  fading, ge, mcs, trace are borrowed
 * (NULL = absent; mcs needed for MCS, trace for TRACE).  The next boundary
 * is the earliest of the parts'.  Plain struct: fill the fields (and leave
 * the memo zeroed: sim_chan_link_rate keeps the mean SNR of the last budget
 * it saw there, recomputed whenever any of the five inputs changes). */
typedef struct sim_chan_link {
    sim_chan_rate_model model;
    double ptx_dbm, gain_db;
    double bandwidth_hz, n0_dbm_hz, nf_db;
    double eta;
    const sim_chan_mcs *mcs;
    sim_chan_trace *trace;
    sim_chan_fading *fading;
    sim_chan_ge *ge;
    /* memo (Shannon with fading): inputs, 10^(SNR_dB / 10) */
    bool snr_memo_ok;
    double snr_memo_in[5], snr_memo_lin;
} sim_chan_link;

/* A sim_chan_rate_fn over a sim_chan_link * (ud). */
double sim_chan_link_rate(void *link, double t_s, double *next_s);

#endif /* SIM_CHAN_H */
