/* SPDX-License-Identifier: MIT */
/*
 * The public headers at run time: structure sizes and offsets (what the
 * static asserts pin, checked again where a test report shows them), every
 * accessor macro of ndis-semantics.md §1 used as the WDK allows (assigned
 * through where the WDK's is an lvalue), the Flags ranges, the NblFlags,
 * cancel id, hash and protocol id macros, the info-slot aliases, and the
 * MDL macros and inline helpers of §5 on unaligned buffers that cross pages.
 * No pool is involved: everything here is plain field arithmetic on
 * caller-owned storage.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* ------------------------------------------------------------------ sizes */

static void structure_sizes_match_windows_x64(void **state)
{
    (void)state;
    assert_int_equal(sizeof(NET_BUFFER), 176);
    assert_int_equal(sizeof(NET_BUFFER_LIST), 368);
    assert_int_equal(sizeof(MDL), 48);
    assert_int_equal(sizeof(NET_BUFFER_LIST_CONTEXT), 16);
    assert_int_equal(sizeof(NDIS_OBJECT_HEADER), 4);
    /* 368 = 144 bytes before the info array + 27 slots, rounded to 16. */
    assert_int_equal(MaxNetBufferListInfo, 27);
    assert_int_equal(RTL_FIELD_SIZE(NET_BUFFER_LIST, NetBufferListInfo), 27 * sizeof(PVOID));
}

static void next_links_are_at_offset_zero(void **state)
{
    (void)state;
    assert_int_equal(offsetof(NET_BUFFER, Next), 0);
    assert_int_equal(offsetof(NET_BUFFER_LIST, Next), 0);
    assert_int_equal(offsetof(MDL, Next), 0);
    assert_int_equal(offsetof(NET_BUFFER_LIST_CONTEXT, Next), 0);
    /* The union views agree with the direct members. */
    assert_int_equal(offsetof(NET_BUFFER, NetBufferHeader.NetBufferData.Next), 0);
    assert_int_equal(offsetof(NET_BUFFER, NetBufferHeader.NetBufferData.DataOffset),
                     offsetof(NET_BUFFER, DataOffset));
    assert_int_equal(offsetof(NET_BUFFER_LIST, NetBufferListHeader.NetBufferListData.FirstNetBuffer),
                     offsetof(NET_BUFFER_LIST, FirstNetBuffer));
}

static void documented_field_offsets_hold(void **state)
{
    (void)state;
    assert_int_equal(offsetof(NET_BUFFER, DataLength), 24);
    assert_int_equal(offsetof(NET_BUFFER, stDataLength), 24);
    assert_int_equal(offsetof(NET_BUFFER, DataOffset), 40);
    assert_int_equal(offsetof(NET_BUFFER, NdisPoolHandle), 56);
    assert_int_equal(offsetof(NET_BUFFER, ProtocolReserved), 80);
    assert_int_equal(offsetof(NET_BUFFER, MiniportReserved), 128);
    assert_int_equal(offsetof(NET_BUFFER, DataPhysicalAddress), 160);
    assert_int_equal(offsetof(NET_BUFFER_LIST, Context), 16);
    assert_int_equal(offsetof(NET_BUFFER_LIST, NdisPoolHandle), 32);
    assert_int_equal(offsetof(NET_BUFFER_LIST, ProtocolReserved), 64);
    assert_int_equal(offsetof(NET_BUFFER_LIST, MiniportReserved), 96);
    assert_int_equal(offsetof(NET_BUFFER_LIST, Scratch), 112);
    assert_int_equal(offsetof(NET_BUFFER_LIST, Flags), 136);
    assert_int_equal(offsetof(NET_BUFFER_LIST, Status), 140);
    assert_int_equal(offsetof(NET_BUFFER_LIST, NetBufferListInfo), 144);
    assert_int_equal(offsetof(MDL, MappedSystemVa), 24);
    assert_int_equal(offsetof(MDL, ByteCount), 40);
    assert_int_equal(offsetof(MDL, ByteOffset), 44);
    assert_int_equal(offsetof(NET_BUFFER_LIST_CONTEXT, ContextData), 16);
}

static void data_length_and_st_data_length_share_storage(void **state)
{
    (void)state;
    NET_BUFFER nb;
    memset(&nb, 0, sizeof(nb));
    nb.stDataLength = 0x1234;
    assert_int_equal(nb.DataLength, 0x1234);
    NET_BUFFER_DATA_LENGTH(&nb) = 77;
    assert_int_equal(nb.stDataLength, 77);
}

