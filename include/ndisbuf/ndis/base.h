/* SPDX-License-Identifier: MIT */
/*
 * WDK base types with Windows widths, for driver code compiled on Linux.
 *
 * Windows is LLP64: ULONG and LONG are 32 bits even on x64, while pointers,
 * SIZE_T and ULONG_PTR are 64. Driver code depends on those widths (structure
 * layouts, shifts, printf formats), so they are fixed here with <stdint.h>
 * types rather than C's `long`. Only what the NDIS buffer headers need lives
 * here; the wider WDK surface (lists, locks, SAL) has its own headers.
 */
#ifndef NDISBUF_NDIS_BASE_H
#define NDISBUF_NDIS_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__cplusplus) && !defined(_Static_assert)
/* C++ consumers: the C11 keyword is static_assert there. */
#define _Static_assert static_assert
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- integer types (LLP64 widths) ---- */
typedef void VOID, *PVOID;
typedef uint8_t UCHAR, *PUCHAR;
typedef int8_t CHAR, *PCHAR;
typedef uint8_t BOOLEAN, *PBOOLEAN;
typedef uint8_t BYTE, *PBYTE;
typedef uint16_t USHORT, *PUSHORT;
typedef int16_t SHORT, *PSHORT;
typedef int16_t CSHORT;
typedef uint32_t ULONG, *PULONG;
typedef int32_t LONG, *PLONG;
typedef uint32_t UINT, *PUINT;
typedef int32_t INT, *PINT;
typedef uint64_t ULONGLONG, *PULONGLONG;
typedef int64_t LONGLONG, *PLONGLONG;
typedef uint64_t ULONG64, *PULONG64;
typedef int64_t LONG64, *PLONG64;
typedef uint32_t ULONG32, *PULONG32;
typedef uintptr_t ULONG_PTR, *PULONG_PTR;
typedef intptr_t LONG_PTR, *PLONG_PTR;
typedef size_t SIZE_T, *PSIZE_T;
typedef ULONG_PTR PFN_NUMBER, *PPFN_NUMBER;
typedef char *PSTR;
typedef const char *PCSTR;
typedef const void *PCVOID;

