/*
 * test_res_merge.c - schema version 4 and sweeps in the results database:
 * migration of a version-3 file, experiments, points and their status,
 * copying a run between databases, and merging shards (idempotent,
 * refusing conflicts, the same database whatever the order of the shards
 * and the same as written directly).
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "res.h"
#include "res_testing.h"

static void path(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", scratch_dir, name);
}

static const char *exp_text = "name: sweep\naxes: {policy: [local, edge]}\nseeds: 3\n";

/* Write points [first, last) of a small deterministic sweep into the
 * database at p, each run with tasks, devices, a learning-curve row, its
 * params and summary; `skew` changes the summary of point skew_point (a
 * run that conflicts with the normal one). */
static void write_points(const char *p, int first, int last, int skew_point)
{
    res_db *db;
    off_err e;
    assert_int_equal(res_open(&db, p, &e), OFF_OK);
    int64_t exp;
    assert_int_equal(res_experiment_put(db, "sweep", "sweep.yaml", exp_text, &exp, &e), OFF_OK);
    for (int k = first; k < last; k++) {
        const char *policy = k % 2 ? "edge" : "local";
        res_run_info info = {"s", "s.yaml", "name: s\n", "", 0x1234ULL + (uint64_t)k,
                             (uint64_t)(k / 2), policy};
        int64_t run;
        assert_int_equal(res_run_begin(db, &info, &run, &e), OFF_OK);
        char hash[17], seed[16];
        snprintf(hash, sizeof hash, "%016x", 0xabc00 + k);
        snprintf(seed, sizeof seed, "%d", k / 2);
        res_param prm[] = {{"policy", policy, NAN}, {"uplink.rate", "2 Mbps", 2e6},
                           {"seed", seed, (double)(k / 2)}};
        assert_int_equal(res_run_point(db, run, exp, k, hash, prm, 3, &e), OFF_OK);
        for (int t = 0; t < 50 + k; t++) {
            res_task_row r = {.task_id = t, .device = t % 3, .device_name = "cam",
                              .server = t % 2 ? 0 : -1, .sample = -1, .t_arrival = 0.1 * t,
                              .t_start = 0.1 * t, .t_done = 0.1 * t + 0.01 * k,
                              .latency_s = 0.01 * k, .energy_j = 1e-3 * t, .deadline_s = NAN};
            assert_int_equal(res_add_task(db, run, &r, &e), OFF_OK);
        }
        res_device_row d = {.device = 0, .name = "cam", .server = 0, .n_tasks = 50,
                            .energy_j = k, .capacity_j = NAN, .remaining_j = NAN,
                            .t_death = INFINITY, .freq_hz = NAN};
        assert_int_equal(res_add_device(db, run, &d, &e), OFF_OK);
        res_train_row tr = {.step = 10, .episode = 1, .updates = 1, .reward_mean = k,
                            .episode_return = NAN, .temperature = NAN, .wall_s = 0.5};
        assert_int_equal(res_add_training(db, run, &tr, &e), OFF_OK);
        res_summary sum = {0};
        sum.n_tasks = sum.n_done = (size_t)(50 + k);
        sum.latency.mean = 0.01 * k + (k == skew_point ? 1 : 0);
        assert_int_equal(res_run_end(db, run, "ok", 0.25, &sum, &e), OFF_OK);
    }
    res_close(db);
}

static bool file_exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0;
}

static void assert_same_dump(const char *a, const char *b)
{
    char *da = res_dump(a), *db = res_dump(b);
    assert_string_equal(da, db);
    free(da);
    free(db);
}

/* A version-3 database gains the sweep tables and columns in place and
 * keeps every row. */
