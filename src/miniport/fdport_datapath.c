/* SPDX-License-Identifier: MIT */
/*
 * The fd-port engine's data path (fdport.h): the adapter's thread, which
 * transmits what MiniportSendNetBufferListsEx queued and receives what the
 * backend reads into the preallocated receive NBLs, and the send, return
 * and cancel handlers NDIS calls on any thread.
 *
 * The thread sleeps in poll() on the eventfd and the frame descriptor. A
 * send, a return the thread was waiting for, a pause, a restart or a halt
 * writes the eventfd (once until the thread consumes it: Kicked). Each
 * round the thread takes the queued sends and the state under the lock,
 * transmits and completes the sends, receives up to FDPORT_RECEIVE_BUDGET
 * batches (or, not Running, reads and drops them), then finishes a pause
 * that waited for it.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <unistd.h>

#include "fdport.h"
#include "mphelp.h"

/* Sends taken off the queue, and the frames of theirs not yet transmitted. */
typedef struct _FDPORT_SEND_BATCH {
    PNET_BUFFER_LIST Head;  /* NBLs whose frames are all in Frames or sent */
    PNET_BUFFER_LIST Tail;
    ULONG Count;
    ULONG FrameCount;       /* Adapter->Frames[0..FrameCount) wait to be transmitted */
} FDPORT_SEND_BATCH, *PFDPORT_SEND_BATCH;

/* The send status for an errno from transmitting a frame. */
static NDIS_STATUS FdportTransmitStatus(int Error)
{
    switch (Error) {
    case EMSGSIZE: return NDIS_STATUS_INVALID_LENGTH;
    case ENETDOWN:
    case ENXIO:
    case ENODEV:
    case EIO: return NDIS_STATUS_MEDIA_DISCONNECTED;
    case ENOBUFS:
    case ENOMEM:
    case EAGAIN: return NDIS_STATUS_RESOURCES;
    default: return NDIS_STATUS_FAILURE;
    }
}

/* ====================================================================== */
/* Receive NBLs and waking the thread                                      */
/* ====================================================================== */

/* Pushes a chain of receive NBLs back on the free list. Caller holds Lock. */
static VOID FdportPushFreeLocked(PFDPORT_ADAPTER Adapter, PNET_BUFFER_LIST Chain)
{
    while (Chain != NULL) {
        PNET_BUFFER_LIST Next = NET_BUFFER_LIST_NEXT_NBL(Chain);

        NET_BUFFER_LIST_NEXT_NBL(Chain) = Adapter->FreeReceives;
        Adapter->FreeReceives = Chain;
        Adapter->FreeReceiveCount++;
        Chain = Next;
    }
}

/* Pushes a chain back under the lock. */
static VOID FdportPushFree(PFDPORT_ADAPTER Adapter, PNET_BUFFER_LIST Chain)
{
    if (Chain == NULL)
        return;
    pthread_mutex_lock(&Adapter->Lock);
    FdportPushFreeLocked(Adapter, Chain);
    pthread_mutex_unlock(&Adapter->Lock);
}

/*
 * Takes up to FDPORT_BATCH free receive NBLs into Frames (buffers set) and
 * returns how many; *Resources says whether what is left free is below the
 * low-water mark. With none free, marks the adapter starved.
 */
static ULONG FdportTakeReceives(PFDPORT_ADAPTER Adapter, PFDPORT_FRAME Frames, PBOOLEAN Resources)
{
    ULONG Taken = 0;

    pthread_mutex_lock(&Adapter->Lock);
    while (Taken < FDPORT_BATCH && Adapter->FreeReceives != NULL) {
        PNET_BUFFER_LIST Nbl = Adapter->FreeReceives;
        PMDL Mdl = NET_BUFFER_FIRST_MDL(NET_BUFFER_LIST_FIRST_NB(Nbl));

        Adapter->FreeReceives = NET_BUFFER_LIST_NEXT_NBL(Nbl);
        NET_BUFFER_LIST_NEXT_NBL(Nbl) = NULL;
        Frames[Taken].Nbl = Nbl;
        Frames[Taken].Data.iov_base = (PUCHAR)MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority) + FDPORT_HEADROOM;
        Frames[Taken].Data.iov_len = MmGetMdlByteCount(Mdl) - FDPORT_HEADROOM;
        Frames[Taken].Length = 0;
        Frames[Taken].Offset = FDPORT_HEADROOM;
        Taken++;
    }
    Adapter->FreeReceiveCount -= Taken;
    Adapter->ReceiveStarved = Taken == 0;
    *Resources = Adapter->FreeReceiveCount < FDPORT_LOW_WATER;
    pthread_mutex_unlock(&Adapter->Lock);
    return Taken;
}

