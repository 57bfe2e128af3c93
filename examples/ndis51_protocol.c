/* SPDX-License-Identifier: MIT */
/*
 * ndis51_protocol.c: a raw-Ethernet NDIS 5.1 protocol driver
 * (ndis51_protocol.h), laid out the way NDIS 5.1 protocols are:
 * registration, the binding's life (bind, open, requests, unbind, close),
 * the send path, the receive path, and the client calls.
 *
 * Buffers. Each binding owns a packet pool (ProtocolReserved: where each
 * send keeps its memory) and a buffer pool (two descriptors per send),
 * allocated when the binding is established and freed when it goes. Frames
 * are copied into tagged memory for the send, and out of the received
 * packets into tagged memory for the reader (or the packet itself is kept
 * until it is read). Nothing is allocated with malloc: the per-tag counts of
 * ndisbuf_tagged_memory_query show everything the driver holds.
 *
 * Threads. ndisbuf has no NDIS 5 spin locks or events: a pthread mutex and
 * condition per binding stand in for them. Sends come from client threads;
 * completions and receives from the miniport's thread; binds and unbinds
 * from the thread driving the stack.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include <ndis.h>

#include "ndis51_protocol.h"

#define N51_NDIS_MAJOR_VERSION 5
#define N51_NDIS_MINOR_VERSION 1
#define N51_SEND_PACKETS 256                            /* sends in flight per binding */
#define N51_SEND_BUFFERS (2 * N51_SEND_PACKETS)         /* header + payload per send */
#define N51_NAME_LENGTH 64
#define N51_PACKET_FILTER (NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST | NDIS_PACKET_TYPE_BROADCAST)

/* What a send keeps in its packet's ProtocolReserved until ProtocolSendComplete. */
typedef struct _N51_SEND_RESERVED {
    PVOID Copy;        /* NdisAllocateMemoryWithTag, N51_SEND_TAG */
    UINT Length;
} N51_SEND_RESERVED, *PN51_SEND_RESERVED;

#define N51_SEND_RESERVED_FROM_PACKET(_Packet) ((PN51_SEND_RESERVED)(PVOID)(_Packet)->ProtocolReserved)

/* A received frame waiting for N51Read: a copy, or a kept packet. */
typedef struct _N51_RECEIVED {
    struct _N51_RECEIVED *Next;
    PNDIS_PACKET Packet;   /* kept: goes back with NdisReturnPackets once read; else NULL */
    UINT Length;           /* frame bytes */
    UINT AllocationLength; /* for NdisFreeMemory */
    UCHAR Data[];          /* the copy (empty for a kept packet) */
} N51_RECEIVED, *PN51_RECEIVED;

typedef enum _N51_REQUEST_STATE {
    N51RequestIdle,
    N51RequestPending,
    N51RequestDone
} N51_REQUEST_STATE;

struct _N51_OPEN {
    PN51_OPEN Next;                  /* in N51Globals.Opens */
    atomic_int RefCount;             /* the binding's own reference + clients' */
    pthread_mutex_t Lock;
    pthread_cond_t Changed;          /* frame queued, send completed, request done, unbound */
    BOOLEAN Bound;
    BOOLEAN KeepPackets;
    NDIS_HANDLE BindingHandle;
    NDIS_HANDLE PacketPool;
    NDIS_HANDLE BufferPool;
    UINT MediumIndex;
    NDIS_STATUS OpenStatus;          /* ProtocolOpenAdapterComplete / ProtocolCloseAdapterComplete */
    BOOLEAN OpenDone;
    NDIS_REQUEST Request;            /* one request at a time, made at bind */
    N51_REQUEST_STATE RequestState;
    NDIS_STATUS RequestStatus;
    char AdapterName[N51_NAME_LENGTH];
    PN51_RECEIVED QueueHead;
    PN51_RECEIVED QueueTail;
    ULONG QueueCount;
    N51_STATS Stats;
};

static struct {
    pthread_mutex_t Lock;            /* guards everything below */
    NDIS_HANDLE ProtocolHandle;
    PN51_OPEN Opens;
} N51Globals = {PTHREAD_MUTEX_INITIALIZER, NULL, NULL};

static PROTOCOL_OPEN_ADAPTER_COMPLETE N51OpenAdapterComplete;
static PROTOCOL_CLOSE_ADAPTER_COMPLETE N51CloseAdapterComplete;
static PROTOCOL_SEND_COMPLETE N51SendComplete;
static PROTOCOL_TRANSFER_DATA_COMPLETE N51TransferDataComplete;
static PROTOCOL_RESET_COMPLETE N51ResetComplete;
static PROTOCOL_REQUEST_COMPLETE N51RequestComplete;
static PROTOCOL_RECEIVE N51Receive;
static PROTOCOL_RECEIVE_COMPLETE N51ReceiveComplete;
static PROTOCOL_STATUS N51Status;
static PROTOCOL_STATUS_COMPLETE N51StatusComplete;
static PROTOCOL_RECEIVE_PACKET N51ReceivePacket;
static PROTOCOL_BIND_ADAPTER N51BindAdapter;
static PROTOCOL_UNBIND_ADAPTER N51UnbindAdapter;
static PROTOCOL_PNP_EVENT N51PnPEvent;

