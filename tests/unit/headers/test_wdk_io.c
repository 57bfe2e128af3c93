/* SPDX-License-Identifier: MIT */
/*
 * The I/O-manager and driver-support pieces of <ndis.h> behave as
 * docs/wdk-compat.md says: RtlInitUnicodeString lengths, CTL_CODE, a
 * control device from NdisRegisterDeviceEx dispatching IRPs built by
 * ndisbuf_device_request (buffered ioctl, pended completion, a missing
 * routine), a WDM device from IoCreateDevice dispatching through its
 * driver's table, the cancel spin lock, the empty configuration, timer
 * objects and work items on real threads, and the clean NOT_SUPPORTED /
 * no-op paths (filter and protocol extras).
 */
#include <string.h>

#include "harness.h"

#define IOCTL_TEST_ECHO CTL_CODE(FILE_DEVICE_PHYSICAL_NETCARD, 1, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_TEST_PEND CTL_CODE(FILE_DEVICE_PHYSICAL_NETCARD, 2, METHOD_BUFFERED, FILE_ANY_ACCESS)

/* ------------------------------------------------------------ strings */

static void init_unicode_string_counts_bytes_without_and_with_nul(void **state)
{
    UNICODE_STRING s, empty;
    UNICODE_STRING same = RTL_CONSTANT_STRING(u"\\Device\\X");

    (void)state;
    RtlInitUnicodeString(&s, (PCWSTR)u"\\Device\\X");
    assert_int_equal(s.Length, 9 * sizeof(WCHAR));
    assert_int_equal(s.MaximumLength, 10 * sizeof(WCHAR));
    assert_true(RtlEqualUnicodeString(&s, &same, FALSE));
    NdisInitUnicodeString(&empty, NULL);
    assert_int_equal(empty.Length, 0);
    assert_int_equal(empty.MaximumLength, 0);
    assert_null(empty.Buffer);
}

static void ctl_code_packs_type_access_function_and_method(void **state)
{
    (void)state;
    assert_int_equal(IOCTL_TEST_ECHO, 0x00170004);
    assert_int_equal(DEVICE_TYPE_FROM_CTL_CODE(IOCTL_TEST_ECHO), FILE_DEVICE_PHYSICAL_NETCARD);
    assert_int_equal(METHOD_FROM_CTL_CODE(CTL_CODE(0x22, 3, METHOD_OUT_DIRECT, FILE_READ_ACCESS)), METHOD_OUT_DIRECT);
}

/* ------------------------------------------------------------ control device */

typedef struct _TEST_EXTENSION {
    ULONG Signature;
    ULONG Opens;
} TEST_EXTENSION;



static VOID complete_later(PVOID context, NDIS_HANDLE item)
{
    PIRP irp = context;

    NdisMSleep(2000);
    irp->IoStatus.Status = STATUS_SUCCESS;
    irp->IoStatus.Information = 7;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    NdisFreeIoWorkItem(item);
}

static NTSTATUS test_create_close(PDEVICE_OBJECT device, PIRP irp)
{
    TEST_EXTENSION *ext = NdisGetDeviceReservedExtension(device);
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);

    if (sp->MajorFunction == IRP_MJ_CREATE) {
        ext->Opens++;
        sp->FileObject->FsContext = ext;
    }
    irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static NTSTATUS test_ioctl(PDEVICE_OBJECT device, PIRP irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    PUCHAR buffer = irp->AssociatedIrp.SystemBuffer;
    ULONG i, in = sp->Parameters.DeviceIoControl.InputBufferLength;

    assert_ptr_equal(sp->FileObject->FsContext, NdisGetDeviceReservedExtension(device));
    if (sp->Parameters.DeviceIoControl.IoControlCode == IOCTL_TEST_PEND) {
        NDIS_HANDLE item = NdisAllocateIoWorkItem(NULL);

        assert_non_null(item);
        IoMarkIrpPending(irp);
        NdisQueueIoWorkItem(item, complete_later, irp);
        return STATUS_PENDING;
    }
    for (i = 0; i < in; i++)
        buffer[i] = (UCHAR)(buffer[i] + 1);
    irp->IoStatus.Status = in <= sp->Parameters.DeviceIoControl.OutputBufferLength ? STATUS_SUCCESS
                                                                                  : STATUS_BUFFER_TOO_SMALL;
    irp->IoStatus.Information = in;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return irp->IoStatus.Status;
}

