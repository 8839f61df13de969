/* test_scn_robust.c - bad bytes never crash or leak: binary junk with NUL
 * bytes, random mutations of a valid scenario, random --set flags.  Every
 * failure must carry one positioned message and leave *out zeroed.  (Run
 * under ASan/UBSan to check leaks and memory errors: make asan.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn.h"

#define FULL "tests/data/scenarios/full.yaml"

/* A small deterministic generator (xorshift64*), so failures reproduce. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static void check_failure(off_status st, const off_err *e,
                          const scn_scenario *s, const char *file)
{
    assert_true(st == OFF_EPARSE || st == OFF_EINVAL || st == OFF_EIO);
    assert_true(strlen(e->msg) > 0);
    /* positioned: starts with the file name or an override label */
    if (strncmp(e->msg, file, strlen(file)) != 0 &&
        strncmp(e->msg, "<--set", 6) != 0 &&
        strncmp(e->msg, "tests/data/scenarios/", 21) != 0)
        fail_msg("unpositioned message: %s", e->msg);
    assert_null(s->file);
    assert_null(s->devices);
    assert_null(s->model.layers);
}

static void test_binary_junk_file_is_not_yaml(void **state)
{
    (void)state;
    const char *path = "/tmp/offsim-test-scn-junk.yaml";
    for (int round = 0; round < 20; round++) {
        unsigned char junk[4096];
        for (size_t i = 0; i < sizeof junk; i++)
            junk[i] = (unsigned char)rnd();
        junk[7] = 0; /* at least one NUL */
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fwrite(junk, 1, sizeof junk, f);
        fclose(f);
        scn_scenario s;
        off_err e = {0};
        off_status st = scn_load(&s, path, NULL, 0, &e);
        if (round == 0)
            print_message("  -> %s\n", e.msg);
        assert_int_equal(st, OFF_EPARSE);
        assert_non_null(strstr(e.msg, "not a YAML text file"));
        check_failure(st, &e, &s, path);
    }
    remove(path);
}

static void test_random_mutations_never_crash(void **state)
{
    (void)state;
    char *base;
    size_t len;
    off_err e = {0};
    assert_int_equal(off_read_file(FULL, &base, &len, &e), OFF_OK);
    static const char *const toks[] = {
        ":", "-", "[", "]", "{", "}", ",", "&a", "*a", "<<: *a", "\n", " ",
        "\t", "\"", "'", "#", "!", "|", ">", "---", "...", "?", "%", "\xff",
        "1e999", "nan", "inf", "-1", "99999999999999999999999", "\xc3",
        "\\", "\n  - ", ": [", "\\0"};
    const size_t nt = sizeof toks / sizeof toks[0];
    char *buf = malloc(len + 512);
    assert_non_null(buf);
    size_t n_ok = 0, n_bad = 0;
    for (int it = 0; it < 3000; it++) {
        memcpy(buf, base, len);
        size_t n = len;
        int muts = 1 + (int)(rnd() % 4);
        for (int m = 0; m < muts; m++) {
            size_t pos = (size_t)(rnd() % (n + 1));
            switch (rnd() % 4) {
            case 0: { /* delete */
                size_t dl = 1 + (size_t)(rnd() % 8);
                if (pos + dl > n)
                    dl = n - pos;
                memmove(buf + pos, buf + pos + dl, n - pos - dl);
                n -= dl;
                break;
            }
            case 1: { /* insert a token */
                const char *t = toks[rnd() % nt];
                size_t tl = strlen(t);
                if (n + tl < len + 500) {
                    memmove(buf + pos + tl, buf + pos, n - pos);
                    memcpy(buf + pos, t, tl);
                    n += tl;
                }
                break;
            }
            case 2: /* a random byte, NUL included */
                if (pos < n)
                    buf[pos] = (char)rnd();
                break;
            default: /* truncate */
                n = pos;
                break;
            }
        }
        scn_scenario s;
        memset(&s, 0xA5, sizeof s); /* garbage in: load must not read it */
        e.msg[0] = '\0';
        off_status st = scn_load_text(&s, FULL, buf, n, NULL, 0, &e);
        if (st == OFF_OK) {
            n_ok++;
            scn_free(&s);
        } else {
            n_bad++;
            check_failure(st, &e, &s, FULL);
        }
    }
    print_message("  3000 mutants: %zu loaded, %zu rejected\n", n_ok, n_bad);
    assert_true(n_bad > 0);
    free(buf);
    free(base);
}

static void test_random_overrides_never_crash(void **state)
{
    (void)state;
    static const char *const paths[] = {
        "seed", "name", "model", "model.bits", "model.layers.0",
        "model.layers.conv1.macs", "model.exits.1.after", "devices",
        "devices.0", "devices.phone.arrivals", "devices.2.arrivals.file",
        "devices.3", "devices.9.x", "servers.edge.cores", "policy",
        "policy.type", "output.db", "x.y.z", "devices.phone.power.tx",
        "model.layers.0.name"};
    static const char *const values[] = {
        "", "5", "-1", "[1, 2]", "{a: 1}", "[", "{type: edge", "inf",
        "nan", "arrivals_good.txt", "no_such.txt", "\"x\\0\"", "*a", "&a 5",
        "a: b", "- x", "--- 3", "1e999 GMAC/s", "[8, 32]", "{process: trace}"};
    const size_t np = sizeof paths / sizeof paths[0];
    const size_t nv = sizeof values / sizeof values[0];
    size_t n_ok = 0;
    for (int it = 0; it < 1500; it++) {
        scn_override ov[3];
        size_t n = 1 + (size_t)(rnd() % 3);
        for (size_t i = 0; i < n; i++) {
            ov[i].path = paths[rnd() % np];
            ov[i].value = values[rnd() % nv];
        }
        scn_scenario s;
        off_err e = {0};
        off_status st = scn_load(&s, FULL, ov, n, &e);
        if (st == OFF_OK) {
            n_ok++;
            scn_free(&s);
        } else {
            check_failure(st, &e, &s, FULL);
        }
    }
    print_message("  1500 override sets: %zu loaded\n", n_ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binary_junk_file_is_not_yaml),
        cmocka_unit_test(test_random_mutations_never_crash),
        cmocka_unit_test(test_random_overrides_never_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
