/* SPDX-License-Identifier: MIT */
/*
 * Adapter keywords (ndisbuf_stack_add_adapter_ex, docs/stack.md "Adapter
 * keywords") as a miniport reads them: a small driver of this file opens
 * its configuration in MiniportInitializeEx with NdisHandle set to its
 * MiniportAdapterHandle, reads what the test planned, records each result
 * (status, type, value, diagnostic), checks that every value it got is
 * still intact once all reads are done, closes, then sets its attributes.
 *
 * Covered: decimal, hexadecimal and string reads and their limits; names
 * that match ignoring case and nothing else; a quiet miss; text that is no
 * number; types keywords cannot give; values valid until the close; every
 * broken keyword list refused before anything exists; the caller's array
 * freed right after the add; two adapters; no keywords; configurations of
 * other handles, and of an adapter removed while one is open; the handle
 * and the values failed by fault injection (kind memory) as exhaustion
 * would fail them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "stack/stack.h"

#define KW_MAX_READS 24
#define KW_TEXT_MAX (NDISBUF_KEYWORD_MAX_LENGTH + 1)

/* One read MiniportInitializeEx makes, and what it got. */
typedef struct kw_read {
    const char *keyword;
    NDIS_PARAMETER_TYPE type;
    NDIS_STATUS status;
    NDIS_PARAMETER_TYPE got_type;
    ULONG integer;
    char text[KW_TEXT_MAX];   /* a string's characters, narrowed */
    USHORT length, maximum_length;
    bool terminated;          /* a string's Buffer[Length / 2] is 0 */
    bool stable;              /* unchanged after every later read, before the close */
    char diagnostic[256];     /* what the read left ("" if nothing) */
    PNDIS_CONFIGURATION_PARAMETER value;
} kw_read;

typedef struct kw_miniport {
    NDIS_HANDLE driver;
    NDIS_HANDLE adapter;      /* MiniportAdapterHandle of the last initialize */
    kw_read reads[KW_MAX_READS];
    ULONG read_count;
    ULONG initializes, halts;
} kw_miniport;

static kw_miniport kw;

static void plan(ULONG i, const char *keyword, NDIS_PARAMETER_TYPE type)
{
    assert_true(i < KW_MAX_READS);
    memset(&kw.reads[i], 0, sizeof kw.reads[i]);
    kw.reads[i].keyword = keyword;
    kw.reads[i].type = type;
    if (kw.read_count <= i)
        kw.read_count = i + 1;
}

/* An NDIS_STRING over buffer holding the ASCII text s. */
static NDIS_STRING wide(const char *s, WCHAR *buffer, size_t size)
{
    size_t n = strlen(s);
    assert_true(n < size);
    for (size_t i = 0; i <= n; i++)
        buffer[i] = (WCHAR)(unsigned char)s[i];
    NDIS_STRING out = {(USHORT)(n * sizeof(WCHAR)), (USHORT)((n + 1) * sizeof(WCHAR)), buffer};
    return out;
}

static void record(kw_read *r, const NDIS_CONFIGURATION_PARAMETER *v)
{
    r->got_type = v->ParameterType;
    if (v->ParameterType != NdisParameterString) {
        r->integer = v->ParameterData.IntegerData;
        return;
    }
    const NDIS_STRING *s = &v->ParameterData.StringData;
    size_t n = s->Length / sizeof(WCHAR);
    for (size_t i = 0; i < n && i + 1 < KW_TEXT_MAX; i++)
        r->text[i] = s->Buffer[i] < 0x80 ? (char)s->Buffer[i] : '?';
    r->length = s->Length;
    r->maximum_length = s->MaximumLength;
    r->terminated = s->MaximumLength > s->Length && s->Buffer[n] == 0;
}

/* Whether the value read earlier still says what was recorded. */
static bool still_same(const kw_read *r)
{
    kw_read now = *r;
    record(&now, r->value);
    return now.got_type == r->got_type && now.integer == r->integer && strcmp(now.text, r->text) == 0 &&
           now.length == r->length;
}

static void read_one(NDIS_HANDLE config, kw_read *r)
{
    WCHAR buffer[KW_TEXT_MAX + 2];
    NDIS_STRING keyword = wide(r->keyword, buffer, sizeof buffer / sizeof buffer[0]);
    PNDIS_CONFIGURATION_PARAMETER untouched = (PNDIS_CONFIGURATION_PARAMETER)(void *)&kw;

    *r = (kw_read){.keyword = r->keyword, .type = r->type, .value = untouched};
    ndisbuf_clear_diagnostic();
    NdisReadConfiguration(&r->status, &r->value, config, &keyword, r->type);
    snprintf(r->diagnostic, sizeof r->diagnostic, "%s", ndisbuf_last_diagnostic());
    if (r->status == NDIS_STATUS_SUCCESS)
        record(r, r->value);
    else
        assert_ptr_equal(r->value, untouched); /* a failed read leaves *ParameterValue alone */
}

