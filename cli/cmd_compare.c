/*
 * cmd_compare.c - `offsim compare`: trained checkpoints against every fixed
 * policy that applies, the best constant action and the oracle's bound, on
 * held-out evaluation seeds, as one experiment of the sweep machinery
 * (experiments/exp_compare.h), then the table with paired intervals.
 * Reference: docs/rl.md, "Comparing agents".
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "exp.h"
#include "exp_compare.h"

static const cli_opt compare_opts[] = {
    {"checkpoint", 'c', CLI_PATH, "CKPT",
     "a trained agent (`offsim train`), acting greedily; repeat for\n"
     "several (OUT.seedN.ckpt of one agent are also pooled)", true, 0, 0},
    {"seeds", 0, CLI_UINT, "N", "held-out evaluation seeds 1..N (default 20)", false, 2, 100000},
    {"jobs", 'j', CLI_UINT, "J", "worker processes (default: the number of cores)", false, 1,
     1024},
    {"db", 0, CLI_PATH, "PATH", "database to write (default: results/<scenario>-compare.db);\n"
     "points already ok there are skipped (resume)", false, 0, 0},
    CLI_OPT_SET,
    {"constants", 0, CLI_FLAG, NULL, "list every constant action's row, not only the best",
     false, 0, 0},
    {"quiet", 'q', CLI_FLAG, NULL, "no progress lines, only the table", false, 0, 0},
};

static int compare(const cli_args *a);

const cli_cmd cmd_compare_spec = {
    .name = "compare", .args = "SCENARIO.yaml", .min_pos = 1, .max_pos = 1,
    .summary = "trained agents against every fixed policy and constant action, paired",
    .about = "Runs, on the held-out evaluation seeds 1..N (disjoint from training episodes,\n"
    "seeds >= 2,000,000, and from training's validation seeds, 500,000 + i), each\n"
    "--checkpoint (greedy), every fixed policy of the registry that builds on the\n"
    "scenario, the oracle (objective: reward) and every valid constant (exit,\n"
    "split, bits) action, as one experiment (`offsim sweep`'s workers, one\n"
    "database, resumable).  Prints per policy the mean reward per task with its\n"
    "95 % interval and the normalised score (R - R_random) / (R_bound - R_random)\n"
    "against the oracle's reward bound (as the oracle's runs recorded it in the\n"
    "database); the best constant action is the one of highest mean reward,\n"
    "selected after the runs.  Then each checkpoint minus\n"
    "the best fixed policy and minus the best constant action, paired on the\n"
    "seeds, with a verdict; checkpoints OUT.seedN.ckpt of one agent are also\n"
    "pooled over their training seeds.  Exit status 1 when points failed.\n"
    "Reference: docs/rl.md.\n",
    CLI_OPTS(compare_opts), .run = compare};

static const char *verdict(double m, double h)
{
    if (isnan(h))
        return "n/a";
    return m - h > 0 ? "better" : m + h < 0 ? "worse" : "not shown";
}

/* "+0.0123 [+0.0100, +0.0146] better" into buf. */
static const char *diff_str(double m, double h, char *buf, size_t cap)
{
    if (isnan(m))
        snprintf(buf, cap, "n/a");
    else if (isnan(h))
        snprintf(buf, cap, "%+.4f [n/a] n/a", m);
    else
        snprintf(buf, cap, "%+.4f [%+.4f, %+.4f] %s", m, m - h, m + h, verdict(m, h));
    return buf;
}

typedef struct table {
    const exp_compare *c;
    double *mean;
    size_t best_fixed, best_const, random; /* SIZE_MAX: none */
    double bound;
} table;

static void print_row(const table *t, size_t r, const char *label)
{
    double m, h;
    exp_mean_half(t->c->row[r].r, t->c->n_seeds, &m, &h);
    char ci[64], norm[32] = "n/a";
    if (isnan(h))
        snprintf(ci, sizeof ci, "%.4f [n/a]", m);
    else
        snprintf(ci, sizeof ci, "%.4f [%.4f, %.4f]", m, m - h, m + h);
    if (t->random != SIZE_MAX && !isnan(t->bound)) {
        double rr = t->mean[t->random];
        snprintf(norm, sizeof norm, "%.3f", (m - rr) / (t->bound - rr));
    }
    printf("  %-50s %-28s %s\n", label ? label : t->c->row[r].label, ci, norm);
}

