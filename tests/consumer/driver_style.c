/* SPDX-License-Identifier: MIT */
/*
 * Driver-style consumer: a light-weight filter written the way Microsoft's
 * NDIS samples are (precomp-style pragmas, SAL-annotated handlers declared
 * through their role types, a LIST_ENTRY queue under an NDIS_SPIN_LOCK
 * taken with the Dpr form at DISPATCH_LEVEL, NET_BUFFER_LIST_INFO, tagged
 * memory, DbgPrint, C_ASSERT, NT_ASSERT, CONTAINING_RECORD, Interlocked
 * counters, L"..." strings). tests/consumer/check.sh compiles it against
 * the installed headers with -Wall -Wextra -Werror through pkg-config and
 * through find_package(ndisbuf), with only the package's own flags added.
 *
 * The filter parks sends on a queue while it is paused and releases them
 * on restart; main() runs those buffer-handling paths on real NBLs (the
 * NdisF* calls toward the stack are not reached without a binding).
 */
#pragma warning(disable:4201) // nameless struct/union, as the samples' precomp.h
#include <ndis.h>
#include <stdio.h>

#define FILTER_ALLOC_TAG 'tliF'
#define FILTER_FRIENDLY_NAME L"NDIS Sample LightWeight Filter"

#pragma NDIS_INIT_FUNCTION(DriverEntry)

typedef enum _FILTER_STATE { FilterPaused, FilterRunning } FILTER_STATE;

// One parked send: the NBL chain and its link in the module's queue.
typedef struct _FILTER_PENDING_SEND {
    LIST_ENTRY Link;
    PNET_BUFFER_LIST NetBufferLists;
    NDIS_PORT_NUMBER PortNumber;
    ULONG SendFlags;
} FILTER_PENDING_SEND, *PFILTER_PENDING_SEND;

typedef struct _MS_FILTER {
    NDIS_HANDLE FilterHandle;
    NDIS_STRING FriendlyName;
    FILTER_STATE State;
    NDIS_SPIN_LOCK Lock;
    LIST_ENTRY PendingSends;
    volatile LONG OutstandingSends;
    LONG64 BytesSent;
    USHORT VlanId;
} MS_FILTER, *PMS_FILTER;

C_ASSERT(sizeof(NDIS_SPIN_LOCK) == 16);
C_ASSERT(FIELD_OFFSET(FILTER_PENDING_SEND, Link) == 0);

FILTER_SEND_NET_BUFFER_LISTS FilterSendNetBufferLists;
FILTER_SEND_NET_BUFFER_LISTS_COMPLETE FilterSendNetBufferListsComplete;
FILTER_RESTART FilterRestart;
DRIVER_UNLOAD FilterUnload;

_IRQL_requires_max_(DISPATCH_LEVEL)
static VOID
filterTagNetBufferLists(
    _In_ PMS_FILTER Filter,
    _Inout_ PNET_BUFFER_LIST NetBufferLists
    )
{
    PNET_BUFFER_LIST CurrNbl;
    PNET_BUFFER CurrNb;
    NDIS_NET_BUFFER_LIST_8021Q_INFO Ieee8021Q;

    for (CurrNbl = NetBufferLists; CurrNbl != NULL; CurrNbl = NET_BUFFER_LIST_NEXT_NBL(CurrNbl))
    {
        Ieee8021Q.Value = NULL;
        Ieee8021Q.TagHeader.VlanId = Filter->VlanId;
        NET_BUFFER_LIST_INFO(CurrNbl, Ieee8021QNetBufferListInfo) = Ieee8021Q.Value;

        for (CurrNb = NET_BUFFER_LIST_FIRST_NB(CurrNbl); CurrNb != NULL; CurrNb = NET_BUFFER_NEXT_NB(CurrNb))
        {
            InterlockedExchangeAdd64(&Filter->BytesSent, NET_BUFFER_DATA_LENGTH(CurrNb));
        }
        InterlockedIncrement(&Filter->OutstandingSends);
    }
}

