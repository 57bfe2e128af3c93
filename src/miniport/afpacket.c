/* SPDX-License-Identifier: MIT */
/*
 * The AF_PACKET backend of the fd-port engine (fdport.h), the driver of
 * ndisbuf_afpacket_driver_entry: two AF_PACKET SOCK_RAW sockets bound to
 * the interface named by the adapter name. The receive socket (the one the
 * adapter's thread polls) is bound with ETH_P_ALL, with
 * PACKET_IGNORE_OUTGOING so the adapter never receives its own frames back
 * (nor anything else the host sends out of that interface). The send
 * socket is bound with protocol 0, so it receives nothing; frames go out
 * on it, and since no thread waits on it, the kernel freeing each sent
 * frame finds nobody to wake (on the polled socket it would walk the
 * thread's wait queue, under its lock, once per frame).
 *
 * The adapter's MAC address is the interface's. The interface must carry
 * Ethernet frames: ARPHRD_ETHER, or ARPHRD_LOOPBACK (lo carries Ethernet
 * headers, address 00:00:00:00:00:00, and hands every frame sent on it back
 * as received: the adapter gets that echo, as it gets the host's own
 * loopback traffic). Frames move with sendmmsg and recvmmsg, up to 64 per
 * system call; the kernel takes the protocol of a sent frame from its
 * Ethernet header. The interface is put in promiscuous mode
 * (PACKET_ADD_MEMBERSHIP, PACKET_MR_PROMISC, dropped with the socket) while
 * the packet filter has NDIS_PACKET_TYPE_PROMISCUOUS. Receives are not
 * filtered further: every frame the interface delivers goes up, whatever
 * the packet filter says (a frame the kernel delivers to the host is one
 * the filter would pass anyway, but for multicast groups). An 802.1Q tag
 * the kernel's VLAN offload took out of a received frame (PACKET_AUXDATA)
 * is put back, so frames go up as they were on the wire.
 *
 * The sockets are created in the network namespace of the thread that adds
 * the adapter, and stay there.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include "fdport.h"

#define AFPACKET_SOCKET_BUFFER (4 * 1024 * 1024)

/*
 * Scratch for the mmsg calls (the adapter's BackendContext): the receive
 * side is the thread's, the send side the transmit right holder's, its
 * messages set up once at open (one iovec each, no address, no control).
 */
