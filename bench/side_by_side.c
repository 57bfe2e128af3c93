/* SPDX-License-Identifier: MIT */
/*
 * ndisbuf's buffer operations side by side with DPDK's mbuf pool (22.11,
 * EAL --no-huge --no-pci -m 256 --no-shconf --no-telemetry -l 0, pool cache
 * 256) and glibc malloc, in one process: (a) alloc+free, (b) the same with a
 * 14-byte retreat and header write, (c) bulk 32, (d) clone+free, (e) a
 * two-segment packet, (f) allocation on one thread and free on another,
 * (g) context push/pop, (h) a pointer to a contiguous header; plus the
 * floor (a bare free list) and the size of an NBL+NB element.
 *
 * Each round runs every side once (the single-thread operations of ops.h,
 * then the producer/consumer pairs), 9 rounds (BENCH_QUICK=1: 3 short
 * ones), and the median ns per operation is reported with its ratio to the
 * peer. Single-thread sides are timed in the thread's CPU time (see
 * bench_thread_cpu_ns), the producer/consumer ones in wall time. A missing
 * peer is skipped with a message, never faked.
 *
 * Producer/consumer: the main thread (CPU 0) allocates and passes each
 * buffer through a single-producer single-consumer ring to a consumer
 * thread (CPU 1) that frees it; ns per packet is wall time / packets. The
 * consumer is a plain pthread; for DPDK it is registered with
 * rte_thread_register() so that it gets an lcore id and thus its own
 * mempool cache, as a second EAL lcore would (EAL stays on -l 0 as issue 8
 * fixes it).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>

#include "ops.h"

#define SBS_ROUNDS 9
#define SBS_QUICK_ROUNDS 3
#define SBS_OPS 2000000L
#define SBS_QUICK_OPS 200000L

/* ====================================================================== */
/* Producer/consumer through an SPSC ring                                 */
/* ====================================================================== */

#define RING_SIZE 1024 /* a power of two */

static struct {
    _Alignas(64) _Atomic unsigned long head; /* written by the producer */
    _Alignas(64) _Atomic unsigned long tail; /* written by the consumer */
    _Alignas(64) void *slot[RING_SIZE];
} ring;

/* The consumer thread's job, handed over under the lock. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    void (*consume)(void *obj);
    long count;
    unsigned long generation, done;
    int quit, dpdk_registered;
} job = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 0, 0, 0, 0};

static pthread_t consumer_thread;
static int consumer_up;

static void ring_consume(void (*consume)(void *), long count)
{
    unsigned long tail = atomic_load_explicit(&ring.tail, memory_order_relaxed);
    unsigned long head = atomic_load_explicit(&ring.head, memory_order_acquire);
    for (long i = 0; i < count; i++) {
        while (tail == head)
            head = atomic_load_explicit(&ring.head, memory_order_acquire);
        void *obj = ring.slot[tail & (RING_SIZE - 1)];
        atomic_store_explicit(&ring.tail, ++tail, memory_order_release);
        consume(obj);
    }
}

static void *consumer_main(void *arg)
{
    (void)arg;
    bench_pin(1);
#if NDISBUF_HAVE_DPDK
    int registered = ops_dpdk_up && rte_thread_register() == 0;
    pthread_mutex_lock(&job.lock);
    job.dpdk_registered = registered;
#else
    pthread_mutex_lock(&job.lock);
#endif
    for (;;) {
        while (!job.quit && job.generation == job.done)
            pthread_cond_wait(&job.cond, &job.lock);
        if (job.quit)
            break;
        void (*consume)(void *) = job.consume;
        long count = job.count;
        pthread_mutex_unlock(&job.lock);
        ring_consume(consume, count);
        pthread_mutex_lock(&job.lock);
        job.done = job.generation;
        pthread_cond_broadcast(&job.cond);
    }
    pthread_mutex_unlock(&job.lock);
#if NDISBUF_HAVE_DPDK
    if (job.dpdk_registered)
        rte_thread_unregister();
#endif
    return NULL;
}

/* Produces count objects into the ring while the consumer frees them; returns when all are freed. */
static void cross_run(void *(*produce)(void), void (*consume)(void *), long count)
{
    pthread_mutex_lock(&job.lock);
    job.consume = consume;
    job.count = count;
    job.generation++;
    pthread_cond_broadcast(&job.cond);
    pthread_mutex_unlock(&job.lock);

    unsigned long head = atomic_load_explicit(&ring.head, memory_order_relaxed);
    unsigned long tail = atomic_load_explicit(&ring.tail, memory_order_acquire);
    for (long i = 0; i < count; i++) {
        void *obj = produce();
        while (head - tail == RING_SIZE)
            tail = atomic_load_explicit(&ring.tail, memory_order_acquire);
        ring.slot[head & (RING_SIZE - 1)] = obj;
        atomic_store_explicit(&ring.head, ++head, memory_order_release);
    }
    pthread_mutex_lock(&job.lock);
    while (job.done != job.generation)
        pthread_cond_wait(&job.cond, &job.lock);
    pthread_mutex_unlock(&job.lock);
}