/* Allocates the adapter's receive NBLs, each with its own NB, MDL and data. */
NDIS_STATUS FdportAllocateReceives(PFDPORT_ADAPTER Adapter)
{
    Adapter->ReceivePool = MpAllocateReceivePool(Adapter->MiniportAdapterHandle, FDPORT_POOL_TAG, FDPORT_BUFFER_SIZE);
    if (Adapter->ReceivePool == NULL)
        return NDIS_STATUS_RESOURCES;
    for (ULONG i = 0; i < FDPORT_RECEIVE_COUNT; i++) {
        PNET_BUFFER_LIST Nbl = MpAllocateReceiveNbl(Adapter->ReceivePool);

        if (Nbl == NULL)
            return NDIS_STATUS_RESOURCES; /* the caller frees what was allocated */
        FdportPushFreeLocked(Adapter, Nbl); /* no other thread yet */
    }
    return NDIS_STATUS_SUCCESS;
}

/* Frees every receive NBL (all must be back on the free list) and the pool. */
VOID FdportFreeReceives(PFDPORT_ADAPTER Adapter)
{
    while (Adapter->FreeReceives != NULL) {
        PNET_BUFFER_LIST Nbl = Adapter->FreeReceives;

        Adapter->FreeReceives = NET_BUFFER_LIST_NEXT_NBL(Nbl);
        NET_BUFFER_LIST_NEXT_NBL(Nbl) = NULL;
        NdisFreeNetBufferList(Nbl);
    }
    Adapter->FreeReceiveCount = 0;
    if (Adapter->ReceivePool != NULL)
        NdisFreeNetBufferListPool(Adapter->ReceivePool); /* reports NBLs never returned */
    Adapter->ReceivePool = NULL;
}

/* TRUE when the caller must write the eventfd (after unlocking). Caller holds Lock. */
BOOLEAN FdportNeedKickLocked(PFDPORT_ADAPTER Adapter)
{
    if (Adapter->Kicked)
        return FALSE;
    Adapter->Kicked = TRUE;
    return TRUE;
}

/* Wakes the thread out of poll(). */
VOID FdportKick(PFDPORT_ADAPTER Adapter)
{
    uint64_t One = 1;

    (void)!write(Adapter->EventFd, &One, sizeof(One));
}

/* ====================================================================== */
/* Transmit (the adapter's thread)                                         */
/* ====================================================================== */

/* Completes the batch's NBLs to NDIS, in order. */
static VOID FdportCompleteSends(PFDPORT_ADAPTER Adapter, PFDPORT_SEND_BATCH Sends)
{
    if (Sends->Count == 0)
        return;
    NET_BUFFER_LIST_NEXT_NBL(Sends->Tail) = NULL;
    NdisMSendNetBufferListsComplete(Adapter->MiniportAdapterHandle, Sends->Head, 0);
    Sends->Head = Sends->Tail = NULL;
    Sends->Count = 0;
}

/* Transmits the frames gathered so far; a frame that failed sets its NBL's status. */
static VOID FdportFlushFrames(PFDPORT_ADAPTER Adapter, PFDPORT_SEND_BATCH Sends)
{
    ULONG Failed = 0;

    if (Sends->FrameCount == 0)
        return;
    Adapter->Backend->Transmit(Adapter, Adapter->Frames, Sends->FrameCount);
    for (ULONG i = 0; i < Sends->FrameCount; i++) {
        if (Adapter->Frames[i].Error == 0)
            continue;
        Failed++;
        if (NET_BUFFER_LIST_STATUS(Adapter->Frames[i].Nbl) == NDIS_STATUS_SUCCESS)
            NET_BUFFER_LIST_STATUS(Adapter->Frames[i].Nbl) = FdportTransmitStatus(Adapter->Frames[i].Error);
    }
    FdportCount(&Adapter->FramesTransmitted, Sends->FrameCount - Failed);
    FdportCount(&Adapter->TransmitErrors, Failed);
    Sends->FrameCount = 0;
}

