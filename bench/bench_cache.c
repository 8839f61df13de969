/*
 * bench_cache.c - the inference cache (models/mdl_cache.c).
 *
 * A 10,000 samples x 12 splits x 5 bit-widths table (600,000 records), for a
 * two-exit model (the zoo's mexit) and for the largest record (8 exits):
 *
 *  - warm lookup: mdl_cache_get on 2M random keys of a full table, the
 *    caller reading pred, max_prob and entropy of every exit and the payload
 *    (as the simulator does).  "Independent": the keys are known in advance,
 *    so the CPU overlaps the cache misses of successive lookups (a
 *    throughput figure).  "Dependent": each key depends on the record
 *    before it, so every miss is paid in full, as for a lookup between the
 *    other events of a simulated task (a latency figure).  Also in storage
 *    order, for contrast.  As a reference, the same keys on a plain array
 *    of full sizeof(mdl_cache_rec) records behind an inline bitmap test (the
 *    "return a pointer" design): it is 3.2x larger;
 *  - cold fill overhead: every key missed once in random order, minus the
 *    time of calling the fill callback directly on the same keys;
 *  - save (write, fsync, rename) and load (open of the saved file) of the
 *    full table, and the file size.
 *
 * Each figure is the median of 5 runs, [min..max] after it.
 * Usage: bench_cache [SCALE]  (SCALE divides the number of random keys).
 * Results are recorded in bench/RESULTS.md.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mdl_cache.h"

enum { RUNS = 5, NS = 10000, NSP = 12, NB = 5 };

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void summary(const char *what, double v[RUNS], const char *unit)
{
    qsort(v, RUNS, sizeof v[0], cmp);
    printf("  %-48s %8.1f %s [%.1f..%.1f]\n", what, v[RUNS / 2], unit, v[0], v[RUNS - 1]);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rng(void) /* xorshift64* */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

typedef struct key {
    uint32_t s, sp, b;
} key;

/* Random keys drawn on the fly (about 2 ns each), so that the lookups are
 * not competing with a stream of pre-drawn keys for the caches; every loop
 * restarts the generator, so all of them see the same keys. */
static inline key next_key(uint64_t *x)
{
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    uint64_t v = *x * 2685821657736338717ULL;
    return (key){(uint32_t)(((v >> 40) * NS) >> 24), (uint32_t)(((v >> 20 & 0xfffff) * NSP) >> 20),
                 (uint32_t)(((v & 0xfffff) * NB) >> 20)};
}

typedef struct fill_ctx {
    uint32_t n_exits;
    uint64_t calls;
} fill_ctx;

/* Cheap stand-in for the kernels: a few arithmetic operations per record. */
static off_status fill(void *ctx, uint32_t s, uint32_t sp, uint32_t b, mdl_cache_rec *out,
                       off_err *err)
{
    (void)err;
    fill_ctx *f = ctx;
    f->calls++;
    out->payload = s * 61u + sp * 7u + b;
    for (uint32_t e = 0; e < f->n_exits; e++) {
        out->pred[e] = (uint8_t)((s + e) % 10);
        out->max_prob[e] = (float)((s + sp + b + e) & 1023) / 1024.0f;
        out->entropy[e] = 1.0f - out->max_prob[e];
    }
    return OFF_OK;
}

/* What a caller does with a record: read every exit's fields. */
static inline uint64_t consume(const mdl_cache_rec *r, uint32_t n_exits)
{
    uint64_t acc = r->payload;
    for (uint32_t e = 0; e < n_exits; e++) {
        uint32_t u, v;
        memcpy(&u, &r->max_prob[e], 4);
        memcpy(&v, &r->entropy[e], 4);
        acc += r->pred[e] + u + v;
    }
    return acc;
}

static volatile uint64_t sink;

