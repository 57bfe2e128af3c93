/* SPDX-License-Identifier: MIT */
/*
 * vlan_filter.c: an IEEE 802.1Q filter driver (vlan_filter.h), laid out the
 * way Microsoft's NDIS filter sample is: registration, module life (attach,
 * restart, pause, detach), the send path and the receive path.
 *
 *   sent by the protocol:  | dst | src | EtherType | payload
 *   on the wire:           | dst | src | 0x8100 | TCI | EtherType | payload
 *
 * Room. FilterRestart adds what the module needs to the restart attributes
 * passed up (OID_GEN_MINIPORT_RESTART_ATTRIBUTES): 4 bytes of data
 * back-fill for the tag and VLAN_FILTER_CONTEXT_SIZE bytes of context
 * back-fill for what it keeps per NBL. A protocol that honours them gives
 * NBLs on which NdisRetreatNetBufferDataStart and
 * NdisAllocateNetBufferListContext allocate nothing; one that does not
 * still works (the library then allocates an MDL or a context block, and
 * the completion frees them). Unless the miniport says it carries 802.1Q
 * frames (NDIS_MAC_OPTION_8021Q_VLAN), the module also takes 4 bytes off
 * MtuSize, so that a full-size frame still fits the miniport once tagged.
 *
 * Send: per NBL, push context (the TCI it wrote), then per NB retreat 4
 * bytes, move the 12 MAC bytes into the new start and write the tag behind
 * them. Completion undoes it per NB (MACs back, advance 4 freeing any MDL
 * the retreat added), pops the context and passes the NBLs up. An NBL that
 * cannot be tagged is completed back up at once, exactly as it came.
 *
 * Receive: an NBL whose frames all carry our VLAN id (one TCI) is stripped
 * in place (MACs moved up over the tag, advance 4, TCI into
 * Ieee8021QNetBufferListInfo; context remembers the TCI and the old slot)
 * and indicated up; on its return (or as soon as an indication with
 * NDIS_RECEIVE_FLAGS_RESOURCES returns) the frame is put back byte for
 * byte before the miniport gets it. Other VLAN ids and malformed tags are
 * dropped; untagged frames pass untouched (decision: a trunk-side filter
 * that only adds a VLAN should not cut off untagged traffic of the same
 * link, and a stack that just gained the filter keeps its old peers).
 *
 * Pause: no new sends or indications; FilterPause pends while NBLs the
 * module passed on (down or up) are not back, and the last one back calls
 * NdisFPauseComplete.
 *
 * Locking. The data path takes no lock: the NBLs in flight are one atomic
 * count, raised before the state is read (so a pause either refuses a
 * call or waits for what it passes on), and the statistics are relaxed
 * atomic counters, added once per call, on cache lines apart from the
 * count so that the sending thread and the completing or receiving one do
 * not take lines from each other. A mutex per module serialises the
 * control handlers (restart, pause, the pause's completion).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <ndis.h>

#include "vlan_filter.h"

#define VLAN_FILTER_NDIS_MAJOR_VERSION 6
#define VLAN_FILTER_NDIS_MINOR_VERSION 20
#define VLAN_FILTER_MAC_LENGTH 12     /* destination and source addresses */
#define VLAN_FILTER_ETHERNET_HEADER_LENGTH 14
#define VLAN_FILTER_HEADER_LENGTH (VLAN_FILTER_MAC_LENGTH + VLAN_FILTER_TAG_LENGTH)
#define VLAN_FILTER_MIN_TAGGED_LENGTH (VLAN_FILTER_HEADER_LENGTH + 2) /* and the inner EtherType */
#define VLAN_FILTER_MAX_VLAN_ID 4094
#define VLAN_FILTER_MAX_PRIORITY 7
#define VLAN_FILTER_VLAN_ID_MASK 0x0FFF
#define VLAN_FILTER_SIGNATURE 0x4E414C56U /* "VLAN": context this driver pushed */
#define VLAN_FILTER_POOL_TAG ((ULONG)'V' | ((ULONG)'l' << 8) | ((ULONG)'a' << 16) | ((ULONG)'n' << 24))

#define VLAN_FILTER_SET_STRING(_String, _Literal)               \
    ((_String).Buffer = (PWSTR)(_Literal),                      \
     (_String).Length = (USHORT)(sizeof(_Literal) - sizeof(WCHAR)), \
     (_String).MaximumLength = (USHORT)sizeof(_Literal))

typedef enum _VLAN_FILTER_STATE {
    VlanFilterPaused,
    VlanFilterRunning,
    VlanFilterPausing
} VLAN_FILTER_STATE;

#define VLAN_FILTER_CACHE_LINE 64

typedef _Atomic ULONG64 VLAN_FILTER_COUNTER;

/* The counters each path adds to: each on cache lines of its own (see Locking above). */
typedef struct _VLAN_FILTER_SEND_STATS {
    VLAN_FILTER_COUNTER SendsTagged;
    VLAN_FILTER_COUNTER FramesTagged;
    VLAN_FILTER_COUNTER FramesWithoutRoom;
    VLAN_FILTER_COUNTER SendsWithoutRoom;
    VLAN_FILTER_COUNTER SendsRejected;
    VLAN_FILTER_COUNTER SendsPaused;
} VLAN_FILTER_SEND_STATS;

typedef struct _VLAN_FILTER_UP_STATS {
    VLAN_FILTER_COUNTER SendsCompleted;
    VLAN_FILTER_COUNTER ReceivesStripped;
    VLAN_FILTER_COUNTER ReceivesUntagged;
    VLAN_FILTER_COUNTER ReceivesForeign;
    VLAN_FILTER_COUNTER ReceivesNoContext;
    VLAN_FILTER_COUNTER ReceivesPaused;
    VLAN_FILTER_COUNTER ReceivesRestored;
} VLAN_FILTER_UP_STATS;

typedef struct _VLAN_FILTER_MODULE VLAN_FILTER_MODULE, *PVLAN_FILTER_MODULE;
struct _VLAN_FILTER_MODULE {
    PVLAN_FILTER_MODULE Next;          /* in VlanFilterGlobals.Modules */
    NDIS_HANDLE FilterHandle;
    USHORT VlanId;
    USHORT Tci;                        /* what sends are tagged with */
    pthread_mutex_t Lock;              /* serialises restart, pause and the pause's completion */
    /* Under Lock. */
    ULONG64 PausesImmediate;
    ULONG64 PausesPended;
    ULONG64 Restarts;
    ULONG MtuReduction;

    /* Read by the data path, written under Lock. */
    _Atomic int State;                 /* VLAN_FILTER_STATE */
    _Atomic BOOLEAN PausePending;      /* FilterPause returned PENDING */
    /* NBLs passed down or up and not back: the pause's drain count. */
    _Alignas(VLAN_FILTER_CACHE_LINE) _Atomic LONG64 InFlight;
    _Alignas(VLAN_FILTER_CACHE_LINE) VLAN_FILTER_SEND_STATS Send;
    _Alignas(VLAN_FILTER_CACHE_LINE) VLAN_FILTER_UP_STATS Up; /* send completions, receives, returns */
};

