/* SPDX-License-Identifier: MIT */
/*
 * The pool engine's fast path, inline for the library's hot calls.
 *
 * A thread reaches its magazine for a pool through a thread-local table
 * indexed by the pool's id and checked against the pool's generation; a
 * pop or a push is then one pointer and one single-writer counter, with no
 * lock and no atomic read-modify-write. pool_alloc_cached / pool_free_cached
 * do only that and say so when they cannot (no magazine yet, magazine empty
 * or full): the caller then takes pool_alloc / pool_free, which handle the
 * exchange with the depot. Internal to src/ (never installed).
 */
#ifndef NDISBUF_POOL_MAGAZINE_H
#define NDISBUF_POOL_MAGAZINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "arena.h"
#include "pool.h"

struct magazine {
    uint32_t count;
    uint64_t allocs;          /* written by the owning thread only */
    uint64_t frees;           /* idem */
    struct pool *pool;
    struct magazine *next;    /* in pool->magazines, under pool->lock */
    void *items[NDISBUF_MAGAZINE_SIZE];
};

struct pool {
    /* read on every fast-path call */
    uint64_t generation;
    uint32_t id;
    uint32_t hot_slot;        /* its entry in magazine_hot: pools made one after another differ */
    size_t stride;
    uint64_t reciprocal;      /* ceil(2^64 / stride): division-free lookup */
    char *base;
    size_t capacity;          /* elements laid out; atomically published */
    void *user;
    pool_init_fn init;
    /* slow path, under lock */
    pthread_mutex_t lock;
    uint32_t nslots;
    size_t reserve_bytes;
    size_t committed_bytes;
    size_t next_grow_bytes;
    void **depot;
    size_t depot_count;
    size_t depot_cap;
    struct magazine *magazines;
    uint64_t retired_allocs;  /* from exited threads and magazine-less paths */
    uint64_t retired_frees;
};

struct magazine_ref {
    uint64_t generation;
    struct magazine *magazine;
};

struct thread_cache {
    uint32_t nrefs;
    struct magazine_ref refs[];
};

extern __thread struct thread_cache *thread_cache __attribute__((tls_model("initial-exec"))) NDISBUF_INTERNAL;

/*
 * The magazines this thread used last, remembered with their pool's
 * generation, in a few entries (a pool's is its hot_slot, given
 * round-robin). A free must find the magazine from the element it is
 * given; the table lookup (pool id, generation, entry) would put four
 * dependent loads between one allocation and the next. Checking a
 * remembered entry is one compare, a predicted branch, so the CPU goes on
 * with the remembered magazine at once. Several entries, because one call
 * often touches several pools (a clone: an NBL pool and the MDL pool).
 * Generations are never reused, so an entry left by a destroyed pool
 * matches no live pool, even one made at the same address; an empty
 * entry's generation, 0, matches none either.
 */
#define MAGAZINE_HOT_ENTRIES 8
struct magazine_hot {
    uint64_t generation;
    struct magazine *magazine; /* never NULL in an entry that matches */
};
extern __thread struct magazine_hot magazine_hot[MAGAZINE_HOT_ENTRIES] __attribute__((tls_model("initial-exec"))) NDISBUF_INTERNAL;

/*
 * The entry a pool is remembered in: given round-robin at creation, so the
 * last MAGAZINE_HOT_ENTRIES pools made never share one (an address hash
 * made two pools that one call uses collide, depending on where malloc
 * put them).
 */
static inline struct magazine_hot *magazine_hot_entry(const struct pool *pool)
{
    return &magazine_hot[pool->hot_slot];
}

