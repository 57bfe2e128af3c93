/* SPDX-License-Identifier: MIT */
/*
 * The arena: one reservation of address space for every pool, divided into
 * slots. A pool owns a run of consecutive slots; the slot table maps any
 * address in the arena back to its pool in O(1), which is how a pointer is
 * recognised (or refused) without ever being dereferenced.
 */
#ifndef NDISBUF_POOL_ARENA_H
#define NDISBUF_POOL_ARENA_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct pool;

/* Lock order: arena_lock before any pool's lock. */
extern pthread_mutex_t arena_lock;

/*
 * Reserves nslots consecutive slots for owner; returns the first slot's
 * index and its address through *base, or -1 when the arena is full or
 * cannot be reserved. Call with arena_lock held.
 */
long arena_claim_locked(uint32_t nslots, struct pool *owner, char **base);
/* The arena's size in bytes (reserving it at first use), 0 when it cannot be reserved. arena_lock held. */
size_t arena_size_locked(void);
/* Gives the slots back and drops their memory. Call with arena_lock held. */
void arena_release_locked(uint32_t first, uint32_t nslots);
/* Published once the arena is reserved (arena_bytes last, release/acquire; 0 before); read by arena_owner. */
extern char *arena_base NDISBUF_INTERNAL;
extern size_t arena_bytes NDISBUF_INTERNAL;
extern struct pool *_Atomic *arena_slot_owner NDISBUF_INTERNAL;

/* The pool owning the slot that holds addr, or NULL. Lock-free, never dereferences addr. */
static inline struct pool *arena_owner(const void *addr)
{
    size_t bytes = __atomic_load_n(&arena_bytes, __ATOMIC_ACQUIRE); /* 0 (nothing inside) until reserved */
    uintptr_t off = (uintptr_t)addr - (uintptr_t)__atomic_load_n(&arena_base, __ATOMIC_RELAXED);
    if (NDISBUF_UNLIKELY(off >= bytes))
        return NULL;
    return atomic_load_explicit(&arena_slot_owner[off >> NDISBUF_SLOT_SHIFT], memory_order_acquire);
}
/* The pool owning slot index `first`, for stale-reference checks. arena_lock held. */
struct pool *arena_slot_owner_locked(uint32_t first);

#endif /* NDISBUF_POOL_ARENA_H */
