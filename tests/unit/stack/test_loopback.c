/* SPDX-License-Identifier: MIT */
/*
 * The loopback miniport (src/miniport/loopback.c) driven through the
 * binding stack by a small protocol driver: frames sent come back
 * byte-identical (one NBL per frame, whatever the sent NBL held, chained
 * MDLs and DataOffset honoured), oversize and runt frames complete with
 * NDIS_STATUS_INVALID_LENGTH and come back as nothing, a pause waits for
 * sends still in the miniport, receives come with NDIS_RECEIVE_FLAGS_RESOURCES
 * once the protocol holds most of the receive pool, OIDs answer as
 * documented, and 100000 frames leave every pool at zero outstanding.
 *
 * The test protocol ("tp", first half of this file) is shared with
 * test_afpacket_veth.c and test_tap.c, which include this file with
 * TP_PROTOCOL_ONLY defined. It stamps each frame with a sender id, a
 * sequence number and its length, fills the rest from those, and checks
 * every byte of every frame it receives.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

/* ====================================================================== */
/* The test protocol                                                       */
/* ====================================================================== */

#define TP_ETHERTYPE 0x88B5 /* IEEE local experimental */
#define TP_MAGIC 0x4E444246u /* "NDBF" */
#define TP_HEADER 25         /* Ethernet 14, magic 4, sender 1, sequence 4, length 2 */
#define TP_MAX_FRAME 2048
#define TP_WAIT_SECONDS 20
#define TP_TAG HARNESS_TAG('T', 'p', 'r', 't')
/* Helpers the tests call; a file that includes this one may leave some unused. */
#define TP_HELPER static __attribute__((unused))

/* One binding of the test protocol, with everything it saw. */
typedef struct tp_binding {
    NDIS_HANDLE binding;            /* NdisBindingHandle */
    NDIS_HANDLE bind_context;
    NDIS_HANDLE unbind_context;
    UCHAR mac[6];                   /* the adapter's, from the bind parameters */
    ULONG mtu;
    UCHAR sender;                   /* stamped in every frame this binding sends */
    UCHAR tx_dst[6], tx_src[6];     /* addresses of frames it sends */
    UCHAR rx_dst[6], rx_src[6];     /* addresses it expects on frames it receives */
    NDIS_HANDLE nbl_pool;           /* NBLs without NB */
    NDIS_HANDLE nb_pool;            /* NBs with TP_MAX_FRAME bytes of data */
    NDIS_HANDLE mdl_nb_pool;        /* NBs over caller MDL chains */
    pthread_t test_thread;

    pthread_mutex_t lock;
    pthread_cond_t changed;
    /* Under lock. */
    ULONG64 sent, completed, completed_ok, completed_paused, completed_invalid_length, completed_other;
    ULONG64 completed_on_test_thread_ok;  /* SUCCESS completions on the test's thread (never expected) */
    ULONG64 frames, receive_calls, resources_calls, resources_frames;
    ULONG64 bad_frames, foreign_frames, own_frames, out_of_order, multi_nb_receives;
    ULONG64 receives_on_test_thread;
    ULONG64 tagged_frames;          /* 802.1Q-tagged frames (foreign to the stamp check) */
    UCHAR last_tagged[TP_MAX_FRAME];
    ULONG last_tagged_length;
    ULONG next_seq;                 /* the sequence number expected next */
    ULONG max_nbls_per_indication;
    bool hold_receives;             /* keep non-RESOURCES receives until tp_return_held */
    PNET_BUFFER_LIST held_head;
    ULONG held_count;
    bool gate_closed;               /* receive handler blocks while set */
    bool in_gate;
    bool oid_done;
    NDIS_STATUS oid_status;
    ULONG64 status_indications;
} tp_binding;

typedef struct tp_protocol {
    NDIS_HANDLE driver;             /* NdisProtocolHandle */
    tp_binding *last_bound;         /* set by the bind handler */
    UCHAR next_sender;
} tp_protocol;

static tp_protocol tp;

/* Locks b and wakes its waiters when unlocking. */
static void tp_changed(tp_binding *b)
{
    pthread_cond_broadcast(&b->changed);
    pthread_mutex_unlock(&b->lock);
}

/* The payload byte at offset i of frame (sender, seq). */
static UCHAR tp_pattern(UCHAR sender, ULONG seq, ULONG i)
{
    return (UCHAR)(seq * 131u + i * 7u + sender * 29u + (i >> 8));
}

static void tp_put32(UCHAR *p, ULONG v)
{
    p[0] = (UCHAR)(v >> 24);
    p[1] = (UCHAR)(v >> 16);
    p[2] = (UCHAR)(v >> 8);
    p[3] = (UCHAR)v;
}

static ULONG tp_get32(const UCHAR *p)
{
    return ((ULONG)p[0] << 24) | ((ULONG)p[1] << 16) | ((ULONG)p[2] << 8) | p[3];
}

/* Writes frame (sender, seq) of `length` bytes (at least 14; the stamp goes where it fits). */
TP_HELPER void tp_frame_fill(const tp_binding *b, UCHAR *frame, ULONG length, ULONG seq)
{
    UCHAR header[TP_HEADER];

    memcpy(header, b->tx_dst, 6);
    memcpy(header + 6, b->tx_src, 6);
    header[12] = TP_ETHERTYPE >> 8;
    header[13] = TP_ETHERTYPE & 0xFF;
    tp_put32(header + 14, TP_MAGIC);
    header[18] = b->sender;
    tp_put32(header + 19, seq);
    header[23] = (UCHAR)(length >> 8);
    header[24] = (UCHAR)length;
    memcpy(frame, header, length < TP_HEADER ? length : TP_HEADER);
    for (ULONG i = TP_HEADER; i < length; i++)
        frame[i] = tp_pattern(b->sender, seq, i);
}

/* What a received frame is, for the counters. */
typedef enum tp_verdict { TP_GOOD, TP_BAD, TP_FOREIGN, TP_OWN } tp_verdict;

