/* SPDX-License-Identifier: MIT */
/*
 * Timer objects and I/O work items (include/ndisbuf/ndis/work.h) on
 * threads of the process.
 *
 * A timer owns one thread that sleeps on a condition variable (on
 * CLOCK_MONOTONIC) until the timer is armed and due, then calls the
 * function without the lock held. Set and cancel only change the armed
 * state and wake the thread. A timer freed from its own callback is freed
 * by its thread once the callback returns.
 *
 * A work item is a reference count: one for the driver's handle, one per
 * queued routine. Each queueing starts a detached thread; whoever drops the
 * last reference frees the item, so a routine may free its own work item.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "ndis.h"
#include "verify/verify.h"

#define TIMER_MAGIC 0x524d4954u    /* "TIMR" */
#define WORKITEM_MAGIC 0x4b524f57u /* "WORK" */

struct timer {
    ULONG magic;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    PNDIS_TIMER_FUNCTION function;
    PVOID context;
    struct timespec due; /* CLOCK_MONOTONIC */
    LONG period_ms;
    bool armed, stop, self_free;
};

static struct timespec monotonic_after_ticks(LONGLONG ticks)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    if (ticks < 0)
        ticks = 0;
    t.tv_sec += (time_t)(ticks / 10000000);
    t.tv_nsec += (long)(ticks % 10000000) * 100;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

static bool due_now(const struct timespec *due)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > due->tv_sec || (now.tv_sec == due->tv_sec && now.tv_nsec >= due->tv_nsec);
}

