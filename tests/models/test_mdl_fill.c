/*
 * test_mdl_fill.c - the threaded fill of a trained model's inference cache
 * (mdl_trained_fill_threads): the cache file it writes is byte for byte the
 * one the single-threaded fill writes, for more threads than cores too;
 * the range is clipped to the test set; a fill leaves the cache incomplete
 * and a second fill of the same range computes nothing.
 * Each model is opened on a symlink to its shipped weights in a fresh
 * folder, so that its cache file is written there.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fashion_skip.h"
#include "mdl_trained.h"

/* images filled each way */
#define N_IMG 12

/* A fresh folder with a symlink "w.offw" to zoo model name's weights;
 * the link's path in w. */
static void weights_link(const char *name, char *dir, char *w, size_t cap)
{
    snprintf(dir, cap, "/tmp/offsim-test-fill-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(w, cap, "%s/w.offw", dir);
    char target[512];
    snprintf(target, sizeof target, "%s/models/zoo/%s", OFFSIM_SOURCE_DIR,
             mdl_zoo_graph(name)->weights);
    assert_int_equal(symlink(target, w), 0);
}

/* The bytes of the one cache file in dir (malloc'd), and remove the
 * folder. */
static char *take_cache(const char *dir, const char *w, size_t *len)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    char path[1024] = "";
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n > 5 && !strcmp(e->d_name + n - 5, ".offc")) {
            assert_string_equal(path, ""); /* one only */
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        }
    }
    closedir(d);
    char *buf;
    off_err err;
    assert_int_equal(off_read_file(path, &buf, len, &err), OFF_OK);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(unlink(w), 0);
    assert_int_equal(rmdir(dir), 0);
    return buf;
}

/* Open name's copy at w, fill images [first, first + N_IMG) on threads,
 * check the record count and save. */
static void fill_and_save(const char *name, const char *w, size_t first, size_t threads)
{
    off_err e;
    mdl_trained *t;
    assert_int_equal(mdl_trained_open(&t, name, w, NULL, true, NULL, &e), OFF_OK);
    size_t n = mdl_trained_n_samples(t), cells = mdl_trained_graph(t)->spec->n_layers * 5 + 1;
    off_status st = mdl_trained_fill_threads(t, first, N_IMG, threads, &e);
    if (st)
        fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(st, OFF_OK);
    size_t filled = first + N_IMG <= n ? N_IMG : n - first;
    mdl_cache_stats s;
    mdl_trained_stats(t, &s);
    assert_int_equal(s.n_valid, n + filled * (cells - 1)); /* open: split L of every image */
    assert_false(mdl_trained_complete(t));
    /* again: nothing left to compute in the range */
    assert_int_equal(mdl_trained_fill_threads(t, first, N_IMG, threads, &e), OFF_OK);
    mdl_trained_stats(t, &s);
    assert_int_equal(s.n_valid, n + filled * (cells - 1));
    assert_int_equal(mdl_trained_close(t, &e), OFF_OK);
}

static void check_same_file(const char *name, size_t first)
{
    char da[256], wa[256], db[256], wb[256];
    weights_link(name, da, wa, sizeof da);
    weights_link(name, db, wb, sizeof db);
    fill_and_save(name, wa, first, 1);
    fill_and_save(name, wb, first, 3); /* more threads than the 2 cores CI has */
    size_t la, lb;
    char *a = take_cache(da, wa, &la), *b = take_cache(db, wb, &lb);
    printf("  %s: images %zu.., cache files of %zu and %zu bytes (1 and 3 threads)\n", name,
           first, la, lb);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    free(a);
    free(b);
}

static void test_threads_write_the_same_cache_mexit(void **state)
{
    (void)state;
    check_same_file("mexit", 100);
}

static void test_threads_write_the_same_cache_alexnet_mx(void **state)
{
    (void)state;
    check_same_file("alexnet-mx", 0);
}

/* A range past the end of the test set fills what is in it. */
static void test_range_is_clipped(void **state)
{
    (void)state;
    check_same_file("mexit", 10000 - N_IMG / 2);
}

int main(void)
{
    if (fashion_mnist_missing())
        return 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_write_the_same_cache_mexit),
        cmocka_unit_test(test_threads_write_the_same_cache_alexnet_mx),
        cmocka_unit_test(test_range_is_clipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
