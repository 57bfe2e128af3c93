/* SPDX-License-Identifier: MIT */
/*
 * NTSTATUS: the result type of DriverEntry, dispatch routines and the kernel
 * calls driver code makes beside NDIS, with the status values drivers test
 * for most often and the NT_SUCCESS family of tests.
 *
 * NTSTATUS and NDIS_STATUS share one numbering space (status.h): the top
 * two bits give the severity (00 success, 01 informational, 10 warning,
 * 11 error), so a value is a failure exactly when it is negative as a
 * 32-bit signed integer. Values are those of the NTSTATUS table of
 * [MS-ERREF] section 2.3.1; only the commonly used ones are here.
 */
#ifndef NDISBUF_NDIS_NTSTATUS_H
#define NDISBUF_NDIS_NTSTATUS_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* [MS-DTYP] 2.2.39: a 32-bit signed value (LONG has that width here). */
typedef LONG NTSTATUS, *PNTSTATUS;

/* Severity tests: success covers the informational codes too. */
#define NT_SUCCESS(Status) (((NTSTATUS)(Status)) >= 0)
#define NT_INFORMATION(Status) ((((ULONG)(Status)) >> 30) == 1)
#define NT_WARNING(Status) ((((ULONG)(Status)) >> 30) == 2)
#define NT_ERROR(Status) ((((ULONG)(Status)) >> 30) == 3)

/* ---- success and informational ---- */
#define STATUS_SUCCESS                  ((NTSTATUS)0x00000000L)
#define STATUS_WAIT_0                   ((NTSTATUS)0x00000000L)
#define STATUS_ALERTED                  ((NTSTATUS)0x00000101L)
#define STATUS_TIMEOUT                  ((NTSTATUS)0x00000102L)
#define STATUS_PENDING                  ((NTSTATUS)0x00000103L)
#define STATUS_REPARSE                  ((NTSTATUS)0x00000104L)
#define STATUS_MORE_ENTRIES             ((NTSTATUS)0x00000105L)

/* ---- warnings ---- */
#define STATUS_BUFFER_OVERFLOW          ((NTSTATUS)0x80000005L)
#define STATUS_DEVICE_BUSY              ((NTSTATUS)0x80000011L)
#define STATUS_NO_MORE_ENTRIES          ((NTSTATUS)0x8000001AL)

/* ---- errors ---- */
#define STATUS_UNSUCCESSFUL             ((NTSTATUS)0xC0000001L)
#define STATUS_NOT_IMPLEMENTED          ((NTSTATUS)0xC0000002L)
#define STATUS_INVALID_INFO_CLASS       ((NTSTATUS)0xC0000003L)
#define STATUS_INFO_LENGTH_MISMATCH     ((NTSTATUS)0xC0000004L)
#define STATUS_ACCESS_VIOLATION         ((NTSTATUS)0xC0000005L)
#define STATUS_INVALID_HANDLE           ((NTSTATUS)0xC0000008L)
#define STATUS_INVALID_PARAMETER        ((NTSTATUS)0xC000000DL)
#define STATUS_NO_SUCH_DEVICE           ((NTSTATUS)0xC000000EL)
#define STATUS_INVALID_DEVICE_REQUEST   ((NTSTATUS)0xC0000010L)
#define STATUS_MORE_PROCESSING_REQUIRED ((NTSTATUS)0xC0000016L)
#define STATUS_NO_MEMORY                ((NTSTATUS)0xC0000017L)
#define STATUS_ACCESS_DENIED            ((NTSTATUS)0xC0000022L)
#define STATUS_BUFFER_TOO_SMALL         ((NTSTATUS)0xC0000023L)
#define STATUS_OBJECT_NAME_INVALID      ((NTSTATUS)0xC0000033L)
#define STATUS_OBJECT_NAME_NOT_FOUND    ((NTSTATUS)0xC0000034L)
#define STATUS_OBJECT_NAME_COLLISION    ((NTSTATUS)0xC0000035L)
#define STATUS_INSUFFICIENT_RESOURCES   ((NTSTATUS)0xC000009AL)
#define STATUS_DEVICE_NOT_CONNECTED     ((NTSTATUS)0xC000009DL)
#define STATUS_DEVICE_NOT_READY         ((NTSTATUS)0xC00000A3L)
#define STATUS_NOT_SUPPORTED            ((NTSTATUS)0xC00000BBL)
#define STATUS_INTERNAL_ERROR           ((NTSTATUS)0xC00000E5L)
#define STATUS_CANCELLED                ((NTSTATUS)0xC0000120L)
#define STATUS_INVALID_DEVICE_STATE     ((NTSTATUS)0xC0000184L)
#define STATUS_INVALID_BUFFER_SIZE      ((NTSTATUS)0xC0000206L)
#define STATUS_NOT_FOUND                ((NTSTATUS)0xC0000225L)
#define STATUS_DEVICE_REMOVED           ((NTSTATUS)0xC00002B6L)

_Static_assert(sizeof(NTSTATUS) == 4, "NTSTATUS is 32 bits as on Windows");
_Static_assert(NT_SUCCESS(STATUS_PENDING) && !NT_SUCCESS(STATUS_BUFFER_OVERFLOW),
               "informational codes succeed, warnings do not");
_Static_assert(NT_ERROR(STATUS_UNSUCCESSFUL) && NT_WARNING(STATUS_BUFFER_OVERFLOW),
               "severity in the top two bits");

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_NDIS_NTSTATUS_H */