/* NdisOpenConfigurationEx on `handle` with a revision 1 object: its status, the configuration in *config. */
static NDIS_STATUS open_configuration(NDIS_HANDLE handle, NDIS_HANDLE *config)
{
    NDIS_CONFIGURATION_OBJECT object = {
        .Header = {NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT, NDIS_CONFIGURATION_OBJECT_REVISION_1,
                   NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1},
        .NdisHandle = handle,
    };
    return NdisOpenConfigurationEx(&object, config);
}

static NDIS_STATUS kw_read_configuration(NDIS_HANDLE adapter)
{
    NDIS_HANDLE config = NULL;
    NDIS_STATUS st = open_configuration(adapter, &config);
    if (st != NDIS_STATUS_SUCCESS)
        return st;
    for (ULONG i = 0; i < kw.read_count; i++)
        read_one(config, &kw.reads[i]);
    for (ULONG i = 0; i < kw.read_count; i++)
        kw.reads[i].stable = kw.reads[i].status == NDIS_STATUS_SUCCESS && still_same(&kw.reads[i]);
    NdisCloseConfiguration(config);
    return NDIS_STATUS_SUCCESS;
}

static void header(NDIS_OBJECT_HEADER *h, UCHAR type, UCHAR revision, USHORT size)
{
    h->Type = type;
    h->Revision = revision;
    h->Size = size;
}

static NDIS_STATUS kw_set_attributes(NDIS_HANDLE adapter)
{
    NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES r = {0};
    header(&r.Header, NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
           NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
           NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1);
    r.MiniportAdapterContext = &kw;
    NDIS_STATUS st = NdisMSetMiniportAttributes(adapter, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&r);
    if (st != NDIS_STATUS_SUCCESS)
        return st;
    NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES g = {0};
    header(&g.Header, NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES,
           NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2, NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2);
    g.MediaType = NdisMedium802_3;
    g.MtuSize = 1500;
    g.MaxXmitLinkSpeed = g.XmitLinkSpeed = g.MaxRcvLinkSpeed = g.RcvLinkSpeed = 1000000000ull;
    g.MacAddressLength = 6;
    g.LookaheadSize = 1500;
    return NdisMSetMiniportAttributes(adapter, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&g);
}

static NDIS_STATUS kw_initialize(NDIS_HANDLE adapter, NDIS_HANDLE driver_context, PNDIS_MINIPORT_INIT_PARAMETERS ip)
{
    (void)driver_context;
    (void)ip;
    kw.initializes++;
    kw.adapter = adapter;
    NDIS_STATUS st = kw_read_configuration(adapter);
    return st == NDIS_STATUS_SUCCESS ? kw_set_attributes(adapter) : st;
}

static void kw_halt(NDIS_HANDLE context, NDIS_HALT_ACTION action)
{
    (void)context;
    (void)action;
    kw.halts++;
}