static void timer_destroy(struct timer *t)
{
    t->magic = 0;
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

static void *timer_thread(void *arg)
{
    struct timer *t = arg;
    bool self_free;

    pthread_mutex_lock(&t->lock);
    while (!t->stop) {
        if (!t->armed) {
            pthread_cond_wait(&t->wake, &t->lock);
        } else if (!due_now(&t->due)) {
            pthread_cond_timedwait(&t->wake, &t->lock, &t->due);
        } else {
            PVOID context = t->context;

            if (t->period_ms > 0)
                t->due = monotonic_after_ticks((LONGLONG)t->period_ms * 10000);
            else
                t->armed = false;
            pthread_mutex_unlock(&t->lock);
            t->function(NULL, context, NULL, NULL);
            pthread_mutex_lock(&t->lock);
        }
    }
    self_free = t->self_free;
    pthread_mutex_unlock(&t->lock);
    if (self_free)
        timer_destroy(t); /* freed from its own callback: see NdisFreeTimerObject */
    return NULL;
}

static bool timer_ok(NDIS_HANDLE handle, const char *fn)
{
    if (!handle || ((struct timer *)handle)->magic != TIMER_MAGIC) {
        vf_diagnostic(fn, "%p is not a timer object from NdisAllocateTimerObject", handle);
        return false;
    }
    return true;
}

static bool timer_init(struct timer *t)
{
    pthread_condattr_t attr;
    bool ok;

    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    ok = pthread_cond_init(&t->wake, &attr) == 0;
    pthread_condattr_destroy(&attr);
    if (ok && pthread_mutex_init(&t->lock, NULL) != 0) {
        pthread_cond_destroy(&t->wake);
        ok = false;
    }
    return ok;
}

NDIS_STATUS NdisAllocateTimerObject(NDIS_HANDLE NdisHandle, PNDIS_TIMER_CHARACTERISTICS TimerCharacteristics,
                                    PNDIS_HANDLE pTimerObject)
{
    static const char fn[] = "NdisAllocateTimerObject";
    struct timer *t;

    (void)NdisHandle;
    if (!TimerCharacteristics || !pTimerObject || !TimerCharacteristics->TimerFunction ||
        TimerCharacteristics->Header.Type != NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS ||
        TimerCharacteristics->Header.Size < NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1) {
        vf_diagnostic(fn, "needs a revision 1 NDIS_TIMER_CHARACTERISTICS with a TimerFunction, and pTimerObject");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    t = calloc(1, sizeof(*t));
    if (!t || !timer_init(t)) {
        free(t);
        vf_diagnostic(fn, "out of memory for a timer");
        return NDIS_STATUS_RESOURCES;
    }
    t->magic = TIMER_MAGIC;
    t->function = TimerCharacteristics->TimerFunction;
    t->context = TimerCharacteristics->FunctionContext;
    if (pthread_create(&t->thread, NULL, timer_thread, t) != 0) {
        timer_destroy(t);
        vf_diagnostic(fn, "no thread for the timer");
        return NDIS_STATUS_RESOURCES;
    }
    *pTimerObject = t;
    return NDIS_STATUS_SUCCESS;
}

BOOLEAN NdisSetTimerObject(NDIS_HANDLE TimerObject, LARGE_INTEGER DueTime, LONG MillisecondsPeriod,
                           PVOID FunctionContext)
{
    struct timer *t = TimerObject;
    LONGLONG ticks = -DueTime.QuadPart;
    BOOLEAN was;

    if (!timer_ok(TimerObject, "NdisSetTimerObject"))
        return FALSE;
    if (DueTime.QuadPart > 0) {
        LARGE_INTEGER now;

        NdisGetCurrentSystemTime(&now);
        ticks = DueTime.QuadPart - now.QuadPart;
    }
    pthread_mutex_lock(&t->lock);
    was = t->armed;
    t->armed = true;
    t->due = monotonic_after_ticks(ticks);
    t->period_ms = MillisecondsPeriod;
    if (FunctionContext)
        t->context = FunctionContext;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    return was;
}

BOOLEAN NdisCancelTimerObject(NDIS_HANDLE TimerObject)
{
    struct timer *t = TimerObject;
    BOOLEAN was;

    if (!timer_ok(TimerObject, "NdisCancelTimerObject"))
        return FALSE;
    pthread_mutex_lock(&t->lock);
    was = t->armed;
    t->armed = false;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    return was;
}

VOID NdisFreeTimerObject(NDIS_HANDLE TimerObject)
{
    struct timer *t = TimerObject;
    bool own_thread;

    if (!timer_ok(TimerObject, "NdisFreeTimerObject"))
        return;
    own_thread = pthread_equal(t->thread, pthread_self());
    pthread_mutex_lock(&t->lock);
    t->stop = true;
    t->armed = false;
    t->magic = 0;
    t->self_free = own_thread;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    if (own_thread) {
        pthread_detach(t->thread); /* the thread frees it after this callback */
        return;
    }
    pthread_join(t->thread, NULL);
    timer_destroy(t);
}

/* ---- work items ---- */

struct workitem {
    ULONG magic;
    LONG refs;
};

struct work {
    struct workitem *item;
    NDIS_IO_WORKITEM_ROUTINE routine;
    PVOID context;
};

static void workitem_release(struct workitem *w)
{
    if (__atomic_sub_fetch(&w->refs, 1, __ATOMIC_ACQ_REL) == 0)
        free(w);
}

static void *work_thread(void *arg)
{
    struct work work = *(struct work *)arg;

    free(arg);
    work.routine(work.context, work.item);
    workitem_release(work.item);
    return NULL;
}

NDIS_HANDLE NdisAllocateIoWorkItem(NDIS_HANDLE NdisObjectHandle)
{
    struct workitem *w = malloc(sizeof(*w));

    (void)NdisObjectHandle;
    if (!w) {
        vf_diagnostic("NdisAllocateIoWorkItem", "out of memory for a work item");
        return NULL;
    }
    w->magic = WORKITEM_MAGIC;
    w->refs = 1;
    return w;
}

VOID NdisQueueIoWorkItem(NDIS_HANDLE NdisIoWorkItemHandle, NDIS_IO_WORKITEM_ROUTINE Routine,
                         PVOID WorkItemContext)
{
    struct workitem *w = NdisIoWorkItemHandle;
    struct work *work;
    pthread_attr_t attr;
    pthread_t thread;
    bool started = false;

    if (!w || w->magic != WORKITEM_MAGIC || !Routine) {
        vf_diagnostic("NdisQueueIoWorkItem", "%s", !Routine ? "Routine is NULL" : "not a live work item");
        return;
    }
    work = malloc(sizeof(*work));
    __atomic_add_fetch(&w->refs, 1, __ATOMIC_ACQ_REL);
    if (work) {
        *work = (struct work){ w, Routine, WorkItemContext };
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        started = pthread_create(&thread, &attr, work_thread, work) == 0;
        pthread_attr_destroy(&attr);
    }
    if (!started) {
        free(work);
        vf_diagnostic("NdisQueueIoWorkItem", "no thread: the routine runs on the caller's thread");
        Routine(WorkItemContext, w);
        workitem_release(w);
    }
}

VOID NdisFreeIoWorkItem(NDIS_HANDLE NdisIoWorkItemHandle)
{
    struct workitem *w = NdisIoWorkItemHandle;

    if (!w || w->magic != WORKITEM_MAGIC) {
        vf_diagnostic("NdisFreeIoWorkItem", "%p is not a live work item", NdisIoWorkItemHandle);
        return;
    }
    w->magic = 0;
    workitem_release(w);
}
