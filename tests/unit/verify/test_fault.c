/* SPDX-License-Identifier: MIT */
/*
 * Fault injection (src/verify/fault.c; docs/fault-injection.md): for every
 * kind of allocation, "fail the first" makes the call fail exactly as
 * exhaustion does (NULL or NDIS_STATUS_RESOURCES), says so in its
 * diagnostic, leaves every object as it was and leaks nothing (the
 * harness checks at teardown); derivations and NBL retreats that fail
 * half-way give back what they took. Then the plan itself: the Nth, every
 * M-th after it, only the kinds asked, a seeded probability that is
 * reproducible (whichever thread allocates) and near the rate asked, the
 * plan checks, and the NDISBUF_FAULT parser. The stack side (forced
 * RESOURCES, the pause storm) is in test_fault_stack.c.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datapath.h"
#include "harness.h"
#include "unit/ndis5/n5test.h"
#include "verify/fault.h"

#define TAG HARNESS_TAG('F', 'l', 't', 't')

/* ---- the fixture: every diagnostic kept, injection off before and after ---- */

static pthread_mutex_t captured_lock = PTHREAD_MUTEX_INITIALIZER;
static char captured[16384];

static void capture(const char *message, void *context)
{
    (void)context;
    pthread_mutex_lock(&captured_lock);
    size_t used = strlen(captured);
    snprintf(captured + used, sizeof(captured) - used, "%s\n", message);
    pthread_mutex_unlock(&captured_lock);
}

static int fault_setup(void **state)
{
    harness_setup(state);
    captured[0] = '\0';
    ndisbuf_set_diagnostic_sink(capture, NULL);
    assert_int_equal(ndisbuf_fault_set(NULL), NDIS_STATUS_SUCCESS);
    return 0;
}

static int fault_teardown(void **state)
{
    ndisbuf_fault_set(NULL);
    return harness_teardown(state);
}

#define FAULT_TEST(fn) cmocka_unit_test_setup_teardown(fn, fault_setup, fault_teardown)

/* Asserts some diagnostic since the last call contains text; forgets them. */
static void assert_diagnosed(const char *text)
{
    pthread_mutex_lock(&captured_lock);
    bool found = strstr(captured, text) != NULL;
    if (!found)
        print_error("no diagnostic contains \"%s\"; they were:\n%s", text, captured);
    captured[0] = '\0';
    pthread_mutex_unlock(&captured_lock);
    assert_true(found);
}

/* Arms: fail allocation #nth of `kinds`, then every `every`-th. */
static void arm(ULONG kinds, ULONG64 nth, ULONG64 every)
{
    NDISBUF_FAULT_PLAN plan = {.Kinds = kinds, .FailNth = nth, .FailEvery = every};
    assert_int_equal(ndisbuf_fault_set(&plan), NDIS_STATUS_SUCCESS);
}

static void assert_counts(ULONG64 counted, ULONG64 failed)
{
    assert_int_equal(ndisbuf_fault_allocations(), counted);
    assert_int_equal(ndisbuf_fault_injected(), failed);
}

/* ---- every kind fails like exhaustion ---- */

static void nbl_allocation_fails_like_exhaustion(void **state)
{
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    (void)state;
    arm(NDISBUF_FAULT_NBL, 1, 0);
    assert_null(NdisAllocateNetBufferList(pool, 0, 0));
    assert_diagnosed("NdisAllocateNetBufferList: allocation failed by fault injection (nbl allocation #1)");
    assert_counts(1, 1);
    assert_int_equal(harness_stats(pool).Outstanding, 0);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0); /* only the first fails */
    assert_non_null(nbl);
    NdisFreeNetBufferList(nbl);

    arm(NDISBUF_FAULT_NBL, 1, 0);
    assert_null(NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, NULL, 0, 0));
    assert_diagnosed("NdisAllocateNetBufferAndNetBufferList: allocation failed by fault injection");
    assert_int_equal(harness_stats(pool).Outstanding, 0);
    harness_free_nbl_pool(pool);
}

