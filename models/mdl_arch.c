/*
 * mdl_arch.c - the classic CNNs as layer tables, by shape inference.
 * See mdl_arch.h for the counting conventions.
 *
 * Sources of the architectures: AlexNet as in torchvision (Krizhevsky et
 * al. 2012, single-tower variant), VGG-11/16 (Simonyan & Zisserman 2015,
 * configurations A and D), ResNet-18/50 (He et al. 2016, table 1), and
 * MobileNetV2 (Sandler et al. 2018, table 2, width 1.0, 224x224).  Top-1
 * accuracies on ImageNet are those torchvision publishes for its weights.
 * B-AlexNet (CIFAR-10, three exits) is described at b_alexnet below.
 *
 * params counts what torchvision counts: weights, biases and, for the
 * networks with batch norm (ResNets, MobileNetV2), the two affine
 * parameters per channel (gamma, beta; not the running statistics).
 */
#define _POSIX_C_SOURCE 200809L
#include "mdl_arch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARCH_MAX_LAYERS 64
#define ARCH_MAX_EXITS 4

typedef struct shape {
    size_t c, h, w;                      /* a tensor, CHW */
} shape;

typedef struct builder {
    shape t;                             /* the backbone's current tensor */
    bool bn;                             /* convs: BN (gamma, beta) instead of a bias */
    mdl_layer layers[ARCH_MAX_LAYERS];
    size_t n;
    mdl_exit exits[ARCH_MAX_EXITS];      /* early exits the build adds */
    size_t n_exits;
    double macs, params;                 /* accumulating the open layer */
} builder;

/* floor((in + 2p - k) / s) + 1, or with ceil = true the ceiling, as
 * Chainer's max_pooling_2d (cover_all) and PyTorch's ceil_mode compute. */
static size_t out_dim(size_t in, size_t k, size_t s, size_t p, bool ceil)
{
    return (in + 2 * p - k + (ceil ? s - 1 : 0)) / s + 1;
}

/* conv on tensor x (which takes the output shape): its MACs; *params (may
 * be NULL) grows by its weights and per-channel bias or BN. */
static double conv_on(shape *x, bool bn, double *params, size_t cout, size_t k, size_t s,
                      size_t p, size_t groups)
{
    size_t ho = out_dim(x->h, k, s, p, false), wo = out_dim(x->w, k, s, p, false);
    double per_out = (double)k * k * (x->c / groups);
    double macs = (double)ho * wo * cout * per_out;
    if (params)
        *params += (double)cout * per_out + (bn ? 2.0 : 1.0) * cout;
    x->c = cout;
    x->h = ho;
    x->w = wo;
    return macs;
}

static void pool_on(shape *x, size_t k, size_t s, size_t p, bool ceil)
{
    x->h = out_dim(x->h, k, s, p, ceil);
    x->w = out_dim(x->w, k, s, p, ceil);
}

/* fully connected (with bias) on the flattened x. */
static double fc_on(shape *x, double *params, size_t out)
{
    double in = (double)x->c * x->h * x->w;
    if (params)
        *params += in * out + out;
    x->c = out;
    x->h = x->w = 1;
    return in * out;
}

/* conv into the open layer (a block accumulates several). */
static void conv(builder *b, size_t cout, size_t k, size_t s, size_t p, size_t groups)
{
    b->macs += conv_on(&b->t, b->bn, &b->params, cout, k, s, p, groups);
}

/* Close the open layer: its name, kind, MACs, weights and output size. */
static void emit(builder *b, const char *name, mdl_layer_kind kind)
{
    mdl_layer *l = &b->layers[b->n++];
    snprintf(l->name, sizeof l->name, "%s", name);
    l->kind = kind;
    l->macs = b->macs;
    l->params = b->params;
    l->out_bytes = 4.0 * (double)b->t.c * (double)b->t.h * (double)b->t.w;
    b->macs = b->params = 0;
}

static void conv_layer(builder *b, const char *name, size_t cout, size_t k, size_t s,
                       size_t p)
{
    conv(b, cout, k, s, p, 1);
    emit(b, name, MDL_LAYER_CONV);
}

