/* SPDX-License-Identifier: MIT */
/*
 * The handler role types driver.h does not carry: the WDM entry points
 * every NDIS driver has (DRIVER_INITIALIZE for DriverEntry, DRIVER_UNLOAD,
 * DRIVER_DISPATCH), the miniport's PnP, interrupt, DMA and idle handlers,
 * the NDIS timer and work-item callbacks, and the NDIS_DECLARE_*_CONTEXT
 * markers. They let a driver declare such a function the way Microsoft's
 * samples do (`MINIPORT_ISR MyIsr;`) and compile. ndisbuf calls the timer
 * and work-item callbacks (work.h) and dispatch routines (io.h), never the
 * interrupt, DMA or PnP ones.
 *
 * Prototypes are those of the reference pages ("prototype not re-read from
 * its page" marks the few taken from the page of a related call).
 */
#ifndef NDISBUF_NDIS_ROLES_H
#define NDISBUF_NDIS_ROLES_H

#include "base.h"
#include "types.h"
#include "mdl.h"
#include "nbl.h"
#include "ntstatus.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- WDM entry points ---- */

typedef NTSTATUS (DRIVER_INITIALIZE)(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);
typedef DRIVER_INITIALIZE *PDRIVER_INITIALIZE;

typedef VOID (DRIVER_UNLOAD)(PDRIVER_OBJECT DriverObject);
typedef DRIVER_UNLOAD *PDRIVER_UNLOAD;

typedef NTSTATUS (DRIVER_DISPATCH)(PDEVICE_OBJECT DeviceObject, PIRP Irp);
typedef DRIVER_DISPATCH *PDRIVER_DISPATCH;

/* ---- miniport PnP (NDIS_MINIPORT_PNP_CHARACTERISTICS) ---- */

typedef NDIS_STATUS (MINIPORT_ADD_DEVICE)(NDIS_HANDLE NdisMiniportHandle, NDIS_HANDLE MiniportDriverContext);
typedef MINIPORT_ADD_DEVICE(*MINIPORT_ADD_DEVICE_HANDLER);

/* prototype not re-read from its page */
typedef VOID (MINIPORT_REMOVE_DEVICE)(NDIS_HANDLE MiniportAddDeviceContext);
typedef MINIPORT_REMOVE_DEVICE(*MINIPORT_REMOVE_DEVICE_HANDLER);

/* prototype not re-read from its page */
typedef NDIS_STATUS (MINIPORT_FILTER_RESOURCE_REQUIREMENTS)(NDIS_HANDLE MiniportAddDeviceContext, PIRP Irp);
typedef MINIPORT_FILTER_RESOURCE_REQUIREMENTS(*MINIPORT_FILTER_RESOURCE_REQUIREMENTS_HANDLER);

/* prototype not re-read from its page */
typedef NDIS_STATUS (MINIPORT_START_DEVICE)(NDIS_HANDLE MiniportAddDeviceContext, PIRP Irp);
typedef MINIPORT_START_DEVICE(*MINIPORT_START_DEVICE_HANDLER);

/* ---- miniport interrupts (NdisMRegisterInterruptEx) ---- */

typedef BOOLEAN (MINIPORT_ISR)(NDIS_HANDLE MiniportInterruptContext, PBOOLEAN QueueDefaultInterruptDpc,
                               PULONG TargetProcessors);
typedef MINIPORT_ISR(*MINIPORT_ISR_HANDLER);

typedef VOID (MINIPORT_INTERRUPT_DPC)(NDIS_HANDLE MiniportInterruptContext, PVOID MiniportDpcContext,
                                      PVOID ReceiveThrottleParameters, PVOID NdisReserved2);
typedef MINIPORT_INTERRUPT_DPC(*MINIPORT_INTERRUPT_DPC_HANDLER);

/* prototype not re-read from its page */
typedef VOID (MINIPORT_ENABLE_INTERRUPT)(NDIS_HANDLE MiniportInterruptContext);
typedef MINIPORT_ENABLE_INTERRUPT(*MINIPORT_ENABLE_INTERRUPT_HANDLER);

/* prototype not re-read from its page */
typedef VOID (MINIPORT_DISABLE_INTERRUPT)(NDIS_HANDLE MiniportInterruptContext);
typedef MINIPORT_DISABLE_INTERRUPT(*MINIPORT_DISABLE_INTERRUPT_HANDLER);

typedef BOOLEAN (MINIPORT_MESSAGE_INTERRUPT)(NDIS_HANDLE MiniportInterruptContext, ULONG MessageId,
                                             PBOOLEAN QueueDefaultInterruptDpc, PULONG TargetProcessors);
typedef MINIPORT_MESSAGE_INTERRUPT(*MINIPORT_MSI_ISR_HANDLER);

/* prototype not re-read from its page */
typedef VOID (MINIPORT_MESSAGE_INTERRUPT_DPC)(NDIS_HANDLE MiniportInterruptContext, ULONG MessageId,
                                              PVOID MiniportDpcContext, PVOID ReceiveThrottleParameters,
                                              PVOID NdisReserved2);
typedef MINIPORT_MESSAGE_INTERRUPT_DPC(*MINIPORT_MSI_INTERRUPT_DPC_HANDLER);

