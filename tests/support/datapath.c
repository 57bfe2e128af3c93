/* SPDX-License-Identifier: MIT */
/*
 * Data-path test helpers (see datapath.h): a chain walker that never asks
 * the library, NB snapshots, and MDL handlers that count what retreat and
 * advance do with them. The handlers keep the MDLs they gave out in a
 * small array, so a free handler call with any other MDL (a caller's) is
 * caught rather than freed.
 */
#include "datapath.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ chains */

ULONG64 harness_chain_bytes(PMDL chain)
{
    ULONG64 bytes = 0;
    for (PMDL m = chain; m; m = m->Next)
        bytes += m->ByteCount;
    return bytes;
}

size_t harness_chain_count(PMDL chain)
{
    size_t n = 0;
    for (PMDL m = chain; m; m = m->Next)
        n++;
    return n;
}

void harness_locate(PMDL chain, ULONG offset, PMDL *mdl, ULONG *mdl_offset)
{
    PMDL m = chain;
    while (m && m->Next && offset >= m->ByteCount) {
        offset -= m->ByteCount;
        m = m->Next;
    }
    *mdl = m;
    *mdl_offset = m ? offset : 0;
}

void harness_fill(UCHAR *buf, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (UCHAR)((i * 131u + seed * 29u + (i >> 8) * 7u) ^ 0x5Au);
}

/* ------------------------------------------------------------- NB views */

/* Walks `length` bytes from chain offset `at`, copying out (in == NULL) or in. */
static ULONG chain_io(PMDL chain, ULONG64 at, ULONG length, UCHAR *out, const UCHAR *in)
{
    ULONG done = 0;
    for (PMDL m = chain; m && done < length; m = m->Next) {
        if (at >= m->ByteCount) {
            at -= m->ByteCount;
            continue;
        }
        UCHAR *va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
        ULONG step = (ULONG)(m->ByteCount - at);
        if (step > length - done)
            step = length - done;
        if (in)
            memcpy(va + at, in + done, step);
        else
            memcpy(out + done, va + at, step);
        done += step;
        at = 0;
    }
    return done;
}

ULONG harness_nb_read(PNET_BUFFER nb, ULONG64 from, ULONG length, UCHAR *out)
{
    return chain_io(nb->MdlChain, (ULONG64)nb->DataOffset + from, length, out, NULL);
}

ULONG harness_nb_write(PNET_BUFFER nb, ULONG64 from, ULONG length, const UCHAR *in)
{
    return chain_io(nb->MdlChain, (ULONG64)nb->DataOffset + from, length, NULL, in);
}

void harness_assert_nb_data(PNET_BUFFER nb, const UCHAR *expected, ULONG length)
{
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), length);
    if (!length)
        return;
    UCHAR *got = malloc(length);
    assert_non_null(got);
    ULONG read = harness_nb_read(nb, 0, length, got);
    if (read != length || memcmp(got, expected, length) != 0) {
        for (ULONG i = 0; i < read; i++)
            if (got[i] != expected[i]) {
                print_error("used byte %u is 0x%02x, expected 0x%02x\n", i, got[i], expected[i]);
                break;
            }
        free(got);
        fail_msg("used data differs (read %u of %u bytes)", read, length);
    }
    free(got);
}

void harness_assert_nb_consistent(PNET_BUFFER nb)
{
    ULONG64 bytes = harness_chain_bytes(nb->MdlChain);
    if ((ULONG64)nb->DataOffset + nb->DataLength > bytes)
        fail_msg("DataOffset %u + DataLength %u exceed the chain's %llu bytes", nb->DataOffset, nb->DataLength,
                 (unsigned long long)bytes);
    PMDL mdl;
    ULONG offset;
    harness_locate(nb->MdlChain, nb->DataOffset, &mdl, &offset);
    if (nb->CurrentMdl != mdl || nb->CurrentMdlOffset != offset)
        fail_msg("CurrentMdl %p + %u, but DataOffset %u is at MDL %p + %u", (void *)nb->CurrentMdl,
                 nb->CurrentMdlOffset, nb->DataOffset, (void *)mdl, offset);
}

