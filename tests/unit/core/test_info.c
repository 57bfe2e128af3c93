/* SPDX-License-Identifier: MIT */
/*
 * Out-of-band information (ndis-semantics.md §7): NdisCopySendNetBufferListInfo
 * and NdisCopyReceiveNetBufferListInfo copy exactly the slots their reference
 * pages list and nothing else; the documented and the ndisbuf-decided
 * aliases really share their slot; the NblFlags macros, the cancel id and
 * the RSS hash macros; and the bit-field structures overlaid on a slot
 * (checksum, large send, 802.1Q) put each documented field at the bits its
 * declaration order gives, in exactly one pointer-sized slot.
 *
 * The expected slot lists below are written from the two reference pages
 * independently of src/core/info.c, so a slip in either shows up here.
 */
#include <string.h>

#include "harness.h"

#define TAG HARNESS_TAG('T', 'I', 'n', 'f')
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------- copy subsets */

/* learn.microsoft.com .../nblapi/nf-nblapi-ndiscopysendnetbufferlistinfo */
static const NDIS_NET_BUFFER_LIST_INFO documented_send_ids[] = {
    TcpIpChecksumNetBufferListInfo,        IPsecOffloadV1NetBufferListInfo,
    TcpLargeSendNetBufferListInfo,         Ieee8021QNetBufferListInfo,
    MediaSpecificInformation,              NetBufferListCancelId,
    NetBufferListProtocolId,               IPsecOffloadV2TunnelNetBufferListInfo,
    IPsecOffloadV2HeaderNetBufferListInfo, VirtualSubnetInfo,
    NetBufferListFilteringInfo,
};

/* learn.microsoft.com .../nblapi/nf-nblapi-ndiscopyreceivenetbufferlistinfo */
static const NDIS_NET_BUFFER_LIST_INFO documented_receive_ids[] = {
    TcpIpChecksumNetBufferListInfo,        IPsecOffloadV1NetBufferListInfo,
    TcpReceiveNoPush,                      Ieee8021QNetBufferListInfo,
    MediaSpecificInformation,              NetBufferListFrameType,
    NetBufferListHashValue,                NetBufferListHashInfo,
    IPsecOffloadV2TunnelNetBufferListInfo, IPsecOffloadV2HeaderNetBufferListInfo,
    VirtualSubnetInfo,                     NetBufferListFilteringInfo,
};

typedef VOID (*copy_fn)(PNET_BUFFER_LIST, NET_BUFFER_LIST const *);

struct copy_case {
    const char *name;
    copy_fn copy;
    const NDIS_NET_BUFFER_LIST_INFO *ids;
    size_t count;
};

static const struct copy_case copy_cases[] = {
    {"NdisCopySendNetBufferListInfo", NdisCopySendNetBufferListInfo, documented_send_ids,
     COUNT(documented_send_ids)},
    {"NdisCopyReceiveNetBufferListInfo", NdisCopyReceiveNetBufferListInfo, documented_receive_ids,
     COUNT(documented_receive_ids)},
};

static bool id_listed(const struct copy_case *c, int id)
{
    for (size_t i = 0; i < c->count; i++)
        if ((int)c->ids[i] == id)
            return true;
    return false;
}

/* Distinct values per slot and per side, so any stray copy is visible. */
static PVOID src_value(int id)
{
    return (PVOID)(ULONG_PTR)(0x5A5A000000000000ULL | (ULONG_PTR)(id + 1));
}

static PVOID dst_value(int id)
{
    return (PVOID)(ULONG_PTR)(0xD0D0000000000000ULL | (ULONG_PTR)(id + 1));
}

/* Two NBLs with every field non-zero, so the copy must touch the info slots only. */
static void fill_pair(NET_BUFFER_LIST *dst, NET_BUFFER_LIST *src)
{
    memset(dst, 0xDD, sizeof(*dst));
    memset(src, 0x55, sizeof(*src));
    for (int id = 0; id < MaxNetBufferListInfo; id++) {
        NET_BUFFER_LIST_INFO(src, id) = src_value(id);
        NET_BUFFER_LIST_INFO(dst, id) = dst_value(id);
    }
}

