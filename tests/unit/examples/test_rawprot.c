/* SPDX-License-Identifier: MIT */
/*
 * The rawprot example protocol driver (examples/rawprot.c, docs/examples.md)
 * bound to the loopback miniport: frames of every size and batches come
 * back byte for byte, wrong sizes are refused, a pause waits for the sends
 * in flight (held by the test miniport of tests/support/stackdrv.h), unbind
 * and rebind start afresh, the pool is rebuilt when a filter inserted at
 * run time changes the stack's needs (and only then), and the
 * OID_GEN_MINIPORT_RESTART_ATTRIBUTES query agrees with the bind.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "stackdrv.h"

#include "rawprot.h"
#include "vlan_filter.h"

#define READ_TIMEOUT_MS 5000
#define QUIET_TIMEOUT_MS 50
#define MAX_FRAME 1514
#define TEST_VLAN_ID 42
#define TEST_PRIORITY 5
#define TEST_ETHERTYPE 0x88B5 /* IEEE local experimental */

/* A loopback adapter with rawprot bound to it. */
typedef struct loop_rig {
    NDIS_HANDLE miniport_driver;
    NDIS_HANDLE adapter;
    NDIS_HANDLE binding;
    PRAWPROT_OPEN open;
    ULONG64 outstanding_at_start;
} loop_rig;

static void rig_bind(loop_rig *r)
{
    assert_int_equal(ndisbuf_stack_bind(r->adapter, RawProtProtocolHandle(), &r->binding), NDIS_STATUS_SUCCESS);
    r->open = RawProtOpenBinding(r->binding);
    assert_non_null(r->open);
    assert_int_equal(ndisbuf_stack_state(r->binding), NdisbufStateRunning);
}

static void rig_up(loop_rig *r)
{
    memset(r, 0, sizeof(*r));
    r->outstanding_at_start = ndisbuf_outstanding_total();
    assert_int_equal(ndisbuf_loopback_driver_entry(&r->miniport_driver), NDIS_STATUS_SUCCESS);
    assert_int_equal(RawProtDriverEntry(), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_add_adapter(r->miniport_driver, "loop0", &r->adapter), NDIS_STATUS_SUCCESS);
    rig_bind(r);
}

static void rig_down(loop_rig *r)
{
    RawProtCloseBinding(r->open);
    assert_int_equal(ndisbuf_stack_remove_adapter(r->adapter), NDIS_STATUS_SUCCESS);
    RawProtDriverUnload();
    NdisMDeregisterMiniportDriver(r->miniport_driver);
    assert_int_equal(ndisbuf_outstanding_total(), r->outstanding_at_start);
}

/* An Ethernet frame: made-up addresses, TEST_ETHERTYPE, a payload that depends on seed. */
static void make_frame(UCHAR *frame, ULONG length, unsigned seed)
{
    for (ULONG i = 0; i < length; i++)
        frame[i] = (UCHAR)(seed * 37 + i * 7 + 1);
    frame[12] = (UCHAR)(TEST_ETHERTYPE >> 8);
    frame[13] = (UCHAR)(TEST_ETHERTYPE & 0xFF);
}

static void read_and_compare(PRAWPROT_OPEN open, const UCHAR *expected, ULONG length)
{
    UCHAR got[2048];
    ULONG n = RawProtRead(open, got, sizeof(got), READ_TIMEOUT_MS);

    assert_int_equal(n, length);
    assert_memory_equal(got, expected, length);
}

static RAWPROT_STATS stats_of(PRAWPROT_OPEN open)
{
    RAWPROT_STATS s;

    RawProtGetStats(open, &s);
    return s;
}

/* ---- data ---- */

