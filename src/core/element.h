/* SPDX-License-Identifier: MIT */
/*
 * Pool elements as NDIS sees them (private to the library).
 *
 * Every element is one block laid out once, when its pool first commits it.
 * The library's 24-byte header (struct elem_header) is at the same offset,
 * ELEM_HEADER_OFFSET (40), in every element:
 *
 *   [NET_BUFFER_LIST, header inside][context block]  NBL pools: the header
 *   [NET_BUFFER][MDL][data]                          fills the NBL's padding
 *                                                    and NdisReserved, so an
 *                                                    NBL+NB element is 544
 *                                                    bytes, as on Windows
 *   [elem_ext 40][header 24][NET_BUFFER][MDL][data]  NB pools
 *   [elem_ext 40][header 24][MDL]                    the internal MDL pool
 *
 * What else the library keeps about an element lives in elem_ext for the
 * pools that have one, and for NBL pools where it can be found without
 * storing it: the owner in the pool, the context given at allocation from
 * the layout, and the rare rest (a separately allocated context block, the
 * verifier's record, the allocation site the careful path notes) in a side
 * table the pool reserves address space for and touches only when used
 * (struct elem_side).
 *
 * elem_header has the same layout in every build (no #ifdef fields), so the
 * verifier is switched at run time and never recompiled for. All offsets
 * are computed in layout.c and nowhere else.
 */
#ifndef NDISBUF_CORE_ELEMENT_H
#define NDISBUF_CORE_ELEMENT_H

#include <stdbool.h>
#include <string.h>

#include "config.h"
#include "ndis.h"
#include "pool/magazine.h"
#include "pool/pool.h"

enum elem_state {
    ELEM_FREE = 0x45455246u, /* "FREE" */
    ELEM_LIVE = 0x4556494Cu  /* "LIVE" */
};

enum elem_flag {
    ELEM_CONTEXT_ALLOCATED = 1u << 0, /* the allocation-time context block is separate */
    ELEM_RETREAT_BUFFER = 1u << 1,    /* an MDL a retreat made, owning its buffer */
    ELEM_DERIVED_MDL = 1u << 2        /* an MDL built for a derived NBL's NB */
};

/* What an NBL (or an NB taken for one) was derived as; 0 for everything else. */
enum derive_kind {
    DERIVED_NONE = 0,
    DERIVED_CLONE,
    DERIVED_CLONE_ORIGINAL_MDLS,
    DERIVED_FRAGMENT,
    DERIVED_REASSEMBLED
};

struct nbuf_pool;
struct vf_track;

/* Vectors for the element's bulk zeroing and checks (below); 16-byte alignment is all an element part has. */
typedef long long elem_v16 __attribute__((vector_size(16), may_alias));
typedef long long elem_v32 __attribute__((vector_size(32), aligned(16), may_alias));
typedef long long elem_v64 __attribute__((vector_size(64), aligned(16), may_alias));

struct elem_header {
    union {
        struct {
            uint32_t state;       /* enum elem_state: the level-0 cookie */
            uint8_t flags;        /* enum elem_flag */
            uint8_t derived;      /* enum derive_kind */
            uint16_t derived_nbs; /* derived NBLs: how many NBs the library gave it */
        };
        /*
         * The four as one: written whole at allocation, so the free's one
         * load of it (elem_header_word) is served from that store (a load
         * spanning two smaller stores in flight would wait for both).
         */
        uint64_t word;
    };
    uint32_t generation;         /* bumped at every allocation */
    uint32_t derived_delta;      /* derived NBLs: the DataOffsetDelta they were made with */
    struct nbuf_pool *pool;      /* the NDIS pool that owns the element */
};
#define ELEM_HEADER_OFFSET 40
#define ELEM_BODY_OFFSET (ELEM_HEADER_OFFSET + 24) /* the first byte after the header */
_Static_assert(sizeof(struct elem_header) == ELEM_BODY_OFFSET - ELEM_HEADER_OFFSET, "the header is 24 bytes");
/* In an NBL pool the header is the NBL's NDIS-private room: the padding after NdisPoolHandle, and NdisReserved. */
_Static_assert(offsetof(NET_BUFFER_LIST, NdisPoolHandle) + sizeof(PVOID) == ELEM_HEADER_OFFSET &&
                   offsetof(NET_BUFFER_LIST, NdisReserved) + sizeof(((NET_BUFFER_LIST *)0)->NdisReserved) ==
                       ELEM_BODY_OFFSET,
               "the header fills exactly the NBL's padding and NdisReserved");

