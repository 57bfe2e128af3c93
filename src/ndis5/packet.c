/* SPDX-License-Identifier: MIT */
/*
 * NDIS 5 packet descriptors: allocation, free, reinitialisation.
 *
 * The preallocated descriptors of a pool (packet_pool.c) are engine
 * elements bounded by a quota, so allocating and freeing them takes no lock
 * and no atomic. Once all of them are in use, up to the pool's overflow
 * count more are made on demand with malloc, under the pool's lock, and
 * released again when freed; they are found again through an address map,
 * never by following the pointer.
 * A packet comes zeroed, reserved areas, OOB block and per-packet
 * information included, with an empty chain. Free checks that the pointer
 * is a live packet that still names its pool and carries no live buffer;
 * any failure is reported and the packet left as it was.
 */
#include <stdlib.h>
#include <string.h>

#include "n5.h"
#include "verify/fault.h"
#include "verify/verify.h"

/* Overflow packets of every pool, by address (under overflow_lock). */
static pthread_mutex_t overflow_lock = PTHREAD_MUTEX_INITIALIZER;
static struct n5_addrmap overflow_map;

static size_t align_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

NDIS_HANDLE NdisGetPoolFromPacket(PNDIS_PACKET Packet)
{
    return Packet->Private.Pool;
}

/* ------------------------------------------------------- overflow */

uint64_t n5_overflow_outstanding(void)
{
    pthread_mutex_lock(&overflow_lock);
    uint64_t n = overflow_map.count;
    pthread_mutex_unlock(&overflow_lock);
    return n;
}

struct elem_header *n5_overflow_lookup(const void *ptr, bool *recent)
{
    pthread_mutex_lock(&overflow_lock);
    struct n5_addr_entry *e = addrmap_find(&overflow_map, ptr);
    struct elem_header *h = e ? e->value : NULL;
    *recent = !e && addrmap_recent(&overflow_map, ptr);
    pthread_mutex_unlock(&overflow_lock);
    return h;
}

struct overflow_walk {
    const struct n5_pool *pool;
    void (*fn)(struct elem_header *h, void *ctx);
    void *ctx;
};

static void overflow_visit(struct n5_addr_entry *e, void *ctx)
{
    struct overflow_walk *w = ctx;
    if (e->owner == w->pool)
        w->fn(e->value, w->ctx);
}

void n5_overflow_for_each(const struct n5_pool *pool, void (*fn)(struct elem_header *h, void *ctx), void *ctx)
{
    struct overflow_walk w = {.pool = pool, .fn = fn, .ctx = ctx};
    pthread_mutex_lock(&overflow_lock);
    addrmap_for_each(&overflow_map, overflow_visit, &w);
    pthread_mutex_unlock(&overflow_lock);
}

/* An overflow element (header and packet in one malloc'd block), or NULL. */
static struct elem_header *overflow_take(struct n5_pool *pool, void *site)
{
    size_t bytes = align_up(pool->core.layout.size, NDISBUF_ELEMENT_ALIGN);
    void *start = aligned_alloc(NDISBUF_ELEMENT_ALIGN, bytes);
    if (!start)
        return NULL;
    memset(start, 0, N5_OBJECT_OFFSET);
    struct elem_header *h = elem_at(start);
    *h = (struct elem_header){.state = ELEM_LIVE, .flags = N5_ELEM_OVERFLOW, .generation = 1, .pool = &pool->core};
    elem_ext(h)->alloc_site = site;
    struct n5_addr_entry entry = {.key = elem_part(h, N5_OBJECT_OFFSET), .value = h, .owner = pool};
    pthread_mutex_lock(&overflow_lock);
    bool added = addrmap_insert(&overflow_map, &entry);
    pthread_mutex_unlock(&overflow_lock);
    if (!added) {
        free(start);
        return NULL;
    }
    return h;
}

void n5_overflow_release(struct elem_header *h)
{
    pthread_mutex_lock(&overflow_lock);
    addrmap_remove(&overflow_map, elem_part(h, N5_OBJECT_OFFSET));
    pthread_mutex_unlock(&overflow_lock);
    h->state = ELEM_FREE;
    free(elem_start(h));
}

