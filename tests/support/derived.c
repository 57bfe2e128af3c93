/* SPDX-License-Identifier: MIT */
/* The derived-NBL tests' originals and checks (derived.h). */
#include <stdlib.h>
#include <string.h>

#include "derived.h"

#define TAG HARNESS_TAG('T', 'D', 'r', 'v')

struct original orig;


/* The original: an NBL without its own NB, one caller chain per NB. */
void original_build(const struct nb_spec *specs, size_t n)
{
    assert_true(n <= ORIG_MAX_NBS);
    memset(&orig, 0, sizeof(orig));
    orig.count = n;
    orig.nbl_pool = harness_nbl_pool(FALSE, 0, 0, TAG);
    orig.nb_pool = harness_nb_pool(0);
    orig.nbl = NdisAllocateNetBufferList(orig.nbl_pool, 0, 0);
    assert_non_null(orig.nbl);
    PNET_BUFFER *link = &NET_BUFFER_LIST_FIRST_NB(orig.nbl);
    for (size_t i = 0; i < n; i++) {
        assert_true(specs[i].count <= ORIG_MAX_MDLS);
        harness_fill(orig.buf[i], ORIG_BUF, 11 + (unsigned)i);
        harness_mdl_chain(orig.mdls[i], specs[i].count, orig.buf[i], specs[i].lengths);
        PNET_BUFFER nb = NdisAllocateNetBuffer(orig.nb_pool, &orig.mdls[i][0], specs[i].offset, specs[i].length);
        assert_non_null(nb);
        harness_assert_nb_consistent(nb);
        orig.nb[i] = nb;
        orig.len[i] = specs[i].length;
        assert_int_equal(harness_nb_read(nb, 0, specs[i].length, orig.used[i]), specs[i].length);
        *link = nb;
        link = &NET_BUFFER_NEXT_NB(nb);
    }
    memcpy(orig.pristine, orig.buf, sizeof(orig.buf));
    for (size_t i = 0; i < n; i++)
        harness_nb_snapshot(orig.nb[i], &orig.snap[i]);
    memcpy(&orig.nbl_copy, orig.nbl, sizeof(*orig.nbl));
}

/* The original's NBL (but for ChildRefCount), NBs, MDLs and bytes are as built. */
void original_assert_unchanged(void)
{
    orig.nbl_copy.ChildRefCount = orig.nbl->ChildRefCount; /* the driver's count */
    assert_memory_equal(orig.nbl, &orig.nbl_copy, sizeof(*orig.nbl));
    for (size_t i = 0; i < orig.count; i++)
        harness_assert_nb_unchanged(orig.nb[i], &orig.snap[i]);
    for (size_t i = 0; i < orig.count; i++)
        if (memcmp(orig.buf[i], orig.pristine[i], ORIG_BUF) != 0)
            fail_msg("the bytes under original NB %zu changed", i);
}

void original_free(void)
{
    original_assert_unchanged();
    NET_BUFFER_LIST_FIRST_NB(orig.nbl) = NULL;
    for (size_t i = 0; i < orig.count; i++) {
        NET_BUFFER_NEXT_NB(orig.nb[i]) = NULL;
        NdisFreeNetBuffer(orig.nb[i]);
    }
    NdisFreeNetBufferList(orig.nbl);
    harness_expect_no_report();
    harness_free_nbl_pool(orig.nbl_pool);
    harness_free_nb_pool(orig.nb_pool);
}

/* ----------------------------------------------------- memory geometry */

uintptr_t mdl_va(PMDL m)
{
    return (uintptr_t)MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
}

bool ranges_overlap(uintptr_t a, size_t an, uintptr_t b, size_t bn)
{
    return an && bn && a < b + bn && b < a + an;
}

/* The address of the byte `offset` bytes after the NB's data start. */
uintptr_t nb_byte_address(PNET_BUFFER nb, ULONG offset)
{
    ULONG64 at = (ULONG64)nb->DataOffset + offset;
    for (PMDL m = nb->MdlChain; m; m = m->Next) {
        if (at < m->ByteCount)
            return mdl_va(m) + (uintptr_t)at;
        at -= m->ByteCount;
    }
    fail_msg("byte %u is past the end of the chain", offset);
    return 0;
}

