/* SPDX-License-Identifier: MIT */
/*
 * The data path through the stack (docs/stack.md, "The data path").
 *
 * Sends go down to the first layer below with a send handler (a filter, or
 * the miniport). Completions go up to the first filter with a
 * send-complete handler, or, above the top filter, to the binding each
 * NBL's SourceHandle names. Receives go up to the first running filter
 * with a receive handler, or to the running bindings; returns go down to
 * the first filter with a return handler, or the miniport.
 *
 * At verifier level 1 and above every call first lets the verifier judge
 * the chain (vf_give_check: may this layer hand these NBLs on?), and every
 * handler call is preceded by vf_deliver_* (who has them now); a
 * NDIS_RECEIVE_FLAGS_RESOURCES indication gives them back to the indicator
 * when it returns (vf_lent_back_chain).
 *
 * No lock is taken. Each call does one atomic add or subtract per batch on
 * the in-flight count of the layer that owns the NBLs (the sender, the
 * indicator, the binding holding receives), so a pause can wait for them.
 * The count is raised before the state is read, and a pause sets the state
 * before it reads the count, so a batch is either refused or waited for.
 */
#include "stack/stack.h"

#include "verify/track.h"
#include "verify/verify.h"

/* Level 1+: the verifier follows every NBL (verify/track.h). One load at level 0. */
static inline bool tracking(void)
{
    return __builtin_expect(vf_level() >= 1, 0);
}

static ULONG chain_length(PNET_BUFFER_LIST chain)
{
    ULONG n = 0;
    for (; chain; chain = chain->Next)
        n++;
    return n;
}

/* How many NBLs of the chain the layer originated. */
static long count_source(PNET_BUFFER_LIST chain, const stack_layer *layer)
{
    long n = 0;
    for (; chain; chain = chain->Next)
        n += chain->SourceHandle == (NDIS_HANDLE)layer;
    return n;
}

/* count_source and the chain's length in one pass (each pass is a pointer chase over the chain). */
static long count_source_and_length(PNET_BUFFER_LIST chain, const stack_layer *layer, ULONG *length)
{
    long n = 0;
    ULONG total = 0;
    for (; chain; chain = chain->Next, total++)
        n += chain->SourceHandle == (NDIS_HANDLE)layer;
    *length = total;
    return n;
}

/* The chain's length, in the same pass its first NBL not from `source` (or NULL). */
static ULONG chain_length_from(PNET_BUFFER_LIST chain, const stack_layer *source, PNET_BUFFER_LIST *foreign)
{
    ULONG n = 0;
    *foreign = NULL;
    for (; chain; chain = chain->Next, n++)
        if (chain->SourceHandle != (NDIS_HANDLE)source && !*foreign)
            *foreign = chain;
    return n;
}

static void report_source_handle(PNET_BUFFER_LIST bad, const stack_layer *source, const char *function)
{
    char who[160];
    ULONG_PTR p[4] = {(ULONG_PTR)bad, (ULONG_PTR)bad->SourceHandle, (ULONG_PTR)source, 0};
    vf_report(NDISBUF_REPORT_SOURCE_HANDLE, function, bad, p,
              "NBL %p has SourceHandle %p; the %s must set it to its own handle %p before giving it away, "
              "or it cannot come back. Nothing was sent.",
              (void *)bad, bad->SourceHandle, stack_layer_describe(source, who, sizeof who), (void *)source);
}

static void set_status(PNET_BUFFER_LIST chain, NDIS_STATUS status)
{
    for (; chain; chain = chain->Next)
        NET_BUFFER_LIST_STATUS(chain) = status;
}

static ULONG complete_flags_for(ULONG send_flags)
{
    return (send_flags & NDIS_SEND_FLAGS_DISPATCH_LEVEL) ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0;
}

static ULONG return_flags_for(ULONG receive_flags)
{
    return (receive_flags & NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL) ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL : 0;
}

static bool sends_allowed(const stack_layer *l)
{
    return stack_state(l) == NdisbufStateRunning;
}

