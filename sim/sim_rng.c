/*
 * sim_rng.c - seeded random streams.  See sim_rng.h for the derivation;
 * it is part of every result: changing anything here changes every run's
 * numbers and must bump the results' version.
 */
#include "sim_rng.h"

#include <string.h>

/* Substitute for a 32-bit seed of 0 (GSL would silently use 4357). */
#define SIM_RNG_ZERO_SEED 0x6f666673UL /* "offs" */

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

/* The 64-bit seed folded to the 32 bits mt19937 takes: low ^ high. */
static unsigned long fold32(uint64_t seed)
{
    unsigned long s = (unsigned long)((seed ^ (seed >> 32)) & 0xffffffffUL);
    return s ? s : SIM_RNG_ZERO_SEED;
}

/* A new mt19937 generator seeded with fold32(sim_rng_seed(...)); NULL on
 * out of memory.  Free with gsl_rng_free. */
gsl_rng *sim_rng_stream(uint64_t master, uint64_t entity_key, uint32_t purpose)
{
    /* gsl_rng_alloc calls the GSL error handler (abort by default) on out
     * of memory; callers that need NULL instead install their own handler. */
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        return NULL;
    gsl_rng_set(r, fold32(sim_rng_seed(master, entity_key, purpose)));
    return r;
}
