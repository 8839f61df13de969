/*
 * sim_world.c - building (and freeing) the world from a scenario: the model
 * view, devices with their random streams, servers, and the policy.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* madvise, MADV_HUGEPAGE */
#include "sim_world.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "sim_rng.h"
#include "sim_task.h"

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

_Static_assert((int)SCN_LAYER_N_KINDS == (int)MDL_LAYER_N_KINDS &&
                   (int)SCN_LAYER_DWCONV == (int)MDL_LAYER_DWCONV &&
                   (int)SCN_LAYER_POOL == (int)MDL_LAYER_POOL,
               "scn_layer_kind and mdl_layer_kind must list the same kinds");

off_status sim_model_from_scn(mdl_model *m, const scn_model *sm, const char *file,
                              off_err *err)
{
    mdl_layer *layers = calloc(sm->n_layers ? sm->n_layers : 1, sizeof *layers);
    mdl_exit *exits = calloc(sm->n_exits ? sm->n_exits : 1, sizeof *exits);
    if (!layers || !exits) {
        free(layers);
        free(exits);
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    }
    for (size_t i = 0; i < sm->n_layers; i++) {
        copy_str(layers[i].name, sizeof layers[i].name, sm->layers[i].name);
        layers[i].macs = sm->layers[i].macs;
        layers[i].out_bytes = sm->layers[i].out_bytes;
        layers[i].kind = (mdl_layer_kind)sm->layers[i].kind; /* same values */
        layers[i].params = sm->layers[i].params;
    }
    for (size_t i = 0; i < sm->n_exits; i++) {
        copy_str(exits[i].name, sizeof exits[i].name, sm->exits[i].name);
        exits[i].after = sm->exits[i].after;
        exits[i].macs = sm->exits[i].macs;
        exits[i].accuracy = sm->exits[i].accuracy;
    }
    mdl_model_desc d = {sm->name, layers, sm->n_layers, exits, sm->n_exits,
                        sm->bits, sm->n_bits, sm->input_bytes, sm->result_bytes};
    off_status st = mdl_model_init(m, &d, err);
    free(layers);
    free(exits);
    if (st != OFF_OK && st != OFF_ENOMEM) {
        /* The loader checks all of this with positions; restate where. */
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
        return off_errf(err, st, sm->pos.file ? sm->pos.file : file, sm->pos.line,
                        sm->pos.col, "%s", msg);
    }
    return st;
}

/* The directory of the zoo (trained weights) and of the hardware profiles:
 * $OFFSIM_ZOO / $OFFSIM_PROFILES, else the source tree's. */
static const char *data_dir(const char *env, const char *dflt)
{
    const char *v = getenv(env);
    return v && *v ? v : dflt;
}

/* kind: trained - open the zoo graph (weights, int8 graph, test set,
 * inference cache) and take its cost view. */
static off_status build_trained(sim_world *w, off_err *err)
{
    const scn_model *sm = &w->scn->model;
    const char *file = sm->name_pos.file ? sm->name_pos.file : w->scn->file;
    if (!mdl_zoo_graph(sm->name)) {
        size_t n;
        const mdl_gspec *const *z = mdl_zoo_graphs(&n);
        const char *names[MDL_GRAPH_MAX_EXITS * 2];
        char list[256] = "";
        for (size_t i = 0; i < n && i < sizeof names / sizeof names[0]; i++) {
            names[i] = z[i]->name;
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     z[i]->name);
        }
        const char *dym = off_did_you_mean(sm->name, names, n);
        return off_errf(err, OFF_EINVAL, file, sm->name_pos.line, sm->name_pos.col,
                        "no trained model '%s'%s%s%s; the zoo has: %s", sm->name,
                        dym ? " (did you mean '" : "", dym ? dym : "", dym ? "'?)" : "", list);
    }
    const char *warning = NULL;
    off_status st = OFF_OK;
    if (!w->trained) /* else handed over by the previous world (sim_train) */
        st = mdl_trained_acquire(&w->trained, sm->name, sm->weights,
                                 data_dir("OFFSIM_ZOO", OFFSIM_SOURCE_DIR "/models/zoo"),
                                 sm->cache, &warning, err);
    if (st) {
        if (st == OFF_EPARSE || st == OFF_EIO) { /* say which scenario line led here */
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err->msg);
            scn_pos p = sm->weights ? sm->weights_pos : sm->name_pos;
            return off_errf(err, st, p.file ? p.file : w->scn->file, p.line, p.col,
                            "model '%s': %s", sm->name, msg);
        }
        return st;
    }
    if (warning)
        fprintf(stderr, "offsim: warning: %s\n", warning);
    const mdl_model *tm = mdl_trained_model(w->trained);
    double acc[MDL_GRAPH_MAX_EXITS];
    for (size_t e = 0; e < tm->n_exits; e++)
        acc[e] = tm->exits[e].accuracy;
    st = mdl_graph_cost_model(mdl_trained_graph(w->trained), acc, &w->model, err);
    if (st == OFF_OK)
        w->model.result_bytes = sm->result_bytes;
    return st;
}

