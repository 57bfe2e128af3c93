/* SPDX-License-Identifier: MIT */
/*
 * The NBL context stack (ndis-semantics.md §4, ndis/nbldata.h):
 * NdisAllocateNetBufferListContext takes room in front of the used context
 * of the current block when there is enough, and pushes a block of
 * ContextSize + ContextBackFill (used part at its end) when not;
 * NdisFreeNetBufferListContext gives bytes back and pops a pushed block
 * that becomes empty. Also: each layer's bytes survive the others' pushes
 * and pops, sizes must be multiples of sizeof(PVOID), frees out of step
 * are CONTEXT_MISMATCH reports that change nothing, an NBL freed with
 * pushed context is a CONTEXT_NOT_POPPED report, and context data is at
 * least 8-aligned.
 */
#include <stdlib.h>
#include <string.h>

#include "datapath.h"

#define TAG HARNESS_TAG('T', 'C', 't', 'x')

static ULONG context_depth(PNET_BUFFER_LIST nbl)
{
    ULONG depth = 0;
    for (PNET_BUFFER_LIST_CONTEXT c = nbl->Context; c; c = c->Next)
        depth++;
    return depth;
}

/* The current block's header fields, to prove a call changed nothing. */
struct context_snapshot {
    PNET_BUFFER_LIST_CONTEXT block;
    PNET_BUFFER_LIST_CONTEXT next;
    USHORT size, offset;
    ULONG depth;
};

static struct context_snapshot context_snap(PNET_BUFFER_LIST nbl)
{
    struct context_snapshot s = {nbl->Context, NULL, 0, 0, context_depth(nbl)};
    if (nbl->Context) {
        s.next = nbl->Context->Next;
        s.size = nbl->Context->Size;
        s.offset = nbl->Context->Offset;
    }
    return s;
}

static void assert_context_unchanged(PNET_BUFFER_LIST nbl, const struct context_snapshot *s)
{
    assert_ptr_equal(nbl->Context, s->block);
    assert_int_equal(context_depth(nbl), s->depth);
    if (s->block) {
        assert_ptr_equal(nbl->Context->Next, s->next);
        assert_int_equal(nbl->Context->Size, s->size);
        assert_int_equal(nbl->Context->Offset, s->offset);
    }
}

static void assert_context_aligned(PNET_BUFFER_LIST nbl)
{
    assert_int_equal((ULONG_PTR)NET_BUFFER_LIST_CONTEXT_DATA_START(nbl) % 8, 0);
    assert_int_equal((ULONG_PTR)nbl->Context->ContextData % MEMORY_ALLOCATION_ALIGNMENT, 0);
}

/* ------------------------------------------------------------ allocation */

