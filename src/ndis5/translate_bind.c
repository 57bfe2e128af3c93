/* SPDX-License-Identifier: MIT */
/*
 * The NDIS 5.1 protocol shim: bindings (docs/ndis5.md, "Running over the
 * NDIS 6 stack").
 *
 * ndisbuf_stack_bind calls the shim's ProtocolBindAdapterEx, which makes an
 * xl_binding and calls the 5.1 ProtocolBindAdapter with it as BindContext
 * and the adapter's name as DeviceName. The 5.1 protocol's NdisOpenAdapter
 * finds that bind by protocol and adapter name and becomes NdisOpenAdapterEx
 * with the bind's NDIS 6 BindContext. Unbinding mirrors it: the shim's
 * ProtocolUnbindAdapterEx calls ProtocolUnbindAdapter with the xl_binding
 * as UnbindContext, whose NdisCloseAdapter becomes NdisCloseAdapterEx.
 *
 * A 5.1 handler that sets NDIS_STATUS_PENDING finishes later with
 * NdisCompleteBindAdapter / NdisCompleteUnbindAdapter, on any thread and
 * possibly before the handler has even returned; the shim then returns
 * NDIS_STATUS_PENDING to the stack itself and finishes with
 * NdisCompleteBindAdapterEx / NdisCompleteUnbindAdapterEx.
 */
#include <stdlib.h>
#include <string.h>

#include "ndis5/translate.h"
#include "verify/verify.h"

/* The largest NBL context back-fill a pool can carry: a USHORT multiple of sizeof(PVOID). */
#define XL_MAX_CONTEXT_BACKFILL 0xFFF8u

static pthread_mutex_t xl_bindings_lock = PTHREAD_MUTEX_INITIALIZER;
static xl_binding *xl_bindings;         /* live */
static xl_binding *xl_retired_bindings; /* memory kept for reuse, magic dead */

/* ---- the registry ---- */

static void xl_copy_name(xl_binding *b, const NDIS_STRING *name)
{
    USHORT n = name && name->Buffer ? (USHORT)(name->Length / sizeof(WCHAR)) : 0;
    if (n > XL_NAME_MAX - 1)
        n = XL_NAME_MAX - 1;
    if (n)
        memcpy(b->adapter_chars, name->Buffer, n * sizeof(WCHAR));
    b->adapter_chars[n] = 0;
    b->adapter_name.Buffer = b->adapter_chars;
    b->adapter_name.Length = (USHORT)(n * sizeof(WCHAR));
    b->adapter_name.MaximumLength = (USHORT)sizeof(b->adapter_chars);
}

static xl_binding *xl_binding_new(xl_protocol *p, NDIS_HANDLE bind_context6, const NDIS_BIND_PARAMETERS *bp)
{
    pthread_mutex_lock(&xl_bindings_lock);
    xl_binding *b = xl_retired_bindings;
    if (b)
        xl_retired_bindings = b->next;
    pthread_mutex_unlock(&xl_bindings_lock);
    if (!b && !(b = calloc(1, sizeof(*b))))
        return NULL;
    memset(b, 0, sizeof(*b));
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->changed, NULL);
    b->magic = XL_BINDING_MAGIC;
    b->protocol = p;
    b->state = XL_OPENING;
    b->bind_context6 = bind_context6;
    b->medium = bp->MediaType;
    xl_copy_name(b, bp->AdapterName);
    pthread_mutex_lock(&xl_bindings_lock);
    b->next = xl_bindings;
    xl_bindings = b;
    pthread_mutex_unlock(&xl_bindings_lock);
    return b;
}

static void xl_free_pools(xl_binding *b)
{
    if (b->nbl_pool)
        NdisFreeNetBufferListPool(b->nbl_pool);
    if (b->rx_packet_pool)
        NdisFreePacketPool(b->rx_packet_pool);
    if (b->rx_buffer_pool)
        NdisFreeBufferPool(b->rx_buffer_pool);
    b->nbl_pool = b->rx_packet_pool = b->rx_buffer_pool = NULL;
}

