/* SPDX-License-Identifier: MIT */
/*
 * The NDIS 5.1 protocol shim (src/ndis5/translate*.c, docs/ndis5.md
 * "Running over the NDIS 6 stack"): a 5.1 protocol registered with
 * NdisRegisterProtocol binds through ndisbuf_stack_bind, opens and closes
 * through its own handlers (pended or not), sends packets that go down
 * without a copy and complete to the right packet, gets received
 * NET_BUFFERs as packets over the same memory (kept, returned, lent with
 * NDIS_STATUS_RESOURCES, or through ProtocolReceive), never sees a pause
 * (the shim's pause waits for its sends and held packets, and its sends
 * while paused wait for the restart), and translates NdisRequest.
 *
 * The 5.1 protocol here (t5_*) is written against <ndis.h> with knobs the
 * tests turn. The td_miniport of tests/support/stackdrv.h holds sends and
 * indicates frames; a small miniport of this file (xm_*) indicates NBLs the
 * test builds (several NET_BUFFERs, offsets, MDL chains) and pends OID
 * requests for the test to complete.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "n5test.h"
#include "stackdrv.h"

#define WAIT_MS 5000
#define QUIET_US 50000 /* how long a test gives a call that must not return yet */
#define T5_MAX 64
#define T5_FRAME_MAX 2048

/* ====================================================================== */
/* The NDIS 5.1 test protocol                                              */
/* ====================================================================== */

typedef struct t5_frame {
    UCHAR data[T5_FRAME_MAX];
    UINT length;
    NDIS_STATUS status;          /* NDIS_GET_PACKET_STATUS at ProtocolReceivePacket */
    UINT buffers;                /* buffer descriptors on the packet */
    PVOID va[8];                 /* their addresses and lengths */
    UINT va_length[8];
    UINT header_size, lookahead_size, packet_size; /* ProtocolReceive */
    bool received_packet_matches; /* NdisGetReceivedPacket gave the same bytes */
} t5_frame;

typedef struct t5 {
    NDIS_HANDLE handle;          /* NdisProtocolHandle */
    NDIS_HANDLE binding;         /* NdisBindingHandle from NdisOpenAdapter */
    /* knobs */
    bool pend_bind, pend_unbind, complete_early, skip_open, skip_close, deregister_inside;
    const char *open_name;       /* open this adapter name instead of the DeviceName */
    NDIS_MEDIUM media[2];
    UINT media_count;
    INT keep;                    /* what ProtocolReceivePacket returns */
    bool return_inside;          /* ProtocolReceivePacket returns the packet before it returns */
    /* records */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    pthread_t worker;
    bool worker_started;
    NDIS_HANDLE bind_context, unbind_context;
    WCHAR device[64];
    NDIS_STRING device_name;
    ULONG binds, unbinds;
    NDIS_STATUS open_status, deregister_status;
    UINT selected;
    PNDIS_PACKET done_packet[T5_MAX];
    NDIS_STATUS done_status[T5_MAX];
    ULONG completed;
    char log[T5_MAX];            /* 'C' a send completion, 'U' ProtocolUnbindAdapter */
    ULONG log_length;
    PNDIS_PACKET held[T5_MAX];
    ULONG held_count;
    t5_frame frames[8];
    ULONG received, lookaheads, receive_completes;
    ULONG statuses, status_completes;
    NDIS_STATUS last_status;
    ULONG requests_completed;
    NDIS_STATUS request_status;
} t5;

static t5 P;

static void t5_log(char c)
{
    if (P.log_length < T5_MAX - 1)
        P.log[P.log_length++] = c;
}

/* ---- binding ---- */

static NDIS_STATUS t5_open(void)
{
    NDIS_STATUS status = NDIS_STATUS_FAILURE, error = NDIS_STATUS_FAILURE;
    WCHAR other[64];
    NDIS_STRING name = P.device_name;
    if (P.skip_open)
        return NDIS_STATUS_SUCCESS;
    if (P.open_name) {
        size_t n = strlen(P.open_name);
        for (size_t i = 0; i < n; i++)
            other[i] = (WCHAR)P.open_name[i];
        name.Buffer = other;
        name.Length = name.MaximumLength = (USHORT)(n * sizeof(WCHAR));
    }
    NdisOpenAdapter(&status, &error, &P.binding, &P.selected, P.media, P.media_count, P.handle, &P, &name, 0, NULL);
    assert_int_equal(error, status);
    P.open_status = status;
    return status;
}

static void *t5_bind_later(void *arg)
{
    (void)arg;
    usleep(20000);
    NDIS_STATUS status = t5_open();
    NdisCompleteBindAdapter(P.bind_context, status, status);
    return NULL;
}

static void *t5_unbind_later(void *arg)
{
    (void)arg;
    usleep(20000);
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
    NdisCloseAdapter(&status, P.binding);
    assert_int_equal(status, NDIS_STATUS_SUCCESS);
    NdisCompleteUnbindAdapter(P.unbind_context, NDIS_STATUS_SUCCESS);
    return NULL;
}

static void t5_start_worker(void *(*fn)(void *))
{
    assert_false(P.worker_started);
    assert_int_equal(pthread_create(&P.worker, NULL, fn, NULL), 0);
    P.worker_started = true;
}

static void t5_join_worker(void)
{
    if (P.worker_started)
        pthread_join(P.worker, NULL);
    P.worker_started = false;
}

static PROTOCOL_BIND_ADAPTER t5_bind;
static VOID t5_bind(PNDIS_STATUS Status, NDIS_HANDLE BindContext, PNDIS_STRING DeviceName, PVOID SystemSpecific1,
                    PVOID SystemSpecific2)
{
    (void)SystemSpecific1;
    (void)SystemSpecific2;
    P.binds++;
    P.bind_context = BindContext;
    USHORT n = DeviceName->Length;
    memcpy(P.device, DeviceName->Buffer, n);
    P.device_name.Buffer = P.device;
    P.device_name.Length = P.device_name.MaximumLength = n;
    if (P.pend_bind) {
        *Status = NDIS_STATUS_PENDING;
        t5_start_worker(t5_bind_later);
        return;
    }
    *Status = t5_open();
    if (P.deregister_inside)
        NdisDeregisterProtocol(&P.deregister_status, P.handle);
    if (P.complete_early) { /* completes first, then says it pends */
        NdisCompleteBindAdapter(BindContext, *Status, *Status);
        *Status = NDIS_STATUS_PENDING;
    }
}

static PROTOCOL_UNBIND_ADAPTER t5_unbind;
static VOID t5_unbind(PNDIS_STATUS Status, NDIS_HANDLE ProtocolBindingContext, NDIS_HANDLE UnbindContext)
{
    assert_ptr_equal(ProtocolBindingContext, &P);
    pthread_mutex_lock(&P.lock);
    P.unbinds++;
    t5_log('U');
    pthread_mutex_unlock(&P.lock);
    P.unbind_context = UnbindContext;
    if (P.pend_unbind) {
        *Status = NDIS_STATUS_PENDING;
        t5_start_worker(t5_unbind_later);
        return;
    }
    *Status = NDIS_STATUS_SUCCESS;
    if (!P.skip_close)
        NdisCloseAdapter(Status, P.binding);
}

static PROTOCOL_OPEN_ADAPTER_COMPLETE t5_open_complete;
static VOID t5_open_complete(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status, NDIS_STATUS OpenErrorStatus)
{
    (void)ProtocolBindingContext;
    (void)Status;
    (void)OpenErrorStatus;
    fail_msg("NdisOpenAdapter never pends in ndisbuf");
}

static PROTOCOL_CLOSE_ADAPTER_COMPLETE t5_close_complete;
static VOID t5_close_complete(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status)
{
    (void)ProtocolBindingContext;
    (void)Status;
    fail_msg("NdisCloseAdapter never pends in ndisbuf");
}

/* ---- send completion ---- */

static PROTOCOL_SEND_COMPLETE t5_send_complete;
static VOID t5_send_complete(NDIS_HANDLE ProtocolBindingContext, PNDIS_PACKET Packet, NDIS_STATUS Status)
{
    assert_ptr_equal(ProtocolBindingContext, &P);
    assert_int_equal(NDIS_GET_PACKET_STATUS(Packet), Status);
    pthread_mutex_lock(&P.lock);
    assert_true(P.completed < T5_MAX);
    P.done_packet[P.completed] = Packet;
    P.done_status[P.completed] = Status;
    P.completed++;
    t5_log('C');
    pthread_cond_broadcast(&P.changed);
    pthread_mutex_unlock(&P.lock);
}

