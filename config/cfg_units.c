/* cfg_units.c - numbers with units: "5 ms", "20Mbps", "23 dBm", "90 %".
 *
 * A quantity is a decimal number (or "inf"/"infinity"), optional blanks,
 * and an optional unit of the expected dimension; the value is converted to
 * the dimension's SI base.  Units are case-sensitive ("ms" is not "Ms"),
 * but the did-you-mean suggestion ignores case so "mbps" points to "Mbps".
 * Scenarios, hardware profiles and model files share this one grammar.
 * See cfg.h and docs/scenario-reference.md for the tables. */
#include "cfg.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum unit_kind { U_LINEAR, U_DBM, U_DBW } unit_kind;

typedef struct unit {
    const char *name;
    double factor;  /* to the SI base (U_LINEAR) */
    unit_kind kind;
    bool hidden;    /* accepted alias, not listed in messages */
} unit;

typedef struct dim_info {
    const char *noun;    /* "a duration"                   */
    const char *example; /* "5 ms"                         */
    const unit *units;   /* terminated by a NULL name      */
    double per;          /* the base is the units' base / per (a byte rate
                            reads the bit-rate units, per = 8); 0 = 1   */
} dim_info;

#define LIN(n, f) {n, f, U_LINEAR, false}
#define ALIAS(n, f) {n, f, U_LINEAR, true}
#define END {NULL, 0, U_LINEAR, false}

static const unit u_none[] = {LIN("%", 0.01), END};
static const unit u_time[] = {
    LIN("ns", 1e-9), LIN("us", 1e-6), LIN("ms", 1e-3), LIN("s", 1),
    LIN("min", 60),  LIN("h", 3600),  ALIAS("\xc2\xb5s", 1e-6),
    ALIAS("sec", 1), END};
static const unit u_rate[] = {
    LIN("bps", 1),      LIN("kbps", 1e3),    LIN("Mbps", 1e6),
    LIN("Gbps", 1e9),   LIN("B/s", 8),       LIN("kB/s", 8e3),
    LIN("MB/s", 8e6),   ALIAS("GB/s", 8e9),  ALIAS("KB/s", 8e3),
    ALIAS("Kbps", 1e3), ALIAS("bit/s", 1),   ALIAS("kbit/s", 1e3),
    ALIAS("Mbit/s", 1e6), ALIAS("Gbit/s", 1e9), ALIAS("TB/s", 8e12),
    ALIAS("Tbps", 1e12), END};
static const unit u_freq[] = {LIN("Hz", 1), LIN("kHz", 1e3), LIN("MHz", 1e6),
                              LIN("GHz", 1e9), ALIAS("KHz", 1e3), END};
static const unit u_power[] = {
    LIN("uW", 1e-6), LIN("mW", 1e-3), LIN("W", 1), LIN("kW", 1e3),
    {"dBm", 0, U_DBM, false}, {"dBW", 0, U_DBW, false},
    ALIAS("\xc2\xb5W", 1e-6), END};
static const unit u_energy[] = {
    LIN("uJ", 1e-6), LIN("mJ", 1e-3), LIN("J", 1), LIN("kJ", 1e3),
    LIN("Wh", 3600), LIN("mWh", 3.6), ALIAS("kWh", 3.6e6),
    ALIAS("\xc2\xb5J", 1e-6), END};
static const unit u_bytes[] = {
    LIN("b", 0.125),  LIN("B", 1),   LIN("kB", 1e3),  LIN("MB", 1e6),
    LIN("GB", 1e9),   LIN("KiB", 1024.0), LIN("MiB", 1048576.0),
    LIN("GiB", 1073741824.0), ALIAS("KB", 1e3), ALIAS("bit", 0.125),
    ALIAS("bits", 0.125), END};
