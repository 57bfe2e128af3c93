/* SPDX-License-Identifier: MIT */
/*
 * The loopback miniport (src/miniport/loopback.c) driven through the
 * binding stack by the test protocol (tests/support/tprot.h): frames sent
 * come back byte-identical (one NBL per frame, whatever the sent NBL held,
 * chained MDLs and DataOffset honoured), oversize and runt frames complete
 * with NDIS_STATUS_INVALID_LENGTH and come back as nothing, a pause waits
 * for sends still in the miniport, receives come with
 * NDIS_RECEIVE_FLAGS_RESOURCES once the protocol holds most of the receive
 * pool, receive NBLs carry context back-fill, OIDs answer as documented,
 * and 100000 frames leave every pool at zero outstanding.
 *
 * Every test that does not depend on where the data path runs runs twice:
 * on the adapter's own thread (the default, no keyword) and in the
 * sender's context (keyword DataPath 1), where each send is looped back
 * and completed before NdisSendNetBufferLists returns, on the test's
 * thread, and a send made from a receive handler waits for the outer one.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "tprot.h"

/* The stack every test runs on: the loopback adapter "loop0" with one binding. */
typedef struct fixture {
    NDIS_HANDLE driver;
    NDIS_HANDLE adapter;
    tp_binding *b;
    bool inline_path; /* DataPath 1: the sender's context */
    bool other_senders; /* threads other than the test's sent: the teardown's thread checks do not apply */
} fixture;

static fixture fx;

/* The stack, with the adapter's DataPath keyword set to data_path (NULL: no keyword). */
static int loopback_setup_with(void **state, const char *data_path)
{
    const NDISBUF_KEYWORD keyword = {.Name = "DataPath", .Value = data_path};

    harness_setup(state);
    memset(&fx, 0, sizeof(fx));
    fx.inline_path = data_path != NULL && strcmp(data_path, "1") == 0;
    assert_int_equal(ndisbuf_loopback_driver_entry(&fx.driver), NDIS_STATUS_SUCCESS);
    tp_register();
    assert_int_equal(ndisbuf_stack_add_adapter_ex(fx.driver, "loop0", data_path ? &keyword : NULL,
                                                  data_path ? 1 : 0, &fx.adapter),
                     NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_state(fx.adapter), NdisbufStateRunning);
    fx.b = tp_bind_adapter(fx.adapter);
    return 0;
}

static int loopback_setup(void **state)
{
    return loopback_setup_with(state, NULL);
}

static int inline_setup(void **state)
{
    return loopback_setup_with(state, "1");
}

static int loopback_teardown(void **state)
{
    assert_int_equal(tp_read(fx.b, &fx.b->bad_frames), 0);
    if (fx.other_senders) {
        /* (each sender thread's own receives and completions were checked by the test) */
    } else if (fx.inline_path) {
        /* Everything happened inside the test thread's sends. */
        assert_int_equal(tp_read(fx.b, &fx.b->receives_on_test_thread), tp_read(fx.b, &fx.b->receive_calls));
        assert_int_equal(tp_read(fx.b, &fx.b->completed_on_test_thread_ok), tp_read(fx.b, &fx.b->completed_ok));
    } else {
        assert_int_equal(tp_read(fx.b, &fx.b->receives_on_test_thread), 0);
        assert_int_equal(tp_read(fx.b, &fx.b->completed_on_test_thread_ok), 0);
    }
    tp_unbind_adapter(fx.b);
    assert_int_equal(ndisbuf_stack_remove_adapter(fx.adapter), NDIS_STATUS_SUCCESS);
    tp_deregister();
    NdisMDeregisterMiniportDriver(fx.driver);
    return harness_teardown(state);
}

#define LOOPBACK_TEST(fn) cmocka_unit_test_setup_teardown(fn, loopback_setup, loopback_teardown)
#define INLINE_TEST(fn) cmocka_unit_test_setup_teardown(fn, inline_setup, loopback_teardown)
/* A test that holds whichever way the data path runs: once each way. */
#define BOTH_TESTS(fn) LOOPBACK_TEST(fn), INLINE_TEST(fn)

static ULONG length_max(ULONG seq)
{
    (void)seq;
    return 1514;
}

static ULONG length_min(ULONG seq)
{
    (void)seq;
    return 14;
}

