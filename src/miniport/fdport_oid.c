/* SPDX-License-Identifier: MIT */
/*
 * What an fd-port adapter (fdport.h) tells NDIS about itself: its general
 * attributes at initialize, then OID requests. Every request is answered
 * at once, on the caller's thread (never NDIS_STATUS_PENDING): queries of
 * the medium, the interface's MTU, MAC address and link state (read from
 * the interface now), the statistics the adapter's thread counts; sets of
 * the packet filter (its PROMISCUOUS bit switches the backend's
 * promiscuous mode), the lookahead and the multicast list (accepted, not
 * applied: receives are not filtered).
 */
#include <stdatomic.h>

#include "fdport.h"
#include "mphelp.h"

/* What FdportOidRequest answers: OID_GEN_SUPPORTED_LIST and the general attributes' list. */
static const NDIS_OID FdportSupportedOids[] = {
    OID_GEN_SUPPORTED_LIST,        OID_GEN_HARDWARE_STATUS,      OID_GEN_MEDIA_SUPPORTED,
    OID_GEN_MEDIA_IN_USE,          OID_GEN_PHYSICAL_MEDIUM,      OID_GEN_MAXIMUM_FRAME_SIZE,
    OID_GEN_MAXIMUM_TOTAL_SIZE,    OID_GEN_MAXIMUM_LOOKAHEAD,    OID_GEN_CURRENT_LOOKAHEAD,
    OID_GEN_LINK_SPEED,            OID_GEN_MEDIA_CONNECT_STATUS, OID_GEN_LINK_STATE,
    OID_GEN_CURRENT_PACKET_FILTER, OID_GEN_MAC_OPTIONS,          OID_GEN_XMIT_OK,
    OID_GEN_RCV_OK,                OID_GEN_XMIT_ERROR,           OID_GEN_RCV_ERROR,
    OID_GEN_RCV_NO_BUFFER,         OID_802_3_PERMANENT_ADDRESS,  OID_802_3_CURRENT_ADDRESS,
    OID_802_3_MAXIMUM_LIST_SIZE,   OID_802_3_MULTICAST_LIST,
};

/* The link state, read from the interface's flags now. */
static VOID FdportLinkState(PFDPORT_ADAPTER Adapter, PNDIS_LINK_STATE LinkState)
{
    Adapter->Connected = FdportLinkUp(Adapter);
    NdisZeroMemory(LinkState, sizeof(*LinkState));
    LinkState->Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    LinkState->Header.Revision = NDIS_LINK_STATE_REVISION_1;
    LinkState->Header.Size = NDIS_SIZEOF_LINK_STATE_REVISION_1;
    LinkState->MediaConnectState = Adapter->Connected ? MediaConnectStateConnected : MediaConnectStateDisconnected;
    LinkState->MediaDuplexState = MediaDuplexStateFull;
    LinkState->XmitLinkSpeed = FDPORT_LINK_SPEED;
    LinkState->RcvLinkSpeed = FDPORT_LINK_SPEED;
    LinkState->PauseFunctions = NdisPauseFunctionsUnsupported;
}

/* The MAC options both backends report: the adapter never receives its own frames. */
static ULONG FdportMacOptions(VOID)
{
    return NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA | NDIS_MAC_OPTION_TRANSFERS_NOT_PEND | NDIS_MAC_OPTION_NO_LOOPBACK |
           NDIS_MAC_OPTION_FULL_DUPLEX;
}

