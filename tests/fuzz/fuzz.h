/*
 * fuzz.h - what the libFuzzer harnesses (tests/fuzz/fuzz_*.c) share.
 *
 * Several loaders take a path, not bytes: the harness hands them the input
 * as a file without touching the disk, through a memory file (memfd)
 * rewritten for every input and named /proc/self/fd/N.  A read of that
 * path is an ordinary regular-file read (fstat, size, contents), as it is
 * for a file on disk.
 *
 * The checksummed formats (OFFW, the inference cache) reject nearly every
 * mutation at the checksum.  So that the fuzzer also reaches the parsing
 * behind it, the first byte of an input chooses: odd, the harness writes
 * the checksums the rest of the input should have before loading it; even,
 * the input is loaded as it is.
 */
#ifndef OFFSIM_FUZZ_H
#define OFFSIM_FUZZ_H

/* built with _GNU_SOURCE (CMakeLists.txt): memfd_create */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

/* The memory file's descriptor: a fixed number, not the lowest free one,
 * so that its path is the same whatever descriptors the harness inherited
 * (ctest's vary from run to run): the loaders see the path, in a scenario's
 * text or in a comparison, and a different path would make libFuzzer try
 * different inputs on the same seed. */
enum { FUZZ_FD = 99 };

/* Write data[0..size) as the whole content of the harness's memory file
 * and return its path (valid until the next call).  Aborts when the
 * machine cannot make one: a harness that cannot feed its loader must not
 * pass silently. */
static inline const char *fuzz_file(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        int m = memfd_create("offsim-fuzz", 0);
        if (m < 0 || (m != FUZZ_FD && dup2(m, FUZZ_FD) != FUZZ_FD)) {
            perror("memfd_create");
            abort();
        }
        if (m != FUZZ_FD)
            close(m);
        fd = FUZZ_FD;
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) {
        perror("fuzz_file");
        abort();
    }
    return path;
}

/* Little-endian u32 at p. */
static inline void fuzz_put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* zlib CRC-32 of p[0..n). */
static inline uint32_t fuzz_crc(const uint8_t *p, size_t n)
{
    return (uint32_t)crc32(crc32(0, NULL, 0), p, (uInt)n);
}

/* A copy of data[1..size) to fix up when data[0] is odd (see above), or
 * NULL to load data[1..size) as it is.  *len receives size - 1. */
static inline uint8_t *fuzz_body(const uint8_t *data, size_t size, size_t *len)
{
    *len = size ? size - 1 : 0;
    if (!size || !(data[0] & 1))
        return NULL;
    uint8_t *b = malloc(*len ? *len : 1);
    if (!b)
        abort();
    memcpy(b, data + 1, *len);
    return b;
}

/* The input as an OFFW container file (weights, checkpoints): data[1..size)
 * with, when data[0] is odd, its trailing CRC-32 made right; its path, and
 * its size in *len. */
static inline const char *fuzz_offw_file(const uint8_t *data, size_t size, size_t *len)
{
    uint8_t *fix = fuzz_body(data, size, len);
    if (fix && *len >= 8)
        fuzz_put_le32(fix + *len - 4, fuzz_crc(fix, *len - 4));
    const char *path = fuzz_file(fix ? fix : data + 1, *len);
    free(fix);
    return path;
}

/* The fixed shapes the harnesses load against and fuzz_seeds writes. */
#define FUZZ_CACHE_DIMS                                                           \
    {.model_crc = 0x0ff5eed1u, .data_hash = 0x1234567890abcdefull, .cfg_hash = 42, \
     .n_samples = 5, .n_splits = 3, .n_bits = 2, .n_exits = 2}
#define FUZZ_CKPT_KIND "ppo"
#define FUZZ_CKPT_ARCH "obs=2 act=3"


#ifdef POL_CKPT_H
/* The checkpoint's sections: 4 floats, 8 opaque bytes, 2 counters. */
typedef struct fuzz_ckpt {
    float w[4];
    uint8_t rng[8];
    int32_t cnt[2];
    pol_tensor ts[3];
} fuzz_ckpt;

static inline void fuzz_ckpt_init(fuzz_ckpt *c)
{
    memset(c, 0, sizeof *c);
    c->ts[0] = (pol_tensor){"w", c->w, 4, MDL_DT_F32};
    c->ts[1] = (pol_tensor){"rng", c->rng, 8, MDL_DT_U8};
    c->ts[2] = (pol_tensor){"cnt", c->cnt, 2, MDL_DT_I32};
}
#endif

#endif /* OFFSIM_FUZZ_H */