static void frames_come_back_byte_identical(void **state)
{
    (void)state;
    tp_send_frames(fx.b, 0, 1000, 50, tp_length_varied);
    tp_send_frames(fx.b, 1000, 64, 64, length_max);
    tp_send_frames(fx.b, 1064, 3, 1, length_min); /* a bare header: no room for the stamp */
    assert_true(tp_wait_completions(fx.b));
    assert_true(tp_wait_for(fx.b, &fx.b->frames, 1064));
    assert_int_equal(tp_read(fx.b, &fx.b->completed_ok), 1067);
    assert_int_equal(tp_read(fx.b, &fx.b->frames), 1064);
    assert_int_equal(tp_read(fx.b, &fx.b->foreign_frames), 3); /* the three 14-byte frames carry no stamp */
    assert_int_equal(tp_read(fx.b, &fx.b->out_of_order), 0);
    assert_int_equal(tp_read(fx.b, &fx.b->multi_nb_receives), 0);
    pthread_mutex_lock(&fx.b->lock);
    ULONG widest = fx.b->max_nbls_per_indication;
    pthread_mutex_unlock(&fx.b->lock);
    assert_true(widest <= 64);
}

static void multi_nb_nbl_comes_back_as_one_nbl_per_frame(void **state)
{
    PNET_BUFFER_LIST head = NULL, *link = &head;

    (void)state;
    for (ULONG i = 0; i < 40; i++) { /* 40 NBLs of 5 frames: 200 frames, more than one batch */
        *link = tp_build_nbl(fx.b, i * 5, 100 + i * 30, 5);
        link = &NET_BUFFER_LIST_NEXT_NBL(*link);
    }
    tp_send(fx.b, head);
    assert_true(tp_wait_completions(fx.b));
    assert_true(tp_wait_for(fx.b, &fx.b->frames, 200));
    assert_int_equal(tp_read(fx.b, &fx.b->completed_ok), 40);
    assert_int_equal(tp_read(fx.b, &fx.b->multi_nb_receives), 0);
    assert_int_equal(tp_read(fx.b, &fx.b->out_of_order), 0);
}

static void chained_mdls_with_data_offset_come_back_intact(void **state)
{
    static const struct {
        ULONG offset, length, pieces[8], count;
    } cases[] = {
        {0, 60, {60}, 1},
        {7, 60, {67}, 1},
        {7, 60, {3, 4, 10, 50}, 4},         /* offset ends inside the second MDL */
        {10, 100, {10, 0, 50, 0, 50}, 5},   /* offset at an MDL boundary, zero-length MDLs */
        {13, 1514, {1, 12, 100, 1000, 414}, 5},
        {0, 300, {1, 1, 1, 1, 1, 1, 1, 293}, 8},
        {2000, 1514, {1000, 1000, 1514}, 3}, /* a large back-fill */
    };
    PNET_BUFFER_LIST head = NULL, *link = &head;
    ULONG n = sizeof(cases) / sizeof(cases[0]);

    (void)state;
    for (ULONG i = 0; i < n; i++) {
        *link = tp_build_chained_nbl(fx.b, i, cases[i].length, cases[i].offset, cases[i].pieces, cases[i].count);
        link = &NET_BUFFER_LIST_NEXT_NBL(*link);
    }
    tp_send(fx.b, head);
    assert_true(tp_wait_completions(fx.b));
    assert_true(tp_wait_for(fx.b, &fx.b->frames, n));
    assert_int_equal(tp_read(fx.b, &fx.b->completed_ok), n);
    assert_int_equal(tp_read(fx.b, &fx.b->out_of_order), 0);
}

static void oversize_and_runt_frames_complete_invalid_length_and_do_not_come_back(void **state)
{
    PNET_BUFFER_LIST head = tp_build_nbl(fx.b, 0, 1515, 1);      /* MTU + header + 1 */
    PNET_BUFFER_LIST runt = tp_build_nbl(fx.b, 1, 13, 1);        /* shorter than a header */
    PNET_BUFFER_LIST good = tp_build_nbl(fx.b, 0, 1514, 1);
    PNET_BUFFER_LIST mixed = tp_build_nbl(fx.b, 10, 1515, 3);   /* one NBL, all frames too long */

    (void)state;
    NET_BUFFER_DATA_LENGTH(NET_BUFFER_NEXT_NB(NET_BUFFER_LIST_FIRST_NB(mixed))) = 200; /* one fits */
    NET_BUFFER_LIST_NEXT_NBL(head) = runt;
    NET_BUFFER_LIST_NEXT_NBL(runt) = good;
    NET_BUFFER_LIST_NEXT_NBL(good) = mixed;
    tp_send(fx.b, head);
    assert_true(tp_wait_completions(fx.b));
    assert_true(tp_wait_for(fx.b, &fx.b->frames, 1));
    assert_int_equal(tp_read(fx.b, &fx.b->completed_invalid_length), 3);
    assert_int_equal(tp_read(fx.b, &fx.b->completed_ok), 1);
    assert_int_equal(tp_read(fx.b, &fx.b->frames), 1); /* only the good frame came back, nothing of the mixed NBL */
    assert_int_equal(tp_read(fx.b, &fx.b->bad_frames), 0);
    assert_int_equal(tp_query_ulong(fx.b, OID_GEN_XMIT_ERROR), 3);
}

