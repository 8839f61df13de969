/*
 * cmd_models_profile.c - `offsim models profile MODEL`: time MODEL's int8
 * kernels layer by layer on this host and write a hardware profile of kind
 * `measured` (docs/models.md, "Measured profiles"), checked to load before
 * it is written.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg.h"
#include "cmd_models_int.h"
#include "mdl_k_dispatch.h"
#include "mdl_profile.h"
#include "mdl_qgraph.h"
#include "mdl_trained.h"

#define PROFILE_IMAGES 5   /* test images timed, spread over the test set */
#define PROFILE_REPS 21    /* default runs per image and layer (odd: a true median) */

static const cli_opt profile_opts[] = {
    {"reps", 0, CLI_UINT, "N", "runs per layer and image; the median is kept (default 21)",
     false, 1, MODELS_COUNT_MAX},
    {"out", 0, CLI_PATH, "FILE", "the profile to write (default: stdout)", false, 0, 0},
};

static int profile(const cli_args *a);

const cli_cmd models_profile_spec = {
    .name = "models profile", .args = "MODEL", .min_pos = 1, .max_pos = 1,
    .summary = "a measured per-layer profile of this host",
    .about = "Times MODEL's int8 kernels layer by layer on this host (the median of N runs\n"
    "on each of 5 test images, then over the images) and writes a hardware\n"
    "profile of kind `measured` (docs/models.md, \"Measured profiles\") to FILE,\n"
    "default stdout; the per-layer table goes to stdout with --out, else stderr.\n",
    CLI_OPTS(profile_opts), .run = profile};

/* What one profiling needs, from the command line to the written file. */
typedef struct profile_job {
    const mdl_gspec *sp;
    const char *out;          /* --out, or NULL: stdout                  */
    size_t reps;
    char *wpath, *cmdline;    /* malloc'd                                */
    char pname[64], cpu[160]; /* the profile's name, the host's CPU      */
    mdl_graph g;
    double sec[MDL_GRAPH_MAX_NODES];
    char *text;               /* the profile's YAML (malloc'd)           */
    size_t len;
} profile_job;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The CPU's "model name" from /proc/cpuinfo, else "unknown CPU". */
static void host_cpu(char *buf, size_t cap)
{
    snprintf(buf, cap, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0)
            continue;
        const char *v = strchr(line, ':');
        if (!v)
            continue;
        for (v++; *v == ' ' || *v == '\t'; v++)
            ;
        size_t n = strcspn(v, "\r\n");
        if (n)
            snprintf(buf, cap, "%.*s", (int)n, v);
        break;
    }
    fclose(f);
}

static const char *op_name(mdl_op op)
{
    switch (op) {
    case MDL_OP_CONV:
        return "conv";
    case MDL_OP_FC:
        return "fc";
    case MDL_OP_MAXPOOL:
        return "maxpool";
    case MDL_OP_AVGPOOL:
        return "avgpool";
    }
    return "?";
}

/* The file name of path without directories and ".yaml"/".yml". */
static void stem(const char *path, char *buf, size_t cap)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 5 && strcmp(b + n - 5, ".yaml") == 0)
        n -= 5;
    else if (n > 4 && strcmp(b + n - 4, ".yml") == 0)
        n -= 4;
    snprintf(buf, cap, "%.*s", (int)n, b);
}

/* The comment that opens a measured profile: how, where and by what. */
static void write_profile_comment(FILE *f, const profile_job *j, const char *isa)
{
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S UTC", &tm);
    else
        snprintf(date, sizeof date, "unknown");
    fprintf(f,
            "# Measured hardware profile: offsim's int8 kernels for model '%s' timed\n"
            "# layer by layer on this host, one thread, batch 1: the median of %zu runs\n"
            "# on each of %d Fashion-MNIST test images, then the median over the images.\n"
            "# Exits: the sum of the exit branch's layers (the final exit has none).\n"
            "# host CPU: %s\n"
            "# kernels:  %s\n"
            "# weights:  %s (crc %08x)\n"
            "# date:     %s\n"
            "# command:  %s\n"
            "# Format: docs/models.md, \"Measured profiles\".  Regenerate rather than edit.\n",
            j->sp->name, j->reps, PROFILE_IMAGES, j->cpu, isa, j->wpath, j->g.crc, date,
            j->cmdline);
}

