/* SPDX-License-Identifier: MIT */
/*
 * fdport.c: two miniport drivers over one engine, each adapter a Linux file
 * descriptor that carries whole Ethernet frames:
 *
 *  - afpacket (ndisbuf_afpacket_driver_entry): an AF_PACKET SOCK_RAW socket
 *    bound to the interface named by the adapter name, ETH_P_ALL, with
 *    PACKET_IGNORE_OUTGOING so the adapter never receives its own frames
 *    back (nor anything else the host sends out of that interface). The
 *    adapter's MAC address is the interface's. Frames move with sendmmsg and
 *    recvmmsg, up to 64 per system call. The interface is put in promiscuous
 *    mode (PACKET_ADD_MEMBERSHIP, PACKET_MR_PROMISC, dropped with the socket)
 *    while the packet filter has NDIS_PACKET_TYPE_PROMISCUOUS. Receives are
 *    not filtered further: every frame the interface delivers goes up,
 *    whatever the packet filter says (a frame the kernel delivers to the
 *    host is one the filter would pass anyway, but for multicast groups).
 *    An 802.1Q tag the kernel's VLAN offload took out of a received frame
 *    (PACKET_AUXDATA) is put back, so frames go up as they were on the wire.
 *  - tap (ndisbuf_tap_driver_entry): a TAP interface it creates with the
 *    adapter name (/dev/net/tun, IFF_TAP | IFF_NO_PI) and brings up. The
 *    adapter is the far end of that interface's wire: what the host sends
 *    out of the interface is received, what the adapter sends arrives at the
 *    host. Its MAC address is a locally administered one derived from the
 *    name (02:00:54:xx:xx:xx). TAP has no mmsg calls: one read or write per
 *    frame. The interface goes away with the adapter.
 *
 * The engine: MiniportSendNetBufferListsEx queues the chain (one lock per
 * call) and wakes the adapter's thread through an eventfd. The thread polls
 * the eventfd and the frame descriptor; it transmits queued frames straight
 * from the NET_BUFFERs' memory (NdisGetDataBuffer, copying only a frame
 * split over several MDLs) and completes each NBL with the status of its
 * frames; it receives frames straight into the receive NBLs preallocated at
 * initialize (4 bytes into their buffer: a frame goes up with DataOffset 4,
 * room for a tag, unless a tag was put back there), and indicates them up
 * to 64 per call, with NDIS_RECEIVE_FLAGS_RESOURCES when fewer than an
 * eighth are free.
 * Completions, indications, NdisMPauseComplete and NdisMRestartComplete all
 * come from that thread.
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
 * for an interface that is not Ethernet, NDIS_STATUS_RESOURCES when memory
 * or descriptors run out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
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
#define FDPORT_SOCKET_BUFFER (4 * 1024 * 1024)
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
} FDPORT_FRAME, *PFDPORT_FRAME;

/* What differs between AF_PACKET and TAP. */
typedef struct _FDPORT_BACKEND {
    const char *Name;
    /* Opens Adapter->Fd on Adapter->IfName; sets MacAddress, Mtu, Connected. */
    NDIS_STATUS (*Open)(PFDPORT_ADAPTER Adapter);
    /* Receives up to Count frames without blocking; returns how many (Length, Offset set). */
    ULONG (*Receive)(PFDPORT_ADAPTER Adapter, PFDPORT_FRAME Frames, ULONG Count);
    /* Transmits Count frames; sets each frame's Error. */
    VOID (*Transmit)(PFDPORT_ADAPTER Adapter, PFDPORT_FRAME Frames, ULONG Count);
    /* Switches promiscuous mode; NULL when the backend has none. */
    NDIS_STATUS (*SetPromiscuous)(PFDPORT_ADAPTER Adapter, BOOLEAN On);
} FDPORT_BACKEND, *PFDPORT_BACKEND;

struct _FDPORT_ADAPTER {
    NDIS_HANDLE MiniportAdapterHandle;
    const FDPORT_BACKEND *Backend;
    char IfName[IFNAMSIZ];
    int IfIndex;
    int Fd;                 /* the socket or the TAP descriptor */
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
    BOOLEAN ThreadBusy;     /* the thread holds sends or receive NBLs */
    BOOLEAN ReceiveStarved; /* no receive NBL was free: stop polling for frames */
    PNET_BUFFER_LIST SendHead;
    PNET_BUFFER_LIST SendTail;
    PNET_BUFFER_LIST FreeReceives;
    ULONG FreeReceiveCount;

    /* The thread's own. */
    BOOLEAN Detached;       /* the descriptor lost its interface: stop polling it */
    FDPORT_FRAME Frames[FDPORT_BATCH];
    struct mmsghdr Messages[FDPORT_BATCH];
    struct sockaddr_ll Addresses[FDPORT_BATCH];
    union {
        struct cmsghdr Header;
        UCHAR Space[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
    } Controls[FDPORT_BATCH];
    UCHAR Bounce[FDPORT_BATCH][FDPORT_BUFFER_SIZE];