static void frames_of_every_size_come_back_byte_identical(void **state)
{
    static const ULONG sizes[] = {14, 15, 60, 64, 128, 511, 1000, 1499, 1513, 1514};
    const size_t n = sizeof(sizes) / sizeof(sizes[0]);
    UCHAR frame[MAX_FRAME];
    loop_rig r;

    (void)state;
    rig_up(&r);
    for (size_t i = 0; i < n; i++) {
        make_frame(frame, sizes[i], (unsigned)i);
        assert_int_equal(RawProtWrite(r.open, frame, sizes[i]), NDIS_STATUS_SUCCESS);
        read_and_compare(r.open, frame, sizes[i]);
    }
    assert_true(RawProtWaitForSends(r.open, READ_TIMEOUT_MS));

    RAWPROT_STATS s = stats_of(r.open);
    assert_int_equal(s.FramesSent, n);
    assert_int_equal(s.CompletedOk, n);
    assert_int_equal(s.CompletedFailed + s.CompletedPaused + s.CompletedAltered, 0);
    assert_int_equal(s.FramesReceived, n);
    assert_int_equal(s.FramesRead, n);
    assert_int_equal(s.SendsOutstanding, 0);
    assert_int_equal(s.PoolOutstanding, 0);
    assert_int_equal(s.PoolDataSize, s.PoolDataBackFillSize + 1500 + 14);
    rig_down(&r);
}

static void a_batch_goes_down_as_one_chain_and_comes_back_in_order(void **state)
{
    enum { COUNT = 48 };
    static UCHAR frames[COUNT][MAX_FRAME];
    const void *pointers[COUNT];
    ULONG lengths[COUNT];
    loop_rig r;

    (void)state;
    rig_up(&r);
    for (ULONG i = 0; i < COUNT; i++) {
        lengths[i] = 14 + (i * 97) % (MAX_FRAME - 14 + 1);
        make_frame(frames[i], lengths[i], 100 + i);
        pointers[i] = frames[i];
    }
    assert_int_equal(RawProtWriteBatch(r.open, pointers, lengths, COUNT), NDIS_STATUS_SUCCESS);
    for (ULONG i = 0; i < COUNT; i++)
        read_and_compare(r.open, frames[i], lengths[i]);
    assert_true(RawProtWaitForSends(r.open, READ_TIMEOUT_MS));

    RAWPROT_STATS s = stats_of(r.open);
    assert_int_equal(s.CompletedOk, COUNT);
    assert_int_equal(s.CompletedAltered, 0);
    assert_int_equal(s.PoolOutstanding, 0);
    rig_down(&r);
}

static void frames_of_the_wrong_size_are_refused_without_sending(void **state)
{
    UCHAR frame[MAX_FRAME + 1];
    const void *pointers[2] = {frame, frame};
    ULONG lengths[2] = {60, MAX_FRAME + 1};
    loop_rig r;

    (void)state;
    rig_up(&r);
    make_frame(frame, sizeof(frame), 1);
    assert_int_equal(RawProtWrite(r.open, frame, 13), NDIS_STATUS_INVALID_LENGTH);
    assert_int_equal(RawProtWrite(r.open, frame, MAX_FRAME + 1), NDIS_STATUS_INVALID_LENGTH);
    /* A batch is all or nothing: the good frame in it is not sent either. */
    assert_int_equal(RawProtWriteBatch(r.open, pointers, lengths, 2), NDIS_STATUS_INVALID_LENGTH);
    assert_int_equal(RawProtWrite(NULL, frame, 60), NDIS_STATUS_INVALID_PARAMETER);
    assert_int_equal(RawProtWriteBatch(r.open, pointers, lengths, 0), NDIS_STATUS_INVALID_PARAMETER);
    assert_int_equal(RawProtRead(r.open, frame, sizeof(frame), QUIET_TIMEOUT_MS), 0);

    RAWPROT_STATS s = stats_of(r.open);
    assert_int_equal(s.FramesSent, 0);
    assert_int_equal(s.WritesRefused, 4);
    assert_int_equal(s.SendsOutstanding, 0);
    assert_int_equal(s.PoolOutstanding, 0);
    rig_down(&r);
}