/* ---- receive ---- */

/* Copies the packet's bytes and describes its buffers into the next frame record. */
static void t5_record_packet(PNDIS_PACKET Packet, t5_frame *f)
{
    PNDIS_BUFFER buffer;
    UINT total = 0;
    NdisQueryPacket(Packet, NULL, &f->buffers, &buffer, &total);
    assert_true(total <= T5_FRAME_MAX);
    f->length = 0;
    for (UINT i = 0; buffer; i++, NdisGetNextBuffer(buffer, &buffer)) {
        PVOID va;
        UINT length;
        NdisQueryBuffer(buffer, &va, &length);
        if (i < 8) {
            f->va[i] = va;
            f->va_length[i] = length;
        }
        memcpy(f->data + f->length, va, length);
        f->length += length;
    }
    assert_int_equal(f->length, total);
}

static PROTOCOL_RECEIVE_PACKET t5_receive_packet;
static INT t5_receive_packet(NDIS_HANDLE ProtocolBindingContext, PNDIS_PACKET Packet)
{
    assert_ptr_equal(ProtocolBindingContext, &P);
    assert_int_equal(NDIS_GET_PACKET_HEADER_SIZE(Packet), 14);
    pthread_mutex_lock(&P.lock);
    if (P.received < 8) {
        t5_frame *f = &P.frames[P.received];
        f->status = NDIS_GET_PACKET_STATUS(Packet);
        t5_record_packet(Packet, f);
    }
    P.received++;
    bool kept = P.keep > 0 && NDIS_GET_PACKET_STATUS(Packet) != NDIS_STATUS_RESOURCES;
    if (kept && !P.return_inside && P.held_count < T5_MAX)
        P.held[P.held_count++] = Packet;
    pthread_cond_broadcast(&P.changed);
    pthread_mutex_unlock(&P.lock);
    if (kept && P.return_inside) /* as a protocol that hands the packet to a faster thread would */
        NdisReturnPackets(&Packet, 1);
    return P.keep;
}

static PROTOCOL_RECEIVE t5_receive;
static NDIS_STATUS t5_receive(NDIS_HANDLE ProtocolBindingContext, NDIS_HANDLE MacReceiveContext, PVOID HeaderBuffer,
                              UINT HeaderBufferSize, PVOID LookAheadBuffer, UINT LookaheadBufferSize, UINT PacketSize)
{
    assert_ptr_equal(ProtocolBindingContext, &P);
    pthread_mutex_lock(&P.lock);
    if (P.lookaheads < 8) {
        t5_frame *f = &P.frames[P.lookaheads];
        f->header_size = HeaderBufferSize;
        f->lookahead_size = LookaheadBufferSize;
        f->packet_size = PacketSize;
        memcpy(f->data, HeaderBuffer, HeaderBufferSize);
        memcpy(f->data + HeaderBufferSize, LookAheadBuffer, LookaheadBufferSize);
        f->length = HeaderBufferSize + LookaheadBufferSize;
        PNDIS_PACKET packet = NdisGetReceivedPacket(P.binding, MacReceiveContext);
        t5_frame copy;
        if (packet) {
            t5_record_packet(packet, &copy);
            f->received_packet_matches = copy.length == f->length && memcmp(copy.data, f->data, f->length) == 0;
        }
    }
    P.lookaheads++;
    pthread_mutex_unlock(&P.lock);
    return NDIS_STATUS_SUCCESS;
}

static PROTOCOL_RECEIVE_COMPLETE t5_receive_complete;
static VOID t5_receive_complete(NDIS_HANDLE ProtocolBindingContext)
{
    (void)ProtocolBindingContext;
    pthread_mutex_lock(&P.lock);
    P.receive_completes++;
    pthread_mutex_unlock(&P.lock);
}

/* ---- status, requests ---- */

static PROTOCOL_STATUS t5_status;
static VOID t5_status(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS GeneralStatus, PVOID StatusBuffer,
                      UINT StatusBufferSize)
{
    (void)ProtocolBindingContext;
    (void)StatusBuffer;
    (void)StatusBufferSize;
    P.statuses++;
    P.last_status = GeneralStatus;
}

static PROTOCOL_STATUS_COMPLETE t5_status_complete;
static VOID t5_status_complete(NDIS_HANDLE ProtocolBindingContext)
{
    (void)ProtocolBindingContext;
    P.status_completes++;
}

static PROTOCOL_REQUEST_COMPLETE t5_request_complete;
static VOID t5_request_complete(NDIS_HANDLE ProtocolBindingContext, PNDIS_REQUEST NdisRequest, NDIS_STATUS Status)
{
    (void)ProtocolBindingContext;
    (void)NdisRequest;
    pthread_mutex_lock(&P.lock);
    P.requests_completed++;
    P.request_status = Status;
    pthread_cond_broadcast(&P.changed);
    pthread_mutex_unlock(&P.lock);
}

/* ---- registration ---- */

static const WCHAR t5_name[] = u"T5PROTO";

static void t5_chars(NDIS_PROTOCOL_CHARACTERISTICS *c, bool with_receive_packet)
{
    memset(c, 0, sizeof(*c));
    c->MajorNdisVersion = 5;
    c->MinorNdisVersion = 1;
    c->Name.Buffer = (PWSTR)t5_name;
    c->Name.Length = (USHORT)(sizeof(t5_name) - sizeof(WCHAR));
    c->Name.MaximumLength = (USHORT)sizeof(t5_name);
    c->OpenAdapterCompleteHandler = t5_open_complete;
    c->CloseAdapterCompleteHandler = t5_close_complete;
    c->SendCompleteHandler = t5_send_complete;
    c->RequestCompleteHandler = t5_request_complete;
    c->ReceiveHandler = t5_receive;
    c->ReceiveCompleteHandler = t5_receive_complete;
    c->StatusHandler = t5_status;
    c->StatusCompleteHandler = t5_status_complete;
    c->ReceivePacketHandler = with_receive_packet ? t5_receive_packet : NULL;
    c->BindAdapterHandler = t5_bind;
    c->UnbindAdapterHandler = t5_unbind;
}

static void t5_reset(void)
{
    memset(&P, 0, sizeof(P));
    pthread_mutex_init(&P.lock, NULL);
    pthread_cond_init(&P.changed, NULL);
    P.media[0] = NdisMediumWan;
    P.media[1] = NdisMedium802_3;
    P.media_count = 2;
}

static void t5_register(bool with_receive_packet)
{
    NDIS_PROTOCOL_CHARACTERISTICS c;
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
    t5_chars(&c, with_receive_packet);
    NdisRegisterProtocol(&status, &P.handle, &c, sizeof(c));
    assert_int_equal(status, NDIS_STATUS_SUCCESS);
    assert_non_null(P.handle);
}

static void t5_deregister(void)
{
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
    NdisDeregisterProtocol(&status, P.handle);
    assert_int_equal(status, NDIS_STATUS_SUCCESS);
    t5_join_worker();
    pthread_cond_destroy(&P.changed);
    pthread_mutex_destroy(&P.lock);
}

/* Waits until `count` sends have completed (asserts it happens). */
static void t5_wait_completed(ULONG count)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += WAIT_MS / 1000;
    pthread_mutex_lock(&P.lock);
    while (P.completed < count && pthread_cond_timedwait(&P.changed, &P.lock, &deadline) == 0)
        ;
    ULONG completed = P.completed;
    pthread_mutex_unlock(&P.lock);
    assert_int_equal(completed, count);
}

static ULONG t5_completed(void)
{
    pthread_mutex_lock(&P.lock);
    ULONG n = P.completed;
    pthread_mutex_unlock(&P.lock);
    return n;
}

/* The completion status recorded for packet (asserts it completed exactly once). */
static NDIS_STATUS t5_status_of(PNDIS_PACKET packet)
{
    ULONG found = 0;
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
    for (ULONG i = 0; i < P.completed; i++)
        if (P.done_packet[i] == packet) {
            found++;
            status = P.done_status[i];
        }
    assert_int_equal(found, 1);
    return status;
}

