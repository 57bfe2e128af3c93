/* SPDX-License-Identifier: MIT */
/*
 * The NDIS 6 driver model: protocol, filter and miniport drivers, the
 * characteristics each registers, the handlers NDIS calls, the parameter
 * structures those handlers receive, and the calls a driver makes back.
 *
 * A binding stack is a miniport adapter at the bottom, any number of filter
 * modules above it and protocol bindings on top. Data moves as NET_BUFFER_
 * LIST chains: sends go down (NdisSendNetBufferLists, NdisFSendNetBuffer
 * Lists, MiniportSendNetBufferLists) and complete back up; receives are
 * indicated up (NdisMIndicateReceiveNetBufferLists, NdisFIndicateReceive
 * NetBufferLists) and returned back down. Control moves as OID requests
 * (oid.h), status indications and PnP events; pause and restart bracket
 * every change to the stack.
 *
 * Every handler has a role type and a pointer type, named as in the WDK, so
 * a driver declares its handlers the way Microsoft's samples do:
 *
 *     static PROTOCOL_BIND_ADAPTER_EX MyBindAdapter;   // declaration
 *     _Use_decl_annotations_
 *     NDIS_STATUS MyBindAdapter(NDIS_HANDLE ProtocolDriverContext, ...)
 *     { ... }
 *
 * and stores it in a characteristics member of the pointer type.
 *
 * Layouts are Windows x64's with the member types of Microsoft's reference
 * pages; the NDIS_SIZEOF_*_REVISION_n constants are the size through the
 * last member each revision added. The functions are declared here; which
 * of them libndisbuf implements is up to the library, not to this header.
 * Values the reference pages do not give are marked
 * "value: not on the reference page".
 */
#ifndef NDISBUF_NDIS_DRIVER_H
#define NDISBUF_NDIS_DRIVER_H

#include "base.h"
#include "types.h"
#include "status.h"
#include "object.h"
#include "nbl.h"
#include "oid.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ====================================================================== */
/* Send, send-complete, receive and return flags                           */
/* ====================================================================== */

#define NDIS_SEND_FLAGS_DISPATCH_LEVEL            0x00000001
#define NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK        0x00000002
#define NDIS_SEND_FLAGS_SINGLE_QUEUE              0x00000004 /* value: not on the reference page */
#define NDIS_SEND_FLAGS_SWITCH_DESTINATION_GROUP  0x00000010
#define NDIS_SEND_FLAGS_SWITCH_SINGLE_SOURCE      0x00000020

#define NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL       0x00000001 /* value: not on the reference page */
#define NDIS_SEND_COMPLETE_FLAGS_SWITCH_SINGLE_SOURCE 0x00000002 /* value: not on the reference page */

#define NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL             0x00000001 /* value: not on the reference page */
#define NDIS_RECEIVE_FLAGS_RESOURCES                  0x00000002
#define NDIS_RECEIVE_FLAGS_SINGLE_ETHER_TYPE          0x00000100 /* value: not on the reference page */
#define NDIS_RECEIVE_FLAGS_SINGLE_VLAN                0x00000200
#define NDIS_RECEIVE_FLAGS_PERFECT_FILTERED           0x00000400 /* value: not on the reference page */
#define NDIS_RECEIVE_FLAGS_SINGLE_QUEUE               0x00000800
#define NDIS_RECEIVE_FLAGS_SHARED_MEMORY_INFO_VALID   0x00001000 /* value: not on the reference page */
#define NDIS_RECEIVE_FLAGS_MORE_NBLS                  0x00002000
#define NDIS_RECEIVE_FLAGS_SWITCH_DESTINATION_GROUP   0x00004000
#define NDIS_RECEIVE_FLAGS_SWITCH_SINGLE_SOURCE       0x00008000 /* value: not on the reference page */

#define NDIS_RETURN_FLAGS_DISPATCH_LEVEL              0x00000001 /* value: not on the reference page */
#define NDIS_RETURN_FLAGS_SWITCH_SINGLE_SOURCE        0x00000002 /* value: not on the reference page */
#define NDIS_RETURN_FLAGS_SINGLE_QUEUE                0x00000004 /* value: not on the reference page */

/* Flag tests and setters: true when every bit of _Fl is set in _Flags. */
#define NDIS_TEST_SEND_FLAG(_Flags, _Fl)            (((_Flags) & (_Fl)) == (_Fl))
#define NDIS_SET_SEND_FLAG(_Flags, _Fl)             ((_Flags) |= (_Fl))
#define NDIS_TEST_SEND_AT_DISPATCH_LEVEL(_Flags) \
    NDIS_TEST_SEND_FLAG((_Flags), NDIS_SEND_FLAGS_DISPATCH_LEVEL)

#define NDIS_TEST_SEND_COMPLETE_FLAG(_Flags, _Fl)   (((_Flags) & (_Fl)) == (_Fl))
#define NDIS_SET_SEND_COMPLETE_FLAG(_Flags, _Fl)    ((_Flags) |= (_Fl))
#define NDIS_TEST_SEND_COMPLETE_AT_DISPATCH_LEVEL(_Flags) \
    NDIS_TEST_SEND_COMPLETE_FLAG((_Flags), NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL)

#define NDIS_TEST_RECEIVE_FLAG(_Flags, _Fl)         (((_Flags) & (_Fl)) == (_Fl))
#define NDIS_SET_RECEIVE_FLAG(_Flags, _Fl)          ((_Flags) |= (_Fl))
#define NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(_Flags) \
    NDIS_TEST_RECEIVE_FLAG((_Flags), NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL)
/* With RESOURCES set the indicated NBLs are lent only until the call returns. */
#define NDIS_TEST_RECEIVE_CANNOT_PEND(_Flags) \
    NDIS_TEST_RECEIVE_FLAG((_Flags), NDIS_RECEIVE_FLAGS_RESOURCES)
#define NDIS_TEST_RECEIVE_CAN_PEND(_Flags) (((_Flags) & NDIS_RECEIVE_FLAGS_RESOURCES) == 0)

#define NDIS_TEST_RETURN_FLAG(_Flags, _Fl)          (((_Flags) & (_Fl)) == (_Fl))
#define NDIS_SET_RETURN_FLAG(_Flags, _Fl)           ((_Flags) |= (_Fl))
#define NDIS_TEST_RETURN_AT_DISPATCH_LEVEL(_Flags) \
    NDIS_TEST_RETURN_FLAG((_Flags), NDIS_RETURN_FLAGS_DISPATCH_LEVEL)

/* ====================================================================== */
/* Status indications                                                      */
/* ====================================================================== */

/* A status change reported up the stack (MiniportXxx -> Filter -> Protocol). */
typedef struct _NDIS_STATUS_INDICATION {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_STATUS_INDICATION */
    NDIS_HANDLE SourceHandle;  /* miniport adapter or filter module handle */
    NDIS_PORT_NUMBER PortNumber;
    NDIS_STATUS StatusCode;
    ULONG Flags;               /* reserved for NDIS; miniports set 0 */
    NDIS_HANDLE DestinationHandle; /* NULL: every binding */
    PVOID RequestId;           /* OID request this answers, or NULL */
    PVOID StatusBuffer;
    ULONG StatusBufferSize;
    GUID Guid;
    PVOID NdisReserved[4];
} NDIS_STATUS_INDICATION, *PNDIS_STATUS_INDICATION;

#define NDIS_STATUS_INDICATION_REVISION_1 1
#define NDIS_SIZEOF_STATUS_INDICATION_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_STATUS_INDICATION, NdisReserved)

/* x64: ... StatusBufferSize 56, Guid 60 (4-aligned), NdisReserved 80; 112. */
_Static_assert(offsetof(NDIS_STATUS_INDICATION, SourceHandle) == 8, "STATUS_INDICATION.SourceHandle at 8");
_Static_assert(offsetof(NDIS_STATUS_INDICATION, StatusCode) == 20, "STATUS_INDICATION.StatusCode at 20");
_Static_assert(offsetof(NDIS_STATUS_INDICATION, DestinationHandle) == 32, "DestinationHandle at 32");
_Static_assert(offsetof(NDIS_STATUS_INDICATION, Guid) == 60, "STATUS_INDICATION.Guid at 60");
_Static_assert(offsetof(NDIS_STATUS_INDICATION, NdisReserved) == 80, "NdisReserved at 80");
_Static_assert(sizeof(NDIS_STATUS_INDICATION) == 112, "NDIS_STATUS_INDICATION is 112 bytes on x64");

/* ====================================================================== */
/* Network PnP events (protocols, filters) and device PnP events           */
/* ====================================================================== */

/*
 * Event codes, in the order of the NET_PNP_EVENT page. Values are the
 * implicit enumeration values; the members after NetEventRestart are in the
 * order: not on the reference page.
 */
typedef enum _NET_PNP_EVENT_CODE {
    NetEventSetPower,
    NetEventQueryPower,
    NetEventQueryRemoveDevice,
    NetEventCancelRemoveDevice,
    NetEventReconfigure,
    NetEventBindList,
    NetEventBindsComplete,
    NetEventPnPCapabilities,
    NetEventPause,
    NetEventRestart,
    NetEventPortActivation,
    NetEventPortDeactivation,
    NetEventIMReEnableDevice,
    NetEventNDKEnable,
    NetEventNDKDisable,
    NetEventFilterPreDetach,
    NetEventBindFailed,
    NetEventSwitchActivate,
    NetEventAllowBindsAbove,
    NetEventInhibitBindsAbove,
    NetEventAllowStart,
    NetEventRequirePause,
    NetEventUploadGftFlowEntries,
    NetEventMaximum
} NET_PNP_EVENT_CODE, *PNET_PNP_EVENT_CODE;

/* NetEventSetPower / NetEventQueryPower: Buffer points to one of these. */
typedef enum _NET_DEVICE_POWER_STATE {
    NetDeviceStateUnspecified,
    NetDeviceStateD0,
    NetDeviceStateD1,
    NetDeviceStateD2,
    NetDeviceStateD3,
    NetDeviceStateMaximum
} NET_DEVICE_POWER_STATE, *PNET_DEVICE_POWER_STATE;

