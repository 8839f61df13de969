/* mdl_weights.c - the weights file.  Format in mdl_weights.h. */
#define _POSIX_C_SOURCE 200809L
#include "mdl_weights.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

size_t mdl_dtype_size(mdl_dtype dt)
{
    switch (dt) {
    case MDL_DT_F32: return 4;
    case MDL_DT_I8: return 1;
    case MDL_DT_I32: return 4;
    case MDL_DT_U8: return 1;
    }
    return 0;
}

/* product(dims) * size, or 0 on overflow / bad dtype */
static size_t tensor_bytes(mdl_dtype dt, uint32_t ndim, const uint32_t *dims)
{
    size_t n = mdl_dtype_size(dt);
    for (uint32_t i = 0; i < ndim && n; i++) {
        if (dims[i] == 0 || n > SIZE_MAX / dims[i])
            return 0;
        n *= dims[i];
    }
    return n;
}

/* ---- writing ------------------------------------------------------------ */
typedef struct wr {
    FILE *f;
    uLong crc;
    size_t off;
    bool bad;
} wr;

static void put(wr *w, const void *p, size_t n)
{
    if (n == 0)
        return;
    w->crc = crc32(w->crc, p, (uInt)n);
    w->off += n;
    if (fwrite(p, 1, n, w->f) != n)
        w->bad = true;
}

static void pad16(wr *w)
{
    static const uint8_t zero[16];
    put(w, zero, (16 - w->off % 16) % 16);
}

static void put_u(wr *w, uint64_t v, int bytes)
{
    uint8_t b[8];
    for (int i = 0; i < bytes; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put(w, b, (size_t)bytes);
}

/* fsync the directory holding path, so that a rename into it survives a
 * crash (POSIX leaves the directory entry in the page cache until then). */
static int sync_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (n >= sizeof dir)
        return -1;
    if (slash && n == 0)
        n = 1; /* a file in "/" */
    memcpy(dir, slash ? path : ".", slash ? n : 1);
    dir[slash ? n : 1] = '\0';
    int fd = open(dir, O_RDONLY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    if (rc != 0 && errno == EINVAL)
        rc = 0; /* a file system that cannot sync directories (as SQLite does) */
    close(fd);
    return rc;
}

off_status mdl_weights_write(const char *path, const mdl_tensor_rec *t, size_t n,
                             off_err *err)
{
    if (n > MDL_WEIGHTS_MAX_TENSORS)
        return off_errf(err, OFF_EINVAL, path, 0, 0, "%zu tensors: at most %d", n,
                        MDL_WEIGHTS_MAX_TENSORS);
    for (size_t i = 0; i < n; i++) {
        size_t len = strnlen(t[i].name, sizeof t[i].name);
        if (len == 0 || len >= sizeof t[i].name || t[i].ndim < 1 ||
            t[i].ndim > MDL_MAX_DIMS ||
            tensor_bytes(t[i].dtype, t[i].ndim, t[i].dims) != t[i].nbytes ||
            (t[i].nbytes && !t[i].data))
            return off_errf(err, OFF_EINVAL, path, 0, 0,
                            "tensor %zu ('%.63s'): inconsistent name, dtype, shape or size",
                            i, t[i].name);
    }
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return off_errf(err, OFF_EINVAL, path, 0, 0, "path too long");
    wr w = {fopen(tmp, "wb"), crc32(0, NULL, 0), 0, false};
    if (!w.f)
        return off_errf(err, OFF_EIO, tmp, 0, 0, "cannot create: %s", strerror(errno));
    put(&w, "OFFW", 4);
    put_u(&w, MDL_WEIGHTS_VERSION, 4);
    put_u(&w, n, 4);
    put_u(&w, 0, 4);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(t[i].name);
        put_u(&w, len, 2);
        put(&w, t[i].name, len);
        put_u(&w, (uint64_t)t[i].dtype, 1);
        put_u(&w, t[i].ndim, 1);
        for (uint32_t d = 0; d < t[i].ndim; d++)
            put_u(&w, t[i].dims[d], 4);
        put_u(&w, t[i].nbytes, 8);
        pad16(&w);
        put(&w, t[i].data, t[i].nbytes);
    }
    uint32_t crc = (uint32_t)w.crc;
    put_u(&w, crc, 4);
    /* the data on disk before the rename makes them visible under path */
    if (fflush(w.f) != 0 || fsync(fileno(w.f)) != 0)
        w.bad = true;
    if (fclose(w.f) != 0)
        w.bad = true;
    if (w.bad || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return off_errf(err, OFF_EIO, path, 0, 0, "cannot write: %s", strerror(e));
    }
    if (sync_dir(path) != 0)
        return off_errf(err, OFF_EIO, path, 0, 0, "cannot sync its directory: %s",
                        strerror(errno));
    return OFF_OK;
}

/* ---- reading ------------------------------------------------------------ */
typedef struct rd {
    const uint8_t *p;
    size_t left;
} rd;

static bool get_u(rd *r, int bytes, uint64_t *v)
{
    if (r->left < (size_t)bytes)
        return false;
    *v = 0;
    for (int i = 0; i < bytes; i++)
        *v |= (uint64_t)r->p[i] << (8 * i);
    r->p += bytes;
    r->left -= (size_t)bytes;
    return true;
}

#define TRUNC(what) \
    off_errf(err, OFF_EPARSE, path, 0, 0, "truncated: the file ends inside %s", what)

