/* mdl_cache.c - the inference cache.  Contract and file format in mdl_cache.h. */
#define _POSIX_C_SOURCE 200809L
#include "mdl_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define HDR_BYTES 64
#define WHY_CAP 1024

struct mdl_cache {
    mdl_cache_dims d;
    size_t n;            /* records in the dense table */
    size_t stride;       /* bytes per record in memory */
    size_t disk_rec;     /* bytes per record on disk, D = 4 + 9 n_exits */
    uint8_t *recs;       /* n * stride: payload, max_prob[E], entropy[E], pred[E] */
    uint64_t *valid;     /* n bits, LSB-first in each word */
    size_t n_words;
    mdl_cache_fill_fn fill;
    void *ctx;
    char *path;          /* NULL: memory only */
    mdl_cache_load load;
    char why[WHY_CAP];
    uint64_t hits, misses, n_valid, n_loaded, n_new;
    unsigned tmp_seq;    /* makes temporary names unique within the process */
};

/* ---- records in memory -------------------------------------------------- */

static inline bool is_valid(const mdl_cache *c, size_t i)
{
    return (c->valid[i >> 6] >> (i & 63)) & 1u;
}

static inline void set_valid(mdl_cache *c, size_t i)
{
    c->valid[i >> 6] |= (uint64_t)1 << (i & 63);
}

/* Layout of a record in memory: u32 payload, then max_prob[E] and entropy[E]
 * (4-byte aligned, since the stride is a multiple of 4), then pred[E].
 * rec_load_n is written for a constant E and instantiated once per exit
 * count by the switch in rec_load: with constant sizes the copies compile to
 * a few moves instead of calls to memcpy, which cut about a third off a
 * cache-resident lookup (bench/RESULTS.md). */
static inline __attribute__((always_inline)) void
rec_load_n(const uint8_t *p, mdl_cache_rec *out, size_t E)
{
    enum { M = MDL_CACHE_MAX_EXITS };
    memcpy(&out->payload, p, 4);
    memcpy(out->max_prob, p + 4, 4 * E);
    memcpy(out->entropy, p + 4 + 4 * E, 4 * E);
    memcpy(out->pred, p + 4 + 8 * E, E);
    if (E < M) {
        memset(out->max_prob + E, 0, 4 * (M - E));
        memset(out->entropy + E, 0, 4 * (M - E));
        memset(out->pred + E, 0, M - E);
    }
}

static inline void rec_load(const mdl_cache *c, size_t i, mdl_cache_rec *out)
{
    const uint8_t *p = c->recs + i * c->stride;
    switch (c->d.n_exits) {
    case 1: rec_load_n(p, out, 1); break;
    case 2: rec_load_n(p, out, 2); break;
    case 3: rec_load_n(p, out, 3); break;
    case 4: rec_load_n(p, out, 4); break;
    case 5: rec_load_n(p, out, 5); break;
    case 6: rec_load_n(p, out, 6); break;
    case 7: rec_load_n(p, out, 7); break;
    default: rec_load_n(p, out, 8); break; /* open checked 1..8 */
    }
}

static void rec_store(mdl_cache *c, size_t i, const mdl_cache_rec *r)
{
    uint8_t *p = c->recs + i * c->stride;
    size_t E = c->d.n_exits;
    memset(p, 0, c->stride);
    memcpy(p, &r->payload, 4);
    memcpy(p + 4, r->max_prob, 4 * E);
    memcpy(p + 4 + 4 * E, r->entropy, 4 * E);
    memcpy(p + 4 + 8 * E, r->pred, E);
}

/* ---- little-endian helpers ---------------------------------------------- */

static void put_le(uint8_t *b, uint64_t v, int bytes)
{
    for (int k = 0; k < bytes; k++)
        b[k] = (uint8_t)(v >> (8 * k));
}

static uint64_t get_le(const uint8_t *b, int bytes)
{
    uint64_t v = 0;
    for (int k = 0; k < bytes; k++)
        v |= (uint64_t)b[k] << (8 * k);
    return v;
}

