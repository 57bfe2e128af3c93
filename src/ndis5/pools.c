/* SPDX-License-Identifier: MIT */
/*
 * NDIS 5 packet and buffer pools: creation, the registry of live pools,
 * handle checks, free, and the recognition of the objects they give out.
 *
 * A pool is an engine pool of fixed-size elements under a `struct
 * nbuf_pool` of an NDIS 5 kind (see n5.h), plus the bound it keeps
 * (quota.c). Live pools are kept in a registry so a handle given to a free
 * call is checked before anything is released and so the process-wide
 * counts (ndisbuf_live_pool_count, ndisbuf_outstanding_total) include
 * them. Freeing a pool with objects outstanding is a driver bug: it is
 * reported with the count and where the first ones were allocated, and the
 * pool stays intact and usable. Freed pool objects are never given back to
 * malloc: they wait, magic cleared, for reuse, so a stale handle meets a
 * cleared magic and a clean diagnostic rather than freed memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "n5.h"
#include "verify/verify.h"

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct n5_pool *registry_head;
static ULONG registry_count;
static struct n5_pool *retired_head, **retired_tail = &retired_head;
static struct n5_pool *internal_buffer_pool;
static pthread_once_t internal_buffer_once = PTHREAD_ONCE_INIT;

/* ------------------------------------------------------------- helpers */

void n5_tag_text(ULONG tag, char out[5])
{
    for (int i = 0; i < 4; i++) {
        char c = (char)((tag >> (8 * i)) & 0xFF);
        out[i] = (c >= 0x20 && c < 0x7F) ? c : '.';
    }
    out[4] = '\0';
}

static const char *kind_name(uint8_t kind)
{
    return kind == N5_POOL_KIND_PACKET ? "packet pool" : "buffer pool";
}

/* ------------------------------------------------------------- create */

static struct n5_pool *pool_object_take(void)
{
    pthread_mutex_lock(&registry_lock);
    struct n5_pool *pool = retired_head;
    if (pool && !(retired_head = pool->live_next))
        retired_tail = &retired_head;
    pthread_mutex_unlock(&registry_lock);
    if (!pool)
        return calloc(1, sizeof(*pool));
    memset(pool, 0, sizeof(*pool));
    return pool;
}

/* Queues a pool object for reuse; call with registry_lock held. */
static void pool_object_retire_locked(struct n5_pool *pool)
{
    __atomic_store_n(&pool->magic, 0, __ATOMIC_RELAXED);
    pool->live_next = NULL;
    *retired_tail = pool;
    retired_tail = &pool->live_next;
}

struct n5_pool *n5_pool_create(uint8_t kind, ULONG tag, size_t object_size, uint64_t limit)
{
    struct n5_pool *pool = pool_object_take();
    if (!pool)
        return NULL;
    pool->core.kind = kind;
    pool->core.tag = tag;
    pool->core.layout.size = N5_OBJECT_OFFSET + object_size;
    struct pool_config config = {.element_size = pool->core.layout.size, .user = &pool->core, .init = elem_init};
    pool->core.engine = pool_create(&config);
    pthread_mutex_init(&pool->lock, NULL);
    pool->quota = (struct n5_quota){.engine = pool->core.engine, .limit = limit, .lock = &pool->lock};
    if (!pool->core.engine || !quota_register(&pool->quota)) {
        n5_pool_discard(pool);
        return NULL;
    }
    return pool;
}

void n5_pool_discard(struct n5_pool *pool)
{
    if (pool->core.engine) {
        quota_unregister(&pool->quota);
        pool_destroy(pool->core.engine);
    }
    pthread_mutex_destroy(&pool->lock);
    pthread_mutex_lock(&registry_lock);
    pool_object_retire_locked(pool);
    pthread_mutex_unlock(&registry_lock);
}