static void pool_layer(builder *b, const char *name, size_t k, size_t s, size_t p)
{
    pool_on(&b->t, k, s, p, false);
    emit(b, name, MDL_LAYER_POOL);
}

static void gap(builder *b) { b->t.h = b->t.w = 1; }

static void fc_layer(builder *b, const char *name, size_t out)
{
    b->macs += fc_on(&b->t, &b->params, out);
    emit(b, name, MDL_LAYER_FC);
}

/* An early exit after the last emitted layer, with its branch's MACs. */
static void add_exit(builder *b, const char *name, double macs, double accuracy)
{
    mdl_exit *e = &b->exits[b->n_exits++];
    snprintf(e->name, sizeof e->name, "%s", name);
    e->after = b->n;
    e->macs = macs;
    e->accuracy = accuracy;
}

static void alexnet(builder *b)
{
    conv_layer(b, "conv1", 64, 11, 4, 2);
    pool_layer(b, "pool1", 3, 2, 0);
    conv_layer(b, "conv2", 192, 5, 1, 2);
    pool_layer(b, "pool2", 3, 2, 0);
    conv_layer(b, "conv3", 384, 3, 1, 1);
    conv_layer(b, "conv4", 256, 3, 1, 1);
    conv_layer(b, "conv5", 256, 3, 1, 1);
    pool_layer(b, "pool5", 3, 2, 0);
    fc_layer(b, "fc6", 4096);
    fc_layer(b, "fc7", 4096);
    fc_layer(b, "fc8", 1000);
}

/* VGG: cfg lists channels, 0 = max pool 2x2. */
static void vgg(builder *b, const int *cfg, size_t n)
{
    size_t stage = 1, idx = 1;
    char name[32];
    for (size_t i = 0; i < n; i++) {
        if (cfg[i] == 0) {
            snprintf(name, sizeof name, "pool%zu", stage++);
            pool_layer(b, name, 2, 2, 0);
            idx = 1;
        } else {
            snprintf(name, sizeof name, "conv%zu_%zu", stage, idx++);
            conv_layer(b, name, (size_t)cfg[i], 3, 1, 1);
        }
    }
    fc_layer(b, "fc6", 4096);
    fc_layer(b, "fc7", 4096);
    fc_layer(b, "fc8", 1000);
}

static void vgg11(builder *b)
{
    static const int cfg[] = {64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0};
    vgg(b, cfg, sizeof cfg / sizeof cfg[0]);
}

static void vgg16(builder *b)
{
    static const int cfg[] = {64,  64,  0,   128, 128, 0,   256, 256, 256,
                              0,   512, 512, 512, 0,   512, 512, 512, 0};
    vgg(b, cfg, sizeof cfg / sizeof cfg[0]);
}

static void resnet_stem(builder *b)
{
    conv_layer(b, "conv1", 64, 7, 2, 3);
    pool_layer(b, "pool1", 3, 2, 1);
}

/* Basic block (ResNet-18/34): 3x3, 3x3, projection when the shape changes. */
static void basic_block(builder *b, const char *name, size_t cout, size_t stride)
{
    shape in = b->t;
    conv(b, cout, 3, stride, 1, 1);
    conv(b, cout, 3, 1, 1, 1);
    if (stride != 1 || in.c != cout) /* 1x1 projection on the block input */
        b->macs += conv_on(&in, b->bn, &b->params, cout, 1, stride, 0, 1);
    emit(b, name, MDL_LAYER_CONV);
}

/* Bottleneck (ResNet-50): 1x1 reduce, 3x3 (stride here, as torchvision
 * "v1.5"), 1x1 expand x4, projection when the shape changes. */
static void bottleneck(builder *b, const char *name, size_t width, size_t stride)
{
    shape in = b->t;
    size_t cout = 4 * width;
    conv(b, width, 1, 1, 0, 1);
    conv(b, width, 3, stride, 1, 1);
    conv(b, cout, 1, 1, 0, 1);
    if (stride != 1 || in.c != cout)
        b->macs += conv_on(&in, b->bn, &b->params, cout, 1, stride, 0, 1);
    emit(b, name, MDL_LAYER_CONV);
}

