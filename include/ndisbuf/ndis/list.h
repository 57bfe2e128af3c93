/* SPDX-License-Identifier: MIT */
/*
 * The kernel's intrusive lists, as driver code uses them to queue NBLs,
 * requests and adapters: LIST_ENTRY (circular, doubly linked, with a head
 * entry), SINGLE_LIST_ENTRY (a NULL-terminated stack) and the sequenced
 * singly linked list SLIST_HEADER/SLIST_ENTRY whose push, pop and flush are
 * atomic.
 *
 * The doubly linked helpers are inline and take no lock; the caller
 * serialises (spin locks in sync.h, or the NdisInterlocked*List calls
 * there, which take one). As in current WDKs, RemoveEntryList,
 * RemoveHeadList, RemoveTailList and the inserts first check that the
 * neighbours still point at the entry: a list corrupted by a double
 * removal or a stale entry is reported (ndisbuf_list_entry_corrupt: a
 * message naming the entry, then abort) instead of being silently damaged
 * further, where Windows would stop with KERNEL_SECURITY_CHECK_FAILURE.
 *
 * SLIST entries must be 16-byte aligned (MEMORY_ALLOCATION_ALIGNMENT), as
 * on x64 Windows; SLIST_ENTRY carries that alignment, so embedding one in a
 * structure is enough. The interlocked SLIST operations are real functions
 * (src/compat/slist.c): each header is guarded by one of a fixed set of
 * internal spin locks chosen by its address, so they are safe between threads
 * and need no 16-byte compare-and-swap.
 */
#ifndef NDISBUF_NDIS_LIST_H
#define NDISBUF_NDIS_LIST_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _LIST_ENTRY {
    struct _LIST_ENTRY *Flink;
    struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY;

typedef struct _SINGLE_LIST_ENTRY {
    struct _SINGLE_LIST_ENTRY *Next;
} SINGLE_LIST_ENTRY, *PSINGLE_LIST_ENTRY;

typedef struct DECLSPEC_ALIGN(16) _SLIST_ENTRY {
    struct _SLIST_ENTRY *Next;
} SLIST_ENTRY, *PSLIST_ENTRY;

_Static_assert(sizeof(LIST_ENTRY) == 16, "LIST_ENTRY is 16 bytes on x64");
_Static_assert(sizeof(SLIST_ENTRY) == 16, "SLIST_ENTRY is 16 bytes (aligned) on x64");

/*
 * Implementation of the list checks (not for direct use): prints which
 * entry is corrupt and aborts the process. Never returns.
 */
NDISBUF_API __attribute__((noreturn)) VOID ndisbuf_list_entry_corrupt(const LIST_ENTRY *Entry);

/* ---- doubly linked lists ---- */

/* Makes ListHead an empty list (both links point at the head). */
static inline VOID InitializeListHead(PLIST_ENTRY ListHead)
{
    ListHead->Flink = ListHead->Blink = ListHead;
}
#define NdisInitializeListHead(ListHead) InitializeListHead(ListHead)

/* TRUE when the list headed by ListHead has no entries. */
static inline BOOLEAN IsListEmpty(const LIST_ENTRY *ListHead)
{
    return (BOOLEAN)(ListHead->Flink == ListHead);
}

/* Aborts (see above) when Entry's neighbours do not point back at it. */
static inline VOID ndisbuf_list_check(const LIST_ENTRY *Entry)
{
    if (Entry->Flink->Blink != Entry || Entry->Blink->Flink != Entry)
        ndisbuf_list_entry_corrupt(Entry);
}

/*
 * Unlinks Entry from its list. Returns TRUE when the list is empty
 * afterwards. Entry's own links are left as they were.
 */
static inline BOOLEAN RemoveEntryList(PLIST_ENTRY Entry)
{
    PLIST_ENTRY next = Entry->Flink, prev = Entry->Blink;

    ndisbuf_list_check(Entry);
    prev->Flink = next;
    next->Blink = prev;
    return (BOOLEAN)(prev == next);
}

/* Unlinks and returns the first entry; on an empty list returns ListHead. */
static inline PLIST_ENTRY RemoveHeadList(PLIST_ENTRY ListHead)
{
    PLIST_ENTRY entry = ListHead->Flink;

    if (entry != ListHead)
        RemoveEntryList(entry);
    return entry;
}

/* Unlinks and returns the last entry; on an empty list returns ListHead. */
static inline PLIST_ENTRY RemoveTailList(PLIST_ENTRY ListHead)
{
    PLIST_ENTRY entry = ListHead->Blink;

    if (entry != ListHead)
        RemoveEntryList(entry);
    return entry;
}

