/*
 * sim_engine.c - the discrete-event engine.  See sim_engine.h.
 *
 * Design (chosen by measurement, see bench/bench_hold.c and bench/RESULTS.md):
 *
 *   - The queue is a 4-ary implicit heap of 16-byte entries
 *     { time bits, key = seq << 32 | slot }.  Four children are one 64-byte
 *     cache line (the array is 64-byte aligned with logical index 0 stored
 *     at physical index 3, so the children 4i+1..4i+4 of node i start on a
 *     line boundary), and the tree is half as deep as a binary heap.
 *
 *   - Times are >= 0 and never NaN (schedule rejects NaN and clamps to now,
 *     which is >= 0; -0.0 becomes +0.0), so the IEEE-754 bit patterns of
 *     the times order like the times themselves.  The heap compares
 *     (time bits, key) as one unsigned 128-bit integer: cmp/sbb, no branch,
 *     and the least of four children is found by a branch-free tournament.
 *     Each of these was faster on the hold model than the simpler form it
 *     replaced (bench/RESULTS.md, "Alternatives measured while choosing
 *     the design").  Arity 2 measured the same as 4 and arity 8 slower; 4
 *     is kept because half the depth means half the dependent loads once
 *     the heap outgrows the caches.
 *
 *   - A pop and the push that follows are one sift.  step takes the root
 *     and leaves its place empty (a hole) while the handler runs; the
 *     handler's first schedule of a later event puts that event into the
 *     hole and sifts it down (fill_hole), where a pop would have sifted
 *     the last entry down and the push sifted the new one up.  If no
 *     schedule fills it, the pop is finished when the handler returns
 *     (settle), and every other call that looks at the heap (cancel,
 *     reschedule, next_time, step from inside a handler) settles first.
 *     Keys are unique, so any valid heap pops the same sequence: this
 *     changes the cost, never the order.  Most handlers schedule a
 *     follow-up (the next arrival, the next stage of a task), and on the
 *     hold model this took a quarter of the queue's instructions off.
 *
 *   - sift_down prefetches the four grandchild groups of the node it is
 *     at, which hides the memory latency once the heap outgrows the caches
 *     (bench/RESULTS.md), but only from SIM_PREFETCH_MIN entries on: below
 *     that the heap is in L1 and the prefetches are pure overhead.  It
 *     walks byte offsets (no index scaling per access) and is inlined into
 *     fill_hole and settle.  step prefetches the record of the root's
 *     least child, which is the next event unless the handler schedules
 *     an earlier one (whose record is then hot anyway).
 *
 *   - Event records (handler, user pointer, argument, generation) live in a
 *     slab that grows geometrically; free records are chained through a free
 *     list, so steady state allocates nothing.  An id is
 *     generation << 32 | slot index, generation >= 1, so 0 is never an id.
 *
 *   - Cancellation is "mark cancelled, reap on pop" (as in Redis ae.c): the
 *     record's handler is cleared and its generation bumped, and the heap
 *     entry stays until it reaches the root, where it is dropped.  Compared
 *     with true removal this saves the heap-position back-pointer that every
 *     sift step would otherwise write into the slab, and the cache misses
 *     those writes cost (bench/RESULTS.md).  Cancel is O(1) (O(log n) when
 *     the cancelled event is the next one).  Two
 *     invariants keep the lazy scheme invisible:
 *       (a) the root is always a live event (dead roots are popped at once),
 *           so next_time and run_until read h[0] directly (and so is the
 *           head of the current-time FIFO below);
 *       (b) dead entries never exceed max(live, 64): past that the heap is
 *           compacted and rebuilt in O(n) (Floyd), so memory stays within
 *           about twice the pending events and the cost per cancel stays
 *           amortised O(1).
 *
 *   - Reschedule (move a pending event to a new time in place) needs the
 *     event's heap index, so every sift step also writes the index of
 *     the entry it moves into that entry's record (the "back-pointer"
 *     weighed above, kept in the word the free list uses, so records stay
 *     32 bytes) -- but only from the engine's first reschedule on
 *     (track_positions records every index once, O(n)): a world that
 *     never reschedules never pays for the writes (on the hold model at
 *     N = 10^5 they were 5 L1 write misses per event).  Reschedule is for
 *     the shared cell and the PS server, which move their one completion
 *     event at every arrival and departure: with cancel + schedule each
 *     move left a dead entry that a later pop had to sift out of the root.  A rescheduled event takes a fresh sequence
 *     number, so the order of events is exactly that of cancel + schedule
 *     (tests/sim/test_sim_engine.c checks both against a reference).
 *     Cancel stays lazy.
 *
 *   - Events scheduled at the current time (zero delays: a task handed on
 *     from one stage to the next in the same instant) go to a FIFO ring,
 *     not the heap.  Such an event is the least of all pending ones but
 *     for the heap's events at this same time with a smaller sequence
 *     number, so in the heap it paid a sift up to the root and then a sift
 *     down from it; the ring is in (time, seq) order by construction, and
 *     step takes the lesser of the ring's head and the heap's root (one
 *     128-bit compare), so the order of events is unchanged (on a shared
 *     cell two of six events per task are at zero delay).  The ring
 *     empties before the clock moves on.  Cancel marks a ring
 *     entry like a heap one (reaped at the head); reschedule leaves a
 *     tombstone in the ring (a linear search of the events due at this
 *     instant) and queues the event anew.  Records in the ring have
 *     pos = SIM_IN_NOWQ (records in the heap their index, or 0 while
 *     positions are not tracked).  The heap array keeps room for the entries of
 *     both, so renumbering can move the ring into the heap.
 *
 *   - Events scheduled together (sim_engine_schedule_batch: a population's
 *     first arrivals, 10^5-10^6 of them at once) do not enter the heap.
 *     They take their sequence numbers as n schedules would, are sorted by
 *     (time, seq) with a stable LSD radix sort on the time bits (the input
 *     order is the sequence order, so stability orders the ties), and wait
 *     in a sorted array, the side run, consumed from its front.  step takes
 *     the least of the run's head, the ring's head and the heap's root (the
 *     same 128-bit compare), so the order of events is exactly that of the
 *     n schedules; the run is looked at only while it is non-empty (one
 *     test of a counter on every step otherwise).  Each run entry carries
 *     its argument and the index of its (handler, user pointer) in a small
 *     table, so a batch allocates no event records: it costs a sort and a
 *     sequential read instead of n sifts up and n sifts down through a
 *     heap of n entries whose lower levels miss the caches.  A second
 *     batch while a run is pending is merged into it (its sequence numbers
 *     all follow the run's).  Batched events have no ids: nothing can
 *     cancel or move them, which keeps the run a plain sorted array.
 *
 *   - The insertion sequence has 32 bits in the key.  When it runs out
 *     (after 2^32 schedules) the pending events are sorted by (time, seq)
 *     and renumbered 0..n-1; relative order is unchanged and a sorted array
 *     is a valid heap.  That costs O(n log n) once per 2^32 schedules.
 *
 *   - Generations are 32 bits.  A record whose generation would wrap to 0 is
 *     retired (never reused), so an id is never issued twice in an
 *     engine's life; this leaks 32 bytes per 2^32 reuses of one record.
 *
 * Limits: at most 2^32 - 1 event records (pending plus cancelled-not-yet-
 * reaped); schedule returns 0 past that, as on out of memory.
 */