/* What elements of NB, MDL and NDIS 5 pools keep in front of their header. */
struct elem_ext {
    void *owner;                 /* handle that allocated it (driver, binding); MDLs: the NB they were built for */
    void *alloc_site;            /* return address of the allocating call */
    union {
        PNET_BUFFER_LIST derived_nbl; /* NB elements: the derived NBL that holds it */
        ULONG_PTR built_length;       /* MDL elements: the length it was built with */
    };
    void *buffer;                /* MDL elements: memory the library allocated for it */
    void *spare;
};
_Static_assert(sizeof(struct elem_ext) == ELEM_HEADER_OFFSET, "elem_ext fills the space before the header");

/* What NBL pool elements keep out of line (one entry per element of the pool, elem_side_of). */
struct elem_side {
    PNET_BUFFER_LIST_CONTEXT context_block; /* the separately allocated context (ELEM_CONTEXT_ALLOCATED) */
    struct vf_track *track;                 /* the verifier's record (verify/track.c), kept across lives */
    void *alloc_site;                       /* noted by the careful path ... */
    uint32_t site_generation;               /* ... for this allocation of the element */
};

enum nbuf_pool_kind {
    NBUF_POOL_NBL = 1,
    NBUF_POOL_NB = 2,
    NBUF_POOL_MDL = 3
};

/* Offsets within an element; 0 means "absent" for everything but the header. */
struct elem_layout {
    size_t nbl;
    size_t context;       /* the NET_BUFFER_LIST_CONTEXT block */
    size_t nb;
    size_t mdl;
    size_t mdl_template;  /* with data: the data MDL as built, kept to compare the MDL with (elem_data_mdl_restore) */
    size_t data;
    size_t size;          /* bytes the element needs */
    USHORT context_size;  /* data bytes of the embedded context block */
    ULONG data_size;
};

#define NBUF_POOL_MAGIC 0x4C4F4F50u /* "POOL" */

struct nbuf_pool {
    uint32_t magic;
    uint8_t kind;                 /* enum nbuf_pool_kind */
    UCHAR protocol_id;
    BOOLEAN allocate_nb;
    ULONG tag;
    NDIS_HANDLE owner;
    struct elem_layout layout;
    struct pool *engine;
    size_t body_bytes;            /* bytes of an element after its header (poisoned while free) */
    ULONG data_backfill;          /* DataOffset a fresh NB of a pool with data starts at (ndisbuf extension) */
    struct nbuf_pool *live_next;  /* registry of live pools (pools.c) */
    struct nbuf_pool *live_prev;
    struct elem_side *side;       /* NBL pools: elem_side_of's table (pools.c) */
    elem_v64 clean_frame_line;    /* NBL pools: NBL line 3 of a free element (elem_clean_frame_line_init) */
};

/*
 * What the NBL fast paths need of an NBL pool, read once: per call in the
 * single calls, per call or per run in the bulk ones. Kept in locals (the
 * compiler puts them in registers), so a store into an element, which as
 * far as the compiler knows may change the pool, does not make every later
 * use load the pool again.
 */
struct nbl_shape {
    struct nbuf_pool *pool;
    size_t nb;            /* offsets, as in elem_layout (0: absent); the NBL is at 0 */
    size_t context;
    size_t mdl;
    size_t mdl_template;
    ULONG data_size;      /* 0: no data */
    ULONG data_backfill;
    USHORT context_size;
};

static inline __attribute__((always_inline)) struct nbl_shape nbl_shape_of(struct nbuf_pool *pool)
{
    const struct elem_layout *l = &pool->layout;
    return (struct nbl_shape){.pool = pool, .nb = l->nb, .context = l->context, .mdl = l->mdl,
                              .mdl_template = l->mdl_template, .data_size = l->data_size,
                              .data_backfill = pool->data_backfill, .context_size = l->context_size};
}

/* What a pointer handed to the library turns out to be. */
enum obj_kind {
    OBJ_NONE,        /* not in any live pool's elements */
    OBJ_INTERIOR,    /* inside an element, but not at an object's start */
    OBJ_NBL,
    OBJ_NB_IN_NBL,   /* the NB that came with an NBL */
    OBJ_NB,          /* a lone NB from an NB pool */
    OBJ_MDL_IN_ELEMENT,
    OBJ_MDL          /* from the internal MDL pool */
};

/*
 * Zeroes a structure of compile-time size with plain vector stores. A
 * memset of a few hundred constant bytes becomes `rep stos` at -O2, whose
 * start-up cost is larger than the whole rest of an allocation; this stays
 * a short run of stores, one per cache line where the function is built
 * for AVX-512 (NDISBUF_HOT_PATH), four of 16 bytes on a baseline build.
 * `bytes` must be a multiple of 8 and `p` 16-byte aligned (true of every
 * NDIS structure in an element).
 */
