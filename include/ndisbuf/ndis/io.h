/* SPDX-License-Identifier: MIT */
/*
 * The I/O manager pieces an NDIS driver touches beside its buffers: the
 * DRIVER_OBJECT that DriverEntry fills (DriverUnload, MajorFunction[]), the
 * DEVICE_OBJECT of a control device, IRPs with their stack locations for
 * the dispatch routines of that device, I/O control codes (CTL_CODE), the
 * NDIS calls that register a control device (NdisRegisterDeviceEx), and
 * UNICODE_STRING initialisation.
 *
 * ndisbuf has no I/O manager. These structures carry the members the WDK
 * documents and drivers read or write, with the WDK's names and types, so a
 * dispatch routine compiles unchanged; they do not claim x64's layout (the
 * kernel-only members are left out or opaque). An IRP reaches a driver only
 * from a test, through ndisbuf_device_io_control() and friends (<ndisbuf.h>):
 * that builds the IRP and one stack location, calls the device's dispatch
 * routine and waits for IoCompleteRequest.
 *
 * Values are those of the WDK documentation (IRP_MJ_* function codes,
 * "Defining I/O Control Codes" for CTL_CODE and the FILE_DEVICE_* types).
 */
#ifndef NDISBUF_NDIS_IO_H
#define NDISBUF_NDIS_IO_H

#include "base.h"
#include "types.h"
#include "mdl.h"
#include "ntstatus.h"
#include "status.h"
#include "object.h"
#include "list.h"
#include "event.h"
#include "roles.h"
#include "sync.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef CHAR CCHAR;
typedef struct _IRP IRP;

/* ---- IRP major function codes ---- */
#define IRP_MJ_CREATE                   0x00
#define IRP_MJ_CREATE_NAMED_PIPE        0x01
#define IRP_MJ_CLOSE                    0x02
#define IRP_MJ_READ                     0x03
#define IRP_MJ_WRITE                    0x04
#define IRP_MJ_QUERY_INFORMATION        0x05
#define IRP_MJ_SET_INFORMATION          0x06
#define IRP_MJ_QUERY_EA                 0x07
#define IRP_MJ_SET_EA                   0x08
#define IRP_MJ_FLUSH_BUFFERS            0x09
#define IRP_MJ_QUERY_VOLUME_INFORMATION 0x0a
#define IRP_MJ_SET_VOLUME_INFORMATION   0x0b
#define IRP_MJ_DIRECTORY_CONTROL        0x0c
#define IRP_MJ_FILE_SYSTEM_CONTROL      0x0d
#define IRP_MJ_DEVICE_CONTROL           0x0e
#define IRP_MJ_INTERNAL_DEVICE_CONTROL  0x0f
#define IRP_MJ_SHUTDOWN                 0x10
#define IRP_MJ_LOCK_CONTROL             0x11
#define IRP_MJ_CLEANUP                  0x12
#define IRP_MJ_CREATE_MAILSLOT          0x13
#define IRP_MJ_QUERY_SECURITY           0x14
#define IRP_MJ_SET_SECURITY             0x15
#define IRP_MJ_POWER                    0x16
#define IRP_MJ_SYSTEM_CONTROL           0x17
#define IRP_MJ_DEVICE_CHANGE            0x18
#define IRP_MJ_QUERY_QUOTA              0x19
#define IRP_MJ_SET_QUOTA                0x1a
#define IRP_MJ_PNP                      0x1b
#define IRP_MJ_MAXIMUM_FUNCTION         IRP_MJ_PNP

/* Priority boosts given to IoCompleteRequest; meaningless here, accepted. */
#define IO_NO_INCREMENT      0
#define IO_NETWORK_INCREMENT 2

/* ---- I/O control codes ---- */
#define CTL_CODE(DeviceType, Function, Method, Access) \
    (((ULONG)(DeviceType) << 16) | ((ULONG)(Access) << 14) | ((ULONG)(Function) << 2) | (ULONG)(Method))