_IRQL_requires_max_(DISPATCH_LEVEL)
_Must_inspect_result_
static NDIS_STATUS
filterParkSends(
    _In_ PMS_FILTER Filter,
    _In_ PNET_BUFFER_LIST NetBufferLists,
    _In_ NDIS_PORT_NUMBER PortNumber,
    _In_ ULONG SendFlags
    )
{
    PFILTER_PENDING_SEND Pending;
    BOOLEAN DispatchLevel = NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags);

    Pending = (PFILTER_PENDING_SEND)NdisAllocateMemoryWithTagPriority(
        Filter->FilterHandle, sizeof(*Pending), FILTER_ALLOC_TAG, NormalPoolPriority);
    if (Pending == NULL)
    {
        return NDIS_STATUS_RESOURCES;
    }
    NdisZeroMemory(Pending, sizeof(*Pending));
    Pending->NetBufferLists = NetBufferLists;
    Pending->PortNumber = PortNumber;
    Pending->SendFlags = SendFlags;

    if (DispatchLevel)
    {
        NdisDprAcquireSpinLock(&Filter->Lock);
        InsertTailList(&Filter->PendingSends, &Pending->Link);
        NdisDprReleaseSpinLock(&Filter->Lock);
    }
    else
    {
        NdisAcquireSpinLock(&Filter->Lock);
        InsertTailList(&Filter->PendingSends, &Pending->Link);
        NdisReleaseSpinLock(&Filter->Lock);
    }
    return NDIS_STATUS_SUCCESS;
}

// Takes the parked sends off the queue, oldest first, as one NBL chain.
_IRQL_requires_max_(DISPATCH_LEVEL)
static PNET_BUFFER_LIST
filterTakeParkedSends(
    _In_ PMS_FILTER Filter
    )
{
    PNET_BUFFER_LIST Head = NULL;
    PNET_BUFFER_LIST *Tail = &Head;
    PLIST_ENTRY Entry;
    PFILTER_PENDING_SEND Pending;

    NdisAcquireSpinLock(&Filter->Lock);
    while (!IsListEmpty(&Filter->PendingSends))
    {
        Entry = RemoveHeadList(&Filter->PendingSends);
        Pending = CONTAINING_RECORD(Entry, FILTER_PENDING_SEND, Link);
        *Tail = Pending->NetBufferLists;
        while (*Tail != NULL)
        {
            Tail = &NET_BUFFER_LIST_NEXT_NBL(*Tail);
        }
        NdisFreeMemoryWithTagPriority(Filter->FilterHandle, Pending, FILTER_ALLOC_TAG);
    }
    NdisReleaseSpinLock(&Filter->Lock);
    return Head;
}

_Use_decl_annotations_
VOID
FilterSendNetBufferLists(
    NDIS_HANDLE         FilterModuleContext,
    PNET_BUFFER_LIST    NetBufferLists,
    NDIS_PORT_NUMBER    PortNumber,
    ULONG               SendFlags
    )
{
    PMS_FILTER pFilter = (PMS_FILTER)FilterModuleContext;
    PNET_BUFFER_LIST CurrNbl;

    DbgPrint("FilterSendNetBufferLists: %p on %wZ\n", NetBufferLists, &pFilter->FriendlyName);
    filterTagNetBufferLists(pFilter, NetBufferLists);

    if (pFilter->State != FilterRunning)
    {
        if (filterParkSends(pFilter, NetBufferLists, PortNumber, SendFlags) == NDIS_STATUS_SUCCESS)
        {
            return;
        }
        for (CurrNbl = NetBufferLists; CurrNbl != NULL; CurrNbl = NET_BUFFER_LIST_NEXT_NBL(CurrNbl))
        {
            NET_BUFFER_LIST_STATUS(CurrNbl) = NDIS_STATUS_RESOURCES;
        }
        NdisFSendNetBufferListsComplete(pFilter->FilterHandle, NetBufferLists,
            NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags) ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0);
        return;
    }
    NdisFSendNetBufferLists(pFilter->FilterHandle, NetBufferLists, PortNumber, SendFlags);
}

_Use_decl_annotations_
VOID
FilterSendNetBufferListsComplete(
    NDIS_HANDLE         FilterModuleContext,
    PNET_BUFFER_LIST    NetBufferLists,
    ULONG               SendCompleteFlags
    )
{
    PMS_FILTER pFilter = (PMS_FILTER)FilterModuleContext;
    PNET_BUFFER_LIST CurrNbl;

    for (CurrNbl = NetBufferLists; CurrNbl != NULL; CurrNbl = NET_BUFFER_LIST_NEXT_NBL(CurrNbl))
    {
        NT_VERIFY(InterlockedDecrement(&pFilter->OutstandingSends) >= 0);
    }
    NdisFSendNetBufferListsComplete(pFilter->FilterHandle, NetBufferLists, SendCompleteFlags);
}

_Use_decl_annotations_
NDIS_STATUS
FilterRestart(
    NDIS_HANDLE                     FilterModuleContext,
    PNDIS_FILTER_RESTART_PARAMETERS RestartParameters
    )
{
    PMS_FILTER pFilter = (PMS_FILTER)FilterModuleContext;
    PNET_BUFFER_LIST Parked;

    UNREFERENCED_PARAMETER(RestartParameters);
    NT_ASSERT(pFilter->State == FilterPaused);
    pFilter->State = FilterRunning;
    Parked = filterTakeParkedSends(pFilter);
    if (Parked != NULL)
    {
        NdisFSendNetBufferLists(pFilter->FilterHandle, Parked, NDIS_DEFAULT_PORT_NUMBER, 0);
    }
    return NDIS_STATUS_SUCCESS;
}