/* The NDIS 5 event record (netpnp.h); Buffer's contents depend on NetEvent. */
typedef struct _NET_PNP_EVENT {
    NET_PNP_EVENT_CODE NetEvent;
    PVOID Buffer;
    ULONG BufferLength;
    ULONG_PTR NdisReserved[4];
    ULONG_PTR TransportReserved[4];
    ULONG_PTR TdiReserved[4];
    ULONG_PTR TdiClientReserved[4];
} NET_PNP_EVENT, *PNET_PNP_EVENT;

/* What ProtocolNetPnPEvent / FilterNetPnPEvent receive. */
typedef struct _NET_PNP_EVENT_NOTIFICATION {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_DEFAULT */
    NDIS_PORT_NUMBER PortNumber;
    NET_PNP_EVENT NetPnPEvent;
} NET_PNP_EVENT_NOTIFICATION, *PNET_PNP_EVENT_NOTIFICATION;

#define NET_PNP_EVENT_NOTIFICATION_REVISION_1 1
#define NDIS_SIZEOF_NET_PNP_EVENT_NOTIFICATION_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NET_PNP_EVENT_NOTIFICATION, NetPnPEvent)

_Static_assert(offsetof(NET_PNP_EVENT, Buffer) == 8, "NET_PNP_EVENT.Buffer at 8");
_Static_assert(offsetof(NET_PNP_EVENT, NdisReserved) == 24, "NET_PNP_EVENT.NdisReserved at 24");
_Static_assert(sizeof(NET_PNP_EVENT) == 152, "NET_PNP_EVENT is 152 bytes on x64");
_Static_assert(offsetof(NET_PNP_EVENT_NOTIFICATION, NetPnPEvent) == 8, "NetPnPEvent at 8");
_Static_assert(sizeof(NET_PNP_EVENT_NOTIFICATION) == 160, "NET_PNP_EVENT_NOTIFICATION is 160 bytes");

/* Device PnP events (MiniportDevicePnPEventNotify, FilterDevicePnPEventNotify). */
typedef enum _NDIS_DEVICE_PNP_EVENT {
    NdisDevicePnPEventQueryRemoved, /* values: not on the reference page */
    NdisDevicePnPEventRemoved,
    NdisDevicePnPEventSurpriseRemoved,
    NdisDevicePnPEventQueryStopped,
    NdisDevicePnPEventStopped,
    NdisDevicePnPEventPowerProfileChanged,
    NdisDevicePnPEventFilterListChanged,
    NdisDevicePnPEventMaximum
} NDIS_DEVICE_PNP_EVENT, *PNDIS_DEVICE_PNP_EVENT;

/* The ULONG in InformationBuffer for NdisDevicePnPEventPowerProfileChanged. */
#define NdisPowerProfileBattery  0 /* value: not on the reference page */
#define NdisPowerProfileAcOnline 1 /* value: not on the reference page */

typedef struct _NET_DEVICE_PNP_EVENT {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_DEFAULT */
    NDIS_PORT_NUMBER PortNumber;
    NDIS_DEVICE_PNP_EVENT DevicePnPEvent;
    PVOID InformationBuffer;
    ULONG InformationBufferLength;
    UCHAR NdisReserved[2 * sizeof(PVOID)];
} NET_DEVICE_PNP_EVENT, *PNET_DEVICE_PNP_EVENT;

#define NET_DEVICE_PNP_EVENT_REVISION_1 1
#define NDIS_SIZEOF_NET_DEVICE_PNP_EVENT_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NET_DEVICE_PNP_EVENT, NdisReserved)

_Static_assert(offsetof(NET_DEVICE_PNP_EVENT, InformationBuffer) == 16, "InformationBuffer at 16");
_Static_assert(offsetof(NET_DEVICE_PNP_EVENT, NdisReserved) == 28, "NdisReserved at 28");

/* ====================================================================== */
/* Restart attributes (passed down at restart, one OID's data per entry)   */
/* ====================================================================== */

typedef struct _NDIS_RESTART_ATTRIBUTES NDIS_RESTART_ATTRIBUTES, *PNDIS_RESTART_ATTRIBUTES;
struct _NDIS_RESTART_ATTRIBUTES {
    PNDIS_RESTART_ATTRIBUTES Next; /* NULL at the end of the list */
    NDIS_OID Oid;                  /* OID_GEN_MINIPORT_RESTART_ATTRIBUTES: Data is */
    ULONG DataLength;              /* an NDIS_RESTART_GENERAL_ATTRIBUTES */
    UCHAR Data[1];                 /* DataLength bytes, as documented */
};

_Static_assert(offsetof(NDIS_RESTART_ATTRIBUTES, Oid) == 8, "RESTART_ATTRIBUTES.Oid at 8");
_Static_assert(offsetof(NDIS_RESTART_ATTRIBUTES, Data) == 16, "RESTART_ATTRIBUTES.Data at 16");

/* Objects the driver structures point to but ndisbuf does not define. */
typedef struct _NDIS_RECEIVE_SCALE_CAPABILITIES NDIS_RECEIVE_SCALE_CAPABILITIES,
    *PNDIS_RECEIVE_SCALE_CAPABILITIES;
typedef struct _NDIS_PNP_CAPABILITIES NDIS_PNP_CAPABILITIES, *PNDIS_PNP_CAPABILITIES;
typedef struct _NDIS_PM_CAPABILITIES NDIS_PM_CAPABILITIES, *PNDIS_PM_CAPABILITIES;
typedef struct _NDIS_PORT NDIS_PORT, *PNDIS_PORT;
typedef struct _NDIS_OFFLOAD NDIS_OFFLOAD, *PNDIS_OFFLOAD;
typedef struct _NDIS_TCP_CONNECTION_OFFLOAD NDIS_TCP_CONNECTION_OFFLOAD, *PNDIS_TCP_CONNECTION_OFFLOAD;
typedef struct _NDIS_HD_SPLIT_CURRENT_CONFIG NDIS_HD_SPLIT_CURRENT_CONFIG, *PNDIS_HD_SPLIT_CURRENT_CONFIG;
typedef struct _NDIS_RECEIVE_FILTER_CAPABILITIES NDIS_RECEIVE_FILTER_CAPABILITIES,
    *PNDIS_RECEIVE_FILTER_CAPABILITIES;
typedef struct _NDIS_NIC_SWITCH_CAPABILITIES NDIS_NIC_SWITCH_CAPABILITIES, *PNDIS_NIC_SWITCH_CAPABILITIES;
typedef struct _NDIS_NDK_CAPABILITIES NDIS_NDK_CAPABILITIES, *PNDIS_NDK_CAPABILITIES;
typedef struct _NDIS_SRIOV_CAPABILITIES NDIS_SRIOV_CAPABILITIES, *PNDIS_SRIOV_CAPABILITIES;
typedef struct _NDIS_NIC_SWITCH_INFO_ARRAY NDIS_NIC_SWITCH_INFO_ARRAY, *PNDIS_NIC_SWITCH_INFO_ARRAY;
typedef struct _NDIS_PORT_AUTHENTICATION_PARAMETERS NDIS_PORT_AUTHENTICATION_PARAMETERS,
    *PNDIS_PORT_AUTHENTICATION_PARAMETERS;
typedef struct _NDIS_PCI_DEVICE_CUSTOM_PROPERTIES NDIS_PCI_DEVICE_CUSTOM_PROPERTIES,
    *PNDIS_PCI_DEVICE_CUSTOM_PROPERTIES;

/* The general attributes a miniport reports again at each restart. */
typedef struct _NDIS_RESTART_GENERAL_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_RESTART_GENERIC_ATTRIBUTES */
    ULONG MtuSize;
    ULONG64 MaxXmitLinkSpeed;
    ULONG64 MaxRcvLinkSpeed;
    ULONG LookaheadSize;
    ULONG MacOptions;
    ULONG SupportedPacketFilters;
    ULONG MaxMulticastListSize;
    PNDIS_RECEIVE_SCALE_CAPABILITIES RecvScaleCapabilities;
    NET_IF_ACCESS_TYPE AccessType;
    ULONG Flags;
    NET_IF_CONNECTION_TYPE ConnectionType;
    ULONG SupportedStatistics;
    ULONG DataBackFillSize;
    ULONG ContextBackFillSize;
    PNDIS_OID SupportedOidList;
    ULONG SupportedOidListLength;
    /* revision 2 (NDIS 6.20) */
    ULONG MaxLookaheadSizeAccessed;
} NDIS_RESTART_GENERAL_ATTRIBUTES, *PNDIS_RESTART_GENERAL_ATTRIBUTES;

#define NDIS_RESTART_GENERAL_ATTRIBUTES_REVISION_1 1
#define NDIS_RESTART_GENERAL_ATTRIBUTES_REVISION_2 2
#define NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_RESTART_GENERAL_ATTRIBUTES, SupportedOidListLength)
#define NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_2 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_RESTART_GENERAL_ATTRIBUTES, MaxLookaheadSizeAccessed)

_Static_assert(offsetof(NDIS_RESTART_GENERAL_ATTRIBUTES, MaxXmitLinkSpeed) == 8, "MaxXmitLinkSpeed at 8");
_Static_assert(offsetof(NDIS_RESTART_GENERAL_ATTRIBUTES, RecvScaleCapabilities) == 40,
               "RecvScaleCapabilities at 40");
_Static_assert(offsetof(NDIS_RESTART_GENERAL_ATTRIBUTES, SupportedOidList) == 72, "SupportedOidList at 72");
_Static_assert(NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_1 == 84, "revision 1 is 84 bytes");
_Static_assert(NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_2 == 88, "revision 2 is 88 bytes");

/* PauseReason values (pause parameters); values: not on the reference page. */
#define NDIS_PAUSE_NDIS_INTERNAL          0x00000001
#define NDIS_PAUSE_LOW_POWER              0x00000002
#define NDIS_PAUSE_BIND_PROTOCOL          0x00000004
#define NDIS_PAUSE_UNBIND_PROTOCOL        0x00000008
#define NDIS_PAUSE_ATTACH_FILTER          0x00000010
#define NDIS_PAUSE_DETACH_FILTER          0x00000020
#define NDIS_PAUSE_FILTER_RESTART_STACK   0x00000040
#define NDIS_PAUSE_MINIPORT_DEVICE_REMOVE 0x00000080

