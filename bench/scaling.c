/* SPDX-License-Identifier: MIT */
/*
 * How the cost of an alloc+free grows with packets held outstanding and
 * with threads, for ndisbuf, glibc malloc and DPDK's mbuf pool.
 *
 * Outstanding (1 to 1,000,000): K packets are allocated and kept in a FIFO
 * ring; each step frees the oldest and allocates a new one in its place,
 * so K stay outstanding and every step touches the coldest element there
 * is: this is how a queue or a NIC ring holds packets, and it defeats the
 * LIFO reuse that keeps a tight alloc+free pair in L1 (with K = 1 it is
 * that pair). What is measured is the allocator alone (each touches what
 * it initialises, nothing more). One ndisbuf pool holds a bounded number
 * of elements (its reservation, docs/pools.md): when K needs more, more
 * pools of the same kind are created and each step allocates from the pool
 * of the NBL it just freed; the table says how many pools. DPDK's pool has
 * K + 1024 mbufs inside EAL's 256 MiB (-m 256): beyond what fits it is
 * skipped with a message. BENCH_QUICK=1 stops at 100,000.
 *
 * Threads (1 and 2): each thread does its own alloc+free pairs on the same
 * pool (ndisbuf: one NBL pool; DPDK: one mempool, the second thread
 * registered with rte_thread_register for its own cache; glibc: its
 * per-thread caches), threads pinned to CPUs 0 and 1.
 *
 * Each figure is the median of the rounds, the sides alternating within a
 * round, in CPU time of the thread(s) doing the work (bench_thread_cpu_ns):
 * with two threads, each thread's CPU time per pair, averaged, and the
 * aggregate rate is what two such threads give on two free cores. Tables go to stdout and to $NDISBUF_BENCH_DIR/scaling.md.
 */
#define _GNU_SOURCE
#include <pthread.h>

#include "bench.h"

#include <ndisbuf.h>

#define SC_DATA_SIZE 2048
#define SC_MALLOC_BYTES (sizeof(NET_BUFFER_LIST) + sizeof(NET_BUFFER) + sizeof(MDL) + SC_DATA_SIZE)
#define SC_MAX_POOLS 64
#define SC_ROUNDS 3

static const long sc_outstanding[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
#define SC_KS (sizeof(sc_outstanding) / sizeof(sc_outstanding[0]))

/* ====================================================================== */
/* Outstanding                                                             */
/* ====================================================================== */

/* One kind of buffer held K at a time. */
struct holder {
    const char *name;
    int (*fill)(struct holder *h, long k); /* allocate K; 0 when it cannot (message given) */
    void (*steps)(struct holder *h, long n);
    void (*drain)(struct holder *h);
    void **ring;
    long k, next;
    ULONG data_size;     /* ndisbuf: the pools' DataSize */
    NDIS_HANDLE pools[SC_MAX_POOLS];
    int pool_count;
    double ns[BENCH_MAX_ROUNDS];
    int ok;
};

static PMDL sc_mdl;
static UCHAR sc_frame[SC_DATA_SIZE];

static PNET_BUFFER_LIST nd_alloc_from(struct holder *h, NDIS_HANDLE pool)
{
    if (h->data_size)
        return NdisAllocateNetBufferList(pool, 0, 0);
    return NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, sc_mdl, 0, 64);
}

/* A full pool says so as a diagnostic; here that is expected (another pool follows). */
static void sc_quiet(const char *message, void *context)
{
    (void)message;
    (void)context;
}