/* -------------------------------------------------------------- accessors */

static void nbl_accessors_are_lvalues(void **state)
{
    (void)state;
    NET_BUFFER_LIST nbl, other;
    NET_BUFFER nb;
    memset(&nbl, 0, sizeof(nbl));
    memset(&other, 0, sizeof(other));
    memset(&nb, 0, sizeof(nb));

    NET_BUFFER_LIST_NEXT_NBL(&nbl) = &other;
    NET_BUFFER_LIST_FIRST_NB(&nbl) = &nb;
    NET_BUFFER_LIST_FLAGS(&nbl) = 0x00300000;
    NET_BUFFER_LIST_NBL_FLAGS(&nbl) = NDIS_NBL_FLAGS_IS_IPV4;
    NET_BUFFER_LIST_STATUS(&nbl) = NDIS_STATUS_RESOURCES;
    NET_BUFFER_LIST_PROTOCOL_RESERVED(&nbl)[3] = &other;
    NET_BUFFER_LIST_MINIPORT_RESERVED(&nbl)[1] = &nb;
    NET_BUFFER_LIST_INFO(&nbl, Ieee8021QNetBufferListInfo) = (PVOID)(ULONG_PTR)0x55;

    assert_ptr_equal(nbl.Next, &other);
    assert_ptr_equal(nbl.FirstNetBuffer, &nb);
    assert_int_equal(nbl.Flags, 0x00300000);
    assert_int_equal(nbl.NblFlags, NDIS_NBL_FLAGS_IS_IPV4);
    assert_int_equal(nbl.Status, NDIS_STATUS_RESOURCES);
    assert_ptr_equal(nbl.ProtocolReserved[3], &other);
    assert_ptr_equal(nbl.MiniportReserved[1], &nb);
    assert_ptr_equal(nbl.NetBufferListInfo[Ieee8021QNetBufferListInfo], (PVOID)(ULONG_PTR)0x55);
    assert_int_equal(RTL_FIELD_SIZE(NET_BUFFER_LIST, ProtocolReserved), 4 * sizeof(PVOID));
    assert_int_equal(RTL_FIELD_SIZE(NET_BUFFER_LIST, MiniportReserved), 2 * sizeof(PVOID));
}

static void nbl_context_accessors_read_the_top_block(void **state)
{
    (void)state;
    union {
        NET_BUFFER_LIST_CONTEXT header;
        UCHAR bytes[sizeof(NET_BUFFER_LIST_CONTEXT) + 64];
    } block;
    NET_BUFFER_LIST nbl;
    memset(&block, 0, sizeof(block));
    memset(&nbl, 0, sizeof(nbl));
    block.header.Size = 64;
    block.header.Offset = 48;
    nbl.Context = &block.header;

    assert_ptr_equal(NET_BUFFER_LIST_CONTEXT_DATA_START(&nbl), block.bytes + 16 + 48);
    assert_int_equal(NET_BUFFER_LIST_CONTEXT_DATA_SIZE(&nbl), 64);
    NET_BUFFER_LIST_CONTEXT_DATA_START(&nbl)[0] = 0xAB;
    assert_int_equal(block.bytes[16 + 48], 0xAB);
}

static void nb_accessors_are_lvalues(void **state)
{
    (void)state;
    NET_BUFFER nb, other;
    MDL mdl;
    memset(&nb, 0, sizeof(nb));
    memset(&other, 0, sizeof(other));
    memset(&mdl, 0, sizeof(mdl));

    NET_BUFFER_NEXT_NB(&nb) = &other;
    NET_BUFFER_FIRST_MDL(&nb) = &mdl;
    NET_BUFFER_CURRENT_MDL(&nb) = &mdl;
    NET_BUFFER_CURRENT_MDL_OFFSET(&nb) = 7;
    NET_BUFFER_DATA_LENGTH(&nb) = 1500;
    NET_BUFFER_DATA_OFFSET(&nb) = 64;
    NET_BUFFER_CHECKSUM_BIAS(&nb) = 3;
    NET_BUFFER_PROTOCOL_RESERVED(&nb)[5] = &other;
    NET_BUFFER_MINIPORT_RESERVED(&nb)[3] = &mdl;
    NET_BUFFER_DATA_PHYSICAL_ADDRESS(&nb).QuadPart = 0x123456789LL;
    NDIS_MDL_LINKAGE(&mdl) = NULL;

    assert_ptr_equal(nb.Next, &other);
    assert_ptr_equal(nb.MdlChain, &mdl);
    assert_ptr_equal(nb.CurrentMdl, &mdl);
    assert_int_equal(nb.CurrentMdlOffset, 7);
    assert_int_equal(nb.DataLength, 1500);
    assert_int_equal(nb.DataOffset, 64);
    assert_int_equal(nb.ChecksumBias, 3);
    assert_ptr_equal(nb.ProtocolReserved[5], &other);
    assert_ptr_equal(nb.MiniportReserved[3], &mdl);
    assert_int_equal(nb.DataPhysicalAddress.QuadPart, 0x123456789LL);
    assert_int_equal(RTL_FIELD_SIZE(NET_BUFFER, ProtocolReserved), 6 * sizeof(PVOID));
    assert_int_equal(RTL_FIELD_SIZE(NET_BUFFER, MiniportReserved), 4 * sizeof(PVOID));
}

