/* SPDX-License-Identifier: MIT */
/*
 * The driver-model headers (types.h, oid.h, driver.h) compile the way driver
 * code uses them: handlers declared with their role types and then defined
 * (the pattern of Microsoft's samples, including the non-static form that
 * -Wmissing-prototypes must accept), characteristics and attributes filled
 * the way ndisprot, ndislwf and netvmini fill them, and the documented x64
 * layouts. Nothing here calls into the library: the handlers are invoked
 * through the characteristics' pointers, and the structures are plain data.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* ------------------------------------------------- recorded handler calls */

static struct {
    int bind, unbind, open_complete, close_complete, pnp, uninstall, oid_complete, status, receive,
        send_complete, direct_oid_complete, set_options;
    int attach, detach, restart, pause, module_options, oid, cancel_oid, send, cancel_send, ret,
        device_pnp;
    int initialize, halt, unload, shutdown, reset;
    ULONG last_flags;
    NDIS_PORT_NUMBER last_port;
    NET_PNP_EVENT_CODE last_event;
    NDIS_HALT_ACTION last_halt;
} calls;

static void reset_calls(void)
{
    memset(&calls, 0, sizeof(calls));
}

/* ------------------------------------------------------ protocol handlers */

/* Non-static, as the samples write them: the typedef declaration is the prototype. */
PROTOCOL_SET_OPTIONS TstProtocolSetOptions;
PROTOCOL_BIND_ADAPTER_EX TstBindAdapter;

_Use_decl_annotations_
NDIS_STATUS TstProtocolSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext)
{
    UNREFERENCED_PARAMETER(NdisDriverHandle);
    UNREFERENCED_PARAMETER(DriverContext);
    calls.set_options++;
    return NDIS_STATUS_SUCCESS;
}

_Use_decl_annotations_
NDIS_STATUS TstBindAdapter(NDIS_HANDLE ProtocolDriverContext, NDIS_HANDLE BindContext,
                           PNDIS_BIND_PARAMETERS BindParameters)
{
    UNREFERENCED_PARAMETER(ProtocolDriverContext);
    UNREFERENCED_PARAMETER(BindContext);
    calls.bind++;
    return BindParameters->MediaType == NdisMedium802_3 ? NDIS_STATUS_SUCCESS
                                                        : NDIS_STATUS_UNSUPPORTED_MEDIA;
}

static PROTOCOL_UNBIND_ADAPTER_EX TstUnbindAdapter;
static PROTOCOL_OPEN_ADAPTER_COMPLETE_EX TstOpenAdapterComplete;
static PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX TstCloseAdapterComplete;
static PROTOCOL_NET_PNP_EVENT TstProtocolPnPEvent;
static PROTOCOL_UNINSTALL TstUninstall;
static PROTOCOL_OID_REQUEST_COMPLETE TstProtocolOidComplete;
static PROTOCOL_STATUS_EX TstProtocolStatus;
static PROTOCOL_RECEIVE_NET_BUFFER_LISTS TstProtocolReceive;
static PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE TstProtocolSendComplete;
static PROTOCOL_DIRECT_OID_REQUEST_COMPLETE TstProtocolDirectOidComplete;

_Use_decl_annotations_
static NDIS_STATUS TstUnbindAdapter(NDIS_HANDLE UnbindContext, NDIS_HANDLE ProtocolBindingContext)
{
    UNREFERENCED_PARAMETER(UnbindContext);
    UNREFERENCED_PARAMETER(ProtocolBindingContext);
    calls.unbind++;
    return NDIS_STATUS_PENDING;
}

_Use_decl_annotations_
static VOID TstOpenAdapterComplete(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status)
{
    UNREFERENCED_PARAMETER(ProtocolBindingContext);
    UNREFERENCED_PARAMETER(Status);
    calls.open_complete++;
}

_Use_decl_annotations_
static VOID TstCloseAdapterComplete(NDIS_HANDLE ProtocolBindingContext)
{
    UNREFERENCED_PARAMETER(ProtocolBindingContext);
    calls.close_complete++;
}

_Use_decl_annotations_
static NDIS_STATUS TstProtocolPnPEvent(NDIS_HANDLE ProtocolBindingContext,
                                       PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification)
{
    UNREFERENCED_PARAMETER(ProtocolBindingContext);
    calls.pnp++;
    calls.last_event = NetPnPEventNotification->NetPnPEvent.NetEvent;
    if (calls.last_event == NetEventPause) {
        PNDIS_PROTOCOL_PAUSE_PARAMETERS pause =
            (PNDIS_PROTOCOL_PAUSE_PARAMETERS)NetPnPEventNotification->NetPnPEvent.Buffer;
        calls.last_flags = pause->PauseReason;
    }
    return NDIS_STATUS_SUCCESS;
}

_Use_decl_annotations_
static VOID TstUninstall(void)
{
    calls.uninstall++;
}

_Use_decl_annotations_
static VOID TstProtocolOidComplete(NDIS_HANDLE ProtocolBindingContext, PNDIS_OID_REQUEST OidRequest,
                                   NDIS_STATUS Status)
{
    UNREFERENCED_PARAMETER(ProtocolBindingContext);
    UNREFERENCED_PARAMETER(OidRequest);
    UNREFERENCED_PARAMETER(Status);
    calls.oid_complete++;
}

_Use_decl_annotations_
static VOID TstProtocolStatus(NDIS_HANDLE ProtocolBindingContext, PNDIS_STATUS_INDICATION StatusIndication)
{
    UNREFERENCED_PARAMETER(ProtocolBindingContext);
    UNREFERENCED_PARAMETER(StatusIndication);
    calls.status++;
}

_Use_decl_annotations_
static VOID TstProtocolReceive(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferLists,
                               NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists,
                               ULONG ReceiveFlags)
{
    UNREFERENCED_PARAMETER(ProtocolBindingContext);
    UNREFERENCED_PARAMETER(NetBufferLists);
    UNREFERENCED_PARAMETER(NumberOfNetBufferLists);
    calls.receive++;
    calls.last_port = PortNumber;
    calls.last_flags = ReceiveFlags;
}

_Use_decl_annotations_
static VOID TstProtocolSendComplete(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferList,
                                    ULONG SendCompleteFlags)
{
    UNREFERENCED_PARAMETER(ProtocolBindingContext);
    UNREFERENCED_PARAMETER(NetBufferList);
    calls.send_complete++;
    calls.last_flags = SendCompleteFlags;
}

_Use_decl_annotations_
static VOID TstProtocolDirectOidComplete(NDIS_HANDLE ProtocolBindingContext, PNDIS_OID_REQUEST OidRequest,
                                         NDIS_STATUS Status)
{
    UNREFERENCED_PARAMETER(ProtocolBindingContext);
    UNREFERENCED_PARAMETER(OidRequest);
    UNREFERENCED_PARAMETER(Status);
    calls.direct_oid_complete++;
}

/* -------------------------------------------------------- filter handlers */