/*
 * The adapter's thread reads ahead of the NBL it loops back (it prefetches
 * the next NBLs, their NBs, MDLs and frames): chains of every length around
 * that distance and around a batch, and NBLs with no data (no MDL) among
 * them, must still come back complete, in order and byte for byte.
 */
static void chains_of_every_length_come_back_in_order(void **state)
{
    static const ULONG lengths[] = {1, 2, 3, 4, 5, 6, 7, 8, 63, 64, 65, 127, 128, 129};
    ULONG seq = 0, frames = 0;

    (void)state;
    for (ULONG i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
        tp_send_frames(fx.b, seq, lengths[i], lengths[i], tp_length_varied);
        seq += lengths[i];
    }
    frames = seq;

    /* Empty NBs (no MDL) between frames: they fail, the frames around them come back. */
    PNET_BUFFER_LIST head = tp_build_nbl(fx.b, seq, 100, 1), tail = head;
    for (ULONG i = 1; i < 6; i++) {
        PNET_BUFFER_LIST nbl = tp_build_nbl(fx.b, seq + (i + 1) / 2, 100, 1); /* the frames: seq, seq + 1, seq + 2 */
        if (i % 2 == 1) {
            PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
            NET_BUFFER_CURRENT_MDL(nb) = NULL;
            NET_BUFFER_CURRENT_MDL_OFFSET(nb) = 0;
            NET_BUFFER_DATA_LENGTH(nb) = 0;
            NET_BUFFER_DATA_OFFSET(nb) = 0;
        }
        NET_BUFFER_LIST_NEXT_NBL(tail) = nbl;
        tail = nbl;
    }
    tp_send(fx.b, head);
    frames += 3;

    assert_true(tp_wait_completions(fx.b));
    assert_true(tp_wait_for(fx.b, &fx.b->frames, frames));
    assert_int_equal(tp_read(fx.b, &fx.b->frames), frames);
    assert_int_equal(tp_read(fx.b, &fx.b->completed_ok), frames);
    assert_int_equal(tp_read(fx.b, &fx.b->completed_invalid_length), 3);
    assert_int_equal(tp_read(fx.b, &fx.b->out_of_order), 0);
    assert_int_equal(tp_read(fx.b, &fx.b->bad_frames), 0);
}

/* Opens the gate once the binding is pausing (the pause is then waiting for our sends). */
static void *open_gate_when_pausing(void *arg)
{
    tp_binding *b = arg;

    while (ndisbuf_stack_state(b->binding) != NdisbufStatePausing)
        sched_yield();
    pthread_mutex_lock(&b->lock);
    b->gate_closed = false;
    tp_changed(b);
    return NULL;
}

