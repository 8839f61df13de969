/*
 * sim_engine.h - the discrete-event engine.
 *
 * Events are ordered by (time, insertion sequence): two events at the same
 * time fire in the order they were scheduled, so a run is a pure function
 * of its inputs.  The engine knows nothing about devices or tasks: an event
 * is a handler, a user pointer and a 64-bit argument.
 *
 * Cost: schedule, reschedule and pop are O(log n) (a batch of k events
 * O(k) plus the batched events still waiting, a pop of one O(1): see
 * sim_engine_schedule_batch); cancel is O(1), or
 * O(log n) when it cancels the next event (cancelled events are marked and
 * dropped lazily; memory stays within about twice the pending events).
 * A fired event's pop is finished by its handler's first schedule (one
 * sift for both); so the first cancel or next_time inside a handler that
 * has not scheduled yet also costs O(log n).  Event records live
 * in a slab that grows geometrically and is recycled through a free list,
 * so a run in steady state allocates nothing per event.  Limit: 2^32 - 1
 * events pending at once.
 *
 * Re-entrancy: handlers may schedule and cancel freely (including cancelling
 * events at the current time).  An id stays unique for the engine's life
 * (slot index + generation), so cancelling an id whose event already fired
 * or was cancelled is a harmless no-op returning false.  A handler's own
 * id is already stale while it runs.  Handlers must not free the engine.
 */
#ifndef SIM_ENGINE_H
#define SIM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "off.h"

typedef struct sim_engine sim_engine;

/* An event id; 0 is never a valid id. */
typedef uint64_t sim_event_id;

/* A handler: called once when its event fires, with the engine's clock set
 * to the event's time. */
typedef void sim_handler(sim_engine *e, void *ud, uint64_t arg);

typedef struct sim_engine_cfg {
    size_t initial_capacity; /* events preallocated; 0 = 1024 */
} sim_engine_cfg;

/* Create an engine at time 0.  cfg may be NULL. */
off_status sim_engine_new(sim_engine **e, const sim_engine_cfg *cfg, off_err *err);
void sim_engine_free(sim_engine *e); /* NULL-safe */

/* Current simulated time, s. */
double sim_engine_now(const sim_engine *e);

/* Schedule fn(e, ud, arg) at absolute time t (t >= now; an earlier t is
 * clamped to now; INFINITY is allowed and fires only when running to
 * empty).  An event scheduled at the current time fires after every event
 * already scheduled at that time.  Returns the event's id, or 0 (engine
 * unchanged) if t is NaN, fn is NULL or memory ran out. */
sim_event_id sim_engine_schedule(sim_engine *e, double t, sim_handler *fn,
                                 void *ud, uint64_t arg);

/* One event of a batch: its time and its handler's argument. */
typedef struct sim_batch_ev {
    double t;
    uint64_t arg;
} sim_batch_ev;

/* Schedule fn(e, ud, ev[i].arg) at ev[i].t for i = 0..n-1: the same events
 * in the same order as n calls of sim_engine_schedule in that order (the
 * same sequence numbers, so ties at equal times fire in scheduling order,
 * interleaved exactly with every other event), but without ids: a batch's
 * events cannot be cancelled or rescheduled.  All or nothing: false, the
 * engine unchanged, if fn is NULL, a time is NaN or memory ran out; true
 * for n = 0.  O(n) (a radix sort) plus a merge with the batched events
 * still waiting, not O(n log n): the events wait in a sorted run beside
 * the heap, which step merges with it, so a batch of 10^6 events neither
 * deepens the heap nor costs a sift each.  For populations whose first
 * events are all drawn at once. */
bool sim_engine_schedule_batch(sim_engine *e, const sim_batch_ev *ev, size_t n,
                               sim_handler *fn, void *ud);

/* Schedule at now + delay (negative delay: now; NaN: returns 0). */
sim_event_id sim_engine_schedule_in(sim_engine *e, double delay, sim_handler *fn,
                                    void *ud, uint64_t arg);

/* Cancel a pending event.  true if it was pending (and is now removed),
 * false if it already fired, was cancelled, or id is 0. */
bool sim_engine_cancel(sim_engine *e, sim_event_id id);

/* Move a pending event to time t (an earlier t is clamped to now) without
 * cancelling it: its id stays valid, and it is ordered exactly as if it had
 * been cancelled and scheduled again at t (after every event already
 * scheduled at t).  O(log n), and unlike cancel + schedule it leaves no
 * cancelled entry in the queue.  false (nothing changed) if the event is
 * not pending or t is NaN. */
bool sim_engine_reschedule(sim_engine *e, sim_event_id id, double t);

/* Fire the next event, if any, advancing the clock.  false if none pending. */
bool sim_engine_step(sim_engine *e);

/* Fire events in order while the next one is at time <= t_end (use INFINITY
 * for "until empty") and sim_engine_stop was not called during this call.
 * The clock ends at the last fired event's time (it does not advance to
 * t_end; a NaN t_end fires nothing).  Returns the number of events fired. */
uint64_t sim_engine_run_until(sim_engine *e, double t_end);

/* Ask run_until to return after the current handler.  The request ends
 * the run in progress only: each run_until starts with it cleared. */
void sim_engine_stop(sim_engine *e);

size_t sim_engine_pending(const sim_engine *e);  /* events scheduled, not fired/cancelled */
uint64_t sim_engine_fired(const sim_engine *e);  /* events fired so far */

/* Time of the next pending event, INFINITY if none. */
double sim_engine_next_time(const sim_engine *e);

/* The handler and argument of the event sim_engine_step would fire next,
 * without firing it; false (nothing written) if none is pending.  A hint,
 * for a caller that wants to prefetch what that event will touch while the
 * engine pops it: scheduling or cancelling before the next step may change
 * which event comes next, and from a handler it may name a cancelled
 * event (fn NULL). */
bool sim_engine_peek(const sim_engine *e, sim_handler **fn, uint64_t *arg);

/* The k-th (from 0) of the batched events still waiting, in the order
 * they will fire among themselves (other events may come between them);
 * false (nothing written) if fewer than k + 1 wait.  Exact, since batched
 * events cannot be cancelled: a caller can fetch what the events several
 * arrivals ahead will touch, further ahead than sim_engine_peek sees. */
bool sim_engine_peek_batched(const sim_engine *e, size_t k, sim_handler **fn,
                             uint64_t *arg);

#endif /* SIM_ENGINE_H */