void n5_pool_publish(struct n5_pool *pool)
{
    __atomic_store_n(&pool->magic, pool->core.kind == N5_POOL_KIND_PACKET ? N5_PACKET_POOL_MAGIC
                                                                           : N5_BUFFER_POOL_MAGIC,
                     __ATOMIC_RELEASE);
    pthread_mutex_lock(&registry_lock);
    pool->live_prev = NULL;
    pool->live_next = registry_head;
    if (registry_head)
        registry_head->live_prev = pool;
    registry_head = pool;
    registry_count++;
    pthread_mutex_unlock(&registry_lock);
}

static void internal_buffer_pool_create(void)
{
    struct n5_pool *pool = n5_pool_create(N5_POOL_KIND_BUFFER, 0x35465562 /* "bUF5" */, sizeof(MDL), UINT64_MAX);
    if (pool)
        __atomic_store_n(&pool->magic, N5_BUFFER_POOL_MAGIC, __ATOMIC_RELEASE);
    __atomic_store_n(&internal_buffer_pool, pool, __ATOMIC_RELEASE);
}

struct n5_pool *n5_internal_buffer_pool(void)
{
    pthread_once(&internal_buffer_once, internal_buffer_pool_create);
    return internal_buffer_pool;
}

/* ---------------------------------------------------------- handles */

struct n5_pool *n5_pool_checked(NDIS_HANDLE handle, uint8_t kind, const char *fn)
{
    struct n5_pool *pool = handle;
    uint32_t want = kind == N5_POOL_KIND_PACKET ? N5_PACKET_POOL_MAGIC : N5_BUFFER_POOL_MAGIC;
    if (NDISBUF_UNLIKELY(!pool)) {
        vf_diagnostic(fn, "PoolHandle is NULL");
        return NULL;
    }
    uint32_t magic = __atomic_load_n(&pool->magic, __ATOMIC_ACQUIRE);
    if (NDISBUF_UNLIKELY(magic != want)) {
        if (magic == N5_PACKET_POOL_MAGIC || magic == N5_BUFFER_POOL_MAGIC)
            vf_diagnostic(fn, "PoolHandle %p is a %s, this call needs a %s", handle,
                          kind_name(pool->core.kind), kind_name(kind));
        else
            vf_diagnostic(fn, "PoolHandle %p names no live %s", handle, kind_name(kind));
        return NULL;
    }
    return pool;
}

/* ------------------------------------------------------------- counts */

uint64_t n5_pool_usage(struct n5_pool *pool)
{
    uint64_t used = pool_outstanding(pool->core.engine);
    if (pool->core.kind == N5_POOL_KIND_PACKET) {
        pthread_mutex_lock(&pool->lock);
        used += pool->overflow_out;
        pthread_mutex_unlock(&pool->lock);
    }
    return used;
}

ULONG n5_live_pool_count(void)
{
    pthread_mutex_lock(&registry_lock);
    ULONG n = registry_count;
    pthread_mutex_unlock(&registry_lock);
    return n;
}

uint64_t n5_outstanding_objects(void)
{
    uint64_t total = 0;
    pthread_mutex_lock(&registry_lock);
    for (struct n5_pool *p = registry_head; p; p = p->live_next)
        total += pool_outstanding(p->core.engine);
    pthread_mutex_unlock(&registry_lock);
    struct n5_pool *internal = __atomic_load_n(&internal_buffer_pool, __ATOMIC_ACQUIRE);
    if (internal)
        total += pool_outstanding(internal->core.engine);
    return total + n5_overflow_outstanding() + n5_tagged_outstanding();
}

/* ------------------------------------------------------------------ free */

static bool registry_contains_locked(const struct n5_pool *pool)
{
    for (struct n5_pool *p = registry_head; p; p = p->live_next)
        if (p == pool)
            return true;
    return false;
}

static void registry_remove_locked(struct n5_pool *pool)
{
    if (pool->live_prev)
        pool->live_prev->live_next = pool->live_next;
    else
        registry_head = pool->live_next;
    if (pool->live_next)
        pool->live_next->live_prev = pool->live_prev;
    registry_count--;
}

