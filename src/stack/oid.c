/* SPDX-License-Identifier: MIT */
/*
 * OID requests, status indications and network PnP events through the
 * stack.
 *
 * A request goes down to the first filter below with an OID handler (which
 * forwards a clone with NdisFOidRequest), else to the miniport. The library
 * stamps each request it routes with the layer that issued it (in its
 * NdisReserved area), so a request completed later (NdisMOidRequestComplete,
 * NdisFOidRequestComplete) goes back to that layer's completion handler.
 * OID_GEN_MINIPORT_RESTART_ATTRIBUTES is answered by the library itself from
 * the sums of the stack below the requester (ndis-semantics §8).
 */
#include "stack/stack.h"

#include <stdlib.h>
#include <string.h>

#include "verify/verify.h"

#define OID_STAMP_MAGIC 0x4F494453u /* 'OIDS' */

typedef struct oid_stamp {
    stack_layer *origin;
    uint32_t magic;
} oid_stamp;

_Static_assert(sizeof(oid_stamp) <= sizeof(((NDIS_OID_REQUEST *)0)->NdisReserved), "stamp fits NdisReserved");

static void stamp_set(PNDIS_OID_REQUEST r, stack_layer *origin)
{
    oid_stamp s = {origin, OID_STAMP_MAGIC};
    memcpy(r->NdisReserved, &s, sizeof s);
}

static stack_layer *stamp_origin(PNDIS_OID_REQUEST r)
{
    oid_stamp s;
    memcpy(&s, r->NdisReserved, sizeof s);
    return s.magic == OID_STAMP_MAGIC ? s.origin : NULL;
}

static bool request_ok(PNDIS_OID_REQUEST r, const char *fn)
{
    if (!r) {
        vf_diagnostic(fn, "OidRequest is NULL");
        return false;
    }
    if (r->Header.Type != NDIS_OBJECT_TYPE_OID_REQUEST) {
        vf_diagnostic(fn, "OidRequest->Header.Type is 0x%02X, expected NDIS_OBJECT_TYPE_OID_REQUEST (0x%02X)",
                      r->Header.Type, NDIS_OBJECT_TYPE_OID_REQUEST);
        return false;
    }
    return true;
}

/* The adapter accepts OIDs once initialised and until it halts. */
static bool adapter_ready(const stack_adapter *a)
{
    NDISBUF_LAYER_STATE s = stack_state(&a->miniport);
    return s == NdisbufStatePaused || s == NdisbufStateRestarting || s == NdisbufStateRunning ||
           s == NdisbufStatePausing;
}

/* Answers OID_GEN_MINIPORT_RESTART_ATTRIBUTES with the given sums. */
static NDIS_STATUS answer_restart_attributes(PNDIS_OID_REQUEST r, const stack_adapter *a, ULONG data, ULONG context)
{
    if (r->RequestType != NdisRequestQueryInformation)
        return NDIS_STATUS_NOT_SUPPORTED;
    UINT need = sizeof(NDIS_RESTART_GENERAL_ATTRIBUTES);
    if (r->DATA.QUERY_INFORMATION.InformationBufferLength < need || !r->DATA.QUERY_INFORMATION.InformationBuffer) {
        r->DATA.QUERY_INFORMATION.BytesNeeded = need;
        r->DATA.QUERY_INFORMATION.BytesWritten = 0;
        return NDIS_STATUS_BUFFER_TOO_SHORT;
    }
    pthread_mutex_lock(&stack_lock);
    NDIS_RESTART_GENERAL_ATTRIBUTES g = a->top;
    pthread_mutex_unlock(&stack_lock);
    g.DataBackFillSize = data;
    g.ContextBackFillSize = context;
    memcpy(r->DATA.QUERY_INFORMATION.InformationBuffer, &g, need);
    r->DATA.QUERY_INFORMATION.BytesWritten = need;
    r->DATA.QUERY_INFORMATION.BytesNeeded = 0;
    return NDIS_STATUS_SUCCESS;
}

/* Down from `above` (a filter index, or TOP) to the next OID handler. */
static NDIS_STATUS oid_down(stack_adapter *a, ULONG above, PNDIS_OID_REQUEST r)
{
    if (!adapter_ready(a))
        return NDIS_STATUS_ADAPTER_NOT_READY;
    ULONG i = above == STACK_INDEX_TOP ? a->filter_count : above - 1;
    for (; i >= 1; i--) {
        stack_layer *f = a->filters[i];
        if (f->driver->chars.filter.OidRequestHandler)
            return f->driver->chars.filter.OidRequestHandler(f->context, r);
    }
    return a->miniport.driver->chars.miniport.OidRequestHandler(a->miniport.context, r);
}

static bool binding_accepts_oids(const stack_layer *b)
{
    NDISBUF_LAYER_STATE s = stack_state(b);
    return b->opened && (s == NdisbufStateOpening || s == NdisbufStatePaused || s == NdisbufStateRestarting ||
                         s == NdisbufStateRunning || s == NdisbufStatePausing);
}

