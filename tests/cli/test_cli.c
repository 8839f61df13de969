/*
 * test_cli.c - the `offsim` command end to end: exit statuses, error
 * messages on bad input with nothing written, and identical database rows
 * for the same scenario and seed; `models profile` writes a measured
 * profile that loads.  Runs the built binary ($OFFSIM_BIN).
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "db_query.h"
#include "mdl_graph.h"
#include "mdl_profile.h"

static char bin[1024], tmp[1024];

/* Run "offsim ARGS", capturing stdout+stderr into out; return exit status. */
static int offsim(char *out, size_t cap, const char *args)
{
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", bin, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int setup(void **state)
{
    (void)state;
    const char *b = getenv("OFFSIM_BIN");
    const char *t = getenv("OFFSIM_TMP");
    snprintf(bin, sizeof bin, "%s", b ? b : "build/offsim");
    snprintf(tmp, sizeof tmp, "%s/cli", t ? t : "/tmp/offsim-test");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", tmp, tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static bool exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static void test_help_and_usage_errors(void **state)
{
    (void)state;
    char out[8192];
    assert_int_equal(offsim(out, sizeof out, "--help"), 0);
    assert_non_null(strstr(out, "usage: offsim COMMAND"));
    assert_int_equal(offsim(out, sizeof out, "run --help"), 0);
    assert_non_null(strstr(out, "--seed N"));
    assert_int_equal(offsim(out, sizeof out, ""), 2);
    assert_int_equal(offsim(out, sizeof out, "rnu x.yaml"), 2);
    assert_non_null(strstr(out, "unknown command 'rnu' (did you mean 'run'?)"));
    assert_int_equal(offsim(out, sizeof out, "run scenarios/examples/quickstart.yaml --sed 3"), 2);
    assert_non_null(strstr(out, "unknown option '--sed' (did you mean '--seed'?)"));
    assert_int_equal(offsim(out, sizeof out, "run scenarios/examples/quickstart.yaml --seed -3"), 2);
    assert_non_null(strstr(out, "--seed expects a non-negative integer"));
    assert_int_equal(offsim(out, sizeof out, "run"), 2);
    assert_int_equal(offsim(out, sizeof out, "report"), 2);
    assert_int_equal(offsim(out, sizeof out, "run scenarios/examples/quickstart.yaml --set nokey"), 2);
}

static void test_bad_scenario_exits_2_and_writes_nothing(void **state)
{
    (void)state;
    char out[8192], args[4096], db[1100], yaml[1100];
    snprintf(yaml, sizeof yaml, "%s/bad.yaml", tmp);
    FILE *f = fopen(yaml, "w");
    assert_non_null(f);
    fputs("name: bad\nduration: 10 s\nmodel:\n  kind: synthetic\n  work: {dist: exponential, mean: 1 MMAC}\n"
          "devices:\n  - name: d\n    speed: 1 GMAC/s\n    arrivals: {process: poisson, rate: 5 /s}\n"
          "    uplink: {rate: 20 Mbs}\nservers:\n  - {name: e, speed: 1 GMAC/s}\n", f);
    fclose(f);
    snprintf(db, sizeof db, "%s/bad.db", tmp);
    snprintf(args, sizeof args, "run %s --db %s", yaml, db);
    assert_int_equal(offsim(out, sizeof out, args), 2);
    printf("  -> %s", out);
    assert_non_null(strstr(out, "bad.yaml:10:"));
    assert_false(exists(db));
    snprintf(args, sizeof args, "validate %s", yaml);
    assert_int_equal(offsim(out, sizeof out, args), 2);
    assert_int_equal(offsim(out, sizeof out, "validate scenarios/examples/quickstart.yaml"), 0);
    assert_non_null(strstr(out, ": ok"));
    assert_int_equal(offsim(out, sizeof out, "validate /nonexistent.yaml"), 2);
    /* a policy error found at world build time also writes nothing */
    snprintf(args, sizeof args,
             "run scenarios/examples/quickstart.yaml --db %s --set policy.type=nope", db);
    assert_int_equal(offsim(out, sizeof out, args), 2);
    assert_false(exists(db));
}

static char *tasks_dump(const char *db, int64_t run_id)
{
    sqlite3 *h;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(h,
        "SELECT task_id, device, device_name, t_arrival, t_done, latency_s, energy_j, "
        "bytes_up, exit, split, bits, correct, deadline_met FROM tasks WHERE run_id = ? "
        "ORDER BY task_id", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_int64(st, 1, run_id);
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    buf[0] = '\0';
    int rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        rows++;
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            const char *v = (const char *)sqlite3_column_text(st, c);
            /* %.17g round-trips doubles exactly */
            char cell[64];
            if (sqlite3_column_type(st, c) == SQLITE_FLOAT)
                snprintf(cell, sizeof cell, "%.17g|", sqlite3_column_double(st, c));
            else
                snprintf(cell, sizeof cell, "%s|", v ? v : "NULL");
            size_t cl = strlen(cell);
            if (len + cl + 2 > cap) {
                cap *= 2;
                buf = realloc(buf, cap);
            }
            memcpy(buf + len, cell, cl + 1);
            len += cl;
        }
        buf[len++] = '\n';
        buf[len] = '\0';
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    assert_true(rows > 100);
    return buf;
}

static void test_same_seed_same_rows_in_the_database(void **state)
{
    (void)state;
    char out[8192], args[4096], db[1100];
    snprintf(db, sizeof db, "%s/det.db", tmp);
    for (int i = 0; i < 3; i++) {
        snprintf(args, sizeof args,
                 "run scenarios/examples/quickstart.yaml --db %s --seed %d --quiet", db,
                 i == 2 ? 8 : 7);
        assert_int_equal(offsim(out, sizeof out, args), 0);
    }
    char *a = tasks_dump(db, 1), *b = tasks_dump(db, 2), *c = tasks_dump(db, 3);
    assert_string_equal(a, b);
    assert_true(strcmp(a, c) != 0);
    free(a);
    free(b);
    free(c);
    snprintf(args, sizeof args, "report %s", db);
    assert_int_equal(offsim(out, sizeof out, args), 0);
    assert_non_null(strstr(out, "quickstart"));
    assert_int_equal(offsim(out, sizeof out, "report /nonexistent/x.db"), 2);
}

/* Like query_int, for polling a database another process is creating: -1
 * while it cannot be read yet (no file, no table, locked). */
static long long db_count_soft(const char *db, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

static void test_sigint_stops_the_run_and_records_it_as_interrupted(void **state)
{
    (void)state;
    char db[1100];
    snprintf(db, sizeof db, "%s/int.db", tmp);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        /* a run of hours: 1000 devices for 10^6 simulated seconds */
        execl(bin, "offsim", "run", "scenarios/examples/quickstart.yaml", "--db", db,
              "--set", "devices.0.count=1000", "--set", "duration=1000000 s",
              (char *)NULL);
        _exit(127);
    }
    /* wait (up to 60 s: sanitizer builds are slow) until the run has
     * committed its first batch of rows */
    struct timespec ts = {0, 50 * 1000 * 1000};
    for (int i = 0; i < 1200; i++) {
        nanosleep(&ts, NULL);
        if (db_count_soft(db, "SELECT count(*) FROM tasks") > 0)
            break;
    }
    kill(pid, SIGINT);
    /* reap it whatever happens, so that no run outlives the test */
    int wst = 0;
    pid_t got = 0;
    for (int i = 0; i < 1200 && got == 0; i++) {
        got = waitpid(pid, &wst, WNOHANG);
        if (got == 0)
            nanosleep(&ts, NULL);
    }
    if (got == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &wst, 0);
        fail_msg("the run did not stop within 60 s of SIGINT");
    }
    assert_int_equal(got, pid);
    assert_true(WIFEXITED(wst));
    assert_int_equal(WEXITSTATUS(wst), 130);
    assert_int_equal(query_int(db, "SELECT count(*) FROM runs WHERE status = 'interrupted'"), 1);
    long long n = query_int(db, "SELECT count(*) FROM tasks");
    printf("  interrupted run kept %lld task rows\n", n);
    assert_true(n > 0);
    char out[8192], args[2048];
    snprintf(args, sizeof args, "report %s", db);
    assert_int_equal(offsim(out, sizeof out, args), 0);
    assert_non_null(strstr(out, "status=interrupted"));
}

/* The committed zoo files are exactly what `offsim models export` writes,
 * and scenarios can run them. */
static void test_zoo_files_match_the_architectures(void **state)
{
    (void)state;
    static const char *const names[] = {"alexnet",  "vgg11",       "vgg16",    "resnet18",
                                        "resnet50", "mobilenetv2", "b-alexnet"};
    static char out[1 << 16];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char args[256], path[256];
        snprintf(args, sizeof args, "models export %s", names[i]);
        assert_int_equal(offsim(out, sizeof out, args), 0);
        snprintf(path, sizeof path, "models/zoo/%s.yaml", names[i]);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        static char file[1 << 16];
        size_t n = fread(file, 1, sizeof file - 1, f);
        file[n] = '\0';
        fclose(f);
        assert_string_equal(out, file);
    }
    assert_int_equal(offsim(out, sizeof out, "models info vgg16"), 0);
    assert_non_null(strstr(out, "model vgg16: 21 layers, 1 exit, 15470.3 MMAC"));
    assert_int_equal(offsim(out, sizeof out, "models info lenet5-2exit"), 0);
    assert_non_null(strstr(out, "early  pool1"));
    assert_int_equal(offsim(out, sizeof out, "models info resnet51"), 2);
    assert_non_null(strstr(out, "did you mean 'resnet50'?"));
    assert_int_equal(offsim(out, sizeof out, "models list"), 0);
    assert_non_null(strstr(out, "mobilenetv2"));
    assert_int_equal(offsim(out, sizeof out,
                            "validate scenarios/examples/quickstart.yaml --set "
                            "model=../../models/zoo/resnet50.yaml --set policy.bits=8"), 0);
}

