/*
 * test_sim_model_reuse.c - a trained model loaded once per process and
 * shared by later runs (mdl_trained_acquire) gives every run exactly the
 * numbers it gets with the model loaded for it alone:
 *   - runs of tests/data/sim/trained.yaml (memory-only inference cache) in
 *     one process - a predicting policy (which measures the payload table),
 *     the oracle (which fills records for every split and bit-width of its
 *     images), random on the same images, the predicting policy again - give,
 *     run for run, the same rows in every table as each run alone in a fresh
 *     registry, though the later runs found records and the payload table
 *     computed by the earlier ones (checked: fewer cache misses);
 *   - the registry hands out one model per name, weights file and use_cache,
 *     keeps it after release, loads anew a rewritten weights file, and
 *     mdl_trained_cache_clear frees only the models no one holds.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mdl_trained.h"
#include "sim_test_util.h"

#define SCN "tests/data/sim/trained.yaml"

/* The zoo directory the world opens its models from (sim_world.c). */
static const char *zoo_dir(void)
{
    const char *v = getenv("OFFSIM_ZOO");
    return v && *v ? v : OFFSIM_SOURCE_DIR "/models/zoo";
}

/* mexit as the scenario names it (memory-only cache), held for a moment:
 * its cache statistics. */
static mdl_cache_stats mexit_stats(size_t *n_samples)
{
    mdl_trained *t;
    off_err e;
    assert_int_equal(mdl_trained_acquire(&t, "mexit", NULL, zoo_dir(), false, NULL, &e), OFF_OK);
    mdl_cache_stats s;
    mdl_trained_stats(t, &s);
    *n_samples = mdl_trained_n_samples(t);
    assert_int_equal(mdl_trained_release(t, &e), OFF_OK);
    return s;
}

/* Every row of run_id in tasks, summary, devices and runs, as text, without
 * run_id and the wall-clock columns; reals as exact hex floats. */
static char *dump_run(const char *db, int64_t run_id)
{
    static const char *const sql[] = {
        "SELECT * FROM runs WHERE run_id = ?1",
        "SELECT * FROM summary WHERE run_id = ?1",
        "SELECT * FROM devices WHERE run_id = ?1 ORDER BY device",
        "SELECT * FROM tasks WHERE run_id = ?1 ORDER BY task_id",
    };
    sqlite3 *h;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    for (size_t k = 0; k < sizeof sql / sizeof sql[0]; k++) {
        sqlite3_stmt *q;
        assert_int_equal(sqlite3_prepare_v2(h, sql[k], -1, &q, NULL), SQLITE_OK);
        sqlite3_bind_int64(q, 1, run_id);
        size_t rows = 0;
        while (sqlite3_step(q) == SQLITE_ROW) {
            rows++;
            for (int c = 0; c < sqlite3_column_count(q); c++) {
                const char *name = sqlite3_column_name(q, c);
                if (!strcmp(name, "run_id") || !strcmp(name, "wall_s") ||
                    !strcmp(name, "started_at"))
                    continue;
                switch (sqlite3_column_type(q, c)) {
                case SQLITE_INTEGER:
                    fprintf(f, "%s=%lld ", name, (long long)sqlite3_column_int64(q, c));
                    break;
                case SQLITE_FLOAT:
                    fprintf(f, "%s=%a ", name, sqlite3_column_double(q, c));
                    break;
                case SQLITE_NULL:
                    fprintf(f, "%s=NULL ", name);
                    break;
                default:
                    fprintf(f, "%s='%s' ", name, (const char *)sqlite3_column_text(q, c));
                }
            }
            fputc('\n', f);
        }
        assert_true(rows > 0);
        sqlite3_finalize(q);
    }
    fclose(f);
    sqlite3_close(h);
    return buf;
}

typedef struct run_case {
    const char *policy;
    uint64_t seed;
} run_case;

static const run_case RUNS[] = {
    {"policy={type: neurosurgeon}", 7},
    {"policy=oracle", 7},
    {"policy=random", 7},
    {"policy={type: neurosurgeon}", 8},
};
#define N_RUNS (sizeof RUNS / sizeof RUNS[0])

