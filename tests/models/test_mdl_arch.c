/*
 * test_mdl_arch.c - architecture-only models: total MACs against the
 * published figures and layer shapes against the papers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mdl_arch.h"

static double total_gmacs(const char *name, mdl_model *m)
{
    off_err e;
    assert_int_equal(mdl_arch_build(m, name, &e), OFF_OK);
    return m->prefix_macs[m->n_layers] / 1e9;
}

static const mdl_layer *layer(const mdl_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_layers; i++)
        if (strcmp(m->layers[i].name, name) == 0)
            return &m->layers[i];
    fail_msg("no layer %s", name);
    return NULL;
}

static void test_total_macs_match_published_figures(void **state)
{
    (void)state;
    size_t n;
    const mdl_arch_info *a = mdl_arch_list(&n);
    assert_int_equal(n, 7);
    for (size_t i = 0; i < n; i++) {
        mdl_model m;
        double g = total_gmacs(a[i].name, &m);
        double rel = (g - a[i].published_gmacs) / a[i].published_gmacs;
        printf("  %-12s published %6.2f GMAC   counted %8.4f GMAC   (%+.1f %%)\n",
               a[i].name, a[i].published_gmacs, g, rel * 100);
        /* the literature rounds: AlexNet ~0.72, VGG-16 ~15.5, ResNet-50 ~4.1,
         * MobileNetV2 ~0.3; B-AlexNet has no published total (see below) */
        assert_true(fabs(rel) < 0.02);
        mdl_model_free(&m);
    }
}

static void test_layer_shapes_follow_the_papers(void **state)
{
    (void)state;
    mdl_model m;
    total_gmacs("alexnet", &m);
    /* conv1 64x55x55; pool5 256x6x6 = the 9216 inputs of fc6 */
    assert_true(layer(&m, "conv1")->out_bytes == 4.0 * 64 * 55 * 55);
    assert_true(layer(&m, "pool5")->out_bytes == 4.0 * 9216);
    assert_true(layer(&m, "fc6")->macs == 9216.0 * 4096);
    assert_int_equal(layer(&m, "conv1")->kind, MDL_LAYER_CONV);
    assert_int_equal(layer(&m, "pool5")->kind, MDL_LAYER_POOL);
    assert_int_equal(layer(&m, "fc6")->kind, MDL_LAYER_FC);
    assert_true(layer(&m, "fc6")->params == 9216.0 * 4096 + 4096);
    assert_true(m.input_bytes == 3 * 224 * 224);
    mdl_model_free(&m);
    total_gmacs("vgg16", &m);
    assert_int_equal(m.n_layers, 21); /* 13 conv + 5 pool + 3 fc */
    assert_true(layer(&m, "conv1_1")->macs == 224.0 * 224 * 64 * 9 * 3);
    assert_true(layer(&m, "pool5")->out_bytes == 4.0 * 512 * 7 * 7);
    mdl_model_free(&m);
    total_gmacs("resnet50", &m);
    assert_int_equal(m.n_layers, 2 + 16 + 1); /* stem, 16 bottlenecks, fc */
    assert_true(layer(&m, "layer4.2")->out_bytes == 4.0 * 2048 * 7 * 7);
    assert_true(layer(&m, "layer1.0")->out_bytes == 4.0 * 256 * 56 * 56);
    mdl_model_free(&m);
    total_gmacs("mobilenetv2", &m);
    assert_true(layer(&m, "block17")->out_bytes == 4.0 * 320 * 7 * 7);
    assert_int_equal(layer(&m, "block17")->kind, MDL_LAYER_DWCONV);
    assert_true(layer(&m, "conv_last")->out_bytes == 4.0 * 1280 * 7 * 7);
    assert_int_equal(m.n_exits, 1);
    assert_true(fabs(m.exits[0].accuracy - 0.71878) < 1e-9);
    mdl_model_free(&m);
}

/* Parameter counts are torchvision's (weights, biases, BN gamma and beta):
 * the numbers its model cards quote. */
static void test_params_match_torchvision_counts(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        double params;
    } want[] = {{"alexnet", 61100840},   {"vgg11", 132863336},   {"vgg16", 138357544},
                {"resnet18", 11689512},  {"resnet50", 25557032}, {"mobilenetv2", 3504872}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        mdl_model m;
        total_gmacs(want[i].name, &m);
        double p = 0;
        for (size_t l = 0; l < m.n_layers; l++)
            p += m.layers[l].params;
        printf("  %-12s torchvision %10.0f params   counted %10.0f\n", want[i].name,
               want[i].params, p);
        assert_true(p == want[i].params);
        mdl_model_free(&m);
    }
}

