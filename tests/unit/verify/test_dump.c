/* SPDX-License-Identifier: MIT */
/*
 * The text diagnostics (docs/diagnostics.md): ndisbuf_nbl_dump shows an NBL
 * chain with its retreated data and back-fill, its context stack, the info
 * slots that are set, its MDLs and data, and what a clone derives from;
 * it refuses pointers that are no live NBL without reading them and stops
 * on lists that loop. ndisbuf_pools_dump lists a live pool with its counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define TAG HARNESS_TAG('T', 'D', 'm', 'p')

/*
 * What an open_memstream stream wrote, closed, as a copy the caller frees:
 * GCC 12 at -O3 takes the buffer itself for a pointer into the local whose
 * address open_memstream was given, and warns (-Wdangling-pointer).
 */
static char *stream_text(char *text)
{
    assert_non_null(text);
    char *copy = strdup(text);
    assert_non_null(copy);
    free(text);
    return copy;
}

/* What ndisbuf_nbl_dump writes, as a string the caller frees; asserts the count it returns. */
static char *dump_text(PNET_BUFFER_LIST nbl, ULONG flags)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    int written = ndisbuf_nbl_dump(nbl, flags, out);
    fclose(out);
    assert_int_equal(written, (int)size);
    return stream_text(text);
}

static void assert_lacks(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle))
        fail_msg("did not expect \"%s\" in:\n%s", needle, haystack);
}

static size_t occurrences(const char *haystack, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static char *address_text(const void *p)
{
    static char text[32];
    snprintf(text, sizeof(text), "%p", p);
    return text;
}

/* An NBL from a data pool holding `length` bytes 0, 1, 2, ... behind `backfill` bytes of back-fill. */
static PNET_BUFFER_LIST nbl_with_backfill(NDIS_HANDLE pool, ULONG backfill, ULONG length)
{
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(nbl);
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), backfill + length);
    NdisAdvanceNetBufferDataStart(nb, backfill, FALSE, NULL);
    UCHAR *data = NdisGetDataBuffer(nb, length, NULL, 1, 0);
    assert_non_null(data);
    for (ULONG i = 0; i < length; i++)
        data[i] = (UCHAR)i;
    return nbl;
}

/* ------------------------------------------------------------ NBL dump */

static void dump_shows_backfill_data_offset_and_mdl_split(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 64, TAG);
    PNET_BUFFER_LIST nbl = nbl_with_backfill(pool, 14, 50);
    char *text = dump_text(nbl, NDISBUF_DUMP_ALL);

    assert_contains(text, "NET_BUFFER_LIST");
    assert_contains(text, address_text(nbl));
    assert_contains(text, "'TDmp' NBL pool with NB, DataSize 64");
    assert_contains(text, "14 (back-fill: 14 bytes in front of the data)");
    assert_contains(text, "DataLength    50");
    assert_contains(text, "back-fill 14, used 50, tail 0; the pool element's own data");
    assert_contains(text, "SOURCE_IS_NONPAGED_POOL");
    assert_contains(text, "Status          NDIS_STATUS_SUCCESS (0x00000000)");
    assert_contains(text, "Data          50 bytes");
    assert_contains(text, "0000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f");
    assert_contains(text, "0030  30 31");
    assert_lacks(text, "(!)");
    free(text);

    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void retreat_into_a_new_mdl_shows_both_mdls(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 64, TAG);
    PNET_BUFFER_LIST nbl = nbl_with_backfill(pool, 4, 60);
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    /* 4 bytes of back-fill are there; 12 more come from a new MDL with 8 bytes of its own back-fill. */
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 16, 8, NULL), NDIS_STATUS_SUCCESS);
    char *text = dump_text(nbl, NDISBUF_DUMP_MDLS);

    assert_int_equal(occurrences(text, "    MDL  "), 2);
    assert_contains(text, "back-fill 8, used 12, tail 0; allocated by a retreat");
    assert_contains(text, "back-fill 0, used 64, tail 0; the pool element's own data");
    assert_contains(text, "DataLength    76");
    assert_lacks(text, "bytes\n      0000");
    assert_lacks(text, "(!)");
    free(text);

    NdisAdvanceNetBufferDataStart(nb, 16, TRUE, NULL);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void chain_is_followed_only_with_the_chain_flag(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 32, TAG);
    PNET_BUFFER_LIST first = nbl_with_backfill(pool, 0, 32), second = nbl_with_backfill(pool, 2, 30);
    NET_BUFFER_LIST_NEXT_NBL(first) = second;
    char address[32];
    snprintf(address, sizeof(address), "%p", (void *)second);

    char *one = dump_text(first, 0);
    assert_int_equal(occurrences(one, "NET_BUFFER_LIST  "), 1);
    assert_contains(one, address); /* as first's Next */
    assert_int_equal(occurrences(one, "NET_BUFFER #1"), 1);
    free(one);

    char *both = dump_text(first, NDISBUF_DUMP_CHAIN);
    assert_int_equal(occurrences(both, "NET_BUFFER_LIST  "), 2);
    assert_int_equal(occurrences(both, "NET_BUFFER #1"), 2);
    assert_contains(both, "2 (back-fill: 2 bytes in front of the data)");
    free(both);

    NET_BUFFER_LIST_NEXT_NBL(first) = NULL;
    NdisFreeNetBufferList(second);
    NdisFreeNetBufferList(first);
    harness_free_nbl_pool(pool);
}

