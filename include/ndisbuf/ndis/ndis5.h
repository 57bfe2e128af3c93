/* SPDX-License-Identifier: MIT */
/*
 * NDIS 5.1: packet descriptors, packet pools, buffer descriptors, buffer
 * pools and tagged memory (ndis-semantics.md §9, docs/ndis5.md), and the
 * NDIS 5.1 protocol interface, run over the NDIS 6 binding stack (the last
 * section).
 *
 * An NDIS 5 protocol wraps a client's data in a *packet descriptor*
 * (NDIS_PACKET) from a packet pool and chains *buffer descriptors* to it; a
 * buffer descriptor (NDIS_BUFFER) is an MDL, so everything in mdl.h works on
 * it. The memory a buffer describes usually comes from
 * NdisAllocateMemoryWithTag.
 *
 * Layout of a packet, as NdisAllocatePacket hands it out:
 *
 *   NDIS_PACKET (Private, MiniportReserved/WrapperReserved, Reserved)
 *   ProtocolReserved: the ProtocolReservedLength bytes the pool was made with
 *   NDIS_PACKET_OOB_DATA          at Private.NdisPacketOobOffset
 *   NDIS_PACKET_EXTENSION         right after the OOB block
 *
 * Drivers reach the OOB block and the per-packet information only through
 * the macros below (NDIS_OOB_DATA_FROM_PACKET, NDIS_PER_PACKET_INFO_FROM_PACKET,
 * ...), as Microsoft's pages ask; they never compute offsets themselves.
 *
 * Member names, types and sizes are those of Microsoft's reference pages.
 * NDIS_PACKET_PRIVATE's members are named on the pages that use them
 * (NDIS_PACKET_VALID_COUNTS, NDIS_GET_PACKET_HEADER_SIZE) but no page gives
 * its layout: the member types and order below are ndisbuf's. Values the
 * reference pages do not give are marked "value: not on the reference page".
 *
 * Allocation and free of packets and buffers take no lock and no atomic
 * read-modify-write on their fast path. Contract violations (double free,
 * a pointer no pool gave out, the wrong free call, a pool freed with
 * objects outstanding, ...) are reported through the verifier (ndisbuf.h:
 * abort by default) and the call then returns without acting; bad
 * arguments make a call fail cleanly with a diagnostic
 * (ndisbuf_last_diagnostic()).
 */
#ifndef NDISBUF_NDIS_NDIS5_H
#define NDISBUF_NDIS_NDIS5_H

#include "base.h"
#include "driver.h"
#include "mdl.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ====================================================================== */
/* Structures                                                             */
/* ====================================================================== */

typedef struct _NDIS_PACKET NDIS_PACKET, *PNDIS_PACKET, **PPNDIS_PACKET;

/*
 * The private area, owned by NDIS: drivers change it only through the calls
 * and macros of this header. Head/Tail always describe the chain; Count,
 * TotalLength and PhysicalCount are a cache that NdisQueryPacket fills and
 * that every chain change invalidates (ValidCounts = FALSE).
 * (member types and order: not on the reference page)
 */
typedef struct _NDIS_PACKET_PRIVATE {
    UINT PhysicalCount;          /* cached: physical pages the chain spans */
    UINT TotalLength;            /* cached: bytes the chain describes */
    PNDIS_BUFFER Head;           /* first buffer descriptor, NULL when empty */
    PNDIS_BUFFER Tail;           /* last buffer descriptor, NULL when empty */
    NDIS_HANDLE Pool;            /* the packet pool the packet came from */
    UINT Count;                  /* cached: buffer descriptors on the chain */
    ULONG Flags;                 /* NdisSetPacketFlags / NdisGetPacketFlags */
    BOOLEAN ValidCounts;         /* the three cached values are current */
    UCHAR NdisPacketFlags;       /* fPACKET_* */
    USHORT NdisPacketOobOffset;  /* offset of the OOB block from the packet */
} NDIS_PACKET_PRIVATE, *PNDIS_PACKET_PRIVATE;

/* NdisPacketFlags values (from Microsoft's Windows metadata reference, windows-docs-rs). */
#define fPACKET_CONTAINS_MEDIA_SPECIFIC_INFO 0x40
#define fPACKET_ALLOCATED_BY_NDIS 0x80

struct _NDIS_PACKET {
    NDIS_PACKET_PRIVATE Private;
    union {
        struct {
            UCHAR MiniportReserved[2 * sizeof(PVOID)];
            UCHAR WrapperReserved[2 * sizeof(PVOID)];
        };
        struct {
            UCHAR MiniportReservedEx[3 * sizeof(PVOID)];
            UCHAR WrapperReservedEx[sizeof(PVOID)];
        };
        struct {
            UCHAR MacReserved[4 * sizeof(PVOID)];
        };
    };
    ULONG_PTR Reserved[2];
    /* ProtocolReservedLength bytes (the pool's), not one: see the file comment. */
    UCHAR ProtocolReserved[1];
};

/* x64: Private 48 (44 rounded to 8), reserved union 32, Reserved 16. */
_Static_assert(sizeof(NDIS_PACKET_PRIVATE) == 48, "NDIS_PACKET_PRIVATE is 48 bytes on x64");
_Static_assert(offsetof(NDIS_PACKET, MiniportReserved) == 48, "MiniportReserved at 48");
_Static_assert(offsetof(NDIS_PACKET, WrapperReserved) == 64, "WrapperReserved at 64");
_Static_assert(offsetof(NDIS_PACKET, Reserved) == 80, "Reserved at 80");
_Static_assert(offsetof(NDIS_PACKET, ProtocolReserved) == 96, "ProtocolReserved at 96");

/*
 * The bytes of ProtocolReserved a pool must give packets that are indicated
 * up to protocols (4 * sizeof(PVOID): 32 on 64-bit systems).
 */
#define PROTOCOL_RESERVED_SIZE_IN_PACKET (4 * sizeof(PVOID))

/* Out-of-band data: one block per packet, reached with NDIS_OOB_DATA_FROM_PACKET. */
typedef struct _NDIS_PACKET_OOB_DATA {
    union {
        ULONGLONG TimeToSend;
        ULONGLONG TimeSent;
    };
    ULONGLONG TimeReceived;
    UINT HeaderSize;
    UINT SizeMediaSpecificInfo;
    PVOID MediaSpecificInformation;
    NDIS_STATUS Status;
} NDIS_PACKET_OOB_DATA, *PNDIS_PACKET_OOB_DATA;
_Static_assert(sizeof(NDIS_PACKET_OOB_DATA) == 40, "NDIS_PACKET_OOB_DATA is 40 bytes on x64");

/*
 * Per-packet information ids, in the order of Microsoft's NDIS_PACKET_EXTENSION
 * page (values: not on the reference page; the order gives them). The older
 * names share a slot with the newer ones. The NDIS 6 transition ids that
 * follow PacketCancelId in later headers (OriginalNetBufferList,
 * CachedNetBufferList, ShortPacketPaddingInfo) are left out: NDIS 5.1
 * drivers do not use them, and OriginalNetBufferList is also the name of
 * NDIS 6 parameters that driver code compiled with these headers uses.
 */
