/* SPDX-License-Identifier: MIT */
/*
 * One negative test per verifier check (docs/verifier.md, "Checks").
 *
 * Each test plants exactly one classic NDIS bug in a small driver of the
 * rig (the test miniport, filter or protocol of tests/support/stackdrv.h,
 * or the test acting as that driver) and asserts that the verifier raises
 * exactly that report and no other, naming the NBL's holder and, at level
 * 3, its history. Every report leaves the objects as they were, so each
 * test then cleans up the way a correct driver would, and the harness
 * checks that nothing is left outstanding.
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "stackdrv.h"

#define DRAIN_MS 100

typedef struct rig {
    td_miniport m;
    td_filter f;
    td_protocol p;
    NDIS_HANDLE adapter;
    NDIS_HANDLE module;
} rig;

static rig R;

/* Miniport "test0", optionally a filter, a bound protocol; the verifier at `level`. */
static rig *rig_up(ULONG level, bool with_filter)
{
    memset(&R, 0, sizeof R);
    assert_int_equal(ndisbuf_verifier_set(level), NDIS_STATUS_SUCCESS);
    ndisbuf_verifier_set_drain_timeout(DRAIN_MS);
    td_miniport_register(&R.m);
    assert_int_equal(ndisbuf_stack_add_adapter(R.m.driver, "test0", &R.adapter), NDIS_STATUS_SUCCESS);
    if (with_filter) {
        td_filter_register(&R.f, "bugfilter");
        assert_int_equal(ndisbuf_stack_attach_filter(R.adapter, R.f.driver, NDISBUF_FILTER_POSITION_TOP, &R.module),
                         NDIS_STATUS_SUCCESS);
    }
    td_protocol_register(&R.p, "bugproto");
    assert_int_equal(ndisbuf_stack_bind(R.adapter, R.p.driver, &R.p.binding), NDIS_STATUS_SUCCESS);
    return &R;
}

static void rig_down(rig *r)
{
    td_protocol_deregister(&r->p);
    if (r->f.driver)
        td_filter_deregister(&r->f);
    td_miniport_deregister(&r->m);
    ndisbuf_verifier_set_drain_timeout(5000);
}

/* A frame the test sends as the protocol: one NB of `length` bytes. */
static PNET_BUFFER_LIST protocol_nbl(rig *r, ULONG length)
{
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(r->p.nbl_pool, 0, 0);
    assert_non_null(nbl);
    NET_BUFFER_DATA_LENGTH(NET_BUFFER_LIST_FIRST_NB(nbl)) = length;
    nbl->SourceHandle = r->p.binding;
    return nbl;
}

static void send_as_protocol(rig *r, PNET_BUFFER_LIST nbl)
{
    NdisSendNetBufferLists(r->p.binding, nbl, NDIS_DEFAULT_PORT_NUMBER, 0);
}

/* Takes what the miniport holds (it then will not complete it itself). */
static PNET_BUFFER_LIST take_held_sends(td_miniport *m)
{
    pthread_mutex_lock(&m->lock);
    PNET_BUFFER_LIST chain = m->held_head;
    m->held_head = m->held_tail = NULL;
    m->held_count = 0;
    pthread_mutex_unlock(&m->lock);
    return chain;
}

/* The report's owner and history name what the test expects. */
static void assert_names(const struct harness_report *rep, const char *holder, const char *event)
{
    assert_int_equal(rep->level, 3);
    if (holder)
        assert_contains(rep->owner, holder);
    assert_contains(rep->owner, "allocated from pool");
    if (event)
        assert_contains(rep->history, event);
}

/* ---- NBL_LOST ---- */

struct pause_call {
    NDIS_HANDLE adapter;
    NDIS_STATUS status;
};

static void *pause_thread(void *arg)
{
    struct pause_call *c = arg;
    c->status = ndisbuf_stack_pause(c->adapter);
    return NULL;
}

