/* SPDX-License-Identifier: MIT */
/*
 * rawprot.c: a raw-Ethernet NDIS 6.20 protocol driver (rawprot.h), laid out
 * the way Microsoft's ndisprot sample is: registration, the binding's life
 * (bind, open, pause, restart, unbind), the send path, the receive path,
 * and the client calls that stand in for ndisprot's device object.
 *
 * Buffers. Each binding owns one NET_BUFFER_LIST pool created with
 * fAllocateNetBuffer and a DataSize, so every NBL comes with its NET_BUFFER,
 * its MDL and one buffer of DataBackFillSize + MtuSize + 14 bytes. A write
 * copies the frame DataBackFillSize bytes into that buffer and advances the
 * data start over the gap: the layers below find their header room already
 * there and retreat into it without allocating. The pool's ContextSize is
 * ContextBackFillSize rounded up to a multiple of sizeof(PVOID), and every
 * NBL is allocated with that much context back-fill, so filters push their
 * context without allocating either. The sizes come from
 * NDIS_BIND_PARAMETERS at bind and from NDIS_RESTART_GENERAL_ATTRIBUTES at
 * every restart; when they change, the pool is freed and allocated again
 * (the binding is paused, so every NBL is back in it).
 *
 * Threads. Sends come from client threads, completions and receives from
 * the miniport's thread, control from the thread driving the stack. One
 * mutex per binding guards its state, counters, queue and pool handle; the
 * critical sections only move counters and pointers. Sends in flight are
 * counted from the moment a write is accepted, so a pause that finds any
 * waits (NDIS_STATUS_PENDING) and the last completion finishes it with
 * NdisCompleteNetPnPEvent.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include <ndis.h>

#include "rawprot.h"

#define RAWPROT_NDIS_MAJOR_VERSION 6
#define RAWPROT_NDIS_MINOR_VERSION 20
#define RAWPROT_POOL_TAG ((ULONG)'R' | ((ULONG)'a' << 8) | ((ULONG)'w' << 16) | ((ULONG)'P' << 24))
#define RAWPROT_SEND_SIGNATURE 0x52415753U /* "RAWS": an NBL this driver sent */
#define RAWPROT_MAX_CONTEXT_BACKFILL 0xFFF8U /* largest USHORT multiple of sizeof(PVOID) */

/* ContextSize and ContextBackFill must be multiples of sizeof(PVOID) (docs/pools.md). */
#define RAWPROT_ROUND_CONTEXT(_Size) \
    (((_Size) + (ULONG)sizeof(PVOID) - 1) & ~((ULONG)sizeof(PVOID) - 1))

typedef enum _RAWPROT_BINDING_STATE {
    RawProtOpening,
    RawProtPaused,
    RawProtRunning,
    RawProtPausing,
    RawProtClosing,
    RawProtClosed
} RAWPROT_BINDING_STATE;

/* A received frame waiting in the read queue. */
typedef struct _RAWPROT_FRAME {
    ULONG Length;
    UCHAR Data[];
} RAWPROT_FRAME, *PRAWPROT_FRAME;

/* What the current pool was built for; copied out by a write so it can work unlocked. */
typedef struct _RAWPROT_POOL_SHAPE {
    NDIS_HANDLE NblPool;
    NDIS_HANDLE BindingHandle; /* filled in for a write only */
    ULONG MtuSize;
    ULONG DataBackFill;
    ULONG ContextBackFill;
} RAWPROT_POOL_SHAPE, *PRAWPROT_POOL_SHAPE;

/*
 * Kept in ProtocolReserved of every NBL sent (the sender owns it until the
 * completion), to check the NBL comes back exactly as it went.
 */
typedef struct _RAWPROT_SEND_RESERVED {
    ULONG Signature;
    ULONG Length;
    ULONG Hash;
    ULONG DataOffset;
    PNET_BUFFER_LIST_CONTEXT Context;
    USHORT ContextOffset;
} RAWPROT_SEND_RESERVED, *PRAWPROT_SEND_RESERVED;

C_ASSERT(sizeof(RAWPROT_SEND_RESERVED) <= RTL_FIELD_SIZE(NET_BUFFER_LIST, ProtocolReserved));

#define RAWPROT_SEND_RESERVED_FROM_NBL(_Nbl) ((PRAWPROT_SEND_RESERVED)NET_BUFFER_LIST_PROTOCOL_RESERVED(_Nbl))

struct _RAWPROT_OPEN {
    PRAWPROT_OPEN Next;                /* in RawProtGlobals.Opens */
    atomic_int RefCount;               /* the binding's own reference + clients' */
    pthread_mutex_t Lock;
    pthread_cond_t Changed;            /* frame queued, send completed, OID done, state changed */
    RAWPROT_BINDING_STATE State;
    NDIS_HANDLE BindingHandle;
    NDIS_HANDLE BindContext;           /* for NdisCompleteBindAdapterEx */
    NDIS_HANDLE UnbindContext;         /* for NdisCompleteUnbindAdapterEx */
    PNET_PNP_EVENT_NOTIFICATION PendingPause;
    NDIS_MEDIUM MediumArray[1];        /* NdisOpenAdapterEx may write the index later */
    UINT SelectedMediumIndex;
    ULONG64 SendsOutstanding;          /* accepted writes not yet completed */
    RAWPROT_POOL_SHAPE Pool;
    NDIS_OID_REQUEST OidRequest;
    NDIS_RESTART_GENERAL_ATTRIBUTES OidAnswer;
    BOOLEAN OidDone;
    PRAWPROT_FRAME Queue[RAWPROT_RECEIVE_QUEUE_DEPTH];
    ULONG QueueHead;
    ULONG QueueCount;
    RAWPROT_RECEIVE_CALLBACK Callback;
    PVOID CallbackContext;
    RAWPROT_STATS Stats;
};

static struct {
    pthread_mutex_t Lock;              /* guards everything below */
    BOOLEAN Registering;               /* RawProtDriverEntry is running */
    NDIS_HANDLE ProtocolHandle;
    PRAWPROT_OPEN Opens;
} RawProtGlobals = {PTHREAD_MUTEX_INITIALIZER, FALSE, NULL, NULL};

