/*
 * bench_sim.c - whole-simulator throughput: tasks simulated per second on
 * the quickstart world scaled to 1,000 devices, without a database, and with
 * every task row written to SQLite.  Median of 3 runs each.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "res.h"
#include "scn.h"
#include "sim.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double one(const char *policy, bool rows, size_t *n_tasks)
{
    /* policy NULL: the scenario's own (fixed split after pool1, 8 bits) */
    char s1[] = "devices.0.count=1000", s2[] = "duration=100 s", s3[64];
    snprintf(s3, sizeof s3, "policy=%s", policy ? policy : "");
    scn_override ov[3];
    off_err err = {0};
    scn_override_parse(s1, &ov[0], &err);
    scn_override_parse(s2, &ov[1], &err);
    scn_override_parse(s3, &ov[2], &err);
    scn_scenario s;
    if (scn_load(&s, "scenarios/examples/quickstart.yaml", ov, policy ? 3 : 2,
                 &err) != OFF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    char db_path[] = "/tmp/offsim-bench-XXXXXX";
    int fd = mkstemp(db_path);
    close(fd);
    unlink(db_path);
    res_summary sum;
    double t0 = off_wall_seconds();
    off_status st;
    if (rows) {
        st = sim_run_scenario(&s, db_path, &sum, NULL, &err);
    } else {
        sim_world *w = NULL;
        st = sim_world_new(&w, &s, &err);
        if (st == OFF_OK)
            st = sim_world_run(w, NULL, 0, NULL, NULL, &sum, &err);
        sim_world_free(w);
    }
    double dt = off_wall_seconds() - t0;
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
    return (double)sum.n_tasks / dt;
}

int main(void)
{
    const char *policies[] = {"local", "edge", NULL};
    printf("%-8s %-10s %12s %14s\n", "policy", "rows", "tasks", "tasks/s");
    for (int p = 0; p < 3; p++) {
        for (int r = 0; r < 2; r++) {
            double v[3];
            size_t n = 0;
            for (int i = 0; i < 3; i++)
                v[i] = one(policies[p], r, &n);
            qsort(v, 3, sizeof v[0], cmp);
            printf("%-8s %-10s %12zu %14.0f\n", policies[p] ? policies[p] : "split2", r ? "sqlite" : "none", n,
                   v[1]);
        }
    }
    return 0;
}
