/* SPDX-License-Identifier: MIT */
/*
 * The pause storm (fault injection, docs/fault-injection.md): a thread that
 * pauses and restarts one adapter's stack at random intervals while the
 * test's traffic runs, so that every layer's pause, drain and restart paths
 * are taken with NBLs in flight, over and over.
 *
 * It uses the public stack API only (ndisbuf_stack_pause and _restart), as
 * a test would. The intervals are drawn from the seed (splitmix64), up to
 * the maximum asked; the sleep is cut in slices so that a stop is noticed
 * within a few milliseconds. A restart that fails is tried again at the
 * next interval instead of a pause, and once more when the storm stops, so
 * a storm never leaves its adapter paused behind the caller's back unless
 * the restart keeps failing (then a diagnostic says so). One storm at a
 * time; start and stop are serialised by one mutex, held across the join.
 */
#include <pthread.h>
#include <time.h>

#include "verify.h"

#define STORM_SLICE_US 2000u /* longest sleep between two looks at the stop flag */

static pthread_mutex_t storm_control = PTHREAD_MUTEX_INITIALIZER;
static struct {
    bool running;      /* under storm_control */
    pthread_t thread;
    NDIS_HANDLE adapter;
    ULONG max_us;
    ULONG64 rng;
    int stop;          /* atomic: the thread leaves at its next look */
    bool paused;       /* the thread paused the stack and has not restarted it (thread only) */
    ULONG64 cycles;    /* pause + restart pairs that succeeded (thread, read after join) */
    ULONG64 failures;
    NDIS_STATUS last_failure;
} storm;

/* The next interval, 0..max_us microseconds (splitmix64 from the seed). */
static ULONG storm_interval(void)
{
    ULONG64 z = vf_splitmix64(storm.rng += VF_SPLITMIX64_GAMMA);
    return (ULONG)(z % ((ULONG64)storm.max_us + 1));
}

static bool storm_stopping(void)
{
    return __atomic_load_n(&storm.stop, __ATOMIC_ACQUIRE) != 0;
}

/* Sleeps us microseconds in slices; false when asked to stop meanwhile. */
static bool storm_sleep(ULONG us)
{
    while (!storm_stopping()) {
        ULONG slice = us < STORM_SLICE_US ? us : STORM_SLICE_US;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)slice * 1000};
        if (slice)
            nanosleep(&ts, NULL);
        us -= slice;
        if (!us)
            return !storm_stopping();
    }
    return false;
}

/* One pause + restart (or only the restart still owed); counts the outcome. */
static void storm_cycle(void)
{
    NDIS_STATUS status = NDIS_STATUS_SUCCESS;
    if (!storm.paused) {
        status = ndisbuf_stack_pause(storm.adapter);
        storm.paused = status == NDIS_STATUS_SUCCESS;
    }
    if (storm.paused) {
        status = ndisbuf_stack_restart(storm.adapter);
        storm.paused = status != NDIS_STATUS_SUCCESS;
    }
    if (status == NDIS_STATUS_SUCCESS) {
        storm.cycles++;
        return;
    }
    storm.failures++;
    storm.last_failure = status;
}

static void *storm_thread(void *unused)
{
    (void)unused;
    while (storm_sleep(storm_interval()))
        storm_cycle();
    if (storm.paused && ndisbuf_stack_restart(storm.adapter) != NDIS_STATUS_SUCCESS)
        vf_diagnostic("ndisbuf_fault_pause_storm_stop", "adapter %p is left paused: its restart keeps failing",
                      storm.adapter);
    return NULL;
}

NDIS_STATUS ndisbuf_fault_pause_storm_start(NDIS_HANDLE Adapter, ULONG MaxIntervalMicroseconds, ULONG Seed)
{
    const char *fn = "ndisbuf_fault_pause_storm_start";
    if (!Adapter || ndisbuf_stack_state(Adapter) == NdisbufStateInvalid) {
        vf_diagnostic(fn, "Adapter %p is no live adapter", Adapter);
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    pthread_mutex_lock(&storm_control);
    if (storm.running) {
        vf_diagnostic(fn, "a pause storm is already running on adapter %p; stop it first", storm.adapter);
        pthread_mutex_unlock(&storm_control);
        return NDIS_STATUS_FAILURE;
    }
    storm.adapter = Adapter;
    storm.max_us = MaxIntervalMicroseconds;
    storm.rng = Seed;
    storm.stop = 0;
    storm.paused = false;
    storm.cycles = storm.failures = 0;
    storm.last_failure = NDIS_STATUS_SUCCESS;
    bool started = pthread_create(&storm.thread, NULL, storm_thread, NULL) == 0;
    storm.running = started;
    pthread_mutex_unlock(&storm_control);
    if (!started) {
        vf_diagnostic(fn, "no thread for the storm (pthread_create failed)");
        return NDIS_STATUS_RESOURCES;
    }
    return NDIS_STATUS_SUCCESS;
}

ULONG64 ndisbuf_fault_pause_storm_stop(void)
{
    pthread_mutex_lock(&storm_control);
    if (!storm.running) {
        pthread_mutex_unlock(&storm_control);
        vf_diagnostic("ndisbuf_fault_pause_storm_stop", "no pause storm is running");
        return 0;
    }
    __atomic_store_n(&storm.stop, 1, __ATOMIC_RELEASE);
    pthread_join(storm.thread, NULL);
    storm.running = false;
    ULONG64 cycles = storm.cycles;
    if (storm.failures)
        vf_diagnostic("ndisbuf_fault_pause_storm_stop", "%llu pause/restart cycle(s) failed, the last with %s",
                      (unsigned long long)storm.failures, ndisbuf_status_name(storm.last_failure));
    pthread_mutex_unlock(&storm_control);
    return cycles;
}
