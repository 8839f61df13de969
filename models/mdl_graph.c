/* mdl_graph.c - shape inference, parameters, weights I/O and the cost view
 * of a multi-exit layer graph.  See mdl_graph.h. */
#include "mdl_graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdl_nn.h"
#include "mdl_weights.h"

static off_status add_node(mdl_graph *g, const mdl_gspec_layer *l, int src, off_err *err)
{
    const char *gn = g->spec->name;
    if (g->n_nodes >= MDL_GRAPH_MAX_NODES)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0, "graph '%s': more than %d layers", gn,
                        MDL_GRAPH_MAX_NODES);
    if (!l->name || !*l->name)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0, "graph '%s': a layer has no name", gn);
    for (size_t i = 0; i < g->n_nodes; i++)
        if (strcmp(g->node[i].spec->name, l->name) == 0)
            return off_errf(err, OFF_EINVAL, NULL, 0, 0, "graph '%s': two layers named '%s'",
                            gn, l->name);
    mdl_gnode *n = &g->node[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->spec = l;
    n->src = src;
    if (src < 0) {
        n->in_c = g->spec->in_c;
        n->in_h = g->spec->in_h;
        n->in_w = g->spec->in_w;
    } else {
        n->in_c = g->node[src].out_c;
        n->in_h = g->node[src].out_h;
        n->in_w = g->node[src].out_w;
    }
    switch (l->op) {
    case MDL_OP_CONV: {
        size_t gr = l->groups ? l->groups : 1;
        mdl_conv_shape s = {1, n->in_c, n->in_h, n->in_w, l->out_c, l->k, l->k,
                            l->stride ? l->stride : 1, l->pad, gr, 0, 0};
        if (!l->out_c || !l->k || !mdl_conv_shape_init(&s))
            return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                            "graph '%s': convolution '%s' does not fit its %zux%zux%zu input",
                            gn, l->name, n->in_c, n->in_h, n->in_w);
        n->out_c = l->out_c;
        n->out_h = s.OH;
        n->out_w = s.OW;
        n->fan_in = n->in_c / gr * l->k * l->k;
        n->w_n = l->out_c * n->fan_in;
        n->macs = (double)n->out_h * n->out_w * n->out_c * n->fan_in;
        break;
    }
    case MDL_OP_FC:
        if (!l->out_c)
            return off_errf(err, OFF_EINVAL, NULL, 0, 0, "graph '%s': layer '%s' has no outputs",
                            gn, l->name);
        n->out_c = l->out_c;
        n->out_h = n->out_w = 1;
        n->fan_in = n->in_c * n->in_h * n->in_w;
        n->w_n = l->out_c * n->fan_in;
        n->macs = (double)n->w_n;
        break;
    case MDL_OP_MAXPOOL:
    case MDL_OP_AVGPOOL: {
        size_t st = mdl_pool_stride(l);
        if (!l->k || n->in_h + 2 * l->pad < l->k || n->in_w + 2 * l->pad < l->k ||
            l->pad >= l->k)
            return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                            "graph '%s': pooling '%s' does not fit its input", gn, l->name);
        n->out_c = n->in_c;
        n->out_h = (n->in_h + 2 * l->pad - l->k) / st + 1;
        n->out_w = (n->in_w + 2 * l->pad - l->k) / st + 1;
        break;
    }
    default:
        return off_errf(err, OFF_EINVAL, NULL, 0, 0, "graph '%s': layer '%s' has an unknown op",
                        gn, l->name);
    }
    if (n->w_n) {
        n->w_off = g->n_params;
        n->b_off = n->w_off + n->w_n;
        g->n_params += n->w_n + n->out_c;
    }
    g->n_nodes++;
    return OFF_OK;
}

off_status mdl_graph_init(mdl_graph *g, const mdl_gspec *spec, off_err *err)
{
    memset(g, 0, sizeof *g);
    g->spec = spec;
    off_status st;
    if (!spec->n_layers || !spec->n_exits || spec->n_exits > MDL_GRAPH_MAX_EXITS ||
        !spec->n_classes)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "graph '%s': needs layers, 1..%d exits and classes", spec->name,
                        MDL_GRAPH_MAX_EXITS);
    for (size_t i = 0; i < spec->n_layers; i++)
        if ((st = add_node(g, &spec->layers[i], (int)i - 1, err)))
            return st;
    size_t L = spec->n_layers;
    for (size_t e = 0; e < spec->n_exits; e++) {
        const mdl_gspec_exit *x = &spec->exits[e];
        bool last = e + 1 == spec->n_exits;
        if (x->after < 1 || x->after > L || (e && x->after <= spec->exits[e - 1].after) ||
            (last && (x->after != L || x->n_layers)) || (!last && !x->n_layers))
            return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                            "graph '%s': exit '%s' must branch after layers 1..%zu in "
                            "increasing order, the last after the last layer with no "
                            "layers of its own", spec->name, x->name, L);
        int src = (int)x->after - 1;
        g->exit_first[e] = x->n_layers ? (int)g->n_nodes : -1;
        for (size_t i = 0; i < x->n_layers; i++) {
            if ((st = add_node(g, &x->layers[i], src, err)))
                return st;
            src = (int)g->n_nodes - 1;
        }
        g->exit_out[e] = src;
        const mdl_gnode *o = &g->node[src];
        if (o->out_c * o->out_h * o->out_w != spec->n_classes)
            return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                            "graph '%s': exit '%s' gives %zu values for %zu classes",
                            spec->name, x->name, o->out_c * o->out_h * o->out_w,
                            spec->n_classes);
    }
    g->params = calloc(g->n_params ? g->n_params : 1, sizeof(float));
    if (!g->params)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    return OFF_OK;
}