/* The measured profile of j's timed nodes as YAML. */
static void write_profile(FILE *f, const profile_job *j)
{
    const mdl_gspec *sp = j->sp;
    const mdl_graph *g = &j->g;
    const double *sec = j->sec;
    const char *isa = mdl_isa_str(mdl_kernels_isa());
    write_profile_comment(f, j, isa);
    char framework[128];
    snprintf(framework, sizeof framework, "offsim int8 kernels (%s), 1 thread, batch 1", isa);
    const char *const pairs[][2] = {{"name", j->pname},  {"kind", "measured"},
                                    {"device", j->cpu},  {"framework", framework},
                                    {"model", sp->name}};
    cfg_emit e;
    cfg_emit_init(&e, f);
    for (size_t i = 0; i < OFF_COUNT(pairs); i++)
        cfg_emit_str(&e, pairs[i][0], pairs[i][1]);
    cfg_emit_fmt(&e, "bits", "8"); /* a number, not the string "8" */
    cfg_emit_begin(&e, "layers");
    for (size_t i = 0; i < sp->n_layers; i++)
        cfg_emit_fmt(&e, sp->layers[i].name, "%.3f us", sec[i] * 1e6);
    cfg_emit_end(&e);
    cfg_emit_begin(&e, "exits");
    for (size_t x = 0; x < sp->n_exits; x++) {
        double t = 0;
        for (int i = g->exit_first[x]; i >= 0 && i <= g->exit_out[x]; i++)
            t += sec[i];
        if (g->exit_first[x] >= 0)
            cfg_emit_fmt(&e, sp->exits[x].name, "%.3f us", t * 1e6);
        else
            cfg_emit_fmt(&e, sp->exits[x].name, "0");
    }
    cfg_emit_end(&e);
}

/* The per-layer table: op, MACs, time, rate, share of the whole model. */
static void print_profile_table(FILE *f, const mdl_graph *g, const double *sec,
                                const char *cpu, size_t reps)
{
    const mdl_gspec *sp = g->spec;
    double total = 0;
    for (size_t i = 0; i < sp->n_layers; i++)
        total += sec[i];
    fprintf(f, "%s on %s, %s kernels, median of %zu runs x %d images:\n", sp->name, cpu,
            mdl_isa_str(mdl_kernels_isa()), reps, PROFILE_IMAGES);
    fprintf(f, "%-10s %-8s %-8s %10s %12s %10s %7s\n", "layer", "op", "exit", "MMAC",
            "time", "GMAC/s", "share");
    /* share: of the backbone (the final exit's inference) */
    for (size_t i = 0; i < g->n_nodes; i++) {
        const char *owner = "-";
        for (size_t e = 0; e < sp->n_exits; e++)
            if (g->exit_first[e] >= 0 && (int)i >= g->exit_first[e] && (int)i <= g->exit_out[e])
                owner = sp->exits[e].name;
        const mdl_gnode *n = &g->node[i];
        fprintf(f, "%-10s %-8s %-8s %10.4f %9.3f us %10.2f", n->spec->name,
                op_name(n->spec->op), owner, n->macs / 1e6, sec[i] * 1e6,
                sec[i] > 0 ? n->macs / sec[i] / 1e9 : 0.0);
        if (i < sp->n_layers && total > 0)
            fprintf(f, " %6.1f%%", 100 * sec[i] / total);
        fprintf(f, "\n");
    }
    fprintf(f, "backbone (final exit): %.3f us", total * 1e6);
    for (size_t e = 0; e + 1 < sp->n_exits; e++) {
        double t = 0;
        for (size_t i = 0; i < sp->exits[e].after; i++)
            t += sec[i];
        for (int i = g->exit_first[e]; i >= 0 && i <= g->exit_out[e]; i++)
            t += sec[i];
        fprintf(f, "; exit %s on the device: %.3f us", sp->exits[e].name, t * 1e6);
    }
    fprintf(f, "\n");
}

/* Time g's nodes on the test images: sec[i] = median over PROFILE_IMAGES
 * images of the median of reps runs of node i. */
static off_status time_graph(const mdl_graph *g, const mdl_dataset *tr, const mdl_dataset *te,
                             size_t reps, double *sec, off_err *err)
{
    mdl_qgraph *q = NULL;
    mdl_qctx *c = NULL;
    off_status st = mdl_qgraph_new(&q, g, tr, MDL_TRAINED_CALIBRATION, err);
    if (!st && !(c = mdl_qctx_new(q)))
        st = off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    static double per[PROFILE_IMAGES][MDL_GRAPH_MAX_NODES];
    size_t isz = te->rows * te->cols;
    for (size_t k = 0; !st && k < PROFILE_IMAGES; k++) {
        size_t img = k * (te->n / PROFILE_IMAGES);
        st = mdl_qgraph_time_nodes(q, c, te->images + img * isz, reps, per[k], err);
    }
    for (size_t i = 0; !st && i < g->n_nodes; i++) {
        double v[PROFILE_IMAGES];
        for (size_t k = 0; k < PROFILE_IMAGES; k++)
            v[k] = per[k][i];
        qsort(v, PROFILE_IMAGES, sizeof *v, cmp_double);
        sec[i] = v[PROFILE_IMAGES / 2];
    }
    mdl_qctx_free(c);
    mdl_qgraph_free(q);
    return st;
}


