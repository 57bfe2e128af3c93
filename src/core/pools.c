/* SPDX-License-Identifier: MIT */
/*
 * NET_BUFFER_LIST and NET_BUFFER pools: creation, validation, free, stats.
 *
 * A pool is an NDIS-level description (kind, tag, layout, owner) over an
 * engine pool of fixed-size elements. Live pools are kept in a registry so
 * that a handle given to a free call is checked before anything is
 * released, and so the library can answer how many pools and objects are
 * still out. Freeing a pool with objects outstanding is a driver bug: it is
 * reported with the count, the tag and where the first ones were allocated,
 * and the pool is left intact so nothing still in use is released.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "config.h"
#ifdef NDISBUF_HAVE_ASAN
#include <sanitizer/lsan_interface.h>
#endif

#include "element.h"
#include "ndis5/counts.h"
#include "verify/fault.h"
#include "verify/track.h"
#include "verify/verify.h"

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nbuf_pool *registry_head;
static ULONG registry_count;
static struct nbuf_pool *mdl_pool;
/*
 * Freed pool objects are never given back to malloc: they wait, magic
 * cleared, in a first-in first-out queue for reuse. A driver that allocates
 * from a pool it already freed then meets a cleared magic and gets a clean
 * diagnostic, not a use of freed memory; FIFO reuse delays the day a stale
 * handle names a new pool for as long as possible.
 */
static struct nbuf_pool *retired_head, **retired_tail = &retired_head;
static pthread_once_t mdl_pool_once = PTHREAD_ONCE_INIT;
/*
 * The pools behind NULL pool handles (derived NBLs): like the MDL pool they
 * are the library's, never in the registry of the driver's pools, and
 * their objects count in ndisbuf_outstanding_total.
 */
static struct nbuf_pool *internal_nbl_pool, *internal_nb_pool;
static pthread_once_t internal_pools_once = PTHREAD_ONCE_INIT;

/* ------------------------------------------------------------- registry */

static void registry_add(struct nbuf_pool *pool)
{
    pthread_mutex_lock(&registry_lock);
    pool->live_next = registry_head;
    if (registry_head)
        registry_head->live_prev = pool;
    registry_head = pool;
    registry_count++;
    pthread_mutex_unlock(&registry_lock);
}

/* Removes pool if it is live; false when the handle names no live pool. */
static bool registry_contains_locked(const struct nbuf_pool *pool)
{
    for (struct nbuf_pool *p = registry_head; p; p = p->live_next)
        if (p == pool)
            return true;
    return false;
}

static void registry_remove_locked(struct nbuf_pool *pool)
{
    if (pool->live_prev)
        pool->live_prev->live_next = pool->live_next;
    else
        registry_head = pool->live_next;
    if (pool->live_next)
        pool->live_next->live_prev = pool->live_prev;
    registry_count--;
}

ULONG ndisbuf_live_pool_count(void)
{
    pthread_mutex_lock(&registry_lock);
    ULONG n = registry_count;
    pthread_mutex_unlock(&registry_lock);
    return n + n5_live_pool_count(); /* NDIS 5.1 packet and buffer pools */
}

ULONG64 ndisbuf_outstanding_total(void)
{
    ULONG64 total = 0;
    vf_quarantine_flush(); /* quarantined elements are freed, not outstanding */
    pthread_mutex_lock(&registry_lock);
    for (struct nbuf_pool *p = registry_head; p; p = p->live_next)
        total += pool_outstanding(p->engine);
    pthread_mutex_unlock(&registry_lock);
    struct nbuf_pool *library_pools[] = {__atomic_load_n(&mdl_pool, __ATOMIC_ACQUIRE),
                                         __atomic_load_n(&internal_nbl_pool, __ATOMIC_ACQUIRE),
                                         __atomic_load_n(&internal_nb_pool, __ATOMIC_ACQUIRE)};
    for (size_t i = 0; i < sizeof(library_pools) / sizeof(library_pools[0]); i++)
        if (library_pools[i])
            total += pool_outstanding(library_pools[i]->engine);
    return total + n5_outstanding_objects(); /* NDIS 5.1 packets, buffers, tagged memory */
}