typedef union _LARGE_INTEGER {
    struct {
        ULONG LowPart;
        LONG HighPart;
    };
    struct {
        ULONG LowPart;
        LONG HighPart;
    } u;
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef union _ULARGE_INTEGER {
    struct {
        ULONG LowPart;
        ULONG HighPart;
    };
    struct {
        ULONG LowPart;
        ULONG HighPart;
    } u;
    ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

typedef LARGE_INTEGER PHYSICAL_ADDRESS, *PPHYSICAL_ADDRESS;
typedef PHYSICAL_ADDRESS NDIS_PHYSICAL_ADDRESS, *PNDIS_PHYSICAL_ADDRESS;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

/* ---- declaration helpers ---- */
/* Marks a function exported from libndisbuf; everything else is hidden. */
#define NDISBUF_API __attribute__((visibility("default")))

#define DECLSPEC_ALIGN(x) __attribute__((aligned(x)))
#define MEMORY_ALLOCATION_ALIGNMENT 16
#ifndef FIELD_OFFSET
#define FIELD_OFFSET(type, field) ((LONG)offsetof(type, field))
#endif
#define RTL_FIELD_SIZE(type, field) (sizeof(((type *)0)->field))
#define RTL_SIZEOF_THROUGH_FIELD(type, field) \
    (offsetof(type, field) + RTL_FIELD_SIZE(type, field))
#ifndef CONTAINING_RECORD
#define CONTAINING_RECORD(address, type, field) \
    ((type *)((PCHAR)(address) - offsetof(type, field)))
#endif
#ifndef C_ASSERT
#define C_ASSERT(e) _Static_assert((e), #e)
#endif
#ifndef UNREFERENCED_PARAMETER
#define UNREFERENCED_PARAMETER(P) ((void)(P))
#endif
#ifndef IN
#define IN
#endif
#ifndef OUT
#define OUT
#endif
#ifndef OPTIONAL
#define OPTIONAL
#endif
#ifndef UNALIGNED
#define UNALIGNED
#endif

/* ---- memory helpers (the WDK's are macros over the C library's) ---- */
#define RtlCopyMemory(Destination, Source, Length) memcpy((Destination), (Source), (Length))
#define RtlMoveMemory(Destination, Source, Length) memmove((Destination), (Source), (Length))
#define RtlFillMemory(Destination, Length, Fill) memset((Destination), (Fill), (Length))
#define RtlZeroMemory(Destination, Length) memset((Destination), 0, (Length))
#define RtlEqualMemory(Source1, Source2, Length) (!memcmp((Source1), (Source2), (Length)))
#define NdisMoveMemory(Destination, Source, Length) RtlCopyMemory(Destination, Source, Length)
#define NdisZeroMemory(Destination, Length) RtlZeroMemory(Destination, Length)
#define NdisFillMemory(Destination, Length, Fill) RtlFillMemory(Destination, Length, Fill)
#define NdisEqualMemory(Source1, Source2, Length) RtlEqualMemory(Source1, Source2, Length)
#define RtlSecureZeroMemory(Destination, Length) \
    ((PVOID)memset((Destination), 0, (Length))) /* no dead-store concern in a test build */
#define NdisMoveMappedMemory(Destination, Source, Length) RtlCopyMemory(Destination, Source, Length)
#define NdisZeroMappedMemory(Destination, Length) RtlZeroMemory(Destination, Length)

/* RtlCompareMemory: how many leading bytes of the two blocks are equal. */
static inline SIZE_T RtlCompareMemory(const VOID *Source1, const VOID *Source2, SIZE_T Length)
{
    const UCHAR *a = (const UCHAR *)Source1, *b = (const UCHAR *)Source2;
    SIZE_T i = 0;

    while (i < Length && a[i] == b[i])
        i++;
    return i;
}

/* ---- paging (user mode still describes memory in 4 KiB pages) ---- */
#define PAGE_SIZE 0x1000UL
#define PAGE_SHIFT 12
#define PAGE_ALIGN(va) ((PVOID)((ULONG_PTR)(va) & ~(PAGE_SIZE - 1)))
#define BYTE_OFFSET(va) ((ULONG)((ULONG_PTR)(va) & (PAGE_SIZE - 1)))
#define ADDRESS_AND_SIZE_TO_SPAN_PAGES(va, size)                          \
    ((ULONG)((((ULONG_PTR)(size)) >> PAGE_SHIFT) +                        \
             ((BYTE_OFFSET(va) + ((ULONG_PTR)(size) & (PAGE_SIZE - 1)) +  \
               (PAGE_SIZE - 1)) >> PAGE_SHIFT)))

/* ---- interlocked singly linked list header (x64 layout, 16 bytes) ---- */
typedef union DECLSPEC_ALIGN(16) _SLIST_HEADER {
    struct {
        ULONGLONG Alignment;
        ULONGLONG Region;
    };
    struct {
        ULONGLONG Depth : 16;
        ULONGLONG Sequence : 48;
        ULONGLONG Reserved : 4;
        ULONGLONG NextEntry : 60;
    } HeaderX64;
} SLIST_HEADER, *PSLIST_HEADER;

/* ---- handles ---- */
typedef PVOID NDIS_HANDLE, *PNDIS_HANDLE;
typedef PVOID HANDLE, *PHANDLE;

/* Opaque kernel objects referenced by pointer only. */
struct _EPROCESS;
typedef struct _EPROCESS *PEPROCESS;

/* Memory priority for MmGetSystemAddressForMdlSafe / NdisQueryMdl. */
typedef enum _MM_PAGE_PRIORITY {
    LowPagePriority = 0,
    NormalPagePriority = 16,
    HighPagePriority = 32
} MM_PAGE_PRIORITY;
/* Flags OR-ed into that priority (Windows 8 and later); accepted, no effect here. */
#define MdlMappingNoWrite 0x80000000
#define MdlMappingNoExecute 0x40000000

/* Pool types as accepted by the allocation calls that take one. */
typedef enum _POOL_TYPE {
    NonPagedPool = 0,
    NonPagedPoolExecute = 0,
    PagedPool = 1,
    NonPagedPoolNx = 512
} POOL_TYPE;

_Static_assert(sizeof(ULONG) == 4, "ULONG is 32 bits as on Windows");
_Static_assert(sizeof(LONG) == 4, "LONG is 32 bits as on Windows");
_Static_assert(sizeof(USHORT) == 2, "USHORT is 16 bits");
_Static_assert(sizeof(ULONG_PTR) == sizeof(void *), "ULONG_PTR is pointer-sized");
_Static_assert(sizeof(SLIST_HEADER) == 16, "SLIST_HEADER is 16 bytes on x64");
_Static_assert(sizeof(LARGE_INTEGER) == 8, "LARGE_INTEGER is 8 bytes");

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_NDIS_BASE_H */
