/* SPDX-License-Identifier: MIT */
/*
 * The stack's registry: drivers and layers behind checked handles, the one
 * lock of the control path, the waits for pended completions and for pause
 * drains.
 *
 * Layer memory is never returned to the system: a removed layer loses its
 * magic and goes on a retired list, to be reused by a later layer of the
 * same kind. A stale handle therefore reads a dead magic (a diagnostic)
 * instead of freed memory.
 *
 * An adapter also keeps its keywords here (ndisbuf_stack_add_adapter_ex):
 * checked and copied into one block when it is added, fixed while it
 * lives, freed when it is retired. A configuration handle takes a copy of
 * its own (stack_adapter_keywords_copy), so it needs neither the lock nor
 * the adapter afterwards.
 */
#include "stack/stack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "verify/track.h"
#include "verify/verify.h"

#define DRIVER_MAGIC 0x4E445256u /* 'NDRV' */
#define LAYER_MAGIC 0x4E4C4159u  /* 'NLAY' */
#define DEAD_MAGIC 0xDEAD1A7Eu
#define STALL_REPORT_SECONDS 5

pthread_mutex_t stack_lock = PTHREAD_MUTEX_INITIALIZER;
/* Its timed waits measure durations: on the monotonic clock (stack_clock_init), so a clock step moves nothing. */
static pthread_cond_t stack_cond;
static pthread_mutex_t control_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread int control_depth;

static stack_driver *drivers;
static stack_adapter *adapters;
static stack_layer *live_layers[256];
static ULONG live_layer_count;
static stack_layer *retired_layers;
static stack_adapter *retired_adapters;
static NET_IFINDEX next_if_index = 1;

static const char *kind_name(stack_kind kind)
{
    switch (kind) {
    case STACK_KIND_MINIPORT:
        return "miniport adapter";
    case STACK_KIND_FILTER:
        return "filter module";
    case STACK_KIND_PROTOCOL:
        return "binding";
    }
    return "layer";
}

/* ---- control serialisation ---- */

bool stack_control_enter(const char *function)
{
    if (control_depth > 0) {
        vf_diagnostic(function, "called from inside a driver handler of another stack operation; "
                                "it would wait for itself (NDIS_STATUS_NOT_ACCEPTED)");
        return false;
    }
    pthread_mutex_lock(&control_lock);
    control_depth++;
    return true;
}

void stack_control_leave(void)
{
    control_depth--;
    pthread_mutex_unlock(&control_lock);
}

/* ---- drivers ---- */

stack_driver *stack_driver_checked(NDIS_HANDLE handle, stack_kind kind, const char *function,
                                   const char *argument)
{
    stack_driver *found = NULL;
    pthread_mutex_lock(&stack_lock);
    for (stack_driver *d = drivers; d; d = d->next)
        if (d == handle && d->magic == DRIVER_MAGIC)
            found = d;
    pthread_mutex_unlock(&stack_lock);
    if (!found) {
        vf_diagnostic(function, "%s %p is not a registered driver handle", argument, handle);
        return NULL;
    }
    if (found->kind != kind) {
        vf_diagnostic(function, "%s %p is a driver of another kind (%s), not a %s driver", argument,
                      handle, kind_name(found->kind), kind_name(kind));
        return NULL;
    }
    return found;
}

static void ascii_from_ndis_string(char *out, size_t size, const NDIS_STRING *s, const char *fallback)
{
    size_t n = 0;
    if (s && s->Buffer)
        for (size_t i = 0; i < s->Length / sizeof(WCHAR) && n + 1 < size; i++)
            out[n++] = (s->Buffer[i] < 0x80 && s->Buffer[i] >= 0x20) ? (char)s->Buffer[i] : '?';
    out[n] = '\0';
    if (n == 0)
        snprintf(out, size, "%s", fallback);
}

/* Points a string of the characteristics at the driver's own copy of it. */
static void own_string(NDIS_STRING *s, WCHAR *buffer)
{
    USHORT n = s->Buffer ? s->Length / sizeof(WCHAR) : 0;
    if (n > STACK_NAME_MAX - 1)
        n = STACK_NAME_MAX - 1;
    if (n)
        memcpy(buffer, s->Buffer, n * sizeof(WCHAR));
    buffer[n] = 0;
    s->Buffer = buffer;
    s->Length = (USHORT)(n * sizeof(WCHAR));
    s->MaximumLength = (USHORT)(STACK_NAME_MAX * sizeof(WCHAR));
}

