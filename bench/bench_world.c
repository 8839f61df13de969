/*
 * bench_world.c - building large worlds, and the simulation's cost per
 * task as the number of devices grows.
 *
 *   bench_world build N...        build the shared-cell world
 *                                 (tests/data/sim/cell_ps.yaml) with N
 *                                 devices: seconds, heap bytes per device,
 *                                 peak resident set, and how much of the
 *                                 world sits in transparent huge pages
 *   bench_world rate N... [runs] [shadowed]
 *                                 the same world with 1 KB uploads at
 *                                 rho = 0.5 of the cell, the task rate per
 *                                 device scaled so that every N gives the
 *                                 same ~232,000 tasks in 400 s: tasks per
 *                                 second of simulation, of wall time and of
 *                                 CPU time (world built beforehand, no
 *                                 database), median of runs (taken round
 *                                 the sizes: run 1 of each, run 2, ...);
 *                                 at most 16 sizes; `shadowed`:
 *                                 every uplink with its own 4 dB
 *                                 shadowing draw, so no device shares its
 *                                 channel state (192 bytes more each)
 *   bench_world run N DURATION    build N devices and run DURATION (e.g.
 *                                 "1 s") with rho = 0.5: build and run
 *                                 seconds, tasks, peak resident set
 *
 * Results and commands: bench/RESULTS.md.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "res.h"
#include "scn.h"
#include "sim.h"

#define SCN "tests/data/sim/cell_ps.yaml"

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* KiB on Linux */
}

/* `rate ... shadowed`: a shadowing draw per device, so that every device
 * keeps a channel state of its own (the plain cell's identical uplinks
 * share one) */
static bool g_shadowed;

static void load(scn_scenario *s, size_t n, const char *rate, const char *dur)
{
    char c1[64], c2[64], c3[64];
    snprintf(c1, sizeof c1, "devices.0.count=%zu", n);
    snprintf(c2, sizeof c2, "devices.0.arrivals.rate=%s", rate);
    snprintf(c3, sizeof c3, "duration=%s", dur);
    char c4[] = "model.input=1 KB", c5[] = "warmup=0 s";
    char c6[] = "devices.0.uplink.channel.pathloss.shadowing=4 dB";
    char *sets[] = {c1, c2, c3, c4, c5, c6};
    int n_sets = g_shadowed ? 6 : 5;
    scn_override ov[6];
    off_err err = {0};
    for (int i = 0; i < n_sets; i++)
        if (scn_override_parse(sets[i], &ov[i], &err) != OFF_OK) {
            fprintf(stderr, "%s\n", err.msg);
            exit(1);
        }
    if (scn_load(s, SCN, ov, (size_t)n_sets, &err) != OFF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
}

/* The per-device rate for rho = 0.5 of the cell with 1 KB uploads (580
 * tasks/s in all, as bench_sim's cell world at 1,000 devices). */
static void rate_for(size_t n, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.9g /s", 580.0 / (double)n);
}

/* MB of this process's anonymous memory in transparent huge pages
 * (AnonHugePages of /proc/self/smaps_rollup), or -1 where the system does
 * not say. */
static double huge_mb(void)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    char line[256];
    double kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "AnonHugePages: %lf kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb < 0 ? -1 : kb / 1024.0;
}

/* User and system CPU seconds of this process so far. */
static void cpu(double *user, double *sys)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6;
    *sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static double g_user_s, g_sys_s; /* of the last build */

