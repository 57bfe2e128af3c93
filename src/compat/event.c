/* SPDX-License-Identifier: MIT */
/*
 * NDIS events (include/ndisbuf/ndis/event.h): notification events in
 * caller storage that hold no resource.
 *
 * The event is its SignalState word: NdisSetEvent stores 1 and wakes every
 * futex waiter on the word, NdisResetEvent stores 0, NdisWaitEvent sleeps
 * on the word while it is 0. The futex wait takes an absolute deadline on
 * CLOCK_MONOTONIC, so spurious wake-ups and signals do not stretch the
 * timeout. The release store / acquire load on the word order what the
 * setter wrote before NdisSetEvent before what the waiter reads after.
 */
#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ndis.h"

static LONG *event_word(PNDIS_EVENT Event)
{
    return &Event->Event.SignalState;
}

VOID NdisInitializeEvent(PNDIS_EVENT Event)
{
    memset(Event, 0, sizeof(*Event));
    __atomic_store_n(event_word(Event), 0, __ATOMIC_RELEASE);
}

VOID NdisSetEvent(PNDIS_EVENT Event)
{
    if (__atomic_exchange_n(event_word(Event), 1, __ATOMIC_RELEASE) == 0)
        syscall(SYS_futex, event_word(Event), FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

VOID NdisResetEvent(PNDIS_EVENT Event)
{
    __atomic_store_n(event_word(Event), 0, __ATOMIC_RELEASE);
}

/* The deadline MsToWait from now on CLOCK_MONOTONIC. */
static struct timespec deadline_after_ms(UINT ms)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

BOOLEAN NdisWaitEvent(PNDIS_EVENT Event, UINT MsToWait)
{
    struct timespec deadline = deadline_after_ms(MsToWait);

    while (__atomic_load_n(event_word(Event), __ATOMIC_ACQUIRE) == 0) {
        /* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline. */
        long rc = syscall(SYS_futex, event_word(Event), FUTEX_WAIT_BITSET_PRIVATE, 0,
                          MsToWait ? &deadline : NULL, NULL, FUTEX_BITSET_MATCH_ANY);
        if (rc != 0 && errno == ETIMEDOUT)
            return __atomic_load_n(event_word(Event), __ATOMIC_ACQUIRE) != 0;
    }
    return TRUE;
}