static int nd_fill(struct holder *h, long k)
{
    h->ring = malloc((size_t)k * sizeof(void *));
    if (!h->ring)
        return 0;
    h->pool_count = 0;
    ndisbuf_set_diagnostic_sink(sc_quiet, NULL);
    for (long i = 0; i < k; i++) {
        PNET_BUFFER_LIST nbl = h->pool_count ? nd_alloc_from(h, h->pools[h->pool_count - 1]) : NULL;
        if (!nbl) {
            /* The current pool is full (or there is none yet): another of the same kind. */
            ndisbuf_clear_diagnostic();
            if (h->pool_count == SC_MAX_POOLS || !(h->pools[h->pool_count] = bench_nbl_pool(h->data_size, 0)))
                goto fail;
            h->pool_count++;
            nbl = nd_alloc_from(h, h->pools[h->pool_count - 1]);
            if (!nbl)
                goto fail;
        }
        h->ring[i] = nbl;
    }
    h->k = k;
    h->next = 0;
    ndisbuf_set_diagnostic_sink(NULL, NULL);
    return 1;
fail:
    ndisbuf_set_diagnostic_sink(NULL, NULL);
    fprintf(stderr, "scaling: %s: could not hold %ld NBLs (%d pools)\n", h->name, k, h->pool_count);
    h->k = 0;
    return 0;
}

static void nd_steps(struct holder *h, long n)
{
    long next = h->next, k = h->k;
    for (long i = 0; i < n; i++) {
        PNET_BUFFER_LIST old = h->ring[next];
        NDIS_HANDLE pool = old->NdisPoolHandle;
        NdisFreeNetBufferList(old);
        PNET_BUFFER_LIST nbl = nd_alloc_from(h, pool);
        sink = (ULONG_PTR)nbl;
        h->ring[next] = nbl;
        if (++next == k)
            next = 0;
    }
    h->next = next;
}

static void nd_drain(struct holder *h)
{
    for (long i = 0; i < h->k; i++)
        NdisFreeNetBufferList(h->ring[i]);
    for (int p = 0; p < h->pool_count; p++)
        NdisFreeNetBufferListPool(h->pools[p]);
    h->pool_count = 0;
    free(h->ring);
    h->ring = NULL;
    h->k = 0;
}

static int malloc_fill(struct holder *h, long k)
{
    h->ring = malloc((size_t)k * sizeof(void *));
    if (!h->ring)
        return 0;
    for (long i = 0; i < k; i++)
        if (!(h->ring[i] = malloc(SC_MALLOC_BYTES)))
            abort();
    h->k = k;
    h->next = 0;
    return 1;
}

static void malloc_steps(struct holder *h, long n)
{
    long next = h->next, k = h->k;
    for (long i = 0; i < n; i++) {
        free(h->ring[next]);
        void *p = malloc(SC_MALLOC_BYTES);
        sink = (ULONG_PTR)p;
        h->ring[next] = p;
        if (++next == k)
            next = 0;
    }
    h->next = next;
}

static void malloc_drain(struct holder *h)
{
    for (long i = 0; i < h->k; i++)
        free(h->ring[i]);
    free(h->ring);
    h->ring = NULL;
    h->k = 0;
}

#if NDISBUF_HAVE_DPDK
static int dpdk_up;
static struct rte_mempool *dpdk_pool;

static int dpdk_fill(struct holder *h, long k)
{
    if (!dpdk_up)
        return 0;
    char name[32];
    snprintf(name, sizeof name, "sc%ld", k);
    dpdk_pool = bench_dpdk_pool(name, (unsigned)k + 1024);
    if (!dpdk_pool) {
        fprintf(stderr, "scaling: DPDK: %ld mbufs do not fit EAL's -m 256; skipped at this K\n", k);
        return 0;
    }
    h->ring = malloc((size_t)k * sizeof(void *));
    for (long i = 0; i < k; i++)
        if (!(h->ring[i] = rte_pktmbuf_alloc(dpdk_pool)))
            abort();
    h->k = k;
    h->next = 0;
    return 1;
}

static void dpdk_steps(struct holder *h, long n)
{
    long next = h->next, k = h->k;
    for (long i = 0; i < n; i++) {
        rte_pktmbuf_free(h->ring[next]);
        struct rte_mbuf *m = rte_pktmbuf_alloc(dpdk_pool);
        sink = (ULONG_PTR)m;
        h->ring[next] = m;
        if (++next == k)
            next = 0;
    }
    h->next = next;
}

