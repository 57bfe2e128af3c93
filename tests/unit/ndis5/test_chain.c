/* SPDX-License-Identifier: MIT */
/*
 * Buffer chains and queries on NDIS 5.1 packets (ndis-semantics.md §9,
 * docs/ndis5.md): chaining at the front and the back, of single buffers and
 * of whole chains; unchaining (NULL on an empty packet); NdisQueryPacket
 * with every output optional and counts right after every chain change
 * (table-driven), cached until the chain changes or the driver clears
 * ValidCounts; NdisGetFirstBufferFromPacket(Safe); and
 * NdisCopyFromPacketToPacket(Safe) across buffer boundaries with offsets
 * (table-driven against a flat reference copy).
 */
#include <stdlib.h>
#include <string.h>

#include "n5test.h"

struct fixture {
    NDIS_HANDLE packets;
    NDIS_HANDLE buffers;
    UCHAR data[256];
};

static void fixture_init(struct fixture *f)
{
    f->packets = n5t_packet_pool(4, 0, 0);
    f->buffers = n5t_buffer_pool(32);
    for (size_t i = 0; i < sizeof(f->data); i++)
        f->data[i] = (UCHAR)i;
}

static void fixture_fini(struct fixture *f)
{
    n5t_free_pool(f->packets, NdisFreePacketPool);
    n5t_free_pool(f->buffers, NdisFreeBufferPool);
}

/* Asserts the chain of p is exactly `expected` (n buffers), through Next and through the counts. */
static void assert_chain(PNDIS_PACKET p, PNDIS_BUFFER *expected, size_t n)
{
    PNDIS_BUFFER b = p->Private.Head;
    UINT total = 0;
    for (size_t i = 0; i < n; i++, b = b->Next) {
        assert_ptr_equal(b, expected[i]);
        total += NdisBufferLength(b);
    }
    assert_null(b);
    assert_ptr_equal(p->Private.Tail, n ? expected[n - 1] : NULL);
    UINT count = 99, length = 99;
    PNDIS_BUFFER first = (PNDIS_BUFFER)(uintptr_t)1;
    NdisQueryPacket(p, NULL, &count, &first, &length);
    assert_int_equal(count, n);
    assert_int_equal(length, total);
    assert_ptr_equal(first, n ? expected[0] : NULL);
}

static void chain_at_front_and_back_keeps_order(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    PNDIS_PACKET p = n5t_packet(f.packets);
    PNDIS_BUFFER a = n5t_buffer(f.buffers, f.data, 1), b = n5t_buffer(f.buffers, f.data, 2),
                 c = n5t_buffer(f.buffers, f.data, 3);
    NdisChainBufferAtBack(p, b);
    assert_chain(p, (PNDIS_BUFFER[]){b}, 1);
    NdisChainBufferAtFront(p, a);
    assert_chain(p, (PNDIS_BUFFER[]){a, b}, 2);
    NdisChainBufferAtBack(p, c);
    assert_chain(p, (PNDIS_BUFFER[]){a, b, c}, 3);
    n5t_free_chain(p);
    NdisFreePacket(p);
    fixture_fini(&f);
}

static void chain_calls_take_whole_chains(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    PNDIS_PACKET p = n5t_packet(f.packets);
    PNDIS_BUFFER b[6];
    for (int i = 0; i < 6; i++)
        b[i] = n5t_buffer(f.buffers, f.data, (UINT)(i + 1));
    b[0]->Next = b[1]; /* front chain: 0 1 */
    b[3]->Next = b[4]; /* back chain: 3 4 5 */
    b[4]->Next = b[5];
    NdisChainBufferAtFront(p, b[2]);
    NdisChainBufferAtFront(p, b[0]);
    assert_chain(p, (PNDIS_BUFFER[]){b[0], b[1], b[2]}, 3);
    NdisChainBufferAtBack(p, b[3]);
    assert_chain(p, b, 6);
    /* On an empty packet too, at either end. */
    PNDIS_PACKET q = n5t_packet(f.packets);
    PNDIS_BUFFER x = n5t_buffer(f.buffers, f.data, 7), y = n5t_buffer(f.buffers, f.data, 8);
    x->Next = y;
    NdisChainBufferAtFront(q, x);
    assert_chain(q, (PNDIS_BUFFER[]){x, y}, 2);
    n5t_free_chain(p);
    n5t_free_chain(q);
    NdisFreePacket(p);
    NdisFreePacket(q);
    fixture_fini(&f);
}

