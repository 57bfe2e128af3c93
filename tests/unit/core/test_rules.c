/* SPDX-License-Identifier: MIT */
/*
 * The verifier's always-on rules (ndisbuf.h report codes): each violation
 * raises its report, and the call then returns without acting, so the test
 * can put things right and clean up the proper way. Also the policies: the
 * default aborts (checked in a child process) and the count policy carries
 * on after printing.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define TAG HARNESS_TAG('R', 'u', 'l', 'e')

/* ---------------------------------------------------------- foreign NB */

static void nbl_freed_with_a_separate_nb_attached_is_reported_and_left_intact(void **state)
{
    (void)state;
    NDIS_HANDLE nbl_pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    NDIS_HANDLE nb_pool = harness_nb_pool(0);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(nbl_pool, 0, 0, NULL, 0, 0);
    PNET_BUFFER own = NET_BUFFER_LIST_FIRST_NB(nbl);
    PNET_BUFFER extra = NdisAllocateNetBuffer(nb_pool, NULL, 0, 0);
    assert_non_null(extra);
    NET_BUFFER_NEXT_NB(own) = extra;

    NdisFreeNetBufferList(nbl);
    const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_NBL_HAS_FOREIGN_NB);
    assert_ptr_equal(r->object, nbl);
    assert_ptr_equal(r->parameters[0], nbl);
    assert_ptr_equal(r->parameters[1], extra);
    assert_int_equal(r->parameters[2], 1);
    assert_string_equal(r->function, "NdisFreeNetBufferList");
    /* Left as it was. */
    assert_int_equal(harness_stats(nbl_pool).Outstanding, 1);
    assert_ptr_equal(NET_BUFFER_LIST_FIRST_NB(nbl), own);
    assert_ptr_equal(NET_BUFFER_NEXT_NB(own), extra);

    NET_BUFFER_NEXT_NB(own) = NULL;
    NdisFreeNetBuffer(extra);
    NdisFreeNetBufferList(nbl);
    harness_expect_no_report();
    harness_free_nbl_pool(nbl_pool);
    harness_free_nb_pool(nb_pool);
}

static void nbl_without_own_nb_freed_with_separate_nbs_is_reported(void **state)
{
    (void)state;
    NDIS_HANDLE nbl_pool = harness_nbl_pool(FALSE, 0, 0, TAG);
    NDIS_HANDLE nb_pool = harness_nb_pool(0);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(nbl_pool, 0, 0);
    PNET_BUFFER a = NdisAllocateNetBuffer(nb_pool, NULL, 0, 0);
    PNET_BUFFER b = NdisAllocateNetBuffer(nb_pool, NULL, 0, 0);
    NET_BUFFER_LIST_FIRST_NB(nbl) = a;
    NET_BUFFER_NEXT_NB(a) = b;

    NdisFreeNetBufferList(nbl);
    const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_NBL_HAS_FOREIGN_NB);
    assert_ptr_equal(r->parameters[1], a);
    assert_int_equal(r->parameters[2], 2);

    NET_BUFFER_LIST_FIRST_NB(nbl) = NULL;
    NET_BUFFER_NEXT_NB(a) = NULL;
    NdisFreeNetBuffer(a);
    NdisFreeNetBuffer(b);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(nbl_pool);
    harness_free_nb_pool(nb_pool);
}

/* ----------------------------------------------------------- double free */

static void double_free_of_an_nbl_is_reported(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 16, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 16, 0);
    PNET_BUFFER_LIST other = NdisAllocateNetBufferList(pool, 0, 0);
    NdisFreeNetBufferList(nbl);
    harness_expect_no_report();
    NdisFreeNetBufferList(nbl);
    const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_DOUBLE_FREE);
    assert_ptr_equal(r->object, nbl);
    assert_contains(r->message, "already freed");
    /* The pool's books are still right. */
    assert_int_equal(harness_stats(pool).Outstanding, 1);
    NdisFreeNetBufferList(other);
    harness_free_nbl_pool(pool);
}

static void double_free_of_a_net_buffer_is_reported(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(128);
    PNET_BUFFER nb = NdisAllocateNetBufferMdlAndData(pool);
    NdisFreeNetBuffer(nb);
    NdisFreeNetBuffer(nb);
    harness_expect_report(NDISBUF_REPORT_DOUBLE_FREE);
    assert_int_equal(harness_stats(pool).Outstanding, 0);
    harness_free_nb_pool(pool);
}

