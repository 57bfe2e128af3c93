/* SPDX-License-Identifier: MIT */
/*
 * Derived NBLs: clones, fragments and reassembled NBLs, and their frees.
 *
 * Every derivation follows the same steps: take the child NBL (marked in
 * its element header with what it is and the DataOffsetDelta it got), take
 * one NB per piece (the NBL's own NB first when its pool has one; the
 * others marked as held by this child), describe each piece with MDLs
 * built over the parent's memory (flagged as the child's, so only those
 * are freed), then retreat for the new header. Any failure releases what
 * was built, through the same routine the free calls use, and the parent
 * is never written.
 *
 * A derived NB keeps the head of the MDL chain built for it in
 * NdisReserved[1] (NdisReserved[0] counts its retreat MDLs, retreat.c).
 */
#include "config.h"
#include "cursor.h"
#include "element.h"
#include "nbl_fast.h"
#include "verify/track.h"
#include "verify/verify.h"

/* NdisReserved[1] of a derived NB: the first MDL the library built for it. */
static inline PMDL *derived_chain_head(PNET_BUFFER nb)
{
    return (PMDL *)&nb->NdisReserved[1];
}

/* A child NBL being built. */
struct derive {
    PNET_BUFFER_LIST nbl;
    struct elem_header *header;
    struct nbuf_pool *nb_pool; /* where NBs after the NBL's own come from */
    PNET_BUFFER spare;         /* the NBL's own NB, until it is used */
    PNET_BUFFER *tail;         /* where the next NB is linked */
    void *site;
    const char *fn;
};

/* ---------------------------------------------------------------- pools */

static struct nbuf_pool *internal_pool(enum nbuf_pool_kind kind, const char *fn)
{
    struct nbuf_pool *pool = pools_internal(kind);
    if (!pool)
        vf_diagnostic(fn, "out of memory for the library's internal pools");
    return pool;
}

/* The NBL pool a child comes from: the internal one for NULL. */
static struct nbuf_pool *derive_nbl_pool(NDIS_HANDLE handle, const char *argument, bool need_nb, const char *fn)
{
    if (!handle)
        return internal_pool(NBUF_POOL_NBL, fn);
    struct nbuf_pool *pool = pools_checked_argument(handle, NBUF_POOL_NBL, fn, argument);
    if (!pool)
        return NULL;
    if (pool->layout.data_size) {
        vf_diagnostic(fn, "%s %p has DataSize %u; a derived NBL describes its parent's data, so its pool "
                          "needs DataSize 0", argument, handle, pool->layout.data_size);
        return NULL;
    }
    if (need_nb && !pool->allocate_nb) {
        vf_diagnostic(fn, "%s %p was created with fAllocateNetBuffer FALSE; this call needs a pool whose "
                          "NBLs come with their NET_BUFFER", argument, handle);
        return NULL;
    }
    return pool;
}

/* The NB pool a child's further NBs come from: the internal one for NULL. */
static struct nbuf_pool *derive_nb_pool(NDIS_HANDLE handle, const char *fn)
{
    if (!handle)
        return internal_pool(NBUF_POOL_NB, fn);
    struct nbuf_pool *pool = pools_checked_argument(handle, NBUF_POOL_NB, fn, "NetBufferPoolHandle");
    if (pool && pool->layout.data_size) {
        vf_diagnostic(fn, "NetBufferPoolHandle %p has DataSize %u; a derived NB describes its parent's data, "
                          "so its pool needs DataSize 0", handle, pool->layout.data_size);
        return NULL;
    }
    return pool;
}

/* ------------------------------------------------------------- building */