/* True when every frame of the NBL is an Ethernet frame that fits the MTU. */
static BOOLEAN FdportFramesFit(PFDPORT_ADAPTER Adapter, PNET_BUFFER_LIST Nbl)
{
    for (PNET_BUFFER Nb = NET_BUFFER_LIST_FIRST_NB(Nbl); Nb != NULL; Nb = NET_BUFFER_NEXT_NB(Nb)) {
        ULONG Length = NET_BUFFER_DATA_LENGTH(Nb);

        if (Length < FDPORT_HEADER_SIZE || Length > Adapter->Mtu + FDPORT_HEADER_SIZE)
            return FALSE;
    }
    return TRUE;
}

/*
 * Adds the NBL's frames to the transmit batch, flushing it when full. A
 * frame's bytes are used in place when contiguous, else copied to a bounce
 * buffer. Returns the NBL's status so far (SUCCESS until a flush says
 * otherwise, INVALID_LENGTH or INVALID_PACKET with no frame of it sent).
 */
static NDIS_STATUS FdportGatherNbl(PFDPORT_ADAPTER Adapter, PNET_BUFFER_LIST Nbl, PFDPORT_SEND_BATCH Sends)
{
    if (!FdportFramesFit(Adapter, Nbl))
        return NDIS_STATUS_INVALID_LENGTH;
    NET_BUFFER_LIST_STATUS(Nbl) = NDIS_STATUS_SUCCESS;
    for (PNET_BUFFER Nb = NET_BUFFER_LIST_FIRST_NB(Nbl); Nb != NULL; Nb = NET_BUFFER_NEXT_NB(Nb)) {
        PFDPORT_FRAME Frame;
        PVOID Data;

        if (Sends->FrameCount == FDPORT_BATCH)
            FdportFlushFrames(Adapter, Sends);
        Frame = &Adapter->Frames[Sends->FrameCount];
        Data = NdisGetDataBuffer(Nb, NET_BUFFER_DATA_LENGTH(Nb), Adapter->Bounce[Sends->FrameCount], 1, 0);
        if (Data == NULL) /* an MDL chain shorter than the data */
            return NDIS_STATUS_INVALID_PACKET;
        Frame->Data.iov_base = Data;
        Frame->Data.iov_len = NET_BUFFER_DATA_LENGTH(Nb);
        Frame->Nbl = Nbl;
        Sends->FrameCount++;
    }
    return NDIS_STATUS_SUCCESS;
}

/* Transmits every queued NBL and completes them, FDPORT_BATCH at a time. */
static VOID FdportTransmitChain(PFDPORT_ADAPTER Adapter, PNET_BUFFER_LIST Chain)
{
    FDPORT_SEND_BATCH Sends = {0};

    while (Chain != NULL) {
        PNET_BUFFER_LIST Nbl = Chain;
        NDIS_STATUS Status;

        Chain = NET_BUFFER_LIST_NEXT_NBL(Nbl);
        Status = FdportGatherNbl(Adapter, Nbl, &Sends);
        if (Status != NDIS_STATUS_SUCCESS) {
            NET_BUFFER_LIST_STATUS(Nbl) = Status;
            FdportCount(&Adapter->TransmitErrors, 1);
        }
        if (Sends.Head == NULL)
            Sends.Head = Nbl;
        else
            NET_BUFFER_LIST_NEXT_NBL(Sends.Tail) = Nbl;
        Sends.Tail = Nbl;
        if (++Sends.Count == FDPORT_BATCH) {
            FdportFlushFrames(Adapter, &Sends);
            FdportCompleteSends(Adapter, &Sends);
        }
    }
    FdportFlushFrames(Adapter, &Sends);
    FdportCompleteSends(Adapter, &Sends);
}