void harness_nb_snapshot(PNET_BUFFER nb, struct harness_nb_snapshot *snap)
{
    memset(snap, 0, sizeof(*snap));
    memcpy(&snap->nb, nb, sizeof(*nb));
    for (PMDL m = nb->MdlChain; m; m = m->Next) {
        assert_true(snap->count < HARNESS_SNAPSHOT_MDLS);
        snap->mdl[snap->count] = m;
        memcpy(&snap->copy[snap->count], m, sizeof(*m));
        snap->count++;
    }
}

void harness_assert_nb_unchanged(PNET_BUFFER nb, const struct harness_nb_snapshot *snap)
{
    assert_ptr_equal(nb->MdlChain, snap->nb.MdlChain);
    assert_ptr_equal(nb->CurrentMdl, snap->nb.CurrentMdl);
    assert_int_equal(nb->CurrentMdlOffset, snap->nb.CurrentMdlOffset);
    assert_int_equal(nb->DataOffset, snap->nb.DataOffset);
    assert_int_equal(nb->stDataLength, snap->nb.stDataLength);
    assert_ptr_equal(nb->Next, snap->nb.Next);
    assert_memory_equal(nb, &snap->nb, sizeof(*nb)); /* and every other field */
    for (size_t i = 0; i < snap->count; i++)
        assert_memory_equal(snap->mdl[i], &snap->copy[i], sizeof(MDL));
}

/* -------------------------------------------------------------- handlers */

struct harness_mdl_handler_state harness_mdl_handlers;

static PMDL *handler_live;
static size_t handler_live_count, handler_live_room;

void harness_mdl_handlers_reset(ULONG fail_at, ULONG extra)
{
    memset(&harness_mdl_handlers, 0, sizeof(harness_mdl_handlers));
    harness_mdl_handlers.fail_at = fail_at;
    harness_mdl_handlers.extra = extra;
}

ULONG harness_mdl_handlers_live(void)
{
    return (ULONG)handler_live_count;
}

static size_t handler_find(PMDL mdl)
{
    for (size_t i = 0; i < handler_live_count; i++)
        if (handler_live[i] == mdl)
            return i;
    return SIZE_MAX;
}

bool harness_mdl_from_handler(PMDL mdl)
{
    return handler_find(mdl) != SIZE_MAX;
}

static bool handler_track(PMDL mdl)
{
    if (handler_live_count == handler_live_room) {
        size_t room = handler_live_room ? 2 * handler_live_room : 64;
        PMDL *grown = realloc(handler_live, room * sizeof(*grown));
        if (!grown)
            return false;
        handler_live = grown;
        handler_live_room = room;
    }
    handler_live[handler_live_count++] = mdl;
    return true;
}

PMDL harness_allocate_mdl_handler(PULONG BufferSize)
{
    struct harness_mdl_handler_state *s = &harness_mdl_handlers;
    s->calls++;
    s->last_asked = *BufferSize;
    if (s->fail_all || s->calls == s->fail_at)
        return NULL;
    ULONG size = *BufferSize + s->extra;
    UCHAR *buffer = malloc(size ? size : 1);
    if (!buffer)
        return NULL;
    memset(buffer, 0xCD, size);
    PMDL mdl = NdisAllocateMdl(NULL, buffer, size);
    if (!mdl || !handler_track(mdl)) {
        if (mdl)
            NdisFreeMdl(mdl);
        free(buffer);
        return NULL;
    }
    *BufferSize = size;
    s->allocs++;
    return mdl;
}

VOID harness_free_mdl_handler(PMDL Mdl)
{
    size_t at = handler_find(Mdl);
    if (at == SIZE_MAX) {
        harness_mdl_handlers.foreign_frees++;
        return;
    }
    handler_live[at] = handler_live[--handler_live_count];
    if (!handler_live_count) {
        free(handler_live); /* nothing kept between tests for LeakSanitizer to see */
        handler_live = NULL;
        handler_live_room = 0;
    }
    void *buffer = Mdl->MappedSystemVa;
    NdisFreeMdl(Mdl);
    free(buffer);
    harness_mdl_handlers.frees++;
}