static const unit u_work[] = {
    LIN("MAC", 1),  LIN("kMAC", 1e3), LIN("MMAC", 1e6), LIN("GMAC", 1e9),
    LIN("TMAC", 1e12), LIN("K", 1e3), LIN("M", 1e6),  LIN("G", 1e9),
    LIN("T", 1e12), ALIAS("k", 1e3),  ALIAS("KMAC", 1e3), END};
static const unit u_speed[] = {
    LIN("MAC/s", 1), LIN("kMAC/s", 1e3), LIN("MMAC/s", 1e6),
    LIN("GMAC/s", 1e9), LIN("TMAC/s", 1e12), ALIAS("KMAC/s", 1e3), END};
static const unit u_events[] = {
    LIN("/s", 1), LIN("/min", 1.0 / 60), LIN("/h", 1.0 / 3600),
    LIN("per s", 1), ALIAS("1/s", 1), ALIAS("per min", 1.0 / 60),
    ALIAS("per h", 1.0 / 3600), ALIAS("1/min", 1.0 / 60),
    ALIAS("1/h", 1.0 / 3600), ALIAS("Hz", 1), END};
static const unit u_length[] = {LIN("mm", 1e-3), LIN("cm", 1e-2), LIN("m", 1),
                                LIN("km", 1e3), END};
static const unit u_db[] = {LIN("dB", 1), END};
/* a MAC is two operations (a multiply and an add) */
static const unit u_ops[] = {
    LIN("op/s", 1),     LIN("kop/s", 1e3),    LIN("Mop/s", 1e6),
    LIN("Gop/s", 1e9),  LIN("Top/s", 1e12),   LIN("FLOP/s", 1),
    LIN("MFLOP/s", 1e6), LIN("GFLOP/s", 1e9), LIN("TFLOP/s", 1e12), END};
static const unit u_bytes_per_mac[] = {LIN("B/MAC", 1), END};

/* Indexed by cfg_dim; keep in the enum's order. */
static const dim_info dims[] = {
    [CFG_DIM_NONE] = {"a plain number", "0.9", u_none},
    [CFG_DIM_TIME] = {"a duration", "5 ms", u_time},
    [CFG_DIM_RATE] = {"a data rate", "20 Mbps", u_rate},
    [CFG_DIM_FREQ] = {"a frequency", "2.4 GHz", u_freq},
    [CFG_DIM_POWER] = {"a power", "1.5 W", u_power},
    [CFG_DIM_ENERGY] = {"an energy", "10 J", u_energy},
    [CFG_DIM_BYTES] = {"a size", "64 KiB", u_bytes},
    [CFG_DIM_WORK] = {"an amount of work", "3 GMAC", u_work},
    [CFG_DIM_SPEED] = {"a compute speed", "2 GMAC/s", u_speed},
    [CFG_DIM_HZ_EVENTS] = {"an event rate", "10 /s", u_events},
    [CFG_DIM_LENGTH] = {"a length", "100 m", u_length},
    [CFG_DIM_DB] = {"a level", "3 dB", u_db},
    [CFG_DIM_OPS] = {"an operation rate", "19.2 Gop/s", u_ops},
    [CFG_DIM_BYTE_RATE] = {"a bandwidth", "25.6 GB/s", u_rate, 8},
    [CFG_DIM_BYTES_PER_MAC] = {"bytes per MAC", "64 B/MAC", u_bytes_per_mac},
};
_Static_assert(OFF_COUNT(dims) == CFG_DIM_N,
               "one entry of dims per cfg_dim");
#define N_DIMS OFF_COUNT(dims)

const char *cfg_dim_noun(cfg_dim dim)
{
    return (size_t)dim < N_DIMS ? dims[dim].noun : "a value";
}

const char *cfg_dim_units(cfg_dim dim, char *buf, size_t cap)
{
    if (!cap)
        return buf;
    buf[0] = '\0';
    if ((size_t)dim >= N_DIMS)
        return buf;
    size_t len = 0;
    for (const unit *u = dims[dim].units; u->name; u++) {
        if (u->hidden)
            continue;
        int w = snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", u->name);
        if (w < 0 || (size_t)w >= cap - len)
            break;
        len += (size_t)w;
    }
    return buf;
}

