/* SPDX-License-Identifier: MIT */
/*
 * loopback.c: the loopback miniport, ndisbuf's in-process Ethernet adapter
 * and its example miniport driver, written the way a Windows NDIS 6
 * miniport is written, against <ndis.h> only.
 *
 * Every frame sent down (each NET_BUFFER of each NET_BUFFER_LIST) comes
 * back up as a received copy, in an NBL of the adapter's own receive pool;
 * the send completes with NDIS_STATUS_SUCCESS. Frames shorter than an
 * Ethernet header or longer than MTU + header complete with
 * NDIS_STATUS_INVALID_LENGTH and come back as nothing.
 *
 * The data path runs where the adapter's "DataPath" keyword says
 * (ndisbuf_stack_add_adapter_ex; read once, at initialize):
 *
 *  - 0, the default: on the adapter's own thread, so every send completion
 *    and receive indication crosses threads the way a NIC's DPC on another
 *    processor does:
 *
 *      MiniportSendNetBufferListsEx --queue (one lock per call)--> thread
 *      thread: copy each frame into a receive NBL, indicate (up to 64 per
 *              call), then complete the sends (up to 64 per call)
 *      MiniportReturnNetBufferLists (any thread) --free list--> thread
 *
 *  - 1: in the sender's context, the way a DPC queued on the sending
 *    processor runs as soon as the send handler drops back below
 *    DISPATCH_LEVEL: MiniportSendNetBufferListsEx itself copies, indicates
 *    and completes, so the receive indications and the send completion
 *    reach the drivers above before NdisSendNetBufferLists returns, on the
 *    same thread, and nothing crosses CPUs. A send made from inside that
 *    (a receive handler that answers at once) is not looped back inside
 *    it: it waits on the thread's deferred queue and goes when the outer
 *    send is done, as a DPC queued from a DPC runs after it, so an echo
 *    loop cannot grow the stack. The thread then only completes pauses.
 *
 * Receive NBLs are allocated once, at initialize, and recycled, with
 * context back-fill for the layers above (mphelp.h): the data path makes no
 * allocation and no system call per frame. Idle, the thread polls for work
 * for LOOPBACK_SPIN_TIME before it sleeps, so a steady stream of sends
 * costs no wake-up. When fewer than
 * an eighth of them are free, a batch is indicated with
 * NDIS_RECEIVE_FLAGS_RESOURCES, so it is ours again as soon as the
 * indication returns and the pool cannot run dry because an overlying
 * driver holds on to what it got.
 *
 * Pause: sends already queued complete with NDIS_STATUS_PAUSED (a looped
 * frame could not be indicated any more), new ones at once with the same
 * status, and the pause completes (NdisMPauseComplete, from the adapter's
 * thread) once every indicated NBL is back.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <ndis.h>

#include "mphelp.h" /* OID answers and receive pools, shared with fdport */

#define LOOPBACK_MTU 1500
#define LOOPBACK_HEADER_SIZE 14 /* destination, source, EtherType */
#define LOOPBACK_MAX_FRAME (LOOPBACK_MTU + LOOPBACK_HEADER_SIZE)
#define LOOPBACK_BUFFER_SIZE 1536 /* data bytes of one receive NBL */
#define LOOPBACK_RECEIVE_COUNT 1024 /* receive NBLs per adapter */
#define LOOPBACK_LOW_WATER (LOOPBACK_RECEIVE_COUNT / 8)
#define LOOPBACK_BATCH 64 /* NBLs per indication and per send completion */
#define LOOPBACK_LINK_SPEED 10000000000ULL /* a nominal 10 Gbit/s */
#define LOOPBACK_SPIN_TIME 200 /* 100 ns units (20 us): how long the idle thread polls for work before it sleeps */
#define LOOPBACK_CACHE_LINE 64
#define LOOPBACK_MULTICAST_LIST_SIZE 32
#define LOOPBACK_POOL_TAG ((ULONG)'L' | ((ULONG)'o' << 8) | ((ULONG)'o' << 16) | ((ULONG)'p' << 24))

#define LOOPBACK_PACKET_FILTERS                                                                     \
    (NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST | NDIS_PACKET_TYPE_ALL_MULTICAST |       \
     NDIS_PACKET_TYPE_BROADCAST | NDIS_PACKET_TYPE_PROMISCUOUS)

/* Where the data path runs: the values of the "DataPath" keyword. */
typedef enum _LOOPBACK_DATA_PATH {
    LoopbackDataPathThread = 0, /* the adapter's own thread (the default) */
    LoopbackDataPathInline = 1  /* the sender's context */
} LOOPBACK_DATA_PATH;

#define LOOPBACK_KEYWORD_DATA_PATH "DataPath" /* as NDIS_STRING_CONST("DataPath") reads it */

typedef enum _LOOPBACK_STATE {
    LoopbackPaused,
    LoopbackRunning,
    LoopbackPausing,
    LoopbackHalting
} LOOPBACK_STATE;

typedef struct _LOOPBACK_ADAPTER {
    NDIS_HANDLE MiniportAdapterHandle;
    UCHAR MacAddress[6];
    ULONG PacketFilter;
    ULONG Lookahead;
    NDIS_HANDLE ReceivePool;
    LOOPBACK_DATA_PATH DataPath; /* set at initialize, read-only after */
    pthread_t Thread;

    /* What senders, returns and the thread share: a cache line of its own. */
    _Alignas(LOOPBACK_CACHE_LINE) pthread_mutex_t Lock;
    pthread_cond_t Wake;
    /* Under Lock. */
    LOOPBACK_STATE State;
    BOOLEAN ThreadWaiting;          /* the thread sleeps on Wake */
    BOOLEAN ThreadBusy;             /* the thread holds sends or receive NBLs */
    ULONG InlineSends;              /* DataPath 1: sends accepted and not yet completed */
    PNET_BUFFER_LIST SendHead;      /* queued sends, linked by Next */
    PNET_BUFFER_LIST SendTail;
    ULONG FreeReceiveCount;
    /* Set (under Lock) whenever the thread has something to do; the spinning thread reads it without. */
    _Atomic BOOLEAN WorkQueued;
    /*
     * Receive NBLs we own, a stack of FreeReceiveCount (under Lock): an
     * array, not a list through the NBLs, so that taking a batch reads no
     * NBL and the thread knows every address before it touches the NBL.
     */
    PNET_BUFFER_LIST FreeReceives[LOOPBACK_RECEIVE_COUNT];

    /*
     * Statistics: added to once per batch (by the thread, or by every
     * sender with DataPath 1), read by OID queries; on a line of their own
     * so that these writes do not take the shared line away from the
     * senders.
     */
    _Alignas(LOOPBACK_CACHE_LINE) _Atomic ULONG64 FramesTransmitted;
    _Atomic ULONG64 FramesReceived;
    _Atomic ULONG64 TransmitErrors;
    _Atomic ULONG64 ReceiveNoBuffer;
} LOOPBACK_ADAPTER, *PLOOPBACK_ADAPTER;

/* Receive NBLs the thread holds while it fills and indicates a batch. */
typedef struct _LOOPBACK_RECEIVE_BATCH {
    PNET_BUFFER_LIST Spares[LOOPBACK_BATCH]; /* taken from the free list, not yet filled: a stack */
    ULONG SpareCount;
    PNET_BUFFER_LIST Head;    /* filled, waiting to be indicated */
    PNET_BUFFER_LIST Tail;
    ULONG Count;
    BOOLEAN Resources;        /* indicate with NDIS_RECEIVE_FLAGS_RESOURCES */
    ULONG DispatchFlag;       /* NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL when the data path runs at DISPATCH_LEVEL, or 0 */
} LOOPBACK_RECEIVE_BATCH, *PLOOPBACK_RECEIVE_BATCH;

