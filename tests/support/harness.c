/* SPDX-License-Identifier: MIT */
/*
 * The unit-test fixture (see harness.h): a report handler that copies every
 * report into a fixed array, a diagnostic sink that keeps the last
 * messages, teardown checks that every pool is gone and nothing is
 * outstanding, and small builders for correct pool parameters and MDL
 * chains. Reports may arrive from any thread, so the records are guarded by
 * a mutex; cmocka assertions are only made on the test's own thread. The
 * outstanding count includes NDIS 5.1 packets, buffers and tagged memory;
 * a failing teardown lists the tagged blocks still allocated.
 */
#include "harness.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define HARNESS_DIAG_KEPT 8

static pthread_mutex_t harness_lock = PTHREAD_MUTEX_INITIALIZER;
static struct harness_report reports[HARNESS_MAX_REPORTS];
static size_t reports_recorded; /* may exceed HARNESS_MAX_REPORTS: overflow */

static char diags[HARNESS_DIAG_KEPT][HARNESS_TEXT_MAX];
static size_t diags_recorded;
static size_t diags_seen;

static void copy_text(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static ULONG setup_level;

static void record_report(const NDISBUF_REPORT *report, void *context)
{
    (void)context;
    pthread_mutex_lock(&harness_lock);
    if (reports_recorded < HARNESS_MAX_REPORTS) {
        struct harness_report *r = &reports[reports_recorded];
        memset(r, 0, sizeof(*r));
        r->code = report->Code;
        copy_text(r->code_name, sizeof(r->code_name), report->CodeName);
        copy_text(r->function, sizeof(r->function), report->Function);
        r->object = report->Object;
        memcpy(r->parameters, report->Parameters, sizeof(r->parameters));
        copy_text(r->message, sizeof(r->message), report->Message);
        copy_text(r->owner, sizeof(r->owner), report->Owner);
        copy_text(r->history, sizeof(r->history), report->History);
        r->level = report->VerifierLevel;
    }
    reports_recorded++;
    pthread_mutex_unlock(&harness_lock);
}

static void record_diagnostic(const char *message, void *context)
{
    (void)context;
    pthread_mutex_lock(&harness_lock);
    copy_text(diags[diags_recorded % HARNESS_DIAG_KEPT], HARNESS_TEXT_MAX, message);
    diags_recorded++;
    pthread_mutex_unlock(&harness_lock);
}

void harness_install_handler(void)
{
    ndisbuf_report_set_handler(record_report, NULL);
}

int harness_setup(void **state)
{
    (void)state;
    pthread_mutex_lock(&harness_lock);
    memset(reports, 0, sizeof(reports));
    reports_recorded = 0;
    diags_recorded = 0;
    diags_seen = 0;
    pthread_mutex_unlock(&harness_lock);
    setup_level = ndisbuf_verifier_level();
    harness_install_handler();
    ndisbuf_set_diagnostic_sink(record_diagnostic, NULL);
    ndisbuf_clear_diagnostic();
    return 0;
}

static void print_unconsumed(void)
{
    size_t n = reports_recorded < HARNESS_MAX_REPORTS ? reports_recorded : HARNESS_MAX_REPORTS;
    for (size_t i = 0; i < n; i++)
        if (!reports[i].consumed)
            print_error("unconsumed report %s in %s: %s\n", reports[i].code_name, reports[i].function,
                        reports[i].message);
}

static size_t unconsumed_locked(void)
{
    size_t n = reports_recorded < HARNESS_MAX_REPORTS ? reports_recorded : HARNESS_MAX_REPORTS;
    size_t waiting = reports_recorded - n; /* overflowed ones count as waiting */
    for (size_t i = 0; i < n; i++)
        waiting += !reports[i].consumed;
    return waiting;
}

/* Names each tagged-memory block still allocated (NDIS 5.1 leaks) in a failing teardown. */
static BOOLEAN print_tagged_block(const NDISBUF_TAGGED_BLOCK *block, PVOID context)
{
    (void)context;
    char tag[5];
    for (int i = 0; i < 4; i++) {
        char c = (char)((block->Tag >> (8 * i)) & 0xFF);
        tag[i] = (c >= 0x20 && c < 0x7F) ? c : '.';
    }
    tag[4] = '\0';
    print_error("teardown: tagged memory %p, %u bytes, tag '%s', allocated at %p\n", block->VirtualAddress,
                block->Length, tag, block->AllocationSite);
    return TRUE;
}

int harness_teardown(void **state)
{
    (void)state;
    /* Restore the defaults first: a failed assertion below leaves the test. */
    ndisbuf_report_set_handler(NULL, NULL);
    ndisbuf_set_diagnostic_sink(NULL, NULL);
    ndisbuf_verifier_set(setup_level);

    pthread_mutex_lock(&harness_lock);
    size_t waiting = unconsumed_locked();
    if (waiting)
        print_unconsumed();
    pthread_mutex_unlock(&harness_lock);

    ULONG pools = ndisbuf_live_pool_count();
    ULONG64 outstanding = ndisbuf_outstanding_total();
    if (pools)
        print_error("teardown: %u pool(s) still live\n", pools);
    if (outstanding) {
        print_error("teardown: %llu object(s) still outstanding\n", (unsigned long long)outstanding);
        ndisbuf_tagged_memory_enumerate_blocks(print_tagged_block, NULL);
    }
    assert_int_equal(waiting, 0);
    assert_int_equal(pools, 0);
    assert_int_equal(outstanding, 0);
    return 0;
}

const struct harness_report *harness_expect_report(NDISBUF_REPORT_CODE code)
{
    pthread_mutex_lock(&harness_lock);
    size_t waiting = unconsumed_locked();
    struct harness_report *found = NULL;
    size_t n = reports_recorded < HARNESS_MAX_REPORTS ? reports_recorded : HARNESS_MAX_REPORTS;
    for (size_t i = 0; i < n; i++)
        if (!reports[i].consumed)
            found = &reports[i];
    if (waiting != 1 || !found || found->code != code) {
        print_error("expected one %s report, %zu waiting\n", ndisbuf_report_code_name(code), waiting);
        print_unconsumed();
        pthread_mutex_unlock(&harness_lock);
        fail_msg("expected exactly one new %s report", ndisbuf_report_code_name(code));
    }
    found->consumed = true;
    pthread_mutex_unlock(&harness_lock);
    assert_string_equal(found->code_name, ndisbuf_report_code_name(code));
    return found;
}

void harness_without_quarantine(void)
{
    if (ndisbuf_verifier_level() > 1)
        assert_int_equal(ndisbuf_verifier_set(1), NDIS_STATUS_SUCCESS);
}

void harness_expect_no_report(void)
{
    pthread_mutex_lock(&harness_lock);
    size_t waiting = unconsumed_locked();
    if (waiting)
        print_unconsumed();
    pthread_mutex_unlock(&harness_lock);
    assert_int_equal(waiting, 0);
}

size_t harness_report_count(void)
{
    pthread_mutex_lock(&harness_lock);
    size_t n = reports_recorded;
    pthread_mutex_unlock(&harness_lock);
    return n;
}

size_t harness_diag_new(void)
{
    pthread_mutex_lock(&harness_lock);
    size_t n = diags_recorded - diags_seen;
    diags_seen = diags_recorded;
    pthread_mutex_unlock(&harness_lock);
    return n;
}

void harness_diag_clear(void)
{
    (void)harness_diag_new();
}

bool harness_diag_contains(const char *needle)
{
    char last[HARNESS_TEXT_MAX] = "";
    pthread_mutex_lock(&harness_lock);
    size_t fresh = diags_recorded - diags_seen;
    if (diags_recorded)
        copy_text(last, sizeof(last), diags[(diags_recorded - 1) % HARNESS_DIAG_KEPT]);
    diags_seen = diags_recorded;
    pthread_mutex_unlock(&harness_lock);
    if (fresh == 0) {
        print_error("no new diagnostic (looking for \"%s\"; last was \"%s\")\n", needle, last);
        return false;
    }
    if (!strstr(last, needle)) {
        print_error("last diagnostic \"%s\" does not contain \"%s\"\n", last, needle);
        return false;
    }
    return true;
}

void harness_assert_contains(const char *haystack, const char *needle, const char *file, int line)
{
    if (!haystack || !strstr(haystack, needle)) {
        print_error("%s:%d: \"%s\" does not contain \"%s\"\n", file, line, haystack ? haystack : "(null)",
                    needle);
        fail();
    }
}

/* ---------------------------------------------------------------- builders */

void harness_nbl_pool_params(NET_BUFFER_LIST_POOL_PARAMETERS *params, BOOLEAN fAllocateNetBuffer,
                             USHORT ContextSize, ULONG DataSize, ULONG tag)
{
    memset(params, 0, sizeof(*params));
    params->Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    params->Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    params->Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    params->ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
    params->fAllocateNetBuffer = fAllocateNetBuffer;
    params->ContextSize = ContextSize;
    params->PoolTag = tag;
    params->DataSize = DataSize;
}

void harness_nb_pool_params(NET_BUFFER_POOL_PARAMETERS *params, ULONG DataSize, ULONG tag)
{
    memset(params, 0, sizeof(*params));
    params->Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    params->Header.Revision = NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    params->Header.Size = NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    params->PoolTag = tag;
    params->DataSize = DataSize;
}

NDIS_HANDLE harness_nbl_pool(BOOLEAN fAllocateNetBuffer, USHORT ContextSize, ULONG DataSize, ULONG tag)
{
    NET_BUFFER_LIST_POOL_PARAMETERS params;
    harness_nbl_pool_params(&params, fAllocateNetBuffer, ContextSize, DataSize, tag);
    NDIS_HANDLE pool = NdisAllocateNetBufferListPool(NULL, &params);
    if (!pool)
        print_error("NdisAllocateNetBufferListPool failed: %s\n", ndisbuf_last_diagnostic());
    assert_non_null(pool);
    return pool;
}

NDIS_HANDLE harness_nb_pool(ULONG DataSize)
{
    NET_BUFFER_POOL_PARAMETERS params;
    harness_nb_pool_params(&params, DataSize, HARNESS_TAG('t', 'N', 'B', 'p'));
    NDIS_HANDLE pool = NdisAllocateNetBufferPool(NULL, &params);
    if (!pool)
        print_error("NdisAllocateNetBufferPool failed: %s\n", ndisbuf_last_diagnostic());
    assert_non_null(pool);
    return pool;
}

static void free_pool_checked(NDIS_HANDLE pool, VOID (*free_fn)(NDIS_HANDLE))
{
    ULONG before = ndisbuf_live_pool_count();
    free_fn(pool);
    harness_expect_no_report();
    assert_int_equal(ndisbuf_live_pool_count(), before - 1);
}

void harness_free_nbl_pool(NDIS_HANDLE pool)
{
    free_pool_checked(pool, NdisFreeNetBufferListPool);
}

void harness_free_nb_pool(NDIS_HANDLE pool)
{
    free_pool_checked(pool, NdisFreeNetBufferPool);
}

NDISBUF_POOL_STATS harness_stats(NDIS_HANDLE pool)
{
    NDISBUF_POOL_STATS stats;
    memset(&stats, 0, sizeof(stats));
    assert_int_equal(ndisbuf_pool_get_stats(pool, &stats), NDIS_STATUS_SUCCESS);
    return stats;
}

void harness_mdl_chain(MDL *mdls, size_t n, UCHAR *buf, const ULONG *lengths)
{
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        MmInitializeMdl(&mdls[i], buf + at, lengths[i]);
        MmBuildMdlForNonPagedPool(&mdls[i]);
        mdls[i].Next = i + 1 < n ? &mdls[i + 1] : NULL;
        at += lengths[i];
    }
}