bool is_original_mdl(PMDL mdl)
{
    for (size_t i = 0; i < orig.count; i++)
        for (PMDL m = orig.nb[i]->MdlChain; m; m = m->Next)
            if (m == mdl)
                return true;
    return false;
}

/* [p, p+n) lies inside one MDL of an original NB. */
bool inside_original_memory(uintptr_t p, size_t n)
{
    for (size_t i = 0; i < orig.count; i++)
        for (PMDL m = orig.nb[i]->MdlChain; m; m = m->Next)
            if (p >= mdl_va(m) && p + n <= mdl_va(m) + m->ByteCount)
                return true;
    return false;
}

bool overlaps_original_memory(uintptr_t p, size_t n)
{
    for (size_t i = 0; i < orig.count; i++)
        for (PMDL m = orig.nb[i]->MdlChain; m; m = m->Next)
            if (ranges_overlap(p, n, mdl_va(m), m->ByteCount))
                return true;
    return false;
}

/* [p, p+n) overlaps the used data of an original NB. */
bool overlaps_original_used(uintptr_t p, size_t n)
{
    for (size_t i = 0; i < orig.count; i++) {
        PNET_BUFFER nb = orig.nb[i];
        ULONG64 start = nb->DataOffset, end = start + nb->DataLength, at = 0;
        for (PMDL m = nb->MdlChain; m; at += m->ByteCount, m = m->Next) {
            ULONG64 lo = at > start ? at : start, hi = at + m->ByteCount < end ? at + m->ByteCount : end;
            if (lo < hi && ranges_overlap(p, n, mdl_va(m) + (uintptr_t)(lo - at), (size_t)(hi - lo)))
                return true;
        }
    }
    return false;
}

/* The chain bytes in front of the data start (the back-fill) never overlap the original's used data. */
void assert_backfill_is_not_parent_data(PNET_BUFFER nb)
{
    ULONG64 left = nb->DataOffset;
    for (PMDL m = nb->MdlChain; m && left; m = m->Next) {
        ULONG64 step = m->ByteCount < left ? m->ByteCount : left;
        if (overlaps_original_used(mdl_va(m), (size_t)step))
            fail_msg("the back-fill of NB %p (MDL %p) lies over the original's used data", (void *)nb, (void *)m);
        left -= step;
    }
}

/*
 * A derived NB's MDLs: with header room, a first MDL of its own (outside the
 * original's memory) holding the back-fill and the DataOffsetDelta header
 * bytes, the piece starting right after it; then the library's partial MDLs
 * over the original's memory (never the original's MDLs themselves).
 */
void assert_derived_mdls(PNET_BUFFER f, ULONG delta, ULONG backfill)
{
    PMDL m = NET_BUFFER_FIRST_MDL(f);
    assert_non_null(m);
    if (delta) {
        assert_false(is_original_mdl(m));
        assert_false(overlaps_original_memory(mdl_va(m), m->ByteCount));
        assert_ptr_equal(NET_BUFFER_CURRENT_MDL(f), m);
        assert_int_equal(NET_BUFFER_DATA_OFFSET(f) + delta, MmGetMdlByteCount(m));
        assert_true(NET_BUFFER_DATA_OFFSET(f) >= backfill);
        m = m->Next;
    }
    for (; m; m = m->Next) {
        assert_false(is_original_mdl(m));
        if (!(m->MdlFlags & MDL_PARTIAL))
            fail_msg("derived MDL %p has flags 0x%x, not MDL_PARTIAL", (void *)m, m->MdlFlags);
        if (m->ByteCount && !inside_original_memory(mdl_va(m), m->ByteCount))
            fail_msg("derived MDL %p (%u bytes) is not over the original's memory", (void *)m, m->ByteCount);
    }
    assert_backfill_is_not_parent_data(f);
}

