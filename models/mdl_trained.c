/* mdl_trained.c - a trained zoo model for the simulator.  See mdl_trained.h. */
#define _POSIX_C_SOURCE 200809L
#include "mdl_trained.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mdl_infer.h"
#include "mdl_qgraph.h"

/* What a shared model is found by: the zoo name, the weights file as
 * named and as it is on disk (a rewritten file has another size or mtime,
 * and is loaded anew), and whether the cache persists. */
typedef struct mdl_trained_key {
    char name[64];
    char path[4096];
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    bool use_cache;
} mdl_trained_key;

struct mdl_trained {
    mdl_graph g;
    mdl_qgraph *q;
    mdl_qctx *ctx;
    mdl_dataset test;
    mdl_model model;
    mdl_cache *cache;
    double *payload_mean;   /* mdl_trained_payload_mean, once computed */
    mdl_qresult *cells;     /* fill_image's answers, (L + 1) * N_BITS */
    int64_t last_miss;      /* the image of the last fill, -1 before */
    char warning[1100];
    /* In the process-wide registry (mdl_trained_acquire) or not. */
    bool shared;
    unsigned refs;          /* acquires not yet released */
    mdl_trained_key key;
    mdl_trained *next;
};

static const int BITS[] = {2, 4, 6, 8, 32};
#define N_BITS (sizeof BITS / sizeof BITS[0])

static int bits_index(int bits)
{
    for (size_t k = 0; k < N_BITS; k++)
        if (BITS[k] == bits)
            return (int)k;
    return -1;
}

static void to_rec(const mdl_trained *t, const mdl_qresult *r, mdl_cache_rec *out)
{
    memset(out, 0, sizeof *out);
    out->payload = r->payload;
    for (size_t e = 0; e < t->g.spec->n_exits; e++) {
        out->pred[e] = r->pred[e];
        out->max_prob[e] = r->max_prob[e];
        out->entropy[e] = r->entropy[e];
    }
}

/* Every record of one image into the cache from cells (as
 * mdl_qgraph_infer_all fills them), except (split, bits_idx) = want, which
 * goes to *out (want_split > L: none).  Split L is kept at bits index 0
 * only, as mdl_trained_get asks. */
static void put_image(mdl_trained *t, uint32_t sample, const mdl_qresult *cells,
                      uint32_t want_split, uint32_t want_k, mdl_cache_rec *out)
{
    size_t L = t->g.spec->n_layers;
    for (uint32_t s = 0; s <= L; s++)
        for (uint32_t k = 0; k < (s < L ? N_BITS : 1); k++) {
            mdl_cache_rec r;
            to_rec(t, &cells[s * N_BITS + k], &r);
            if (s == want_split && k == want_k)
                *out = r;
            else
                mdl_cache_put(t->cache, sample, s, k, &r);
        }
}

static const uint8_t *image_of(const mdl_trained *t, size_t sample)
{
    return t->test.images + sample * t->test.rows * t->test.cols;
}

/* Every record of one image at once (mdl_qgraph_infer_all). */
static off_status fill_image(mdl_trained *t, uint32_t sample, uint32_t want_split,
                             uint32_t want_k, mdl_cache_rec *out, off_err *err)
{
    off_status st = mdl_qgraph_infer_all(t->q, t->ctx, image_of(t, sample), BITS, N_BITS,
                                         t->cells, err);
    if (!st)
        put_image(t, sample, t->cells, want_split, want_k, out);
    return st;
}

/* The cache's fill.  One record costs a forward pass; all of an image's
 * (split, bits) cost about half of what they cost one by one (the
 * device's layers run once, an intact tensor needs no server run), which
 * pays when they are all wanted, as by the oracle, and not when one is, as
 * by a random policy.  So a second miss in a row on the same image takes
 * the rest of the image with it. */
static off_status fill(void *ud, uint32_t sample, uint32_t split, uint32_t bits_idx,
                       mdl_cache_rec *out, off_err *err)
{
    mdl_trained *t = ud;
    bool again = t->last_miss == (int64_t)sample;
    t->last_miss = sample;
    if (again && split < t->g.spec->n_layers)
        return fill_image(t, sample, split, bits_idx, out, err);
    mdl_qresult r;
    off_status st =
        mdl_qgraph_infer(t->q, t->ctx, image_of(t, sample), split, BITS[bits_idx], &r, err);
    if (st)
        return st;
    to_rec(t, &r, out);
    return OFF_OK;
}

