/* SPDX-License-Identifier: MIT */
/*
 * rawprot: a raw-Ethernet NDIS 6.20 protocol driver, in the spirit of
 * Microsoft's ndisprot sample, written against <ndis.h> only.
 *
 * The driver half is ordinary NDIS: RawProtDriverEntry registers the
 * protocol, NDIS offers it adapters (ndisbuf_stack_bind), and each binding
 * sizes its NET_BUFFER_LIST pool for what the stack below asks for
 * (NDIS_BIND_PARAMETERS at bind, NDIS_RESTART_GENERAL_ATTRIBUTES at every
 * restart), so that the filters below it can retreat and push context
 * without allocating. When a restart brings new needs (a filter was
 * inserted or removed), the binding frees its pool and allocates a new one:
 * PoolReallocations in the statistics counts that.
 *
 * The client half stands in for ndisprot's device object and its
 * ReadFile/WriteFile: a client finds a binding by the handle
 * ndisbuf_stack_bind gave, writes whole frames (copied into pool buffers),
 * and reads received frames (copied out by the receive handler into a
 * bounded queue). Sends, completions, receives and control calls may run on
 * different threads at once.
 */
#ifndef NDISBUF_EXAMPLES_RAWPROT_H
#define NDISBUF_EXAMPLES_RAWPROT_H

#include <ndis.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RAWPROT_ETHERNET_HEADER_LENGTH 14 /* destination, source, EtherType */
#define RAWPROT_RECEIVE_QUEUE_DEPTH 256   /* frames waiting for RawProtRead */
#define RAWPROT_WAIT_FOREVER ((ULONG)-1)  /* TimeoutMs: no time limit */

/* One binding as a client sees it (opaque). */
typedef struct _RAWPROT_OPEN RAWPROT_OPEN, *PRAWPROT_OPEN;

/*
 * Called on the receiving thread for every frame, instead of queueing it
 * for RawProtRead. Frame is valid only during the call; the callback must
 * not block for long (it holds up the miniport's receive thread).
 */
typedef VOID (*RAWPROT_RECEIVE_CALLBACK)(PVOID Context, const UCHAR *Frame, ULONG Length);

/* A binding's counters and its pool as they are at the time of the call. */
typedef struct _RAWPROT_STATS {
    /* send side */
    ULONG64 FramesSent;          /* handed to NdisSendNetBufferLists */
    ULONG64 WritesRefused;       /* frames refused before sending (state, length, resources) */
    ULONG64 CompletedOk;         /* completed with NDIS_STATUS_SUCCESS */
    ULONG64 CompletedPaused;     /* completed with NDIS_STATUS_PAUSED */
    ULONG64 CompletedFailed;     /* completed with any other status */
    ULONG64 CompletedAltered;    /* came back not exactly as sent (offset, length, MDL, context or bytes) */
    ULONG64 SendsOutstanding;    /* sent and not yet completed */
    /* receive side */
    ULONG64 FramesReceived;      /* frames copied from received NET_BUFFERs */
    ULONG64 FramesDropped;       /* receive queue full, or no memory for the copy */
    ULONG64 FramesRead;          /* taken by RawProtRead */
    ULONG64 FramesTruncated;     /* longer than the RawProtRead buffer */
    ULONG64 ReceivesResources;   /* indications with NDIS_RECEIVE_FLAGS_RESOURCES */
    /* binding life */
    BOOLEAN Running;             /* writes are accepted (NetEventRestart done, no pause begun) */
    ULONG64 PausesImmediate;     /* NetEventPause answered with SUCCESS */
    ULONG64 PausesPended;        /* NetEventPause answered PENDING, completed later */
    ULONG64 Restarts;            /* NetEventRestart handled successfully */
    ULONG64 PoolReallocations;   /* pool freed and allocated again at a restart */
    ULONG64 StatusIndications;   /* ProtocolStatusEx calls */
    /* the adapter and the stack's needs, as each source gave them */
    UCHAR BindMacAddress[6];     /* NDIS_BIND_PARAMETERS.CurrentMacAddress */
    ULONG BindMtuSize;
    ULONG BindDataBackFillSize;  /* NDIS_BIND_PARAMETERS */
    ULONG BindContextBackFillSize;
    NDIS_STATUS OidStatus;       /* the OID_GEN_MINIPORT_RESTART_ATTRIBUTES query at bind */
    ULONG OidDataBackFillSize;   /* what that query answered */
    ULONG OidContextBackFillSize;
    BOOLEAN OidAgreed;           /* the query succeeded and matched the bind parameters */
    /* what the current pool was built for */
    ULONG PoolMtuSize;
    ULONG PoolDataBackFillSize;  /* bytes of header room in front of every frame */
    ULONG PoolContextBackFillSize; /* NBL context back-fill (a multiple of sizeof(PVOID)) */
    ULONG PoolDataSize;          /* the pool's DataSize: back-fill + largest frame */
    ULONG PoolElementSize;       /* ndisbuf_pool_get_stats: bytes per element */
    ULONG64 PoolOutstanding;     /* ndisbuf_pool_get_stats: NBLs allocated and not freed */
    ULONG64 PoolCapacity;
} RAWPROT_STATS, *PRAWPROT_STATS;