/*
 * What the module keeps on an NBL it changed, in the NBL context it pushed:
 * the TCI it wrote (send) or took out (receive), and on receive the
 * Ieee8021QNetBufferListInfo slot as the miniport indicated it.
 */
typedef struct _VLAN_FILTER_NBL_CONTEXT {
    ULONG Signature;
    USHORT Tci;
    USHORT Reserved;
    PVOID SavedIeee8021QInfo;
} VLAN_FILTER_NBL_CONTEXT, *PVLAN_FILTER_NBL_CONTEXT;

C_ASSERT(sizeof(VLAN_FILTER_NBL_CONTEXT) == VLAN_FILTER_CONTEXT_SIZE);
C_ASSERT(VLAN_FILTER_CONTEXT_SIZE % sizeof(PVOID) == 0);

/* What one receive call did, added to the statistics under the lock once. */
typedef struct _VLAN_FILTER_RECEIVE_COUNTS {
    ULONG Stripped;
    ULONG Untagged;
    ULONG Foreign;
    ULONG NoContext;
} VLAN_FILTER_RECEIVE_COUNTS, *PVLAN_FILTER_RECEIVE_COUNTS;

typedef enum _VLAN_FILTER_FRAME_KIND {
    VlanFrameUntagged,
    VlanFrameOurs,
    VlanFrameForeign
} VLAN_FILTER_FRAME_KIND;

static struct {
    pthread_mutex_t Lock;              /* guards everything below */
    BOOLEAN Registering;               /* VlanFilterDriverEntry is running */
    NDIS_HANDLE DriverHandle;
    USHORT VlanId;                     /* what modules attached from now on tag with */
    UCHAR Priority;
    PVLAN_FILTER_MODULE Modules;
} VlanFilterGlobals = {PTHREAD_MUTEX_INITIALIZER, FALSE, NULL, 0, 0, NULL};

static FILTER_ATTACH VlanFilterAttach;
static FILTER_DETACH VlanFilterDetach;
static FILTER_RESTART VlanFilterRestart;
static FILTER_PAUSE VlanFilterPause;
static FILTER_SEND_NET_BUFFER_LISTS VlanFilterSendNetBufferLists;
static FILTER_SEND_NET_BUFFER_LISTS_COMPLETE VlanFilterSendNetBufferListsComplete;
static FILTER_RECEIVE_NET_BUFFER_LISTS VlanFilterReceiveNetBufferLists;
static FILTER_RETURN_NET_BUFFER_LISTS VlanFilterReturnNetBufferLists;

/* ====================================================================== */
/* Registration                                                            */
/* ====================================================================== */

static VOID VlanFilterFillCharacteristics(PNDIS_FILTER_DRIVER_CHARACTERISTICS Chars)
{
    static const WCHAR FriendlyName[] = u"ndisbuf 802.1Q VLAN filter";
    static const WCHAR UniqueName[] = u"{8e3f4a52-6d0b-4c1e-9b7a-2f5d81c6a904}";
    static const WCHAR ServiceName[] = u"vlanfilter";

    NdisZeroMemory(Chars, sizeof(*Chars));
    Chars->Header.Type = NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS;
    Chars->Header.Revision = NDIS_FILTER_CHARACTERISTICS_REVISION_2;
    Chars->Header.Size = NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_2;
    Chars->MajorNdisVersion = VLAN_FILTER_NDIS_MAJOR_VERSION;
    Chars->MinorNdisVersion = VLAN_FILTER_NDIS_MINOR_VERSION;
    Chars->MajorDriverVersion = 1;
    VLAN_FILTER_SET_STRING(Chars->FriendlyName, FriendlyName);
    VLAN_FILTER_SET_STRING(Chars->UniqueName, UniqueName);
    VLAN_FILTER_SET_STRING(Chars->ServiceName, ServiceName);
    Chars->AttachHandler = VlanFilterAttach;
    Chars->DetachHandler = VlanFilterDetach;
    Chars->RestartHandler = VlanFilterRestart;
    Chars->PauseHandler = VlanFilterPause;
    Chars->SendNetBufferListsHandler = VlanFilterSendNetBufferLists;
    Chars->SendNetBufferListsCompleteHandler = VlanFilterSendNetBufferListsComplete;
    Chars->ReceiveNetBufferListsHandler = VlanFilterReceiveNetBufferLists;
    Chars->ReturnNetBufferListsHandler = VlanFilterReturnNetBufferLists;
    /* No OID, status or PnP handlers: NDIS passes those straight by this filter. */
}

NDIS_STATUS VlanFilterDriverEntry(USHORT VlanId, UCHAR Priority)
{
    NDIS_FILTER_DRIVER_CHARACTERISTICS Chars;
    NDIS_HANDLE Handle = NULL;
    NDIS_STATUS Status;

    if (VlanId == 0 || VlanId > VLAN_FILTER_MAX_VLAN_ID || Priority > VLAN_FILTER_MAX_PRIORITY)
        return NDIS_STATUS_INVALID_PARAMETER;

    /* Registered once; the lock is not held across the call, which may call back (FilterAttach). */
    pthread_mutex_lock(&VlanFilterGlobals.Lock);
    Status = VlanFilterGlobals.Registering || VlanFilterGlobals.DriverHandle != NULL ? NDIS_STATUS_FAILURE
                                                                                      : NDIS_STATUS_SUCCESS;
    if (Status == NDIS_STATUS_SUCCESS) {
        VlanFilterGlobals.Registering = TRUE;
        VlanFilterGlobals.VlanId = VlanId;
        VlanFilterGlobals.Priority = Priority;
    }
    pthread_mutex_unlock(&VlanFilterGlobals.Lock);
    if (Status != NDIS_STATUS_SUCCESS)
        return Status;

    VlanFilterFillCharacteristics(&Chars);
    Status = NdisFRegisterFilterDriver(NULL, &VlanFilterGlobals, &Chars, &Handle);
    pthread_mutex_lock(&VlanFilterGlobals.Lock);
    if (Status == NDIS_STATUS_SUCCESS)
        VlanFilterGlobals.DriverHandle = Handle;
    VlanFilterGlobals.Registering = FALSE;
    pthread_mutex_unlock(&VlanFilterGlobals.Lock);
    return Status;
}

VOID VlanFilterDriverUnload(void)
{
    NDIS_HANDLE Handle;

    pthread_mutex_lock(&VlanFilterGlobals.Lock);
    Handle = VlanFilterGlobals.DriverHandle;
    VlanFilterGlobals.DriverHandle = NULL;
    pthread_mutex_unlock(&VlanFilterGlobals.Lock);
    if (Handle != NULL)
        NdisFDeregisterFilterDriver(Handle);
}

