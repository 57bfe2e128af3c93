/* SPDX-License-Identifier: MIT */
/*
 * The test protocol ("tp"): a small NDIS 6 protocol driver, written
 * against <ndis.h>, for the miniport tests (tests/unit/stack/test_loopback.c,
 * test_afpacket_veth.c, test_tap.c). It binds to an adapter, sends frames
 * it stamps with a sender id, a sequence number and their length (the rest
 * filled from those), and checks every byte of every frame it receives,
 * counting what it saw per binding.
 *
 * A test registers the driver (tp_register), binds it to its adapters
 * (tp_bind_adapter: one tp_binding each, with its own pools), sends
 * (tp_send_frames, tp_send with tp_build_nbl or tp_build_chained_nbl),
 * waits for counters (tp_wait_for, tp_wait_completions) and reads them
 * (tp_read); then unbinds (tp_unbind_adapter) and deregisters
 * (tp_deregister). The helpers fail the running cmocka test on any error.
 * One registration at a time.
 *
 * Counters change under the binding's lock (on the miniport's threads);
 * read them with tp_read, or under b->lock. Frames a binding sends carry
 * tx_dst/tx_src; a frame it receives is good when it carries rx_dst/rx_src
 * and its stamp checks out. By default all four are the adapter's address
 * (what a loopback returns); a test sets them for other wires.
 */
#ifndef NDISBUF_TESTS_TPROT_H
#define NDISBUF_TESTS_TPROT_H

#include <pthread.h>
#include <stdbool.h>

#include "ndis.h"

#define TP_ETHERTYPE 0x88B5 /* IEEE local experimental */
#define TP_MAGIC 0x4E444246u /* "NDBF" */
#define TP_HEADER 25         /* Ethernet 14, magic 4, sender 1, sequence 4, length 2 */
#define TP_MAX_FRAME 2048
#define TP_WAIT_SECONDS 20

/* One binding of the test protocol, with everything it saw. */
typedef struct tp_binding {
    NDIS_HANDLE binding;            /* NdisBindingHandle */
    NDIS_HANDLE bind_context;
    NDIS_HANDLE unbind_context;
    UCHAR mac[6];                   /* the adapter's, from the bind parameters */
    ULONG mtu;
    UCHAR sender;                   /* stamped in every frame this binding sends */
    UCHAR tx_dst[6], tx_src[6];     /* addresses of frames it sends */
    UCHAR rx_dst[6], rx_src[6];     /* addresses it expects on frames it receives */
    NDIS_HANDLE nbl_pool;           /* NBLs without NB */
    NDIS_HANDLE nb_pool;            /* NBs with TP_MAX_FRAME bytes of data */
    NDIS_HANDLE mdl_nb_pool;        /* NBs over caller MDL chains */
    pthread_t test_thread;

    pthread_mutex_t lock;
    pthread_cond_t changed;
    /* Under lock. */
    ULONG64 sent, completed, completed_ok, completed_paused, completed_invalid_length, completed_other;
    ULONG64 completed_on_test_thread_ok;  /* SUCCESS completions on the test's thread (never expected) */
    ULONG64 frames, receive_calls, resources_calls, resources_frames;
    ULONG64 bad_frames, foreign_frames, own_frames, out_of_order, multi_nb_receives;
    ULONG64 receives_on_test_thread;
    ULONG64 tagged_frames;          /* 802.1Q-tagged frames (foreign to the stamp check) */
    UCHAR last_tagged[TP_MAX_FRAME];
    ULONG last_tagged_length;
    ULONG next_seq;                 /* the sequence number expected next */
    ULONG max_nbls_per_indication;
    bool hold_receives;             /* keep non-RESOURCES receives until tp_return_held */
    PNET_BUFFER_LIST held_head;
    ULONG held_count;
    ULONG echo_budget;              /* the receive handler answers each good frame with one more, this many times */
    ULONG next_echo_seq;            /* the sequence number of the next answer */
    ULONG max_receive_depth;        /* the most receive handlers seen running at once on one thread */
    ULONG receive_flags_seen;       /* every ReceiveFlags value seen, OR-ed */
    ULONG complete_flags_seen;      /* every SendCompleteFlags value seen, OR-ed */
    bool gate_closed;               /* receive handler blocks while set */
    bool in_gate;
    bool oid_done;
    NDIS_STATUS oid_status;
    ULONG64 status_indications;
} tp_binding;

