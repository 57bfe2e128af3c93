/* SPDX-License-Identifier: MIT */
/*
 * The pool across threads, and the engine underneath it.
 *
 * NDIS allocates on one thread and frees on another (send on one,
 * completion on another), and threads come and go while holding cached
 * elements in their magazines. These tests hand NBLs and NBs between threads
 * through small mutex+condvar rings and check that the books balance: no
 * element lost or handed out twice, Outstanding back to 0, the pool freed
 * cleanly. Worker threads never call cmocka (it is not thread-safe); they
 * count errors that the test thread asserts on.
 *
 * The engine tests (src/pool/pool.h) check the O(1) pointer lookup the
 * verifier relies on: interior pointers map to their element, pointers past
 * the laid-out capacity or outside the arena map to nothing.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pool/pool.h"

#define TAG HARNESS_TAG('T', 'h', 'r', 'd')

/* ------------------------------------------------------------------ rings */

#define RING_SIZE 64

struct item {
    void *object;
    int kind; /* 0: NBL, 1: NB */
    ULONG_PTR sequence;
};

struct ring {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct item items[RING_SIZE];
    size_t head, count;
};

static void ring_init(struct ring *r)
{
    memset(r, 0, sizeof(*r));
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->changed, NULL);
}

static void ring_fini(struct ring *r)
{
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->changed);
}

/* Blocking push and pop, for the one-way test. */
static void ring_push(struct ring *r, struct item it)
{
    pthread_mutex_lock(&r->lock);
    while (r->count == RING_SIZE)
        pthread_cond_wait(&r->changed, &r->lock);
    r->items[(r->head + r->count++) % RING_SIZE] = it;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
}

static struct item ring_pop(struct ring *r)
{
    pthread_mutex_lock(&r->lock);
    while (r->count == 0)
        pthread_cond_wait(&r->changed, &r->lock);
    struct item it = r->items[r->head];
    r->head = (r->head + 1) % RING_SIZE;
    r->count--;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
    return it;
}

/* Non-blocking variants, for threads that both produce and consume. */
static bool ring_try_push(struct ring *r, struct item it)
{
    bool ok = false;
    pthread_mutex_lock(&r->lock);
    if (r->count < RING_SIZE) {
        r->items[(r->head + r->count++) % RING_SIZE] = it;
        ok = true;
    }
    pthread_mutex_unlock(&r->lock);
    return ok;
}

static bool ring_try_pop(struct ring *r, struct item *it)
{
    bool ok = false;
    pthread_mutex_lock(&r->lock);
    if (r->count) {
        *it = r->items[r->head];
        r->head = (r->head + 1) % RING_SIZE;
        r->count--;
        ok = true;
    }
    pthread_mutex_unlock(&r->lock);
    return ok;
}

static int errors; /* bumped by workers, read by the test thread after join */

static void count_error(void)
{
    __atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
}

static int error_count(void)
{
    return __atomic_exchange_n(&errors, 0, __ATOMIC_RELAXED);
}

/* ------------------------------------------------- one way: A allocates, B frees */

#define ONE_WAY_COUNT 40000

struct one_way {
    NDIS_HANDLE pool;
    struct ring ring;
};

static void *one_way_producer(void *arg)
{
    struct one_way *w = arg;
    for (ULONG_PTR i = 1; i <= ONE_WAY_COUNT; i++) {
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(w->pool, 0, 0, NULL, 0, 0);
        if (!nbl) {
            count_error();
            continue;
        }
        NET_BUFFER_LIST_PROTOCOL_RESERVED(nbl)[0] = (PVOID)i;
        ring_push(&w->ring, (struct item){nbl, 0, i});
    }
    ring_push(&w->ring, (struct item){NULL, 0, 0});
    return NULL;
}

static void *one_way_consumer(void *arg)
{
    struct one_way *w = arg;
    for (;;) {
        struct item it = ring_pop(&w->ring);
        PNET_BUFFER_LIST nbl = it.object;
        if (!nbl)
            break;
        if (NET_BUFFER_LIST_PROTOCOL_RESERVED(nbl)[0] != (PVOID)it.sequence ||
            NdisGetPoolFromNetBufferList(nbl) != w->pool || !NET_BUFFER_LIST_FIRST_NB(nbl))
            count_error();
        NET_BUFFER_LIST_PROTOCOL_RESERVED(nbl)[0] = NULL;
        NdisFreeNetBufferList(nbl);
    }
    return NULL;
}

