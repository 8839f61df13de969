/*
 * exp_compare.h - `offsim compare`: trained checkpoints against every fixed
 * policy of the registry that applies to the scenario, every constant
 * (exit, split, bits) action and the oracle, on held-out evaluation seeds,
 * as one experiment of the sweep machinery (exp_load_text, exp_validate,
 * exp_run), then the rewards per policy and seed read back from the
 * database, with the oracle's reward bound its runs recorded.  Reference: docs/rl.md,
 * "Comparing agents".
 */
#ifndef EXP_COMPARE_H
#define EXP_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "exp.h"
#include "off.h"
#include "scn.h"

typedef enum exp_cmp_kind {
    EXP_CMP_AGENT,   /* a checkpoint, acting greedily                       */
    EXP_CMP_FIXED,   /* a policy of the registry with its default keys      */
    EXP_CMP_ORACLE,  /* the oracle, objective: reward                       */
    EXP_CMP_CONST    /* a constant (exit, split, bits) action (`fixed`)     */
} exp_cmp_kind;

typedef struct exp_cmp_row {
    exp_cmp_kind kind;
    char *point;     /* the point's name in the experiment                  */
    char *label;     /* what the table shows                                */
    char *agent;     /* AGENT: the agent of its training seeds: the path
                        without `.seedN` (OUT of OUT.seedN.ckpt)            */
    double *r;       /* mean reward per task on each evaluation seed        */
} exp_cmp_row;

typedef struct exp_compare {
    exp_cmp_row *row;
    size_t n_rows;
    size_t n_seeds;  /* evaluation seeds 1..n_seeds                         */
    char *name;      /* the experiment's name: "<scenario>-compare"         */
    char *text;      /* the experiment, YAML, for exp_load_text             */
    char **skipped;  /* "dyno: why", registry policies that do not apply    */
    size_t n_skipped;
    double *bound;   /* per evaluation seed (exp_compare_collect, then
                        exp_compare_bound), NaN where unknown; or NULL      */
} exp_compare;

typedef struct exp_compare_opts {
    const char *scenario;
    const scn_override *set;  /* the command line's --set, parsed         */
    size_t n_set;
    const char *const *ckpt;
    size_t n_ckpt;
    unsigned seeds;           /* evaluation seeds 1..seeds                  */
} exp_compare_opts;

/* Plan the comparison: read each checkpoint (its agent kind and CRC, which
 * name its point so that a rewritten checkpoint is a new experiment), find
 * the registry's fixed policies that build on the scenario (the others go
 * to skipped with their error) and the model's valid constant actions, and
 * write the experiment's text.  Errors: a checkpoint that cannot be read or
 * is not an agent's (OFF_EIO, OFF_EINVAL), a scenario that does not build. */
off_status exp_compare_plan(exp_compare *c, const exp_compare_opts *o, off_err *err);

/* The rewards of every row and seed from the runs of experiment e (loaded
 * from c->text and run) in database db: the newest run of each point in
 * that experiment, NaN where it is not 'ok'; and the oracle's reward bound
 * on each seed as its run recorded it (summary.reward_bound) into
 * c->bound, NaN where the run has none (recorded before schema version 6,
 * or not 'ok'). */
off_status exp_compare_collect(exp_compare *c, const exp_experiment *e, const char *db,
                               off_err *err);

/* The evaluation seeds that have no bound yet (every seed before
 * exp_compare_collect): what exp_compare_bound will run. */
size_t exp_compare_bound_missing(const exp_compare *c);

/* The oracle's reward bound on each evaluation seed that has none in
 * c->bound, by running the oracle's point of e for that seed once more in
 * this process (pol_train's bound_sum / bound_n; the run is the one the
 * database lacks the bound of: same point, same seed).  *reran (may be
 * NULL) gets how many seeds were run: 0 when every run recorded its
 * bound.  On failure c->bound is NULL (no bound rather than part of one). */
off_status exp_compare_bound(exp_compare *c, const exp_experiment *e, size_t *reran,
                             off_err *err);

void exp_compare_free(exp_compare *c); /* idempotent */

/* Mean of x[0..n) and the half-width of its 95 % Student-t interval (NaN
 * when n < 2); NaN values are skipped.  Returns the count used. */
size_t exp_mean_half(const double *x, size_t n, double *mean, double *half);

/* The pooled paired difference of an agent over K training seeds and J
 * evaluation seeds, d[k * J + j] (agent of training seed k minus the
 * reference, on evaluation seed j; K, J >= 2): the grand mean and a 95 %
 * interval whose variance counts both sources, the spread between
 * training seeds (the variance of the row means over K) and between
 * evaluation seeds, which every training seed shares (the variance of the
 * column means over J): V = s_rows^2 / K + s_cols^2 / J, with
 * Welch-Satterthwaite degrees of freedom.  V overcounts the residual by
 * sigma_e^2 / (K J), so the interval is slightly conservative.  *df may be
 * NULL. */
void exp_pooled_diff(const double *d, size_t K, size_t J, double *mean, double *half,
                     double *df);

#endif /* EXP_COMPARE_H */
