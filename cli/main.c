/*
 * main.c - the `offsim` command: finds the command, which parses its own
 * options (cli_opt.h), calls the modules, and turns statuses into exit
 * codes (0 ok, 1 run-time failure, 2 bad usage or bad input).  The only
 * place that exits.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "off.h"

extern const cli_cmd cmd_merge_spec; /* cmd_merge.c */
extern const cli_cmd cmd_sweep_spec; /* cmd_sweep.c */
extern const cli_cmd cmd_compare_spec; /* cmd_compare.c */

static const cli_cmd *const commands[] = {
    &cmd_run_spec,   &cmd_validate_spec, &cmd_report_spec, &cmd_plot_spec,
    &cmd_train_spec, &cmd_policies_spec, &cmd_models_spec,
    &cmd_merge_spec,
    &cmd_sweep_spec, &cmd_check_spec,
    &cmd_compare_spec,
};

static const cli_cmd offsim = {
    .name = "",
    .about = "Discrete-event simulation of DNN inference offloading at the edge.\n",
    .subs = commands,
    .n_subs = sizeof commands / sizeof commands[0],
    .epilog = "Every command has --help: `offsim COMMAND --help`, `offsim models SUBCOMMAND "
              "--help`.\n"
              "options: --help, --version\n"
              "exit status (every command):\n"
              "  0    success\n"
              "  1    run-time failure: a run or a sweep point failed; an output could not\n"
              "       be written (database, figure, checkpoint, weights, standard output);\n"
              "       gnuplot failed; out of memory\n"
              "  2    bad usage or bad input, before anything is written: an unknown\n"
              "       option or a malformed value; a file named on the command line or by\n"
              "       a scenario that is missing, unreadable, a directory, larger than the\n"
              "       input limit (64 MiB; the environment variable OFFSIM_MAX_INPUT, e.g.\n"
              "       OFFSIM_MAX_INPUT=1G, raises it) or not what it should be (not YAML,\n"
              "       not an offsim database, a newer results schema); any error in a\n"
              "       scenario or an experiment\n"
              "  130  interrupted (Ctrl-C, SIGTERM); a run is recorded as 'interrupted'\n"
              "docs: README.md, docs/scenario-reference.md, docs/results-schema.md\n",
};

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("offsim %s\n", OFF_VERSION);
        return 0;
    }
    static char help[] = "--help"; /* `offsim help` too */
    if (argc >= 2 && strcmp(argv[1], "help") == 0)
        argv[1] = help;
    int rc = cli_run(&offsim, argc - 1, argv + 1);
    /* What a command printed is its result: a report cut short by a full
     * disk or a closed pipe is a run-time failure, not a success. */
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "offsim: cannot write the output: %s\n",
                errno ? strerror(errno) : "write error");
        if (rc == 0)
            rc = 1;
    }
    return rc;
}
