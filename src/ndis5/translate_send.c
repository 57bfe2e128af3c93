/* SPDX-License-Identifier: MIT */
/*
 * The NDIS 5.1 protocol shim: sends (docs/ndis5.md, "Running over the
 * NDIS 6 stack").
 *
 * Each packet goes down as an NBL from the binding's pool with exactly one
 * NET_BUFFER whose MDL chain is the packet's own buffer chain (Head), from
 * offset 0 for the packet's total length: nothing is copied, the layers
 * below see the protocol's memory. The NBL's ProtocolReserved (the shim's,
 * as the NDIS 6 protocol that sends it) holds the packet, so the
 * completion calls ProtocolSendComplete with that packet and the NBL's
 * status, whatever order the NBLs come back in.
 *
 * An NDIS 5.1 protocol knows no pause. While the binding is not running,
 * sends are queued in order (linked through the packet's WrapperReserved,
 * which belongs to NDIS) and a thread of the binding sends them once the
 * stack runs again, as NDIS 5 queued sends a busy miniport could not take;
 * a send the stack refused because it was pausing (NDIS_STATUS_PAUSED) is
 * queued again the same way. An unbind completes whatever is still queued
 * with NDIS_STATUS_CLOSING before the 5.1 ProtocolUnbindAdapter runs.
 */
#include <string.h>
#include <unistd.h>

#include "ndis5/n5.h"
#include "ndis5/translate.h"
#include "verify/verify.h"

/* The next packet in the binding's queue (the packet's WrapperReserved). */
#define XL_QUEUE_NEXT(_Packet) ((PNDIS_PACKET)xl_slot_get((_Packet)->WrapperReserved, 0))
#define XL_SET_QUEUE_NEXT(_Packet, _Next) xl_slot_set((_Packet)->WrapperReserved, 0, (ULONG_PTR)(_Next))
/* What a send NBL carries in its ProtocolReserved: the packet, and its first buffer. */
#define XL_NBL_PACKET(_Nbl) ((PNDIS_PACKET)(_Nbl)->ProtocolReserved[0])
#define XL_NBL_HEAD(_Nbl) ((PNDIS_BUFFER)(_Nbl)->ProtocolReserved[1])

static void xl_complete_packet(xl_binding *b, PNDIS_PACKET packet, NDIS_STATUS status)
{
    n5_packet_unmark_sending(packet);
    NDIS_SET_PACKET_STATUS(packet, status);
    b->protocol->chars.SendCompleteHandler(b->context5, packet, status);
}

static void xl_complete_list(xl_binding *b, PNDIS_PACKET list, NDIS_STATUS status)
{
    for (PNDIS_PACKET next; list; list = next) {
        next = XL_QUEUE_NEXT(list);
        XL_SET_QUEUE_NEXT(list, NULL);
        xl_complete_packet(b, list, status);
    }
}

/* count packets sent down are back (completed, or failed before going down). */
static void xl_sends_done(xl_binding *b, ULONG64 count)
{
    if (!count)
        return;
    pthread_mutex_lock(&b->lock);
    b->sends_out -= count;
    pthread_mutex_unlock(&b->lock);
    xl_maybe_finish_pause(b);
}

/* An NBL with one NB over the packet's chain, or NULL with *status saying why not. */
static PNET_BUFFER_LIST xl_wrap(xl_binding *b, NDIS_HANDLE pool, USHORT context, PNDIS_PACKET packet,
                                NDIS_STATUS *status)
{
    PNDIS_BUFFER head = NULL;
    UINT total = 0;
    NdisQueryPacket(packet, NULL, NULL, &head, &total);
    if (!head || total == 0) {
        vf_diagnostic("NdisSend", "packet %p has no data (no buffer chained, or %u bytes)", (void *)packet, total);
        *status = NDIS_STATUS_INVALID_PACKET;
        return NULL;
    }
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(pool, 0, context, head, 0, total);
    if (!nbl) {
        *status = NDIS_STATUS_RESOURCES;
        return NULL;
    }
    nbl->SourceHandle = b->binding6;
    nbl->ProtocolReserved[0] = packet;
    nbl->ProtocolReserved[1] = head;
    return nbl;
}

