/* SPDX-License-Identifier: MIT */
/*
 * Out-of-band information of a NET_BUFFER_LIST, and its NblFlags and Flags.
 *
 * Every NBL carries an array of pointer-sized slots, NetBufferListInfo,
 * indexed by NDIS_NET_BUFFER_LIST_INFO. A slot holds whatever its id says:
 * a pointer to a driver-owned structure, an integer stored through
 * ULONG_PTR, or a small bit-field structure overlaid on the PVOID (the
 * checksum and 802.1Q unions below). Some ids are aliases that share a
 * slot because their uses never meet on one NBL (checksum request on send
 * versus chimney byte count on completion, and so on).
 *
 * The accessors are macros taking an NBL pointer, so this header does not
 * need the NET_BUFFER_LIST definition; nbl.h includes it to size the
 * array. NET_BUFFER_LIST_INFO is an lvalue. The hash setters and getters
 * read their NBL argument more than once: pass a plain pointer, not an
 * expression with side effects.
 *
 * Slot numbering is the x64 numbering.
 */
#ifndef NDISBUF_NDIS_NBLINFO_H
#define NDISBUF_NDIS_NBLINFO_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Ids of the NetBufferListInfo slots, in the order the enumeration page
 * lists them. Ids 0..12 and their aliases are the NDIS 6.0 set, whose
 * values the documentation states outright. For the later ids the
 * documentation gives names and order but not values, nor which of them
 * share a slot; the sharing below is ndisbuf's decision, made so that the
 * slot count is the 27 of the x64 layout (see the comment in the enum).
 */
typedef enum _NDIS_NET_BUFFER_LIST_INFO {
    TcpIpChecksumNetBufferListInfo,
    TcpOffloadBytesTransferred = TcpIpChecksumNetBufferListInfo,
    IPsecOffloadV1NetBufferListInfo,
    IPsecOffloadV2NetBufferListInfo = IPsecOffloadV1NetBufferListInfo,
    TcpLargeSendNetBufferListInfo,
    TcpReceiveNoPush = TcpLargeSendNetBufferListInfo,
    ClassificationHandleNetBufferListInfo,
    Ieee8021QNetBufferListInfo,
    NetBufferListCancelId,
    MediaSpecificInformation,
    NetBufferListFrameType,
    NetBufferListProtocolId = NetBufferListFrameType,
    NetBufferListHashValue,
    NetBufferListHashInfo,
    WfpNetBufferListInfo,
    IPsecOffloadV2TunnelNetBufferListInfo,
    IPsecOffloadV2HeaderNetBufferListInfo,
    /*
     * Later NDIS versions. The enumeration page gives the order of these
     * names but not their values. ndisbuf decision (ndis-semantics.md §1:
     * 27 slots, sizeof(NET_BUFFER_LIST) == 368 on x64): five of them share a
     * slot with a name whose information can never be present on the same
     * NBL at the same time: a reauthorisation flow context with the original
     * interface index (same WFP reinjection path), receive coalescing info
     * for TCP and UDP with IMReserved, the TCP send supplement with the RSC
     * timestamp delta (one is send, the other receive), and UDP segmentation
     * with TCP large send (one NBL is segmented one way).
     */
    NetBufferListCorrelationId,
    NetBufferListFilteringInfo,
    MediaSpecificInformationEx,
    NblOriginalInterfaceIfIndex,
    NblReAuthWfpFlowContext = NblOriginalInterfaceIfIndex,
    TcpReceiveBytesTransferred,
    NrtNameResolutionId,
    SwitchForwardingReserved,
    SwitchForwardingDetail,
    VirtualSubnetInfo,
    IMReserved,
    TcpRecvSegCoalesceInfo = IMReserved,
    UdpRecvSegCoalesceOffloadInfo = IMReserved,
    UdpSegmentationOffloadInfo = TcpLargeSendNetBufferListInfo,
    RscTcpTimestampDelta = IMReserved + 1,
    TcpSendOffloadsSupplementalNetBufferListInfo = RscTcpTimestampDelta,
    GftOffloadInformation,
    GftFlowEntryId,
    NetBufferListInfoReserved3,
    MaxNetBufferListInfo
} NDIS_NET_BUFFER_LIST_INFO, *PNDIS_NET_BUFFER_LIST_INFO;
_Static_assert(MaxNetBufferListInfo == 27, "27 info slots on x64 (ndis-semantics.md section 1)");

