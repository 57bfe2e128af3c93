/* SPDX-License-Identifier: MIT */
/*
 * The fd-port engine's data path (fdport.h): the send, return and cancel
 * handlers NDIS calls on any thread, and the adapter's thread, which
 * transmits what the send handler queued and receives what the backend
 * reads into the preallocated receive NBLs.
 *
 * Transmitting takes the adapter's transmit right (Transmitting, under the
 * lock), which owns SendFrames and SendBounce. A send takes it when it is
 * free and nothing is queued, transmits without blocking and completes in
 * its own context; where the descriptor would block it queues what is left
 * (SendResume says where the first NBL's unsent frames start), gives the
 * right back and wakes the thread. A send that finds the right taken or the
 * queue non-empty queues its chain behind. Whoever gives the right back
 * with sends queued makes sure the thread runs again, and the thread takes
 * the queue when the right is free: so the queue drains, and no frame of a
 * caller overtakes one it sent earlier.
 *
 * The thread sleeps in poll() on the eventfd and the frame descriptor. A
 * queued send, a return the thread was waiting for, a pause, a restart or a
 * halt writes the eventfd (once until the thread consumes it: Kicked). Each
 * round the thread takes the queued sends (with the transmit right) and the
 * state under the lock, transmits and completes the sends, receives up to
 * FDPORT_RECEIVE_BUDGET batches (or, not Running, reads and drops them),
 * then finishes a pause that waited for it.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <unistd.h>

#include "fdport.h"
#include "mphelp.h"

/* NBLs being transmitted: a prefix of the chain being sent, and the frames of theirs not yet transmitted. */
typedef struct _FDPORT_SEND_BATCH {
    PNET_BUFFER_LIST Head;  /* NBLs whose frames are all in SendFrames or sent; still linked to the rest */
    PNET_BUFFER_LIST Tail;
    ULONG Count;
    ULONG FrameCount;       /* Adapter->SendFrames[0..FrameCount) wait to be transmitted */
    BOOLEAN DontWait;       /* the caller's context: stop where the descriptor would block */
    PFDPORT_FRAME Blocked;  /* the first frame the descriptor would not take without blocking, or NULL */
    ULONG CompleteFlags;
    ULONG Rejected;         /* NBLs of the batch judged unsendable: transmit errors once they complete */
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
/* Transmit (the holder of the transmit right)                             */
/* ====================================================================== */

/* Completes the batch's NBLs to NDIS, in order; cuts them off what follows. Counts its rejected NBLs. */
static VOID FdportCompleteSends(PFDPORT_ADAPTER Adapter, PFDPORT_SEND_BATCH Sends)
{
    if (Sends->Count == 0)
        return;
    FdportCount(&Adapter->TransmitErrors, Sends->Rejected);
    Sends->Rejected = 0;
    NET_BUFFER_LIST_NEXT_NBL(Sends->Tail) = NULL;
    NdisMSendNetBufferListsComplete(Adapter->MiniportAdapterHandle, Sends->Head, Sends->CompleteFlags);
    Sends->Head = Sends->Tail = NULL;
    Sends->Count = 0;
}

/*
 * Transmits the frames gathered so far; a frame that failed sets its NBL's
 * status. Without blocking, the descriptor may take only some: Blocked
 * then points at the first it did not take.
 */
static VOID FdportFlushFrames(PFDPORT_ADAPTER Adapter, PFDPORT_SEND_BATCH Sends)
{
    PFDPORT_FRAME Frames = Adapter->SendFrames;
    ULONG Done, Failed = 0;

    if (Sends->FrameCount == 0)
        return;
    Done = Adapter->Backend->Transmit(Adapter, Frames, Sends->FrameCount, Sends->DontWait);
    for (ULONG i = 0; i < Done; i++) {
        if (Frames[i].Error == 0)
            continue;
        Failed++;
        if (NET_BUFFER_LIST_STATUS(Frames[i].Nbl) == NDIS_STATUS_SUCCESS)
            NET_BUFFER_LIST_STATUS(Frames[i].Nbl) = FdportTransmitStatus(Frames[i].Error);
    }
    FdportCount(&Adapter->FramesTransmitted, Done - Failed);
    FdportCount(&Adapter->TransmitErrors, Failed);
    if (Done < Sends->FrameCount)
        Sends->Blocked = &Frames[Done];
    Sends->FrameCount = 0;
}

/* True when the NB's MDL chain, from its current MDL and offset on, holds Length bytes. */
static BOOLEAN FdportDataPresent(PNET_BUFFER Nb, ULONG Length)
{
    ULONG64 Have = 0;
    ULONG Offset = NET_BUFFER_CURRENT_MDL_OFFSET(Nb);

    for (PMDL Mdl = NET_BUFFER_CURRENT_MDL(Nb); Mdl != NULL && Have < Length; Mdl = Mdl->Next) {
        ULONG Count = MmGetMdlByteCount(Mdl);

        Have += Count > Offset ? Count - Offset : 0;
        Offset = Offset > Count ? Offset - Count : 0;
    }
    return Have >= Length;
}

/*
 * Whether every frame of the NBL can go: each an Ethernet frame that fits
 * the MTU (else INVALID_LENGTH) and whose bytes its MDLs hold (else
 * INVALID_PACKET). Judged before any frame of it is queued, so an NBL
 * that cannot go sends nothing.
 */
static NDIS_STATUS FdportJudgeNbl(PFDPORT_ADAPTER Adapter, PNET_BUFFER_LIST Nbl)
{
    for (PNET_BUFFER Nb = NET_BUFFER_LIST_FIRST_NB(Nbl); Nb != NULL; Nb = NET_BUFFER_NEXT_NB(Nb)) {
        ULONG Length = NET_BUFFER_DATA_LENGTH(Nb);

        if (Length < FDPORT_HEADER_SIZE || Length > Adapter->Mtu + FDPORT_HEADER_SIZE)
            return NDIS_STATUS_INVALID_LENGTH;
    }
    for (PNET_BUFFER Nb = NET_BUFFER_LIST_FIRST_NB(Nbl); Nb != NULL; Nb = NET_BUFFER_NEXT_NB(Nb))
        if (!FdportDataPresent(Nb, NET_BUFFER_DATA_LENGTH(Nb)))
            return NDIS_STATUS_INVALID_PACKET;
    return NDIS_STATUS_SUCCESS;
}

/*
 * A frame's bytes: in place when they lie in the NB's current MDL (what
 * NdisGetDataBuffer answers, without the call: this runs for every frame),
 * else NdisGetDataBuffer's copy into Bounce; NULL for an MDL chain shorter
 * than the data.
 */
static PVOID FdportFrameData(PNET_BUFFER Nb, ULONG Length, PVOID Bounce)
{
    PMDL Mdl = NET_BUFFER_CURRENT_MDL(Nb);
    ULONG Offset = NET_BUFFER_CURRENT_MDL_OFFSET(Nb);

    if (Mdl != NULL && Offset < MmGetMdlByteCount(Mdl) && MmGetMdlByteCount(Mdl) - Offset >= Length)
        return (PUCHAR)MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority) + Offset;
    return NdisGetDataBuffer(Nb, Length, Bounce, 1, 0);
}