static int64_t run(const run_case *rc, const char *db)
{
    char seed[32];
    snprintf(seed, sizeof seed, "seed=%llu", (unsigned long long)rc->seed);
    const char *sets[] = {rc->policy, seed, "duration=5 s"};
    int64_t id;
    res_summary sum;
    run_scenario_db(SCN, sets, 3, db, &id, &sum);
    assert_true(sum.n_tasks > 20);
    return id;
}

static void tmp_db(char *path, size_t cap, const char *tag)
{
    snprintf(path, cap, "/tmp/offsim-test-reuse-%s-%ld.db", tag, (long)getpid());
    unlink(path);
}

static void test_runs_identical_shared_or_alone(void **state)
{
    (void)state;
    char shared[256], alone[256];
    tmp_db(shared, sizeof shared, "shared");
    tmp_db(alone, sizeof alone, "alone");
    assert_int_equal(mdl_trained_cache_clear(), 0);
    int64_t ids[N_RUNS];
    uint64_t misses_shared[N_RUNS];
    uint64_t before = 0;
    size_t n;
    for (size_t i = 0; i < N_RUNS; i++) { /* one process, one model */
        ids[i] = run(&RUNS[i], shared);
        mdl_cache_stats s = mexit_stats(&n);
        misses_shared[i] = s.misses - before;
        before = s.misses;
    }
    for (size_t i = 1; i < N_RUNS; i++) { /* each run with a model of its own */
        assert_int_equal(mdl_trained_cache_clear(), 0);
        int64_t id = run(&RUNS[i], alone);
        char *a = dump_run(shared, ids[i]), *b = dump_run(alone, id);
        assert_string_equal(a, b);
        free(a);
        free(b);
        /* the run's own misses, without the open's accuracy pass (one
         * record per image at the last split) */
        mdl_cache_stats s = mexit_stats(&n);
        uint64_t misses_alone = s.misses - n;
        assert_true(misses_shared[i] <= misses_alone);
        if (i == 2) { /* random found the oracle's records of the same images */
            assert_true(misses_alone > 0);
            assert_int_equal(misses_shared[i], 0);
        }
    }
    assert_int_equal(mdl_trained_cache_clear(), 0);
    unlink(shared);
    unlink(alone);
}

