/* cfg_csv.c - line/CSV tables (throughput, arrival and mobility traces):
 * rows of comma-separated fields with their positions, '#' comments,
 * blank lines and CRLF; strict decimal numbers.  See cfg.h. */
#include "cfg.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void cfg_csv_init(cfg_csv *r, const char *text, size_t len, const char *file,
                  const char *expect)
{
    *r = (cfg_csv){.text = text, .file = file, .len = len, .at = 0, .line = 0,
                   .expect = expect ? expect : "text rows"};
}

/* Split the row [s, e) of the line starting at b at commas into trimmed
 * fields. */
static void split(const char *b, const char *s, const char *e, cfg_row *row)
{
    row->n = 0;
    for (const char *p = s;;) {
        const char *c = p;
        while (c < e && *c != ',')
            c++;
        const char *fb = p, *fe = c;
        while (fb < fe && (*fb == ' ' || *fb == '\t'))
            fb++;
        while (fe > fb && (fe[-1] == ' ' || fe[-1] == '\t'))
            fe--;
        if (row->n < CFG_CSV_MAX_FIELDS)
            row->f[row->n] = (cfg_field){fb, fe, (int)(fb - b) + 1};
        row->n++;
        if (c == e)
            return;
        p = c + 1;
    }
}

off_status cfg_csv_next(cfg_csv *r, cfg_row *row, off_err *err)
{
    row->n = 0;
    while (r->at < r->len) {
        const char *b = r->text + r->at;
        const char *nl = memchr(b, '\n', r->len - r->at);
        const char *e = nl ? nl : r->text + r->len;
        r->at = (size_t)(e - r->text) + 1;
        r->line++;
        const char *z = memchr(b, '\0', (size_t)(e - b));
        if (z)
            return off_errf(err, OFF_EPARSE, r->file, r->line, (int)(z - b) + 1,
                            "NUL byte: not a text file (expected %s)", r->expect);
        const char *hash = memchr(b, '#', (size_t)(e - b));
        if (hash)
            e = hash;
        while (e > b && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
            e--;
        const char *s = b;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        if (s == e)
            continue;
        row->line = r->line;
        row->col = (int)(s - b) + 1;
        row->all = (cfg_field){s, e, row->col};
        split(b, s, e, row);
        return OFF_OK;
    }
    return OFF_OK;
}

bool cfg_field_num(const cfg_field *f, double *out)
{
    char buf[64];
    size_t n = (size_t)(f->e - f->b);
    if (n == 0 || n >= sizeof buf)
        return false;
    for (const char *p = f->b; p < f->e; p++)
        if (!(isdigit((unsigned char)*p) || *p == '.' || *p == '-' || *p == '+' ||
              *p == 'e' || *p == 'E'))
            return false;
    memcpy(buf, f->b, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (*end || end == buf || !isfinite(v) || (errno == ERANGE && fabs(v) > 1))
        return false;
    *out = v;
    return true;
}

const char *cfg_field_str(const cfg_field *f, char *buf, size_t cap)
{
    size_t n = (size_t)(f->e - f->b);
    char tmp[256];
    if (n >= sizeof tmp)
        n = sizeof tmp - 1;
    memcpy(tmp, f->b, n);
    tmp[n] = '\0';
    return cfg_short(tmp, buf, cap);
}

off_status cfg_read_at(const char *path, const char *noun, cfg_pos at,
                       char **buf, size_t *len, off_err *err)
{
    off_err ioerr;
    off_status st = off_read_file(path, buf, len, &ioerr);
    if (!st)
        return OFF_OK;
    /* ioerr.msg is "PATH: why"; keep the why */
    const char *why = ioerr.msg;
    size_t pl = strlen(path);
    if (!strncmp(why, path, pl) && !strncmp(why + pl, ": ", 2))
        why += pl + 2;
    return cfg_errp(err, st, at, "cannot read %s '%s': %s", noun, path, why);
}