/* Checks every byte of a received frame against what its stamp says was sent. */
TP_HELPER tp_verdict tp_frame_check(const tp_binding *b, const UCHAR *frame, ULONG length, ULONG *seq)
{
    if (length < TP_HEADER || frame[12] != (TP_ETHERTYPE >> 8) || frame[13] != (TP_ETHERTYPE & 0xFF) ||
        tp_get32(frame + 14) != TP_MAGIC)
        return TP_FOREIGN;
    *seq = tp_get32(frame + 19);
    if (b->sender != 0 && frame[18] == b->sender && memcmp(b->rx_src, b->tx_src, 6) != 0)
        return TP_OWN; /* a frame this binding sent, on an adapter that must not loop back */
    if (memcmp(frame, b->rx_dst, 6) != 0 || memcmp(frame + 6, b->rx_src, 6) != 0 ||
        (((ULONG)frame[23] << 8) | frame[24]) != length)
        return TP_BAD;
    for (ULONG i = TP_HEADER; i < length; i++)
        if (frame[i] != tp_pattern(frame[18], *seq, i))
            return TP_BAD;
    return TP_GOOD;
}

/* Per-indication tallies, added to the binding's counters under one lock. */
typedef struct tp_tally {
    ULONG64 frames, bad, foreign, own, out_of_order, multi_nb;
} tp_tally;

/* Checks every frame of one received NBL. Called with b->lock held (for next_seq). */
static void tp_check_nbl(tp_binding *b, PNET_BUFFER_LIST nbl, tp_tally *t)
{
    static _Thread_local UCHAR storage[TP_MAX_FRAME];

    if (NET_BUFFER_NEXT_NB(NET_BUFFER_LIST_FIRST_NB(nbl)) != NULL)
        t->multi_nb++;
    for (PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb != NULL; nb = NET_BUFFER_NEXT_NB(nb)) {
        ULONG length = NET_BUFFER_DATA_LENGTH(nb), seq = 0;
        const UCHAR *frame = length <= TP_MAX_FRAME ? NdisGetDataBuffer(nb, length, storage, 1, 0) : NULL;
        tp_verdict v = frame ? tp_frame_check(b, frame, length, &seq) : TP_BAD;

        if (v == TP_FOREIGN && length >= 14 && frame[12] == 0x81 && frame[13] == 0x00) {
            b->tagged_frames++;
            memcpy(b->last_tagged, frame, length);
            b->last_tagged_length = length;
        }
        t->frames += v == TP_GOOD;
        t->bad += v == TP_BAD;
        t->foreign += v == TP_FOREIGN;
        t->own += v == TP_OWN;
        if (v == TP_GOOD) {
            t->out_of_order += seq != b->next_seq;
            b->next_seq = seq + 1;
        }
    }
}

/* Blocks the receive handler while the test keeps the gate closed. Caller holds b->lock. */
static void tp_gate_locked(tp_binding *b)
{
    if (!b->gate_closed)
        return;
    b->in_gate = true;
    pthread_cond_broadcast(&b->changed);
    while (b->gate_closed)
        pthread_cond_wait(&b->changed, &b->lock);
    b->in_gate = false;
}

static PROTOCOL_RECEIVE_NET_BUFFER_LISTS tp_receive;
static void tp_receive(NDIS_HANDLE context, PNET_BUFFER_LIST nbls, NDIS_PORT_NUMBER port, ULONG count, ULONG flags)
{
    tp_binding *b = context;
    bool resources = NDIS_TEST_RECEIVE_CANNOT_PEND(flags);
    tp_tally t = {0};
    ULONG n = 0;

    (void)port;
    pthread_mutex_lock(&b->lock);
    for (PNET_BUFFER_LIST nbl = nbls; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl), n++)
        tp_check_nbl(b, nbl, &t);
    b->frames += t.frames;
    b->bad_frames += t.bad;
    b->foreign_frames += t.foreign;
    b->own_frames += t.own;
    b->out_of_order += t.out_of_order;
    b->multi_nb_receives += t.multi_nb;
    b->receive_calls++;
    b->receives_on_test_thread += pthread_equal(pthread_self(), b->test_thread) != 0;
    if (n > b->max_nbls_per_indication)
        b->max_nbls_per_indication = n;
    if (n != count)
        b->bad_frames++; /* NumberOfNetBufferLists must match the chain */
    if (resources) {
        b->resources_calls++;
        b->resources_frames += t.frames;
    }
    tp_gate_locked(b);
    if (!resources && b->hold_receives) {
        PNET_BUFFER_LIST tail = nbls;
        while (NET_BUFFER_LIST_NEXT_NBL(tail) != NULL)
            tail = NET_BUFFER_LIST_NEXT_NBL(tail);
        NET_BUFFER_LIST_NEXT_NBL(tail) = b->held_head;
        b->held_head = nbls;
        b->held_count += n;
        tp_changed(b);
        return;
    }
    tp_changed(b);
    if (!resources)
        NdisReturnNetBufferLists(b->binding, nbls, 0);
}

/* Frees an NBL the protocol built: its NBs (and the MDL chains and buffers some carry), then the NBL. */
static void tp_free_nbl(PNET_BUFFER_LIST nbl)
{
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);

    NET_BUFFER_LIST_FIRST_NB(nbl) = NULL;
    while (nb != NULL) {
        PNET_BUFFER next = NET_BUFFER_NEXT_NB(nb);
        void *buffer = NET_BUFFER_PROTOCOL_RESERVED(nb)[0];

        NET_BUFFER_NEXT_NB(nb) = NULL;
        if (buffer != NULL) { /* built over our own MDL chain */
            PMDL mdl = NET_BUFFER_FIRST_MDL(nb);
            NdisFreeNetBuffer(nb);
            while (mdl != NULL) {
                PMDL next_mdl = mdl->Next;
                NdisFreeMdl(mdl);
                mdl = next_mdl;
            }
            free(buffer);
        } else {
            NdisFreeNetBuffer(nb);
        }
        nb = next;
    }
    NdisFreeNetBufferList(nbl);
}

static PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE tp_send_complete;
static void tp_send_complete(NDIS_HANDLE context, PNET_BUFFER_LIST nbls, ULONG flags)
{
    tp_binding *b = context;
    ULONG64 ok = 0, paused = 0, invalid = 0, other = 0, n = 0;

    (void)flags;
    while (nbls != NULL) {
        PNET_BUFFER_LIST next = NET_BUFFER_LIST_NEXT_NBL(nbls);
        NDIS_STATUS status = NET_BUFFER_LIST_STATUS(nbls);

        ok += status == NDIS_STATUS_SUCCESS;
        paused += status == NDIS_STATUS_PAUSED;
        invalid += status == NDIS_STATUS_INVALID_LENGTH;
        other += status != NDIS_STATUS_SUCCESS && status != NDIS_STATUS_PAUSED &&
                 status != NDIS_STATUS_INVALID_LENGTH;
        NET_BUFFER_LIST_NEXT_NBL(nbls) = NULL;
        tp_free_nbl(nbls);
        nbls = next;
        n++;
    }
    pthread_mutex_lock(&b->lock);
    b->completed += n;
    b->completed_ok += ok;
    b->completed_paused += paused;
    b->completed_invalid_length += invalid;
    b->completed_other += other;
    if (pthread_equal(pthread_self(), b->test_thread))
        b->completed_on_test_thread_ok += ok;
    tp_changed(b);
}

/* Creates the binding's three pools (asserts success). */
static void tp_create_pools(tp_binding *b)
{
    NET_BUFFER_LIST_POOL_PARAMETERS nbl_params;
    NET_BUFFER_POOL_PARAMETERS nb_params;

    harness_nbl_pool_params(&nbl_params, FALSE, 0, 0, TP_TAG);
    b->nbl_pool = NdisAllocateNetBufferListPool(b->binding, &nbl_params);
    harness_nb_pool_params(&nb_params, TP_MAX_FRAME, TP_TAG);
    b->nb_pool = NdisAllocateNetBufferPool(b->binding, &nb_params);
    harness_nb_pool_params(&nb_params, 0, TP_TAG);
    b->mdl_nb_pool = NdisAllocateNetBufferPool(b->binding, &nb_params);
    assert_non_null(b->nbl_pool);
    assert_non_null(b->nb_pool);
    assert_non_null(b->mdl_nb_pool);
}

static PROTOCOL_BIND_ADAPTER_EX tp_bind;
static NDIS_STATUS tp_bind(NDIS_HANDLE driver_context, NDIS_HANDLE bind_context, PNDIS_BIND_PARAMETERS params)
{
    NDIS_MEDIUM media[] = {NdisMedium802_3};
    UINT selected = 0;
    NDIS_OPEN_PARAMETERS open;
    tp_binding *b = calloc(1, sizeof(*b));
    NDIS_STATUS status;

    (void)driver_context;
    if (b == NULL)
        return NDIS_STATUS_RESOURCES;
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->changed, NULL);
    b->bind_context = bind_context;
    memcpy(b->mac, params->CurrentMacAddress, 6);
    b->mtu = params->MtuSize;
    b->sender = ++tp.next_sender;
    b->test_thread = pthread_self();
    /* Default: frames to and from the adapter's own address (what loopback returns). */
    memcpy(b->tx_dst, b->mac, 6);
    memcpy(b->tx_src, b->mac, 6);
    memcpy(b->rx_dst, b->mac, 6);
    memcpy(b->rx_src, b->mac, 6);

    memset(&open, 0, sizeof(open));
    open.Header.Type = NDIS_OBJECT_TYPE_OPEN_PARAMETERS;
    open.Header.Revision = NDIS_OPEN_PARAMETERS_REVISION_1;
    open.Header.Size = NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1;
    open.AdapterName = params->AdapterName;
    open.MediumArray = media;
    open.MediumArraySize = 1;
    open.SelectedMediumIndex = &selected;
    status = NdisOpenAdapterEx(tp.driver, b, &open, bind_context, &b->binding);
    if (status == NDIS_STATUS_SUCCESS || status == NDIS_STATUS_PENDING)
        tp.last_bound = b;
    else
        free(b);
    return status;
}

static PROTOCOL_OPEN_ADAPTER_COMPLETE_EX tp_open_complete;
static void tp_open_complete(NDIS_HANDLE context, NDIS_STATUS status)
{
    tp_binding *b = context;
    NdisCompleteBindAdapterEx(b->bind_context, status);
}

static PROTOCOL_UNBIND_ADAPTER_EX tp_unbind;
static NDIS_STATUS tp_unbind(NDIS_HANDLE unbind_context, NDIS_HANDLE context)
{
    tp_binding *b = context;
    b->unbind_context = unbind_context;
    return NdisCloseAdapterEx(b->binding);
}

static PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX tp_close_complete;
static void tp_close_complete(NDIS_HANDLE context)
{
    tp_binding *b = context;
    NdisCompleteUnbindAdapterEx(b->unbind_context);
}

static PROTOCOL_NET_PNP_EVENT tp_pnp;
static NDIS_STATUS tp_pnp(NDIS_HANDLE context, PNET_PNP_EVENT_NOTIFICATION event)
{
    (void)context;
    (void)event;
    return NDIS_STATUS_SUCCESS;
}

static PROTOCOL_OID_REQUEST_COMPLETE tp_oid_complete;
static void tp_oid_complete(NDIS_HANDLE context, PNDIS_OID_REQUEST request, NDIS_STATUS status)
{
    tp_binding *b = context;
    (void)request;
    pthread_mutex_lock(&b->lock);
    b->oid_done = true;
    b->oid_status = status;
    tp_changed(b);
}

static PROTOCOL_STATUS_EX tp_status;
static void tp_status(NDIS_HANDLE context, PNDIS_STATUS_INDICATION indication)
{
    tp_binding *b = context;
    (void)indication;
    pthread_mutex_lock(&b->lock);
    b->status_indications++;
    tp_changed(b);
}

