/*
 * exp_run.c - running a validated experiment: forked workers, each with
 * its own database file, and the parent copying finished runs into the
 * target in point order.
 *
 * Why workers write their own files: SQLite has one writer at a time, and
 * a run is thousands of task rows; a worker writing into the target would
 * make the others wait, and a worker killed half-way would leave half a
 * run there.  The parent copies a run only once it is finished, in one
 * transaction (res_copy_run), and strictly in point order (a reorder
 * buffer), so the target's run ids follow the points whatever the number
 * of workers, and a kill -9 at any moment leaves only whole runs.
 *
 * Protocol: the parent writes the index (in the list of points to run) of
 * a point to a worker's command pipe; the worker runs it into its file,
 * marks it with its point and parameters (res_run_point), and answers on
 * its reply pipe.  End of the command pipe: the worker exits.
 */
#define _POSIX_C_SOURCE 200809L
#include "exp.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "res.h"
#include "sim.h"

enum { PT_OK, PT_FAILED, PT_INTERRUPTED, PT_NORUN };

typedef struct reply {
    uint64_t k;               /* position in the list of points to run */
    int64_t run_id;           /* in the worker's database, -1 if none  */
    int32_t status;
    double wall_s;
    uint64_t n_tasks;
    char msg[1024];
    uint32_t wk;              /* the worker that ran it (parent's note) */
} reply;

typedef struct worker {
    pid_t pid;
    int cmd, res;             /* parent's ends, -1 when closed          */
    char *path;               /* its database                           */
    bool busy;
    uint64_t k;
} worker;

/* Whole writes and reads on pipes (a reply fits in PIPE_BUF). */
static bool put(int fd, const void *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p = (const char *)p + w;
        n -= (size_t)w;
    }
    return true;
}

static bool get(int fd, void *p, size_t n)
{
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        p = (char *)p + r;
        n -= (size_t)r;
    }
    return true;
}

/* Mark run run_id of the worker's database as point i with its params. */
static off_status mark_point(const exp_experiment *e, size_t i, res_db *db, int64_t *exp_id,
                             int64_t run_id, uint64_t seed, off_err *err)
{
    off_status st = OFF_OK;
    if (*exp_id < 0 && (st = res_experiment_put(db, e->name, e->file, e->text, exp_id, err)))
        return st;
    res_param *p = calloc(e->n_cols + 1, sizeof *p);
    if (!p)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    size_t n = 0;
    bool has_seed = false;
    for (size_t c = 0; c < e->n_cols; c++) {
        const exp_val *v = exp_cell(e, i, c);
        p[n++] = (res_param){e->cols[c], v->text, v->num};
        has_seed = has_seed || !strcmp(e->cols[c], "seed");
    }
    char seed_text[32];
    if (!has_seed) { /* the scenario's own seed: every run knows its seed */
        snprintf(seed_text, sizeof seed_text, "%llu", (unsigned long long)seed);
        p[n++] = (res_param){"seed", seed_text, (double)seed};
    }
    st = res_run_point(db, run_id, *exp_id, (int64_t)i, e->hash[i], p, n, err);
    free(p);
    return st;
}