/* Record i (memory) -> D bytes (disk), and back.  Floats travel as their
 * bit patterns, so a round trip is exact (NaNs included). */
static void rec_to_disk(const mdl_cache *c, size_t i, uint8_t *b)
{
    /* the memory layout is the disk layout in host byte order: payload and
     * the 2E floats are 4-byte words, then E bytes */
    const uint8_t *p = c->recs + i * c->stride;
    size_t E = c->d.n_exits;
    for (size_t w = 0; w < 1 + 2 * E; w++) {
        uint32_t u;
        memcpy(&u, p + 4 * w, 4);
        put_le(b + 4 * w, u, 4);
    }
    memcpy(b + 4 + 8 * E, p + 4 + 8 * E, E);
}

static void rec_from_disk(mdl_cache *c, size_t i, const uint8_t *b)
{
    uint8_t *p = c->recs + i * c->stride;
    size_t E = c->d.n_exits;
    memset(p, 0, c->stride);
    for (size_t w = 0; w < 1 + 2 * E; w++) {
        uint32_t u = (uint32_t)get_le(b + 4 * w, 4);
        memcpy(p + 4 * w, &u, 4);
    }
    memcpy(p + 4 + 8 * E, b + 4 + 8 * E, E);
}

/* zlib's crc32 takes a uInt length: feed large buffers in pieces. */
static uint32_t crc_update(uint32_t crc, const uint8_t *p, size_t n)
{
    uLong v = crc;
    while (n > 0) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        v = crc32(v, p, k);
        p += k;
        n -= k;
    }
    return (uint32_t)v;
}

static uint32_t crc_of(const uint8_t *p, size_t n)
{
    return crc_update((uint32_t)crc32(0, NULL, 0), p, n);
}

static void header_encode(const mdl_cache *c, uint64_t n_valid, uint8_t h[HDR_BYTES])
{
    memset(h, 0, HDR_BYTES);
    memcpy(h, "OFFC", 4);
    put_le(h + 4, MDL_CACHE_VERSION, 4);
    put_le(h + 8, c->d.model_crc, 4);
    put_le(h + 12, c->d.n_samples, 4);
    put_le(h + 16, c->d.n_splits, 4);
    put_le(h + 20, c->d.n_bits, 4);
    put_le(h + 24, c->d.n_exits, 4);
    put_le(h + 28, c->disk_rec, 4);
    put_le(h + 32, c->d.data_hash, 8);
    put_le(h + 40, c->d.cfg_hash, 8);
    put_le(h + 48, n_valid, 8);
    put_le(h + 60, crc_of(h, 60), 4);
}

/* ---- loading ------------------------------------------------------------ */

typedef struct load_result {
    mdl_cache_load state;   /* MISSING, LOADED, STALE or CORRUPT */
    char why[WHY_CAP];
    uint64_t merged;        /* records taken from the file */
} load_result;

#define VERDICT(st, ...)                                                    \
    do {                                                                    \
        lr->state = (st);                                                   \
        int n_ = snprintf(lr->why, sizeof lr->why, "%s: ", path);           \
        if (n_ > 0 && (size_t)n_ < sizeof lr->why)                          \
            snprintf(lr->why + n_, sizeof lr->why - (size_t)n_, __VA_ARGS__); \
        goto done;                                                          \
    } while (0)

/* Why the header h (already checked for magic and CRC) does not match c, or
 * NULL.  Writes the reason to buf. */
static const char *stale_reason(const mdl_cache *c, const uint8_t *h, char *buf,
                                size_t cap)
{
    uint64_t v = get_le(h + 4, 4);
    if (v != MDL_CACHE_VERSION) {
        snprintf(buf, cap, "cache format version %llu, this offsim uses %d",
                 (unsigned long long)v, MDL_CACHE_VERSION);
        return buf;
    }
    static const struct {
        const char *name;
        size_t off;
        int bytes;
    } f[] = {
        {"model CRC", 8, 4},  {"samples", 12, 4}, {"splits", 16, 4},
        {"bit-widths", 20, 4}, {"exits", 24, 4},  {"data hash", 32, 8},
        {"configuration hash", 40, 8},
    };
    uint64_t now[] = {c->d.model_crc, c->d.n_samples, c->d.n_splits, c->d.n_bits,
                      c->d.n_exits,   c->d.data_hash, c->d.cfg_hash};
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
        uint64_t was = get_le(h + f[k].off, f[k].bytes);
        if (was != now[k]) {
            snprintf(buf, cap, "made for %s %#llx, now %#llx", f[k].name,
                     (unsigned long long)was, (unsigned long long)now[k]);
            return buf;
        }
    }
    return NULL;
}

