/* SPDX-License-Identifier: MIT */
/*
 * The fd-port miniport driver (fdport.h): its DriverEntry, which each
 * backend calls with itself as the driver context, and the adapter's life:
 * MiniportInitializeEx opens the interface through the backend, allocates
 * the receive NBLs and starts the adapter's thread (fdport_datapath.c);
 * pause and restart hand over to that thread; halt stops it and frees
 * everything.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/eventfd.h>
#include <sys/socket.h>

#include "fdport.h"

static MINIPORT_INITIALIZE FdportInitializeEx;
static MINIPORT_HALT FdportHaltEx;
static MINIPORT_PAUSE FdportPause;
static MINIPORT_RESTART FdportRestart;
static MINIPORT_SHUTDOWN FdportShutdownEx;

/* First attributes: names the adapter context every later handler gets. */
static NDIS_STATUS FdportSetRegistrationAttributes(PFDPORT_ADAPTER Adapter)
{
    NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES Attributes;

    NdisZeroMemory(&Attributes, sizeof(Attributes));
    Attributes.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
    Attributes.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    Attributes.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    Attributes.MiniportAdapterContext = Adapter;
    Attributes.InterfaceType = NdisInterfaceInternal;
    return NdisMSetMiniportAttributes(Adapter->MiniportAdapterHandle,
                                      (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&Attributes);
}

/* A new adapter for the interface Name, Paused, nothing opened yet; NULL without memory. */
static PFDPORT_ADAPTER FdportCreateAdapter(NDIS_HANDLE MiniportAdapterHandle, const FDPORT_BACKEND *Backend,
                                           const char *Name)
{
    PFDPORT_ADAPTER Adapter = calloc(1, sizeof(*Adapter) + Backend->ContextSize);

    if (Adapter == NULL)
        return NULL;
    Adapter->MiniportAdapterHandle = MiniportAdapterHandle;
    Adapter->Backend = Backend;
    Adapter->Fd = Adapter->SendFd = Adapter->EventFd = Adapter->ControlFd = -1;
    Adapter->State = FdportPaused;
    Adapter->Mtu = FDPORT_MAX_MTU;
    memcpy(Adapter->IfName, Name, strlen(Name) + 1);
    pthread_mutex_init(&Adapter->Lock, NULL);
    return Adapter;
}

/* Frees an adapter whose thread is not running: descriptors, receive NBLs, memory. */
static VOID FdportFreeAdapter(PFDPORT_ADAPTER Adapter)
{
    if (Adapter->Fd >= 0)
        close(Adapter->Fd); /* drops the promiscuous membership; a TAP interface goes away */
    if (Adapter->SendFd >= 0)
        close(Adapter->SendFd);
    if (Adapter->EventFd >= 0)
        close(Adapter->EventFd);
    if (Adapter->ControlFd >= 0)
        close(Adapter->ControlFd);
    FdportFreeReceives(Adapter);
    pthread_mutex_destroy(&Adapter->Lock);
    free(Adapter);
}

/* Opens the adapter's descriptors and receive NBLs; reports the general attributes. */
static NDIS_STATUS FdportOpenAdapter(PFDPORT_ADAPTER Adapter)
{
    NDIS_STATUS Status;

    Adapter->EventFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (Adapter->EventFd < 0)
        return NDIS_STATUS_RESOURCES;
    Adapter->ControlFd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (Adapter->ControlFd < 0)
        return FdportOpenStatus(errno);
    Status = Adapter->Backend->Open(Adapter);
    if (Status == NDIS_STATUS_SUCCESS)
        Status = FdportAllocateReceives(Adapter);
    if (Status == NDIS_STATUS_SUCCESS)
        Status = FdportSetGeneralAttributes(Adapter);
    return Status;
}

/*
 * MiniportInitializeEx: opens the interface named by the adapter, allocates
 * the receive NBLs and starts the thread. The adapter starts Paused (NDIS
 * restarts it). On failure everything is freed and NDIS gets the status.
 */
_Use_decl_annotations_
static NDIS_STATUS FdportInitializeEx(NDIS_HANDLE NdisMiniportHandle, NDIS_HANDLE MiniportDriverContext,
                                      PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters)
{
    const char *Name = ndisbuf_miniport_adapter_name(NdisMiniportHandle);
    PFDPORT_ADAPTER Adapter;
    NDIS_STATUS Status;

    (void)MiniportInitParameters;
    if (Name == NULL || Name[0] == '\0' || strlen(Name) >= IFNAMSIZ)
        return NDIS_STATUS_ADAPTER_NOT_FOUND; /* not a Linux interface name */
    Adapter = FdportCreateAdapter(NdisMiniportHandle, MiniportDriverContext, Name);
    if (Adapter == NULL)
        return NDIS_STATUS_RESOURCES;
    Status = FdportSetRegistrationAttributes(Adapter);
    if (Status == NDIS_STATUS_SUCCESS)
        Status = FdportOpenAdapter(Adapter);
    Adapter->Lookahead = Adapter->Mtu;
    if (Status == NDIS_STATUS_SUCCESS && pthread_create(&Adapter->Thread, NULL, FdportThread, Adapter) != 0)
        Status = NDIS_STATUS_RESOURCES;
    if (Status != NDIS_STATUS_SUCCESS)
        FdportFreeAdapter(Adapter);
    return Status;
}

/* MiniportHaltEx: stops the thread and frees everything (the adapter is Paused). */
_Use_decl_annotations_
static VOID FdportHaltEx(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction)
{
    PFDPORT_ADAPTER Adapter = MiniportAdapterContext;

    (void)HaltAction;
    pthread_mutex_lock(&Adapter->Lock);
    Adapter->State = FdportHalting;
    pthread_mutex_unlock(&Adapter->Lock);
    FdportKick(Adapter);
    pthread_join(Adapter->Thread, NULL);
    FdportFreeAdapter(Adapter);
}

/*
 * MiniportPause: NDIS_STATUS_SUCCESS when nothing is in flight; otherwise
 * NDIS_STATUS_PENDING, and the thread calls NdisMPauseComplete once the
 * queued sends went out and every indicated receive NBL is back.
 */
_Use_decl_annotations_
static NDIS_STATUS FdportPause(NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_PAUSE_PARAMETERS PauseParameters)
{
    PFDPORT_ADAPTER Adapter = MiniportAdapterContext;
    NDIS_STATUS Status = NDIS_STATUS_PENDING;
    BOOLEAN Kick = FALSE;

    (void)PauseParameters;
    pthread_mutex_lock(&Adapter->Lock);
    Adapter->State = FdportPausing;
    if (FdportPauseDoneLocked(Adapter))
        Status = NDIS_STATUS_SUCCESS;
    else
        Kick = FdportNeedKickLocked(Adapter);
    pthread_mutex_unlock(&Adapter->Lock);
    if (Kick)
        FdportKick(Adapter);
    return Status;
}

/*
 * MiniportRestart: NDIS_STATUS_PENDING; the thread switches to Running and
 * calls NdisMRestartComplete between two of its rounds, so a round that
 * started paused (reading and dropping frames) never drops a frame that
 * arrives after the restart completed.
 */
_Use_decl_annotations_
static NDIS_STATUS FdportRestart(NDIS_HANDLE MiniportAdapterContext,
                                 PNDIS_MINIPORT_RESTART_PARAMETERS RestartParameters)
{
    PFDPORT_ADAPTER Adapter = MiniportAdapterContext;
    BOOLEAN Kick;

    (void)RestartParameters;
    pthread_mutex_lock(&Adapter->Lock);
    Adapter->State = FdportRestarting;
    Kick = FdportNeedKickLocked(Adapter);
    pthread_mutex_unlock(&Adapter->Lock);
    if (Kick)
        FdportKick(Adapter);
    return NDIS_STATUS_PENDING;
}

/* MiniportShutdownEx: the descriptors close with the process; nothing to quiesce. */
_Use_decl_annotations_
static VOID FdportShutdownEx(NDIS_HANDLE MiniportAdapterContext, NDIS_SHUTDOWN_ACTION ShutdownAction)
{
    (void)MiniportAdapterContext;
    (void)ShutdownAction;
}

/* Registers the engine's handlers with NDIS, the backend as the driver context. */
NDIS_STATUS FdportDriverEntry(const FDPORT_BACKEND *Backend, NDIS_HANDLE *NdisMiniportDriverHandle)
{
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS Characteristics;

    if (NdisMiniportDriverHandle == NULL)
        return NDIS_STATUS_INVALID_PARAMETER;
    NdisZeroMemory(&Characteristics, sizeof(Characteristics));
    Characteristics.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
    Characteristics.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    Characteristics.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    Characteristics.MajorNdisVersion = 6;
    Characteristics.MinorNdisVersion = 20;
    Characteristics.MajorDriverVersion = 1;
    Characteristics.MinorDriverVersion = 0;
    Characteristics.InitializeHandlerEx = FdportInitializeEx;
    Characteristics.HaltHandlerEx = FdportHaltEx;
    Characteristics.PauseHandler = FdportPause;
    Characteristics.RestartHandler = FdportRestart;
    Characteristics.OidRequestHandler = FdportOidRequest;
    Characteristics.SendNetBufferListsHandler = FdportSendNetBufferLists;
    Characteristics.ReturnNetBufferListsHandler = FdportReturnNetBufferLists;
    Characteristics.CancelSendHandler = FdportCancelSend;
    Characteristics.ShutdownHandlerEx = FdportShutdownEx;
    Characteristics.CancelOidRequestHandler = FdportCancelOidRequest;
    /* NDIS hands the context back as MiniportDriverContext; the engine never writes through it. */
    return NdisMRegisterMiniportDriver(NULL, NULL, (NDIS_HANDLE)Backend, &Characteristics, NdisMiniportDriverHandle);
}