static void worker_main(const exp_experiment *e, const size_t *todo, const char *path, int cmd,
                        int res)
{
    res_db *db = NULL;
    int64_t exp_id = -1;
    uint64_t k;
    while (!off_interrupted() && get(cmd, &k, sizeof k)) {
        size_t i = todo[k];
        reply r = {.k = k, .run_id = -1, .status = PT_NORUN};
        off_err err = {0};
        scn_scenario s;
        res_summary sum = {0};
        double t0 = off_wall_seconds();
        off_status st = exp_point_load(e, i, &s, &err);
        bool loaded = !st;
        uint64_t seed = st ? 0 : s.seed;
        /* One connection for all the worker's points: its file is opened,
         * its statements prepared and its writer thread started once. */
        if (!st && !db)
            st = res_open(&db, path, &err);
        if (!st)
            st = sim_run_scenario_db(&s, db, &sum, &r.run_id, &err);
        /* Fault injection for the tests: nothing in a validated point is
         * sure to fail at run time, so OFFSIM_SWEEP_FAULT=K fails point K
         * after its run (recorded 'failed' like any run-time error). */
        const char *fault = getenv("OFFSIM_SWEEP_FAULT");
        if (!st && fault && *fault && strtoull(fault, NULL, 10) == (unsigned long long)i)
            st = off_errf(&err, OFF_ERUNTIME, NULL, 0, 0,
                          "injected failure of point %zu (OFFSIM_SWEEP_FAULT)", i);
        r.wall_s = off_wall_seconds() - t0;
        r.n_tasks = sum.n_tasks;
        snprintf(r.msg, sizeof r.msg, "%s", err.msg);
        if (r.run_id >= 0) {
            off_err e2 = {0};
            r.status = off_interrupted() ? PT_INTERRUPTED : st ? PT_FAILED : PT_OK;
            if (mark_point(e, i, db, &exp_id, r.run_id, seed, &e2) ||
                     (r.status == PT_FAILED && res_run_fail(db, r.run_id, err.msg, &e2)))
                r.status = PT_NORUN;
            if (r.status == PT_NORUN)
                snprintf(r.msg, sizeof r.msg, "%s", e2.msg);
        }
        if (loaded)
            scn_free(&s);
        if (!put(res, &r, sizeof r))
            break;
    }
    res_close(db);
}

/* Remove the worker files of dir (from this sweep or a killed one), and
 * at the end dir itself. */
static void clean_dir(const char *dir, unsigned n, bool end)
{
    static const char *const sfx[] = {"", "-wal", "-shm", "-lock", "-journal"};
    char p[4096];
    for (unsigned w = 0; w < n; w++)
        for (size_t s = 0; s < OFF_COUNT(sfx); s++) {
            snprintf(p, sizeof p, "%s/worker-%u.db%s", dir, w, sfx[s]);
            unlink(p);
        }
    if (end) {
        snprintf(p, sizeof p, "%s/lock", dir);
        unlink(p);
        rmdir(dir);
    }
}

typedef struct progress {
    const exp_run_opts *o;
    size_t total, done, failed, running;
    uint64_t tasks;
    double t0;
    bool drawn;
} progress;

/* "12.3 s", "4:05", "1:02:03" */
static const char *hms(double s, char *buf, size_t cap)
{
    if (!(s >= 0) || s > 1e9)
        snprintf(buf, cap, "?");
    else if (s < 60)
        snprintf(buf, cap, "%.1f s", s);
    else if (s < 3600)
        snprintf(buf, cap, "%d:%02d", (int)s / 60, (int)s % 60);
    else
        snprintf(buf, cap, "%d:%02d:%02d", (int)s / 3600, (int)s / 60 % 60, (int)s % 60);
    return buf;
}

static void bar(progress *p, bool last)
{
    double el = off_wall_seconds() - p->t0;
    double eta = p->done ? el / (double)p->done * (double)(p->total - p->done) : NAN;
    int width = 24, fill = p->total ? (int)(width * p->done / p->total) : width;
    char a[32], b[32];
    fprintf(stderr, "\r[%.*s%*s] %zu/%zu  running %zu  failed %zu  elapsed %s  ETA %s  %.0f tasks/s\033[K%s",
            fill, "########################", width - fill, "", p->done, p->total, p->running,
            p->failed, hms(el, a, sizeof a), p->done ? hms(eta, b, sizeof b) : "?",
            el > 0 ? (double)p->tasks / el : 0.0, last ? "\n" : "");
    fflush(stderr);
    p->drawn = true;
}

