/* SPDX-License-Identifier: MIT */
/*
 * Bulk allocation and free of NBLs (ndisbuf extensions).
 *
 * Each NBL is laid out and checked exactly as the single calls do, so the
 * verifier, fault injection and the level-0 checks see no difference. The
 * saving: the argument checks once per call, and the magazine visited once
 * per call instead of once per NBL (a run popped, or checked, parked and
 * pushed at once). Anything the fast paths do not serve goes, NBL by NBL,
 * the careful way, which reports.
 */
#include "config.h"
#include "element.h"
#include "nbl_fast.h"
#include "ndisbuf.h"
#include "verify/verify.h"

/*
 * The fast way: all Count elements popped from this thread's magazine at
 * once (filled from the depot first when it holds too few), each laid out
 * as the single call does; false, with nothing taken, when it cannot.
 */
static inline __attribute__((always_inline)) bool nbl_alloc_bulk_fast(struct nbuf_pool *pool, USHORT context_size,
                                                                      USHORT context_backfill,
                                                                      PNET_BUFFER_LIST *out, ULONG count, void *site)
{
    if (!nbl_fast_allowed(pool, context_size, context_backfill) || count == 0 || count > NDISBUF_MAGAZINE_SIZE)
        return false;
    struct magazine *m = magazine_remembered(pool->engine);
    if (NDISBUF_UNLIKELY(!m || m->count < count) && !(m = pool_magazine_holding(pool->engine, count, 0)))
        return false;
    (void)site; /* the fast path notes no site for NBL pools (elem_note_site) */
    const struct nbl_shape shape = nbl_shape_of(pool);
    uint32_t top = m->count;
    PNET_BUFFER_LIST next = NULL;
    for (ULONG i = count; i-- > 0;) {
        /* out[0] is the most recently freed, as count single calls would give. */
        struct elem_header *h = elem_at(m->items[top - 1 - i]);
        elem_mark_live_as(pool, h, NULL, true);
        PNET_BUFFER_LIST nbl = nbl_setup_fitting(&shape, h, context_size, context_backfill);
        nbl->Next = next;
        out[i] = next = nbl;
    }
    m->count = top - count;
    __atomic_store_n(&m->allocs, __atomic_load_n(&m->allocs, __ATOMIC_RELAXED) + count, __ATOMIC_RELAXED);
    return true;
}

/*
 * A run of NBLs of one pool being freed together: each is checked as
 * NdisFreeNetBufferList's fast path checks it, restored (clean on free),
 * marked free (so the same NBL twice is refused the second time) and
 * parked in this thread's magazine just above the count, in one pass over
 * its lines; free_run_push then publishes them all with one count update.
 */
struct free_run {
    struct nbl_shape shape;        /* of the run's pool (shape.pool NULL: no run) */
    struct pool_geometry geometry; /* of its engine: its NBLs are recognised without asking the arena */
    struct magazine *m;
    uint32_t n;
    uint32_t room;
};

static inline __attribute__((always_inline)) void free_run_push(struct free_run *run)
{
    if (!run->n)
        return;
    struct magazine *m = run->m;
    m->count += run->n;
    __atomic_store_n(&m->frees, __atomic_load_n(&m->frees, __ATOMIC_RELAXED) + run->n, __ATOMIC_RELAXED);
    run->n = 0;
}

/*
 * Pushes the run and starts one for pool with room for `want` NBLs in this
 * thread's magazine; false (no run) when that cannot be had.
 */
static inline __attribute__((always_inline)) bool free_run_start(struct free_run *run, struct nbuf_pool *pool,
                                                                 uint32_t want)
{
    free_run_push(run);
    struct pool *engine = pool->engine;
    struct magazine *m = magazine_remembered(engine);
    if (!m || NDISBUF_MAGAZINE_SIZE - m->count < want)
        m = pool_magazine_holding(engine, 0, want);
    if (NDISBUF_UNLIKELY(!m)) {
        run->shape.pool = NULL;
        return false;
    }
    *run = (struct free_run){.shape = nbl_shape_of(pool), .geometry = pool_geometry_of(engine), .m = m,
                             .room = NDISBUF_MAGAZINE_SIZE - m->count};
    return true;
}

/*
 * Adds nbl to the run (a new run when its pool differs or the magazine is
 * full, with room for `want` made first); false, with nbl untouched, when
 * it is not for the fast path: the caller pushes the run and takes the
 * careful way for that NBL. The caller has checked vf_careful. *next: the
 * NBL's Next as the driver left it, read once the NBL is known live and
 * before it is marked free (and, under AddressSanitizer, poisoned).
 */
