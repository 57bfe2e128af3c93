/* SPDX-License-Identifier: MIT */
/*
 * The NDIS 5.1 protocol shim: receives (docs/ndis5.md, "Running over the
 * NDIS 6 stack").
 *
 * Every NET_BUFFER of every received NBL becomes a packet from the
 * binding's receive packet pool whose buffer descriptors describe the
 * NET_BUFFER's data where it lies: the first from CurrentMdl at
 * CurrentMdlOffset, each cut to what is left of DataLength (so the last
 * MDL's bytes beyond the data are not described). Nothing is copied.
 *
 * ProtocolReceivePacket gets each packet. Without NDIS_RECEIVE_FLAGS_RESOURCES
 * the packet's status is NDIS_STATUS_SUCCESS and a count above zero keeps
 * it until that many NdisReturnPackets calls; the NBL goes back down once
 * all its packets are back. With the flag the status is
 * NDIS_STATUS_RESOURCES, the count is ignored and the packet is taken back
 * when the handler returns. A protocol without ProtocolReceivePacket gets
 * ProtocolReceive for each frame (the header, then the rest of the frame as
 * lookahead: the whole frame is always there) and ProtocolReceiveComplete
 * after each indication.
 *
 * Bookkeeping lives in the areas NDIS 5 gives the indicating side of a
 * packet (MiniportReserved: the binding and the NBL; WrapperReserved: the
 * return count and a tag), and in the NBL's ProtocolReserved, the shim's
 * as the NDIS 6 protocol holding it (how many of its packets are out). All
 * of it changes under the binding's lock.
 */
#include <stdlib.h>
#include <string.h>

#include "ndis5/n5.h"
#include "ndis5/translate.h"
#include "verify/verify.h"

/* A received packet's slots: MiniportReserved {binding, NBL}, WrapperReserved {returns left, tag}. */
#define XL_RX_BINDING(_P) ((xl_binding *)xl_slot_get((_P)->MiniportReserved, 0))
#define XL_RX_SET_BINDING(_P, _B) xl_slot_set((_P)->MiniportReserved, 0, (ULONG_PTR)(_B))
#define XL_RX_NBL(_P) ((PNET_BUFFER_LIST)xl_slot_get((_P)->MiniportReserved, 1))
#define XL_RX_SET_NBL(_P, _N) xl_slot_set((_P)->MiniportReserved, 1, (ULONG_PTR)(_N))
#define XL_RX_RETURNS(_P) ((LONG_PTR)xl_slot_get((_P)->WrapperReserved, 0))
#define XL_RX_SET_RETURNS(_P, _V) xl_slot_set((_P)->WrapperReserved, 0, (ULONG_PTR)(_V))
#define XL_RX_TAG(_P) xl_slot_get((_P)->WrapperReserved, 1)
#define XL_RX_SET_TAG(_P, _V) xl_slot_set((_P)->WrapperReserved, 1, (ULONG_PTR)(_V))

/* XL_RX_TAG while ProtocolReceivePacket runs (returns are counted, nothing is released). */
#define XL_PACKET_MAGIC_INDICATING (XL_PACKET_MAGIC ^ 1u)
#define XL_LOOKAHEAD_MAGIC 0x3543584Cu /* "LXC5": a MacReceiveContext of the shim */
#define XL_STACK_FRAME 2048u           /* frames up to this size are made contiguous on the stack */

/* Packets of a received NBL still out (its ProtocolReserved[0]), changed by delta; the new count. */
static LONG_PTR xl_nbl_packets_add(PNET_BUFFER_LIST nbl, LONG_PTR delta)
{
    LONG_PTR count = (LONG_PTR)xl_slot_get(nbl->ProtocolReserved, 0) + delta;
    xl_slot_set(nbl->ProtocolReserved, 0, (ULONG_PTR)count);
    return count;
}

/* What ProtocolReceive gets as MacReceiveContext. */
typedef struct xl_lookahead {
    uint32_t magic;
    xl_binding *binding;
    PNET_BUFFER nb;
    PNDIS_PACKET packet; /* made by NdisGetReceivedPacket, released after ProtocolReceive */
} xl_lookahead;

/* ---- packets over a NET_BUFFER's data ---- */