static void mdl_linkage_is_an_lvalue(void **state)
{
    (void)state;
    MDL a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    NDIS_MDL_LINKAGE(&a) = &b;
    assert_ptr_equal(a.Next, &b);
    PMDL next = (PMDL)(ULONG_PTR)1;
    NdisGetNextMdl(&a, &next);
    assert_ptr_equal(next, &b);
    NdisGetNextMdl(&b, &next);
    assert_null(next);
}

/* ------------------------------------------------------------------ flags */

static void flags_ranges_do_not_overlap_and_cover_32_bits(void **state)
{
    (void)state;
    const ULONG ranges[] = {NBL_FLAGS_PROTOCOL_RESERVED, NBL_FLAGS_SCRATCH, NBL_FLAGS_MINIPORT_RESERVED,
                            NBL_FLAGS_NDIS_RESERVED};
    ULONG all = 0;
    for (size_t i = 0; i < 4; i++) {
        for (size_t j = i + 1; j < 4; j++)
            assert_int_equal(ranges[i] & ranges[j], 0);
        all |= ranges[i];
    }
    assert_int_equal(all, 0xFFFFFFFFu);
    assert_int_equal(NBL_FLAGS_PROTOCOL_RESERVED, 0xFFF00000u);
    assert_int_equal(NBL_FLAGS_SCRATCH, 0x000F0000u);
    assert_int_equal(NBL_FLAGS_MINIPORT_RESERVED, 0x0000F000u);
    assert_int_equal(NBL_FLAGS_NDIS_RESERVED, 0x00000FFFu);
}

static void nbl_flag_values_are_the_documented_ones(void **state)
{
    (void)state;
    assert_int_equal(NDIS_NBL_FLAGS_SEND_READ_ONLY, 0x00000001);
    assert_int_equal(NDIS_NBL_FLAGS_RECV_READ_ONLY, 0x00000002);
    assert_int_equal(NDIS_NBL_FLAGS_IS_IPV4, 0x00000200);
    assert_int_equal(NDIS_NBL_FLAGS_IS_IPV6, 0x00000400);
    assert_int_equal(NDIS_NBL_FLAGS_IS_TCP, 0x00000800);
    assert_int_equal(NDIS_NBL_FLAGS_IS_UDP, 0x00001000);
    assert_int_equal(NDIS_NBL_FLAGS_IS_LOOPBACK_PACKET, 0x00008000);
}

static void set_clear_and_test_nbl_flags(void **state)
{
    (void)state;
    NET_BUFFER_LIST nbl;
    memset(&nbl, 0, sizeof(nbl));
    nbl.Flags = 0xFFFFFFFFu; /* NblFlags macros must not touch Flags */

    NdisSetNblFlag(&nbl, NDIS_NBL_FLAGS_IS_IPV4);
    NdisSetNblFlag(&nbl, NDIS_NBL_FLAGS_IS_TCP);
    assert_int_equal(nbl.NblFlags, NDIS_NBL_FLAGS_IS_IPV4 | NDIS_NBL_FLAGS_IS_TCP);
    assert_true(NdisTestNblFlag(&nbl, NDIS_NBL_FLAGS_IS_IPV4));
    assert_false(NdisTestNblFlag(&nbl, NDIS_NBL_FLAGS_IS_IPV6));
    /* TestNblFlag: any of the bits; TestNblFlags: all of them. */
    assert_true(NdisTestNblFlag(&nbl, NDIS_NBL_FLAGS_IS_IPV6 | NDIS_NBL_FLAGS_IS_TCP));
    assert_true(NdisTestNblFlags(&nbl, NDIS_NBL_FLAGS_IS_IPV4 | NDIS_NBL_FLAGS_IS_TCP));
    assert_false(NdisTestNblFlags(&nbl, NDIS_NBL_FLAGS_IS_IPV4 | NDIS_NBL_FLAGS_IS_UDP));

    NdisClearNblFlag(&nbl, NDIS_NBL_FLAGS_IS_IPV4);
    assert_int_equal(nbl.NblFlags, NDIS_NBL_FLAGS_IS_TCP);
    assert_false(NdisTestNblFlag(&nbl, NDIS_NBL_FLAGS_IS_IPV4));
    assert_int_equal(nbl.Flags, 0xFFFFFFFFu);
}