static inline __attribute__((always_inline)) bool free_run_take(struct free_run *run, PNET_BUFFER_LIST nbl,
                                                                uint32_t want, PNET_BUFFER_LIST *next)
{
    struct nbuf_pool *pool = run->shape.pool;
    struct elem_header *h;
    if (NDISBUF_LIKELY(pool && pool_geometry_holds_start(&run->geometry, nbl))) {
        /* An element of the run's pool: elem_live_nbl_as's checks but the arena's. */
        h = (struct elem_header *)((char *)nbl + ELEM_HEADER_OFFSET);
        if (NDISBUF_UNLIKELY(h->pool != pool || elem_header_word(h) != ELEM_WORD_LIVE_AS(DERIVED_NONE)))
            return false;
        if (NDISBUF_UNLIKELY(run->n == run->room) && !free_run_start(run, pool, want))
            return false;
    } else if (!(h = elem_live_nbl_as(nbl, DERIVED_NONE, &pool)) || !free_run_start(run, pool, want)) {
        return false;
    }
    if (NDISBUF_UNLIKELY(!nbl_shape_freeable(&run->shape, nbl, h, DERIVED_NONE)))
        return false;
    if (NDISBUF_UNLIKELY(!nbl_elem_clean(&run->shape, h)))
        nbl_elem_restore(pool, h);
    else
        nbl_source_handle_clear(nbl);
    *next = nbl->Next;
    __atomic_store_n(&h->state, ELEM_FREE, __ATOMIC_RELAXED);
    elem_poison(pool, h);
    run->m->items[run->m->count + run->n++] = elem_start(h);
    return true;
}

NDISBUF_HOT_PATH NDIS_STATUS ndisbuf_nbl_alloc_bulk(NDIS_HANDLE PoolHandle, USHORT ContextSize,
                                                    USHORT ContextBackFill, PNET_BUFFER_LIST *NetBufferLists,
                                                    ULONG Count)
{
    if (NDISBUF_LIKELY(NetBufferLists != NULL) &&
        nbl_alloc_bulk_fast(PoolHandle, ContextSize, ContextBackFill, NetBufferLists, Count,
                            __builtin_return_address(0)))
        return NDIS_STATUS_SUCCESS;
    const char *fn = "ndisbuf_nbl_alloc_bulk";
    struct nbuf_pool *pool = pools_checked(PoolHandle, NBUF_POOL_NBL, fn);
    if (!pool || !nbl_context_request_ok(ContextSize, ContextBackFill, fn))
        return NDIS_STATUS_INVALID_PARAMETER;
    if (!NetBufferLists || Count == 0 || Count > NDISBUF_BULK_MAX) {
        vf_diagnostic(fn, "NetBufferLists %p with Count %u: the array must be non-NULL and Count 1..%u",
                      (void *)NetBufferLists, Count, NDISBUF_BULK_MAX);
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    void *site = __builtin_return_address(0);
    PNET_BUFFER_LIST taken[NDISBUF_BULK_MAX];
    for (ULONG i = 0; i < Count; i++) {
        taken[i] = nbl_take(pool, ContextSize, ContextBackFill, site, fn);
        if (NDISBUF_UNLIKELY(!taken[i])) {
            while (i-- > 0)
                NdisFreeNetBufferList(taken[i]);
            return NDIS_STATUS_RESOURCES;
        }
        if (i)
            taken[i - 1]->Next = taken[i];
    }
    for (ULONG i = 0; i < Count; i++)
        NetBufferLists[i] = taken[i];
    return NDIS_STATUS_SUCCESS;
}

NDISBUF_HOT_PATH ULONG ndisbuf_nbl_free_bulk(PNET_BUFFER_LIST *NetBufferLists, ULONG Count)
{
    if (!NetBufferLists && Count) {
        vf_diagnostic("ndisbuf_nbl_free_bulk", "NetBufferLists is NULL with Count %u", Count);
        return 0;
    }
    uint32_t want = Count < NDISBUF_MAGAZINE_SIZE ? Count : NDISBUF_MAGAZINE_SIZE;
    struct free_run run = {0};
    ULONG freed = 0;
    if (NDISBUF_UNLIKELY(vf_careful())) {
        for (ULONG i = 0; i < Count; i++)
            freed += nbl_free_one(NetBufferLists[i]);
        return freed;
    }
    PNET_BUFFER_LIST next_unused;
    for (ULONG i = 0; i < Count; i++) {
        if (free_run_take(&run, NetBufferLists[i], want, &next_unused)) {
            freed++;
            continue;
        }
        free_run_push(&run);
        freed += nbl_free_one(NetBufferLists[i]);
    }
    free_run_push(&run);
    return freed;
}

NDISBUF_HOT_PATH ULONG ndisbuf_nbl_free_chain(PNET_BUFFER_LIST NetBufferListChain)
{
    struct free_run run = {0};
    ULONG freed = 0;
    bool fast = !vf_careful();
    for (PNET_BUFFER_LIST nbl = NetBufferListChain, next; nbl; nbl = next) {
        if (NDISBUF_LIKELY(fast) && free_run_take(&run, nbl, NDISBUF_MAGAZINE_BATCH, &next)) {
            freed++;
            continue;
        }
        free_run_push(&run);
        /* Next is read only from a live NBL: a stray pointer ends the walk (after its report). */
        struct elem_header *h;
        next = elem_classify(nbl, &h) == OBJ_NBL && h->state == ELEM_LIVE ? nbl->Next : NULL;
        freed += nbl_free_one(nbl);
    }
    free_run_push(&run);
    return freed;
}