NDIS_STATUS NdisOidRequest(NDIS_HANDLE NdisBindingHandle, PNDIS_OID_REQUEST OidRequest)
{
    static const char fn[] = "NdisOidRequest";
    stack_layer *b = stack_layer_fast(NdisBindingHandle, STACK_KIND_PROTOCOL, fn, "NdisBindingHandle");
    if (!b || !request_ok(OidRequest, fn))
        return NDIS_STATUS_INVALID_PARAMETER;
    if (!binding_accepts_oids(b))
        return NDIS_STATUS_CLOSING;
    stack_adapter *a = b->adapter;
    if (OidRequest->DATA.Oid == OID_GEN_MINIPORT_RESTART_ATTRIBUTES)
        return answer_restart_attributes(OidRequest, a, a->top.DataBackFillSize, a->top.ContextBackFillSize);
    stamp_set(OidRequest, b);
    return oid_down(a, STACK_INDEX_TOP, OidRequest);
}

NDIS_STATUS NdisFOidRequest(NDIS_HANDLE NdisFilterHandle, PNDIS_OID_REQUEST OidRequest)
{
    static const char fn[] = "NdisFOidRequest";
    stack_layer *f = stack_layer_fast(NdisFilterHandle, STACK_KIND_FILTER, fn, "NdisFilterHandle");
    if (!f || !request_ok(OidRequest, fn))
        return NDIS_STATUS_INVALID_PARAMETER;
    stack_adapter *a = f->adapter;
    if (OidRequest->DATA.Oid == OID_GEN_MINIPORT_RESTART_ATTRIBUTES) {
        const stack_layer *below = f->index > 1 ? a->filters[f->index - 1] : &a->miniport;
        return answer_restart_attributes(OidRequest, a, below->data_backfill, below->context_backfill);
    }
    stamp_set(OidRequest, f);
    return oid_down(a, f->index, OidRequest);
}

/* A pended request goes back to the layer that issued it. */
static void oid_complete_to_origin(PNDIS_OID_REQUEST r, NDIS_STATUS status, const stack_layer *completer,
                                   const char *fn)
{
    stack_layer *origin = stamp_origin(r);
    if (!origin || origin == completer || (origin->kind != STACK_KIND_PROTOCOL && origin->kind != STACK_KIND_FILTER)) {
        vf_diagnostic(fn, "OidRequest %p was not routed through this stack (or is completed by its issuer)",
                      (void *)r);
        return;
    }
    if (origin->kind == STACK_KIND_PROTOCOL)
        origin->driver->chars.protocol.OidRequestCompleteHandler(origin->context, r, status);
    else
        origin->driver->chars.filter.OidRequestCompleteHandler(origin->context, r, status);
}

VOID NdisMOidRequestComplete(NDIS_HANDLE MiniportAdapterHandle, PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status)
{
    static const char fn[] = "NdisMOidRequestComplete";
    stack_layer *m = stack_layer_fast(MiniportAdapterHandle, STACK_KIND_MINIPORT, fn, "MiniportAdapterHandle");
    if (m && request_ok(OidRequest, fn))
        oid_complete_to_origin(OidRequest, Status, m, fn);
}

VOID NdisFOidRequestComplete(NDIS_HANDLE NdisFilterHandle, PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status)
{
    static const char fn[] = "NdisFOidRequestComplete";
    stack_layer *f = stack_layer_fast(NdisFilterHandle, STACK_KIND_FILTER, fn, "NdisFilterHandle");
    if (f && request_ok(OidRequest, fn))
        oid_complete_to_origin(OidRequest, Status, f, fn);
}

VOID NdisCancelOidRequest(NDIS_HANDLE NdisBindingHandle, PVOID RequestId)
{
    static const char fn[] = "NdisCancelOidRequest";
    stack_layer *b = stack_layer_fast(NdisBindingHandle, STACK_KIND_PROTOCOL, fn, "NdisBindingHandle");
    if (!b)
        return;
    stack_adapter *a = b->adapter;
    for (ULONG i = a->filter_count; i >= 1; i--) {
        stack_layer *f = a->filters[i];
        if (f->driver->chars.filter.OidRequestHandler) {
            if (f->driver->chars.filter.CancelOidRequestHandler)
                f->driver->chars.filter.CancelOidRequestHandler(f->context, RequestId);
            return;
        }
    }
    a->miniport.driver->chars.miniport.CancelOidRequestHandler(a->miniport.context, RequestId);
}

/* ---- cloned requests (filters) ---- */

static atomic_long clones_outstanding;