static PROTOCOL_BIND_ADAPTER_EX RawProtBindAdapterEx;
static PROTOCOL_UNBIND_ADAPTER_EX RawProtUnbindAdapterEx;
static PROTOCOL_OPEN_ADAPTER_COMPLETE_EX RawProtOpenAdapterCompleteEx;
static PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX RawProtCloseAdapterCompleteEx;
static PROTOCOL_NET_PNP_EVENT RawProtNetPnPEvent;
static PROTOCOL_OID_REQUEST_COMPLETE RawProtOidRequestComplete;
static PROTOCOL_STATUS_EX RawProtStatusEx;
static PROTOCOL_RECEIVE_NET_BUFFER_LISTS RawProtReceiveNetBufferLists;
static PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE RawProtSendNetBufferListsComplete;

/* ====================================================================== */
/* Registration                                                            */
/* ====================================================================== */

static VOID RawProtFillCharacteristics(PNDIS_PROTOCOL_DRIVER_CHARACTERISTICS Chars)
{
    static const WCHAR Name[] = u"RAWPROT";

    NdisZeroMemory(Chars, sizeof(*Chars));
    Chars->Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS;
    Chars->Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
    Chars->Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
    Chars->MajorNdisVersion = RAWPROT_NDIS_MAJOR_VERSION;
    Chars->MinorNdisVersion = RAWPROT_NDIS_MINOR_VERSION;
    Chars->MajorDriverVersion = 1;
    Chars->Name.Buffer = (PWSTR)Name;
    Chars->Name.Length = (USHORT)(sizeof(Name) - sizeof(WCHAR));
    Chars->Name.MaximumLength = (USHORT)sizeof(Name);
    /* SetOptions and Uninstall are optional and not needed here. */
    Chars->BindAdapterHandlerEx = RawProtBindAdapterEx;
    Chars->UnbindAdapterHandlerEx = RawProtUnbindAdapterEx;
    Chars->OpenAdapterCompleteHandlerEx = RawProtOpenAdapterCompleteEx;
    Chars->CloseAdapterCompleteHandlerEx = RawProtCloseAdapterCompleteEx;
    Chars->NetPnPEventHandler = RawProtNetPnPEvent;
    Chars->OidRequestCompleteHandler = RawProtOidRequestComplete;
    Chars->StatusHandlerEx = RawProtStatusEx;
    Chars->ReceiveNetBufferListsHandler = RawProtReceiveNetBufferLists;
    Chars->SendNetBufferListsCompleteHandler = RawProtSendNetBufferListsComplete;
}

NDIS_STATUS RawProtDriverEntry(void)
{
    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS Chars;
    NDIS_HANDLE Handle = NULL;
    NDIS_STATUS Status;

    /* Registered once; the lock is not held across the call, which may call back. */
    pthread_mutex_lock(&RawProtGlobals.Lock);
    Status = RawProtGlobals.Registering || RawProtGlobals.ProtocolHandle != NULL ? NDIS_STATUS_FAILURE
                                                                                  : NDIS_STATUS_SUCCESS;
    if (Status == NDIS_STATUS_SUCCESS)
        RawProtGlobals.Registering = TRUE;
    pthread_mutex_unlock(&RawProtGlobals.Lock);
    if (Status != NDIS_STATUS_SUCCESS)
        return Status;

    RawProtFillCharacteristics(&Chars);
    Status = NdisRegisterProtocolDriver(&RawProtGlobals, &Chars, &Handle);
    pthread_mutex_lock(&RawProtGlobals.Lock);
    if (Status == NDIS_STATUS_SUCCESS)
        RawProtGlobals.ProtocolHandle = Handle;
    RawProtGlobals.Registering = FALSE;
    pthread_mutex_unlock(&RawProtGlobals.Lock);
    return Status;
}

VOID RawProtDriverUnload(void)
{
    NDIS_HANDLE Handle;

    pthread_mutex_lock(&RawProtGlobals.Lock);
    Handle = RawProtGlobals.ProtocolHandle;
    RawProtGlobals.ProtocolHandle = NULL;
    pthread_mutex_unlock(&RawProtGlobals.Lock);
    if (Handle != NULL)
        NdisDeregisterProtocolDriver(Handle);
}

NDIS_HANDLE RawProtProtocolHandle(void)
{
    NDIS_HANDLE Handle;

    pthread_mutex_lock(&RawProtGlobals.Lock);
    Handle = RawProtGlobals.ProtocolHandle;
    pthread_mutex_unlock(&RawProtGlobals.Lock);
    return Handle;
}

/* ====================================================================== */
/* Binding objects: allocation, references, the global list                */
/* ====================================================================== */

static PRAWPROT_OPEN RawProtAllocateOpen(NDIS_HANDLE BindContext, PNDIS_BIND_PARAMETERS BindParameters)
{
    PRAWPROT_OPEN Open = calloc(1, sizeof(*Open));
    pthread_condattr_t Attr;

    if (Open == NULL)
        return NULL;
    pthread_condattr_init(&Attr);
    pthread_condattr_setclock(&Attr, CLOCK_MONOTONIC);
    pthread_cond_init(&Open->Changed, &Attr);
    pthread_condattr_destroy(&Attr);
    pthread_mutex_init(&Open->Lock, NULL);
    atomic_init(&Open->RefCount, 1);
    Open->State = RawProtOpening;
    Open->BindContext = BindContext;
    Open->MediumArray[0] = NdisMedium802_3;
    Open->Stats.BindMtuSize = BindParameters->MtuSize;
    Open->Stats.BindDataBackFillSize = BindParameters->DataBackFillSize;
    Open->Stats.BindContextBackFillSize = BindParameters->ContextBackFillSize;
    if (BindParameters->MacAddressLength == sizeof(Open->Stats.BindMacAddress))
        NdisMoveMemory(Open->Stats.BindMacAddress, BindParameters->CurrentMacAddress,
                       sizeof(Open->Stats.BindMacAddress));
    return Open;
}

static VOID RawProtReference(PRAWPROT_OPEN Open)
{
    atomic_fetch_add(&Open->RefCount, 1);
}

