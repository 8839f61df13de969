/* fuzz_ckpt.c - libFuzzer harness: an agent checkpoint (pol_ckpt.h) read
 * against a fixed shape (fuzz.h).  First byte odd: the container's CRC is
 * made right first.  A load that fails must leave the destination as it
 * was. */
#include "pol_ckpt.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t len;
    const char *path = fuzz_offw_file(data, size, &len);
    fuzz_ckpt c, before;
    fuzz_ckpt_init(&c);
    memset(c.rng, 0xa5, sizeof c.rng);
    before = c;
    off_err err = {0};
    off_status st = pol_ckpt_load(path, FUZZ_CKPT_KIND, FUZZ_CKPT_ARCH, c.ts, 3, &err);
    if (st != OFF_OK && (memcmp(c.w, before.w, sizeof c.w) ||
                         memcmp(c.rng, before.rng, sizeof c.rng) ||
                         memcmp(c.cnt, before.cnt, sizeof c.cnt)))
        abort(); /* a failed load touched the agent */
    return 0;
}