NDIS_HANDLE VlanFilterDriverHandle(void)
{
    NDIS_HANDLE Handle;

    pthread_mutex_lock(&VlanFilterGlobals.Lock);
    Handle = VlanFilterGlobals.DriverHandle;
    pthread_mutex_unlock(&VlanFilterGlobals.Lock);
    return Handle;
}

static ULONG64 VlanFilterRead(VLAN_FILTER_COUNTER *Counter)
{
    return atomic_load_explicit(Counter, memory_order_relaxed);
}

/* A snapshot of the module's counters (each read on its own: the data path does not stop for it). */
static VOID VlanFilterReadStats(PVLAN_FILTER_MODULE Module, PVLAN_FILTER_STATS Stats)
{
    LONG64 InFlight = atomic_load(&Module->InFlight);

    NdisZeroMemory(Stats, sizeof(*Stats));
    Stats->SendsTagged = VlanFilterRead(&Module->Send.SendsTagged);
    Stats->FramesTagged = VlanFilterRead(&Module->Send.FramesTagged);
    Stats->FramesWithoutRoom = VlanFilterRead(&Module->Send.FramesWithoutRoom);
    Stats->SendsWithoutRoom = VlanFilterRead(&Module->Send.SendsWithoutRoom);
    Stats->SendsRejected = VlanFilterRead(&Module->Send.SendsRejected);
    Stats->SendsPaused = VlanFilterRead(&Module->Send.SendsPaused);
    Stats->SendsCompleted = VlanFilterRead(&Module->Up.SendsCompleted);
    Stats->ReceivesStripped = VlanFilterRead(&Module->Up.ReceivesStripped);
    Stats->ReceivesUntagged = VlanFilterRead(&Module->Up.ReceivesUntagged);
    Stats->ReceivesForeign = VlanFilterRead(&Module->Up.ReceivesForeign);
    Stats->ReceivesNoContext = VlanFilterRead(&Module->Up.ReceivesNoContext);
    Stats->ReceivesPaused = VlanFilterRead(&Module->Up.ReceivesPaused);
    Stats->ReceivesRestored = VlanFilterRead(&Module->Up.ReceivesRestored);
    Stats->InFlight = InFlight > 0 ? (ULONG64)InFlight : 0;
    pthread_mutex_lock(&Module->Lock);
    Stats->Running = atomic_load(&Module->State) == VlanFilterRunning;
    Stats->PausePending = atomic_load(&Module->PausePending);
    Stats->PausesImmediate = Module->PausesImmediate;
    Stats->PausesPended = Module->PausesPended;
    Stats->Restarts = Module->Restarts;
    Stats->MtuReduction = Module->MtuReduction;
    pthread_mutex_unlock(&Module->Lock);
}

NDIS_STATUS VlanFilterGetStats(NDIS_HANDLE NdisFilterHandle, PVLAN_FILTER_STATS Stats)
{
    PVLAN_FILTER_MODULE Module;

    if (Stats == NULL)
        return NDIS_STATUS_INVALID_PARAMETER;
    pthread_mutex_lock(&VlanFilterGlobals.Lock);
    for (Module = VlanFilterGlobals.Modules; Module != NULL; Module = Module->Next) {
        if (Module->FilterHandle == NdisFilterHandle) {
            VlanFilterReadStats(Module, Stats);
            break;
        }
    }
    pthread_mutex_unlock(&VlanFilterGlobals.Lock);
    return Module != NULL ? NDIS_STATUS_SUCCESS : NDIS_STATUS_INVALID_PARAMETER;
}

/* ====================================================================== */
/* Module life: attach, detach, restart, pause                             */
/* ====================================================================== */

static NDIS_STATUS VlanFilterAttach(NDIS_HANDLE NdisFilterHandle, NDIS_HANDLE FilterDriverContext,
                                    PNDIS_FILTER_ATTACH_PARAMETERS AttachParameters)
{
    NDIS_FILTER_ATTRIBUTES Attributes;
    PVLAN_FILTER_MODULE Module;
    NDIS_STATUS Status;

    UNREFERENCED_PARAMETER(FilterDriverContext);
    if (AttachParameters->MiniportMediaType != NdisMedium802_3)
        return NDIS_STATUS_INVALID_PARAMETER; /* 802.1Q tags only Ethernet frames */
    /* Aligned for its cache-line-aligned counters (sizeof is a multiple of the alignment). */
    Module = aligned_alloc(_Alignof(VLAN_FILTER_MODULE), sizeof(*Module));
    if (Module == NULL)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(Module, sizeof(*Module));
    pthread_mutex_init(&Module->Lock, NULL);
    Module->FilterHandle = NdisFilterHandle;
    atomic_init(&Module->State, VlanFilterPaused);
    pthread_mutex_lock(&VlanFilterGlobals.Lock);
    Module->VlanId = VlanFilterGlobals.VlanId;
    Module->Tci = (USHORT)((VlanFilterGlobals.Priority << 13) | VlanFilterGlobals.VlanId);
    pthread_mutex_unlock(&VlanFilterGlobals.Lock);

    NdisZeroMemory(&Attributes, sizeof(Attributes));
    Attributes.Header.Type = NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES;
    Attributes.Header.Revision = NDIS_FILTER_ATTRIBUTES_REVISION_1;
    Attributes.Header.Size = NDIS_SIZEOF_FILTER_ATTRIBUTES_REVISION_1;
    Status = NdisFSetAttributes(NdisFilterHandle, Module, &Attributes);
    if (Status != NDIS_STATUS_SUCCESS) {
        pthread_mutex_destroy(&Module->Lock);
        free(Module);
        return Status;
    }

    pthread_mutex_lock(&VlanFilterGlobals.Lock);
    Module->Next = VlanFilterGlobals.Modules;
    VlanFilterGlobals.Modules = Module;
    pthread_mutex_unlock(&VlanFilterGlobals.Lock);
    return NDIS_STATUS_SUCCESS;
}

static VOID VlanFilterDetach(NDIS_HANDLE FilterModuleContext)
{
    PVLAN_FILTER_MODULE Module = FilterModuleContext;
    PVLAN_FILTER_MODULE *Link;

    pthread_mutex_lock(&VlanFilterGlobals.Lock);
    for (Link = &VlanFilterGlobals.Modules; *Link != NULL; Link = &(*Link)->Next) {
        if (*Link == Module) {
            *Link = Module->Next;
            break;
        }
    }
    pthread_mutex_unlock(&VlanFilterGlobals.Lock);
    pthread_mutex_destroy(&Module->Lock);
    free(Module);
}

/* The OID_GEN_MINIPORT_RESTART_ATTRIBUTES entry of a restart attribute list, or NULL. */
static PNDIS_RESTART_GENERAL_ATTRIBUTES VlanFilterFindGeneralAttributes(PNDIS_RESTART_ATTRIBUTES Attributes)
{
    for (; Attributes != NULL; Attributes = Attributes->Next) {
        if (Attributes->Oid == OID_GEN_MINIPORT_RESTART_ATTRIBUTES &&
            Attributes->DataLength >= NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_1)
            return (PNDIS_RESTART_GENERAL_ATTRIBUTES)(PVOID)Attributes->Data;
    }
    return NULL;
}

