/* SPDX-License-Identifier: MIT */
/*
 * The calls drivers make from their control handlers: attributes, opening
 * and closing a binding, and the completions of handlers that pended.
 * Each checks that it is made where NDIS allows it (NdisMSetMiniportAttributes
 * only from MiniportInitializeEx, NdisOpenAdapterEx only with the
 * BindContext of a bind in progress, ...) and fails with a diagnostic
 * otherwise.
 */
#include "stack/stack.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "verify/verify.h"

/* ---- miniport and filter attributes ---- */

static NDIS_STATUS set_registration(stack_adapter *a, const NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES *r,
                                    const char *fn)
{
    if (r->Header.Size < NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1) {
        vf_diagnostic(fn, "registration attributes Header.Size %u is below revision 1's %u", r->Header.Size,
                      (unsigned)NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1);
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    a->miniport.context = r->MiniportAdapterContext;
    a->have_registration = true;
    return NDIS_STATUS_SUCCESS;
}

#define BACKFILL_LIMIT 0xFFFFu

static NDIS_STATUS set_general(stack_adapter *a, const NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES *g, const char *fn)
{
    if (!a->have_registration) {
        vf_diagnostic(fn, "general attributes set before the registration attributes");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    if (g->Header.Size < NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1) {
        vf_diagnostic(fn, "general attributes Header.Size %u is below revision 1's %u", g->Header.Size,
                      (unsigned)NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1);
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    if (g->MacAddressLength > NDIS_MAX_PHYS_ADDRESS_LENGTH || g->MtuSize == 0) {
        vf_diagnostic(fn, "general attributes: MacAddressLength %u (at most %u) / MtuSize %u (not 0)",
                      g->MacAddressLength, NDIS_MAX_PHYS_ADDRESS_LENGTH, g->MtuSize);
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    if (g->DataBackFillSize > BACKFILL_LIMIT || g->ContextBackFillSize > BACKFILL_LIMIT) {
        vf_diagnostic(fn, "general attributes: DataBackFillSize %u / ContextBackFillSize %u above %u",
                      g->DataBackFillSize, g->ContextBackFillSize, BACKFILL_LIMIT);
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    memset(&a->general, 0, sizeof a->general);
    memcpy(&a->general, g, g->Header.Size < sizeof a->general ? g->Header.Size : sizeof a->general);
    a->have_general = true;
    return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS NdisMSetMiniportAttributes(NDIS_HANDLE NdisMiniportHandle, PNDIS_MINIPORT_ADAPTER_ATTRIBUTES attrs)
{
    static const char fn[] = "NdisMSetMiniportAttributes";
    stack_layer *m = stack_layer_checked(NdisMiniportHandle, STACK_KIND_MINIPORT, fn, "NdisMiniportHandle");
    if (!m)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (!attrs) {
        vf_diagnostic(fn, "MiniportAttributes is NULL");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    if (stack_state(m) != NdisbufStateInitializing) {
        vf_diagnostic(fn, "called outside MiniportInitializeEx (adapter '%s' is %s)", m->adapter->name,
                      ndisbuf_layer_state_name(stack_state(m)));
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    switch (attrs->Header.Type) {
    case NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES:
        return set_registration(m->adapter, &attrs->RegistrationAttributes, fn);
    case NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES:
        return set_general(m->adapter, &attrs->GeneralAttributes, fn);
    default:
        /* Offload, 802.11, hardware-assist...: accepted, not modelled. */
        if (!m->adapter->have_registration) {
            vf_diagnostic(fn, "attributes of type 0x%02X set before the registration attributes",
                          attrs->Header.Type);
            return NDIS_STATUS_INVALID_PARAMETER;
        }
        return NDIS_STATUS_SUCCESS;
    }
}

NDIS_STATUS NdisFSetAttributes(NDIS_HANDLE NdisFilterHandle, NDIS_HANDLE FilterModuleContext,
                               PNDIS_FILTER_ATTRIBUTES FilterAttributes)
{
    static const char fn[] = "NdisFSetAttributes";
    stack_layer *f = stack_layer_checked(NdisFilterHandle, STACK_KIND_FILTER, fn, "NdisFilterHandle");
    if (!f)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (!FilterAttributes || FilterAttributes->Header.Type != NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES) {
        vf_diagnostic(fn, "FilterAttributes is %s", FilterAttributes ? "not NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES"
                                                                      : "NULL");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    if (stack_state(f) != NdisbufStateAttaching) {
        vf_diagnostic(fn, "called outside FilterAttach");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    f->context = FilterModuleContext;
    f->attributes_set = true;
    return NDIS_STATUS_SUCCESS;
}

/* ---- opening and closing a binding ---- */

static bool medium_selected(const NDIS_OPEN_PARAMETERS *p, NDIS_MEDIUM medium)
{
    if (!p->MediumArray || !p->SelectedMediumIndex)
        return false;
    for (UINT i = 0; i < p->MediumArraySize; i++)
        if (p->MediumArray[i] == medium) {
            *p->SelectedMediumIndex = i;
            return true;
        }
    return false;
}

NDIS_STATUS NdisOpenAdapterEx(NDIS_HANDLE NdisProtocolHandle, NDIS_HANDLE ProtocolBindingContext,
                              PNDIS_OPEN_PARAMETERS OpenParameters, NDIS_HANDLE BindContext,
                              PNDIS_HANDLE NdisBindingHandle)
{
    static const char fn[] = "NdisOpenAdapterEx";
    if (!NdisBindingHandle || !OpenParameters) {
        vf_diagnostic(fn, "%s is NULL", NdisBindingHandle ? "OpenParameters" : "NdisBindingHandle");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    *NdisBindingHandle = NULL;
    stack_layer *b = stack_layer_checked(BindContext, STACK_KIND_PROTOCOL, fn, "BindContext");
    if (!b)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (b->driver != NdisProtocolHandle || stack_state(b) != NdisbufStateOpening || b->opened) {
        vf_diagnostic(fn, "BindContext %p is not a bind of this protocol in progress", BindContext);
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    if (OpenParameters->Header.Type != NDIS_OBJECT_TYPE_OPEN_PARAMETERS) {
        vf_diagnostic(fn, "OpenParameters->Header.Type is 0x%02X, expected NDIS_OBJECT_TYPE_OPEN_PARAMETERS",
                      OpenParameters->Header.Type);
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    if (!medium_selected(OpenParameters, b->adapter->general.MediaType)) {
        vf_diagnostic(fn, "OpenParameters->MediumArray does not list the adapter's medium (%d)",
                      (int)b->adapter->general.MediaType);
        return NDIS_STATUS_UNSUPPORTED_MEDIA;
    }
    b->context = ProtocolBindingContext;
    b->opened = true;
    *NdisBindingHandle = b;
    return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS NdisCloseAdapterEx(NDIS_HANDLE NdisBindingHandle)
{
    static const char fn[] = "NdisCloseAdapterEx";
    stack_layer *b = stack_layer_checked(NdisBindingHandle, STACK_KIND_PROTOCOL, fn, "NdisBindingHandle");
    if (!b)
        return NDIS_STATUS_INVALID_PARAMETER;
    NDISBUF_LAYER_STATE s = stack_state(b);
    if (!b->opened || (s != NdisbufStateClosing && s != NdisbufStateOpening)) {
        vf_diagnostic(fn, "the binding is %s%s: close it from ProtocolUnbindAdapterEx (or a failing bind)",
                      ndisbuf_layer_state_name(s), b->opened ? "" : " and already closed");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    b->opened = false;
    return NDIS_STATUS_SUCCESS;
}

/* ---- completions of handlers that returned NDIS_STATUS_PENDING ---- */

static void complete_layer(NDIS_HANDLE handle, stack_kind kind, NDIS_STATUS status, const char *fn,
                           const char *arg)
{
    stack_layer *l = stack_layer_checked(handle, kind, fn, arg);
    if (l)
        stack_op_complete(l, status, fn);
}

VOID NdisCompleteBindAdapterEx(NDIS_HANDLE BindAddContext, NDIS_STATUS Status)
{
    complete_layer(BindAddContext, STACK_KIND_PROTOCOL, Status, "NdisCompleteBindAdapterEx", "BindAddContext");
}

VOID NdisCompleteUnbindAdapterEx(NDIS_HANDLE UnbindContext)
{
    complete_layer(UnbindContext, STACK_KIND_PROTOCOL, NDIS_STATUS_SUCCESS, "NdisCompleteUnbindAdapterEx",
                   "UnbindContext");
}

VOID NdisCompleteNetPnPEvent(NDIS_HANDLE NdisBindingHandle, PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification,
                             NDIS_STATUS Status)
{
    if (!NetPnPEventNotification) {
        vf_diagnostic("NdisCompleteNetPnPEvent", "NetPnPEventNotification is NULL");
        return;
    }
    complete_layer(NdisBindingHandle, STACK_KIND_PROTOCOL, Status, "NdisCompleteNetPnPEvent", "NdisBindingHandle");
}

VOID NdisMPauseComplete(NDIS_HANDLE MiniportAdapterHandle)
{
    complete_layer(MiniportAdapterHandle, STACK_KIND_MINIPORT, NDIS_STATUS_SUCCESS, "NdisMPauseComplete",
                   "MiniportAdapterHandle");
}

VOID NdisMRestartComplete(NDIS_HANDLE MiniportAdapterHandle, NDIS_STATUS Status)
{
    complete_layer(MiniportAdapterHandle, STACK_KIND_MINIPORT, Status, "NdisMRestartComplete",
                   "MiniportAdapterHandle");
}

VOID NdisFPauseComplete(NDIS_HANDLE NdisFilterHandle)
{
    complete_layer(NdisFilterHandle, STACK_KIND_FILTER, NDIS_STATUS_SUCCESS, "NdisFPauseComplete",
                   "NdisFilterHandle");
}

VOID NdisFRestartComplete(NDIS_HANDLE NdisFilterHandle, NDIS_STATUS Status)
{
    complete_layer(NdisFilterHandle, STACK_KIND_FILTER, Status, "NdisFRestartComplete", "NdisFilterHandle");
}

/* ---- NdisFRestartFilter: the pause and restart run on a thread of their own ---- */

static void *restart_filter_thread(void *arg)
{
    stack_layer *f = arg;
    if (!stack_control_enter("NdisFRestartFilter"))
        return NULL;
    if (stack_layer_fast(f, STACK_KIND_FILTER, "NdisFRestartFilter", "NdisFilterHandle")) {
        stack_adapter *a = f->adapter;
        bool was_running = !a->user_paused && stack_state(&a->miniport) == NdisbufStateRunning;
        stack_pause_all(a, NDIS_PAUSE_FILTER_RESTART_STACK);
        if (was_running)
            stack_restart_all(a);
    }
    stack_control_leave();
    return NULL;
}

NDIS_STATUS NdisFRestartFilter(NDIS_HANDLE NdisFilterHandle)
{
    static const char fn[] = "NdisFRestartFilter";
    stack_layer *f = stack_layer_checked(NdisFilterHandle, STACK_KIND_FILTER, fn, "NdisFilterHandle");
    if (!f)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (stack_state(f) != NdisbufStateRunning) {
        vf_diagnostic(fn, "the module is %s; only a running module asks for a restart",
                      ndisbuf_layer_state_name(stack_state(f)));
        return NDIS_STATUS_FAILURE;
    }
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, restart_filter_thread, f);
    pthread_attr_destroy(&attr);
    return rc == 0 ? NDIS_STATUS_SUCCESS : NDIS_STATUS_RESOURCES;
}