/* ====================================================================== */
/* Protocol drivers                                                        */
/* ====================================================================== */

/* NetEventPause's Buffer. */
typedef struct _NDIS_PROTOCOL_PAUSE_PARAMETERS {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_DEFAULT */
    ULONG Flags;
    ULONG PauseReason;         /* always NDIS_PAUSE_NDIS_INTERNAL from 6.40 */
} NDIS_PROTOCOL_PAUSE_PARAMETERS, *PNDIS_PROTOCOL_PAUSE_PARAMETERS;

#define NDIS_PROTOCOL_PAUSE_PARAMETERS_REVISION_1 1
#define NDIS_SIZEOF_PROTOCOL_PAUSE_PARAMETERS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_PROTOCOL_PAUSE_PARAMETERS, PauseReason)

/* NetEventRestart's Buffer. */
typedef struct _NDIS_PROTOCOL_RESTART_PARAMETERS {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_PROTOCOL_RESTART_PARAMETERS */
    PUCHAR FilterModuleNameBuffer; /* USHORT byte length + WCHARs, repeated */
    ULONG FilterModuleNameBufferLength;
    PNDIS_RESTART_ATTRIBUTES RestartAttributes;
    NET_IFINDEX BoundIfIndex;
    NET_LUID BoundIfNetluid;
    ULONG Flags;
} NDIS_PROTOCOL_RESTART_PARAMETERS, *PNDIS_PROTOCOL_RESTART_PARAMETERS;

#define NDIS_PROTOCOL_RESTART_PARAMETERS_REVISION_1 1
#define NDIS_SIZEOF_PROTOCOL_RESTART_PARAMETERS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_PROTOCOL_RESTART_PARAMETERS, Flags)

_Static_assert(sizeof(NDIS_PROTOCOL_PAUSE_PARAMETERS) == 12, "protocol pause parameters are 12 bytes");
_Static_assert(offsetof(NDIS_PROTOCOL_RESTART_PARAMETERS, RestartAttributes) == 24, "RestartAttributes at 24");
_Static_assert(offsetof(NDIS_PROTOCOL_RESTART_PARAMETERS, BoundIfNetluid) == 40, "BoundIfNetluid at 40");
_Static_assert(sizeof(NDIS_PROTOCOL_RESTART_PARAMETERS) == 56, "protocol restart parameters are 56 bytes");

/* EtherType-style frame types a binding asks for (a receive hint). */
typedef USHORT NET_FRAME_TYPE, *PNET_FRAME_TYPE;

/* What a protocol passes to NdisOpenAdapterEx. */
typedef struct _NDIS_OPEN_PARAMETERS {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_OPEN_PARAMETERS */
    PNDIS_STRING AdapterName;  /* BindParameters->AdapterName */
    PNDIS_MEDIUM MediumArray;
    UINT MediumArraySize;
    PUINT SelectedMediumIndex; /* NDIS writes the chosen index here */
    PNET_FRAME_TYPE FrameTypeArray;
    UINT FrameTypeArraySize;
} NDIS_OPEN_PARAMETERS, *PNDIS_OPEN_PARAMETERS;

#define NDIS_OPEN_PARAMETERS_REVISION_1 1
#define NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_OPEN_PARAMETERS, FrameTypeArraySize)

_Static_assert(offsetof(NDIS_OPEN_PARAMETERS, AdapterName) == 8, "OPEN_PARAMETERS.AdapterName at 8");
_Static_assert(offsetof(NDIS_OPEN_PARAMETERS, SelectedMediumIndex) == 32, "SelectedMediumIndex at 32");
_Static_assert(NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1 == 52, "open parameters revision 1 is 52 bytes");

/* What NDIS passes to ProtocolBindAdapterEx: the adapter as the binding sees it. */
typedef struct _NDIS_BIND_PARAMETERS {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_BIND_PARAMETERS */
    PNDIS_STRING ProtocolSection;
    PNDIS_STRING AdapterName;
    PDEVICE_OBJECT PhysicalDeviceObject;
    NDIS_MEDIUM MediaType;
    ULONG MtuSize;
    ULONG64 MaxXmitLinkSpeed;
    ULONG64 XmitLinkSpeed;
    ULONG64 MaxRcvLinkSpeed;
    ULONG64 RcvLinkSpeed;
    NDIS_MEDIA_CONNECT_STATE MediaConnectState;
    NDIS_MEDIA_DUPLEX_STATE MediaDuplexState;
    ULONG LookaheadSize;
    PNDIS_PNP_CAPABILITIES PowerManagementCapabilities;
    ULONG SupportedPacketFilters;
    ULONG MaxMulticastListSize;
    USHORT MacAddressLength;
    UCHAR CurrentMacAddress[NDIS_MAX_PHYS_ADDRESS_LENGTH];
    NDIS_PHYSICAL_MEDIUM PhysicalMediumType;
    PNDIS_RECEIVE_SCALE_CAPABILITIES RcvScaleCapabilities;
    NET_LUID BoundIfNetluid;
    NET_IFINDEX BoundIfIndex;
    NET_LUID LowestIfNetluid;
    NET_IFINDEX LowestIfIndex;
    NET_IF_ACCESS_TYPE AccessType;
    NET_IF_DIRECTION_TYPE DirectionType;
    NET_IF_CONNECTION_TYPE ConnectionType;
    NET_IFTYPE IfType;
    BOOLEAN IfConnectorPresent;
    PNDIS_PORT ActivePorts;
    ULONG DataBackFillSize;
    ULONG ContextBackFillSize;
    ULONG MacOptions;
    NET_IF_COMPARTMENT_ID CompartmentId;
    PNDIS_OFFLOAD DefaultOffloadConfiguration;
    PNDIS_TCP_CONNECTION_OFFLOAD TcpConnectionOffloadCapabilities;
    PNDIS_STRING BoundAdapterName;
    /* revision 2 (NDIS 6.1) */
    PNDIS_HD_SPLIT_CURRENT_CONFIG HDSplitCurrentConfig;
    /* revision 3 (NDIS 6.20) */
    PNDIS_RECEIVE_FILTER_CAPABILITIES ReceiveFilterCapabilities;
    PNDIS_PM_CAPABILITIES PowerManagementCapabilitiesEx;
    PNDIS_NIC_SWITCH_CAPABILITIES NicSwitchCapabilities;
    /* revision 4 (NDIS 6.30) */
    BOOLEAN NDKEnabled;
    PNDIS_NDK_CAPABILITIES NDKCapabilities;
    PNDIS_SRIOV_CAPABILITIES SriovCapabilities;
    PNDIS_NIC_SWITCH_INFO_ARRAY NicSwitchArray;
} NDIS_BIND_PARAMETERS, *PNDIS_BIND_PARAMETERS;

#define NDIS_BIND_PARAMETERS_REVISION_1 1
#define NDIS_BIND_PARAMETERS_REVISION_2 2
#define NDIS_BIND_PARAMETERS_REVISION_3 3
#define NDIS_BIND_PARAMETERS_REVISION_4 4
#define NDIS_SIZEOF_BIND_PARAMETERS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_BIND_PARAMETERS, BoundAdapterName)
#define NDIS_SIZEOF_BIND_PARAMETERS_REVISION_2 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_BIND_PARAMETERS, HDSplitCurrentConfig)
#define NDIS_SIZEOF_BIND_PARAMETERS_REVISION_3 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_BIND_PARAMETERS, NicSwitchCapabilities)
#define NDIS_SIZEOF_BIND_PARAMETERS_REVISION_4 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_BIND_PARAMETERS, NicSwitchArray)

/* x64, up to the MAC address (the rest depends on NDIS_MAX_PHYS_ADDRESS_LENGTH). */
_Static_assert(offsetof(NDIS_BIND_PARAMETERS, PhysicalDeviceObject) == 24, "PhysicalDeviceObject at 24");
_Static_assert(offsetof(NDIS_BIND_PARAMETERS, MediaType) == 32, "BIND_PARAMETERS.MediaType at 32");
_Static_assert(offsetof(NDIS_BIND_PARAMETERS, MaxXmitLinkSpeed) == 40, "MaxXmitLinkSpeed at 40");
_Static_assert(offsetof(NDIS_BIND_PARAMETERS, PowerManagementCapabilities) == 88,
               "PowerManagementCapabilities at 88");
_Static_assert(offsetof(NDIS_BIND_PARAMETERS, MacAddressLength) == 104, "MacAddressLength at 104");
_Static_assert(offsetof(NDIS_BIND_PARAMETERS, CurrentMacAddress) == 106, "CurrentMacAddress at 106");

/* ---- protocol handlers ---- */

/* XxxSetOptions for every driver kind: register optional services. */
typedef NDIS_STATUS (SET_OPTIONS)(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext);
typedef SET_OPTIONS(*SET_OPTIONS_HANDLER);
typedef SET_OPTIONS MINIPORT_SET_OPTIONS;
typedef SET_OPTIONS PROTOCOL_SET_OPTIONS;
typedef SET_OPTIONS FILTER_SET_OPTIONS;

typedef NDIS_STATUS (PROTOCOL_BIND_ADAPTER_EX)(NDIS_HANDLE ProtocolDriverContext,
                                               NDIS_HANDLE BindContext,
                                               PNDIS_BIND_PARAMETERS BindParameters);
typedef PROTOCOL_BIND_ADAPTER_EX(*BIND_HANDLER_EX);

typedef NDIS_STATUS (PROTOCOL_UNBIND_ADAPTER_EX)(NDIS_HANDLE UnbindContext,
                                                 NDIS_HANDLE ProtocolBindingContext);
typedef PROTOCOL_UNBIND_ADAPTER_EX(*UNBIND_HANDLER_EX);

