/* SPDX-License-Identifier: MIT */
/*
 * The TAP backend of the fd-port engine (fdport.h), the driver of
 * ndisbuf_tap_driver_entry: a TAP interface it creates with the adapter
 * name (/dev/net/tun, IFF_TAP | IFF_NO_PI) and brings up. The adapter is
 * the far end of that interface's wire: what the host sends out of the
 * interface is received, what the adapter sends arrives at the host. Its
 * MAC address is a locally administered one derived from the name
 * (02:00:54:xx:xx:xx). TAP has no mmsg calls: one read or write per frame.
 * The interface is not persistent: it goes away with the adapter.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <sys/ioctl.h>

#include "fdport.h"
#include "mphelp.h" /* MpDeriveMacAddress */

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
    MpDeriveMacAddress(Adapter->IfName, 0x54, Adapter->MacAddress); /* 02:00:54: TAP */
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

/*
 * Writes each frame to the TAP descriptor (non-blocking, always). Without
 * waiting, stops at the first frame the descriptor would block on (EAGAIN);
 * else that is the frame's failure.
 */
static ULONG TapTransmit(PFDPORT_ADAPTER Adapter, PFDPORT_FRAME Frames, ULONG Count, BOOLEAN DontWait)
{
    for (ULONG i = 0; i < Count; i++) {
        ssize_t Written;

        do
            Written = write(Adapter->Fd, Frames[i].Data.iov_base, Frames[i].Data.iov_len);
        while (Written < 0 && errno == EINTR);
        if (Written < 0 && DontWait && (errno == EAGAIN || errno == EWOULDBLOCK))
            return i;
        Frames[i].Error = Written < 0 ? errno : 0;
    }
    return Count;
}

static const FDPORT_BACKEND TapBackend = {
    "tap", 0, TapOpen, TapReceive, TapTransmit, NULL,
};

/* The TAP driver's DriverEntry. */
NDIS_STATUS ndisbuf_tap_driver_entry(NDIS_HANDLE *NdisMiniportDriverHandle)
{
    return FdportDriverEntry(&TapBackend, NdisMiniportDriverHandle);
}
