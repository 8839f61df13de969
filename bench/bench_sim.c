/*
 * bench_sim.c - whole-simulator throughput: tasks simulated per second on
 * the quickstart world scaled to 1,000 devices, without a database, and with
 * every task row written to SQLite.  Median of 3 runs each (bench_sim
 * [all|quickstart|cell [runs]] picks the worlds and the number of runs).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "res.h"
#include "scn.h"
#include "sim.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* CPU seconds of this process: on a machine shared with other jobs the
 * rate per CPU second is steadier than the wall-clock rate (it leaves out the
 * time the run waits for a core, not the cache misses others cause). */
static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Run path with the overrides sets[0..n), with or without task rows;
 * returns tasks per wall second, *cpu_rate tasks per CPU second. */
static double run(const char *path, char **sets, size_t n, bool rows, size_t *n_tasks,
                  double *cpu_rate)
{
    scn_override ov[8];
    off_err err = {0};
    for (size_t i = 0; i < n; i++)
        if (scn_override_parse(sets[i], &ov[i], &err) != OFF_OK) {
            fprintf(stderr, "%s\n", err.msg);
            exit(1);
        }
    scn_scenario s;
    if (scn_load(&s, path, ov, n, &err) != OFF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    char db_path[] = "/tmp/offsim-bench-XXXXXX";
    int fd = mkstemp(db_path);
    close(fd);
    unlink(db_path);
    /* the world's set-up (for trained models: weights, data, calibration,
     * the accuracy table) is timed apart and left out of the rate */
    res_summary sum;
    sim_world *w = NULL;
    double t_setup = off_wall_seconds(), c_setup = cpu_seconds();
    off_status st = sim_world_new(&w, &s, &err);
    t_setup = off_wall_seconds() - t_setup;
    c_setup = cpu_seconds() - c_setup;
    double t0 = off_wall_seconds(), c0 = cpu_seconds();
    if (st == OFF_OK && rows) {
        sim_world_free(w);
        w = NULL;
        st = sim_run_scenario(&s, db_path, &sum, NULL, &err);
        t0 += t_setup; /* it builds its own world */
        c0 += c_setup;
    } else if (st == OFF_OK) {
        st = sim_world_run(w, NULL, 0, NULL, NULL, &sum, &err);
    }
    sim_world_free(w);
    double dt = off_wall_seconds() - t0, dc = cpu_seconds() - c0;
    if (st != OFF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    char side[1200];
    unlink(db_path);
    snprintf(side, sizeof side, "%s-wal", db_path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db_path);
    unlink(side);
    *n_tasks = sum.n_tasks;
    scn_free(&s);
    *cpu_rate = (double)sum.n_tasks / dc;
    return (double)sum.n_tasks / dt;
}

static double one(const char *policy, bool rows, size_t *n_tasks, double *cpu_rate)
{
    /* policy NULL: the scenario's own (fixed split after pool1, 4 bits) */
    char s1[] = "devices.0.count=1000", s2[] = "duration=100 s", s3[64];
    snprintf(s3, sizeof s3, "policy=%s", policy ? policy : "");
    char *sets[] = {s1, s2, s3};
    return run("scenarios/examples/quickstart.yaml", sets, policy ? 3 : 2, rows, n_tasks,
               cpu_rate);
}

/* 1,000 devices offloading 1 KB each over one shared cell (equal time
 * shares), each with its own Shannon channel, at rho = 0.5; fading: block
 * Rayleigh with 10 ms coherence, or none. */
static double cell(bool fading, bool rows, size_t *n_tasks, double *cpu_rate)
{
    char s1[] = "model.input=1 KB", s2[] = "devices.0.arrivals.rate=0.58 /s",
         s3[] = "duration=400 s", s4[] = "warmup=0 s",
         s5[] = "output.tasks=true",
         s6[] = "devices.0.uplink.channel.fading={model: block, coherence: 10 ms}";
    char *sets[] = {s1, s2, s3, s4, s5, s6};
    return run("tests/data/sim/cell_ps.yaml", sets, fading ? 6 : 5, rows, n_tasks, cpu_rate);
}

/* bench_sim [all|quickstart|cell [runs]]: which worlds, and how many runs
 * each figure is the median of (default 3). */
int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "all";
    int runs = argc > 2 ? atoi(argv[2]) : 3;
    if (runs < 1 || runs > 99 ||
        (strcmp(which, "all") && strcmp(which, "quickstart") && strcmp(which, "cell"))) {
        fprintf(stderr, "usage: bench_sim [all|quickstart|cell [runs 1..99]]\n");
        return 2;
    }
    bool qs = strcmp(which, "cell") != 0, cl = strcmp(which, "quickstart") != 0;
    const char *policies[] = {"local", "edge", NULL};
    if (qs)
        printf("%-8s %-10s %12s %14s %14s\n", "policy", "rows", "tasks", "tasks/s",
               "tasks/cpu-s");
    for (int p = 0; qs && p < 3; p++) {
        for (int r = 0; r < 2; r++) {
            double v[99], c[99];
            size_t n = 0;
            for (int i = 0; i < runs; i++)
                v[i] = one(policies[p], r, &n, &c[i]);
            qsort(v, (size_t)runs, sizeof v[0], cmp);
            qsort(c, (size_t)runs, sizeof c[0], cmp);
            printf("%-8s %-10s %12zu %14.0f %14.0f\n", policies[p] ? policies[p] : "split2",
                   r ? "sqlite" : "none", n, v[runs / 2], c[runs / 2]);
        }
    }
    if (!cl)
        return 0;
    printf("\n1,000 devices on one shared cell (rho 0.5, 1 KB uploads)\n");
    printf("%-8s %-10s %12s %14s %14s %14s %14s\n", "fading", "rows", "tasks", "tasks/s",
           "min", "max", "tasks/cpu-s");
    for (int f = 0; f < 2; f++)
        for (int r = 0; r < 2; r++) {
            double v[99], c[99];
            size_t n = 0;
            for (int i = 0; i < runs; i++)
                v[i] = cell(f, r, &n, &c[i]);
            qsort(v, (size_t)runs, sizeof v[0], cmp);
            qsort(c, (size_t)runs, sizeof c[0], cmp);
            printf("%-8s %-10s %12zu %14.0f %14.0f %14.0f %14.0f\n", f ? "block" : "none",
                   r ? "sqlite" : "none", n, v[runs / 2], v[0], v[runs - 1], c[runs / 2]);
        }
    return 0;
}
