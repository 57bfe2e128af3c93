/* SPDX-License-Identifier: MIT */
/*
 * Tagged memory: NdisAllocateMemoryWithTag(Priority) and NdisFreeMemory,
 * with accounting per tag.
 *
 * Blocks come from the C library (16-byte aligned, as kernel pool blocks
 * are on x64). Every live block is in an address map with its tag, length,
 * owner and allocation site, and every tag has a running count of blocks
 * and bytes outstanding, so the library can list what is still allocated
 * per tag (ndisbuf_tagged_memory_*) and count it in
 * ndisbuf_outstanding_total(). A free looks the address up first: an
 * address the allocator never gave out is refused, one freed lately is a
 * double free, and neither is passed to free(). One mutex guards the map
 * and the tags; tagged memory is not on the packet hot path.
 */
#include <stdlib.h>
#include <string.h>

#include "n5.h"
#include "verify/fault.h"
#include "verify/verify.h"

struct tag_usage {
    ULONG tag;
    ULONG64 blocks;
    ULONG64 bytes;
    ULONG64 allocations;
};

static pthread_mutex_t memory_lock = PTHREAD_MUTEX_INITIALIZER;
static struct n5_addrmap blocks;
static struct tag_usage *tags;
static size_t tag_count, tag_capacity;

/* The usage record of tag, added if new; NULL when memory runs out. Call locked. */
static struct tag_usage *tag_find_locked(ULONG tag, bool add)
{
    for (size_t i = 0; i < tag_count; i++)
        if (tags[i].tag == tag)
            return &tags[i];
    if (!add)
        return NULL;
    if (tag_count == tag_capacity) {
        size_t capacity = tag_capacity ? tag_capacity * 2 : 16;
        struct tag_usage *grown = realloc(tags, capacity * sizeof(*grown));
        if (!grown)
            return NULL;
        tags = grown;
        tag_capacity = capacity;
    }
    tags[tag_count] = (struct tag_usage){.tag = tag};
    return &tags[tag_count++];
}

/* Accounts a new block; false when memory runs out (the block is then the caller's to free). */
static bool block_add(void *va, UINT length, ULONG tag, NDIS_HANDLE owner, void *site)
{
    struct n5_addr_entry entry = {.key = va, .length = length, .tag = tag, .owner = owner, .site = site};
    pthread_mutex_lock(&memory_lock);
    struct tag_usage *usage = tag_find_locked(tag, true);
    bool added = usage && addrmap_insert(&blocks, &entry);
    if (added) {
        usage->blocks++;
        usage->bytes += length;
        usage->allocations++;
    }
    pthread_mutex_unlock(&memory_lock);
    return added;
}

static void *memory_alloc(UINT length, ULONG tag, NDIS_HANDLE owner, void *site, const char *fn)
{
    if (length == 0) {
        vf_diagnostic(fn, "Length is 0");
        return NULL;
    }
    if (vf_fault_fail(NDISBUF_FAULT_MEMORY)) {
        vf_fault_diagnostic(fn);
        return NULL;
    }
    size_t bytes = ((size_t)length + MEMORY_ALLOCATION_ALIGNMENT - 1) & ~(size_t)(MEMORY_ALLOCATION_ALIGNMENT - 1);
    void *va = aligned_alloc(MEMORY_ALLOCATION_ALIGNMENT, bytes);
    if (va && !block_add(va, length, tag, owner, site)) {
        free(va);
        va = NULL;
    }
    if (!va) {
        char text[5];
        n5_tag_text(tag, text);
        vf_diagnostic(fn, "out of memory for %u bytes (tag '%s')", length, text);
    }
    return va;
}

NDIS_STATUS NdisAllocateMemoryWithTag(PVOID *VirtualAddress, UINT Length, ULONG Tag)
{
    const char *fn = "NdisAllocateMemoryWithTag";
    if (!VirtualAddress) {
        vf_diagnostic(fn, "VirtualAddress is NULL");
        return NDIS_STATUS_FAILURE;
    }
    *VirtualAddress = memory_alloc(Length, Tag, NULL, __builtin_return_address(0), fn);
    return *VirtualAddress ? NDIS_STATUS_SUCCESS : NDIS_STATUS_FAILURE;
}

PVOID NdisAllocateMemoryWithTagPriority(NDIS_HANDLE NdisHandle, UINT Length, ULONG Tag, EX_POOL_PRIORITY Priority)
{
    (void)Priority;
    return memory_alloc(Length, Tag, NdisHandle, __builtin_return_address(0),
                        "NdisAllocateMemoryWithTagPriority");
}

enum free_verdict { FREE_OK, FREE_ALREADY, FREE_FOREIGN, FREE_MISMATCH };

static void free_report(enum free_verdict verdict, PVOID va, UINT length, UINT flags, UINT allocated)
{
    const char *fn = "NdisFreeMemory";
    ULONG_PTR params[4] = {(ULONG_PTR)va, length, flags, allocated};
    if (verdict == FREE_ALREADY)
        vf_report(NDISBUF_REPORT_DOUBLE_FREE, fn, va, params, "memory at %p was already freed", va);
    else if (verdict == FREE_FOREIGN)
        vf_report(NDISBUF_REPORT_FOREIGN_POINTER, fn, va, params,
                  "%p is no block from NdisAllocateMemoryWithTag(Priority)", va);
    else
        vf_report(NDISBUF_REPORT_MEMORY_FREE_MISMATCH, fn, va, params,
                  "memory at %p (%u bytes) freed with Length %u and MemoryFlags 0x%X; Length must be 0 or %u "
                  "(a sub-range cannot be freed) and MemoryFlags 0; nothing was freed",
                  va, allocated, length, flags, allocated);
}

