/* SPDX-License-Identifier: MIT */
/*
 * NDIS_RW_LOCK_EX (include/ndisbuf/ndis/sync.h): NDIS 6's reader/writer
 * lock, as a pthread_rwlock_t in a block of its own.
 *
 * glibc's default rwlock prefers readers, so a thread may take the read
 * lock again while it holds it (NDIS documents read acquisition as
 * recursive) even when a writer waits. The LOCK_STATE_EX in caller storage
 * records which kind of acquisition it was, so a release of an acquisition
 * that never happened is caught.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "ndis.h"

struct _NDIS_RW_LOCK_EX {
    pthread_rwlock_t rw;
};

enum { LOCK_STATE_FREE = 0, LOCK_STATE_READ = 1, LOCK_STATE_WRITE = 2 };

PNDIS_RW_LOCK_EX NdisAllocateRWLock(NDIS_HANDLE NdisHandle)
{
    PNDIS_RW_LOCK_EX lock;

    (void)NdisHandle;
    lock = malloc(sizeof(*lock));
    if (lock == NULL)
        return NULL;
    if (pthread_rwlock_init(&lock->rw, NULL) != 0) {
        free(lock);
        return NULL;
    }
    return lock;
}

VOID NdisFreeRWLock(PNDIS_RW_LOCK_EX Lock)
{
    if (Lock == NULL)
        return;
    pthread_rwlock_destroy(&Lock->rw);
    free(Lock);
}

VOID NdisAcquireRWLockRead(PNDIS_RW_LOCK_EX Lock, PLOCK_STATE_EX LockState, UCHAR Flags)
{
    pthread_rwlock_rdlock(&Lock->rw);
    LockState->OldIrql = PASSIVE_LEVEL;
    LockState->Flags = Flags;
    LockState->LockState = LOCK_STATE_READ;
}

VOID NdisAcquireRWLockWrite(PNDIS_RW_LOCK_EX Lock, PLOCK_STATE_EX LockState, UCHAR Flags)
{
    pthread_rwlock_wrlock(&Lock->rw);
    LockState->OldIrql = PASSIVE_LEVEL;
    LockState->Flags = Flags;
    LockState->LockState = LOCK_STATE_WRITE;
}

VOID NdisReleaseRWLock(PNDIS_RW_LOCK_EX Lock, PLOCK_STATE_EX LockState)
{
    if (LockState->LockState != LOCK_STATE_READ && LockState->LockState != LOCK_STATE_WRITE) {
        fprintf(stderr, "*** NdisReleaseRWLock: lock %p released with a LOCK_STATE_EX %p "
                        "that records no acquisition\n", (void *)Lock, (void *)LockState);
        fflush(stderr);
        abort();
    }
    LockState->LockState = LOCK_STATE_FREE;
    pthread_rwlock_unlock(&Lock->rw);
}