/* The caller's strings need not outlive the registration. */
static void own_strings(stack_driver *d)
{
    if (d->kind == STACK_KIND_PROTOCOL) {
        own_string(&d->chars.protocol.Name, d->strings[0]);
        d->ndis_name = d->chars.protocol.Name;
    } else if (d->kind == STACK_KIND_FILTER) {
        own_string(&d->chars.filter.FriendlyName, d->strings[0]);
        own_string(&d->chars.filter.UniqueName, d->strings[1]);
        own_string(&d->chars.filter.ServiceName, d->strings[2]);
    }
}

/* Adds a driver to the registry (characteristics already validated). */
static NDIS_STATUS driver_register(stack_kind kind, NDIS_HANDLE context, const void *chars, size_t size,
                                   const NDIS_STRING *name, const char *fallback, PNDIS_HANDLE out)
{
    stack_driver *d = calloc(1, sizeof(*d));
    if (!d)
        return NDIS_STATUS_RESOURCES;
    d->magic = DRIVER_MAGIC;
    d->kind = kind;
    d->context = context;
    memcpy(&d->chars, chars, size);
    ascii_from_ndis_string(d->name, sizeof d->name, name, fallback);
    own_strings(d);
    pthread_mutex_lock(&stack_lock);
    d->next = drivers;
    drivers = d;
    pthread_mutex_unlock(&stack_lock);
    *out = d;
    return NDIS_STATUS_SUCCESS;
}

void stack_driver_unregister(stack_driver *driver)
{
    pthread_mutex_lock(&stack_lock);
    for (stack_driver **p = &drivers; *p; p = &(*p)->next)
        if (*p == driver) {
            *p = driver->next;
            break;
        }
    driver->magic = 0;
    pthread_mutex_unlock(&stack_lock);
    free(driver);
}

/* NDIS calls XxxSetOptions inside the registration; its failure undoes it. */
static NDIS_STATUS driver_set_options(SET_OPTIONS_HANDLER set_options, NDIS_HANDLE context, PNDIS_HANDLE handle)
{
    NDIS_STATUS st = set_options ? set_options(*handle, context) : NDIS_STATUS_SUCCESS;
    if (st != NDIS_STATUS_SUCCESS) {
        stack_driver_unregister(*handle);
        *handle = NULL;
    }
    return st;
}

/* Header checks shared by the three registrations. */
static bool header_ok(const NDIS_OBJECT_HEADER *h, UCHAR type, USHORT min_size, const char *function)
{
    if (h->Type != type) {
        vf_diagnostic(function, "Header.Type is 0x%02X, expected 0x%02X", h->Type, type);
        return false;
    }
    if (h->Revision < 1 || h->Size < min_size) {
        vf_diagnostic(function, "Header.Revision %u / Size %u: revision 1 needs at least %u bytes",
                      h->Revision, h->Size, min_size);
        return false;
    }
    return true;
}

static bool version_ok(UCHAR major, UCHAR minor, const char *function)
{
    if (major != 6) {
        vf_diagnostic(function, "MajorNdisVersion %u.%u: ndisbuf runs NDIS 6.x drivers", major, minor);
        return false;
    }
    return true;
}

