/*
 * cmd_models_cache.c - `offsim models cache [MODEL...]`: build the complete
 * inference cache of trained zoo models (every test image at every split
 * and bit-width), on every core, beside their weights, so that the first
 * run or sweep that needs a record finds it instead of computing it.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_models_int.h"
#include "mdl_trained.h"

static const cli_opt cache_opts[] = {
    {"threads", 0, CLI_UINT, "N", "threads that fill (default: one per online core)", false,
     1, MDL_TRAINED_FILL_MAX_THREADS},
};

static int cache(const cli_args *a);

const cli_cmd models_cache_spec = {
    .name = "models cache", .args = "[MODEL...]", .min_pos = 0, .max_pos = 16,
    .summary = "build the complete inference cache of trained models",
    .about = "Fills the inference cache of each trained zoo MODEL (default: all of them)\n"
    "with every record of every test image, split and bit-width, and saves it\n"
    "beside the weights (WEIGHTS.<hash>.offc); records already on file are kept.\n"
    "The images are spread over the threads; the file is the same whatever their\n"
    "number.  `make caches` runs this for the zoo.\n",
    CLI_OPTS(cache_opts), .run = cache};

/* Fill and save the cache of zoo model sp on `threads` threads. */
static int cache_one(const mdl_gspec *sp, size_t threads)
{
    off_err err = {0};
    const char *warn = NULL;
    mdl_trained *t;
    double t0 = off_wall_seconds();
    off_status st = mdl_trained_open_filled(&t, sp->name, NULL, models_zoo_dir(), true, threads,
                                            &warn, &err);
    if (st)
        return cli_fail(st, &err);
    if (warn)
        fprintf(stderr, "offsim: warning: %s\n", warn);
    mdl_cache_stats s;
    mdl_trained_stats(t, &s);
    bool complete = mdl_trained_complete(t);
    if ((st = mdl_trained_close(t, &err)))
        return cli_fail(st, &err);
    printf("%s: %llu records (%llu were on file, %llu computed), %s, %.1f s\n", sp->name,
           (unsigned long long)s.n_valid, (unsigned long long)s.n_loaded,
           (unsigned long long)(s.n_valid - s.n_loaded), complete ? "complete" : "INCOMPLETE",
           off_wall_seconds() - t0);
    return complete ? 0 : 1;
}

static int cache(const cli_args *a)
{
    size_t n_zoo;
    const mdl_gspec *const *zoo = mdl_zoo_graphs(&n_zoo);
    for (size_t i = 0; i < a->n_pos; i++)
        if (!mdl_zoo_graph(a->pos[i])) {
            const char *names[16];
            for (size_t k = 0; k < n_zoo && k < 16; k++)
                names[k] = zoo[k]->name;
            cli_unknown(a->cmd->name, "trained model", a->pos[i], names,
                        n_zoo < 16 ? n_zoo : 16);
            cli_synopsis(a->cmd, stderr);
            return 2;
        }
    size_t threads = cli_uint(a, "threads", 0);
    size_t n = a->n_pos ? a->n_pos : n_zoo;
    for (size_t i = 0; i < n; i++) {
        int rc = cache_one(a->n_pos ? mdl_zoo_graph(a->pos[i]) : zoo[i], threads);
        if (rc)
            return rc;
    }
    return 0;
}