typedef enum _NDIS_PER_PACKET_INFO {
    TcpIpChecksumPacketInfo,
    IpSecPacketInfo,
    TcpLargeSendPacketInfo,
    ClassificationHandlePacketInfo,
    NdisReserved,
    ScatterGatherListPacketInfo,
    Ieee8021QInfo,
    OriginalPacketInfo,
    PacketCancelId,
    MaxPerPacketInfo
} NDIS_PER_PACKET_INFO, *PNDIS_PER_PACKET_INFO;
#define HeaderIndexInfo NdisReserved
#define Ieee8021pPriority Ieee8021QInfo
#define TcpIpCheckSumPacketInfo TcpIpChecksumPacketInfo

/* Every packet has one: each slot points to, or contains, one kind of information. */
typedef struct _NDIS_PACKET_EXTENSION {
    PVOID NdisPacketInfo[MaxPerPacketInfo];
} NDIS_PACKET_EXTENSION, *PNDIS_PACKET_EXTENSION;

/* ====================================================================== */
/* Packet flags and the macros over the packet                            */
/* ====================================================================== */

/*
 * NdisSetPacketFlags / NdisGetPacketFlags values, from Microsoft's Windows
 * metadata reference (windows-docs-rs); flags found nowhere are not defined.
 */
#define NDIS_FLAGS_MULTICAST_PACKET 0x00000010
#define NDIS_FLAGS_DONT_LOOPBACK 0x00000080
#define NDIS_FLAGS_IS_LOOPBACK_PACKET 0x00000100
#define NDIS_FLAGS_DOUBLE_BUFFERED 0x00000800
#define NDIS_FLAGS_SENT_AT_DPC 0x00001000
#define NDIS_FLAGS_USES_ORIGINAL_PACKET 0x00004000
#define NDIS_FLAGS_PADDED 0x00010000
#define NDIS_FLAGS_XLATE_AT_TOP 0x00020000

/*
 * NdisSetPacketFlags sets the given bits in Private.Flags and keeps the
 * others (ndisbuf decision: "sets ... information in the flags");
 * NdisClearPacketFlags clears them; NdisGetPacketFlags reads them (0 when
 * none were set). Plain field access: no check.
 */
#define NdisSetPacketFlags(_Packet, _Flags) ((_Packet)->Private.Flags |= (_Flags))
#define NdisClearPacketFlags(_Packet, _Flags) ((_Packet)->Private.Flags &= ~(_Flags))
#define NdisGetPacketFlags(_Packet) ((_Packet)->Private.Flags)

/*
 * NDIS_PACKET_VALID_COUNTS: the ValidCounts member, an lvalue. A driver that
 * changes the length of a chained buffer writes
 * NDIS_PACKET_VALID_COUNTS(Packet) = FALSE so NdisQueryPacket recounts.
 */
#define NDIS_PACKET_VALID_COUNTS(_Packet) ((_Packet)->Private.ValidCounts)

/* The packet's OOB block. */
#define NDIS_OOB_DATA_FROM_PACKET(_Packet) \
    ((PNDIS_PACKET_OOB_DATA)((PUCHAR)(_Packet) + (_Packet)->Private.NdisPacketOobOffset))
/* The packet's per-packet information block (never NULL for ndisbuf's packets). */
#define NDIS_PACKET_EXTENSION_FROM_PACKET(_Packet) \
    ((PNDIS_PACKET_EXTENSION)((PUCHAR)NDIS_OOB_DATA_FROM_PACKET(_Packet) + sizeof(NDIS_PACKET_OOB_DATA)))
/* One slot of the per-packet information, as a PVOID lvalue. */
#define NDIS_PER_PACKET_INFO_FROM_PACKET(_Packet, _InfoType) \
    (NDIS_PACKET_EXTENSION_FROM_PACKET(_Packet)->NdisPacketInfo[(_InfoType)])

#define NDIS_GET_PACKET_HEADER_SIZE(_Packet) (NDIS_OOB_DATA_FROM_PACKET(_Packet)->HeaderSize)
#define NDIS_SET_PACKET_HEADER_SIZE(_Packet, _HdrSize) (NDIS_OOB_DATA_FROM_PACKET(_Packet)->HeaderSize = (_HdrSize))
#define NDIS_GET_PACKET_STATUS(_Packet) (NDIS_OOB_DATA_FROM_PACKET(_Packet)->Status)
#define NDIS_SET_PACKET_STATUS(_Packet, _Status) (NDIS_OOB_DATA_FROM_PACKET(_Packet)->Status = (_Status))
#define NDIS_GET_PACKET_TIME_TO_SEND(_Packet) (NDIS_OOB_DATA_FROM_PACKET(_Packet)->TimeToSend)
#define NDIS_SET_PACKET_TIME_TO_SEND(_Packet, _Time) (NDIS_OOB_DATA_FROM_PACKET(_Packet)->TimeToSend = (_Time))
#define NDIS_GET_PACKET_TIME_SENT(_Packet) (NDIS_OOB_DATA_FROM_PACKET(_Packet)->TimeSent)
#define NDIS_SET_PACKET_TIME_SENT(_Packet, _Time) (NDIS_OOB_DATA_FROM_PACKET(_Packet)->TimeSent = (_Time))
#define NDIS_GET_PACKET_TIME_RECEIVED(_Packet) (NDIS_OOB_DATA_FROM_PACKET(_Packet)->TimeReceived)
#define NDIS_SET_PACKET_TIME_RECEIVED(_Packet, _Time) (NDIS_OOB_DATA_FROM_PACKET(_Packet)->TimeReceived = (_Time))

/* Media-specific information: NULL and 0 when there is none. */
#define NDIS_GET_PACKET_MEDIA_SPECIFIC_INFO(_Packet, _pMediaSpecificInfo, _pSizeMediaSpecificInfo) \
    do {                                                                                         \
        *(_pMediaSpecificInfo) = NDIS_OOB_DATA_FROM_PACKET(_Packet)->MediaSpecificInformation;   \
        *(_pSizeMediaSpecificInfo) = NDIS_OOB_DATA_FROM_PACKET(_Packet)->SizeMediaSpecificInfo;  \
    } while (0)
#define NDIS_SET_PACKET_MEDIA_SPECIFIC_INFO(_Packet, _MediaSpecificInfo, _SizeMediaSpecificInfo)  \
    do {                                                                                         \
        NDIS_OOB_DATA_FROM_PACKET(_Packet)->MediaSpecificInformation = (_MediaSpecificInfo);     \
        NDIS_OOB_DATA_FROM_PACKET(_Packet)->SizeMediaSpecificInfo = (_SizeMediaSpecificInfo);    \
    } while (0)

/* Slots of the per-packet information with macros of their own. */
#define NDIS_GET_ORIGINAL_PACKET(_Packet) \
    ((PNDIS_PACKET)NDIS_PER_PACKET_INFO_FROM_PACKET(_Packet, OriginalPacketInfo))
#define NDIS_SET_ORIGINAL_PACKET(_Packet, _OriginalPacket) \
    (NDIS_PER_PACKET_INFO_FROM_PACKET(_Packet, OriginalPacketInfo) = (PVOID)(_OriginalPacket))