typedef VOID (PROTOCOL_OPEN_ADAPTER_COMPLETE_EX)(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status);
typedef PROTOCOL_OPEN_ADAPTER_COMPLETE_EX(*OPEN_ADAPTER_COMPLETE_HANDLER_EX);

typedef VOID (PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX)(NDIS_HANDLE ProtocolBindingContext);
typedef PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX(*CLOSE_ADAPTER_COMPLETE_HANDLER_EX);

typedef NDIS_STATUS (PROTOCOL_NET_PNP_EVENT)(NDIS_HANDLE ProtocolBindingContext,
                                             PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification);
typedef PROTOCOL_NET_PNP_EVENT(*NET_PNP_EVENT_HANDLER);

typedef VOID (PROTOCOL_UNINSTALL)(void);
typedef PROTOCOL_UNINSTALL(*UNINSTALL_PROTOCOL_HANDLER);

typedef VOID (PROTOCOL_OID_REQUEST_COMPLETE)(NDIS_HANDLE ProtocolBindingContext,
                                             PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status);
typedef PROTOCOL_OID_REQUEST_COMPLETE(*OID_REQUEST_COMPLETE_HANDLER);

typedef VOID (PROTOCOL_STATUS_EX)(NDIS_HANDLE ProtocolBindingContext,
                                  PNDIS_STATUS_INDICATION StatusIndication);
typedef PROTOCOL_STATUS_EX(*STATUS_HANDLER_EX);

typedef VOID (PROTOCOL_RECEIVE_NET_BUFFER_LISTS)(NDIS_HANDLE ProtocolBindingContext,
                                                 PNET_BUFFER_LIST NetBufferLists,
                                                 NDIS_PORT_NUMBER PortNumber,
                                                 ULONG NumberOfNetBufferLists, ULONG ReceiveFlags);
typedef PROTOCOL_RECEIVE_NET_BUFFER_LISTS(*RECEIVE_NET_BUFFER_LISTS_HANDLER);

typedef VOID (PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE)(NDIS_HANDLE ProtocolBindingContext,
                                                       PNET_BUFFER_LIST NetBufferList,
                                                       ULONG SendCompleteFlags);
typedef PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE(*SEND_NET_BUFFER_LISTS_COMPLETE_HANDLER);

typedef VOID (PROTOCOL_DIRECT_OID_REQUEST_COMPLETE)(NDIS_HANDLE ProtocolBindingContext,
                                                    PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status);
typedef PROTOCOL_DIRECT_OID_REQUEST_COMPLETE(*DIRECT_OID_REQUEST_COMPLETE_HANDLER);

typedef struct _NDIS_PROTOCOL_DRIVER_CHARACTERISTICS {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS */
    UCHAR MajorNdisVersion;
    UCHAR MinorNdisVersion;
    UCHAR MajorDriverVersion;
    UCHAR MinorDriverVersion;
    ULONG Flags;
    NDIS_STRING Name;
    SET_OPTIONS_HANDLER SetOptionsHandler;
    BIND_HANDLER_EX BindAdapterHandlerEx;
    UNBIND_HANDLER_EX UnbindAdapterHandlerEx;
    OPEN_ADAPTER_COMPLETE_HANDLER_EX OpenAdapterCompleteHandlerEx;
    CLOSE_ADAPTER_COMPLETE_HANDLER_EX CloseAdapterCompleteHandlerEx;
    NET_PNP_EVENT_HANDLER NetPnPEventHandler;
    UNINSTALL_PROTOCOL_HANDLER UninstallHandler;
    OID_REQUEST_COMPLETE_HANDLER OidRequestCompleteHandler;
    STATUS_HANDLER_EX StatusHandlerEx;
    RECEIVE_NET_BUFFER_LISTS_HANDLER ReceiveNetBufferListsHandler;
    SEND_NET_BUFFER_LISTS_COMPLETE_HANDLER SendNetBufferListsCompleteHandler;
    /* revision 2 (NDIS 6.1) */
    DIRECT_OID_REQUEST_COMPLETE_HANDLER DirectOidRequestCompleteHandler;
} NDIS_PROTOCOL_DRIVER_CHARACTERISTICS, *PNDIS_PROTOCOL_DRIVER_CHARACTERISTICS;

#define NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1 1
#define NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2 2
#define NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS, SendNetBufferListsCompleteHandler)
#define NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS, DirectOidRequestCompleteHandler)

_Static_assert(offsetof(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS, Flags) == 8, "protocol Flags at 8");
_Static_assert(offsetof(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS, Name) == 16, "protocol Name at 16");
_Static_assert(offsetof(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS, SetOptionsHandler) == 32,
               "protocol SetOptionsHandler at 32");
_Static_assert(NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1 == 120, "protocol revision 1: 120");
_Static_assert(NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2 == 128, "protocol revision 2: 128");

/* ---- protocol calls ---- */

/* Registers a protocol driver; NDIS then offers it adapters to bind to. */
NDISBUF_API NDIS_STATUS NdisRegisterProtocolDriver(
    NDIS_HANDLE ProtocolDriverContext, PNDIS_PROTOCOL_DRIVER_CHARACTERISTICS ProtocolCharacteristics,
    PNDIS_HANDLE NdisProtocolHandle);
NDISBUF_API VOID NdisDeregisterProtocolDriver(NDIS_HANDLE NdisProtocolHandle);

/* Opens the binding from ProtocolBindAdapterEx; may pend (open complete). */
NDISBUF_API NDIS_STATUS NdisOpenAdapterEx(NDIS_HANDLE NdisProtocolHandle,
                                          NDIS_HANDLE ProtocolBindingContext,
                                          PNDIS_OPEN_PARAMETERS OpenParameters,
                                          NDIS_HANDLE BindContext,
                                          PNDIS_HANDLE NdisBindingHandle);
/* Closes the binding; may pend (close complete). */
NDISBUF_API NDIS_STATUS NdisCloseAdapterEx(NDIS_HANDLE NdisBindingHandle);
/* Finishes a bind / unbind that the handler returned NDIS_STATUS_PENDING for. */
NDISBUF_API VOID NdisCompleteBindAdapterEx(NDIS_HANDLE BindAddContext, NDIS_STATUS Status);
NDISBUF_API VOID NdisCompleteUnbindAdapterEx(NDIS_HANDLE UnbindContext);

/* Data path: send a chain down, give received NBLs back. */
NDISBUF_API VOID NdisSendNetBufferLists(NDIS_HANDLE NdisBindingHandle,
                                        PNET_BUFFER_LIST NetBufferLists,
                                        NDIS_PORT_NUMBER PortNumber, ULONG SendFlags);
NDISBUF_API VOID NdisReturnNetBufferLists(NDIS_HANDLE NdisBindingHandle,
                                          PNET_BUFFER_LIST NetBufferLists, ULONG ReturnFlags);

/* OID requests on the binding; NDIS_STATUS_PENDING completes later. */
NDISBUF_API NDIS_STATUS NdisOidRequest(NDIS_HANDLE NdisBindingHandle, PNDIS_OID_REQUEST OidRequest);
NDISBUF_API VOID NdisCancelOidRequest(NDIS_HANDLE NdisBindingHandle, PVOID RequestId);
/* Finishes a ProtocolNetPnPEvent (NetEventPause, NetEventRestart, ...) that pended. */
NDISBUF_API VOID NdisCompleteNetPnPEvent(NDIS_HANDLE NdisBindingHandle,
                                         PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification,
                                         NDIS_STATUS Status);

/* ====================================================================== */
/* Filter drivers                                                          */
/* ====================================================================== */

/* What NDIS passes to FilterAttach: the module and the adapter below it. */
typedef struct _NDIS_FILTER_ATTACH_PARAMETERS {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_FILTER_ATTACH_PARAMETERS */
    NET_IFINDEX IfIndex;
    NET_LUID NetLuid;
    PNDIS_STRING FilterModuleGuidName;
    NET_IFINDEX BaseMiniportIfIndex;
    PNDIS_STRING BaseMiniportInstanceName;
    PNDIS_STRING BaseMiniportName;
    NDIS_MEDIA_CONNECT_STATE MediaConnectState;
    NET_IF_MEDIA_DUPLEX_STATE MediaDuplexState;
    ULONG64 XmitLinkSpeed;
    ULONG64 RcvLinkSpeed;
    NDIS_MEDIUM MiniportMediaType;
    NDIS_PHYSICAL_MEDIUM MiniportPhysicalMediaType;
    NDIS_HANDLE MiniportMediaSpecificAttributes;
    PNDIS_OFFLOAD DefaultOffloadConfiguration;
    USHORT MacAddressLength;
    UCHAR CurrentMacAddress[NDIS_MAX_PHYS_ADDRESS_LENGTH];
    NET_LUID BaseMiniportNetLuid;
    NET_IFINDEX LowerIfIndex;
    NET_LUID LowerIfNetLuid;
    ULONG Flags;
    /* revision 2 (NDIS 6.1) */
    PNDIS_HD_SPLIT_CURRENT_CONFIG HDSplitCurrentConfig;
    /* revision 3 (NDIS 6.20) */
    PNDIS_RECEIVE_FILTER_CAPABILITIES ReceiveFilterCapabilities;
    PDEVICE_OBJECT MiniportPhysicalDeviceObject;
    PNDIS_NIC_SWITCH_CAPABILITIES NicSwitchCapabilities;
    /* revision 4 (NDIS 6.30) */
    BOOLEAN BaseMiniportIfConnectorPresent;
    PNDIS_SRIOV_CAPABILITIES SriovCapabilities;
    PNDIS_NIC_SWITCH_INFO_ARRAY NicSwitchArray;
} NDIS_FILTER_ATTACH_PARAMETERS, *PNDIS_FILTER_ATTACH_PARAMETERS;