static void xl_free_rx_packet(PNDIS_PACKET packet)
{
    PNDIS_BUFFER buffer;
    XL_RX_SET_TAG(packet, 0);
    for (NdisUnchainBufferAtFront(packet, &buffer); buffer; NdisUnchainBufferAtFront(packet, &buffer))
        NdisFreeBuffer(buffer);
    NdisFreePacket(packet);
}

/* Chains descriptors over exactly the NB's DataLength bytes from CurrentMdl at CurrentMdlOffset. */
static bool xl_describe(xl_binding *b, PNDIS_PACKET packet, PNET_BUFFER nb)
{
    ULONG left = NET_BUFFER_DATA_LENGTH(nb);
    ULONG offset = NET_BUFFER_CURRENT_MDL_OFFSET(nb);
    for (PMDL mdl = NET_BUFFER_CURRENT_MDL(nb); left; mdl = mdl->Next, offset = 0) {
        if (!mdl) {
            vf_diagnostic("ProtocolReceivePacket", "a received NET_BUFFER's MDLs end %u bytes short of its "
                          "DataLength; dropped", left);
            return false;
        }
        ULONG bytes = MmGetMdlByteCount(mdl);
        if (offset >= bytes)
            continue;
        ULONG take = bytes - offset < left ? bytes - offset : left;
        PUCHAR va = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
        NDIS_STATUS status = NDIS_STATUS_FAILURE;
        PNDIS_BUFFER buffer = NULL;
        if (va)
            NdisAllocateBuffer(&status, &buffer, b->rx_buffer_pool, va + offset, take);
        if (status != NDIS_STATUS_SUCCESS)
            return false;
        NdisChainBufferAtBack(packet, buffer);
        left -= take;
    }
    return true;
}

/* A packet describing the NB's data, or NULL (empty, no descriptor left, or malformed: dropped). */
static PNDIS_PACKET xl_make_packet(xl_binding *b, PNET_BUFFER nb)
{
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
    PNDIS_PACKET packet = NULL;
    if (!NET_BUFFER_DATA_LENGTH(nb))
        return NULL;
    NdisAllocatePacket(&status, &packet, b->rx_packet_pool);
    if (status != NDIS_STATUS_SUCCESS)
        return NULL;
    XL_RX_SET_TAG(packet, XL_PACKET_MAGIC_INDICATING);
    XL_RX_SET_BINDING(packet, b);
    XL_RX_SET_NBL(packet, NULL);
    XL_RX_SET_RETURNS(packet, 0);
    if (!xl_describe(b, packet, nb)) {
        xl_free_rx_packet(packet);
        return NULL;
    }
    NDIS_SET_PACKET_HEADER_SIZE(packet, XL_ETHERNET_HEADER);
    return packet;
}

/*
 * A kept packet is done: its descriptors go back. True when it was the
 * last packet out of its NBL (the caller returns the NBL). Lock held.
 */
static bool xl_release_locked(PNDIS_PACKET packet)
{
    PNET_BUFFER_LIST nbl = XL_RX_NBL(packet);
    xl_free_rx_packet(packet);
    return xl_nbl_packets_add(nbl, -1) == 0;
}

/* ---- ProtocolReceivePacket ---- */

/*
 * Indicates one packet of an NBL the shim holds: kept for as many returns
 * as ProtocolReceivePacket announces, released at once for none.
 */
static void xl_indicate_kept(xl_binding *b, PNET_BUFFER_LIST nbl, PNET_BUFFER nb)
{
    PNDIS_PACKET packet = xl_make_packet(b, nb);
    if (!packet)
        return;
    XL_RX_SET_NBL(packet, nbl);
    NDIS_SET_PACKET_STATUS(packet, NDIS_STATUS_SUCCESS);
    pthread_mutex_lock(&b->lock);
    xl_nbl_packets_add(nbl, 1);
    pthread_mutex_unlock(&b->lock);

    INT announced = b->protocol->chars.ReceivePacketHandler(b->context5, packet);

    pthread_mutex_lock(&b->lock);
    /* Returns may already have come (negative count) from another thread. */
    LONG_PTR left = XL_RX_RETURNS(packet) + (announced > 0 ? announced : 0);
    XL_RX_SET_RETURNS(packet, left);
    XL_RX_SET_TAG(packet, XL_PACKET_MAGIC);
    if (left > 0)
        b->packets_held++;
    else
        xl_release_locked(packet); /* the NBL still counts its guard: never the last here */
    pthread_mutex_unlock(&b->lock);
    if (left < 0)
        vf_diagnostic("ProtocolReceivePacket", "a packet was returned %ld times more than the handler "
                      "announced", (long)-left);
}

