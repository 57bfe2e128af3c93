/* SPDX-License-Identifier: MIT */
/*
 * ndisbuf_nbl_write_dot (docs/diagnostics.md): the picture has a node for
 * each NBL, NB, MDL and context block, linked by the structures' own
 * links, each MDL split into back-fill, used data and tail; a loop gets a
 * red edge back, a pointer that is no live NBL is refused. When Graphviz
 * is installed (/usr/bin/dot) every picture is also rendered and must be
 * accepted; without it that part is skipped, never failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define TAG HARNESS_TAG('T', 'D', 'o', 't')
#define DOT_PROGRAM "/usr/bin/dot"

static bool dot_installed(void)
{
    return access(DOT_PROGRAM, X_OK) == 0;
}

/* Renders text with dot -Tsvg (output discarded); asserts dot accepts it. Nothing without Graphviz. */
static void assert_dot_renders(const char *text)
{
    if (!dot_installed())
        return;
    char path[] = "/tmp/ndisbuf-test-dot-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        execl(DOT_PROGRAM, "dot", "-Tsvg", "-o", "/dev/null", path, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    unlink(path);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("dot rejected the picture (status %d):\n%s", status, text);
}

/* What ndisbuf_nbl_write_dot writes (asserting success), as a string the caller frees. */
static char *dot_text(PNET_BUFFER_LIST nbl)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    assert_int_equal(ndisbuf_nbl_write_dot(nbl, out), NDIS_STATUS_SUCCESS);
    fclose(out);
    assert_dot_renders(text);
    return text;
}

static void assert_lacks(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle))
        fail_msg("did not expect \"%s\" in:\n%s", needle, haystack);
}

/* An NBL from a data pool with `backfill` bytes of back-fill in front of the rest. */
static PNET_BUFFER_LIST nbl_with_backfill(NDIS_HANDLE pool, ULONG backfill)
{
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(nbl);
    NdisAdvanceNetBufferDataStart(NET_BUFFER_LIST_FIRST_NB(nbl), backfill, FALSE, NULL);
    return nbl;
}

static void picture_links_nbl_nb_and_mdl_with_the_buffer_split(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 16, 64, TAG);
    PNET_BUFFER_LIST nbl = nbl_with_backfill(pool, 14);
    NET_BUFFER_DATA_LENGTH(NET_BUFFER_LIST_FIRST_NB(nbl)) = 40; /* 10 bytes of tail */
    char *text = dot_text(nbl);

    assert_true(strncmp(text, "digraph ndisbuf {", 17) == 0);
    assert_contains(text, "nbl0 [shape=record");
    assert_contains(text, "'TDot'");
    assert_contains(text, "nbl0 -> nbl0_nb0 [label=\"FirstNetBuffer\"]");
    assert_contains(text, "nbl0_nb0 [shape=record");
    assert_contains(text, "DataOffset 14 (back-fill)|DataLength 40");
    assert_contains(text, "nbl0_nb0 -> nbl0_nb0_mdl0 [label=\"MdlChain\"]");
    assert_contains(text, "nbl0_nb0 -> nbl0_nb0_mdl0 [style=dashed, label=\"CurrentMdl\"]");
    assert_contains(text, ">back-fill 14</TD>");
    assert_contains(text, ">used 40</TD>");
    assert_contains(text, ">tail 10</TD>");
    assert_contains(text, "BGCOLOR=\"lightgrey\"");
    assert_contains(text, "BGCOLOR=\"palegreen\"");
    assert_contains(text, "BGCOLOR=\"lightyellow\"");
    assert_contains(text, "nbl0 -> nbl0_ctx0 [label=\"Context\"]");
    /* No context asked for: the whole 16-byte block is back-fill. */
    assert_contains(text, "Size 16 Offset 16");
    assert_contains(text, ">back-fill 16</TD>");
    assert_true(text[strlen(text) - 2] == '}');
    free(text);

    NET_BUFFER_DATA_LENGTH(NET_BUFFER_LIST_FIRST_NB(nbl)) = 50;
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void chain_gets_next_edges_and_a_clone_its_parent_edge(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 32, TAG);
    PNET_BUFFER_LIST original = nbl_with_backfill(pool, 4);
    PNET_BUFFER_LIST clone = NdisAllocateCloneNetBufferList(original, NULL, NULL, 0);
    assert_non_null(clone);
    clone->ParentNetBufferList = original;
    NET_BUFFER_LIST_NEXT_NBL(original) = clone;
    char *text = dot_text(original);

    assert_contains(text, "nbl0 -> nbl1 [label=\"Next\"]");
    assert_contains(text, "nbl1 -> nbl0 [style=dashed, label=\"Parent\"]");
    assert_contains(text, "nbl1 -> nbl1_nb0 [label=\"FirstNetBuffer\"]");
    assert_contains(text, "nbl1_nb0 -> nbl1_nb0_mdl0 [label=\"MdlChain\"]");
    assert_lacks(text, "salmon");
    free(text);

    NET_BUFFER_LIST_NEXT_NBL(original) = NULL;
    NdisFreeCloneNetBufferList(clone, 0);
    NdisFreeNetBufferList(original);
    harness_free_nbl_pool(pool);
}