static void pause_completes_only_after_sends_outstanding_in_the_miniport(void **state)
{
    pthread_t opener;
    ULONG64 completed_when_pausing;

    (void)state;
    /* The first frame's indication blocks in the gate: the miniport's thread is stuck there. */
    pthread_mutex_lock(&fx.b->lock);
    fx.b->gate_closed = true;
    pthread_mutex_unlock(&fx.b->lock);
    tp_send_frames(fx.b, 0, 1, 1, tp_length_varied);
    pthread_mutex_lock(&fx.b->lock);
    while (!fx.b->in_gate)
        pthread_cond_wait(&fx.b->changed, &fx.b->lock);
    pthread_mutex_unlock(&fx.b->lock);

    /* These wait in the miniport's queue. */
    tp_send_frames(fx.b, 1, 500, 100, tp_length_varied);
    completed_when_pausing = tp_read(fx.b, &fx.b->completed);
    assert_true(completed_when_pausing < 501);

    assert_int_equal(pthread_create(&opener, NULL, open_gate_when_pausing, fx.b), 0);
    assert_int_equal(ndisbuf_stack_pause(fx.adapter), NDIS_STATUS_SUCCESS);
    pthread_join(opener, NULL);

    /* The pause returned: every send completed, all while the miniport ran. */
    assert_int_equal(tp_read(fx.b, &fx.b->completed), 501);
    assert_int_equal(tp_read(fx.b, &fx.b->completed_ok), 501);
    assert_int_equal(ndisbuf_stack_state(fx.adapter), NdisbufStatePaused);
    assert_int_equal(ndisbuf_stack_state(fx.b->binding), NdisbufStatePaused);

    /* Paused: a send completes at once with NDIS_STATUS_PAUSED (at verifier level 0; a report above). */
    ndisbuf_verifier_set(0);
    tp_send_frames(fx.b, 1000, 3, 3, tp_length_varied);
    assert_true(tp_wait_completions(fx.b));
    assert_int_equal(tp_read(fx.b, &fx.b->completed_paused), 3);

    /* Restarted: frames flow again. */
    assert_int_equal(ndisbuf_stack_restart(fx.adapter), NDIS_STATUS_SUCCESS);
    pthread_mutex_lock(&fx.b->lock);
    fx.b->next_seq = 2000;
    ULONG64 before = fx.b->frames;
    pthread_mutex_unlock(&fx.b->lock);
    tp_send_frames(fx.b, 2000, 10, 10, tp_length_varied);
    assert_true(tp_wait_completions(fx.b));
    assert_true(tp_wait_for(fx.b, &fx.b->frames, before + 10));
    assert_int_equal(tp_read(fx.b, &fx.b->completed_ok), 511);
}

static void receives_come_with_resources_when_the_pool_runs_low(void **state)
{
    const ULONG total = 2000; /* more than the miniport's 1024 receive NBLs */
    ULONG64 held;

    (void)state;
    pthread_mutex_lock(&fx.b->lock);
    fx.b->hold_receives = true;
    pthread_mutex_unlock(&fx.b->lock);
    tp_send_frames(fx.b, 0, total, 64, tp_length_varied);
    assert_true(tp_wait_completions(fx.b));
    assert_true(tp_wait_for(fx.b, &fx.b->frames, total));

    pthread_mutex_lock(&fx.b->lock);
    held = fx.b->held_count;
    pthread_mutex_unlock(&fx.b->lock);
    assert_int_equal(tp_read(fx.b, &fx.b->completed_ok), total);
    assert_int_equal(tp_read(fx.b, &fx.b->out_of_order), 0);
    assert_true(tp_read(fx.b, &fx.b->resources_frames) > 0);
    assert_int_equal(held + tp_read(fx.b, &fx.b->resources_frames), total);
    assert_true(held <= 1024 - 1024 / 8);
    print_message("held %llu receive NBLs, %llu frames came with RESOURCES in %llu calls\n",
                  (unsigned long long)held, (unsigned long long)tp_read(fx.b, &fx.b->resources_frames),
                  (unsigned long long)tp_read(fx.b, &fx.b->resources_calls));

    /* Given back (from this thread), the pool refills: no RESOURCES any more. */
    tp_return_held(fx.b);
    ULONG64 calls = tp_read(fx.b, &fx.b->resources_calls);
    tp_send_frames(fx.b, total, 100, 50, tp_length_varied);
    assert_true(tp_wait_completions(fx.b));
    assert_true(tp_wait_for(fx.b, &fx.b->frames, total + 100));
    assert_int_equal(tp_read(fx.b, &fx.b->resources_calls), calls);
}

/*
 * Receive NBLs carry 64 bytes of context back-fill (src/miniport/mphelp.h),
 * so a layer above pushes its context (the VLAN filter: 16 bytes) into the
 * NBL's own block, allocating nothing; popped, the block is as it came.
 * (Before, every stripped frame cost a malloc and a free.)
 */