static void a_short_read_buffer_truncates_the_frame(void **state)
{
    UCHAR frame[200], got[200];
    loop_rig r;

    (void)state;
    rig_up(&r);
    make_frame(frame, sizeof(frame), 9);
    assert_int_equal(RawProtWrite(r.open, frame, sizeof(frame)), NDIS_STATUS_SUCCESS);
    assert_int_equal(RawProtRead(r.open, got, 20, READ_TIMEOUT_MS), 20);
    assert_memory_equal(got, frame, 20);
    assert_int_equal(RawProtRead(r.open, got, sizeof(got), QUIET_TIMEOUT_MS), 0); /* the rest is gone */
    assert_true(RawProtWaitForSends(r.open, READ_TIMEOUT_MS));
    assert_int_equal(stats_of(r.open).FramesTruncated, 1);
    rig_down(&r);
}

/* ---- receive callback and threads ---- */

typedef struct frame_counter {
    pthread_mutex_t lock;
    ULONG frames;
    ULONG bytes;
    ULONG bad;
} frame_counter;

static VOID count_frame(PVOID context, const UCHAR *frame, ULONG length)
{
    frame_counter *c = context;

    pthread_mutex_lock(&c->lock);
    c->frames++;
    c->bytes += length;
    c->bad += length < 14 || frame[12] != (UCHAR)(TEST_ETHERTYPE >> 8);
    pthread_mutex_unlock(&c->lock);
}

static ULONG counted_frames(frame_counter *c)
{
    pthread_mutex_lock(&c->lock);
    ULONG n = c->frames;
    pthread_mutex_unlock(&c->lock);
    return n;
}

static void wait_for_frames(frame_counter *c, ULONG expected)
{
    for (int i = 0; i < 5000 && counted_frames(c) < expected; i++)
        usleep(1000);
    assert_int_equal(counted_frames(c), expected);
}

static void a_receive_callback_takes_frames_instead_of_the_queue(void **state)
{
    frame_counter c = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0};
    UCHAR frame[100];
    loop_rig r;

    (void)state;
    rig_up(&r);
    RawProtSetReceiveCallback(r.open, count_frame, &c);
    make_frame(frame, sizeof(frame), 3);
    for (int i = 0; i < 10; i++)
        assert_int_equal(RawProtWrite(r.open, frame, sizeof(frame)), NDIS_STATUS_SUCCESS);
    wait_for_frames(&c, 10);
    assert_int_equal(c.bytes, 10 * sizeof(frame));
    assert_int_equal(c.bad, 0);
    assert_int_equal(RawProtRead(r.open, frame, sizeof(frame), 0), 0);

    RawProtSetReceiveCallback(r.open, NULL, NULL);
    assert_int_equal(RawProtWrite(r.open, frame, sizeof(frame)), NDIS_STATUS_SUCCESS);
    assert_int_equal(RawProtRead(r.open, frame, sizeof(frame), READ_TIMEOUT_MS), sizeof(frame));
    assert_true(RawProtWaitForSends(r.open, READ_TIMEOUT_MS));
    rig_down(&r);
}

enum { WRITERS = 4, WRITES_PER_THREAD = 300, WRITE_BATCH = 5 };

static void *writer_thread(void *arg)
{
    PRAWPROT_OPEN open = arg;
    UCHAR frames[WRITE_BATCH][64];
    const void *pointers[WRITE_BATCH];
    ULONG lengths[WRITE_BATCH];

    for (int i = 0; i < WRITE_BATCH; i++) {
        make_frame(frames[i], sizeof(frames[i]), (unsigned)i);
        pointers[i] = frames[i];
        lengths[i] = sizeof(frames[i]);
    }
    for (int i = 0; i < WRITES_PER_THREAD; i++) {
        NDIS_STATUS st = i % 2 ? RawProtWrite(open, frames[0], 64)
                               : RawProtWriteBatch(open, pointers, lengths, WRITE_BATCH);
        if (st != NDIS_STATUS_SUCCESS)
            return (void *)1;
    }
    return NULL;
}