/* Sends a list of packets already counted in sends_out, as one NBL chain in order. */
static void xl_dispatch(xl_binding *b, PNDIS_PACKET list)
{
    pthread_mutex_lock(&b->lock); /* the pool is stable while sends are out */
    NDIS_HANDLE pool = b->nbl_pool;
    USHORT context = (USHORT)b->context_backfill;
    pthread_mutex_unlock(&b->lock);
    PNET_BUFFER_LIST head = NULL, *tail = &head;
    ULONG64 failed = 0;
    for (PNDIS_PACKET next; list; list = next) {
        next = XL_QUEUE_NEXT(list);
        XL_SET_QUEUE_NEXT(list, NULL);
        NDIS_STATUS status = NDIS_STATUS_SUCCESS;
        PNET_BUFFER_LIST nbl = xl_wrap(b, pool, context, list, &status);
        if (nbl) {
            *tail = nbl;
            tail = &nbl->Next;
        } else {
            xl_complete_packet(b, list, status);
            failed++;
        }
    }
    xl_sends_done(b, failed);
    if (head)
        NdisSendNetBufferLists(b->binding6, head, NDIS_DEFAULT_PORT_NUMBER, 0);
}

/* Sends the list now, queues it behind what waits for a restart, or fails it on a closing binding. */
static void xl_submit(xl_binding *b, PNDIS_PACKET head, PNDIS_PACKET tail, ULONG count)
{
    pthread_mutex_lock(&b->lock);
    if (b->state == XL_CLOSING || !b->opened) {
        pthread_mutex_unlock(&b->lock);
        xl_complete_list(b, head, NDIS_STATUS_CLOSING);
        return;
    }
    if (b->state == XL_RUNNING && !b->queue_head) {
        b->sends_out += count;
        pthread_mutex_unlock(&b->lock);
        xl_dispatch(b, head);
        return;
    }
    if (b->queue_tail)
        XL_SET_QUEUE_NEXT(b->queue_tail, head);
    else
        b->queue_head = head;
    b->queue_tail = tail;
    pthread_cond_broadcast(&b->changed);
    pthread_mutex_unlock(&b->lock);
}

VOID NdisSend(PNDIS_STATUS Status, NDIS_HANDLE NdisBindingHandle, PNDIS_PACKET Packet)
{
    static const char fn[] = "NdisSend";
    if (!Status) {
        vf_diagnostic(fn, "Status is NULL");
        return;
    }
    xl_binding *b = xl_binding_fast(NdisBindingHandle, fn);
    if (!b) {
        *Status = NDIS_STATUS_CLOSING;
        return;
    }
    if (!Packet) {
        vf_diagnostic(fn, "Packet is NULL");
        *Status = NDIS_STATUS_INVALID_PACKET;
        return;
    }
    if (!n5_packet_mark_sending(Packet, fn)) {
        *Status = NDIS_STATUS_FAILURE; /* reported: the packet was left as it was */
        return;
    }
    /* Set first: ProtocolSendComplete may run before this call returns. */
    *Status = NDIS_STATUS_PENDING;
    NDIS_SET_PACKET_STATUS(Packet, NDIS_STATUS_PENDING);
    XL_SET_QUEUE_NEXT(Packet, NULL);
    xl_submit(b, Packet, Packet, 1);
}

VOID NdisSendPackets(NDIS_HANDLE NdisBindingHandle, PPNDIS_PACKET PacketArray, UINT NumberOfPackets)
{
    static const char fn[] = "NdisSendPackets";
    xl_binding *b = xl_binding_fast(NdisBindingHandle, fn);
    if (!b)
        return;
    if (!PacketArray && NumberOfPackets) {
        vf_diagnostic(fn, "PacketArray is NULL");
        return;
    }
    PNDIS_PACKET head = NULL, tail = NULL;
    ULONG count = 0;
    for (UINT i = 0; i < NumberOfPackets; i++) {
        PNDIS_PACKET packet = PacketArray[i];
        if (!packet) {
            vf_diagnostic(fn, "PacketArray[%u] is NULL; skipped", i);
            continue;
        }
        if (!n5_packet_mark_sending(packet, fn))
            continue; /* reported; the packet is left as it was */
        NDIS_SET_PACKET_STATUS(packet, NDIS_STATUS_PENDING);
        XL_SET_QUEUE_NEXT(packet, NULL);
        if (tail)
            XL_SET_QUEUE_NEXT(tail, packet);
        else
            head = packet;
        tail = packet;
        count++;
    }
    if (head)
        xl_submit(b, head, tail, count);
}

/* Whether the NB came back as it went down; a layer below that did not undo a change is named. */
static void xl_check_returned(PNET_BUFFER_LIST nbl)
{
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    if (nb && !NET_BUFFER_NEXT_NB(nb) && NET_BUFFER_FIRST_MDL(nb) == XL_NBL_HEAD(nbl) &&
        NET_BUFFER_DATA_OFFSET(nb) == 0)
        return;
    vf_diagnostic("ProtocolSendNetBufferListsComplete", "the NBL of packet %p came back changed (NET_BUFFERs, "
                  "MDL chain or data offset): a layer below did not undo what it did",
                  XL_NBL_PACKET(nbl));
}