static inline __attribute__((always_inline)) void elem_zero(void *p, size_t bytes)
{
    char *c = p;
#pragma GCC unroll 16
    for (size_t i = 0; i < bytes / sizeof(elem_v64); i++)
        ((elem_v64 *)c)[i] = (elem_v64){0};
#pragma GCC unroll 4
    for (size_t i = bytes / sizeof(elem_v64) * sizeof(elem_v64); i + sizeof(elem_v16) <= bytes; i += sizeof(elem_v16))
        *(elem_v16 *)(c + i) = (elem_v16){0, 0};
    if (bytes % sizeof(elem_v16))
        *(long long *)(c + bytes - sizeof(long long)) = 0;
}

/* The first byte of the element whose header is h. */
static inline char *elem_start(const struct elem_header *header)
{
    return (char *)header - ELEM_HEADER_OFFSET;
}

/* The header of the element starting at `start` (what the pool engine hands out). */
static inline struct elem_header *elem_at(void *start)
{
    return (struct elem_header *)((char *)start + ELEM_HEADER_OFFSET);
}

/* elem_at, or NULL for NULL (a lookup or a pop that found nothing). */
static inline struct elem_header *elem_at_or_null(void *start)
{
    return start ? elem_at(start) : NULL;
}

/* The part of an element at `offset` (an offset from its layout). */
static inline void *elem_part(struct elem_header *header, size_t offset)
{
    return elem_start(header) + offset;
}

/* Whether the element has an elem_ext (every pool but the NBL pools). */
static inline bool elem_has_ext(const struct elem_header *header)
{
    return header->pool->kind != NBUF_POOL_NBL;
}

/* The elem_ext of an element of an NB, MDL or NDIS 5 pool. */
static inline struct elem_ext *elem_ext(const struct elem_header *header)
{
    return (struct elem_ext *)elem_start(header);
}

/* The side entry of an element of an NBL pool. */
struct elem_side *elem_side_of(const struct elem_header *header);

/* Who allocated the element: its pool's owner, or for an element with an elem_ext what it says. */
static inline void *elem_owner(const struct elem_header *header)
{
    return elem_has_ext(header) ? elem_ext(header)->owner : header->pool->owner;
}

/* Where the element was allocated, when known (NBL pools: when the careful path took it). */
void *elem_alloc_site(const struct elem_header *header);
/* Notes where an element was allocated (the careful paths; the fast path notes nothing for NBL pools). */
void elem_note_site(struct elem_header *header, void *alloc_site);

/*
 * The context an NBL element was given at allocation: none for a derived
 * NBL, the separate block when one was allocated, else the element's own
 * block (if the pool has one).
 */
static inline PNET_BUFFER_LIST_CONTEXT nbl_context_base(struct elem_header *header)
{
    if (header->derived)
        return NULL;
    if (NDISBUF_UNLIKELY(header->flags & ELEM_CONTEXT_ALLOCATED))
        return elem_side_of(header)->context_block;
    const struct elem_layout *l = &header->pool->layout;
    return l->context_size ? elem_part(header, l->context) : NULL;
}

/*
 * The header's state, flags and derived kind as one word (derived_nbs, the
 * top 16 bits, masked off), and what it holds for a live element with no
 * flags, derived as `kind`: one compare for three checks.
 */
_Static_assert(offsetof(struct elem_header, flags) == 4 && offsetof(struct elem_header, derived) == 5 &&
                   offsetof(struct elem_header, derived_nbs) == 6 && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "state, flags, derived and derived_nbs make the header's first word");
#define ELEM_WORD_MASK 0x0000FFFFFFFFFFFFull
_Static_assert(offsetof(struct elem_header, derived_nbs) * 8 == 48, "derived_nbs is the word's top 16 bits");
#define ELEM_WORD_LIVE_AS(kind) ((uint64_t)ELEM_LIVE | (uint64_t)(kind) << 40)
/*
 * Marks a just-taken element live for pool: the one place that decides what
 * an element's header says at allocation.
 */
static inline __attribute__((always_inline)) void elem_mark_live_as(struct nbuf_pool *pool,
                                                                    struct elem_header *header, void *alloc_site,
                                                                    bool nbl_pool)
{
    NDISBUF_UNPOISON(header + 1, pool->body_bytes);
    /*
     * Relaxed stores (plain moves): the verifier's leak scans read these
     * from other threads. State LIVE, no flags, not derived, in one store.
     */
    __atomic_store_n(&header->word, (uint64_t)ELEM_WORD_LIVE_AS(DERIVED_NONE), __ATOMIC_RELAXED);
    __atomic_store_n(&header->generation, header->generation + 1, __ATOMIC_RELAXED);
    if (nbl_pool) {
        NDISBUF_UNPOISON(elem_start(header), ELEM_HEADER_OFFSET);
    } else {
        struct elem_ext *ext = elem_ext(header);
        ext->owner = pool->owner;
        ext->alloc_site = alloc_site;
        ext->derived_nbl = NULL;
    }
}

