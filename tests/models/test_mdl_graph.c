/*
 * test_mdl_graph.c - multi-exit layer graphs trained in C on the real
 * Fashion-MNIST: shapes and checks of the specification, a gradient check
 * of the whole graph (conv, grouped conv, max/avg pooling, ReLU/ReLU6, fully
 * connected, two exits) against finite differences, a short training run
 * that learns (every exit well above chance on real test images),
 * determinism for a seed, and the weights round trip.  The full trainings
 * (`offsim models train NAME`) and their accuracies are in docs/models.md.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mdl_graph.h"
#include "mdl_nn.h"
#include "fashion_skip.h"

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

static void test_zoo_shapes(void **state)
{
    (void)state;
    off_err e;
    mdl_graph g;
    const mdl_gspec *sp = mdl_zoo_graph("alexnet-mx");
    assert_non_null(sp);
    assert_int_equal(mdl_graph_init(&g, sp, &e), OFF_OK);
    assert_true(sp->n_exits >= 3);
    assert_true(sp->n_layers + 1 >= 6); /* split points 0..L */
    /* pool5: 64 x 3 x 3 = 576 features into fc6 */
    assert_int_equal(g.node[7].out_c * g.node[7].out_h * g.node[7].out_w, 576);
    /* conv4: 7*7*96*(96*9) MACs */
    assert_true(g.node[5].macs == 7.0 * 7 * 96 * 96 * 9);
    mdl_model m;
    double acc[3] = {0.8, 0.9, 0.91};
    assert_int_equal(mdl_graph_cost_model(&g, acc, &m, &e), OFF_OK);
    assert_int_equal(m.n_layers, 11);
    assert_true(m.exits[0].macs == 14.0 * 14 * 32 * 10);
    assert_true(m.layers[1].out_bytes == 4.0 * 32 * 14 * 14);
    mdl_model_free(&m);
    mdl_graph_free(&g);
    assert_null(mdl_zoo_graph("nope"));
}

static void test_bad_specs(void **state)
{
    (void)state;
    static const mdl_gspec_layer big[] = {{"c", MDL_OP_CONV, 4, 9, 1, 0, 1, MDL_ACT_RELU}};
    static const mdl_gspec_layer ok[] = {{"f", MDL_OP_FC, 10, 0, 0, 0, 0, MDL_ACT_NONE}};
    static const mdl_gspec_layer dup[] = {{"f", MDL_OP_FC, 10, 0, 0, 0, 0, MDL_ACT_RELU},
                                          {"f", MDL_OP_FC, 10, 0, 0, 0, 0, MDL_ACT_NONE}};
    static const mdl_gspec_exit fin[] = {{"final", 1, NULL, 0, 1}};
    static const mdl_gspec_exit fin2[] = {{"final", 2, NULL, 0, 1}};
    static const mdl_gspec_exit early_empty[] = {{"e", 1, NULL, 0, 1}, {"final", 2, NULL, 0, 1}};
    mdl_gspec s = {"t", "", "", 1, 4, 4, 10, big, 1, fin, 1, 1, 1, 0, 0};
    mdl_graph g;
    off_err e;
    assert_int_equal(mdl_graph_init(&g, &s, &e), OFF_EINVAL);
    assert_non_null(strstr(e.msg, "convolution 'c'"));
    s.layers = dup;
    s.n_layers = 2;
    s.exits = fin2;
    assert_int_equal(mdl_graph_init(&g, &s, &e), OFF_EINVAL);
    assert_non_null(strstr(e.msg, "two layers named 'f'"));
    s.layers = ok;
    s.n_layers = 1;
    s.n_classes = 3;
    s.exits = fin;
    assert_int_equal(mdl_graph_init(&g, &s, &e), OFF_EINVAL);
    assert_non_null(strstr(e.msg, "10 values for 3 classes"));
    s.n_classes = 10;
    s.exits = early_empty;
    s.n_exits = 2;
    assert_int_equal(mdl_graph_init(&g, &s, &e), OFF_EINVAL);
    assert_non_null(strstr(e.msg, "exit 'e'"));
}

