/* SPDX-License-Identifier: MIT */
/*
 * `ndisbuf demo`, private to its files: the options (demo_options.c), the
 * peer's network namespace (demo_netns.c), the stack it builds and takes
 * down (demo_stack.c), the frames and their checker (demo_verify.c), the
 * traffic (demo_traffic.c) and the narration (demo.c).
 */
#ifndef NDISBUF_TOOL_DEMO_H
#define NDISBUF_TOOL_DEMO_H

#include <stdbool.h>
#include <stdio.h>

#include <ndis.h>

#include "rawprot.h"

/* Exit statuses. */
#define DEMO_EXIT_OK 0
#define DEMO_EXIT_FAILED 1 /* the stack refused something, a frame went wrong, or something leaked */
#define DEMO_EXIT_USAGE 2  /* bad arguments */

/* Option defaults and limits (documented by --help and docs/demo.md). */
#define DEMO_DEFAULT_FRAMES 100000
#define DEMO_MAX_FRAMES 1000000000ULL
#define DEMO_DEFAULT_SIZE 128
#define DEMO_HEADER_BYTES 14                   /* destination, source, EtherType */
#define DEMO_MIN_SIZE (DEMO_HEADER_BYTES + 4)  /* and the sequence number */
#define DEMO_MAX_SIZE (1514 - 4)               /* an Ethernet frame once the tag is in */
#define DEMO_DEFAULT_BATCH 64
#define DEMO_MAX_BATCH 1024
#define DEMO_DEFAULT_VLAN 100
#define DEMO_DEFAULT_PRIORITY 0

#define DEMO_ETHERTYPE 0x88B5 /* IEEE local experimental EtherType 1 */
#define DEMO_LOOPBACK_ADAPTER "loop0"

typedef struct demo_options {
    ULONG64 frames;
    ULONG size;
    ULONG batch;
    USHORT vlan;
    UCHAR priority;
    const char *iface; /* NULL: the loopback miniport */
    const char *peer;  /* with iface: the receiving interface */
    const char *peer_netns; /* with peer: the network namespace it is in (a path); NULL: ours */
    const char *pcap;  /* NULL: no capture */
    bool quiet;
    bool fault;        /* --fault: fault_plan is armed before the stack is built */
    NDISBUF_FAULT_PLAN fault_plan;
} demo_options;

/* ---- demo_options.c ---- */

/* What demo_parse_options decided. */
typedef enum demo_parse_result {
    DEMO_PARSE_RUN,   /* *o is filled and checked */
    DEMO_PARSE_HELP,  /* --help was printed on stdout */
    DEMO_PARSE_USAGE  /* a one-line message is on stderr */
} demo_parse_result;

