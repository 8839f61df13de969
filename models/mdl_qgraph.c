/*
 * mdl_qgraph.c - post-training quantization of a layer graph and its int8
 * inference with a split at b bits.  See mdl_qgraph.h.
 */
#include "mdl_qgraph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mdl_infer.h"
#include "mdl_k_dispatch.h"
#include "off.h"

typedef struct qnode {
    int8_t *w;                  /* (OC, KH, KW, C/g) or (OC, C in HWC order) */
    int32_t *bias, *mult, *shift;
    mdl_conv_params p;
    float out_scale;
    int32_t out_zp;
    void *packed;               /* dense conv: weights packed for VNNI, or NULL */
} qnode;

struct mdl_qgraph {
    const mdl_graph *g;
    qnode n[MDL_GRAPH_MAX_NODES];
    void *mem;                  /* every array above, one allocation        */
    size_t max_act, scratch;    /* largest activation, conv scratch bytes   */
};

struct mdl_qctx {
    const mdl_qgraph *q;
    int8_t *in;                              /* quantized input (HWC)      */
    int8_t *out[MDL_GRAPH_MAX_NODES];        /* node outputs (HWC)         */
    int8_t *dec;                             /* the decoded split tensor   */
    uint8_t *wire, *wscratch;                /* payload and codec scratch  */
    mdl_zsize_ws *zs;                        /* payload sizes (image_cells) */
    int8_t *fed;                             /* image_cells: per bit-width, */
    size_t fed_cap;                          /* the last split's server input */
    size_t wire_cap;
    size_t sent_split, sent_n;               /* the last send: split, size */
    void *scratch;                           /* kernel scratch             */
    void *mem;
};

static const mdl_gnode *gn(const mdl_qgraph *q, size_t i)
{
    return &q->g->node[i];
}

static size_t node_out(const mdl_gnode *n)
{
    return n->out_c * n->out_h * n->out_w;
}

static size_t input_size(const mdl_graph *g)
{
    return g->spec->in_c * g->spec->in_h * g->spec->in_w;
}

/* scale and zero point of the tensor node i reads */
static void in_q(const mdl_qgraph *q, int src, float *scale, int32_t *zp)
{
    if (src < 0) {
        *scale = 1.0f / 255.0f;
        *zp = -128;
    } else {
        *scale = q->n[src].out_scale;
        *zp = q->n[src].out_zp;
    }
}

const mdl_graph *mdl_qgraph_graph(const mdl_qgraph *q)
{
    return q->g;
}

void mdl_qgraph_act(const mdl_qgraph *q, size_t node, float *scale, int32_t *zp)
{
    *scale = q->n[node].out_scale;
    *zp = q->n[node].out_zp;
}

bool mdl_qgraph_bits_ok(int bits)
{
    return (bits >= 1 && bits <= 8) || bits == 32;
}

/* Float ranges of every node's output over the calibration images. */
static off_status calibrate(const mdl_graph *g, const mdl_dataset *ds, size_t n, float *lo,
                            float *hi, off_err *err)
{
    const size_t B = 128, isz = input_size(g);
    if (ds->rows * ds->cols != isz || n == 0)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "quantize '%s': calibration needs images of %zu pixels", g->spec->name,
                        isz);
    mdl_trainer *t = mdl_trainer_new((mdl_graph *)g, B);
    if (!t)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    n = n < ds->n ? n : ds->n;
    for (size_t i = 0; i < g->n_nodes; i++)
        lo[i] = hi[i] = 0.0f;
    for (size_t b0 = 0; b0 < n; b0 += B) {
        size_t nb = n - b0 < B ? n - b0 : B;
        mdl_trainer_forward(t, ds->images + b0 * isz, nb);
        for (size_t i = 0; i < g->n_nodes; i++) {
            const float *o = mdl_trainer_output(t, i);
            for (size_t k = 0, m = nb * node_out(&g->node[i]); k < m; k++) {
                lo[i] = o[k] < lo[i] ? o[k] : lo[i];
                hi[i] = o[k] > hi[i] ? o[k] : hi[i];
            }
        }
    }
    mdl_trainer_free(t);
    return OFF_OK;
}

static int32_t clamp_i32(long v, long lo, long hi)
{
    return (int32_t)(v < lo ? lo : v > hi ? hi : v);
}

