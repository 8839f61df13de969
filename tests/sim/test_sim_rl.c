/*
 * test_sim_rl.c - the learning agents inside the simulator (policies/rl/
 * pol_rl.c, sim_train) on tests/data/sim/rl.yaml:
 *   - every decision of an episode becomes exactly one learned transition
 *     once the run is over (rewards arrive late, none is lost or doubled),
 *     for ppo and sac-discrete;
 *   - the same training seed gives the same checkpoint, byte for byte, and
 *     another seed another one; an entropy schedule whose end is its start
 *     is the default's constant, byte for byte, and another end changes
 *     the checkpoint;
 *   - a checkpoint is evaluated by `checkpoint:` greedily and the same way
 *     twice; a missing checkpoint is an error naming the file, another
 *     agent's or shape's one naming both, and no checkpoint at all an error
 *     saying how to make one;
 *   - each agent takes only its own keys: the other agent's is an error
 *     naming that agent, at its FILE:LINE:COL, a misspelt one gets a
 *     did-you-mean;
 *   - PPO trained for 6,000 decisions beats random by far and comes within
 *     a few hundredths of the best fixed policy on held-out seeds (the
 *     figures are printed);
 *   - the quick version of the co-inference claim (docs/rl.md): on a reduced
 *     co-inference scenario whose best action depends on the server's load,
 *     PPO (30,000 decisions) and SAC (20,000) beat the best of every valid
 *     constant action by a paired 95 % margin on held-out seeds, which an
 *     agent that learns nothing (PPO at learning rate 1e-7, checked here
 *     too) or only the best constant action cannot reach.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pol.h"
#include "res.h"
#include "sim_test_util.h"

#define RL "tests/data/sim/rl.yaml"

static void load(scn_scenario *s, const char *const *sets, size_t n)
{
    scn_override ov[8] = {{0}};
    char buf[8][320];
    off_err err = {0};
    for (size_t i = 0; i < n; i++) {
        snprintf(buf[i], sizeof buf[i], "%s", sets[i]);
        assert_int_equal(scn_override_parse(buf[i], &ov[i], &err), OFF_OK);
    }
    if (scn_load(s, RL, ov, n, &err) != OFF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        fail();
    }
}

/* The override that makes the scenario's policy (ppo, with the keys of
 * rl.yaml) the agent type: each agent takes only its own keys, so SAC gets
 * a policy of its own (its batch and learning_starts, not PPO's rollout). */
static const char *agent_set(const char *type)
{
    return strcmp(type, "ppo") == 0
               ? "policy.type=ppo"
               : "policy={type: sac-discrete, hidden: 16, batch: 32, learning_starts: 100, "
                 "lr: 0.003}";
}

static void test_every_decision_is_one_transition(void **state)
{
    (void)state;
    const char *types[] = {"ppo", "sac-discrete", "ppo"};
    for (int k = 0; k < 3; k++) {
        /* the third: PPO's factorised action (three heads) */
        const char *sets[] = {agent_set(types[k]), "policy.action=factorised"};
        scn_scenario s;
        load(&s, sets, k == 2 ? 2 : 1);
        pol_train t = {.max_steps = UINT64_MAX, .seed = 5};
        sim_world *w;
        res_summary sum;
        off_err err = {0};
        assert_int_equal(sim_world_new_train(&w, &s, &t, NULL, &err), OFF_OK);
        assert_int_equal(sim_world_run(w, NULL, 0, NULL, NULL, &sum, &err), OFF_OK);
        uint64_t during = pol_rl_steps(&t);
        sim_world_free(w); /* the run's last decision is learned here */
        printf("  %s%s: %zu tasks, %llu transitions (%llu before the end)\n", types[k],
               k == 2 ? " (factorised)" : "",
               sum.n_tasks, (unsigned long long)pol_rl_steps(&t),
               (unsigned long long)during);
        assert_true(sum.n_tasks > 150);
        assert_int_equal(pol_rl_steps(&t), sum.n_tasks);
        assert_int_equal(during + 1, sum.n_tasks);
        t.free_agent(t.agent);
        scn_free(&s);
    }
}

/* train type (then the override extra, may be NULL) for steps with seed;
 * the checkpoint's bytes in *buf */
