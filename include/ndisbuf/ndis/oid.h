/* SPDX-License-Identifier: MIT */
/*
 * OID requests and the adapter properties they carry.
 *
 * An overlying driver queries or sets an adapter property by sending an
 * NDIS_OID_REQUEST down the stack (NdisOidRequest, NdisFOidRequest); each
 * filter may act on it or pass it on, and the miniport completes it. The
 * property is named by a 32-bit NDIS_OID; its data travels in the request's
 * DATA union. This header holds the request, the OID numbers a binding stack
 * needs, and the types those OIDs and the driver attribute structures
 * describe an adapter with: medium, physical medium, link state, packet
 * filter bits and MAC options.
 *
 * Values that Microsoft's reference pages do not give are marked
 * "value: not on the reference page"; they are the values drivers are built
 * with as far as ndisbuf knows.
 */
#ifndef NDISBUF_NDIS_OID_H
#define NDISBUF_NDIS_OID_H

#include "base.h"
#include "types.h"
#include "status.h"
#include "object.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- identifiers ---- */
typedef ULONG NDIS_OID, *PNDIS_OID;

/* Miniport adapter port; 0 is the default port of every adapter. */
typedef ULONG NDIS_PORT_NUMBER, *PNDIS_PORT_NUMBER;
#define NDIS_DEFAULT_PORT_NUMBER ((NDIS_PORT_NUMBER)0)

typedef ULONG NDIS_NIC_SWITCH_ID, *PNDIS_NIC_SWITCH_ID;             /* width: not on the reference page */
typedef ULONG NDIS_NIC_SWITCH_VPORT_ID, *PNDIS_NIC_SWITCH_VPORT_ID; /* width: not on the reference page */

/* Capacity of the MAC address arrays in attribute and parameter structures. */
#define NDIS_MAX_PHYS_ADDRESS_LENGTH 32 /* value: not on the reference page */

/* ---- medium ---- */
/* The medium an adapter presents to the drivers above it (ntddndis.h order). */
typedef enum _NDIS_MEDIUM {
    NdisMedium802_3,
    NdisMedium802_5,
    NdisMediumFddi,
    NdisMediumWan,
    NdisMediumLocalTalk,
    NdisMediumDix,
    NdisMediumArcnetRaw,
    NdisMediumArcnet878_2,
    NdisMediumAtm,
    NdisMediumWirelessWan,
    NdisMediumIrda,
    NdisMediumBpc,
    NdisMediumCoWan,
    NdisMedium1394,
    NdisMediumInfiniBand,
    NdisMediumTunnel,
    NdisMediumNative802_11,
    NdisMediumLoopback,
    NdisMediumWiMAX,
    NdisMediumIP,
    NdisMediumMax
} NDIS_MEDIUM, *PNDIS_MEDIUM;

/*
 * The physical medium underneath. Unspecified (0), WirelessLan (1),
 * WirelessWan (8) and 802_3 (14) are confirmed by value; the members in
 * between follow the documented order, the ones after 802_3 are
 * value: not on the reference page.
 */
typedef enum _NDIS_PHYSICAL_MEDIUM {
    NdisPhysicalMediumUnspecified = 0,
    NdisPhysicalMediumWirelessLan = 1,
    NdisPhysicalMediumCableModem = 2,
    NdisPhysicalMediumPhoneLine = 3,
    NdisPhysicalMediumPowerLine = 4,
    NdisPhysicalMediumDSL = 5,
    NdisPhysicalMediumFibreChannel = 6,
    NdisPhysicalMedium1394 = 7,
    NdisPhysicalMediumWirelessWan = 8,
    NdisPhysicalMediumNative802_11 = 9,
    NdisPhysicalMediumBluetooth = 10,
    NdisPhysicalMediumInfiniband = 11,
    NdisPhysicalMediumWiMax = 12,
    NdisPhysicalMediumUWB = 13,
    NdisPhysicalMedium802_3 = 14,
    NdisPhysicalMedium802_5 = 15,
    NdisPhysicalMediumIrda = 16,
    NdisPhysicalMediumWiredWAN = 17,
    NdisPhysicalMediumWiredCoWan = 18,
    NdisPhysicalMediumOther = 19,
    NdisPhysicalMediumNative802_15_4 = 20,
    NdisPhysicalMediumMax
} NDIS_PHYSICAL_MEDIUM, *PNDIS_PHYSICAL_MEDIUM;

