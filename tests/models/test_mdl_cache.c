/* test_mdl_cache.c - the inference cache: fill once, persistence, invalidation,
 * damaged and hostile files, bad keys, fill errors, concurrent saves. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "mdl_cache.h"

static char dir[] = "/tmp/offsim-cache-XXXXXX";
static char path[256];

/* ---- a deterministic fill callback that counts its calls ---------------- */

typedef struct filler {
    unsigned calls;
    uint32_t n_exits;
    long fail_sample;     /* fail on this sample (-1: never) */
    off_status fail_st;
    bool fail_quietly;    /* fail without a message */
} filler;

static void expected(uint32_t s, uint32_t sp, uint32_t b, uint32_t n_exits,
                     mdl_cache_rec *r)
{
    memset(r, 0, sizeof *r);
    r->payload = s * 1000u + sp * 10u + b;
    for (uint32_t e = 0; e < n_exits; e++) {
        r->pred[e] = (uint8_t)((s + sp + e) % 10);
        r->max_prob[e] = 0.1f + 0.001f * (float)((s * 7 + sp * 3 + b + e) % 900);
        r->entropy[e] = 1.0f - r->max_prob[e] / 2;
    }
}

static off_status fill_fn(void *ctx, uint32_t s, uint32_t sp, uint32_t b,
                          mdl_cache_rec *out, off_err *err)
{
    filler *f = ctx;
    f->calls++;
    assert_non_null(err);
    if ((long)s == f->fail_sample)
        return f->fail_quietly ? f->fail_st
                               : off_errf(err, f->fail_st, NULL, 0, 0,
                                          "kernel failed on sample %u", s);
    expected(s, sp, b, f->n_exits, out);
    /* scribble on the exits the model does not have: the cache must drop it */
    for (uint32_t e = f->n_exits; e < MDL_CACHE_MAX_EXITS; e++) {
        out->pred[e] = 0xee;
        out->max_prob[e] = 42.0f;
        out->entropy[e] = -1.0f;
    }
    return OFF_OK;
}

static mdl_cache_dims dims(uint32_t ns, uint32_t nsp, uint32_t nb, uint32_t ne)
{
    return (mdl_cache_dims){.model_crc = 0xC0FFEE01u, .data_hash = 0x1234567890abcdefULL,
                            .cfg_hash = 77, .n_samples = ns, .n_splits = nsp,
                            .n_bits = nb, .n_exits = ne};
}

static mdl_cache *open_ok(const char *p, const mdl_cache_dims *d, filler *f)
{
    mdl_cache *c = NULL;
    off_err e;
    off_status st = mdl_cache_open(&c, p, d, fill_fn, f, &e);
    if (st)
        fail_msg("open: %s", e.msg);
    assert_non_null(c);
    return c;
}

static void get_ok(mdl_cache *c, uint32_t s, uint32_t sp, uint32_t b, uint32_t ne)
{
    mdl_cache_rec r, want;
    off_err e;
    off_status st = mdl_cache_get(c, s, sp, b, &r, &e);
    if (st)
        fail_msg("get (%u,%u,%u): %s", s, sp, b, e.msg);
    expected(s, sp, b, ne, &want);
    assert_memory_equal(&r, &want, sizeof r);
}

static void fill_some(mdl_cache *c, const mdl_cache_dims *d)
{
    for (uint32_t s = 0; s < d->n_samples; s += 2)
        for (uint32_t sp = 0; sp < d->n_splits; sp++)
            get_ok(c, s, sp, sp % d->n_bits, d->n_exits);
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/m.offc", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int fresh(void **state)
{
    (void)state;
    remove(path);
    return 0;
}

static size_t slurp(const char *p, uint8_t **buf)
{
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    size_t n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    *buf = malloc(n ? n : 1);
    assert_int_equal(fread(*buf, 1, n, f), n);
    fclose(f);
    return n;
}

static void store(const char *p, const uint8_t *buf, size_t n)
{
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);
}

