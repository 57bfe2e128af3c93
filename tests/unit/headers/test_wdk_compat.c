/* SPDX-License-Identifier: MIT */
/*
 * The WDK compatibility layer behaves as Microsoft documents it: list
 * helpers (including removal from an empty list), S-lists, Interlocked*
 * results, spin locks between two threads, NDIS events with timeouts, the
 * RW lock, memory helpers, tagged memory freed the NDIS 6 way, the Mm/Io
 * MDL helpers, DbgPrint's Windows format dialect, and the fatal checks
 * (ASSERT, a corrupt LIST_ENTRY, a spin lock released twice) stopping the
 * process. Built with the driver compile options (docs/wdk-compat.md), so
 * L"..." literals and 'tags' are used as drivers use them.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define WDK_TEST_TAG 'tCdW'

typedef struct _QUEUED {
    ULONG Id;
    LIST_ENTRY Link;
} QUEUED;

C_ASSERT(FIELD_OFFSET(QUEUED, Link) == 8);

static ULONG queued_id(PLIST_ENTRY entry)
{
    return CONTAINING_RECORD(entry, QUEUED, Link)->Id;
}

/* ------------------------------------------------------------ LIST_ENTRY */

static void remove_head_of_empty_list_returns_the_head(void **state)
{
    LIST_ENTRY head;

    (void)state;
    InitializeListHead(&head);
    assert_true(IsListEmpty(&head));
    assert_ptr_equal(RemoveHeadList(&head), &head);
    assert_ptr_equal(RemoveTailList(&head), &head);
    assert_true(IsListEmpty(&head));
}

static void inserts_and_removals_keep_fifo_and_lifo_order(void **state)
{
    LIST_ENTRY head;
    QUEUED q[4];

    (void)state;
    InitializeListHead(&head);
    for (ULONG i = 0; i < 4; i++)
        q[i].Id = i;
    InsertTailList(&head, &q[1].Link);
    InsertTailList(&head, &q[2].Link);
    InsertHeadList(&head, &q[0].Link);
    InsertTailList(&head, &q[3].Link);
    assert_false(IsListEmpty(&head));

    assert_false(RemoveEntryList(&q[2].Link)); /* FALSE: entries remain */
    assert_int_equal(queued_id(RemoveHeadList(&head)), 0);
    assert_int_equal(queued_id(RemoveTailList(&head)), 3);
    assert_true(RemoveEntryList(&q[1].Link)); /* TRUE: list now empty */
    assert_true(IsListEmpty(&head));
}

static void append_tail_list_moves_a_whole_list(void **state)
{
    LIST_ENTRY a, b;
    QUEUED q[4];

    (void)state;
    InitializeListHead(&a);
    InitializeListHead(&b);
    for (ULONG i = 0; i < 4; i++) {
        q[i].Id = i;
        InsertTailList(i < 2 ? &a : &b, &q[i].Link);
    }
    /* Detach b's entries as a head-less circle starting at q[2]. */
    PLIST_ENTRY first = b.Flink;
    RemoveEntryList(&b);
    AppendTailList(&a, first);
    for (ULONG i = 0; i < 4; i++)
        assert_int_equal(queued_id(RemoveHeadList(&a)), i);
    assert_true(IsListEmpty(&a));
}

static void single_list_pops_last_pushed_then_null(void **state)
{
    SINGLE_LIST_ENTRY head = { NULL }, e1, e2;

    (void)state;
    PushEntryList(&head, &e1);
    PushEntryList(&head, &e2);
    assert_ptr_equal(PopEntryList(&head), &e2);
    assert_ptr_equal(PopEntryList(&head), &e1);
    assert_null(PopEntryList(&head));
}

/* ---------------------------------------------------------------- SLIST */

static void slist_push_returns_previous_first_and_counts_depth(void **state)
{
    SLIST_HEADER head;
    SLIST_ENTRY e[3];
    NDIS_SPIN_LOCK lock;

    (void)state;
    NdisAllocateSpinLock(&lock);
    InitializeSListHead(&head);
    assert_int_equal(QueryDepthSList(&head), 0);
    assert_null(InterlockedPopEntrySList(&head));
    assert_null(InterlockedPushEntrySList(&head, &e[0]));
    assert_ptr_equal(InterlockedPushEntrySList(&head, &e[1]), &e[0]);
    assert_ptr_equal(NdisInterlockedPushEntrySList(&head, &e[2], &lock), &e[1]);
    assert_int_equal(NdisQueryDepthSList(&head), 3);

    assert_ptr_equal(NdisInterlockedPopEntrySList(&head, &lock), &e[2]);
    assert_int_equal(QueryDepthSList(&head), 2);
    PSLIST_ENTRY chain = InterlockedFlushSList(&head);
    assert_ptr_equal(chain, &e[1]);
    assert_ptr_equal(chain->Next, &e[0]);
    assert_null(chain->Next->Next);
    assert_int_equal(QueryDepthSList(&head), 0);
    assert_null(InterlockedFlushSList(&head));
    NdisFreeSpinLock(&lock);
}