#include "sim_engine.h"
#include "sim_engine_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SIM_ARITY 4
#define SIM_HEAP_PAD 3                  /* physical index of logical 0 */
#define SIM_NO_SLOT UINT32_MAX          /* free-list terminator */
#define SIM_MAX_SLOTS ((size_t)UINT32_MAX) /* slot indices 0..2^32-2 */
#define SIM_SEQ_LIMIT ((uint64_t)1 << 32)
#define SIM_DEAD_SLACK 64               /* dead entries tolerated regardless of live */
#define SIM_IN_NOWQ UINT32_MAX          /* pos of a record in the current-time queue */
#define SIM_TOMBSTONE UINT64_MAX        /* tbits of a now-queue entry moved away */
#define SIM_PREFETCH_MIN 4096           /* heap entries (64 KiB) from which sift_down prefetches */

#if defined(__GNUC__)
#define SIM_PREFETCH(p) __builtin_prefetch(p)
#else
#define SIM_PREFETCH(p) ((void)(p))
#endif

/* A heap entry.  tbits: bit pattern of a time >= 0; key: seq << 32 | slot. */
typedef struct sim_qent {
    uint64_t tbits;
    uint64_t key;
} sim_qent;

/* A side-run entry: an event of a batch.  key: seq << 32 | index of its
 * (handler, user pointer) in the engine's run_fns; it orders against heap
 * entries by (tbits, key) like them (sequence numbers are unique, so the
 * low bits never decide). */
typedef struct sim_rent {
    uint64_t tbits;
    uint64_t key;
    uint64_t arg;
} sim_rent;

typedef struct sim_run_fn {
    sim_handler *fn;
    void *ud;
} sim_run_fn;

/* An event record.  fn == NULL marks a cancelled record still in the heap;
 * next_free chains free records; pos is the record's index in the heap while
 * it is there (live or cancelled) once positions are tracked (0 before),
 * SIM_IN_NOWQ in the current-time ring; for reschedule and cancel.  A record is never free
 * and in the heap at once, so the two share a word and the record stays 32
 * bytes. */
typedef struct sim_slot {
    sim_handler *fn;
    void *ud;
    uint64_t arg;
    uint32_t gen;
    union {
        uint32_t next_free;
        uint32_t pos;
    } u;
} sim_slot;

struct sim_engine {
    sim_qent *nowq;     /* ring of events at the current time, in seq order */
    size_t nq_head, nq_len, nq_cap; /* nq_cap: 0 or a power of two */
    sim_qent *heap;     /* logical index 0 == heap_mem + SIM_HEAP_PAD */
    sim_qent *heap_mem; /* 64-byte aligned allocation */
    size_t n;           /* heap entries, live + dead */
    size_t heap_cap;    /* entries the heap can hold */
    sim_rent *run;      /* the side run's allocation (NULL when empty) */
    sim_rent *run_next; /* its next event; run_left from there, sorted */
    size_t run_left;
    sim_run_fn *run_fns; /* the handlers and user pointers of the run */
    size_t n_run_fns, run_fns_cap;
    sim_slot *slots;
    size_t nslots;      /* records ever carved from the slab */
    size_t slot_cap;
    uint32_t free_head; /* SIM_NO_SLOT when the free list is empty */
    size_t live;        /* pending events */
    size_t dead;        /* cancelled entries still in the heap */
    uint64_t next_seq;  /* < seq_limit */
    uint64_t seq_limit; /* SIM_SEQ_LIMIT; lowered only by the test hook */
    double now;
    uint64_t fired;
    bool stop;
    bool hole;          /* heap[0] was fired and not yet refilled: see settle */
    bool track_pos;     /* heap positions kept in the records: see track_positions */
};

/* ---- small helpers ------------------------------------------------------ */

static inline uint64_t time_bits(double t)
{
    uint64_t b;
    memcpy(&b, &t, sizeof b);
    return b;
}

static inline double bits_time(uint64_t b)
{
    double t;
    memcpy(&t, &b, sizeof t);
    return t;
}

static inline uint32_t key_slot(uint64_t key) { return (uint32_t)key; }

/* a < b in (time, seq) order.  Slots are distinct, so keys are too. */
static inline bool qent_less(const sim_qent *a, const sim_qent *b)
{
#ifdef __SIZEOF_INT128__
    __extension__ typedef unsigned __int128 u128;
    return (((u128)a->tbits << 64) | a->key) < (((u128)b->tbits << 64) | b->key);
#else
    return a->tbits < b->tbits || (a->tbits == b->tbits && a->key < b->key);
#endif
}