static FILTER_SET_OPTIONS TstFilterSetOptions;
static FILTER_SET_MODULE_OPTIONS TstFilterSetModuleOptions;
static FILTER_ATTACH TstFilterAttach;
static FILTER_DETACH TstFilterDetach;
static FILTER_RESTART TstFilterRestart;
static FILTER_PAUSE TstFilterPause;
static FILTER_OID_REQUEST TstFilterOidRequest;
static FILTER_CANCEL_OID_REQUEST TstFilterCancelOidRequest;
static FILTER_OID_REQUEST_COMPLETE TstFilterOidRequestComplete;
static FILTER_STATUS TstFilterStatus;
static FILTER_NET_PNP_EVENT TstFilterNetPnPEvent;
static FILTER_DEVICE_PNP_EVENT_NOTIFY TstFilterDevicePnPEventNotify;
static FILTER_SEND_NET_BUFFER_LISTS TstFilterSend;
static FILTER_SEND_NET_BUFFER_LISTS_COMPLETE TstFilterSendComplete;
static FILTER_CANCEL_SEND_NET_BUFFER_LISTS TstFilterCancelSend;
static FILTER_RECEIVE_NET_BUFFER_LISTS TstFilterReceive;
static FILTER_RETURN_NET_BUFFER_LISTS TstFilterReturn;
static FILTER_DIRECT_OID_REQUEST TstFilterDirectOidRequest;
static FILTER_DIRECT_OID_REQUEST_COMPLETE TstFilterDirectOidRequestComplete;
static FILTER_CANCEL_DIRECT_OID_REQUEST TstFilterCancelDirectOidRequest;

_Use_decl_annotations_
static NDIS_STATUS TstFilterSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext)
{
    UNREFERENCED_PARAMETER(NdisDriverHandle);
    UNREFERENCED_PARAMETER(DriverContext);
    calls.set_options++;
    return NDIS_STATUS_SUCCESS;
}

_Use_decl_annotations_
static NDIS_STATUS TstFilterSetModuleOptions(NDIS_HANDLE FilterModuleContext)
{
    UNREFERENCED_PARAMETER(FilterModuleContext);
    calls.module_options++;
    return NDIS_STATUS_SUCCESS;
}

_Use_decl_annotations_
static NDIS_STATUS TstFilterAttach(NDIS_HANDLE NdisFilterHandle, NDIS_HANDLE FilterDriverContext,
                                   PNDIS_FILTER_ATTACH_PARAMETERS AttachParameters)
{
    UNREFERENCED_PARAMETER(NdisFilterHandle);
    UNREFERENCED_PARAMETER(FilterDriverContext);
    calls.attach++;
    /* ndislwf only attaches over Ethernet. */
    return AttachParameters->MiniportMediaType == NdisMedium802_3 ? NDIS_STATUS_SUCCESS
                                                                  : NDIS_STATUS_INVALID_PARAMETER;
}

_Use_decl_annotations_
static VOID TstFilterDetach(NDIS_HANDLE FilterModuleContext)
{
    UNREFERENCED_PARAMETER(FilterModuleContext);
    calls.detach++;
}

_Use_decl_annotations_
static NDIS_STATUS TstFilterRestart(NDIS_HANDLE FilterModuleContext,
                                    PNDIS_FILTER_RESTART_PARAMETERS RestartParameters)
{
    UNREFERENCED_PARAMETER(FilterModuleContext);
    calls.restart++;
    /* Walk the restart attributes the way ndislwf does. */
    for (PNDIS_RESTART_ATTRIBUTES attr = RestartParameters->RestartAttributes; attr; attr = attr->Next) {
        if (attr->Oid == OID_GEN_MINIPORT_RESTART_ATTRIBUTES) {
            PNDIS_RESTART_GENERAL_ATTRIBUTES gen = (PNDIS_RESTART_GENERAL_ATTRIBUTES)(PVOID)attr->Data;
            calls.last_flags = gen->LookaheadSize;
        }
    }
    return NDIS_STATUS_SUCCESS;
}

_Use_decl_annotations_
static NDIS_STATUS TstFilterPause(NDIS_HANDLE FilterModuleContext, PNDIS_FILTER_PAUSE_PARAMETERS PauseParameters)
{
    UNREFERENCED_PARAMETER(FilterModuleContext);
    calls.pause++;
    calls.last_flags = PauseParameters->PauseReason;
    return NDIS_STATUS_SUCCESS;
}

_Use_decl_annotations_
static NDIS_STATUS TstFilterOidRequest(NDIS_HANDLE FilterModuleContext, PNDIS_OID_REQUEST OidRequest)
{
    UNREFERENCED_PARAMETER(FilterModuleContext);
    calls.oid++;
    return OidRequest->DATA.Oid == OID_GEN_CURRENT_PACKET_FILTER ? NDIS_STATUS_SUCCESS
                                                                  : NDIS_STATUS_NOT_SUPPORTED;
}

_Use_decl_annotations_
static VOID TstFilterCancelOidRequest(NDIS_HANDLE FilterModuleContext, PVOID RequestId)
{
    UNREFERENCED_PARAMETER(FilterModuleContext);
    UNREFERENCED_PARAMETER(RequestId);
    calls.cancel_oid++;
}

_Use_decl_annotations_
static VOID TstFilterOidRequestComplete(NDIS_HANDLE FilterModuleContext, PNDIS_OID_REQUEST OidRequest,
                                        NDIS_STATUS Status)
{
    UNREFERENCED_PARAMETER(FilterModuleContext);
    UNREFERENCED_PARAMETER(OidRequest);
    UNREFERENCED_PARAMETER(Status);
    calls.oid_complete++;
}

_Use_decl_annotations_
static VOID TstFilterStatus(NDIS_HANDLE FilterModuleContext, PNDIS_STATUS_INDICATION StatusIndication)
{
    UNREFERENCED_PARAMETER(FilterModuleContext);
    UNREFERENCED_PARAMETER(StatusIndication);
    calls.status++;
}

_Use_decl_annotations_
static NDIS_STATUS TstFilterNetPnPEvent(NDIS_HANDLE FilterModuleContext,
                                        PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification)
{
    UNREFERENCED_PARAMETER(FilterModuleContext);
    calls.pnp++;
    calls.last_event = NetPnPEventNotification->NetPnPEvent.NetEvent;
    return NDIS_STATUS_SUCCESS;
}

_Use_decl_annotations_
static VOID TstFilterDevicePnPEventNotify(NDIS_HANDLE FilterModuleContext, PNET_DEVICE_PNP_EVENT NetDevicePnPEvent)
{
    UNREFERENCED_PARAMETER(FilterModuleContext);
    UNREFERENCED_PARAMETER(NetDevicePnPEvent);
    calls.device_pnp++;
}

_Use_decl_annotations_
static VOID TstFilterSend(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferList,
                          NDIS_PORT_NUMBER PortNumber, ULONG SendFlags)
{
    UNREFERENCED_PARAMETER(FilterModuleContext);
    UNREFERENCED_PARAMETER(NetBufferList);
    calls.send++;
    calls.last_port = PortNumber;
    calls.last_flags = SendFlags;
}

_Use_decl_annotations_
static VOID TstFilterSendComplete(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferList,
                                  ULONG SendCompleteFlags)
{
    UNREFERENCED_PARAMETER(FilterModuleContext);
    UNREFERENCED_PARAMETER(NetBufferList);
    calls.send_complete++;
    calls.last_flags = SendCompleteFlags;
}

_Use_decl_annotations_
static VOID TstFilterCancelSend(NDIS_HANDLE FilterModuleContext, PVOID CancelId)
{
    UNREFERENCED_PARAMETER(FilterModuleContext);
    UNREFERENCED_PARAMETER(CancelId);
    calls.cancel_send++;
}

_Use_decl_annotations_
static VOID TstFilterReceive(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferLists,
                             NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists, ULONG ReceiveFlags)
{
    UNREFERENCED_PARAMETER(FilterModuleContext);
    UNREFERENCED_PARAMETER(NetBufferLists);
    UNREFERENCED_PARAMETER(NumberOfNetBufferLists);
    calls.receive++;
    calls.last_port = PortNumber;
    calls.last_flags = ReceiveFlags;
}

