/*
 * bench_rng.c - the simulator's random streams (sim_rng.h) as a raw byte
 * stream for external test batteries, and their speed.
 *
 *   bench_rng speed                 ns per gsl_rng_get / gsl_rng_uniform
 *   bench_rng raw one               32-bit words of one stream to stdout
 *   bench_rng raw interleave K      word i of stream (i mod K): the streams
 *                                   of devices ue#0..ue#K-1, round robin,
 *                                   so that a correlation between adjacent
 *                                   streams shows up as a defect
 *   bench_rng raw first             the first word of stream ue#0, ue#1, ...
 *
 * e.g. `bench_rng raw interleave 1000 | dieharder -g 200 -d 0` (Debian's
 * dieharder reads raw 32-bit words from stdin with -g 200); the battery run
 * and its results are in bench/RESULTS.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "off.h"
#include "sim_rng.h"

static void key_of(char *buf, size_t cap, size_t i)
{
    snprintf(buf, cap, "device:ue#%zu", i);
}

static int raw(const char *mode, size_t k)
{
    enum { BUF = 4096 };
    static uint32_t out[BUF];
    char name[48];
    if (strcmp(mode, "first") == 0) {
        for (size_t i = 0;; i++) {
            key_of(name, sizeof name, i);
            sim_rng r;
            sim_rng_init(&r, 1, sim_rng_entity_key(name), SIM_RNG_ARRIVALS);
            out[i % BUF] = (uint32_t)gsl_rng_get(&r.g);
            if (i % BUF == BUF - 1 && fwrite(out, sizeof out, 1, stdout) != 1)
                return 0; /* the reader is done */
        }
    }
    sim_rng *r = calloc(k, sizeof *r);
    if (!r)
        return 1;
    for (size_t i = 0; i < k; i++) {
        key_of(name, sizeof name, i);
        sim_rng_init(&r[i], 1, sim_rng_entity_key(name), SIM_RNG_ARRIVALS);
    }
    for (size_t j = 0;; j = (j + 1) % k) {
        static size_t n;
        out[n++] = (uint32_t)gsl_rng_get(&r[j].g);
        if (n == BUF) {
            n = 0;
            if (fwrite(out, sizeof out, 1, stdout) != 1)
                break;
        }
    }
    free(r);
    return 0;
}

static int speed(void)
{
    enum { N = 50000000 };
    sim_rng r;
    sim_rng_init(&r, 1, sim_rng_entity_key("device:ue#0"), SIM_RNG_ARRIVALS);
    unsigned long acc = 0;
    double t0 = off_wall_seconds();
    for (int i = 0; i < N; i++)
        acc += gsl_rng_get(&r.g);
    double t1 = off_wall_seconds();
    double s = 0;
    for (int i = 0; i < N; i++)
        s += gsl_rng_uniform(&r.g);
    double t2 = off_wall_seconds();
    gsl_rng *mt = gsl_rng_alloc(gsl_rng_mt19937);
    for (int i = 0; i < N; i++)
        acc += gsl_rng_get(mt);
    double t3 = off_wall_seconds();
    gsl_rng_free(mt);
    printf("%s: %.2f ns per gsl_rng_get, %.2f ns per gsl_rng_uniform "
           "(mt19937: %.2f ns per gsl_rng_get)  [%lu %.3f]\n",
           SIM_RNG_NAME, (t1 - t0) * 1e9 / N, (t2 - t1) * 1e9 / N, (t3 - t2) * 1e9 / N,
           acc & 0xff, s / N);
    return 0;
}

int main(int argc, char **argv)
{
    /* no argument: the speed table, as `make bench` runs every bench bare */
    if (argc == 1 || strcmp(argv[1], "speed") == 0)
        return speed();
    if (argc >= 3 && strcmp(argv[1], "raw") == 0) {
        if (strcmp(argv[2], "one") == 0)
            return raw("interleave", 1);
        if (strcmp(argv[2], "first") == 0)
            return raw("first", 0);
        if (strcmp(argv[2], "interleave") == 0 && argc == 4) {
            long k = atol(argv[3]);
            if (k >= 1 && k <= 10000000)
                return raw("interleave", (size_t)k);
        }
    }
    fprintf(stderr, "usage: bench_rng speed | raw one | raw first | raw interleave K\n");
    return 2;
}