/* ====================================================================== */
/* A miniport for hand-made receives and pended requests                   */
/* ====================================================================== */

typedef struct xm {
    NDIS_HANDLE driver;
    NDIS_HANDLE adapter;
    pthread_mutex_t lock;
    PNET_BUFFER_LIST returned;   /* NBLs given back, in the order they came */
    ULONG returned_count;
    PNDIS_OID_REQUEST pended;    /* the last OID_GEN_LINK_SPEED query */
} xm;

static xm X;

static NDIS_STATUS xm_initialize(NDIS_HANDLE handle, NDIS_HANDLE context, PNDIS_MINIPORT_INIT_PARAMETERS ip)
{
    (void)context;
    (void)ip;
    X.adapter = handle;
    NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES r = {0};
    r.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
    r.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    r.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    r.MiniportAdapterContext = &X;
    NDIS_STATUS status = NdisMSetMiniportAttributes(handle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&r);
    if (status != NDIS_STATUS_SUCCESS)
        return status;
    NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES g = {0};
    g.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
    g.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
    g.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
    g.MediaType = NdisMedium802_3;
    g.MtuSize = 1500;
    g.MacAddressLength = 6;
    g.LookaheadSize = 1500;
    return NdisMSetMiniportAttributes(handle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&g);
}

static void xm_halt(NDIS_HANDLE context, NDIS_HALT_ACTION action)
{
    (void)context;
    (void)action;
}

static NDIS_STATUS xm_pause(NDIS_HANDLE context, PNDIS_MINIPORT_PAUSE_PARAMETERS pp)
{
    (void)context;
    (void)pp;
    return NDIS_STATUS_SUCCESS; /* the tests take back every NBL they indicate before any pause */
}

