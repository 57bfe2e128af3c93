/* SPDX-License-Identifier: MIT */
/*
 * capture.c: the pcap capture filter driver (capture.h), laid out the way
 * Microsoft's NDIS filter sample is: registration, module life, data path.
 *
 * Every module writes into the one file the driver opened, under one lock
 * (the send path runs on the sender's thread, the receive path on the
 * miniport's). A frame is read with NdisGetDataBuffer: in place when its
 * bytes are contiguous, else copied into the driver's scratch buffer, which
 * the same lock guards. Timestamps are the wall clock at the time the
 * chain passes, one per chain.
 *
 * The module originates nothing and holds nothing: FilterPause completes at
 * once (the layers above are already paused and drained when it is called),
 * and a send or receive that reaches a paused module is handed straight
 * back, as NDIS wants of every filter.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <pcap/pcap.h>

#include <ndis.h>

#include "capture.h"

#define CAPTURE_NDIS_MAJOR_VERSION 6
#define CAPTURE_NDIS_MINOR_VERSION 20
#define CAPTURE_SNAPLEN 65535 /* the largest frame recorded whole */

#define CAPTURE_SET_STRING(_String, _Literal)                        \
    ((_String).Buffer = (PWSTR)(_Literal),                           \
     (_String).Length = (USHORT)(sizeof(_Literal) - sizeof(WCHAR)),  \
     (_String).MaximumLength = (USHORT)sizeof(_Literal))

typedef enum _CAPTURE_STATE {
    CapturePaused,
    CaptureRunning
} CAPTURE_STATE;

typedef struct _CAPTURE_MODULE {
    NDIS_HANDLE FilterHandle;
    _Atomic int State; /* CAPTURE_STATE */
} CAPTURE_MODULE, *PCAPTURE_MODULE;

static struct {
    pthread_mutex_t Lock; /* guards everything below */
    NDIS_HANDLE DriverHandle;
    pcap_t *Pcap;
    pcap_dumper_t *Dumper;
    CAPTURE_STATS Stats;
    UCHAR Scratch[CAPTURE_SNAPLEN];
} CaptureGlobals = {.Lock = PTHREAD_MUTEX_INITIALIZER};

static FILTER_ATTACH CaptureAttach;
static FILTER_DETACH CaptureDetach;
static FILTER_RESTART CaptureRestart;
static FILTER_PAUSE CapturePause;
static FILTER_SEND_NET_BUFFER_LISTS CaptureSendNetBufferLists;
static FILTER_SEND_NET_BUFFER_LISTS_COMPLETE CaptureSendNetBufferListsComplete;
static FILTER_RECEIVE_NET_BUFFER_LISTS CaptureReceiveNetBufferLists;
static FILTER_RETURN_NET_BUFFER_LISTS CaptureReturnNetBufferLists;

/* ====================================================================== */
/* The file and registration                                               */
/* ====================================================================== */

BOOLEAN CaptureOpenFile(const char *Path, char *Error, size_t ErrorSize)
{
    pcap_t *Pcap = pcap_open_dead(DLT_EN10MB, CAPTURE_SNAPLEN);
    pcap_dumper_t *Dumper;

    if (Pcap == NULL) {
        snprintf(Error, ErrorSize, "libpcap cannot make an Ethernet capture handle");
        return FALSE;
    }
    Dumper = pcap_dump_open(Pcap, Path);
    if (Dumper == NULL) {
        snprintf(Error, ErrorSize, "%s", pcap_geterr(Pcap));
        pcap_close(Pcap);
        return FALSE;
    }
    pthread_mutex_lock(&CaptureGlobals.Lock);
    CaptureGlobals.Pcap = Pcap;
    CaptureGlobals.Dumper = Dumper;
    memset(&CaptureGlobals.Stats, 0, sizeof(CaptureGlobals.Stats));
    pthread_mutex_unlock(&CaptureGlobals.Lock);
    return TRUE;
}

static VOID CaptureFillCharacteristics(PNDIS_FILTER_DRIVER_CHARACTERISTICS Chars)
{
    static const WCHAR FriendlyName[] = u"ndisbuf pcap capture filter";
    static const WCHAR UniqueName[] = u"{3b9d7c1e-52a4-4f0b-8e61-c0a7d2f49b35}";
    static const WCHAR ServiceName[] = u"ndiscap";

    NdisZeroMemory(Chars, sizeof(*Chars));
    Chars->Header.Type = NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS;
    Chars->Header.Revision = NDIS_FILTER_CHARACTERISTICS_REVISION_2;
    Chars->Header.Size = NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_2;
    Chars->MajorNdisVersion = CAPTURE_NDIS_MAJOR_VERSION;
    Chars->MinorNdisVersion = CAPTURE_NDIS_MINOR_VERSION;
    Chars->MajorDriverVersion = 1;
    CAPTURE_SET_STRING(Chars->FriendlyName, FriendlyName);
    CAPTURE_SET_STRING(Chars->UniqueName, UniqueName);
    CAPTURE_SET_STRING(Chars->ServiceName, ServiceName);
    Chars->AttachHandler = CaptureAttach;
    Chars->DetachHandler = CaptureDetach;
    Chars->RestartHandler = CaptureRestart;
    Chars->PauseHandler = CapturePause;
    Chars->SendNetBufferListsHandler = CaptureSendNetBufferLists;
    Chars->SendNetBufferListsCompleteHandler = CaptureSendNetBufferListsComplete;
    Chars->ReceiveNetBufferListsHandler = CaptureReceiveNetBufferLists;
    Chars->ReturnNetBufferListsHandler = CaptureReturnNetBufferLists;
    /* No OID, status or PnP handlers: NDIS passes those straight by this filter. */
}