/* `models profile` times the int8 kernels and writes a measured profile
 * that loads and fits the model's cost view. */
static void test_models_profile_writes_a_loadable_measured_profile(void **state)
{
    (void)state;
    static char out[1 << 16];
    char args[2048], path[1100];
    snprintf(path, sizeof path, "%s/mexit-measured.yaml", tmp);
    snprintf(args, sizeof args, "models profile mexit --reps 3 --out %s", path);
    int rc = offsim(out, sizeof out, args);
    printf("%s", out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "conv1"));
    mdl_profile *p = malloc(sizeof *p);
    assert_non_null(p);
    off_err e = {0};
    if (mdl_profile_load(p, path, &e) != OFF_OK)
        fail_msg("%s", e.msg);
    assert_int_equal(p->kind, MDL_PROFILE_MEASURED);
    assert_string_equal(p->name, "mexit-measured");
    assert_string_equal(p->model, "mexit");
    assert_int_equal(p->bits, 8);
    mdl_graph g;
    mdl_model m;
    assert_int_equal(mdl_graph_init(&g, mdl_zoo_graph("mexit"), &e), OFF_OK);
    assert_int_equal(mdl_graph_cost_model(&g, NULL, &m, &e), OFF_OK);
    if (mdl_profile_check_model(p, &m, &e) != OFF_OK)
        fail_msg("%s", e.msg);
    for (size_t i = 0; i < m.n_layers; i++) {
        double t = mdl_profile_layer_seconds(p, &m.layers[i], 8);
        assert_true(t >= 0 && t < 1);
    }
    double whole = mdl_profile_device_seconds(p, &m, m.n_exits - 1, m.n_layers, 8);
    double early = mdl_profile_device_seconds(p, &m, 0, m.n_layers, 8);
    printf("  mexit on this host: whole %.1f us, early exit %.1f us\n", whole * 1e6,
           early * 1e6);
    assert_true(whole > 0 && early > 0 && mdl_profile_exit_seconds(p, &m, 0, 8) > 0);
    mdl_model_free(&m);
    mdl_graph_free(&g);
    free(p);
    /* to stdout: the YAML alone there, the table on stderr */
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "%s models profile mexit --reps 1 2>/dev/null", bin);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    assert_int_equal(pclose(f), 0);
    assert_non_null(strstr(out, "\nkind: measured\n"));
    assert_non_null(strstr(out, "\nname: host-mexit\n"));
    assert_null(strstr(out, "GMAC/s"));
    /* bad usage */
    assert_int_equal(offsim(out, sizeof out, "models profile nosuch"), 2);
    assert_non_null(strstr(out, "unknown trained model 'nosuch'"));
    assert_int_equal(offsim(out, sizeof out, "models profile mexit --reps 0"), 2);
    assert_int_equal(offsim(out, sizeof out, "models profile mexit --rep 3"), 2);
    assert_non_null(strstr(out, "did you mean '--reps'?"));
    assert_int_equal(offsim(out, sizeof out, "models profile"), 2);
}