/* Level 1+: a layer that is Paused sends or indicates (PAUSED_DATA); true when reported. */
static bool paused_data(const stack_layer *l, PNET_BUFFER_LIST chain, const char *function)
{
    if (stack_state(l) != NdisbufStatePaused)
        return false;
    char who[160];
    ULONG_PTR p[4] = {(ULONG_PTR)chain, (ULONG_PTR)l, NdisbufStatePaused, 0};
    vf_report(NDISBUF_REPORT_PAUSED_DATA, function, chain, p,
              "the %s is Paused: it must not send or indicate until its restart; nothing was done with NBL %p",
              stack_layer_describe(l, who, sizeof who), (void *)chain);
    return true;
}

/* The NDIS call being served on this thread (level 1+), for reports raised while delivering. */
static __thread const char *current_call;

/* The verifier's judgement of a chain a layer hands on (level 1+); false after a report. */
static bool give_allowed(PNET_BUFFER_LIST chain, const stack_layer *giver, enum vf_event event,
                         const char *function)
{
    if (!tracking())
        return true;
    current_call = function;
    return vf_give_check(chain, giver, event, function);
}

static void give_record(PNET_BUFFER_LIST chain, const stack_layer *giver, enum vf_event event)
{
    if (tracking())
        vf_give_record(chain, giver, event);
}

static void deliver(PNET_BUFFER_LIST chain, const stack_layer *to, enum vf_event event, bool resources)
{
    if (tracking())
        vf_deliver_chain(chain, to, event, resources, current_call ? current_call : "the stack");
}

/* ---- sends: down ---- */

/* To the first layer strictly below `above` (a filter index, or TOP) with a send handler. */
static void send_down(stack_adapter *a, ULONG above, PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER port, ULONG flags)
{
    ULONG i = above == STACK_INDEX_TOP ? a->filter_count : above - 1;
    for (; i >= 1; i--) {
        stack_layer *f = a->filters[i];
        FILTER_SEND_NET_BUFFER_LISTS_HANDLER send = f->driver->chars.filter.SendNetBufferListsHandler;
        if (send) {
            deliver(chain, f, VF_EV_SEND, false);
            send(f->context, chain, port, flags);
            return;
        }
    }
    stack_layer *m = &a->miniport;
    deliver(chain, m, VF_EV_SEND, false);
    m->driver->chars.miniport.SendNetBufferListsHandler(m->context, chain, port, flags);
}

/* ---- send completions: up ---- */

static stack_layer *binding_named(stack_adapter *a, NDIS_HANDLE handle)
{
    for (ULONG i = 0; i < a->binding_count; i++)
        if (a->bindings[i] == (stack_layer *)handle)
            return a->bindings[i];
    return NULL;
}

static void report_unroutable(stack_adapter *a, PNET_BUFFER_LIST nbl, const char *direction)
{
    ULONG_PTR p[4] = {(ULONG_PTR)nbl, (ULONG_PTR)nbl->SourceHandle, (ULONG_PTR)a, 0};
    vf_report(NDISBUF_REPORT_NBL_UNROUTABLE, direction, nbl, p,
              "NBL %p came back (%s) with SourceHandle %p, which names no binding or filter module of "
              "adapter '%s': nobody can take it back, it is dropped",
              (void *)nbl, direction, nbl->SourceHandle, a->name);
}

/* Cuts the run of NBLs at the head of *chain that share the head's SourceHandle. */
static PNET_BUFFER_LIST take_run(PNET_BUFFER_LIST *chain, long *count)
{
    PNET_BUFFER_LIST head = *chain, last = head;
    long n = 1;
    while (last->Next && last->Next->SourceHandle == head->SourceHandle) {
        last = last->Next;
        n++;
    }
    *chain = last->Next;
    last->Next = NULL;
    *count = n;
    return head;
}

static void complete_to_bindings(stack_adapter *a, PNET_BUFFER_LIST chain, ULONG flags)
{
    while (chain) {
        long n;
        PNET_BUFFER_LIST run = take_run(&chain, &n);
        stack_layer *b = binding_named(a, run->SourceHandle);
        if (!b) {
            report_unroutable(a, run, "NdisMSendNetBufferListsComplete");
            continue;
        }
        deliver(run, b, VF_EV_COMPLETE, false);
        b->driver->chars.protocol.SendNetBufferListsCompleteHandler(b->context, run, flags);
        stack_count_sub(b, &b->sends_out, n);
    }
}

