/* SPDX-License-Identifier: MIT */
/*
 * Buffer chains on NDIS 5 packets: linking, unlinking and the counts.
 *
 * Private.Head and Private.Tail always describe the chain; Count,
 * TotalLength and PhysicalCount are a cache, valid while ValidCounts is
 * TRUE. Every change of the chain clears ValidCounts and the next
 * NdisQueryPacket recounts (one walk), as the documentation describes; a
 * driver that changes a chained buffer's length clears it itself
 * (NDIS_PACKET_VALID_COUNTS(Packet) = FALSE). Chain calls accept a whole
 * chain of buffers. Walks are bounded (N5_CHAIN_MAX), so a chain that
 * loops makes a call give up with a diagnostic instead of spinning.
 */
#include "n5.h"
#include "verify/verify.h"

static bool not_null(const void *object, const char *what, const char *fn)
{
    if (NDISBUF_LIKELY(object != NULL))
        return true;
    ULONG_PTR params[4] = {0, 0, 0, 0};
    vf_report(NDISBUF_REPORT_NULL_OBJECT, fn, NULL, params, "the %s is NULL", what);
    return false;
}

/* The last buffer of the chain from `first`, or NULL (with a diagnostic) when it does not end. */
static PNDIS_BUFFER chain_last(PNDIS_BUFFER first, const char *fn)
{
    PNDIS_BUFFER last = first;
    for (ULONG n = 1; last->Next; n++) {
        if (NDISBUF_UNLIKELY(n >= N5_CHAIN_MAX)) {
            vf_diagnostic(fn, "the buffer chain from %p does not end within %u descriptors (a loop?); "
                              "nothing was linked", (void *)first, N5_CHAIN_MAX);
            return NULL;
        }
        last = last->Next;
    }
    return last;
}

VOID NdisChainBufferAtFront(PNDIS_PACKET Packet, PNDIS_BUFFER Buffer)
{
    const char *fn = "NdisChainBufferAtFront";
    if (!not_null(Packet, "NDIS_PACKET", fn) || !not_null(Buffer, "NDIS_BUFFER", fn))
        return;
    PNDIS_BUFFER last = chain_last(Buffer, fn);
    if (!last)
        return;
    last->Next = Packet->Private.Head;
    if (!Packet->Private.Head)
        Packet->Private.Tail = last;
    Packet->Private.Head = Buffer;
    Packet->Private.ValidCounts = FALSE;
}

VOID NdisChainBufferAtBack(PNDIS_PACKET Packet, PNDIS_BUFFER Buffer)
{
    const char *fn = "NdisChainBufferAtBack";
    if (!not_null(Packet, "NDIS_PACKET", fn) || !not_null(Buffer, "NDIS_BUFFER", fn))
        return;
    PNDIS_BUFFER last = chain_last(Buffer, fn);
    if (!last)
        return;
    if (Packet->Private.Head)
        Packet->Private.Tail->Next = Buffer;
    else
        Packet->Private.Head = Buffer;
    Packet->Private.Tail = last;
    Packet->Private.ValidCounts = FALSE;
}

VOID NdisUnchainBufferAtFront(PNDIS_PACKET Packet, PNDIS_BUFFER *Buffer)
{
    const char *fn = "NdisUnchainBufferAtFront";
    if (!not_null(Buffer, "Buffer output", fn))
        return;
    *Buffer = NULL;
    if (!not_null(Packet, "NDIS_PACKET", fn) || !Packet->Private.Head)
        return;
    PNDIS_BUFFER first = Packet->Private.Head;
    Packet->Private.Head = first->Next;
    if (!Packet->Private.Head)
        Packet->Private.Tail = NULL;
    first->Next = NULL;
    Packet->Private.ValidCounts = FALSE;
    *Buffer = first;
}

VOID NdisUnchainBufferAtBack(PNDIS_PACKET Packet, PNDIS_BUFFER *Buffer)
{
    const char *fn = "NdisUnchainBufferAtBack";
    if (!not_null(Buffer, "Buffer output", fn))
        return;
    *Buffer = NULL;
    if (!not_null(Packet, "NDIS_PACKET", fn) || !Packet->Private.Head)
        return;
    PNDIS_BUFFER before = NULL, last = Packet->Private.Head;
    for (ULONG n = 1; last->Next; n++) {
        if (NDISBUF_UNLIKELY(n >= N5_CHAIN_MAX)) {
            vf_diagnostic(fn, "the chain of packet %p does not end within %u descriptors (a loop?); "
                              "nothing was unlinked", (void *)Packet, N5_CHAIN_MAX);
            return;
        }
        before = last;
        last = last->Next;
    }
    if (before)
        before->Next = NULL;
    else
        Packet->Private.Head = NULL;
    Packet->Private.Tail = before;
    Packet->Private.ValidCounts = FALSE;
    *Buffer = last;
}

