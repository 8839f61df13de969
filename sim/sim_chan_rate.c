/* sim_chan_rate.c - SNR from a link budget, Shannon rate, MCS tables.
 * Equations and sources: sim_chan.h and docs/models-reference.md. */
#include "sim_chan.h"

#include <math.h>

double sim_chan_db_to_lin(double db)
{
    return pow(10.0, db / 10.0);
}

double sim_chan_lin_to_db(double lin)
{
    return 10.0 * log10(lin);
}

/* N = n0 + 10 log10(W) + NF, dBm. */
double sim_chan_noise_dbm(double bandwidth_hz, double n0_dbm_hz, double nf_db)
{
    return n0_dbm_hz + 10.0 * log10(bandwidth_hz) + nf_db;
}

/* SNR = Ptx + G - N, dB. */
double sim_chan_snr_db(double ptx_dbm, double gain_db, double bandwidth_hz,
                       double n0_dbm_hz, double nf_db)
{
    return ptx_dbm + gain_db - sim_chan_noise_dbm(bandwidth_hz, n0_dbm_hz, nf_db);
}

/* eta W log2(1 + SNR); a negative or NaN SNR (not a power ratio) gives 0. */
double sim_chan_shannon_bps(double bandwidth_hz, double snr_lin, double eta)
{
    if (!(snr_lin > 0.0))
        return 0.0;
    return eta * bandwidth_hz * log2(1.0 + snr_lin);
}

/* TS 38.214 Table 5.2.2.1-2, CQI 1..15: Qm, code rate x 1024, efficiency
 * as printed in the table. */
const sim_chan_cqi_row sim_chan_cqi_table1[15] = {
    {2, 78, 0.1523},  {2, 120, 0.2344}, {2, 193, 0.3770}, {2, 308, 0.6016},
    {2, 449, 0.8770}, {2, 602, 1.1758}, {4, 378, 1.4766}, {4, 490, 1.9141},
    {4, 616, 2.4063}, {6, 466, 2.7305}, {6, 567, 3.3223}, {6, 666, 3.9023},
    {6, 772, 4.5234}, {6, 873, 5.1152}, {6, 948, 5.5547},
};

off_status sim_chan_mcs_init(sim_chan_mcs *m, const double *snr_db,
                             const double *eff_bps_hz, size_t n, off_err *err)
{
    if (n == 0 || n > SIM_CHAN_MCS_MAX)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "MCS table: %zu entries (expected 1 to %d)", n,
                        SIM_CHAN_MCS_MAX);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(snr_db[i]) || !isfinite(eff_bps_hz[i]) || !(eff_bps_hz[i] > 0))
            return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                            "MCS table entry %zu: threshold %g dB, efficiency %g "
                            "bit/s/Hz (expected finite values, efficiency > 0)",
                            i + 1, snr_db[i], eff_bps_hz[i]);
        if (i > 0 && !(snr_db[i] > snr_db[i - 1]))
            return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                            "MCS table entry %zu: threshold %g dB is not above "
                            "the previous one (%g dB)", i + 1, snr_db[i],
                            snr_db[i - 1]);
        if (i > 0 && eff_bps_hz[i] < eff_bps_hz[i - 1])
            return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                            "MCS table entry %zu: efficiency %g bit/s/Hz is below "
                            "the previous one (%g)", i + 1, eff_bps_hz[i],
                            eff_bps_hz[i - 1]);
    }
    m->n = n;
    for (size_t i = 0; i < n; i++) {
        m->snr_db[i] = snr_db[i];
        m->eff_bps_hz[i] = eff_bps_hz[i];
    }
    return OFF_OK;
}

/* Gamma = -ln(5 BER) / 1.5 (Goldsmith & Chua 1997). */
double sim_chan_gap_lin(double ber)
{
    if (!(ber > 0.0 && ber < 0.2))
        return NAN;
    return -log(5.0 * ber) / 1.5;
}

/* snr_db[i] = 10 log10(Gamma (2^eff_i - 1)). */
off_status sim_chan_mcs_cqi1_gap(sim_chan_mcs *m, double ber, off_err *err)
{
    double gap = sim_chan_gap_lin(ber);
    if (isnan(gap))
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "SNR-gap BER target %g (expected 0 < BER < 0.2)", ber);
    double snr[15], eff[15];
    for (size_t i = 0; i < 15; i++) {
        eff[i] = sim_chan_cqi_table1[i].eff_bps_hz;
        snr[i] = sim_chan_lin_to_db(gap * (exp2(eff[i]) - 1.0));
    }
    return sim_chan_mcs_init(m, snr, eff, 15, err);
}

/* Highest i with snr_db[i] <= snr by binary search; -1 below or for NaN. */
int sim_chan_mcs_index(const sim_chan_mcs *m, double snr_db)
{
    if (m->n == 0 || !(snr_db >= m->snr_db[0]))
        return -1;
    size_t lo = 0, hi = m->n; /* invariant: snr_db[lo] <= snr < snr_db[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->snr_db[mid] <= snr_db)
            lo = mid;
        else
            hi = mid;
    }
    return (int)lo;
}

double sim_chan_mcs_rate_bps(const sim_chan_mcs *m, double bandwidth_hz,
                             double snr_db, double eta)
{
    int i = sim_chan_mcs_index(m, snr_db);
    return i < 0 ? 0.0 : eta * bandwidth_hz * m->eff_bps_hz[i];
}
