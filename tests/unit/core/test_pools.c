/* SPDX-License-Identifier: MIT */
/*
 * NET_BUFFER_LIST and NET_BUFFER pools (ndis-semantics.md §2): creation
 * with good and bad parameters (each bad one gives NULL and a diagnostic
 * naming the field), the NULL driver handle decision, freeing a pool with
 * objects outstanding (reported, pool kept and still usable), freeing bad
 * handles, the statistics, growth, and many pools at once.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define TAG_NBL HARNESS_TAG('T', 's', 't', 'P')
#define TAG_NB HARNESS_TAG('N', 'b', 'P', 'l')

/* ------------------------------------------------------------ valid pools */

static void valid_nbl_pools_are_created_and_freed(void **state)
{
    (void)state;
    const struct {
        BOOLEAN with_nb;
        USHORT context;
        ULONG data;
    } cases[] = {{FALSE, 0, 0}, {TRUE, 0, 0}, {TRUE, 64, 0}, {FALSE, 8, 0}, {TRUE, 16, 2048}, {TRUE, 0, 1}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        NDIS_HANDLE pool = harness_nbl_pool(cases[i].with_nb, cases[i].context, cases[i].data, TAG_NBL);
        assert_int_equal(ndisbuf_live_pool_count(), 1);
        NDISBUF_POOL_STATS stats = harness_stats(pool);
        assert_int_equal(stats.PoolTag, TAG_NBL);
        assert_int_equal(stats.Outstanding, 0);
        assert_int_equal(stats.Allocations, 0);
        assert_true(stats.ElementSize >= sizeof(NET_BUFFER_LIST) + cases[i].context +
                                             (cases[i].with_nb ? sizeof(NET_BUFFER) : 0) + cases[i].data);
        harness_free_nbl_pool(pool);
    }
    harness_expect_no_report();
}

static void valid_nb_pools_are_created_and_freed(void **state)
{
    (void)state;
    const ULONG sizes[] = {0, 1, 1514, 65536};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        NDIS_HANDLE pool = harness_nb_pool(sizes[i]);
        NDISBUF_POOL_STATS stats = harness_stats(pool);
        assert_int_equal(stats.Outstanding, 0);
        assert_true(stats.ElementSize >= sizeof(NET_BUFFER) + sizes[i]);
        harness_free_nb_pool(pool);
    }
}

static void revision_2_parameters_with_zero_flags_are_accepted(void **state)
{
    (void)state;
    NET_BUFFER_LIST_POOL_PARAMETERS params;
    harness_nbl_pool_params(&params, TRUE, 0, 0, TAG_NBL);
    params.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_2;
    params.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_2;
    params.Flags = 0;
    NDIS_HANDLE pool = NdisAllocateNetBufferListPool(NULL, &params);
    assert_non_null(pool);
    harness_free_nbl_pool(pool);
}

static void highest_protocol_id_is_accepted(void **state)
{
    (void)state;
    NET_BUFFER_LIST_POOL_PARAMETERS params;
    harness_nbl_pool_params(&params, TRUE, 0, 0, TAG_NBL);
    params.ProtocolId = NDIS_PROTOCOL_ID_MAX;
    NDIS_HANDLE pool = NdisAllocateNetBufferListPool(NULL, &params);
    assert_non_null(pool);
    harness_free_nbl_pool(pool);
}

static void pool_parameters_are_only_read(void **state)
{
    (void)state;
    NET_BUFFER_LIST_POOL_PARAMETERS params, copy;
    harness_nbl_pool_params(&params, TRUE, 32, 128, TAG_NBL);
    copy = params;
    NDIS_HANDLE pool = NdisAllocateNetBufferListPool(NULL, &params);
    assert_non_null(pool);
    assert_memory_equal(&params, &copy, sizeof(params));
    harness_free_nbl_pool(pool);
}

/* -------------------------------------------------------- bad parameters */

struct bad_nbl_case {
    const char *what;
    void (*spoil)(NET_BUFFER_LIST_POOL_PARAMETERS *p);
    const char *field; /* the diagnostic must name it */
};