static void nb_allocation_fails_like_exhaustion(void **state)
{
    NDIS_HANDLE plain = harness_nb_pool(0), with_data = harness_nb_pool(256);
    (void)state;
    arm(NDISBUF_FAULT_NB, 1, 1); /* every one */
    assert_null(NdisAllocateNetBuffer(plain, NULL, 0, 0));
    assert_diagnosed("NdisAllocateNetBuffer: allocation failed by fault injection (nb allocation #1)");
    assert_null(NdisAllocateNetBufferMdlAndData(with_data));
    assert_diagnosed("NdisAllocateNetBufferMdlAndData: allocation failed by fault injection (nb allocation #2)");
    assert_counts(2, 2);
    assert_int_equal(harness_stats(plain).Outstanding, 0);
    assert_int_equal(harness_stats(with_data).Outstanding, 0);
    harness_free_nb_pool(plain);
    harness_free_nb_pool(with_data);
}

static void mdl_allocation_fails_like_exhaustion(void **state)
{
    UCHAR buffer[64];
    (void)state;
    arm(NDISBUF_FAULT_MDL, 1, 1);
    assert_null(NdisAllocateMdl(NULL, buffer, sizeof(buffer)));
    assert_diagnosed("NdisAllocateMdl: allocation failed by fault injection (mdl allocation #1)");
    assert_null(IoAllocateMdl(buffer, sizeof(buffer), FALSE, FALSE, NULL));
    assert_diagnosed("IoAllocateMdl: allocation failed by fault injection (mdl allocation #2)");
    assert_int_equal(ndisbuf_outstanding_total(), 0);
}

static void context_allocation_fails_and_leaves_the_context_as_it_was(void **state)
{
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 32, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 16, 16);
    (void)state;
    assert_non_null(nbl);
    PNET_BUFFER_LIST_CONTEXT context = nbl->Context;
    USHORT offset = context->Offset;

    /* Failed even with room in the block: NDIS may fail any call. */
    arm(NDISBUF_FAULT_CONTEXT, 1, 0);
    assert_int_equal(NdisAllocateNetBufferListContext(nbl, 16, 0, TAG), NDIS_STATUS_RESOURCES);
    assert_diagnosed("NdisAllocateNetBufferListContext: allocation failed by fault injection (context allocation #1)");
    assert_ptr_equal(nbl->Context, context);
    assert_int_equal(nbl->Context->Offset, offset);
    /* A block it would push fails the same way. */
    arm(NDISBUF_FAULT_CONTEXT, 1, 0);
    assert_int_equal(NdisAllocateNetBufferListContext(nbl, 64, 0, TAG), NDIS_STATUS_RESOURCES);
    assert_ptr_equal(nbl->Context, context);
    assert_int_equal(nbl->Context->Offset, offset);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void separate_context_block_at_allocation_fails_and_gives_the_nbl_back(void **state)
{
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG); /* no room: the context is a block of its own */
    (void)state;
    arm(NDISBUF_FAULT_CONTEXT, 1, 0);
    assert_null(NdisAllocateNetBufferList(pool, 32, 0));
    assert_diagnosed("(failed by fault injection: context allocation #1)");
    assert_int_equal(harness_stats(pool).Outstanding, 0);
    /* A context that fits the element allocates nothing and is not counted. */
    NDIS_HANDLE roomy = harness_nbl_pool(TRUE, 32, 0, TAG);
    arm(NDISBUF_FAULT_CONTEXT, 1, 0);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(roomy, 32, 0);
    assert_non_null(nbl);
    assert_counts(0, 0);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(roomy);
    harness_free_nbl_pool(pool);
}

/* An NB over a caller MDL of `length` bytes at DataOffset `offset` (its back-fill). */
static PNET_BUFFER nb_over(NDIS_HANDLE pool, MDL *mdl, UCHAR *buffer, ULONG length, ULONG offset)
{
    harness_mdl_chain(mdl, 1, buffer, &length);
    PNET_BUFFER nb = NdisAllocateNetBuffer(pool, mdl, offset, length - offset);
    assert_non_null(nb);
    return nb;
}

