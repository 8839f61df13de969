/*
 * sim_rng.c - seeded random streams: Philox4x32-10 as a gsl_rng_type.
 * See sim_rng.h for the derivation; it is part of every result: changing
 * anything here changes every run's numbers and must change SIM_RNG_NAME.
 */
#include "sim_rng.h"

#include "sim.h"

#include <stdbool.h>
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

/* Random123's constants: the round multipliers and the Weyl key bumps
 * (the golden ratio and sqrt(3) - 1 in 32-bit fixed point). */
#define PHILOX_M0 UINT32_C(0xD2511F53)
#define PHILOX_M1 UINT32_C(0xCD9E8D57)
#define PHILOX_W0 UINT32_C(0x9E3779B9)
#define PHILOX_W1 UINT32_C(0xBB67AE85)

void sim_rng_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0, p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
        uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

static void set_key(sim_rng_state *s, uint64_t seed64)
{
    memset(s, 0, sizeof *s);
    s->key[0] = (uint32_t)seed64;
    s->key[1] = (uint32_t)(seed64 >> 32);
}

static inline uint32_t next_word(sim_rng_state *s)
{
    unsigned lane = (unsigned)(s->n & 3);
    if (lane == 0) {
        uint64_t b = s->n >> 2;
        uint32_t ctr[4] = {(uint32_t)b, (uint32_t)(b >> 32), 0, 0};
        sim_rng_philox4x32_10(ctr, s->key, s->buf);
    }
    s->n++;
    return s->buf[lane];
}

/* Philox4x32-10 of counters (c0, c1, 0, 0) under keys (k0, k1), lane by
 * lane: word w of block j in out[w][j].  The portable form: one block at
 * a time (the compiler overlaps the independent lanes' rounds as it can). */
static void philox_lanes_c(const uint32_t c0[SIM_RNG_LANES], const uint32_t c1[SIM_RNG_LANES],
                           const uint32_t k0[SIM_RNG_LANES], const uint32_t k1[SIM_RNG_LANES],
                           uint32_t out[4][SIM_RNG_LANES])
{
    for (int j = 0; j < SIM_RNG_LANES; j++) {
        uint32_t ctr[4] = {c0[j], c1[j], 0, 0}, key[2] = {k0[j], k1[j]}, o[4];
        sim_rng_philox4x32_10(ctr, key, o);
        for (int w = 0; w < 4; w++)
            out[w][j] = o[w];
    }
}

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#include <immintrin.h>
#define SIM_RNG_AVX2 1

/* The high and low halves of the 32 x 32 -> 64-bit products of the eight
 * lanes of x by m: vpmuludq multiplies the even lanes, and the odd ones
 * shifted down, and the halves are put back in lane order by blends. */
__attribute__((target("avx2"))) static inline void mul_hilo(__m256i x, __m256i m, __m256i *hi,
                                                            __m256i *lo)
{
    __m256i pe = _mm256_mul_epu32(x, m);
    __m256i po = _mm256_mul_epu32(_mm256_srli_epi64(x, 32), m);
    *hi = _mm256_blend_epi32(_mm256_srli_epi64(pe, 32), po, 0xAA);
    *lo = _mm256_blend_epi32(pe, _mm256_slli_epi64(po, 32), 0xAA);
}

/* philox_lanes_c with AVX2: eight lanes a register, about 20 instructions
 * a round for all eight (the compiler's vectorisation of a lane loop took
 * some 60); the same words. */
__attribute__((target("avx2"))) static void
philox_lanes_avx2(const uint32_t c0in[SIM_RNG_LANES], const uint32_t c1in[SIM_RNG_LANES],
                  const uint32_t k0in[SIM_RNG_LANES], const uint32_t k1in[SIM_RNG_LANES],
                  uint32_t out[4][SIM_RNG_LANES])
{
    __m256i c0 = _mm256_loadu_si256((const __m256i *)c0in);
    __m256i c1 = _mm256_loadu_si256((const __m256i *)c1in);
    __m256i c2 = _mm256_setzero_si256(), c3 = _mm256_setzero_si256();
    __m256i k0 = _mm256_loadu_si256((const __m256i *)k0in);
    __m256i k1 = _mm256_loadu_si256((const __m256i *)k1in);
    const __m256i m0 = _mm256_set1_epi32((int)PHILOX_M0), m1 = _mm256_set1_epi32((int)PHILOX_M1);
    const __m256i w0 = _mm256_set1_epi32((int)PHILOX_W0), w1 = _mm256_set1_epi32((int)PHILOX_W1);
    for (int round = 0; round < 10; round++) {
        __m256i hi0, lo0, hi1, lo1;
        mul_hilo(c0, m0, &hi0, &lo0);
        mul_hilo(c2, m1, &hi1, &lo1);
        c0 = _mm256_xor_si256(_mm256_xor_si256(hi1, c1), k0);
        c1 = lo1;
        c2 = _mm256_xor_si256(_mm256_xor_si256(hi0, c3), k1);
        c3 = lo0;
        k0 = _mm256_add_epi32(k0, w0);
        k1 = _mm256_add_epi32(k1, w1);
    }
    _mm256_storeu_si256((__m256i *)out[0], c0);
    _mm256_storeu_si256((__m256i *)out[1], c1);
    _mm256_storeu_si256((__m256i *)out[2], c2);
    _mm256_storeu_si256((__m256i *)out[3], c3);
}
#endif