static void spoil_type(NET_BUFFER_LIST_POOL_PARAMETERS *p) { p->Header.Type = 0; }
static void spoil_revision(NET_BUFFER_LIST_POOL_PARAMETERS *p) { p->Header.Revision = 0; }
static void spoil_size(NET_BUFFER_LIST_POOL_PARAMETERS *p)
{
    p->Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1 - 1;
}
static void spoil_protocol_id(NET_BUFFER_LIST_POOL_PARAMETERS *p) { p->ProtocolId = NDIS_PROTOCOL_ID_MAX + 1; }
static void spoil_context_size(NET_BUFFER_LIST_POOL_PARAMETERS *p) { p->ContextSize = 12; }
static void spoil_context_size_odd(NET_BUFFER_LIST_POOL_PARAMETERS *p) { p->ContextSize = 1; }
static void spoil_data_without_nb(NET_BUFFER_LIST_POOL_PARAMETERS *p)
{
    p->fAllocateNetBuffer = FALSE;
    p->DataSize = 2048;
}
static void spoil_revision_2_flags(NET_BUFFER_LIST_POOL_PARAMETERS *p)
{
    p->Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_2;
    p->Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_2;
    p->Flags = 1;
}
static void spoil_revision_2_size(NET_BUFFER_LIST_POOL_PARAMETERS *p)
{
    p->Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_2;
    p->Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
}

static void spoil_data_size_over_limit(NET_BUFFER_LIST_POOL_PARAMETERS *p) { p->DataSize = 0xFFFFFFFFu; }

static const struct bad_nbl_case bad_nbl_cases[] = {
    {"Type 0", spoil_type, "Header.Type"},
    {"Revision 0", spoil_revision, "Header.Revision"},
    {"Size below revision 1", spoil_size, "Header.Size"},
    {"ProtocolId above max", spoil_protocol_id, "ProtocolId"},
    {"ContextSize 12", spoil_context_size, "ContextSize"},
    {"ContextSize 1", spoil_context_size_odd, "ContextSize"},
    {"DataSize without fAllocateNetBuffer", spoil_data_without_nb, "DataSize"},
    {"revision 2 with Flags", spoil_revision_2_flags, "Flags"},
    {"revision 2 with revision 1's size", spoil_revision_2_size, "Header.Size"},
    {"DataSize over ndisbuf's limit", spoil_data_size_over_limit, "DataSize"},
};

static void each_bad_nbl_pool_parameter_gives_null_and_names_the_field(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_nbl_cases) / sizeof(bad_nbl_cases[0]); i++) {
        NET_BUFFER_LIST_POOL_PARAMETERS params;
        harness_nbl_pool_params(&params, TRUE, 16, 0, TAG_NBL);
        bad_nbl_cases[i].spoil(&params);
        print_message("case: %s\n", bad_nbl_cases[i].what);
        assert_null(NdisAllocateNetBufferListPool(NULL, &params));
        assert_true(harness_diag_contains(bad_nbl_cases[i].field));
        assert_contains(ndisbuf_last_diagnostic(), bad_nbl_cases[i].field);
        assert_contains(ndisbuf_last_diagnostic(), "NdisAllocateNetBufferListPool");
    }
    assert_int_equal(ndisbuf_live_pool_count(), 0);
}

static void data_size_without_net_buffer_names_both_fields(void **state)
{
    (void)state;
    NET_BUFFER_LIST_POOL_PARAMETERS params;
    harness_nbl_pool_params(&params, FALSE, 0, 512, TAG_NBL);
    assert_null(NdisAllocateNetBufferListPool(NULL, &params));
    assert_true(harness_diag_contains("fAllocateNetBuffer"));
    assert_contains(ndisbuf_last_diagnostic(), "DataSize");
}

static void null_nbl_pool_parameters_give_null_and_a_diagnostic(void **state)
{
    (void)state;
    assert_null(NdisAllocateNetBufferListPool(NULL, NULL));
    assert_true(harness_diag_contains("Parameters"));
}