/* ====================================================================== */
/* Receive (the adapter's thread)                                          */
/* ====================================================================== */

/* Resets a recycled receive NBL to describe the frame received into its buffer. */
static VOID FdportPrepareReceive(PFDPORT_ADAPTER Adapter, PFDPORT_FRAME Frame)
{
    PNET_BUFFER_LIST Nbl = Frame->Nbl;
    PNET_BUFFER Nb = NET_BUFFER_LIST_FIRST_NB(Nbl);

    Nbl->SourceHandle = Adapter->MiniportAdapterHandle;
    Nbl->Flags = 0;
    Nbl->NblFlags = 0;
    NET_BUFFER_LIST_STATUS(Nbl) = NDIS_STATUS_SUCCESS;
    MpClearInfo(Nbl); /* keeps the pool's NetBufferListProtocolId */
    NET_BUFFER_DATA_OFFSET(Nb) = Frame->Offset; /* the unused headroom is back-fill */
    NET_BUFFER_CURRENT_MDL(Nb) = NET_BUFFER_FIRST_MDL(Nb);
    NET_BUFFER_CURRENT_MDL_OFFSET(Nb) = Frame->Offset;
    NET_BUFFER_DATA_LENGTH(Nb) = Frame->Length;
}

/*
 * Indicates the frames that arrived (Frames[0..Received)) and gives every
 * NBL not passed up back to the free list: frames to drop, buffers the
 * backend did not fill, and the whole batch after a RESOURCES indication.
 */
static VOID FdportIndicate(PFDPORT_ADAPTER Adapter, ULONG Taken, ULONG Received, BOOLEAN Resources)
{
    PNET_BUFFER_LIST Head = NULL, Tail = NULL, Unused = NULL;
    ULONG Count = 0;

    for (ULONG i = 0; i < Taken; i++) {
        PNET_BUFFER_LIST Nbl = Adapter->Frames[i].Nbl;
        ULONG Length = i < Received ? Adapter->Frames[i].Length : 0;

        if (Length < FDPORT_HEADER_SIZE) {
            FdportCount(&Adapter->ReceiveErrors, i < Received);
            NET_BUFFER_LIST_NEXT_NBL(Nbl) = Unused;
            Unused = Nbl;
            continue;
        }
        FdportPrepareReceive(Adapter, &Adapter->Frames[i]);
        if (Head == NULL)
            Head = Nbl;
        else
            NET_BUFFER_LIST_NEXT_NBL(Tail) = Nbl;
        Tail = Nbl;
        Count++;
    }
    if (Count != 0) {
        FdportCount(&Adapter->FramesReceived, Count);
        NdisMIndicateReceiveNetBufferLists(Adapter->MiniportAdapterHandle, Head, NDIS_DEFAULT_PORT_NUMBER, Count,
                                           Resources ? NDIS_RECEIVE_FLAGS_RESOURCES : 0);
        if (Resources)
            FdportPushFree(Adapter, Head);
    }
    FdportPushFree(Adapter, Unused);
}

/* One receive batch into receive NBLs; returns the frames the backend delivered. */
static ULONG FdportReceiveBatch(PFDPORT_ADAPTER Adapter)
{
    BOOLEAN Resources;
    ULONG Taken = FdportTakeReceives(Adapter, Adapter->Frames, &Resources);
    ULONG Received;

    if (Taken == 0) {
        FdportCount(&Adapter->ReceiveNoBuffer, 1);
        return 0;
    }
    Received = Adapter->Backend->Receive(Adapter, Adapter->Frames, Taken);
    FdportIndicate(Adapter, Taken, Received, Resources);
    return Received;
}

/* Reads and drops one batch of frames that arrived while not Running. */
static ULONG FdportDiscardBatch(PFDPORT_ADAPTER Adapter)
{
    ULONG Received;

    for (ULONG i = 0; i < FDPORT_BATCH; i++) {
        Adapter->Frames[i].Data.iov_base = Adapter->Bounce[i] + FDPORT_HEADROOM;
        Adapter->Frames[i].Data.iov_len = FDPORT_BUFFER_SIZE - FDPORT_HEADROOM;
        Adapter->Frames[i].Offset = FDPORT_HEADROOM;
    }
    Received = Adapter->Backend->Receive(Adapter, Adapter->Frames, FDPORT_BATCH);
    FdportCount(&Adapter->ReceiveDiscarded, Received);
    return Received;
}