static void unchain_returns_the_ends_and_null_when_empty(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    PNDIS_PACKET p = n5t_packet(f.packets);
    PNDIS_BUFFER out = (PNDIS_BUFFER)(uintptr_t)1;
    NdisUnchainBufferAtFront(p, &out);
    assert_null(out);
    out = (PNDIS_BUFFER)(uintptr_t)1;
    NdisUnchainBufferAtBack(p, &out);
    assert_null(out);
    PNDIS_BUFFER a = n5t_buffer(f.buffers, f.data, 1), b = n5t_buffer(f.buffers, f.data, 2),
                 c = n5t_buffer(f.buffers, f.data, 3);
    NdisChainBufferAtBack(p, a);
    NdisChainBufferAtBack(p, b);
    NdisChainBufferAtBack(p, c);
    NdisUnchainBufferAtBack(p, &out);
    assert_ptr_equal(out, c);
    assert_null(c->Next);
    assert_chain(p, (PNDIS_BUFFER[]){a, b}, 2);
    NdisUnchainBufferAtFront(p, &out);
    assert_ptr_equal(out, a);
    assert_null(a->Next); /* detached from the chain */
    assert_chain(p, (PNDIS_BUFFER[]){b}, 1);
    NdisChainBufferAtBack(p, c); /* the tail is right after unchaining */
    assert_chain(p, (PNDIS_BUFFER[]){b, c}, 2);
    NdisUnchainBufferAtBack(p, &out);
    NdisUnchainBufferAtBack(p, &out);
    assert_ptr_equal(out, b);
    assert_chain(p, NULL, 0);
    NdisUnchainBufferAtBack(p, &out);
    assert_null(out);
    NdisFreeBuffer(a);
    NdisFreeBuffer(b);
    NdisFreeBuffer(c);
    NdisFreePacket(p);
    fixture_fini(&f);
}

/* One step of the table below. */
enum op { FRONT, BACK, UNCHAIN_FRONT, UNCHAIN_BACK, REINIT };

struct step {
    enum op op;
    int buffer;          /* index into the buffers, for FRONT/BACK */
    UINT count, total;   /* expected after the step */
};

static void query_packet_is_right_after_every_chain_change(void **state)
{
    (void)state;
    static const UINT lengths[] = {10, 0, 300, 4096, 1};
    static const struct step steps[] = {
        {BACK, 0, 1, 10},         {BACK, 1, 2, 10},       {FRONT, 2, 3, 310},    {BACK, 3, 4, 4406},
        {UNCHAIN_FRONT, 0, 3, 4106}, {UNCHAIN_BACK, 0, 2, 10}, {FRONT, 4, 3, 11}, {UNCHAIN_FRONT, 0, 2, 10},
        {UNCHAIN_FRONT, 0, 1, 0}, {UNCHAIN_BACK, 0, 0, 0}, {UNCHAIN_BACK, 0, 0, 0}, {BACK, 2, 1, 300},
        {REINIT, 0, 0, 0},        {FRONT, 3, 1, 4096},
    };
    struct fixture f;
    fixture_init(&f);
    UCHAR *memory = aligned_alloc(PAGE_SIZE, 4 * PAGE_SIZE);
    assert_non_null(memory);
    PNDIS_PACKET p = n5t_packet(f.packets);
    PNDIS_BUFFER b[5];
    for (int i = 0; i < 5; i++)
        b[i] = n5t_buffer(f.buffers, memory + 100 * i, lengths[i]);
    for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
        PNDIS_BUFFER out;
        bool was_empty = p->Private.Head == NULL;
        switch (steps[s].op) {
        case FRONT:
            NdisChainBufferAtFront(p, b[steps[s].buffer]);
            break;
        case BACK:
            NdisChainBufferAtBack(p, b[steps[s].buffer]);
            break;
        case UNCHAIN_FRONT:
            NdisUnchainBufferAtFront(p, &out);
            break;
        case UNCHAIN_BACK:
            NdisUnchainBufferAtBack(p, &out);
            break;
        case REINIT:
            NdisReinitializePacket(p);
            break;
        }
        if (!(was_empty && steps[s].op == UNCHAIN_BACK))
            assert_false(NDIS_PACKET_VALID_COUNTS(p)); /* every change invalidates the cache */
        UINT count = 99, total = 99, pages = 99, expected_pages = 0;
        for (PNDIS_BUFFER x = p->Private.Head; x; x = x->Next)
            expected_pages += ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(x), NdisBufferLength(x));
        NdisQueryPacket(p, &pages, &count, NULL, &total);
        if (count != steps[s].count || total != steps[s].total)
            print_error("step %zu: %u buffers, %u bytes\n", s, count, total);
        assert_int_equal(count, steps[s].count);
        assert_int_equal(total, steps[s].total);
        assert_int_equal(pages, expected_pages);
        assert_true(NDIS_PACKET_VALID_COUNTS(p));
    }
    NdisReinitializePacket(p);
    for (int i = 0; i < 5; i++)
        NdisFreeBuffer(b[i]);
    NdisFreePacket(p);
    free(memory);
    fixture_fini(&f);
}