NDIS_STATUS CaptureDriverEntry(void)
{
    NDIS_FILTER_DRIVER_CHARACTERISTICS Chars;
    NDIS_HANDLE Handle = NULL;
    NDIS_STATUS Status;

    CaptureFillCharacteristics(&Chars);
    pthread_mutex_lock(&CaptureGlobals.Lock);
    if (CaptureGlobals.DriverHandle != NULL || CaptureGlobals.Dumper == NULL) {
        Status = NDIS_STATUS_FAILURE;
    } else {
        Status = NdisFRegisterFilterDriver(NULL, &CaptureGlobals, &Chars, &Handle);
        if (Status == NDIS_STATUS_SUCCESS)
            CaptureGlobals.DriverHandle = Handle;
    }
    pthread_mutex_unlock(&CaptureGlobals.Lock);
    return Status;
}

NDIS_HANDLE CaptureDriverHandle(void)
{
    NDIS_HANDLE Handle;

    pthread_mutex_lock(&CaptureGlobals.Lock);
    Handle = CaptureGlobals.DriverHandle;
    pthread_mutex_unlock(&CaptureGlobals.Lock);
    return Handle;
}

VOID CaptureDriverUnload(void)
{
    NDIS_HANDLE Handle;

    pthread_mutex_lock(&CaptureGlobals.Lock);
    Handle = CaptureGlobals.DriverHandle;
    CaptureGlobals.DriverHandle = NULL;
    pthread_mutex_unlock(&CaptureGlobals.Lock);
    if (Handle != NULL)
        NdisFDeregisterFilterDriver(Handle);

    pthread_mutex_lock(&CaptureGlobals.Lock);
    if (CaptureGlobals.Dumper != NULL)
        pcap_dump_close(CaptureGlobals.Dumper);
    if (CaptureGlobals.Pcap != NULL)
        pcap_close(CaptureGlobals.Pcap);
    CaptureGlobals.Dumper = NULL;
    CaptureGlobals.Pcap = NULL;
    pthread_mutex_unlock(&CaptureGlobals.Lock);
}

VOID CaptureGetStats(PCAPTURE_STATS Stats)
{
    pthread_mutex_lock(&CaptureGlobals.Lock);
    *Stats = CaptureGlobals.Stats;
    pthread_mutex_unlock(&CaptureGlobals.Lock);
}

/* ====================================================================== */
/* Module life                                                             */
/* ====================================================================== */

static NDIS_STATUS CaptureAttach(NDIS_HANDLE NdisFilterHandle, NDIS_HANDLE FilterDriverContext,
                                 PNDIS_FILTER_ATTACH_PARAMETERS AttachParameters)
{
    NDIS_FILTER_ATTRIBUTES Attributes;
    PCAPTURE_MODULE Module;
    NDIS_STATUS Status;

    UNREFERENCED_PARAMETER(FilterDriverContext);
    if (AttachParameters->MiniportMediaType != NdisMedium802_3)
        return NDIS_STATUS_INVALID_PARAMETER; /* the file says Ethernet */
    Module = calloc(1, sizeof(*Module));
    if (Module == NULL)
        return NDIS_STATUS_RESOURCES;
    Module->FilterHandle = NdisFilterHandle;
    atomic_init(&Module->State, CapturePaused);

    NdisZeroMemory(&Attributes, sizeof(Attributes));
    Attributes.Header.Type = NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES;
    Attributes.Header.Revision = NDIS_FILTER_ATTRIBUTES_REVISION_1;
    Attributes.Header.Size = NDIS_SIZEOF_FILTER_ATTRIBUTES_REVISION_1;
    Status = NdisFSetAttributes(NdisFilterHandle, Module, &Attributes);
    if (Status != NDIS_STATUS_SUCCESS)
        free(Module);
    return Status;
}

static VOID CaptureDetach(NDIS_HANDLE FilterModuleContext)
{
    free(FilterModuleContext);
}

