/*
 * sim_rng.h - seeded random streams (common random numbers).
 *
 * Every (entity, purpose) pair has its own GSL generator whose seed is a
 * hash of (master seed, entity key, purpose).  The entity key is a hash of
 * the entity's *name* (e.g. "phone[3]"), not its index, so adding a device,
 * reordering devices or changing the policy never changes another entity's
 * draws: policies are compared on identical arrivals, samples and channels.
 *
 * Generator: GSL's mt19937 (period 2^19937-1) with its whole 624-word state
 * filled from a 64-bit seed.  The exact derivation (changing any step
 * changes every result and must bump the results' version):
 *
 *   mix(x)    = off_mix64(x)            (splitmix64 finaliser)
 *   key(name) = off_hash_bytes(name, strlen(name), 0)
 *               (FNV-1a 64 over the bytes, no NUL, then mixed; NULL = "")
 *   seed64    = mix(mix(mix(master) ^ key) ^ purpose)
 *   state     = mt[i] = low 32 bits of the (i+1)-th output of splitmix64
 *               started at seed64, i = 0..623; mt[0] |= 0x80000000 (never an
 *               all-zero state); the first draw regenerates the block
 *
 * gsl_rng_set takes only 32 bits of seed: among k streams two would share a
 * seed with probability about k^2 / 2^33 (1 % at k = 10^4), hence the full
 * state.
 */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

#include "off.h"

/* What a stream is used for.  Append only: the values are part of the seed. */
typedef enum sim_rng_purpose {
    SIM_RNG_ARRIVALS = 1,  /* task inter-arrival times / periodic phase       */
    SIM_RNG_SAMPLES = 2,   /* which dataset sample a task carries             */
    SIM_RNG_WORK = 3,      /* drawn task work (synthetic models)              */
    SIM_RNG_OUTCOME = 4,   /* correctness draws of profiled models            */
    SIM_RNG_CHANNEL = 5,   /* channel realisations                            */
    SIM_RNG_POLICY = 6,    /* policy randomness                               */
    SIM_RNG_MOBILITY = 7,
    SIM_RNG_SERVER = 8,    /* server-side randomness (background load, ...)   */
} sim_rng_purpose;

/* Key of an entity from its name (stable hash). */
uint64_t sim_rng_entity_key(const char *name);

/* The 64-bit seed of the stream (master, entity key, purpose). */
uint64_t sim_rng_seed(uint64_t master, uint64_t entity_key, uint32_t purpose);

/* A new generator for (master, entity key, purpose); NULL on out of memory.
 * Free with gsl_rng_free. */
gsl_rng *sim_rng_stream(uint64_t master, uint64_t entity_key, uint32_t purpose);

/* The word of r's state that its next draw reads first (mt19937's index of
 * the next word), for a prefetch a little ahead of the draw: with thousands
 * of streams the state is seldom in cache.  r must come from
 * sim_rng_stream. */
const void *sim_rng_hot_word(const gsl_rng *r);

#endif /* SIM_RNG_H */
