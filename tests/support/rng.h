/* SPDX-License-Identifier: MIT */
/*
 * The seeded generator of the randomized model tests (splitmix64): each
 * test file gets its own state; the seed comes from NDISBUF_MODEL_SEED, so a
 * failing run can be replayed exactly.
 */
#ifndef NDISBUF_TESTS_RNG_H
#define NDISBUF_TESTS_RNG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "ndis.h"

static uint64_t model_seed;
static uint64_t rng_state;

/* Seeds the generator from NDISBUF_MODEL_SEED, or `fallback` when it is unset. */
static inline void rng_seed_from_env(uint64_t fallback)
{
    const char *env = getenv("NDISBUF_MODEL_SEED");
    model_seed = env && *env ? strtoull(env, NULL, 0) : fallback;
    rng_state = model_seed;
}

static inline uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n); 0 when n is 0. */
static inline ULONG rng_below(ULONG n)
{
    return n ? (ULONG)(rng_next() % n) : 0;
}

static inline bool rng_chance(ULONG one_in)
{
    return rng_below(one_in) == 0;
}

#endif /* NDISBUF_TESTS_RNG_H */