#define DEVICE_TYPE_FROM_CTL_CODE(ControlCode) (((ULONG)(ControlCode) & 0xffff0000u) >> 16)
#define METHOD_FROM_CTL_CODE(ControlCode)      ((ULONG)(ControlCode) & 3u)

#define METHOD_BUFFERED   0
#define METHOD_IN_DIRECT  1
#define METHOD_OUT_DIRECT 2
#define METHOD_NEITHER    3

#define FILE_ANY_ACCESS     0
#define FILE_SPECIAL_ACCESS FILE_ANY_ACCESS
#define FILE_READ_ACCESS    0x0001
#define FILE_WRITE_ACCESS   0x0002

typedef ULONG DEVICE_TYPE;
#define FILE_DEVICE_NETWORK          0x00000012
#define FILE_DEVICE_NULL             0x00000015
#define FILE_DEVICE_PHYSICAL_NETCARD 0x00000017
#define FILE_DEVICE_TRANSPORT        0x00000021
#define FILE_DEVICE_UNKNOWN          0x00000022
#define FILE_DEVICE_NETWORK_REDIRECTOR 0x00000028

/* DeviceCharacteristics for IoCreateDevice. */
#define FILE_DEVICE_SECURE_OPEN 0x00000100

/* DEVICE_OBJECT.Flags values a driver sets or clears. */
#define DO_BUFFERED_IO         0x00000004
#define DO_EXCLUSIVE           0x00000008
#define DO_DIRECT_IO           0x00000010
#define DO_DEVICE_INITIALIZING 0x00000080

/* IO_STACK_LOCATION.Control: IoMarkIrpPending sets it. */
#define SL_PENDING_RETURNED 0x01

/* KPROCESSOR_MODE: where a request came from. */
typedef CCHAR KPROCESSOR_MODE;
#define KernelMode 0
#define UserMode   1

/* ---- objects ---- */

typedef struct _IO_STATUS_BLOCK {
    union {
        NTSTATUS Status;
        PVOID Pointer;
    };
    ULONG_PTR Information;
} IO_STATUS_BLOCK, *PIO_STATUS_BLOCK;

/* The members of a file object a driver may read: its context slots. */
typedef struct _FILE_OBJECT {
    CSHORT Type;
    CSHORT Size;
    PDEVICE_OBJECT DeviceObject;
    PVOID Vpb;
    PVOID FsContext;  /* the driver's per-open context */
    PVOID FsContext2; /* a second per-open slot */
    ULONG Flags;
    UNICODE_STRING FileName;
} FILE_OBJECT, *PFILE_OBJECT;

typedef struct _DRIVER_EXTENSION {
    PDRIVER_OBJECT DriverObject;
    PVOID AddDevice;
    ULONG Count;
    UNICODE_STRING ServiceKeyName;
} DRIVER_EXTENSION, *PDRIVER_EXTENSION;

typedef struct _DRIVER_STARTIO_RESERVED *PDRIVER_STARTIO_RESERVED;

/*
 * What DriverEntry receives. A test owns it (a zeroed variable is fine):
 * the driver sets DriverUnload and MajorFunction[] entries; the test calls
 * DriverUnload itself at the end. ndisbuf never reads it.
 */
struct _DRIVER_OBJECT {
    CSHORT Type;
    CSHORT Size;
    PDEVICE_OBJECT DeviceObject;
    ULONG Flags;
    PVOID DriverStart;
    ULONG DriverSize;
    PVOID DriverSection;
    PDRIVER_EXTENSION DriverExtension;
    UNICODE_STRING DriverName;
    PUNICODE_STRING HardwareDatabase;
    PVOID FastIoDispatch;
    PDRIVER_INITIALIZE DriverInit;
    PVOID DriverStartIo;
    PDRIVER_UNLOAD DriverUnload;
    PDRIVER_DISPATCH MajorFunction[IRP_MJ_MAXIMUM_FUNCTION + 1];
};