/* Read the file at path; if it matches c's dims, copy into c the records c
 * does not have yet.  The verdict is in *lr.  Errors only for a file that
 * exists but cannot be read (OFF_EIO) and out of memory; c is then
 * unchanged, as it is for any verdict but LOADED. */
static off_status load_file(mdl_cache *c, const char *path, load_result *lr,
                            off_err *err)
{
    off_status st = OFF_OK;
    uint8_t *body = NULL;
    memset(lr, 0, sizeof *lr);
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT) {
            lr->state = MDL_CACHE_MISSING;
            return OFF_OK;
        }
        return off_errf(err, OFF_EIO, path, 0, 0, "cannot open the inference cache: %s",
                        strerror(errno));
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0) {
        int e = errno;
        fclose(f);
        return off_errf(err, OFF_EIO, path, 0, 0, "cannot read the inference cache: %s",
                        strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        fclose(f);
        return off_errf(err, OFF_EIO, path, 0, 0,
                        "cannot use as the inference cache: %s",
                        S_ISDIR(sb.st_mode) ? "it is a directory" : "not a regular file");
    }
    uint64_t size = (uint64_t)sb.st_size;
    uint8_t h[HDR_BYTES];
    size_t got = fread(h, 1, HDR_BYTES, f);
    if (ferror(f)) {
        fclose(f);
        return off_errf(err, OFF_EIO, path, 0, 0, "cannot read the inference cache");
    }
    if (got == 0)
        VERDICT(MDL_CACHE_CORRUPT, "empty file, not an inference cache");
    if (memcmp(h, "OFFC", got < 4 ? got : 4) != 0)
        VERDICT(MDL_CACHE_CORRUPT, "not an offsim inference cache (bad magic)");
    if (got < HDR_BYTES)
        VERDICT(MDL_CACHE_CORRUPT, "truncated: %zu bytes, shorter than the %d-byte header",
                got, HDR_BYTES);
    uint32_t hcrc = (uint32_t)get_le(h + 60, 4);
    if (hcrc != crc_of(h, 60))
        VERDICT(MDL_CACHE_CORRUPT, "header checksum mismatch: the file is corrupt");
    char reason[256];
    if (stale_reason(c, h, reason, sizeof reason))
        VERDICT(MDL_CACHE_STALE, "stale inference cache (%s)", reason);
    uint64_t disk_rec = get_le(h + 28, 4), n_valid = get_le(h + 48, 8);
    if (disk_rec != c->disk_rec || get_le(h + 56, 4) != 0 || n_valid > c->n)
        VERDICT(MDL_CACHE_CORRUPT, "inconsistent header (%llu records of %llu bytes)",
                (unsigned long long)n_valid, (unsigned long long)disk_rec);
    /* sizes from here on are bounded by c's own table, not by the file */
    size_t bm = (c->n + 7) / 8;
    size_t body_len = bm + (size_t)n_valid * c->disk_rec;
    uint64_t want = HDR_BYTES + (uint64_t)body_len + 4;
    if (size != want)
        VERDICT(MDL_CACHE_CORRUPT, "%s: %llu bytes, expected %llu",
                size < want ? "truncated" : "trailing bytes",
                (unsigned long long)size, (unsigned long long)want);
    body = malloc(body_len + 4);
    if (!body) {
        st = off_errf(err, OFF_ENOMEM, path, 0, 0, "out of memory reading the inference cache");
        goto done;
    }
    got = fread(body, 1, body_len + 4, f);
    if (ferror(f)) {
        st = off_errf(err, OFF_EIO, path, 0, 0, "cannot read the inference cache");
        goto done;
    }
    if (got != body_len + 4) /* shrunk since fstat */
        VERDICT(MDL_CACHE_CORRUPT, "truncated while reading");
    if ((uint32_t)get_le(body + body_len, 4) != crc_of(body, body_len))
        VERDICT(MDL_CACHE_CORRUPT, "checksum mismatch: the file is truncated or corrupt");
    uint64_t ones = 0;
    for (size_t k = 0; k < bm; k++)
        ones += (uint64_t)__builtin_popcount(body[k]);
    uint8_t pad = c->n % 8 ? (uint8_t)(0xffu << (c->n % 8)) : 0;
    if (ones != n_valid || (body[bm - 1] & pad))
        VERDICT(MDL_CACHE_CORRUPT, "validity bitmap disagrees with its header (%llu of %llu)",
                (unsigned long long)ones, (unsigned long long)n_valid);
    const uint8_t *r = body + bm;
    for (size_t k = 0; k < bm; k++) {
        for (unsigned bits = body[k]; bits; bits &= bits - 1) {
            size_t i = 8 * k + (size_t)__builtin_ctz(bits);
            if (!is_valid(c, i)) {
                rec_from_disk(c, i, r);
                set_valid(c, i);
                c->n_valid++;
                lr->merged++;
            }
            r += c->disk_rec;
        }
    }
    lr->state = MDL_CACHE_LOADED;
done:
    free(body);
    fclose(f);
    return st;
}

