/* SPDX-License-Identifier: MIT */
/*
 * The allocator engine: pools of fixed-size elements. Knows nothing of NDIS.
 *
 * Elements live in one process-wide reserved arena; each pool owns a run of
 * slots in it and commits memory in growing chunks, laying new elements out
 * once (the init callback) when they are first committed. Allocation and
 * free go through a per-thread magazine with no lock and no atomic
 * read-modify-write; a magazine that runs empty or full exchanges a batch
 * with the pool's depot under the pool's mutex. A free may happen on any
 * thread. Outstanding counts are per-thread single-writer counters summed
 * when asked.
 */
#ifndef NDISBUF_POOL_POOL_H
#define NDISBUF_POOL_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pool;

typedef void (*pool_init_fn)(void *element, void *user);

struct pool_config {
    size_t element_size; /* rounded up to `align` */
    size_t align;        /* a power of two >= 16; 0: NDISBUF_ELEMENT_ALIGN (a cache line) */
    void *user;          /* handed back by pool_user() */
    pool_init_fn init;   /* lays out each element once, when first committed */
};

/* A new pool, or NULL (address space or memory exhausted). */
struct pool *pool_create(const struct pool_config *config);
/* Releases the pool's memory. The caller has checked nothing is outstanding. */
void pool_destroy(struct pool *pool);

/* An element (laid out by init, contents as last freed), or NULL. */
void *pool_alloc(struct pool *pool);
/* Returns an element of this pool; the caller has checked it is one. */
void pool_free(struct pool *pool, void *element);
/*
 * This thread's magazine for pool, holding at least `items` elements and
 * with room for `room` more (both at most NDISBUF_MAGAZINE_SIZE), filled
 * from or spilled to the depot as needed (the depot grows the pool); NULL
 * when that cannot be had (no magazine, or the pool full). For the bulk
 * calls, which then pop or push a whole run (magazine.h).
 */
struct magazine;
struct magazine *pool_magazine_holding(struct pool *pool, uint32_t items, uint32_t room);

/*
 * The element containing addr and its pool, or NULL when addr lies in no
 * element laid out by a live pool. Never dereferences addr.
 */
void *pool_element_containing(const void *addr, struct pool **owner);

void *pool_user(const struct pool *pool);
size_t pool_stride(const struct pool *pool);
uint64_t pool_outstanding(struct pool *pool);
uint64_t pool_capacity(const struct pool *pool);
/* Whether the pool has laid out all the elements its address reservation holds (it cannot grow). */
bool pool_full(const struct pool *pool);
/* How many elements its reservation holds. */
uint64_t pool_reserved_elements(const struct pool *pool);
uint64_t pool_allocations(struct pool *pool);
/* Calls fn on every element laid out so far, under the pool's lock. */
void pool_for_each_element(struct pool *pool, void (*fn)(void *element, void *ctx), void *ctx);

#endif /* NDISBUF_POOL_POOL_H */