static NDIS_STATUS register_test_device(PDEVICE_OBJECT *device, NDIS_HANDLE *handle)
{
    static PDRIVER_DISPATCH table[IRP_MJ_MAXIMUM_FUNCTION + 1];
    NDIS_STRING name = RTL_CONSTANT_STRING(u"\\Device\\WdkIoTest");
    NDIS_DEVICE_OBJECT_ATTRIBUTES attributes = {
        .Header = { NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES, NDIS_DEVICE_OBJECT_ATTRIBUTES_REVISION_1,
                    NDIS_SIZEOF_DEVICE_OBJECT_ATTRIBUTES_REVISION_1 },
        .DeviceName = &name,
        .MajorFunctions = table,
        .ExtensionSize = sizeof(TEST_EXTENSION),
    };

    table[IRP_MJ_CREATE] = test_create_close;
    table[IRP_MJ_CLOSE] = test_create_close;
    table[IRP_MJ_DEVICE_CONTROL] = test_ioctl;
    return NdisRegisterDeviceEx(NULL, &attributes, device, handle);
}

static void device_dispatches_buffered_ioctl_with_zeroed_extension(void **state)
{
    PDEVICE_OBJECT device = NULL;
    NDIS_HANDLE handle = NULL;
    FILE_OBJECT open = { 0 };
    UCHAR data[4] = { 1, 2, 3, 4 };
    TEST_EXTENSION *ext;
    ULONG_PTR info = 0;

    (void)state;
    assert_int_equal(register_test_device(&device, &handle), NDIS_STATUS_SUCCESS);
    ext = NdisGetDeviceReservedExtension(device);
    assert_non_null(ext);
    assert_int_equal(ext->Signature, 0);
    assert_int_equal(ndisbuf_device_request(device, &open, IRP_MJ_CREATE, 0, NULL, 0, 0, NULL), STATUS_SUCCESS);
    assert_int_equal(ext->Opens, 1);
    assert_int_equal(ndisbuf_device_request(device, &open, IRP_MJ_DEVICE_CONTROL, IOCTL_TEST_ECHO, data,
                                            sizeof(data), sizeof(data), &info), STATUS_SUCCESS);
    assert_int_equal(info, 4);
    assert_int_equal(data[0], 2);
    assert_int_equal(data[3], 5);
    assert_int_equal(ndisbuf_device_request(device, &open, IRP_MJ_DEVICE_CONTROL, IOCTL_TEST_ECHO, data,
                                            sizeof(data), 2, NULL), STATUS_BUFFER_TOO_SMALL);
    assert_int_equal(ndisbuf_device_request(device, &open, IRP_MJ_CLOSE, 0, NULL, 0, 0, NULL), STATUS_SUCCESS);
    NdisDeregisterDeviceEx(handle);
}

static void pended_ioctl_waits_for_io_complete_request(void **state)
{
    PDEVICE_OBJECT device = NULL;
    NDIS_HANDLE handle = NULL;
    FILE_OBJECT open = { 0 };
    ULONG_PTR info = 0;

    (void)state;
    assert_int_equal(register_test_device(&device, &handle), NDIS_STATUS_SUCCESS);
    ndisbuf_device_request(device, &open, IRP_MJ_CREATE, 0, NULL, 0, 0, NULL);
    assert_int_equal(ndisbuf_device_request(device, &open, IRP_MJ_DEVICE_CONTROL, IOCTL_TEST_PEND, NULL, 0, 0,
                                            &info), STATUS_SUCCESS);
    assert_int_equal(info, 7);
    NdisDeregisterDeviceEx(handle);
}