/*
 * Declares the module's needs to the layers above by adding them to the
 * general restart attributes (which already hold the sum of the layers
 * below), then lets data flow.
 */
static NDIS_STATUS VlanFilterRestart(NDIS_HANDLE FilterModuleContext,
                                     PNDIS_FILTER_RESTART_PARAMETERS RestartParameters)
{
    PVLAN_FILTER_MODULE Module = FilterModuleContext;
    PNDIS_RESTART_GENERAL_ATTRIBUTES General;
    ULONG MtuReduction = 0;

    General = VlanFilterFindGeneralAttributes(RestartParameters->RestartAttributes);
    if (General != NULL) {
        General->DataBackFillSize += VLAN_FILTER_TAG_LENGTH;
        General->ContextBackFillSize += VLAN_FILTER_CONTEXT_SIZE;
        if ((General->MacOptions & NDIS_MAC_OPTION_8021Q_VLAN) == 0 && General->MtuSize > VLAN_FILTER_TAG_LENGTH) {
            General->MtuSize -= VLAN_FILTER_TAG_LENGTH;
            MtuReduction = VLAN_FILTER_TAG_LENGTH;
        }
    }

    pthread_mutex_lock(&Module->Lock);
    atomic_store(&Module->State, VlanFilterRunning);
    Module->Restarts++;
    Module->MtuReduction = MtuReduction;
    pthread_mutex_unlock(&Module->Lock);
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS VlanFilterPause(NDIS_HANDLE FilterModuleContext, PNDIS_FILTER_PAUSE_PARAMETERS PauseParameters)
{
    PVLAN_FILTER_MODULE Module = FilterModuleContext;
    NDIS_STATUS Status;

    UNREFERENCED_PARAMETER(PauseParameters);
    pthread_mutex_lock(&Module->Lock);
    /* State and PausePending first, then the count (all seq_cst): pairs with VlanFilterAdmit and VlanFilterRetire. */
    atomic_store(&Module->State, VlanFilterPausing);
    atomic_store(&Module->PausePending, TRUE); /* the last NBL back calls NdisFPauseComplete */
    if (atomic_load(&Module->InFlight) == 0) {
        atomic_store(&Module->PausePending, FALSE);
        atomic_store(&Module->State, VlanFilterPaused);
        Module->PausesImmediate++;
        Status = NDIS_STATUS_SUCCESS;
    } else {
        Status = NDIS_STATUS_PENDING;
    }
    pthread_mutex_unlock(&Module->Lock);
    return Status;
}

/*
 * Finishes a pending pause if nothing is in flight any more. Several
 * threads may see the count reach zero: the lock lets one of them finish.
 */
static VOID VlanFilterFinishPause(PVLAN_FILTER_MODULE Module)
{
    BOOLEAN CompletePause = FALSE;

    pthread_mutex_lock(&Module->Lock);
    if (atomic_load(&Module->PausePending) && atomic_load(&Module->InFlight) == 0) {
        atomic_store(&Module->PausePending, FALSE);
        atomic_store(&Module->State, VlanFilterPaused);
        Module->PausesPended++;
        CompletePause = TRUE;
    }
    pthread_mutex_unlock(&Module->Lock);
    if (CompletePause)
        NdisFPauseComplete(Module->FilterHandle);
}

/* Count NBLs are back (or were never passed on); the last one finishes a pending pause. */
static VOID VlanFilterRetire(PVLAN_FILTER_MODULE Module, ULONG Count)
{
    if (Count != 0 && atomic_fetch_sub(&Module->InFlight, (LONG64)Count) == (LONG64)Count &&
        atomic_load(&Module->PausePending))
        VlanFilterFinishPause(Module);
}

/*
 * Takes Count NBLs in flight if the module runs; FALSE (nothing taken)
 * otherwise. The count is raised before the state is read, and a pause
 * sets the state before it reads the count: a call is either refused or
 * waited for.
 */
static BOOLEAN VlanFilterAdmit(PVLAN_FILTER_MODULE Module, ULONG Count)
{
    atomic_fetch_add(&Module->InFlight, (LONG64)Count);
    if (atomic_load(&Module->State) == VlanFilterRunning)
        return TRUE;
    VlanFilterRetire(Module, Count);
    return FALSE;
}

/* Adds to a statistics counter (relaxed: nothing is ordered by it). */
static VOID VlanFilterCount(VLAN_FILTER_COUNTER *Counter, ULONG64 Amount)
{
    if (Amount != 0)
        atomic_fetch_add_explicit(Counter, Amount, memory_order_relaxed);
}

/* ====================================================================== */
/* Frame bytes and NBL context                                             */
/* ====================================================================== */

/* Copies Length bytes of Buffer into the frame, Offset bytes after its data start, MDL by MDL. */
static VOID VlanFilterWriteNetBuffer(PNET_BUFFER NetBuffer, ULONG Offset, const UCHAR *Buffer, ULONG Length)
{
    PMDL Mdl = NET_BUFFER_CURRENT_MDL(NetBuffer);
    ULONG Skip = NET_BUFFER_CURRENT_MDL_OFFSET(NetBuffer) + Offset;

    for (; Mdl != NULL && Length != 0; NdisGetNextMdl(Mdl, &Mdl)) {
        PUCHAR Va;
        ULONG MdlLength, Bytes;

        NdisQueryMdl(Mdl, (PVOID *)&Va, &MdlLength, NormalPagePriority);
        if (Skip >= MdlLength) {
            Skip -= MdlLength;
            continue;
        }
        Bytes = MdlLength - Skip < Length ? MdlLength - Skip : Length;
        NdisMoveMemory(Va + Skip, Buffer, Bytes);
        Buffer += Bytes;
        Length -= Bytes;
        Skip = 0;
    }
}

/*
 * The frame's first Length bytes: in place when the current MDL holds them
 * (nearly always: checked here without a call), else what NdisGetDataBuffer
 * gives, in place or copied to Storage.
 */
static PUCHAR VlanFilterHeader(PNET_BUFFER NetBuffer, ULONG Length, PUCHAR Storage)
{
    PMDL Mdl = NET_BUFFER_CURRENT_MDL(NetBuffer);
    ULONG Offset = NET_BUFFER_CURRENT_MDL_OFFSET(NetBuffer);

    if (Mdl != NULL && NET_BUFFER_DATA_LENGTH(NetBuffer) >= Length && Offset <= MmGetMdlByteCount(Mdl) &&
        MmGetMdlByteCount(Mdl) - Offset >= Length)
        return (PUCHAR)MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority) + Offset;
    return NdisGetDataBuffer(NetBuffer, Length, Storage, 1, 0);
}

/*
 * Moves the 12 MAC bytes 4 bytes up or down (the ranges overlap): through
 * a copy of fixed size, which the compiler does in registers where a
 * memmove would be a call.
 */
