/* SPDX-License-Identifier: MIT */
/*
 * The verifier's machinery (docs/verifier.md): levels and what each adds
 * to a report, switching at run time, the JSON report file, the pending
 * listing, and the quarantine. The checks themselves are in test_checks.c.
 */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "stackdrv.h"
#include "verify/verify.h"

typedef struct rig {
    td_miniport m;
    td_protocol p;
    NDIS_HANDLE adapter;
} rig;

static rig R;

static rig *rig_up(void)
{
    memset(&R, 0, sizeof R);
    td_miniport_register(&R.m);
    assert_int_equal(ndisbuf_stack_add_adapter(R.m.driver, "vf0", &R.adapter), NDIS_STATUS_SUCCESS);
    td_protocol_register(&R.p, "vfproto");
    assert_int_equal(ndisbuf_stack_bind(R.adapter, R.p.driver, &R.p.binding), NDIS_STATUS_SUCCESS);
    return &R;
}

static void rig_down(rig *r)
{
    td_protocol_deregister(&r->p);
    td_miniport_deregister(&r->m);
}

static NDIS_HANDLE small_pool(void)
{
    return harness_nbl_pool(TRUE, 0, 64, HARNESS_TAG('v', 'f', 'p', 'l'));
}

/* ---- levels ---- */

static void the_level_is_set_read_and_bounded(void **state)
{
    (void)state;
    assert_int_equal(ndisbuf_verifier_set(2), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_verifier_level(), 2);
    assert_int_equal(ndisbuf_verifier_set(NDISBUF_VERIFIER_LEVEL_MAX + 1), NDIS_STATUS_INVALID_PARAMETER);
    assert_true(harness_diag_contains("is not a verifier level"));
    assert_int_equal(ndisbuf_verifier_level(), 2);
    assert_int_equal(ndisbuf_verifier_set(0), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_verifier_level(), 0);
}