static void wait_for_reports(size_t n)
{
    for (int i = 0; i < 500 && harness_report_count() < n; i++)
        usleep(10 * 1000);
    assert_true(harness_report_count() >= n);
}

/* A miniport that keeps an NBL it was sent: the pause drain names it as the holder. */
static void a_miniport_keeping_a_send_is_named_when_the_pause_drain_times_out(void **state)
{
    (void)state;
    rig *r = rig_up(3, false);
    r->m.hold_sends = true;
    send_as_protocol(r, protocol_nbl(r, 60));
    struct pause_call c = {r->adapter, NDIS_STATUS_FAILURE};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, pause_thread, &c), 0);
    wait_for_reports(1);
    const struct harness_report *rep = harness_expect_report(NDISBUF_REPORT_NBL_LOST);
    assert_contains(rep->message, "held by the miniport adapter 'test0'");
    assert_contains(rep->message, "binding of protocol 'bugproto'");
    assert_names(rep, "held by miniport adapter 'test0' (send direction", "SEND");
    assert_contains(rep->history, "(SEND) to the miniport adapter 'test0'");
    td_miniport_release_sends(&r->m, NDIS_STATUS_SUCCESS); /* the fix: complete it */
    pthread_join(t, NULL);
    assert_int_equal(c.status, NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_restart(r->adapter), NDIS_STATUS_SUCCESS);
    rig_down(r);
}

/* ---- DOUBLE_COMPLETION ---- */

static void a_miniport_completing_a_send_twice_is_reported(void **state)
{
    (void)state;
    rig *r = rig_up(3, false);
    r->m.hold_sends = true;
    send_as_protocol(r, protocol_nbl(r, 60));
    PNET_BUFFER_LIST nbl = take_held_sends(&r->m);
    NdisMSendNetBufferListsComplete(r->m.adapter, nbl, 0); /* right: the protocol frees it */
    harness_expect_no_report();
    NdisMSendNetBufferListsComplete(r->m.adapter, nbl, 0); /* the bug */
    const struct harness_report *rep = harness_expect_report(NDISBUF_REPORT_DOUBLE_COMPLETION);
    assert_contains(rep->message, "send-completes NBL");
    assert_contains(rep->message, "a second time");
    assert_names(rep, "freed", "COMPLETE");
    assert_contains(rep->history, "FREE");
    assert_int_equal(r->p.completed_ok, 1);
    rig_down(r);
}

static void a_protocol_returning_a_receive_twice_is_reported(void **state)
{
    (void)state;
    rig *r = rig_up(3, false);
    r->p.hold_receives = true;
    td_miniport_indicate(&r->m, 1, 64, 0, 0);
    PNET_BUFFER_LIST nbl = r->p.held_head;
    r->p.held_head = NULL;
    r->p.held_count = 0;
    NdisReturnNetBufferLists(r->p.binding, nbl, 0); /* right: the miniport frees it */
    harness_expect_no_report();
    NdisReturnNetBufferLists(r->p.binding, nbl, 0); /* the bug */
    const struct harness_report *rep = harness_expect_report(NDISBUF_REPORT_DOUBLE_COMPLETION);
    assert_contains(rep->message, "returns NBL");
    assert_names(rep, NULL, "RETURN");
    assert_int_equal(r->m.receives_returned, 1);
    rig_down(r);
}

/* ---- WRONG_DIRECTION ---- */

static void complete_a_receive(td_filter *f, PNET_BUFFER_LIST chain, ULONG n, ULONG flags)
{
    (void)n;
    NdisFSendNetBufferListsComplete(f->module, chain, 0);          /* the bug: it was received */
    NdisFReturnNetBufferLists(f->module, chain, flags & NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL); /* the fix */
}

