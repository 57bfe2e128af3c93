/* SPDX-License-Identifier: MIT */
/*
 * What every benchmark in bench/ shares: clocks, pinning, the quick mode,
 * the side-by-side runner (sides alternate over rounds, medians), the
 * summary rows that bench/run.sh turns into one table, and DPDK's EAL set
 * up exactly as issue 8 fixes it. Header-only: every bench/<name>.c is its
 * own program (bench/CMakeLists.txt).
 *
 * Environment:
 *   BENCH_QUICK=1            a few rounds of short loops (smoke test, < 30 s all told)
 *   NDISBUF_BENCH_RESULTS    file the summary rows are appended to (TSV)
 *   NDISBUF_BENCH_DIR        directory for markdown fragments (scaling tables)
 */
#ifndef NDISBUF_BENCH_H
#define NDISBUF_BENCH_H

/* Include this first: pinning needs the GNU declarations. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include <ndis.h>

#if NDISBUF_HAVE_DPDK
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#endif

#define BENCH_MAX_ROUNDS 16

/* Every result goes through here so that no loop is optimised away. */
static volatile ULONG_PTR sink;

static inline double bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/*
 * CPU time of the calling thread. Single-thread sides are timed with it,
 * not with the wall clock: on a machine shared with other work, a side
 * whose run is longer than a scheduler slice would otherwise be charged
 * for the time other processes ran on its CPU, and a short one would not.
 */
static inline double bench_thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* CPU seconds of the whole process (every thread, user + system). */
static inline double bench_process_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static inline int bench_quick(void)
{
    const char *q = getenv("BENCH_QUICK");
    return q && *q && strcmp(q, "0") != 0;
}

/* Pins the calling thread to one CPU (ignored when the CPU is not ours). */
static inline void bench_pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    (void)sched_setaffinity(0, sizeof(set), &set);
}