/* (ta, ka) < (tb, kb), on values in registers. */
static inline bool tk_less(uint64_t ta, uint64_t ka, uint64_t tb, uint64_t kb)
{
    sim_qent a = { ta, ka }, b = { tb, kb };
    return qent_less(&a, &b);
}

/* Branch-free select: c ? y : x. */
static inline size_t pick(bool c, size_t x, size_t y)
{
    return x ^ ((x ^ y) & ((size_t)0 - (size_t)c));
}

/* ---- heap --------------------------------------------------------------- */

#if defined(__GNUC__)
#define SIM_INLINE static inline __attribute__((always_inline))
#define SIM_OFF_HOT_PATH __attribute__((noinline, cold))
#else
#define SIM_INLINE static inline
#define SIM_OFF_HOT_PATH
#endif

/* Store x at heap index i and, when positions are tracked (slots not
 * NULL: a constant at every inlined call site), record i in x's record. */
SIM_INLINE void heap_put(sim_qent *h, sim_slot *slots, size_t i, sim_qent x)
{
    h[i] = x;
    if (slots)
        slots[key_slot(x.key)].u.pos = (uint32_t)i;
}

/* Place x at hole i and move it up while it precedes its parent. */
SIM_INLINE void sift_up_impl(sim_qent *h, sim_slot *slots, size_t i, sim_qent x)
{
    while (i > 0) {
        size_t p = (i - 1) / SIM_ARITY;
        if (!qent_less(&x, &h[p]))
            break;
        heap_put(h, slots, i, h[p]);
        i = p;
    }
    heap_put(h, slots, i, x);
}

/* Place x at hole i of a heap of n entries and move it down while a child
 * precedes it.  The least of the four children of a full node is found by
 * a branch-free tournament.  The loop walks byte offsets (16 x index), so
 * that every entry it touches is one base + offset address, with no index
 * scaling per access.  pf (a constant at each call site): prefetch the
 * grandchildren, which pays only once the heap has left L1 (below
 * SIM_PREFETCH_MIN entries the prefetches are pure overhead). */
SIM_INLINE void sift_down_impl(sim_qent *h, sim_slot *slots, size_t n, size_t i,
                               sim_qent x, bool pf)
{
    enum { Q = sizeof(sim_qent) };
    char *base = (char *)h;
    size_t nb = n * Q;
    size_t o = i * Q;                 /* the hole */
    size_t co = SIM_ARITY * o + Q;    /* its first child: 16 (4i + 1) */
    while (co + SIM_ARITY * Q <= nb) { /* all four children: tournament */
        const sim_qent *k = (const sim_qent *)(base + co);
        if (pf) {
            /* Fetch the four grandchild groups (one line each) while this
             * level is compared (see the design notes at the top). */
            size_t g = SIM_ARITY * co + Q;
            if (g + 3 * SIM_ARITY * Q < nb) { /* stay inside the array */
                SIM_PREFETCH(base + g);
                SIM_PREFETCH(base + g + SIM_ARITY * Q);
                SIM_PREFETCH(base + g + 2 * SIM_ARITY * Q);
                SIM_PREFETCH(base + g + 3 * SIM_ARITY * Q);
            }
        }
        size_t a = co + Q * (size_t)qent_less(&k[1], &k[0]);
        size_t b = co + 2 * Q + Q * (size_t)qent_less(&k[3], &k[2]);
        size_t mo = pick(qent_less((const sim_qent *)(base + b), (const sim_qent *)(base + a)),
                         a, b);
        /* the fields one by one (a struct copy goes through an SSE
         * register and back), and the selects by pick (GCC turns
         * ?: on these into branches, which mispredict) */
        const sim_qent *m = (const sim_qent *)(base + mo);
        uint64_t mt = m->tbits, mk = m->key;
        if (!tk_less(mt, mk, x.tbits, x.key))
            goto done;
        sim_qent *hole = (sim_qent *)(base + o);
        hole->tbits = mt;
        hole->key = mk;
        if (slots)
            slots[key_slot(mk)].u.pos = (uint32_t)(o / Q);
        o = mo;
        co = SIM_ARITY * o + Q;
    }
    if (co < nb) { /* the last inner node: fewer than four children */
        size_t c = co / Q, m = c;
        for (size_t j = c + 1; j < n; j++)
            if (qent_less(&h[j], &h[m]))
                m = j;
        if (qent_less(&h[m], &x)) {
            heap_put(h, slots, o / Q, h[m]);
            o = m * Q;
        }
    }
done:
    heap_put(h, slots, o / Q, x);
}

/* sift_down_impl with the prefetching chosen by the heap's size and the
 * position writes by e->track_pos. */
SIM_INLINE void sift_down_any(sim_engine *e, size_t n, size_t i, sim_qent x)
{
    sim_slot *slots = e->track_pos ? e->slots : NULL;
    if (n >= SIM_PREFETCH_MIN) {
        if (slots)
            sift_down_impl(e->heap, e->slots, n, i, x, true);
        else
            sift_down_impl(e->heap, NULL, n, i, x, true);
    } else {
        if (slots)
            sift_down_impl(e->heap, e->slots, n, i, x, false);
        else
            sift_down_impl(e->heap, NULL, n, i, x, false);
    }
}

/* The same, not inlined: for the paths off the hold loop. */
static void sift_down(sim_engine *e, size_t n, size_t i, sim_qent x)
{
    sift_down_any(e, n, i, x);
}

static void sift_up(sim_engine *e, size_t i, sim_qent x)
{
    if (e->track_pos)
        sift_up_impl(e->heap, e->slots, i, x);
    else
        sift_up_impl(e->heap, NULL, i, x);
}