/* ---- the driver ---- */

/*
 * Registers the protocol (NdisRegisterProtocolDriver, NDIS 6.20,
 * characteristics revision 2). Returns the registration's status; a second
 * call while registered fails with NDIS_STATUS_FAILURE.
 */
NDIS_STATUS RawProtDriverEntry(void);
/* Deregisters (every binding must have been unbound first). */
VOID RawProtDriverUnload(void);
/* The NdisProtocolHandle for ndisbuf_stack_bind; NULL when not registered. */
NDIS_HANDLE RawProtProtocolHandle(void);

/* ---- the client ---- */

/*
 * Finds the binding whose NdisBindingHandle is NdisBindingHandle and takes a
 * reference on it: the RAWPROT_OPEN stays valid (calls on it fail cleanly
 * once the binding is gone) until RawProtCloseBinding. NULL when no such
 * binding is open.
 */
PRAWPROT_OPEN RawProtOpenBinding(NDIS_HANDLE NdisBindingHandle);
VOID RawProtCloseBinding(PRAWPROT_OPEN Open);

/*
 * Copies one frame (RAWPROT_ETHERNET_HEADER_LENGTH .. MtuSize + 14 bytes)
 * into a pool buffer, after DataBackFillSize bytes of header room, and
 * sends it. NDIS_STATUS_SUCCESS means it was handed to NDIS; its completion
 * status is counted in the statistics. Otherwise nothing was sent:
 * NDIS_STATUS_PAUSED (binding not running), NDIS_STATUS_CLOSING (unbound),
 * NDIS_STATUS_INVALID_LENGTH, NDIS_STATUS_RESOURCES.
 */
NDIS_STATUS RawProtWrite(PRAWPROT_OPEN Open, const void *Frame, ULONG Length);
/*
 * The same for Count frames sent as one NET_BUFFER_LIST chain in a single
 * NdisSendNetBufferLists call. All or nothing: on failure none is sent.
 */
NDIS_STATUS RawProtWriteBatch(PRAWPROT_OPEN Open, const void *const *Frames, const ULONG *Lengths, ULONG Count);

/*
 * Takes the oldest received frame and copies up to Capacity bytes of it into
 * Buffer (the rest of a longer frame is lost: FramesTruncated). Waits up to
 * TimeoutMs (0: not at all; RAWPROT_WAIT_FOREVER) for a frame. Returns the
 * bytes copied, 0 when no frame came or the binding went away.
 */
ULONG RawProtRead(PRAWPROT_OPEN Open, void *Buffer, ULONG Capacity, ULONG TimeoutMs);

/* Sends received frames to Callback instead of the read queue (NULL: back to the queue). */
VOID RawProtSetReceiveCallback(PRAWPROT_OPEN Open, RAWPROT_RECEIVE_CALLBACK Callback, PVOID Context);

/* Waits up to TimeoutMs until every frame sent has been completed; TRUE if so. */
BOOLEAN RawProtWaitForSends(PRAWPROT_OPEN Open, ULONG TimeoutMs);

/* A snapshot of the binding's counters and pool. */
VOID RawProtGetStats(PRAWPROT_OPEN Open, PRAWPROT_STATS Stats);

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_EXAMPLES_RAWPROT_H */