/* Registers the test protocol driver. */
TP_HELPER void tp_register(void)
{
    static WCHAR name[] = {'n', 'd', 'i', 's', 'b', 'u', 'f', '-', 't', 'p', 0};
    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS c;

    memset(&tp, 0, sizeof(tp));
    memset(&c, 0, sizeof(c));
    c.Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS;
    c.Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
    c.Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
    c.MajorNdisVersion = 6;
    c.MinorNdisVersion = 20;
    c.Name.Buffer = name;
    c.Name.Length = (USHORT)(sizeof(name) - sizeof(WCHAR));
    c.Name.MaximumLength = (USHORT)sizeof(name);
    c.BindAdapterHandlerEx = tp_bind;
    c.UnbindAdapterHandlerEx = tp_unbind;
    c.OpenAdapterCompleteHandlerEx = tp_open_complete;
    c.CloseAdapterCompleteHandlerEx = tp_close_complete;
    c.NetPnPEventHandler = tp_pnp;
    c.OidRequestCompleteHandler = tp_oid_complete;
    c.StatusHandlerEx = tp_status;
    c.ReceiveNetBufferListsHandler = tp_receive;
    c.SendNetBufferListsCompleteHandler = tp_send_complete;
    assert_int_equal(NdisRegisterProtocolDriver(&tp, &c, &tp.driver), NDIS_STATUS_SUCCESS);
}

/* Binds the test protocol to the adapter; returns its binding, pools created. */
TP_HELPER tp_binding *tp_bind_adapter(NDIS_HANDLE adapter)
{
    NDIS_HANDLE handle = NULL;
    tp_binding *b;

    tp.last_bound = NULL;
    assert_int_equal(ndisbuf_stack_bind(adapter, tp.driver, &handle), NDIS_STATUS_SUCCESS);
    b = tp.last_bound;
    assert_non_null(b);
    assert_ptr_equal(handle, b->binding);
    tp_create_pools(b);
    return b;
}

/* Unbinds and frees the binding and its pools. */
TP_HELPER void tp_unbind_adapter(tp_binding *b)
{
    assert_int_equal(ndisbuf_stack_unbind(b->binding), NDIS_STATUS_SUCCESS);
    NdisFreeNetBufferListPool(b->nbl_pool);
    NdisFreeNetBufferPool(b->nb_pool);
    NdisFreeNetBufferPool(b->mdl_nb_pool);
    pthread_cond_destroy(&b->changed);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

/* An NBL of nb_count frames of `length` bytes, sequence numbers seq, seq+1, ... */
TP_HELPER PNET_BUFFER_LIST tp_build_nbl(tp_binding *b, ULONG seq, ULONG length, ULONG nb_count)
{
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(b->nbl_pool, 0, 0);
    PNET_BUFFER *link;

    assert_non_null(nbl);
    assert_true(length <= TP_MAX_FRAME);
    link = &NET_BUFFER_LIST_FIRST_NB(nbl);
    for (ULONG i = 0; i < nb_count; i++) {
        PNET_BUFFER nb = NdisAllocateNetBufferMdlAndData(b->nb_pool);

        assert_non_null(nb);
        NET_BUFFER_DATA_LENGTH(nb) = length;
        tp_frame_fill(b, MmGetSystemAddressForMdlSafe(NET_BUFFER_FIRST_MDL(nb), NormalPagePriority), length,
                      seq + i);
        *link = nb;
        link = &NET_BUFFER_NEXT_NB(nb);
    }
    nbl->SourceHandle = b->binding;
    return nbl;
}

/*
 * An NBL of one frame over a chain of MDLs with the given byte counts (zero
 * allowed), the frame starting data_offset bytes into the chain.
 */
TP_HELPER PNET_BUFFER_LIST tp_build_chained_nbl(tp_binding *b, ULONG seq, ULONG length, ULONG data_offset,
                                             const ULONG *pieces, ULONG piece_count)
{
    ULONG total = 0;
    UCHAR *buffer, *at;
    PMDL first = NULL, *link = &first;
    PNET_BUFFER nb;
    PNET_BUFFER_LIST nbl;

    for (ULONG i = 0; i < piece_count; i++)
        total += pieces[i];
    assert_true(total >= data_offset + length);
    buffer = malloc(total + 1);
    assert_non_null(buffer);
    memset(buffer, 0xEE, total + 1);
    tp_frame_fill(b, buffer + data_offset, length, seq);
    at = buffer;
    for (ULONG i = 0; i < piece_count; i++) {
        PMDL mdl = NdisAllocateMdl(b->binding, at, pieces[i]);
        assert_non_null(mdl);
        *link = mdl;
        link = &mdl->Next;
        at += pieces[i];
    }
    nb = NdisAllocateNetBuffer(b->mdl_nb_pool, first, data_offset, length);
    assert_non_null(nb);
    NET_BUFFER_PROTOCOL_RESERVED(nb)[0] = buffer;
    nbl = NdisAllocateNetBufferList(b->nbl_pool, 0, 0);
    assert_non_null(nbl);
    NET_BUFFER_LIST_FIRST_NB(nbl) = nb;
    nbl->SourceHandle = b->binding;
    return nbl;
}

/* Sends a chain (counted first) in one NdisSendNetBufferLists. */
TP_HELPER void tp_send(tp_binding *b, PNET_BUFFER_LIST chain)
{
    ULONG n = 0;

    for (PNET_BUFFER_LIST nbl = chain; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl))
        n++;
    pthread_mutex_lock(&b->lock);
    b->sent += n;
    pthread_mutex_unlock(&b->lock);
    NdisSendNetBufferLists(b->binding, chain, NDIS_DEFAULT_PORT_NUMBER, 0);
}

/* Sends `count` one-frame NBLs of length length_of(seq) in chains of `chain` NBLs. */
TP_HELPER void tp_send_frames(tp_binding *b, ULONG first_seq, ULONG count, ULONG chain, ULONG (*length_of)(ULONG))
{
    for (ULONG done = 0; done < count;) {
        PNET_BUFFER_LIST head = NULL, *link = &head;
        ULONG n = count - done < chain ? count - done : chain;

        for (ULONG i = 0; i < n; i++) {
            ULONG seq = first_seq + done + i;
            *link = tp_build_nbl(b, seq, length_of(seq), 1);
            link = &NET_BUFFER_LIST_NEXT_NBL(*link);
        }
        tp_send(b, head);
        done += n;
    }
}

/* Frame lengths from 60 to 1514 bytes, varying with the sequence number. */
TP_HELPER ULONG tp_length_varied(ULONG seq)
{
    return 60 + (seq * 97u) % (1514 - 60 + 1);
}