/* A threaded fill: the images in todo, taken one at a time from a shared
 * counter by every worker, each with its own scratch context and answer
 * buffer.  A worker computes an image's records without the lock and
 * hands them to the cache under it; the records do not depend on which
 * worker computed them, nor on the order they arrive in (mdl_cache_put
 * keeps them by key), so the table is the same whatever the thread
 * count.  After a failure the workers stop at their next image; the first
 * failure is the one reported. */
typedef struct fill_job {
    mdl_trained *t;
    const uint32_t *todo;
    size_t n_todo;
    bool whole;              /* every record of an image, else split L only */
    atomic_size_t next;      /* next index into todo */
    atomic_bool failed;
    pthread_mutex_t lock;    /* the cache, st and err */
    off_status st;
    off_err err;
} fill_job;

static void fill_fail(fill_job *j, off_status st, const off_err *err)
{
    pthread_mutex_lock(&j->lock);
    if (!j->st) {
        j->st = st;
        j->err = *err;
    }
    atomic_store(&j->failed, true);
    pthread_mutex_unlock(&j->lock);
}

static void *fill_worker(void *arg)
{
    fill_job *j = arg;
    mdl_trained *t = j->t;
    size_t L = t->g.spec->n_layers;
    off_err err = {0};
    mdl_qctx *ctx = mdl_qctx_new(t->q);
    mdl_qresult *cells = malloc((L + 1) * N_BITS * sizeof *cells);
    if (!ctx || !cells) {
        off_status st = off_errf(&err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
        fill_fail(j, st, &err);
    }
    while (ctx && cells && !atomic_load(&j->failed)) {
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->n_todo)
            break;
        uint32_t sample = j->todo[i];
        off_status st;
        if (j->whole) {
            st = mdl_qgraph_infer_all(t->q, ctx, image_of(t, sample), BITS, N_BITS, cells, &err);
        } else {
            st = mdl_qgraph_infer(t->q, ctx, image_of(t, sample), L, BITS[0], &cells[0], &err);
        }
        if (st) {
            fill_fail(j, st, &err);
            break;
        }
        pthread_mutex_lock(&j->lock);
        if (j->whole) {
            put_image(t, sample, cells, UINT32_MAX, 0, NULL);
        } else {
            mdl_cache_rec r;
            to_rec(t, &cells[0], &r);
            mdl_cache_put(t->cache, sample, (uint32_t)L, 0, &r);
        }
        pthread_mutex_unlock(&j->lock);
    }
    free(cells);
    mdl_qctx_free(ctx);
    return NULL;
}

static size_t online_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (size_t)n : 1;
}

/* Run fill_job over todo on `threads` workers (0 = one per online core;
 * 1 = in the calling thread). */
static off_status fill_run(mdl_trained *t, const uint32_t *todo, size_t n_todo, bool whole,
                           size_t threads, off_err *err)
{
    fill_job j = {.t = t, .todo = todo, .n_todo = n_todo, .whole = whole};
    atomic_init(&j.next, 0);
    atomic_init(&j.failed, false);
    if (pthread_mutex_init(&j.lock, NULL))
        return off_errf(err, OFF_ERUNTIME, NULL, 0, 0, "cannot create a mutex");
    threads = threads ? threads : online_cores();
    threads = threads < n_todo ? threads : n_todo;
    threads = threads < MDL_TRAINED_FILL_MAX_THREADS ? threads : MDL_TRAINED_FILL_MAX_THREADS;
    pthread_t tid[MDL_TRAINED_FILL_MAX_THREADS];
    size_t started = 0;
    /* the calling thread is worker 0: one thread needs no other */
    for (size_t w = 1; w < threads; w++, started++)
        if (pthread_create(&tid[started], NULL, fill_worker, &j))
            break; /* fewer workers: the same records, later */
    if (n_todo)
        fill_worker(&j);
    for (size_t w = 0; w < started; w++)
        pthread_join(tid[w], NULL);
    pthread_mutex_destroy(&j.lock);
    if (j.st)
        *err = j.err;
    return j.st;
}

