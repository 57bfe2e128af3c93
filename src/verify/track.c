/* SPDX-License-Identifier: MIT */
/*
 * NBL tracking: who holds each NBL, the way it went, its history
 * (levels 1-4; docs/verifier.md, "Tracking").
 *
 * A record is attached to an NBL element the first time it is tracked and
 * stays with the element (so the history of a freed NBL survives its free,
 * which is what a use after free or a double completion needs). A record
 * belongs to one life of the element (its generation) and one tracking
 * epoch; anything else is stale and the NBL is adopted at its next event
 * without being judged.
 *
 * Records are written by the thread that holds the NBL, and read by leak
 * scans and listings from other threads; every field is read and written
 * with relaxed atomic loads and stores (LD/ST) so those readers see whole
 * values. The data structures of the NBL itself are read only by the
 * thread giving it away, which owns it.
 */
#define _GNU_SOURCE
#include "verify/track.h"

#include <execinfo.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "core/element.h"
#include "verify/verify.h"

#define LD(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)
#define ST(field, value) __atomic_store_n(&(field), (value), __ATOMIC_RELAXED)

enum vf_direction {
    VF_DIR_NONE = 0, /* at home: not in a stack */
    VF_DIR_SEND = 1,
    VF_DIR_RECEIVE = 2
};

struct vf_hop {
    const void *layer;          /* the layer that gave it on (sent or indicated) */
    uint64_t fingerprint;       /* its NBs' offsets and lengths at that moment */
    const void *context;        /* its NBL's Context at that moment */
    uint32_t context_offset;    /* ...and the context's Offset */
};

struct vf_history_entry {
    uint64_t time_ns;           /* since the verifier's clock started */
    const void *layer;          /* who acted (giver, receiver; NULL: the stack or the driver) */
    const void *site;           /* allocation: the caller */
    uint32_t thread;
    uint8_t event;              /* enum vf_event */
    uint8_t detail;             /* DELIVER: the event delivered; give: 1 with RESOURCES */
    uint8_t frames;
    void *stack[NDISBUF_VERIFIER_STACK_FRAMES];
};

struct vf_history {
    uint32_t next;              /* events written so far (the ring's write position) */
    struct vf_history_entry ring[NDISBUF_VERIFIER_HISTORY];
};

struct vf_track {
    uint32_t generation;        /* the element life this record describes */
    uint32_t epoch;             /* the tracking epoch it was written in */
    uint8_t direction;          /* enum vf_direction */
    uint8_t hop_count;          /* 0: at home */
    uint8_t last_event;         /* what the last giver did */
    uint8_t freed;
    uint32_t live_children;     /* derived NBLs made from it, not yet freed */
    uint32_t lost_reported;     /* the scan that last named it */
    const void *holder;         /* the layer whose handler has it (NULL: in transit or at home) */
    const void *last_giver;     /* who gave it last (send, indicate, complete, return) */
    const void *lent_to;        /* the last layer a RESOURCES indication lent it to */
    uint64_t since_ns;          /* when the holder got it */
    struct vf_hop hops[NDISBUF_VERIFIER_MAX_HOPS];
    struct vf_history *history; /* level 3+ */
};

/* ------------------------------------------------------------ naming */

static vf_layer_describer layer_describer;

void vf_set_layer_describer(vf_layer_describer describe)
{
    __atomic_store_n(&layer_describer, describe, __ATOMIC_RELEASE);
}

const char *vf_describe_layer(const void *handle, char *buffer, size_t size)
{
    vf_layer_describer describe = __atomic_load_n(&layer_describer, __ATOMIC_ACQUIRE);
    if (!handle)
        snprintf(buffer, size, "nobody");
    else if (describe)
        describe(handle, buffer, size);
    else
        snprintf(buffer, size, "handle %p", handle);
    return buffer;
}

static const char *event_name(uint8_t event)
{
    static const char *const names[] = {"-",        "ALLOCATE", "FREE",   "SEND",      "INDICATE",
                                        "COMPLETE", "RETURN",   "DELIVER", "LENT BACK", "DERIVE"};
    return event < sizeof names / sizeof names[0] ? names[event] : "?";
}

static const char *direction_name(uint8_t direction)
{
    return direction == VF_DIR_SEND ? "send" : direction == VF_DIR_RECEIVE ? "receive" : "none";
}

/* ------------------------------------------------------------ clock, thread */