/* With NDIS_RECEIVE_FLAGS_RESOURCES: the packet is lent for the call only, the NBL is not ours. */
static void xl_indicate_lent(xl_binding *b, PNET_BUFFER nb)
{
    PNDIS_PACKET packet = xl_make_packet(b, nb);
    if (!packet)
        return;
    NDIS_SET_PACKET_STATUS(packet, NDIS_STATUS_RESOURCES);
    (void)b->protocol->chars.ReceivePacketHandler(b->context5, packet); /* must copy; its count is ignored */
    xl_free_rx_packet(packet);
}

static void xl_receive_packets(xl_binding *b, PNET_BUFFER_LIST chain, ULONG flags)
{
    bool lent = (flags & NDIS_RECEIVE_FLAGS_RESOURCES) != 0;
    PNET_BUFFER_LIST done = NULL, *tail = &done;
    for (PNET_BUFFER_LIST nbl = chain, next; nbl; nbl = next) {
        next = nbl->Next;
        if (lent) {
            for (PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb; nb = NET_BUFFER_NEXT_NB(nb))
                xl_indicate_lent(b, nb);
            continue;
        }
        nbl->Next = NULL;
        xl_slot_set(nbl->ProtocolReserved, 0, 1); /* a guard while its packets are indicated */
        for (PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb; nb = NET_BUFFER_NEXT_NB(nb))
            xl_indicate_kept(b, nbl, nb);
        pthread_mutex_lock(&b->lock);
        bool last = xl_nbl_packets_add(nbl, -1) == 0;
        pthread_mutex_unlock(&b->lock);
        if (last) {
            *tail = nbl;
            tail = &nbl->Next;
        }
    }
    if (done)
        NdisReturnNetBufferLists(b->binding6, done,
                                 (flags & NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL) ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL : 0);
}

/* ---- ProtocolReceive ---- */

/* ProtocolReceive for one frame: the header, the rest as lookahead, all of it contiguous. */
static void xl_indicate_lookahead(xl_binding *b, PNET_BUFFER nb)
{
    ULONG length = NET_BUFFER_DATA_LENGTH(nb);
    UCHAR small[XL_STACK_FRAME];
    PUCHAR storage = length <= sizeof(small) ? small : malloc(length);
    PUCHAR data = storage ? NdisGetDataBuffer(nb, length, storage, 1, 0) : NULL;
    if (!length || !data) {
        if (length)
            vf_diagnostic("ProtocolReceive", "no memory to make a %u-byte frame contiguous; dropped", length);
        if (storage != small)
            free(storage);
        return;
    }
    UINT header = length < XL_ETHERNET_HEADER ? length : XL_ETHERNET_HEADER;
    xl_lookahead context = {XL_LOOKAHEAD_MAGIC, b, nb, NULL};
    (void)b->protocol->chars.ReceiveHandler(b->context5, &context, data, header, data + header, length - header,
                                            length - header);
    context.magic = 0;
    if (context.packet)
        xl_free_rx_packet(context.packet);
    if (storage != small)
        free(storage);
}

static void xl_receive_lookahead(xl_binding *b, PNET_BUFFER_LIST chain, ULONG flags)
{
    for (PNET_BUFFER_LIST nbl = chain; nbl; nbl = nbl->Next)
        for (PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb; nb = NET_BUFFER_NEXT_NB(nb))
            xl_indicate_lookahead(b, nb);
    if (b->protocol->chars.ReceiveCompleteHandler)
        b->protocol->chars.ReceiveCompleteHandler(b->context5);
    if (!(flags & NDIS_RECEIVE_FLAGS_RESOURCES))
        NdisReturnNetBufferLists(b->binding6, chain,
                                 (flags & NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL) ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL : 0);
}