/* Reads or writes one slot; usable on either side of an assignment. */
#define NET_BUFFER_LIST_INFO(_NBL, _Id) ((_NBL)->NetBufferListInfo[(_Id)])

/* ---- NblFlags values ---- */
#define NDIS_NBL_FLAGS_SEND_READ_ONLY                0x00000001
#define NDIS_NBL_FLAGS_RECV_READ_ONLY                0x00000002
#define NDIS_NBL_FLAGS_HD_SPLIT                      0x00000100
#define NDIS_NBL_FLAGS_IS_IPV4                       0x00000200
#define NDIS_NBL_FLAGS_IS_IPV6                       0x00000400
#define NDIS_NBL_FLAGS_IS_TCP                        0x00000800
#define NDIS_NBL_FLAGS_IS_UDP                        0x00001000
#define NDIS_NBL_FLAGS_IS_LOOPBACK_PACKET            0x00008000
#define NDIS_NBL_FLAGS_CAPTURE_TIMESTAMP_ON_TRANSMIT 0x00010000
/*
 * The NET_BUFFER_LIST page also names NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_-
 * PROTOCOL_HEADER and ..._PAYLOAD (header-data split) but no public page we
 * found gives their values, so they are not defined here.
 */

/* NblFlags accessors. The tests evaluate to 1 or 0. */
#define NdisSetNblFlag(_NBL, _F)   ((_NBL)->NblFlags |= (ULONG)(_F))
#define NdisClearNblFlag(_NBL, _F) ((_NBL)->NblFlags &= ~(ULONG)(_F))
#define NdisTestNblFlag(_NBL, _F)  (((_NBL)->NblFlags & (ULONG)(_F)) != 0)
#define NdisTestNblFlags(_NBL, _F) \
    (((_NBL)->NblFlags & (ULONG)(_F)) == (ULONG)(_F))

/*
 * ---- Flags member: who owns which bits ----
 * Protocol drivers own the top 12 bits; from NDIS 6.30 they may also use
 * bits 0-1 (NBL_PROT_RSVD_FLAGS is the union of the two). The scratch
 * nibble belongs to the NBL's current owner.
 */
#define NBL_FLAGS_PROTOCOL_RESERVED 0xFFF00000U
#define NBL_FLAGS_MINIPORT_RESERVED 0x0000F000U
#define NBL_FLAGS_SCRATCH           0x000F0000U
#define NBL_FLAGS_NDIS_RESERVED     0x00000FFFU
#define NBL_PROT_RSVD_FLAGS         0xFFF00003U

/* A protocol's own bits of Flags (within NBL_PROT_RSVD_FLAGS): set, clear, test (non-zero when any is set). */
#define NBL_SET_PROT_RSVD_FLAG(_NBL, _F)   ((_NBL)->Flags |= (ULONG)(_F))
#define NBL_CLEAR_PROT_RSVD_FLAG(_NBL, _F) ((_NBL)->Flags &= ~(ULONG)(_F))
#define NBL_TEST_PROT_RSVD_FLAG(_NBL, _F)  ((_NBL)->Flags & (ULONG)(_F))

/*
 * ---- cancel id (NetBufferListCancelId slot) ----
 * The enumeration page says the slot holds a ULONG_PTR, whose high-order
 * byte comes from NdisGeneratePartialCancelId. The setter takes the
 * documented ULONG or any pointer-sized value. The getter returns the
 * stored PVOID, the type NdisCancelSendNetBufferLists takes (the macro's
 * page says "a ULONG value"; cast with (ULONG)(ULONG_PTR) for that form).
 */
#define NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(_NBL, _CancelId) \
    (NET_BUFFER_LIST_INFO((_NBL), NetBufferListCancelId) =  \
         (PVOID)(ULONG_PTR)(_CancelId))
