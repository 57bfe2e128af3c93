/* SPDX-License-Identifier: MIT */
/*
 * NDIS_STATUS: the 32-bit result code every fallible NDIS call returns.
 *
 * NDIS status codes share the NTSTATUS numbering space: the top two bits
 * give the severity (00 success, 01 informational, 10 warning, 11 error),
 * so a code is an error exactly when it is negative as a LONG. Codes that
 * have a general NTSTATUS meaning reuse that value (FAILURE is
 * STATUS_UNSUCCESSFUL, RESOURCES is STATUS_INSUFFICIENT_RESOURCES, ...);
 * NDIS-specific errors live in the NDIS facility (0x23), with the same
 * code numbers as the STATUS_NDIS_* values of Microsoft's NTSTATUS table.
 *
 * Each value is written once, in its #define. NDISBUF_STATUS_MAP lists
 * every code by name so the library can build a code-to-name table
 * (ndisbuf_status_name) without repeating a single number.
 */
#ifndef NDISBUF_NDIS_STATUS_H
#define NDISBUF_NDIS_STATUS_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Windows declares this as int; LONG has the same 32-bit signed width. */
typedef LONG NDIS_STATUS, *PNDIS_STATUS;

/* ---- success and informational codes ---- */
#define NDIS_STATUS_SUCCESS                 ((NDIS_STATUS)0x00000000L)
#define NDIS_STATUS_PENDING                 ((NDIS_STATUS)0x00000103L)
#define NDIS_STATUS_NOT_RECOGNIZED          ((NDIS_STATUS)0x00010001L)
#define NDIS_STATUS_NOT_COPIED              ((NDIS_STATUS)0x00010002L)
#define NDIS_STATUS_NOT_ACCEPTED            ((NDIS_STATUS)0x00010003L)
#define NDIS_STATUS_CALL_ACTIVE             ((NDIS_STATUS)0x00010007L)
#define NDIS_STATUS_INDICATION_REQUIRED     ((NDIS_STATUS)0x40230001L)

/* ---- warning ---- */
#define NDIS_STATUS_BUFFER_OVERFLOW         ((NDIS_STATUS)0x80000005L)

/* ---- errors shared with general NTSTATUS codes ---- */
#define NDIS_STATUS_FAILURE                 ((NDIS_STATUS)0xC0000001L)
#define NDIS_STATUS_INVALID_PARAMETER       ((NDIS_STATUS)0xC000000DL)
#define NDIS_STATUS_RESOURCES               ((NDIS_STATUS)0xC000009AL)
#define NDIS_STATUS_NOT_SUPPORTED           ((NDIS_STATUS)0xC00000BBL)

