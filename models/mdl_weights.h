/*
 * mdl_weights.h - the model weights file: named tensors in one versioned,
 * checksummed binary file (`*.offw`), written atomically and read with every
 * field checked, so that a truncated or corrupt file is a clear error and
 * never a crash.
 *
 * Format, version 1 (all integers little-endian):
 *
 *   "OFFW"                         magic, 4 bytes
 *   u32 version                    1
 *   u32 n_tensors                  at most MDL_WEIGHTS_MAX_TENSORS
 *   u32 reserved                   0
 *   n_tensors times:
 *     u16 name_len, name bytes     1..63 bytes, no NUL
 *     u8  dtype                    mdl_dtype
 *     u8  ndim                     1..MDL_MAX_DIMS
 *     u32 dims[ndim]               each >= 1
 *     u64 nbytes                   = product(dims) * size of dtype
 *     zero bytes up to the next file offset that is a multiple of 16
 *     nbytes of data               (so data are aligned for any dtype)
 *   u32 crc32                      zlib CRC-32 of every byte before it
 *
 * The CRC also identifies the weights (mdl_weights.crc): caches keyed by it
 * are invalidated when the model changes.
 *
 * The same container holds the learning agents' checkpoints
 * (policies/rl/pol_ckpt.h): float tensors beside named blobs, rank-1 U8
 * tensors of opaque bytes (the agent's kind, a generator's state, packed
 * counters).
 */
#ifndef MDL_WEIGHTS_H
#define MDL_WEIGHTS_H

#include <stddef.h>
#include <stdint.h>

#include "off.h"

#define MDL_MAX_DIMS 6
#define MDL_WEIGHTS_MAX_TENSORS 4096
#define MDL_WEIGHTS_VERSION 1

typedef enum mdl_dtype {
    MDL_DT_F32 = 0,
    MDL_DT_I8 = 1,
    MDL_DT_I32 = 2,
    MDL_DT_U8 = 3,
} mdl_dtype;

typedef struct mdl_tensor_rec {
    char name[64];
    mdl_dtype dtype;
    uint32_t ndim;
    uint32_t dims[MDL_MAX_DIMS];
    size_t nbytes;
    void *data;          /* reading: points into mdl_weights' buffer */
} mdl_tensor_rec;

typedef struct mdl_weights {
    mdl_tensor_rec *t;
    size_t n;
    uint32_t crc;        /* the file's CRC-32: the weights' identity */
    uint8_t *buf;        /* the whole file */
} mdl_weights;

/* Size in bytes of one element of dtype (0 for an unknown dtype). */
size_t mdl_dtype_size(mdl_dtype dt);

/* Write n tensors to path atomically: to "path.tmp" first, fsync'ed, renamed
 * over path, then the directory fsync'ed, so that neither a failed write nor
 * a crash leaves a half-written file under path.  Each tensor's nbytes must
 * equal product(dims) * dtype size. */
off_status mdl_weights_write(const char *path, const mdl_tensor_rec *t, size_t n,
                             off_err *err);

/* Read and check path.  Errors name the path and what is wrong
 * ("truncated: tensor 'conv1.w' needs 3456 bytes, 120 left", "checksum
 * mismatch: the file is corrupt"): OFF_EIO when unreadable, OFF_EPARSE when
 * malformed. */
off_status mdl_weights_read(mdl_weights *w, const char *path, off_err *err);

/* The tensor named name, or NULL. */
const mdl_tensor_rec *mdl_weights_find(const mdl_weights *w, const char *name);

void mdl_weights_free(mdl_weights *w); /* NULL-safe, idempotent */

#endif /* MDL_WEIGHTS_H */
