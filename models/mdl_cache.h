/*
 * mdl_cache.h - the inference cache: what a real quantized forward pass
 * answered for one (sample, split, bit-width), kept so that it is computed
 * once per model and dataset and then reused by every run and sweep.
 *
 * Key and record.  For one model (its weights' CRC), one dataset (a hash of
 * its samples) and one configuration (a hash of the bit-width list and
 * whatever else the numbers depend on), the cache is a dense table indexed by
 *
 *   i = (sample * n_splits + split) * n_bits + bits_idx
 *
 * whose records hold, per exit, the predicted class, the maximum softmax
 * probability and the normalised entropy, plus the uplink payload in bytes.
 * A record is computed on first use by a fill callback (the kernels) and is
 * valid from then on; a validity bitmap says which records exist.  A warm
 * lookup is an index computation, a bit test and a copy of n_exits entries:
 * no hashing, no allocation, no branches on strings.
 *
 * In memory a record takes 4 + 9 n_exits bytes rounded up to a multiple of 4
 * (24 bytes for two exits), not sizeof(mdl_cache_rec) = 76: a 10,000-sample
 * table with 12 splits and 5 bit-widths is 14 MB rather than 46 MB, per
 * process of a sweep, and fewer cache lines per lookup.  That is why
 * mdl_cache_get copies the record out instead of returning a pointer.
 * Records are sample-major, so one sample's records are contiguous.  Costs
 * are in bench/RESULTS.md ("Inference cache").
 *
 * Persistence.  mdl_cache_open loads the file at path when it matches the
 * dims exactly; mdl_cache_save writes the table back if anything was added.
 * What happens at open (mdl_cache_load_state tells the caller which):
 *
 *   no path                 MDL_CACHE_MEMORY   memory only, save is a no-op
 *   no file                 MDL_CACHE_MISSING  empty; created on save
 *   file matches the dims   MDL_CACHE_LOADED   its records are valid
 *   file for other dims     MDL_CACHE_STALE    ignored, replaced on save: this
 *     (model CRC, data or                      is the invalidation when the
 *     config hash, counts,                     model, the data or the
 *     or format version)                       configuration change
 *   file damaged            MDL_CACHE_CORRUPT  ignored, replaced on save; the
 *     (bad magic, bad CRC,                     reason is a one-line message
 *     truncated, trailing                      ("PATH: ...") that the caller
 *     bytes, inconsistent)                     should print as a warning
 *
 * A stale or corrupt file is not an error (open returns OFF_OK): the cache
 * only saves work, and every number can be recomputed.  An existing file
 * that cannot be read at all (permissions, a directory) is an error
 * (OFF_EIO), since a later save would fail too.  Every field of the file is
 * checked before it is used and nothing is allocated from a size the file
 * states, so a hostile file cannot crash or exhaust the process.
 *
 * Saving writes "PATH.<pid>.<n>.tmp", fsyncs it, renames it over PATH and
 * fsyncs the directory: readers see the old file or the new one, never a torn
 * one, even with several processes saving at once.  Before writing, save
 * merges in the records of the file currently at PATH (when it matches the
 * dims), so processes of a sweep that share a cache keep each other's work.
 * Known limit: without a lock, two saves that overlap in time can each miss
 * the other's new records (the later rename wins); those records are then
 * recomputed by a later run.  Records are deterministic (same model, data,
 * configuration and bit-exact kernels give the same bytes), so merging never
 * mixes different answers.
 *
 * File format, version 1 (integers little-endian, floats IEEE-754 binary32
 * stored as their little-endian bit patterns):
 *
 *   offset size  field
 *   0      4     magic "OFFC"
 *   4      4     u32 version (1)
 *   8      4     u32 model_crc
 *   12     4     u32 n_samples              >= 1
 *   16     4     u32 n_splits               >= 1
 *   20     4     u32 n_bits                 >= 1
 *   24     4     u32 n_exits                1..MDL_CACHE_MAX_EXITS
 *   28     4     u32 record bytes D         = 4 + 9 n_exits
 *   32     8     u64 data_hash
 *   40     8     u64 cfg_hash
 *   48     8     u64 n_valid                records present, <= N
 *   56     4     u32 reserved (0)
 *   60     4     u32 CRC-32 (zlib) of bytes 0..59
 *   64     B     validity bitmap, B = ceil(N / 8), N = n_samples n_splits
 *                n_bits; record i is bit (i mod 8) of byte i / 8; the
 *                bits past N are 0 and exactly n_valid bits are set
 *   64+B   n_valid * D   the valid records in increasing i, each:
 *                  u32 payload, f32 max_prob[n_exits],
 *                  f32 entropy[n_exits], u8 pred[n_exits]
 *   end-4  4     u32 CRC-32 (zlib) of the bitmap and the records
 *
 * The header has its own CRC so that damage to it reads as corrupt, not as
 * stale; the file's size must be exactly 64 + B + n_valid D + 4.
 *
 * Not thread-safe: one cache per thread (a sweep's runs are processes or
 * threads with their own caches, sharing only the file).
 */
#ifndef MDL_CACHE_H
#define MDL_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "off.h"

#define MDL_CACHE_MAX_EXITS 8
#define MDL_CACHE_VERSION 1

