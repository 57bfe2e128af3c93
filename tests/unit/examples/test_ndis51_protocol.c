/* SPDX-License-Identifier: MIT */
/*
 * The NDIS 5.1 example protocol (examples/ndis51_protocol.c) run over the
 * NDIS 6 stack through the translation shim, bound to the loopback
 * miniport: frames of every size and bursts come back byte for byte,
 * received packets copied at once or kept and returned later, frames
 * through ProtocolReceive when the protocol has no ProtocolReceivePacket,
 * the 802.1Q example filter inserted and removed under a bound 5.1
 * protocol (which never sees the pauses), unbind and rebind, and sends
 * from several threads. Every test ends with nothing outstanding and the
 * protocol's tagged memory back to zero, per tag.
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#include "ndis51_protocol.h"
#include "vlan_filter.h"

#define READ_TIMEOUT_MS 5000
#define QUIET_TIMEOUT_MS 50
#define TEST_VLAN_ID 42
#define TEST_PRIORITY 5
#define TEST_ETHERTYPE 0x88B5 /* IEEE local experimental */

typedef struct rig {
    NDIS_HANDLE miniport_driver;
    NDIS_HANDLE adapter;
    NDIS_HANDLE binding;      /* the NDIS 6 binding ndisbuf_stack_bind gave */
    PN51_OPEN open;
    ULONG64 outstanding_at_start;
} rig;

static void rig_bind(rig *r)
{
    assert_int_equal(ndisbuf_stack_bind(r->adapter, N51ProtocolHandle(), &r->binding), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_state(r->binding), NdisbufStateRunning);
    r->open = N51OpenBinding("loop0");
    assert_non_null(r->open);
}

static void rig_up(rig *r, ULONG options)
{
    memset(r, 0, sizeof(*r));
    r->outstanding_at_start = ndisbuf_outstanding_total();
    assert_int_equal(ndisbuf_loopback_driver_entry(&r->miniport_driver), NDIS_STATUS_SUCCESS);
    assert_int_equal(N51DriverEntry(options), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_add_adapter(r->miniport_driver, "loop0", &r->adapter), NDIS_STATUS_SUCCESS);
    rig_bind(r);
}

static ULONG64 tag_outstanding(ULONG tag)
{
    NDISBUF_TAG_USAGE usage;
    ndisbuf_tagged_memory_query(tag, &usage);
    return usage.OutstandingAllocations;
}

static void rig_down(rig *r)
{
    N51CloseBinding(r->open);
    assert_int_equal(ndisbuf_stack_remove_adapter(r->adapter), NDIS_STATUS_SUCCESS);
    N51DriverUnload();
    assert_null(N51ProtocolHandle());
    NdisMDeregisterMiniportDriver(r->miniport_driver);
    assert_int_equal(tag_outstanding(N51_SEND_TAG), 0);
    assert_int_equal(tag_outstanding(N51_RECEIVE_TAG), 0);
    assert_int_equal(tag_outstanding(N51_OPEN_TAG), 0);
    assert_int_equal(ndisbuf_outstanding_total(), r->outstanding_at_start);
}

/* An Ethernet frame: made-up addresses, TEST_ETHERTYPE, a payload that depends on seed. */
static void make_frame(UCHAR *frame, ULONG length, unsigned seed)
{
    for (ULONG i = 0; i < length; i++)
        frame[i] = (UCHAR)(seed * 31 + i * 5 + 3);
    frame[12] = (UCHAR)(TEST_ETHERTYPE >> 8);
    frame[13] = (UCHAR)(TEST_ETHERTYPE & 0xFF);
}

static void read_and_compare(PN51_OPEN open, const UCHAR *expected, ULONG length)
{
    UCHAR got[2048];
    ULONG n = N51Read(open, got, sizeof(got), READ_TIMEOUT_MS);
    assert_int_equal(n, length);
    assert_memory_equal(got, expected, length);
}