/* Whether an NBL may be derived from: not NULL, not freed, not another object. */
static bool parent_usable(PNET_BUFFER_LIST parent, const char *argument, const char *fn)
{
    if (!parent) {
        vf_diagnostic(fn, "%s is NULL", argument);
        return false;
    }
    struct elem_header *h = NULL;
    enum obj_kind kind = elem_classify(parent, &h);
    if (kind == OBJ_NBL && h->state != ELEM_LIVE) {
        vf_diagnostic(fn, "NET_BUFFER_LIST %p was freed; nothing can be derived from it", (void *)parent);
        return false;
    }
    if (kind != OBJ_NBL && kind != OBJ_NONE) {
        vf_diagnostic(fn, "%p is %s, not a NET_BUFFER_LIST", (void *)parent, elem_kind_name(kind));
        return false;
    }
    return true;
}

static bool derive_begin(struct derive *d, struct nbuf_pool *nbl_pool, PNET_BUFFER_LIST parent,
                         enum derive_kind kind, ULONG delta)
{
    PNET_BUFFER_LIST nbl = nbl_take(nbl_pool, 0, 0, d->site, d->fn);
    if (!nbl)
        return false;
    d->nbl = nbl;
    d->header = elem_of(nbl, nbl_pool->layout.nbl);
    d->header->derived = (uint8_t)kind;
    d->header->derived_delta = delta;
    nbl->Context = NULL; /* a child has no context, whatever its pool gives (nbl_context_base agrees) */
    d->spare = nbl->FirstNetBuffer;
    nbl->FirstNetBuffer = NULL;
    d->tail = &nbl->FirstNetBuffer;
    nbl->ParentNetBufferList = parent;
    if (vf_level() >= 1)
        vf_nbl_child_added(parent);
    return true;
}

/*
 * Links the child's next NB (its own first, then from the NB pool); NULL
 * when memory runs out, or past the 65,535 NBs one derived NBL can carry
 * (its count is 16 bits of the header).
 */
static PNET_BUFFER derive_next_nb(struct derive *d)
{
    if (NDISBUF_UNLIKELY(d->header->derived_nbs == UINT16_MAX)) {
        vf_diagnostic(d->fn, "a derived NET_BUFFER_LIST carries at most %u NET_BUFFERs", UINT16_MAX);
        return NULL;
    }
    PNET_BUFFER nb = d->spare;
    if (nb) {
        d->spare = NULL;
    } else {
        nb = nb_take(d->nb_pool, d->site, d->fn);
        if (!nb)
            return NULL;
        struct elem_header *nh = elem_of(nb, d->nb_pool->layout.nb);
        nh->derived = d->header->derived;
        elem_ext(nh)->derived_nbl = d->nbl;
    }
    *d->tail = nb;
    d->tail = &nb->Next;
    d->header->derived_nbs++;
    return nb;
}

/*
 * Appends at **tail MDLs describing `length` bytes from the cursor (one per
 * source MDL touched; zero-length ones are not reproduced) and moves the
 * cursor past them. False when the source chain ends first (diagnostic) or
 * memory runs out; what was built stays linked for the caller to release.
 */
static bool derive_describe(struct derive *d, PNET_BUFFER owner, struct mdl_cursor *c, ULONG64 length,
                            PMDL **tail)
{
    while (length) {
        cursor_settle(c);
        if (!c->mdl) {
            vf_diagnostic(d->fn, "a NET_BUFFER's MDL chain is short of its DataLength: it ends with %llu "
                                 "byte(s) of a piece still to describe", (unsigned long long)length);
            return false;
        }
        ULONG step = cursor_span(c) < length ? cursor_span(c) : (ULONG)length;
        PMDL mdl = mdl_derived_alloc(c->mdl, c->offset, step, owner, d->site, d->fn);
        if (!mdl)
            return false;
        **tail = mdl;
        *tail = &mdl->Next;
        c->offset += step;
        length -= step;
    }
    return true;
}

/* Points a child NB at the chain built for it (DataOffset 0). */
static void derive_attach(PNET_BUFFER nb, PMDL head, ULONG length)
{
    *derived_chain_head(nb) = head;
    nb_attach_chain(nb, head, 0, length);
}