static void missing_dispatch_routine_and_bad_attributes_fail_cleanly(void **state)
{
    PDEVICE_OBJECT device = NULL, untouched = (PDEVICE_OBJECT)0x1;
    NDIS_HANDLE handle = NULL, untouched_handle = (NDIS_HANDLE)0x2;
    NDIS_DEVICE_OBJECT_ATTRIBUTES bad = { .Header = { NDIS_OBJECT_TYPE_DEFAULT, 1, 8 } };

    (void)state;
    assert_int_equal(register_test_device(&device, &handle), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_device_request(device, NULL, IRP_MJ_READ, 0, NULL, 0, 0, NULL),
                     STATUS_INVALID_DEVICE_REQUEST);
    NdisDeregisterDeviceEx(handle);
    ndisbuf_clear_diagnostic();
    assert_int_equal(NdisRegisterDeviceEx(NULL, &bad, &untouched, &untouched_handle),
                     NDIS_STATUS_INVALID_PARAMETER);
    assert_ptr_equal(untouched, (PDEVICE_OBJECT)0x1);
    assert_ptr_equal(untouched_handle, (NDIS_HANDLE)0x2);
    assert_non_null(strstr(ndisbuf_last_diagnostic(), "NDIS_DEVICE_OBJECT_ATTRIBUTES"));
    assert_null(NdisGetDeviceReservedExtension(NULL));
}

/* ------------------------------------------------------------ WDM device (IoCreateDevice) */

/* A write routine as ndisprot's: direct I/O, the data read through NdisQueryMdl into a PUCHAR. */
static NTSTATUS test_direct_write(PDEVICE_OBJECT device, PIRP irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    PUCHAR data = NULL;
    UINT length = 0;

    assert_true(device->Flags & DO_DIRECT_IO);
    NdisQueryMdl(irp->MdlAddress, &data, &length, NormalPagePriority | MdlMappingNoExecute);
    assert_int_equal(length, sp->Parameters.Write.Length);
    irp->IoStatus.Status = data && data[0] == 0xAB ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
    irp->IoStatus.Information = length;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return irp->IoStatus.Status;
}

static void wdm_device_dispatches_through_driver_table_filled_after_creation(void **state)
{
    DRIVER_OBJECT driver = { 0 };
    UNICODE_STRING name = RTL_CONSTANT_STRING(u"\\Device\\WdmTest");
    UNICODE_STRING link = RTL_CONSTANT_STRING(u"\\Global??\\WdmTest");
    PDEVICE_OBJECT device = NULL;
    UCHAR frame[6] = { 0xAB, 1, 2, 3, 4, 5 };
    TEST_EXTENSION *ext;
    ULONG_PTR info = 0;

    (void)state;
    assert_int_equal(IoCreateDevice(&driver, sizeof(TEST_EXTENSION), &name, FILE_DEVICE_NETWORK,
                                    FILE_DEVICE_SECURE_OPEN, FALSE, &device), STATUS_SUCCESS);
    assert_ptr_equal(driver.DeviceObject, device);
    assert_ptr_equal(device->DriverObject, &driver);
    ext = device->DeviceExtension;
    assert_non_null(ext);
    assert_int_equal(ext->Signature, 0);
    assert_null(NdisGetDeviceReservedExtension(device)); /* not an NDIS device */
    assert_int_equal(IoCreateSymbolicLink(&link, &name), STATUS_SUCCESS);
    /* No routine yet: the request fails cleanly. */
    assert_int_equal(ndisbuf_device_request(device, NULL, IRP_MJ_WRITE, 0, frame, sizeof(frame), 0, NULL),
                     STATUS_INVALID_DEVICE_REQUEST);
    device->Flags |= DO_DIRECT_IO;
    driver.MajorFunction[IRP_MJ_WRITE] = test_direct_write;
    assert_int_equal(ndisbuf_device_request(device, NULL, IRP_MJ_WRITE, 0, frame, sizeof(frame), 0, &info),
                     STATUS_SUCCESS);
    assert_int_equal(info, sizeof(frame));
    assert_int_equal(IoDeleteSymbolicLink(&link), STATUS_SUCCESS);
    IoDeleteDevice(device);
    assert_null(driver.DeviceObject);
}