/* Answers the OIDs whose value is one ULONG; NDIS_STATUS_NOT_SUPPORTED for any other. */
static NDIS_STATUS FdportQueryUlong(PFDPORT_ADAPTER Adapter, PNDIS_OID_REQUEST Request)
{
    ULONG Value;

    switch (Request->DATA.QUERY_INFORMATION.Oid) {
    case OID_GEN_HARDWARE_STATUS: Value = NdisHardwareStatusReady; break;
    case OID_GEN_MEDIA_SUPPORTED:
    case OID_GEN_MEDIA_IN_USE: Value = NdisMedium802_3; break;
    case OID_GEN_PHYSICAL_MEDIUM: Value = NdisPhysicalMedium802_3; break;
    case OID_GEN_MAXIMUM_FRAME_SIZE: Value = Adapter->Mtu; break;
    case OID_GEN_MAXIMUM_TOTAL_SIZE: Value = Adapter->Mtu + FDPORT_HEADER_SIZE; break;
    case OID_GEN_MAXIMUM_LOOKAHEAD: Value = Adapter->Mtu; break;
    case OID_GEN_CURRENT_LOOKAHEAD: Value = Adapter->Lookahead; break;
    case OID_GEN_LINK_SPEED: Value = (ULONG)(FDPORT_LINK_SPEED / 100); break; /* in 100 bit/s */
    case OID_GEN_MEDIA_CONNECT_STATUS:
        Adapter->Connected = FdportLinkUp(Adapter);
        Value = Adapter->Connected ? NdisMediaStateConnected : NdisMediaStateDisconnected;
        break;
    case OID_GEN_CURRENT_PACKET_FILTER: Value = Adapter->PacketFilter; break;
    case OID_GEN_MAC_OPTIONS: Value = FdportMacOptions(); break;
    case OID_802_3_MAXIMUM_LIST_SIZE: Value = FDPORT_MULTICAST_LIST_SIZE; break;
    default: return NDIS_STATUS_NOT_SUPPORTED;
    }
    return MpAnswerQuery(Request, &Value, sizeof(Value));
}

/* MiniportOidRequest, query side. */
static NDIS_STATUS FdportQuery(PFDPORT_ADAPTER Adapter, PNDIS_OID_REQUEST Request)
{
    NDIS_LINK_STATE LinkState;

    switch (Request->DATA.QUERY_INFORMATION.Oid) {
    case OID_GEN_SUPPORTED_LIST:
        return MpAnswerQuery(Request, FdportSupportedOids, sizeof(FdportSupportedOids));
    case OID_802_3_PERMANENT_ADDRESS:
    case OID_802_3_CURRENT_ADDRESS:
        return MpAnswerQuery(Request, Adapter->MacAddress, sizeof(Adapter->MacAddress));
    case OID_GEN_LINK_STATE:
        FdportLinkState(Adapter, &LinkState);
        return MpAnswerQuery(Request, &LinkState, sizeof(LinkState));
    case OID_GEN_XMIT_OK: return MpAnswerCounter(Request, &Adapter->FramesTransmitted);
    case OID_GEN_RCV_OK: return MpAnswerCounter(Request, &Adapter->FramesReceived);
    case OID_GEN_XMIT_ERROR: return MpAnswerCounter(Request, &Adapter->TransmitErrors);
    case OID_GEN_RCV_ERROR: return MpAnswerCounter(Request, &Adapter->ReceiveErrors);
    case OID_GEN_RCV_NO_BUFFER: return MpAnswerCounter(Request, &Adapter->ReceiveNoBuffer);
    default: return FdportQueryUlong(Adapter, Request);
    }
}

/* Sets the packet filter: remembered, and its PROMISCUOUS bit switches promiscuous mode. */
static NDIS_STATUS FdportSetPacketFilter(PFDPORT_ADAPTER Adapter, PNDIS_OID_REQUEST Request)
{
    ULONG Filter = 0;
    NDIS_STATUS Status = MpReadUlong(Request, &Filter);
    BOOLEAN Promiscuous = (Filter & NDIS_PACKET_TYPE_PROMISCUOUS) != 0;

    if (Status != NDIS_STATUS_SUCCESS)
        return Status;
    if ((Filter & ~FDPORT_PACKET_FILTERS) != 0)
        return NDIS_STATUS_NOT_SUPPORTED;
    if (Adapter->Backend->SetPromiscuous != NULL && Promiscuous != Adapter->Promiscuous) {
        Status = Adapter->Backend->SetPromiscuous(Adapter, Promiscuous);
        if (Status != NDIS_STATUS_SUCCESS)
            return Status;
        Adapter->Promiscuous = Promiscuous;
    }
    Adapter->PacketFilter = Filter;
    return NDIS_STATUS_SUCCESS;
}