static void receive_nbls_carry_context_back_fill_for_the_layers_above(void **state)
{
    (void)state;
    pthread_mutex_lock(&fx.b->lock);
    fx.b->hold_receives = true;
    pthread_mutex_unlock(&fx.b->lock);
    tp_send_frames(fx.b, 0, 10, 5, tp_length_varied);
    assert_true(tp_wait_completions(fx.b));
    assert_true(tp_wait_for(fx.b, &fx.b->frames, 10));

    pthread_mutex_lock(&fx.b->lock);
    for (PNET_BUFFER_LIST nbl = fx.b->held_head; nbl; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
        PNET_BUFFER_LIST_CONTEXT own = nbl->Context;
        assert_non_null(own);
        assert_true(own->Offset >= 64);
        assert_int_equal(NdisAllocateNetBufferListContext(nbl, 16, 0, 0), NDIS_STATUS_SUCCESS);
        assert_ptr_equal(nbl->Context, own); /* taken from the back-fill, no block pushed */
        NdisFreeNetBufferListContext(nbl, 16);
        assert_ptr_equal(nbl->Context, own);
        assert_true(own->Offset >= 64);
    }
    pthread_mutex_unlock(&fx.b->lock);
    tp_return_held(fx.b);
}

static void oid_requests_answer_as_documented(void **state)
{
    UCHAR mac[8] = {0};
    ULONG done = 0, needed = 0, value = 0;
    ULONG64 counter = 0;
    NDIS_LINK_STATE link;

    (void)state;
    /* Addresses: the bind parameters', locally administered 02:00:5E. */
    assert_int_equal(tp_oid(fx.b, NdisRequestQueryInformation, OID_802_3_CURRENT_ADDRESS, mac, sizeof(mac), &done,
                            NULL),
                     NDIS_STATUS_SUCCESS);
    assert_int_equal(done, 6);
    assert_memory_equal(mac, fx.b->mac, 6);
    assert_int_equal(mac[0], 0x02);
    assert_int_equal(mac[1], 0x00);
    assert_int_equal(mac[2], 0x5E);
    memset(mac, 0, sizeof(mac));
    assert_int_equal(tp_oid(fx.b, NdisRequestQueryInformation, OID_802_3_PERMANENT_ADDRESS, mac, 6, &done, NULL),
                     NDIS_STATUS_SUCCESS);
    assert_memory_equal(mac, fx.b->mac, 6);

    /* Too short a buffer: BUFFER_TOO_SHORT, nothing written, BytesNeeded says how much. */
    assert_int_equal(tp_oid(fx.b, NdisRequestQueryInformation, OID_802_3_CURRENT_ADDRESS, mac, 5, &done, &needed),
                     NDIS_STATUS_BUFFER_TOO_SHORT);
    assert_int_equal(done, 0);
    assert_int_equal(needed, 6);

    assert_int_equal(tp_query_ulong(fx.b, OID_GEN_MAXIMUM_FRAME_SIZE), 1500);
    assert_int_equal(fx.b->mtu, 1500);
    assert_int_equal(tp_query_ulong(fx.b, OID_GEN_MAXIMUM_TOTAL_SIZE), 1514);
    assert_int_equal(tp_query_ulong(fx.b, OID_GEN_LINK_SPEED), 100000000); /* 10 Gbit/s in 100 bit/s */
    assert_int_equal(tp_query_ulong(fx.b, OID_GEN_MEDIA_IN_USE), NdisMedium802_3);

    /* The packet filter: set, then read back. */
    value = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST;
    assert_int_equal(tp_oid(fx.b, NdisRequestSetInformation, OID_GEN_CURRENT_PACKET_FILTER, &value, sizeof(value),
                            &done, NULL),
                     NDIS_STATUS_SUCCESS);
    assert_int_equal(done, sizeof(value));
    assert_int_equal(tp_query_ulong(fx.b, OID_GEN_CURRENT_PACKET_FILTER), value);
    assert_int_equal(tp_oid(fx.b, NdisRequestSetInformation, OID_GEN_CURRENT_PACKET_FILTER, &value, 2, &done,
                            &needed),
                     NDIS_STATUS_INVALID_LENGTH);
    assert_int_equal(needed, sizeof(ULONG));
    assert_int_equal(tp_query_ulong(fx.b, OID_GEN_CURRENT_PACKET_FILTER), value);

    /* The link state. */
    memset(&link, 0, sizeof(link));
    assert_int_equal(tp_oid(fx.b, NdisRequestQueryInformation, OID_GEN_LINK_STATE, &link, sizeof(link), &done,
                            NULL),
                     NDIS_STATUS_SUCCESS);
    assert_int_equal(link.MediaConnectState, MediaConnectStateConnected);
    assert_int_equal(link.XmitLinkSpeed, 10000000000ULL);

    /* Statistics count what went through, as ULONG64 or ULONG. */
    tp_send_frames(fx.b, 0, 10, 10, tp_length_varied);
    assert_true(tp_wait_completions(fx.b));
    assert_true(tp_wait_for(fx.b, &fx.b->frames, 10));
    assert_int_equal(tp_oid(fx.b, NdisRequestQueryStatistics, OID_GEN_XMIT_OK, &counter, sizeof(counter), &done,
                            NULL),
                     NDIS_STATUS_SUCCESS);
    assert_int_equal(done, 8);
    assert_int_equal(counter, 10);
    assert_int_equal(tp_query_ulong(fx.b, OID_GEN_RCV_OK), 10);

    /* Anything else: NOT_SUPPORTED. */
    assert_int_equal(tp_oid(fx.b, NdisRequestQueryInformation, 0x00FFFFFF, &value, sizeof(value), NULL, NULL),
                     NDIS_STATUS_NOT_SUPPORTED);
}