static void every_output_of_query_packet_is_optional(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    PNDIS_PACKET p = n5t_packet(f.packets);
    PNDIS_BUFFER a = n5t_buffer(f.buffers, f.data, 5);
    NdisChainBufferAtBack(p, a);
    NdisQueryPacket(p, NULL, NULL, NULL, NULL);
    UINT pages = 0, count = 0, total = 0;
    PNDIS_BUFFER first = NULL;
    NdisQueryPacket(p, &pages, NULL, NULL, NULL);
    NdisQueryPacket(p, NULL, &count, NULL, NULL);
    NdisQueryPacket(p, NULL, NULL, &first, NULL);
    NdisQueryPacket(p, NULL, NULL, NULL, &total);
    assert_true(pages >= 1);
    assert_int_equal(count, 1);
    assert_ptr_equal(first, a);
    assert_int_equal(total, 5);
    total = 0;
    NdisQueryPacketLength(p, &total);
    assert_int_equal(total, 5);
    n5t_free_chain(p);
    NdisFreePacket(p);
    fixture_fini(&f);
}

static void counts_are_cached_until_the_chain_changes(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    PNDIS_PACKET p = n5t_packet(f.packets);
    PNDIS_BUFFER a = n5t_buffer(f.buffers, f.data, 40), b = n5t_buffer(f.buffers, f.data, 60);
    NdisChainBufferAtBack(p, a);
    UINT total = 0;
    NdisQueryPacket(p, NULL, NULL, NULL, &total);
    assert_int_equal(total, 40);
    /* A length change without telling NDIS: the cached count stands (as documented)... */
    NdisAdjustBufferLength(a, 20);
    NdisQueryPacketLength(p, &total);
    assert_int_equal(total, 40);
    /* ...until the driver clears ValidCounts, */
    NDIS_PACKET_VALID_COUNTS(p) = FALSE;
    NdisQueryPacketLength(p, &total);
    assert_int_equal(total, 20);
    /* or the chain changes. */
    NdisAdjustBufferLength(a, 30);
    NdisChainBufferAtBack(p, b);
    NdisQueryPacketLength(p, &total);
    assert_int_equal(total, 90);
    NdisAdjustBufferLength(a, 40);
    n5t_free_chain(p);
    NdisFreePacket(p);
    fixture_fini(&f);
}

static void physical_count_counts_the_pages_each_buffer_spans(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    UCHAR *memory = aligned_alloc(PAGE_SIZE, 4 * PAGE_SIZE);
    assert_non_null(memory);
    PNDIS_PACKET p = n5t_packet(f.packets);
    NdisChainBufferAtBack(p, n5t_buffer(f.buffers, memory + PAGE_SIZE - 2, 4));       /* 2 pages */
    NdisChainBufferAtBack(p, n5t_buffer(f.buffers, memory + 8, 16));                  /* 1 page */
    NdisChainBufferAtBack(p, n5t_buffer(f.buffers, memory + 1, 3 * PAGE_SIZE));       /* 4 pages */
    UINT pages = 0;
    NdisQueryPacket(p, &pages, NULL, NULL, NULL);
    assert_int_equal(pages, 7);
    n5t_free_chain(p);
    NdisFreePacket(p);
    free(memory);
    fixture_fini(&f);
}

static void first_buffer_from_packet_gives_the_head_and_the_total(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    PNDIS_PACKET p = n5t_packet(f.packets);
    PNDIS_BUFFER first = (PNDIS_BUFFER)(uintptr_t)1;
    PVOID va = (PVOID)(uintptr_t)1;
    UINT length = 9, total = 9;
    NdisGetFirstBufferFromPacket(p, &first, &va, &length, &total);
    assert_null(first);
    assert_null(va);
    assert_int_equal(length, 0);
    assert_int_equal(total, 0);
    PNDIS_BUFFER a = n5t_buffer(f.buffers, f.data + 3, 14), b = n5t_buffer(f.buffers, f.data + 50, 100);
    NdisChainBufferAtBack(p, a);
    NdisChainBufferAtBack(p, b);
    NdisGetFirstBufferFromPacket(p, &first, &va, &length, &total);
    assert_ptr_equal(first, a);
    assert_ptr_equal(va, f.data + 3);
    assert_int_equal(length, 14);
    assert_int_equal(total, 114);
    first = NULL;
    va = NULL;
    NdisGetFirstBufferFromPacketSafe(p, &first, &va, &length, &total, HighPagePriority);
    assert_ptr_equal(first, a);
    assert_ptr_equal(va, f.data + 3);
    assert_int_equal(total, 114);
    n5t_free_chain(p);
    NdisFreePacket(p);
    fixture_fini(&f);
}

