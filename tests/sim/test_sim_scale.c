/*
 * test_sim_scale.c - large worlds: building one is linear in its devices,
 * and a device costs less than SIM_DEVICE_BYTES_MAX of memory (the bound
 * documented in docs/design.md and docs/scenario-reference.md), or
 * SIM_DEVICE_CHAN_BYTES_MAX with a channel of its own; the per-device
 * arrays are aligned and zeroed; the engine's peek, which the run uses to
 * prefetch the next arrival's device, names the event that fires next.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim_engine.h"
#include "sim_test_util.h"
#include "sim_world.h"

#define SCN "tests/data/sim/cell_ps.yaml" /* a shared cell, Shannon uplinks */

/* The documented bounds: heap bytes a device of the shared-cell world
 * costs (its record with its streams and links, and its arrival stream
 * beside it; the group's devices share one channel block, as their
 * channel never changes: 448 + 32 bytes on x86-64), and the same with a
 * shadowing draw of its own, so a channel block of its own (a 192-byte
 * sim_link_var). */
#define SIM_DEVICE_BYTES_MAX 512
#define SIM_DEVICE_CHAN_BYTES_MAX 720

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

/* Build the shared-cell world with n devices (and the override extra, or
 * NULL): CPU seconds (the machine is shared: wall time would measure the
 * neighbours), heap bytes per device. */
static void build_with(size_t n, const char *extra, double *secs, double *bytes_per_dev)
{
    char count[48];
    snprintf(count, sizeof count, "devices.0.count=%zu", n);
    const char *sets[] = {count, extra};
    scn_scenario s;
    load_scenario_file(SCN, sets, extra ? 2 : 1, &s);
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

static void build(size_t n, double *secs, double *bytes_per_dev)
{
    build_with(n, NULL, secs, bytes_per_dev);
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
    /* a shadowing draw per device: each uplink has its own channel block */
    double bc;
    build_with(100000, "devices.0.uplink.channel.pathloss.shadowing=4 dB", &t, &bc);
    printf("  %.0f heap bytes a device with its own channel (bound %d)\n", bc,
           SIM_DEVICE_CHAN_BYTES_MAX);
    assert_true(bc > b + (double)sizeof(sim_link_var) / 2);
    assert_true(bc < SIM_DEVICE_CHAN_BYTES_MAX);
}

/* The per-device arrays: zeroed, 64-byte aligned (channel blocks are
 * line-aligned), whatever their size; an overflowing size is refused. */
static void test_world_bulk_arrays_are_zeroed_and_aligned(void **state)
{
    (void)state;
    size_t sizes[] = {1, 100, 4096, (size_t)3 << 20, (size_t)9 << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        void *mem;
        sim_link_var *v = sim_world_bulk(sizes[i], sizeof *v, &mem);
        assert_non_null(v);
        assert_non_null(mem);
        assert_int_equal((uintptr_t)v % 64, 0);
        assert_true((char *)v >= (char *)mem && (char *)v < (char *)mem + 64);
        const unsigned char *b = (const unsigned char *)v;
        size_t bytes = sizes[i] * sizeof *v;
        for (size_t k = 0; k < bytes; k += 4093) /* zeroed, and writable */
            assert_int_equal(b[k], 0);
        assert_int_equal(b[bytes - 1], 0);
        v[sizes[i] - 1].memo_t = 1.0;
        free(mem);
    }
    void *mem = (void *)1;
    assert_null(sim_world_bulk(SIZE_MAX / 8, 16, &mem));
    assert_null(mem);
}

/* ---- sim_engine_peek: the event the next step fires --------------------- */

typedef struct peek_log {
    sim_engine *e;
    uint64_t fired_arg;
    sim_handler *fired_fn;
    int n_children;            /* events still to schedule from handlers */
    /* what peek named from inside the last handler, before it scheduled
     * anything (the root is then a hole: the engine answers from its
     * children), and whether that handler scheduled */
    bool hint_ok, scheduled;
    sim_handler *hint_fn;
    uint64_t hint_arg;
} peek_log;

static sim_handler peek_a, peek_b;

/* Both handlers note what fired; some schedule more at the current time
 * (the engine's now-queue) and later (its heap), so peek sees both. */
static void peek_note(sim_engine *e, void *ud, uint64_t arg, sim_handler *self)
{
    peek_log *l = ud;
    l->fired_arg = arg;
    l->fired_fn = self;
    l->hint_ok = sim_engine_peek(e, &l->hint_fn, &l->hint_arg);
    l->scheduled = l->n_children > 0 && arg % 3 == 0;
    if (l->scheduled) {
        l->n_children -= 2;
        sim_engine_schedule(e, sim_engine_now(e), peek_b, l, arg + 1000);
        sim_engine_schedule(e, sim_engine_now(e) + 0.5, peek_a, l, arg + 2000);
    }
}

static void peek_a(sim_engine *e, void *ud, uint64_t arg) { peek_note(e, ud, arg, peek_a); }
static void peek_b(sim_engine *e, void *ud, uint64_t arg) { peek_note(e, ud, arg, peek_b); }

static void test_engine_peek_names_the_next_event(void **state)
{
    (void)state;
    sim_engine *e = NULL;
    off_err err = {0};
    assert_int_equal(sim_engine_new(&e, NULL, &err), OFF_OK);
    peek_log l = {.e = e, .n_children = 200};
    sim_handler *fn = NULL;
    uint64_t arg = 0;
    assert_false(sim_engine_peek(e, &fn, &arg)); /* nothing pending */
    sim_event_id ids[300];
    for (uint64_t i = 0; i < 300; i++) /* ties at whole times, in both orders */
        ids[i] = sim_engine_schedule(e, (double)((i * 37) % 50), i % 2 ? peek_a : peek_b,
                                     &l, i);
    for (size_t i = 0; i < 300; i += 7) /* cancelled events are never named */
        sim_engine_cancel(e, ids[i]);
    sim_engine_reschedule(e, ids[1], 12.0);
    size_t steps = 0, hints = 0;
    bool hint_ok = false;
    sim_handler *hint_fn = NULL;
    uint64_t hint_arg = 0;
    while (sim_engine_peek(e, &fn, &arg)) {
        assert_true(sim_engine_step(e));
        assert_ptr_equal(fn, l.fired_fn);
        assert_int_equal(arg, l.fired_arg);
        /* the previous handler's hint, when it scheduled nothing earlier
         * and did not name a cancelled entry, was this event */
        if (hint_ok && hint_fn != NULL) {
            assert_ptr_equal(hint_fn, l.fired_fn);
            assert_int_equal(hint_arg, l.fired_arg);
            hints++;
        }
        hint_ok = l.hint_ok && !l.scheduled;
        hint_fn = l.hint_fn;
        hint_arg = l.hint_arg;
        steps++;
    }
    assert_true(hints > steps / 2);
    assert_int_equal(sim_engine_pending(e), 0);
    assert_false(sim_engine_step(e));
    assert_true(steps > 300 - 300 / 7); /* the children fired too */
    sim_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_world_build_is_linear_in_devices),
        cmocka_unit_test(test_device_memory_is_under_the_documented_bound),
        cmocka_unit_test(test_world_bulk_arrays_are_zeroed_and_aligned),
        cmocka_unit_test(test_engine_peek_names_the_next_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
