/*
 * mdl_arch.c - the classic CNNs as layer tables, by shape inference.
 * See mdl_arch.h for the counting conventions.
 *
 * Sources of the architectures: AlexNet as in torchvision (Krizhevsky et
 * al. 2012, single-tower variant), VGG-11/16 (Simonyan & Zisserman 2015,
 * configurations A and D), ResNet-18/50 (He et al. 2016, table 1), and
 * MobileNetV2 (Sandler et al. 2018, table 2, width 1.0, 224x224).  Top-1
 * accuracies on ImageNet are those torchvision publishes for its weights.
 */
#define _POSIX_C_SOURCE 200809L
#include "mdl_arch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARCH_MAX_LAYERS 64

typedef struct builder {
    size_t c, h, w;                      /* current tensor, CHW */
    mdl_layer layers[ARCH_MAX_LAYERS];
    size_t n;
    double block_macs;                   /* accumulating a residual block */
} builder;

static size_t out_dim(size_t in, size_t k, size_t s, size_t p)
{
    return (in + 2 * p - k) / s + 1;
}

/* conv: accumulate into the open block (emit = false) or emit a layer. */
static double conv(builder *b, size_t cout, size_t k, size_t s, size_t p, size_t groups)
{
    size_t ho = out_dim(b->h, k, s, p), wo = out_dim(b->w, k, s, p);
    double macs = (double)ho * wo * cout * k * k * (b->c / groups);
    b->c = cout;
    b->h = ho;
    b->w = wo;
    return macs;
}

static void emit(builder *b, const char *name, double macs)
{
    mdl_layer *l = &b->layers[b->n++];
    snprintf(l->name, sizeof l->name, "%s", name);
    l->macs = macs;
    l->out_bytes = 4.0 * (double)b->c * (double)b->h * (double)b->w;
}

static void conv_layer(builder *b, const char *name, size_t cout, size_t k, size_t s,
                       size_t p)
{
    emit(b, name, conv(b, cout, k, s, p, 1));
}

static void pool_layer(builder *b, const char *name, size_t k, size_t s, size_t p)
{
    b->h = out_dim(b->h, k, s, p);
    b->w = out_dim(b->w, k, s, p);
    emit(b, name, 0);
}

static void gap(builder *b) { b->h = b->w = 1; }

static void fc_layer(builder *b, const char *name, size_t out)
{
    double macs = (double)b->c * b->h * b->w * out;
    b->c = out;
    b->h = b->w = 1;
    emit(b, name, macs);
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
    size_t cin = b->c, h = b->h, w = b->w;
    double macs = conv(b, cout, 3, stride, 1, 1);
    macs += conv(b, cout, 3, 1, 1, 1);
    if (stride != 1 || cin != cout) { /* 1x1 projection on the block input */
        size_t ho = out_dim(h, 1, stride, 0), wo = out_dim(w, 1, stride, 0);
        macs += (double)ho * wo * cout * cin;
    }
    emit(b, name, macs);
}

/* Bottleneck (ResNet-50): 1x1 reduce, 3x3 (stride here, as torchvision
 * "v1.5"), 1x1 expand x4, projection when the shape changes. */
static void bottleneck(builder *b, const char *name, size_t width, size_t stride)
{
    size_t cin = b->c, h = b->h, w = b->w, cout = 4 * width;
    double macs = conv(b, width, 1, 1, 0, 1);
    macs += conv(b, width, 3, stride, 1, 1);
    macs += conv(b, cout, 1, 1, 0, 1);
    if (stride != 1 || cin != cout) {
        size_t ho = out_dim(h, 1, stride, 0), wo = out_dim(w, 1, stride, 0);
        macs += (double)ho * wo * cout * cin;
    }
    emit(b, name, macs);
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
 * the stride, 1x1 linear projection; one layer of the table. */
static void inverted_residual(builder *b, const char *name, size_t cout, size_t stride,
                              size_t t)
{
    size_t hidden = b->c * t;
    double macs = 0;
    if (t != 1)
        macs += conv(b, hidden, 1, 1, 0, 1);
    macs += conv(b, hidden, 3, stride, 1, hidden); /* depthwise: groups = C */
    macs += conv(b, cout, 1, 1, 0, 1);
    emit(b, name, macs);
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

typedef struct arch_def {
    mdl_arch_info info;
    void (*build)(builder *b);
} arch_def;

static const arch_def archs[] = {
    {{"alexnet", "AlexNet, 3x224x224 (torchvision single-tower variant)", 0.56522, 0.72},
     alexnet},
    {{"vgg11", "VGG-11 (configuration A), 3x224x224", 0.69020, 7.6}, vgg11},
    {{"vgg16", "VGG-16 (configuration D), 3x224x224", 0.71592, 15.5}, vgg16},
    {{"resnet18", "ResNet-18, 3x224x224; one layer per residual block", 0.69758, 1.8},
     resnet18},
    {{"resnet50", "ResNet-50 (v1.5), 3x224x224; one layer per residual block", 0.76130,
      4.1},
     resnet50},
    {{"mobilenetv2", "MobileNetV2 width 1.0, 3x224x224; one layer per inverted residual",
      0.71878, 0.3},
     mobilenetv2},
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
    b->c = 3;
    b->h = b->w = 224;
    a->build(b);
    mdl_exit ex = {"final", b->n, 0, a->info.top1};
    static const int bits[] = {8, 32};
    mdl_model_desc d = {a->info.name, b->layers, b->n, &ex, 1, bits, 2,
                        3.0 * 224 * 224, 4};
    off_status st = mdl_model_init(m, &d, err);
    free(b);
    return st;
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
        fprintf(out, "  - {name: %s, macs: ", m->layers[i].name);
        print_num(out, m->layers[i].macs);
        fprintf(out, ", out: ");
        print_num(out, m->layers[i].out_bytes);
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