/* ----------------------------------------------------------- Interlocked */

static void interlocked_results_are_the_documented_ones(void **state)
{
    LONG v = 5;

    (void)state;
    assert_int_equal(InterlockedIncrement(&v), 6);          /* new value */
    assert_int_equal(InterlockedDecrement(&v), 5);          /* new value */
    assert_int_equal(InterlockedExchange(&v, 9), 5);        /* old value */
    assert_int_equal(InterlockedExchangeAdd(&v, 3), 9);     /* old value */
    assert_int_equal(InterlockedAdd(&v, 3), 15);            /* new value */
    assert_int_equal(InterlockedCompareExchange(&v, 1, 99), 15); /* no store */
    assert_int_equal(v, 15);
    assert_int_equal(InterlockedCompareExchange(&v, 1, 15), 15); /* stored */
    assert_int_equal(v, 1);
    assert_int_equal(InterlockedOr(&v, 6), 1);
    assert_int_equal(InterlockedAnd(&v, 3), 7);
    assert_int_equal(InterlockedXor(&v, 1), 3);
    assert_int_equal(v, 2);
    assert_int_equal(NdisInterlockedIncrement(&v), 3);
    assert_int_equal(NdisInterlockedDecrement(&v), 2);
}

/* PreFetchCacheLine is a hint: any address, aligned or not, valid or not, and nothing changes. */
static void prefetch_cache_line_is_a_hint_that_changes_nothing(void **state)
{
    (void)state;
    static UCHAR bytes[256];
    for (ULONG i = 0; i < sizeof(bytes); i++)
        bytes[i] = (UCHAR)i;
    PreFetchCacheLine(PF_TEMPORAL_LEVEL_1, &bytes[3]);
    PreFetchCacheLine(PF_NON_TEMPORAL_LEVEL_ALL, &bytes[200]);
    PreFetchCacheLine(PF_TEMPORAL_LEVEL_1, NULL);
    PreFetchCacheLine(PF_TEMPORAL_LEVEL_1, (const void *)(ULONG_PTR)0x10);
    for (ULONG i = 0; i < sizeof(bytes); i++)
        assert_int_equal(bytes[i], (UCHAR)i);
    assert_int_not_equal(PF_TEMPORAL_LEVEL_1, PF_NON_TEMPORAL_LEVEL_ALL);
}