/* Sends the thread has taken, completed LOOPBACK_BATCH at a time. */
typedef struct _LOOPBACK_SEND_BATCH {
    PNET_BUFFER_LIST Head;
    PNET_BUFFER_LIST Tail;
    ULONG Count;
    ULONG Transmitted;        /* NBLs looped back, added to the statistics with the completion */
    ULONG Errors;
    ULONG CompleteFlags;      /* NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL when the data path runs at DISPATCH_LEVEL, or 0 */
} LOOPBACK_SEND_BATCH, *PLOOPBACK_SEND_BATCH;

static MINIPORT_INITIALIZE LoopbackInitializeEx;
static MINIPORT_HALT LoopbackHaltEx;
static MINIPORT_PAUSE LoopbackPause;
static MINIPORT_RESTART LoopbackRestart;
static MINIPORT_OID_REQUEST LoopbackOidRequest;
static MINIPORT_SEND_NET_BUFFER_LISTS LoopbackSendNetBufferLists;
static MINIPORT_RETURN_NET_BUFFER_LISTS LoopbackReturnNetBufferLists;
static MINIPORT_CANCEL_SEND LoopbackCancelSend;
static MINIPORT_SHUTDOWN LoopbackShutdownEx;
static MINIPORT_CANCEL_OID_REQUEST LoopbackCancelOidRequest;

static const NDIS_OID LoopbackSupportedOids[] = {
    OID_GEN_SUPPORTED_LIST,        OID_GEN_HARDWARE_STATUS,      OID_GEN_MEDIA_SUPPORTED,
    OID_GEN_MEDIA_IN_USE,          OID_GEN_PHYSICAL_MEDIUM,      OID_GEN_MAXIMUM_FRAME_SIZE,
    OID_GEN_MAXIMUM_TOTAL_SIZE,    OID_GEN_MAXIMUM_LOOKAHEAD,    OID_GEN_CURRENT_LOOKAHEAD,
    OID_GEN_LINK_SPEED,            OID_GEN_MEDIA_CONNECT_STATUS, OID_GEN_LINK_STATE,
    OID_GEN_CURRENT_PACKET_FILTER, OID_GEN_MAC_OPTIONS,          OID_GEN_XMIT_OK,
    OID_GEN_RCV_OK,                OID_GEN_XMIT_ERROR,           OID_GEN_RCV_NO_BUFFER,
    OID_802_3_PERMANENT_ADDRESS,   OID_802_3_CURRENT_ADDRESS,    OID_802_3_MAXIMUM_LIST_SIZE,
    OID_802_3_MULTICAST_LIST,
};

/*
 * Adds to a statistics counter, once per batch. Senders on several threads
 * add at once when the data path is theirs (DataPath 1), so it is an
 * atomic add: one per batch of up to LOOPBACK_BATCH frames.
 */
static VOID LoopbackCount(_Atomic ULONG64 *Counter, ULONG64 Amount)
{
    atomic_fetch_add_explicit(Counter, Amount, memory_order_relaxed);
}

/* ====================================================================== */
/* Receive NBLs: the free list                                             */
/* ====================================================================== */

/*
 * Pushes a chain of receive NBLs back on the free list. Caller holds Lock.
 * Only our own NBLs come back, so the stack cannot overflow; if it would
 * (a driver above returned an NBL twice), the extra ones are not kept.
 */
static VOID LoopbackPushFreeLocked(PLOOPBACK_ADAPTER Adapter, PNET_BUFFER_LIST Chain)
{
    ULONG Count = Adapter->FreeReceiveCount;

    for (; Chain != NULL && Count < LOOPBACK_RECEIVE_COUNT; Chain = NET_BUFFER_LIST_NEXT_NBL(Chain))
        Adapter->FreeReceives[Count++] = Chain;
    Adapter->FreeReceiveCount = Count;
}

/* Gives the batch's unused spares back to the free list. Caller holds Lock. */
static VOID LoopbackPushSparesLocked(PLOOPBACK_ADAPTER Adapter, PLOOPBACK_RECEIVE_BATCH Batch)
{
    for (ULONG i = 0; i < Batch->SpareCount && Adapter->FreeReceiveCount < LOOPBACK_RECEIVE_COUNT; i++)
        Adapter->FreeReceives[Adapter->FreeReceiveCount++] = Batch->Spares[i];
    Batch->SpareCount = 0;
}

/*
 * Moves up to LOOPBACK_BATCH free receive NBLs to the batch's (empty)
 * spares and decides whether this batch goes up with
 * NDIS_RECEIVE_FLAGS_RESOURCES: yes when taking them leaves fewer than
 * LOOPBACK_LOW_WATER free.
 */
static VOID LoopbackTakeSpares(PLOOPBACK_ADAPTER Adapter, PLOOPBACK_RECEIVE_BATCH Batch)
{
    ULONG Taken;

    pthread_mutex_lock(&Adapter->Lock);
    Taken = Adapter->FreeReceiveCount < LOOPBACK_BATCH ? Adapter->FreeReceiveCount : LOOPBACK_BATCH;
    Adapter->FreeReceiveCount -= Taken;
    NdisMoveMemory(Batch->Spares, &Adapter->FreeReceives[Adapter->FreeReceiveCount],
                   Taken * sizeof(PNET_BUFFER_LIST));
    Batch->SpareCount = Taken;
    Batch->Resources = Adapter->FreeReceiveCount < LOOPBACK_LOW_WATER;
    pthread_mutex_unlock(&Adapter->Lock);
}

/* Allocates the adapter's receive NBLs, each with its own NB, MDL and data. */
static NDIS_STATUS LoopbackAllocateReceives(PLOOPBACK_ADAPTER Adapter)
{
    Adapter->ReceivePool = MpAllocateReceivePool(Adapter->MiniportAdapterHandle, LOOPBACK_POOL_TAG, LOOPBACK_BUFFER_SIZE);
    if (Adapter->ReceivePool == NULL)
        return NDIS_STATUS_RESOURCES;
    for (ULONG i = 0; i < LOOPBACK_RECEIVE_COUNT; i++) {
        PNET_BUFFER_LIST Nbl = MpAllocateReceiveNbl(Adapter->ReceivePool);

        if (Nbl == NULL)
            return NDIS_STATUS_RESOURCES; /* the caller frees what was allocated */
        Adapter->FreeReceives[Adapter->FreeReceiveCount++] = Nbl; /* no other thread yet */
    }
    return NDIS_STATUS_SUCCESS;
}

/* Frees every receive NBL (all must be back on the free list) and the pool. */
static VOID LoopbackFreeReceives(PLOOPBACK_ADAPTER Adapter)
{
    for (ULONG i = 0; i < Adapter->FreeReceiveCount; i++) {
        NET_BUFFER_LIST_NEXT_NBL(Adapter->FreeReceives[i]) = NULL;
        NdisFreeNetBufferList(Adapter->FreeReceives[i]);
    }
    Adapter->FreeReceiveCount = 0;
    if (Adapter->ReceivePool != NULL)
        NdisFreeNetBufferListPool(Adapter->ReceivePool); /* reports NBLs never returned */
    Adapter->ReceivePool = NULL;
}

/* ====================================================================== */
/* The data path (the adapter's thread)                                    */
/* ====================================================================== */