/* Whether every record of image i is in the cache. */
static bool image_complete(const mdl_trained *t, uint32_t i)
{
    size_t L = t->g.spec->n_layers;
    bool whole = mdl_cache_has(t->cache, i, (uint32_t)L, 0);
    for (size_t k = 0; k < L * N_BITS && whole; k++)
        whole = mdl_cache_has(t->cache, i, (uint32_t)(k / N_BITS), (uint32_t)(k % N_BITS));
    return whole;
}

/* The images of [first, first + n) (clipped to the test set) lacking a
 * record, whole: any of theirs, else the one at split L; in *todo
 * (malloc'd, NULL when none). */
static off_status images_to_fill(const mdl_trained *t, size_t first, size_t n, bool whole,
                                 uint32_t **todo, size_t *n_todo, off_err *err)
{
    size_t N = t->test.n, L = t->g.spec->n_layers;
    first = first < N ? first : N;
    n = n < N - first ? n : N - first;
    *todo = NULL;
    *n_todo = 0;
    if (n == 0)
        return OFF_OK;
    uint32_t *list = malloc(n * sizeof *list);
    if (!list)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t i = first; i < first + n; i++)
        if (whole ? !image_complete(t, (uint32_t)i)
                  : !mdl_cache_has(t->cache, (uint32_t)i, (uint32_t)L, 0))
            list[(*n_todo)++] = (uint32_t)i;
    *todo = list;
    return OFF_OK;
}

static off_status fill_range(mdl_trained *t, size_t first, size_t n, bool whole,
                             size_t threads, off_err *err)
{
    uint32_t *todo;
    size_t n_todo;
    off_status st = images_to_fill(t, first, n, whole, &todo, &n_todo, err);
    if (!st && n_todo)
        st = fill_run(t, todo, n_todo, whole, threads, err);
    free(todo);
    return st;
}

off_status mdl_trained_fill_threads(mdl_trained *t, size_t first, size_t n, size_t threads,
                                    off_err *err)
{
    return fill_range(t, first, n, true, threads, err);
}

off_status mdl_trained_fill(mdl_trained *t, size_t first, size_t n, off_err *err)
{
    return fill_range(t, first, n, true, 0, err);
}

bool mdl_trained_complete(const mdl_trained *t)
{
    for (size_t i = 0; i < t->test.n; i++)
        if (!image_complete(t, (uint32_t)i))
            return false;
    return true;
}

off_status mdl_trained_get(mdl_trained *t, size_t sample, size_t split, int bits,
                           mdl_cache_rec *r, off_err *err)
{
    int k = bits_index(bits);
    size_t L = t->g.spec->n_layers;
    if (k < 0 || sample >= t->test.n || split > L)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "model '%s': no answer for sample %zu, split %zu, %d bits",
                        t->g.spec->name, sample, split, bits);
    if (split == L) /* nothing sent: every bit-width gives the same record */
        k = 0;
    return mdl_cache_get(t->cache, (uint32_t)sample, (uint32_t)split, (uint32_t)k, r, err);
}

static void weights_file(char *buf, size_t cap, const mdl_gspec *sp, const char *weights_path,
                         const char *zoo_dir)
{
    if (weights_path)
        snprintf(buf, cap, "%s", weights_path);
    else
        snprintf(buf, cap, "%s/%s", zoo_dir, sp->weights);
}

/* mdl_trained_open, and with fill (mdl_trained_open_filled) every record
 * computed on `threads` threads before the accuracy pass, which then only
 * looks records up. */