static void interlocked_64_bit_and_pointer_forms(void **state)
{
    LONG64 w = 0x100000000LL;
    PVOID p = NULL;
    int a, b;
    LARGE_INTEGER stat = { .QuadPart = 0xFFFFFFFFLL };

    (void)state;
    assert_true(InterlockedIncrement64(&w) == 0x100000001LL);
    assert_true(InterlockedExchangeAdd64(&w, 0x100000000LL) == 0x100000001LL);
    assert_true(InterlockedCompareExchange64(&w, 7, 0x200000001LL) == 0x200000001LL);
    assert_true(w == 7);
    assert_null(InterlockedExchangePointer(&p, &a));
    assert_ptr_equal(InterlockedCompareExchangePointer(&p, &b, &b), &a); /* no store */
    assert_ptr_equal(InterlockedCompareExchangePointer(&p, &b, &a), &a);
    assert_ptr_equal(p, &b);
    NdisInterlockedAddLargeStatistic(&stat, 1);
    assert_true(stat.QuadPart == 0x100000000LL);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

/* ------------------------------------------------------------ spin locks */

#define HAMMER_ROUNDS 200000

static struct {
    NDIS_SPIN_LOCK lock;
    ULONG counter;
    LIST_ENTRY queue;
} hammer;

static void *hammer_thread(void *arg)
{
    BOOLEAN dpr = (BOOLEAN)(arg != NULL);

    for (int i = 0; i < HAMMER_ROUNDS; i++) {
        if (dpr) {
            NdisDprAcquireSpinLock(&hammer.lock);
            hammer.counter++; /* a plain increment: only the lock protects it */
            NdisDprReleaseSpinLock(&hammer.lock);
        } else {
            NdisAcquireSpinLock(&hammer.lock);
            hammer.counter++;
            NdisReleaseSpinLock(&hammer.lock);
        }
    }
    return NULL;
}

static void spin_lock_serialises_two_threads(void **state)
{
    pthread_t t1, t2;

    (void)state;
    NdisAllocateSpinLock(&hammer.lock);
    hammer.counter = 0;
    assert_int_equal(pthread_create(&t1, NULL, hammer_thread, NULL), 0);
    assert_int_equal(pthread_create(&t2, NULL, hammer_thread, &hammer), 0);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    assert_int_equal(hammer.counter, 2 * HAMMER_ROUNDS);
    NdisFreeSpinLock(&hammer.lock);
}

static void ndis_interlocked_lists_report_neighbours_and_null(void **state)
{
    QUEUED q[2] = { { 0, { NULL, NULL } }, { 1, { NULL, NULL } } };
    SINGLE_LIST_ENTRY shead = { NULL }, s1;
    ULONG total = 0;

    (void)state;
    NdisAllocateSpinLock(&hammer.lock);
    NdisInitializeListHead(&hammer.queue);
    assert_null(NdisInterlockedRemoveHeadList(&hammer.queue, &hammer.lock));
    assert_null(NdisInterlockedInsertTailList(&hammer.queue, &q[1].Link, &hammer.lock));
    assert_ptr_equal(NdisInterlockedInsertHeadList(&hammer.queue, &q[0].Link, &hammer.lock), &q[1].Link);
    assert_int_equal(queued_id(NdisInterlockedRemoveHeadList(&hammer.queue, &hammer.lock)), 0);
    assert_int_equal(queued_id(NdisInterlockedRemoveHeadList(&hammer.queue, &hammer.lock)), 1);
    assert_null(NdisInterlockedRemoveHeadList(&hammer.queue, &hammer.lock));

    assert_null(NdisInterlockedPushEntryList(&shead, &s1, &hammer.lock));
    assert_ptr_equal(NdisInterlockedPopEntryList(&shead, &hammer.lock), &s1);
    NdisInterlockedAddUlong(&total, 40, &hammer.lock);
    NdisInterlockedAddUlong(&total, 2, &hammer.lock);
    assert_int_equal(total, 42);
    NdisFreeSpinLock(&hammer.lock);
}

/* --------------------------------------------------------------- RW lock */

static PNDIS_RW_LOCK_EX rw_lock;
static volatile LONG rw_writer_done;

static void *rw_writer(void *arg)
{
    LOCK_STATE_EX st;

    (void)arg;
    NdisAcquireRWLockWrite(rw_lock, &st, 0);
    InterlockedExchange(&rw_writer_done, 1);
    NdisReleaseRWLock(rw_lock, &st);
    return NULL;
}

static void rw_lock_read_is_recursive_and_excludes_writers(void **state)
{
    LOCK_STATE_EX r1, r2;
    pthread_t writer;

    (void)state;
    rw_lock = NdisAllocateRWLock(NULL);
    assert_non_null(rw_lock);
    rw_writer_done = 0;
    NdisAcquireRWLockRead(rw_lock, &r1, 0);
    NdisAcquireRWLockRead(rw_lock, &r2, NDIS_RWL_AT_DISPATCH_LEVEL); /* recursive */
    assert_int_equal(pthread_create(&writer, NULL, rw_writer, NULL), 0);
    NdisMSleep(20000);
    assert_int_equal(InterlockedCompareExchange(&rw_writer_done, 0, 0), 0); /* still shut out */
    NdisReleaseRWLock(rw_lock, &r2);
    NdisReleaseRWLock(rw_lock, &r1);
    pthread_join(writer, NULL);
    assert_int_equal(rw_writer_done, 1);
    NdisFreeRWLock(rw_lock);
}

/* ---------------------------------------------------------------- events */

static double now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void event_wait_times_out_when_nobody_sets_it(void **state)
{
    NDIS_EVENT ev;
    double start;

    (void)state;
    NdisInitializeEvent(&ev);
    start = now_ms();
    assert_false(NdisWaitEvent(&ev, 50));
    assert_true(now_ms() - start >= 49.0); /* the timeout is honoured, not cut short */
}

static void *event_setter(void *arg)
{
    NdisMSleep(20000);
    NdisSetEvent((PNDIS_EVENT)arg);
    return NULL;
}

static void event_set_by_another_thread_ends_the_wait(void **state)
{
    NDIS_EVENT ev;
    pthread_t setter;

    (void)state;
    NdisInitializeEvent(&ev);
    assert_int_equal(pthread_create(&setter, NULL, event_setter, &ev), 0);
    assert_true(NdisWaitEvent(&ev, 10000));
    pthread_join(setter, NULL);
    assert_true(NdisWaitEvent(&ev, 1)); /* stays set */
    assert_true(NdisWaitEvent(&ev, 0)); /* 0: no limit, already set */
    NdisResetEvent(&ev);
    assert_false(NdisWaitEvent(&ev, 1));
}

/* ------------------------------------------------------ memory and time */

static void memory_helpers_match_the_rtl_definitions(void **state)
{
    UCHAR a[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, b[8];

    (void)state;
    NdisMoveMemory(b, a, sizeof(a));
    assert_true(NdisEqualMemory(a, b, sizeof(a)));
    b[5] = 0;
    assert_int_equal(RtlCompareMemory(a, b, sizeof(a)), 5);
    assert_false(RtlEqualMemory(a, b, sizeof(a)));
    NdisFillMemory(b, sizeof(b), 0xAB);
    assert_int_equal(b[7], 0xAB);
    NdisZeroMemory(b, sizeof(b));
    assert_int_equal(RtlCompareMemory(b, "\0\0\0\0\0\0\0\0", 8), 8);
    RtlMoveMemory(a + 1, a, 4); /* overlapping */
    assert_int_equal(a[4], 4);
}

static void tagged_memory_frees_with_tag_priority(void **state)
{
    PVOID p;

    (void)state;
    p = NdisAllocateMemoryWithTagPriority(NULL, 64, WDK_TEST_TAG, NormalPoolPriority);
    assert_non_null(p);
    NdisZeroMemory(p, 64);
    NdisFreeMemoryWithTagPriority(NULL, p, WDK_TEST_TAG);
    assert_int_equal(ndisbuf_tagged_memory_outstanding(NULL), 0);
}

static void clocks_count_in_windows_units(void **state)
{
    LARGE_INTEGER now, freq, c1, c2, up;

    (void)state;
    NdisGetCurrentSystemTime(&now);
    assert_true(now.QuadPart > 130000000000000000LL); /* after 2012, since 1601 */
    c1 = KeQueryPerformanceCounter(&freq);
    assert_true(freq.QuadPart == 10000000);
    NdisMSleep(2000);
    NdisStallExecution(100);
    c2 = KeQueryPerformanceCounter(NULL);
    assert_true(c2.QuadPart - c1.QuadPart >= 21000); /* >= 2.1 ms in 100 ns ticks */
    NdisGetSystemUpTimeEx(&up);
    assert_true(up.QuadPart > 0);
}

/* ------------------------------------------------------------- Mm / Io */

static void mm_and_io_mdl_helpers_describe_the_buffer(void **state)
{
    static UCHAR buf[300];
    PMDL first, second, next;
    PVOID va;
    ULONG len, off;

    (void)state;
    first = IoAllocateMdl(buf + 10, 100, FALSE, FALSE, NULL);
    assert_non_null(first);
    MmBuildMdlForNonPagedPool(first);
    second = NdisAllocateMdl(NULL, buf + 110, 50);
    assert_non_null(second);
    first->Next = second;

    assert_ptr_equal(MmGetMdlVirtualAddress(first), buf + 10);
    assert_int_equal(MmGetMdlByteCount(first), 100);
    assert_int_equal(MmGetMdlByteOffset(first), BYTE_OFFSET(buf + 10));
    assert_ptr_equal(MmGetSystemAddressForMdlSafe(first, NormalPagePriority | MdlMappingNoExecute),
                     buf + 10);
    NdisQueryMdl(first, &va, &len, NormalPagePriority);
    assert_ptr_equal(va, buf + 10);
    assert_int_equal(len, 100);
    NdisQueryMdlOffset(second, &off, &len);
    assert_int_equal(off, BYTE_OFFSET(buf + 110));
    assert_int_equal(len, 50);
    NdisGetNextMdl(first, &next);
    assert_ptr_equal(next, second);
    NdisAdjustMdlLength(second, 20);
    assert_int_equal(MmGetMdlByteCount(second), 20);
    NdisAdjustMdlLength(second, 50);

    first->Next = NULL;
    NdisFreeMdl(second);
    IoFreeMdl(first);
}

/* -------------------------------------------------------------- DbgPrint */

static void dbgprint_speaks_the_windows_format_dialect(void **state)
{
    static WCHAR name[] = L"eth0";
    UNICODE_STRING us = { 8, 10, name };
    char text[256] = { 0 };
    FILE *capture = tmpfile();
    int saved = dup(2);

    (void)state;
    assert_non_null(capture);
    fflush(stderr);
    dup2(fileno(capture), 2);
    DbgPrint("[%wZ] %I64x %lx %ws %Iu %5d|%-3s|%%\n", &us, 0x123456789ULL, 0xABCDul, name, (SIZE_T)7, -42,
             "ab");
    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_ERROR_LEVEL, "%s=%u\n", "n", 3u);
    KdPrint(("kd %d\n", 1)); /* only where assertions are active (DBG / no NDEBUG) */
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(capture);
    assert_true(fread(text, 1, sizeof(text) - 1, capture) > 0);
    fclose(capture);
    assert_string_equal(text, NDISBUF_ASSERTS_ACTIVE
                                  ? "[eth0] 123456789 abcd eth0 7   -42|ab |%\nn=3\nkd 1\n"
                                  : "[eth0] 123456789 abcd eth0 7   -42|ab |%\nn=3\n");
}

/* --------------------------------------------------------- fatal checks */

/* Runs fn in a child process and asserts that it died of SIGABRT. */
static void assert_aborts(void (*fn)(void))
{
    int status = 0;
    pid_t pid;

    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, 2); /* the report is expected; keep the test log clean */
        fn();
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
}