/* Gives the filled receive NBLs to NDIS; RESOURCES ones come straight back as spares. */
static VOID LoopbackIndicateBatch(PLOOPBACK_ADAPTER Adapter, PLOOPBACK_RECEIVE_BATCH Batch)
{
    ULONG Flags = (Batch->Resources ? NDIS_RECEIVE_FLAGS_RESOURCES : 0) | Batch->DispatchFlag;

    if (Batch->Count == 0)
        return;
    LoopbackCount(&Adapter->FramesReceived, Batch->Count);
    NdisMIndicateReceiveNetBufferLists(Adapter->MiniportAdapterHandle, Batch->Head, NDIS_DEFAULT_PORT_NUMBER,
                                       Batch->Count, Flags);
    if (Batch->Resources) {
        /*
         * Ours again, back to the spares. A batch is made only of spares
         * taken since the last LoopbackTakeSpares, so the two together
         * never exceed LOOPBACK_BATCH: there is room for all of it.
         */
        for (PNET_BUFFER_LIST Nbl = Batch->Head; Nbl != NULL; Nbl = NET_BUFFER_LIST_NEXT_NBL(Nbl))
            Batch->Spares[Batch->SpareCount++] = Nbl;
    }
    Batch->Head = Batch->Tail = NULL;
    Batch->Count = 0;
}

/* A spare receive NBL, indicating the full batch first when the spares ran out; NULL if none is free. */
static PNET_BUFFER_LIST LoopbackNextReceive(PLOOPBACK_ADAPTER Adapter, PLOOPBACK_RECEIVE_BATCH Batch)
{
    PNET_BUFFER_LIST Nbl;

    if (Batch->SpareCount == 0) {
        LoopbackIndicateBatch(Adapter, Batch);
        if (Batch->SpareCount == 0)
            LoopbackTakeSpares(Adapter, Batch);
        if (Batch->SpareCount == 0)
            return NULL;
    }
    Nbl = Batch->Spares[--Batch->SpareCount];
    NET_BUFFER_LIST_NEXT_NBL(Nbl) = NULL;
    return Nbl;
}

/* Resets a recycled receive NBL to describe Length bytes from the start of its buffer. */
static VOID LoopbackPrepareReceive(PLOOPBACK_ADAPTER Adapter, PNET_BUFFER_LIST Nbl, ULONG Length)
{
    PNET_BUFFER Nb = NET_BUFFER_LIST_FIRST_NB(Nbl);

    Nbl->SourceHandle = Adapter->MiniportAdapterHandle;
    Nbl->Flags = 0;
    Nbl->NblFlags = 0;
    NET_BUFFER_LIST_STATUS(Nbl) = NDIS_STATUS_SUCCESS;
    MpClearInfo(Nbl); /* keeps the pool's NetBufferListProtocolId */
    NET_BUFFER_DATA_OFFSET(Nb) = 0;
    NET_BUFFER_CURRENT_MDL(Nb) = NET_BUFFER_FIRST_MDL(Nb);
    NET_BUFFER_CURRENT_MDL_OFFSET(Nb) = 0;
    NET_BUFFER_DATA_LENGTH(Nb) = Length;
}

/*
 * Copies a frame into a receive NB (its one MDL, big enough for any frame
 * that fits) and returns the bytes copied. A frame in one MDL, the usual
 * case, is one memcpy; one spread over several goes MDL by MDL.
 */
static ULONG LoopbackCopyFrame(PNET_BUFFER Receive, PNET_BUFFER Nb, ULONG Length)
{
    PMDL Mdl = NET_BUFFER_CURRENT_MDL(Nb);
    ULONG Offset = NET_BUFFER_CURRENT_MDL_OFFSET(Nb);
    ULONG Copied = 0;

    if (Mdl != NULL && Offset <= MmGetMdlByteCount(Mdl) && MmGetMdlByteCount(Mdl) - Offset >= Length) {
        NdisMoveMemory(MmGetSystemAddressForMdlSafe(NET_BUFFER_FIRST_MDL(Receive), NormalPagePriority),
                       (PUCHAR)MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority) + Offset, Length);
        return Length;
    }
    NdisCopyFromNetBufferToNetBuffer(Receive, 0, Length, Nb, 0, &Copied);
    return Copied;
}

/* True when every frame of the NBL is an Ethernet frame that fits the MTU. */
static BOOLEAN LoopbackFramesFit(PNET_BUFFER_LIST Nbl)
{
    for (PNET_BUFFER Nb = NET_BUFFER_LIST_FIRST_NB(Nbl); Nb != NULL; Nb = NET_BUFFER_NEXT_NB(Nb)) {
        ULONG Length = NET_BUFFER_DATA_LENGTH(Nb);

        if (Length < LOOPBACK_HEADER_SIZE || Length > LOOPBACK_MAX_FRAME)
            return FALSE;
    }
    return TRUE;
}

/*
 * Loops one sent NBL back: a received copy of each of its frames joins the
 * batch. Returns the send's status: SUCCESS, or INVALID_LENGTH when a frame
 * does not fit (then nothing of it comes back), or RESOURCES when the
 * receive NBLs ran out (the frames before that one did come back).
 */
static NDIS_STATUS LoopbackLoopNbl(PLOOPBACK_ADAPTER Adapter, PNET_BUFFER_LIST SendNbl,
                                   PLOOPBACK_RECEIVE_BATCH Batch)
{
    if (!LoopbackFramesFit(SendNbl))
        return NDIS_STATUS_INVALID_LENGTH;

    for (PNET_BUFFER Nb = NET_BUFFER_LIST_FIRST_NB(SendNbl); Nb != NULL; Nb = NET_BUFFER_NEXT_NB(Nb)) {
        PNET_BUFFER_LIST Receive = LoopbackNextReceive(Adapter, Batch);
        ULONG Length = NET_BUFFER_DATA_LENGTH(Nb);
        ULONG Copied = 0;

        if (Receive == NULL) {
            LoopbackCount(&Adapter->ReceiveNoBuffer, 1);
            return NDIS_STATUS_RESOURCES;
        }
        LoopbackPrepareReceive(Adapter, Receive, Length);
        Copied = LoopbackCopyFrame(NET_BUFFER_LIST_FIRST_NB(Receive), Nb, Length);
        if (Copied != Length) { /* an NB whose MDL chain is shorter than its data */
            Batch->Spares[Batch->SpareCount++] = Receive; /* it was the last one taken */
            return NDIS_STATUS_INVALID_PACKET;
        }
        if (Batch->Head == NULL)
            Batch->Head = Receive;
        else
            NET_BUFFER_LIST_NEXT_NBL(Batch->Tail) = Receive;
        Batch->Tail = Receive;
        Batch->Count++;
    }
    return NDIS_STATUS_SUCCESS;
}

/* Completes the batch's sends to NDIS, in order. */
static VOID LoopbackCompleteSends(PLOOPBACK_ADAPTER Adapter, PLOOPBACK_SEND_BATCH Sends)
{
    if (Sends->Count == 0)
        return;
    if (Sends->Transmitted != 0)
        LoopbackCount(&Adapter->FramesTransmitted, Sends->Transmitted);
    if (Sends->Errors != 0)
        LoopbackCount(&Adapter->TransmitErrors, Sends->Errors);
    NET_BUFFER_LIST_NEXT_NBL(Sends->Tail) = NULL;
    NdisMSendNetBufferListsComplete(Adapter->MiniportAdapterHandle, Sends->Head, Sends->CompleteFlags);
    Sends->Head = Sends->Tail = NULL;
    Sends->Count = Sends->Transmitted = Sends->Errors = 0;
}