/* ---- the driver and its bindings ---- */

/* Registers the test protocol driver. */
void tp_register(void);
/* Deregisters it (every binding gone). */
void tp_deregister(void);
/* Binds the test protocol to the adapter; returns its binding, pools created. */
tp_binding *tp_bind_adapter(NDIS_HANDLE adapter);
/* Unbinds and frees the binding and its pools. */
void tp_unbind_adapter(tp_binding *b);

/* ---- frames ---- */

/* What a received frame is, for the counters. */
typedef enum tp_verdict { TP_GOOD, TP_BAD, TP_FOREIGN, TP_OWN } tp_verdict;

/* Writes frame (b->sender, seq) of `length` bytes (at least 14; the stamp goes where it fits). */
void tp_frame_fill(const tp_binding *b, UCHAR *frame, ULONG length, ULONG seq);
/* Checks every byte of a received frame against what its stamp says was sent; *seq: its number. */
tp_verdict tp_frame_check(const tp_binding *b, const UCHAR *frame, ULONG length, ULONG *seq);
/* Frame lengths from 60 to 1514 bytes, varying with the sequence number. */
ULONG tp_length_varied(ULONG seq);

/* ---- sending ---- */

/* An NBL of nb_count frames of `length` bytes, sequence numbers seq, seq+1, ... */
PNET_BUFFER_LIST tp_build_nbl(tp_binding *b, ULONG seq, ULONG length, ULONG nb_count);
/*
 * An NBL of one frame over a chain of MDLs with the given byte counts (zero
 * allowed), the frame starting data_offset bytes into the chain.
 */
PNET_BUFFER_LIST tp_build_chained_nbl(tp_binding *b, ULONG seq, ULONG length, ULONG data_offset,
                                      const ULONG *pieces, ULONG piece_count);
/* Sends a chain (counted first) in one NdisSendNetBufferLists. */
void tp_send(tp_binding *b, PNET_BUFFER_LIST chain);
/* Sends `count` one-frame NBLs of length length_of(seq) in chains of `chain` NBLs. */
void tp_send_frames(tp_binding *b, ULONG first_seq, ULONG count, ULONG chain, ULONG (*length_of)(ULONG));

/* ---- waiting and reading ---- */

/* Waits until *counter (under b->lock) reaches target; false after TP_WAIT_SECONDS. */
bool tp_wait_for(tp_binding *b, const ULONG64 *counter, ULONG64 target);
/* Waits until every NBL sent so far has completed. */
bool tp_wait_completions(tp_binding *b);
/* Reads a counter under the binding's lock. */
ULONG64 tp_read(tp_binding *b, const ULONG64 *counter);
/* Unlocks b->lock and wakes the binding's waiters: after changing what they wait on under the lock. */
void tp_changed(tp_binding *b);
/* Gives back every receive the binding held, from this thread, in several calls of up to 100 NBLs. */
void tp_return_held(tp_binding *b);

/* ---- OID requests ---- */

/* One OID request on the binding, waiting for it if it pends. *done: BytesWritten or BytesRead. */
NDIS_STATUS tp_oid(tp_binding *b, NDIS_REQUEST_TYPE type, NDIS_OID oid, void *buffer, ULONG length, ULONG *done,
                   ULONG *needed);
/* Queries a ULONG OID; asserts success. */
ULONG tp_query_ulong(tp_binding *b, NDIS_OID oid);

#endif /* NDISBUF_TESTS_TPROT_H */