_Use_decl_annotations_
static VOID TstFilterReturn(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferLists, ULONG ReturnFlags)
{
    UNREFERENCED_PARAMETER(FilterModuleContext);
    UNREFERENCED_PARAMETER(NetBufferLists);
    calls.ret++;
    calls.last_flags = ReturnFlags;
}

_Use_decl_annotations_
static NDIS_STATUS TstFilterDirectOidRequest(NDIS_HANDLE FilterModuleContext, PNDIS_OID_REQUEST OidRequest)
{
    UNREFERENCED_PARAMETER(FilterModuleContext);
    UNREFERENCED_PARAMETER(OidRequest);
    calls.oid++;
    return NDIS_STATUS_NOT_SUPPORTED;
}

_Use_decl_annotations_
static VOID TstFilterDirectOidRequestComplete(NDIS_HANDLE FilterModuleContext, PNDIS_OID_REQUEST OidRequest,
                                              NDIS_STATUS Status)
{
    UNREFERENCED_PARAMETER(FilterModuleContext);
    UNREFERENCED_PARAMETER(OidRequest);
    UNREFERENCED_PARAMETER(Status);
    calls.direct_oid_complete++;
}

_Use_decl_annotations_
static VOID TstFilterCancelDirectOidRequest(NDIS_HANDLE FilterModuleContext, PVOID RequestId)
{
    UNREFERENCED_PARAMETER(FilterModuleContext);
    UNREFERENCED_PARAMETER(RequestId);
    calls.cancel_oid++;
}

/* ------------------------------------------------------ miniport handlers */

static MINIPORT_SET_OPTIONS TstMiniportSetOptions;
static MINIPORT_INITIALIZE TstMiniportInitialize;
static MINIPORT_HALT TstMiniportHalt;
static MINIPORT_UNLOAD TstMiniportUnload;
static MINIPORT_PAUSE TstMiniportPause;
static MINIPORT_RESTART TstMiniportRestart;
static MINIPORT_OID_REQUEST TstMiniportOidRequest;
static MINIPORT_SEND_NET_BUFFER_LISTS TstMiniportSend;
static MINIPORT_RETURN_NET_BUFFER_LISTS TstMiniportReturn;
static MINIPORT_CANCEL_SEND TstMiniportCancelSend;
static MINIPORT_CHECK_FOR_HANG TstMiniportCheckForHang;
static MINIPORT_RESET TstMiniportReset;
static MINIPORT_DEVICE_PNP_EVENT_NOTIFY TstMiniportDevicePnPEventNotify;
static MINIPORT_SHUTDOWN TstMiniportShutdown;
static MINIPORT_CANCEL_OID_REQUEST TstMiniportCancelOidRequest;
static MINIPORT_DIRECT_OID_REQUEST TstMiniportDirectOidRequest;
static MINIPORT_CANCEL_DIRECT_OID_REQUEST TstMiniportCancelDirectOidRequest;

_Use_decl_annotations_
static NDIS_STATUS TstMiniportSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext)
{
    UNREFERENCED_PARAMETER(NdisDriverHandle);
    UNREFERENCED_PARAMETER(DriverContext);
    calls.set_options++;
    return NDIS_STATUS_SUCCESS;
}

static NDIS_OID tst_supported_oids[] = {
    OID_GEN_SUPPORTED_LIST,        OID_GEN_HARDWARE_STATUS,      OID_GEN_MEDIA_SUPPORTED,
    OID_GEN_MEDIA_IN_USE,          OID_GEN_MAXIMUM_FRAME_SIZE,   OID_GEN_LINK_SPEED,
    OID_GEN_CURRENT_PACKET_FILTER, OID_GEN_CURRENT_LOOKAHEAD,    OID_GEN_MAXIMUM_TOTAL_SIZE,
    OID_GEN_MAC_OPTIONS,           OID_GEN_MEDIA_CONNECT_STATUS, OID_GEN_XMIT_OK,
    OID_GEN_RCV_OK,                OID_GEN_STATISTICS,           OID_GEN_LINK_STATE,
    OID_802_3_PERMANENT_ADDRESS,   OID_802_3_CURRENT_ADDRESS,    OID_802_3_MULTICAST_LIST,
    OID_802_3_MAXIMUM_LIST_SIZE,
};

/* Filled by TstMiniportInitialize, as netvmini builds them on the stack. */
static NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES tst_registration;
static NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES tst_general;

_Use_decl_annotations_
static NDIS_STATUS TstMiniportInitialize(NDIS_HANDLE NdisMiniportHandle, NDIS_HANDLE MiniportDriverContext,
                                         PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters)
{
    static const UCHAR mac[6] = {0x02, 0x00, 0x4c, 0x4f, 0x4f, 0x50};
    PNDIS_MINIPORT_ADAPTER_ATTRIBUTES attributes;
    UNREFERENCED_PARAMETER(NdisMiniportHandle);
    UNREFERENCED_PARAMETER(MiniportDriverContext);
    calls.initialize++;

    NdisZeroMemory(&tst_registration, sizeof(tst_registration));
    tst_registration.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
    tst_registration.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    tst_registration.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    tst_registration.MiniportAdapterContext = &calls;
    tst_registration.AttributeFlags =
        NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM | NDIS_MINIPORT_ATTRIBUTES_SURPRISE_REMOVE_OK;
    tst_registration.CheckForHangTimeInSeconds = 0;
    tst_registration.InterfaceType = NdisInterfaceInternal;
    attributes = (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&tst_registration;
    assert_int_equal(attributes->Header.Type, NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES);

    NdisZeroMemory(&tst_general, sizeof(tst_general));
    tst_general.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
    tst_general.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
    tst_general.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
    tst_general.MediaType = NdisMedium802_3;
    tst_general.PhysicalMediumType = NdisPhysicalMediumUnspecified;
    tst_general.MtuSize = 1500;
    tst_general.MaxXmitLinkSpeed = tst_general.MaxRcvLinkSpeed = 10000000000ULL;
    tst_general.XmitLinkSpeed = tst_general.RcvLinkSpeed = NDIS_LINK_SPEED_UNKNOWN;
    tst_general.MediaConnectState = MediaConnectStateConnected;
    tst_general.MediaDuplexState = MediaDuplexStateFull;
    tst_general.LookaheadSize = 1500;
    tst_general.MacOptions = NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA | NDIS_MAC_OPTION_TRANSFERS_NOT_PEND |
                             NDIS_MAC_OPTION_NO_LOOPBACK;
    tst_general.SupportedPacketFilters = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST |
                                         NDIS_PACKET_TYPE_ALL_MULTICAST | NDIS_PACKET_TYPE_BROADCAST;
    tst_general.MaxMulticastListSize = 32;
    tst_general.MacAddressLength = 6;
    NdisMoveMemory(tst_general.PermanentMacAddress, mac, sizeof(mac));
    NdisMoveMemory(tst_general.CurrentMacAddress, mac, sizeof(mac));
    tst_general.AccessType = NET_IF_ACCESS_BROADCAST;
    tst_general.DirectionType = NET_IF_DIRECTION_SENDRECEIVE;
    tst_general.ConnectionType = NET_IF_CONNECTION_DEDICATED;
    tst_general.IfType = IF_TYPE_ETHERNET_CSMACD;
    tst_general.IfConnectorPresent = TRUE;
    tst_general.SupportedPauseFunctions = NdisPauseFunctionsUnsupported;
    tst_general.SupportedOidList = tst_supported_oids;
    tst_general.SupportedOidListLength = sizeof(tst_supported_oids);
    tst_general.AutoNegotiationFlags = NDIS_LINK_STATE_DUPLEX_AUTO_NEGOTIATED;
    attributes = (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&tst_general;
    assert_int_equal(attributes->GeneralAttributes.MtuSize, 1500);

    return MiniportInitParameters->Header.Type == NDIS_OBJECT_TYPE_MINIPORT_INIT_PARAMETERS
               ? NDIS_STATUS_SUCCESS
               : NDIS_STATUS_BAD_VERSION;
}

_Use_decl_annotations_
static VOID TstMiniportHalt(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    calls.halt++;
    calls.last_halt = HaltAction;
}

_Use_decl_annotations_
static VOID TstMiniportUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    calls.unload++;
}

_Use_decl_annotations_
static NDIS_STATUS TstMiniportPause(NDIS_HANDLE MiniportAdapterContext,
                                    PNDIS_MINIPORT_PAUSE_PARAMETERS PauseParameters)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(PauseParameters);
    calls.pause++;
    return NDIS_STATUS_SUCCESS;
}