/* Adds a send whose status is set to the batch; a full batch is completed. */
static VOID LoopbackQueueCompletion(PLOOPBACK_ADAPTER Adapter, PLOOPBACK_SEND_BATCH Sends,
                                    PLOOPBACK_RECEIVE_BATCH Batch, PNET_BUFFER_LIST Nbl)
{
    if (Sends->Head == NULL)
        Sends->Head = Nbl;
    else
        NET_BUFFER_LIST_NEXT_NBL(Sends->Tail) = Nbl;
    Sends->Tail = Nbl;
    if (++Sends->Count == LOOPBACK_BATCH) {
        /* Receives first: once a send completes, its copy has been indicated. */
        LoopbackIndicateBatch(Adapter, Batch);
        LoopbackCompleteSends(Adapter, Sends);
    }
}

/*
 * Sent NBLs were last written on the sender's CPU, so each first read here
 * misses, and a chain is a list: NBL, then its NB, then its MDL, then the
 * frame, each address known only once the one before is in. While one NBL
 * is looped back, each of the four after it is fetched one step further
 * down that path than on the iteration before (the 4th: its NBL; the 3rd:
 * its NB; the 2nd: its MDL; the 1st: its frame), so the misses overlap
 * instead of coming one after another. Prefetches are hints: they never
 * fault and change nothing.
 */
#define LOOPBACK_PREFETCH(Address) PreFetchCacheLine(PF_TEMPORAL_LEVEL_1, (Address))
/* For writing: no documented WDK macro asks for the line in an exclusive state, so GCC's builtin. */
#define LOOPBACK_PREFETCH_WRITE(Address) __builtin_prefetch((Address), 1, 3)
#define LOOPBACK_LOOKAHEAD_DEPTH 4

typedef struct _LOOPBACK_LOOKAHEAD {
    PNET_BUFFER_LIST Next[LOOPBACK_LOOKAHEAD_DEPTH]; /* the NBLs after the current one, or NULL */
    BOOLEAN Prefetch; /* FALSE in the sender's context (DataPath 1): it just wrote those lines on this CPU */
} LOOPBACK_LOOKAHEAD, *PLOOPBACK_LOOKAHEAD;

static VOID LoopbackLookaheadStart(PLOOPBACK_LOOKAHEAD Ahead, PNET_BUFFER_LIST Chain, BOOLEAN Prefetch)
{
    Ahead->Prefetch = Prefetch;
    for (ULONG i = 0; i < LOOPBACK_LOOKAHEAD_DEPTH; i++) {
        Ahead->Next[i] = Chain;
        Chain = Chain != NULL ? NET_BUFFER_LIST_NEXT_NBL(Chain) : NULL;
    }
}

/* The frame's first MDL, or NULL (an NB without data). */
static PMDL LoopbackFirstMdl(PNET_BUFFER_LIST Nbl)
{
    PNET_BUFFER Nb = NET_BUFFER_LIST_FIRST_NB(Nbl);

    return Nb != NULL ? NET_BUFFER_CURRENT_MDL(Nb) : NULL;
}

/* Takes the next NBL to loop back (NULL at the end) and moves each one after it a step further in. */
static PNET_BUFFER_LIST LoopbackLookaheadNext(PLOOPBACK_LOOKAHEAD Ahead)
{
    PNET_BUFFER_LIST Nbl = Ahead->Next[0], Last = Ahead->Next[LOOPBACK_LOOKAHEAD_DEPTH - 1];
    PMDL Mdl;

    for (ULONG i = 0; i + 1 < LOOPBACK_LOOKAHEAD_DEPTH; i++)
        Ahead->Next[i] = Ahead->Next[i + 1];
    Ahead->Next[LOOPBACK_LOOKAHEAD_DEPTH - 1] = Last != NULL ? NET_BUFFER_LIST_NEXT_NBL(Last) : NULL;
    if (!Ahead->Prefetch)
        return Nbl;
    if (Ahead->Next[LOOPBACK_LOOKAHEAD_DEPTH - 1] != NULL)
        LOOPBACK_PREFETCH(Ahead->Next[LOOPBACK_LOOKAHEAD_DEPTH - 1]);
    if (Ahead->Next[2] != NULL)
        LOOPBACK_PREFETCH(NET_BUFFER_LIST_FIRST_NB(Ahead->Next[2]));
    if (Ahead->Next[1] != NULL) {
        LOOPBACK_PREFETCH_WRITE(&NET_BUFFER_LIST_STATUS(Ahead->Next[1]));
        if ((Mdl = LoopbackFirstMdl(Ahead->Next[1])) != NULL)
            LOOPBACK_PREFETCH(Mdl);
    }
    if (Ahead->Next[0] != NULL && (Mdl = LoopbackFirstMdl(Ahead->Next[0])) != NULL)
        LOOPBACK_PREFETCH((PUCHAR)Mdl->MappedSystemVa +
                          NET_BUFFER_CURRENT_MDL_OFFSET(NET_BUFFER_LIST_FIRST_NB(Ahead->Next[0])));
    return Nbl;
}

/*
 * Processes a chain of sends (the thread's, or one sender's with DataPath
 * 1): loops each back when Running, fails it with NDIS_STATUS_PAUSED
 * otherwise; indicates and completes in batches, with the DISPATCH_LEVEL
 * flags when AtDispatch. The receive spares it did not use stay in Batch
 * (which the caller starts empty).
 */
static VOID LoopbackTransmit(PLOOPBACK_ADAPTER Adapter, PNET_BUFFER_LIST Chain, BOOLEAN Running,
                             BOOLEAN AtDispatch, PLOOPBACK_RECEIVE_BATCH Batch)
{
    LOOPBACK_SEND_BATCH Sends = {0};
    LOOPBACK_LOOKAHEAD Ahead;
    PNET_BUFFER_LIST Nbl;

    Batch->DispatchFlag = AtDispatch ? NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL : 0;
    Sends.CompleteFlags = AtDispatch ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0;

    LoopbackLookaheadStart(&Ahead, Chain, Adapter->DataPath == LoopbackDataPathThread);
    while ((Nbl = LoopbackLookaheadNext(&Ahead)) != NULL) {
        NDIS_STATUS Status = NDIS_STATUS_PAUSED;

        if (Running)
            Status = LoopbackLoopNbl(Adapter, Nbl, Batch);
        if (Status == NDIS_STATUS_SUCCESS)
            Sends.Transmitted++;
        else
            Sends.Errors++;
        NET_BUFFER_LIST_STATUS(Nbl) = Status;
        LoopbackQueueCompletion(Adapter, &Sends, Batch, Nbl);
    }
    LoopbackIndicateBatch(Adapter, Batch);
    LoopbackCompleteSends(Adapter, &Sends);
}

/* True when a pause waits for nothing more than the thread: every send done, every receive NBL back. Caller holds Lock. */
static BOOLEAN LoopbackPauseReadyLocked(PLOOPBACK_ADAPTER Adapter)
{
    return Adapter->State == LoopbackPausing && Adapter->FreeReceiveCount == LOOPBACK_RECEIVE_COUNT &&
           Adapter->InlineSends == 0;
}

/* True when the thread has something to do. Caller holds Lock. */
static BOOLEAN LoopbackHasWorkLocked(PLOOPBACK_ADAPTER Adapter)
{
    if (Adapter->State == LoopbackHalting || Adapter->SendHead != NULL)
        return TRUE;
    return LoopbackPauseReadyLocked(Adapter);
}

/*
 * Finishes a pause when nothing is left in flight: no queued send, the
 * thread idle and every receive NBL back. Caller holds Lock; returns TRUE
 * when the caller must call NdisMPauseComplete (after unlocking).
 */