static mdl_cache_load state_of(const char *p, const mdl_cache_dims *d, const char **why,
                               uint64_t *n_valid)
{
    static char keep[1100];
    filler f = {.n_exits = d->n_exits, .fail_sample = -1};
    mdl_cache *c = open_ok(p, d, &f);
    const char *w;
    mdl_cache_load ls = mdl_cache_load_state(c, &w);
    snprintf(keep, sizeof keep, "%s", w);
    if (why)
        *why = keep;
    mdl_cache_stats s;
    mdl_cache_get_stats(c, &s);
    if (n_valid)
        *n_valid = s.n_valid;
    mdl_cache_close(c);
    return ls;
}

/* ---- tests -------------------------------------------------------------- */

static void test_second_get_of_a_key_does_not_call_fill(void **state)
{
    (void)state;
    mdl_cache_dims d = dims(10, 4, 3, 2);
    filler f = {.n_exits = 2, .fail_sample = -1};
    mdl_cache *c = open_ok(NULL, &d, &f);
    get_ok(c, 3, 1, 2, 2);
    assert_int_equal(f.calls, 1);
    get_ok(c, 3, 1, 2, 2);
    get_ok(c, 3, 1, 2, 2);
    assert_int_equal(f.calls, 1);
    get_ok(c, 3, 1, 1, 2); /* neighbours are other keys */
    get_ok(c, 3, 2, 2, 2);
    get_ok(c, 4, 1, 2, 2);
    assert_int_equal(f.calls, 4);
    /* every key once, then everything is a hit */
    for (uint32_t s = 0; s < 10; s++)
        for (uint32_t sp = 0; sp < 4; sp++)
            for (uint32_t b = 0; b < 3; b++)
                get_ok(c, s, sp, b, 2);
    assert_int_equal(f.calls, 120);
    for (uint32_t s = 0; s < 10; s++)
        get_ok(c, s, 3, 0, 2);
    assert_int_equal(f.calls, 120);
    mdl_cache_stats st;
    mdl_cache_get_stats(c, &st);
    assert_int_equal(st.misses, 120);
    assert_int_equal(st.hits, 2 + 4 + 10);
    assert_int_equal(st.n_valid, 120);
    assert_int_equal(st.n_records, 120);
    assert_int_equal(st.n_new, 120);
    assert_int_equal(mdl_cache_load_state(c, NULL), MDL_CACHE_MEMORY);
    assert_int_equal(mdl_cache_save(c, NULL), OFF_OK); /* memory only: nothing */
    mdl_cache_close(c);
    mdl_cache_close(NULL);
}

static void test_hit_and_miss_give_the_same_bytes_for_every_exit_count(void **state)
{
    (void)state;
    for (uint32_t ne = 1; ne <= MDL_CACHE_MAX_EXITS; ne++) {
        mdl_cache_dims d = dims(5, 3, 2, ne);
        filler f = {.n_exits = ne, .fail_sample = -1};
        mdl_cache *c = open_ok(NULL, &d, &f);
        mdl_cache_rec miss, hit, want;
        memset(&miss, 0x55, sizeof miss);
        memset(&hit, 0xaa, sizeof hit);
        assert_int_equal(mdl_cache_get(c, 4, 2, 1, &miss, NULL), OFF_OK);
        assert_int_equal(mdl_cache_get(c, 4, 2, 1, &hit, NULL), OFF_OK);
        expected(4, 2, 1, ne, &want); /* zero beyond n_exits, despite the scribbles */
        assert_memory_equal(&miss, &want, sizeof want);
        assert_memory_equal(&hit, &want, sizeof want);
        mdl_cache_close(c);
    }
}

