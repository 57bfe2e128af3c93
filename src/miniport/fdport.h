/* SPDX-License-Identifier: MIT */
/*
 * The fd-port engine and its backends, private to src/miniport/: two
 * miniport drivers (AF_PACKET, TAP) over one engine, each adapter a Linux
 * file descriptor that carries whole Ethernet frames.
 *
 *   fdport.c           the driver: DriverEntry, initialize, pause, restart, halt
 *   fdport_datapath.c  the adapter's thread, sends, receives, receive NBLs
 *   fdport_oid.c       what the adapter reports: general attributes, OID requests
 *   fdport_iface.c     the interface behind the adapter: ioctls on a control socket
 *   afpacket.c         backend: an AF_PACKET socket on an existing interface
 *   tap.c              backend: a TAP interface the adapter creates
 *
 * A backend is an FDPORT_BACKEND (open the descriptor, receive, transmit,
 * promiscuous mode) and a DriverEntry that hands it to FdportDriverEntry;
 * NDIS gives it back to every adapter of the driver as the driver context.
 * Everything else, the NDIS side included, is the engine's.
 *
 * The engine: MiniportSendNetBufferListsEx transmits in the caller's
 * context when nothing is queued and nobody else is transmitting: frames go
 * straight from the NET_BUFFERs' memory (NdisGetDataBuffer, copying only a
 * frame split over several MDLs) to the backend without blocking, and the
 * NBLs complete before the call returns, each with the status of its frames
 * (NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL when the send had
 * NDIS_SEND_FLAGS_DISPATCH_LEVEL). Where the descriptor would block, what
 * was not taken is queued, as is a send that comes while others are queued
 * or being transmitted, and the adapter's thread, woken through an eventfd,
 * transmits the queue (blocking) and completes it. Frames of one caller
 * leave in the order it sent them. The thread polls the eventfd and the
 * frame descriptor; it receives frames straight into the receive NBLs
 * preallocated at initialize (4 bytes into their buffer: a frame goes up
 * with DataOffset 4, room for a tag, unless a tag was put back there), and
 * indicates them up to 64 per call, with NDIS_RECEIVE_FLAGS_RESOURCES when
 * fewer than an eighth are free. Indications, completions of queued sends,
 * NdisMPauseComplete and NdisMRestartComplete come from that thread.
 *
 * Paused, the thread keeps reading and drops what arrives (counted), so no
 * stale frames come up after a restart; a restart pends until the thread is
 * between two rounds, so no frame arriving after it completed is dropped.
 * Pausing, frames already queued are still transmitted and completed; new
 * sends complete at once with NDIS_STATUS_PAUSED.
 *
 * Initialize fails without printing: NDIS_STATUS_ADAPTER_NOT_FOUND for an
 * interface that does not exist (or no /dev/net/tun), NDIS_STATUS_OPEN_FAILED
 * when the socket or TAP cannot be opened (no CAP_NET_RAW / CAP_NET_ADMIN,
 * or the name is another kind of interface), NDIS_STATUS_UNSUPPORTED_MEDIA
 * for an interface that does not carry Ethernet frames, NDIS_STATUS_RESOURCES
 * when memory or descriptors run out.
 */
#ifndef NDISBUF_MINIPORT_FDPORT_H
#define NDISBUF_MINIPORT_FDPORT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include <net/if.h>
#include <sys/uio.h>

#include <ndis.h>

#define FDPORT_HEADER_SIZE 14 /* destination, source, EtherType */
#define FDPORT_MAX_MTU 1500
#define FDPORT_BUFFER_SIZE 1536 /* data bytes of one receive NBL */
#define FDPORT_HEADROOM 4 /* receive buffer bytes kept in front of the frame, room for an 802.1Q tag */
#define FDPORT_VLAN_TAG_SIZE 4
#define FDPORT_RECEIVE_COUNT 1024 /* receive NBLs per adapter */
#define FDPORT_LOW_WATER (FDPORT_RECEIVE_COUNT / 8)
#define FDPORT_BATCH 64 /* frames per system call, NBLs per indication and completion */
#define FDPORT_RECEIVE_BUDGET 4 /* receive batches per wake before sends get a turn */
#define FDPORT_LINK_SPEED 10000000000ULL /* nominal: 10 Gbit/s */
#define FDPORT_MULTICAST_LIST_SIZE 32
#define FDPORT_POOL_TAG ((ULONG)'F' | ((ULONG)'d' << 8) | ((ULONG)'p' << 16) | ((ULONG)'t' << 24))

