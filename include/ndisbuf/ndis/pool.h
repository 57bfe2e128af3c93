/* SPDX-License-Identifier: MIT */
/*
 * NET_BUFFER_LIST and NET_BUFFER pools: parameters, allocation and free.
 *
 * A driver creates pools once (at initialisation or when a binding opens),
 * sized for the whole stack's back-fill and context, then allocates and
 * frees per packet. The cheap path is NdisAllocateNetBufferAndNetBufferList
 * on a pool created with fAllocateNetBuffer: the NET_BUFFER comes in the
 * same block as its NET_BUFFER_LIST. Every element of a pool is one block
 * laid out at pool creation; allocation and free take no lock on the fast
 * path and may happen on different threads.
 *
 * Contract violations (double free, freeing a pointer no pool gave out,
 * freeing an NBL that still carries a separately allocated NB, freeing a
 * pool with objects outstanding) are reported through the verifier's one
 * reporting function (see ndisbuf.h: abort by default) and the call then
 * returns without touching anything.
 */
#ifndef NDISBUF_NDIS_POOL_H
#define NDISBUF_NDIS_POOL_H

#include "base.h"
#include "object.h"
#include "nbl.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NDIS_PROTOCOL_ID_DEFAULT 0x00
#define NDIS_PROTOCOL_ID_TCP_IP 0x02
#define NDIS_PROTOCOL_ID_IPX 0x06
#define NDIS_PROTOCOL_ID_NBF 0x07
#define NDIS_PROTOCOL_ID_MAX 0x0F
#define NDIS_PROTOCOL_ID_MASK 0x0F

typedef struct _NET_BUFFER_LIST_POOL_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    UCHAR ProtocolId;
    BOOLEAN fAllocateNetBuffer;
    USHORT ContextSize;
    ULONG PoolTag;
    ULONG DataSize;
    ULONG Flags;
} NET_BUFFER_LIST_POOL_PARAMETERS, *PNET_BUFFER_LIST_POOL_PARAMETERS;

#define NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1 1
#define NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_2 2
#define NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NET_BUFFER_LIST_POOL_PARAMETERS, DataSize)
#define NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_2 \
    RTL_SIZEOF_THROUGH_FIELD(NET_BUFFER_LIST_POOL_PARAMETERS, Flags)

_Static_assert(offsetof(NET_BUFFER_LIST_POOL_PARAMETERS, ProtocolId) == 4, "ProtocolId at 4");
_Static_assert(offsetof(NET_BUFFER_LIST_POOL_PARAMETERS, fAllocateNetBuffer) == 5, "fAllocateNetBuffer at 5");
_Static_assert(offsetof(NET_BUFFER_LIST_POOL_PARAMETERS, ContextSize) == 6, "ContextSize at 6");
_Static_assert(offsetof(NET_BUFFER_LIST_POOL_PARAMETERS, PoolTag) == 8, "PoolTag at 8");
_Static_assert(offsetof(NET_BUFFER_LIST_POOL_PARAMETERS, DataSize) == 12, "DataSize at 12");
_Static_assert(NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1 == 16, "revision 1 is 16 bytes");
_Static_assert(NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_2 == 20, "revision 2 is 20 bytes");

typedef struct _NET_BUFFER_POOL_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    ULONG PoolTag;
    ULONG DataSize;
} NET_BUFFER_POOL_PARAMETERS, *PNET_BUFFER_POOL_PARAMETERS;

#define NET_BUFFER_POOL_PARAMETERS_REVISION_1 1
#define NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NET_BUFFER_POOL_PARAMETERS, DataSize)
_Static_assert(NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1 == 12, "NB pool params are 12 bytes");

/*
 * NdisAllocateNetBufferListPool: a pool of NBLs described by Parameters.
 * Header must be {NDIS_OBJECT_TYPE_DEFAULT, revision >= 1, Size at least that
 * revision's size}; ProtocolId <= NDIS_PROTOCOL_ID_MAX; ContextSize a
 * multiple of sizeof(PVOID); DataSize != 0 only with fAllocateNetBuffer;
 * revision 2's Flags must be 0. NdisHandle may be NULL (ndisbuf decision);
 * a driver or binding handle attributes the pool to it in reports.
 * Returns the pool handle, or NULL with a diagnostic naming the bad field
 * (ndisbuf_last_diagnostic()). Parameters are only read.
 */
NDISBUF_API NDIS_HANDLE NdisAllocateNetBufferListPool(NDIS_HANDLE NdisHandle,
                                                      PNET_BUFFER_LIST_POOL_PARAMETERS Parameters);

/*
 * NdisFreeNetBufferListPool: releases the pool and all its memory. Every NBL
 * from it must have been freed. Verifier (always on): a pool with NBLs
 * outstanding is reported with the count, tag and allocation sites, and is
 * left intact (free the NBLs and call again); an unknown handle is reported.
 */