/* ---- link ---- */
typedef NET_IF_MEDIA_CONNECT_STATE NDIS_MEDIA_CONNECT_STATE, *PNDIS_MEDIA_CONNECT_STATE;
typedef NET_IF_MEDIA_DUPLEX_STATE NDIS_MEDIA_DUPLEX_STATE, *PNDIS_MEDIA_DUPLEX_STATE;

/* Link speed reported when the speed is not known. */
#define NDIS_LINK_SPEED_UNKNOWN ((ULONG64)-1) /* value: not on the reference page */

/* IEEE 802.3 pause-frame support, in the documented order. */
typedef enum _NDIS_SUPPORTED_PAUSE_FUNCTIONS {
    NdisPauseFunctionsUnsupported,
    NdisPauseFunctionsSendOnly,
    NdisPauseFunctionsReceiveOnly,
    NdisPauseFunctionsSendAndReceive,
    NdisPauseFunctionsUnknown
} NDIS_SUPPORTED_PAUSE_FUNCTIONS, *PNDIS_SUPPORTED_PAUSE_FUNCTIONS;

/* AutoNegotiationFlags bits (general attributes, NDIS_LINK_STATE). */
#define NDIS_LINK_STATE_XMIT_LINK_SPEED_AUTO_NEGOTIATED 0x00000001 /* value: not on the reference page */
#define NDIS_LINK_STATE_RCV_LINK_SPEED_AUTO_NEGOTIATED  0x00000002 /* value: not on the reference page */
#define NDIS_LINK_STATE_DUPLEX_AUTO_NEGOTIATED          0x00000004 /* value: not on the reference page */
#define NDIS_LINK_STATE_PAUSE_FUNCTIONS_AUTO_NEGOTIATED 0x00000008 /* value: not on the reference page */

/* The link state (OID_GEN_LINK_STATE). Layout: not re-read from its page. */
typedef struct _NDIS_LINK_STATE {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_DEFAULT, revision 1 */
    NDIS_MEDIA_CONNECT_STATE MediaConnectState;
    NDIS_MEDIA_DUPLEX_STATE MediaDuplexState;
    ULONG64 XmitLinkSpeed;
    ULONG64 RcvLinkSpeed;
    NDIS_SUPPORTED_PAUSE_FUNCTIONS PauseFunctions;
    ULONG AutoNegotiationFlags;
} NDIS_LINK_STATE, *PNDIS_LINK_STATE;

#define NDIS_LINK_STATE_REVISION_1 1
#define NDIS_SIZEOF_LINK_STATE_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_LINK_STATE, AutoNegotiationFlags)

/* Device power states (OID_PNP_SET_POWER, NDIS_PM_CAPABILITIES), as on the ntddndis page. */
typedef enum _NDIS_DEVICE_POWER_STATE {
    NdisDeviceStateUnspecified,
    NdisDeviceStateD0,
    NdisDeviceStateD1,
    NdisDeviceStateD2,
    NdisDeviceStateD3,
    NdisDeviceStateMaximum
} NDIS_DEVICE_POWER_STATE, *PNDIS_DEVICE_POWER_STATE;

/* OID_GEN_MEDIA_CONNECT_STATUS (NDIS 5 style) and OID_GEN_HARDWARE_STATUS. */
typedef enum _NDIS_MEDIA_STATE {
    NdisMediaStateConnected,    /* value: not on the reference page */
    NdisMediaStateDisconnected
} NDIS_MEDIA_STATE, *PNDIS_MEDIA_STATE;

typedef enum _NDIS_HARDWARE_STATUS {
    NdisHardwareStatusReady,    /* value: not on the reference page */
    NdisHardwareStatusInitializing,
    NdisHardwareStatusReset,
    NdisHardwareStatusClosing,
    NdisHardwareStatusNotReady
} NDIS_HARDWARE_STATUS, *PNDIS_HARDWARE_STATUS;