/* Waits until *counter (under b->lock) reaches target; false after TP_WAIT_SECONDS. */
TP_HELPER bool tp_wait_for(tp_binding *b, const ULONG64 *counter, ULONG64 target)
{
    struct timespec deadline;
    int rc = 0;

    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += TP_WAIT_SECONDS;
    pthread_mutex_lock(&b->lock);
    while (*counter < target && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&b->changed, &b->lock, &deadline);
    rc = *counter >= target;
    if (!rc)
        print_error("waited %d s: counter at %llu of %llu\n", TP_WAIT_SECONDS, (unsigned long long)*counter,
                    (unsigned long long)target);
    pthread_mutex_unlock(&b->lock);
    return rc;
}

/* Waits until every NBL sent so far has completed. */
TP_HELPER bool tp_wait_completions(tp_binding *b)
{
    ULONG64 sent;

    pthread_mutex_lock(&b->lock);
    sent = b->sent;
    pthread_mutex_unlock(&b->lock);
    return tp_wait_for(b, &b->completed, sent);
}

/* Reads a counter under the binding's lock. */
TP_HELPER ULONG64 tp_read(tp_binding *b, const ULONG64 *counter)
{
    ULONG64 value;

    pthread_mutex_lock(&b->lock);
    value = *counter;
    pthread_mutex_unlock(&b->lock);
    return value;
}

/* Gives back every receive the binding held, from this thread, in several calls of up to 100 NBLs. */
TP_HELPER void tp_return_held(tp_binding *b)
{
    PNET_BUFFER_LIST held;

    pthread_mutex_lock(&b->lock);
    held = b->held_head;
    b->held_head = NULL;
    b->held_count = 0;
    b->hold_receives = false;
    pthread_mutex_unlock(&b->lock);
    while (held != NULL) {
        PNET_BUFFER_LIST part = held, tail = held;

        for (int i = 1; i < 100 && NET_BUFFER_LIST_NEXT_NBL(tail) != NULL; i++)
            tail = NET_BUFFER_LIST_NEXT_NBL(tail);
        held = NET_BUFFER_LIST_NEXT_NBL(tail);
        NET_BUFFER_LIST_NEXT_NBL(tail) = NULL;
        NdisReturnNetBufferLists(b->binding, part, 0);
    }
}

/* One OID request on the binding, waiting for it if it pends. *done: BytesWritten or BytesRead. */
TP_HELPER NDIS_STATUS tp_oid(tp_binding *b, NDIS_REQUEST_TYPE type, NDIS_OID oid, void *buffer, ULONG length,
                          ULONG *done, ULONG *needed)
{
    NDIS_OID_REQUEST r;
    NDIS_STATUS status;

    memset(&r, 0, sizeof(r));
    r.Header.Type = NDIS_OBJECT_TYPE_OID_REQUEST;
    r.Header.Revision = NDIS_OID_REQUEST_REVISION_1;
    r.Header.Size = NDIS_SIZEOF_OID_REQUEST_REVISION_1;
    r.RequestType = type;
    r.PortNumber = NDIS_DEFAULT_PORT_NUMBER;
    r.RequestId = &r;
    r.DATA.QUERY_INFORMATION.Oid = oid;
    r.DATA.QUERY_INFORMATION.InformationBuffer = buffer;
    r.DATA.QUERY_INFORMATION.InformationBufferLength = length;
    pthread_mutex_lock(&b->lock);
    b->oid_done = false;
    pthread_mutex_unlock(&b->lock);
    status = NdisOidRequest(b->binding, &r);
    if (status == NDIS_STATUS_PENDING) {
        pthread_mutex_lock(&b->lock);
        while (!b->oid_done)
            pthread_cond_wait(&b->changed, &b->lock);
        status = b->oid_status;
        pthread_mutex_unlock(&b->lock);
    }
    if (done != NULL)
        *done = type == NdisRequestSetInformation ? r.DATA.SET_INFORMATION.BytesRead
                                                  : r.DATA.QUERY_INFORMATION.BytesWritten;
    if (needed != NULL)
        *needed = r.DATA.QUERY_INFORMATION.BytesNeeded;
    return status;
}

/* Queries a ULONG OID; asserts success. */
TP_HELPER ULONG tp_query_ulong(tp_binding *b, NDIS_OID oid)
{
    ULONG value = 0, done = 0;

    assert_int_equal(tp_oid(b, NdisRequestQueryInformation, oid, &value, sizeof(value), &done, NULL),
                     NDIS_STATUS_SUCCESS);
    assert_int_equal(done, sizeof(value));
    return value;
}

#ifndef TP_PROTOCOL_ONLY

/* ====================================================================== */
/* The loopback tests                                                      */
/* ====================================================================== */

/* The stack every test runs on: the loopback adapter "loop0" with one binding. */
typedef struct fixture {
    NDIS_HANDLE driver;
    NDIS_HANDLE adapter;
    tp_binding *b;
} fixture;

static fixture fx;

static int loopback_setup(void **state)
{
    (void)state;
    harness_setup(state);
    memset(&fx, 0, sizeof(fx));
    assert_int_equal(ndisbuf_loopback_driver_entry(&fx.driver), NDIS_STATUS_SUCCESS);
    tp_register();
    assert_int_equal(ndisbuf_stack_add_adapter(fx.driver, "loop0", &fx.adapter), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_state(fx.adapter), NdisbufStateRunning);
    fx.b = tp_bind_adapter(fx.adapter);
    return 0;
}

static int loopback_teardown(void **state)
{
    assert_int_equal(tp_read(fx.b, &fx.b->bad_frames), 0);
    assert_int_equal(tp_read(fx.b, &fx.b->receives_on_test_thread), 0);
    assert_int_equal(tp_read(fx.b, &fx.b->completed_on_test_thread_ok), 0);
    tp_unbind_adapter(fx.b);
    assert_int_equal(ndisbuf_stack_remove_adapter(fx.adapter), NDIS_STATUS_SUCCESS);
    NdisDeregisterProtocolDriver(tp.driver);
    NdisMDeregisterMiniportDriver(fx.driver);
    return harness_teardown(state);
}

#define LOOPBACK_TEST(fn) cmocka_unit_test_setup_teardown(fn, loopback_setup, loopback_teardown)

static ULONG length_max(ULONG seq)
{
    (void)seq;
    return 1514;
}