static size_t best_of(const table *t, exp_cmp_kind kind)
{
    size_t best = SIZE_MAX;
    for (size_t r = 0; r < t->c->n_rows; r++)
        if (t->c->row[r].kind == kind && !isnan(t->mean[r]) &&
            (best == SIZE_MAX || t->mean[r] > t->mean[best]))
            best = r;
    return best;
}

/* Agent row r minus reference row b on each seed into d; NaN where either
 * has none. */
static void diffs(const exp_compare *c, size_t r, size_t b, double *d)
{
    for (size_t j = 0; j < c->n_seeds; j++)
        d[j] = c->row[r].r[j] - c->row[b].r[j];
}

static void print_pooled(const table *t, const size_t *rows, size_t K, double *d)
{
    const exp_compare *c = t->c;
    size_t J = c->n_seeds;
    char b1[96], b2[96];
    size_t ref[2] = {t->best_fixed, t->best_const};
    char *out[2] = {b1, b2};
    bool nan = false;
    for (size_t k = 0; k < K; k++)
        for (size_t j = 0; j < J; j++)
            nan = nan || isnan(c->row[rows[k]].r[j]);
    for (int x = 0; x < 2; x++) {
        if (ref[x] == SIZE_MAX || nan) {
            snprintf(out[x], 96, "n/a");
            continue;
        }
        for (size_t k = 0; k < K; k++)
            diffs(c, rows[k], ref[x], d + k * J);
        double m, h;
        exp_pooled_diff(d, K, J, &m, &h, NULL);
        diff_str(m, h, out[x], 96);
    }
    char label[160];
    snprintf(label, sizeof label, "pooled %s (%zu training seeds)", c->row[rows[0]].agent, K);
    printf("  %-50s %-36s %s\n", label, b1, b2);
}

/* The checkpoints of agent row r's agent (its training seeds) into rows,
 * when r is the first of them; their count (0 when r is not the first or
 * not an agent). */
static size_t group_rows(const exp_compare *c, size_t r, size_t *rows)
{
    if (c->row[r].kind != EXP_CMP_AGENT)
        return 0;
    size_t K = 0;
    for (size_t q = 0; q < c->n_rows; q++)
        if (c->row[q].kind == EXP_CMP_AGENT && strcmp(c->row[q].agent, c->row[r].agent) == 0) {
            if (q < r)
                return 0;
            rows[K++] = q;
        }
    return K;
}

/* The pooled mean reward of the K checkpoints rows[] over the training
 * and evaluation seeds, with the interval of exp_pooled_diff. */
static void print_pooled_mean(const table *t, const size_t *rows, size_t K, double *x)
{
    const exp_compare *c = t->c;
    size_t J = c->n_seeds;
    bool nan = false;
    for (size_t k = 0; k < K; k++)
        for (size_t j = 0; j < J; j++)
            nan = nan || isnan(x[k * J + j] = c->row[rows[k]].r[j]);
    char label[160], ci[64] = "n/a", norm[32] = "n/a";
    double m = NAN, h;
    if (!nan) {
        exp_pooled_diff(x, K, J, &m, &h, NULL);
        snprintf(ci, sizeof ci, "%.4f [%.4f, %.4f]", m, m - h, m + h);
    }
    if (!nan && t->random != SIZE_MAX && !isnan(t->bound))
        snprintf(norm, sizeof norm, "%.3f",
                 (m - t->mean[t->random]) / (t->bound - t->mean[t->random]));
    snprintf(label, sizeof label, "pooled %s (%zu training seeds)", c->row[rows[0]].agent, K);
    printf("  %-50s %-28s %s\n", label, ci, norm);
}