/* ---- lifecycle ---------------------------------------------------------- */

off_status mdl_cache_open(mdl_cache **out, const char *path, const mdl_cache_dims *d,
                          mdl_cache_fill_fn fill, void *ctx, off_err *err)
{
    *out = NULL;
    if (!d || d->n_exits < 1 || d->n_exits > MDL_CACHE_MAX_EXITS || d->n_samples < 1 ||
        d->n_splits < 1 || d->n_bits < 1)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "inference cache: bad dims (need >= 1 sample, split and "
                        "bit-width, 1..%d exits)", MDL_CACHE_MAX_EXITS);
    size_t stride = (4 + 9 * (size_t)d->n_exits + 3) & ~(size_t)3;
    uint64_t n = (uint64_t)d->n_samples * d->n_splits; /* < 2^64 */
    if (n > SIZE_MAX / d->n_bits || n * d->n_bits > (SIZE_MAX / 2) / stride)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "inference cache: %u x %u x %u records do not fit in memory",
                        d->n_samples, d->n_splits, d->n_bits);
    n *= d->n_bits;
    mdl_cache *c = calloc(1, sizeof *c);
    if (!c)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    c->d = *d;
    c->n = (size_t)n;
    c->stride = stride;
    c->disk_rec = 4 + 9 * (size_t)d->n_exits;
    c->n_words = (c->n + 63) / 64;
    c->fill = fill;
    c->ctx = ctx;
    c->recs = calloc(c->n, c->stride);  /* large: lazily zeroed pages */
    c->valid = calloc(c->n_words, sizeof *c->valid);
    c->path = path ? off_strdup(path) : NULL;
    if (!c->recs || !c->valid || (path && !c->path)) {
        mdl_cache_close(c);
        return off_errf(err, OFF_ENOMEM, path, 0, 0,
                        "out of memory for an inference cache of %zu records", (size_t)n);
    }
    c->load = MDL_CACHE_MEMORY;
    if (path) {
        load_result lr;
        off_status st = load_file(c, path, &lr, err);
        if (st) {
            mdl_cache_close(c);
            return st;
        }
        c->load = lr.state;
        memcpy(c->why, lr.why, sizeof c->why);
        c->n_loaded = lr.merged;
    }
    *out = c;
    return OFF_OK;
}

void mdl_cache_close(mdl_cache *c)
{
    if (!c)
        return;
    free(c->recs);
    free(c->valid);
    free(c->path);
    free(c);
}

/* ---- lookups ------------------------------------------------------------ */

