/* test_mdl_model.c - the cost view of a layer-table model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "mdl.h"

static const mdl_layer layers[] = {{"conv1", 100, 4000, MDL_LAYER_CONV, 0},
                                   {"pool1", 10, 1000, MDL_LAYER_POOL, 0},
                                   {"conv2", 200, 800, MDL_LAYER_CONV, 0},
                                   {"fc", 50, 40, MDL_LAYER_FC, 0}};
static const mdl_exit exits[] = {{"e1", 2, 5, 0.7}, {"final", 4, 0, 0.9}};
static const int bits[] = {2, 4, 8, 32};

static void init(mdl_model *m)
{
    mdl_model_desc d = {"t", layers, 4, exits, 2, bits, 4, 784, 4};
    off_err e;
    assert_int_equal(mdl_model_init(m, &d, &e), OFF_OK);
}

static void test_work_splits_between_device_and_server(void **state)
{
    (void)state;
    mdl_model m;
    init(&m);
    /* final exit, split 0: all on the server */
    assert_true(mdl_device_macs(&m, 1, 0) == 0);
    assert_true(mdl_server_macs(&m, 1, 0) == 360);
    /* split 2: conv1 + pool1 on the device */
    assert_true(mdl_device_macs(&m, 1, 2) == 110);
    assert_true(mdl_server_macs(&m, 1, 2) == 250);
    /* local: everything on the device */
    assert_true(mdl_device_macs(&m, 1, 4) == 360);
    assert_true(mdl_server_macs(&m, 1, 4) == 0);
    /* early exit after pool1 with split 1: server runs pool1 and the branch */
    assert_true(mdl_device_macs(&m, 0, 1) == 100);
    assert_true(mdl_server_macs(&m, 0, 1) == 15);
    /* early exit with split >= 2: device runs up to the branch and the branch */
    assert_true(mdl_device_macs(&m, 0, 3) == 115);
    assert_true(mdl_is_local(&m, 0, 3));
    assert_int_equal(mdl_norm_split(&m, 0, 3), 2);
    mdl_model_free(&m);
    mdl_model_free(&m); /* idempotent */
}

static void test_payload_is_float_size_scaled_by_bits(void **state)
{
    (void)state;
    mdl_model m;
    init(&m);
    assert_true(mdl_payload_bytes(&m, 1, 0, 8) == 784);   /* raw input */
    assert_true(mdl_payload_bytes(&m, 1, 1, 32) == 4000); /* float32 */
    assert_true(mdl_payload_bytes(&m, 1, 1, 8) == 1000);
    assert_true(mdl_payload_bytes(&m, 1, 1, 2) == 250);
    assert_true(mdl_payload_bytes(&m, 1, 3, 4) == 100);
    assert_true(mdl_payload_bytes(&m, 1, 4, 8) == 0);     /* local */
    assert_int_equal(mdl_bits_index(&m, 8), 2);
    assert_int_equal(mdl_bits_index(&m, 6), -1);
    assert_int_equal(mdl_exit_index(&m, "final"), 1);
    assert_int_equal(mdl_exit_index(&m, "nope"), -1);
    mdl_model_free(&m);
}

static void test_invalid_descriptions_are_refused(void **state)
{
    (void)state;
    mdl_model m;
    off_err e;
    mdl_exit bad_order[] = {{"a", 3, 0, 0.5}, {"b", 2, 0, 0.6}};
    mdl_model_desc d = {"t", layers, 4, bad_order, 2, bits, 4, 784, 4};
    assert_int_equal(mdl_model_init(&m, &d, &e), OFF_EINVAL);
    mdl_exit not_last[] = {{"a", 3, 0, 0.5}};
    d.exits = not_last;
    d.n_exits = 1;
    assert_int_equal(mdl_model_init(&m, &d, &e), OFF_EINVAL);
    assert_non_null(strstr(e.msg, "last exit"));
    int badbits[] = {8, 4};
    d.exits = exits;
    d.n_exits = 2;
    d.bits = badbits;
    d.n_bits = 2;
    assert_int_equal(mdl_model_init(&m, &d, &e), OFF_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_work_splits_between_device_and_server),
        cmocka_unit_test(test_payload_is_float_size_scaled_by_bits),
        cmocka_unit_test(test_invalid_descriptions_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
