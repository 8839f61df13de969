/*
 * mdl_split.c - the split tensor codec: b-bit requantization, bit packing,
 * zlib compression.  Format and arithmetic in mdl_infer.h.
 */
#include "mdl_infer.h"

#include <string.h>
#include <zlib.h>

size_t mdl_split_bound(size_t n, int bits)
{
    size_t body = mdl_packed_bytes(n, bits);
    return MDL_SPLIT_HEADER + (size_t)compressBound((uLong)body);
}

size_t mdl_split_scratch_size(size_t n, int bits)
{
    /* codes (n bytes) then the packed body */
    return n + mdl_packed_bytes(n, bits);
}

void mdl_bitpack(const uint8_t *codes, size_t n, int bits, uint8_t *out)
{
    size_t nb = mdl_packed_bytes(n, bits);
    if (bits == 8) {
        memcpy(out, codes, n);
        return;
    }
    memset(out, 0, nb);
    size_t bitpos = 0;
    for (size_t i = 0; i < n; i++, bitpos += (size_t)bits) {
        unsigned v = codes[i];
        size_t byte = bitpos >> 3, off = bitpos & 7;
        out[byte] |= (uint8_t)(v << off);
        if (off + (size_t)bits > 8) /* spills into the next byte */
            out[byte + 1] |= (uint8_t)(v >> (8 - off));
    }
}

void mdl_bitunpack(const uint8_t *in, size_t n, int bits, uint8_t *codes)
{
    if (bits == 8) {
        memcpy(codes, in, n);
        return;
    }
    unsigned mask = (1u << bits) - 1;
    size_t bitpos = 0;
    for (size_t i = 0; i < n; i++, bitpos += (size_t)bits) {
        size_t byte = bitpos >> 3, off = bitpos & 7;
        unsigned v = in[byte] >> off;
        if (off + (size_t)bits > 8)
            v |= (unsigned)in[byte + 1] << (8 - off);
        codes[i] = (uint8_t)(v & mask);
    }
}

/* round(a / b) for a >= 0, b > 0, ties away from zero */
static inline unsigned div_round(unsigned a, unsigned b) { return (a + b / 2) / b; }

/* The b-bit codes of q[0..n) into codes; *qmin, *qmax its range. */
static void requant_codes(const int8_t *q, size_t n, int bits, uint8_t *codes, int *qmin,
                          int *qmax)
{
    int lo = 127, hi = -128;
    for (size_t i = 0; i < n; i++) {
        if (q[i] < lo) lo = q[i];
        if (q[i] > hi) hi = q[i];
    }
    if (n == 0)
        lo = hi = 0;
    unsigned R = (unsigned)(hi - lo), L = (1u << bits) - 1;
    if (R <= L) {
        for (size_t i = 0; i < n; i++)
            codes[i] = (uint8_t)(q[i] - lo);
    } else {
        uint8_t code[256]; /* of q - lo */
        for (unsigned v = 0; v <= R; v++)
            code[v] = (uint8_t)div_round(v * L, R);
        for (size_t i = 0; i < n; i++)
            codes[i] = code[q[i] - lo];
    }
    *qmin = lo;
    *qmax = hi;
}

static off_status check_encode(size_t n, int bits, off_err *err)
{
    if (bits < 1 || bits > 8)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "split tensor: bits must be in 1..8, got %d", bits);
    if (n > UINT32_MAX)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0, "split tensor: too many elements");
    return OFF_OK;
}

off_status mdl_split_encode(const int8_t *q, size_t n, int bits, mdl_compress c,
                            uint8_t *out, size_t cap, size_t *len, uint8_t *scratch,
                            off_err *err)
{
    off_status st = check_encode(n, bits, err);
    if (st)
        return st;
    if (cap < mdl_split_bound(n, bits))
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "split tensor: output buffer of %zu bytes, need %zu", cap,
                        mdl_split_bound(n, bits));
    int qmin, qmax;
    uint8_t *codes = scratch, *packed = scratch + n;
    requant_codes(q, n, bits, codes, &qmin, &qmax);
    size_t body = mdl_packed_bytes(n, bits);
    mdl_bitpack(codes, n, bits, packed);

    out[0] = 'O';
    out[1] = 'S';
    out[2] = 1;
    out[3] = (uint8_t)bits;
    out[4] = 0;
    out[5] = (uint8_t)(int8_t)qmin;
    out[6] = (uint8_t)(int8_t)qmax;
    out[7] = 0;
    uint32_t n32 = (uint32_t)n;
    for (int i = 0; i < 4; i++)
        out[8 + i] = (uint8_t)(n32 >> (8 * i));
    size_t used = body;
    if (c == MDL_COMPRESS_ZLIB && body > 0) {
        uLongf dst = (uLongf)(cap - MDL_SPLIT_HEADER);
        int zr = compress2(out + MDL_SPLIT_HEADER, &dst, packed, (uLong)body, 6);
        if (zr == Z_OK && dst < body) {
            out[4] = 1;
            used = dst;
        }
    }
    if (!(out[4] & 1))
        memcpy(out + MDL_SPLIT_HEADER, packed, body);
    *len = MDL_SPLIT_HEADER + used;
    return OFF_OK;
}