_Use_decl_annotations_
VOID
FilterUnload(
    PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);
    KdPrint(("FilterUnload\n"));
}

// ---- the test: run the buffer-handling paths on real NBLs ----

static UCHAR Frames[3][60];

static int check(int ok, const char *what)
{
    if (!ok)
    {
        fprintf(stderr, "driver_style: %s\n", what);
    }
    return ok ? 0 : 1;
}

int main(void)
{
    MS_FILTER Filter;
    NDIS_STRING Name = RTL_CONSTANT_STRING(FILTER_FRIENDLY_NAME);
    NET_BUFFER_LIST_POOL_PARAMETERS Params;
    NDIS_HANDLE Pool;
    PNET_BUFFER_LIST Nbl[3], Chain;
    PMDL Mdl[3];
    NDIS_NET_BUFFER_LIST_8021Q_INFO Tag;
    int failures = 0;
    ULONG i;

    NdisZeroMemory(&Filter, sizeof(Filter));
    Filter.FriendlyName = Name;
    Filter.State = FilterPaused;
    Filter.VlanId = 42;
    NdisAllocateSpinLock(&Filter.Lock);
    InitializeListHead(&Filter.PendingSends);

    NdisZeroMemory(&Params, sizeof(Params));
    Params.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    Params.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    Params.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    Params.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
    Params.fAllocateNetBuffer = TRUE;
    Params.PoolTag = FILTER_ALLOC_TAG;
    Pool = NdisAllocateNetBufferListPool(NULL, &Params);
    if (Pool == NULL)
    {
        return check(0, "NdisAllocateNetBufferListPool failed");
    }
    for (i = 0; i < 3; i++)
    {
        Mdl[i] = NdisAllocateMdl(NULL, Frames[i], sizeof(Frames[i]) - i);
        Nbl[i] = NdisAllocateNetBufferAndNetBufferList(Pool, 0, 0, Mdl[i], 0, sizeof(Frames[i]) - i);
        if (Mdl[i] == NULL || Nbl[i] == NULL)
        {
            return check(0, "allocation failed");
        }
    }
    NET_BUFFER_LIST_NEXT_NBL(Nbl[0]) = Nbl[1];

    // Paused: both sends are tagged, counted and parked (one at DISPATCH_LEVEL).
    FilterSendNetBufferLists(&Filter, Nbl[0], NDIS_DEFAULT_PORT_NUMBER, 0);
    FilterSendNetBufferLists(&Filter, Nbl[2], NDIS_DEFAULT_PORT_NUMBER, NDIS_SEND_FLAGS_DISPATCH_LEVEL);
    failures += check(Filter.OutstandingSends == 3, "three sends outstanding");
    failures += check(Filter.BytesSent == 60 + 59 + 58, "bytes counted");
    Tag.Value = NET_BUFFER_LIST_INFO(Nbl[2], Ieee8021QNetBufferListInfo);
    failures += check(Tag.TagHeader.VlanId == 42, "802.1Q info set");
    failures += check(!IsListEmpty(&Filter.PendingSends), "sends parked");

    // Restart's queue drain, without handing the chain to a stack.
    Chain = filterTakeParkedSends(&Filter);
    failures += check(Chain == Nbl[0] && NET_BUFFER_LIST_NEXT_NBL(Nbl[0]) == Nbl[1] &&
                      NET_BUFFER_LIST_NEXT_NBL(Nbl[1]) == Nbl[2] && NET_BUFFER_LIST_NEXT_NBL(Nbl[2]) == NULL,
                      "parked sends come back as one chain, oldest first");
    failures += check(IsListEmpty(&Filter.PendingSends), "queue drained");
    failures += check(ndisbuf_tagged_memory_outstanding(NULL) == 0, "queue entries freed");

    for (i = 0; i < 3; i++)
    {
        NET_BUFFER_LIST_NEXT_NBL(Nbl[i]) = NULL;
        NdisFreeNetBufferList(Nbl[i]);
        NdisFreeMdl(Mdl[i]);
    }
    NdisFreeNetBufferListPool(Pool);
    NdisFreeSpinLock(&Filter.Lock);
    FilterUnload(NULL);

    if (failures == 0)
    {
        printf("driver_style: ok\n");
    }
    return failures == 0 ? 0 : 1;
}