static void double_free_of_an_mdl_is_reported(void **state)
{
    (void)state;
    UCHAR buf[32];
    PMDL mdl = NdisAllocateMdl(NULL, buf, sizeof(buf));
    assert_non_null(mdl);
    NdisFreeMdl(mdl);
    NdisFreeMdl(mdl);
    const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_DOUBLE_FREE);
    assert_string_equal(r->function, "NdisFreeMdl");
    PMDL io = IoAllocateMdl(buf, sizeof(buf), FALSE, FALSE, NULL);
    assert_non_null(io);
    IoFreeMdl(io);
    IoFreeMdl(io);
    r = harness_expect_report(NDISBUF_REPORT_DOUBLE_FREE);
    assert_string_equal(r->function, "IoFreeMdl");
}

/* ------------------------------------------------------- foreign pointers */

static void freeing_stack_or_heap_objects_is_reported_foreign_pointer(void **state)
{
    (void)state;
    NET_BUFFER_LIST stack_nbl;
    NET_BUFFER stack_nb;
    MDL stack_mdl;
    memset(&stack_nbl, 0, sizeof(stack_nbl));
    memset(&stack_nb, 0, sizeof(stack_nb));
    memset(&stack_mdl, 0, sizeof(stack_mdl));
    PNET_BUFFER_LIST heap_nbl = calloc(1, sizeof(*heap_nbl));
    PNET_BUFFER heap_nb = calloc(1, sizeof(*heap_nb));
    PMDL heap_mdl = calloc(1, sizeof(*heap_mdl));
    assert_non_null(heap_nbl);
    assert_non_null(heap_nb);
    assert_non_null(heap_mdl);

    NdisFreeNetBufferList(&stack_nbl);
    assert_ptr_equal(harness_expect_report(NDISBUF_REPORT_FOREIGN_POINTER)->object, &stack_nbl);
    NdisFreeNetBufferList(heap_nbl);
    harness_expect_report(NDISBUF_REPORT_FOREIGN_POINTER);
    NdisFreeNetBuffer(&stack_nb);
    harness_expect_report(NDISBUF_REPORT_FOREIGN_POINTER);
    NdisFreeNetBuffer(heap_nb);
    harness_expect_report(NDISBUF_REPORT_FOREIGN_POINTER);
    NdisFreeMdl(&stack_mdl);
    harness_expect_report(NDISBUF_REPORT_FOREIGN_POINTER);
    NdisFreeMdl(heap_mdl);
    harness_expect_report(NDISBUF_REPORT_FOREIGN_POINTER);
    IoFreeMdl(heap_mdl);
    harness_expect_report(NDISBUF_REPORT_FOREIGN_POINTER);

    free(heap_nbl);
    free(heap_nb);
    free(heap_mdl);
}

static void freeing_a_pointer_into_the_middle_of_an_element_is_reported(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    NdisFreeNetBufferList((PNET_BUFFER_LIST)((char *)nbl + 8));
    harness_expect_report(NDISBUF_REPORT_FOREIGN_POINTER);
    NdisFreeNetBuffer((PNET_BUFFER)((char *)NET_BUFFER_LIST_FIRST_NB(nbl) + 16));
    harness_expect_report(NDISBUF_REPORT_FOREIGN_POINTER);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

/* -------------------------------------------------------- wrong free call */

static void each_free_call_refuses_objects_it_does_not_own(void **state)
{
    (void)state;
    NDIS_HANDLE nb_pool = harness_nb_pool(0);
    NDIS_HANDLE nbl_pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    NDIS_HANDLE data_pool = harness_nbl_pool(TRUE, 0, 512, TAG);
    PNET_BUFFER lone = NdisAllocateNetBuffer(nb_pool, NULL, 0, 0);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(nbl_pool, 0, 0);
    PNET_BUFFER_LIST data_nbl = NdisAllocateNetBufferList(data_pool, 0, 0);
    PMDL data_mdl = NET_BUFFER_FIRST_MDL(NET_BUFFER_LIST_FIRST_NB(data_nbl));

    NdisFreeNetBufferList((PNET_BUFFER_LIST)lone);
    harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);

    NdisFreeNetBuffer(NET_BUFFER_LIST_FIRST_NB(nbl));
    const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
    assert_contains(r->message, "NdisFreeNetBufferList");

    NdisFreeNetBuffer((PNET_BUFFER)nbl);
    harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);

    NdisFreeMdl(data_mdl);
    harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
    IoFreeMdl(data_mdl);
    harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);

    NdisFreeNetBufferList((PNET_BUFFER_LIST)NET_BUFFER_LIST_FIRST_NB(data_nbl));
    harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);

    /* Nothing was released. */
    assert_int_equal(ndisbuf_outstanding_total(), 3);
    NdisFreeNetBuffer(lone);
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferList(data_nbl);
    harness_free_nb_pool(nb_pool);
    harness_free_nbl_pool(nbl_pool);
    harness_free_nbl_pool(data_pool);
}