/* Whether the library names code addresses through libdw (the build found it). */
static bool symbols_from_debug_info(void)
{
    void *libdw = dlopen("libdw.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (libdw)
        dlclose(libdw);
    return libdw != NULL;
}

/*
 * The same bug (a double free) at each level: what the report carries grows
 * with it. Not inlined: reports name it, a static function, as the allocator.
 */
static __attribute__((noinline)) const struct harness_report *double_free_at(ULONG level)
{
    assert_int_equal(ndisbuf_verifier_set(level), NDIS_STATUS_SUCCESS);
    NDIS_HANDLE pool = small_pool();
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferList(nbl);
    const struct harness_report *rep = harness_expect_report(NDISBUF_REPORT_DOUBLE_FREE);
    NdisFreeNetBufferListPool(pool);
    return rep;
}

static void level_0_reports_carry_no_owner_or_history(void **state)
{
    (void)state;
    const struct harness_report *rep = double_free_at(0);
    assert_int_equal(rep->level, 0);
    assert_string_equal(rep->owner, "");
    assert_string_equal(rep->history, "");
}

static void level_1_adds_the_owner(void **state)
{
    (void)state;
    const struct harness_report *rep = double_free_at(1);
    assert_contains(rep->owner, "freed");
    assert_contains(rep->owner, "allocated from pool");
    if (symbols_from_debug_info())
        assert_contains(rep->owner, "at double_free_at+0x"); /* the allocating call, a static function */
    else
        assert_contains(rep->owner, "at test_verify_verifier+0x"); /* dladdr: the module */
    assert_string_equal(rep->history, "");
}

static void level_3_adds_the_history(void **state)
{
    (void)state;
    const struct harness_report *rep = double_free_at(3);
    assert_contains(rep->history, "ALLOCATE");
    assert_contains(rep->history, "FREE");
    assert_contains(rep->history, "thread");
    assert_null(strstr(rep->history, "        at "));
}

static void level_4_adds_call_stacks(void **state)
{
    (void)state;
    const struct harness_report *rep = double_free_at(4);
    assert_contains(rep->history, "ALLOCATE");
    assert_contains(rep->history, "        at ");
}

/* Level-4 stacks name a driver's static functions with file and line, no -rdynamic needed (libdw). */
static void level_4_stacks_name_static_functions_with_their_source_line(void **state)
{
    (void)state;
    const struct harness_report *rep = double_free_at(4);
    if (symbols_from_debug_info()) {
        assert_contains(rep->history, "\n        at double_free_at+0x");
        assert_contains(rep->history, " (test_verifier.c:");
    } else {
        assert_contains(rep->history, "\n        at test_verify_verifier+0x"); /* dladdr: the module */
    }
}

/* ---- naming code addresses ---- */

static __attribute__((noinline)) const void *return_address(void)
{
    return __builtin_return_address(0);
}

/* A return address in this file, inside a static function (no tail call: code follows the call). */
static __attribute__((noinline)) const void *a_site_in_this_file(void)
{
    const void *site = return_address();
    __asm__ volatile("" : : "r"(site) : "memory");
    return site;
}

/* The dladdr form, as docs/verifier.md shows it: what a build without libdw prints. */
static void plain_site_names_the_exported_symbol_or_the_module(void **state)
{
    (void)state;
    char text[128], expected[128];
    const void *site = a_site_in_this_file();
    Dl_info info;
    assert_true(dladdr(site, &info));
    assert_null(info.dli_sname); /* a static function, not exported without -rdynamic */
    snprintf(expected, sizeof expected, "test_verify_verifier+%#lx",
             (unsigned long)((const char *)site - (const char *)info.dli_fbase));
    vf_describe_site_plain(site, text, sizeof text);
    assert_string_equal(text, expected);

    const void *exported = (const char *)(void *)getpid + 1;
    assert_true(dladdr(exported, &info));
    assert_non_null(info.dli_sname);
    snprintf(expected, sizeof expected, "%s+%#lx", info.dli_sname,
             (unsigned long)((const char *)exported - (const char *)info.dli_saddr));
    vf_describe_site_plain(exported, text, sizeof text);
    assert_string_equal(text, expected);

    vf_describe_site_plain(NULL, text, sizeof text);
    assert_string_equal(text, "(nil)");
    vf_describe_site(NULL, text, sizeof text);
    assert_string_equal(text, "(nil)");
}

static void site_names_the_static_function_and_line_when_libdw_is_built_in(void **state)
{
    (void)state;
    char text[128], plain[128], tiny[8];
    const void *site = a_site_in_this_file();
    vf_describe_site(site, text, sizeof text);
    vf_describe_site_plain(site, plain, sizeof plain);
    if (symbols_from_debug_info()) {
        assert_int_equal(strncmp(text, "a_site_in_this_file+0x", 22), 0);
        assert_contains(text, " (test_verifier.c:");
    } else {
        assert_string_equal(text, plain);
    }
    vf_describe_site(site, tiny, sizeof tiny); /* cut, still terminated */
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
    assert_int_equal(strncmp(tiny, text, sizeof tiny - 1), 0);
}

/* Tracking switched on while an NBL is in flight: it is adopted, not judged, then tracked. */
static void tracking_switched_on_mid_flight_adopts_what_is_out(void **state)
{
    (void)state;
    assert_int_equal(ndisbuf_verifier_set(0), NDIS_STATUS_SUCCESS);
    rig *r = rig_up();
    r->m.hold_sends = true;
    td_protocol_send(&r->p, 2, 60);
    assert_int_equal(ndisbuf_verifier_set(3), NDIS_STATUS_SUCCESS);
    td_miniport_release_sends(&r->m, NDIS_STATUS_SUCCESS); /* completes NBLs tracking never saw go */
    harness_expect_no_report();
    assert_int_equal(r->p.completed_ok, 2);
    td_protocol_send(&r->p, 1, 60); /* this one is tracked all the way */
    td_miniport_release_sends(&r->m, NDIS_STATUS_SUCCESS);
    harness_expect_no_report();
    assert_int_equal(r->p.completed_ok, 3);
    rig_down(r);
}

/* ---- the JSON report file ---- */

static void reports_are_appended_to_the_json_file(void **state)
{
    (void)state;
    char path[] = "/tmp/ndisbuf-vf-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(ndisbuf_report_set_json_file(path), NDIS_STATUS_SUCCESS);
    double_free_at(3);
    double_free_at(1);
    assert_int_equal(ndisbuf_report_set_json_file(NULL), NDIS_STATUS_SUCCESS);
    double_free_at(1); /* closed: not written */

    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[16384];
    int lines = 0;
    while (fgets(line, sizeof line, f)) {
        lines++;
        assert_contains(line, "{\"code\":17,\"name\":\"DOUBLE_FREE\",\"function\":\"NdisFreeNetBufferList\"");
        assert_contains(line, "\"parameters\":[\"0x");
        assert_contains(line, "\"owner\":\"freed; ");
        assert_contains(line, "\"pid\":");
        assert_true(line[strlen(line) - 2] == '}');
        if (lines == 1) {
            assert_contains(line, "\"history\":[\"  #0");
            assert_contains(line, "\"level\":3");
        } else {
            assert_contains(line, "\"history\":[]");
        }
    }
    fclose(f);
    unlink(path);
    assert_int_equal(lines, 2);

    assert_int_equal(ndisbuf_report_set_json_file("/nonexistent-dir/x.json"), NDIS_STATUS_FAILURE);
    assert_true(harness_diag_contains("cannot open"));
}

/* What vf_json_write_string writes for `length` bytes of text (freed by the caller). */
static char *json_of(const char *text, size_t length)
{
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);
    assert_non_null(f);
    vf_json_write_string(f, text, length);
    fclose(f);
    return out;
}

