/* SPDX-License-Identifier: MIT */
/*
 * The NBL data path: moving a NET_BUFFER's data start through its back-fill
 * (retreat/advance), the NBL context stack, reading headers that may span
 * MDLs, copying between NET_BUFFERs, and copying out-of-band information.
 *
 * Retreat makes room in front of the packet for a header; advance gives it
 * back. When a NET_BUFFER has no back-fill left, retreat puts a new MDL in
 * front of the chain; advance with FreeMdl releases such MDLs, and only
 * those: an MDL the driver built is never freed by the library.
 */
#ifndef NDISBUF_NDIS_NBLDATA_H
#define NDISBUF_NDIS_NBLDATA_H

#include "base.h"
#include "mdl.h"
#include "nbl.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Allocates the MDL (and the buffer it describes) a retreat needs: called
 * with *BufferSize = the bytes needed; may set *BufferSize to a larger size
 * it actually provides. NULL means no memory (the retreat fails with
 * NDIS_STATUS_RESOURCES and the NET_BUFFER is unchanged).
 */
typedef PMDL (*NET_BUFFER_ALLOCATE_MDL_HANDLER)(PULONG BufferSize);
/* Frees an MDL (and its buffer) that a NET_BUFFER_ALLOCATE_MDL_HANDLER gave. */
typedef VOID (*NET_BUFFER_FREE_MDL_HANDLER)(PMDL Mdl);

/*
 * NdisRetreatNetBufferDataStart: DataOffsetDelta more bytes of used data in
 * front of the current data. Within the back-fill, DataOffset shrinks and
 * CurrentMdl/CurrentMdlOffset move back (across MDLs if need be). Beyond
 * it, a new MDL of (DataOffsetDelta - DataOffset) + DataBackFill bytes
 * (from AllocateMdlHandler, or the library when it is NULL) goes at the
 * front of the chain, the used data starts DataBackFill bytes into it, and
 * DataOffset becomes DataBackFill (ndisbuf decision, docs/datapath.md). An
 * NB with no MDL chain and no data may be retreated. Returns SUCCESS,
 * RESOURCES (NB unchanged) or FAILURE (bad arguments; NB unchanged, with a
 * diagnostic).
 */
NDISBUF_API NDIS_STATUS NdisRetreatNetBufferDataStart(PNET_BUFFER NetBuffer, ULONG DataOffsetDelta,
                                                      ULONG DataBackFill,
                                                      NET_BUFFER_ALLOCATE_MDL_HANDLER AllocateMdlHandler);

/*
 * NdisAdvanceNetBufferDataStart: DataOffsetDelta fewer bytes of used data
 * (DataOffsetDelta must not exceed DataLength: otherwise nothing changes
 * and a diagnostic says why). With FreeMdl, the MDLs at the front that are
 * now wholly unused and were allocated by a retreat are unlinked and freed
 * (through FreeMdlHandler when given), and DataOffset shrinks by their size.
 * Caller-owned MDLs are never freed.
 */
NDISBUF_API VOID NdisAdvanceNetBufferDataStart(PNET_BUFFER NetBuffer, ULONG DataOffsetDelta, BOOLEAN FreeMdl,
                                               NET_BUFFER_FREE_MDL_HANDLER FreeMdlHandler);

/*
 * The same on every NB of the NBL. If one NB fails, the NBs already
 * retreated are advanced back (freeing what the retreat allocated, through
 * FreeMdlHandler when given) and the NBL is as it was.
 */
NDISBUF_API NDIS_STATUS NdisRetreatNetBufferListDataStart(PNET_BUFFER_LIST NetBufferList, ULONG DataOffsetDelta,
                                                          ULONG DataBackFill,
                                                          NET_BUFFER_ALLOCATE_MDL_HANDLER AllocateMdlHandler,
                                                          NET_BUFFER_FREE_MDL_HANDLER FreeMdlHandler);
NDISBUF_API VOID NdisAdvanceNetBufferListDataStart(PNET_BUFFER_LIST NetBufferList, ULONG DataOffsetDelta,
                                                   BOOLEAN FreeMdl, NET_BUFFER_FREE_MDL_HANDLER FreeMdlHandler);

