/*
 * sim_rng.c - seeded random streams.  See sim_rng.h for the derivation;
 * it is part of every result: changing anything here changes every run's
 * numbers and must bump the results' version.
 */
#include "sim_rng.h"

#include <string.h>

/* FNV-1a 64 of the name's bytes (without the NUL), finalised by splitmix64,
 * hash seed 0.  A NULL name hashes like "". */
uint64_t sim_rng_entity_key(const char *name)
{
    if (!name)
        name = "";
    return off_hash_bytes(name, strlen(name), 0);
}

/* mix(mix(mix(master) ^ entity_key) ^ purpose), mix = off_mix64. */
uint64_t sim_rng_seed(uint64_t master, uint64_t entity_key, uint32_t purpose)
{
    uint64_t h = off_mix64(master);
    h = off_mix64(h ^ entity_key);
    return off_mix64(h ^ (uint64_t)purpose);
}

/* GSL's mt19937 state (gsl/rng/mt.c): 624 words of 32 bits held in
 * unsigned longs, and the index of the next word.  gsl_rng_set takes only 32
 * bits of seed, so with tens of thousands of streams two of them would share
 * a seed by the birthday bound (about 50 % at 8e4 streams).  We fill the
 * whole state from the 64-bit seed instead, as MT's init_by_array does from
 * a key: no two streams of distinct 64-bit seeds start alike. */
typedef struct mt_state {
    unsigned long mt[624];
    int mti;
} mt_state;

/* Fill the state from seed: word i = low 32 bits of splitmix64 step i+1;
 * mt[0] gets its top bit set (as in init_by_array) so the state is never
 * all zero; mti = 624 makes the first draw regenerate the block. */
static void seed_full_state(gsl_rng *r, uint64_t seed)
{
    mt_state *st = gsl_rng_state(r);
    uint64_t x = seed;
    for (int i = 0; i < 624; i++) {
        x += 0x9e3779b97f4a7c15ULL;
        uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        st->mt[i] = (unsigned long)(z & 0xffffffffULL);
    }
    st->mt[0] |= 0x80000000UL;
    st->mti = 624;
}

const void *sim_rng_hot_word(const gsl_rng *r)
{
    const mt_state *st = r->state;
    return &st->mti;
}

/* A new mt19937 generator whose whole state comes from sim_rng_seed(...);
 * NULL on out of memory.  Free with gsl_rng_free. */
gsl_rng *sim_rng_stream(uint64_t master, uint64_t entity_key, uint32_t purpose)
{
    /* gsl_rng_alloc calls the GSL error handler (abort by default) on out
     * of memory; callers that need NULL instead install their own handler. */
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        return NULL;
    if (gsl_rng_size(r) != sizeof(mt_state)) { /* a GSL with another layout */
        gsl_rng_free(r);
        return NULL;
    }
    seed_full_state(r, sim_rng_seed(master, entity_key, purpose));
    return r;
}