static void resnet18(builder *b)
{
    resnet_stem(b);
    static const size_t widths[4] = {64, 128, 256, 512};
    char name[32];
    for (size_t s = 0; s < 4; s++)
        for (size_t i = 0; i < 2; i++) {
            snprintf(name, sizeof name, "layer%zu.%zu", s + 1, i);
            basic_block(b, name, widths[s], s > 0 && i == 0 ? 2 : 1);
        }
    gap(b);
    fc_layer(b, "fc", 1000);
}

static void resnet50(builder *b)
{
    resnet_stem(b);
    static const size_t widths[4] = {64, 128, 256, 512}, blocks[4] = {3, 4, 6, 3};
    char name[32];
    for (size_t s = 0; s < 4; s++)
        for (size_t i = 0; i < blocks[s]; i++) {
            snprintf(name, sizeof name, "layer%zu.%zu", s + 1, i);
            bottleneck(b, name, widths[s], s > 0 && i == 0 ? 2 : 1);
        }
    gap(b);
    fc_layer(b, "fc", 1000);
}

/* MobileNetV2 inverted residual: 1x1 expand (t > 1), 3x3 depthwise with
 * the stride, 1x1 linear projection; one layer of the table, of kind
 * dwconv (the depthwise conv is what bounds its speed, see mdl.h). */
static void inverted_residual(builder *b, const char *name, size_t cout, size_t stride,
                              size_t t)
{
    size_t hidden = b->t.c * t;
    if (t != 1)
        conv(b, hidden, 1, 1, 0, 1);
    conv(b, hidden, 3, stride, 1, hidden); /* depthwise: groups = C */
    conv(b, cout, 1, 1, 0, 1);
    emit(b, name, MDL_LAYER_DWCONV);
}

static void mobilenetv2(builder *b)
{
    conv_layer(b, "conv0", 32, 3, 2, 1);
    /* t, c, n, s from the paper's table 2 */
    static const size_t cfg[7][4] = {{1, 16, 1, 1},  {6, 24, 2, 2},  {6, 32, 3, 2},
                                     {6, 64, 4, 2},  {6, 96, 3, 1},  {6, 160, 3, 2},
                                     {6, 320, 1, 1}};
    char name[32];
    size_t k = 1;
    for (size_t r = 0; r < 7; r++)
        for (size_t i = 0; i < cfg[r][2]; i++) {
            snprintf(name, sizeof name, "block%zu", k++);
            inverted_residual(b, name, cfg[r][1], i == 0 ? cfg[r][3] : 1, cfg[r][0]);
        }
    conv_layer(b, "conv_last", 1280, 1, 1, 0);
    gap(b);
    fc_layer(b, "fc", 1000);
}

/* B-AlexNet for CIFAR-10, the BranchyNet network that Edgent uses
 * (kunglab/branchynet, networks/alex_cifar10.py; Teerapittayanon et al.,
 * ICPR 2016; Li et al., MECOMM 2018).  Chainer's max_pooling_2d(3, 2)
 * rounds up (cover_all), so its pools take 32 -> 16 -> 8 -> 4 and, in the
 * branches, 16 -> 8 -> 4 and 8 -> 4 -> 2: the fully connected inputs come
 * out as the published 1024 (64x4x4), 512 (32x4x4) and 128 (32x2x2)
 * without adjusting any pool.
 *
 * A layer of the table ends at a convolution's raw output, where the
 * branches attach, so the ReLU, pool and LRN after a conv open the next
 * layer: conv2 is [relu, pool, lrn, conv 5x5 32->64], conv3 is [relu,
 * pool, lrn, conv 3x3 64->96], conv4/conv5 are [relu, conv], pool5 is
 * [relu, pool], fc1/fc2 are [(relu, dropout), linear].
 *
 * Exit accuracies: the final one is BranchyNet's AlexNet baseline on
 * CIFAR-10 (table 1, 78.38 %); the papers do not publish the branches'
 * accuracies alone, so exit1/exit2 carry placeholders (0.70, 0.74) until
 * a trained graph measures them. */