typedef struct _AFPACKET_CONTEXT {
    struct mmsghdr ReceiveMessages[FDPORT_BATCH];
    struct sockaddr_ll Addresses[FDPORT_BATCH];
    union {
        struct cmsghdr Header;
        UCHAR Space[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
    } Controls[FDPORT_BATCH];
    struct mmsghdr SendMessages[FDPORT_BATCH];
} AFPACKET_CONTEXT, *PAFPACKET_CONTEXT;

static PAFPACKET_CONTEXT AfPacketContext(PFDPORT_ADAPTER Adapter)
{
    return (PAFPACKET_CONTEXT)Adapter->BackendContext;
}

/* Asks for a large socket buffer: beyond the sysctl maximum when allowed (CAP_NET_ADMIN), else up to it. */
static VOID AfPacketGrowBuffer(int Socket, int ForceOption, int Option)
{
    int Size = AFPACKET_SOCKET_BUFFER;

    if (setsockopt(Socket, SOL_SOCKET, ForceOption, &Size, sizeof(Size)) < 0)
        (void)setsockopt(Socket, SOL_SOCKET, Option, &Size, sizeof(Size));
}

/* Binds a packet socket to the interface for Protocol (network order; 0: it receives nothing); 0 or an errno. */
static int AfPacketBind(int Socket, int IfIndex, USHORT Protocol)
{
    struct sockaddr_ll Address;

    memset(&Address, 0, sizeof(Address));
    Address.sll_family = AF_PACKET;
    Address.sll_protocol = Protocol;
    Address.sll_ifindex = IfIndex;
    return bind(Socket, (struct sockaddr *)&Address, sizeof(Address)) < 0 ? errno : 0;
}

/*
 * The receive socket, ignoring outgoing frames. Created with protocol 0
 * and bound with ETH_P_ALL afterwards, so it queues nothing from other
 * interfaces before the bind.
 */
static NDIS_STATUS AfPacketOpenReceiveSocket(PFDPORT_ADAPTER Adapter)
{
    int One = 1, Error;

    Adapter->Fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (Adapter->Fd < 0)
        return FdportOpenStatus(errno);
    /* Older kernels lack it: the receive path also drops PACKET_OUTGOING frames. */
    (void)setsockopt(Adapter->Fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &One, sizeof(One));
    /* The kernel may strip a received frame's 802.1Q tag into metadata: ask for it back. */
    (void)setsockopt(Adapter->Fd, SOL_PACKET, PACKET_AUXDATA, &One, sizeof(One));
    AfPacketGrowBuffer(Adapter->Fd, SO_RCVBUFFORCE, SO_RCVBUF);
    Error = AfPacketBind(Adapter->Fd, Adapter->IfIndex, htons(ETH_P_ALL));
    return Error == 0 ? NDIS_STATUS_SUCCESS : FdportOpenStatus(Error);
}

/* The send socket: bound with protocol 0, it receives nothing. Its messages are set up here, once. */
static NDIS_STATUS AfPacketOpenSendSocket(PFDPORT_ADAPTER Adapter)
{
    int Error;

    Adapter->SendFd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (Adapter->SendFd < 0)
        return FdportOpenStatus(errno);
    AfPacketGrowBuffer(Adapter->SendFd, SO_SNDBUFFORCE, SO_SNDBUF);
    Error = AfPacketBind(Adapter->SendFd, Adapter->IfIndex, 0);
    if (Error != 0)
        return FdportOpenStatus(Error);
    for (ULONG i = 0; i < FDPORT_BATCH; i++) /* the rest of each message stays zero (BackendContext is) */
        AfPacketContext(Adapter)->SendMessages[i].msg_hdr.msg_iovlen = 1;
    return NDIS_STATUS_SUCCESS;
}

/* Opens both sockets on the interface (the adapter closes them, also after a failure). */
static NDIS_STATUS AfPacketOpen(PFDPORT_ADAPTER Adapter)
{
    NDIS_STATUS Status;

    Adapter->IfIndex = (int)if_nametoindex(Adapter->IfName);
    if (Adapter->IfIndex == 0)
        return NDIS_STATUS_ADAPTER_NOT_FOUND;
    Status = FdportQueryMacAddress(Adapter);
    if (Status == NDIS_STATUS_SUCCESS)
        Status = AfPacketOpenReceiveSocket(Adapter);
    if (Status == NDIS_STATUS_SUCCESS)
        Status = AfPacketOpenSendSocket(Adapter);
    if (Status != NDIS_STATUS_SUCCESS)
        return Status;
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

/* Points the receive messages at the frames' buffers, with room for each sender address and control data. */
static VOID AfPacketPrepareReceive(PAFPACKET_CONTEXT Context, PFDPORT_FRAME Frames, ULONG Count)
{
    for (ULONG i = 0; i < Count; i++) {
        struct msghdr *Header = &Context->ReceiveMessages[i].msg_hdr;

        memset(Header, 0, sizeof(*Header));
        Header->msg_name = &Context->Addresses[i];
        Header->msg_namelen = sizeof(Context->Addresses[i]);
        Header->msg_iov = &Frames[i].Data;
        Header->msg_iovlen = 1;
        Header->msg_control = &Context->Controls[i];
        Header->msg_controllen = sizeof(Context->Controls[i]);
    }
}

/* Receives with one recvmmsg; truncated and outgoing frames get Length 0. */
static ULONG AfPacketReceive(PFDPORT_ADAPTER Adapter, PFDPORT_FRAME Frames, ULONG Count)
{
    PAFPACKET_CONTEXT Context = AfPacketContext(Adapter);
    int Received;

    AfPacketPrepareReceive(Context, Frames, Count);
    do
        Received = recvmmsg(Adapter->Fd, Context->ReceiveMessages, Count, MSG_DONTWAIT, NULL);
    while (Received < 0 && errno == EINTR);
    if (Received < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            FdportCount(&Adapter->ReceiveErrors, 1);
        return 0;
    }
    for (int i = 0; i < Received; i++) {
        BOOLEAN Drop = (Context->ReceiveMessages[i].msg_hdr.msg_flags & MSG_TRUNC) ||
                       Context->Addresses[i].sll_pkttype == PACKET_OUTGOING;

        Frames[i].Length = Drop ? 0 : Context->ReceiveMessages[i].msg_len;
        if (!Drop)
            AfPacketRestoreVlanTag(&Context->ReceiveMessages[i].msg_hdr, &Frames[i]);
    }
    return (ULONG)Received;
}

/*
 * Transmits with sendmmsg (MSG_DONTWAIT when DontWait); a frame that fails
 * is skipped with its errno. Without waiting, stops at the first frame the
 * socket would block on (its send buffer full): EAGAIN. ENOBUFS is the
 * frame dropped by the interface's queue, a failure of that frame, as when
 * blocking.
 */
static ULONG AfPacketTransmit(PFDPORT_ADAPTER Adapter, PFDPORT_FRAME Frames, ULONG Count, BOOLEAN DontWait)
{
    struct mmsghdr *Messages = AfPacketContext(Adapter)->SendMessages;
    int Flags = DontWait ? MSG_DONTWAIT : 0;
    ULONG Next = 0;

    for (ULONG i = 0; i < Count; i++) {
        Messages[i].msg_hdr.msg_iov = &Frames[i].Data;
        Frames[i].Error = 0;
    }
    while (Next < Count) {
        int Sent = sendmmsg(Adapter->SendFd, &Messages[Next], Count - Next, Flags);

        if (Sent >= 0)
            Next += (ULONG)Sent;
        else if (errno == EINTR)
            continue;
        else if (DontWait && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        else
            Frames[Next++].Error = errno; /* the first frame failed: skip it */
    }
    return Next;
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

static const FDPORT_BACKEND AfPacketBackend = {
    "afpacket", sizeof(AFPACKET_CONTEXT), AfPacketOpen, AfPacketReceive, AfPacketTransmit, AfPacketSetPromiscuous,
};

/* The AF_PACKET driver's DriverEntry. */
NDIS_STATUS ndisbuf_afpacket_driver_entry(NDIS_HANDLE *NdisMiniportDriverHandle)
{
    return FdportDriverEntry(&AfPacketBackend, NdisMiniportDriverHandle);
}