static void mdl_free_refuses_an_nbl_an_nb_or_an_nbs_own_mdl(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    NDIS_HANDLE nb_pool = harness_nb_pool(64);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    PNET_BUFFER nb = NdisAllocateNetBufferMdlAndData(nb_pool);
    NdisFreeMdl((PMDL)nbl);
    harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
    IoFreeMdl((PMDL)nb);
    harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
    NdisFreeMdl(NET_BUFFER_FIRST_MDL(nb));
    harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBuffer(nb);
    harness_expect_no_report();
    harness_free_nbl_pool(pool);
    harness_free_nb_pool(nb_pool);
}

/* -------------------------------------------------------------- wrong pool */

static void nbl_whose_pool_handle_was_changed_is_reported_wrong_pool(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    NDIS_HANDLE other = harness_nbl_pool(TRUE, 0, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);

    nbl->NdisPoolHandle = other;
    NdisFreeNetBufferList(nbl);
    const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_WRONG_POOL);
    assert_ptr_equal(r->parameters[1], other);
    assert_ptr_equal(r->parameters[2], pool);
    assert_int_equal(harness_stats(pool).Outstanding, 1);
    assert_int_equal(harness_stats(other).Outstanding, 0);

    nbl->NdisPoolHandle = pool;
    NdisFreeNetBufferList(nbl);
    harness_expect_no_report();
    harness_free_nbl_pool(pool);
    harness_free_nbl_pool(other);
}

static void nb_whose_pool_handle_was_changed_is_reported_wrong_pool(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    PNET_BUFFER nb = NdisAllocateNetBuffer(pool, NULL, 0, 0);
    nb->NdisPoolHandle = NULL;
    NdisFreeNetBuffer(nb);
    harness_expect_report(NDISBUF_REPORT_WRONG_POOL);
    nb->NdisPoolHandle = pool;
    NdisFreeNetBuffer(nb);
    harness_free_nb_pool(pool);
}

/* -------------------------------------------------------- context popped */

static void nbl_freed_with_pushed_context_is_reported(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 32, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 16, 0);
    PNET_BUFFER_LIST_CONTEXT original = nbl->Context;
    union {
        NET_BUFFER_LIST_CONTEXT header;
        UCHAR bytes[sizeof(NET_BUFFER_LIST_CONTEXT) + 32];
    } pushed;
    memset(&pushed, 0, sizeof(pushed));
    pushed.header.Next = original;
    pushed.header.Size = 32;
    pushed.header.Offset = 0;

    nbl->Context = &pushed.header;
    NdisFreeNetBufferList(nbl);
    const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_CONTEXT_NOT_POPPED);
    assert_ptr_equal(r->parameters[1], &pushed.header);
    assert_ptr_equal(r->parameters[2], original);
    assert_int_equal(harness_stats(pool).Outstanding, 1);

    nbl->Context = original;
    NdisFreeNetBufferList(nbl);
    harness_expect_no_report();
    harness_free_nbl_pool(pool);
}

static void nbl_freed_with_its_context_dropped_is_reported(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 64, 0); /* a separate block */
    PNET_BUFFER_LIST_CONTEXT original = nbl->Context;
    nbl->Context = NULL;
    NdisFreeNetBufferList(nbl);
    harness_expect_report(NDISBUF_REPORT_CONTEXT_NOT_POPPED);
    nbl->Context = original;
    NdisFreeNetBufferList(nbl); /* LeakSanitizer: the block goes too */
    harness_free_nbl_pool(pool);
}