/* One more on a single-writer counter that other threads may read (a plain load and store). */
static inline void counter_bump(uint64_t *counter)
{
    __atomic_store_n(counter, __atomic_load_n(counter, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

/* This thread's magazine for pool, or NULL when it has none yet. */
static inline struct magazine *magazine_cached(const struct pool *pool)
{
    struct thread_cache *tc = thread_cache;
    if (NDISBUF_LIKELY(tc && pool->id < tc->nrefs)) {
        struct magazine_ref *ref = &tc->refs[pool->id];
        if (NDISBUF_LIKELY(ref->generation == pool->generation))
            return ref->magazine;
    }
    return NULL;
}

/* Finds this thread's magazine for pool and remembers it; NULL when it has none yet. */
struct magazine *magazine_remember(const struct pool *pool);

/* This thread's magazine for pool, by way of the last one it used; NULL when it has none yet. */
static inline struct magazine *magazine_recent(const struct pool *pool)
{
    const struct magazine_hot *hot = magazine_hot_entry(pool);
    if (NDISBUF_LIKELY(hot->generation == pool->generation))
        return hot->magazine;
    return magazine_remember(pool);
}

/*
 * The remembered magazine for pool, or NULL when it is not remembered (the
 * caller's slower path then finds it). No call: a fast path that uses only
 * this needs no saved registers.
 */
static inline struct magazine *magazine_remembered(const struct pool *pool)
{
    const struct magazine_hot *hot = magazine_hot_entry(pool);
    if (NDISBUF_LIKELY(hot->generation == pool->generation))
        return hot->magazine;
    return NULL;
}

/*
 * Pops an element from this thread's remembered magazine into *element;
 * false (nothing done) when there is none there: then call pool_alloc.
 */
static inline bool pool_pop_cached(struct pool *pool, void **element)
{
    const struct magazine_hot *hot = magazine_hot_entry(pool);
    if (NDISBUF_UNLIKELY(hot->generation != pool->generation))
        return false;
    struct magazine *m = hot->magazine;
    if (NDISBUF_UNLIKELY(m->count == 0))
        return false;
    counter_bump(&m->allocs);
    *element = m->items[--m->count];
    return true;
}

/* pool_pop_cached's element, or NULL: then call pool_alloc. */
static inline void *pool_alloc_cached(struct pool *pool)
{
    void *element;
    return pool_pop_cached(pool, &element) ? element : NULL;
}

/* Puts an element in this thread's magazine; false (nothing done): call pool_free. */
static inline bool pool_free_cached(struct pool *pool, void *element)
{
    const struct magazine_hot *hot = magazine_hot_entry(pool);
    if (NDISBUF_UNLIKELY(hot->generation != pool->generation))
        return false;
    struct magazine *m = hot->magazine;
    if (NDISBUF_UNLIKELY(m->count == NDISBUF_MAGAZINE_SIZE))
        return false;
    counter_bump(&m->frees);
    m->items[m->count++] = element;
    return true;
}

/*
 * rel / stride for a byte offset rel into a pool, by one multiply with
 * reciprocal = ceil(2^64 / stride): the one place that divides by a
 * pool's element size.
 */
static inline uint64_t pool_index_of(uintptr_t rel, uint64_t reciprocal)
{
    return (uint64_t)(((unsigned __int128)rel * reciprocal) >> 64);
}

/* The index of the element starting at `start` in pool. */
static inline size_t pool_element_index(const struct pool *pool, const void *start)
{
    return (size_t)pool_index_of((uintptr_t)start - (uintptr_t)pool->base, pool->reciprocal);
}

/* pool_element_containing, inline: the element holding addr and its pool, or NULL. */
static inline void *pool_element_lookup(const void *addr, struct pool **owner)
{
    struct pool *pool = arena_owner(addr);
    if (NDISBUF_UNLIKELY(!pool))
        return NULL;
    uint64_t index = pool_index_of((uintptr_t)addr - (uintptr_t)pool->base, pool->reciprocal);
    if (NDISBUF_UNLIKELY(index >= __atomic_load_n(&pool->capacity, __ATOMIC_ACQUIRE)))
        return NULL;
    *owner = pool;
    return pool->base + index * pool->stride;
}

/*
 * Where a pool's elements lie, copied once for many lookups (the bulk
 * frees): the capacity is the one seen then, so an element laid out later
 * is not recognised by the copy (its caller then asks the arena).
 */
struct pool_geometry {
    uintptr_t base;
    uint64_t reciprocal;
    size_t stride;
    size_t capacity;
};

static inline struct pool_geometry pool_geometry_of(const struct pool *pool)
{
    return (struct pool_geometry){.base = (uintptr_t)pool->base, .reciprocal = pool->reciprocal,
                                  .stride = pool->stride,
                                  .capacity = __atomic_load_n(&pool->capacity, __ATOMIC_ACQUIRE)};
}

/* Whether addr is the start of one of the elements the geometry covers. Never dereferences addr. */
static inline __attribute__((always_inline)) bool pool_geometry_holds_start(const struct pool_geometry *g,
                                                                            const void *addr)
{
    uintptr_t rel = (uintptr_t)addr - g->base;
    uint64_t index = pool_index_of(rel, g->reciprocal);
    return index < g->capacity && index * g->stride == rel;
}

/*
 * The live pool in which addr is the start of an element laid out so far,
 * or NULL (addr anywhere else, NULL included). Never dereferences addr.
 */
static inline struct pool *pool_of_element_start(const void *addr)
{
    struct pool *pool = arena_owner(addr);
    if (NDISBUF_UNLIKELY(!pool))
        return NULL;
    struct pool_geometry g = pool_geometry_of(pool);
    return NDISBUF_LIKELY(pool_geometry_holds_start(&g, addr)) ? pool : NULL;
}

#endif /* NDISBUF_POOL_MAGAZINE_H */