static void test_records_survive_close_and_open(void **state)
{
    (void)state;
    mdl_cache_dims d = dims(9, 5, 4, 3);
    filler f = {.n_exits = 3, .fail_sample = -1};
    mdl_cache *c = open_ok(path, &d, &f);
    assert_int_equal(mdl_cache_load_state(c, NULL), MDL_CACHE_MISSING);
    fill_some(c, &d);
    unsigned filled = f.calls;
    off_err e;
    assert_int_equal(mdl_cache_save(c, &e), OFF_OK);
    mdl_cache_close(c);

    f.calls = 0;
    c = open_ok(path, &d, &f);
    const char *why;
    assert_int_equal(mdl_cache_load_state(c, &why), MDL_CACHE_LOADED);
    assert_string_equal(why, "");
    mdl_cache_stats st;
    mdl_cache_get_stats(c, &st);
    assert_int_equal(st.n_loaded, filled);
    assert_int_equal(st.n_valid, filled);
    assert_int_equal(st.n_new, 0);
    fill_some(c, &d);
    assert_int_equal(f.calls, 0); /* all from the file, with the same values */
    get_ok(c, 1, 0, 0, 3);        /* an odd sample was never computed */
    assert_int_equal(f.calls, 1);
    assert_int_equal(mdl_cache_save(c, &e), OFF_OK);
    mdl_cache_close(c);

    /* the whole table, every record checked after the round trip */
    f.calls = 0;
    c = open_ok(path, &d, &f);
    get_ok(c, 1, 0, 0, 3);
    assert_int_equal(f.calls, 0);
    for (uint32_t s = 0; s < 9; s++)
        for (uint32_t sp = 0; sp < 5; sp++)
            for (uint32_t b = 0; b < 4; b++)
                get_ok(c, s, sp, b, 3);
    assert_int_equal(mdl_cache_save(c, &e), OFF_OK);
    mdl_cache_close(c);
    f.calls = 0;
    c = open_ok(path, &d, &f);
    for (uint32_t s = 0; s < 9; s++)
        for (uint32_t sp = 0; sp < 5; sp++)
            for (uint32_t b = 0; b < 4; b++)
                get_ok(c, s, sp, b, 3);
    assert_int_equal(f.calls, 0);
    mdl_cache_close(c);
    /* no temporary files left behind */
    DIR *dd = opendir(dir);
    assert_non_null(dd);
    for (struct dirent *de; (de = readdir(dd));)
        assert_null(strstr(de->d_name, ".tmp"));
    closedir(dd);
}

static void test_save_without_new_records_leaves_the_file_alone(void **state)
{
    (void)state;
    mdl_cache_dims d = dims(4, 2, 2, 2);
    filler f = {.n_exits = 2, .fail_sample = -1};
    mdl_cache *c = open_ok(path, &d, &f);
    assert_int_equal(mdl_cache_save(c, NULL), OFF_OK); /* nothing yet: no file */
    struct stat sb;
    assert_int_equal(stat(path, &sb), -1);
    get_ok(c, 0, 0, 0, 2);
    assert_int_equal(mdl_cache_save(c, NULL), OFF_OK);
    assert_int_equal(stat(path, &sb), 0);
    ino_t ino = sb.st_ino;
    get_ok(c, 0, 0, 0, 2); /* a hit adds nothing */
    assert_int_equal(mdl_cache_save(c, NULL), OFF_OK);
    mdl_cache_close(c);
    c = open_ok(path, &d, &f);
    get_ok(c, 0, 0, 0, 2);
    assert_int_equal(mdl_cache_save(c, NULL), OFF_OK);
    mdl_cache_close(c);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_ino, ino); /* never replaced */
}

