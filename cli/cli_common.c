/*
 * cli_common.c - what the `offsim` commands share: statuses to exit codes,
 * and the scenario overrides of a command line (cli.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_fail(off_status st, const off_err *err)
{
    fprintf(stderr, "offsim: %s\n", err->msg[0] ? err->msg : off_status_str(st));
    return off_exit_code(st);
}

/* A file named on the command line that cannot be read, or is not what it
 * should be (not a scenario, not an offsim database), is bad input (2). */
int cli_fail_input(off_status st, const off_err *err)
{
    return cli_fail(st == OFF_EIO || st == OFF_EDB ? OFF_EINVAL : st, err);
}

int cli_sets_parse(const cli_args *a, const char *seed_opt, cli_sets *s)
{
    memset(s, 0, sizeof *s);
    size_t n;
    char **vals = cli_all(a, "set", &n);
    bool seed = seed_opt && cli_count(a, seed_opt);
    if (!(s->v = calloc(n + 1, sizeof *s->v))) {
        fprintf(stderr, "offsim %s: out of memory\n", a->cmd->name);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        off_err err = {0};
        if (scn_override_parse(vals[i], &s->v[i], &err) != OFF_OK) {
            cli_sets_free(s);
            return cli_usage(a->cmd, "%s", err.msg);
        }
    }
    s->n = n;
    if (seed) {
        /* --seed is an override of the key `seed`: same validation, and it
         * is recorded with the run's overrides. */
        snprintf(s->seed, sizeof s->seed, "%llu",
                 (unsigned long long)cli_uint(a, seed_opt, 0));
        s->v[s->n++] = (scn_override){"seed", s->seed};
    }
    return 0;
}

void cli_sets_free(cli_sets *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}
