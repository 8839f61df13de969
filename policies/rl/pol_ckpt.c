/*
 * pol_ckpt.c - the learning agents' checkpoints in the OFFW container; see
 * pol_ckpt.h.
 */
#include "pol_ckpt.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIND "kind"
#define ARCH "arch"

static off_status fill_rec(mdl_tensor_rec *r, const char *name, mdl_dtype dt,
                           const void *data, size_t n, const char *path, off_err *err)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len >= sizeof r->name)
        return off_errf(err, OFF_EINVAL, path, 0, 0,
                        "checkpoint: section '%s' needs a name of 1 to %zu bytes",
                        name ? name : "", sizeof r->name - 1);
    if (n == 0 || n > UINT32_MAX || mdl_dtype_size(dt) == 0)
        return off_errf(err, OFF_EINVAL, path, 0, 0,
                        "checkpoint: section '%s' has %zu elements (1 to %u)", name, n,
                        UINT32_MAX);
    memset(r, 0, sizeof *r);
    memcpy(r->name, name, len + 1);
    r->dtype = dt;
    r->ndim = 1;
    r->dims[0] = (uint32_t)n;
    r->nbytes = n * mdl_dtype_size(dt);
    r->data = (void *)data;
    return OFF_OK;
}

off_status pol_ckpt_save(const char *path, const char *kind, const char *arch,
                         const pol_tensor *ts, size_t nt, off_err *err)
{
    mdl_tensor_rec *r = calloc(nt + 2, sizeof *r);
    if (!r)
        return off_errf(err, OFF_ENOMEM, path, 0, 0, "out of memory");
    size_t n = 0;
    off_status st = fill_rec(&r[n++], KIND, MDL_DT_U8, kind, kind ? strlen(kind) : 0,
                             path, err);
    if (!st && arch)
        st = fill_rec(&r[n++], ARCH, MDL_DT_U8, arch, strlen(arch), path, err);
    for (size_t i = 0; i < nt && !st; i++)
        st = fill_rec(&r[n++], ts[i].name, ts[i].dtype, ts[i].data, ts[i].n, path, err);
    if (!st)
        st = mdl_weights_write(path, r, n, err);
    free(r);
    return st;
}

/* The blob name of w as a string (a copy in buf), or NULL if absent. */
static const char *blob(const mdl_weights *w, size_t i, const char *name, char *buf,
                        size_t size)
{
    if (i >= w->n || strcmp(w->t[i].name, name) != 0 || w->t[i].dtype != MDL_DT_U8 ||
        w->t[i].nbytes >= size)
        return NULL;
    memcpy(buf, w->t[i].data, w->t[i].nbytes);
    buf[w->t[i].nbytes] = '\0';
    return buf;
}

/* A file that mdl_weights_read found malformed: the older agents' format
 * gets its own message, anything else keeps the reader's (as OFF_EINVAL). */
static off_status not_offw(const char *path, off_err *err)
{
    char head[8] = {0};
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(head, 1, sizeof head, f) : 0;
    if (f)
        fclose(f);
    if (got == sizeof head && memcmp(head, "OFFPOLCK", 8) == 0)
        return off_errf(err, OFF_EINVAL, path, 0, 0,
                        "an agent checkpoint in the older OFFPOLCK format, which this "
                        "offsim no longer reads: train the agent again (offsim train "
                        "... --out FILE)");
    if (err)
        err->status = OFF_EINVAL;
    return OFF_EINVAL;
}

/* Every expected section present with its dtype and size, in order, and
 * nothing else (more sections after them if `more`). */
static off_status check_sections(const mdl_weights *w, size_t first, const char *path,
                                 const char *kind, const pol_tensor *ts, size_t nt,
                                 bool more, off_err *err)
{
    for (size_t i = 0; i < nt; i++) {
        size_t k = first + i;
        if (k >= w->n)
            return off_errf(err, OFF_EINVAL, path, 0, 0,
                            "%s checkpoint ends before section '%s'", kind, ts[i].name);
        const mdl_tensor_rec *r = &w->t[k];
        if (strcmp(r->name, ts[i].name) != 0)
            return off_errf(err, OFF_EINVAL, path, 0, 0,
                            "%s checkpoint section %zu is '%s', expected '%s'", kind, i,
                            r->name, ts[i].name);
        if (r->dtype != ts[i].dtype || r->ndim != 1 || r->dims[0] != ts[i].n)
            return off_errf(err, OFF_EINVAL, path, 0, 0,
                            "%s checkpoint section '%s' has %u values, expected %zu",
                            kind, ts[i].name, r->ndim == 1 ? r->dims[0] : 0, ts[i].n);
    }
    if (!more && first + nt != w->n)
        return off_errf(err, OFF_EINVAL, path, 0, 0,
                        "%s checkpoint has an unexpected section '%s'", kind,
                        w->t[first + nt].name);
    return OFF_OK;
}