static NDIS_STATUS xm_restart(NDIS_HANDLE context, PNDIS_MINIPORT_RESTART_PARAMETERS rp)
{
    (void)context;
    (void)rp;
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS xm_oid(NDIS_HANDLE context, PNDIS_OID_REQUEST r)
{
    (void)context;
    if (r->RequestType == NdisRequestQueryInformation && r->DATA.Oid == OID_GEN_MAXIMUM_FRAME_SIZE) {
        if (r->DATA.QUERY_INFORMATION.InformationBufferLength < sizeof(ULONG)) {
            r->DATA.QUERY_INFORMATION.BytesNeeded = sizeof(ULONG);
            return NDIS_STATUS_BUFFER_TOO_SHORT;
        }
        *(ULONG *)r->DATA.QUERY_INFORMATION.InformationBuffer = 1500;
        r->DATA.QUERY_INFORMATION.BytesWritten = sizeof(ULONG);
        return NDIS_STATUS_SUCCESS;
    }
    if (r->RequestType == NdisRequestSetInformation && r->DATA.Oid == OID_GEN_CURRENT_PACKET_FILTER) {
        r->DATA.SET_INFORMATION.BytesRead = sizeof(ULONG);
        return NDIS_STATUS_SUCCESS;
    }
    if (r->DATA.Oid == OID_GEN_LINK_SPEED) {
        pthread_mutex_lock(&X.lock);
        X.pended = r;
        pthread_mutex_unlock(&X.lock);
        return NDIS_STATUS_PENDING; /* the test completes it */
    }
    return NDIS_STATUS_NOT_SUPPORTED;
}

static void xm_send(NDIS_HANDLE context, PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER port, ULONG flags)
{
    (void)context;
    (void)port;
    (void)flags;
    for (PNET_BUFFER_LIST n = chain; n; n = n->Next)
        NET_BUFFER_LIST_STATUS(n) = NDIS_STATUS_SUCCESS;
    NdisMSendNetBufferListsComplete(X.adapter, chain, 0);
}

static void xm_return(NDIS_HANDLE context, PNET_BUFFER_LIST chain, ULONG flags)
{
    (void)context;
    (void)flags;
    pthread_mutex_lock(&X.lock);
    PNET_BUFFER_LIST *tail = &X.returned;
    while (*tail)
        tail = &(*tail)->Next;
    *tail = chain;
    for (; chain; chain = chain->Next)
        X.returned_count++;
    pthread_mutex_unlock(&X.lock);
}

static void xm_nothing(NDIS_HANDLE context, PVOID id)
{
    (void)context;
    (void)id;
}

static void xm_shutdown(NDIS_HANDLE context, NDIS_SHUTDOWN_ACTION action)
{
    (void)context;
    (void)action;
}

static void xm_register(void)
{
    memset(&X, 0, sizeof(X));
    pthread_mutex_init(&X.lock, NULL);
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS c = {0};
    c.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
    c.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    c.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    c.MajorNdisVersion = 6;
    c.MinorNdisVersion = 20;
    c.InitializeHandlerEx = xm_initialize;
    c.HaltHandlerEx = xm_halt;
    c.PauseHandler = xm_pause;
    c.RestartHandler = xm_restart;
    c.OidRequestHandler = xm_oid;
    c.SendNetBufferListsHandler = xm_send;
    c.ReturnNetBufferListsHandler = xm_return;
    c.CancelSendHandler = xm_nothing;
    c.ShutdownHandlerEx = xm_shutdown;
    c.CancelOidRequestHandler = xm_nothing;
    assert_int_equal(NdisMRegisterMiniportDriver(NULL, NULL, &X, &c, &X.driver), NDIS_STATUS_SUCCESS);
}

static void xm_deregister(void)
{
    NdisMDeregisterMiniportDriver(X.driver);
    pthread_mutex_destroy(&X.lock);
}

/* Takes the NBLs given back so far. */
static PNET_BUFFER_LIST xm_take_returned(ULONG *count)
{
    pthread_mutex_lock(&X.lock);
    PNET_BUFFER_LIST chain = X.returned;
    *count = X.returned_count;
    X.returned = NULL;
    X.returned_count = 0;
    pthread_mutex_unlock(&X.lock);
    return chain;
}

/* ====================================================================== */
/* Rigs                                                                    */
/* ====================================================================== */

typedef struct rig {
    td_miniport m;
    NDIS_HANDLE adapter;
    NDIS_HANDLE binding6;        /* what ndisbuf_stack_bind gave */
    NDIS_HANDLE packets;         /* the test's packet and buffer pools for sends */
    NDIS_HANDLE buffers;
} rig;

static rig R;

/* A td_miniport adapter "td0", the 5.1 protocol registered (and bound when `bind`). */
static rig *rig_up(bool with_receive_packet, bool bind)
{
    memset(&R, 0, sizeof(R));
    t5_reset();
    td_miniport_register(&R.m);
    assert_int_equal(ndisbuf_stack_add_adapter(R.m.driver, "td0", &R.adapter), NDIS_STATUS_SUCCESS);
    t5_register(with_receive_packet);
    R.packets = n5t_packet_pool(T5_MAX, 0, 16);
    R.buffers = n5t_buffer_pool(4 * T5_MAX);
    if (bind) {
        assert_int_equal(ndisbuf_stack_bind(R.adapter, P.handle, &R.binding6), NDIS_STATUS_SUCCESS);
        assert_int_equal(ndisbuf_stack_state(R.binding6), NdisbufStateRunning);
    }
    return &R;
}

static void rig_down(rig *r)
{
    t5_deregister(); /* unbinds what is still bound */
    td_miniport_deregister(&r->m);
    n5t_free_pool(r->packets, NdisFreePacketPool);
    n5t_free_pool(r->buffers, NdisFreeBufferPool);
}

/* A packet over `length` bytes of `data`, cut into `pieces` buffer descriptors. */
static PNDIS_PACKET make_packet(rig *r, UCHAR *data, UINT length, UINT pieces)
{
    PNDIS_PACKET packet = n5t_packet(r->packets);
    UINT at = 0;
    for (UINT i = 0; i < pieces; i++) {
        UINT take = i + 1 == pieces ? length - at : length / pieces;
        NdisChainBufferAtBack(packet, n5t_buffer(r->buffers, data + at, take));
        at += take;
    }
    return packet;
}

static void free_packet(PNDIS_PACKET packet)
{
    n5t_free_chain(packet);
    NdisFreePacket(packet);
}

static void fill(UCHAR *data, UINT length, UCHAR seed)
{
    for (UINT i = 0; i < length; i++)
        data[i] = (UCHAR)(seed + i * 3);
}

/* Takes the sends td_miniport holds (it will not complete them itself). */
static PNET_BUFFER_LIST take_held_sends(td_miniport *m, ULONG *count)
{
    pthread_mutex_lock(&m->lock);
    PNET_BUFFER_LIST chain = m->held_head;
    *count = m->held_count;
    m->held_head = m->held_tail = NULL;
    m->held_count = 0;
    pthread_mutex_unlock(&m->lock);
    return chain;
}

/* A control call on another thread, so the test can look while it waits. */
typedef struct background {
    pthread_t thread;
    NDIS_STATUS (*call)(NDIS_HANDLE);
    NDIS_HANDLE handle;
    NDIS_STATUS status;
    atomic_bool done;
} background;

static void *background_main(void *arg)
{
    background *bg = arg;
    bg->status = bg->call(bg->handle);
    atomic_store(&bg->done, true);
    return NULL;
}

static void background_start(background *bg, NDIS_STATUS (*call)(NDIS_HANDLE), NDIS_HANDLE handle)
{
    bg->call = call;
    bg->handle = handle;
    bg->status = NDIS_STATUS_FAILURE;
    atomic_init(&bg->done, false);
    assert_int_equal(pthread_create(&bg->thread, NULL, background_main, bg), 0);
}

static NDIS_STATUS background_join(background *bg)
{
    pthread_join(bg->thread, NULL);
    return bg->status;
}

/* ====================================================================== */
/* Registration                                                            */
/* ====================================================================== */

static void registration_checks_version_length_and_handlers(void **state)
{
    NDIS_PROTOCOL_CHARACTERISTICS c;
    NDIS_HANDLE handle = (NDIS_HANDLE)1;
    NDIS_STATUS status;
    (void)state;
    t5_reset();

    t5_chars(&c, true);
    c.MajorNdisVersion = 6;
    NdisRegisterProtocol(&status, &handle, &c, sizeof(c));
    assert_int_equal(status, NDIS_STATUS_BAD_VERSION);
    assert_null(handle);
    assert_true(harness_diag_contains("MajorNdisVersion"));

    t5_chars(&c, true);
    NdisRegisterProtocol(&status, &handle, &c, NDIS40_PROTOCOL_CHARACTERISTICS_SIZE);
    assert_int_equal(status, NDIS_STATUS_BAD_CHARACTERISTICS);
    assert_true(harness_diag_contains("CharacteristicsLength"));

    t5_chars(&c, false);
    c.ReceiveHandler = NULL;
    NdisRegisterProtocol(&status, &handle, &c, sizeof(c));
    assert_int_equal(status, NDIS_STATUS_BAD_CHARACTERISTICS);
    assert_true(harness_diag_contains("ReceivePacketHandler or ReceiveHandler"));

    t5_chars(&c, true);
    c.Name.Length = 0;
    NdisRegisterProtocol(&status, &handle, &c, sizeof(c));
    assert_int_equal(status, NDIS_STATUS_BAD_CHARACTERISTICS);
    assert_true(harness_diag_contains("Name"));

    /* NDIS 4.0: its own, shorter, size is enough. */
    t5_chars(&c, true);
    c.MajorNdisVersion = 4;
    c.MinorNdisVersion = 0;
    NdisRegisterProtocol(&status, &P.handle, &c, NDIS40_PROTOCOL_CHARACTERISTICS_SIZE);
    assert_int_equal(status, NDIS_STATUS_SUCCESS);
    t5_deregister();

    NdisDeregisterProtocol(&status, (NDIS_HANDLE)&c);
    assert_int_equal(status, NDIS_STATUS_FAILURE);
    assert_true(harness_diag_contains("not a handle NdisRegisterProtocol gave"));
}

/* ====================================================================== */
/* Binding                                                                 */
/* ====================================================================== */

static void the_registration_handle_binds_through_the_stack(void **state)
{
    (void)state;
    rig *r = rig_up(true, true);
    assert_int_equal(P.binds, 1);
    assert_int_equal(P.open_status, NDIS_STATUS_SUCCESS);
    assert_int_equal(P.selected, 1); /* NdisMedium802_3 is second in the array */
    assert_int_equal(P.device_name.Length, 3 * sizeof(WCHAR));
    assert_true(P.device[0] == 't' && P.device[1] == 'd' && P.device[2] == '0');
    assert_non_null(P.binding);
    assert_ptr_not_equal(P.binding, r->binding6); /* the 5.1 handle is the shim's own */

    assert_int_equal(ndisbuf_stack_unbind(r->binding6), NDIS_STATUS_SUCCESS);
    assert_int_equal(P.unbinds, 1);
    assert_int_equal(ndisbuf_stack_state(r->binding6), NdisbufStateInvalid);
    rig_down(r);
}

static void open_outside_a_bind_or_of_another_adapter_is_not_found(void **state)
{
    NDIS_STATUS status, error;
    NDIS_HANDLE binding = (NDIS_HANDLE)1;
    UINT selected;
    NDIS_MEDIUM medium = NdisMedium802_3;
    NDIS_STRING name = {6, 6, (PWSTR)u"td0"};
    NDIS_HANDLE binding6 = NULL;
    (void)state;
    rig *r = rig_up(true, false);

    NdisOpenAdapter(&status, &error, &binding, &selected, &medium, 1, P.handle, &P, &name, 0, NULL);
    assert_int_equal(status, NDIS_STATUS_ADAPTER_NOT_FOUND);
    assert_null(binding);
    assert_true(harness_diag_contains("no bind of this protocol"));

    P.open_name = "td1";
    assert_int_equal(ndisbuf_stack_bind(r->adapter, P.handle, &binding6), NDIS_STATUS_ADAPTER_NOT_FOUND);
    assert_null(binding6);
    assert_int_equal(P.open_status, NDIS_STATUS_ADAPTER_NOT_FOUND);
    harness_diag_clear();
    rig_down(r);
}

static void an_adapter_of_another_medium_is_refused(void **state)
{
    NDIS_HANDLE binding6 = NULL;
    (void)state;
    rig *r = rig_up(true, false);
    P.media[0] = NdisMediumWan;
    P.media_count = 1;
    assert_int_equal(ndisbuf_stack_bind(r->adapter, P.handle, &binding6), NDIS_STATUS_UNSUPPORTED_MEDIA);
    assert_int_equal(P.open_status, NDIS_STATUS_UNSUPPORTED_MEDIA);
    harness_diag_clear();
    rig_down(r);
}

static void a_bind_that_reports_success_without_opening_fails(void **state)
{
    NDIS_HANDLE binding6 = NULL;
    (void)state;
    rig *r = rig_up(true, false);
    P.skip_open = true;
    assert_int_equal(ndisbuf_stack_bind(r->adapter, P.handle, &binding6), NDIS_STATUS_FAILURE);
    assert_true(harness_diag_contains("without opening the adapter"));
    rig_down(r);
}

static void pended_bind_and_unbind_complete_from_another_thread(void **state)
{
    (void)state;
    rig *r = rig_up(true, false);
    P.pend_bind = true;
    assert_int_equal(ndisbuf_stack_bind(r->adapter, P.handle, &r->binding6), NDIS_STATUS_SUCCESS);
    t5_join_worker();
    assert_int_equal(P.open_status, NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_state(r->binding6), NdisbufStateRunning);

    /* The binding works: a frame goes down and completes. */
    UCHAR data[60];
    fill(data, sizeof(data), 1);
    PNDIS_PACKET packet = make_packet(r, data, sizeof(data), 1);
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
    NdisSend(&status, P.binding, packet);
    assert_int_equal(status, NDIS_STATUS_PENDING);
    t5_wait_completed(1);
    assert_int_equal(t5_status_of(packet), NDIS_STATUS_SUCCESS);
    free_packet(packet);

    P.pend_unbind = true;
    assert_int_equal(ndisbuf_stack_unbind(r->binding6), NDIS_STATUS_SUCCESS);
    t5_join_worker();
    assert_int_equal(P.unbinds, 1);
    assert_int_equal(ndisbuf_stack_state(r->binding6), NdisbufStateInvalid);
    rig_down(r);
}

static void a_bind_completed_before_its_handler_returns_still_finishes(void **state)
{
    (void)state;
    rig *r = rig_up(true, false);
    P.complete_early = true;
    assert_int_equal(ndisbuf_stack_bind(r->adapter, P.handle, &r->binding6), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_state(r->binding6), NdisbufStateRunning);
    rig_down(r);
}

static void deregistering_from_a_bind_handler_is_refused(void **state)
{
    (void)state;
    rig *r = rig_up(true, false);
    P.deregister_inside = true;
    assert_int_equal(ndisbuf_stack_bind(r->adapter, P.handle, &r->binding6), NDIS_STATUS_SUCCESS);
    assert_int_equal(P.deregister_status, NDIS_STATUS_FAILURE);
    assert_true(harness_diag_contains("would wait for itself"));
    assert_int_equal(ndisbuf_stack_state(r->binding6), NdisbufStateRunning);
    rig_down(r);
}

static void close_outside_an_unbind_is_refused(void **state)
{
    NDIS_STATUS status = NDIS_STATUS_SUCCESS;
    (void)state;
    rig *r = rig_up(true, true);
    NdisCloseAdapter(&status, P.binding);
    assert_int_equal(status, NDIS_STATUS_FAILURE);
    assert_true(harness_diag_contains("close it from ProtocolUnbindAdapter"));
    assert_int_equal(ndisbuf_stack_state(r->binding6), NdisbufStateRunning);
    rig_down(r);
}

static void an_unbind_without_close_is_closed_by_the_shim(void **state)
{
    (void)state;
    rig *r = rig_up(true, true);
    P.skip_close = true;
    assert_int_equal(ndisbuf_stack_unbind(r->binding6), NDIS_STATUS_SUCCESS);
    assert_true(harness_diag_contains("without NdisCloseAdapter"));
    rig_down(r);
}

static void deregistering_unbinds_every_binding(void **state)
{
    (void)state;
    rig *r = rig_up(true, true);
    NDIS_HANDLE binding6 = r->binding6;
    t5_deregister();
    assert_int_equal(P.unbinds, 1);
    assert_int_equal(ndisbuf_stack_state(binding6), NdisbufStateInvalid);
    td_miniport_deregister(&r->m);
    n5t_free_pool(r->packets, NdisFreePacketPool);
    n5t_free_pool(r->buffers, NdisFreeBufferPool);
}

/* ====================================================================== */
/* Send                                                                    */
/* ====================================================================== */

/* The packet whose first buffer is `head`, among n. */
static PNDIS_PACKET packet_with_head(PNDIS_PACKET *packets, ULONG n, PMDL head)
{
    for (ULONG i = 0; i < n; i++) {
        PNDIS_BUFFER first = NULL;
        NdisQueryPacket(packets[i], NULL, NULL, &first, NULL);
        if (first == head)
            return packets[i];
    }
    return NULL;
}

static void sends_go_down_over_the_packets_own_buffers(void **state)
{
    enum { N = 4 };
    static UCHAR data[N][300];
    PNDIS_PACKET packets[N];
    (void)state;
    rig *r = rig_up(true, false);
    r->m.hold_sends = true;
    assert_int_equal(ndisbuf_stack_bind(r->adapter, P.handle, &r->binding6), NDIS_STATUS_SUCCESS);
    for (ULONG i = 0; i < N; i++) {
        fill(data[i], sizeof(data[i]), (UCHAR)i);
        packets[i] = make_packet(r, data[i], 60 + 60 * i, 1 + i);
    }
    NdisSendPackets(P.binding, packets, N);

    ULONG held = 0;
    PNET_BUFFER_LIST chain = take_held_sends(&r->m, &held);
    assert_int_equal(held, N);
    ULONG i = 0;
    for (PNET_BUFFER_LIST nbl = chain; nbl; nbl = nbl->Next, i++) {
        PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
        assert_null(NET_BUFFER_NEXT_NB(nb));
        assert_ptr_equal(nbl->SourceHandle, r->binding6);
        PNDIS_PACKET packet = packet_with_head(packets, N, NET_BUFFER_FIRST_MDL(nb));
        assert_ptr_equal(packet, packets[i]); /* in the array's order */
        assert_int_equal(NDIS_GET_PACKET_STATUS(packet), NDIS_STATUS_PENDING);
        UINT total = 0, count = 0;
        PNDIS_BUFFER buffer = NULL;
        NdisQueryPacket(packet, NULL, &count, &buffer, &total);
        assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), total);
        assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 0);
        /* The very descriptors, over the very memory: nothing was copied. */
        PMDL mdl = NET_BUFFER_FIRST_MDL(nb);
        UCHAR *expected = data[i];
        for (; buffer; NdisGetNextBuffer(buffer, &buffer), mdl = mdl->Next) {
            assert_ptr_equal(mdl, buffer);
            assert_ptr_equal(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority), expected);
            expected += MmGetMdlByteCount(mdl);
        }
        assert_null(mdl);
    }
    assert_int_equal(t5_completed(), 0);
    for (PNET_BUFFER_LIST nbl = chain; nbl; nbl = nbl->Next)
        NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_SUCCESS;
    NdisMSendNetBufferListsComplete(r->m.adapter, chain, 0);
    t5_wait_completed(N);
    for (i = 0; i < N; i++) {
        assert_int_equal(t5_status_of(packets[i]), NDIS_STATUS_SUCCESS);
        free_packet(packets[i]);
    }
    rig_down(r);
}