/* Adds nothing to the restart attributes: the layers above need no room for this module. */
static NDIS_STATUS CaptureRestart(NDIS_HANDLE FilterModuleContext,
                                  PNDIS_FILTER_RESTART_PARAMETERS RestartParameters)
{
    PCAPTURE_MODULE Module = FilterModuleContext;

    UNREFERENCED_PARAMETER(RestartParameters);
    atomic_store(&Module->State, CaptureRunning);
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS CapturePause(NDIS_HANDLE FilterModuleContext, PNDIS_FILTER_PAUSE_PARAMETERS PauseParameters)
{
    PCAPTURE_MODULE Module = FilterModuleContext;

    UNREFERENCED_PARAMETER(PauseParameters);
    atomic_store(&Module->State, CapturePaused);
    return NDIS_STATUS_SUCCESS;
}

/* ====================================================================== */
/* Data path                                                               */
/* ====================================================================== */

/* Writes one NET_BUFFER's frame (lock held); FALSE when it cannot be recorded. */
static BOOLEAN CaptureWriteFrame(PNET_BUFFER NetBuffer, const struct timeval *Now)
{
    ULONG Length = NET_BUFFER_DATA_LENGTH(NetBuffer);
    struct pcap_pkthdr Header;
    PUCHAR Data;

    if (Length == 0 || Length > CAPTURE_SNAPLEN)
        return FALSE;
    Data = NdisGetDataBuffer(NetBuffer, Length, CaptureGlobals.Scratch, 1, 0);
    if (Data == NULL)
        return FALSE;
    Header.ts = *Now;
    Header.caplen = Length;
    Header.len = Length;
    pcap_dump((u_char *)CaptureGlobals.Dumper, &Header, Data);
    return TRUE;
}

/* Records every frame of the chain, as sent (Sent) or as received. */
static VOID CaptureRecordChain(PNET_BUFFER_LIST Chain, BOOLEAN Sent)
{
    ULONG64 Written = 0, Dropped = 0;
    struct timeval Now;

    gettimeofday(&Now, NULL);
    pthread_mutex_lock(&CaptureGlobals.Lock);
    for (PNET_BUFFER_LIST Nbl = Chain; Nbl != NULL; Nbl = NET_BUFFER_LIST_NEXT_NBL(Nbl)) {
        for (PNET_BUFFER Nb = NET_BUFFER_LIST_FIRST_NB(Nbl); Nb != NULL; Nb = NET_BUFFER_NEXT_NB(Nb)) {
            if (CaptureGlobals.Dumper != NULL && CaptureWriteFrame(Nb, &Now))
                Written++;
            else
                Dropped++;
        }
    }
    if (Sent)
        CaptureGlobals.Stats.FramesSent += Written;
    else
        CaptureGlobals.Stats.FramesReceived += Written;
    CaptureGlobals.Stats.FramesDropped += Dropped;
    pthread_mutex_unlock(&CaptureGlobals.Lock);
}

static VOID CaptureSendNetBufferLists(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferList,
                                      NDIS_PORT_NUMBER PortNumber, ULONG SendFlags)
{
    PCAPTURE_MODULE Module = FilterModuleContext;
    ULONG CompleteFlags = 0;

    if (atomic_load(&Module->State) == CaptureRunning) {
        CaptureRecordChain(NetBufferList, TRUE);
        NdisFSendNetBufferLists(Module->FilterHandle, NetBufferList, PortNumber, SendFlags);
        return;
    }
    for (PNET_BUFFER_LIST Nbl = NetBufferList; Nbl != NULL; Nbl = NET_BUFFER_LIST_NEXT_NBL(Nbl))
        NET_BUFFER_LIST_STATUS(Nbl) = NDIS_STATUS_PAUSED;
    if (NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags))
        NDIS_SET_SEND_COMPLETE_FLAG(CompleteFlags, NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL);
    NdisFSendNetBufferListsComplete(Module->FilterHandle, NetBufferList, CompleteFlags);
}

static VOID CaptureSendNetBufferListsComplete(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferList,
                                              ULONG SendCompleteFlags)
{
    PCAPTURE_MODULE Module = FilterModuleContext;

    NdisFSendNetBufferListsComplete(Module->FilterHandle, NetBufferList, SendCompleteFlags);
}

static VOID CaptureReceiveNetBufferLists(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferLists,
                                         NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists,
                                         ULONG ReceiveFlags)
{
    PCAPTURE_MODULE Module = FilterModuleContext;
    ULONG ReturnFlags = 0;

    if (atomic_load(&Module->State) == CaptureRunning) {
        CaptureRecordChain(NetBufferLists, FALSE);
        NdisFIndicateReceiveNetBufferLists(Module->FilterHandle, NetBufferLists, PortNumber,
                                           NumberOfNetBufferLists, ReceiveFlags);
        return;
    }
    if (NDIS_TEST_RECEIVE_CANNOT_PEND(ReceiveFlags))
        return; /* the indicator has them back when this call returns */
    if (NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(ReceiveFlags))
        NDIS_SET_RETURN_FLAG(ReturnFlags, NDIS_RETURN_FLAGS_DISPATCH_LEVEL);
    NdisFReturnNetBufferLists(Module->FilterHandle, NetBufferLists, ReturnFlags);
}

static VOID CaptureReturnNetBufferLists(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferLists,
                                        ULONG ReturnFlags)
{
    PCAPTURE_MODULE Module = FilterModuleContext;

    NdisFReturnNetBufferLists(Module->FilterHandle, NetBufferLists, ReturnFlags);
}
