/* SPDX-License-Identifier: MIT */
/*
 * The control path: adapters, filter modules and bindings come and go, the
 * stack pauses and restarts (docs/stack.md).
 *
 * Every topology change pauses the whole stack first (bindings, then
 * filters from the top, then the miniport, each pause drained), changes the
 * layer array, and restarts the stack bottom-up if it was running. A
 * restart builds one NDIS_RESTART_ATTRIBUTES entry from the miniport's
 * general attributes; each layer's restart handler sees, and may add to,
 * what the layers below put in it, so a binding gets the stack's sums.
 */
#include "stack/stack.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "verify/track.h"
#include "verify/verify.h"

/* One OID_GEN_MINIPORT_RESTART_ATTRIBUTES entry with its data. */
typedef struct restart_block {
    union {
        NDIS_RESTART_ATTRIBUTES entry;
        UCHAR bytes[offsetof(NDIS_RESTART_ATTRIBUTES, Data) + sizeof(NDIS_RESTART_GENERAL_ATTRIBUTES)];
    } u;
} restart_block;

static PNDIS_RESTART_GENERAL_ATTRIBUTES restart_general(restart_block *b)
{
    return (PNDIS_RESTART_GENERAL_ATTRIBUTES)(void *)b->u.entry.Data;
}

static void header_set(NDIS_OBJECT_HEADER *h, UCHAR type, UCHAR revision, USHORT size)
{
    h->Type = type;
    h->Revision = revision;
    h->Size = size;
}

/* The entry as the miniport's general attributes describe the adapter. */
static void restart_block_init(restart_block *b, const stack_adapter *a)
{
    memset(b, 0, sizeof *b);
    b->u.entry.Next = NULL;
    b->u.entry.Oid = OID_GEN_MINIPORT_RESTART_ATTRIBUTES;
    b->u.entry.DataLength = sizeof(NDIS_RESTART_GENERAL_ATTRIBUTES);
    PNDIS_RESTART_GENERAL_ATTRIBUTES g = restart_general(b);
    const NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES *m = &a->general;
    header_set(&g->Header, NDIS_OBJECT_TYPE_RESTART_GENERAL_ATTRIBUTES, NDIS_RESTART_GENERAL_ATTRIBUTES_REVISION_2,
               NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_2);
    g->MtuSize = m->MtuSize;
    g->MaxXmitLinkSpeed = m->MaxXmitLinkSpeed;
    g->MaxRcvLinkSpeed = m->MaxRcvLinkSpeed;
    g->LookaheadSize = m->LookaheadSize;
    g->MacOptions = m->MacOptions;
    g->SupportedPacketFilters = m->SupportedPacketFilters;
    g->MaxMulticastListSize = m->MaxMulticastListSize;
    g->RecvScaleCapabilities = m->RecvScaleCapabilities;
    g->AccessType = m->AccessType;
    g->ConnectionType = m->ConnectionType;
    g->SupportedStatistics = m->SupportedStatistics;
    g->DataBackFillSize = m->DataBackFillSize;
    g->ContextBackFillSize = m->ContextBackFillSize;
    g->SupportedOidList = m->SupportedOidList;
    g->SupportedOidListLength = m->SupportedOidListLength;
    g->MaxLookaheadSizeAccessed = m->LookaheadSize;
}

/* A layer that stays running passes on what it passed at its last restart. */
static void restart_block_carry(restart_block *b, const stack_layer *l)
{
    *restart_general(b) = l->restart_out;
}

static void restart_block_record(restart_block *b, stack_layer *l)
{
    l->restart_out = *restart_general(b);
    l->data_backfill = l->restart_out.DataBackFillSize;
    l->context_backfill = l->restart_out.ContextBackFillSize;
}

static bool adapter_running(const stack_adapter *a)
{
    return !a->user_paused && stack_state(&a->miniport) == NdisbufStateRunning;
}

/* ---- pause, layer by layer ---- */

static void pause_done(stack_layer *l, NDIS_STATUS st, const char *handler)
{
    char who[160];
    if (st != NDIS_STATUS_SUCCESS)
        vf_diagnostic(handler, "%s returned 0x%08X for a pause; a pause cannot fail, it is paused anyway",
                      stack_layer_describe(l, who, sizeof who), (unsigned)st);
    stack_wait_drained(l);
    stack_set_state(l, NdisbufStatePaused);
}

