/*
 * test_cli_opt.c - the command-line parser of `offsim` (cli/cli_opt.h) on
 * its own: both value forms, short names, `--`, repeats, ranges, unknown
 * options, and the help generated from the table.  The parser is part of
 * the offsim executable, not of a library, so its source is compiled in.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cli/cli_opt.c"

static const cli_opt opts[] = {
    {"seed", 0, CLI_UINT, "N", "the seed", false, 0, 0},
    {"out", 'o', CLI_PATH, "FILE", "where to write\nsecond line", false, 0, 0},
    {"set", 0, CLI_STR, "k=v", "an override", true, 0, 0},
    {"reps", 0, CLI_UINT, "N", "repetitions", false, 1, 100},
    {"quiet", 'q', CLI_FLAG, NULL, "say nothing", false, 0, 0},
};
static const cli_cmd cmd = {.name = "demo",
                            .args = "IN [MORE]",
                            .min_pos = 1,
                            .max_pos = 2,
                            .summary = "a demo",
                            .opts = opts,
                            .n_opts = sizeof opts / sizeof opts[0]};

/* Parse the words of line (space-separated, at most 32) into *a. */
static bool parse(const char *line, cli_args *a, int *status)
{
    static char buf[1024];
    static char *argv[32];
    snprintf(buf, sizeof buf, "%s", line);
    int argc = 0;
    for (char *w = strtok(buf, " "); w && argc < 32; w = strtok(NULL, " "))
        argv[argc++] = w;
    return cli_parse(&cmd, argc, argv, a, status);
}

static void test_both_value_forms_short_names_and_repeats(void **state)
{
    (void)state;
    cli_args a;
    int st;
    assert_true(parse("in.txt --seed 7 --set a=1 -o x.png --set=b=2 -q --reps=3 more", &a, &st));
    assert_int_equal(a.n_pos, 2);
    assert_string_equal(a.pos[0], "in.txt");
    assert_string_equal(a.pos[1], "more");
    assert_int_equal(cli_uint(&a, "seed", 0), 7);
    assert_int_equal(cli_uint(&a, "reps", 21), 3);
    assert_string_equal(cli_str(&a, "out", NULL), "x.png");
    assert_int_equal(cli_count(&a, "quiet"), 1);
    size_t n;
    char **v = cli_all(&a, "set", &n);
    assert_int_equal(n, 2);
    assert_string_equal(v[0], "a=1");
    assert_string_equal(v[1], "b=2");
    cli_args_free(&a);
    cli_args_free(&a); /* idempotent */
    assert_true(parse("-oy.png in.txt", &a, &st));
    assert_string_equal(cli_str(&a, "out", NULL), "y.png");
    assert_int_equal(cli_uint(&a, "reps", 21), 21);
    cli_args_free(&a);
}

static void test_double_dash_ends_the_options(void **state)
{
    (void)state;
    cli_args a;
    int st;
    assert_true(parse("--quiet -- --seed -", &a, &st));
    assert_int_equal(a.n_pos, 2);
    assert_string_equal(a.pos[0], "--seed");
    assert_string_equal(a.pos[1], "-");
    assert_int_equal(cli_count(&a, "seed"), 0);
    cli_args_free(&a);
}

static void test_bad_usage_exits_2(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",                        /* missing IN */
        "a b c",                   /* one positional too many */
        "in --seed",               /* missing value */
        "in --out --quiet",        /* a forgotten value, not a file "--quiet" */
        "in --seed 1 --seed 2",    /* not repeatable */
        "in --seed -1",            /* not an unsigned integer */
        "in --seed 1x",
        "in --seed ''",
        "in --reps 0",             /* out of range */
        "in --reps 101",
        "in --seed 99999999999999999999999", /* overflow */
        "in --out=",               /* an empty path */
        "in --quiet=1",            /* a flag takes no value */
        "in --sed 1",              /* unknown */
        "in -x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cli_args a;
        int st = -1;
        if (parse(bad[i], &a, &st))
            fail_msg("'%s' parsed", bad[i]);
        if (st != 2)
            fail_msg("'%s': status %d", bad[i], st);
    }
}

static void test_help_comes_from_the_table(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cli_help(&cmd, f);
    fclose(f);
    printf("%s", text);
    static const char *const want[] = {
        "usage: offsim demo IN [MORE] [--seed N] [--out FILE] [--set k=v]...",
        "      --seed N", "  -o, --out FILE", "second line", "(repeatable)",
        "  -q, --quiet", "  -h, --help"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(text, want[i]))
            fail_msg("no '%s' in the help", want[i]);
    free(text);
    cli_args a;
    int st = -1;
    assert_false(parse("--bogus -h", &a, &st)); /* help wins, exit 0 */
    assert_int_equal(st, 0);
}

/* A group runs the leaf its first word names with the words after it. */
static int leaf_runs;
static int leaf(const cli_args *a)
{
    leaf_runs++;
    assert_string_equal(a->pos[0], "x");
    return (int)cli_uint(a, "reps", 7);
}

static const cli_cmd leaf_a = {.name = "grp alpha", .args = "IN", .min_pos = 1, .max_pos = 1,
                               .summary = "first", .opts = opts,
                               .n_opts = sizeof opts / sizeof opts[0], .run = leaf};
static const cli_cmd leaf_b = {.name = "grp beta", .summary = "second", .run = leaf};
static const cli_cmd *const subs[] = {&leaf_a, &leaf_b};
static const cli_cmd grp = {.name = "grp", .summary = "a group", .subs = subs, .n_subs = 2};

static void test_a_group_dispatches_to_its_commands(void **state)
{
    (void)state;
    char w[4][16];
    char *argv[4] = {w[0], w[1], w[2], w[3]};
    snprintf(w[0], 16, "alpha");
    snprintf(w[1], 16, "x");
    snprintf(w[2], 16, "--reps=9");
    assert_int_equal(cli_run(&grp, 3, argv), 9);
    assert_int_equal(leaf_runs, 1);
    snprintf(w[0], 16, "alpah"); /* unknown, with a suggestion */
    assert_int_equal(cli_run(&grp, 2, argv), 2);
    assert_int_equal(cli_run(&grp, 0, argv), 2); /* missing */
    snprintf(w[0], 16, "-h");
    assert_int_equal(cli_run(&grp, 1, argv), 0);
    snprintf(w[0], 16, "beta"); /* beta takes no positional */
    assert_int_equal(cli_run(&grp, 2, argv), 2);
    assert_int_equal(leaf_runs, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_both_value_forms_short_names_and_repeats),
        cmocka_unit_test(test_double_dash_ends_the_options),
        cmocka_unit_test(test_bad_usage_exits_2),
        cmocka_unit_test(test_help_comes_from_the_table),
        cmocka_unit_test(test_a_group_dispatches_to_its_commands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
