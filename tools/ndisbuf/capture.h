/* SPDX-License-Identifier: MIT */
/*
 * capture: an NDIS 6.20 filter driver that records every frame passing it
 * into one pcap file (DLT_EN10MB), written against <ndis.h> and libpcap.
 * `ndisbuf demo --pcap FILE` attaches one module per adapter at position 0,
 * directly above the miniport, so the file holds the frames as the
 * miniport sends and receives them: below the VLAN filter, 802.1Q-tagged.
 *
 * The module changes nothing: sends are recorded and passed down, their
 * completions passed up; receives are recorded and passed up, their returns
 * passed down. It adds no back-fill and no context.
 */
#ifndef NDISBUF_TOOL_CAPTURE_H
#define NDISBUF_TOOL_CAPTURE_H

#include <stddef.h>

#include <ndis.h>

/* What every module of the driver has written so far. */
typedef struct _CAPTURE_STATS {
    ULONG64 FramesSent;     /* NET_BUFFERs recorded on their way down */
    ULONG64 FramesReceived; /* NET_BUFFERs recorded on their way up */
    ULONG64 FramesDropped;  /* not recorded: no data, or longer than the snapshot length */
} CAPTURE_STATS, *PCAPTURE_STATS;

/*
 * Creates (or truncates) the pcap file at Path. FALSE with a one-line
 * reason in Error (ErrorSize bytes) when it cannot be written; nothing is
 * left open then.
 */
BOOLEAN CaptureOpenFile(const char *Path, char *Error, size_t ErrorSize);
/*
 * Registers the filter driver (NdisFRegisterFilterDriver). The file must be
 * open; NDIS_STATUS_FAILURE when it is not or the driver is registered.
 */
NDIS_STATUS CaptureDriverEntry(void);
/* The NdisFilterDriverHandle for ndisbuf_stack_attach_filter; NULL when not registered. */
NDIS_HANDLE CaptureDriverHandle(void);
/* Deregisters (every module must have been detached first) and closes the file. */
VOID CaptureDriverUnload(void);
/* The counters of every module since the file was opened. */
VOID CaptureGetStats(PCAPTURE_STATS Stats);

#endif /* NDISBUF_TOOL_CAPTURE_H */
