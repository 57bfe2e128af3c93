/* SPDX-License-Identifier: MIT */
/*
 * The level-2 quarantine (docs/verifier.md, "Poison and quarantine").
 *
 * A freed NBL, NB or MDL element does not go back to its pool at once: its
 * body is filled with NDISBUF_VERIFIER_POISON and it waits in a
 * first-in first-out ring of NDISBUF_VERIFIER_QUARANTINE elements. When it
 * leaves (pushed out by newer ones, or by a flush) the poison is checked:
 * a byte that changed means a driver wrote to the element after freeing it,
 * and FREED_ELEMENT_WRITTEN names the object and, with tracking, its
 * history. Meanwhile a stale pointer to it still meets the FREE cookie, so
 * a double free or a use after free through the API is caught however late
 * it comes.
 *
 * Under AddressSanitizer the body is ASan-poisoned instead (a write is
 * caught at the faulting line), so no byte pattern is written or checked.
 * A flush happens before anything counts objects (outstanding totals, pool
 * statistics, pool free), so quarantined elements never count as leaks.
 */
#include <pthread.h>
#include <string.h>

#include "config.h"
#include "core/element.h"
#include "verify/track.h"
#include "verify/verify.h"

static pthread_mutex_t quarantine_lock = PTHREAD_MUTEX_INITIALIZER;
static struct elem_header *ring[NDISBUF_VERIFIER_QUARANTINE];
static unsigned ring_head, ring_count;

#ifdef NDISBUF_HAVE_ASAN
static const bool byte_poison = false;
#else
static const bool byte_poison = true;
#endif

static size_t poisoned_bytes(const struct elem_header *h)
{
    size_t body = elem_body_size(h);
    return body < NDISBUF_VERIFIER_POISON_MAX_BYTES ? body : NDISBUF_VERIFIER_POISON_MAX_BYTES;
}

/* The object a driver knew the element as (its NBL, NB or MDL). */
static void *element_object(struct elem_header *h)
{
    const struct elem_layout *l = &h->pool->layout;
    switch (h->pool->kind) {
    case NBUF_POOL_NBL:
        return elem_part(h, l->nbl);
    case NBUF_POOL_NB:
        return elem_part(h, l->nb);
    default:
        return elem_part(h, l->mdl);
    }
}

static void poison_check(struct elem_header *h)
{
    if (!byte_poison)
        return;
    const unsigned char *body = (const unsigned char *)(h + 1);
    size_t n = poisoned_bytes(h);
    for (size_t i = 0; i < n; i++) {
        if (body[i] == NDISBUF_VERIFIER_POISON)
            continue;
        void *object = element_object(h);
        ULONG_PTR p[4] = {(ULONG_PTR)object, (ULONG_PTR)(i + sizeof *h), body[i], (ULONG_PTR)h->alloc_site};
        vf_report(NDISBUF_REPORT_FREED_ELEMENT_WRITTEN, "the verifier's quarantine", object, p,
                  "%s %p was written after it was freed: byte %zu of its element is 0x%02X, not the poison 0x%02X",
                  h->pool->kind == NBUF_POOL_NBL ? "NET_BUFFER_LIST" : h->pool->kind == NBUF_POOL_NB ? "NET_BUFFER"
                                                                                                     : "MDL",
                  object, i + sizeof *h, body[i], NDISBUF_VERIFIER_POISON);
        return;
    }
}

static void release(struct elem_header *h)
{
    poison_check(h);
    elem_release_quarantined(h);
}

bool vf_quarantine_take(void *header)
{
    struct elem_header *h = header;
    if (byte_poison)
        memset(h + 1, NDISBUF_VERIFIER_POISON, poisoned_bytes(h));
    struct elem_header *evicted = NULL;
    pthread_mutex_lock(&quarantine_lock);
    unsigned count = ring_count;
    if (count == NDISBUF_VERIFIER_QUARANTINE) {
        evicted = ring[ring_head];
        ring_head = (ring_head + 1) % NDISBUF_VERIFIER_QUARANTINE;
        count--;
    }
    ring[(ring_head + count) % NDISBUF_VERIFIER_QUARANTINE] = h;
    __atomic_store_n(&ring_count, count + 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&quarantine_lock);
    if (evicted)
        release(evicted);
    return true;
}

void vf_quarantine_flush(void)
{
    if (__atomic_load_n(&ring_count, __ATOMIC_RELAXED) == 0)
        return;
    for (;;) {
        pthread_mutex_lock(&quarantine_lock);
        struct elem_header *h = NULL;
        if (ring_count) {
            h = ring[ring_head];
            ring_head = (ring_head + 1) % NDISBUF_VERIFIER_QUARANTINE;
            __atomic_store_n(&ring_count, ring_count - 1, __ATOMIC_RELAXED);
        }
        pthread_mutex_unlock(&quarantine_lock);
        if (!h)
            return;
        release(h);
    }
}