static void nbls_allocated_on_one_thread_and_freed_on_another_balance(void **state)
{
    (void)state;
    struct one_way w;
    w.pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    ring_init(&w.ring);
    pthread_t producer, consumer;
    assert_int_equal(pthread_create(&consumer, NULL, one_way_consumer, &w), 0);
    assert_int_equal(pthread_create(&producer, NULL, one_way_producer, &w), 0);
    pthread_join(producer, NULL);
    pthread_join(consumer, NULL);
    ring_fini(&w.ring);

    assert_int_equal(error_count(), 0);
    NDISBUF_POOL_STATS stats = harness_stats(w.pool);
    assert_int_equal(stats.Outstanding, 0);
    assert_int_equal(stats.Allocations, ONE_WAY_COUNT);
    harness_expect_no_report();
    harness_free_nbl_pool(w.pool);
}

/* ------------------------------------------- both ways: a ring of threads */

#define RING_THREADS 4
#define RING_COUNT 15000 /* objects each thread sends */

struct mesh {
    NDIS_HANDLE nbl_pool;
    NDIS_HANDLE nb_pool;
    struct ring inbox[RING_THREADS];
};

struct mesh_worker {
    struct mesh *mesh;
    int index;
};

static struct item mesh_make(struct mesh *m, ULONG_PTR sequence)
{
    if (sequence % 3 == 0) {
        PNET_BUFFER nb = NdisAllocateNetBuffer(m->nb_pool, NULL, 0, 0);
        if (nb)
            NET_BUFFER_PROTOCOL_RESERVED(nb)[0] = (PVOID)sequence;
        return (struct item){nb, 1, sequence};
    }
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(m->nbl_pool, 0, 0, NULL, 0, 0);
    if (nbl)
        NET_BUFFER_LIST_PROTOCOL_RESERVED(nbl)[0] = (PVOID)sequence;
    return (struct item){nbl, 0, sequence};
}

static void mesh_consume(struct mesh *m, struct item it)
{
    if (it.kind == 1) {
        PNET_BUFFER nb = it.object;
        if (NET_BUFFER_PROTOCOL_RESERVED(nb)[0] != (PVOID)it.sequence || NdisGetPoolFromNetBuffer(nb) != m->nb_pool)
            count_error();
        NdisFreeNetBuffer(nb);
    } else {
        PNET_BUFFER_LIST nbl = it.object;
        if (NET_BUFFER_LIST_PROTOCOL_RESERVED(nbl)[0] != (PVOID)it.sequence ||
            NdisGetPoolFromNetBufferList(nbl) != m->nbl_pool)
            count_error();
        NdisFreeNetBufferList(nbl);
    }
}

static void *mesh_thread(void *arg)
{
    struct mesh_worker *w = arg;
    struct mesh *m = w->mesh;
    struct ring *out = &m->inbox[(w->index + 1) % RING_THREADS];
    struct ring *in = &m->inbox[w->index];
    ULONG_PTR sent = 0, received = 0;
    struct item pending = {NULL, 0, 0};
    while (sent < RING_COUNT || received < RING_COUNT) {
        bool progress = false;
        if (sent < RING_COUNT) {
            if (!pending.object) {
                pending = mesh_make(m, sent + 1);
                if (!pending.object) {
                    count_error();
                    sent++;
                    continue;
                }
            }
            if (ring_try_push(out, pending)) {
                pending.object = NULL;
                sent++;
                progress = true;
            }
        }
        struct item it;
        if (received < RING_COUNT && ring_try_pop(in, &it)) {
            mesh_consume(m, it);
            received++;
            progress = true;
        }
        if (!progress)
            sched_yield();
    }
    return NULL;
}