static void each_completion_names_its_packet_and_status_in_any_order(void **state)
{
    enum { N = 6 };
    static UCHAR data[N][100];
    PNDIS_PACKET packets[N];
    NDIS_STATUS expected[N];
    (void)state;
    rig *r = rig_up(true, false);
    r->m.hold_sends = true;
    assert_int_equal(ndisbuf_stack_bind(r->adapter, P.handle, &r->binding6), NDIS_STATUS_SUCCESS);
    for (ULONG i = 0; i < N; i++)
        packets[i] = make_packet(r, data[i], sizeof(data[i]), 2);
    NdisSendPackets(P.binding, packets, N - 1);
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
    NdisSend(&status, P.binding, packets[N - 1]);
    assert_int_equal(status, NDIS_STATUS_PENDING);

    /* Reversed, one at a time, with a status of its own each. */
    ULONG held = 0;
    PNET_BUFFER_LIST chain = take_held_sends(&r->m, &held), reversed = NULL;
    assert_int_equal(held, N);
    while (chain) {
        PNET_BUFFER_LIST next = chain->Next;
        chain->Next = reversed;
        reversed = chain;
        chain = next;
    }
    ULONG k = 0;
    for (PNET_BUFFER_LIST nbl = reversed, next; nbl; nbl = next, k++) {
        next = nbl->Next;
        nbl->Next = NULL;
        PNDIS_PACKET packet = packet_with_head(packets, N, NET_BUFFER_FIRST_MDL(NET_BUFFER_LIST_FIRST_NB(nbl)));
        assert_non_null(packet);
        NET_BUFFER_LIST_STATUS(nbl) = k % 2 ? NDIS_STATUS_FAILURE : NDIS_STATUS_SUCCESS;
        for (ULONG i = 0; i < N; i++)
            if (packets[i] == packet)
                expected[i] = NET_BUFFER_LIST_STATUS(nbl);
        NdisMSendNetBufferListsComplete(r->m.adapter, nbl, 0);
    }
    t5_wait_completed(N);
    for (ULONG i = 0; i < N; i++) {
        assert_ptr_equal(P.done_packet[i], packets[N - 1 - i]); /* in the order they came back */
        assert_int_equal(t5_status_of(packets[i]), expected[i]);
        free_packet(packets[i]);
    }
    rig_down(r);
}

static void a_packet_without_data_completes_with_invalid_packet(void **state)
{
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
    (void)state;
    rig *r = rig_up(true, true);
    PNDIS_PACKET empty = n5t_packet(r->packets);
    NdisSend(&status, P.binding, empty);
    assert_int_equal(status, NDIS_STATUS_PENDING);
    t5_wait_completed(1);
    assert_int_equal(t5_status_of(empty), NDIS_STATUS_INVALID_PACKET);
    assert_true(harness_diag_contains("has no data"));
    assert_int_equal(r->m.sends_seen, 0);
    NdisFreePacket(empty);

    NdisSend(&status, (NDIS_HANDLE)&status, empty); /* not a binding: no completion */
    assert_int_equal(status, NDIS_STATUS_CLOSING);
    assert_true(harness_diag_contains("not a binding NdisOpenAdapter gave"));
    assert_int_equal(t5_completed(), 1);
    rig_down(r);
}