/* The binding is over: its pools go, its memory waits for the next binding. */
static void xl_binding_retire(xl_binding *b)
{
    xl_free_pools(b);
    pthread_mutex_lock(&xl_bindings_lock);
    for (xl_binding **link = &xl_bindings; *link; link = &(*link)->next)
        if (*link == b) {
            *link = b->next;
            break;
        }
    b->magic = 0;
    pthread_mutex_destroy(&b->lock);
    pthread_cond_destroy(&b->changed);
    b->next = xl_retired_bindings;
    xl_retired_bindings = b;
    pthread_mutex_unlock(&xl_bindings_lock);
}

xl_binding *xl_binding_lookup(NDIS_HANDLE handle)
{
    xl_binding *found = NULL;
    pthread_mutex_lock(&xl_bindings_lock);
    for (xl_binding *b = xl_bindings; b && !found; b = b->next)
        if (handle && b == handle)
            found = b;
    pthread_mutex_unlock(&xl_bindings_lock);
    return found;
}

xl_binding *xl_binding_fast(NDIS_HANDLE handle, const char *fn)
{
    xl_binding *b = handle;
    if (!b || b->magic != XL_BINDING_MAGIC) {
        vf_diagnostic(fn, "NdisBindingHandle %p is not a binding NdisOpenAdapter gave (NULL, unknown or closed)",
                      handle);
        return NULL;
    }
    return b;
}

ULONG xl_protocol_bindings(const xl_protocol *p)
{
    ULONG n = 0;
    pthread_mutex_lock(&xl_bindings_lock);
    for (xl_binding *b = xl_bindings; b; b = b->next)
        n += b->protocol == p;
    pthread_mutex_unlock(&xl_bindings_lock);
    return n;
}

static bool xl_same_name(const NDIS_STRING *a, const NDIS_STRING *b)
{
    return a && b && a->Buffer && b->Buffer && a->Length == b->Length && memcmp(a->Buffer, b->Buffer, a->Length) == 0;
}

/* The bind of protocol p to the adapter `name` waiting for its NdisOpenAdapter, or NULL. */
static xl_binding *xl_bind_in_progress(const xl_protocol *p, const NDIS_STRING *name)
{
    xl_binding *found = NULL;
    pthread_mutex_lock(&xl_bindings_lock);
    for (xl_binding *b = xl_bindings; b && !found; b = b->next)
        if (b->protocol == p && b->state == XL_OPENING && !b->opened && xl_same_name(&b->adapter_name, name))
            found = b;
    pthread_mutex_unlock(&xl_bindings_lock);
    return found;
}

/* ---- pools ---- */

NDIS_STATUS xl_replace_nbl_pool(xl_binding *b, ULONG ContextBackFillSize)
{
    if (ContextBackFillSize > XL_MAX_CONTEXT_BACKFILL) {
        vf_diagnostic("NDIS 5.1 shim", "the stack needs %u bytes of NBL context back-fill; at most %u fit",
                      ContextBackFillSize, XL_MAX_CONTEXT_BACKFILL);
        return NDIS_STATUS_RESOURCES;
    }
    ULONG rounded = (ContextBackFillSize + (ULONG)sizeof(PVOID) - 1) & ~((ULONG)sizeof(PVOID) - 1);
    if (b->nbl_pool && rounded == b->context_backfill)
        return NDIS_STATUS_SUCCESS;
    NET_BUFFER_LIST_POOL_PARAMETERS parameters;
    memset(&parameters, 0, sizeof(parameters));
    parameters.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    parameters.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    parameters.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    parameters.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
    parameters.fAllocateNetBuffer = TRUE; /* one NB with each NBL; its MDLs are the packet's */
    parameters.ContextSize = (USHORT)rounded;
    parameters.PoolTag = XL_POOL_TAG;
    NDIS_HANDLE pool = NdisAllocateNetBufferListPool(b->protocol->handle6, &parameters);
    if (!pool)
        return NDIS_STATUS_RESOURCES;
    pthread_mutex_lock(&b->lock);
    NDIS_HANDLE old = b->nbl_pool;
    b->nbl_pool = pool;
    b->context_backfill = rounded;
    pthread_mutex_unlock(&b->lock);
    if (old)
        NdisFreeNetBufferListPool(old);
    return NDIS_STATUS_SUCCESS;
}