static void retreat_that_needs_memory_fails_and_leaves_the_nb_as_it_was(void **state)
{
    NDIS_HANDLE pool = harness_nb_pool(0);
    UCHAR buffer[128];
    MDL mdl;
    struct harness_nb_snapshot before;
    PNET_BUFFER nb = nb_over(pool, &mdl, buffer, sizeof(buffer), 8);
    (void)state;

    arm(NDISBUF_FAULT_RETREAT, 1, 0);
    harness_nb_snapshot(nb, &before);
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 4, 0, NULL), NDIS_STATUS_SUCCESS); /* within the back-fill */
    assert_counts(0, 0);
    NdisAdvanceNetBufferDataStart(nb, 4, TRUE, NULL);
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 20, 16, NULL), NDIS_STATUS_RESOURCES);
    assert_diagnosed("NdisRetreatNetBufferDataStart: allocation failed by fault injection (retreat allocation #1)");
    harness_assert_nb_unchanged(nb, &before);

    /* With a handler: it is not called. */
    harness_mdl_handlers_reset(0, 0);
    arm(NDISBUF_FAULT_RETREAT, 1, 0);
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 20, 0, harness_allocate_mdl_handler), NDIS_STATUS_RESOURCES);
    assert_int_equal(harness_mdl_handlers.calls, 0);
    harness_assert_nb_unchanged(nb, &before);
    NdisFreeNetBuffer(nb);
    harness_free_nb_pool(pool);
}

/* A one-NBL, two-NB chain of NBs with no back-fill, for the NBL-level retreats. */
static PNET_BUFFER_LIST two_nb_nbl(NDIS_HANDLE nbl_pool, NDIS_HANDLE nb_pool, MDL mdls[2], UCHAR *buffer)
{
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(nbl_pool, 0, 0);
    assert_non_null(nbl);
    PNET_BUFFER first = nb_over(nb_pool, &mdls[0], buffer, 64, 0);
    NET_BUFFER_NEXT_NB(first) = nb_over(nb_pool, &mdls[1], buffer + 64, 64, 0);
    NET_BUFFER_LIST_FIRST_NB(nbl) = first;
    return nbl;
}

static void free_two_nb_nbl(PNET_BUFFER_LIST nbl)
{
    PNET_BUFFER first = NET_BUFFER_LIST_FIRST_NB(nbl), second = NET_BUFFER_NEXT_NB(first);
    NET_BUFFER_LIST_FIRST_NB(nbl) = NULL;
    NdisFreeNetBuffer(first);
    NdisFreeNetBuffer(second);
    NdisFreeNetBufferList(nbl);
}

static void nbl_retreat_failing_on_its_second_nb_undoes_the_first(void **state)
{
    NDIS_HANDLE nbl_pool = harness_nbl_pool(FALSE, 0, 0, TAG), nb_pool = harness_nb_pool(0);
    UCHAR buffer[128];
    MDL mdls[2];
    struct harness_nb_snapshot first, second;
    PNET_BUFFER_LIST nbl = two_nb_nbl(nbl_pool, nb_pool, mdls, buffer);
    (void)state;
    harness_nb_snapshot(NET_BUFFER_LIST_FIRST_NB(nbl), &first);
    harness_nb_snapshot(NET_BUFFER_NEXT_NB(NET_BUFFER_LIST_FIRST_NB(nbl)), &second);

    /* Without a handler: the library's MDL for the first NB is freed again. */
    arm(NDISBUF_FAULT_RETREAT, 2, 0);
    assert_int_equal(NdisRetreatNetBufferListDataStart(nbl, 8, 0, NULL, NULL), NDIS_STATUS_RESOURCES);
    assert_diagnosed("allocation failed by fault injection (retreat allocation #2)");
    harness_assert_nb_unchanged(NET_BUFFER_LIST_FIRST_NB(nbl), &first);
    harness_assert_nb_unchanged(NET_BUFFER_NEXT_NB(NET_BUFFER_LIST_FIRST_NB(nbl)), &second);
    assert_int_equal(ndisbuf_outstanding_total(), 3); /* the NBL and its two NBs: no MDL left */

    /* With handlers: the handler's MDL goes back through the free handler. */
    harness_mdl_handlers_reset(0, 0);
    arm(NDISBUF_FAULT_RETREAT, 2, 0);
    assert_int_equal(NdisRetreatNetBufferListDataStart(nbl, 8, 0, harness_allocate_mdl_handler,
                                                       harness_free_mdl_handler),
                     NDIS_STATUS_RESOURCES);
    assert_int_equal(harness_mdl_handlers.allocs, 1);
    assert_int_equal(harness_mdl_handlers.frees, 1);
    assert_int_equal(harness_mdl_handlers_live(), 0);
    harness_assert_nb_unchanged(NET_BUFFER_LIST_FIRST_NB(nbl), &first);
    harness_assert_nb_unchanged(NET_BUFFER_NEXT_NB(NET_BUFFER_LIST_FIRST_NB(nbl)), &second);
    free_two_nb_nbl(nbl);
    harness_free_nb_pool(nb_pool);
    harness_free_nbl_pool(nbl_pool);
}