static void pause_binding(stack_layer *b, ULONG reason)
{
    NDIS_PROTOCOL_PAUSE_PARAMETERS pp = {0};
    header_set(&pp.Header, NDIS_OBJECT_TYPE_DEFAULT, NDIS_PROTOCOL_PAUSE_PARAMETERS_REVISION_1,
               NDIS_SIZEOF_PROTOCOL_PAUSE_PARAMETERS_REVISION_1);
    pp.PauseReason = reason;
    NET_PNP_EVENT_NOTIFICATION n = {0};
    header_set(&n.Header, NDIS_OBJECT_TYPE_DEFAULT, NET_PNP_EVENT_NOTIFICATION_REVISION_1,
               NDIS_SIZEOF_NET_PNP_EVENT_NOTIFICATION_REVISION_1);
    n.NetPnPEvent.NetEvent = NetEventPause;
    n.NetPnPEvent.Buffer = &pp;
    n.NetPnPEvent.BufferLength = sizeof pp;
    stack_set_state(b, NdisbufStatePausing);
    stack_op_begin(b, "ProtocolNetPnPEvent(NetEventPause)");
    NDIS_STATUS st = stack_op_finish(b, b->driver->chars.protocol.NetPnPEventHandler(b->context, &n));
    pause_done(b, st, "ProtocolNetPnPEvent(NetEventPause)");
}

static void pause_filter(stack_layer *f, ULONG reason)
{
    NDIS_FILTER_PAUSE_PARAMETERS pp = {0};
    header_set(&pp.Header, NDIS_OBJECT_TYPE_FILTER_PAUSE_PARAMETERS, NDIS_FILTER_PAUSE_PARAMETERS_REVISION_1,
               NDIS_SIZEOF_FILTER_PAUSE_PARAMETERS_REVISION_1);
    pp.PauseReason = reason;
    stack_set_state(f, NdisbufStatePausing);
    stack_op_begin(f, "FilterPause");
    NDIS_STATUS st = stack_op_finish(f, f->driver->chars.filter.PauseHandler(f->context, &pp));
    pause_done(f, st, "FilterPause");
}

static void pause_miniport(stack_adapter *a, ULONG reason)
{
    NDIS_MINIPORT_PAUSE_PARAMETERS pp = {0};
    header_set(&pp.Header, NDIS_OBJECT_TYPE_DEFAULT, NDIS_MINIPORT_PAUSE_PARAMETERS_REVISION_1,
               NDIS_SIZEOF_MINIPORT_PAUSE_PARAMETERS_REVISION_1);
    pp.PauseReason = reason;
    stack_layer *m = &a->miniport;
    stack_set_state(m, NdisbufStatePausing);
    stack_op_begin(m, "MiniportPause");
    NDIS_STATUS st = stack_op_finish(m, m->driver->chars.miniport.PauseHandler(m->context, &pp));
    pause_done(m, st, "MiniportPause");
}

static bool pausable(const stack_layer *l)
{
    NDISBUF_LAYER_STATE s = stack_state(l);
    return s == NdisbufStateRunning;
}

NDIS_STATUS stack_pause_all(stack_adapter *a, ULONG reason)
{
    for (ULONG i = 0; i < a->binding_count; i++)
        if (pausable(a->bindings[i]))
            pause_binding(a->bindings[i], reason);
    for (ULONG i = a->filter_count; i >= 1; i--)
        if (pausable(a->filters[i]))
            pause_filter(a->filters[i], reason);
    if (pausable(&a->miniport))
        pause_miniport(a, reason);
    return NDIS_STATUS_SUCCESS;
}

/* ---- restart, layer by layer ---- */

static NDIS_STATUS restart_done(stack_layer *l, NDIS_STATUS st, restart_block *b)
{
    if (st == NDIS_STATUS_SUCCESS) {
        restart_block_record(b, l);
        stack_set_state(l, NdisbufStateRunning);
    } else {
        stack_set_state(l, NdisbufStatePaused);
    }
    return st;
}

static NDIS_STATUS restart_miniport(stack_adapter *a, restart_block *b)
{
    stack_layer *m = &a->miniport;
    NDIS_MINIPORT_RESTART_PARAMETERS rp = {0};
    header_set(&rp.Header, NDIS_OBJECT_TYPE_DEFAULT, NDIS_MINIPORT_RESTART_PARAMETERS_REVISION_1,
               NDIS_SIZEOF_MINIPORT_RESTART_PARAMETERS_REVISION_1);
    rp.RestartAttributes = &b->u.entry;
    stack_set_state(m, NdisbufStateRestarting);
    stack_op_begin(m, "MiniportRestart");
    NDIS_STATUS st = stack_op_finish(m, m->driver->chars.miniport.RestartHandler(m->context, &rp));
    return restart_done(m, st, b);
}