static void context_allocation_uses_the_current_blocks_room_first(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 32, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 8, 0);
    assert_non_null(nbl);
    PNET_BUFFER_LIST_CONTEXT block = nbl->Context;
    assert_int_equal(block->Offset, 24);

    assert_int_equal(NdisAllocateNetBufferListContext(nbl, 16, 0, TAG), NDIS_STATUS_SUCCESS);
    assert_ptr_equal(nbl->Context, block);
    assert_null(block->Next);
    assert_int_equal(block->Offset, 8);
    assert_ptr_equal(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), block->ContextData + 8);
    assert_int_equal(NET_BUFFER_LIST_CONTEXT_DATA_SIZE(nbl), 32);

    /* The back-fill argument only matters for a push. */
    assert_int_equal(NdisAllocateNetBufferListContext(nbl, 8, 64, TAG), NDIS_STATUS_SUCCESS);
    assert_ptr_equal(nbl->Context, block);
    assert_int_equal(block->Offset, 0);
    assert_ptr_equal(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), block->ContextData);

    NdisFreeNetBufferListContext(nbl, 8);
    assert_int_equal(block->Offset, 8);
    NdisFreeNetBufferListContext(nbl, 16);
    assert_ptr_equal(nbl->Context, block);
    assert_int_equal(block->Offset, 24);
    assert_int_equal(NET_BUFFER_LIST_CONTEXT_DATA_SIZE(nbl), 32);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void context_allocation_without_room_pushes_a_block_used_part_at_its_end(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 32, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 8, 0);
    PNET_BUFFER_LIST_CONTEXT original = nbl->Context;

    /* 24 bytes of room, 32 asked: a block of 32 + 16, used part its last 32. */
    assert_int_equal(NdisAllocateNetBufferListContext(nbl, 32, 16, TAG), NDIS_STATUS_SUCCESS);
    PNET_BUFFER_LIST_CONTEXT pushed = nbl->Context;
    assert_true(pushed != original);
    assert_ptr_equal(pushed->Next, original);
    assert_int_equal(pushed->Size, 48);
    assert_int_equal(pushed->Offset, 16);
    assert_int_equal(NET_BUFFER_LIST_CONTEXT_DATA_SIZE(nbl), 48);
    assert_ptr_equal(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), pushed->ContextData + 16);
    assert_int_equal(original->Offset, 24); /* the older block is left alone */
    assert_context_aligned(nbl);

    /* The pushed block's back-fill serves the next layer. */
    assert_int_equal(NdisAllocateNetBufferListContext(nbl, 16, 0, TAG), NDIS_STATUS_SUCCESS);
    assert_ptr_equal(nbl->Context, pushed);
    assert_int_equal(pushed->Offset, 0);

    /* No room left and no back-fill asked: a block of exactly 8. */
    assert_int_equal(NdisAllocateNetBufferListContext(nbl, 8, 0, TAG), NDIS_STATUS_SUCCESS);
    PNET_BUFFER_LIST_CONTEXT third = nbl->Context;
    assert_ptr_equal(third->Next, pushed);
    assert_int_equal(third->Size, 8);
    assert_int_equal(third->Offset, 0);
    assert_int_equal(context_depth(nbl), 3);

    NdisFreeNetBufferListContext(nbl, 8);
    assert_ptr_equal(nbl->Context, pushed); /* emptied: popped */
    assert_int_equal(pushed->Offset, 0);
    NdisFreeNetBufferListContext(nbl, 16);
    assert_ptr_equal(nbl->Context, pushed);
    assert_int_equal(pushed->Offset, 16);
    NdisFreeNetBufferListContext(nbl, 32);
    assert_ptr_equal(nbl->Context, original);
    assert_int_equal(original->Offset, 24);
    assert_int_equal(context_depth(nbl), 1);
    NdisFreeNetBufferList(nbl);
    harness_expect_no_report();
    harness_free_nbl_pool(pool);
}

static void nbl_without_context_gets_a_block_pushed_and_popped(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert_null(nbl->Context);
    assert_int_equal(NdisAllocateNetBufferListContext(nbl, 16, 8, TAG), NDIS_STATUS_SUCCESS);
    assert_non_null(nbl->Context);
    assert_null(nbl->Context->Next);
    assert_int_equal(NET_BUFFER_LIST_CONTEXT_DATA_SIZE(nbl), 24);
    assert_int_equal(nbl->Context->Offset, 8);
    assert_context_aligned(nbl);
    memset(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), 0xAB, 16);
    NdisFreeNetBufferListContext(nbl, 16);
    assert_null(nbl->Context);
    NdisFreeNetBufferList(nbl);
    harness_expect_no_report();
    harness_free_nbl_pool(pool);
}

/* ------------------------------------------------------------------ layers */

struct layer {
    USHORT size, backfill;
    UCHAR *data; /* DATA_START when the layer allocated */
    UCHAR pattern[64];
};