static void dpdk_drain(struct holder *h)
{
    for (long i = 0; i < h->k; i++)
        rte_pktmbuf_free(h->ring[i]);
    free(h->ring);
    h->ring = NULL;
    h->k = 0;
    rte_mempool_free(dpdk_pool);
    dpdk_pool = NULL;
}
#endif

static struct holder holders[] = {
    {"ndisbuf NBL+NB (caller MDL)", nd_fill, nd_steps, nd_drain, NULL, 0, 0, 0, {0}, 0, {0}, 0},
    {"ndisbuf NBL+NB+2 KiB data", nd_fill, nd_steps, nd_drain, NULL, 0, 0, SC_DATA_SIZE, {0}, 0, {0}, 0},
    {"glibc malloc (same bytes)", malloc_fill, malloc_steps, malloc_drain, NULL, 0, 0, 0, {0}, 0, {0}, 0},
#if NDISBUF_HAVE_DPDK
    {"DPDK mbuf", dpdk_fill, dpdk_steps, dpdk_drain, NULL, 0, 0, 0, {0}, 0, {0}, 0},
#endif
};
#define SC_HOLDERS (sizeof(holders) / sizeof(holders[0]))

/* ns per step (free oldest + alloc), median over rounds; -1 when the side could not run. */
static double outstanding_result[SC_KS][SC_HOLDERS];
static int outstanding_pools[SC_KS][SC_HOLDERS];

static void run_outstanding(int quick, int rounds)
{
    long steps = quick ? 200000 : 2000000;
    for (size_t ki = 0; ki < SC_KS; ki++) {
        long k = sc_outstanding[ki];
        for (size_t s = 0; s < SC_HOLDERS; s++) {
            outstanding_result[ki][s] = -1;
            if (quick && k > 100000)
                continue;
            struct holder *h = &holders[s];
            h->ok = h->fill(h, k);
            if (h->ok)
                h->steps(h, k < steps ? steps / 10 : k); /* warm up: one lap of the ring at least */
        }
        for (int r = 0; r < rounds; r++)
            for (size_t s = 0; s < SC_HOLDERS; s++) {
                struct holder *h = &holders[s];
                if (!h->ok)
                    continue;
                double t0 = bench_thread_cpu_ns();
                h->steps(h, steps);
                h->ns[r] = (bench_thread_cpu_ns() - t0) / (double)steps;
            }
        for (size_t s = 0; s < SC_HOLDERS; s++) {
            struct holder *h = &holders[s];
            if (!h->ok)
                continue;
            outstanding_result[ki][s] = bench_median(h->ns, rounds);
            outstanding_pools[ki][s] = h->pool_count;
            h->drain(h);
            h->ok = 0;
        }
    }
}

static void report_outstanding(FILE *md)
{
    printf("alloc+free with K packets outstanding, freed and reallocated in FIFO order (ns per step, median):\n");
    printf("  %10s", "K");
    for (size_t s = 0; s < SC_HOLDERS; s++)
        printf(" | %28s", holders[s].name);
    printf("\n");
    if (md) {
        fprintf(md, "\n### Packets outstanding (FIFO free+alloc, ns per step)\n\n| outstanding |");
        for (size_t s = 0; s < SC_HOLDERS; s++)
            fprintf(md, " %s |", holders[s].name);
        fprintf(md, "\n|---:|");
        for (size_t s = 0; s < SC_HOLDERS; s++)
            fprintf(md, "---:|");
        fprintf(md, "\n");
    }
    for (size_t ki = 0; ki < SC_KS; ki++) {
        printf("  %10ld", sc_outstanding[ki]);
        if (md)
            fprintf(md, "| %ld |", sc_outstanding[ki]);
        for (size_t s = 0; s < SC_HOLDERS; s++) {
            char cell[64];
            double v = outstanding_result[ki][s];
            if (v < 0)
                snprintf(cell, sizeof cell, "skipped");
            else if (outstanding_pools[ki][s] > 1)
                snprintf(cell, sizeof cell, "%.2f (%d pools)", v, outstanding_pools[ki][s]);
            else
                snprintf(cell, sizeof cell, "%.2f", v);
            printf(" | %28s", cell);
            if (md)
                fprintf(md, " %s |", cell);
        }
        printf("\n");
        if (md)
            fprintf(md, "\n");
    }
}