/* ====================================================================== */
/* Registration                                                            */
/* ====================================================================== */

NDIS_STATUS N51DriverEntry(ULONG Options)
{
    static const WCHAR Name[] = u"NDIS51PROT";
    NDIS_PROTOCOL_CHARACTERISTICS Chars;
    NDIS_HANDLE Handle = NULL;
    NDIS_STATUS Status;

    pthread_mutex_lock(&N51Globals.Lock);
    if (N51Globals.ProtocolHandle != NULL) {
        pthread_mutex_unlock(&N51Globals.Lock);
        return NDIS_STATUS_FAILURE;
    }
    NdisZeroMemory(&Chars, sizeof(Chars));
    Chars.MajorNdisVersion = N51_NDIS_MAJOR_VERSION;
    Chars.MinorNdisVersion = N51_NDIS_MINOR_VERSION;
    Chars.Name.Buffer = (PWSTR)Name;
    Chars.Name.Length = (USHORT)(sizeof(Name) - sizeof(WCHAR));
    Chars.Name.MaximumLength = (USHORT)sizeof(Name);
    Chars.OpenAdapterCompleteHandler = N51OpenAdapterComplete;
    Chars.CloseAdapterCompleteHandler = N51CloseAdapterComplete;
    Chars.SendCompleteHandler = N51SendComplete;
    Chars.TransferDataCompleteHandler = N51TransferDataComplete;
    Chars.ResetCompleteHandler = N51ResetComplete;
    Chars.RequestCompleteHandler = N51RequestComplete;
    Chars.ReceiveHandler = N51Receive;
    Chars.ReceiveCompleteHandler = N51ReceiveComplete;
    Chars.StatusHandler = N51Status;
    Chars.StatusCompleteHandler = N51StatusComplete;
    if (!(Options & N51_OPTION_NO_RECEIVE_PACKET))
        Chars.ReceivePacketHandler = N51ReceivePacket;
    Chars.BindAdapterHandler = N51BindAdapter;
    Chars.UnbindAdapterHandler = N51UnbindAdapter;
    Chars.PnPEventHandler = N51PnPEvent;

    /* Bindings come later, from other threads: the lock is only held while registering. */
    NdisRegisterProtocol(&Status, &Handle, &Chars, sizeof(Chars));
    if (Status == NDIS_STATUS_SUCCESS)
        N51Globals.ProtocolHandle = Handle;
    pthread_mutex_unlock(&N51Globals.Lock);
    return Status;
}

VOID N51DriverUnload(void)
{
    NDIS_HANDLE Handle;
    NDIS_STATUS Status;

    pthread_mutex_lock(&N51Globals.Lock);
    Handle = N51Globals.ProtocolHandle;
    pthread_mutex_unlock(&N51Globals.Lock);
    if (Handle == NULL)
        return;
    NdisDeregisterProtocol(&Status, Handle); /* ProtocolUnbindAdapter runs for every binding */
    if (Status == NDIS_STATUS_SUCCESS) {
        pthread_mutex_lock(&N51Globals.Lock);
        N51Globals.ProtocolHandle = NULL;
        pthread_mutex_unlock(&N51Globals.Lock);
    }
}

NDIS_HANDLE N51ProtocolHandle(void)
{
    NDIS_HANDLE Handle;

    pthread_mutex_lock(&N51Globals.Lock);
    Handle = N51Globals.ProtocolHandle;
    pthread_mutex_unlock(&N51Globals.Lock);
    return Handle;
}

/* ====================================================================== */
/* Binding contexts                                                        */
/* ====================================================================== */

static VOID N51NameFromDevice(char *Name, PNDIS_STRING DeviceName)
{
    USHORT Count = DeviceName->Length / sizeof(WCHAR);
    USHORT i;

    if (Count > N51_NAME_LENGTH - 1)
        Count = N51_NAME_LENGTH - 1;
    for (i = 0; i < Count; i++)
        Name[i] = DeviceName->Buffer[i] < 0x80 ? (char)DeviceName->Buffer[i] : '?';
    Name[Count] = '\0';
}

