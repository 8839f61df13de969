/*
 * mdl_zoo.c - the trained multi-exit models of the zoo (models/zoo/), as
 * graph specifications (mdl_graph.h).  Their weights are reproduced by
 * `offsim models train NAME` with the recipe recorded here; their accuracy
 * tables are in docs/models.md.
 */
#include <string.h>

#include "mdl_graph.h"

#define CONV(nm, oc, k, p, a) {nm, MDL_OP_CONV, oc, k, 1, p, 1, a}
#define FC(nm, oc, a) {nm, MDL_OP_FC, oc, 0, 0, 0, 0, a}
#define MAXPOOL(nm, k, s) {nm, MDL_OP_MAXPOOL, 0, k, s, 0, 0, MDL_ACT_NONE}

/* mexit: LeNet-like, two exits.  conv 5x5 1->16, pool -> early exit (a
 * linear classifier on 16x14x14); conv 5x5 16->32, pool, fc 1568->128, fc 10. */
static const mdl_gspec_layer mexit_layers[] = {
    CONV("conv1", 16, 5, 2, MDL_ACT_RELU), MAXPOOL("pool1", 2, 2),
    CONV("conv2", 32, 5, 2, MDL_ACT_RELU), MAXPOOL("pool2", 2, 2),
    FC("fc1", 128, MDL_ACT_RELU),           FC("fc2", 10, MDL_ACT_NONE),
};
static const mdl_gspec_layer mexit_early[] = {FC("early", 10, MDL_ACT_NONE)};
static const mdl_gspec_exit mexit_exits[] = {
    {"early", 2, mexit_early, OFF_COUNT(mexit_early), 0.5f},
    {"final", 6, NULL, 0, 1.0f},
};
static const mdl_gspec mexit = {
    "mexit", "LeNet-like CNN for 28x28x1, 2 exits, 7 split points",
    "mexit-fmnist.offw", 1, 28, 28, 10, mexit_layers, OFF_COUNT(mexit_layers),
    mexit_exits, OFF_COUNT(mexit_exits), 10, 64, 1e-3f, 1e-4f,
};

/* alexnet-mx: AlexNet-style (five 3x3 convolutions, three fully connected
 * layers, the channel widths of BranchyNet's B-AlexNet for CIFAR-10) for
 * 28x28x1, three exits, twelve split points.  Exit 1 is a linear classifier
 * on the first pooled features, exit 2 one on the second. */
static const mdl_gspec_layer alex_layers[] = {
    CONV("conv1", 32, 3, 1, MDL_ACT_RELU),  MAXPOOL("pool1", 2, 2),
    CONV("conv2", 64, 3, 1, MDL_ACT_RELU),  MAXPOOL("pool2", 2, 2),
    CONV("conv3", 96, 3, 1, MDL_ACT_RELU),  CONV("conv4", 96, 3, 1, MDL_ACT_RELU),
    CONV("conv5", 64, 3, 1, MDL_ACT_RELU),  MAXPOOL("pool5", 3, 2),
    FC("fc6", 256, MDL_ACT_RELU),           FC("fc7", 128, MDL_ACT_RELU),
    FC("fc8", 10, MDL_ACT_NONE),
};
static const mdl_gspec_layer alex_exit1[] = {FC("exit1", 10, MDL_ACT_NONE)};
static const mdl_gspec_layer alex_exit2[] = {FC("exit2", 10, MDL_ACT_NONE)};
static const mdl_gspec_exit alex_exits[] = {
    {"exit1", 2, alex_exit1, OFF_COUNT(alex_exit1), 0.5f},
    {"exit2", 4, alex_exit2, OFF_COUNT(alex_exit2), 0.5f},
    {"final", 11, NULL, 0, 1.0f},
};
static const mdl_gspec alexnet_mx = {
    "alexnet-mx", "AlexNet-style CNN for 28x28x1, 3 exits, 12 split points",
    "alexnet-mx-fmnist.offw", 1, 28, 28, 10, alex_layers, OFF_COUNT(alex_layers),
    alex_exits, OFF_COUNT(alex_exits), 10, 64, 1e-3f, 1e-4f,
};

/* alexnet-5x: alexnet-mx's backbone with five exits, spread as Edgent's
 * B-AlexNet spreads its five (Li et al., MECOMM 2018): the first right after
 * the first convolution block (conv1 + pool1), then after pool2, conv3,
 * conv4, and the final classifier.  Each branch is one linear classifier on
 * the features it reads, so the device's share of an exit is the backbone
 * up to it.  Five epochs (alexnet-mx has ten): enough for the exits'
 * accuracy to rise with depth, which is what Edgent's choice rests on, at
 * half the training time. */
static const mdl_gspec_layer a5_exit3[] = {FC("exit3", 10, MDL_ACT_NONE)};
static const mdl_gspec_layer a5_exit4[] = {FC("exit4", 10, MDL_ACT_NONE)};
static const mdl_gspec_exit a5_exits[] = {
    {"exit1", 2, alex_exit1, OFF_COUNT(alex_exit1), 0.5f}, /* alexnet-mx's branches */
    {"exit2", 4, alex_exit2, OFF_COUNT(alex_exit2), 0.5f},
    {"exit3", 5, a5_exit3, OFF_COUNT(a5_exit3), 0.5f},
    {"exit4", 6, a5_exit4, OFF_COUNT(a5_exit4), 0.5f},
    {"final", 11, NULL, 0, 1.0f},
};
static const mdl_gspec alexnet_5x = {
    "alexnet-5x", "AlexNet-style CNN for 28x28x1, 5 exits (Edgent's), 12 split points",
    "alexnet-5x-fmnist.offw", 1, 28, 28, 10, alex_layers, OFF_COUNT(alex_layers),
    a5_exits, OFF_COUNT(a5_exits), 5, 64, 1e-3f, 1e-4f,
};

static const mdl_gspec *const zoo[] = {&mexit, &alexnet_mx, &alexnet_5x};

const mdl_gspec *const *mdl_zoo_graphs(size_t *n)
{
    *n = OFF_COUNT(zoo);
    return zoo;
}

const mdl_gspec *mdl_zoo_graph(const char *name)
{
    for (size_t i = 0; i < OFF_COUNT(zoo); i++)
        if (strcmp(zoo[i]->name, name) == 0)
            return zoo[i];
    return NULL;
}