/*
 * Adds the NBL's frames, from First on (NULL: all of them, the NBL judged
 * by FdportJudgeNbl and its status reset), to the transmit batch, flushing
 * it when full and stopping where a flush was Blocked. A frame's bytes are
 * used in place when contiguous, else copied to a bounce buffer. Returns
 * the NBL's status so far (SUCCESS until a flush says otherwise, or
 * FdportJudgeNbl's INVALID_LENGTH or INVALID_PACKET with no frame of it
 * queued).
 */
static NDIS_STATUS FdportGatherNbl(PFDPORT_ADAPTER Adapter, PNET_BUFFER_LIST Nbl, PNET_BUFFER First,
                                   PFDPORT_SEND_BATCH Sends)
{
    if (First == NULL) {
        NDIS_STATUS Verdict = FdportJudgeNbl(Adapter, Nbl);

        if (Verdict != NDIS_STATUS_SUCCESS)
            return Verdict;
        NET_BUFFER_LIST_STATUS(Nbl) = NDIS_STATUS_SUCCESS;
        First = NET_BUFFER_LIST_FIRST_NB(Nbl);
    }
    for (PNET_BUFFER Nb = First; Nb != NULL; Nb = NET_BUFFER_NEXT_NB(Nb)) {
        PFDPORT_FRAME Frame;
        PVOID Data;

        if (Sends->FrameCount == FDPORT_BATCH) {
            FdportFlushFrames(Adapter, Sends);
            if (Sends->Blocked != NULL)
                break;
        }
        Frame = &Adapter->SendFrames[Sends->FrameCount];
        Data = FdportFrameData(Nb, NET_BUFFER_DATA_LENGTH(Nb), Adapter->SendBounce[Sends->FrameCount]);
        if (Data == NULL) /* FdportJudgeNbl found the bytes present: cannot happen */
            return NDIS_STATUS_INVALID_PACKET;
        Frame->Data.iov_base = Data;
        Frame->Data.iov_len = NET_BUFFER_DATA_LENGTH(Nb);
        Frame->Nbl = Nbl;
        Frame->Nb = Nb;
        Sends->FrameCount++;
    }
    return NDIS_STATUS_SUCCESS;
}