static void layer_push(PNET_BUFFER_LIST nbl, struct layer *l, unsigned seed)
{
    assert_int_equal(NdisAllocateNetBufferListContext(nbl, l->size, l->backfill, TAG), NDIS_STATUS_SUCCESS);
    l->data = NET_BUFFER_LIST_CONTEXT_DATA_START(nbl);
    assert_int_equal((ULONG_PTR)l->data % 8, 0);
    harness_fill(l->pattern, l->size, seed);
    memcpy(l->data, l->pattern, l->size);
}

static void layer_pop(PNET_BUFFER_LIST nbl, struct layer *l)
{
    assert_ptr_equal(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), l->data);
    assert_memory_equal(l->data, l->pattern, l->size);
    NdisFreeNetBufferListContext(nbl, l->size);
}

static void assert_layers_intact(const struct layer *layers, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_memory_equal(layers[i].data, layers[i].pattern, layers[i].size);
}

static void each_layers_context_survives_the_pushes_and_pops_of_others(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 48, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 16, 0);
    /* Sizes chosen so that some layers fit in place and others push. */
    struct layer layers[] = {{16, 0, NULL, {0}}, {24, 8, NULL, {0}}, {8, 0, NULL, {0}},
                             {40, 16, NULL, {0}}, {16, 0, NULL, {0}}, {8, 8, NULL, {0}}};
    const size_t n = sizeof(layers) / sizeof(layers[0]);
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < n; i++) {
            layer_push(nbl, &layers[i], (unsigned)(i + 7 * round));
            assert_layers_intact(layers, i + 1);
        }
        /* Pop half, push them again with other bytes, then pop all. */
        for (size_t i = n; i-- > n / 2;) {
            layer_pop(nbl, &layers[i]);
            assert_layers_intact(layers, i);
        }
        for (size_t i = n / 2; i < n; i++) {
            layer_push(nbl, &layers[i], (unsigned)(100 + i));
            assert_layers_intact(layers, i + 1);
        }
        for (size_t i = n; i-- > 0;) {
            layer_pop(nbl, &layers[i]);
            assert_layers_intact(layers, i);
        }
        assert_int_equal(context_depth(nbl), 1);
        assert_int_equal(nbl->Context->Offset, 32);
    }
    NdisFreeNetBufferList(nbl);
    harness_expect_no_report();
    harness_free_nbl_pool(pool);
}

static void lifo_frees_pop_each_pushed_block_in_turn(void **state)
{
    (void)state;
    enum { PUSHES = 12 };
    NDIS_HANDLE pool = harness_nbl_pool(FALSE, 16, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 16, 0);
    PNET_BUFFER_LIST_CONTEXT blocks[PUSHES + 1];
    UCHAR *starts[PUSHES + 1];
    blocks[0] = nbl->Context;
    starts[0] = NET_BUFFER_LIST_CONTEXT_DATA_START(nbl);
    for (USHORT i = 1; i <= PUSHES; i++) {
        assert_int_equal(NdisAllocateNetBufferListContext(nbl, (USHORT)(8 * i), 0, TAG), NDIS_STATUS_SUCCESS);
        blocks[i] = nbl->Context;
        starts[i] = NET_BUFFER_LIST_CONTEXT_DATA_START(nbl);
        assert_ptr_equal(blocks[i]->Next, blocks[i - 1]);
        assert_int_equal(NET_BUFFER_LIST_CONTEXT_DATA_SIZE(nbl), 8 * i);
        assert_int_equal(context_depth(nbl), i + 1);
        assert_context_aligned(nbl);
    }
    for (USHORT i = PUSHES; i >= 1; i--) {
        NdisFreeNetBufferListContext(nbl, (USHORT)(8 * i));
        assert_ptr_equal(nbl->Context, blocks[i - 1]);
        assert_ptr_equal(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), starts[i - 1]);
        assert_int_equal(context_depth(nbl), i);
    }
    NdisFreeNetBufferList(nbl);
    harness_expect_no_report();
    harness_free_nbl_pool(pool);
}

