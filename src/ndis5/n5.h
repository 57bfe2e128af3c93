/* SPDX-License-Identifier: MIT */
/*
 * NDIS 5.1 packets, buffers and tagged memory (private to the library).
 *
 * Packet and buffer pools sit on the same engine and the same element
 * header as the NDIS 6 pools (core/element.h): each pool embeds a
 * `struct nbuf_pool` whose kind is one of the N5_POOL_KIND_* values below,
 * so that core's classification of any pointer stays safe (it sees an
 * element of an unknown kind and calls every part of it "interior"), and
 * elem_take / elem_give_back do the header bookkeeping and the ASan
 * poisoning for both families.
 *
 *   packet element:  [elem_ext 40][header 24][NDIS_PACKET + ProtocolReserved][OOB][extension]
 *   buffer element:  [elem_ext 40][header 24][MDL]
 *
 * The pools are bounded (a packet pool by NumberOfDescriptors plus its
 * overflow, a buffer pool by NumberOfDescriptors) and the bound is kept
 * without a shared counter on the fast path: quota.c hands each allocating
 * thread a small share of the free count. Overflow packets and tagged
 * memory live outside the arena (malloc) and are recognised through
 * addrmap.c, so a stray pointer is still refused rather than followed.
 *
 * Tunables of this module live here until config.h takes them.
 */
#ifndef NDISBUF_NDIS5_N5_H
#define NDISBUF_NDIS5_N5_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "core/element.h"
#include "counts.h"
#include "ndis.h"

/* ---- tunables ---- */
/* A thread takes at most this many allocations of a bounded pool at once... */
#define N5_GRANT_MAX 32u
/* ...and at most this fraction (1/N) of what is free when it asks. */
#define N5_GRANT_DIVISOR 8u
/* Freed overflow packets / tagged blocks remembered to tell a double free from a foreign pointer. */
#define N5_RECENT_FREES 256u
/* Longest buffer chain walked before the chain is taken for a loop. */
#define N5_CHAIN_MAX (1u << 20)
/* Most packet descriptors one pool may have (documented). */
#define N5_MAX_PACKET_DESCRIPTORS 0xFFFFu
/* Largest buffer one descriptor describes: 4 GiB - PAGE_SIZE, as for IoAllocateMdl. */
#define N5_MAX_BUFFER_LENGTH (0xFFFFFFFFul - PAGE_SIZE + 1)

/* Pool kinds, outside core's enum nbuf_pool_kind so core never mistakes them. */
#define N5_POOL_KIND_PACKET 0x51
#define N5_POOL_KIND_BUFFER 0x52
_Static_assert(N5_POOL_KIND_PACKET > NBUF_POOL_MDL && N5_POOL_KIND_BUFFER > NBUF_POOL_MDL,
               "NDIS 5 pool kinds stay clear of core's");

#define N5_PACKET_POOL_MAGIC 0x35544B50u /* "PKT5" */
#define N5_BUFFER_POOL_MAGIC 0x35465542u /* "BUF5" */

/* elem_header.flags bit of an overflow packet (core's flags use the low bits). */
#define N5_ELEM_OVERFLOW 0x80u
/* A packet a send of which is pending (the send shim sets it; PACKET_IN_USE). */
#define N5_ELEM_SENDING 0x40u

/* Where the object starts in its element. */
#define N5_OBJECT_OFFSET ELEM_BODY_OFFSET

/* ---- quota.c: a bound kept with per-thread shares ---- */
/*
 * `limit` allocations of `engine` may be outstanding at once. A thread
 * takes a share of the free count under `lock` and spends it without
 * touching shared memory; what is free is derived from what was granted
 * and the engine's free counters (which only grow), so the bound holds
 * whatever the threads do. A thread that exits gives its unspent share
 * back.
 */
struct n5_quota {
    struct pool *engine;
    uint64_t limit;
    uint64_t granted;     /* shares handed out, ever (under lock) */
    uint64_t prefill;     /* engine allocations made outside the quota */
    uint32_t id;          /* index in the threads' share tables */
    uint64_t generation;  /* unique for the life of the process */
    pthread_mutex_t *lock;
};

struct n5_share {
    uint64_t generation;
    uint32_t left;
};

struct n5_share_table {
    uint32_t count;
    struct n5_share shares[];
};

extern __thread struct n5_share_table *n5_shares __attribute__((tls_model("initial-exec")));

/* Registers q (id, generation); false when memory runs out. */
bool quota_register(struct n5_quota *q);
/* Forgets q; threads' shares of it become stale. */
void quota_unregister(struct n5_quota *q);
/* Takes one allocation for the calling thread under q->lock; false when none is free. */
bool quota_take_slow(struct n5_quota *q);
/* Gives back one allocation taken but not used (the engine had no memory). */
void quota_give_back(struct n5_quota *q);
/* Allocations free now (for overflow decisions), under q->lock. */
uint64_t quota_free_locked(struct n5_quota *q);

/* Takes one allocation from the calling thread's share: no lock, no atomic. */
static inline bool quota_take_fast(struct n5_quota *q)
{
    struct n5_share_table *t = n5_shares;
    if (NDISBUF_LIKELY(t && q->id < t->count)) {
        struct n5_share *s = &t->shares[q->id];
        if (NDISBUF_LIKELY(s->generation == q->generation && s->left)) {
            s->left--;
            return true;
        }
    }
    return false;
}