void pools_for_each_live(void (*fn)(struct nbuf_pool *pool, void *ctx), void *ctx, bool with_library_pools)
{
    pthread_mutex_lock(&registry_lock);
    for (struct nbuf_pool *p = registry_head; p; p = p->live_next)
        fn(p, ctx);
    pthread_mutex_unlock(&registry_lock);
    if (!with_library_pools)
        return;
    struct nbuf_pool *library_pools[] = {__atomic_load_n(&internal_nbl_pool, __ATOMIC_ACQUIRE),
                                         __atomic_load_n(&internal_nb_pool, __ATOMIC_ACQUIRE),
                                         __atomic_load_n(&mdl_pool, __ATOMIC_ACQUIRE)};
    for (size_t i = 0; i < sizeof(library_pools) / sizeof(library_pools[0]); i++)
        if (library_pools[i])
            fn(library_pools[i], ctx);
}

/* --------------------------------------------------------------- create */

static struct nbuf_pool *pool_object_take(void)
{
    pthread_mutex_lock(&registry_lock);
    struct nbuf_pool *pool = retired_head;
    if (pool && !(retired_head = pool->live_next))
        retired_tail = &retired_head;
    pthread_mutex_unlock(&registry_lock);
    if (!pool)
        return calloc(1, sizeof(*pool));
    memset(pool, 0, sizeof(*pool));
    return pool;
}

/* Queues a pool object for reuse; call with registry_lock held. */
static void pool_object_retire_locked(struct nbuf_pool *pool)
{
    __atomic_store_n(&pool->magic, 0, __ATOMIC_RELAXED);
    pool->live_next = NULL;
    *retired_tail = pool;
    retired_tail = &pool->live_next;
}

/*
 * An NBL pool's side table (struct elem_side): one entry per element its
 * reservation can hold, as address space only; the pages an entry is on
 * are committed when it is first written (a separate context block, the
 * verifier), so a pool that never needs them costs nothing.
 */
static size_t side_table_bytes(const struct nbuf_pool *pool)
{
    return (size_t)pool_reserved_elements(pool->engine) * sizeof(struct elem_side);
}

/* The side table holds pointers to malloc'd memory: LeakSanitizer must scan it (as it does the arena). */
static void side_table_lsan(const struct nbuf_pool *pool, bool mapped)
{
#ifdef NDISBUF_HAVE_ASAN
    if (mapped)
        __lsan_register_root_region(pool->side, side_table_bytes(pool));
    else
        __lsan_unregister_root_region(pool->side, side_table_bytes(pool));
#else
    (void)pool;
    (void)mapped;
#endif
}