static VOID VlanFilterMoveMacs(PUCHAR Destination, const UCHAR *Source, PUCHAR Macs)
{
    RtlCopyMemory(Macs, Source, VLAN_FILTER_MAC_LENGTH);
    RtlCopyMemory(Destination, Macs, VLAN_FILTER_MAC_LENGTH);
}

/*
 * The first 16 bytes of the frame hold the MACs then 4 bytes of room (just
 * retreated into, or an old tag): MACs down to the start, the tag behind.
 */
static VOID VlanFilterPutTag(PNET_BUFFER NetBuffer, USHORT Tci)
{
    UCHAR Storage[VLAN_FILTER_HEADER_LENGTH], Macs[VLAN_FILTER_MAC_LENGTH];
    PUCHAR Header = VlanFilterHeader(NetBuffer, VLAN_FILTER_HEADER_LENGTH, Storage);

    /* The caller made sure DataLength >= 16, so Header is never NULL. */
    VlanFilterMoveMacs(Header, Header + VLAN_FILTER_TAG_LENGTH, Macs);
    Header[VLAN_FILTER_MAC_LENGTH + 0] = (UCHAR)(VLAN_FILTER_TPID >> 8);
    Header[VLAN_FILTER_MAC_LENGTH + 1] = (UCHAR)(VLAN_FILTER_TPID & 0xFF);
    Header[VLAN_FILTER_MAC_LENGTH + 2] = (UCHAR)(Tci >> 8);
    Header[VLAN_FILTER_MAC_LENGTH + 3] = (UCHAR)(Tci & 0xFF);
    if (Header == Storage)
        VlanFilterWriteNetBuffer(NetBuffer, 0, Storage, VLAN_FILTER_HEADER_LENGTH);
}

/* The reverse: the MACs move up over the tag, which leaves the frame's first 4 bytes free. */
static VOID VlanFilterMoveMacsOverTag(PNET_BUFFER NetBuffer)
{
    UCHAR Storage[VLAN_FILTER_HEADER_LENGTH], Macs[VLAN_FILTER_MAC_LENGTH];
    PUCHAR Header = VlanFilterHeader(NetBuffer, VLAN_FILTER_HEADER_LENGTH, Storage);

    VlanFilterMoveMacs(Header + VLAN_FILTER_TAG_LENGTH, Header, Macs);
    if (Header == Storage)
        VlanFilterWriteNetBuffer(NetBuffer, VLAN_FILTER_TAG_LENGTH, Storage + VLAN_FILTER_TAG_LENGTH,
                                 VLAN_FILTER_MAC_LENGTH);
}

/* Pushes the module's context on the NBL and fills it in. */
static NDIS_STATUS VlanFilterPushContext(PNET_BUFFER_LIST Nbl, USHORT Tci)
{
    PVLAN_FILTER_NBL_CONTEXT Context;
    NDIS_STATUS Status;

    Status = NdisAllocateNetBufferListContext(Nbl, VLAN_FILTER_CONTEXT_SIZE, 0, VLAN_FILTER_POOL_TAG);
    if (Status != NDIS_STATUS_SUCCESS)
        return Status;
    Context = (PVLAN_FILTER_NBL_CONTEXT)NET_BUFFER_LIST_CONTEXT_DATA_START(Nbl);
    Context->Signature = VLAN_FILTER_SIGNATURE;
    Context->Tci = Tci;
    Context->Reserved = 0;
    Context->SavedIeee8021QInfo = NET_BUFFER_LIST_INFO(Nbl, Ieee8021QNetBufferListInfo);
    return NDIS_STATUS_SUCCESS;
}

/* The module's context on top of the NBL's context stack, or NULL if the NBL carries none. */
static PVLAN_FILTER_NBL_CONTEXT VlanFilterContext(PNET_BUFFER_LIST Nbl)
{
    PVLAN_FILTER_NBL_CONTEXT Context;

    if (Nbl->Context == NULL || Nbl->Context->Size - Nbl->Context->Offset < VLAN_FILTER_CONTEXT_SIZE)
        return NULL;
    Context = (PVLAN_FILTER_NBL_CONTEXT)NET_BUFFER_LIST_CONTEXT_DATA_START(Nbl);
    return Context->Signature == VLAN_FILTER_SIGNATURE ? Context : NULL;
}

static VOID VlanFilterPopContext(PNET_BUFFER_LIST Nbl, PVLAN_FILTER_NBL_CONTEXT Context)
{
    Context->Signature = 0;
    NdisFreeNetBufferListContext(Nbl, VLAN_FILTER_CONTEXT_SIZE);
}

/* ====================================================================== */
/* Send path                                                               */
/* ====================================================================== */

static BOOLEAN VlanFilterAllAtLeast(PNET_BUFFER_LIST Nbl, ULONG MinimumLength)
{
    PNET_BUFFER Nb;

    for (Nb = NET_BUFFER_LIST_FIRST_NB(Nbl); Nb != NULL; Nb = NET_BUFFER_NEXT_NB(Nb)) {
        if (NET_BUFFER_DATA_LENGTH(Nb) < MinimumLength)
            return FALSE;
    }
    return TRUE;
}

/* Takes the tag out of one frame: MACs back over it, then advance (freeing an MDL our retreat added). */
static VOID VlanFilterUntagFrame(PNET_BUFFER Nb)
{
    VlanFilterMoveMacsOverTag(Nb);
    /* FreeMdl: an MDL our retreat had to allocate goes again; the sender's never do. */
    NdisAdvanceNetBufferDataStart(Nb, VLAN_FILTER_TAG_LENGTH, TRUE, NULL);
}

/* What tagging one NBL cost: allocations the sender's back-fill should have spared. */
typedef struct _VLAN_FILTER_SEND_COUNTS {
    ULONG Frames;
    ULONG FramesWithoutRoom;
    ULONG SendsWithoutRoom;
} VLAN_FILTER_SEND_COUNTS, *PVLAN_FILTER_SEND_COUNTS;

/*
 * Tags every frame of the NBL. On failure the NBL is exactly as it came:
 * NBs already retreated are advanced back (freeing an MDL a retreat
 * allocated) and the context is popped.
 */