/* The slow half of mdl_cache_get: compute record i with fill. */
static off_status miss(mdl_cache *c, uint32_t sample, uint32_t split, uint32_t bits_idx,
                       size_t i, mdl_cache_rec *out, off_err *err)
{
    c->misses++;
    if (!c->fill)
        return off_errf(err, OFF_ERUNTIME, NULL, 0, 0,
                        "inference cache: no record for sample %u, split %u, bits "
                        "index %u, and no way to compute it", sample, split, bits_idx);
    off_err local;
    off_err *e = err ? err : &local;
    off_err_clear(e);
    mdl_cache_rec r;
    memset(&r, 0, sizeof r);
    off_status st = c->fill(c->ctx, sample, split, bits_idx, &r, e);
    if (st != OFF_OK) {
        if (e->msg[0] == '\0')
            off_errf(e, st, NULL, 0, 0,
                     "inference cache: computing sample %u, split %u, bits index %u "
                     "failed (%s)", sample, split, bits_idx, off_status_str(st));
        e->status = st;
        return st;
    }
    rec_store(c, i, &r);
    set_valid(c, i);
    c->n_valid++;
    c->n_new++;
    rec_load(c, i, out); /* what a later hit returns, to the byte */
    return OFF_OK;
}

off_status mdl_cache_get(mdl_cache *c, uint32_t sample, uint32_t split,
                         uint32_t bits_idx, mdl_cache_rec *out, off_err *err)
{
    if (sample >= c->d.n_samples || split >= c->d.n_splits || bits_idx >= c->d.n_bits)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "inference cache: key (sample %u, split %u, bits index %u) out "
                        "of range (%u samples, %u splits, %u bit-widths)",
                        sample, split, bits_idx, c->d.n_samples, c->d.n_splits,
                        c->d.n_bits);
    size_t i = ((size_t)sample * c->d.n_splits + split) * c->d.n_bits + bits_idx;
    if (__builtin_expect(!is_valid(c, i), 0))
        return miss(c, sample, split, bits_idx, i, out, err);
    c->hits++;
    rec_load(c, i, out);
    return OFF_OK;
}

static bool key_index(const mdl_cache *c, uint32_t sample, uint32_t split, uint32_t bits_idx,
                      size_t *i)
{
    if (sample >= c->d.n_samples || split >= c->d.n_splits || bits_idx >= c->d.n_bits)
        return false;
    *i = ((size_t)sample * c->d.n_splits + split) * c->d.n_bits + bits_idx;
    return true;
}

bool mdl_cache_has(const mdl_cache *c, uint32_t sample, uint32_t split, uint32_t bits_idx)
{
    size_t i;
    return key_index(c, sample, split, bits_idx, &i) && is_valid(c, i);
}

bool mdl_cache_put(mdl_cache *c, uint32_t sample, uint32_t split, uint32_t bits_idx,
                   const mdl_cache_rec *r)
{
    size_t i;
    if (!key_index(c, sample, split, bits_idx, &i) || is_valid(c, i))
        return false;
    rec_store(c, i, r);
    set_valid(c, i);
    c->n_valid++;
    c->n_new++;
    return true;
}

/* ---- saving ------------------------------------------------------------- */

/* fsync the directory holding path, so that the rename itself is durable.
 * Best effort: some file systems refuse fsync on a directory. */
static void sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else if ((size_t)(slash - path) < sizeof dir)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else
        return;
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

typedef struct writer {
    FILE *f;
    uint32_t crc;
    bool bad;
} writer;

static void wput(writer *w, const uint8_t *p, size_t n)
{
    w->crc = crc_update(w->crc, p, n);
    if (n && fwrite(p, 1, n, w->f) != n)
        w->bad = true;
}