/*
 * Whether the gathering judged the NBL unsendable (FdportTransmitChain set
 * its status). Only for an NBL after a blocked frame's: none of its frames
 * was tried, so no frame error can have set these statuses.
 */
static BOOLEAN FdportWasRejected(PNET_BUFFER_LIST Nbl)
{
    NDIS_STATUS Status = NET_BUFFER_LIST_STATUS(Nbl);

    return Status == NDIS_STATUS_INVALID_LENGTH || Status == NDIS_STATUS_INVALID_PACKET;
}

/*
 * After a Blocked flush: completes the batch's NBLs before the blocked
 * frame's, and returns that NBL, still linked to the rest of the chain.
 * The rejected NBLs behind it go back with it and are judged again when
 * it resumes: they are not counted now.
 */
static PNET_BUFFER_LIST FdportSplitBlocked(PFDPORT_ADAPTER Adapter, PFDPORT_SEND_BATCH Sends)
{
    PNET_BUFFER_LIST Rest = Sends->Blocked->Nbl;
    PNET_BUFFER_LIST Last = NULL;
    BOOLEAN Behind = FALSE;

    /* Rest is in the batch, or is the NBL being gathered, linked behind its tail. */
    for (PNET_BUFFER_LIST Nbl = Sends->Head; Sends->Count != 0; Nbl = NET_BUFFER_LIST_NEXT_NBL(Nbl)) {
        if (Nbl == Rest)
            Behind = TRUE;
        else if (!Behind)
            Last = Nbl;
        else
            Sends->Rejected -= FdportWasRejected(Nbl);
        if (Nbl == Sends->Tail)
            break;
    }
    if (Last == NULL)
        return Rest; /* the batch's first NBL: nothing to complete (and nothing rejected before it) */
    Sends->Tail = Last;
    FdportCompleteSends(Adapter, Sends);
    return Rest;
}

/*
 * Transmits a chain and completes its NBLs, FDPORT_BATCH at a time, with
 * Sends->CompleteFlags; *Resume: where the first NBL's unsent frames start
 * (NULL: at its first). Returns NULL when all went, or, when Sends->DontWait
 * and the descriptor would block, the NBLs not completed (linked, in order),
 * *Resume set for the first of them. The caller holds the transmit right.
 */
static PNET_BUFFER_LIST FdportTransmitChain(PFDPORT_ADAPTER Adapter, PNET_BUFFER_LIST Chain,
                                            PFDPORT_SEND_BATCH Sends, PNET_BUFFER *Resume)
{
    PNET_BUFFER First = *Resume;

    while (Chain != NULL && Sends->Blocked == NULL) {
        PNET_BUFFER_LIST Nbl = Chain;
        NDIS_STATUS Status = FdportGatherNbl(Adapter, Nbl, First, Sends);

        First = NULL;
        if (Sends->Blocked != NULL)
            break;
        if (Status == NDIS_STATUS_INVALID_LENGTH || Status == NDIS_STATUS_INVALID_PACKET) {
            NET_BUFFER_LIST_STATUS(Nbl) = Status;
            Sends->Rejected++; /* counted when it completes (FdportCompleteSends) */
        }
        Chain = NET_BUFFER_LIST_NEXT_NBL(Nbl);
        if (Sends->Head == NULL)
            Sends->Head = Nbl;
        Sends->Tail = Nbl;
        if (++Sends->Count == FDPORT_BATCH) {
            FdportFlushFrames(Adapter, Sends);
            if (Sends->Blocked == NULL)
                FdportCompleteSends(Adapter, Sends);
        }
    }
    if (Sends->Blocked == NULL)
        FdportFlushFrames(Adapter, Sends);
    if (Sends->Blocked != NULL) {
        *Resume = Sends->Blocked->Nb;
        return FdportSplitBlocked(Adapter, Sends);
    }
    FdportCompleteSends(Adapter, Sends);
    *Resume = NULL;
    return NULL;
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
        PNET_BUFFER_LIST Nbl = Adapter->ReceiveFrames[i].Nbl;
        ULONG Length = i < Received ? Adapter->ReceiveFrames[i].Length : 0;

        if (Length < FDPORT_HEADER_SIZE) {
            FdportCount(&Adapter->ReceiveErrors, i < Received);
            NET_BUFFER_LIST_NEXT_NBL(Nbl) = Unused;
            Unused = Nbl;
            continue;
        }
        FdportPrepareReceive(Adapter, &Adapter->ReceiveFrames[i]);
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
    ULONG Taken = FdportTakeReceives(Adapter, Adapter->ReceiveFrames, &Resources);
    ULONG Received;

    if (Taken == 0) {
        FdportCount(&Adapter->ReceiveNoBuffer, 1);
        return 0;
    }
    Received = Adapter->Backend->Receive(Adapter, Adapter->ReceiveFrames, Taken);
    FdportIndicate(Adapter, Taken, Received, Resources);
    return Received;
}