static void each_bad_nb_pool_parameter_gives_null_and_names_the_field(void **state)
{
    (void)state;
    NET_BUFFER_POOL_PARAMETERS params;

    assert_null(NdisAllocateNetBufferPool(NULL, NULL));
    assert_true(harness_diag_contains("Parameters"));

    harness_nb_pool_params(&params, 0, TAG_NB);
    params.Header.Type = NDIS_OBJECT_TYPE_BIND_PARAMETERS;
    assert_null(NdisAllocateNetBufferPool(NULL, &params));
    assert_true(harness_diag_contains("Header.Type"));

    harness_nb_pool_params(&params, 0, TAG_NB);
    params.Header.Revision = 0;
    assert_null(NdisAllocateNetBufferPool(NULL, &params));
    assert_true(harness_diag_contains("Header.Revision"));

    harness_nb_pool_params(&params, 0, TAG_NB);
    params.Header.Size = NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1 - 4;
    assert_null(NdisAllocateNetBufferPool(NULL, &params));
    assert_true(harness_diag_contains("Header.Size"));
    assert_int_equal(ndisbuf_live_pool_count(), 0);
}

static void null_and_non_null_ndis_handles_are_accepted(void **state)
{
    (void)state;
    int driver_handle_storage;
    NET_BUFFER_LIST_POOL_PARAMETERS nbl_params;
    NET_BUFFER_POOL_PARAMETERS nb_params;
    harness_nbl_pool_params(&nbl_params, TRUE, 0, 0, TAG_NBL);
    harness_nb_pool_params(&nb_params, 0, TAG_NB);

    NDIS_HANDLE a = NdisAllocateNetBufferListPool(NULL, &nbl_params);
    NDIS_HANDLE b = NdisAllocateNetBufferListPool(&driver_handle_storage, &nbl_params);
    NDIS_HANDLE c = NdisAllocateNetBufferPool(NULL, &nb_params);
    NDIS_HANDLE d = NdisAllocateNetBufferPool(&driver_handle_storage, &nb_params);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_non_null(d);
    assert_int_equal(ndisbuf_live_pool_count(), 4);

    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(b, 0, 0);
    assert_non_null(nbl);
    NdisFreeNetBufferList(nbl);

    harness_free_nbl_pool(a);
    harness_free_nbl_pool(b);
    harness_free_nb_pool(c);
    harness_free_nb_pool(d);
}

/* ------------------------------------------------------------ freeing pools */

static void free_pool_with_outstanding_nbl_is_reported_and_keeps_pool(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG_NBL);
    PNET_BUFFER_LIST nbls[3];
    for (int i = 0; i < 3; i++) {
        nbls[i] = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, NULL, 0, 0);
        assert_non_null(nbls[i]);
    }

    NdisFreeNetBufferListPool(pool);
    const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_POOL_NOT_EMPTY);
    assert_ptr_equal(r->parameters[0], pool);
    assert_int_equal(r->parameters[1], 3);
    assert_int_equal(r->parameters[2], TAG_NBL);
    assert_ptr_equal(r->object, pool);
    assert_string_equal(r->function, "NdisFreeNetBufferListPool");
    assert_contains(r->message, "TstP");
    assert_contains(r->message, "3");

    /* The pool is intact and usable. */
    assert_int_equal(ndisbuf_live_pool_count(), 1);
    assert_int_equal(harness_stats(pool).Outstanding, 3);
    PNET_BUFFER_LIST more = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(more);
    NdisFreeNetBufferList(more);
    for (int i = 0; i < 3; i++)
        NdisFreeNetBufferList(nbls[i]);
    harness_expect_no_report();
    harness_free_nbl_pool(pool);
}

