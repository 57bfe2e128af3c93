/* SPDX-License-Identifier: MIT */
/*
 * The allocation + free pair, side by side with its peers in one process.
 *
 * Each side runs a tight loop of N alloc+free pairs; the sides alternate
 * over several rounds and the median ns per pair is reported, with the
 * ratio to the first ndisbuf side of its group. Groups: the plain pair
 * (peers: glibc malloc/free of the same bytes and, when built with DPDK,
 * rte_pktmbuf_alloc/rte_pktmbuf_free on an mbuf pool with a 256-entry
 * per-lcore cache, EAL without huge pages or PCI) and the clone + free of a
 * one-MDL packet (peer: rte_pktmbuf_clone + rte_pktmbuf_free). A missing
 * peer is skipped with a message, never faked.
 */
#include <ndis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if NDISBUF_HAVE_DPDK
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#endif

#define PAIRS 2000000
#define ROUNDS 7

struct side {
    const char *group;
    const char *name;
    int (*setup)(void);
    void (*run)(long pairs);
    void (*teardown)(void);
    double ns[ROUNDS];
    int ok;
};

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static volatile ULONG_PTR sink;

/* ---- ndisbuf: the cheap path on a caller's MDL ---- */
static NDIS_HANDLE nbl_pool, data_pool;
static PMDL frame_mdl;
static UCHAR frame[2048];

static NDIS_HANDLE make_pool(ULONG data_size)
{
    NET_BUFFER_LIST_POOL_PARAMETERS p = {0};
    p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    p.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    p.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    p.fAllocateNetBuffer = TRUE;
    p.PoolTag = 0x68636E42; /* "Bnch" */
    p.DataSize = data_size;
    return NdisAllocateNetBufferListPool(NULL, &p);
}

static int ndisbuf_setup(void)
{
    nbl_pool = make_pool(0);
    data_pool = make_pool(2048);
    frame_mdl = NdisAllocateMdl(NULL, frame, sizeof(frame));
    return nbl_pool && data_pool && frame_mdl;
}

static void ndisbuf_cheap_run(long pairs)
{
    for (long i = 0; i < pairs; i++) {
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(nbl_pool, 0, 0, frame_mdl, 0, 64);
        sink = (ULONG_PTR)nbl;
        NdisFreeNetBufferList(nbl);
    }
}

static int ndisbuf_data_ready(void)
{
    return data_pool != NULL;
}

static void ndisbuf_data_run(long pairs)
{
    for (long i = 0; i < pairs; i++) {
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(data_pool, 0, 0);
        sink = (ULONG_PTR)nbl;
        NdisFreeNetBufferList(nbl);
    }
}

/* ---- ndisbuf: clone + free of a packet on one MDL ---- */
static PNET_BUFFER_LIST clone_parent;

static int ndisbuf_clone_ready(void)
{
    clone_parent = nbl_pool ? NdisAllocateNetBufferAndNetBufferList(nbl_pool, 0, 0, frame_mdl, 0, 1514) : NULL;
    return clone_parent != NULL;
}

static void ndisbuf_clone_run_flags(long pairs, ULONG flags)
{
    for (long i = 0; i < pairs; i++) {
        PNET_BUFFER_LIST clone = NdisAllocateCloneNetBufferList(clone_parent, nbl_pool, NULL, flags);
        sink = (ULONG_PTR)clone;
        NdisFreeCloneNetBufferList(clone, flags);
    }
}

static void ndisbuf_clone_run(long pairs)
{
    ndisbuf_clone_run_flags(pairs, 0);
}

static void ndisbuf_clone_original_mdls_run(long pairs)
{
    ndisbuf_clone_run_flags(pairs, NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS);
}

static int ndisbuf_clone_original_ready(void)
{
    return clone_parent != NULL;
}

static void ndisbuf_teardown(void)
{
    if (clone_parent)
        NdisFreeNetBufferList(clone_parent);
    NdisFreeMdl(frame_mdl);
    NdisFreeNetBufferListPool(nbl_pool);
    NdisFreeNetBufferListPool(data_pool);
}

/* ---- glibc malloc of an NBL+NB+MDL+data sized block ---- */
static int nothing_setup(void)
{
    return 1;
}
static void nothing_teardown(void)
{
}
static void malloc_run(long pairs)
{
    for (long i = 0; i < pairs; i++) {
        void *p = malloc(sizeof(NET_BUFFER_LIST) + sizeof(NET_BUFFER) + sizeof(MDL) + 2048);
        sink = (ULONG_PTR)p;
        free(p);
    }
}