static ULONG length_min(ULONG seq)
{
    (void)seq;
    return 14;
}

static void frames_come_back_byte_identical(void **state)
{
    (void)state;
    tp_send_frames(fx.b, 0, 1000, 50, tp_length_varied);
    tp_send_frames(fx.b, 1000, 64, 64, length_max);
    tp_send_frames(fx.b, 1064, 3, 1, length_min); /* a bare header: no room for the stamp */
    assert_true(tp_wait_completions(fx.b));
    assert_true(tp_wait_for(fx.b, &fx.b->frames, 1064));
    assert_int_equal(tp_read(fx.b, &fx.b->completed_ok), 1067);
    assert_int_equal(tp_read(fx.b, &fx.b->frames), 1064);
    assert_int_equal(tp_read(fx.b, &fx.b->foreign_frames), 3); /* the three 14-byte frames carry no stamp */
    assert_int_equal(tp_read(fx.b, &fx.b->out_of_order), 0);
    assert_int_equal(tp_read(fx.b, &fx.b->multi_nb_receives), 0);
    pthread_mutex_lock(&fx.b->lock);
    ULONG widest = fx.b->max_nbls_per_indication;
    pthread_mutex_unlock(&fx.b->lock);
    assert_true(widest <= 64);
}

static void multi_nb_nbl_comes_back_as_one_nbl_per_frame(void **state)
{
    PNET_BUFFER_LIST head = NULL, *link = &head;

    (void)state;
    for (ULONG i = 0; i < 40; i++) { /* 40 NBLs of 5 frames: 200 frames, more than one batch */
        *link = tp_build_nbl(fx.b, i * 5, 100 + i * 30, 5);
        link = &NET_BUFFER_LIST_NEXT_NBL(*link);
    }
    tp_send(fx.b, head);
    assert_true(tp_wait_completions(fx.b));
    assert_true(tp_wait_for(fx.b, &fx.b->frames, 200));
    assert_int_equal(tp_read(fx.b, &fx.b->completed_ok), 40);
    assert_int_equal(tp_read(fx.b, &fx.b->multi_nb_receives), 0);
    assert_int_equal(tp_read(fx.b, &fx.b->out_of_order), 0);
}

static void chained_mdls_with_data_offset_come_back_intact(void **state)
{
    static const struct {
        ULONG offset, length, pieces[8], count;
    } cases[] = {
        {0, 60, {60}, 1},
        {7, 60, {67}, 1},
        {7, 60, {3, 4, 10, 50}, 4},         /* offset ends inside the second MDL */
        {10, 100, {10, 0, 50, 0, 50}, 5},   /* offset at an MDL boundary, zero-length MDLs */
        {13, 1514, {1, 12, 100, 1000, 414}, 5},
        {0, 300, {1, 1, 1, 1, 1, 1, 1, 293}, 8},
        {2000, 1514, {1000, 1000, 1514}, 3}, /* a large back-fill */
    };
    PNET_BUFFER_LIST head = NULL, *link = &head;
    ULONG n = sizeof(cases) / sizeof(cases[0]);

    (void)state;
    for (ULONG i = 0; i < n; i++) {
        *link = tp_build_chained_nbl(fx.b, i, cases[i].length, cases[i].offset, cases[i].pieces, cases[i].count);
        link = &NET_BUFFER_LIST_NEXT_NBL(*link);
    }
    tp_send(fx.b, head);
    assert_true(tp_wait_completions(fx.b));
    assert_true(tp_wait_for(fx.b, &fx.b->frames, n));
    assert_int_equal(tp_read(fx.b, &fx.b->completed_ok), n);
    assert_int_equal(tp_read(fx.b, &fx.b->out_of_order), 0);
}

static void oversize_and_runt_frames_complete_invalid_length_and_do_not_come_back(void **state)
{
    PNET_BUFFER_LIST head = tp_build_nbl(fx.b, 0, 1515, 1);      /* MTU + header + 1 */
    PNET_BUFFER_LIST runt = tp_build_nbl(fx.b, 1, 13, 1);        /* shorter than a header */
    PNET_BUFFER_LIST good = tp_build_nbl(fx.b, 0, 1514, 1);
    PNET_BUFFER_LIST mixed = tp_build_nbl(fx.b, 10, 1515, 3);   /* one NBL, all frames too long */

    (void)state;
    NET_BUFFER_DATA_LENGTH(NET_BUFFER_NEXT_NB(NET_BUFFER_LIST_FIRST_NB(mixed))) = 200; /* one fits */
    NET_BUFFER_LIST_NEXT_NBL(head) = runt;
    NET_BUFFER_LIST_NEXT_NBL(runt) = good;
    NET_BUFFER_LIST_NEXT_NBL(good) = mixed;
    tp_send(fx.b, head);
    assert_true(tp_wait_completions(fx.b));
    assert_true(tp_wait_for(fx.b, &fx.b->frames, 1));
    assert_int_equal(tp_read(fx.b, &fx.b->completed_invalid_length), 3);
    assert_int_equal(tp_read(fx.b, &fx.b->completed_ok), 1);
    assert_int_equal(tp_read(fx.b, &fx.b->frames), 1); /* only the good frame came back, nothing of the mixed NBL */
    assert_int_equal(tp_read(fx.b, &fx.b->bad_frames), 0);
    assert_int_equal(tp_query_ulong(fx.b, OID_GEN_XMIT_ERROR), 3);
}

/* Opens the gate once the binding is pausing (the pause is then waiting for our sends). */
static void *open_gate_when_pausing(void *arg)
{
    tp_binding *b = arg;

    while (ndisbuf_stack_state(b->binding) != NdisbufStatePausing)
        sched_yield();
    pthread_mutex_lock(&b->lock);
    b->gate_closed = false;
    tp_changed(b);
    return NULL;
}

