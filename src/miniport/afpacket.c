/* SPDX-License-Identifier: MIT */
/*
 * The AF_PACKET backend of the fd-port engine (fdport.h), the driver of
 * ndisbuf_afpacket_driver_entry: an AF_PACKET SOCK_RAW socket bound to the
 * interface named by the adapter name, ETH_P_ALL, with
 * PACKET_IGNORE_OUTGOING so the adapter never receives its own frames back
 * (nor anything else the host sends out of that interface).
 *
 * The adapter's MAC address is the interface's. The interface must carry
 * Ethernet frames: ARPHRD_ETHER, or ARPHRD_LOOPBACK (lo carries Ethernet
 * headers, address 00:00:00:00:00:00, and hands every frame sent on it back
 * as received: the adapter gets that echo, as it gets the host's own
 * loopback traffic). Frames move with sendmmsg and recvmmsg, up to 64 per
 * system call. The interface is put in promiscuous mode
 * (PACKET_ADD_MEMBERSHIP, PACKET_MR_PROMISC, dropped with the socket) while
 * the packet filter has NDIS_PACKET_TYPE_PROMISCUOUS. Receives are not
 * filtered further: every frame the interface delivers goes up, whatever
 * the packet filter says (a frame the kernel delivers to the host is one
 * the filter would pass anyway, but for multicast groups). An 802.1Q tag
 * the kernel's VLAN offload took out of a received frame (PACKET_AUXDATA)
 * is put back, so frames go up as they were on the wire.
 *
 * The socket is created in the network namespace of the thread that adds
 * the adapter, and stays there.
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

/* The thread's scratch for the mmsg calls (the adapter's BackendContext). */
typedef struct _AFPACKET_CONTEXT {
    struct mmsghdr Messages[FDPORT_BATCH];
    struct sockaddr_ll Addresses[FDPORT_BATCH];
    union {
        struct cmsghdr Header;
        UCHAR Space[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
    } Controls[FDPORT_BATCH];
} AFPACKET_CONTEXT, *PAFPACKET_CONTEXT;

static PAFPACKET_CONTEXT AfPacketContext(PFDPORT_ADAPTER Adapter)
{
    return (PAFPACKET_CONTEXT)Adapter->BackendContext;
}

/* Asks for large socket buffers: beyond rmem_max when allowed (CAP_NET_ADMIN), else up to it. */
static VOID AfPacketGrowBuffers(int Socket)
{
    int Size = AFPACKET_SOCKET_BUFFER;

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

/* Points the receive messages at the frames' buffers, with room for each sender address and control data. */
static VOID AfPacketPrepareReceive(PAFPACKET_CONTEXT Context, PFDPORT_FRAME Frames, ULONG Count)
{
    for (ULONG i = 0; i < Count; i++) {
        struct msghdr *Header = &Context->Messages[i].msg_hdr;

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
        Received = recvmmsg(Adapter->Fd, Context->Messages, Count, MSG_DONTWAIT, NULL);
    while (Received < 0 && errno == EINTR);
    if (Received < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            FdportCount(&Adapter->ReceiveErrors, 1);
        return 0;
    }
    for (int i = 0; i < Received; i++) {
        BOOLEAN Drop = (Context->Messages[i].msg_hdr.msg_flags & MSG_TRUNC) ||
                       Context->Addresses[i].sll_pkttype == PACKET_OUTGOING;

        Frames[i].Length = Drop ? 0 : Context->Messages[i].msg_len;
        if (!Drop)
            AfPacketRestoreVlanTag(&Context->Messages[i].msg_hdr, &Frames[i]);
    }
    return (ULONG)Received;
}

/* Transmits with sendmmsg; a frame that fails is skipped with its errno. */
static VOID AfPacketTransmit(PFDPORT_ADAPTER Adapter, PFDPORT_FRAME Frames, ULONG Count)
{
    PAFPACKET_CONTEXT Context = AfPacketContext(Adapter);
    ULONG Next = 0;

    for (ULONG i = 0; i < Count; i++) {
        struct msghdr *Header = &Context->Messages[i].msg_hdr;

        memset(Header, 0, sizeof(*Header));
        Header->msg_iov = &Frames[i].Data;
        Header->msg_iovlen = 1;
        Frames[i].Error = 0;
    }
    while (Next < Count) {
        int Sent = sendmmsg(Adapter->Fd, &Context->Messages[Next], Count - Next, 0);

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

static const FDPORT_BACKEND AfPacketBackend = {
    "afpacket", sizeof(AFPACKET_CONTEXT), AfPacketOpen, AfPacketReceive, AfPacketTransmit, AfPacketSetPromiscuous,
};

/* The AF_PACKET driver's DriverEntry. */
NDIS_STATUS ndisbuf_afpacket_driver_entry(NDIS_HANDLE *NdisMiniportDriverHandle)
{
    return FdportDriverEntry(&AfPacketBackend, NdisMiniportDriverHandle);
}
