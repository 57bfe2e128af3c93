/* SPDX-License-Identifier: MIT */
/*
 * Retreat and advance: moving a NET_BUFFER's data start through its
 * back-fill.
 *
 * Retreat within the back-fill only moves DataOffset back. Beyond it, a new
 * MDL goes in front of the chain (ndisbuf decision: sized for the missing
 * bytes plus DataBackFill, the used data starting DataBackFill bytes into
 * it), and the bytes of back-fill the NB still had become used data, so the
 * packet stays logically contiguous. A retreat puts its MDL at the front of
 * the chain, but the driver may link MDLs of its own in front of it later;
 * the NB keeps the count of its retreat MDLs in NdisReserved[0] (reserved
 * for NDIS: that is us). The library's own retreat MDLs are known by their
 * private header (owner = the NB) wherever they sit; an AllocateMdlHandler's
 * carry no mark and are known only by their place at the very front while
 * the count says some are on the chain. Advance with FreeMdl frees nothing
 * else, so never an MDL the driver built.
 */
#include <stdlib.h>

#include "config.h"
#include "cursor.h"
#include "element.h"
#include "verify/fault.h"
#include "verify/verify.h"

/* What an NBL-level retreat needs to put one NB back exactly as it was. */
struct retreat_undo {
    PMDL chain, current, allocated;
    ULONG current_offset, data_offset;
    SIZE_T data_length;
    ULONG_PTR retreat_mdls;
};

static void undo_record(struct retreat_undo *u, const NET_BUFFER *nb)
{
    *u = (struct retreat_undo){nb->MdlChain, nb->CurrentMdl, NULL, nb->CurrentMdlOffset,
                               nb->DataOffset, nb->stDataLength, (ULONG_PTR)nb->NdisReserved[0]};
}

/* Frees a retreat MDL of nb: the library's own back to it, a handler's through free_handler. */
static void retreat_mdl_free(PNET_BUFFER nb, PMDL mdl, NET_BUFFER_FREE_MDL_HANDLER free_handler)
{
    if (mdl_is_retreat_buffer_of(mdl, nb))
        mdl_retreat_free(mdl);
    else
        free_handler(mdl);
}

/*
 * A new front MDL for a retreat: *bytes asked (missing + DataBackFill),
 * becoming what it really holds. A handler's MDL smaller than asked is still
 * used when it holds the missing bytes (with less back-fill); one that does
 * not cannot be used, nor freed without a FreeMdlHandler. Fault injection
 * (NDISBUF_FAULT_RETREAT) fails it before the handler is called.
 */
static PMDL retreat_mdl_alloc(PNET_BUFFER nb, ULONG *bytes, ULONG missing,
                              NET_BUFFER_ALLOCATE_MDL_HANDLER alloc_handler, const char *fn)
{
    if (vf_fault_fail(NDISBUF_FAULT_RETREAT)) {
        vf_fault_diagnostic(fn);
        return NULL;
    }
    if (!alloc_handler)
        return mdl_retreat_alloc(*bytes, nb);
    PMDL mdl = alloc_handler(bytes);
    if (mdl && *bytes < missing) {
        vf_diagnostic(fn, "AllocateMdlHandler gave MDL %p of %u bytes where %u are missing; "
                          "it cannot be used and, with no FreeMdlHandler here, is left to its owner",
                      (void *)mdl, *bytes, missing);
        return NULL;
    }
    return mdl;
}