/* ------------------------------------------------------------ NULL objects */

static void null_to_each_free_is_reported_null_object(void **state)
{
    (void)state;
    NdisFreeNetBufferList(NULL);
    assert_string_equal(harness_expect_report(NDISBUF_REPORT_NULL_OBJECT)->function, "NdisFreeNetBufferList");
    NdisFreeNetBuffer(NULL);
    assert_string_equal(harness_expect_report(NDISBUF_REPORT_NULL_OBJECT)->function, "NdisFreeNetBuffer");
    NdisFreeMdl(NULL);
    assert_string_equal(harness_expect_report(NDISBUF_REPORT_NULL_OBJECT)->function, "NdisFreeMdl");
    IoFreeMdl(NULL);
    assert_string_equal(harness_expect_report(NDISBUF_REPORT_NULL_OBJECT)->function, "IoFreeMdl");
}

/* ------------------------------------------------------------- MDL length */

static void lengthening_a_library_mdl_is_reported_and_ignored(void **state)
{
    (void)state;
    UCHAR buf[100];
    PMDL mdl = NdisAllocateMdl(NULL, buf, sizeof(buf));
    NdisAdjustMdlLength(mdl, 101);
    const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_MDL_LENGTHENED);
    assert_int_equal(r->parameters[1], 101);
    assert_int_equal(r->parameters[2], 100);
    assert_int_equal(MmGetMdlByteCount(mdl), 100);

    NdisAdjustMdlLength(mdl, 40);
    assert_int_equal(MmGetMdlByteCount(mdl), 40);
    NdisAdjustMdlLength(mdl, 100); /* restoring is not lengthening */
    harness_expect_no_report();
    assert_int_equal(MmGetMdlByteCount(mdl), 100);
    NdisFreeMdl(mdl);
}

static void lengthening_an_nbls_data_mdl_is_reported(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 256, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    PMDL mdl = NET_BUFFER_FIRST_MDL(NET_BUFFER_LIST_FIRST_NB(nbl));
    NdisAdjustMdlLength(mdl, 257);
    harness_expect_report(NDISBUF_REPORT_MDL_LENGTHENED);
    assert_int_equal(MmGetMdlByteCount(mdl), 256);
    NdisAdjustMdlLength(mdl, 60);
    NdisAdjustMdlLength(mdl, 256);
    harness_expect_no_report();
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

/* ---------------------------------------------------------- pool not empty */

static void pool_not_empty_is_reported_with_count_and_tag(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, HARNESS_TAG('L', 'e', 'a', 'k'));
    PNET_BUFFER_LIST a = NdisAllocateNetBufferList(pool, 0, 0);
    PNET_BUFFER_LIST b = NdisAllocateNetBufferList(pool, 0, 0);
    NdisFreeNetBufferListPool(pool);
    const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_POOL_NOT_EMPTY);
    assert_int_equal(r->parameters[1], 2);
    assert_contains(r->message, "Leak");
    NdisFreeNetBufferList(a);
    NdisFreeNetBufferListPool(pool); /* one still out */
    assert_int_equal(harness_expect_report(NDISBUF_REPORT_POOL_NOT_EMPTY)->parameters[1], 1);
    NdisFreeNetBufferList(b);
    harness_free_nbl_pool(pool);
}

/* ----------------------------------------------------------------- policies */

static void default_policy_aborts_with_the_report_on_stderr(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        close(fds[0]);
        dup2(fds[1], STDERR_FILENO);
        ndisbuf_report_set_handler(NULL, NULL); /* the default: abort */
        if (ndisbuf_report_get_policy() != NdisbufReportAbort)
            _exit(3);
        signal(SIGABRT, SIG_DFL);
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core); /* the abort is expected: no core file */
        /* No cmocka assertions in the child: plain calls and exit codes. */
        NET_BUFFER_LIST_POOL_PARAMETERS params;
        harness_nbl_pool_params(&params, TRUE, 0, 0, TAG);
        NDIS_HANDLE pool = NdisAllocateNetBufferListPool(NULL, &params);
        PNET_BUFFER_LIST nbl = pool ? NdisAllocateNetBufferList(pool, 0, 0) : NULL;
        if (!nbl)
            _exit(5);
        NdisFreeNetBufferList(nbl);
        NdisFreeNetBufferList(nbl); /* must not return */
        _exit(4);
    }
    close(fds[1]);
    char output[4096];
    size_t used = 0;
    ssize_t n;
    while ((n = read(fds[0], output + used, sizeof(output) - 1 - used)) > 0)
        used += (size_t)n;
    output[used] = '\0';
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    if (!WIFSIGNALED(status))
        print_error("child exited with %d, stderr:\n%s\n", WEXITSTATUS(status), output);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    assert_contains(output, "DOUBLE_FREE");
    assert_contains(output, "NdisFreeNetBufferList");
}