/* A cursor `skip` bytes after an NB's data start; false (diagnostic) when its DataLength is shorter. */
static bool cursor_after(const NET_BUFFER *nb, ULONG skip, struct mdl_cursor *c, const char *fn)
{
    if (nb->DataLength < skip) {
        vf_diagnostic(fn, "StartOffset %u is beyond NET_BUFFER %p's DataLength %u", skip, (const void *)nb,
                      nb->DataLength);
        return false;
    }
    *c = cursor_at_data(nb);
    if (cursor_seek(c, skip) < skip) {
        vf_diagnostic(fn, "NET_BUFFER %p's MDL chain ends before its DataLength", (const void *)nb);
        return false;
    }
    return true;
}

/* Room for a new header in front of a child NB: a new MDL, as fragments and reassemblies need. */
static bool derive_header_room(struct derive *d, PNET_BUFFER nb, ULONG delta, ULONG backfill)
{
    if (!delta || NdisRetreatNetBufferDataStart(nb, delta, backfill, NULL) == NDIS_STATUS_SUCCESS)
        return true;
    vf_diagnostic(d->fn, "could not give a NET_BUFFER %u bytes of header room (+%u back-fill)", delta, backfill);
    return false;
}

/* --------------------------------------------------------------- release */

/*
 * Frees a child NBL and everything the library put on it: MDLs a library
 * retreat left at the front of its NBs, the MDLs built for it, its NBs.
 * Used by the free calls after their checks, and to undo a failed build.
 */
static void derive_release(PNET_BUFFER_LIST nbl, struct elem_header *h, const char *fn)
{
    PNET_BUFFER own = h->pool->layout.nb ? elem_part(h, h->pool->layout.nb) : NULL;
    PNET_BUFFER nb = nbl->FirstNetBuffer;
    if (vf_level() >= 1 && nbl->ParentNetBufferList)
        vf_nbl_child_removed(nbl->ParentNetBufferList);
    while (nb) {
        PNET_BUFFER next = nb->Next;
        nb_release_retreat_mdls(nb, fn);
        mdl_derived_free_chain(*derived_chain_head(nb), nb);
        struct elem_header *nh;
        if (nb != own && elem_classify(nb, &nh) == OBJ_NB)
            elem_give_back(nh);
        nb = next;
    }
    elem_give_back(h);
}

static PNET_BUFFER_LIST derive_fail(struct derive *d)
{
    if (d->nbl)
        derive_release(d->nbl, d->header, d->fn);
    return NULL;
}

/* ----------------------------------------------------------------- clone */

static bool clone_nb(struct derive *d, PNET_BUFFER nb, PNET_BUFFER src, bool original_mdls)
{
    if (original_mdls) {
        if (!nb_chain_fits(src->CurrentMdl, src->CurrentMdlOffset, src->DataLength, d->fn))
            return false;
        nb->MdlChain = nb->CurrentMdl = src->CurrentMdl;
        nb->DataOffset = nb->CurrentMdlOffset = src->CurrentMdlOffset;
        nb->stDataLength = src->DataLength;
        return true;
    }
    struct mdl_cursor c = cursor_at_data(src);
    PMDL head = NULL, *tail = &head;
    bool ok = derive_describe(d, nb, &c, src->DataLength, &tail);
    derive_attach(nb, head, ok ? src->DataLength : 0);
    return ok;
}

/*
 * The fast clone: a live parent of one NB whose data lies in one MDL, a
 * clone pool that gives NBLs with their NB and no data, verifier and fault
 * injection off, elements in this thread's magazines. The child is what the
 * careful path would build; NULL means "take the careful path".
 */
