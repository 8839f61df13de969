/*
 * bench_runs.c - the per-run cost a sweep worker pays: one process runs
 * scenarios/papers/sac-coinference/scenario.yaml (policy branchynet, duration 5 s,
 * no task rows) N times in a loop through sim_run_scenario, as a sweep's
 * worker does for its points, each run with its own seed, into one results
 * database.  Prints each run's wall and CPU time, then the first run apart
 * from the mean of the others: the first pays for loading the trained
 * model (weights, int8 quantization, test set, inference cache), the
 * others find it loaded.
 *
 *   bench_runs [N_RUNS [--reload]]      (default 20 runs)
 *
 * --reload drops the loaded models after every run
 * (mdl_trained_cache_clear), i.e. every run loads its model from scratch.
 *
 * Run from the repository root (make bench does).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mdl_trained.h"
#include "scn.h"
#include "sim.h"

#define SCENARIO "scenarios/papers/sac-coinference/scenario.yaml"

static double now(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 20;
    bool reload = argc > 2 && strcmp(argv[2], "--reload") == 0;
    if (n < 1)
        n = 1;
    char sets[][64] = {"policy={type: branchynet}", "duration=5 s"};
    scn_override ov[2];
    off_err err = {0};
    scn_scenario s;
    for (size_t i = 0; i < 2; i++)
        if (scn_override_parse(sets[i], &ov[i], &err) != OFF_OK)
            goto fail;
    if (scn_load(&s, SCENARIO, ov, 2, &err) != OFF_OK)
        goto fail;
    char db[] = "/tmp/bench_runs_XXXXXX";
    int fd = mkstemp(db);
    if (fd < 0) {
        perror("bench_runs: mkstemp");
        return 1;
    }
    close(fd);
    unlink(db);
    printf("bench_runs: %s, policy branchynet, duration 5 s, %d runs in one process%s\n",
           SCENARIO, n, reload ? ", models reloaded every run" : "");
    printf("%4s %10s %10s %10s\n", "run", "wall_s", "cpu_s", "tasks");
    double w1 = 0, c1 = 0, wr = 0, cr = 0;
    for (int k = 0; k < n; k++) {
        s.seed = (uint64_t)k + 1;
        res_summary sum;
        int64_t run_id;
        double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
        if (sim_run_scenario(&s, db, &sum, &run_id, &err) != OFF_OK)
            goto fail;
        double dw = now(CLOCK_MONOTONIC) - w0, dc = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
        if (reload)
            mdl_trained_cache_clear();
        printf("%4d %10.4f %10.4f %10llu\n", k + 1, dw, dc, (unsigned long long)sum.n_tasks);
        if (k == 0) {
            w1 = dw;
            c1 = dc;
        } else {
            wr += dw;
            cr += dc;
        }
    }
    printf("first run:           wall %.4f s, CPU %.4f s\n", w1, c1);
    if (n > 1)
        printf("later runs (mean):   wall %.4f s, CPU %.4f s\n", wr / (n - 1), cr / (n - 1));
    printf("all runs (mean):     wall %.4f s, CPU %.4f s\n", (w1 + wr) / n, (c1 + cr) / n);
    scn_free(&s);
    unlink(db);
    return 0;
fail:
    fprintf(stderr, "bench_runs: %s\n", err.msg);
    return 1;
}