/* Quantize node i's weights and bias, set its kernel parameters. */
static void quantize_node(mdl_qgraph *q, size_t i)
{
    const mdl_gnode *n = gn(q, i);
    const mdl_gspec_layer *l = n->spec;
    qnode *qn = &q->n[i];
    float is;
    int32_t izp;
    in_q(q, n->src, &is, &izp);
    qn->p = (mdl_conv_params){l->op == MDL_OP_CONV ? (l->stride ? l->stride : 1) : 1,
                              l->op == MDL_OP_CONV ? (l->stride ? l->stride : 1) : 1,
                              l->pad, l->pad, l->groups ? l->groups : 1, -izp,
                              qn->out_zp, -128, 127};
    if (l->act == MDL_ACT_RELU || l->act == MDL_ACT_RELU6) {
        qn->p.act_min = qn->out_zp;
        if (l->act == MDL_ACT_RELU6)
            qn->p.act_max = clamp_i32(qn->out_zp + lround(6.0 / qn->out_scale), -128, 127);
    }
    const float *w = q->g->params + n->w_off, *b = q->g->params + n->b_off;
    size_t per = n->fan_in, kk = l->op == MDL_OP_CONV ? l->k * l->k : 1;
    size_t cg = per / kk; /* conv: input channels per group; fc: fan-in */
    for (size_t oc = 0; oc < n->out_c; oc++) {
        const float *wo = w + oc * per;
        float amax = 0;
        for (size_t k = 0; k < per; k++)
            amax = fabsf(wo[k]) > amax ? fabsf(wo[k]) : amax;
        double ws = amax > 0 ? amax / 127.0 : 1.0;
        int8_t *dst = qn->w + oc * per;
        for (size_t k = 0; k < per; k++) {
            size_t d; /* destination of float index k */
            if (l->op == MDL_OP_CONV) { /* (c, ky, kx) -> (ky, kx, c) */
                size_t c = k / kk, r = k % kk;
                d = r * cg + c;
            } else { /* CHW -> HWC */
                size_t hw = n->in_h * n->in_w, c = k / hw, r = k % hw;
                d = r * n->in_c + c;
            }
            dst[d] = (int8_t)clamp_i32(lround(wo[k] / ws), -127, 127);
        }
        double bs = (double)is * ws;
        qn->bias[oc] = clamp_i32(lround(b[oc] / bs), -2147483647L, 2147483647L);
        mdl_quantize_multiplier(bs / qn->out_scale, &qn->mult[oc], &qn->shift[oc]);
    }
}

void mdl_qgraph_free(mdl_qgraph *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < MDL_GRAPH_MAX_NODES; i++)
        free(q->n[i].packed);
    free(q->mem);
    free(q);
}

off_status mdl_qgraph_new(mdl_qgraph **out, const mdl_graph *g, const mdl_dataset *calib,
                          size_t n_calib, off_err *err)
{
    *out = NULL;
    float lo[MDL_GRAPH_MAX_NODES], hi[MDL_GRAPH_MAX_NODES];
    off_status st = calibrate(g, calib, n_calib, lo, hi, err);
    if (st)
        return st;
    mdl_qgraph *q = calloc(1, sizeof *q);
    size_t bytes = 0;
    for (size_t i = 0; i < g->n_nodes; i++) /* weights, then 3 int32 per channel */
        if (g->node[i].w_n)
            bytes += (g->node[i].w_n + 15) / 16 * 16 + 3 * 4 * g->node[i].out_c;
    if (!q || !(q->mem = aligned_alloc(64, (bytes + 63) / 64 * 64 + 64))) {
        free(q);
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    }
    q->g = g;
    q->max_act = input_size(g);
    uint8_t *p = q->mem;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const mdl_gnode *n = &g->node[i];
        qnode *qn = &q->n[i];
        size_t no = node_out(n);
        q->max_act = no > q->max_act ? no : q->max_act;
        if (n->spec->op == MDL_OP_MAXPOOL || n->spec->op == MDL_OP_AVGPOOL) {
            in_q(q, n->src, &qn->out_scale, &qn->out_zp); /* pooling keeps it */
            qn->p = (mdl_conv_params){0};
            qn->p.act_min = -128;
            qn->p.act_max = 127;
            continue;
        }
        double range = (double)hi[i] - (double)lo[i];
        qn->out_scale = range > 0 ? (float)(range / 255.0) : 1.0f;
        qn->out_zp = clamp_i32(lround(-128.0 - lo[i] / qn->out_scale), -128, 127);
        qn->w = (int8_t *)p;
        p += (n->w_n + 15) / 16 * 16;
        qn->bias = (int32_t *)p;
        qn->mult = qn->bias + n->out_c;
        qn->shift = qn->mult + n->out_c;
        p += 3 * 4 * n->out_c;
        quantize_node(q, i);
        if (n->spec->op == MDL_OP_CONV && qn->p.groups == 1 && mdl_kernels_have_vnni()) {
            /* packed once here, not at every call: see mdl_k_conv_vnni.c */
            size_t k = n->spec->k,
                   sz = mdl_conv2d_s8_vnni_packed_size(n->out_c, k, k, n->in_c);
            if (!(qn->packed = aligned_alloc(64, (sz + 63) / 64 * 64))) {
                mdl_qgraph_free(q);
                return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
            }
            mdl_conv2d_s8_vnni_pack(qn->w, qn->bias, qn->p.input_offset, n->out_c, k, k,
                                    n->in_c, qn->packed);
        }
        if (n->spec->op == MDL_OP_CONV) {
            mdl_dims od = {1, n->out_h, n->out_w, n->out_c};
            size_t s = mdl_conv2d_s8_get_buffer_size(od, n->spec->k, n->spec->k,
                                                     n->in_c / qn->p.groups);
            q->scratch = s > q->scratch ? s : q->scratch;
        }
    }
    *out = q;
    return OFF_OK;
}

