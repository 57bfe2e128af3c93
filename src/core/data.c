/* SPDX-License-Identifier: MIT */
/*
 * Reading and copying packet bytes that may span MDLs.
 *
 * NdisGetDataBuffer answers the question every layer asks of a header:
 * "give me a pointer to these bytes": straight into the MDL when they are
 * contiguous (and aligned as asked), through the caller's storage when
 * they are not. NdisCopyFromNetBufferToNetBuffer copies between two
 * chains, offsets counted from each NB's current data start, stopping at
 * the end of either chain. Both walk with the shared MDL cursor.
 */
#include "config.h"
#include "cursor.h"
#include "element.h"
#include "verify/verify.h"

static bool alignment_ok(UINT multiple, UINT offset, const char *fn)
{
    if (multiple > 1 && (multiple & (multiple - 1))) {
        vf_diagnostic(fn, "AlignMultiple %u is not a power of two", multiple);
        return false;
    }
    if (multiple > 1 && offset >= multiple) {
        vf_diagnostic(fn, "AlignOffset %u is not below AlignMultiple %u", offset, multiple);
        return false;
    }
    return true;
}

static bool address_aligned(const void *p, UINT multiple, UINT offset)
{
    return multiple <= 1 || ((ULONG_PTR)p & (multiple - 1)) == offset;
}

/* NdisGetDataBuffer's careful way, out of line so that the fast path needs no stack frame. */
static __attribute__((noinline)) PVOID data_buffer_careful(PNET_BUFFER NetBuffer, ULONG BytesNeeded, PVOID Storage,
                                                          UINT AlignMultiple, UINT AlignOffset)
{
    const char *fn = "NdisGetDataBuffer";
    if (!NetBuffer) {
        vf_diagnostic(fn, "NetBuffer is NULL");
        return NULL;
    }
    if (!BytesNeeded || BytesNeeded > NetBuffer->DataLength || !alignment_ok(AlignMultiple, AlignOffset, fn))
        return NULL;
    struct mdl_cursor c = cursor_at_data(NetBuffer);
    if (!c.mdl)
        return NULL;
    PUCHAR here = cursor_address(&c);
    if (cursor_span(&c) >= BytesNeeded && address_aligned(here, AlignMultiple, AlignOffset))
        return here;
    if (!Storage)
        return NULL;
    return cursor_copy_out(&c, Storage, BytesNeeded) == BytesNeeded ? Storage : NULL;
}

PVOID NdisGetDataBuffer(PNET_BUFFER NetBuffer, ULONG BytesNeeded, PVOID Storage, UINT AlignMultiple,
                        UINT AlignOffset)
{
    /* Fast path: the bytes lie in the current MDL and no alignment is asked for. */
    if (NDISBUF_LIKELY(NetBuffer && NetBuffer->CurrentMdl && AlignMultiple <= 1 && BytesNeeded &&
                       BytesNeeded <= NetBuffer->DataLength &&
                       NetBuffer->CurrentMdlOffset < NetBuffer->CurrentMdl->ByteCount &&
                       NetBuffer->CurrentMdl->ByteCount - NetBuffer->CurrentMdlOffset >= BytesNeeded)) {
        struct mdl_cursor c = {NetBuffer->CurrentMdl, NetBuffer->CurrentMdlOffset};
        return cursor_address(&c);
    }
    return data_buffer_careful(NetBuffer, BytesNeeded, Storage, AlignMultiple, AlignOffset);
}

/* A cursor `offset` bytes after an NB's current data start (mdl NULL if past the chain). */
static struct mdl_cursor cursor_at_offset(const NET_BUFFER *nb, ULONG offset)
{
    struct mdl_cursor c = cursor_at_data(nb);
    if (cursor_seek(&c, offset) < offset)
        c.mdl = NULL;
    return c;
}

NDIS_STATUS NdisCopyFromNetBufferToNetBuffer(PNET_BUFFER Destination, ULONG DestinationOffset, ULONG BytesToCopy,
                                             PNET_BUFFER Source, ULONG SourceOffset, PULONG BytesCopied)
{
    const char *fn = "NdisCopyFromNetBufferToNetBuffer";
    if (!Destination || !Source || !BytesCopied) {
        vf_diagnostic(fn, "Destination %p, Source %p and BytesCopied %p must all be given", (void *)Destination,
                      (void *)Source, (void *)BytesCopied);
        return NDIS_STATUS_FAILURE;
    }
    struct mdl_cursor dst = cursor_at_offset(Destination, DestinationOffset);
    struct mdl_cursor src = cursor_at_offset(Source, SourceOffset);
    ULONG done = 0;
    while (dst.mdl && src.mdl && done < BytesToCopy) {
        ULONG step = BytesToCopy - done;
        if (cursor_span(&dst) < step)
            step = cursor_span(&dst);
        if (cursor_span(&src) < step)
            step = cursor_span(&src);
        memmove(cursor_address(&dst), cursor_address(&src), step);
        done += step;
        cursor_seek(&dst, step);
        cursor_seek(&src, step);
    }
    *BytesCopied = done;
    return NDIS_STATUS_SUCCESS;
}