/* Receives (or, not Running, discards) up to FDPORT_RECEIVE_BUDGET full batches. */
static VOID FdportReceive(PFDPORT_ADAPTER Adapter, BOOLEAN Running)
{
    for (ULONG Round = 0; Round < FDPORT_RECEIVE_BUDGET; Round++) {
        ULONG Received = Running ? FdportReceiveBatch(Adapter) : FdportDiscardBatch(Adapter);

        if (Received < FDPORT_BATCH)
            break;
    }
}

/* ====================================================================== */
/* The adapter's thread                                                    */
/* ====================================================================== */

/*
 * Takes the queued sends and the state, and marks the thread busy; finishes
 * a pending restart (from here on the thread indicates what it reads, so
 * no frame that arrives once the restart completed is discarded). Returns
 * FALSE when the adapter is halting. Caller does not hold Lock.
 */
static BOOLEAN FdportTakeWork(PFDPORT_ADAPTER Adapter, PNET_BUFFER_LIST *Sends, PBOOLEAN Running)
{
    BOOLEAN Halting, Restarted;

    pthread_mutex_lock(&Adapter->Lock);
    Adapter->Kicked = FALSE;
    Halting = Adapter->State == FdportHalting;
    Restarted = Adapter->State == FdportRestarting;
    if (Restarted)
        Adapter->State = FdportRunning;
    *Sends = Adapter->SendHead;
    Adapter->SendHead = Adapter->SendTail = NULL;
    *Running = Adapter->State == FdportRunning;
    Adapter->ThreadBusy = !Halting;
    pthread_mutex_unlock(&Adapter->Lock);
    if (Restarted)
        NdisMRestartComplete(Adapter->MiniportAdapterHandle, NDIS_STATUS_SUCCESS);
    return !Halting;
}

/*
 * Finishes a pause when nothing is left in flight: no queued send, the
 * thread idle and every receive NBL back. Caller holds Lock; returns TRUE
 * when the caller must call NdisMPauseComplete (after unlocking).
 */
BOOLEAN FdportPauseDoneLocked(PFDPORT_ADAPTER Adapter)
{
    if (Adapter->State != FdportPausing || Adapter->SendHead != NULL || Adapter->ThreadBusy ||
        Adapter->FreeReceiveCount != FDPORT_RECEIVE_COUNT)
        return FALSE;
    Adapter->State = FdportPaused;
    return TRUE;
}

/* Marks the thread idle, completes a pause that was waiting for it; returns whether receives starve. */
static BOOLEAN FdportFinishWork(PFDPORT_ADAPTER Adapter)
{
    BOOLEAN PauseDone, Starved;

    pthread_mutex_lock(&Adapter->Lock);
    Adapter->ThreadBusy = FALSE;
    PauseDone = FdportPauseDoneLocked(Adapter);
    Starved = Adapter->ReceiveStarved;
    pthread_mutex_unlock(&Adapter->Lock);
    if (PauseDone)
        NdisMPauseComplete(Adapter->MiniportAdapterHandle);
    return Starved;
}

/* Waits for the eventfd or for frames (unless starved of receive NBLs or detached); consumes a kick. */
static BOOLEAN FdportWait(PFDPORT_ADAPTER Adapter, BOOLEAN Starved)
{
    struct pollfd Fds[2] = {
        {Adapter->EventFd, POLLIN, 0},
        {Starved || Adapter->Detached ? -1 : Adapter->Fd, POLLIN, 0},
    };
    uint64_t Value;

    if (poll(Fds, 2, -1) < 0)
        return FALSE;
    if (Fds[0].revents & POLLIN)
        (void)!read(Adapter->EventFd, &Value, sizeof(Value));
    return (Fds[1].revents & (POLLIN | POLLERR)) != 0;
}

