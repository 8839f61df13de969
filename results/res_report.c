/*
 * res_report.c - the per-run report of `offsim report`.
 *
 * One block per run, in run_id order:
 *
 *   run 3  quickstart  policy=edge  seed=1  status=ok  wall=0.041 s
 *     tasks      2893 done / 2893 arrived (after warm-up)
 *                (", N unfinished at the end of the run" when some never ended)
 *     latency    mean 12.345 ms +- 0.120 (95% CI)  p50 11.0  p95 20.1  p99 25.3 ms
 *     energy     4.567 mJ/task    deadline miss 1.23 %    accuracy 90.12 %
 *
 * A latency interval that its checks distrust (res_stat.ci_why) gets a
 * line under the latency saying so, why, and what to do.
 *
 * Runs without a summary ('failed', 'interrupted' by a signal, or still
 * 'running': "running" while their process holds the run's lock, else
 * "killed") get a line saying so and the number of task rows they
 * recorded.  An oracle's run (objective: reward) adds its reward bound
 * (docs/rl.md, "The reward bound"):
 *
 *     bound      0.9660 per task (the oracle's reward bound, over the 412 tasks it decided)
 *
 * Seeds are printed as given (unsigned 64 bits).  A figure
 * without a value (NULL in the summary) is printed "n/a" with the reason,
 * never as nan: no task finished after the warm-up, too few tasks for an
 * interval, nothing recorded.
 */
#include "res.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static double col_real(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

static void print_ms(FILE *out, const char *label, double v)
{
    if (isnan(v))
        fprintf(out, "  %s n/a", label);
    else
        fprintf(out, "  %s %.3f", label, v * 1e3);
}

/* "LABEL VALUE UNIT" with v scaled by k, or "LABEL n/a" when v is NULL. */
static void print_val(FILE *out, const char *label, double v, double k, const char *fmt,
                      const char *unit)
{
    fprintf(out, "%s ", label);
    if (isnan(v)) {
        fputs("n/a", out);
        return;
    }
    fprintf(out, fmt, v * k);
    fprintf(out, " %s", unit);
}

/* sql (one parameter: the run) prepared with run bound and stepped once:
 * the statement on a row (the caller finalizes it), else NULL. */
static sqlite3_stmt *run_row(sqlite3 *h, const char *sql, sqlite3_int64 run)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(h, sql, -1, &q, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_int64(q, 1, run);
    if (sqlite3_step(q) == SQLITE_ROW)
        return q;
    sqlite3_finalize(q);
    return NULL;
}

/* The run's devices table (schema 3) in one line: how many, their mean
 * energy, batteries emptied (the first death) and handovers. */
static void print_devices(sqlite3 *h, FILE *out, sqlite3_int64 run)
{
    sqlite3_stmt *q = run_row(h, "SELECT count(*), avg(energy_j), count(t_death), min(t_death),"
                                 " sum(handovers) FROM devices WHERE run_id = ?", run);
    if (q && sqlite3_column_int64(q, 0) > 0) {
        fprintf(out, "    devices    %lld, %.3f J each on average",
                (long long)sqlite3_column_int64(q, 0), col_real(q, 1));
        long long dead = sqlite3_column_int64(q, 2);
        if (dead)
            fprintf(out, "    batteries emptied %lld (first at %.3f s)", dead, col_real(q, 3));
        long long ho = sqlite3_column_int64(q, 4);
        if (ho)
            fprintf(out, "    handovers %lld", ho);
        fputc('\n', out);
    }
    sqlite3_finalize(q);
}

/* The line that says a run's latency interval cannot be trusted (schema
 * 5: summary.latency_ci_ok = 0), why, and what to do; nothing otherwise. */
static void print_ci_flag(sqlite3 *h, FILE *out, sqlite3_int64 run)
{
    sqlite3_stmt *q = run_row(h, "SELECT latency_ci_why, latency_ci_neff FROM summary"
                                 " WHERE run_id = ? AND latency_ci_ok = 0", run);
    if (q) {
        const char *why = (const char *)sqlite3_column_text(q, 0);
        fprintf(out, "    UNRELIABLE interval: %s", why ? why : "see summary");
        if (sqlite3_column_type(q, 1) != SQLITE_NULL)
            fprintf(out, " (worth ~%.0f independent tasks)", sqlite3_column_double(q, 1));
        fprintf(out, ";\n      run longer, or run more seeds and read their interval"
                     " (offsim report --by ...); a warm-up only removes a start-up transient\n");
    }
    sqlite3_finalize(q);
}

