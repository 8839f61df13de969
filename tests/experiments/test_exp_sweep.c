/*
 * test_exp_sweep.c - `offsim sweep` end to end (the binary in OFFSIM_BIN):
 * the same database whatever --jobs and sharding, the points view, resume
 * after a SIGKILL part-way, Ctrl-C (SIGINT, SIGTERM) recording the running
 * points 'interrupted', failures recorded, an invalid point writing
 * nothing, an edited figure keeping the experiment's identity.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define DATA "tests/experiments/data/"

static char dir[] = "/tmp/offsim-sweep-XXXXXX";
static const char *bin;

static int setup(void **state)
{
    (void)state;
    bin = getenv("OFFSIM_BIN");
    if (!bin)
        bin = "build/offsim";
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Run `offsim ARGS` (stdout and stderr to dir/out); its exit status. */
static int offsim(const char *fmt, ...)
{
    char args[2048], cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s/out' 2>&1", bin, args, dir);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
}

static char *out_text(void)
{
    static char buf[65536];
    char p[256];
    snprintf(p, sizeof p, "%s/out", dir);
    FILE *f = fopen(p, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    return buf;
}

static long long query(const char *db, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *s;
    long long v = -1;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW)
            v = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
    }
    sqlite3_close(h);
    return v;
}

/* Every table's rows, in key order, without the columns that hold wall
 * clock, host or build: what must be identical whatever --jobs. */
static char *dump(const char *db)
{
    static const char *const skip[] = {"wall_s", "started_at", "host", "git_commit", "compiler",
                                       "version"};
    sqlite3 *h;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    sqlite3_stmt *t;
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT name FROM sqlite_master WHERE type='table' "
                                           "AND name NOT LIKE 'sqlite%' ORDER BY name",
                                        -1, &t, NULL),
                     SQLITE_OK);
    while (sqlite3_step(t) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(t, 0);
        char sql[4096], cols[3000] = "";
        snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_info('%s')", name);
        sqlite3_stmt *c;
        assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &c, NULL), SQLITE_OK);
        int nc = 0;
        while (sqlite3_step(c) == SQLITE_ROW) {
            const char *col = (const char *)sqlite3_column_text(c, 0);
            bool keep = true;
            for (size_t k = 0; k < sizeof skip / sizeof *skip; k++)
                keep = keep && strcmp(col, skip[k]);
            if (keep) {
                size_t l = strlen(cols);
                snprintf(cols + l, sizeof cols - l, "%s\"%s\"", nc++ ? "," : "", col);
            }
        }
        sqlite3_finalize(c);
        char order[200] = "1";
        for (int k = 2; k <= nc && k < 40; k++) {
            size_t l = strlen(order);
            snprintf(order + l, sizeof order - l, ",%d", k);
        }
        snprintf(sql, sizeof sql, "SELECT %s FROM \"%s\" ORDER BY %s", cols, name, order);
        sqlite3_stmt *r;
        assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &r, NULL), SQLITE_OK);
        fprintf(f, "== %s\n", name);
        while (sqlite3_step(r) == SQLITE_ROW) {
            for (int k = 0; k < nc; k++) {
                const unsigned char *v = sqlite3_column_text(r, k);
                fprintf(f, "%s%s", k ? "|" : "", v ? (const char *)v : "NULL");
            }
            fputc('\n', f);
        }
        sqlite3_finalize(r);
    }
    sqlite3_finalize(t);
    sqlite3_close(h);
    fclose(f);
    return buf;
}

static void same_db(const char *a, const char *b)
{
    char *x = dump(a), *y = dump(b);
    if (strcmp(x, y)) {
        size_t i = 0;
        while (x[i] && x[i] == y[i])
            i++;
        size_t from = i > 200 ? i - 200 : 0;
        fail_msg("%s and %s differ at byte %zu:\n%.400s\n----\n%.400s", a, b, i, x + from,
                 y + from);
    }
    free(x);
    free(y);
}