static void wdm_device_calls_fail_cleanly_on_bad_arguments(void **state)
{
    PDEVICE_OBJECT untouched = (PDEVICE_OBJECT)0x1, ndis_device = NULL;
    NDIS_HANDLE handle = NULL;

    (void)state;
    assert_int_equal(IoCreateDevice(NULL, 0, NULL, FILE_DEVICE_NETWORK, 0, FALSE, &untouched),
                     STATUS_INVALID_PARAMETER);
    assert_ptr_equal(untouched, (PDEVICE_OBJECT)0x1);
    assert_int_equal(IoCreateSymbolicLink(NULL, NULL), STATUS_INVALID_PARAMETER);
    /* An NDIS control device is not IoDeleteDevice's, nor is an IoCreateDevice device NdisDeregisterDeviceEx's. */
    assert_int_equal(register_test_device(&ndis_device, &handle), NDIS_STATUS_SUCCESS);
    ndisbuf_clear_diagnostic();
    IoDeleteDevice(ndis_device);
    assert_non_null(strstr(ndisbuf_last_diagnostic(), "not a device from IoCreateDevice"));
    NdisDeregisterDeviceEx(handle);
}

static void cancel_spin_lock_is_taken_and_released(void **state)
{
    KIRQL irql = HIGH_LEVEL;

    (void)state;
    IoAcquireCancelSpinLock(&irql);
    assert_int_equal(irql, PASSIVE_LEVEL);
    IoReleaseCancelSpinLock(irql);
    IoAcquireCancelSpinLock(&irql); /* free again after the release */
    IoReleaseCancelSpinLock(irql);
}

/* ------------------------------------------------------------ configuration */

static void configuration_opens_empty_and_reads_miss(void **state)
{
    NDIS_CONFIGURATION_OBJECT object = {
        .Header = { NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT, NDIS_CONFIGURATION_OBJECT_REVISION_1,
                    NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1 },
    };
    NDIS_HANDLE config = NULL;
    NDIS_STRING keyword = RTL_CONSTANT_STRING(u"MaxSends");
    NDIS_CONFIGURATION_PARAMETER value, *out = &value;
    NDIS_STATUS status = NDIS_STATUS_SUCCESS;

    (void)state;
    assert_int_equal(NdisOpenConfigurationEx(&object, &config), NDIS_STATUS_SUCCESS);
    assert_non_null(config);
    NdisReadConfiguration(&status, &out, config, &keyword, NdisParameterInteger);
    assert_int_equal(status, NDIS_STATUS_FAILURE);
    assert_ptr_equal(out, &value);
    assert_non_null(strstr(ndisbuf_last_diagnostic(), "MaxSends"));
    NdisWriteConfiguration(&status, config, &keyword, &value);
    assert_int_equal(status, NDIS_STATUS_NOT_SUPPORTED);
    NdisCloseConfiguration(config);
    NdisOpenProtocolConfiguration(&status, &config, &keyword);
    assert_int_equal(status, NDIS_STATUS_SUCCESS);
    NdisCloseConfiguration(config);
    object.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    assert_int_equal(NdisOpenConfigurationEx(&object, &config), NDIS_STATUS_INVALID_PARAMETER);
}

/* ------------------------------------------------------------ timers and work items */

typedef struct _TICKS {
    LONG Count;
    NDIS_EVENT Done;
    LONG StopAt;
} TICKS;

static VOID count_tick(PVOID s1, PVOID context, PVOID s2, PVOID s3)
{
    TICKS *ticks = context;

    (void)s1, (void)s2, (void)s3;
    if (InterlockedIncrement(&ticks->Count) == ticks->StopAt)
        NdisSetEvent(&ticks->Done);
}