static NDIS_STATUS VlanFilterTagNbl(PVLAN_FILTER_MODULE Module, PNET_BUFFER_LIST Nbl,
                                    PVLAN_FILTER_SEND_COUNTS Counts)
{
    PNET_BUFFER_LIST_CONTEXT ContextBefore = Nbl->Context;
    PNET_BUFFER Nb, Done;
    NDIS_STATUS Status;
    ULONG Frames = 0, WithoutRoom = 0;

    if (!VlanFilterAllAtLeast(Nbl, VLAN_FILTER_ETHERNET_HEADER_LENGTH))
        return NDIS_STATUS_INVALID_LENGTH;
    Status = VlanFilterPushContext(Nbl, Module->Tci);
    if (Status != NDIS_STATUS_SUCCESS)
        return Status;

    /* One pass: each frame is retreated and tagged before the next is looked at. */
    for (Nb = NET_BUFFER_LIST_FIRST_NB(Nbl); Nb != NULL; Nb = NET_BUFFER_NEXT_NB(Nb)) {
        PMDL FirstBefore = NET_BUFFER_FIRST_MDL(Nb);

        Status = NdisRetreatNetBufferDataStart(Nb, VLAN_FILTER_TAG_LENGTH, 0, NULL);
        if (Status != NDIS_STATUS_SUCCESS)
            goto untag_done;
        VlanFilterPutTag(Nb, Module->Tci);
        WithoutRoom += NET_BUFFER_FIRST_MDL(Nb) != FirstBefore;
        Frames++;
    }
    Counts->Frames += Frames;
    Counts->FramesWithoutRoom += WithoutRoom;
    Counts->SendsWithoutRoom += Nbl->Context != ContextBefore;
    return NDIS_STATUS_SUCCESS;

untag_done:
    for (Done = NET_BUFFER_LIST_FIRST_NB(Nbl); Done != Nb; Done = NET_BUFFER_NEXT_NB(Done))
        VlanFilterUntagFrame(Done);
    VlanFilterPopContext(Nbl, VlanFilterContext(Nbl));
    return Status;
}

/* Takes the tag out of every frame of an NBL the module tagged; it is then as the sender made it. */
static VOID VlanFilterUntagNbl(PNET_BUFFER_LIST Nbl, PVLAN_FILTER_NBL_CONTEXT Context)
{
    PNET_BUFFER Nb;

    for (Nb = NET_BUFFER_LIST_FIRST_NB(Nbl); Nb != NULL; Nb = NET_BUFFER_NEXT_NB(Nb))
        VlanFilterUntagFrame(Nb);
    VlanFilterPopContext(Nbl, Context);
}

static ULONG VlanFilterCountChain(PNET_BUFFER_LIST Chain)
{
    ULONG Count = 0;

    for (; Chain != NULL; Chain = NET_BUFFER_LIST_NEXT_NBL(Chain))
        Count++;
    return Count;
}

/* Completes a chain back up with Status on every NBL (they are as they came), counted in *Counter first. */
static VOID VlanFilterCompleteUp(PVLAN_FILTER_MODULE Module, PNET_BUFFER_LIST Chain, NDIS_STATUS Status,
                                 ULONG SendCompleteFlags, VLAN_FILTER_COUNTER *Counter)
{
    PNET_BUFFER_LIST Nbl;
    ULONG Count = 0;

    for (Nbl = Chain; Nbl != NULL; Nbl = NET_BUFFER_LIST_NEXT_NBL(Nbl), Count++)
        NET_BUFFER_LIST_STATUS(Nbl) = Status;
    VlanFilterCount(Counter, Count);
    NdisFSendNetBufferListsComplete(Module->FilterHandle, Chain, SendCompleteFlags);
}

/*
 * Tags each NBL of the chain; the tagged ones end up in *Pass, the others
 * (Status set, exactly as they came) in *Reject, both in order. Returns how
 * many were tagged, and in *Rejected how many were not.
 */
static ULONG VlanFilterTagChain(PVLAN_FILTER_MODULE Module, PNET_BUFFER_LIST Chain, PNET_BUFFER_LIST *Pass,
                                PNET_BUFFER_LIST *Reject, PVLAN_FILTER_SEND_COUNTS Counts, PULONG Rejected)
{
    PNET_BUFFER_LIST *PassTail = Pass, *RejectTail = Reject, Next;
    ULONG Passed = 0;

    *Rejected = 0;
    *Pass = *Reject = NULL;
    for (; Chain != NULL; Chain = Next) {
        NDIS_STATUS Status = VlanFilterTagNbl(Module, Chain, Counts);

        Next = NET_BUFFER_LIST_NEXT_NBL(Chain);
        NET_BUFFER_LIST_NEXT_NBL(Chain) = NULL;
        if (Status == NDIS_STATUS_SUCCESS) {
            *PassTail = Chain;
            PassTail = &NET_BUFFER_LIST_NEXT_NBL(Chain);
            Passed++;
        } else {
            NET_BUFFER_LIST_STATUS(Chain) = Status;
            *RejectTail = Chain;
            RejectTail = &NET_BUFFER_LIST_NEXT_NBL(Chain);
            (*Rejected)++;
        }
    }
    return Passed;
}

static VOID VlanFilterSendNetBufferLists(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferList,
                                         NDIS_PORT_NUMBER PortNumber, ULONG SendFlags)
{
    PVLAN_FILTER_MODULE Module = FilterModuleContext;
    ULONG CompleteFlags = 0, Passed, Rejected;
    PNET_BUFFER_LIST Pass, Reject;
    VLAN_FILTER_SEND_COUNTS Counts = {0, 0, 0};

    if (NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags))
        NDIS_SET_SEND_COMPLETE_FLAG(CompleteFlags, NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL);
    /* One hold for the call (the chain is not counted first): a pause waits for it. */
    if (!VlanFilterAdmit(Module, 1)) {
        VlanFilterCompleteUp(Module, NetBufferList, NDIS_STATUS_PAUSED, CompleteFlags, &Module->Send.SendsPaused);
        return;
    }

    Passed = VlanFilterTagChain(Module, NetBufferList, &Pass, &Reject, &Counts, &Rejected);
    VlanFilterCount(&Module->Send.SendsTagged, Passed);
    VlanFilterCount(&Module->Send.FramesTagged, Counts.Frames);
    VlanFilterCount(&Module->Send.FramesWithoutRoom, Counts.FramesWithoutRoom);
    VlanFilterCount(&Module->Send.SendsWithoutRoom, Counts.SendsWithoutRoom);
    VlanFilterCount(&Module->Send.SendsRejected, Rejected);

    /* The call's own hold becomes one of the NBLs passed down (or goes, when none is). */
    if (Passed > 1)
        atomic_fetch_add(&Module->InFlight, (LONG64)(Passed - 1));
    if (Reject != NULL)
        NdisFSendNetBufferListsComplete(Module->FilterHandle, Reject, CompleteFlags);
    if (Pass != NULL)
        NdisFSendNetBufferLists(Module->FilterHandle, Pass, PortNumber, SendFlags);
    else
        VlanFilterRetire(Module, 1);
}

static VOID VlanFilterSendNetBufferListsComplete(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferList,
                                                 ULONG SendCompleteFlags)
{
    PVLAN_FILTER_MODULE Module = FilterModuleContext;
    PNET_BUFFER_LIST Nbl;
    ULONG Count = 0;

    for (Nbl = NetBufferList; Nbl != NULL; Nbl = NET_BUFFER_LIST_NEXT_NBL(Nbl)) {
        PVLAN_FILTER_NBL_CONTEXT Context = VlanFilterContext(Nbl);

        if (Context != NULL)
            VlanFilterUntagNbl(Nbl, Context);
        Count++;
    }
    VlanFilterCount(&Module->Up.SendsCompleted, Count);
    NdisFSendNetBufferListsComplete(Module->FilterHandle, NetBufferList, SendCompleteFlags);
    VlanFilterRetire(Module, Count);
}

