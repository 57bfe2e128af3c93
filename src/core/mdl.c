/* SPDX-License-Identifier: MIT */
/*
 * MDL helpers: allocation from the library's MDL pool, free, and the few
 * Mm calls that are functions rather than macros.
 *
 * MDLs handed out by NdisAllocateMdl / IoAllocateMdl come from one internal
 * pool, so freeing one is checked like any pool element (double free,
 * foreign pointer, an MDL that belongs to an NBL's own data). The length an
 * MDL was built with is kept in its private header, which is what lets
 * NdisAdjustMdlLength refuse to lengthen it.
 */
#include <stdlib.h>

#include "config.h"
#include "cursor.h"
#include "element.h"
#include "verify/fault.h"
#include "verify/verify.h"

/* 4 GiB - PAGE_SIZE: the documented ceiling of one MDL's buffer. */
#define IO_ALLOCATE_MDL_MAX_LENGTH (0xFFFFFFFFul - PAGE_SIZE + 1)

SIZE_T MmSizeOfMdl(PVOID Base, SIZE_T Length)
{
    return sizeof(MDL) + sizeof(PFN_NUMBER) * ADDRESS_AND_SIZE_TO_SPAN_PAGES(Base, Length);
}

VOID MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList)
{
    MemoryDescriptorList->MappedSystemVa = MmGetMdlVirtualAddress(MemoryDescriptorList);
    MemoryDescriptorList->MdlFlags |= MDL_SOURCE_IS_NONPAGED_POOL;
}

/*
 * A live element of the internal MDL pool, or NULL after a diagnostic.
 * fault_kind: the NDISBUF_FAULT_* kind fault injection counts this
 * allocation as, 0 when the caller already did.
 */
static struct elem_header *mdl_element_take(ULONG fault_kind, void *site, const char *fn)
{
    if (fault_kind && vf_fault_fail(fault_kind)) {
        vf_fault_diagnostic(fn);
        return NULL;
    }
    struct nbuf_pool *pool = pools_mdl_pool();
    struct elem_header *h = pool ? elem_take(pool, site) : NULL;
    if (!h)
        vf_diagnostic(fn, "out of memory for an MDL");
    return h;
}

/* Lays a taken MDL element out to describe va (not yet built), for owner. */
static PMDL mdl_element_init(struct elem_header *h, NDIS_HANDLE owner, PVOID va, ULONG length)
{
    elem_ext(h)->owner = owner;
    elem_ext(h)->built_length = length;
    PMDL mdl = elem_part(h, h->pool->layout.mdl);
    MmInitializeMdl(mdl, va, length);
    return mdl;
}

/* A pool MDL describing va (not yet built), or NULL; *header is its element's header. */
static PMDL mdl_take(NDIS_HANDLE owner, PVOID va, ULONG length, ULONG fault_kind, void *site, const char *fn,
                     struct elem_header **header)
{
    struct elem_header *h = mdl_element_take(fault_kind, site, fn);
    if (!h)
        return NULL;
    *header = h;
    return mdl_element_init(h, owner, va, length);
}

PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer, BOOLEAN ChargeQuota, PIRP Irp)
{
    const char *fn = "IoAllocateMdl";
    (void)SecondaryBuffer;
    (void)ChargeQuota;
    if (Irp) {
        vf_diagnostic(fn, "Irp must be NULL: there are no IRPs in user mode");
        return NULL;
    }
    if (!VirtualAddress && Length) {
        vf_diagnostic(fn, "VirtualAddress is NULL with Length %u", Length);
        return NULL;
    }
    if (Length > IO_ALLOCATE_MDL_MAX_LENGTH) {
        vf_diagnostic(fn, "Length %u is above the largest buffer an MDL describes (%lu bytes)", Length,
                      (unsigned long)IO_ALLOCATE_MDL_MAX_LENGTH);
        return NULL;
    }
    struct elem_header *h;
    return mdl_take(NULL, VirtualAddress, Length, NDISBUF_FAULT_MDL, __builtin_return_address(0), fn, &h);
}

PMDL NdisAllocateMdl(NDIS_HANDLE NdisHandle, PVOID VirtualAddress, UINT Length)
{
    const char *fn = "NdisAllocateMdl";
    if (!VirtualAddress) {
        vf_diagnostic(fn, "VirtualAddress is NULL");
        return NULL;
    }
    struct elem_header *h;
    PMDL mdl =
        mdl_take(NdisHandle, VirtualAddress, Length, NDISBUF_FAULT_MDL, __builtin_return_address(0), fn, &h);
    if (mdl)
        MmBuildMdlForNonPagedPool(mdl);
    return mdl;
}

static void mdl_free(PMDL mdl, const char *fn)
{
    struct elem_header *h = elem_checked(mdl, OBJ_MDL, "MDL", fn);
    if (h && (h->flags & (ELEM_RETREAT_BUFFER | ELEM_DERIVED_MDL))) {
        ULONG_PTR params[4] = {(ULONG_PTR)mdl, h->flags, 0, 0};
        vf_report(NDISBUF_REPORT_WRONG_FREE_CALL, fn, mdl, params, "MDL %p was allocated %s", (void *)mdl,
                  (h->flags & ELEM_RETREAT_BUFFER)
                      ? "by a retreat; NdisAdvanceNetBufferDataStart with FreeMdl frees it"
                      : "for a derived NET_BUFFER_LIST; the free call of that clone, fragment or "
                        "reassembled NBL frees it");
        return;
    }
    if (h)
        elem_give_back(h);
}

