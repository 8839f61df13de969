/* off.c - shared core: errors, hashes, small utilities.  See off.h. */
#define _POSIX_C_SOURCE 200809L
#include "off.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

off_status off_verrf(off_err *err, off_status st, const char *file, int line,
                     int col, const char *fmt, va_list ap)
{
    if (!err)
        return st;
    err->status = st;
    size_t n = 0, cap = sizeof err->msg;
    int w = 0;
    if (file && line > 0 && col > 0)
        w = snprintf(err->msg, cap, "%s:%d:%d: ", file, line, col);
    else if (file && line > 0)
        w = snprintf(err->msg, cap, "%s:%d: ", file, line);
    else if (file)
        w = snprintf(err->msg, cap, "%s: ", file);
    if (w > 0)
        n = (size_t)w < cap ? (size_t)w : cap - 1;
    vsnprintf(err->msg + n, cap - n, fmt, ap);
    return st;
}

off_status off_errf(off_err *err, off_status st, const char *file, int line,
                    int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    off_verrf(err, st, file, line, col, fmt, ap);
    va_end(ap);
    return st;
}

void off_err_clear(off_err *err)
{
    if (!err)
        return;
    err->status = OFF_OK;
    err->msg[0] = '\0';
}

int off_exit_code(off_status st)
{
    switch (st) {
    case OFF_OK:
        return 0;
    case OFF_EUSAGE:
    case OFF_EPARSE:
    case OFF_EINVAL:
        return 2;
    default:
        return 1;
    }
}

const char *off_status_str(off_status st)
{
    switch (st) {
    case OFF_OK: return "ok";
    case OFF_EUSAGE: return "usage error";
    case OFF_EPARSE: return "parse error";
    case OFF_EINVAL: return "invalid value";
    case OFF_ENOMEM: return "out of memory";
    case OFF_EIO: return "I/O error";
    case OFF_EDB: return "database error";
    case OFF_ERUNTIME: return "run-time error";
    }
    return "unknown error";
}

size_t off_edit_distance(const char *a, const char *b)
{
    /* Optimal string alignment distance: insertions, deletions,
     * substitutions and transpositions of adjacent characters cost 1, so
     * that "egde" is one edit from "edge". */
    size_t la = strlen(a), lb = strlen(b);
    if (la > 254 || lb > 254)
        return 255;
    size_t prev2[256], prev[256], cur[256];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = prev[j - 1] + cost;
            if (prev[j] + 1 < best) best = prev[j] + 1;
            if (cur[j - 1] + 1 < best) best = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            cur[j] = best;
        }
        memcpy(prev2, prev, (lb + 1) * sizeof *prev);
        memcpy(prev, cur, (lb + 1) * sizeof *prev);
    }
    return prev[lb] > 255 ? 255 : prev[lb];
}

const char *off_did_you_mean(const char *word, const char *const *candidates,
                             size_t n)
{
    size_t len = strlen(word);
    size_t limit = len / 3 > 1 ? len / 3 : 1;
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        size_t d = off_edit_distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best_d <= limit ? best : NULL;
}

uint64_t off_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t off_hash_bytes(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL ^ off_mix64(seed);
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return off_mix64(h);
}

char *off_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* "64M", "1G", "500000", "2 GiB": a byte count with an optional binary
 * suffix (k, M, G, T; "B" or "iB" after it ignored).  0 when malformed. */
static size_t parse_size(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno || *s == '-')
        return 0;
    while (*end == ' ')
        end++;
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case 't': case 'T': shift = 40; end++; break;
    default: break;
    }
    if (shift && *end == 'i')
        end++;
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end || v > (SIZE_MAX >> shift))
        return 0;
    return (size_t)(v << shift);
}

off_status off_input_limit(size_t *limit, off_err *err)
{
    const char *env = getenv(OFF_INPUT_LIMIT_ENV);
    *limit = OFF_INPUT_LIMIT_DEFAULT;
    if (!env || !*env)
        return OFF_OK;
    size_t v = parse_size(env);
    if (!v)
        return off_errf(err, OFF_EUSAGE, NULL, 0, 0,
                        "%s='%s': expected a size in bytes such as 64M or 2G",
                        OFF_INPUT_LIMIT_ENV, env);
    *limit = v;
    return OFF_OK;
}

/* The limit in a message: "64 MiB", "1000 bytes". */
static const char *size_str(size_t n, char *buf, size_t cap)
{
    static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB"};
    int u = -1;
    while (u < 3 && n >= 1024 && n % 1024 == 0) {
        n /= 1024;
        u++;
    }
    snprintf(buf, cap, "%zu %s", n, u < 0 ? "bytes" : unit[u]);
    return buf;
}

static off_status too_large(const char *path, size_t limit, off_err *err)
{
    char lim[32];
    return off_errf(err, OFF_EINVAL, path, 0, 0,
                    "larger than the input size limit of %s (set %s to raise it, "
                    "e.g. %s=1G)", size_str(limit, lim, sizeof lim),
                    OFF_INPUT_LIMIT_ENV, OFF_INPUT_LIMIT_ENV);
}

off_status off_read_file(const char *path, char **buf_out, size_t *len_out,
                         off_err *err)
{
    *buf_out = NULL;
    size_t limit;
    off_status st = off_input_limit(&limit, err);
    if (st)
        return st;
    FILE *f = fopen(path, "rb");
    if (!f)
        return off_errf(err, OFF_EIO, path, 0, 0, "cannot open: %s",
                        strerror(errno));
    /* A directory opens, then fails at the first read with EISDIR; a
     * regular file's size is known before reading it.  Anything else (a
     * pipe, /dev/zero) is read up to the limit. */
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0) {
        if (S_ISDIR(sb.st_mode)) {
            fclose(f);
            return off_errf(err, OFF_EIO, path, 0, 0, "is a directory, not a file");
        }
        if (S_ISREG(sb.st_mode) && (uintmax_t)sb.st_size > limit) {
            fclose(f);
            return too_large(path, limit, err);
        }
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return off_errf(err, OFF_ENOMEM, path, 0, 0, "out of memory");
    }
    for (;;) {
        if (len > limit) {
            free(buf);
            fclose(f);
            return too_large(path, limit, err);
        }
        if (len + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                return off_errf(err, OFF_ENOMEM, path, 0, 0, "out of memory");
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f), why = errno;
    fclose(f);
    if (bad) {
        free(buf);
        return off_errf(err, OFF_EIO, path, 0, 0, "read error: %s", strerror(why));
    }
    buf[len] = '\0';
    *buf_out = buf;
    if (len_out)
        *len_out = len;
    return OFF_OK;
}

static volatile sig_atomic_t interrupt_flag;

static void on_signal(int sig)
{
    interrupt_flag = 1;
    signal(sig, SIG_DFL); /* a second one ends the process */
}

void off_interrupt_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

bool off_interrupted(void) { return interrupt_flag != 0; }

double off_wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