static void packet_allocation_fails_like_exhaustion(void **state)
{
    NDIS_HANDLE pool = n5t_packet_pool(4, 0, 16);
    NDIS_STATUS status = NDIS_STATUS_SUCCESS;
    PNDIS_PACKET packet = (PNDIS_PACKET)&status;
    (void)state;
    arm(NDISBUF_FAULT_PACKET, 1, 0);
    NdisAllocatePacket(&status, &packet, pool);
    assert_int_equal(status, NDIS_STATUS_RESOURCES);
    assert_null(packet);
    assert_diagnosed("NdisAllocatePacket: allocation failed by fault injection (packet allocation #1)");
    assert_int_equal(NdisPacketPoolUsage(pool), 0);
    NdisFreePacketPool(pool);
}

static void buffer_allocation_fails_like_exhaustion(void **state)
{
    NDIS_HANDLE pool = n5t_buffer_pool(4);
    NDIS_STATUS status = NDIS_STATUS_SUCCESS;
    UCHAR data[32];
    PNDIS_BUFFER buffer = (PNDIS_BUFFER)data;
    (void)state;
    arm(NDISBUF_FAULT_BUFFER, 1, 0);
    NdisAllocateBuffer(&status, &buffer, pool, data, sizeof(data));
    assert_int_equal(status, NDIS_STATUS_FAILURE); /* what a pool out of descriptors answers */
    assert_null(buffer);
    assert_diagnosed("NdisAllocateBuffer: allocation failed by fault injection (buffer allocation #1)");
    NdisFreeBufferPool(pool);
}

static void memory_allocation_fails_like_exhaustion(void **state)
{
    PVOID va = &va;
    (void)state;
    arm(NDISBUF_FAULT_MEMORY, 1, 1);
    assert_int_equal(NdisAllocateMemoryWithTag(&va, 100, TAG), NDIS_STATUS_FAILURE);
    assert_null(va);
    assert_diagnosed("NdisAllocateMemoryWithTag: allocation failed by fault injection (memory allocation #1)");
    assert_null(NdisAllocateMemoryWithTagPriority(NULL, 100, TAG, NormalPoolPriority));
    assert_diagnosed("NdisAllocateMemoryWithTagPriority: allocation failed by fault injection");
    assert_int_equal(ndisbuf_tagged_memory_outstanding(NULL), 0);
}

static void pool_creation_fails_like_exhaustion(void **state)
{
    NET_BUFFER_LIST_POOL_PARAMETERS nbl_params;
    NET_BUFFER_POOL_PARAMETERS nb_params;
    NDIS_STATUS status = NDIS_STATUS_SUCCESS;
    NDIS_HANDLE handle = &handle;
    (void)state;
    harness_nbl_pool_params(&nbl_params, TRUE, 0, 0, TAG);
    harness_nb_pool_params(&nb_params, 0, TAG);
    arm(NDISBUF_FAULT_POOL, 1, 1);
    assert_null(NdisAllocateNetBufferListPool(NULL, &nbl_params));
    assert_diagnosed("NdisAllocateNetBufferListPool: allocation failed by fault injection (pool allocation #1)");
    assert_null(NdisAllocateNetBufferPool(NULL, &nb_params));
    assert_diagnosed("NdisAllocateNetBufferPool: allocation failed by fault injection (pool allocation #2)");
    NdisAllocatePacketPoolEx(&status, &handle, 8, 0, 16);
    assert_int_equal(status, NDIS_STATUS_RESOURCES);
    assert_null(handle);
    assert_diagnosed("NdisAllocatePacketPoolEx: allocation failed by fault injection (pool allocation #3)");
    status = NDIS_STATUS_SUCCESS;
    handle = &handle;
    NdisAllocateBufferPool(&status, &handle, 8);
    assert_int_equal(status, NDIS_STATUS_RESOURCES);
    assert_null(handle);
    assert_diagnosed("NdisAllocateBufferPool: allocation failed by fault injection (pool allocation #4)");
    assert_int_equal(ndisbuf_live_pool_count(), 0);
}

