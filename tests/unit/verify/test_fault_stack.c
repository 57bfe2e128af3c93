/* SPDX-License-Identifier: MIT */
/*
 * Fault injection on a running stack (docs/fault-injection.md), over the
 * loopback miniport and the test protocol (tests/support/tprot.h):
 * ndisbuf_fault_force_resources makes receive indications arrive with
 * NDIS_RECEIVE_FLAGS_RESOURCES (and the stack takes the NBLs back itself).
 * The pause storm pauses and restarts a stack of rawprot over the VLAN
 * filter over the loopback miniport (drivers that honour pauses: the test
 * protocol does not, and the verifier would rightly report its sends while
 * paused) under traffic: every send completes, every frame that comes back
 * is intact and comes once, the stack ends running, and nothing leaks.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "rawprot.h"
#include "tprot.h"
#include "vlan_filter.h"

typedef struct fixture {
    NDIS_HANDLE driver;
    NDIS_HANDLE adapter;
    tp_binding *b;
} fixture;

static fixture fx;

static int stack_setup(void **state)
{
    harness_setup(state);
    memset(&fx, 0, sizeof(fx));
    assert_int_equal(ndisbuf_loopback_driver_entry(&fx.driver), NDIS_STATUS_SUCCESS);
    tp_register();
    assert_int_equal(ndisbuf_stack_add_adapter(fx.driver, "loop0", &fx.adapter), NDIS_STATUS_SUCCESS);
    fx.b = tp_bind_adapter(fx.adapter);
    return 0;
}

static int stack_teardown(void **state)
{
    ndisbuf_fault_force_resources(0);
    assert_int_equal(tp_read(fx.b, &fx.b->bad_frames), 0);
    tp_unbind_adapter(fx.b);
    assert_int_equal(ndisbuf_stack_remove_adapter(fx.adapter), NDIS_STATUS_SUCCESS);
    tp_deregister();
    NdisMDeregisterMiniportDriver(fx.driver);
    return harness_teardown(state);
}

#define STACK_TEST(fn) cmocka_unit_test_setup_teardown(fn, stack_setup, stack_teardown)

static ULONG length_short(ULONG seq)
{
    return 60 + seq % 64;
}

static void forced_resources_make_every_nth_indication_lend_its_nbls(void **state)
{
    (void)state;
    ndisbuf_fault_force_resources(1); /* every indication */
    tp_send_frames(fx.b, 0, 200, 1, length_short);
    assert_true(tp_wait_completions(fx.b));
    assert_true(tp_wait_for(fx.b, &fx.b->frames, 200));
    assert_int_equal(tp_read(fx.b, &fx.b->resources_frames), 200);
    assert_int_equal(tp_read(fx.b, &fx.b->resources_calls), tp_read(fx.b, &fx.b->receive_calls));

    /* Every second one: about half; the loopback alone would set it on none here. */
    ndisbuf_fault_force_resources(2);
    ULONG64 calls = tp_read(fx.b, &fx.b->receive_calls), forced = tp_read(fx.b, &fx.b->resources_calls);
    for (ULONG i = 0; i < 100; i++) { /* one frame at a time: one indication each */
        tp_send_frames(fx.b, 200 + i, 1, 1, length_short);
        assert_true(tp_wait_for(fx.b, &fx.b->frames, 201 + i));
    }
    assert_int_equal(tp_read(fx.b, &fx.b->receive_calls) - calls, 100);
    assert_int_equal(tp_read(fx.b, &fx.b->resources_calls) - forced, 50);

    /* 0 stops it. */
    ndisbuf_fault_force_resources(0);
    forced = tp_read(fx.b, &fx.b->resources_calls);
    tp_send_frames(fx.b, 300, 50, 10, length_short);
    assert_true(tp_wait_completions(fx.b));
    assert_true(tp_wait_for(fx.b, &fx.b->frames, 350));
    assert_int_equal(tp_read(fx.b, &fx.b->resources_calls), forced);
    assert_int_equal(tp_read(fx.b, &fx.b->out_of_order), 0);
}