/* Links Entry in as the first entry. Entry must not be on a list. */
static inline VOID InsertHeadList(PLIST_ENTRY ListHead, PLIST_ENTRY Entry)
{
    PLIST_ENTRY first = ListHead->Flink;

    if (first->Blink != ListHead)
        ndisbuf_list_entry_corrupt(ListHead);
    Entry->Flink = first;
    Entry->Blink = ListHead;
    first->Blink = Entry;
    ListHead->Flink = Entry;
}

/* Links Entry in as the last entry. Entry must not be on a list. */
static inline VOID InsertTailList(PLIST_ENTRY ListHead, PLIST_ENTRY Entry)
{
    PLIST_ENTRY last = ListHead->Blink;

    if (last->Flink != ListHead)
        ndisbuf_list_entry_corrupt(ListHead);
    Entry->Flink = ListHead;
    Entry->Blink = last;
    last->Flink = Entry;
    ListHead->Blink = Entry;
}

/*
 * Appends every entry of a head-less circular list, of which ListToAppend
 * is the first entry, after the last entry of ListHead.
 */
static inline VOID AppendTailList(PLIST_ENTRY ListHead, PLIST_ENTRY ListToAppend)
{
    PLIST_ENTRY last = ListHead->Blink;

    ListHead->Blink->Flink = ListToAppend;
    ListHead->Blink = ListToAppend->Blink;
    ListToAppend->Blink->Flink = ListHead;
    ListToAppend->Blink = last;
}

/* ---- singly linked lists (no lock, no count) ---- */

/* Pushes Entry on the front of the list. */
static inline VOID PushEntryList(PSINGLE_LIST_ENTRY ListHead, PSINGLE_LIST_ENTRY Entry)
{
    Entry->Next = ListHead->Next;
    ListHead->Next = Entry;
}

/* Pops and returns the first entry, or NULL when the list is empty. */
static inline PSINGLE_LIST_ENTRY PopEntryList(PSINGLE_LIST_ENTRY ListHead)
{
    PSINGLE_LIST_ENTRY first = ListHead->Next;

    if (first != NULL)
        ListHead->Next = first->Next;
    return first;
}

/* ---- sequenced singly linked lists (atomic push / pop / flush) ---- */

/* Makes ListHead an empty S-list (depth 0). */
static inline VOID InitializeSListHead(PSLIST_HEADER ListHead)
{
    memset(ListHead, 0, sizeof(*ListHead));
}

/*
 * Pushes ListEntry (16-byte aligned) on the front atomically. Returns the
 * previous first entry, or NULL when the list was empty.
 */
NDISBUF_API PSLIST_ENTRY InterlockedPushEntrySList(PSLIST_HEADER ListHead, PSLIST_ENTRY ListEntry);

/* Pops the first entry atomically; NULL when the list is empty. */
NDISBUF_API PSLIST_ENTRY InterlockedPopEntrySList(PSLIST_HEADER ListHead);

/*
 * Empties the list atomically and returns its former first entry (the
 * entries stay chained through Next), or NULL when it was empty.
 */
NDISBUF_API PSLIST_ENTRY InterlockedFlushSList(PSLIST_HEADER ListHead);

/*
 * Number of entries (a snapshot: other threads may change it at once).
 * The depth is the low 16 bits of the header's first word, which the
 * interlocked operations store atomically.
 */
static inline USHORT QueryDepthSList(PSLIST_HEADER ListHead)
{
    return (USHORT)(__atomic_load_n(&ListHead->Alignment, __ATOMIC_ACQUIRE) & 0xFFFF);
}

/* The Ex* and Ndis* spellings of the same operations (the Ndis ones with a spin lock in sync.h). */
#define ExInitializeSListHead(ListHead) InitializeSListHead(ListHead)
#define ExInterlockedPopEntrySList(ListHead, Lock) ((void)(Lock), InterlockedPopEntrySList(ListHead))
#define ExInterlockedPushEntrySList(ListHead, ListEntry, Lock) \
    ((void)(Lock), InterlockedPushEntrySList((ListHead), (ListEntry)))
#define ExInterlockedFlushSList(ListHead) InterlockedFlushSList(ListHead)
#define ExQueryDepthSList(ListHead) QueryDepthSList(ListHead)
#define NdisInitializeSListHead(SListHead) InitializeSListHead(SListHead)
#define NdisQueryDepthSList(SListHead) QueryDepthSList(SListHead)
#define NdisInterlockedFlushSList(SListHead) InterlockedFlushSList(SListHead)

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_NDIS_LIST_H */