#define NDIS_FILTER_ATTACH_PARAMETERS_REVISION_1 1
#define NDIS_FILTER_ATTACH_PARAMETERS_REVISION_2 2
#define NDIS_FILTER_ATTACH_PARAMETERS_REVISION_3 3
#define NDIS_FILTER_ATTACH_PARAMETERS_REVISION_4 4
#define NDIS_SIZEOF_FILTER_ATTACH_PARAMETERS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_FILTER_ATTACH_PARAMETERS, Flags)
#define NDIS_SIZEOF_FILTER_ATTACH_PARAMETERS_REVISION_2 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_FILTER_ATTACH_PARAMETERS, HDSplitCurrentConfig)
#define NDIS_SIZEOF_FILTER_ATTACH_PARAMETERS_REVISION_3 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_FILTER_ATTACH_PARAMETERS, NicSwitchCapabilities)
#define NDIS_SIZEOF_FILTER_ATTACH_PARAMETERS_REVISION_4 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_FILTER_ATTACH_PARAMETERS, NicSwitchArray)

_Static_assert(offsetof(NDIS_FILTER_ATTACH_PARAMETERS, NetLuid) == 8, "ATTACH.NetLuid at 8");
_Static_assert(offsetof(NDIS_FILTER_ATTACH_PARAMETERS, FilterModuleGuidName) == 16, "GuidName at 16");
_Static_assert(offsetof(NDIS_FILTER_ATTACH_PARAMETERS, XmitLinkSpeed) == 56, "ATTACH.XmitLinkSpeed at 56");
_Static_assert(offsetof(NDIS_FILTER_ATTACH_PARAMETERS, MacAddressLength) == 96, "MacAddressLength at 96");
_Static_assert(offsetof(NDIS_FILTER_ATTACH_PARAMETERS, CurrentMacAddress) == 98, "CurrentMacAddress at 98");

/* What NDIS passes to FilterPause. */
typedef struct _NDIS_FILTER_PAUSE_PARAMETERS {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_FILTER_PAUSE_PARAMETERS */
    ULONG Flags;
    ULONG PauseReason;
} NDIS_FILTER_PAUSE_PARAMETERS, *PNDIS_FILTER_PAUSE_PARAMETERS;

#define NDIS_FILTER_PAUSE_PARAMETERS_REVISION_1 1
#define NDIS_SIZEOF_FILTER_PAUSE_PARAMETERS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_FILTER_PAUSE_PARAMETERS, PauseReason)

/* What NDIS passes to FilterRestart. */
typedef struct _NDIS_FILTER_RESTART_PARAMETERS {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_FILTER_RESTART_PARAMETERS */
    NDIS_MEDIUM MiniportMediaType;
    NDIS_PHYSICAL_MEDIUM MiniportPhysicalMediaType;
    PNDIS_RESTART_ATTRIBUTES RestartAttributes;
    NET_IFINDEX LowerIfIndex;
    NET_LUID LowerIfNetLuid;
    ULONG Flags;
} NDIS_FILTER_RESTART_PARAMETERS, *PNDIS_FILTER_RESTART_PARAMETERS;

#define NDIS_FILTER_RESTART_PARAMETERS_REVISION_1 1
#define NDIS_SIZEOF_FILTER_RESTART_PARAMETERS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_FILTER_RESTART_PARAMETERS, Flags)
/* The reference page spells the size constant with a double underscore. */
#define NDIS_SIZEOF__FILTER_RESTART_PARAMETERS_REVISION_1 NDIS_SIZEOF_FILTER_RESTART_PARAMETERS_REVISION_1

_Static_assert(sizeof(NDIS_FILTER_PAUSE_PARAMETERS) == 12, "filter pause parameters are 12 bytes");
_Static_assert(offsetof(NDIS_FILTER_RESTART_PARAMETERS, RestartAttributes) == 16, "RestartAttributes at 16");
_Static_assert(offsetof(NDIS_FILTER_RESTART_PARAMETERS, LowerIfNetLuid) == 32, "LowerIfNetLuid at 32");
_Static_assert(sizeof(NDIS_FILTER_RESTART_PARAMETERS) == 48, "filter restart parameters are 48 bytes");

/* What a filter passes to NdisFSetAttributes from FilterAttach. Layout: not re-read from its page. */
typedef struct _NDIS_FILTER_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES */
    ULONG Flags;
} NDIS_FILTER_ATTRIBUTES, *PNDIS_FILTER_ATTRIBUTES;

#define NDIS_FILTER_ATTRIBUTES_REVISION_1 1
#define NDIS_SIZEOF_FILTER_ATTRIBUTES_REVISION_1 RTL_SIZEOF_THROUGH_FIELD(NDIS_FILTER_ATTRIBUTES, Flags)

/* ---- filter handlers ---- */

typedef NDIS_STATUS (FILTER_ATTACH)(NDIS_HANDLE NdisFilterHandle, NDIS_HANDLE FilterDriverContext,
                                    PNDIS_FILTER_ATTACH_PARAMETERS AttachParameters);
typedef FILTER_ATTACH(*FILTER_ATTACH_HANDLER);

typedef VOID (FILTER_DETACH)(NDIS_HANDLE FilterModuleContext);
typedef FILTER_DETACH(*FILTER_DETACH_HANDLER);

typedef NDIS_STATUS (FILTER_RESTART)(NDIS_HANDLE FilterModuleContext,
                                     PNDIS_FILTER_RESTART_PARAMETERS RestartParameters);
typedef FILTER_RESTART(*FILTER_RESTART_HANDLER);

typedef NDIS_STATUS (FILTER_PAUSE)(NDIS_HANDLE FilterModuleContext,
                                   PNDIS_FILTER_PAUSE_PARAMETERS PauseParameters);
typedef FILTER_PAUSE(*FILTER_PAUSE_HANDLER);

typedef NDIS_STATUS (FILTER_SET_MODULE_OPTIONS)(NDIS_HANDLE FilterModuleContext);
typedef FILTER_SET_MODULE_OPTIONS(*FILTER_SET_FILTER_MODULE_OPTIONS_HANDLER);

typedef NDIS_STATUS (FILTER_OID_REQUEST)(NDIS_HANDLE FilterModuleContext, PNDIS_OID_REQUEST OidRequest);
typedef FILTER_OID_REQUEST(*FILTER_OID_REQUEST_HANDLER);

typedef VOID (FILTER_CANCEL_OID_REQUEST)(NDIS_HANDLE FilterModuleContext, PVOID RequestId);
typedef FILTER_CANCEL_OID_REQUEST(*FILTER_CANCEL_OID_REQUEST_HANDLER);

typedef VOID (FILTER_OID_REQUEST_COMPLETE)(NDIS_HANDLE FilterModuleContext,
                                           PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status);
typedef FILTER_OID_REQUEST_COMPLETE(*FILTER_OID_REQUEST_COMPLETE_HANDLER);

typedef VOID (FILTER_STATUS)(NDIS_HANDLE FilterModuleContext, PNDIS_STATUS_INDICATION StatusIndication);
typedef FILTER_STATUS(*FILTER_STATUS_HANDLER);

typedef NDIS_STATUS (FILTER_NET_PNP_EVENT)(NDIS_HANDLE FilterModuleContext,
                                           PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification);
typedef FILTER_NET_PNP_EVENT(*FILTER_NET_PNP_EVENT_HANDLER);

typedef VOID (FILTER_DEVICE_PNP_EVENT_NOTIFY)(NDIS_HANDLE FilterModuleContext,
                                              PNET_DEVICE_PNP_EVENT NetDevicePnPEvent);
typedef FILTER_DEVICE_PNP_EVENT_NOTIFY(*FILTER_DEVICE_PNP_EVENT_NOTIFY_HANDLER);

typedef VOID (FILTER_SEND_NET_BUFFER_LISTS)(NDIS_HANDLE FilterModuleContext,
                                            PNET_BUFFER_LIST NetBufferList,
                                            NDIS_PORT_NUMBER PortNumber, ULONG SendFlags);
typedef FILTER_SEND_NET_BUFFER_LISTS(*FILTER_SEND_NET_BUFFER_LISTS_HANDLER);

typedef VOID (FILTER_SEND_NET_BUFFER_LISTS_COMPLETE)(NDIS_HANDLE FilterModuleContext,
                                                     PNET_BUFFER_LIST NetBufferList,
                                                     ULONG SendCompleteFlags);
typedef FILTER_SEND_NET_BUFFER_LISTS_COMPLETE(*FILTER_SEND_NET_BUFFER_LISTS_COMPLETE_HANDLER);

typedef VOID (FILTER_CANCEL_SEND_NET_BUFFER_LISTS)(NDIS_HANDLE FilterModuleContext, PVOID CancelId);
typedef FILTER_CANCEL_SEND_NET_BUFFER_LISTS(*FILTER_CANCEL_SEND_HANDLER);

typedef VOID (FILTER_RECEIVE_NET_BUFFER_LISTS)(NDIS_HANDLE FilterModuleContext,
                                               PNET_BUFFER_LIST NetBufferLists,
                                               NDIS_PORT_NUMBER PortNumber,
                                               ULONG NumberOfNetBufferLists, ULONG ReceiveFlags);
typedef FILTER_RECEIVE_NET_BUFFER_LISTS(*FILTER_RECEIVE_NET_BUFFER_LISTS_HANDLER);

typedef VOID (FILTER_RETURN_NET_BUFFER_LISTS)(NDIS_HANDLE FilterModuleContext,
                                              PNET_BUFFER_LIST NetBufferLists, ULONG ReturnFlags);
typedef FILTER_RETURN_NET_BUFFER_LISTS(*FILTER_RETURN_NET_BUFFER_LISTS_HANDLER);

typedef NDIS_STATUS (FILTER_DIRECT_OID_REQUEST)(NDIS_HANDLE FilterModuleContext,
                                                PNDIS_OID_REQUEST OidRequest);
typedef FILTER_DIRECT_OID_REQUEST(*FILTER_DIRECT_OID_REQUEST_HANDLER);

typedef VOID (FILTER_DIRECT_OID_REQUEST_COMPLETE)(NDIS_HANDLE FilterModuleContext,
                                                  PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status);
typedef FILTER_DIRECT_OID_REQUEST_COMPLETE(*FILTER_DIRECT_OID_REQUEST_COMPLETE_HANDLER);