_Use_decl_annotations_
static NDIS_STATUS TstMiniportRestart(NDIS_HANDLE MiniportAdapterContext,
                                      PNDIS_MINIPORT_RESTART_PARAMETERS RestartParameters)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(RestartParameters);
    calls.restart++;
    return NDIS_STATUS_SUCCESS;
}

_Use_decl_annotations_
static NDIS_STATUS TstMiniportOidRequest(NDIS_HANDLE MiniportAdapterContext, PNDIS_OID_REQUEST OidRequest)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    calls.oid++;
    if (OidRequest->RequestType == NdisRequestQueryInformation &&
        OidRequest->DATA.QUERY_INFORMATION.Oid == OID_GEN_MAXIMUM_FRAME_SIZE) {
        if (OidRequest->DATA.QUERY_INFORMATION.InformationBufferLength < sizeof(ULONG)) {
            OidRequest->DATA.QUERY_INFORMATION.BytesNeeded = sizeof(ULONG);
            return NDIS_STATUS_BUFFER_TOO_SHORT;
        }
        *(PULONG)OidRequest->DATA.QUERY_INFORMATION.InformationBuffer = 1500;
        OidRequest->DATA.QUERY_INFORMATION.BytesWritten = sizeof(ULONG);
        return NDIS_STATUS_SUCCESS;
    }
    return NDIS_STATUS_NOT_SUPPORTED;
}

_Use_decl_annotations_
static VOID TstMiniportSend(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferList,
                            NDIS_PORT_NUMBER PortNumber, ULONG SendFlags)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(NetBufferList);
    calls.send++;
    calls.last_port = PortNumber;
    calls.last_flags = SendFlags;
}

_Use_decl_annotations_
static VOID TstMiniportReturn(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferLists,
                              ULONG ReturnFlags)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(NetBufferLists);
    calls.ret++;
    calls.last_flags = ReturnFlags;
}

_Use_decl_annotations_
static VOID TstMiniportCancelSend(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(CancelId);
    calls.cancel_send++;
}

_Use_decl_annotations_
static BOOLEAN TstMiniportCheckForHang(NDIS_HANDLE MiniportAdapterContext)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    return FALSE;
}

_Use_decl_annotations_
static NDIS_STATUS TstMiniportReset(NDIS_HANDLE MiniportAdapterContext, PBOOLEAN AddressingReset)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    calls.reset++;
    *AddressingReset = FALSE;
    return NDIS_STATUS_SUCCESS;
}

_Use_decl_annotations_
static VOID TstMiniportDevicePnPEventNotify(NDIS_HANDLE MiniportAdapterContext,
                                            PNET_DEVICE_PNP_EVENT NetDevicePnPEvent)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(NetDevicePnPEvent);
    calls.device_pnp++;
}

_Use_decl_annotations_
static VOID TstMiniportShutdown(NDIS_HANDLE MiniportAdapterContext, NDIS_SHUTDOWN_ACTION ShutdownAction)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(ShutdownAction);
    calls.shutdown++;
}

_Use_decl_annotations_
static VOID TstMiniportCancelOidRequest(NDIS_HANDLE MiniportAdapterContext, PVOID RequestId)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(RequestId);
    calls.cancel_oid++;
}

_Use_decl_annotations_
static NDIS_STATUS TstMiniportDirectOidRequest(NDIS_HANDLE MiniportAdapterContext, PNDIS_OID_REQUEST OidRequest)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(OidRequest);
    calls.oid++;
    return NDIS_STATUS_NOT_SUPPORTED;
}

_Use_decl_annotations_
static VOID TstMiniportCancelDirectOidRequest(NDIS_HANDLE MiniportAdapterContext, PVOID RequestId)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(RequestId);
    calls.cancel_oid++;
}

/* ------------------------------------------------------------------ tests */

static void driver_structure_layouts_match_windows_x64(void **state)
{
    (void)state;
    assert_int_equal(sizeof(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS), 128);
    assert_int_equal(NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1, 120);
    assert_int_equal(sizeof(NDIS_FILTER_DRIVER_CHARACTERISTICS), 240);
    assert_int_equal(NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_2, 224);
    assert_int_equal(sizeof(NDIS_MINIPORT_DRIVER_CHARACTERISTICS), 160);
    assert_int_equal(NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2, 152);
    assert_int_equal(sizeof(NDIS_OPEN_PARAMETERS), 56);
    assert_int_equal(sizeof(NDIS_STATUS_INDICATION), 112);
    assert_int_equal(sizeof(NET_PNP_EVENT_NOTIFICATION), 160);
    assert_int_equal(sizeof(NDIS_MINIPORT_INIT_PARAMETERS), 64);
    assert_int_equal(sizeof(NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES), 32);
    assert_int_equal(sizeof(NDIS_RESTART_GENERAL_ATTRIBUTES), 88);
    assert_int_equal(sizeof(NDIS_PROTOCOL_RESTART_PARAMETERS), 56);
    assert_int_equal(sizeof(NDIS_FILTER_RESTART_PARAMETERS), 48);
    assert_int_equal(sizeof(UNICODE_STRING), 16);
    assert_int_equal(offsetof(NDIS_OID_REQUEST, DATA), 32);
    assert_int_equal(offsetof(NDIS_OID_REQUEST, DATA.METHOD_INFORMATION.MethodId), 32 + 24);
    assert_int_equal(offsetof(NDIS_BIND_PARAMETERS, CurrentMacAddress), 106);
    assert_int_equal(offsetof(NDIS_FILTER_ATTACH_PARAMETERS, CurrentMacAddress), 98);
    assert_int_equal(offsetof(NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, PermanentMacAddress), 94);
    assert_int_equal(offsetof(NDIS_RESTART_ATTRIBUTES, Data), 16);
    /* Each later revision covers the earlier one. */
    assert_true(NDIS_SIZEOF_BIND_PARAMETERS_REVISION_1 < NDIS_SIZEOF_BIND_PARAMETERS_REVISION_2);
    assert_true(NDIS_SIZEOF_BIND_PARAMETERS_REVISION_2 < NDIS_SIZEOF_BIND_PARAMETERS_REVISION_3);
    assert_true(NDIS_SIZEOF_BIND_PARAMETERS_REVISION_3 < NDIS_SIZEOF_BIND_PARAMETERS_REVISION_4);
    assert_int_equal(NDIS_SIZEOF_BIND_PARAMETERS_REVISION_4, sizeof(NDIS_BIND_PARAMETERS));
    assert_true(NDIS_SIZEOF_FILTER_ATTACH_PARAMETERS_REVISION_3 <
                NDIS_SIZEOF_FILTER_ATTACH_PARAMETERS_REVISION_4);
    assert_int_equal(NDIS_SIZEOF_OID_REQUEST_REVISION_2, sizeof(NDIS_OID_REQUEST));
}