static NDIS_STATUS restart_filter(stack_layer *f, restart_block *b)
{
    const NDIS_FILTER_DRIVER_CHARACTERISTICS *c = &f->driver->chars.filter;
    NDIS_FILTER_RESTART_PARAMETERS rp = {0};
    header_set(&rp.Header, NDIS_OBJECT_TYPE_FILTER_RESTART_PARAMETERS, NDIS_FILTER_RESTART_PARAMETERS_REVISION_1,
               NDIS_SIZEOF_FILTER_RESTART_PARAMETERS_REVISION_1);
    rp.MiniportMediaType = f->adapter->general.MediaType;
    rp.MiniportPhysicalMediaType = f->adapter->general.PhysicalMediumType;
    rp.RestartAttributes = &b->u.entry;
    rp.LowerIfIndex = f->adapter->if_index;
    stack_set_state(f, NdisbufStateRestarting);
    if (c->SetFilterModuleOptionsHandler) {
        NDIS_STATUS st = c->SetFilterModuleOptionsHandler(f->context);
        if (st != NDIS_STATUS_SUCCESS)
            return restart_done(f, st, b);
    }
    stack_op_begin(f, "FilterRestart");
    NDIS_STATUS st = stack_op_finish(f, c->RestartHandler(f->context, &rp));
    return restart_done(f, st, b);
}

static NDIS_STATUS restart_binding(stack_layer *bd, restart_block *b)
{
    NDIS_PROTOCOL_RESTART_PARAMETERS rp = {0};
    header_set(&rp.Header, NDIS_OBJECT_TYPE_PROTOCOL_RESTART_PARAMETERS, NDIS_PROTOCOL_RESTART_PARAMETERS_REVISION_1,
               NDIS_SIZEOF_PROTOCOL_RESTART_PARAMETERS_REVISION_1);
    rp.RestartAttributes = &b->u.entry;
    rp.BoundIfIndex = bd->adapter->if_index;
    NET_PNP_EVENT_NOTIFICATION n = {0};
    header_set(&n.Header, NDIS_OBJECT_TYPE_DEFAULT, NET_PNP_EVENT_NOTIFICATION_REVISION_1,
               NDIS_SIZEOF_NET_PNP_EVENT_NOTIFICATION_REVISION_1);
    n.NetPnPEvent.NetEvent = NetEventRestart;
    n.NetPnPEvent.Buffer = &rp;
    n.NetPnPEvent.BufferLength = sizeof rp;
    /* A binding may not change the sums: it gets its own copy. */
    restart_block mine = *b;
    mine.u.entry.Next = NULL;
    rp.RestartAttributes = &mine.u.entry;
    stack_set_state(bd, NdisbufStateRestarting);
    stack_op_begin(bd, "ProtocolNetPnPEvent(NetEventRestart)");
    NDIS_STATUS st = stack_op_finish(bd, bd->driver->chars.protocol.NetPnPEventHandler(bd->context, &n));
    return restart_done(bd, st, b);
}

/* Restarts every paused layer bottom-up; layers above a failed one stay paused. */
NDIS_STATUS stack_restart_all(stack_adapter *a)
{
    restart_block b;
    restart_block_init(&b, a);
    NDIS_STATUS st = NDIS_STATUS_SUCCESS;
    if (stack_state(&a->miniport) == NdisbufStatePaused)
        st = restart_miniport(a, &b);
    else
        restart_block_carry(&b, &a->miniport);
    for (ULONG i = 1; st == NDIS_STATUS_SUCCESS && i <= a->filter_count; i++) {
        if (stack_state(a->filters[i]) == NdisbufStatePaused)
            st = restart_filter(a->filters[i], &b);
        else
            restart_block_carry(&b, a->filters[i]);
    }
    if (st != NDIS_STATUS_SUCCESS)
        return st;
    pthread_mutex_lock(&stack_lock);
    a->top = *restart_general(&b);
    pthread_mutex_unlock(&stack_lock);
    for (ULONG i = 0; i < a->binding_count; i++)
        if (stack_state(a->bindings[i]) == NdisbufStatePaused) {
            NDIS_STATUS bst = restart_binding(a->bindings[i], &b);
            if (st == NDIS_STATUS_SUCCESS)
                st = bst;
        }
    return st;
}

/* ---- filters ---- */

static void filters_renumber(stack_adapter *a)
{
    for (ULONG i = 1; i <= a->filter_count; i++)
        a->filters[i]->index = i;
}

static void filter_insert(stack_adapter *a, stack_layer *f, ULONG position)
{
    ULONG at = (position >= a->filter_count ? a->filter_count : position) + 1;
    for (ULONG i = a->filter_count; i >= at; i--)
        a->filters[i + 1] = a->filters[i];
    a->filters[at] = f;
    a->filter_count++;
    filters_renumber(a);
}

static void filter_remove(stack_adapter *a, stack_layer *f)
{
    for (ULONG i = f->index; i < a->filter_count; i++)
        a->filters[i] = a->filters[i + 1];
    a->filters[a->filter_count--] = NULL;
    filters_renumber(a);
}

