/* SPDX-License-Identifier: MIT */
/*
 * Taking, returning and recognising pool elements.
 *
 * elem_classify() is how every free call learns what it was handed: it
 * never dereferences the pointer itself, only the private header of the
 * element the arena says contains it, so a stray pointer is refused rather
 * than followed. Under AddressSanitizer a free element's body is poisoned,
 * so a driver touching an NBL after freeing it is caught at that line.
 */
#include "element.h"

#include <string.h>

#include "config.h"
#include "verify/track.h"
#include "verify/verify.h"

const NET_BUFFER elem_no_nb;

static size_t elem_body_bytes(const struct nbuf_pool *pool)
{
    return pool->body_bytes;
}

void elem_init(void *element, void *user)
{
    struct nbuf_pool *pool = user;
    struct elem_header *header = elem_at(element);
    /* Structures zero (clean on free starts here); data bytes are left untouched. */
    memset(element, 0, pool->layout.data ? pool->layout.data : ELEM_BODY_OFFSET + pool->body_bytes);
    *header = (struct elem_header){.state = ELEM_FREE, .pool = pool};
    if (pool->layout.data_size)
        elem_data_mdl_rebuild(pool, header);
    elem_scrub_for_reuse(pool, header);
    elem_poison(pool, header);
}

struct elem_side *elem_side_of(const struct elem_header *header)
{
    struct pool *engine = header->pool->engine;
    return &header->pool->side[pool_element_index(engine, elem_start(header))];
}

void *elem_alloc_site(const struct elem_header *header)
{
    if (elem_has_ext(header))
        return elem_ext(header)->alloc_site;
    const struct elem_side *side = elem_side_of(header);
    return side->site_generation == header->generation ? side->alloc_site : NULL;
}

void elem_note_site(struct elem_header *header, void *alloc_site)
{
    if (elem_has_ext(header)) {
        elem_ext(header)->alloc_site = alloc_site;
        return;
    }
    struct elem_side *side = elem_side_of(header);
    side->alloc_site = alloc_site;
    side->site_generation = header->generation;
}

/*
 * In a stack every NBL comes back dirty (SourceHandle, Status, the
 * per-packet info, the reserved areas the layers used), so this is a run
 * of vector stores of constant size (elem_zero), built for the CPU's
 * widest like the hot calls, not three library calls.
 */
NDISBUF_HOT_PATH void elem_tails_scrub(const struct nbuf_pool *pool, struct elem_header *h)
{
    char *nbl = elem_part(h, pool->layout.nbl);
    elem_zero(nbl + ELEM_LINE, sizeof(NET_BUFFER_LIST) - ELEM_LINE);
    *(elem_v64 *)(nbl + ELEM_NBL_FRAME_LINE * ELEM_LINE) = pool->clean_frame_line;
    if (pool->layout.nb)
        elem_zero((char *)elem_part(h, pool->layout.nb) + ELEM_LINE, sizeof(NET_BUFFER) - ELEM_LINE);
}

void elem_data_mdl_rebuild(const struct nbuf_pool *pool, struct elem_header *h)
{
    PMDL mdl = elem_part(h, pool->layout.mdl);
    elem_data_mdl_init(mdl, elem_part(h, pool->layout.data), pool->layout.data_size);
    memcpy(elem_part(h, pool->layout.mdl_template), mdl, sizeof(*mdl));
}

enum obj_kind elem_classify(const void *addr, struct elem_header **header)
{
    struct pool *engine;
    struct elem_header *h = elem_at_or_null(pool_element_lookup(addr, &engine));
    if (!h)
        return OBJ_NONE;
    *header = h;
    const struct elem_layout *l = &h->pool->layout;
    size_t off = (size_t)((const char *)addr - elem_start(h));
    switch (h->pool->kind) {
    case NBUF_POOL_NBL:
        if (off == l->nbl)
            return OBJ_NBL;
        if (l->nb && off == l->nb)
            return OBJ_NB_IN_NBL;
        break;
    case NBUF_POOL_NB:
        if (off == l->nb)
            return OBJ_NB;
        break;
    case NBUF_POOL_MDL:
        if (off == l->mdl)
            return OBJ_MDL;
        return OBJ_INTERIOR;
    }
    if (l->mdl && off == l->mdl)
        return OBJ_MDL_IN_ELEMENT;
    return OBJ_INTERIOR;
}

const char *elem_kind_name(enum obj_kind kind)
{
    switch (kind) {
    case OBJ_NONE:
        return "a pointer no ndisbuf pool gave out";
    case OBJ_INTERIOR:
        return "a pointer into the middle of a pool element";
    case OBJ_NBL:
        return "a NET_BUFFER_LIST";
    case OBJ_NB_IN_NBL:
        return "the NET_BUFFER that came with a NET_BUFFER_LIST";
    case OBJ_NB:
        return "a NET_BUFFER from a NET_BUFFER pool";
    case OBJ_MDL_IN_ELEMENT:
        return "the MDL that came with a pool element's data";
    case OBJ_MDL:
        return "an MDL from NdisAllocateMdl/IoAllocateMdl";
    }
    return "unknown";
}