/* B-AlexNet (BranchyNet, CIFAR-10), by hand.  Chainer's pools round up:
 * 32 -> 16 -> 8 -> 4 on the trunk.
 *   conv1 5x5 3->32 at 32x32 : 32*32 * 32 * 25*3  =  2 457 600
 *   conv2 5x5 32->64 at 16x16: 16*16 * 64 * 25*32 = 13 107 200
 *   conv3 3x3 64->96 at 8x8  :  8*8  * 96 *  9*64 =  3 538 944
 *   conv4 3x3 96->96 at 8x8  :  8*8  * 96 *  9*96 =  5 308 416
 *   conv5 3x3 96->64 at 8x8  :  8*8  * 64 *  9*96 =  3 538 944
 *   pool5 -> 64x4x4 = 1024                          =          0
 *   fc1 1024->256 = 262 144, fc2 256->128 = 32 768, fc3 128->10 = 1 280
 *   backbone total                                  = 28 247 296
 * branch 1 on conv2's 64x16x16: pool -> 8x8, conv3x3 64->32 (8*8*32*9*64
 *   = 1 179 648), conv3x3 32->32 (8*8*32*9*32 = 589 824), pool -> 32x4x4
 *   = 512, fc 512->10 (5 120): 1 774 592
 * branch 2 on conv3's 96x8x8: pool -> 4x4, conv3x3 96->32 (4*4*32*9*96 =
 *   442 368), pool -> 32x2x2 = 128, fc 128->10 (1 280): 443 648
 * params: conv1 2 432, conv2 51 264, conv3 55 392, conv4 83 040, conv5
 *   55 360, fc1 262 400, fc2 32 896, fc3 1 290: 544 074 */
static void test_b_alexnet_counts_by_hand(void **state)
{
    (void)state;
    mdl_model m;
    total_gmacs("b-alexnet", &m);
    static const char *const names[] = {"conv1", "conv2", "conv3", "conv4", "conv5",
                                        "pool5", "fc1",   "fc2",   "fc3"};
    static const double macs[] = {2457600, 13107200, 3538944, 5308416, 3538944,
                                  0,       262144,   32768,   1280};
    static const mdl_layer_kind kinds[] = {MDL_LAYER_CONV, MDL_LAYER_CONV, MDL_LAYER_CONV,
                                           MDL_LAYER_CONV, MDL_LAYER_CONV, MDL_LAYER_POOL,
                                           MDL_LAYER_FC,   MDL_LAYER_FC,   MDL_LAYER_FC};
    assert_int_equal(m.n_layers, 9);
    double params = 0;
    for (size_t i = 0; i < 9; i++) {
        assert_string_equal(m.layers[i].name, names[i]);
        assert_true(m.layers[i].macs == macs[i]);
        assert_int_equal(m.layers[i].kind, kinds[i]);
        params += m.layers[i].params;
    }
    printf("  b-alexnet    hand 28247296 MAC   counted %.0f MAC; exits %.0f, %.0f MAC\n",
           m.prefix_macs[9], m.exits[0].macs, m.exits[1].macs);
    assert_true(m.prefix_macs[9] == 28247296.0);
    assert_true(params == 544074.0);
    assert_true(layer(&m, "conv1")->out_bytes == 4.0 * 32 * 32 * 32);
    assert_true(layer(&m, "conv2")->out_bytes == 4.0 * 64 * 16 * 16);
    assert_true(layer(&m, "pool5")->out_bytes == 4.0 * 1024);
    assert_true(layer(&m, "fc1")->macs == 1024.0 * 256);
    assert_true(m.input_bytes == 3 * 32 * 32);
    assert_int_equal(m.n_exits, 3);
    assert_string_equal(m.exits[0].name, "exit1");
    assert_int_equal(m.exits[0].after, 2); /* after conv2 */
    assert_true(m.exits[0].macs == 1774592.0);
    assert_int_equal(m.exits[1].after, 3); /* after conv3 */
    assert_true(m.exits[1].macs == 443648.0);
    assert_int_equal(m.exits[2].after, 9);
    assert_true(m.exits[2].macs == 0);
    assert_true(fabs(m.exits[2].accuracy - 0.7838) < 1e-12);
    mdl_model_free(&m);
}

static void test_unknown_architecture_lists_the_known_ones(void **state)
{
    (void)state;
    mdl_model m;
    off_err e;
    assert_int_equal(mdl_arch_build(&m, "vgg19", &e), OFF_EINVAL);
    assert_non_null(strstr(e.msg, "unknown architecture 'vgg19'; architectures: alexnet"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_total_macs_match_published_figures),
        cmocka_unit_test(test_layer_shapes_follow_the_papers),
        cmocka_unit_test(test_params_match_torchvision_counts),
        cmocka_unit_test(test_b_alexnet_counts_by_hand),
        cmocka_unit_test(test_unknown_architecture_lists_the_known_ones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