/* Records valid in t's cache now. */
static uint64_t n_valid(const mdl_trained *t)
{
    mdl_cache_stats s;
    mdl_trained_stats(t, &s);
    return s.n_valid;
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static void test_registry(void **state)
{
    (void)state;
    char w[256];
    snprintf(w, sizeof w, "/tmp/offsim-test-reuse-%ld.offw", (long)getpid());
    copy_file(OFFSIM_SOURCE_DIR "/models/zoo/mexit-fmnist.offw", w);
    assert_int_equal(mdl_trained_cache_clear(), 0);
    off_err e;
    mdl_trained *a, *b, *c;
    assert_int_equal(mdl_trained_acquire(&a, "mexit", w, NULL, false, NULL, &e), OFF_OK);
    assert_int_equal(mdl_trained_acquire(&b, "mexit", w, NULL, false, NULL, &e), OFF_OK);
    assert_ptr_equal(a, b); /* one model, two holders */
    size_t n = mdl_trained_n_samples(a);
    assert_int_equal(n_valid(a), n); /* the open's accuracy pass */
    mdl_cache_rec r;
    assert_int_equal(mdl_trained_get(a, 0, 0, 8, &r, &e), OFF_OK);
    assert_int_equal(mdl_trained_release(a, &e), OFF_OK);
    assert_int_equal(mdl_trained_cache_clear(), 1); /* b still holds it */
    assert_int_equal(n_valid(b), n + 1);
    assert_int_equal(mdl_trained_close(b, &e), OFF_OK); /* close = release */
    /* released, still loaded: the record computed above is there */
    assert_int_equal(mdl_trained_acquire(&a, "mexit", w, NULL, false, NULL, &e), OFF_OK);
    assert_int_equal(n_valid(a), n + 1);
    /* a model from mdl_trained_open is not shared */
    assert_int_equal(mdl_trained_open(&b, "mexit", w, NULL, false, NULL, &e), OFF_OK);
    assert_ptr_not_equal(a, b);
    assert_int_equal(n_valid(b), n);
    assert_int_equal(mdl_trained_release(b, &e), OFF_OK); /* release = close */
    /* the weights file rewritten (new mtime): loaded anew, the old copy
     * (held by a) stays until released */
    struct timespec ts[2] = {{0, UTIME_OMIT}, {1, 0}};
    assert_int_equal(utimensat(AT_FDCWD, w, ts, 0), 0);
    assert_int_equal(mdl_trained_acquire(&c, "mexit", w, NULL, false, NULL, &e), OFF_OK);
    assert_ptr_not_equal(a, c);
    assert_int_equal(n_valid(c), n);
    assert_int_equal(mdl_trained_release(a, &e), OFF_OK);
    assert_int_equal(mdl_trained_release(c, &e), OFF_OK);
    assert_int_equal(mdl_trained_cache_clear(), 0);
    /* errors are the open's, and nothing is registered */
    assert_int_not_equal(mdl_trained_acquire(&a, "no-such-model", NULL, zoo_dir(), false, NULL,
                                             &e), OFF_OK);
    assert_null(a);
    unlink(w);
    assert_int_not_equal(mdl_trained_acquire(&a, "mexit", w, NULL, false, NULL, &e), OFF_OK);
    assert_null(a);
    assert_int_equal(mdl_trained_cache_clear(), 0);
}

/* Every record of images 0..2 N_IMG - 1 of model `name`: filled an image
 * at a time (mdl_trained_fill), and, on another copy, one by one for the
 * first N_IMG (the images interleaved, so that no two misses in a row are
 * on one image) and as the oracle asks for the others (an image's cells in
 * a row: the second miss takes the rest of the image) - the same bytes
 * every way. */
#define N_IMG 4
static void check_batches(const char *name)
{
    static const int bits[] = {2, 4, 6, 8, 32};
    off_err e;
    mdl_trained *batch, *one;
    assert_int_equal(mdl_trained_open(&batch, name, NULL, zoo_dir(), false, NULL, &e), OFF_OK);
    assert_int_equal(mdl_trained_open(&one, name, NULL, zoo_dir(), false, NULL, &e), OFF_OK);
    size_t n = mdl_trained_n_samples(batch), L = mdl_trained_graph(batch)->spec->n_layers;
    size_t cells = L * 5 + 1;
    assert_int_equal(mdl_trained_fill(batch, 0, 2 * N_IMG, &e), OFF_OK);
    mdl_cache_stats s;
    mdl_trained_stats(batch, &s);
    assert_int_equal(s.n_valid, n + 2 * N_IMG * (cells - 1));
    assert_int_equal(s.misses, n); /* the open's accuracy pass alone */
    for (size_t k = 0; k < 2 * N_IMG * cells; k++) {
        bool rows = k >= N_IMG * cells; /* the oracle's order */
        size_t i = rows ? N_IMG + (k - N_IMG * cells) / cells : k % N_IMG;
        size_t c = rows ? (k - N_IMG * cells) % cells : k / N_IMG;
        mdl_cache_rec a, b;
        assert_int_equal(mdl_trained_get(batch, i, c / 5, bits[c % 5], &a, &e), OFF_OK);
        assert_int_equal(mdl_trained_get(one, i, c / 5, bits[c % 5], &b, &e), OFF_OK);
        assert_memory_equal(&a, &b, sizeof a);
        if (k + 1 == N_IMG * cells) {
            mdl_trained_stats(one, &s);
            assert_int_equal(s.misses, n + N_IMG * (cells - 1)); /* one at a time */
        }
    }
    mdl_trained_stats(one, &s);
    assert_int_equal(s.misses, n + N_IMG * (cells - 1) + N_IMG * 2);
    assert_int_equal(s.n_valid, n + 2 * N_IMG * (cells - 1));
    mdl_trained_close(batch, &e);
    mdl_trained_close(one, &e);
}

static void test_batches_mexit(void **state)
{
    (void)state;
    check_batches("mexit");
}

static void test_batches_alexnet_mx(void **state)
{
    (void)state;
    check_batches("alexnet-mx");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batches_mexit),
        cmocka_unit_test(test_batches_alexnet_mx),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_runs_identical_shared_or_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