static off_status build_model(sim_world *w, off_err *err)
{
    off_status st = w->scn->model.kind == SCN_MODEL_TRAINED
                        ? build_trained(w, err)
                        : sim_model_from_scn(&w->model, &w->scn->model, w->scn->file, err);
    if (st == OFF_OK)
        w->nominal_macs = w->model.prefix_macs[w->model.n_layers];
    return st;
}

/* The hardware profile `ref` (a resolved path, or a name in the profiles
 * directory) named at pos, loaded once per file and checked against the
 * model.  *out points into w->profiles. */
static off_status get_profile(sim_world *w, const char *ref, scn_pos pos,
                              const mdl_profile **out, off_err *err)
{
    char path[4096];
    const char *dir = data_dir("OFFSIM_PROFILES", OFFSIM_SOURCE_DIR "/models/profiles");
    if (strchr(ref, '/'))
        snprintf(path, sizeof path, "%s", ref);
    else
        snprintf(path, sizeof path, "%s/%s.yaml", dir, ref);
    for (size_t i = 0; i < w->n_profiles; i++)
        if (strcmp(w->profile_paths[i], path) == 0) {
            *out = w->profiles[i];
            return OFF_OK;
        }
    const char *file = pos.file ? pos.file : w->scn->file;
    if (!strchr(ref, '/') && access(path, R_OK) != 0)
        return off_errf(err, OFF_EINVAL, file, pos.line, pos.col,
                        "no hardware profile '%s' in %s (see `ls %s`, or give a path "
                        "to a profile file)", ref, dir, dir);
    mdl_profile **np = realloc(w->profiles, (w->n_profiles + 1) * sizeof *np);
    if (np)
        w->profiles = np;
    char **pp = np ? realloc(w->profile_paths, (w->n_profiles + 1) * sizeof *pp) : NULL;
    if (pp)
        w->profile_paths = pp;
    mdl_profile *p = pp ? calloc(1, sizeof *p) : NULL;
    if (!p || !(pp[w->n_profiles] = strdup(path))) {
        free(p);
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    }
    w->profiles[w->n_profiles++] = p; /* each its own block: devices keep pointers */
    off_status st = mdl_profile_load(p, path, err);
    if (st == OFF_OK) /* a measured table must time every layer of this model */
        st = mdl_profile_check_model(p, &w->model, err);
    if (st == OFF_EIO) { /* the file named by the scenario cannot be read */
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        st = off_errf(err, OFF_EINVAL, file, pos.line, pos.col, "profile: %s", msg);
    }
    if (st == OFF_OK)
        *out = p;
    return st;
}

/* Seconds of every (exit, split) on profile p at bits, device side or
 * server side: computed once per world and shared by the devices and
 * servers that use them (a task then costs a table lookup). */
