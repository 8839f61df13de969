/* test_mdl_idx.c - Fashion-MNIST and IDX files: real data, corruption. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "mdl_data.h"

/* off_hash_bytes of the 10,000 test images of Debian's dataset-fashion-mnist */
#define PIXEL_HASH UINT64_C(0x3dbf869a5a29c086)

static char dir[] = "/tmp/offsim-idx-XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static bool have_fashion(void)
{
    struct stat sb;
    return stat(MDL_FASHION_DIR "/t10k-images-idx3-ubyte.gz", &sb) == 0;
}

static void test_real_test_split_has_1000_images_per_class(void **state)
{
    (void)state;
    if (!have_fashion()) {
        printf("  %s missing (package dataset-fashion-mnist): skipped\n", MDL_FASHION_DIR);
        skip();
    }
    mdl_dataset ds;
    off_err e;
    double t0 = off_wall_seconds();
    assert_int_equal(mdl_dataset_load_fashion(&ds, NULL, true, &e), OFF_OK);
    printf("  test split: %zu images of %zux%zu in %.3f s\n", ds.n, ds.rows, ds.cols,
           off_wall_seconds() - t0);
    assert_int_equal(ds.n, 10000);
    assert_int_equal(ds.rows, 28);
    assert_int_equal(ds.cols, 28);
    size_t hist[10] = {0};
    for (size_t i = 0; i < ds.n; i++)
        hist[ds.labels[i]]++;
    for (int c = 0; c < 10; c++)
        assert_int_equal(hist[c], 1000);
    /* pinned content: the first labels of the test split and a hash of all
     * pixels (computed once from the Debian package's files) */
    const uint8_t first[10] = {9, 2, 1, 1, 6, 1, 4, 6, 5, 7};
    assert_memory_equal(ds.labels, first, 10);
    uint64_t h = off_hash_bytes(ds.images, ds.n * 784, 0);
    printf("  pixel hash %016llx\n", (unsigned long long)h);
    assert_true(h == PIXEL_HASH);
    assert_string_equal(mdl_fashion_class_name(ds.labels[0]), "Ankle boot");
    mdl_dataset_free(&ds);
    mdl_dataset_free(&ds);
}

static void test_real_training_split_has_6000_images_per_class(void **state)
{
    (void)state;
    if (!have_fashion()) {
        printf("  %s missing (package dataset-fashion-mnist): skipped\n", MDL_FASHION_DIR);
        skip();
    }
    mdl_dataset ds;
    off_err e;
    double t0 = off_wall_seconds();
    assert_int_equal(mdl_dataset_load_fashion(&ds, NULL, false, &e), OFF_OK);
    printf("  training split: %zu images in %.3f s\n", ds.n, off_wall_seconds() - t0);
    assert_int_equal(ds.n, 60000);
    size_t hist[10] = {0};
    for (size_t i = 0; i < ds.n; i++)
        hist[ds.labels[i]]++;
    for (int c = 0; c < 10; c++)
        assert_int_equal(hist[c], 6000);
    mdl_dataset_free(&ds);
}

/* Write bytes to name in dir, gzip'd or plain; returns the path. */
static const char *put(const char *name, const uint8_t *b, size_t n, bool gz)
{
    static char path[2][300];
    static int k;
    char *p = path[k++ & 1];
    snprintf(p, 300, "%s/%s", dir, name);
    if (gz) {
        gzFile f = gzopen(p, "wb");
        assert_non_null(f);
        if (n)
            assert_int_equal(gzwrite(f, b, (unsigned)n), (int)n);
        gzclose(f);
    } else {
        FILE *f = fopen(p, "wb");
        assert_int_equal(fwrite(b, 1, n, f), n);
        fclose(f);
    }
    return p;
}

/* A 3-image 2x2 IDX pair. */
static size_t make_images(uint8_t *b)
{
    const uint8_t hdr[16] = {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2};
    memcpy(b, hdr, 16);
    for (int i = 0; i < 12; i++)
        b[16 + i] = (uint8_t)(i * 20);
    return 28;
}

static size_t make_labels(uint8_t *b)
{
    const uint8_t hdr[8] = {0, 0, 8, 1, 0, 0, 0, 3};
    memcpy(b, hdr, 8);
    b[8] = 7;
    b[9] = 0;
    b[10] = 9;
    return 11;
}