static void check_copy_case(const struct copy_case *c)
{
    NET_BUFFER_LIST dst, src, src_before, expected;
    fill_pair(&dst, &src);
    src_before = src;
    expected = dst;
    for (int id = 0; id < MaxNetBufferListInfo; id++)
        if (id_listed(c, id))
            NET_BUFFER_LIST_INFO(&expected, id) = src_value(id);

    c->copy(&dst, &src);
    for (int id = 0; id < MaxNetBufferListInfo; id++) {
        if (NET_BUFFER_LIST_INFO(&dst, id) != NET_BUFFER_LIST_INFO(&expected, id))
            fail_msg("%s: slot %d is %p, expected %p (%s)", c->name, id, NET_BUFFER_LIST_INFO(&dst, id),
                     NET_BUFFER_LIST_INFO(&expected, id), id_listed(c, id) ? "copied" : "untouched");
    }
    assert_memory_equal(&dst, &expected, sizeof(dst));
    assert_memory_equal(&src, &src_before, sizeof(src));
    harness_expect_no_report();
}

static void send_copy_copies_exactly_the_documented_slots(void **state)
{
    (void)state;
    check_copy_case(&copy_cases[0]);
}

static void receive_copy_copies_exactly_the_documented_slots(void **state)
{
    (void)state;
    check_copy_case(&copy_cases[1]);
}

static void send_copies_cancel_id_but_not_hash_and_receive_the_reverse(void **state)
{
    (void)state;
    /* The one difference the two pages make on purpose, pinned by name. */
    NET_BUFFER_LIST dst, src;
    fill_pair(&dst, &src);
    NdisCopySendNetBufferListInfo(&dst, &src);
    assert_ptr_equal(NET_BUFFER_LIST_INFO(&dst, NetBufferListCancelId), src_value(NetBufferListCancelId));
    assert_ptr_equal(NET_BUFFER_LIST_INFO(&dst, NetBufferListHashValue), dst_value(NetBufferListHashValue));
    assert_ptr_equal(NET_BUFFER_LIST_INFO(&dst, NetBufferListHashInfo), dst_value(NetBufferListHashInfo));

    fill_pair(&dst, &src);
    NdisCopyReceiveNetBufferListInfo(&dst, &src);
    assert_ptr_equal(NET_BUFFER_LIST_INFO(&dst, NetBufferListCancelId), dst_value(NetBufferListCancelId));
    assert_ptr_equal(NET_BUFFER_LIST_INFO(&dst, NetBufferListHashValue), src_value(NetBufferListHashValue));
    assert_ptr_equal(NET_BUFFER_LIST_INFO(&dst, NetBufferListHashInfo), src_value(NetBufferListHashInfo));
}

static void copy_between_pool_nbls_carries_the_info_of_a_clone(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 16, 0, TAG);
    PNET_BUFFER_LIST orig = NdisAllocateNetBufferList(pool, 16, 0);
    PNET_BUFFER_LIST copy = NdisAllocateNetBufferList(pool, 16, 0);
    assert_non_null(orig);
    assert_non_null(copy);
    NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO csum = {.Value = NULL};
    csum.Transmit.IsIPv4 = 1;
    csum.Transmit.TcpChecksum = 1;
    NET_BUFFER_LIST_INFO(orig, TcpIpChecksumNetBufferListInfo) = csum.Value;
    NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(orig, 0x7F000042u);
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(copy);
    PNET_BUFFER_LIST_CONTEXT ctx = copy->Context;

    NdisCopySendNetBufferListInfo(copy, orig);
    assert_ptr_equal(NET_BUFFER_LIST_INFO(copy, TcpIpChecksumNetBufferListInfo), csum.Value);
    assert_int_equal((ULONG)(ULONG_PTR)NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(copy), 0x7F000042u);
    /* The protocol id is in the list too, and both came from the same pool. */
    assert_int_equal(NdisGetNetBufferListProtocolId(copy), NdisGetNetBufferListProtocolId(orig));
    assert_ptr_equal(NET_BUFFER_LIST_FIRST_NB(copy), nb);
    assert_ptr_equal(copy->Context, ctx);
    assert_ptr_equal(copy->NdisPoolHandle, pool);

    NdisFreeNetBufferList(copy);
    NdisFreeNetBufferList(orig);
    harness_free_nbl_pool(pool);
}