static void adapters_get_distinct_stable_local_mac_addresses(void **state)
{
    NDIS_HANDLE second = NULL;
    tp_binding *b2;
    UCHAR first_mac[6];

    (void)state;
    memcpy(first_mac, fx.b->mac, 6);
    assert_int_equal(ndisbuf_stack_add_adapter(fx.driver, "loop1", &second), NDIS_STATUS_SUCCESS);
    b2 = tp_bind_adapter(second);
    assert_memory_not_equal(b2->mac, first_mac, 6);
    assert_memory_equal(b2->mac, first_mac, 3);

    /* The second adapter is its own wire: frames do not cross. */
    tp_send_frames(b2, 0, 100, 10, tp_length_varied);
    assert_true(tp_wait_completions(b2));
    assert_true(tp_wait_for(b2, &b2->frames, 100));
    assert_int_equal(tp_read(fx.b, &fx.b->frames), 0);
    assert_int_equal(tp_read(b2, &b2->bad_frames), 0);
    tp_unbind_adapter(b2);
    assert_int_equal(ndisbuf_stack_remove_adapter(second), NDIS_STATUS_SUCCESS);

    /* Same name, same address. */
    assert_int_equal(ndisbuf_stack_add_adapter(fx.driver, "loop1", &second), NDIS_STATUS_SUCCESS);
    b2 = tp_bind_adapter(second);
    memcpy(first_mac, b2->mac, 6);
    tp_unbind_adapter(b2);
    assert_int_equal(ndisbuf_stack_remove_adapter(second), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_add_adapter(fx.driver, "loop1", &second), NDIS_STATUS_SUCCESS);
    b2 = tp_bind_adapter(second);
    assert_memory_equal(b2->mac, first_mac, 6);
    tp_unbind_adapter(b2);
    assert_int_equal(ndisbuf_stack_remove_adapter(second), NDIS_STATUS_SUCCESS);
}

/*
 * DataPath 1: by the time NdisSendNetBufferLists returns, every frame has
 * been indicated and every send completed, on the sender's thread; a send
 * made at DISPATCH_LEVEL is completed and indicated with the
 * DISPATCH_LEVEL flags, one at PASSIVE_LEVEL without.
 */
static void inline_sends_are_looped_back_and_completed_before_the_send_returns(void **state)
{
    PNET_BUFFER_LIST nbl;

    (void)state;
    tp_send_frames(fx.b, 0, 100, 50, tp_length_varied);
    assert_int_equal(tp_read(fx.b, &fx.b->completed_ok), 100); /* no wait */
    assert_int_equal(tp_read(fx.b, &fx.b->frames), 100);
    pthread_mutex_lock(&fx.b->lock);
    assert_int_equal(fx.b->receive_flags_seen & NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL, 0);
    assert_int_equal(fx.b->complete_flags_seen & NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL, 0);
    fx.b->sent++;
    pthread_mutex_unlock(&fx.b->lock);

    nbl = tp_build_nbl(fx.b, 100, 200, 1);
    NdisSendNetBufferLists(fx.b->binding, nbl, NDIS_DEFAULT_PORT_NUMBER, NDIS_SEND_FLAGS_DISPATCH_LEVEL);
    assert_int_equal(tp_read(fx.b, &fx.b->completed_ok), 101);
    assert_int_equal(tp_read(fx.b, &fx.b->frames), 101);
    pthread_mutex_lock(&fx.b->lock);
    assert_int_not_equal(fx.b->receive_flags_seen & NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL, 0);
    assert_int_not_equal(fx.b->complete_flags_seen & NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL, 0);
    pthread_mutex_unlock(&fx.b->lock);
}