static off_status check_header(const mdl_weights *w, const char *path, const char *kind,
                               const char *arch, size_t *first, off_err *err)
{
    char got[256];
    const char *k = blob(w, 0, KIND, got, sizeof got);
    if (!k)
        return off_errf(err, OFF_EINVAL, path, 0, 0,
                        "an OFFW file without an agent kind (model weights?), expected a "
                        "%s checkpoint", kind);
    if (strcmp(k, kind) != 0)
        return off_errf(err, OFF_EINVAL, path, 0, 0, "a %s checkpoint, expected %s", k,
                        kind);
    *first = 1;
    if (!arch)
        return OFF_OK;
    const char *a = blob(w, 1, ARCH, got, sizeof got);
    if (!a || strcmp(a, arch) != 0)
        return off_errf(err, OFF_EINVAL, path, 0, 0, "a %s checkpoint for %s, expected %s",
                        kind, a ? a : "(no shape)", arch);
    *first = 2;
    return OFF_OK;
}

/* path read whole; a malformed file as not_offw says */
static off_status read_ckpt(mdl_weights *w, const char *path, off_err *err)
{
    off_status st = mdl_weights_read(w, path, err);
    return st == OFF_EPARSE ? not_offw(path, err) : st;
}

static off_status load(const char *path, const char *kind, const char *arch,
                       const pol_tensor *ts, size_t nt, bool more, off_err *err)
{
    mdl_weights w;
    off_status st = read_ckpt(&w, path, err);
    if (st)
        return st;
    size_t first = 0;
    if (!(st = check_header(&w, path, kind, arch, &first, err)) &&
        !(st = check_sections(&w, first, path, kind, ts, nt, more, err)))
        for (size_t i = 0; i < nt; i++)
            memcpy(ts[i].data, w.t[first + i].data, w.t[first + i].nbytes);
    mdl_weights_free(&w);
    return st;
}

off_status pol_ckpt_load(const char *path, const char *kind, const char *arch,
                         const pol_tensor *ts, size_t nt, off_err *err)
{
    return load(path, kind, arch, ts, nt, false, err);
}

off_status pol_ckpt_load_first(const char *path, const char *kind, const char *arch,
                               const pol_tensor *ts, size_t nt, off_err *err)
{
    return load(path, kind, arch, ts, nt, true, err);
}

off_status pol_ckpt_find(const char *path, const pol_tensor *t, int *found, off_err *err)
{
    *found = 0;
    mdl_weights w;
    off_status st = read_ckpt(&w, path, err);
    if (st)
        return st;
    const mdl_tensor_rec *r = mdl_weights_find(&w, t->name);
    if (r && (r->dtype != t->dtype || r->ndim != 1 || r->dims[0] != t->n))
        st = off_errf(err, OFF_EINVAL, path, 0, 0,
                      "checkpoint section '%s' has %u values of %zu bytes, expected %zu of %zu",
                      t->name, r->ndim == 1 ? r->dims[0] : 0, mdl_dtype_size(r->dtype), t->n,
                      mdl_dtype_size(t->dtype));
    else if (r) {
        memcpy(t->data, r->data, r->nbytes);
        *found = 1;
    }
    mdl_weights_free(&w);
    return st;
}

void pol_pack_u64(uint8_t *out, const uint64_t *v, size_t n)
{
    for (size_t i = 0; i < 8 * n; i++)
        out[i] = (uint8_t)(v[i / 8] >> (8 * (i % 8)));
}

void pol_unpack_u64(uint64_t *v, const uint8_t *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = 0;
    for (size_t i = 0; i < 8 * n; i++)
        v[i / 8] |= (uint64_t)in[i] << (8 * (i % 8));
}