off_status mdl_split_decode(const uint8_t *in, size_t len, int8_t *q, size_t n,
                            uint8_t *scratch, off_err *err)
{
    if (len < MDL_SPLIT_HEADER || in[0] != 'O' || in[1] != 'S')
        return off_errf(err, OFF_EPARSE, NULL, 0, 0,
                        "split payload: not a split tensor (%zu bytes, bad magic)", len);
    if (in[2] != 1)
        return off_errf(err, OFF_EPARSE, NULL, 0, 0,
                        "split payload: version %u, expected 1", in[2]);
    int bits = in[3];
    if (bits < 1 || bits > 8 || (in[4] & ~1u) || in[7])
        return off_errf(err, OFF_EPARSE, NULL, 0, 0,
                        "split payload: corrupt header (bits %d, flags 0x%02x)", bits,
                        in[4]);
    int qmin = (int8_t)in[5], qmax = (int8_t)in[6];
    uint32_t n32 = 0;
    for (int i = 0; i < 4; i++)
        n32 |= (uint32_t)in[8 + i] << (8 * i);
    if (n32 != n || qmax < qmin)
        return off_errf(err, OFF_EPARSE, NULL, 0, 0,
                        "split payload: header says %u elements in [%d, %d], "
                        "expected %zu", n32, qmin, qmax, n);
    size_t body = mdl_packed_bytes(n, bits);
    uint8_t *codes = scratch, *packed = scratch + n;
    const uint8_t *src = in + MDL_SPLIT_HEADER;
    size_t have = len - MDL_SPLIT_HEADER;
    if (in[4] & 1) {
        uLongf dst = (uLongf)body;
        if (uncompress(packed, &dst, src, (uLong)have) != Z_OK || dst != body)
            return off_errf(err, OFF_EPARSE, NULL, 0, 0,
                            "split payload: corrupt zlib body");
        src = packed;
    } else if (have != body) {
        return off_errf(err, OFF_EPARSE, NULL, 0, 0,
                        "split payload: body of %zu bytes, expected %zu", have, body);
    }
    mdl_bitunpack(src, n, bits, codes);
    unsigned R = (unsigned)(qmax - qmin), L = (1u << bits) - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned c = codes[i];
        if (c > L || (R <= L && c > R))
            return off_errf(err, OFF_EPARSE, NULL, 0, 0,
                            "split payload: code %u out of range at element %zu", c, i);
        unsigned v = R <= L ? c : div_round(c * R, L);
        q[i] = (int8_t)(qmin + (int)v);
    }
    return OFF_OK;
}

off_status mdl_split_measure(const int8_t *q, size_t n, int bits, int8_t *recv, size_t *len,
                             uint8_t *scratch, mdl_zsize_ws *ws, off_err *err)
{
    off_status st = check_encode(n, bits, err);
    if (st)
        return st;
    int qmin, qmax;
    uint8_t *codes = scratch, *packed = scratch + n;
    requant_codes(q, n, bits, codes, &qmin, &qmax);
    size_t body = mdl_packed_bytes(n, bits);
    mdl_bitpack(codes, n, bits, packed);
    size_t z = body > 0 ? mdl_zsize(ws, packed, body) : SIZE_MAX;
    *len = MDL_SPLIT_HEADER + (z < body ? z : body); /* zlib kept only when smaller */
    unsigned R = (unsigned)(qmax - qmin), L = (1u << bits) - 1;
    if (R <= L) {
        memcpy(recv, q, n);
        return OFF_OK;
    }
    int8_t back[256]; /* decoded value of q - qmin */
    for (unsigned v = 0; v <= R; v++)
        back[v] = (int8_t)(qmin + (int)div_round(div_round(v * L, R) * R, L));
    for (size_t i = 0; i < n; i++)
        recv[i] = back[q[i] - qmin];
    return OFF_OK;
}