demo_parse_result demo_parse_options(int argc, char **argv, demo_options *o);
/* Prints the one-line usage error for a problem found after parsing. */
void demo_usage_error(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* ---- demo_netns.c ---- */

/*
 * Opens o->peer_netns into *ns and checks it: a network namespace that
 * holds an interface named o->peer (looked up from inside it). Returns
 * DEMO_EXIT_OK with *ns open; otherwise *ns is -1, one line is on stderr
 * and the exit status is returned: DEMO_EXIT_USAGE for a path that cannot
 * be opened, is not a network namespace or lacks the interface,
 * DEMO_EXIT_FAILED when setns fails (the errno text is printed).
 */
int demo_netns_open_peer(const demo_options *o, int *ns);
/*
 * Moves the calling thread (only) into network namespace ns; *home gets a
 * descriptor of the namespace it left. 0, or the errno (*home -1, the
 * thread where it was).
 */
int demo_netns_enter(int ns, int *home);
/* Moves the calling thread back into home and closes it; 0 or the errno. */
int demo_netns_leave(int home);
/* What to add to a setns failure's message: a hint for EPERM, else "". */
const char *demo_netns_hint(int error);

/* ---- demo_stack.c ---- */

/* One adapter, with what the demo put on it. */
typedef struct demo_side {
    const char *name;           /* the adapter name: "loop0" or an interface */
    NDIS_HANDLE adapter;
    NDIS_HANDLE binding;        /* rawprot's NdisBindingHandle */
    NDIS_HANDLE vlan_module;    /* NULL until the VLAN filter is inserted */
    NDIS_HANDLE capture_module; /* NULL without --pcap */
    PRAWPROT_OPEN open;         /* the client's handle on the binding */
} demo_side;

typedef struct demo_stack {
    const char *miniport_kind;  /* "loopback" or "AF_PACKET" */
    NDIS_HANDLE miniport_driver;
    bool rawprot_loaded, vlan_loaded, capture_loaded;
    demo_side sides[2];         /* [0] sends; [1] receives with --peer */
    ULONG side_count;
    char failed_step[256];      /* what the first failing call was doing; "" if none */
    int failed_errno;           /* that step's errno when it was a system call (setns), else 0 */
} demo_stack;

/* Registers the drivers (miniport, rawprot, VLAN filter, capture with --pcap). */
NDIS_STATUS demo_stack_load(demo_stack *s, const demo_options *o);
/*
 * Adds the adapter, attaches the capture filter (with --pcap) and binds
 * rawprot. With netns >= 0 (o->peer_netns, opened) the adapter is added
 * from inside that network namespace; -1: this thread's.
 */
NDIS_STATUS demo_stack_add_side(demo_stack *s, const demo_options *o, const char *name, int netns);
/* Inserts the VLAN filter above every other filter of the side's adapter, at run time. */
NDIS_STATUS demo_stack_insert_vlan(demo_stack *s, demo_side *side);
/* Unbinds, detaches, removes adapters, unloads drivers; the first failure's status. */
NDIS_STATUS demo_stack_teardown(demo_stack *s);

/* ---- demo_verify.c ---- */

/* How long a run waits for a frame to come back before it gives up. */
#define DEMO_STALL_MS 3000
/*
 * The same once fault injection has failed an allocation: a frame whose
 * allocation failed on the way is dropped for good, and a failure-point
 * walk runs the demo hundreds of times.
 */
#define DEMO_FAULT_STALL_MS 250

/* The receiver's state: what was sent (by number) and what came back. */
typedef struct demo_verifier demo_verifier;

typedef struct demo_counts {
    ULONG64 received;   /* frames of this run that came back (good or not) */
    ULONG64 intact;     /* ... byte for byte as sent, first time for their sequence number */
    ULONG64 mismatched; /* ... with another length or other bytes */
    ULONG64 duplicated; /* ... intact but for a sequence number already seen */
    ULONG64 others;     /* frames that were not this run's (other traffic on the interface) */
} demo_counts;

/* Frame number seq of a run: size bytes (DEMO_MIN_SIZE..DEMO_MAX_SIZE) at frame. */
void demo_frame_build(UCHAR *frame, ULONG size, ULONG seq, const UCHAR dst[6], const UCHAR src[6]);
/* A receiver for frames 0..frames-1 of size bytes from src to dst; NULL without memory. */
demo_verifier *demo_verifier_create(ULONG64 frames, ULONG size, const UCHAR dst[6], const UCHAR src[6]);
void demo_verifier_destroy(demo_verifier *v);
/* Checks one received frame (a RAWPROT_RECEIVE_CALLBACK; Context is the verifier). Any thread. */
VOID demo_verifier_receive(PVOID Context, const UCHAR *Frame, ULONG Length);
void demo_verifier_counts(const demo_verifier *v, demo_counts *c);
/* Waits up to slice_ms for at least target frames back; whether they are. */
bool demo_verifier_wait(demo_verifier *v, ULONG64 target, ULONG slice_ms);

/* ---- demo_traffic.c ---- */

typedef struct demo_traffic {
    ULONG64 sent;        /* frames handed to RawProtWriteBatch and accepted */
    ULONG64 received, intact, mismatched, duplicated, others; /* as in demo_counts */
    ULONG64 missing;     /* sent and never came back intact */
    ULONG64 peak_outstanding; /* most NBLs out of the sender's pool at once (sampled per batch) */
    ULONG window;        /* most frames in flight */
    double seconds;      /* first send to last frame back */
    NDIS_STATUS write_status; /* the RawProtWriteBatch failure, else SUCCESS */
    bool stalled;        /* gave up waiting for frames that did not come */
    demo_verifier *verifier; /* the receive callbacks' context */
} demo_traffic;

/* Sends o->frames frames on tx, receives them on rx (tx itself without --peer) and checks them. */
bool demo_traffic_run(PRAWPROT_OPEN tx, PRAWPROT_OPEN rx, const UCHAR dst[6], const UCHAR src[6],
                      const demo_options *o, demo_traffic *t);
/*
 * Frees the receive callbacks' context. Only once the bindings are gone:
 * RawProtSetReceiveCallback(NULL) does not wait for a callback already
 * running on the miniport's thread, an unbind (which drains) does.
 */
void demo_traffic_release(demo_traffic *t);

#endif /* NDISBUF_TOOL_DEMO_H */
