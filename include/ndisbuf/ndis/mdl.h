/* SPDX-License-Identifier: MIT */
/*
 * MDL: the memory descriptor list, and the Mm/Io/Ndis helpers around it.
 *
 * An MDL describes one virtually contiguous buffer: it starts at
 * StartVa + ByteOffset (StartVa page-aligned) and is ByteCount bytes long.
 * In user mode there is no mapping step, so ndisbuf keeps MappedSystemVa
 * equal to the buffer start once an MDL is built, and the "system address"
 * and the "virtual address" of an MDL are the same pointer. The physical
 * page array that follows an MDL in the kernel is not stored; MmSizeOfMdl
 * still answers the kernel's formula so size arithmetic in driver code holds.
 */
#ifndef NDISBUF_NDIS_MDL_H
#define NDISBUF_NDIS_MDL_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _MDL {
    struct _MDL *Next;        /* chain link */
    CSHORT Size;              /* bytes of MDL plus its page array */
    CSHORT MdlFlags;          /* MDL_* below */
    struct _EPROCESS *Process;
    PVOID MappedSystemVa;     /* buffer start once mapped (always, here) */
    PVOID StartVa;            /* page-aligned start */
    ULONG ByteCount;          /* length of the described buffer */
    ULONG ByteOffset;         /* offset of the first byte within StartVa's page */
} MDL, *PMDL;
typedef MDL NDIS_BUFFER, *PNDIS_BUFFER;

/* x64 layout: 8 + 2 + 2 (+4 pad) + 8 + 8 + 8 + 4 + 4 = 48 bytes. */
_Static_assert(sizeof(MDL) == 48, "MDL is 48 bytes on x64");
_Static_assert(offsetof(MDL, Next) == 0, "MDL.Next at 0");
_Static_assert(offsetof(MDL, Size) == 8, "MDL.Size at 8");
_Static_assert(offsetof(MDL, MdlFlags) == 10, "MDL.MdlFlags at 10");
_Static_assert(offsetof(MDL, Process) == 16, "MDL.Process at 16");
_Static_assert(offsetof(MDL, MappedSystemVa) == 24, "MDL.MappedSystemVa at 24");
_Static_assert(offsetof(MDL, StartVa) == 32, "MDL.StartVa at 32");
_Static_assert(offsetof(MDL, ByteCount) == 40, "MDL.ByteCount at 40");
_Static_assert(offsetof(MDL, ByteOffset) == 44, "MDL.ByteOffset at 44");

#define MDL_MAPPED_TO_SYSTEM_VA 0x0001
#define MDL_PAGES_LOCKED 0x0002
#define MDL_SOURCE_IS_NONPAGED_POOL 0x0004
#define MDL_ALLOCATED_FIXED_SIZE 0x0008
#define MDL_PARTIAL 0x0010
#define MDL_PARTIAL_HAS_BEEN_MAPPED 0x0020
#define MDL_IO_PAGE_READ 0x0040
#define MDL_WRITE_OPERATION 0x0080
#define MDL_LOCKED_PAGE_TABLES 0x0100
#define MDL_PARENT_MAPPED_SYSTEM_VA MDL_LOCKED_PAGE_TABLES
#define MDL_FREE_EXTRA_PTES 0x0200
#define MDL_DESCRIBES_AWE 0x0400
#define MDL_IO_SPACE 0x0800
#define MDL_NETWORK_HEADER 0x1000
#define MDL_MAPPING_CAN_FAIL 0x2000
#define MDL_PAGE_CONTENTS_INVARIANT 0x4000
#define MDL_ALLOCATED_MUST_SUCCEED MDL_PAGE_CONTENTS_INVARIANT
#define MDL_INTERNAL 0x8000
#define MDL_MAPPING_FLAGS                                                  \
    (MDL_MAPPED_TO_SYSTEM_VA | MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL | \
     MDL_PARTIAL_HAS_BEEN_MAPPED | MDL_PARENT_MAPPED_SYSTEM_VA | MDL_IO_SPACE)

/* Opaque I/O request packet: IoAllocateMdl accepts only NULL here. */
struct _IRP;
typedef struct _IRP *PIRP;

/* ---- Mm macros: plain field arithmetic, exactly as the WDK defines them ---- */
#define MmGetMdlByteCount(Mdl) ((Mdl)->ByteCount)
#define MmGetMdlByteOffset(Mdl) ((Mdl)->ByteOffset)
#define MmGetMdlBaseVa(Mdl) ((Mdl)->StartVa)
#define MmGetMdlVirtualAddress(Mdl) \
    ((PVOID)((PCHAR)((Mdl)->StartVa) + (Mdl)->ByteOffset))
#define MmGetMdlPfnArray(Mdl) ((PPFN_NUMBER)((Mdl) + 1))

/*
 * MmInitializeMdl: describe Length bytes at BaseVa in caller-owned storage
 * at least MmSizeOfMdl(BaseVa, Length) bytes long. Not yet mapped: call
 * MmBuildMdlForNonPagedPool before using the system address.
 */