static void a_restart_with_more_context_needs_gives_sends_that_room(void **state)
{
    td_filter f;
    NDIS_HANDLE module = NULL;
    UCHAR data[64];
    ULONG held = 0;
    (void)state;
    rig *r = rig_up(true, true);
    memset(&f, 0, sizeof(f));
    f.context_backfill = 16;
    td_filter_register(&f, "tdctx");
    /* The 5.1 protocol never hears of the pause and restart around the insertion. */
    assert_int_equal(ndisbuf_stack_attach_filter(r->adapter, f.driver, NDISBUF_FILTER_POSITION_TOP, &module),
                     NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_state(r->binding6), NdisbufStateRunning);

    r->m.hold_sends = true;
    PNDIS_PACKET packet = make_packet(r, data, sizeof(data), 1);
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
    NdisSend(&status, P.binding, packet);
    PNET_BUFFER_LIST nbl = take_held_sends(&r->m, &held);
    assert_int_equal(held, 1);
    assert_non_null(nbl->Context);
    assert_true(nbl->Context->Offset >= 16); /* a filter can push its context without allocating */
    NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_SUCCESS;
    NdisMSendNetBufferListsComplete(r->m.adapter, nbl, 0);
    t5_wait_completed(1);
    free_packet(packet);

    t5_deregister();
    td_filter_deregister(&f);
    td_miniport_deregister(&r->m);
    n5t_free_pool(r->packets, NdisFreePacketPool);
    n5t_free_pool(r->buffers, NdisFreeBufferPool);
}

/* A buggy 5.1 protocol touches a packet whose send is still pending: each is PACKET_IN_USE. */
static void a_packet_reused_while_its_send_is_pending_is_reported(void **state)
{
    UCHAR data[64];
    ULONG held = 0;
    (void)state;
    rig *r = rig_up(true, true);
    r->m.hold_sends = true;
    PNDIS_PACKET packet = make_packet(r, data, sizeof(data), 1);
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
    NdisSend(&status, P.binding, packet);
    assert_int_equal(status, NDIS_STATUS_PENDING);

    NdisSend(&status, P.binding, packet); /* again, before ProtocolSendComplete */
    assert_int_equal(status, NDIS_STATUS_FAILURE);
    assert_contains(harness_expect_report(NDISBUF_REPORT_PACKET_IN_USE)->message, "still being sent");
    NdisSendPackets(P.binding, &packet, 1);
    harness_expect_report(NDISBUF_REPORT_PACKET_IN_USE);
    NdisReinitializePacket(packet);
    harness_expect_report(NDISBUF_REPORT_PACKET_IN_USE);
    NdisFreePacket(packet);
    harness_expect_report(NDISBUF_REPORT_PACKET_IN_USE);
    assert_non_null(packet->Private.Head); /* each call left the packet as it was */

    PNET_BUFFER_LIST nbl = take_held_sends(&r->m, &held);
    assert_int_equal(held, 1); /* only the first send went down */
    NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_SUCCESS;
    NdisMSendNetBufferListsComplete(r->m.adapter, nbl, 0);
    t5_wait_completed(1);
    NdisSend(&status, P.binding, packet); /* completed: it may go again */
    nbl = take_held_sends(&r->m, &held);
    assert_int_equal(held, 1);
    NdisMSendNetBufferListsComplete(r->m.adapter, nbl, 0);
    t5_wait_completed(2);
    free_packet(packet);
    rig_down(r);
}

/* ====================================================================== */
/* Pause                                                                   */
/* ====================================================================== */

static void the_pause_waits_for_the_51_protocols_sends(void **state)
{
    UCHAR data[3][80];
    PNDIS_PACKET packets[3];
    background bg;
    (void)state;
    rig *r = rig_up(true, false);
    r->m.hold_sends = true;
    assert_int_equal(ndisbuf_stack_bind(r->adapter, P.handle, &r->binding6), NDIS_STATUS_SUCCESS);
    for (int i = 0; i < 3; i++)
        packets[i] = make_packet(r, data[i], sizeof(data[i]), 1);
    NdisSendPackets(P.binding, packets, 3);

    background_start(&bg, ndisbuf_stack_pause, r->adapter);
    usleep(QUIET_US);
    assert_false(atomic_load(&bg.done));
    assert_int_equal(ndisbuf_stack_state(r->binding6), NdisbufStatePausing);
    assert_int_equal(t5_completed(), 0);

    td_miniport_release_sends(&r->m, NDIS_STATUS_SUCCESS);
    assert_int_equal(background_join(&bg), NDIS_STATUS_SUCCESS);
    assert_int_equal(t5_completed(), 3);
    assert_int_equal(ndisbuf_stack_state(r->binding6), NdisbufStatePaused);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(t5_status_of(packets[i]), NDIS_STATUS_SUCCESS);
        free_packet(packets[i]);
    }
    rig_down(r);
}

static void the_pause_waits_for_packets_the_protocol_keeps(void **state)
{
    background bg;
    (void)state;
    rig *r = rig_up(true, true);
    P.keep = 1;
    td_miniport_indicate(&r->m, 2, 60, 7, 0);
    assert_int_equal(P.held_count, 2);
    assert_int_equal(r->m.receives_returned, 0);

    background_start(&bg, ndisbuf_stack_pause, r->adapter);
    usleep(QUIET_US);
    assert_false(atomic_load(&bg.done));

    NdisReturnPackets(&P.held[0], 1);
    assert_int_equal(r->m.receives_returned, 1);
    usleep(QUIET_US / 5);
    assert_false(atomic_load(&bg.done));
    NdisReturnPackets(&P.held[1], 1);
    assert_int_equal(background_join(&bg), NDIS_STATUS_SUCCESS);
    assert_int_equal(r->m.receives_returned, 2);
    assert_int_equal(r->m.outstanding_rx, 0);

    /* Given back twice: the second return is refused, nothing else happens. */
    NdisReturnPackets(&P.held[1], 1);
    assert_true(harness_diag_contains("not a received packet out with the protocol"));
    rig_down(r);
}

static void sends_while_paused_wait_for_the_restart_in_order(void **state)
{
    UCHAR data[3][64];
    PNDIS_PACKET packets[3];
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
    (void)state;
    rig *r = rig_up(true, true);
    assert_int_equal(ndisbuf_stack_pause(r->adapter), NDIS_STATUS_SUCCESS);
    for (int i = 0; i < 3; i++) {
        packets[i] = make_packet(r, data[i], sizeof(data[i]), 1);
        NdisSend(&status, P.binding, packets[i]);
        assert_int_equal(status, NDIS_STATUS_PENDING);
    }
    usleep(QUIET_US);
    assert_int_equal(t5_completed(), 0);
    assert_int_equal(r->m.sends_seen, 0);

    assert_int_equal(ndisbuf_stack_restart(r->adapter), NDIS_STATUS_SUCCESS);
    t5_wait_completed(3);
    assert_int_equal(r->m.nbls_sent, 3);
    for (int i = 0; i < 3; i++) {
        assert_ptr_equal(P.done_packet[i], packets[i]);
        assert_int_equal(P.done_status[i], NDIS_STATUS_SUCCESS);
        free_packet(packets[i]);
    }
    rig_down(r);
}

static void an_unbind_completes_queued_sends_with_closing_first(void **state)
{
    UCHAR data[2][64];
    PNDIS_PACKET packets[2];
    (void)state;
    rig *r = rig_up(true, true);
    assert_int_equal(ndisbuf_stack_pause(r->adapter), NDIS_STATUS_SUCCESS);
    for (int i = 0; i < 2; i++)
        packets[i] = make_packet(r, data[i], sizeof(data[i]), 1);
    NdisSendPackets(P.binding, packets, 2);
    assert_int_equal(ndisbuf_stack_unbind(r->binding6), NDIS_STATUS_SUCCESS);
    assert_int_equal(P.completed, 2);
    assert_string_equal(P.log, "CCU");
    for (int i = 0; i < 2; i++) {
        assert_int_equal(t5_status_of(packets[i]), NDIS_STATUS_CLOSING);
        free_packet(packets[i]);
    }
    rig_down(r);
}