/* Reads and drops one batch of frames that arrived while not Running, all into the same buffer. */
static ULONG FdportDiscardBatch(PFDPORT_ADAPTER Adapter)
{
    ULONG Received;

    for (ULONG i = 0; i < FDPORT_BATCH; i++) {
        Adapter->ReceiveFrames[i].Data.iov_base = Adapter->Discard + FDPORT_HEADROOM;
        Adapter->ReceiveFrames[i].Data.iov_len = FDPORT_BUFFER_SIZE - FDPORT_HEADROOM;
        Adapter->ReceiveFrames[i].Offset = FDPORT_HEADROOM;
    }
    Received = Adapter->Backend->Receive(Adapter, Adapter->ReceiveFrames, FDPORT_BATCH);
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

/* What one round of the thread took under the lock. */
typedef struct _FDPORT_WORK {
    PNET_BUFFER_LIST Sends; /* queued sends, with the transmit right; NULL: none taken */
    PNET_BUFFER Resume;     /* where the first of them resumes (SendResume) */
    BOOLEAN Running;
} FDPORT_WORK, *PFDPORT_WORK;

/*
 * Takes the queued sends (with the transmit right, when it is free) and
 * the state, and marks the thread busy; finishes a pending restart (from
 * here on the thread indicates what it reads, so no frame that arrives once
 * the restart completed is discarded). Returns FALSE when the adapter is
 * halting. Caller does not hold Lock.
 */
static BOOLEAN FdportTakeWork(PFDPORT_ADAPTER Adapter, PFDPORT_WORK Work)
{
    BOOLEAN Halting, Restarted;

    pthread_mutex_lock(&Adapter->Lock);
    Adapter->Kicked = FALSE;
    Halting = Adapter->State == FdportHalting;
    Restarted = Adapter->State == FdportRestarting;
    if (Restarted)
        Adapter->State = FdportRunning;
    Work->Sends = NULL;
    if (Adapter->SendHead != NULL && !Adapter->Transmitting && !Halting) {
        Adapter->Transmitting = TRUE;
        Work->Sends = Adapter->SendHead;
        Work->Resume = Adapter->SendResume;
        Adapter->SendHead = Adapter->SendTail = NULL;
        Adapter->SendResume = NULL;
    }
    Work->Running = Adapter->State == FdportRunning;
    Adapter->ThreadBusy = !Halting;
    pthread_mutex_unlock(&Adapter->Lock);
    if (Restarted)
        NdisMRestartComplete(Adapter->MiniportAdapterHandle, NDIS_STATUS_SUCCESS);
    return !Halting;
}

/*
 * Finishes a pause when nothing is left in flight: no queued send, nobody
 * transmitting, the thread idle and every receive NBL back. Caller holds
 * Lock; returns TRUE when the caller must call NdisMPauseComplete (after
 * unlocking).
 */
BOOLEAN FdportPauseDoneLocked(PFDPORT_ADAPTER Adapter)
{
    if (Adapter->State != FdportPausing || Adapter->SendHead != NULL || Adapter->Transmitting ||
        Adapter->ThreadBusy || Adapter->FreeReceiveCount != FDPORT_RECEIVE_COUNT)
        return FALSE;
    Adapter->State = FdportPaused;
    return TRUE;
}

/*
 * Marks the thread idle, gives back the transmit right it took, completes a
 * pause that was waiting for it. *Again: sends were queued meanwhile (the
 * next round must not sleep). Returns whether receives starve.
 */
static BOOLEAN FdportFinishWork(PFDPORT_ADAPTER Adapter, const FDPORT_WORK *Work, PBOOLEAN Again)
{
    BOOLEAN PauseDone, Starved;

    pthread_mutex_lock(&Adapter->Lock);
    Adapter->ThreadBusy = FALSE;
    if (Work->Sends != NULL)
        Adapter->Transmitting = FALSE;
    *Again = Adapter->SendHead != NULL && !Adapter->Transmitting;
    PauseDone = FdportPauseDoneLocked(Adapter);
    Starved = Adapter->ReceiveStarved;
    pthread_mutex_unlock(&Adapter->Lock);
    if (PauseDone)
        NdisMPauseComplete(Adapter->MiniportAdapterHandle);
    return Starved;
}

/*
 * Waits for the eventfd or for frames (unless starved of receive NBLs or
 * detached), or only looks when Again; consumes a kick.
 */
static BOOLEAN FdportWait(PFDPORT_ADAPTER Adapter, BOOLEAN Starved, BOOLEAN Again)
{
    struct pollfd Fds[2] = {
        {Adapter->EventFd, POLLIN, 0},
        {Starved || Adapter->Detached ? -1 : Adapter->Fd, POLLIN, 0},
    };
    uint64_t Value;

    if (poll(Fds, 2, Again ? 0 : -1) < 0)
        return FALSE;
    if (Fds[0].revents & POLLIN)
        (void)!read(Adapter->EventFd, &Value, sizeof(Value));
    return (Fds[1].revents & (POLLIN | POLLERR)) != 0;
}

/* The adapter's thread: waits, transmits what was queued, receives what arrived. */
void *FdportThread(void *Context)
{
    PFDPORT_ADAPTER Adapter = Context;
    BOOLEAN Starved = FALSE, Again = FALSE;

    for (;;) {
        BOOLEAN Readable = FdportWait(Adapter, Starved, Again);
        FDPORT_WORK Work;

        if (!FdportTakeWork(Adapter, &Work))
            break;
        if (Work.Sends != NULL) {
            FDPORT_SEND_BATCH Sends = {0}; /* blocking: takes the whole chain */

            (void)FdportTransmitChain(Adapter, Work.Sends, &Sends, &Work.Resume);
        }
        if (Readable)
            FdportReceive(Adapter, Work.Running);
        Starved = FdportFinishWork(Adapter, &Work, &Again);
    }
    return NULL;
}

/* ====================================================================== */
/* Send and return handlers (called by NDIS on any thread)                  */
/* ====================================================================== */

/* The completion flags for sends completed in the context of a send with SendFlags. */
static ULONG FdportCompleteFlagsFor(ULONG SendFlags)
{
    ULONG CompleteFlags = 0;

    if (NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags))
        NDIS_SET_SEND_COMPLETE_FLAG(CompleteFlags, NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL);
    return CompleteFlags;
}