static void test_v3_database_migrates_keeping_every_row(void **state)
{
    (void)state;
    char p[512];
    path(p, sizeof p, "v3.db");
    make_old_db(p, 3);
    res_db *db;
    off_err e;
    assert_int_equal(res_open(&db, p, &e), OFF_OK);
    res_close(db);
    assert_int_equal(query_int(p, "PRAGMA user_version"), 6);
    assert_int_equal(query_int(p, "SELECT count(*) FROM runs WHERE run_id = 1 AND scenario = 'old'"
                              " AND status = 'ok' AND experiment_id IS NULL AND point IS NULL"
                              " AND point_hash IS NULL AND error IS NULL AND host IS NULL"),
                     1);
    assert_int_equal(query_int(p, "SELECT count(*) FROM summary WHERE n_tasks = 10"), 1);
    assert_int_equal(query_int(p, "SELECT count(*) FROM tasks WHERE latency_s = 0.25"), 1);
    assert_int_equal(query_int(p, "SELECT count(*) FROM training WHERE step = 100"), 1);
    assert_int_equal(query_int(p, "SELECT count(*) FROM devices WHERE name = 'cam'"), 1);
    assert_int_equal(query_int(p, "SELECT count(*) FROM experiments"), 0);
    assert_int_equal(query_int(p, "SELECT count(*) FROM params"), 0);
    /* a migrated file has the layout of a new one */
    char q[512];
    path(q, sizeof q, "v4.db");
    assert_int_equal(res_open(&db, q, &e), OFF_OK);
    res_close(db);
    assert_int_equal(query_int(p, "SELECT max(cid) FROM pragma_table_info('runs')"),
                     query_int(q, "SELECT max(cid) FROM pragma_table_info('runs')"));
    assert_int_equal(query_int(p, "SELECT cid FROM pragma_table_info('runs') WHERE name='host'"),
                     query_int(q, "SELECT cid FROM pragma_table_info('runs') WHERE name='host'"));
}

static void test_experiment_put_is_idempotent(void **state)
{
    (void)state;
    char p[512];
    path(p, sizeof p, "exp.db");
    res_db *db;
    off_err e;
    assert_int_equal(res_open(&db, p, &e), OFF_OK);
    int64_t a, b, c;
    assert_int_equal(res_experiment_put(db, "sweep", "sweep.yaml", exp_text, &a, &e), OFF_OK);
    assert_int_equal(res_experiment_put(db, "sweep", "other.yaml", exp_text, &b, &e), OFF_OK);
    assert_int_equal(res_experiment_put(db, "cli", NULL, "--axis policy=a,b", &c, &e), OFF_OK);
    res_close(db);
    assert_int_equal(a, b);
    assert_true(c != a);
    assert_int_equal(query_int(p, "SELECT count(*) FROM experiments"), 2);
    assert_int_equal(query_int(p, "SELECT count(*) FROM experiments WHERE file = 'sweep.yaml'"
                              " AND length(hash) = 16"),
                     1);
    assert_int_equal(query_int(p, "SELECT count(*) FROM experiments WHERE file IS NULL"), 1);
}

/* The status of a point is that of its newest run; a failed run keeps its
 * error; params are stored with their numbers. */