void n5_packet_counts(PNDIS_PACKET packet)
{
    if (packet->Private.ValidCounts)
        return;
    UINT count = 0, total = 0, pages = 0;
    for (PNDIS_BUFFER b = packet->Private.Head; b; b = b->Next) {
        if (NDISBUF_UNLIKELY(count >= N5_CHAIN_MAX)) {
            vf_diagnostic("NdisQueryPacket", "the chain of packet %p does not end within %u descriptors "
                          "(a loop?); counted the first ones", (void *)packet, N5_CHAIN_MAX);
            break;
        }
        count++;
        total += MmGetMdlByteCount(b);
        pages += ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(b), MmGetMdlByteCount(b));
    }
    packet->Private.Count = count;
    packet->Private.TotalLength = total;
    packet->Private.PhysicalCount = pages;
    packet->Private.ValidCounts = TRUE;
}

VOID NdisQueryPacket(PNDIS_PACKET Packet, PUINT PhysicalBufferCount, PUINT BufferCount, PNDIS_BUFFER *FirstBuffer,
                     PUINT TotalPacketLength)
{
    if (NDISBUF_UNLIKELY(!Packet)) {
        if (PhysicalBufferCount)
            *PhysicalBufferCount = 0;
        if (BufferCount)
            *BufferCount = 0;
        if (FirstBuffer)
            *FirstBuffer = NULL;
        if (TotalPacketLength)
            *TotalPacketLength = 0;
        not_null(Packet, "NDIS_PACKET", "NdisQueryPacket");
        return;
    }
    if (PhysicalBufferCount || BufferCount || TotalPacketLength)
        n5_packet_counts(Packet);
    if (PhysicalBufferCount)
        *PhysicalBufferCount = Packet->Private.PhysicalCount;
    if (BufferCount)
        *BufferCount = Packet->Private.Count;
    if (FirstBuffer)
        *FirstBuffer = Packet->Private.Head;
    if (TotalPacketLength)
        *TotalPacketLength = Packet->Private.TotalLength;
}

VOID NdisQueryPacketLength(PNDIS_PACKET Packet, PUINT TotalPacketLength)
{
    NdisQueryPacket(Packet, NULL, NULL, NULL, TotalPacketLength);
}

static void first_buffer(PNDIS_PACKET packet, PNDIS_BUFFER *first, PVOID *va, PUINT length, PUINT total,
                         ULONG priority, const char *fn)
{
    if (!first || !va || !length || !total) {
        not_null(NULL, "output (every output of this call is required)", fn);
        return;
    }
    *first = NULL;
    *va = NULL;
    *length = 0;
    *total = 0;
    if (!not_null(packet, "NDIS_PACKET", fn))
        return;
    n5_packet_counts(packet);
    PNDIS_BUFFER head = packet->Private.Head;
    *first = head;
    *total = packet->Private.TotalLength;
    if (head) {
        *va = MmGetSystemAddressForMdlSafe(head, priority);
        *length = MmGetMdlByteCount(head);
    }
}

VOID NdisGetFirstBufferFromPacket(PNDIS_PACKET Packet, PNDIS_BUFFER *FirstBuffer, PVOID *FirstBufferVA,
                                  PUINT FirstBufferLength, PUINT TotalBufferLength)
{
    first_buffer(Packet, FirstBuffer, FirstBufferVA, FirstBufferLength, TotalBufferLength, NormalPagePriority,
                 "NdisGetFirstBufferFromPacket");
}

VOID NdisGetFirstBufferFromPacketSafe(PNDIS_PACKET Packet, PNDIS_BUFFER *FirstBuffer, PVOID *FirstBufferVA,
                                      PUINT FirstBufferLength, PUINT TotalBufferLength, MM_PAGE_PRIORITY Priority)
{
    first_buffer(Packet, FirstBuffer, FirstBufferVA, FirstBufferLength, TotalBufferLength, (ULONG)Priority,
                 "NdisGetFirstBufferFromPacketSafe");
}

/* A live buffer the library gave out (NdisAllocateBuffer, NdisAllocateMdl, IoAllocateMdl). */
static bool live_library_buffer(PNDIS_BUFFER b, bool *freed)
{
    struct n5_obj obj;
    n5_classify(b, &obj);
    bool library = obj.kind == N5_BUFFER || (obj.kind == N5_CORE && obj.core_kind == OBJ_MDL);
    *freed = library && obj.header->state != ELEM_LIVE;
    return library && !*freed;
}

bool n5_chain_has_live_buffer(PNDIS_PACKET packet, PNDIS_BUFFER *live)
{
    ULONG n = 0;
    for (PNDIS_BUFFER b = packet->Private.Head; b && n < N5_CHAIN_MAX; n++) {
        bool freed;
        if (live_library_buffer(b, &freed)) {
            *live = b;
            return true;
        }
        if (freed)
            return false; /* the driver freed the chain's buffers: do not read them again */
        b = b->Next;
    }
    return false;
}