static NDIS_HANDLE new_timer(TICKS *ticks)
{
    NDIS_TIMER_CHARACTERISTICS chars = {
        .Header = { NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS, NDIS_TIMER_CHARACTERISTICS_REVISION_1,
                    NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1 },
        .AllocationTag = 0x54696d54, /* 'TmiT' */
        .TimerFunction = count_tick,
        .FunctionContext = ticks,
    };
    NDIS_HANDLE timer = NULL;

    assert_int_equal(NdisAllocateTimerObject(NULL, &chars, &timer), NDIS_STATUS_SUCCESS);
    return timer;
}

static void one_shot_timer_fires_once_and_periodic_repeats(void **state)
{
    TICKS once = { .StopAt = 1 }, periodic = { .StopAt = 3 };
    NDIS_HANDLE t1 = new_timer(&once), t2 = new_timer(&periodic);
    LARGE_INTEGER due = { .QuadPart = -10000 }; /* 1 ms */

    (void)state;
    NdisInitializeEvent(&once.Done);
    NdisInitializeEvent(&periodic.Done);
    assert_false(NdisSetTimerObject(t1, due, 0, NULL));
    assert_false(NdisSetTimerObject(t2, due, 1, NULL));
    assert_true(NdisWaitEvent(&once.Done, 5000));
    assert_true(NdisWaitEvent(&periodic.Done, 5000));
    assert_true(NdisCancelTimerObject(t2));
    assert_false(NdisCancelTimerObject(t1));
    NdisMSleep(5000);
    assert_int_equal(once.Count, 1);
    NdisFreeTimerObject(t1);
    NdisFreeTimerObject(t2);
}

static void cancelled_timer_never_fires(void **state)
{
    TICKS ticks = { .StopAt = 1 };
    NDIS_HANDLE timer = new_timer(&ticks);
    LARGE_INTEGER due = { .QuadPart = -200000 }; /* 20 ms */

    (void)state;
    NdisInitializeEvent(&ticks.Done);
    NdisSetTimerObject(timer, due, 0, NULL);
    assert_true(NdisSetTimerObject(timer, due, 0, NULL));
    assert_true(NdisCancelTimerObject(timer));
    assert_false(NdisWaitEvent(&ticks.Done, 60));
    assert_int_equal(ticks.Count, 0);
    NdisFreeTimerObject(timer);
}

static VOID free_own_timer(PVOID s1, PVOID context, PVOID s2, PVOID s3)
{
    NDIS_HANDLE *timer = context;

    (void)s1, (void)s2, (void)s3;
    NdisFreeTimerObject(*timer);
    __atomic_store_n(timer, NULL, __ATOMIC_RELEASE); /* the test thread polls it */
}

static void timer_may_free_itself_from_its_callback(void **state)
{
    static NDIS_HANDLE timer;
    NDIS_TIMER_CHARACTERISTICS chars = {
        .Header = { NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS, 1, NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1 },
        .TimerFunction = free_own_timer,
        .FunctionContext = &timer,
    };
    LARGE_INTEGER now = { .QuadPart = 0 };
    int i;

    (void)state;
    assert_int_equal(NdisAllocateTimerObject(NULL, &chars, &timer), NDIS_STATUS_SUCCESS);
    NdisSetTimerObject(timer, now, 0, NULL);
    for (i = 0; i < 1000 && __atomic_load_n(&timer, __ATOMIC_ACQUIRE); i++)
        NdisMSleep(1000);
    assert_null(timer);
    chars.TimerFunction = NULL;
    assert_int_equal(NdisAllocateTimerObject(NULL, &chars, &timer), NDIS_STATUS_INVALID_PARAMETER);
}

static VOID signal_work(PVOID context, NDIS_HANDLE item)
{
    assert_non_null(item);
    NdisSetEvent(context);
}

static void work_item_runs_its_routine_on_another_thread(void **state)
{
    NDIS_EVENT done;
    NDIS_HANDLE item = NdisAllocateIoWorkItem(NULL);

    (void)state;
    NdisInitializeEvent(&done);
    NdisQueueIoWorkItem(item, signal_work, &done);
    assert_true(NdisWaitEvent(&done, 5000));
    NdisFreeIoWorkItem(item);
}

