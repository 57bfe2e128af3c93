/* SPDX-License-Identifier: MIT */
/*
 * NDIS timer objects and I/O work items, run on threads of the process.
 *
 * A timer object owns a thread that sleeps until the due time and then
 * calls TimerFunction(NULL, FunctionContext, NULL, NULL) (the
 * NDIS_TIMER_FUNCTION role of roles.h), again every MillisecondsPeriod if
 * one was given. A work item runs its routine once per queueing on a
 * thread of its own. Callbacks run at "PASSIVE_LEVEL" (there is no IRQL)
 * and may call any ndisbuf function, including setting, cancelling or
 * freeing their own timer.
 */
#ifndef NDISBUF_NDIS_WORK_H
#define NDISBUF_NDIS_WORK_H

#include "base.h"
#include "status.h"
#include "object.h"
#include "roles.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _NDIS_TIMER_CHARACTERISTICS {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS, revision 1 */
    ULONG AllocationTag;
    PNDIS_TIMER_FUNCTION TimerFunction;
    PVOID FunctionContext;
} NDIS_TIMER_CHARACTERISTICS, *PNDIS_TIMER_CHARACTERISTICS;

#define NDIS_TIMER_CHARACTERISTICS_REVISION_1 1
#define NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_TIMER_CHARACTERISTICS, FunctionContext)

/*
 * NdisAllocateTimerObject: a new, unset timer calling
 * TimerCharacteristics->TimerFunction. NdisHandle may be NULL. On success
 * *pTimerObject is the timer (free it with NdisFreeTimerObject); on failure
 * (NDIS_STATUS_INVALID_PARAMETER for a bad header or no function,
 * NDIS_STATUS_RESOURCES when no thread can be made) it is left as it was.
 */
NDISBUF_API NDIS_STATUS NdisAllocateTimerObject(NDIS_HANDLE NdisHandle,
                                                PNDIS_TIMER_CHARACTERISTICS TimerCharacteristics,
                                                PNDIS_HANDLE pTimerObject);

/*
 * NdisSetTimerObject: (re)arms the timer. DueTime is in 100 ns units,
 * negative for a time relative to now, positive for an absolute system
 * time (NdisGetCurrentSystemTime). MillisecondsPeriod 0 fires once.
 * FunctionContext, when not NULL, replaces the allocation's context.
 * Returns TRUE if the timer was already set (and is now set again).
 */
NDISBUF_API BOOLEAN NdisSetTimerObject(NDIS_HANDLE TimerObject, LARGE_INTEGER DueTime,
                                       LONG MillisecondsPeriod, PVOID FunctionContext);

/* NdisCancelTimerObject: disarms the timer; TRUE if it was set. A call already running is not waited for. */
NDISBUF_API BOOLEAN NdisCancelTimerObject(NDIS_HANDLE TimerObject);

/* NdisFreeTimerObject: cancels and frees the timer; waits for a running callback unless called from it. */
NDISBUF_API VOID NdisFreeTimerObject(NDIS_HANDLE TimerObject);

/* NdisAllocateIoWorkItem: a work item for NdisObjectHandle (may be NULL); NULL when out of memory. */
NDISBUF_API NDIS_HANDLE NdisAllocateIoWorkItem(NDIS_HANDLE NdisObjectHandle);

/*
 * NdisQueueIoWorkItem: runs Routine(WorkItemContext, NdisIoWorkItemHandle)
 * on a new thread. If no thread can be made, Routine runs on the caller's
 * thread before the call returns, and a diagnostic says so (the call
 * cannot fail).
 */
NDISBUF_API VOID NdisQueueIoWorkItem(NDIS_HANDLE NdisIoWorkItemHandle, NDIS_IO_WORKITEM_ROUTINE Routine,
                                     PVOID WorkItemContext);

/*
 * NdisFreeIoWorkItem: frees the work item. May be called from its own
 * routine (the usual pattern); the memory goes when the last queued routine
 * has returned.
 */
NDISBUF_API VOID NdisFreeIoWorkItem(NDIS_HANDLE NdisIoWorkItemHandle);

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_NDIS_WORK_H */