static void enums_follow_the_documented_order(void **state)
{
    (void)state;
    assert_int_equal(NdisMedium802_3, 0);
    assert_int_equal(NdisMediumNative802_11, 16);
    assert_int_equal(NdisMediumIP, 19);
    assert_int_equal(NdisPhysicalMediumWirelessWan, 8);
    assert_int_equal(NdisPhysicalMedium802_3, 14);
    assert_int_equal(NetEventSetPower, 0);
    assert_int_equal(NetEventPause, 8);
    assert_int_equal(NetEventRestart, 9);
    assert_int_equal(NdisHaltDeviceStopped, 6);
    assert_int_equal(NdisShutdownBugCheck, 1);
    assert_int_equal(NdisPauseFunctionsUnknown, 4);
    assert_int_equal(NDIS_DEFAULT_PORT_NUMBER, 0);
}

static void protocol_characteristics_fill_like_ndisprot(void **state)
{
    (void)state;
    static const NDIS_STRING name = NDIS_STRING_CONST("NDISPROT");
    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS pc;
    NDIS_BIND_PARAMETERS bind;
    NDIS_PROTOCOL_PAUSE_PARAMETERS pause;
    NET_PNP_EVENT_NOTIFICATION pnp;
    NDIS_MEDIUM media[] = {NdisMedium802_3};
    NET_FRAME_TYPE frame_types[] = {0x88B5};
    UINT selected = 0;
    NDIS_OPEN_PARAMETERS open;
    reset_calls();

    assert_int_equal(name.Length, 8 * sizeof(WCHAR));
    assert_int_equal(name.MaximumLength, 9 * sizeof(WCHAR));
    assert_int_equal(name.Buffer[0], 'N');

    NdisZeroMemory(&pc, sizeof(pc));
    pc.Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS;
    pc.Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
    pc.Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
    pc.MajorNdisVersion = 6;
    pc.MinorNdisVersion = 0;
    pc.Name = name;
    pc.SetOptionsHandler = TstProtocolSetOptions;
    pc.BindAdapterHandlerEx = TstBindAdapter;
    pc.UnbindAdapterHandlerEx = TstUnbindAdapter;
    pc.OpenAdapterCompleteHandlerEx = TstOpenAdapterComplete;
    pc.CloseAdapterCompleteHandlerEx = TstCloseAdapterComplete;
    pc.NetPnPEventHandler = TstProtocolPnPEvent;
    pc.UninstallHandler = TstUninstall;
    pc.OidRequestCompleteHandler = TstProtocolOidComplete;
    pc.StatusHandlerEx = TstProtocolStatus;
    pc.ReceiveNetBufferListsHandler = TstProtocolReceive;
    pc.SendNetBufferListsCompleteHandler = TstProtocolSendComplete;
    pc.DirectOidRequestCompleteHandler = TstProtocolDirectOidComplete;
    assert_int_equal(pc.Header.Size, sizeof(pc));

    NdisZeroMemory(&bind, sizeof(bind));
    bind.Header.Type = NDIS_OBJECT_TYPE_BIND_PARAMETERS;
    bind.Header.Revision = NDIS_BIND_PARAMETERS_REVISION_4;
    bind.Header.Size = NDIS_SIZEOF_BIND_PARAMETERS_REVISION_4;
    bind.MediaType = NdisMedium802_3;
    assert_int_equal(pc.SetOptionsHandler(NULL, NULL), NDIS_STATUS_SUCCESS);
    assert_int_equal(pc.BindAdapterHandlerEx(NULL, NULL, &bind), NDIS_STATUS_SUCCESS);
    bind.MediaType = NdisMediumWan;
    assert_int_equal(pc.BindAdapterHandlerEx(NULL, NULL, &bind), NDIS_STATUS_UNSUPPORTED_MEDIA);

    /* The open parameters ndisprot hands to NdisOpenAdapterEx. */
    NdisZeroMemory(&open, sizeof(open));
    open.Header.Type = NDIS_OBJECT_TYPE_OPEN_PARAMETERS;
    open.Header.Revision = NDIS_OPEN_PARAMETERS_REVISION_1;
    open.Header.Size = NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1;
    open.AdapterName = bind.AdapterName;
    open.MediumArray = media;
    open.MediumArraySize = sizeof(media) / sizeof(media[0]);
    open.SelectedMediumIndex = &selected;
    open.FrameTypeArray = frame_types;
    open.FrameTypeArraySize = 1;
    assert_int_equal(open.MediumArray[*open.SelectedMediumIndex], NdisMedium802_3);

    pc.OpenAdapterCompleteHandlerEx(NULL, NDIS_STATUS_SUCCESS);
    assert_int_equal(pc.UnbindAdapterHandlerEx(NULL, NULL), NDIS_STATUS_PENDING);
    pc.CloseAdapterCompleteHandlerEx(NULL);

    NdisZeroMemory(&pause, sizeof(pause));
    pause.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    pause.Header.Revision = NDIS_PROTOCOL_PAUSE_PARAMETERS_REVISION_1;
    pause.Header.Size = NDIS_SIZEOF_PROTOCOL_PAUSE_PARAMETERS_REVISION_1;
    pause.PauseReason = NDIS_PAUSE_NDIS_INTERNAL;
    NdisZeroMemory(&pnp, sizeof(pnp));
    pnp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    pnp.Header.Revision = NET_PNP_EVENT_NOTIFICATION_REVISION_1;
    pnp.Header.Size = NDIS_SIZEOF_NET_PNP_EVENT_NOTIFICATION_REVISION_1;
    pnp.NetPnPEvent.NetEvent = NetEventPause;
    pnp.NetPnPEvent.Buffer = &pause;
    pnp.NetPnPEvent.BufferLength = sizeof(pause);
    assert_int_equal(pc.NetPnPEventHandler(NULL, &pnp), NDIS_STATUS_SUCCESS);
    assert_int_equal(calls.last_event, NetEventPause);
    assert_int_equal(calls.last_flags, NDIS_PAUSE_NDIS_INTERNAL);

    pc.ReceiveNetBufferListsHandler(NULL, NULL, NDIS_DEFAULT_PORT_NUMBER, 1,
                                    NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL | NDIS_RECEIVE_FLAGS_RESOURCES);
    assert_true(NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(calls.last_flags));
    assert_true(NDIS_TEST_RECEIVE_CANNOT_PEND(calls.last_flags));
    assert_false(NDIS_TEST_RECEIVE_CAN_PEND(calls.last_flags));
    pc.SendNetBufferListsCompleteHandler(NULL, NULL, NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL);
    assert_true(NDIS_TEST_SEND_COMPLETE_AT_DISPATCH_LEVEL(calls.last_flags));
    pc.OidRequestCompleteHandler(NULL, NULL, NDIS_STATUS_SUCCESS);
    pc.DirectOidRequestCompleteHandler(NULL, NULL, NDIS_STATUS_SUCCESS);
    pc.StatusHandlerEx(NULL, NULL);
    pc.UninstallHandler();

    assert_int_equal(calls.set_options, 1);
    assert_int_equal(calls.bind, 2);
    assert_int_equal(calls.unbind + calls.open_complete + calls.close_complete, 3);
    assert_int_equal(calls.pnp + calls.receive + calls.send_complete, 3);
    assert_int_equal(calls.oid_complete + calls.direct_oid_complete + calls.status + calls.uninstall, 4);
}