static PN51_OPEN N51AllocateOpen(PNDIS_STRING DeviceName)
{
    PN51_OPEN Open;

    if (NdisAllocateMemoryWithTag((PVOID *)&Open, sizeof(*Open), N51_OPEN_TAG) != NDIS_STATUS_SUCCESS)
        return NULL;
    NdisZeroMemory(Open, sizeof(*Open));
    pthread_mutex_init(&Open->Lock, NULL);
    {
        pthread_condattr_t Attr;

        pthread_condattr_init(&Attr);
        pthread_condattr_setclock(&Attr, CLOCK_MONOTONIC);
        pthread_cond_init(&Open->Changed, &Attr);
        pthread_condattr_destroy(&Attr);
    }
    atomic_init(&Open->RefCount, 1);
    N51NameFromDevice(Open->AdapterName, DeviceName);
    return Open;
}

static VOID N51Reference(PN51_OPEN Open)
{
    atomic_fetch_add(&Open->RefCount, 1);
}

/* Frees a queued frame; a kept packet goes back to NDIS first. */
static VOID N51FreeReceived(PN51_RECEIVED Received)
{
    if (Received->Packet != NULL)
        NdisReturnPackets(&Received->Packet, 1);
    NdisFreeMemory(Received, Received->AllocationLength, 0);
}

/* Drops a reference; the last one frees the context and any frame still queued. */
static VOID N51Dereference(PN51_OPEN Open)
{
    PN51_RECEIVED Received;

    if (atomic_fetch_sub(&Open->RefCount, 1) != 1)
        return;
    while ((Received = Open->QueueHead) != NULL) {
        Open->QueueHead = Received->Next;
        N51FreeReceived(Received);
    }
    pthread_cond_destroy(&Open->Changed);
    pthread_mutex_destroy(&Open->Lock);
    NdisFreeMemory(Open, sizeof(*Open), 0);
}

static VOID N51LinkOpen(PN51_OPEN Open)
{
    pthread_mutex_lock(&N51Globals.Lock);
    Open->Next = N51Globals.Opens;
    N51Globals.Opens = Open;
    pthread_mutex_unlock(&N51Globals.Lock);
}

static VOID N51UnlinkOpen(PN51_OPEN Open)
{
    PN51_OPEN *Link;

    pthread_mutex_lock(&N51Globals.Lock);
    for (Link = &N51Globals.Opens; *Link != NULL; Link = &(*Link)->Next) {
        if (*Link == Open) {
            *Link = Open->Next;
            break;
        }
    }
    pthread_mutex_unlock(&N51Globals.Lock);
}

/* ====================================================================== */
/* Bind, requests, unbind                                                  */
/* ====================================================================== */

/* Waits, lock held, until Done is TRUE. */
static VOID N51WaitUntil(PN51_OPEN Open, const BOOLEAN *Done)
{
    while (!*Done)
        pthread_cond_wait(&Open->Changed, &Open->Lock);
}

static VOID N51OpenAdapterComplete(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status,
                                   NDIS_STATUS OpenErrorStatus)
{
    PN51_OPEN Open = ProtocolBindingContext;

    UNREFERENCED_PARAMETER(OpenErrorStatus);
    pthread_mutex_lock(&Open->Lock);
    Open->OpenStatus = Status;
    Open->OpenDone = TRUE;
    pthread_cond_broadcast(&Open->Changed);
    pthread_mutex_unlock(&Open->Lock);
}

static VOID N51CloseAdapterComplete(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status)
{
    N51OpenAdapterComplete(ProtocolBindingContext, Status, NDIS_STATUS_SUCCESS);
}

static VOID N51RequestComplete(NDIS_HANDLE ProtocolBindingContext, PNDIS_REQUEST NdisRequest, NDIS_STATUS Status)
{
    PN51_OPEN Open = ProtocolBindingContext;

    UNREFERENCED_PARAMETER(NdisRequest);
    pthread_mutex_lock(&Open->Lock);
    Open->RequestStatus = Status;
    Open->RequestState = N51RequestDone;
    pthread_cond_broadcast(&Open->Changed);
    pthread_mutex_unlock(&Open->Lock);
}

/* One query or set with NdisRequest, waiting for ProtocolRequestComplete when it pends. */
static NDIS_STATUS N51DoRequest(PN51_OPEN Open, NDIS_REQUEST_TYPE Type, NDIS_OID Oid, PVOID Buffer, UINT Length)
{
    PNDIS_REQUEST Request = &Open->Request;
    NDIS_STATUS Status;

    NdisZeroMemory(Request, sizeof(*Request));
    Request->RequestType = Type;
    if (Type == NdisRequestSetInformation) {
        Request->DATA.SET_INFORMATION.Oid = Oid;
        Request->DATA.SET_INFORMATION.InformationBuffer = Buffer;
        Request->DATA.SET_INFORMATION.InformationBufferLength = Length;
    } else {
        Request->DATA.QUERY_INFORMATION.Oid = Oid;
        Request->DATA.QUERY_INFORMATION.InformationBuffer = Buffer;
        Request->DATA.QUERY_INFORMATION.InformationBufferLength = Length;
    }
    pthread_mutex_lock(&Open->Lock);
    Open->RequestState = N51RequestPending;
    pthread_mutex_unlock(&Open->Lock);

    NdisRequest(&Status, Open->BindingHandle, Request);

    pthread_mutex_lock(&Open->Lock);
    if (Status == NDIS_STATUS_PENDING) {
        while (Open->RequestState != N51RequestDone)
            pthread_cond_wait(&Open->Changed, &Open->Lock);
        Status = Open->RequestStatus;
    }
    Open->RequestState = N51RequestIdle;
    pthread_mutex_unlock(&Open->Lock);
    return Status;
}