/* Drops a reference; the last one frees the object and any frames still queued. */
static VOID RawProtDereference(PRAWPROT_OPEN Open)
{
    ULONG i;

    if (atomic_fetch_sub(&Open->RefCount, 1) != 1)
        return;
    for (i = 0; i < Open->QueueCount; i++)
        free(Open->Queue[(Open->QueueHead + i) % RAWPROT_RECEIVE_QUEUE_DEPTH]);
    pthread_cond_destroy(&Open->Changed);
    pthread_mutex_destroy(&Open->Lock);
    free(Open);
}

static VOID RawProtLinkOpen(PRAWPROT_OPEN Open)
{
    pthread_mutex_lock(&RawProtGlobals.Lock);
    Open->Next = RawProtGlobals.Opens;
    RawProtGlobals.Opens = Open;
    pthread_mutex_unlock(&RawProtGlobals.Lock);
}

static VOID RawProtUnlinkOpen(PRAWPROT_OPEN Open)
{
    PRAWPROT_OPEN *Link;

    pthread_mutex_lock(&RawProtGlobals.Lock);
    for (Link = &RawProtGlobals.Opens; *Link != NULL; Link = &(*Link)->Next) {
        if (*Link == Open) {
            *Link = Open->Next;
            break;
        }
    }
    pthread_mutex_unlock(&RawProtGlobals.Lock);
}

/* Wakes every waiter; called with the lock held after any change a waiter may want. */
static VOID RawProtSignal(PRAWPROT_OPEN Open)
{
    pthread_cond_broadcast(&Open->Changed);
}

/* ====================================================================== */
/* The pool                                                                */
/* ====================================================================== */

static NDIS_HANDLE RawProtCreatePool(ULONG MtuSize, ULONG DataBackFill, ULONG ContextBackFill)
{
    NET_BUFFER_LIST_POOL_PARAMETERS Parameters;

    NdisZeroMemory(&Parameters, sizeof(Parameters));
    Parameters.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    Parameters.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    Parameters.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    Parameters.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
    Parameters.fAllocateNetBuffer = TRUE;
    Parameters.ContextSize = (USHORT)ContextBackFill;
    Parameters.PoolTag = RAWPROT_POOL_TAG;
    Parameters.DataSize = DataBackFill + MtuSize + RAWPROT_ETHERNET_HEADER_LENGTH;
    return NdisAllocateNetBufferListPool(RawProtProtocolHandle(), &Parameters);
}

/*
 * Builds a pool for these needs and puts it in place of the current one,
 * which is freed (every NBL must be back: the binding is opening, paused or
 * closing). On failure the current pool stays.
 */
static NDIS_STATUS RawProtReplacePool(PRAWPROT_OPEN Open, ULONG MtuSize, ULONG DataBackFillSize,
                                      ULONG ContextBackFillSize)
{
    ULONG ContextBackFill;
    NDIS_HANDLE NewPool, OldPool;

    if (ContextBackFillSize > RAWPROT_MAX_CONTEXT_BACKFILL)
        return NDIS_STATUS_RESOURCES; /* more than an NBL's context can ever hold */
    ContextBackFill = RAWPROT_ROUND_CONTEXT(ContextBackFillSize);
    NewPool = RawProtCreatePool(MtuSize, DataBackFillSize, ContextBackFill);
    if (NewPool == NULL)
        return NDIS_STATUS_RESOURCES;

    pthread_mutex_lock(&Open->Lock);
    OldPool = Open->Pool.NblPool;
    Open->Pool.NblPool = NewPool;
    Open->Pool.MtuSize = MtuSize;
    Open->Pool.DataBackFill = DataBackFillSize;
    Open->Pool.ContextBackFill = ContextBackFill;
    if (OldPool != NULL)
        Open->Stats.PoolReallocations++;
    pthread_mutex_unlock(&Open->Lock);

    if (OldPool != NULL)
        NdisFreeNetBufferListPool(OldPool);
    return NDIS_STATUS_SUCCESS;
}

static VOID RawProtFreePool(PRAWPROT_OPEN Open)
{
    NDIS_HANDLE Pool;

    pthread_mutex_lock(&Open->Lock);
    Pool = Open->Pool.NblPool;
    Open->Pool.NblPool = NULL;
    pthread_mutex_unlock(&Open->Lock);
    if (Pool != NULL)
        NdisFreeNetBufferListPool(Pool);
}

/* ====================================================================== */
/* Bind and unbind                                                         */
/* ====================================================================== */

static NDIS_STATUS RawProtOpenAdapter(PRAWPROT_OPEN Open, PNDIS_BIND_PARAMETERS BindParameters)
{
    NDIS_OPEN_PARAMETERS OpenParameters;

    NdisZeroMemory(&OpenParameters, sizeof(OpenParameters));
    OpenParameters.Header.Type = NDIS_OBJECT_TYPE_OPEN_PARAMETERS;
    OpenParameters.Header.Revision = NDIS_OPEN_PARAMETERS_REVISION_1;
    OpenParameters.Header.Size = NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1;
    OpenParameters.AdapterName = BindParameters->AdapterName;
    OpenParameters.MediumArray = Open->MediumArray;
    OpenParameters.MediumArraySize = sizeof(Open->MediumArray) / sizeof(Open->MediumArray[0]);
    OpenParameters.SelectedMediumIndex = &Open->SelectedMediumIndex;
    OpenParameters.FrameTypeArray = NULL; /* every EtherType: this is a raw protocol */
    OpenParameters.FrameTypeArraySize = 0;
    return NdisOpenAdapterEx(RawProtProtocolHandle(), Open, &OpenParameters, Open->BindContext,
                             &Open->BindingHandle);
}

/*
 * Asks the stack for its current needs with OID_GEN_MINIPORT_RESTART_
 * ATTRIBUTES and records whether they agree with the bind parameters. The
 * request lives in the binding object, since it may complete later (then
 * RawProtOidRequestComplete wakes this thread).
 */