/* elem_mark_live_as for an element of any pool. */
static inline void elem_mark_live(struct nbuf_pool *pool, struct elem_header *header, void *alloc_site)
{
    elem_mark_live_as(pool, header, alloc_site, pool->kind == NBUF_POOL_NBL);
}

/* An element popped from this thread's magazine of an NBL pool, marked live; NULL when there is none there. */
static inline __attribute__((always_inline)) struct elem_header *nbl_elem_take_cached(struct nbuf_pool *pool)
{
    void *start;
    if (NDISBUF_UNLIKELY(!pool_pop_cached(pool->engine, &start)))
        return NULL;
    struct elem_header *header = elem_at(start);
    elem_mark_live_as(pool, header, NULL, true);
    return header;
}

/* A live element from this thread's magazine, or NULL: then call elem_take. */
static inline struct elem_header *elem_take_cached(struct nbuf_pool *pool, void *alloc_site)
{
    void *start;
    if (NDISBUF_UNLIKELY(!pool_pop_cached(pool->engine, &start)))
        return NULL;
    struct elem_header *header = elem_at(start);
    elem_mark_live(pool, header, alloc_site);
    return header;
}

/*
 * A free element's own data MDL always describes all of its data (so an
 * allocation need not rebuild it): this puts it back when a driver changed
 * it (a length adjusted, a Next linked). Nothing for pools without data.
 * The rebuild also renews the element's copy of the built MDL (a stray
 * write may have hit either).
 */
void elem_data_mdl_rebuild(const struct nbuf_pool *pool, struct elem_header *h);
/*
 * Whether the data MDL is as built (true for pools without data). The
 * element keeps a copy of its MDL as built: one compare of 48 bytes
 * instead of eight fields.
 */
static inline __attribute__((always_inline)) elem_v16 elem_data_mdl_dirt_at(struct elem_header *h, ULONG data_size,
                                                                            size_t mdl_offset, size_t template_offset)
{
    if (!data_size)
        return (elem_v16){0, 0};
    _Static_assert(sizeof(MDL) == 3 * sizeof(elem_v16), "an MDL is three 16-byte pieces");
    const elem_v16 *mdl = elem_part(h, mdl_offset);
    const elem_v16 *built = elem_part(h, template_offset);
    return (mdl[0] ^ built[0]) | (mdl[1] ^ built[1]) | (mdl[2] ^ built[2]);
}

static inline __attribute__((always_inline)) bool elem_data_mdl_intact(const struct elem_layout *l,
                                                                       struct elem_header *h)
{
    elem_v16 dirt = elem_data_mdl_dirt_at(h, l->data_size, l->mdl, l->mdl_template);
    return (dirt[0] | dirt[1]) == 0;
}

static inline __attribute__((always_inline)) void elem_data_mdl_restore(const struct nbuf_pool *pool,
                                                                        struct elem_header *h)
{
    const struct elem_layout *l = &pool->layout;
    if (NDISBUF_UNLIKELY(!elem_data_mdl_intact(l, h)))
        elem_data_mdl_rebuild(pool, h);
}

/*
 * Clean on free. An NBL pool element keeps, while free, every byte of its
 * NBL and NB past their first cache line as a fresh NBL has it: zero, but
 * for the protocol id in the NetBufferListFrameType slot. An allocation
 * then writes only the first line of each (NBL: Next .. NdisPoolHandle and
 * the header after them; NB: the data description and NdisPoolHandle)
 * instead of 544 bytes, and a
 * free reads the rest (reads are cheaper than writes and leave a line
 * shared instead of pulling it to the writer's core) and rewrites it only
 * when some byte differs. Every way an element goes back to its pool
 * passes here (elem_scrub_for_reuse); elem_init establishes it.
 */
#define ELEM_LINE 64

#define ELEM_NBL_FRAME_TYPE offsetof(NET_BUFFER_LIST, NetBufferListInfo[NetBufferListFrameType])
#define ELEM_NBL_FRAME_LINE 3 /* the NBL's cache line holding the frame type slot */
/* The shapes elem_tails_clean reads in one pass: whole lines, then three 16-byte pieces. */
_Static_assert(sizeof(NET_BUFFER_LIST) == 5 * ELEM_LINE + 48, "NBL: line 0, four more lines, 48 bytes");
_Static_assert(sizeof(NET_BUFFER) == 2 * ELEM_LINE + 48, "NB: line 0, one more line, 48 bytes");
_Static_assert(ELEM_NBL_FRAME_TYPE / ELEM_LINE == ELEM_NBL_FRAME_LINE && ELEM_NBL_FRAME_TYPE % 8 == 0,
               "the frame type slot is in NBL line 3");