static void bench(uint32_t n_exits, size_t n_keys, const char *file)
{
    printf("\n%u exits, %d x %d x %d = %d records, %zu random keys\n", n_exits, NS, NSP,
           NB, NS * NSP * NB, n_keys);
    mdl_cache_dims d = {0xC0FFEE01u, 0x1234, 0, NS, NSP, NB, n_exits};
    size_t n = (size_t)NS * NSP * NB;
    key *perm = malloc(n * sizeof *perm);
    for (size_t i = 0; i < n; i++)
        perm[i] = (key){(uint32_t)(i / (NSP * NB)), (uint32_t)(i / NB % NSP), (uint32_t)(i % NB)};
    for (size_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
        size_t j = rng() % (i + 1);
        key t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }

    double cold[RUNS], warm[RUNS], warm_dep[RUNS], seq[RUNS], plain[RUNS], plain_dep[RUNS];
    double save_ms[RUNS], load_ms[RUNS];
    off_err err;
    mdl_cache *c = NULL;
    for (int run = 0; run < RUNS; run++) {
        /* cold: every key once, random order, minus the callback alone */
        fill_ctx f = {n_exits, 0};
        if (mdl_cache_open(&c, NULL, &d, fill, &f, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            exit(1);
        }
        mdl_cache_rec r;
        uint64_t acc = 0;
        double t0 = off_wall_seconds();
        for (size_t i = 0; i < n; i++) {
            if (mdl_cache_get(c, perm[i].s, perm[i].sp, perm[i].b, &r, &err))
                exit(1);
            acc += consume(&r, n_exits);
        }
        double t_get = off_wall_seconds() - t0;
        t0 = off_wall_seconds();
        for (size_t i = 0; i < n; i++) {
            memset(&r, 0, sizeof r);
            fill(&f, perm[i].s, perm[i].sp, perm[i].b, &r, &err);
            acc += consume(&r, n_exits);
        }
        double t_cb = off_wall_seconds() - t0;
        cold[run] = (t_get - t_cb) / (double)n * 1e9;
        if (f.calls != 2 * n)
            exit(2);

        /* warm: random keys, full table; independent lookups overlap their
         * cache misses, dependent ones (the next key depends on the last
         * record, NS is even) pay each miss in full */
        t0 = off_wall_seconds();
        uint64_t x = 12345;
        for (size_t i = 0; i < n_keys; i++) {
            key k = next_key(&x);
            mdl_cache_get(c, k.s, k.sp, k.b, &r, &err);
            acc += consume(&r, n_exits);
        }
        warm[run] = (off_wall_seconds() - t0) / (double)n_keys * 1e9;
        t0 = off_wall_seconds();
        x = 12345;
        for (size_t i = 0; i < n_keys; i++) {
            key k = next_key(&x);
            mdl_cache_get(c, k.s ^ (uint32_t)(acc & 1), k.sp, k.b, &r, &err);
            acc += consume(&r, n_exits);
        }
        warm_dep[run] = (off_wall_seconds() - t0) / (double)n_keys * 1e9;
        /* warm, in storage order */
        t0 = off_wall_seconds();
        for (uint32_t s = 0; s < NS; s++)
            for (uint32_t sp = 0; sp < NSP; sp++)
                for (uint32_t b = 0; b < NB; b++) {
                    mdl_cache_get(c, s, sp, b, &r, &err);
                    acc += consume(&r, n_exits);
                }
        seq[run] = (off_wall_seconds() - t0) / (double)n * 1e9;
        mdl_cache_stats st;
        mdl_cache_get_stats(c, &st);
        if (st.misses != n || st.hits != 2 * n_keys + n)
            exit(3);

        /* save and load the full table */
        remove(file);
        t0 = off_wall_seconds();
        mdl_cache *w = NULL;
        if (mdl_cache_open(&w, file, &d, fill, &f, &err))
            exit(4);
        for (size_t i = 0; i < n; i++)
            mdl_cache_get(w, perm[i].s, perm[i].sp, perm[i].b, &r, &err);
        t0 = off_wall_seconds();
        if (mdl_cache_save(w, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            exit(5);
        }
        save_ms[run] = (off_wall_seconds() - t0) * 1e3;
        mdl_cache_close(w);
        t0 = off_wall_seconds();
        if (mdl_cache_open(&w, file, &d, fill, &f, &err) ||
            mdl_cache_load_state(w, NULL) != MDL_CACHE_LOADED)
            exit(6);
        load_ms[run] = (off_wall_seconds() - t0) * 1e3;
        mdl_cache_close(w);
        mdl_cache_close(c);
        c = NULL;

        /* reference: full records, pointer return, inline bitmap test */
        mdl_cache_rec *full = malloc(n * sizeof *full);
        uint64_t *valid = calloc((n + 63) / 64, 8);
        memset(full, 0, n * sizeof *full);
        for (size_t i = 0; i < n; i++) {
            size_t k = ((size_t)perm[i].s * NSP + perm[i].sp) * NB + perm[i].b;
            fill(&f, perm[i].s, perm[i].sp, perm[i].b, &full[k], &err);
            valid[i / 64] |= 1ull << (i % 64);
        }
        t0 = off_wall_seconds();
        x = 12345;
        for (size_t i = 0; i < n_keys; i++) {
            key q = next_key(&x);
            size_t k = ((size_t)q.s * NSP + q.sp) * NB + q.b;
            if (!(valid[k / 64] >> (k % 64) & 1))
                exit(7);
            acc += consume(&full[k], n_exits);
        }
        plain[run] = (off_wall_seconds() - t0) / (double)n_keys * 1e9;
        t0 = off_wall_seconds();
        x = 12345;
        for (size_t i = 0; i < n_keys; i++) {
            key q = next_key(&x);
            size_t k = ((size_t)(q.s ^ (uint32_t)(acc & 1)) * NSP + q.sp) * NB + q.b;
            if (!(valid[k / 64] >> (k % 64) & 1))
                exit(7);
            acc += consume(&full[k], n_exits);
        }
        plain_dep[run] = (off_wall_seconds() - t0) / (double)n_keys * 1e9;
        free(full);
        free(valid);
        sink += acc;
    }
    struct stat sb;
    stat(file, &sb);
    remove(file);
    summary("warm lookup, random keys, independent", warm, "ns");
    summary("warm lookup, random keys, dependent", warm_dep, "ns");
    summary("warm lookup, storage order", seq, "ns");
    summary("ref. full 76-byte records, inline, independent", plain, "ns");
    summary("ref. full 76-byte records, inline, dependent", plain_dep, "ns");
    summary("cold fill overhead per miss (callback excluded)", cold, "ns");
    summary("save full table (write + fsync + rename)", save_ms, "ms");
    summary("load full table (open)", load_ms, "ms");
    printf("  file %.2f MB (%.1f bytes/record); in memory %.2f MB\n", (double)sb.st_size / 1e6,
           (double)sb.st_size / (double)n,
           (double)n * (double)((4 + 9 * n_exits + 3) & ~3u) / 1e6);
    free(perm);
}

int main(int argc, char **argv)
{
    size_t scale = argc > 1 ? strtoul(argv[1], NULL, 10) : 1;
    if (scale < 1)
        scale = 1;
    char file[256];
    const char *tmp = getenv("TMPDIR");
    snprintf(file, sizeof file, "%s/bench_cache.%ld.offc", tmp ? tmp : "/tmp", (long)getpid());
    double t = off_wall_seconds();
    printf("inference cache, median of %d runs [min..max]\n", RUNS);
    bench(2, 2000000 / scale, file);
    bench(8, 2000000 / scale, file);
    printf("\ntotal wall time %.1f s\n", off_wall_seconds() - t);
    return 0;
}
