/* cartpole_report.h - the CartPole learning tests' last line: when the mean
 * return of the last 20 episodes first reached 195 (the task's "solved"
 * threshold), and the time taken since t0. */
#ifndef CARTPOLE_REPORT_H
#define CARTPOLE_REPORT_H

#include <stdio.h>
#include <time.h>

/* hit: the step at which it was reached, 0 if never; steps: steps run. */
static inline void cartpole_report(unsigned long long hit, unsigned long long steps,
                                   struct timespec t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    if (hit)
        printf("mean return of the last 20 episodes >= 195 at step %llu (%.2f s)\n", hit, secs);
    else
        printf("not reached in %llu steps (%.2f s)\n", steps, secs);
}

#endif