static off_status ptab(sim_world *w, const mdl_profile *p, int bits, bool server,
                       const double **out, off_err *err)
{
    int key = bits * 2 + (server ? 1 : 0);
    for (size_t i = 0; i < w->n_ptabs; i++)
        if (w->ptab_prof[i] == p && w->ptab_key[i] == key) {
            *out = w->ptabs[i];
            return OFF_OK;
        }
    const mdl_model *m = &w->model;
    size_t L = m->n_layers, E = m->n_exits, n = w->n_ptabs + 1;
    double **t = realloc(w->ptabs, n * sizeof *t);
    if (t)
        w->ptabs = t;
    const mdl_profile **pp = t ? realloc(w->ptab_prof, n * sizeof *pp) : NULL;
    if (pp)
        w->ptab_prof = pp;
    int *kk = pp ? realloc(w->ptab_key, n * sizeof *kk) : NULL;
    if (kk)
        w->ptab_key = kk;
    double *tab = kk ? malloc(E * (L + 1) * sizeof *tab) : NULL;
    if (!tab)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t e = 0; e < E; e++)
        for (size_t s = 0; s <= L; s++)
            tab[e * (L + 1) + s] = server ? mdl_profile_server_seconds(p, m, e, s, bits)
                                          : mdl_profile_device_seconds(p, m, e, s, bits);
    w->ptabs[w->n_ptabs] = tab;
    w->ptab_prof[w->n_ptabs] = p;
    w->ptab_key[w->n_ptabs] = key;
    w->n_ptabs = n;
    *out = tab;
    return OFF_OK;
}

/* The speed a policy is told: the given one, or the profile's rate over the
 * whole model (total MACs / the time of every layer and the final exit). */
static double effective_speed(const sim_world *w, double given, const mdl_profile *p,
                              int bits)
{
    if (given > 0 || !p)
        return given;
    const mdl_model *m = &w->model;
    size_t last = m->n_exits - 1;
    double t = mdl_profile_device_seconds(p, m, last, m->n_layers, bits);
    double macs = mdl_device_macs(m, last, m->n_layers);
    return t > 0 && macs > 0 ? macs / t : 1.0;
}