static void test_point_status_and_failed_runs(void **state)
{
    (void)state;
    char p[512];
    path(p, sizeof p, "status.db");
    res_db *db;
    off_err e;
    assert_int_equal(res_open(&db, p, &e), OFF_OK);
    int64_t exp, r1, r2, got;
    char st[16];
    assert_int_equal(res_experiment_put(db, "sweep", NULL, exp_text, &exp, &e), OFF_OK);
    assert_int_equal(res_point_status(db, exp, "00000000000000aa", st, &got, &e), OFF_OK);
    assert_string_equal(st, "");
    assert_int_equal(got, 0);
    res_run_info info = {"s", "s.yaml", "name: s\n", "", 1, 1, "edge"};
    res_param prm[] = {{"policy", "edge", NAN}, {"uplink.rate", "2 Mbps", 2e6}};
    assert_int_equal(res_run_begin(db, &info, &r1, &e), OFF_OK);
    assert_int_equal(res_run_point(db, r1, exp, 4, "00000000000000aa", prm, 2, &e), OFF_OK);
    assert_int_equal(res_point_status(db, exp, "00000000000000aa", st, &got, &e), OFF_OK);
    assert_string_equal(st, "running");
    assert_int_equal(res_run_end(db, r1, "failed", 0.1, NULL, &e), OFF_OK);
    assert_int_equal(res_run_fail(db, r1, "model file not found", &e), OFF_OK);
    assert_int_equal(res_point_status(db, exp, "00000000000000aa", st, &got, &e), OFF_OK);
    assert_string_equal(st, "failed");
    assert_int_equal(got, r1);
    assert_int_equal(res_run_begin(db, &info, &r2, &e), OFF_OK);
    assert_int_equal(res_run_point(db, r2, exp, 4, "00000000000000aa", prm, 2, &e), OFF_OK);
    assert_int_equal(res_run_end(db, r2, "ok", 0.1, NULL, &e), OFF_OK);
    assert_int_equal(res_point_status(db, exp, "00000000000000aa", st, &got, &e), OFF_OK);
    assert_string_equal(st, "ok");
    assert_int_equal(got, r2);
    /* a duplicate parameter name is an error, and nothing of the point is written */
    int64_t r3;
    res_param dup[] = {{"policy", "edge", NAN}, {"policy", "local", NAN}};
    assert_int_equal(res_run_begin(db, &info, &r3, &e), OFF_OK);
    assert_int_equal(res_run_point(db, r3, exp, 5, "00000000000000bb", dup, 2, &e), OFF_EDB);
    assert_non_null(strstr(e.msg, "policy"));
    assert_int_equal(res_run_fail(db, 999, "x", &e), OFF_EINVAL);
    res_close(db);
    assert_int_equal(query_int(p, "SELECT count(*) FROM runs WHERE run_id = 1 AND status = 'failed'"
                              " AND error = 'model file not found' AND point = 4"),
                     1);
    assert_int_equal(query_int(p, "SELECT count(*) FROM params WHERE name = 'uplink.rate'"
                              " AND value = '2 Mbps' AND num = 2e6"),
                     2);
    assert_int_equal(query_int(p, "SELECT count(*) FROM params WHERE name = 'policy'"
                              " AND num IS NULL"),
                     2);
    assert_int_equal(query_int(p, "SELECT count(*) FROM params WHERE run_id = 3"), 0);
    assert_int_equal(query_int(p, "SELECT count(*) FROM runs WHERE run_id = 3 AND point IS NULL"),
                     1);
    /* every run has its provenance */
    assert_int_equal(query_int(p, "SELECT count(*) FROM runs WHERE compiler IS NOT NULL"), 3);
}

/* Copying every run of a database, one by one in order, into an empty one
 * gives the same database; into a non-empty one, the next run ids. */