/* A small graph with every layer kind, checked by central differences. */
static void test_gradient_check(void **state)
{
    (void)state;
    static const mdl_gspec_layer bb[] = {
        {"c1", MDL_OP_CONV, 4, 3, 1, 1, 1, MDL_ACT_RELU},
        {"p1", MDL_OP_MAXPOOL, 0, 2, 2, 0, 0, MDL_ACT_NONE},
        {"c2", MDL_OP_CONV, 4, 3, 1, 1, 2, MDL_ACT_RELU6},
        {"p2", MDL_OP_AVGPOOL, 0, 2, 2, 0, 0, MDL_ACT_NONE},
        {"f1", MDL_OP_FC, 8, 0, 0, 0, 0, MDL_ACT_RELU},
        {"f2", MDL_OP_FC, 3, 0, 0, 0, 0, MDL_ACT_NONE},
    };
    static const mdl_gspec_layer br[] = {{"e1", MDL_OP_FC, 3, 0, 0, 0, 0, MDL_ACT_NONE}};
    static const mdl_gspec_exit ex[] = {{"e", 2, br, 1, 0.5f}, {"final", 6, NULL, 0, 1.0f}};
    mdl_gspec s = {"grad", "", "", 2, 8, 8, 3, bb, 6, ex, 2, 1, 4, 0, 0};
    mdl_graph g;
    off_err e;
    assert_int_equal(mdl_graph_init(&g, &s, &e), OFF_OK);
    mdl_graph_init_params(&g, 3);
    for (size_t i = 0; i < g.n_params; i++) /* biases off zero: ReLU kinks move */
        g.params[i] += 0.01f * (float)((i * 7919) % 13) - 0.06f;
    mdl_trainer *t = mdl_trainer_new(&g, 4);
    assert_non_null(t);
    uint8_t img[4 * 128], lab[4] = {0, 1, 2, 1};
    mdl_rng r = {11};
    for (size_t i = 0; i < sizeof img; i++)
        img[i] = (uint8_t)(mdl_rng_next(&r) & 255);
    float *grad = malloc(g.n_params * sizeof(float));
    float *scratch = malloc(g.n_params * sizeof(float));
    mdl_trainer_loss_grad(t, img, lab, 4, grad);
    size_t checked = 0, bad = 0;
    double worst = 0;
    for (size_t i = 0; i < g.n_params; i += 3) {
        float p0 = g.params[i];
        const float h = 1e-2f;
        g.params[i] = p0 + h;
        double lp = mdl_trainer_loss_grad(t, img, lab, 4, scratch);
        g.params[i] = p0 - h;
        double lm = mdl_trainer_loss_grad(t, img, lab, 4, scratch);
        g.params[i] = p0;
        double num = (lp - lm) / (2.0 * h), ana = grad[i];
        double rel = fabs(num - ana) / fmax(1e-3, fabs(num) + fabs(ana));
        worst = fmax(worst, rel);
        bad += rel > 0.05; /* a ReLU or max kink crossed by +-h */
        checked++;
    }
    printf("  %zu parameters checked, %zu beyond 5 %% (kinks), worst relative error %.3g\n",
           checked, bad, worst);
    assert_true(checked > 50);
    assert_true(bad * 20 < checked);
    free(grad);
    free(scratch);
    mdl_trainer_free(t);
    mdl_graph_free(&g);
}

static void test_one_short_epoch_learns_every_exit(void **state)
{
    (void)state;
    mdl_graph g;
    off_err e;
    assert_int_equal(mdl_graph_init(&g, mdl_zoo_graph("mexit"), &e), OFF_OK);
    mdl_graph_init_params(&g, 1);
    mdl_trainer *t = mdl_trainer_new(&g, 64);
    assert_non_null(t);
    double acc0[MDL_GRAPH_MAX_EXITS], acc[MDL_GRAPH_MAX_EXITS];
    mdl_graph_eval(t, &te, 2000, acc0);
    mdl_train_cfg cfg = {1, 64, 6000, 1e-3f, 1e-4f, 1, 0};
    double t0 = off_wall_seconds();
    assert_int_equal(mdl_graph_train(t, &tr, &cfg, &e), OFF_OK);
    mdl_graph_eval(t, &te, 2000, acc);
    printf("  6,000 training images, 1 epoch (%.1f s): test accuracy on 2,000 images: "
           "early %.2f %% (untrained %.2f %%), final %.2f %% (untrained %.2f %%)\n",
           off_wall_seconds() - t0, acc[0] * 100, acc0[0] * 100, acc[1] * 100,
           acc0[1] * 100);
    assert_true(acc[0] > 0.70);
    assert_true(acc[1] > 0.70);
    assert_true(acc0[1] < 0.30);
    mdl_trainer_free(t);
    mdl_graph_free(&g);
}

static void train_small(mdl_graph *g, uint64_t seed)
{
    off_err e;
    assert_int_equal(mdl_graph_init(g, mdl_zoo_graph("mexit"), &e), OFF_OK);
    mdl_graph_init_params(g, seed);
    mdl_trainer *t = mdl_trainer_new(g, 32);
    mdl_train_cfg cfg = {2, 32, 320, 1e-3f, 1e-4f, seed, 0};
    assert_int_equal(mdl_graph_train(t, &tr, &cfg, &e), OFF_OK);
    mdl_trainer_free(t);
}

static void test_training_is_deterministic_and_weights_round_trip(void **state)
{
    (void)state;
    mdl_graph a, b, c;
    train_small(&a, 7);
    train_small(&b, 7);
    train_small(&c, 8);
    assert_memory_equal(a.params, b.params, a.n_params * sizeof(float));
    assert_true(memcmp(a.params, c.params, a.n_params * sizeof(float)) != 0);
    char dir[] = "/tmp/offsim-graph-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/m.offw", dir);
    off_err e;
    assert_int_equal(mdl_graph_save(&a, path, &e), OFF_OK);
    assert_int_equal(mdl_graph_load(&c, path, &e), OFF_OK);
    assert_memory_equal(a.params, c.params, a.n_params * sizeof(float));
    assert_true(c.crc != 0);
    /* the weights of another model are refused by name */
    mdl_graph x;
    assert_int_equal(mdl_graph_init(&x, mdl_zoo_graph("alexnet-mx"), &e), OFF_OK);
    assert_int_equal(mdl_graph_load(&x, path, &e), OFF_EPARSE);
    assert_non_null(strstr(e.msg, "missing or has the wrong shape"));
    unlink(path);
    rmdir(dir);
    mdl_graph_free(&x);
    mdl_graph_free(&a);
    mdl_graph_free(&b);
    mdl_graph_free(&c);
}

int main(void)
{
    if (fashion_mnist_missing())
        return 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zoo_shapes),
        cmocka_unit_test(test_bad_specs),
        cmocka_unit_test(test_gradient_check),
        cmocka_unit_test(test_one_short_epoch_learns_every_exit),
        cmocka_unit_test(test_training_is_deterministic_and_weights_round_trip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