void mdl_graph_free(mdl_graph *g)
{
    if (!g)
        return;
    free(g->params);
    g->params = NULL;
}

void mdl_graph_init_params(mdl_graph *g, uint64_t seed)
{
    mdl_rng r = {seed};
    memset(g->params, 0, g->n_params * sizeof(float));
    for (size_t i = 0; i < g->n_nodes; i++) {
        const mdl_gnode *n = &g->node[i];
        if (n->w_n)
            mdl_init_kaiming(g->params + n->w_off, n->w_n, n->fan_in, &r);
    }
}

static void tensor_rec(mdl_tensor_rec *t, const char *layer, const char *suffix, float *data,
                       uint32_t ndim, const uint32_t *dims)
{
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s.%s", layer, suffix);
    t->dtype = MDL_DT_F32;
    t->ndim = ndim;
    size_t n = 1;
    for (uint32_t i = 0; i < ndim; i++)
        n *= (t->dims[i] = dims[i]);
    t->nbytes = n * sizeof(float);
    t->data = data;
}

/* The two tensors of node n: weights (4-D conv, 2-D fc) and bias. */
static void node_recs(const mdl_graph *g, const mdl_gnode *n, mdl_tensor_rec t[2])
{
    const mdl_gspec_layer *l = n->spec;
    uint32_t wd[4] = {(uint32_t)l->out_c, 0, 0, 0}, bd[1] = {(uint32_t)l->out_c};
    uint32_t nd = 2;
    if (l->op == MDL_OP_CONV) {
        wd[1] = (uint32_t)(n->in_c / (l->groups ? l->groups : 1));
        wd[2] = wd[3] = (uint32_t)l->k;
        nd = 4;
    } else {
        wd[1] = (uint32_t)n->fan_in;
    }
    tensor_rec(&t[0], l->name, "w", g->params + n->w_off, nd, wd);
    tensor_rec(&t[1], l->name, "b", g->params + n->b_off, 1, bd);
}

off_status mdl_graph_save(const mdl_graph *g, const char *path, off_err *err)
{
    mdl_tensor_rec t[2 * MDL_GRAPH_MAX_NODES];
    size_t k = 0;
    for (size_t i = 0; i < g->n_nodes; i++)
        if (g->node[i].w_n) {
            node_recs(g, &g->node[i], t + k);
            k += 2;
        }
    return mdl_weights_write(path, t, k, err);
}

off_status mdl_graph_load(mdl_graph *g, const char *path, off_err *err)
{
    mdl_weights w;
    off_status st = mdl_weights_read(&w, path, err);
    if (st)
        return st;
    for (size_t i = 0; i < g->n_nodes && st == OFF_OK; i++) {
        if (!g->node[i].w_n)
            continue;
        mdl_tensor_rec want[2];
        node_recs(g, &g->node[i], want);
        for (int j = 0; j < 2 && st == OFF_OK; j++) {
            const mdl_tensor_rec *t = mdl_weights_find(&w, want[j].name);
            if (!t || t->dtype != MDL_DT_F32 || t->nbytes != want[j].nbytes)
                st = off_errf(err, OFF_EPARSE, path, 0, 0,
                              "tensor '%s' of model '%s' is missing or has the wrong shape "
                              "(this file holds other weights?)",
                              want[j].name, g->spec->name);
            else
                memcpy(want[j].data, t->data, t->nbytes);
        }
    }
    if (st == OFF_OK)
        g->crc = w.crc;
    mdl_weights_free(&w);
    return st;
}

off_status mdl_graph_cost_model(const mdl_graph *g, const double *accuracy, mdl_model *m,
                                off_err *err)
{
    const mdl_gspec *sp = g->spec;
    mdl_layer layers[MDL_GRAPH_MAX_NODES];
    mdl_exit exits[MDL_GRAPH_MAX_EXITS];
    memset(layers, 0, sizeof layers);
    memset(exits, 0, sizeof exits);
    for (size_t i = 0; i < sp->n_layers; i++) {
        const mdl_gnode *n = &g->node[i];
        snprintf(layers[i].name, sizeof layers[i].name, "%s", n->spec->name);
        layers[i].macs = n->macs;
        layers[i].out_bytes = 4.0 * (double)(n->out_c * n->out_h * n->out_w);
        layers[i].params = n->w_n ? (double)(n->w_n + n->out_c) : 0;
        switch (n->spec->op) {
        case MDL_OP_CONV:
            layers[i].kind = n->spec->groups > 1 && n->spec->groups == n->in_c
                                 ? MDL_LAYER_DWCONV
                                 : MDL_LAYER_CONV;
            break;
        case MDL_OP_FC:
            layers[i].kind = MDL_LAYER_FC;
            break;
        default:
            layers[i].kind = MDL_LAYER_POOL;
            break;
        }
    }
    for (size_t e = 0; e < sp->n_exits; e++) {
        snprintf(exits[e].name, sizeof exits[e].name, "%s", sp->exits[e].name);
        exits[e].after = sp->exits[e].after;
        exits[e].accuracy = accuracy ? accuracy[e] : 0;
        for (int i = g->exit_first[e]; i >= 0 && i <= g->exit_out[e]; i++)
            exits[e].macs += g->node[i].macs;
    }
    static const int bits[] = {2, 4, 6, 8, 32};
    mdl_model_desc d = {sp->name, layers, sp->n_layers, exits, sp->n_exits, bits, 5,
                        (double)(sp->in_c * sp->in_h * sp->in_w), 4.0};
    return mdl_model_init(m, &d, err);
}
