/* SPDX-License-Identifier: MIT */
/*
 * A monitoring filter with a control device, written the way Microsoft's
 * NDIS samples are (role typedefs, DriverEntry filling the DRIVER_OBJECT,
 * a full NDIS_FILTER_DRIVER_CHARACTERISTICS, NdisRegisterDeviceEx and an
 * IRP_MJ_DEVICE_CONTROL dispatch routine), compiled against the installed
 * <ndis.h> with -Wall -Wextra -Werror. main() plays the system: it loads
 * the driver, runs the receive handler over an NBL chain, reads the
 * counters back through the control device and unloads the driver.
 */
#include <ndis.h>
#include <stdio.h>

#define MON_TAG 'noMD'
#define IOCTL_MON_QUERY_COUNTERS CTL_CODE(FILE_DEVICE_PHYSICAL_NETCARD, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_MON_RESET_COUNTERS CTL_CODE(FILE_DEVICE_PHYSICAL_NETCARD, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)

typedef struct _MON_COUNTERS
{
    ULONG64 Frames;
    ULONG64 Bytes;
    ULONG   Buffers;
} MON_COUNTERS, *PMON_COUNTERS;

typedef struct _MON_DEVICE_EXTENSION
{
    ULONG       Signature;
    NDIS_HANDLE DriverHandle;
} MON_DEVICE_EXTENSION, *PMON_DEVICE_EXTENSION;

typedef struct _MON_MODULE
{
    NDIS_HANDLE    FilterHandle;
    NDIS_SPIN_LOCK Lock;
    MON_COUNTERS   Counters;
} MON_MODULE, *PMON_MODULE;

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD MonUnload;
DRIVER_DISPATCH MonCreateClose;
DRIVER_DISPATCH MonDeviceIoControl;
FILTER_ATTACH MonAttach;
FILTER_DETACH MonDetach;
FILTER_RESTART MonRestart;
FILTER_PAUSE MonPause;
FILTER_SEND_NET_BUFFER_LISTS MonSendNetBufferLists;
FILTER_RECEIVE_NET_BUFFER_LISTS MonReceiveNetBufferLists;
FILTER_SEND_NET_BUFFER_LISTS_COMPLETE MonSendNetBufferListsComplete;
FILTER_RETURN_NET_BUFFER_LISTS MonReturnNetBufferLists;

static NDIS_HANDLE    MonDriverHandle;
static NDIS_HANDLE    MonDeviceHandle;
static PDEVICE_OBJECT MonDeviceObject;
static MON_MODULE     MonModule; // one module: main() stands in for FilterAttach

_Use_decl_annotations_
NDIS_STATUS
MonAttach(NDIS_HANDLE NdisFilterHandle, NDIS_HANDLE FilterDriverContext, PNDIS_FILTER_ATTACH_PARAMETERS AttachParameters)
{
    UNREFERENCED_PARAMETER(NdisFilterHandle);
    UNREFERENCED_PARAMETER(FilterDriverContext);
    UNREFERENCED_PARAMETER(AttachParameters);
    return NDIS_STATUS_SUCCESS;
}

_Use_decl_annotations_
VOID
MonDetach(NDIS_HANDLE FilterModuleContext)
{
    UNREFERENCED_PARAMETER(FilterModuleContext);
}

_Use_decl_annotations_
NDIS_STATUS
MonRestart(NDIS_HANDLE FilterModuleContext, PNDIS_FILTER_RESTART_PARAMETERS RestartParameters)
{
    UNREFERENCED_PARAMETER(FilterModuleContext);
    UNREFERENCED_PARAMETER(RestartParameters);
    return NDIS_STATUS_SUCCESS;
}

_Use_decl_annotations_
NDIS_STATUS
MonPause(NDIS_HANDLE FilterModuleContext, PNDIS_FILTER_PAUSE_PARAMETERS PauseParameters)
{
    UNREFERENCED_PARAMETER(FilterModuleContext);
    UNREFERENCED_PARAMETER(PauseParameters);
    return NDIS_STATUS_SUCCESS;
}