/* Append the decimal digits of v at p (no NUL); the end. */
static char *put_uint(char *p, size_t v)
{
    char tmp[24];
    size_t n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* The entity key of member i of device group sd: "device:NAME#i" (as
 * snprintf "device:%s#%zu" with a 96-byte buffer: a name is cut to fit;
 * formatted by hand, as a million devices are built). */
static uint64_t device_key(const scn_device *sd, size_t i)
{
    char key[96 + 32], *p = key;
    size_t n = strlen(sd->name);
    if (n > 96)
        n = 96;
    memcpy(p, "device:", 7);
    p += 7;
    memcpy(p, sd->name, n);
    p += n;
    *p++ = '#';
    p = put_uint(p, i);
    size_t len = (size_t)(p - key);
    return off_hash_bytes(key, len < 95 ? len : 95, 0);
}

const char *sim_device_name(const sim_device *d, char buf[SIM_DEVICE_NAME_MAX])
{
    const char *g = d->cfg->name ? d->cfg->name : "";
    if (d->cfg->count <= 1 && strlen(g) < SIM_DEVICE_NAME_MAX)
        return g;
    /* "%s[%zu]" cut to SIM_DEVICE_NAME_MAX - 1 bytes, as the rows always had */
    char tmp[SIM_DEVICE_NAME_MAX + 32], *p = tmp;
    size_t n = strlen(g);
    if (n > SIM_DEVICE_NAME_MAX)
        n = SIM_DEVICE_NAME_MAX;
    memcpy(p, g, n);
    p += n;
    if (d->cfg->count > 1) {
        *p++ = '[';
        p = put_uint(p, d->index);
        *p++ = ']';
    }
    size_t len = (size_t)(p - tmp);
    if (len > SIM_DEVICE_NAME_MAX - 1)
        len = SIM_DEVICE_NAME_MAX - 1;
    memcpy(buf, tmp, len);
    buf[len] = '\0';
    return buf;
}

/* A transparent huge page (x86-64, arm64 with 4 KiB pages). */
#define BULK_HUGE ((uintptr_t)2 << 20)

void *sim_world_bulk(size_t n, size_t size, void **mem)
{
    *mem = NULL;
    if (size && n > (SIZE_MAX - 64) / size)
        return NULL;
    size_t bytes = n * size;
    /* calloc's own pages come from a fresh mapping (large) or are cleared
     * (small): the records are then written once, by their builder */
    char *p = calloc(1, bytes + 64);
    if (!p)
        return NULL;
    *mem = p;
    char *a = (char *)(((uintptr_t)p + 63) & ~(uintptr_t)63);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    /* the whole 2 MiB pages inside (a hint: without THP, 4 KiB pages as
     * before); not over-allocating to align the start keeps the heap's
     * count of bytes a device honest, at the cost of a partial page at
     * each end */
    uintptr_t lo = ((uintptr_t)a + BULK_HUGE - 1) & ~(BULK_HUGE - 1);
    uintptr_t hi = ((uintptr_t)a + bytes) & ~(BULK_HUGE - 1);
    if (hi > lo)
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#endif
    return a;
}

/* How many channel-model blocks the links of group sd need: one per
 * device and link with a channel model (sim_link_varies), one per group
 * where its devices can share it (sim_link_shareable). */
static size_t link_blocks(const scn_device *sd, const scn_link *l)
{
    if (!sim_link_varies(l))
        return 0;
    return sim_link_shareable(l, sd->mobility.model != SCN_MOB_NONE) ? 1 : sd->count;
}

/* The next channel-model block for link cfg of device d (NULL: none
 * needed): a group's shared block is the one its first device took. */
static sim_link_var *link_block(const sim_device *d, const scn_link *cfg,
                                sim_link_var **next, sim_link_var **shared)
{
    if (!sim_link_varies(cfg))
        return NULL;
    if (!sim_link_shareable(cfg, d->cfg->mobility.model != SCN_MOB_NONE))
        return (*next)++;
    if (d->index == 0) /* a group's devices are built in a row */
        *shared = (*next)++;
    return *shared;
}

/* The channel-model blocks every device's links need (link_blocks:
 * w->link_vars, given out by build_links) and the power blocks
 * (sim_power_needs_ext: *exts); counted per group first, so that each is
 * one allocation. */
static off_status build_device_blocks(sim_world *w, sim_power_ext **exts, off_err *err)
{
    const scn_scenario *s = w->scn;
    size_t n_var = 0, n_ext = 0;
    for (size_t g = 0; g < s->n_devices; g++) {
        const scn_device *sd = &s->devices[g];
        n_var += link_blocks(sd, &sd->uplink) + link_blocks(sd, &sd->downlink);
        n_ext += sim_power_needs_ext(sd) ? sd->count : 0;
    }
    w->link_vars = n_var ? sim_world_bulk(n_var, sizeof *w->link_vars, &w->link_mem) : NULL;
    *exts = n_ext ? sim_world_bulk(n_ext, sizeof **exts, &w->pw_mem) : NULL;
    if ((n_var && !w->link_vars) || (n_ext && !*exts))
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    return OFF_OK;
}

/* The devices, group by group, with their streams; the entity key of
 * device i into keys[i] (an array of n_dev the caller frees), for
 * build_links: the key hashes the device's formatted name, which is not
 * worth doing twice a device. */
static off_status build_devices(sim_world *w, uint64_t **keys, off_err *err)
{
    const scn_scenario *s = w->scn;
    size_t n = 0;
    for (size_t g = 0; g < s->n_devices; g++)
        n += s->devices[g].count;
    if (n == 0 || n > UINT32_MAX / 2)
        return off_errf(err, OFF_EINVAL, s->file, 0, 0, "%zu devices: need 1..%u", n,
                        UINT32_MAX / 2);
    w->dev = sim_world_bulk(n, sizeof *w->dev, &w->dev_mem);
    w->arr_rng = sim_world_bulk(n, sizeof *w->arr_rng, &w->arr_mem);
    *keys = malloc(n * sizeof **keys);
    if (!w->dev || !w->arr_rng || !*keys)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    w->n_dev = n;
    sim_power_ext *exts;
    off_status st;
    if ((st = build_device_blocks(w, &exts, err)))
        return st;
    bool trained = s->model.kind == SCN_MODEL_TRAINED;
    size_t k = 0;
    for (size_t g = 0; g < s->n_devices; g++) {
        const scn_device *sd = &s->devices[g];
        size_t server = 0;
        if (sd->server && !sd->server_nearest) {
            bool found = false;
            for (size_t j = 0; j < s->n_servers && !found; j++)
                if (strcmp(s->servers[j].name, sd->server) == 0) {
                    server = j;
                    found = true;
                }
            if (!found)
                return off_errf(err, OFF_EINVAL, s->file, sd->pos.line, sd->pos.col,
                                "device '%s' names server '%s', which is not in "
                                "'servers'", sd->name, sd->server);
        }
        if (sd->arrivals.kind == SCN_ARR_TRACE && sd->arrivals.n_trace > UINT32_MAX)
            return off_errf(err, OFF_EINVAL, s->file, sd->pos.line, sd->pos.col,
                            "device '%s': %zu arrival times in its trace: at most %u",
                            sd->name, sd->arrivals.n_trace, UINT32_MAX);
        const mdl_profile *prof = NULL;
        bool ext = sim_power_needs_ext(sd);
        if (sd->profile && (st = get_profile(w, sd->profile, sd->profile_pos, &prof, err)))
            return st;
        double speed = effective_speed(w, sd->speed_macs, prof, sd->compute_bits);
        const double *tab = NULL;
        if (prof && (st = ptab(w, prof, sd->compute_bits, false, &tab, err)))
            return st;
        for (size_t i = 0; i < sd->count; i++, k++) {
            sim_device *d = &w->dev[k];
            d->cfg = sd;
            d->server = server;
            d->prof = prof;
            d->compute_bits = sd->compute_bits;
            d->speed_macs = speed;
            d->ptab = tab;
            sim_power_init(d, ext ? exts++ : NULL); /* DVFS level, tail, battery */
            /* The stream key is group#index whatever the count, so that
             * growing a group leaves its existing members' draws alone. */
            d->index = (uint32_t)i;
            uint64_t ek = (*keys)[k] = device_key(sd, i);
            sim_rng_state_init(&w->arr_rng[k], s->seed, ek, SIM_RNG_ARRIVALS);
            sim_rng_state_init(&d->rng_outcome, s->seed, ek, SIM_RNG_OUTCOME);
            if (trained) /* the two share their place: see sim_device */
                sim_rng_state_init(&d->rng_samples, s->seed, ek, SIM_RNG_SAMPLES);
            else
                sim_rng_state_init(&d->rng_work, s->seed, ek, SIM_RNG_WORK);
        }
    }
    return OFF_OK;
}

/* Every device's uplink and downlink (after the servers: a shared uplink
 * joins its server's cell). */
static off_status build_links(sim_world *w, const uint64_t *keys, off_err *err)
{
    off_status st;
    if ((st = sim_chan_mcs_cqi1_gap(&w->mcs, SIM_CHAN_GAP_BER, err)) ||
        (st = sim_cells_init(w, err)))
        return st;
    sim_link_var *vars = w->link_vars, *shared_up = NULL, *shared_down = NULL;
    for (size_t i = 0; i < w->n_dev; i++) {
        sim_device *d = &w->dev[i];
        const scn_device *sd = d->cfg;
        uint64_t ek = keys[i]; /* of the device's own streams (build_devices) */
        if ((st = sim_mobility_init(w, d, ek, err)))
            return st;
        /* the channel stream: drawn from here only, so not kept */
        sim_rng_state chs;
        sim_rng_state_init(&chs, w->scn->seed, ek, SIM_RNG_CHANNEL);
        gsl_rng ch = sim_rng_view(&chs);
        sim_link_var *vu = link_block(d, &sd->uplink, &vars, &shared_up);
        sim_link_var *vd = link_block(d, &sd->downlink, &vars, &shared_down);
        if ((st = sim_link_init(w, &d->up, &sd->uplink, &ch, vu, "uplink", d, err)) ||
            (st = sim_link_init(w, &d->down, &sd->downlink, &ch, vd, "downlink", d, err)))
            return st;
        sim_mobility_links_built(w, d);
        if (sd->downlink.chan.shared) {
            scn_pos p = sd->downlink.chan.pos;
            return off_errf(err, OFF_EINVAL, p.file ? p.file : w->scn->file, p.line, p.col,
                            "device '%s': only uplinks can share a cell", sd->name);
        }
        if (sd->uplink.chan.shared) {
            d->up.cell = &w->cells[d->server];
            const scn_channel *c = &sd->uplink.chan;
            if (c->subchannels) { /* OFDMA: round robin over the subchannels */
                if (c->model != SCN_CHAN_SHANNON) {
                    scn_pos p = c->pos;
                    return off_errf(err, OFF_EINVAL, p.file ? p.file : w->scn->file, p.line,
                                    p.col, "device '%s': OFDMA subchannels need a shannon "
                                    "channel", sd->name);
                }
                d->up.subch = w->cells[d->server].n_ofdma++ % c->subchannels;
            }
        }
    }
    return OFF_OK;
}

static off_status build_policy(sim_world *w, off_err *err)
{
    const scn_policy *sp = &w->scn->policy;
    w->rng_policy = sim_rng_stream(w->scn->seed, sim_rng_entity_key("policy"),
                                   SIM_RNG_POLICY);
    if (!w->rng_policy)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    pol_param *pp = calloc(sp->n_params ? sp->n_params : 1, sizeof *pp);
    if (!pp)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t i = 0; i < sp->n_params; i++) {
        const scn_param *q = &sp->params[i];
        pp[i] = (pol_param){q->key, q->value, q->pos.file ? q->pos.file : w->scn->file,
                            q->pos.line, q->pos.col, q->key_pos.line, q->key_pos.col};
    }
    const scn_reward *r = &w->scn->reward;
    w->reward = (pol_reward){r->accuracy, r->latency, r->latency_deadline, r->energy,
                             r->deadline_miss};
    /* a model-based policy costs a trained model's payloads by what is
     * really sent (measured once per model, mdl_trained_payload_mean) */
    const pol_class *cls = pol_find(sp->type ? sp->type : "local");
    if (w->trained && cls && pol_predicts(cls)) {
        const double *pay;
        off_status pst = mdl_trained_payload_mean(w->trained, &pay, err);
        if (pst == OFF_OK)
            pst = mdl_model_set_payload_mean(&w->model, pay, err);
        if (pst != OFF_OK) {
            free(pp);
            return pst;
        }
    }
    pol_cfg cfg = {.model = &w->model, .params = pp, .n_params = sp->n_params,
                   .rng = w->rng_policy, .n_devices = w->n_dev, .reward = &w->reward,
                   .train = w->train};
    off_status st = pol_create(&w->policy, sp->type ? sp->type : "local", &cfg,
                               sp->pos.file ? sp->pos.file : w->scn->file,
                               sp->pos.line, sp->pos.col, err);
    free(pp);
    w->policy_sees_realised = st == OFF_OK && pol_sees_realised(w->policy.cls);
    return st;
}