static void print_table(const exp_compare *c, bool all_constants)
{
    table t = {.c = c, .mean = malloc(c->n_rows * sizeof(double)), .bound = NAN};
    double *d = malloc(c->n_rows * c->n_seeds * sizeof *d);
    size_t *rows = malloc(c->n_rows * sizeof *rows);
    if (!t.mean || !d || !rows) {
        fprintf(stderr, "offsim compare: out of memory\n");
        free(t.mean), free(d), free(rows);
        return;
    }
    size_t n_const = 0;
    t.random = SIZE_MAX;
    for (size_t r = 0; r < c->n_rows; r++) {
        double h;
        exp_mean_half(c->row[r].r, c->n_seeds, &t.mean[r], &h);
        n_const += c->row[r].kind == EXP_CMP_CONST;
        if (c->row[r].kind == EXP_CMP_FIXED && strcmp(c->row[r].point, "random") == 0)
            t.random = r;
    }
    if (c->bound) {
        double h;
        exp_mean_half(c->bound, c->n_seeds, &t.bound, &h);
    }
    t.best_fixed = best_of(&t, EXP_CMP_FIXED);
    t.best_const = best_of(&t, EXP_CMP_CONST);
    printf("\n%s: mean reward per task over the held-out evaluation seeds 1..%zu\n"
           "  [95 %% Student-t interval over the seeds]; normalised = (R - R_random) / "
           "(R_bound - R_random)\n\n", c->name, c->n_seeds);
    printf("  %-50s %-28s %s\n", "policy", "mean reward [95 % CI]", "normalised");
    for (size_t r = 0; r < c->n_rows; r++) {
        if (c->row[r].kind != EXP_CMP_CONST || all_constants)
            print_row(&t, r, NULL);
        bool last_agent = c->row[r].kind == EXP_CMP_AGENT &&
                          (r + 1 == c->n_rows || c->row[r + 1].kind != EXP_CMP_AGENT);
        for (size_t q = 0; last_agent && q <= r; q++) {
            size_t K = group_rows(c, q, rows);
            if (K >= 2)
                print_pooled_mean(&t, rows, K, d);
        }
    }
    if (t.best_const != SIZE_MAX) {
        char label[160];
        snprintf(label, sizeof label, "best constant: %s", c->row[t.best_const].label);
        print_row(&t, t.best_const, label);
    }
    if (!isnan(t.bound))
        printf("  %-50s %.4f\n", "reward bound (oracle, per task)", t.bound);
    for (size_t k = 0; k < c->n_skipped; k++)
        printf("  not applicable: %s\n", c->skipped[k]);
    printf("\n  best fixed policy: %s; best constant action (highest mean of %zu): %s\n",
           t.best_fixed != SIZE_MAX ? c->row[t.best_fixed].label : "none", n_const,
           t.best_const != SIZE_MAX ? c->row[t.best_const].label : "none");
    printf("\npaired difference checkpoint - reference, mean [95 %% CI over the %zu seeds] "
           "and verdict:\n\n", c->n_seeds);
    printf("  %-50s %-36s %s\n", "checkpoint", "- best fixed policy", "- best constant action");
    for (size_t r = 0; r < c->n_rows; r++) {
        if (c->row[r].kind != EXP_CMP_AGENT)
            continue;
        char b1[96] = "n/a", b2[96] = "n/a";
        double m, h;
        size_t ref[2] = {t.best_fixed, t.best_const};
        char *out[2] = {b1, b2};
        for (int x = 0; x < 2; x++)
            if (ref[x] != SIZE_MAX) {
                diffs(c, r, ref[x], d);
                exp_mean_half(d, c->n_seeds, &m, &h);
                diff_str(m, h, out[x], 96);
            }
        printf("  %-50s %-36s %s\n", c->row[r].label, b1, b2);
    }
    for (size_t r = 0; r < c->n_rows; r++) {
        size_t K = group_rows(c, r, rows);
        if (K >= 2)
            print_pooled(&t, rows, K, d);
    }
    free(t.mean), free(d), free(rows);
}