static void expect(const char *img, const char *lab, off_status want, const char *needle)
{
    mdl_dataset ds;
    off_err e = {0};
    off_status st = mdl_dataset_load(&ds, img, lab, &e);
    if (st != want || (needle && !strstr(e.msg, needle)))
        fail_msg("status %d (want %d): %s (want '%s')", st, want, e.msg, needle);
    assert_null(ds.images);
}

static void test_small_files_plain_and_gzip_round_trip(void **state)
{
    (void)state;
    uint8_t ib[64], lb[64];
    size_t ni = make_images(ib), nl = make_labels(lb);
    for (int gz = 0; gz < 2; gz++) {
        const char *img = put(gz ? "i.gz" : "i.idx", ib, ni, gz);
        const char *lab = put(gz ? "l.gz" : "l.idx", lb, nl, gz);
        mdl_dataset ds;
        off_err e;
        assert_int_equal(mdl_dataset_load(&ds, img, lab, &e), OFF_OK);
        assert_int_equal(ds.n, 3);
        assert_int_equal(ds.rows, 2);
        assert_memory_equal(ds.images, ib + 16, 12);
        assert_memory_equal(ds.labels, lb + 8, 3);
        mdl_dataset_free(&ds);
    }
}

static void test_malformed_files_get_clear_errors(void **state)
{
    (void)state;
    uint8_t ib[64], lb[64], b[64];
    size_t ni = make_images(ib), nl = make_labels(lb);
    const char *lab = put("l.gz", lb, nl, true);
    memcpy(b, ib, ni);
    b[3] = 1; /* labels magic in the image file */
    expect(put("x.gz", b, ni, true), lab, OFF_EPARSE, "IDX file with 1 dimensions, expected 3");
    memcpy(b, ib, ni);
    b[2] = 0x0d; /* floats */
    expect(put("x.gz", b, ni, true), lab, OFF_EPARSE,
           "element type 0x0d, expected 0x08 (unsigned byte)");
    memcpy(b, ib, ni);
    b[0] = 0x12;
    expect(put("x.gz", b, ni, true), lab, OFF_EPARSE,
           "not an IDX file: magic 0x12000803, expected 0x00000803");
    expect(put("x.gz", ib, 10, true), lab, OFF_EPARSE,
           "truncated: the file ends inside the IDX header (10 of 16 bytes)");
    for (int gz = 0; gz < 2; gz++) {
        expect(put("x", ib, ni - 5, gz), lab, OFF_EPARSE,
               "truncated: header says 3 images of 2x2, file has 1 (and 3 bytes of the next)");
        memcpy(b, ib, ni);
        b[ni] = 1;
        expect(put("x", b, ni + 1, gz), lab, OFF_EPARSE,
               "trailing garbage: bytes after the 12 data bytes");
    }
    memcpy(b, ib, ni);
    b[7] = 0; /* zero images */
    expect(put("x.gz", b, ni, true), lab, OFF_EPARSE, "dimension 1 of 3 is 0, expected at least 1");
    memcpy(b, ib, ni);
    b[4] = 0x7f; /* 2 billion images: capped before allocating */
    expect(put("x.gz", b, ni, true), lab, OFF_EPARSE,
           "2130706435 images of 2x2 exceed the limit of 2^31 bytes");
    memset(b + 4, 0xff, 12); /* 2^96 elements would overflow any size_t */
    expect(put("x.gz", b, ni, true), lab, OFF_EPARSE, "exceed the limit");
    char img[300];
    snprintf(img, sizeof img, "%s", put("i.gz", ib, ni, true));
    memcpy(b, lb, nl);
    b[9] = 10;
    expect(img, put("y.gz", b, nl, true), OFF_EPARSE, "label 10 of item 1 is not a class 0..9");
    memcpy(b, lb, nl);
    b[7] = 2;
    expect(img, put("y.gz", b, nl - 1, true), OFF_EPARSE,
           "2 labels, expected one per image");
    expect(img, put("y.gz", lb, nl - 1, true), OFF_EPARSE,
           "y.gz: truncated: header says 3 labels, file has 2");
    expect(img, "/nonexistent/t10k-labels-idx1-ubyte.gz", OFF_EIO,
           "/nonexistent/t10k-labels-idx1-ubyte.gz: cannot open: No such file");
}

static void test_bad_gzip_checksum_is_reported_as_corruption(void **state)
{
    (void)state;
    uint8_t ib[64], raw[512];
    size_t ni = make_images(ib);
    const char *lab = put("l.gz", (uint8_t[]){0, 0, 8, 1, 0, 0, 0, 3, 7, 0, 9}, 11, true);
    const char *gz = put("full.gz", ib, ni, true);
    FILE *f = fopen(gz, "rb");
    size_t n = fread(raw, 1, sizeof raw, f);
    fclose(f);
    raw[n - 8] ^= 0x01; /* the CRC-32 in the gzip trailer */
    expect(put("crc.gz", raw, n, false), lab, OFF_EPARSE, "corrupt gzip stream");
}

