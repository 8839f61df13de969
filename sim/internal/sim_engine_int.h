/*
 * sim_engine_int.h - engine internals exposed to its own tests only.
 */
#ifndef SIM_ENGINE_INT_H
#define SIM_ENGINE_INT_H

#include "sim_engine.h"

/* Lower the sequence-number limit (normally 2^32) so that the renumbering
 * of pending events, which keeps their order, can be exercised quickly.
 * Clamped to 1..2^32. */
void sim_engine_test_set_seq_limit(sim_engine *e, uint64_t limit);

#endif /* SIM_ENGINE_INT_H */
