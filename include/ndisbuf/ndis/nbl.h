/* SPDX-License-Identifier: MIT */
/*
 * NET_BUFFER, NET_BUFFER_LIST and the NBL context stack, with the accessor
 * macros driver code uses on them.
 *
 * Field names, types and order are Windows x64's; with Windows' integer
 * widths the derived sizes are pinned below (176 and 368 bytes), so code
 * that embeds these structures or computes offsets behaves as on Windows.
 * A NET_BUFFER is one packet: an MDL chain plus a window on it (DataOffset
 * unused bytes of back-fill, then DataLength used bytes). A NET_BUFFER_LIST
 * groups NET_BUFFERs that share out-of-band information.
 */
#ifndef NDISBUF_NDIS_NBL_H
#define NDISBUF_NDIS_NBL_H

#include "base.h"
#include "mdl.h"
#include "status.h"
#include "nblinfo.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _NET_BUFFER NET_BUFFER, *PNET_BUFFER;
typedef struct _NET_BUFFER_LIST NET_BUFFER_LIST, *PNET_BUFFER_LIST;
typedef struct _NET_BUFFER_LIST_CONTEXT NET_BUFFER_LIST_CONTEXT, *PNET_BUFFER_LIST_CONTEXT;
typedef struct _NET_BUFFER_SHARED_MEMORY NET_BUFFER_SHARED_MEMORY, *PNET_BUFFER_SHARED_MEMORY;
typedef struct _SCATTER_GATHER_LIST SCATTER_GATHER_LIST, *PSCATTER_GATHER_LIST;

typedef union _NET_BUFFER_DATA_LENGTH {
    ULONG DataLength;
    SIZE_T stDataLength;
} NET_BUFFER_DATA_LENGTH, *PNET_BUFFER_DATA_LENGTH;

typedef struct _NET_BUFFER_DATA {
    PNET_BUFFER Next;
    PMDL CurrentMdl;
    ULONG CurrentMdlOffset;
    union {
        ULONG DataLength;
        SIZE_T stDataLength;
    };
    PMDL MdlChain;
    ULONG DataOffset;
} NET_BUFFER_DATA, *PNET_BUFFER_DATA;

typedef union _NET_BUFFER_HEADER {
    NET_BUFFER_DATA NetBufferData;
    SLIST_HEADER Link;
} NET_BUFFER_HEADER, *PNET_BUFFER_HEADER;

struct _NET_BUFFER {
    union {
        struct {
            PNET_BUFFER Next;
            PMDL CurrentMdl;
            ULONG CurrentMdlOffset;
            union {
                ULONG DataLength;
                SIZE_T stDataLength;
            };
            PMDL MdlChain;
            ULONG DataOffset;
        };
        SLIST_HEADER Link;
        NET_BUFFER_HEADER NetBufferHeader;
    };
    USHORT ChecksumBias;
    USHORT Reserved;
    NDIS_HANDLE NdisPoolHandle;
    DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) PVOID NdisReserved[2];
    DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) PVOID ProtocolReserved[6];
    DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) PVOID MiniportReserved[4];
    NDIS_PHYSICAL_ADDRESS DataPhysicalAddress;
    union {
        PNET_BUFFER_SHARED_MEMORY SharedMemoryInfo;
        PSCATTER_GATHER_LIST ScatterGatherList;
    };
};

/*
 * NET_BUFFER x64 derivation: the leading union is 48 bytes (Next 0,
 * CurrentMdl 8, CurrentMdlOffset 16, DataLength/stDataLength 24, MdlChain 32,
 * DataOffset 40, padded to the SLIST_HEADER's 16-byte alignment);
 * ChecksumBias 48, Reserved 50, NdisPoolHandle 56; the three reserved arrays
 * are 16-aligned: NdisReserved 64, ProtocolReserved 80, MiniportReserved 128;
 * DataPhysicalAddress 160, SharedMemoryInfo 168; total 176.
 */