/* Rebuild the heap property over h[0..n) in O(n), and every entry's heap
 * position (leaves that do not move are not visited by the sifts). */
static void heapify(sim_engine *e, size_t n)
{
    sim_qent *h = e->heap;
    for (size_t i = 0; i < n; i++)
        e->slots[key_slot(h[i].key)].u.pos = (uint32_t)i;
    if (n < 2)
        return;
    for (size_t i = (n - 2) / SIM_ARITY + 1; i-- > 0;)
        sift_down(e, n, i, h[i]);
}

/* Grow the heap array geometrically to hold at least want entries.
 * false on out of memory (the heap is unchanged). */
static bool heap_reserve(sim_engine *e, size_t want)
{
    if (want <= e->heap_cap)
        return true;
    size_t cap = e->heap_cap ? e->heap_cap : 16;
    while (cap < want) {
        if (cap > (SIZE_MAX / sizeof(sim_qent) - 64) / 2)
            return false;
        cap *= 2;
    }
    size_t bytes = (cap + SIM_HEAP_PAD + 1) * sizeof(sim_qent);
    bytes = (bytes + 63) & ~(size_t)63; /* aligned_alloc wants a multiple */
    sim_qent *mem = aligned_alloc(64, bytes);
    if (!mem)
        return false;
    if (e->n)
        memcpy(mem + SIM_HEAP_PAD, e->heap, e->n * sizeof(sim_qent));
    free(e->heap_mem);
    e->heap_mem = mem;
    e->heap = mem + SIM_HEAP_PAD;
    e->heap_cap = cap;
    return true;
}

/* ---- records ------------------------------------------------------------ */

/* Grow the slab geometrically to hold at least want records. */
static bool slab_reserve(sim_engine *e, size_t want)
{
    if (want <= e->slot_cap)
        return true;
    if (want > SIM_MAX_SLOTS)
        return false;
    size_t cap = e->slot_cap ? e->slot_cap : 16;
    while (cap < want)
        cap = cap > SIM_MAX_SLOTS / 2 ? SIM_MAX_SLOTS : cap * 2;
    sim_slot *s = realloc(e->slots, cap * sizeof *s);
    if (!s)
        return false;
    e->slots = s;
    e->slot_cap = cap;
    return true;
}

/* Return a record whose generation was already bumped to the free list, or
 * retire it if the generation wrapped to 0 (its ids could otherwise recur). */
static inline void slot_recycle(sim_engine *e, uint32_t si)
{
    sim_slot *s = &e->slots[si];
    if (s->gen == 0)
        return;
    s->u.next_free = e->free_head;
    e->free_head = si;
}

/* From the first reschedule on, every heap move writes the entry's index
 * into its record (reschedule needs it).  Until then the sifts skip those
 * writes, so an engine that never reschedules never pays for them.  The
 * heap must be settled.  O(n), once per engine. */
static void track_positions(sim_engine *e)
{
    for (size_t i = 0; i < e->n; i++)
        e->slots[key_slot(e->heap[i].key)].u.pos = (uint32_t)i;
    e->track_pos = true;
}

/* ---- lazy cancellation -------------------------------------------------- */

/* Remove the root entry; the heap must be non-empty. */
static inline sim_qent heap_pop(sim_engine *e)
{
    sim_qent top = e->heap[0];
    size_t n = --e->n;
    if (n > 0)
        sift_down(e, n, 0, e->heap[n]);
    return top;
}

/* Restore invariant (a): pop cancelled entries off the root. */
static inline void reap_dead_roots(sim_engine *e)
{
    while (e->n > 0 && e->slots[key_slot(e->heap[0].key)].fn == NULL) {
        sim_qent d = heap_pop(e);
        slot_recycle(e, key_slot(d.key));
        e->dead--;
    }
}

/* Finish the pop that step left pending (the root was fired while its
 * handler ran; no schedule refilled it): move the last entry into the
 * root's place and restore invariant (a). */
static void settle(sim_engine *e)
{
    e->hole = false;
    size_t n = --e->n;
    if (n > 0)
        sift_down_any(e, n, 0, e->heap[n]);
    if (e->dead > 0)
        reap_dead_roots(e);
}

/* Put x into the hole at the root (the pending pop and x's push in one
 * sift) and restore invariant (a). */
SIM_INLINE void fill_hole(sim_engine *e, sim_qent x)
{
    e->hole = false;
    sift_down_any(e, e->n, 0, x);
    if (e->dead > 0)
        reap_dead_roots(e);
}

/* ---- the current-time queue ---------------------------------------------- */

static inline sim_qent *nowq_at(sim_engine *e, size_t k)
{
    return &e->nowq[(e->nq_head + k) & (e->nq_cap - 1)];
}

/* Restore the now-queue's invariant: its head, if any, is live.  Entries
 * moved away by reschedule (tombstones) are dropped; cancelled ones also
 * give their record back. */
static inline void reap_nowq_head(sim_engine *e)
{
    while (e->nq_len > 0) {
        sim_qent *q = nowq_at(e, 0);
        if (q->tbits != SIM_TOMBSTONE && e->slots[key_slot(q->key)].fn != NULL)
            return;
        if (q->tbits != SIM_TOMBSTONE)
            slot_recycle(e, key_slot(q->key));
        e->nq_head = (e->nq_head + 1) & (e->nq_cap - 1);
        e->nq_len--;
    }
}

/* Append x (time == now, seq above every pending one) to the now-queue;
 * false if it cannot grow (the caller puts x in the heap instead). */
static bool nowq_push(sim_engine *e, sim_qent x)
{
    if (e->nq_len == e->nq_cap) {
        size_t cap = e->nq_cap ? 2 * e->nq_cap : 64;
        if (cap > SIZE_MAX / sizeof(sim_qent))
            return false;
        sim_qent *q = malloc(cap * sizeof *q);
        if (!q)
            return false;
        for (size_t k = 0; k < e->nq_len; k++)
            q[k] = *nowq_at(e, k);
        free(e->nowq);
        e->nowq = q;
        e->nq_head = 0;
        e->nq_cap = cap;
    }
    *nowq_at(e, e->nq_len++) = x;
    e->slots[key_slot(x.key)].u.pos = SIM_IN_NOWQ;
    return true;
}