/* A device object: a control device from NdisRegisterDeviceEx. */
struct _DEVICE_OBJECT {
    CSHORT Type;
    USHORT Size;
    LONG ReferenceCount;
    PDRIVER_OBJECT DriverObject;
    PDEVICE_OBJECT NextDevice;
    PDEVICE_OBJECT AttachedDevice;
    PIRP CurrentIrp;
    ULONG Flags;
    ULONG Characteristics;
    PVOID DeviceExtension; /* ExtensionSize zeroed bytes, the driver's */
    DEVICE_TYPE DeviceType;
    CCHAR StackSize;
    ULONG AlignmentRequirement;
};

/* One stack location: the parameters of the request for one driver. */
typedef struct _IO_STACK_LOCATION {
    UCHAR MajorFunction;
    UCHAR MinorFunction;
    UCHAR Flags;
    UCHAR Control;
    union {
        struct {
            PVOID SecurityContext;
            ULONG Options;
            USHORT FileAttributes;
            USHORT ShareAccess;
            ULONG EaLength;
        } Create;
        struct {
            ULONG Length;
            ULONG Key;
            LARGE_INTEGER ByteOffset;
        } Read;
        struct {
            ULONG Length;
            ULONG Key;
            LARGE_INTEGER ByteOffset;
        } Write;
        struct {
            ULONG OutputBufferLength;
            ULONG InputBufferLength;
            ULONG IoControlCode;
            PVOID Type3InputBuffer;
        } DeviceIoControl;
        struct {
            PVOID Argument1;
            PVOID Argument2;
            PVOID Argument3;
            PVOID Argument4;
        } Others;
    } Parameters;
    PDEVICE_OBJECT DeviceObject;
    PFILE_OBJECT FileObject;
    PVOID CompletionRoutine;
    PVOID Context;
} IO_STACK_LOCATION, *PIO_STACK_LOCATION;

typedef VOID (DRIVER_CANCEL)(PDEVICE_OBJECT DeviceObject, PIRP Irp);
typedef DRIVER_CANCEL *PDRIVER_CANCEL;

/* An I/O request packet; see the file comment for where one comes from. */
struct _IRP {
    CSHORT Type;
    USHORT Size;
    PMDL MdlAddress; /* the caller's buffer for direct I/O */
    ULONG Flags;
    union {
        PIRP MasterIrp;
        LONG IrpCount;
        PVOID SystemBuffer; /* METHOD_BUFFERED: input in, output out */
    } AssociatedIrp;
    LIST_ENTRY ThreadListEntry;
    IO_STATUS_BLOCK IoStatus;
    KPROCESSOR_MODE RequestorMode;
    BOOLEAN PendingReturned;
    CHAR StackCount;
    CHAR CurrentLocation;
    BOOLEAN Cancel;
    KIRQL CancelIrql;
    PIO_STATUS_BLOCK UserIosb;
    PKEVENT UserEvent; /* signalled by IoCompleteRequest when not NULL */
    PDRIVER_CANCEL CancelRoutine;
    PVOID UserBuffer; /* METHOD_NEITHER output */
    union {
        struct {
            union {
                PVOID DriverContext[4];
            };
            PVOID Thread;
            LIST_ENTRY ListEntry; /* the current owner's queue link */
            PIO_STACK_LOCATION CurrentStackLocation;
            PFILE_OBJECT OriginalFileObject;
        } Overlay;
    } Tail;
};

/* IoGetCurrentIrpStackLocation: the caller's stack location. Never NULL for an IRP it was given. */
static inline PIO_STACK_LOCATION IoGetCurrentIrpStackLocation(PIRP Irp)
{
    return Irp->Tail.Overlay.CurrentStackLocation;
}

/* IoMarkIrpPending: records that the dispatch routine returns STATUS_PENDING. */
static inline VOID IoMarkIrpPending(PIRP Irp)
{
    IoGetCurrentIrpStackLocation(Irp)->Control |= SL_PENDING_RETURNED;
}