static void free_nb_pool_with_outstanding_nb_is_reported_and_keeps_pool(void **state)
{
    (void)state;
    NET_BUFFER_POOL_PARAMETERS params;
    harness_nb_pool_params(&params, 256, TAG_NB);
    NDIS_HANDLE pool = NdisAllocateNetBufferPool(NULL, &params);
    assert_non_null(pool);
    PNET_BUFFER nb = NdisAllocateNetBufferMdlAndData(pool);
    assert_non_null(nb);

    NdisFreeNetBufferPool(pool);
    const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_POOL_NOT_EMPTY);
    assert_int_equal(r->parameters[1], 1);
    assert_contains(r->message, "NbPl");
    assert_int_equal(ndisbuf_live_pool_count(), 1);

    NdisFreeNetBuffer(nb);
    harness_free_nb_pool(pool);
}

static void freeing_an_unknown_handle_is_reported_invalid_handle(void **state)
{
    (void)state;
    int not_a_pool = 0;
    NdisFreeNetBufferListPool(&not_a_pool);
    const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_INVALID_HANDLE);
    assert_ptr_equal(r->parameters[0], &not_a_pool);
    NdisFreeNetBufferPool(&not_a_pool);
    harness_expect_report(NDISBUF_REPORT_INVALID_HANDLE);
}

static void freeing_a_pool_twice_is_reported_invalid_handle(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(FALSE, 0, 0, TAG_NBL);
    harness_free_nbl_pool(pool);
    NdisFreeNetBufferListPool(pool);
    harness_expect_report(NDISBUF_REPORT_INVALID_HANDLE);

    NDIS_HANDLE nb_pool = harness_nb_pool(0);
    harness_free_nb_pool(nb_pool);
    NdisFreeNetBufferPool(nb_pool);
    harness_expect_report(NDISBUF_REPORT_INVALID_HANDLE);
}

static void freeing_a_null_pool_handle_is_reported_invalid_handle(void **state)
{
    (void)state;
    NdisFreeNetBufferListPool(NULL);
    harness_expect_report(NDISBUF_REPORT_INVALID_HANDLE);
    NdisFreeNetBufferPool(NULL);
    harness_expect_report(NDISBUF_REPORT_INVALID_HANDLE);
}

static void freeing_a_pool_with_the_other_kinds_call_is_reported_and_keeps_it(void **state)
{
    (void)state;
    NDIS_HANDLE nb_pool = harness_nb_pool(0);
    NDIS_HANDLE nbl_pool = harness_nbl_pool(TRUE, 0, 0, TAG_NBL);

    NdisFreeNetBufferListPool(nb_pool);
    const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_INVALID_HANDLE);
    assert_contains(r->message, "another kind");
    NdisFreeNetBufferPool(nbl_pool);
    harness_expect_report(NDISBUF_REPORT_INVALID_HANDLE);
    assert_int_equal(ndisbuf_live_pool_count(), 2);

    harness_free_nb_pool(nb_pool);
    harness_free_nbl_pool(nbl_pool);
}

/* ------------------------------------------------------------------ stats */

static void stats_count_allocations_outstanding_and_capacity(void **state)
{
    (void)state;
    enum { N = 100 };
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 16, 0, TAG_NBL);
    PNET_BUFFER_LIST nbls[N];
    for (int i = 0; i < N; i++) {
        nbls[i] = NdisAllocateNetBufferList(pool, 0, 0);
        assert_non_null(nbls[i]);
    }
    NDISBUF_POOL_STATS stats = harness_stats(pool);
    assert_int_equal(stats.Allocations, N);
    assert_int_equal(stats.Outstanding, N);
    assert_true(stats.Capacity >= N);
    assert_int_equal(stats.PoolTag, TAG_NBL);
    assert_int_equal(stats.ElementSize % 64, 0);

    for (int i = 0; i < 40; i++)
        NdisFreeNetBufferList(nbls[i]);
    stats = harness_stats(pool);
    assert_int_equal(stats.Allocations, N);
    assert_int_equal(stats.Outstanding, N - 40);

    for (int i = 40; i < N; i++)
        NdisFreeNetBufferList(nbls[i]);
    stats = harness_stats(pool);
    assert_int_equal(stats.Outstanding, 0);
    assert_int_equal(ndisbuf_outstanding_total(), 0);
    harness_free_nbl_pool(pool);
}

