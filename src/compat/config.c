/* SPDX-License-Identifier: MIT */
/*
 * Driver configuration without a registry (include/ndisbuf/ndis/config.h):
 * a handle is a small allocation with a magic word, so a close of
 * something else is caught; every read misses, as a keyword that was
 * never written does on Windows, and the driver keeps its default.
 */
#include <stdlib.h>

#include "ndis.h"
#include "verify/verify.h"

#define CONFIG_MAGIC 0x47464e43u /* "CNFG" */

struct config {
    ULONG magic;
};

static NDIS_HANDLE config_new(const char *fn)
{
    struct config *c = malloc(sizeof(*c));

    if (!c) {
        vf_diagnostic(fn, "out of memory for a configuration handle");
        return NULL;
    }
    c->magic = CONFIG_MAGIC;
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
    handle = config_new(fn);
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
    handle = config_new("NdisOpenProtocolConfiguration");
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

VOID NdisReadConfiguration(PNDIS_STATUS Status, PNDIS_CONFIGURATION_PARAMETER *ParameterValue,
                           NDIS_HANDLE ConfigurationHandle, PNDIS_STRING Keyword,
                           NDIS_PARAMETER_TYPE ParameterType)
{
    char name[64];

    (void)ParameterValue;
    (void)ParameterType;
    *Status = NDIS_STATUS_FAILURE;
    if (!config_ok(ConfigurationHandle, "NdisReadConfiguration"))
        return;
    keyword_text(Keyword, name, sizeof(name));
    vf_diagnostic("NdisReadConfiguration", "no keyword '%s': ndisbuf has no registry, every configuration is empty",
                  name);
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
    c->magic = 0;
    free(c);
}