/* Set by tests and benchmarks only (sim_rng_force_portable). */
static bool force_portable;

void sim_rng_force_portable(bool portable) { force_portable = portable; }

static void philox_lanes(const uint32_t c0[SIM_RNG_LANES], const uint32_t c1[SIM_RNG_LANES],
                         const uint32_t k0[SIM_RNG_LANES], const uint32_t k1[SIM_RNG_LANES],
                         uint32_t out[4][SIM_RNG_LANES])
{
#ifdef SIM_RNG_AVX2
    /* libgcc's constructor has filled the CPU model: this is a load */
    if (!force_portable && __builtin_cpu_supports("avx2")) {
        philox_lanes_avx2(c0, c1, k0, k1, out);
        return;
    }
#endif
    philox_lanes_c(c0, c1, k0, k1, out);
}

/* Up to SIM_RNG_LANES streams of sim_rng_words. */
static void words_lanes(char *base, size_t stride, size_t n, uint32_t w[])
{
    enum { L = SIM_RNG_LANES };
    uint32_t c0[L] = {0}, c1[L] = {0}, k0[L] = {0}, k1[L] = {0}, out[4][L];
    bool fresh = false;
    for (size_t j = 0; j < n; j++) {
        const sim_rng_state *x = (const sim_rng_state *)(base + j * stride);
        if ((x->n & 3) == 0) {
            uint64_t b = x->n >> 2;
            c0[j] = (uint32_t)b;
            c1[j] = (uint32_t)(b >> 32);
            k0[j] = x->key[0];
            k1[j] = x->key[1];
            fresh = true;
        }
    }
    if (fresh)
        philox_lanes(c0, c1, k0, k1, out);
    for (size_t j = 0; j < n; j++) {
        sim_rng_state *x = (sim_rng_state *)(base + j * stride);
        unsigned lane = (unsigned)(x->n & 3);
        if (lane == 0)
            for (int k = 0; k < 4; k++)
                x->buf[k] = out[k][j];
        x->n++;
        w[j] = x->buf[lane];
    }
}

void sim_rng_words(sim_rng_state *s, size_t stride, size_t n, uint32_t w[])
{
    for (size_t i = 0; i < n; i += SIM_RNG_LANES)
        words_lanes((char *)s + i * stride, stride, n - i < SIM_RNG_LANES ? n - i : SIM_RNG_LANES,
                    w + i);
}

static void philox_set(void *vs, unsigned long seed)
{
    set_key(vs, off_mix64((uint64_t)seed));
}

static unsigned long philox_get(void *vs)
{
    return next_word(vs);
}

static double philox_get_double(void *vs)
{
    return next_word(vs) * 0x1p-32;
}

static const gsl_rng_type philox_type = {
    SIM_RNG_NAME, UINT32_C(0xffffffff), 0, sizeof(sim_rng_state),
    philox_set, philox_get, philox_get_double,
};
const gsl_rng_type *const sim_rng_philox = &philox_type;

void sim_rng_init(sim_rng *r, uint64_t master, uint64_t entity_key, uint32_t purpose)
{
    r->g.type = &philox_type;
    r->g.state = &r->s;
    set_key(&r->s, sim_rng_seed(master, entity_key, purpose));
}

void sim_rng_state_init(sim_rng_state *s, uint64_t master, uint64_t entity_key,
                        uint32_t purpose)
{
    set_key(s, sim_rng_seed(master, entity_key, purpose));
}

void sim_rng_copy(sim_rng *dst, const sim_rng *src)
{
    dst->s = src->s;
    dst->g.type = &philox_type;
    dst->g.state = &dst->s;
}

gsl_rng *sim_rng_stream(uint64_t master, uint64_t entity_key, uint32_t purpose)
{
    /* gsl_rng_alloc calls the GSL error handler (abort by default) on out
     * of memory; callers that need NULL instead install their own handler. */
    gsl_rng *r = gsl_rng_alloc(sim_rng_philox);
    if (!r)
        return NULL;
    set_key(r->state, sim_rng_seed(master, entity_key, purpose));
    return r;
}

const char *sim_rng_name(void)
{
    return SIM_RNG_NAME;
}