NDISBUF_API VOID NdisFreeNetBufferListPool(NDIS_HANDLE PoolHandle);

/* NdisAllocateNetBufferPool: as the NBL pool, for lone NET_BUFFERs. */
NDISBUF_API NDIS_HANDLE NdisAllocateNetBufferPool(NDIS_HANDLE NdisHandle,
                                                  PNET_BUFFER_POOL_PARAMETERS Parameters);

/* NdisFreeNetBufferPool: as NdisFreeNetBufferListPool. */
NDISBUF_API VOID NdisFreeNetBufferPool(NDIS_HANDLE PoolHandle);

/*
 * NdisAllocateNetBufferList: an NBL from PoolHandle, zeroed, with the pool's
 * preallocated NB (and MDL and DataSize bytes of data: DataOffset 0,
 * DataLength DataSize) when the pool has them. ContextSize used bytes of
 * context with ContextBackFill unused bytes in front of them come from the
 * NBL's own block when they fit in the pool's ContextSize, otherwise from a
 * separately allocated context block (not an error). Both must be multiples
 * of sizeof(PVOID). Returns NULL (with a diagnostic) on bad arguments or
 * when memory runs out. Free with NdisFreeNetBufferList.
 */
NDISBUF_API PNET_BUFFER_LIST NdisAllocateNetBufferList(NDIS_HANDLE PoolHandle, USHORT ContextSize,
                                                       USHORT ContextBackFill);

/*
 * NdisAllocateNetBufferAndNetBufferList: the cheap path. The pool must have
 * fAllocateNetBuffer and DataSize 0. Gives an NBL with exactly one NB that
 * describes MdlChain from DataOffset for DataLength bytes (CurrentMdl and
 * CurrentMdlOffset located accordingly). MdlChain may be NULL only with
 * DataOffset and DataLength 0; otherwise DataOffset + DataLength must not
 * exceed the chain's bytes. The MDL chain stays the caller's: it is never
 * freed by the library. NULL with a diagnostic on bad arguments.
 */
NDISBUF_API PNET_BUFFER_LIST NdisAllocateNetBufferAndNetBufferList(NDIS_HANDLE PoolHandle,
                                                                   USHORT ContextSize,
                                                                   USHORT ContextBackFill,
                                                                   PMDL MdlChain, ULONG DataOffset,
                                                                   SIZE_T DataLength);

/*
 * NdisFreeNetBufferList: frees the NBL with its context and only the NB, MDL
 * and data that came with it. Separately allocated NBs must be freed (or
 * moved) first; the caller's MDL chains are never freed. Verifier (always
 * on): NULL, a pointer no pool gave out, a double free, an NBL whose
 * NdisPoolHandle no longer names its pool, an NBL still carrying a
 * separately allocated NB, or context still pushed are reported, and the NBL
 * is left as it was.
 */
NDISBUF_API VOID NdisFreeNetBufferList(PNET_BUFFER_LIST NetBufferList);

/*
 * NdisAllocateNetBuffer: a lone NB from a NET_BUFFER pool with DataSize 0,
 * describing MdlChain (may be NULL with zero offset and length) as above.
 * NULL with a diagnostic on bad arguments. Free with NdisFreeNetBuffer.
 */
NDISBUF_API PNET_BUFFER NdisAllocateNetBuffer(NDIS_HANDLE PoolHandle, PMDL MdlChain,
                                              ULONG DataOffset, SIZE_T DataLength);

/*
 * NdisAllocateNetBufferMdlAndData: an NB with its own MDL and DataSize bytes
 * of data in one block, from a NET_BUFFER pool with DataSize != 0
 * (DataOffset 0, DataLength DataSize). Freed, data and all, by
 * NdisFreeNetBuffer.
 */
NDISBUF_API PNET_BUFFER NdisAllocateNetBufferMdlAndData(NDIS_HANDLE PoolHandle);

/*
 * NdisFreeNetBuffer: frees a lone NB (with its MDL and data when it came
 * with them). Never frees the caller's MDL chain. Verifier (always on): the
 * NB that came inside an NBL (freed by NdisFreeNetBufferList), a pointer no
 * pool gave out and a double free are reported and the NB is left alone.
 */
NDISBUF_API VOID NdisFreeNetBuffer(PNET_BUFFER NetBuffer);

/* The pool an NBL / NB came from (its NdisPoolHandle). */
NDISBUF_API NDIS_HANDLE NdisGetPoolFromNetBufferList(PNET_BUFFER_LIST NetBufferList);
NDISBUF_API NDIS_HANDLE NdisGetPoolFromNetBuffer(PNET_BUFFER NetBuffer);

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_NDIS_POOL_H */