/* Turn the now-queue entry of record si into a tombstone (it is being
 * moved).  O(length of the queue), which is the events due at this
 * instant: short in practice. */
static void nowq_unlink(sim_engine *e, uint32_t si)
{
    for (size_t k = 0; k < e->nq_len; k++) {
        sim_qent *q = nowq_at(e, k);
        if (q->tbits != SIM_TOMBSTONE && key_slot(q->key) == si) {
            q->tbits = SIM_TOMBSTONE;
            return;
        }
    }
}

/* ---- the side run of batched events -------------------------------------- */

/* Run entry r precedes queue entry q in (time, seq) order. */
static inline bool rent_less(const sim_rent *r, const sim_qent *q)
{
    return tk_less(r->tbits, r->key, q->tbits, q->key);
}

/* Run entry a precedes run entry b. */
static inline bool rent_before(const sim_rent *a, const sim_rent *b)
{
    return tk_less(a->tbits, a->key, b->tbits, b->key);
}

/* The run's head precedes the ring's head and the heap's root (the run is
 * non-empty and the heap settled). */
static inline bool run_is_next(const sim_engine *e)
{
    const sim_rent *r = e->run_next;
    if (e->nq_len > 0 && !rent_less(r, &e->nowq[e->nq_head]))
        return false;
    return e->n == 0 || rent_less(r, &e->heap[0]);
}

/* The run's index of (fn, ud), added if new; false on out of memory. */
static bool run_fn_index(sim_engine *e, sim_handler *fn, void *ud, uint32_t *idx)
{
    for (size_t k = 0; k < e->n_run_fns; k++)
        if (e->run_fns[k].fn == fn && e->run_fns[k].ud == ud) {
            *idx = (uint32_t)k;
            return true;
        }
    if (e->n_run_fns >= UINT32_MAX)
        return false;
    if (e->n_run_fns == e->run_fns_cap) {
        size_t cap = e->run_fns_cap ? 2 * e->run_fns_cap : 4;
        sim_run_fn *f = realloc(e->run_fns, cap * sizeof *f);
        if (!f)
            return false;
        e->run_fns = f;
        e->run_fns_cap = cap;
    }
    e->run_fns[e->n_run_fns] = (sim_run_fn){ fn, ud };
    *idx = (uint32_t)e->n_run_fns++;
    return true;
}

#define RADIX_BITS 11
#define RADIX_PASSES ((64 + RADIX_BITS - 1) / RADIX_BITS)

typedef uint32_t radix_counts[RADIX_PASSES][(size_t)1 << RADIX_BITS];

/* Sort a[0..n) by tbits, stably (ties keep their order, which is their
 * sequence order), using tmp[0..n) and, above 32 entries, the zeroed
 * counts *cnt (n < 2^32); returns the array holding the result (a or
 * tmp).  LSD radix on 11-bit digits: every histogram in one read, then
 * one scatter per digit that is not the same for all entries. */
static sim_rent *run_sort(sim_rent *a, sim_rent *tmp, size_t n, radix_counts *cnt)
{
    if (n <= 32) { /* insertion sort: stable */
        for (size_t i = 1; i < n; i++) {
            sim_rent x = a[i];
            size_t j = i;
            for (; j > 0 && a[j - 1].tbits > x.tbits; j--)
                a[j] = a[j - 1];
            a[j] = x;
        }
        return a;
    }
    const size_t nb = (size_t)1 << RADIX_BITS;
    uint32_t(*c)[(size_t)1 << RADIX_BITS] = *cnt;
    for (size_t i = 0; i < n; i++)
        for (unsigned p = 0; p < RADIX_PASSES; p++)
            c[p][(a[i].tbits >> (p * RADIX_BITS)) & (nb - 1)]++;
    sim_rent *src = a, *dst = tmp;
    for (unsigned p = 0; p < RADIX_PASSES; p++) {
        unsigned sh = p * RADIX_BITS;
        if (c[p][(src[0].tbits >> sh) & (nb - 1)] == n)
            continue; /* one digit for all: the pass would not move anything */
        uint32_t off = 0;
        for (size_t d = 0; d < nb; d++) {
            uint32_t k = c[p][d];
            c[p][d] = off;
            off += k;
        }
        for (size_t i = 0; i < n; i++)
            dst[c[p][(src[i].tbits >> sh) & (nb - 1)]++] = src[i];
        sim_rent *t = src;
        src = dst;
        dst = t;
    }
    return src;
}

/* The run drained: give its memory back. */
static void run_release(sim_engine *e)
{
    free(e->run);
    e->run = e->run_next = NULL;
    e->run_left = 0;
    e->n_run_fns = 0;
}

/* Fire the run's head (it is the next event).  Kept out of step, which
 * the compiler then still inlines into run_until: a world whose events
 * are scheduled one by one pays one test of run_left a step. */
SIM_OFF_HOT_PATH static void step_run(sim_engine *e)
{
    sim_rent r = *e->run_next++;
    sim_run_fn f = e->run_fns[key_slot(r.key)];
    if (--e->run_left == 0)
        run_release(e);
    e->live--;
    e->now = bits_time(r.tbits);
    e->fired++;
    f.fn(e, f.ud, r.arg);
    if (e->hole)
        settle(e);
}

/* Drop every cancelled entry, recycle its record, rebuild the heap. */
static void compact(sim_engine *e)
{
    sim_qent *h = e->heap;
    size_t k = 0;
    for (size_t i = 0; i < e->n; i++) {
        uint32_t si = key_slot(h[i].key);
        if (e->slots[si].fn != NULL)
            h[k++] = h[i];
        else
            slot_recycle(e, si);
    }
    e->n = k;
    e->dead = 0;
    heapify(e, k);
}