/* After the open: receive what is addressed to us, and learn the largest frame. */
static VOID N51ConfigureBinding(PN51_OPEN Open)
{
    ULONG Filter = N51_PACKET_FILTER;
    ULONG FrameSize = 0;
    NDIS_STATUS Status;

    Open->Stats.FilterStatus =
        N51DoRequest(Open, NdisRequestSetInformation, OID_GEN_CURRENT_PACKET_FILTER, &Filter, sizeof(Filter));
    Status = N51DoRequest(Open, NdisRequestQueryInformation, OID_GEN_MAXIMUM_FRAME_SIZE, &FrameSize,
                          sizeof(FrameSize));
    Open->Stats.MaximumFrameSize = Status == NDIS_STATUS_SUCCESS ? FrameSize : 0;
}

static VOID N51FreePools(PN51_OPEN Open)
{
    if (Open->PacketPool != NULL)
        NdisFreePacketPool(Open->PacketPool);
    if (Open->BufferPool != NULL)
        NdisFreeBufferPool(Open->BufferPool);
    Open->PacketPool = Open->BufferPool = NULL;
}

/* NdisOpenAdapter, waiting for ProtocolOpenAdapterComplete when it pends. */
static NDIS_STATUS N51Open(PN51_OPEN Open, PNDIS_STRING DeviceName)
{
    NDIS_MEDIUM MediumArray[1] = {NdisMedium802_3};
    NDIS_STATUS Status, OpenErrorStatus;

    NdisOpenAdapter(&Status, &OpenErrorStatus, &Open->BindingHandle, &Open->MediumIndex, MediumArray,
                    sizeof(MediumArray) / sizeof(MediumArray[0]), N51ProtocolHandle(), Open, DeviceName, 0, NULL);
    if (Status == NDIS_STATUS_PENDING) {
        pthread_mutex_lock(&Open->Lock);
        N51WaitUntil(Open, &Open->OpenDone);
        Status = Open->OpenStatus;
        Open->OpenDone = FALSE;
        pthread_mutex_unlock(&Open->Lock);
    }
    return Status;
}

static VOID N51BindAdapter(PNDIS_STATUS Status, NDIS_HANDLE BindContext, PNDIS_STRING DeviceName,
                           PVOID SystemSpecific1, PVOID SystemSpecific2)
{
    PN51_OPEN Open;

    UNREFERENCED_PARAMETER(BindContext);
    UNREFERENCED_PARAMETER(SystemSpecific1);
    UNREFERENCED_PARAMETER(SystemSpecific2);
    Open = N51AllocateOpen(DeviceName);
    if (Open == NULL) {
        *Status = NDIS_STATUS_RESOURCES;
        return;
    }
    /* The pools are the binding's: allocated now, freed when it goes. */
    NdisAllocatePacketPool(Status, &Open->PacketPool, N51_SEND_PACKETS, sizeof(N51_SEND_RESERVED));
    if (*Status != NDIS_STATUS_SUCCESS)
        goto free_open;
    NdisAllocateBufferPool(Status, &Open->BufferPool, N51_SEND_BUFFERS);
    if (*Status != NDIS_STATUS_SUCCESS)
        goto free_pools;
    *Status = N51Open(Open, DeviceName);
    if (*Status != NDIS_STATUS_SUCCESS)
        goto free_pools;

    N51ConfigureBinding(Open);
    pthread_mutex_lock(&Open->Lock);
    Open->Bound = TRUE;
    pthread_mutex_unlock(&Open->Lock);
    N51LinkOpen(Open);
    return;

free_pools:
    N51FreePools(Open);
free_open:
    N51Dereference(Open);
}

/* Takes the kept packets out of the read queue (copied frames stay readable); lock held. */
static PN51_RECEIVED N51TakeKeptPackets(PN51_OPEN Open)
{
    PN51_RECEIVED Kept = NULL, Received, Next;

    Received = Open->QueueHead;
    Open->QueueHead = Open->QueueTail = NULL;
    for (; Received != NULL; Received = Next) {
        Next = Received->Next;
        Received->Next = NULL;
        if (Received->Packet != NULL) {
            Received->Next = Kept;
            Kept = Received;
            Open->QueueCount--;
        } else if (Open->QueueTail != NULL) {
            Open->QueueTail->Next = Received;
            Open->QueueTail = Received;
        } else {
            Open->QueueHead = Open->QueueTail = Received;
        }
    }
    return Kept;
}