/* IoSetCancelRoutine: installs (or with NULL removes) the cancel routine atomically; returns the previous one. */
static inline PDRIVER_CANCEL IoSetCancelRoutine(PIRP Irp, PDRIVER_CANCEL CancelRoutine)
{
    return __atomic_exchange_n(&Irp->CancelRoutine, CancelRoutine, __ATOMIC_SEQ_CST);
}

/*
 * IoCompleteRequest: the driver is done with Irp. Copies IoStatus to
 * UserIosb and signals UserEvent when they are set (ndisbuf's test calls
 * set both). The IRP belongs to its creator again; PriorityBoost is ignored.
 */
NDISBUF_API VOID IoCompleteRequest(PIRP Irp, CCHAR PriorityBoost);

/*
 * IoAcquireCancelSpinLock / IoReleaseCancelSpinLock: the one process-wide
 * cancel spin lock (a real lock) that guards IRP cancel routines. The
 * acquire stores the "previous IRQL" (always PASSIVE_LEVEL here) in *Irql
 * for the release; a cancel routine releases it with Irp->CancelIrql.
 * Releasing it when not held aborts, as for any spin lock.
 */
NDISBUF_API VOID IoAcquireCancelSpinLock(PKIRQL Irql);
NDISBUF_API VOID IoReleaseCancelSpinLock(KIRQL Irql);

/* ---- WDM device objects (IoCreateDevice) ---- */

/*
 * IoCreateDevice: creates a device object for DriverObject with
 * DeviceExtensionSize zeroed bytes of extension, linked at the head of
 * DriverObject->DeviceObject. Requests sent with ndisbuf_device_request
 * dispatch through DriverObject->MajorFunction as it is at the time of the
 * request (drivers fill it after creating the device). DeviceName is not
 * recorded: there is no object name space. On success *DeviceObject is set
 * and the device lives until IoDeleteDevice; on failure (NULL DriverObject
 * or DeviceObject: STATUS_INVALID_PARAMETER; memory:
 * STATUS_INSUFFICIENT_RESOURCES) *DeviceObject is left as it was and a
 * diagnostic says why.
 */
NDISBUF_API NTSTATUS IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize,
                                    PUNICODE_STRING DeviceName, DEVICE_TYPE DeviceType,
                                    ULONG DeviceCharacteristics, BOOLEAN Exclusive,
                                    PDEVICE_OBJECT *DeviceObject);

/* IoDeleteDevice: unlinks the device from its driver and frees it with its extension. A device not from IoCreateDevice is reported and ignored. */
NDISBUF_API VOID IoDeleteDevice(PDEVICE_OBJECT DeviceObject);

/*
 * IoCreateSymbolicLink / IoDeleteSymbolicLink: there is no object name
 * space for a link to live in; both return STATUS_SUCCESS and record
 * nothing (decision: a driver's DriverEntry must not fail for want of a
 * name a test never opens). NULL names give STATUS_INVALID_PARAMETER.
 */
NDISBUF_API NTSTATUS IoCreateSymbolicLink(PUNICODE_STRING SymbolicLinkName, PUNICODE_STRING DeviceName);
NDISBUF_API NTSTATUS IoDeleteSymbolicLink(PUNICODE_STRING SymbolicLinkName);

/* ---- counted strings ---- */

/*
 * RtlInitUnicodeString: points DestinationString at SourceString (not
 * copied); Length is its size in bytes without the NUL, MaximumLength with
 * it; a NULL source gives an empty string with a NULL buffer.
 */
static inline VOID RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString)
{
    USHORT n = 0;
    if (SourceString) {
        while (SourceString[n])
            n++;
    }
    DestinationString->Length = (USHORT)(n * sizeof(WCHAR));
    DestinationString->MaximumLength = SourceString ? (USHORT)((n + 1) * sizeof(WCHAR)) : 0;
    DestinationString->Buffer = (PWSTR)SourceString;
}

