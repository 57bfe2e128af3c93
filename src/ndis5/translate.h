/* SPDX-License-Identifier: MIT */
/*
 * The NDIS 5.1 protocol shim (private): an NDIS 5.1 protocol registered
 * with NdisRegisterProtocol runs as an NDIS 6 protocol on the binding stack
 * (docs/ndis5.md, "Running over the NDIS 6 stack").
 *
 * One xl_protocol per NdisRegisterProtocol: the 5.1 characteristics and the
 * NDIS 6 registration the shim made for them (its handle is the one the
 * 5.1 protocol gets). One xl_binding per NDIS 6 binding: made when the
 * shim's ProtocolBindAdapterEx runs, it is the BindContext and
 * UnbindContext the 5.1 handlers get and the NdisBindingHandle
 * NdisOpenAdapter returns; the NDIS 6 binding's ProtocolBindingContext is
 * the xl_binding too.
 *
 *   translate_protocol.c  registration, the shim's NDIS 6 characteristics,
 *                         pause, restart, other PnP events, status
 *   translate_bind.c      bind, open, close, unbind and their completions
 *   translate_send.c      NdisSend(Packets), the pause queue, completions
 *   translate_receive.c   receive indications as packets, NdisReturnPackets
 *   translate_request.c   NdisRequest as NDIS_OID_REQUEST
 *
 * Both objects are never returned to the system: a retired one loses its
 * magic and waits on a list to be reused, so a stale handle meets a dead
 * magic and a diagnostic rather than freed memory (as the stack's layers).
 */
#ifndef NDISBUF_NDIS5_TRANSLATE_H
#define NDISBUF_NDIS5_TRANSLATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ndis.h"

#define XL_PROTOCOL_MAGIC 0x3550584Cu  /* "LXP5" */
#define XL_BINDING_MAGIC 0x3542584Cu   /* "LXB5" */
#define XL_PACKET_MAGIC 0x3552584Cu    /* "LXR5": a receive packet of the shim */
#define XL_NAME_MAX 64                 /* WCHARs of a copied adapter name */

/* Received packets: preallocated descriptors, and overflow up to the documented total. */
#define XL_RX_PACKETS 256u
#define XL_RX_PACKET_OVERFLOW (0xFFFFu - XL_RX_PACKETS)
#define XL_RX_BUFFERS 0xFFFFu           /* buffer descriptors over received data, at once */
#define XL_ETHERNET_HEADER 14u          /* HeaderBufferSize of ProtocolReceive on 802.3 */
#define XL_FLUSH_POLL_US 200            /* wait between looks at a restarting binding */
#define XL_POOL_TAG ((ULONG)'N' | ((ULONG)'5' << 8) | ((ULONG)'x' << 16) | ((ULONG)'l' << 24))

typedef enum xl_state {
    XL_OPENING,   /* ProtocolBindAdapter running or pended */
    XL_PAUSED,
    XL_RUNNING,
    XL_PAUSING,   /* NetEventPause pended: sends or held packets out */
    XL_CLOSING    /* ProtocolUnbindAdapter running or pended */
} xl_state;

/* Where a pended bind or unbind handler stands. */
typedef enum xl_phase {
    XL_PHASE_NONE,
    XL_PHASE_CALLING,   /* the 5.1 handler is running */
    XL_PHASE_PENDING,   /* it returned NDIS_STATUS_PENDING: NdisComplete*Adapter finishes */
    XL_PHASE_DONE       /* completed while the handler was still running */
} xl_phase;

typedef struct xl_protocol {
    uint32_t magic;
    NDIS_PROTOCOL_CHARACTERISTICS chars;    /* the 5.1 protocol's (copied) */
    NDIS_HANDLE handle6;                    /* NdisRegisterProtocolDriver's: what the 5.1 protocol holds */
    struct xl_protocol *next;               /* live list, or retired list */
} xl_protocol;

