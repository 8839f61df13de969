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

/* Load an IDX image file (magic 0x00000803) and its IDX label file (magic
 * 0x00000801), gzip'd or plain (detected by content).  Everything is
 * checked: magic, element type, dimensions, exact length (a truncated file
 * or trailing bytes are errors), matching counts, labels 0..9.  Errors name
 * the file: OFF_EIO when it cannot be read, OFF_EPARSE when malformed. */
off_status mdl_dataset_load(mdl_dataset *ds, const char *images_path,
                            const char *labels_path, off_err *err);

/* Fashion-MNIST's training (60,000) or test (10,000) split from dir (NULL:
 * $OFFSIM_FASHION_MNIST_DIR if set, else MDL_FASHION_DIR). */
off_status mdl_dataset_load_fashion(mdl_dataset *ds, const char *dir, bool test_split,
                                    off_err *err);

void mdl_dataset_free(mdl_dataset *ds); /* NULL-safe, idempotent */

/* "T-shirt/top", "Trouser", ... for labels 0..9; "?" otherwise. */
const char *mdl_fashion_class_name(int label);

#endif /* MDL_DATA_H */