static void test_copy_run_preserves_every_row(void **state)
{
    (void)state;
    char src[512], dst[512], dst2[512];
    path(src, sizeof src, "copy-src.db");
    path(dst, sizeof dst, "copy-dst.db");
    path(dst2, sizeof dst2, "copy-dst2.db");
    write_points(src, 0, 4, -1);
    res_db *db;
    off_err e;
    assert_int_equal(res_open(&db, dst, &e), OFF_OK);
    int64_t exp;
    assert_int_equal(res_experiment_put(db, "sweep", "sweep.yaml", exp_text, &exp, &e), OFF_OK);
    for (int64_t k = 1; k <= 4; k++) {
        int64_t id;
        assert_int_equal(res_copy_run(db, src, k, &id, &e), OFF_OK);
        assert_int_equal(id, k);
    }
    int64_t id;
    assert_int_equal(res_copy_run(db, src, 99, &id, &e), OFF_EINVAL);
    /* a source made again under the same name is read again */
    char moved[600];
    snprintf(moved, sizeof moved, "%s.old", src);
    assert_int_equal(rename(src, moved), 0);
    write_points(src, 5, 6, -1);
    assert_int_equal(res_copy_run(db, src, 1, &id, &e), OFF_OK);
    assert_int_equal(id, 5);
    assert_int_equal(rename(moved, src), 0);
    res_close(db);
    assert_int_equal(query_int(dst, "SELECT point FROM runs WHERE run_id = 5"), 5);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(dst, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "PRAGMA foreign_keys=ON; DELETE FROM runs WHERE run_id = 5",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    assert_int_equal(res_open(&db, dst, &e), OFF_OK);
    assert_int_equal(res_copy_run(db, "/nonexistent/x.db", 1, &id, &e), OFF_EINVAL);
    assert_non_null(strstr(e.msg, "/nonexistent/x.db"));
    res_close(db);
    assert_same_dump(src, dst);

    /* into a database with runs of its own: new ids, experiment matched by hash */
    write_points(dst2, 0, 1, -1);
    assert_int_equal(res_open(&db, dst2, &e), OFF_OK);
    assert_int_equal(res_copy_run(db, src, 3, &id, &e), OFF_OK);
    res_close(db);
    assert_int_equal(id, 2);
    assert_int_equal(query_int(dst2, "SELECT count(*) FROM experiments"), 1);
    assert_int_equal(query_int(dst2, "SELECT count(*) FROM runs WHERE run_id = 2 AND point = 2"
                              " AND experiment_id = 1"),
                     1);
    assert_int_equal(query_int(dst2, "SELECT count(*) FROM tasks WHERE run_id = 2"),
                     query_int(src, "SELECT count(*) FROM tasks WHERE run_id = 3"));
    assert_int_equal(query_int(dst2, "SELECT count(*) FROM params WHERE run_id = 2"), 3);
    assert_int_equal(query_int(dst2, "SELECT count(*) FROM devices WHERE run_id = 2"), 1);
    assert_int_equal(query_int(dst2, "SELECT count(*) FROM training WHERE run_id = 2"), 1);
    assert_int_equal(query_int(dst2, "SELECT count(*) FROM summary WHERE run_id = 2"), 1);
}

/* Copying in turn from more databases than stay attached at once (the
 * workers of a sweep): each run from its own file, in point order, gives
 * the database written directly. */
static void test_copy_from_many_sources_in_turn(void **state)
{
    (void)state;
    enum { N = 11 };
    char src[N][512], direct[512], dst[512];
    for (int k = 0; k < N; k++) {
        char name[32];
        snprintf(name, sizeof name, "worker-%d.db", k);
        path(src[k], sizeof src[k], name);
        write_points(src[k], k, k + 1, -1); /* worker k ran point k */
    }
    path(direct, sizeof direct, "many-direct.db");
    path(dst, sizeof dst, "many-dst.db");
    write_points(direct, 0, 2 * N, -1);
    res_db *db;
    off_err e;
    assert_int_equal(res_open(&db, dst, &e), OFF_OK);
    int64_t exp, id;
    assert_int_equal(res_experiment_put(db, "sweep", "sweep.yaml", exp_text, &exp, &e), OFF_OK);
    for (int k = 0; k < N; k++)
        assert_int_equal(res_copy_run(db, src[k], 1, &id, &e), OFF_OK);
    /* the second round: points N.. 2N-1, each worker's second run */
    for (int k = 0; k < N; k++)
        write_points(src[k], N + k, N + k + 1, -1);
    for (int k = 0; k < N; k++) {
        assert_int_equal(res_copy_run(db, src[k], 2, &id, &e), OFF_OK);
        assert_int_equal(id, N + k + 1);
    }
    res_close(db);
    assert_same_dump(direct, dst);
}

/* Two shards merged in either order give the database written directly in
 * point order; merging again adds nothing. */
static void test_merge_shards_in_any_order_equals_direct(void **state)
{
    (void)state;
    char direct[512], a[512], b[512], ab[512], ba[512];
    path(direct, sizeof direct, "direct.db");
    path(a, sizeof a, "shard-0.db");
    path(b, sizeof b, "shard-1.db");
    path(ab, sizeof ab, "merged-ab.db");
    path(ba, sizeof ba, "merged-ba.db");
    write_points(direct, 0, 7, -1);
    write_points(a, 0, 3, -1);
    write_points(b, 3, 7, -1);
    res_merge_stats st;
    off_err e;
    const char *in_ab[] = {a, b}, *in_ba[] = {b, a};
    assert_int_equal(res_merge(ab, in_ab, 2, &st, &e), OFF_OK);
    assert_int_equal(st.runs_added, 7);
    assert_int_equal(st.runs_skipped, 0);
    assert_int_equal((long long)st.rows_added,
                     query_int(direct, "SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM"
                                       " tasks) + (SELECT count(*) FROM summary) + (SELECT count(*)"
                                       " FROM devices) + (SELECT count(*) FROM training) +"
                                       " (SELECT count(*) FROM params)"));
    assert_int_equal(res_merge(ba, in_ba, 2, &st, &e), OFF_OK);
    assert_same_dump(direct, ab);
    assert_same_dump(direct, ba);
    /* idempotent: the same shards again, or one of them, add nothing */
    assert_int_equal(res_merge(ab, in_ba, 2, &st, &e), OFF_OK);
    assert_int_equal(st.runs_added, 0);
    assert_int_equal(st.runs_skipped, 7);
    assert_int_equal(st.rows_added, 0);
    const char *one[] = {a};
    assert_int_equal(res_merge(ab, one, 1, &st, &e), OFF_OK);
    assert_int_equal(st.runs_skipped, 3);
    assert_same_dump(direct, ab);
}

/* A run with the identity of one already there but other content is an
 * error naming both, and nothing of that input is written. */
static void test_merge_refuses_conflicts_and_writes_nothing(void **state)
{
    (void)state;
    char out[512], bad[512], outc[512];
    path(out, sizeof out, "conflict-out.db");
    path(bad, sizeof bad, "conflict-in.db");
    path(outc, sizeof outc, "conflict-out-copy.db");
    write_points(out, 0, 2, -1);
    write_points(bad, 1, 4, 1); /* point 1 differs, points 2, 3 are new */
    char *before = res_dump(out);
    res_merge_stats st;
    off_err e;
    const char *in[] = {bad};
    assert_int_equal(res_merge(out, in, 1, &st, &e), OFF_ERUNTIME);
    assert_true(strncmp(e.msg, bad, strlen(bad)) == 0);
    assert_non_null(strstr(e.msg, "run 1 conflicts with run 2 of"));
    assert_non_null(strstr(e.msg, out));
    assert_non_null(strstr(e.msg, "summary"));
    char *after = res_dump(out);
    assert_string_equal(before, after);
    free(before);
    free(after);
    /* bad input: nothing written, not even the output file */
    const char *missing[] = {bad, "/nonexistent/shard.db"};
    assert_int_equal(res_merge(outc, missing, 2, &st, &e), OFF_EINVAL);
    assert_non_null(strstr(e.msg, "/nonexistent/shard.db"));
    assert_false(file_exists(outc));
}

/* A database of an older version merges as it is (read-only, not
 * migrated), its runs outside any sweep. */
static void test_merge_reads_an_old_database(void **state)
{
    (void)state;
    char old[512], out[512];
    path(old, sizeof old, "old-v3.db");
    path(out, sizeof out, "old-out.db");
    make_old_db(old, 3);
    res_merge_stats st;
    off_err e;
    const char *in[] = {old};
    assert_int_equal(res_merge(out, in, 1, &st, &e), OFF_OK);
    assert_int_equal(st.runs_added, 1);
    assert_int_equal(st.rows_added, 5); /* runs, summary, tasks, training, devices */
    assert_int_equal(query_int(old, "PRAGMA user_version"), 3);
    assert_int_equal(res_merge(out, in, 1, &st, &e), OFF_OK);
    assert_int_equal(st.runs_skipped, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v3_database_migrates_keeping_every_row),
        cmocka_unit_test(test_experiment_put_is_idempotent),
        cmocka_unit_test(test_point_status_and_failed_runs),
        cmocka_unit_test(test_copy_run_preserves_every_row),
        cmocka_unit_test(test_copy_from_many_sources_in_turn),
        cmocka_unit_test(test_merge_shards_in_any_order_equals_direct),
        cmocka_unit_test(test_merge_refuses_conflicts_and_writes_nothing),
        cmocka_unit_test(test_merge_reads_an_old_database),
    };
    return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
