/* SPDX-License-Identifier: MIT */
/*
 * Derived NET_BUFFER_LISTs: clones, fragments and reassembled packets that
 * describe another NBL's data without copying it.
 *
 * A derived NBL (the child) points at the NBL it was made from (the parent)
 * through ParentNetBufferList; the library sets that pointer and zeroes the
 * child's own ChildRefCount. Keeping the parent's ChildRefCount is the
 * deriving driver's job (increment per child made, decrement per child
 * freed); freeing an NBL whose ChildRefCount is not zero is reported
 * (CHILDREN_OUTSTANDING) and nothing is freed. A child gets no context, no
 * out-of-band information and no flags from its parent (copy what you need
 * with NdisCopySendNetBufferListInfo / NdisCopyReceiveNetBufferListInfo).
 *
 * Pools: a NULL pool handle means the library's internal pools (never
 * listed among live pools; their objects count in ndisbuf_outstanding_total).
 * A given NBL pool must have DataSize 0; when it was created with
 * fAllocateNetBuffer, the NBL's own NET_BUFFER is the child's first. The
 * internal NBL pool's NBLs come with their NET_BUFFER, so with a NULL NBL
 * pool the NB pool serves the second NB onwards. A given NB pool must have
 * DataSize 0. The NBL's ProtocolId is its pool's.
 *
 * Memory: the child's NET_BUFFERs describe the parent's bytes through MDLs
 * the library builds (MDL_PARTIAL), or, for a clone made with
 * NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS, through the parent's own MDLs. A
 * child's back-fill never overlaps its parent's used data: the room a
 * fragment or reassembled NBL gets for a new header (DataOffsetDelta) is a
 * new MDL of DataOffsetDelta + DataBackFill bytes (docs/derived.md).
 *
 * Each child is freed by the call that matches its allocation, with the
 * same flags and DataOffsetDelta; anything else is reported (WRONG_FREE_CALL,
 * DERIVED_FREE_MISMATCH) and the NBL is left as it was. The parent must
 * outlive its children and keep its data unchanged while they exist.
 */
#ifndef NDISBUF_NDIS_DERIVED_H
#define NDISBUF_NDIS_DERIVED_H

#include "base.h"
#include "nbl.h"