off_status mdl_cache_save(mdl_cache *c, off_err *err)
{
    if (!c->path || c->n_new == 0)
        return OFF_OK;
    /* keep what other processes saved meanwhile; any problem with the file
     * on disk just means it is replaced */
    load_result lr;
    off_err ignored;
    (void)load_file(c, c->path, &lr, &ignored);

    size_t plen = strlen(c->path);
    char *tmp = malloc(plen + 64);
    if (!tmp)
        return off_errf(err, OFF_ENOMEM, c->path, 0, 0, "out of memory");
    snprintf(tmp, plen + 64, "%s.%ld.%u.tmp", c->path, (long)getpid(), ++c->tmp_seq);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
    writer w = {fd >= 0 ? fdopen(fd, "wb") : NULL, 0, false};
    if (!w.f) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
            remove(tmp);
        }
        off_errf(err, OFF_EIO, c->path, 0, 0,
                 "cannot write the inference cache: cannot create %s: %s", tmp,
                 strerror(e));
        free(tmp);
        return OFF_EIO;
    }
    uint8_t h[HDR_BYTES];
    header_encode(c, c->n_valid, h);
    if (fwrite(h, 1, HDR_BYTES, w.f) != HDR_BYTES)
        w.bad = true;
    w.crc = (uint32_t)crc32(0, NULL, 0);
    /* bitmap, then records, through one buffer */
    uint8_t buf[1 << 15];
    size_t used = 0;
    size_t bm = (c->n + 7) / 8;
    for (size_t k = 0; k < bm; k++) {
        if (used == sizeof buf) {
            wput(&w, buf, used);
            used = 0;
        }
        buf[used++] = (uint8_t)(c->valid[k / 8] >> (8 * (k % 8)));
    }
    for (size_t wi = 0; wi < c->n_words; wi++) {
        for (uint64_t bits = c->valid[wi]; bits; bits &= bits - 1) {
            if (used + c->disk_rec > sizeof buf) {
                wput(&w, buf, used);
                used = 0;
            }
            rec_to_disk(c, 64 * wi + (size_t)__builtin_ctzll(bits), buf + used);
            used += c->disk_rec;
        }
    }
    wput(&w, buf, used);
    uint8_t tail[4];
    put_le(tail, w.crc, 4);
    if (fwrite(tail, 1, 4, w.f) != 4 || fflush(w.f) != 0 || fsync(fileno(w.f)) != 0)
        w.bad = true;
    int e = errno;
    if (fclose(w.f) != 0 && !w.bad) {
        w.bad = true;
        e = errno;
    }
    if (!w.bad && rename(tmp, c->path) != 0) {
        w.bad = true;
        e = errno;
    }
    if (w.bad) {
        remove(tmp);
        free(tmp);
        return off_errf(err, OFF_EIO, c->path, 0, 0, "cannot write the inference cache: %s",
                        strerror(e));
    }
    free(tmp);
    sync_dir(c->path);
    c->n_new = 0;
    return OFF_OK;
}

/* ---- queries ------------------------------------------------------------ */

mdl_cache_load mdl_cache_load_state(const mdl_cache *c, const char **why)
{
    if (why)
        *why = c->why;
    return c->load;
}

const char *mdl_cache_load_str(mdl_cache_load s)
{
    switch (s) {
    case MDL_CACHE_MEMORY: return "memory only";
    case MDL_CACHE_MISSING: return "new";
    case MDL_CACHE_LOADED: return "loaded";
    case MDL_CACHE_STALE: return "stale";
    case MDL_CACHE_CORRUPT: return "corrupt";
    }
    return "?";
}

void mdl_cache_get_stats(const mdl_cache *c, mdl_cache_stats *s)
{
    s->hits = c->hits;
    s->misses = c->misses;
    s->n_valid = c->n_valid;
    s->n_records = c->n;
    s->n_loaded = c->n_loaded;
    s->n_new = c->n_new;
}

off_status mdl_cache_path(char *buf, size_t cap, const char *model_path,
                          const mdl_cache_dims *d, off_err *err)
{
    uint64_t tag = off_mix64(d->data_hash ^ off_mix64(d->cfg_hash));
    int n = snprintf(buf, cap, "%s.%016llx.offc", model_path, (unsigned long long)tag);
    if (n < 0 || (size_t)n >= cap) {
        if (cap)
            buf[0] = '\0';
        return off_errf(err, OFF_EINVAL, model_path, 0, 0,
                        "inference cache path too long (%d bytes, room for %zu)", n, cap);
    }
    return OFF_OK;
}