/*
 * What the NBL's line ELEM_NBL_FRAME_LINE holds in a clean element of pool:
 * zero, but for the protocol id in the frame type slot. Kept in the pool
 * (pool->clean_frame_line) so the check is one XOR.
 */
static inline void elem_clean_frame_line_init(struct nbuf_pool *pool)
{
    union {
        elem_v64 v;
        PVOID slot[ELEM_LINE / sizeof(PVOID)];
    } line = {.v = {0}};
    line.slot[(ELEM_NBL_FRAME_TYPE % ELEM_LINE) / sizeof(PVOID)] = (PVOID)(ULONG_PTR)pool->protocol_id;
    pool->clean_frame_line = line.v;
}

static inline __attribute__((always_inline)) elem_v16 elem_or_48(elem_v16 acc, const char *p)
{
    return acc | *(const elem_v16 *)p | *(const elem_v16 *)(p + 16) | *(const elem_v16 *)(p + 32);
}

/*
 * A 64-byte vector folded to 16 bytes (OR of its four pieces). By pointer:
 * a 64-byte vector passed by value is an ABI question clang warns about
 * (-Wpsabi) in the builds without AVX-512; inlined, the pointer goes away.
 */
static inline __attribute__((always_inline)) elem_v16 elem_fold_64(const elem_v64 *v)
{
    elem_v32 half = __builtin_shufflevector(*v, *v, 0, 1, 2, 3) | __builtin_shufflevector(*v, *v, 4, 5, 6, 7);
    return __builtin_shufflevector(half, half, 0, 1) | __builtin_shufflevector(half, half, 2, 3);
}

/* An NB of zeros, read by elem_tails_dirt in place of the NB of a pool that has none (element.c). */
extern const NET_BUFFER elem_no_nb NDISBUF_INTERNAL;

/*
 * What differs, ORed together, between the NBL (and NB, when nb is not
 * NULL) past their first lines and what a free element holds there: zero
 * when they are clean. Every byte is loaded once; whole lines are read as
 * 64-byte vectors, which the AVX-512 build of the hot calls handles in one
 * register each (the AVX2 and baseline builds in two and four). No branch
 * on nb (a vector merged from two branches is kept in memory by the
 * builds without 64-byte registers): a missing NB reads as elem_no_nb.
 */
static inline __attribute__((always_inline)) elem_v16 elem_tails_dirt(const struct nbuf_pool *pool, const char *nbl,
                                                                      const char *nb)
{
    nb = nb ? nb : (const char *)&elem_no_nb;
    const elem_v64 *line = (const elem_v64 *)nbl;
    /* SourceHandle (the last word of line 1) is not looked at: the caller clears it after the loads. */
    _Static_assert(offsetof(NET_BUFFER_LIST, SourceHandle) == 2 * ELEM_LINE - sizeof(PVOID),
                   "SourceHandle is the last word of the NBL's line 1");
    const elem_v64 but_source_handle = {-1, -1, -1, -1, -1, -1, -1, 0};
    elem_v64 acc = (line[1] & but_source_handle) | line[2] | (line[ELEM_NBL_FRAME_LINE] ^ pool->clean_frame_line) |
                   line[4];
    acc |= *(const elem_v64 *)(nb + ELEM_LINE);
    return elem_fold_64(&acc) | elem_or_48(elem_or_48((elem_v16){0, 0}, nbl + 5 * ELEM_LINE), nb + 2 * ELEM_LINE);
}

/* Whether a 16-byte difference is all zero. */
static inline __attribute__((always_inline)) bool elem_dirt_none(elem_v16 dirt)
{
    return (dirt[0] | dirt[1]) == 0;
}

/* Whether the NBL (and NB) past their first lines are as a free element holds them (elem_tails_dirt). */
static inline __attribute__((always_inline)) bool elem_tails_clean(const struct nbuf_pool *pool, const char *nbl,
                                                                   const char *nb)
{
    return elem_dirt_none(elem_tails_dirt(pool, nbl, nb));
}

/*
 * Every NBL that was sent has SourceHandle set (the stack sets it on each
 * send): elem_tails_clean passes over it and it is cleared here, after the
 * check's loads, and only when set. A load wider than a store still in
 * flight to the same bytes waits for that store to reach the cache: a
 * store just before the check would stall every free, and an unconditional
 * one can stall the next free of the same element in a tight loop.
 */
static inline __attribute__((always_inline)) void nbl_source_handle_clear(PNET_BUFFER_LIST nbl)
{
    if (nbl->SourceHandle)
        nbl->SourceHandle = NULL;
}

/* Puts a dirty element's NBL and NB tails back (elem_tails_clean said no): rare, not inline. */
void elem_tails_scrub(const struct nbuf_pool *pool, struct elem_header *h);