#define NDIS_GET_PACKET_CANCEL_ID(_Packet) (NDIS_PER_PACKET_INFO_FROM_PACKET(_Packet, PacketCancelId))
#define NDIS_SET_PACKET_CANCEL_ID(_Packet, _CancelId) \
    (NDIS_PER_PACKET_INFO_FROM_PACKET(_Packet, PacketCancelId) = (PVOID)(_CancelId))

/* ====================================================================== */
/* Packet pools and packets                                               */
/* ====================================================================== */

/*
 * NdisAllocatePacketPoolEx: a pool of NumberOfDescriptors packet descriptors
 * made up front, plus up to NumberOfOverflowDescriptors more made on demand
 * once all the first ones are in use, and released again when freed. Every
 * packet has ProtocolReservedLength bytes of ProtocolReserved.
 * - NumberOfDescriptors above 0xFFFF: *Status = NDIS_STATUS_RESOURCES.
 * - NumberOfDescriptors + NumberOfOverflowDescriptors above 0xFFFF: the
 *   overflow count is reduced so that the total is 0xFFFF (as documented).
 * - ProtocolReservedLength so large that the OOB offset no longer fits
 *   Private.NdisPacketOobOffset (above 65432 bytes): NDIS_STATUS_RESOURCES.
 * Status and PoolHandle must not be NULL. On success *Status is
 * NDIS_STATUS_SUCCESS and *PoolHandle the pool (the caller owns it until
 * NdisFreePacketPool); on failure *Status is NDIS_STATUS_RESOURCES,
 * *PoolHandle NULL, and a diagnostic names the cause.
 */
NDISBUF_API VOID NdisAllocatePacketPoolEx(PNDIS_STATUS Status, PNDIS_HANDLE PoolHandle, UINT NumberOfDescriptors,
                                          UINT NumberOfOverflowDescriptors, UINT ProtocolReservedLength);

/* NdisAllocatePacketPool: NdisAllocatePacketPoolEx with no overflow descriptors. */
NDISBUF_API VOID NdisAllocatePacketPool(PNDIS_STATUS Status, PNDIS_HANDLE PoolHandle, UINT NumberOfDescriptors,
                                        UINT ProtocolReservedLength);

/*
 * NdisFreePacketPool: releases a pool once every packet from it is back.
 * Verifier: a handle that names no live packet pool is reported
 * (INVALID_HANDLE); a pool with packets still allocated is reported
 * (POOL_NOT_EMPTY: the count and where the first ones were allocated) and
 * left intact and usable. Either way nothing is released.
 */
NDISBUF_API VOID NdisFreePacketPool(NDIS_HANDLE PoolHandle);

/*
 * NdisPacketPoolUsage: the packet descriptors of the pool in use now
 * (allocated and not yet freed, overflow descriptors included). 0 and a
 * diagnostic for a handle that names no live packet pool.
 */
NDISBUF_API UINT NdisPacketPoolUsage(NDIS_HANDLE PoolHandle);

/*
 * NdisPacketSize: the bytes of a packet descriptor from a pool made with
 * ProtocolReservedSize: NDIS_PACKET, its ProtocolReserved, the OOB block and
 * the per-packet information (ndisbuf's layout; the private header ndisbuf
 * keeps in front of each packet is not counted).
 */
NDISBUF_API UINT NdisPacketSize(UINT ProtocolReservedSize);

/* NdisGetPoolFromPacket: the pool the packet was allocated from (Private.Pool; a plain read, no check). */
NDISBUF_API NDIS_HANDLE NdisGetPoolFromPacket(PNDIS_PACKET Packet);

/*
 * NdisAllocatePacket: a packet descriptor from the pool, zeroed (reserved
 * areas, OOB data and per-packet information included) with an empty buffer
 * chain; Private.Pool names the pool. A preallocated descriptor is used
 * while any is free, then an overflow descriptor while the pool allows one.
 * On success *Status is NDIS_STATUS_SUCCESS and the caller owns *Packet
 * until NdisFreePacket. When every descriptor is in use, or PoolHandle
 * names no live packet pool (diagnostic), *Status is NDIS_STATUS_RESOURCES
 * and *Packet NULL. Status and Packet must not be NULL (diagnostic, nothing
 * written).
 * Several threads may allocate from one pool: each keeps a small share of
 * the pool's free count for itself (refilled under the pool's lock), so an
 * allocation may fail while another allocating thread still holds a share
 * of the free count; the pool never hands out more than its total.
 */
NDISBUF_API VOID NdisAllocatePacket(PNDIS_STATUS Status, PNDIS_PACKET *Packet, NDIS_HANDLE PoolHandle);
/* NdisDprAllocatePacket and the NonInterlocked variant: the same in user mode. */
NDISBUF_API VOID NdisDprAllocatePacket(PNDIS_STATUS Status, PNDIS_PACKET *Packet, NDIS_HANDLE PoolHandle);
NDISBUF_API VOID NdisDprAllocatePacketNonInterlocked(PNDIS_STATUS Status, PNDIS_PACKET *Packet,
                                                     NDIS_HANDLE PoolHandle);

/*
 * NdisFreePacket: returns a packet to its pool; an overflow descriptor is
 * released. The buffers chained to it are not touched: before the call the
 * driver frees them (NdisFreeBuffer) or unchains them.
 * Verifier (the packet is then left as it was): NULL (NULL_OBJECT), a
 * pointer no packet pool gave out (FOREIGN_POINTER), a packet already freed
 * (DOUBLE_FREE), a buffer or another library object (WRONG_FREE_CALL),
 * Private.Pool changed (WRONG_POOL), a live buffer descriptor from
 * NdisAllocateBuffer or NdisAllocateMdl/IoAllocateMdl still chained
 * (PACKET_HAS_BUFFERS: freeing it would lose the buffer; the check stops at
 * the first descriptor that is already freed, the documented pattern).
 */
NDISBUF_API VOID NdisFreePacket(PNDIS_PACKET Packet);
/* NdisDprFreePacket and the NonInterlocked variant: the same in user mode. */
NDISBUF_API VOID NdisDprFreePacket(PNDIS_PACKET Packet);
NDISBUF_API VOID NdisDprFreePacketNonInterlocked(PNDIS_PACKET Packet);

/*
 * NdisReinitializePacket: empties the buffer chain (Head = Tail = NULL,
 * counts invalid) so the packet can be set up again. Only the chain
 * changes (ndisbuf decision): flags, the reserved areas, the OOB data and
 * the per-packet information are kept. The driver must have saved the
 * buffer pointers first. Verifier: NULL is reported (NULL_OBJECT).
 */
NDISBUF_API VOID NdisReinitializePacket(PNDIS_PACKET Packet);

/* ====================================================================== */
/* Buffer pools and buffer descriptors                                    */
/* ====================================================================== */

/*
 * NdisAllocateBufferPool: a pool from which NdisAllocateBuffer takes buffer
 * descriptors. NumberOfDescriptors is the documented "effective limit":
 * that many descriptors may be allocated at once (ndisbuf enforces it).
 * On success *Status is NDIS_STATUS_SUCCESS and *PoolHandle the pool (owned
 * by the caller until NdisFreeBufferPool; never NULL in ndisbuf). When
 * memory or address space runs out, *Status is NDIS_STATUS_RESOURCES,
 * *PoolHandle NULL, with a diagnostic. Status and PoolHandle must not be
 * NULL.
 */