void mdl_qctx_free(mdl_qctx *c)
{
    if (!c)
        return;
    free(c->fed);
    free(c->mem);
    free(c);
}

mdl_qctx *mdl_qctx_new(const mdl_qgraph *q)
{
    mdl_qctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    const mdl_graph *g = q->g;
    size_t A = (q->max_act + 63) / 64 * 64;
    size_t wire = mdl_split_bound(q->max_act, 8);
    size_t wire32 = MDL_SPLIT_HEADER + 4 * q->max_act;
    c->wire_cap = wire > wire32 ? wire : wire32;
    size_t ws = mdl_split_scratch_size(q->max_act, 8);
    size_t zs = (mdl_zsize_ws_size() + 63) / 64 * 64;
    size_t total = A * (g->n_nodes + 2) + (c->wire_cap + 63) / 64 * 64 +
                   (ws + 63) / 64 * 64 + zs + (q->scratch + 63) / 64 * 64 + 64;
    if (!(c->mem = aligned_alloc(64, (total + 63) / 64 * 64))) {
        free(c);
        return NULL;
    }
    uint8_t *p = c->mem;
    c->q = q;
    c->in = (int8_t *)p;
    p += A;
    c->dec = (int8_t *)p;
    p += A;
    for (size_t i = 0; i < g->n_nodes; i++, p += A)
        c->out[i] = (int8_t *)p;
    c->wire = p;
    p += (c->wire_cap + 63) / 64 * 64;
    c->wscratch = p;
    p += (ws + 63) / 64 * 64;
    c->zs = (mdl_zsize_ws *)p;
    mdl_zsize_init(c->zs);
    p += zs;
    c->scratch = p;
    return c;
}

/* Node i on its input in. */
static off_status run_node(const mdl_qgraph *q, mdl_qctx *c, size_t i, const int8_t *in,
                           off_err *err)
{
    const mdl_gnode *n = gn(q, i);
    const mdl_gspec_layer *l = n->spec;
    const qnode *qn = &q->n[i];
    mdl_dims id = {1, n->in_h, n->in_w, n->in_c}, od = {1, n->out_h, n->out_w, n->out_c};
    mdl_requant rq = {qn->mult, qn->shift};
    switch (l->op) {
    case MDL_OP_CONV:
        if (qn->packed && mdl_kernels_isa() == MDL_ISA_VNNI)
            return mdl_conv2d_s8_vnni_prepacked(&qn->p, &rq, id, in, l->k, l->k, qn->packed,
                                                od, c->out[i], c->scratch, q->scratch, err);
        return mdl_conv2d_s8(&qn->p, &rq, id, in, l->k, l->k, qn->w, qn->bias, od, c->out[i],
                             c->scratch, q->scratch, err);
    case MDL_OP_FC:
        return mdl_fc_s8(&qn->p, &rq, 1, n->fan_in, in, qn->w, qn->bias, n->out_c, c->out[i],
                         err);
    case MDL_OP_MAXPOOL:
        return mdl_maxpool_s8(l->k, l->k, mdl_pool_stride(l), l->pad, -128, 127, id, in,
                              c->out[i], err);
    case MDL_OP_AVGPOOL:
        return mdl_avgpool_s8_ref(l->k, l->k, mdl_pool_stride(l), l->pad, -128, 127, id, in,
                                  c->out[i], err);
    }
    return off_errf(err, OFF_EINVAL, NULL, 0, 0, "unknown layer kind");
}

