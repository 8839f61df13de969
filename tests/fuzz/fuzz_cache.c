/* fuzz_cache.c - libFuzzer harness: the inference cache file, opened for
 * fixed dims (fuzz.h).  First byte odd: the header's and the body's
 * CRC-32 are made right first.  Whatever the file, open succeeds (a bad
 * file is an empty cache with a reason) and every record read back is
 * one the cache holds. */
#include "fuzz.h"
#include "mdl_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { HDR = 64 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t len;
    uint8_t *fix = fuzz_body(data, size, &len);
    if (fix && len >= HDR) {
        fuzz_put_le32(fix + 60, fuzz_crc(fix, 60));
        if (len >= HDR + 4)
            fuzz_put_le32(fix + len - 4, fuzz_crc(fix + HDR, len - HDR - 4));
    }
    mdl_cache_dims d = FUZZ_CACHE_DIMS;
    mdl_cache *c = NULL;
    off_err err = {0};
    off_status st = mdl_cache_open(&c, fuzz_file(fix ? fix : data + 1, len), &d, NULL, NULL,
                                   &err);
    if (st != OFF_OK || !c)
        abort(); /* a damaged file is an empty cache, not an error */
    for (uint32_t s = 0; s < d.n_samples; s++)
        for (uint32_t k = 0; k < d.n_splits; k++)
            for (uint32_t b = 0; b < d.n_bits; b++) {
                mdl_cache_rec r;
                off_err e2 = {0};
                bool has = mdl_cache_has(c, s, k, b);
                if ((mdl_cache_get(c, s, k, b, &r, &e2) == OFF_OK) != has)
                    abort();
            }
    mdl_cache_close(c);
    free(fix);
    return 0;
}