off_status sim_world_new(sim_world **out, const scn_scenario *s, off_err *err)
{
    return sim_world_new_train(out, s, NULL, NULL, err);
}

off_status sim_world_new_train(sim_world **out, const scn_scenario *s, pol_train *train,
                               mdl_trained *trained, off_err *err)
{
    *out = NULL;
    sim_world *w = calloc(1, sizeof *w);
    if (!w) {
        mdl_trained_close(trained, NULL);
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    }
    w->scn = s;
    w->train = train;
    if (s->model.kind == SCN_MODEL_TRAINED)
        w->trained = trained;
    else
        mdl_trained_close(trained, NULL);
    /* task indices stay below SIM_JOB_BG, which marks background jobs */
    sim_pool_init(&w->tasks, sizeof(sim_task), offsetof(sim_task, next_free), 1024,
                  SIM_JOB_BG);
    mdl_blas_single_thread();
    off_status st;
    uint64_t *keys = NULL; /* the devices' entity keys, while they are built */
    if ((st = build_model(w, err)) || (st = build_devices(w, &keys, err)))
        goto fail;
    w->srv = calloc(s->n_servers ? s->n_servers : 1, sizeof *w->srv);
    if (!w->srv) {
        st = off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
        goto fail;
    }
    w->n_srv = s->n_servers;
    for (size_t j = 0; j < s->n_servers; j++) {
        sim_server *sv = &w->srv[j];
        const scn_server *c = &s->servers[j];
        sv->cfg = c;
        sv->compute_bits = c->compute_bits;
        if (c->profile && (st = get_profile(w, c->profile, c->profile_pos, &sv->prof, err)))
            goto fail;
        sv->speed_macs = effective_speed(w, c->speed_macs, sv->prof, c->compute_bits);
        if (sv->prof && (st = ptab(w, sv->prof, c->compute_bits, true, &sv->ptab, err)))
            goto fail;
        if ((st = sim_server_init(w, j, err)))
            goto fail;
    }
    st = build_links(w, keys, err);
    free(keys);
    keys = NULL;
    if (st || (st = build_policy(w, err)))
        goto fail;
    if (s->n_servers == 0) {
        st = off_errf(err, OFF_EINVAL, s->file, 0, 0, "the scenario has no servers");
        goto fail;
    }
    sim_tasks_wire(w);
    sim_engine_cfg ec = {4096};
    if ((st = sim_engine_new(&w->eng, &ec, err)))
        goto fail;
    *out = w;
    return OFF_OK;
fail:
    free(keys);
    sim_world_free(w);
    return st;
}