static void pause_completes_only_after_sends_outstanding_in_the_miniport(void **state)
{
    pthread_t opener;
    ULONG64 completed_when_pausing;

    (void)state;
    /* The first frame's indication blocks in the gate: the miniport's thread is stuck there. */
    pthread_mutex_lock(&fx.b->lock);
    fx.b->gate_closed = true;
    pthread_mutex_unlock(&fx.b->lock);
    tp_send_frames(fx.b, 0, 1, 1, tp_length_varied);
    pthread_mutex_lock(&fx.b->lock);
    while (!fx.b->in_gate)
        pthread_cond_wait(&fx.b->changed, &fx.b->lock);
    pthread_mutex_unlock(&fx.b->lock);

    /* These wait in the miniport's queue. */
    tp_send_frames(fx.b, 1, 500, 100, tp_length_varied);
    completed_when_pausing = tp_read(fx.b, &fx.b->completed);
    assert_true(completed_when_pausing < 501);

    assert_int_equal(pthread_create(&opener, NULL, open_gate_when_pausing, fx.b), 0);
    assert_int_equal(ndisbuf_stack_pause(fx.adapter), NDIS_STATUS_SUCCESS);
    pthread_join(opener, NULL);

    /* The pause returned: every send completed, all while the miniport ran. */
    assert_int_equal(tp_read(fx.b, &fx.b->completed), 501);
    assert_int_equal(tp_read(fx.b, &fx.b->completed_ok), 501);
    assert_int_equal(ndisbuf_stack_state(fx.adapter), NdisbufStatePaused);
    assert_int_equal(ndisbuf_stack_state(fx.b->binding), NdisbufStatePaused);

    /* Paused: a send completes at once with NDIS_STATUS_PAUSED. */
    tp_send_frames(fx.b, 1000, 3, 3, tp_length_varied);
    assert_true(tp_wait_completions(fx.b));
    assert_int_equal(tp_read(fx.b, &fx.b->completed_paused), 3);

    /* Restarted: frames flow again. */
    assert_int_equal(ndisbuf_stack_restart(fx.adapter), NDIS_STATUS_SUCCESS);
    pthread_mutex_lock(&fx.b->lock);
    fx.b->next_seq = 2000;
    ULONG64 before = fx.b->frames;
    pthread_mutex_unlock(&fx.b->lock);
    tp_send_frames(fx.b, 2000, 10, 10, tp_length_varied);
    assert_true(tp_wait_completions(fx.b));
    assert_true(tp_wait_for(fx.b, &fx.b->frames, before + 10));
    assert_int_equal(tp_read(fx.b, &fx.b->completed_ok), 511);
}

static void receives_come_with_resources_when_the_pool_runs_low(void **state)
{
    const ULONG total = 2000; /* more than the miniport's 1024 receive NBLs */
    ULONG64 held;

    (void)state;
    pthread_mutex_lock(&fx.b->lock);
    fx.b->hold_receives = true;
    pthread_mutex_unlock(&fx.b->lock);
    tp_send_frames(fx.b, 0, total, 64, tp_length_varied);
    assert_true(tp_wait_completions(fx.b));
    assert_true(tp_wait_for(fx.b, &fx.b->frames, total));

    pthread_mutex_lock(&fx.b->lock);
    held = fx.b->held_count;
    pthread_mutex_unlock(&fx.b->lock);
    assert_int_equal(tp_read(fx.b, &fx.b->completed_ok), total);
    assert_int_equal(tp_read(fx.b, &fx.b->out_of_order), 0);
    assert_true(tp_read(fx.b, &fx.b->resources_frames) > 0);
    assert_int_equal(held + tp_read(fx.b, &fx.b->resources_frames), total);
    assert_true(held <= 1024 - 1024 / 8);
    print_message("held %llu receive NBLs, %llu frames came with RESOURCES in %llu calls\n",
                  (unsigned long long)held, (unsigned long long)tp_read(fx.b, &fx.b->resources_frames),
                  (unsigned long long)tp_read(fx.b, &fx.b->resources_calls));

    /* Given back (from this thread), the pool refills: no RESOURCES any more. */
    tp_return_held(fx.b);
    ULONG64 calls = tp_read(fx.b, &fx.b->resources_calls);
    tp_send_frames(fx.b, total, 100, 50, tp_length_varied);
    assert_true(tp_wait_completions(fx.b));
    assert_true(tp_wait_for(fx.b, &fx.b->frames, total + 100));
    assert_int_equal(tp_read(fx.b, &fx.b->resources_calls), calls);
}

