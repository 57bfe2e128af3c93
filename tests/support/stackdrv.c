/* SPDX-License-Identifier: MIT */
/* Test drivers for the binding stack (stackdrv.h). */
#include "stackdrv.h"

#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define TD_FRAME_MAX 1600

static void header(NDIS_OBJECT_HEADER *h, UCHAR type, UCHAR rev, USHORT size)
{
    h->Type = type;
    h->Revision = rev;
    h->Size = size;
}

static NDIS_STRING wide(const char *s)
{
    size_t n = strlen(s);
    WCHAR *w = calloc(n + 1, sizeof *w);
    assert_non_null(w);
    for (size_t i = 0; i < n; i++)
        w[i] = (WCHAR)s[i];
    NDIS_STRING out = {(USHORT)(n * sizeof(WCHAR)), (USHORT)((n + 1) * sizeof(WCHAR)), w};
    return out;
}

/* ====================================================================== */
/* miniport                                                                */
/* ====================================================================== */

static NDIS_STATUS tm_initialize(NDIS_HANDLE handle, NDIS_HANDLE driver_context, PNDIS_MINIPORT_INIT_PARAMETERS ip)
{
    td_miniport *m = driver_context;
    (void)ip;
    if (m->fail_initialize)
        return NDIS_STATUS_FAILURE;
    m->adapter = handle;
    NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES r = {0};
    header(&r.Header, NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
           NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
           NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1);
    r.MiniportAdapterContext = m;
    NDIS_STATUS st = NdisMSetMiniportAttributes(handle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&r);
    if (st != NDIS_STATUS_SUCCESS || m->skip_general_attributes)
        return st;
    NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES g = {0};
    header(&g.Header, NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES,
           NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2, NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2);
    g.MediaType = NdisMedium802_3;
    g.MtuSize = 1500;
    g.MaxXmitLinkSpeed = g.XmitLinkSpeed = g.MaxRcvLinkSpeed = g.RcvLinkSpeed = 1000000000ull;
    g.MacAddressLength = 6;
    static const UCHAR mac[6] = {0x02, 0, 0x5E, 0x10, 0, 1};
    memcpy(g.CurrentMacAddress, mac, 6);
    memcpy(g.PermanentMacAddress, mac, 6);
    g.DataBackFillSize = m->data_backfill;
    g.ContextBackFillSize = m->context_backfill;
    g.LookaheadSize = 1500;
    st = NdisMSetMiniportAttributes(handle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&g);
    if (st != NDIS_STATUS_SUCCESS)
        return st;
    m->rx_pool = harness_nbl_pool(TRUE, 0, TD_FRAME_MAX, HARNESS_TAG('t', 'd', 'r', 'x'));
    return NDIS_STATUS_SUCCESS;
}

static void tm_halt(NDIS_HANDLE ctx, NDIS_HALT_ACTION action)
{
    td_miniport *m = ctx;
    (void)action;
    m->halts++;
    if (m->rx_pool)
        NdisFreeNetBufferListPool(m->rx_pool);
    m->rx_pool = NULL;
}

static bool tm_busy(td_miniport *m)
{
    return m->held_count != 0 || m->outstanding_rx != 0;
}