mdl_trained *sim_world_release_trained(sim_world *w)
{
    mdl_trained *t = w->trained;
    w->trained = NULL;
    return t;
}

const mdl_model *sim_world_model(const sim_world *w)
{
    return &w->model;
}

void sim_world_free(sim_world *w)
{
    if (!w)
        return;
    pol_destroy(&w->policy);
    gsl_rng_free(w->rng_policy);
    for (size_t i = 0; i < w->n_dev; i++) {
        sim_device *d = &w->dev[i];
        sim_link_free(&d->up);
        sim_link_free(&d->down);
        sim_mobility_free(d->mob);
        free(d->mob);
        sim_fifo_free(&d->cpu_q);
        sim_fifo_free(&d->up_q);
        sim_fifo_free(&d->down_q);
    }
    free(w->dev_mem);
    free(w->arr_mem);
    free(w->link_mem);
    free(w->pw_mem);
    sim_cells_free(w);
    for (size_t j = 0; j < w->n_srv; j++)
        sim_server_free(&w->srv[j]);
    free(w->srv);
    mdl_model_free(&w->model);
    if (w->trained) { /* keep what the kernels computed for the next run */
        off_err e;
        if (mdl_trained_release(w->trained, &e) != OFF_OK)
            fprintf(stderr, "offsim: warning: inference cache not saved: %s\n", e.msg);
    }
    for (size_t i = 0; i < w->n_profiles; i++) {
        free(w->profiles[i]);
        free(w->profile_paths[i]);
    }
    free(w->profiles);
    for (size_t i = 0; i < w->n_ptabs; i++)
        free(w->ptabs[i]);
    free(w->ptabs);
    free(w->ptab_prof);
    free(w->ptab_key);
    free(w->profile_paths);
    sim_engine_free(w->eng);
    sim_pool_free(&w->tasks);
    free(w->lat);
    free(w);
}

uint64_t sim_config_hash(const scn_scenario *s)
{
    uint64_t h = off_hash_bytes(s->text ? s->text : "", s->text ? strlen(s->text) : 0, 0);
    const char *o = s->overrides ? s->overrides : "";
    h = off_hash_bytes(o, strlen(o), h);
    if (s->model_text) /* a model file is part of the configuration */
        h = off_hash_bytes(s->model_text, strlen(s->model_text), h);
    return h;
}