static void writers_on_many_threads_all_complete_and_come_back(void **state)
{
    const ULONG expected = WRITERS * (WRITES_PER_THREAD / 2) * (1 + WRITE_BATCH);
    frame_counter c = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0};
    pthread_t threads[WRITERS];
    loop_rig r;

    (void)state;
    rig_up(&r);
    RawProtSetReceiveCallback(r.open, count_frame, &c);
    for (int i = 0; i < WRITERS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, writer_thread, r.open), 0);
    for (int i = 0; i < WRITERS; i++) {
        void *result;
        assert_int_equal(pthread_join(threads[i], &result), 0);
        assert_null(result);
    }
    assert_true(RawProtWaitForSends(r.open, READ_TIMEOUT_MS));
    wait_for_frames(&c, expected);

    RAWPROT_STATS s = stats_of(r.open);
    assert_int_equal(s.FramesSent, expected);
    assert_int_equal(s.CompletedOk, expected);
    assert_int_equal(s.CompletedAltered, 0);
    assert_int_equal(s.PoolOutstanding, 0);
    assert_int_equal(c.bad, 0);
    rig_down(&r);
}

/* ---- the binding's life ---- */

/* rawprot over the test miniport of stackdrv.h, which can hold sends. */
typedef struct held_rig {
    td_miniport m;
    NDIS_HANDLE adapter;
    NDIS_HANDLE binding;
    PRAWPROT_OPEN open;
} held_rig;

static void held_rig_up(held_rig *r)
{
    memset(r, 0, sizeof(*r));
    td_miniport_register(&r->m);
    assert_int_equal(ndisbuf_stack_add_adapter(r->m.driver, "held0", &r->adapter), NDIS_STATUS_SUCCESS);
    assert_int_equal(RawProtDriverEntry(), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_bind(r->adapter, RawProtProtocolHandle(), &r->binding), NDIS_STATUS_SUCCESS);
    r->open = RawProtOpenBinding(r->binding);
    assert_non_null(r->open);
}

static void held_rig_down(held_rig *r)
{
    RawProtCloseBinding(r->open);
    assert_int_equal(ndisbuf_stack_remove_adapter(r->adapter), NDIS_STATUS_SUCCESS);
    RawProtDriverUnload();
    td_miniport_deregister(&r->m);
}

static void *pause_thread(void *arg)
{
    return (void *)(ULONG_PTR)ndisbuf_stack_pause(arg);
}

static void wait_for_state(NDIS_HANDLE layer, NDISBUF_LAYER_STATE wanted)
{
    for (int i = 0; i < 5000 && ndisbuf_stack_state(layer) != wanted; i++)
        usleep(1000);
    assert_int_equal(ndisbuf_stack_state(layer), wanted);
}

static void wait_until_not_running(PRAWPROT_OPEN open)
{
    for (int i = 0; i < 5000 && stats_of(open).Running; i++)
        usleep(1000);
    assert_false(stats_of(open).Running);
}

