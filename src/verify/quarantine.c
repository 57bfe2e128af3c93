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

/*
 * The poisoned bytes of an element: after the header, and for an NBL pool
 * element also the NBL's first bytes before it (an NB or MDL pool's are the
 * library's elem_ext). `at` is where range `i` starts in the element.
 */
static size_t poisoned_range(struct elem_header *h, int i, size_t *at)
{
    if (i == 0) {
        *at = ELEM_BODY_OFFSET;
        return poisoned_bytes(h);
    }
    *at = 0;
    return elem_has_ext(h) ? 0 : ELEM_HEADER_OFFSET;
}

/* The first byte of h's element that is not the poison, or -1. */
static long poison_broken_at(struct elem_header *h)
{
    const unsigned char *element = (const unsigned char *)elem_start(h);
    for (int r = 0; r < 2; r++) {
        size_t at, n = poisoned_range(h, r, &at);
        for (size_t i = at; i < at + n; i++)
            if (element[i] != NDISBUF_VERIFIER_POISON)
                return (long)i;
    }
    return -1;
}

static void poison_check(struct elem_header *h)
{
    if (!byte_poison)
        return;
    const unsigned char *element = (const unsigned char *)elem_start(h);
    long broken = poison_broken_at(h);
    if (broken >= 0) {
        size_t i = (size_t)broken;
        unsigned char byte = element[i];
        void *object = element_object(h);
        ULONG_PTR p[4] = {(ULONG_PTR)object, (ULONG_PTR)i, byte, (ULONG_PTR)elem_alloc_site(h)};
        vf_report(NDISBUF_REPORT_FREED_ELEMENT_WRITTEN, "the verifier's quarantine", object, p,
                  "%s %p was written after it was freed: byte %zu of its element is 0x%02X, not the poison 0x%02X",
                  h->pool->kind == NBUF_POOL_NBL ? "NET_BUFFER_LIST" : h->pool->kind == NBUF_POOL_NB ? "NET_BUFFER"
                                                                                                     : "MDL",
                  object, i, byte, NDISBUF_VERIFIER_POISON);
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
        for (int r = 0; r < 2; r++) {
            size_t at, n = poisoned_range(h, r, &at);
            memset(elem_start(h) + at, NDISBUF_VERIFIER_POISON, n);
        }
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