static void a_filter_send_completing_a_receive_is_reported(void **state)
{
    (void)state;
    rig *r = rig_up(3, true);
    r->f.receive_hook = complete_a_receive;
    td_miniport_indicate(&r->m, 1, 64, 0, 0);
    const struct harness_report *rep = harness_expect_report(NDISBUF_REPORT_WRONG_DIRECTION);
    assert_contains(rep->message, "filter module of 'bugfilter'");
    assert_contains(rep->message, "receive direction");
    assert_names(rep, "filter module of 'bugfilter'", "INDICATE");
    assert_int_equal(r->m.receives_returned, 1);
    rig_down(r);
}

/* ---- OWN_NBL_PASSED ---- */

static void a_miniport_completing_its_own_nbl_is_reported(void **state)
{
    (void)state;
    rig *r = rig_up(3, false);
    PNET_BUFFER_LIST own = NdisAllocateNetBufferList(r->m.rx_pool, 0, 0);
    own->SourceHandle = r->m.adapter;
    NdisMSendNetBufferListsComplete(r->m.adapter, own, 0); /* the bug: nobody sent it */
    const struct harness_report *rep = harness_expect_report(NDISBUF_REPORT_OWN_NBL_PASSED);
    assert_contains(rep->message, "nobody sent or indicated to it");
    assert_names(rep, "at home", "ALLOCATE");
    NdisFreeNetBufferList(own); /* the fix */
    assert_int_equal(r->p.completed_ok, 0);
    rig_down(r);
}

/* ---- NBL_NOT_HELD ---- */

static void a_protocol_resending_an_nbl_it_gave_away_is_reported(void **state)
{
    (void)state;
    rig *r = rig_up(3, false);
    r->m.hold_sends = true;
    PNET_BUFFER_LIST nbl = protocol_nbl(r, 60);
    send_as_protocol(r, nbl);
    send_as_protocol(r, nbl); /* the bug: the miniport has it */
    const struct harness_report *rep = harness_expect_report(NDISBUF_REPORT_NBL_NOT_HELD);
    assert_contains(rep->message, "does not hold");
    assert_contains(rep->message, "miniport adapter 'test0'");
    assert_names(rep, "held by miniport adapter 'test0'", "SEND");
    assert_int_equal(r->m.nbls_sent, 1);
    td_miniport_release_sends(&r->m, NDIS_STATUS_SUCCESS);
    assert_int_equal(r->p.completed_ok, 1);
    rig_down(r);
}

static void a_protocol_freeing_an_nbl_in_flight_is_reported(void **state)
{
    (void)state;
    rig *r = rig_up(3, false);
    r->m.hold_sends = true;
    PNET_BUFFER_LIST nbl = protocol_nbl(r, 60);
    send_as_protocol(r, nbl);
    NdisFreeNetBufferList(nbl); /* the bug: it is still the miniport's */
    const struct harness_report *rep = harness_expect_report(NDISBUF_REPORT_NBL_NOT_HELD);
    assert_contains(rep->message, "freed while it is in flight");
    assert_names(rep, "held by miniport adapter 'test0'", "DELIVER");
    td_miniport_release_sends(&r->m, NDIS_STATUS_SUCCESS);
    assert_int_equal(r->p.completed_ok, 1);
    rig_down(r);
}

/* ---- RESOURCES_KEPT ---- */

static void a_protocol_keeping_a_resources_receive_is_reported(void **state)
{
    (void)state;
    rig *r = rig_up(3, false);
    r->m.hold_sends = true;
    r->p.keep_resources = true;
    /* The miniport lends its own NBL and takes it back when the indication returns. */
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(r->m.rx_pool, 0, 0);
    NET_BUFFER_DATA_LENGTH(NET_BUFFER_LIST_FIRST_NB(nbl)) = 60;
    nbl->SourceHandle = r->m.adapter;
    NdisMIndicateReceiveNetBufferLists(r->m.adapter, nbl, NDIS_DEFAULT_PORT_NUMBER, 1, NDIS_RECEIVE_FLAGS_RESOURCES);
    harness_expect_no_report();
    assert_ptr_equal(r->p.kept_resources, nbl);
    NdisReturnNetBufferLists(r->p.binding, r->p.kept_resources, 0); /* the bug: it was only lent */
    const struct harness_report *rep = harness_expect_report(NDISBUF_REPORT_RESOURCES_KEPT);
    assert_contains(rep->message, "NDIS_RECEIVE_FLAGS_RESOURCES");
    assert_contains(rep->message, "binding of protocol 'bugproto'");
    assert_names(rep, "at home", "LENT BACK");
    assert_int_equal(r->m.receives_returned, 0);
    NdisFreeNetBufferList(nbl);
    rig_down(r);
}