/* MiniportOidRequest, set side: packet filter, lookahead, multicast list (accepted). */
static NDIS_STATUS FdportSet(PFDPORT_ADAPTER Adapter, PNDIS_OID_REQUEST Request)
{
    ULONG Length = Request->DATA.SET_INFORMATION.InformationBufferLength;
    ULONG Value = 0;
    NDIS_STATUS Status;

    switch (Request->DATA.SET_INFORMATION.Oid) {
    case OID_GEN_CURRENT_PACKET_FILTER:
        return FdportSetPacketFilter(Adapter, Request);
    case OID_GEN_CURRENT_LOOKAHEAD:
        Status = MpReadUlong(Request, &Value);
        if (Status == NDIS_STATUS_SUCCESS && Value > Adapter->Mtu)
            return NDIS_STATUS_INVALID_DATA;
        if (Status == NDIS_STATUS_SUCCESS)
            Adapter->Lookahead = Value;
        return Status;
    case OID_802_3_MULTICAST_LIST:
        if (Length % 6 != 0 || Length / 6 > FDPORT_MULTICAST_LIST_SIZE)
            return Length % 6 != 0 ? NDIS_STATUS_INVALID_LENGTH : NDIS_STATUS_MULTICAST_FULL;
        Request->DATA.SET_INFORMATION.BytesRead = Length;
        return NDIS_STATUS_SUCCESS;
    default:
        return NDIS_STATUS_NOT_SUPPORTED;
    }
}

/* MiniportOidRequest: every request is answered at once (never pends). */
_Use_decl_annotations_
NDIS_STATUS FdportOidRequest(NDIS_HANDLE MiniportAdapterContext, PNDIS_OID_REQUEST OidRequest)
{
    PFDPORT_ADAPTER Adapter = MiniportAdapterContext;

    switch (OidRequest->RequestType) {
    case NdisRequestQueryInformation:
    case NdisRequestQueryStatistics:
        return FdportQuery(Adapter, OidRequest);
    case NdisRequestSetInformation:
        return FdportSet(Adapter, OidRequest);
    default:
        return NDIS_STATUS_NOT_SUPPORTED;
    }
}

/* MiniportCancelOidRequest: nothing pends, so nothing to cancel. */
_Use_decl_annotations_
VOID FdportCancelOidRequest(NDIS_HANDLE MiniportAdapterContext, PVOID RequestId)
{
    (void)MiniportAdapterContext;
    (void)RequestId;
}

/* Second attributes: an Ethernet adapter with the interface's MTU, no back-fill needed. */
NDIS_STATUS FdportSetGeneralAttributes(PFDPORT_ADAPTER Adapter)
{
    NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES General;

    NdisZeroMemory(&General, sizeof(General));
    General.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
    General.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
    General.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
    General.MediaType = NdisMedium802_3;
    General.PhysicalMediumType = NdisPhysicalMedium802_3;
    General.MtuSize = Adapter->Mtu;
    General.MaxXmitLinkSpeed = General.XmitLinkSpeed = FDPORT_LINK_SPEED;
    General.MaxRcvLinkSpeed = General.RcvLinkSpeed = FDPORT_LINK_SPEED;
    General.MediaConnectState = Adapter->Connected ? MediaConnectStateConnected : MediaConnectStateDisconnected;
    General.MediaDuplexState = MediaDuplexStateFull;
    General.LookaheadSize = Adapter->Mtu;
    General.MacOptions = FdportMacOptions();
    General.SupportedPacketFilters = FDPORT_PACKET_FILTERS;
    General.MaxMulticastListSize = FDPORT_MULTICAST_LIST_SIZE;
    General.MacAddressLength = sizeof(Adapter->MacAddress);
    NdisMoveMemory(General.PermanentMacAddress, Adapter->MacAddress, sizeof(Adapter->MacAddress));
    NdisMoveMemory(General.CurrentMacAddress, Adapter->MacAddress, sizeof(Adapter->MacAddress));
    General.AccessType = NET_IF_ACCESS_BROADCAST;
    General.DirectionType = NET_IF_DIRECTION_SENDRECEIVE;
    General.ConnectionType = NET_IF_CONNECTION_DEDICATED;
    General.IfType = IF_TYPE_ETHERNET_CSMACD;
    General.IfConnectorPresent = FALSE;
    General.SupportedPauseFunctions = NdisPauseFunctionsUnsupported;
    General.DataBackFillSize = 0;
    General.ContextBackFillSize = 0;
    General.SupportedOidList = (PNDIS_OID)FdportSupportedOids;
    General.SupportedOidListLength = sizeof(FdportSupportedOids);
    return NdisMSetMiniportAttributes(Adapter->MiniportAdapterHandle,
                                      (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&General);
}