static void stats_of_a_bad_handle_fail_with_invalid_parameter(void **state)
{
    (void)state;
    NDISBUF_POOL_STATS stats;
    int not_a_pool = 0;
    assert_int_equal(ndisbuf_pool_get_stats(&not_a_pool, &stats), NDIS_STATUS_INVALID_PARAMETER);
    assert_true(harness_diag_contains("PoolHandle"));
    assert_int_equal(ndisbuf_pool_get_stats(NULL, &stats), NDIS_STATUS_INVALID_PARAMETER);

    NDIS_HANDLE pool = harness_nb_pool(0);
    assert_int_equal(ndisbuf_pool_get_stats(pool, NULL), NDIS_STATUS_INVALID_PARAMETER);
    harness_free_nb_pool(pool);
    assert_int_equal(ndisbuf_pool_get_stats(pool, &stats), NDIS_STATUS_INVALID_PARAMETER);
    harness_diag_clear();
}

static void outstanding_total_sums_every_pool(void **state)
{
    (void)state;
    NDIS_HANDLE a = harness_nbl_pool(TRUE, 0, 0, TAG_NBL);
    NDIS_HANDLE b = harness_nb_pool(0);
    UCHAR buf[16];
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(a, 0, 0);
    PNET_BUFFER nb = NdisAllocateNetBuffer(b, NULL, 0, 0);
    PMDL mdl = NdisAllocateMdl(NULL, buf, sizeof(buf));
    assert_non_null(nbl);
    assert_non_null(nb);
    assert_non_null(mdl);
    assert_int_equal(ndisbuf_outstanding_total(), 3);
    NdisFreeMdl(mdl);
    NdisFreeNetBuffer(nb);
    NdisFreeNetBufferList(nbl);
    assert_int_equal(ndisbuf_outstanding_total(), 0);
    harness_free_nbl_pool(a);
    harness_free_nb_pool(b);
}

/* ------------------------------------------------------------- growth, many */

static void pool_grows_past_several_thousand_elements(void **state)
{
    (void)state;
    enum { N = 12000, DATA = 128 };
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, DATA, TAG_NBL);
    PNET_BUFFER_LIST *nbls = calloc(N, sizeof(*nbls));
    assert_non_null(nbls);
    for (int i = 0; i < N; i++) {
        nbls[i] = NdisAllocateNetBufferList(pool, 0, 0);
        assert_non_null(nbls[i]);
        PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbls[i]);
        UCHAR *data = MmGetSystemAddressForMdlSafe(NET_BUFFER_FIRST_MDL(nb), NormalPagePriority);
        memset(data, (int)(i & 0xFF), DATA);
    }
    NDISBUF_POOL_STATS stats = harness_stats(pool);
    assert_true(stats.Capacity >= N);
    assert_int_equal(stats.Outstanding, N);
    /* Every element kept its own data: nothing was handed out twice. */
    for (int i = 0; i < N; i++) {
        PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbls[i]);
        UCHAR *data = MmGetSystemAddressForMdlSafe(NET_BUFFER_FIRST_MDL(nb), NormalPagePriority);
        assert_int_equal(data[0], i & 0xFF);
        assert_int_equal(data[DATA - 1], i & 0xFF);
    }
    for (int i = 0; i < N; i++)
        NdisFreeNetBufferList(nbls[i]);
    free(nbls);
    assert_int_equal(harness_stats(pool).Outstanding, 0);
    harness_free_nbl_pool(pool);
}