static void test_a_changed_model_data_or_dims_invalidates_the_file(void **state)
{
    (void)state;
    mdl_cache_dims d = dims(6, 3, 2, 2);
    filler f = {.n_exits = 2, .fail_sample = -1};
    mdl_cache *c = open_ok(path, &d, &f);
    fill_some(c, &d);
    assert_int_equal(mdl_cache_save(c, NULL), OFF_OK);
    mdl_cache_close(c);
    uint64_t nv;
    assert_int_equal(state_of(path, &d, NULL, &nv), MDL_CACHE_LOADED);
    assert_true(nv > 0);

    struct {
        const char *field;
        mdl_cache_dims d;
    } v[7];
    for (int k = 0; k < 7; k++)
        v[k].d = d;
    v[0].field = "model CRC", v[0].d.model_crc ^= 1;
    v[1].field = "data hash", v[1].d.data_hash += 1;
    v[2].field = "configuration hash", v[2].d.cfg_hash = 0;
    v[3].field = "samples", v[3].d.n_samples = 7;
    v[4].field = "splits", v[4].d.n_splits = 2;
    v[5].field = "bit-widths", v[5].d.n_bits = 3;
    v[6].field = "exits", v[6].d.n_exits = 3;
    for (int k = 0; k < 7; k++) {
        const char *why;
        assert_int_equal(state_of(path, &v[k].d, &why, &nv), MDL_CACHE_STALE);
        assert_int_equal(nv, 0);
        assert_non_null(strstr(why, path));
        assert_non_null(strstr(why, v[k].field));
        if (k == 0)
            printf("  e.g. %s\n", why);
    }
    /* the new model's first save replaces the file; the old one is then stale */
    filler f2 = {.n_exits = 2, .fail_sample = -1};
    c = open_ok(path, &v[0].d, &f2);
    get_ok(c, 5, 2, 1, 2);
    assert_int_equal(f2.calls, 1);
    assert_int_equal(mdl_cache_save(c, NULL), OFF_OK);
    mdl_cache_close(c);
    assert_int_equal(state_of(path, &v[0].d, NULL, &nv), MDL_CACHE_LOADED);
    assert_int_equal(nv, 1); /* nothing of the old model merged in */
    assert_int_equal(state_of(path, &d, NULL, NULL), MDL_CACHE_STALE);
}

/* A small file, its bytes, and the dims it was written with. */
static size_t small_file(mdl_cache_dims *d, uint8_t **buf)
{
    *d = dims(5, 3, 2, 2); /* 30 records: a 4-byte bitmap with 2 padding bits */
    filler f = {.n_exits = 2, .fail_sample = -1};
    mdl_cache *c = open_ok(path, d, &f);
    fill_some(c, d);
    assert_int_equal(mdl_cache_save(c, NULL), OFF_OK);
    mdl_cache_close(c);
    return slurp(path, buf);
}

static void test_every_truncation_and_flip_starts_empty_with_a_warning(void **state)
{
    (void)state;
    mdl_cache_dims d;
    uint8_t *good;
    size_t n = small_file(&d, &good);
    assert_int_equal(n, 64 + 4 + 9 * 22 + 4);
    const char *why;
    uint64_t nv;
    for (size_t cut = 0; cut < n; cut++) {
        store(path, good, cut);
        assert_int_equal(state_of(path, &d, &why, &nv), MDL_CACHE_CORRUPT);
        assert_int_equal(nv, 0);
        assert_non_null(strstr(why, path));
        if (cut == 0 || cut == 40 || cut == n - 1)
            printf("  cut at %zu: %s\n", cut, why);
    }
    for (size_t i = 0; i < n; i++) { /* flip one bit of every byte */
        uint8_t *b = malloc(n);
        memcpy(b, good, n);
        b[i] ^= (uint8_t)(1u << (i % 8));
        store(path, b, n);
        free(b);
        assert_int_equal(state_of(path, &d, &why, &nv), MDL_CACHE_CORRUPT);
        assert_int_equal(nv, 0);
        if (i == 0 || i == 20 || i == 100)
            printf("  flip at %zu: %s\n", i, why);
    }
    uint8_t *longer = malloc(n + 1);
    memcpy(longer, good, n);
    longer[n] = 0;
    store(path, longer, n + 1);
    free(longer);
    assert_int_equal(state_of(path, &d, &why, NULL), MDL_CACHE_CORRUPT);
    assert_non_null(strstr(why, "trailing"));

    /* a corrupt file is replaced by the next save and is then good again */
    store(path, good, n / 2);
    filler f = {.n_exits = 2, .fail_sample = -1};
    mdl_cache *c = open_ok(path, &d, &f);
    assert_int_equal(mdl_cache_load_state(c, NULL), MDL_CACHE_CORRUPT);
    fill_some(c, &d);
    assert_int_equal(mdl_cache_save(c, NULL), OFF_OK);
    mdl_cache_close(c);
    assert_int_equal(state_of(path, &d, NULL, &nv), MDL_CACHE_LOADED);
    assert_int_equal(nv, 9);
    uint8_t *again;
    assert_int_equal(slurp(path, &again), n);
    assert_memory_equal(again, good, n); /* same records, same bytes */
    free(again);
    free(good);
}