static VOID RawProtQueryRestartAttributes(PRAWPROT_OPEN Open)
{
    PNDIS_OID_REQUEST Request = &Open->OidRequest;
    NDIS_STATUS Status;

    NdisZeroMemory(Request, sizeof(*Request));
    Request->Header.Type = NDIS_OBJECT_TYPE_OID_REQUEST;
    Request->Header.Revision = NDIS_OID_REQUEST_REVISION_1;
    Request->Header.Size = NDIS_SIZEOF_OID_REQUEST_REVISION_1;
    Request->RequestType = NdisRequestQueryInformation;
    Request->PortNumber = NDIS_DEFAULT_PORT_NUMBER;
    Request->RequestId = Open;
    Request->DATA.QUERY_INFORMATION.Oid = OID_GEN_MINIPORT_RESTART_ATTRIBUTES;
    Request->DATA.QUERY_INFORMATION.InformationBuffer = &Open->OidAnswer;
    Request->DATA.QUERY_INFORMATION.InformationBufferLength = sizeof(Open->OidAnswer);

    Open->OidDone = FALSE;
    Status = NdisOidRequest(Open->BindingHandle, Request);
    pthread_mutex_lock(&Open->Lock);
    if (Status == NDIS_STATUS_PENDING) {
        while (!Open->OidDone)
            pthread_cond_wait(&Open->Changed, &Open->Lock);
    } else {
        Open->Stats.OidStatus = Status;
    }
    Status = Open->Stats.OidStatus;
    if (Status == NDIS_STATUS_SUCCESS) {
        Open->Stats.OidDataBackFillSize = Open->OidAnswer.DataBackFillSize;
        Open->Stats.OidContextBackFillSize = Open->OidAnswer.ContextBackFillSize;
        Open->Stats.OidAgreed = Open->OidAnswer.DataBackFillSize == Open->Stats.BindDataBackFillSize &&
                                Open->OidAnswer.ContextBackFillSize == Open->Stats.BindContextBackFillSize;
    }
    pthread_mutex_unlock(&Open->Lock);
}

static VOID RawProtOidRequestComplete(NDIS_HANDLE ProtocolBindingContext, PNDIS_OID_REQUEST OidRequest,
                                      NDIS_STATUS Status)
{
    PRAWPROT_OPEN Open = ProtocolBindingContext;

    UNREFERENCED_PARAMETER(OidRequest);
    pthread_mutex_lock(&Open->Lock);
    Open->Stats.OidStatus = Status;
    Open->OidDone = TRUE;
    RawProtSignal(Open);
    pthread_mutex_unlock(&Open->Lock);
}

/*
 * The second half of a bind, once the open has its status (at once or in
 * ProtocolOpenAdapterCompleteEx): on success the binding is Paused and
 * clients can find it; on failure everything the bind made is gone.
 */
