/*
 * mdl_trained.h - a trained zoo model ready for the simulator: the graph
 * and its weights, the int8 graph after post-training quantization, the
 * Fashion-MNIST test set the tasks draw their images from, and the
 * persistent inference cache that answers (sample, split, bits) with every
 * exit's prediction and confidence and the payload bytes.
 *
 * The cache lives beside the weights file (mdl_cache_path: the weights'
 * path, a hash of the data and configuration, ".offc"); it is filled by
 * the int8 kernels on first use and saved by mdl_trained_close, so later
 * runs and sweeps only look records up.
 *
 * The cost view (mdl_trained_model) has the graph's layers and exits, the
 * bit-widths {2, 4, 6, 8, 32}, and as exit accuracies the int8 accuracy on
 * the whole test set (computed through the cache on open).
 *
 * Shared models.  Loading a model costs seconds of CPU (the training set
 * for calibration, quantization, the test set, the accuracy pass), more
 * than a short run; a sweep's worker runs many points of the same model.
 * mdl_trained_acquire returns the model already loaded in this process
 * when the same zoo name, weights file (path as named, and its device,
 * inode, size and modification time: a rewritten file is loaded anew) and
 * use_cache were acquired before, else opens it and keeps it in a
 * process-wide registry; mdl_trained_release (or mdl_trained_close) gives
 * the reference back and saves the inference cache, and the model stays
 * loaded for the next acquire.  mdl_trained_cache_clear frees the models
 * no one holds (tests, benchmarks; it also runs at exit).  A shared model
 * carries over from run to run only work whose result does not depend on
 * who did it first: the inference cache's records (one record is the same
 * bytes whichever run computed it, and a run sees the same answer from
 * the cache, the file or the kernels) and the payload table; so a run gives
 * the same numbers whether its model was loaded for it or before.  The
 * dataset is read from its usual place (mdl_dataset_load_fashion with no
 * directory) and is assumed not to change during the process.
 *
 * Not thread-safe: the registry, and a model (its cache fills lazily,
 * through one scratch context), are for one run at a time per process; a
 * sweep runs points in parallel as processes.  The fills below run threads
 * of their own inside one call (a scratch context each, the cache's puts
 * under a lock); the records they write do not depend on the thread count.
 */
#ifndef MDL_TRAINED_H
#define MDL_TRAINED_H

#include <stdbool.h>

#include "mdl.h"
#include "mdl_cache.h"
#include "mdl_graph.h"

#define MDL_TRAINED_CALIBRATION 2000 /* training images for PTQ */
#define MDL_TRAINED_PAYLOAD_PROFILE 32 /* images for the mean payload */

typedef struct mdl_trained mdl_trained;

/* Open zoo model `name` with the weights at weights_path (NULL = the
 * shipped file in zoo_dir).  use_cache: persist the cache beside the
 * weights (else memory only).  *warning (may be NULL) receives a message
 * to print when a cache file was damaged, else NULL. */
off_status mdl_trained_open(mdl_trained **out, const char *name, const char *weights_path,
                            const char *zoo_dir, bool use_cache, const char **warning,
                            off_err *err);
/* Save the cache (if anything new) and free; NULL-safe.  On a model from
 * mdl_trained_acquire this is mdl_trained_release. */
off_status mdl_trained_close(mdl_trained *t, off_err *err);

/* As mdl_trained_open, but shared: the model already loaded in this
 * process for the same name, weights file and use_cache (then *warning is
 * NULL: it was given to the first caller), else opened and registered.
 * If the weights file cannot be stat'ed the open is not shared (and
 * reports the error). */
off_status mdl_trained_acquire(mdl_trained **out, const char *name, const char *weights_path,
                               const char *zoo_dir, bool use_cache, const char **warning,
                               off_err *err);
/* Give back a reference from mdl_trained_acquire and save the cache (if
 * anything new); the model stays loaded.  NULL-safe; on a model from
 * mdl_trained_open this is mdl_trained_close. */
off_status mdl_trained_release(mdl_trained *t, off_err *err);
/* Free the registered models that no one holds; returns how many are still
 * held (and stay). */
size_t mdl_trained_cache_clear(void);

const mdl_model *mdl_trained_model(const mdl_trained *t);
const mdl_graph *mdl_trained_graph(const mdl_trained *t);
size_t mdl_trained_n_samples(const mdl_trained *t);
uint8_t mdl_trained_label(const mdl_trained *t, size_t sample);

/* The answer for test image `sample` with the split tensor at `split` sent
 * at `bits` (one of the model's bit-widths).  Cached. */
off_status mdl_trained_get(mdl_trained *t, size_t sample, size_t split, int bits,
                           mdl_cache_rec *r, off_err *err);

/* At most this many fill threads (more are capped). */
#define MDL_TRAINED_FILL_MAX_THREADS 256

/* Fill the cache with every record of test images first .. first + n - 1
 * (those not complete yet; the range is clipped to the test set), an image
 * at a time: the device's layers once per image for all its splits and
 * bit-widths.  The images are spread over `threads` threads (0 = one per
 * online core, 1 = the calling thread alone), taken one by one from a
 * shared counter; the cache ends with the same records, bit for bit,
 * whatever the thread count.  For building a complete cache ahead of the
 * runs that need it. */
off_status mdl_trained_fill_threads(mdl_trained *t, size_t first, size_t n, size_t threads,
                                    off_err *err);
/* mdl_trained_fill_threads on every online core. */
off_status mdl_trained_fill(mdl_trained *t, size_t first, size_t n, off_err *err);

/* As mdl_trained_open, and the cache made complete (every record of every
 * test image, on `threads` threads as mdl_trained_fill_threads) before
 * the accuracy pass, which then only looks records up: what `offsim models
 * cache` builds.  Not shared (the registry is mdl_trained_acquire's). */
off_status mdl_trained_open_filled(mdl_trained **out, const char *name,
                                   const char *weights_path, const char *zoo_dir,
                                   bool use_cache, size_t threads, const char **warning,
                                   off_err *err);

/* Whether the cache holds every record of every test image. */
bool mdl_trained_complete(const mdl_trained *t);

void mdl_trained_stats(const mdl_trained *t, mdl_cache_stats *s);

/* The mean bytes really sent (packed and compressed) at each (split,
 * bits[k]), [split * 5 + k] for split 0..L (0 at L), over the first
 * MDL_TRAINED_PAYLOAD_PROFILE test images: what a deployment measures
 * once, offline, for its cost predictor.  Computed at the first call
 * (about 0.1-0.8 s: one forward pass and the codec at every split and
 * bit-width per image), then kept. */
off_status mdl_trained_payload_mean(mdl_trained *t, const double **out, off_err *err);

#endif /* MDL_TRAINED_H */
