/* scn_trace.c - arrival trace files and path resolution.
 *
 * Format: text, one arrival time in seconds per line; blank lines and lines
 * starting with '#' are ignored; the first other line may be the header
 * "t" or "time_s".  Times are finite, >= 0 and non-decreasing.  Errors are
 * "PATH:LINE: message".  See scn_int.h. */
#include "scn_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *scn_resolve_path(const char *base, const char *path)
{
    const char *slash = base ? strrchr(base, '/') : NULL;
    if (path[0] == '/' || !slash)
        return off_strdup(path);
    size_t dl = (size_t)(slash - base) + 1, pl = strlen(path);
    char *r = malloc(dl + pl + 1);
    if (!r)
        return NULL;
    memcpy(r, base, dl);
    memcpy(r + dl, path, pl + 1);
    return r;
}

/* Parse a whole string as a finite decimal number. */
static bool parse_time(const char *s, double *out)
{
    if (!*s || isspace((unsigned char)*s))
        return false;
    /* decimal only: no hex floats, no "nan"/"inf" */
    for (const char *p = s; *p; p++)
        if (!(isdigit((unsigned char)*p) || *p == '.' || *p == '-' ||
              *p == '+' || *p == 'e' || *p == 'E'))
            return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || end == s || !isfinite(v) || (errno == ERANGE && fabs(v) > 1))
        return false;
    *out = v;
    return true;
}

off_status scn_trace_load(const char *path, scn_pos at, double **times,
                          size_t *n, off_err *err)
{
    *times = NULL;
    *n = 0;
    char *buf;
    size_t len;
    off_err ioerr;
    if (off_read_file(path, &buf, &len, &ioerr) != OFF_OK) {
        /* ioerr.msg is "PATH: why"; keep the why */
        const char *why = ioerr.msg;
        size_t pl = strlen(path);
        if (!strncmp(why, path, pl) && !strncmp(why + pl, ": ", 2))
            why += pl + 2;
        return cfg_errp(err, ioerr.status, at,
                        "cannot read trace file '%s': %s", path, why);
    }
    if (memchr(buf, '\0', len)) {
        free(buf);
        return off_errf(err, OFF_EINVAL, path, 0, 0,
                        "not a text file (it contains NUL bytes); expected "
                        "one arrival time in seconds per line");
    }
    double *t = NULL;
    size_t cnt = 0, cap = 0;
    off_status st = OFF_OK;
    bool first = true;
    int line = 0;
    char prev[64] = "";
    char *save = buf;
    for (char *p = buf; p && !st; p = save) {
        char *nl = strchr(p, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        line++;
        /* trim blanks and a CR */
        while (*p == ' ' || *p == '\t')
            p++;
        size_t l = strlen(p);
        while (l && (p[l - 1] == ' ' || p[l - 1] == '\t' || p[l - 1] == '\r'))
            p[--l] = '\0';
        if (!l || p[0] == '#')
            continue;
        if (first && (!strcmp(p, "t") || !strcmp(p, "time_s"))) {
            first = false;
            continue;
        }
        first = false;
        char shown[64];
        double v;
        if (!parse_time(p, &v)) {
            st = off_errf(err, OFF_EINVAL, path, line, 0,
                          "expected an arrival time in seconds (a finite "
                          "number), got '%s'", cfg_short(p, shown, sizeof shown));
            break;
        }
        if (v < 0) {
            st = off_errf(err, OFF_EINVAL, path, line, 0,
                          "times must be >= 0, got %s",
                          cfg_short(p, shown, sizeof shown));
            break;
        }
        if (cnt && v < t[cnt - 1]) {
            st = off_errf(err, OFF_EINVAL, path, line, 0,
                          "times must not decrease (%s after %s)",
                          cfg_short(p, shown, sizeof shown), prev);
            break;
        }
        if (cnt == cap) {
            size_t nc = cap ? 2 * cap : 256;
            double *nt = realloc(t, nc * sizeof *nt);
            if (!nt) {
                st = off_errf(err, OFF_ENOMEM, path, 0, 0, "out of memory");
                break;
            }
            t = nt;
            cap = nc;
        }
        t[cnt++] = v;
        cfg_short(p, prev, sizeof prev);
    }
    free(buf);
    if (!st && cnt == 0)
        st = off_errf(err, OFF_EINVAL, path, 0, 0,
                      "empty trace: no arrival times (expected one time in "
                      "seconds per line)");
    if (st) {
        free(t);
        return st;
    }
    *times = t;
    *n = cnt;
    return OFF_OK;
}