/* -------------------------------------------------------------- info slots */

static void cancel_id_round_trips(void **state)
{
    (void)state;
    NET_BUFFER_LIST nbl;
    memset(&nbl, 0, sizeof(nbl));
    NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(&nbl, (PVOID)(ULONG_PTR)0xC0FFEE);
    assert_ptr_equal(NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(&nbl), (PVOID)(ULONG_PTR)0xC0FFEE);
    assert_ptr_equal(nbl.NetBufferListInfo[NetBufferListCancelId], (PVOID)(ULONG_PTR)0xC0FFEE);
}

static void hash_value_type_and_function_round_trip_independently(void **state)
{
    (void)state;
    NET_BUFFER_LIST nbl;
    memset(&nbl, 0, sizeof(nbl));

    NET_BUFFER_LIST_SET_HASH_VALUE(&nbl, 0xDEADBEEFu);
    assert_int_equal(NET_BUFFER_LIST_GET_HASH_VALUE(&nbl), 0xDEADBEEFu);
    assert_ptr_equal(nbl.NetBufferListInfo[NetBufferListHashValue], (PVOID)(ULONG_PTR)0xDEADBEEFu);

    NET_BUFFER_LIST_SET_HASH_TYPE(&nbl, NDIS_HASH_TCP_IPV4);
    NET_BUFFER_LIST_SET_HASH_FUNCTION(&nbl, NdisHashFunctionToeplitz);
    assert_int_equal(NET_BUFFER_LIST_GET_HASH_TYPE(&nbl), NDIS_HASH_TCP_IPV4);
    assert_int_equal(NET_BUFFER_LIST_GET_HASH_FUNCTION(&nbl), NdisHashFunctionToeplitz);

    NET_BUFFER_LIST_SET_HASH_TYPE(&nbl, NDIS_HASH_IPV6);
    assert_int_equal(NET_BUFFER_LIST_GET_HASH_TYPE(&nbl), NDIS_HASH_IPV6);
    assert_int_equal(NET_BUFFER_LIST_GET_HASH_FUNCTION(&nbl), NdisHashFunctionToeplitz);
    assert_int_equal(NET_BUFFER_LIST_GET_HASH_VALUE(&nbl), 0xDEADBEEFu);
    assert_int_equal(NDIS_HASH_TYPE_MASK & NDIS_HASH_FUNCTION_MASK, 0);
}

static void info_aliases_share_a_slot(void **state)
{
    (void)state;
    NET_BUFFER_LIST nbl;
    memset(&nbl, 0, sizeof(nbl));
    const struct {
        NDIS_NET_BUFFER_LIST_INFO id, alias;
    } pairs[] = {
        {TcpIpChecksumNetBufferListInfo, TcpOffloadBytesTransferred},
        {IPsecOffloadV1NetBufferListInfo, IPsecOffloadV2NetBufferListInfo},
        {TcpLargeSendNetBufferListInfo, TcpReceiveNoPush},
        {NetBufferListFrameType, NetBufferListProtocolId},
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        NET_BUFFER_LIST_INFO(&nbl, pairs[i].id) = (PVOID)(ULONG_PTR)(0x100 + i);
        assert_ptr_equal(NET_BUFFER_LIST_INFO(&nbl, pairs[i].alias), (PVOID)(ULONG_PTR)(0x100 + i));
        assert_ptr_equal(&NET_BUFFER_LIST_INFO(&nbl, pairs[i].alias), &NET_BUFFER_LIST_INFO(&nbl, pairs[i].id));
    }
    /* The documented NDIS 6.0 slot numbers. */
    assert_int_equal(TcpIpChecksumNetBufferListInfo, 0);
    assert_int_equal(IPsecOffloadV1NetBufferListInfo, 1);
    assert_int_equal(TcpLargeSendNetBufferListInfo, 2);
    assert_int_equal(ClassificationHandleNetBufferListInfo, 3);
    assert_int_equal(Ieee8021QNetBufferListInfo, 4);
    assert_int_equal(NetBufferListCancelId, 5);
    assert_int_equal(MediaSpecificInformation, 6);
    assert_int_equal(NetBufferListFrameType, 7);
    assert_int_equal(NetBufferListHashValue, 8);
    assert_int_equal(NetBufferListHashInfo, 9);
    assert_int_equal(WfpNetBufferListInfo, 10);
}