/* The adapter's thread: waits, transmits what was queued, receives what arrived. */
void *FdportThread(void *Context)
{
    PFDPORT_ADAPTER Adapter = Context;
    BOOLEAN Starved = FALSE;

    for (;;) {
        BOOLEAN Readable = FdportWait(Adapter, Starved);
        PNET_BUFFER_LIST Sends;
        BOOLEAN Running;

        if (!FdportTakeWork(Adapter, &Sends, &Running))
            break;
        if (Sends != NULL)
            FdportTransmitChain(Adapter, Sends);
        if (Readable)
            FdportReceive(Adapter, Running);
        Starved = FdportFinishWork(Adapter);
    }
    return NULL;
}

/* ====================================================================== */
/* Send and return handlers (called by NDIS on any thread)                  */
/* ====================================================================== */

/* Completes a whole chain at once with Status, on the caller's thread. */
static VOID FdportFailSends(PFDPORT_ADAPTER Adapter, PNET_BUFFER_LIST Chain, NDIS_STATUS Status, ULONG SendFlags)
{
    ULONG CompleteFlags = 0;

    for (PNET_BUFFER_LIST Nbl = Chain; Nbl != NULL; Nbl = NET_BUFFER_LIST_NEXT_NBL(Nbl))
        NET_BUFFER_LIST_STATUS(Nbl) = Status;
    if (NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags))
        NDIS_SET_SEND_COMPLETE_FLAG(CompleteFlags, NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL);
    NdisMSendNetBufferListsComplete(Adapter->MiniportAdapterHandle, Chain, CompleteFlags);
}

/*
 * MiniportSendNetBufferListsEx: queues the chain for the adapter's thread
 * (one lock for the whole chain) and wakes it. While not Running the chain
 * completes at once with NDIS_STATUS_PAUSED.
 */
_Use_decl_annotations_
VOID FdportSendNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferLists,
                                     NDIS_PORT_NUMBER PortNumber, ULONG SendFlags)
{
    PFDPORT_ADAPTER Adapter = MiniportAdapterContext;
    PNET_BUFFER_LIST Tail = NetBufferLists;
    BOOLEAN Kick;

    (void)PortNumber;
    if (NetBufferLists == NULL)
        return;
    while (NET_BUFFER_LIST_NEXT_NBL(Tail) != NULL)
        Tail = NET_BUFFER_LIST_NEXT_NBL(Tail);

    pthread_mutex_lock(&Adapter->Lock);
    if (Adapter->State != FdportRunning) {
        pthread_mutex_unlock(&Adapter->Lock);
        FdportFailSends(Adapter, NetBufferLists, NDIS_STATUS_PAUSED, SendFlags);
        return;
    }
    if (Adapter->SendHead == NULL)
        Adapter->SendHead = NetBufferLists;
    else
        NET_BUFFER_LIST_NEXT_NBL(Adapter->SendTail) = NetBufferLists;
    Adapter->SendTail = Tail;
    Kick = FdportNeedKickLocked(Adapter);
    pthread_mutex_unlock(&Adapter->Lock);
    if (Kick)
        FdportKick(Adapter);
}

/*
 * MiniportReturnNetBufferLists: receive NBLs come back (any thread). Wakes
 * the thread when it starved for them or when a pause waits for them.
 */
_Use_decl_annotations_
VOID FdportReturnNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferLists,
                                       ULONG ReturnFlags)
{
    PFDPORT_ADAPTER Adapter = MiniportAdapterContext;
    BOOLEAN Kick = FALSE;

    (void)ReturnFlags;
    pthread_mutex_lock(&Adapter->Lock);
    FdportPushFreeLocked(Adapter, NetBufferLists);
    if (Adapter->ReceiveStarved ||
        (Adapter->State == FdportPausing && Adapter->FreeReceiveCount == FDPORT_RECEIVE_COUNT)) {
        Adapter->ReceiveStarved = FALSE;
        Kick = FdportNeedKickLocked(Adapter);
    }
    pthread_mutex_unlock(&Adapter->Lock);
    if (Kick)
        FdportKick(Adapter);
}

/* MiniportCancelSend: queued sends go out within one wake of the thread; nothing to cancel. */
_Use_decl_annotations_
VOID FdportCancelSend(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId)
{
    (void)MiniportAdapterContext;
    (void)CancelId;
}