/* ---- derivations that fail half-way give back what they took ---- */

/* A parent NBL with one NB over three caller MDLs (three derived MDLs for a clone). */
struct parent {
    NDIS_HANDLE nbl_pool, nb_pool;
    PNET_BUFFER_LIST nbl;
    MDL mdls[3];
    UCHAR data[300];
};

static void parent_make(struct parent *p)
{
    static const ULONG lengths[3] = {100, 100, 100};
    p->nbl_pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    p->nb_pool = harness_nb_pool(0);
    harness_fill(p->data, sizeof(p->data), 7);
    harness_mdl_chain(p->mdls, 3, p->data, lengths);
    p->nbl = NdisAllocateNetBufferAndNetBufferList(p->nbl_pool, 0, 0, p->mdls, 0, sizeof(p->data));
    assert_non_null(p->nbl);
}

static void parent_free(struct parent *p)
{
    assert_int_equal(p->nbl->ChildRefCount, 0);
    NdisFreeNetBufferList(p->nbl);
    harness_free_nb_pool(p->nb_pool);
    harness_free_nbl_pool(p->nbl_pool);
}

static void clone_failing_half_way_frees_what_it_took(void **state)
{
    struct parent p;
    struct harness_nb_snapshot before;
    (void)state;
    parent_make(&p);
    harness_nb_snapshot(NET_BUFFER_LIST_FIRST_NB(p.nbl), &before);
    ULONG64 outstanding = ndisbuf_outstanding_total();

    static const ULONG kinds[] = {NDISBUF_FAULT_NBL, NDISBUF_FAULT_MDL, NDISBUF_FAULT_MDL};
    static const ULONG64 nths[] = {1, 1, 3}; /* the child; its first MDL; its last */
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        arm(kinds[i], nths[i], 0);
        assert_null(NdisAllocateCloneNetBufferList(p.nbl, p.nbl_pool, p.nb_pool, 0));
        assert_diagnosed("NdisAllocateCloneNetBufferList: allocation failed by fault injection");
        assert_int_equal(ndisbuf_outstanding_total(), outstanding);
        harness_assert_nb_unchanged(NET_BUFFER_LIST_FIRST_NB(p.nbl), &before);
    }
    parent_free(&p);
}

static void fragment_failing_half_way_frees_what_it_took(void **state)
{
    struct parent p;
    struct harness_nb_snapshot before;
    (void)state;
    parent_make(&p);
    harness_nb_snapshot(NET_BUFFER_LIST_FIRST_NB(p.nbl), &before);
    ULONG64 outstanding = ndisbuf_outstanding_total();

    /* Three fragments of 100 bytes, each with a 20-byte header room retreat. */
    static const ULONG kinds[] = {NDISBUF_FAULT_NB, NDISBUF_FAULT_MDL, NDISBUF_FAULT_RETREAT};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        arm(kinds[i], 2, 0); /* a later fragment's NB, MDL or header room */
        assert_null(NdisAllocateFragmentNetBufferList(p.nbl, p.nbl_pool, p.nb_pool, 0, 100, 20, 0, 0));
        assert_diagnosed("allocation failed by fault injection");
        assert_int_equal(ndisbuf_outstanding_total(), outstanding);
        harness_assert_nb_unchanged(NET_BUFFER_LIST_FIRST_NB(p.nbl), &before);
    }
    parent_free(&p);
}

static void reassembly_failing_half_way_frees_what_it_took(void **state)
{
    struct parent p;
    (void)state;
    parent_make(&p);
    PNET_BUFFER_LIST fragments = NdisAllocateFragmentNetBufferList(p.nbl, p.nbl_pool, p.nb_pool, 0, 100, 0, 0, 0);
    assert_non_null(fragments);
    ULONG64 outstanding = ndisbuf_outstanding_total();

    static const ULONG kinds[] = {NDISBUF_FAULT_NBL, NDISBUF_FAULT_MDL, NDISBUF_FAULT_RETREAT};
    static const ULONG64 nths[] = {1, 3, 1};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        arm(kinds[i], nths[i], 0);
        assert_null(NdisAllocateReassembledNetBufferList(fragments, p.nbl_pool, 0, 20, 0, 0));
        assert_diagnosed("allocation failed by fault injection");
        assert_int_equal(ndisbuf_outstanding_total(), outstanding);
    }
    NdisFreeFragmentNetBufferList(fragments, 0, 0);
    parent_free(&p);
}