static inline __attribute__((always_inline)) PNET_BUFFER_LIST clone_fast(PNET_BUFFER_LIST parent, struct nbuf_pool *pool, ULONG flags, void *site)
{
    if (!nbl_fast_allowed(pool, 0, 0) || !pool->allocate_nb || pool->layout.data_size || flags > NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS ||
        !elem_live_nbl(parent))
        return NULL;
    PNET_BUFFER src = parent->FirstNetBuffer;
    if (!src || src->Next || !src->CurrentMdl || !src->DataLength ||
        (ULONG64)src->CurrentMdlOffset + src->DataLength > src->CurrentMdl->ByteCount ||
        (flags && src->CurrentMdl->Next))
        return NULL;
    struct nbuf_pool *mdl_pool = flags ? NULL : pools_mdl_pool();
    struct elem_header *mh = NULL, *h;
    if (!flags && (!mdl_pool || !(mh = elem_take_cached(mdl_pool, site))))
        return NULL;
    if (!(h = nbl_elem_take_cached(pool))) {
        if (mh)
            elem_give_back(mh); /* out of line: this rare way back keeps the fast path's frame small */
        return NULL;
    }
    struct nbl_shape shape = nbl_shape_of(pool);
    PNET_BUFFER_LIST nbl = nbl_setup_fitting(&shape, h, 0, 0);
    /* Derived, with one NB: the header's first word whole (elem_header says why one store). */
    __atomic_store_n(&h->word, ELEM_WORD_LIVE_AS(flags ? DERIVED_CLONE_ORIGINAL_MDLS : DERIVED_CLONE) | 1ull << 48,
                     __ATOMIC_RELAXED);
    h->derived_delta = 0;
    nbl->Context = NULL; /* a child has no context, whatever its pool gives */
    nbl->ParentNetBufferList = parent;
    PNET_BUFFER nb = nbl->FirstNetBuffer;
    if (flags) {
        nb->MdlChain = nb->CurrentMdl = src->CurrentMdl;
        nb->DataOffset = nb->CurrentMdlOffset = src->CurrentMdlOffset;
    } else {
        PMDL mdl = mdl_derived_init(mh, src->CurrentMdl, src->CurrentMdlOffset, src->DataLength, nb);
        *derived_chain_head(nb) = nb->MdlChain = nb->CurrentMdl = mdl;
    }
    nb->DataLength = src->DataLength;
    return nbl;
}

/*
 * NdisAllocateCloneNetBufferList's careful way (out of line, so that the
 * fast path needs no stack frame): every check explained.
 */
static __attribute__((noinline)) PNET_BUFFER_LIST clone_careful(PNET_BUFFER_LIST OriginalNetBufferList,
                                                               NDIS_HANDLE NetBufferListPoolHandle,
                                                               NDIS_HANDLE NetBufferPoolHandle,
                                                               ULONG AllocateCloneFlags, void *site)
{
    struct derive d = {.site = site, .fn = "NdisAllocateCloneNetBufferList"};
    if (!parent_usable(OriginalNetBufferList, "OriginalNetBufferList", d.fn))
        return NULL;
    if (AllocateCloneFlags & ~(ULONG)NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS) {
        vf_diagnostic(d.fn, "AllocateCloneFlags 0x%X: only NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS (0x%X) may be set "
                            "(NDIS_CLONE_FLAGS_RESERVED is NDIS's)", AllocateCloneFlags,
                      NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS);
        return NULL;
    }
    bool original_mdls = AllocateCloneFlags & NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS;
    struct nbuf_pool *nbl_pool = derive_nbl_pool(NetBufferListPoolHandle, "NetBufferListPoolHandle", false, d.fn);
    if (!nbl_pool || !(d.nb_pool = derive_nb_pool(NetBufferPoolHandle, d.fn)))
        return NULL;
    if (!derive_begin(&d, nbl_pool, OriginalNetBufferList,
                      original_mdls ? DERIVED_CLONE_ORIGINAL_MDLS : DERIVED_CLONE, 0))
        return NULL;
    for (PNET_BUFFER src = OriginalNetBufferList->FirstNetBuffer; src; src = src->Next) {
        PNET_BUFFER nb = derive_next_nb(&d);
        if (!nb || !clone_nb(&d, nb, src, original_mdls))
            return derive_fail(&d);
    }
    return d.nbl;
}