static void test_same_db_whatever_jobs_and_shards(void **state)
{
    (void)state;
    char a[256], b[256], a2[256], s0[256], s1[256], m[256];
    snprintf(a, sizeof a, "%s/jobs1.db", dir);
    snprintf(a2, sizeof a2, "%s/jobs1-again.db", dir);
    snprintf(b, sizeof b, "%s/jobs2.db", dir);
    snprintf(s0, sizeof s0, "%s/shard0.db", dir);
    snprintf(s1, sizeof s1, "%s/shard1.db", dir);
    snprintf(m, sizeof m, "%s/merged.db", dir);
    assert_int_equal(offsim("sweep " DATA "sweep.yaml --dry-run --db %s", a), 0);
    assert_non_null(strstr(out_text(), "sweep-test: 12 points"));
    assert_int_equal(access(a, F_OK), -1); /* a dry run writes nothing */
    assert_int_equal(offsim("sweep " DATA "sweep.yaml --jobs 1 --db %s", a), 0);
    assert_non_null(strstr(out_text(), "12 points, 0 already done, 12 run, 0 failed"));
    assert_int_equal(offsim("sweep " DATA "sweep.yaml --jobs 1 --db %s", a2), 0);
    assert_int_equal(offsim("sweep " DATA "sweep.yaml --jobs 2 --db %s", b), 0);
    assert_int_equal(offsim("sweep " DATA "sweep.yaml --jobs 2 --shard 1/2 --db %s", s1), 0);
    assert_int_equal(offsim("sweep " DATA "sweep.yaml --jobs 1 --shard 0/2 --db %s", s0), 0);
    assert_int_equal(offsim("merge %s %s %s", m, s0, s1), 0);
    assert_int_equal(query(a, "SELECT count(*) FROM runs WHERE status='ok'"), 12);
    assert_int_equal(query(a, "SELECT count(*) FROM params"), 36);
    assert_int_equal(query(a, "SELECT count(*) FROM runs WHERE point = run_id - 1"), 12);
    assert_int_equal(query(a, "SELECT count(*) FROM params WHERE name='devices.phone.uplink.rate'"
                              " AND num = 500000"), 6);
    assert_true(query(a, "SELECT count(*) FROM tasks") > 12);
    /* common random numbers: run 1 (local, 500 kbps, seed 1) and run 7
     * (edge, 500 kbps, seed 1) see the same tasks; seed 2 others */
    long long n1 = query(a, "SELECT count(*) FROM tasks WHERE run_id = 1");
    assert_true(n1 > 0);
    assert_int_equal(query(a, "SELECT count(*) FROM tasks x JOIN tasks y USING (task_id) "
                              "WHERE x.run_id = 1 AND y.run_id = 7 AND x.t_arrival = y.t_arrival "
                              "AND x.device = y.device AND x.sample IS y.sample"),
                     n1);
    assert_true(query(a, "SELECT count(*) FROM tasks x JOIN tasks y USING (task_id) "
                         "WHERE x.run_id = 1 AND y.run_id = 2 AND x.t_arrival = y.t_arrival") < n1);
    same_db(a, a2);
    same_db(a, b);
    same_db(a, m);
    /* the points view: one column per axis, numbers in SI units; the
     * merge of the shards has it too */
    const char *view = "SELECT count(*) FROM \"points_sweep-test\" WHERE policy = 'edge' AND "
                       "\"devices.phone.uplink.rate\" < 1e6 AND status = 'ok' AND seed >= 1 "
                       "AND n_tasks > 0";
    assert_int_equal(query(a, view), 3);
    assert_int_equal(query(m, view), 3);
    assert_int_equal(query(a, "SELECT count(*) FROM \"points_sweep-test\""), 12);
    /* the sweep again: every point is there */
    assert_int_equal(offsim("sweep " DATA "sweep.yaml --jobs 2 --db %s", b), 0);
    assert_non_null(strstr(out_text(), "12 points, 12 already done, 0 run"));
    same_db(a, b);
}

/* The signal tests' sweep: 60 points of about 50 ms of simulation each,
 * no task rows, so that a signal finds points running. */
#define SIG_SWEEP                                                                  \
    "sweep " DATA "tiny.yaml --axis devices.0.count=1,2 --seeds 30 --set 'duration=20000 s' " \
    "--set 'output={tasks: false}' --jobs 2 --db "

/* Start the 60-point sweep into db (2 workers, stderr to dir/out), wait
 * until `runs` has 5 rows, send sig; the sweep's wait status. */
static int sweep_and_signal(const char *db, int sig)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "exec '%s' " SIG_SWEEP "'%s' >/dev/null 2>'%s/out'", bin, db,
                 dir);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    struct timespec ms = {0, 2000000};
    long long n = 0;
    for (int k = 0; k < 20000 && n < 5; k++) {
        nanosleep(&ms, NULL);
        n = access(db, F_OK) ? 0 : query(db, "SELECT count(*) FROM runs");
    }
    kill(pid, sig);
    int ws;
    waitpid(pid, &ws, 0);
    return ws;
}

/* The sweep again: it must say how many points were done and run only the
 * others, and end with every point once ok. */