/* Restores what a free element of pool must hold (see "Clean on free"), and its data MDL built. */
static inline __attribute__((always_inline)) void elem_scrub_for_reuse(const struct nbuf_pool *pool,
                                                                       struct elem_header *h)
{
    const struct elem_layout *l = &pool->layout;
    if (pool->kind == NBUF_POOL_NBL) {
        PNET_BUFFER_LIST nbl = elem_part(h, l->nbl);
        if (NDISBUF_UNLIKELY(!elem_tails_clean(pool, (const char *)nbl, l->nb ? elem_part(h, l->nb) : NULL)))
            elem_tails_scrub(pool, h);
        nbl_source_handle_clear(nbl);
    }
    elem_data_mdl_restore(pool, h);
}

/*
 * Under AddressSanitizer, marks a free element's bytes unusable: all but
 * the header (and an elem_ext, which is the library's).
 */
static inline void elem_poison(const struct nbuf_pool *pool, struct elem_header *header)
{
    NDISBUF_POISON(header + 1, pool->body_bytes);
    if (pool->kind == NBUF_POOL_NBL)
        NDISBUF_POISON(elem_start(header), ELEM_HEADER_OFFSET);
}

/*
 * The last step of every way an element goes back to its pool, once it is
 * marked free and restored: poisoned (under AddressSanitizer) and pushed
 * into this thread's magazine, or handed to the depot when that is full.
 */
static inline __attribute__((always_inline)) void elem_push_free(struct nbuf_pool *pool,
                                                                 struct elem_header *header)
{
    elem_poison(pool, header);
    if (NDISBUF_UNLIKELY(!pool_free_cached(pool->engine, elem_start(header))))
        pool_free(pool->engine, elem_start(header));
}

/* Returns a live element to its pool at once (no quarantine: the caller is on a fast path). */
static inline __attribute__((always_inline)) void elem_release(struct nbuf_pool *pool, struct elem_header *header)
{
    __atomic_store_n(&header->state, ELEM_FREE, __ATOMIC_RELAXED);
    elem_scrub_for_reuse(pool, header);
    elem_push_free(pool, header);
}

/*
 * An NBL pool element that nbl_elem_clean found dirty, restored as a free
 * element must be (element.c): its NBL and NB tails scrubbed, its data MDL
 * rebuilt if changed. Out of line: rare in a loop that allocates and
 * frees, the rule in a stack, where every NBL comes back written.
 */
void nbl_elem_restore(struct nbuf_pool *pool, struct elem_header *header);
/* nbl_elem_release for a dirty element: restored, then freed (element.c); the fast path's tail call. */
void nbl_elem_release_dirty(struct nbuf_pool *pool, struct elem_header *header);

/*
 * Whether an NBL pool element is as a free one must be: its NBL and NB
 * tails clean and its data MDL as built, decided by one test. The NBL is at
 * the element's start in an NBL pool (layout.c).
 */
static inline __attribute__((always_inline)) bool nbl_elem_clean(const struct nbl_shape *shape,
                                                                 struct elem_header *header)
{
    const char *nbl = elem_start(header);
    /* One test for the tails and the data MDL. */
    return elem_dirt_none(elem_tails_dirt(shape->pool, nbl, shape->nb ? elem_part(header, shape->nb) : NULL) |
                          elem_data_mdl_dirt_at(header, shape->data_size, shape->mdl, shape->mdl_template));
}

/*
 * elem_release for an element of an NBL pool, on the free calls' fast
 * paths. The common case, a clean NBL, costs the checks' loads, the state
 * store and the push; anything else (a dirty NBL or NB, a data MDL
 * changed, a full magazine) leaves by a tail call, so the free calls built
 * on this need no stack frame.
 */
static inline __attribute__((always_inline)) void nbl_elem_release(const struct nbl_shape *shape,
                                                                   struct elem_header *header)
{
    struct nbuf_pool *pool = shape->pool;
    if (NDISBUF_UNLIKELY(!nbl_elem_clean(shape, header))) {
        nbl_elem_release_dirty(pool, header);
        return;
    }
    __atomic_store_n(&header->state, ELEM_FREE, __ATOMIC_RELAXED);
    nbl_source_handle_clear((PNET_BUFFER_LIST)elem_start(header));
    elem_push_free(pool, header);
}

/* The header's first word, derived_nbs masked off (ELEM_WORD_MASK): what ELEM_WORD_LIVE_AS is compared with. */
static inline uint64_t elem_header_word(const struct elem_header *header)
{
    return __atomic_load_n(&header->word, __ATOMIC_RELAXED) & ELEM_WORD_MASK;
}