NDISBUF_HOT_PATH PNET_BUFFER_LIST NdisAllocateCloneNetBufferList(PNET_BUFFER_LIST OriginalNetBufferList,
                                                                 NDIS_HANDLE NetBufferListPoolHandle,
                                                                 NDIS_HANDLE NetBufferPoolHandle, ULONG AllocateCloneFlags)
{
    PNET_BUFFER_LIST fast = clone_fast(OriginalNetBufferList, NetBufferListPoolHandle, AllocateCloneFlags,
                                       __builtin_return_address(0));
    if (NDISBUF_LIKELY(fast != NULL))
        return fast;
    return clone_careful(OriginalNetBufferList, NetBufferListPoolHandle, NetBufferPoolHandle, AllocateCloneFlags,
                         __builtin_return_address(0));
}

/* -------------------------------------------------------------- fragment */

/* Cuts one original NB, after `skip` bytes, into fragments; counts them in *made. */
static bool fragment_nb(struct derive *d, PNET_BUFFER src, ULONG skip, ULONG max, ULONG delta, ULONG backfill,
                        ULONG *made)
{
    struct mdl_cursor c;
    if (!cursor_after(src, skip, &c, d->fn))
        return false;
    for (ULONG left = src->DataLength - skip; left;) {
        ULONG piece = left < max ? left : max;
        PNET_BUFFER nb = derive_next_nb(d);
        if (!nb)
            return false;
        PMDL head = NULL, *tail = &head;
        bool ok = derive_describe(d, nb, &c, piece, &tail);
        derive_attach(nb, head, ok ? piece : 0);
        if (!ok || !derive_header_room(d, nb, delta, backfill))
            return false;
        left -= piece;
        (*made)++;
    }
    return true;
}

PNET_BUFFER_LIST NdisAllocateFragmentNetBufferList(PNET_BUFFER_LIST OriginalNetBufferList,
                                                   NDIS_HANDLE NetBufferListPool, NDIS_HANDLE NetBufferPool,
                                                   ULONG StartOffset, ULONG MaximumLength, ULONG DataOffsetDelta,
                                                   ULONG DataBackFill, ULONG AllocateFragmentFlags)
{
    struct derive d = {.site = __builtin_return_address(0), .fn = "NdisAllocateFragmentNetBufferList"};
    if (!parent_usable(OriginalNetBufferList, "OriginalNetBufferList", d.fn))
        return NULL;
    if (AllocateFragmentFlags) {
        vf_diagnostic(d.fn, "AllocateFragmentFlags is 0x%X; no flags are defined, it must be 0",
                      AllocateFragmentFlags);
        return NULL;
    }
    if (!MaximumLength) {
        vf_diagnostic(d.fn, "MaximumLength is 0; a fragment holds at least one byte");
        return NULL;
    }
    struct nbuf_pool *nbl_pool = derive_nbl_pool(NetBufferListPool, "NetBufferListPool", false, d.fn);
    if (!nbl_pool || !(d.nb_pool = derive_nb_pool(NetBufferPool, d.fn)))
        return NULL;
    if (!derive_begin(&d, nbl_pool, OriginalNetBufferList, DERIVED_FRAGMENT, DataOffsetDelta))
        return NULL;
    ULONG made = 0;
    for (PNET_BUFFER src = OriginalNetBufferList->FirstNetBuffer; src; src = src->Next)
        if (!fragment_nb(&d, src, StartOffset, MaximumLength, DataOffsetDelta, DataBackFill, &made))
            return derive_fail(&d);
    if (!made) {
        vf_diagnostic(d.fn, "nothing to fragment: no NET_BUFFER of %p has data after StartOffset %u",
                      (void *)OriginalNetBufferList, StartOffset);
        return derive_fail(&d);
    }
    return d.nbl;
}

/* ------------------------------------------------------------ reassembly */