static void context_data_is_at_least_8_aligned_for_every_size(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 40, 0, TAG);
    for (USHORT size = 8; size <= 64; size += 8) {
        for (USHORT backfill = 0; backfill <= 24; backfill += 8) {
            PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 8, 0);
            assert_int_equal(NdisAllocateNetBufferListContext(nbl, size, backfill, TAG), NDIS_STATUS_SUCCESS);
            assert_int_equal((ULONG_PTR)NET_BUFFER_LIST_CONTEXT_DATA_START(nbl) % 8, 0);
            assert_int_equal(NdisAllocateNetBufferListContext(nbl, 8, backfill, TAG), NDIS_STATUS_SUCCESS);
            assert_context_aligned(nbl);
            memset(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), 0x5C,
                   NET_BUFFER_LIST_CONTEXT_DATA_SIZE(nbl) - nbl->Context->Offset);
            NdisFreeNetBufferListContext(nbl, 8);
            NdisFreeNetBufferListContext(nbl, size);
            assert_int_equal(context_depth(nbl), 1);
            NdisFreeNetBufferList(nbl);
        }
    }
    harness_expect_no_report();
    harness_free_nbl_pool(pool);
}

static void largest_context_block_is_pushed_and_popped(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert_int_equal(NdisAllocateNetBufferListContext(nbl, 0xFFF0, 8, TAG), NDIS_STATUS_SUCCESS);
    assert_int_equal(NET_BUFFER_LIST_CONTEXT_DATA_SIZE(nbl), 0xFFF8);
    memset(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), 0x11, 0xFFF0);
    NdisFreeNetBufferListContext(nbl, 0xFFF0);
    assert_null(nbl->Context);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

/* ------------------------------------------------------------- bad calls */

static void context_sizes_not_multiples_of_a_pointer_fail_with_a_diagnostic(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 32, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 8, 0);
    struct context_snapshot before = context_snap(nbl);
    static const struct {
        USHORT size, backfill;
        const char *named;
    } cases[] = {{12, 0, "ContextSize"}, {1, 0, "ContextSize"}, {4, 8, "ContextSize"},
                 {8, 4, "ContextBackFill"}, {16, 3, "ContextBackFill"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(NdisAllocateNetBufferListContext(nbl, cases[i].size, cases[i].backfill, TAG),
                         NDIS_STATUS_FAILURE);
        assert_true(harness_diag_contains(cases[i].named));
        assert_context_unchanged(nbl, &before);
    }
    /* Together over a block's 16-bit size. */
    assert_int_equal(NdisAllocateNetBufferListContext(nbl, 0xFFF8, 0x10, TAG), NDIS_STATUS_FAILURE);
    assert_true(harness_diag_new() >= 1);
    assert_context_unchanged(nbl, &before);
    assert_int_equal(NdisAllocateNetBufferListContext(NULL, 8, 0, TAG), NDIS_STATUS_FAILURE);
    assert_true(harness_diag_contains("NetBufferList"));
    harness_expect_no_report();
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void freeing_more_than_the_pushed_blocks_used_bytes_is_a_context_mismatch(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 16, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 16, 0);
    assert_int_equal(NdisAllocateNetBufferListContext(nbl, 16, 8, TAG), NDIS_STATUS_SUCCESS);
    struct context_snapshot before = context_snap(nbl);
    assert_int_equal(before.depth, 2);

    NdisFreeNetBufferListContext(nbl, 24);
    const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_CONTEXT_MISMATCH);
    assert_ptr_equal(r->object, nbl);
    assert_string_equal(r->function, "NdisFreeNetBufferListContext");
    assert_context_unchanged(nbl, &before);

    NdisFreeNetBufferListContext(nbl, 16);
    harness_expect_no_report();
    assert_int_equal(context_depth(nbl), 1);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void freeing_past_the_allocation_time_block_is_a_context_mismatch(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 32, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 8, 0);
    struct context_snapshot before = context_snap(nbl);
    NdisFreeNetBufferListContext(nbl, 16);
    harness_expect_report(NDISBUF_REPORT_CONTEXT_MISMATCH);
    assert_context_unchanged(nbl, &before);
    NdisFreeNetBufferList(nbl);
    harness_expect_no_report();

    /* An NBL with no context at all has nothing to free. */
    NDIS_HANDLE bare = harness_nbl_pool(TRUE, 0, 0, TAG);
    nbl = NdisAllocateNetBufferList(bare, 0, 0);
    NdisFreeNetBufferListContext(nbl, 8);
    harness_expect_report(NDISBUF_REPORT_CONTEXT_MISMATCH);
    assert_null(nbl->Context);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(bare);
    harness_free_nbl_pool(pool);
}