/* The oracle's reward bound of the run in row s (summary.reward_bound,
 * schema 6), for the runs that have one; "n/a" for an oracle's run
 * without one (another objective, or recorded before the column). */
static void print_bound(sqlite3 *h, FILE *out, sqlite3_stmt *s, int ver)
{
    sqlite3_stmt *q = ver < 6 ? NULL
                              : run_row(h, "SELECT reward_bound, bound_tasks FROM summary"
                                           " WHERE run_id = ? AND reward_bound IS NOT NULL",
                                        sqlite3_column_int64(s, 0));
    const char *policy = (const char *)sqlite3_column_text(s, 2);
    if (q)
        fprintf(out, "    bound      %.4f per task (the oracle's reward bound, over the %lld "
                     "tasks it decided)\n", sqlite3_column_double(q, 0),
                (long long)sqlite3_column_int64(q, 1));
    else if (policy && strcmp(policy, "oracle") == 0)
        fputs("    bound      n/a (the oracle records its reward bound with objective: reward, "
              "since schema version 6)\n", out);
    sqlite3_finalize(q);
}

/* A run without a summary (row s of res_report's query): a training's
 * learning curve, or the status and the task rows recorded. */
static void print_no_summary(sqlite3 *h, FILE *out, sqlite3_stmt *s, int ver, const char *shown)
{
    long long pts = 0, last = 0;
    sqlite3_stmt *tq;
    if (ver >= 2 && sqlite3_prepare_v2(h, "SELECT count(*), max(step) FROM training WHERE run_id = ?",
                                       -1, &tq, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(tq, 1, sqlite3_column_int64(s, 0));
        if (sqlite3_step(tq) == SQLITE_ROW) {
            pts = sqlite3_column_int64(tq, 0);
            last = sqlite3_column_int64(tq, 1);
        }
        sqlite3_finalize(tq);
    }
    if (pts)
        fprintf(out, "    training: %lld learning-curve points up to step %lld "
                     "(offsim plot --learning)\n", pts, last);
    else
        fprintf(out, "    no summary (run %s); %lld task rows recorded\n", shown ? shown : "?",
                (long long)sqlite3_column_int64(s, 17));
}

/* The summary lines of a finished run (row s of res_report's query). */
static void print_summary(sqlite3 *h, FILE *out, sqlite3_stmt *s, int ver)
{
    long long done = sqlite3_column_int64(s, 8), arrived = sqlite3_column_int64(s, 7);
    fprintf(out, "    tasks      %lld done / %lld arrived (after warm-up)", done, arrived);
    /* the rest never finished: a transfer that never ended, or a task
     * queued behind one (their rows have no t_done, latency or energy) */
    if (arrived > done)
        fprintf(out, ", %lld unfinished at the end of the run", arrived - done);
    fprintf(out, "\n");
    if (done == 0) {
        fprintf(out, "    latency, energy, deadline miss, accuracy: n/a (no task finished "
                     "after the warm-up)\n");
    } else {
        fprintf(out, "    latency  ");
        print_ms(out, "mean", col_real(s, 9));
        double ci = col_real(s, 10);
        if (!isnan(ci))
            fprintf(out, " +- %.3f (95%% CI)", ci * 1e3);
        print_ms(out, "p50", col_real(s, 11));
        print_ms(out, "p95", col_real(s, 12));
        print_ms(out, "p99", col_real(s, 13));
        fprintf(out, " ms");
        if (isnan(ci))
            fprintf(out, "  (95%% CI n/a: batch means need 40 finished tasks, %lld here)", done);
        fputs("\n   ", out);
        print_val(out, " energy    ", col_real(s, 14), 1e3, "%.3f", "mJ/task");
        print_val(out, "    deadline miss", col_real(s, 15), 100, "%.2f", "%");
        print_val(out, "    accuracy", col_real(s, 16), 100, "%.2f", "%");
        if (isnan(col_real(s, 14)) || isnan(col_real(s, 15)) || isnan(col_real(s, 16)))
            fputs("  (n/a: not recorded for this run)", out);
        fputc('\n', out);
        if (ver >= 5)
            print_ci_flag(h, out, sqlite3_column_int64(s, 0));
    }
    if (sqlite3_column_type(s, 18) != SQLITE_NULL)
        fprintf(out, "    reward     %.4f per task (the scenario's reward:)\n", col_real(s, 18));
    print_bound(h, out, s, ver);
    if (ver >= 3)
        print_devices(h, out, sqlite3_column_int64(s, 0));
}

/* The status of the run in row s (run_id, status in columns 0, 4):
 * 'running' is a run in progress while its writer holds the run's lock,
 * and a killed one (the process died mid-run) once it does not. */
static const char *shown_status(res_db *db, sqlite3_stmt *s)
{
    const char *status = (const char *)sqlite3_column_text(s, 4);
    if (!status || strcmp(status, "running") != 0)
        return status;
    int live = res_run_live(db, sqlite3_column_int64(s, 0));
    return live > 0 ? "running" : live == 0 ? "killed" : "running or killed";
}

off_status res_report(res_db *db, FILE *out, off_err *err)
{
    sqlite3 *h = res_handle(db);
    sqlite3_stmt *s;
    /* a version-1 database (opened read-only, not migrated) has no reward */
    sqlite3_stmt *v;
    int ver = 2;
    if (sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &v, NULL) == SQLITE_OK) {
        if (sqlite3_step(v) == SQLITE_ROW)
            ver = sqlite3_column_int(v, 0);
        sqlite3_finalize(v);
    }
    const char *sql = ver >= 2 ?
        "SELECT r.run_id, r.scenario, r.policy, r.seed, r.status, r.wall_s,"
        " s.run_id IS NOT NULL, s.n_tasks, s.n_done, s.latency_mean, s.latency_ci95,"
        " s.latency_p50, s.latency_p95, s.latency_p99, s.energy_mean_j,"
        " s.deadline_miss, s.accuracy,"
        " (SELECT count(*) FROM tasks t WHERE t.run_id = r.run_id), s.reward_mean"
        " FROM runs r LEFT JOIN summary s ON s.run_id = r.run_id ORDER BY r.run_id" :
        "SELECT r.run_id, r.scenario, r.policy, r.seed, r.status, r.wall_s,"
        " s.run_id IS NOT NULL, s.n_tasks, s.n_done, s.latency_mean, s.latency_ci95,"
        " s.latency_p50, s.latency_p95, s.latency_p99, s.energy_mean_j,"
        " s.deadline_miss, s.accuracy,"
        " (SELECT count(*) FROM tasks t WHERE t.run_id = r.run_id), NULL"
        " FROM runs r LEFT JOIN summary s ON s.run_id = r.run_id ORDER BY r.run_id";
    if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) != SQLITE_OK)
        return off_errf(err, OFF_EDB, res_path(db), 0, 0, "reading runs: %s",
                        sqlite3_errmsg(h));
    int rc, n = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        n++;
        const char *shown = shown_status(db, s);
        fprintf(out, "run %lld  %s  policy=%s  seed=%llu  status=%s",
                (long long)sqlite3_column_int64(s, 0),
                (const char *)sqlite3_column_text(s, 1),
                (const char *)sqlite3_column_text(s, 2),
                (unsigned long long)res_seed_from_sql(sqlite3_column_int64(s, 3)),
                shown ? shown : "?");
        if (sqlite3_column_type(s, 5) != SQLITE_NULL)
            fprintf(out, "  wall=%.3f s", sqlite3_column_double(s, 5));
        fputc('\n', out);
        if (sqlite3_column_int(s, 6))
            print_summary(h, out, s, ver);
        else
            print_no_summary(h, out, s, ver, shown);
    }
    off_status st = OFF_OK;
    if (rc != SQLITE_DONE)
        st = off_errf(err, OFF_EDB, res_path(db), 0, 0, "reading runs: %s",
                      sqlite3_errmsg(h));
    else if (n == 0)
        fprintf(out, "%s: no runs\n", res_path(db));
    sqlite3_finalize(s);
    return st;
}
