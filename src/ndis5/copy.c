/* SPDX-License-Identifier: MIT */
/*
 * NdisCopyFromPacketToPacket(Safe): bytes from one packet's buffer chain to
 * another's, across buffer boundaries on both sides.
 *
 * Offsets count from the start of each chain (NDIS 5 packets have no data
 * offset). The copy goes piece by piece, each piece the largest run that is
 * contiguous in both chains, and stops when the source runs out of data or
 * the destination out of room. Neither chain changes.
 */
#include <string.h>

#include "n5.h"
#include "verify/verify.h"

/* A position in a buffer chain: the buffer and the offset within it. */
struct cursor {
    PNDIS_BUFFER buffer;
    ULONG offset;
    ULONG steps;
};

/* Moves the cursor to the first byte at or after `skip` bytes on; false when the chain ends first. */
static bool cursor_seek(struct cursor *c, PNDIS_BUFFER head, UINT skip)
{
    *c = (struct cursor){.buffer = head};
    while (c->buffer && c->steps < N5_CHAIN_MAX) {
        ULONG length = MmGetMdlByteCount(c->buffer);
        if (skip < length) {
            c->offset = skip;
            return true;
        }
        skip -= length;
        c->buffer = c->buffer->Next;
        c->steps++;
    }
    c->buffer = NULL;
    return false;
}

/* Bytes left in the current buffer, stepping over exhausted (and empty) buffers; 0 at the end. */
static ULONG cursor_run(struct cursor *c)
{
    while (c->buffer && c->steps < N5_CHAIN_MAX) {
        ULONG length = MmGetMdlByteCount(c->buffer);
        if (c->offset < length)
            return length - c->offset;
        c->buffer = c->buffer->Next;
        c->offset = 0;
        c->steps++;
    }
    return 0;
}

static PUCHAR cursor_address(const struct cursor *c, ULONG priority)
{
    return (PUCHAR)MmGetSystemAddressForMdlSafe(c->buffer, priority) + c->offset;
}

static UINT copy_chains(PNDIS_BUFFER dst_head, UINT dst_offset, UINT bytes, PNDIS_BUFFER src_head,
                        UINT src_offset, ULONG priority)
{
    struct cursor dst, src;
    if (!bytes || !cursor_seek(&dst, dst_head, dst_offset) || !cursor_seek(&src, src_head, src_offset))
        return 0;
    UINT copied = 0;
    while (copied < bytes) {
        ULONG run = cursor_run(&src), room = cursor_run(&dst);
        if (!run || !room)
            break;
        ULONG piece = run < room ? run : room;
        if (piece > bytes - copied)
            piece = bytes - copied;
        memmove(cursor_address(&dst, priority), cursor_address(&src, priority), piece);
        dst.offset += piece;
        src.offset += piece;
        copied += piece;
    }
    return copied;
}

static void copy_packets(PNDIS_PACKET dst, UINT dst_offset, UINT bytes, PNDIS_PACKET src, UINT src_offset,
                         PUINT copied, ULONG priority, const char *fn)
{
    if (copied)
        *copied = 0;
    if (!dst || !src || !copied) {
        ULONG_PTR params[4] = {(ULONG_PTR)dst, (ULONG_PTR)src, (ULONG_PTR)copied, 0};
        vf_report(NDISBUF_REPORT_NULL_OBJECT, fn, NULL, params, "%s is NULL",
                  !dst ? "Destination" : !src ? "Source" : "BytesCopied");
        return;
    }
    *copied = copy_chains(dst->Private.Head, dst_offset, bytes, src->Private.Head, src_offset, priority);
}

VOID NdisCopyFromPacketToPacket(PNDIS_PACKET Destination, UINT DestinationOffset, UINT BytesToCopy,
                                PNDIS_PACKET Source, UINT SourceOffset, PUINT BytesCopied)
{
    copy_packets(Destination, DestinationOffset, BytesToCopy, Source, SourceOffset, BytesCopied,
                 NormalPagePriority, "NdisCopyFromPacketToPacket");
}

VOID NdisCopyFromPacketToPacketSafe(PNDIS_PACKET Destination, UINT DestinationOffset, UINT BytesToCopy,
                                    PNDIS_PACKET Source, UINT SourceOffset, PUINT BytesCopied,
                                    MM_PAGE_PRIORITY Priority)
{
    copy_packets(Destination, DestinationOffset, BytesToCopy, Source, SourceOffset, BytesCopied, (ULONG)Priority,
                 "NdisCopyFromPacketToPacketSafe");
}