/* ------------------------------------------------------------------- DPCs */

struct dpc_probe {
    NDIS_EVENT release; /* the routine waits on it, so the DPC stays busy */
    LONG calls;
    PVOID arg1;
};

static VOID count_dpc(struct _KDPC *Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    struct dpc_probe *probe = DeferredContext;

    (void)Dpc;
    (void)SystemArgument2;
    NdisWaitEvent(&probe->release, 5000);
    probe->arg1 = SystemArgument1;
    InterlockedIncrement(&probe->calls);
}

static void dpc_runs_once_per_insertion_and_flush_waits_for_it(void **state)
{
    struct dpc_probe probe = { .calls = 0 };
    KDPC dpc;

    (void)state;
    NdisInitializeEvent(&probe.release);
    KeInitializeDpc(&dpc, count_dpc, &probe);
    NdisSetEvent(&probe.release);
    assert_true(KeInsertQueueDpc(&dpc, (PVOID)7, NULL));
    KeFlushQueuedDpcs();
    assert_int_equal(probe.calls, 1);
    assert_ptr_equal(probe.arg1, (PVOID)7);
    assert_true(KeInsertQueueDpc(&dpc, (PVOID)8, NULL));
    KeFlushQueuedDpcs();
    assert_int_equal(probe.calls, 2);
    assert_ptr_equal(probe.arg1, (PVOID)8);
}

static VOID never_dpc(struct _KDPC *Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    (void)Dpc;
    (void)SystemArgument1;
    (void)SystemArgument2;
    InterlockedIncrement((LONG *)DeferredContext);
}

static void queued_dpc_is_not_queued_twice_and_removed_dpc_never_runs(void **state)
{
    LONG calls = 0;
    KDPC dpc;
    KSPIN_LOCK lock;
    KDPC_WATCHDOG_INFORMATION watchdog;
    BOOLEAN second, removed;

    (void)state;
    KeInitializeDpc(&dpc, never_dpc, &calls);
    /* The threads' timing is not ours, so the check holds in every order:
     * each accepted insertion runs once unless it was removed first. */
    assert_true(KeInsertQueueDpc(&dpc, NULL, NULL));
    second = KeInsertQueueDpc(&dpc, NULL, NULL);
    removed = KeRemoveQueueDpc(&dpc);
    KeFlushQueuedDpcs();
    assert_int_equal(calls + (removed ? 1 : 0), second ? 2 : 1);
    assert_false(KeRemoveQueueDpc(&dpc));
    KeInitializeSpinLock(&lock);
    assert_true(KeTryToAcquireSpinLockAtDpcLevel(&lock));
    assert_false(KeTryToAcquireSpinLockAtDpcLevel(&lock));
    KeReleaseSpinLockFromDpcLevel(&lock);
    memset(&watchdog, 0xff, sizeof(watchdog));
    assert_int_equal(KeQueryDpcWatchdogInformation(&watchdog), STATUS_SUCCESS);
    assert_int_equal(watchdog.DpcWatchdogLimit, 0);
}

static void receive_queue_id_reads_and_sets_the_filtering_slot(void **state)
{
    NET_BUFFER_LIST nbl;

    (void)state;
    memset(&nbl, 0, sizeof(nbl));
    assert_int_equal(NET_BUFFER_LIST_RECEIVE_QUEUE_ID(&nbl), 0);
    NET_BUFFER_LIST_RECEIVE_QUEUE_ID(&nbl) = 3;
    NET_BUFFER_LIST_RECEIVE_FILTER_ID(&nbl) = 9;
    assert_int_equal(NET_BUFFER_LIST_RECEIVE_QUEUE_ID(&nbl), 3);
    assert_int_equal(NET_BUFFER_LIST_RECEIVE_FILTER_ID(&nbl), 9);
    assert_non_null(NET_BUFFER_LIST_INFO(&nbl, NetBufferListFilteringInfo));
}

/* ------------------------------------------------------------ clean no-ops */