static N51_STATS stats_of(PN51_OPEN open)
{
    N51_STATS s;
    N51GetStats(open, &s);
    return s;
}

/* Calls that finish on the miniport's thread after the frame was read (ProtocolReceiveComplete, NBL returns). */
static void wait_until(bool (*done)(void *), void *context)
{
    for (int i = 0; i < READ_TIMEOUT_MS && !done(context); i++)
        usleep(1000);
    assert_true(done(context));
}

static bool receive_completed(void *open)
{
    return stats_of(open).ReceiveCompletes >= 1;
}

/* Sends `count` frames of varied sizes (seeded from `seed`) and reads each back. */
static void round_trip(PN51_OPEN open, ULONG count, unsigned seed)
{
    static UCHAR frames[200][N51_MAX_FRAME_LENGTH];
    ULONG lengths[200];
    assert_true(count <= 200);
    for (ULONG i = 0; i < count; i++) {
        lengths[i] = 14 + ((i + seed) * 211) % (N51_MAX_FRAME_LENGTH - 14 + 1);
        make_frame(frames[i], lengths[i], seed + i);
        assert_int_equal(N51Send(open, frames[i], lengths[i]), NDIS_STATUS_SUCCESS);
    }
    for (ULONG i = 0; i < count; i++)
        read_and_compare(open, frames[i], lengths[i]);
    assert_true(N51WaitForSends(open, READ_TIMEOUT_MS));
}

/* ---- data ---- */

static void frames_of_every_size_come_back_byte_identical(void **state)
{
    static const ULONG sizes[] = {14, 15, 60, 64, 128, 511, 1000, 1499, 1513, 1514};
    const ULONG n = sizeof(sizes) / sizeof(sizes[0]);
    UCHAR frame[N51_MAX_FRAME_LENGTH];
    rig r;
    (void)state;
    rig_up(&r, 0);
    for (ULONG i = 0; i < n; i++) {
        make_frame(frame, sizes[i], i);
        assert_int_equal(N51Send(r.open, frame, sizes[i]), NDIS_STATUS_SUCCESS);
        read_and_compare(r.open, frame, sizes[i]);
    }
    assert_true(N51WaitForSends(r.open, READ_TIMEOUT_MS));

    N51_STATS s = stats_of(r.open);
    assert_true(s.Bound);
    assert_int_equal(s.MaximumFrameSize, 1500);        /* NdisRequest at bind */
    assert_int_equal(s.FilterStatus, NDIS_STATUS_SUCCESS);
    assert_int_equal(s.FramesSent, n);
    assert_int_equal(s.CompletedOk, n);
    assert_int_equal(s.CompletedFailed + s.SendsRefused + s.SendsOutstanding, 0);
    assert_int_equal(s.FramesReceived, n);
    assert_int_equal(s.PacketsCopied, n);
    assert_int_equal(s.FramesRead, n);
    assert_int_equal(tag_outstanding(N51_SEND_TAG), 0); /* every send's copy is freed at completion */
    rig_down(&r);
}

static void a_burst_comes_back_in_order(void **state)
{
    rig r;
    (void)state;
    rig_up(&r, 0);
    round_trip(r.open, 200, 7);
    N51_STATS s = stats_of(r.open);
    assert_int_equal(s.CompletedOk, 200);
    assert_int_equal(s.FramesDropped, 0);
    rig_down(&r);
}

static void kept_packets_are_read_then_returned(void **state)
{
    rig r;
    (void)state;
    rig_up(&r, 0);
    N51SetKeepReceivedPackets(r.open, TRUE);
    round_trip(r.open, 64, 3);
    N51_STATS s = stats_of(r.open);
    assert_int_equal(s.FramesReceived, 64);
    assert_true(s.PacketsKept > 0);
    assert_int_equal(s.PacketsKept + s.ReceivesResources, 64);
    assert_int_equal(s.PacketsReturned, s.PacketsKept);
    assert_int_equal(tag_outstanding(N51_RECEIVE_TAG), 0);
    rig_down(&r);
}

