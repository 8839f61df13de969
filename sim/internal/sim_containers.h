/*
 * sim_containers.h - the small containers the simulation's components
 * share: a FIFO of indices, a binary min-heap of jobs, and a pool of
 * records addressed by index.  Each grows geometrically, so a run in
 * steady state allocates nothing.  Internal to sim/.
 */
#ifndef SIM_CONTAINERS_H
#define SIM_CONTAINERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A FIFO of indices: a ring buffer whose capacity is a power of two. */
typedef struct sim_fifo {
    uint32_t *buf;
    size_t cap, head, len;
} sim_fifo;

bool sim_fifo_push(sim_fifo *q, uint32_t v); /* false: out of memory */
static inline uint32_t sim_fifo_pop(sim_fifo *q) /* q->len > 0 */
{
    uint32_t v = q->buf[q->head];
    q->head = (q->head + 1) & (q->cap - 1);
    q->len--;
    return v;
}
void sim_fifo_free(sim_fifo *q);

/* A binary min-heap of jobs ordered by (key, seq): seq breaks ties in
 * insertion order.  pop/push are O(log n). */
typedef struct sim_hent {
    double key;
    uint64_t seq;
    uint32_t job;
} sim_hent;

typedef struct sim_heap {
    sim_hent *a;
    size_t len, cap;
} sim_heap;

bool sim_heap_push(sim_heap *h, double key, uint64_t seq, uint32_t job);
sim_hent sim_heap_pop(sim_heap *h); /* h->len > 0 */
void sim_heap_free(sim_heap *h);

/* A pool of records of `size` bytes addressed by a 32-bit index that stays
 * valid while the record is taken (pointers do not: the pool moves when it
 * grows).  Free records are chained through a uint32_t inside each record,
 * at byte offset link_off.  The first growth makes first_cap records; the
 * capacity never exceeds max_cap.  Records come out in index order from a
 * fresh pool and last-released first afterwards. */
#define SIM_POOL_NONE UINT32_MAX

typedef struct sim_pool {
    void *items;
    size_t size, link_off, cap, first_cap, max_cap;
    uint32_t free_head;        /* SIM_POOL_NONE: none free               */
} sim_pool;

void sim_pool_init(sim_pool *p, size_t size, size_t link_off, size_t first_cap,
                   size_t max_cap);
bool sim_pool_grow(sim_pool *p); /* false: out of memory or at max_cap */
void sim_pool_free(sim_pool *p);

static inline uint32_t *sim_pool_link_(const sim_pool *p, uint32_t i)
{
    return (uint32_t *)((char *)p->items + (size_t)i * p->size + p->link_off);
}

static inline bool sim_pool_alloc(sim_pool *p, uint32_t *idx)
{
    if (p->free_head == SIM_POOL_NONE && !sim_pool_grow(p))
        return false;
    *idx = p->free_head;
    p->free_head = *sim_pool_link_(p, *idx);
    return true;
}

static inline void sim_pool_release(sim_pool *p, uint32_t i)
{
    *sim_pool_link_(p, i) = p->free_head;
    p->free_head = i;
}

/* Record i, typed. */
#define SIM_POOL_AT(p, type, i) ((type *)(p)->items + (i))

#endif /* SIM_CONTAINERS_H */