#define NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(_NBL) \
    (NET_BUFFER_LIST_INFO((_NBL), NetBufferListCancelId))

/*
 * ---- RSS hash: value, type and function ----
 * NetBufferListHashValue holds the 32-bit hash value. NetBufferListHashInfo
 * holds a ULONG "hash information": the hash function in the low byte and
 * the hash type flags in bits 8-23, the same packing as the HashInformation
 * member of NDIS_RECEIVE_SCALE_PARAMETERS.
 */
#define NDIS_HASH_FUNCTION_MASK   0x000000FFU
#define NDIS_HASH_TYPE_MASK       0x00FFFF00U

#define NdisHashFunctionToeplitz  0x00000001U
#define NdisHashFunctionReserved1 0x00000002U
#define NdisHashFunctionReserved2 0x00000004U
#define NdisHashFunctionReserved3 0x00000008U

#define NDIS_HASH_IPV4            0x00000100U
#define NDIS_HASH_TCP_IPV4        0x00000200U
#define NDIS_HASH_IPV6            0x00000400U
#define NDIS_HASH_IPV6_EX         0x00000800U
#define NDIS_HASH_TCP_IPV6        0x00001000U
#define NDIS_HASH_TCP_IPV6_EX     0x00002000U
#define NDIS_HASH_UDP_IPV4        0x00004000U
#define NDIS_HASH_UDP_IPV6        0x00008000U
#define NDIS_HASH_UDP_IPV6_EX     0x00010000U

#define NDIS_RSS_HASH_FUNC_FROM_HASH_INFO(_HashInfo) \
    ((ULONG)(_HashInfo) & NDIS_HASH_FUNCTION_MASK)
#define NDIS_RSS_HASH_TYPE_FROM_HASH_INFO(_HashInfo) \
    ((ULONG)(_HashInfo) & NDIS_HASH_TYPE_MASK)
#define NDIS_RSS_HASH_INFO_FROM_TYPE_AND_FUNC(_HashType, _HashFunction) \
    ((ULONG)(_HashType) | (ULONG)(_HashFunction))

/* The NetBufferListHashInfo slot read back as its ULONG. */
#define NDISBUF_NBL_HASH_INFO(_NBL) \
    ((ULONG)(ULONG_PTR)NET_BUFFER_LIST_INFO((_NBL), NetBufferListHashInfo))

#define NET_BUFFER_LIST_GET_HASH_VALUE(_NBL) \
    ((ULONG)(ULONG_PTR)NET_BUFFER_LIST_INFO((_NBL), NetBufferListHashValue))
#define NET_BUFFER_LIST_SET_HASH_VALUE(_NBL, _HashValue)           \
    ((void)(NET_BUFFER_LIST_INFO((_NBL), NetBufferListHashValue) = \
                (PVOID)(ULONG_PTR)(ULONG)(_HashValue)))

#define NET_BUFFER_LIST_GET_HASH_TYPE(_NBL) \
    NDIS_RSS_HASH_TYPE_FROM_HASH_INFO(NDISBUF_NBL_HASH_INFO(_NBL))
#define NET_BUFFER_LIST_GET_HASH_FUNCTION(_NBL) \
    NDIS_RSS_HASH_FUNC_FROM_HASH_INFO(NDISBUF_NBL_HASH_INFO(_NBL))

/* Each setter replaces its own field and keeps the other. */
#define NET_BUFFER_LIST_SET_HASH_TYPE(_NBL, _HashType)                   \
    ((void)(NET_BUFFER_LIST_INFO((_NBL), NetBufferListHashInfo) =       \
                (PVOID)(ULONG_PTR)((NDISBUF_NBL_HASH_INFO(_NBL) &       \
                                    ~NDIS_HASH_TYPE_MASK) |             \
                                   ((ULONG)(_HashType) & NDIS_HASH_TYPE_MASK))))
#define NET_BUFFER_LIST_SET_HASH_FUNCTION(_NBL, _HashFunction)           \
    ((void)(NET_BUFFER_LIST_INFO((_NBL), NetBufferListHashInfo) =       \
                (PVOID)(ULONG_PTR)((NDISBUF_NBL_HASH_INFO(_NBL) &       \
                                    ~NDIS_HASH_FUNCTION_MASK) |         \
                                   ((ULONG)(_HashFunction) &            \
                                    NDIS_HASH_FUNCTION_MASK))))