static void attach_parameters_init(NDIS_FILTER_ATTACH_PARAMETERS *p, stack_layer *f)
{
    stack_adapter *a = f->adapter;
    memset(p, 0, sizeof *p);
    header_set(&p->Header, NDIS_OBJECT_TYPE_FILTER_ATTACH_PARAMETERS, NDIS_FILTER_ATTACH_PARAMETERS_REVISION_1,
               NDIS_SIZEOF_FILTER_ATTACH_PARAMETERS_REVISION_1);
    p->IfIndex = a->if_index;
    p->NetLuid.Value = a->if_index;
    p->FilterModuleGuidName = &f->driver->chars.filter.UniqueName;
    p->BaseMiniportIfIndex = a->if_index;
    p->BaseMiniportInstanceName = &a->ndis_name;
    p->BaseMiniportName = &a->ndis_name;
    p->MediaConnectState = a->general.MediaConnectState;
    p->MediaDuplexState = a->general.MediaDuplexState;
    p->XmitLinkSpeed = a->general.XmitLinkSpeed;
    p->RcvLinkSpeed = a->general.RcvLinkSpeed;
    p->MiniportMediaType = a->general.MediaType;
    p->MiniportPhysicalMediaType = a->general.PhysicalMediumType;
    p->MacAddressLength = a->general.MacAddressLength;
    memcpy(p->CurrentMacAddress, a->general.CurrentMacAddress, sizeof p->CurrentMacAddress);
    p->BaseMiniportNetLuid.Value = a->if_index;
    p->LowerIfIndex = a->if_index;
    p->LowerIfNetLuid.Value = a->if_index;
}

static NDIS_STATUS filter_attach_paused(stack_adapter *a, stack_driver *d, ULONG position, stack_layer **out)
{
    if (a->filter_count >= STACK_MAX_FILTERS) {
        vf_diagnostic("ndisbuf_stack_attach_filter", "adapter '%s' already has %d filter modules", a->name,
                      STACK_MAX_FILTERS);
        return NDIS_STATUS_RESOURCES;
    }
    stack_layer *f = stack_layer_new(STACK_KIND_FILTER, a, d);
    if (!f)
        return NDIS_STATUS_RESOURCES;
    stack_set_state(f, NdisbufStateAttaching);
    filter_insert(a, f, position);
    NDIS_FILTER_ATTACH_PARAMETERS ap;
    attach_parameters_init(&ap, f);
    NDIS_STATUS st = d->chars.filter.AttachHandler(f, d->context, &ap);
    if (st == NDIS_STATUS_SUCCESS && !f->attributes_set) {
        vf_diagnostic("FilterAttach", "filter '%s' returned success without calling NdisFSetAttributes", d->name);
        d->chars.filter.DetachHandler(f->context);
        st = NDIS_STATUS_FAILURE;
    }
    if (st != NDIS_STATUS_SUCCESS) {
        filter_remove(a, f);
        stack_layer_retire(f);
        return st == NDIS_STATUS_PENDING ? NDIS_STATUS_FAILURE : st;
    }
    stack_set_state(f, NdisbufStatePaused);
    *out = f;
    return NDIS_STATUS_SUCCESS;
}

static void filter_detach_paused(stack_layer *f)
{
    stack_set_state(f, NdisbufStateDetaching);
    f->driver->chars.filter.DetachHandler(f->context);
    filter_remove(f->adapter, f);
    stack_layer_retire(f);
}

/* ---- bindings ---- */

static void bind_parameters_init(NDIS_BIND_PARAMETERS *p, stack_adapter *a, stack_driver *d)
{
    const NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES *g = &a->general;
    memset(p, 0, sizeof *p);
    header_set(&p->Header, NDIS_OBJECT_TYPE_BIND_PARAMETERS, NDIS_BIND_PARAMETERS_REVISION_1,
               NDIS_SIZEOF_BIND_PARAMETERS_REVISION_1);
    p->ProtocolSection = &d->ndis_name;
    p->AdapterName = &a->ndis_name;
    /* What the filters made of the miniport's values: the last restart's sums. */
    const NDIS_RESTART_GENERAL_ATTRIBUTES *top = &a->top;
    p->MediaType = g->MediaType;
    p->MtuSize = top->MtuSize;
    p->MaxXmitLinkSpeed = g->MaxXmitLinkSpeed;
    p->XmitLinkSpeed = g->XmitLinkSpeed;
    p->MaxRcvLinkSpeed = g->MaxRcvLinkSpeed;
    p->RcvLinkSpeed = g->RcvLinkSpeed;
    p->MediaConnectState = g->MediaConnectState;
    p->MediaDuplexState = g->MediaDuplexState;
    p->LookaheadSize = top->LookaheadSize;
    p->SupportedPacketFilters = top->SupportedPacketFilters;
    p->MaxMulticastListSize = top->MaxMulticastListSize;
    p->MacAddressLength = g->MacAddressLength;
    memcpy(p->CurrentMacAddress, g->CurrentMacAddress, sizeof p->CurrentMacAddress);
    p->PhysicalMediumType = g->PhysicalMediumType;
    p->RcvScaleCapabilities = g->RecvScaleCapabilities;
    p->BoundIfNetluid.Value = a->if_index;
    p->BoundIfIndex = a->if_index;
    p->LowestIfNetluid.Value = a->if_index;
    p->LowestIfIndex = a->if_index;
    p->AccessType = g->AccessType;
    p->DirectionType = g->DirectionType;
    p->ConnectionType = g->ConnectionType;
    p->IfType = g->IfType;
    p->IfConnectorPresent = g->IfConnectorPresent;
    p->DataBackFillSize = top->DataBackFillSize;
    p->ContextBackFillSize = top->ContextBackFillSize;
    p->MacOptions = top->MacOptions;
    p->BoundAdapterName = &a->ndis_name;
}

