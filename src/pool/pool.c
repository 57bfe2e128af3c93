/* SPDX-License-Identifier: MIT */
/*
 * Pools of fixed-size elements with per-thread magazines.
 *
 * Fast path: a thread finds its magazine for a pool through a thread-local
 * table indexed by the pool's id (its first arena slot) and checked against
 * the pool's generation, then pops or pushes one pointer. No lock, no atomic
 * read-modify-write: the only shared words a thread writes on the fast path
 * are its own alloc/free counters, published with relaxed stores (plain
 * moves) so another thread can sum them when the pool is freed.
 *
 * Slow path: an empty magazine takes a batch from the depot (growing the
 * pool if the depot is empty); a full one gives a batch back. A thread that
 * exits returns its magazines' elements and counters to their pools.
 * Generations are unique for the life of the process, so a thread's stale
 * reference to a freed pool never matches a new pool with the same id.
 */
#include "pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "arena.h"
#include "magazine.h"
#include "config.h"

__thread struct thread_cache *thread_cache __attribute__((tls_model("initial-exec")));
__thread struct magazine_hot magazine_hot[MAGAZINE_HOT_ENTRIES] __attribute__((tls_model("initial-exec")));
static uint64_t next_generation = 1; /* under arena_lock */
static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;

static inline uint64_t counter_read(const uint64_t *counter)
{
    return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------- growth */

static size_t round_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

static int depot_reserve_locked(struct pool *pool, size_t need)
{
    if (need <= pool->depot_cap)
        return 0;
    size_t cap = pool->depot_cap ? pool->depot_cap : 64;
    while (cap < need)
        cap *= 2;
    void **grown = realloc(pool->depot, cap * sizeof(*grown));
    if (!grown)
        return -1;
    pool->depot = grown;
    pool->depot_cap = cap;
    return 0;
}

/* Commits the next chunk and lays its elements out into the depot. */
static int pool_grow_locked(struct pool *pool)
{
    size_t chunk = pool->next_grow_bytes;
    size_t room = pool->reserve_bytes - pool->committed_bytes;
    if (chunk > room)
        chunk = room;
    size_t first = pool->capacity;
    size_t last = (pool->committed_bytes + chunk) / pool->stride;
    if (last <= first || depot_reserve_locked(pool, last) != 0)
        return -1;
    if (mprotect(pool->base + pool->committed_bytes, chunk, PROT_READ | PROT_WRITE) != 0)
        return -1;
    pool->committed_bytes += chunk;
    if (pool->next_grow_bytes < NDISBUF_GROW_MAX_BYTES)
        pool->next_grow_bytes *= 2;
    /* Pushed in reverse so that the lowest index is handed out first. */
    for (size_t i = last; i-- > first;) {
        void *element = pool->base + i * pool->stride;
        if (pool->init)
            pool->init(element, pool->user);
        pool->depot[pool->depot_count++] = element;
    }
    __atomic_store_n(&pool->capacity, last, __ATOMIC_RELEASE);
    return 0;
}

/* ------------------------------------------------------------ create/destroy */

/* Address space for a pool of stride-byte elements; call with arena_lock held. */
static size_t pool_reservation_locked(size_t stride)
{
    size_t want = stride * NDISBUF_POOL_RESERVE_ELEMENTS;
    size_t share = arena_size_locked() / NDISBUF_ARENA_MIN_POOLS;
    if (want > NDISBUF_POOL_MAX_RESERVE_BYTES)
        want = NDISBUF_POOL_MAX_RESERVE_BYTES;
    if (want > share)
        want = share;
    if (want < stride)
        want = stride;
    return round_up(want, NDISBUF_SLOT_BYTES);
}

struct pool *pool_create(const struct pool_config *config)
{
    size_t stride = round_up(config->element_size ? config->element_size : 1,
                             config->align ? config->align : NDISBUF_ELEMENT_ALIGN);
    struct pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return NULL;
    pool->stride = stride;
    pool->reciprocal = UINT64_MAX / stride + 1;
    pool->user = config->user;
    pool->init = config->init;
    pool->next_grow_bytes = round_up(stride * 16 > NDISBUF_GROW_MIN_BYTES ? stride * 16
                                                                          : NDISBUF_GROW_MIN_BYTES,
                                     4096);
    pthread_mutex_init(&pool->lock, NULL);

    pthread_mutex_lock(&arena_lock);
    pool->reserve_bytes = pool_reservation_locked(stride);
    pool->nslots = (uint32_t)(pool->reserve_bytes >> NDISBUF_SLOT_SHIFT);
    long id = arena_claim_locked(pool->nslots, pool, &pool->base);
    if (id >= 0) {
        pool->id = (uint32_t)id;
        pool->hot_slot = (uint32_t)(next_generation % MAGAZINE_HOT_ENTRIES);
        pool->generation = next_generation++;
    }
    pthread_mutex_unlock(&arena_lock);
    if (id < 0) {
        pthread_mutex_destroy(&pool->lock);
        free(pool);
        return NULL;
    }
    return pool;
}

void pool_destroy(struct pool *pool)
{
    pthread_mutex_lock(&arena_lock);
    pthread_mutex_lock(&pool->lock);
    struct magazine *m = pool->magazines;
    while (m) {
        struct magazine *next = m->next;
        free(m);
        m = next;
    }
    pool->magazines = NULL;
    pthread_mutex_unlock(&pool->lock);
    NDISBUF_UNPOISON(pool->base, pool->committed_bytes); /* a later pool may reuse these addresses */
    arena_release_locked(pool->id, pool->nslots);
    pthread_mutex_unlock(&arena_lock);
    pthread_mutex_destroy(&pool->lock);
    free(pool->depot);
    free(pool);
}

/* --------------------------------------------------------- thread caches */

static void thread_cache_flush(void *arg);

static void thread_key_create(void)
{
    pthread_key_create(&thread_key, thread_cache_flush);
}

static struct thread_cache *thread_cache_reserve(uint32_t id)
{
    struct thread_cache *tc = thread_cache;
    if (tc && id < tc->nrefs)
        return tc;
    uint32_t old = tc ? tc->nrefs : 0;
    uint32_t n = old ? old : 16;
    while (n <= id)
        n *= 2;
    struct thread_cache *grown = realloc(tc, sizeof(*tc) + n * sizeof(tc->refs[0]));
    if (!grown)
        return NULL;
    memset(&grown->refs[old], 0, (n - old) * sizeof(grown->refs[0]));
    grown->nrefs = n;
    thread_cache = grown;
    pthread_once(&thread_key_once, thread_key_create);
    pthread_setspecific(thread_key, grown);
    return grown;
}

/* Creates this thread's magazine for pool; NULL when memory runs out. */
static struct magazine *magazine_attach(struct pool *pool)
{
    struct thread_cache *tc = thread_cache_reserve(pool->id);
    if (!tc)
        return NULL;
    struct magazine *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->pool = pool;
    pthread_mutex_lock(&pool->lock);
    m->next = pool->magazines;
    pool->magazines = m;
    pthread_mutex_unlock(&pool->lock);
    tc->refs[pool->id].generation = pool->generation;
    tc->refs[pool->id].magazine = m;
    return m;
}

static inline struct magazine *magazine_of(struct pool *pool)
{
    struct magazine *m = magazine_recent(pool);
    return NDISBUF_LIKELY(m != NULL) ? m : magazine_attach(pool);
}

struct magazine *magazine_remember(const struct pool *pool)
{
    struct magazine *m = magazine_cached(pool);
    if (m)
        *magazine_hot_entry(pool) = (struct magazine_hot){.generation = pool->generation, .magazine = m};
    return m;
}

static void magazine_unlink_locked(struct pool *pool, struct magazine *m)
{
    for (struct magazine **link = &pool->magazines; *link; link = &(*link)->next) {
        if (*link == m) {
            *link = m->next;
            return;
        }
    }
}

/* Thread exit: give every live pool back its elements and counters. */
static void thread_cache_flush(void *arg)
{
    struct thread_cache *tc = arg;
    pthread_mutex_lock(&arena_lock);
    for (uint32_t id = 0; id < tc->nrefs; id++) {
        struct magazine_ref *ref = &tc->refs[id];
        struct pool *pool = ref->magazine ? arena_slot_owner_locked(id) : NULL;
        if (!pool || pool->id != id || pool->generation != ref->generation)
            continue; /* pool freed: it already released this magazine */
        struct magazine *m = ref->magazine;
        pthread_mutex_lock(&pool->lock);
        memcpy(&pool->depot[pool->depot_count], m->items, m->count * sizeof(void *));
        pool->depot_count += m->count;
        pool->retired_allocs += m->allocs;
        pool->retired_frees += m->frees;
        magazine_unlink_locked(pool, m);
        pthread_mutex_unlock(&pool->lock);
        free(m);
    }
    pthread_mutex_unlock(&arena_lock);
    free(tc);
    thread_cache = NULL;
    memset(magazine_hot, 0, sizeof magazine_hot);
}

/* ------------------------------------------------------------- alloc/free */

static int magazine_refill(struct pool *pool, struct magazine *m)
{
    pthread_mutex_lock(&pool->lock);
    if (pool->depot_count == 0)
        pool_grow_locked(pool);
    size_t n = pool->depot_count < NDISBUF_MAGAZINE_BATCH ? pool->depot_count : NDISBUF_MAGAZINE_BATCH;
    pool->depot_count -= n;
    memcpy(m->items, &pool->depot[pool->depot_count], n * sizeof(void *));
    m->count = (uint32_t)n;
    pthread_mutex_unlock(&pool->lock);
    return n != 0;
}

static void magazine_spill(struct pool *pool, struct magazine *m)
{
    uint32_t n = NDISBUF_MAGAZINE_BATCH;
    pthread_mutex_lock(&pool->lock);
    m->count -= n;
    memcpy(&pool->depot[pool->depot_count], &m->items[m->count], n * sizeof(void *));
    pool->depot_count += n;
    pthread_mutex_unlock(&pool->lock);
}

/* Magazine-less paths (a thread whose magazine could not be created). */
static void *depot_alloc(struct pool *pool)
{
    void *element = NULL;
    pthread_mutex_lock(&pool->lock);
    if (pool->depot_count == 0)
        pool_grow_locked(pool);
    if (pool->depot_count) {
        element = pool->depot[--pool->depot_count];
        pool->retired_allocs++;
    }
    pthread_mutex_unlock(&pool->lock);
    return element;
}

static void depot_free(struct pool *pool, void *element)
{
    pthread_mutex_lock(&pool->lock);
    pool->depot[pool->depot_count++] = element;
    pool->retired_frees++;
    pthread_mutex_unlock(&pool->lock);
}

void *pool_alloc(struct pool *pool)
{
    struct magazine *m = magazine_of(pool);
    if (NDISBUF_UNLIKELY(!m))
        return depot_alloc(pool);
    if (NDISBUF_UNLIKELY(m->count == 0) && !magazine_refill(pool, m))
        return NULL;
    counter_bump(&m->allocs);
    return m->items[--m->count];
}

void pool_free(struct pool *pool, void *element)
{
    struct magazine *m = magazine_of(pool);
    if (NDISBUF_UNLIKELY(!m)) {
        depot_free(pool, element);
        return;
    }
    if (NDISBUF_UNLIKELY(m->count == NDISBUF_MAGAZINE_SIZE))
        magazine_spill(pool, m);
    counter_bump(&m->frees);
    m->items[m->count++] = element;
}

struct magazine *pool_magazine_holding(struct pool *pool, uint32_t items, uint32_t room)
{
    if (items > NDISBUF_MAGAZINE_SIZE || room > NDISBUF_MAGAZINE_SIZE)
        return NULL;
    struct magazine *m = magazine_of(pool);
    if (NDISBUF_UNLIKELY(!m))
        return NULL;
    if (m->count >= items && NDISBUF_MAGAZINE_SIZE - m->count >= room)
        return m;
    pthread_mutex_lock(&pool->lock);
    if (m->count < items) {
        uint32_t want = items - m->count;
        while (pool->depot_count < want && pool_grow_locked(pool) == 0)
            ;
        uint32_t take = want > NDISBUF_MAGAZINE_BATCH ? want : NDISBUF_MAGAZINE_BATCH;
        if (take > NDISBUF_MAGAZINE_SIZE - m->count)
            take = NDISBUF_MAGAZINE_SIZE - m->count;
        if (take > pool->depot_count)
            take = (uint32_t)pool->depot_count;
        pool->depot_count -= take;
        memcpy(&m->items[m->count], &pool->depot[pool->depot_count], take * sizeof(void *));
        m->count += take;
    }
    if (NDISBUF_MAGAZINE_SIZE - m->count < room) {
        uint32_t give = room - (NDISBUF_MAGAZINE_SIZE - m->count);
        if (give < NDISBUF_MAGAZINE_BATCH && m->count >= NDISBUF_MAGAZINE_BATCH)
            give = NDISBUF_MAGAZINE_BATCH;
        m->count -= give;
        memcpy(&pool->depot[pool->depot_count], &m->items[m->count], give * sizeof(void *));
        pool->depot_count += give;
    }
    pthread_mutex_unlock(&pool->lock);
    return m->count >= items && NDISBUF_MAGAZINE_SIZE - m->count >= room ? m : NULL;
}

/* ---------------------------------------------------------------- queries */

void *pool_element_containing(const void *addr, struct pool **owner)
{
    return pool_element_lookup(addr, owner);
}

void *pool_user(const struct pool *pool)
{
    return pool->user;
}

size_t pool_stride(const struct pool *pool)
{
    return pool->stride;
}

bool pool_full(const struct pool *pool)
{
    return (__atomic_load_n(&pool->capacity, __ATOMIC_ACQUIRE) + 1) * pool->stride > pool->reserve_bytes;
}

uint64_t pool_reserved_elements(const struct pool *pool)
{
    return pool->reserve_bytes / pool->stride;
}

uint64_t pool_capacity(const struct pool *pool)
{
    return __atomic_load_n(&pool->capacity, __ATOMIC_ACQUIRE);
}

static void pool_sum_locked(struct pool *pool, uint64_t *allocs, uint64_t *frees)
{
    *allocs = pool->retired_allocs;
    *frees = pool->retired_frees;
    for (struct magazine *m = pool->magazines; m; m = m->next) {
        *allocs += counter_read(&m->allocs);
        *frees += counter_read(&m->frees);
    }
}

uint64_t pool_outstanding(struct pool *pool)
{
    uint64_t allocs, frees;
    pthread_mutex_lock(&pool->lock);
    pool_sum_locked(pool, &allocs, &frees);
    pthread_mutex_unlock(&pool->lock);
    return allocs - frees;
}

uint64_t pool_allocations(struct pool *pool)
{
    uint64_t allocs, frees;
    pthread_mutex_lock(&pool->lock);
    pool_sum_locked(pool, &allocs, &frees);
    pthread_mutex_unlock(&pool->lock);
    return allocs;
}

void pool_for_each_element(struct pool *pool, void (*fn)(void *element, void *ctx), void *ctx)
{
    pthread_mutex_lock(&pool->lock);
    for (size_t i = 0; i < pool->capacity; i++)
        fn(pool->base + i * pool->stride, ctx);
    pthread_mutex_unlock(&pool->lock);
}