static void resume(const char *db)
{
    const int points = 60;
    long long ok = query(db, "SELECT count(*) FROM runs WHERE status='ok'");
    assert_true(ok >= 5);
    assert_true(ok < points);
    /* only whole runs reached the target: none left 'running' */
    assert_int_equal(query(db, "SELECT count(*) FROM runs WHERE status NOT IN "
                               "('ok', 'interrupted')"),
                     0);
    assert_int_equal(offsim(SIG_SWEEP "%s", db), 0);
    char want[128];
    snprintf(want, sizeof want, "%lld of %d points already done, running %lld", ok, points,
             points - ok);
    if (!strstr(out_text(), want))
        fail_msg("expected '%s' in:\n%s", want, out_text());
    assert_int_equal(query(db, "SELECT count(*) FROM runs WHERE status='ok'"), points);
    assert_int_equal(query(db, "SELECT count(*) FROM (SELECT point FROM runs WHERE status='ok' "
                               "GROUP BY point HAVING count(*) = 1)"),
                     points);
    assert_int_equal(query(db, "SELECT count(DISTINCT point_hash) FROM runs"), points);
}

static void test_resume_after_sigkill(void **state)
{
    (void)state;
    char db[256];
    snprintf(db, sizeof db, "%s/resume.db", dir);
    int ws = sweep_and_signal(db, SIGKILL);
    assert_true(WIFSIGNALED(ws));
    sleep(1); /* its workers end with it */
    /* nothing but whole ok runs: the running points died with it */
    assert_int_equal(query(db, "SELECT count(*) FROM runs"),
                     query(db, "SELECT count(*) FROM runs WHERE status='ok'"));
    resume(db);
}

/* Ctrl-C (SIGINT) or SIGTERM part-way: exit 130, the worker files gone,
 * the running points recorded 'interrupted' and named, one line each; the
 * sweep again runs every point not ok.  A point is interrupted only if
 * its worker is in the simulation's loop when the signal comes, which
 * each of the 2 workers is about 85 % of the time (the rest: building the
 * world, recording the run, waiting for its next point); a signal that
 * finds neither there (about 1 in 40) is reported as 0 interrupted, which
 * is checked too, and the sweep is signalled again, up to 5 times, until
 * one is. */
static void interrupt_and_resume(int sig, const char *name)
{
    char db[256], sweep_dir[300];
    long long n_int = 0;
    for (int attempt = 0; attempt < 5 && n_int == 0; attempt++) {
        snprintf(db, sizeof db, "%s/%s-%d.db", dir, name, attempt);
        snprintf(sweep_dir, sizeof sweep_dir, "%s.sweep", db);
        int ws = sweep_and_signal(db, sig);
        assert_true(WIFEXITED(ws));
        assert_int_equal(WEXITSTATUS(ws), 130);
        assert_int_equal(access(sweep_dir, F_OK), -1); /* worker files removed */
        const char *text = out_text(), *m = strstr(text, " interrupted; ");
        if (!m || !strstr(text, "the same sweep again runs every point not ok"))
            fail_msg("no interruption report in:\n%s", text);
        while (m > text && m[-1] != ' ')
            m--;
        n_int = strtoll(m, NULL, 10);
        size_t named = 0;
        for (const char *q = text; (q = strstr(q, "recorded 'interrupted', runs again on resume"));
             q++)
            named++;
        assert_int_equal((long long)named, n_int);
        assert_int_equal(query(db, "SELECT count(*) FROM runs WHERE status='interrupted'"), n_int);
        /* in point order with the others */
        assert_int_equal(query(db, "SELECT count(*) FROM runs a JOIN runs b ON b.run_id > "
                                   "a.run_id WHERE b.point < a.point"),
                         0);
    }
    if (n_int < 1)
        fail_msg("5 signals found no point in the simulation's loop");
    resume(db);
}

static void test_sigint_records_interrupted(void **state)
{
    (void)state;
    interrupt_and_resume(SIGINT, "int");
}

static void test_sigterm_stops_cleanly(void **state)
{
    (void)state;
    interrupt_and_resume(SIGTERM, "term");
}

/* Write the identity test's experiment (a comment, the duration, the
 * figure's title) to exp and sweep it into db; the sweep must print want. */
static void ident_sweep(const char *exp, const char *db, const char *comment,
                        const char *duration, const char *title, const char *want)
{
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    FILE *f = fopen(exp, "w");
    assert_non_null(f);
    fprintf(f, "# %s\nname: ident\nscenario: %s/" DATA "tiny.yaml\nset: {duration: %s}\n"
               "axes: {policy: [local, edge]}\nseeds: 2\n"
               "figures:\n  - {name: lat, x: policy, title: \"%s\"}\n",
            comment, cwd, duration, title);
    fclose(f);
    assert_int_equal(offsim("sweep %s --no-figures --jobs 1 --db %s", exp, db), 0);
    if (!strstr(out_text(), want))
        fail_msg("expected '%s' in:\n%s", want, out_text());
}

/* Editing a figure (or a comment) keeps the experiment's identity: the
 * sweep again runs nothing; editing what the points run does not. */