/* offsim train: bad usage exits 2 and writes nothing; a training writes its
 * checkpoint and learning curve, the same seed the same checkpoint bytes;
 * offsim run evaluates the checkpoint and reports the reward. */
static void test_train_writes_checkpoint_and_curve(void **state)
{
    (void)state;
    char out[16384], args[4096], db[1100], ck[1100], ck2[1100];
    snprintf(db, sizeof db, "%s/train.db", tmp);
    snprintf(ck, sizeof ck, "%s/a.ckpt", tmp);
    snprintf(ck2, sizeof ck2, "%s/b.ckpt", tmp);
    snprintf(args, sizeof args, "train tests/data/sim/rl.yaml --set policy=edge --db %s", db);
    assert_int_equal(offsim(out, sizeof out, args), 2);
    assert_non_null(strstr(out, "needs a learning policy"));
    assert_int_equal(offsim(out, sizeof out, "train tests/data/sim/rl.yaml --steps x"), 2);
    assert_int_equal(offsim(out, sizeof out, "train tests/data/sim/rl.yaml --stepz 5"), 2);
    assert_non_null(strstr(out, "did you mean '--steps'"));
    assert_false(exists(db));
    for (int i = 0; i < 2; i++) {
        snprintf(args, sizeof args,
                 "train tests/data/sim/rl.yaml --steps 1500 --seed 4 --db %s --out %s", db,
                 i ? ck2 : ck);
        assert_int_equal(offsim(out, sizeof out, args), 0);
    }
    assert_non_null(strstr(out, "trained 1500 steps"));
    snprintf(args, sizeof args, "cmp -s %s %s", ck, ck2);
    assert_int_equal(system(args), 0);
    assert_true(query_int(db, "SELECT count(*) FROM training WHERE run_id = 1") >= 5);
    assert_int_equal(query_int(db, "SELECT max(step) FROM training WHERE run_id = 2 AND "
                                  "eval_reward IS NULL"), 1472);
    /* the held-out evaluation of the last agent, at the end */
    assert_int_equal(query_int(db, "SELECT max(step) FROM training WHERE run_id = 2 AND "
                                  "eval_reward IS NOT NULL"), 1500);
    assert_non_null(strstr(out, "best held-out evaluation: step 1500 of 1500"));
    assert_int_equal(query_int(db, "SELECT count(*) FROM runs WHERE policy = 'ppo' AND "
                                  "status = 'ok'"), 2);
    snprintf(args, sizeof args, "run tests/data/sim/rl.yaml --db %s --set policy.checkpoint=%s",
             db, ck);
    assert_int_equal(offsim(out, sizeof out, args), 0);
    assert_non_null(strstr(out, "reward"));
    assert_int_equal(query_int(db, "SELECT count(*) FROM summary WHERE reward_mean IS NOT NULL"),
                     1);
}