static void copy_with_null_arguments_copies_nothing_and_says_why(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(copy_cases); i++) {
        const struct copy_case *c = &copy_cases[i];
        NET_BUFFER_LIST nbl, before;
        memset(&nbl, 0x3C, sizeof(nbl));
        before = nbl;

        harness_diag_clear();
        c->copy(NULL, &nbl);
        assert_true(harness_diag_contains("DestNetBufferList"));
        c->copy(&nbl, NULL);
        assert_true(harness_diag_contains("SrcNetBufferList"));
        c->copy(NULL, NULL);
        assert_true(harness_diag_contains(c->name));
        assert_memory_equal(&nbl, &before, sizeof(nbl));
    }
    harness_expect_no_report();
}

/* ---------------------------------------------------------------- aliases */

static void every_alias_shares_its_slot(void **state)
{
    (void)state;
    /* Documented NDIS 6.0 aliases first, then ndisbuf's five (docs/pools.md). */
    static const struct {
        NDIS_NET_BUFFER_LIST_INFO id, alias;
    } pairs[] = {
        {TcpIpChecksumNetBufferListInfo, TcpOffloadBytesTransferred},
        {IPsecOffloadV1NetBufferListInfo, IPsecOffloadV2NetBufferListInfo},
        {TcpLargeSendNetBufferListInfo, TcpReceiveNoPush},
        {NetBufferListFrameType, NetBufferListProtocolId},
        {NblOriginalInterfaceIfIndex, NblReAuthWfpFlowContext},
        {IMReserved, TcpRecvSegCoalesceInfo},
        {IMReserved, UdpRecvSegCoalesceOffloadInfo},
        {TcpLargeSendNetBufferListInfo, UdpSegmentationOffloadInfo},
        {RscTcpTimestampDelta, TcpSendOffloadsSupplementalNetBufferListInfo},
    };
    for (size_t i = 0; i < COUNT(pairs); i++) {
        NET_BUFFER_LIST nbl;
        memset(&nbl, 0, sizeof(nbl));
        PVOID v = (PVOID)(ULONG_PTR)(0xA11A5000u + i);
        assert_int_equal(pairs[i].id, pairs[i].alias);
        NET_BUFFER_LIST_INFO(&nbl, pairs[i].alias) = v;
        assert_ptr_equal(NET_BUFFER_LIST_INFO(&nbl, pairs[i].id), v);
        assert_ptr_equal(&NET_BUFFER_LIST_INFO(&nbl, pairs[i].alias), &NET_BUFFER_LIST_INFO(&nbl, pairs[i].id));
        for (int id = 0; id < MaxNetBufferListInfo; id++)
            if (id != (int)pairs[i].id)
                assert_null(NET_BUFFER_LIST_INFO(&nbl, id));
    }
}

static void the_other_names_own_one_slot_each(void **state)
{
    (void)state;
    /* One name per slot; with the aliases above that is every name in the enum. */
    static const NDIS_NET_BUFFER_LIST_INFO owners[] = {
        TcpIpChecksumNetBufferListInfo,
        IPsecOffloadV1NetBufferListInfo,
        TcpLargeSendNetBufferListInfo,
        ClassificationHandleNetBufferListInfo,
        Ieee8021QNetBufferListInfo,
        NetBufferListCancelId,
        MediaSpecificInformation,
        NetBufferListFrameType,
        NetBufferListHashValue,
        NetBufferListHashInfo,
        WfpNetBufferListInfo,
        IPsecOffloadV2TunnelNetBufferListInfo,
        IPsecOffloadV2HeaderNetBufferListInfo,
        NetBufferListCorrelationId,
        NetBufferListFilteringInfo,
        MediaSpecificInformationEx,
        NblOriginalInterfaceIfIndex,
        TcpReceiveBytesTransferred,
        NrtNameResolutionId,
        SwitchForwardingReserved,
        SwitchForwardingDetail,
        VirtualSubnetInfo,
        IMReserved,
        RscTcpTimestampDelta,
        GftOffloadInformation,
        GftFlowEntryId,
        NetBufferListInfoReserved3,
    };
    assert_int_equal(COUNT(owners), MaxNetBufferListInfo);
    for (size_t i = 0; i < COUNT(owners); i++)
        assert_int_equal(owners[i], i);
}

