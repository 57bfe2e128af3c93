/* SPDX-License-Identifier: MIT */
/*
 * ndisbuf_nbl_write_pcap (docs/diagnostics.md): every NB of a chain becomes
 * one Ethernet frame holding exactly its used data, read back here with
 * libpcap and compared byte for byte: data behind back-fill, data spread
 * over several MDLs (zero-length ones included), a retreated NB, several
 * NBs per NBL, frames longer than the 65535-byte snapshot. A chain that is
 * not sound is refused before any file is created.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define TAG HARNESS_TAG('T', 'P', 'c', 'p')
#define MAX_FRAMES 8

struct expected_frame {
    UCHAR bytes[70000];
    ULONG length;
};

static struct expected_frame expected[MAX_FRAMES];

/* A private file name for the test's capture. */
static void capture_path(char *path, size_t size)
{
    snprintf(path, size, "%s/ndisbuf-test-pcap-%ld.pcap", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (long)getpid());
}

/* Fills an NB's used data with a pattern of its own and records it as expected[index]. */
static void fill_nb(PNET_BUFFER nb, ULONG index)
{
    ULONG length = NET_BUFFER_DATA_LENGTH(nb);
    struct expected_frame *e = &expected[index];
    assert_true(length <= sizeof(e->bytes));
    e->length = length;
    for (ULONG i = 0; i < length; i++)
        e->bytes[i] = (UCHAR)(index * 37 + i * 7 + (i >> 8));
    ULONG copied = 0;
    /* Write through the MDLs, as a driver would, from the current data start. */
    PMDL mdl = NET_BUFFER_CURRENT_MDL(nb);
    ULONG offset = NET_BUFFER_CURRENT_MDL_OFFSET(nb);
    for (; mdl && copied < length; mdl = mdl->Next, offset = 0) {
        if (offset >= MmGetMdlByteCount(mdl)) {
            offset -= MmGetMdlByteCount(mdl);
            continue;
        }
        ULONG step = MmGetMdlByteCount(mdl) - offset;
        step = step < length - copied ? step : length - copied;
        memcpy((UCHAR *)MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority) + offset, e->bytes + copied, step);
        copied += step;
    }
    assert_int_equal(copied, length);
}

/* Reads the capture back and compares it with the first `count` expected frames. */
static void assert_capture_holds(const char *path, ULONG count)
{
    char error[PCAP_ERRBUF_SIZE];
    pcap_t *pcap = pcap_open_offline(path, error);
    if (!pcap)
        fail_msg("libpcap cannot read %s: %s", path, error);
    assert_int_equal(pcap_datalink(pcap), DLT_EN10MB);
    struct pcap_pkthdr *header;
    const u_char *data;
    ULONG frames = 0;
    while (pcap_next_ex(pcap, &header, &data) == 1) {
        assert_true(frames < count);
        const struct expected_frame *e = &expected[frames];
        ULONG captured = e->length < 65535 ? e->length : 65535;
        assert_int_equal(header->len, e->length);
        assert_int_equal(header->caplen, captured);
        assert_memory_equal(data, e->bytes, captured);
        frames++;
    }
    pcap_close(pcap);
    assert_int_equal(frames, count);
}

static void each_nb_of_a_chain_is_one_frame_of_its_used_data(void **state)
{
    (void)state;
    char path[256];
    capture_path(path, sizeof(path));
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 1514 + 32, TAG);
    PNET_BUFFER_LIST first = NULL, *link = &first;
    for (ULONG i = 0; i < 3; i++) {
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
        assert_non_null(nbl);
        /* 32 bytes of back-fill, then 60, 600, 1514-byte frames. */
        ULONG frame = i == 0 ? 60 : i == 1 ? 600 : 1514;
        PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
        NdisAdvanceNetBufferDataStart(nb, 32, FALSE, NULL);
        NET_BUFFER_DATA_LENGTH(nb) = frame;
        fill_nb(nb, i);
        *link = nbl;
        link = &NET_BUFFER_LIST_NEXT_NBL(nbl);
    }
    assert_int_equal(ndisbuf_nbl_write_pcap(first, path), NDIS_STATUS_SUCCESS);
    assert_capture_holds(path, 3);
    unlink(path);

    while (first) {
        PNET_BUFFER_LIST next = NET_BUFFER_LIST_NEXT_NBL(first);
        NET_BUFFER_LIST_NEXT_NBL(first) = NULL;
        NET_BUFFER_DATA_LENGTH(NET_BUFFER_LIST_FIRST_NB(first)) = 1514;
        NdisFreeNetBufferList(first);
        first = next;
    }
    harness_free_nbl_pool(pool);
}