/* Every shipped scenario validates (a learning policy without a checkpoint
 * is one to train: validate says so and succeeds). */
static void test_shipped_scenarios_validate(void **state)
{
    (void)state;
    static const char *const files[] = {
        "scenarios/examples/quickstart.yaml", "scenarios/papers/edgent/b-alexnet.yaml",
        "scenarios/papers/neurosurgeon/scenario.yaml", "scenarios/papers/sac-coinference/scenario.yaml"};
    char out[8192], args[512];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(args, sizeof args, "validate %s", files[i]);
        int rc = offsim(out, sizeof out, args);
        printf("  %s", out);
        assert_int_equal(rc, 0);
    }
    assert_non_null(strstr(out, "offsim train"));
}

/* Run bin with argv (argv[0] is ignored), output to /dev/null; the exit
 * status.  For command lines too long for a shell buffer. */
static int offsim_argv(char **argv)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        dup2(devnull, 2);
        argv[0] = bin;
        execv(bin, argv);
        _exit(127);
    }
    int wst;
    assert_int_equal(waitpid(pid, &wst, 0), pid);
    return WIFEXITED(wst) ? WEXITSTATUS(wst) : -1;
}

/* The overrides column of the database's only run (malloc'd). */
static char *run_overrides(const char *db)
{
    sqlite3 *h;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT overrides FROM runs", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    char *v = strdup((const char *)sqlite3_column_text(st, 0));
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

#define N_SETS 600 /* x 18 bytes: an override list of 10.8 KB */

/* argv for "CMD FILE --db DB [--out CKPT --steps 50] --set duration=6 s"
 * then N_SETS times "--set devices.0.count=1"; *expect gets the
 * overrides text the run must record (malloc'd). */
static char **long_set_argv(const char *cmd, const char *file, const char *db,
                            const char *ckpt, char **expect)
{
    static char *argv[2 * N_SETS + 16];
    static char dur[] = "duration=6 s";
    int k = 1;
    argv[k++] = (char *)cmd;
    argv[k++] = (char *)file;
    argv[k++] = "--db";
    argv[k++] = (char *)db;
    if (ckpt) {
        argv[k++] = "--out";
        argv[k++] = (char *)ckpt;
        argv[k++] = "--steps";
        argv[k++] = "50";
    }
    argv[k++] = "--set";
    argv[k++] = dur;
    size_t cap = 64 + N_SETS * 32, len = 0;
    *expect = malloc(cap);
    len += (size_t)snprintf(*expect, cap, "duration=6 s");
    for (int i = 0; i < N_SETS; i++) {
        /* '=' joined and separate forms, both parsed the same */
        if (i % 2) {
            argv[k++] = "--set";
            argv[k++] = "devices.0.count=1";
        } else {
            argv[k++] = "--set=devices.0.count=1";
        }
        len += (size_t)snprintf(*expect + len, cap - len, "\ndevices.0.count=1");
    }
    argv[k] = NULL;
    return argv;
}

/* Hundreds of --set (a list over 10 KB) are recorded complete in the runs
 * table, for `run` and for `train` (followed by its provenance line). */
static void test_long_override_list_is_recorded_in_full(void **state)
{
    (void)state;
    char db[1100], db2[1100], ck[1100];
    snprintf(db, sizeof db, "%s/sets-run.db", tmp);
    snprintf(db2, sizeof db2, "%s/sets-train.db", tmp);
    snprintf(ck, sizeof ck, "%s/sets.ckpt", tmp);
    char *expect;
    char **argv = long_set_argv("run", "scenarios/examples/quickstart.yaml", db, NULL, &expect);
    assert_int_equal(offsim_argv(argv), 0);
    char *got = run_overrides(db);
    printf("  run: %zu bytes of overrides recorded\n", strlen(got));
    assert_true(strlen(got) > 10000);
    assert_string_equal(got, expect);
    free(got);
    free(expect);

    argv = long_set_argv("train", "tests/data/sim/rl.yaml", db2, ck, &expect);
    assert_int_equal(offsim_argv(argv), 0);
    char tail[1300];
    snprintf(tail, sizeof tail, "\noffsim train --steps 50 --seed 3 --out %s", ck);
    expect = realloc(expect, strlen(expect) + strlen(tail) + 1);
    strcat(expect, tail);
    got = run_overrides(db2);
    printf("  train: %zu bytes of overrides recorded\n", strlen(got));
    assert_string_equal(got, expect);
    free(got);
    free(expect);
}

/* Every command and subcommand prints its help, generated from its option
 * table, and exits 0; bad usage names the flag and exits 2. */
static void test_every_command_has_help_and_usage_errors_name_the_flag(void **state)
{
    (void)state;
    static const char *const cmds[] = {
        "run", "validate", "report", "plot", "train", "policies", "models",
        "models list", "models info", "models export", "models train", "models eval",
        "models profile", "models cache"};
    char out[8192], args[512];
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        for (int h = 0; h < 2; h++) {
            snprintf(args, sizeof args, "%s %s", cmds[i], h ? "-h" : "--help");
            assert_int_equal(offsim(out, sizeof out, args), 0);
            char want[128];
            snprintf(want, sizeof want, "usage: offsim %s", cmds[i]);
            if (!strstr(out, want))
                fail_msg("'offsim %s' printed:\n%s", args, out);
        }
    }
    assert_int_equal(offsim(out, sizeof out, "--help"), 0);
    assert_non_null(strstr(out, "Every command has --help"));
    static const struct {
        const char *args, *msg;
    } bad[] = {
        {"validate scenarios/examples/quickstart.yaml --set", "option '--set' needs a value"},
        {"run scenarios/examples/quickstart.yaml --db --quiet", "option '--db' needs a value"},
        {"run scenarios/examples/quickstart.yaml --seed 1 --seed=2", "'--seed' given twice"},
        {"run scenarios/examples/quickstart.yaml --quiet=yes", "'--quiet' takes no value"},
        {"run scenarios/examples/quickstart.yaml --db=", "--db expects a path"},
        {"run a.yaml b.yaml", "unexpected argument 'b.yaml'"},
        {"plot x.db --lerning", "unknown option '--lerning' (did you mean '--learning'?)"},
        {"models export alexnet --ot x.yaml", "(did you mean '--out'?)"},
        {"models eval mexit --n 0", "--n expects an integer in 1..1000000, got '0'"},
        {"models train mexit --epochs=x", "--epochs expects an integer in 1..1000000"},
        {"models info", "missing NAME|FILE"},
        {"models evl mexit", "unknown subcommand 'evl' (did you mean 'eval'?)"},
        {"policies extra", "unexpected argument 'extra'"},
        {"train tests/data/sim/rl.yaml --steps 0", "--steps expects a positive integer"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc = offsim(out, sizeof out, bad[i].args);
        if (rc != 2 || !strstr(out, bad[i].msg))
            fail_msg("'offsim %s' exited %d and printed:\n%s", bad[i].args, rc, out);
    }
    /* `--` ends the options; `--opt=value` is `--opt value` */
    assert_int_equal(offsim(out, sizeof out, "validate --set=policy=edge -- "
                                             "scenarios/examples/quickstart.yaml"), 0);
    assert_non_null(strstr(out, "policy edge"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_and_usage_errors),
        cmocka_unit_test(test_bad_scenario_exits_2_and_writes_nothing),
        cmocka_unit_test(test_same_seed_same_rows_in_the_database),
        cmocka_unit_test(test_sigint_stops_the_run_and_records_it_as_interrupted),
        cmocka_unit_test(test_zoo_files_match_the_architectures),
        cmocka_unit_test(test_models_profile_writes_a_loadable_measured_profile),
        cmocka_unit_test(test_train_writes_checkpoint_and_curve),
        cmocka_unit_test(test_shipped_scenarios_validate),
        cmocka_unit_test(test_long_override_list_is_recorded_in_full),
        cmocka_unit_test(test_every_command_has_help_and_usage_errors_name_the_flag),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
