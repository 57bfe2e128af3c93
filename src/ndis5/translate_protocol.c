/* SPDX-License-Identifier: MIT */
/*
 * The NDIS 5.1 protocol shim, its registration side (docs/ndis5.md,
 * "Running over the NDIS 6 stack").
 *
 * NdisRegisterProtocol keeps a copy of the 5.1 characteristics and
 * registers the shim with NdisRegisterProtocolDriver under the protocol's
 * Name; the 5.1 protocol gets that NDIS 6 handle, so the stack's native
 * calls bind it like any other protocol. The shim's NDIS 6 handlers call
 * the 5.1 ones: bind and unbind (translate_bind.c), send completion
 * (translate_send.c), receive (translate_receive.c), OID completion
 * (translate_request.c), and, here, status indications and PnP events.
 *
 * Pause and restart never reach the 5.1 protocol, which has no such
 * events: the shim pauses the binding itself and completes the pause once
 * every packet it sent down has completed and every packet it indicated
 * up has been returned; a restart rebuilds the send NBL pool when the
 * stack's context needs changed, then lets the queued sends go.
 */
#include <stdlib.h>
#include <string.h>

#include "ndis5/translate.h"
#include "verify/verify.h"

static pthread_mutex_t xl_protocols_lock = PTHREAD_MUTEX_INITIALIZER;
static xl_protocol *xl_protocols;         /* live */
static xl_protocol *xl_retired_protocols; /* deregistered: memory kept, magic dead */

/* Depth of 5.1 control handlers the shim is running on this thread (deregistration would wait for itself). */
static __thread int xl_handler_depth;

void xl_handler_enter(void)
{
    xl_handler_depth++;
}

void xl_handler_leave(void)
{
    xl_handler_depth--;
}

/* ---- the registry ---- */

xl_protocol *xl_protocol_find(NDIS_HANDLE handle6)
{
    xl_protocol *found = NULL;
    pthread_mutex_lock(&xl_protocols_lock);
    for (xl_protocol *p = xl_protocols; p && !found; p = p->next)
        if (handle6 && p->handle6 == handle6)
            found = p;
    pthread_mutex_unlock(&xl_protocols_lock);
    return found;
}

static xl_protocol *xl_protocol_new(void)
{
    pthread_mutex_lock(&xl_protocols_lock);
    xl_protocol *p = xl_retired_protocols;
    if (p)
        xl_retired_protocols = p->next;
    pthread_mutex_unlock(&xl_protocols_lock);
    if (!p && !(p = calloc(1, sizeof(*p))))
        return NULL;
    memset(p, 0, sizeof(*p));
    return p;
}

static void xl_protocol_publish(xl_protocol *p)
{
    pthread_mutex_lock(&xl_protocols_lock);
    p->next = xl_protocols;
    xl_protocols = p;
    pthread_mutex_unlock(&xl_protocols_lock);
}

/* Takes p off the live list (when on it) and keeps its memory for reuse. */
static void xl_protocol_retire(xl_protocol *p)
{
    pthread_mutex_lock(&xl_protocols_lock);
    for (xl_protocol **link = &xl_protocols; *link; link = &(*link)->next)
        if (*link == p) {
            *link = p->next;
            break;
        }
    p->magic = 0;
    p->next = xl_retired_protocols;
    xl_retired_protocols = p;
    pthread_mutex_unlock(&xl_protocols_lock);
}

/* ---- pause and restart, handled for the 5.1 protocol ---- */

void xl_maybe_finish_pause(xl_binding *b)
{
    PNET_PNP_EVENT_NOTIFICATION pause = NULL;
    pthread_mutex_lock(&b->lock);
    if (b->pending_pause && b->sends_out == 0 && b->packets_held == 0) {
        pause = b->pending_pause;
        b->pending_pause = NULL;
        b->state = XL_PAUSED;
    }
    NDIS_HANDLE binding6 = b->binding6;
    pthread_mutex_unlock(&b->lock);
    if (pause)
        NdisCompleteNetPnPEvent(binding6, pause, NDIS_STATUS_SUCCESS);
}

/* NetEventPause: no new sends go down (they queue); done once nothing is sent or held. */
static NDIS_STATUS xl_pause(xl_binding *b, PNET_PNP_EVENT_NOTIFICATION notification)
{
    NDIS_STATUS status = NDIS_STATUS_SUCCESS;
    pthread_mutex_lock(&b->lock);
    if (b->sends_out == 0 && b->packets_held == 0) {
        b->state = XL_PAUSED;
    } else {
        b->state = XL_PAUSING;
        b->pending_pause = notification;
        status = NDIS_STATUS_PENDING;
    }
    pthread_cond_broadcast(&b->changed);
    pthread_mutex_unlock(&b->lock);
    return status;
}