/* ---- PAUSED_DATA ---- */

static void a_protocol_sending_while_paused_is_reported(void **state)
{
    (void)state;
    rig *r = rig_up(3, false);
    assert_int_equal(ndisbuf_stack_pause(r->adapter), NDIS_STATUS_SUCCESS);
    PNET_BUFFER_LIST nbl = protocol_nbl(r, 60);
    send_as_protocol(r, nbl); /* the bug */
    const struct harness_report *rep = harness_expect_report(NDISBUF_REPORT_PAUSED_DATA);
    assert_contains(rep->message, "is Paused");
    assert_contains(rep->message, "binding of protocol 'bugproto'");
    assert_names(rep, "at home", "ALLOCATE");
    assert_int_equal(r->p.completed_paused + r->m.nbls_sent, 0); /* nothing was done with it */
    NdisFreeNetBufferList(nbl);
    assert_int_equal(ndisbuf_stack_restart(r->adapter), NDIS_STATUS_SUCCESS);
    rig_down(r);
}

static void a_miniport_indicating_while_paused_is_reported(void **state)
{
    (void)state;
    rig *r = rig_up(3, false);
    assert_int_equal(ndisbuf_stack_pause(r->adapter), NDIS_STATUS_SUCCESS);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(r->m.rx_pool, 0, 0);
    nbl->SourceHandle = r->m.adapter;
    NdisMIndicateReceiveNetBufferLists(r->m.adapter, nbl, NDIS_DEFAULT_PORT_NUMBER, 1, 0); /* the bug */
    const struct harness_report *rep = harness_expect_report(NDISBUF_REPORT_PAUSED_DATA);
    assert_contains(rep->message, "miniport adapter 'test0' is Paused");
    NdisFreeNetBufferList(nbl);
    assert_int_equal(ndisbuf_stack_restart(r->adapter), NDIS_STATUS_SUCCESS);
    rig_down(r);
}

/* ---- OFFSET_UNBALANCED ---- */

static void retreat_and_send(td_filter *f, PNET_BUFFER_LIST chain, ULONG flags)
{
    for (PNET_BUFFER_LIST nbl = chain; nbl; nbl = nbl->Next)
        assert_int_equal(NdisRetreatNetBufferListDataStart(nbl, 4, 0, NULL, NULL), NDIS_STATUS_SUCCESS);
    NdisFSendNetBufferLists(f->module, chain, NDIS_DEFAULT_PORT_NUMBER, flags);
}

static void complete_without_advancing(td_filter *f, PNET_BUFFER_LIST chain, ULONG flags)
{
    NdisFSendNetBufferListsComplete(f->module, chain, flags); /* the bug: no advance */
}

static void a_filter_not_undoing_its_retreat_is_named(void **state)
{
    (void)state;
    rig *r = rig_up(3, true);
    r->f.send_hook = retreat_and_send;
    r->f.send_complete_hook = complete_without_advancing;
    send_as_protocol(r, protocol_nbl(r, 60));
    const struct harness_report *rep = harness_expect_report(NDISBUF_REPORT_OFFSET_UNBALANCED);
    assert_contains(rep->message, "comes back to the binding of protocol 'bugproto'");
    assert_contains(rep->message, "the filter module of 'bugfilter' on 'test0' retreated or advanced without undoing it");
    assert_contains(rep->message, "DataLength 64");
    assert_names(rep, NULL, "COMPLETE");
    assert_int_equal(r->p.completed_ok, 1); /* it still went home, and was freed there */
    rig_down(r);
}