#define FDPORT_PACKET_FILTERS                                                                       \
    (NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST | NDIS_PACKET_TYPE_ALL_MULTICAST |       \
     NDIS_PACKET_TYPE_BROADCAST | NDIS_PACKET_TYPE_PROMISCUOUS)

typedef enum _FDPORT_STATE {
    FdportPaused,
    FdportRunning,
    FdportPausing,
    FdportRestarting,   /* MiniportRestart pended; the thread completes it */
    FdportHalting
} FDPORT_STATE;

typedef struct _FDPORT_ADAPTER FDPORT_ADAPTER, *PFDPORT_ADAPTER;

/* One frame handed to a backend. */
typedef struct _FDPORT_FRAME {
    struct iovec Data;      /* transmit: the frame; receive: the buffer to fill, FDPORT_HEADROOM bytes into it */
    ULONG Length;           /* receive: bytes received, 0 for a frame to drop */
    ULONG Offset;           /* receive: where the frame starts in the NBL's buffer */
    int Error;              /* transmit: errno of a frame that was not sent, or 0 */
    PNET_BUFFER_LIST Nbl;   /* the NBL the frame belongs to */
    PNET_BUFFER Nb;         /* transmit: the NET_BUFFER the frame is */
} FDPORT_FRAME, *PFDPORT_FRAME;

/*
 * What differs between AF_PACKET and TAP. Receive runs on the adapter's
 * thread; Transmit on whichever thread holds the adapter's transmit right
 * (Adapter->Transmitting): the thread, or a sender in its own context.
 */
typedef struct _FDPORT_BACKEND {
    const char *Name;
    /* Bytes of per-adapter state the backend keeps in Adapter->BackendContext (zeroed). */
    size_t ContextSize;
    /* Opens Adapter->Fd (and SendFd, if it uses one) on Adapter->IfName; sets MacAddress, Mtu, Connected. */
    NDIS_STATUS (*Open)(PFDPORT_ADAPTER Adapter);
    /*
     * Receives up to Count frames without blocking; returns how many
     * (Length, Offset set). May set Adapter->Detached.
     */
    ULONG (*Receive)(PFDPORT_ADAPTER Adapter, PFDPORT_FRAME Frames, ULONG Count);
    /*
     * Transmits Frames[0..Count) in order, setting each one's Error, and
     * returns how many it dealt with: Count, unless DontWait and the
     * descriptor would block, where it stops (the frames from there on
     * untouched, not sent).
     */
    ULONG (*Transmit)(PFDPORT_ADAPTER Adapter, PFDPORT_FRAME Frames, ULONG Count, BOOLEAN DontWait);
    /* Switches promiscuous mode; NULL when the backend has none. */
    NDIS_STATUS (*SetPromiscuous)(PFDPORT_ADAPTER Adapter, BOOLEAN On);
} FDPORT_BACKEND, *PFDPORT_BACKEND;

struct _FDPORT_ADAPTER {
    NDIS_HANDLE MiniportAdapterHandle;
    const FDPORT_BACKEND *Backend;
    char IfName[IFNAMSIZ];
    int IfIndex;
    int Fd;                 /* the socket or the TAP descriptor: the thread polls it */
    int SendFd;             /* a second descriptor the backend sends on (AF_PACKET), or -1; closed with the adapter */
    int EventFd;            /* wakes the thread */
    int ControlFd;          /* datagram socket for interface ioctls, in the adapter's namespace */
    UCHAR MacAddress[6];
    ULONG Mtu;
    BOOLEAN Connected;
    BOOLEAN Promiscuous;    /* promiscuous membership currently held */
    ULONG PacketFilter;
    ULONG Lookahead;
    NDIS_HANDLE ReceivePool;
    pthread_t Thread;

    pthread_mutex_t Lock;
    /* Under Lock. */
    FDPORT_STATE State;
    BOOLEAN Kicked;         /* EventFd written and not yet consumed */
    BOOLEAN ThreadBusy;     /* the thread holds receive NBLs (or is between taking work and finishing it) */
    BOOLEAN Transmitting;   /* the transmit right is held: by the thread or by a sender; see SendFrames */
    BOOLEAN ReceiveStarved; /* no receive NBL was free: stop polling for frames */
    PNET_BUFFER_LIST SendHead;  /* sends queued for the thread, in order */
    PNET_BUFFER_LIST SendTail;
    PNET_BUFFER SendResume; /* the first frame of SendHead not yet sent, or NULL: from its first */
    PNET_BUFFER_LIST FreeReceives;
    ULONG FreeReceiveCount;

    /* The transmit right's holder's own: a frame batch and bounce buffers for frames split over MDLs. */
    FDPORT_FRAME SendFrames[FDPORT_BATCH];
    UCHAR SendBounce[FDPORT_BATCH][FDPORT_BUFFER_SIZE];