NDISBUF_API VOID NdisAllocateBufferPool(PNDIS_STATUS Status, PNDIS_HANDLE PoolHandle, UINT NumberOfDescriptors);

/*
 * NdisFreeBufferPool: releases a buffer pool once every buffer from it is
 * back. Verifier: INVALID_HANDLE for a handle that names no live buffer
 * pool; POOL_NOT_EMPTY (count, where the first ones were allocated) with
 * buffers still allocated, the pool then left intact and usable.
 */
NDISBUF_API VOID NdisFreeBufferPool(NDIS_HANDLE PoolHandle);

/*
 * NdisAllocateBuffer: a buffer descriptor (an MDL, built: MappedSystemVa is
 * the buffer) describing Length bytes at VirtualAddress, with Next NULL.
 * The memory stays the caller's. PoolHandle may be NULL (the page marks it
 * optional): the descriptor then comes from the library's own buffer pool,
 * which has no limit. On success *Status is NDIS_STATUS_SUCCESS and the
 * caller owns *Buffer until NdisFreeBuffer. On failure *Status is
 * NDIS_STATUS_FAILURE and *Buffer NULL, with a diagnostic: NumberOfDescriptors
 * buffers already out, a handle that names no live buffer pool,
 * VirtualAddress NULL with a non-zero Length, Length above 4 GiB - PAGE_SIZE,
 * or no memory. Status and Buffer must not be NULL.
 */
NDISBUF_API VOID NdisAllocateBuffer(PNDIS_STATUS Status, PNDIS_BUFFER *Buffer, NDIS_HANDLE PoolHandle,
                                    PVOID VirtualAddress, UINT Length);

/*
 * NdisFreeBuffer: returns a buffer descriptor to its pool; the memory it
 * describes is not touched, and a packet it is still chained to is not
 * changed. Verifier (the buffer is then left as it was): NULL_OBJECT,
 * FOREIGN_POINTER, DOUBLE_FREE, WRONG_FREE_CALL (a packet, an MDL from
 * NdisAllocateMdl/IoAllocateMdl, ...).
 */
NDISBUF_API VOID NdisFreeBuffer(PNDIS_BUFFER Buffer);

/*
 * NdisAdjustBufferLength: sets the length of a buffer descriptor. It may
 * shorten it and restore it, never lengthen it beyond the Length it was
 * allocated with. Verifier: lengthening a descriptor from NdisAllocateBuffer
 * (or an MDL from NdisAllocateMdl/IoAllocateMdl) is reported (MDL_LENGTHENED)
 * and the length left unchanged; NULL is reported (NULL_OBJECT).
 */
NDISBUF_API VOID NdisAdjustBufferLength(PNDIS_BUFFER Buffer, UINT Length);

/*
 * The buffer accessors: plain field reads, as in the WDK (no check; Buffer
 * must be a valid descriptor). The mapping a Safe variant may fail to make
 * never fails in user mode.
 */

/* NdisQueryBuffer: the buffer's address (optional output) and length. */
static inline VOID NdisQueryBuffer(PNDIS_BUFFER Buffer, PVOID *VirtualAddress, PUINT Length)
{
    if (VirtualAddress)
        *VirtualAddress = MmGetSystemAddressForMdlSafe(Buffer, NormalPagePriority);
    *Length = MmGetMdlByteCount(Buffer);
}

/* NdisQueryBufferSafe: NdisQueryBuffer with a priority (VirtualAddress NULL only on mapping failure). */
static inline VOID NdisQueryBufferSafe(PNDIS_BUFFER Buffer, PVOID *VirtualAddress, PUINT Length,
                                       MM_PAGE_PRIORITY Priority)
{
    if (VirtualAddress)
        *VirtualAddress = MmGetSystemAddressForMdlSafe(Buffer, (ULONG)Priority);
    *Length = MmGetMdlByteCount(Buffer);
}

/* NdisQueryBufferOffset: offset of the first byte within its page, and length. */
static inline VOID NdisQueryBufferOffset(PNDIS_BUFFER Buffer, PUINT Offset, PUINT Length)
{
    *Offset = MmGetMdlByteOffset(Buffer);
    *Length = MmGetMdlByteCount(Buffer);
}

/* NdisBufferLength: the bytes the descriptor describes. */
static inline ULONG NdisBufferLength(PNDIS_BUFFER Buffer)
{
    return MmGetMdlByteCount(Buffer);
}

/* NdisBufferVirtualAddress: the buffer's address. */
static inline PVOID NdisBufferVirtualAddress(PNDIS_BUFFER Buffer)
{
    return MmGetSystemAddressForMdlSafe(Buffer, NormalPagePriority);
}

/* NdisBufferVirtualAddressSafe: the buffer's address (NULL only on mapping failure). */
static inline PVOID NdisBufferVirtualAddressSafe(PNDIS_BUFFER Buffer, MM_PAGE_PRIORITY Priority)
{
    return MmGetSystemAddressForMdlSafe(Buffer, (ULONG)Priority);
}

/* NdisGetNextBuffer: the descriptor after CurrentBuffer on its chain, or NULL. */
static inline VOID NdisGetNextBuffer(PNDIS_BUFFER CurrentBuffer, PNDIS_BUFFER *NextBuffer)
{
    *NextBuffer = CurrentBuffer->Next;
}

/* NdisGetBufferPhysicalArraySize: the pages the buffer spans. */
#define NdisGetBufferPhysicalArraySize(_Buffer, _ArraySize) \
    (*(_ArraySize) = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(_Buffer), MmGetMdlByteCount(_Buffer)))

/* ====================================================================== */
/* Chains and queries                                                     */
/* ====================================================================== */
/*
 * Chain calls take a whole chain: Buffer may have successors (linked
 * through Next), and all of them are linked in, in order. Every chain change
 * sets ValidCounts to FALSE. Verifier for every call here: a NULL packet or
 * buffer is reported (NULL_OBJECT) and nothing changes; a chain that does
 * not end within 2^20 descriptors (a loop) makes the call do nothing, with
 * a diagnostic.
 */

/* NdisChainBufferAtFront: links Buffer (and its successors) in front of the chain. */
NDISBUF_API VOID NdisChainBufferAtFront(PNDIS_PACKET Packet, PNDIS_BUFFER Buffer);
/* NdisChainBufferAtBack: links Buffer (and its successors) after the last descriptor. */
NDISBUF_API VOID NdisChainBufferAtBack(PNDIS_PACKET Packet, PNDIS_BUFFER Buffer);

/*
 * NdisUnchainBufferAtFront / AtBack: unlinks the first / last descriptor and
 * returns it in *Buffer with its Next set to NULL; *Buffer is NULL when the
 * chain is empty. The caller owns what it unchains.
 */
NDISBUF_API VOID NdisUnchainBufferAtFront(PNDIS_PACKET Packet, PNDIS_BUFFER *Buffer);
NDISBUF_API VOID NdisUnchainBufferAtBack(PNDIS_PACKET Packet, PNDIS_BUFFER *Buffer);

/*
 * NdisQueryPacket: the physical pages the chain spans, the number of
 * buffers, the first buffer and the total bytes; every output is optional.
 * The counts are cached in the private area (ValidCounts) and recounted
 * after any chain change or when a driver sets ValidCounts to FALSE.
 */