static void finished(progress *p, const exp_experiment *e, size_t i, const reply *r)
{
    p->done++;
    p->tasks += r->n_tasks;
    if (r->status != PT_OK)
        p->failed++;
    if (p->o->quiet)
        return;
    if (p->o->bar) {
        if (r->status != PT_OK) {
            char vals[400];
            fprintf(stderr, "\r\033[Kpoint %zu failed (%s): %s\n", i,
                    exp_point_str(e, i, vals, sizeof vals), r->msg);
        }
        bar(p, false);
        return;
    }
    char vals[400];
    fprintf(p->o->out, "[%zu/%zu] point %zu %s %.3f s (%s)%s%s\n", p->done, p->total, i,
            r->status == PT_OK ? "ok" : "FAILED", r->wall_s, exp_point_str(e, i, vals, sizeof vals),
            r->status == PT_OK ? "" : ": ", r->status == PT_OK ? "" : r->msg);
    fflush(p->o->out);
}

/* Give each idle worker the next point, if any; the count of live
 * workers. */
static size_t dispatch(worker *w, unsigned nw, size_t *next, size_t n, progress *pr)
{
    size_t alive = 0;
    for (unsigned k = 0; k < nw; k++) {
        if (w[k].res < 0)
            continue;
        alive++;
        if (!w[k].busy && *next < n) {
            uint64_t kk = *next;
            if (put(w[k].cmd, &kk, sizeof kk)) {
                w[k].busy = true;
                w[k].k = (*next)++;
                pr->running++;
            }
        }
    }
    return alive;
}

/* After Ctrl-C: name the points that were running, or finished after one
 * that was (not recorded: the target holds whole runs in point order
 * only), on stderr; their count. */
static size_t report_dropped(const exp_experiment *e, const exp_run_opts *o, const size_t *todo,
                             size_t n, size_t copied, const bool *have, const worker *w,
                             unsigned nw)
{
    size_t count = 0;
    for (size_t k = copied; k < n; k++) {
        bool running = false;
        for (unsigned j = 0; j < nw && !running; j++)
            running = w[j].busy && w[j].k == k;
        if (!running && !have[k])
            continue;
        if (++count <= 20 && !o->quiet) {
            char vals[400];
            fprintf(stderr, "interrupted: point %zu (%s) not recorded, runs on resume\n", todo[k],
                    exp_point_str(e, todo[k], vals, sizeof vals));
        }
    }
    if (count > 20 && !o->quiet)
        fprintf(stderr, "interrupted: ... and %zu more\n", count - 20);
    return count;
}

/* The points of the shard not yet ok in the target, into todo[*n]. */
static off_status plan(const exp_experiment *e, const exp_run_opts *o, size_t *todo, size_t *n,
                       exp_run_stats *stats, off_err *err)
{
    res_db *db = NULL;
    int64_t exp_id;
    size_t P = e->n_points, first = (size_t)((uint64_t)o->shard * P / o->n_shards),
           last = (size_t)((uint64_t)(o->shard + 1) * P / o->n_shards);
    off_status st = res_open(&db, o->db, err);
    if (!st)
        st = res_experiment_put(db, e->name, e->file, e->text, &exp_id, err);
    *n = 0;
    stats->points = last - first;
    for (size_t i = first; i < last && !st; i++) {
        char status[16] = "";
        int64_t rid;
        if ((st = res_point_status(db, exp_id, e->hash[i], status, &rid, err)))
            break;
        if (!strcmp(status, "ok"))
            stats->done_before++;
        else
            todo[(*n)++] = i;
    }
    res_close(db);
    return st;
}