static NDIS_STATUS tm_pause(NDIS_HANDLE ctx, PNDIS_MINIPORT_PAUSE_PARAMETERS pp)
{
    td_miniport *m = ctx;
    pthread_mutex_lock(&m->lock);
    m->pauses++;
    m->last_pause_reason = pp->PauseReason;
    bool busy = tm_busy(m);
    m->pause_pending = busy;
    pthread_mutex_unlock(&m->lock);
    return busy ? NDIS_STATUS_PENDING : NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS tm_restart(NDIS_HANDLE ctx, PNDIS_MINIPORT_RESTART_PARAMETERS rp)
{
    td_miniport *m = ctx;
    (void)rp;
    m->restarts++;
    if (m->nest_on_restart)
        m->nested_status = ndisbuf_stack_pause(m->adapter);
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS tm_oid(NDIS_HANDLE ctx, PNDIS_OID_REQUEST r)
{
    td_miniport *m = ctx;
    m->oids++;
    if (r->DATA.Oid == OID_GEN_MAXIMUM_FRAME_SIZE && r->RequestType == NdisRequestQueryInformation) {
        if (r->DATA.QUERY_INFORMATION.InformationBufferLength < sizeof(ULONG)) {
            r->DATA.QUERY_INFORMATION.BytesNeeded = sizeof(ULONG);
            return NDIS_STATUS_BUFFER_TOO_SHORT;
        }
        *(ULONG *)r->DATA.QUERY_INFORMATION.InformationBuffer = 1500;
        r->DATA.QUERY_INFORMATION.BytesWritten = sizeof(ULONG);
        return NDIS_STATUS_SUCCESS;
    }
    if (r->DATA.Oid == OID_GEN_LINK_SPEED) {
        /* Completes later: the test drives NdisMOidRequestComplete. */
        return NDIS_STATUS_PENDING;
    }
    return NDIS_STATUS_NOT_SUPPORTED;
}

static void tm_send(NDIS_HANDLE ctx, PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER port, ULONG flags)
{
    td_miniport *m = ctx;
    (void)port;
    ULONG n = 0;
    for (PNET_BUFFER_LIST x = chain; x; x = x->Next) {
        NET_BUFFER_LIST_STATUS(x) = NDIS_STATUS_SUCCESS;
        n++;
    }
    pthread_mutex_lock(&m->lock);
    m->sends_seen++;
    m->nbls_sent += n;
    if (m->hold_sends) {
        PNET_BUFFER_LIST last = chain;
        while (last->Next)
            last = last->Next;
        if (m->held_tail)
            m->held_tail->Next = chain;
        else
            m->held_head = chain;
        m->held_tail = last;
        m->held_count += n;
        pthread_mutex_unlock(&m->lock);
        return;
    }
    pthread_mutex_unlock(&m->lock);
    NdisMSendNetBufferListsComplete(m->adapter, chain,
                                    (flags & NDIS_SEND_FLAGS_DISPATCH_LEVEL) ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0);
}

/* Finishes a pending pause once nothing is out (call without the lock). */
static void tm_maybe_pause_complete(td_miniport *m)
{
    pthread_mutex_lock(&m->lock);
    bool done = m->pause_pending && !tm_busy(m);
    if (done)
        m->pause_pending = false;
    pthread_mutex_unlock(&m->lock);
    if (done)
        NdisMPauseComplete(m->adapter);
}

void td_miniport_release_sends(td_miniport *m, NDIS_STATUS status)
{
    pthread_mutex_lock(&m->lock);
    PNET_BUFFER_LIST chain = m->held_head;
    m->held_head = m->held_tail = NULL;
    m->held_count = 0;
    pthread_mutex_unlock(&m->lock);
    for (PNET_BUFFER_LIST x = chain; x; x = x->Next)
        NET_BUFFER_LIST_STATUS(x) = status;
    if (chain)
        NdisMSendNetBufferListsComplete(m->adapter, chain, 0);
    tm_maybe_pause_complete(m);
}

static void tm_return(NDIS_HANDLE ctx, PNET_BUFFER_LIST chain, ULONG flags)
{
    td_miniport *m = ctx;
    (void)flags;
    ULONG n = 0;
    for (PNET_BUFFER_LIST next; chain; chain = next) {
        next = chain->Next;
        chain->Next = NULL;
        NdisFreeNetBufferList(chain);
        n++;
    }
    pthread_mutex_lock(&m->lock);
    m->receives_returned += n;
    m->outstanding_rx -= n;
    pthread_mutex_unlock(&m->lock);
    tm_maybe_pause_complete(m);
}

void td_miniport_indicate(td_miniport *m, ULONG count, ULONG length, UCHAR seed, ULONG flags)
{
    PNET_BUFFER_LIST head = NULL, *tail = &head;
    for (ULONG i = 0; i < count; i++) {
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(m->rx_pool, 0, 0);
        assert_non_null(nbl);
        PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
        UCHAR *p = MmGetSystemAddressForMdlSafe(NET_BUFFER_CURRENT_MDL(nb), NormalPagePriority);
        for (ULONG j = 0; j < length; j++)
            p[j] = (UCHAR)(seed + j);
        NET_BUFFER_DATA_LENGTH(nb) = length;
        nbl->SourceHandle = m->adapter;
        *tail = nbl;
        tail = &nbl->Next;
    }
    bool resources = (flags & NDIS_RECEIVE_FLAGS_RESOURCES) != 0;
    if (!resources) {
        pthread_mutex_lock(&m->lock);
        m->outstanding_rx += count;
        pthread_mutex_unlock(&m->lock);
    }
    NdisMIndicateReceiveNetBufferLists(m->adapter, head, NDIS_DEFAULT_PORT_NUMBER, count, flags);
    if (resources)
        for (PNET_BUFFER_LIST next; head; head = next) {
            next = head->Next;
            head->Next = NULL;
            NdisFreeNetBufferList(head);
        }
}

static void tm_cancel_send(NDIS_HANDLE ctx, PVOID id)
{
    (void)ctx;
    (void)id;
}

static void tm_shutdown(NDIS_HANDLE ctx, NDIS_SHUTDOWN_ACTION a)
{
    (void)ctx;
    (void)a;
}

static void tm_cancel_oid(NDIS_HANDLE ctx, PVOID id)
{
    (void)ctx;
    (void)id;
}

void td_miniport_register(td_miniport *m)
{
    pthread_mutex_init(&m->lock, NULL);
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS c = {0};
    header(&c.Header, NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS, NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2,
           NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2);
    c.MajorNdisVersion = 6;
    c.MinorNdisVersion = 20;
    c.InitializeHandlerEx = tm_initialize;
    c.HaltHandlerEx = tm_halt;
    c.PauseHandler = tm_pause;
    c.RestartHandler = tm_restart;
    c.OidRequestHandler = tm_oid;
    c.SendNetBufferListsHandler = tm_send;
    c.ReturnNetBufferListsHandler = tm_return;
    c.CancelSendHandler = tm_cancel_send;
    c.ShutdownHandlerEx = tm_shutdown;
    c.CancelOidRequestHandler = tm_cancel_oid;
    assert_int_equal(NdisMRegisterMiniportDriver(NULL, NULL, m, &c, &m->driver), NDIS_STATUS_SUCCESS);
}

void td_miniport_deregister(td_miniport *m)
{
    NdisMDeregisterMiniportDriver(m->driver);
    pthread_mutex_destroy(&m->lock);
}

/* ====================================================================== */
/* filter                                                                  */
/* ====================================================================== */

static NDIS_STATUS tf_attach(NDIS_HANDLE handle, NDIS_HANDLE driver_context, PNDIS_FILTER_ATTACH_PARAMETERS ap)
{
    td_filter *f = driver_context;
    (void)ap;
    if (f->fail_attach)
        return NDIS_STATUS_FAILURE;
    NDIS_FILTER_ATTRIBUTES fa = {0};
    header(&fa.Header, NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES, NDIS_FILTER_ATTRIBUTES_REVISION_1,
           NDIS_SIZEOF_FILTER_ATTRIBUTES_REVISION_1);
    NDIS_STATUS st = NdisFSetAttributes(handle, f, &fa);
    if (st == NDIS_STATUS_SUCCESS) {
        f->module = handle;
        f->attaches++;
    }
    return st;
}

static void tf_detach(NDIS_HANDLE ctx)
{
    td_filter *f = ctx;
    f->detaches++;
}

static PNDIS_RESTART_GENERAL_ATTRIBUTES restart_general_of(PNDIS_RESTART_ATTRIBUTES a)
{
    for (; a; a = a->Next)
        if (a->Oid == OID_GEN_MINIPORT_RESTART_ATTRIBUTES)
            return (PNDIS_RESTART_GENERAL_ATTRIBUTES)(void *)a->Data;
    return NULL;
}

static NDIS_STATUS tf_restart(NDIS_HANDLE ctx, PNDIS_FILTER_RESTART_PARAMETERS rp)
{
    td_filter *f = ctx;
    PNDIS_RESTART_GENERAL_ATTRIBUTES g = restart_general_of(rp->RestartAttributes);
    if (!g)
        return NDIS_STATUS_FAILURE;
    f->restart_data_seen = g->DataBackFillSize;
    g->DataBackFillSize += f->data_backfill;
    g->ContextBackFillSize += f->context_backfill;
    g->MtuSize -= f->mtu_reduction;
    f->restarts++;
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS tf_pause(NDIS_HANDLE ctx, PNDIS_FILTER_PAUSE_PARAMETERS pp)
{
    td_filter *f = ctx;
    f->pauses++;
    f->last_pause_reason = pp->PauseReason;
    return NDIS_STATUS_SUCCESS;
}

static void tf_send(NDIS_HANDLE ctx, PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER port, ULONG flags)
{
    td_filter *f = ctx;
    __atomic_fetch_add(&f->sends, 1, __ATOMIC_RELAXED);
    if (f->send_hook)
        f->send_hook(f, chain, flags);
    else
        NdisFSendNetBufferLists(f->module, chain, port, flags);
}

static void tf_send_complete(NDIS_HANDLE ctx, PNET_BUFFER_LIST chain, ULONG flags)
{
    td_filter *f = ctx;
    __atomic_fetch_add(&f->completes, 1, __ATOMIC_RELAXED);
    if (f->send_complete_hook)
        f->send_complete_hook(f, chain, flags);
    else
        NdisFSendNetBufferListsComplete(f->module, chain, flags);
}

static void tf_receive(NDIS_HANDLE ctx, PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER port, ULONG n, ULONG flags)
{
    td_filter *f = ctx;
    __atomic_fetch_add(&f->receives, 1, __ATOMIC_RELAXED);
    if (f->receive_hook)
        f->receive_hook(f, chain, n, flags);
    else
        NdisFIndicateReceiveNetBufferLists(f->module, chain, port, n, flags);
}

static void tf_return(NDIS_HANDLE ctx, PNET_BUFFER_LIST chain, ULONG flags)
{
    td_filter *f = ctx;
    __atomic_fetch_add(&f->returns, 1, __ATOMIC_RELAXED);
    if (f->return_hook)
        f->return_hook(f, chain, flags);
    else
        NdisFReturnNetBufferLists(f->module, chain, flags);
}

void td_filter_register(td_filter *f, const char *name)
{
    NDIS_FILTER_DRIVER_CHARACTERISTICS c = {0};
    header(&c.Header, NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS, NDIS_FILTER_CHARACTERISTICS_REVISION_2,
           NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_2);
    c.MajorNdisVersion = 6;
    c.MinorNdisVersion = 20;
    c.FriendlyName = wide(name);
    c.UniqueName = wide("{00000000-0000-0000-0000-000000000001}");
    c.ServiceName = wide(name);
    c.AttachHandler = tf_attach;
    c.DetachHandler = tf_detach;
    c.RestartHandler = tf_restart;
    c.PauseHandler = tf_pause;
    if (!f->bypass_data) {
        c.SendNetBufferListsHandler = tf_send;
        c.SendNetBufferListsCompleteHandler = tf_send_complete;
        c.ReceiveNetBufferListsHandler = tf_receive;
        c.ReturnNetBufferListsHandler = tf_return;
    }
    NDIS_STATUS st = NdisFRegisterFilterDriver(NULL, f, &c, &f->driver);
    free(c.FriendlyName.Buffer);
    free(c.UniqueName.Buffer);
    free(c.ServiceName.Buffer);
    assert_int_equal(st, NDIS_STATUS_SUCCESS);
}

void td_filter_deregister(td_filter *f)
{
    NdisFDeregisterFilterDriver(f->driver);
}

/* ====================================================================== */
/* protocol                                                                */
/* ====================================================================== */

static void *complete_bind_later(void *arg)
{
    td_protocol *p = arg;
    NdisCompleteBindAdapterEx(p->bind_context, NDIS_STATUS_SUCCESS);
    return NULL;
}

static NDIS_STATUS tp_bind(NDIS_HANDLE driver_context, NDIS_HANDLE bind_context, PNDIS_BIND_PARAMETERS bp)
{
    td_protocol *p = driver_context;
    if (p->fail_bind)
        return NDIS_STATUS_FAILURE;
    p->bind_params = *bp;
    p->bind_context = bind_context;
    NDIS_MEDIUM media[1] = {NdisMedium802_3};
    UINT selected = 99;
    NDIS_OPEN_PARAMETERS op = {0};
    header(&op.Header, NDIS_OBJECT_TYPE_OPEN_PARAMETERS, NDIS_OPEN_PARAMETERS_REVISION_1,
           NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1);
    op.AdapterName = bp->AdapterName;
    op.MediumArray = media;
    op.MediumArraySize = 1;
    op.SelectedMediumIndex = &selected;
    NDIS_STATUS st = NdisOpenAdapterEx(p->driver, p, &op, bind_context, &p->binding);
    if (st != NDIS_STATUS_SUCCESS)
        return st;
    assert_int_equal(selected, 0);
    p->nbl_pool = harness_nbl_pool(TRUE, 0, 256 + bp->DataBackFillSize, HARNESS_TAG('t', 'd', 'p', 'r'));
    p->binds++;
    if (p->pend_bind) {
        /* Completes from another thread, as a driver waiting for hardware would. */
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, complete_bind_later, p), 0);
        pthread_detach(t);
        return NDIS_STATUS_PENDING;
    }
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS tp_unbind(NDIS_HANDLE unbind_context, NDIS_HANDLE ctx)
{
    td_protocol *p = ctx;
    (void)unbind_context;
    NDIS_STATUS st = NdisCloseAdapterEx(p->binding);
    assert_int_equal(st, NDIS_STATUS_SUCCESS);
    NdisFreeNetBufferListPool(p->nbl_pool);
    p->nbl_pool = NULL;
    p->binding = NULL;
    p->unbinds++;
    return NDIS_STATUS_SUCCESS;
}

static void tp_open_complete(NDIS_HANDLE ctx, NDIS_STATUS st)
{
    (void)ctx;
    (void)st;
}

static void tp_close_complete(NDIS_HANDLE ctx)
{
    (void)ctx;
}

static NDIS_STATUS tp_pnp(NDIS_HANDLE ctx, PNET_PNP_EVENT_NOTIFICATION n)
{
    td_protocol *p = ctx;
    if (n->NetPnPEvent.NetEvent == NetEventPause) {
        p->pauses++;
    } else if (n->NetPnPEvent.NetEvent == NetEventRestart) {
        PNDIS_PROTOCOL_RESTART_PARAMETERS rp = n->NetPnPEvent.Buffer;
        PNDIS_RESTART_GENERAL_ATTRIBUTES g = restart_general_of(rp->RestartAttributes);
        if (g) {
            p->restart_data = g->DataBackFillSize;
            p->restart_context = g->ContextBackFillSize;
        }
        p->restarts++;
    }
    return NDIS_STATUS_SUCCESS;
}

static void tp_oid_complete(NDIS_HANDLE ctx, PNDIS_OID_REQUEST r, NDIS_STATUS st)
{
    td_protocol *p = ctx;
    (void)r;
    p->oid_completions++;
    p->last_oid_status = st;
}

static void tp_status(NDIS_HANDLE ctx, PNDIS_STATUS_INDICATION s)
{
    td_protocol *p = ctx;
    (void)s;
    p->status_indications++;
}

static void tp_receive(NDIS_HANDLE ctx, PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER port, ULONG n, ULONG flags)
{
    td_protocol *p = ctx;
    (void)port;
    pthread_mutex_lock(&p->lock);
    p->receive_calls++;
    p->received += n;
    if (flags & NDIS_RECEIVE_FLAGS_RESOURCES)
        p->resources_receives += n;
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(chain);
    ULONG len = NET_BUFFER_DATA_LENGTH(nb);
    p->last_frame_length = len;
    UCHAR *data = NdisGetDataBuffer(nb, len < sizeof p->last_frame ? len : sizeof p->last_frame, p->last_frame, 1, 0);
    if (data && data != p->last_frame)
        memcpy(p->last_frame, data, len < sizeof p->last_frame ? len : sizeof p->last_frame);
    if (p->keep_resources && (flags & NDIS_RECEIVE_FLAGS_RESOURCES))
        p->kept_resources = chain; /* the bug a test plants: it is only lent */
    bool keep = p->hold_receives && !(flags & NDIS_RECEIVE_FLAGS_RESOURCES);
    if (keep) {
        PNET_BUFFER_LIST last = chain;
        while (last->Next)
            last = last->Next;
        last->Next = p->held_head;
        p->held_head = chain;
        p->held_count += n;
    }
    pthread_mutex_unlock(&p->lock);
    if (!keep && !(flags & NDIS_RECEIVE_FLAGS_RESOURCES))
        NdisReturnNetBufferLists(p->binding, chain, 0);
}

void td_protocol_return_held(td_protocol *p)
{
    pthread_mutex_lock(&p->lock);
    PNET_BUFFER_LIST chain = p->held_head;
    p->held_head = NULL;
    p->held_count = 0;
    pthread_mutex_unlock(&p->lock);
    if (chain)
        NdisReturnNetBufferLists(p->binding, chain, 0);
}

static void tp_send_complete(NDIS_HANDLE ctx, PNET_BUFFER_LIST chain, ULONG flags)
{
    td_protocol *p = ctx;
    (void)flags;
    for (PNET_BUFFER_LIST next; chain; chain = next) {
        next = chain->Next;
        chain->Next = NULL;
        pthread_mutex_lock(&p->lock);
        if (NET_BUFFER_LIST_STATUS(chain) == NDIS_STATUS_SUCCESS)
            p->completed_ok++;
        else if (NET_BUFFER_LIST_STATUS(chain) == NDIS_STATUS_PAUSED)
            p->completed_paused++;
        else
            p->completed_other++;
        bool hold = p->hold_completions;
        if (hold) {
            chain->Next = p->completed;
            p->completed = chain;
        }
        pthread_mutex_unlock(&p->lock);
        if (!hold)
            NdisFreeNetBufferList(chain);
    }
}

void td_protocol_send(td_protocol *p, ULONG count, ULONG length)
{
    PNET_BUFFER_LIST head = NULL, *tail = &head;
    for (ULONG i = 0; i < count; i++) {
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(p->nbl_pool, 0, 0);
        assert_non_null(nbl);
        PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
        NET_BUFFER_DATA_LENGTH(nb) = length;
        nbl->SourceHandle = p->binding;
        *tail = nbl;
        tail = &nbl->Next;
    }
    NdisSendNetBufferLists(p->binding, head, NDIS_DEFAULT_PORT_NUMBER, 0);
}

void td_protocol_register(td_protocol *p, const char *name)
{
    pthread_mutex_init(&p->lock, NULL);
    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS c = {0};
    header(&c.Header, NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS, NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2,
           NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2);
    c.MajorNdisVersion = 6;
    c.MinorNdisVersion = 20;
    c.Name = wide(name);
    c.BindAdapterHandlerEx = tp_bind;
    c.UnbindAdapterHandlerEx = tp_unbind;
    c.OpenAdapterCompleteHandlerEx = tp_open_complete;
    c.CloseAdapterCompleteHandlerEx = tp_close_complete;
    c.NetPnPEventHandler = tp_pnp;
    c.OidRequestCompleteHandler = tp_oid_complete;
    c.StatusHandlerEx = tp_status;
    c.ReceiveNetBufferListsHandler = tp_receive;
    c.SendNetBufferListsCompleteHandler = tp_send_complete;
    NDIS_STATUS st = NdisRegisterProtocolDriver(p, &c, &p->driver);
    free(c.Name.Buffer);
    assert_int_equal(st, NDIS_STATUS_SUCCESS);
}

void td_protocol_deregister(td_protocol *p)
{
    NdisDeregisterProtocolDriver(p->driver);
    pthread_mutex_destroy(&p->lock);
}
