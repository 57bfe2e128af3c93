/* SPDX-License-Identifier: MIT */
/*
 * Synchronisation as NDIS drivers write it: IRQL, the Interlocked*
 * operations, NDIS spin locks (with the Dpr forms), the NdisInterlocked*
 * list and counter helpers that take a spin lock, and the NDIS 6
 * reader/writer lock NDIS_RW_LOCK_EX.
 *
 * IRQL does not exist in a user process. KIRQL and the level names are
 * here so code compiles; KeGetCurrentIrql() always answers PASSIVE_LEVEL,
 * raising and lowering do nothing, and the DISPATCH_LEVEL flags drivers
 * pass (NDIS_RWL_AT_DISPATCH_LEVEL, NDIS_SEND_FLAGS_DISPATCH_LEVEL) change
 * nothing. Locks, on the other hand, are real: two threads calling into a
 * driver's handlers are serialised by its spin locks exactly as two
 * processors would be.
 *
 * Interlocked* are GCC __atomic builtins with sequentially consistent
 * ordering, the full barrier Windows documents for them; they return what
 * Microsoft's pages say (Increment/Decrement/Add: the new value;
 * Exchange/ExchangeAdd/CompareExchange/Or/And/Xor: the value before).
 *
 * A spin lock is a test-and-test-and-set lock in the KSPIN_LOCK word that
 * spins briefly, then yields the processor: user-mode threads can be
 * preempted while holding one, which kernel code at DISPATCH_LEVEL cannot.
 * Releasing a spin lock that is not held is reported (message, abort), as
 * Driver Verifier would stop the system. The RW lock is a
 * pthread_rwlock_t allocated by NdisAllocateRWLock (src/compat/rwlock.c).
 */
#ifndef NDISBUF_NDIS_SYNC_H
#define NDISBUF_NDIS_SYNC_H

#include <sched.h>

#include "base.h"
#include "list.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ====================================================================== */
/* IRQL                                                                    */
/* ====================================================================== */

typedef UCHAR KIRQL, *PKIRQL;

#ifndef PASSIVE_LEVEL
#define PASSIVE_LEVEL 0
#endif
#ifndef LOW_LEVEL
#define LOW_LEVEL 0
#endif
#ifndef APC_LEVEL
#define APC_LEVEL 1
#endif
#ifndef DISPATCH_LEVEL
#define DISPATCH_LEVEL 2
#endif
#ifndef HIGH_LEVEL
#define HIGH_LEVEL 15 /* x64 */
#endif

/* The IRQL of the caller: always PASSIVE_LEVEL in user mode. */
static inline KIRQL KeGetCurrentIrql(VOID)
{
    return PASSIVE_LEVEL;
}
#define NDIS_CURRENT_IRQL() KeGetCurrentIrql()

/* Raising and lowering IRQL change nothing; the old level is PASSIVE_LEVEL. */
static inline VOID KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql)
{
    (void)NewIrql;
    *OldIrql = PASSIVE_LEVEL;
}
static inline VOID KeLowerIrql(KIRQL NewIrql)
{
    (void)NewIrql;
}
static inline KIRQL KeRaiseIrqlToDpcLevel(VOID)
{
    return PASSIVE_LEVEL;
}
/* KeEnterCriticalRegion / KeLeaveCriticalRegion: no APCs to hold off in a process; no-ops. */
static inline VOID KeEnterCriticalRegion(VOID)
{
}
static inline VOID KeLeaveCriticalRegion(VOID)
{
}
#define NdisRaiseIrqlToDispatch(OldIrql) KeRaiseIrql(DISPATCH_LEVEL, (OldIrql))
#define NdisLowerIrql(OldIrql) KeLowerIrql(OldIrql)
/* The upper-case spellings; `NDIS_LOWER_IRQL` takes the level being left, unused. */
#define NDIS_RAISE_IRQL_TO_DISPATCH(OldIrql) KeRaiseIrql(DISPATCH_LEVEL, (OldIrql))
#define NDIS_LOWER_IRQL(OldIrql, CurIrql) ((void)(CurIrql), KeLowerIrql(OldIrql))

/* ====================================================================== */
/* Barriers and Interlocked* (full barriers)                               */
/* ====================================================================== */

#define KeMemoryBarrier() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define KeMemoryBarrierWithoutFence() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define MemoryBarrier() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define _ReadWriteBarrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#if defined(__x86_64__) || defined(__i386__)
#define YieldProcessor() __builtin_ia32_pause()
#else
#define YieldProcessor() ((void)0)
#endif