/* ---- errors in the NDIS facility ---- */
#define NDIS_STATUS_CLOSING                 ((NDIS_STATUS)0xC0230002L)
#define NDIS_STATUS_BAD_VERSION             ((NDIS_STATUS)0xC0230004L)
#define NDIS_STATUS_BAD_CHARACTERISTICS     ((NDIS_STATUS)0xC0230005L)
#define NDIS_STATUS_ADAPTER_NOT_FOUND       ((NDIS_STATUS)0xC0230006L)
#define NDIS_STATUS_OPEN_FAILED             ((NDIS_STATUS)0xC0230007L)
#define NDIS_STATUS_DEVICE_FAILED           ((NDIS_STATUS)0xC0230008L)
#define NDIS_STATUS_MULTICAST_FULL          ((NDIS_STATUS)0xC0230009L)
#define NDIS_STATUS_MULTICAST_EXISTS        ((NDIS_STATUS)0xC023000AL)
#define NDIS_STATUS_MULTICAST_NOT_FOUND     ((NDIS_STATUS)0xC023000BL)
#define NDIS_STATUS_REQUEST_ABORTED         ((NDIS_STATUS)0xC023000CL)
#define NDIS_STATUS_RESET_IN_PROGRESS       ((NDIS_STATUS)0xC023000DL)
#define NDIS_STATUS_INVALID_PACKET          ((NDIS_STATUS)0xC023000FL)
#define NDIS_STATUS_INVALID_DEVICE_REQUEST  ((NDIS_STATUS)0xC0230010L)
#define NDIS_STATUS_ADAPTER_NOT_READY       ((NDIS_STATUS)0xC0230011L)
#define NDIS_STATUS_INVALID_LENGTH          ((NDIS_STATUS)0xC0230014L)
#define NDIS_STATUS_INVALID_DATA            ((NDIS_STATUS)0xC0230015L)
#define NDIS_STATUS_BUFFER_TOO_SHORT        ((NDIS_STATUS)0xC0230016L)
#define NDIS_STATUS_INVALID_OID             ((NDIS_STATUS)0xC0230017L)
#define NDIS_STATUS_ADAPTER_REMOVED         ((NDIS_STATUS)0xC0230018L)
#define NDIS_STATUS_UNSUPPORTED_MEDIA       ((NDIS_STATUS)0xC0230019L)
#define NDIS_STATUS_GROUP_ADDRESS_IN_USE    ((NDIS_STATUS)0xC023001AL)
#define NDIS_STATUS_FILE_NOT_FOUND          ((NDIS_STATUS)0xC023001BL)
#define NDIS_STATUS_ERROR_READING_FILE      ((NDIS_STATUS)0xC023001CL)
#define NDIS_STATUS_ALREADY_MAPPED          ((NDIS_STATUS)0xC023001DL)
#define NDIS_STATUS_RESOURCE_CONFLICT       ((NDIS_STATUS)0xC023001EL)
#define NDIS_STATUS_MEDIA_DISCONNECTED      ((NDIS_STATUS)0xC023001FL)
#define NDIS_STATUS_INVALID_ADDRESS         ((NDIS_STATUS)0xC0230022L)
#define NDIS_STATUS_PAUSED                  ((NDIS_STATUS)0xC023002AL)
#define NDIS_STATUS_INTERFACE_NOT_FOUND     ((NDIS_STATUS)0xC023002BL)
#define NDIS_STATUS_UNSUPPORTED_REVISION    ((NDIS_STATUS)0xC023002CL)
#define NDIS_STATUS_INVALID_PORT            ((NDIS_STATUS)0xC023002DL)
#define NDIS_STATUS_INVALID_PORT_STATE      ((NDIS_STATUS)0xC023002EL)
#define NDIS_STATUS_LOW_POWER_STATE         ((NDIS_STATUS)0xC023002FL)
#define NDIS_STATUS_REINIT_REQUIRED         ((NDIS_STATUS)0xC0230030L)

/*
 * Status indications (NDIS_STATUS_INDICATION.StatusCode, ProtocolStatusEx,
 * FilterStatus): informational codes of the NDIS facility, 0x4001xxxx.
 */
#define NDIS_STATUS_RESET_START             ((NDIS_STATUS)0x40010004L)
#define NDIS_STATUS_RESET_END               ((NDIS_STATUS)0x40010005L)
#define NDIS_STATUS_LINK_STATE              ((NDIS_STATUS)0x40010017L)

/*
 * Every code above, as X(NAME_SUFFIX, value). The value column names the
 * #define, so a number is never written twice. The name table in
 * src/core/status.c expands this into a switch: two codes with the same
 * value fail to compile there, which keeps the list free of duplicates.
 * A code added above must be added here too.
 */
