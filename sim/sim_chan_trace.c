/* sim_chan_trace.c - throughput traces: "time_s,throughput_bps" CSV files
 * (format in sim_chan.h, rows read by the configuration layer's CSV
 * reader), replayed held or looped. */
#include "sim_chan.h"

#include "cfg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static off_status grow(sim_chan_trace *tr, size_t *cap, const char *name,
                       off_err *err)
{
    size_t nc = *cap ? 2 * *cap : 256;
    double *t = realloc(tr->t_s, nc * sizeof *t);
    if (t)
        tr->t_s = t;
    double *r = t ? realloc(tr->rate_bps, nc * sizeof *r) : NULL;
    if (!r)
        return off_errf(err, OFF_ENOMEM, name, 0, 0, "out of memory");
    tr->rate_bps = r;
    *cap = nc;
    return OFF_OK;
}

off_status sim_chan_trace_parse(sim_chan_trace *tr, const char *text, size_t len,
                                const char *name, bool loop, off_err *err)
{
    *tr = (sim_chan_trace){0};
    size_t cap = 0;
    off_status st = OFF_OK;
    bool seen_row = false; /* a header or a data row */
    char sa[48], sb[48];
    cfg_csv rd;
    cfg_row row;
    cfg_csv_init(&rd, text, len, name, "CSV rows \"time_s,throughput_bps\"");
    const cfg_field *f = row.f;
    while (!st && !(st = cfg_csv_next(&rd, &row, err)) && row.n) {
        int line = row.line;
        double t, r;
        if (!seen_row && !cfg_field_num(&f[0], &t)) {
            seen_row = true; /* the header */
            continue;
        }
        seen_row = true;
        if (row.n != 2) {
            st = off_errf(err, OFF_EPARSE, name, line, row.col,
                          "expected 2 fields \"time_s,throughput_bps\", got %zu", row.n);
            break;
        }
        if (!cfg_field_num(&f[0], &t)) {
            st = off_errf(err, OFF_EPARSE, name, line, f[0].col,
                          "time '%s' is not a number (seconds)",
                          cfg_field_str(&f[0], sa, sizeof sa));
            break;
        }
        if (!cfg_field_num(&f[1], &r)) {
            st = off_errf(err, OFF_EPARSE, name, line, f[1].col,
                          "throughput '%s' is not a number (bit/s)",
                          cfg_field_str(&f[1], sa, sizeof sa));
            break;
        }
        if (tr->n && !(t > tr->t_s[tr->n - 1])) {
            st = off_errf(err, OFF_EINVAL, name, line, f[0].col,
                          "times must strictly increase (%s after %.17g)",
                          cfg_field_str(&f[0], sa, sizeof sa), tr->t_s[tr->n - 1]);
            break;
        }
        if (r < 0) {
            st = off_errf(err, OFF_EINVAL, name, line, f[1].col,
                          "throughput must be >= 0 bit/s, got %s",
                          cfg_field_str(&f[1], sb, sizeof sb));
            break;
        }
        if (tr->n == cap && (st = grow(tr, &cap, name, err)))
            break;
        tr->t_s[tr->n] = t;
        tr->rate_bps[tr->n] = r;
        tr->n++;
    }
    if (!st && tr->n == 0)
        st = off_errf(err, OFF_EINVAL, name, 0, 0,
                      "empty trace: no \"time_s,throughput_bps\" rows");
    if (!st && loop && tr->n < 2)
        st = off_errf(err, OFF_EINVAL, name, 0, 0,
                      "a looped trace needs at least 2 rows (the last row lasts "
                      "as long as the one before it)");
    /* times relative to the first row; rows at least a microsecond apart:
     * closer rows mean nothing for a throughput, and a looped trace of a
     * vanishing period would count more loop cycles than an int64 holds */
    for (size_t i = tr->n; !st && i-- > 0;)
        tr->t_s[i] -= tr->t_s[0];
    for (size_t i = 1; !st && i < tr->n; i++)
        if (!(tr->t_s[i] - tr->t_s[i - 1] >= 1e-6))
            st = off_errf(err, OFF_EINVAL, name, 0, 0,
                          "rows %zu and %zu are less than 1 us apart once the trace "
                          "starts at 0", i, i + 1);
    if (st) {
        sim_chan_trace_free(tr);
        return st;
    }
    tr->loop = loop;
    tr->period_s = loop ? 2.0 * tr->t_s[tr->n - 1] - tr->t_s[tr->n - 2] : INFINITY;
    tr->hint = 0;
    return OFF_OK;
}

off_status sim_chan_trace_load(sim_chan_trace *tr, const char *path, bool loop,
                               off_err *err)
{
    *tr = (sim_chan_trace){0};
    char *buf;
    size_t len;
    off_status st = off_read_file(path, &buf, &len, err); /* names the path */
    if (st)
        return st;
    st = sim_chan_trace_parse(tr, buf, len, path, loop, err);
    free(buf);
    return st;
}

void sim_chan_trace_free(sim_chan_trace *tr)
{
    if (!tr)
        return;
    free(tr->t_s);
    free(tr->rate_bps);
    *tr = (sim_chan_trace){0};
}

/* Largest i with t_s[i] <= tau (tau >= 0 = t_s[0]): the hint, the row
 * after it, else binary search. */
static size_t find_row(sim_chan_trace *tr, double tau)
{
    size_t n = tr->n, h = tr->hint < n ? tr->hint : 0;
    for (size_t i = h; i < h + 2 && i < n; i++)
        if (tr->t_s[i] <= tau && (i + 1 == n || tau < tr->t_s[i + 1]))
            return i;
    size_t lo = 0, hi = n; /* t_s[lo] <= tau < t_s[hi] (t_s[n] = +inf) */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tr->t_s[mid] <= tau)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

double sim_chan_trace_rate(sim_chan_trace *tr, double t_s, double *next_s)
{
    if (!(t_s > 0))
        t_s = 0;
    int64_t c = 0; /* loop cycle: block_start(c) <= t < block_start(c + 1) */
    double base = 0, tau = t_s;
    if (tr->loop) {
        c = sim_chan_block_index(t_s, tr->period_s);
        base = sim_chan_block_start(c, tr->period_s);
        tau = t_s - base;
    }
    size_t i = find_row(tr, tau);
    double next;
    for (;;) { /* rounding in base + t_i may put a boundary at or before t */
        if (i + 1 < tr->n)
            next = base + tr->t_s[i + 1];
        else
            next = tr->loop ? sim_chan_block_start(c + 1, tr->period_s) : INFINITY;
        if (next > t_s)
            break;
        if (++i == tr->n) {
            i = 0;
            base = sim_chan_block_start(++c, tr->period_s);
        }
    }
    tr->hint = i;
    if (next_s)
        *next_s = next;
    return tr->rate_bps[i];
}