static BOOLEAN LoopbackPauseDoneLocked(PLOOPBACK_ADAPTER Adapter)
{
    if (!LoopbackPauseReadyLocked(Adapter) || Adapter->SendHead != NULL || Adapter->ThreadBusy)
        return FALSE;
    Adapter->State = LoopbackPaused;
    return TRUE;
}

/*
 * Polls WorkQueued for up to LOOPBACK_SPIN_TIME without the lock: a sender
 * that comes back within it finds the thread awake, and neither side pays
 * for a sleep and a wake-up (a futex call each and two context switches).
 */
static VOID LoopbackSpin(PLOOPBACK_ADAPTER Adapter)
{
    ULONGLONG Deadline = KeQueryInterruptTime() + LOOPBACK_SPIN_TIME;

    for (;;) {
        for (ULONG i = 0; i < 64; i++) {
            if (atomic_load_explicit(&Adapter->WorkQueued, memory_order_relaxed))
                return;
            YieldProcessor();
        }
        if (KeQueryInterruptTime() >= Deadline)
            return;
    }
}

/* Waits until the thread has something to do: spins first, then sleeps on Wake. Caller holds Lock. */
static VOID LoopbackWaitForWorkLocked(PLOOPBACK_ADAPTER Adapter)
{
    BOOLEAN Spun = FALSE;

    while (!LoopbackHasWorkLocked(Adapter)) {
        atomic_store_explicit(&Adapter->WorkQueued, FALSE, memory_order_relaxed);
        if (!Spun) {
            pthread_mutex_unlock(&Adapter->Lock);
            LoopbackSpin(Adapter);
            pthread_mutex_lock(&Adapter->Lock);
            Spun = TRUE;
            continue;
        }
        Adapter->ThreadWaiting = TRUE;
        pthread_cond_wait(&Adapter->Wake, &Adapter->Lock);
        Adapter->ThreadWaiting = FALSE;
    }
}

/* The adapter's thread: takes the queued sends, loops them back, completes pauses. */
static void *LoopbackThread(void *Context)
{
    PLOOPBACK_ADAPTER Adapter = Context;

    pthread_mutex_lock(&Adapter->Lock);
    for (;;) {
        PNET_BUFFER_LIST Chain;
        LOOPBACK_RECEIVE_BATCH Batch;
        BOOLEAN Running;

        LoopbackWaitForWorkLocked(Adapter);
        if (Adapter->State == LoopbackHalting)
            break;
        if (LoopbackPauseDoneLocked(Adapter)) {
            pthread_mutex_unlock(&Adapter->Lock);
            NdisMPauseComplete(Adapter->MiniportAdapterHandle);
            pthread_mutex_lock(&Adapter->Lock);
            continue;
        }
        Chain = Adapter->SendHead;
        Adapter->SendHead = Adapter->SendTail = NULL;
        Running = Adapter->State == LoopbackRunning;
        Adapter->ThreadBusy = TRUE;
        pthread_mutex_unlock(&Adapter->Lock);

        NdisZeroMemory(&Batch, sizeof(Batch));
        LoopbackTransmit(Adapter, Chain, Running, FALSE, &Batch);

        pthread_mutex_lock(&Adapter->Lock);
        LoopbackPushSparesLocked(Adapter, &Batch);
        Adapter->ThreadBusy = FALSE;
    }
    pthread_mutex_unlock(&Adapter->Lock);
    return NULL;
}

/* Tells the thread there is work: a spinning thread sees the flag, a sleeping one is woken. Caller holds Lock. */
static VOID LoopbackWakeLocked(PLOOPBACK_ADAPTER Adapter)
{
    atomic_store_explicit(&Adapter->WorkQueued, TRUE, memory_order_relaxed);
    if (Adapter->ThreadWaiting)
        pthread_cond_signal(&Adapter->Wake);
}

/* ====================================================================== */
/* DataPath 1: the data path in the sender's context                       */
/* ====================================================================== */

/*
 * Sends made on this thread while it runs an inline data path (a driver
 * above that sends from its receive or send-completion handler), in order,
 * linked by Next. The first NBL of each send names its adapter in
 * MiniportReserved[0] and carries its SendFlags in MiniportReserved[1]
 * (both the miniport's while it owns the NBL; the rest have NULL there).
 * The outermost inline send takes them once its own chain is done.
 */
static __thread BOOLEAN LoopbackInlineRunning;
static __thread PNET_BUFFER_LIST LoopbackDeferredHead, LoopbackDeferredTail;

/* Loops an accepted send back on the sender's thread and completes it: one send of InlineSends done. */
static VOID LoopbackTransmitInline(PLOOPBACK_ADAPTER Adapter, PNET_BUFFER_LIST Chain, ULONG SendFlags)
{
    LOOPBACK_RECEIVE_BATCH Batch;

    NdisZeroMemory(&Batch, sizeof(Batch));
    LoopbackTransmit(Adapter, Chain, TRUE, NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags), &Batch);
    pthread_mutex_lock(&Adapter->Lock);
    LoopbackPushSparesLocked(Adapter, &Batch);
    Adapter->InlineSends--;
    if (LoopbackPauseReadyLocked(Adapter))
        LoopbackWakeLocked(Adapter); /* the thread completes the pause */
    pthread_mutex_unlock(&Adapter->Lock);
}

/* Puts an accepted send (Chain .. Tail) at the end of this thread's deferred queue. */
static VOID LoopbackDefer(PLOOPBACK_ADAPTER Adapter, PNET_BUFFER_LIST Chain, PNET_BUFFER_LIST Tail,
                          ULONG SendFlags)
{
    for (PNET_BUFFER_LIST Nbl = Chain; Nbl != NULL; Nbl = NET_BUFFER_LIST_NEXT_NBL(Nbl))
        Nbl->MiniportReserved[0] = Nbl->MiniportReserved[1] = NULL;
    Chain->MiniportReserved[0] = Adapter;
    Chain->MiniportReserved[1] = (PVOID)(ULONG_PTR)SendFlags;
    if (LoopbackDeferredHead == NULL)
        LoopbackDeferredHead = Chain;
    else
        NET_BUFFER_LIST_NEXT_NBL(LoopbackDeferredTail) = Chain;
    LoopbackDeferredTail = Tail;
}

/* Takes the first deferred send off the queue: its chain (Next-terminated) in *Chain, its adapter and flags. */
static PLOOPBACK_ADAPTER LoopbackTakeDeferred(PNET_BUFFER_LIST *Chain, PULONG SendFlags)
{
    PNET_BUFFER_LIST Head = LoopbackDeferredHead, Last = Head;
    PLOOPBACK_ADAPTER Adapter = Head->MiniportReserved[0];

    while (NET_BUFFER_LIST_NEXT_NBL(Last) != NULL && NET_BUFFER_LIST_NEXT_NBL(Last)->MiniportReserved[0] == NULL)
        Last = NET_BUFFER_LIST_NEXT_NBL(Last);
    LoopbackDeferredHead = NET_BUFFER_LIST_NEXT_NBL(Last);
    if (LoopbackDeferredHead == NULL)
        LoopbackDeferredTail = NULL;
    NET_BUFFER_LIST_NEXT_NBL(Last) = NULL;
    *SendFlags = (ULONG)(ULONG_PTR)Head->MiniportReserved[1];
    Head->MiniportReserved[0] = Head->MiniportReserved[1] = NULL;
    *Chain = Head;
    return Adapter;
}

/*
 * Runs an accepted send's data path in the caller's context, then every
 * send deferred meanwhile on this thread (for any inline adapter), in
 * order. Called from inside one, it only defers.
 */