static void context_shows_used_bytes_and_context_backfill(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 16, 0, TAG);
    /* 16 used + 32 back-fill does not fit the pool's 16: a separate 48-byte block. */
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 16, 32);
    assert_non_null(nbl);
    char *text = dump_text(nbl, 0);
    assert_contains(text, "Size 48 Offset 32: 16 used, 32 back-fill");
    free(text);

    assert_int_equal(NdisAllocateNetBufferListContext(nbl, 8, 0, TAG), NDIS_STATUS_SUCCESS);
    text = dump_text(nbl, 0);
    assert_contains(text, "Size 48 Offset 24: 24 used, 24 back-fill");
    free(text);

    NdisFreeNetBufferListContext(nbl, 8);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void nbl_without_context_says_none(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(FALSE, 0, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(nbl);
    char *text = dump_text(nbl, NDISBUF_DUMP_ALL);
    assert_contains(text, "Context         none");
    assert_contains(text, "NET_BUFFER      none");
    assert_contains(text, "'TDmp' NBL pool,");
    free(text);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void flags_and_status_are_decoded(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(nbl);
    NdisSetNblFlag(nbl, NDIS_NBL_FLAGS_IS_IPV4 | NDIS_NBL_FLAGS_IS_TCP);
    NET_BUFFER_LIST_FLAGS(nbl) = 0x00300000U;
    NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_RESOURCES;
    char *text = dump_text(nbl, 0);
    assert_contains(text, "0x00000A00 IS_IPV4 IS_TCP");
    assert_contains(text, "0x00300000 protocol 0x003");
    assert_contains(text, "NDIS_STATUS_RESOURCES");
    free(text);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void info_names_only_the_slots_that_are_set(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(nbl);
    NDIS_NET_BUFFER_LIST_8021Q_INFO q = {.Value = NULL};
    q.TagHeader.VlanId = 7;
    q.TagHeader.UserPriority = 5;
    NET_BUFFER_LIST_INFO(nbl, Ieee8021QNetBufferListInfo) = q.Value;
    NET_BUFFER_LIST_SET_HASH_VALUE(nbl, 0x1234ABCD);

    char *text = dump_text(nbl, NDISBUF_DUMP_INFO);
    assert_contains(text, "Ieee8021QNetBufferListInfo");
    assert_contains(text, "(VlanId 7, UserPriority 5)");
    assert_contains(text, "NetBufferListHashValue");
    assert_contains(text, "0x1234abcd");
    assert_lacks(text, "NetBufferListCancelId");
    assert_lacks(text, "TcpIpChecksumNetBufferListInfo");
    free(text);

    text = dump_text(nbl, 0);
    assert_lacks(text, "Ieee8021QNetBufferListInfo");
    free(text);

    NET_BUFFER_LIST_INFO(nbl, Ieee8021QNetBufferListInfo) = NULL;
    NET_BUFFER_LIST_INFO(nbl, NetBufferListHashValue) = NULL;
    text = dump_text(nbl, NDISBUF_DUMP_INFO);
    assert_contains(text, "Info            no slot set");
    free(text);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void clone_shows_its_parent_and_how_it_is_freed(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 64, TAG);
    PNET_BUFFER_LIST original = nbl_with_backfill(pool, 10, 54);
    PNET_BUFFER_LIST clone = NdisAllocateCloneNetBufferList(original, NULL, NULL, 0);
    assert_non_null(clone);
    clone->ParentNetBufferList = original;
    original->ChildRefCount++;

    char *text = dump_text(clone, NDISBUF_DUMP_ALL);
    assert_contains(text, "clone (new MDLs over the parent's data), NdisFreeCloneNetBufferList frees it");
    assert_contains(text, address_text(original));
    assert_contains(text, "(the library's own)");
    assert_contains(text, "back-fill 0, used 54, tail 0; built for a derived NB");
    assert_contains(text, "0000  00 01 02 03");
    free(text);

    text = dump_text(original, 0);
    assert_contains(text, "ChildRefCount 1");
    free(text);

    original->ChildRefCount--;
    NdisFreeCloneNetBufferList(clone, 0);
    NdisFreeNetBufferList(original);
    harness_free_nbl_pool(pool);
}

static void holder_and_history_appear_only_when_the_verifier_tracks(void **state)
{
    (void)state;
    ULONG level = ndisbuf_verifier_level();
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 16, TAG);
    assert_int_equal(ndisbuf_verifier_set(0), NDIS_STATUS_SUCCESS);
    PNET_BUFFER_LIST untracked = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(untracked);
    char *text = dump_text(untracked, 0);
    assert_lacks(text, "Holder");
    assert_lacks(text, "History:");
    free(text);
    NdisFreeNetBufferList(untracked);

    assert_int_equal(ndisbuf_verifier_set(3), NDIS_STATUS_SUCCESS);
    PNET_BUFFER_LIST tracked = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(tracked);
    text = dump_text(tracked, 0);
    assert_contains(text, "  Holder          ");
    assert_contains(text, "  History:\n");
    free(text);
    NdisFreeNetBufferList(tracked);
    assert_int_equal(ndisbuf_verifier_set(level), NDIS_STATUS_SUCCESS);
    harness_free_nbl_pool(pool);
}

/* ------------------------------------------------- what is not an NBL */

static void pointer_no_pool_gave_out_is_named_not_read(void **state)
{
    (void)state;
    NET_BUFFER_LIST fake;
    memset(&fake, 0xA5, sizeof(fake)); /* a Next that would crash a reader */
    char *text = dump_text(&fake, NDISBUF_DUMP_ALL);
    assert_contains(text, "is a pointer no ndisbuf pool gave out: not shown");
    assert_lacks(text, "Pool ");
    free(text);
}

static void freed_nbl_is_named_not_read(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 16, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0), live = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(nbl);
    assert_non_null(live);
    NdisFreeNetBufferList(nbl);
    char *text = dump_text(nbl, NDISBUF_DUMP_ALL);
    assert_contains(text, "is freed: it is back in its pool: not shown");
    free(text);

    /* A live NBL whose Next names the freed one: the first is shown, the chain stops there. */
    NET_BUFFER_LIST_NEXT_NBL(live) = nbl;
    text = dump_text(live, NDISBUF_DUMP_ALL);
    assert_int_equal(occurrences(text, "NET_BUFFER #1"), 1);
    assert_contains(text, "is freed: it is back in its pool: not shown");
    free(text);
    NET_BUFFER_LIST_NEXT_NBL(live) = NULL;
    NdisFreeNetBufferList(live);
    harness_free_nbl_pool(pool);
}

static void null_arguments_give_minus_one_and_a_diagnostic(void **state)
{
    (void)state;
    assert_int_equal(ndisbuf_nbl_dump(NULL, 0, stdout), -1);
    assert_true(harness_diag_contains("NetBufferList is NULL"));
    NET_BUFFER_LIST fake = {0};
    assert_int_equal(ndisbuf_nbl_dump(&fake, 0, NULL), -1);
    assert_true(harness_diag_contains("Out is NULL"));
    assert_int_equal(ndisbuf_pools_dump(NULL), -1);
    assert_true(harness_diag_contains("Out is NULL"));
}

/* Regression: a driver that links an MDL chain into a ring must get a dump, not a hang. */
static void mdl_chain_that_loops_is_reported_and_the_dump_ends(void **state)
{
    (void)state;
    static const ULONG lengths[] = {16, 0, 16};
    UCHAR buffer[32];
    MDL mdls[3];
    for (size_t i = 0; i < sizeof(buffer); i++)
        buffer[i] = (UCHAR)(0x40 + i);
    harness_mdl_chain(mdls, 3, buffer, lengths);
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, mdls, 4, 20);
    assert_non_null(nbl);
    mdls[2].Next = &mdls[0];

    char *text = dump_text(nbl, NDISBUF_DUMP_ALL);
    assert_contains(text, "MDL chain loops");
    assert_contains(text, "0000  44 45 46 47");
    assert_true(occurrences(text, "    MDL  ") <= 9);
    free(text);

    mdls[2].Next = NULL;
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void nbl_chain_that_loops_is_reported_and_the_dump_ends(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 8, TAG);
    PNET_BUFFER_LIST a = NdisAllocateNetBufferList(pool, 0, 0), b = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(a);
    assert_non_null(b);
    NET_BUFFER_LIST_NEXT_NBL(a) = b;
    NET_BUFFER_LIST_NEXT_NBL(b) = a;
    char *text = dump_text(a, NDISBUF_DUMP_CHAIN);
    assert_contains(text, "the NBL chain loops");
    assert_true(occurrences(text, "NET_BUFFER_LIST  ") <= 6);
    free(text);
    NET_BUFFER_LIST_NEXT_NBL(a) = NULL;
    NET_BUFFER_LIST_NEXT_NBL(b) = NULL;
    NdisFreeNetBufferList(b);
    NdisFreeNetBufferList(a);
    harness_free_nbl_pool(pool);
}

