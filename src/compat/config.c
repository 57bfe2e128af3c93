/* SPDX-License-Identifier: MIT */
/*
 * Driver configuration (include/ndisbuf/ndis/config.h). ndisbuf has no
 * registry; the one place a driver finds values is an adapter's keywords
 * (ndisbuf_stack_add_adapter_ex), which play the values under a Windows
 * adapter's key. A configuration opened on a MiniportAdapterHandle takes
 * its own copy of them; one opened on anything else is empty, as a key
 * with no values is.
 *
 * A handle is an allocation with a magic word, so a close of something
 * else is caught. Each successful read hands out a parameter block the
 * handle owns: blocks are chained on it and freed together at
 * NdisCloseConfiguration, so a value stays valid until then, whatever
 * else is read. Keywords are text (a REG_SZ); a read converts the text to
 * the type asked for.
 */
#include <stdlib.h>
#include <string.h>

#include "ndis.h"
#include "number.h"
#include "stack/stack.h"
#include "verify/fault.h"
#include "verify/verify.h"

#define CONFIG_MAGIC 0x47464e43u /* "CNFG" */

/* One value handed out by NdisReadConfiguration; a string's characters follow it. */
struct config_value {
    struct config_value *next;
    NDIS_CONFIGURATION_PARAMETER parameter;
    WCHAR text[];
};

struct config {
    ULONG magic;
    stack_keywords *keywords;      /* an adapter's (a copy), or NULL: an empty configuration */
    struct config_value *values;   /* what reads handed out, freed at close */
};

/* Takes ownership of keywords (freed here if the handle cannot be made). */
static NDIS_HANDLE config_new(const char *fn, stack_keywords *keywords)
{
    struct config *c;

    if (vf_fault_fail(NDISBUF_FAULT_MEMORY)) { /* the handle is memory NDIS allocates */
        vf_fault_diagnostic(fn);
        free(keywords);
        return NULL;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        vf_diagnostic(fn, "out of memory for a configuration handle");
        free(keywords);
        return NULL;
    }
    c->magic = CONFIG_MAGIC;
    c->keywords = keywords;
    return c;
}

static bool config_ok(NDIS_HANDLE handle, const char *fn)
{
    const struct config *c = handle;

    if (!c || c->magic != CONFIG_MAGIC) {
        vf_diagnostic(fn, "%p is not an open configuration handle", handle);
        return false;
    }
    return true;
}