NDISBUF_API VOID NdisQueryPacket(PNDIS_PACKET Packet, PUINT PhysicalBufferCount, PUINT BufferCount,
                                 PNDIS_BUFFER *FirstBuffer, PUINT TotalPacketLength);
/* NdisQueryPacketLength: the total bytes of the chain (NdisQueryPacket's cache). */
NDISBUF_API VOID NdisQueryPacketLength(PNDIS_PACKET Packet, PUINT TotalPacketLength);

/*
 * NdisGetFirstBufferFromPacket(Safe): the first buffer, its address and
 * length, and the total bytes of the chain (through NdisQueryPacket's
 * cache); NULL, NULL, 0 and 0 for an empty chain. All outputs are required:
 * a NULL one is reported (NULL_OBJECT) and nothing is written.
 */
NDISBUF_API VOID NdisGetFirstBufferFromPacket(PNDIS_PACKET Packet, PNDIS_BUFFER *FirstBuffer, PVOID *FirstBufferVA,
                                              PUINT FirstBufferLength, PUINT TotalBufferLength);
NDISBUF_API VOID NdisGetFirstBufferFromPacketSafe(PNDIS_PACKET Packet, PNDIS_BUFFER *FirstBuffer,
                                                  PVOID *FirstBufferVA, PUINT FirstBufferLength,
                                                  PUINT TotalBufferLength, MM_PAGE_PRIORITY Priority);

/*
 * NdisCopyFromPacketToPacket(Safe): copies up to BytesToCopy bytes from
 * Source (from SourceOffset bytes into its chain) to Destination (from
 * DestinationOffset), across buffer boundaries, stopping when the source
 * runs out of data or the destination out of space; *BytesCopied is the
 * count copied. Offsets count from the start of each chain. Neither chain
 * changes and OOB data is not copied. The two ranges should not overlap
 * (each contiguous piece is moved with memmove; an overlap across pieces
 * gives an unspecified result). Verifier: a NULL packet or BytesCopied is
 * reported (NULL_OBJECT) and nothing is copied (*BytesCopied 0 when given).
 */
NDISBUF_API VOID NdisCopyFromPacketToPacket(PNDIS_PACKET Destination, UINT DestinationOffset, UINT BytesToCopy,
                                            PNDIS_PACKET Source, UINT SourceOffset, PUINT BytesCopied);
NDISBUF_API VOID NdisCopyFromPacketToPacketSafe(PNDIS_PACKET Destination, UINT DestinationOffset,
                                                UINT BytesToCopy, PNDIS_PACKET Source, UINT SourceOffset,
                                                PUINT BytesCopied, MM_PAGE_PRIORITY Priority);

/* ====================================================================== */
/* Tagged memory                                                          */
/* ====================================================================== */

/* The priority of a pool allocation. */
typedef enum _EX_POOL_PRIORITY {
    LowPoolPriority,
    LowPoolPrioritySpecialPoolOverrun = 8,
    LowPoolPrioritySpecialPoolUnderrun = 9,
    NormalPoolPriority = 16,
    NormalPoolPrioritySpecialPoolOverrun = 24,
    NormalPoolPrioritySpecialPoolUnderrun = 25,
    HighPoolPriority = 32,
    HighPoolPrioritySpecialPoolOverrun = 40,
    HighPoolPrioritySpecialPoolUnderrun = 41
} EX_POOL_PRIORITY;

/*
 * NdisAllocateMemoryWithTag: Length bytes, 16-byte aligned, not zeroed,
 * accounted under Tag (ndisbuf_tagged_memory_* in ndisbuf.h). On success
 * returns NDIS_STATUS_SUCCESS and the caller owns *VirtualAddress until
 * NdisFreeMemory. On failure returns NDIS_STATUS_FAILURE with
 * *VirtualAddress NULL and a diagnostic: Length 0 (ndisbuf decision),
 * VirtualAddress NULL (nothing written), or no memory.
 */
NDISBUF_API NDIS_STATUS NdisAllocateMemoryWithTag(PVOID *VirtualAddress, UINT Length, ULONG Tag);

/*
 * NdisAllocateMemoryWithTagPriority: as NdisAllocateMemoryWithTag, returning
 * the memory or NULL. NdisHandle may be NULL (as for the pools); a handle
 * given is kept as the owner in the listing. Priority is accepted and
 * ignored.
 */
NDISBUF_API PVOID NdisAllocateMemoryWithTagPriority(NDIS_HANDLE NdisHandle, UINT Length, ULONG Tag,
                                                    EX_POOL_PRIORITY Priority);

/*
 * NdisFreeMemory: releases memory from NdisAllocateMemoryWithTag(Priority).
 * Length may be 0 or the allocated length; MemoryFlags must be 0.
 * Verifier (the memory is then left allocated): NULL (NULL_OBJECT), an
 * address that was already freed (DOUBLE_FREE, when it is among the last
 * addresses freed) or that this allocator never gave out (FOREIGN_POINTER),
 * a non-zero Length other than the allocated one or non-zero MemoryFlags
 * (MEMORY_FREE_MISMATCH: a sub-range cannot be freed).
 */
NDISBUF_API VOID NdisFreeMemory(PVOID VirtualAddress, UINT Length, UINT MemoryFlags);

/*
 * NdisFreeMemoryWithTagPriority: releases memory from
 * NdisAllocateMemoryWithTagPriority, as NdisFreeMemory(VirtualAddress, 0, 0)
 * does, with the same verifier checks. NdisHandle and Tag are accepted and
 * not compared with the allocation's (src/compat/memory.c).
 */
NDISBUF_API VOID NdisFreeMemoryWithTagPriority(NDIS_HANDLE NdisHandle, PVOID VirtualAddress, ULONG Tag);

/* ====================================================================== */
/* NDIS 5.1 protocol drivers, run over the NDIS 6 binding stack           */
/* ====================================================================== */
/*
 * An NDIS 5.1 protocol registers with NdisRegisterProtocol and is run as an
 * NDIS 6 protocol by a translation shim (src/ndis5/translate*.c,
 * docs/ndis5.md "Running over the NDIS 6 stack"): the handle
 * NdisRegisterProtocol returns is the shim's NdisProtocolHandle, so
 * ndisbuf_stack_bind(Adapter, NdisProtocolHandle, &Binding) binds the 5.1
 * protocol (its ProtocolBindAdapter runs and calls NdisOpenAdapter). The
 * NdisBindingHandle NdisOpenAdapter gives the 5.1 protocol is the shim's own
 * binding, not the NDIS 6 binding handle ndisbuf_stack_bind returns; the
 * latter is what ndisbuf_stack_unbind takes.
 *
 * The shim handles pause and restart for the 5.1 protocol, which never
 * sees them. Packets travel as NET_BUFFER_LISTs with one NET_BUFFER over
 * the packet's own buffer chain (no copy); received NET_BUFFERs are
 * indicated as packets whose buffers describe the NET_BUFFER's data (no
 * copy either).
 *
 * Structure layouts and prototypes are those of Microsoft's NDIS 5.x
 * reference pages. The role typedefs (PROTOCOL_SEND_COMPLETE, ...) are
 * ndisbuf's names, following the NDIS 6 pattern of driver.h, for the
 * function types the pages declare handlers with; the *_HANDLER pointer
 * types are the pages' names.
 */