off_status exp_run(const exp_experiment *e, const exp_run_opts *o, exp_run_stats *stats,
                   off_err *err)
{
    memset(stats, 0, sizeof *stats);
    size_t *todo = calloc(e->n_points + 1, sizeof *todo), n = 0;
    reply *done = NULL;
    bool *have = NULL;
    worker *w = NULL;
    unsigned nw = 0;
    res_db *db = NULL;
    char *dir = NULL;
    int lock_fd = -1;
    if (!todo)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    off_status st = plan(e, o, todo, &n, stats, err);
    if (st)
        goto out;
    if (!o->quiet) {
        if (stats->done_before)
            fprintf(o->out, "%zu of %zu points already done, running %zu\n", stats->done_before,
                    stats->points, n);
        else
            fprintf(o->out, "running %zu point%s\n", n, n == 1 ? "" : "s");
        fflush(o->out);
    }
    if (n == 0)
        goto out;
    nw = o->jobs < n ? o->jobs : (unsigned)n;
    nw = nw ? nw : 1;
    done = calloc(n, sizeof *done);
    have = calloc(n, sizeof *have);
    w = calloc(nw, sizeof *w);
    dir = malloc(strlen(o->db) + 8);
    if (!done || !have || !w || !dir) {
        st = off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
        nw = 0;
        goto out;
    }
    sprintf(dir, "%s.sweep", o->db);
    if (mkdir(dir, 0777) && errno != EEXIST) {
        st = off_errf(err, OFF_EIO, NULL, 0, 0, "%s: cannot create: %s", dir, strerror(errno));
        nw = 0;
        goto out;
    }
    /* one sweep at a time per database: the worker files are its own */
    char lock_path[4200];
    snprintf(lock_path, sizeof lock_path, "%s/lock", dir);
    lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB)) {
        if (lock_fd < 0)
            st = off_errf(err, OFF_EIO, NULL, 0, 0, "%s: %s", lock_path, strerror(errno));
        else
            st = off_errf(err, OFF_ERUNTIME, NULL, 0, 0,
                          "%s: another offsim sweep is writing this database (its workers' "
                          "files are in %s); wait for it, or give another --db", o->db, dir);
        nw = 0;
        goto out;
    }
    clean_dir(dir, nw > 64 ? nw : 64, false);
    fflush(NULL);
    pid_t parent = getpid(); /* a worker whose parent is gone at once exits */
    for (unsigned k = 0; k < nw; k++) {
        int c[2], r[2];
        w[k].cmd = w[k].res = -1;
        w[k].path = malloc(strlen(dir) + 32);
        if (!w[k].path || pipe(c) || pipe(r)) {
            st = off_errf(err, OFF_EIO, NULL, 0, 0, "cannot start workers: %s", strerror(errno));
            nw = k + (w[k].path != NULL);
            goto out;
        }
        sprintf(w[k].path, "%s/worker-%u.db", dir, k);
        pid_t pid = fork();
        if (pid == 0) {
            close(c[1]);
            close(r[0]);
            for (unsigned j = 0; j < k; j++) { /* the other workers' pipes */
                close(w[j].cmd);
                close(w[j].res);
            }
            signal(SIGPIPE, SIG_DFL);
#ifdef __linux__
            /* a parent killed with -9 stops its workers at once (their
             * runs are dropped like those of Ctrl-C), so that a sweep
             * started right after never meets them */
            prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
            if (getppid() != parent)
                _exit(0);
            worker_main(e, todo, w[k].path, c[0], r[1]);
            _exit(0);
        }
        close(c[0]);
        close(r[1]);
        if (pid < 0) {
            close(c[1]);
            close(r[0]);
            st = off_errf(err, OFF_EIO, NULL, 0, 0, "cannot start workers: %s", strerror(errno));
            nw = k + 1;
            goto out;
        }
        w[k] = (worker){pid, c[1], r[0], w[k].path, false, 0};
    }
    if ((st = res_open(&db, o->db, err)))
        goto out;

    progress pr = {.o = o, .total = n, .t0 = off_wall_seconds()};
    size_t next = 0, copied = 0;
    struct pollfd pf[1024];
    while (copied < n && !off_interrupted()) {
        if (!dispatch(w, nw, &next, n, &pr)) {
            st = off_errf(err, OFF_ERUNTIME, NULL, 0, 0, "every worker died");
            break;
        }
        if (o->bar && !o->quiet)
            bar(&pr, false);
        nfds_t np = 0;
        unsigned map[1024];
        for (unsigned k = 0; k < nw && np < 1024; k++)
            if (w[k].res >= 0) {
                pf[np] = (struct pollfd){.fd = w[k].res, .events = POLLIN};
                map[np++] = k;
            }
        int pr_n = poll(pf, np, 250);
        if (pr_n < 0 && errno != EINTR) {
            st = off_errf(err, OFF_EIO, NULL, 0, 0, "poll: %s", strerror(errno));
            break;
        }
        for (nfds_t q = 0; pr_n > 0 && q < np; q++) {
            if (!(pf[q].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            worker *wk = &w[map[q]];
            reply r;
            if (!get(wk->res, &r, sizeof r) || r.k != wk->k) {
                /* the worker died: its point is failed, not recorded */
                close(wk->res);
                close(wk->cmd);
                wk->res = wk->cmd = -1;
                if (wk->busy && !off_interrupted()) {
                    done[wk->k] = (reply){.k = wk->k, .run_id = -1, .status = PT_NORUN};
                    snprintf(done[wk->k].msg, sizeof done[wk->k].msg, "its worker died");
                    have[wk->k] = true;
                    pr.running--;
                }
                wk->busy = false;
                continue;
            }
            wk->busy = false;
            pr.running--;
            r.wk = map[q];
            done[r.k] = r;
            have[r.k] = true;
        }
        /* the idle workers start their next points before the copies:
         * the copies then overlap the runs on another core */
        if (!off_interrupted())
            dispatch(w, nw, &next, n, &pr);
        /* copy in point order what is finished (after Ctrl-C too, up to
         * the first point it interrupted: whole runs, in order) */
        while (copied < n && have[copied]) {
            reply *r = &done[copied];
            if (r->status == PT_INTERRUPTED && off_interrupted())
                break; /* not copied: it runs again on resume */
            if (r->status == PT_INTERRUPTED) { /* a worker stopped alone */
                r->status = PT_NORUN;
                snprintf(r->msg, sizeof r->msg, "its worker was interrupted");
            }
            if (r->run_id >= 0 && r->status != PT_NORUN) {
                int64_t new_run;
                off_err e2 = {0};
                if (res_copy_run(db, w[r->wk].path, r->run_id,
                                 &new_run, &e2)) {
                    st = off_errf(err, e2.status, NULL, 0, 0, "%s", e2.msg);
                    goto stop;
                }
            }
            finished(&pr, e, todo[copied], r);
            copied++;
        }
    }
stop:
    if (o->bar && !o->quiet && pr.drawn)
        bar(&pr, true);
    for (size_t k = 0; k < copied; k++)
        done[k].status == PT_OK ? stats->ok++ : stats->failed++;
    if (off_interrupted()) {
        stats->interrupted = true;
        for (unsigned k = 0; k < nw; k++)
            if (w[k].busy)
                kill(w[k].pid, SIGTERM);
        size_t dropped = report_dropped(e, o, todo, n, copied, have, w, nw);
        if (!st)
            st = off_errf(err, OFF_ERUNTIME, NULL, 0, 0,
                          "interrupted: %zu of %zu points recorded, %zu interrupted and not "
                          "recorded, %zu not started; the same sweep again runs only those",
                          copied, n, dropped, n - copied - dropped);
    }
out:
    res_close(db);
    for (unsigned k = 0; k < nw; k++) {
        if (w[k].cmd >= 0)
            close(w[k].cmd);
        if (w[k].res >= 0)
            close(w[k].res);
    }
    for (unsigned k = 0; k < nw; k++) {
        if (w[k].pid > 0) {
            int ws;
            while (waitpid(w[k].pid, &ws, 0) < 0 && errno == EINTR)
                ;
        }
        free(w[k].path);
    }
    if (dir && nw)
        clean_dir(dir, nw > 64 ? nw : 64, true);
    if (lock_fd >= 0)
        close(lock_fd);
    free(dir);
    free(w);
    free(done);
    free(have);
    free(todo);
    return st;
}