static VOID LoopbackSendInline(PLOOPBACK_ADAPTER Adapter, PNET_BUFFER_LIST Chain, PNET_BUFFER_LIST Tail,
                               ULONG SendFlags)
{
    if (LoopbackInlineRunning) {
        LoopbackDefer(Adapter, Chain, Tail, SendFlags);
        return;
    }
    LoopbackInlineRunning = TRUE;
    LoopbackTransmitInline(Adapter, Chain, SendFlags);
    while (LoopbackDeferredHead != NULL) {
        Adapter = LoopbackTakeDeferred(&Chain, &SendFlags);
        LoopbackTransmitInline(Adapter, Chain, SendFlags);
    }
    LoopbackInlineRunning = FALSE;
}

/* ====================================================================== */
/* Send and return handlers (called by NDIS on any thread)                  */
/* ====================================================================== */

/* Completes a whole chain at once with Status, on the caller's thread. */
static VOID LoopbackFailSends(PLOOPBACK_ADAPTER Adapter, PNET_BUFFER_LIST Chain, NDIS_STATUS Status,
                              ULONG SendFlags)
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
 * (one lock for the whole chain), or with DataPath 1 loops it back and
 * completes it here. While not Running the chain completes at once with
 * NDIS_STATUS_PAUSED.
 */
_Use_decl_annotations_
static VOID LoopbackSendNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferLists,
                                       NDIS_PORT_NUMBER PortNumber, ULONG SendFlags)
{
    PLOOPBACK_ADAPTER Adapter = MiniportAdapterContext;
    PNET_BUFFER_LIST Tail = NetBufferLists;

    (void)PortNumber;
    if (NetBufferLists == NULL)
        return;
    while (NET_BUFFER_LIST_NEXT_NBL(Tail) != NULL)
        Tail = NET_BUFFER_LIST_NEXT_NBL(Tail);

    pthread_mutex_lock(&Adapter->Lock);
    if (Adapter->State != LoopbackRunning) {
        pthread_mutex_unlock(&Adapter->Lock);
        LoopbackFailSends(Adapter, NetBufferLists, NDIS_STATUS_PAUSED, SendFlags);
        return;
    }
    if (Adapter->DataPath == LoopbackDataPathInline) {
        Adapter->InlineSends++; /* a pause now waits for it */
        pthread_mutex_unlock(&Adapter->Lock);
        LoopbackSendInline(Adapter, NetBufferLists, Tail, SendFlags);
        return;
    }
    if (Adapter->SendHead == NULL)
        Adapter->SendHead = NetBufferLists;
    else
        NET_BUFFER_LIST_NEXT_NBL(Adapter->SendTail) = NetBufferLists;
    Adapter->SendTail = Tail;
    LoopbackWakeLocked(Adapter);
    pthread_mutex_unlock(&Adapter->Lock);
}

/*
 * MiniportReturnNetBufferLists: receive NBLs come back (any thread, maybe
 * from inside the indication, maybe in several calls). Wakes the thread
 * when a pause was waiting for them.
 */
_Use_decl_annotations_
static VOID LoopbackReturnNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferLists,
                                         ULONG ReturnFlags)
{
    PLOOPBACK_ADAPTER Adapter = MiniportAdapterContext;

    (void)ReturnFlags;
    pthread_mutex_lock(&Adapter->Lock);
    LoopbackPushFreeLocked(Adapter, NetBufferLists);
    if (LoopbackPauseReadyLocked(Adapter))
        LoopbackWakeLocked(Adapter);
    pthread_mutex_unlock(&Adapter->Lock);
}

/* MiniportCancelSend: sends never wait long enough in the queue to be worth cancelling. */
_Use_decl_annotations_
static VOID LoopbackCancelSend(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId)
{
    (void)MiniportAdapterContext;
    (void)CancelId;
}

/* ====================================================================== */
/* OID requests                                                            */
/* ====================================================================== */

/* The link state: always connected, full duplex. */
static VOID LoopbackLinkState(PNDIS_LINK_STATE LinkState)
{
    NdisZeroMemory(LinkState, sizeof(*LinkState));
    LinkState->Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    LinkState->Header.Revision = NDIS_LINK_STATE_REVISION_1;
    LinkState->Header.Size = NDIS_SIZEOF_LINK_STATE_REVISION_1;
    LinkState->MediaConnectState = MediaConnectStateConnected;
    LinkState->MediaDuplexState = MediaDuplexStateFull;
    LinkState->XmitLinkSpeed = LOOPBACK_LINK_SPEED;
    LinkState->RcvLinkSpeed = LOOPBACK_LINK_SPEED;
    LinkState->PauseFunctions = NdisPauseFunctionsUnsupported;
}

/* Answers the OIDs whose value is one ULONG; NDIS_STATUS_NOT_SUPPORTED for any other. */
static NDIS_STATUS LoopbackQueryUlong(PLOOPBACK_ADAPTER Adapter, PNDIS_OID_REQUEST Request)
{
    ULONG Value;

    switch (Request->DATA.QUERY_INFORMATION.Oid) {
    case OID_GEN_HARDWARE_STATUS: Value = NdisHardwareStatusReady; break;
    case OID_GEN_MEDIA_SUPPORTED:
    case OID_GEN_MEDIA_IN_USE: Value = NdisMedium802_3; break;
    case OID_GEN_PHYSICAL_MEDIUM: Value = NdisPhysicalMediumUnspecified; break;
    case OID_GEN_MAXIMUM_FRAME_SIZE: Value = LOOPBACK_MTU; break;
    case OID_GEN_MAXIMUM_TOTAL_SIZE: Value = LOOPBACK_MAX_FRAME; break;
    case OID_GEN_MAXIMUM_LOOKAHEAD: Value = LOOPBACK_MTU; break;
    case OID_GEN_CURRENT_LOOKAHEAD: Value = Adapter->Lookahead; break;
    case OID_GEN_LINK_SPEED: Value = (ULONG)(LOOPBACK_LINK_SPEED / 100); break; /* in 100 bit/s */
    case OID_GEN_MEDIA_CONNECT_STATUS: Value = NdisMediaStateConnected; break;
    case OID_GEN_CURRENT_PACKET_FILTER: Value = Adapter->PacketFilter; break;
    case OID_GEN_MAC_OPTIONS: Value = NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA | NDIS_MAC_OPTION_TRANSFERS_NOT_PEND |
                                      NDIS_MAC_OPTION_FULL_DUPLEX; break;
    case OID_802_3_MAXIMUM_LIST_SIZE: Value = LOOPBACK_MULTICAST_LIST_SIZE; break;
    default: return NDIS_STATUS_NOT_SUPPORTED;
    }
    return MpAnswerQuery(Request, &Value, sizeof(Value));
}

/* MiniportOidRequest, query side. */
static NDIS_STATUS LoopbackQuery(PLOOPBACK_ADAPTER Adapter, PNDIS_OID_REQUEST Request)
{
    NDIS_LINK_STATE LinkState;

    switch (Request->DATA.QUERY_INFORMATION.Oid) {
    case OID_GEN_SUPPORTED_LIST:
        return MpAnswerQuery(Request, LoopbackSupportedOids, sizeof(LoopbackSupportedOids));
    case OID_802_3_PERMANENT_ADDRESS:
    case OID_802_3_CURRENT_ADDRESS:
        return MpAnswerQuery(Request, Adapter->MacAddress, sizeof(Adapter->MacAddress));
    case OID_GEN_LINK_STATE:
        LoopbackLinkState(&LinkState);
        return MpAnswerQuery(Request, &LinkState, sizeof(LinkState));
    case OID_GEN_XMIT_OK: return MpAnswerCounter(Request, &Adapter->FramesTransmitted);
    case OID_GEN_RCV_OK: return MpAnswerCounter(Request, &Adapter->FramesReceived);
    case OID_GEN_XMIT_ERROR: return MpAnswerCounter(Request, &Adapter->TransmitErrors);
    case OID_GEN_RCV_NO_BUFFER: return MpAnswerCounter(Request, &Adapter->ReceiveNoBuffer);
    default: return LoopbackQueryUlong(Adapter, Request);
    }
}

