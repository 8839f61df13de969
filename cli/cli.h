/* cli.h - what the `offsim` commands share (cli/cli_common.c), and the
 * commands main() dispatches to.  Options are parsed by cli_opt.h. */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "cli_opt.h"
#include "off.h"
#include "scn.h"

/* Print "offsim: MESSAGE" and return the exit status of st. */
int cli_fail(off_status st, const off_err *err);
/* Same for a file named on the command line: unreadable or not what it
 * should be is bad input (2). */
int cli_fail_input(off_status st, const off_err *err);

/* The scenario overrides of a command line: every `--set path=value`, in
 * order, then `seed=N` when the command's --seed is an override.  No
 * limit on their number or length but memory. */
typedef struct cli_sets {
    scn_override *v;
    size_t n;
    char seed[32];        /* "N" of seed=N                                  */
} cli_sets;

/* Parse a's `--set` values (split in place) and, when seed_opt names an
 * option that was given, add seed=N.  0, or the exit status after the
 * error (2 for a malformed --set, naming it); free with cli_sets_free. */
int cli_sets_parse(const cli_args *a, const char *seed_opt, cli_sets *s);
void cli_sets_free(cli_sets *s); /* idempotent */

/* The commands of offsim (main.c lists them). */
extern const cli_cmd cmd_run_spec, cmd_validate_spec, cmd_report_spec, cmd_plot_spec,
    cmd_train_spec, cmd_policies_spec, cmd_models_spec, cmd_check_spec;

/* Check the claims of the validated experiment e on database db (which
 * exists): the table (unless quiet) and a summary line on stdout, the
 * verdicts into the database and DB-figures/claims.md.  The exit status:
 * 0 all hold, 1 one fails or cannot be evaluated (or an error). */
struct exp_experiment;
int cli_check_claims(const struct exp_experiment *e, const char *db, bool quiet);

/* The option every scenario command shares, for their tables. */
#define CLI_OPT_SET                                                                    \
    {"set", 0, CLI_STR, "path=value",                                                  \
     "override a scenario key, e.g. --set devices.0.count=20\nor --set policy.type=edge", \
     true, 0, 0}

#endif /* CLI_H */
