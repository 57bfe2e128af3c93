/* SPDX-License-Identifier: MIT */
/*
 * Sleeping, stalling and the clocks of include/ndisbuf/ndis/event.h.
 *
 * Windows counts system time in 100 ns units since 1601-01-01 UTC; the
 * Unix epoch is 11644473600 s later. Uptime, interrupt time and the
 * performance counter come from CLOCK_MONOTONIC, which does not jump when
 * the wall clock is set (the performance counter's frequency is 10 MHz).
 */
#include <errno.h>
#include <time.h>

#include "ndis.h"

#define WINDOWS_TICKS_PER_SECOND 10000000LL
#define UNIX_EPOCH_IN_WINDOWS_TICKS (11644473600LL * WINDOWS_TICKS_PER_SECOND)

static LONGLONG clock_ticks(clockid_t clock)
{
    struct timespec t;

    clock_gettime(clock, &t);
    return (LONGLONG)t.tv_sec * WINDOWS_TICKS_PER_SECOND + t.tv_nsec / 100;
}

VOID NdisMSleep(ULONG MicrosecondsToSleep)
{
    struct timespec left = { .tv_sec = MicrosecondsToSleep / 1000000,
                             .tv_nsec = (long)(MicrosecondsToSleep % 1000000) * 1000L };

    while (nanosleep(&left, &left) != 0 && errno == EINTR)
        ;
}

VOID KeStallExecutionProcessor(ULONG MicroSeconds)
{
    LONGLONG until = clock_ticks(CLOCK_MONOTONIC) + (LONGLONG)MicroSeconds * 10;

    while (clock_ticks(CLOCK_MONOTONIC) < until)
        YieldProcessor();
}

VOID NdisStallExecution(UINT MicrosecondsToStall)
{
    KeStallExecutionProcessor(MicrosecondsToStall);
}

VOID NdisGetCurrentSystemTime(PLARGE_INTEGER pSystemTime)
{
    pSystemTime->QuadPart = clock_ticks(CLOCK_REALTIME) + UNIX_EPOCH_IN_WINDOWS_TICKS;
}

VOID NdisGetSystemUpTimeEx(PLARGE_INTEGER pSystemUpTime)
{
    pSystemUpTime->QuadPart = clock_ticks(CLOCK_MONOTONIC) / 10000;
}

VOID NdisGetSystemUpTime(PULONG pSystemUpTime)
{
    *pSystemUpTime = (ULONG)(clock_ticks(CLOCK_MONOTONIC) / 10000);
}

ULONGLONG KeQueryInterruptTime(VOID)
{
    return (ULONGLONG)clock_ticks(CLOCK_MONOTONIC);
}

LARGE_INTEGER KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency)
{
    LARGE_INTEGER now;

    if (PerformanceFrequency != NULL)
        PerformanceFrequency->QuadPart = WINDOWS_TICKS_PER_SECOND;
    now.QuadPart = clock_ticks(CLOCK_MONOTONIC);
    return now;
}