/* ------------------------------------------------------------- NblFlags */

static void nbl_flag_macros_set_clear_and_test_only_their_bits(void **state)
{
    (void)state;
    static const ULONG flags[] = {
        NDIS_NBL_FLAGS_SEND_READ_ONLY, NDIS_NBL_FLAGS_RECV_READ_ONLY, NDIS_NBL_FLAGS_HD_SPLIT,
        NDIS_NBL_FLAGS_IS_IPV4,        NDIS_NBL_FLAGS_IS_IPV6,        NDIS_NBL_FLAGS_IS_TCP,
        NDIS_NBL_FLAGS_IS_UDP,         NDIS_NBL_FLAGS_IS_LOOPBACK_PACKET,
        NDIS_NBL_FLAGS_CAPTURE_TIMESTAMP_ON_TRANSMIT,
    };
    ULONG all = 0;
    for (size_t i = 0; i < COUNT(flags); i++) {
        assert_int_equal(flags[i] & (flags[i] - 1), 0); /* one bit each */
        assert_int_equal(all & flags[i], 0);            /* all distinct */
        all |= flags[i];
    }
    for (size_t i = 0; i < COUNT(flags); i++) {
        NET_BUFFER_LIST nbl;
        memset(&nbl, 0, sizeof(nbl));
        nbl.Flags = 0xFFFFFFFFu;
        nbl.NblFlags = 0x80000000u; /* a bit no flag uses, to see it kept */
        assert_int_equal(NdisTestNblFlag(&nbl, flags[i]), 0);
        NdisSetNblFlag(&nbl, flags[i]);
        assert_int_equal(nbl.NblFlags, 0x80000000u | flags[i]);
        assert_int_equal(NdisTestNblFlag(&nbl, flags[i]), 1);
        assert_int_equal(NdisTestNblFlags(&nbl, flags[i]), 1);
        NdisClearNblFlag(&nbl, flags[i]);
        assert_int_equal(nbl.NblFlags, 0x80000000u);
        assert_int_equal(nbl.Flags, 0xFFFFFFFFu);
    }
}

static void test_nbl_flags_needs_every_flag_of_the_set(void **state)
{
    (void)state;
    NET_BUFFER_LIST nbl;
    memset(&nbl, 0, sizeof(nbl));
    NdisSetNblFlag(&nbl, NDIS_NBL_FLAGS_IS_IPV6 | NDIS_NBL_FLAGS_IS_UDP);
    assert_int_equal(NdisTestNblFlags(&nbl, NDIS_NBL_FLAGS_IS_IPV6 | NDIS_NBL_FLAGS_IS_UDP), 1);
    assert_int_equal(NdisTestNblFlags(&nbl, NDIS_NBL_FLAGS_IS_IPV6 | NDIS_NBL_FLAGS_IS_TCP), 0);
    /* NdisTestNblFlag on a set asks for any of them. */
    assert_int_equal(NdisTestNblFlag(&nbl, NDIS_NBL_FLAGS_IS_IPV6 | NDIS_NBL_FLAGS_IS_TCP), 1);
    NdisClearNblFlag(&nbl, NDIS_NBL_FLAGS_IS_IPV6 | NDIS_NBL_FLAGS_IS_UDP);
    assert_int_equal(nbl.NblFlags, 0);
}

/* -------------------------------------------------------------- cancel id */

static void cancel_id_round_trips_in_its_own_slot(void **state)
{
    (void)state;
    /* A ULONG id whose high-order byte is a partial cancel id, and a pointer-sized one. */
    const ULONG_PTR ids[] = {0xA5000123u, 0x01u, 0xFFFFFFFFu, (ULONG_PTR)0x8000000012345678ULL};
    for (size_t i = 0; i < COUNT(ids); i++) {
        NET_BUFFER_LIST nbl;
        memset(&nbl, 0, sizeof(nbl));
        NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(&nbl, ids[i]);
        assert_int_equal((ULONG_PTR)NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(&nbl), ids[i]);
        assert_int_equal((ULONG_PTR)NET_BUFFER_LIST_INFO(&nbl, NetBufferListCancelId), ids[i]);
        for (int id = 0; id < MaxNetBufferListInfo; id++)
            if (id != NetBufferListCancelId)
                assert_null(NET_BUFFER_LIST_INFO(&nbl, id));
    }
    NET_BUFFER_LIST nbl;
    memset(&nbl, 0, sizeof(nbl));
    NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(&nbl, (ULONG)0x42000007u);
    assert_int_equal((ULONG)(ULONG_PTR)NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(&nbl), 0x42000007u);
}