PNET_BUFFER_LIST NdisAllocateReassembledNetBufferList(PNET_BUFFER_LIST FragmentNetBufferList,
                                                      NDIS_HANDLE NetBufferAndNetBufferListPoolHandle,
                                                      ULONG StartOffset, ULONG DataOffsetDelta, ULONG DataBackFill,
                                                      ULONG AllocateReassembleFlags)
{
    struct derive d = {.site = __builtin_return_address(0), .fn = "NdisAllocateReassembledNetBufferList"};
    if (!parent_usable(FragmentNetBufferList, "FragmentNetBufferList", d.fn))
        return NULL;
    if (AllocateReassembleFlags) {
        vf_diagnostic(d.fn, "AllocateReassembleFlags is 0x%X; no flags are defined, it must be 0",
                      AllocateReassembleFlags);
        return NULL;
    }
    struct nbuf_pool *nbl_pool =
        derive_nbl_pool(NetBufferAndNetBufferListPoolHandle, "NetBufferAndNetBufferListPoolHandle", true, d.fn);
    if (!nbl_pool || !derive_begin(&d, nbl_pool, FragmentNetBufferList, DERIVED_REASSEMBLED, DataOffsetDelta))
        return NULL;
    PNET_BUFFER nb = derive_next_nb(&d);
    PMDL head = NULL, *tail = &head;
    ULONG64 total = 0;
    bool ok = true;
    for (PNET_BUFFER src = FragmentNetBufferList->FirstNetBuffer; src && ok; src = src->Next) {
        struct mdl_cursor c;
        ok = cursor_after(src, StartOffset, &c, d.fn);
        ULONG piece = ok ? src->DataLength - StartOffset : 0;
        if (ok && total + piece > 0xFFFFFFFFu) {
            vf_diagnostic(d.fn, "the reassembled data would exceed a NET_BUFFER's 4 GiB DataLength");
            ok = false;
        }
        ok = ok && derive_describe(&d, nb, &c, piece, &tail);
        total += piece;
    }
    derive_attach(nb, head, ok ? (ULONG)total : 0);
    if (!ok || !derive_header_room(&d, nb, DataOffsetDelta, DataBackFill))
        return derive_fail(&d);
    return d.nbl;
}

/* ------------------------------------------------------------------ free */

/* Clones of both kinds share one free call. */
static enum derive_kind derive_family(uint8_t kind)
{
    return kind == DERIVED_CLONE_ORIGINAL_MDLS ? DERIVED_CLONE : (enum derive_kind)kind;
}

static const char *derive_kind_name(uint8_t kind)
{
    switch (kind) {
    case DERIVED_CLONE:
        return "a clone (with its own MDLs)";
    case DERIVED_CLONE_ORIGINAL_MDLS:
        return "a clone over its parent's MDLs";
    case DERIVED_FRAGMENT:
        return "a fragment NBL";
    case DERIVED_REASSEMBLED:
        return "a reassembled NBL";
    }
    return "not a derived NBL";
}

/* The header of a live NBL of the family `fn` frees, or NULL after a report. */
static struct elem_header *derived_checked(PNET_BUFFER_LIST nbl, enum derive_kind family, const char *fn)
{
    struct elem_header *h = elem_checked(nbl, OBJ_NBL, "NET_BUFFER_LIST", fn);
    if (!h || !elem_pool_matches(h, nbl, nbl->NdisPoolHandle, "NET_BUFFER_LIST", fn))
        return NULL;
    if (derive_family(h->derived) != family) {
        ULONG_PTR params[4] = {(ULONG_PTR)nbl, h->derived, family, 0};
        vf_report(NDISBUF_REPORT_WRONG_FREE_CALL, fn, nbl, params, "NET_BUFFER_LIST %p is %s; %s frees it",
                  (void *)nbl, derive_kind_name(h->derived), nbl_free_call_name(h->derived));
        return NULL;
    }
    return h;
}