static NDIS_STATUS kw_pause(NDIS_HANDLE context, PNDIS_MINIPORT_PAUSE_PARAMETERS pp)
{
    (void)context;
    (void)pp;
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS kw_restart(NDIS_HANDLE context, PNDIS_MINIPORT_RESTART_PARAMETERS rp)
{
    (void)context;
    (void)rp;
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS kw_oid(NDIS_HANDLE context, PNDIS_OID_REQUEST request)
{
    (void)context;
    (void)request;
    return NDIS_STATUS_NOT_SUPPORTED;
}

/* No traffic here: anything sent completes at once. */
static void kw_send(NDIS_HANDLE context, PNET_BUFFER_LIST nbls, NDIS_PORT_NUMBER port, ULONG flags)
{
    (void)context;
    (void)port;
    for (PNET_BUFFER_LIST n = nbls; n; n = NET_BUFFER_LIST_NEXT_NBL(n))
        NET_BUFFER_LIST_STATUS(n) = NDIS_STATUS_SUCCESS;
    (void)flags;
    NdisMSendNetBufferListsComplete(kw.adapter, nbls, 0);
}

static void kw_return(NDIS_HANDLE context, PNET_BUFFER_LIST nbls, ULONG flags)
{
    (void)context;
    (void)nbls;
    (void)flags;
}

static void kw_cancel_send(NDIS_HANDLE context, PVOID id)
{
    (void)context;
    (void)id;
}

static void kw_shutdown(NDIS_HANDLE context, NDIS_SHUTDOWN_ACTION action)
{
    (void)context;
    (void)action;
}

static void kw_cancel_oid(NDIS_HANDLE context, PVOID id)
{
    (void)context;
    (void)id;
}

static int kw_setup(void **state)
{
    harness_setup(state);
    memset(&kw, 0, sizeof kw);
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS c = {0};
    header(&c.Header, NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS, NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2,
           NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2);
    c.MajorNdisVersion = 6;
    c.MinorNdisVersion = 20;
    c.InitializeHandlerEx = kw_initialize;
    c.HaltHandlerEx = kw_halt;
    c.PauseHandler = kw_pause;
    c.RestartHandler = kw_restart;
    c.OidRequestHandler = kw_oid;
    c.SendNetBufferListsHandler = kw_send;
    c.ReturnNetBufferListsHandler = kw_return;
    c.CancelSendHandler = kw_cancel_send;
    c.ShutdownHandlerEx = kw_shutdown;
    c.CancelOidRequestHandler = kw_cancel_oid;
    assert_int_equal(NdisMRegisterMiniportDriver(NULL, NULL, &kw, &c, &kw.driver), NDIS_STATUS_SUCCESS);
    return 0;
}

/* Every adapter the test added must be gone by now. */
static int kw_teardown(void **state)
{
    assert_null(stack_adapters_of(kw.driver, NULL));
    NdisMDeregisterMiniportDriver(kw.driver);
    return harness_teardown(state);
}

#define KW_TEST(fn) cmocka_unit_test_setup_teardown(fn, kw_setup, kw_teardown)

static NDIS_HANDLE add(const char *name, const NDISBUF_KEYWORD *keywords, ULONG count)
{
    NDIS_HANDLE adapter = NULL;
    assert_int_equal(ndisbuf_stack_add_adapter_ex(kw.driver, name, keywords, count, &adapter), NDIS_STATUS_SUCCESS);
    assert_ptr_equal(adapter, kw.adapter); /* the handle returned is the MiniportAdapterHandle */
    assert_int_equal(ndisbuf_stack_state(adapter), NdisbufStateRunning);
    return adapter;
}

static void remove_adapter(NDIS_HANDLE adapter)
{
    assert_int_equal(ndisbuf_stack_remove_adapter(adapter), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_state(adapter), NdisbufStateInvalid);
}

static void read_gave_integer(ULONG i, ULONG value)
{
    const kw_read *r = &kw.reads[i];
    if (r->status != NDIS_STATUS_SUCCESS)
        fail_msg("read %u ('%s'): status 0x%08X, %s", (unsigned)i, r->keyword, (unsigned)r->status, r->diagnostic);
    assert_int_equal(r->got_type, NdisParameterInteger);
    assert_int_equal(r->integer, value);
    assert_true(r->stable);
}

static void read_gave_string(ULONG i, const char *text)
{
    const kw_read *r = &kw.reads[i];
    if (r->status != NDIS_STATUS_SUCCESS)
        fail_msg("read %u ('%s'): status 0x%08X, %s", (unsigned)i, r->keyword, (unsigned)r->status, r->diagnostic);
    assert_int_equal(r->got_type, NdisParameterString);
    assert_string_equal(r->text, text);
    assert_int_equal(r->length, strlen(text) * sizeof(WCHAR));
    assert_int_equal(r->maximum_length, (strlen(text) + 1) * sizeof(WCHAR));
    assert_true(r->terminated);
    assert_true(r->stable);
}

/* A failed read; its diagnostic contains `needle` (NULL: there is none). */
static void read_failed(ULONG i, const char *needle)
{
    const kw_read *r = &kw.reads[i];
    if (r->status != NDIS_STATUS_FAILURE)
        fail_msg("read %u ('%s'): status 0x%08X, not NDIS_STATUS_FAILURE", (unsigned)i, r->keyword,
                 (unsigned)r->status);
    if (needle)
        assert_contains(r->diagnostic, needle);
    else
        assert_string_equal(r->diagnostic, "");
}

/* ---- reads ---- */

static void integer_hex_and_string_reads_convert_the_text(void **state)
{
    (void)state;
    static const NDISBUF_KEYWORD keywords[] = {
        {"Speed", "1000"}, {"Mask", "0x1F"}, {"Bare", "ffFF"}, {"Name", "hello loop"},
        {"Zero", "0"},     {"Max", "4294967295"}, {"HexMax", "0XFFFFFFFF"}, {"Leading", "000042"},
        {"Empty", ""},
    };
    plan(0, "Speed", NdisParameterInteger);
    plan(1, "Mask", NdisParameterHexInteger);
    plan(2, "Bare", NdisParameterHexInteger);
    plan(3, "Name", NdisParameterString);
    plan(4, "Zero", NdisParameterInteger);
    plan(5, "Max", NdisParameterInteger);
    plan(6, "HexMax", NdisParameterHexInteger);
    plan(7, "Leading", NdisParameterInteger);
    plan(8, "Empty", NdisParameterString);
    plan(9, "Speed", NdisParameterHexInteger); /* the same text in another base */
    plan(10, "Speed", NdisParameterString);
    NDIS_HANDLE a = add("kw0", keywords, sizeof keywords / sizeof keywords[0]);

    read_gave_integer(0, 1000);
    read_gave_integer(1, 0x1F); /* a hexadecimal read gives NdisParameterInteger, as documented */
    read_gave_integer(2, 0xFFFF);
    read_gave_string(3, "hello loop");
    read_gave_integer(4, 0);
    read_gave_integer(5, 0xFFFFFFFFu);
    read_gave_integer(6, 0xFFFFFFFFu);
    read_gave_integer(7, 42);
    read_gave_string(8, "");
    read_gave_integer(9, 0x1000);
    read_gave_string(10, "1000");
    for (ULONG i = 0; i <= 10; i++)
        assert_string_equal(kw.reads[i].diagnostic, "");
    remove_adapter(a);
}

static void names_match_ignoring_case_and_nothing_else(void **state)
{
    (void)state;
    static const NDISBUF_KEYWORD keywords[] = {{"DataPath", "1"}, {"*JumboPacket", "9014"}};
    plan(0, "datapath", NdisParameterInteger);
    plan(1, "DATAPATH", NdisParameterInteger);
    plan(2, "*jumbopacket", NdisParameterInteger);
    plan(3, "DataPat", NdisParameterInteger);
    plan(4, "DataPaths", NdisParameterInteger);
    plan(5, "", NdisParameterInteger);
    NDIS_HANDLE a = add("kw0", keywords, 2);

    read_gave_integer(0, 1);
    read_gave_integer(1, 1);
    read_gave_integer(2, 9014);
    read_failed(3, NULL);
    read_failed(4, NULL);
    read_failed(5, NULL);
    remove_adapter(a);
}

static void missing_keyword_is_a_quiet_failure(void **state)
{
    (void)state;
    static const NDISBUF_KEYWORD keywords[] = {{"Speed", "10"}};
    plan(0, "NetworkAddress", NdisParameterString);
    plan(1, "Speed", NdisParameterInteger);
    NDIS_HANDLE a = add("kw0", keywords, 1);

    read_failed(0, NULL); /* optional keywords are read all the time: no diagnostic */
    read_gave_integer(1, 10);
    remove_adapter(a);
}

static void text_that_is_no_number_fails_with_a_diagnostic(void **state)
{
    (void)state;
    static const struct {
        const char *name, *value;
        NDIS_PARAMETER_TYPE type;
    } cases[] = {
        {"Letters", "12a", NdisParameterInteger},     {"Sign", "-1", NdisParameterInteger},
        {"Plus", "+1", NdisParameterInteger},         {"Space", " 1", NdisParameterInteger},
        {"Trailing", "1 ", NdisParameterInteger},     {"Nothing", "", NdisParameterInteger},
        {"TooBig", "4294967296", NdisParameterInteger}, {"HexText", "0x10", NdisParameterInteger},
        {"Prefix", "0x", NdisParameterHexInteger},    {"NotHex", "0xG1", NdisParameterHexInteger},
        {"HexTooBig", "100000000", NdisParameterHexInteger}, {"HexSign", "-1", NdisParameterHexInteger},
        {"HexEmpty", "", NdisParameterHexInteger},
    };
    NDISBUF_KEYWORD keywords[sizeof cases / sizeof cases[0]];
    for (ULONG i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        keywords[i].Name = cases[i].name;
        keywords[i].Value = cases[i].value;
        plan(i, cases[i].name, cases[i].type);
    }
    NDIS_HANDLE a = add("kw0", keywords, sizeof cases / sizeof cases[0]);

    for (ULONG i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "'%s'", cases[i].value);
        read_failed(i, cases[i].name);
        assert_contains(kw.reads[i].diagnostic, text);
    }
    remove_adapter(a);
}

static void types_keywords_cannot_give_fail_with_a_diagnostic(void **state)
{
    (void)state;
    static const NDISBUF_KEYWORD keywords[] = {{"Filters", "a"}};
    plan(0, "Filters", NdisParameterMultiString);
    plan(1, "Filters", NdisParameterBinary);
    plan(2, "Filters", (NDIS_PARAMETER_TYPE)42);
    plan(3, "Filters", NdisParameterString);
    NDIS_HANDLE a = add("kw0", keywords, 1);

    read_failed(0, "NdisParameterMultiString");
    read_failed(1, "NdisParameterBinary");
    read_failed(2, "unknown ParameterType");
    read_gave_string(3, "a");
    remove_adapter(a);
}

/* ---- lifetime ---- */

static void values_stay_valid_across_reads_until_close(void **state)
{
    (void)state;
    static const NDISBUF_KEYWORD keywords[] = {{"Name", "first"}, {"Speed", "7"}};
    plan(0, "Name", NdisParameterString);
    plan(1, "Name", NdisParameterString);
    plan(2, "Speed", NdisParameterInteger);
    plan(3, "Speed", NdisParameterInteger);
    NDIS_HANDLE a = add("kw0", keywords, 2);

    read_gave_string(0, "first"); /* read_gave_* checks `stable`: intact after the later reads */
    read_gave_string(1, "first");
    read_gave_integer(2, 7);
    read_gave_integer(3, 7);
    assert_ptr_not_equal(kw.reads[0].value, kw.reads[1].value); /* each read its own block */

    /* Many reads on one handle: every block lives until the close (ASan checks the close frees them). */
    kw_read reads[100];
    memset(reads, 0, sizeof reads);
    NDIS_HANDLE config;
    assert_int_equal(open_configuration(a, &config), NDIS_STATUS_SUCCESS);
    for (int i = 0; i < 100; i++) {
        reads[i].keyword = i % 2 ? "Speed" : "Name";
        reads[i].type = i % 2 ? NdisParameterInteger : NdisParameterString;
        read_one(config, &reads[i]);
        assert_int_equal(reads[i].status, NDIS_STATUS_SUCCESS);
    }
    for (int i = 0; i < 100; i++)
        assert_true(still_same(&reads[i]));
    NdisCloseConfiguration(config);
    remove_adapter(a);
}

static void configuration_outlives_the_adapter_it_was_opened_on(void **state)
{
    (void)state;
    static const NDISBUF_KEYWORD keywords[] = {{"Speed", "5"}};
    NDIS_HANDLE a = add("kw0", keywords, 1);
    NDIS_HANDLE config;
    assert_int_equal(open_configuration(a, &config), NDIS_STATUS_SUCCESS);
    remove_adapter(a);

    kw_read r = {.keyword = "Speed", .type = NdisParameterInteger};
    read_one(config, &r);
    assert_int_equal(r.status, NDIS_STATUS_SUCCESS); /* the handle took its own copy at open */
    assert_int_equal(r.integer, 5);
    NdisCloseConfiguration(config);

    /* Opened on the removed adapter's handle: no adapter any more, an empty configuration. */
    assert_int_equal(open_configuration(a, &config), NDIS_STATUS_SUCCESS);
    read_one(config, &r);
    assert_int_equal(r.status, NDIS_STATUS_FAILURE);
    assert_contains(r.diagnostic, "MiniportAdapterHandle");
    NdisCloseConfiguration(config);
}

/* ---- adding adapters ---- */

static void callers_array_may_go_right_after_the_add(void **state)
{
    (void)state;
    NDISBUF_KEYWORD *keywords = calloc(2, sizeof *keywords);
    char *name0 = strdup("Speed"), *value0 = strdup("100"), *name1 = strdup("Name"), *value1 = strdup("mine");
    assert_non_null(keywords);
    assert_true(name0 && value0 && name1 && value1);
    keywords[0] = (NDISBUF_KEYWORD){name0, value0};
    keywords[1] = (NDISBUF_KEYWORD){name1, value1};
    NDIS_HANDLE a = add("kw0", keywords, 2);
    /* Scribble, then free: a kept pointer would read garbage (or ASan would stop it). */
    memset(name0, 'x', strlen(name0));
    memset(value0, '9', strlen(value0));
    memset(name1, 'x', strlen(name1));
    memset(value1, 'z', strlen(value1));
    free(name0);
    free(value0);
    free(name1);
    free(value1);
    memset(keywords, 0, 2 * sizeof *keywords);
    free(keywords);

    /* Read again through a fresh configuration on the adapter. */
    plan(0, "Speed", NdisParameterInteger);
    plan(1, "Name", NdisParameterString);
    assert_int_equal(kw_read_configuration(a), NDIS_STATUS_SUCCESS);
    read_gave_integer(0, 100);
    read_gave_string(1, "mine");
    remove_adapter(a);
}

static void two_adapters_keep_their_own_keywords(void **state)
{
    (void)state;
    static const NDISBUF_KEYWORD slow[] = {{"Speed", "10"}, {"OnlyA", "a"}};
    static const NDISBUF_KEYWORD fast[] = {{"Speed", "100"}};
    plan(0, "Speed", NdisParameterInteger);
    plan(1, "OnlyA", NdisParameterString);
    NDIS_HANDLE a = add("kwa", slow, 2);
    read_gave_integer(0, 10);
    read_gave_string(1, "a");
    NDIS_HANDLE b = add("kwb", fast, 1);
    read_gave_integer(0, 100);
    read_failed(1, NULL);

    assert_int_equal(kw_read_configuration(a), NDIS_STATUS_SUCCESS);
    read_gave_integer(0, 10);
    remove_adapter(a);
    assert_int_equal(kw_read_configuration(b), NDIS_STATUS_SUCCESS);
    read_gave_integer(0, 100);
    read_failed(1, NULL);
    remove_adapter(b);
}

static void add_adapter_without_keywords_gives_an_empty_configuration(void **state)
{
    (void)state;
    NDIS_HANDLE a = NULL;
    plan(0, "Speed", NdisParameterInteger);
    assert_int_equal(ndisbuf_stack_add_adapter(kw.driver, "kw0", &a), NDIS_STATUS_SUCCESS);
    assert_int_equal(kw.initializes, 1);
    read_failed(0, NULL); /* the adapter's own configuration: a quiet miss */
    remove_adapter(a);

    memset(&kw.reads[0], 0, sizeof kw.reads[0]);
    plan(0, "Speed", NdisParameterInteger);
    a = add("kw1", NULL, 0);
    read_failed(0, NULL);
    remove_adapter(a);
    assert_int_equal(kw.halts, 2);
}

static void limits_are_inclusive(void **state)
{
    (void)state;
    static NDISBUF_KEYWORD many[NDISBUF_KEYWORD_MAX_COUNT];
    static char names[NDISBUF_KEYWORD_MAX_COUNT][8];
    char longest_name[NDISBUF_KEYWORD_MAX_LENGTH + 1], longest_value[NDISBUF_KEYWORD_MAX_LENGTH + 1];
    memset(longest_name, 'N', NDISBUF_KEYWORD_MAX_LENGTH);
    longest_name[NDISBUF_KEYWORD_MAX_LENGTH] = '\0';
    memset(longest_value, '7', NDISBUF_KEYWORD_MAX_LENGTH);
    longest_value[NDISBUF_KEYWORD_MAX_LENGTH] = '\0';
    for (int i = 0; i < NDISBUF_KEYWORD_MAX_COUNT - 1; i++) {
        snprintf(names[i], sizeof names[i], "K%d", i);
        many[i] = (NDISBUF_KEYWORD){names[i], names[i] + 1};
    }
    many[NDISBUF_KEYWORD_MAX_COUNT - 1] = (NDISBUF_KEYWORD){longest_name, longest_value};
    plan(0, "K254", NdisParameterInteger);
    plan(1, longest_name, NdisParameterString);
    NDIS_HANDLE a = add("kw0", many, NDISBUF_KEYWORD_MAX_COUNT);
    read_gave_integer(0, 254);
    read_gave_string(1, longest_value);
    remove_adapter(a);
}

/* One broken keyword list: refused with INVALID_PARAMETER before the miniport hears of it. */
static void add_is_refused(const NDISBUF_KEYWORD *keywords, ULONG count, const char *needle)
{
    NDIS_HANDLE adapter = (NDIS_HANDLE)&kw;
    assert_int_equal(ndisbuf_stack_add_adapter_ex(kw.driver, "bad0", keywords, count, &adapter),
                     NDIS_STATUS_INVALID_PARAMETER);
    assert_null(adapter);
    assert_true(harness_diag_contains(needle));
    assert_int_equal(kw.initializes, 0);
    assert_null(stack_adapters_of(kw.driver, NULL));
}

static void broken_keyword_lists_are_refused_and_leave_nothing(void **state)
{
    (void)state;
    static NDISBUF_KEYWORD too_many[NDISBUF_KEYWORD_MAX_COUNT + 1];
    static char names[NDISBUF_KEYWORD_MAX_COUNT + 1][8];
    char long_text[NDISBUF_KEYWORD_MAX_LENGTH + 2];
    memset(long_text, 'L', NDISBUF_KEYWORD_MAX_LENGTH + 1);
    long_text[NDISBUF_KEYWORD_MAX_LENGTH + 1] = '\0';
    for (int i = 0; i <= NDISBUF_KEYWORD_MAX_COUNT; i++) {
        snprintf(names[i], sizeof names[i], "K%d", i);
        too_many[i] = (NDISBUF_KEYWORD){names[i], "1"};
    }
    const NDISBUF_KEYWORD no_name[] = {{"Speed", "1"}, {NULL, "1"}};
    const NDISBUF_KEYWORD empty_name[] = {{"", "1"}};
    const NDISBUF_KEYWORD no_value[] = {{"Speed", NULL}};
    const NDISBUF_KEYWORD long_name[] = {{long_text, "1"}};
    const NDISBUF_KEYWORD long_value[] = {{"Speed", long_text}};
    const NDISBUF_KEYWORD twice[] = {{"Speed", "1"}, {"Duplex", "2"}, {"SPEED", "3"}};
    const NDISBUF_KEYWORD not_ascii_name[] = {{"Sp\xC3\xA9" "ed", "1"}};
    const NDISBUF_KEYWORD not_ascii_value[] = {{"Name", "caf\xC3\xA9"}};

    add_is_refused(NULL, 1, "Keywords is NULL");
    add_is_refused(too_many, NDISBUF_KEYWORD_MAX_COUNT + 1, "KeywordCount 257");
    add_is_refused(no_name, 2, "Keywords[1].Name is NULL");
    add_is_refused(empty_name, 1, "Keywords[0].Name is empty");
    add_is_refused(no_value, 1, "Keywords[0].Value is NULL");
    add_is_refused(long_name, 1, "Keywords[0].Name is longer than 255");
    add_is_refused(long_value, 1, "Keywords[0].Value is longer than 255");
    add_is_refused(twice, 3, "Keywords[0] and Keywords[2] both name 'SPEED'");
    add_is_refused(not_ascii_name, 1, "Keywords[0].Name has a byte 0xC3");
    add_is_refused(not_ascii_value, 1, "Keywords[0].Value has a byte 0xC3");

    /* The adapter's own checks still come first, and a good list still works afterwards. */
    NDIS_HANDLE a = NULL;
    assert_int_equal(ndisbuf_stack_add_adapter_ex(kw.driver, "", no_value, 1, &a), NDIS_STATUS_INVALID_PARAMETER);
    assert_true(harness_diag_contains("AdapterName"));
    assert_int_equal(ndisbuf_stack_add_adapter_ex(kw.driver, "kw0", too_many, 1, NULL), NDIS_STATUS_INVALID_PARAMETER);
    a = add("kw0", too_many, NDISBUF_KEYWORD_MAX_COUNT);
    remove_adapter(a);
}

/* ---- configurations of other handles ---- */

static void configuration_of_other_handles_is_empty(void **state)
{
    (void)state;
    static const NDISBUF_KEYWORD keywords[] = {{"Speed", "1"}};
    NDIS_HANDLE a = add("kw0", keywords, 1);
    NDIS_HANDLE others[] = {kw.driver, NULL, (NDIS_HANDLE)&kw};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        NDIS_HANDLE config;
        kw_read r = {.keyword = "Speed", .type = NdisParameterInteger};
        harness_diag_clear();
        assert_int_equal(open_configuration(others[i], &config), NDIS_STATUS_SUCCESS);
        assert_int_equal(harness_diag_new(), 0); /* asking about any handle is quiet */
        read_one(config, &r);
        assert_int_equal(r.status, NDIS_STATUS_FAILURE);
        assert_contains(r.diagnostic, "no keyword 'Speed'");
        NdisCloseConfiguration(config);
    }
    remove_adapter(a);
}