/* Puts packets the stack refused while pausing back at the head of the queue (or fails them when closing). */
static void xl_requeue(xl_binding *b, PNDIS_PACKET head, PNDIS_PACKET tail)
{
    pthread_mutex_lock(&b->lock);
    bool closing = b->state == XL_CLOSING;
    if (!closing) {
        XL_SET_QUEUE_NEXT(tail, b->queue_head);
        b->queue_head = head;
        if (!b->queue_tail)
            b->queue_tail = tail;
        pthread_cond_broadcast(&b->changed);
    }
    pthread_mutex_unlock(&b->lock);
    if (closing)
        xl_complete_list(b, head, NDIS_STATUS_CLOSING);
}

VOID xl_send_complete(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferLists, ULONG SendCompleteFlags)
{
    xl_binding *b = ProtocolBindingContext;
    PNDIS_PACKET again_head = NULL, again_tail = NULL;
    ULONG64 count = 0;
    (void)SendCompleteFlags;
    for (PNET_BUFFER_LIST nbl = NetBufferLists, next; nbl; nbl = next) {
        next = nbl->Next;
        nbl->Next = NULL;
        PNDIS_PACKET packet = XL_NBL_PACKET(nbl);
        NDIS_STATUS status = NET_BUFFER_LIST_STATUS(nbl);
        xl_check_returned(nbl);
        NdisFreeNetBufferList(nbl);
        count++;
        if (status == NDIS_STATUS_PAUSED) { /* refused by a pausing stack: it goes again after the restart */
            XL_SET_QUEUE_NEXT(packet, NULL);
            if (again_tail)
                XL_SET_QUEUE_NEXT(again_tail, packet);
            else
                again_head = packet;
            again_tail = packet;
        } else {
            xl_complete_packet(b, packet, status);
        }
    }
    if (again_head)
        xl_requeue(b, again_head, again_tail);
    xl_sends_done(b, count);
}

/* ---- the queue and its thread ---- */

void xl_fail_queue(xl_binding *b, NDIS_STATUS status)
{
    pthread_mutex_lock(&b->lock);
    PNDIS_PACKET list = b->queue_head;
    b->queue_head = b->queue_tail = NULL;
    pthread_mutex_unlock(&b->lock);
    xl_complete_list(b, list, status);
}

/* Takes the whole queue and counts it as sent (lock held). */
static PNDIS_PACKET xl_take_queue_locked(xl_binding *b)
{
    PNDIS_PACKET list = b->queue_head;
    ULONG64 count = 0;
    for (PNDIS_PACKET p = list; p; p = XL_QUEUE_NEXT(p))
        count++;
    b->queue_head = b->queue_tail = NULL;
    b->sends_out += count;
    return list;
}

/*
 * Waits for queued packets on a running binding and sends them. The shim's
 * state turns Running in NetEventRestart, a moment before the stack lets
 * sends through, so the thread looks at the stack's state too and waits
 * that moment out.
 */
static void *xl_flusher_main(void *arg)
{
    xl_binding *b = arg;
    pthread_mutex_lock(&b->lock);
    while (!b->flusher_stop) {
        if (!b->queue_head || b->state != XL_RUNNING) {
            pthread_cond_wait(&b->changed, &b->lock);
            continue;
        }
        NDIS_HANDLE binding6 = b->binding6;
        pthread_mutex_unlock(&b->lock);
        bool running = ndisbuf_stack_state(binding6) == NdisbufStateRunning;
        if (!running)
            usleep(XL_FLUSH_POLL_US);
        pthread_mutex_lock(&b->lock);
        if (!running || b->flusher_stop || b->state != XL_RUNNING || !b->queue_head)
            continue;
        PNDIS_PACKET list = xl_take_queue_locked(b);
        pthread_mutex_unlock(&b->lock);
        xl_dispatch(b, list);
        pthread_mutex_lock(&b->lock);
    }
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

bool xl_flusher_start(xl_binding *b)
{
    b->flusher_stop = false;
    b->flusher_running = pthread_create(&b->flusher, NULL, xl_flusher_main, b) == 0;
    if (!b->flusher_running)
        vf_diagnostic("NdisOpenAdapter", "no thread for the binding's send queue");
    return b->flusher_running;
}

void xl_flusher_stop(xl_binding *b)
{
    if (!b->flusher_running)
        return;
    pthread_mutex_lock(&b->lock);
    b->flusher_stop = true;
    pthread_cond_broadcast(&b->changed);
    pthread_mutex_unlock(&b->lock);
    pthread_join(b->flusher, NULL);
    b->flusher_running = false;
}