void stack_complete_up(stack_adapter *a, ULONG start, PNET_BUFFER_LIST chain, ULONG flags)
{
    if (start != STACK_INDEX_TOP)
        for (ULONG i = start; i <= a->filter_count; i++) {
            stack_layer *f = a->filters[i];
            FILTER_SEND_NET_BUFFER_LISTS_COMPLETE_HANDLER done =
                f->driver->chars.filter.SendNetBufferListsCompleteHandler;
            if (done) {
                long own = count_source(chain, f);
                deliver(chain, f, VF_EV_COMPLETE, false);
                done(f->context, chain, flags);
                stack_count_sub(f, &f->sends_out, own);
                return;
            }
        }
    complete_to_bindings(a, chain, flags);
}

/* ---- returns: down ---- */

/*
 * To the first filter at or below `start` with a return handler, or the
 * miniport. Gives the chain's length in *length (counted in the same pass
 * as the layer's own NBLs, before the chain is handed on).
 */
static void return_down_counted(stack_adapter *a, ULONG start, PNET_BUFFER_LIST chain, ULONG flags, ULONG *length)
{
    ULONG i = start == STACK_INDEX_TOP ? a->filter_count : start;
    for (; i >= 1; i--) {
        stack_layer *f = a->filters[i];
        FILTER_RETURN_NET_BUFFER_LISTS_HANDLER ret = f->driver->chars.filter.ReturnNetBufferListsHandler;
        if (ret) {
            long own = count_source_and_length(chain, f, length);
            deliver(chain, f, VF_EV_RETURN, false);
            ret(f->context, chain, flags);
            stack_count_sub(f, &f->receives_out, own);
            return;
        }
    }
    stack_layer *m = &a->miniport;
    long own = count_source_and_length(chain, m, length);
    deliver(chain, m, VF_EV_RETURN, false);
    m->driver->chars.miniport.ReturnNetBufferListsHandler(m->context, chain, flags);
    stack_count_sub(m, &m->receives_out, own);
}

static void return_down(stack_adapter *a, ULONG start, PNET_BUFFER_LIST chain, ULONG flags)
{
    ULONG length;
    return_down_counted(a, start, chain, flags, &length);
}

/* A receive that cannot go up goes straight back to its indicator. */
static void refuse_receive(stack_adapter *a, ULONG indicator, PNET_BUFFER_LIST chain, ULONG flags)
{
    if (!(flags & NDIS_RECEIVE_FLAGS_RESOURCES))
        return_down(a, indicator, chain, return_flags_for(flags));
}

/* ---- receives: up ---- */

/* Raises each running binding's held count (then rechecks), so a pause waits for it. */
static ULONG running_bindings(stack_adapter *a, stack_layer **out, long n)
{
    ULONG k = 0;
    for (ULONG i = 0; i < a->binding_count; i++) {
        stack_layer *b = a->bindings[i];
        stack_count_add(&b->held, n);
        if (stack_state(b) == NdisbufStateRunning)
            out[k++] = b;
        else
            stack_count_sub(b, &b->held, n);
    }
    return k;
}

static void indicate_one_binding(stack_layer *b, PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER port, ULONG n,
                                 ULONG flags)
{
    deliver(chain, b, VF_EV_INDICATE, (flags & NDIS_RECEIVE_FLAGS_RESOURCES) != 0);
    b->driver->chars.protocol.ReceiveNetBufferListsHandler(b->context, chain, port, n, flags);
    if (flags & NDIS_RECEIVE_FLAGS_RESOURCES)
        stack_count_sub(b, &b->held, (long)n);
}

/*
 * Several bindings: each NBL goes to each of them, alone and with
 * NDIS_RECEIVE_FLAGS_RESOURCES (every binding copies what it needs), then
 * back down once (docs/stack.md).
 */