static void filter_characteristics_fill_like_ndislwf(void **state)
{
    (void)state;
    static const NDIS_STRING friendly = RTL_CONSTANT_STRING(u"NDIS Sample LightWeight Filter");
    static const NDIS_STRING unique = RTL_CONSTANT_STRING(u"{5cbf81bd-5055-47cd-9055-a76b2b4e3697}");
    static const NDIS_STRING service = RTL_CONSTANT_STRING(u"NDISLWF");
    NDIS_FILTER_DRIVER_CHARACTERISTICS fc;
    NDIS_FILTER_ATTACH_PARAMETERS attach;
    NDIS_FILTER_ATTRIBUTES attributes;
    NDIS_FILTER_PAUSE_PARAMETERS pause;
    NDIS_FILTER_RESTART_PARAMETERS restart;
    union {
        NDIS_RESTART_ATTRIBUTES attr;
        UCHAR bytes[sizeof(NDIS_RESTART_ATTRIBUTES) + sizeof(NDIS_RESTART_GENERAL_ATTRIBUTES)];
        ULONG64 align;
    } restart_buffer;
    PNDIS_RESTART_GENERAL_ATTRIBUTES gen;
    NDIS_OID_REQUEST request;
    NET_PNP_EVENT_NOTIFICATION pnp;
    NET_DEVICE_PNP_EVENT device_event;
    ULONG send_flags = 0;
    reset_calls();

    NdisZeroMemory(&fc, sizeof(fc));
    fc.Header.Type = NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS;
    fc.Header.Size = NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_2;
    fc.Header.Revision = NDIS_FILTER_CHARACTERISTICS_REVISION_2;
    fc.MajorNdisVersion = 6;
    fc.MinorNdisVersion = 20;
    fc.MajorDriverVersion = 1;
    fc.MinorDriverVersion = 0;
    fc.Flags = 0;
    fc.FriendlyName = friendly;
    fc.UniqueName = unique;
    fc.ServiceName = service;
    fc.SetOptionsHandler = TstFilterSetOptions;
    fc.SetFilterModuleOptionsHandler = TstFilterSetModuleOptions;
    fc.AttachHandler = TstFilterAttach;
    fc.DetachHandler = TstFilterDetach;
    fc.RestartHandler = TstFilterRestart;
    fc.PauseHandler = TstFilterPause;
    fc.SendNetBufferListsHandler = TstFilterSend;
    fc.SendNetBufferListsCompleteHandler = TstFilterSendComplete;
    fc.CancelSendNetBufferListsHandler = TstFilterCancelSend;
    fc.ReceiveNetBufferListsHandler = TstFilterReceive;
    fc.ReturnNetBufferListsHandler = TstFilterReturn;
    fc.OidRequestHandler = TstFilterOidRequest;
    fc.OidRequestCompleteHandler = TstFilterOidRequestComplete;
    fc.CancelOidRequestHandler = TstFilterCancelOidRequest;
    fc.DevicePnPEventNotifyHandler = TstFilterDevicePnPEventNotify;
    fc.NetPnPEventHandler = TstFilterNetPnPEvent;
    fc.StatusHandler = TstFilterStatus;
    fc.DirectOidRequestHandler = TstFilterDirectOidRequest;
    fc.DirectOidRequestCompleteHandler = TstFilterDirectOidRequestComplete;
    fc.CancelDirectOidRequestHandler = TstFilterCancelDirectOidRequest;
    assert_int_equal(fc.Header.Size, offsetof(NDIS_FILTER_DRIVER_CHARACTERISTICS, SynchronousOidRequestHandler));
    assert_int_equal(fc.ServiceName.Length, 7 * sizeof(WCHAR));

    NdisZeroMemory(&attach, sizeof(attach));
    attach.Header.Type = NDIS_OBJECT_TYPE_FILTER_ATTACH_PARAMETERS;
    attach.Header.Revision = NDIS_FILTER_ATTACH_PARAMETERS_REVISION_4;
    attach.Header.Size = NDIS_SIZEOF_FILTER_ATTACH_PARAMETERS_REVISION_4;
    attach.MiniportMediaType = NdisMedium802_3;
    attach.MiniportPhysicalMediaType = NdisPhysicalMedium802_3;
    assert_int_equal(fc.AttachHandler(NULL, NULL, &attach), NDIS_STATUS_SUCCESS);

    /* What FilterAttach passes to NdisFSetAttributes. */
    NdisZeroMemory(&attributes, sizeof(attributes));
    attributes.Header.Revision = NDIS_FILTER_ATTRIBUTES_REVISION_1;
    attributes.Header.Size = NDIS_SIZEOF_FILTER_ATTRIBUTES_REVISION_1;
    attributes.Header.Type = NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES;
    attributes.Flags = 0;
    assert_int_equal(attributes.Header.Size, 8);

    assert_int_equal(fc.SetFilterModuleOptionsHandler(NULL), NDIS_STATUS_SUCCESS);

    NdisZeroMemory(&restart_buffer, sizeof(restart_buffer));
    restart_buffer.attr.Next = NULL;
    restart_buffer.attr.Oid = OID_GEN_MINIPORT_RESTART_ATTRIBUTES;
    restart_buffer.attr.DataLength = sizeof(NDIS_RESTART_GENERAL_ATTRIBUTES);
    gen = (PNDIS_RESTART_GENERAL_ATTRIBUTES)(PVOID)restart_buffer.attr.Data;
    gen->Header.Type = NDIS_OBJECT_TYPE_RESTART_GENERAL_ATTRIBUTES;
    gen->Header.Revision = NDIS_RESTART_GENERAL_ATTRIBUTES_REVISION_2;
    gen->Header.Size = NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_2;
    gen->LookaheadSize = 256;
    NdisZeroMemory(&restart, sizeof(restart));
    restart.Header.Type = NDIS_OBJECT_TYPE_FILTER_RESTART_PARAMETERS;
    restart.Header.Revision = NDIS_FILTER_RESTART_PARAMETERS_REVISION_1;
    restart.Header.Size = NDIS_SIZEOF__FILTER_RESTART_PARAMETERS_REVISION_1;
    restart.RestartAttributes = &restart_buffer.attr;
    assert_int_equal(fc.RestartHandler(NULL, &restart), NDIS_STATUS_SUCCESS);
    assert_int_equal(calls.last_flags, 256);

    NdisZeroMemory(&pause, sizeof(pause));
    pause.Header.Type = NDIS_OBJECT_TYPE_FILTER_PAUSE_PARAMETERS;
    pause.Header.Revision = NDIS_FILTER_PAUSE_PARAMETERS_REVISION_1;
    pause.Header.Size = NDIS_SIZEOF_FILTER_PAUSE_PARAMETERS_REVISION_1;
    pause.PauseReason = NDIS_PAUSE_DETACH_FILTER;
    assert_int_equal(fc.PauseHandler(NULL, &pause), NDIS_STATUS_SUCCESS);
    assert_int_equal(calls.last_flags, NDIS_PAUSE_DETACH_FILTER);

    /* A set request for the packet filter, the way a protocol builds it. */
    ULONG packet_filter = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST;
    NdisZeroMemory(&request, sizeof(request));
    request.Header.Type = NDIS_OBJECT_TYPE_OID_REQUEST;
    request.Header.Revision = NDIS_OID_REQUEST_REVISION_1;
    request.Header.Size = NDIS_SIZEOF_OID_REQUEST_REVISION_1;
    request.RequestType = NdisRequestSetInformation;
    request.PortNumber = NDIS_DEFAULT_PORT_NUMBER;
    request.DATA.SET_INFORMATION.Oid = OID_GEN_CURRENT_PACKET_FILTER;
    request.DATA.SET_INFORMATION.InformationBuffer = &packet_filter;
    request.DATA.SET_INFORMATION.InformationBufferLength = sizeof(packet_filter);
    assert_int_equal(request.DATA.Oid, OID_GEN_CURRENT_PACKET_FILTER);
    assert_int_equal(request.DATA.QUERY_INFORMATION.Oid, OID_GEN_CURRENT_PACKET_FILTER);
    assert_int_equal(fc.OidRequestHandler(NULL, &request), NDIS_STATUS_SUCCESS);
    fc.OidRequestCompleteHandler(NULL, &request, NDIS_STATUS_SUCCESS);
    fc.CancelOidRequestHandler(NULL, &request);
    assert_int_equal(fc.DirectOidRequestHandler(NULL, &request), NDIS_STATUS_NOT_SUPPORTED);
    fc.DirectOidRequestCompleteHandler(NULL, &request, NDIS_STATUS_SUCCESS);
    fc.CancelDirectOidRequestHandler(NULL, &request);

    /* ndislwf decides the send-complete flags from the send flags. */
    NDIS_SET_SEND_FLAG(send_flags, NDIS_SEND_FLAGS_DISPATCH_LEVEL);
    NDIS_SET_SEND_FLAG(send_flags, NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK);
    fc.SendNetBufferListsHandler(NULL, NULL, 2, send_flags);
    assert_int_equal(calls.last_port, 2);
    assert_true(NDIS_TEST_SEND_AT_DISPATCH_LEVEL(calls.last_flags));
    assert_true(NDIS_TEST_SEND_FLAG(calls.last_flags, NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK));
    fc.SendNetBufferListsCompleteHandler(
        NULL, NULL, NDIS_TEST_SEND_AT_DISPATCH_LEVEL(send_flags) ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0);
    assert_int_equal(calls.last_flags, NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL);
    fc.CancelSendNetBufferListsHandler(NULL, NULL);
    fc.ReceiveNetBufferListsHandler(NULL, NULL, NDIS_DEFAULT_PORT_NUMBER, 1,
                                    NDIS_RECEIVE_FLAGS_SINGLE_ETHER_TYPE | NDIS_RECEIVE_FLAGS_MORE_NBLS);
    assert_false(NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(calls.last_flags));
    assert_true(NDIS_TEST_RECEIVE_CAN_PEND(calls.last_flags));
    ULONG return_flags = 0;
    NDIS_SET_RETURN_FLAG(return_flags, NDIS_RETURN_FLAGS_DISPATCH_LEVEL);
    fc.ReturnNetBufferListsHandler(NULL, NULL, return_flags);
    assert_true(NDIS_TEST_RETURN_AT_DISPATCH_LEVEL(calls.last_flags));

    NdisZeroMemory(&pnp, sizeof(pnp));
    pnp.NetPnPEvent.NetEvent = NetEventRestart;
    assert_int_equal(fc.NetPnPEventHandler(NULL, &pnp), NDIS_STATUS_SUCCESS);
    assert_int_equal(calls.last_event, NetEventRestart);
    NdisZeroMemory(&device_event, sizeof(device_event));
    device_event.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    device_event.Header.Revision = NET_DEVICE_PNP_EVENT_REVISION_1;
    device_event.Header.Size = NDIS_SIZEOF_NET_DEVICE_PNP_EVENT_REVISION_1;
    device_event.DevicePnPEvent = NdisDevicePnPEventSurpriseRemoved;
    fc.DevicePnPEventNotifyHandler(NULL, &device_event);
    fc.StatusHandler(NULL, NULL);
    fc.DetachHandler(NULL);
    assert_int_equal(fc.SetOptionsHandler(NULL, NULL), NDIS_STATUS_SUCCESS);

    assert_int_equal(calls.attach + calls.detach + calls.restart + calls.pause + calls.module_options, 5);
    assert_int_equal(calls.oid, 2);
    assert_int_equal(calls.cancel_oid, 2);
    assert_int_equal(calls.send + calls.send_complete + calls.cancel_send + calls.receive + calls.ret, 5);
    assert_int_equal(calls.pnp + calls.device_pnp + calls.status + calls.set_options, 4);
}

