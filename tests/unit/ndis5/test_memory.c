/* SPDX-License-Identifier: MIT */
/*
 * Tagged memory (ndis-semantics.md §9, docs/ndis5.md): aligned blocks
 * accounted per tag, listed per tag and per block while allocated, counted
 * in ndisbuf_outstanding_total(); zero lengths and NULL outputs fail
 * cleanly; NdisFreeMemory reports NULL, foreign and double frees and a
 * length or flags other than the allocation's, leaving the block allocated.
 * The last test walks the seed document's send flow end to end.
 */
#include <string.h>

#include "n5test.h"

#define TAG_A HARNESS_TAG('t', 'A', 'g', '5')
#define TAG_B HARNESS_TAG('t', 'B', 'g', '5')

static PVOID alloc_tagged(UINT length, ULONG tag)
{
    PVOID va = NULL;
    assert_int_equal(NdisAllocateMemoryWithTag(&va, length, tag), NDIS_STATUS_SUCCESS);
    assert_non_null(va);
    return va;
}

static NDISBUF_TAG_USAGE usage_of(ULONG tag)
{
    NDISBUF_TAG_USAGE u;
    memset(&u, 0xFF, sizeof(u));
    ndisbuf_tagged_memory_query(tag, &u);
    assert_int_equal(u.Tag, tag);
    return u;
}

static void tagged_memory_is_aligned_writable_and_accounted(void **state)
{
    (void)state;
    NDISBUF_TAG_USAGE before = usage_of(TAG_A);
    PVOID a = alloc_tagged(1, TAG_A), b = alloc_tagged(1500, TAG_A);
    assert_int_equal((uintptr_t)a % MEMORY_ALLOCATION_ALIGNMENT, 0);
    assert_int_equal((uintptr_t)b % MEMORY_ALLOCATION_ALIGNMENT, 0);
    memset(b, 0x11, 1500);
    NDISBUF_TAG_USAGE u = usage_of(TAG_A);
    assert_int_equal(u.OutstandingAllocations, 2);
    assert_int_equal(u.OutstandingBytes, 1501);
    assert_int_equal(u.Allocations, before.Allocations + 2);
    ULONG64 bytes = 0;
    assert_int_equal(ndisbuf_tagged_memory_outstanding(&bytes), 2);
    assert_int_equal(bytes, 1501);
    assert_int_equal(ndisbuf_outstanding_total(), 2); /* what the harness teardown checks */
    NdisFreeMemory(b, 1500, 0);
    NdisFreeMemory(a, 0, 0); /* Length 0 is accepted */
    u = usage_of(TAG_A);
    assert_int_equal(u.OutstandingAllocations, 0);
    assert_int_equal(u.OutstandingBytes, 0);
    assert_int_equal(u.Allocations, before.Allocations + 2);
    assert_int_equal(ndisbuf_tagged_memory_outstanding(NULL), 0);
}

struct tag_seen {
    ULONG tags[8];
    ULONG64 blocks[8];
    int n;
};

static BOOLEAN remember_tag(const NDISBUF_TAG_USAGE *usage, PVOID context)
{
    struct tag_seen *seen = context;
    seen->tags[seen->n] = usage->Tag;
    seen->blocks[seen->n++] = usage->OutstandingAllocations;
    return TRUE;
}

static void accounting_is_per_tag_and_lists_tags_with_blocks_out(void **state)
{
    (void)state;
    PVOID a1 = alloc_tagged(10, TAG_A), a2 = alloc_tagged(20, TAG_A), b1 = alloc_tagged(30, TAG_B);
    assert_int_equal(usage_of(TAG_A).OutstandingBytes, 30);
    assert_int_equal(usage_of(TAG_B).OutstandingBytes, 30);
    assert_int_equal(usage_of(HARNESS_TAG('n', 'o', 'n', 'e')).OutstandingAllocations, 0);
    struct tag_seen seen = {.n = 0};
    assert_int_equal(ndisbuf_tagged_memory_enumerate_tags(remember_tag, &seen), 2);
    for (int i = 0; i < seen.n; i++)
        assert_int_equal(seen.blocks[i], seen.tags[i] == TAG_A ? 2 : 1);
    NdisFreeMemory(b1, 30, 0);
    seen.n = 0;
    assert_int_equal(ndisbuf_tagged_memory_enumerate_tags(remember_tag, &seen), 1); /* only tags with blocks */
    assert_int_equal(seen.tags[0], TAG_A);
    NdisFreeMemory(a1, 10, 0);
    NdisFreeMemory(a2, 20, 0);
    seen.n = 0;
    assert_int_equal(ndisbuf_tagged_memory_enumerate_tags(remember_tag, &seen), 0);
}

struct block_seen {
    NDISBUF_TAGGED_BLOCK blocks[4];
    int n;
    int stop_after;
};

static BOOLEAN remember_block(const NDISBUF_TAGGED_BLOCK *block, PVOID context)
{
    struct block_seen *seen = context;
    seen->blocks[seen->n++] = *block;
    return seen->n != seen->stop_after;
}

static void every_block_still_allocated_can_be_listed(void **state)
{
    (void)state;
    int driver;
    PVOID a = alloc_tagged(64, TAG_A);
    PVOID b = NdisAllocateMemoryWithTagPriority(&driver, 128, TAG_B, NormalPoolPriority);
    assert_non_null(b);
    struct block_seen seen = {.n = 0};
    assert_int_equal(ndisbuf_tagged_memory_enumerate_blocks(remember_block, &seen), 2);
    for (int i = 0; i < 2; i++) {
        const NDISBUF_TAGGED_BLOCK *k = &seen.blocks[i];
        assert_non_null(k->AllocationSite);
        if (k->VirtualAddress == a) {
            assert_int_equal(k->Length, 64);
            assert_int_equal(k->Tag, TAG_A);
            assert_null(k->Owner);
        } else {
            assert_ptr_equal(k->VirtualAddress, b);
            assert_int_equal(k->Length, 128);
            assert_int_equal(k->Tag, TAG_B);
            assert_ptr_equal(k->Owner, &driver);
        }
    }
    seen = (struct block_seen){.stop_after = 1}; /* the callback may stop the walk */
    assert_int_equal(ndisbuf_tagged_memory_enumerate_blocks(remember_block, &seen), 1);
    NdisFreeMemory(a, 64, 0);
    NdisFreeMemory(b, 0, 0);
}