static void data_length_beyond_the_chain_is_flagged(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 32, TAG);
    PNET_BUFFER_LIST nbl = nbl_with_backfill(pool, 0, 32);
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    NET_BUFFER_DATA_LENGTH(nb) = 40; /* what a buggy driver does */
    char *text = dump_text(nbl, NDISBUF_DUMP_DATA);
    assert_contains(text, "DataOffset + DataLength = 40, more than the chain's 32 bytes");
    assert_contains(text, "the MDL chain ends after 32 bytes");
    free(text);
    NET_BUFFER_DATA_LENGTH(nb) = 32;
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void current_mdl_out_of_step_is_flagged(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 32, TAG);
    PNET_BUFFER_LIST nbl = nbl_with_backfill(pool, 8, 24);
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    NET_BUFFER_CURRENT_MDL_OFFSET(nb) = 4; /* DataOffset says 8 */
    char *text = dump_text(nbl, 0);
    assert_contains(text, "CurrentMdl/CurrentMdlOffset are out of step with DataOffset");
    free(text);
    NET_BUFFER_CURRENT_MDL_OFFSET(nb) = 8;
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

/* ---------------------------------------------------------- pools dump */

static char *pools_text(int *listed)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    *listed = ndisbuf_pools_dump(out);
    fclose(out);
    return stream_text(text);
}