/* ------------------------------------------------------------------ hash */

static void hash_value_round_trips_as_a_ulong(void **state)
{
    (void)state;
    const ULONG values[] = {0, 1, 0x7FFFFFFFu, 0x80000000u, 0xDEADBEEFu, 0xFFFFFFFFu};
    for (size_t i = 0; i < COUNT(values); i++) {
        NET_BUFFER_LIST nbl;
        memset(&nbl, 0, sizeof(nbl));
        NET_BUFFER_LIST_SET_HASH_VALUE(&nbl, values[i]);
        assert_int_equal(NET_BUFFER_LIST_GET_HASH_VALUE(&nbl), values[i]);
        assert_int_equal((ULONG_PTR)NET_BUFFER_LIST_INFO(&nbl, NetBufferListHashValue), values[i]);
        assert_null(NET_BUFFER_LIST_INFO(&nbl, NetBufferListHashInfo));
    }
    /* A wider argument is cut to the documented ULONG. */
    NET_BUFFER_LIST nbl;
    memset(&nbl, 0, sizeof(nbl));
    NET_BUFFER_LIST_SET_HASH_VALUE(&nbl, 0x123456789ULL);
    assert_int_equal((ULONG_PTR)NET_BUFFER_LIST_INFO(&nbl, NetBufferListHashValue), 0x23456789u);
}

static void hash_type_and_function_round_trip_without_touching_each_other(void **state)
{
    (void)state;
    static const ULONG types[] = {
        NDIS_HASH_IPV4,     NDIS_HASH_TCP_IPV4,    NDIS_HASH_IPV6,
        NDIS_HASH_IPV6_EX,  NDIS_HASH_TCP_IPV6,    NDIS_HASH_TCP_IPV6_EX,
        NDIS_HASH_UDP_IPV4, NDIS_HASH_UDP_IPV6,    NDIS_HASH_UDP_IPV6_EX,
        NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4 | NDIS_HASH_IPV6 | NDIS_HASH_TCP_IPV6,
    };
    static const ULONG functions[] = {NdisHashFunctionToeplitz, NdisHashFunctionReserved1,
                                      NdisHashFunctionReserved2, NdisHashFunctionReserved3};
    for (size_t t = 0; t < COUNT(types); t++) {
        for (size_t f = 0; f < COUNT(functions); f++) {
            NET_BUFFER_LIST nbl;
            memset(&nbl, 0, sizeof(nbl));
            NET_BUFFER_LIST_SET_HASH_VALUE(&nbl, 0xCAFEF00Du);
            NET_BUFFER_LIST_SET_HASH_FUNCTION(&nbl, functions[f]);
            NET_BUFFER_LIST_SET_HASH_TYPE(&nbl, types[t]);
            assert_int_equal(NET_BUFFER_LIST_GET_HASH_TYPE(&nbl), types[t]);
            assert_int_equal(NET_BUFFER_LIST_GET_HASH_FUNCTION(&nbl), functions[f]);
            assert_int_equal((ULONG_PTR)NET_BUFFER_LIST_INFO(&nbl, NetBufferListHashInfo),
                             NDIS_RSS_HASH_INFO_FROM_TYPE_AND_FUNC(types[t], functions[f]));
            assert_int_equal(NET_BUFFER_LIST_GET_HASH_VALUE(&nbl), 0xCAFEF00Du);
        }
    }
}