static off_status open_model(mdl_trained **out, const char *name, const char *weights_path,
                             const char *zoo_dir, bool use_cache, bool fill_all,
                             size_t threads, const char **warning, off_err *err)
{
    *out = NULL;
    if (warning)
        *warning = NULL;
    const mdl_gspec *sp = mdl_zoo_graph(name);
    if (!sp)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0, "no trained model '%s' in the zoo", name);
    mdl_trained *t = calloc(1, sizeof *t);
    if (!t)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    char path[4096];
    weights_file(path, sizeof path, sp, weights_path, zoo_dir);
    mdl_dataset train = {0};
    off_status st = mdl_graph_init(&t->g, sp, err);
    if (!st)
        st = mdl_graph_load(&t->g, path, err);
    if (!st)
        st = mdl_dataset_load_fashion(&train, NULL, false, err);
    if (!st)
        st = mdl_dataset_load_fashion(&t->test, NULL, true, err);
    if (!st)
        st = mdl_qgraph_new(&t->q, &t->g, &train, MDL_TRAINED_CALIBRATION, err);
    mdl_dataset_free(&train);
    t->last_miss = -1;
    if (!st && (!(t->ctx = mdl_qctx_new(t->q)) ||
                !(t->cells = malloc((sp->n_layers + 1) * N_BITS * sizeof *t->cells))))
        st = off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    if (!st) {
        size_t isz = t->test.rows * t->test.cols;
        uint64_t cfg = off_hash_bytes(BITS, sizeof BITS, 0x0ff5ca11);
        cfg = off_mix64(cfg ^ MDL_TRAINED_CALIBRATION ^ ((uint64_t)MDL_COMPRESS_ZLIB << 32));
        mdl_cache_dims d = {t->g.crc,
                            off_hash_bytes(t->test.labels, t->test.n,
                                           off_hash_bytes(t->test.images, t->test.n * isz, 1)),
                            cfg, (uint32_t)t->test.n, (uint32_t)(sp->n_layers + 1),
                            (uint32_t)N_BITS, (uint32_t)sp->n_exits};
        char cpath[4200];
        const char *cp = NULL;
        if (use_cache && !(st = mdl_cache_path(cpath, sizeof cpath, path, &d, err)))
            cp = cpath;
        if (!st)
            st = mdl_cache_open(&t->cache, cp, &d, fill, t, err);
        const char *why = NULL;
        if (!st && mdl_cache_load_state(t->cache, &why) == MDL_CACHE_CORRUPT && why) {
            snprintf(t->warning, sizeof t->warning, "%s (recomputing the inference cache)",
                     why);
            if (warning)
                *warning = t->warning;
        }
    }
    if (!st && fill_all)
        st = fill_range(t, 0, t->test.n, true, threads, err);
    /* the cost view, with the int8 accuracy of every exit on the test set */
    double acc[MDL_GRAPH_MAX_EXITS] = {0};
    for (size_t i = 0; !st && i < t->test.n; i++) {
        mdl_cache_rec r;
        if ((st = mdl_trained_get(t, i, sp->n_layers, 8, &r, err)))
            break;
        for (size_t e = 0; e < sp->n_exits; e++)
            acc[e] += r.pred[e] == t->test.labels[i];
    }
    for (size_t e = 0; !st && e < sp->n_exits; e++)
        acc[e] /= (double)t->test.n;
    if (!st)
        st = mdl_graph_cost_model(&t->g, acc, &t->model, err);
    if (st) {
        off_err ignore;
        mdl_trained_close(t, &ignore);
        return st;
    }
    *out = t;
    return OFF_OK;
}

off_status mdl_trained_open(mdl_trained **out, const char *name, const char *weights_path,
                            const char *zoo_dir, bool use_cache, const char **warning,
                            off_err *err)
{
    return open_model(out, name, weights_path, zoo_dir, use_cache, false, 0, warning, err);
}

off_status mdl_trained_open_filled(mdl_trained **out, const char *name,
                                   const char *weights_path, const char *zoo_dir,
                                   bool use_cache, size_t threads, const char **warning,
                                   off_err *err)
{
    return open_model(out, name, weights_path, zoo_dir, use_cache, true, threads, warning, err);
}

off_status mdl_trained_close(mdl_trained *t, off_err *err)
{
    if (!t)
        return OFF_OK;
    if (t->shared)
        return mdl_trained_release(t, err);
    off_status st = t->cache ? mdl_cache_save(t->cache, err) : OFF_OK;
    mdl_cache_close(t->cache);
    mdl_model_free(&t->model);
    free(t->payload_mean);
    free(t->cells);
    mdl_qctx_free(t->ctx);
    mdl_qgraph_free(t->q);
    mdl_dataset_free(&t->test);
    mdl_graph_free(&t->g);
    free(t);
    return st;
}