/* ------------------------------------------------------- allocation */

/* A preallocated descriptor when the quota gives one, else an overflow one; NULL when neither. */
static struct elem_header *packet_take_slow(struct n5_pool *pool, void *site)
{
    if (quota_take_slow(&pool->quota)) {
        struct elem_header *h = elem_take(&pool->core, site);
        if (!h)
            quota_give_back(&pool->quota);
        return h;
    }
    pthread_mutex_lock(&pool->lock);
    bool overflow = pool->overflow_out < pool->overflow_limit;
    if (overflow)
        pool->overflow_out++;
    pthread_mutex_unlock(&pool->lock);
    if (!overflow)
        return NULL;
    struct elem_header *h = overflow_take(pool, site);
    if (!h) {
        pthread_mutex_lock(&pool->lock);
        pool->overflow_out--;
        pthread_mutex_unlock(&pool->lock);
    }
    return h;
}

static PNDIS_PACKET packet_init(struct n5_pool *pool, struct elem_header *h)
{
    PNDIS_PACKET packet = elem_part(h, N5_OBJECT_OFFSET);
    memset(packet, 0, pool->packet_size);
    packet->Private.Pool = pool;
    packet->Private.NdisPacketOobOffset = pool->oob_offset;
    return packet;
}

static void packet_alloc(PNDIS_STATUS status, PNDIS_PACKET *packet, NDIS_HANDLE handle, void *site,
                         const char *fn)
{
    if (NDISBUF_UNLIKELY(!status || !packet)) {
        vf_diagnostic(fn, "%s is NULL", !status ? "Status" : "Packet");
        return;
    }
    *packet = NULL;
    *status = NDIS_STATUS_RESOURCES;
    struct n5_pool *pool = n5_pool_checked(handle, N5_POOL_KIND_PACKET, fn);
    if (NDISBUF_UNLIKELY(!pool))
        return;
    if (vf_fault_fail(NDISBUF_FAULT_PACKET)) {
        vf_fault_diagnostic(fn);
        return;
    }
    struct elem_header *h = NULL;
    if (NDISBUF_LIKELY(quota_take_fast(&pool->quota))) {
        h = elem_take(&pool->core, site);
        if (NDISBUF_UNLIKELY(!h))
            quota_give_back(&pool->quota);
    } else {
        h = packet_take_slow(pool, site);
    }
    if (NDISBUF_UNLIKELY(!h)) {
        vf_diagnostic(fn, "packet pool %p has no free descriptor (%u preallocated, %u overflow, all in use)",
                      handle, pool->descriptors, pool->overflow_limit);
        return;
    }
    *packet = packet_init(pool, h);
    *status = NDIS_STATUS_SUCCESS;
}

VOID NdisAllocatePacket(PNDIS_STATUS Status, PNDIS_PACKET *Packet, NDIS_HANDLE PoolHandle)
{
    packet_alloc(Status, Packet, PoolHandle, __builtin_return_address(0), "NdisAllocatePacket");
}

VOID NdisDprAllocatePacket(PNDIS_STATUS Status, PNDIS_PACKET *Packet, NDIS_HANDLE PoolHandle)
{
    packet_alloc(Status, Packet, PoolHandle, __builtin_return_address(0), "NdisDprAllocatePacket");
}

VOID NdisDprAllocatePacketNonInterlocked(PNDIS_STATUS Status, PNDIS_PACKET *Packet, NDIS_HANDLE PoolHandle)
{
    packet_alloc(Status, Packet, PoolHandle, __builtin_return_address(0), "NdisDprAllocatePacketNonInterlocked");
}

/* ------------------------------------------------------------- in use */

static void report_in_use(PNDIS_PACKET packet, const char *fn)
{
    ULONG_PTR params[4] = {(ULONG_PTR)packet, 0, 0, 0};
    vf_report(NDISBUF_REPORT_PACKET_IN_USE, fn, packet, params,
              "packet %p is still being sent (ProtocolSendComplete has not had it back yet): it may not be sent "
              "again, reinitialised or freed until then", (void *)packet);
}

