/* SPDX-License-Identifier: MIT */
/*
 * The NBL fast paths, shared by the single calls (nbl.c) and the bulk calls
 * (bulk.c). Each serves only the common case and says so when it cannot;
 * the caller then takes the careful path, which decides, explains and
 * reports everything. Private to src/core.
 */
#ifndef NDISBUF_CORE_NBL_FAST_H
#define NDISBUF_CORE_NBL_FAST_H

#include "element.h"
#include "verify/verify.h"

/* nbl.c: a separate context block of `total` bytes for a request larger than the element's; NULL when none. */
PNET_BUFFER_LIST_CONTEXT nbl_context_block_alloc(struct elem_header *h, size_t total);

/*
 * Gives the NBL its allocation-time context: the used part is the last
 * `size` bytes of the block, with at least `backfill` unused bytes before it.
 */
static inline __attribute__((always_inline)) bool nbl_context_init(PNET_BUFFER_LIST nbl, struct elem_header *h,
                                                                    const struct nbl_shape *shape, USHORT size,
                                                                    USHORT backfill, bool fits)
{
    PNET_BUFFER_LIST_CONTEXT block;
    if (fits || NDISBUF_LIKELY((ULONG)size + backfill <= shape->context_size)) {
        if (!shape->context_size)
            return true; /* no context at all */
        block = elem_part(h, shape->context);
        block->Size = shape->context_size;
    } else if (!(block = nbl_context_block_alloc(h, (size_t)size + backfill))) {
        return false;
    }
    block->Next = NULL;
    block->Offset = (USHORT)(block->Size - size);
    nbl->Context = block; /* the base nbl_context_base gives from then on */
    return true;
}

/*
 * Lays a just-taken NBL element out as a fresh NBL: zeroed, naming its
 * pool, with its own NB (and MDL and data) when the pool has them, and the
 * allocation-time context. NULL only when a separate context block could
 * not be had (the element is then still the caller's to give back).
 */
static inline __attribute__((always_inline)) PNET_BUFFER_LIST nbl_lay_out(const struct nbl_shape *shape,
                                                                           struct elem_header *h, USHORT context_size,
                                                                           USHORT context_backfill, bool fits)
{
    struct nbuf_pool *pool = shape->pool;
    PNET_BUFFER_LIST nbl = (PNET_BUFFER_LIST)elem_start(h);
    /*
     * Only the NBL's first 40 bytes (the header follows them) and the NB's
     * first line: the rest is already as a fresh NBL has it (clean on free,
     * element.h).
     */
    elem_zero(nbl, ELEM_HEADER_OFFSET);
    nbl->NdisPoolHandle = pool;
    if (NDISBUF_UNLIKELY(!nbl_context_init(nbl, h, shape, context_size, context_backfill, fits)))
        return NULL;
    if (shape->nb) {
        PNET_BUFFER nb = elem_part(h, shape->nb);
        elem_zero(nb, ELEM_LINE);
        nb->NdisPoolHandle = pool;
        nbl->FirstNetBuffer = nb;
        if (shape->data_size)
            nb_attach_own_data_at(nb, elem_part(h, shape->mdl), shape->data_size, shape->data_backfill);
    }
    return nbl;
}

/* nbl_lay_out for any request (a context block is allocated when the element's is too small). */
static inline __attribute__((always_inline)) PNET_BUFFER_LIST nbl_setup(struct nbuf_pool *pool,
                                                                         struct elem_header *h, USHORT context_size,
                                                                         USHORT context_backfill)
{
    struct nbl_shape shape = nbl_shape_of(pool);
    return nbl_lay_out(&shape, h, context_size, context_backfill, false);
}

/* nbl_lay_out for a request known to fit the element's context block (the fast paths): cannot fail. */
static inline __attribute__((always_inline)) PNET_BUFFER_LIST nbl_setup_fitting(const struct nbl_shape *shape,
                                                                                 struct elem_header *h,
                                                                                 USHORT context_size,
                                                                                 USHORT context_backfill)
{
    return nbl_lay_out(shape, h, context_size, context_backfill, true);
}

/*
 * Whether an allocation may take the fast path: a live NBL pool, a context
 * request that is valid and fits the element's own block, and neither the
 * verifier nor fault injection on. Anything else goes the careful way,
 * which decides and explains every case.
 */
static inline bool nbl_fast_allowed(const struct nbuf_pool *pool, USHORT context_size, USHORT context_backfill)
{
    return NDISBUF_LIKELY(pool && !vf_careful() && __atomic_load_n(&pool->magic, __ATOMIC_RELAXED) == NBUF_POOL_MAGIC &&
                          pool->kind == NBUF_POOL_NBL && ((context_size | context_backfill) % sizeof(PVOID)) == 0 &&
                          (ULONG)context_size + context_backfill <= pool->layout.context_size);
}

/*
 * The checks of nbl_fast_freeable_as after the header's (elem_live_nbl_as),
 * for an NBL of the pool `shape` describes: still naming its pool, without
 * a separate context block (the header word said so), carrying exactly its
 * own NB with no retreat MDLs (or, in a pool without NBs, none), its
 * allocation-time context and no children.
 */
static inline __attribute__((always_inline)) bool nbl_shape_freeable(const struct nbl_shape *shape,
                                                                     PNET_BUFFER_LIST nbl, struct elem_header *h,
                                                                     uint8_t kind)
{
    /* nbl_context_base for what the checks let through: no separate block; a derived NBL has none. */
    void *context_base = !kind && shape->context_size ? elem_part(h, shape->context) : NULL;
    if (NDISBUF_UNLIKELY(nbl->NdisPoolHandle != shape->pool || nbl->Context != context_base ||
                         nbl->ChildRefCount != 0))
        return false;
    if (shape->nb) {
        PNET_BUFFER nb = elem_part(h, shape->nb);
        return NDISBUF_LIKELY(nbl->FirstNetBuffer == nb && !nb->Next && !nb_retreat_mdls_held(nb));
    }
    return NDISBUF_LIKELY(nbl->FirstNetBuffer == NULL);
}

/*
 * Whether a free call may take its fast path for nbl, which it frees as
 * derived `kind` (DERIVED_NONE for NdisFreeNetBufferList), the caller
 * having checked vf_careful: a live NBL of an NBL pool, of that kind, that
 * nbl_shape_freeable lets through. Its header (and its pool's shape in
 * *shape_out), or NULL: then the careful path decides and reports, the NBL
 * untouched.
 */
static inline __attribute__((always_inline)) struct elem_header *nbl_fast_freeable_as(PNET_BUFFER_LIST nbl,
                                                                                       uint8_t kind,
                                                                                       struct nbl_shape *shape_out)
{
    struct nbuf_pool *pool;
    struct elem_header *h = elem_live_nbl_as(nbl, kind, &pool);
    if (NDISBUF_UNLIKELY(!h))
        return NULL;
    *shape_out = nbl_shape_of(pool);
    return nbl_shape_freeable(shape_out, nbl, h, kind) ? h : NULL;
}

/* nbl_fast_freeable_as, after checking that the verifier and fault injection are off (vf_careful). */
static inline __attribute__((always_inline)) struct elem_header *nbl_fast_freeable(PNET_BUFFER_LIST nbl,
                                                                                    uint8_t kind,
                                                                                    struct nbl_shape *shape_out)
{
    if (NDISBUF_UNLIKELY(vf_careful()))
        return NULL;
    return nbl_fast_freeable_as(nbl, kind, shape_out);
}


#endif /* NDISBUF_CORE_NBL_FAST_H */
