/* SPDX-License-Identifier: MIT */
/*
 * Filter-driver calls and structures beside the data path: the partial
 * characteristics a filter hands to NdisSetOptionalHandlers to change its
 * send/receive handlers at run time, and the calls that forward a cancel or
 * a device PnP event down the stack.
 *
 * ndisbuf's stack never cancels sends or OID requests and sends no device
 * PnP events, so the three forwarding calls have nothing to forward: they
 * return at once (a cancel is a request the layer below may ignore, which
 * is what happens), leaving a diagnostic. NdisSetOptionalHandlers is not
 * supported: the stack keeps the handlers given at registration.
 *
 * The protocol-side calls of the same kind follow: cancelling sends on a
 * binding (nothing below cancels either), the partial cancel id a protocol
 * builds its cancel ids from (real), and the adapter's friendly name (not
 * kept: the call fails cleanly).
 */
#ifndef NDISBUF_NDIS_OPTIONAL_H
#define NDISBUF_NDIS_OPTIONAL_H

#include "base.h"
#include "status.h"
#include "object.h"
#include "driver.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The generic header every optional-handler block starts with. */
typedef struct _NDIS_DRIVER_OPTIONAL_HANDLERS {
    NDIS_OBJECT_HEADER Header;
} NDIS_DRIVER_OPTIONAL_HANDLERS, *PNDIS_DRIVER_OPTIONAL_HANDLERS;

typedef struct _NDIS_FILTER_PARTIAL_CHARACTERISTICS {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_FILTER_PARTIAL_CHARACTERISTICS */
    ULONG Flags;
    FILTER_SEND_NET_BUFFER_LISTS_HANDLER SendNetBufferListsHandler;
    FILTER_SEND_NET_BUFFER_LISTS_COMPLETE_HANDLER SendNetBufferListsCompleteHandler;
    FILTER_CANCEL_SEND_HANDLER CancelSendNetBufferListsHandler;
    FILTER_RECEIVE_NET_BUFFER_LISTS_HANDLER ReceiveNetBufferListsHandler;
    FILTER_RETURN_NET_BUFFER_LISTS_HANDLER ReturnNetBufferListsHandler;
} NDIS_FILTER_PARTIAL_CHARACTERISTICS, *PNDIS_FILTER_PARTIAL_CHARACTERISTICS;

#define NDIS_FILTER_PARTIAL_CHARACTERISTICS_REVISION_1 1
#define NDIS_SIZEOF_FILTER_PARTIAL_CHARACTERISTICS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_FILTER_PARTIAL_CHARACTERISTICS, ReturnNetBufferListsHandler)

/* NdisSetOptionalHandlers: NDIS_STATUS_NOT_SUPPORTED with a diagnostic; the handlers stay as registered. */
NDISBUF_API NDIS_STATUS NdisSetOptionalHandlers(NDIS_HANDLE NdisHandle,
                                                PNDIS_DRIVER_OPTIONAL_HANDLERS OptionalHandlers);

/* NdisFCancelOidRequest: forwards a cancel below the filter; nothing below cancels, the request completes normally. */
NDISBUF_API VOID NdisFCancelOidRequest(NDIS_HANDLE NdisFilterHandle, PVOID RequestId);

/* NdisFCancelSendNetBufferLists: forwards a send cancel; nothing below cancels, the sends complete normally. */
NDISBUF_API VOID NdisFCancelSendNetBufferLists(NDIS_HANDLE NdisFilterHandle, PVOID CancelId);

/* NdisFDevicePnPEventNotify: forwards a device PnP event down; the miniports here take none, it is dropped. */
/* ---- protocol extras ---- */

/*
 * NdisCancelSendNetBufferLists: asks the binding to cancel the sends
 * marked with CancelId (NDIS_SET_NET_BUFFER_LIST_CANCEL_ID). Nothing below
 * a binding cancels in ndisbuf: the call returns at once with a diagnostic
 * and the sends complete normally, through ProtocolSendNetBufferListsComplete.
 */
NDISBUF_API VOID NdisCancelSendNetBufferLists(NDIS_HANDLE NdisBindingHandle, PVOID CancelId);

/*
 * NdisGeneratePartialCancelId: a value for the high-order byte of a cancel
 * id, different on each call (it wraps after 256) so that drivers sharing a
 * stack build disjoint cancel ids. Any thread; cannot fail.
 */
NDISBUF_API UCHAR NdisGeneratePartialCancelId(VOID);

/*
 * NdisQueryAdapterInstanceName: the adapter's friendly name, allocated for
 * the caller to free with NdisFreeMemory. ndisbuf keeps no friendly names:
 * returns NDIS_STATUS_NOT_SUPPORTED with a diagnostic, leaving
 * *pAdapterInstanceName as it was (drivers treat the name as optional).
 */
NDISBUF_API NDIS_STATUS NdisQueryAdapterInstanceName(PNDIS_STRING pAdapterInstanceName,
                                                     NDIS_HANDLE NdisBindingHandle);

NDISBUF_API VOID NdisFDevicePnPEventNotify(NDIS_HANDLE NdisFilterHandle, PNET_DEVICE_PNP_EVENT NetDevicePnPEvent);

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_NDIS_OPTIONAL_H */