static void read_checks_its_arguments(void **state)
{
    (void)state;
    static const NDISBUF_KEYWORD keywords[] = {{"Speed", "1"}};
    NDIS_HANDLE a = add("kw0", keywords, 1);
    NDIS_HANDLE config;
    NDIS_STRING speed = RTL_CONSTANT_STRING(u"Speed");
    NDIS_STRING broken = {4, 4, NULL};
    PNDIS_CONFIGURATION_PARAMETER value = NULL;
    NDIS_STATUS status = NDIS_STATUS_SUCCESS;
    int not_a_handle = 0;
    assert_int_equal(open_configuration(a, &config), NDIS_STATUS_SUCCESS);

    NdisReadConfiguration(NULL, &value, config, &speed, NdisParameterInteger);
    assert_true(harness_diag_contains("Status is NULL"));
    NdisReadConfiguration(&status, NULL, config, &speed, NdisParameterInteger);
    assert_int_equal(status, NDIS_STATUS_INVALID_PARAMETER);
    assert_true(harness_diag_contains("ParameterValue is NULL"));
    NdisReadConfiguration(&status, &value, config, NULL, NdisParameterInteger);
    assert_int_equal(status, NDIS_STATUS_INVALID_PARAMETER);
    assert_true(harness_diag_contains("Keyword is NULL"));
    NdisReadConfiguration(&status, &value, config, &broken, NdisParameterInteger);
    assert_int_equal(status, NDIS_STATUS_INVALID_PARAMETER);
    assert_true(harness_diag_contains("Keyword->Buffer is NULL"));
    NdisReadConfiguration(&status, &value, &not_a_handle, &speed, NdisParameterInteger);
    assert_int_equal(status, NDIS_STATUS_FAILURE);
    assert_true(harness_diag_contains("not an open configuration handle"));
    assert_null(value);

    NdisReadConfiguration(&status, &value, config, &speed, NdisParameterInteger);
    assert_int_equal(status, NDIS_STATUS_SUCCESS);
    assert_int_equal(value->ParameterData.IntegerData, 1);
    NdisCloseConfiguration(config);
    remove_adapter(a);
}

