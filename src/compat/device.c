/* SPDX-License-Identifier: MIT */
/*
 * Control devices (include/ndisbuf/ndis/io.h) and the I/O manager's part a
 * test plays through ndisbuf_device_request().
 *
 * A device is one allocation: a header holding a magic word and a copy of
 * the driver's dispatch table, the DEVICE_OBJECT, then its extension. The
 * NDIS device handle is the header. A request builds an IRP and a single
 * stack location on the caller's stack, with a KEVENT that
 * IoCompleteRequest signals, so a dispatch routine may complete the IRP
 * from another thread after returning STATUS_PENDING.
 *
 * A WDM device (IoCreateDevice) is the same allocation with a pointer to
 * its DRIVER_OBJECT instead of a dispatch copy: drivers fill MajorFunction[]
 * after creating their device, so requests read the table when they are
 * sent. The cancel spin lock is one process-wide KSPIN_LOCK.
 */
#include <stdlib.h>

#include "ndis.h"
#include "verify/verify.h"

#define DEVICE_MAGIC 0x44564e44u /* "DNVD" */
#define IO_TYPE_DEVICE 3
#define IO_TYPE_IRP 6

struct device {
    ULONG magic;
    PDRIVER_OBJECT driver; /* IoCreateDevice: dispatch through driver->MajorFunction */
    PDRIVER_DISPATCH dispatch[IRP_MJ_MAXIMUM_FUNCTION + 1];
    DEVICE_OBJECT object;
    /* the extension follows, pointer-aligned */
    PVOID extension[];
};

static struct device *device_from_object(PDEVICE_OBJECT object)
{
    struct device *dev;

    if (!object)
        return NULL;
    dev = CONTAINING_RECORD(object, struct device, object);
    return dev->magic == DEVICE_MAGIC ? dev : NULL;
}

static bool attributes_ok(const NDIS_DEVICE_OBJECT_ATTRIBUTES *a, const char *fn)
{
    if (a->Header.Type != NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES || a->Header.Revision < 1 ||
        a->Header.Size < NDIS_SIZEOF_DEVICE_OBJECT_ATTRIBUTES_REVISION_1) {
        vf_diagnostic(fn, "Header (Type 0x%x, Revision %u, Size %u) is not a revision 1 "
                      "NDIS_DEVICE_OBJECT_ATTRIBUTES", a->Header.Type, a->Header.Revision, a->Header.Size);
        return false;
    }
    if (!a->DeviceName || !a->MajorFunctions) {
        vf_diagnostic(fn, "%s is NULL", !a->DeviceName ? "DeviceName" : "MajorFunctions");
        return false;
    }
    return true;
}

