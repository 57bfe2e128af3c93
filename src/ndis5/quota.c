/* SPDX-License-Identifier: MIT */
/*
 * Bounded pools without a shared counter on the fast path.
 *
 * An NDIS 5 packet pool may have at most NumberOfDescriptors packets out
 * (and a buffer pool NumberOfDescriptors buffers), yet allocation must take
 * no lock and no atomic read-modify-write, and packets are often freed on
 * another thread than the one that allocated them. The engine's elements
 * cannot carry the bound (a free lands in the freeing thread's magazine,
 * out of the allocating thread's reach), so the bound is kept on counts:
 *
 *   - a thread takes a *share* of the free count under the pool's lock and
 *     spends it from thread-local storage, one allocation at a time;
 *   - what is free is  limit - (granted - frees), where `granted` counts the
 *     shares handed out and `frees` is read from the engine's per-thread
 *     free counters, which only grow. A lower bound of `frees` is all that
 *     is needed, so the bound holds without stopping anybody;
 *   - shares are small (at most N5_GRANT_MAX, and 1/N5_GRANT_DIVISOR of what
 *     is free), so when the pool runs low every allocation goes through the
 *     lock and the count is exact; a thread that exits gives its unspent
 *     share back.
 *
 * One thread allocating sees the exact bound. With several allocating
 * threads an allocation can fail while another thread still holds a share
 * (never more than N5_GRANT_MAX each); the pool never exceeds its bound.
 */
#include <stdlib.h>
#include <string.h>

#include "n5.h"

__thread struct n5_share_table *n5_shares __attribute__((tls_model("initial-exec")));

static pthread_mutex_t quota_lock = PTHREAD_MUTEX_INITIALIZER;
static struct n5_quota **quota_slots; /* by id, under quota_lock */
static uint32_t quota_slot_count;
static uint64_t quota_next_generation = 1;
static pthread_key_t share_key;
static pthread_once_t share_key_once = PTHREAD_ONCE_INIT;

/* ------------------------------------------------------------- registry */

bool quota_register(struct n5_quota *q)
{
    pthread_mutex_lock(&quota_lock);
    uint32_t id = 0;
    while (id < quota_slot_count && quota_slots[id])
        id++;
    if (id == quota_slot_count) {
        uint32_t n = quota_slot_count ? quota_slot_count * 2 : 16;
        struct n5_quota **grown = realloc(quota_slots, n * sizeof(*grown));
        if (!grown) {
            pthread_mutex_unlock(&quota_lock);
            return false;
        }
        memset(&grown[quota_slot_count], 0, (n - quota_slot_count) * sizeof(*grown));
        quota_slots = grown;
        quota_slot_count = n;
    }
    quota_slots[id] = q;
    q->id = id;
    q->generation = quota_next_generation++;
    pthread_mutex_unlock(&quota_lock);
    return true;
}

void quota_unregister(struct n5_quota *q)
{
    pthread_mutex_lock(&quota_lock);
    if (q->id < quota_slot_count && quota_slots[q->id] == q)
        quota_slots[q->id] = NULL;
    pthread_mutex_unlock(&quota_lock);
}

/* ------------------------------------------------------ thread shares */

/* Thread exit: every unspent share goes back to its pool, if it still lives. */
static void shares_release(void *arg)
{
    struct n5_share_table *t = arg;
    pthread_mutex_lock(&quota_lock);
    for (uint32_t id = 0; id < t->count && id < quota_slot_count; id++) {
        struct n5_quota *q = quota_slots[id];
        struct n5_share *s = &t->shares[id];
        if (!q || !s->left || s->generation != q->generation)
            continue;
        pthread_mutex_lock(q->lock);
        q->granted -= s->left;
        pthread_mutex_unlock(q->lock);
    }
    pthread_mutex_unlock(&quota_lock);
    free(t);
    n5_shares = NULL;
}

static void share_key_create(void)
{
    pthread_key_create(&share_key, shares_release);
}

/* The calling thread's share of q, its table grown as needed; NULL when memory runs out. */
static struct n5_share *share_of(const struct n5_quota *q)
{
    struct n5_share_table *t = n5_shares;
    if (t && q->id < t->count)
        return &t->shares[q->id];
    uint32_t old = t ? t->count : 0;
    uint32_t n = old ? old : 16;
    while (n <= q->id)
        n *= 2;
    struct n5_share_table *grown = realloc(t, sizeof(*grown) + n * sizeof(grown->shares[0]));
    if (!grown)
        return NULL;
    memset(&grown->shares[old], 0, (n - old) * sizeof(grown->shares[0]));
    grown->count = n;
    n5_shares = grown;
    pthread_once(&share_key_once, share_key_create);
    pthread_setspecific(share_key, grown);
    return &grown->shares[q->id];
}

/* ---------------------------------------------------------------- counts */

/*
 * A lower bound of the frees made under the quota: allocations are read
 * before outstanding, and both counters only grow, so the difference never
 * exceeds the frees made by the time the second read ends.
 */
static uint64_t quota_frees_at_least(struct n5_quota *q)
{
    uint64_t allocs = pool_allocations(q->engine);
    uint64_t outstanding = pool_outstanding(q->engine);
    uint64_t frees = allocs >= outstanding ? allocs - outstanding : 0;
    return frees >= q->prefill ? frees - q->prefill : 0;
}

uint64_t quota_free_locked(struct n5_quota *q)
{
    uint64_t frees = quota_frees_at_least(q);
    uint64_t committed = q->granted >= frees ? q->granted - frees : 0;
    return q->limit > committed ? q->limit - committed : 0;
}

bool quota_take_slow(struct n5_quota *q)
{
    struct n5_share *s = share_of(q);
    pthread_mutex_lock(q->lock);
    if (s && s->generation == q->generation && s->left) {
        s->left--; /* a share the fast path could not see (table just grown) */
        pthread_mutex_unlock(q->lock);
        return true;
    }
    uint64_t available = quota_free_locked(q);
    if (!available) {
        pthread_mutex_unlock(q->lock);
        return false;
    }
    uint64_t take = available / N5_GRANT_DIVISOR;
    if (take > N5_GRANT_MAX)
        take = N5_GRANT_MAX;
    if (take == 0 || !s)
        take = 1;
    q->granted += take;
    if (s) {
        s->generation = q->generation;
        s->left = (uint32_t)(take - 1);
    }
    pthread_mutex_unlock(q->lock);
    return true;
}

void quota_give_back(struct n5_quota *q)
{
    struct n5_share_table *t = n5_shares;
    if (t && q->id < t->count && t->shares[q->id].generation == q->generation) {
        t->shares[q->id].left++;
        return;
    }
    pthread_mutex_lock(q->lock);
    q->granted--;
    pthread_mutex_unlock(q->lock);
}