/* The tensor at boundary s as the device has it. */
static const int8_t *boundary(const mdl_qctx *c, size_t s)
{
    return s == 0 ? c->in : c->out[s - 1];
}

/* Backbone layers [a, b) and the exits branching off in (a, b]; the first
 * layer reads sub instead of its input when sub is not NULL. */
static off_status run_range(const mdl_qgraph *q, mdl_qctx *c, size_t a, size_t b,
                            const int8_t *sub, off_err *err)
{
    const mdl_graph *g = q->g;
    const mdl_gspec *sp = g->spec;
    off_status st;
    for (size_t j = a; j < b; j++) {
        const int8_t *in = j == a && sub ? sub : boundary(c, j);
        if ((st = run_node(q, c, j, in, err)))
            return st;
        for (size_t e = 0; e < sp->n_exits; e++) {
            if (sp->exits[e].after != j + 1 || g->exit_first[e] < 0)
                continue;
            for (int i = g->exit_first[e]; i <= g->exit_out[e]; i++)
                if ((st = run_node(q, c, (size_t)i, c->out[g->node[i].src], err)))
                    return st;
        }
    }
    return OFF_OK;
}

/* Exit e's answer from its int8 logits. */
static void exit_answer(const mdl_qgraph *q, const mdl_qctx *c, size_t e, mdl_qresult *r)
{
    const mdl_graph *g = q->g;
    size_t K = g->spec->n_classes, o = (size_t)g->exit_out[e];
    float lg[256];
    const qnode *qn = &q->n[o];
    for (size_t k = 0; k < K && k < 256; k++)
        lg[k] = qn->out_scale * (float)(c->out[o][k] - qn->out_zp);
    double mp, ent;
    size_t am;
    mdl_exit_confidence(lg, K < 256 ? K : 256, &mp, &ent, &am);
    r->pred[e] = (uint8_t)am;
    r->max_prob[e] = (float)mp;
    r->entropy[e] = (float)ent;
}

/* The float32 reference on the wire: the split tensor dequantized with its
 * own scale and zero point, little-endian after a split header (bits 32,
 * flags 0); the server quantizes it back.  real = scale (q - zp) is exact
 * enough in float for round(real / scale) + zp to give q back, so the
 * round trip is lossless, which the tests check rather than assume. */
static void float_encode(const int8_t *t, size_t n, float scale, int32_t zp, uint8_t *out,
                         size_t *len)
{
    int qmin = 127, qmax = -128;
    for (size_t i = 0; i < n; i++) {
        qmin = t[i] < qmin ? t[i] : qmin;
        qmax = t[i] > qmax ? t[i] : qmax;
    }
    if (n == 0)
        qmin = qmax = 0;
    const uint8_t head[8] = {'O', 'S', 1, 32, 0, (uint8_t)(int8_t)qmin, (uint8_t)(int8_t)qmax,
                             0};
    memcpy(out, head, sizeof head);
    for (int i = 0; i < 4; i++)
        out[8 + i] = (uint8_t)((uint32_t)n >> (8 * i));
    uint8_t *body = out + MDL_SPLIT_HEADER;
    for (size_t i = 0; i < n; i++, body += 4) {
        float v = scale * (float)(t[i] - zp);
        uint32_t u;
        memcpy(&u, &v, 4);
        for (int b = 0; b < 4; b++)
            body[b] = (uint8_t)(u >> (8 * b));
    }
    *len = MDL_SPLIT_HEADER + 4 * n;
}

