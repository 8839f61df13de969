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
#include <stdint.h>

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

/* Sections an agent's checkpoint may carry after its own (the training
 * loop's state, policies/rl/pol_rl.c). */
#define POL_CKPT_MAX_EXTRA 4

/* n counters to and from 8 n bytes, little-endian (a U8 section). */
void pol_pack_u64(uint8_t *out, const uint64_t *v, size_t n);
void pol_unpack_u64(uint64_t *v, const uint8_t *in, size_t n);

/* kind: the agent (non-empty); arch: its shape, or NULL for none. */
off_status pol_ckpt_save(const char *path, const char *kind, const char *arch,
                         const pol_tensor *ts, size_t nt, off_err *err);
off_status pol_ckpt_load(const char *path, const char *kind, const char *arch,
                         const pol_tensor *ts, size_t nt, off_err *err);
/* The same for the first nt sections only: the file may hold more after
 * them (a training's state, which acting on the agent does not need). */
off_status pol_ckpt_load_first(const char *path, const char *kind, const char *arch,
                               const pol_tensor *ts, size_t nt, off_err *err);

/* The section t->name of path wherever it is, if there (*found 1): checked
 * against t's dtype and size, then copied to t->data.  Absent: *found 0,
 * OFF_OK.  For a section that older checkpoints do not have. */
off_status pol_ckpt_find(const char *path, const pol_tensor *t, int *found, off_err *err);

#endif /* POL_CKPT_H */