/*
 * The header of obj when it is the start of an element of an NBL pool (an
 * NBL) whose header names that pool, its pool in *pool_out; NULL for
 * anything else (the caller's careful path then names it). Never
 * dereferences obj before the arena says it is the start of an element.
 * The header is found from obj by a constant, not through the lookup, so a
 * correctly predicted check costs the fast paths no latency.
 */
static inline __attribute__((always_inline)) struct elem_header *elem_nbl_element_of(const void *obj,
                                                                                      struct nbuf_pool **pool_out)
{
    struct pool *engine = pool_of_element_start(obj);
    struct elem_header *h = (struct elem_header *)((uintptr_t)obj + ELEM_HEADER_OFFSET);
    if (NDISBUF_UNLIKELY(!engine))
        return NULL;
    /*
     * The pool from the engine (read-mostly, in this CPU's cache), not from
     * the header: when another CPU allocated the NBL, the header's line is
     * a miss, and the addresses of the NB and the tails must not wait for it.
     */
    struct nbuf_pool *pool = engine->user;
    if (NDISBUF_UNLIKELY(pool->kind != NBUF_POOL_NBL || h->pool != pool))
        return NULL;
    *pool_out = pool;
    return h;
}

static inline __attribute__((always_inline)) struct elem_header *elem_live_nbl_of(const void *obj,
                                                                                  struct nbuf_pool **pool_out)
{
    struct elem_header *h = elem_nbl_element_of(obj, pool_out);
    return NDISBUF_LIKELY(h && __atomic_load_n(&h->state, __ATOMIC_RELAXED) == ELEM_LIVE) ? h : NULL;
}

/*
 * elem_nbl_element_of for a live NBL without flags (no separate context
 * block), derived as `kind` (DERIVED_NONE: a plain NBL): one compare of
 * the header's first word.
 */
static inline __attribute__((always_inline)) struct elem_header *elem_live_nbl_as(const void *obj, uint8_t kind,
                                                                                  struct nbuf_pool **pool_out)
{
    struct elem_header *h = elem_nbl_element_of(obj, pool_out);
    return NDISBUF_LIKELY(h && elem_header_word(h) == ELEM_WORD_LIVE_AS(kind)) ? h : NULL;
}

/* elem_live_nbl_of, when the caller needs only the header. */
static inline __attribute__((always_inline)) struct elem_header *elem_live_nbl(const void *obj)
{
    struct nbuf_pool *pool;
    return elem_live_nbl_of(obj, &pool);
}

/* The header of the element whose part at `offset` is `part`. */
static inline struct elem_header *elem_of(const void *part, size_t offset)
{
    return (struct elem_header *)((char *)part - offset + ELEM_HEADER_OFFSET);
}

/* NdisReserved[0] of an NB: how many MDLs retreats have put on its chain (retreat.c keeps it). */
static inline ULONG_PTR *retreat_mdl_count(PNET_BUFFER nb)
{
    return (ULONG_PTR *)&nb->NdisReserved[0];
}

static inline ULONG_PTR nb_retreat_mdls_held(const NET_BUFFER *nb)
{
    return (ULONG_PTR)nb->NdisReserved[0];
}


/* layout.c */
void layout_nbl_pool(struct elem_layout *layout, bool with_nb, USHORT context_size, ULONG data_size);
void layout_nb_pool(struct elem_layout *layout, ULONG data_size);
void layout_mdl_pool(struct elem_layout *layout);

/* element.c */
void elem_init(void *element, void *pool);
enum obj_kind elem_classify(const void *addr, struct elem_header **header);
const char *elem_kind_name(enum obj_kind kind);
/*
 * The header of a live object of kind `want` (what: "NET_BUFFER_LIST", ...),
 * or NULL after reporting why not: NULL, foreign pointer, wrong free call,
 * double free. The one place the free calls' level-0 checks are decided.
 */
struct elem_header *elem_checked(const void *obj, enum obj_kind want, const char *what, const char *fn);
/* Whether the object's NdisPoolHandle (claimed) still names its pool; reports WRONG_POOL if not. */
bool elem_pool_matches(struct elem_header *h, const void *obj, NDIS_HANDLE claimed, const char *what,
                       const char *fn);
void *elem_take(struct nbuf_pool *pool, void *alloc_site);
/* The diagnostic for an elem_take that returned NULL: the pool full, or memory exhausted. */
void elem_take_failed(const struct nbuf_pool *pool, const char *fn);
/* Frees an element (at verifier level 2, into the quarantine first). */
void elem_give_back(struct elem_header *header);
/* The quarantine's way out: straight back to the pool. */
void elem_release_quarantined(struct elem_header *header);
/* Bytes of an element after its header. */
size_t elem_body_size(const struct elem_header *header);
void elem_data_mdl_init(PMDL mdl, void *data, ULONG length);

