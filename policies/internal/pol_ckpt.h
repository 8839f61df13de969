/*
 * pol_ckpt.h - the learning agents' checkpoints, in the OFFW container of
 * models/mdl_weights.h: written atomically (temporary file, fsync, rename,
 * directory fsync), CRC-32 checked on read.
 *
 * A checkpoint's tensors, in order:
 *   "kind"   U8 blob, the agent that wrote it ("ppo", "sac-discrete")
 *   "arch"   U8 blob, the shape the sections fit ("obs=11 act=96 ..."),
 *            when the agent gives one
 *   the agent's sections, each a named rank-1 tensor: float32 networks and
 *   Adam moments, U8 or I32 blobs (a generator's state, packed counters,
 *   the replay).
 * Load checks the kind, the shape, then that the file holds exactly the
 * expected sections (names, dtypes, sizes, in order), and copies only when
 * everything matched: any mismatch is an error naming the file and what
 * was expected ("FILE: a ppo checkpoint, expected sac-discrete") and leaves
 * the destination untouched.  Errors are OFF_EIO when the file cannot be
 * read or written, OFF_EINVAL otherwise.
 *
 * The earlier format of the agents ("OFFPOLCK" magic) is recognised and
 * refused with a message that says so.
 */
#ifndef POL_CKPT_H
#define POL_CKPT_H

#include <stddef.h>

#include "mdl_weights.h"
#include "off.h"

/* One section: n elements of dtype at data (1 <= n <= UINT32_MAX; the name
 * 1 to 63 bytes).  dtype left out of an initialiser is MDL_DT_F32. */
typedef struct pol_tensor {
    const char *name;
    void *data;
    size_t n;
    mdl_dtype dtype;
} pol_tensor;

/* kind: the agent (non-empty); arch: its shape, or NULL for none. */
off_status pol_ckpt_save(const char *path, const char *kind, const char *arch,
                         const pol_tensor *ts, size_t nt, off_err *err);
off_status pol_ckpt_load(const char *path, const char *kind, const char *arch,
                         const pol_tensor *ts, size_t nt, off_err *err);

#endif /* POL_CKPT_H */
