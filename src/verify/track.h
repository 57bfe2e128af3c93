/* SPDX-License-Identifier: MIT */
/*
 * NBL tracking (level 1 and above), the leak scans and the quarantine
 * (level 2), the history (level 3, call stacks at 4): the verifier's
 * private interface to the core and the stack (docs/verifier.md).
 *
 * Every NBL element may carry one record (struct vf_track, allocated the
 * first time the NBL is tracked and kept with the element for the pool's
 * life). The record says who holds the NBL now and the stack of layers it
 * passed on its way out ("hops"), each with a fingerprint of the NBs' data
 * offsets and the NBL's context taken when that layer gave it away, so the
 * way back can check what each layer restored.
 *
 * Events, as the stack sees them:
 *   give     a layer sends, indicates, send-completes or returns an NBL:
 *            vf_give_check() checks the layer may (holder, direction,
 *            RESOURCES, NB consistency), vf_give_record() records it.
 *   deliver  the stack hands it to the next layer's handler:
 *            vf_deliver_chain() (on the way back it pops the receiver's hop
 *            and checks offsets and context were restored).
 *   lent back  a NDIS_RECEIVE_FLAGS_RESOURCES indication returned: the
 *            NBLs are the indicator's again (vf_lent_back_chain()).
 * All entry points are no-ops at level 0; callers test vf_level() first so
 * level 0 costs one load.
 */
#ifndef NDISBUF_VERIFY_TRACK_H
#define NDISBUF_VERIFY_TRACK_H

#include <stdbool.h>

#include "ndis.h"

enum vf_event {
    VF_EV_NONE = 0,
    VF_EV_ALLOC,
    VF_EV_FREE,
    VF_EV_SEND,       /* give, down */
    VF_EV_INDICATE,   /* give, up */
    VF_EV_COMPLETE,   /* give back, up */
    VF_EV_RETURN,     /* give back, down */
    VF_EV_DELIVER,    /* handed to a layer's handler */
    VF_EV_LENT_BACK,  /* a RESOURCES indication returned */
    VF_EV_DERIVE      /* an NBL was derived from it */
};

/* level.c */
unsigned vf_epoch(void);
unsigned vf_drain_timeout_ms(void);

/* track.c: NBL life (called by the core with the element header) */
void vf_nbl_allocated(void *header, PNET_BUFFER_LIST nbl);
/*
 * An NBL is about to be freed: false (after a report) when tracking says it
 * may not be (in flight, or NBLs derived from it still live); otherwise
 * records the free in its history and returns true.
 */
bool vf_nbl_freeing(PNET_BUFFER_LIST nbl, const char *fn);
/* Frees the element's record (its pool is being destroyed). */
void vf_track_release_element(void *header);
/* A derived NBL was made from / freed back to parent (the verifier's own child count). */
void vf_nbl_child_added(PNET_BUFFER_LIST parent);
void vf_nbl_child_removed(PNET_BUFFER_LIST parent);

/* track.c: the stack's hops */
/*
 * Judges every NBL of the chain the giver hands on (first) and records it
 * (then, once the stack's own checks have passed too): a report leaves the
 * whole chain as it was. Never follows Next past an NBL it reports.
 */
bool vf_give_check(PNET_BUFFER_LIST chain, const void *giver, enum vf_event event, const char *fn);
void vf_give_record(PNET_BUFFER_LIST chain, const void *giver, enum vf_event event);
void vf_deliver_chain(PNET_BUFFER_LIST chain, const void *receiver, enum vf_event event, bool resources,
                      const char *fn);
void vf_deliver_one(PNET_BUFFER_LIST nbl, const void *receiver, enum vf_event event, bool resources,
                    const char *fn);
void vf_lent_back_chain(PNET_BUFFER_LIST chain, const void *indicator, const char *fn);

/*
 * The stack names its layers for reports: describe(layer) writes
 * "binding of protocol 'x' to 'y'"; it must cope with any handle
 * (a driver handle, a pool's owner that is no layer) and return buffer.
 */
typedef const char *(*vf_layer_describer)(const void *handle, char *buffer, size_t size);
void vf_set_layer_describer(vf_layer_describer describe);
const char *vf_describe_layer(const void *handle, char *buffer, size_t size);

/*
 * Leak scans (level 2+): reports NBL_LOST for every NBL in flight that
 * `layer` is waiting for (it sent or indicated it and it is not back) or
 * that `layer` holds, naming the holder. `when` says why ("pause drain
 * after 5000 ms", "unbind"). Returns how many were reported.
 */
unsigned vf_scan_lost(const void *layer, bool held_only, const char *when);

/* quarantine.c (level 2+) */
/* Takes a freed element instead of its pool when the quarantine is on; false: give it back yourself. */
bool vf_quarantine_take(void *header);
/* Gives every quarantined element back to its pool, checking the poison. */
void vf_quarantine_flush(void);

#endif /* NDISBUF_VERIFY_TRACK_H */
