/*
 * test_sim_scale.c - large worlds: building one is linear in its devices,
 * and a device costs less than SIM_DEVICE_BYTES_MAX of memory (the bound
 * documented in docs/design.md and docs/scenario-reference.md).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <malloc.h>
#include <stdio.h>
#include <time.h>

#include "sim_test_util.h"

#define SCN "tests/data/sim/cell_ps.yaml" /* a shared cell, Shannon uplinks */

/* The documented bound: heap bytes a device of the shared-cell world
 * costs (its record, its streams, its links' channel state). */
#define SIM_DEVICE_BYTES_MAX 1024

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t heap_bytes(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

/* Build the shared-cell world with n devices: CPU seconds (the machine is
 * shared: wall time would measure the neighbours), heap bytes per device. */
static void build(size_t n, double *secs, double *bytes_per_dev)
{
    char count[48];
    snprintf(count, sizeof count, "devices.0.count=%zu", n);
    const char *sets[] = {count};
    scn_scenario s;
    load_scenario_file(SCN, sets, 1, &s);
    sim_world *w = NULL;
    off_err err = {0};
    size_t h0 = heap_bytes();
    double t0 = cpu_seconds();
    if (sim_world_new(&w, &s, &err) != OFF_OK)
        fail_msg("%s", err.msg);
    *secs = cpu_seconds() - t0;
    *bytes_per_dev = ((double)heap_bytes() - (double)h0) / (double)n;
    sim_world_free(w);
    scn_free(&s);
}

/* 10x the devices costs about 10x the time: a quadratic build (each device
 * scanning its group) would cost 100x.  On this kind of machine the first
 * touch of fresh memory costs more than the build itself (a page fault in
 * a VM), so the heap is kept (no mmap, no trim) and warmed by a first
 * build of the larger world: the builds timed then measure the code.
 * Generous slack for a shared machine: the ratio of the cheapest of three
 * builds each must stay under 30. */
static void test_world_build_is_linear_in_devices(void **state)
{
    (void)state;
    if (heap_bytes() == 0) /* a sanitizer's allocator: no mallopt, no timing */
        skip();
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    double t_small = 1e9, t_big = 1e9, b, t;
    build(100000, &t, &b);
    for (int i = 0; i < 3; i++) {
        build(10000, &t, &b);
        t_small = t < t_small ? t : t_small;
        build(100000, &t, &b);
        t_big = t < t_big ? t : t_big;
    }
    printf("  10^4 devices %.4f s, 10^5 devices %.4f s of CPU: ratio %.1f (linear 10, "
           "quadratic 100)\n", t_small, t_big, t_big / t_small);
    assert_true(t_big / t_small < 30);
}

static void test_device_memory_is_under_the_documented_bound(void **state)
{
    (void)state;
    double t, b;
    if (heap_bytes() == 0) /* an allocator without mallinfo2 (sanitizers) */
        skip();
    build(100000, &t, &b);
    printf("  %.0f heap bytes a device (bound %d)\n", b, SIM_DEVICE_BYTES_MAX);
    assert_true(b > 0);
    assert_true(b < SIM_DEVICE_BYTES_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_world_build_is_linear_in_devices),
        cmocka_unit_test(test_device_memory_is_under_the_documented_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