static void remove_entry_twice(void)
{
    LIST_ENTRY head;
    QUEUED a, b;

    InitializeListHead(&head);
    InsertTailList(&head, &a.Link);
    InsertTailList(&head, &b.Link);
    RemoveEntryList(&a.Link);
    RemoveEntryList(&b.Link);
    RemoveEntryList(&a.Link); /* a's neighbours no longer point at it */
}

static void release_free_spin_lock(void)
{
    NDIS_SPIN_LOCK lock;

    NdisAllocateSpinLock(&lock);
    NdisAcquireSpinLock(&lock);
    NdisReleaseSpinLock(&lock);
    NdisReleaseSpinLock(&lock);
}

static void failing_nt_assert(void)
{
    volatile int zero = 0;

    NT_ASSERT(zero == 1);
}

static void fatal_checks_stop_the_process(void **state)
{
    (void)state;
    assert_aborts(remove_entry_twice);
    assert_aborts(release_free_spin_lock);
    if (NDISBUF_ASSERTS_ACTIVE)
        assert_aborts(failing_nt_assert);
    else
        failing_nt_assert(); /* compiled out under NDEBUG: must not stop */
    assert_true(NT_VERIFY(1 + 1 == 2));
    assert_true(NT_SUCCESS(STATUS_PENDING));
    assert_false(NT_SUCCESS(STATUS_INSUFFICIENT_RESOURCES));
    assert_int_equal(NDIS_STATUS_RESOURCES, STATUS_INSUFFICIENT_RESOURCES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(remove_head_of_empty_list_returns_the_head),
        HARNESS_TEST(inserts_and_removals_keep_fifo_and_lifo_order),
        HARNESS_TEST(append_tail_list_moves_a_whole_list),
        HARNESS_TEST(single_list_pops_last_pushed_then_null),
        HARNESS_TEST(slist_push_returns_previous_first_and_counts_depth),
        HARNESS_TEST(interlocked_results_are_the_documented_ones),
        HARNESS_TEST(prefetch_cache_line_is_a_hint_that_changes_nothing),
        HARNESS_TEST(interlocked_64_bit_and_pointer_forms),
        HARNESS_TEST(spin_lock_serialises_two_threads),
        HARNESS_TEST(ndis_interlocked_lists_report_neighbours_and_null),
        HARNESS_TEST(rw_lock_read_is_recursive_and_excludes_writers),
        HARNESS_TEST(event_wait_times_out_when_nobody_sets_it),
        HARNESS_TEST(event_set_by_another_thread_ends_the_wait),
        HARNESS_TEST(memory_helpers_match_the_rtl_definitions),
        HARNESS_TEST(tagged_memory_frees_with_tag_priority),
        HARNESS_TEST(clocks_count_in_windows_units),
        HARNESS_TEST(mm_and_io_mdl_helpers_describe_the_buffer),
        HARNESS_TEST(dbgprint_speaks_the_windows_format_dialect),
        HARNESS_TEST(fatal_checks_stop_the_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