static int cross_ready(void)
{
    if (!consumer_up) {
        consumer_up = pthread_create(&consumer_thread, NULL, consumer_main, NULL) == 0;
        if (!consumer_up)
            fprintf(stderr, "bench: no consumer thread; producer/consumer sides skipped\n");
    }
    return consumer_up;
}

static void cross_stop(void)
{
    if (!consumer_up)
        return;
    pthread_mutex_lock(&job.lock);
    job.quit = 1;
    pthread_cond_broadcast(&job.cond);
    pthread_mutex_unlock(&job.lock);
    pthread_join(consumer_thread, NULL);
}

static void *produce_nd_data(void) { return NdisAllocateNetBufferList(ops_data_pool, 0, 0); }
static void *produce_nd_cheap(void)
{
    return NdisAllocateNetBufferAndNetBufferList(ops_cheap_pool, 0, 0, ops_frame_mdl, 0, 64);
}
static void consume_nbl(void *obj) { NdisFreeNetBufferList(obj); }
static void *produce_malloc(void) { return malloc(OPS_MALLOC_BYTES); }
static void consume_malloc(void *obj) { free(obj); }
static void *produce_nothing(void) { return &ring; }
static void consume_nothing(void *obj) { sink = (ULONG_PTR)obj; }

static void x_nd_data(long n) { cross_run(produce_nd_data, consume_nbl, n); }
static void x_nd_cheap(long n) { cross_run(produce_nd_cheap, consume_nbl, n); }
static void x_malloc(long n) { cross_run(produce_malloc, consume_malloc, n); }
static void x_ring(long n) { cross_run(produce_nothing, consume_nothing, n); }
static int x_ready_data(void) { return ops_ready_data() && cross_ready(); }
static int x_ready_cheap(void) { return ops_ready_cheap() && cross_ready(); }
static int x_ready_always(void) { return cross_ready(); }

#if NDISBUF_HAVE_DPDK
static void *produce_dpdk(void) { return rte_pktmbuf_alloc(ops_mbuf_pool); }
static void consume_dpdk(void *obj) { rte_pktmbuf_free(obj); }
static void x_dpdk(long n) { cross_run(produce_dpdk, consume_dpdk, n); }
static int x_ready_dpdk(void)
{
    if (!ops_dpdk_ready() || !cross_ready())
        return 0;
    /* Wait for the consumer to have registered (it does so first thing). */
    int registered = 0;
    for (int i = 0; i < 1000 && !registered; i++) {
        pthread_mutex_lock(&job.lock);
        registered = job.dpdk_registered;
        pthread_mutex_unlock(&job.lock);
        if (!registered)
            usleep(1000);
    }
    if (!registered)
        fprintf(stderr, "bench: rte_thread_register failed: the DPDK consumer frees without a cache\n");
    return 1;
}
#define X_DPDK(fn) fn
#else
static int x_ready_dpdk(void) { return ops_dpdk_ready(); }
#define X_DPDK(fn) NULL
#endif

static const struct bench_side cross_sides[] = {
    {"x_nd_data", "ndisbuf alloc (DataSize 2048) on CPU 0, free on CPU 1", x_ready_data, x_nd_data, 1, {0}, 0, 1},
    {"x_nd_cheap", "ndisbuf alloc (caller MDL) on CPU 0, free on CPU 1", x_ready_cheap, x_nd_cheap, 1, {0}, 0, 1},
    {"x_malloc", "glibc malloc on CPU 0, free on CPU 1", x_ready_always, x_malloc, 1, {0}, 0, 1},
    {"x_dpdk", "DPDK alloc on lcore 0, free on a registered thread", x_ready_dpdk, X_DPDK(x_dpdk), 1, {0}, 0, 1},
    {"x_ring", "the ring alone (a pointer through it, no buffer)", x_ready_always, x_ring, 1, {0}, 0, 1},
};

/* ====================================================================== */
/* The report                                                              */
/* ====================================================================== */

static struct bench_side sides[OPS_SIDE_COUNT + sizeof(cross_sides) / sizeof(cross_sides[0])];
static size_t side_count;
static int rounds;

static double med(const char *key)
{
    return bench_side_median(bench_find(sides, side_count, key), rounds);
}