/* ---- the plan ---- */

/* Allocates n MDLs, recording which failed (fails[i]); frees the others. */
static void mdl_round(ULONG n, bool *fails)
{
    static UCHAR byte;
    for (ULONG i = 0; i < n; i++) {
        PMDL mdl = NdisAllocateMdl(NULL, &byte, 1);
        fails[i] = mdl == NULL;
        if (mdl)
            NdisFreeMdl(mdl);
    }
}

static void nth_fails_that_allocation_only(void **state)
{
    bool fails[6];
    (void)state;
    arm(NDISBUF_FAULT_MDL, 3, 0);
    mdl_round(6, fails);
    for (int i = 0; i < 6; i++)
        assert_int_equal(fails[i], i == 2);
    assert_counts(6, 1);
}

static void every_m_fails_from_the_nth_on(void **state)
{
    bool fails[12];
    (void)state;
    arm(NDISBUF_FAULT_MDL, 2, 3); /* 2, 5, 8, 11 */
    mdl_round(12, fails);
    for (int i = 0; i < 12; i++)
        assert_int_equal(fails[i], i + 1 == 2 || i + 1 == 5 || i + 1 == 8 || i + 1 == 11);
    assert_counts(12, 4);
}

static void only_the_kinds_armed_are_counted_and_failed(void **state)
{
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    UCHAR byte;
    (void)state;
    arm(NDISBUF_FAULT_NB | NDISBUF_FAULT_POOL, 1, 1);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0); /* its own NB comes with it: not counted */
    PMDL mdl = NdisAllocateMdl(NULL, &byte, 1);
    assert_non_null(nbl);
    assert_non_null(mdl);
    assert_counts(0, 0);
    NdisFreeMdl(mdl);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void setting_a_plan_resets_the_counts_and_null_disarms(void **state)
{
    bool fails[4];
    (void)state;
    arm(NDISBUF_FAULT_MDL, 1, 1);
    mdl_round(4, fails);
    assert_counts(4, 4);
    arm(NDISBUF_FAULT_MDL, 100, 0);
    assert_counts(0, 0);
    assert_int_equal(ndisbuf_fault_set(NULL), NDIS_STATUS_SUCCESS);
    mdl_round(4, fails);
    assert_false(fails[0] || fails[1] || fails[2] || fails[3]);
    assert_counts(0, 0); /* disarmed: nothing counted, the last counts stay readable */
}

static void plans_that_cannot_fail_anything_are_refused(void **state)
{
    static const NDISBUF_FAULT_PLAN bad[] = {
        {.Kinds = 0, .FailNth = 1},
        {.Kinds = 0x10000, .FailNth = 1},
        {.Kinds = NDISBUF_FAULT_ALL},
        {.Kinds = NDISBUF_FAULT_ALL, .FailEvery = 3},
        {.Kinds = NDISBUF_FAULT_ALL, .ProbabilityPpm = 1000001},
    };
    (void)state;
    arm(NDISBUF_FAULT_MDL, 5, 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(ndisbuf_fault_set(&bad[i]), NDIS_STATUS_INVALID_PARAMETER);
        assert_diagnosed("ndisbuf_fault_set: ");
    }
    bool fails[5];
    mdl_round(5, fails); /* the plan armed before is still in force */
    assert_true(fails[4]);
}

#define PPM_ROUND 4000

static void seeded_probability_is_reproducible_and_near_the_rate(void **state)
{
    static bool first[PPM_ROUND], again[PPM_ROUND], other[PPM_ROUND];
    NDISBUF_FAULT_PLAN plan = {.Kinds = NDISBUF_FAULT_MDL, .ProbabilityPpm = 100000, .Seed = 42};
    (void)state;
    assert_int_equal(ndisbuf_fault_set(&plan), NDIS_STATUS_SUCCESS);
    mdl_round(PPM_ROUND, first);
    ULONG64 failed = ndisbuf_fault_injected();
    assert_int_equal(ndisbuf_fault_set(&plan), NDIS_STATUS_SUCCESS);
    mdl_round(PPM_ROUND, again);
    plan.Seed = 43;
    assert_int_equal(ndisbuf_fault_set(&plan), NDIS_STATUS_SUCCESS);
    mdl_round(PPM_ROUND, other);
    ndisbuf_clear_diagnostic();
    captured[0] = '\0';

    assert_memory_equal(first, again, sizeof(first));
    assert_memory_not_equal(first, other, sizeof(first));
    /* 10 % of 4000 is 400, binomial sd 19: 5 sd either way */
    print_message("ppm 100000, seed 42: %llu of %d failed\n", (unsigned long long)failed, PPM_ROUND);
    assert_in_range(failed, 305, 495);
}