static void threads_allocating_and_freeing_in_both_directions_balance(void **state)
{
    (void)state;
    struct mesh m;
    m.nbl_pool = harness_nbl_pool(TRUE, 16, 0, TAG);
    m.nb_pool = harness_nb_pool(0);
    for (int i = 0; i < RING_THREADS; i++)
        ring_init(&m.inbox[i]);
    pthread_t threads[RING_THREADS];
    struct mesh_worker workers[RING_THREADS];
    for (int i = 0; i < RING_THREADS; i++) {
        workers[i] = (struct mesh_worker){&m, i};
        assert_int_equal(pthread_create(&threads[i], NULL, mesh_thread, &workers[i]), 0);
    }
    for (int i = 0; i < RING_THREADS; i++)
        pthread_join(threads[i], NULL);
    for (int i = 0; i < RING_THREADS; i++)
        ring_fini(&m.inbox[i]);

    assert_int_equal(error_count(), 0);
    NDISBUF_POOL_STATS nbl_stats = harness_stats(m.nbl_pool);
    NDISBUF_POOL_STATS nb_stats = harness_stats(m.nb_pool);
    assert_int_equal(nbl_stats.Outstanding, 0);
    assert_int_equal(nb_stats.Outstanding, 0);
    assert_int_equal(nbl_stats.Allocations + nb_stats.Allocations, (ULONG64)RING_THREADS * RING_COUNT);
    assert_int_equal(ndisbuf_outstanding_total(), 0);
    harness_expect_no_report();
    harness_free_nbl_pool(m.nbl_pool);
    harness_free_nb_pool(m.nb_pool);
}

/* ---------------------------------------- threads exiting with cached elements */

#define EXIT_THREADS 4
#define EXIT_CHURN 300
#define EXIT_KEPT 10

struct exiting {
    NDIS_HANDLE pool;
    PNET_BUFFER_LIST kept[EXIT_THREADS][EXIT_KEPT];
    int index;
};

struct exiting_worker {
    struct exiting *shared;
    int index;
};

static void *exiting_thread(void *arg)
{
    struct exiting_worker *w = arg;
    PNET_BUFFER_LIST nbls[EXIT_CHURN];
    for (int i = 0; i < EXIT_CHURN; i++) {
        nbls[i] = NdisAllocateNetBufferAndNetBufferList(w->shared->pool, 0, 0, NULL, 0, 0);
        if (!nbls[i])
            count_error();
    }
    /* Free most: the thread's magazine now caches free elements. */
    for (int i = EXIT_KEPT; i < EXIT_CHURN; i++)
        if (nbls[i])
            NdisFreeNetBufferList(nbls[i]);
    for (int i = 0; i < EXIT_KEPT; i++)
        w->shared->kept[w->index][i] = nbls[i];
    return NULL; /* exits holding a cache and with 10 NBLs still out */
}

static void threads_exiting_with_cached_elements_give_them_back(void **state)
{
    (void)state;
    struct exiting shared;
    memset(&shared, 0, sizeof(shared));
    shared.pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    pthread_t threads[EXIT_THREADS];
    struct exiting_worker workers[EXIT_THREADS];
    for (int i = 0; i < EXIT_THREADS; i++) {
        workers[i] = (struct exiting_worker){&shared, i};
        assert_int_equal(pthread_create(&threads[i], NULL, exiting_thread, &workers[i]), 0);
    }
    for (int i = 0; i < EXIT_THREADS; i++)
        pthread_join(threads[i], NULL);
    assert_int_equal(error_count(), 0);
    assert_int_equal(harness_stats(shared.pool).Outstanding, EXIT_THREADS * EXIT_KEPT);

    /* Freed by another thread than the (gone) one that allocated them. */
    for (int t = 0; t < EXIT_THREADS; t++)
        for (int i = 0; i < EXIT_KEPT; i++)
            NdisFreeNetBufferList(shared.kept[t][i]);
    NDISBUF_POOL_STATS stats = harness_stats(shared.pool);
    assert_int_equal(stats.Outstanding, 0);
    assert_int_equal(stats.Allocations, EXIT_THREADS * EXIT_CHURN);

    /*
     * Every element laid out so far is free again, wherever it was cached:
     * taking them all must not make the pool grow.
     */
    ULONG64 capacity = stats.Capacity;
    PNET_BUFFER_LIST *all = calloc(capacity, sizeof(*all));
    assert_non_null(all);
    for (ULONG64 i = 0; i < capacity; i++) {
        all[i] = NdisAllocateNetBufferList(shared.pool, 0, 0);
        assert_non_null(all[i]);
    }
    assert_int_equal(harness_stats(shared.pool).Capacity, capacity);
    for (ULONG64 i = 0; i < capacity; i++)
        NdisFreeNetBufferList(all[i]);
    free(all);
    harness_expect_no_report();
    harness_free_nbl_pool(shared.pool);
}

