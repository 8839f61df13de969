/*
 * test_pol_cartpole.c - CartPole against Gymnasium's CartPole-v1 equations,
 * written out again here (gymnasium/envs/classic_control/cartpole.py, step):
 *
 *   force     = +10 if action == 1 else -10
 *   temp      = (force + m_p l thetadot^2 sin theta) / (m_c + m_p)
 *   thetaacc  = (g sin theta - cos theta temp)
 *               / (l (4/3 - m_p cos^2 theta / (m_c + m_p)))
 *   xacc      = temp - m_p l thetaacc cos theta / (m_c + m_p)
 *   Euler:  x += tau xdot;  xdot += tau xacc;
 *           theta += tau thetadot;  thetadot += tau thetaacc
 *   g = 9.8, m_c = 1.0, m_p = 0.1, l = 0.5 (half-length), tau = 0.02
 *   terminated = |x| > 2.4 or |theta| > 12 * 2 pi / 360
 *   truncated  = steps >= 500 (TimeLimit); reward 1 per step
 *
 * plus termination exactly at the thresholds, truncation at 500, and the
 * same trajectory for the same seed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "pol_cartpole.h"

/* the equations above, independently of pol_cartpole.c */
static void gym_step(double s[4], int action)
{
    double g = 9.8, mc = 1.0, mp = 0.1, l = 0.5, tau = 0.02;
    double f = action == 1 ? 10.0 : -10.0;
    double temp = (f + mp * l * s[3] * s[3] * sin(s[2])) / (mc + mp);
    double thetaacc = (g * sin(s[2]) - cos(s[2]) * temp) /
                      (l * (4.0 / 3.0 - mp * cos(s[2]) * cos(s[2]) / (mc + mp)));
    double xacc = temp - mp * l * thetaacc * cos(s[2]) / (mc + mp);
    double x = s[0] + tau * s[1], xd = s[1] + tau * xacc;
    double th = s[2] + tau * s[3], thd = s[3] + tau * thetaacc;
    s[0] = x;
    s[1] = xd;
    s[2] = th;
    s[3] = thd;
}

static void test_trajectory(void **state)
{
    (void)state;
    pol_cartpole c;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 42);
    double obs[4];
    pol_cartpole_reset(&c, r, obs);
    for (int i = 0; i < 4; i++)
        assert_true(obs[i] >= -0.05 && obs[i] < 0.05);

    /* the first step from a known state, by hand: from all zeros, action 1:
     * temp = 10/1.1, thetaacc = -temp / (0.5 (4/3 - 0.1/1.1)),
     * xacc = temp - 0.05 thetaacc / 1.1; x and theta stay 0 (old velocities) */
    memset(c.s, 0, sizeof c.s);
    bool term, trunc;
    assert_float_equal(pol_cartpole_step(&c, 1, obs, &term, &trunc), 1.0, 0);
    double temp = 10.0 / 1.1, thacc = -temp / (0.5 * (4.0 / 3.0 - 0.1 / 1.1));
    double xacc = temp - 0.05 * thacc / 1.1;
    assert_float_equal(obs[0], 0.0, 0);
    assert_float_equal(obs[1], 0.02 * xacc, 1e-15);
    assert_float_equal(obs[2], 0.0, 0);
    assert_float_equal(obs[3], 0.02 * thacc, 1e-15);
    assert_float_equal(obs[1], 0.1951219512195122, 1e-15); /* 0.02 * 9.7561 */
    assert_float_equal(obs[3], -0.2926829268292683, 1e-15);

    /* then ten steps with fixed actions from a non-trivial state */
    const int actions[10] = {0, 1, 1, 0, 1, 0, 0, 0, 1, 1};
    double s[4] = {0.01, -0.02, 0.03, 0.04};
    memcpy(c.s, s, sizeof s);
    c.steps = 0;
    c.done = false;
    for (int k = 0; k < 10; k++) {
        gym_step(s, actions[k]);
        assert_float_equal(pol_cartpole_step(&c, actions[k], obs, &term, &trunc), 1.0, 0);
        assert_false(term);
        assert_false(trunc);
        for (int i = 0; i < 4; i++)
            assert_float_equal(obs[i], s[i], 1e-15);
    }
    assert_int_equal(c.steps, 10);
    gsl_rng_free(r);
}

