/* SPDX-License-Identifier: MIT */
/*
 * Deferred procedure calls (include/ndisbuf/ndis/dpc.h) on threads.
 *
 * One process-wide mutex guards every DPC's queued flag and arguments and
 * the count of calls queued but not yet returned. Inserting sets the flag
 * and starts a detached thread; the thread clears the flag and calls the
 * routine only if the flag was still set, so a removed call never runs and
 * a thread left over from a removed call finds nothing to do. Flushing
 * waits for the count to reach zero.
 */
#include <pthread.h>
#include <string.h>

#include "ndis.h"
#include "verify/verify.h"

static pthread_mutex_t dpc_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t dpc_idle = PTHREAD_COND_INITIALIZER;
static unsigned long dpc_pending; /* threads started and not finished */

static void dpc_thread_done(void)
{
    pthread_mutex_lock(&dpc_lock);
    if (--dpc_pending == 0)
        pthread_cond_broadcast(&dpc_idle);
    pthread_mutex_unlock(&dpc_lock);
}

static void *dpc_thread(void *arg)
{
    PKDPC dpc = arg;
    PKDEFERRED_ROUTINE routine = NULL;
    PVOID context = NULL, arg1 = NULL, arg2 = NULL;

    pthread_mutex_lock(&dpc_lock);
    if (dpc->Inserted) {
        dpc->Inserted = 0;
        routine = dpc->DeferredRoutine;
        context = dpc->DeferredContext;
        arg1 = dpc->SystemArgument1;
        arg2 = dpc->SystemArgument2;
    }
    pthread_mutex_unlock(&dpc_lock);
    if (routine)
        routine(dpc, context, arg1, arg2);
    dpc_thread_done();
    return NULL;
}

VOID KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext)
{
    memset(Dpc, 0, sizeof(*Dpc));
    Dpc->DeferredRoutine = DeferredRoutine;
    Dpc->DeferredContext = DeferredContext;
}

BOOLEAN KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2)
{
    pthread_attr_t attr;
    pthread_t thread;
    bool started;

    pthread_mutex_lock(&dpc_lock);
    if (Dpc->Inserted) {
        pthread_mutex_unlock(&dpc_lock);
        return FALSE;
    }
    Dpc->Inserted = 1;
    Dpc->SystemArgument1 = SystemArgument1;
    Dpc->SystemArgument2 = SystemArgument2;
    dpc_pending++;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    started = pthread_create(&thread, &attr, dpc_thread, Dpc) == 0;
    pthread_attr_destroy(&attr);
    if (!started) {
        Dpc->Inserted = 0;
        if (--dpc_pending == 0)
            pthread_cond_broadcast(&dpc_idle);
    }
    pthread_mutex_unlock(&dpc_lock);
    if (!started)
        vf_diagnostic("KeInsertQueueDpc", "DPC %p not queued: no thread could be started", (void *)Dpc);
    return started ? TRUE : FALSE;
}

BOOLEAN KeRemoveQueueDpc(PRKDPC Dpc)
{
    BOOLEAN was_queued;

    pthread_mutex_lock(&dpc_lock);
    was_queued = Dpc->Inserted ? TRUE : FALSE;
    Dpc->Inserted = 0;
    pthread_mutex_unlock(&dpc_lock);
    return was_queued;
}

VOID KeFlushQueuedDpcs(VOID)
{
    pthread_mutex_lock(&dpc_lock);
    while (dpc_pending != 0)
        pthread_cond_wait(&dpc_idle, &dpc_lock);
    pthread_mutex_unlock(&dpc_lock);
}

NTSTATUS KeQueryDpcWatchdogInformation(PKDPC_WATCHDOG_INFORMATION WatchdogInformation)
{
    memset(WatchdogInformation, 0, sizeof(*WatchdogInformation));
    return STATUS_SUCCESS;
}