static void a_pause_with_sends_outstanding_pends_until_they_complete(void **state)
{
    enum { COUNT = 8 };
    UCHAR frame[60];
    const void *pointers[COUNT];
    ULONG lengths[COUNT];
    pthread_t pauser;
    void *result;
    held_rig r;

    (void)state;
    held_rig_up(&r);
    r.m.hold_sends = true;
    make_frame(frame, sizeof(frame), 4);
    for (int i = 0; i < COUNT; i++) {
        pointers[i] = frame;
        lengths[i] = sizeof(frame);
    }
    assert_int_equal(RawProtWriteBatch(r.open, pointers, lengths, COUNT), NDIS_STATUS_SUCCESS);
    assert_int_equal(r.m.sends_seen, 1); /* one NdisSendNetBufferLists for the batch */
    assert_int_equal(r.m.nbls_sent, COUNT);

    assert_true(stats_of(r.open).Running);
    assert_int_equal(pthread_create(&pauser, NULL, pause_thread, r.adapter), 0);
    wait_for_state(r.binding, NdisbufStatePausing);
    wait_until_not_running(r.open); /* NDIS marks the binding Pausing just before NetEventPause */
    assert_int_equal(RawProtWrite(r.open, frame, sizeof(frame)), NDIS_STATUS_PAUSED);
    assert_int_equal(stats_of(r.open).SendsOutstanding, COUNT);

    r.m.hold_sends = false;
    td_miniport_release_sends(&r.m, NDIS_STATUS_SUCCESS);
    assert_int_equal(pthread_join(pauser, &result), 0);
    assert_int_equal((NDIS_STATUS)(ULONG_PTR)result, NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_state(r.binding), NdisbufStatePaused);

    RAWPROT_STATS s = stats_of(r.open);
    assert_int_equal(s.PausesPended, 1);
    assert_int_equal(s.CompletedOk, COUNT);
    assert_int_equal(s.WritesRefused, 1);
    assert_int_equal(s.SendsOutstanding, 0);
    assert_int_equal(s.PoolOutstanding, 0);

    /* Restarted, it sends again; a pause with nothing in flight completes at once. */
    assert_int_equal(ndisbuf_stack_restart(r.adapter), NDIS_STATUS_SUCCESS);
    assert_int_equal(RawProtWrite(r.open, frame, sizeof(frame)), NDIS_STATUS_SUCCESS);
    assert_true(RawProtWaitForSends(r.open, READ_TIMEOUT_MS));
    assert_int_equal(ndisbuf_stack_pause(r.adapter), NDIS_STATUS_SUCCESS);
    assert_int_equal(stats_of(r.open).PausesImmediate, 1);
    held_rig_down(&r);
}

static void resources_indications_are_copied_and_not_kept(void **state)
{
    UCHAR got[64];
    held_rig r;

    (void)state;
    held_rig_up(&r);
    td_miniport_indicate(&r.m, 3, 40, 0x10, NDIS_RECEIVE_FLAGS_RESOURCES);
    td_miniport_indicate(&r.m, 2, 40, 0x20, 0);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(RawProtRead(r.open, got, sizeof(got), READ_TIMEOUT_MS), 40);
        assert_int_equal(got[0], i < 3 ? 0x10 : 0x20);
        assert_int_equal(got[39], (UCHAR)((i < 3 ? 0x10 : 0x20) + 39));
    }
    assert_int_equal(r.m.outstanding_rx, 0); /* every lent NBL went back */
    RAWPROT_STATS s = stats_of(r.open);
    assert_int_equal(s.ReceivesResources, 1);
    assert_int_equal(s.FramesReceived, 5);
    held_rig_down(&r);
}

static void unbind_frees_the_pool_and_a_new_bind_starts_afresh(void **state)
{
    UCHAR frame[80];
    NDIS_HANDLE old_binding;
    PRAWPROT_OPEN old_open;
    ULONG pools;
    loop_rig r;

    (void)state;
    rig_up(&r);
    make_frame(frame, sizeof(frame), 5);
    assert_int_equal(RawProtWrite(r.open, frame, sizeof(frame)), NDIS_STATUS_SUCCESS);
    read_and_compare(r.open, frame, sizeof(frame));
    assert_true(RawProtWaitForSends(r.open, READ_TIMEOUT_MS));

    pools = ndisbuf_live_pool_count();
    old_binding = r.binding;
    old_open = r.open;
    assert_int_equal(ndisbuf_stack_unbind(r.binding), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_live_pool_count(), pools - 1);
    assert_null(RawProtOpenBinding(old_binding));
    /* The client's reference stays valid; calls on it fail cleanly. */
    assert_int_equal(RawProtWrite(old_open, frame, sizeof(frame)), NDIS_STATUS_CLOSING);
    assert_int_equal(RawProtRead(old_open, frame, sizeof(frame), READ_TIMEOUT_MS), 0);
    assert_int_equal(stats_of(old_open).FramesSent, 1);
    RawProtCloseBinding(old_open);

    rig_bind(&r);
    assert_int_equal(ndisbuf_live_pool_count(), pools);
    assert_int_equal(stats_of(r.open).FramesSent, 0);
    assert_int_equal(RawProtWrite(r.open, frame, sizeof(frame)), NDIS_STATUS_SUCCESS);
    read_and_compare(r.open, frame, sizeof(frame));
    assert_true(RawProtWaitForSends(r.open, READ_TIMEOUT_MS));
    rig_down(&r);
}