/* The line of the pools listing that names pool. */
static char *pool_line(char *text, NDIS_HANDLE pool)
{
    char address[32];
    snprintf(address, sizeof(address), "%p ", pool);
    char *line = strstr(text, address);
    if (!line)
        fail_msg("pool %p is not listed in:\n%s", pool, text);
    char *end = strchr(line, '\n');
    if (end)
        *end = '\0';
    return line;
}

static void pools_dump_lists_a_live_pool_with_its_counts(void **state)
{
    (void)state;
    int before, after;
    free(pools_text(&before));
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 16, 128, HARNESS_TAG('P', 'l', 's', '1'));
    PNET_BUFFER_LIST nbls[3];
    for (int i = 0; i < 3; i++) {
        nbls[i] = NdisAllocateNetBufferList(pool, 0, 0);
        assert_non_null(nbls[i]);
    }
    NdisFreeNetBufferList(nbls[2]);
    NDISBUF_POOL_STATS stats = harness_stats(pool);

    char *text = pools_text(&after);
    assert_int_equal(after, before + 1);
    assert_contains(text, "Pool");
    assert_contains(text, "Outstanding");
    char *line = pool_line(text, pool);
    char expected[128];
    snprintf(expected, sizeof(expected), "Pls1 NBL+NB");
    assert_contains(line, expected);
    unsigned long element, data, context, allocated, outstanding, capacity;
    unsigned proto;
    char handle[32], tag[8], kind[8], owner[32];
    assert_int_equal(sscanf(line, "%31s %7s %7s %31s %lu %lu %lu 0x%x %lu %lu %lu", handle, tag, kind, owner,
                            &element, &data, &context, &proto, &allocated, &outstanding, &capacity),
                     11);
    assert_int_equal(element, stats.ElementSize);
    assert_int_equal(data, 128);
    assert_int_equal(context, 16);
    assert_int_equal(allocated, stats.Allocations);
    assert_int_equal(allocated, 3);
    assert_int_equal(outstanding, 2);
    assert_int_equal(capacity, stats.Capacity);
    free(text);

    NdisFreeNetBufferList(nbls[0]);
    NdisFreeNetBufferList(nbls[1]);
    harness_free_nbl_pool(pool);
    text = pools_text(&after);
    assert_int_equal(after, before);
    char address[32];
    snprintf(address, sizeof(address), "%p ", pool);
    assert_lacks(text, address);
    free(text);
}

