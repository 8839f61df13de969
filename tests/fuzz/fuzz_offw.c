/* fuzz_offw.c - libFuzzer harness: the OFFW weights reader.  With the
 * first byte odd, the trailing CRC-32 is made right (fuzz.h), so that
 * mutations reach the tensor records behind the checksum. */
#include "fuzz.h"
#include "mdl_weights.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t len;
    const char *path = fuzz_offw_file(data, size, &len);
    mdl_weights w;
    off_err err = {0};
    off_status st = mdl_weights_read(&w, path, &err);
    if (st == OFF_OK) {
        /* every record lies inside the buffer read */
        for (size_t i = 0; i < w.n; i++) {
            const uint8_t *p = w.t[i].data;
            if (p < w.buf || p + w.t[i].nbytes > w.buf + len)
                abort();
        }
    } else if (!err.msg[0]) {
        abort();
    }
    mdl_weights_free(&w);
    return 0;
}