typedef struct xl_binding {
    uint32_t magic;
    xl_protocol *protocol;
    pthread_mutex_t lock;                   /* everything below but the atomics */
    pthread_cond_t changed;                 /* queue, state or stop changed (the flusher waits) */
    xl_state state;
    bool opened;                            /* NdisOpenAdapter succeeded, NdisCloseAdapter not yet */
    NDIS_HANDLE context5;                   /* the 5.1 ProtocolBindingContext */
    NDIS_HANDLE bind_context6;
    NDIS_HANDLE unbind_context6;
    NDIS_HANDLE binding6;                   /* NdisOpenAdapterEx's NdisBindingHandle */

    xl_phase phase;                         /* of the bind or unbind handler */
    NDIS_STATUS phase_status;               /* what NdisComplete*Adapter said in XL_PHASE_DONE */

    WCHAR adapter_chars[XL_NAME_MAX];
    NDIS_STRING adapter_name;               /* DeviceName, a copy of BindParameters->AdapterName */
    NDIS_MEDIUM medium;
    ULONG context_backfill;                 /* NBL context the layers below push (rounded) */

    NDIS_HANDLE nbl_pool;                   /* send NBLs, each with one NB over a packet's chain */
    NDIS_HANDLE rx_packet_pool;
    NDIS_HANDLE rx_buffer_pool;

    /* Send side. */
    ULONG64 sends_out;                      /* packets sent down, not completed */
    PNDIS_PACKET queue_head, queue_tail;    /* packets waiting for a restart, linked in WrapperReserved */
    pthread_t flusher;
    bool flusher_running;
    bool flusher_stop;

    /* Receive side. */
    ULONG64 packets_held;                   /* indicated packets the 5.1 protocol kept */

    PNET_PNP_EVENT_NOTIFICATION pending_pause;
    struct xl_binding *next;                /* live list, or retired list */
} xl_binding;

/*
 * Pointer-sized slots of the reserved areas (NDIS_PACKET's byte arrays,
 * NET_BUFFER_LIST's PVOID arrays), read and written without type punning.
 */
static inline ULONG_PTR xl_slot_get(const void *area, unsigned slot)
{
    ULONG_PTR value;
    memcpy(&value, (const UCHAR *)area + slot * sizeof(value), sizeof(value));
    return value;
}

static inline void xl_slot_set(void *area, unsigned slot, ULONG_PTR value)
{
    memcpy((UCHAR *)area + slot * sizeof(value), &value, sizeof(value));
}

/* ---- translate_protocol.c ---- */
/* The live protocol whose NDIS 6 handle is handle6, or NULL. */
xl_protocol *xl_protocol_find(NDIS_HANDLE handle6);
/* Brackets a call of a 5.1 control handler (bind, unbind, PnP) on this thread. */
void xl_handler_enter(void);
void xl_handler_leave(void);
/* Completes a pended pause once nothing is sent or held (takes the binding's lock). */
void xl_maybe_finish_pause(xl_binding *b);

/* ---- translate_bind.c ---- */
/* The shim's NDIS 6 bind/unbind handlers. */
PROTOCOL_BIND_ADAPTER_EX xl_bind_adapter_ex;
PROTOCOL_UNBIND_ADAPTER_EX xl_unbind_adapter_ex;
/* The live binding `handle` names, or NULL (no diagnostic). Takes the registry lock. */
xl_binding *xl_binding_lookup(NDIS_HANDLE handle);
/* The binding for a data-path call: magic only; a diagnostic naming fn when dead. */
xl_binding *xl_binding_fast(NDIS_HANDLE handle, const char *fn);
/* Live bindings of the protocol (any state). */
ULONG xl_protocol_bindings(const xl_protocol *p);
/*
 * Puts a send NBL pool for ContextBackFillSize bytes of NBL context in
 * place of the current one when that size changed (the binding is paused
 * or opening: every NBL is back). On failure the current pool stays.
 */
NDIS_STATUS xl_replace_nbl_pool(xl_binding *b, ULONG ContextBackFillSize);

/* ---- translate_send.c ---- */
PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE xl_send_complete;
/* Starts / stops the thread that sends what was queued while paused. */
bool xl_flusher_start(xl_binding *b);
void xl_flusher_stop(xl_binding *b);
/* Completes every queued packet with `status` (the binding is closing). */
void xl_fail_queue(xl_binding *b, NDIS_STATUS status);

/* ---- translate_receive.c ---- */
PROTOCOL_RECEIVE_NET_BUFFER_LISTS xl_receive;

/* ---- translate_request.c ---- */
PROTOCOL_OID_REQUEST_COMPLETE xl_oid_complete;

#endif /* NDISBUF_NDIS5_TRANSLATE_H */