/* One thread's share of numbered allocations: it records which numbers failed. */
struct numbered {
    ULONG rounds;
    bool failed[2 * PPM_ROUND + 1]; /* by allocation number */
};

static void *numbered_round(void *arg)
{
    struct numbered *n = arg;
    static UCHAR byte;
    for (ULONG i = 0; i < n->rounds; i++) {
        PMDL mdl = NdisAllocateMdl(NULL, &byte, 1);
        if (mdl) {
            NdisFreeMdl(mdl);
            continue;
        }
        unsigned long long k = 0;
        const char *at = strstr(ndisbuf_last_diagnostic(), "allocation #"); /* this thread's own */
        if (at && sscanf(at, "allocation #%llu", &k) == 1 && k <= 2 * PPM_ROUND)
            n->failed[k] = true;
    }
    return NULL;
}

static void seeded_failures_depend_on_the_allocation_number_not_the_thread(void **state)
{
    static struct numbered alone, a, b;
    NDISBUF_FAULT_PLAN plan = {.Kinds = NDISBUF_FAULT_MDL, .ProbabilityPpm = 50000, .Seed = 9};
    pthread_t ta, tb;
    (void)state;
    memset(&alone, 0, sizeof(alone));
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    alone.rounds = 2 * PPM_ROUND;
    a.rounds = b.rounds = PPM_ROUND;
    assert_int_equal(ndisbuf_fault_set(&plan), NDIS_STATUS_SUCCESS);
    numbered_round(&alone);
    assert_int_equal(ndisbuf_fault_set(&plan), NDIS_STATUS_SUCCESS);
    assert_int_equal(pthread_create(&ta, NULL, numbered_round, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, numbered_round, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    captured[0] = '\0';
    ULONG same = 0, total = 0;
    for (ULONG k = 1; k <= 2 * PPM_ROUND; k++) {
        bool together = a.failed[k] || b.failed[k];
        assert_false(a.failed[k] && b.failed[k]);
        assert_int_equal(together, alone.failed[k]);
        same += together;
        total += alone.failed[k];
    }
    assert_int_equal(same, total);
    assert_true(total > 0);
}

/* ---- NDISBUF_FAULT syntax ---- */

static void parse_ok(const char *spec, ULONG kinds, ULONG64 nth, ULONG64 every, ULONG ppm, ULONG seed)
{
    NDISBUF_FAULT_PLAN p;
    char error[192] = "";
    if (!vf_fault_parse(spec, &p, error, sizeof(error)))
        print_error("'%s' refused: %s\n", spec, error);
    assert_true(vf_fault_parse(spec, &p, error, sizeof(error)));
    assert_int_equal(p.Kinds, kinds);
    assert_int_equal(p.FailNth, nth);
    assert_int_equal(p.FailEvery, every);
    assert_int_equal(p.ProbabilityPpm, ppm);
    assert_int_equal(p.Seed, seed);
}

static void parse_bad(const char *spec, const char *reason)
{
    NDISBUF_FAULT_PLAN p = {.Kinds = 0x55, .FailNth = 77};
    char error[192] = "";
    assert_false(vf_fault_parse(spec, &p, error, sizeof(error)));
    assert_contains(error, reason);
    assert_int_equal(p.Kinds, 0x55); /* untouched */
    assert_int_equal(p.FailNth, 77);
}

static void environment_syntax_parses_every_field(void **state)
{
    (void)state;
    parse_ok("nth=5", NDISBUF_FAULT_ALL, 5, 0, 0, 0);
    parse_ok("nth=3,every=10,kinds=nbl+mdl", NDISBUF_FAULT_NBL | NDISBUF_FAULT_MDL, 3, 10, 0, 0);
    parse_ok("kinds=context|retreat,nth=1", NDISBUF_FAULT_CONTEXT | NDISBUF_FAULT_RETREAT, 1, 0, 0, 0);
    parse_ok("ppm=2000,seed=0x1F", NDISBUF_FAULT_ALL, 0, 0, 2000, 31);
    parse_ok("ppm=1000000,seed=4294967295", NDISBUF_FAULT_ALL, 0, 0, 1000000, 0xFFFFFFFFu);
    parse_ok("nth=2,nth=4", NDISBUF_FAULT_ALL, 4, 0, 0, 0); /* the last wins */
    parse_ok("kinds=packet+buffer+memory+pool+nb,nth=18446744073709551615",
             NDISBUF_FAULT_PACKET | NDISBUF_FAULT_BUFFER | NDISBUF_FAULT_MEMORY | NDISBUF_FAULT_POOL |
                 NDISBUF_FAULT_NB,
             ~0ull, 0, 0, 0);
    parse_ok("count", NDISBUF_FAULT_ALL, VF_FAULT_COUNT_ONLY, 0, 0, 0);
    parse_ok("count,kinds=pool", NDISBUF_FAULT_POOL, VF_FAULT_COUNT_ONLY, 0, 0, 0);
}

static void environment_syntax_errors_say_what_is_wrong(void **state)
{
    (void)state;
    parse_bad("", "empty");
    parse_bad("nth", "is not nth=, every=, ppm=, seed=, kinds= or count");
    parse_bad("bogus=1", "'bogus=1' is not nth=");
    parse_bad("nth=", "not a number");
    parse_bad("nth=12k", "not a number");
    parse_bad("nth=-1", "not a number");
    parse_bad("nth=18446744073709551616", "not a number");
    parse_bad("nth=0x10", "not a number"); /* hex only for the seed */
    parse_bad("seed=4294967296", "not a number");
    parse_bad("ppm=1000001", "not a number");
    parse_bad("nth=1,,kinds=nbl", "empty item");
    parse_bad("nth=1,", "empty item");
    parse_bad("kinds=nbl+foo,nth=1", "unknown kind 'foo'");
    parse_bad("kinds=nbl+,nth=1", "unknown kind ''");
    parse_bad("every=3", "FailEvery needs FailNth");
    parse_bad("kinds=all", "nothing would ever fail");
    parse_bad("nth=0", "nothing would ever fail");
    parse_bad("count,nth=3", "count fails nothing");
    parse_bad("count=1", "is not nth=");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        FAULT_TEST(nbl_allocation_fails_like_exhaustion),
        FAULT_TEST(nb_allocation_fails_like_exhaustion),
        FAULT_TEST(mdl_allocation_fails_like_exhaustion),
        FAULT_TEST(context_allocation_fails_and_leaves_the_context_as_it_was),
        FAULT_TEST(separate_context_block_at_allocation_fails_and_gives_the_nbl_back),
        FAULT_TEST(retreat_that_needs_memory_fails_and_leaves_the_nb_as_it_was),
        FAULT_TEST(nbl_retreat_failing_on_its_second_nb_undoes_the_first),
        FAULT_TEST(packet_allocation_fails_like_exhaustion),
        FAULT_TEST(buffer_allocation_fails_like_exhaustion),
        FAULT_TEST(memory_allocation_fails_like_exhaustion),
        FAULT_TEST(pool_creation_fails_like_exhaustion),
        FAULT_TEST(clone_failing_half_way_frees_what_it_took),
        FAULT_TEST(fragment_failing_half_way_frees_what_it_took),
        FAULT_TEST(reassembly_failing_half_way_frees_what_it_took),
        FAULT_TEST(nth_fails_that_allocation_only),
        FAULT_TEST(every_m_fails_from_the_nth_on),
        FAULT_TEST(only_the_kinds_armed_are_counted_and_failed),
        FAULT_TEST(setting_a_plan_resets_the_counts_and_null_disarms),
        FAULT_TEST(plans_that_cannot_fail_anything_are_refused),
        FAULT_TEST(seeded_probability_is_reproducible_and_near_the_rate),
        FAULT_TEST(seeded_failures_depend_on_the_allocation_number_not_the_thread),
        FAULT_TEST(environment_syntax_parses_every_field),
        FAULT_TEST(environment_syntax_errors_say_what_is_wrong),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