static off_status float_decode(const uint8_t *in, size_t len, size_t n, float scale,
                               int32_t zp, int8_t *t, off_err *err)
{
    uint32_t n32 = 0;
    for (int i = 0; i < 4 && len >= MDL_SPLIT_HEADER; i++)
        n32 |= (uint32_t)in[8 + i] << (8 * i);
    if (len != MDL_SPLIT_HEADER + 4 * n || in[0] != 'O' || in[1] != 'S' || in[2] != 1 ||
        in[3] != 32 || n32 != n)
        return off_errf(err, OFF_EPARSE, NULL, 0, 0,
                        "split payload: not a float32 tensor of %zu elements", n);
    const uint8_t *body = in + MDL_SPLIT_HEADER;
    for (size_t i = 0; i < n; i++, body += 4) {
        uint32_t u = 0;
        for (int b = 0; b < 4; b++)
            u |= (uint32_t)body[b] << (8 * b);
        float v;
        memcpy(&v, &u, 4);
        t[i] = (int8_t)clamp_i32(lround((double)v / (double)scale) + zp, -128, 127);
    }
    return OFF_OK;
}

/* Send the tensor at split s at bits through the real codec: *payload is
 * the size of what the codec wrote, *recv the tensor the server decoded
 * from it (c->dec), at every bit-width, lossless or not. */
static off_status send(const mdl_qgraph *q, mdl_qctx *c, size_t s, int bits,
                       const int8_t **recv, uint32_t *payload, off_err *err)
{
    const mdl_graph *g = q->g;
    size_t n = s == 0 ? input_size(g) : node_out(&g->node[s - 1]), len;
    const int8_t *t = boundary(c, s);
    off_status st;
    if (bits == 32) {
        float scale;
        int32_t zp;
        in_q(q, (int)s - 1, &scale, &zp);
        float_encode(t, n, scale, zp, c->wire, &len);
        st = float_decode(c->wire, len, n, scale, zp, c->dec, err);
    } else {
        st = mdl_split_encode(t, n, bits, MDL_COMPRESS_ZLIB, c->wire, c->wire_cap, &len,
                              c->wscratch, err);
        if (!st)
            st = mdl_split_decode(c->wire, len, c->dec, n, c->wscratch, err);
    }
    if (st)
        return st;
    *payload = (uint32_t)len;
    *recv = c->dec;
    c->sent_split = s;
    c->sent_n = n;
    return OFF_OK;
}

/* What send gives, without the payload: its size and, in c->dec, the
 * tensor the server decodes (mdl_split_measure; the float32 round trip
 * through a table of the 256 int8 values, each element's trip being the
 * same arithmetic on the same value).  For the fill, where only the size
 * crosses into the cache. */
static off_status measure(const mdl_qgraph *q, mdl_qctx *c, size_t s, int bits,
                          const int8_t **recv, uint32_t *payload, off_err *err)
{
    const mdl_graph *g = q->g;
    size_t n = s == 0 ? input_size(g) : node_out(&g->node[s - 1]), len;
    const int8_t *t = boundary(c, s);
    if (bits == 32) {
        float scale;
        int32_t zp;
        in_q(q, (int)s - 1, &scale, &zp);
        int8_t back[256];
        for (int v = -128; v < 128; v++) {
            float real = scale * (float)(v - zp);
            back[v + 128] = (int8_t)clamp_i32(lround((double)real / (double)scale) + zp, -128,
                                              127);
        }
        for (size_t i = 0; i < n; i++)
            c->dec[i] = back[t[i] + 128];
        len = MDL_SPLIT_HEADER + 4 * n;
    } else {
        off_status st = mdl_split_measure(t, n, bits, c->dec, &len, c->wscratch, c->zs, err);
        if (st)
            return st;
    }
    *payload = (uint32_t)len;
    *recv = c->dec;
    c->sent_split = s;
    c->sent_n = n;
    return OFF_OK;
}

static void quantize_input(const mdl_graph *g, mdl_qctx *c, const uint8_t *image)
{
    size_t C = g->spec->in_c, HW = g->spec->in_h * g->spec->in_w;
    for (size_t ch = 0; ch < C; ch++) /* CHW -> HWC, pixel - 128 */
        for (size_t k = 0; k < HW; k++)
            c->in[k * C + ch] = (int8_t)((int)image[ch * HW + k] - 128);
}

