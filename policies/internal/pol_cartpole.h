/*
 * pol_cartpole.h - CartPole, the sanity environment of the learning agents:
 * exactly the dynamics, termination, truncation and reward of Gymnasium's
 * CartPole-v1 (gymnasium/envs/classic_control/cartpole.py, itself after
 * Barto, Sutton & Anderson 1983), in float64 like Gymnasium's internal state.
 *
 * Observation (x, x_dot, theta, theta_dot); action 0 pushes left, 1 right.
 * Reward 1 for every step, including the one that terminates (Gymnasium's
 * default sutton_barto_reward=False).  Terminated when |x| > 2.4 or
 * |theta| > 12 degrees; truncated after 500 steps (the TimeLimit wrapper of
 * CartPole-v1, max_episode_steps=500).
 */
#ifndef POL_CARTPOLE_H
#define POL_CARTPOLE_H

#include <stdbool.h>

#include <gsl/gsl_rng.h>

#define POL_CARTPOLE_GRAVITY 9.8
#define POL_CARTPOLE_MASSCART 1.0
#define POL_CARTPOLE_MASSPOLE 0.1
#define POL_CARTPOLE_LENGTH 0.5     /* half the pole's length */
#define POL_CARTPOLE_FORCE_MAG 10.0
#define POL_CARTPOLE_TAU 0.02       /* seconds between state updates */
#define POL_CARTPOLE_X_THRESHOLD 2.4
#define POL_CARTPOLE_THETA_THRESHOLD (12.0 * 2.0 * 3.14159265358979323846 / 360.0)
#define POL_CARTPOLE_MAX_STEPS 500
#define POL_CARTPOLE_OBS 4
#define POL_CARTPOLE_ACTIONS 2

typedef struct pol_cartpole {
    double s[POL_CARTPOLE_OBS]; /* x, x_dot, theta, theta_dot */
    int steps;                  /* steps since reset */
    bool done;                  /* terminated or truncated */
} pol_cartpole;

/* Start an episode: each state variable uniform in [-0.05, 0.05) from four
 * gsl_rng_uniform draws, in the order x, x_dot, theta, theta_dot.  obs (4)
 * receives the state unless NULL. */
void pol_cartpole_reset(pol_cartpole *c, gsl_rng *rng, double *obs);

/* Advance by tau with action 0 (left) or 1 (right; any non-zero value counts
 * as right).  obs (4) receives the new state unless NULL; *terminated and
 * *truncated (either may be NULL) are set; as in Gymnasium's TimeLimit, step
 * 500 is truncated even if it also terminates.  Returns the reward: 1, or 0 when
 * called again after the episode ended (the state then stays put; Gymnasium
 * warns in that case). */
double pol_cartpole_step(pol_cartpole *c, int action, double *obs, bool *terminated,
                         bool *truncated);

#endif /* POL_CARTPOLE_H */