NDIS_STATUS NdisAllocateCloneOidRequest(NDIS_HANDLE SourceHandle, PNDIS_OID_REQUEST OidRequest, UINT PoolTag,
                                        PNDIS_OID_REQUEST *ClonedOidRequest)
{
    static const char fn[] = "NdisAllocateCloneOidRequest";
    (void)PoolTag;
    if (ClonedOidRequest)
        *ClonedOidRequest = NULL;
    if (!ClonedOidRequest || !stack_layer_fast(SourceHandle, 0, fn, "SourceHandle") || !request_ok(OidRequest, fn))
        return NDIS_STATUS_INVALID_PARAMETER;
    PNDIS_OID_REQUEST clone = malloc(sizeof *clone);
    if (!clone)
        return NDIS_STATUS_RESOURCES;
    memcpy(clone, OidRequest, sizeof *clone);
    memset(clone->NdisReserved, 0, sizeof clone->NdisReserved);
    atomic_fetch_add(&clones_outstanding, 1);
    *ClonedOidRequest = clone;
    return NDIS_STATUS_SUCCESS;
}

VOID NdisFreeCloneOidRequest(NDIS_HANDLE SourceHandle, PNDIS_OID_REQUEST Request)
{
    static const char fn[] = "NdisFreeCloneOidRequest";
    if (!stack_layer_fast(SourceHandle, 0, fn, "SourceHandle") || !Request) {
        if (!Request)
            vf_diagnostic(fn, "Request is NULL");
        return;
    }
    atomic_fetch_sub(&clones_outstanding, 1);
    free(Request);
}

/* ---- status indications: up ---- */

static bool binding_hears_status(const stack_layer *b)
{
    NDISBUF_LAYER_STATE s = stack_state(b);
    return s != NdisbufStateClosing && s != NdisbufStateUnbound && s != NdisbufStateInvalid;
}

static void status_up(stack_adapter *a, ULONG from, PNDIS_STATUS_INDICATION s)
{
    for (ULONG i = from + 1; i <= a->filter_count; i++) {
        stack_layer *f = a->filters[i];
        if (f->driver->chars.filter.StatusHandler) {
            f->driver->chars.filter.StatusHandler(f->context, s);
            return;
        }
    }
    for (ULONG i = 0; i < a->binding_count; i++) {
        stack_layer *b = a->bindings[i];
        if ((!s->DestinationHandle || s->DestinationHandle == (NDIS_HANDLE)b) && binding_hears_status(b))
            b->driver->chars.protocol.StatusHandlerEx(b->context, s);
    }
}

static bool indication_ok(PNDIS_STATUS_INDICATION s, const char *fn)
{
    if (!s || s->Header.Type != NDIS_OBJECT_TYPE_STATUS_INDICATION) {
        vf_diagnostic(fn, "StatusIndication is %s", s ? "not NDIS_OBJECT_TYPE_STATUS_INDICATION" : "NULL");
        return false;
    }
    return true;
}

VOID NdisMIndicateStatusEx(NDIS_HANDLE MiniportAdapterHandle, PNDIS_STATUS_INDICATION StatusIndication)
{
    static const char fn[] = "NdisMIndicateStatusEx";
    stack_layer *m = stack_layer_fast(MiniportAdapterHandle, STACK_KIND_MINIPORT, fn, "MiniportAdapterHandle");
    if (m && indication_ok(StatusIndication, fn))
        status_up(m->adapter, 0, StatusIndication);
}

VOID NdisFIndicateStatus(NDIS_HANDLE NdisFilterHandle, PNDIS_STATUS_INDICATION StatusIndication)
{
    static const char fn[] = "NdisFIndicateStatus";
    stack_layer *f = stack_layer_fast(NdisFilterHandle, STACK_KIND_FILTER, fn, "NdisFilterHandle");
    if (f && indication_ok(StatusIndication, fn))
        status_up(f->adapter, f->index, StatusIndication);
}

/* ---- network PnP events a filter passes up ---- */

NDIS_STATUS NdisFNetPnPEvent(NDIS_HANDLE NdisFilterHandle, PNET_PNP_EVENT_NOTIFICATION n)
{
    static const char fn[] = "NdisFNetPnPEvent";
    stack_layer *f = stack_layer_fast(NdisFilterHandle, STACK_KIND_FILTER, fn, "NdisFilterHandle");
    if (!f || !n) {
        if (f)
            vf_diagnostic(fn, "NetPnPEventNotification is NULL");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    stack_adapter *a = f->adapter;
    for (ULONG i = f->index + 1; i <= a->filter_count; i++) {
        stack_layer *up = a->filters[i];
        if (up->driver->chars.filter.NetPnPEventHandler)
            return up->driver->chars.filter.NetPnPEventHandler(up->context, n);
    }
    NDIS_STATUS result = NDIS_STATUS_SUCCESS;
    for (ULONG i = 0; i < a->binding_count; i++) {
        stack_layer *b = a->bindings[i];
        NDIS_STATUS st = b->driver->chars.protocol.NetPnPEventHandler(b->context, n);
        if (st != NDIS_STATUS_SUCCESS && result == NDIS_STATUS_SUCCESS)
            result = st;
    }
    return result;
}