static NDIS_STATUS bind_paused(stack_adapter *a, stack_driver *d, stack_layer **out)
{
    if (a->binding_count >= STACK_MAX_BINDINGS) {
        vf_diagnostic("ndisbuf_stack_bind", "adapter '%s' already has %d bindings", a->name, STACK_MAX_BINDINGS);
        return NDIS_STATUS_RESOURCES;
    }
    stack_layer *b = stack_layer_new(STACK_KIND_PROTOCOL, a, d);
    if (!b)
        return NDIS_STATUS_RESOURCES;
    b->index = STACK_INDEX_TOP;
    stack_set_state(b, NdisbufStateOpening);
    NDIS_BIND_PARAMETERS bp;
    bind_parameters_init(&bp, a, d);
    stack_op_begin(b, "ProtocolBindAdapterEx");
    NDIS_STATUS st = stack_op_finish(b, d->chars.protocol.BindAdapterHandlerEx(d->context, b, &bp));
    if (st == NDIS_STATUS_SUCCESS && !b->opened) {
        vf_diagnostic("ProtocolBindAdapterEx", "protocol '%s' returned success without opening the adapter "
                                               "(NdisOpenAdapterEx)", d->name);
        st = NDIS_STATUS_FAILURE;
    }
    if (st != NDIS_STATUS_SUCCESS) {
        if (b->opened)
            vf_diagnostic("ProtocolBindAdapterEx", "protocol '%s' failed its bind (0x%08X) with the binding "
                                                   "still open: it must call NdisCloseAdapterEx first",
                          d->name, (unsigned)st);
        stack_layer_retire(b);
        return st;
    }
    stack_set_state(b, NdisbufStatePaused);
    a->bindings[a->binding_count++] = b;
    *out = b;
    return NDIS_STATUS_SUCCESS;
}

static void binding_remove(stack_adapter *a, stack_layer *b)
{
    for (ULONG i = 0; i < a->binding_count; i++)
        if (a->bindings[i] == b) {
            a->bindings[i] = a->bindings[--a->binding_count];
            a->bindings[a->binding_count] = NULL;
            return;
        }
}

static NDIS_STATUS unbind_paused(stack_layer *b)
{
    stack_driver *d = b->driver;
    stack_set_state(b, NdisbufStateClosing);
    stack_op_begin(b, "ProtocolUnbindAdapterEx");
    NDIS_STATUS st = stack_op_finish(b, d->chars.protocol.UnbindAdapterHandlerEx(b, b->context));
    vf_scan_lost(b, true, "unbind");
    if (b->opened)
        vf_diagnostic("ProtocolUnbindAdapterEx", "protocol '%s' unbound without NdisCloseAdapterEx; "
                                                 "the binding is closed anyway", d->name);
    binding_remove(b->adapter, b);
    stack_set_state(b, NdisbufStateUnbound);
    stack_layer_retire(b);
    return st;
}

/* ---- topology changes with pause and restart around them ---- */

NDIS_STATUS stack_unbind_locked(stack_layer *b)
{
    stack_adapter *a = b->adapter;
    bool was_running = adapter_running(a);
    stack_pause_all(a, NDIS_PAUSE_UNBIND_PROTOCOL);
    NDIS_STATUS st = unbind_paused(b);
    if (was_running)
        stack_restart_all(a);
    return st;
}

NDIS_STATUS stack_detach_locked(stack_layer *f)
{
    stack_adapter *a = f->adapter;
    bool was_running = adapter_running(a);
    stack_pause_all(a, NDIS_PAUSE_DETACH_FILTER);
    filter_detach_paused(f);
    return was_running ? stack_restart_all(a) : NDIS_STATUS_SUCCESS;
}