/* ---- CONTEXT_NOT_POPPED ---- */

static void push_context_and_send(td_filter *f, PNET_BUFFER_LIST chain, ULONG flags)
{
    for (PNET_BUFFER_LIST nbl = chain; nbl; nbl = nbl->Next)
        assert_int_equal(NdisAllocateNetBufferListContext(nbl, 16, 0, HARNESS_TAG('B', 'c', 't', 'x')), NDIS_STATUS_SUCCESS);
    NdisFSendNetBufferLists(f->module, chain, NDIS_DEFAULT_PORT_NUMBER, flags);
}

static void a_filter_not_popping_its_context_is_named(void **state)
{
    (void)state;
    rig *r = rig_up(3, true);
    r->p.hold_completions = true;
    r->f.send_hook = push_context_and_send;
    r->f.send_complete_hook = complete_without_advancing; /* passes it on without popping */
    send_as_protocol(r, protocol_nbl(r, 60));
    const struct harness_report *rep = harness_expect_report(NDISBUF_REPORT_CONTEXT_NOT_POPPED);
    assert_contains(rep->message, "the filter module of 'bugfilter' on 'test0' pushed context");
    assert_names(rep, NULL, "COMPLETE");
    PNET_BUFFER_LIST nbl = r->p.completed;
    r->p.completed = NULL;
    NdisFreeNetBufferListContext(nbl, 16); /* what the filter should have done */
    NdisFreeNetBufferList(nbl);
    rig_down(r);
}

/* ---- NB consistency: DATA_LENGTH_EXCEEDS_CHAIN, CURRENT_MDL_MISMATCH, MDL_CHAIN_LOOP ---- */

static void a_data_length_beyond_the_mdl_chain_is_reported(void **state)
{
    (void)state;
    rig *r = rig_up(3, false);
    PNET_BUFFER_LIST nbl = protocol_nbl(r, 60);
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    NET_BUFFER_DATA_LENGTH(nb) = 100000; /* the bug: more than its buffer */
    send_as_protocol(r, nbl);
    const struct harness_report *rep = harness_expect_report(NDISBUF_REPORT_DATA_LENGTH_EXCEEDS_CHAIN);
    assert_contains(rep->message, "DataLength 100000");
    assert_names(rep, "at home", "ALLOCATE");
    assert_int_equal(r->m.nbls_sent, 0);
    NdisFreeNetBufferList(nbl);
    rig_down(r);
}

static void a_data_offset_changed_by_hand_is_reported(void **state)
{
    (void)state;
    rig *r = rig_up(3, false);
    PNET_BUFFER_LIST nbl = protocol_nbl(r, 60);
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    NET_BUFFER_DATA_OFFSET(nb) += 14; /* the bug: not through NdisAdvanceNetBufferDataStart */
    NET_BUFFER_DATA_LENGTH(nb) -= 14;
    send_as_protocol(r, nbl);
    const struct harness_report *rep = harness_expect_report(NDISBUF_REPORT_CURRENT_MDL_MISMATCH);
    assert_contains(rep->message, "do not point at DataOffset 14");
    assert_int_equal(r->m.nbls_sent, 0);
    NdisFreeNetBufferList(nbl);
    rig_down(r);
}

static void a_looping_mdl_chain_is_reported_at_send(void **state)
{
    static UCHAR a[32], b[32];
    (void)state;
    rig *r = rig_up(3, false);
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, HARNESS_TAG('l', 'o', 'o', 'p'));
    PMDL first = NdisAllocateMdl(r->p.binding, a, sizeof a), second = NdisAllocateMdl(r->p.binding, b, sizeof b);
    first->Next = second;
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, first, 0, 64);
    nbl->SourceHandle = r->p.binding;
    second->Next = first; /* the bug */
    send_as_protocol(r, nbl);
    const struct harness_report *rep = harness_expect_report(NDISBUF_REPORT_MDL_CHAIN_LOOP);
    assert_contains(rep->message, "loops back on itself");
    assert_int_equal(r->m.nbls_sent, 0);
    second->Next = NULL;
    NdisFreeNetBufferList(nbl);
    NdisFreeMdl(first);
    NdisFreeMdl(second);
    NdisFreeNetBufferListPool(pool);
    rig_down(r);
}