static void b_alexnet(builder *b)
{
    conv_layer(b, "conv1", 32, 5, 1, 2);                 /* 32x32x32 */
    pool_on(&b->t, 3, 2, 0, true);                       /* 32x16x16 */
    conv_layer(b, "conv2", 64, 5, 1, 2);                 /* 64x16x16 */
    {   /* branch 1: relu, pool, lrn, conv 64->32, conv 32->32, pool, fc 512->10 */
        shape x = b->t;
        double macs = 0;
        pool_on(&x, 3, 2, 0, true);                      /* 64x8x8 */
        macs += conv_on(&x, false, NULL, 32, 3, 1, 1, 1);
        macs += conv_on(&x, false, NULL, 32, 3, 1, 1, 1);
        pool_on(&x, 3, 2, 0, true);                      /* 32x4x4 = 512 */
        macs += fc_on(&x, NULL, 10);
        add_exit(b, "exit1", macs, 0.70);
    }
    pool_on(&b->t, 3, 2, 0, true);                       /* 64x8x8 */
    conv_layer(b, "conv3", 96, 3, 1, 1);                 /* 96x8x8 */
    {   /* branch 2: relu, pool, lrn, conv 96->32, pool, fc 128->10 */
        shape x = b->t;
        double macs = 0;
        pool_on(&x, 3, 2, 0, true);                      /* 96x4x4 */
        macs += conv_on(&x, false, NULL, 32, 3, 1, 1, 1);
        pool_on(&x, 3, 2, 0, true);                      /* 32x2x2 = 128 */
        macs += fc_on(&x, NULL, 10);
        add_exit(b, "exit2", macs, 0.74);
    }
    conv_layer(b, "conv4", 96, 3, 1, 1);
    conv_layer(b, "conv5", 64, 3, 1, 1);                 /* 64x8x8 */
    pool_on(&b->t, 3, 2, 0, true);                       /* 64x4x4 = 1024 */
    emit(b, "pool5", MDL_LAYER_POOL);
    fc_layer(b, "fc1", 256);
    fc_layer(b, "fc2", 128);
    fc_layer(b, "fc3", 10);
}

typedef struct arch_def {
    mdl_arch_info info;
    void (*build)(builder *b);
    size_t in_hw;  /* square input, 3 channels */
    bool bn;       /* convs carry BN (2 per channel) rather than a bias */
} arch_def;

static const arch_def archs[] = {
    {{"alexnet", "AlexNet, 3x224x224 (torchvision single-tower variant)", 0.56522, 0.72, "ImageNet"},
     alexnet, 224, false},
    {{"vgg11", "VGG-11 (configuration A), 3x224x224", 0.69020, 7.6, "ImageNet"}, vgg11, 224, false},
    {{"vgg16", "VGG-16 (configuration D), 3x224x224", 0.71592, 15.5, "ImageNet"}, vgg16, 224, false},
    {{"resnet18", "ResNet-18, 3x224x224; one layer per residual block", 0.69758, 1.8, "ImageNet"},
     resnet18, 224, true},
    {{"resnet50", "ResNet-50 (v1.5), 3x224x224; one layer per residual block", 0.76130,
      4.1, "ImageNet"},
     resnet50, 224, true},
    {{"mobilenetv2", "MobileNetV2 width 1.0, 3x224x224; one layer per inverted residual",
      0.71878, 0.3, "ImageNet"},
     mobilenetv2, 224, true},
    /* No published MAC total: 0.02825 is the hand count of test_mdl_arch.c. */
    {{"b-alexnet",
      "B-AlexNet (BranchyNet/Edgent), 3x32x32 CIFAR-10, 3 exits (exit1/exit2 "
      "accuracies: placeholders)",
      0.7838, 0.02825, "CIFAR-10"},
     b_alexnet, 32, false},
};
#define N_ARCHS (sizeof archs / sizeof archs[0])