static void put32(uint8_t *b, uint32_t v)
{
    for (int k = 0; k < 4; k++)
        b[k] = (uint8_t)(v >> (8 * k));
}

/* Re-sign a doctored file so that only the field checks can catch it. */
static void resign(uint8_t *b, size_t n)
{
    put32(b + 60, (uint32_t)crc32(0, b, 60));
    put32(b + n - 4, (uint32_t)crc32(0, b + 64, (uInt)(n - 68)));
}

static void test_hostile_files_with_valid_checksums_are_refused(void **state)
{
    (void)state;
    mdl_cache_dims d;
    uint8_t *good;
    size_t n = small_file(&d, &good);
    uint8_t *b = malloc(n + 64);
    const char *why;
    uint64_t nv;
#define DOCTOR(stmt, len)                                                    \
    do {                                                                     \
        memcpy(b, good, n);                                                  \
        stmt;                                                                \
        resign(b, len);                                                      \
        store(path, b, len);                                                 \
        assert_int_equal(state_of(path, &d, &why, &nv), MDL_CACHE_CORRUPT);  \
        assert_int_equal(nv, 0);                                             \
    } while (0)
    /* the untouched file re-signed is fine (the helper is right) */
    memcpy(b, good, n);
    resign(b, n);
    store(path, b, n);
    assert_int_equal(state_of(path, &d, NULL, NULL), MDL_CACHE_LOADED);
    /* a huge record count: refused before anything is allocated for it */
    DOCTOR((b[48] = 0xff, b[55] = 0xff), n);
    printf("  huge n_valid: %s\n", why);
    DOCTOR(b[48] = 31, n);                 /* more records than the table */
    DOCTOR(b[48] = 8, n);                  /* count disagrees with the size */
    DOCTOR(b[64] |= 2, n);                 /* bitmap disagrees with the count */
    printf("  extra bitmap bit: %s\n", why);
    DOCTOR(b[28] = 12, n);                 /* record size */
    DOCTOR(b[56] = 1, n);                  /* reserved */
    DOCTOR(b[64 + 3] |= 0x80, n);          /* a padding bit of the bitmap */
    printf("  padding bit: %s\n", why);
    /* a bitmap bit moved: the count still agrees, but to a bit past N */
    DOCTOR((b[64] &= (uint8_t)~1u, b[64 + 3] |= 0x40), n);
    DOCTOR((void)0, n - 9);                /* one record short, re-signed */
    /* records that are bits, not numbers (NaN, inf) are data, not damage:
     * they load as they are */
    memcpy(b, good, n);
    memset(b + 64 + 4 + 4, 0xff, 8);
    resign(b, n);
    store(path, b, n);
    assert_int_equal(state_of(path, &d, NULL, NULL), MDL_CACHE_LOADED);
#undef DOCTOR
    free(b);
    free(good);

    /* other files at the path */
    const char *text = "name: quickstart\nmodel: mexit\n";
    store(path, (const uint8_t *)text, strlen(text));
    assert_int_equal(state_of(path, &d, &why, NULL), MDL_CACHE_CORRUPT);
    assert_non_null(strstr(why, "not an offsim inference cache"));
    store(path, (const uint8_t *)"OF", 2);
    assert_int_equal(state_of(path, &d, &why, NULL), MDL_CACHE_CORRUPT);
    assert_non_null(strstr(why, "truncated"));
    /* a directory cannot be read, nor replaced: an error, not a warning */
    mdl_cache *c = (mdl_cache *)&d;
    off_err e;
    filler f = {.n_exits = 2, .fail_sample = -1};
    assert_int_equal(mdl_cache_open(&c, dir, &d, fill_fn, &f, &e), OFF_EIO);
    assert_null(c);
    assert_non_null(strstr(e.msg, "directory"));
}