    /* Statistics: written by the thread only, read by OID queries. */
    _Atomic ULONG64 FramesTransmitted;
    _Atomic ULONG64 FramesReceived;
    _Atomic ULONG64 TransmitErrors;
    _Atomic ULONG64 ReceiveErrors;     /* truncated frames, socket errors */
    _Atomic ULONG64 ReceiveNoBuffer;
    _Atomic ULONG64 ReceiveDiscarded;  /* arrived while not Running */
};

/* Sends taken off the queue, and the frames of theirs not yet transmitted. */
typedef struct _FDPORT_SEND_BATCH {
    PNET_BUFFER_LIST Head;  /* NBLs whose frames are all in Frames or sent */
    PNET_BUFFER_LIST Tail;
    ULONG Count;
    ULONG FrameCount;       /* Adapter->Frames[0..FrameCount) wait to be transmitted */
} FDPORT_SEND_BATCH, *PFDPORT_SEND_BATCH;

static MINIPORT_INITIALIZE FdportInitializeEx;
static MINIPORT_HALT FdportHaltEx;
static MINIPORT_PAUSE FdportPause;
static MINIPORT_RESTART FdportRestart;
static MINIPORT_OID_REQUEST FdportOidRequest;
static MINIPORT_SEND_NET_BUFFER_LISTS FdportSendNetBufferLists;
static MINIPORT_RETURN_NET_BUFFER_LISTS FdportReturnNetBufferLists;
static MINIPORT_CANCEL_SEND FdportCancelSend;
static MINIPORT_SHUTDOWN FdportShutdownEx;
static MINIPORT_CANCEL_OID_REQUEST FdportCancelOidRequest;

static const NDIS_OID FdportSupportedOids[] = {
    OID_GEN_SUPPORTED_LIST,        OID_GEN_HARDWARE_STATUS,      OID_GEN_MEDIA_SUPPORTED,
    OID_GEN_MEDIA_IN_USE,          OID_GEN_PHYSICAL_MEDIUM,      OID_GEN_MAXIMUM_FRAME_SIZE,
    OID_GEN_MAXIMUM_TOTAL_SIZE,    OID_GEN_MAXIMUM_LOOKAHEAD,    OID_GEN_CURRENT_LOOKAHEAD,
    OID_GEN_LINK_SPEED,            OID_GEN_MEDIA_CONNECT_STATUS, OID_GEN_LINK_STATE,
    OID_GEN_CURRENT_PACKET_FILTER, OID_GEN_MAC_OPTIONS,          OID_GEN_XMIT_OK,
    OID_GEN_RCV_OK,                OID_GEN_XMIT_ERROR,           OID_GEN_RCV_ERROR,
    OID_GEN_RCV_NO_BUFFER,         OID_802_3_PERMANENT_ADDRESS,  OID_802_3_CURRENT_ADDRESS,
    OID_802_3_MAXIMUM_LIST_SIZE,   OID_802_3_MULTICAST_LIST,
};

/* Adds to a statistics counter; only the adapter's thread writes them. */
static VOID FdportCount(_Atomic ULONG64 *Counter, ULONG64 Amount)
{
    atomic_store_explicit(Counter, atomic_load_explicit(Counter, memory_order_relaxed) + Amount,
                          memory_order_relaxed);
}

/* The NDIS status for an errno from opening a socket, device or interface. */
static NDIS_STATUS FdportOpenStatus(int Error)
{
    switch (Error) {
    case ENODEV:
    case ENXIO:
    case ENOENT: return NDIS_STATUS_ADAPTER_NOT_FOUND;
    case ENOMEM:
    case ENOBUFS:
    case EMFILE:
    case ENFILE: return NDIS_STATUS_RESOURCES;
    default: return NDIS_STATUS_OPEN_FAILED; /* EPERM, EACCES, EBUSY, EINVAL, ... */
    }
}

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
/* Interfaces: ioctls on a control socket                                  */
/* ====================================================================== */

/*
 * Runs one interface ioctl on the adapter's control socket; 0 or an errno.
 * The socket was opened at initialize, so the ioctl reaches the network
 * namespace the interface is in, whatever thread asks later.
 */
static int FdportInterfaceIoctl(PFDPORT_ADAPTER Adapter, unsigned long Request, struct ifreq *Ifr)
{
    return ioctl(Adapter->ControlFd, Request, Ifr) < 0 ? errno : 0;
}

/* Reads the interface's flags; FALSE when that fails. */
static BOOLEAN FdportQueryFlags(PFDPORT_ADAPTER Adapter, short *Flags)
{
    struct ifreq Ifr;

    memset(&Ifr, 0, sizeof(Ifr));
    memcpy(Ifr.ifr_name, Adapter->IfName, sizeof(Ifr.ifr_name));
    if (FdportInterfaceIoctl(Adapter, SIOCGIFFLAGS, &Ifr) != 0)
        return FALSE;
    *Flags = Ifr.ifr_flags;
    return TRUE;
}

/* Whether the interface is up with its link running, now. */
static BOOLEAN FdportLinkUp(PFDPORT_ADAPTER Adapter)
{
    short Flags = 0;

    return FdportQueryFlags(Adapter, &Flags) && (Flags & IFF_UP) && (Flags & IFF_RUNNING);
}

/* Reads the interface's MTU (the adapter's, capped at 1500). */
static NDIS_STATUS FdportQueryMtu(PFDPORT_ADAPTER Adapter)
{
    struct ifreq Ifr;
    int Error;

    memset(&Ifr, 0, sizeof(Ifr));
    memcpy(Ifr.ifr_name, Adapter->IfName, sizeof(Ifr.ifr_name));
    Error = FdportInterfaceIoctl(Adapter, SIOCGIFMTU, &Ifr);
    if (Error != 0)
        return FdportOpenStatus(Error);
    Adapter->Mtu = Ifr.ifr_mtu > 0 && Ifr.ifr_mtu < FDPORT_MAX_MTU ? (ULONG)Ifr.ifr_mtu : FDPORT_MAX_MTU;
    return NDIS_STATUS_SUCCESS;
}

/* Reads the interface's Ethernet address; NDIS_STATUS_UNSUPPORTED_MEDIA for other media. */
static NDIS_STATUS FdportQueryMacAddress(PFDPORT_ADAPTER Adapter)
{
    struct ifreq Ifr;
    int Error;

    memset(&Ifr, 0, sizeof(Ifr));
    memcpy(Ifr.ifr_name, Adapter->IfName, sizeof(Ifr.ifr_name));
    Error = FdportInterfaceIoctl(Adapter, SIOCGIFHWADDR, &Ifr);
    if (Error != 0)
        return FdportOpenStatus(Error);
    if (Ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
        return NDIS_STATUS_UNSUPPORTED_MEDIA;
    memcpy(Adapter->MacAddress, Ifr.ifr_hwaddr.sa_data, sizeof(Adapter->MacAddress));
    return NDIS_STATUS_SUCCESS;
}

/* Sets IFF_UP on the interface. */
static NDIS_STATUS FdportBringUp(PFDPORT_ADAPTER Adapter)
{
    struct ifreq Ifr;
    int Error = 0;

    memset(&Ifr, 0, sizeof(Ifr));
    memcpy(Ifr.ifr_name, Adapter->IfName, sizeof(Ifr.ifr_name));
    if (!FdportQueryFlags(Adapter, &Ifr.ifr_flags))
        return NDIS_STATUS_OPEN_FAILED;
    if (!(Ifr.ifr_flags & IFF_UP)) {
        Ifr.ifr_flags |= IFF_UP;
        Error = FdportInterfaceIoctl(Adapter, SIOCSIFFLAGS, &Ifr);
    }
    return Error == 0 ? NDIS_STATUS_SUCCESS : FdportOpenStatus(Error);
}

/* ====================================================================== */
/* Backend: AF_PACKET                                                      */
/* ====================================================================== */

/* Asks for large socket buffers: beyond rmem_max when allowed (CAP_NET_ADMIN), else up to it. */
static VOID AfPacketGrowBuffers(int Socket)
{
    int Size = FDPORT_SOCKET_BUFFER;

    if (setsockopt(Socket, SOL_SOCKET, SO_RCVBUFFORCE, &Size, sizeof(Size)) < 0)
        (void)setsockopt(Socket, SOL_SOCKET, SO_RCVBUF, &Size, sizeof(Size));
    if (setsockopt(Socket, SOL_SOCKET, SO_SNDBUFFORCE, &Size, sizeof(Size)) < 0)
        (void)setsockopt(Socket, SOL_SOCKET, SO_SNDBUF, &Size, sizeof(Size));
}

/*
 * Opens a raw packet socket bound to the interface, ignoring outgoing
 * frames. The socket is created with protocol 0 and bound with ETH_P_ALL,
 * so it queues nothing from other interfaces before the bind.
 */
static NDIS_STATUS AfPacketOpen(PFDPORT_ADAPTER Adapter)
{
    struct sockaddr_ll Address;
    NDIS_STATUS Status;
    int One = 1;

    Adapter->IfIndex = (int)if_nametoindex(Adapter->IfName);
    if (Adapter->IfIndex == 0)
        return NDIS_STATUS_ADAPTER_NOT_FOUND;
    Status = FdportQueryMacAddress(Adapter);
    if (Status != NDIS_STATUS_SUCCESS)
        return Status;

    Adapter->Fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (Adapter->Fd < 0)
        return FdportOpenStatus(errno);
    /* Older kernels lack it: the receive path also drops PACKET_OUTGOING frames. */
    (void)setsockopt(Adapter->Fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &One, sizeof(One));
    /* The kernel may strip a received frame's 802.1Q tag into metadata: ask for it back. */
    (void)setsockopt(Adapter->Fd, SOL_PACKET, PACKET_AUXDATA, &One, sizeof(One));
    AfPacketGrowBuffers(Adapter->Fd);

    memset(&Address, 0, sizeof(Address));
    Address.sll_family = AF_PACKET;
    Address.sll_protocol = htons(ETH_P_ALL);
    Address.sll_ifindex = Adapter->IfIndex;
    if (bind(Adapter->Fd, (struct sockaddr *)&Address, sizeof(Address)) < 0)
        return FdportOpenStatus(errno);
    Adapter->Connected = FdportLinkUp(Adapter);
    return FdportQueryMtu(Adapter);
}

/*
 * Puts back the 802.1Q tag the kernel took out of a received frame (its
 * VLAN offload; PACKET_AUXDATA reports it), so the frame goes up as it was
 * on the wire: the MAC addresses move into the headroom and the tag goes
 * behind them.
 */
static VOID AfPacketRestoreVlanTag(struct msghdr *Header, PFDPORT_FRAME Frame)
{
    struct cmsghdr *Control;

    for (Control = CMSG_FIRSTHDR(Header); Control != NULL; Control = CMSG_NXTHDR(Header, Control)) {
        struct tpacket_auxdata Aux;
        PUCHAR Start = (PUCHAR)Frame->Data.iov_base - FDPORT_VLAN_TAG_SIZE;
        USHORT Tpid;

        if (Control->cmsg_level != SOL_PACKET || Control->cmsg_type != PACKET_AUXDATA)
            continue;
        memcpy(&Aux, CMSG_DATA(Control), sizeof(Aux));
        if (!(Aux.tp_status & TP_STATUS_VLAN_VALID) || Frame->Length < 2 * 6)
            return;
        Tpid = (Aux.tp_status & TP_STATUS_VLAN_TPID_VALID) ? Aux.tp_vlan_tpid : ETH_P_8021Q;
        memmove(Start, Frame->Data.iov_base, 2 * 6);
        Start[12] = (UCHAR)(Tpid >> 8);
        Start[13] = (UCHAR)Tpid;
        Start[14] = (UCHAR)(Aux.tp_vlan_tci >> 8);
        Start[15] = (UCHAR)Aux.tp_vlan_tci;
        Frame->Offset -= FDPORT_VLAN_TAG_SIZE;
        Frame->Length += FDPORT_VLAN_TAG_SIZE;
        return;
    }
}

/* Receives with one recvmmsg; truncated and outgoing frames get Length 0. */
static ULONG AfPacketReceive(PFDPORT_ADAPTER Adapter, PFDPORT_FRAME Frames, ULONG Count)
{
    int Received;

    for (ULONG i = 0; i < Count; i++) {
        struct msghdr *Header = &Adapter->Messages[i].msg_hdr;

        memset(Header, 0, sizeof(*Header));
        Header->msg_name = &Adapter->Addresses[i];
        Header->msg_namelen = sizeof(Adapter->Addresses[i]);
        Header->msg_iov = &Frames[i].Data;
        Header->msg_iovlen = 1;
        Header->msg_control = &Adapter->Controls[i];
        Header->msg_controllen = sizeof(Adapter->Controls[i]);
    }
    do
        Received = recvmmsg(Adapter->Fd, Adapter->Messages, Count, MSG_DONTWAIT, NULL);
    while (Received < 0 && errno == EINTR);
    if (Received < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            FdportCount(&Adapter->ReceiveErrors, 1);
        return 0;
    }
    for (int i = 0; i < Received; i++) {
        BOOLEAN Drop = (Adapter->Messages[i].msg_hdr.msg_flags & MSG_TRUNC) ||
                       Adapter->Addresses[i].sll_pkttype == PACKET_OUTGOING;

        Frames[i].Length = Drop ? 0 : Adapter->Messages[i].msg_len;
        if (!Drop)
            AfPacketRestoreVlanTag(&Adapter->Messages[i].msg_hdr, &Frames[i]);
    }
    return (ULONG)Received;
}

/* Transmits with sendmmsg; a frame that fails is skipped with its errno. */
static VOID AfPacketTransmit(PFDPORT_ADAPTER Adapter, PFDPORT_FRAME Frames, ULONG Count)
{
    ULONG Next = 0;

    for (ULONG i = 0; i < Count; i++) {
        struct msghdr *Header = &Adapter->Messages[i].msg_hdr;

        memset(Header, 0, sizeof(*Header));
        Header->msg_iov = &Frames[i].Data;
        Header->msg_iovlen = 1;
        Frames[i].Error = 0;
    }
    while (Next < Count) {
        int Sent = sendmmsg(Adapter->Fd, &Adapter->Messages[Next], Count - Next, 0);

        if (Sent < 0 && errno == EINTR)
            continue;
        if (Sent < 0)
            Frames[Next++].Error = errno; /* the first frame failed: skip it */
        else
            Next += (ULONG)Sent;
    }
}

/* Adds or drops the socket's promiscuous membership on the interface. */
static NDIS_STATUS AfPacketSetPromiscuous(PFDPORT_ADAPTER Adapter, BOOLEAN On)
{
    struct packet_mreq Request;

    memset(&Request, 0, sizeof(Request));
    Request.mr_ifindex = Adapter->IfIndex;
    Request.mr_type = PACKET_MR_PROMISC;
    if (setsockopt(Adapter->Fd, SOL_PACKET, On ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP, &Request,
                   sizeof(Request)) < 0)
        return NDIS_STATUS_FAILURE;
    return NDIS_STATUS_SUCCESS;
}

static FDPORT_BACKEND AfPacketBackend = {
    "afpacket", AfPacketOpen, AfPacketReceive, AfPacketTransmit, AfPacketSetPromiscuous,
};

/* ====================================================================== */
/* Backend: TAP                                                            */
/* ====================================================================== */

/* A locally administered MAC address, 02:00:54 plus three bytes hashed from the name. */
static VOID TapDeriveMacAddress(const char *Name, PUCHAR MacAddress)
{
    ULONG Hash = 2166136261u; /* FNV-1a */

    for (; *Name != '\0'; Name++)
        Hash = (Hash ^ (UCHAR)*Name) * 16777619u;
    MacAddress[0] = 0x02;
    MacAddress[1] = 0x00;
    MacAddress[2] = 0x54;
    MacAddress[3] = (UCHAR)(Hash >> 16);
    MacAddress[4] = (UCHAR)(Hash >> 8);
    MacAddress[5] = (UCHAR)Hash;
}

/* Creates the TAP interface (non-persistent: it goes with the descriptor) and brings it up. */
static NDIS_STATUS TapOpen(PFDPORT_ADAPTER Adapter)
{
    struct ifreq Ifr;
    NDIS_STATUS Status;

    Adapter->Fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (Adapter->Fd < 0)
        return FdportOpenStatus(errno);
    memset(&Ifr, 0, sizeof(Ifr));
    memcpy(Ifr.ifr_name, Adapter->IfName, sizeof(Ifr.ifr_name));
    Ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (ioctl(Adapter->Fd, TUNSETIFF, &Ifr) < 0)
        return errno == ENOMEM ? NDIS_STATUS_RESOURCES : NDIS_STATUS_OPEN_FAILED;

    Adapter->IfIndex = (int)if_nametoindex(Adapter->IfName);
    TapDeriveMacAddress(Adapter->IfName, Adapter->MacAddress);
    Status = FdportBringUp(Adapter);
    if (Status != NDIS_STATUS_SUCCESS)
        return Status;
    Adapter->Connected = FdportLinkUp(Adapter);
    return FdportQueryMtu(Adapter);
}

/* Reads frames one by one until none is left or Count are in. */
static ULONG TapReceive(PFDPORT_ADAPTER Adapter, PFDPORT_FRAME Frames, ULONG Count)
{
    ULONG Received = 0;

    while (Received < Count) {
        ssize_t Length = read(Adapter->Fd, Frames[Received].Data.iov_base, Frames[Received].Data.iov_len);

        if (Length < 0 && errno == EINTR)
            continue;
        if (Length < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                FdportCount(&Adapter->ReceiveErrors, 1);
            if (errno == EBADFD) /* the interface was deleted under us: poll() would say POLLERR forever */
                Adapter->Detached = TRUE;
            break;
        }
        Frames[Received++].Length = (ULONG)Length;
    }
    return Received;
}

/* Writes each frame to the TAP descriptor. */
static VOID TapTransmit(PFDPORT_ADAPTER Adapter, PFDPORT_FRAME Frames, ULONG Count)
{
    for (ULONG i = 0; i < Count; i++) {
        ssize_t Written;

        do
            Written = write(Adapter->Fd, Frames[i].Data.iov_base, Frames[i].Data.iov_len);
        while (Written < 0 && errno == EINTR);
        Frames[i].Error = Written < 0 ? errno : 0;
    }
}

static FDPORT_BACKEND TapBackend = {
    "tap", TapOpen, TapReceive, TapTransmit, NULL,
};

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
static NDIS_STATUS FdportAllocateReceives(PFDPORT_ADAPTER Adapter)
{
    NET_BUFFER_LIST_POOL_PARAMETERS Parameters;

    NdisZeroMemory(&Parameters, sizeof(Parameters));
    Parameters.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    Parameters.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    Parameters.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    Parameters.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
    Parameters.fAllocateNetBuffer = TRUE;
    Parameters.PoolTag = FDPORT_POOL_TAG;
    Parameters.DataSize = FDPORT_BUFFER_SIZE;

    Adapter->ReceivePool = NdisAllocateNetBufferListPool(Adapter->MiniportAdapterHandle, &Parameters);
    if (Adapter->ReceivePool == NULL)
        return NDIS_STATUS_RESOURCES;
    for (ULONG i = 0; i < FDPORT_RECEIVE_COUNT; i++) {
        PNET_BUFFER_LIST Nbl = NdisAllocateNetBufferList(Adapter->ReceivePool, 0, 0);

        if (Nbl == NULL)
            return NDIS_STATUS_RESOURCES; /* the caller frees what was allocated */
        FdportPushFreeLocked(Adapter, Nbl); /* no other thread yet */
    }
    return NDIS_STATUS_SUCCESS;
}

/* Frees every receive NBL (all must be back on the free list) and the pool. */
static VOID FdportFreeReceives(PFDPORT_ADAPTER Adapter)
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
static BOOLEAN FdportNeedKickLocked(PFDPORT_ADAPTER Adapter)
{
    if (Adapter->Kicked)
        return FALSE;
    Adapter->Kicked = TRUE;
    return TRUE;
}

/* Wakes the thread out of poll(). */
static VOID FdportKick(PFDPORT_ADAPTER Adapter)
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

/*
 * Clears the out-of-band information an overlying driver may have left on
 * a returned receive NBL. The slots are nearly always NULL already, so
 * they are tested rather than all rewritten for every frame.
 */
static VOID FdportClearInfo(PNET_BUFFER_LIST Nbl)
{
    for (ULONG i = 0; i < MaxNetBufferListInfo; i++)
        if (Nbl->NetBufferListInfo[i] != NULL)
            Nbl->NetBufferListInfo[i] = NULL;
}

/* Resets a recycled receive NBL to describe the frame received into its buffer. */
static VOID FdportPrepareReceive(PFDPORT_ADAPTER Adapter, PFDPORT_FRAME Frame)
{
    PNET_BUFFER_LIST Nbl = Frame->Nbl;
    PNET_BUFFER Nb = NET_BUFFER_LIST_FIRST_NB(Nbl);
    PVOID ProtocolId = NET_BUFFER_LIST_INFO(Nbl, NetBufferListProtocolId); /* the pool's; keep it */

    Nbl->SourceHandle = Adapter->MiniportAdapterHandle;
    Nbl->Flags = 0;
    Nbl->NblFlags = 0;
    NET_BUFFER_LIST_STATUS(Nbl) = NDIS_STATUS_SUCCESS;
    FdportClearInfo(Nbl);
    NET_BUFFER_LIST_INFO(Nbl, NetBufferListProtocolId) = ProtocolId;
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
static BOOLEAN FdportPauseDoneLocked(PFDPORT_ADAPTER Adapter)
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
static void *FdportThread(void *Context)
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
static VOID FdportSendNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferLists,
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
static VOID FdportReturnNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferLists,
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
static VOID FdportCancelSend(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId)
{
    (void)MiniportAdapterContext;
    (void)CancelId;
}

/* ====================================================================== */
/* OID requests                                                            */
/* ====================================================================== */

/* Copies a query's answer out, or says how many bytes it needs. */
static NDIS_STATUS FdportAnswerQuery(PNDIS_OID_REQUEST Request, const VOID *Data, ULONG Length)
{
    Request->DATA.QUERY_INFORMATION.BytesWritten = 0;
    if (Request->DATA.QUERY_INFORMATION.InformationBufferLength < Length) {
        Request->DATA.QUERY_INFORMATION.BytesNeeded = Length;
        return NDIS_STATUS_BUFFER_TOO_SHORT;
    }
    NdisMoveMemory(Request->DATA.QUERY_INFORMATION.InformationBuffer, Data, Length);
    Request->DATA.QUERY_INFORMATION.BytesWritten = Length;
    Request->DATA.QUERY_INFORMATION.BytesNeeded = 0;
    return NDIS_STATUS_SUCCESS;
}

/* Answers a statistics counter: a ULONG64, or its low ULONG in a 4-byte buffer (as documented). */
static NDIS_STATUS FdportAnswerCounter(PNDIS_OID_REQUEST Request, _Atomic ULONG64 *Statistic)
{
    ULONG64 Counter = atomic_load_explicit(Statistic, memory_order_relaxed);
    ULONG Low = (ULONG)Counter;

    if (Request->DATA.QUERY_INFORMATION.InformationBufferLength == sizeof(ULONG))
        return FdportAnswerQuery(Request, &Low, sizeof(Low));
    return FdportAnswerQuery(Request, &Counter, sizeof(Counter));
}

/* The link state, read from the interface's flags now. */
static VOID FdportLinkState(PFDPORT_ADAPTER Adapter, PNDIS_LINK_STATE LinkState)
{
    Adapter->Connected = FdportLinkUp(Adapter);
    NdisZeroMemory(LinkState, sizeof(*LinkState));
    LinkState->Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    LinkState->Header.Revision = NDIS_LINK_STATE_REVISION_1;
    LinkState->Header.Size = NDIS_SIZEOF_LINK_STATE_REVISION_1;
    LinkState->MediaConnectState = Adapter->Connected ? MediaConnectStateConnected : MediaConnectStateDisconnected;
    LinkState->MediaDuplexState = MediaDuplexStateFull;
    LinkState->XmitLinkSpeed = FDPORT_LINK_SPEED;
    LinkState->RcvLinkSpeed = FDPORT_LINK_SPEED;
    LinkState->PauseFunctions = NdisPauseFunctionsUnsupported;
}

/* The MAC options both backends report: the adapter never receives its own frames. */
static ULONG FdportMacOptions(VOID)
{
    return NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA | NDIS_MAC_OPTION_TRANSFERS_NOT_PEND | NDIS_MAC_OPTION_NO_LOOPBACK |
           NDIS_MAC_OPTION_FULL_DUPLEX;
}

/* Answers the OIDs whose value is one ULONG; NDIS_STATUS_NOT_SUPPORTED for any other. */
static NDIS_STATUS FdportQueryUlong(PFDPORT_ADAPTER Adapter, PNDIS_OID_REQUEST Request)
{
    ULONG Value;

    switch (Request->DATA.QUERY_INFORMATION.Oid) {
    case OID_GEN_HARDWARE_STATUS: Value = NdisHardwareStatusReady; break;
    case OID_GEN_MEDIA_SUPPORTED:
    case OID_GEN_MEDIA_IN_USE: Value = NdisMedium802_3; break;
    case OID_GEN_PHYSICAL_MEDIUM: Value = NdisPhysicalMedium802_3; break;
    case OID_GEN_MAXIMUM_FRAME_SIZE: Value = Adapter->Mtu; break;
    case OID_GEN_MAXIMUM_TOTAL_SIZE: Value = Adapter->Mtu + FDPORT_HEADER_SIZE; break;
    case OID_GEN_MAXIMUM_LOOKAHEAD: Value = Adapter->Mtu; break;
    case OID_GEN_CURRENT_LOOKAHEAD: Value = Adapter->Lookahead; break;
    case OID_GEN_LINK_SPEED: Value = (ULONG)(FDPORT_LINK_SPEED / 100); break; /* in 100 bit/s */
    case OID_GEN_MEDIA_CONNECT_STATUS:
        Adapter->Connected = FdportLinkUp(Adapter);
        Value = Adapter->Connected ? NdisMediaStateConnected : NdisMediaStateDisconnected;
        break;
    case OID_GEN_CURRENT_PACKET_FILTER: Value = Adapter->PacketFilter; break;
    case OID_GEN_MAC_OPTIONS: Value = FdportMacOptions(); break;
    case OID_802_3_MAXIMUM_LIST_SIZE: Value = FDPORT_MULTICAST_LIST_SIZE; break;
    default: return NDIS_STATUS_NOT_SUPPORTED;
    }
    return FdportAnswerQuery(Request, &Value, sizeof(Value));
}

/* MiniportOidRequest, query side. */
static NDIS_STATUS FdportQuery(PFDPORT_ADAPTER Adapter, PNDIS_OID_REQUEST Request)
{
    NDIS_LINK_STATE LinkState;

    switch (Request->DATA.QUERY_INFORMATION.Oid) {
    case OID_GEN_SUPPORTED_LIST:
        return FdportAnswerQuery(Request, FdportSupportedOids, sizeof(FdportSupportedOids));
    case OID_802_3_PERMANENT_ADDRESS:
    case OID_802_3_CURRENT_ADDRESS:
        return FdportAnswerQuery(Request, Adapter->MacAddress, sizeof(Adapter->MacAddress));
    case OID_GEN_LINK_STATE:
        FdportLinkState(Adapter, &LinkState);
        return FdportAnswerQuery(Request, &LinkState, sizeof(LinkState));
    case OID_GEN_XMIT_OK: return FdportAnswerCounter(Request, &Adapter->FramesTransmitted);
    case OID_GEN_RCV_OK: return FdportAnswerCounter(Request, &Adapter->FramesReceived);
    case OID_GEN_XMIT_ERROR: return FdportAnswerCounter(Request, &Adapter->TransmitErrors);
    case OID_GEN_RCV_ERROR: return FdportAnswerCounter(Request, &Adapter->ReceiveErrors);
    case OID_GEN_RCV_NO_BUFFER: return FdportAnswerCounter(Request, &Adapter->ReceiveNoBuffer);
    default: return FdportQueryUlong(Adapter, Request);
    }
}

/* Reads the ULONG a set carries, or says it needs one. */
static NDIS_STATUS FdportReadUlong(PNDIS_OID_REQUEST Request, PULONG Value)
{
    Request->DATA.SET_INFORMATION.BytesRead = 0;
    if (Request->DATA.SET_INFORMATION.InformationBufferLength < sizeof(ULONG)) {
        Request->DATA.SET_INFORMATION.BytesNeeded = sizeof(ULONG);
        return NDIS_STATUS_INVALID_LENGTH;
    }
    NdisMoveMemory(Value, Request->DATA.SET_INFORMATION.InformationBuffer, sizeof(ULONG));
    Request->DATA.SET_INFORMATION.BytesRead = sizeof(ULONG);
    Request->DATA.SET_INFORMATION.BytesNeeded = 0;
    return NDIS_STATUS_SUCCESS;
}

/* Sets the packet filter: remembered, and its PROMISCUOUS bit switches promiscuous mode. */
static NDIS_STATUS FdportSetPacketFilter(PFDPORT_ADAPTER Adapter, PNDIS_OID_REQUEST Request)
{
    ULONG Filter = 0;
    NDIS_STATUS Status = FdportReadUlong(Request, &Filter);
    BOOLEAN Promiscuous = (Filter & NDIS_PACKET_TYPE_PROMISCUOUS) != 0;

    if (Status != NDIS_STATUS_SUCCESS)
        return Status;
    if ((Filter & ~FDPORT_PACKET_FILTERS) != 0)
        return NDIS_STATUS_NOT_SUPPORTED;
    if (Adapter->Backend->SetPromiscuous != NULL && Promiscuous != Adapter->Promiscuous) {
        Status = Adapter->Backend->SetPromiscuous(Adapter, Promiscuous);
        if (Status != NDIS_STATUS_SUCCESS)
            return Status;
        Adapter->Promiscuous = Promiscuous;
    }
    Adapter->PacketFilter = Filter;
    return NDIS_STATUS_SUCCESS;
}

/* MiniportOidRequest, set side: packet filter, lookahead, multicast list (accepted). */
static NDIS_STATUS FdportSet(PFDPORT_ADAPTER Adapter, PNDIS_OID_REQUEST Request)
{
    ULONG Length = Request->DATA.SET_INFORMATION.InformationBufferLength;
    ULONG Value = 0;
    NDIS_STATUS Status;

    switch (Request->DATA.SET_INFORMATION.Oid) {
    case OID_GEN_CURRENT_PACKET_FILTER:
        return FdportSetPacketFilter(Adapter, Request);
    case OID_GEN_CURRENT_LOOKAHEAD:
        Status = FdportReadUlong(Request, &Value);
        if (Status == NDIS_STATUS_SUCCESS && Value > Adapter->Mtu)
            return NDIS_STATUS_INVALID_DATA;
        if (Status == NDIS_STATUS_SUCCESS)
            Adapter->Lookahead = Value;
        return Status;
    case OID_802_3_MULTICAST_LIST:
        if (Length % 6 != 0 || Length / 6 > FDPORT_MULTICAST_LIST_SIZE)
            return Length % 6 != 0 ? NDIS_STATUS_INVALID_LENGTH : NDIS_STATUS_MULTICAST_FULL;
        Request->DATA.SET_INFORMATION.BytesRead = Length;
        return NDIS_STATUS_SUCCESS;
    default:
        return NDIS_STATUS_NOT_SUPPORTED;
    }
}

/* MiniportOidRequest: every request is answered at once (never pends). */
_Use_decl_annotations_
static NDIS_STATUS FdportOidRequest(NDIS_HANDLE MiniportAdapterContext, PNDIS_OID_REQUEST OidRequest)
{
    PFDPORT_ADAPTER Adapter = MiniportAdapterContext;

    switch (OidRequest->RequestType) {
    case NdisRequestQueryInformation:
    case NdisRequestQueryStatistics:
        return FdportQuery(Adapter, OidRequest);
    case NdisRequestSetInformation:
        return FdportSet(Adapter, OidRequest);
    default:
        return NDIS_STATUS_NOT_SUPPORTED;
    }
}

/* MiniportCancelOidRequest: nothing pends, so nothing to cancel. */
_Use_decl_annotations_
static VOID FdportCancelOidRequest(NDIS_HANDLE MiniportAdapterContext, PVOID RequestId)
{
    (void)MiniportAdapterContext;
    (void)RequestId;
}

/* ====================================================================== */
/* Initialize, pause, restart, halt                                        */
/* ====================================================================== */

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

/* Second attributes: an Ethernet adapter with the interface's MTU, no back-fill needed. */
static NDIS_STATUS FdportSetGeneralAttributes(PFDPORT_ADAPTER Adapter)
{
    NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES General;

    NdisZeroMemory(&General, sizeof(General));
    General.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
    General.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
    General.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
    General.MediaType = NdisMedium802_3;
    General.PhysicalMediumType = NdisPhysicalMedium802_3;
    General.MtuSize = Adapter->Mtu;
    General.MaxXmitLinkSpeed = General.XmitLinkSpeed = FDPORT_LINK_SPEED;
    General.MaxRcvLinkSpeed = General.RcvLinkSpeed = FDPORT_LINK_SPEED;
    General.MediaConnectState = Adapter->Connected ? MediaConnectStateConnected : MediaConnectStateDisconnected;
    General.MediaDuplexState = MediaDuplexStateFull;
    General.LookaheadSize = Adapter->Mtu;
    General.MacOptions = FdportMacOptions();
    General.SupportedPacketFilters = FDPORT_PACKET_FILTERS;
    General.MaxMulticastListSize = FDPORT_MULTICAST_LIST_SIZE;
    General.MacAddressLength = sizeof(Adapter->MacAddress);
    NdisMoveMemory(General.PermanentMacAddress, Adapter->MacAddress, sizeof(Adapter->MacAddress));
    NdisMoveMemory(General.CurrentMacAddress, Adapter->MacAddress, sizeof(Adapter->MacAddress));
    General.AccessType = NET_IF_ACCESS_BROADCAST;
    General.DirectionType = NET_IF_DIRECTION_SENDRECEIVE;
    General.ConnectionType = NET_IF_CONNECTION_DEDICATED;
    General.IfType = IF_TYPE_ETHERNET_CSMACD;
    General.IfConnectorPresent = FALSE;
    General.SupportedPauseFunctions = NdisPauseFunctionsUnsupported;
    General.DataBackFillSize = 0;
    General.ContextBackFillSize = 0;
    General.SupportedOidList = (PNDIS_OID)FdportSupportedOids;
    General.SupportedOidListLength = sizeof(FdportSupportedOids);
    return NdisMSetMiniportAttributes(Adapter->MiniportAdapterHandle,
                                      (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&General);
}

/* Frees an adapter whose thread is not running: descriptors, receive NBLs, memory. */
static VOID FdportFreeAdapter(PFDPORT_ADAPTER Adapter)
{
    if (Adapter->Fd >= 0)
        close(Adapter->Fd); /* drops the promiscuous membership; a TAP interface goes away */
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
    Adapter = calloc(1, sizeof(*Adapter));
    if (Adapter == NULL)
        return NDIS_STATUS_RESOURCES;
    Adapter->MiniportAdapterHandle = NdisMiniportHandle;
    Adapter->Backend = MiniportDriverContext;
    Adapter->Fd = Adapter->EventFd = Adapter->ControlFd = -1;
    Adapter->State = FdportPaused;
    Adapter->Mtu = FDPORT_MAX_MTU;
    memcpy(Adapter->IfName, Name, strlen(Name) + 1);
    pthread_mutex_init(&Adapter->Lock, NULL);

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

/* ====================================================================== */
/* DriverEntry (one per backend)                                           */
/* ====================================================================== */

/* Registers the engine's handlers with NDIS, the backend as the driver context. */
static NDIS_STATUS FdportDriverEntry(PFDPORT_BACKEND Backend, NDIS_HANDLE *NdisMiniportDriverHandle)
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
    return NdisMRegisterMiniportDriver(NULL, NULL, Backend, &Characteristics, NdisMiniportDriverHandle);
}

/* The AF_PACKET driver's DriverEntry. */
NDIS_STATUS ndisbuf_afpacket_driver_entry(NDIS_HANDLE *NdisMiniportDriverHandle)
{
    return FdportDriverEntry(&AfPacketBackend, NdisMiniportDriverHandle);
}

/* The TAP driver's DriverEntry. */
NDIS_STATUS ndisbuf_tap_driver_entry(NDIS_HANDLE *NdisMiniportDriverHandle)
{
    return FdportDriverEntry(&TapBackend, NdisMiniportDriverHandle);
}