const mdl_arch_info *mdl_arch_list(size_t *n)
{
    static mdl_arch_info infos[N_ARCHS];
    for (size_t i = 0; i < N_ARCHS; i++)
        infos[i] = archs[i].info;
    *n = N_ARCHS;
    return infos;
}

off_status mdl_arch_build(mdl_model *m, const char *name, off_err *err)
{
    const arch_def *a = NULL;
    for (size_t i = 0; i < N_ARCHS && !a; i++)
        if (strcmp(archs[i].info.name, name) == 0)
            a = &archs[i];
    if (!a) {
        char list[256] = "";
        size_t len = 0;
        for (size_t i = 0; i < N_ARCHS; i++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "",
                                    archs[i].info.name);
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "unknown architecture '%s'; architectures: %s", name, list);
    }
    builder *b = calloc(1, sizeof *b);
    if (!b)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    b->t = (shape){3, a->in_hw, a->in_hw};
    b->bn = a->bn;
    a->build(b);
    mdl_exit *ex = &b->exits[b->n_exits++];
    snprintf(ex->name, sizeof ex->name, "final");
    ex->after = b->n;
    ex->accuracy = a->info.top1;
    static const int bits[] = {8, 32};
    mdl_model_desc d = {a->info.name, b->layers, b->n, b->exits, b->n_exits, bits, 2,
                        3.0 * (double)a->in_hw * (double)a->in_hw, 4};
    off_status st = mdl_model_init(m, &d, err);
    free(b);
    return st;
}

const char *mdl_layer_kind_name(mdl_layer_kind k)
{
    static const char *const names[MDL_LAYER_N_KINDS] = {"other", "conv", "dwconv",
                                                         "fc", "pool"};
    return (unsigned)k < MDL_LAYER_N_KINDS ? names[k] : NULL;
}

/* Print x as an exact decimal (integers up to 2^53 print without loss). */
static void print_num(FILE *out, double x)
{
    if (x == floor(x) && fabs(x) < 9007199254740992.0)
        fprintf(out, "%.0f", x);
    else
        fprintf(out, "%.17g", x);
}

void mdl_model_write_yaml(const mdl_model *m, const char *header, FILE *out)
{
    if (header && *header) {
        const char *p = header;
        while (*p) {
            const char *nl = strchr(p, '\n');
            size_t len = nl ? (size_t)(nl - p) : strlen(p);
            fprintf(out, "# %.*s\n", (int)len, p);
            p += len + (nl ? 1 : 0);
        }
    }
    fprintf(out, "kind: profiled\nname: %s\ninput: ", m->name);
    print_num(out, m->input_bytes);
    fprintf(out, " B\nresult: ");
    print_num(out, m->result_bytes);
    fprintf(out, " B\nbits: [");
    for (size_t i = 0; i < m->n_bits; i++)
        fprintf(out, "%s%d", i ? ", " : "", m->bits[i]);
    fprintf(out, "]\nlayers:\n");
    for (size_t i = 0; i < m->n_layers; i++) {
        const mdl_layer *l = &m->layers[i];
        fprintf(out, "  - {name: %s, ", l->name);
        if (l->kind != MDL_LAYER_OTHER && mdl_layer_kind_name(l->kind))
            fprintf(out, "kind: %s, ", mdl_layer_kind_name(l->kind));
        fprintf(out, "macs: ");
        print_num(out, l->macs);
        if (l->params > 0) {
            fprintf(out, ", params: ");
            print_num(out, l->params);
        }
        fprintf(out, ", out: ");
        print_num(out, l->out_bytes);
        fprintf(out, " B}\n");
    }
    fprintf(out, "exits:\n");
    for (size_t i = 0; i < m->n_exits; i++) {
        const mdl_exit *e = &m->exits[i];
        fprintf(out, "  - {name: %s, after: %s, ", e->name, m->layers[e->after - 1].name);
        if (e->macs > 0) {
            fprintf(out, "macs: ");
            print_num(out, e->macs);
            fprintf(out, ", ");
        }
        fprintf(out, "accuracy: %.17g}\n", e->accuracy);
    }
}
