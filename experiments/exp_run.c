/*
 * exp_run.c - running a validated experiment: forked workers, each with
 * its own database file, and the parent copying finished runs into the
 * target in point order.
 *
 * Why workers write their own files: SQLite has one writer at a time, and
 * a run is thousands of task rows; a worker writing into the target would
 * make the others wait, and a worker killed half-way would leave half a
 * run there.  The parent copies a run only once it is finished, strictly
 * in point order (a reorder buffer), so the target's run ids follow the
 * points whatever the number of workers, and records its point and
 * parameters in the same transaction.  Consecutive finished runs share
 * one transaction (committed every TXN_SECONDS): a commit costs more than
 * copying a small run, and a kill -9 at any moment still leaves whole
 * runs only, since a transaction holds whole runs.  The workers' files
 * are scratch (no fsync): nothing in them counts until it is copied.
 *
 * Protocol: the parent writes the index (in the list of points to run) of
 * a point to a worker's command pipe; the worker runs it into its file
 * and answers on its reply pipe.  End of the command pipe: the worker
 * exits.
 *
 * Ctrl-C: no point starts any more, the workers running one are signalled
 * (their runs end with status 'interrupted'), the parent waits for their
 * answers and records every answered point in order, the interrupted ones
 * included: the next sweep runs every point that is not 'ok'.
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

/* How long finished runs wait in the parent's open transaction: at 1 ms a
 * point, a hundred runs share a commit, and a kill loses at most this much
 * finished work. */
#define TXN_SECONDS 0.1
/* How long the parent waits after Ctrl-C for its workers to answer before
 * it kills them (a point stuck outside the simulation's loop). */
#define STOP_SECONDS 30.0

enum { PT_OK, PT_FAILED, PT_INTERRUPTED, PT_NORUN };