static void test_termination(void **state)
{
    (void)state;
    pol_cartpole c = {{0}, 0, false};
    bool term, trunc;
    const double th = 12.0 * 2.0 * 3.14159265358979323846 / 360.0;
    assert_float_equal(POL_CARTPOLE_THETA_THRESHOLD, 0.20943951023931953, 1e-16);

    /* exactly at |x| = 2.4 with no velocity: x stays, not terminated */
    c.s[0] = 2.4;
    pol_cartpole_step(&c, 1, NULL, &term, &trunc);
    assert_false(term);
    /* just past it */
    c = (pol_cartpole){{2.39, 1.0, 0, 0}, 0, false}; /* x -> 2.41 */
    assert_float_equal(pol_cartpole_step(&c, 1, NULL, &term, &trunc), 1.0, 0);
    assert_true(term);
    assert_false(trunc);
    assert_true(c.done);
    /* stepping a finished episode: reward 0, state kept */
    double x = c.s[0];
    assert_float_equal(pol_cartpole_step(&c, 1, NULL, &term, &trunc), 0.0, 0);
    assert_true(term);
    assert_float_equal(c.s[0], x, 0);

    /* the left side */
    c = (pol_cartpole){{-2.39, -1.0, 0, 0}, 0, false};
    pol_cartpole_step(&c, 0, NULL, &term, &trunc);
    assert_true(term);

    /* the angle: theta lands just inside, then just outside, both signs */
    for (int sg = -1; sg <= 1; sg += 2) {
        c = (pol_cartpole){{0, 0, sg * (th - 0.0021), sg * 0.1}, 0, false}; /* +0.002 */
        pol_cartpole_step(&c, 1, NULL, &term, &trunc);
        assert_false(term);
        c = (pol_cartpole){{0, 0, sg * (th - 0.0019), sg * 0.1}, 0, false};
        pol_cartpole_step(&c, 1, NULL, &term, &trunc);
        assert_true(term);
    }
}

static void test_truncation(void **state)
{
    (void)state;
    pol_cartpole c = {{0}, 0, false};
    bool term, trunc;
    double total = 0.0;
    for (int k = 1; k <= 500; k++) {
        memset(c.s, 0, sizeof c.s); /* hold the pole upright: only the clock runs */
        total += pol_cartpole_step(&c, k & 1, NULL, &term, &trunc);
        assert_false(term);
        assert_int_equal(trunc, k == 500);
    }
    assert_float_equal(total, 500.0, 0);
    assert_true(c.done);
    assert_float_equal(pol_cartpole_step(&c, 0, NULL, &term, &trunc), 0.0, 0);
    assert_true(trunc);

    /* reset starts a new episode */
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    pol_cartpole_reset(&c, r, NULL);
    assert_int_equal(c.steps, 0);
    assert_false(c.done);
    gsl_rng_free(r);
}

/* An episode with seeded random actions; returns its length. */
static int episode(unsigned long seed, double *final)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    pol_cartpole c;
    double obs[4];
    bool term = false, trunc = false;
    pol_cartpole_reset(&c, r, obs);
    while (!term && !trunc)
        pol_cartpole_step(&c, gsl_rng_uniform(r) < 0.5, obs, &term, &trunc);
    memcpy(final, obs, sizeof obs);
    gsl_rng_free(r);
    return c.steps;
}

static void test_determinism(void **state)
{
    (void)state;
    double a[4], b[4], d[4];
    int na = episode(7, a), nb = episode(7, b), nd = episode(8, d);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, sizeof a);
    assert_true(na > 0 && na < 500); /* random actions fall within 500 steps */
    assert_true(nd != na || memcmp(a, d, sizeof a) != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trajectory),
        cmocka_unit_test(test_termination),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_determinism),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