static int qent_cmp(const void *pa, const void *pb)
{
    const sim_qent *a = pa, *b = pb;
    return qent_less(a, b) ? -1 : qent_less(b, a) ? 1 : 0;
}

/* The sequence space is exhausted: renumber the pending events 0..n-1 in
 * (time, seq) order.  A sorted array is a valid heap. */
static void renumber(sim_engine *e)
{
    if (e->hole)
        settle(e);
    /* the now-queue's live entries join the heap (heap_reserve cannot fail
     * here: the heap array always has room for every record, see
     * sim_engine_schedule), then all are sorted together */
    while (e->nq_len > 0) {
        reap_nowq_head(e);
        if (e->nq_len == 0)
            break;
        e->heap[e->n++] = *nowq_at(e, 0);
        e->nq_head = (e->nq_head + 1) & (e->nq_cap - 1);
        e->nq_len--;
    }
    compact(e);
    qsort(e->heap, e->n, sizeof *e->heap, qent_cmp);
    /* the sorted heap and the side run merged, numbered in that order;
     * both stay sorted, so both stay valid */
    sim_rent *r = e->run_next, *rend = r + e->run_left;
    size_t i = 0;
    uint64_t seq = 0;
    for (; i < e->n || r < rend; seq++) {
        if (r == rend || (i < e->n && !rent_less(r, &e->heap[i]))) {
            e->heap[i].key = (seq << 32) | key_slot(e->heap[i].key);
            e->slots[key_slot(e->heap[i].key)].u.pos = (uint32_t)i;
            i++;
        } else {
            r->key = (seq << 32) | key_slot(r->key);
            r++;
        }
    }
    e->next_seq = seq;
}

/* ---- public interface --------------------------------------------------- */

/* Create an engine at time 0 with room for cfg->initial_capacity events
 * (1024 if cfg is NULL or the field is 0).  On failure *e is NULL and err
 * says why (OFF_EINVAL: capacity above the engine's limit; OFF_ENOMEM). */
off_status sim_engine_new(sim_engine **e, const sim_engine_cfg *cfg, off_err *err)
{
    *e = NULL;
    size_t cap = cfg && cfg->initial_capacity ? cfg->initial_capacity : 1024;
    if (cap > SIM_MAX_SLOTS)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "event engine: initial capacity %zu exceeds the limit of %zu events",
                        cap, SIM_MAX_SLOTS);
    sim_engine *en = calloc(1, sizeof *en);
    if (!en)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "event engine: out of memory");
    en->free_head = SIM_NO_SLOT;
    en->seq_limit = SIM_SEQ_LIMIT;
    if (!heap_reserve(en, cap) || !slab_reserve(en, cap)) {
        sim_engine_free(en);
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0,
                        "event engine: out of memory reserving %zu events", cap);
    }
    *e = en;
    return OFF_OK;
}

/* Release the engine and every pending event (their handlers are not
 * called).  NULL-safe.  Not to be called from inside a handler. */
void sim_engine_free(sim_engine *e)
{
    if (!e)
        return;
    free(e->heap_mem);
    free(e->slots);
    free(e->nowq);
    free(e->run);
    free(e->run_fns);
    free(e);
}

/* Current simulated time, s. */
double sim_engine_now(const sim_engine *e) { return e->now; }

/* Schedule fn(e, ud, arg) at t; t < now (and -0.0) become now; t may be
 * INFINITY.  0 if t is NaN, fn is NULL, or memory (or the 2^32 - 1 record
 * limit) ran out; the engine is then unchanged. */
sim_event_id sim_engine_schedule(sim_engine *e, double t, sim_handler *fn,
                                 void *ud, uint64_t arg)
{
    if (isnan(t) || fn == NULL)
        return 0;
    if (!(t > e->now))
        t = e->now;
    /* room in the heap for every entry of both queues, so that renumber
     * and reschedule can always move now-queue entries into the heap */
    if (e->n + e->nq_len >= e->heap_cap && !heap_reserve(e, e->n + e->nq_len + 1))
        return 0;
    uint32_t si = e->free_head;
    if (si != SIM_NO_SLOT) {
        e->free_head = e->slots[si].u.next_free;
    } else {
        if (e->nslots == e->slot_cap && !slab_reserve(e, e->nslots + 1))
            return 0;
        si = (uint32_t)e->nslots++;
        e->slots[si].gen = 1;
    }
    sim_slot *s = &e->slots[si];
    s->fn = fn;
    s->ud = ud;
    s->arg = arg;
    s->u.pos = 0; /* "in the heap" (cancel tests SIM_IN_NOWQ), exact if tracked */
    if (e->next_seq >= e->seq_limit)
        renumber(e);
    sim_qent x = { time_bits(t), (e->next_seq++ << 32) | si };
    /* An event at the current time follows every pending one in (time,
     * seq) order except those of the heap at this same time: a FIFO keeps
     * it, without a sift up to the root and a sift down from it. */
    if (!(t == e->now && nowq_push(e, x))) {
        /* Inside a handler of a heap event the root is still a hole: the
         * event goes there, one sift down where a pop and a push would
         * have taken two.  Any free heap place gives the same order (keys
         * are unique), so this changes the cost, not the events. */
        if (e->hole)
            fill_hole(e, x);
        else
            sift_up(e, e->n++, x);
    }
    e->live++;
    return ((uint64_t)s->gen << 32) | si;
}

/* n schedules of fn(e, ud, ev[i].arg) at ev[i].t, in order, as one sorted
 * run beside the heap (see the design notes).  All or nothing: false, the
 * engine unchanged, if fn is NULL, a time is NaN, or memory or the
 * sequence space ran out. */