typedef VOID (FILTER_CANCEL_DIRECT_OID_REQUEST)(NDIS_HANDLE FilterModuleContext, PVOID RequestId);
typedef FILTER_CANCEL_DIRECT_OID_REQUEST(*FILTER_CANCEL_DIRECT_OID_REQUEST_HANDLER);

/* NDIS 6.80 synchronous OID path (prototypes not re-read from their pages). */
typedef NDIS_STATUS (FILTER_SYNCHRONOUS_OID_REQUEST)(NDIS_HANDLE FilterModuleContext,
                                                     PNDIS_OID_REQUEST OidRequest, PVOID *CallContext);
typedef FILTER_SYNCHRONOUS_OID_REQUEST(*FILTER_SYNCHRONOUS_OID_REQUEST_HANDLER);

typedef VOID (FILTER_SYNCHRONOUS_OID_REQUEST_COMPLETE)(NDIS_HANDLE FilterModuleContext,
                                                       PNDIS_OID_REQUEST OidRequest,
                                                       NDIS_STATUS *Status, PVOID CallContext);
typedef FILTER_SYNCHRONOUS_OID_REQUEST_COMPLETE(*FILTER_SYNCHRONOUS_OID_REQUEST_COMPLETE_HANDLER);

typedef struct _NDIS_FILTER_DRIVER_CHARACTERISTICS {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS */
    UCHAR MajorNdisVersion;
    UCHAR MinorNdisVersion;
    UCHAR MajorDriverVersion;
    UCHAR MinorDriverVersion;
    ULONG Flags;
    NDIS_STRING FriendlyName;
    NDIS_STRING UniqueName;  /* "{GUID}", the INF's NetCfgInstanceId */
    NDIS_STRING ServiceName; /* the INF's AddService name */
    SET_OPTIONS_HANDLER SetOptionsHandler;
    FILTER_SET_FILTER_MODULE_OPTIONS_HANDLER SetFilterModuleOptionsHandler;
    FILTER_ATTACH_HANDLER AttachHandler;
    FILTER_DETACH_HANDLER DetachHandler;
    FILTER_RESTART_HANDLER RestartHandler;
    FILTER_PAUSE_HANDLER PauseHandler;
    FILTER_SEND_NET_BUFFER_LISTS_HANDLER SendNetBufferListsHandler;
    FILTER_SEND_NET_BUFFER_LISTS_COMPLETE_HANDLER SendNetBufferListsCompleteHandler;
    FILTER_CANCEL_SEND_HANDLER CancelSendNetBufferListsHandler;
    FILTER_RECEIVE_NET_BUFFER_LISTS_HANDLER ReceiveNetBufferListsHandler;
    FILTER_RETURN_NET_BUFFER_LISTS_HANDLER ReturnNetBufferListsHandler;
    FILTER_OID_REQUEST_HANDLER OidRequestHandler;
    FILTER_OID_REQUEST_COMPLETE_HANDLER OidRequestCompleteHandler;
    FILTER_CANCEL_OID_REQUEST_HANDLER CancelOidRequestHandler;
    FILTER_DEVICE_PNP_EVENT_NOTIFY_HANDLER DevicePnPEventNotifyHandler;
    FILTER_NET_PNP_EVENT_HANDLER NetPnPEventHandler;
    FILTER_STATUS_HANDLER StatusHandler;
    /* revision 2 (NDIS 6.1) */
    FILTER_DIRECT_OID_REQUEST_HANDLER DirectOidRequestHandler;
    FILTER_DIRECT_OID_REQUEST_COMPLETE_HANDLER DirectOidRequestCompleteHandler;
    FILTER_CANCEL_DIRECT_OID_REQUEST_HANDLER CancelDirectOidRequestHandler;
    /* revision 3 (NDIS 6.80) */
    FILTER_SYNCHRONOUS_OID_REQUEST_HANDLER SynchronousOidRequestHandler;
    FILTER_SYNCHRONOUS_OID_REQUEST_COMPLETE_HANDLER SynchronousOidRequestCompleteHandler;
} NDIS_FILTER_DRIVER_CHARACTERISTICS, *PNDIS_FILTER_DRIVER_CHARACTERISTICS;

/* The reference page names the revisions NDIS_FILTER_CHARACTERISTICS_REVISION_n. */
#define NDIS_FILTER_CHARACTERISTICS_REVISION_1 1
#define NDIS_FILTER_CHARACTERISTICS_REVISION_2 2
#define NDIS_FILTER_CHARACTERISTICS_REVISION_3 3
#define NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_FILTER_DRIVER_CHARACTERISTICS, StatusHandler)
#define NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_2 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_FILTER_DRIVER_CHARACTERISTICS, CancelDirectOidRequestHandler)
#define NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_3 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_FILTER_DRIVER_CHARACTERISTICS, SynchronousOidRequestCompleteHandler)

_Static_assert(offsetof(NDIS_FILTER_DRIVER_CHARACTERISTICS, FriendlyName) == 16, "FriendlyName at 16");
_Static_assert(offsetof(NDIS_FILTER_DRIVER_CHARACTERISTICS, ServiceName) == 48, "ServiceName at 48");
_Static_assert(offsetof(NDIS_FILTER_DRIVER_CHARACTERISTICS, SetOptionsHandler) == 64,
               "filter SetOptionsHandler at 64");
_Static_assert(NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_1 == 200, "filter revision 1: 200");
_Static_assert(NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_2 == 224, "filter revision 2: 224");
_Static_assert(NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_3 == 240, "filter revision 3: 240");

/* ---- filter calls ---- */

NDISBUF_API NDIS_STATUS NdisFRegisterFilterDriver(PDRIVER_OBJECT DriverObject,
                                                  NDIS_HANDLE FilterDriverContext,
                                                  PNDIS_FILTER_DRIVER_CHARACTERISTICS FilterCharacteristics,
                                                  PNDIS_HANDLE NdisFilterDriverHandle);
NDISBUF_API VOID NdisFDeregisterFilterDriver(NDIS_HANDLE NdisFilterDriverHandle);

/* From FilterAttach: names the module's context for every later handler call. */
NDISBUF_API NDIS_STATUS NdisFSetAttributes(NDIS_HANDLE NdisFilterHandle, NDIS_HANDLE FilterModuleContext,
                                           PNDIS_FILTER_ATTRIBUTES FilterAttributes);
/* Finish a FilterRestart / FilterPause that returned NDIS_STATUS_PENDING. */
NDISBUF_API VOID NdisFRestartComplete(NDIS_HANDLE NdisFilterHandle, NDIS_STATUS Status);
NDISBUF_API VOID NdisFPauseComplete(NDIS_HANDLE NdisFilterHandle);
/* Ask NDIS to pause and restart this module (FilterSetModuleOptions runs between). */
NDISBUF_API NDIS_STATUS NdisFRestartFilter(NDIS_HANDLE NdisFilterHandle);

/* Data path: pass sends down / completions up, indications up / returns down. */
NDISBUF_API VOID NdisFSendNetBufferLists(NDIS_HANDLE NdisFilterHandle, PNET_BUFFER_LIST NetBufferList,
                                         NDIS_PORT_NUMBER PortNumber, ULONG SendFlags);
NDISBUF_API VOID NdisFSendNetBufferListsComplete(NDIS_HANDLE NdisFilterHandle,
                                                 PNET_BUFFER_LIST NetBufferList,
                                                 ULONG SendCompleteFlags);
NDISBUF_API VOID NdisFIndicateReceiveNetBufferLists(NDIS_HANDLE NdisFilterHandle,
                                                    PNET_BUFFER_LIST NetBufferLists,
                                                    NDIS_PORT_NUMBER PortNumber,
                                                    ULONG NumberOfNetBufferLists, ULONG ReceiveFlags);
NDISBUF_API VOID NdisFReturnNetBufferLists(NDIS_HANDLE NdisFilterHandle,
                                           PNET_BUFFER_LIST NetBufferLists, ULONG ReturnFlags);

/* Control path. */
NDISBUF_API NDIS_STATUS NdisFOidRequest(NDIS_HANDLE NdisFilterHandle, PNDIS_OID_REQUEST OidRequest);
/* A filter forwards an OID request down as a clone, never the original. */
NDISBUF_API NDIS_STATUS NdisAllocateCloneOidRequest(NDIS_HANDLE SourceHandle, PNDIS_OID_REQUEST OidRequest,
                                                    UINT PoolTag, PNDIS_OID_REQUEST *ClonedOidRequest);
NDISBUF_API VOID NdisFreeCloneOidRequest(NDIS_HANDLE SourceHandle, PNDIS_OID_REQUEST Request);
NDISBUF_API VOID NdisFOidRequestComplete(NDIS_HANDLE NdisFilterHandle, PNDIS_OID_REQUEST OidRequest,
                                         NDIS_STATUS Status);
NDISBUF_API VOID NdisFIndicateStatus(NDIS_HANDLE NdisFilterHandle,
                                     PNDIS_STATUS_INDICATION StatusIndication);
NDISBUF_API NDIS_STATUS NdisFNetPnPEvent(NDIS_HANDLE NdisFilterHandle,
                                         PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification);

/* ====================================================================== */
/* Miniport drivers                                                        */
/* ====================================================================== */

/* Why MiniportHaltEx is called, in the documented order. */
typedef enum _NDIS_HALT_ACTION {
    NdisHaltDeviceDisabled,
    NdisHaltDeviceInstanceDeInitialized,
    NdisHaltDevicePoweredDown,
    NdisHaltDeviceSurpriseRemoved,
    NdisHaltDeviceFailed,
    NdisHaltDeviceInitializationFailed,
    NdisHaltDeviceStopped
} NDIS_HALT_ACTION, *PNDIS_HALT_ACTION;

/* Why MiniportShutdownEx is called, in the documented order. */
typedef enum _NDIS_SHUTDOWN_ACTION {
    NdisShutdownPowerOff,
    NdisShutdownBugCheck
} NDIS_SHUTDOWN_ACTION, *PNDIS_SHUTDOWN_ACTION;