/* ====================================================================== */
/* Receive path                                                            */
/* ====================================================================== */

/* Whether one frame is untagged, tagged (its TCI in *Tci), or too short for the tag it claims. */
static VLAN_FILTER_FRAME_KIND VlanFilterInspectFrame(PNET_BUFFER Nb, PUSHORT Tci)
{
    UCHAR Storage[VLAN_FILTER_HEADER_LENGTH];
    ULONG Length = NET_BUFFER_DATA_LENGTH(Nb);
    PUCHAR Header;

    if (Length < VLAN_FILTER_ETHERNET_HEADER_LENGTH)
        return VlanFrameUntagged; /* a runt: not ours to judge */
    /* One look: the tag too when the frame is long enough to carry one. */
    Header = VlanFilterHeader(Nb, Length >= VLAN_FILTER_HEADER_LENGTH ? VLAN_FILTER_HEADER_LENGTH
                                                                       : VLAN_FILTER_ETHERNET_HEADER_LENGTH, Storage);
    if (((Header[12] << 8) | Header[13]) != VLAN_FILTER_TPID)
        return VlanFrameUntagged;
    if (Length < VLAN_FILTER_MIN_TAGGED_LENGTH)
        return VlanFrameForeign;
    *Tci = (USHORT)((Header[14] << 8) | Header[15]);
    return VlanFrameOurs;
}

/*
 * Classifies an NBL: untagged (no frame tagged), ours (every frame tagged
 * with one TCI carrying our VLAN id, in *Tci), foreign (anything else: a
 * single TCI per NBL is all Ieee8021QNetBufferListInfo can carry).
 */
static VLAN_FILTER_FRAME_KIND VlanFilterClassify(PVLAN_FILTER_MODULE Module, PNET_BUFFER_LIST Nbl, PUSHORT Tci)
{
    ULONG Frames = 0, Tagged = 0;
    PNET_BUFFER Nb;

    for (Nb = NET_BUFFER_LIST_FIRST_NB(Nbl); Nb != NULL; Nb = NET_BUFFER_NEXT_NB(Nb)) {
        USHORT FrameTci = 0;
        VLAN_FILTER_FRAME_KIND Kind = VlanFilterInspectFrame(Nb, &FrameTci);

        Frames++;
        if (Kind == VlanFrameForeign)
            return VlanFrameForeign;
        if (Kind == VlanFrameUntagged)
            continue;
        if (Tagged++ == 0)
            *Tci = FrameTci;
        else if (FrameTci != *Tci)
            return VlanFrameForeign;
    }
    if (Tagged == 0)
        return VlanFrameUntagged;
    if (Tagged != Frames || (*Tci & VLAN_FILTER_VLAN_ID_MASK) != Module->VlanId)
        return VlanFrameForeign;
    return VlanFrameOurs;
}

/* Takes the tag out of every frame, in place, and records it in the NBL's 802.1Q info. */
static NDIS_STATUS VlanFilterStripNbl(PNET_BUFFER_LIST Nbl, USHORT Tci)
{
    NDIS_NET_BUFFER_LIST_8021Q_INFO Info;
    PNET_BUFFER Nb;

    if (VlanFilterPushContext(Nbl, Tci) != NDIS_STATUS_SUCCESS)
        return NDIS_STATUS_RESOURCES;
    for (Nb = NET_BUFFER_LIST_FIRST_NB(Nbl); Nb != NULL; Nb = NET_BUFFER_NEXT_NB(Nb)) {
        VlanFilterMoveMacsOverTag(Nb);
        /* No FreeMdl: the indicator's MDLs stay; the return retreats into these 4 bytes. */
        NdisAdvanceNetBufferDataStart(Nb, VLAN_FILTER_TAG_LENGTH, FALSE, NULL);
    }
    Info.Value = NULL;
    Info.TagHeader.UserPriority = Tci >> 13;
    Info.TagHeader.CanonicalFormatId = (Tci >> 12) & 1;
    Info.TagHeader.VlanId = Tci & VLAN_FILTER_VLAN_ID_MASK;
    NET_BUFFER_LIST_INFO(Nbl, Ieee8021QNetBufferListInfo) = Info.Value;
    return NDIS_STATUS_SUCCESS;
}

/* Puts a stripped NBL back exactly as it was indicated to the module. */
static VOID VlanFilterRestoreNbl(PNET_BUFFER_LIST Nbl, PVLAN_FILTER_NBL_CONTEXT Context)
{
    PNET_BUFFER Nb;

    for (Nb = NET_BUFFER_LIST_FIRST_NB(Nbl); Nb != NULL; Nb = NET_BUFFER_NEXT_NB(Nb)) {
        /* Within the 4 bytes the strip advanced over: nothing is allocated, it cannot fail. */
        NdisRetreatNetBufferDataStart(Nb, VLAN_FILTER_TAG_LENGTH, 0, NULL);
        VlanFilterPutTag(Nb, Context->Tci);
    }
    NET_BUFFER_LIST_INFO(Nbl, Ieee8021QNetBufferListInfo) = Context->SavedIeee8021QInfo;
    VlanFilterPopContext(Nbl, Context);
}

/* Decides one received NBL's fate, stripping it when it is ours. TRUE: it goes up. */
static BOOLEAN VlanFilterPrepareReceive(PVLAN_FILTER_MODULE Module, PNET_BUFFER_LIST Nbl,
                                        PVLAN_FILTER_RECEIVE_COUNTS Counts)
{
    USHORT Tci = 0;

    switch (VlanFilterClassify(Module, Nbl, &Tci)) {
    case VlanFrameUntagged:
        Counts->Untagged++;
        return TRUE;
    case VlanFrameOurs:
        if (VlanFilterStripNbl(Nbl, Tci) == NDIS_STATUS_SUCCESS) {
            Counts->Stripped++;
            return TRUE;
        }
        Counts->NoContext++;
        return FALSE;
    default:
        Counts->Foreign++;
        return FALSE;
    }
}

static VOID VlanFilterAddReceiveCounts(PVLAN_FILTER_MODULE Module, const VLAN_FILTER_RECEIVE_COUNTS *Counts,
                                       ULONG Restored)
{
    VlanFilterCount(&Module->Up.ReceivesStripped, Counts->Stripped);
    VlanFilterCount(&Module->Up.ReceivesUntagged, Counts->Untagged);
    VlanFilterCount(&Module->Up.ReceivesForeign, Counts->Foreign);
    VlanFilterCount(&Module->Up.ReceivesNoContext, Counts->NoContext);
    VlanFilterCount(&Module->Up.ReceivesRestored, Restored);
}

/*
 * An ordinary indication: the NBLs going up stay with the layers above
 * until they come back through VlanFilterReturnNetBufferLists; the dropped
 * ones go back down at once.
 */
