/*
 * mdl_mexit.h - a small multi-exit CNN for 28x28 grey images (Fashion-MNIST),
 * trained in C with the layers of mdl_nn.h: BranchyNet-style joint training
 * of all exits with per-exit loss weights.
 *
 *   x (B,1,28,28)
 *   conv1 5x5 1->16 pad 2, ReLU, maxpool 2      -> a1 (B,16,14,14)
 *     exit "early": fc 3136->10                 -> logits (B,10)
 *   conv2 5x5 16->32 pad 2, ReLU, maxpool 2     -> a2 (B,32,7,7)
 *   fc1 1568->128, ReLU; fc2 128->10            -> exit "final"
 *
 * Parameters live in one allocation (llm.c style), in the order of
 * MDL_MEXIT_PARAMS; the weights file stores them by name.
 */
#ifndef MDL_MEXIT_H
#define MDL_MEXIT_H

#include <stddef.h>
#include <stdint.h>

#include "mdl_data.h"
#include "mdl_nn.h"
#include "off.h"

#define MDL_MEXIT_N_EXITS 2

typedef struct mdl_mexit mdl_mexit;

typedef struct mdl_mexit_train_cfg {
    size_t epochs, batch;
    size_t n_train;          /* use the first n training images (0 = all) */
    float lr, weight_decay;  /* AdamW */
    float exit_weight[MDL_MEXIT_N_EXITS];
    uint64_t seed;           /* initialisation and shuffling */
    int verbose;             /* print a line per epoch to stderr */
} mdl_mexit_train_cfg;

/* A network with He-initialised weights from seed, for batches up to
 * max_batch.  NULL on out of memory. */
mdl_mexit *mdl_mexit_new(size_t max_batch, uint64_t seed);
void mdl_mexit_free(mdl_mexit *net);

/* Train on ds (images 28x28).  Deterministic for a seed. */
off_status mdl_mexit_train(mdl_mexit *net, const mdl_dataset *ds,
                           const mdl_mexit_train_cfg *cfg, off_err *err);

/* Accuracy of each exit on the first n images of ds (0 = all). */
void mdl_mexit_eval(mdl_mexit *net, const mdl_dataset *ds, size_t n,
                    double acc[MDL_MEXIT_N_EXITS]);

/* Save / load the parameters as a weights file (mdl_weights.h). */
off_status mdl_mexit_save(const mdl_mexit *net, const char *path, off_err *err);
off_status mdl_mexit_load(mdl_mexit *net, const char *path, off_err *err);

/* The parameters, for tests (n floats). */
const float *mdl_mexit_params(const mdl_mexit *net, size_t *n);

#endif /* MDL_MEXIT_H */
