/*
 * sim_rng.h - seeded random streams (common random numbers).
 *
 * Every (entity, purpose) pair has its own generator whose key is a hash of
 * (master seed, entity key, purpose).  The entity key is a hash of the
 * entity's *name* (e.g. "phone[3]"), not its index, so adding a device,
 * reordering devices or changing the policy never changes another entity's
 * draws: policies are compared on identical arrivals, samples and channels.
 *
 * Generator: Philox4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random
 * numbers: as easy as 1, 2, 3", SC 2011), a counter-based generator: the
 * n-th block of four 32-bit words is a keyed bijection (ten rounds of
 * multiply-xor with a Weyl key schedule) of the 128-bit counter n.  Its
 * authors report it passes TestU01's SmallCrush, Crush and BigCrush for
 * every key tried and for up to 2^16 interleaved keys; distinct keys give
 * streams with no known correlation, which is what one stream per
 * (entity, purpose) needs.  State: 32 bytes (key, counter, a block of four
 * buffered words), against mt19937's ~5 KB, so a million devices' streams
 * fit in memory and an arrival's streams in a cache line.  The exact
 * derivation (changing any step changes every result and must bump the
 * generator's name recorded in runs.rng):
 *
 *   mix(x)    = off_mix64(x)            (splitmix64 finaliser)
 *   key(name) = off_hash_bytes(name, strlen(name), 0)
 *               (FNV-1a 64 over the bytes, no NUL, then mixed; NULL = "")
 *   seed64    = mix(mix(mix(master) ^ key) ^ purpose)
 *   philox key   = (low 32 bits of seed64, high 32 bits of seed64)
 *   philox ctr   = (low 32 bits of b, high 32 bits of b, 0, 0) for block b
 *   output i     = word (i mod 4) of block floor(i / 4), i = 0, 1, ...
 *
 * Period of a stream: 2^64 blocks, 2^66 32-bit outputs (the two high
 * counter words stay 0).  gsl_rng_get returns 32 bits, gsl_rng_uniform
 * the word / 2^32 in [0, 1) (the resolution of GSL's mt19937).
 */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <gsl/gsl_rng.h>
#include <stdbool.h>
#include <stdint.h>

#include "off.h"

/* The generator's name, as recorded in runs.rng. */
#define SIM_RNG_NAME "philox4x32-10"

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

/* Philox4x32-10's state: key, the number of words drawn, the current
 * block (valid while n % 4 != 0). */
typedef struct sim_rng_state {
    uint32_t key[2];
    uint64_t n;
    uint32_t buf[4];
} sim_rng_state;

/* A stream held inline (in a device record): g is an ordinary gsl_rng
 * whose state is s, so every GSL distribution takes &r->g.  Not to be
 * passed to gsl_rng_free; copying it by value needs sim_rng_copy. */
typedef struct sim_rng {
    gsl_rng g;
    sim_rng_state s;
} sim_rng;

/* The GSL type (gsl_rng_set(r, seed) keys it with mix(seed)). */
extern const gsl_rng_type *const sim_rng_philox;

/* Key of an entity from its name (stable hash). */
uint64_t sim_rng_entity_key(const char *name);

/* The 64-bit seed of the stream (master, entity key, purpose). */
uint64_t sim_rng_seed(uint64_t master, uint64_t entity_key, uint32_t purpose);

/* Set r to the start of stream (master, entity key, purpose). */
void sim_rng_init(sim_rng *r, uint64_t master, uint64_t entity_key, uint32_t purpose);

/* Set state s to the start of stream (master, entity key, purpose): for
 * the states a device record holds bare (32 bytes instead of 48), drawn
 * from through sim_rng_view. */
void sim_rng_state_init(sim_rng_state *s, uint64_t master, uint64_t entity_key,
                        uint32_t purpose);

/* A gsl_rng drawing from (and advancing) the state s, for any GSL
 * distribution: `gsl_rng g = sim_rng_view(&d->rng_work);` */
static inline gsl_rng sim_rng_view(sim_rng_state *s)
{
    gsl_rng g = {sim_rng_philox, s};
    return g;
}

/* The next word (as gsl_rng_get draws it; gsl_rng_uniform is the word
 * times 2^-32) of each of n distinct streams, the states at s and every
 * stride bytes after it (the streams of an array of records), each
 * advanced by one word: the same words and states as n calls of
 * gsl_rng_get in any order, but the blocks of the streams that start a
 * new one are computed SIM_RNG_LANES at a time, lane by lane, so that
 * their rounds overlap and vectorise: for a pass over a population's
 * fresh streams, where one block alone is a chain of ten dependent
 * multiplies. */
#define SIM_RNG_LANES 8
void sim_rng_words(sim_rng_state *s, size_t stride, size_t n, uint32_t w[]);

/* sim_rng_words computes its blocks with AVX2 where the CPU has it, else
 * in portable C (the same words): true forces the portable form, false
 * goes back to the choice by CPU (for tests and benchmarks). */
void sim_rng_force_portable(bool portable);

/* dst = src, dst->g pointing at dst's own state. */
void sim_rng_copy(sim_rng *dst, const sim_rng *src);

/* A new heap generator for (master, entity key, purpose); NULL on out of
 * memory.  Free with gsl_rng_free. */
gsl_rng *sim_rng_stream(uint64_t master, uint64_t entity_key, uint32_t purpose);

/* Philox4x32-10 of counter ctr under key (the reference function, for
 * known-answer tests). */
void sim_rng_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

#endif /* SIM_RNG_H */