/* Send NBLs sized for the stack below, and the descriptors received packets are made of. */
static NDIS_STATUS xl_create_pools(xl_binding *b, const NDIS_BIND_PARAMETERS *bp)
{
    NDIS_STATUS status = xl_replace_nbl_pool(b, bp->ContextBackFillSize);
    if (status != NDIS_STATUS_SUCCESS)
        return status;
    NdisAllocatePacketPoolEx(&status, &b->rx_packet_pool, XL_RX_PACKETS, XL_RX_PACKET_OVERFLOW,
                             PROTOCOL_RESERVED_SIZE_IN_PACKET);
    if (status != NDIS_STATUS_SUCCESS)
        return status;
    NdisAllocateBufferPool(&status, &b->rx_buffer_pool, XL_RX_BUFFERS);
    return status;
}

/* ---- bind ---- */

/* After a 5.1 handler set NDIS_STATUS_PENDING: true, with *status, when its completion already came. */
static bool xl_completed_early(xl_binding *b, NDIS_STATUS *status)
{
    pthread_mutex_lock(&b->lock);
    bool done = b->phase == XL_PHASE_DONE;
    if (done) {
        *status = b->phase_status;
        b->phase = XL_PHASE_NONE;
    } else {
        b->phase = XL_PHASE_PENDING;
    }
    pthread_mutex_unlock(&b->lock);
    return done;
}

/* The handler returned without pending: a completion it made anyway is ignored. */
static void xl_phase_reset(xl_binding *b)
{
    pthread_mutex_lock(&b->lock);
    b->phase = XL_PHASE_NONE;
    pthread_mutex_unlock(&b->lock);
}

/*
 * NdisComplete*Adapter's half: true when the handler had returned PENDING
 * (the caller finishes now); false when it is still running (the status is
 * recorded for it) or nothing pends (diagnostic).
 */
static bool xl_take_completion(xl_binding *b, NDIS_STATUS status, const char *fn)
{
    pthread_mutex_lock(&b->lock);
    xl_phase phase = b->phase;
    if (phase == XL_PHASE_CALLING) {
        b->phase = XL_PHASE_DONE;
        b->phase_status = status;
    } else if (phase == XL_PHASE_PENDING) {
        b->phase = XL_PHASE_NONE;
    }
    pthread_mutex_unlock(&b->lock);
    if (phase != XL_PHASE_CALLING && phase != XL_PHASE_PENDING)
        vf_diagnostic(fn, "nothing is pending on this context: the handler did not set NDIS_STATUS_PENDING");
    return phase == XL_PHASE_PENDING;
}

static void xl_close(xl_binding *b, const char *fn)
{
    xl_flusher_stop(b);
    NDIS_STATUS status = NdisCloseAdapterEx(b->binding6);
    if (status != NDIS_STATUS_SUCCESS)
        vf_diagnostic(fn, "NdisCloseAdapterEx failed (0x%08X); the binding is dropped anyway", (unsigned)status);
    pthread_mutex_lock(&b->lock);
    b->opened = false;
    pthread_mutex_unlock(&b->lock);
    xl_free_pools(b);
}

