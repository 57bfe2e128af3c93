/* SPDX-License-Identifier: MIT */
/*
 * ndis51_protocol: a raw-Ethernet NDIS 5.1 protocol driver, written the way
 * an NDIS 5.1 protocol is written, against <ndis.h> only, and run by
 * ndisbuf over the NDIS 6 binding stack through the translation shim
 * (docs/ndis5.md, "Running over the NDIS 6 stack").
 *
 * The driver half: N51DriverEntry registers with NdisRegisterProtocol; NDIS
 * calls ProtocolBindAdapter for each adapter it is bound to
 * (ndisbuf_stack_bind with N51ProtocolHandle()), which allocates the
 * binding's packet pool and buffer pool and opens the adapter with
 * NdisOpenAdapter, then sets the packet filter and reads the maximum frame
 * size with NdisRequest.
 *
 * Every send follows the seed's NDIS 5.1 flow: a packet from the pool
 * (NdisAllocatePacket), a copy of the client's frame in tagged memory
 * (NdisAllocateMemoryWithTag, tag N51_SEND_TAG), two buffer descriptors
 * over the copy (NdisAllocateBuffer: the Ethernet header, then the
 * payload), chained with NdisChainBufferAtBack, and NdisSend. ProtocolSendComplete
 * unchains the buffers (NdisUnchainBufferAtFront until none is left) and
 * frees them, the memory and the packet.
 *
 * Received frames arrive in ProtocolReceivePacket, which either copies the
 * frame out (NdisQueryPacket, NdisQueryBuffer over the chain; tagged
 * memory, tag N51_RECEIVE_TAG) and returns 0, or, when the client asked to
 * keep packets, keeps the packet itself (returns 1) until N51Read has
 * copied it and given it back with NdisReturnPackets. Registered with
 * N51_OPTION_NO_RECEIVE_PACKET, the protocol has no ProtocolReceivePacket
 * and frames come through ProtocolReceive (header and lookahead) and
 * ProtocolReceiveComplete instead.
 *
 * The client half stands in for the protocol's upper edge: a client finds a
 * binding by its adapter name, writes frames and reads received ones.
 * Sends, completions, receives and binding changes may run on different
 * threads at once.
 */
#ifndef NDISBUF_EXAMPLES_NDIS51_PROTOCOL_H
#define NDISBUF_EXAMPLES_NDIS51_PROTOCOL_H

#include <ndis.h>