bool sim_engine_schedule_batch(sim_engine *e, const sim_batch_ev *ev, size_t n,
                               sim_handler *fn, void *ud)
{
    if (fn == NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        if (isnan(ev[i].t))
            return false;
    if (n == 0)
        return true;
    size_t keep = e->run_left;
    if (n >= SIM_SEQ_LIMIT - e->live || keep + n > SIZE_MAX / sizeof(sim_rent))
        return false;
    /* a: the batch, then the merged run (room for both); tmp: the sort's */
    sim_rent *a = malloc((keep + n) * sizeof *a);
    sim_rent *tmp = malloc(n * sizeof *tmp);
    radix_counts *cnt = n > 32 ? calloc(1, sizeof *cnt) : NULL;
    uint32_t fi;
    if (!a || !tmp || (n > 32 && !cnt) || !run_fn_index(e, fn, ud, &fi)) {
        free(a);
        free(tmp);
        free(cnt);
        return false;
    }
    /* the sequence numbers n schedules would take (renumbering first if
     * they would run out, as the schedules would have on the way) */
    if (e->next_seq + n > e->seq_limit)
        renumber(e);
    uint64_t seq = e->next_seq;
    for (size_t i = 0; i < n; i++) {
        double t = ev[i].t;
        if (!(t > e->now))
            t = e->now; /* clamped as schedule does (and -0.0 becomes +0.0) */
        a[i] = (sim_rent){ time_bits(t), ((seq + i) << 32) | fi, ev[i].arg };
    }
    e->next_seq = seq + n;
    sim_rent *sorted = run_sort(a, tmp, n, cnt);
    if (sorted != a)
        memcpy(a, sorted, n * sizeof *a);
    free(tmp);
    free(cnt);
    /* merge the pending run in from the back: a[0..n) holds the batch, the
     * output fills a[0..keep+n) from its end, never overtaking the batch */
    size_t i = n, j = keep, k = keep + n;
    while (j > 0) {
        if (i > 0 && rent_before(&e->run_next[j - 1], &a[i - 1]))
            a[--k] = a[--i];
        else
            a[--k] = e->run_next[--j];
    }
    free(e->run);
    e->run = e->run_next = a;
    e->run_left = keep + n;
    e->live += n;
    return true;
}

/* Schedule at now + delay (a negative delay means now; NaN gives 0). */
sim_event_id sim_engine_schedule_in(sim_engine *e, double delay, sim_handler *fn,
                                    void *ud, uint64_t arg)
{
    return sim_engine_schedule(e, e->now + delay, fn, ud, arg);
}

/* Cancel a pending event: true if it was pending.  O(1), or O(log n) when
 * it is the next event; amortised O(1) compaction keeps invariant (b). */
bool sim_engine_cancel(sim_engine *e, sim_event_id id)
{
    uint32_t si = (uint32_t)id;
    uint32_t gen = (uint32_t)(id >> 32);
    if (gen == 0 || si >= e->nslots)
        return false;
    sim_slot *s = &e->slots[si];
    /* A generation is bumped when its event fires or is cancelled, so a
     * match means pending; the fn test is belt and braces. */
    if (s->gen != gen || s->fn == NULL)
        return false;
    if (e->hole)
        settle(e);
    s->fn = NULL;
    s->gen = gen + 1; /* 0 on wrap: retired when reaped */
    e->live--;
    if (s->u.pos == SIM_IN_NOWQ) { /* reaped when it reaches the head */
        reap_nowq_head(e);
        return true;
    }
    e->dead++;
    if (key_slot(e->heap[0].key) == si)
        reap_dead_roots(e);
    if (e->dead > SIM_DEAD_SLACK && e->dead > e->live)
        compact(e);
    return true;
}

/* Move a pending event to time t (clamped to now, as in schedule) in place:
 * it takes the next sequence number, so it orders exactly as cancel +
 * schedule would have ordered its replacement (after every event already
 * scheduled at t), without leaving a cancelled entry behind.  O(log n). */
bool sim_engine_reschedule(sim_engine *e, sim_event_id id, double t)
{
    uint32_t si = (uint32_t)id;
    uint32_t gen = (uint32_t)(id >> 32);
    if (isnan(t) || gen == 0 || si >= e->nslots)
        return false;
    if (e->slots[si].gen != gen || e->slots[si].fn == NULL)
        return false;
    if (e->hole)
        settle(e);
    if (!e->track_pos)
        track_positions(e);
    if (!(t > e->now))
        t = e->now;
    if (e->slots[si].u.pos == SIM_IN_NOWQ &&
        e->n + e->nq_len >= e->heap_cap && !heap_reserve(e, e->n + e->nq_len + 1))
        return false;
    if (e->next_seq >= e->seq_limit)
        renumber(e); /* moves entries; the record's position follows */
    sim_qent x = { time_bits(t), (e->next_seq++ << 32) | si };
    if (e->slots[si].u.pos == SIM_IN_NOWQ) {
        /* leave a tombstone and queue it anew, as schedule would */
        nowq_unlink(e, si);
        if (!(t == e->now && nowq_push(e, x)))
            sift_up(e, e->n++, x);
        reap_nowq_head(e);
        return true;
    }
    size_t i = e->slots[si].u.pos;
    if (qent_less(&x, &e->heap[i]))
        sift_up(e, i, x);
    else
        sift_down(e, e->n, i, x);
    /* a later time may have moved a cancelled entry up to the root */
    reap_dead_roots(e);
    return true;
}

/* The next event comes from the now-queue (rather than the heap). */
static inline bool next_is_nowq(const sim_engine *e)
{
    return e->nq_len > 0 &&
           (e->n == 0 || qent_less(&e->nowq[e->nq_head], &e->heap[0]));
}

/* Pop the next event, free its record, set the clock, call its handler.
 * An event from the heap leaves the root a hole while its handler runs
 * (e->hole): the handler's first schedule into the heap fills it
 * (fill_hole), and if none does, settle finishes the pop afterwards.
 * Every other operation that looks at the heap settles first.  Inlined
 * into run_until, the loop of every run. */
SIM_INLINE bool step_impl(sim_engine *e)
{
    if (e->hole) /* called from a handler */
        settle(e);
    if (e->live == 0) /* by invariant (a) both queues are empty too */
        return false;
    if (e->run_left > 0 && run_is_next(e)) {
        step_run(e);
        return true;
    }
    sim_qent top;
    bool from_nowq = next_is_nowq(e);
    if (from_nowq) {
        top = e->nowq[e->nq_head];
        e->nq_head = (e->nq_head + 1) & (e->nq_cap - 1);
        e->nq_len--;
    } else {
        top = e->heap[0];
        e->hole = true;
        /* The next event's record is likely a cache miss in a large heap,
         * and the next root is not known until the hole is filled; but it
         * is the least of the root's children (or the handler's own new
         * event, whose record is hot): fetch that child's record while the
         * handler runs. */
        if (e->n >= SIM_PREFETCH_MIN) {
            const sim_qent *k = &e->heap[1];
            size_t a = qent_less(&k[1], &k[0]);
            size_t b = 2 + (size_t)qent_less(&k[3], &k[2]);
            size_t m = pick(qent_less(&k[b], &k[a]), a, b);
            SIM_PREFETCH(&e->slots[key_slot(k[m].key)]);
        }
    }
    uint32_t si = key_slot(top.key);
    sim_slot *s = &e->slots[si];
    sim_handler *fn = s->fn;
    void *ud = s->ud;
    uint64_t arg = s->arg;
    s->gen++; /* the id is stale from here on: cancel(own id) is false */
    slot_recycle(e, si);
    e->live--;
    if (from_nowq)
        reap_nowq_head(e);
    e->now = bits_time(top.tbits);
    e->fired++;
    fn(e, ud, arg);
    if (e->hole)
        settle(e);
    return true;
}

bool sim_engine_step(sim_engine *e) { return step_impl(e); }

/* Fire events while the next is at time <= t_end and stop was not asked.
 * The stop flag is cleared on entry: stop ends the run in progress only. */
uint64_t sim_engine_run_until(sim_engine *e, double t_end)
{
    uint64_t before = e->fired;
    e->stop = false;
    /* NaN t_end fires nothing: the comparison is false. */
    while (!e->stop && e->live > 0 && sim_engine_next_time(e) <= t_end)
        step_impl(e);
    e->stop = false;
    return e->fired - before;
}

/* Ask run_until to return after the current handler. */
void sim_engine_stop(sim_engine *e) { e->stop = true; }

/* Events scheduled and neither fired nor cancelled. */
size_t sim_engine_pending(const sim_engine *e) { return e->live; }

/* Events fired since the engine was created. */
uint64_t sim_engine_fired(const sim_engine *e) { return e->fired; }

/* Time of the next pending event (the heads of both queues are live by
 * invariant (a); a now-queue entry is at the current time). */
double sim_engine_next_time(const sim_engine *e)
{
    /* A handler asking: finish the pending pop first.  The engine is never
     * defined const (sim_engine_new allocates it), so the cast is sound;
     * the answer is the same either way. */
    if (e->hole)
        settle((sim_engine *)e);
    if (e->nq_len > 0) /* nothing pending is earlier than now */
        return e->now;
    double t = e->n > 0 ? bits_time(e->heap[0].tbits) : INFINITY;
    if (e->run_left > 0 && bits_time(e->run_next->tbits) < t)
        t = bits_time(e->run_next->tbits);
    return t;
}

/* The next event's handler and argument (the heads of both queues are
 * live by invariant (a)); the record was prefetched by the last step.
 * Asked from a handler while the root is a hole, it answers from the
 * root's children instead of settling: settling here would undo the one
 * sift a pop and the handler's next schedule share, and the answer is a
 * hint anyway (the least child may be a cancelled entry, fn NULL). */
bool sim_engine_peek(const sim_engine *e, sim_handler **fn, uint64_t *arg)
{
    if (e->live == 0)
        return false;
    const sim_qent *q = NULL;
    if (e->hole) {
        q = e->nq_len > 0 ? &e->nowq[e->nq_head] : NULL;
        for (size_t j = 1; j <= SIM_ARITY && j < e->n; j++)
            if (!q || qent_less(&e->heap[j], q))
                q = &e->heap[j];
    } else if (e->nq_len > 0 || e->n > 0) {
        q = next_is_nowq(e) ? &e->nowq[e->nq_head] : &e->heap[0];
    }
    if (e->run_left > 0 && (!q || rent_less(e->run_next, q))) {
        *fn = e->run_fns[key_slot(e->run_next->key)].fn;
        *arg = e->run_next->arg;
        return true;
    }
    if (!q)
        return false;
    const sim_slot *s = &e->slots[key_slot(q->key)];
    *fn = s->fn;
    *arg = s->arg;
    return true;
}

/* The k-th batched event still waiting: the run is sorted in firing
 * order and nothing in it can be cancelled, so this is exact. */
bool sim_engine_peek_batched(const sim_engine *e, size_t k, sim_handler **fn,
                             uint64_t *arg)
{
    if (k >= e->run_left)
        return false;
    const sim_rent *r = &e->run_next[k];
    *fn = e->run_fns[key_slot(r->key)].fn;
    *arg = r->arg;
    return true;
}

/* Test hook (sim_engine_int.h): lower the sequence limit so that
 * renumbering, normally once per 2^32 schedules, can be exercised.  Takes
 * effect at the next schedule. */
void sim_engine_test_set_seq_limit(sim_engine *e, uint64_t limit)
{
    e->seq_limit = limit < 1 ? 1 : limit > SIM_SEQ_LIMIT ? SIM_SEQ_LIMIT : limit;
}
