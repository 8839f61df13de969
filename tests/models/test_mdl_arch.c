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
    assert_int_equal(n, 6);
    for (size_t i = 0; i < n; i++) {
        mdl_model m;
        double g = total_gmacs(a[i].name, &m);
        double rel = (g - a[i].published_gmacs) / a[i].published_gmacs;
        printf("  %-12s published %6.2f GMAC   counted %8.4f GMAC   (%+.1f %%)\n",
               a[i].name, a[i].published_gmacs, g, rel * 100);
        /* the literature rounds: AlexNet ~0.72, VGG-16 ~15.5, ResNet-50 ~4.1,
         * MobileNetV2 ~0.3 */
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
    assert_true(layer(&m, "conv_last")->out_bytes == 4.0 * 1280 * 7 * 7);
    assert_int_equal(m.n_exits, 1);
    assert_true(fabs(m.exits[0].accuracy - 0.71878) < 1e-9);
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
        cmocka_unit_test(test_unknown_architecture_lists_the_known_ones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
