/* test_mdl_weights.c - the weights file: round trip, truncation, corruption,
 * atomic rewrite. */
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

#include "mdl_weights.h"

static char dir[] = "/tmp/offsim-w-XXXXXX";
static char path[256];
static float w1[6 * 1 * 5 * 5];
static int8_t q1[10 * 7];
static int32_t b1[10];

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/m.offw", dir);
    for (size_t i = 0; i < sizeof w1 / sizeof w1[0]; i++)
        w1[i] = (float)i * 0.25f - 3.0f;
    for (size_t i = 0; i < sizeof q1; i++)
        q1[i] = (int8_t)(i * 37);
    for (size_t i = 0; i < 10; i++)
        b1[i] = (int32_t)(i * 100000 - 7);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_sample(void)
{
    mdl_tensor_rec t[3] = {
        {"conv1.w", MDL_DT_F32, 4, {6, 1, 5, 5}, sizeof w1, w1},
        {"fc.wq", MDL_DT_I8, 2, {10, 7}, sizeof q1, q1},
        {"fc.b", MDL_DT_I32, 1, {10}, sizeof b1, b1},
    };
    off_err e;
    assert_int_equal(mdl_weights_write(path, t, 3, &e), OFF_OK);
}

static void test_round_trip_keeps_names_shapes_and_bytes(void **state)
{
    (void)state;
    write_sample();
    mdl_weights w;
    off_err e;
    assert_int_equal(mdl_weights_read(&w, path, &e), OFF_OK);
    assert_int_equal(w.n, 3);
    const mdl_tensor_rec *c = mdl_weights_find(&w, "conv1.w");
    assert_non_null(c);
    assert_int_equal(c->ndim, 4);
    assert_int_equal(c->dims[0], 6);
    assert_int_equal(c->dims[3], 5);
    assert_int_equal((uintptr_t)c->data % 16, 0); /* aligned */
    assert_memory_equal(c->data, w1, sizeof w1);
    assert_memory_equal(mdl_weights_find(&w, "fc.wq")->data, q1, sizeof q1);
    assert_memory_equal(mdl_weights_find(&w, "fc.b")->data, b1, sizeof b1);
    assert_null(mdl_weights_find(&w, "nope"));
    uint32_t crc = w.crc;
    mdl_weights_free(&w);
    mdl_weights_free(&w);
    /* same content, same identity; other content, other identity */
    write_sample();
    assert_int_equal(mdl_weights_read(&w, path, &e), OFF_OK);
    assert_int_equal(w.crc, crc);
    mdl_weights_free(&w);
    w1[0] += 1.0f;
    write_sample();
    w1[0] -= 1.0f;
    assert_int_equal(mdl_weights_read(&w, path, &e), OFF_OK);
    assert_true(w.crc != crc);
    mdl_weights_free(&w);
}

static size_t load(const char *p, uint8_t **buf)
{
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    size_t n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    *buf = malloc(n);
    assert_int_equal(fread(*buf, 1, n, f), n);
    fclose(f);
    return n;
}

static void store(const char *p, const uint8_t *buf, size_t n)
{
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);
}

static void test_every_truncation_and_flip_is_a_clear_error(void **state)
{
    (void)state;
    write_sample();
    uint8_t *good;
    size_t n = load(path, &good);
    char bad[300];
    snprintf(bad, sizeof bad, "%s/bad.offw", dir);
    mdl_weights w;
    off_err e;
    for (size_t cut = 0; cut < n; cut++) {
        store(bad, good, cut);
        assert_int_equal(mdl_weights_read(&w, bad, &e), OFF_EPARSE);
        assert_non_null(strstr(e.msg, bad));
    }
    for (size_t i = 0; i < n; i++) { /* flip one bit of every byte */
        uint8_t *c = malloc(n);
        memcpy(c, good, n);
        c[i] ^= (uint8_t)(1u << (i % 8));
        store(bad, c, n);
        free(c);
        assert_int_equal(mdl_weights_read(&w, bad, &e), OFF_EPARSE);
    }
    printf("  e.g. %s\n", e.msg);
    store(bad, good, n - 4);
    assert_int_equal(mdl_weights_read(&w, bad, &e), OFF_EPARSE);
    free(good);
    assert_int_equal(mdl_weights_read(&w, "/nonexistent.offw", &e), OFF_EIO);
}

static void test_inconsistent_tensors_are_refused_on_write(void **state)
{
    (void)state;
    mdl_tensor_rec t = {"x", MDL_DT_F32, 2, {3, 4}, 47, w1};
    off_err e;
    assert_int_equal(mdl_weights_write(path, &t, 1, &e), OFF_EINVAL);
    t.nbytes = 48;
    t.name[0] = '\0';
    assert_int_equal(mdl_weights_write(path, &t, 1, &e), OFF_EINVAL);
}

/* A rewrite replaces the file whole (temporary file renamed over it) and
 * leaves no temporary behind; a failed write leaves the old file intact. */
static void test_rewrite_is_atomic_and_leaves_no_temporary(void **state)
{
    (void)state;
    write_sample();
    uint8_t blob[5] = {'h', 'e', 'l', 'l', 'o'};
    mdl_tensor_rec t = {"kind", MDL_DT_U8, 1, {5}, 5, blob};
    off_err e;
    assert_int_equal(mdl_weights_write(path, &t, 1, &e), OFF_OK);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_int_equal(access(tmp, F_OK), -1);
    mdl_weights w;
    assert_int_equal(mdl_weights_read(&w, path, &e), OFF_OK);
    assert_int_equal(w.n, 1);
    assert_memory_equal(mdl_weights_find(&w, "kind")->data, "hello", 5);
    mdl_weights_free(&w);
    /* the temporary cannot be created: an error, the file as it was */
    assert_int_equal(mkdir(tmp, 0700), 0);
    assert_int_equal(mdl_weights_write(path, &t, 1, &e), OFF_EIO);
    assert_int_equal(rmdir(tmp), 0);
    assert_int_equal(mdl_weights_read(&w, path, &e), OFF_OK);
    assert_int_equal(w.n, 1);
    mdl_weights_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_keeps_names_shapes_and_bytes),
        cmocka_unit_test(test_every_truncation_and_flip_is_a_clear_error),
        cmocka_unit_test(test_inconsistent_tensors_are_refused_on_write),
        cmocka_unit_test(test_rewrite_is_atomic_and_leaves_no_temporary),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