static void pools_dump_lists_nb_pools_and_the_librarys_own(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(256);
    UCHAR buffer[8];
    PMDL mdl = NdisAllocateMdl(NULL, buffer, sizeof(buffer)); /* the library's MDL pool exists from here on */
    assert_non_null(mdl);
    int listed;
    char *text = pools_text(&listed);
    char *line = pool_line(text, pool);
    assert_contains(line, " NB ");
    free(text);
    text = pools_text(&listed);
    assert_contains(text, "MDL    (ndisbuf)");
    free(text);
    NdisFreeMdl(mdl);
    harness_free_nb_pool(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(dump_shows_backfill_data_offset_and_mdl_split),
        HARNESS_TEST(retreat_into_a_new_mdl_shows_both_mdls),
        HARNESS_TEST(chain_is_followed_only_with_the_chain_flag),
        HARNESS_TEST(context_shows_used_bytes_and_context_backfill),
        HARNESS_TEST(nbl_without_context_says_none),
        HARNESS_TEST(flags_and_status_are_decoded),
        HARNESS_TEST(info_names_only_the_slots_that_are_set),
        HARNESS_TEST(clone_shows_its_parent_and_how_it_is_freed),
        HARNESS_TEST(holder_and_history_appear_only_when_the_verifier_tracks),
        HARNESS_TEST(pointer_no_pool_gave_out_is_named_not_read),
        HARNESS_TEST(freed_nbl_is_named_not_read),
        HARNESS_TEST(null_arguments_give_minus_one_and_a_diagnostic),
        HARNESS_TEST(mdl_chain_that_loops_is_reported_and_the_dump_ends),
        HARNESS_TEST(nbl_chain_that_loops_is_reported_and_the_dump_ends),
        HARNESS_TEST(data_length_beyond_the_chain_is_flagged),
        HARNESS_TEST(current_mdl_out_of_step_is_flagged),
        HARNESS_TEST(pools_dump_lists_a_live_pool_with_its_counts),
        HARNESS_TEST(pools_dump_lists_nb_pools_and_the_librarys_own),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