/* The bind's outcome once the 5.1 handler is done with it; a failed bind leaves nothing open. */
static NDIS_STATUS xl_finish_bind(xl_binding *b, NDIS_STATUS status)
{
    static const char fn[] = "ProtocolBindAdapter";
    if (status == NDIS_STATUS_SUCCESS && !b->opened) {
        vf_diagnostic(fn, "the protocol reported success without opening the adapter (NdisOpenAdapter)");
        status = NDIS_STATUS_FAILURE;
    }
    if (status != NDIS_STATUS_SUCCESS && b->opened) {
        vf_diagnostic(fn, "the protocol failed its bind (0x%08X) with the adapter still open; the shim closes it",
                      (unsigned)status);
        xl_close(b, fn);
    }
    if (status == NDIS_STATUS_SUCCESS) {
        pthread_mutex_lock(&b->lock);
        b->state = XL_PAUSED;
        pthread_mutex_unlock(&b->lock);
    }
    return status;
}

NDIS_STATUS xl_bind_adapter_ex(NDIS_HANDLE ProtocolDriverContext, NDIS_HANDLE BindContext,
                               PNDIS_BIND_PARAMETERS BindParameters)
{
    xl_protocol *p = ProtocolDriverContext;
    if (p->magic != XL_PROTOCOL_MAGIC) {
        vf_diagnostic("ProtocolBindAdapterEx", "the NDIS 5.1 protocol was deregistered");
        return NDIS_STATUS_FAILURE;
    }
    xl_binding *b = xl_binding_new(p, BindContext, BindParameters);
    if (!b)
        return NDIS_STATUS_RESOURCES;
    NDIS_STATUS status = xl_create_pools(b, BindParameters);
    if (status != NDIS_STATUS_SUCCESS) {
        xl_binding_retire(b);
        return status;
    }
    b->phase = XL_PHASE_CALLING; /* nobody else knows b yet */
    status = NDIS_STATUS_FAILURE;
    xl_handler_enter();
    p->chars.BindAdapterHandler(&status, b, &b->adapter_name, NULL, NULL);
    xl_handler_leave();
    if (status == NDIS_STATUS_PENDING && !xl_completed_early(b, &status))
        return NDIS_STATUS_PENDING; /* NdisCompleteBindAdapter finishes */
    xl_phase_reset(b);
    status = xl_finish_bind(b, status);
    if (status != NDIS_STATUS_SUCCESS)
        xl_binding_retire(b);
    return status;
}

VOID NdisCompleteBindAdapter(NDIS_HANDLE BindAdapterContext, NDIS_STATUS Status, NDIS_STATUS OpenStatus)
{
    static const char fn[] = "NdisCompleteBindAdapter";
    (void)OpenStatus;
    xl_binding *b = xl_binding_lookup(BindAdapterContext);
    if (!b || b->state != XL_OPENING) {
        vf_diagnostic(fn, "BindAdapterContext %p is not the BindContext of a bind in progress", BindAdapterContext);
        return;
    }
    if (!xl_take_completion(b, Status, fn))
        return;
    NDIS_HANDLE bind_context6 = b->bind_context6;
    NDIS_STATUS status = xl_finish_bind(b, Status);
    if (status != NDIS_STATUS_SUCCESS)
        xl_binding_retire(b);
    NdisCompleteBindAdapterEx(bind_context6, status);
}

/* ---- open and close ---- */

static bool xl_open_arguments_ok(PNDIS_STATUS Status, PNDIS_STATUS OpenErrorStatus, PNDIS_HANDLE NdisBindingHandle,
                                 PUINT SelectedMediumIndex, PNDIS_MEDIUM MediumArray, UINT MediumArraySize,
                                 PNDIS_STRING AdapterName, const char *fn)
{
    const char *bad = !Status                ? "Status"
                      : !OpenErrorStatus     ? "OpenErrorStatus"
                      : !NdisBindingHandle   ? "NdisBindingHandle"
                      : !SelectedMediumIndex ? "SelectedMediumIndex"
                      : !MediumArray || !MediumArraySize ? "MediumArray"
                      : !AdapterName         ? "AdapterName"
                                             : NULL;
    if (bad)
        vf_diagnostic(fn, "%s is NULL (or empty)", bad);
    return bad == NULL;
}