#define REQUIRE_HANDLER(chars, field, function)                                          \
    do {                                                                                 \
        if (!(chars)->field) {                                                           \
            vf_diagnostic(function, "the characteristics have no " #field " (required)"); \
            return NDIS_STATUS_BAD_CHARACTERISTICS;                                      \
        }                                                                                \
    } while (0)

/* Copies at most the caller's declared size; the rest stays zero (older revisions). */
static size_t chars_copy_size(USHORT declared, size_t ours)
{
    return declared < ours ? declared : ours;
}

NDIS_STATUS NdisMRegisterMiniportDriver(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath,
                                        NDIS_HANDLE MiniportDriverContext,
                                        PNDIS_MINIPORT_DRIVER_CHARACTERISTICS c,
                                        PNDIS_HANDLE NdisMiniportDriverHandle)
{
    static const char fn[] = "NdisMRegisterMiniportDriver";
    (void)DriverObject;
    (void)RegistryPath;
    if (!c || !NdisMiniportDriverHandle) {
        vf_diagnostic(fn, "%s is NULL", c ? "NdisMiniportDriverHandle" : "MiniportDriverCharacteristics");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    *NdisMiniportDriverHandle = NULL;
    if (!header_ok(&c->Header, NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS,
                   NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1, fn) ||
        !version_ok(c->MajorNdisVersion, c->MinorNdisVersion, fn))
        return NDIS_STATUS_BAD_VERSION;
    REQUIRE_HANDLER(c, InitializeHandlerEx, fn);
    REQUIRE_HANDLER(c, HaltHandlerEx, fn);
    REQUIRE_HANDLER(c, PauseHandler, fn);
    REQUIRE_HANDLER(c, RestartHandler, fn);
    REQUIRE_HANDLER(c, OidRequestHandler, fn);
    REQUIRE_HANDLER(c, SendNetBufferListsHandler, fn);
    REQUIRE_HANDLER(c, ReturnNetBufferListsHandler, fn);
    REQUIRE_HANDLER(c, CancelSendHandler, fn);
    REQUIRE_HANDLER(c, ShutdownHandlerEx, fn);
    REQUIRE_HANDLER(c, CancelOidRequestHandler, fn);
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS copy = {0};
    memcpy(&copy, c, chars_copy_size(c->Header.Size, sizeof copy));
    NDIS_STATUS st = driver_register(STACK_KIND_MINIPORT, MiniportDriverContext, &copy, sizeof copy, NULL,
                                     "miniport", NdisMiniportDriverHandle);
    return st == NDIS_STATUS_SUCCESS ? driver_set_options(copy.SetOptionsHandler, MiniportDriverContext, NdisMiniportDriverHandle) : st;
}

NDIS_STATUS NdisFRegisterFilterDriver(PDRIVER_OBJECT DriverObject, NDIS_HANDLE FilterDriverContext,
                                      PNDIS_FILTER_DRIVER_CHARACTERISTICS c, PNDIS_HANDLE NdisFilterDriverHandle)
{
    static const char fn[] = "NdisFRegisterFilterDriver";
    (void)DriverObject;
    if (!c || !NdisFilterDriverHandle) {
        vf_diagnostic(fn, "%s is NULL", c ? "NdisFilterDriverHandle" : "FilterCharacteristics");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    *NdisFilterDriverHandle = NULL;
    if (!header_ok(&c->Header, NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS,
                   NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_1, fn) ||
        !version_ok(c->MajorNdisVersion, c->MinorNdisVersion, fn))
        return NDIS_STATUS_BAD_VERSION;
    REQUIRE_HANDLER(c, AttachHandler, fn);
    REQUIRE_HANDLER(c, DetachHandler, fn);
    REQUIRE_HANDLER(c, RestartHandler, fn);
    REQUIRE_HANDLER(c, PauseHandler, fn);
    if (c->SendNetBufferListsHandler && !c->SendNetBufferListsCompleteHandler) {
        vf_diagnostic(fn, "a filter with SendNetBufferListsHandler needs SendNetBufferListsCompleteHandler");
        return NDIS_STATUS_BAD_CHARACTERISTICS;
    }
    if (c->ReceiveNetBufferListsHandler && !c->ReturnNetBufferListsHandler) {
        vf_diagnostic(fn, "a filter with ReceiveNetBufferListsHandler needs ReturnNetBufferListsHandler");
        return NDIS_STATUS_BAD_CHARACTERISTICS;
    }
    if (c->OidRequestHandler && !c->OidRequestCompleteHandler) {
        vf_diagnostic(fn, "a filter with OidRequestHandler needs OidRequestCompleteHandler");
        return NDIS_STATUS_BAD_CHARACTERISTICS;
    }
    NDIS_FILTER_DRIVER_CHARACTERISTICS copy = {0};
    memcpy(&copy, c, chars_copy_size(c->Header.Size, sizeof copy));
    const NDIS_STRING *name = copy.FriendlyName.Length ? &copy.FriendlyName : &copy.ServiceName;
    NDIS_STATUS st = driver_register(STACK_KIND_FILTER, FilterDriverContext, &copy, sizeof copy, name, "filter",
                                     NdisFilterDriverHandle);
    return st == NDIS_STATUS_SUCCESS ? driver_set_options(copy.SetOptionsHandler, FilterDriverContext, NdisFilterDriverHandle) : st;
}

NDIS_STATUS NdisRegisterProtocolDriver(NDIS_HANDLE ProtocolDriverContext, PNDIS_PROTOCOL_DRIVER_CHARACTERISTICS c,
                                       PNDIS_HANDLE NdisProtocolHandle)
{
    static const char fn[] = "NdisRegisterProtocolDriver";
    if (!c || !NdisProtocolHandle) {
        vf_diagnostic(fn, "%s is NULL", c ? "NdisProtocolHandle" : "ProtocolCharacteristics");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    *NdisProtocolHandle = NULL;
    if (!header_ok(&c->Header, NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS,
                   NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1, fn) ||
        !version_ok(c->MajorNdisVersion, c->MinorNdisVersion, fn))
        return NDIS_STATUS_BAD_VERSION;
    if (!c->Name.Buffer || c->Name.Length == 0) {
        vf_diagnostic(fn, "ProtocolCharacteristics->Name is empty (a protocol needs a name)");
        return NDIS_STATUS_BAD_CHARACTERISTICS;
    }
    REQUIRE_HANDLER(c, BindAdapterHandlerEx, fn);
    REQUIRE_HANDLER(c, UnbindAdapterHandlerEx, fn);
    REQUIRE_HANDLER(c, OpenAdapterCompleteHandlerEx, fn);
    REQUIRE_HANDLER(c, CloseAdapterCompleteHandlerEx, fn);
    REQUIRE_HANDLER(c, NetPnPEventHandler, fn);
    REQUIRE_HANDLER(c, OidRequestCompleteHandler, fn);
    REQUIRE_HANDLER(c, StatusHandlerEx, fn);
    REQUIRE_HANDLER(c, ReceiveNetBufferListsHandler, fn);
    REQUIRE_HANDLER(c, SendNetBufferListsCompleteHandler, fn);
    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS copy = {0};
    memcpy(&copy, c, chars_copy_size(c->Header.Size, sizeof copy));
    NDIS_STATUS st = driver_register(STACK_KIND_PROTOCOL, ProtocolDriverContext, &copy, sizeof copy,
                                     &copy.Name, "protocol", NdisProtocolHandle);
    return st == NDIS_STATUS_SUCCESS ? driver_set_options(copy.SetOptionsHandler, ProtocolDriverContext, NdisProtocolHandle) : st;
}

/* ---- layers and adapters ---- */

/* False when the registry is full (the layer then cannot be created). */
static bool live_add(stack_layer *layer)
{
    if (live_layer_count >= sizeof live_layers / sizeof live_layers[0]) {
        vf_diagnostic("ndisbuf_stack", "%u adapters, filter modules and bindings already exist",
                      (unsigned)live_layer_count);
        return false;
    }
    live_layers[live_layer_count++] = layer;
    return true;
}

static void live_remove(stack_layer *layer)
{
    for (ULONG i = 0; i < live_layer_count; i++)
        if (live_layers[i] == layer) {
            live_layers[i] = live_layers[--live_layer_count];
            return;
        }
}

static void layer_init(stack_layer *l, stack_kind kind, stack_adapter *adapter, stack_driver *driver)
{
    memset(l, 0, sizeof *l);
    l->magic = LAYER_MAGIC;
    l->kind = kind;
    l->adapter = adapter;
    l->driver = driver;
}

stack_layer *stack_layer_new(stack_kind kind, stack_adapter *adapter, stack_driver *driver)
{
    pthread_mutex_lock(&stack_lock);
    stack_layer *l = retired_layers;
    if (l)
        retired_layers = l->next_retired;
    pthread_mutex_unlock(&stack_lock);
    if (!l && !(l = calloc(1, sizeof *l)))
        return NULL;
    layer_init(l, kind, adapter, driver);
    pthread_mutex_lock(&stack_lock);
    bool added = live_add(l);
    if (!added) {
        l->magic = DEAD_MAGIC;
        l->next_retired = retired_layers;
        retired_layers = l;
    }
    pthread_mutex_unlock(&stack_lock);
    return added ? l : NULL;
}

void stack_layer_retire(stack_layer *layer)
{
    pthread_mutex_lock(&stack_lock);
    live_remove(layer);
    layer->magic = DEAD_MAGIC;
    atomic_store(&layer->state, NdisbufStateInvalid);
    layer->next_retired = retired_layers;
    retired_layers = layer;
    pthread_mutex_unlock(&stack_lock);
}

stack_adapter *stack_adapter_new(stack_driver *driver, const char *name, const NDISBUF_KEYWORD *keywords,
                                 ULONG keyword_count)
{
    stack_keywords *own = stack_keywords_copy(keywords, keyword_count);
    if (!own)
        return NULL;
    pthread_mutex_lock(&stack_lock);
    stack_adapter *a = retired_adapters;
    if (a)
        retired_adapters = a->next;
    pthread_mutex_unlock(&stack_lock);
    if (!a && !(a = calloc(1, sizeof *a))) {
        free(own);
        return NULL;
    }
    memset(a, 0, sizeof *a);
    layer_init(&a->miniport, STACK_KIND_MINIPORT, a, driver);
    a->keywords = own;
    snprintf(a->name, sizeof a->name, "%s", name);
    size_t n = strlen(a->name);
    for (size_t i = 0; i < n; i++)
        a->wide_name[i] = (WCHAR)(unsigned char)a->name[i];
    a->ndis_name.Buffer = a->wide_name;
    a->ndis_name.Length = (USHORT)(n * sizeof(WCHAR));
    a->ndis_name.MaximumLength = (USHORT)sizeof a->wide_name;
    pthread_mutex_lock(&stack_lock);
    bool added = live_add(&a->miniport);
    if (added) {
        a->if_index = next_if_index++;
        a->next = adapters;
        adapters = a;
    } else {
        a->miniport.magic = DEAD_MAGIC;
        a->keywords = NULL;
        a->next = retired_adapters;
        retired_adapters = a;
    }
    pthread_mutex_unlock(&stack_lock);
    if (!added)
        free(own);
    return added ? a : NULL;
}

void stack_adapter_retire(stack_adapter *adapter)
{
    pthread_mutex_lock(&stack_lock);
    for (stack_adapter **p = &adapters; *p; p = &(*p)->next)
        if (*p == adapter) {
            *p = adapter->next;
            break;
        }
    live_remove(&adapter->miniport);
    adapter->miniport.magic = DEAD_MAGIC;
    atomic_store(&adapter->miniport.state, NdisbufStateInvalid);
    stack_keywords *keywords = adapter->keywords;
    adapter->keywords = NULL;
    adapter->next = retired_adapters;
    retired_adapters = adapter;
    pthread_mutex_unlock(&stack_lock);
    free(keywords);
}

/* The next adapter (after `after`, or the first) whose miniport is `driver`. */
stack_adapter *stack_adapters_of(stack_driver *driver, stack_adapter *after)
{
    pthread_mutex_lock(&stack_lock);
    stack_adapter *a = after ? after->next : adapters;
    while (a && driver && a->miniport.driver != driver)
        a = a->next;
    pthread_mutex_unlock(&stack_lock);
    return a;
}

/* ---- adapter keywords ---- */

/*
 * The one rule for keyword names: registry value names compare without
 * regard to case, ASCII letters only (names are ASCII, checked when added).
 */
static unsigned name_fold(unsigned c)
{
    return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

/* Two keyword names, the same by that rule. */
static bool same_name(const char *a, const char *b)
{
    while (*a && name_fold((unsigned char)*a) == name_fold((unsigned char)*b)) {
        a++;
        b++;
    }
    return name_fold((unsigned char)*a) == name_fold((unsigned char)*b);
}

/* A keyword name and `length` UTF-16 characters, the same by that rule. */
static bool same_wide_name(const char *name, const WCHAR *wide, size_t length)
{
    size_t i;
    for (i = 0; i < length; i++)
        if (!name[i] || name_fold((unsigned char)name[i]) != name_fold(wide[i]))
            return false;
    return name[i] == '\0';
}

const NDISBUF_KEYWORD *stack_keywords_find(const stack_keywords *keywords, const WCHAR *name, size_t length)
{
    for (ULONG i = 0; i < keywords->count; i++)
        if (same_wide_name(keywords->entries[i].Name, name, length))
            return &keywords->entries[i];
    return NULL;
}

/* A keyword's Name or Value: present, short enough, ASCII. */
static bool keyword_text_ok(const char *text, ULONG index, const char *field, const char *function)
{
    if (!text) {
        vf_diagnostic(function, "Keywords[%u].%s is NULL", (unsigned)index, field);
        return false;
    }
    size_t n = strnlen(text, NDISBUF_KEYWORD_MAX_LENGTH + 1);
    if (n > NDISBUF_KEYWORD_MAX_LENGTH) {
        vf_diagnostic(function, "Keywords[%u].%s is longer than %d characters", (unsigned)index, field,
                      NDISBUF_KEYWORD_MAX_LENGTH);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)text[i] >= 0x80) {
            vf_diagnostic(function, "Keywords[%u].%s has a byte 0x%02X at %zu: keywords are ASCII text",
                          (unsigned)index, field, (unsigned char)text[i], i);
            return false;
        }
    return true;
}

static bool keyword_ok(const NDISBUF_KEYWORD *keywords, ULONG index, const char *function)
{
    const NDISBUF_KEYWORD *k = &keywords[index];
    if (!keyword_text_ok(k->Name, index, "Name", function) || !keyword_text_ok(k->Value, index, "Value", function))
        return false;
    if (!k->Name[0]) {
        vf_diagnostic(function, "Keywords[%u].Name is empty", (unsigned)index);
        return false;
    }
    for (ULONG j = 0; j < index; j++)
        if (same_name(keywords[j].Name, k->Name)) {
            vf_diagnostic(function, "Keywords[%u] and Keywords[%u] both name '%s' (names ignore case)",
                          (unsigned)j, (unsigned)index, k->Name);
            return false;
        }
    return true;
}

bool stack_keywords_valid(const NDISBUF_KEYWORD *keywords, ULONG count, const char *function)
{
    if (count > NDISBUF_KEYWORD_MAX_COUNT) {
        vf_diagnostic(function, "KeywordCount %u is more than %d", (unsigned)count, NDISBUF_KEYWORD_MAX_COUNT);
        return false;
    }
    if (count && !keywords) {
        vf_diagnostic(function, "Keywords is NULL with KeywordCount %u", (unsigned)count);
        return false;
    }
    for (ULONG i = 0; i < count; i++)
        if (!keyword_ok(keywords, i, function))
            return false;
    return true;
}

stack_keywords *stack_keywords_copy(const NDISBUF_KEYWORD *keywords, ULONG count)
{
    size_t bytes = sizeof(stack_keywords) + count * sizeof(NDISBUF_KEYWORD);
    for (ULONG i = 0; i < count; i++)
        bytes += strlen(keywords[i].Name) + strlen(keywords[i].Value) + 2;
    stack_keywords *copy = malloc(bytes);
    if (!copy)
        return NULL;
    char *text = (char *)&copy->entries[count];
    copy->count = count;
    for (ULONG i = 0; i < count; i++) {
        size_t name = strlen(keywords[i].Name) + 1, value = strlen(keywords[i].Value) + 1;
        copy->entries[i].Name = memcpy(text, keywords[i].Name, name);
        copy->entries[i].Value = memcpy(text + name, keywords[i].Value, value);
        text += name + value;
    }
    return copy;
}

NDIS_STATUS stack_adapter_keywords_copy(NDIS_HANDLE handle, stack_keywords **keywords)
{
    NDIS_STATUS st = NDIS_STATUS_SUCCESS;
    *keywords = NULL;
    pthread_mutex_lock(&stack_lock);
    for (ULONG i = 0; i < live_layer_count; i++)
        if (live_layers[i] == handle && live_layers[i]->kind == STACK_KIND_MINIPORT) {
            const stack_keywords *own = live_layers[i]->adapter->keywords;
            *keywords = stack_keywords_copy(own->entries, own->count);
            st = *keywords ? NDIS_STATUS_SUCCESS : NDIS_STATUS_RESOURCES;
            break;
        }
    pthread_mutex_unlock(&stack_lock);
    return st;
}

static const char *expected_handle_name(stack_kind kind)
{
    switch (kind) {
    case STACK_KIND_MINIPORT:
        return "a MiniportAdapterHandle";
    case STACK_KIND_FILTER:
        return "an NdisFilterHandle";
    case STACK_KIND_PROTOCOL:
        return "an NdisBindingHandle";
    }
    return "an adapter, filter module or binding handle";
}

static stack_layer *kind_checked(stack_layer *l, stack_kind kind, NDIS_HANDLE handle, const char *function,
                                 const char *argument)
{
    if (kind && l->kind != kind) {
        vf_diagnostic(function, "%s %p is a %s, not %s", argument, handle, kind_name(l->kind),
                      expected_handle_name(kind));
        return NULL;
    }
    return l;
}

stack_layer *stack_layer_checked(NDIS_HANDLE handle, stack_kind kind, const char *function, const char *argument)
{
    stack_layer *found = NULL;
    pthread_mutex_lock(&stack_lock);
    for (ULONG i = 0; i < live_layer_count; i++)
        if (live_layers[i] == handle)
            found = live_layers[i];
    pthread_mutex_unlock(&stack_lock);
    if (!found) {
        vf_diagnostic(function, "%s %p is not %s (unknown, or already closed)", argument, handle,
                      expected_handle_name(kind));
        return NULL;
    }
    return kind_checked(found, kind, handle, function, argument);
}

stack_layer *stack_layer_fast(NDIS_HANDLE handle, stack_kind kind, const char *function, const char *argument)
{
    stack_layer *l = handle;
    if (!l || l->magic != LAYER_MAGIC) {
        vf_diagnostic(function, "%s %p is not %s (NULL, unknown or already closed)", argument, handle,
                      expected_handle_name(kind));
        return NULL;
    }
    return kind_checked(l, kind, handle, function, argument);
}

void stack_set_state(stack_layer *layer, NDISBUF_LAYER_STATE state)
{
    atomic_store_explicit(&layer->state, (int)state, memory_order_seq_cst);
}

const char *stack_layer_describe(const stack_layer *l, char *buffer, size_t size)
{
    switch (l->kind) {
    case STACK_KIND_MINIPORT:
        snprintf(buffer, size, "miniport adapter '%s'", l->adapter->name);
        break;
    case STACK_KIND_FILTER:
        snprintf(buffer, size, "filter module of '%s' on '%s'", l->driver->name, l->adapter->name);
        break;
    case STACK_KIND_PROTOCOL:
        snprintf(buffer, size, "binding of protocol '%s' to '%s'", l->driver->name, l->adapter->name);
        break;
    }
    return buffer;
}

/*
 * Names any handle for the verifier's reports: a live layer as
 * stack_layer_describe does, a removed one as such, a driver handle by its
 * driver, anything else by its value. Compares pointers only: a handle is
 * never dereferenced unless it is found in the registry.
 */
static const char *stack_describe_handle(const void *handle, char *buffer, size_t size)
{
    pthread_mutex_lock(&stack_lock);
    const stack_layer *layer = NULL;
    for (ULONG i = 0; i < live_layer_count && !layer; i++)
        if (live_layers[i] == handle)
            layer = live_layers[i];
    bool retired = false;
    for (stack_layer *l = retired_layers; l && !layer; l = l->next_retired)
        retired = (layer = l == handle ? l : NULL) != NULL;
    for (stack_adapter *a = retired_adapters; a && !layer; a = a->next)
        retired = (layer = &a->miniport == handle ? &a->miniport : NULL) != NULL;
    const stack_driver *driver = NULL;
    for (stack_driver *d = drivers; d && !driver && !layer; d = d->next)
        if (d == handle)
            driver = d;
    if (layer && !retired)
        stack_layer_describe(layer, buffer, size);
    else if (layer)
        snprintf(buffer, size, "removed %s %p", kind_name(layer->kind), handle);
    else if (driver)
        snprintf(buffer, size, "%s driver '%s'", driver->kind == STACK_KIND_PROTOCOL ? "protocol"
                                                 : driver->kind == STACK_KIND_FILTER ? "filter" : "miniport",
                 driver->name);
    else
        snprintf(buffer, size, "handle %p", handle);
    pthread_mutex_unlock(&stack_lock);
    return buffer;
}

/* Waits on stack_cond time out on CLOCK_MONOTONIC, as every deadline here is computed. */
static void stack_cond_init(void)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&stack_cond, &attr);
    pthread_condattr_destroy(&attr);
}

__attribute__((constructor)) static void stack_register_describer(void)
{
    stack_cond_init();
    vf_set_layer_describer(stack_describe_handle);
}

/* ---- pended completions ---- */

void stack_op_begin(stack_layer *layer, const char *name)
{
    pthread_mutex_lock(&stack_lock);
    layer->op_pending = true;
    layer->op_status = NDIS_STATUS_PENDING;
    layer->op_name = name;
    pthread_mutex_unlock(&stack_lock);
}

static void deadline_in(struct timespec *ts, int seconds)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += seconds;
}

NDIS_STATUS stack_op_finish(stack_layer *layer, NDIS_STATUS returned)
{
    char who[160];
    pthread_mutex_lock(&stack_lock);
    if (returned != NDIS_STATUS_PENDING) {
        layer->op_pending = false;
        pthread_mutex_unlock(&stack_lock);
        return returned;
    }
    struct timespec deadline;
    deadline_in(&deadline, STALL_REPORT_SECONDS);
    while (layer->op_pending) {
        if (pthread_cond_timedwait(&stack_cond, &stack_lock, &deadline) == ETIMEDOUT) {
            vf_diagnostic(layer->op_name, "%s returned NDIS_STATUS_PENDING %d s ago and has not completed yet",
                          stack_layer_describe(layer, who, sizeof who), STALL_REPORT_SECONDS);
            deadline_in(&deadline, STALL_REPORT_SECONDS);
        }
    }
    NDIS_STATUS st = layer->op_status;
    pthread_mutex_unlock(&stack_lock);
    return st;
}

bool stack_op_complete(stack_layer *layer, NDIS_STATUS status, const char *function)
{
    pthread_mutex_lock(&stack_lock);
    if (!layer->op_pending) {
        pthread_mutex_unlock(&stack_lock);
        vf_diagnostic(function, "nothing is pending on this handle: no handler returned NDIS_STATUS_PENDING");
        return false;
    }
    layer->op_pending = false;
    layer->op_status = status;
    pthread_cond_broadcast(&stack_cond);
    pthread_mutex_unlock(&stack_lock);
    return true;
}

/* ---- pause drain ---- */

static bool drained(stack_layer *l)
{
    return atomic_load(&l->sends_out) == 0 && atomic_load(&l->receives_out) == 0 && atomic_load(&l->held) == 0;
}

static void deadline_in_ms(struct timespec *ts, unsigned ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/*
 * Level 2+: once the drain has waited the verifier's drain timeout, the
 * verifier names each NBL still out and its holder (NBL_LOST), outside the
 * lock (a report handler may call back into the stack's data path).
 */
static void drain_scan_once(stack_layer *layer, bool *scanned)
{
    struct timespec now, due;
    if (*scanned || vf_level() < 2)
        return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    due = layer->drain_started;
    due.tv_sec += vf_drain_timeout_ms() / 1000;
    due.tv_nsec += (long)(vf_drain_timeout_ms() % 1000) * 1000000L;
    if (due.tv_nsec >= 1000000000L) {
        due.tv_sec++;
        due.tv_nsec -= 1000000000L;
    }
    if (now.tv_sec < due.tv_sec || (now.tv_sec == due.tv_sec && now.tv_nsec < due.tv_nsec))
        return;
    *scanned = true;
    char when[64];
    snprintf(when, sizeof when, "pause drain after %u ms", vf_drain_timeout_ms());
    pthread_mutex_unlock(&stack_lock);
    vf_scan_lost(layer, false, when);
    pthread_mutex_lock(&stack_lock);
}

void stack_wait_drained(stack_layer *layer)
{
    char who[160];
    bool scanned = false;
    pthread_mutex_lock(&stack_lock);
    atomic_store(&layer->draining, 1);
    clock_gettime(CLOCK_MONOTONIC, &layer->drain_started);
    struct timespec deadline;
    deadline_in(&deadline, STALL_REPORT_SECONDS);
    if (vf_level() >= 2 && vf_drain_timeout_ms() < STALL_REPORT_SECONDS * 1000u)
        deadline_in_ms(&deadline, vf_drain_timeout_ms());
    while (!drained(layer)) {
        drain_scan_once(layer, &scanned);
        if (drained(layer))
            break;
        if (pthread_cond_timedwait(&stack_cond, &stack_lock, &deadline) == ETIMEDOUT) {
            drain_scan_once(layer, &scanned);
            if (drained(layer))
                break;
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec - layer->drain_started.tv_sec < STALL_REPORT_SECONDS) {
                deadline = layer->drain_started; /* the verifier's earlier deadline passed */
                deadline.tv_sec += STALL_REPORT_SECONDS;
                continue;
            }
            vf_diagnostic("pause", "%s still has %ld sends not completed, %ld receives not returned to it, "
                                   "%ld received NBLs not given back, after %ld s",
                          stack_layer_describe(layer, who, sizeof who), (long)atomic_load(&layer->sends_out),
                          (long)atomic_load(&layer->receives_out), (long)atomic_load(&layer->held),
                          (long)(now.tv_sec - layer->drain_started.tv_sec));
            deadline_in(&deadline, STALL_REPORT_SECONDS);
        }
    }
    atomic_store(&layer->draining, 0);
    pthread_mutex_unlock(&stack_lock);
}

void stack_wake_drain(stack_layer *layer)
{
    (void)layer;
    pthread_mutex_lock(&stack_lock);
    pthread_cond_broadcast(&stack_cond);
    pthread_mutex_unlock(&stack_lock);
}

/* ---- native queries ---- */

const char *ndisbuf_layer_state_name(NDISBUF_LAYER_STATE state)
{
    static const char *const names[] = {"Invalid", "Unbound", "Initializing", "Attaching",
                                        "Opening", "Paused",  "Restarting",   "Running",
                                        "Pausing", "Closing", "Detaching",    "Halting"};
    return (unsigned)state < sizeof names / sizeof names[0] ? names[state] : "Invalid";
}

NDISBUF_LAYER_STATE ndisbuf_stack_state(NDIS_HANDLE handle)
{
    stack_layer *l = NULL;
    pthread_mutex_lock(&stack_lock);
    for (ULONG i = 0; i < live_layer_count; i++)
        if (live_layers[i] == handle)
            l = live_layers[i];
    NDISBUF_LAYER_STATE s = l ? stack_state(l) : NdisbufStateInvalid;
    pthread_mutex_unlock(&stack_lock);
    return s;
}

const char *ndisbuf_miniport_adapter_name(NDIS_HANDLE handle)
{
    stack_layer *l = stack_layer_checked(handle, STACK_KIND_MINIPORT, "ndisbuf_miniport_adapter_name",
                                         "MiniportAdapterHandle");
    return l ? l->adapter->name : NULL;
}