static void wrong_sizes_are_refused_before_anything_is_allocated(void **state)
{
    UCHAR frame[N51_MAX_FRAME_LENGTH + 1];
    rig r;
    (void)state;
    rig_up(&r, 0);
    make_frame(frame, sizeof(frame), 1);
    assert_int_equal(N51Send(r.open, frame, 13), NDIS_STATUS_INVALID_LENGTH);
    assert_int_equal(N51Send(r.open, frame, N51_MAX_FRAME_LENGTH + 1), NDIS_STATUS_INVALID_LENGTH);
    assert_int_equal(N51Send(NULL, frame, 60), NDIS_STATUS_INVALID_PARAMETER);
    assert_int_equal(N51Read(r.open, frame, sizeof(frame), QUIET_TIMEOUT_MS), 0);
    assert_int_equal(stats_of(r.open).FramesSent, 0);
    assert_int_equal(tag_outstanding(N51_SEND_TAG), 0);
    rig_down(&r);
}

static void without_receive_packet_frames_come_through_receive(void **state)
{
    rig r;
    (void)state;
    rig_up(&r, N51_OPTION_NO_RECEIVE_PACKET);
    round_trip(r.open, 32, 11);
    N51_STATS s = stats_of(r.open);
    assert_int_equal(s.LookaheadReceives, 32);
    assert_int_equal(s.PacketsCopied + s.PacketsKept, 0);
    wait_until(receive_completed, r.open);
    rig_down(&r);
}

/* ---- the stack changes under the 5.1 protocol ---- */

static VLAN_FILTER_STATS vlan_stats(NDIS_HANDLE module)
{
    VLAN_FILTER_STATS s;
    assert_int_equal(VlanFilterGetStats(module, &s), NDIS_STATUS_SUCCESS);
    return s;
}

/* Every NBL the filter passed up is back (the last ones are returned after the reader got their frames). */
static bool vlan_quiet(void *module)
{
    return vlan_stats(module).InFlight == 0;
}

static void frames_cross_the_vlan_filter_inserted_and_removed_while_bound(void **state)
{
    NDIS_HANDLE module = NULL;
    rig r;
    (void)state;
    rig_up(&r, 0);
    round_trip(r.open, 16, 1);

    /* Inserted under the running 5.1 protocol: the stack pauses and restarts around it. */
    assert_int_equal(VlanFilterDriverEntry(TEST_VLAN_ID, TEST_PRIORITY), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_attach_filter(r.adapter, VlanFilterDriverHandle(), NDISBUF_FILTER_POSITION_TOP,
                                                 &module),
                     NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_state(r.binding), NdisbufStateRunning);
    round_trip(r.open, 48, 2); /* copied out of stripped NBLs */
    N51SetKeepReceivedPackets(r.open, TRUE);
    round_trip(r.open, 48, 3); /* kept: packets over data that starts past the removed tag */

    wait_until(vlan_quiet, module);
    VLAN_FILTER_STATS v = vlan_stats(module);
    assert_int_equal(v.SendsTagged, 96);
    assert_int_equal(v.SendsCompleted, 96);
    assert_int_equal(v.ReceivesStripped, 96);
    assert_int_equal(v.ReceivesForeign, 0);

    assert_int_equal(ndisbuf_stack_detach_filter(module), NDIS_STATUS_SUCCESS);
    VlanFilterDriverUnload();
    round_trip(r.open, 16, 4);

    N51_STATS s = stats_of(r.open);
    assert_int_equal(s.CompletedOk, 128);
    assert_int_equal(s.CompletedFailed, 0);
    assert_int_equal(s.FramesDropped, 0);
    assert_true(s.Bound);
    rig_down(&r);
}