static void hash_setters_mask_to_their_own_field(void **state)
{
    (void)state;
    NET_BUFFER_LIST nbl;
    memset(&nbl, 0, sizeof(nbl));
    NET_BUFFER_LIST_SET_HASH_FUNCTION(&nbl, NdisHashFunctionToeplitz);
    /* Function bits and bits above the type mask in a type are dropped. */
    NET_BUFFER_LIST_SET_HASH_TYPE(&nbl, 0xFF0000FFu | NDIS_HASH_TCP_IPV6);
    assert_int_equal(NET_BUFFER_LIST_GET_HASH_TYPE(&nbl), NDIS_HASH_TCP_IPV6);
    assert_int_equal(NET_BUFFER_LIST_GET_HASH_FUNCTION(&nbl), NdisHashFunctionToeplitz);
    /* Type bits in a function are dropped. */
    NET_BUFFER_LIST_SET_HASH_FUNCTION(&nbl, 0xFFFFFF00u | NdisHashFunctionReserved2);
    assert_int_equal(NET_BUFFER_LIST_GET_HASH_FUNCTION(&nbl), NdisHashFunctionReserved2);
    assert_int_equal(NET_BUFFER_LIST_GET_HASH_TYPE(&nbl), NDIS_HASH_TCP_IPV6);
    /* The getters ignore whatever else a driver left in the slot. */
    NET_BUFFER_LIST_INFO(&nbl, NetBufferListHashInfo) = (PVOID)(ULONG_PTR)0xAB000401u;
    assert_int_equal(NET_BUFFER_LIST_GET_HASH_TYPE(&nbl), NDIS_HASH_IPV6);
    assert_int_equal(NET_BUFFER_LIST_GET_HASH_FUNCTION(&nbl), NdisHashFunctionToeplitz);
    for (int id = 0; id < MaxNetBufferListInfo; id++)
        if (id != NetBufferListHashInfo)
            assert_null(NET_BUFFER_LIST_INFO(&nbl, id));
}

static void hash_info_helpers_split_what_they_combine(void **state)
{
    (void)state;
    assert_int_equal(NDIS_HASH_FUNCTION_MASK, 0x000000FFu);
    assert_int_equal(NDIS_HASH_TYPE_MASK, 0x00FFFF00u);
    ULONG info = NDIS_RSS_HASH_INFO_FROM_TYPE_AND_FUNC(NDIS_HASH_UDP_IPV6_EX | NDIS_HASH_IPV4,
                                                       NdisHashFunctionReserved3);
    assert_int_equal(NDIS_RSS_HASH_TYPE_FROM_HASH_INFO(info), NDIS_HASH_UDP_IPV6_EX | NDIS_HASH_IPV4);
    assert_int_equal(NDIS_RSS_HASH_FUNC_FROM_HASH_INFO(info), NdisHashFunctionReserved3);
}

/* ------------------------------------------------ bit-field info structures */

/*
 * Sets one bit field of a zeroed info structure and compares the packed
 * slot value. Bit positions follow the documented declaration order, first
 * member in the lowest bits.
 */
#define EXPECT_PACKED(type, view, field, value, expected)                 \
    do {                                                                  \
        type info_;                                                       \
        memset(&info_, 0, sizeof(info_));                                 \
        info_.view.field = (value);                                       \
        assert_int_equal((ULONG_PTR)info_.Value, (ULONG_PTR)(expected));  \
    } while (0)

static void checksum_transmit_fields_land_on_their_documented_bits(void **state)
{
    (void)state;
    typedef NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO T;
    EXPECT_PACKED(T, Transmit, IsIPv4, 1, 1u << 0);
    EXPECT_PACKED(T, Transmit, IsIPv6, 1, 1u << 1);
    EXPECT_PACKED(T, Transmit, TcpChecksum, 1, 1u << 2);
    EXPECT_PACKED(T, Transmit, UdpChecksum, 1, 1u << 3);
    EXPECT_PACKED(T, Transmit, IpHeaderChecksum, 1, 1u << 4);
    EXPECT_PACKED(T, Transmit, Reserved, 0x7FF, 0x7FFu << 5);
    EXPECT_PACKED(T, Transmit, TcpHeaderOffset, 0x3FF, 0x3FFu << 16);
    EXPECT_PACKED(T, Transmit, TcpHeaderOffset, 54, 54u << 16);

    T all;
    all.Value = (PVOID)(ULONG_PTR)0xFFFFFFFFu;
    assert_int_equal(all.Transmit.TcpHeaderOffset, 0x3FF);
    assert_int_equal(all.Transmit.Reserved, 0x7FF);
}