static void test_out_of_range_keys_are_errors_and_do_not_fill(void **state)
{
    (void)state;
    mdl_cache_dims d = dims(10, 4, 3, 2);
    filler f = {.n_exits = 2, .fail_sample = -1};
    mdl_cache *c = open_ok(NULL, &d, &f);
    mdl_cache_rec r, before;
    memset(&r, 0x5a, sizeof r);
    before = r;
    off_err e;
    uint32_t bad[][3] = {{10, 0, 0}, {0, 4, 0}, {0, 0, 3}, {UINT32_MAX, 0, 0},
                         {0, UINT32_MAX, 0}, {0, 0, UINT32_MAX}, {9, 3, 3}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        assert_int_equal(mdl_cache_get(c, bad[k][0], bad[k][1], bad[k][2], &r, &e),
                         OFF_EINVAL);
        assert_memory_equal(&r, &before, sizeof r);
        assert_non_null(strstr(e.msg, "out of range"));
        assert_int_equal(mdl_cache_get(c, bad[k][0], bad[k][1], bad[k][2], &r, NULL),
                         OFF_EINVAL);
    }
    printf("  %s\n", e.msg);
    assert_int_equal(f.calls, 0);
    get_ok(c, 9, 3, 2, 2); /* the last key is in range */
    mdl_cache_close(c);
}

static void test_bad_dims_are_refused(void **state)
{
    (void)state;
    mdl_cache_dims bad[] = {dims(0, 1, 1, 1), dims(1, 0, 1, 1), dims(1, 1, 0, 1),
                            dims(1, 1, 1, 0), dims(1, 1, 1, MDL_CACHE_MAX_EXITS + 1),
                            dims(UINT32_MAX, UINT32_MAX, UINT32_MAX, 8)};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        mdl_cache *c = (mdl_cache *)&bad[k];
        off_err e;
        assert_int_equal(mdl_cache_open(&c, path, &bad[k], fill_fn, NULL, &e), OFF_EINVAL);
        assert_null(c);
    }
    mdl_cache *c;
    assert_int_equal(mdl_cache_open(&c, NULL, NULL, NULL, NULL, NULL), OFF_EINVAL);
}

static void test_fill_errors_propagate_and_store_nothing(void **state)
{
    (void)state;
    mdl_cache_dims d = dims(10, 4, 3, 2);
    filler f = {.n_exits = 2, .fail_sample = 7, .fail_st = OFF_ERUNTIME};
    mdl_cache *c = open_ok(path, &d, &f);
    mdl_cache_rec r, before;
    memset(&r, 0x5a, sizeof r);
    before = r;
    off_err e;
    assert_int_equal(mdl_cache_get(c, 7, 1, 1, &r, &e), OFF_ERUNTIME);
    assert_int_equal(e.status, OFF_ERUNTIME);
    assert_string_equal(e.msg, "kernel failed on sample 7");
    assert_memory_equal(&r, &before, sizeof r);
    assert_int_equal(mdl_cache_get(c, 7, 1, 1, &r, NULL), OFF_ERUNTIME); /* retried */
    assert_int_equal(f.calls, 2);
    f.fail_quietly = true;
    f.fail_st = OFF_ENOMEM;
    assert_int_equal(mdl_cache_get(c, 7, 1, 1, &r, &e), OFF_ENOMEM);
    assert_int_equal(e.status, OFF_ENOMEM);
    assert_non_null(strstr(e.msg, "sample 7"));
    printf("  %s\n", e.msg);
    mdl_cache_stats st;
    mdl_cache_get_stats(c, &st);
    assert_int_equal(st.misses, 3);
    assert_int_equal(st.n_valid, 0);
    assert_int_equal(mdl_cache_save(c, &e), OFF_OK); /* nothing to save */
    struct stat sb;
    assert_int_equal(stat(path, &sb), -1);
    f.fail_sample = -1; /* the kernel works now */
    get_ok(c, 7, 1, 1, 2);
    assert_int_equal(f.calls, 4);
    mdl_cache_close(c);
}

static void test_a_miss_without_fill_is_an_error(void **state)
{
    (void)state;
    mdl_cache_dims d = dims(3, 2, 2, 2);
    filler f = {.n_exits = 2, .fail_sample = -1};
    mdl_cache *c = open_ok(path, &d, &f);
    get_ok(c, 1, 1, 1, 2);
    assert_int_equal(mdl_cache_save(c, NULL), OFF_OK);
    mdl_cache_close(c);
    off_err e;
    assert_int_equal(mdl_cache_open(&c, path, &d, NULL, NULL, &e), OFF_OK);
    mdl_cache_rec r, want;
    assert_int_equal(mdl_cache_get(c, 1, 1, 1, &r, &e), OFF_OK); /* read-only use */
    expected(1, 1, 1, 2, &want);
    assert_memory_equal(&r, &want, sizeof r);
    assert_int_equal(mdl_cache_get(c, 1, 1, 0, &r, &e), OFF_ERUNTIME);
    assert_non_null(strstr(e.msg, "no way to compute"));
    mdl_cache_close(c);
}