/* A counted 8-bit string (NdisOpenAdapter's AddressingInformation). */
typedef struct _STRING {
    USHORT Length;        /* bytes, without a terminating NUL */
    USHORT MaximumLength; /* bytes of Buffer */
    PCHAR Buffer;
} STRING, *PSTRING, ANSI_STRING, *PANSI_STRING;

/*
 * An NDIS 5.x request (NdisRequest). The shim translates it into an
 * NDIS_OID_REQUEST on the binding; the reserved areas are not used by it.
 */
typedef struct _NDIS_REQUEST {
    UCHAR MacReserved[4 * sizeof(PVOID)];
    NDIS_REQUEST_TYPE RequestType;
    union _DATA {
        struct _QUERY_INFORMATION {
            NDIS_OID Oid;
            PVOID InformationBuffer;
            UINT InformationBufferLength;
            UINT BytesWritten;
            UINT BytesNeeded;
        } QUERY_INFORMATION;
        struct _SET_INFORMATION {
            NDIS_OID Oid;
            PVOID InformationBuffer;
            UINT InformationBufferLength;
            UINT BytesRead;
            UINT BytesNeeded;
        } SET_INFORMATION;
    } DATA;
    UCHAR NdisReserved[9 * sizeof(PVOID)];
    union {
        UCHAR CallMgrReserved[2 * sizeof(PVOID)];
        UCHAR ProtocolReserved[2 * sizeof(PVOID)];
    };
    UCHAR MiniportReserved[2 * sizeof(PVOID)];
} NDIS_REQUEST, *PNDIS_REQUEST;

/* x64: MacReserved 0, RequestType 32, DATA 40 (32 bytes), NdisReserved 72 (72 bytes), then 16 + 16. */
_Static_assert(offsetof(NDIS_REQUEST, RequestType) == 32, "NDIS_REQUEST.RequestType at 32");
_Static_assert(offsetof(NDIS_REQUEST, DATA) == 40, "NDIS_REQUEST.DATA at 40");
_Static_assert(offsetof(NDIS_REQUEST, DATA.QUERY_INFORMATION.BytesNeeded) == 64, "BytesNeeded at 64");
_Static_assert(offsetof(NDIS_REQUEST, NdisReserved) == 72, "NDIS_REQUEST.NdisReserved at 72");
_Static_assert(sizeof(NDIS_REQUEST) == 176, "NDIS_REQUEST is 176 bytes on x64");

/* What a call manager registered (CoNDIS; declared for the characteristics only). */
typedef struct _CO_ADDRESS_FAMILY CO_ADDRESS_FAMILY, *PCO_ADDRESS_FAMILY;

/* ---- NDIS 5.x protocol handlers ---- */

typedef VOID (PROTOCOL_OPEN_ADAPTER_COMPLETE)(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status,
                                              NDIS_STATUS OpenErrorStatus);
typedef PROTOCOL_OPEN_ADAPTER_COMPLETE(*OPEN_ADAPTER_COMPLETE_HANDLER);

typedef VOID (PROTOCOL_CLOSE_ADAPTER_COMPLETE)(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status);
typedef PROTOCOL_CLOSE_ADAPTER_COMPLETE(*CLOSE_ADAPTER_COMPLETE_HANDLER);

typedef VOID (PROTOCOL_SEND_COMPLETE)(NDIS_HANDLE ProtocolBindingContext, PNDIS_PACKET Packet, NDIS_STATUS Status);
typedef PROTOCOL_SEND_COMPLETE(*SEND_COMPLETE_HANDLER);

typedef VOID (PROTOCOL_TRANSFER_DATA_COMPLETE)(NDIS_HANDLE ProtocolBindingContext, PNDIS_PACKET Packet,
                                               NDIS_STATUS Status, UINT BytesTransferred);
typedef PROTOCOL_TRANSFER_DATA_COMPLETE(*TRANSFER_DATA_COMPLETE_HANDLER);

typedef VOID (PROTOCOL_RESET_COMPLETE)(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status);
typedef PROTOCOL_RESET_COMPLETE(*RESET_COMPLETE_HANDLER);

typedef VOID (PROTOCOL_REQUEST_COMPLETE)(NDIS_HANDLE ProtocolBindingContext, PNDIS_REQUEST NdisRequest,
                                         NDIS_STATUS Status);
typedef PROTOCOL_REQUEST_COMPLETE(*REQUEST_COMPLETE_HANDLER);

typedef NDIS_STATUS (PROTOCOL_RECEIVE)(NDIS_HANDLE ProtocolBindingContext, NDIS_HANDLE MacReceiveContext,
                                       PVOID HeaderBuffer, UINT HeaderBufferSize, PVOID LookAheadBuffer,
                                       UINT LookaheadBufferSize, UINT PacketSize);
typedef PROTOCOL_RECEIVE(*RECEIVE_HANDLER);

typedef VOID (PROTOCOL_RECEIVE_COMPLETE)(NDIS_HANDLE ProtocolBindingContext);
typedef PROTOCOL_RECEIVE_COMPLETE(*RECEIVE_COMPLETE_HANDLER);

typedef VOID (PROTOCOL_STATUS)(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS GeneralStatus, PVOID StatusBuffer,
                               UINT StatusBufferSize);
typedef PROTOCOL_STATUS(*STATUS_HANDLER);

typedef VOID (PROTOCOL_STATUS_COMPLETE)(NDIS_HANDLE ProtocolBindingContext);
typedef PROTOCOL_STATUS_COMPLETE(*STATUS_COMPLETE_HANDLER);

/* Returns how many NdisReturnPackets calls will give the packet back (0: done with it now). */
typedef INT (PROTOCOL_RECEIVE_PACKET)(NDIS_HANDLE ProtocolBindingContext, PNDIS_PACKET Packet);
typedef PROTOCOL_RECEIVE_PACKET(*RECEIVE_PACKET_HANDLER);

typedef VOID (PROTOCOL_BIND_ADAPTER)(PNDIS_STATUS Status, NDIS_HANDLE BindContext, PNDIS_STRING DeviceName,
                                     PVOID SystemSpecific1, PVOID SystemSpecific2);
typedef PROTOCOL_BIND_ADAPTER(*BIND_HANDLER);

typedef VOID (PROTOCOL_UNBIND_ADAPTER)(PNDIS_STATUS Status, NDIS_HANDLE ProtocolBindingContext,
                                       NDIS_HANDLE UnbindContext);
typedef PROTOCOL_UNBIND_ADAPTER(*UNBIND_HANDLER);

typedef NDIS_STATUS (PROTOCOL_PNP_EVENT)(NDIS_HANDLE ProtocolBindingContext, PNET_PNP_EVENT NetPnPEvent);
typedef PROTOCOL_PNP_EVENT(*PNP_EVENT_HANDLER);

typedef VOID (PROTOCOL_UNLOAD)(VOID);
typedef PROTOCOL_UNLOAD(*UNLOAD_PROTOCOL_HANDLER);