/* Level 0: a walk over a loop of zero-length MDLs ends with a report instead of spinning. */
static void a_loop_of_empty_mdls_ends_a_data_walk_with_a_report(void **state)
{
    static UCHAR a[8];
    UCHAR storage[8];
    (void)state;
    assert_int_equal(ndisbuf_verifier_set(0), NDIS_STATUS_SUCCESS);
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, HARNESS_TAG('l', 'o', 'o', 'p'));
    PMDL data = NdisAllocateMdl(pool, a, sizeof a);
    PMDL e1 = NdisAllocateMdl(pool, a, 0), e2 = NdisAllocateMdl(pool, a, 0);
    data->Next = e1;
    e1->Next = e2;
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, data, 0, 8);
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    NET_BUFFER_DATA_LENGTH(nb) = 9; /* one byte more than the chain holds */
    e2->Next = e1;                  /* the bug: empty MDLs looping */
    assert_null(NdisGetDataBuffer(nb, 9, storage, 1, 0));
    const struct harness_report *rep = harness_expect_report(NDISBUF_REPORT_MDL_CHAIN_LOOP);
    assert_contains(rep->message, "zero-length MDLs");
    e2->Next = NULL;
    NET_BUFFER_DATA_LENGTH(nb) = 8;
    NdisFreeNetBufferList(nbl);
    NdisFreeMdl(data);
    NdisFreeMdl(e1);
    NdisFreeMdl(e2);
    NdisFreeNetBufferListPool(pool);
}

/* ---- CHILDREN_OUTSTANDING (the verifier's own count) ---- */

static void a_parent_freed_before_its_clone_is_reported(void **state)
{
    (void)state;
    assert_int_equal(ndisbuf_verifier_set(3), NDIS_STATUS_SUCCESS);
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 128, HARNESS_TAG('p', 'a', 'r', 'n'));
    PNET_BUFFER_LIST parent = NdisAllocateNetBufferList(pool, 0, 0);
    PNET_BUFFER_LIST clone = NdisAllocateCloneNetBufferList(parent, NULL, NULL, 0);
    assert_non_null(clone);
    /* The bug: the driver never raised ChildRefCount, and frees the parent first. */
    NdisFreeNetBufferList(parent);
    const struct harness_report *rep = harness_expect_report(NDISBUF_REPORT_CHILDREN_OUTSTANDING);
    assert_contains(rep->message, "1 NBL(s) derived from it are still live");
    assert_contains(rep->history, "DERIVE");
    NdisFreeCloneNetBufferList(clone, 0);
    NdisFreeNetBufferList(parent);
    NdisFreeNetBufferListPool(pool);
}

/* ---- RECEIVE_COUNT_MISMATCH ---- */

static void a_receive_count_that_does_not_match_the_chain_is_reported(void **state)
{
    (void)state;
    rig *r = rig_up(3, false);
    PNET_BUFFER_LIST a = NdisAllocateNetBufferList(r->m.rx_pool, 0, 0);
    PNET_BUFFER_LIST b = NdisAllocateNetBufferList(r->m.rx_pool, 0, 0);
    a->SourceHandle = b->SourceHandle = r->m.adapter;
    a->Next = b;
    NdisMIndicateReceiveNetBufferLists(r->m.adapter, a, NDIS_DEFAULT_PORT_NUMBER, 3, 0); /* the bug */
    const struct harness_report *rep = harness_expect_report(NDISBUF_REPORT_RECEIVE_COUNT_MISMATCH);
    assert_contains(rep->message, "NumberOfNetBufferLists is 3 but the chain");
    assert_int_equal(r->p.received, 0);
    a->Next = NULL;
    NdisFreeNetBufferList(a);
    NdisFreeNetBufferList(b);
    rig_down(r);
}