off_status mdl_qgraph_infer(const mdl_qgraph *q, mdl_qctx *c, const uint8_t *image,
                            size_t split, int bits, mdl_qresult *r, off_err *err)
{
    const mdl_graph *g = q->g;
    size_t L = g->spec->n_layers;
    if (split > L || !mdl_qgraph_bits_ok(bits))
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "model '%s': split %zu / bits %d out of range (splits 0..%zu, bits "
                        "1..8 or 32)", g->spec->name, split, bits, L);
    memset(r, 0, sizeof *r);
    c->sent_n = 0;
    quantize_input(g, c, image);
    off_status st = run_range(q, c, 0, split, NULL, err);
    const int8_t *recv = NULL;
    if (!st && split < L)
        st = send(q, c, split, bits, &recv, &r->payload, err);
    if (!st)
        st = run_range(q, c, split, L, recv, err);
    if (st)
        return st;
    for (size_t e = 0; e < g->spec->n_exits; e++)
        exit_answer(q, c, e, r);
    return OFF_OK;
}

/* Copy exit e's answer from a to r. */
static void copy_exit(const mdl_qresult *a, size_t e, mdl_qresult *r)
{
    r->pred[e] = a->pred[e];
    r->max_prob[e] = a->max_prob[e];
    r->entropy[e] = a->entropy[e];
}

/* Every (split, bits[k]) of one image: one forward pass on the device's
 * side for all of them, then per cell the codec's size and (with answers)
 * the server's layers on the decoded tensor.  cell[s * n_bits + k]; *full
 * is the answer with nothing sent.  Each cell equals mdl_qgraph_infer's
 * answer for it: the same kernels on the same tensors.  Without answers,
 * only the payloads are set (the exits are full's).
 *
 * Two runs are skipped without changing an answer: a tensor that arrives
 * intact gives the server what the device had (the answers with nothing
 * lost), and a server whose first layer turns the received tensor into the
 * very tensor that split s + 1 fed its server at the same bit-width (a max
 * pooling of a tensor requantized on the same range: requantization is
 * monotone, so it commutes with the max) computes from there what that
 * cell computed: its answers for the exits past s + 1 are taken, and only
 * the layer and the exits branching right after it are run. */
static off_status image_cells(const mdl_qgraph *q, mdl_qctx *c, const uint8_t *image,
                              const int *bits, size_t n_bits, bool answers, mdl_qresult *full,
                              mdl_qresult *cell, off_err *err)
{
    const mdl_graph *g = q->g;
    const mdl_gspec *sp = g->spec;
    size_t L = sp->n_layers, E = sp->n_exits, A = q->max_act;
    memset(full, 0, sizeof *full);
    c->sent_n = 0;
    if (answers && n_bits * A > c->fed_cap) {
        int8_t *f = realloc(c->fed, n_bits * A);
        if (!f)
            return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
        c->fed = f;
        c->fed_cap = n_bits * A;
    }
    quantize_input(g, c, image);
    off_status st = run_range(q, c, 0, L, NULL, err);
    for (size_t e = 0; e < E && !st; e++)
        exit_answer(q, c, e, full);
    /* splits from the last down: a suffix run rewrites only layers >= s,
     * so the device's tensors at smaller splits stay intact */
    for (size_t s = L + 1; s-- > 0 && !st;) {
        size_t n_next = s + 1 < L ? node_out(&g->node[s]) : 0;
        for (size_t k = 0; k < n_bits && !st; k++) {
            mdl_qresult *r = &cell[s * n_bits + k];
            *r = *full;
            if (s == L)
                continue;
            const int8_t *recv;
            if ((st = measure(q, c, s, bits[k], &recv, &r->payload, err)) || !answers)
                continue;
            int8_t *fed = c->fed + k * A; /* split s + 1's server input at bits[k] */
            bool same_next = false;
            if (memcmp(recv, boundary(c, s), c->sent_n)) {
                if ((st = run_range(q, c, s, s + 1, recv, err)))
                    break;
                same_next = n_next && !memcmp(c->out[s], fed, n_next);
                if (!same_next && (st = run_range(q, c, s + 1, L, NULL, err)))
                    break;
                for (size_t e = 0; e < E; e++) {
                    if (sp->exits[e].after <= s)
                        continue;
                    if (same_next && sp->exits[e].after > s + 1)
                        copy_exit(&cell[(s + 1) * n_bits + k], e, r);
                    else
                        exit_answer(q, c, e, r);
                }
            }
            memcpy(fed, recv, c->sent_n);
        }
    }
    return st;
}