/*
 * ---- TcpIpChecksumNetBufferListInfo slot ----
 * Transmit: what the stack asks the NIC to compute. Receive: what the NIC
 * found. Value is the slot as stored, for NET_BUFFER_LIST_INFO.
 */
typedef struct _NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO {
    union {
        struct {
            ULONG IsIPv4 : 1;
            ULONG IsIPv6 : 1;
            ULONG TcpChecksum : 1;
            ULONG UdpChecksum : 1;
            ULONG IpHeaderChecksum : 1;
            ULONG Reserved : 11;
            ULONG TcpHeaderOffset : 10;
        } Transmit;
        struct {
            ULONG TcpChecksumFailed : 1;
            ULONG UdpChecksumFailed : 1;
            ULONG IpChecksumFailed : 1;
            ULONG TcpChecksumSucceeded : 1;
            ULONG UdpChecksumSucceeded : 1;
            ULONG IpChecksumSucceeded : 1;
            ULONG Loopback : 1;
            ULONG TcpChecksumValueInvalid : 1;
            ULONG IpChecksumValueInvalid : 1;
        } Receive;
        PVOID Value;
    };
} NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO,
    *PNDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO;

/*
 * ---- TcpLargeSendNetBufferListInfo slot ----
 * LSOv1 and LSOv2: MSS and TCP header offset on the way down, and on
 * completion the payload byte count (v1) or a zeroed Reserved (v2). Type
 * sits in bit 30 of every view, so Transmit.Type tells which view applies.
 */
#define NDIS_TCP_LARGE_SEND_OFFLOAD_V1_TYPE 0
#define NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE 1
#define NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4    0
#define NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6    1

typedef struct _NDIS_TCP_LARGE_SEND_OFFLOAD_NET_BUFFER_LIST_INFO {
    union {
        struct {
            ULONG Unused : 30;
            ULONG Type : 1;
            ULONG Reserved2 : 1;
        } Transmit;
        struct {
            ULONG MSS : 20;
            ULONG TcpHeaderOffset : 10;
            ULONG Type : 1;
            ULONG Reserved2 : 1;
        } LsoV1Transmit;
        struct {
            ULONG TcpPayload : 30;
            ULONG Type : 1;
            ULONG Reserved2 : 1;
        } LsoV1TransmitComplete;
        struct {
            ULONG MSS : 20;
            ULONG TcpHeaderOffset : 10;
            ULONG Type : 1;
            ULONG IPVersion : 1;
        } LsoV2Transmit;
        struct {
            ULONG Reserved : 30;
            ULONG Type : 1;
            ULONG Reserved2 : 1;
        } LsoV2TransmitComplete;
        PVOID Value;
    };
} NDIS_TCP_LARGE_SEND_OFFLOAD_NET_BUFFER_LIST_INFO,
    *PNDIS_TCP_LARGE_SEND_OFFLOAD_NET_BUFFER_LIST_INFO;

/*
 * ---- Ieee8021QNetBufferListInfo slot ----
 * TagHeader for 802.3 miniports, WLanTagHeader for native 802.11 ones.
 * (The documentation types the bit fields UINT32; ULONG is the same width.)
 */
typedef struct _NDIS_NET_BUFFER_LIST_8021Q_INFO {
    union {
        struct {
            ULONG UserPriority : 3;
            ULONG CanonicalFormatId : 1;
            ULONG VlanId : 12;
            ULONG Reserved : 16;
        } TagHeader;
        struct {
            ULONG UserPriority : 3;
            ULONG CanonicalFormatId : 1;
            ULONG VlanId : 12;
            ULONG WMMInfo : 4;
            ULONG Reserved : 12;
        } WLanTagHeader;
        PVOID Value;
    };
} NDIS_NET_BUFFER_LIST_8021Q_INFO, *PNDIS_NET_BUFFER_LIST_8021Q_INFO;