/* ---- packet filter bits (OID_GEN_CURRENT_PACKET_FILTER) ---- */
/* values: not on the reference page */
#define NDIS_PACKET_TYPE_DIRECTED       0x00000001
#define NDIS_PACKET_TYPE_MULTICAST      0x00000002
#define NDIS_PACKET_TYPE_ALL_MULTICAST  0x00000004
#define NDIS_PACKET_TYPE_BROADCAST      0x00000008
#define NDIS_PACKET_TYPE_SOURCE_ROUTING 0x00000010
#define NDIS_PACKET_TYPE_PROMISCUOUS    0x00000020
#define NDIS_PACKET_TYPE_SMT            0x00000040
#define NDIS_PACKET_TYPE_ALL_LOCAL      0x00000080
#define NDIS_PACKET_TYPE_GROUP          0x00001000
#define NDIS_PACKET_TYPE_ALL_FUNCTIONAL 0x00002000
#define NDIS_PACKET_TYPE_FUNCTIONAL     0x00004000
#define NDIS_PACKET_TYPE_MAC_FRAME      0x00008000
#define NDIS_PACKET_TYPE_NO_LOCAL       0x00010000

/* ---- MAC options (OID_GEN_MAC_OPTIONS, MacOptions members) ---- */
/* values: not on the reference page */
#define NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA             0x00000001
#define NDIS_MAC_OPTION_RECEIVE_SERIALIZED              0x00000002
#define NDIS_MAC_OPTION_TRANSFERS_NOT_PEND              0x00000004
#define NDIS_MAC_OPTION_NO_LOOPBACK                     0x00000008
#define NDIS_MAC_OPTION_FULL_DUPLEX                     0x00000010
#define NDIS_MAC_OPTION_EOTX_INDICATION                 0x00000020
#define NDIS_MAC_OPTION_8021P_PRIORITY                  0x00000040
#define NDIS_MAC_OPTION_SUPPORTS_MAC_ADDRESS_OVERWRITE  0x00000080
#define NDIS_MAC_OPTION_RECEIVE_AT_DPC                  0x00000100
#define NDIS_MAC_OPTION_8021Q_VLAN                      0x00000200
#define NDIS_MAC_OPTION_RESERVED                        0x80000000

/* ---- OIDs ---- */
/*
 * The general OIDs live in 0x0001xxxx (operational) and 0x0002xxxx
 * (statistics), the 802.3 ones in 0x0101xxxx. Only
 * OID_GEN_MINIPORT_RESTART_ATTRIBUTES was confirmed by value; the others are
 * value: not on the reference page.
 */
#define OID_GEN_SUPPORTED_LIST              0x00010101
#define OID_GEN_HARDWARE_STATUS             0x00010102
#define OID_GEN_MEDIA_SUPPORTED             0x00010103
#define OID_GEN_MEDIA_IN_USE                0x00010104
#define OID_GEN_MAXIMUM_LOOKAHEAD           0x00010105
#define OID_GEN_MAXIMUM_FRAME_SIZE          0x00010106
#define OID_GEN_LINK_SPEED                  0x00010107
#define OID_GEN_TRANSMIT_BUFFER_SPACE       0x00010108
#define OID_GEN_RECEIVE_BUFFER_SPACE        0x00010109
#define OID_GEN_TRANSMIT_BLOCK_SIZE         0x0001010A
#define OID_GEN_RECEIVE_BLOCK_SIZE          0x0001010B
#define OID_GEN_VENDOR_ID                   0x0001010C
#define OID_GEN_VENDOR_DESCRIPTION          0x0001010D
#define OID_GEN_CURRENT_PACKET_FILTER       0x0001010E
#define OID_GEN_CURRENT_LOOKAHEAD           0x0001010F
#define OID_GEN_DRIVER_VERSION              0x00010110
#define OID_GEN_MAXIMUM_TOTAL_SIZE          0x00010111
#define OID_GEN_MAC_OPTIONS                 0x00010113
#define OID_GEN_MEDIA_CONNECT_STATUS        0x00010114
#define OID_GEN_MAXIMUM_SEND_PACKETS        0x00010115
#define OID_GEN_VENDOR_DRIVER_VERSION       0x00010116
#define OID_GEN_PHYSICAL_MEDIUM             0x00010202
#define OID_GEN_MAX_LINK_SPEED              0x00010206
#define OID_GEN_LINK_STATE                  0x00010207
#define OID_GEN_MINIPORT_RESTART_ATTRIBUTES 0x0001021D /* confirmed: 66077 */