// Counts every NET_BUFFER of the chain and the MDLs its data spans.
static VOID
monCountChain(_In_ PMON_MODULE Module, _In_ PNET_BUFFER_LIST NetBufferLists, _In_ BOOLEAN DispatchLevel)
{
    PNET_BUFFER_LIST Nbl;
    PNET_BUFFER      Nb;
    PMDL             Mdl;
    MON_COUNTERS     Seen = { 0, 0, 0 };

    for (Nbl = NetBufferLists; Nbl != NULL; Nbl = NET_BUFFER_LIST_NEXT_NBL(Nbl))
    {
        for (Nb = NET_BUFFER_LIST_FIRST_NB(Nbl); Nb != NULL; Nb = NET_BUFFER_NEXT_NB(Nb))
        {
            Seen.Frames++;
            Seen.Bytes += NET_BUFFER_DATA_LENGTH(Nb);
            for (Mdl = NET_BUFFER_CURRENT_MDL(Nb); Mdl != NULL; Mdl = Mdl->Next)
            {
                Seen.Buffers++;
            }
        }
    }
    if (DispatchLevel)
        NdisDprAcquireSpinLock(&Module->Lock);
    else
        NdisAcquireSpinLock(&Module->Lock);
    Module->Counters.Frames += Seen.Frames;
    Module->Counters.Bytes += Seen.Bytes;
    Module->Counters.Buffers += Seen.Buffers;
    if (DispatchLevel)
        NdisDprReleaseSpinLock(&Module->Lock);
    else
        NdisReleaseSpinLock(&Module->Lock);
}

_Use_decl_annotations_
VOID
MonSendNetBufferLists(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferLists, NDIS_PORT_NUMBER PortNumber, ULONG SendFlags)
{
    PMON_MODULE Module = (PMON_MODULE)FilterModuleContext;

    monCountChain(Module, NetBufferLists, NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags));
    if (Module->FilterHandle != NULL)
    {
        NdisFSendNetBufferLists(Module->FilterHandle, NetBufferLists, PortNumber, SendFlags);
    }
}

_Use_decl_annotations_
VOID
MonReceiveNetBufferLists(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferLists, NDIS_PORT_NUMBER PortNumber,
                         ULONG NumberOfNetBufferLists, ULONG ReceiveFlags)
{
    PMON_MODULE Module = (PMON_MODULE)FilterModuleContext;

    monCountChain(Module, NetBufferLists, NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(ReceiveFlags));
    if (Module->FilterHandle != NULL)
    {
        NdisFIndicateReceiveNetBufferLists(Module->FilterHandle, NetBufferLists, PortNumber,
                                           NumberOfNetBufferLists, ReceiveFlags);
    }
}

_Use_decl_annotations_
VOID
MonSendNetBufferListsComplete(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferLists, ULONG SendCompleteFlags)
{
    PMON_MODULE Module = (PMON_MODULE)FilterModuleContext;

    NdisFSendNetBufferListsComplete(Module->FilterHandle, NetBufferLists, SendCompleteFlags);
}

_Use_decl_annotations_
VOID
MonReturnNetBufferLists(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferLists, ULONG ReturnFlags)
{
    PMON_MODULE Module = (PMON_MODULE)FilterModuleContext;

    NdisFReturnNetBufferLists(Module->FilterHandle, NetBufferLists, ReturnFlags);
}

_Use_decl_annotations_
NTSTATUS
MonCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
NTSTATUS
MonDeviceIoControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION    IrpSp = IoGetCurrentIrpStackLocation(Irp);
    PMON_DEVICE_EXTENSION Extension = (PMON_DEVICE_EXTENSION)NdisGetDeviceReservedExtension(DeviceObject);
    NTSTATUS              Status = STATUS_SUCCESS;
    ULONG                 Information = 0;

    ASSERT(Extension->Signature == MON_TAG);
    switch (IrpSp->Parameters.DeviceIoControl.IoControlCode)
    {
    case IOCTL_MON_QUERY_COUNTERS:
        if (IrpSp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(MON_COUNTERS))
        {
            Status = STATUS_BUFFER_TOO_SMALL;
            break;
        }
        NdisAcquireSpinLock(&MonModule.Lock);
        NdisMoveMemory(Irp->AssociatedIrp.SystemBuffer, &MonModule.Counters, sizeof(MON_COUNTERS));
        NdisReleaseSpinLock(&MonModule.Lock);
        Information = sizeof(MON_COUNTERS);
        break;
    case IOCTL_MON_RESET_COUNTERS:
        NdisAcquireSpinLock(&MonModule.Lock);
        NdisZeroMemory(&MonModule.Counters, sizeof(MON_COUNTERS));
        NdisReleaseSpinLock(&MonModule.Lock);
        break;
    default:
        Status = STATUS_INVALID_DEVICE_REQUEST;
        break;
    }
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