_Static_assert(offsetof(NET_BUFFER, Next) == 0, "NB.Next at 0");
_Static_assert(offsetof(NET_BUFFER, CurrentMdl) == 8, "NB.CurrentMdl at 8");
_Static_assert(offsetof(NET_BUFFER, CurrentMdlOffset) == 16, "NB.CurrentMdlOffset at 16");
_Static_assert(offsetof(NET_BUFFER, DataLength) == 24, "NB.DataLength at 24");
_Static_assert(offsetof(NET_BUFFER, stDataLength) == 24, "NB.stDataLength at 24");
_Static_assert(offsetof(NET_BUFFER, MdlChain) == 32, "NB.MdlChain at 32");
_Static_assert(offsetof(NET_BUFFER, DataOffset) == 40, "NB.DataOffset at 40");
_Static_assert(offsetof(NET_BUFFER, ChecksumBias) == 48, "NB.ChecksumBias at 48");
_Static_assert(offsetof(NET_BUFFER, NdisPoolHandle) == 56, "NB.NdisPoolHandle at 56");
_Static_assert(offsetof(NET_BUFFER, NdisReserved) == 64, "NB.NdisReserved at 64");
_Static_assert(offsetof(NET_BUFFER, ProtocolReserved) == 80, "NB.ProtocolReserved at 80");
_Static_assert(offsetof(NET_BUFFER, MiniportReserved) == 128, "NB.MiniportReserved at 128");
_Static_assert(offsetof(NET_BUFFER, DataPhysicalAddress) == 160, "NB.DataPhysicalAddress at 160");
_Static_assert(offsetof(NET_BUFFER, SharedMemoryInfo) == 168, "NB.SharedMemoryInfo at 168");
_Static_assert(sizeof(NET_BUFFER) == 176, "sizeof(NET_BUFFER) == 176 on x64");
_Static_assert(sizeof(NET_BUFFER_DATA) == 48, "NET_BUFFER_DATA is 48 bytes");

/*
 * The context stack. ContextData is aligned to MEMORY_ALLOCATION_ALIGNMENT,
 * so the header is 16 bytes. Offset is the start of the used part; Size is
 * the whole data area of this block.
 */
struct _NET_BUFFER_LIST_CONTEXT {
    PNET_BUFFER_LIST_CONTEXT Next;
    USHORT Size;
    USHORT Offset;
    DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) UCHAR ContextData[];
};
_Static_assert(offsetof(NET_BUFFER_LIST_CONTEXT, ContextData) == 16, "context data at 16");

typedef struct _NET_BUFFER_LIST_DATA {
    PNET_BUFFER_LIST Next;
    PNET_BUFFER FirstNetBuffer;
} NET_BUFFER_LIST_DATA, *PNET_BUFFER_LIST_DATA;

typedef union _NET_BUFFER_LIST_HEADER {
    NET_BUFFER_LIST_DATA NetBufferListData;
    SLIST_HEADER Link;
} NET_BUFFER_LIST_HEADER, *PNET_BUFFER_LIST_HEADER;

struct _NET_BUFFER_LIST {
    union {
        struct {
            PNET_BUFFER_LIST Next;
            PNET_BUFFER FirstNetBuffer;
        };
        SLIST_HEADER Link;
        NET_BUFFER_LIST_HEADER NetBufferListHeader;
    };
    PNET_BUFFER_LIST_CONTEXT Context;
    PNET_BUFFER_LIST ParentNetBufferList;
    NDIS_HANDLE NdisPoolHandle;
    DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) PVOID NdisReserved[2];
    DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) PVOID ProtocolReserved[4];
    DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) PVOID MiniportReserved[2];
    PVOID Scratch;
    NDIS_HANDLE SourceHandle;
    ULONG NblFlags;
    LONG ChildRefCount;
    ULONG Flags;
    union {
        NDIS_STATUS Status;
        ULONG NdisReserved2;
    };
    PVOID NetBufferListInfo[MaxNetBufferListInfo];
};

/*
 * NET_BUFFER_LIST x64 derivation: Next 0, FirstNetBuffer 8 (union with the
 * 16-byte SLIST_HEADER), Context 16, ParentNetBufferList 24, NdisPoolHandle
 * 32; the 16-aligned reserved arrays: NdisReserved 48, ProtocolReserved 64,
 * MiniportReserved 96; Scratch 112, SourceHandle 120, NblFlags 128,
 * ChildRefCount 132, Flags 136, Status 140, NetBufferListInfo 144 with 27
 * slots (216 bytes) ends at 360, rounded to the 16-byte alignment: 368.
 */