struct outstanding_list {
    ULONG64 listed;
    size_t used;
    char text[NDISBUF_REPORT_MAX_LISTED * 192];
};

static void list_one(struct outstanding_list *list, const void *object, void *site)
{
    if (list->listed++ >= NDISBUF_REPORT_MAX_LISTED || list->used >= sizeof(list->text))
        return;
    char where[128];
    vf_describe_site(site, where, sizeof(where));
    int n = snprintf(list->text + list->used, sizeof(list->text) - list->used, "\n      %p allocated at %s",
                     object, where);
    if (n > 0)
        list->used += (size_t)n;
}

static void collect_element(void *element, void *ctx)
{
    struct elem_header *h = elem_at(element);
    if (h->state == ELEM_LIVE)
        list_one(ctx, elem_part(h, N5_OBJECT_OFFSET), elem_ext(h)->alloc_site);
}

static void collect_overflow(struct elem_header *h, void *ctx)
{
    list_one(ctx, elem_part(h, N5_OBJECT_OFFSET), elem_ext(h)->alloc_site);
}

static void report_not_empty(struct n5_pool *pool, uint64_t usage, const char *fn)
{
    struct outstanding_list list = {.listed = 0};
    pool_for_each_element(pool->core.engine, collect_element, &list);
    if (pool->core.kind == N5_POOL_KIND_PACKET)
        n5_overflow_for_each(pool, collect_overflow, &list);
    ULONG_PTR params[4] = {(ULONG_PTR)pool, (ULONG_PTR)usage, pool->core.tag, 0};
    vf_report(NDISBUF_REPORT_POOL_NOT_EMPTY, fn, pool, params,
              "%s %p freed with %llu %s outstanding; nothing was released, the pool stays usable:%s",
              kind_name(pool->core.kind), (void *)pool, (unsigned long long)usage,
              pool->core.kind == N5_POOL_KIND_PACKET ? "packet(s)" : "buffer descriptor(s)", list.text);
}

void n5_pool_free(NDIS_HANDLE handle, uint8_t kind, const char *fn)
{
    struct n5_pool *pool = handle;
    pthread_mutex_lock(&registry_lock);
    bool live = pool && registry_contains_locked(pool);
    if (!live || pool->core.kind != kind) {
        pthread_mutex_unlock(&registry_lock);
        ULONG_PTR params[4] = {(ULONG_PTR)handle, 0, 0, 0};
        vf_report(NDISBUF_REPORT_INVALID_HANDLE, fn, handle, params, "%p is not a live %s%s", handle,
                  kind_name(kind), live ? " (it is another kind of pool)" : "");
        return;
    }
    uint64_t usage = n5_pool_usage(pool);
    if (usage) {
        pthread_mutex_unlock(&registry_lock);
        report_not_empty(pool, usage, fn);
        return;
    }
    registry_remove_locked(pool);
    __atomic_store_n(&pool->magic, 0, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&registry_lock);
    n5_pool_discard(pool);
}

/* ------------------------------------------------------ recognition */

void n5_classify(const void *ptr, struct n5_obj *obj)
{
    struct pool *engine;
    *obj = (struct n5_obj){.kind = N5_NONE};
    struct elem_header *h = ptr ? elem_at_or_null(pool_element_containing(ptr, &engine)) : NULL;
    if (NDISBUF_UNLIKELY(!h)) {
        bool recent = false;
        obj->header = ptr ? n5_overflow_lookup(ptr, &recent) : NULL;
        obj->kind = obj->header ? N5_PACKET : recent ? N5_RECENT : N5_NONE;
        return;
    }
    obj->header = h;
    uint8_t kind = h->pool->kind;
    if (kind != N5_POOL_KIND_PACKET && kind != N5_POOL_KIND_BUFFER) {
        obj->core_kind = elem_classify(ptr, &obj->header);
        obj->kind = N5_CORE;
        return;
    }
    if ((size_t)((const char *)ptr - elem_start(h)) != N5_OBJECT_OFFSET)
        obj->kind = N5_INTERIOR;
    else
        obj->kind = kind == N5_POOL_KIND_PACKET ? N5_PACKET : N5_BUFFER;
}