/*
 * ---- NetBufferListFilteringInfo slot ----
 * The VMQ / SR-IOV filter and receive queue a received NBL matched (NDIS
 * 6.20); `NET_BUFFER_LIST_RECEIVE_QUEUE_ID` reads or sets its `QueueId`
 * (0, the default queue, on an NBL nobody tagged).
 */
typedef struct _NDIS_NET_BUFFER_LIST_FILTERING_INFO {
    union {
        struct {
            USHORT FilterId;
            union {
                USHORT QueueId;
                USHORT VPortId;
            } QueueVPortInfo;
        } FilteringInfo;
        PVOID Value;
    };
} NDIS_NET_BUFFER_LIST_FILTERING_INFO, *PNDIS_NET_BUFFER_LIST_FILTERING_INFO;

#define NET_BUFFER_LIST_RECEIVE_FILTER_ID(_NBL)                                              \
    (((PNDIS_NET_BUFFER_LIST_FILTERING_INFO)&NET_BUFFER_LIST_INFO((_NBL),                     \
                                                                  NetBufferListFilteringInfo)) \
         ->FilteringInfo.FilterId)
#define NET_BUFFER_LIST_RECEIVE_QUEUE_ID(_NBL)                                               \
    (((PNDIS_NET_BUFFER_LIST_FILTERING_INFO)&NET_BUFFER_LIST_INFO((_NBL),                     \
                                                                  NetBufferListFilteringInfo)) \
         ->FilteringInfo.QueueVPortInfo.QueueId)
#define NET_BUFFER_LIST_RECEIVE_FILTER_VPORT_ID(_NBL)                                        \
    (((PNDIS_NET_BUFFER_LIST_FILTERING_INFO)&NET_BUFFER_LIST_INFO((_NBL),                     \
                                                                  NetBufferListFilteringInfo)) \
         ->FilteringInfo.QueueVPortInfo.VPortId)

_Static_assert(sizeof(void *) == 8, "slot numbering above is the x64 one");
_Static_assert(TcpOffloadBytesTransferred == 0 &&
                   IPsecOffloadV2NetBufferListInfo == 1 &&
                   TcpReceiveNoPush == 2 && NetBufferListProtocolId == 7,
               "documented NDIS 6.0 aliases share their slots");
_Static_assert(NetBufferListCancelId == 5 && NetBufferListHashValue == 8 &&
                   NetBufferListHashInfo == 9 &&
                   IPsecOffloadV2HeaderNetBufferListInfo == 12,
               "documented NDIS 6.0 slot numbers");
_Static_assert(sizeof(NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO) == sizeof(PVOID),
               "checksum info is exactly one slot");
_Static_assert(sizeof(NDIS_NET_BUFFER_LIST_8021Q_INFO) == sizeof(PVOID),
               "802.1Q info is exactly one slot");
_Static_assert(sizeof(NDIS_NET_BUFFER_LIST_FILTERING_INFO) == sizeof(PVOID),
               "filtering info is exactly one slot");
_Static_assert(sizeof(NDIS_TCP_LARGE_SEND_OFFLOAD_NET_BUFFER_LIST_INFO) == sizeof(PVOID),
               "large-send info is exactly one slot");
_Static_assert((NBL_FLAGS_PROTOCOL_RESERVED | NBL_FLAGS_MINIPORT_RESERVED |
                NBL_FLAGS_SCRATCH | NBL_FLAGS_NDIS_RESERVED) == 0xFFFFFFFFU,
               "the four Flags ranges cover all 32 bits");
_Static_assert((NBL_FLAGS_PROTOCOL_RESERVED & NBL_FLAGS_MINIPORT_RESERVED) == 0 &&
                   (NBL_FLAGS_SCRATCH & NBL_FLAGS_NDIS_RESERVED) == 0 &&
                   (NBL_FLAGS_PROTOCOL_RESERVED & NBL_FLAGS_SCRATCH) == 0,
               "the Flags ranges do not overlap");
_Static_assert((NDIS_HASH_TYPE_MASK & NDIS_HASH_FUNCTION_MASK) == 0,
               "hash type and function occupy separate bits");

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_NDIS_NBLINFO_H */