const mdl_model *mdl_trained_model(const mdl_trained *t)
{
    return &t->model;
}

const mdl_graph *mdl_trained_graph(const mdl_trained *t)
{
    return &t->g;
}

size_t mdl_trained_n_samples(const mdl_trained *t)
{
    return t->test.n;
}

uint8_t mdl_trained_label(const mdl_trained *t, size_t sample)
{
    return t->test.labels[sample];
}

void mdl_trained_stats(const mdl_trained *t, mdl_cache_stats *s)
{
    mdl_cache_get_stats(t->cache, s);
}

off_status mdl_trained_payload_mean(mdl_trained *t, const double **out, off_err *err)
{
    *out = t->payload_mean;
    if (t->payload_mean)
        return OFF_OK;
    size_t n = (t->g.spec->n_layers + 1) * N_BITS;
    double *pay = malloc(n * sizeof *pay);
    if (!pay)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    off_status st = mdl_qgraph_eval(t->q, &t->test, MDL_TRAINED_PAYLOAD_PROFILE, BITS, N_BITS,
                                    NULL, pay, NULL, err);
    if (st != OFF_OK) {
        free(pay);
        return st;
    }
    *out = t->payload_mean = pay;
    return OFF_OK;
}

/* The registry: every model acquired in this process, newest first.  A
 * released model stays (refs 0) for the next run that asks for it. */
static mdl_trained *registry;

static void registry_free(mdl_trained **link)
{
    mdl_trained *t = *link;
    *link = t->next;
    t->shared = false;
    off_err ignore; /* saved at every release: nothing new to lose */
    mdl_trained_close(t, &ignore);
}

static void registry_at_exit(void)
{
    mdl_trained_cache_clear();
}

static bool same_file(const mdl_trained_key *a, const mdl_trained_key *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

off_status mdl_trained_acquire(mdl_trained **out, const char *name, const char *weights_path,
                               const char *zoo_dir, bool use_cache, const char **warning,
                               off_err *err)
{
    *out = NULL;
    if (warning)
        *warning = NULL;
    const mdl_gspec *sp = mdl_zoo_graph(name);
    mdl_trained_key k = {.use_cache = use_cache};
    struct stat sb;
    if (sp)
        weights_file(k.path, sizeof k.path, sp, weights_path, zoo_dir);
    if (!sp || strlen(name) >= sizeof k.name || stat(k.path, &sb) != 0)
        return mdl_trained_open(out, name, weights_path, zoo_dir, use_cache, warning, err);
    snprintf(k.name, sizeof k.name, "%s", name);
    k.dev = sb.st_dev;
    k.ino = sb.st_ino;
    k.size = sb.st_size;
    k.mtime = sb.st_mtim;
    for (mdl_trained **link = &registry; *link;) {
        mdl_trained *t = *link;
        bool same_use = t->key.use_cache == k.use_cache && !strcmp(t->key.name, k.name) &&
                        !strcmp(t->key.path, k.path);
        if (same_use && same_file(&t->key, &k)) {
            t->refs++;
            *out = t;
            return OFF_OK;
        }
        if (same_use && t->refs == 0) /* an older version of the file */
            registry_free(link);
        else
            link = &t->next;
    }
    mdl_trained *t;
    off_status st = mdl_trained_open(&t, name, weights_path, zoo_dir, use_cache, warning, err);
    if (st)
        return st;
    static bool at_exit;
    if (!at_exit)
        at_exit = atexit(registry_at_exit) == 0;
    t->shared = true;
    t->refs = 1;
    t->key = k;
    t->next = registry;
    registry = t;
    *out = t;
    return OFF_OK;
}

off_status mdl_trained_release(mdl_trained *t, off_err *err)
{
    if (!t || !t->shared)
        return mdl_trained_close(t, err);
    if (t->refs > 0)
        t->refs--;
    return t->cache ? mdl_cache_save(t->cache, err) : OFF_OK;
}

size_t mdl_trained_cache_clear(void)
{
    size_t kept = 0;
    for (mdl_trained **link = &registry; *link;) {
        if ((*link)->refs == 0) {
            registry_free(link);
        } else {
            kept++;
            link = &(*link)->next;
        }
    }
    return kept;
}
