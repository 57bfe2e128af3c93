/* SPDX-License-Identifier: MIT */
/*
 * Driver configuration (the registry parameters of an adapter, a filter
 * module or a protocol): NdisOpenConfigurationEx, NdisOpenProtocolConfiguration,
 * NdisReadConfiguration, NdisWriteConfiguration, NdisCloseConfiguration.
 *
 * ndisbuf has no registry. The values a driver can read are an adapter's
 * keywords (ndisbuf_stack_add_adapter_ex in <ndisbuf.h>): a configuration
 * opened on a MiniportAdapterHandle sees them; any other configuration is
 * empty, and every read of it fails with NDIS_STATUS_FAILURE as a missing
 * keyword does on Windows (the driver takes its default), with a
 * diagnostic naming the keyword. Writing fails with
 * NDIS_STATUS_NOT_SUPPORTED.
 */
#ifndef NDISBUF_NDIS_CONFIG_H
#define NDISBUF_NDIS_CONFIG_H

#include "base.h"
#include "types.h"
#include "status.h"
#include "object.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum _NDIS_PARAMETER_TYPE {
    NdisParameterInteger,
    NdisParameterHexInteger,
    NdisParameterString,
    NdisParameterMultiString,
    NdisParameterBinary
} NDIS_PARAMETER_TYPE, *PNDIS_PARAMETER_TYPE;

typedef struct _BINARY_DATA {
    USHORT Length;
    PVOID Buffer;
} BINARY_DATA;

typedef struct _NDIS_CONFIGURATION_PARAMETER {
    NDIS_PARAMETER_TYPE ParameterType;
    union {
        ULONG IntegerData;
        NDIS_STRING StringData;
        BINARY_DATA BinaryData;
    } ParameterData;
} NDIS_CONFIGURATION_PARAMETER, *PNDIS_CONFIGURATION_PARAMETER;

typedef struct _NDIS_CONFIGURATION_OBJECT {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT, revision 1 */
    NDIS_HANDLE NdisHandle;    /* the driver's, adapter's or filter module's handle */
    ULONG Flags;
} NDIS_CONFIGURATION_OBJECT, *PNDIS_CONFIGURATION_OBJECT;

#define NDIS_CONFIGURATION_OBJECT_REVISION_1 1
#define NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_CONFIGURATION_OBJECT, Flags)
#define NDIS_CONFIG_FLAG_FILTER_INSTANCE_CONFIGURATION 0x00000001

/*
 * NdisOpenConfigurationEx: opens the configuration of
 * ConfigObject->NdisHandle: a copy of the adapter's keywords when it is a
 * live MiniportAdapterHandle, else an empty one. On success
 * *ConfigurationHandle is a handle to close with NdisCloseConfiguration.
 * Fails with NDIS_STATUS_INVALID_PARAMETER (NULL arguments, a bad header)
 * or NDIS_STATUS_RESOURCES, leaving *ConfigurationHandle as it was.
 */
NDISBUF_API NDIS_STATUS NdisOpenConfigurationEx(PNDIS_CONFIGURATION_OBJECT ConfigObject,
                                                PNDIS_HANDLE ConfigurationHandle);

/*
 * NdisOpenProtocolConfiguration: the same for a protocol's per-binding
 * section, always empty; *Status says whether *ConfigurationHandle was set.
 */
NDISBUF_API VOID NdisOpenProtocolConfiguration(PNDIS_STATUS Status, PNDIS_HANDLE ConfigurationHandle,
                                               PNDIS_STRING ProtocolSection);

/*
 * NdisReadConfiguration: finds Keyword (ignoring case) and converts its
 * text to ParameterType: NdisParameterInteger takes decimal digits,
 * NdisParameterHexInteger hexadecimal digits with or without 0x (both
 * only digits, no sign or spaces, up to 0xFFFFFFFF, and both give
 * ParameterType NdisParameterInteger), NdisParameterString the text as a
 * NUL-terminated UTF-16 NDIS_STRING. On success *ParameterValue points to
 * a parameter the configuration handle owns: it stays valid, whatever is
 * read later, until NdisCloseConfiguration frees it. *Status is
 * NDIS_STATUS_FAILURE for a missing keyword (quietly when the handle has
 * an adapter's keywords, with a diagnostic on an empty configuration), a
 * text that is no number of the asked base, a multi-string or binary read,
 * or a bad handle (each with a diagnostic); NDIS_STATUS_INVALID_PARAMETER
 * for a NULL ParameterValue or Keyword; NDIS_STATUS_RESOURCES when out of
 * memory. On failure *ParameterValue is left as it was.
 */
NDISBUF_API VOID NdisReadConfiguration(PNDIS_STATUS Status, PNDIS_CONFIGURATION_PARAMETER *ParameterValue,
                                       NDIS_HANDLE ConfigurationHandle, PNDIS_STRING Keyword,
                                       NDIS_PARAMETER_TYPE ParameterType);

/* NdisWriteConfiguration: *Status is NDIS_STATUS_NOT_SUPPORTED; nothing is stored. */
NDISBUF_API VOID NdisWriteConfiguration(PNDIS_STATUS Status, NDIS_HANDLE ConfigurationHandle,
                                        PNDIS_STRING Keyword, PNDIS_CONFIGURATION_PARAMETER ParameterValue);

/*
 * NdisCloseConfiguration: frees the handle and every parameter its reads
 * returned (a handle not from an open is reported and ignored).
 */
NDISBUF_API VOID NdisCloseConfiguration(NDIS_HANDLE ConfigurationHandle);

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_NDIS_CONFIG_H */