static bool free_arguments_match(PNET_BUFFER_LIST nbl, struct elem_header *h, ULONG flags, ULONG want_flags,
                                 ULONG delta, const char *fn)
{
    if (flags == want_flags && delta == h->derived_delta)
        return true;
    ULONG_PTR params[4] = {(ULONG_PTR)nbl, flags, want_flags, delta};
    if (flags != want_flags)
        vf_report(NDISBUF_REPORT_DERIVED_FREE_MISMATCH, fn, nbl, params,
                  "NET_BUFFER_LIST %p is %s, allocated with flags 0x%X; it is freed with flags 0x%X", (void *)nbl,
                  derive_kind_name(h->derived), want_flags, flags);
    else
        vf_report(NDISBUF_REPORT_DERIVED_FREE_MISMATCH, fn, nbl, params,
                  "NET_BUFFER_LIST %p is %s made with DataOffsetDelta %u; it is freed with DataOffsetDelta %u",
                  (void *)nbl, derive_kind_name(h->derived), h->derived_delta, delta);
    return false;
}

static __attribute__((noinline)) void derived_free(PNET_BUFFER_LIST nbl, enum derive_kind family, ULONG flags,
                                                  ULONG delta, const char *fn)
{
    struct elem_header *h = derived_checked(nbl, family, fn);
    if (!h)
        return;
    ULONG want_flags = h->derived == DERIVED_CLONE_ORIGINAL_MDLS ? NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS : 0;
    if (!free_arguments_match(nbl, h, flags, want_flags, delta, fn) || !nbl_free_allowed(nbl, h, fn))
        return;
    derive_release(nbl, h, fn);
}

/*
 * The fast free of what clone_fast builds (one NB, its one built MDL or the
 * parent's, nothing added by the driver); false when anything differs, for
 * the careful path to decide and report.
 */
static inline __attribute__((always_inline)) bool clone_free_fast(PNET_BUFFER_LIST nbl, ULONG flags)
{
    if (flags & ~(ULONG)NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS)
        return false;
    struct nbl_shape shape;
    struct elem_header *h = nbl_fast_freeable(nbl, flags ? DERIVED_CLONE_ORIGINAL_MDLS : DERIVED_CLONE, &shape);
    if (!h || !shape.nb || h->derived_nbs != 1)
        return false;
    PNET_BUFFER nb = nbl->FirstNetBuffer;
    PMDL head = *derived_chain_head(nb);
    if (head && !mdl_derived_release_single(head, nb))
        return false;
    *derived_chain_head(nb) = NULL; /* the library's own note: cleared here, so the release finds the NB clean */
    nbl_elem_release(&shape, h);
    return true;
}

NDISBUF_HOT_PATH VOID NdisFreeCloneNetBufferList(PNET_BUFFER_LIST CloneNetBufferList, ULONG FreeCloneFlags)
{
    if (NDISBUF_LIKELY(clone_free_fast(CloneNetBufferList, FreeCloneFlags)))
        return;
    derived_free(CloneNetBufferList, DERIVED_CLONE, FreeCloneFlags, 0, "NdisFreeCloneNetBufferList");
}

VOID NdisFreeFragmentNetBufferList(PNET_BUFFER_LIST FragmentNetBufferList, ULONG DataOffsetDelta,
                                   ULONG FreeFragmentFlags)
{
    derived_free(FragmentNetBufferList, DERIVED_FRAGMENT, FreeFragmentFlags, DataOffsetDelta,
                 "NdisFreeFragmentNetBufferList");
}

VOID NdisFreeReassembledNetBufferList(PNET_BUFFER_LIST ReassembledNetBufferList, ULONG DataOffsetDelta,
                                      ULONG FreeReassembleFlags)
{
    derived_free(ReassembledNetBufferList, DERIVED_REASSEMBLED, FreeReassembleFlags, DataOffsetDelta,
                 "NdisFreeReassembledNetBufferList");
}