static NDIS_STATUS RawProtFinishBind(PRAWPROT_OPEN Open, NDIS_STATUS Status)
{
    if (Status != NDIS_STATUS_SUCCESS) {
        RawProtFreePool(Open);
        RawProtDereference(Open);
        return Status;
    }
    RawProtQueryRestartAttributes(Open);
    pthread_mutex_lock(&Open->Lock);
    Open->State = RawProtPaused;
    pthread_mutex_unlock(&Open->Lock);
    RawProtLinkOpen(Open);
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS RawProtBindAdapterEx(NDIS_HANDLE ProtocolDriverContext, NDIS_HANDLE BindContext,
                                        PNDIS_BIND_PARAMETERS BindParameters)
{
    PRAWPROT_OPEN Open;
    NDIS_STATUS Status;

    UNREFERENCED_PARAMETER(ProtocolDriverContext);
    if (BindParameters->MediaType != NdisMedium802_3)
        return NDIS_STATUS_UNSUPPORTED_MEDIA;
    Open = RawProtAllocateOpen(BindContext, BindParameters);
    if (Open == NULL)
        return NDIS_STATUS_RESOURCES;

    /* Pools sized for the whole stack below, before the first send can happen. */
    Status = RawProtReplacePool(Open, BindParameters->MtuSize, BindParameters->DataBackFillSize,
                                BindParameters->ContextBackFillSize);
    if (Status != NDIS_STATUS_SUCCESS) {
        RawProtDereference(Open);
        return Status;
    }
    Status = RawProtOpenAdapter(Open, BindParameters);
    if (Status == NDIS_STATUS_PENDING)
        return NDIS_STATUS_PENDING; /* RawProtOpenAdapterCompleteEx finishes the bind */
    return RawProtFinishBind(Open, Status);
}

static VOID RawProtOpenAdapterCompleteEx(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status)
{
    PRAWPROT_OPEN Open = ProtocolBindingContext;
    NDIS_HANDLE BindContext = Open->BindContext; /* Open is gone after a failed finish */

    NdisCompleteBindAdapterEx(BindContext, RawProtFinishBind(Open, Status));
}

/* After the close: the pool goes (the binding was paused, every NBL is back), clients are woken. */
static VOID RawProtFinishUnbind(PRAWPROT_OPEN Open)
{
    RawProtFreePool(Open);
    pthread_mutex_lock(&Open->Lock);
    Open->State = RawProtClosed;
    Open->BindingHandle = NULL;
    RawProtSignal(Open);
    pthread_mutex_unlock(&Open->Lock);
}

static NDIS_STATUS RawProtUnbindAdapterEx(NDIS_HANDLE UnbindContext, NDIS_HANDLE ProtocolBindingContext)
{
    PRAWPROT_OPEN Open = ProtocolBindingContext;
    NDIS_HANDLE BindingHandle;
    NDIS_STATUS Status;

    RawProtUnlinkOpen(Open); /* no new client finds it */
    pthread_mutex_lock(&Open->Lock);
    Open->State = RawProtClosing;
    Open->UnbindContext = UnbindContext;
    BindingHandle = Open->BindingHandle;
    RawProtSignal(Open);
    pthread_mutex_unlock(&Open->Lock);

    Status = NdisCloseAdapterEx(BindingHandle);
    if (Status == NDIS_STATUS_PENDING)
        return NDIS_STATUS_PENDING; /* RawProtCloseAdapterCompleteEx finishes the unbind */
    RawProtFinishUnbind(Open);
    RawProtDereference(Open);
    return NDIS_STATUS_SUCCESS;
}

static VOID RawProtCloseAdapterCompleteEx(NDIS_HANDLE ProtocolBindingContext)
{
    PRAWPROT_OPEN Open = ProtocolBindingContext;
    NDIS_HANDLE UnbindContext = Open->UnbindContext;

    RawProtFinishUnbind(Open);
    RawProtDereference(Open);
    NdisCompleteUnbindAdapterEx(UnbindContext);
}

/* ====================================================================== */
/* Pause, restart and status                                               */
/* ====================================================================== */

/* NetEventPause: no new sends; wait for the ones in flight if there are any. */
static NDIS_STATUS RawProtPause(PRAWPROT_OPEN Open, PNET_PNP_EVENT_NOTIFICATION Notification)
{
    NDIS_STATUS Status;

    pthread_mutex_lock(&Open->Lock);
    if (Open->SendsOutstanding == 0) {
        Open->State = RawProtPaused;
        Open->Stats.PausesImmediate++;
        Status = NDIS_STATUS_SUCCESS;
    } else {
        Open->State = RawProtPausing;
        Open->PendingPause = Notification; /* the last completion calls NdisCompleteNetPnPEvent */
        Status = NDIS_STATUS_PENDING;
    }
    RawProtSignal(Open);
    pthread_mutex_unlock(&Open->Lock);
    return Status;
}

/* The OID_GEN_MINIPORT_RESTART_ATTRIBUTES entry of a restart attribute list, or NULL. */
static PNDIS_RESTART_GENERAL_ATTRIBUTES RawProtFindGeneralAttributes(PNDIS_RESTART_ATTRIBUTES Attributes)
{
    for (; Attributes != NULL; Attributes = Attributes->Next) {
        if (Attributes->Oid == OID_GEN_MINIPORT_RESTART_ATTRIBUTES &&
            Attributes->DataLength >= NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_1)
            return (PNDIS_RESTART_GENERAL_ATTRIBUTES)(PVOID)Attributes->Data;
    }
    return NULL;
}

/*
 * NetEventRestart: if the stack below now needs other back-fill or context
 * room (or carries a new MTU), the pool is rebuilt for it before sends
 * resume. A failure leaves the binding paused with its old pool.
 */
static NDIS_STATUS RawProtRestart(PRAWPROT_OPEN Open, PNDIS_PROTOCOL_RESTART_PARAMETERS Parameters)
{
    PNDIS_RESTART_GENERAL_ATTRIBUTES General = NULL;
    RAWPROT_POOL_SHAPE Shape;
    NDIS_STATUS Status = NDIS_STATUS_SUCCESS;

    if (Parameters != NULL)
        General = RawProtFindGeneralAttributes(Parameters->RestartAttributes);
    pthread_mutex_lock(&Open->Lock);
    Shape = Open->Pool;
    pthread_mutex_unlock(&Open->Lock);

    if (General != NULL) {
        ULONG MtuSize = General->MtuSize != 0 ? General->MtuSize : Shape.MtuSize;

        if (MtuSize != Shape.MtuSize || General->DataBackFillSize != Shape.DataBackFill ||
            RAWPROT_ROUND_CONTEXT(General->ContextBackFillSize) != Shape.ContextBackFill)
            Status = RawProtReplacePool(Open, MtuSize, General->DataBackFillSize, General->ContextBackFillSize);
    }
    if (Status != NDIS_STATUS_SUCCESS)
        return Status;

    pthread_mutex_lock(&Open->Lock);
    Open->State = RawProtRunning;
    Open->Stats.Restarts++;
    RawProtSignal(Open);
    pthread_mutex_unlock(&Open->Lock);
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS RawProtNetPnPEvent(NDIS_HANDLE ProtocolBindingContext,
                                      PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification)
{
    PRAWPROT_OPEN Open = ProtocolBindingContext;

    if (Open == NULL) /* events for the protocol as a whole (BindsComplete, ...) */
        return NDIS_STATUS_SUCCESS;
    switch (NetPnPEventNotification->NetPnPEvent.NetEvent) {
    case NetEventPause:
        return RawProtPause(Open, NetPnPEventNotification);
    case NetEventRestart:
        return RawProtRestart(Open, NetPnPEventNotification->NetPnPEvent.Buffer);
    default:
        return NDIS_STATUS_SUCCESS;
    }
}

static VOID RawProtStatusEx(NDIS_HANDLE ProtocolBindingContext, PNDIS_STATUS_INDICATION StatusIndication)
{
    PRAWPROT_OPEN Open = ProtocolBindingContext;

    UNREFERENCED_PARAMETER(StatusIndication);
    pthread_mutex_lock(&Open->Lock);
    Open->Stats.StatusIndications++;
    pthread_mutex_unlock(&Open->Lock);
}

/* ====================================================================== */
/* Send path                                                               */
/* ====================================================================== */

/* FNV-1a: enough to tell whether a frame's bytes came back unchanged. */
static ULONG RawProtHash(const UCHAR *Data, ULONG Length)
{
    ULONG Hash = 2166136261U;
    ULONG i;

    for (i = 0; i < Length; i++)
        Hash = (Hash ^ Data[i]) * 16777619U;
    return Hash;
}

/*
 * Admits Count sends: refused unless the binding runs. Admitted sends count
 * as outstanding from here on, so a pause waits for them; *Shape is the
 * pool they may use (it cannot change while they are outstanding).
 */
static NDIS_STATUS RawProtAdmitSends(PRAWPROT_OPEN Open, ULONG Count, PRAWPROT_POOL_SHAPE Shape)
{
    NDIS_STATUS Status = NDIS_STATUS_SUCCESS;

    pthread_mutex_lock(&Open->Lock);
    if (Open->State == RawProtClosing || Open->State == RawProtClosed) {
        Status = NDIS_STATUS_CLOSING;
    } else if (Open->State != RawProtRunning) {
        Status = NDIS_STATUS_PAUSED;
    } else {
        Open->SendsOutstanding += Count;
        *Shape = Open->Pool;
        Shape->BindingHandle = Open->BindingHandle;
    }
    if (Status != NDIS_STATUS_SUCCESS)
        Open->Stats.WritesRefused += Count;
    pthread_mutex_unlock(&Open->Lock);
    return Status;
}

/* Count sends are over (completed, or given up before sending); the last one may finish a pause. */
static VOID RawProtRetireSends(PRAWPROT_OPEN Open, ULONG Count)
{
    PNET_PNP_EVENT_NOTIFICATION Pause = NULL;
    NDIS_HANDLE BindingHandle;

    pthread_mutex_lock(&Open->Lock);
    Open->SendsOutstanding -= Count;
    if (Open->SendsOutstanding == 0 && Open->PendingPause != NULL) {
        Pause = Open->PendingPause;
        Open->PendingPause = NULL;
        Open->State = RawProtPaused;
        Open->Stats.PausesPended++;
    }
    BindingHandle = Open->BindingHandle;
    RawProtSignal(Open);
    pthread_mutex_unlock(&Open->Lock);
    if (Pause != NULL)
        NdisCompleteNetPnPEvent(BindingHandle, Pause, NDIS_STATUS_SUCCESS);
}

/*
 * One NBL from the pool carrying a copy of Frame: its buffer is
 * DataBackFill bytes of header room, then the frame; the NB's data start is
 * advanced over the room and its length cut to the frame's. NULL when the
 * pool is exhausted.
 */
static PNET_BUFFER_LIST RawProtBuildFrame(const RAWPROT_POOL_SHAPE *Shape, const void *Frame, ULONG Length)
{
    PNET_BUFFER_LIST Nbl;
    PNET_BUFFER Nb;
    PRAWPROT_SEND_RESERVED Reserved;
    PUCHAR Buffer;
    ULONG BufferLength;

    Nbl = NdisAllocateNetBufferList(Shape->NblPool, 0, (USHORT)Shape->ContextBackFill);
    if (Nbl == NULL)
        return NULL;
    Nb = NET_BUFFER_LIST_FIRST_NB(Nbl);
    NdisQueryMdl(NET_BUFFER_FIRST_MDL(Nb), (PVOID *)&Buffer, &BufferLength, NormalPagePriority);
    NdisMoveMemory(Buffer + Shape->DataBackFill, Frame, Length);
    NdisAdvanceNetBufferDataStart(Nb, Shape->DataBackFill, FALSE, NULL);
    NET_BUFFER_DATA_LENGTH(Nb) = Length;

    Nbl->SourceHandle = Shape->BindingHandle;
    Reserved = RAWPROT_SEND_RESERVED_FROM_NBL(Nbl);
    Reserved->Signature = RAWPROT_SEND_SIGNATURE;
    Reserved->Length = Length;
    Reserved->Hash = RawProtHash(Frame, Length);
    Reserved->DataOffset = NET_BUFFER_DATA_OFFSET(Nb);
    Reserved->Context = Nbl->Context;
    Reserved->ContextOffset = Nbl->Context != NULL ? Nbl->Context->Offset : 0;
    return Nbl;
}

static VOID RawProtFreeChain(PNET_BUFFER_LIST Chain)
{
    while (Chain != NULL) {
        PNET_BUFFER_LIST Next = NET_BUFFER_LIST_NEXT_NBL(Chain);

        NET_BUFFER_LIST_NEXT_NBL(Chain) = NULL;
        NdisFreeNetBufferList(Chain);
        Chain = Next;
    }
}

/* The frames as one chain, in order; all or nothing. */
static PNET_BUFFER_LIST RawProtBuildChain(const RAWPROT_POOL_SHAPE *Shape, const void *const *Frames,
                                          const ULONG *Lengths, ULONG Count)
{
    PNET_BUFFER_LIST Head = NULL;
    PNET_BUFFER_LIST *Tail = &Head;
    ULONG i;

    for (i = 0; i < Count; i++) {
        *Tail = RawProtBuildFrame(Shape, Frames[i], Lengths[i]);
        if (*Tail == NULL) {
            RawProtFreeChain(Head);
            return NULL;
        }
        Tail = &NET_BUFFER_LIST_NEXT_NBL(*Tail);
    }
    return Head;
}

static BOOLEAN RawProtLengthsFit(const RAWPROT_POOL_SHAPE *Shape, const void *const *Frames,
                                 const ULONG *Lengths, ULONG Count)
{
    ULONG i;

    for (i = 0; i < Count; i++) {
        if (Frames[i] == NULL || Lengths[i] < RAWPROT_ETHERNET_HEADER_LENGTH ||
            Lengths[i] > Shape->MtuSize + RAWPROT_ETHERNET_HEADER_LENGTH)
            return FALSE;
    }
    return TRUE;
}

NDIS_STATUS RawProtWriteBatch(PRAWPROT_OPEN Open, const void *const *Frames, const ULONG *Lengths, ULONG Count)
{
    RAWPROT_POOL_SHAPE Shape;
    PNET_BUFFER_LIST Chain;
    NDIS_STATUS Status;

    if (Open == NULL || Frames == NULL || Lengths == NULL || Count == 0)
        return NDIS_STATUS_INVALID_PARAMETER;
    Status = RawProtAdmitSends(Open, Count, &Shape);
    if (Status != NDIS_STATUS_SUCCESS)
        return Status;

    if (!RawProtLengthsFit(&Shape, Frames, Lengths, Count)) {
        Status = NDIS_STATUS_INVALID_LENGTH;
        Chain = NULL;
    } else {
        Chain = RawProtBuildChain(&Shape, Frames, Lengths, Count);
        Status = Chain != NULL ? NDIS_STATUS_SUCCESS : NDIS_STATUS_RESOURCES;
    }

    pthread_mutex_lock(&Open->Lock);
    if (Status == NDIS_STATUS_SUCCESS)
        Open->Stats.FramesSent += Count;
    else
        Open->Stats.WritesRefused += Count;
    pthread_mutex_unlock(&Open->Lock);

    if (Status != NDIS_STATUS_SUCCESS) {
        RawProtRetireSends(Open, Count);
        return Status;
    }
    NdisSendNetBufferLists(Shape.BindingHandle, Chain, NDIS_DEFAULT_PORT_NUMBER, 0);
    return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS RawProtWrite(PRAWPROT_OPEN Open, const void *Frame, ULONG Length)
{
    const void *Frames[1] = {Frame};

    return RawProtWriteBatch(Open, Frames, &Length, 1);
}

/*
 * Whether an NBL came back exactly as RawProtBuildFrame made it: one NB, the
 * same data offset, length and MDL, the context where it was, and the same
 * bytes. A filter below that changed something and did not undo it shows
 * up in CompletedAltered.
 */
static BOOLEAN RawProtCameBackAsSent(PNET_BUFFER_LIST Nbl)
{
    PRAWPROT_SEND_RESERVED Reserved = RAWPROT_SEND_RESERVED_FROM_NBL(Nbl);
    PNET_BUFFER Nb = NET_BUFFER_LIST_FIRST_NB(Nbl);
    PUCHAR Data;

    if (Reserved->Signature != RAWPROT_SEND_SIGNATURE || Nb == NULL || NET_BUFFER_NEXT_NB(Nb) != NULL)
        return FALSE;
    if (NET_BUFFER_DATA_OFFSET(Nb) != Reserved->DataOffset || NET_BUFFER_DATA_LENGTH(Nb) != Reserved->Length)
        return FALSE;
    if (NET_BUFFER_CURRENT_MDL(Nb) != NET_BUFFER_FIRST_MDL(Nb) || NET_BUFFER_FIRST_MDL(Nb)->Next != NULL ||
        NET_BUFFER_CURRENT_MDL_OFFSET(Nb) != Reserved->DataOffset)
        return FALSE;
    if (Nbl->Context != Reserved->Context ||
        (Nbl->Context != NULL && Nbl->Context->Offset != Reserved->ContextOffset))
        return FALSE;
    Data = NdisGetDataBuffer(Nb, Reserved->Length, NULL, 1, 0);
    return Data != NULL && RawProtHash(Data, Reserved->Length) == Reserved->Hash;
}

static VOID RawProtSendNetBufferListsComplete(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferList,
                                              ULONG SendCompleteFlags)
{
    PRAWPROT_OPEN Open = ProtocolBindingContext;
    ULONG Count = 0, Ok = 0, Paused = 0, Altered = 0;

    UNREFERENCED_PARAMETER(SendCompleteFlags);
    while (NetBufferList != NULL) {
        PNET_BUFFER_LIST Next = NET_BUFFER_LIST_NEXT_NBL(NetBufferList);
        NDIS_STATUS Status = NET_BUFFER_LIST_STATUS(NetBufferList);

        Ok += Status == NDIS_STATUS_SUCCESS;
        Paused += Status == NDIS_STATUS_PAUSED;
        Altered += !RawProtCameBackAsSent(NetBufferList);
        NET_BUFFER_LIST_NEXT_NBL(NetBufferList) = NULL;
        NdisFreeNetBufferList(NetBufferList);
        Count++;
        NetBufferList = Next;
    }

    pthread_mutex_lock(&Open->Lock);
    Open->Stats.CompletedOk += Ok;
    Open->Stats.CompletedPaused += Paused;
    Open->Stats.CompletedFailed += Count - Ok - Paused;
    Open->Stats.CompletedAltered += Altered;
    pthread_mutex_unlock(&Open->Lock);
    RawProtRetireSends(Open, Count);
}

/* ====================================================================== */
/* Receive path                                                            */
/* ====================================================================== */

/* A heap copy of the NB's frame, read with NdisGetDataBuffer (in place when contiguous). */
static PRAWPROT_FRAME RawProtCopyFrame(PNET_BUFFER Nb)
{
    ULONG Length = NET_BUFFER_DATA_LENGTH(Nb);
    PRAWPROT_FRAME Frame;
    PUCHAR Data;

    if (Length == 0)
        return NULL;
    Frame = malloc(sizeof(*Frame) + Length);
    if (Frame == NULL)
        return NULL;
    Frame->Length = Length;
    Data = NdisGetDataBuffer(Nb, Length, Frame->Data, 1, 0);
    if (Data != Frame->Data)
        NdisMoveMemory(Frame->Data, Data, Length);
    return Frame;
}

/* Hands one received frame to the callback, or queues it for RawProtRead. */
static VOID RawProtDeliverFrame(PRAWPROT_OPEN Open, PNET_BUFFER Nb)
{
    PRAWPROT_FRAME Frame = RawProtCopyFrame(Nb);
    RAWPROT_RECEIVE_CALLBACK Callback = NULL;
    PVOID CallbackContext = NULL;

    pthread_mutex_lock(&Open->Lock);
    if (Frame == NULL) {
        Open->Stats.FramesDropped++;
    } else if (Open->Callback != NULL) {
        Callback = Open->Callback;
        CallbackContext = Open->CallbackContext;
        Open->Stats.FramesReceived++;
    } else if (Open->QueueCount == RAWPROT_RECEIVE_QUEUE_DEPTH) {
        Open->Stats.FramesDropped++;
    } else {
        Open->Queue[(Open->QueueHead + Open->QueueCount) % RAWPROT_RECEIVE_QUEUE_DEPTH] = Frame;
        Open->QueueCount++;
        Open->Stats.FramesReceived++;
        Frame = NULL; /* the queue owns it */
        RawProtSignal(Open);
    }
    pthread_mutex_unlock(&Open->Lock);

    if (Callback != NULL)
        Callback(CallbackContext, Frame->Data, Frame->Length);
    free(Frame);
}

/*
 * Copies every frame out, then gives the NBLs back at once: with
 * NDIS_RECEIVE_FLAGS_RESOURCES by returning from this call (they are the
 * indicator's again), otherwise with NdisReturnNetBufferLists.
 */
static VOID RawProtReceiveNetBufferLists(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferLists,
                                         NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists,
                                         ULONG ReceiveFlags)
{
    PRAWPROT_OPEN Open = ProtocolBindingContext;
    PNET_BUFFER_LIST Nbl;
    PNET_BUFFER Nb;
    ULONG ReturnFlags = 0;

    UNREFERENCED_PARAMETER(PortNumber);
    UNREFERENCED_PARAMETER(NumberOfNetBufferLists);
    for (Nbl = NetBufferLists; Nbl != NULL; Nbl = NET_BUFFER_LIST_NEXT_NBL(Nbl)) {
        for (Nb = NET_BUFFER_LIST_FIRST_NB(Nbl); Nb != NULL; Nb = NET_BUFFER_NEXT_NB(Nb))
            RawProtDeliverFrame(Open, Nb);
    }

    if (NDIS_TEST_RECEIVE_CANNOT_PEND(ReceiveFlags)) {
        pthread_mutex_lock(&Open->Lock);
        Open->Stats.ReceivesResources++;
        pthread_mutex_unlock(&Open->Lock);
        return;
    }
    if (NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(ReceiveFlags))
        NDIS_SET_RETURN_FLAG(ReturnFlags, NDIS_RETURN_FLAGS_DISPATCH_LEVEL);
    NdisReturnNetBufferLists(Open->BindingHandle, NetBufferLists, ReturnFlags);
}

/* ====================================================================== */
/* The client                                                              */
/* ====================================================================== */

PRAWPROT_OPEN RawProtOpenBinding(NDIS_HANDLE NdisBindingHandle)
{
    PRAWPROT_OPEN Open;

    if (NdisBindingHandle == NULL)
        return NULL;
    pthread_mutex_lock(&RawProtGlobals.Lock);
    for (Open = RawProtGlobals.Opens; Open != NULL; Open = Open->Next) {
        if (Open->BindingHandle == NdisBindingHandle) {
            RawProtReference(Open);
            break;
        }
    }
    pthread_mutex_unlock(&RawProtGlobals.Lock);
    return Open;
}

VOID RawProtCloseBinding(PRAWPROT_OPEN Open)
{
    if (Open != NULL)
        RawProtDereference(Open);
}

/* The absolute time TimeoutMs from now on the condition's clock; NULL for no limit. */
static const struct timespec *RawProtDeadline(ULONG TimeoutMs, struct timespec *Storage)
{
    if (TimeoutMs == RAWPROT_WAIT_FOREVER)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, Storage);
    Storage->tv_sec += TimeoutMs / 1000;
    Storage->tv_nsec += (long)(TimeoutMs % 1000) * 1000000L;
    if (Storage->tv_nsec >= 1000000000L) {
        Storage->tv_sec++;
        Storage->tv_nsec -= 1000000000L;
    }
    return Storage;
}

/* Waits for a change (lock held); FALSE once Deadline has passed. */
static BOOLEAN RawProtWaitForChange(PRAWPROT_OPEN Open, const struct timespec *Deadline)
{
    if (Deadline == NULL)
        return pthread_cond_wait(&Open->Changed, &Open->Lock) == 0;
    return pthread_cond_timedwait(&Open->Changed, &Open->Lock, Deadline) != ETIMEDOUT;
}

ULONG RawProtRead(PRAWPROT_OPEN Open, void *Buffer, ULONG Capacity, ULONG TimeoutMs)
{
    struct timespec Storage;
    const struct timespec *Deadline = RawProtDeadline(TimeoutMs, &Storage);
    PRAWPROT_FRAME Frame = NULL;
    ULONG Copied = 0;

    if (Open == NULL || (Buffer == NULL && Capacity != 0))
        return 0;
    pthread_mutex_lock(&Open->Lock);
    while (Open->QueueCount == 0 && Open->State != RawProtClosed && TimeoutMs != 0 &&
           RawProtWaitForChange(Open, Deadline))
        ;
    if (Open->QueueCount != 0) {
        Frame = Open->Queue[Open->QueueHead];
        Open->QueueHead = (Open->QueueHead + 1) % RAWPROT_RECEIVE_QUEUE_DEPTH;
        Open->QueueCount--;
        Copied = Frame->Length < Capacity ? Frame->Length : Capacity;
        Open->Stats.FramesRead++;
        Open->Stats.FramesTruncated += Copied < Frame->Length;
    }
    pthread_mutex_unlock(&Open->Lock);

    if (Frame != NULL) {
        NdisMoveMemory(Buffer, Frame->Data, Copied);
        free(Frame);
    }
    return Copied;
}

VOID RawProtSetReceiveCallback(PRAWPROT_OPEN Open, RAWPROT_RECEIVE_CALLBACK Callback, PVOID Context)
{
    if (Open == NULL)
        return;
    pthread_mutex_lock(&Open->Lock);
    Open->Callback = Callback;
    Open->CallbackContext = Context;
    pthread_mutex_unlock(&Open->Lock);
}

BOOLEAN RawProtWaitForSends(PRAWPROT_OPEN Open, ULONG TimeoutMs)
{
    struct timespec Storage;
    const struct timespec *Deadline = RawProtDeadline(TimeoutMs, &Storage);
    BOOLEAN Done;

    if (Open == NULL)
        return FALSE;
    pthread_mutex_lock(&Open->Lock);
    while (Open->SendsOutstanding != 0 && TimeoutMs != 0 && RawProtWaitForChange(Open, Deadline))
        ;
    Done = Open->SendsOutstanding == 0;
    pthread_mutex_unlock(&Open->Lock);
    return Done;
}

VOID RawProtGetStats(PRAWPROT_OPEN Open, PRAWPROT_STATS Stats)
{
    NDISBUF_POOL_STATS PoolStats;

    NdisZeroMemory(Stats, sizeof(*Stats));
    if (Open == NULL)
        return;
    pthread_mutex_lock(&Open->Lock);
    *Stats = Open->Stats;
    Stats->Running = Open->State == RawProtRunning;
    Stats->SendsOutstanding = Open->SendsOutstanding;
    Stats->PoolMtuSize = Open->Pool.MtuSize;
    Stats->PoolDataBackFillSize = Open->Pool.DataBackFill;
    Stats->PoolContextBackFillSize = Open->Pool.ContextBackFill;
    if (Open->Pool.NblPool != NULL) {
        Stats->PoolDataSize = Open->Pool.DataBackFill + Open->Pool.MtuSize + RAWPROT_ETHERNET_HEADER_LENGTH;
        if (ndisbuf_pool_get_stats(Open->Pool.NblPool, &PoolStats) == NDIS_STATUS_SUCCESS) {
            Stats->PoolElementSize = PoolStats.ElementSize;
            Stats->PoolOutstanding = PoolStats.Outstanding;
            Stats->PoolCapacity = PoolStats.Capacity;
        }
    }
    pthread_mutex_unlock(&Open->Lock);
}
