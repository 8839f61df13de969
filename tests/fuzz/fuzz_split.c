/* fuzz_split.c - libFuzzer harness: the split-tensor decoder (the payload
 * a device sends, mdl_infer.h), bit-packed or zlib-compressed.  The
 * element count is the header's (capped), as a server would expect it;
 * every value decoded lies in the header's [qmin, qmax]. */
#include "fuzz.h"
#include "mdl_infer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_N = 1 << 16 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = 1;
    if (size >= MDL_SPLIT_HEADER) {
        n = (size_t)data[8] | (size_t)data[9] << 8 | (size_t)data[10] << 16 |
            (size_t)data[11] << 24;
        if (n == 0 || n > MAX_N)
            n = 1 + n % MAX_N;
    }
    int8_t *q = malloc(n);
    uint8_t *scratch = malloc(mdl_split_scratch_size(n, 8));
    if (!q || !scratch)
        abort();
    off_err err = {0};
    if (mdl_split_decode(data, size, q, n, scratch, &err) == OFF_OK) {
        int lo = (int8_t)data[5], hi = (int8_t)data[6];
        for (size_t i = 0; i < n; i++)
            if (q[i] < lo || q[i] > hi)
                abort();
    } else if (!err.msg[0]) {
        abort();
    }
    free(q);
    free(scratch);
    return 0;
}