/* ---- the pause storm, over rawprot and the VLAN filter (protocols that honour pauses) ---- */

#define STORM_FRAMES_MAX 400000
#define STORM_VLAN 5

typedef struct storm_rig {
    NDIS_HANDLE driver, adapter, binding, vlan;
    PRAWPROT_OPEN open;
    UCHAR mac[6];
    pthread_mutex_t lock;
    ULONG64 good, bad, duplicated;
    UCHAR seen[STORM_FRAMES_MAX / 8];
} storm_rig;

static storm_rig sr;

static ULONG storm_frame(UCHAR *frame, ULONG seq)
{
    ULONG length = 60 + seq % 200;
    memcpy(frame, sr.mac, 6);
    memcpy(frame + 6, sr.mac, 6);
    frame[12] = 0x88, frame[13] = 0xB5;
    for (int i = 0; i < 4; i++)
        frame[14 + i] = (UCHAR)(seq >> (24 - 8 * i));
    for (ULONG i = 18; i < length; i++)
        frame[i] = (UCHAR)(seq * 7 + i);
    return length;
}

/* rawprot's receive callback (the miniport's thread): every byte checked, each frame once. */
static VOID storm_receive(PVOID context, const UCHAR *frame, ULONG length)
{
    UCHAR expected[260];
    ULONG seq = length >= 18 ? (ULONG)frame[14] << 24 | (ULONG)frame[15] << 16 | (ULONG)frame[16] << 8 | frame[17]
                             : STORM_FRAMES_MAX;
    bool good = seq < STORM_FRAMES_MAX && storm_frame(expected, seq) == length && !memcmp(expected, frame, length);
    (void)context;
    pthread_mutex_lock(&sr.lock);
    if (!good) {
        sr.bad++;
    } else if (sr.seen[seq / 8] & (1u << (seq % 8))) {
        sr.duplicated++;
    } else {
        sr.seen[seq / 8] |= (UCHAR)(1u << (seq % 8));
        sr.good++;
    }
    pthread_mutex_unlock(&sr.lock);
}

static ULONG64 storm_read(const ULONG64 *counter)
{
    pthread_mutex_lock(&sr.lock);
    ULONG64 value = *counter;
    pthread_mutex_unlock(&sr.lock);
    return value;
}

static int storm_setup(void **state)
{
    RAWPROT_STATS stats;
    harness_setup(state);
    memset(&sr, 0, sizeof(sr));
    pthread_mutex_init(&sr.lock, NULL);
    assert_int_equal(ndisbuf_loopback_driver_entry(&sr.driver), NDIS_STATUS_SUCCESS);
    assert_int_equal(RawProtDriverEntry(), NDIS_STATUS_SUCCESS);
    assert_int_equal(VlanFilterDriverEntry(STORM_VLAN, 0), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_add_adapter(sr.driver, "loop0", &sr.adapter), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_bind(sr.adapter, RawProtProtocolHandle(), &sr.binding), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_attach_filter(sr.adapter, VlanFilterDriverHandle(), NDISBUF_FILTER_POSITION_TOP,
                                                 &sr.vlan),
                     NDIS_STATUS_SUCCESS);
    sr.open = RawProtOpenBinding(sr.binding);
    assert_non_null(sr.open);
    RawProtGetStats(sr.open, &stats);
    memcpy(sr.mac, stats.BindMacAddress, 6);
    RawProtSetReceiveCallback(sr.open, storm_receive, NULL);
    return 0;
}