static void info_slots_are_distinct_and_inside_the_nbl(void **state)
{
    (void)state;
    NET_BUFFER_LIST nbl;
    memset(&nbl, 0, sizeof(nbl));
    for (int id = 0; id < MaxNetBufferListInfo; id++)
        NET_BUFFER_LIST_INFO(&nbl, id) = (PVOID)(ULONG_PTR)(id + 1);
    for (int id = 0; id < MaxNetBufferListInfo; id++) {
        assert_ptr_equal(NET_BUFFER_LIST_INFO(&nbl, id), (PVOID)(ULONG_PTR)(id + 1));
        assert_true((char *)&NET_BUFFER_LIST_INFO(&nbl, id) + sizeof(PVOID) <= (char *)(&nbl + 1));
    }
}

static void protocol_id_uses_the_low_byte_of_the_frame_type_slot(void **state)
{
    (void)state;
    NET_BUFFER_LIST nbl;
    memset(&nbl, 0, sizeof(nbl));
    NET_BUFFER_LIST_INFO(&nbl, NetBufferListFrameType) = (PVOID)(ULONG_PTR)0x1122334455667700ULL;

    NdisSetNetBufferListProtocolId(&nbl, NDIS_PROTOCOL_ID_TCP_IP);
    assert_int_equal(NdisGetNetBufferListProtocolId(&nbl), NDIS_PROTOCOL_ID_TCP_IP);
    /* Only the low byte changed. */
    assert_int_equal((ULONG_PTR)NET_BUFFER_LIST_INFO(&nbl, NetBufferListFrameType), 0x1122334455667702ULL);

    NET_BUFFER_LIST_INFO(&nbl, NetBufferListFrameType) = (PVOID)(ULONG_PTR)0xAB06;
    assert_int_equal(NdisGetNetBufferListProtocolId(&nbl), NDIS_PROTOCOL_ID_IPX);
    /* No other slot is touched. */
    for (int id = 0; id < MaxNetBufferListInfo; id++)
        if (id != NetBufferListFrameType)
            assert_null(NET_BUFFER_LIST_INFO(&nbl, id));
}

/* -------------------------------------------------------------------- MDL */

struct mdl_case {
    size_t offset; /* from a page-aligned base */
    ULONG length;
    ULONG pages;
};

static const struct mdl_case mdl_cases[] = {
    {0, 0, 0},     {0, 1, 1},        {0, 4096, 1},     {0, 4097, 2},   {1, 4095, 1},
    {1, 4096, 2},  {4095, 1, 1},     {4095, 2, 2},     {100, 8192, 3}, {4000, 300, 2},
    {2048, 9000, 3}, {17, 3 * 4096, 4},
};