bool n5_packet_mark_sending(PNDIS_PACKET packet, const char *fn)
{
    struct elem_header *h = n5_checked(packet, N5_PACKET, "NDIS_PACKET", fn);
    if (!h)
        return false;
    if (NDISBUF_UNLIKELY(h->flags & N5_ELEM_SENDING)) {
        report_in_use(packet, fn);
        return false;
    }
    h->flags |= N5_ELEM_SENDING;
    return true;
}

void n5_packet_unmark_sending(PNDIS_PACKET packet)
{
    struct n5_obj obj;
    n5_classify(packet, &obj);
    if (obj.kind == N5_PACKET)
        obj.header->flags &= (uint8_t)~N5_ELEM_SENDING;
}

/* ------------------------------------------------------------- free */

static bool packet_free_allowed(PNDIS_PACKET packet, struct elem_header *h, const char *fn)
{
    if (NDISBUF_UNLIKELY(h->flags & N5_ELEM_SENDING)) {
        report_in_use(packet, fn);
        return false;
    }
    struct n5_pool *pool = n5_pool_of(h);
    if (NDISBUF_UNLIKELY(packet->Private.Pool != pool)) {
        ULONG_PTR params[4] = {(ULONG_PTR)packet, (ULONG_PTR)packet->Private.Pool, (ULONG_PTR)pool, 0};
        vf_report(NDISBUF_REPORT_WRONG_POOL, fn, packet, params,
                  "packet %p says Private.Pool %p but was allocated from packet pool %p", (void *)packet,
                  packet->Private.Pool, (void *)pool);
        return false;
    }
    PNDIS_BUFFER live;
    if (NDISBUF_UNLIKELY(packet->Private.Head && n5_chain_has_live_buffer(packet, &live))) {
        ULONG_PTR params[4] = {(ULONG_PTR)packet, (ULONG_PTR)live, 0, 0};
        vf_report(NDISBUF_REPORT_PACKET_HAS_BUFFERS, fn, packet, params,
                  "packet %p is freed with buffer descriptor %p still allocated and chained to it; free the "
                  "buffers (NdisFreeBuffer) or unchain them (NdisUnchainBufferAtFront/AtBack) first",
                  (void *)packet, (void *)live);
        return false;
    }
    return true;
}

static void packet_free(PNDIS_PACKET packet, const char *fn)
{
    struct elem_header *h = n5_checked(packet, N5_PACKET, "NDIS_PACKET", fn);
    if (!h || !packet_free_allowed(packet, h, fn))
        return;
    if (NDISBUF_LIKELY(!(h->flags & N5_ELEM_OVERFLOW))) {
        elem_give_back(h);
        return;
    }
    struct n5_pool *pool = n5_pool_of(h);
    n5_overflow_release(h);
    pthread_mutex_lock(&pool->lock);
    pool->overflow_out--;
    pthread_mutex_unlock(&pool->lock);
}

VOID NdisFreePacket(PNDIS_PACKET Packet)
{
    packet_free(Packet, "NdisFreePacket");
}

VOID NdisDprFreePacket(PNDIS_PACKET Packet)
{
    packet_free(Packet, "NdisDprFreePacket");
}

VOID NdisDprFreePacketNonInterlocked(PNDIS_PACKET Packet)
{
    packet_free(Packet, "NdisDprFreePacketNonInterlocked");
}

VOID NdisReinitializePacket(PNDIS_PACKET Packet)
{
    if (NDISBUF_UNLIKELY(!Packet)) {
        ULONG_PTR params[4] = {0, 0, 0, 0};
        vf_report(NDISBUF_REPORT_NULL_OBJECT, "NdisReinitializePacket", NULL, params, "the NDIS_PACKET is NULL");
        return;
    }
    struct n5_obj obj;
    n5_classify(Packet, &obj);
    if (NDISBUF_UNLIKELY(obj.kind == N5_PACKET && (obj.header->flags & N5_ELEM_SENDING))) {
        report_in_use(Packet, "NdisReinitializePacket");
        return;
    }
    Packet->Private.Head = NULL;
    Packet->Private.Tail = NULL;
    Packet->Private.ValidCounts = FALSE;
}
