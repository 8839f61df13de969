/*
 * mdl_idx.c - IDX files (LeCun's MNIST format, used by Fashion-MNIST) read
 * through zlib, which reads gzip'd and plain files alike.
 *
 * IDX: a big-endian magic 0x0000TTDD (TT = element type, 0x08 = unsigned
 * byte; DD = number of dimensions), DD big-endian u32 sizes, then the data.
 */
#define _POSIX_C_SOURCE 200809L
#include "mdl_data.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Sanity cap on elements (Fashion-MNIST's training images are 47 M). */
#define IDX_MAX_ELEMS ((size_t)1 << 31)

/* Read up to n bytes; *got receives how many were read.  Returns zlib's
 * error state afterwards: Z_OK, Z_BUF_ERROR (a gzip stream cut short) or
 * another code (a corrupt stream; *msg then says what zlib found). */
static int gz_read_full(gzFile f, uint8_t *buf, size_t n, size_t *got, const char **msg)
{
    *got = 0;
    while (*got < n) {
        unsigned chunk = n - *got > (1u << 30) ? 1u << 30 : (unsigned)(n - *got);
        int r = gzread(f, buf + *got, chunk);
        if (r <= 0)
            break;
        *got += (size_t)r;
    }
    int zerr = Z_OK;
    *msg = gzerror(f, &zerr);
    return zerr;
}

/* Read an IDX file of unsigned bytes with `ndim` (1 or 3) dimensions into a
 * new buffer; dims receives the sizes.  hint (may be "") is appended to the
 * message when the file cannot be opened.  On error *data is NULL. */
static off_status idx_read(const char *path, unsigned ndim, const char *hint,
                           uint32_t *dims, uint8_t **data, off_err *err)
{
    const char *what = ndim == 3 ? "images" : "labels";
    *data = NULL;
    /* fopen first for a reliable errno: gzopen's is not always set */
    FILE *probe = fopen(path, "rb");
    if (!probe)
        return off_errf(err, OFF_EIO, path, 0, 0, "cannot open: %s%s", strerror(errno), hint);
    fclose(probe);
    gzFile f = gzopen(path, "rb");
    if (!f)
        return off_errf(err, OFF_EIO, path, 0, 0, "cannot open%s", hint);
    off_status st = OFF_OK;
    uint8_t hdr[4 + 4 * 3];
    size_t hlen = 4 + 4 * (size_t)ndim, got;
    const char *zmsg;
    int zerr = gz_read_full(f, hdr, hlen, &got, &zmsg);
    if (zerr != Z_OK && zerr != Z_BUF_ERROR) {
        st = off_errf(err, OFF_EPARSE, path, 0, 0, "corrupt gzip stream: %s", zmsg);
        goto out;
    }
    if (got < hlen) {
        st = off_errf(err, OFF_EPARSE, path, 0, 0,
                      "truncated: the file ends inside the IDX header (%zu of %zu bytes)%s",
                      got, hlen, zerr == Z_BUF_ERROR ? "; the gzip stream is cut short" : "");
        goto out;
    }
    uint32_t magic = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
    if (hdr[0] != 0 || hdr[1] != 0) {
        st = off_errf(err, OFF_EPARSE, path, 0, 0,
                      "not an IDX file: magic 0x%08x, expected 0x%08x (IDX %s)", magic,
                      0x800u | ndim, what);
        goto out;
    }
    if (hdr[2] != 0x08) {
        st = off_errf(err, OFF_EPARSE, path, 0, 0,
                      "IDX element type 0x%02x, expected 0x08 (unsigned byte)", hdr[2]);
        goto out;
    }
    if (hdr[3] != ndim) {
        st = off_errf(err, OFF_EPARSE, path, 0, 0,
                      "IDX file with %u dimensions, expected %u (%s: magic 0x%08x)", hdr[3],
                      ndim, what, 0x800u | ndim);
        goto out;
    }
    for (unsigned i = 0; i < ndim; i++) {
        const uint8_t *p = hdr + 4 + 4 * i;
        dims[i] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    }
    /* total = product of dims, checked against the cap before each multiply,
     * so it can neither overflow size_t nor allocate absurd amounts */
    size_t total = 1;
    for (unsigned i = 0; i < ndim; i++) {
        if (dims[i] == 0) {
            st = off_errf(err, OFF_EPARSE, path, 0, 0,
                          "dimension %u of %u is 0, expected at least 1", i + 1, ndim);
            goto out;
        }
        if (total > IDX_MAX_ELEMS / dims[i]) {
            st = ndim == 3
                     ? off_errf(err, OFF_EPARSE, path, 0, 0,
                                "%" PRIu32 " images of %" PRIu32 "x%" PRIu32
                                " exceed the limit of 2^31 bytes",
                                dims[0], dims[1], dims[2])
                     : off_errf(err, OFF_EPARSE, path, 0, 0,
                                "%" PRIu32 " labels exceed the limit of 2^31", dims[0]);
            goto out;
        }
        total *= dims[i];
    }
    *data = malloc(total);
    if (!*data) {
        st = off_errf(err, OFF_ENOMEM, path, 0, 0, "out of memory for %zu bytes", total);
        goto out;
    }
    size_t have;
    zerr = gz_read_full(f, *data, total, &have, &zmsg);
    if (zerr != Z_OK && zerr != Z_BUF_ERROR) {
        st = off_errf(err, OFF_EPARSE, path, 0, 0,
                      "corrupt gzip stream after %zu of %zu data bytes: %s", have, total, zmsg);
        goto out;
    }
    if (have < total) {
        if (ndim == 1)
            st = off_errf(err, OFF_EPARSE, path, 0, 0,
                          "truncated: header says %" PRIu32 " labels, file has %zu", dims[0],
                          have);
        else {
            size_t item = total / dims[0];
            st = off_errf(err, OFF_EPARSE, path, 0, 0,
                          "truncated: header says %" PRIu32 " images of %" PRIu32 "x%" PRIu32
                          ", file has %zu (and %zu bytes of the next)",
                          dims[0], dims[1], dims[2], have / item, have % item);
        }
        goto out;
    }
    uint8_t extra;
    zerr = gz_read_full(f, &extra, 1, &got, &zmsg);
    if (got != 0)
        st = off_errf(err, OFF_EPARSE, path, 0, 0,
                      "trailing garbage: bytes after the %zu data bytes the header announces",
                      total);
    else if (zerr == Z_BUF_ERROR)
        st = off_errf(err, OFF_EPARSE, path, 0, 0,
                      "truncated: all %zu data bytes are there but the gzip stream is cut short "
                      "(its checksum is missing)", total);
    else if (zerr != Z_OK)
        st = off_errf(err, OFF_EPARSE, path, 0, 0, "corrupt gzip stream: %s", zmsg);
out:
    gzclose(f);
    if (st != OFF_OK) {
        free(*data);
        *data = NULL;
    }
    return st;
}