static void checksum_receive_fields_land_on_their_documented_bits(void **state)
{
    (void)state;
    typedef NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO T;
    EXPECT_PACKED(T, Receive, TcpChecksumFailed, 1, 1u << 0);
    EXPECT_PACKED(T, Receive, UdpChecksumFailed, 1, 1u << 1);
    EXPECT_PACKED(T, Receive, IpChecksumFailed, 1, 1u << 2);
    EXPECT_PACKED(T, Receive, TcpChecksumSucceeded, 1, 1u << 3);
    EXPECT_PACKED(T, Receive, UdpChecksumSucceeded, 1, 1u << 4);
    EXPECT_PACKED(T, Receive, IpChecksumSucceeded, 1, 1u << 5);
    EXPECT_PACKED(T, Receive, Loopback, 1, 1u << 6);
    EXPECT_PACKED(T, Receive, TcpChecksumValueInvalid, 1, 1u << 7);
    EXPECT_PACKED(T, Receive, IpChecksumValueInvalid, 1, 1u << 8);
}

static void large_send_fields_land_on_their_documented_bits(void **state)
{
    (void)state;
    typedef NDIS_TCP_LARGE_SEND_OFFLOAD_NET_BUFFER_LIST_INFO T;
    EXPECT_PACKED(T, Transmit, Unused, 0x3FFFFFFF, 0x3FFFFFFFu);
    EXPECT_PACKED(T, Transmit, Type, NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE, 1u << 30);
    EXPECT_PACKED(T, Transmit, Reserved2, 1, 1u << 31);
    EXPECT_PACKED(T, LsoV1Transmit, MSS, 0xFFFFF, 0xFFFFFu);
    EXPECT_PACKED(T, LsoV1Transmit, MSS, 1460, 1460u);
    EXPECT_PACKED(T, LsoV1Transmit, TcpHeaderOffset, 0x3FF, 0x3FFu << 20);
    EXPECT_PACKED(T, LsoV1Transmit, Type, 1, 1u << 30);
    EXPECT_PACKED(T, LsoV1Transmit, Reserved2, 1, 1u << 31);
    EXPECT_PACKED(T, LsoV1TransmitComplete, TcpPayload, 0x3FFFFFFF, 0x3FFFFFFFu);
    EXPECT_PACKED(T, LsoV1TransmitComplete, Type, 1, 1u << 30);
    EXPECT_PACKED(T, LsoV2Transmit, MSS, 9000, 9000u);
    EXPECT_PACKED(T, LsoV2Transmit, TcpHeaderOffset, 34, 34u << 20);
    EXPECT_PACKED(T, LsoV2Transmit, Type, 1, 1u << 30);
    EXPECT_PACKED(T, LsoV2Transmit, IPVersion, NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6, 1u << 31);
    EXPECT_PACKED(T, LsoV2TransmitComplete, Reserved, 0x3FFFFFFF, 0x3FFFFFFFu);
    EXPECT_PACKED(T, LsoV2TransmitComplete, Type, 1, 1u << 30);
    EXPECT_PACKED(T, LsoV2TransmitComplete, Reserved2, 1, 1u << 31);

    /* Type is the same bit in every view: Transmit.Type tells v1 from v2. */
    T lso;
    memset(&lso, 0, sizeof(lso));
    lso.LsoV2Transmit.Type = NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE;
    lso.LsoV2Transmit.MSS = 1440;
    assert_int_equal(lso.Transmit.Type, NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE);
    assert_int_equal(lso.LsoV1Transmit.MSS, 1440);
    assert_int_equal(NDIS_TCP_LARGE_SEND_OFFLOAD_V1_TYPE, 0);
    assert_int_equal(NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4, 0);
}