static void data_across_mdls_and_a_retreat_is_written_whole(void **state)
{
    (void)state;
    char path[256];
    capture_path(path, sizeof(path));
    static const ULONG lengths[] = {10, 0, 7, 0, 25, 3};
    static const ULONG other_lengths[] = {0, 40};
    UCHAR buffer[45], other_buffer[40];
    MDL mdls[6], other_mdls[2];
    harness_mdl_chain(mdls, 6, buffer, lengths);
    harness_mdl_chain(other_mdls, 2, other_buffer, other_lengths);
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    NDIS_HANDLE nb_pool = harness_nb_pool(0);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, mdls, 12, 30);
    assert_non_null(nbl);
    PNET_BUFFER first = NET_BUFFER_LIST_FIRST_NB(nbl);
    /* Retreat beyond the back-fill: a new MDL at the front of the chain. */
    assert_int_equal(NdisRetreatNetBufferDataStart(first, 20, 0, NULL), NDIS_STATUS_SUCCESS);
    fill_nb(first, 0);
    PNET_BUFFER second = NdisAllocateNetBuffer(nb_pool, other_mdls, 5, 30);
    assert_non_null(second);
    NET_BUFFER_NEXT_NB(first) = second;
    fill_nb(second, 1);

    assert_int_equal(ndisbuf_nbl_write_pcap(nbl, path), NDIS_STATUS_SUCCESS);
    assert_capture_holds(path, 2);
    unlink(path);

    NET_BUFFER_NEXT_NB(first) = NULL;
    NdisFreeNetBuffer(second);
    NdisAdvanceNetBufferDataStart(first, 20, TRUE, NULL);
    NdisFreeNetBufferList(nbl);
    harness_free_nb_pool(nb_pool);
    harness_free_nbl_pool(pool);
}

static void frame_longer_than_the_snapshot_is_cut_to_it(void **state)
{
    (void)state;
    char path[256];
    capture_path(path, sizeof(path));
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 70000, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(nbl);
    fill_nb(NET_BUFFER_LIST_FIRST_NB(nbl), 0);
    assert_int_equal(ndisbuf_nbl_write_pcap(nbl, path), NDIS_STATUS_SUCCESS);
    assert_capture_holds(path, 1); /* len 70000, caplen 65535 */
    unlink(path);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void nbl_without_nbs_writes_an_empty_capture(void **state)
{
    (void)state;
    char path[256];
    capture_path(path, sizeof(path));
    NDIS_HANDLE pool = harness_nbl_pool(FALSE, 0, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(nbl);
    assert_int_equal(ndisbuf_nbl_write_pcap(nbl, path), NDIS_STATUS_SUCCESS);
    assert_capture_holds(path, 0);
    unlink(path);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void unsound_chain_is_refused_and_no_file_is_made(void **state)
{
    (void)state;
    char path[256];
    capture_path(path, sizeof(path));
    static const ULONG lengths[] = {8, 8};
    UCHAR buffer[16];
    MDL mdls[2];
    harness_mdl_chain(mdls, 2, buffer, lengths);
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, mdls, 0, 16);
    assert_non_null(nbl);

    mdls[1].Next = &mdls[0];
    assert_int_equal(ndisbuf_nbl_write_pcap(nbl, path), NDIS_STATUS_INVALID_PARAMETER);
    assert_true(harness_diag_contains("loops"));
    assert_int_equal(access(path, F_OK), -1);
    mdls[1].Next = NULL;

    NET_BUFFER_LIST fake;
    memset(&fake, 0xA5, sizeof(fake));
    NET_BUFFER_LIST_NEXT_NBL(nbl) = &fake;
    assert_int_equal(ndisbuf_nbl_write_pcap(nbl, path), NDIS_STATUS_INVALID_PARAMETER);
    assert_true(harness_diag_contains("not a live NET_BUFFER_LIST"));
    assert_int_equal(access(path, F_OK), -1);
    NET_BUFFER_LIST_NEXT_NBL(nbl) = NULL;

    assert_int_equal(ndisbuf_nbl_write_pcap(NULL, path), NDIS_STATUS_INVALID_PARAMETER);
    assert_true(harness_diag_contains("NetBufferList is NULL"));
    assert_int_equal(ndisbuf_nbl_write_pcap(nbl, NULL), NDIS_STATUS_INVALID_PARAMETER);
    assert_true(harness_diag_contains("Path is NULL"));

    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void unwritable_path_fails_with_a_diagnostic(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 60, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(nbl);
    assert_int_equal(ndisbuf_nbl_write_pcap(nbl, "/nonexistent-dir/x.pcap"), NDIS_STATUS_FAILURE);
    assert_true(harness_diag_contains("cannot write '/nonexistent-dir/x.pcap'"));
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(each_nb_of_a_chain_is_one_frame_of_its_used_data),
        HARNESS_TEST(data_across_mdls_and_a_retreat_is_written_whole),
        HARNESS_TEST(frame_longer_than_the_snapshot_is_cut_to_it),
        HARNESS_TEST(nbl_without_nbs_writes_an_empty_capture),
        HARNESS_TEST(unsound_chain_is_refused_and_no_file_is_made),
        HARNESS_TEST(unwritable_path_fails_with_a_diagnostic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