static void indicate_many_bindings(stack_adapter *a, stack_layer **bs, ULONG k, ULONG indicator,
                                   PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER port, ULONG flags)
{
    ULONG shared = flags | NDIS_RECEIVE_FLAGS_RESOURCES;
    for (PNET_BUFFER_LIST nbl = chain, next; nbl; nbl = next) {
        next = nbl->Next;
        nbl->Next = NULL;
        for (ULONG j = 0; j < k; j++) {
            if (tracking())
                vf_deliver_one(nbl, bs[j], VF_EV_INDICATE, true, current_call ? current_call : "the stack");
            bs[j]->driver->chars.protocol.ReceiveNetBufferListsHandler(bs[j]->context, nbl, port, 1, shared);
            nbl->Next = NULL;
        }
        nbl->Next = next;
    }
    for (ULONG j = 0; j < k; j++)
        stack_count_sub(bs[j], &bs[j]->held, (long)chain_length(chain));
    refuse_receive(a, indicator, chain, flags);
}

static void indicate_to_bindings(stack_adapter *a, ULONG indicator, PNET_BUFFER_LIST chain,
                                 NDIS_PORT_NUMBER port, ULONG n, ULONG flags)
{
    stack_layer *bs[STACK_MAX_BINDINGS];
    ULONG k = running_bindings(a, bs, (long)n);
    if (k == 0)
        refuse_receive(a, indicator, chain, flags);
    else if (k == 1)
        indicate_one_binding(bs[0], chain, port, n, flags);
    else
        indicate_many_bindings(a, bs, k, indicator, chain, port, flags);
}

/* To the first filter strictly above `indicator` with a receive handler, or the bindings. */
static void indicate_up(stack_adapter *a, ULONG indicator, PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER port,
                        ULONG n, ULONG flags)
{
    for (ULONG i = indicator + 1; i <= a->filter_count; i++) {
        stack_layer *f = a->filters[i];
        FILTER_RECEIVE_NET_BUFFER_LISTS_HANDLER recv = f->driver->chars.filter.ReceiveNetBufferListsHandler;
        if (!recv)
            continue;
        if (stack_state(f) != NdisbufStateRunning) {
            refuse_receive(a, indicator, chain, flags);
        } else {
            deliver(chain, f, VF_EV_INDICATE, (flags & NDIS_RECEIVE_FLAGS_RESOURCES) != 0);
            recv(f->context, chain, port, n, flags);
        }
        return;
    }
    indicate_to_bindings(a, indicator, chain, port, n, flags);
}

/* The count a receive indication gives must be the chain's (RECEIVE_COUNT_MISMATCH otherwise). */
static bool count_matches(PNET_BUFFER_LIST chain, ULONG n, ULONG claimed, const char *function)
{
    if (n == claimed)
        return true;
    ULONG_PTR p[4] = {(ULONG_PTR)chain, claimed, n, 0};
    vf_report(NDISBUF_REPORT_RECEIVE_COUNT_MISMATCH, function, chain, p,
              "NumberOfNetBufferLists is %u but the chain from NBL %p has %u NBLs; nothing was indicated", claimed,
              (void *)chain, n);
    return false;
}

/* Level 1+: a RESOURCES indication returned, the NBLs are the indicator's again. */
static void lent_back(PNET_BUFFER_LIST chain, const stack_layer *indicator, ULONG flags, const char *function)
{
    if (tracking() && (flags & NDIS_RECEIVE_FLAGS_RESOURCES))
        vf_lent_back_chain(chain, indicator, function);
}

/* ---- the NDIS calls ---- */

VOID NdisSendNetBufferLists(NDIS_HANDLE NdisBindingHandle, PNET_BUFFER_LIST NetBufferLists,
                            NDIS_PORT_NUMBER PortNumber, ULONG SendFlags)
{
    static const char fn[] = "NdisSendNetBufferLists";
    stack_layer *b = stack_layer_fast(NdisBindingHandle, STACK_KIND_PROTOCOL, fn, "NdisBindingHandle");
    if (!b || !NetBufferLists) {
        if (b)
            vf_diagnostic(fn, "NetBufferLists is NULL");
        return;
    }
    if (!give_allowed(NetBufferLists, b, VF_EV_SEND, fn))
        return;
    PNET_BUFFER_LIST foreign;
    long n = (long)chain_length_from(NetBufferLists, b, &foreign);
    if (foreign) {
        report_source_handle(foreign, b, fn);
        return;
    }
    if (tracking() && paused_data(b, NetBufferLists, fn))
        return;
    give_record(NetBufferLists, b, VF_EV_SEND);
    stack_count_add(&b->sends_out, n);
    if (!sends_allowed(b)) {
        set_status(NetBufferLists, NDIS_STATUS_PAUSED);
        deliver(NetBufferLists, b, VF_EV_COMPLETE, false);
        b->driver->chars.protocol.SendNetBufferListsCompleteHandler(b->context, NetBufferLists,
                                                                      complete_flags_for(SendFlags));
        stack_count_sub(b, &b->sends_out, n);
        return;
    }
    send_down(b->adapter, STACK_INDEX_TOP, NetBufferLists, PortNumber, SendFlags);
}