NDIS_STATUS NdisOpenConfigurationEx(PNDIS_CONFIGURATION_OBJECT ConfigObject, PNDIS_HANDLE ConfigurationHandle)
{
    static const char fn[] = "NdisOpenConfigurationEx";
    stack_keywords *keywords;
    NDIS_HANDLE handle;

    if (!ConfigObject || !ConfigurationHandle) {
        vf_diagnostic(fn, "%s is NULL", !ConfigObject ? "ConfigObject" : "ConfigurationHandle");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    if (ConfigObject->Header.Type != NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT || ConfigObject->Header.Revision < 1 ||
        ConfigObject->Header.Size < NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1) {
        vf_diagnostic(fn, "Header (Type 0x%x, Revision %u, Size %u) is not a revision 1 NDIS_CONFIGURATION_OBJECT",
                      ConfigObject->Header.Type, ConfigObject->Header.Revision, ConfigObject->Header.Size);
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    if (stack_adapter_keywords_copy(ConfigObject->NdisHandle, &keywords) != NDIS_STATUS_SUCCESS) {
        vf_diagnostic(fn, "out of memory for the adapter's keywords");
        return NDIS_STATUS_RESOURCES;
    }
    handle = config_new(fn, keywords);
    if (!handle)
        return NDIS_STATUS_RESOURCES;
    *ConfigurationHandle = handle;
    return NDIS_STATUS_SUCCESS;
}

VOID NdisOpenProtocolConfiguration(PNDIS_STATUS Status, PNDIS_HANDLE ConfigurationHandle,
                                   PNDIS_STRING ProtocolSection)
{
    NDIS_HANDLE handle;

    (void)ProtocolSection;
    if (!ConfigurationHandle) {
        vf_diagnostic("NdisOpenProtocolConfiguration", "ConfigurationHandle is NULL");
        *Status = NDIS_STATUS_INVALID_PARAMETER;
        return;
    }
    handle = config_new("NdisOpenProtocolConfiguration", NULL);
    if (handle)
        *ConfigurationHandle = handle;
    *Status = handle ? NDIS_STATUS_SUCCESS : NDIS_STATUS_RESOURCES;
}

/* The keyword as ASCII for a diagnostic (other characters become '?'). */
static void keyword_text(const NDIS_STRING *keyword, char *out, size_t size)
{
    size_t i, n = keyword && keyword->Buffer ? keyword->Length / sizeof(WCHAR) : 0;

    for (i = 0; i < n && i + 1 < size; i++)
        out[i] = keyword->Buffer[i] < 0x80 ? (char)keyword->Buffer[i] : '?';
    out[i] = '\0';
}

/* A new value block chained on the handle, with room for `chars` characters of text. */
static struct config_value *value_new(struct config *c, size_t chars)
{
    struct config_value *v;

    if (vf_fault_fail(NDISBUF_FAULT_MEMORY)) { /* so is every value a read hands out */
        vf_fault_diagnostic("NdisReadConfiguration");
        return NULL;
    }
    v = calloc(1, sizeof(*v) + chars * sizeof(WCHAR));
    if (!v) {
        vf_diagnostic("NdisReadConfiguration", "out of memory for a configuration parameter");
        return NULL;
    }
    v->next = c->values;
    c->values = v;
    return v;
}

static NDIS_STATUS read_integer(struct config *c, const NDISBUF_KEYWORD *k, bool hex,
                                PNDIS_CONFIGURATION_PARAMETER *out)
{
    const char *digits = k->Value;
    struct config_value *v;
    uint64_t number;

    if (hex && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
        digits += 2;
    if (!number_parse(digits, strlen(digits), hex ? 16 : 10, 0xFFFFFFFFu, &number)) {
        vf_diagnostic("NdisReadConfiguration", "keyword '%s' is '%s', not %s number from 0 to %s", k->Name,
                      k->Value, hex ? "a hexadecimal" : "a decimal", hex ? "FFFFFFFF" : "4294967295");
        return NDIS_STATUS_FAILURE;
    }
    v = value_new(c, 0);
    if (!v)
        return NDIS_STATUS_RESOURCES;
    v->parameter.ParameterType = NdisParameterInteger; /* also for a hexadecimal read, as documented */
    v->parameter.ParameterData.IntegerData = (ULONG)number;
    *out = &v->parameter;
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS read_string(struct config *c, const NDISBUF_KEYWORD *k, PNDIS_CONFIGURATION_PARAMETER *out)
{
    size_t n = strlen(k->Value); /* at most NDISBUF_KEYWORD_MAX_LENGTH, ASCII */
    struct config_value *v = value_new(c, n + 1);

    if (!v)
        return NDIS_STATUS_RESOURCES;
    for (size_t i = 0; i < n; i++)
        v->text[i] = (WCHAR)k->Value[i];
    v->text[n] = 0;
    v->parameter.ParameterType = NdisParameterString;
    v->parameter.ParameterData.StringData.Buffer = v->text;
    v->parameter.ParameterData.StringData.Length = (USHORT)(n * sizeof(WCHAR));
    v->parameter.ParameterData.StringData.MaximumLength = (USHORT)((n + 1) * sizeof(WCHAR));
    *out = &v->parameter;
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS read_unsupported(const NDISBUF_KEYWORD *k, const char *type)
{
    vf_diagnostic("NdisReadConfiguration", "keyword '%s' cannot be read as %s: keywords are text (REG_SZ), read "
                  "as NdisParameterInteger, NdisParameterHexInteger or NdisParameterString", k->Name, type);
    return NDIS_STATUS_FAILURE;
}

static NDIS_STATUS read_keyword(struct config *c, const NDISBUF_KEYWORD *k, NDIS_PARAMETER_TYPE type,
                                PNDIS_CONFIGURATION_PARAMETER *out)
{
    switch (type) {
    case NdisParameterInteger:
        return read_integer(c, k, false, out);
    case NdisParameterHexInteger:
        return read_integer(c, k, true, out);
    case NdisParameterString:
        return read_string(c, k, out);
    case NdisParameterMultiString:
        return read_unsupported(k, "NdisParameterMultiString");
    case NdisParameterBinary:
        return read_unsupported(k, "NdisParameterBinary");
    }
    return read_unsupported(k, "an unknown ParameterType");
}

/* NULL pointers the call cannot work without (Status itself is checked first). */
static bool read_arguments_ok(PNDIS_CONFIGURATION_PARAMETER *ParameterValue, const NDIS_STRING *Keyword)
{
    if (!ParameterValue || !Keyword || (!Keyword->Buffer && Keyword->Length)) {
        vf_diagnostic("NdisReadConfiguration", "%s is NULL",
                      !ParameterValue ? "ParameterValue" : !Keyword ? "Keyword" : "Keyword->Buffer");
        return false;
    }
    return true;
}

VOID NdisReadConfiguration(PNDIS_STATUS Status, PNDIS_CONFIGURATION_PARAMETER *ParameterValue,
                           NDIS_HANDLE ConfigurationHandle, PNDIS_STRING Keyword,
                           NDIS_PARAMETER_TYPE ParameterType)
{
    struct config *c = ConfigurationHandle;
    const NDISBUF_KEYWORD *k;
    char name[64];

    if (!Status) {
        vf_diagnostic("NdisReadConfiguration", "Status is NULL");
        return;
    }
    if (!read_arguments_ok(ParameterValue, Keyword)) {
        *Status = NDIS_STATUS_INVALID_PARAMETER;
        return;
    }
    *Status = NDIS_STATUS_FAILURE;
    if (!config_ok(ConfigurationHandle, "NdisReadConfiguration"))
        return;
    if (!c->keywords) {
        keyword_text(Keyword, name, sizeof(name));
        vf_diagnostic("NdisReadConfiguration", "no keyword '%s': only a configuration opened on a "
                      "MiniportAdapterHandle has keywords (ndisbuf_stack_add_adapter_ex), this one is empty",
                      name);
        return;
    }
    k = stack_keywords_find(c->keywords, Keyword->Buffer, Keyword->Length / sizeof(WCHAR));
    if (k) /* a keyword the adapter does not have is a quiet miss: the driver takes its default */
        *Status = read_keyword(c, k, ParameterType, ParameterValue);
}

VOID NdisWriteConfiguration(PNDIS_STATUS Status, NDIS_HANDLE ConfigurationHandle, PNDIS_STRING Keyword,
                            PNDIS_CONFIGURATION_PARAMETER ParameterValue)
{
    char name[64];

    (void)ParameterValue;
    *Status = NDIS_STATUS_NOT_SUPPORTED;
    if (!config_ok(ConfigurationHandle, "NdisWriteConfiguration"))
        return;
    keyword_text(Keyword, name, sizeof(name));
    vf_diagnostic("NdisWriteConfiguration", "'%s' not written: ndisbuf has no registry", name);
}

VOID NdisCloseConfiguration(NDIS_HANDLE ConfigurationHandle)
{
    struct config *c = ConfigurationHandle;

    if (!config_ok(ConfigurationHandle, "NdisCloseConfiguration"))
        return;
    while (c->values) {
        struct config_value *v = c->values;
        c->values = v->next;
        free(v);
    }
    free(c->keywords);
    c->magic = 0;
    free(c);
}
