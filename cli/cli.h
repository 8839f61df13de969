/* cli.h - what the `offsim` subcommands share (cli/main.c). */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "off.h"

/* Print "offsim: MESSAGE" and return the exit status of st. */
int cli_fail(off_status st, const off_err *err);
/* Same for a file named on the command line: unreadable or not what it
 * should be is bad input (2). */
int cli_fail_input(off_status st, const off_err *err);
/* Print "offsim CMD: " fmt(arg) and the usage; return 2. */
int cli_usage_error(const char *cmd, const char *fmt, const char *arg, const char *usage);
bool cli_is_help(const char *a);
/* "offsim CMD: unknown option 'A' (did you mean 'X'?)" (the suggestion from
 * flags[0..n), none when flags is NULL) and the usage; returns 2. */
int cli_unknown_option(const char *cmd, const char *a, const char *const *flags, size_t n,
                       const char *usage);

/* offsim models list|info|export (cli/cmd_models.c) */
int cmd_models(int argc, char **argv);
/* offsim train (cli/cmd_train.c) */
int cmd_train(int argc, char **argv);

#endif /* CLI_H */