static VOID N51UnbindAdapter(PNDIS_STATUS Status, NDIS_HANDLE ProtocolBindingContext, NDIS_HANDLE UnbindContext)
{
    PN51_OPEN Open = ProtocolBindingContext;
    PN51_RECEIVED Kept, Next;

    UNREFERENCED_PARAMETER(UnbindContext);
    N51UnlinkOpen(Open); /* no new client finds it */
    pthread_mutex_lock(&Open->Lock);
    Open->Bound = FALSE;
    while (Open->Stats.SendsOutstanding != 0) /* every packet must be back before the close */
        pthread_cond_wait(&Open->Changed, &Open->Lock);
    Kept = N51TakeKeptPackets(Open); /* they go back to NDIS before the close */
    pthread_cond_broadcast(&Open->Changed);
    pthread_mutex_unlock(&Open->Lock);
    for (; Kept != NULL; Kept = Next) {
        Next = Kept->Next;
        N51FreeReceived(Kept);
    }

    NdisCloseAdapter(Status, Open->BindingHandle);
    if (*Status == NDIS_STATUS_PENDING) {
        pthread_mutex_lock(&Open->Lock);
        N51WaitUntil(Open, &Open->OpenDone);
        pthread_mutex_unlock(&Open->Lock);
    }
    N51FreePools(Open);
    N51Dereference(Open); /* the binding's own reference */
    *Status = NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS N51PnPEvent(NDIS_HANDLE ProtocolBindingContext, PNET_PNP_EVENT NetPnPEvent)
{
    UNREFERENCED_PARAMETER(ProtocolBindingContext);
    UNREFERENCED_PARAMETER(NetPnPEvent);
    return NDIS_STATUS_SUCCESS;
}

static VOID N51Status(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS GeneralStatus, PVOID StatusBuffer,
                      UINT StatusBufferSize)
{
    PN51_OPEN Open = ProtocolBindingContext;

    UNREFERENCED_PARAMETER(GeneralStatus);
    UNREFERENCED_PARAMETER(StatusBuffer);
    UNREFERENCED_PARAMETER(StatusBufferSize);
    pthread_mutex_lock(&Open->Lock);
    Open->Stats.StatusIndications++;
    pthread_mutex_unlock(&Open->Lock);
}

static VOID N51StatusComplete(NDIS_HANDLE ProtocolBindingContext)
{
    UNREFERENCED_PARAMETER(ProtocolBindingContext);
}

static VOID N51TransferDataComplete(NDIS_HANDLE ProtocolBindingContext, PNDIS_PACKET Packet, NDIS_STATUS Status,
                                    UINT BytesTransferred)
{
    /* Never called: the protocol does not use NdisTransferData (lookahead is the whole frame). */
    UNREFERENCED_PARAMETER(ProtocolBindingContext);
    UNREFERENCED_PARAMETER(Packet);
    UNREFERENCED_PARAMETER(Status);
    UNREFERENCED_PARAMETER(BytesTransferred);
}

static VOID N51ResetComplete(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status)
{
    UNREFERENCED_PARAMETER(ProtocolBindingContext);
    UNREFERENCED_PARAMETER(Status);
}

/* ====================================================================== */
/* Send path                                                               */
/* ====================================================================== */

/* Counts a send in unless the binding is going; the binding cannot close while it is out. */
static NDIS_STATUS N51AdmitSend(PN51_OPEN Open, NDIS_HANDLE *BindingHandle)
{
    NDIS_STATUS Status = NDIS_STATUS_CLOSING;

    pthread_mutex_lock(&Open->Lock);
    if (Open->Bound) {
        Open->Stats.SendsOutstanding++;
        *BindingHandle = Open->BindingHandle;
        Status = NDIS_STATUS_SUCCESS;
    } else {
        Open->Stats.SendsRefused++;
    }
    pthread_mutex_unlock(&Open->Lock);
    return Status;
}

/* A send is over (completed, or given up before NdisSend). */
static VOID N51RetireSend(PN51_OPEN Open, NDIS_STATUS Status, BOOLEAN Sent)
{
    pthread_mutex_lock(&Open->Lock);
    Open->Stats.SendsOutstanding--;
    if (!Sent)
        Open->Stats.SendsRefused++;
    else if (Status == NDIS_STATUS_SUCCESS)
        Open->Stats.CompletedOk++;
    else
        Open->Stats.CompletedFailed++;
    pthread_cond_broadcast(&Open->Changed);
    pthread_mutex_unlock(&Open->Lock);
}

/* Unchains every buffer descriptor, frees them, the copy and the packet. */
static VOID N51FreeSendPacket(PNDIS_PACKET Packet)
{
    PN51_SEND_RESERVED Reserved = N51_SEND_RESERVED_FROM_PACKET(Packet);
    PNDIS_BUFFER Buffer;

    for (NdisUnchainBufferAtFront(Packet, &Buffer); Buffer != NULL; NdisUnchainBufferAtFront(Packet, &Buffer))
        NdisFreeBuffer(Buffer);
    if (Reserved->Copy != NULL)
        NdisFreeMemory(Reserved->Copy, Reserved->Length, 0);
    NdisFreePacket(Packet);
}

/*
 * The seed's send: a packet, a tagged copy of the frame, a buffer
 * descriptor for the header and one for the payload, chained in order.
 * NULL (nothing left allocated) when any of them is not to be had.
 */
static PNDIS_PACKET N51BuildPacket(PN51_OPEN Open, const void *Frame, UINT Length)
{
    PN51_SEND_RESERVED Reserved;
    PNDIS_PACKET Packet;
    PNDIS_BUFFER Buffer;
    NDIS_STATUS Status;
    PUCHAR Copy;

    NdisAllocatePacket(&Status, &Packet, Open->PacketPool);
    if (Status != NDIS_STATUS_SUCCESS)
        return NULL;
    Reserved = N51_SEND_RESERVED_FROM_PACKET(Packet);
    Reserved->Copy = NULL;
    Reserved->Length = Length;
    if (NdisAllocateMemoryWithTag((PVOID *)&Copy, Length, N51_SEND_TAG) != NDIS_STATUS_SUCCESS)
        goto free_packet;
    Reserved->Copy = Copy;
    NdisMoveMemory(Copy, Frame, Length);

    NdisAllocateBuffer(&Status, &Buffer, Open->BufferPool, Copy, N51_ETHERNET_HEADER_LENGTH);
    if (Status != NDIS_STATUS_SUCCESS)
        goto free_packet;
    NdisChainBufferAtBack(Packet, Buffer);
    if (Length > N51_ETHERNET_HEADER_LENGTH) {
        NdisAllocateBuffer(&Status, &Buffer, Open->BufferPool, Copy + N51_ETHERNET_HEADER_LENGTH,
                           Length - N51_ETHERNET_HEADER_LENGTH);
        if (Status != NDIS_STATUS_SUCCESS)
            goto free_packet;
        NdisChainBufferAtBack(Packet, Buffer);
    }
    return Packet;

free_packet:
    N51FreeSendPacket(Packet);
    return NULL;
}

NDIS_STATUS N51Send(PN51_OPEN Open, const void *Frame, ULONG Length)
{
    NDIS_HANDLE BindingHandle = NULL;
    PNDIS_PACKET Packet;
    NDIS_STATUS Status;

    if (Open == NULL || Frame == NULL)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (Length < N51_ETHERNET_HEADER_LENGTH || Length > N51_MAX_FRAME_LENGTH)
        return NDIS_STATUS_INVALID_LENGTH;
    Status = N51AdmitSend(Open, &BindingHandle);
    if (Status != NDIS_STATUS_SUCCESS)
        return Status;
    Packet = N51BuildPacket(Open, Frame, (UINT)Length);
    if (Packet == NULL) {
        N51RetireSend(Open, NDIS_STATUS_RESOURCES, FALSE);
        return NDIS_STATUS_RESOURCES;
    }
    pthread_mutex_lock(&Open->Lock);
    Open->Stats.FramesSent++;
    pthread_mutex_unlock(&Open->Lock);

    NdisSend(&Status, BindingHandle, Packet);
    if (Status != NDIS_STATUS_PENDING) /* done at once: ProtocolSendComplete is not called */
        N51SendComplete(Open, Packet, Status);
    return NDIS_STATUS_SUCCESS;
}

static VOID N51SendComplete(NDIS_HANDLE ProtocolBindingContext, PNDIS_PACKET Packet, NDIS_STATUS Status)
{
    PN51_OPEN Open = ProtocolBindingContext;

    N51FreeSendPacket(Packet);
    N51RetireSend(Open, Status, TRUE);
}

/* ====================================================================== */
/* Receive path                                                            */
/* ====================================================================== */

/* A queue entry with room for a Length-byte copy (0 for a kept packet), or NULL. */
static PN51_RECEIVED N51AllocateReceived(UINT Length)
{
    PN51_RECEIVED Received;
    UINT AllocationLength = (UINT)sizeof(*Received) + Length;

    if (NdisAllocateMemoryWithTag((PVOID *)&Received, AllocationLength, N51_RECEIVE_TAG) != NDIS_STATUS_SUCCESS)
        return NULL;
    Received->Next = NULL;
    Received->Packet = NULL;
    Received->Length = Length;
    Received->AllocationLength = AllocationLength;
    return Received;
}

/* Copies up to Capacity bytes of the packet's data, buffer by buffer; returns the bytes copied. */
static UINT N51CopyFromPacket(PNDIS_PACKET Packet, PUCHAR Destination, UINT Capacity)
{
    PNDIS_BUFFER Buffer;
    UINT Copied = 0;

    NdisQueryPacket(Packet, NULL, NULL, &Buffer, NULL);
    while (Buffer != NULL && Copied < Capacity) {
        PVOID Address;
        UINT Length;

        NdisQueryBuffer(Buffer, &Address, &Length);
        if (Length > Capacity - Copied)
            Length = Capacity - Copied;
        NdisMoveMemory(Destination + Copied, Address, Length);
        Copied += Length;
        NdisGetNextBuffer(Buffer, &Buffer);
    }
    return Copied;
}

/* How a queued frame came: counted with the queueing, so a reader sees the counts of what it reads. */
typedef enum _N51_RECEIVE_KIND {
    N51ReceiveCopied,    /* ProtocolReceivePacket copied it */
    N51ReceiveKept,      /* ProtocolReceivePacket kept the packet */
    N51ReceiveLookahead  /* ProtocolReceive copied it */
} N51_RECEIVE_KIND;

/* Queues a received frame for N51Read; FALSE (the caller frees it) when the queue is full. */
static BOOLEAN N51Queue(PN51_OPEN Open, PN51_RECEIVED Received, N51_RECEIVE_KIND Kind)
{
    BOOLEAN Queued = FALSE;

    pthread_mutex_lock(&Open->Lock);
    if (Open->QueueCount < N51_RECEIVE_QUEUE_DEPTH) {
        if (Open->QueueTail != NULL)
            Open->QueueTail->Next = Received;
        else
            Open->QueueHead = Received;
        Open->QueueTail = Received;
        Open->QueueCount++;
        Open->Stats.FramesReceived++;
        Open->Stats.PacketsCopied += Kind == N51ReceiveCopied;
        Open->Stats.PacketsKept += Kind == N51ReceiveKept;
        Open->Stats.LookaheadReceives += Kind == N51ReceiveLookahead;
        Queued = TRUE;
        pthread_cond_broadcast(&Open->Changed);
    } else {
        Open->Stats.FramesDropped++;
    }
    pthread_mutex_unlock(&Open->Lock);
    return Queued;
}

static INT N51ReceivePacket(NDIS_HANDLE ProtocolBindingContext, PNDIS_PACKET Packet)
{
    PN51_OPEN Open = ProtocolBindingContext;
    BOOLEAN Resources = NDIS_GET_PACKET_STATUS(Packet) == NDIS_STATUS_RESOURCES;
    PN51_RECEIVED Received;
    BOOLEAN Keep;
    UINT TotalLength;

    NdisQueryPacket(Packet, NULL, NULL, NULL, &TotalLength);
    pthread_mutex_lock(&Open->Lock);
    Keep = Open->KeepPackets && !Resources;
    Open->Stats.ReceivesResources += Resources;
    pthread_mutex_unlock(&Open->Lock);

    Received = N51AllocateReceived(Keep ? 0 : TotalLength);
    if (Received == NULL) {
        pthread_mutex_lock(&Open->Lock);
        Open->Stats.FramesDropped++;
        pthread_mutex_unlock(&Open->Lock);
        return 0;
    }
    if (Keep) {
        Received->Packet = Packet; /* read and returned later */
        Received->Length = TotalLength;
    } else {
        N51CopyFromPacket(Packet, Received->Data, TotalLength);
    }
    if (!N51Queue(Open, Received, Keep ? N51ReceiveKept : N51ReceiveCopied)) {
        Received->Packet = NULL; /* not kept after all: NDIS takes it back on return */
        NdisFreeMemory(Received, Received->AllocationLength, 0);
        return 0;
    }
    return Keep ? 1 : 0;
}

/* Without ProtocolReceivePacket: the header and the lookahead, which holds the whole frame here. */
static NDIS_STATUS N51Receive(NDIS_HANDLE ProtocolBindingContext, NDIS_HANDLE MacReceiveContext,
                              PVOID HeaderBuffer, UINT HeaderBufferSize, PVOID LookAheadBuffer,
                              UINT LookaheadBufferSize, UINT PacketSize)
{
    PN51_OPEN Open = ProtocolBindingContext;
    PN51_RECEIVED Received = NULL;

    UNREFERENCED_PARAMETER(MacReceiveContext);
    /* A frame beyond the lookahead would need NdisTransferData, which this driver does not use. */
    if (LookaheadBufferSize == PacketSize)
        Received = N51AllocateReceived(HeaderBufferSize + LookaheadBufferSize);
    if (Received != NULL) {
        NdisMoveMemory(Received->Data, HeaderBuffer, HeaderBufferSize);
        NdisMoveMemory(Received->Data + HeaderBufferSize, LookAheadBuffer, LookaheadBufferSize);
        if (!N51Queue(Open, Received, N51ReceiveLookahead)) {
            NdisFreeMemory(Received, Received->AllocationLength, 0);
            Received = NULL;
        }
    } else if (LookaheadBufferSize != PacketSize) {
        pthread_mutex_lock(&Open->Lock);
        Open->Stats.FramesDropped++;
        pthread_mutex_unlock(&Open->Lock);
    }
    return Received != NULL ? NDIS_STATUS_SUCCESS : NDIS_STATUS_NOT_ACCEPTED;
}

static VOID N51ReceiveComplete(NDIS_HANDLE ProtocolBindingContext)
{
    PN51_OPEN Open = ProtocolBindingContext;

    pthread_mutex_lock(&Open->Lock);
    Open->Stats.ReceiveCompletes++;
    pthread_mutex_unlock(&Open->Lock);
}

/* ====================================================================== */
/* The client                                                              */
/* ====================================================================== */

PN51_OPEN N51OpenBinding(const char *AdapterName)
{
    PN51_OPEN Open;

    if (AdapterName == NULL)
        return NULL;
    pthread_mutex_lock(&N51Globals.Lock);
    for (Open = N51Globals.Opens; Open != NULL; Open = Open->Next) {
        if (strcmp(Open->AdapterName, AdapterName) == 0) {
            N51Reference(Open);
            break;
        }
    }
    pthread_mutex_unlock(&N51Globals.Lock);
    return Open;
}

VOID N51CloseBinding(PN51_OPEN Open)
{
    if (Open != NULL)
        N51Dereference(Open);
}

VOID N51SetKeepReceivedPackets(PN51_OPEN Open, BOOLEAN Keep)
{
    if (Open == NULL)
        return;
    pthread_mutex_lock(&Open->Lock);
    Open->KeepPackets = Keep;
    pthread_mutex_unlock(&Open->Lock);
}

/* The absolute time TimeoutMs from now on the condition's clock; NULL for no limit. */
static const struct timespec *N51Deadline(ULONG TimeoutMs, struct timespec *Storage)
{
    if (TimeoutMs == N51_WAIT_FOREVER)
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
static BOOLEAN N51WaitForChange(PN51_OPEN Open, const struct timespec *Deadline)
{
    if (Deadline == NULL)
        return pthread_cond_wait(&Open->Changed, &Open->Lock) == 0;
    return pthread_cond_timedwait(&Open->Changed, &Open->Lock, Deadline) != ETIMEDOUT;
}

ULONG N51Read(PN51_OPEN Open, void *Buffer, ULONG Capacity, ULONG TimeoutMs)
{
    struct timespec Storage;
    const struct timespec *Deadline = N51Deadline(TimeoutMs, &Storage);
    PN51_RECEIVED Received = NULL;
    ULONG Copied = 0;

    if (Open == NULL || (Buffer == NULL && Capacity != 0))
        return 0;
    pthread_mutex_lock(&Open->Lock);
    while (Open->QueueHead == NULL && TimeoutMs != 0 && N51WaitForChange(Open, Deadline))
        ;
    Received = Open->QueueHead;
    if (Received != NULL) {
        Open->QueueHead = Received->Next;
        if (Open->QueueHead == NULL)
            Open->QueueTail = NULL;
        Open->QueueCount--;
        Open->Stats.FramesRead++;
        Open->Stats.PacketsReturned += Received->Packet != NULL;
    }
    pthread_mutex_unlock(&Open->Lock);
    if (Received == NULL)
        return 0;

    if (Received->Packet != NULL) {
        Copied = N51CopyFromPacket(Received->Packet, Buffer, (UINT)Capacity);
    } else {
        Copied = Received->Length < Capacity ? Received->Length : Capacity;
        NdisMoveMemory(Buffer, Received->Data, Copied);
    }
    N51FreeReceived(Received); /* a kept packet goes back with NdisReturnPackets */
    return Copied;
}

BOOLEAN N51WaitForSends(PN51_OPEN Open, ULONG TimeoutMs)
{
    struct timespec Storage;
    const struct timespec *Deadline = N51Deadline(TimeoutMs, &Storage);
    BOOLEAN Done;

    if (Open == NULL)
        return FALSE;
    pthread_mutex_lock(&Open->Lock);
    while (Open->Stats.SendsOutstanding != 0 && TimeoutMs != 0 && N51WaitForChange(Open, Deadline))
        ;
    Done = Open->Stats.SendsOutstanding == 0;
    pthread_mutex_unlock(&Open->Lock);
    return Done;
}

VOID N51GetStats(PN51_OPEN Open, PN51_STATS Stats)
{
    NdisZeroMemory(Stats, sizeof(*Stats));
    if (Open == NULL)
        return;
    pthread_mutex_lock(&Open->Lock);
    *Stats = Open->Stats;
    Stats->Bound = Open->Bound;
    pthread_mutex_unlock(&Open->Lock);
}