#ifdef __cplusplus
extern "C" {
#endif

/* AllocateCloneFlags / FreeCloneFlags. RESERVED is NDIS's and is refused. */
#define NDIS_CLONE_FLAGS_RESERVED 0x00000001
#define NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS 0x00000002

/*
 * NdisAllocateCloneNetBufferList: a new NBL with one NET_BUFFER per
 * NET_BUFFER of OriginalNetBufferList, each describing exactly the
 * original's used data (DataLength bytes from its current data start).
 *  - Without NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS: new MDLs over the same
 *    memory, the first starting at the first used byte and the last ending
 *    at the last one (zero-length MDLs are not reproduced); the clone's
 *    DataOffset is 0, so retreating it allocates rather than writing into
 *    the original's back-fill.
 *  - With it: each clone NB's MdlChain is the original's CurrentMdl and its
 *    DataOffset the original's CurrentMdlOffset: the MDLs, and the back-fill
 *    in front of the data, are shared with the original.
 * Preconditions: OriginalNetBufferList is not NULL, was not freed, and each
 * NB's MDL chain holds its DataLength bytes after CurrentMdl/
 * CurrentMdlOffset; pools as in the header comment; no flag other than
 * USE_ORIGINAL_MDLS. Returns the clone, or NULL (bad arguments, with a
 * diagnostic; or no memory), in which case nothing was allocated and the
 * original is untouched. Ownership: the caller owns the clone and frees it
 * with NdisFreeCloneNetBufferList(clone, same flags) before the original.
 */
NDISBUF_API PNET_BUFFER_LIST NdisAllocateCloneNetBufferList(PNET_BUFFER_LIST OriginalNetBufferList,
                                                            NDIS_HANDLE NetBufferListPoolHandle,
                                                            NDIS_HANDLE NetBufferPoolHandle,
                                                            ULONG AllocateCloneFlags);

/*
 * NdisFreeCloneNetBufferList: frees a clone with its NET_BUFFERs and the
 * MDLs the library built for it (never the original's MDLs), and any MDL a
 * retreat of the library left at the front of its NBs. FreeCloneFlags must
 * be the flags of the allocation. Verifier: NULL_OBJECT, FOREIGN_POINTER,
 * DOUBLE_FREE, WRONG_FREE_CALL (not a clone), DERIVED_FREE_MISMATCH (other
 * flags), CONTEXT_NOT_POPPED, CHILDREN_OUTSTANDING, NBL_HAS_FOREIGN_NB (an NB
 * the driver added), DERIVED_NB_MISSING (an NB the driver unlinked); after a
 * report nothing is freed. MDLs the driver linked into the clone's chains
 * stay the driver's and are stepped over.
 */
NDISBUF_API VOID NdisFreeCloneNetBufferList(PNET_BUFFER_LIST CloneNetBufferList, ULONG FreeCloneFlags);

/*
 * NdisAllocateFragmentNetBufferList: for each NET_BUFFER of the original,
 * the used data after its first StartOffset bytes is cut into NET_BUFFERs
 * of MaximumLength bytes, the last of each original NB possibly shorter;
 * pieces of different NBs are never joined. Each fragment is then retreated
 * by DataOffsetDelta (when not 0) into a new MDL of DataOffsetDelta +
 * DataBackFill bytes, so NET_BUFFER_DATA_LENGTH is piece + DataOffsetDelta
 * and the header room is the fragment's own. Preconditions: MaximumLength
 * > 0; StartOffset <= every NB's DataLength (an NB with nothing after it
 * gives no fragment, but at least one fragment must result);
 * AllocateFragmentFlags 0; pools as in the header comment. Returns the
 * fragment NBL or NULL (diagnostic; nothing allocated, original untouched).
 * Free with NdisFreeFragmentNetBufferList(frag, same DataOffsetDelta, 0).
 */
NDISBUF_API PNET_BUFFER_LIST NdisAllocateFragmentNetBufferList(PNET_BUFFER_LIST OriginalNetBufferList,
                                                               NDIS_HANDLE NetBufferListPool,
                                                               NDIS_HANDLE NetBufferPool, ULONG StartOffset,
                                                               ULONG MaximumLength, ULONG DataOffsetDelta,
                                                               ULONG DataBackFill, ULONG AllocateFragmentFlags);

/*
 * NdisFreeFragmentNetBufferList: advances each fragment by DataOffsetDelta
 * (which must be the allocation's) and frees the fragments, their MDLs and
 * the NBL. FreeFragmentFlags must be 0. Verifier: as NdisFreeCloneNetBufferList,
 * DERIVED_FREE_MISMATCH for another DataOffsetDelta.
 */
NDISBUF_API VOID NdisFreeFragmentNetBufferList(PNET_BUFFER_LIST FragmentNetBufferList, ULONG DataOffsetDelta,
                                               ULONG FreeFragmentFlags);

/*
 * NdisAllocateReassembledNetBufferList: one NBL with one NET_BUFFER whose
 * MDL chain describes, in order, the used data of every NET_BUFFER of
 * FragmentNetBufferList after its first StartOffset bytes; then retreated
 * by DataOffsetDelta as for fragments. Preconditions: the pool, when given,
 * was created with fAllocateNetBuffer TRUE and DataSize 0; StartOffset <=
 * every NB's DataLength; the joined length fits a ULONG;
 * AllocateReassembleFlags 0. Returns the NBL or NULL (diagnostic; nothing
 * allocated, fragments untouched). Free with
 * NdisFreeReassembledNetBufferList(nbl, same DataOffsetDelta, 0).
 */
NDISBUF_API PNET_BUFFER_LIST NdisAllocateReassembledNetBufferList(PNET_BUFFER_LIST FragmentNetBufferList,
                                                                  NDIS_HANDLE NetBufferAndNetBufferListPoolHandle,
                                                                  ULONG StartOffset, ULONG DataOffsetDelta,
                                                                  ULONG DataBackFill, ULONG AllocateReassembleFlags);

/* NdisFreeReassembledNetBufferList: as NdisFreeFragmentNetBufferList, for a reassembled NBL. */
NDISBUF_API VOID NdisFreeReassembledNetBufferList(PNET_BUFFER_LIST ReassembledNetBufferList, ULONG DataOffsetDelta,
                                                  ULONG FreeReassembleFlags);

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_NDIS_DERIVED_H */