static void bad_requests_fail_cleanly(void **state)
{
    (void)state;
    PVOID va = (PVOID)(uintptr_t)1;
    assert_int_equal(NdisAllocateMemoryWithTag(&va, 0, TAG_A), NDIS_STATUS_FAILURE);
    assert_null(va);
    assert_true(harness_diag_contains("Length is 0"));
    assert_int_equal(NdisAllocateMemoryWithTag(NULL, 8, TAG_A), NDIS_STATUS_FAILURE);
    assert_true(harness_diag_contains("VirtualAddress is NULL"));
    assert_null(NdisAllocateMemoryWithTagPriority(NULL, 0, TAG_A, HighPoolPriority));
    assert_int_equal(ndisbuf_tagged_memory_outstanding(NULL), 0);
}

static void bad_frees_are_reported_and_leave_the_block_allocated(void **state)
{
    (void)state;
    PVOID a = alloc_tagged(100, TAG_A);
    NdisFreeMemory(NULL, 0, 0);
    harness_expect_report(NDISBUF_REPORT_NULL_OBJECT);
    UCHAR on_stack[16];
    NdisFreeMemory(on_stack, 16, 0);
    harness_expect_report(NDISBUF_REPORT_FOREIGN_POINTER);
    NdisFreeMemory((PUCHAR)a + 16, 0, 0); /* inside a block: not a block */
    harness_expect_report(NDISBUF_REPORT_FOREIGN_POINTER);
    NdisFreeMemory(a, 50, 0); /* a sub-range */
    const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_MEMORY_FREE_MISMATCH);
    assert_int_equal(r->parameters[3], 100);
    NdisFreeMemory(a, 100, 1); /* flags */
    harness_expect_report(NDISBUF_REPORT_MEMORY_FREE_MISMATCH);
    assert_int_equal(usage_of(TAG_A).OutstandingAllocations, 1);
    memset(a, 0, 100); /* still the driver's */
    NdisFreeMemory(a, 100, 0);
    harness_expect_no_report();
    NdisFreeMemory(a, 100, 0); /* twice: recognised without touching the freed block */
    harness_expect_report(NDISBUF_REPORT_DOUBLE_FREE);
    assert_int_equal(usage_of(TAG_A).OutstandingAllocations, 0);
}

/*
 * The seed's send flow: pools at bind time; per send a packet, tagged
 * memory holding the client's data, buffer descriptors over it, chained;
 * the packet "completes"; on completion everything is unchained and freed.
 */
static void the_seed_send_flow_leaves_nothing_behind(void **state)
{
    (void)state;
    static const UCHAR header[14] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 2, 0, 0, 0, 0, 1, 0x88, 0xB5};
    NDIS_HANDLE packets = n5t_packet_pool(8, 4, PROTOCOL_RESERVED_SIZE_IN_PACKET);
    NDIS_HANDLE buffers = n5t_buffer_pool(24);
    for (int send = 0; send < 100; send++) {
        UCHAR client[60];
        memset(client, send, sizeof(client));
        PNDIS_PACKET p = n5t_packet(packets);
        PUCHAR hdr = alloc_tagged(sizeof(header), TAG_A), body = alloc_tagged(sizeof(client), TAG_B);
        memcpy(hdr, header, sizeof(header));
        memcpy(body, client, sizeof(client));
        NdisChainBufferAtBack(p, n5t_buffer(buffers, body, sizeof(client)));
        NdisChainBufferAtFront(p, n5t_buffer(buffers, hdr, sizeof(header)));
        *(PVOID *)p->ProtocolReserved = hdr; /* the protocol's own bookkeeping */
        UINT count = 0, total = 0;
        NdisQueryPacket(p, NULL, &count, NULL, &total);
        assert_int_equal(count, 2);
        assert_int_equal(total, 74);
        /* ...sent and completed: unchain and free everything. */
        PNDIS_BUFFER b;
        for (NdisUnchainBufferAtFront(p, &b); b; NdisUnchainBufferAtFront(p, &b)) {
            PVOID va;
            UINT length;
            NdisQueryBuffer(b, &va, &length);
            NdisFreeBuffer(b);
            NdisFreeMemory(va, length, 0);
        }
        NdisFreePacket(p);
    }
    assert_int_equal(ndisbuf_outstanding_total(), 0);
    n5t_free_pool(packets, NdisFreePacketPool);
    n5t_free_pool(buffers, NdisFreeBufferPool);
    assert_int_equal(usage_of(TAG_A).OutstandingAllocations, 0);
    assert_int_equal(usage_of(TAG_B).OutstandingAllocations, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(tagged_memory_is_aligned_writable_and_accounted),
        HARNESS_TEST(accounting_is_per_tag_and_lists_tags_with_blocks_out),
        HARNESS_TEST(every_block_still_allocated_can_be_listed),
        HARNESS_TEST(bad_requests_fail_cleanly),
        HARNESS_TEST(bad_frees_are_reported_and_leave_the_block_allocated),
        HARNESS_TEST(the_seed_send_flow_leaves_nothing_behind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