/* ------------------------------ a pool freed while a live thread caches it */

struct lingering {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int step;
    NDIS_HANDLE pool;
};

static void lingering_wait(struct lingering *l, int step)
{
    pthread_mutex_lock(&l->lock);
    while (l->step < step)
        pthread_cond_wait(&l->changed, &l->lock);
    pthread_mutex_unlock(&l->lock);
}

static void lingering_advance(struct lingering *l, int step)
{
    pthread_mutex_lock(&l->lock);
    l->step = step;
    pthread_cond_broadcast(&l->changed);
    pthread_mutex_unlock(&l->lock);
}

static NDIS_HANDLE lingering_pool(struct lingering *l)
{
    pthread_mutex_lock(&l->lock);
    NDIS_HANDLE pool = l->pool;
    pthread_mutex_unlock(&l->lock);
    return pool;
}

static void churn(NDIS_HANDLE pool, int n)
{
    PNET_BUFFER_LIST nbls[100];
    for (int i = 0; i < n; i++)
        if (!(nbls[i] = NdisAllocateNetBufferList(pool, 0, 0)))
            count_error();
    for (int i = 0; i < n; i++)
        if (nbls[i])
            NdisFreeNetBufferList(nbls[i]);
}

static void *lingering_thread(void *arg)
{
    struct lingering *l = arg;
    churn(lingering_pool(l), 100); /* caches elements of the first pool */
    lingering_advance(l, 1);
    lingering_wait(l, 2);          /* the first pool is freed, a second made */
    churn(lingering_pool(l), 100);
    return NULL;                   /* exits: must skip the freed pool */
}

static void pool_freed_while_a_live_thread_caches_its_elements(void **state)
{
    (void)state;
    struct lingering l;
    memset(&l, 0, sizeof(l));
    pthread_mutex_init(&l.lock, NULL);
    pthread_cond_init(&l.changed, NULL);
    l.pool = harness_nbl_pool(FALSE, 0, 0, TAG);
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, lingering_thread, &l), 0);

    lingering_wait(&l, 1);
    harness_free_nbl_pool(lingering_pool(&l));
    NDIS_HANDLE second = harness_nbl_pool(FALSE, 0, 0, TAG);
    pthread_mutex_lock(&l.lock);
    l.pool = second;
    pthread_mutex_unlock(&l.lock);
    lingering_advance(&l, 2);
    pthread_join(thread, NULL);

    assert_int_equal(error_count(), 0);
    NDISBUF_POOL_STATS stats = harness_stats(second);
    assert_int_equal(stats.Outstanding, 0);
    assert_int_equal(stats.Allocations, 100);
    churn(second, 100); /* the elements the thread gave back are usable */
    assert_int_equal(error_count(), 0);
    harness_free_nbl_pool(second);
    pthread_mutex_destroy(&l.lock);
    pthread_cond_destroy(&l.changed);
}

/* ------------------- a new pool at a freed pool's addresses (same slot id) */

struct slot_reuse {
    struct lingering sync;
    struct pool *pool;
    bool use_new_pool; /* touch the new pool before exiting, or not */
};

static void engine_churn(struct pool *pool, int n)
{
    void *elements[16];
    for (int i = 0; i < n; i++)
        if (!(elements[i] = pool_alloc(pool)))
            count_error();
    for (int i = 0; i < n; i++)
        if (elements[i])
            pool_free(pool, elements[i]);
}

static void *slot_reuse_thread(void *arg)
{
    struct slot_reuse *r = arg;
    pthread_mutex_lock(&r->sync.lock);
    struct pool *first = r->pool;
    pthread_mutex_unlock(&r->sync.lock);
    engine_churn(first, 16);          /* a magazine for the first pool */
    lingering_advance(&r->sync, 1);
    lingering_wait(&r->sync, 2);      /* freed; a new pool sits at its slot */
    if (r->use_new_pool) {
        pthread_mutex_lock(&r->sync.lock);
        struct pool *second = r->pool;
        pthread_mutex_unlock(&r->sync.lock);
        engine_churn(second, 16);     /* must not use the stale magazine */
    }
    return NULL;                      /* exit: flush must tell the pools apart */
}