#define OID_GEN_XMIT_OK                     0x00020101
#define OID_GEN_RCV_OK                      0x00020102
#define OID_GEN_XMIT_ERROR                  0x00020103
#define OID_GEN_RCV_ERROR                   0x00020104
#define OID_GEN_RCV_NO_BUFFER               0x00020105
#define OID_GEN_STATISTICS                  0x00020106

#define OID_802_3_PERMANENT_ADDRESS         0x01010101
#define OID_802_3_CURRENT_ADDRESS           0x01010102
#define OID_802_3_MULTICAST_LIST            0x01010103
#define OID_802_3_MAXIMUM_LIST_SIZE         0x01010104

/*
 * The NDIS 5 802.11 OIDs (OID_802_11_*), which protocols such as ndisprot
 * still list: confirmed through Microsoft's metadata for BSSID (0x0D010101),
 * SSID, BSSID_LIST and BSSID_LIST_SCAN; the others follow the same
 * numbering (0x0D01xxxx mandatory, 0x0D02xxxx statistics). ndisbuf passes
 * them through like any OID; no miniport of its own answers them.
 */
#define OID_802_11_BSSID                    0x0D010101
#define OID_802_11_SSID                     0x0D010102
#define OID_802_11_INFRASTRUCTURE_MODE      0x0D010108
#define OID_802_11_ADD_WEP                  0x0D010113
#define OID_802_11_REMOVE_WEP               0x0D010114
#define OID_802_11_DISASSOCIATE             0x0D010115
#define OID_802_11_AUTHENTICATION_MODE      0x0D010118
#define OID_802_11_BSSID_LIST_SCAN          0x0D01011A
#define OID_802_11_WEP_STATUS               0x0D01011B
#define OID_802_11_RELOAD_DEFAULTS          0x0D01011C
#define OID_802_11_NETWORK_TYPE_IN_USE      0x0D010204
#define OID_802_11_RSSI                     0x0D010206
#define OID_802_11_SUPPORTED_RATES          0x0D01020E
#define OID_802_11_CONFIGURATION            0x0D010211
#define OID_802_11_POWER_MODE               0x0D010216
#define OID_802_11_BSSID_LIST               0x0D010217
#define OID_802_11_STATISTICS               0x0D020212

/* EtherTypes for NDIS_OPEN_PARAMETERS.FrameTypeArray, in host order. */
#define NDIS_ETH_TYPE_IPV4   0x0800
#define NDIS_ETH_TYPE_ARP    0x0806
#define NDIS_ETH_TYPE_IPV6   0x86dd
#define NDIS_ETH_TYPE_802_1X 0x888e
#define NDIS_ETH_TYPE_802_1Q 0x8100

/* ---- the request ---- */
/* values: not on the reference page (the order is NDIS 5's, Method last). */
typedef enum _NDIS_REQUEST_TYPE {
    NdisRequestQueryInformation,
    NdisRequestSetInformation,
    NdisRequestQueryStatistics,
    NdisRequestOpen,
    NdisRequestClose,
    NdisRequestSend,
    NdisRequestTransferData,
    NdisRequestReset,
    NdisRequestGeneric1,
    NdisRequestGeneric2,
    NdisRequestGeneric3,
    NdisRequestGeneric4,
    NdisRequestMethod
} NDIS_REQUEST_TYPE, *PNDIS_REQUEST_TYPE;

#define NDIS_OID_REQUEST_NDIS_RESERVED_SIZE 16 /* value: not on the reference page */

