/* scn_trace.c - arrival trace files and path resolution.
 *
 * Format: text, one arrival time in seconds per line; blank lines and lines
 * starting with '#' are ignored; the first other line may be the header
 * "t" or "time_s"; a '#' starts a comment.  Times are finite, >= 0 and
 * non-decreasing.  Rows are read by the configuration layer's CSV reader.
 * Errors are "PATH:LINE: message".  See scn_int.h. */
#include "scn_int.h"

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

off_status scn_trace_load(const char *path, scn_pos at, double **times,
                          size_t *n, off_err *err)
{
    *times = NULL;
    *n = 0;
    char *buf;
    size_t len;
    off_status st = cfg_read_at(path, "trace file", at, &buf, &len, err);
    if (st)
        return st;
    double *t = NULL;
    size_t cnt = 0, cap = 0;
    bool first = true;
    char prev[64] = "", shown[64];
    cfg_csv rd;
    cfg_row row;
    cfg_csv_init(&rd, buf, len, path, "one arrival time in seconds per line");
    while (!(st = cfg_csv_next(&rd, &row, err)) && row.n) {
        cfg_field_str(&row.all, shown, sizeof shown);
        if (first && row.n == 1 &&
            (!strcmp(shown, "t") || !strcmp(shown, "time_s"))) {
            first = false;
            continue;
        }
        first = false;
        /* errors name the line only, as they always have */
        double v;
        if (row.n != 1 || !cfg_field_num(&row.f[0], &v)) {
            st = off_errf(err, OFF_EINVAL, path, row.line, 0,
                          "expected an arrival time in seconds (a finite "
                          "number), got '%s'", shown);
            break;
        }
        if (v < 0) {
            st = off_errf(err, OFF_EINVAL, path, row.line, 0,
                          "times must be >= 0, got %s", shown);
            break;
        }
        if (cnt && v < t[cnt - 1]) {
            st = off_errf(err, OFF_EINVAL, path, row.line, 0,
                          "times must not decrease (%s after %s)", shown, prev);
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
        snprintf(prev, sizeof prev, "%s", shown);
    }
    free(buf);
    if (st == OFF_EPARSE) { /* a NUL byte: bad contents, as any other */
        st = OFF_EINVAL;
        if (err)
            err->status = st;
    }
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