/* prototype not re-read from its page */
typedef VOID (MINIPORT_ENABLE_MESSAGE_INTERRUPT)(NDIS_HANDLE MiniportInterruptContext, ULONG MessageId);
typedef MINIPORT_ENABLE_MESSAGE_INTERRUPT(*MINIPORT_ENABLE_MSI_INTERRUPT_HANDLER);

/* prototype not re-read from its page */
typedef VOID (MINIPORT_DISABLE_MESSAGE_INTERRUPT)(NDIS_HANDLE MiniportInterruptContext, ULONG MessageId);
typedef MINIPORT_DISABLE_MESSAGE_INTERRUPT(*MINIPORT_DISABLE_MSI_INTERRUPT_HANDLER);

/* prototype not re-read from its page */
typedef BOOLEAN (MINIPORT_SYNCHRONIZE_INTERRUPT)(NDIS_HANDLE SynchronizeContext);
typedef MINIPORT_SYNCHRONIZE_INTERRUPT(*MINIPORT_SYNCHRONIZE_INTERRUPT_HANDLER);

/* ---- miniport DMA, shared memory and idle ---- */

typedef VOID (MINIPORT_PROCESS_SG_LIST)(PDEVICE_OBJECT pDO, PVOID Reserved, PSCATTER_GATHER_LIST pSGL,
                                        PVOID Context);
typedef MINIPORT_PROCESS_SG_LIST(*MINIPORT_PROCESS_SG_LIST_HANDLER);

/* prototype not re-read from its page */
typedef VOID (MINIPORT_ALLOCATE_SHARED_MEM_COMPLETE)(NDIS_HANDLE MiniportAdapterContext, PVOID VirtualAddress,
                                                     PNDIS_PHYSICAL_ADDRESS PhysicalAddress, ULONG Length,
                                                     PVOID Context);
typedef MINIPORT_ALLOCATE_SHARED_MEM_COMPLETE(*MINIPORT_ALLOCATE_SHARED_MEM_COMPLETE_HANDLER);

/* prototype not re-read from its page */
typedef NDIS_STATUS (MINIPORT_IDLE_NOTIFICATION)(NDIS_HANDLE MiniportAdapterContext, BOOLEAN ForceIdle);
typedef MINIPORT_IDLE_NOTIFICATION(*MINIPORT_IDLE_NOTIFICATION_HANDLER);

/* prototype not re-read from its page */
typedef VOID (MINIPORT_CANCEL_IDLE_NOTIFICATION)(NDIS_HANDLE MiniportAdapterContext);
typedef MINIPORT_CANCEL_IDLE_NOTIFICATION(*MINIPORT_CANCEL_IDLE_NOTIFICATION_HANDLER);

/* ---- callbacks any NDIS driver registers ---- */

typedef VOID (NDIS_TIMER_FUNCTION)(PVOID SystemSpecific1, PVOID FunctionContext, PVOID SystemSpecific2,
                                   PVOID SystemSpecific3);
typedef NDIS_TIMER_FUNCTION(*PNDIS_TIMER_FUNCTION);

typedef VOID (NDIS_IO_WORKITEM_FUNCTION)(PVOID WorkItemContext, NDIS_HANDLE NdisIoWorkItemHandle);
typedef NDIS_IO_WORKITEM_FUNCTION(*NDIS_IO_WORKITEM_ROUTINE);

/*
 * The context-type markers (NDIS_DECLARE_MINIPORT_ADAPTER_CONTEXT(MyAdapter)
 * and friends) tell the WDK's analysers which type a context handle has.
 * Here each is a compile-time check that the type is complete, valid at
 * file and block scope alike, that generates no code and no warning.
 */
#define NDIS_DECLARE_MINIPORT_ADAPTER_CONTEXT(type) \
    _Static_assert(sizeof(type) > 0, "NDIS_DECLARE_MINIPORT_ADAPTER_CONTEXT")
#define NDIS_DECLARE_MINIPORT_INTERRUPT_CONTEXT(type) \
    _Static_assert(sizeof(type) > 0, "NDIS_DECLARE_MINIPORT_INTERRUPT_CONTEXT")
#define NDIS_DECLARE_MINIPORT_ADD_DEVICE_CONTEXT(type) \
    _Static_assert(sizeof(type) > 0, "NDIS_DECLARE_MINIPORT_ADD_DEVICE_CONTEXT")
#define NDIS_DECLARE_PROTOCOL_OPEN_CONTEXT(type) \
    _Static_assert(sizeof(type) > 0, "NDIS_DECLARE_PROTOCOL_OPEN_CONTEXT")
#define NDIS_DECLARE_PROTOCOL_BIND_CONTEXT(type) \
    _Static_assert(sizeof(type) > 0, "NDIS_DECLARE_PROTOCOL_BIND_CONTEXT")
#define NDIS_DECLARE_FILTER_MODULE_CONTEXT(type) \
    _Static_assert(sizeof(type) > 0, "NDIS_DECLARE_FILTER_MODULE_CONTEXT")
#define NDIS_DECLARE_FILTER_DRIVER_CONTEXT(type) \
    _Static_assert(sizeof(type) > 0, "NDIS_DECLARE_FILTER_DRIVER_CONTEXT")

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_NDIS_ROLES_H */