/*
 * PreFetchCacheLine(Level, Address): a hint that the cache line holding
 * Address is needed soon (it need not be aligned; it never faults).
 * PF_TEMPORAL_LEVEL_1: into every cache level, likely used more than once;
 * PF_NON_TEMPORAL_LEVEL_ALL: probably not needed again after the first
 * use. The values are GCC's locality arguments, not Windows'.
 */
#define PF_TEMPORAL_LEVEL_1 3
#define PF_NON_TEMPORAL_LEVEL_ALL 0
#define PreFetchCacheLine(Level, Address) __builtin_prefetch((const void *)(Address), 0, (Level))

#define NDISBUF_SC __ATOMIC_SEQ_CST

/* Adds one; returns the new value. */
static inline LONG InterlockedIncrement(LONG volatile *Addend)
{
    return __atomic_add_fetch(Addend, 1, NDISBUF_SC);
}
/* Subtracts one; returns the new value. */
static inline LONG InterlockedDecrement(LONG volatile *Addend)
{
    return __atomic_sub_fetch(Addend, 1, NDISBUF_SC);
}
/* Stores Value; returns the value before. */
static inline LONG InterlockedExchange(LONG volatile *Target, LONG Value)
{
    return __atomic_exchange_n(Target, Value, NDISBUF_SC);
}
/* Adds Value; returns the value before. */
static inline LONG InterlockedExchangeAdd(LONG volatile *Addend, LONG Value)
{
    return __atomic_fetch_add(Addend, Value, NDISBUF_SC);
}
/* Adds Value; returns the new value. */
static inline LONG InterlockedAdd(LONG volatile *Addend, LONG Value)
{
    return __atomic_add_fetch(Addend, Value, NDISBUF_SC);
}
/* Stores ExChange if *Destination == Comperand; returns the value before. */
static inline LONG InterlockedCompareExchange(LONG volatile *Destination, LONG ExChange, LONG Comperand)
{
    __atomic_compare_exchange_n(Destination, &Comperand, ExChange, 0, NDISBUF_SC, NDISBUF_SC);
    return Comperand;
}
/* Bitwise OR / AND / XOR; each returns the value before. */
static inline LONG InterlockedOr(LONG volatile *Destination, LONG Value)
{
    return __atomic_fetch_or(Destination, Value, NDISBUF_SC);
}
static inline LONG InterlockedAnd(LONG volatile *Destination, LONG Value)
{
    return __atomic_fetch_and(Destination, Value, NDISBUF_SC);
}
static inline LONG InterlockedXor(LONG volatile *Destination, LONG Value)
{
    return __atomic_fetch_xor(Destination, Value, NDISBUF_SC);
}

/* 64-bit forms: the same results on LONG64. */
static inline LONG64 InterlockedIncrement64(LONG64 volatile *Addend)
{
    return __atomic_add_fetch(Addend, 1, NDISBUF_SC);
}
static inline LONG64 InterlockedDecrement64(LONG64 volatile *Addend)
{
    return __atomic_sub_fetch(Addend, 1, NDISBUF_SC);
}
static inline LONG64 InterlockedExchange64(LONG64 volatile *Target, LONG64 Value)
{
    return __atomic_exchange_n(Target, Value, NDISBUF_SC);
}
static inline LONG64 InterlockedExchangeAdd64(LONG64 volatile *Addend, LONG64 Value)
{
    return __atomic_fetch_add(Addend, Value, NDISBUF_SC);
}
static inline LONG64 InterlockedAdd64(LONG64 volatile *Addend, LONG64 Value)
{
    return __atomic_add_fetch(Addend, Value, NDISBUF_SC);
}
static inline LONG64 InterlockedCompareExchange64(LONG64 volatile *Destination, LONG64 ExChange,
                                                  LONG64 Comperand)
{
    __atomic_compare_exchange_n(Destination, &Comperand, ExChange, 0, NDISBUF_SC, NDISBUF_SC);
    return Comperand;
}
static inline LONG64 InterlockedOr64(LONG64 volatile *Destination, LONG64 Value)
{
    return __atomic_fetch_or(Destination, Value, NDISBUF_SC);
}
static inline LONG64 InterlockedAnd64(LONG64 volatile *Destination, LONG64 Value)
{
    return __atomic_fetch_and(Destination, Value, NDISBUF_SC);
}
static inline LONG64 InterlockedXor64(LONG64 volatile *Destination, LONG64 Value)
{
    return __atomic_fetch_xor(Destination, Value, NDISBUF_SC);
}