int cfg_parse_u64(const char *text, uint64_t *out)
{
    const char *p = text;
    bool neg = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (!isdigit((unsigned char)*p))
        return 1;
    uint64_t v = 0;
    bool over = false;
    for (; isdigit((unsigned char)*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            over = true;
        else
            v = v * 10 + d;
    }
    if (*p)
        return 1;
    if (neg && v != 0)
        return 2;
    if (over)
        return 3;
    *out = v;
    return 0;
}

/* Scan the number at the start of s: [+-] (digits [. digits] | . digits)
 * [e [+-] digits] or [+-] inf|infinity.  Returns its length (0 if none)
 * and sets *inf for infinities. */
static size_t scan_number(const char *s, bool *inf)
{
    size_t i = 0;
    *inf = false;
    if (s[i] == '+' || s[i] == '-')
        i++;
    {
        static const char *const words[] = {"infinity", "inf"};
        for (size_t w = 0; w < 2; w++) {
            size_t n = strlen(words[w]), k = 0;
            while (k < n && s[i + k] &&
                   tolower((unsigned char)s[i + k]) == words[w][k])
                k++;
            /* a unit may follow only after a blank ("inf Mbps") */
            if (k == n && !isalpha((unsigned char)s[i + n])) {
                *inf = true;
                return i + n;
            }
        }
    }
    size_t digits = 0;
    while (isdigit((unsigned char)s[i])) {
        i++;
        digits++;
    }
    if (s[i] == '.') {
        i++;
        while (isdigit((unsigned char)s[i])) {
            i++;
            digits++;
        }
    }
    if (!digits)
        return 0;
    if (s[i] == 'e' || s[i] == 'E') {
        size_t j = i + 1;
        if (s[j] == '+' || s[j] == '-')
            j++;
        if (isdigit((unsigned char)s[j])) {
            while (isdigit((unsigned char)s[j]))
                j++;
            i = j;
        }
    }
    return i;
}

/* The unit named exactly name in units, or NULL. */
static const unit *find_unit(const unit *units, const char *name)
{
    for (const unit *u = units; u->name; u++)
        if (strcmp(u->name, name) == 0)
            return u;
    return NULL;
}

/* Closest listed unit of dim to word, ignoring case, or NULL. */
static const char *suggest_unit(cfg_dim dim, const char *word)
{
    char lw[64], lc[32][16];
    const char *cands[32];
    const unit *orig[32];
    size_t n = 0;
    snprintf(lw, sizeof lw, "%s", word);
    for (char *p = lw; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    for (const unit *u = dims[dim].units; u->name && n < 32; u++) {
        if (u->hidden)
            continue;
        snprintf(lc[n], sizeof lc[n], "%s", u->name);
        for (char *p = lc[n]; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        cands[n] = lc[n];
        orig[n] = u;
        n++;
    }
    const char *best = off_did_you_mean(lw, cands, n);
    if (!best)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (cands[i] == best)
            return orig[i]->name;
    return NULL;
}

off_status cfg_quantity(const char *text, cfg_dim dim, const char *what,
                        double *out, cfg_pos pos, off_err *err)
{
    char units[200], shown[80];
    const char *pre = what ? what : "", *sep = what ? ": " : "";
    if ((size_t)dim >= N_DIMS)
        return cfg_errp(err, OFF_EINVAL, pos, "%s%sunknown dimension %d", pre,
                        sep, (int)dim);
    const dim_info *di = &dims[dim];
    cfg_dim_units(dim, units, sizeof units);
    cfg_short(text, shown, sizeof shown);

    const char *s = text;
    while (*s == ' ' || *s == '\t')
        s++;
    bool inf;
    size_t nlen = scan_number(s, &inf);
    if (nlen == 0) {
        if (dim == CFG_DIM_NONE)
            return cfg_errp(err, OFF_EINVAL, pos,
                            "%s%sexpected a number such as '0.9' or '90 %%', "
                            "got '%s'", pre, sep, shown);
        return cfg_errp(err, OFF_EINVAL, pos,
                        "%s%sexpected %s such as '%s' (units: %s), got '%s'",
                        pre, sep, di->noun, di->example, units, shown);
    }
    double v;
    if (inf) {
        v = s[0] == '-' ? -INFINITY : INFINITY;
    } else {
        char num[64];
        if (nlen >= sizeof num)
            return cfg_errp(err, OFF_EINVAL, pos,
                            "%s%snumber too long: '%s'", pre, sep, shown);
        memcpy(num, s, nlen);
        num[nlen] = '\0';
        errno = 0;
        v = strtod(num, NULL);
        if (!isfinite(v) || (errno == ERANGE && fabs(v) > 1.0))
            return cfg_errp(err, OFF_EINVAL, pos,
                            "%s%snumber out of range: '%s'", pre, sep, shown);
    }

    /* the unit: the rest, blanks trimmed */
    const char *u0 = s + nlen;
    while (*u0 == ' ' || *u0 == '\t')
        u0++;
    size_t ulen = strlen(u0);
    while (ulen && (u0[ulen - 1] == ' ' || u0[ulen - 1] == '\t' ||
                    u0[ulen - 1] == '\r' || u0[ulen - 1] == '\n'))
        ulen--;
    if (ulen == 0) {
        *out = v;
        return OFF_OK;
    }
    char uname[64];
    if (ulen >= sizeof uname)
        ulen = sizeof uname - 1;
    memcpy(uname, u0, ulen);
    uname[ulen] = '\0';

    const unit *u = find_unit(di->units, uname);
    if (u) {
        switch (u->kind) {
        case U_LINEAR:
            v *= u->factor;
            if (di->per)
                v /= di->per;
            break;
        case U_DBM:
            v = pow(10.0, (v - 30.0) / 10.0);
            break;
        case U_DBW:
            v = pow(10.0, v / 10.0);
            break;
        }
        if (isnan(v) || (isinf(v) && !inf))
            return cfg_errp(err, OFF_EINVAL, pos,
                            "%s%snumber out of range: '%s'", pre, sep, shown);
        *out = v;
        return OFF_OK;
    }
    for (size_t d = 0; d < N_DIMS; d++) {
        if (d == (size_t)dim || d == CFG_DIM_NONE)
            continue;
        if (find_unit(dims[d].units, uname)) {
            if (dim == CFG_DIM_NONE)
                return cfg_errp(err, OFF_EINVAL, pos,
                                "%s%s'%s' is %s, expected a plain number "
                                "(no unit, or '%%')", pre, sep, shown,
                                dims[d].noun);
            return cfg_errp(err, OFF_EINVAL, pos,
                            "%s%s'%s' is %s, expected %s such as '%s' "
                            "(units: %s)", pre, sep, shown, dims[d].noun,
                            di->noun, di->example, units);
        }
    }
    char ushort[40];
    cfg_short(uname, ushort, sizeof ushort);
    if (dim == CFG_DIM_NONE)
        return cfg_errp(err, OFF_EINVAL, pos,
                        "%s%sunexpected unit '%s' in '%s': expected a plain "
                        "number (no unit, or '%%')", pre, sep, ushort, shown);
    const char *dym = suggest_unit(dim, uname);
    if (dym)
        return cfg_errp(err, OFF_EINVAL, pos,
                        "%s%sunknown unit '%s' for %s (did you mean '%s'?); "
                        "units: %s", pre, sep, ushort, di->noun, dym, units);
    return cfg_errp(err, OFF_EINVAL, pos,
                    "%s%sunknown unit '%s' for %s; units: %s", pre, sep, ushort,
                    di->noun, units);
}