typedef struct reply {
    uint64_t k;               /* position in the list of points to run */
    int64_t run_id;           /* in the worker's database, -1 if none  */
    int32_t status;
    double wall_s;
    uint64_t n_tasks;
    uint64_t seed;            /* the scenario's seed                   */
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

/* ---- the scenario files, read once per process ---------------------------- */

static struct {
    char *path, *text;
    size_t len;
    struct stat sb;
} scn_text;

off_status exp_scenario_load(scn_scenario *s, const char *path, const scn_override *ov, size_t n,
                             off_err *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return scn_load(s, path, ov, n, err); /* its error names the file */
    if (!scn_text.path || strcmp(scn_text.path, path) != 0 || sb.st_dev != scn_text.sb.st_dev ||
        sb.st_ino != scn_text.sb.st_ino || sb.st_size != scn_text.sb.st_size ||
        sb.st_mtim.tv_sec != scn_text.sb.st_mtim.tv_sec ||
        sb.st_mtim.tv_nsec != scn_text.sb.st_mtim.tv_nsec) {
        char *text, *p = strdup(path);
        size_t len;
        off_status st = p ? off_read_file(path, &text, &len, err)
                          : off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
        if (st) {
            free(p);
            memset(s, 0, sizeof *s);
            return st;
        }
        free(scn_text.path);
        free(scn_text.text);
        scn_text.path = p;
        scn_text.text = text;
        scn_text.len = len;
        scn_text.sb = sb;
    }
    return scn_load_text(s, path, scn_text.text, scn_text.len, ov, n, err);
}

/* ---- identity ------------------------------------------------------------------ */

uint64_t exp_identity(const exp_experiment *e)
{
    const char *name = e->name ? e->name : "";
    uint64_t h = off_hash_bytes(name, strlen(name) + 1, 0);
    for (size_t c = 0; c < e->n_cols; c++)
        h = off_hash_bytes(e->cols[c], strlen(e->cols[c]) + 1, h);
    for (size_t i = 0; i < e->n_points; i++) {
        for (size_t c = 0; c < e->n_cols; c++) {
            const char *t = exp_cell(e, i, c)->text;
            h = off_hash_bytes(t, strlen(t) + 1, h);
        }
        h = off_hash_bytes(e->hash[i], strlen(e->hash[i]), h);
    }
    return h;
}

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

/* Mark run run_id of the target as point i of experiment exp_id, with
 * its parameters (the point's values, and its seed). */
static off_status mark_point(const exp_experiment *e, size_t i, res_db *db, int64_t exp_id,
                             int64_t run_id, uint64_t seed, off_err *err)
{
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
    off_status st = res_run_point(db, run_id, exp_id, (int64_t)i, e->hash[i], p, n, err);
    free(p);
    return st;
}

static void worker_main(const exp_experiment *e, const size_t *todo, const char *path, int cmd,
                        int res)
{
    res_db *db = NULL;
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
        r.seed = st ? 0 : s.seed;
        /* One connection for all the worker's points: its file is opened,
         * its statements prepared and its writer thread started once. */
        if (!st && !db && !(st = res_open(&db, path, &err)))
            st = res_scratch(db, &err);
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
        /* the point and its error are the parent's to record, in the
         * target's transaction: one transaction fewer here per point */
        if (r.run_id >= 0)
            r.status = !st ? PT_OK : off_interrupted() ? PT_INTERRUPTED : PT_FAILED;
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
    bool intr = r->status == PT_INTERRUPTED && off_interrupted();
    p->done++;
    p->tasks += r->n_tasks;
    if (r->status != PT_OK && !intr)
        p->failed++;
    if (p->o->quiet)
        return;
    if (p->o->bar) {
        if (r->status != PT_OK && !intr) {
            char vals[400];
            fprintf(stderr, "\r\033[Kpoint %zu failed (%s): %s\n", i,
                    exp_point_str(e, i, vals, sizeof vals), r->msg);
        }
        bar(p, false);
        return;
    }
    char vals[400];
    fprintf(p->o->out, "[%zu/%zu] point %zu %s %.3f s (%s)%s%s\n", p->done, p->total, i,
            r->status == PT_OK ? "ok" : intr ? "interrupted" : "FAILED", r->wall_s,
            exp_point_str(e, i, vals, sizeof vals), r->status == PT_OK ? "" : ": ",
            r->status == PT_OK ? "" : r->msg);
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

/* The points of the shard not yet ok in the target, into todo[*n]; the
 * target's id of the experiment into *exp_id. */
static off_status plan(const exp_experiment *e, const exp_run_opts *o, size_t *todo, size_t *n,
                       int64_t *exp_id, exp_run_stats *stats, off_err *err)
{
    res_db *db = NULL;
    size_t P = e->n_points, first = (size_t)((uint64_t)o->shard * P / o->n_shards),
           last = (size_t)((uint64_t)(o->shard + 1) * P / o->n_shards);
    off_status st = res_open(&db, o->db, err);
    if (!st)
        st = res_experiment_put_id(db, e->name, e->file, e->text, exp_identity(e), exp_id, err);
    if (!st) /* there also when every point is done already */
        st = res_points_view(db, e->name, err);
    *n = 0;
    stats->points = last - first;
    for (size_t i = first; i < last && !st; i++) {
        char status[16] = "";
        int64_t rid;
        if ((st = res_point_status(db, *exp_id, e->hash[i], status, &rid, err)))
            break;
        if (!strcmp(status, "ok"))
            stats->done_before++;
        else
            todo[(*n)++] = i;
    }
    res_close(db);
    return st;
}

/* The parent's state while the workers run. */
typedef struct sweep {
    const exp_experiment *e;
    const exp_run_opts *o;
    const size_t *todo;
    size_t n;                 /* points to run                               */
    reply *done;              /* answers by position, have[k] when there     */
    bool *have;
    worker *w;
    unsigned nw;
    res_db *db;               /* the target                                  */
    int64_t exp_id;
    size_t next;              /* the next point to hand out                  */
    size_t committed;         /* points [0, committed) recorded, reported    */
    double t_ready;           /* since when point `committed` is answered    */
    bool viewed;              /* the points view made                        */
    bool stopping;            /* interrupted: nothing more handed out        */
    bool broken;              /* the target failed: nothing more copied     */
    progress pr;
} sweep;

/* Copy every answered point from `committed` on, in point order, into the
 * target in one transaction, and report them.  All at once, when they are
 * answered: a transaction reads each worker's file as it was at its first
 * read (SQLite's snapshot), so a run finished later is not in it. */
static off_status flush(sweep *sw, off_err *err)
{
    size_t end = sw->committed;
    while (end < sw->n && sw->have[end])
        end++;
    off_status st = OFF_OK;
    bool txn = false;
    for (size_t k = sw->committed; k < end && !st; k++) {
        const reply *r = &sw->done[k];
        if (r->run_id < 0 || r->status == PT_NORUN)
            continue; /* nothing to record: it runs again next time */
        if (!txn && !(st = res_copy_begin(sw->db, err)))
            txn = true;
        int64_t run;
        if (!st && !(st = res_copy_run(sw->db, sw->w[r->wk].path, r->run_id, &run, err)) &&
            !(st = mark_point(sw->e, sw->todo[k], sw->db, sw->exp_id, run, r->seed, err)) &&
            r->status == PT_FAILED)
            st = res_run_fail(sw->db, run, r->msg, err);
    }
    if (txn && !st && !sw->viewed) {
        st = res_points_view(sw->db, sw->e->name, err);
        sw->viewed = !st;
    }
    if (txn)
        st = res_copy_end(sw->db, st, err);
    if (st) {
        sw->broken = true;
        return st;
    }
    for (; sw->committed < end; sw->committed++)
        finished(&sw->pr, sw->e, sw->todo[sw->committed], &sw->done[sw->committed]);
    sw->t_ready = 0;
    return OFF_OK;
}

/* Read the answers of the workers that have one (poll ready in pf). */
static void read_answers(sweep *sw, const struct pollfd *pf, const unsigned *map, nfds_t np)
{
    for (nfds_t q = 0; q < np; q++) {
        if (!(pf[q].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        worker *wk = &sw->w[map[q]];
        reply r;
        if (!get(wk->res, &r, sizeof r) || r.k != wk->k) {
            /* the worker died: its point is not recorded */
            close(wk->res);
            close(wk->cmd);
            wk->res = wk->cmd = -1;
            if (wk->busy) {
                sw->done[wk->k] = (reply){.k = wk->k, .run_id = -1, .status = PT_NORUN};
                snprintf(sw->done[wk->k].msg, sizeof sw->done[wk->k].msg, "its worker died");
                sw->have[wk->k] = true;
                sw->pr.running--;
            }
            wk->busy = false;
            continue;
        }
        wk->busy = false;
        sw->pr.running--;
        r.wk = map[q];
        sw->done[r.k] = r;
        sw->have[r.k] = true;
    }
}

/* The signal that stops the workers: the other one than the parent got.
 * off's handler lets a second signal of the same kind end a process, and
 * a terminal's Ctrl-C (or a kill of the process group) reaches the workers
 * as well as the parent. */
static int stop_signal(void)
{
    struct sigaction sa;
    sigaction(SIGINT, NULL, &sa);
    return sa.sa_handler == SIG_DFL ? SIGTERM : SIGINT;
}

static void signal_busy(const sweep *sw, int sig)
{
    for (unsigned k = 0; k < sw->nw; k++)
        if (sw->w[k].busy)
            kill(sw->w[k].pid, sig);
}

static bool any_busy(const sweep *sw)
{
    for (unsigned k = 0; k < sw->nw; k++)
        if (sw->w[k].busy)
            return true;
    return false;
}

/* Run the points until all are recorded or, after Ctrl-C, until every
 * running point has answered; the copy transaction is left open. */
static off_status run_points(sweep *sw, off_err *err)
{
    double t_stop = 0;
    struct pollfd pf[1024];
    unsigned map[1024];
    for (;;) {
        if (!sw->stopping && off_interrupted()) {
            sw->stopping = true;
            t_stop = off_wall_seconds();
            signal_busy(sw, stop_signal());
        }
        if (sw->stopping ? !any_busy(sw) : sw->committed == sw->n)
            return OFF_OK;
        if (!sw->stopping && !dispatch(sw->w, sw->nw, &sw->next, sw->n, &sw->pr))
            return off_errf(err, OFF_ERUNTIME, NULL, 0, 0, "every worker died");
        if (sw->o->bar && !sw->o->quiet)
            bar(&sw->pr, false);
        nfds_t np = 0;
        for (unsigned k = 0; k < sw->nw && np < 1024; k++)
            if (sw->w[k].res >= 0) {
                pf[np] = (struct pollfd){.fd = sw->w[k].res, .events = POLLIN};
                map[np++] = k;
            }
        int wait_ms = 250;
        if (sw->t_ready > 0) {
            double left = TXN_SECONDS - (off_wall_seconds() - sw->t_ready);
            wait_ms = left > 0 ? (int)(left * 1000) + 1 : 0;
        }
        int ready = poll(pf, np, wait_ms);
        if (ready < 0 && errno != EINTR)
            return off_errf(err, OFF_EIO, NULL, 0, 0, "poll: %s", strerror(errno));
        if (ready > 0)
            read_answers(sw, pf, map, np);
        /* the idle workers start their next points before the copies:
         * the copies then overlap the runs on another core */
        if (!sw->stopping && !off_interrupted())
            dispatch(sw->w, sw->nw, &sw->next, sw->n, &sw->pr);
        double now = off_wall_seconds();
        if (sw->t_ready == 0 && sw->committed < sw->n && sw->have[sw->committed])
            sw->t_ready = now;
        off_status st = OFF_OK;
        if (sw->t_ready > 0 && (now - sw->t_ready >= TXN_SECONDS || !any_busy(sw)))
            st = flush(sw, err);
        if (st)
            return st;
        if (sw->stopping && now - t_stop > STOP_SECONDS)
            signal_busy(sw, SIGKILL); /* their points come back as died */
    }
}

/* After Ctrl-C: name the points recorded 'interrupted' or not recorded on
 * stderr, and the error that sums it up. */
static off_status report_stop(const sweep *sw, const exp_run_stats *stats, off_err *err)
{
    size_t n_int = 0, lost = 0, named = 0;
    for (size_t k = 0; k < sw->committed; k++) {
        const reply *r = &sw->done[k];
        bool intr = r->status == PT_INTERRUPTED && r->run_id >= 0;
        if (!intr && r->status != PT_NORUN)
            continue;
        intr ? n_int++ : lost++;
        if (++named <= 20 && !sw->o->quiet) {
            char vals[400];
            fprintf(stderr, "interrupted: point %zu (%s) %s, runs again on resume\n",
                    sw->todo[k], exp_point_str(sw->e, sw->todo[k], vals, sizeof vals),
                    intr ? "recorded 'interrupted'" : "not recorded");
        }
    }
    if (named > 20 && !sw->o->quiet)
        fprintf(stderr, "interrupted: ... and %zu more\n", named - 20);
    return off_errf(err, OFF_ERUNTIME, NULL, 0, 0,
                    "interrupted: %zu of %zu points recorded: %zu ok, %zu failed, %zu "
                    "interrupted; %zu not recorded, %zu not started; the same sweep again runs "
                    "every point not ok",
                    stats->ok + stats->failed + n_int, sw->n, stats->ok, stats->failed, n_int,
                    lost, sw->n - sw->committed);
}

/* Start nw workers for sw; the count started into *started. */
static off_status start_workers(sweep *sw, const char *dir, unsigned *started, off_err *err)
{
    fflush(NULL);
    pid_t parent = getpid(); /* a worker whose parent is gone at once exits */
    worker *w = sw->w;
    for (unsigned k = 0; k < sw->nw; k++) {
        int c[2], r[2];
        w[k].cmd = w[k].res = -1;
        w[k].path = malloc(strlen(dir) + 32);
        *started = k + (w[k].path != NULL);
        if (!w[k].path || pipe(c) || pipe(r))
            return off_errf(err, OFF_EIO, NULL, 0, 0, "cannot start workers: %s",
                            strerror(errno));
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
             * runs are dropped), so that a sweep started right after never
             * meets them */
            prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
            if (getppid() != parent)
                _exit(0);
            worker_main(sw->e, sw->todo, w[k].path, c[0], r[1]);
            _exit(0);
        }
        close(c[0]);
        close(r[1]);
        if (pid < 0) {
            close(c[1]);
            close(r[0]);
            return off_errf(err, OFF_EIO, NULL, 0, 0, "cannot start workers: %s",
                            strerror(errno));
        }
        w[k] = (worker){pid, c[1], r[0], w[k].path, false, 0};
    }
    return OFF_OK;
}

/* The lock of dir (one sweep at a time per database: the worker files are
 * its own) into *fd. */
static off_status lock_dir(const char *db, const char *dir, int *fd, off_err *err)
{
    char lock_path[4200];
    snprintf(lock_path, sizeof lock_path, "%s/lock", dir);
    *fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (*fd < 0)
        return off_errf(err, OFF_EIO, NULL, 0, 0, "%s: %s", lock_path, strerror(errno));
    if (flock(*fd, LOCK_EX | LOCK_NB))
        return off_errf(err, OFF_ERUNTIME, NULL, 0, 0,
                        "%s: another offsim sweep is writing this database (its workers' "
                        "files are in %s); wait for it, or give another --db", db, dir);
    return OFF_OK;
}

off_status exp_run(const exp_experiment *e, const exp_run_opts *o, exp_run_stats *stats,
                   off_err *err)
{
    memset(stats, 0, sizeof *stats);
    sweep sw = {.e = e, .o = o};
    size_t *todo = calloc(e->n_points + 1, sizeof *todo);
    unsigned started = 0;
    char *dir = NULL;
    int lock_fd = -1;
    if (!todo)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    sw.todo = todo;
    off_status st = plan(e, o, todo, &sw.n, &sw.exp_id, stats, err);
    if (st)
        goto out;
    if (!o->quiet) {
        if (stats->done_before)
            fprintf(o->out, "%zu of %zu points already done, running %zu\n", stats->done_before,
                    stats->points, sw.n);
        else
            fprintf(o->out, "running %zu point%s\n", sw.n, sw.n == 1 ? "" : "s");
        fflush(o->out);
    }
    if (sw.n == 0)
        goto out;
    sw.nw = o->jobs < sw.n ? o->jobs : (unsigned)sw.n;
    sw.nw = sw.nw ? sw.nw : 1;
    sw.done = calloc(sw.n, sizeof *sw.done);
    sw.have = calloc(sw.n, sizeof *sw.have);
    sw.w = calloc(sw.nw, sizeof *sw.w);
    dir = malloc(strlen(o->db) + 8);
    if (!sw.done || !sw.have || !sw.w || !dir) {
        st = off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
        goto out;
    }
    sprintf(dir, "%s.sweep", o->db);
    if (mkdir(dir, 0777) && errno != EEXIST) {
        st = off_errf(err, OFF_EIO, NULL, 0, 0, "%s: cannot create: %s", dir, strerror(errno));
        goto out;
    }
    if ((st = lock_dir(o->db, dir, &lock_fd, err)))
        goto out;
    clean_dir(dir, sw.nw > 64 ? sw.nw : 64, false);
    st = start_workers(&sw, dir, &started, err);
    if (!st)
        st = res_open(&sw.db, o->db, err);
    if (st)
        goto out;
    sw.pr = (progress){.o = o, .total = sw.n, .t0 = off_wall_seconds()};
    st = run_points(&sw, err);
    /* what is answered is recorded, after an error too ("every worker
     * died"), unless it is the target's own error */
    if (!sw.broken) {
        off_err e2 = {0};
        off_status fst = flush(&sw, &e2);
        if (!st && fst) {
            st = fst;
            *err = e2;
        }
    }
    if (o->bar && !o->quiet && sw.pr.drawn)
        bar(&sw.pr, true);
    for (size_t k = 0; k < sw.committed; k++) {
        int s = sw.done[k].status;
        if (s == PT_OK)
            stats->ok++;
        else if (!(sw.stopping && (s == PT_INTERRUPTED || s == PT_NORUN)))
            stats->failed++;
    }
    if (sw.stopping) {
        stats->interrupted = true;
        if (!st)
            st = report_stop(&sw, stats, err);
    }
out:
    res_close(sw.db);
    for (unsigned k = 0; k < started; k++) {
        if (sw.w[k].cmd >= 0)
            close(sw.w[k].cmd);
        if (sw.w[k].res >= 0)
            close(sw.w[k].res);
    }
    for (unsigned k = 0; k < started; k++) {
        if (sw.w[k].pid > 0) {
            int ws;
            while (waitpid(sw.w[k].pid, &ws, 0) < 0 && errno == EINTR)
                ;
        }
        free(sw.w[k].path);
    }
    if (dir && lock_fd >= 0)
        clean_dir(dir, sw.nw > 64 ? sw.nw : 64, true);
    if (lock_fd >= 0)
        close(lock_fd);
    free(dir);
    free(sw.w);
    free(sw.done);
    free(sw.have);
    free(todo);
    return st;
}
