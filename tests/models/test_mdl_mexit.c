/*
 * test_mdl_mexit.c - the multi-exit CNN trained in C on the real
 * Fashion-MNIST: a short training run learns (both exits well above chance
 * on real test images), training is deterministic for a seed, and weights
 * round-trip through the weights file.  The full training (10 epochs,
 * `offsim models train mexit`) and its accuracies are in docs/models.md.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mdl_mexit.h"

static mdl_dataset tr, te;

static int setup(void **state)
{
    (void)state;
    off_err e;
    if (mdl_dataset_load_fashion(&tr, NULL, false, &e) != OFF_OK ||
        mdl_dataset_load_fashion(&te, NULL, true, &e) != OFF_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mdl_dataset_free(&tr);
    mdl_dataset_free(&te);
    return 0;
}

static void test_one_short_epoch_learns_both_exits(void **state)
{
    (void)state;
    mdl_mexit *net = mdl_mexit_new(64, 1);
    assert_non_null(net);
    double acc0[2], acc[2];
    mdl_mexit_eval(net, &te, 2000, acc0);
    mdl_mexit_train_cfg cfg = {1, 64, 6000, 1e-3f, 1e-4f, {0.5f, 1.0f}, 1, 0};
    off_err e;
    double t0 = off_wall_seconds();
    assert_int_equal(mdl_mexit_train(net, &tr, &cfg, &e), OFF_OK);
    mdl_mexit_eval(net, &te, 2000, acc);
    printf("  6,000 training images, 1 epoch (%.1f s): test accuracy on 2,000 images: "
           "early %.2f %% (untrained %.2f %%), final %.2f %% (untrained %.2f %%)\n",
           off_wall_seconds() - t0, acc[0] * 100, acc0[0] * 100, acc[1] * 100,
           acc0[1] * 100);
    assert_true(acc[0] > 0.70);
    assert_true(acc[1] > 0.70);
    assert_true(acc0[1] < 0.30);
    mdl_mexit_free(net);
}

static void test_training_is_deterministic_and_weights_round_trip(void **state)
{
    (void)state;
    mdl_mexit_train_cfg cfg = {2, 32, 320, 1e-3f, 1e-4f, {0.5f, 1.0f}, 7, 0};
    mdl_mexit *a = mdl_mexit_new(32, 7), *b = mdl_mexit_new(32, 7), *c = mdl_mexit_new(32, 8);
    off_err e;
    assert_int_equal(mdl_mexit_train(a, &tr, &cfg, &e), OFF_OK);
    assert_int_equal(mdl_mexit_train(b, &tr, &cfg, &e), OFF_OK);
    cfg.seed = 8;
    assert_int_equal(mdl_mexit_train(c, &tr, &cfg, &e), OFF_OK);
    size_t na, nb, nc;
    const float *pa = mdl_mexit_params(a, &na), *pb = mdl_mexit_params(b, &nb),
                *pc = mdl_mexit_params(c, &nc);
    assert_int_equal(na, nb);
    assert_memory_equal(pa, pb, na * sizeof(float));
    assert_true(memcmp(pa, pc, na * sizeof(float)) != 0);
    char dir[] = "/tmp/offsim-mexit-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/m.offw", dir);
    assert_int_equal(mdl_mexit_save(a, path, &e), OFF_OK);
    assert_int_equal(mdl_mexit_load(c, path, &e), OFF_OK);
    assert_memory_equal(pa, mdl_mexit_params(c, &nc), na * sizeof(float));
    unlink(path);
    rmdir(dir);
    mdl_mexit_free(a);
    mdl_mexit_free(b);
    mdl_mexit_free(c);
}

int main(void)
{
    struct stat sb;
    if (stat(MDL_FASHION_DIR, &sb) != 0 && !getenv("OFFSIM_FASHION_MNIST_DIR")) {
        printf("%s missing (package dataset-fashion-mnist): skipped\n", MDL_FASHION_DIR);
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_short_epoch_learns_both_exits),
        cmocka_unit_test(test_training_is_deterministic_and_weights_round_trip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