static NDIS_STATUS
monRegisterDevice(VOID)
{
    NDIS_STATUS                   Status;
    UNICODE_STRING                DeviceName, LinkName;
    PDRIVER_DISPATCH              DispatchTable[IRP_MJ_MAXIMUM_FUNCTION + 1];
    NDIS_DEVICE_OBJECT_ATTRIBUTES Attributes;
    PMON_DEVICE_EXTENSION         Extension;

    NdisZeroMemory(DispatchTable, sizeof(DispatchTable));
    DispatchTable[IRP_MJ_CREATE] = MonCreateClose;
    DispatchTable[IRP_MJ_CLOSE] = MonCreateClose;
    DispatchTable[IRP_MJ_DEVICE_CONTROL] = MonDeviceIoControl;
    NdisInitUnicodeString(&DeviceName, L"\\Device\\NdisMon");
    NdisInitUnicodeString(&LinkName, L"\\DosDevices\\NdisMon");

    NdisZeroMemory(&Attributes, sizeof(Attributes));
    Attributes.Header.Type = NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES;
    Attributes.Header.Revision = NDIS_DEVICE_OBJECT_ATTRIBUTES_REVISION_1;
    Attributes.Header.Size = NDIS_SIZEOF_DEVICE_OBJECT_ATTRIBUTES_REVISION_1;
    Attributes.DeviceName = &DeviceName;
    Attributes.SymbolicName = &LinkName;
    Attributes.MajorFunctions = &DispatchTable[0];
    Attributes.ExtensionSize = sizeof(MON_DEVICE_EXTENSION);

    Status = NdisRegisterDeviceEx(MonDriverHandle, &Attributes, &MonDeviceObject, &MonDeviceHandle);
    if (Status == NDIS_STATUS_SUCCESS)
    {
        Extension = (PMON_DEVICE_EXTENSION)NdisGetDeviceReservedExtension(MonDeviceObject);
        Extension->Signature = MON_TAG;
        Extension->DriverHandle = MonDriverHandle;
    }
    return Status;
}

_Use_decl_annotations_
VOID
MonUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    NdisDeregisterDeviceEx(MonDeviceHandle);
    NdisFDeregisterFilterDriver(MonDriverHandle);
    NdisFreeSpinLock(&MonModule.Lock);
}

_Use_decl_annotations_
NTSTATUS
DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NDIS_STATUS                        Status;
    NDIS_FILTER_DRIVER_CHARACTERISTICS FChars;
    NDIS_STRING                        Friendly = RTL_CONSTANT_STRING(L"NDIS monitor with a control device");
    NDIS_STRING                        Unique = RTL_CONSTANT_STRING(L"{8d2a1c53-0b7e-4f4c-9a61-5e0d3f2b7c11}");
    NDIS_STRING                        Service = RTL_CONSTANT_STRING(L"NDISMONCD");

    UNREFERENCED_PARAMETER(RegistryPath);
    NdisZeroMemory(&FChars, sizeof(FChars));
    FChars.Header.Type = NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS;
    FChars.Header.Revision = NDIS_FILTER_CHARACTERISTICS_REVISION_1;
    FChars.Header.Size = NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_1;
    FChars.MajorNdisVersion = NDIS_FILTER_MAJOR_VERSION;
    FChars.MinorNdisVersion = NDIS_FILTER_MINOR_VERSION;
    FChars.MajorDriverVersion = 1;
    FChars.FriendlyName = Friendly;
    FChars.UniqueName = Unique;
    FChars.ServiceName = Service;
    FChars.AttachHandler = MonAttach;
    FChars.DetachHandler = MonDetach;
    FChars.RestartHandler = MonRestart;
    FChars.PauseHandler = MonPause;
    FChars.SendNetBufferListsHandler = MonSendNetBufferLists;
    FChars.SendNetBufferListsCompleteHandler = MonSendNetBufferListsComplete;
    FChars.ReceiveNetBufferListsHandler = MonReceiveNetBufferLists;
    FChars.ReturnNetBufferListsHandler = MonReturnNetBufferLists;

    DriverObject->DriverUnload = MonUnload;
    DriverObject->MajorFunction[IRP_MJ_CREATE] = MonCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = MonCreateClose;
    NdisAllocateSpinLock(&MonModule.Lock);

    Status = NdisFRegisterFilterDriver(DriverObject, (NDIS_HANDLE)DriverObject, &FChars, &MonDriverHandle);
    if (Status != NDIS_STATUS_SUCCESS)
    {
        NdisFreeSpinLock(&MonModule.Lock);
        return Status;
    }
    Status = monRegisterDevice();
    if (Status != NDIS_STATUS_SUCCESS)
    {
        NdisFDeregisterFilterDriver(MonDriverHandle);
        NdisFreeSpinLock(&MonModule.Lock);
    }
    return Status;
}