static PNDIS_RESTART_GENERAL_ATTRIBUTES xl_general_attributes(PNDIS_RESTART_ATTRIBUTES attributes)
{
    for (; attributes; attributes = attributes->Next)
        if (attributes->Oid == OID_GEN_MINIPORT_RESTART_ATTRIBUTES &&
            attributes->DataLength >= NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_1)
            return (PNDIS_RESTART_GENERAL_ATTRIBUTES)(void *)attributes->Data;
    return NULL;
}

/* NetEventRestart: a pool for the stack's context needs, then the queued sends may go. */
static NDIS_STATUS xl_restart(xl_binding *b, PNDIS_PROTOCOL_RESTART_PARAMETERS parameters)
{
    PNDIS_RESTART_GENERAL_ATTRIBUTES general = parameters ? xl_general_attributes(parameters->RestartAttributes)
                                                          : NULL;
    if (general) {
        NDIS_STATUS status = xl_replace_nbl_pool(b, general->ContextBackFillSize);
        if (status != NDIS_STATUS_SUCCESS)
            return status;
    }
    pthread_mutex_lock(&b->lock);
    b->state = XL_RUNNING;
    pthread_cond_broadcast(&b->changed);
    pthread_mutex_unlock(&b->lock);
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS xl_net_pnp_event(NDIS_HANDLE ProtocolBindingContext, PNET_PNP_EVENT_NOTIFICATION Notification)
{
    xl_binding *b = ProtocolBindingContext;
    if (!b) /* events for the protocol as a whole: the 5.1 protocol has no binding context for them */
        return NDIS_STATUS_SUCCESS;
    switch (Notification->NetPnPEvent.NetEvent) {
    case NetEventPause:
        return xl_pause(b, Notification);
    case NetEventRestart:
        return xl_restart(b, Notification->NetPnPEvent.Buffer);
    default:
        break;
    }
    PNP_EVENT_HANDLER handler = b->protocol->chars.PnPEventHandler;
    if (!handler || !b->opened)
        return NDIS_STATUS_SUCCESS;
    xl_handler_enter();
    NDIS_STATUS status = handler(b->context5, &Notification->NetPnPEvent);
    xl_handler_leave();
    return status;
}

/* A status indication: ProtocolStatus, then ProtocolStatusComplete. */
static VOID xl_status(NDIS_HANDLE ProtocolBindingContext, PNDIS_STATUS_INDICATION Indication)
{
    xl_binding *b = ProtocolBindingContext;
    const NDIS_PROTOCOL_CHARACTERISTICS *c = &b->protocol->chars;
    if (!b->opened)
        return;
    if (c->StatusHandler)
        c->StatusHandler(b->context5, Indication->StatusCode, Indication->StatusBuffer,
                         Indication->StatusBufferSize);
    if (c->StatusCompleteHandler)
        c->StatusCompleteHandler(b->context5);
}

/* NdisOpenAdapterEx and NdisCloseAdapterEx never pend in ndisbuf (docs/stack.md). */
static VOID xl_open_complete(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status)
{
    (void)ProtocolBindingContext;
    (void)Status;
}

static VOID xl_close_complete(NDIS_HANDLE ProtocolBindingContext)
{
    (void)ProtocolBindingContext;
}

/* ---- registration ---- */

static void xl_fill_characteristics(PNDIS_PROTOCOL_DRIVER_CHARACTERISTICS c, const NDIS_STRING *name)
{
    memset(c, 0, sizeof(*c));
    c->Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS;
    c->Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1;
    c->Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1;
    c->MajorNdisVersion = 6;
    c->MinorNdisVersion = 0;
    c->Name = *name;
    c->BindAdapterHandlerEx = xl_bind_adapter_ex;
    c->UnbindAdapterHandlerEx = xl_unbind_adapter_ex;
    c->OpenAdapterCompleteHandlerEx = xl_open_complete;
    c->CloseAdapterCompleteHandlerEx = xl_close_complete;
    c->NetPnPEventHandler = xl_net_pnp_event;
    c->OidRequestCompleteHandler = xl_oid_complete;
    c->StatusHandlerEx = xl_status;
    c->ReceiveNetBufferListsHandler = xl_receive;
    c->SendNetBufferListsCompleteHandler = xl_send_complete;
}

/* The checks of NdisRegisterProtocol, with the documented status of each. */
static NDIS_STATUS xl_check_characteristics(const NDIS_PROTOCOL_CHARACTERISTICS *c, UINT length, const char *fn)
{
    if (length < RTL_SIZEOF_THROUGH_FIELD(NDIS_PROTOCOL_CHARACTERISTICS, MinorNdisVersion)) {
        vf_diagnostic(fn, "CharacteristicsLength %u does not even reach MajorNdisVersion", length);
        return NDIS_STATUS_BAD_CHARACTERISTICS;
    }
    if (c->MajorNdisVersion != 4 && c->MajorNdisVersion != 5) {
        vf_diagnostic(fn, "MajorNdisVersion %u.%u: the shim runs NDIS 4.0 and 5.x protocols", c->MajorNdisVersion,
                      c->MinorNdisVersion);
        return NDIS_STATUS_BAD_VERSION;
    }
    size_t needed = c->MajorNdisVersion == 4 ? NDIS40_PROTOCOL_CHARACTERISTICS_SIZE
                                             : NDIS50_PROTOCOL_CHARACTERISTICS_SIZE;
    if (length < needed) {
        vf_diagnostic(fn, "CharacteristicsLength %u is below the %zu bytes of NDIS %u.x characteristics", length,
                      needed, c->MajorNdisVersion);
        return NDIS_STATUS_BAD_CHARACTERISTICS;
    }
    const char *missing = !c->Name.Buffer || !c->Name.Length ? "Name"
                          : !c->BindAdapterHandler          ? "BindAdapterHandler"
                          : !c->UnbindAdapterHandler        ? "UnbindAdapterHandler"
                          : !c->SendCompleteHandler         ? "SendCompleteHandler"
                          : !c->ReceivePacketHandler && !c->ReceiveHandler ? "ReceivePacketHandler or ReceiveHandler"
                                                                            : NULL;
    if (missing) {
        vf_diagnostic(fn, "the characteristics have no %s (required)", missing);
        return NDIS_STATUS_BAD_CHARACTERISTICS;
    }
    return NDIS_STATUS_SUCCESS;
}

VOID NdisRegisterProtocol(PNDIS_STATUS Status, PNDIS_HANDLE NdisProtocolHandle,
                          PNDIS_PROTOCOL_CHARACTERISTICS ProtocolCharacteristics, UINT CharacteristicsLength)
{
    static const char fn[] = "NdisRegisterProtocol";
    if (!Status) {
        vf_diagnostic(fn, "Status is NULL");
        return;
    }
    if (!NdisProtocolHandle || !ProtocolCharacteristics) {
        vf_diagnostic(fn, "%s is NULL", NdisProtocolHandle ? "ProtocolCharacteristics" : "NdisProtocolHandle");
        *Status = NDIS_STATUS_BAD_CHARACTERISTICS;
        return;
    }
    *NdisProtocolHandle = NULL;
    *Status = xl_check_characteristics(ProtocolCharacteristics, CharacteristicsLength, fn);
    if (*Status != NDIS_STATUS_SUCCESS)
        return;
    xl_protocol *p = xl_protocol_new();
    if (!p) {
        *Status = NDIS_STATUS_RESOURCES;
        return;
    }
    memcpy(&p->chars, ProtocolCharacteristics,
           CharacteristicsLength < sizeof(p->chars) ? CharacteristicsLength : sizeof(p->chars));
    if (p->chars.MajorNdisVersion == 4) /* the CoNDIS members are NDIS 5's */
        memset((char *)&p->chars + NDIS40_PROTOCOL_CHARACTERISTICS_SIZE, 0,
               sizeof(p->chars) - NDIS40_PROTOCOL_CHARACTERISTICS_SIZE);
    p->magic = XL_PROTOCOL_MAGIC;

    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS chars6;
    xl_fill_characteristics(&chars6, &p->chars.Name);
    *Status = NdisRegisterProtocolDriver(p, &chars6, &p->handle6);
    if (*Status != NDIS_STATUS_SUCCESS) {
        xl_protocol_retire(p);
        return;
    }
    xl_protocol_publish(p);
    *NdisProtocolHandle = p->handle6;
}

VOID NdisDeregisterProtocol(PNDIS_STATUS Status, NDIS_HANDLE NdisProtocolHandle)
{
    static const char fn[] = "NdisDeregisterProtocol";
    if (!Status) {
        vf_diagnostic(fn, "Status is NULL");
        return;
    }
    xl_protocol *p = xl_protocol_find(NdisProtocolHandle);
    if (!p) {
        vf_diagnostic(fn, "NdisProtocolHandle %p is not a handle NdisRegisterProtocol gave", NdisProtocolHandle);
        *Status = NDIS_STATUS_FAILURE;
        return;
    }
    if (xl_handler_depth > 0) {
        vf_diagnostic(fn, "called from inside a protocol handler of a stack operation; it would wait for itself");
        *Status = NDIS_STATUS_FAILURE;
        return;
    }
    NdisDeregisterProtocolDriver(p->handle6); /* unbinds every binding: ProtocolUnbindAdapter for each */
    if (xl_protocol_bindings(p) != 0) {
        vf_diagnostic(fn, "the stack refused to deregister the protocol (bindings remain); nothing changed");
        *Status = NDIS_STATUS_FAILURE;
        return;
    }
    xl_protocol_retire(p);
    *Status = NDIS_STATUS_SUCCESS;
}