/* CoNDIS handlers: declared for the layout; the shim runs connectionless protocols only. */
typedef VOID (PROTOCOL_CO_SEND_COMPLETE)(NDIS_STATUS Status, NDIS_HANDLE ProtocolVcContext, PNDIS_PACKET Packet);
typedef PROTOCOL_CO_SEND_COMPLETE(*CO_SEND_COMPLETE_HANDLER);

/* (prototype not re-read from its page) */
typedef VOID (PROTOCOL_CO_STATUS)(NDIS_HANDLE ProtocolBindingContext, NDIS_HANDLE ProtocolVcContext,
                                  NDIS_STATUS GeneralStatus, PVOID StatusBuffer, UINT StatusBufferSize);
typedef PROTOCOL_CO_STATUS(*CO_STATUS_HANDLER);

/* (prototype not re-read from its page) */
typedef UINT (PROTOCOL_CO_RECEIVE_PACKET)(NDIS_HANDLE ProtocolBindingContext, NDIS_HANDLE ProtocolVcContext,
                                          PNDIS_PACKET Packet);
typedef PROTOCOL_CO_RECEIVE_PACKET(*CO_RECEIVE_PACKET_HANDLER);

typedef VOID (PROTOCOL_CO_AF_REGISTER_NOTIFY)(NDIS_HANDLE ProtocolBindingContext, PCO_ADDRESS_FAMILY AddressFamily);
typedef PROTOCOL_CO_AF_REGISTER_NOTIFY(*CO_AF_REGISTER_NOTIFY_HANDLER);

/*
 * What an NDIS 5.x protocol registers: the members of the NDIS 5.x
 * reference page, in its order (the NDIS 4.0 part up to UnloadHandler, the
 * CoNDIS handlers of 5.0 after it). Members the pages of later WDKs add
 * (a union with Flags over Reserved, reserved handler slots) are not on
 * the reference page and are left out.
 */
typedef struct _NDIS_PROTOCOL_CHARACTERISTICS {
    UCHAR MajorNdisVersion; /* 4 or 5 */
    UCHAR MinorNdisVersion; /* 0, or 1 for NDIS 5.1 */
    UINT Reserved;
    OPEN_ADAPTER_COMPLETE_HANDLER OpenAdapterCompleteHandler;
    CLOSE_ADAPTER_COMPLETE_HANDLER CloseAdapterCompleteHandler;
    SEND_COMPLETE_HANDLER SendCompleteHandler;
    TRANSFER_DATA_COMPLETE_HANDLER TransferDataCompleteHandler;
    RESET_COMPLETE_HANDLER ResetCompleteHandler;
    REQUEST_COMPLETE_HANDLER RequestCompleteHandler;
    RECEIVE_HANDLER ReceiveHandler;
    RECEIVE_COMPLETE_HANDLER ReceiveCompleteHandler;
    STATUS_HANDLER StatusHandler;
    STATUS_COMPLETE_HANDLER StatusCompleteHandler;
    NDIS_STRING Name;
    /* MajorNdisVersion 4 or 5 */
    RECEIVE_PACKET_HANDLER ReceivePacketHandler;
    BIND_HANDLER BindAdapterHandler;
    UNBIND_HANDLER UnbindAdapterHandler;
    PNP_EVENT_HANDLER PnPEventHandler;
    UNLOAD_PROTOCOL_HANDLER UnloadHandler;
    /* MajorNdisVersion 5 */
    CO_SEND_COMPLETE_HANDLER CoSendCompleteHandler;
    CO_STATUS_HANDLER CoStatusHandler;
    CO_RECEIVE_PACKET_HANDLER CoReceivePacketHandler;
    CO_AF_REGISTER_NOTIFY_HANDLER CoAfRegisterNotifyHandler;
} NDIS_PROTOCOL_CHARACTERISTICS, *PNDIS_PROTOCOL_CHARACTERISTICS;

/* The bytes NdisRegisterProtocol needs for each MajorNdisVersion (value: not on the reference page). */
#define NDIS40_PROTOCOL_CHARACTERISTICS_SIZE \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_PROTOCOL_CHARACTERISTICS, UnloadHandler)
#define NDIS50_PROTOCOL_CHARACTERISTICS_SIZE sizeof(NDIS_PROTOCOL_CHARACTERISTICS)

/* x64: ten handlers from 8, Name at 88, ReceivePacketHandler at 104, the Co handlers from 144. */
_Static_assert(offsetof(NDIS_PROTOCOL_CHARACTERISTICS, Reserved) == 4, "5.x chars: Reserved at 4");
_Static_assert(offsetof(NDIS_PROTOCOL_CHARACTERISTICS, OpenAdapterCompleteHandler) == 8,
               "5.x chars: OpenAdapterCompleteHandler at 8");
_Static_assert(offsetof(NDIS_PROTOCOL_CHARACTERISTICS, Name) == 88, "5.x chars: Name at 88");
_Static_assert(offsetof(NDIS_PROTOCOL_CHARACTERISTICS, ReceivePacketHandler) == 104,
               "5.x chars: ReceivePacketHandler at 104");
_Static_assert(NDIS40_PROTOCOL_CHARACTERISTICS_SIZE == 144, "NDIS 4.0 characteristics: 144 bytes");
_Static_assert(NDIS50_PROTOCOL_CHARACTERISTICS_SIZE == 176, "NDIS 5.x characteristics: 176 bytes");

/* ---- registration ---- */

/*
 * NdisRegisterProtocol: registers an NDIS 4.0 or 5.x protocol. The shim
 * copies the first CharacteristicsLength bytes of ProtocolCharacteristics
 * (at most the structure; the rest counts as NULL) and registers itself
 * with NdisRegisterProtocolDriver under the protocol's Name; *NdisProtocolHandle
 * is that NDIS 6 protocol handle, which ndisbuf_stack_bind takes.
 * Requirements (ndisbuf): Name not empty, BindAdapterHandler,
 * UnbindAdapterHandler, SendCompleteHandler, and ReceivePacketHandler or
 * ReceiveHandler. Every other handler is optional and called when present.
 * On failure *NdisProtocolHandle is NULL and *Status one of:
 * NDIS_STATUS_BAD_VERSION (MajorNdisVersion not 4 or 5),
 * NDIS_STATUS_BAD_CHARACTERISTICS (CharacteristicsLength below the
 * version's size, a required handler or the Name missing, a NULL pointer),
 * NDIS_STATUS_RESOURCES; a diagnostic names the cause. Status must not be
 * NULL (diagnostic, nothing done).
 */
NDISBUF_API VOID NdisRegisterProtocol(PNDIS_STATUS Status, PNDIS_HANDLE NdisProtocolHandle,
                                      PNDIS_PROTOCOL_CHARACTERISTICS ProtocolCharacteristics,
                                      UINT CharacteristicsLength);

/*
 * NdisDeregisterProtocol: unbinds every binding of the protocol (its
 * ProtocolUnbindAdapter runs for each, as for ndisbuf_stack_unbind) and
 * releases the registration. *Status is NDIS_STATUS_SUCCESS, or
 * NDIS_STATUS_FAILURE for a handle NdisRegisterProtocol did not give, or
 * when called from inside a handler of a stack operation (it would wait
 * for itself; diagnostic). The handle is invalid afterwards.
 */