/* Completes a whole chain at once with Status, on the caller's thread. */
static VOID FdportFailSends(PFDPORT_ADAPTER Adapter, PNET_BUFFER_LIST Chain, NDIS_STATUS Status, ULONG SendFlags)
{
    for (PNET_BUFFER_LIST Nbl = Chain; Nbl != NULL; Nbl = NET_BUFFER_LIST_NEXT_NBL(Nbl))
        NET_BUFFER_LIST_STATUS(Nbl) = Status;
    NdisMSendNetBufferListsComplete(Adapter->MiniportAdapterHandle, Chain, FdportCompleteFlagsFor(SendFlags));
}

/* The last NBL of a chain. */
static PNET_BUFFER_LIST FdportChainTail(PNET_BUFFER_LIST Chain)
{
    while (NET_BUFFER_LIST_NEXT_NBL(Chain) != NULL)
        Chain = NET_BUFFER_LIST_NEXT_NBL(Chain);
    return Chain;
}

/*
 * Puts the NBLs a send in the caller's context left (Rest, the first
 * resuming at Resume) at the head of the queue: ahead of what others
 * queued meanwhile, which it was sent before. Caller holds Lock.
 */
static VOID FdportRequeueLocked(PFDPORT_ADAPTER Adapter, PNET_BUFFER_LIST Rest, PNET_BUFFER Resume)
{
    PNET_BUFFER_LIST Tail = FdportChainTail(Rest);

    NET_BUFFER_LIST_NEXT_NBL(Tail) = Adapter->SendHead;
    if (Adapter->SendHead == NULL)
        Adapter->SendTail = Tail;
    Adapter->SendHead = Rest;
    Adapter->SendResume = Resume;
}