static void test_save_merges_what_another_cache_saved(void **state)
{
    (void)state;
    mdl_cache_dims d = dims(8, 2, 2, 2);
    filler fa = {.n_exits = 2, .fail_sample = -1}, fb = fa;
    mdl_cache *a = open_ok(path, &d, &fa), *b = open_ok(path, &d, &fb);
    get_ok(a, 1, 0, 0, 2);
    get_ok(a, 2, 0, 0, 2);
    get_ok(b, 3, 1, 1, 2);
    get_ok(b, 2, 0, 0, 2); /* both computed this one */
    assert_int_equal(mdl_cache_save(a, NULL), OFF_OK);
    assert_int_equal(mdl_cache_save(b, NULL), OFF_OK);
    mdl_cache_close(a);
    mdl_cache_close(b);
    uint64_t nv;
    assert_int_equal(state_of(path, &d, NULL, &nv), MDL_CACHE_LOADED);
    assert_int_equal(nv, 3);
    filler f = {.n_exits = 2, .fail_sample = -1};
    mdl_cache *c = open_ok(path, &d, &f);
    get_ok(c, 1, 0, 0, 2);
    get_ok(c, 2, 0, 0, 2);
    get_ok(c, 3, 1, 1, 2);
    assert_int_equal(f.calls, 0);
    mdl_cache_close(c);
}

/* Two processes save the same cache file over and over while a third opens
 * it: every open finds a whole file (missing before the first save, then
 * loaded), never a torn one. */
static void test_concurrent_saves_never_tear_the_file(void **state)
{
    (void)state;
    mdl_cache_dims d = dims(200, 6, 4, 2);
    enum { ROUNDS = 25 };
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            filler f = {.n_exits = 2, .fail_sample = -1};
            mdl_cache *c;
            if (mdl_cache_open(&c, path, &d, fill_fn, &f, NULL))
                _exit(1);
            for (uint32_t r = 0; r < ROUNDS; r++) {
                mdl_cache_rec rec;
                for (uint32_t s = 0; s < 4; s++)
                    if (mdl_cache_get(c, (uint32_t)k * 100 + r * 4 + s, r % 6, 0, &rec,
                                      NULL))
                        _exit(2);
                if (mdl_cache_save(c, NULL))
                    _exit(3);
            }
            mdl_cache_close(c);
            _exit(0);
        }
    }
    int opens = 0, loaded = 0;
    for (;;) {
        const char *why;
        mdl_cache_load ls = state_of(path, &d, &why, NULL);
        if (ls != MDL_CACHE_LOADED && ls != MDL_CACHE_MISSING)
            fail_msg("open #%d while saving: %s (%s)", opens, mdl_cache_load_str(ls), why);
        opens++;
        loaded += ls == MDL_CACHE_LOADED;
        int done = 0;
        for (int k = 0; k < 2; k++) {
            int ws;
            if (kids[k] > 0 && waitpid(kids[k], &ws, WNOHANG) == kids[k]) {
                assert_true(WIFEXITED(ws));
                assert_int_equal(WEXITSTATUS(ws), 0);
                kids[k] = 0;
            }
            done += kids[k] == 0;
        }
        if (done == 2)
            break;
    }
    uint64_t nv;
    assert_int_equal(state_of(path, &d, NULL, &nv), MDL_CACHE_LOADED);
    /* each process's last save holds all of its own records */
    assert_true(nv >= ROUNDS * 4 && nv <= 2 * ROUNDS * 4);
    printf("  %d opens during the saves (%d loaded); %llu of %d records in the end\n",
           opens, loaded, (unsigned long long)nv, 2 * ROUNDS * 4);
    DIR *dd = opendir(dir);
    assert_non_null(dd);
    for (struct dirent *de; (de = readdir(dd));)
        assert_null(strstr(de->d_name, ".tmp"));
    closedir(dd);
}

