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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Sanity cap on elements (Fashion-MNIST's training images are 47 M). */
#define IDX_MAX_ELEMS ((size_t)1 << 31)

/* Read an IDX file of unsigned bytes with `ndim` dimensions into a new
 * buffer; dims receives the sizes. */
static off_status idx_read(const char *path, unsigned ndim, uint32_t *dims,
                           uint8_t **data, off_err *err)
{
    *data = NULL;
    FILE *probe = fopen(path, "rb");
    if (!probe)
        return off_errf(err, OFF_EIO, path, 0, 0, "cannot open: %s%s", strerror(errno),
                        strstr(path, "fashion-mnist")
                            ? " (install Debian package dataset-fashion-mnist; "
                              "`make build` does)"
                            : "");
    fclose(probe);
    gzFile f = gzopen(path, "rb");
    if (!f)
        return off_errf(err, OFF_EIO, path, 0, 0, "cannot open");
    off_status st = OFF_OK;
    unsigned char hdr[4 + 4 * 3];
    size_t hlen = 4 + 4 * (size_t)ndim;
    int got = gzread(f, hdr, (unsigned)hlen);
    if (got < 0) {
        int zerr;
        const char *m = gzerror(f, &zerr);
        st = off_errf(err, OFF_EPARSE, path, 0, 0, "not a valid gzip stream: %s", m);
        goto out;
    }
    if ((size_t)got < 4 || hdr[0] != 0 || hdr[1] != 0) {
        st = off_errf(err, OFF_EPARSE, path, 0, 0, "not an IDX file (bad magic)");
        goto out;
    }
    if (hdr[2] != 0x08 || hdr[3] != ndim) {
        st = off_errf(err, OFF_EPARSE, path, 0, 0,
                      "IDX element type 0x%02x with %u dimensions, expected unsigned "
                      "bytes (0x08) with %u", hdr[2], hdr[3], ndim);
        goto out;
    }
    if ((size_t)got < hlen) {
        st = off_errf(err, OFF_EPARSE, path, 0, 0, "truncated: the header is incomplete");
        goto out;
    }
    size_t total = 1;
    for (unsigned i = 0; i < ndim; i++) {
        const unsigned char *p = hdr + 4 + 4 * i;
        dims[i] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        if (dims[i] == 0 || total > IDX_MAX_ELEMS / dims[i]) {
            st = off_errf(err, OFF_EPARSE, path, 0, 0, "bad dimension %u: %u", i, dims[i]);
            goto out;
        }
        total *= dims[i];
    }
    *data = malloc(total);
    if (!*data) {
        st = off_errf(err, OFF_ENOMEM, path, 0, 0, "out of memory for %zu bytes", total);
        goto out;
    }
    size_t have = 0;
    while (have < total) {
        unsigned chunk = total - have > (1u << 30) ? 1u << 30 : (unsigned)(total - have);
        int r = gzread(f, *data + have, chunk);
        if (r <= 0)
            break;
        have += (size_t)r;
    }
    int zerr = Z_OK;
    gzerror(f, &zerr);
    if (have < total) {
        st = zerr != Z_OK && zerr != Z_BUF_ERROR
                 ? off_errf(err, OFF_EPARSE, path, 0, 0, "corrupt gzip stream after %zu of "
                            "%zu data bytes", have, total)
                 : off_errf(err, OFF_EPARSE, path, 0, 0,
                            "truncated: the header says %zu data bytes, the file has %zu",
                            total, have);
        goto out;
    }
    unsigned char extra;
    if (gzread(f, &extra, 1) != 0) {
        st = off_errf(err, OFF_EPARSE, path, 0, 0,
                      "unexpected bytes after the %zu data bytes the header announces",
                      total);
        goto out;
    }
    gzerror(f, &zerr);
    if (zerr != Z_OK && zerr != Z_BUF_ERROR)
        st = off_errf(err, OFF_EPARSE, path, 0, 0, "corrupt gzip stream");
out:
    gzclose(f);
    if (st != OFF_OK) {
        free(*data);
        *data = NULL;
    }
    return st;
}

off_status mdl_dataset_load(mdl_dataset *ds, const char *images_path,
                            const char *labels_path, off_err *err)
{
    memset(ds, 0, sizeof *ds);
    uint32_t idims[3], ldims[1];
    off_status st = idx_read(images_path, 3, idims, &ds->images, err);
    if (st == OFF_OK)
        st = idx_read(labels_path, 1, ldims, &ds->labels, err);
    if (st == OFF_OK && ldims[0] != idims[0])
        st = off_errf(err, OFF_EPARSE, labels_path, 0, 0,
                      "%u labels for %u images in %s", ldims[0], idims[0], images_path);
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

off_status mdl_dataset_load_fashion(mdl_dataset *ds, const char *dir, bool test_split,
                                    off_err *err)
{
    if (!dir) {
        const char *env = getenv("OFFSIM_FASHION_MNIST_DIR");
        dir = env && *env ? env : MDL_FASHION_DIR;
    }
    const char *pre = test_split ? "t10k" : "train";
    char img[4096], lab[4096];
    snprintf(img, sizeof img, "%s/%s-images-idx3-ubyte.gz", dir, pre);
    snprintf(lab, sizeof lab, "%s/%s-labels-idx1-ubyte.gz", dir, pre);
    return mdl_dataset_load(ds, img, lab, err);
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