static void thread_caches_stay_right_when_a_new_pool_takes_a_freed_pools_slot(void **state)
{
    (void)state;
    for (int variant = 0; variant < 2; variant++) {
        struct slot_reuse r;
        memset(&r, 0, sizeof(r));
        pthread_mutex_init(&r.sync.lock, NULL);
        pthread_cond_init(&r.sync.changed, NULL);
        r.use_new_pool = variant == 1;
        struct pool_config config = {.element_size = 64, .user = NULL, .init = NULL};
        r.pool = pool_create(&config);
        assert_non_null(r.pool);
        void *base = pool_alloc(r.pool); /* a fresh pool hands out its first element first */
        pool_free(r.pool, base);

        pthread_t thread;
        assert_int_equal(pthread_create(&thread, NULL, slot_reuse_thread, &r), 0);
        lingering_wait(&r.sync, 1);
        assert_int_equal(pool_outstanding(r.pool), 0);
        pool_destroy(r.pool);

        /* Go round the arena until a new pool is laid out at the same base. */
        struct pool *second = NULL;
        for (int i = 0; i < 40000 && !second; i++) {
            struct pool *p = pool_create(&config);
            assert_non_null(p);
            void *e = pool_alloc(p);
            pool_free(p, e);
            if (e == base)
                second = p;
            else
                pool_destroy(p);
        }
        assert_non_null(second);
        pthread_mutex_lock(&r.sync.lock);
        r.pool = second;
        pthread_mutex_unlock(&r.sync.lock);
        lingering_advance(&r.sync, 2);
        pthread_join(thread, NULL);

        assert_int_equal(error_count(), 0);
        assert_int_equal(pool_outstanding(second), 0);
        assert_int_equal(pool_allocations(second), r.use_new_pool ? 17 : 1);
        /* Everything laid out is free and reachable: no growth to take it all. */
        uint64_t capacity = pool_capacity(second);
        void **all = calloc(capacity, sizeof(*all));
        assert_non_null(all);
        for (uint64_t i = 0; i < capacity; i++)
            assert_non_null(all[i] = pool_alloc(second));
        assert_int_equal(pool_capacity(second), capacity);
        for (uint64_t i = 0; i < capacity; i++)
            pool_free(second, all[i]);
        free(all);
        pool_destroy(second);
        pthread_mutex_destroy(&r.sync.lock);
        pthread_cond_destroy(&r.sync.changed);
    }
}

/* ------------------------------------------------------------ the engine */

struct engine_user {
    size_t inits;
    size_t for_each;
};

static void engine_init(void *element, void *user)
{
    struct engine_user *u = user;
    u->inits++;
    memset(element, 0xAB, 8);
}

static void engine_count(void *element, void *ctx)
{
    (void)element;
    ((struct engine_user *)ctx)->for_each++;
}

static int compare_pointers(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
    return x < y ? -1 : x > y;
}