static uint64_t clock_ns(void)
{
    static uint64_t start;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    uint64_t zero = 0;
    __atomic_compare_exchange_n(&start, &zero, now, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    return now - __atomic_load_n(&start, __ATOMIC_RELAXED);
}

static uint32_t thread_id(void)
{
    static __thread uint32_t tid;
    if (!tid)
        tid = (uint32_t)syscall(SYS_gettid);
    return tid;
}

/* ------------------------------------------------------------ records */

/* The header of a pointer that is an NBL element's NBL, or NULL. */
static struct elem_header *nbl_header(const void *nbl)
{
    struct elem_header *h;
    return nbl && elem_classify(nbl, &h) == OBJ_NBL ? h : NULL;
}

static struct vf_track *record_of(struct elem_header *h)
{
    return __atomic_load_n(&elem_side_of(h)->track, __ATOMIC_ACQUIRE);
}

/* The element's record, made on first use; NULL when memory runs out (tracking then skips it). */
static struct vf_track *record_get(struct elem_header *h)
{
    struct vf_track *t = record_of(h);
    if (t)
        return t;
    struct vf_track *fresh = calloc(1, sizeof(*fresh));
    if (!fresh)
        return NULL;
    if (__atomic_compare_exchange_n(&elem_side_of(h)->track, &t, fresh, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return fresh;
    free(fresh);
    return t;
}

void vf_track_release_element(void *header)
{
    struct elem_header *h = header;
    struct vf_track *t = __atomic_exchange_n(&elem_side_of(h)->track, NULL, __ATOMIC_ACQ_REL);
    if (t) {
        free(t->history);
        free(t);
    }
}

/* Whether the record describes this life of the NBL in this epoch. */
static bool record_current(const struct vf_track *t, const struct elem_header *h)
{
    return t && LD(t->epoch) == vf_epoch() && LD(t->generation) == LD(h->generation);
}

/* Starts a record afresh for the element's current life. */
static void record_reset(struct vf_track *t, const struct elem_header *h)
{
    ST(t->generation, LD(h->generation));
    ST(t->epoch, vf_epoch());
    ST(t->direction, VF_DIR_NONE);
    ST(t->hop_count, 0);
    ST(t->last_event, VF_EV_NONE);
    ST(t->freed, 0);
    ST(t->live_children, 0);
    ST(t->holder, NULL);
    ST(t->last_giver, NULL);
    ST(t->lent_to, NULL);
    ST(t->since_ns, clock_ns());
}

/* ------------------------------------------------------------ history */

static void history_add(struct vf_track *t, uint8_t event, uint8_t detail, const void *layer, const void *site)
{
    if (vf_level() < 3)
        return;
    struct vf_history *hist = LD(t->history);
    if (!hist) {
        hist = calloc(1, sizeof(*hist));
        if (!hist)
            return;
        struct vf_history *none = NULL;
        if (!__atomic_compare_exchange_n(&t->history, &none, hist, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            free(hist);
            hist = none;
        }
    }
    uint32_t slot = LD(hist->next);
    ST(hist->next, slot + 1);
    struct vf_history_entry *e = &hist->ring[slot % NDISBUF_VERIFIER_HISTORY];
    ST(e->time_ns, clock_ns());
    ST(e->layer, layer);
    ST(e->site, site);
    ST(e->thread, thread_id());
    ST(e->event, event);
    ST(e->detail, detail);
    void *frames[NDISBUF_VERIFIER_STACK_FRAMES + 2];
    int n = vf_level() >= 4 ? backtrace(frames, NDISBUF_VERIFIER_STACK_FRAMES + 2) : 0;
    int skip = n > 2 ? 2 : 0; /* history_add and the verifier's entry point */
    for (int i = skip; i < n; i++)
        ST(e->stack[i - skip], frames[i]);
    ST(e->frames, (uint8_t)(n - skip));
}

/* ------------------------------------------------------------ NB checks */

static void report_nb(NDISBUF_REPORT_CODE code, const char *fn, PNET_BUFFER_LIST nbl, PNET_BUFFER nb,
                      ULONG_PTR p2, ULONG_PTR p3, const char *format, ...) __attribute__((format(printf, 7, 8)));

static void report_nb(NDISBUF_REPORT_CODE code, const char *fn, PNET_BUFFER_LIST nbl, PNET_BUFFER nb,
                      ULONG_PTR p2, ULONG_PTR p3, const char *format, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, format);
    vsnprintf(text, sizeof text, format, ap);
    va_end(ap);
    ULONG_PTR p[4] = {(ULONG_PTR)nbl, (ULONG_PTR)nb, p2, p3};
    vf_report(code, fn, nbl, p, "NET_BUFFER %p of NBL %p: %s", (void *)nb, (void *)nbl, text);
}

/*
 * Walks an MDL chain with Brent's cycle check: its MDL count and bytes,
 * or false when it loops.
 */
static bool mdl_chain_measure(PMDL chain, ULONG64 *bytes, ULONG *count)
{
    PMDL tortoise = chain, hare = chain;
    ULONG power = 1, lambda = 0;
    *bytes = 0;
    *count = 0;
    while (hare) {
        *bytes += hare->ByteCount;
        (*count)++;
        hare = hare->Next;
        if (hare && hare == tortoise)
            return false;
        if (++lambda == power) {
            tortoise = hare;
            power *= 2;
            lambda = 0;
        }
        if (*count >= NDISBUF_MDL_CHAIN_MAX)
            return false;
    }
    return true;
}

/* Where DataOffset falls: CurrentMdl must start `before` bytes in with CurrentMdlOffset == rest. */
static bool current_mdl_in_step(const NET_BUFFER *nb)
{
    if (!nb->CurrentMdl)
        return nb->MdlChain == NULL || nb->DataLength == 0;
    ULONG64 before = 0;
    for (PMDL m = nb->MdlChain; m; m = m->Next) {
        if (m == nb->CurrentMdl)
            return before + nb->CurrentMdlOffset == nb->DataOffset && nb->CurrentMdlOffset <= m->ByteCount;
        before += m->ByteCount;
    }
    return false;
}

/* NB consistency: the chain does not loop, holds DataOffset + DataLength, CurrentMdl is in step. */
static bool nb_consistent(PNET_BUFFER_LIST nbl, PNET_BUFFER nb, const char *fn)
{
    ULONG64 bytes;
    ULONG count;
    if (!mdl_chain_measure(nb->MdlChain, &bytes, &count)) {
        report_nb(NDISBUF_REPORT_MDL_CHAIN_LOOP, fn, nbl, nb, (ULONG_PTR)nb->MdlChain, count,
                  "its MDL chain from %p loops back on itself (found after %u MDLs)", (void *)nb->MdlChain, count);
        return false;
    }
    ULONG64 used = (ULONG64)nb->DataOffset + nb->DataLength;
    if (used > bytes) {
        report_nb(NDISBUF_REPORT_DATA_LENGTH_EXCEEDS_CHAIN, fn, nbl, nb, (ULONG_PTR)used, (ULONG_PTR)bytes,
                  "DataOffset %u + DataLength %u = %llu bytes, but its %u MDL(s) hold %llu", nb->DataOffset,
                  nb->DataLength, (unsigned long long)used, count, (unsigned long long)bytes);
        return false;
    }
    if (!current_mdl_in_step(nb)) {
        report_nb(NDISBUF_REPORT_CURRENT_MDL_MISMATCH, fn, nbl, nb, (ULONG_PTR)nb->CurrentMdl, nb->CurrentMdlOffset,
                  "CurrentMdl %p / CurrentMdlOffset %u do not point at DataOffset %u of MDL chain %p "
                  "(change data offsets with NdisRetreat/NdisAdvanceNetBufferDataStart only)",
                  (void *)nb->CurrentMdl, nb->CurrentMdlOffset, nb->DataOffset, (void *)nb->MdlChain);
        return false;
    }
    return true;
}

static bool nbl_consistent(PNET_BUFFER_LIST nbl, const char *fn)
{
    ULONG seen = 0;
    for (PNET_BUFFER nb = nbl->FirstNetBuffer; nb && seen < NDISBUF_MDL_CHAIN_MAX; nb = nb->Next, seen++)
        if (!nb_consistent(nbl, nb, fn))
            return false;
    return true;
}

/* What a layer must restore before giving an NBL back: every NB's offsets. */
static uint64_t nbl_fingerprint(PNET_BUFFER_LIST nbl)
{
    uint64_t fp = 0xcbf29ce484222325u;
    ULONG seen = 0;
    for (PNET_BUFFER nb = nbl->FirstNetBuffer; nb && seen < NDISBUF_MDL_CHAIN_MAX; nb = nb->Next, seen++) {
        fp = (fp ^ (((uint64_t)nb->DataOffset << 32) | nb->DataLength)) * 0x100000001b3u;
        fp = (fp ^ (uint64_t)(uintptr_t)nb->MdlChain) * 0x100000001b3u;
    }
    return fp ^ seen;
}

/* ------------------------------------------------------------ giving */

static void report_give(NDISBUF_REPORT_CODE code, const char *fn, PNET_BUFFER_LIST nbl, const void *giver,
                        const char *format, ...) __attribute__((format(printf, 5, 6)));

static void report_give(NDISBUF_REPORT_CODE code, const char *fn, PNET_BUFFER_LIST nbl, const void *giver,
                        const char *format, ...)
{
    char text[640], who[160];
    va_list ap;
    va_start(ap, format);
    vsnprintf(text, sizeof text, format, ap);
    va_end(ap);
    ULONG_PTR p[4] = {(ULONG_PTR)nbl, (ULONG_PTR)giver, 0, 0};
    vf_report(code, fn, nbl, p, "the %s %s", vf_describe_layer(giver, who, sizeof who), text);
}

static bool completing(enum vf_event event)
{
    return event == VF_EV_COMPLETE || event == VF_EV_RETURN;
}

static const char *event_verb(enum vf_event event)
{
    switch (event) {
    case VF_EV_SEND:
        return "sends";
    case VF_EV_INDICATE:
        return "indicates";
    case VF_EV_COMPLETE:
        return "send-completes";
    case VF_EV_RETURN:
        return "returns";
    default:
        return "uses";
    }
}

/* The direction an event must find an NBL its giver holds in (forwarding, or giving back). */
static uint8_t direction_of(enum vf_event event)
{
    return (event == VF_EV_SEND || event == VF_EV_COMPLETE) ? VF_DIR_SEND : VF_DIR_RECEIVE;
}

/* A freed NBL handed to the stack: a second completion, or a use after free. */
static bool check_freed(PNET_BUFFER_LIST nbl, struct vf_track *t, const void *giver, enum vf_event event,
                        const char *fn)
{
    char who[160];
    if (completing(event) && LD(t->last_giver) == giver && LD(t->last_event) == event) {
        report_give(NDISBUF_REPORT_DOUBLE_COMPLETION, fn, nbl, giver,
                    "%s NBL %p a second time: it already did, and the NBL has since been freed", event_verb(event),
                    (void *)nbl);
        return false;
    }
    if (LD(t->lent_to) == giver) {
        report_give(NDISBUF_REPORT_RESOURCES_KEPT, fn, nbl, giver,
                    "%s NBL %p, which it was only lent by an indication with NDIS_RECEIVE_FLAGS_RESOURCES (it has "
                    "been freed since)", event_verb(event), (void *)nbl);
        return false;
    }
    report_give(NDISBUF_REPORT_NBL_NOT_HELD, fn, nbl, giver, "%s NBL %p, which was freed (last given by the %s)",
                event_verb(event), (void *)nbl, vf_describe_layer(LD(t->last_giver), who, sizeof who));
    return false;
}

/* The rules of ndis-semantics §8 and docs/verifier.md for one NBL the giver hands on. */
static bool check_give(PNET_BUFFER_LIST nbl, struct vf_track *t, const void *giver, enum vf_event event,
                       const char *fn)
{
    char who[160];
    bool in_flight = LD(t->hop_count) > 0;
    const void *holder = LD(t->holder);
    if (in_flight && holder == giver) {
        if (LD(t->direction) == direction_of(event))
            return true;
        report_give(NDISBUF_REPORT_WRONG_DIRECTION, fn, nbl, giver,
                    "%s NBL %p, which it holds in the %s direction: %s", event_verb(event), (void *)nbl,
                    direction_name(LD(t->direction)),
                    LD(t->direction) == VF_DIR_RECEIVE ? "a received NBL goes back with a return"
                                                       : "a sent NBL goes back with a send completion");
        return false;
    }
    if (!in_flight && LD(t->lent_to) == giver) {
        report_give(NDISBUF_REPORT_RESOURCES_KEPT, fn, nbl, giver,
                    "%s NBL %p, which it was only lent by an indication with NDIS_RECEIVE_FLAGS_RESOURCES: it "
                    "belonged to it only until that call returned (copy what you need instead)",
                    event_verb(event), (void *)nbl);
        return false;
    }
    if (completing(event) && LD(t->last_giver) == giver && LD(t->last_event) == event) {
        report_give(NDISBUF_REPORT_DOUBLE_COMPLETION, fn, nbl, giver, "%s NBL %p a second time; it is now %s",
                    event_verb(event), (void *)nbl,
                    holder ? vf_describe_layer(holder, who, sizeof who) : in_flight ? "on its way" : "back home");
        return false;
    }
    if (!in_flight) {
        if (!completing(event))
            return true; /* it originates the NBL */
        report_give(NDISBUF_REPORT_OWN_NBL_PASSED, fn, nbl, giver,
                    "%s NBL %p, which nobody sent or indicated to it: an NBL a driver allocated itself goes back "
                    "to its pool with NdisFreeNetBufferList, not up or down the stack",
                    event_verb(event), (void *)nbl);
        return false;
    }
    report_give(NDISBUF_REPORT_NBL_NOT_HELD, fn, nbl, giver,
                "%s NBL %p, which it does not hold: it is %s (%s direction), last given by the %s (%s)",
                event_verb(event), (void *)nbl,
                holder ? vf_describe_layer(holder, who, sizeof who) : "in transit", direction_name(LD(t->direction)),
                vf_describe_layer(LD(t->last_giver), (char[160]){0}, 160), event_name(LD(t->last_event)));
    return false;
}

static void hop_push(struct vf_track *t, PNET_BUFFER_LIST nbl, const void *giver)
{
    uint8_t n = LD(t->hop_count);
    if (n >= NDISBUF_VERIFIER_MAX_HOPS)
        return;
    struct vf_hop *hop = &t->hops[n];
    ST(hop->layer, giver);
    ST(hop->fingerprint, nbl_fingerprint(nbl));
    ST(hop->context, (const void *)nbl->Context);
    ST(hop->context_offset, nbl->Context ? nbl->Context->Offset : 0u);
    ST(t->hop_count, (uint8_t)(n + 1));
}

static void record_give(PNET_BUFFER_LIST nbl, struct vf_track *t, const void *giver, enum vf_event event)
{
    if (!completing(event)) {
        if (LD(t->hop_count) == 0) {
            ST(t->direction, direction_of(event));
            ST(t->lent_to, NULL);
        }
        hop_push(t, nbl, giver);
    }
    ST(t->holder, NULL);
    ST(t->last_giver, giver);
    ST(t->last_event, (uint8_t)event);
    history_add(t, (uint8_t)event, 0, giver, NULL);
}

/* The record of an NBL the stack is handed, adopted when stale; NULL when untracked. */
static struct vf_track *record_for_event(struct elem_header *h, bool *adopted)
{
    struct vf_track *t = record_get(h);
    *adopted = false;
    if (t && !record_current(t, h)) {
        record_reset(t, h);
        *adopted = true;
    }
    return t;
}

bool vf_give_check(PNET_BUFFER_LIST chain, const void *giver, enum vf_event event, const char *fn)
{
    for (PNET_BUFFER_LIST nbl = chain; nbl; nbl = nbl->Next) {
        struct elem_header *h = nbl_header(nbl);
        if (!h) {
            ULONG_PTR p[4] = {(ULONG_PTR)nbl, (ULONG_PTR)giver, 0, 0};
            vf_report(NDISBUF_REPORT_FOREIGN_POINTER, fn, nbl, p, "%p in the chain is no NET_BUFFER_LIST a pool "
                      "gave out", (void *)nbl);
            return false;
        }
        struct vf_track *t = record_of(h);
        if (LD(h->state) != ELEM_LIVE) {
            if (t && LD(t->epoch) == vf_epoch())
                return check_freed(nbl, t, giver, event, fn);
            report_give(NDISBUF_REPORT_NBL_NOT_HELD, fn, nbl, giver, "%s NBL %p, which was freed",
                        event_verb(event), (void *)nbl);
            return false;
        }
        if (record_current(t, h) && !check_give(nbl, t, giver, event, fn))
            return false;
        if (!nbl_consistent(nbl, fn))
            return false;
    }
    return true;
}

void vf_give_record(PNET_BUFFER_LIST chain, const void *giver, enum vf_event event)
{
    for (PNET_BUFFER_LIST nbl = chain; nbl; nbl = nbl->Next) {
        bool adopted;
        struct elem_header *h = nbl_header(nbl);
        struct vf_track *t = h ? record_for_event(h, &adopted) : NULL;
        if (t)
            record_give(nbl, t, giver, event);
    }
}

/* ------------------------------------------------------------ delivering */

/* Pops the receiver's hop on the way back and checks what was restored; reports name the giver. */
static void hop_pop_checked(PNET_BUFFER_LIST nbl, struct vf_track *t, const void *receiver, const void *culprit,
                            const char *fn)
{
    int n = LD(t->hop_count);
    int i = n - 1;
    while (i >= 0 && LD(t->hops[i].layer) != receiver)
        i--;
    if (i < 0)
        return; /* the receiver never gave it on (adopted in flight) */
    struct vf_hop *hop = &t->hops[i];
    ST(t->hop_count, (uint8_t)i);
    if (i == 0)
        ST(t->direction, VF_DIR_NONE);
    char who[160], to[160];
    ULONG_PTR p[4] = {(ULONG_PTR)nbl, (ULONG_PTR)culprit, (ULONG_PTR)receiver, 0};
    if (LD(hop->fingerprint) != nbl_fingerprint(nbl)) {
        PNET_BUFFER nb = nbl->FirstNetBuffer;
        p[3] = nb ? nb->DataOffset : 0;
        vf_report(NDISBUF_REPORT_OFFSET_UNBALANCED, fn, nbl, p,
                  "NBL %p comes back to the %s with its NB offsets or lengths not as it gave them (first NB now "
                  "DataOffset %u, DataLength %u): the %s retreated or advanced without undoing it",
                  (void *)nbl, vf_describe_layer(receiver, to, sizeof to), nb ? nb->DataOffset : 0,
                  nb ? nb->DataLength : 0, vf_describe_layer(culprit, who, sizeof who));
        return;
    }
    const void *context = nbl->Context;
    uint32_t offset = nbl->Context ? nbl->Context->Offset : 0u;
    if (LD(hop->context) != context || LD(hop->context_offset) != offset) {
        bool more = LD(hop->context) == context ? offset < LD(hop->context_offset) : true;
        p[3] = offset;
        vf_report(more ? NDISBUF_REPORT_CONTEXT_NOT_POPPED : NDISBUF_REPORT_CONTEXT_MISMATCH, fn, nbl, p,
                  "NBL %p comes back to the %s with context %p offset %u, not %p offset %u as it gave it: the %s "
                  "%s", (void *)nbl, vf_describe_layer(receiver, to, sizeof to), context, offset,
                  LD(hop->context), LD(hop->context_offset), vf_describe_layer(culprit, who, sizeof who),
                  more ? "pushed context (NdisAllocateNetBufferListContext) and did not pop it"
                       : "freed context it did not allocate");
    }
}

void vf_deliver_one(PNET_BUFFER_LIST nbl, const void *receiver, enum vf_event event, bool resources,
                    const char *fn)
{
    struct elem_header *h = nbl_header(nbl);
    if (!h)
        return;
    bool adopted;
    struct vf_track *t = record_for_event(h, &adopted);
    if (!t)
        return;
    ST(t->holder, receiver);
    ST(t->since_ns, clock_ns());
    if (!adopted && completing(event))
        hop_pop_checked(nbl, t, receiver, LD(t->last_giver), fn);
    if (resources)
        ST(t->lent_to, receiver);
    history_add(t, VF_EV_DELIVER, (uint8_t)event, receiver, NULL);
}

void vf_deliver_chain(PNET_BUFFER_LIST chain, const void *receiver, enum vf_event event, bool resources,
                      const char *fn)
{
    for (PNET_BUFFER_LIST nbl = chain; nbl; nbl = nbl->Next)
        vf_deliver_one(nbl, receiver, event, resources, fn);
}

void vf_lent_back_chain(PNET_BUFFER_LIST chain, const void *indicator, const char *fn)
{
    for (PNET_BUFFER_LIST nbl = chain; nbl; nbl = nbl->Next) {
        struct elem_header *h = nbl_header(nbl);
        struct vf_track *t = h ? record_of(h) : NULL;
        if (!record_current(t, h))
            continue;
        const void *borrower = LD(t->lent_to);
        hop_pop_checked(nbl, t, indicator, borrower, fn);
        ST(t->holder, indicator);
        ST(t->since_ns, clock_ns());
        history_add(t, VF_EV_LENT_BACK, 0, indicator, NULL);
    }
}

/* ------------------------------------------------------------ life */

void vf_nbl_allocated(void *header, PNET_BUFFER_LIST nbl)
{
    (void)nbl; /* the header says it all; the NBL is for symmetry with the other hooks */
    struct elem_header *h = header;
    struct vf_track *t = record_get(h);
    if (!t)
        return;
    record_reset(t, h);
    history_add(t, VF_EV_ALLOC, 0, elem_owner(h), elem_alloc_site(h));
}

bool vf_nbl_freeing(PNET_BUFFER_LIST nbl, const char *fn)
{
    struct elem_header *h = nbl_header(nbl);
    struct vf_track *t = h ? record_of(h) : NULL;
    if (!record_current(t, h))
        return true;
    char who[160];
    if (LD(t->hop_count) > 0) {
        const void *holder = LD(t->holder);
        ULONG_PTR p[4] = {(ULONG_PTR)nbl, (ULONG_PTR)holder, (ULONG_PTR)LD(t->hops[0].layer), 0};
        vf_report(NDISBUF_REPORT_NBL_NOT_HELD, fn, nbl, p,
                  "NBL %p is freed while it is in flight (%s direction, %s): whoever got it must complete or "
                  "return it, and only its owner frees it once it is back",
                  (void *)nbl, direction_name(LD(t->direction)),
                  holder ? vf_describe_layer(holder, who, sizeof who) : "in transit");
        return false;
    }
    uint32_t children = LD(t->live_children);
    if (children) {
        ULONG_PTR p[4] = {(ULONG_PTR)nbl, children, (ULONG_PTR)(LONG_PTR)nbl->ChildRefCount, 0};
        vf_report(NDISBUF_REPORT_CHILDREN_OUTSTANDING, fn, nbl, p,
                  "NBL %p is freed while %u NBL(s) derived from it are still live (its ChildRefCount says %d): "
                  "free the clones, fragments or reassemblies first", (void *)nbl, children,
                  (int)nbl->ChildRefCount);
        return false;
    }
    ST(t->freed, 1);
    history_add(t, VF_EV_FREE, 0, NULL, __builtin_return_address(0));
    return true;
}

static void child_count_add(PNET_BUFFER_LIST parent, int delta)
{
    struct elem_header *h = nbl_header(parent);
    struct vf_track *t = h ? record_of(h) : NULL;
    if (!record_current(t, h))
        return;
    if (delta < 0 && __atomic_load_n(&t->live_children, __ATOMIC_RELAXED) == 0)
        return; /* born before tracking started */
    __atomic_fetch_add(&t->live_children, (uint32_t)delta, __ATOMIC_RELAXED);
    if (delta > 0)
        history_add(t, VF_EV_DERIVE, 0, NULL, NULL);
}

void vf_nbl_child_added(PNET_BUFFER_LIST parent)
{
    child_count_add(parent, 1);
}

void vf_nbl_child_removed(PNET_BUFFER_LIST parent)
{
    child_count_add(parent, -1);
}

/* ------------------------------------------------------------ describing */

/* Appends to a bounded buffer. */
struct text {
    char *buffer;
    size_t size, used;
};

static void text_add(struct text *t, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void text_add(struct text *t, const char *format, ...)
{
    if (t->used >= t->size)
        return;
    va_list ap;
    va_start(ap, format);
    int n = vsnprintf(t->buffer + t->used, t->size - t->used, format, ap);
    va_end(ap);
    if (n > 0)
        t->used = t->used + (size_t)n < t->size ? t->used + (size_t)n : t->size;
}

static void describe_owner(const struct elem_header *h, const struct vf_track *t, struct text *out)
{
    char who[160], site[128];
    uint8_t hops = LD(t->hop_count);
    const void *holder = LD(t->holder);
    double age_ms = (double)(clock_ns() - LD(t->since_ns)) / 1e6;
    if (LD(t->freed) || LD(h->state) != ELEM_LIVE)
        text_add(out, "freed");
    else if (hops == 0)
        text_add(out, "at home (not in a stack)%s%s", holder ? " with the " : "",
                 holder ? vf_describe_layer(holder, who, sizeof who) : "");
    else
        text_add(out, "held by %s (%s direction, %.3f ms)",
                 holder ? vf_describe_layer(holder, who, sizeof who) : "nobody: in transit",
                 direction_name(LD(t->direction)), age_ms);
    if (hops > 0)
        text_add(out, "; %s by the %s", LD(t->direction) == VF_DIR_SEND ? "sent" : "indicated",
                 vf_describe_layer(LD(t->hops[0].layer), who, sizeof who));
    if (LD(t->last_giver))
        text_add(out, "; last given by the %s (%s)", vf_describe_layer(LD(t->last_giver), who, sizeof who),
                 event_name(LD(t->last_event)));
    vf_describe_site(elem_alloc_site(h), site, sizeof site);
    void *owner = elem_owner(h);
    text_add(out, "; allocated from pool %p (%s%s) at %s", (void *)h->pool, owner ? "owner " : "no owner handle",
             owner ? vf_describe_layer(owner, who, sizeof who) : "", site);
}

static void describe_stack(const struct vf_history_entry *e, struct text *out)
{
    uint8_t frames = LD(e->frames);
    for (uint8_t i = 0; i < frames && i < NDISBUF_VERIFIER_STACK_FRAMES; i++) {
        char site[128];
        vf_describe_site(LD(e->stack[i]), site, sizeof site);
        text_add(out, "        at %s\n", site);
    }
}

static void describe_history(const struct vf_track *t, struct text *out)
{
    const struct vf_history *hist = LD(t->history);
    if (!hist)
        return;
    uint32_t written = LD(hist->next);
    uint32_t first = written > NDISBUF_VERIFIER_HISTORY ? written - NDISBUF_VERIFIER_HISTORY : 0;
    for (uint32_t i = first; i < written; i++) {
        const struct vf_history_entry *e = &hist->ring[i % NDISBUF_VERIFIER_HISTORY];
        char who[160], site[128];
        uint8_t event = LD(e->event);
        text_add(out, "  #%-3u %10.6f s  thread %-6u %-9s ", i, (double)LD(e->time_ns) / 1e9, LD(e->thread),
                 event_name(event));
        if (event == VF_EV_DELIVER)
            text_add(out, "(%s) to the %s", event_name(LD(e->detail)), vf_describe_layer(LD(e->layer), who, sizeof who));
        else if (event == VF_EV_ALLOC || event == VF_EV_FREE) {
            vf_describe_site(LD(e->site), site, sizeof site);
            text_add(out, "at %s", site);
        } else if (event == VF_EV_LENT_BACK)
            text_add(out, "to the %s", vf_describe_layer(LD(e->layer), who, sizeof who));
        else if (event != VF_EV_DERIVE)
            text_add(out, "by the %s", vf_describe_layer(LD(e->layer), who, sizeof who));
        text_add(out, "\n");
        describe_stack(e, out);
    }
}

void vf_track_describe(const void *nbl, char *owner, size_t owner_size, char *history, size_t history_size)
{
    if (owner_size)
        owner[0] = '\0';
    if (history_size)
        history[0] = '\0';
    struct elem_header *h = nbl_header(nbl);
    const struct vf_track *t = h ? record_of(h) : NULL;
    if (!t || LD(t->epoch) != vf_epoch())
        return;
    struct text o = {owner, owner_size, 0}, hi = {history, history_size, 0};
    describe_owner(h, t, &o);
    describe_history(t, &hi);
}

/* ------------------------------------------------------------ scans */

struct scan {
    const void *layer;    /* NULL: every NBL in flight */
    bool held_only;       /* only what `layer` holds */
    unsigned sequence;
    unsigned found;
    PNET_BUFFER_LIST nbls[NDISBUF_VERIFIER_MAX_LOST];
};

static bool waits_for(const struct vf_track *t, const void *layer)
{
    uint8_t n = LD(t->hop_count);
    for (uint8_t i = 0; i < n && i < NDISBUF_VERIFIER_MAX_HOPS; i++)
        if (LD(t->hops[i].layer) == layer)
            return true;
    return false;
}

static void scan_element(void *element, void *ctx)
{
    struct elem_header *h = elem_at(element);
    struct scan *s = ctx;
    const struct vf_track *t = record_of(h);
    if (LD(h->state) != ELEM_LIVE || !record_current(t, h) || LD(t->hop_count) == 0)
        return;
    bool holds = LD(t->holder) == s->layer;
    if (s->layer && !holds && (s->held_only || !waits_for(t, s->layer)))
        return;
    if (s->found < NDISBUF_VERIFIER_MAX_LOST)
        s->nbls[s->found] = elem_part(h, h->pool->layout.nbl);
    s->found++;
}

static void scan_pool(struct nbuf_pool *pool, void *ctx)
{
    if (pool->kind == NBUF_POOL_NBL)
        pool_for_each_element(pool->engine, scan_element, ctx);
}

static void scan_all(struct scan *s)
{
    pools_for_each_live(scan_pool, s, true);
}

unsigned vf_scan_lost(const void *layer, bool held_only, const char *when)
{
    if (vf_level() < 2)
        return 0;
    struct scan s = {.layer = layer, .held_only = held_only};
    scan_all(&s);
    char who[160], holder[160];
    unsigned n = s.found < NDISBUF_VERIFIER_MAX_LOST ? s.found : NDISBUF_VERIFIER_MAX_LOST;
    for (unsigned i = 0; i < n; i++) {
        PNET_BUFFER_LIST nbl = s.nbls[i];
        struct elem_header *h = nbl_header(nbl);
        struct vf_track *t = h ? record_of(h) : NULL;
        if (!record_current(t, h) || LD(t->hop_count) == 0)
            continue; /* came back meanwhile */
        const void *held_by = LD(t->holder);
        ULONG_PTR p[4] = {(ULONG_PTR)nbl, (ULONG_PTR)held_by, (ULONG_PTR)layer, LD(t->direction)};
        vf_report(NDISBUF_REPORT_NBL_LOST, when, nbl, p,
                  "NBL %p is not back at %s: it is held by the %s (%s direction, for %.0f ms); the %s waits for it",
                  (void *)nbl, when, held_by ? vf_describe_layer(held_by, holder, sizeof holder) : "nobody (in transit)",
                  direction_name(LD(t->direction)), (double)(clock_ns() - LD(t->since_ns)) / 1e6,
                  vf_describe_layer(layer, who, sizeof who));
    }
    return n;
}

/* ------------------------------------------------------------ listing */

int ndisbuf_pending_nbls_dump(FILE *Out)
{
    if (!Out) {
        vf_diagnostic("ndisbuf_pending_nbls_dump", "Out is NULL");
        return -1;
    }
    if (vf_level() < 1) {
        fprintf(Out, "NBL tracking is off (verifier level 0): set NDISBUF_VERIFIER=1 or call ndisbuf_verifier_set(1)\n");
        return 0;
    }
    struct scan s = {0};
    scan_all(&s);
    unsigned n = s.found < NDISBUF_VERIFIER_MAX_LOST ? s.found : NDISBUF_VERIFIER_MAX_LOST;
    fprintf(Out, "%u NBL(s) in flight%s\n", s.found, s.found > n ? " (the first listed)" : "");
    for (unsigned i = 0; i < n; i++) {
        char owner[1024];
        vf_track_describe(s.nbls[i], owner, sizeof owner, NULL, 0);
        fprintf(Out, "  NBL %p  %s\n", (void *)s.nbls[i], owner);
    }
    return (int)n;
}