/*
 * Transmits a chain in the caller's context, without blocking, and
 * completes what went; queues what the descriptor would not take. The
 * caller took the transmit right, and it is given back here; the thread is
 * woken when sends are queued or a pause may be waiting for this one.
 */
static VOID FdportSendInline(PFDPORT_ADAPTER Adapter, PNET_BUFFER_LIST Chain, ULONG SendFlags)
{
    FDPORT_SEND_BATCH Sends = {0};
    PNET_BUFFER Resume = NULL;
    PNET_BUFFER_LIST Rest;
    BOOLEAN Kick = FALSE;

    Sends.DontWait = TRUE;
    Sends.CompleteFlags = FdportCompleteFlagsFor(SendFlags);
    Rest = FdportTransmitChain(Adapter, Chain, &Sends, &Resume);

    pthread_mutex_lock(&Adapter->Lock);
    Adapter->Transmitting = FALSE;
    if (Rest != NULL)
        FdportRequeueLocked(Adapter, Rest, Resume);
    if (Adapter->SendHead != NULL || Adapter->State == FdportPausing)
        Kick = FdportNeedKickLocked(Adapter);
    pthread_mutex_unlock(&Adapter->Lock);
    if (Kick)
        FdportKick(Adapter);
}

/*
 * Queues a chain for the thread (one lock for the whole chain), waking it
 * unless the transmit right's holder will; completes it with
 * NDIS_STATUS_PAUSED if the adapter stopped Running meanwhile.
 */
static VOID FdportQueueSends(PFDPORT_ADAPTER Adapter, PNET_BUFFER_LIST Chain, ULONG SendFlags)
{
    PNET_BUFFER_LIST Tail = FdportChainTail(Chain); /* outside the lock: the chain is ours */
    BOOLEAN Kick = FALSE;

    pthread_mutex_lock(&Adapter->Lock);
    if (Adapter->State != FdportRunning) {
        pthread_mutex_unlock(&Adapter->Lock);
        FdportFailSends(Adapter, Chain, NDIS_STATUS_PAUSED, SendFlags);
        return;
    }
    if (Adapter->SendHead == NULL)
        Adapter->SendHead = Chain;
    else
        NET_BUFFER_LIST_NEXT_NBL(Adapter->SendTail) = Chain;
    Adapter->SendTail = Tail;
    if (!Adapter->Transmitting)
        Kick = FdportNeedKickLocked(Adapter);
    pthread_mutex_unlock(&Adapter->Lock);
    if (Kick)
        FdportKick(Adapter);
}

/*
 * MiniportSendNetBufferListsEx: transmits and completes the chain in the
 * caller's context when the transmit right is free and nothing is queued;
 * otherwise queues it for the adapter's thread. While not Running the chain
 * completes at once with NDIS_STATUS_PAUSED.
 */
_Use_decl_annotations_
VOID FdportSendNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferLists,
                              NDIS_PORT_NUMBER PortNumber, ULONG SendFlags)
{
    PFDPORT_ADAPTER Adapter = MiniportAdapterContext;
    BOOLEAN Running, Inline;

    (void)PortNumber;
    if (NetBufferLists == NULL)
        return;
    pthread_mutex_lock(&Adapter->Lock);
    Running = Adapter->State == FdportRunning;
    Inline = Running && Adapter->SendHead == NULL && !Adapter->Transmitting;
    if (Inline)
        Adapter->Transmitting = TRUE;
    pthread_mutex_unlock(&Adapter->Lock);
    if (!Running)
        FdportFailSends(Adapter, NetBufferLists, NDIS_STATUS_PAUSED, SendFlags);
    else if (Inline)
        FdportSendInline(Adapter, NetBufferLists, SendFlags);
    else
        FdportQueueSends(Adapter, NetBufferLists, SendFlags);
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
