/*
 * fashion_skip.h - tests that read the real Fashion-MNIST images pass with a
 * printed "skipped" where the data set is not installed (package
 * dataset-fashion-mnist), instead of failing on a machine set up without it.
 */
#ifndef FASHION_SKIP_H
#define FASHION_SKIP_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "mdl_data.h"

/* True (after printing why) when neither the packaged data set nor
 * $OFFSIM_FASHION_MNIST_DIR is there. */
static inline bool fashion_mnist_missing(void)
{
    struct stat sb;
    if (stat(MDL_FASHION_DIR, &sb) == 0 || getenv("OFFSIM_FASHION_MNIST_DIR"))
        return false;
    printf("%s missing (package dataset-fashion-mnist): skipped\n", MDL_FASHION_DIR);
    return true;
}

#endif /* FASHION_SKIP_H */
