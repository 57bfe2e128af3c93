/* SPDX-License-Identifier: MIT */
/*
 * Small drivers for testing the binding stack itself, written against
 * <ndis.h> like real ones, with knobs a test turns:
 *
 *  - td_miniport: completes sends at once (or holds them until the test
 *    lets go), indicates receives the test asks for, pauses with PENDING
 *    while it holds sends or indicated receives are out.
 *  - td_filter: passes everything through (or, without handlers, is
 *    bypassed), adds fixed back-fill and context needs at restart, counts.
 *  - td_protocol: opens on bind, records what NDIS told it (bind
 *    parameters, restart attributes), counts completions by status, keeps
 *    or returns receives.
 *
 * One instance of each per test; every counter is read after the stack is
 * quiet (or under the test's own synchronisation).
 */
#ifndef NDISBUF_TESTS_STACKDRV_H
#define NDISBUF_TESTS_STACKDRV_H

#include <pthread.h>
#include <stdbool.h>

#include "ndis.h"

/* ---- miniport ---- */
typedef struct td_miniport {
    NDIS_HANDLE driver;
    NDIS_HANDLE adapter;          /* MiniportAdapterHandle */
    ULONG data_backfill, context_backfill;
    bool hold_sends;              /* queue sends until td_miniport_release_sends */
    bool fail_initialize;
    bool skip_general_attributes;
    bool nest_on_restart;         /* MiniportRestart calls ndisbuf_stack_pause */
    NDIS_STATUS nested_status;
    pthread_mutex_t lock;
    PNET_BUFFER_LIST held_head, held_tail;
    ULONG held_count;
    bool pause_pending;
    NDIS_HANDLE rx_pool;
    ULONG sends_seen, nbls_sent, receives_returned;
    ULONG pauses, restarts, halts, oids;
    ULONG last_pause_reason;
    ULONG64 outstanding_rx;       /* indicated, not returned */
} td_miniport;

void td_miniport_register(td_miniport *m);
void td_miniport_deregister(td_miniport *m);
/* Completes every held send with `status`, then finishes a pending pause. */
void td_miniport_release_sends(td_miniport *m, NDIS_STATUS status);
/* Indicates `count` frames of `length` bytes (byte i = seed + i) in one call. */
void td_miniport_indicate(td_miniport *m, ULONG count, ULONG length, UCHAR seed, ULONG flags);

/* ---- filter ---- */
typedef struct td_filter {
    NDIS_HANDLE driver;
    NDIS_HANDLE module;           /* NdisFilterHandle of the last attach */
    ULONG data_backfill, context_backfill;
    ULONG mtu_reduction;          /* subtracted from MtuSize at restart (a tagging filter) */
    bool bypass_data;             /* register without send/receive handlers */
    bool fail_attach;
    ULONG attaches, detaches, pauses, restarts;
    ULONG sends, completes, receives, returns;
    ULONG restart_data_seen;      /* DataBackFillSize in the attributes it got */
    ULONG last_pause_reason;
    /*
     * A test that plants a bug sets any of these: the filter then calls the
     * hook instead of passing the NBLs on (the hook does what it likes,
     * rightly or wrongly, and must pass them on itself).
     */
    void (*send_hook)(struct td_filter *f, PNET_BUFFER_LIST chain, ULONG flags);
    void (*send_complete_hook)(struct td_filter *f, PNET_BUFFER_LIST chain, ULONG flags);
    void (*receive_hook)(struct td_filter *f, PNET_BUFFER_LIST chain, ULONG n, ULONG flags);
    void (*return_hook)(struct td_filter *f, PNET_BUFFER_LIST chain, ULONG flags);
} td_filter;

void td_filter_register(td_filter *f, const char *name);
void td_filter_deregister(td_filter *f);

/* ---- protocol ---- */
typedef struct td_protocol {
    NDIS_HANDLE driver;
    NDIS_HANDLE binding;          /* NdisBindingHandle */
    NDIS_HANDLE nbl_pool;
    NDIS_HANDLE bind_context;
    bool pend_bind;               /* bind returns PENDING, completed from a thread */
    bool hold_receives;           /* keep receives until td_protocol_return_held */
    bool fail_bind;
    pthread_mutex_t lock;
    NDIS_BIND_PARAMETERS bind_params;
    ULONG restart_data, restart_context; /* from the last NetEventRestart */
    ULONG binds, unbinds, pauses, restarts;
    ULONG completed_ok, completed_paused, completed_other;
    ULONG received, receive_calls, resources_receives;
    ULONG status_indications;
    ULONG oid_completions;
    NDIS_STATUS last_oid_status;
    PNET_BUFFER_LIST held_head;
    ULONG held_count;
    bool keep_resources;          /* a bug: keeps receives lent with NDIS_RECEIVE_FLAGS_RESOURCES */
    PNET_BUFFER_LIST kept_resources;
    bool hold_completions;        /* keep completed sends (in `completed`) instead of freeing them */
    PNET_BUFFER_LIST completed;
    UCHAR last_frame[64];
    ULONG last_frame_length;
} td_protocol;

void td_protocol_register(td_protocol *p, const char *name);
void td_protocol_deregister(td_protocol *p);
/* Sends `count` frames of `length` bytes in one NdisSendNetBufferLists. */
void td_protocol_send(td_protocol *p, ULONG count, ULONG length);
/* Returns every held receive. */
void td_protocol_return_held(td_protocol *p);

#endif /* NDISBUF_TESTS_STACKDRV_H */