/* ====================================================================== */
/* Receive                                                                 */
/* ====================================================================== */

static void received_frames_come_up_as_packets_and_go_back(void **state)
{
    (void)state;
    rig *r = rig_up(true, true);
    td_miniport_indicate(&r->m, 3, 100, 40, 0);
    assert_int_equal(P.received, 3);
    for (ULONG i = 0; i < 3; i++) {
        assert_int_equal(P.frames[i].status, NDIS_STATUS_SUCCESS);
        assert_int_equal(P.frames[i].length, 100);
        for (UINT j = 0; j < 100; j++)
            assert_int_equal(P.frames[i].data[j], (UCHAR)(40 + j));
    }
    assert_int_equal(r->m.receives_returned, 3); /* ProtocolReceivePacket returned 0: back at once */
    assert_int_equal(r->m.outstanding_rx, 0);
    rig_down(r);
}

static void a_packet_returned_before_its_indication_ends_goes_back_after_it(void **state)
{
    (void)state;
    rig *r = rig_up(true, true);
    P.keep = 1;
    P.return_inside = true;
    td_miniport_indicate(&r->m, 2, 60, 3, 0);
    assert_int_equal(P.received, 2);
    assert_int_equal(r->m.receives_returned, 2);
    assert_int_equal(r->m.outstanding_rx, 0);
    assert_int_equal(ndisbuf_stack_pause(r->adapter), NDIS_STATUS_SUCCESS); /* nothing held */
    rig_down(r);
}

static void resources_receives_are_lent_for_the_call_only(void **state)
{
    (void)state;
    rig *r = rig_up(true, true);
    P.keep = 1; /* asks to keep; NDIS_STATUS_RESOURCES overrides it */
    td_miniport_indicate(&r->m, 2, 64, 9, NDIS_RECEIVE_FLAGS_RESOURCES);
    assert_int_equal(P.received, 2);
    assert_int_equal(P.held_count, 0);
    assert_int_equal(P.frames[0].status, NDIS_STATUS_RESOURCES);
    assert_int_equal(P.frames[1].status, NDIS_STATUS_RESOURCES);
    assert_int_equal(P.frames[1].data[63], (UCHAR)(9 + 63));
    /* Nothing is held: a pause does not wait. */
    assert_int_equal(ndisbuf_stack_pause(r->adapter), NDIS_STATUS_SUCCESS);
    rig_down(r);
}

/* A receive NBL over caller MDLs: a first NB over pieces (with an empty MDL) from offset 5, a second NB. */
typedef struct handmade {
    UCHAR first[60], second[30];
    MDL mdls[4], mdl2;
    NDIS_HANDLE nbl_pool, nb_pool;
    PNET_BUFFER_LIST nbl;
} handmade;

static void handmade_build(handmade *h)
{
    static const ULONG lengths[4] = {10, 0, 20, 30};
    static const ULONG second[1] = {30};
    fill(h->first, sizeof(h->first), 100);
    fill(h->second, sizeof(h->second), 200);
    harness_mdl_chain(h->mdls, 4, h->first, lengths);
    harness_mdl_chain(&h->mdl2, 1, h->second, second);
    h->nbl_pool = harness_nbl_pool(TRUE, 0, 0, HARNESS_TAG('x', 'm', 'r', 'x'));
    h->nb_pool = harness_nb_pool(0);
    /* 40 bytes from offset 5: 5 of the first MDL, none of the empty one, 20, then 15 of the last 30. */
    h->nbl = NdisAllocateNetBufferAndNetBufferList(h->nbl_pool, 0, 0, h->mdls, 5, 40);
    assert_non_null(h->nbl);
    PNET_BUFFER nb2 = NdisAllocateNetBuffer(h->nb_pool, &h->mdl2, 0, 30);
    assert_non_null(nb2);
    NET_BUFFER_NEXT_NB(NET_BUFFER_LIST_FIRST_NB(h->nbl)) = nb2;
    h->nbl->SourceHandle = X.adapter;
}

static void handmade_free(handmade *h)
{
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(h->nbl);
    PNET_BUFFER nb2 = NET_BUFFER_NEXT_NB(nb);
    NET_BUFFER_NEXT_NB(nb) = NULL;
    NdisFreeNetBuffer(nb2);
    NdisFreeNetBufferList(h->nbl);
    harness_free_nbl_pool(h->nbl_pool);
    harness_free_nb_pool(h->nb_pool);
}

static void xrig_up(void)
{
    t5_reset();
    xm_register();
    assert_int_equal(ndisbuf_stack_add_adapter(X.driver, "xm0", &R.adapter), NDIS_STATUS_SUCCESS);
    t5_register(true);
    assert_int_equal(ndisbuf_stack_bind(R.adapter, P.handle, &R.binding6), NDIS_STATUS_SUCCESS);
}

static void xrig_down(void)
{
    t5_deregister();
    xm_deregister();
}

static void packets_describe_each_nb_from_its_offset_without_copying(void **state)
{
    handmade h;
    ULONG count = 0;
    (void)state;
    xrig_up();
    handmade_build(&h);
    P.keep = 1;
    NdisMIndicateReceiveNetBufferLists(X.adapter, h.nbl, NDIS_DEFAULT_PORT_NUMBER, 1, 0);
    assert_int_equal(P.received, 2);
    assert_int_equal(P.held_count, 2);

    const t5_frame *f = &P.frames[0];
    assert_int_equal(f->length, 40);
    assert_int_equal(f->buffers, 3);
    assert_ptr_equal(f->va[0], h.first + 5);
    assert_int_equal(f->va_length[0], 5);
    assert_ptr_equal(f->va[1], h.first + 10);
    assert_int_equal(f->va_length[1], 20);
    assert_ptr_equal(f->va[2], h.first + 30);
    assert_int_equal(f->va_length[2], 15); /* the last MDL's 15 bytes beyond the data are not described */
    assert_memory_equal(f->data, h.first + 5, 40);
    f = &P.frames[1];
    assert_int_equal(f->buffers, 1);
    assert_ptr_equal(f->va[0], h.second);
    assert_memory_equal(f->data, h.second, 30);

    /* The NBL goes back once both of its packets are back. */
    NdisReturnPackets(&P.held[1], 1);
    assert_null(xm_take_returned(&count));
    NdisReturnPackets(&P.held[0], 1);
    assert_ptr_equal(xm_take_returned(&count), h.nbl);
    assert_int_equal(count, 1);
    handmade_free(&h);
    xrig_down();
}

static void a_packet_kept_for_several_returns_goes_back_after_the_last(void **state)
{
    handmade h;
    ULONG count = 0;
    (void)state;
    xrig_up();
    handmade_build(&h);
    P.keep = 2;
    NdisMIndicateReceiveNetBufferLists(X.adapter, h.nbl, NDIS_DEFAULT_PORT_NUMBER, 1, 0);
    assert_int_equal(P.held_count, 2);
    PNDIS_PACKET both[2] = {P.held[0], P.held[1]};
    NdisReturnPackets(both, 2);
    assert_null(xm_take_returned(&count));
    NdisReturnPackets(both, 2);
    assert_ptr_equal(xm_take_returned(&count), h.nbl);
    handmade_free(&h);
    xrig_down();
}

static void several_nbs_lent_with_resources_are_not_given_back(void **state)
{
    handmade h;
    ULONG count = 0;
    (void)state;
    xrig_up();
    handmade_build(&h);
    P.keep = 1;
    NdisMIndicateReceiveNetBufferLists(X.adapter, h.nbl, NDIS_DEFAULT_PORT_NUMBER, 1, NDIS_RECEIVE_FLAGS_RESOURCES);
    assert_int_equal(P.received, 2);
    assert_int_equal(P.held_count, 0);
    assert_memory_equal(P.frames[0].data, h.first + 5, 40);
    assert_int_equal(P.frames[1].status, NDIS_STATUS_RESOURCES);
    assert_null(xm_take_returned(&count)); /* the NBL was the miniport's again when the call returned */
    handmade_free(&h);
    xrig_down();
}