static void unbind_and_rebind_start_afresh(void **state)
{
    UCHAR frame[100];
    rig r;
    (void)state;
    rig_up(&r, 0);
    round_trip(r.open, 8, 5);
    assert_int_equal(ndisbuf_stack_unbind(r.binding), NDIS_STATUS_SUCCESS);
    assert_null(N51OpenBinding("loop0"));
    assert_false(stats_of(r.open).Bound);
    make_frame(frame, sizeof(frame), 9);
    assert_int_equal(N51Send(r.open, frame, sizeof(frame)), NDIS_STATUS_CLOSING);
    N51CloseBinding(r.open);
    assert_int_equal(tag_outstanding(N51_OPEN_TAG), 0);

    rig_bind(&r);
    round_trip(r.open, 8, 6);
    assert_int_equal(stats_of(r.open).CompletedOk, 8);
    rig_down(&r);
}

/* ---- threads ---- */

#define SENDERS 4
#define PER_SENDER 60 /* 240 frames: never more than the read queue holds */

typedef struct sender {
    pthread_t thread;
    PN51_OPEN open;
    unsigned id;
    ULONG refused;
} sender;

/* Frame i of sender id: its length, and bytes that say who sent it. */
static ULONG sender_frame(UCHAR *frame, unsigned id, ULONG i)
{
    ULONG length = 20 + (i * 13 + id * 101) % 1400;
    make_frame(frame, length, id * 1000 + i);
    frame[14] = (UCHAR)id;
    frame[15] = (UCHAR)i;
    return length;
}

static void *sender_main(void *arg)
{
    sender *s = arg;
    UCHAR frame[N51_MAX_FRAME_LENGTH];
    for (ULONG i = 0; i < PER_SENDER; i++) {
        ULONG length = sender_frame(frame, s->id, i);
        while (N51Send(s->open, frame, length) == NDIS_STATUS_RESOURCES) /* the pool is shared: wait for room */
            s->refused++;
    }
    return NULL;
}

static void frames_sent_from_several_threads_all_come_back(void **state)
{
    sender senders[SENDERS];
    ULONG next[SENDERS] = {0};
    UCHAR got[2048], expected[N51_MAX_FRAME_LENGTH];
    rig r;
    (void)state;
    rig_up(&r, 0);
    for (unsigned t = 0; t < SENDERS; t++) {
        senders[t] = (sender){.open = r.open, .id = t};
        assert_int_equal(pthread_create(&senders[t].thread, NULL, sender_main, &senders[t]), 0);
    }
    /* Each sender's frames come back in its order, interleaved with the others'. */
    for (ULONG k = 0; k < SENDERS * PER_SENDER; k++) {
        ULONG n = N51Read(r.open, got, sizeof(got), READ_TIMEOUT_MS);
        assert_true(n >= 16);
        unsigned id = got[14];
        assert_true(id < SENDERS);
        ULONG length = sender_frame(expected, id, next[id]++);
        assert_int_equal(n, length);
        assert_memory_equal(got, expected, length);
    }
    for (unsigned t = 0; t < SENDERS; t++)
        pthread_join(senders[t].thread, NULL);
    assert_true(N51WaitForSends(r.open, READ_TIMEOUT_MS));
    N51_STATS s = stats_of(r.open);
    assert_int_equal(s.CompletedOk, SENDERS * PER_SENDER);
    assert_int_equal(s.FramesDropped, 0);
    rig_down(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(frames_of_every_size_come_back_byte_identical),
        HARNESS_TEST(a_burst_comes_back_in_order),
        HARNESS_TEST(kept_packets_are_read_then_returned),
        HARNESS_TEST(wrong_sizes_are_refused_before_anything_is_allocated),
        HARNESS_TEST(without_receive_packet_frames_come_through_receive),
        HARNESS_TEST(frames_cross_the_vlan_filter_inserted_and_removed_while_bound),
        HARNESS_TEST(unbind_and_rebind_start_afresh),
        HARNESS_TEST(frames_sent_from_several_threads_all_come_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