VOID NdisFSendNetBufferLists(NDIS_HANDLE NdisFilterHandle, PNET_BUFFER_LIST NetBufferList,
                             NDIS_PORT_NUMBER PortNumber, ULONG SendFlags)
{
    static const char fn[] = "NdisFSendNetBufferLists";
    stack_layer *f = stack_layer_fast(NdisFilterHandle, STACK_KIND_FILTER, fn, "NdisFilterHandle");
    if (!f || !NetBufferList) {
        if (f)
            vf_diagnostic(fn, "NetBufferList is NULL");
        return;
    }
    if (!give_allowed(NetBufferList, f, VF_EV_SEND, fn) || (tracking() && paused_data(f, NetBufferList, fn)))
        return;
    give_record(NetBufferList, f, VF_EV_SEND);
    long own = count_source(NetBufferList, f);
    stack_count_add(&f->sends_out, own);
    if (!sends_allowed(f)) {
        set_status(NetBufferList, NDIS_STATUS_PAUSED);
        stack_complete_up(f->adapter, f->index, NetBufferList, complete_flags_for(SendFlags));
        return;
    }
    send_down(f->adapter, f->index, NetBufferList, PortNumber, SendFlags);
}

VOID NdisMSendNetBufferListsComplete(NDIS_HANDLE MiniportAdapterHandle, PNET_BUFFER_LIST NetBufferLists,
                                     ULONG SendCompleteFlags)
{
    static const char fn[] = "NdisMSendNetBufferListsComplete";
    stack_layer *m = stack_layer_fast(MiniportAdapterHandle, STACK_KIND_MINIPORT, fn, "MiniportAdapterHandle");
    if (!m || !NetBufferLists) {
        if (m)
            vf_diagnostic(fn, "NetBufferLists is NULL");
        return;
    }
    if (!give_allowed(NetBufferLists, m, VF_EV_COMPLETE, fn))
        return;
    give_record(NetBufferLists, m, VF_EV_COMPLETE);
    stack_complete_up(m->adapter, 1, NetBufferLists, SendCompleteFlags);
}

VOID NdisFSendNetBufferListsComplete(NDIS_HANDLE NdisFilterHandle, PNET_BUFFER_LIST NetBufferList,
                                     ULONG SendCompleteFlags)
{
    static const char fn[] = "NdisFSendNetBufferListsComplete";
    stack_layer *f = stack_layer_fast(NdisFilterHandle, STACK_KIND_FILTER, fn, "NdisFilterHandle");
    if (!f || !NetBufferList) {
        if (f)
            vf_diagnostic(fn, "NetBufferList is NULL");
        return;
    }
    if (!give_allowed(NetBufferList, f, VF_EV_COMPLETE, fn))
        return;
    give_record(NetBufferList, f, VF_EV_COMPLETE);
    stack_complete_up(f->adapter, f->index + 1, NetBufferList, SendCompleteFlags);
}

