/*
 * main.c - the `offsim` command: finds the command, which parses its own
 * options (cli_opt.h), calls the modules, and turns statuses into exit
 * codes (0 ok, 1 run-time failure, 2 bad usage or bad input).  The only
 * place that exits.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "off.h"

static const cli_entry commands[] = {
    {&cmd_run_spec, cmd_run},           {&cmd_validate_spec, cmd_validate},
    {&cmd_report_spec, cmd_report},     {&cmd_plot_spec, cmd_plot},
    {&cmd_train_spec, cmd_train},       {&cmd_policies_spec, cmd_policies},
    {&cmd_models_spec, cmd_models},
};

static void usage(FILE *f)
{
    fputs("usage: offsim COMMAND [ARGS]\n"
          "\n"
          "Discrete-event simulation of DNN inference offloading at the edge.\n"
          "\n"
          "commands:\n", f);
    cli_list(commands, sizeof commands / sizeof commands[0], f);
    fputs("\n"
          "Every command has --help: `offsim COMMAND --help`, `offsim models SUBCOMMAND "
          "--help`.\n"
          "options: --help, --version\n"
          "exit status: 0 success, 1 run-time failure, 2 bad usage or bad input,\n"
          "             130 run interrupted (Ctrl-C; recorded as 'interrupted')\n"
          "docs: README.md, docs/scenario-reference.md, docs/results-schema.md\n", f);
}

int main(int argc, char **argv)
{
    if (argc >= 2) {
        const char *w = argv[1];
        if (strcmp(w, "--help") == 0 || strcmp(w, "-h") == 0 || strcmp(w, "help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(w, "--version") == 0) {
            printf("offsim %s\n", OFF_VERSION);
            return 0;
        }
    }
    return cli_dispatch(NULL, commands, sizeof commands / sizeof commands[0], argc - 1,
                        argv + 1, usage);
}