#define NDISBUF_STATUS_MAP(X)                                         \
    X(SUCCESS, NDIS_STATUS_SUCCESS)                                   \
    X(PENDING, NDIS_STATUS_PENDING)                                   \
    X(NOT_RECOGNIZED, NDIS_STATUS_NOT_RECOGNIZED)                     \
    X(NOT_COPIED, NDIS_STATUS_NOT_COPIED)                             \
    X(NOT_ACCEPTED, NDIS_STATUS_NOT_ACCEPTED)                         \
    X(CALL_ACTIVE, NDIS_STATUS_CALL_ACTIVE)                           \
    X(INDICATION_REQUIRED, NDIS_STATUS_INDICATION_REQUIRED)           \
    X(BUFFER_OVERFLOW, NDIS_STATUS_BUFFER_OVERFLOW)                   \
    X(FAILURE, NDIS_STATUS_FAILURE)                                   \
    X(INVALID_PARAMETER, NDIS_STATUS_INVALID_PARAMETER)               \
    X(RESOURCES, NDIS_STATUS_RESOURCES)                               \
    X(NOT_SUPPORTED, NDIS_STATUS_NOT_SUPPORTED)                       \
    X(CLOSING, NDIS_STATUS_CLOSING)                                   \
    X(BAD_VERSION, NDIS_STATUS_BAD_VERSION)                           \
    X(BAD_CHARACTERISTICS, NDIS_STATUS_BAD_CHARACTERISTICS)           \
    X(ADAPTER_NOT_FOUND, NDIS_STATUS_ADAPTER_NOT_FOUND)               \
    X(OPEN_FAILED, NDIS_STATUS_OPEN_FAILED)                           \
    X(DEVICE_FAILED, NDIS_STATUS_DEVICE_FAILED)                       \
    X(MULTICAST_FULL, NDIS_STATUS_MULTICAST_FULL)                     \
    X(MULTICAST_EXISTS, NDIS_STATUS_MULTICAST_EXISTS)                 \
    X(MULTICAST_NOT_FOUND, NDIS_STATUS_MULTICAST_NOT_FOUND)           \
    X(REQUEST_ABORTED, NDIS_STATUS_REQUEST_ABORTED)                   \
    X(RESET_IN_PROGRESS, NDIS_STATUS_RESET_IN_PROGRESS)               \
    X(INVALID_PACKET, NDIS_STATUS_INVALID_PACKET)                     \
    X(INVALID_DEVICE_REQUEST, NDIS_STATUS_INVALID_DEVICE_REQUEST)     \
    X(ADAPTER_NOT_READY, NDIS_STATUS_ADAPTER_NOT_READY)               \
    X(INVALID_LENGTH, NDIS_STATUS_INVALID_LENGTH)                     \
    X(INVALID_DATA, NDIS_STATUS_INVALID_DATA)                         \
    X(BUFFER_TOO_SHORT, NDIS_STATUS_BUFFER_TOO_SHORT)                 \
    X(INVALID_OID, NDIS_STATUS_INVALID_OID)                           \
    X(ADAPTER_REMOVED, NDIS_STATUS_ADAPTER_REMOVED)                   \
    X(UNSUPPORTED_MEDIA, NDIS_STATUS_UNSUPPORTED_MEDIA)               \
    X(GROUP_ADDRESS_IN_USE, NDIS_STATUS_GROUP_ADDRESS_IN_USE)         \
    X(FILE_NOT_FOUND, NDIS_STATUS_FILE_NOT_FOUND)                     \
    X(ERROR_READING_FILE, NDIS_STATUS_ERROR_READING_FILE)             \
    X(ALREADY_MAPPED, NDIS_STATUS_ALREADY_MAPPED)                     \
    X(RESOURCE_CONFLICT, NDIS_STATUS_RESOURCE_CONFLICT)               \
    X(MEDIA_DISCONNECTED, NDIS_STATUS_MEDIA_DISCONNECTED)             \
    X(INVALID_ADDRESS, NDIS_STATUS_INVALID_ADDRESS)                   \
    X(PAUSED, NDIS_STATUS_PAUSED)                                     \
    X(INTERFACE_NOT_FOUND, NDIS_STATUS_INTERFACE_NOT_FOUND)           \
    X(UNSUPPORTED_REVISION, NDIS_STATUS_UNSUPPORTED_REVISION)         \
    X(INVALID_PORT, NDIS_STATUS_INVALID_PORT)                         \
    X(INVALID_PORT_STATE, NDIS_STATUS_INVALID_PORT_STATE)             \
    X(LOW_POWER_STATE, NDIS_STATUS_LOW_POWER_STATE)                   \
    X(REINIT_REQUIRED, NDIS_STATUS_REINIT_REQUIRED)                   \
    X(RESET_START, NDIS_STATUS_RESET_START)                           \
    X(RESET_END, NDIS_STATUS_RESET_END)                               \
    X(LINK_STATE, NDIS_STATUS_LINK_STATE)

/*
 * The symbolic name of a status code, such as "NDIS_STATUS_FAILURE", or
 * "unknown" for a code not in NDISBUF_STATUS_MAP. Never returns NULL; the
 * string is static and must not be freed. Cannot fail; no verifier check.
 */
NDISBUF_API const char *ndisbuf_status_name(NDIS_STATUS status);

_Static_assert(sizeof(NDIS_STATUS) == 4, "NDIS_STATUS is 32 bits as on Windows");
_Static_assert(NDIS_STATUS_SUCCESS == 0, "NDIS_STATUS_SUCCESS is zero");
_Static_assert(NDIS_STATUS_PENDING > 0 && NDIS_STATUS_INDICATION_REQUIRED > 0,
               "success and informational codes are non-negative");
_Static_assert(NDIS_STATUS_BUFFER_OVERFLOW < 0 && NDIS_STATUS_FAILURE < 0,
               "warning and error codes have the top bit set");
_Static_assert(NDIS_STATUS_REINIT_REQUIRED == (NDIS_STATUS)0xC0230030L,
               "NDIS-facility errors sit at 0xC023xxxx");

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_NDIS_STATUS_H */