/* ---- memory: fault injection (kind memory) fails configuration memory as exhaustion would ---- */

static void arm_memory(ULONG64 nth)
{
    NDISBUF_FAULT_PLAN plan = {.Kinds = NDISBUF_FAULT_MEMORY, .FailNth = nth};
    assert_int_equal(ndisbuf_fault_set(&plan), NDIS_STATUS_SUCCESS);
}

static void a_read_without_memory_fails_with_resources_and_the_next_works(void **state)
{
    (void)state;
    static const NDISBUF_KEYWORD keywords[] = {{"Speed", "10"}, {"Name", "eth"}};
    plan(0, "Speed", NdisParameterInteger);
    plan(1, "Name", NdisParameterString);
    plan(2, "Speed", NdisParameterInteger);
    plan(3, "Absent", NdisParameterInteger); /* a miss allocates nothing */
    arm_memory(2);                           /* #1 the handle, #2 the first value */
    NDIS_HANDLE a = add("kw0", keywords, 2);
    assert_int_equal(ndisbuf_fault_allocations(), 4);
    assert_int_equal(ndisbuf_fault_injected(), 1);
    assert_int_equal(ndisbuf_fault_set(NULL), NDIS_STATUS_SUCCESS);

    assert_int_equal(kw.reads[0].status, NDIS_STATUS_RESOURCES); /* and *ParameterValue left alone (read_one) */
    assert_contains(kw.reads[0].diagnostic, "allocation failed by fault injection (memory allocation #2)");
    read_gave_string(1, "eth");
    read_gave_integer(2, 10);
    read_failed(3, NULL);
    remove_adapter(a);
}