/* ---- pools.c: the pools, their registry and their objects ---- */
struct n5_pool {
    uint32_t magic;               /* N5_*_POOL_MAGIC while live, 0 once freed; first, as core's */
    struct nbuf_pool core;        /* what element headers point at (kind N5_POOL_KIND_*) */
    pthread_mutex_t lock;         /* slow path: shares, overflow */
    struct n5_quota quota;
    UINT descriptors;             /* NumberOfDescriptors */
    /* packet pools */
    UINT overflow_limit;          /* NumberOfOverflowDescriptors, after the 0xFFFF clamp */
    UINT overflow_out;            /* overflow packets allocated now (under lock) */
    UINT protocol_reserved;       /* ProtocolReservedLength */
    USHORT oob_offset;            /* Private.NdisPacketOobOffset */
    UINT packet_size;             /* NdisPacketSize(protocol_reserved) */
    struct n5_pool *live_next;    /* registry of live pools */
    struct n5_pool *live_prev;
};

static inline struct n5_pool *n5_pool_of(struct elem_header *h)
{
    return CONTAINING_RECORD(h->pool, struct n5_pool, core);
}

/* A new pool of `kind` with elements of `object_size` bytes after the header, or NULL. */
struct n5_pool *n5_pool_create(uint8_t kind, ULONG tag, size_t object_size, uint64_t limit);
/* Puts a created pool in the registry (it becomes visible to the counts). */
void n5_pool_publish(struct n5_pool *pool);
/* Destroys a pool that was never published (creation failed half way). */
void n5_pool_discard(struct n5_pool *pool);
/* Frees a pool once nothing is outstanding; reports INVALID_HANDLE / POOL_NOT_EMPTY otherwise. */
void n5_pool_free(NDIS_HANDLE handle, uint8_t kind, const char *fn);
/* The live pool a handle names, or NULL after a diagnostic (`argument` names the handle). */
struct n5_pool *n5_pool_checked(NDIS_HANDLE handle, uint8_t kind, const char *fn);
/* Objects of the pool outstanding now. */
uint64_t n5_pool_usage(struct n5_pool *pool);
/* The library's own unbounded buffer pool (NdisAllocateBuffer with a NULL handle). */
struct n5_pool *n5_internal_buffer_pool(void);

/* What a pointer handed to an NDIS 5 call turns out to be. */
enum n5_kind {
    N5_NONE,       /* nothing the library gave out */
    N5_RECENT,     /* an overflow packet freed not long ago */
    N5_INTERIOR,   /* inside an NDIS 5 element, not at its object */
    N5_PACKET,
    N5_BUFFER,
    N5_CORE        /* an NDIS 6 object (core_kind says which) */
};

struct n5_obj {
    enum n5_kind kind;
    enum obj_kind core_kind;
    struct elem_header *header;
};

/* Classifies ptr without dereferencing it. */
void n5_classify(const void *ptr, struct n5_obj *obj);
/*
 * The header of a live object of kind `want` (N5_PACKET or N5_BUFFER), or
 * NULL after reporting why not (NULL_OBJECT, FOREIGN_POINTER, DOUBLE_FREE,
 * WRONG_FREE_CALL). `what` names the object, `fn` the call.
 */
struct elem_header *n5_checked(const void *obj, enum n5_kind want, const char *what, const char *fn);

/* ---- packet.c ---- */
/*
 * The send shim marks a packet for as long as a send of it is pending;
 * sending, freeing or reinitialising a marked packet is PACKET_IN_USE.
 * mark: false after a report (a foreign pointer, or already marked).
 */
bool n5_packet_mark_sending(PNDIS_PACKET packet, const char *fn);
void n5_packet_unmark_sending(PNDIS_PACKET packet);
/* Overflow packets allocated now, in every pool (for the process-wide counts). */
uint64_t n5_overflow_outstanding(void);
/* The header of an overflow packet, or NULL (never dereferences ptr). */
struct elem_header *n5_overflow_lookup(const void *ptr, bool *recent);
/* Releases an overflow packet's memory (the pool's count is the caller's). */
void n5_overflow_release(struct elem_header *h);
/* Calls fn on the header of every overflow packet of the pool that is allocated now. */
void n5_overflow_for_each(const struct n5_pool *pool, void (*fn)(struct elem_header *h, void *ctx), void *ctx);

/* ---- addrmap.c: addresses outside the arena ---- */
struct n5_addr_entry {
    const void *key;
    void *value;
    UINT length;
    ULONG tag;
    void *owner;
    void *site;
};

struct n5_addrmap {
    struct n5_addr_entry *slots;
    size_t capacity;              /* a power of two, or 0 */
    size_t count;
    const void *recent[N5_RECENT_FREES];
    size_t recent_next;
};

/* Adds an entry (key not present); false when memory runs out. */
bool addrmap_insert(struct n5_addrmap *map, const struct n5_addr_entry *entry);
/* The entry for key, or NULL. */
struct n5_addr_entry *addrmap_find(struct n5_addrmap *map, const void *key);
/* Removes key (present) and remembers it among the recent frees. */
void addrmap_remove(struct n5_addrmap *map, const void *key);
/* Whether key was removed lately. */
bool addrmap_recent(const struct n5_addrmap *map, const void *key);
/* Calls fn on every entry. */
void addrmap_for_each(struct n5_addrmap *map, void (*fn)(struct n5_addr_entry *entry, void *ctx), void *ctx);

/* ---- chain.c ---- */
/* Recounts the chain into the private area (ValidCounts TRUE) unless the counts are valid. */
void n5_packet_counts(PNDIS_PACKET packet);
/* Whether the packet still has a live library buffer or MDL on its chain (first such in *live). */
bool n5_chain_has_live_buffer(PNDIS_PACKET packet, PNDIS_BUFFER *live);

/* ---- memory.c ---- */
uint64_t n5_tagged_outstanding(void);


/* "name" for a 4-character pool tag. */
void n5_tag_text(ULONG tag, char out[5]);

#endif /* NDISBUF_NDIS5_N5_H */