/*
 * A row for sides timed in wall time (two threads): the median, as for
 * every row, and the minimum beside it. Other work on the machine can only
 * add to a wall-clock figure, and with two busy threads on a two-CPU
 * machine shared with others it often does: the minimum is then the better
 * estimate of the cost itself. "met" is judged on the medians.
 */
static void row_wall(const char *op, const char *nd_key, const char *peer_name, const char *peer_key,
                     double max_ratio, const char *peer_short)
{
    const struct bench_side *a = bench_find(sides, side_count, nd_key), *b = bench_find(sides, side_count, peer_key);
    if (!a || !b) {
        bench_row_ns(op, med(nd_key), peer_name, med(peer_key), max_ratio, peer_short);
        return;
    }
    double am = bench_median(a->ns, rounds), bm = bench_median(b->ns, rounds);
    double an = bench_min(a->ns, rounds), bn = bench_min(b->ns, rounds);
    char nd[64], peer[128], ratio[48], target[64], met[8];
    snprintf(nd, sizeof nd, "%.2f ns (min %.2f)", am, an);
    snprintf(peer, sizeof peer, "%s %.2f ns (min %.2f)", peer_name, bm, bn);
    snprintf(ratio, sizeof ratio, "%.2fx (mins %.2fx)", am / bm, an / bn);
    snprintf(target, sizeof target, max_ratio > 0 ? "<= %.1fx %s" : "-", max_ratio, peer_short);
    snprintf(met, sizeof met, "%s", max_ratio <= 0 ? "-" : am / bm <= max_ratio ? "yes" : "NO");
    bench_row(op, nd, peer, ratio, target, met);
}

/* The cross-thread pair (wall, median and min) against the same-thread pair (CPU time). */
static void cross_vs_same_row(void)
{
    const struct bench_side *x = bench_find(sides, side_count, "x_nd_data");
    double same = med("nd_data");
    if (!x || same <= 0) {
        bench_row_ns("cross-thread vs same-thread pair", med("x_nd_data"), "ndisbuf same-thread", same, 1.5,
                     "same-thread");
        return;
    }
    double xm = bench_median(x->ns, rounds), xn = bench_min(x->ns, rounds);
    char nd[64], peer[64], ratio[48], met[8];
    snprintf(nd, sizeof nd, "%.2f ns (min %.2f)", xm, xn);
    snprintf(peer, sizeof peer, "ndisbuf same-thread %.2f ns", same);
    snprintf(ratio, sizeof ratio, "%.2fx (min %.2fx)", xm / same, xn / same);
    snprintf(met, sizeof met, "%s", xm / same <= 1.5 ? "yes" : "NO");
    bench_row("cross-thread vs same-thread pair", nd, peer, ratio, "<= 1.5x same-thread", met);
}

/* Every side, on stdout and as a markdown table in $NDISBUF_BENCH_DIR/side_by_side.md. */
static void print_sides(long ops)
{
    FILE *md = bench_fragment_open("side_by_side.md");
    if (md)
        fprintf(md, "\n### Every side (median and minimum of %d rounds x %ld operations, ns per operation)\n\n"
                    "| side | timed in | median ns | min ns |\n|---|---|---:|---:|\n",
                rounds, ops);
    for (size_t s = 0; s < side_count; s++) {
        const char *clock = sides[s].wall ? "wall" : "thread CPU";
        if (!sides[s].ok) {
            printf("  %-66s skipped\n", sides[s].name);
            if (md)
                fprintf(md, "| %s | %s | skipped | |\n", sides[s].name, clock);
            continue;
        }
        double m = bench_median(sides[s].ns, rounds), n = bench_min(sides[s].ns, rounds);
        printf("  %-66s %8.2f ns  (min %.2f)\n", sides[s].name, m, n);
        if (md)
            fprintf(md, "| %s | %s | %.2f | %.2f |\n", sides[s].name, clock, m, n);
    }
    if (md)
        fclose(md);
}

/* The NBL+NB element size (no data, no context) against the 544 bytes of Windows. */
static void element_size_row(void)
{
    NDIS_HANDLE pool = bench_nbl_pool(0, 0);
    NDISBUF_POOL_STATS st;
    char nd[32], met[8];
    if (!pool || ndisbuf_pool_get_stats(pool, &st) != NDIS_STATUS_SUCCESS) {
        bench_row("memory per NBL+NB element (no data)", "skipped", "-", "-", "<= 544 B (Windows)", "-");
        return;
    }
    snprintf(nd, sizeof nd, "%lu B", (unsigned long)st.ElementSize);
    snprintf(met, sizeof met, "%s", st.ElementSize <= 544 ? "yes" : "NO");
    bench_row("memory per NBL+NB element (no data)", nd, "Windows 544 B", "-", "<= 544 B", met);
    NdisFreeNetBufferListPool(pool);
}

