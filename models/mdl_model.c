/* mdl_model.c - the cost view of a layer-table model.  See mdl.h. */
#include "mdl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void copy_name(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

off_status mdl_model_init(mdl_model *m, const mdl_model_desc *d, off_err *err)
{
    memset(m, 0, sizeof *m);
    const char *nm = d->name ? d->name : "model";
    if (d->n_layers < 1)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0, "model '%s' has no layers", nm);
    if (d->n_exits < 1)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0, "model '%s' has no exits", nm);
    for (size_t i = 0; i < d->n_exits; i++) {
        size_t a = d->exits[i].after;
        if (a < 1 || a > d->n_layers || (i > 0 && a <= d->exits[i - 1].after))
            return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                            "model '%s': exit '%s' must come after layers 1..%zu in "
                            "increasing order", nm, d->exits[i].name, d->n_layers);
        if (!(d->exits[i].accuracy >= 0 && d->exits[i].accuracy <= 1))
            return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                            "model '%s': exit '%s' accuracy must be in 0..1", nm,
                            d->exits[i].name);
    }
    if (d->exits[d->n_exits - 1].after != d->n_layers)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "model '%s': the last exit must follow the last layer", nm);
    if (d->n_bits < 1 || d->n_bits > MDL_MAX_BITS)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "model '%s': between 1 and %d bit-widths allowed", nm,
                        MDL_MAX_BITS);
    for (size_t i = 0; i < d->n_bits; i++) {
        int b = d->bits[i];
        if (!((b >= 1 && b <= 16) || b == 32) || (i > 0 && b <= d->bits[i - 1]))
            return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                            "model '%s': bit-widths must be ascending values in "
                            "1..16 or 32", nm);
        m->bits[i] = b;
    }
    m->layers = calloc(d->n_layers, sizeof *m->layers);
    m->exits = calloc(d->n_exits, sizeof *m->exits);
    m->prefix_macs = calloc(d->n_layers + 1, sizeof *m->prefix_macs);
    if (!m->layers || !m->exits || !m->prefix_macs) {
        mdl_model_free(m);
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    }
    copy_name(m->name, sizeof m->name, nm);
    m->n_layers = d->n_layers;
    m->n_exits = d->n_exits;
    m->n_bits = d->n_bits;
    m->input_bytes = d->input_bytes;
    m->result_bytes = d->result_bytes;
    for (size_t i = 0; i < d->n_layers; i++) {
        m->layers[i] = d->layers[i];
        m->prefix_macs[i + 1] = m->prefix_macs[i] + d->layers[i].macs;
    }
    memcpy(m->exits, d->exits, d->n_exits * sizeof *m->exits);
    return OFF_OK;
}

off_status mdl_model_set_payload_mean(mdl_model *m, const double *tab, off_err *err)
{
    free(m->payload_mean);
    m->payload_mean = NULL;
    if (!tab)
        return OFF_OK;
    size_t n = (m->n_layers + 1) * m->n_bits;
    if (!(m->payload_mean = malloc(n * sizeof *m->payload_mean)))
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    memcpy(m->payload_mean, tab, n * sizeof *tab);
    return OFF_OK;
}

void mdl_model_free(mdl_model *m)
{
    if (!m)
        return;
    free(m->layers);
    free(m->exits);
    free(m->prefix_macs);
    free(m->payload_mean);
    m->layers = NULL;
    m->exits = NULL;
    m->prefix_macs = NULL;
    m->payload_mean = NULL;
    m->n_layers = m->n_exits = 0;
}

double mdl_device_macs(const mdl_model *m, size_t exit, size_t split)
{
    const mdl_exit *x = &m->exits[exit];
    if (split >= x->after)
        return m->prefix_macs[x->after] + x->macs;
    return m->prefix_macs[split];
}

double mdl_server_macs(const mdl_model *m, size_t exit, size_t split)
{
    const mdl_exit *x = &m->exits[exit];
    if (split >= x->after)
        return 0.0;
    return m->prefix_macs[x->after] - m->prefix_macs[split] + x->macs;
}

double mdl_payload_bytes(const mdl_model *m, size_t exit, size_t split, int bits)
{
    if (split >= m->exits[exit].after)
        return 0.0;
    if (split == 0)
        return m->input_bytes;
    return ceil(m->layers[split - 1].out_bytes * (double)bits / 32.0);
}

int mdl_bits_index(const mdl_model *m, int bits)
{
    for (size_t i = 0; i < m->n_bits; i++)
        if (m->bits[i] == bits)
            return (int)i;
    return -1;
}

int mdl_exit_index(const mdl_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_exits; i++)
        if (strcmp(m->exits[i].name, name) == 0)
            return (int)i;
    return -1;
}