static size_t train_bytes_with(const char *type, const char *extra, uint64_t steps,
                               uint64_t seed, char **buf, char *path, size_t cap)
{
    const char *sets[] = {agent_set(type), extra};
    scn_scenario s;
    load(&s, sets, extra ? 2 : 1);
    pol_train t = {.max_steps = steps, .seed = seed};
    off_err err = {0};
    assert_int_equal(sim_train(&s, &t, seed, NULL, NULL, NULL, &err), OFF_OK);
    assert_int_equal(pol_rl_steps(&t), steps);
    snprintf(path, cap, "/tmp/offsim-rl-%ld-%s-%llu.ckpt", (long)getpid(), type,
             (unsigned long long)seed);
    assert_int_equal(pol_rl_save(&t, path, &err), OFF_OK);
    t.free_agent(t.agent);
    scn_free(&s);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    size_t n = (size_t)ftell(f);
    rewind(f);
    *buf = malloc(n);
    assert_int_equal(fread(*buf, 1, n, f), n);
    fclose(f);
    return n;
}

static size_t train_bytes(const char *type, uint64_t steps, uint64_t seed, char **buf,
                          char *path, size_t cap)
{
    return train_bytes_with(type, NULL, steps, seed, buf, path, cap);
}

/* The schedules (PPO's ent_coef_end, SAC's target_entropy_end): an end
 * equal to the start is the constant of the default, byte for byte; another
 * end changes what is learned. */
static void test_schedules(void **state)
{
    (void)state;
    static const struct {
        const char *type, *same, *other;
    } cases[] = {
        {"ppo", "policy.ent_coef_end=0.01", "policy.ent_coef_end=0"},
        {"sac-discrete", "policy.target_entropy_end=0.5", "policy.target_entropy_end=0.05"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char pa[256], pb[256], pc[256], *a, *b, *c;
        size_t na = train_bytes(cases[k].type, 1500, 3, &a, pa, sizeof pa);
        size_t nb = train_bytes_with(cases[k].type, cases[k].same, 1500, 3, &b, pb, sizeof pb);
        size_t nc = train_bytes_with(cases[k].type, cases[k].other, 1500, 3, &c, pc, sizeof pc);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na);
        assert_int_equal(na, nc);
        assert_memory_not_equal(a, c, na);
        unlink(pa);
        free(a), free(b), free(c);
    }
}

static void test_same_seed_same_checkpoint(void **state)
{
    (void)state;
    const char *types[] = {"ppo", "sac-discrete"};
    for (int k = 0; k < 2; k++) {
        char pa[256], pb[256], pc[256], *a, *b, *c;
        size_t na = train_bytes(types[k], 700, 7, &a, pa, sizeof pa);
        size_t nb = train_bytes(types[k], 700, 7, &b, pb, sizeof pb);
        size_t nc = train_bytes(types[k], 700, 8, &c, pc, sizeof pc);
        printf("  %s: checkpoints of %zu bytes\n", types[k], na);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na);
        assert_int_equal(na, nc);
        assert_memory_not_equal(a, c, na);

        /* evaluated by checkpoint: greedily, the same twice */
        char ck[300];
        snprintf(ck, sizeof ck, "policy.checkpoint=%s", pa);
        const char *sets[] = {agent_set(types[k]), ck};
        res_summary s1, s2;
        run_scenario_file(RL, sets, 2, NULL, NULL, &s1);
        run_scenario_file(RL, sets, 2, NULL, NULL, &s2);
        assert_true(s1.reward_mean == s2.reward_mean);
        assert_true(s1.n_tasks > 0);
        unlink(pa);
        unlink(pb);
        unlink(pc);
        free(a);
        free(b);
        free(c);
    }
}

static void test_checkpoint_errors(void **state)
{
    (void)state;
    scn_scenario s;
    const char *missing[] = {"policy.checkpoint=/nonexistent/agent.ckpt"};
    load(&s, missing, 1);
    sim_world *w = NULL;
    off_err err = {0};
    assert_int_not_equal(sim_world_new(&w, &s, &err), OFF_OK);
    printf("  -> %s\n", err.msg);
    assert_non_null(strstr(err.msg, "/nonexistent/agent.ckpt"));
    scn_free(&s);
    load(&s, NULL, 0);
    assert_int_equal(sim_world_new(&w, &s, &err), OFF_EINVAL);
    printf("  -> %s\n", err.msg);
    assert_non_null(strstr(err.msg, "offsim train"));
    scn_free(&s);
    /* a checkpoint of another architecture */
    char p[256], *buf;
    train_bytes("ppo", 64, 1, &buf, p, sizeof p);
    free(buf);
    char ck[300];
    snprintf(ck, sizeof ck, "policy.checkpoint=%s", p);
    const char *other[] = {ck, "policy.hidden=32"};
    load(&s, other, 2);
    assert_int_not_equal(sim_world_new(&w, &s, &err), OFF_OK);
    printf("  -> %s\n", err.msg);
    assert_non_null(strstr(err.msg, p));
    scn_free(&s);
    /* another agent's checkpoint: both agents named */
    const char *sac[] = {agent_set("sac-discrete"), ck};
    load(&s, sac, 2);
    assert_int_equal(sim_world_new(&w, &s, &err), OFF_EINVAL);
    printf("  -> %s\n", err.msg);
    assert_non_null(strstr(err.msg, "a ppo checkpoint, expected sac-discrete"));
    scn_free(&s);
    unlink(p);
}