/*
 * A receive handler that answers every frame with a send of its own, 300
 * times: each answer comes back, in order, and no receive handler ever
 * runs inside another on one thread (with DataPath 1 the answer waits on
 * the thread's deferred queue until the send that carried the frame is
 * done, so an echo cannot grow the stack; on the thread it is queued).
 */
static void sends_from_the_receive_handler_come_back_without_nesting(void **state)
{
    (void)state;
    pthread_mutex_lock(&fx.b->lock);
    fx.b->echo_budget = 300;
    fx.b->next_echo_seq = 1;
    pthread_mutex_unlock(&fx.b->lock);
    tp_send_frames(fx.b, 0, 1, 1, tp_length_varied);
    if (fx.inline_path)
        assert_int_equal(tp_read(fx.b, &fx.b->frames), 301); /* all of it inside the one send */
    assert_true(tp_wait_for(fx.b, &fx.b->frames, 301));
    assert_true(tp_wait_completions(fx.b));
    assert_int_equal(tp_read(fx.b, &fx.b->completed_ok), 301);
    assert_int_equal(tp_read(fx.b, &fx.b->out_of_order), 0);
    pthread_mutex_lock(&fx.b->lock);
    assert_int_equal(fx.b->echo_budget, 0);
    assert_int_equal(fx.b->max_receive_depth, 1);
    pthread_mutex_unlock(&fx.b->lock);
}

static void *pause_adapter(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)ndisbuf_stack_pause(fx.adapter);
}

/*
 * A pause waits for the receive NBLs the protocol holds: the binding stays
 * Pausing (and the adapter below it Running) until they are returned, then
 * the pause completes down to the miniport; sends made then complete with
 * NDIS_STATUS_PAUSED, and frames flow again after a restart.
 */
static void pause_waits_for_receives_the_protocol_holds(void **state)
{
    pthread_t pauser;
    void *status = NULL;

    (void)state;
    pthread_mutex_lock(&fx.b->lock);
    fx.b->hold_receives = true;
    pthread_mutex_unlock(&fx.b->lock);
    tp_send_frames(fx.b, 0, 10, 10, tp_length_varied);
    assert_true(tp_wait_completions(fx.b));
    assert_true(tp_wait_for(fx.b, &fx.b->frames, 10));

    assert_int_equal(pthread_create(&pauser, NULL, pause_adapter, NULL), 0);
    while (ndisbuf_stack_state(fx.b->binding) != NdisbufStatePausing)
        sched_yield();
    for (int i = 0; i < 1000; i++) /* it stays there while we hold the receives */
        sched_yield();
    assert_int_equal(ndisbuf_stack_state(fx.b->binding), NdisbufStatePausing);
    assert_int_equal(ndisbuf_stack_state(fx.adapter), NdisbufStateRunning);

    tp_return_held(fx.b);
    pthread_join(pauser, &status);
    assert_int_equal((NDIS_STATUS)(intptr_t)status, NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_state(fx.adapter), NdisbufStatePaused);

    ndisbuf_verifier_set(0); /* a send on a paused binding: a report above level 0 */
    tp_send_frames(fx.b, 100, 3, 3, tp_length_varied);
    assert_true(tp_wait_completions(fx.b));
    assert_int_equal(tp_read(fx.b, &fx.b->completed_paused), 3);

    assert_int_equal(ndisbuf_stack_restart(fx.adapter), NDIS_STATUS_SUCCESS);
    pthread_mutex_lock(&fx.b->lock);
    fx.b->hold_receives = false;
    fx.b->next_seq = 200;
    pthread_mutex_unlock(&fx.b->lock);
    tp_send_frames(fx.b, 200, 10, 10, tp_length_varied);
    assert_true(tp_wait_completions(fx.b));
    assert_true(tp_wait_for(fx.b, &fx.b->frames, 20));
    assert_int_equal(tp_read(fx.b, &fx.b->completed_ok), 20);
}

struct sender {
    tp_binding *b;
    ULONG frames;
};

static void *send_frames_from_a_thread(void *arg)
{
    struct sender *s = arg;

    tp_send_frames(s->b, 0, s->frames, 64, tp_length_varied);
    return NULL;
}

/*
 * Two bindings sending at once from two threads: every frame of both comes
 * back to each, byte for byte (their orders interleave, so the order is
 * not checked here), every send completes, and the adapter's statistics
 * count every frame once.
 */
