/*
 * bench_sim.c - whole-simulator throughput: tasks simulated per second on
 * the quickstart world scaled to 1,000 devices, without a database, and with
 * every task row written to SQLite.  Median of 3 runs each (bench_sim
 * [all|quickstart|cell|ecs [runs]] picks the worlds and the number of runs).
 *
 * `ecs` is the cost of a task row by completion order: the EdgeCloudSim-like
 * world of tests/data/sim/ecs_ps.yaml in order (fcfs, deterministic work),
 * out of order (processor sharing, exponential work) and overloaded; per
 * row, the CPU time (user + system, all threads) with rows minus without.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

/* System CPU seconds of this process so far (every thread): a row that
 * goes through a temporary file costs system time as well as user time. */
static double sys_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

/* The system CPU seconds of the last run(). */
static double last_sys_s;

/* Run path with the overrides sets[0..n), with or without task rows;
 * returns tasks per wall second, *cpu_rate tasks per CPU second. */
/* Load path with the overrides sets[0..n) into *s (exit on error). */
static void load(scn_scenario *s, const char *path, char **sets, size_t n)
{
    scn_override ov[8];
    off_err err = {0};
    for (size_t i = 0; i < n; i++)
        if (scn_override_parse(sets[i], &ov[i], &err) != OFF_OK) {
            fprintf(stderr, "%s\n", err.msg);
            exit(1);
        }
    if (scn_load(s, path, ov, n, &err) != OFF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
}

/* A new temporary path for a database (db_path: "/tmp/offsim-bench-XXXXXX"). */
static void tmp_db(char *db_path)
{
    int fd = mkstemp(db_path);
    close(fd);
    unlink(db_path);
}

/* Remove the database at db_path and its side files. */
static void rm_db(const char *db_path)
{
    char side[1200];
    unlink(db_path);
    snprintf(side, sizeof side, "%s-wal", db_path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db_path);
    unlink(side);
}

static double run(const char *path, char **sets, size_t n, bool rows, size_t *n_tasks,
                  double *cpu_rate)
{
    off_err err = {0};
    scn_scenario s;
    load(&s, path, sets, n);
    char db_path[] = "/tmp/offsim-bench-XXXXXX";
    tmp_db(db_path);
    /* the world's set-up (for trained models: weights, data, calibration,
     * the accuracy table) is timed apart and left out of the rate */
    res_summary sum;
    sim_world *w = NULL;
    double t_setup = off_wall_seconds(), c_setup = cpu_seconds();
    off_status st = sim_world_new(&w, &s, &err);
    t_setup = off_wall_seconds() - t_setup;
    c_setup = cpu_seconds() - c_setup;
    double t0 = off_wall_seconds(), c0 = cpu_seconds(), s0 = sys_seconds();
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
    last_sys_s = sys_seconds() - s0;
    if (st != OFF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    rm_db(db_path);
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

#define ECS "tests/data/sim/ecs_ps.yaml"

/* The overrides of the EdgeCloudSim-like world: 0 in order, 1 out of
 * order, 2 overloaded (arrivals 8 /s a device, 1.25 times the host; 50 s):
 * *n of them, written into buf (parsing them changes them). */
typedef struct ecs_buf {
    char s[2][40];
    char *p[2];
} ecs_buf;

static char **ecs_sets(int world, ecs_buf *b, size_t *n)
{
    static const char *const sets[3][2] = {
        {"servers.0.discipline=fcfs", "model.work=1 GMAC"},
        {NULL, NULL},
        {"devices.0.arrivals.rate=8 /s", "duration=50 s"},
    };
    *n = 0;
    for (int i = 0; i < 2 && sets[world][i]; i++) {
        snprintf(b->s[i], sizeof b->s[i], "%s", sets[world][i]);
        b->p[(*n)++] = b->s[i];
    }
    return b->p;
}

static double ecs(int world, bool rows, size_t *n_tasks, double *cpu_rate)
{
    size_t n;
    ecs_buf b;
    char **sets = ecs_sets(world, &b, &n);
    return run(ECS, sets, n, rows, n_tasks, cpu_rate);
}

/* The task rows of a world, as the simulator gives them (completion
 * order), with their device names. */
typedef struct row_name {
    res_task_row r;
    char name[24];
} row_name;

typedef struct row_list {
    row_name *v;
    size_t n, cap;
} row_list;

static void keep_row(void *ud, const res_task_row *r)
{
    row_list *l = ud;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 4096;
        if (!(l->v = realloc(l->v, l->cap * sizeof *l->v))) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
    }
    row_name *k = &l->v[l->n++];
    k->r = *r;
    snprintf(k->name, sizeof k->name, "%s", r->device_name ? r->device_name : "");
    k->r.device_name = NULL; /* k moves as the list grows: set when fed */
}

/* Feed the rows of l to a new database as the simulator would (one run);
 * returns CPU microseconds a row (user + system, the writer thread
 * included), *st the connection's row statistics. */
static double replay(const row_list *l, res_row_stats *rs)
{
    char db_path[] = "/tmp/offsim-bench-XXXXXX";
    tmp_db(db_path);
    res_db *db;
    off_err err = {0};
    int64_t run_id;
    res_run_info info = {"ecs", ECS, "", "", 1, 1, "edge"};
    double c0 = cpu_seconds();
    off_status st = res_open(&db, db_path, &err);
    if (st == OFF_OK)
        st = res_run_begin(db, &info, &run_id, &err);
    for (size_t i = 0; i < l->n && st == OFF_OK; i++) {
        res_task_row r = l->v[i].r;
        r.device_name = l->v[i].name;
        st = res_add_task(db, run_id, &r, &err);
    }
    if (st == OFF_OK)
        st = res_run_end(db, run_id, "ok", 0.0, NULL, &err);
    if (st != OFF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    *rs = res_row_stats_of(db);
    res_close(db);
    double dc = cpu_seconds() - c0;
    rm_db(db_path);
    return dc * 1e6 / (double)l->n;
}

/* The writer alone: each world's rows, recorded once, fed to a new
 * database runs times; the median CPU time a row. */
static void ecs_replay(int runs)
{
    static const char *const worlds[] = {"in-order", "out-of-order", "overloaded"};
    printf("\nthe writer alone: the same rows, in the order they finished\n");
    printf("%-13s %9s %10s %12s %9s %9s\n", "world", "rows", "us/row", "(min-max)",
           "late %", "window");
    for (int w = 0; w < 3; w++) {
        size_t n;
        ecs_buf b;
        char **sets = ecs_sets(w, &b, &n);
        scn_scenario s;
        load(&s, ECS, sets, n);
        sim_world *wd = NULL;
        row_list l = {0};
        res_summary sum;
        off_err err = {0};
        if (sim_world_new(&wd, &s, &err) != OFF_OK ||
            sim_world_run(wd, NULL, 0, keep_row, &l, &sum, &err) != OFF_OK) {
            fprintf(stderr, "%s\n", err.msg);
            exit(1);
        }
        sim_world_free(wd);
        scn_free(&s);
        double v[99];
        res_row_stats rs = {0};
        for (int i = 0; i < runs; i++)
            v[i] = replay(&l, &rs);
        qsort(v, (size_t)runs, sizeof v[0], cmp);
        printf("%-13s %9zu %10.2f %5.2f-%-6.2f %9.2f %9zu\n", worlds[w], l.n, v[runs / 2], v[0],
               v[runs - 1], 100.0 * (double)rs.late / (double)(rs.rows ? rs.rows : 1),
               rs.window_peak);
        free(l.v);
    }
}

/* Median of runs runs of ecs(world, rows): tasks per wall second, *cpu
 * tasks per CPU second, *sys system seconds. */
static double ecs_median(int world, bool rows, int runs, size_t *n, double *cpu, double *sys)
{
    double v[99], c[99], y[99];
    for (int i = 0; i < runs; i++) {
        v[i] = ecs(world, rows, n, &c[i]);
        y[i] = last_sys_s;
    }
    qsort(v, (size_t)runs, sizeof v[0], cmp);
    qsort(c, (size_t)runs, sizeof c[0], cmp);
    qsort(y, (size_t)runs, sizeof y[0], cmp);
    *cpu = c[runs / 2];
    *sys = y[runs / 2];
    return v[runs / 2];
}

static void ecs_table(int runs)
{
    static const char *const worlds[] = {"in-order", "out-of-order", "overloaded"};
    printf("1,000 devices, one processor-sharing host (tests/data/sim/ecs_ps.yaml)\n");
    printf("%-13s %-7s %9s %10s %12s %8s %10s\n", "world", "rows", "tasks", "tasks/s",
           "tasks/cpu-s", "sys s", "us/row");
    for (int w = 0; w < 3; w++) {
        double cpu[2];
        for (int r = 0; r < 2; r++) {
            size_t n = 0;
            double sys, wall = ecs_median(w, r, runs, &n, &cpu[r], &sys);
            printf("%-13s %-7s %9zu %10.0f %12.0f %8.2f", worlds[w], r ? "sqlite" : "none", n,
                   wall, cpu[r], sys);
            if (r)
                printf(" %10.2f\n", 1e6 / cpu[1] - 1e6 / cpu[0]);
            else
                printf(" %10s\n", "");
        }
    }
}

/* bench_sim [all|quickstart|cell|ecs [runs]]: which worlds, and how many
 * runs each figure is the median of (default 3); `all` leaves out ecs. */
int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "all";
    int runs = argc > 2 ? atoi(argv[2]) : 3;
    if (runs < 1 || runs > 99 ||
        (strcmp(which, "all") && strcmp(which, "quickstart") && strcmp(which, "cell") &&
         strcmp(which, "ecs") && strcmp(which, "ecs-writer"))) {
        fprintf(stderr, "usage: bench_sim [all|quickstart|cell|ecs|ecs-writer [runs 1..99]]\n");
        return 2;
    }
    if (strcmp(which, "ecs") == 0 || strcmp(which, "ecs-writer") == 0) {
        if (strcmp(which, "ecs") == 0)
            ecs_table(runs);
        ecs_replay(runs);
        return 0;
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