static void without_receive_packet_frames_come_through_receive(void **state)
{
    (void)state;
    rig *r = rig_up(false, true);
    td_miniport_indicate(&r->m, 3, 90, 5, 0);
    assert_int_equal(P.lookaheads, 3);
    assert_int_equal(P.received, 0);
    assert_int_equal(P.receive_completes, 1); /* once per indication */
    for (ULONG i = 0; i < 3; i++) {
        const t5_frame *f = &P.frames[i];
        assert_int_equal(f->header_size, 14);
        assert_int_equal(f->lookahead_size, 76);
        assert_int_equal(f->packet_size, 76); /* the lookahead is the whole frame */
        for (UINT j = 0; j < 90; j++)
            assert_int_equal(f->data[j], (UCHAR)(5 + j));
        assert_true(f->received_packet_matches);
    }
    assert_int_equal(r->m.receives_returned, 3);

    /* A frame shorter than a header is all header. */
    td_miniport_indicate(&r->m, 1, 10, 0, NDIS_RECEIVE_FLAGS_RESOURCES);
    assert_int_equal(P.frames[3].header_size, 10);
    assert_int_equal(P.frames[3].lookahead_size, 0);
    assert_int_equal(P.receive_completes, 2);

    assert_null(NdisGetReceivedPacket(P.binding, &P)); /* outside ProtocolReceive */
    assert_true(harness_diag_contains("not the MacReceiveContext"));
    rig_down(r);
}

/* ====================================================================== */
/* Requests and status                                                     */
/* ====================================================================== */

static void requests_become_oid_requests_and_complete_to_the_protocol(void **state)
{
    NDIS_REQUEST request;
    ULONG value = 0;
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
    (void)state;
    xrig_up();

    memset(&request, 0, sizeof(request));
    request.RequestType = NdisRequestQueryInformation;
    request.DATA.QUERY_INFORMATION.Oid = OID_GEN_MAXIMUM_FRAME_SIZE;
    request.DATA.QUERY_INFORMATION.InformationBuffer = &value;
    request.DATA.QUERY_INFORMATION.InformationBufferLength = sizeof(value);
    NdisRequest(&status, P.binding, &request);
    assert_int_equal(status, NDIS_STATUS_SUCCESS);
    assert_int_equal(value, 1500);
    assert_int_equal(request.DATA.QUERY_INFORMATION.BytesWritten, sizeof(ULONG));

    request.DATA.QUERY_INFORMATION.InformationBufferLength = 2;
    NdisRequest(&status, P.binding, &request);
    assert_int_equal(status, NDIS_STATUS_BUFFER_TOO_SHORT);
    assert_int_equal(request.DATA.QUERY_INFORMATION.BytesNeeded, sizeof(ULONG));

    ULONG filter = NDIS_PACKET_TYPE_DIRECTED;
    memset(&request, 0, sizeof(request));
    request.RequestType = NdisRequestSetInformation;
    request.DATA.SET_INFORMATION.Oid = OID_GEN_CURRENT_PACKET_FILTER;
    request.DATA.SET_INFORMATION.InformationBuffer = &filter;
    request.DATA.SET_INFORMATION.InformationBufferLength = sizeof(filter);
    NdisRequest(&status, P.binding, &request);
    assert_int_equal(status, NDIS_STATUS_SUCCESS);
    assert_int_equal(request.DATA.SET_INFORMATION.BytesRead, sizeof(ULONG));

    /* Pended below: ProtocolRequestComplete gets the protocol's own request, filled in. */
    memset(&request, 0, sizeof(request));
    request.RequestType = NdisRequestQueryInformation;
    request.DATA.QUERY_INFORMATION.Oid = OID_GEN_LINK_SPEED;
    request.DATA.QUERY_INFORMATION.InformationBuffer = &value;
    request.DATA.QUERY_INFORMATION.InformationBufferLength = sizeof(value);
    NdisRequest(&status, P.binding, &request);
    assert_int_equal(status, NDIS_STATUS_PENDING);
    assert_non_null(X.pended);
    *(ULONG *)X.pended->DATA.QUERY_INFORMATION.InformationBuffer = 12345;
    X.pended->DATA.QUERY_INFORMATION.BytesWritten = sizeof(ULONG);
    NdisMOidRequestComplete(X.adapter, X.pended, NDIS_STATUS_SUCCESS);
    assert_int_equal(P.requests_completed, 1);
    assert_int_equal(P.request_status, NDIS_STATUS_SUCCESS);
    assert_int_equal(value, 12345);
    assert_int_equal(request.DATA.QUERY_INFORMATION.BytesWritten, sizeof(ULONG));

    request.RequestType = NdisRequestGeneric1;
    NdisRequest(&status, P.binding, &request);
    assert_int_equal(status, NDIS_STATUS_NOT_SUPPORTED);
    assert_true(harness_diag_contains("only queries and sets"));
    xrig_down();
}

static void status_indications_reach_status_and_status_complete(void **state)
{
    NDIS_STATUS_INDICATION indication;
    (void)state;
    rig *r = rig_up(true, true);
    memset(&indication, 0, sizeof(indication));
    indication.Header.Type = NDIS_OBJECT_TYPE_STATUS_INDICATION;
    indication.Header.Revision = NDIS_STATUS_INDICATION_REVISION_1;
    indication.Header.Size = NDIS_SIZEOF_STATUS_INDICATION_REVISION_1;
    indication.SourceHandle = r->m.adapter;
    indication.StatusCode = NDIS_STATUS_MEDIA_DISCONNECTED;
    NdisMIndicateStatusEx(r->m.adapter, &indication);
    assert_int_equal(P.statuses, 1);
    assert_int_equal(P.last_status, NDIS_STATUS_MEDIA_DISCONNECTED);
    assert_int_equal(P.status_completes, 1);
    rig_down(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(registration_checks_version_length_and_handlers),
        HARNESS_TEST(the_registration_handle_binds_through_the_stack),
        HARNESS_TEST(open_outside_a_bind_or_of_another_adapter_is_not_found),
        HARNESS_TEST(an_adapter_of_another_medium_is_refused),
        HARNESS_TEST(a_bind_that_reports_success_without_opening_fails),
        HARNESS_TEST(pended_bind_and_unbind_complete_from_another_thread),
        HARNESS_TEST(a_bind_completed_before_its_handler_returns_still_finishes),
        HARNESS_TEST(deregistering_from_a_bind_handler_is_refused),
        HARNESS_TEST(close_outside_an_unbind_is_refused),
        HARNESS_TEST(an_unbind_without_close_is_closed_by_the_shim),
        HARNESS_TEST(deregistering_unbinds_every_binding),
        HARNESS_TEST(sends_go_down_over_the_packets_own_buffers),
        HARNESS_TEST(each_completion_names_its_packet_and_status_in_any_order),
        HARNESS_TEST(a_packet_without_data_completes_with_invalid_packet),
        HARNESS_TEST(a_restart_with_more_context_needs_gives_sends_that_room),
        HARNESS_TEST(a_packet_reused_while_its_send_is_pending_is_reported),
        HARNESS_TEST(the_pause_waits_for_the_51_protocols_sends),
        HARNESS_TEST(the_pause_waits_for_packets_the_protocol_keeps),
        HARNESS_TEST(sends_while_paused_wait_for_the_restart_in_order),
        HARNESS_TEST(an_unbind_completes_queued_sends_with_closing_first),
        HARNESS_TEST(received_frames_come_up_as_packets_and_go_back),
        HARNESS_TEST(a_packet_returned_before_its_indication_ends_goes_back_after_it),
        HARNESS_TEST(resources_receives_are_lent_for_the_call_only),
        HARNESS_TEST(packets_describe_each_nb_from_its_offset_without_copying),
        HARNESS_TEST(a_packet_kept_for_several_returns_goes_back_after_the_last),
        HARNESS_TEST(several_nbs_lent_with_resources_are_not_given_back),
        HARNESS_TEST(without_receive_packet_frames_come_through_receive),
        HARNESS_TEST(requests_become_oid_requests_and_complete_to_the_protocol),
        HARNESS_TEST(status_indications_reach_status_and_status_complete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
