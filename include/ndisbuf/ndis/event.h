/* SPDX-License-Identifier: MIT */
/*
 * Waiting and time: NDIS events (notification events a thread waits on
 * with a timeout), NdisMSleep / NdisStallExecution, and the clocks drivers
 * read (system time in 100 ns units since 1601, uptime, the performance
 * counter).
 *
 * An NDIS_EVENT lives in caller storage and holds no resource: initialise
 * it, set, reset and wait on it from any thread; there is no free call (as
 * in NDIS). Waits are real: NdisWaitEvent blocks the calling thread (a
 * futex on the event's state word) until another thread sets the event or
 * the timeout passes, measured on CLOCK_MONOTONIC. A set event stays set,
 * releasing every waiter, until NdisResetEvent. The functions are in
 * src/compat/event.c and src/compat/time.c.
 */
#ifndef NDISBUF_NDIS_EVENT_H
#define NDISBUF_NDIS_EVENT_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The kernel event inside an NDIS_EVENT. Same size as x64's KEVENT (a
 * 24-byte dispatcher header); the members are ndisbuf's.
 */
typedef struct _KEVENT {
    LONG SignalState; /* 0 not signalled, 1 signalled */
    LONG Reserved1;
    PVOID Reserved2[2];
} KEVENT, *PKEVENT;

typedef struct _NDIS_EVENT {
    KEVENT Event;
} NDIS_EVENT, *PNDIS_EVENT;

_Static_assert(sizeof(KEVENT) == 24, "KEVENT is 24 bytes on x64");

/* NdisInitializeEvent: puts the event in the not-signalled state. Cannot fail. */
NDISBUF_API VOID NdisInitializeEvent(PNDIS_EVENT Event);

/* NdisSetEvent: signals the event and wakes every thread waiting on it. */
NDISBUF_API VOID NdisSetEvent(PNDIS_EVENT Event);

/* NdisResetEvent: returns the event to the not-signalled state. */
NDISBUF_API VOID NdisResetEvent(PNDIS_EVENT Event);

/*
 * NdisWaitEvent: waits until the event is signalled (TRUE, at once when it
 * already is) or MsToWait milliseconds pass (FALSE). MsToWait 0 waits
 * without a time limit. The event is left signalled.
 */
NDISBUF_API BOOLEAN NdisWaitEvent(PNDIS_EVENT Event, UINT MsToWait);

/* NdisMSleep: blocks the calling thread for at least the given microseconds. */
NDISBUF_API VOID NdisMSleep(ULONG MicrosecondsToSleep);

/*
 * NdisStallExecution / KeStallExecutionProcessor: busy-waits at least the
 * given microseconds without giving up the processor, as the kernel call
 * does (meant for short waits).
 */
NDISBUF_API VOID NdisStallExecution(UINT MicrosecondsToStall);
NDISBUF_API VOID KeStallExecutionProcessor(ULONG MicroSeconds);

/* NdisGetCurrentSystemTime: wall-clock time, 100 ns units since 1601-01-01 UTC. */
NDISBUF_API VOID NdisGetCurrentSystemTime(PLARGE_INTEGER pSystemTime);
#define KeQuerySystemTime(CurrentTime) NdisGetCurrentSystemTime(CurrentTime)

/* NdisGetSystemUpTime: milliseconds since boot (wraps after ~49.7 days). */
NDISBUF_API VOID NdisGetSystemUpTime(PULONG pSystemUpTime);

/* NdisGetSystemUpTimeEx: milliseconds since boot, 64 bits. */
NDISBUF_API VOID NdisGetSystemUpTimeEx(PLARGE_INTEGER pSystemUpTime);

/* KeQueryInterruptTime: 100 ns units since boot (a monotonic clock). */
NDISBUF_API ULONGLONG KeQueryInterruptTime(VOID);

/*
 * KeQueryPerformanceCounter: a monotonic tick count; its frequency (ticks
 * per second, 10^7 here) goes to *PerformanceFrequency when not NULL.
 */
NDISBUF_API LARGE_INTEGER KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency);

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_NDIS_EVENT_H */