static VOID VlanFilterReceiveLent(PVLAN_FILTER_MODULE Module, PNET_BUFFER_LIST NetBufferLists,
                                  NDIS_PORT_NUMBER PortNumber, ULONG ReceiveFlags, ULONG ReturnFlags)
{
    PNET_BUFFER_LIST Pass = NULL, *PassTail = &Pass, Drop = NULL, *DropTail = &Drop, Nbl, Next;
    VLAN_FILTER_RECEIVE_COUNTS Counts = {0, 0, 0, 0};
    ULONG Passed = 0;

    for (Nbl = NetBufferLists; Nbl != NULL; Nbl = Next) {
        Next = NET_BUFFER_LIST_NEXT_NBL(Nbl);
        NET_BUFFER_LIST_NEXT_NBL(Nbl) = NULL;
        if (VlanFilterPrepareReceive(Module, Nbl, &Counts)) {
            *PassTail = Nbl;
            PassTail = &NET_BUFFER_LIST_NEXT_NBL(Nbl);
            Passed++;
        } else {
            *DropTail = Nbl;
            DropTail = &NET_BUFFER_LIST_NEXT_NBL(Nbl);
        }
    }
    VlanFilterAddReceiveCounts(Module, &Counts, 0);

    /* The call's own hold becomes one of the NBLs passed up (or goes, when none is). */
    if (Passed > 1)
        atomic_fetch_add(&Module->InFlight, (LONG64)(Passed - 1));
    if (Drop != NULL)
        NdisFReturnNetBufferLists(Module->FilterHandle, Drop, ReturnFlags);
    if (Pass != NULL)
        NdisFIndicateReceiveNetBufferLists(Module->FilterHandle, Pass, PortNumber, Passed, ReceiveFlags);
    else
        VlanFilterRetire(Module, 1);
}

/* Indicates Head..Tail (Count NBLs) on their own, then restores the ones that were stripped. */
static ULONG VlanFilterIndicateRun(PVLAN_FILTER_MODULE Module, PNET_BUFFER_LIST Head, PNET_BUFFER_LIST Tail,
                                   ULONG Count, NDIS_PORT_NUMBER PortNumber, ULONG ReceiveFlags)
{
    PNET_BUFFER_LIST Next, Nbl;
    ULONG Restored = 0;

    if (Count == 0)
        return 0;
    Next = NET_BUFFER_LIST_NEXT_NBL(Tail);
    NET_BUFFER_LIST_NEXT_NBL(Tail) = NULL;
    NdisFIndicateReceiveNetBufferLists(Module->FilterHandle, Head, PortNumber, Count, ReceiveFlags);
    NET_BUFFER_LIST_NEXT_NBL(Tail) = Next;

    for (Nbl = Head;; Nbl = NET_BUFFER_LIST_NEXT_NBL(Nbl)) {
        PVLAN_FILTER_NBL_CONTEXT Context = VlanFilterContext(Nbl);

        if (Context != NULL) {
            VlanFilterRestoreNbl(Nbl, Context);
            Restored++;
        }
        if (Nbl == Tail)
            return Restored;
    }
}

/*
 * An indication with NDIS_RECEIVE_FLAGS_RESOURCES: the NBLs are the
 * indicator's again when this call returns, chain links included. So the
 * chain is never relinked: each run of NBLs that go up is indicated on its
 * own (its last link cut for the call and put back), and every frame is
 * restored as soon as its indication returns.
 */
static VOID VlanFilterReceiveBorrowed(PVLAN_FILTER_MODULE Module, PNET_BUFFER_LIST NetBufferLists,
                                      NDIS_PORT_NUMBER PortNumber, ULONG ReceiveFlags)
{
    PNET_BUFFER_LIST Head = NULL, Tail = NULL, Nbl;
    VLAN_FILTER_RECEIVE_COUNTS Counts = {0, 0, 0, 0};
    ULONG RunCount = 0, Restored = 0;

    for (Nbl = NetBufferLists; Nbl != NULL; Nbl = NET_BUFFER_LIST_NEXT_NBL(Nbl)) {
        if (VlanFilterPrepareReceive(Module, Nbl, &Counts)) {
            Head = Head != NULL ? Head : Nbl;
            Tail = Nbl;
            RunCount++;
            continue;
        }
        Restored += VlanFilterIndicateRun(Module, Head, Tail, RunCount, PortNumber, ReceiveFlags);
        Head = Tail = NULL;
        RunCount = 0;
    }
    Restored += VlanFilterIndicateRun(Module, Head, Tail, RunCount, PortNumber, ReceiveFlags);
    VlanFilterAddReceiveCounts(Module, &Counts, Restored);
}

static VOID VlanFilterReceiveNetBufferLists(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferLists,
                                            NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists,
                                            ULONG ReceiveFlags)
{
    PVLAN_FILTER_MODULE Module = FilterModuleContext;
    BOOLEAN Borrowed = NDIS_TEST_RECEIVE_CANNOT_PEND(ReceiveFlags);
    ULONG ReturnFlags = 0;

    /* NBLs are counted as they are passed up: a wrong count must not upset the pause. */
    UNREFERENCED_PARAMETER(NumberOfNetBufferLists);

    if (NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(ReceiveFlags))
        NDIS_SET_RETURN_FLAG(ReturnFlags, NDIS_RETURN_FLAGS_DISPATCH_LEVEL);

    /* One hold for the call; borrowed NBLs are never in flight past it: nothing for a pause to wait for. */
    if (!VlanFilterAdmit(Module, Borrowed ? 0 : 1)) {
        VlanFilterCount(&Module->Up.ReceivesPaused, VlanFilterCountChain(NetBufferLists));
        if (!Borrowed)
            NdisFReturnNetBufferLists(Module->FilterHandle, NetBufferLists, ReturnFlags);
        return;
    }
    if (Borrowed)
        VlanFilterReceiveBorrowed(Module, NetBufferLists, PortNumber, ReceiveFlags);
    else
        VlanFilterReceiveLent(Module, NetBufferLists, PortNumber, ReceiveFlags, ReturnFlags);
}

static VOID VlanFilterReturnNetBufferLists(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferLists,
                                           ULONG ReturnFlags)
{
    PVLAN_FILTER_MODULE Module = FilterModuleContext;
    VLAN_FILTER_RECEIVE_COUNTS None = {0, 0, 0, 0};
    PNET_BUFFER_LIST Nbl;
    ULONG Count = 0, Restored = 0;

    for (Nbl = NetBufferLists; Nbl != NULL; Nbl = NET_BUFFER_LIST_NEXT_NBL(Nbl)) {
        PVLAN_FILTER_NBL_CONTEXT Context = VlanFilterContext(Nbl);

        if (Context != NULL) {
            VlanFilterRestoreNbl(Nbl, Context);
            Restored++;
        }
        Count++;
    }
    VlanFilterAddReceiveCounts(Module, &None, Restored);
    NdisFReturnNetBufferLists(Module->FilterHandle, NetBufferLists, ReturnFlags);
    VlanFilterRetire(Module, Count);
}