/* mdl_dataset_load with a hint for missing files. */
static off_status dataset_load(mdl_dataset *ds, const char *images_path,
                               const char *labels_path, const char *hint, off_err *err)
{
    memset(ds, 0, sizeof *ds);
    uint32_t idims[3], ldims[1];
    off_status st = idx_read(images_path, 3, hint, idims, &ds->images, err);
    if (st == OFF_OK)
        st = idx_read(labels_path, 1, hint, ldims, &ds->labels, err);
    if (st == OFF_OK && ldims[0] != idims[0])
        st = off_errf(err, OFF_EPARSE, labels_path, 0, 0,
                      "%" PRIu32 " labels, expected one per image: %s has %" PRIu32 " images",
                      ldims[0], images_path, idims[0]);
    for (size_t i = 0; st == OFF_OK && i < ldims[0]; i++)
        if (ds->labels[i] > 9)
            st = off_errf(err, OFF_EPARSE, labels_path, 0, 0,
                          "label %u of item %zu is not a class 0..9", ds->labels[i], i);
    if (st != OFF_OK) {
        mdl_dataset_free(ds);
        return st;
    }
    ds->n = idims[0];
    ds->rows = idims[1];
    ds->cols = idims[2];
    return OFF_OK;
}

off_status mdl_dataset_load(mdl_dataset *ds, const char *images_path,
                            const char *labels_path, off_err *err)
{
    return dataset_load(ds, images_path, labels_path, "", err);
}

off_status mdl_dataset_load_fashion(mdl_dataset *ds, const char *dir, bool test_split,
                                    off_err *err)
{
    memset(ds, 0, sizeof *ds);
    const char *hint = " (install Debian package dataset-fashion-mnist; `make build` does)";
    if (!dir) {
        const char *env = getenv("OFFSIM_FASHION_MNIST_DIR");
        if (env && *env) {
            dir = env;
            hint = " (set by OFFSIM_FASHION_MNIST_DIR; unset it to use Debian package "
                   "dataset-fashion-mnist)";
        } else {
            dir = MDL_FASHION_DIR;
        }
    }
    const char *pre = test_split ? "t10k" : "train";
    char img[4096], lab[4096];
    int ni = snprintf(img, sizeof img, "%s/%s-images-idx3-ubyte.gz", dir, pre);
    int nl = snprintf(lab, sizeof lab, "%s/%s-labels-idx1-ubyte.gz", dir, pre);
    if (ni < 0 || nl < 0 || (size_t)ni >= sizeof img || (size_t)nl >= sizeof lab)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "Fashion-MNIST directory path too long (%zu bytes)", strlen(dir));
    return dataset_load(ds, img, lab, hint, err);
}

void mdl_dataset_free(mdl_dataset *ds)
{
    if (!ds)
        return;
    free(ds->images);
    free(ds->labels);
    memset(ds, 0, sizeof *ds);
}

const char *mdl_fashion_class_name(int label)
{
    static const char *const names[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress",
                                          "Coat",        "Sandal",  "Shirt",    "Sneaker",
                                          "Bag",         "Ankle boot"};
    return label >= 0 && label < 10 ? names[label] : "?";
}