/* 16-bit forms. */
static inline SHORT InterlockedIncrement16(SHORT volatile *Addend)
{
    return __atomic_add_fetch(Addend, 1, NDISBUF_SC);
}
static inline SHORT InterlockedDecrement16(SHORT volatile *Addend)
{
    return __atomic_sub_fetch(Addend, 1, NDISBUF_SC);
}
static inline SHORT InterlockedCompareExchange16(SHORT volatile *Destination, SHORT ExChange,
                                                 SHORT Comperand)
{
    __atomic_compare_exchange_n(Destination, &Comperand, ExChange, 0, NDISBUF_SC, NDISBUF_SC);
    return Comperand;
}

/* Pointer forms: return the pointer before. */
static inline PVOID InterlockedExchangePointer(PVOID volatile *Target, PVOID Value)
{
    return __atomic_exchange_n(Target, Value, NDISBUF_SC);
}
static inline PVOID InterlockedCompareExchangePointer(PVOID volatile *Destination, PVOID ExChange,
                                                      PVOID Comperand)
{
    __atomic_compare_exchange_n(Destination, &Comperand, ExChange, 0, NDISBUF_SC, NDISBUF_SC);
    return Comperand;
}

/* Acquire/Release/NoFence variants: the full-barrier forms are stronger. */
#define InterlockedIncrementAcquire InterlockedIncrement
#define InterlockedIncrementRelease InterlockedIncrement
#define InterlockedIncrementNoFence InterlockedIncrement
#define InterlockedDecrementAcquire InterlockedDecrement
#define InterlockedDecrementRelease InterlockedDecrement
#define InterlockedDecrementNoFence InterlockedDecrement
#define InterlockedCompareExchangeAcquire InterlockedCompareExchange
#define InterlockedCompareExchangeRelease InterlockedCompareExchange
#define InterlockedCompareExchangeNoFence InterlockedCompareExchange
#define InterlockedExchangeAddNoFence InterlockedExchangeAdd
#define InterlockedOrNoFence InterlockedOr
#define InterlockedAndNoFence InterlockedAnd
#define InterlockedCompareExchangePointerAcquire InterlockedCompareExchangePointer
#define InterlockedCompareExchangePointerRelease InterlockedCompareExchangePointer
#define InterlockedExchangePointerNoFence InterlockedExchangePointer
/* SIZE_T forms (64-bit on x64). */
#define InterlockedExchangeAddSizeT(a, b) \
    ((SIZE_T)InterlockedExchangeAdd64((LONG64 volatile *)(a), (LONG64)(b)))
#define InterlockedIncrementSizeT(a) ((SIZE_T)InterlockedIncrement64((LONG64 volatile *)(a)))
#define InterlockedDecrementSizeT(a) ((SIZE_T)InterlockedDecrement64((LONG64 volatile *)(a)))

/* ====================================================================== */
/* Spin locks                                                              */
/* ====================================================================== */

typedef ULONG_PTR KSPIN_LOCK, *PKSPIN_LOCK;

typedef struct _NDIS_SPIN_LOCK {
    KSPIN_LOCK SpinLock; /* 0 free, 1 held */
    KIRQL OldIrql;       /* IRQL before the acquire: always PASSIVE_LEVEL here */
} NDIS_SPIN_LOCK, *PNDIS_SPIN_LOCK;

_Static_assert(sizeof(NDIS_SPIN_LOCK) == 16, "NDIS_SPIN_LOCK is 16 bytes on x64");

/*
 * Implementation of the spin-lock checks (not for direct use): prints that
 * Lock was released while not held and aborts. Never returns.
 */
NDISBUF_API __attribute__((noreturn)) VOID ndisbuf_spin_lock_not_owned(const KSPIN_LOCK *Lock);

/* Spins briefly, then yields, until the lock word goes from 0 to 1. */
static inline VOID ndisbuf_spin_acquire(KSPIN_LOCK *Lock)
{
    unsigned spins = 0;

    while (__atomic_exchange_n(Lock, (KSPIN_LOCK)1, __ATOMIC_ACQUIRE) != 0) {
        while (__atomic_load_n(Lock, __ATOMIC_RELAXED) != 0) {
            if (++spins < 64)
                YieldProcessor();
            else
                sched_yield();
        }
    }
}

static inline VOID ndisbuf_spin_release(KSPIN_LOCK *Lock)
{
    if (__atomic_exchange_n(Lock, (KSPIN_LOCK)0, __ATOMIC_RELEASE) == 0)
        ndisbuf_spin_lock_not_owned(Lock);
}