static void optional_handlers_and_forwarded_cancels_fail_cleanly(void **state)
{
    NDIS_FILTER_PARTIAL_CHARACTERISTICS partial = {
        .Header = { NDIS_OBJECT_TYPE_FILTER_PARTIAL_CHARACTERISTICS, NDIS_FILTER_PARTIAL_CHARACTERISTICS_REVISION_1,
                    NDIS_SIZEOF_FILTER_PARTIAL_CHARACTERISTICS_REVISION_1 },
    };
    NET_DEVICE_PNP_EVENT event = { .DevicePnPEvent = NdisDevicePnPEventSurpriseRemoved };

    (void)state;
    assert_int_equal(NdisSetOptionalHandlers(NULL, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&partial),
                     NDIS_STATUS_NOT_SUPPORTED);
    NdisFCancelOidRequest(NULL, (PVOID)1);
    assert_non_null(strstr(ndisbuf_last_diagnostic(), "NdisFCancelOidRequest"));
    NdisFCancelSendNetBufferLists(NULL, (PVOID)1);
    NdisFDevicePnPEventNotify(NULL, &event);
    assert_non_null(strstr(ndisbuf_last_diagnostic(), "dropped"));
    assert_int_equal(NDIS_FILTER_MAJOR_VERSION, 6);
}

static void protocol_extras_work_or_fail_cleanly(void **state)
{
    NDIS_STRING name = { 0, 0, NULL };
    NET_BUFFER_LIST nbl = { 0 };
    UCHAR first, second;

    (void)state;
    first = NdisGeneratePartialCancelId();
    second = NdisGeneratePartialCancelId();
    assert_int_not_equal(first, second);
    assert_int_equal(NdisQueryAdapterInstanceName(&name, NULL), NDIS_STATUS_NOT_SUPPORTED);
    assert_null(name.Buffer);
    assert_int_equal(name.Length, 0);
    NdisCancelSendNetBufferLists(NULL, (PVOID)1);
    assert_non_null(strstr(ndisbuf_last_diagnostic(), "NdisCancelSendNetBufferLists"));
    NBL_SET_PROT_RSVD_FLAG(&nbl, 0x10000000);
    assert_true(NBL_TEST_PROT_RSVD_FLAG(&nbl, 0x10000000));
    assert_false(NBL_TEST_PROT_RSVD_FLAG(&nbl, 0x20000000));
    NBL_CLEAR_PROT_RSVD_FLAG(&nbl, NBL_PROT_RSVD_FLAGS);
    assert_int_equal(nbl.Flags, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(init_unicode_string_counts_bytes_without_and_with_nul),
        HARNESS_TEST(ctl_code_packs_type_access_function_and_method),
        HARNESS_TEST(device_dispatches_buffered_ioctl_with_zeroed_extension),
        HARNESS_TEST(pended_ioctl_waits_for_io_complete_request),
        HARNESS_TEST(missing_dispatch_routine_and_bad_attributes_fail_cleanly),
        HARNESS_TEST(configuration_opens_empty_and_reads_miss),
        HARNESS_TEST(one_shot_timer_fires_once_and_periodic_repeats),
        HARNESS_TEST(cancelled_timer_never_fires),
        HARNESS_TEST(timer_may_free_itself_from_its_callback),
        HARNESS_TEST(work_item_runs_its_routine_on_another_thread),
        HARNESS_TEST(dpc_runs_once_per_insertion_and_flush_waits_for_it),
        HARNESS_TEST(queued_dpc_is_not_queued_twice_and_removed_dpc_never_runs),
        HARNESS_TEST(receive_queue_id_reads_and_sets_the_filtering_slot),
        HARNESS_TEST(optional_handlers_and_forwarded_cancels_fail_cleanly),
        HARNESS_TEST(wdm_device_dispatches_through_driver_table_filled_after_creation),
        HARNESS_TEST(wdm_device_calls_fail_cleanly_on_bad_arguments),
        HARNESS_TEST(cancel_spin_lock_is_taken_and_released),
        HARNESS_TEST(protocol_extras_work_or_fail_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