static void test_save_into_a_missing_directory_is_an_error(void **state)
{
    (void)state;
    char p[300];
    snprintf(p, sizeof p, "%s/no/such/dir/m.offc", dir);
    mdl_cache_dims d = dims(3, 2, 2, 2);
    filler f = {.n_exits = 2, .fail_sample = -1};
    mdl_cache *c = open_ok(p, &d, &f);
    assert_int_equal(mdl_cache_load_state(c, NULL), MDL_CACHE_MISSING);
    get_ok(c, 0, 0, 0, 2);
    off_err e;
    assert_int_equal(mdl_cache_save(c, &e), OFF_EIO);
    assert_non_null(strstr(e.msg, "no/such/dir"));
    printf("  %s\n", e.msg);
    get_ok(c, 0, 0, 0, 2); /* still usable */
    assert_int_equal(f.calls, 1);
    mdl_cache_close(c);
}

static void test_cache_path_is_beside_the_model_and_names_data_and_config(void **state)
{
    (void)state;
    mdl_cache_dims d = dims(3, 2, 2, 2), d2 = d, d3 = d, d4 = d;
    d2.data_hash++;
    d3.cfg_hash++;
    d4.model_crc++;
    char a[200], b[200], c3[200], c4[200];
    assert_int_equal(mdl_cache_path(a, sizeof a, "models/zoo/mexit.offw", &d, NULL), OFF_OK);
    assert_int_equal(mdl_cache_path(b, sizeof b, "models/zoo/mexit.offw", &d2, NULL), OFF_OK);
    assert_int_equal(mdl_cache_path(c3, sizeof c3, "models/zoo/mexit.offw", &d3, NULL), OFF_OK);
    assert_int_equal(mdl_cache_path(c4, sizeof c4, "models/zoo/mexit.offw", &d4, NULL), OFF_OK);
    printf("  %s\n", a);
    assert_int_equal(strncmp(a, "models/zoo/mexit.offw.", 22), 0);
    assert_int_equal(strlen(a), 22 + 16 + 5);
    assert_string_equal(a + strlen(a) - 5, ".offc");
    assert_string_not_equal(a, b);
    assert_string_not_equal(a, c3);
    assert_string_equal(a, c4); /* a new model replaces the same file */
    off_err e;
    assert_int_equal(mdl_cache_path(a, 30, "models/zoo/mexit.offw", &d, &e), OFF_EINVAL);
    assert_string_equal(a, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_second_get_of_a_key_does_not_call_fill, fresh),
        cmocka_unit_test_setup(test_hit_and_miss_give_the_same_bytes_for_every_exit_count, fresh),
        cmocka_unit_test_setup(test_records_survive_close_and_open, fresh),
        cmocka_unit_test_setup(test_save_without_new_records_leaves_the_file_alone, fresh),
        cmocka_unit_test_setup(test_a_changed_model_data_or_dims_invalidates_the_file, fresh),
        cmocka_unit_test_setup(test_every_truncation_and_flip_starts_empty_with_a_warning, fresh),
        cmocka_unit_test_setup(test_hostile_files_with_valid_checksums_are_refused, fresh),
        cmocka_unit_test_setup(test_out_of_range_keys_are_errors_and_do_not_fill, fresh),
        cmocka_unit_test_setup(test_bad_dims_are_refused, fresh),
        cmocka_unit_test_setup(test_fill_errors_propagate_and_store_nothing, fresh),
        cmocka_unit_test_setup(test_a_miss_without_fill_is_an_error, fresh),
        cmocka_unit_test_setup(test_save_merges_what_another_cache_saved, fresh),
        cmocka_unit_test_setup(test_concurrent_saves_never_tear_the_file, fresh),
        cmocka_unit_test_setup(test_save_into_a_missing_directory_is_an_error, fresh),
        cmocka_unit_test_setup(test_cache_path_is_beside_the_model_and_names_data_and_config, fresh),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