NDIS_STATUS stack_remove_adapter_locked(stack_adapter *a)
{
    stack_pause_all(a, NDIS_PAUSE_MINIPORT_DEVICE_REMOVE);
    while (a->binding_count)
        unbind_paused(a->bindings[a->binding_count - 1]);
    while (a->filter_count)
        filter_detach_paused(a->filters[a->filter_count]);
    stack_set_state(&a->miniport, NdisbufStateHalting);
    a->miniport.driver->chars.miniport.HaltHandlerEx(a->miniport.context, NdisHaltDeviceDisabled);
    vf_scan_lost(&a->miniport, true, "halt");
    stack_adapter_retire(a);
    return NDIS_STATUS_SUCCESS;
}

/* ---- the native control API ---- */

static bool adapter_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n >= STACK_NAME_MAX) {
        vf_diagnostic("ndisbuf_stack_add_adapter", "AdapterName must have 1 to %d characters", STACK_NAME_MAX - 1);
        return false;
    }
    return true;
}

static NDIS_STATUS initialize_adapter(stack_adapter *a)
{
    stack_driver *d = a->miniport.driver;
    NDIS_MINIPORT_INIT_PARAMETERS ip = {0};
    header_set(&ip.Header, NDIS_OBJECT_TYPE_MINIPORT_INIT_PARAMETERS, NDIS_MINIPORT_INIT_PARAMETERS_REVISION_1,
               NDIS_SIZEOF_MINIPORT_INIT_PARAMETER_REVISION_1);
    ip.IfIndex = a->if_index;
    ip.NetLuid.Value = a->if_index;
    stack_set_state(&a->miniport, NdisbufStateInitializing);
    NDIS_STATUS st = d->chars.miniport.InitializeHandlerEx(a, d->context, &ip);
    if (st != NDIS_STATUS_SUCCESS)
        return st == NDIS_STATUS_PENDING ? NDIS_STATUS_FAILURE : st;
    if (!a->have_registration || !a->have_general) {
        vf_diagnostic("MiniportInitializeEx", "miniport '%s' returned success without setting its %s attributes "
                                              "(NdisMSetMiniportAttributes)",
                      a->name, a->have_registration ? "general" : "registration");
        d->chars.miniport.HaltHandlerEx(a->miniport.context, NdisHaltDeviceInitializationFailed);
        return NDIS_STATUS_FAILURE;
    }
    stack_set_state(&a->miniport, NdisbufStatePaused);
    return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS ndisbuf_stack_add_adapter(NDIS_HANDLE MiniportDriver, const char *AdapterName, NDIS_HANDLE *Adapter)
{
    return ndisbuf_stack_add_adapter_ex(MiniportDriver, AdapterName, NULL, 0, Adapter);
}

NDIS_STATUS ndisbuf_stack_add_adapter_ex(NDIS_HANDLE MiniportDriver, const char *AdapterName,
                                         const NDISBUF_KEYWORD *Keywords, ULONG KeywordCount, NDIS_HANDLE *Adapter)
{
    static const char fn[] = "ndisbuf_stack_add_adapter";
    if (!Adapter) {
        vf_diagnostic(fn, "Adapter is NULL");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    *Adapter = NULL;
    if (!adapter_name_ok(AdapterName) ||
        !stack_keywords_valid(Keywords, KeywordCount, "ndisbuf_stack_add_adapter_ex"))
        return NDIS_STATUS_INVALID_PARAMETER;
    stack_driver *d = stack_driver_checked(MiniportDriver, STACK_KIND_MINIPORT, fn, "NdisMiniportDriverHandle");
    if (!d)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (!stack_control_enter(fn))
        return NDIS_STATUS_NOT_ACCEPTED;
    stack_adapter *a = stack_adapter_new(d, AdapterName, Keywords, KeywordCount);
    NDIS_STATUS st = a ? initialize_adapter(a) : NDIS_STATUS_RESOURCES;
    if (st == NDIS_STATUS_SUCCESS) {
        st = stack_restart_all(a);
        if (st != NDIS_STATUS_SUCCESS) {
            vf_diagnostic(fn, "MiniportRestart of '%s' failed (0x%08X); the adapter is halted", a->name,
                          (unsigned)st);
            d->chars.miniport.HaltHandlerEx(a->miniport.context, NdisHaltDeviceFailed);
        }
    }
    if (st == NDIS_STATUS_SUCCESS)
        *Adapter = a;
    else if (a)
        stack_adapter_retire(a);
    stack_control_leave();
    return st;
}

/* Shared prologue of the calls that take a layer handle. */
static stack_layer *control_layer(NDIS_HANDLE handle, stack_kind kind, const char *fn, const char *arg,
                                  NDIS_STATUS *st)
{
    stack_layer *l = stack_layer_checked(handle, kind, fn, arg);
    if (!l) {
        *st = NDIS_STATUS_INVALID_PARAMETER;
        return NULL;
    }
    if (!stack_control_enter(fn)) {
        *st = NDIS_STATUS_NOT_ACCEPTED;
        return NULL;
    }
    if (!stack_layer_fast(handle, kind, fn, arg)) { /* closed while this call waited its turn */
        stack_control_leave();
        *st = NDIS_STATUS_INVALID_PARAMETER;
        return NULL;
    }
    return l;
}

NDIS_STATUS ndisbuf_stack_remove_adapter(NDIS_HANDLE Adapter)
{
    NDIS_STATUS st;
    stack_layer *m = control_layer(Adapter, STACK_KIND_MINIPORT, "ndisbuf_stack_remove_adapter", "Adapter", &st);
    if (!m)
        return st;
    st = stack_remove_adapter_locked(m->adapter);
    stack_control_leave();
    return st;
}

NDIS_STATUS ndisbuf_stack_attach_filter(NDIS_HANDLE Adapter, NDIS_HANDLE FilterDriver, ULONG Position,
                                        NDIS_HANDLE *FilterModule)
{
    static const char fn[] = "ndisbuf_stack_attach_filter";
    if (!FilterModule) {
        vf_diagnostic(fn, "FilterModule is NULL");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    *FilterModule = NULL;
    stack_driver *d = stack_driver_checked(FilterDriver, STACK_KIND_FILTER, fn, "NdisFilterDriverHandle");
    if (!d)
        return NDIS_STATUS_INVALID_PARAMETER;
    NDIS_STATUS st;
    stack_layer *m = control_layer(Adapter, STACK_KIND_MINIPORT, fn, "Adapter", &st);
    if (!m)
        return st;
    stack_adapter *a = m->adapter;
    bool was_running = adapter_running(a);
    stack_pause_all(a, NDIS_PAUSE_ATTACH_FILTER);
    stack_layer *f = NULL;
    st = filter_attach_paused(a, d, Position, &f);
    NDIS_STATUS rst = was_running ? stack_restart_all(a) : NDIS_STATUS_SUCCESS;
    if (st == NDIS_STATUS_SUCCESS) {
        *FilterModule = f;
        st = rst;
    }
    stack_control_leave();
    return st;
}

NDIS_STATUS ndisbuf_stack_detach_filter(NDIS_HANDLE FilterModule)
{
    NDIS_STATUS st;
    stack_layer *f = control_layer(FilterModule, STACK_KIND_FILTER, "ndisbuf_stack_detach_filter", "FilterModule",
                                   &st);
    if (!f)
        return st;
    st = stack_detach_locked(f);
    stack_control_leave();
    return st;
}

NDIS_STATUS ndisbuf_stack_bind(NDIS_HANDLE Adapter, NDIS_HANDLE ProtocolDriver, NDIS_HANDLE *Binding)
{
    static const char fn[] = "ndisbuf_stack_bind";
    if (!Binding) {
        vf_diagnostic(fn, "Binding is NULL");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    *Binding = NULL;
    stack_driver *d = stack_driver_checked(ProtocolDriver, STACK_KIND_PROTOCOL, fn, "NdisProtocolHandle");
    if (!d)
        return NDIS_STATUS_INVALID_PARAMETER;
    NDIS_STATUS st;
    stack_layer *m = control_layer(Adapter, STACK_KIND_MINIPORT, fn, "Adapter", &st);
    if (!m)
        return st;
    stack_adapter *a = m->adapter;
    bool was_running = adapter_running(a);
    stack_pause_all(a, NDIS_PAUSE_BIND_PROTOCOL);
    stack_layer *b = NULL;
    st = bind_paused(a, d, &b);
    NDIS_STATUS rst = was_running ? stack_restart_all(a) : NDIS_STATUS_SUCCESS;
    if (st == NDIS_STATUS_SUCCESS) {
        *Binding = b;
        st = rst;
    }
    stack_control_leave();
    return st;
}

NDIS_STATUS ndisbuf_stack_unbind(NDIS_HANDLE Binding)
{
    NDIS_STATUS st;
    stack_layer *b = control_layer(Binding, STACK_KIND_PROTOCOL, "ndisbuf_stack_unbind", "Binding", &st);
    if (!b)
        return st;
    st = stack_unbind_locked(b);
    stack_control_leave();
    return st;
}

NDIS_STATUS ndisbuf_stack_pause(NDIS_HANDLE Adapter)
{
    NDIS_STATUS st;
    stack_layer *m = control_layer(Adapter, STACK_KIND_MINIPORT, "ndisbuf_stack_pause", "Adapter", &st);
    if (!m)
        return st;
    st = stack_pause_all(m->adapter, NDIS_PAUSE_NDIS_INTERNAL);
    m->adapter->user_paused = true;
    stack_control_leave();
    return st;
}

NDIS_STATUS ndisbuf_stack_restart(NDIS_HANDLE Adapter)
{
    NDIS_STATUS st;
    stack_layer *m = control_layer(Adapter, STACK_KIND_MINIPORT, "ndisbuf_stack_restart", "Adapter", &st);
    if (!m)
        return st;
    m->adapter->user_paused = false;
    st = stack_restart_all(m->adapter);
    stack_control_leave();
    return st;
}

/* What a layer sees below it: the output of the layer under it. */
static const stack_layer *layer_below(const stack_layer *l)
{
    const stack_adapter *a = l->adapter;
    if (l->kind == STACK_KIND_PROTOCOL)
        return a->filter_count ? a->filters[a->filter_count] : &a->miniport;
    if (l->kind == STACK_KIND_FILTER)
        return l->index > 1 ? a->filters[l->index - 1] : &a->miniport;
    return NULL;
}

NDIS_STATUS ndisbuf_stack_get_info(NDIS_HANDLE handle, NDISBUF_STACK_INFO *Info)
{
    static const char fn[] = "ndisbuf_stack_get_info";
    if (!Info) {
        vf_diagnostic(fn, "Info is NULL");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    stack_layer *l = stack_layer_checked(handle, 0, fn, "LayerHandle");
    if (!l)
        return NDIS_STATUS_INVALID_PARAMETER;
    pthread_mutex_lock(&stack_lock);
    const stack_adapter *a = l->adapter;
    const stack_layer *below = layer_below(l);
    memset(Info, 0, sizeof *Info);
    Info->DataBackFillSize = below ? below->data_backfill : a->top.DataBackFillSize;
    Info->ContextBackFillSize = below ? below->context_backfill : a->top.ContextBackFillSize;
    if (l->kind == STACK_KIND_PROTOCOL) {
        Info->DataBackFillSize = a->top.DataBackFillSize;
        Info->ContextBackFillSize = a->top.ContextBackFillSize;
    }
    Info->FilterCount = a->filter_count;
    Info->BindingCount = a->binding_count;
    Info->SendsInFlight = (ULONG64)atomic_load(&l->sends_out);
    Info->ReceivesInFlight = (ULONG64)atomic_load(&l->receives_out) + (ULONG64)atomic_load(&l->held);
    pthread_mutex_unlock(&stack_lock);
    return NDIS_STATUS_SUCCESS;
}

/* ---- deregistration: every layer of the driver goes first ---- */

static bool driver_control(NDIS_HANDLE handle, stack_kind kind, const char *fn, const char *arg, stack_driver **d)
{
    *d = stack_driver_checked(handle, kind, fn, arg);
    return *d && stack_control_enter(fn);
}

static stack_layer *first_layer_of(stack_adapter *a, stack_driver *d)
{
    for (ULONG i = 0; i < a->binding_count; i++)
        if (a->bindings[i]->driver == d)
            return a->bindings[i];
    for (ULONG i = a->filter_count; i >= 1; i--)
        if (a->filters[i]->driver == d)
            return a->filters[i];
    return NULL;
}

static void remove_layers_of(stack_driver *d)
{
    for (stack_adapter *a = stack_adapters_of(NULL, NULL); a; a = stack_adapters_of(NULL, a)) {
        stack_layer *l;
        while ((l = first_layer_of(a, d)) != NULL) {
            if (l->kind == STACK_KIND_PROTOCOL)
                stack_unbind_locked(l);
            else
                stack_detach_locked(l);
        }
    }
}

/* Protocols and filters: every binding or module of the driver goes, then the driver. */
static void deregister_upper_driver(NDIS_HANDLE handle, stack_kind kind, const char *fn, const char *arg)
{
    stack_driver *d;
    if (!driver_control(handle, kind, fn, arg, &d))
        return;
    remove_layers_of(d);
    stack_driver_unregister(d);
    stack_control_leave();
}

VOID NdisDeregisterProtocolDriver(NDIS_HANDLE NdisProtocolHandle)
{
    deregister_upper_driver(NdisProtocolHandle, STACK_KIND_PROTOCOL, "NdisDeregisterProtocolDriver",
                            "NdisProtocolHandle");
}

VOID NdisFDeregisterFilterDriver(NDIS_HANDLE NdisFilterDriverHandle)
{
    deregister_upper_driver(NdisFilterDriverHandle, STACK_KIND_FILTER, "NdisFDeregisterFilterDriver",
                            "NdisFilterDriverHandle");
}

VOID NdisMDeregisterMiniportDriver(NDIS_HANDLE NdisMiniportDriverHandle)
{
    stack_driver *d;
    if (!driver_control(NdisMiniportDriverHandle, STACK_KIND_MINIPORT, "NdisMDeregisterMiniportDriver",
                        "NdisMiniportDriverHandle", &d))
        return;
    stack_adapter *a;
    while ((a = stack_adapters_of(d, NULL)) != NULL)
        stack_remove_adapter_locked(a);
    stack_driver_unregister(d);
    stack_control_leave();
}