static void an_open_without_memory_fails_the_initialize_and_leaves_nothing(void **state)
{
    (void)state;
    static const NDISBUF_KEYWORD keywords[] = {{"Speed", "10"}};
    NDIS_HANDLE adapter = &adapter;
    plan(0, "Speed", NdisParameterInteger);
    arm_memory(1);
    assert_int_equal(ndisbuf_stack_add_adapter_ex(kw.driver, "kw0", keywords, 1, &adapter), NDIS_STATUS_RESOURCES);
    assert_true(harness_diag_contains("NdisOpenConfigurationEx: allocation failed by fault injection (memory "
                                      "allocation #1)"));
    assert_int_equal(ndisbuf_fault_injected(), 1);
    assert_int_equal(ndisbuf_fault_set(NULL), NDIS_STATUS_SUCCESS);
    assert_null(adapter);
    assert_int_equal(kw.initializes, 1);
    assert_int_equal(kw.reads[0].status, NDIS_STATUS_SUCCESS); /* never read: as planned */
    assert_null(kw.reads[0].value);

    /* Memory back: the same add works. */
    remove_adapter(add("kw0", keywords, 1));
    read_gave_integer(0, 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        KW_TEST(integer_hex_and_string_reads_convert_the_text),
        KW_TEST(names_match_ignoring_case_and_nothing_else),
        KW_TEST(missing_keyword_is_a_quiet_failure),
        KW_TEST(text_that_is_no_number_fails_with_a_diagnostic),
        KW_TEST(types_keywords_cannot_give_fail_with_a_diagnostic),
        KW_TEST(values_stay_valid_across_reads_until_close),
        KW_TEST(configuration_outlives_the_adapter_it_was_opened_on),
        KW_TEST(callers_array_may_go_right_after_the_add),
        KW_TEST(two_adapters_keep_their_own_keywords),
        KW_TEST(add_adapter_without_keywords_gives_an_empty_configuration),
        KW_TEST(limits_are_inclusive),
        KW_TEST(broken_keyword_lists_are_refused_and_leave_nothing),
        KW_TEST(configuration_of_other_handles_is_empty),
        KW_TEST(read_checks_its_arguments),
        KW_TEST(a_read_without_memory_fails_with_resources_and_the_next_works),
        KW_TEST(an_open_without_memory_fails_the_initialize_and_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