/* Each agent takes its own keys: a key of the other agent is an error that
 * names the agent taking it, at the key's position in the scenario; a
 * misspelt key gets a did-you-mean. */
static void test_each_agent_takes_its_own_keys(void **state)
{
    (void)state;
    static const struct {
        const char *set, *want;
    } cases[] = {
        {"policy.type=sac-discrete",
         "tests/data/sim/rl.yaml:35:3: unknown key 'rollout' for policy 'sac-discrete' "
         "('rollout' is a key of ppo); valid keys: type, checkpoint, greedy, action, hidden, "
         "lr, gamma, batch, buffer, learning_starts, update_every, tau, "
         "target_entropy_scale"},
        {"policy.tau=0.01", "unknown key 'tau' for policy 'ppo' ('tau' is a key of "
                            "sac-discrete); valid keys: type, checkpoint, greedy, action, "
                            "hidden, lr, gamma, rollout, epochs, ent_coef"},
        {"policy.ent_coeff=0.1", "unknown key 'ent_coeff' for policy 'ppo' (did you mean "
                                 "'ent_coef'?)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        scn_scenario s;
        const char *sets[] = {cases[i].set};
        load(&s, sets, 1);
        sim_world *w = NULL;
        off_err err = {0};
        off_status st = sim_world_new(&w, &s, &err);
        printf("  %s -> %s\n", cases[i].set, err.msg);
        scn_free(&s);
        assert_int_equal(st, OFF_EINVAL);
        assert_non_null(strstr(err.msg, cases[i].want));
    }
}

static double mean_reward(const char *const *sets, size_t n, int seeds)
{
    double m = 0.0;
    for (int k = 0; k < seeds; k++) {
        char seed[32];
        snprintf(seed, sizeof seed, "seed=%d", k + 1);
        const char *all[4];
        for (size_t i = 0; i < n; i++)
            all[i] = sets[i];
        all[n] = seed;
        res_summary s;
        run_scenario_file(RL, all, n + 1, NULL, NULL, &s);
        m += s.reward_mean;
    }
    return m / seeds;
}

static void test_ppo_learns(void **state)
{
    (void)state;
    char p[256], *buf;
    train_bytes("ppo", 6000, 1, &buf, p, sizeof p);
    free(buf);
    char ck[300];
    snprintf(ck, sizeof ck, "policy.checkpoint=%s", p);
    const char *agent[] = {ck};
    const char *loc[] = {"policy=local"}, *edge[] = {"policy=edge"},
               *rnd[] = {"policy=random"};
    double ra = mean_reward(agent, 1, 5), rl = mean_reward(loc, 1, 5),
           re = mean_reward(edge, 1, 5), rr = mean_reward(rnd, 1, 5);
    printf("  mean reward on seeds 1..5: ppo %.4f, local %.4f, edge %.4f, random %.4f\n", ra,
           rl, re, rr);
    unlink(p);
    double best = rl > re ? rl : re;
    assert_true(ra > rr + 0.5 * (best - rr));
    assert_true(ra > best - 0.05);
}

/* The reduced co-inference scenario: rl.yaml with energy counted (5 per
 * joule, so that the device's own work costs), no outages (the link is
 * always usable, so that the server's load alone decides), and rare, heavy
 * bursts of background work that make the server miss the deadline while
 * they last.  Offloading pays between bursts and costs during them; the
 * server's state is in the observation.  The best constant action is the
 * final exit on the device (0.779 on seeds 1..8), the oracle's bound 0.862. */
static const char *const reduced[] = {
    "reward.energy=5", "devices.cam.uplink.channel.outage=false",
    "servers.edge.background.burst={rate: 60 /s, every: 10 s, lasts: 3 s}"};
#define N_REDUCED (sizeof reduced / sizeof *reduced)
#define QUICK_SEEDS 8

/* The mean reward per task of the policy (sets, n) on the reduced
 * scenario, seed k + 1 in r[k]. */
static void reduced_rewards(const char *const *sets, size_t n, double *r)
{
    for (int k = 0; k < QUICK_SEEDS; k++) {
        const char *all[8];
        char seed[32];
        size_t m = 0;
        for (size_t i = 0; i < N_REDUCED; i++)
            all[m++] = reduced[i];
        for (size_t i = 0; i < n; i++)
            all[m++] = sets[i];
        snprintf(seed, sizeof seed, "seed=%d", k + 1);
        all[m++] = seed;
        res_summary s;
        run_scenario_file(RL, all, m, NULL, NULL, &s);
        r[k] = s.reward_mean;
    }
}

/* Train type (its agent_set, then `extra` if not NULL) for steps on the
 * reduced scenario; the lower end of the paired 95 % interval of agent -
 * best constant action over the held-out seeds 1..QUICK_SEEDS. */
static double margin_over_constants(const char *type, uint64_t steps, const char *extra)
{
    const char *sets[8];
    size_t n = 0;
    sets[n++] = agent_set(type);
    for (size_t i = 0; i < N_REDUCED; i++)
        sets[n++] = reduced[i];
    if (extra)
        sets[n++] = extra;
    scn_scenario s;
    load(&s, sets, n);
    pol_train t = {.max_steps = steps, .seed = 1};
    off_err err = {0};
    assert_int_equal(sim_train(&s, &t, 1, NULL, NULL, NULL, &err), OFF_OK);
    char path[256], ck[300];
    snprintf(path, sizeof path, "/tmp/offsim-rlq-%ld-%s.ckpt", (long)getpid(), type);
    assert_int_equal(pol_rl_save(&t, path, &err), OFF_OK);
    t.free_agent(t.agent);
    scn_free(&s);
    /* the model's exits, layers and bit-widths, for the constant actions */
    const char *loc[] = {"policy=local"};
    load(&s, loc, 1);
    sim_world *w = NULL;
    assert_int_equal(sim_world_new(&w, &s, &err), OFF_OK);
    const mdl_model *m = sim_world_model(w);
    snprintf(ck, sizeof ck, "policy.checkpoint=%s", path);
    const char *agent[] = {agent_set(type), ck};
    double ra[QUICK_SEEDS], rc[QUICK_SEEDS], best[QUICK_SEEDS], best_mean = -INFINITY;
    reduced_rewards(agent, 2, ra);
    int n_const = 0;
    /* every valid constant action, as the joint action's mask has them */
    for (size_t e = 0; e < m->n_exits; e++)
        for (size_t sp = 0; sp <= m->exits[e].after; sp++) {
            bool local = sp == m->exits[e].after;
            for (size_t b = 0; b < (local ? 1 : m->n_bits); b++) {
                char pol[128];
                snprintf(pol, sizeof pol, "policy={type: fixed, exit: %zu, split: %zu, bits: %d}",
                         e, sp, m->bits[b]);
                const char *c[] = {pol};
                reduced_rewards(c, 1, rc);
                double mean = 0.0;
                for (int k = 0; k < QUICK_SEEDS; k++)
                    mean += rc[k] / QUICK_SEEDS;
                if (mean > best_mean) {
                    best_mean = mean;
                    memcpy(best, rc, sizeof best);
                }
                n_const++;
            }
        }
    sim_world_free(w);
    scn_free(&s);
    unlink(path);
    double d[QUICK_SEEDS], dm = 0.0, ss = 0.0;
    for (int k = 0; k < QUICK_SEEDS; k++)
        dm += (d[k] = ra[k] - best[k]) / QUICK_SEEDS;
    for (int k = 0; k < QUICK_SEEDS; k++)
        ss += (d[k] - dm) * (d[k] - dm);
    double half = res_t_half(sqrt(ss / (QUICK_SEEDS - 1)), QUICK_SEEDS);
    double am = 0.0;
    for (int k = 0; k < QUICK_SEEDS; k++)
        am += ra[k] / QUICK_SEEDS;
    printf("  %s %llu decisions%s%s: %.4f; best of %d constant actions %.4f; "
           "paired difference %+.4f [%+.4f, %+.4f]\n",
           type, (unsigned long long)steps, extra ? ", " : "", extra ? extra : "", am, n_const,
           best_mean, dm, dm - half, dm + half);
    return dm - half;
}

/* the margin: above what an agent that found the best constant action and
 * nothing else gets (0), below what both agents reach (lower ends 0.019 to
 * 0.025 over training seeds 1..3) */
#define QUICK_MARGIN 0.01

static void test_agents_beat_every_constant_action(void **state)
{
    (void)state;
    assert_true(margin_over_constants("ppo", 30000, NULL) > QUICK_MARGIN);
    assert_true(margin_over_constants("sac-discrete", 20000, NULL) > QUICK_MARGIN);
    /* the check can fail: an agent that does not learn */
    assert_true(margin_over_constants("ppo", 30000, "policy.lr=1e-7") < 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_decision_is_one_transition),
        cmocka_unit_test(test_same_seed_same_checkpoint),
        cmocka_unit_test(test_schedules),
        cmocka_unit_test(test_checkpoint_errors),
        cmocka_unit_test(test_each_agent_takes_its_own_keys),
        cmocka_unit_test(test_ppo_learns),
        cmocka_unit_test(test_agents_beat_every_constant_action),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