/* Kernel spin locks (the KSPIN_LOCK word alone). */
static inline VOID KeInitializeSpinLock(PKSPIN_LOCK SpinLock)
{
    *SpinLock = 0;
}
static inline VOID KeAcquireSpinLock(PKSPIN_LOCK SpinLock, PKIRQL OldIrql)
{
    ndisbuf_spin_acquire(SpinLock);
    *OldIrql = PASSIVE_LEVEL;
}
static inline VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)
{
    (void)NewIrql;
    ndisbuf_spin_release(SpinLock);
}
static inline VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
    ndisbuf_spin_acquire(SpinLock);
}
static inline VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)
{
    ndisbuf_spin_release(SpinLock);
}
/* KeTryToAcquireSpinLockAtDpcLevel: takes the lock if it is free (`TRUE`); never waits. */
static inline BOOLEAN KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
    return __atomic_exchange_n(SpinLock, (KSPIN_LOCK)1, __ATOMIC_ACQUIRE) == 0 ? TRUE : FALSE;
}

/* Initialises a spin lock in caller storage. Cannot fail; allocates nothing. */
static inline VOID NdisAllocateSpinLock(PNDIS_SPIN_LOCK SpinLock)
{
    SpinLock->SpinLock = 0;
    SpinLock->OldIrql = PASSIVE_LEVEL;
}
/* Ends a spin lock's use. It must not be held; nothing is released. */
static inline VOID NdisFreeSpinLock(PNDIS_SPIN_LOCK SpinLock)
{
    (void)SpinLock;
}
/* Acquires the lock, waiting while another thread holds it. Not recursive. */
static inline VOID NdisAcquireSpinLock(PNDIS_SPIN_LOCK SpinLock)
{
    ndisbuf_spin_acquire(&SpinLock->SpinLock);
    SpinLock->OldIrql = PASSIVE_LEVEL;
}
/* Releases a lock the caller holds; releasing a free lock is reported. */
static inline VOID NdisReleaseSpinLock(PNDIS_SPIN_LOCK SpinLock)
{
    ndisbuf_spin_release(&SpinLock->SpinLock);
}
/* The Dpr forms: for callers already at DISPATCH_LEVEL; the same lock here. */
static inline VOID NdisDprAcquireSpinLock(PNDIS_SPIN_LOCK SpinLock)
{
    ndisbuf_spin_acquire(&SpinLock->SpinLock);
}
static inline VOID NdisDprReleaseSpinLock(PNDIS_SPIN_LOCK SpinLock)
{
    ndisbuf_spin_release(&SpinLock->SpinLock);
}

/* ====================================================================== */
/* NdisInterlocked*: counters and lists                                    */
/* ====================================================================== */

/* Atomic LONG increment/decrement; return the new value. */
static inline LONG NdisInterlockedIncrement(PLONG Addend)
{
    return InterlockedIncrement(Addend);
}
static inline LONG NdisInterlockedDecrement(PLONG Addend)
{
    return InterlockedDecrement(Addend);
}
/* Adds Increment to *Addend under SpinLock (which the caller must not hold). */
static inline VOID NdisInterlockedAddUlong(PULONG Addend, ULONG Increment, PNDIS_SPIN_LOCK SpinLock)
{
    NdisAcquireSpinLock(SpinLock);
    *Addend += Increment;
    NdisReleaseSpinLock(SpinLock);
}
/* Adds Increment to a 64-bit statistics counter atomically. */
#define NdisInterlockedAddLargeStatistic(Addend, Increment) \
    ((void)InterlockedExchangeAdd64((LONG64 volatile *)&(Addend)->QuadPart, (LONG64)(Increment)))

/*
 * List operations under SpinLock (which the caller must not hold). The
 * inserts return the entry that was first (last) before, or NULL when the
 * list was empty; the removal returns the entry removed, or NULL when the
 * list was empty. (Current WDK pages give the inserts no return value;
 * older NDIS pages document the one returned here, which callers that
 * ignore it do not see.)
 */
static inline PLIST_ENTRY NdisInterlockedInsertHeadList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry,
                                                        PNDIS_SPIN_LOCK SpinLock)
{
    PLIST_ENTRY first;

    NdisAcquireSpinLock(SpinLock);
    first = ListHead->Flink;
    InsertHeadList(ListHead, ListEntry);
    NdisReleaseSpinLock(SpinLock);
    return first == ListHead ? NULL : first;
}
static inline PLIST_ENTRY NdisInterlockedInsertTailList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry,
                                                        PNDIS_SPIN_LOCK SpinLock)
{
    PLIST_ENTRY last;

    NdisAcquireSpinLock(SpinLock);
    last = ListHead->Blink;
    InsertTailList(ListHead, ListEntry);
    NdisReleaseSpinLock(SpinLock);
    return last == ListHead ? NULL : last;
}
static inline PLIST_ENTRY NdisInterlockedRemoveHeadList(PLIST_ENTRY ListHead, PNDIS_SPIN_LOCK SpinLock)
{
    PLIST_ENTRY entry;

    NdisAcquireSpinLock(SpinLock);
    entry = RemoveHeadList(ListHead);
    NdisReleaseSpinLock(SpinLock);
    return entry == ListHead ? NULL : entry;
}