typedef struct _NDIS_OID_REQUEST {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_OID_REQUEST */
    NDIS_REQUEST_TYPE RequestType;
    NDIS_PORT_NUMBER PortNumber;
    UINT Timeout;        /* seconds */
    PVOID RequestId;     /* the requester's; used to cancel */
    NDIS_HANDLE RequestHandle;
    union {
        NDIS_OID Oid; /* every view starts with the OID */
        struct {
            NDIS_OID Oid;
            PVOID InformationBuffer;
            UINT InformationBufferLength;
            UINT BytesWritten;
            UINT BytesNeeded;
        } QUERY_INFORMATION;
        struct {
            NDIS_OID Oid;
            PVOID InformationBuffer;
            UINT InformationBufferLength;
            UINT BytesRead;
            UINT BytesNeeded;
        } SET_INFORMATION;
        struct {
            NDIS_OID Oid;
            PVOID InformationBuffer;
            ULONG InputBufferLength;
            ULONG OutputBufferLength;
            ULONG MethodId;
            UINT BytesWritten;
            UINT BytesRead;
            UINT BytesNeeded;
        } METHOD_INFORMATION;
    } DATA;
    UCHAR NdisReserved[NDIS_OID_REQUEST_NDIS_RESERVED_SIZE * sizeof(PVOID)];
    UCHAR MiniportReserved[2 * sizeof(PVOID)];
    UCHAR SourceReserved[2 * sizeof(PVOID)];
    UCHAR SupportedRevision;
    UCHAR Reserved1;
    USHORT Reserved2;
    /* revision 2 (NDIS 6.50) */
    NDIS_NIC_SWITCH_ID SwitchId;
    NDIS_NIC_SWITCH_VPORT_ID VPortId;
    ULONG Flags;
} NDIS_OID_REQUEST, *PNDIS_OID_REQUEST;

#define NDIS_OID_REQUEST_REVISION_1 1
#define NDIS_OID_REQUEST_REVISION_2 2
#define NDIS_SIZEOF_OID_REQUEST_REVISION_1 RTL_SIZEOF_THROUGH_FIELD(NDIS_OID_REQUEST, Reserved2)
#define NDIS_SIZEOF_OID_REQUEST_REVISION_2 RTL_SIZEOF_THROUGH_FIELD(NDIS_OID_REQUEST, Flags)

/*
 * x64: Header 0, RequestType 4, PortNumber 8, Timeout 12, RequestId 16,
 * RequestHandle 24, DATA 32 (40 bytes: the method view is the largest),
 * NdisReserved 72. The rest depends on NDIS_OID_REQUEST_NDIS_RESERVED_SIZE.
 */
_Static_assert(offsetof(NDIS_OID_REQUEST, RequestType) == 4, "OID_REQUEST.RequestType at 4");
_Static_assert(offsetof(NDIS_OID_REQUEST, PortNumber) == 8, "OID_REQUEST.PortNumber at 8");
_Static_assert(offsetof(NDIS_OID_REQUEST, RequestId) == 16, "OID_REQUEST.RequestId at 16");
_Static_assert(offsetof(NDIS_OID_REQUEST, RequestHandle) == 24, "OID_REQUEST.RequestHandle at 24");
_Static_assert(offsetof(NDIS_OID_REQUEST, DATA) == 32, "OID_REQUEST.DATA at 32");
_Static_assert(RTL_FIELD_SIZE(NDIS_OID_REQUEST, DATA) == 40, "OID_REQUEST.DATA is 40 bytes");
_Static_assert(offsetof(NDIS_OID_REQUEST, DATA.QUERY_INFORMATION.InformationBuffer) == 40,
               "query buffer 8 bytes into DATA");
_Static_assert(offsetof(NDIS_OID_REQUEST, NdisReserved) == 72, "OID_REQUEST.NdisReserved at 72");
_Static_assert(sizeof(NDIS_MEDIUM) == 4 && sizeof(NDIS_REQUEST_TYPE) == 4, "enums are 32 bits");

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_NDIS_OID_H */