static void assert_json_of(const char *text, size_t length, const char *expected)
{
    char *json = json_of(text, length);
    assert_string_equal(json, expected);
    free(json);
}

/* The file stays valid JSON whatever the names and paths in a report hold. */
static void json_strings_are_escaped_and_valid_utf8(void **state)
{
    (void)state;
    assert_json_of("plain", 5, "\"plain\"");
    assert_json_of("a\"b\\c\nd\te", 9, "\"a\\\"b\\\\c\\nd\\u0009e\"");
    /* well-formed UTF-8 of 2, 3 and 4 bytes goes through as it is */
    assert_json_of("\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 11, "\"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    /* anything else: one replacement character per byte */
    assert_json_of("\xff", 1, "\"\\ufffd\"");                          /* never a UTF-8 byte */
    assert_json_of("\x80x", 2, "\"\\ufffdx\"");                        /* a lone continuation byte */
    assert_json_of("\xc3", 1, "\"\\ufffd\"");                          /* cut short by the end */
    assert_json_of("\xc3x", 2, "\"\\ufffdx\"");                        /* cut short by an ASCII byte */
    assert_json_of("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");              /* overlong '/' */
    assert_json_of("\xe0\x80\xaf", 3, "\"\\ufffd\\ufffd\\ufffd\"");    /* overlong, 3 bytes */
    assert_json_of("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");    /* a UTF-16 surrogate */
    assert_json_of("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* past U+10FFFF */
    /* the length is what is written: a NUL inside it is a control character, past it nothing */
    assert_json_of("a\0b", 3, "\"a\\u0000b\"");
    assert_json_of("abc", 1, "\"a\"");
}

/* ---- the pending listing ---- */

static void pending_nbls_lists_what_is_in_flight_and_its_holder(void **state)
{
    (void)state;
    char *text = NULL;
    size_t size = 0;
    assert_int_equal(ndisbuf_verifier_set(1), NDIS_STATUS_SUCCESS);
    rig *r = rig_up();
    r->m.hold_sends = true;
    td_protocol_send(&r->p, 2, 60);
    FILE *out = open_memstream(&text, &size);
    assert_int_equal(ndisbuf_pending_nbls_dump(out), 2);
    fclose(out);
    assert_contains(text, "2 NBL(s) in flight");
    assert_contains(text, "held by miniport adapter 'vf0' (send direction");
    assert_contains(text, "sent by the binding of protocol 'vfproto' to 'vf0'");
    free(text);
    td_miniport_release_sends(&r->m, NDIS_STATUS_SUCCESS);

    out = open_memstream(&text, &size);
    assert_int_equal(ndisbuf_pending_nbls_dump(out), 0);
    fclose(out);
    assert_contains(text, "0 NBL(s) in flight");
    free(text);

    assert_int_equal(ndisbuf_verifier_set(0), NDIS_STATUS_SUCCESS);
    out = open_memstream(&text, &size);
    assert_int_equal(ndisbuf_pending_nbls_dump(out), 0);
    fclose(out);
    assert_contains(text, "tracking is off");
    free(text);
    assert_int_equal(ndisbuf_pending_nbls_dump(NULL), -1);
    rig_down(r);
}

/* A pool freed with NBLs still out: at level 1 the report says who holds each. */
static void pool_not_empty_names_the_holders(void **state)
{
    (void)state;
    assert_int_equal(ndisbuf_verifier_set(1), NDIS_STATUS_SUCCESS);
    rig *r = rig_up();
    r->m.hold_sends = true;
    NDIS_HANDLE pool = small_pool();
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    nbl->SourceHandle = r->p.binding;
    NdisSendNetBufferLists(r->p.binding, nbl, NDIS_DEFAULT_PORT_NUMBER, 0);
    NdisFreeNetBufferListPool(pool); /* the bug: one of its NBLs is in the miniport */
    const struct harness_report *rep = harness_expect_report(NDISBUF_REPORT_POOL_NOT_EMPTY);
    assert_contains(rep->message, "held by miniport adapter 'vf0' (send direction");
    td_miniport_release_sends(&r->m, NDIS_STATUS_SUCCESS);
    NdisFreeNetBufferListPool(pool);
    rig_down(r);
}

/* ---- the quarantine ---- */

static void level_2_delays_reuse_and_never_counts_quarantined_elements(void **state)
{
    (void)state;
    NDIS_HANDLE pool = small_pool();
    assert_int_equal(ndisbuf_verifier_set(0), NDIS_STATUS_SUCCESS);
    PNET_BUFFER_LIST a = NdisAllocateNetBufferList(pool, 0, 0);
    NdisFreeNetBufferList(a);
    PNET_BUFFER_LIST again = NdisAllocateNetBufferList(pool, 0, 0);
    assert_ptr_equal(again, a); /* level 0: the magazine gives the same element back */
    NdisFreeNetBufferList(again);

    assert_int_equal(ndisbuf_verifier_set(2), NDIS_STATUS_SUCCESS);
    PNET_BUFFER_LIST b = NdisAllocateNetBufferList(pool, 0, 0);
    NdisFreeNetBufferList(b);
    PNET_BUFFER_LIST c = NdisAllocateNetBufferList(pool, 0, 0);
    assert_ptr_not_equal(c, b); /* b waits in quarantine */
    NdisFreeNetBufferList(b);   /* a late double free still meets the FREE cookie */
    harness_expect_report(NDISBUF_REPORT_DOUBLE_FREE);
    NdisFreeNetBufferList(c);
    NDISBUF_POOL_STATS stats;
    assert_int_equal(ndisbuf_pool_get_stats(pool, &stats), NDIS_STATUS_SUCCESS);
    assert_int_equal(stats.Outstanding, 0);
    assert_int_equal(ndisbuf_verifier_set(1), NDIS_STATUS_SUCCESS); /* releases the quarantine */
    NdisFreeNetBufferListPool(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(the_level_is_set_read_and_bounded),
        HARNESS_TEST(level_0_reports_carry_no_owner_or_history),
        HARNESS_TEST(level_1_adds_the_owner),
        HARNESS_TEST(level_3_adds_the_history),
        HARNESS_TEST(level_4_adds_call_stacks),
        HARNESS_TEST(level_4_stacks_name_static_functions_with_their_source_line),
        HARNESS_TEST(plain_site_names_the_exported_symbol_or_the_module),
        HARNESS_TEST(site_names_the_static_function_and_line_when_libdw_is_built_in),
        HARNESS_TEST(tracking_switched_on_mid_flight_adopts_what_is_out),
        HARNESS_TEST(reports_are_appended_to_the_json_file),
        HARNESS_TEST(json_strings_are_escaped_and_valid_utf8),
        HARNESS_TEST(pending_nbls_lists_what_is_in_flight_and_its_holder),
        HARNESS_TEST(pool_not_empty_names_the_holders),
        HARNESS_TEST(level_2_delays_reuse_and_never_counts_quarantined_elements),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