/* Recomputes CurrentMdl and CurrentMdlOffset from DataOffset. */
NDISBUF_API VOID NdisAdjustNetBufferCurrentMdl(PNET_BUFFER NetBuffer);

/* Physical breaks in the used data: in user mode, the 4 KiB pages it spans, MDL by MDL. */
NDISBUF_API ULONG NdisQueryNetBufferPhysicalCount(PNET_BUFFER NetBuffer);

/*
 * NdisAllocateNetBufferListContext: ContextSize more bytes of used context
 * (NET_BUFFER_LIST_CONTEXT_DATA_START moves back by ContextSize). If the
 * current block has that much unused room in front, it is used; otherwise
 * a block of ContextSize + ContextBackFill bytes is pushed, used part at its
 * end. Sizes must be multiples of sizeof(PVOID) (FAILURE otherwise, with a
 * diagnostic). RESOURCES when memory runs out; the NBL is then unchanged.
 */
NDISBUF_API NDIS_STATUS NdisAllocateNetBufferListContext(PNET_BUFFER_LIST NetBufferList, USHORT ContextSize,
                                                         USHORT ContextBackFill, ULONG PoolTag);

/*
 * NdisFreeNetBufferListContext: releases ContextSize bytes of used context;
 * a pushed block that becomes empty is popped and freed. Frees must mirror
 * allocations (LIFO). Verifier: releasing more than the current block's used
 * bytes, or popping the allocation-time block, is reported
 * (CONTEXT_MISMATCH) and nothing changes.
 */
NDISBUF_API VOID NdisFreeNetBufferListContext(PNET_BUFFER_LIST NetBufferList, USHORT ContextSize);

/*
 * NdisGetDataBuffer: NULL if BytesNeeded is 0 or above DataLength. A
 * pointer into the MDL when the first BytesNeeded used bytes are contiguous
 * there and the pointer sits AlignOffset bytes past a multiple of
 * AlignMultiple (address % AlignMultiple == AlignOffset; AlignMultiple a
 * power of two, 0 or 1 meaning no alignment; e.g. 4 and 2 for an Ethernet
 * header whose IP header must be 4-aligned). Otherwise the bytes are copied
 * to Storage (which the caller aligns as it needs) and Storage is returned,
 * or NULL when Storage is NULL. Bad alignment arguments give NULL with a
 * diagnostic.
 */
NDISBUF_API PVOID NdisGetDataBuffer(PNET_BUFFER NetBuffer, ULONG BytesNeeded, PVOID Storage, UINT AlignMultiple,
                                    UINT AlignOffset);

/*
 * NdisCopyFromNetBufferToNetBuffer: copies up to BytesToCopy bytes from
 * Source (SourceOffset bytes after its current data start) to Destination
 * (DestinationOffset after its current data start), stopping at the end of
 * either NB's MDL chain; *BytesCopied tells how many. SUCCESS even for a
 * short copy; FAILURE on bad arguments. Neither NB's DataOffset/DataLength
 * changes.
 */
NDISBUF_API NDIS_STATUS NdisCopyFromNetBufferToNetBuffer(PNET_BUFFER Destination, ULONG DestinationOffset,
                                                         ULONG BytesToCopy, PNET_BUFFER Source,
                                                         ULONG SourceOffset, PULONG BytesCopied);

/*
 * Copy the out-of-band information a send (resp. receive) path carries
 * from SrcNetBufferList to DestNetBufferList: exactly the slots Microsoft's
 * pages list (src/core/info.c); other slots of the destination are left
 * alone. A NULL argument copies nothing and gives a diagnostic.
 */
NDISBUF_API VOID NdisCopySendNetBufferListInfo(PNET_BUFFER_LIST DestNetBufferList,
                                               NET_BUFFER_LIST const *SrcNetBufferList);
NDISBUF_API VOID NdisCopyReceiveNetBufferListInfo(PNET_BUFFER_LIST DestNetBufferList,
                                                  NET_BUFFER_LIST const *SrcNetBufferList);

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_NDIS_NBLDATA_H */