static bool side_table_map(struct nbuf_pool *pool)
{
    void *side = mmap(NULL, side_table_bytes(pool), PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (side == MAP_FAILED)
        return false;
    pool->side = side;
    side_table_lsan(pool, true);
    return true;
}

static void side_table_unmap(struct nbuf_pool *pool)
{
    if (!pool->side)
        return;
    side_table_lsan(pool, false);
    munmap(pool->side, side_table_bytes(pool));
    pool->side = NULL;
}

/*
 * Elements with data start on a cache line, so that each one's data does
 * (layout.c); without data, on 16 bytes, what NDIS structures need: an
 * NBL+NB element is then 544 bytes as on Windows, not 576. Neighbours then
 * share one line (one's NB MiniportReserved..end with the next one's first
 * NBL fields); a thread's magazine is filled with runs of neighbours, so
 * they are seldom held by different threads at once.
 */
static size_t elem_align(const struct elem_layout *layout)
{
    return layout->data_size ? NDISBUF_ELEMENT_ALIGN : MEMORY_ALLOCATION_ALIGNMENT;
}

static struct nbuf_pool *pool_new(enum nbuf_pool_kind kind, NDIS_HANDLE owner, ULONG tag,
                                  const struct elem_layout *layout)
{
    struct nbuf_pool *pool = pool_object_take();
    if (!pool)
        return NULL;
    pool->kind = (uint8_t)kind;
    pool->owner = owner;
    pool->tag = tag;
    pool->layout = *layout;
    struct pool_config config = {.element_size = layout->size, .align = elem_align(layout), .user = pool,
                                 .init = elem_init};
    pool->engine = pool_create(&config);
    if (pool->engine)
        pool->body_bytes = pool_stride(pool->engine) - ELEM_BODY_OFFSET;
    if (pool->engine && kind == NBUF_POOL_NBL && !side_table_map(pool)) {
        pool_destroy(pool->engine);
        pool->engine = NULL;
    }
    if (!pool->engine) {
        pthread_mutex_lock(&registry_lock);
        pool_object_retire_locked(pool);
        pthread_mutex_unlock(&registry_lock);
        return NULL;
    }
    __atomic_store_n(&pool->magic, NBUF_POOL_MAGIC, __ATOMIC_RELAXED);
    return pool;
}

static bool header_ok(const NDIS_OBJECT_HEADER *header, USHORT rev1_size, const char *function)
{
    if (header->Type != NDIS_OBJECT_TYPE_DEFAULT) {
        vf_diagnostic(function, "Parameters->Header.Type is 0x%02X, expected NDIS_OBJECT_TYPE_DEFAULT (0x%02X)",
                      header->Type, NDIS_OBJECT_TYPE_DEFAULT);
        return false;
    }
    if (header->Revision < 1) {
        vf_diagnostic(function, "Parameters->Header.Revision is %u, expected 1 or later", header->Revision);
        return false;
    }
    if (header->Size < rev1_size) {
        vf_diagnostic(function, "Parameters->Header.Size is %u, smaller than revision 1's %u bytes",
                      header->Size, rev1_size);
        return false;
    }
    return true;
}

static bool nbl_pool_parameters_ok(const NET_BUFFER_LIST_POOL_PARAMETERS *p, const char *fn)
{
    if (!p) {
        vf_diagnostic(fn, "Parameters is NULL");
        return false;
    }
    if (!header_ok(&p->Header, NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1, fn))
        return false;
    if (p->Header.Revision >= NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_2) {
        if (p->Header.Size < NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_2) {
            vf_diagnostic(fn, "Parameters->Header.Size is %u, smaller than revision 2's %u bytes",
                          p->Header.Size, (unsigned)NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_2);
            return false;
        }
        if (p->Flags != 0) {
            vf_diagnostic(fn, "Parameters->Flags is 0x%X; no pool flags are supported", p->Flags);
            return false;
        }
    }
    if (p->ProtocolId > NDIS_PROTOCOL_ID_MAX) {
        vf_diagnostic(fn, "Parameters->ProtocolId is 0x%02X, above NDIS_PROTOCOL_ID_MAX (0x%02X)",
                      p->ProtocolId, NDIS_PROTOCOL_ID_MAX);
        return false;
    }
    if (p->ContextSize % sizeof(PVOID) != 0) {
        vf_diagnostic(fn, "Parameters->ContextSize is %u, not a multiple of sizeof(PVOID) (%zu)",
                      p->ContextSize, sizeof(PVOID));
        return false;
    }
    if (p->DataSize != 0 && !p->fAllocateNetBuffer) {
        vf_diagnostic(fn, "Parameters->DataSize is %u but Parameters->fAllocateNetBuffer is FALSE; "
                          "data comes only with a preallocated NET_BUFFER", p->DataSize);
        return false;
    }
    if (p->DataSize > NDISBUF_MAX_DATA_SIZE) {
        vf_diagnostic(fn, "Parameters->DataSize is %u, above ndisbuf's limit of %lu bytes",
                      p->DataSize, (unsigned long)NDISBUF_MAX_DATA_SIZE);
        return false;
    }
    return true;
}

NDIS_HANDLE NdisAllocateNetBufferListPool(NDIS_HANDLE NdisHandle, PNET_BUFFER_LIST_POOL_PARAMETERS Parameters)
{
    const char *fn = "NdisAllocateNetBufferListPool";
    if (!nbl_pool_parameters_ok(Parameters, fn))
        return NULL;
    struct elem_layout layout;
    layout_nbl_pool(&layout, Parameters->fAllocateNetBuffer != FALSE, Parameters->ContextSize,
                    Parameters->DataSize);
    if (vf_fault_fail(NDISBUF_FAULT_POOL)) {
        vf_fault_diagnostic(fn);
        return NULL;
    }
    struct nbuf_pool *pool = pool_new(NBUF_POOL_NBL, NdisHandle, Parameters->PoolTag, &layout);
    if (!pool) {
        vf_diagnostic(fn, "out of memory or address space for a pool of %zu-byte elements", layout.size);
        return NULL;
    }
    pool->protocol_id = Parameters->ProtocolId;
    elem_clean_frame_line_init(pool);
    pool->allocate_nb = Parameters->fAllocateNetBuffer != FALSE;
    registry_add(pool);
    return pool;
}

NDIS_HANDLE NdisAllocateNetBufferPool(NDIS_HANDLE NdisHandle, PNET_BUFFER_POOL_PARAMETERS Parameters)
{
    const char *fn = "NdisAllocateNetBufferPool";
    if (!Parameters) {
        vf_diagnostic(fn, "Parameters is NULL");
        return NULL;
    }
    if (!header_ok(&Parameters->Header, NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1, fn))
        return NULL;
    if (Parameters->DataSize > NDISBUF_MAX_DATA_SIZE) {
        vf_diagnostic(fn, "Parameters->DataSize is %u, above ndisbuf's limit of %lu bytes",
                      Parameters->DataSize, (unsigned long)NDISBUF_MAX_DATA_SIZE);
        return NULL;
    }
    struct elem_layout layout;
    layout_nb_pool(&layout, Parameters->DataSize);
    if (vf_fault_fail(NDISBUF_FAULT_POOL)) {
        vf_fault_diagnostic(fn);
        return NULL;
    }
    struct nbuf_pool *pool = pool_new(NBUF_POOL_NB, NdisHandle, Parameters->PoolTag, &layout);
    if (!pool) {
        vf_diagnostic(fn, "out of memory or address space for a pool of %zu-byte elements", layout.size);
        return NULL;
    }
    registry_add(pool);
    return pool;
}

static void mdl_pool_create(void)
{
    struct elem_layout layout;
    layout_mdl_pool(&layout);
    struct nbuf_pool *pool = pool_new(NBUF_POOL_MDL, NULL, 0x4C444D4E /* "NMDL" */, &layout);
    __atomic_store_n(&mdl_pool, pool, __ATOMIC_RELEASE);
}

struct nbuf_pool *pools_mdl_pool(void)
{
    pthread_once(&mdl_pool_once, mdl_pool_create);
    return mdl_pool;
}

static void internal_pools_create(void)
{
    struct elem_layout layout;
    layout_nbl_pool(&layout, true, 0, 0);
    struct nbuf_pool *nbl = pool_new(NBUF_POOL_NBL, NULL, 0x4C424E69 /* "iNBL" */, &layout);
    if (nbl)
        nbl->allocate_nb = TRUE;
    layout_nb_pool(&layout, 0);
    struct nbuf_pool *nb = pool_new(NBUF_POOL_NB, NULL, 0x42424E69 /* "iNBB" */, &layout);
    __atomic_store_n(&internal_nbl_pool, nbl, __ATOMIC_RELEASE);
    __atomic_store_n(&internal_nb_pool, nb, __ATOMIC_RELEASE);
}

struct nbuf_pool *pools_internal(enum nbuf_pool_kind kind)
{
    pthread_once(&internal_pools_once, internal_pools_create);
    return kind == NBUF_POOL_NBL ? internal_nbl_pool : internal_nb_pool;
}

/* ------------------------------------------------------ handle checking */

static const char *pool_kind_name(uint8_t kind)
{
    return kind == NBUF_POOL_NBL ? "NET_BUFFER_LIST pool" : kind == NBUF_POOL_NB ? "NET_BUFFER pool" : "pool";
}

struct nbuf_pool *pools_checked_argument(NDIS_HANDLE handle, enum nbuf_pool_kind kind, const char *function,
                                         const char *argument)
{
    struct nbuf_pool *pool = handle;
    if (NDISBUF_UNLIKELY(!pool)) {
        vf_diagnostic(function, "%s is NULL", argument);
        return NULL;
    }
    if (NDISBUF_UNLIKELY(__atomic_load_n(&pool->magic, __ATOMIC_RELAXED) != NBUF_POOL_MAGIC)) {
        vf_diagnostic(function, "%s %p names no live pool", argument, handle);
        return NULL;
    }
    if (NDISBUF_UNLIKELY(pool->kind != kind)) {
        vf_diagnostic(function, "%s %p is a %s, this call needs a %s", argument, handle,
                      pool_kind_name(pool->kind), pool_kind_name((uint8_t)kind));
        return NULL;
    }
    return pool;
}

struct nbuf_pool *pools_checked(NDIS_HANDLE handle, enum nbuf_pool_kind kind, const char *function)
{
    return pools_checked_argument(handle, kind, function, "PoolHandle");
}

/* ------------------------------------------------------------------ free */

static void tag_text(ULONG tag, char out[5])
{
    for (int i = 0; i < 4; i++) {
        char c = (char)((tag >> (8 * i)) & 0xFF);
        out[i] = (c >= 0x20 && c < 0x7F) ? c : '.';
    }
    out[4] = '\0';
}

struct outstanding_list {
    ULONG64 count;
    size_t used;
    char text[NDISBUF_REPORT_MAX_LISTED * 640];
};

static void collect_outstanding(void *element, void *ctx)
{
    struct elem_header *h = elem_at(element);
    struct outstanding_list *list = ctx;
    if (h->state != ELEM_LIVE)
        return;
    if (list->count++ >= NDISBUF_REPORT_MAX_LISTED || list->used >= sizeof(list->text))
        return;
    const struct elem_layout *l = &h->pool->layout;
    char site[128], owner[512] = "";
    vf_describe_site(elem_alloc_site(h), site, sizeof(site));
    void *object = elem_part(h, h->pool->kind == NBUF_POOL_NBL ? l->nbl : l->nb);
    if (h->pool->kind == NBUF_POOL_NBL && vf_level() >= 1)
        vf_track_describe(object, owner, sizeof owner, NULL, 0); /* level 1+: who holds it */
    int n = snprintf(list->text + list->used, sizeof(list->text) - list->used, "\n      %p allocated at %s%s%.400s",
                     object, site, owner[0] ? ": " : "", owner);
    if (n > 0)
        list->used += (size_t)n;
}

static void release_track(void *element, void *ctx)
{
    (void)ctx;
    vf_track_release_element(elem_at(element));
}

static void pool_free_checked(NDIS_HANDLE handle, enum nbuf_pool_kind kind, const char *fn)
{
    struct nbuf_pool *pool = handle;
    ULONG_PTR params[4] = {(ULONG_PTR)handle, 0, 0, 0};
    vf_quarantine_flush();
    pthread_mutex_lock(&registry_lock);
    bool live = pool && registry_contains_locked(pool);
    if (!live || pool->kind != kind) {
        pthread_mutex_unlock(&registry_lock);
        vf_report(NDISBUF_REPORT_INVALID_HANDLE, fn, handle, params, "%p is not a live %s%s", handle,
                  pool_kind_name((uint8_t)kind), live ? " (it is another kind of pool)" : "");
        return;
    }
    struct outstanding_list list = {0};
    if (pool_outstanding(pool->engine) != 0)
        pool_for_each_element(pool->engine, collect_outstanding, &list);
    if (list.count != 0) {
        pthread_mutex_unlock(&registry_lock);
        char tag[5];
        tag_text(pool->tag, tag);
        params[1] = (ULONG_PTR)list.count;
        params[2] = pool->tag;
        vf_report(NDISBUF_REPORT_POOL_NOT_EMPTY, fn, handle, params,
                  "%s %p (tag '%s' 0x%08X) freed with %llu %s outstanding; nothing was released:%s",
                  pool_kind_name(pool->kind), handle, tag, pool->tag, (unsigned long long)list.count,
                  kind == NBUF_POOL_NBL ? "NET_BUFFER_LISTs" : "NET_BUFFERs", list.text);
        return;
    }
    registry_remove_locked(pool);
    if (pool->kind == NBUF_POOL_NBL)
        pool_for_each_element(pool->engine, release_track, NULL);
    side_table_unmap(pool);
    pool_destroy(pool->engine);
    pool_object_retire_locked(pool);
    pthread_mutex_unlock(&registry_lock);
}

VOID NdisFreeNetBufferListPool(NDIS_HANDLE PoolHandle)
{
    pool_free_checked(PoolHandle, NBUF_POOL_NBL, "NdisFreeNetBufferListPool");
}

VOID NdisFreeNetBufferPool(NDIS_HANDLE PoolHandle)
{
    pool_free_checked(PoolHandle, NBUF_POOL_NB, "NdisFreeNetBufferPool");
}

/* ------------------------------------------------------ data back-fill */

NDIS_STATUS ndisbuf_nbl_pool_set_data_backfill(NDIS_HANDLE PoolHandle, ULONG DataBackFill)
{
    const char *fn = "ndisbuf_nbl_pool_set_data_backfill";
    struct nbuf_pool *pool = pools_checked(PoolHandle, NBUF_POOL_NBL, fn);
    if (!pool)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (!pool->layout.data_size || DataBackFill > pool->layout.data_size) {
        vf_diagnostic(fn, "DataBackFill %u needs a pool with fAllocateNetBuffer and a DataSize of at least as much "
                          "(this one has DataSize %u)", DataBackFill, pool->layout.data_size);
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    __atomic_store_n(&pool->data_backfill, DataBackFill, __ATOMIC_RELAXED);
    return NDIS_STATUS_SUCCESS;
}

/* ----------------------------------------------------------------- stats */

NDIS_STATUS ndisbuf_pool_get_stats(NDIS_HANDLE PoolHandle, NDISBUF_POOL_STATS *Stats)
{
    struct nbuf_pool *pool = PoolHandle;
    if (!Stats)
        return NDIS_STATUS_INVALID_PARAMETER;
    vf_quarantine_flush();
    pthread_mutex_lock(&registry_lock);
    bool live = pool && registry_contains_locked(pool);
    if (live) {
        Stats->PoolTag = pool->tag;
        Stats->ElementSize = (ULONG)pool_stride(pool->engine);
        Stats->Outstanding = pool_outstanding(pool->engine);
        Stats->Capacity = pool_capacity(pool->engine);
        Stats->Allocations = pool_allocations(pool->engine);
    }
    pthread_mutex_unlock(&registry_lock);
    if (!live)
        vf_diagnostic("ndisbuf_pool_get_stats", "PoolHandle %p names no live pool", PoolHandle);
    return live ? NDIS_STATUS_SUCCESS : NDIS_STATUS_INVALID_PARAMETER;
}

const char *ndisbuf_version(void)
{
    return "0.1.0";
}