_Static_assert(offsetof(NET_BUFFER_LIST, Next) == 0, "NBL.Next at 0");
_Static_assert(offsetof(NET_BUFFER_LIST, FirstNetBuffer) == 8, "NBL.FirstNetBuffer at 8");
_Static_assert(offsetof(NET_BUFFER_LIST, Context) == 16, "NBL.Context at 16");
_Static_assert(offsetof(NET_BUFFER_LIST, ParentNetBufferList) == 24, "NBL.ParentNetBufferList at 24");
_Static_assert(offsetof(NET_BUFFER_LIST, NdisPoolHandle) == 32, "NBL.NdisPoolHandle at 32");
_Static_assert(offsetof(NET_BUFFER_LIST, NdisReserved) == 48, "NBL.NdisReserved at 48");
_Static_assert(offsetof(NET_BUFFER_LIST, ProtocolReserved) == 64, "NBL.ProtocolReserved at 64");
_Static_assert(offsetof(NET_BUFFER_LIST, MiniportReserved) == 96, "NBL.MiniportReserved at 96");
_Static_assert(offsetof(NET_BUFFER_LIST, Scratch) == 112, "NBL.Scratch at 112");
_Static_assert(offsetof(NET_BUFFER_LIST, SourceHandle) == 120, "NBL.SourceHandle at 120");
_Static_assert(offsetof(NET_BUFFER_LIST, NblFlags) == 128, "NBL.NblFlags at 128");
_Static_assert(offsetof(NET_BUFFER_LIST, ChildRefCount) == 132, "NBL.ChildRefCount at 132");
_Static_assert(offsetof(NET_BUFFER_LIST, Flags) == 136, "NBL.Flags at 136");
_Static_assert(offsetof(NET_BUFFER_LIST, Status) == 140, "NBL.Status at 140");
_Static_assert(offsetof(NET_BUFFER_LIST, NetBufferListInfo) == 144, "NBL.NetBufferListInfo at 144");
_Static_assert(sizeof(NET_BUFFER_LIST) == 368, "sizeof(NET_BUFFER_LIST) == 368 on x64");

/* ---- NET_BUFFER_LIST accessors (lvalues, as in the WDK) ---- */
#define NET_BUFFER_LIST_NEXT_NBL(_NBL) ((_NBL)->Next)
#define NET_BUFFER_LIST_FIRST_NB(_NBL) ((_NBL)->FirstNetBuffer)
#define NET_BUFFER_LIST_FLAGS(_NBL) ((_NBL)->Flags)
#define NET_BUFFER_LIST_NBL_FLAGS(_NBL) ((_NBL)->NblFlags)
#define NET_BUFFER_LIST_STATUS(_NBL) ((_NBL)->Status)
#define NET_BUFFER_LIST_PROTOCOL_RESERVED(_NBL) ((_NBL)->ProtocolReserved)
#define NET_BUFFER_LIST_MINIPORT_RESERVED(_NBL) ((_NBL)->MiniportReserved)
#define NET_BUFFER_LIST_CONTEXT_DATA_START(_NBL) \
    ((PUCHAR)(((_NBL)->Context)->ContextData) + ((_NBL)->Context)->Offset)
#define NET_BUFFER_LIST_CONTEXT_DATA_SIZE(_NBL) (((_NBL)->Context)->Size)

/* ---- NET_BUFFER accessors ---- */
#define NET_BUFFER_NEXT_NB(_NB) ((_NB)->Next)
#define NET_BUFFER_FIRST_MDL(_NB) ((_NB)->MdlChain)
#define NET_BUFFER_CURRENT_MDL(_NB) ((_NB)->CurrentMdl)
#define NET_BUFFER_CURRENT_MDL_OFFSET(_NB) ((_NB)->CurrentMdlOffset)
#define NET_BUFFER_DATA_LENGTH(_NB) ((_NB)->DataLength)
#define NET_BUFFER_DATA_OFFSET(_NB) ((_NB)->DataOffset)
#define NET_BUFFER_CHECKSUM_BIAS(_NB) ((_NB)->ChecksumBias)
#define NET_BUFFER_PROTOCOL_RESERVED(_NB) ((_NB)->ProtocolReserved)
#define NET_BUFFER_MINIPORT_RESERVED(_NB) ((_NB)->MiniportReserved)
#define NET_BUFFER_DATA_PHYSICAL_ADDRESS(_NB) ((_NB)->DataPhysicalAddress)

/* Protocol id: the low byte of the NetBufferListFrameType info slot. */
#define NdisGetNetBufferListProtocolId(_NBL) \
    ((UCHAR)(ULONG_PTR)NET_BUFFER_LIST_INFO((_NBL), NetBufferListProtocolId))
#define NdisSetNetBufferListProtocolId(_NBL, _ProtocolId)                      \
    (*((PUCHAR)(&NET_BUFFER_LIST_INFO((_NBL), NetBufferListProtocolId))) =      \
         (UCHAR)(_ProtocolId))

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_NDIS_NBL_H */