    /* The thread's own. */
    BOOLEAN Detached;       /* the descriptor lost its interface: stop polling it */
    FDPORT_FRAME ReceiveFrames[FDPORT_BATCH];
    UCHAR Discard[FDPORT_BUFFER_SIZE]; /* where frames read while not Running go, all into the same bytes */

    /*
     * Statistics (FdportCount), read by OID queries: the receive counters
     * written by the thread only, the transmit counters by the holder of
     * the transmit right only.
     */
    _Atomic ULONG64 FramesTransmitted;
    _Atomic ULONG64 FramesReceived;
    _Atomic ULONG64 TransmitErrors;
    _Atomic ULONG64 ReceiveErrors;     /* truncated frames, socket errors */
    _Atomic ULONG64 ReceiveNoBuffer;
    _Atomic ULONG64 ReceiveDiscarded;  /* arrived while not Running */

    /* Backend->ContextSize bytes of the backend's own (the adapter is allocated with them). */
    _Alignas(max_align_t) UCHAR BackendContext[];
};

/* Adds to a statistics counter; each has one writer at a time (see the adapter's statistics). */
static inline VOID FdportCount(_Atomic ULONG64 *Counter, ULONG64 Amount)
{
    atomic_store_explicit(Counter, atomic_load_explicit(Counter, memory_order_relaxed) + Amount,
                          memory_order_relaxed);
}

/* ---- fdport.c ---- */

/* Registers the engine's handlers with NDIS, Backend as the driver context (a backend's DriverEntry). */
NDIS_STATUS FdportDriverEntry(const FDPORT_BACKEND *Backend, NDIS_HANDLE *NdisMiniportDriverHandle);

/* ---- fdport_datapath.c ---- */

MINIPORT_SEND_NET_BUFFER_LISTS FdportSendNetBufferLists;
MINIPORT_RETURN_NET_BUFFER_LISTS FdportReturnNetBufferLists;
MINIPORT_CANCEL_SEND FdportCancelSend;
/* The adapter's thread (pthread_create's start routine; Context is the adapter). */
void *FdportThread(void *Context);
/* Allocates the adapter's receive NBLs; on failure the caller frees what was allocated (FdportFreeReceives). */
NDIS_STATUS FdportAllocateReceives(PFDPORT_ADAPTER Adapter);
/* Frees every receive NBL (all must be back on the free list) and the pool. */
VOID FdportFreeReceives(PFDPORT_ADAPTER Adapter);
/* TRUE when the caller must call FdportKick (after unlocking). Caller holds Lock. */
BOOLEAN FdportNeedKickLocked(PFDPORT_ADAPTER Adapter);
/* Wakes the thread out of poll(). */
VOID FdportKick(PFDPORT_ADAPTER Adapter);
/*
 * Finishes a pause when nothing is left in flight: no queued send, nobody
 * transmitting, the thread idle and every receive NBL back. Caller holds
 * Lock; returns TRUE when the caller must call NdisMPauseComplete (after
 * unlocking).
 */
BOOLEAN FdportPauseDoneLocked(PFDPORT_ADAPTER Adapter);

/* ---- fdport_oid.c ---- */

MINIPORT_OID_REQUEST FdportOidRequest;
MINIPORT_CANCEL_OID_REQUEST FdportCancelOidRequest;
/* Second attributes at initialize: an Ethernet adapter with the interface's MTU, no back-fill needed. */
NDIS_STATUS FdportSetGeneralAttributes(PFDPORT_ADAPTER Adapter);

/* ---- fdport_iface.c ---- */

/* The NDIS status for an errno from opening a socket, device or interface. */
NDIS_STATUS FdportOpenStatus(int Error);
/* Whether the interface is up with its link running, now. */
BOOLEAN FdportLinkUp(PFDPORT_ADAPTER Adapter);
/* Reads the interface's MTU into Adapter->Mtu (capped at FDPORT_MAX_MTU). */
NDIS_STATUS FdportQueryMtu(PFDPORT_ADAPTER Adapter);
/*
 * Reads the interface's Ethernet address into Adapter->MacAddress;
 * NDIS_STATUS_UNSUPPORTED_MEDIA for an interface that does not carry
 * Ethernet frames (ARPHRD_ETHER and ARPHRD_LOOPBACK do).
 */
NDIS_STATUS FdportQueryMacAddress(PFDPORT_ADAPTER Adapter);
/* Sets IFF_UP on the interface. */
NDIS_STATUS FdportBringUp(PFDPORT_ADAPTER Adapter);

#endif /* NDISBUF_MINIPORT_FDPORT_H */