static void oid_requests_answer_as_documented(void **state)
{
    UCHAR mac[8] = {0};
    ULONG done = 0, needed = 0, value = 0;
    ULONG64 counter = 0;
    NDIS_LINK_STATE link;

    (void)state;
    /* Addresses: the bind parameters', locally administered 02:00:5E. */
    assert_int_equal(tp_oid(fx.b, NdisRequestQueryInformation, OID_802_3_CURRENT_ADDRESS, mac, sizeof(mac), &done,
                            NULL),
                     NDIS_STATUS_SUCCESS);
    assert_int_equal(done, 6);
    assert_memory_equal(mac, fx.b->mac, 6);
    assert_int_equal(mac[0], 0x02);
    assert_int_equal(mac[1], 0x00);
    assert_int_equal(mac[2], 0x5E);
    memset(mac, 0, sizeof(mac));
    assert_int_equal(tp_oid(fx.b, NdisRequestQueryInformation, OID_802_3_PERMANENT_ADDRESS, mac, 6, &done, NULL),
                     NDIS_STATUS_SUCCESS);
    assert_memory_equal(mac, fx.b->mac, 6);

    /* Too short a buffer: BUFFER_TOO_SHORT, nothing written, BytesNeeded says how much. */
    assert_int_equal(tp_oid(fx.b, NdisRequestQueryInformation, OID_802_3_CURRENT_ADDRESS, mac, 5, &done, &needed),
                     NDIS_STATUS_BUFFER_TOO_SHORT);
    assert_int_equal(done, 0);
    assert_int_equal(needed, 6);

    assert_int_equal(tp_query_ulong(fx.b, OID_GEN_MAXIMUM_FRAME_SIZE), 1500);
    assert_int_equal(fx.b->mtu, 1500);
    assert_int_equal(tp_query_ulong(fx.b, OID_GEN_MAXIMUM_TOTAL_SIZE), 1514);
    assert_int_equal(tp_query_ulong(fx.b, OID_GEN_LINK_SPEED), 100000000); /* 10 Gbit/s in 100 bit/s */
    assert_int_equal(tp_query_ulong(fx.b, OID_GEN_MEDIA_IN_USE), NdisMedium802_3);

    /* The packet filter: set, then read back. */
    value = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST;
    assert_int_equal(tp_oid(fx.b, NdisRequestSetInformation, OID_GEN_CURRENT_PACKET_FILTER, &value, sizeof(value),
                            &done, NULL),
                     NDIS_STATUS_SUCCESS);
    assert_int_equal(done, sizeof(value));
    assert_int_equal(tp_query_ulong(fx.b, OID_GEN_CURRENT_PACKET_FILTER), value);
    assert_int_equal(tp_oid(fx.b, NdisRequestSetInformation, OID_GEN_CURRENT_PACKET_FILTER, &value, 2, &done,
                            &needed),
                     NDIS_STATUS_INVALID_LENGTH);
    assert_int_equal(needed, sizeof(ULONG));
    assert_int_equal(tp_query_ulong(fx.b, OID_GEN_CURRENT_PACKET_FILTER), value);

    /* The link state. */
    memset(&link, 0, sizeof(link));
    assert_int_equal(tp_oid(fx.b, NdisRequestQueryInformation, OID_GEN_LINK_STATE, &link, sizeof(link), &done,
                            NULL),
                     NDIS_STATUS_SUCCESS);
    assert_int_equal(link.MediaConnectState, MediaConnectStateConnected);
    assert_int_equal(link.XmitLinkSpeed, 10000000000ULL);

    /* Statistics count what went through, as ULONG64 or ULONG. */
    tp_send_frames(fx.b, 0, 10, 10, tp_length_varied);
    assert_true(tp_wait_completions(fx.b));
    assert_true(tp_wait_for(fx.b, &fx.b->frames, 10));
    assert_int_equal(tp_oid(fx.b, NdisRequestQueryStatistics, OID_GEN_XMIT_OK, &counter, sizeof(counter), &done,
                            NULL),
                     NDIS_STATUS_SUCCESS);
    assert_int_equal(done, 8);
    assert_int_equal(counter, 10);
    assert_int_equal(tp_query_ulong(fx.b, OID_GEN_RCV_OK), 10);

    /* Anything else: NOT_SUPPORTED. */
    assert_int_equal(tp_oid(fx.b, NdisRequestQueryInformation, 0x00FFFFFF, &value, sizeof(value), NULL, NULL),
                     NDIS_STATUS_NOT_SUPPORTED);
}

static void adapters_get_distinct_stable_local_mac_addresses(void **state)
{
    NDIS_HANDLE second = NULL;
    tp_binding *b2;
    UCHAR first_mac[6];

    (void)state;
    memcpy(first_mac, fx.b->mac, 6);
    assert_int_equal(ndisbuf_stack_add_adapter(fx.driver, "loop1", &second), NDIS_STATUS_SUCCESS);
    b2 = tp_bind_adapter(second);
    assert_memory_not_equal(b2->mac, first_mac, 6);
    assert_memory_equal(b2->mac, first_mac, 3);

    /* The second adapter is its own wire: frames do not cross. */
    tp_send_frames(b2, 0, 100, 10, tp_length_varied);
    assert_true(tp_wait_completions(b2));
    assert_true(tp_wait_for(b2, &b2->frames, 100));
    assert_int_equal(tp_read(fx.b, &fx.b->frames), 0);
    assert_int_equal(tp_read(b2, &b2->bad_frames), 0);
    tp_unbind_adapter(b2);
    assert_int_equal(ndisbuf_stack_remove_adapter(second), NDIS_STATUS_SUCCESS);

    /* Same name, same address. */
    assert_int_equal(ndisbuf_stack_add_adapter(fx.driver, "loop1", &second), NDIS_STATUS_SUCCESS);
    b2 = tp_bind_adapter(second);
    memcpy(first_mac, b2->mac, 6);
    tp_unbind_adapter(b2);
    assert_int_equal(ndisbuf_stack_remove_adapter(second), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_add_adapter(fx.driver, "loop1", &second), NDIS_STATUS_SUCCESS);
    b2 = tp_bind_adapter(second);
    assert_memory_equal(b2->mac, first_mac, 6);
    tp_unbind_adapter(b2);
    assert_int_equal(ndisbuf_stack_remove_adapter(second), NDIS_STATUS_SUCCESS);
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void hundred_thousand_frames_leave_nothing_outstanding(void **state)
{
    const ULONG total = 100000, window = 4096, chain = 64;
    double start = now_seconds(), elapsed;

    (void)state;
    for (ULONG sent = 0; sent < total; sent += chain) {
        ULONG n = total - sent < chain ? total - sent : chain;

        /* Keep at most `window` NBLs in flight. */
        if (sent >= window)
            assert_true(tp_wait_for(fx.b, &fx.b->completed, sent - window + n));
        tp_send_frames(fx.b, sent, n, chain, tp_length_varied);
    }
    assert_true(tp_wait_completions(fx.b));
    assert_true(tp_wait_for(fx.b, &fx.b->frames, total));
    elapsed = now_seconds() - start;
    assert_int_equal(tp_read(fx.b, &fx.b->completed_ok), total);
    assert_int_equal(tp_read(fx.b, &fx.b->out_of_order), 0);
    assert_int_equal(tp_read(fx.b, &fx.b->bad_frames), 0);
    print_message("100000 frames round trip, every byte checked: %.0f frames/s\n", total / elapsed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        LOOPBACK_TEST(frames_come_back_byte_identical),
        LOOPBACK_TEST(multi_nb_nbl_comes_back_as_one_nbl_per_frame),
        LOOPBACK_TEST(chained_mdls_with_data_offset_come_back_intact),
        LOOPBACK_TEST(oversize_and_runt_frames_complete_invalid_length_and_do_not_come_back),
        LOOPBACK_TEST(pause_completes_only_after_sends_outstanding_in_the_miniport),
        LOOPBACK_TEST(receives_come_with_resources_when_the_pool_runs_low),
        LOOPBACK_TEST(oid_requests_answer_as_documented),
        LOOPBACK_TEST(adapters_get_distinct_stable_local_mac_addresses),
        LOOPBACK_TEST(hundred_thousand_frames_leave_nothing_outstanding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif /* TP_PROTOCOL_ONLY */
