/* SPDX-License-Identifier: MIT */
/*
 * Deferred procedure calls (`KDPC`) on threads of the process.
 *
 * A miniport without hardware (netvmini) queues DPCs to finish its sends
 * and indicate its receives later, outside the caller's context. Here each
 * successful `KeInsertQueueDpc` starts a detached thread that calls the
 * routine once, at "`DISPATCH_LEVEL`" (there is no IRQL: see sync.h). A
 * DPC already queued is not queued twice; `KeRemoveQueueDpc` takes back a
 * queued call that has not started; `KeFlushQueuedDpcs` waits until every
 * queued call has returned. There is no DPC watchdog: its information
 * reads as disabled.
 */
#ifndef NDISBUF_NDIS_DPC_H
#define NDISBUF_NDIS_DPC_H

#include "base.h"
#include "ntstatus.h"

#ifdef __cplusplus
extern "C" {
#endif

struct _KDPC;

/* The routine a DPC calls: `Dpc`, the context given at initialisation, the two insertion arguments. */
typedef VOID KDEFERRED_ROUTINE(struct _KDPC *Dpc, PVOID DeferredContext, PVOID SystemArgument1,
                               PVOID SystemArgument2);
typedef KDEFERRED_ROUTINE *PKDEFERRED_ROUTINE;

/*
 * A DPC object in caller storage. Same size as x64's `KDPC` (64 bytes);
 * the members are ndisbuf's, and drivers only pass it by pointer.
 */
typedef struct _KDPC {
    LONG Inserted; /* 1 while a call is queued and has not started */
    LONG Reserved1;
    PKDEFERRED_ROUTINE DeferredRoutine;
    PVOID DeferredContext;
    PVOID SystemArgument1;
    PVOID SystemArgument2;
    PVOID Reserved2[3];
} KDPC, *PKDPC, *PRKDPC;

_Static_assert(sizeof(KDPC) == 64, "KDPC is 64 bytes on x64");

/* The DPC watchdog counters of the current processor (all zero here: no watchdog). */
typedef struct _KDPC_WATCHDOG_INFORMATION {
    ULONG DpcTimeLimit;
    ULONG DpcTimeCount;
    ULONG DpcWatchdogLimit;
    ULONG DpcWatchdogCount;
    ULONG Reserved;
} KDPC_WATCHDOG_INFORMATION, *PKDPC_WATCHDOG_INFORMATION;

/*
 * KeInitializeDpc: prepares `Dpc` (caller storage) to call `DeferredRoutine`
 * with `DeferredContext`. Cannot fail; allocates nothing. Do not initialise
 * a DPC that is queued.
 */
NDISBUF_API VOID KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext);

/*
 * KeInsertQueueDpc: queues one call of the routine with the two arguments,
 * run soon on a thread of its own. Returns `FALSE`, changing nothing, when
 * the DPC is already queued, and also when no thread can be started (with
 * a diagnostic).
 */
NDISBUF_API BOOLEAN KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2);

/*
 * KeRemoveQueueDpc: takes back a queued call that has not started; `TRUE`
 * if there was one. A call already running is not waited for.
 */
NDISBUF_API BOOLEAN KeRemoveQueueDpc(PRKDPC Dpc);

/*
 * KeFlushQueuedDpcs: returns once every DPC queued in the process has run
 * or been removed, including those queued meanwhile. Call it from a thread
 * that is not running a DPC (the WDK asks for `PASSIVE_LEVEL`); afterwards
 * the driver may free its `KDPC` storage.
 */
NDISBUF_API VOID KeFlushQueuedDpcs(VOID);

/*
 * KeQueryDpcWatchdogInformation: there is no DPC watchdog in a process;
 * fills `WatchdogInformation` with zeros (every limit "disabled", as the
 * structure's page defines zero) and returns `STATUS_SUCCESS`.
 */
NDISBUF_API NTSTATUS KeQueryDpcWatchdogInformation(PKDPC_WATCHDOG_INFORMATION WatchdogInformation);

#ifdef __cplusplus
}
#endif

#endif /* NDISBUF_NDIS_DPC_H */