static void mm_initialize_mdl_describes_unaligned_buffers_across_pages(void **state)
{
    (void)state;
    UCHAR *base = aligned_alloc(PAGE_SIZE, 6 * PAGE_SIZE);
    assert_non_null(base);
    for (size_t i = 0; i < sizeof(mdl_cases) / sizeof(mdl_cases[0]); i++) {
        const struct mdl_case *c = &mdl_cases[i];
        UCHAR *va = base + PAGE_SIZE + c->offset;
        MDL mdl;
        memset(&mdl, 0xEE, sizeof(mdl));
        MmInitializeMdl(&mdl, va, c->length);

        assert_null(mdl.Next);
        assert_int_equal(mdl.MdlFlags, 0);
        assert_null(mdl.MappedSystemVa);
        assert_ptr_equal(mdl.StartVa, base + PAGE_SIZE + (c->offset & ~(PAGE_SIZE - 1)));
        assert_int_equal(mdl.ByteOffset, c->offset & (PAGE_SIZE - 1));
        assert_int_equal(mdl.ByteCount, c->length);
        assert_int_equal(ADDRESS_AND_SIZE_TO_SPAN_PAGES(va, c->length), c->pages);
        assert_int_equal(MmSizeOfMdl(va, c->length), sizeof(MDL) + c->pages * sizeof(PFN_NUMBER));
        assert_int_equal(mdl.Size, (CSHORT)MmSizeOfMdl(va, c->length));

        assert_ptr_equal(MmGetMdlVirtualAddress(&mdl), va);
        assert_int_equal(MmGetMdlByteOffset(&mdl), BYTE_OFFSET(va));
        assert_int_equal(MmGetMdlByteCount(&mdl), c->length);
        assert_ptr_equal(MmGetMdlBaseVa(&mdl), PAGE_ALIGN(va));
        /* Unbuilt: the system address is still the buffer start. */
        assert_ptr_equal(MmGetSystemAddressForMdlSafe(&mdl, NormalPagePriority), va);

        MmBuildMdlForNonPagedPool(&mdl);
        assert_ptr_equal(mdl.MappedSystemVa, va);
        assert_true(mdl.MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
        assert_ptr_equal(MmGetSystemAddressForMdlSafe(&mdl, LowPagePriority), va);
        assert_ptr_equal(MmGetSystemAddressForMdl(&mdl), va);
        ULONG array_size = 0;
        NdisGetMdlPhysicalArraySize(&mdl, &array_size);
        assert_int_equal(array_size, c->pages);
    }
    free(base);
}

static void ndis_query_mdl_returns_address_and_length(void **state)
{
    (void)state;
    UCHAR *base = aligned_alloc(PAGE_SIZE, 2 * PAGE_SIZE);
    assert_non_null(base);
    UCHAR *va = base + PAGE_SIZE - 10;
    MDL mdl;
    MmInitializeMdl(&mdl, va, 30);
    MmBuildMdlForNonPagedPool(&mdl);

    PVOID got = NULL;
    ULONG length = 0;
    NdisQueryMdl(&mdl, &got, &length, NormalPagePriority);
    assert_ptr_equal(got, va);
    assert_int_equal(length, 30);

    length = 0;
    NdisQueryMdl(&mdl, NULL, &length, NormalPagePriority); /* the address is optional */
    assert_int_equal(length, 30);

    ULONG offset = 0;
    length = 0;
    NdisQueryMdlOffset(&mdl, &offset, &length);
    assert_int_equal(offset, PAGE_SIZE - 10);
    assert_int_equal(length, 30);
    free(base);
}

static void ndis_get_next_mdl_walks_a_chain(void **state)
{
    (void)state;
    UCHAR buf[64];
    MDL mdls[3];
    const ULONG lengths[3] = {10, 0, 54};
    harness_mdl_chain(mdls, 3, buf, lengths);
    PMDL cur = &mdls[0];
    size_t seen = 0;
    ULONG total = 0;
    while (cur) {
        assert_ptr_equal(cur, &mdls[seen]);
        total += MmGetMdlByteCount(cur);
        seen++;
        NdisGetNextMdl(cur, &cur);
    }
    assert_int_equal(seen, 3);
    assert_int_equal(total, 64);
    assert_ptr_equal(MmGetSystemAddressForMdlSafe(&mdls[2], NormalPagePriority), buf + 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(structure_sizes_match_windows_x64),
        HARNESS_TEST(next_links_are_at_offset_zero),
        HARNESS_TEST(documented_field_offsets_hold),
        HARNESS_TEST(data_length_and_st_data_length_share_storage),
        HARNESS_TEST(nbl_accessors_are_lvalues),
        HARNESS_TEST(nbl_context_accessors_read_the_top_block),
        HARNESS_TEST(nb_accessors_are_lvalues),
        HARNESS_TEST(mdl_linkage_is_an_lvalue),
        HARNESS_TEST(flags_ranges_do_not_overlap_and_cover_32_bits),
        HARNESS_TEST(nbl_flag_values_are_the_documented_ones),
        HARNESS_TEST(set_clear_and_test_nbl_flags),
        HARNESS_TEST(cancel_id_round_trips),
        HARNESS_TEST(hash_value_type_and_function_round_trip_independently),
        HARNESS_TEST(info_aliases_share_a_slot),
        HARNESS_TEST(info_slots_are_distinct_and_inside_the_nbl),
        HARNESS_TEST(protocol_id_uses_the_low_byte_of_the_frame_type_slot),
        HARNESS_TEST(mm_initialize_mdl_describes_unaligned_buffers_across_pages),
        HARNESS_TEST(ndis_query_mdl_returns_address_and_length),
        HARNESS_TEST(ndis_get_next_mdl_walks_a_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