/* --------------------------------------------------------------- copy */

struct copy_case {
    UINT src_lengths[5];
    UINT dst_lengths[5];
    UINT dst_offset, bytes, src_offset;
};

/* Builds a packet over consecutive pieces of memory with the given lengths (0 ends the list). */
static PNDIS_PACKET packet_over(struct fixture *f, UCHAR *memory, const UINT *lengths, UINT *total)
{
    PNDIS_PACKET p = n5t_packet(f->packets);
    *total = 0;
    for (int i = 0; i < 5 && lengths[i] != (UINT)-1; i++) {
        NdisChainBufferAtBack(p, n5t_buffer(f->buffers, memory + *total, lengths[i]));
        *total += lengths[i];
    }
    return p;
}

static void copy_runs_across_buffer_boundaries_with_offsets(void **state)
{
    (void)state;
    static const struct copy_case cases[] = {
        {{3, 0, 5, 7, -1}, {4, 4, 4, 4, -1}, 0, 15, 0},
        {{3, 0, 5, 7, -1}, {4, 4, 4, 4, -1}, 1, 15, 2},   /* limited by the source */
        {{15, -1}, {4, 4, 4, -1}, 5, 100, 0},             /* limited by the destination */
        {{1, 1, 1, 1, 1}, {5, -1}, 0, 5, 0},
        {{5, -1}, {1, 1, 1, 1, 1}, 2, 2, 3},
        {{8, 8, -1}, {16, -1}, 0, 16, 0},
        {{8, 8, -1}, {16, -1}, 4, 8, 6},
        {{8, -1}, {8, -1}, 0, 8, 8},                      /* source offset at the end: nothing */
        {{8, -1}, {8, -1}, 9, 8, 0},                      /* destination offset beyond: nothing */
        {{8, -1}, {8, -1}, 0, 0, 0},                      /* zero bytes */
        {{0, 0, 4, -1}, {0, 2, 0, 2, -1}, 1, 3, 1},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct fixture f;
        fixture_init(&f);
        UCHAR src_mem[64], dst_mem[64], expect[64];
        for (int i = 0; i < 64; i++) {
            src_mem[i] = (UCHAR)(100 + i);
            dst_mem[i] = expect[i] = 0xEE;
        }
        UINT src_total, dst_total;
        PNDIS_PACKET src = packet_over(&f, src_mem, cases[c].src_lengths, &src_total);
        PNDIS_PACKET dst = packet_over(&f, dst_mem, cases[c].dst_lengths, &dst_total);
        /* The reference: both chains are contiguous here, so a flat copy says what must happen. */
        UINT n = cases[c].bytes;
        if (cases[c].src_offset >= src_total || cases[c].dst_offset >= dst_total)
            n = 0;
        if (n > src_total - cases[c].src_offset)
            n = src_total - cases[c].src_offset;
        if (n > dst_total - cases[c].dst_offset)
            n = dst_total - cases[c].dst_offset;
        if (n)
            memcpy(expect + cases[c].dst_offset, src_mem + cases[c].src_offset, n);
        UINT src_count, dst_count, count;
        NdisQueryPacket(src, NULL, &src_count, NULL, NULL);
        NdisQueryPacket(dst, NULL, &dst_count, NULL, NULL);
        UINT copied = 12345;
        if (c % 2)
            NdisCopyFromPacketToPacket(dst, cases[c].dst_offset, cases[c].bytes, src, cases[c].src_offset, &copied);
        else
            NdisCopyFromPacketToPacketSafe(dst, cases[c].dst_offset, cases[c].bytes, src, cases[c].src_offset,
                                           &copied, NormalPagePriority);
        if (copied != n)
            print_error("case %zu: copied %u, expected %u\n", c, copied, n);
        assert_int_equal(copied, n);
        assert_memory_equal(dst_mem, expect, sizeof(expect));
        NdisQueryPacket(src, NULL, &count, NULL, NULL); /* the chains did not change */
        assert_int_equal(count, src_count);
        NdisQueryPacket(dst, NULL, &count, NULL, NULL);
        assert_int_equal(count, dst_count);
        n5t_free_chain(src);
        n5t_free_chain(dst);
        NdisFreePacket(src);
        NdisFreePacket(dst);
        fixture_fini(&f);
    }
}