#ifdef __cplusplus
extern "C" {
#endif

#define N51_ETHERNET_HEADER_LENGTH 14    /* destination, source, EtherType */
#define N51_MAX_FRAME_LENGTH 1514        /* header + 1500-byte payload */
#define N51_RECEIVE_QUEUE_DEPTH 256      /* frames waiting for N51Read */
#define N51_WAIT_FOREVER ((ULONG)-1)     /* TimeoutMs: no time limit */

/* The pool tags of the protocol's tagged memory ('N51s' etc. as a little-endian ULONG). */
#define N51_TAG(_a, _b, _c, _d) ((ULONG)(_a) | ((ULONG)(_b) << 8) | ((ULONG)(_c) << 16) | ((ULONG)(_d) << 24))
#define N51_SEND_TAG N51_TAG('N', '5', '1', 's')    /* copies of frames being sent */
#define N51_RECEIVE_TAG N51_TAG('N', '5', '1', 'r') /* received frames waiting to be read */
#define N51_OPEN_TAG N51_TAG('N', '5', '1', 'o')    /* binding contexts */

/* N51DriverEntry options. */
#define N51_OPTION_NO_RECEIVE_PACKET 0x00000001 /* register without ProtocolReceivePacket */

/* One binding as a client sees it (opaque). */
typedef struct _N51_OPEN N51_OPEN, *PN51_OPEN;

typedef struct _N51_STATS {
    /* send side */
    ULONG64 FramesSent;          /* handed to NdisSend */
    ULONG64 SendsRefused;        /* refused before NdisSend (binding, length, no packet, memory or buffer) */
    ULONG64 CompletedOk;         /* ProtocolSendComplete with NDIS_STATUS_SUCCESS */
    ULONG64 CompletedFailed;     /* ProtocolSendComplete with any other status */
    ULONG64 SendsOutstanding;    /* handed to NdisSend, not yet completed */
    /* receive side */
    ULONG64 FramesReceived;      /* queued for N51Read, copied or kept */
    ULONG64 PacketsCopied;       /* ProtocolReceivePacket copied the frame and returned 0 */
    ULONG64 PacketsKept;         /* ProtocolReceivePacket returned 1 */
    ULONG64 PacketsReturned;     /* kept packets given back with NdisReturnPackets */
    ULONG64 ReceivesResources;   /* packets indicated with NDIS_STATUS_RESOURCES (copied, never kept) */
    ULONG64 LookaheadReceives;   /* frames through ProtocolReceive */
    ULONG64 ReceiveCompletes;    /* ProtocolReceiveComplete calls */
    ULONG64 FramesDropped;       /* queue full, no memory, or a frame larger than the lookahead */
    ULONG64 FramesRead;          /* taken by N51Read */
    /* binding */
    BOOLEAN Bound;               /* opened and not yet unbinding */
    UINT MaximumFrameSize;       /* OID_GEN_MAXIMUM_FRAME_SIZE, queried at bind with NdisRequest */
    NDIS_STATUS FilterStatus;    /* the OID_GEN_CURRENT_PACKET_FILTER set at bind */
    ULONG64 StatusIndications;   /* ProtocolStatus calls */
} N51_STATS, *PN51_STATS;

/* ---- the driver ---- */

/*
 * Registers the protocol (NdisRegisterProtocol, NDIS 5.1) with Options
 * (N51_OPTION_*). Returns the registration's status; NDIS_STATUS_FAILURE
 * when already registered.
 */
NDIS_STATUS N51DriverEntry(ULONG Options);
/* Deregisters (NdisDeregisterProtocol: every binding is unbound first). */
VOID N51DriverUnload(void);
/* The NdisProtocolHandle NdisRegisterProtocol gave (for ndisbuf_stack_bind); NULL when not registered. */
NDIS_HANDLE N51ProtocolHandle(void);

/* ---- the client ---- */

/*
 * Finds the binding to the adapter named AdapterName (the DeviceName
 * ProtocolBindAdapter got) and takes a reference on it: the N51_OPEN stays
 * valid, with calls on it failing cleanly once it is unbound, until
 * N51CloseBinding. NULL when no such binding is open.
 */
PN51_OPEN N51OpenBinding(const char *AdapterName);
VOID N51CloseBinding(PN51_OPEN Open);

/*
 * Keep (TRUE) or copy (FALSE, the default) the packets ProtocolReceivePacket
 * gets: a kept packet waits in the read queue and goes back with
 * NdisReturnPackets once N51Read has copied it. Packets indicated with
 * NDIS_STATUS_RESOURCES are always copied. A kept packet holds up the
 * binding's pause until it is read, as an NDIS 6 protocol's held NBL does.
 */
VOID N51SetKeepReceivedPackets(PN51_OPEN Open, BOOLEAN Keep);

/*
 * Sends one frame (N51_ETHERNET_HEADER_LENGTH .. N51_MAX_FRAME_LENGTH
 * bytes) the NDIS 5.1 way, from a copy: NDIS_STATUS_SUCCESS once NdisSend
 * has it (ProtocolSendComplete counts how it ended). Otherwise nothing was
 * sent and nothing is left allocated: NDIS_STATUS_INVALID_PARAMETER,
 * NDIS_STATUS_INVALID_LENGTH, NDIS_STATUS_CLOSING (unbound),
 * NDIS_STATUS_RESOURCES (no packet, memory or buffer descriptor).
 */
NDIS_STATUS N51Send(PN51_OPEN Open, const void *Frame, ULONG Length);

/*
 * Takes the oldest received frame and copies up to Capacity bytes of it
 * into Buffer, waiting up to TimeoutMs (0: not at all; N51_WAIT_FOREVER).
 * A kept packet is given back with NdisReturnPackets. Returns the bytes
 * copied; 0 when no frame came or the binding is gone.
 */
ULONG N51Read(PN51_OPEN Open, void *Buffer, ULONG Capacity, ULONG TimeoutMs);

/* Waits up to TimeoutMs until every frame sent has completed; TRUE if so. */
BOOLEAN N51WaitForSends(PN51_OPEN Open, ULONG TimeoutMs);

/* A snapshot of the binding's counters. */
VOID N51GetStats(PN51_OPEN Open, PN51_STATS Stats);

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_EXAMPLES_NDIS51_PROTOCOL_H */