/* ---- the stack's needs ---- */

static void the_restart_attributes_query_agrees_with_the_bind(void **state)
{
    loop_rig r;

    (void)state;
    rig_up(&r);
    RAWPROT_STATS s = stats_of(r.open);
    assert_int_equal(s.OidStatus, NDIS_STATUS_SUCCESS);
    assert_true(s.OidAgreed);
    assert_int_equal(s.OidDataBackFillSize, s.BindDataBackFillSize);
    assert_int_equal(s.OidContextBackFillSize, s.BindContextBackFillSize);
    assert_int_equal(s.BindMtuSize, 1500);
    assert_int_equal(s.PoolReallocations, 0);
    rig_down(&r);
}

static void a_bind_under_a_filter_gets_its_needs_everywhere(void **state)
{
    NDIS_HANDLE module;
    loop_rig r;

    (void)state;
    memset(&r, 0, sizeof(r));
    r.outstanding_at_start = ndisbuf_outstanding_total();
    assert_int_equal(ndisbuf_loopback_driver_entry(&r.miniport_driver), NDIS_STATUS_SUCCESS);
    assert_int_equal(RawProtDriverEntry(), NDIS_STATUS_SUCCESS);
    assert_int_equal(VlanFilterDriverEntry(TEST_VLAN_ID, TEST_PRIORITY), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_add_adapter(r.miniport_driver, "loop0", &r.adapter), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_attach_filter(r.adapter, VlanFilterDriverHandle(), NDISBUF_FILTER_POSITION_TOP,
                                                 &module),
                     NDIS_STATUS_SUCCESS);
    rig_bind(&r);

    RAWPROT_STATS s = stats_of(r.open);
    assert_int_equal(s.BindDataBackFillSize, VLAN_FILTER_TAG_LENGTH);
    assert_int_equal(s.BindContextBackFillSize, VLAN_FILTER_CONTEXT_SIZE);
    assert_true(s.OidAgreed);
    assert_int_equal(s.PoolDataBackFillSize, VLAN_FILTER_TAG_LENGTH);
    assert_int_equal(s.PoolContextBackFillSize, VLAN_FILTER_CONTEXT_SIZE);
    assert_int_equal(s.PoolMtuSize, 1500 - VLAN_FILTER_TAG_LENGTH);
    rig_down(&r);
    VlanFilterDriverUnload();
}