static NDIS_STATUS nb_retreat(PNET_BUFFER nb, ULONG delta, ULONG backfill, NET_BUFFER_ALLOCATE_MDL_HANDLER alloc,
                              struct retreat_undo *undo, const char *fn)
{
    if (!nb) {
        vf_diagnostic(fn, "NetBuffer is NULL");
        return NDIS_STATUS_FAILURE;
    }
    if ((ULONG64)nb->DataLength + delta > 0xFFFFFFFFu || (!nb->MdlChain && (nb->DataOffset || nb->DataLength))) {
        vf_diagnostic(fn, "cannot retreat %u bytes: DataLength %u, DataOffset %u, MdlChain %p", delta,
                      nb->DataLength, nb->DataOffset, (void *)nb->MdlChain);
        return NDIS_STATUS_FAILURE;
    }
    if (undo)
        undo_record(undo, nb);
    if (nb->DataOffset >= delta) {
        nb->DataOffset -= delta;
        nb->stDataLength = (SIZE_T)nb->DataLength + delta;
        nb_relocate_current(nb);
        return NDIS_STATUS_SUCCESS;
    }
    ULONG missing = delta - nb->DataOffset;
    if ((ULONG64)missing + backfill > 0xFFFFFFFFu) {
        vf_diagnostic(fn, "DataOffsetDelta %u + DataBackFill %u do not fit one MDL", delta, backfill);
        return NDIS_STATUS_FAILURE;
    }
    ULONG bytes = missing + backfill;
    PMDL mdl = retreat_mdl_alloc(nb, &bytes, missing, alloc, fn);
    if (!mdl)
        return NDIS_STATUS_RESOURCES;
    mdl->Next = nb->MdlChain;
    nb->MdlChain = mdl;
    nb->DataOffset = bytes - missing;
    nb->stDataLength = (SIZE_T)nb->DataLength + delta;
    nb->CurrentMdl = mdl;
    nb->CurrentMdlOffset = nb->DataOffset;
    (*retreat_mdl_count(nb))++;
    if (undo)
        undo->allocated = mdl;
    return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS NdisRetreatNetBufferDataStart(PNET_BUFFER NetBuffer, ULONG DataOffsetDelta, ULONG DataBackFill,
                                          NET_BUFFER_ALLOCATE_MDL_HANDLER AllocateMdlHandler)
{
    /* Fast path: the back-fill is in the current MDL, so only offsets and the length move. */
    if (NDISBUF_LIKELY(NetBuffer && NetBuffer->CurrentMdl && NetBuffer->CurrentMdlOffset >= DataOffsetDelta &&
                       NetBuffer->DataOffset >= DataOffsetDelta &&
                       (ULONG64)NetBuffer->DataLength + DataOffsetDelta <= 0xFFFFFFFFu)) {
        NetBuffer->DataOffset -= DataOffsetDelta;
        NetBuffer->CurrentMdlOffset -= DataOffsetDelta;
        NetBuffer->stDataLength = (SIZE_T)NetBuffer->DataLength + DataOffsetDelta;
        return NDIS_STATUS_SUCCESS;
    }
    return nb_retreat(NetBuffer, DataOffsetDelta, DataBackFill, AllocateMdlHandler, NULL,
                      "NdisRetreatNetBufferDataStart");
}

/* How many of nb's retreat MDLs an AllocateMdlHandler gave: the count less the library's own on the chain. */
static ULONG_PTR retreat_handler_mdl_count(PNET_BUFFER nb)
{
    ULONG_PTR own = 0, all = *retreat_mdl_count(nb);
    ULONG steps = 0;
    for (PMDL mdl = nb->MdlChain; mdl && own < all && steps < NDISBUF_MDL_CHAIN_MAX; mdl = mdl->Next, steps++)
        own += mdl_is_retreat_buffer_of(mdl, nb);
    return all - own;
}

/*
 * Frees the retreat MDLs of nb that lie wholly in the back-fill, stopping at
 * the first MDL that holds used data. The library's own go wherever they
 * sit, unlinked from behind the driver's MDLs too; a handler's only from the
 * very front (the one place it is known by). Any other MDL is the driver's:
 * stepped over, never freed. Without a FreeMdlHandler a handler's MDL is
 * kept, with a diagnostic, and the walk stops there.
 */
static void nb_free_unused_retreat_mdls(PNET_BUFFER nb, NET_BUFFER_FREE_MDL_HANDLER free_handler, const char *fn)
{
    PMDL *link = &nb->MdlChain;
    ULONG stepped = 0;                      /* bytes of the driver's MDLs stepped over */
    ULONG_PTR handler_mdls = ~(ULONG_PTR)0; /* not counted yet */
    for (ULONG steps = 0; *retreat_mdl_count(nb) && *link && steps < NDISBUF_MDL_CHAIN_MAX; steps++) {
        PMDL mdl = *link;
        if (mdl->ByteCount > nb->DataOffset - stepped)
            return;
        bool own = mdl_is_retreat_buffer_of(mdl, nb);
        if (!own && link == &nb->MdlChain && handler_mdls == ~(ULONG_PTR)0)
            handler_mdls = retreat_handler_mdl_count(nb);
        if (!own && (link != &nb->MdlChain || handler_mdls == 0)) {
            stepped += mdl->ByteCount;
            link = &mdl->Next;
            continue;
        }
        if (!own && !free_handler) {
            vf_diagnostic(fn, "MDL %p came from an AllocateMdlHandler but no FreeMdlHandler was given; kept",
                          (void *)mdl);
            return;
        }
        *link = mdl->Next;
        nb->DataOffset -= mdl->ByteCount;
        (*retreat_mdl_count(nb))--;
        handler_mdls -= !own;
        mdl->Next = NULL;
        if (own)
            mdl_retreat_free(mdl);
        else
            free_handler(mdl);
    }
}

static void nb_advance(PNET_BUFFER nb, ULONG delta, BOOLEAN free_mdl, NET_BUFFER_FREE_MDL_HANDLER free_handler,
                       const char *fn)
{
    if (!nb) {
        vf_diagnostic(fn, "NetBuffer is NULL");
        return;
    }
    if (delta > nb->DataLength) {
        vf_diagnostic(fn, "DataOffsetDelta %u exceeds DataLength %u; nothing changed", delta, nb->DataLength);
        return;
    }
    nb->DataOffset += delta;
    nb->stDataLength = (SIZE_T)nb->DataLength - delta;
    if (free_mdl)
        nb_free_unused_retreat_mdls(nb, free_handler, fn);
    nb_relocate_current(nb);
}

VOID NdisAdvanceNetBufferDataStart(PNET_BUFFER NetBuffer, ULONG DataOffsetDelta, BOOLEAN FreeMdl,
                                   NET_BUFFER_FREE_MDL_HANDLER FreeMdlHandler)
{
    /* Fast path: the new start is still inside the current MDL and no retreat MDL can become unused. */
    if (NDISBUF_LIKELY(NetBuffer && NetBuffer->CurrentMdl && DataOffsetDelta <= NetBuffer->DataLength &&
                       (ULONG64)NetBuffer->CurrentMdlOffset + DataOffsetDelta < NetBuffer->CurrentMdl->ByteCount &&
                       (!FreeMdl || !*retreat_mdl_count(NetBuffer)))) {
        NetBuffer->DataOffset += DataOffsetDelta;
        NetBuffer->CurrentMdlOffset += DataOffsetDelta;
        NetBuffer->stDataLength = (SIZE_T)NetBuffer->DataLength - DataOffsetDelta;
        return;
    }
    nb_advance(NetBuffer, DataOffsetDelta, FreeMdl, FreeMdlHandler, "NdisAdvanceNetBufferDataStart");
}

/* Puts an NB back as recorded, freeing the MDL its retreat allocated. */
static void nb_undo_retreat(PNET_BUFFER nb, const struct retreat_undo *u, NET_BUFFER_FREE_MDL_HANDLER free_handler,
                            const char *fn)
{
    if (u->allocated) {
        if (!free_handler && !mdl_is_retreat_buffer_of(u->allocated, nb)) {
            vf_diagnostic(fn, "rolling back: MDL %p from the AllocateMdlHandler has no FreeMdlHandler; leaked",
                          (void *)u->allocated);
        } else {
            u->allocated->Next = NULL;
            retreat_mdl_free(nb, u->allocated, free_handler);
        }
    }
    nb->MdlChain = u->chain;
    nb->CurrentMdl = u->current;
    nb->CurrentMdlOffset = u->current_offset;
    nb->DataOffset = u->data_offset;
    nb->stDataLength = u->data_length;
    *retreat_mdl_count(nb) = u->retreat_mdls;
}

static ULONG nbl_nb_count(PNET_BUFFER_LIST nbl)
{
    ULONG n = 0;
    for (PNET_BUFFER nb = nbl->FirstNetBuffer; nb; nb = nb->Next)
        n++;
    return n;
}

NDIS_STATUS NdisRetreatNetBufferListDataStart(PNET_BUFFER_LIST NetBufferList, ULONG DataOffsetDelta,
                                              ULONG DataBackFill, NET_BUFFER_ALLOCATE_MDL_HANDLER AllocateMdlHandler,
                                              NET_BUFFER_FREE_MDL_HANDLER FreeMdlHandler)
{
    const char *fn = "NdisRetreatNetBufferListDataStart";
    if (!NetBufferList) {
        vf_diagnostic(fn, "NetBufferList is NULL");
        return NDIS_STATUS_FAILURE;
    }
    struct retreat_undo small[16], *undo = small;
    ULONG n = nbl_nb_count(NetBufferList);
    if (n > 16 && !(undo = calloc(n, sizeof(*undo))))
        return NDIS_STATUS_RESOURCES;
    NDIS_STATUS status = NDIS_STATUS_SUCCESS;
    ULONG done = 0;
    for (PNET_BUFFER nb = NetBufferList->FirstNetBuffer; nb; nb = nb->Next, done++) {
        status = nb_retreat(nb, DataOffsetDelta, DataBackFill, AllocateMdlHandler, &undo[done], fn);
        if (status != NDIS_STATUS_SUCCESS)
            break;
    }
    if (status != NDIS_STATUS_SUCCESS) {
        PNET_BUFFER nb = NetBufferList->FirstNetBuffer;
        for (ULONG i = 0; i < done; i++, nb = nb->Next)
            nb_undo_retreat(nb, &undo[i], FreeMdlHandler, fn);
    }
    if (undo != small)
        free(undo);
    return status;
}

VOID NdisAdvanceNetBufferListDataStart(PNET_BUFFER_LIST NetBufferList, ULONG DataOffsetDelta, BOOLEAN FreeMdl,
                                       NET_BUFFER_FREE_MDL_HANDLER FreeMdlHandler)
{
    const char *fn = "NdisAdvanceNetBufferListDataStart";
    if (!NetBufferList) {
        vf_diagnostic(fn, "NetBufferList is NULL");
        return;
    }
    for (PNET_BUFFER nb = NetBufferList->FirstNetBuffer; nb; nb = nb->Next)
        if (DataOffsetDelta > nb->DataLength) {
            vf_diagnostic(fn, "DataOffsetDelta %u exceeds an NB's DataLength %u; nothing changed", DataOffsetDelta,
                          nb->DataLength);
            return;
        }
    for (PNET_BUFFER nb = NetBufferList->FirstNetBuffer; nb; nb = nb->Next)
        nb_advance(nb, DataOffsetDelta, FreeMdl, FreeMdlHandler, fn);
}

void nb_release_retreat_mdls(PNET_BUFFER nb, const char *fn)
{
    /* Usually at the front; a driver may have linked MDLs of its own in front of them. */
    PMDL *link = &nb->MdlChain;
    for (ULONG steps = 0; *retreat_mdl_count(nb) && *link && steps < (1u << 20); steps++) {
        PMDL mdl = *link;
        if (!mdl_is_retreat_buffer_of(mdl, nb)) {
            link = &mdl->Next;
            continue;
        }
        *link = mdl->Next;
        (*retreat_mdl_count(nb))--;
        mdl_retreat_free(mdl);
    }
    if (*retreat_mdl_count(nb))
        vf_diagnostic(fn, "NET_BUFFER %p is freed with %lu MDL(s) from an AllocateMdlHandler "
                          "still in its chain; advance with FreeMdl first",
                      (void *)nb, (unsigned long)*retreat_mdl_count(nb));
}

ULONG NdisQueryNetBufferPhysicalCount(PNET_BUFFER NetBuffer)
{
    if (!NetBuffer)
        return 0;
    struct mdl_cursor c = cursor_at_data(NetBuffer);
    ULONG left = NetBuffer->DataLength, pages = 0;
    while (c.mdl && left) {
        ULONG step = cursor_span(&c) < left ? cursor_span(&c) : left;
        pages += ADDRESS_AND_SIZE_TO_SPAN_PAGES(cursor_address(&c), step);
        left -= step;
        c.offset += step;
        cursor_settle(&c);
    }
    return pages;
}