static void test_fashion_loader_follows_env_and_says_where_files_come_from(void **state)
{
    (void)state;
    uint8_t ib[64], lb[64];
    size_t ni = make_images(ib), nl = make_labels(lb);
    put("t10k-images-idx3-ubyte.gz", ib, ni, true);
    put("t10k-labels-idx1-ubyte.gz", lb, nl, true);
    mdl_dataset ds;
    off_err e;
    assert_int_equal(setenv("OFFSIM_FASHION_MNIST_DIR", dir, 1), 0);
    assert_int_equal(mdl_dataset_load_fashion(&ds, NULL, true, &e), OFF_OK);
    assert_int_equal(ds.n, 3);
    assert_int_equal(ds.labels[0], 7);
    mdl_dataset_free(&ds);
    /* no training split there: the error names the file and the variable */
    assert_int_equal(mdl_dataset_load_fashion(&ds, NULL, false, &e), OFF_EIO);
    assert_non_null(strstr(e.msg, "/train-images-idx3-ubyte.gz: cannot open"));
    assert_non_null(strstr(e.msg, "OFFSIM_FASHION_MNIST_DIR"));
    assert_null(ds.images);
    unsetenv("OFFSIM_FASHION_MNIST_DIR");
    assert_int_equal(mdl_dataset_load_fashion(&ds, "/nonexistent", true, &e), OFF_EIO);
    assert_non_null(strstr(e.msg, "/nonexistent/t10k-images-idx3-ubyte.gz: cannot open"));
    assert_non_null(strstr(e.msg, "install Debian package dataset-fashion-mnist"));
    char longdir[5000];
    memset(longdir, 'a', sizeof longdir - 1);
    longdir[sizeof longdir - 1] = '\0';
    assert_int_equal(mdl_dataset_load_fashion(&ds, longdir, true, &e), OFF_EINVAL);
    assert_null(ds.images);
    assert_string_equal(mdl_fashion_class_name(9), "Ankle boot");
    assert_string_equal(mdl_fashion_class_name(10), "?");
    assert_string_equal(mdl_fashion_class_name(-1), "?");
    mdl_dataset_free(NULL);
}

/* Cut a file at every length; every cut is a parse error (never a crash,
 * never a leak: run under ASan). */
static void fuzz_truncations(const uint8_t *raw, size_t n, bool images, const char *other)
{
    for (size_t cut = 0; cut < n; cut++) {
        mdl_dataset ds;
        off_err e;
        const char *p = put("cut", raw, cut, false);
        off_status st = images ? mdl_dataset_load(&ds, p, other, &e)
                               : mdl_dataset_load(&ds, other, p, &e);
        if (st != OFF_EPARSE)
            fail_msg("cut at %zu of %zu: status %d: %s", cut, n, st, e.msg);
        assert_null(ds.images);
    }
}

static void test_every_truncation_is_an_error(void **state)
{
    (void)state;
    uint8_t ib[64], lb[64], raw[512];
    size_t ni = make_images(ib), nl = make_labels(lb);
    char img[300], lab[300];
    snprintf(img, sizeof img, "%s", put("i.gz", ib, ni, true));
    snprintf(lab, sizeof lab, "%s", put("l.gz", lb, nl, true));
    for (int images = 0; images < 2; images++) {
        const char *gz = images ? img : lab;
        FILE *f = fopen(gz, "rb");
        size_t n = fread(raw, 1, sizeof raw, f);
        fclose(f);
        fuzz_truncations(raw, n, images, images ? lab : img);      /* gzip'd */
        fuzz_truncations(images ? ib : lb, images ? ni : nl, images, images ? lab : img); /* plain */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_test_split_has_1000_images_per_class),
        cmocka_unit_test(test_real_training_split_has_6000_images_per_class),
        cmocka_unit_test(test_small_files_plain_and_gzip_round_trip),
        cmocka_unit_test(test_malformed_files_get_clear_errors),
        cmocka_unit_test(test_bad_gzip_checksum_is_reported_as_corruption),
        cmocka_unit_test(test_fashion_loader_follows_env_and_says_where_files_come_from),
        cmocka_unit_test(test_every_truncation_is_an_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
