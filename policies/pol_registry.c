/* pol_registry.c - the compiled-in policies, by name.  Add new ones here. */
#include "pol.h"

#include <string.h>

extern const pol_class pol_local_class, pol_edge_class, pol_fixed_class,
    pol_random_class, pol_neurosurgeon_class, pol_edgent_class, pol_branchynet_class,
    pol_dyno_class, pol_oracle_class, pol_ppo_class, pol_sac_class;

static const pol_class *const registry[] = {
    &pol_local_class,        &pol_edge_class,   &pol_fixed_class, &pol_random_class,
    &pol_neurosurgeon_class, &pol_edgent_class, &pol_branchynet_class, &pol_dyno_class,
    &pol_oracle_class,       &pol_ppo_class,    &pol_sac_class,
};

bool pol_sees_realised(const pol_class *c)
{
    return c == &pol_oracle_class;
}

bool pol_predicts(const pol_class *c)
{
    return c == &pol_neurosurgeon_class || c == &pol_edgent_class || c == &pol_dyno_class;
}

const pol_class *const *pol_registry(size_t *n)
{
    *n = sizeof registry / sizeof registry[0];
    return registry;
}

const pol_class *pol_find(const char *name)
{
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}