/*
 * MiniportOidRequest, set side: the packet filter (remembered; the loopback
 * indicates every frame whatever it says), the lookahead and the multicast
 * list (accepted, up to LOOPBACK_MULTICAST_LIST_SIZE addresses).
 */
static NDIS_STATUS LoopbackSet(PLOOPBACK_ADAPTER Adapter, PNDIS_OID_REQUEST Request)
{
    ULONG Value = 0;
    ULONG Length = Request->DATA.SET_INFORMATION.InformationBufferLength;
    NDIS_STATUS Status;

    switch (Request->DATA.SET_INFORMATION.Oid) {
    case OID_GEN_CURRENT_PACKET_FILTER:
        Status = MpReadUlong(Request, &Value);
        if (Status == NDIS_STATUS_SUCCESS && (Value & ~LOOPBACK_PACKET_FILTERS) != 0)
            return NDIS_STATUS_NOT_SUPPORTED;
        if (Status == NDIS_STATUS_SUCCESS)
            Adapter->PacketFilter = Value;
        return Status;
    case OID_GEN_CURRENT_LOOKAHEAD:
        Status = MpReadUlong(Request, &Value);
        if (Status == NDIS_STATUS_SUCCESS && Value > LOOPBACK_MTU)
            return NDIS_STATUS_INVALID_DATA;
        if (Status == NDIS_STATUS_SUCCESS)
            Adapter->Lookahead = Value;
        return Status;
    case OID_802_3_MULTICAST_LIST:
        if (Length % 6 != 0 || Length / 6 > LOOPBACK_MULTICAST_LIST_SIZE)
            return Length % 6 != 0 ? NDIS_STATUS_INVALID_LENGTH : NDIS_STATUS_MULTICAST_FULL;
        Request->DATA.SET_INFORMATION.BytesRead = Length;
        return NDIS_STATUS_SUCCESS;
    default:
        return NDIS_STATUS_NOT_SUPPORTED;
    }
}

/* MiniportOidRequest: every request is answered at once (never pends). */
_Use_decl_annotations_
static NDIS_STATUS LoopbackOidRequest(NDIS_HANDLE MiniportAdapterContext, PNDIS_OID_REQUEST OidRequest)
{
    PLOOPBACK_ADAPTER Adapter = MiniportAdapterContext;

    switch (OidRequest->RequestType) {
    case NdisRequestQueryInformation:
    case NdisRequestQueryStatistics:
        return LoopbackQuery(Adapter, OidRequest);
    case NdisRequestSetInformation:
        return LoopbackSet(Adapter, OidRequest);
    default:
        return NDIS_STATUS_NOT_SUPPORTED;
    }
}

/* MiniportCancelOidRequest: nothing pends, so nothing to cancel. */
_Use_decl_annotations_
static VOID LoopbackCancelOidRequest(NDIS_HANDLE MiniportAdapterContext, PVOID RequestId)
{
    (void)MiniportAdapterContext;
    (void)RequestId;
}

/* ====================================================================== */
/* Initialize, pause, restart, halt                                        */
/* ====================================================================== */