static void summary(void)
{
    const char *dp = "DPDK";
    printf("\nsummary rows (bench/run.sh gathers them):\n");
    bench_row_ns("alloc+free: NBL+NB+MDL+2 KiB data", med("nd_data"), "rte_pktmbuf_alloc+free", med("dpdk"), 0.7, dp);
    bench_row_ns("alloc+free: NBL+NB on caller MDL", med("nd_cheap"), "rte_pktmbuf_alloc+free", med("dpdk"), 0.7, dp);
    bench_row_ns("alloc+free vs the floor (NBL+NB+data)", med("nd_data"), "free-list floor", med("floor"), 2.0,
                 "floor");
    bench_row_ns("alloc+free vs glibc (NBL+NB+data)", med("nd_data"), "malloc+free", med("malloc"), 0, "");
    bench_row_ns("retreat 14+header: caller MDL, born with back-fill", med("nd_rt_mdl"), "alloc+prepend(14)+free",
                 med("dpdk_rt"), 0.7, dp);
    bench_row_ns("retreat 14+header: own data, pool back-fill 128", med("nd_rt_backfill"), "alloc+prepend(14)+free",
                 med("dpdk_rt"), 0.7, dp);
    bench_row_ns("retreat 14+header: own data, advance 128 first", med("nd_rt_data"), "alloc+prepend(14)+free",
                 med("dpdk_rt"), 0.7, dp);
    bench_row_ns("bulk 32 alloc+free, per packet", med("nd_bulk"), "alloc_bulk/free_bulk", med("dpdk_bulk"), 1.0, dp);
    bench_row_ns("clone+free (new MDLs)", med("nd_clone"), "rte_pktmbuf_clone+free", med("dpdk_clone"), 0.7, dp);
    bench_row_ns("clone+free (USE_ORIGINAL_MDLS)", med("nd_clone_orig"), "rte_pktmbuf_clone+free",
                 med("dpdk_clone"), 0.7, dp);
    bench_row_ns("two-segment chain+free (2 MDLs + NBL)", med("nd_chain"), "2 allocs+chain+free",
                 med("dpdk_chain"), 0, "");
    bench_row_ns("two-segment by retreat past back-fill", med("nd_chain_rt"), "2 allocs+chain+free",
                 med("dpdk_chain"), 0, "");
    row_wall("cross-thread alloc/free vs DPDK (wall)", "x_nd_data", "DPDK cross-thread", "x_dpdk", 0, "");
    row_wall("cross-thread vs glibc (wall)", "x_nd_data", "malloc/free cross-thread", "x_malloc", 0, "");
    cross_vs_same_row();
    bench_row_ns("context push+pop 16 B (in back-fill)", med("nd_ctx"), "none in DPDK", BENCH_NO_PEER, 0, "");
    bench_row_ns("context push+pop 16 B (allocates)", med("nd_ctx_alloc"), "none in DPDK", BENCH_NO_PEER, 0, "");
    bench_row_ns("NdisGetDataBuffer 14 B contiguous", med("nd_getdata"), "rte_pktmbuf_read", med("dpdk_read"), 0, "");
    element_size_row();
}

int main(void)
{
    int quick = bench_quick();
    long ops = quick ? SBS_QUICK_OPS : SBS_OPS;
    rounds = quick ? SBS_QUICK_ROUNDS : SBS_ROUNDS;

    bench_pin(0);
    ops_setup(NDISBUF_HAVE_DPDK);
    if (!NDISBUF_HAVE_DPDK)
        printf("DPDK peer skipped: built without libdpdk-dev\n");
    for (size_t i = 0; i < OPS_SIDE_COUNT; i++)
        sides[side_count++] = ops_sides[i];
    for (size_t i = 0; i < sizeof(cross_sides) / sizeof(cross_sides[0]); i++)
        sides[side_count++] = cross_sides[i];

    bench_run_sides(sides, side_count, rounds, ops);
    printf("side by side: median of %d rounds x %ld operations, one process, main thread on CPU 0, "
           "thread CPU time (producer/consumer: wall)%s\n",
           rounds, ops,
           NDISBUF_HAVE_DPDK ? ", DPDK EAL -l 0 (cache 256)" : "");
    print_sides(ops);
    summary();

    cross_stop();
    ops_teardown();
#if NDISBUF_HAVE_DPDK
    if (ops_dpdk_up || ops_mbuf_pool)
        rte_eal_cleanup();
#endif
    return 0;
}