static void miniport_characteristics_fill_like_netvmini(void **state)
{
    (void)state;
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS mc;
    NDIS_MINIPORT_INIT_PARAMETERS init;
    NDIS_MINIPORT_PAUSE_PARAMETERS pause;
    NDIS_MINIPORT_RESTART_PARAMETERS restart;
    NDIS_OID_REQUEST request;
    NDIS_STATUS_INDICATION indication;
    NDIS_LINK_STATE link;
    ULONG frame_size = 0;
    BOOLEAN addressing_reset = TRUE;
    reset_calls();

    NdisZeroMemory(&mc, sizeof(mc));
    mc.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
    mc.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    mc.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    mc.MajorNdisVersion = 6;
    mc.MinorNdisVersion = 30;
    mc.MajorDriverVersion = 1;
    mc.MinorDriverVersion = 0;
    mc.Flags = NDIS_WDM_DRIVER;
    mc.SetOptionsHandler = TstMiniportSetOptions;
    mc.InitializeHandlerEx = TstMiniportInitialize;
    mc.HaltHandlerEx = TstMiniportHalt;
    mc.UnloadHandler = TstMiniportUnload;
    mc.PauseHandler = TstMiniportPause;
    mc.RestartHandler = TstMiniportRestart;
    mc.OidRequestHandler = TstMiniportOidRequest;
    mc.SendNetBufferListsHandler = TstMiniportSend;
    mc.ReturnNetBufferListsHandler = TstMiniportReturn;
    mc.CancelSendHandler = TstMiniportCancelSend;
    mc.CheckForHangHandlerEx = TstMiniportCheckForHang;
    mc.ResetHandlerEx = TstMiniportReset;
    mc.DevicePnPEventNotifyHandler = TstMiniportDevicePnPEventNotify;
    mc.ShutdownHandlerEx = TstMiniportShutdown;
    mc.CancelOidRequestHandler = TstMiniportCancelOidRequest;
    mc.DirectOidRequestHandler = TstMiniportDirectOidRequest;
    mc.CancelDirectOidRequestHandler = TstMiniportCancelDirectOidRequest;

    NdisZeroMemory(&init, sizeof(init));
    init.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_INIT_PARAMETERS;
    init.Header.Revision = NDIS_MINIPORT_INIT_PARAMETERS_REVISION_1;
    init.Header.Size = NDIS_SIZEOF_MINIPORT_INIT_PARAMETER_REVISION_1;
    init.IfIndex = 7;
    init.NetLuid.Info.IfType = IF_TYPE_ETHERNET_CSMACD;
    assert_int_equal(mc.SetOptionsHandler(NULL, NULL), NDIS_STATUS_SUCCESS);
    assert_int_equal(mc.InitializeHandlerEx(NULL, NULL, &init), NDIS_STATUS_SUCCESS);
    assert_int_equal(tst_registration.Header.Size, 28);
    assert_int_equal(tst_general.Header.Size, sizeof(tst_general));
    assert_int_equal(tst_general.SupportedOidListLength, 19 * sizeof(NDIS_OID));
    assert_memory_equal(tst_general.CurrentMacAddress, tst_general.PermanentMacAddress, 6);

    NdisZeroMemory(&pause, sizeof(pause));
    pause.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    pause.Header.Revision = NDIS_MINIPORT_PAUSE_PARAMETERS_REVISION_1;
    pause.Header.Size = NDIS_SIZEOF_MINIPORT_PAUSE_PARAMETERS_REVISION_1;
    assert_int_equal(mc.PauseHandler(NULL, &pause), NDIS_STATUS_SUCCESS);
    NdisZeroMemory(&restart, sizeof(restart));
    restart.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    restart.Header.Revision = NDIS_MINIPORT_RESTART_PARAMETERS_REVISION_1;
    restart.Header.Size = NDIS_SIZEOF_MINIPORT_RESTART_PARAMETERS_REVISION_1;
    assert_int_equal(mc.RestartHandler(NULL, &restart), NDIS_STATUS_SUCCESS);

    /* A query too small, then one that fits. */
    NdisZeroMemory(&request, sizeof(request));
    request.Header.Type = NDIS_OBJECT_TYPE_OID_REQUEST;
    request.Header.Revision = NDIS_OID_REQUEST_REVISION_2;
    request.Header.Size = NDIS_SIZEOF_OID_REQUEST_REVISION_2;
    request.RequestType = NdisRequestQueryInformation;
    request.DATA.QUERY_INFORMATION.Oid = OID_GEN_MAXIMUM_FRAME_SIZE;
    request.DATA.QUERY_INFORMATION.InformationBuffer = &frame_size;
    request.DATA.QUERY_INFORMATION.InformationBufferLength = 2;
    assert_int_equal(mc.OidRequestHandler(NULL, &request), NDIS_STATUS_BUFFER_TOO_SHORT);
    assert_int_equal(request.DATA.QUERY_INFORMATION.BytesNeeded, sizeof(ULONG));
    request.DATA.QUERY_INFORMATION.InformationBufferLength = sizeof(frame_size);
    assert_int_equal(mc.OidRequestHandler(NULL, &request), NDIS_STATUS_SUCCESS);
    assert_int_equal(frame_size, 1500);
    assert_int_equal(request.DATA.QUERY_INFORMATION.BytesWritten, sizeof(ULONG));
    mc.CancelOidRequestHandler(NULL, request.RequestId);
    assert_int_equal(mc.DirectOidRequestHandler(NULL, &request), NDIS_STATUS_NOT_SUPPORTED);
    mc.CancelDirectOidRequestHandler(NULL, NULL);

    mc.SendNetBufferListsHandler(NULL, NULL, NDIS_DEFAULT_PORT_NUMBER, NDIS_SEND_FLAGS_DISPATCH_LEVEL);
    assert_true(NDIS_TEST_SEND_AT_DISPATCH_LEVEL(calls.last_flags));
    mc.ReturnNetBufferListsHandler(NULL, NULL, 0);
    assert_false(NDIS_TEST_RETURN_AT_DISPATCH_LEVEL(calls.last_flags));
    mc.CancelSendHandler(NULL, NULL);
    assert_false(mc.CheckForHangHandlerEx(NULL));
    assert_int_equal(mc.ResetHandlerEx(NULL, &addressing_reset), NDIS_STATUS_SUCCESS);
    assert_false(addressing_reset);
    mc.DevicePnPEventNotifyHandler(NULL, NULL);

    /* The link-state indication netvmini raises from MiniportRestart. */
    NdisZeroMemory(&link, sizeof(link));
    link.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    link.Header.Revision = NDIS_LINK_STATE_REVISION_1;
    link.Header.Size = NDIS_SIZEOF_LINK_STATE_REVISION_1;
    link.MediaConnectState = MediaConnectStateConnected;
    link.MediaDuplexState = MediaDuplexStateFull;
    link.XmitLinkSpeed = link.RcvLinkSpeed = 1000000000ULL;
    link.PauseFunctions = NdisPauseFunctionsUnsupported;
    NdisZeroMemory(&indication, sizeof(indication));
    indication.Header.Type = NDIS_OBJECT_TYPE_STATUS_INDICATION;
    indication.Header.Revision = NDIS_STATUS_INDICATION_REVISION_1;
    indication.Header.Size = NDIS_SIZEOF_STATUS_INDICATION_REVISION_1;
    indication.SourceHandle = &calls;
    indication.PortNumber = NDIS_DEFAULT_PORT_NUMBER;
    indication.StatusBuffer = &link;
    indication.StatusBufferSize = sizeof(link);
    assert_int_equal(indication.Header.Size, sizeof(indication));

    mc.ShutdownHandlerEx(NULL, NdisShutdownPowerOff);
    mc.HaltHandlerEx(NULL, NdisHaltDeviceSurpriseRemoved);
    assert_int_equal(calls.last_halt, NdisHaltDeviceSurpriseRemoved);
    mc.UnloadHandler(NULL);

    assert_int_equal(calls.initialize + calls.halt + calls.unload + calls.shutdown + calls.reset, 5);
    assert_int_equal(calls.pause + calls.restart + calls.set_options, 3);
    assert_int_equal(calls.oid, 3);
    assert_int_equal(calls.cancel_oid, 2);
    assert_int_equal(calls.send + calls.ret + calls.cancel_send + calls.device_pnp, 4);
}