static void copy_through_separate_memory_pieces(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    /* Pieces far apart: a wrong step between buffers would read or write the wrong bytes. */
    UCHAR a[3] = {1, 2, 3}, b[4] = {4, 5, 6, 7}, x[2], y[5];
    PNDIS_PACKET src = n5t_packet(f.packets), dst = n5t_packet(f.packets);
    NdisChainBufferAtBack(src, n5t_buffer(f.buffers, a, 3));
    NdisChainBufferAtBack(src, n5t_buffer(f.buffers, b, 4));
    NdisChainBufferAtBack(dst, n5t_buffer(f.buffers, x, 2));
    NdisChainBufferAtBack(dst, n5t_buffer(f.buffers, y, 5));
    UINT copied = 0;
    NdisCopyFromPacketToPacket(dst, 0, 7, src, 0, &copied);
    assert_int_equal(copied, 7);
    assert_memory_equal(x, ((UCHAR[]){1, 2}), 2);
    assert_memory_equal(y, ((UCHAR[]){3, 4, 5, 6, 7}), 5);
    n5t_free_chain(src);
    n5t_free_chain(dst);
    NdisFreePacket(src);
    NdisFreePacket(dst);
    fixture_fini(&f);
}

/* --------------------------------------------------------- misuse */

static void null_packets_and_buffers_are_reported(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    PNDIS_PACKET p = n5t_packet(f.packets);
    PNDIS_BUFFER a = n5t_buffer(f.buffers, f.data, 1), out;
    NdisChainBufferAtFront(NULL, a);
    harness_expect_report(NDISBUF_REPORT_NULL_OBJECT);
    NdisChainBufferAtBack(p, NULL);
    harness_expect_report(NDISBUF_REPORT_NULL_OBJECT);
    NdisUnchainBufferAtFront(NULL, &out);
    harness_expect_report(NDISBUF_REPORT_NULL_OBJECT);
    assert_null(out);
    UINT count = 7;
    NdisQueryPacket(NULL, NULL, &count, NULL, NULL);
    harness_expect_report(NDISBUF_REPORT_NULL_OBJECT);
    assert_int_equal(count, 0);
    UINT copied = 7;
    NdisCopyFromPacketToPacket(p, 0, 1, NULL, 0, &copied);
    harness_expect_report(NDISBUF_REPORT_NULL_OBJECT);
    assert_int_equal(copied, 0);
    PVOID va;
    UINT length, total;
    NdisGetFirstBufferFromPacket(p, NULL, &va, &length, &total); /* every output is required */
    harness_expect_report(NDISBUF_REPORT_NULL_OBJECT);
    assert_chain(p, NULL, 0); /* nothing changed */
    NdisFreeBuffer(a);
    NdisFreePacket(p);
    fixture_fini(&f);
}

static void a_chain_that_loops_is_not_linked(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    PNDIS_PACKET p = n5t_packet(f.packets);
    PNDIS_BUFFER a = n5t_buffer(f.buffers, f.data, 1), b = n5t_buffer(f.buffers, f.data, 1);
    a->Next = b;
    b->Next = a;
    NdisChainBufferAtBack(p, a);
    assert_true(harness_diag_contains("does not end"));
    assert_chain(p, NULL, 0);
    b->Next = NULL;
    a->Next = NULL;
    NdisFreeBuffer(a);
    NdisFreeBuffer(b);
    NdisFreePacket(p);
    fixture_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(chain_at_front_and_back_keeps_order),
        HARNESS_TEST(chain_calls_take_whole_chains),
        HARNESS_TEST(unchain_returns_the_ends_and_null_when_empty),
        HARNESS_TEST(query_packet_is_right_after_every_chain_change),
        HARNESS_TEST(every_output_of_query_packet_is_optional),
        HARNESS_TEST(counts_are_cached_until_the_chain_changes),
        HARNESS_TEST(physical_count_counts_the_pages_each_buffer_spans),
        HARNESS_TEST(first_buffer_from_packet_gives_the_head_and_the_total),
        HARNESS_TEST(copy_runs_across_buffer_boundaries_with_offsets),
        HARNESS_TEST(copy_through_separate_memory_pieces),
        HARNESS_TEST(null_packets_and_buffers_are_reported),
        HARNESS_TEST(a_chain_that_loops_is_not_linked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