#define MmInitializeMdl(MemoryDescriptorList, BaseVa, Length)                  \
    do {                                                                       \
        PMDL ndisbuf_mdl_ = (MemoryDescriptorList);                            \
        PVOID ndisbuf_va_ = (PVOID)(BaseVa);                                   \
        ndisbuf_mdl_->Next = NULL;                                             \
        ndisbuf_mdl_->Size = (CSHORT)(sizeof(MDL) +                            \
            sizeof(PFN_NUMBER) * ADDRESS_AND_SIZE_TO_SPAN_PAGES(ndisbuf_va_, (Length))); \
        ndisbuf_mdl_->MdlFlags = 0;                                            \
        ndisbuf_mdl_->Process = NULL;                                          \
        ndisbuf_mdl_->MappedSystemVa = NULL;                                   \
        ndisbuf_mdl_->StartVa = PAGE_ALIGN(ndisbuf_va_);                       \
        ndisbuf_mdl_->ByteOffset = BYTE_OFFSET(ndisbuf_va_);                   \
        ndisbuf_mdl_->ByteCount = (ULONG)(Length);                             \
    } while (0)

/*
 * MmGetSystemAddressForMdlSafe: the buffer start. Never fails in user mode:
 * an unbuilt MDL answers StartVa + ByteOffset.
 */
static inline PVOID MmGetSystemAddressForMdlSafe(PMDL Mdl, ULONG Priority)
{
    (void)Priority;
    if (Mdl->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL))
        return Mdl->MappedSystemVa;
    return MmGetMdlVirtualAddress(Mdl);
}
#define MmGetSystemAddressForMdl(Mdl) MmGetSystemAddressForMdlSafe((Mdl), NormalPagePriority)

/* Bytes an MDL for Length bytes at Base needs, page array included. */
NDISBUF_API SIZE_T MmSizeOfMdl(PVOID Base, SIZE_T Length);

/*
 * Completes an MDL whose memory needs no locking: sets MappedSystemVa to the
 * buffer start and marks it MDL_SOURCE_IS_NONPAGED_POOL. Cannot fail.
 */
NDISBUF_API VOID MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList);

/*
 * IoAllocateMdl: an MDL from the library's MDL pool describing Length bytes
 * at VirtualAddress, not yet built (call MmBuildMdlForNonPagedPool).
 * Irp must be NULL (there are no IRPs in user mode); SecondaryBuffer and
 * ChargeQuota are ignored. Returns NULL with a diagnostic for a NULL address
 * with a non-zero length, a length over 4 GiB - PAGE_SIZE, a non-NULL Irp, or
 * when memory runs out. Free with IoFreeMdl (or NdisFreeMdl).
 */
NDISBUF_API PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer,
                               BOOLEAN ChargeQuota, PIRP Irp);

/*
 * IoFreeMdl: returns an MDL from IoAllocateMdl/NdisAllocateMdl. The memory it
 * describes is the caller's and is not touched. Verifier: an MDL that came
 * inside an NBL/NB pool element, or no MDL the library gave out, or one
 * already freed, is reported and left alone.
 */
NDISBUF_API VOID IoFreeMdl(PMDL Mdl);

/*
 * NdisAllocateMdl: a built MDL (mapped, ready for a NET_BUFFER) describing
 * Length bytes at VirtualAddress. NdisHandle may be NULL (ndisbuf decision:
 * code running without a registered driver); a given handle attributes the
 * MDL to that driver in diagnostics. NULL on failure, with a diagnostic.
 * Free with NdisFreeMdl.
 */
NDISBUF_API PMDL NdisAllocateMdl(NDIS_HANDLE NdisHandle, PVOID VirtualAddress, UINT Length);

/* NdisFreeMdl: as IoFreeMdl, for MDLs from NdisAllocateMdl. */
NDISBUF_API VOID NdisFreeMdl(PMDL Mdl);

/*
 * NdisAdjustMdlLength: sets ByteCount. It may shorten an MDL, never lengthen
 * it beyond the length it was built with (restore it before freeing).
 * Verifier: lengthening an MDL the library gave out is reported and the MDL
 * is left unchanged.
 */
NDISBUF_API VOID NdisAdjustMdlLength(PMDL Mdl, UINT Length);

/*
 * NdisQueryMdl: buffer start (optional output) and length. A macro, as in
 * the WDK, so that the address of any data pointer (PUCHAR *, a header
 * struct's pointer) is accepted for VirtualAddress.
 */
static inline VOID ndisbuf_query_mdl(PMDL Mdl, PVOID *VirtualAddress, PULONG Length, ULONG Priority)
{
    if (VirtualAddress)
        *VirtualAddress = MmGetSystemAddressForMdlSafe(Mdl, Priority);
    *Length = MmGetMdlByteCount(Mdl);
}
#define NdisQueryMdl(Mdl, VirtualAddress, Length, Priority) \
    ndisbuf_query_mdl((Mdl), (PVOID *)(VirtualAddress), (Length), (Priority))

/* NdisQueryMdlOffset: offset within the first page, and length. */
static inline VOID NdisQueryMdlOffset(PMDL Mdl, PULONG Offset, PULONG Length)
{
    *Offset = MmGetMdlByteOffset(Mdl);
    *Length = MmGetMdlByteCount(Mdl);
}

/* NdisGetNextMdl: the next MDL in the chain, or NULL. */
static inline VOID NdisGetNextMdl(PMDL CurrentMdl, PMDL *NextMdl)
{
    *NextMdl = CurrentMdl->Next;
}

#define NDIS_MDL_LINKAGE(Mdl) ((Mdl)->Next)
#define NDIS_MDL_TO_BUFFER(Mdl) (Mdl)
#define NdisGetMdlPhysicalArraySize(Mdl, ArraySize) \
    (*(ArraySize) = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(Mdl), MmGetMdlByteCount(Mdl)))

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_NDIS_MDL_H */
