/* SPDX-License-Identifier: MIT */
/*
 * The filter calls of include/ndisbuf/ndis/optional.h. The stack below a
 * filter never cancels and takes no device PnP events, so forwarding one
 * ends here; NdisSetOptionalHandlers is not supported. Each leaves a
 * diagnostic, so a test can see that the call was made. The protocol
 * extras beside them: a send cancel that ends here too, a real partial
 * cancel id, and the adapter instance name, which ndisbuf does not keep.
 */
#include "ndis.h"
#include "verify/verify.h"

NDIS_STATUS NdisSetOptionalHandlers(NDIS_HANDLE NdisHandle, PNDIS_DRIVER_OPTIONAL_HANDLERS OptionalHandlers)
{
    vf_diagnostic("NdisSetOptionalHandlers", "not supported (handle %p, handlers type 0x%x): the handlers "
                  "given at registration stay", NdisHandle, OptionalHandlers ? OptionalHandlers->Header.Type : 0);
    return NDIS_STATUS_NOT_SUPPORTED;
}

VOID NdisFCancelOidRequest(NDIS_HANDLE NdisFilterHandle, PVOID RequestId)
{
    vf_diagnostic("NdisFCancelOidRequest", "filter %p, request id %p: nothing below cancels; the request "
                  "completes normally", NdisFilterHandle, RequestId);
}

VOID NdisFCancelSendNetBufferLists(NDIS_HANDLE NdisFilterHandle, PVOID CancelId)
{
    vf_diagnostic("NdisFCancelSendNetBufferLists", "filter %p, cancel id %p: nothing below cancels; the sends "
                  "complete normally", NdisFilterHandle, CancelId);
}

VOID NdisFDevicePnPEventNotify(NDIS_HANDLE NdisFilterHandle, PNET_DEVICE_PNP_EVENT NetDevicePnPEvent)
{
    vf_diagnostic("NdisFDevicePnPEventNotify", "filter %p: device PnP event %d dropped, the miniports take none",
                  NdisFilterHandle, NetDevicePnPEvent ? (int)NetDevicePnPEvent->DevicePnPEvent : -1);
}

VOID NdisCancelSendNetBufferLists(NDIS_HANDLE NdisBindingHandle, PVOID CancelId)
{
    vf_diagnostic("NdisCancelSendNetBufferLists", "binding %p, cancel id %p: nothing below cancels; the "
                  "sends complete normally", NdisBindingHandle, CancelId);
}

UCHAR NdisGeneratePartialCancelId(VOID)
{
    static UCHAR next;

    return __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED);
}

NDIS_STATUS NdisQueryAdapterInstanceName(PNDIS_STRING pAdapterInstanceName, NDIS_HANDLE NdisBindingHandle)
{
    (void)pAdapterInstanceName;
    vf_diagnostic("NdisQueryAdapterInstanceName", "binding %p: adapters have no friendly name in ndisbuf; "
                  "the name is left as it was", NdisBindingHandle);
    return NDIS_STATUS_NOT_SUPPORTED;
}
