/*
 * mdl_data.h - datasets: Fashion-MNIST from Debian's dataset-fashion-mnist
 * package (IDX files, gzip'd), loaded whole into memory.
 */
#ifndef MDL_DATA_H
#define MDL_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "off.h"

#define MDL_FASHION_DIR "/usr/share/datasets/fashion-mnist"

typedef struct mdl_dataset {
    size_t n, rows, cols;  /* n images of rows x cols                      */
    uint8_t *images;       /* n*rows*cols grey levels, row-major, 0..255    */
    uint8_t *labels;       /* n labels, 0..9                                */
} mdl_dataset;

/* Load an IDX image file (magic 0x00000803: unsigned bytes, 3 dimensions
 * n x rows x cols) and its IDX label file (magic 0x00000801: n bytes),
 * gzip'd or plain (zlib detects the gzip magic 1f 8b by content).
 * Everything is checked: magic, element type, number of dimensions,
 * dimensions (nonzero, at most 2^31 elements, checked before allocating),
 * exact length (a truncated file or trailing bytes are errors), the gzip
 * stream's integrity (checksum, a cut-short stream), matching counts,
 * labels 0..9.  On success ds owns two malloc'd buffers (mdl_dataset_free).
 * On error ds is zeroed (nothing to free) and err names the file and says
 * what was expected: OFF_EIO when a file cannot be opened, OFF_EPARSE when
 * it is malformed, OFF_ENOMEM.  Known limit: bytes after the last gzip
 * member are skipped by zlib, not reported. */
off_status mdl_dataset_load(mdl_dataset *ds, const char *images_path,
                            const char *labels_path, off_err *err);

/* Fashion-MNIST's training (60,000) or test (10,000) split, 28x28, from
 * dir/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz; dir NULL means
 * $OFFSIM_FASHION_MNIST_DIR if set and non-empty, else MDL_FASHION_DIR.
 * As mdl_dataset_load; a missing file's error also says where the files
 * come from (Debian package dataset-fashion-mnist, or the variable);
 * OFF_EINVAL when dir is too long for a path. */
off_status mdl_dataset_load_fashion(mdl_dataset *ds, const char *dir, bool test_split,
                                    off_err *err);

/* Free ds's buffers and zero it.  NULL-safe, idempotent. */
void mdl_dataset_free(mdl_dataset *ds);

/* "T-shirt/top", "Trouser", ... for labels 0..9; "?" otherwise.  Static
 * strings, never NULL. */
const char *mdl_fashion_class_name(int label);

#endif /* MDL_DATA_H */