static int storm_teardown(void **state)
{
    RawProtSetReceiveCallback(sr.open, NULL, NULL);
    RawProtCloseBinding(sr.open);
    assert_int_equal(ndisbuf_stack_unbind(sr.binding), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_detach_filter(sr.vlan), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_remove_adapter(sr.adapter), NDIS_STATUS_SUCCESS);
    VlanFilterDriverUnload();
    RawProtDriverUnload();
    NdisMDeregisterMiniportDriver(sr.driver);
    pthread_mutex_destroy(&sr.lock);
    return harness_teardown(state);
}

#define STORM_TEST(fn) cmocka_unit_test_setup_teardown(fn, storm_setup, storm_teardown)

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes batches of 16 frames for `seconds`; a batch refused while paused is counted and dropped. */
static ULONG storm_traffic(double seconds, ULONG *refused)
{
    static UCHAR frames[16][260];
    const void *pointers[16];
    ULONG lengths[16], seq = 0;
    for (double end = now_seconds() + seconds; now_seconds() < end && seq + 16 <= STORM_FRAMES_MAX;) {
        for (ULONG i = 0; i < 16; i++) {
            lengths[i] = storm_frame(frames[i], seq + i);
            pointers[i] = frames[i];
        }
        NDIS_STATUS status = RawProtWriteBatch(sr.open, pointers, lengths, 16);
        if (status == NDIS_STATUS_SUCCESS)
            seq += 16;
        else
            (*refused)++; /* NDIS_STATUS_PAUSED: the same frames again, once the binding runs */
    }
    return seq;
}

static void pause_storm_under_traffic_completes_every_send_and_leaks_nothing(void **state)
{
    ULONG refused = 0;
    RAWPROT_STATS stats;
    (void)state;
    assert_int_equal(ndisbuf_fault_pause_storm_start(sr.adapter, 2000, 7), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_fault_pause_storm_start(sr.adapter, 2000, 7), NDIS_STATUS_FAILURE);
    assert_true(harness_diag_contains("already running"));
    ULONG sent = storm_traffic(0.5, &refused);
    ULONG64 cycles = ndisbuf_fault_pause_storm_stop();
    assert_true(RawProtWaitForSends(sr.open, 20000));
    RawProtGetStats(sr.open, &stats);
    print_message("pause storm: %llu pause/restart cycles; %u frames sent, %llu back, %u batches refused while "
                  "paused, %llu pauses pended on sends in flight\n", (unsigned long long)cycles, sent,
                  (unsigned long long)storm_read(&sr.good), refused, (unsigned long long)stats.PausesPended);
    assert_true(cycles > 0);
    assert_int_equal(ndisbuf_stack_state(sr.adapter), NdisbufStateRunning);
    assert_int_equal(ndisbuf_stack_state(sr.binding), NdisbufStateRunning);

    /* Every send completed; a frame sent while running came back once and intact. */
    assert_int_equal(stats.FramesSent, sent);
    assert_int_equal(stats.CompletedOk + stats.CompletedPaused + stats.CompletedFailed, sent);
    assert_int_equal(stats.CompletedAltered, 0);
    assert_int_equal(storm_read(&sr.bad), 0);
    assert_int_equal(storm_read(&sr.duplicated), 0);
    assert_true(storm_read(&sr.good) > 0 && storm_read(&sr.good) <= stats.CompletedOk);

    /* Stopped: a second stop says none runs. */
    assert_int_equal(ndisbuf_fault_pause_storm_stop(), 0);
    assert_true(harness_diag_contains("no pause storm is running"));
}

static void pause_storm_refuses_a_handle_that_is_no_adapter(void **state)
{
    (void)state;
    assert_int_equal(ndisbuf_fault_pause_storm_start(NULL, 100, 1), NDIS_STATUS_INVALID_PARAMETER);
    assert_true(harness_diag_contains("no live adapter"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        STACK_TEST(forced_resources_make_every_nth_indication_lend_its_nbls),
        STORM_TEST(pause_storm_under_traffic_completes_every_send_and_leaks_nothing),
        STORM_TEST(pause_storm_refuses_a_handle_that_is_no_adapter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
