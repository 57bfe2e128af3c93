/* SPDX-License-Identifier: MIT */
/*
 * The interface behind an fd-port adapter, through ioctls on the adapter's
 * control socket (a datagram socket opened at initialize): flags, link
 * state, MTU, hardware address, bringing it up. The socket belongs to the
 * network namespace the adapter was initialized in, so these reach the
 * interface from whatever thread asks later, in whatever namespace.
 */
#include <errno.h>
#include <string.h>

#include <net/if_arp.h>
#include <sys/ioctl.h>

#include "fdport.h"

/* The NDIS status for an errno from opening a socket, device or interface. */
NDIS_STATUS FdportOpenStatus(int Error)
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
BOOLEAN FdportLinkUp(PFDPORT_ADAPTER Adapter)
{
    short Flags = 0;

    return FdportQueryFlags(Adapter, &Flags) && (Flags & IFF_UP) && (Flags & IFF_RUNNING);
}

/* Reads the interface's MTU (the adapter's, capped at 1500). */
NDIS_STATUS FdportQueryMtu(PFDPORT_ADAPTER Adapter)
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

/*
 * Reads the interface's Ethernet address; NDIS_STATUS_UNSUPPORTED_MEDIA for
 * other media. The loopback interface (ARPHRD_LOOPBACK) counts as Ethernet:
 * it carries Ethernet headers (its address is 00:00:00:00:00:00) and hands
 * every frame sent on it back as received.
 */
NDIS_STATUS FdportQueryMacAddress(PFDPORT_ADAPTER Adapter)
{
    struct ifreq Ifr;
    int Error;

    memset(&Ifr, 0, sizeof(Ifr));
    memcpy(Ifr.ifr_name, Adapter->IfName, sizeof(Ifr.ifr_name));
    Error = FdportInterfaceIoctl(Adapter, SIOCGIFHWADDR, &Ifr);
    if (Error != 0)
        return FdportOpenStatus(Error);
    if (Ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER && Ifr.ifr_hwaddr.sa_family != ARPHRD_LOOPBACK)
        return NDIS_STATUS_UNSUPPORTED_MEDIA;
    memcpy(Adapter->MacAddress, Ifr.ifr_hwaddr.sa_data, sizeof(Adapter->MacAddress));
    return NDIS_STATUS_SUCCESS;
}

/* Sets IFF_UP on the interface. */
NDIS_STATUS FdportBringUp(PFDPORT_ADAPTER Adapter)
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