static sim_world *build(scn_scenario *s, double *secs, double *bytes_per_dev)
{
    off_err err = {0};
    sim_world *w = NULL;
    struct mallinfo2 m0 = mallinfo2();
    double u0, s0, u1, s1;
    cpu(&u0, &s0);
    double t0 = off_wall_seconds();
    if (sim_world_new(&w, s, &err) != OFF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    *secs = off_wall_seconds() - t0;
    cpu(&u1, &s1);
    g_user_s = u1 - u0;
    g_sys_s = s1 - s0;
    struct mallinfo2 m1 = mallinfo2();
    size_t n = s->devices[0].count;
    *bytes_per_dev = ((double)(m1.uordblks + m1.hblkhd) - (double)(m0.uordblks + m0.hblkhd)) /
                     (double)n;
    return w;
}

/* Build the world of n devices (rho = 0.5) and run it for dur without a
 * database: its summary, build seconds and heap bytes a device, run
 * seconds. */
static double g_run_cpu_s; /* user + system CPU of the last run */

static void run_world(size_t n, const char *dur, res_summary *sum, double *build_s,
                      double *bytes_per_dev, double *run_s)
{
    scn_scenario s;
    char rate[32];
    rate_for(n, rate, sizeof rate);
    load(&s, n, rate, dur);
    sim_world *w = build(&s, build_s, bytes_per_dev);
    off_err err = {0};
    double u0, s0, u1, s1;
    cpu(&u0, &s0);
    double t0 = off_wall_seconds();
    if (sim_world_run(w, NULL, 0, NULL, NULL, sum, &err) != OFF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    *run_s = off_wall_seconds() - t0;
    cpu(&u1, &s1);
    g_run_cpu_s = (u1 - u0) + (s1 - s0);
    sim_world_free(w);
    scn_free(&s);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    /* no argument (`make bench` runs every bench bare): the rate curve of
     * bench/RESULTS.md, 10^3 to 10^6 devices, medians of 3 */
    static char *curve[] = {"bench_world", "rate", "1000", "10000", "100000", "1000000", "3x",
                            NULL};
    if (argc == 1) {
        argc = 7;
        argv = curve;
    }
    if (argc >= 3 && strcmp(argv[1], "build") == 0) {
        /* user: the build's own work (in a VM, also the host's first touch
         * of the memory); sys: the kernel's, mostly the first touch of the
         * new memory (page faults); huge MB: of it in 2 MiB pages */
        printf("%12s %10s %8s %8s %14s %12s %8s\n", "devices", "build s", "user s", "sys s",
               "heap B/device", "peak RSS MB", "huge MB");
        for (int i = 2; i < argc; i++) {
            size_t n = (size_t)atoll(argv[i]);
            scn_scenario s;
            char rate[32];
            rate_for(n, rate, sizeof rate);
            load(&s, n, rate, "1 s");
            double secs, bpd;
            sim_world *w = build(&s, &secs, &bpd);
            printf("%12zu %10.3f %8.3f %8.3f %14.0f %12.0f %8.0f\n", n, secs, g_user_s, g_sys_s,
                   bpd, peak_rss_mb(), huge_mb());
            fflush(stdout);
            sim_world_free(w);
            scn_free(&s);
        }
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "rate") == 0) {
        /* Runs after the first reuse the heap: glibc would otherwise trim
         * what a world frees (its threshold follows the sizes freed, so
         * the record's size decides) and the next run would fault the
         * same pages in again, a few ms of kernel time that has nothing
         * to do with the simulation (bench/RESULTS.md). */
        mallopt(M_TRIM_THRESHOLD, 1 << 30);
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
        int runs = 3, last = argc;
        if (argc >= 4 && strcmp(argv[last - 1], "shadowed") == 0) {
            g_shadowed = true;
            last--;
        }
        if (last >= 4 && strchr(argv[last - 1], 'x')) { /* "5x": runs */
            runs = atoi(argv[last - 1]);
            last--;
        }
        if (runs < 1 || runs > 99)
            runs = 3;
        /* tasks/s: of wall time; per CPU s: of the process's user + system
         * time, which a loaded machine inflates less */
        printf("%12s %10s %14s %10s %10s %14s %10s %10s\n", "devices", "tasks", "tasks/s",
               "min", "max", "per CPU s", "min", "max");
        /* The runs go round the sizes (run 1 of every size, then run
         * 2, ...), so that a slow spell of the machine (a VM's neighbours)
         * falls on every size alike, not on one of them. */
        enum { MAX_SIZES = 16 };
        int n_sizes = last - 2 < MAX_SIZES ? last - 2 : MAX_SIZES;
        double v[MAX_SIZES][99], c[MAX_SIZES][99];
        size_t tasks[MAX_SIZES] = {0};
        for (int r = 0; r < runs; r++)
            for (int i = 0; i < n_sizes; i++) {
                res_summary sum;
                double secs, bpd, dt;
                run_world((size_t)atoll(argv[2 + i]), "400 s", &sum, &secs, &bpd, &dt);
                tasks[i] = sum.n_tasks;
                v[i][r] = (double)sum.n_tasks / dt;
                c[i][r] = (double)sum.n_tasks / g_run_cpu_s;
            }
        for (int i = 0; i < n_sizes; i++) {
            qsort(v[i], (size_t)runs, sizeof v[i][0], cmp);
            qsort(c[i], (size_t)runs, sizeof c[i][0], cmp);
            printf("%12lld %10zu %14.0f %10.0f %10.0f %14.0f %10.0f %10.0f\n", atoll(argv[2 + i]),
                   tasks[i], v[i][runs / 2], v[i][0], v[i][runs - 1], c[i][runs / 2], c[i][0],
                   c[i][runs - 1]);
        }
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "run") == 0) {
        size_t n = (size_t)atoll(argv[2]);
        res_summary sum;
        double secs, bpd, dt;
        run_world(n, argv[3], &sum, &secs, &bpd, &dt);
        printf("%zu devices: built in %.2f s (user %.2f s, sys %.2f s; %.0f heap B/device), "
               "ran %s in %.2f s: %zu tasks, %zu done, peak RSS %.0f MB\n",
               n, secs, g_user_s, g_sys_s, bpd, argv[3], dt, sum.n_tasks, sum.n_done,
               peak_rss_mb());
        return 0;
    }
    fprintf(stderr, "usage: bench_world build N... | rate N... [RUNSx] | run N DURATION\n");
    return 2;
}