/* First attributes: names the adapter context every later handler gets. */
static NDIS_STATUS LoopbackSetRegistrationAttributes(PLOOPBACK_ADAPTER Adapter)
{
    NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES Attributes;

    NdisZeroMemory(&Attributes, sizeof(Attributes));
    Attributes.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
    Attributes.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    Attributes.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    Attributes.MiniportAdapterContext = Adapter;
    Attributes.AttributeFlags = 0;
    Attributes.CheckForHangTimeInSeconds = 0;
    Attributes.InterfaceType = NdisInterfaceInternal;
    return NdisMSetMiniportAttributes(Adapter->MiniportAdapterHandle,
                                      (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&Attributes);
}

/* Second attributes: an Ethernet adapter, MTU 1500, no back-fill needed. */
static NDIS_STATUS LoopbackSetGeneralAttributes(PLOOPBACK_ADAPTER Adapter)
{
    NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES General;

    NdisZeroMemory(&General, sizeof(General));
    General.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
    General.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
    General.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
    General.MediaType = NdisMedium802_3;
    General.PhysicalMediumType = NdisPhysicalMediumUnspecified;
    General.MtuSize = LOOPBACK_MTU;
    General.MaxXmitLinkSpeed = General.XmitLinkSpeed = LOOPBACK_LINK_SPEED;
    General.MaxRcvLinkSpeed = General.RcvLinkSpeed = LOOPBACK_LINK_SPEED;
    General.MediaConnectState = MediaConnectStateConnected;
    General.MediaDuplexState = MediaDuplexStateFull;
    General.LookaheadSize = LOOPBACK_MTU;
    General.MacOptions = NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA | NDIS_MAC_OPTION_TRANSFERS_NOT_PEND |
                         NDIS_MAC_OPTION_FULL_DUPLEX;
    General.SupportedPacketFilters = LOOPBACK_PACKET_FILTERS;
    General.MaxMulticastListSize = LOOPBACK_MULTICAST_LIST_SIZE;
    General.MacAddressLength = sizeof(Adapter->MacAddress);
    NdisMoveMemory(General.PermanentMacAddress, Adapter->MacAddress, sizeof(Adapter->MacAddress));
    NdisMoveMemory(General.CurrentMacAddress, Adapter->MacAddress, sizeof(Adapter->MacAddress));
    General.AccessType = NET_IF_ACCESS_BROADCAST;
    General.DirectionType = NET_IF_DIRECTION_SENDRECEIVE;
    General.ConnectionType = NET_IF_CONNECTION_DEDICATED;
    General.IfType = IF_TYPE_ETHERNET_CSMACD;
    General.IfConnectorPresent = FALSE; /* a virtual adapter */
    General.SupportedPauseFunctions = NdisPauseFunctionsUnsupported;
    General.DataBackFillSize = 0;
    General.ContextBackFillSize = 0;
    General.SupportedOidList = (PNDIS_OID)LoopbackSupportedOids;
    General.SupportedOidListLength = sizeof(LoopbackSupportedOids);
    return NdisMSetMiniportAttributes(Adapter->MiniportAdapterHandle,
                                      (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&General);
}

/*
 * The adapter's "DataPath" keyword: 0 (the default, also when the keyword
 * is absent) or 1. Any other value fails the initialize: a typo should not
 * quietly give the other data path.
 */
static NDIS_STATUS LoopbackReadDataPath(PLOOPBACK_ADAPTER Adapter)
{
    NDIS_CONFIGURATION_OBJECT Object;
    NDIS_STRING Keyword = NDIS_STRING_CONST("DataPath");
    PNDIS_CONFIGURATION_PARAMETER Value = NULL;
    NDIS_HANDLE Configuration;
    NDIS_STATUS Status;

    Adapter->DataPath = LoopbackDataPathThread;
    NdisZeroMemory(&Object, sizeof(Object));
    Object.Header.Type = NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT;
    Object.Header.Revision = NDIS_CONFIGURATION_OBJECT_REVISION_1;
    Object.Header.Size = NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1;
    Object.NdisHandle = Adapter->MiniportAdapterHandle;
    Status = NdisOpenConfigurationEx(&Object, &Configuration);
    if (Status != NDIS_STATUS_SUCCESS)
        return Status;
    NdisReadConfiguration(&Status, &Value, Configuration, &Keyword, NdisParameterInteger);
    if (Status != NDIS_STATUS_SUCCESS) {
        Status = NDIS_STATUS_SUCCESS; /* absent: the default */
    } else if (Value->ParameterData.IntegerData == LoopbackDataPathInline) {
        Adapter->DataPath = LoopbackDataPathInline;
    } else if (Value->ParameterData.IntegerData != LoopbackDataPathThread) {
        DbgPrint("loopback: keyword " LOOPBACK_KEYWORD_DATA_PATH " is %lu; it must be 0 (the adapter's thread) "
                 "or 1 (the sender's context)\n", (unsigned long)Value->ParameterData.IntegerData);
        Status = NDIS_STATUS_INVALID_PARAMETER;
    }
    NdisCloseConfiguration(Configuration);
    return Status;
}

/* Frees an adapter whose thread is not running. */
static VOID LoopbackFreeAdapter(PLOOPBACK_ADAPTER Adapter)
{
    LoopbackFreeReceives(Adapter);
    pthread_cond_destroy(&Adapter->Wake);
    pthread_mutex_destroy(&Adapter->Lock);
    free(Adapter);
}

/*
 * MiniportInitializeEx: allocates the adapter, its receive NBLs and its
 * thread, and reports the attributes. The adapter starts Paused (NDIS
 * restarts it). On failure everything is freed and NDIS gets the status.
 */
_Use_decl_annotations_
static NDIS_STATUS LoopbackInitializeEx(NDIS_HANDLE NdisMiniportHandle, NDIS_HANDLE MiniportDriverContext,
                                        PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters)
{
    PLOOPBACK_ADAPTER Adapter;
    NDIS_STATUS Status;

    (void)MiniportDriverContext;
    (void)MiniportInitParameters;
    Adapter = calloc(1, sizeof(*Adapter));
    if (Adapter == NULL)
        return NDIS_STATUS_RESOURCES;
    Adapter->MiniportAdapterHandle = NdisMiniportHandle;
    Adapter->State = LoopbackPaused;
    Adapter->Lookahead = LOOPBACK_MTU;
    pthread_mutex_init(&Adapter->Lock, NULL);
    pthread_cond_init(&Adapter->Wake, NULL);
    MpDeriveMacAddress(ndisbuf_miniport_adapter_name(NdisMiniportHandle), 0x5E, Adapter->MacAddress); /* 02:00:5E: loopback */

    Status = LoopbackReadDataPath(Adapter);
    if (Status == NDIS_STATUS_SUCCESS)
        Status = LoopbackSetRegistrationAttributes(Adapter);
    if (Status == NDIS_STATUS_SUCCESS)
        Status = LoopbackAllocateReceives(Adapter);
    if (Status == NDIS_STATUS_SUCCESS)
        Status = LoopbackSetGeneralAttributes(Adapter);
    if (Status == NDIS_STATUS_SUCCESS && pthread_create(&Adapter->Thread, NULL, LoopbackThread, Adapter) != 0)
        Status = NDIS_STATUS_RESOURCES;
    if (Status != NDIS_STATUS_SUCCESS)
        LoopbackFreeAdapter(Adapter);
    return Status;
}

/* MiniportHaltEx: stops the thread and frees everything (the adapter is Paused). */
_Use_decl_annotations_
static VOID LoopbackHaltEx(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction)
{
    PLOOPBACK_ADAPTER Adapter = MiniportAdapterContext;

    (void)HaltAction;
    pthread_mutex_lock(&Adapter->Lock);
    Adapter->State = LoopbackHalting;
    LoopbackWakeLocked(Adapter);
    pthread_mutex_unlock(&Adapter->Lock);
    pthread_join(Adapter->Thread, NULL);
    LoopbackFreeAdapter(Adapter);
}

/*
 * MiniportPause: stops looping frames back. NDIS_STATUS_SUCCESS when nothing
 * is in flight; otherwise NDIS_STATUS_PENDING, and the thread calls
 * NdisMPauseComplete once the queued sends completed and every indicated
 * receive NBL is back.
 */
_Use_decl_annotations_
static NDIS_STATUS LoopbackPause(NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_PAUSE_PARAMETERS PauseParameters)
{
    PLOOPBACK_ADAPTER Adapter = MiniportAdapterContext;
    NDIS_STATUS Status = NDIS_STATUS_PENDING;

    (void)PauseParameters;
    pthread_mutex_lock(&Adapter->Lock);
    Adapter->State = LoopbackPausing;
    if (LoopbackPauseDoneLocked(Adapter))
        Status = NDIS_STATUS_SUCCESS;
    else
        LoopbackWakeLocked(Adapter);
    pthread_mutex_unlock(&Adapter->Lock);
    return Status;
}

/* MiniportRestart: frames flow again. */
_Use_decl_annotations_
static NDIS_STATUS LoopbackRestart(NDIS_HANDLE MiniportAdapterContext,
                                   PNDIS_MINIPORT_RESTART_PARAMETERS RestartParameters)
{
    PLOOPBACK_ADAPTER Adapter = MiniportAdapterContext;

    (void)RestartParameters;
    pthread_mutex_lock(&Adapter->Lock);
    Adapter->State = LoopbackRunning;
    pthread_mutex_unlock(&Adapter->Lock);
    return NDIS_STATUS_SUCCESS;
}

/* MiniportShutdownEx: there is no hardware to quiesce. */
_Use_decl_annotations_
static VOID LoopbackShutdownEx(NDIS_HANDLE MiniportAdapterContext, NDIS_SHUTDOWN_ACTION ShutdownAction)
{
    (void)MiniportAdapterContext;
    (void)ShutdownAction;
}

/* ====================================================================== */
/* DriverEntry                                                             */
/* ====================================================================== */

/* The loopback driver's DriverEntry: registers the miniport's handlers with NDIS. */
NDIS_STATUS ndisbuf_loopback_driver_entry(NDIS_HANDLE *NdisMiniportDriverHandle)
{
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS Characteristics;

    NdisZeroMemory(&Characteristics, sizeof(Characteristics));
    Characteristics.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
    Characteristics.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    Characteristics.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    Characteristics.MajorNdisVersion = 6;
    Characteristics.MinorNdisVersion = 20;
    Characteristics.MajorDriverVersion = 1;
    Characteristics.MinorDriverVersion = 0;
    Characteristics.InitializeHandlerEx = LoopbackInitializeEx;
    Characteristics.HaltHandlerEx = LoopbackHaltEx;
    Characteristics.PauseHandler = LoopbackPause;
    Characteristics.RestartHandler = LoopbackRestart;
    Characteristics.OidRequestHandler = LoopbackOidRequest;
    Characteristics.SendNetBufferListsHandler = LoopbackSendNetBufferLists;
    Characteristics.ReturnNetBufferListsHandler = LoopbackReturnNetBufferLists;
    Characteristics.CancelSendHandler = LoopbackCancelSend;
    Characteristics.ShutdownHandlerEx = LoopbackShutdownEx;
    Characteristics.CancelOidRequestHandler = LoopbackCancelOidRequest;

    if (NdisMiniportDriverHandle == NULL)
        return NDIS_STATUS_INVALID_PARAMETER;
    return NdisMRegisterMiniportDriver(NULL, NULL, NULL, &Characteristics, NdisMiniportDriverHandle);
}