/* nbl.c / nb.c: taking objects, and the checks every NBL free shares */
/* Whether ContextSize/ContextBackFill are acceptable; a diagnostic for fn if not. */
bool nbl_context_request_ok(USHORT size, USHORT backfill, const char *fn);
PNET_BUFFER_LIST nbl_take(struct nbuf_pool *pool, USHORT context_size, USHORT context_backfill, void *site,
                          const char *fn);
PNET_BUFFER nb_take(struct nbuf_pool *pool, void *site, const char *fn);
/*
 * Whether an NBL may be freed: no NB on it the library did not put there,
 * no pushed context, ChildRefCount 0. Reports the first violation.
 */
bool nbl_free_allowed(PNET_BUFFER_LIST nbl, struct elem_header *h, const char *fn);
/* NdisFreeNetBufferList's work; whether the NBL was freed (false: reported and left as it was). */
bool nbl_free_one(PNET_BUFFER_LIST nbl);
/* "NdisFreeCloneNetBufferList" for a clone, ..., "NdisFreeNetBufferList" for a plain NBL. */
const char *nbl_free_call_name(uint8_t kind);

/* mdl.c: MDLs describing part of another MDL's buffer, for derived NBLs */
PMDL mdl_derived_alloc(PMDL source, ULONG offset, ULONG length, PNET_BUFFER owner, void *site, const char *fn);
/* Lays a just-taken MDL element out as such an MDL (mdl_derived_alloc's work after the allocation). */
PMDL mdl_derived_init(struct elem_header *h, PMDL source, ULONG offset, ULONG length, PNET_BUFFER owner);
/*
 * Frees mdl when it is a lone (no Next) MDL the library built for owner;
 * false, with nothing done, otherwise.
 */
bool mdl_derived_release_single(PMDL mdl, PNET_BUFFER owner);
/*
 * Frees the MDLs built for `owner` on the chain from `head`: MDLs the
 * driver linked in between are stepped over, never freed.
 */
void mdl_derived_free_chain(PMDL head, PNET_BUFFER owner);

/* mdl.c: the MDLs a retreat allocates when no handler is given */
PMDL mdl_retreat_alloc(ULONG bytes, PNET_BUFFER owner);
/* Whether mdl is a live retreat MDL the library allocated for nb. */
bool mdl_is_retreat_buffer_of(PMDL mdl, PNET_BUFFER nb);
void mdl_retreat_free(PMDL mdl);

/* pools.c: handle checks for the allocation calls */
struct nbuf_pool *pools_checked(NDIS_HANDLE handle, enum nbuf_pool_kind kind, const char *function);
/* The same, the diagnostics naming the argument (e.g. "NetBufferPoolHandle"). */
struct nbuf_pool *pools_checked_argument(NDIS_HANDLE handle, enum nbuf_pool_kind kind, const char *function,
                                         const char *argument);
struct nbuf_pool *pools_mdl_pool(void);
/* The library's own NBL (with an NB, DataSize 0) and NB (DataSize 0) pools, for NULL handles. */
struct nbuf_pool *pools_internal(enum nbuf_pool_kind kind);

/*
 * Calls fn on every live NBL and NB pool of the drivers, under the registry
 * lock (fn must not create or free pools), then, when asked, on the
 * library's own pools (internal NBL and NB pools, MDL pool) without it.
 */
void pools_for_each_live(void (*fn)(struct nbuf_pool *pool, void *ctx), void *ctx, bool with_library_pools);

/* nb.c: one place that points an NB at an MDL chain */
bool nb_chain_fits(PMDL chain, ULONG offset, SIZE_T length, const char *function);
void nb_attach_chain(PNET_BUFFER nb, PMDL chain, ULONG offset, SIZE_T length);
/*
 * Points a just-zeroed NB of an element with data at that data (its MDL is
 * kept built while free): all of it, less the pool's data back-fill in front.
 */
static inline __attribute__((always_inline)) void nb_attach_own_data_at(PNET_BUFFER nb, PMDL mdl, ULONG data_size,
                                                                        ULONG data_backfill)
{
    nb->MdlChain = nb->CurrentMdl = mdl;
    nb->DataOffset = nb->CurrentMdlOffset = data_backfill;
    nb->DataLength = data_size - data_backfill;
}

static inline void nb_attach_own_data(PNET_BUFFER nb, struct elem_header *h)
{
    const struct nbuf_pool *pool = h->pool;
    nb_attach_own_data_at(nb, elem_part(h, pool->layout.mdl), pool->layout.data_size, pool->data_backfill);
}
void nb_relocate_current(PNET_BUFFER nb);

/* retreat.c: releases the library's retreat MDLs still on an NB being freed */
void nb_release_retreat_mdls(PNET_BUFFER nb, const char *fn);

#endif /* NDISBUF_CORE_ELEMENT_H */