static void flag_values_are_distinct_bits(void **state)
{
    (void)state;
    const ULONG receive[] = {
        NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL,       NDIS_RECEIVE_FLAGS_RESOURCES,
        NDIS_RECEIVE_FLAGS_SINGLE_ETHER_TYPE,    NDIS_RECEIVE_FLAGS_SINGLE_VLAN,
        NDIS_RECEIVE_FLAGS_PERFECT_FILTERED,     NDIS_RECEIVE_FLAGS_SINGLE_QUEUE,
        NDIS_RECEIVE_FLAGS_SHARED_MEMORY_INFO_VALID, NDIS_RECEIVE_FLAGS_MORE_NBLS,
        NDIS_RECEIVE_FLAGS_SWITCH_DESTINATION_GROUP, NDIS_RECEIVE_FLAGS_SWITCH_SINGLE_SOURCE,
    };
    const ULONG send[] = {
        NDIS_SEND_FLAGS_DISPATCH_LEVEL, NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK, NDIS_SEND_FLAGS_SINGLE_QUEUE,
        NDIS_SEND_FLAGS_SWITCH_DESTINATION_GROUP, NDIS_SEND_FLAGS_SWITCH_SINGLE_SOURCE,
    };
    ULONG seen = 0;
    for (size_t i = 0; i < sizeof(receive) / sizeof(receive[0]); i++) {
        assert_int_equal(receive[i] & (receive[i] - 1), 0); /* one bit */
        assert_int_equal(seen & receive[i], 0);
        seen |= receive[i];
    }
    seen = 0;
    for (size_t i = 0; i < sizeof(send) / sizeof(send[0]); i++) {
        assert_int_equal(send[i] & (send[i] - 1), 0);
        assert_int_equal(seen & send[i], 0);
        seen |= send[i];
    }
    /* The values confirmed from Microsoft's published metadata. */
    assert_int_equal(NDIS_RECEIVE_FLAGS_RESOURCES, 2);
    assert_int_equal(NDIS_RECEIVE_FLAGS_SINGLE_VLAN, 0x200);
    assert_int_equal(NDIS_RECEIVE_FLAGS_SINGLE_QUEUE, 0x800);
    assert_int_equal(NDIS_RECEIVE_FLAGS_MORE_NBLS, 0x2000);
    assert_int_equal(NDIS_SEND_FLAGS_SWITCH_SINGLE_SOURCE, 0x20);
    assert_int_equal(NDIS_MINIPORT_ATTRIBUTES_NOT_CO_NDIS, 8);
    assert_int_equal(OID_GEN_MINIPORT_RESTART_ATTRIBUTES, 66077);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(driver_structure_layouts_match_windows_x64),
        HARNESS_TEST(enums_follow_the_documented_order),
        HARNESS_TEST(protocol_characteristics_fill_like_ndisprot),
        HARNESS_TEST(filter_characteristics_fill_like_ndislwf),
        HARNESS_TEST(miniport_characteristics_fill_like_netvmini),
        HARNESS_TEST(flag_values_are_distinct_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