static void allocation_time_block_emptied_stays_and_is_never_popped(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 32, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 16, 0);
    PNET_BUFFER_LIST_CONTEXT original = nbl->Context;
    NdisFreeNetBufferListContext(nbl, 16);
    harness_expect_no_report();
    assert_ptr_equal(nbl->Context, original);
    assert_int_equal(original->Offset, 32);
    /* Freeing from the empty block: a mismatch, nothing popped. */
    NdisFreeNetBufferListContext(nbl, 8);
    harness_expect_report(NDISBUF_REPORT_CONTEXT_MISMATCH);
    assert_ptr_equal(nbl->Context, original);
    assert_int_equal(original->Offset, 32);
    /* Its room serves later allocations. */
    assert_int_equal(NdisAllocateNetBufferListContext(nbl, 32, 0, TAG), NDIS_STATUS_SUCCESS);
    assert_ptr_equal(nbl->Context, original);
    assert_int_equal(original->Offset, 0);
    NdisFreeNetBufferListContext(nbl, 32);
    NdisFreeNetBufferList(nbl);
    harness_expect_no_report();
    harness_free_nbl_pool(pool);
}

static void nbl_freed_with_a_pushed_context_is_reported_context_not_popped(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 16, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 16, 0);
    PNET_BUFFER_LIST_CONTEXT original = nbl->Context;
    assert_int_equal(NdisAllocateNetBufferListContext(nbl, 32, 0, TAG), NDIS_STATUS_SUCCESS);
    PNET_BUFFER_LIST_CONTEXT pushed = nbl->Context;

    NdisFreeNetBufferList(nbl);
    const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_CONTEXT_NOT_POPPED);
    assert_ptr_equal(r->parameters[1], pushed);
    assert_ptr_equal(r->parameters[2], original);
    assert_int_equal(harness_stats(pool).Outstanding, 1); /* left as it was */
    assert_ptr_equal(nbl->Context, pushed);

    NdisFreeNetBufferListContext(nbl, 32);
    assert_ptr_equal(nbl->Context, original);
    NdisFreeNetBufferList(nbl);
    harness_expect_no_report();
    harness_free_nbl_pool(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(context_allocation_uses_the_current_blocks_room_first),
        HARNESS_TEST(context_allocation_without_room_pushes_a_block_used_part_at_its_end),
        HARNESS_TEST(nbl_without_context_gets_a_block_pushed_and_popped),
        HARNESS_TEST(each_layers_context_survives_the_pushes_and_pops_of_others),
        HARNESS_TEST(lifo_frees_pop_each_pushed_block_in_turn),
        HARNESS_TEST(context_data_is_at_least_8_aligned_for_every_size),
        HARNESS_TEST(largest_context_block_is_pushed_and_popped),
        HARNESS_TEST(context_sizes_not_multiples_of_a_pointer_fail_with_a_diagnostic),
        HARNESS_TEST(freeing_more_than_the_pushed_blocks_used_bytes_is_a_context_mismatch),
        HARNESS_TEST(freeing_past_the_allocation_time_block_is_a_context_mismatch),
        HARNESS_TEST(allocation_time_block_emptied_stays_and_is_never_popped),
        HARNESS_TEST(nbl_freed_with_a_pushed_context_is_reported_context_not_popped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
