/*
 * sim_containers.c - the FIFO, the job heap and the record pool
 * (sim_containers.h).
 */
#include "sim_containers.h"

#include <stdlib.h>
#include <string.h>

/* ---- FIFO ---------------------------------------------------------------- */

bool sim_fifo_push(sim_fifo *q, uint32_t v)
{
    if (q->len == q->cap) {
        size_t ncap = q->cap ? q->cap * 2 : 16; /* power of two: mask wraps */
        uint32_t *nb = malloc(ncap * sizeof *nb);
        if (!nb)
            return false;
        for (size_t i = 0; i < q->len; i++)
            nb[i] = q->buf[(q->head + i) & (q->cap - 1)];
        free(q->buf);
        q->buf = nb;
        q->cap = ncap;
        q->head = 0;
    }
    q->buf[(q->head + q->len) & (q->cap - 1)] = v;
    q->len++;
    return true;
}

void sim_fifo_free(sim_fifo *q)
{
    free(q->buf);
    memset(q, 0, sizeof *q);
}

/* ---- heap ---------------------------------------------------------------- */

static bool hless(const sim_hent *x, const sim_hent *y)
{
    return x->key < y->key || (x->key == y->key && x->seq < y->seq);
}

bool sim_heap_push(sim_heap *h, double key, uint64_t seq, uint32_t job)
{
    if (h->len == h->cap) {
        size_t nc = h->cap ? h->cap * 2 : 16;
        sim_hent *na = realloc(h->a, nc * sizeof *na);
        if (!na)
            return false;
        h->a = na;
        h->cap = nc;
    }
    sim_hent x = {key, seq, job};
    size_t i = h->len++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!hless(&x, &h->a[p]))
            break;
        h->a[i] = h->a[p];
        i = p;
    }
    h->a[i] = x;
    return true;
}

sim_hent sim_heap_pop(sim_heap *h)
{
    sim_hent top = h->a[0], x = h->a[--h->len];
    size_t i = 0, n = h->len;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && hless(&h->a[c + 1], &h->a[c]))
            c++;
        if (!hless(&h->a[c], &x))
            break;
        h->a[i] = h->a[c];
        i = c;
    }
    if (n)
        h->a[i] = x;
    return top;
}

void sim_heap_free(sim_heap *h)
{
    free(h->a);
    memset(h, 0, sizeof *h);
}

/* ---- pool ---------------------------------------------------------------- */

void sim_pool_init(sim_pool *p, size_t size, size_t link_off, size_t first_cap,
                   size_t max_cap)
{
    *p = (sim_pool){NULL, size, link_off, 0, first_cap, max_cap, SIM_POOL_NONE};
}

bool sim_pool_grow(sim_pool *p)
{
    size_t old = p->cap, nc = old ? old * 2 : p->first_cap;
    if (nc > p->max_cap || nc > SIZE_MAX / p->size)
        return false;
    void *ni = realloc(p->items, nc * p->size);
    if (!ni)
        return false;
    p->items = ni;
    p->cap = nc;
    /* chained so that the lowest new index comes out first */
    for (size_t i = nc; i-- > old;) {
        *sim_pool_link_(p, (uint32_t)i) = p->free_head;
        p->free_head = (uint32_t)i;
    }
    return true;
}

void sim_pool_free(sim_pool *p)
{
    free(p->items);
    p->items = NULL;
    p->cap = 0;
    p->free_head = SIM_POOL_NONE;
}