/* The bus an adapter sits on (registration attributes); values: not on the reference page. */
typedef enum _NDIS_INTERFACE_TYPE {
    NdisInterfaceInternal = 0,
    NdisInterfaceIsa = 1,
    NdisInterfaceEisa = 2,
    NdisInterfaceMca = 3,
    NdisInterfaceTurboChannel = 4,
    NdisInterfacePci = 5,
    NdisInterfacePcMcia = 8,
    NdisInterfaceCBus = 9,
    NdisInterfaceMPIBus = 10,
    NdisInterfaceMPSABus = 11,
    NdisInterfaceProcessorInternal = 12,
    NdisInterfaceInternalPowerBus = 13,
    NdisInterfacePNPISABus = 14,
    NdisInterfacePNPBus = 15
} NDIS_INTERFACE_TYPE, *PNDIS_INTERFACE_TYPE;

/* NDIS_MINIPORT_DRIVER_CHARACTERISTICS.Flags; values: not on the reference page. */
#define NDIS_INTERMEDIATE_DRIVER 0x00000001
#define NDIS_WDM_DRIVER          0x00000002

/* What NDIS passes to MiniportInitializeEx. */
typedef struct _NDIS_MINIPORT_INIT_PARAMETERS {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_MINIPORT_INIT_PARAMETERS */
    ULONG Flags;
    PNDIS_RESOURCE_LIST AllocatedResources;
    NDIS_HANDLE IMDeviceInstanceContext;
    NDIS_HANDLE MiniportAddDeviceContext;
    NET_IFINDEX IfIndex;
    NET_LUID NetLuid;
    PNDIS_PORT_AUTHENTICATION_PARAMETERS DefaultPortAuthStates;
    PNDIS_PCI_DEVICE_CUSTOM_PROPERTIES PciDeviceCustomProperties;
} NDIS_MINIPORT_INIT_PARAMETERS, *PNDIS_MINIPORT_INIT_PARAMETERS;

#define NDIS_MINIPORT_INIT_PARAMETERS_REVISION_1 1
/* Spelled without the S after PARAMETER on the reference page. */
#define NDIS_SIZEOF_MINIPORT_INIT_PARAMETER_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_INIT_PARAMETERS, PciDeviceCustomProperties)

_Static_assert(offsetof(NDIS_MINIPORT_INIT_PARAMETERS, AllocatedResources) == 8, "AllocatedResources at 8");
_Static_assert(offsetof(NDIS_MINIPORT_INIT_PARAMETERS, IfIndex) == 32, "INIT.IfIndex at 32");
_Static_assert(offsetof(NDIS_MINIPORT_INIT_PARAMETERS, NetLuid) == 40, "INIT.NetLuid at 40");
_Static_assert(sizeof(NDIS_MINIPORT_INIT_PARAMETERS) == 64, "miniport init parameters are 64 bytes");

/* What NDIS passes to MiniportPause / MiniportRestart. */
typedef struct _NDIS_MINIPORT_PAUSE_PARAMETERS {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_DEFAULT */
    ULONG Flags;
    ULONG PauseReason;
} NDIS_MINIPORT_PAUSE_PARAMETERS, *PNDIS_MINIPORT_PAUSE_PARAMETERS;

#define NDIS_MINIPORT_PAUSE_PARAMETERS_REVISION_1 1
#define NDIS_SIZEOF_MINIPORT_PAUSE_PARAMETERS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_PAUSE_PARAMETERS, PauseReason)

typedef struct _NDIS_MINIPORT_RESTART_PARAMETERS {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_DEFAULT */
    PNDIS_RESTART_ATTRIBUTES RestartAttributes;
    ULONG Flags;
} NDIS_MINIPORT_RESTART_PARAMETERS, *PNDIS_MINIPORT_RESTART_PARAMETERS;

#define NDIS_MINIPORT_RESTART_PARAMETERS_REVISION_1 1
#define NDIS_SIZEOF_MINIPORT_RESTART_PARAMETERS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_RESTART_PARAMETERS, Flags)

_Static_assert(sizeof(NDIS_MINIPORT_PAUSE_PARAMETERS) == 12, "miniport pause parameters are 12 bytes");
_Static_assert(sizeof(NDIS_MINIPORT_RESTART_PARAMETERS) == 24, "miniport restart parameters are 24 bytes");

/* AttributeFlags of the registration attributes. */
#define NDIS_MINIPORT_ATTRIBUTES_HARDWARE_DEVICE                     0x00000001
#define NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM                            0x00000002
#define NDIS_MINIPORT_ATTRIBUTES_SURPRISE_REMOVE_OK                  0x00000004
#define NDIS_MINIPORT_ATTRIBUTES_NOT_CO_NDIS                         0x00000008
#define NDIS_MINIPORT_ATTRIBUTES_DO_NOT_BIND_TO_ALL_CO               0x00000010 /* value: not on the reference page */
#define NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND                  0x00000020 /* value: not on the reference page */
#define NDIS_MINIPORT_ATTRIBUTES_BUS_MASTER                          0x00000040 /* value: not on the reference page */
#define NDIS_MINIPORT_ATTRIBUTES_CONTROLS_DEFAULT_PORT               0x00000080 /* value: not on the reference page */
#define NDIS_MINIPORT_ATTRIBUTES_NO_PAUSE_ON_SUSPEND                 0x00000100 /* value: not on the reference page */
#define NDIS_MINIPORT_ATTRIBUTES_NO_OID_INTERCEPT_ON_NONDEFAULT_PORTS 0x00000200 /* value: not on the reference page */
#define NDIS_MINIPORT_ATTRIBUTES_REGISTER_BUGCHECK_CALLBACK          0x00000400 /* value: not on the reference page */

/* First attributes a miniport sets from MiniportInitializeEx. */
typedef struct _NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES */
    NDIS_HANDLE MiniportAdapterContext;
    ULONG AttributeFlags;
    UINT CheckForHangTimeInSeconds;
    NDIS_INTERFACE_TYPE InterfaceType;
} NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES, *PNDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;

/* Revision 2 (NDIS 6.30) added AttributeFlags values, not members. */
#define NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1 1
#define NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2 2
#define NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES, InterfaceType)
#define NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES, InterfaceType)

_Static_assert(offsetof(NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES, MiniportAdapterContext) == 8,
               "MiniportAdapterContext at 8");
_Static_assert(NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1 == 28,
               "registration attributes revision 1 is 28 bytes");

/* The adapter's general properties, set after the registration attributes. */
typedef struct _NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES */
    ULONG Flags;
    NDIS_MEDIUM MediaType;
    NDIS_PHYSICAL_MEDIUM PhysicalMediumType;
    ULONG MtuSize;
    ULONG64 MaxXmitLinkSpeed;
    ULONG64 XmitLinkSpeed;
    ULONG64 MaxRcvLinkSpeed;
    ULONG64 RcvLinkSpeed;
    NDIS_MEDIA_CONNECT_STATE MediaConnectState;
    NDIS_MEDIA_DUPLEX_STATE MediaDuplexState;
    ULONG LookaheadSize;
    PNDIS_PNP_CAPABILITIES PowerManagementCapabilities;
    ULONG MacOptions;
    ULONG SupportedPacketFilters;
    ULONG MaxMulticastListSize;
    USHORT MacAddressLength;
    UCHAR PermanentMacAddress[NDIS_MAX_PHYS_ADDRESS_LENGTH];
    UCHAR CurrentMacAddress[NDIS_MAX_PHYS_ADDRESS_LENGTH];
    PNDIS_RECEIVE_SCALE_CAPABILITIES RecvScaleCapabilities;
    NET_IF_ACCESS_TYPE AccessType;
    NET_IF_DIRECTION_TYPE DirectionType;
    NET_IF_CONNECTION_TYPE ConnectionType;
    NET_IFTYPE IfType;
    BOOLEAN IfConnectorPresent;
    ULONG SupportedStatistics;
    ULONG SupportedPauseFunctions; /* an NDIS_SUPPORTED_PAUSE_FUNCTIONS value */
    ULONG DataBackFillSize;
    ULONG ContextBackFillSize;
    PNDIS_OID SupportedOidList;
    ULONG SupportedOidListLength; /* bytes */
    ULONG AutoNegotiationFlags;
    /* revision 2 (NDIS 6.20) */
    PNDIS_PM_CAPABILITIES PowerManagementCapabilitiesEx;
} NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, *PNDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;

#define NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1 1
#define NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2 2
#define NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, AutoNegotiationFlags)
#define NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, PowerManagementCapabilitiesEx)

/* x64, up to the MAC addresses (the rest depends on NDIS_MAX_PHYS_ADDRESS_LENGTH). */
_Static_assert(offsetof(NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, MediaType) == 8, "GENERAL.MediaType at 8");
_Static_assert(offsetof(NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, MaxXmitLinkSpeed) == 24,
               "GENERAL.MaxXmitLinkSpeed at 24");
_Static_assert(offsetof(NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, PowerManagementCapabilities) == 72,
               "GENERAL.PowerManagementCapabilities at 72");
_Static_assert(offsetof(NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, MacAddressLength) == 92,
               "GENERAL.MacAddressLength at 92");
_Static_assert(offsetof(NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, PermanentMacAddress) == 94,
               "GENERAL.PermanentMacAddress at 94");

/*
 * The attribute structures NdisMSetMiniportAttributes accepts, told apart by
 * Header.Type. ndisbuf declares the registration and general attributes
 * only; Windows' union also holds the add-device, offload, native 802.11,
 * hardware-assist, NDK and packet-direct attributes, so its size here is not
 * Windows'. Drivers pass it by pointer to one of the member structures.
 */
typedef union _NDIS_MINIPORT_ADAPTER_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header;
    NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES RegistrationAttributes;
    NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES GeneralAttributes;
} NDIS_MINIPORT_ADAPTER_ATTRIBUTES, *PNDIS_MINIPORT_ADAPTER_ATTRIBUTES;

/* ---- miniport handlers ---- */

typedef NDIS_STATUS (MINIPORT_INITIALIZE)(NDIS_HANDLE NdisMiniportHandle, NDIS_HANDLE MiniportDriverContext,
                                          PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters);
