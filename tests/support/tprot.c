/* SPDX-License-Identifier: MIT */
/*
 * The test protocol (tprot.h): its handlers, its frames and the helpers the
 * miniport tests drive it with.
 *
 * Frames: destination, source, TP_ETHERTYPE, then the stamp (TP_MAGIC, the
 * sender id, the sequence number, the length) and a pattern derived from
 * the three, so a frame's bytes differ from every other frame's. A
 * received frame is checked byte for byte; one the binding itself sent on
 * a wire that must not loop back counts as "own"; an 802.1Q-tagged one is
 * kept aside (last_tagged) for the tests of tags.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "tprot.h"

#define TP_TAG HARNESS_TAG('T', 'p', 'r', 't')

typedef struct tp_protocol {
    NDIS_HANDLE driver;             /* NdisProtocolHandle */
    tp_binding *last_bound;         /* set by the bind handler */
    UCHAR next_sender;
} tp_protocol;

static tp_protocol tp;

/* Wakes b's waiters and unlocks b (the caller holds b->lock and changed something). */
void tp_changed(tp_binding *b)
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
void tp_frame_fill(const tp_binding *b, UCHAR *frame, ULONG length, ULONG seq)
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

/* Checks every byte of a received frame against what its stamp says was sent. */
tp_verdict tp_frame_check(const tp_binding *b, const UCHAR *frame, ULONG length, ULONG *seq)
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

/* Keeps a received chain of n NBLs for tp_return_held. Caller holds b->lock. */
static void tp_hold_locked(tp_binding *b, PNET_BUFFER_LIST nbls, ULONG n)
{
    PNET_BUFFER_LIST tail = nbls;

    while (NET_BUFFER_LIST_NEXT_NBL(tail) != NULL)
        tail = NET_BUFFER_LIST_NEXT_NBL(tail);
    NET_BUFFER_LIST_NEXT_NBL(tail) = b->held_head;
    b->held_head = nbls;
    b->held_count += n;
}

/* Receive handlers running on this thread now (one inside another when a send below indicates in its caller's context). */
static __thread ULONG tp_receive_depth;

/* Answers `frames` good frames with as many one-frame sends while b->echo_budget lasts (called unlocked). */
static void tp_echo(tp_binding *b, ULONG64 frames)
{
    ULONG answers, seq;

    pthread_mutex_lock(&b->lock);
    answers = frames < b->echo_budget ? (ULONG)frames : b->echo_budget;
    b->echo_budget -= answers;
    seq = b->next_echo_seq;
    b->next_echo_seq += answers;
    pthread_mutex_unlock(&b->lock);
    if (answers != 0)
        tp_send_frames(b, seq, answers, answers, tp_length_varied);
}

static PROTOCOL_RECEIVE_NET_BUFFER_LISTS tp_receive;
static void tp_receive(NDIS_HANDLE context, PNET_BUFFER_LIST nbls, NDIS_PORT_NUMBER port, ULONG count, ULONG flags)
{
    tp_binding *b = context;
    bool resources = NDIS_TEST_RECEIVE_CANNOT_PEND(flags);
    tp_tally t = {0};
    ULONG n = 0;

    (void)port;
    tp_receive_depth++;
    pthread_mutex_lock(&b->lock);
    if (tp_receive_depth > b->max_receive_depth)
        b->max_receive_depth = tp_receive_depth;
    b->receive_flags_seen |= flags;
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
        tp_hold_locked(b, nbls, n);
        tp_changed(b);
    } else {
        tp_changed(b);
        if (!resources)
            NdisReturnNetBufferLists(b->binding, nbls, 0);
    }
    tp_echo(b, t.frames);
    tp_receive_depth--;
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
    b->complete_flags_seen |= flags;
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
void tp_register(void)
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

/* Deregisters the test protocol driver. */
void tp_deregister(void)
{
    NdisDeregisterProtocolDriver(tp.driver);
    tp.driver = NULL;
}

/* Binds the test protocol to the adapter; returns its binding, pools created. */
tp_binding *tp_bind_adapter(NDIS_HANDLE adapter)
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
void tp_unbind_adapter(tp_binding *b)
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
PNET_BUFFER_LIST tp_build_nbl(tp_binding *b, ULONG seq, ULONG length, ULONG nb_count)
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
PNET_BUFFER_LIST tp_build_chained_nbl(tp_binding *b, ULONG seq, ULONG length, ULONG data_offset,
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
void tp_send(tp_binding *b, PNET_BUFFER_LIST chain)
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
void tp_send_frames(tp_binding *b, ULONG first_seq, ULONG count, ULONG chain, ULONG (*length_of)(ULONG))
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
ULONG tp_length_varied(ULONG seq)
{
    return 60 + (seq * 97u) % (1514 - 60 + 1);
}

/* Waits until *counter (under b->lock) reaches target; false after TP_WAIT_SECONDS. */
bool tp_wait_for(tp_binding *b, const ULONG64 *counter, ULONG64 target)
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
bool tp_wait_completions(tp_binding *b)
{
    ULONG64 sent;

    pthread_mutex_lock(&b->lock);
    sent = b->sent;
    pthread_mutex_unlock(&b->lock);
    return tp_wait_for(b, &b->completed, sent);
}

/* Reads a counter under the binding's lock. */
ULONG64 tp_read(tp_binding *b, const ULONG64 *counter)
{
    ULONG64 value;

    pthread_mutex_lock(&b->lock);
    value = *counter;
    pthread_mutex_unlock(&b->lock);
    return value;
}

/* Gives back every receive the binding held, from this thread, in several calls of up to 100 NBLs. */
void tp_return_held(tp_binding *b)
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
NDIS_STATUS tp_oid(tp_binding *b, NDIS_REQUEST_TYPE type, NDIS_OID oid, void *buffer, ULONG length, ULONG *done,
                   ULONG *needed)
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
ULONG tp_query_ulong(tp_binding *b, NDIS_OID oid)
{
    ULONG value = 0, done = 0;

    assert_int_equal(tp_oid(b, NdisRequestQueryInformation, oid, &value, sizeof(value), &done, NULL),
                     NDIS_STATUS_SUCCESS);
    assert_int_equal(done, sizeof(value));
    return value;
}