off_status mdl_qgraph_infer_all(const mdl_qgraph *q, mdl_qctx *c, const uint8_t *image,
                                const int *bits, size_t n_bits, mdl_qresult *r, off_err *err)
{
    for (size_t k = 0; k < n_bits; k++)
        if (!mdl_qgraph_bits_ok(bits[k]))
            return off_errf(err, OFF_EINVAL, NULL, 0, 0, "model '%s': bits %d not in 1..8 or 32",
                            q->g->spec->name, bits[k]);
    mdl_qresult full;
    return image_cells(q, c, image, bits, n_bits, true, &full, r, err);
}

off_status mdl_qgraph_eval(const mdl_qgraph *q, const mdl_dataset *ds, size_t n,
                           const int *bits, size_t n_bits, double *acc, double *payload,
                           double *int8_acc, off_err *err)
{
    const mdl_graph *g = q->g;
    const mdl_gspec *sp = g->spec;
    size_t L = sp->n_layers, E = sp->n_exits, isz = input_size(g);
    if (ds->rows * ds->cols != isz)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0, "eval '%s': images of %zu pixels needed",
                        sp->name, isz);
    for (size_t k = 0; k < n_bits; k++)
        if (!mdl_qgraph_bits_ok(bits[k]))
            return off_errf(err, OFF_EINVAL, NULL, 0, 0, "eval: bits %d not in 1..8 or 32",
                            bits[k]);
    n = n && n < ds->n ? n : ds->n;
    size_t cells = (L + 1) * n_bits;
    mdl_qctx *c = mdl_qctx_new(q);
    mdl_qresult *r = malloc((cells ? cells : 1) * sizeof *r);
    if (!c || !r) {
        mdl_qctx_free(c);
        free(r);
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    }
    /* else the payloads alone; acc and payload may be NULL without cells */
    bool answers = int8_acc && (acc || cells == 0);
    if (answers && cells)
        memset(acc, 0, cells * E * sizeof *acc);
    if (answers)
        memset(int8_acc, 0, E * sizeof *int8_acc);
    if (cells)
        memset(payload, 0, cells * sizeof *payload);
    off_status st = OFF_OK;
    for (size_t i = 0; i < n && !st; i++) {
        uint8_t y = ds->labels[i];
        mdl_qresult full;
        if ((st = image_cells(q, c, ds->images + i * isz, bits, n_bits, answers, &full, r, err)))
            break;
        for (size_t e = 0; e < E && answers; e++)
            int8_acc[e] += full.pred[e] == y;
        for (size_t k = 0; k < cells; k++) {
            payload[k] += r[k].payload;
            for (size_t e = 0; e < E && answers; e++)
                acc[k * E + e] += r[k].pred[e] == y;
        }
    }
    mdl_qctx_free(c);
    free(r);
    if (st)
        return st;
    for (size_t k = 0; k < cells; k++) {
        payload[k] /= (double)n;
        for (size_t e = 0; e < E && answers; e++)
            acc[k * E + e] /= (double)n;
    }
    for (size_t e = 0; e < E && answers; e++)
        int8_acc[e] /= (double)n;
    return OFF_OK;
}

size_t mdl_qctx_sent(const mdl_qctx *c, const int8_t **device, const int8_t **received)
{
    *device = c->sent_n ? boundary(c, c->sent_split) : NULL;
    *received = c->sent_n ? c->dec : NULL;
    return c->sent_n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

off_status mdl_qgraph_time_nodes(const mdl_qgraph *q, mdl_qctx *c, const uint8_t *image,
                                 size_t reps, double *seconds, off_err *err)
{
    const mdl_graph *g = q->g;
    mdl_qresult r;
    off_status st = mdl_qgraph_infer(q, c, image, g->spec->n_layers, 8, &r, err);
    if (st)
        return st;
    reps = reps ? reps : 1;
    double *t = malloc(reps * sizeof *t);
    if (!t)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t i = 0; i < g->n_nodes && !st; i++) {
        const int8_t *in = g->node[i].src < 0 ? c->in : c->out[g->node[i].src];
        for (size_t k = 0; k < reps && !st; k++) {
            double t0 = off_wall_seconds();
            st = run_node(q, c, i, in, err);
            t[k] = off_wall_seconds() - t0;
        }
        qsort(t, reps, sizeof *t, cmp_double);
        seconds[i] = t[reps / 2];
    }
    free(t);
    return st;
}