/* NdisOpenAdapterEx for the bind in progress, then the thread that sends what waits for a restart. */
static NDIS_STATUS xl_open(xl_binding *b, NDIS_HANDLE context5, PNDIS_MEDIUM media, UINT count, PUINT selected)
{
    NDIS_OPEN_PARAMETERS op;
    memset(&op, 0, sizeof(op));
    op.Header.Type = NDIS_OBJECT_TYPE_OPEN_PARAMETERS;
    op.Header.Revision = NDIS_OPEN_PARAMETERS_REVISION_1;
    op.Header.Size = NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1;
    op.AdapterName = &b->adapter_name;
    op.MediumArray = media;
    op.MediumArraySize = count;
    op.SelectedMediumIndex = selected;
    NDIS_HANDLE binding6 = NULL;
    NDIS_STATUS status = NdisOpenAdapterEx(b->protocol->handle6, b, &op, b->bind_context6, &binding6);
    if (status != NDIS_STATUS_SUCCESS)
        return status == NDIS_STATUS_UNSUPPORTED_MEDIA ? status : NDIS_STATUS_OPEN_FAILED;
    pthread_mutex_lock(&b->lock);
    b->binding6 = binding6;
    b->context5 = context5;
    b->opened = true;
    pthread_mutex_unlock(&b->lock);
    if (!xl_flusher_start(b)) {
        NdisCloseAdapterEx(binding6);
        pthread_mutex_lock(&b->lock);
        b->opened = false;
        pthread_mutex_unlock(&b->lock);
        return NDIS_STATUS_RESOURCES;
    }
    return NDIS_STATUS_SUCCESS;
}

VOID NdisOpenAdapter(PNDIS_STATUS Status, PNDIS_STATUS OpenErrorStatus, PNDIS_HANDLE NdisBindingHandle,
                     PUINT SelectedMediumIndex, PNDIS_MEDIUM MediumArray, UINT MediumArraySize,
                     NDIS_HANDLE NdisProtocolHandle, NDIS_HANDLE ProtocolBindingContext, PNDIS_STRING AdapterName,
                     UINT OpenOptions, PSTRING AddressingInformation)
{
    static const char fn[] = "NdisOpenAdapter";
    (void)OpenOptions;
    (void)AddressingInformation;
    if (!xl_open_arguments_ok(Status, OpenErrorStatus, NdisBindingHandle, SelectedMediumIndex, MediumArray,
                              MediumArraySize, AdapterName, fn)) {
        if (Status)
            *Status = NDIS_STATUS_OPEN_FAILED;
        return;
    }
    *NdisBindingHandle = NULL;
    xl_protocol *p = xl_protocol_find(NdisProtocolHandle);
    xl_binding *b = p ? xl_bind_in_progress(p, AdapterName) : NULL;
    NDIS_STATUS status;
    if (!b) {
        vf_diagnostic(fn, "%s", p ? "no bind of this protocol to that adapter is in progress (open it from "
                                    "ProtocolBindAdapter, with the DeviceName it got)"
                                  : "NdisProtocolHandle is not a handle NdisRegisterProtocol gave");
        status = p ? NDIS_STATUS_ADAPTER_NOT_FOUND : NDIS_STATUS_OPEN_FAILED;
    } else {
        status = xl_open(b, ProtocolBindingContext, MediumArray, MediumArraySize, SelectedMediumIndex);
    }
    if (status == NDIS_STATUS_SUCCESS)
        *NdisBindingHandle = b;
    *Status = status;
    *OpenErrorStatus = status;
}