VOID NdisMIndicateReceiveNetBufferLists(NDIS_HANDLE MiniportAdapterHandle, PNET_BUFFER_LIST NetBufferList,
                                        NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists,
                                        ULONG ReceiveFlags)
{
    static const char fn[] = "NdisMIndicateReceiveNetBufferLists";
    stack_layer *m = stack_layer_fast(MiniportAdapterHandle, STACK_KIND_MINIPORT, fn, "MiniportAdapterHandle");
    if (!m || !NetBufferList) {
        if (m)
            vf_diagnostic(fn, "NetBufferList is NULL");
        return;
    }
    if (!give_allowed(NetBufferList, m, VF_EV_INDICATE, fn))
        return;
    PNET_BUFFER_LIST foreign;
    ULONG n = chain_length_from(NetBufferList, m, &foreign);
    if (foreign) {
        report_source_handle(foreign, m, fn);
        return;
    }
    if (!count_matches(NetBufferList, n, NumberOfNetBufferLists, fn) ||
        (tracking() && paused_data(m, NetBufferList, fn)))
        return;
    give_record(NetBufferList, m, VF_EV_INDICATE);
    bool keeps = (ReceiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) != 0;
    /* Fault injection: lend what was given; the stack returns it once the indication is back. */
    bool forced = !keeps && vf_fault_force_resources_now();
    ULONG flags = ReceiveFlags | (forced ? NDIS_RECEIVE_FLAGS_RESOURCES : 0);
    if (!keeps)
        stack_count_add(&m->receives_out, (long)n);
    if (stack_state(m) != NdisbufStateRunning)
        refuse_receive(m->adapter, 0, NetBufferList, flags);
    else
        indicate_up(m->adapter, 0, NetBufferList, PortNumber, n, flags);
    if (forced)
        return_down(m->adapter, 0, NetBufferList, return_flags_for(ReceiveFlags));
    else
        lent_back(NetBufferList, m, ReceiveFlags, fn);
}

VOID NdisFIndicateReceiveNetBufferLists(NDIS_HANDLE NdisFilterHandle, PNET_BUFFER_LIST NetBufferLists,
                                        NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists,
                                        ULONG ReceiveFlags)
{
    static const char fn[] = "NdisFIndicateReceiveNetBufferLists";
    stack_layer *f = stack_layer_fast(NdisFilterHandle, STACK_KIND_FILTER, fn, "NdisFilterHandle");
    if (!f || !NetBufferLists) {
        if (f)
            vf_diagnostic(fn, "NetBufferLists is NULL");
        return;
    }
    if (!give_allowed(NetBufferLists, f, VF_EV_INDICATE, fn))
        return;
    ULONG n;
    long own = count_source_and_length(NetBufferLists, f, &n);
    if (!count_matches(NetBufferLists, n, NumberOfNetBufferLists, fn) ||
        (tracking() && paused_data(f, NetBufferLists, fn)))
        return;
    give_record(NetBufferLists, f, VF_EV_INDICATE);
    if (!(ReceiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES))
        stack_count_add(&f->receives_out, own);
    if (stack_state(f) != NdisbufStateRunning)
        refuse_receive(f->adapter, f->index, NetBufferLists, ReceiveFlags);
    else
        indicate_up(f->adapter, f->index, NetBufferLists, PortNumber, n, ReceiveFlags);
    lent_back(NetBufferLists, f, ReceiveFlags, fn);
}

VOID NdisReturnNetBufferLists(NDIS_HANDLE NdisBindingHandle, PNET_BUFFER_LIST NetBufferLists, ULONG ReturnFlags)
{
    static const char fn[] = "NdisReturnNetBufferLists";
    stack_layer *b = stack_layer_fast(NdisBindingHandle, STACK_KIND_PROTOCOL, fn, "NdisBindingHandle");
    if (!b || !NetBufferLists) {
        if (b)
            vf_diagnostic(fn, "NetBufferLists is NULL");
        return;
    }
    if (!give_allowed(NetBufferLists, b, VF_EV_RETURN, fn))
        return;
    give_record(NetBufferLists, b, VF_EV_RETURN);
    ULONG n;
    return_down_counted(b->adapter, STACK_INDEX_TOP, NetBufferLists, ReturnFlags, &n);
    stack_count_sub(b, &b->held, (long)n);
}

VOID NdisFReturnNetBufferLists(NDIS_HANDLE NdisFilterHandle, PNET_BUFFER_LIST NetBufferLists, ULONG ReturnFlags)
{
    static const char fn[] = "NdisFReturnNetBufferLists";
    stack_layer *f = stack_layer_fast(NdisFilterHandle, STACK_KIND_FILTER, fn, "NdisFilterHandle");
    if (!f || !NetBufferLists) {
        if (f)
            vf_diagnostic(fn, "NetBufferLists is NULL");
        return;
    }
    if (!give_allowed(NetBufferLists, f, VF_EV_RETURN, fn))
        return;
    give_record(NetBufferLists, f, VF_EV_RETURN);
    return_down(f->adapter, f->index - 1, NetBufferLists, ReturnFlags);
}