static inline int bench_compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static inline double bench_median(const double *v, int n)
{
    double s[BENCH_MAX_ROUNDS];
    memcpy(s, v, (size_t)n * sizeof(double));
    qsort(s, (size_t)n, sizeof(double), bench_compare_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static inline double bench_min(const double *v, int n)
{
    double m = v[0];
    for (int i = 1; i < n; i++)
        m = v[i] < m ? v[i] : m;
    return m;
}

/* ---- the side-by-side runner ---- */

/*
 * One side: ready() says whether it can run (a missing peer says why on
 * stderr and returns 0); run(n) does n operations. Each round runs every
 * side once, in order, so slow phases of a noisy machine hit all sides
 * alike; the figure kept is the median over rounds of ns per operation,
 * in CPU time of the calling thread, or in wall time for a side that uses
 * other threads (wall = 1).
 */
struct bench_side {
    const char *key;  /* short name the summary refers to */
    const char *name; /* what it does, as printed */
    int (*ready)(void);
    void (*run)(long n);
    long scale; /* n given to run() is ops / scale (bulk: 32 packets per call) */
    double ns[BENCH_MAX_ROUNDS];
    int ok;
    int wall;
};

static inline void bench_run_sides(struct bench_side *sides, size_t count, int rounds, long ops)
{
    for (size_t s = 0; s < count; s++) {
        long scale = sides[s].scale ? sides[s].scale : 1;
        sides[s].ok = sides[s].ready();
        if (sides[s].ok)
            sides[s].run(ops / 10 / scale); /* warm up: grow pools, fill caches */
    }
    for (int r = 0; r < rounds; r++)
        for (size_t s = 0; s < count; s++) {
            if (!sides[s].ok)
                continue;
            long scale = sides[s].scale ? sides[s].scale : 1;
            long n = ops / scale;
            double (*clock)(void) = sides[s].wall ? bench_now_ns : bench_thread_cpu_ns;
            double t0 = clock();
            sides[s].run(n);
            sides[s].ns[r] = (clock() - t0) / (double)(n * scale);
        }
}

static inline const struct bench_side *bench_find(const struct bench_side *sides, size_t count, const char *key)
{
    for (size_t s = 0; s < count; s++)
        if (strcmp(sides[s].key, key) == 0)
            return sides[s].ok ? &sides[s] : NULL;
    return NULL;
}

static inline double bench_side_median(const struct bench_side *side, int rounds)
{
    return side ? bench_median(side->ns, rounds) : -1;
}

/* ---- summary rows (bench/run.sh prints them as one table) ---- */

/*
 * Appends one row: operation, ndisbuf figure, peer (name and figure),
 * ratio, target, met. Figures are already formatted; "-" where there is
 * none. Also printed on stdout.
 */
static inline void bench_row(const char *op, const char *ndisbuf, const char *peer, const char *ratio,
                             const char *target, const char *met)
{
    printf("  SUMMARY | %s | %s | %s | %s | %s | %s\n", op, ndisbuf, peer, ratio, target, met);
    const char *path = getenv("NDISBUF_BENCH_RESULTS");
    if (!path || !*path)
        return;
    FILE *f = fopen(path, "a");
    if (!f)
        return;
    fprintf(f, "%s\t%s\t%s\t%s\t%s\t%s\n", op, ndisbuf, peer, ratio, target, met);
    fclose(f);
}

/* peer_ns for an operation that has no peer at all (not a skipped one). */
#define BENCH_NO_PEER (-2.0)

/*
 * A row comparing ns per operation: ratio ndisbuf / peer; when max_ratio
 * is > 0 the target is "<= max_ratio x <peer_short>" and met says whether
 * it holds. A missing side (ns < 0) prints "skipped".
 */
static inline void bench_row_ns(const char *op, double nd_ns, const char *peer_name, double peer_ns,
                                double max_ratio, const char *peer_short)
{
    char nd[64], peer[96], ratio[32], target[64], met[16];
    snprintf(nd, sizeof nd, nd_ns < 0 ? "skipped" : "%.2f ns", nd_ns);
    if (peer_ns <= BENCH_NO_PEER)
        snprintf(peer, sizeof peer, "%s", peer_name);
    else if (peer_ns < 0)
        snprintf(peer, sizeof peer, "%s: skipped", peer_name);
    else
        snprintf(peer, sizeof peer, "%s %.2f ns", peer_name, peer_ns);
    int have = nd_ns >= 0 && peer_ns > 0;
    snprintf(ratio, sizeof ratio, have ? "%.2fx" : "-", have ? nd_ns / peer_ns : 0.0);
    if (max_ratio > 0)
        snprintf(target, sizeof target, "<= %.1fx %s", max_ratio, peer_short);
    else
        snprintf(target, sizeof target, "-");
    snprintf(met, sizeof met, "%s", max_ratio <= 0 || !have ? "-" : nd_ns / peer_ns <= max_ratio ? "yes" : "NO");
    bench_row(op, nd, peer, ratio, target, met);
}

/* Appends a markdown fragment (a whole table) to $NDISBUF_BENCH_DIR/<file>. */
static inline FILE *bench_fragment_open(const char *file)
{
    const char *dir = getenv("NDISBUF_BENCH_DIR");
    if (!dir || !*dir)
        return NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return fopen(path, "a");
}

/* ---- DPDK, exactly as issue 8 fixes it ---- */
#if NDISBUF_HAVE_DPDK
/*
 * EAL without huge pages, PCI, shared config or telemetry, on lcore 0 only.
 * EAL pins the calling thread to CPU 0. Returns 1 when it is up.
 */
static inline int bench_dpdk_init(void)
{
    static int state = -1;
    if (state >= 0)
        return state;
    static char *eal_args[] = {"bench", "--no-huge", "--no-pci", "-m", "256", "--no-shconf",
                               "--no-telemetry", "-l", "0", "--log-level=error"};
    state = rte_eal_init((int)(sizeof(eal_args) / sizeof(eal_args[0])), eal_args) >= 0;
    if (!state)
        fprintf(stderr, "bench: DPDK EAL init failed (%s); DPDK peer skipped\n", rte_strerror(rte_errno));
    return state;
}

/* An mbuf pool: cache 256, default 2 KiB + headroom buffers. */
static inline struct rte_mempool *bench_dpdk_pool(const char *name, unsigned count)
{
    struct rte_mempool *mp = rte_pktmbuf_pool_create(name, count, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    if (!mp)
        fprintf(stderr, "bench: rte_pktmbuf_pool_create(%u) failed (%s); DPDK peer skipped there\n", count,
                rte_strerror(rte_errno));
    return mp;
}
#endif

/* The NBL pool every benchmark uses: fAllocateNetBuffer, DataSize and ContextSize as given. */
static inline NDIS_HANDLE bench_nbl_pool(ULONG data_size, USHORT context_size)
{
    NET_BUFFER_LIST_POOL_PARAMETERS p;
    memset(&p, 0, sizeof p);
    p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    p.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    p.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    p.fAllocateNetBuffer = TRUE;
    p.ContextSize = context_size;
    p.PoolTag = 0x68636E42; /* "Bnch" */
    p.DataSize = data_size;
    return NdisAllocateNetBufferListPool(NULL, &p);
}

#endif /* NDISBUF_BENCH_H */