VOID NdisCloseAdapter(PNDIS_STATUS Status, NDIS_HANDLE NdisBindingHandle)
{
    static const char fn[] = "NdisCloseAdapter";
    if (!Status) {
        vf_diagnostic(fn, "Status is NULL");
        return;
    }
    xl_binding *b = xl_binding_lookup(NdisBindingHandle);
    if (!b || !b->opened) {
        vf_diagnostic(fn, "NdisBindingHandle %p is not an open binding", NdisBindingHandle);
        *Status = NDIS_STATUS_FAILURE;
        return;
    }
    if (b->state != XL_CLOSING && b->state != XL_OPENING) {
        vf_diagnostic(fn, "the binding is bound: close it from ProtocolUnbindAdapter (ndisbuf_stack_unbind "
                          "unbinds it)");
        *Status = NDIS_STATUS_FAILURE;
        return;
    }
    xl_close(b, fn);
    *Status = NDIS_STATUS_SUCCESS;
}

/* ---- unbind ---- */

static void xl_finish_unbind(xl_binding *b)
{
    if (b->opened) {
        vf_diagnostic("ProtocolUnbindAdapter", "the protocol unbound without NdisCloseAdapter; the shim closes it");
        xl_close(b, "ProtocolUnbindAdapter");
    }
}

NDIS_STATUS xl_unbind_adapter_ex(NDIS_HANDLE UnbindContext, NDIS_HANDLE ProtocolBindingContext)
{
    xl_binding *b = ProtocolBindingContext;
    pthread_mutex_lock(&b->lock);
    b->state = XL_CLOSING;
    b->unbind_context6 = UnbindContext;
    b->phase = XL_PHASE_CALLING;
    pthread_cond_broadcast(&b->changed);
    pthread_mutex_unlock(&b->lock);
    /* What waited for a restart will never be sent: the 5.1 protocol gets it back first. */
    xl_fail_queue(b, NDIS_STATUS_CLOSING);

    NDIS_STATUS status = NDIS_STATUS_SUCCESS;
    xl_handler_enter();
    b->protocol->chars.UnbindAdapterHandler(&status, b->context5, b);
    xl_handler_leave();
    if (status == NDIS_STATUS_PENDING && !xl_completed_early(b, &status))
        return NDIS_STATUS_PENDING; /* NdisCompleteUnbindAdapter finishes */
    xl_phase_reset(b);
    xl_finish_unbind(b);
    xl_binding_retire(b);
    return NDIS_STATUS_SUCCESS;
}

/* The unbinding binding `handle` names: its UnbindContext, or (older pages) its ProtocolBindingContext. */
static xl_binding *xl_unbind_in_progress(NDIS_HANDLE handle)
{
    xl_binding *found = xl_binding_lookup(handle);
    if (found)
        return found->state == XL_CLOSING ? found : NULL;
    pthread_mutex_lock(&xl_bindings_lock);
    for (xl_binding *b = xl_bindings; b && !found; b = b->next)
        if (handle && b->state == XL_CLOSING && b->context5 == handle)
            found = b;
    pthread_mutex_unlock(&xl_bindings_lock);
    return found;
}

VOID NdisCompleteUnbindAdapter(NDIS_HANDLE UnbindAdapterContext, NDIS_STATUS Status)
{
    static const char fn[] = "NdisCompleteUnbindAdapter";
    xl_binding *b = xl_unbind_in_progress(UnbindAdapterContext);
    if (!b) {
        vf_diagnostic(fn, "UnbindAdapterContext %p is not the UnbindContext of an unbind in progress",
                      UnbindAdapterContext);
        return;
    }
    if (Status != NDIS_STATUS_SUCCESS)
        vf_diagnostic(fn, "Status is 0x%08X; an unbind always completes with NDIS_STATUS_SUCCESS", (unsigned)Status);
    if (!xl_take_completion(b, NDIS_STATUS_SUCCESS, fn))
        return;
    NDIS_HANDLE unbind_context6 = b->unbind_context6;
    xl_finish_unbind(b);
    xl_binding_retire(b);
    NdisCompleteUnbindAdapterEx(unbind_context6);
}