VOID IoFreeMdl(PMDL Mdl)
{
    mdl_free(Mdl, "IoFreeMdl");
}

VOID NdisFreeMdl(PMDL Mdl)
{
    mdl_free(Mdl, "NdisFreeMdl");
}

/* The length an MDL the library gave out was built with; no limit for others. */
static ULONG64 mdl_built_length(PMDL mdl)
{
    struct elem_header *h = NULL;
    switch (elem_classify(mdl, &h)) {
    case OBJ_MDL:
        return elem_ext(h)->built_length;
    case OBJ_MDL_IN_ELEMENT:
        return h->pool->layout.data_size;
    default:
        return UINT64_MAX;
    }
}

VOID NdisAdjustMdlLength(PMDL Mdl, UINT Length)
{
    ULONG64 built = mdl_built_length(Mdl);
    if (Length > built) {
        ULONG_PTR params[4] = {(ULONG_PTR)Mdl, Length, (ULONG_PTR)built, 0};
        vf_report(NDISBUF_REPORT_MDL_LENGTHENED, "NdisAdjustMdlLength", Mdl, params,
                  "MDL %p was built for %llu bytes; it may be shortened, never lengthened to %u", (void *)Mdl,
                  (unsigned long long)built, Length);
        return;
    }
    Mdl->ByteCount = Length;
}

PMDL mdl_derived_init(struct elem_header *h, PMDL source, ULONG offset, ULONG length, PNET_BUFFER owner)
{
    PUCHAR va = (PUCHAR)MmGetMdlVirtualAddress(source) + offset;
    PUCHAR system_va = (PUCHAR)MmGetSystemAddressForMdlSafe(source, NormalPagePriority) + offset;
    h->flags |= ELEM_DERIVED_MDL;
    PMDL mdl = mdl_element_init(h, owner, va, length);
    mdl->MappedSystemVa = system_va;
    mdl->MdlFlags |= MDL_PARTIAL | MDL_SOURCE_IS_NONPAGED_POOL;
    return mdl;
}

PMDL mdl_derived_alloc(PMDL source, ULONG offset, ULONG length, PNET_BUFFER owner, void *site, const char *fn)
{
    struct elem_header *h = mdl_element_take(NDISBUF_FAULT_MDL, site, fn);
    return h ? mdl_derived_init(h, source, offset, length, owner) : NULL;
}


/*
 * The header of a live MDL the library gave out with `flag` (ELEM_RETREAT_BUFFER,
 * ELEM_DERIVED_MDL) and, unless `owner` is NULL, built for that NB; NULL otherwise.
 */
static struct elem_header *mdl_library_header(PMDL mdl, uint8_t flag, PNET_BUFFER owner)
{
    struct elem_header *h = NULL;
    if (elem_classify(mdl, &h) != OBJ_MDL || h->state != ELEM_LIVE || !(h->flags & flag))
        return NULL;
    return !owner || elem_ext(h)->owner == owner ? h : NULL;
}

bool mdl_derived_release_single(PMDL mdl, PNET_BUFFER owner)
{
    if (mdl->Next)
        return false;
    struct elem_header *h = mdl_library_header(mdl, ELEM_DERIVED_MDL, owner);
    if (!h)
        return false;
    elem_release(h->pool, h);
    return true;
}

void mdl_derived_free_chain(PMDL head, PNET_BUFFER owner)
{
    ULONG steps = 0;
    for (PMDL mdl = head, next; mdl && steps < (1u << 20); mdl = next, steps++) {
        struct elem_header *h = mdl_library_header(mdl, ELEM_DERIVED_MDL, owner);
        next = mdl->Next;
        if (h)
            elem_give_back(h);
    }
}

PMDL mdl_retreat_alloc(ULONG bytes, PNET_BUFFER owner)
{
    const char *fn = "NdisRetreatNetBufferDataStart";
    void *buffer = malloc(bytes ? bytes : 1);
    struct elem_header *h = NULL;
    PMDL mdl = buffer ? mdl_take(owner, buffer, bytes, 0, __builtin_return_address(0), fn, &h) : NULL;
    if (!mdl) {
        free(buffer);
        return NULL;
    }
    h->flags |= ELEM_RETREAT_BUFFER;
    elem_ext(h)->buffer = buffer;
    MmBuildMdlForNonPagedPool(mdl);
    return mdl;
}

bool mdl_is_retreat_buffer_of(PMDL mdl, PNET_BUFFER nb)
{
    return mdl_library_header(mdl, ELEM_RETREAT_BUFFER, nb) != NULL;
}

void mdl_retreat_free(PMDL mdl)
{
    struct elem_header *h = NULL;
    elem_classify(mdl, &h);
    free(elem_ext(h)->buffer);
    elem_ext(h)->buffer = NULL;
    elem_give_back(h);
}

void cursor_loop_found(struct mdl_cursor *c)
{
    ULONG_PTR params[4] = {(ULONG_PTR)c->mdl, NDISBUF_MDL_CHAIN_MAX, 0, 0};
    vf_report(NDISBUF_REPORT_MDL_CHAIN_LOOP, "an MDL chain walk", c->mdl, params,
              "a walk along an MDL chain stepped over %u MDLs without reaching a byte: the chain loops back on "
              "itself through zero-length MDLs (at MDL %p); the walk stops there as if the chain ended",
              NDISBUF_MDL_CHAIN_MAX, (void *)c->mdl);
    c->mdl = NULL;
    c->offset = 0;
}
