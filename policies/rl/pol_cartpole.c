/*
 * pol_cartpole.c - Gymnasium's CartPole-v1 in C; see pol_cartpole.h.
 */
#include "pol_cartpole.h"

#include <math.h>
#include <string.h>

void pol_cartpole_reset(pol_cartpole *c, gsl_rng *rng, double *obs)
{
    /* np_random.uniform(low=-0.05, high=0.05, size=(4,)) */
    for (int i = 0; i < POL_CARTPOLE_OBS; i++)
        c->s[i] = -0.05 + 0.1 * gsl_rng_uniform(rng);
    c->steps = 0;
    c->done = false;
    if (obs)
        memcpy(obs, c->s, sizeof c->s);
}

static bool out_of_bounds(const double *s)
{
    return s[0] < -POL_CARTPOLE_X_THRESHOLD || s[0] > POL_CARTPOLE_X_THRESHOLD ||
           s[2] < -POL_CARTPOLE_THETA_THRESHOLD || s[2] > POL_CARTPOLE_THETA_THRESHOLD;
}

double pol_cartpole_step(pol_cartpole *c, int action, double *obs, bool *terminated,
                         bool *truncated)
{
    double reward = 0.0;
    if (!c->done) {
        const double total_mass = POL_CARTPOLE_MASSPOLE + POL_CARTPOLE_MASSCART;
        const double polemass_length = POL_CARTPOLE_MASSPOLE * POL_CARTPOLE_LENGTH;
        double x = c->s[0], x_dot = c->s[1], theta = c->s[2], theta_dot = c->s[3];
        double force = action ? POL_CARTPOLE_FORCE_MAG : -POL_CARTPOLE_FORCE_MAG;
        double costheta = cos(theta), sintheta = sin(theta);
        /* Gymnasium, after Florian 2007 (the equations the environment cites) */
        double temp = (force + polemass_length * theta_dot * theta_dot * sintheta) /
                      total_mass;
        double thetaacc = (POL_CARTPOLE_GRAVITY * sintheta - costheta * temp) /
                          (POL_CARTPOLE_LENGTH *
                           (4.0 / 3.0 - POL_CARTPOLE_MASSPOLE * costheta * costheta /
                                            total_mass));
        double xacc = temp - polemass_length * thetaacc * costheta / total_mass;
        /* kinematics_integrator == "euler": positions use the old velocities */
        x = x + POL_CARTPOLE_TAU * x_dot;
        x_dot = x_dot + POL_CARTPOLE_TAU * xacc;
        theta = theta + POL_CARTPOLE_TAU * theta_dot;
        theta_dot = theta_dot + POL_CARTPOLE_TAU * thetaacc;
        c->s[0] = x;
        c->s[1] = x_dot;
        c->s[2] = theta;
        c->s[3] = theta_dot;
        c->steps++;
        reward = 1.0;
    }
    bool term = out_of_bounds(c->s);
    /* TimeLimit sets truncated from the step count alone, so step 500 can
     * be both terminated and truncated */
    bool trunc = c->steps >= POL_CARTPOLE_MAX_STEPS;
    c->done = term || trunc;
    if (obs)
        memcpy(obs, c->s, sizeof c->s);
    if (terminated)
        *terminated = term;
    if (truncated)
        *truncated = trunc;
    return reward;
}