NDISBUF_API VOID NdisDeregisterProtocol(PNDIS_STATUS Status, NDIS_HANDLE NdisProtocolHandle);

/* ---- binding ---- */

/*
 * NdisOpenAdapter: from ProtocolBindAdapter (or before NdisCompleteBindAdapter
 * of a bind that pended), opens the adapter named AdapterName (the
 * DeviceName the bind handler got, compared by content). The shim opens
 * the NDIS 6 binding (NdisOpenAdapterEx with the bind's context) and
 * creates its pools; it never pends, so ProtocolOpenAdapterComplete is
 * not called. On success *Status is NDIS_STATUS_SUCCESS,
 * *NdisBindingHandle the binding for NdisSend & co. and
 * *SelectedMediumIndex the index of the adapter's medium in MediumArray.
 * On failure *Status is NDIS_STATUS_ADAPTER_NOT_FOUND (no bind of this
 * protocol to that adapter in progress), NDIS_STATUS_UNSUPPORTED_MEDIA,
 * NDIS_STATUS_RESOURCES or NDIS_STATUS_OPEN_FAILED (a bad argument), with
 * a diagnostic; *OpenErrorStatus repeats it. OpenOptions and
 * AddressingInformation are accepted and ignored.
 */
NDISBUF_API VOID NdisOpenAdapter(PNDIS_STATUS Status, PNDIS_STATUS OpenErrorStatus, PNDIS_HANDLE NdisBindingHandle,
                                 PUINT SelectedMediumIndex, PNDIS_MEDIUM MediumArray, UINT MediumArraySize,
                                 NDIS_HANDLE NdisProtocolHandle, NDIS_HANDLE ProtocolBindingContext,
                                 PNDIS_STRING AdapterName, UINT OpenOptions, PSTRING AddressingInformation);

/*
 * NdisCloseAdapter: from ProtocolUnbindAdapter (or from a bind that fails
 * after its open), closes the binding: NdisCloseAdapterEx, and the shim's
 * pools are released. Never pends (ProtocolCloseAdapterComplete is not
 * called); *Status is NDIS_STATUS_SUCCESS. Called anywhere else, or on a
 * handle that is not an open binding, *Status is NDIS_STATUS_FAILURE with
 * a diagnostic and nothing changes (an NDIS 6 stack unbinds through
 * ndisbuf_stack_unbind).
 */
NDISBUF_API VOID NdisCloseAdapter(PNDIS_STATUS Status, NDIS_HANDLE NdisBindingHandle);

/*
 * NdisCompleteBindAdapter: finishes a ProtocolBindAdapter that set
 * NDIS_STATUS_PENDING. BindAdapterContext is the BindContext the handler
 * got; Status the bind's result (success needs a successful
 * NdisOpenAdapter first); OpenStatus is recorded only. May be called from
 * any thread, also before the handler has returned. A context with no
 * bind pending gets a diagnostic and nothing else.
 */
NDISBUF_API VOID NdisCompleteBindAdapter(NDIS_HANDLE BindAdapterContext, NDIS_STATUS Status, NDIS_STATUS OpenStatus);

/*
 * NdisCompleteUnbindAdapter: finishes a ProtocolUnbindAdapter that set
 * NDIS_STATUS_PENDING. UnbindAdapterContext is the UnbindContext the
 * handler got (the ProtocolBindingContext is accepted too, as an older page
 * names it); Status is always NDIS_STATUS_SUCCESS. Any thread; the handle
 * is invalid on return.
 */
NDISBUF_API VOID NdisCompleteUnbindAdapter(NDIS_HANDLE UnbindAdapterContext, NDIS_STATUS Status);

/* ---- data ---- */

/*
 * NdisSend: sends one packet. The packet travels down as an NBL with one
 * NET_BUFFER over the packet's own buffer chain (no copy); the packet and
 * its buffers belong to NDIS until the protocol's ProtocolSendComplete is
 * called with this packet and the send's status (possibly before NdisSend
 * returns, on any thread). *Status is always NDIS_STATUS_PENDING: every
 * packet handed to NdisSend completes through ProtocolSendComplete, also
 * when it fails (NDIS_STATUS_CLOSING once the binding is unbinding,
 * NDIS_STATUS_INVALID_PACKET for a packet with no data,
 * NDIS_STATUS_RESOURCES). While the stack is paused, packets are queued in
 * order and sent when it restarts (docs/ndis5.md). A NULL packet or a
 * handle that is not an open binding: a diagnostic, *Status
 * NDIS_STATUS_INVALID_PACKET or NDIS_STATUS_CLOSING, and no completion.
 */
NDISBUF_API VOID NdisSend(PNDIS_STATUS Status, NDIS_HANDLE NdisBindingHandle, PNDIS_PACKET Packet);

/*
 * NdisSendPackets: NdisSend for NumberOfPackets packets, sent down as one
 * NBL chain in array order. Each packet's OOB Status reads
 * NDIS_STATUS_PENDING until it completes, through ProtocolSendComplete,
 * with its own status (also set in its OOB Status). NULL entries are
 * skipped with a diagnostic; a handle that is not an open binding (or a
 * NULL array) is a diagnostic and no packet is taken or completed.
 */
NDISBUF_API VOID NdisSendPackets(NDIS_HANDLE NdisBindingHandle, PPNDIS_PACKET PacketArray, UINT NumberOfPackets);

/*
 * NdisReturnPackets: gives back received packets that ProtocolReceivePacket
 * kept (returned a count above 0): each call counts one return per packet;
 * when a packet's count reaches zero its descriptor and buffers go back to
 * the shim, and the received NBL goes back down (NdisReturnNetBufferLists)
 * once all its packets are back. A packet the shim did not indicate, or
 * one returned more often than announced: a diagnostic, and it is skipped.
 */
NDISBUF_API VOID NdisReturnPackets(PNDIS_PACKET *PacketsToReturn, UINT NumberOfPackets);

/*
 * NdisGetReceivedPacket: from ProtocolReceive, the packet behind the
 * indication (MacContext is its MacReceiveContext): read-only and valid
 * until ProtocolReceive returns. NULL with a diagnostic for any other
 * context.
 */
NDISBUF_API PNDIS_PACKET NdisGetReceivedPacket(NDIS_HANDLE NdisBindingHandle, NDIS_HANDLE MacContext);

/* ---- requests ---- */

/*
 * NdisRequest: a query (NdisRequestQueryInformation, NdisRequestQueryStatistics)
 * or set (NdisRequestSetInformation) request, translated into an
 * NDIS_OID_REQUEST on the NDIS 6 binding. When it completes at once,
 * *Status is its status and BytesWritten / BytesRead / BytesNeeded are
 * filled in; when it pends, *Status is NDIS_STATUS_PENDING and
 * ProtocolRequestComplete follows with the request, filled in the same way.
 * The request must stay valid until then. Other request types:
 * NDIS_STATUS_NOT_SUPPORTED; no memory: NDIS_STATUS_RESOURCES; a handle that
 * is not an open binding: NDIS_STATUS_CLOSING (each with a diagnostic).
 */
NDISBUF_API VOID NdisRequest(PNDIS_STATUS Status, NDIS_HANDLE NdisBindingHandle, PNDIS_REQUEST NdisRequest);

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_NDIS_NDIS5_H */