static const char *n5_kind_name(const struct n5_obj *obj)
{
    switch (obj->kind) {
    case N5_NONE:
        return "a pointer no ndisbuf pool gave out";
    case N5_RECENT:
        return "an overflow packet freed earlier";
    case N5_INTERIOR:
        return "a pointer into the middle of a packet or buffer descriptor";
    case N5_PACKET:
        return "an NDIS_PACKET from NdisAllocatePacket";
    case N5_BUFFER:
        return "an NDIS_BUFFER from NdisAllocateBuffer";
    case N5_CORE:
        return elem_kind_name(obj->core_kind);
    }
    return "unknown";
}

static const char *right_call(const struct n5_obj *obj)
{
    if (obj->kind == N5_PACKET)
        return " (NdisFreePacket frees it)";
    if (obj->kind == N5_BUFFER)
        return " (NdisFreeBuffer frees it)";
    if (obj->kind == N5_CORE && obj->core_kind == OBJ_MDL)
        return " (NdisFreeMdl or IoFreeMdl frees it)";
    return "";
}

/* Everything n5_checked's fast path did not accept: overflow packets, and every report. */
static struct elem_header *checked_slow(const void *ptr, enum n5_kind want, const char *what, const char *fn)
{
    ULONG_PTR params[4] = {(ULONG_PTR)ptr, 0, 0, 0};
    struct n5_obj obj;
    if (NDISBUF_UNLIKELY(!ptr)) {
        vf_report(NDISBUF_REPORT_NULL_OBJECT, fn, ptr, params, "the %s is NULL", what);
        return NULL;
    }
    n5_classify(ptr, &obj);
    if (NDISBUF_UNLIKELY(obj.kind == N5_RECENT)) {
        vf_report(NDISBUF_REPORT_DOUBLE_FREE, fn, ptr, params, "%s %p was already freed", what, ptr);
        return NULL;
    }
    if (NDISBUF_UNLIKELY(obj.kind == N5_NONE || obj.kind == N5_INTERIOR ||
                         (obj.kind == N5_CORE && obj.core_kind == OBJ_INTERIOR))) {
        vf_report(NDISBUF_REPORT_FOREIGN_POINTER, fn, ptr, params, "%p is %s, not an %s from ndisbuf", ptr,
                  n5_kind_name(&obj), what);
        return NULL;
    }
    if (NDISBUF_UNLIKELY(obj.kind != want)) {
        params[1] = obj.kind;
        vf_report(NDISBUF_REPORT_WRONG_FREE_CALL, fn, ptr, params, "%p is %s; %s does not free it%s", ptr,
                  n5_kind_name(&obj), fn, right_call(&obj));
        return NULL;
    }
    if (NDISBUF_UNLIKELY(obj.header->state != ELEM_LIVE)) {
        params[1] = obj.header->state;
        params[2] = obj.header->generation;
        vf_report(NDISBUF_REPORT_DOUBLE_FREE, fn, ptr, params, "%s %p was already freed (allocation #%u of its "
                  "element)", what, ptr, obj.header->generation);
        return NULL;
    }
    return obj.header;
}

struct elem_header *n5_checked(const void *ptr, enum n5_kind want, const char *what, const char *fn)
{
    struct pool *engine;
    struct elem_header *h = ptr ? elem_at_or_null(pool_element_containing(ptr, &engine)) : NULL;
    uint8_t kind = want == N5_PACKET ? N5_POOL_KIND_PACKET : N5_POOL_KIND_BUFFER;
    if (NDISBUF_LIKELY(h && h->pool->kind == kind && h->state == ELEM_LIVE &&
                       (size_t)((const char *)ptr - elem_start(h)) == N5_OBJECT_OFFSET))
        return h;
    return checked_slow(ptr, want, what, fn);
}