static int check(int ok, const char *what)
{
    if (!ok)
        fprintf(stderr, "control_device: FAILED: %s\n", what);
    return !ok;
}

static UCHAR Frames[2][60];

int main(void)
{
    DRIVER_OBJECT  DriverObject;
    UNICODE_STRING RegistryPath = RTL_CONSTANT_STRING(L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\NDISMONCD");
    NET_BUFFER_LIST_POOL_PARAMETERS Params;
    NDIS_HANDLE    Pool;
    PMDL           Head, Tail;
    PNET_BUFFER_LIST Nbl[2];
    FILE_OBJECT    Open;
    MON_COUNTERS   Counters;
    ULONG_PTR      Information = 0;
    int            failures = 0;

    NdisZeroMemory(&DriverObject, sizeof(DriverObject));
    NdisZeroMemory(&Open, sizeof(Open));
    if (DriverEntry(&DriverObject, &RegistryPath) != STATUS_SUCCESS)
        return check(0, "DriverEntry");
    failures += check(DriverObject.DriverUnload == MonUnload, "DriverUnload set");

    NdisZeroMemory(&Params, sizeof(Params));
    Params.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    Params.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    Params.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    Params.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
    Params.fAllocateNetBuffer = TRUE;
    Params.PoolTag = MON_TAG;
    Pool = NdisAllocateNetBufferListPool(NULL, &Params);
    Head = NdisAllocateMdl(NULL, Frames[0], 14);
    Tail = NdisAllocateMdl(NULL, Frames[0] + 14, 46);
    if (Pool == NULL || Head == NULL || Tail == NULL)
        return check(0, "allocations");
    Head->Next = Tail; // one frame over two MDLs
    Nbl[0] = NdisAllocateNetBufferAndNetBufferList(Pool, 0, 0, Head, 0, 60);
    Nbl[1] = NdisAllocateNetBufferAndNetBufferList(Pool, 0, 0, NdisAllocateMdl(NULL, Frames[1], 60), 0, 42);
    if (Nbl[0] == NULL || Nbl[1] == NULL)
        return check(0, "NBL allocation");
    NET_BUFFER_LIST_NEXT_NBL(Nbl[0]) = Nbl[1];

    MonReceiveNetBufferLists(&MonModule, Nbl[0], NDIS_DEFAULT_PORT_NUMBER, 2, NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL);

    failures += check(ndisbuf_device_request(MonDeviceObject, &Open, IRP_MJ_CREATE, 0, NULL, 0, 0, NULL) ==
                      STATUS_SUCCESS, "open the control device");
    failures += check(ndisbuf_device_request(MonDeviceObject, &Open, IRP_MJ_DEVICE_CONTROL, IOCTL_MON_QUERY_COUNTERS,
                                             &Counters, 0, sizeof(Counters), &Information) == STATUS_SUCCESS,
                      "query counters");
    failures += check(Information == sizeof(Counters), "IoStatus.Information");
    failures += check(Counters.Frames == 2 && Counters.Bytes == 102 && Counters.Buffers == 3,
                      "two frames, 102 bytes, three MDLs");
    failures += check(ndisbuf_device_request(MonDeviceObject, &Open, IRP_MJ_DEVICE_CONTROL, IOCTL_MON_QUERY_COUNTERS,
                                             &Counters, 0, 4, NULL) == STATUS_BUFFER_TOO_SMALL, "short buffer");
    failures += check(ndisbuf_device_request(MonDeviceObject, &Open, IRP_MJ_DEVICE_CONTROL, 0x1234, NULL, 0, 0,
                                             NULL) == STATUS_INVALID_DEVICE_REQUEST, "unknown ioctl");
    failures += check(ndisbuf_device_request(MonDeviceObject, &Open, IRP_MJ_CLOSE, 0, NULL, 0, 0, NULL) ==
                      STATUS_SUCCESS, "close");

    NdisFreeMdl(NET_BUFFER_FIRST_MDL(NET_BUFFER_LIST_FIRST_NB(Nbl[1])));
    NdisFreeNetBufferList(Nbl[1]);
    NdisFreeNetBufferList(Nbl[0]);
    NdisFreeMdl(Tail);
    NdisFreeMdl(Head);
    NdisFreeNetBufferListPool(Pool);
    DriverObject.DriverUnload(&DriverObject);
    failures += check(ndisbuf_outstanding_total() == 0, "nothing outstanding");
    if (failures == 0)
        printf("control_device: ok\n");
    return failures != 0;
}