typedef MINIPORT_INITIALIZE(*MINIPORT_INITIALIZE_HANDLER);

typedef VOID (MINIPORT_HALT)(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction);
typedef MINIPORT_HALT(*MINIPORT_HALT_HANDLER);

typedef VOID (MINIPORT_UNLOAD)(PDRIVER_OBJECT DriverObject);
typedef MINIPORT_UNLOAD(*MINIPORT_DRIVER_UNLOAD);

typedef NDIS_STATUS (MINIPORT_PAUSE)(NDIS_HANDLE MiniportAdapterContext,
                                     PNDIS_MINIPORT_PAUSE_PARAMETERS PauseParameters);
typedef MINIPORT_PAUSE(*MINIPORT_PAUSE_HANDLER);

typedef NDIS_STATUS (MINIPORT_RESTART)(NDIS_HANDLE MiniportAdapterContext,
                                       PNDIS_MINIPORT_RESTART_PARAMETERS RestartParameters);
typedef MINIPORT_RESTART(*MINIPORT_RESTART_HANDLER);

typedef NDIS_STATUS (MINIPORT_OID_REQUEST)(NDIS_HANDLE MiniportAdapterContext, PNDIS_OID_REQUEST OidRequest);
typedef MINIPORT_OID_REQUEST(*MINIPORT_OID_REQUEST_HANDLER);

typedef VOID (MINIPORT_SEND_NET_BUFFER_LISTS)(NDIS_HANDLE MiniportAdapterContext,
                                              PNET_BUFFER_LIST NetBufferList,
                                              NDIS_PORT_NUMBER PortNumber, ULONG SendFlags);
typedef MINIPORT_SEND_NET_BUFFER_LISTS(*MINIPORT_SEND_NET_BUFFER_LISTS_HANDLER);

typedef VOID (MINIPORT_RETURN_NET_BUFFER_LISTS)(NDIS_HANDLE MiniportAdapterContext,
                                                PNET_BUFFER_LIST NetBufferLists, ULONG ReturnFlags);
typedef MINIPORT_RETURN_NET_BUFFER_LISTS(*MINIPORT_RETURN_NET_BUFFER_LISTS_HANDLER);

typedef VOID (MINIPORT_CANCEL_SEND)(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId);
typedef MINIPORT_CANCEL_SEND(*MINIPORT_CANCEL_SEND_HANDLER);

typedef BOOLEAN (MINIPORT_CHECK_FOR_HANG)(NDIS_HANDLE MiniportAdapterContext);
typedef MINIPORT_CHECK_FOR_HANG(*MINIPORT_CHECK_FOR_HANG_HANDLER);

typedef NDIS_STATUS (MINIPORT_RESET)(NDIS_HANDLE MiniportAdapterContext, PBOOLEAN AddressingReset);
typedef MINIPORT_RESET(*MINIPORT_RESET_HANDLER);

typedef VOID (MINIPORT_DEVICE_PNP_EVENT_NOTIFY)(NDIS_HANDLE MiniportAdapterContext,
                                                PNET_DEVICE_PNP_EVENT NetDevicePnPEvent);
typedef MINIPORT_DEVICE_PNP_EVENT_NOTIFY(*MINIPORT_DEVICE_PNP_EVENT_NOTIFY_HANDLER);

typedef VOID (MINIPORT_SHUTDOWN)(NDIS_HANDLE MiniportAdapterContext, NDIS_SHUTDOWN_ACTION ShutdownAction);
typedef MINIPORT_SHUTDOWN(*MINIPORT_SHUTDOWN_HANDLER);

typedef VOID (MINIPORT_CANCEL_OID_REQUEST)(NDIS_HANDLE MiniportAdapterContext, PVOID RequestId);
typedef MINIPORT_CANCEL_OID_REQUEST(*MINIPORT_CANCEL_OID_REQUEST_HANDLER);

typedef NDIS_STATUS (MINIPORT_DIRECT_OID_REQUEST)(NDIS_HANDLE MiniportAdapterContext,
                                                  PNDIS_OID_REQUEST OidRequest);
typedef MINIPORT_DIRECT_OID_REQUEST(*MINIPORT_DIRECT_OID_REQUEST_HANDLER);

typedef VOID (MINIPORT_CANCEL_DIRECT_OID_REQUEST)(NDIS_HANDLE MiniportAdapterContext, PVOID RequestId);
typedef MINIPORT_CANCEL_DIRECT_OID_REQUEST(*MINIPORT_CANCEL_DIRECT_OID_REQUEST_HANDLER);

/* NDIS 6.80 (prototype not re-read from its page). */
typedef NDIS_STATUS (MINIPORT_SYNCHRONOUS_OID_REQUEST)(NDIS_HANDLE MiniportAdapterContext,
                                                       PNDIS_OID_REQUEST OidRequest);
typedef MINIPORT_SYNCHRONOUS_OID_REQUEST(*MINIPORT_SYNCHRONOUS_OID_REQUEST_HANDLER);

typedef struct _NDIS_MINIPORT_DRIVER_CHARACTERISTICS {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS */
    UCHAR MajorNdisVersion;
    UCHAR MinorNdisVersion;
    UCHAR MajorDriverVersion;
    UCHAR MinorDriverVersion;
    ULONG Flags; /* NDIS_INTERMEDIATE_DRIVER, NDIS_WDM_DRIVER */
    SET_OPTIONS_HANDLER SetOptionsHandler;
    MINIPORT_INITIALIZE_HANDLER InitializeHandlerEx;
    MINIPORT_HALT_HANDLER HaltHandlerEx;
    MINIPORT_DRIVER_UNLOAD UnloadHandler;
    MINIPORT_PAUSE_HANDLER PauseHandler;
    MINIPORT_RESTART_HANDLER RestartHandler;
    MINIPORT_OID_REQUEST_HANDLER OidRequestHandler;
    MINIPORT_SEND_NET_BUFFER_LISTS_HANDLER SendNetBufferListsHandler;
    MINIPORT_RETURN_NET_BUFFER_LISTS_HANDLER ReturnNetBufferListsHandler;
    MINIPORT_CANCEL_SEND_HANDLER CancelSendHandler;
    MINIPORT_CHECK_FOR_HANG_HANDLER CheckForHangHandlerEx;
    MINIPORT_RESET_HANDLER ResetHandlerEx;
    MINIPORT_DEVICE_PNP_EVENT_NOTIFY_HANDLER DevicePnPEventNotifyHandler;
    MINIPORT_SHUTDOWN_HANDLER ShutdownHandlerEx;
    MINIPORT_CANCEL_OID_REQUEST_HANDLER CancelOidRequestHandler;
    /* revision 2 (NDIS 6.1) */
    MINIPORT_DIRECT_OID_REQUEST_HANDLER DirectOidRequestHandler;
    MINIPORT_CANCEL_DIRECT_OID_REQUEST_HANDLER CancelDirectOidRequestHandler;
    /* revision 3 (NDIS 6.80) */
    MINIPORT_SYNCHRONOUS_OID_REQUEST_HANDLER SynchronousOidRequestHandler;
} NDIS_MINIPORT_DRIVER_CHARACTERISTICS, *PNDIS_MINIPORT_DRIVER_CHARACTERISTICS;

#define NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1 1
#define NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2 2
#define NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3 3
#define NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, CancelOidRequestHandler)
#define NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, CancelDirectOidRequestHandler)
#define NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, SynchronousOidRequestHandler)

_Static_assert(offsetof(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, SetOptionsHandler) == 16,
               "miniport SetOptionsHandler at 16");
_Static_assert(NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1 == 136, "miniport revision 1: 136");
_Static_assert(NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2 == 152, "miniport revision 2: 152");
_Static_assert(NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3 == 160, "miniport revision 3: 160");

/* ---- miniport calls ---- */

/* From DriverEntry: registers the miniport driver. */
NDISBUF_API NDIS_STATUS NdisMRegisterMiniportDriver(
    PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath, NDIS_HANDLE MiniportDriverContext,
    PNDIS_MINIPORT_DRIVER_CHARACTERISTICS MiniportDriverCharacteristics,
    PNDIS_HANDLE NdisMiniportDriverHandle);
NDISBUF_API VOID NdisMDeregisterMiniportDriver(NDIS_HANDLE NdisMiniportDriverHandle);

/* From MiniportInitializeEx: registration attributes first, then general. */
NDISBUF_API NDIS_STATUS NdisMSetMiniportAttributes(NDIS_HANDLE NdisMiniportHandle,
                                                   PNDIS_MINIPORT_ADAPTER_ATTRIBUTES MiniportAttributes);

/* Data path: complete sends up, indicate receives up. */
NDISBUF_API VOID NdisMSendNetBufferListsComplete(NDIS_HANDLE MiniportAdapterHandle,
                                                 PNET_BUFFER_LIST NetBufferLists,
                                                 ULONG SendCompleteFlags);
NDISBUF_API VOID NdisMIndicateReceiveNetBufferLists(NDIS_HANDLE MiniportAdapterHandle,
                                                    PNET_BUFFER_LIST NetBufferList,
                                                    NDIS_PORT_NUMBER PortNumber,
                                                    ULONG NumberOfNetBufferLists, ULONG ReceiveFlags);

/* Finish a MiniportPause / MiniportRestart / OID request that pended. */
NDISBUF_API VOID NdisMPauseComplete(NDIS_HANDLE MiniportAdapterHandle);
NDISBUF_API VOID NdisMRestartComplete(NDIS_HANDLE MiniportAdapterHandle, NDIS_STATUS Status);
NDISBUF_API VOID NdisMOidRequestComplete(NDIS_HANDLE MiniportAdapterHandle, PNDIS_OID_REQUEST OidRequest,
                                         NDIS_STATUS Status);
/* Report a status change (link state, ...) up the stack. */
NDISBUF_API VOID NdisMIndicateStatusEx(NDIS_HANDLE MiniportAdapterHandle,
                                       PNDIS_STATUS_INDICATION StatusIndication);

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_NDIS_DRIVER_H */