VOID NdisFreeMemory(PVOID VirtualAddress, UINT Length, UINT MemoryFlags)
{
    if (!VirtualAddress) {
        ULONG_PTR params[4] = {0, Length, MemoryFlags, 0};
        vf_report(NDISBUF_REPORT_NULL_OBJECT, "NdisFreeMemory", NULL, params, "VirtualAddress is NULL");
        return;
    }
    pthread_mutex_lock(&memory_lock);
    struct n5_addr_entry *e = addrmap_find(&blocks, VirtualAddress);
    UINT allocated = e ? e->length : 0;
    enum free_verdict verdict = !e ? (addrmap_recent(&blocks, VirtualAddress) ? FREE_ALREADY : FREE_FOREIGN)
                                : (Length && Length != allocated) || MemoryFlags ? FREE_MISMATCH
                                                                                 : FREE_OK;
    if (verdict == FREE_OK) {
        struct tag_usage *usage = tag_find_locked(e->tag, false);
        if (usage) {
            usage->blocks--;
            usage->bytes -= allocated;
        }
        addrmap_remove(&blocks, VirtualAddress);
    }
    pthread_mutex_unlock(&memory_lock);
    if (verdict == FREE_OK)
        free(VirtualAddress);
    else
        free_report(verdict, VirtualAddress, Length, MemoryFlags, allocated);
}

/* ------------------------------------------------------------ listing */

uint64_t n5_tagged_outstanding(void)
{
    pthread_mutex_lock(&memory_lock);
    uint64_t n = blocks.count;
    pthread_mutex_unlock(&memory_lock);
    return n;
}

ULONG64 ndisbuf_tagged_memory_outstanding(ULONG64 *Bytes)
{
    ULONG64 bytes = 0;
    pthread_mutex_lock(&memory_lock);
    ULONG64 n = blocks.count;
    for (size_t i = 0; i < tag_count; i++)
        bytes += tags[i].bytes;
    pthread_mutex_unlock(&memory_lock);
    if (Bytes)
        *Bytes = bytes;
    return n;
}

VOID ndisbuf_tagged_memory_query(ULONG Tag, NDISBUF_TAG_USAGE *Usage)
{
    if (!Usage) {
        vf_diagnostic("ndisbuf_tagged_memory_query", "Usage is NULL");
        return;
    }
    *Usage = (NDISBUF_TAG_USAGE){.Tag = Tag};
    pthread_mutex_lock(&memory_lock);
    struct tag_usage *usage = tag_find_locked(Tag, false);
    if (usage) {
        Usage->OutstandingAllocations = usage->blocks;
        Usage->OutstandingBytes = usage->bytes;
        Usage->Allocations = usage->allocations;
    }
    pthread_mutex_unlock(&memory_lock);
}

ULONG ndisbuf_tagged_memory_enumerate_tags(NDISBUF_TAG_USAGE_CALLBACK Callback, PVOID Context)
{
    if (!Callback)
        return 0;
    pthread_mutex_lock(&memory_lock);
    size_t n = 0;
    NDISBUF_TAG_USAGE *snapshot = tag_count ? malloc(tag_count * sizeof(*snapshot)) : NULL;
    for (size_t i = 0; snapshot && i < tag_count; i++)
        if (tags[i].blocks)
            snapshot[n++] = (NDISBUF_TAG_USAGE){.Tag = tags[i].tag, .OutstandingAllocations = tags[i].blocks,
                                                .OutstandingBytes = tags[i].bytes,
                                                .Allocations = tags[i].allocations};
    pthread_mutex_unlock(&memory_lock);
    ULONG calls = 0;
    for (size_t i = 0; i < n; i++) {
        calls++;
        if (!Callback(&snapshot[i], Context))
            break;
    }
    free(snapshot);
    return calls;
}

struct block_snapshot {
    NDISBUF_TAGGED_BLOCK *items;
    size_t count;
};

static void snapshot_block(struct n5_addr_entry *e, void *ctx)
{
    struct block_snapshot *s = ctx;
    s->items[s->count++] = (NDISBUF_TAGGED_BLOCK){.VirtualAddress = (PVOID)e->key, .Length = e->length,
                                                  .Tag = e->tag, .Owner = e->owner, .AllocationSite = e->site};
}

ULONG ndisbuf_tagged_memory_enumerate_blocks(NDISBUF_TAGGED_BLOCK_CALLBACK Callback, PVOID Context)
{
    if (!Callback)
        return 0;
    pthread_mutex_lock(&memory_lock);
    struct block_snapshot s = {.items = blocks.count ? malloc(blocks.count * sizeof(*s.items)) : NULL};
    if (s.items)
        addrmap_for_each(&blocks, snapshot_block, &s);
    pthread_mutex_unlock(&memory_lock);
    ULONG calls = 0;
    for (size_t i = 0; i < s.count; i++) {
        calls++;
        if (!Callback(&s.items[i], Context))
            break;
    }
    free(s.items);
    return calls;
}