static void test_figure_edit_keeps_identity(void **state)
{
    (void)state;
    char exp[300], db[300];
    snprintf(exp, sizeof exp, "%s/ident.yaml", dir);
    snprintf(db, sizeof db, "%s/ident.db", dir);
    ident_sweep(exp, db, "first", "1 s", "Latency", "4 points, 0 already done, 4 run");
    ident_sweep(exp, db, "edited", "1 s", "Mean latency by policy",
                "4 points, 4 already done, 0 run");
    assert_int_equal(query(db, "SELECT count(*) FROM experiments"), 1);
    assert_int_equal(query(db, "SELECT count(*) FROM experiments WHERE text LIKE "
                               "'%Mean latency by policy%'"),
                     1);
    /* what the points run is in the identity */
    ident_sweep(exp, db, "edited", "2 s", "Mean latency by policy",
                "4 points, 0 already done, 4 run");
}

static void test_failure_recorded(void **state)
{
    (void)state;
    char db[256];
    snprintf(db, sizeof db, "%s/fail.db", dir);
    setenv("OFFSIM_SWEEP_FAULT", "1", 1);
    int rc = offsim("sweep " DATA "tiny.yaml --axis policy=local,edge,fixed --set "
                    "'duration=1 s' --jobs 2 --db %s",
                    db);
    unsetenv("OFFSIM_SWEEP_FAULT");
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out_text(), "1 point failed"));
    assert_int_equal(query(db, "SELECT count(*) FROM runs WHERE status='ok'"), 2);
    assert_int_equal(query(db, "SELECT point FROM runs WHERE status='failed'"), 1);
    assert_int_equal(query(db, "SELECT count(*) FROM runs WHERE status='failed' AND error LIKE "
                               "'%injected failure of point 1%'"),
                     1);
    /* the next sweep runs the failed point again */
    assert_int_equal(offsim("sweep " DATA "tiny.yaml --axis policy=local,edge,fixed --set "
                            "'duration=1 s' --jobs 2 --db %s",
                            db),
                     0);
    assert_non_null(strstr(out_text(), "2 of 3 points already done, running 1"));
    assert_int_equal(query(db, "SELECT count(*) FROM runs WHERE status='ok' AND point=1"), 1);
}

static void test_invalid_point_writes_nothing(void **state)
{
    (void)state;
    char db[256];
    snprintf(db, sizeof db, "%s/invalid.db", dir);
    assert_int_equal(offsim("sweep " DATA "tiny.yaml --axis 'devices.0.uplink.rate=1Mbps,5ms' "
                            "--db %s",
                            db),
                     2);
    assert_non_null(strstr(out_text(), "point 1 of 2 (devices.0.uplink.rate=5ms)"));
    assert_int_equal(access(db, F_OK), -1);
    assert_int_equal(offsim("sweep " DATA "sweep.yaml --shard 2/2 --db %s", db), 2);
    assert_int_equal(access(db, F_OK), -1);
}

static void test_slurm_scripts(void **state)
{
    (void)state;
    char db[256], p[300];
    snprintf(db, sizeof db, "%s/slurm/out.db", dir);
    assert_int_equal(offsim("sweep " DATA "sweep.yaml --array 2 --db %s", db), 2);
    assert_non_null(strstr(out_text(), "--array goes with --slurm"));
    assert_int_equal(offsim("sweep " DATA "sweep.yaml --slurm --array 5 --partition debug "
                            "--time 0:10:00 --db %s",
                            db),
                     0);
    assert_non_null(strstr(out_text(), "sbatch --dependency=afterok:$JOB"));
    snprintf(p, sizeof p, "%s.slurm/sweep.sbatch", db);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    char text[4096];
    text[fread(text, 1, sizeof text - 1, f)] = '\0';
    fclose(f);
    assert_non_null(strstr(text, "#SBATCH --array=0-4\n"));
    assert_non_null(strstr(text, "#SBATCH --partition=debug\n"));
    assert_non_null(strstr(text, "#SBATCH --time=0:10:00\n"));
    assert_non_null(strstr(text, "--shard \"$SLURM_ARRAY_TASK_ID/5\""));
    snprintf(p, sizeof p, "%s.slurm/merge.sbatch", db);
    assert_int_equal(access(p, X_OK), 0);
    assert_int_equal(access(db, F_OK), -1); /* nothing ran */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_db_whatever_jobs_and_shards),
        cmocka_unit_test(test_resume_after_sigkill),
        cmocka_unit_test(test_sigint_records_interrupted),
        cmocka_unit_test(test_sigterm_stops_cleanly),
        cmocka_unit_test(test_figure_edit_keeps_identity),
        cmocka_unit_test(test_failure_recorded),
        cmocka_unit_test(test_invalid_point_writes_nothing),
        cmocka_unit_test(test_slurm_scripts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