static void several_nbs_and_mdls_are_linked_by_next(void **state)
{
    (void)state;
    static const ULONG lengths[] = {10, 0, 22};
    UCHAR buffers[2][32];
    MDL mdls[2][3];
    harness_mdl_chain(mdls[0], 3, buffers[0], lengths);
    harness_mdl_chain(mdls[1], 3, buffers[1], lengths);
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    NDIS_HANDLE nb_pool = harness_nb_pool(0);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, mdls[0], 12, 20);
    assert_non_null(nbl);
    PNET_BUFFER second = NdisAllocateNetBuffer(nb_pool, mdls[1], 0, 32);
    assert_non_null(second);
    NET_BUFFER_NEXT_NB(NET_BUFFER_LIST_FIRST_NB(nbl)) = second;
    char *text = dot_text(nbl);

    assert_contains(text, "nbl0_nb0 -> nbl0_nb1 [label=\"Next\"]");
    assert_contains(text, "nbl0_nb0_mdl0 -> nbl0_nb0_mdl1 [label=\"Next\"]");
    assert_contains(text, "nbl0_nb0_mdl1 -> nbl0_nb0_mdl2 [label=\"Next\"]");
    assert_contains(text, ">empty</TD>"); /* the zero-length MDL */
    assert_contains(text, ">back-fill 10</TD>");
    assert_contains(text, ">back-fill 2</TD><TD BGCOLOR=\"palegreen\" WIDTH=\"258\">used 20</TD>");
    /* The current MDL of the first NB is its third (12 bytes in: past 10 and 0). */
    assert_contains(text, "nbl0_nb0 -> nbl0_nb0_mdl2 [style=dashed, label=\"CurrentMdl\"]");
    assert_contains(text, "nbl0_nb1_mdl2");
    free(text);

    NET_BUFFER_NEXT_NB(NET_BUFFER_LIST_FIRST_NB(nbl)) = NULL;
    NdisFreeNetBuffer(second);
    NdisFreeNetBufferList(nbl);
    harness_free_nb_pool(nb_pool);
    harness_free_nbl_pool(pool);
}

/* Regression: an MDL ring must be drawn as a red edge back, not followed. */
static void mdl_chain_that_loops_gets_a_red_edge_back(void **state)
{
    (void)state;
    static const ULONG lengths[] = {8, 8};
    UCHAR buffer[16];
    MDL mdls[2];
    harness_mdl_chain(mdls, 2, buffer, lengths);
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, mdls, 0, 16);
    assert_non_null(nbl);
    mdls[1].Next = &mdls[0];
    char *text = dot_text(nbl);
    assert_contains(text, "nbl0_nb0_mdl1 -> nbl0_nb0_mdl0 [label=\"Next (loops)\", color=red");
    assert_lacks(text, "nbl0_nb0_mdl2");
    free(text);
    mdls[1].Next = NULL;
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void nbl_chain_ending_in_a_freed_nbl_draws_a_red_box(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 8, TAG);
    PNET_BUFFER_LIST live = NdisAllocateNetBufferList(pool, 0, 0), freed = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(live);
    assert_non_null(freed);
    NdisFreeNetBufferList(freed);
    NET_BUFFER_LIST_NEXT_NBL(live) = freed;
    char *text = dot_text(live);
    assert_contains(text, "nbl0 -> nbl1 [label=\"Next\"]");
    assert_contains(text, "nbl1 [shape=box, style=filled, fillcolor=\"salmon\"");
    assert_contains(text, "not a live NET_BUFFER_LIST");
    free(text);
    NET_BUFFER_LIST_NEXT_NBL(live) = NULL;
    NdisFreeNetBufferList(live);
    harness_free_nbl_pool(pool);
}

static void foreign_or_null_arguments_are_refused(void **state)
{
    (void)state;
    NET_BUFFER_LIST fake;
    memset(&fake, 0xA5, sizeof(fake));
    assert_int_equal(ndisbuf_nbl_write_dot(&fake, stdout), NDIS_STATUS_INVALID_PARAMETER);
    assert_true(harness_diag_contains("not a live NET_BUFFER_LIST"));
    assert_int_equal(ndisbuf_nbl_write_dot(NULL, stdout), NDIS_STATUS_INVALID_PARAMETER);
    assert_true(harness_diag_contains("NetBufferList is NULL"));
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 8, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(nbl);
    assert_int_equal(ndisbuf_nbl_write_dot(nbl, NULL), NDIS_STATUS_INVALID_PARAMETER);
    assert_true(harness_diag_contains("Out is NULL"));
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void large_frame_picture_renders_when_graphviz_is_installed(void **state)
{
    (void)state;
    if (!dot_installed())
        skip(); /* the other tests checked the text; nothing to render with */
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 8, 1514, TAG);
    PNET_BUFFER_LIST nbl = nbl_with_backfill(pool, 2);
    free(dot_text(nbl)); /* renders and asserts dot's exit status 0 */
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(picture_links_nbl_nb_and_mdl_with_the_buffer_split),
        HARNESS_TEST(chain_gets_next_edges_and_a_clone_its_parent_edge),
        HARNESS_TEST(several_nbs_and_mdls_are_linked_by_next),
        HARNESS_TEST(mdl_chain_that_loops_gets_a_red_edge_back),
        HARNESS_TEST(nbl_chain_ending_in_a_freed_nbl_draws_a_red_box),
        HARNESS_TEST(foreign_or_null_arguments_are_refused),
        HARNESS_TEST(large_frame_picture_renders_when_graphviz_is_installed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