static void ieee8021q_fields_land_on_their_documented_bits(void **state)
{
    (void)state;
    typedef NDIS_NET_BUFFER_LIST_8021Q_INFO T;
    EXPECT_PACKED(T, TagHeader, UserPriority, 7, 7u << 0);
    EXPECT_PACKED(T, TagHeader, CanonicalFormatId, 1, 1u << 3);
    EXPECT_PACKED(T, TagHeader, VlanId, 0xFFF, 0xFFFu << 4);
    EXPECT_PACKED(T, TagHeader, VlanId, 100, 100u << 4);
    EXPECT_PACKED(T, TagHeader, Reserved, 0xFFFF, 0xFFFFu << 16);
    EXPECT_PACKED(T, WLanTagHeader, UserPriority, 5, 5u << 0);
    EXPECT_PACKED(T, WLanTagHeader, CanonicalFormatId, 1, 1u << 3);
    EXPECT_PACKED(T, WLanTagHeader, VlanId, 0xABC, 0xABCu << 4);
    EXPECT_PACKED(T, WLanTagHeader, WMMInfo, 0xF, 0xFu << 16);
    EXPECT_PACKED(T, WLanTagHeader, Reserved, 0xFFF, 0xFFFu << 20);

    /* The two views agree on the shared fields. */
    T tag;
    tag.Value = (PVOID)(ULONG_PTR)((3u << 0) | (42u << 4) | (6u << 16));
    assert_int_equal(tag.TagHeader.UserPriority, 3);
    assert_int_equal(tag.TagHeader.VlanId, 42);
    assert_int_equal(tag.WLanTagHeader.VlanId, 42);
    assert_int_equal(tag.WLanTagHeader.WMMInfo, 6);
    assert_int_equal(tag.TagHeader.Reserved, 6);
}

static void info_structures_are_one_slot_and_round_trip_through_it(void **state)
{
    (void)state;
    assert_int_equal(sizeof(NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO), sizeof(PVOID));
    assert_int_equal(sizeof(NDIS_TCP_LARGE_SEND_OFFLOAD_NET_BUFFER_LIST_INFO), sizeof(PVOID));
    assert_int_equal(sizeof(NDIS_NET_BUFFER_LIST_8021Q_INFO), sizeof(PVOID));
    assert_int_equal(_Alignof(NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO), _Alignof(PVOID));
    assert_int_equal(_Alignof(NDIS_TCP_LARGE_SEND_OFFLOAD_NET_BUFFER_LIST_INFO), _Alignof(PVOID));
    assert_int_equal(_Alignof(NDIS_NET_BUFFER_LIST_8021Q_INFO), _Alignof(PVOID));

    NET_BUFFER_LIST nbl;
    memset(&nbl, 0, sizeof(nbl));
    NDIS_NET_BUFFER_LIST_8021Q_INFO q;
    memset(&q, 0, sizeof(q));
    q.TagHeader.VlanId = 4094;
    q.TagHeader.UserPriority = 6;
    NET_BUFFER_LIST_INFO(&nbl, Ieee8021QNetBufferListInfo) = q.Value;
    NDIS_NET_BUFFER_LIST_8021Q_INFO back;
    back.Value = NET_BUFFER_LIST_INFO(&nbl, Ieee8021QNetBufferListInfo);
    assert_int_equal(back.TagHeader.VlanId, 4094);
    assert_int_equal(back.TagHeader.UserPriority, 6);
    assert_int_equal(back.TagHeader.CanonicalFormatId, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(send_copy_copies_exactly_the_documented_slots),
        HARNESS_TEST(receive_copy_copies_exactly_the_documented_slots),
        HARNESS_TEST(send_copies_cancel_id_but_not_hash_and_receive_the_reverse),
        HARNESS_TEST(copy_between_pool_nbls_carries_the_info_of_a_clone),
        HARNESS_TEST(copy_with_null_arguments_copies_nothing_and_says_why),
        HARNESS_TEST(every_alias_shares_its_slot),
        HARNESS_TEST(the_other_names_own_one_slot_each),
        HARNESS_TEST(nbl_flag_macros_set_clear_and_test_only_their_bits),
        HARNESS_TEST(test_nbl_flags_needs_every_flag_of_the_set),
        HARNESS_TEST(cancel_id_round_trips_in_its_own_slot),
        HARNESS_TEST(hash_value_round_trips_as_a_ulong),
        HARNESS_TEST(hash_type_and_function_round_trip_without_touching_each_other),
        HARNESS_TEST(hash_setters_mask_to_their_own_field),
        HARNESS_TEST(hash_info_helpers_split_what_they_combine),
        HARNESS_TEST(checksum_transmit_fields_land_on_their_documented_bits),
        HARNESS_TEST(checksum_receive_fields_land_on_their_documented_bits),
        HARNESS_TEST(large_send_fields_land_on_their_documented_bits),
        HARNESS_TEST(ieee8021q_fields_land_on_their_documented_bits),
        HARNESS_TEST(info_structures_are_one_slot_and_round_trip_through_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