/* ====================================================================== */
/* Threads                                                                 */
/* ====================================================================== */

static NDIS_HANDLE th_pool;
static void th_nd(long n)
{
    for (long i = 0; i < n; i++) {
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(th_pool, 0, 0);
        sink = (ULONG_PTR)nbl;
        NdisFreeNetBufferList(nbl);
    }
}
static void th_malloc(long n)
{
    for (long i = 0; i < n; i++) {
        void *p = malloc(SC_MALLOC_BYTES);
        sink = (ULONG_PTR)p;
        free(p);
    }
}
#if NDISBUF_HAVE_DPDK
static struct rte_mempool *th_mbufs;
static void th_dpdk(long n)
{
    for (long i = 0; i < n; i++) {
        struct rte_mbuf *m = rte_pktmbuf_alloc(th_mbufs);
        sink = (ULONG_PTR)m;
        rte_pktmbuf_free(m);
    }
}
#endif

struct th_kind {
    const char *name;
    void (*run)(long n);
    int dpdk;
    double one[BENCH_MAX_ROUNDS], two[BENCH_MAX_ROUNDS];
    int ok;
};

struct th_arg {
    struct th_kind *kind;
    long n;
    pthread_barrier_t *start;
    double cpu_ns; /* the second thread's CPU time for its n pairs */
};

static void *th_second(void *p)
{
    struct th_arg *a = p;
    bench_pin(1);
#if NDISBUF_HAVE_DPDK
    int registered = a->kind->dpdk && rte_thread_register() == 0;
#endif
    pthread_barrier_wait(a->start);
    double t0 = bench_thread_cpu_ns();
    a->kind->run(a->n);
    a->cpu_ns = bench_thread_cpu_ns() - t0;
#if NDISBUF_HAVE_DPDK
    if (registered)
        rte_thread_unregister();
#endif
    return NULL;
}

/* ns per pair per thread while both run: the two threads' CPU time / pairs, averaged. */
static double th_two(struct th_kind *kind, long n)
{
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 2);
    struct th_arg a = {kind, n, &start, 0};
    pthread_t t;
    if (pthread_create(&t, NULL, th_second, &a) != 0)
        return -1;
    pthread_barrier_wait(&start);
    double t0 = bench_thread_cpu_ns();
    kind->run(n);
    double mine = bench_thread_cpu_ns() - t0;
    pthread_join(t, NULL);
    pthread_barrier_destroy(&start);
    return (mine + a.cpu_ns) / 2 / (double)n;
}