static void check_engine_lookup(size_t element_size)
{
    struct engine_user user = {0, 0};
    struct pool_config config = {.element_size = element_size, .user = &user, .init = engine_init};
    struct pool *pool = pool_create(&config);
    assert_non_null(pool);
    assert_ptr_equal(pool_user(pool), &user);
    size_t stride = pool_stride(pool);
    assert_true(stride >= element_size);
    assert_int_equal(stride % 64, 0);
    assert_int_equal(pool_capacity(pool), 0);

    /* Take every element of the first chunk. */
    void *first = pool_alloc(pool);
    assert_non_null(first);
    uint64_t capacity = pool_capacity(pool);
    assert_true(capacity >= 1);
    assert_int_equal(user.inits, capacity);
    void **elements = calloc(capacity, sizeof(*elements));
    assert_non_null(elements);
    elements[0] = first;
    for (uint64_t i = 1; i < capacity; i++) {
        elements[i] = pool_alloc(pool);
        assert_non_null(elements[i]);
    }
    assert_int_equal(pool_capacity(pool), capacity); /* no growth needed */
    assert_int_equal(pool_outstanding(pool), capacity);
    assert_int_equal(pool_allocations(pool), capacity);
    pool_for_each_element(pool, engine_count, &user);
    assert_int_equal(user.for_each, capacity);

    /* Contiguous, one stride apart. */
    qsort(elements, capacity, sizeof(*elements), compare_pointers);
    char *base = elements[0];
    for (uint64_t i = 0; i < capacity; i++) {
        char *e = elements[i];
        assert_ptr_equal(e, base + i * stride);
        const size_t probes[] = {0, 1, element_size / 2, stride - 1};
        for (size_t k = 0; k < 4; k++) {
            struct pool *owner = NULL;
            assert_ptr_equal(pool_element_containing(e + probes[k], &owner), e);
            assert_ptr_equal(owner, pool);
        }
    }
    /* Past the laid-out capacity: committed or not, no element. */
    struct pool *owner = NULL;
    assert_null(pool_element_containing(base + capacity * stride, &owner));
    assert_null(pool_element_containing(base + capacity * stride + stride / 2, &owner));
    assert_null(pool_element_containing(base + 10 * capacity * stride, &owner));
    /* Outside the arena. */
    int local = 0;
    void *heap = malloc(16);
    assert_null(pool_element_containing(&local, &owner));
    assert_null(pool_element_containing(heap, &owner));
    assert_null(pool_element_containing(NULL, &owner));
    assert_null(pool_element_containing((void *)(uintptr_t)-1, &owner));
    free(heap);

    for (uint64_t i = 0; i < capacity; i++)
        pool_free(pool, elements[i]);
    assert_int_equal(pool_outstanding(pool), 0);
    pool_destroy(pool);
    /* A freed pool's addresses name no element any more. */
    assert_null(pool_element_containing(base, &owner));
    free(elements);
}

static void engine_maps_interior_pointers_to_their_element(void **state)
{
    (void)state;
    check_engine_lookup(100);  /* stride 128 */
    check_engine_lookup(192);  /* a stride that is not a power of two */
    check_engine_lookup(2368); /* 37 cache lines */
    check_engine_lookup(1);
}

static void engine_reuses_freed_elements_lifo(void **state)
{
    (void)state;
    struct engine_user user = {0, 0};
    struct pool_config config = {.element_size = 256, .user = &user, .init = engine_init};
    struct pool *pool = pool_create(&config);
    assert_non_null(pool);
    void *a = pool_alloc(pool);
    void *b = pool_alloc(pool);
    assert_ptr_not_equal(a, b);
    pool_free(pool, b);
    assert_ptr_equal(pool_alloc(pool), b);
    pool_free(pool, a);
    pool_free(pool, b);
    assert_int_equal(pool_outstanding(pool), 0);
    assert_int_equal(pool_allocations(pool), 3);
    pool_destroy(pool);
}

static void engine_grows_across_many_chunks(void **state)
{
    (void)state;
    enum { N = 50000 };
    struct engine_user user = {0, 0};
    struct pool_config config = {.element_size = 64, .user = &user, .init = engine_init};
    struct pool *pool = pool_create(&config);
    void **elements = calloc(N, sizeof(*elements));
    assert_non_null(pool);
    assert_non_null(elements);
    for (int i = 0; i < N; i++) {
        elements[i] = pool_alloc(pool);
        assert_non_null(elements[i]);
        *(int *)elements[i] = i;
    }
    assert_true(pool_capacity(pool) >= N);
    for (int i = 0; i < N; i++) {
        struct pool *owner = NULL;
        assert_ptr_equal(pool_element_containing((char *)elements[i] + 63, &owner), elements[i]);
        assert_int_equal(*(int *)elements[i], i);
    }
    for (int i = 0; i < N; i++)
        pool_free(pool, elements[i]);
    assert_int_equal(pool_outstanding(pool), 0);
    pool_destroy(pool);
    free(elements);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(nbls_allocated_on_one_thread_and_freed_on_another_balance),
        HARNESS_TEST(threads_allocating_and_freeing_in_both_directions_balance),
        HARNESS_TEST(threads_exiting_with_cached_elements_give_them_back),
        HARNESS_TEST(pool_freed_while_a_live_thread_caches_its_elements),
        HARNESS_TEST(thread_caches_stay_right_when_a_new_pool_takes_a_freed_pools_slot),
        HARNESS_TEST(engine_maps_interior_pointers_to_their_element),
        HARNESS_TEST(engine_reuses_freed_elements_lifo),
        HARNESS_TEST(engine_grows_across_many_chunks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