/* One (sample, split, bits) result.  Entries for exits >= n_exits are 0. */
typedef struct mdl_cache_rec {
    uint32_t payload;                    /* bytes on the uplink (0 = local) */
    uint8_t pred[MDL_CACHE_MAX_EXITS];   /* predicted class per exit */
    float max_prob[MDL_CACHE_MAX_EXITS]; /* maximum softmax probability */
    float entropy[MDL_CACHE_MAX_EXITS];  /* normalised entropy, 0..1 */
} mdl_cache_rec;

/* What the records depend on: a file is used only if all of these match. */
typedef struct mdl_cache_dims {
    uint32_t model_crc;  /* the weights' CRC (mdl_weights.crc) */
    uint64_t data_hash;  /* identity of the dataset's samples, in order
                          * (e.g. off_hash_bytes over images and labels) */
    uint64_t cfg_hash;   /* anything else the records depend on: the bit-width
                          * each bits_idx stands for, split definitions,
                          * compression, a kernel-semantics version; 0 if none */
    uint32_t n_samples, n_splits, n_bits; /* each >= 1 */
    uint32_t n_exits;    /* 1..MDL_CACHE_MAX_EXITS */
} mdl_cache_dims;

/* Compute the record of (sample, split, bits_idx) into *out (zeroed by the
 * cache before the call).  Return OFF_OK, or a status with err set; err is
 * never NULL.  The record is stored only on OFF_OK. */
typedef off_status (*mdl_cache_fill_fn)(void *ctx, uint32_t sample, uint32_t split,
                                        uint32_t bits_idx, mdl_cache_rec *out,
                                        off_err *err);

typedef enum mdl_cache_load {
    MDL_CACHE_MEMORY = 0, /* opened without a path */
    MDL_CACHE_MISSING,    /* no file at path: empty */
    MDL_CACHE_LOADED,     /* the file's records were loaded */
    MDL_CACHE_STALE,      /* the file was for other dims: empty */
    MDL_CACHE_CORRUPT,    /* the file was damaged: empty, warn the user */
} mdl_cache_load;

typedef struct mdl_cache_stats {
    uint64_t hits;      /* gets answered from the table */
    uint64_t misses;    /* gets that called fill (whether or not it succeeded) */
    uint64_t n_valid;   /* records present now */
    uint64_t n_records; /* size of the dense table, N */
    uint64_t n_loaded;  /* records read from the file at open */
    uint64_t n_new;     /* records added since open or the last save */
} mdl_cache_stats;

typedef struct mdl_cache mdl_cache;

/* Open a cache with dims d and fill callback fill(ctx, ...), loading the file
 * at path (NULL = memory only) as described above.  fill may be NULL: a miss
 * is then an error.  Errors: OFF_EINVAL for bad dims, OFF_ENOMEM, OFF_EIO if
 * an existing file cannot be read.  *out is NULL on error. */
off_status mdl_cache_open(mdl_cache **out, const char *path, const mdl_cache_dims *d,
                          mdl_cache_fill_fn fill, void *ctx, off_err *err);

/* Copy the record of (sample, split, bits_idx) into *out, computing it with
 * fill on a miss.  Errors: OFF_EINVAL for a key out of range (fill is not
 * called), OFF_ERUNTIME on a miss without a fill callback, or fill's own
 * status and message.  *out is unchanged on error.  No allocation. */
off_status mdl_cache_get(mdl_cache *c, uint32_t sample, uint32_t split,
                         uint32_t bits_idx, mdl_cache_rec *out, off_err *err);

/* Whether the record of (sample, split, bits_idx) is present (false for a
 * key out of range).  Counts neither a hit nor a miss. */
bool mdl_cache_has(const mdl_cache *c, uint32_t sample, uint32_t split, uint32_t bits_idx);

/* Store *r as the record of (sample, split, bits_idx) unless one is there:
 * for a fill callback that computes several records at once (all of one
 * sample's) and hands the cache the ones it was not asked for, or a
 * warm-up outside any lookup.  r must be what fill would compute for that
 * key.  Counts neither a hit nor a miss; true if stored, false if the key
 * is out of range or the record was present. */
bool mdl_cache_put(mdl_cache *c, uint32_t sample, uint32_t split, uint32_t bits_idx,
                   const mdl_cache_rec *r);

/* Write the table to the path given at open if records were added since
 * open or the last save (otherwise, and for a memory-only cache, do
 * nothing).  Merges the file's records first (see above).  OFF_EIO when the
 * file cannot be written; the records stay in memory and the cache can be
 * saved again. */
off_status mdl_cache_save(mdl_cache *c, off_err *err);

/* How open found the file; *why (may be NULL) receives a one-line reason for
 * STALE and CORRUPT (starting with the path), else "". */
mdl_cache_load mdl_cache_load_state(const mdl_cache *c, const char **why);

/* Short name of a load state ("loaded", "stale", ...). */
const char *mdl_cache_load_str(mdl_cache_load s);

void mdl_cache_get_stats(const mdl_cache *c, mdl_cache_stats *s);

/* Close without saving.  NULL-safe. */
void mdl_cache_close(mdl_cache *c);

/* The conventional cache path beside a model file:
 * "<model_path>.<16 hex digits>.offc", the digits a hash of d's data_hash
 * and cfg_hash, so that one model used on two datasets or with two bit-width
 * lists keeps two caches instead of invalidating one back and forth (a new
 * model_crc reuses, and replaces, the same file).  OFF_EINVAL if the path
 * does not fit in cap bytes. */
off_status mdl_cache_path(char *buf, size_t cap, const char *model_path,
                          const mdl_cache_dims *d, off_err *err);

#endif /* MDL_CACHE_H */