static void inserting_a_filter_rebuilds_the_pool_for_its_needs(void **state)
{
    UCHAR frame[MAX_FRAME];
    NDIS_HANDLE module;
    NDISBUF_STACK_INFO info;
    loop_rig r;

    (void)state;
    rig_up(&r);
    assert_int_equal(VlanFilterDriverEntry(TEST_VLAN_ID, TEST_PRIORITY), NDIS_STATUS_SUCCESS);
    RAWPROT_STATS before = stats_of(r.open);
    assert_int_equal(before.PoolReallocations, 0);
    assert_int_equal(before.PoolDataBackFillSize, 0);
    assert_int_equal(before.PoolContextBackFillSize, 0);

    assert_int_equal(ndisbuf_stack_attach_filter(r.adapter, VlanFilterDriverHandle(), NDISBUF_FILTER_POSITION_TOP,
                                                 &module),
                     NDIS_STATUS_SUCCESS);
    RAWPROT_STATS with = stats_of(r.open);
    assert_int_equal(with.PoolReallocations, 1);
    assert_int_equal(with.PoolDataBackFillSize, VLAN_FILTER_TAG_LENGTH);
    assert_int_equal(with.PoolContextBackFillSize, VLAN_FILTER_CONTEXT_SIZE);
    assert_int_equal(with.PoolMtuSize, 1500 - VLAN_FILTER_TAG_LENGTH);
    assert_int_equal(ndisbuf_stack_get_info(r.binding, &info), NDIS_STATUS_SUCCESS);
    assert_int_equal(info.DataBackFillSize, with.PoolDataBackFillSize);
    assert_int_equal(info.ContextBackFillSize, with.PoolContextBackFillSize);
    assert_true(with.PoolElementSize >= before.PoolElementSize);

    /* Frames still come back whole; the largest now is 4 bytes shorter. */
    make_frame(frame, MAX_FRAME - VLAN_FILTER_TAG_LENGTH, 6);
    assert_int_equal(RawProtWrite(r.open, frame, MAX_FRAME - VLAN_FILTER_TAG_LENGTH), NDIS_STATUS_SUCCESS);
    read_and_compare(r.open, frame, MAX_FRAME - VLAN_FILTER_TAG_LENGTH);
    assert_int_equal(RawProtWrite(r.open, frame, MAX_FRAME), NDIS_STATUS_INVALID_LENGTH);
    assert_true(RawProtWaitForSends(r.open, READ_TIMEOUT_MS));
    assert_int_equal(stats_of(r.open).CompletedAltered, 0);

    /* A restart with the same needs keeps the pool. */
    assert_int_equal(ndisbuf_stack_pause(r.adapter), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_restart(r.adapter), NDIS_STATUS_SUCCESS);
    assert_int_equal(stats_of(r.open).PoolReallocations, 1);

    /* Taking the filter out gives the old needs back, in a new pool. */
    assert_int_equal(ndisbuf_stack_detach_filter(module), NDIS_STATUS_SUCCESS);
    RAWPROT_STATS after = stats_of(r.open);
    assert_int_equal(after.PoolReallocations, 2);
    assert_int_equal(after.PoolDataBackFillSize, 0);
    assert_int_equal(after.PoolContextBackFillSize, 0);
    assert_int_equal(after.PoolMtuSize, 1500);
    make_frame(frame, MAX_FRAME, 7);
    assert_int_equal(RawProtWrite(r.open, frame, MAX_FRAME), NDIS_STATUS_SUCCESS);
    read_and_compare(r.open, frame, MAX_FRAME);
    assert_true(RawProtWaitForSends(r.open, READ_TIMEOUT_MS));
    rig_down(&r);
    VlanFilterDriverUnload();
}

static void the_driver_registers_once(void **state)
{
    (void)state;
    assert_null(RawProtProtocolHandle());
    assert_int_equal(RawProtDriverEntry(), NDIS_STATUS_SUCCESS);
    assert_non_null(RawProtProtocolHandle());
    assert_int_equal(RawProtDriverEntry(), NDIS_STATUS_FAILURE);
    assert_null(RawProtOpenBinding(NULL));
    RawProtDriverUnload();
    assert_null(RawProtProtocolHandle());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(the_driver_registers_once),
        HARNESS_TEST(frames_of_every_size_come_back_byte_identical),
        HARNESS_TEST(a_batch_goes_down_as_one_chain_and_comes_back_in_order),
        HARNESS_TEST(frames_of_the_wrong_size_are_refused_without_sending),
        HARNESS_TEST(a_short_read_buffer_truncates_the_frame),
        HARNESS_TEST(a_receive_callback_takes_frames_instead_of_the_queue),
        HARNESS_TEST(writers_on_many_threads_all_complete_and_come_back),
        HARNESS_TEST(a_pause_with_sends_outstanding_pends_until_they_complete),
        HARNESS_TEST(resources_indications_are_copied_and_not_kept),
        HARNESS_TEST(unbind_frees_the_pool_and_a_new_bind_starts_afresh),
        HARNESS_TEST(the_restart_attributes_query_agrees_with_the_bind),
        HARNESS_TEST(a_bind_under_a_filter_gets_its_needs_everywhere),
        HARNESS_TEST(inserting_a_filter_rebuilds_the_pool_for_its_needs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