static void two_senders_at_once_lose_nothing(void **state)
{
    const ULONG frames = 20000;
    tp_binding *second = tp_bind_adapter(fx.adapter);
    struct sender senders[2] = {{fx.b, frames}, {second, frames}};
    pthread_t threads[2];
    ULONG64 counter = 0;
    ULONG done = 0;

    (void)state;
    fx.other_senders = true;
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, send_frames_from_a_thread, &senders[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(threads[i], NULL);
    for (int i = 0; i < 2; i++) {
        tp_binding *b = senders[i].b;
        assert_true(tp_wait_completions(b));
        assert_true(tp_wait_for(b, &b->frames, 2 * frames));
        assert_int_equal(tp_read(b, &b->completed_ok), frames);
        assert_int_equal(tp_read(b, &b->bad_frames), 0);
    }
    assert_int_equal(tp_oid(fx.b, NdisRequestQueryStatistics, OID_GEN_XMIT_OK, &counter, sizeof(counter), &done,
                            NULL),
                     NDIS_STATUS_SUCCESS);
    assert_int_equal(counter, 2 * frames);
    assert_int_equal(tp_query_ulong(fx.b, OID_GEN_RCV_OK), 2 * frames);
    tp_unbind_adapter(second);
}

/*
 * The DataPath keyword takes 0 or 1: any other number fails the adapter's
 * initialize, and nothing is left behind.
 */
static void a_data_path_other_than_0_or_1_fails_the_adapter(void **state)
{
    const NDISBUF_KEYWORD two = {.Name = "DataPath", .Value = "2"};
    const NDISBUF_KEYWORD zero = {.Name = "datapath", .Value = "0"};
    NDIS_HANDLE other = NULL;

    (void)state;
    assert_int_not_equal(ndisbuf_stack_add_adapter_ex(fx.driver, "loop9", &two, 1, &other), NDIS_STATUS_SUCCESS);
    assert_null(other);
    assert_int_equal(ndisbuf_stack_add_adapter_ex(fx.driver, "loop9", &zero, 1, &other), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_remove_adapter(other), NDIS_STATUS_SUCCESS);
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void hundred_thousand_frames_leave_nothing_outstanding(void **state)
{
    const ULONG total = 100000, window = 4096, chain = 64;
    double start = now_seconds(), elapsed;

    (void)state;
    for (ULONG sent = 0; sent < total; sent += chain) {
        ULONG n = total - sent < chain ? total - sent : chain;

        /* Keep at most `window` NBLs in flight. */
        if (sent >= window)
            assert_true(tp_wait_for(fx.b, &fx.b->completed, sent - window + n));
        tp_send_frames(fx.b, sent, n, chain, tp_length_varied);
    }
    assert_true(tp_wait_completions(fx.b));
    assert_true(tp_wait_for(fx.b, &fx.b->frames, total));
    elapsed = now_seconds() - start;
    assert_int_equal(tp_read(fx.b, &fx.b->completed_ok), total);
    assert_int_equal(tp_read(fx.b, &fx.b->out_of_order), 0);
    assert_int_equal(tp_read(fx.b, &fx.b->bad_frames), 0);
    print_message("100000 frames round trip, every byte checked: %.0f frames/s\n", total / elapsed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH_TESTS(frames_come_back_byte_identical),
        BOTH_TESTS(multi_nb_nbl_comes_back_as_one_nbl_per_frame),
        BOTH_TESTS(chained_mdls_with_data_offset_come_back_intact),
        BOTH_TESTS(oversize_and_runt_frames_complete_invalid_length_and_do_not_come_back),
        BOTH_TESTS(chains_of_every_length_come_back_in_order),
        LOOPBACK_TEST(pause_completes_only_after_sends_outstanding_in_the_miniport),
        BOTH_TESTS(pause_waits_for_receives_the_protocol_holds),
        BOTH_TESTS(receives_come_with_resources_when_the_pool_runs_low),
        BOTH_TESTS(receive_nbls_carry_context_back_fill_for_the_layers_above),
        BOTH_TESTS(oid_requests_answer_as_documented),
        BOTH_TESTS(adapters_get_distinct_stable_local_mac_addresses),
        INLINE_TEST(inline_sends_are_looped_back_and_completed_before_the_send_returns),
        BOTH_TESTS(sends_from_the_receive_handler_come_back_without_nesting),
        BOTH_TESTS(two_senders_at_once_lose_nothing),
        LOOPBACK_TEST(a_data_path_other_than_0_or_1_fails_the_adapter),
        BOTH_TESTS(hundred_thousand_frames_leave_nothing_outstanding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
