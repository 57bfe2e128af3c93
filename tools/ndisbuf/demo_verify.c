/* SPDX-License-Identifier: MIT */
/*
 * The frames of `ndisbuf demo` and the receiver that checks them.
 *
 * A frame is | destination | source | EtherType 0x88B5 | sequence number
 * (32 bits, big-endian) | pattern |, the pattern a xorshift32 stream
 * seeded from the sequence number (4 bytes a step), so a byte out of
 * place, a frame cut short or the payload of another frame all show. The
 * receiver rebuilds the frame it expects from the sequence number and
 * compares every byte; a bitmap tells a sequence number seen twice. A
 * frame is this run's when it has the EtherType and the sender's source
 * address; others (other traffic on a real interface) are counted and
 * otherwise ignored.
 *
 * The receive callback runs on the miniports' threads, the waiter on the
 * sender's: counters are atomics, and the callback signals the waiter only
 * when the count it waits for is reached, so a wait costs one wake-up, not
 * one per frame.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "demo.h"

#define DEMO_SEQ_OFFSET DEMO_HEADER_BYTES
#define DEMO_PATTERN_OFFSET (DEMO_SEQ_OFFSET + 4)

struct demo_verifier {
    ULONG size;
    ULONG64 frames;
    UCHAR dst[6], src[6];
    _Atomic ULONG64 *seen; /* one bit per sequence number */
    _Atomic ULONG64 received, intact, mismatched, duplicated, others;
    _Atomic ULONG64 wake_at; /* signal when received reaches it; 0: nobody waits */
    pthread_mutex_t lock;
    pthread_cond_t cond; /* CLOCK_REALTIME deadlines */
};

void demo_frame_build(UCHAR *f, ULONG size, ULONG seq, const UCHAR dst[6], const UCHAR src[6])
{
    ULONG x = seq * 0x9E3779B9u ^ 0xA5A5A5A5u;
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = DEMO_ETHERTYPE >> 8, f[13] = DEMO_ETHERTYPE & 0xFF;
    f[14] = (UCHAR)(seq >> 24), f[15] = (UCHAR)(seq >> 16), f[16] = (UCHAR)(seq >> 8), f[17] = (UCHAR)seq;
    for (ULONG i = DEMO_PATTERN_OFFSET; i < size; i += 4) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        for (ULONG k = 0; k < 4 && i + k < size; k++)
            f[i + k] = (UCHAR)(x >> (8 * k));
    }
}

demo_verifier *demo_verifier_create(ULONG64 frames, ULONG size, const UCHAR dst[6], const UCHAR src[6])
{
    demo_verifier *v = calloc(1, sizeof(*v));
    if (!v)
        return NULL;
    v->seen = calloc((size_t)((frames + 63) / 64), sizeof(*v->seen));
    if (!v->seen) {
        free(v);
        return NULL;
    }
    v->size = size;
    v->frames = frames;
    memcpy(v->dst, dst, 6);
    memcpy(v->src, src, 6);
    pthread_mutex_init(&v->lock, NULL);
    pthread_cond_init(&v->cond, NULL);
    return v;
}

void demo_verifier_destroy(demo_verifier *v)
{
    if (!v)
        return;
    pthread_cond_destroy(&v->cond);
    pthread_mutex_destroy(&v->lock);
    free(v->seen);
    free(v);
}

static bool demo_is_ours(const demo_verifier *v, const UCHAR *f, ULONG length)
{
    return length >= DEMO_HEADER_BYTES && f[12] == (DEMO_ETHERTYPE >> 8) && f[13] == (DEMO_ETHERTYPE & 0xFF) &&
           !memcmp(f + 6, v->src, 6);
}

/* Whether the frame is exactly what was sent for its sequence number; *seq is that number. */
static bool demo_frame_intact(const demo_verifier *v, const UCHAR *f, ULONG length, ULONG *seq)
{
    UCHAR expected[DEMO_MAX_SIZE];
    if (length != v->size || length < DEMO_MIN_SIZE || length > DEMO_MAX_SIZE)
        return false;
    *seq = (ULONG)f[14] << 24 | (ULONG)f[15] << 16 | (ULONG)f[16] << 8 | f[17];
    if (*seq >= v->frames)
        return false;
    demo_frame_build(expected, v->size, *seq, v->dst, v->src);
    return !memcmp(expected, f, length);
}

VOID demo_verifier_receive(PVOID context, const UCHAR *frame, ULONG length)
{
    demo_verifier *v = context;
    ULONG seq;
    if (!demo_is_ours(v, frame, length)) {
        atomic_fetch_add(&v->others, 1);
        return;
    }
    if (!demo_frame_intact(v, frame, length, &seq)) {
        atomic_fetch_add(&v->mismatched, 1);
    } else {
        ULONG64 bit = 1ULL << (seq % 64);
        if (atomic_fetch_or(&v->seen[seq / 64], bit) & bit)
            atomic_fetch_add(&v->duplicated, 1);
        else
            atomic_fetch_add(&v->intact, 1);
    }
    ULONG64 received = atomic_fetch_add(&v->received, 1) + 1;
    ULONG64 wake_at = atomic_load(&v->wake_at);
    if (wake_at != 0 && received >= wake_at) {
        pthread_mutex_lock(&v->lock);
        atomic_store(&v->wake_at, 0);
        pthread_cond_broadcast(&v->cond);
        pthread_mutex_unlock(&v->lock);
    }
}

void demo_verifier_counts(const demo_verifier *v, demo_counts *c)
{
    demo_verifier *w = (demo_verifier *)v; /* atomic loads take non-const pointers in C11 */
    c->received = atomic_load(&w->received);
    c->intact = atomic_load(&w->intact);
    c->mismatched = atomic_load(&w->mismatched);
    c->duplicated = atomic_load(&w->duplicated);
    c->others = atomic_load(&w->others);
}

/*
 * The waiter publishes wake_at under the lock and then reads the count;
 * the callback adds to the count and then reads wake_at. Both are
 * sequentially consistent, so one of them sees the other: either the
 * waiter does not sleep, or the callback takes the lock and wakes it.
 */
bool demo_verifier_wait(demo_verifier *v, ULONG64 target, ULONG slice_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += slice_ms / 1000;
    deadline.tv_nsec += (long)(slice_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L)
        deadline.tv_sec++, deadline.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&v->lock);
    atomic_store(&v->wake_at, target);
    if (atomic_load(&v->received) < target)
        pthread_cond_timedwait(&v->cond, &v->lock, &deadline);
    atomic_store(&v->wake_at, 0);
    pthread_mutex_unlock(&v->lock);
    return atomic_load(&v->received) >= target;
}