/* The command that made the profile, recorded in it (malloc'd). */
static char *command_line(const cli_args *a)
{
    const char *fmt = "offsim models profile %s%s%s%s";
    char reps[40] = "";
    if (cli_count(a, "reps"))
        snprintf(reps, sizeof reps, " --reps %llu", (unsigned long long)cli_uint(a, "reps", 0));
    const char *out = cli_str(a, "out", NULL);
    const char *o1 = out ? " --out " : "", *o2 = out ? out : "";
    int len = snprintf(NULL, 0, fmt, a->pos[0], reps, o1, o2);
    char *s = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (s)
        snprintf(s, (size_t)len + 1, fmt, a->pos[0], reps, o1, o2);
    return s;
}


/* Open the graph and time it: 0, or the exit status. */
static int measure(profile_job *j, off_err *err)
{
    int rc = models_open_graph(j->sp, j->wpath, &j->g, err);
    if (rc)
        return rc;
    mdl_dataset tr, te;
    if ((rc = models_load_fashion(&tr, &te, err)))
        return rc;
    off_status st = time_graph(&j->g, &tr, &te, j->reps, j->sec, err);
    mdl_dataset_free(&tr);
    mdl_dataset_free(&te);
    return st ? cli_fail(st, err) : 0;
}

/* Write the profile to memory, read it back and check it against the
 * model's cost view, so that what lands in FILE is known to load. */
static off_status render_checked(profile_job *j, mdl_profile *prof, off_err *err)
{
    off_status st = OFF_OK;
    FILE *mem = open_memstream(&j->text, &j->len);
    if (!mem)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    write_profile(mem, j);
    if (fclose(mem))
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    mdl_model m = {0};
    st = mdl_profile_parse(prof, j->text, j->len, j->out ? j->out : "<stdout>", err);
    if (!st)
        st = mdl_graph_cost_model(&j->g, NULL, &m, err);
    if (!st)
        st = mdl_profile_check_model(prof, &m, err);
    mdl_model_free(&m);
    return st;
}

static off_status write_text(const profile_job *j, off_err *err)
{
    FILE *f = j->out ? fopen(j->out, "w") : stdout;
    if (!f)
        return off_errf(err, OFF_EIO, j->out, 0, 0, "cannot write");
    fwrite(j->text, 1, j->len, f);
    int bad = ferror(f);
    bad |= j->out ? fclose(f) : fflush(f);
    if (bad)
        return off_errf(err, OFF_EIO, j->out ? j->out : "<stdout>", 0, 0, "write error");
    return OFF_OK;
}

/* Measure, check and write: the exit status. */
static int profile_run(profile_job *j)
{
    off_err err = {0};
    int rc = measure(j, &err);
    if (rc)
        return rc;
    mdl_profile *prof = malloc(sizeof *prof);
    off_status st = prof ? render_checked(j, prof, &err)
                         : off_errf(&err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    if (st) /* a bug of ours, not the user's input */
        rc = cli_fail(st == OFF_ENOMEM ? st : OFF_ERUNTIME, &err);
    else if ((st = write_text(j, &err)))
        rc = cli_fail(st, &err);
    else {
        print_profile_table(j->out ? stdout : stderr, &j->g, j->sec, j->cpu, j->reps);
        if (j->out)
            printf("profile '%s' (kind: measured) -> %s\n", prof->name, j->out);
    }
    free(prof);
    return rc;
}

static int profile(const cli_args *a)
{
    profile_job j = {0};
    int rc = models_zoo_graph(a, NULL, &j.sp, &j.wpath);
    if (rc)
        return rc;
    j.out = cli_str(a, "out", NULL);
    j.reps = cli_uint(a, "reps", PROFILE_REPS);
    if (j.out)
        stem(j.out, j.pname, sizeof j.pname);
    if (!j.out || !j.pname[0])
        snprintf(j.pname, sizeof j.pname, "host-%s", j.sp->name);
    host_cpu(j.cpu, sizeof j.cpu);
    off_err err = {0};
    if (!(j.cmdline = command_line(a)))
        rc = cli_fail(off_errf(&err, OFF_ENOMEM, NULL, 0, 0, "out of memory"), &err);
    else
        rc = profile_run(&j);
    mdl_graph_free(&j.g);
    free(j.text);
    free(j.wpath);
    free(j.cmdline);
    return rc;
}
