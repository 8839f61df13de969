/*
 * mdl_infer.h - what travels between the device and the server, and what an
 * exit knows about its answer:
 *
 *  - the split tensor codec: an int8 activation tensor requantized to b bits
 *    (1..8), bit-packed, optionally compressed with zlib, and back;
 *  - exit confidence: the maximum softmax probability and the normalised
 *    entropy of an exit's logits (BranchyNet's exit rule: exit where the
 *    entropy is below a threshold).
 *
 * Split payload format (version 1), all integers little-endian:
 *
 *   offset size  field
 *   0      2     magic "OS"
 *   2      1     version (1)
 *   3      1     bits b, 1..8
 *   4      1     flags: bit 0 = body compressed with zlib (deflate stream)
 *   5      1     qmin (int8): smallest value of the tensor
 *   6      1     qmax (int8): largest value of the tensor
 *   7      1     reserved, 0
 *   8      4     n: number of elements
 *   12     ...   body: n codes of b bits packed LSB-first (ceil(n b / 8)
 *                bytes), or its zlib compression when flag bit 0 is set
 *
 * Requantization of a value q in [qmin, qmax] with R = qmax - qmin and
 * L = 2^b - 1 levels: code = round((q - qmin) L / R), decoded as
 * qmin + round(code R / L) (integer arithmetic, ties away from zero).  When
 * R <= L the codes are q - qmin exactly and the round trip is lossless; in
 * particular b = 8 is always lossless.  The int8 tensor keeps its own
 * scale and zero point (known to both sides from the model), so the server
 * feeds the decoded int8 tensor straight to its kernels.
 */
#ifndef MDL_INFER_H
#define MDL_INFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "off.h"

#define MDL_SPLIT_HEADER 12

typedef enum mdl_compress {
    MDL_COMPRESS_NONE = 0,
    MDL_COMPRESS_ZLIB = 1, /* kept only when it makes the body smaller */
} mdl_compress;

/* Bytes of n codes of `bits` bits, packed. */
static inline size_t mdl_packed_bytes(size_t n, int bits)
{
    return (n * (size_t)bits + 7) / 8;
}

/* Largest payload mdl_split_encode can write for n elements (header, and
 * room for zlib's worst case). */
size_t mdl_split_bound(size_t n, int bits);

/* Scratch bytes mdl_split_encode / mdl_split_decode need for n elements. */
size_t mdl_split_scratch_size(size_t n, int bits);

/* Pack n codes (each < 2^bits, bits 1..8) LSB-first into out
 * (mdl_packed_bytes(n, bits) bytes; unused high bits of the last byte are 0). */
void mdl_bitpack(const uint8_t *codes, size_t n, int bits, uint8_t *out);
/* The inverse: n codes from in. */
void mdl_bitunpack(const uint8_t *in, size_t n, int bits, uint8_t *codes);

/* Encode the int8 tensor q[0..n) at `bits` (1..8) into out (cap bytes,
 * at least mdl_split_bound).  *len receives the payload size: the bytes that
 * cross the air.  scratch: mdl_split_scratch_size bytes.  No allocation. */
off_status mdl_split_encode(const int8_t *q, size_t n, int bits, mdl_compress c,
                            uint8_t *out, size_t cap, size_t *len, uint8_t *scratch,
                            off_err *err);

/* Decode a payload of len bytes into q[0..n); n must match the header.  A
 * truncated or corrupt payload is an error (OFF_EPARSE), never a crash. */
off_status mdl_split_decode(const uint8_t *in, size_t len, int8_t *q, size_t n,
                            uint8_t *scratch, off_err *err);

/* The exact size of zlib's compress2(..., level 6) output for in[0..n),
 * without writing it (mdl_zsize.c: deflate's decisions replayed, bits
 * counted); compress2 itself where the replay does not cover the input or
 * disagrees with the linked zlib.  ws: mdl_zsize_ws_size() bytes, set up
 * once by mdl_zsize_init, one per thread. */
typedef struct mdl_zsize_ws mdl_zsize_ws;
size_t mdl_zsize_ws_size(void);
void mdl_zsize_init(mdl_zsize_ws *ws);
size_t mdl_zsize(mdl_zsize_ws *ws, const uint8_t *in, size_t n);
/* Whether the replay gives compress2's sizes with this process's zlib
 * (checked once on probe inputs). */
bool mdl_zsize_agrees(void);

/* What mdl_split_encode then mdl_split_decode give for q[0..n) at `bits`
 * with zlib, without the payload: *len the payload size, recv[0..n) the
 * tensor decoded.  scratch: mdl_split_scratch_size bytes. */
off_status mdl_split_measure(const int8_t *q, size_t n, int bits, int8_t *recv, size_t *len,
                             uint8_t *scratch, mdl_zsize_ws *ws, off_err *err);

/* Confidence of an exit from its k logits (real values): the maximum softmax
 * probability, and the entropy of the softmax divided by ln k (0 = certain,
 * 1 = uniform).  Computed in double, stable for large logits.  *argmax (may
 * be NULL) receives the predicted class. */
void mdl_exit_confidence(const float *logits, size_t k, double *max_prob,
                         double *norm_entropy, size_t *argmax);

#endif /* MDL_INFER_H */
