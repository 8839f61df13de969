/*
 * test_rl_seeds.c - `offsim train --seeds`: one training per seed in
 * worker processes; seed N's checkpoint is the one `--seed N` alone writes,
 * byte for byte; every seed is a run of the database; the summary gives
 * the held-out evaluations over the seeds; a malformed list is a usage
 * error that writes nothing.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db_query.h"

static char tmp[512];

/* offsim ARGS; its output (both streams) in out; the exit status */
static int sh(char *out, size_t cap, const char *args)
{
    const char *bin = getenv("OFFSIM_BIN");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s > %s/out.txt 2>&1", bin ? bin : "build/offsim", args, tmp);
    int rc = system(cmd);
    char p[600];
    snprintf(p, sizeof p, "%s/out.txt", tmp);
    FILE *f = fopen(p, "r");
    size_t n = f ? fread(out, 1, cap - 1, f) : 0;
    out[n] = '\0';
    if (f)
        fclose(f);
    printf("%s", out);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int same_file(const char *a, const char *b)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cmp -s %s %s", a, b);
    return system(cmd) == 0;
}

static void test_seeds(void **state)
{
    (void)state;
    const char *base = getenv("OFFSIM_TMP");
    snprintf(tmp, sizeof tmp, "%s/rl-seeds-%ld", base ? base : "/tmp", (long)getpid());
    char cmd[1600];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", tmp, tmp);
    assert_int_equal(system(cmd), 0);
    char out[16384], args[2048], db[600];
    snprintf(db, sizeof db, "%s/s.db", tmp);
    const char *common = "tests/data/sim/rl.yaml --steps 1200 --set policy.eval_every=500";
    snprintf(args, sizeof args, "train %s --seeds 2..x --db %s", common, db);
    assert_int_equal(sh(out, sizeof out, args), 2);
    assert_non_null(strstr(out, "--seeds takes"));
    struct stat st;
    assert_int_not_equal(stat(db, &st), 0);

    snprintf(args, sizeof args, "train %s --seeds 1..3 -j 2 --db %s --out %s/a.ckpt", common,
             db, tmp);
    assert_int_equal(sh(out, sizeof out, args), 0);
    assert_non_null(strstr(out, "3 seeds, 2 at a time"));
    assert_non_null(strstr(out, "held-out evaluation over the seeds"));
    assert_non_null(strstr(out, "(end)"));
    assert_non_null(strstr(out, "(3 seeds)"));
    assert_int_equal(query_int(db, "SELECT count(*) FROM runs WHERE status = 'ok'"), 3);
    assert_int_equal(query_int(db, "SELECT count(DISTINCT seed) FROM runs"), 3);
    assert_int_equal(query_int(db, "SELECT count(*) FROM training WHERE step = 1200 AND "
                                  "eval_reward IS NOT NULL"), 3);
    for (int k = 1; k <= 3; k++) {
        char p[700], b[700];
        snprintf(p, sizeof p, "%s/a.seed%d.ckpt", tmp, k);
        snprintf(b, sizeof b, "%s/a.seed%d.best.ckpt", tmp, k);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(stat(b, &st), 0);
    }
    snprintf(args, sizeof args, "train %s --seed 2 --db %s --out %s/one.ckpt --quiet", common,
             db, tmp);
    assert_int_equal(sh(out, sizeof out, args), 0);
    char one[700], two[700];
    snprintf(one, sizeof one, "%s/one.ckpt", tmp);
    snprintf(two, sizeof two, "%s/a.seed2.ckpt", tmp);
    assert_true(same_file(one, two));
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