NDIS_STATUS NdisRegisterDeviceEx(NDIS_HANDLE NdisHandle, PNDIS_DEVICE_OBJECT_ATTRIBUTES DeviceObjectAttributes,
                                 PDEVICE_OBJECT *pDeviceObject, PNDIS_HANDLE NdisDeviceHandle)
{
    static const char fn[] = "NdisRegisterDeviceEx";
    struct device *dev;

    (void)NdisHandle;
    if (!DeviceObjectAttributes || !pDeviceObject || !NdisDeviceHandle) {
        vf_diagnostic(fn, "%s is NULL", !DeviceObjectAttributes ? "DeviceObjectAttributes"
                                        : !pDeviceObject        ? "pDeviceObject"
                                                                : "NdisDeviceHandle");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    if (!attributes_ok(DeviceObjectAttributes, fn))
        return NDIS_STATUS_INVALID_PARAMETER;
    dev = calloc(1, sizeof(*dev) + DeviceObjectAttributes->ExtensionSize);
    if (!dev) {
        vf_diagnostic(fn, "out of memory for a device with a %u-byte extension",
                      DeviceObjectAttributes->ExtensionSize);
        return NDIS_STATUS_RESOURCES;
    }
    dev->magic = DEVICE_MAGIC;
    memcpy(dev->dispatch, DeviceObjectAttributes->MajorFunctions, sizeof(dev->dispatch));
    dev->object.Type = IO_TYPE_DEVICE;
    dev->object.Size = (USHORT)sizeof(dev->object);
    dev->object.ReferenceCount = 1;
    dev->object.DeviceType = FILE_DEVICE_NETWORK;
    dev->object.StackSize = 1;
    dev->object.DeviceExtension = DeviceObjectAttributes->ExtensionSize ? dev->extension : NULL;
    *pDeviceObject = &dev->object;
    *NdisDeviceHandle = dev;
    return NDIS_STATUS_SUCCESS;
}

VOID NdisDeregisterDeviceEx(NDIS_HANDLE NdisDeviceHandle)
{
    struct device *dev = NdisDeviceHandle;

    if (!dev || dev->magic != DEVICE_MAGIC || dev->driver) {
        vf_diagnostic("NdisDeregisterDeviceEx", "%p is not a device from NdisRegisterDeviceEx; ignored",
                      NdisDeviceHandle);
        return;
    }
    dev->magic = 0;
    free(dev);
}

PVOID NdisGetDeviceReservedExtension(PDEVICE_OBJECT DeviceObject)
{
    struct device *dev = device_from_object(DeviceObject);

    return dev && !dev->driver ? dev->object.DeviceExtension : NULL;
}

static KSPIN_LOCK cancel_lock;

VOID IoAcquireCancelSpinLock(PKIRQL Irql)
{
    KeAcquireSpinLock(&cancel_lock, Irql);
}

VOID IoReleaseCancelSpinLock(KIRQL Irql)
{
    KeReleaseSpinLock(&cancel_lock, Irql);
}

NTSTATUS IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize, PUNICODE_STRING DeviceName,
                        DEVICE_TYPE DeviceType, ULONG DeviceCharacteristics, BOOLEAN Exclusive,
                        PDEVICE_OBJECT *DeviceObject)
{
    struct device *dev;

    (void)DeviceName;
    if (!DriverObject || !DeviceObject) {
        vf_diagnostic("IoCreateDevice", "%s is NULL", !DriverObject ? "DriverObject" : "DeviceObject");
        return STATUS_INVALID_PARAMETER;
    }
    dev = calloc(1, sizeof(*dev) + DeviceExtensionSize);
    if (!dev) {
        vf_diagnostic("IoCreateDevice", "out of memory for a device with a %u-byte extension",
                      DeviceExtensionSize);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    dev->magic = DEVICE_MAGIC;
    dev->driver = DriverObject;
    dev->object.Type = IO_TYPE_DEVICE;
    dev->object.Size = (USHORT)sizeof(dev->object);
    dev->object.ReferenceCount = 1;
    dev->object.DriverObject = DriverObject;
    dev->object.NextDevice = DriverObject->DeviceObject;
    dev->object.Characteristics = DeviceCharacteristics;
    dev->object.Flags = DO_DEVICE_INITIALIZING | (Exclusive ? DO_EXCLUSIVE : 0);
    dev->object.DeviceType = DeviceType;
    dev->object.StackSize = 1;
    dev->object.DeviceExtension = DeviceExtensionSize ? dev->extension : NULL;
    DriverObject->DeviceObject = &dev->object;
    *DeviceObject = &dev->object;
    return STATUS_SUCCESS;
}

VOID IoDeleteDevice(PDEVICE_OBJECT DeviceObject)
{
    struct device *dev = device_from_object(DeviceObject);
    PDEVICE_OBJECT *link;

    if (!dev || !dev->driver) {
        vf_diagnostic("IoDeleteDevice", "%p is not a device from IoCreateDevice; ignored", (void *)DeviceObject);
        return;
    }
    for (link = &dev->driver->DeviceObject; *link; link = &(*link)->NextDevice) {
        if (*link == DeviceObject) {
            *link = DeviceObject->NextDevice;
            break;
        }
    }
    dev->magic = 0;
    free(dev);
}

NTSTATUS IoCreateSymbolicLink(PUNICODE_STRING SymbolicLinkName, PUNICODE_STRING DeviceName)
{
    if (!SymbolicLinkName || !DeviceName) {
        vf_diagnostic("IoCreateSymbolicLink", "%s is NULL", !SymbolicLinkName ? "SymbolicLinkName" : "DeviceName");
        return STATUS_INVALID_PARAMETER;
    }
    return STATUS_SUCCESS;
}

NTSTATUS IoDeleteSymbolicLink(PUNICODE_STRING SymbolicLinkName)
{
    if (!SymbolicLinkName) {
        vf_diagnostic("IoDeleteSymbolicLink", "SymbolicLinkName is NULL");
        return STATUS_INVALID_PARAMETER;
    }
    return STATUS_SUCCESS;
}

/* The routine a request goes to: the WDM driver's current table, or the NDIS device's copy. */
static PDRIVER_DISPATCH dispatch_routine(const struct device *dev, UCHAR major)
{
    if (major > IRP_MJ_MAXIMUM_FUNCTION)
        return NULL;
    return dev->driver ? dev->driver->MajorFunction[major] : dev->dispatch[major];
}

VOID IoCompleteRequest(PIRP Irp, CCHAR PriorityBoost)
{
    (void)PriorityBoost;
    if (Irp->UserIosb)
        *Irp->UserIosb = Irp->IoStatus;
    if (Irp->UserEvent)
        NdisSetEvent(CONTAINING_RECORD(Irp->UserEvent, NDIS_EVENT, Event));
}

/* Where the request's data goes: the routine reads it as the WDK's I/O manager would place it. */
static void place_buffer(PIRP irp, PIO_STACK_LOCATION sp, const struct device *dev, PVOID buffer,
                         ULONG length)
{
    ULONG method = METHOD_FROM_CTL_CODE(sp->Parameters.DeviceIoControl.IoControlCode);
    bool ioctl = sp->MajorFunction == IRP_MJ_DEVICE_CONTROL ||
                 sp->MajorFunction == IRP_MJ_INTERNAL_DEVICE_CONTROL;

    if (!buffer)
        return;
    if (ioctl && method == METHOD_NEITHER) {
        sp->Parameters.DeviceIoControl.Type3InputBuffer = buffer;
        irp->UserBuffer = buffer;
    } else if ((ioctl && method != METHOD_BUFFERED) || (!ioctl && (dev->object.Flags & DO_DIRECT_IO))) {
        irp->AssociatedIrp.SystemBuffer = buffer;
        if (length)
            irp->MdlAddress = NdisAllocateMdl(NULL, buffer, length);
    } else {
        irp->AssociatedIrp.SystemBuffer = buffer;
    }
}

LONG ndisbuf_device_request(PDEVICE_OBJECT DeviceObject, PFILE_OBJECT FileObject, UCHAR MajorFunction,
                            ULONG IoControlCode, PVOID Buffer, ULONG InputBufferLength,
                            ULONG OutputBufferLength, ULONG_PTR *Information)
{
    struct device *dev = device_from_object(DeviceObject);
    FILE_OBJECT temporary = { .Type = 5, .Size = (CSHORT)sizeof(FILE_OBJECT) };
    IO_STACK_LOCATION sp = { .MajorFunction = MajorFunction };
    NDIS_EVENT done;
    IRP irp = { .Type = IO_TYPE_IRP, .Size = (USHORT)sizeof(IRP), .StackCount = 1, .CurrentLocation = 1 };
    PDRIVER_DISPATCH routine = dev ? dispatch_routine(dev, MajorFunction) : NULL;
    NTSTATUS status;

    if (!routine) {
        vf_diagnostic("ndisbuf_device_request", "%s", !dev ? "not a device from NdisRegisterDeviceEx or IoCreateDevice"
                                                           : "no dispatch routine for this major function");
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    NdisInitializeEvent(&done);
    sp.DeviceObject = DeviceObject;
    sp.FileObject = FileObject ? FileObject : &temporary;
    if (MajorFunction == IRP_MJ_READ)
        sp.Parameters.Read.Length = OutputBufferLength;
    else if (MajorFunction == IRP_MJ_WRITE)
        sp.Parameters.Write.Length = InputBufferLength;
    else {
        sp.Parameters.DeviceIoControl.IoControlCode = IoControlCode;
        sp.Parameters.DeviceIoControl.InputBufferLength = InputBufferLength;
        sp.Parameters.DeviceIoControl.OutputBufferLength = OutputBufferLength;
    }
    irp.Tail.Overlay.CurrentStackLocation = &sp;
    irp.Tail.Overlay.OriginalFileObject = sp.FileObject;
    irp.UserEvent = &done.Event;
    place_buffer(&irp, &sp, dev, Buffer,
                 MajorFunction == IRP_MJ_WRITE ? InputBufferLength
                                               : (OutputBufferLength > InputBufferLength ? OutputBufferLength
                                                                                         : InputBufferLength));
    status = routine(DeviceObject, &irp);
    if (status == STATUS_PENDING) {
        NdisWaitEvent(&done, 0);
        status = irp.IoStatus.Status;
    }
    if (irp.MdlAddress)
        NdisFreeMdl(irp.MdlAddress);
    if (Information)
        *Information = irp.IoStatus.Information;
    return status;
}