/* ---- WRONG_POOL ---- */

static void an_nbl_freed_into_another_pool_is_reported(void **state)
{
    (void)state;
    assert_int_equal(ndisbuf_verifier_set(3), NDIS_STATUS_SUCCESS);
    NDIS_HANDLE mine = harness_nbl_pool(TRUE, 0, 64, HARNESS_TAG('m', 'i', 'n', 'e'));
    NDIS_HANDLE other = harness_nbl_pool(TRUE, 0, 64, HARNESS_TAG('o', 't', 'h', 'r'));
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(mine, 0, 0);
    nbl->NdisPoolHandle = other; /* the bug: a header copied from another NBL */
    NdisFreeNetBufferList(nbl);
    const struct harness_report *rep = harness_expect_report(NDISBUF_REPORT_WRONG_POOL);
    assert_contains(rep->message, "was allocated from pool");
    assert_names(rep, "at home", "ALLOCATE");
    nbl->NdisPoolHandle = mine;
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferListPool(mine);
    NdisFreeNetBufferListPool(other);
}

/* ---- FREED_ELEMENT_WRITTEN (level 2 poison; ASan catches the write itself) ---- */

static void a_write_after_free_is_caught_when_the_element_leaves_quarantine(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip(); /* the write below would be AddressSanitizer's report, at the line that makes it */
#endif
    assert_int_equal(ndisbuf_verifier_set(3), NDIS_STATUS_SUCCESS);
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 64, HARNESS_TAG('q', 'r', 'n', 't'));
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    NdisFreeNetBufferList(nbl);
    NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_SUCCESS; /* the bug: still in quarantine, poisoned */
    harness_expect_no_report();
    ndisbuf_outstanding_total(); /* flushes the quarantine */
    const struct harness_report *rep = harness_expect_report(NDISBUF_REPORT_FREED_ELEMENT_WRITTEN);
    assert_contains(rep->message, "was written after it was freed");
    assert_names(rep, "freed", "FREE");
    NdisFreeNetBufferListPool(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(a_miniport_keeping_a_send_is_named_when_the_pause_drain_times_out),
        HARNESS_TEST(a_miniport_completing_a_send_twice_is_reported),
        HARNESS_TEST(a_protocol_returning_a_receive_twice_is_reported),
        HARNESS_TEST(a_filter_send_completing_a_receive_is_reported),
        HARNESS_TEST(a_miniport_completing_its_own_nbl_is_reported),
        HARNESS_TEST(a_protocol_resending_an_nbl_it_gave_away_is_reported),
        HARNESS_TEST(a_protocol_freeing_an_nbl_in_flight_is_reported),
        HARNESS_TEST(a_protocol_keeping_a_resources_receive_is_reported),
        HARNESS_TEST(a_protocol_sending_while_paused_is_reported),
        HARNESS_TEST(a_miniport_indicating_while_paused_is_reported),
        HARNESS_TEST(a_filter_not_undoing_its_retreat_is_named),
        HARNESS_TEST(a_filter_not_popping_its_context_is_named),
        HARNESS_TEST(a_data_length_beyond_the_mdl_chain_is_reported),
        HARNESS_TEST(a_data_offset_changed_by_hand_is_reported),
        HARNESS_TEST(a_looping_mdl_chain_is_reported_at_send),
        HARNESS_TEST(a_loop_of_empty_mdls_ends_a_data_walk_with_a_report),
        HARNESS_TEST(a_parent_freed_before_its_clone_is_reported),
        HARNESS_TEST(a_receive_count_that_does_not_match_the_chain_is_reported),
        HARNESS_TEST(an_nbl_freed_into_another_pool_is_reported),
        HARNESS_TEST(a_write_after_free_is_caught_when_the_element_leaves_quarantine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
