/* SPDX-License-Identifier: MIT */
/*
 * Interlocked sequenced singly linked lists (SLIST_HEADER), the functions
 * behind InterlockedPushEntrySList, InterlockedPopEntrySList and
 * InterlockedFlushSList (include/ndisbuf/ndis/list.h).
 *
 * Windows updates the 16-byte header with a double-width compare-and-swap.
 * Here every header is guarded by one of a fixed set of spin locks (the
 * ones of sync.h) picked by hashing its address: no allocation or
 * initialisation per list, no ABA problem, correct under TSan, and cheap
 * for the few instructions each operation holds the lock. The header keeps Windows' x64 field meaning: Depth and Sequence
 * in the first word (stored atomically, so QueryDepthSList may read it
 * without the lock), the first entry's address >> 4 in NextEntry.
 */
#include <stdint.h>

#include "ndis.h"

enum { SLIST_LOCKS = 64 };

static KSPIN_LOCK slist_locks[SLIST_LOCKS];

static KSPIN_LOCK *slist_lock(const SLIST_HEADER *head)
{
    uintptr_t a = (uintptr_t)head >> 4;

    return &slist_locks[(a ^ (a >> 7) ^ (a >> 13)) % SLIST_LOCKS];
}

static PSLIST_ENTRY slist_first(const SLIST_HEADER *head)
{
    return (PSLIST_ENTRY)(uintptr_t)(head->HeaderX64.NextEntry << 4);
}

/* Sets the first entry and depth, and advances the sequence. Lock held. */
static void slist_set(SLIST_HEADER *head, PSLIST_ENTRY first, ULONGLONG depth)
{
    SLIST_HEADER next = *head;

    next.HeaderX64.NextEntry = (ULONGLONG)(uintptr_t)first >> 4;
    next.HeaderX64.Depth = depth;
    next.HeaderX64.Sequence = head->HeaderX64.Sequence + 1;
    head->Region = next.Region;
    __atomic_store_n(&head->Alignment, next.Alignment, __ATOMIC_RELEASE);
}

PSLIST_ENTRY InterlockedPushEntrySList(PSLIST_HEADER ListHead, PSLIST_ENTRY ListEntry)
{
    KSPIN_LOCK *lock = slist_lock(ListHead);
    PSLIST_ENTRY first;

    ASSERT(((uintptr_t)ListEntry & (MEMORY_ALLOCATION_ALIGNMENT - 1)) == 0);
    ndisbuf_spin_acquire(lock);
    first = slist_first(ListHead);
    ListEntry->Next = first;
    slist_set(ListHead, ListEntry, ListHead->HeaderX64.Depth + 1);
    ndisbuf_spin_release(lock);
    return first;
}

PSLIST_ENTRY InterlockedPopEntrySList(PSLIST_HEADER ListHead)
{
    KSPIN_LOCK *lock = slist_lock(ListHead);
    PSLIST_ENTRY first;

    ndisbuf_spin_acquire(lock);
    first = slist_first(ListHead);
    if (first != NULL)
        slist_set(ListHead, first->Next, ListHead->HeaderX64.Depth - 1);
    ndisbuf_spin_release(lock);
    return first;
}

PSLIST_ENTRY InterlockedFlushSList(PSLIST_HEADER ListHead)
{
    KSPIN_LOCK *lock = slist_lock(ListHead);
    PSLIST_ENTRY first;

    ndisbuf_spin_acquire(lock);
    first = slist_first(ListHead);
    if (first != NULL)
        slist_set(ListHead, NULL, 0);
    ndisbuf_spin_release(lock);
    return first;
}