void *elem_take(struct nbuf_pool *pool, void *alloc_site)
{
    void *start = pool_alloc_cached(pool->engine);
    if (NDISBUF_UNLIKELY(!start) && !(start = pool_alloc(pool->engine)))
        return NULL;
    struct elem_header *header = elem_at(start);
    elem_mark_live(pool, header, alloc_site);
    if (pool->kind == NBUF_POOL_NBL)
        elem_note_site(header, alloc_site);
    return header;
}

void elem_take_failed(const struct nbuf_pool *pool, const char *fn)
{
    if (pool_full(pool->engine))
        vf_diagnostic(fn, "the pool is full: all %llu elements its address reservation holds are allocated",
                      (unsigned long long)pool_reserved_elements(pool->engine));
    else
        vf_diagnostic(fn, "out of memory: the pool could not grow");
}

void elem_give_back(struct elem_header *header)
{
    struct nbuf_pool *pool = header->pool;
    __atomic_store_n(&header->state, ELEM_FREE, __ATOMIC_RELAXED);
    if (NDISBUF_UNLIKELY(vf_level() >= 2) && pool->kind <= NBUF_POOL_MDL && vf_quarantine_take(header))
        return;
    elem_scrub_for_reuse(pool, header);
    elem_push_free(pool, header);
}

NDISBUF_HOT_PATH void nbl_elem_restore(struct nbuf_pool *pool, struct elem_header *header)
{
    elem_tails_scrub(pool, header);
    elem_data_mdl_restore(pool, header);
}

NDISBUF_HOT_PATH void nbl_elem_release_dirty(struct nbuf_pool *pool, struct elem_header *header)
{
    __atomic_store_n(&header->state, ELEM_FREE, __ATOMIC_RELAXED);
    nbl_elem_restore(pool, header);
    elem_push_free(pool, header);
}

void elem_release_quarantined(struct elem_header *header)
{
    struct nbuf_pool *pool = header->pool;
    NDISBUF_UNPOISON(header + 1, elem_body_bytes(pool)); /* the quarantine may have ASan-poisoned it */
    if (pool->kind == NBUF_POOL_NBL)
        NDISBUF_UNPOISON(elem_start(header), ELEM_HEADER_OFFSET);
    if (pool->layout.data_size) /* the poison may have filled the MDL and its copy alike */
        elem_data_mdl_rebuild(pool, header);
    elem_scrub_for_reuse(pool, header);
    elem_poison(pool, header);
    pool_free(pool->engine, elem_start(header));
}

size_t elem_body_size(const struct elem_header *header)
{
    return elem_body_bytes(header->pool);
}

void elem_data_mdl_init(PMDL mdl, void *data, ULONG length)
{
    MmInitializeMdl(mdl, data, length);
    MmBuildMdlForNonPagedPool(mdl);
}

struct elem_header *elem_checked(const void *obj, enum obj_kind want, const char *what, const char *fn)
{
    ULONG_PTR params[4] = {(ULONG_PTR)obj, 0, 0, 0};
    struct elem_header *h = NULL;
    enum obj_kind kind = obj ? elem_classify(obj, &h) : OBJ_NONE;
    if (!obj) {
        vf_report(NDISBUF_REPORT_NULL_OBJECT, fn, obj, params, "the %s is NULL", what);
        return NULL;
    }
    if (kind == OBJ_NONE || kind == OBJ_INTERIOR) {
        vf_report(NDISBUF_REPORT_FOREIGN_POINTER, fn, obj, params, "%p is %s, not a %s from ndisbuf", obj,
                  elem_kind_name(kind), what);
        return NULL;
    }
    if (kind != want) {
        params[1] = (ULONG_PTR)kind;
        if (kind == OBJ_NB_IN_NBL)
            vf_report(NDISBUF_REPORT_WRONG_FREE_CALL, fn, obj, params,
                      "%p is %s; %s does not free it (%s frees it with its NBL)", obj, elem_kind_name(kind), fn,
                      nbl_free_call_name(h->derived));
        else
            vf_report(NDISBUF_REPORT_WRONG_FREE_CALL, fn, obj, params, "%p is %s; %s does not free it%s", obj,
                      elem_kind_name(kind), fn,
                      kind == OBJ_MDL_IN_ELEMENT ? " (it is freed with the element that holds its data)" : "");
        return NULL;
    }
    if (h->state != ELEM_LIVE) {
        params[1] = h->state;
        params[2] = h->generation;
        vf_report(NDISBUF_REPORT_DOUBLE_FREE, fn, obj, params,
                  "%s %p was already freed (allocation #%u of its element)", what, obj, h->generation);
        return NULL;
    }
    return h;
}

bool elem_pool_matches(struct elem_header *h, const void *obj, NDIS_HANDLE claimed, const char *what,
                       const char *fn)
{
    if (NDISBUF_LIKELY(claimed == h->pool))
        return true;
    ULONG_PTR params[4] = {(ULONG_PTR)obj, (ULONG_PTR)claimed, (ULONG_PTR)h->pool, 0};
    vf_report(NDISBUF_REPORT_WRONG_POOL, fn, obj, params, "%s %p says NdisPoolHandle %p but was allocated from pool %p",
              what, obj, claimed, (void *)h->pool);
    return false;
}