static void count_policy_prints_counts_and_carries_on(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    NdisFreeNetBufferList(nbl);

    ULONG64 before = ndisbuf_report_count();
    ndisbuf_report_set_policy(NdisbufReportCount);
    assert_int_equal(ndisbuf_report_get_policy(), NdisbufReportCount);
    /* The report goes to stderr: send it to /dev/null for the duration. */
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    FILE *null_file = fopen("/dev/null", "w");
    assert_non_null(null_file);
    dup2(fileno(null_file), STDERR_FILENO);
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferList(NULL);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    fclose(null_file);
    harness_install_handler();

    assert_int_equal(ndisbuf_report_count(), before + 2);
    assert_int_equal(harness_report_count(), 0); /* the handler was not called */
    assert_int_equal(harness_stats(pool).Outstanding, 0);
    harness_free_nbl_pool(pool);
}

static void handler_policy_counts_reports_too(void **state)
{
    (void)state;
    ULONG64 before = ndisbuf_report_count();
    assert_int_equal(ndisbuf_report_get_policy(), NdisbufReportHandler);
    NdisFreeNetBuffer(NULL);
    harness_expect_report(NDISBUF_REPORT_NULL_OBJECT);
    assert_int_equal(ndisbuf_report_count(), before + 1);
}

static void report_code_names_come_from_the_one_list(void **state)
{
    (void)state;
    assert_string_equal(ndisbuf_report_code_name(NDISBUF_REPORT_DOUBLE_FREE), "DOUBLE_FREE");
    assert_string_equal(ndisbuf_report_code_name(NDISBUF_REPORT_POOL_NOT_EMPTY), "POOL_NOT_EMPTY");
    assert_string_equal(ndisbuf_report_code_name(NDISBUF_REPORT_MDL_LENGTHENED), "MDL_LENGTHENED");
    assert_string_equal(ndisbuf_report_code_name((NDISBUF_REPORT_CODE)0x7F), "UNKNOWN");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(nbl_freed_with_a_separate_nb_attached_is_reported_and_left_intact),
        HARNESS_TEST(nbl_without_own_nb_freed_with_separate_nbs_is_reported),
        HARNESS_TEST(double_free_of_an_nbl_is_reported),
        HARNESS_TEST(double_free_of_a_net_buffer_is_reported),
        HARNESS_TEST(double_free_of_an_mdl_is_reported),
        HARNESS_TEST(freeing_stack_or_heap_objects_is_reported_foreign_pointer),
        HARNESS_TEST(freeing_a_pointer_into_the_middle_of_an_element_is_reported),
        HARNESS_TEST(each_free_call_refuses_objects_it_does_not_own),
        HARNESS_TEST(mdl_free_refuses_an_nbl_an_nb_or_an_nbs_own_mdl),
        HARNESS_TEST(nbl_whose_pool_handle_was_changed_is_reported_wrong_pool),
        HARNESS_TEST(nb_whose_pool_handle_was_changed_is_reported_wrong_pool),
        HARNESS_TEST(nbl_freed_with_pushed_context_is_reported),
        HARNESS_TEST(nbl_freed_with_its_context_dropped_is_reported),
        HARNESS_TEST(null_to_each_free_is_reported_null_object),
        HARNESS_TEST(lengthening_a_library_mdl_is_reported_and_ignored),
        HARNESS_TEST(lengthening_an_nbls_data_mdl_is_reported),
        HARNESS_TEST(pool_not_empty_is_reported_with_count_and_tag),
        HARNESS_TEST(default_policy_aborts_with_the_report_on_stderr),
        HARNESS_TEST(count_policy_prints_counts_and_carries_on),
        HARNESS_TEST(handler_policy_counts_reports_too),
        HARNESS_TEST(report_code_names_come_from_the_one_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