VOID xl_receive(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferLists, NDIS_PORT_NUMBER PortNumber,
                ULONG NumberOfNetBufferLists, ULONG ReceiveFlags)
{
    xl_binding *b = ProtocolBindingContext;
    (void)PortNumber;
    (void)NumberOfNetBufferLists;
    if (b->protocol->chars.ReceivePacketHandler)
        xl_receive_packets(b, NetBufferLists, ReceiveFlags);
    else
        xl_receive_lookahead(b, NetBufferLists, ReceiveFlags);
}

/* ---- the 5.1 calls ---- */

PNDIS_PACKET NdisGetReceivedPacket(NDIS_HANDLE NdisBindingHandle, NDIS_HANDLE MacContext)
{
    static const char fn[] = "NdisGetReceivedPacket";
    xl_lookahead *context = MacContext;
    if (!context || context->magic != XL_LOOKAHEAD_MAGIC || context->binding != NdisBindingHandle) {
        vf_diagnostic(fn, "MacContext %p is not the MacReceiveContext of a ProtocolReceive running on "
                      "binding %p", MacContext, NdisBindingHandle);
        return NULL;
    }
    if (!context->packet) {
        context->packet = xl_make_packet(context->binding, context->nb);
        if (context->packet) {
            /* never returned by the protocol: released by the shim after ProtocolReceive */
            NDIS_SET_PACKET_STATUS(context->packet, NDIS_STATUS_RESOURCES);
        }
    }
    return context->packet;
}

/* The binding of a live packet of a shim's receive pool, or NULL after a diagnostic. */
static xl_binding *xl_returnable(PNDIS_PACKET packet, const char *fn)
{
    struct n5_obj obj;
    n5_classify(packet, &obj);
    /* Looked up, not followed: a packet of another pool has anything in MiniportReserved. */
    xl_binding *b = obj.kind == N5_PACKET && obj.header->state == ELEM_LIVE ? xl_binding_lookup(XL_RX_BINDING(packet))
                                                                          : NULL;
    if (!b || NdisGetPoolFromPacket(packet) != b->rx_packet_pool) {
        vf_diagnostic(fn, "%p is not a received packet out with the protocol (already given back, or not "
                      "indicated by NDIS); skipped", (void *)packet);
        return NULL;
    }
    return b;
}

/* One return of a kept packet; when its count is used up, it and maybe its NBL go back. */
static void xl_return_one(PNDIS_PACKET packet, const char *fn)
{
    xl_binding *b = xl_returnable(packet, fn);
    if (!b)
        return;
    PNET_BUFFER_LIST nbl = NULL;
    bool kept = false, released = false;
    pthread_mutex_lock(&b->lock);
    ULONG_PTR tag = XL_RX_TAG(packet);
    kept = (tag == XL_PACKET_MAGIC || tag == XL_PACKET_MAGIC_INDICATING) && XL_RX_NBL(packet);
    LONG_PTR left = kept ? XL_RX_RETURNS(packet) - 1 : 0;
    if (kept)
        XL_RX_SET_RETURNS(packet, left);
    if (kept && left == 0 && tag == XL_PACKET_MAGIC) {
        nbl = XL_RX_NBL(packet);
        b->packets_held--;
        released = true;
        if (!xl_release_locked(packet))
            nbl = NULL;
    }
    NDIS_HANDLE binding6 = b->binding6;
    pthread_mutex_unlock(&b->lock);
    if (!kept)
        vf_diagnostic(fn, "packet %p was lent for the indication only (NDIS_STATUS_RESOURCES, or "
                      "NdisGetReceivedPacket); skipped", (void *)packet);
    if (nbl)
        NdisReturnNetBufferLists(binding6, nbl, 0);
    if (released)
        xl_maybe_finish_pause(b);
}

VOID NdisReturnPackets(PNDIS_PACKET *PacketsToReturn, UINT NumberOfPackets)
{
    static const char fn[] = "NdisReturnPackets";
    if (!PacketsToReturn && NumberOfPackets) {
        vf_diagnostic(fn, "PacketsToReturn is NULL");
        return;
    }
    for (UINT i = 0; i < NumberOfPackets; i++)
        xl_return_one(PacketsToReturn[i], fn);
}