static void two_hundred_pools_live_at_once_are_created_and_freed(void **state)
{
    (void)state;
    enum { N = 200 };
    NDIS_HANDLE pools[N];
    PVOID objects[N];
    for (int i = 0; i < N; i++) {
        if (i % 2 == 0) {
            pools[i] = harness_nbl_pool((BOOLEAN)(i % 4 == 0), (USHORT)(8 * (i % 5)), 0, TAG_NBL + (ULONG)i);
            objects[i] = NdisAllocateNetBufferList(pools[i], 0, 0);
        } else {
            pools[i] = harness_nb_pool((ULONG)(i % 3) * 100);
            objects[i] = (i % 3) ? (PVOID)NdisAllocateNetBufferMdlAndData(pools[i])
                                 : (PVOID)NdisAllocateNetBuffer(pools[i], NULL, 0, 0);
        }
        assert_non_null(objects[i]);
    }
    assert_int_equal(ndisbuf_live_pool_count(), N);
    assert_int_equal(ndisbuf_outstanding_total(), N);
    for (int i = 0; i < N; i++) {
        if (i % 2 == 0) {
            assert_ptr_equal(NdisGetPoolFromNetBufferList(objects[i]), pools[i]);
            NdisFreeNetBufferList(objects[i]);
            harness_free_nbl_pool(pools[i]);
        } else {
            assert_ptr_equal(NdisGetPoolFromNetBuffer(objects[i]), pools[i]);
            NdisFreeNetBuffer(objects[i]);
            harness_free_nb_pool(pools[i]);
        }
    }
}

static void pool_address_space_is_reused_after_the_arena_wraps(void **state)
{
    (void)state;
    /*
     * 1 MiB elements make every pool reserve 4 GiB of arena (64 slots), so
     * 600 create/free cycles go round even a 1 TiB arena more than twice.
     * Regression: pool_destroy left the freed elements' ASan poison in the
     * shadow, so a later pool laid out over the same addresses tripped
     * use-after-poison in elem_init (caught by make test-asan).
     */
    for (int i = 0; i < 600; i++) {
        NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 1u << 20, TAG_NBL);
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
        assert_non_null(nbl);
        assert_int_equal(NET_BUFFER_DATA_LENGTH(NET_BUFFER_LIST_FIRST_NB(nbl)), 1u << 20);
        NdisFreeNetBufferList(nbl);
        NdisFreeNetBufferListPool(pool);
    }
    harness_expect_no_report();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(valid_nbl_pools_are_created_and_freed),
        HARNESS_TEST(valid_nb_pools_are_created_and_freed),
        HARNESS_TEST(revision_2_parameters_with_zero_flags_are_accepted),
        HARNESS_TEST(highest_protocol_id_is_accepted),
        HARNESS_TEST(pool_parameters_are_only_read),
        HARNESS_TEST(each_bad_nbl_pool_parameter_gives_null_and_names_the_field),
        HARNESS_TEST(data_size_without_net_buffer_names_both_fields),
        HARNESS_TEST(null_nbl_pool_parameters_give_null_and_a_diagnostic),
        HARNESS_TEST(each_bad_nb_pool_parameter_gives_null_and_names_the_field),
        HARNESS_TEST(null_and_non_null_ndis_handles_are_accepted),
        HARNESS_TEST(free_pool_with_outstanding_nbl_is_reported_and_keeps_pool),
        HARNESS_TEST(free_nb_pool_with_outstanding_nb_is_reported_and_keeps_pool),
        HARNESS_TEST(freeing_an_unknown_handle_is_reported_invalid_handle),
        HARNESS_TEST(freeing_a_pool_twice_is_reported_invalid_handle),
        HARNESS_TEST(freeing_a_null_pool_handle_is_reported_invalid_handle),
        HARNESS_TEST(freeing_a_pool_with_the_other_kinds_call_is_reported_and_keeps_it),
        HARNESS_TEST(stats_count_allocations_outstanding_and_capacity),
        HARNESS_TEST(stats_of_a_bad_handle_fail_with_invalid_parameter),
        HARNESS_TEST(outstanding_total_sums_every_pool),
        HARNESS_TEST(pool_grows_past_several_thousand_elements),
        HARNESS_TEST(two_hundred_pools_live_at_once_are_created_and_freed),
        HARNESS_TEST(pool_address_space_is_reused_after_the_arena_wraps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
