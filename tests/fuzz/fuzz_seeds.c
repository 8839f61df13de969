/*
 * fuzz_seeds.c - writes the binary seeds of tests/fuzz/corpus/ (OFFW
 * weights, a checkpoint, inference caches, split payloads) with offsim's
 * own writers, so that they follow the formats; run it again when a format
 * changes:  build-fuzz/tests/fuzz/fuzz_seeds tests/fuzz/corpus
 * Each file of a checksummed format starts with the harness's mode byte
 * (fuzz.h), 0: loaded as written.
 */
#include "pol_ckpt.h"
#include "fuzz.h"
#include "mdl_cache.h"
#include "mdl_infer.h"
#include "mdl_weights.h"

static void die(const char *what, const off_err *e)
{
    fprintf(stderr, "fuzz_seeds: %s: %s\n", what, e ? e->msg : "failed");
    exit(1);
}

/* dir/name <- mode byte (or none when mode < 0), then the bytes of src. */
static void put(const char *dir, const char *name, int mode, const char *src)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *in = fopen(src, "rb"), *out = fopen(path, "wb");
    if (!in || !out)
        die(path, NULL);
    if (mode >= 0)
        fputc(mode, out);
    int ch;
    while ((ch = fgetc(in)) != EOF)
        fputc(ch, out);
    fclose(in);
    if (fclose(out) != 0)
        die(path, NULL);
}

static void put_bytes(const char *dir, const char *name, const uint8_t *b, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *out = fopen(path, "wb");
    if (!out || fwrite(b, 1, n, out) != n || fclose(out) != 0)
        die(path, NULL);
}

static off_status fill(void *ctx, uint32_t s, uint32_t k, uint32_t b, mdl_cache_rec *r,
                       off_err *err)
{
    (void)ctx, (void)err;
    r->payload = 100 * k + b;
    for (int e = 0; e < 2; e++) {
        r->pred[e] = (uint8_t)((s + e) % 10);
        r->max_prob[e] = 0.5f + 0.1f * (float)e;
        r->entropy[e] = 0.25f;
    }
    return OFF_OK;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_seeds CORPUS_DIR (tests/fuzz/corpus)\n");
        return 2;
    }
    char dir[400], tmp[512];
    off_err e = {0};
    snprintf(tmp, sizeof tmp, "%s/.seed.tmp", argv[1]);

    /* OFFW: a float matrix, an int8 vector, a U8 blob */
    float wf[6] = {0.5f, -1, 2, 0, 3.25f, -0.125f};
    int8_t wi[3] = {-128, 0, 127};
    uint8_t blob[5] = {'h', 'e', 'l', 'l', 'o'};
    mdl_tensor_rec t[3] = {
        {.name = "conv1.w", .dtype = MDL_DT_F32, .ndim = 2, .dims = {2, 3}, .nbytes = 24, .data = wf},
        {.name = "q", .dtype = MDL_DT_I8, .ndim = 1, .dims = {3}, .nbytes = 3, .data = wi},
        {.name = "blob", .dtype = MDL_DT_U8, .ndim = 1, .dims = {5}, .nbytes = 5, .data = blob},
    };
    snprintf(dir, sizeof dir, "%s/offw", argv[1]);
    if (mdl_weights_write(tmp, t, 3, &e))
        die("offw", &e);
    put(dir, "three-tensors.bin", 0, tmp);
    if (mdl_weights_write(tmp, t, 0, &e))
        die("offw", &e);
    put(dir, "empty.bin", 0, tmp);

    /* a checkpoint of the harness's shape */
    fuzz_ckpt c;
    fuzz_ckpt_init(&c);
    c.w[1] = 1.5f;
    c.cnt[0] = 7;
    memcpy(c.rng, "12345678", 8);
    snprintf(dir, sizeof dir, "%s/ckpt", argv[1]);
    if (pol_ckpt_save(tmp, FUZZ_CKPT_KIND, FUZZ_CKPT_ARCH, c.ts, 3, &e))
        die("ckpt", &e);
    put(dir, "ppo.bin", 0, tmp);

    /* inference caches of the harness's dims: partly and wholly filled */
    mdl_cache_dims d = FUZZ_CACHE_DIMS;
    snprintf(dir, sizeof dir, "%s/cache", argv[1]);
    for (int full = 0; full < 2; full++) {
        remove(tmp);
        mdl_cache *mc;
        if (mdl_cache_open(&mc, tmp, &d, fill, NULL, &e))
            die("cache", &e);
        for (uint32_t s = 0; s < d.n_samples; s++)
            for (uint32_t k = 0; k < d.n_splits; k++)
                for (uint32_t b = 0; b < d.n_bits; b++) {
                    mdl_cache_rec r;
                    if ((full || (s + k + b) % 3 == 0) && mdl_cache_get(mc, s, k, b, &r, &e))
                        die("cache", &e);
                }
        if (mdl_cache_save(mc, &e))
            die("cache", &e);
        mdl_cache_close(mc);
        put(dir, full ? "full.bin" : "partial.bin", 0, tmp);
    }
    remove(tmp);

    /* split payloads: 4 bits packed, 3 bits compressed, 8 bits */
    snprintf(dir, sizeof dir, "%s/split", argv[1]);
    int8_t q[64];
    for (int i = 0; i < 64; i++)
        q[i] = (int8_t)(i % 8 == 0 ? -20 + i : 3);
    static const struct { int bits; mdl_compress c; const char *name; } sp[] = {
        {4, MDL_COMPRESS_NONE, "b4.bin"}, {3, MDL_COMPRESS_ZLIB, "b3-zlib.bin"},
        {8, MDL_COMPRESS_NONE, "b8.bin"}, {1, MDL_COMPRESS_ZLIB, "b1-zlib.bin"}};
    for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++) {
        uint8_t out[512], scratch[256];
        size_t len = 0;
        if (mdl_split_bound(64, sp[i].bits) > sizeof out ||
            mdl_split_encode(q, 64, sp[i].bits, sp[i].c, out, sizeof out, &len, scratch, &e))
            die("split", &e);
        put_bytes(dir, sp[i].name, out, len);
    }
    return 0;
}