static void run_threads(int quick, int rounds, FILE *md)
{
    long n = quick ? 200000 : 2000000;
    struct th_kind kinds[] = {
        {"ndisbuf NBL+NB+2 KiB data (one pool)", th_nd, 0, {0}, {0}, 0},
        {"glibc malloc+free (same bytes)", th_malloc, 0, {0}, {0}, 0},
#if NDISBUF_HAVE_DPDK
        {"DPDK mbuf (one mempool, cache 256 each)", th_dpdk, 1, {0}, {0}, 0},
#endif
    };
    size_t count = sizeof(kinds) / sizeof(kinds[0]);
    th_pool = bench_nbl_pool(SC_DATA_SIZE, 0);
    kinds[0].ok = th_pool != NULL;
    kinds[1].ok = 1;
#if NDISBUF_HAVE_DPDK
    kinds[2].ok = dpdk_up && (th_mbufs = bench_dpdk_pool("threads", 8191)) != NULL;
#else
    fprintf(stderr, "scaling: DPDK peer skipped: built without libdpdk-dev\n");
#endif
    for (size_t k = 0; k < count; k++)
        if (kinds[k].ok)
            kinds[k].run(n / 10), th_two(&kinds[k], n / 10);
    for (int r = 0; r < rounds; r++)
        for (size_t k = 0; k < count; k++) {
            if (!kinds[k].ok)
                continue;
            double t0 = bench_thread_cpu_ns();
            kinds[k].run(n);
            kinds[k].one[r] = (bench_thread_cpu_ns() - t0) / (double)n;
            kinds[k].two[r] = th_two(&kinds[k], n);
        }
    printf("\nalloc+free pairs, each thread on its own (ns per pair per thread, median; Mpairs/s all threads):\n");
    if (md)
        fprintf(md, "\n### Threads (each doing its own alloc+free pairs on one shared pool)\n\n"
                    "| allocator | 1 thread ns/pair | 2 threads ns/pair per thread | 1 thread Mpairs/s | "
                    "2 threads Mpairs/s | scaling |\n|---|---:|---:|---:|---:|---:|\n");
    for (size_t k = 0; k < count; k++) {
        if (!kinds[k].ok) {
            printf("  %-42s skipped\n", kinds[k].name);
            if (md)
                fprintf(md, "| %s | skipped | | | | |\n", kinds[k].name);
            continue;
        }
        double one = bench_median(kinds[k].one, rounds), two = bench_median(kinds[k].two, rounds);
        printf("  %-42s 1 thread %7.2f ns (%6.1f M/s)   2 threads %7.2f ns each (%6.1f M/s)  x%.2f\n", kinds[k].name,
               one, 1e3 / one, two, 2e3 / two, (2e3 / two) / (1e3 / one));
        if (md)
            fprintf(md, "| %s | %.2f | %.2f | %.1f | %.1f | %.2fx |\n", kinds[k].name, one, two, 1e3 / one,
                    2e3 / two, (2e3 / two) / (1e3 / one));
        if (k == 0) {
            char nd[32], ratio[32];
            snprintf(nd, sizeof nd, "%.2f ns", two);
            snprintf(ratio, sizeof ratio, "%.2fx", two / one);
            char peer[64];
            snprintf(peer, sizeof peer, "1 thread %.2f ns", one);
            bench_row("alloc+free, 2 threads on one pool (per thread)", nd, peer, ratio, "-", "-");
        }
    }
    if (th_pool)
        NdisFreeNetBufferListPool(th_pool);
#if NDISBUF_HAVE_DPDK
    if (th_mbufs)
        rte_mempool_free(th_mbufs);
#endif
}

int main(void)
{
    int quick = bench_quick();
    int rounds = SC_ROUNDS;
    bench_pin(0);
    sc_mdl = NdisAllocateMdl(NULL, sc_frame, sizeof sc_frame);
#if NDISBUF_HAVE_DPDK
    dpdk_up = bench_dpdk_init();
#else
    fprintf(stderr, "scaling: DPDK peer skipped: built without libdpdk-dev\n");
#endif
    FILE *md = bench_fragment_open("scaling.md");
    run_outstanding(quick, rounds);
    report_outstanding(md);
    if (outstanding_result[0][1] > 0) {
        size_t last = quick ? 5 : SC_KS - 1;
        char nd[48], peer[48], ratio[16];
        snprintf(nd, sizeof nd, "%.2f ns", outstanding_result[last][1]);
        snprintf(peer, sizeof peer, "1 outstanding %.2f ns", outstanding_result[0][1]);
        snprintf(ratio, sizeof ratio, "%.2fx", outstanding_result[last][1] / outstanding_result[0][1]);
        char op[96];
        snprintf(op, sizeof op, "alloc+free with %ld outstanding (FIFO, NBL+NB+data)", sc_outstanding[last]);
        bench_row(op, outstanding_result[last][1] > 0 ? nd : "skipped", peer, ratio, "-", "-");
    }
    run_threads(quick, rounds, md);
    if (md)
        fclose(md);
    NdisFreeMdl(sc_mdl);
#if NDISBUF_HAVE_DPDK
    if (dpdk_up)
        rte_eal_cleanup();
#endif
    return 0;
}