#ifdef __cplusplus
/* C++ keeps wchar_t apart from WCHAR: L"..." literals (16-bit under -fshort-wchar) come here. */
extern "C++" inline VOID RtlInitUnicodeString(PUNICODE_STRING DestinationString, const wchar_t *SourceString)
{
    static_assert(sizeof(wchar_t) == sizeof(WCHAR), "L\"...\" needs -fshort-wchar (docs/wdk-compat.md)");
    RtlInitUnicodeString(DestinationString, reinterpret_cast<PCWSTR>(SourceString));
}
#endif

/* NdisInitUnicodeString: RtlInitUnicodeString under its NDIS name. */
#define NdisInitUnicodeString(Destination, Source) RtlInitUnicodeString((Destination), (Source))

/* RtlEqualUnicodeString: same length and characters (ASCII letters folded when CaseInSensitive). */
static inline BOOLEAN RtlEqualUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2,
                                            BOOLEAN CaseInSensitive)
{
    USHORT i;
    if (String1->Length != String2->Length)
        return FALSE;
    for (i = 0; i < String1->Length / sizeof(WCHAR); i++) {
        WCHAR a = String1->Buffer[i], b = String2->Buffer[i];
        if (CaseInSensitive) {
            a = (WCHAR)((a >= 'a' && a <= 'z') ? a - 32 : a);
            b = (WCHAR)((b >= 'a' && b <= 'z') ? b - 32 : b);
        }
        if (a != b)
            return FALSE;
    }
    return TRUE;
}
#define NdisEqualUnicodeString(String1, String2, CaseInsensitive) \
    RtlEqualUnicodeString((String1), (String2), (CaseInsensitive))

/* ---- NDIS control devices ---- */

typedef const GUID *LPCGUID;

typedef struct _NDIS_DEVICE_OBJECT_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES, revision 1 */
    PNDIS_STRING DeviceName;
    PNDIS_STRING SymbolicName;
    PDRIVER_DISPATCH *MajorFunctions; /* IRP_MJ_MAXIMUM_FUNCTION + 1 entries, NULL where not handled */
    ULONG ExtensionSize;
    PCUNICODE_STRING DefaultSDDLString;
    LPCGUID DeviceClassGuid;
} NDIS_DEVICE_OBJECT_ATTRIBUTES, *PNDIS_DEVICE_OBJECT_ATTRIBUTES;

#define NDIS_DEVICE_OBJECT_ATTRIBUTES_REVISION_1 1
#define NDIS_SIZEOF_DEVICE_OBJECT_ATTRIBUTES_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_DEVICE_OBJECT_ATTRIBUTES, DeviceClassGuid)

/*
 * NdisRegisterDeviceEx: creates a control device for a filter or miniport
 * driver: a DEVICE_OBJECT with DeviceAttributes->ExtensionSize zeroed bytes
 * of extension, dispatching through a copy of MajorFunctions. There is no
 * name space: the names are checked to be present and kept for
 * diagnostics only. NdisHandle may be NULL (as for pools). On success
 * *pDeviceObject and *NdisDeviceHandle are set and the device lives until
 * NdisDeregisterDeviceEx; on failure (bad header or arguments:
 * NDIS_STATUS_INVALID_PARAMETER; memory: NDIS_STATUS_RESOURCES) both are
 * left as they were and a diagnostic says why.
 */
NDISBUF_API NDIS_STATUS NdisRegisterDeviceEx(NDIS_HANDLE NdisHandle,
                                             PNDIS_DEVICE_OBJECT_ATTRIBUTES DeviceObjectAttributes,
                                             PDEVICE_OBJECT *pDeviceObject, PNDIS_HANDLE NdisDeviceHandle);

/* NdisDeregisterDeviceEx: destroys the device and its extension. A handle not from NdisRegisterDeviceEx is reported and ignored. */
NDISBUF_API VOID NdisDeregisterDeviceEx(NDIS_HANDLE NdisDeviceHandle);

/* NdisGetDeviceReservedExtension: the device's extension (ExtensionSize bytes), or NULL if it has none or is not an NDIS device. */
NDISBUF_API PVOID NdisGetDeviceReservedExtension(PDEVICE_OBJECT DeviceObject);

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_NDIS_IO_H */
