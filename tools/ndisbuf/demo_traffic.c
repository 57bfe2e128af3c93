/* SPDX-License-Identifier: MIT */
/*
 * The traffic of `ndisbuf demo`: numbered frames (demo_verify.c) sent
 * through rawprot in batches of --batch, received back through its receive
 * callback and checked there, with a progress bar on stderr.
 *
 * Flow control: at most `window` frames are in flight (sent, not yet
 * back); past it the sender waits until half the window has come back. A
 * run gives up when no frame has come back for DEMO_STALL_MS (only
 * DEMO_FAULT_STALL_MS once fault injection has failed an allocation, which
 * may have dropped a frame for good): what was sent and never came is
 * missing, the rest not sent.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "demo.h"

#define DEMO_MIN_WINDOW 1024
#define DEMO_WAIT_SLICE_MS 50

typedef struct demo_progress {
    bool enabled, tty, shown;
    double start, last;
    ULONG64 total;
} demo_progress;

static double demo_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- progress on stderr ---- */

static void demo_progress_show(demo_progress *p, ULONG64 done, double now)
{
    double rate = now > p->start ? (double)done / (now - p->start) : 0;
    int percent = (int)(done * 100 / p->total);
    if (!p->tty) {
        fprintf(stderr, "ndisbuf demo: %d%% %llu/%llu frames %.2f Mpps\n", percent, (unsigned long long)done,
                (unsigned long long)p->total, rate / 1e6);
        return;
    }
    char bar[21];
    for (int i = 0; i < 20; i++)
        bar[i] = i < percent / 5 ? '#' : '.';
    bar[20] = '\0';
    fprintf(stderr, "\r[%s] %3d%% %llu/%llu frames %.2f Mpps\033[K", bar, percent, (unsigned long long)done,
            (unsigned long long)p->total, rate / 1e6);
    p->shown = true;
}

/* On a terminal a bar redrawn every 0.1 s after the first 0.5 s; otherwise a line every 2 s. */
static void demo_progress_update(demo_progress *p, ULONG64 done)
{
    if (!p->enabled)
        return;
    double now = demo_now(), interval = p->tty ? 0.1 : 2.0, delay = p->tty ? 0.5 : 2.0;
    if (now - p->start < delay || now - p->last < interval)
        return;
    p->last = now;
    demo_progress_show(p, done, now);
}

static void demo_progress_finish(demo_progress *p)
{
    if (p->shown)
        fputs("\r\033[K", stderr);
}

/* ---- flow control ---- */

static double demo_stall_ms(void)
{
    return ndisbuf_fault_injected() ? DEMO_FAULT_STALL_MS : DEMO_STALL_MS;
}

/* Waits until at least target frames have come back; false when none came for DEMO_STALL_MS. */
static bool demo_wait_received(demo_verifier *v, ULONG64 target, demo_progress *p)
{
    demo_counts c;
    demo_verifier_counts(v, &c);
    ULONG64 last = c.received;
    double last_change = demo_now();
    while (!demo_verifier_wait(v, target, DEMO_WAIT_SLICE_MS)) {
        demo_verifier_counts(v, &c);
        demo_progress_update(p, c.received);
        if (c.received != last)
            last = c.received, last_change = demo_now();
        else if ((demo_now() - last_change) * 1000 > demo_stall_ms())
            return false;
    }
    return true;
}

/* Before sending up to `end`: wait if that puts more than window frames in flight (down to half). */
static bool demo_make_room(demo_verifier *v, ULONG64 end, ULONG window, demo_progress *p)
{
    demo_counts c;
    demo_verifier_counts(v, &c);
    if (end <= window || c.received >= end - window)
        return true;
    return demo_wait_received(v, end - window / 2, p);
}

/* ---- the run ---- */

/* Builds the batch starting at sequence number first and writes it. */
static NDIS_STATUS demo_write_batch(PRAWPROT_OPEN tx, const demo_options *o, const UCHAR dst[6],
                                    const UCHAR src[6], ULONG64 first, ULONG n, UCHAR *buffer)
{
    const void *frames[DEMO_MAX_BATCH];
    ULONG lengths[DEMO_MAX_BATCH];
    for (ULONG i = 0; i < n; i++) {
        frames[i] = buffer + (size_t)i * o->size;
        lengths[i] = o->size;
        demo_frame_build(buffer + (size_t)i * o->size, o->size, (ULONG)(first + i), dst, src);
    }
    return RawProtWriteBatch(tx, frames, lengths, n);
}

/* Sends every frame, batch by batch; false when a write failed or frames stopped coming back. */
static bool demo_send_all(PRAWPROT_OPEN tx, const demo_options *o, const UCHAR dst[6], const UCHAR src[6],
                          demo_traffic *t, demo_progress *p)
{
    UCHAR *buffer = malloc((size_t)o->batch * o->size);
    t->write_status = buffer ? NDIS_STATUS_SUCCESS : NDIS_STATUS_RESOURCES;
    while (t->write_status == NDIS_STATUS_SUCCESS && t->sent < o->frames) {
        ULONG n = o->frames - t->sent < o->batch ? (ULONG)(o->frames - t->sent) : o->batch;
        if (!demo_make_room(t->verifier, t->sent + n, t->window, p)) {
            t->stalled = true;
            break;
        }
        t->write_status = demo_write_batch(tx, o, dst, src, t->sent, n, buffer);
        if (t->write_status != NDIS_STATUS_SUCCESS)
            break;
        t->sent += n;
        RAWPROT_STATS stats;
        RawProtGetStats(tx, &stats);
        if (stats.PoolOutstanding > t->peak_outstanding)
            t->peak_outstanding = stats.PoolOutstanding;
        demo_counts c;
        demo_verifier_counts(t->verifier, &c);
        demo_progress_update(p, c.received);
    }
    free(buffer);
    return t->write_status == NDIS_STATUS_SUCCESS && !t->stalled;
}

bool demo_traffic_run(PRAWPROT_OPEN tx, PRAWPROT_OPEN rx, const UCHAR dst[6], const UCHAR src[6],
                      const demo_options *o, demo_traffic *t)
{
    memset(t, 0, sizeof(*t));
    t->window = 2 * o->batch > DEMO_MIN_WINDOW ? 2 * o->batch : DEMO_MIN_WINDOW;
    t->verifier = demo_verifier_create(o->frames, o->size, dst, src);
    if (!t->verifier) {
        t->write_status = NDIS_STATUS_RESOURCES;
        return false;
    }
    RawProtSetReceiveCallback(rx, demo_verifier_receive, t->verifier);
    if (tx != rx)
        RawProtSetReceiveCallback(tx, demo_verifier_receive, t->verifier); /* its own frames must not come back */

    demo_progress p = {.enabled = !o->quiet, .tty = isatty(STDERR_FILENO) != 0, .total = o->frames};
    p.start = p.last = demo_now();
    if (demo_send_all(tx, o, dst, src, t, &p))
        t->stalled = !demo_wait_received(t->verifier, t->sent, &p);
    t->seconds = demo_now() - p.start;
    demo_progress_finish(&p);
    RawProtWaitForSends(tx, DEMO_STALL_MS);

    demo_counts c;
    demo_verifier_counts(t->verifier, &c);
    t->received = c.received, t->intact = c.intact, t->mismatched = c.mismatched;
    t->duplicated = c.duplicated, t->others = c.others;
    t->missing = t->sent - t->intact;
    return t->write_status == NDIS_STATUS_SUCCESS && !t->stalled;
}

void demo_traffic_release(demo_traffic *t)
{
    demo_verifier_destroy(t->verifier);
    t->verifier = NULL;
}