/* SINGLE_LIST_ENTRY push/pop under SpinLock; same results as Push/PopEntryList. */
static inline PSINGLE_LIST_ENTRY NdisInterlockedPushEntryList(PSINGLE_LIST_ENTRY ListHead,
                                                              PSINGLE_LIST_ENTRY ListEntry,
                                                              PNDIS_SPIN_LOCK Lock)
{
    PSINGLE_LIST_ENTRY first;

    NdisAcquireSpinLock(Lock);
    first = ListHead->Next;
    PushEntryList(ListHead, ListEntry);
    NdisReleaseSpinLock(Lock);
    return first;
}
static inline PSINGLE_LIST_ENTRY NdisInterlockedPopEntryList(PSINGLE_LIST_ENTRY ListHead,
                                                             PNDIS_SPIN_LOCK Lock)
{
    PSINGLE_LIST_ENTRY first;

    NdisAcquireSpinLock(Lock);
    first = PopEntryList(ListHead);
    NdisReleaseSpinLock(Lock);
    return first;
}

/*
 * S-list push/pop with a spin lock argument: the S-list operations are
 * atomic by themselves, so the lock (which the caller must not hold) is
 * accepted and not taken. Results as InterlockedPush/PopEntrySList.
 */
#define NdisInterlockedPushEntrySList(SListHead, SListEntry, Lock) \
    ((void)(Lock), InterlockedPushEntrySList((SListHead), (SListEntry)))
#define NdisInterlockedPopEntrySList(SListHead, Lock) \
    ((void)(Lock), InterlockedPopEntrySList(SListHead))

/* ====================================================================== */
/* NDIS_RW_LOCK_EX                                                         */
/* ====================================================================== */

/* Opaque; from NdisAllocateRWLock. */
typedef struct _NDIS_RW_LOCK_EX NDIS_RW_LOCK_EX, *PNDIS_RW_LOCK_EX;

/* Per-acquisition state in caller storage (one per acquire). */
typedef struct _LOCK_STATE_EX {
    KIRQL OldIrql;
    UCHAR LockState; /* ndisbuf: 1 read, 2 write, 0 not held */
    UCHAR Flags;
} LOCK_STATE_EX, *PLOCK_STATE_EX;

#define NDIS_RWL_AT_DISPATCH_LEVEL 1 /* value: not on the reference page */

/*
 * NdisAllocateRWLock: a new unlocked reader/writer lock, or NULL when
 * memory runs out. NdisHandle (a driver or adapter handle, or NULL) is not
 * used. Free with NdisFreeRWLock once no thread holds it.
 */
NDISBUF_API PNDIS_RW_LOCK_EX NdisAllocateRWLock(NDIS_HANDLE NdisHandle);

/* NdisFreeRWLock: releases a lock from NdisAllocateRWLock. NULL is ignored. */
NDISBUF_API VOID NdisFreeRWLock(PNDIS_RW_LOCK_EX Lock);

/*
 * NdisAcquireRWLockRead: shared access; recursive on the same thread
 * (each acquire with its own LOCK_STATE_EX). Flags (NDIS_RWL_AT_DISPATCH_LEVEL)
 * are recorded and otherwise ignored. A read lock cannot be upgraded.
 */
NDISBUF_API VOID NdisAcquireRWLockRead(PNDIS_RW_LOCK_EX Lock, PLOCK_STATE_EX LockState, UCHAR Flags);

/* NdisAcquireRWLockWrite: exclusive access; not recursive. */
NDISBUF_API VOID NdisAcquireRWLockWrite(PNDIS_RW_LOCK_EX Lock, PLOCK_STATE_EX LockState, UCHAR Flags);

/*
 * NdisReleaseRWLock: ends the acquisition LockState records. A LockState
 * that records no acquisition is reported (message, abort).
 */
NDISBUF_API VOID NdisReleaseRWLock(PNDIS_RW_LOCK_EX Lock, PLOCK_STATE_EX LockState);

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_NDIS_SYNC_H */