/* ---- DPDK mbuf pool ---- */
#if NDISBUF_HAVE_DPDK
static struct rte_mempool *mbuf_pool;
static int dpdk_setup(void)
{
    static char *eal_args[] = {"bench", "--no-huge", "--no-pci", "-m", "256", "--no-shconf",
                               "--no-telemetry", "-l", "0", "--log-level=error"};
    if (rte_eal_init((int)(sizeof(eal_args) / sizeof(eal_args[0])), eal_args) < 0) {
        fprintf(stderr, "bench: DPDK EAL init failed (%s); DPDK peer skipped\n", rte_strerror(rte_errno));
        return 0;
    }
    mbuf_pool = rte_pktmbuf_pool_create("bench", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    if (!mbuf_pool)
        fprintf(stderr, "bench: rte_pktmbuf_pool_create failed; DPDK peer skipped\n");
    return mbuf_pool != NULL;
}
static void dpdk_run(long pairs)
{
    for (long i = 0; i < pairs; i++) {
        struct rte_mbuf *m = rte_pktmbuf_alloc(mbuf_pool);
        sink = (ULONG_PTR)m;
        rte_pktmbuf_free(m);
    }
}
static struct rte_mbuf *dpdk_clone_parent;
static int dpdk_clone_ready(void)
{
    if (!mbuf_pool || !(dpdk_clone_parent = rte_pktmbuf_alloc(mbuf_pool)))
        return 0;
    return rte_pktmbuf_append(dpdk_clone_parent, 1514) != NULL;
}
static void dpdk_clone_run(long pairs)
{
    for (long i = 0; i < pairs; i++) {
        struct rte_mbuf *m = rte_pktmbuf_clone(dpdk_clone_parent, mbuf_pool);
        sink = (ULONG_PTR)m;
        rte_pktmbuf_free(m);
    }
}
static void dpdk_teardown(void)
{
    rte_pktmbuf_free(dpdk_clone_parent);
    rte_mempool_free(mbuf_pool);
    rte_eal_cleanup();
}
#endif

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v)
{
    double s[ROUNDS];
    memcpy(s, v, sizeof(s));
    qsort(s, ROUNDS, sizeof(double), compare_double);
    return s[ROUNDS / 2];
}

int main(void)
{
    struct side sides[] = {
        {"alloc+free", "ndisbuf NBL+NB on caller MDL (cheap path)", ndisbuf_setup, ndisbuf_cheap_run, NULL, {0}, 0},
        {"alloc+free", "ndisbuf NBL+NB+MDL+2 KiB data", ndisbuf_data_ready, ndisbuf_data_run, ndisbuf_teardown, {0}, 0},
        {"alloc+free", "glibc malloc+free of the same bytes", nothing_setup, malloc_run, nothing_teardown, {0}, 0},
#if NDISBUF_HAVE_DPDK
        {"alloc+free", "DPDK rte_pktmbuf_alloc+free (cache 256)", dpdk_setup, dpdk_run, dpdk_teardown, {0}, 0},
#endif
        {"clone+free", "ndisbuf clone, new MDLs", ndisbuf_clone_ready, ndisbuf_clone_run, NULL, {0}, 0},
        {"clone+free", "ndisbuf clone, USE_ORIGINAL_MDLS", ndisbuf_clone_original_ready,
         ndisbuf_clone_original_mdls_run, NULL, {0}, 0},
#if NDISBUF_HAVE_DPDK
        {"clone+free", "DPDK rte_pktmbuf_clone+free", dpdk_clone_ready, dpdk_clone_run, NULL, {0}, 0},
#endif
    };
    size_t n = sizeof(sides) / sizeof(sides[0]);
    if (!NDISBUF_HAVE_DPDK)
        printf("DPDK peer skipped: built without libdpdk-dev\n");
    for (size_t s = 0; s < n; s++) {
        sides[s].ok = sides[s].setup();
        if (sides[s].ok)
            sides[s].run(PAIRS / 10); /* warm up: grow pools, fill caches */
    }
    for (int r = 0; r < ROUNDS; r++)
        for (size_t s = 0; s < n; s++) {
            if (!sides[s].ok)
                continue;
            double t0 = now_ns();
            sides[s].run(PAIRS);
            sides[s].ns[r] = (now_ns() - t0) / PAIRS;
        }
    printf("median of %d rounds x %d pairs, one process; ratio to the group's first ndisbuf side:\n", ROUNDS,
           PAIRS);
    double base = 0;
    for (size_t s = 0; s < n; s++) {
        if (!sides[s].ok)
            continue;
        double m = median(sides[s].ns);
        if (s == 0 || strcmp(sides[s].group, sides[s - 1].group) != 0) {
            printf(" %s\n", sides[s].group);
            base = m;
        }
        printf("  %-44s %7.2f ns/pair   %.2fx\n", sides[s].name, m, m / base);
    }
    for (size_t s = n; s-- > 0;)
        if (sides[s].ok && sides[s].teardown)
            sides[s].teardown();
    return 0;
}
