/*
 * bench_merge.c - rows merged per second by `offsim merge` (res_merge):
 * two shards of a sweep, written through the res_ API (runs of TASKS task
 * rows each, with params, devices and summaries), merged into a new
 * database; then the same merge again (every run skipped after its
 * identity lookup), res_copy_run of every run one by one in its own
 * transaction, and the same copies batched, a hundred runs per transaction
 * (res_copy_begin/res_copy_end: what a sweep's parent does).
 *
 * usage: bench_merge [TOTAL_TASK_ROWS (2000000)] [TASKS_PER_RUN (10000)] [DIR (/tmp)]
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "res.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* CPU time of the process: on a machine shared with other jobs, the rate
 * per CPU second is the steadier figure (I/O waits aside). */
static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void die(const off_err *e)
{
    fprintf(stderr, "bench_merge: %s\n", e->msg);
    exit(1);
}

/* Runs [first, last) of the sweep, n_tasks task rows each, into p. */
static void write_shard(const char *p, long first, long last, long n_tasks)
{
    res_db *db;
    off_err e;
    if (res_open(&db, p, &e) != OFF_OK)
        die(&e);
    int64_t exp;
    if (res_experiment_put(db, "bench", "bench.yaml", "name: bench\nseeds: 1000\n", &exp, &e))
        die(&e);
    for (long k = first; k < last; k++) {
        res_run_info info = {"bench", "bench.yaml", "name: bench\n", "", 42, (uint64_t)k, "edge"};
        int64_t run;
        if (res_run_begin(db, &info, &run, &e) != OFF_OK)
            die(&e);
        char hash[17], seed[24];
        snprintf(hash, sizeof hash, "%016lx", 0x1000UL + (unsigned long)k);
        snprintf(seed, sizeof seed, "%ld", k);
        res_param prm[] = {{"policy", "edge", NAN}, {"seed", seed, (double)k}};
        if (res_run_point(db, run, exp, k, hash, prm, 2, &e) != OFF_OK)
            die(&e);
        for (long t = 0; t < n_tasks; t++) {
            double a = 0.01 * (double)t;
            res_task_row r = {.task_id = t, .device = (int32_t)(t % 10), .device_name = "phone",
                              .server = 0, .sample = -1, .t_arrival = a, .t_start = a,
                              .t_done = a + 0.007, .latency_s = 0.007,
                              .compute_device_s = 0.002, .uplink_s = 0.003, .queue_s = 0.001,
                              .compute_server_s = 0.0005, .downlink_s = 0.0005,
                              .energy_j = 0.0026, .bytes_up = 3136, .bytes_down = 4,
                              .exit = 2, .split = 3, .bits = 8, .correct = 1,
                              .deadline_met = 1, .deadline_s = 0.05};
            if (res_add_task(db, run, &r, &e) != OFF_OK)
                die(&e);
        }
        for (int d = 0; d < 10; d++) {
            res_device_row dv = {.device = d, .name = "phone", .n_tasks = 100, .n_done = 100,
                                 .energy_j = 1, .capacity_j = NAN, .remaining_j = NAN,
                                 .t_death = INFINITY, .freq_hz = NAN};
            if (res_add_device(db, run, &dv, &e) != OFF_OK)
                die(&e);
        }
        res_summary sum = {0};
        sum.n_tasks = sum.n_done = (size_t)n_tasks;
        if (res_run_end(db, run, "ok", 1.0, &sum, &e) != OFF_OK)
            die(&e);
    }
    res_close(db);
}

static void rm_db(const char *p)
{
    char b[1100];
    const char *sfx[] = {"", "-wal", "-shm", "-lock"};
    for (int i = 0; i < 4; i++) {
        snprintf(b, sizeof b, "%s%s", p, sfx[i]);
        unlink(b);
    }
}

int main(int argc, char **argv)
{
    long total = argc > 1 ? atol(argv[1]) : 2000000;
    long per = argc > 2 ? atol(argv[2]) : 10000;
    const char *dir = argc > 3 ? argv[3] : "/tmp";
    long runs = total / per;
    char a[1024], b[1024], out[1024], cp[1024];
    snprintf(a, sizeof a, "%s/bench-merge-a.db", dir);
    snprintf(b, sizeof b, "%s/bench-merge-b.db", dir);
    snprintf(out, sizeof out, "%s/bench-merge-out.db", dir);
    snprintf(cp, sizeof cp, "%s/bench-merge-copy.db", dir);
    rm_db(a), rm_db(b), rm_db(out), rm_db(cp);

    double t0 = now_s();
    write_shard(a, 0, runs / 2, per);
    write_shard(b, runs / 2, runs, per);
    double tw = now_s() - t0;
    printf("wrote 2 shards: %ld runs x %ld task rows in %.2f s (%.0f rows/s through res_add_task)\n",
           runs, per, tw, (double)(runs * per) / tw);

    const char *in[] = {b, a};
    res_merge_stats st;
    off_err e;
    t0 = now_s();
    double c0 = cpu_s();
    if (res_merge(out, in, 2, &st, &e) != OFF_OK)
        die(&e);
    double tm = now_s() - t0, cm = cpu_s() - c0;
    printf("merge:   %zu runs, %zu rows (%ld task rows) in %.3f s wall, %.3f s CPU:"
           " %.2f M rows/s wall, %.2f M rows/s CPU\n",
           st.runs_added, st.rows_added, runs * per, tm, cm, (double)st.rows_added / tm / 1e6,
           (double)st.rows_added / cm / 1e6);

    t0 = now_s();
    c0 = cpu_s();
    if (res_merge(out, in, 2, &st, &e) != OFF_OK)
        die(&e);
    double ts = now_s() - t0, cs = cpu_s() - c0;
    printf("again:   %zu runs skipped (content compared) in %.3f s wall, %.3f s CPU\n",
           st.runs_skipped, ts, cs);

    /* alternating between the two files, as a sweep's parent does with
     * the databases of its workers: one transaction per run, then BATCH */
    enum { BATCH = 100 };
    for (int batched = 0; batched < 2; batched++) {
        res_db *db;
        rm_db(cp);
        if (res_open(&db, cp, &e) != OFF_OK)
            die(&e);
        t0 = now_s();
        c0 = cpu_s();
        for (long k = 0; k < runs; k++) {
            int64_t id;
            if (batched && k % BATCH == 0 && res_copy_begin(db, &e) != OFF_OK)
                die(&e);
            if (res_copy_run(db, k % 2 ? b : a, k / 2 + 1, &id, &e) != OFF_OK)
                die(&e);
            if (batched && (k % BATCH == BATCH - 1 || k == runs - 1) &&
                res_copy_end(db, OFF_OK, &e) != OFF_OK)
                die(&e);
        }
        res_close(db);
        double tc = now_s() - t0, cc = cpu_s() - c0;
        printf("copy:    %ld runs, %s, alternating files, in %.3f s wall, %.3f s CPU:"
               " %.2f M task rows/s wall, %.2f CPU; %.3f ms wall, %.3f ms CPU a run\n",
               runs, batched ? "100 a transaction" : "one transaction each", tc, cc,
               (double)(runs * per) / tc / 1e6, (double)(runs * per) / cc / 1e6,
               tc / (double)runs * 1e3, cc / (double)runs * 1e3);
    }
    if (!getenv("BENCH_MERGE_KEEP"))
        rm_db(a), rm_db(b), rm_db(out), rm_db(cp);
    return 0;
}
