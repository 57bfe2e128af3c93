/* SPDX-License-Identifier: MIT */
/*
 * Driver configuration (the registry parameters of an adapter, a filter
 * module or a protocol): NdisOpenConfigurationEx, NdisOpenProtocolConfiguration,
 * NdisReadConfiguration, NdisWriteConfiguration, NdisCloseConfiguration.
 *
 * ndisbuf has no registry, so every configuration is empty: opening one
 * succeeds and gives a real handle, reading any keyword fails with
 * NDIS_STATUS_FAILURE as a missing keyword does on Windows (the driver
 * takes its default), writing fails with NDIS_STATUS_NOT_SUPPORTED. Each
 * failure leaves a diagnostic naming the keyword.
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
 * NdisOpenConfigurationEx: opens the (empty) configuration of
 * ConfigObject->NdisHandle. On success *ConfigurationHandle is a handle to
 * close with NdisCloseConfiguration. Fails with NDIS_STATUS_INVALID_PARAMETER
 * (NULL arguments, a bad header) or NDIS_STATUS_RESOURCES, leaving
 * *ConfigurationHandle as it was.
 */
NDISBUF_API NDIS_STATUS NdisOpenConfigurationEx(PNDIS_CONFIGURATION_OBJECT ConfigObject,
                                                PNDIS_HANDLE ConfigurationHandle);

/*
 * NdisOpenProtocolConfiguration: the same for a protocol's per-binding
 * section; *Status says whether *ConfigurationHandle was set.
 */
NDISBUF_API VOID NdisOpenProtocolConfiguration(PNDIS_STATUS Status, PNDIS_HANDLE ConfigurationHandle,
                                               PNDIS_STRING ProtocolSection);

/*
 * NdisReadConfiguration: there are no keywords: *Status is
 * NDIS_STATUS_FAILURE and *ParameterValue is left as it was.
 */
NDISBUF_API VOID NdisReadConfiguration(PNDIS_STATUS Status, PNDIS_CONFIGURATION_PARAMETER *ParameterValue,
                                       NDIS_HANDLE ConfigurationHandle, PNDIS_STRING Keyword,
                                       NDIS_PARAMETER_TYPE ParameterType);

/* NdisWriteConfiguration: *Status is NDIS_STATUS_NOT_SUPPORTED; nothing is stored. */
NDISBUF_API VOID NdisWriteConfiguration(PNDIS_STATUS Status, NDIS_HANDLE ConfigurationHandle,
                                        PNDIS_STRING Keyword, PNDIS_CONFIGURATION_PARAMETER ParameterValue);

/* NdisCloseConfiguration: frees the handle (a handle not from an open is reported and ignored). */
NDISBUF_API VOID NdisCloseConfiguration(NDIS_HANDLE ConfigurationHandle);

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_NDIS_CONFIG_H */