off_status mdl_weights_read(mdl_weights *w, const char *path, off_err *err)
{
    memset(w, 0, sizeof *w);
    char *buf;
    size_t len;
    off_status st = off_read_file(path, &buf, &len, err);
    if (st)
        return st;
    w->buf = (uint8_t *)buf;
    const uint8_t *b = w->buf;
    if (len >= 4 && len < 20 && memcmp(b, "OFFW", 4) == 0) {
        st = off_errf(err, OFF_EPARSE, path, 0, 0,
                      "truncated: %zu bytes, shorter than a header", len);
        goto fail;
    }
    if (len < 20 || memcmp(b, "OFFW", 4) != 0) {
        st = off_errf(err, OFF_EPARSE, path, 0, 0,
                      "not an offsim weights file (expected magic OFFW)");
        goto fail;
    }
    /* the checksum first: a corrupt file is reported as such, whatever
     * field the damage happens to hit */
    uint32_t stored = (uint32_t)b[len - 4] | (uint32_t)b[len - 3] << 8 |
                      (uint32_t)b[len - 2] << 16 | (uint32_t)b[len - 1] << 24;
    uint32_t crc = (uint32_t)crc32(crc32(0, NULL, 0), b, (uInt)(len - 4));
    rd r = {b + 4, len - 8};
    uint64_t version = 0, n = 0, reserved = 0;
    get_u(&r, 4, &version);
    if (version != MDL_WEIGHTS_VERSION) {
        st = off_errf(err, OFF_EPARSE, path, 0, 0,
                      "weights format version %llu, this offsim reads version %d",
                      (unsigned long long)version, MDL_WEIGHTS_VERSION);
        goto fail;
    }
    if (crc != stored) {
        st = off_errf(err, OFF_EPARSE, path, 0, 0,
                      "checksum mismatch (stored %08x, computed %08x): the file is "
                      "truncated or corrupt", stored, crc);
        goto fail;
    }
    get_u(&r, 4, &n);
    get_u(&r, 4, &reserved);
    if (n > MDL_WEIGHTS_MAX_TENSORS || reserved != 0) {
        st = off_errf(err, OFF_EPARSE, path, 0, 0, "corrupt header (%llu tensors)",
                      (unsigned long long)n);
        goto fail;
    }
    w->t = calloc(n ? n : 1, sizeof *w->t);
    if (!w->t) {
        st = off_errf(err, OFF_ENOMEM, path, 0, 0, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        mdl_tensor_rec *t = &w->t[i];
        uint64_t nl = 0, dt = 0, nd = 0, nb = 0, d = 0;
        if (!get_u(&r, 2, &nl) || nl == 0 || nl >= sizeof t->name || r.left < nl) {
            st = nl >= sizeof t->name ? off_errf(err, OFF_EPARSE, path, 0, 0,
                                                 "tensor %zu: name of %llu bytes", i,
                                                 (unsigned long long)nl)
                                      : TRUNC("a tensor name");
            goto fail;
        }
        memcpy(t->name, r.p, nl);
        t->name[nl] = '\0';
        r.p += nl;
        r.left -= nl;
        if (!get_u(&r, 1, &dt) || !get_u(&r, 1, &nd)) {
            st = TRUNC("a tensor header");
            goto fail;
        }
        if (mdl_dtype_size((mdl_dtype)dt) == 0 || nd < 1 || nd > MDL_MAX_DIMS) {
            st = off_errf(err, OFF_EPARSE, path, 0, 0,
                          "tensor '%s': bad dtype %llu or rank %llu", t->name,
                          (unsigned long long)dt, (unsigned long long)nd);
            goto fail;
        }
        t->dtype = (mdl_dtype)dt;
        t->ndim = (uint32_t)nd;
        for (uint32_t k = 0; k < t->ndim; k++) {
            if (!get_u(&r, 4, &d)) {
                st = TRUNC("a tensor shape");
                goto fail;
            }
            t->dims[k] = (uint32_t)d;
        }
        if (!get_u(&r, 8, &nb)) {
            st = TRUNC("a tensor header");
            goto fail;
        }
        size_t want = tensor_bytes(t->dtype, t->ndim, t->dims);
        if (want == 0 || nb != want) {
            st = off_errf(err, OFF_EPARSE, path, 0, 0,
                          "tensor '%s': %llu data bytes do not match its shape", t->name,
                          (unsigned long long)nb);
            goto fail;
        }
        size_t pad = (16 - (size_t)(r.p - b) % 16) % 16;
        if (r.left < pad) {
            st = TRUNC("a tensor's padding");
            goto fail;
        }
        for (size_t k = 0; k < pad; k++)
            if (r.p[k] != 0) {
                st = off_errf(err, OFF_EPARSE, path, 0, 0,
                              "tensor '%s': non-zero padding", t->name);
                goto fail;
            }
        r.p += pad;
        r.left -= pad;
        if (r.left < nb) {
            st = off_errf(err, OFF_EPARSE, path, 0, 0,
                          "truncated: tensor '%s' needs %llu bytes, %zu left", t->name,
                          (unsigned long long)nb, r.left);
            goto fail;
        }
        t->nbytes = (size_t)nb;
        t->data = (void *)r.p;
        r.p += nb;
        r.left -= nb;
        w->n = i + 1;
    }
    if (r.left != 0) {
        st = off_errf(err, OFF_EPARSE, path, 0, 0, "%zu unexpected bytes after the last "
                      "tensor", r.left);
        goto fail;
    }
    w->crc = crc;
    return OFF_OK;
fail:
    mdl_weights_free(w);
    return st;
}

const mdl_tensor_rec *mdl_weights_find(const mdl_weights *w, const char *name)
{
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->t[i].name, name) == 0)
            return &w->t[i];
    return NULL;
}

void mdl_weights_free(mdl_weights *w)
{
    if (!w)
        return;
    free(w->t);
    free(w->buf);
    memset(w, 0, sizeof *w);
}