static int compare(const cli_args *a)
{
    size_t n_ckpt;
    char **ckpt = cli_all(a, "checkpoint", &n_ckpt);
    if (n_ckpt == 0)
        return cli_usage(a->cmd, "give at least one --checkpoint CKPT");
    /* cli_sets_parse splits the --set values in place: the experiment gets
     * them whole */
    size_t n_set;
    char **raw = cli_all(a, "set", &n_set), **whole = calloc(n_set + 1, sizeof *whole);
    for (size_t i = 0; whole && i < n_set; i++)
        if (!(whole[i] = strdup(raw[i]))) {
            for (size_t k = 0; k < i; k++)
                free(whole[k]);
            free(whole);
            whole = NULL;
        }
    if (!whole) {
        fprintf(stderr, "offsim compare: out of memory\n");
        return 1;
    }
    cli_sets sets;
    int rc = cli_sets_parse(a, NULL, &sets);
    if (rc) {
        for (size_t i = 0; i < n_set; i++)
            free(whole[i]);
        free(whole);
        return rc;
    }
    exp_compare_opts o = {.scenario = a->pos[0], .set = sets.v, .n_set = sets.n,
                          .ckpt = (const char *const *)ckpt, .n_ckpt = n_ckpt,
                          .seeds = (unsigned)cli_uint(a, "seeds", 20)};
    exp_compare c;
    exp_experiment e = {0};
    off_err err = {0};
    off_status st = exp_compare_plan(&c, &o, &err);
    cli_sets_free(&sets);
    if (st) {
        rc = cli_fail_input(st, &err);
        goto out;
    }
    exp_cli cli = {.set = whole, .n_set = n_set};
    if ((st = exp_load_text(&e, "offsim compare", c.text, strlen(c.text), &cli, &err)) ||
        (st = exp_validate(&e, &err))) {
        rc = cli_fail_input(st, &err);
        goto out;
    }
    char defdb[1024];
    snprintf(defdb, sizeof defdb, "results/%s.db", c.name);
    const char *db = cli_str(a, "db", defdb);
    bool quiet = cli_count(a, "quiet") > 0;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    exp_run_opts ro = {.db = db, .jobs = (unsigned)cli_uint(a, "jobs", cores > 0 ? (uint64_t)cores : 1),
                       .n_shards = 1, .quiet = quiet,
                       .bar = !quiet && isatty(STDERR_FILENO) && isatty(STDOUT_FILENO),
                       .out = stdout};
    if (!quiet)
        printf("compare %s: %zu points (%zu policies x %zu seeds) -> %s\n", c.name, e.n_points,
               c.n_rows, c.n_seeds, db);
    exp_run_stats rs;
    off_interrupt_install();
    st = exp_run(&e, &ro, &rs, &err);
    if (rs.interrupted) {
        fprintf(stderr, "offsim: %s\n", err.msg);
        rc = 130;
        goto out;
    }
    if (st || (st = exp_compare_collect(&c, &e, db, &err))) {
        rc = cli_fail(st, &err);
        goto out;
    }
    if (rs.failed) {
        fprintf(stderr, "offsim: %zu point%s failed (recorded 'failed' with the error; "
                "the next compare runs them again)\n", rs.failed, rs.failed == 1 ? "" : "s");
        rc = 1;
    }
    size_t missing = exp_compare_bound_missing(&c);
    if (!quiet && missing)
        printf("the oracle's reward bound: running the oracle again on the %zu seed%s whose "
               "run did not record it\n", missing, missing == 1 ? "" : "s");
    else if (!quiet)
        printf("the oracle's reward bound: as the oracle's runs recorded it\n");
    if ((st = exp_compare_bound(&c, &e, NULL, &err))) {
        fprintf(stderr, "offsim: the reward bound: %s\n", err.msg);
        if (off_interrupted()) {
            rc = 130;
            goto out;
        }
        rc = 1;
    }
    print_table(&c, cli_count(a, "constants") > 0);
out:
    for (size_t i = 0; i < n_set; i++)
        free(whole[i]);
    free(whole);
    exp_free(&e);
    exp_compare_free(&c);
    return rc;
}
