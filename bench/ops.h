/* SPDX-License-Identifier: MIT */
/*
 * The single-thread operations measured side by side (bench/side_by_side.c)
 * and counted in instructions under callgrind (bench/instructions.c): each
 * is a run(n) loop of n operations with a ready() that says whether it can
 * run. ndisbuf is used through its public API only (<ndis.h>, <ndisbuf.h>).
 * docs/performance.md says why each ndisbuf side is the honest equivalent
 * of its peer; the short version is beside each group below.
 */
#ifndef NDISBUF_BENCH_OPS_H
#define NDISBUF_BENCH_OPS_H

#include "bench.h" /* first: it defines _GNU_SOURCE */

#include <ndisbuf.h>

#define OPS_DATA_SIZE 2048   /* an mbuf's data room (RTE_MBUF_DEFAULT_DATAROOM) */
#define OPS_HEADROOM 128     /* RTE_PKTMBUF_HEADROOM: back-fill in front of a fresh packet */
#define OPS_HEADER 14        /* an Ethernet header */
#define OPS_BULK 32
#define OPS_CONTEXT 16
#define OPS_MALLOC_BYTES (sizeof(NET_BUFFER_LIST) + sizeof(NET_BUFFER) + sizeof(MDL) + OPS_DATA_SIZE)

static const UCHAR ops_header[OPS_HEADER] = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x88, 0xB5};

/* ---- state made once by ops_setup() ---- */
static NDIS_HANDLE ops_data_pool;  /* fAllocateNetBuffer, DataSize 2048: NBL+NB+MDL+data per element */
static NDIS_HANDLE ops_cheap_pool; /* fAllocateNetBuffer, DataSize 0: NBL+NB on a caller's MDL */
static NDIS_HANDLE ops_ctx_pool;   /* ContextSize 16: context back-fill in the element */
static NDIS_HANDLE ops_backfill_pool; /* DataSize 2048 with a 128-byte data back-fill (ndisbuf extension) */
static PMDL ops_frame_mdl;
static _Alignas(64) UCHAR ops_frame[2][OPS_DATA_SIZE];
static PNET_BUFFER_LIST ops_clone_parent, ops_ctx_nbl, ops_ctx_nbl_no_backfill, ops_read_nbl;
static USHORT ops_ctx_backfill_ok; /* the context push really stays in back-fill */
#if NDISBUF_HAVE_DPDK
static int ops_dpdk_up;
static struct rte_mempool *ops_mbuf_pool;
static struct rte_mbuf *ops_dpdk_clone_parent, *ops_dpdk_read_mbuf;
#endif

static void ops_setup(int with_dpdk)
{
    ops_data_pool = bench_nbl_pool(OPS_DATA_SIZE, 0);
    ops_cheap_pool = bench_nbl_pool(0, 0);
    ops_ctx_pool = bench_nbl_pool(0, OPS_CONTEXT);
    ops_backfill_pool = bench_nbl_pool(OPS_DATA_SIZE, 0);
    if (ops_backfill_pool && ndisbuf_nbl_pool_set_data_backfill(ops_backfill_pool, OPS_HEADROOM) != NDIS_STATUS_SUCCESS) {
        NdisFreeNetBufferListPool(ops_backfill_pool);
        ops_backfill_pool = NULL;
    }
    ops_frame_mdl = NdisAllocateMdl(NULL, ops_frame[0], OPS_DATA_SIZE);
    if (ops_cheap_pool && ops_frame_mdl)
        ops_clone_parent = NdisAllocateNetBufferAndNetBufferList(ops_cheap_pool, 0, 0, ops_frame_mdl, 0, 1514);
    if (ops_ctx_pool) {
        /* Context 0 used, 16 back-fill: a 16-byte push fits without allocating. */
        ops_ctx_nbl = NdisAllocateNetBufferList(ops_ctx_pool, 0, OPS_CONTEXT);
        ops_ctx_nbl_no_backfill = NdisAllocateNetBufferList(ops_ctx_pool, OPS_CONTEXT, 0);
        ops_ctx_backfill_ok = ops_ctx_nbl && ops_ctx_nbl->Context != NULL &&
                              NET_BUFFER_LIST_CONTEXT_DATA_SIZE(ops_ctx_nbl) >= OPS_CONTEXT;
    }
    if (ops_data_pool) {
        ops_read_nbl = NdisAllocateNetBufferList(ops_data_pool, 0, 0);
        if (ops_read_nbl) {
            PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(ops_read_nbl);
            NdisAdvanceNetBufferDataStart(nb, OPS_HEADROOM, FALSE, NULL);
            NET_BUFFER_DATA_LENGTH(nb) = 64;
        }
    }
#if NDISBUF_HAVE_DPDK
    if (with_dpdk && bench_dpdk_init() && (ops_mbuf_pool = bench_dpdk_pool("ops", 8191)) != NULL) {
        ops_dpdk_clone_parent = rte_pktmbuf_alloc(ops_mbuf_pool);
        ops_dpdk_read_mbuf = rte_pktmbuf_alloc(ops_mbuf_pool);
        ops_dpdk_up = ops_dpdk_clone_parent && ops_dpdk_read_mbuf &&
                      rte_pktmbuf_append(ops_dpdk_clone_parent, 1514) != NULL &&
                      rte_pktmbuf_append(ops_dpdk_read_mbuf, 64) != NULL;
    }
#else
    (void)with_dpdk;
#endif
}

static void ops_teardown(void)
{
    if (ops_read_nbl)
        NdisFreeNetBufferList(ops_read_nbl);
    if (ops_ctx_nbl)
        NdisFreeNetBufferList(ops_ctx_nbl);
    if (ops_ctx_nbl_no_backfill)
        NdisFreeNetBufferList(ops_ctx_nbl_no_backfill);
    if (ops_clone_parent)
        NdisFreeNetBufferList(ops_clone_parent);
    if (ops_frame_mdl)
        NdisFreeMdl(ops_frame_mdl);
    NdisFreeNetBufferListPool(ops_data_pool);
    NdisFreeNetBufferListPool(ops_cheap_pool);
    NdisFreeNetBufferListPool(ops_ctx_pool);
    if (ops_backfill_pool)
        NdisFreeNetBufferListPool(ops_backfill_pool);
#if NDISBUF_HAVE_DPDK
    if (ops_mbuf_pool) {
        rte_pktmbuf_free(ops_dpdk_clone_parent);
        rte_pktmbuf_free(ops_dpdk_read_mbuf);
        rte_mempool_free(ops_mbuf_pool);
    }
#endif
}

static int ops_ready_data(void) { return ops_data_pool != NULL; }
static int ops_ready_cheap(void) { return ops_cheap_pool != NULL && ops_frame_mdl != NULL; }
static int ops_ready_always(void) { return 1; }
static int ops_dpdk_ready(void)
{
#if NDISBUF_HAVE_DPDK
    if (ops_dpdk_up)
        return 1;
    fprintf(stderr, "bench: DPDK peer skipped (EAL or mbuf pool not available)\n");
#else
    static int said;
    if (!said++)
        fprintf(stderr, "bench: DPDK peer skipped: built without libdpdk-dev\n");
#endif
    return 0;
}

/* ---- the empty loop (what callgrind subtracts) ---- */
static __attribute__((unused)) void op_loop(long n)
{
    for (long i = 0; i < n; i++)
        sink = (ULONG_PTR)i;
}

/* ---- the floor: a bare per-thread free list, pop + init + push ---- */
/*
 * What issue 8 calls the floor: an array stack per thread, pop an element,
 * initialise one cache line of it (what an allocator must reset), push it
 * back. Out of line like a library call; the barrier keeps the compiler
 * from folding the pair away.
 */
#define OPS_FLOOR_ELEMENTS 256
struct ops_floor_element {
    _Alignas(64) void *fields[8];
    UCHAR rest[640 - 64];
};
static struct ops_floor_element ops_floor_store[OPS_FLOOR_ELEMENTS];
static _Thread_local struct {
    void *stack[OPS_FLOOR_ELEMENTS];
    int count;
} ops_floor;

static __attribute__((noinline)) void *ops_floor_alloc(void)
{
    if (ops_floor.count == 0)
        return NULL;
    struct ops_floor_element *e = ops_floor.stack[--ops_floor.count];
    memset(e->fields, 0, sizeof(e->fields));
    e->fields[0] = e;
    __asm__ volatile("" : : "r"(e) : "memory");
    return e;
}

static __attribute__((noinline)) void ops_floor_free(void *e)
{
    ops_floor.stack[ops_floor.count++] = e;
    __asm__ volatile("" : : "r"(e) : "memory");
}

static int ops_floor_ready(void)
{
    if (ops_floor.count == 0)
        for (int i = 0; i < OPS_FLOOR_ELEMENTS; i++)
            ops_floor.stack[ops_floor.count++] = &ops_floor_store[i];
    return 1;
}

static void op_floor(long n)
{
    for (long i = 0; i < n; i++) {
        void *e = ops_floor_alloc();
        sink = (ULONG_PTR)e;
        ops_floor_free(e);
    }
}

/* ---- (a) alloc + free ---- */
/* An NBL with its NB, MDL and 2 KiB of data: what an mbuf is. */
static void op_nd_data(long n)
{
    for (long i = 0; i < n; i++) {
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(ops_data_pool, 0, 0);
        sink = (ULONG_PTR)nbl;
        NdisFreeNetBufferList(nbl);
    }
}

/* NBL+NB describing a caller's MDL (the data is the caller's). */
static void op_nd_cheap(long n)
{
    for (long i = 0; i < n; i++) {
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(ops_cheap_pool, 0, 0, ops_frame_mdl, 0, 64);
        sink = (ULONG_PTR)nbl;
        NdisFreeNetBufferList(nbl);
    }
}

static void op_malloc(long n)
{
    for (long i = 0; i < n; i++) {
        void *p = malloc(OPS_MALLOC_BYTES);
        sink = (ULONG_PTR)p;
        free(p);
    }
}

/* ---- (b) alloc, 14-byte retreat into back-fill, header write, free ---- */
/* NB born with 128 bytes of back-fill over the caller's MDL (DataOffset 128, DataLength 0). */
static void op_nd_retreat_mdl(long n)
{
    for (long i = 0; i < n; i++) {
        PNET_BUFFER_LIST nbl =
            NdisAllocateNetBufferAndNetBufferList(ops_cheap_pool, 0, 0, ops_frame_mdl, OPS_HEADROOM, 0);
        PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
        NdisRetreatNetBufferDataStart(nb, OPS_HEADER, 0, NULL);
        PUCHAR h = NdisGetDataBuffer(nb, OPS_HEADER, NULL, 1, 0);
        memcpy(h, ops_header, OPS_HEADER);
        sink = (ULONG_PTR)h;
        NdisFreeNetBufferList(nbl);
    }
}

/*
 * An NBL with its own 2 KiB: allocation gives DataOffset 0, so the
 * headroom DPDK sets in rte_pktmbuf_reset is an advance here (as rawprot
 * does), then the same retreat and write.
 */
static void op_nd_retreat_data(long n)
{
    for (long i = 0; i < n; i++) {
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(ops_data_pool, 0, 0);
        PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
        NdisAdvanceNetBufferDataStart(nb, OPS_HEADROOM, FALSE, NULL);
        NET_BUFFER_DATA_LENGTH(nb) = 0;
        NdisRetreatNetBufferDataStart(nb, OPS_HEADER, 0, NULL);
        PUCHAR h = NdisGetDataBuffer(nb, OPS_HEADER, NULL, 1, 0);
        memcpy(h, ops_header, OPS_HEADER);
        sink = (ULONG_PTR)h;
        NdisFreeNetBufferList(nbl);
    }
}

/*
 * The same with the pool's data back-fill set (ndisbuf_nbl_pool_set_data_backfill):
 * fresh NBLs start at DataOffset 128, as a fresh mbuf starts at its headroom.
 */
static void op_nd_retreat_backfill(long n)
{
    for (long i = 0; i < n; i++) {
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(ops_backfill_pool, 0, 0);
        PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
        NdisRetreatNetBufferDataStart(nb, OPS_HEADER, 0, NULL);
        PUCHAR h = NdisGetDataBuffer(nb, OPS_HEADER, NULL, 1, 0);
        memcpy(h, ops_header, OPS_HEADER);
        sink = (ULONG_PTR)h;
        NdisFreeNetBufferList(nbl);
    }
}

static int ops_ready_backfill(void) { return ops_backfill_pool != NULL; }

static void op_malloc_retreat(long n)
{
    for (long i = 0; i < n; i++) {
        UCHAR *p = malloc(OPS_MALLOC_BYTES);
        UCHAR *h = p + OPS_HEADROOM - OPS_HEADER;
        memcpy(h, ops_header, OPS_HEADER);
        sink = (ULONG_PTR)h;
        free(p);
    }
}

/* ---- (c) bulk 32 ---- */
static void op_nd_bulk(long n)
{
    PNET_BUFFER_LIST a[OPS_BULK];
    for (long i = 0; i < n; i++) {
        if (ndisbuf_nbl_alloc_bulk(ops_data_pool, 0, 0, a, OPS_BULK) != NDIS_STATUS_SUCCESS)
            abort();
        sink = (ULONG_PTR)a[OPS_BULK - 1];
        ndisbuf_nbl_free_bulk(a, OPS_BULK);
    }
}

/* The same 32 with the single calls, to show what the bulk calls gain. */
static void op_nd_bulk_singles(long n)
{
    PNET_BUFFER_LIST a[OPS_BULK];
    for (long i = 0; i < n; i++) {
        for (int j = 0; j < OPS_BULK; j++)
            a[j] = NdisAllocateNetBufferList(ops_data_pool, 0, 0);
        sink = (ULONG_PTR)a[OPS_BULK - 1];
        for (int j = 0; j < OPS_BULK; j++)
            NdisFreeNetBufferList(a[j]);
    }
}

static void op_malloc_bulk(long n)
{
    void *a[OPS_BULK];
    for (long i = 0; i < n; i++) {
        for (int j = 0; j < OPS_BULK; j++)
            a[j] = malloc(OPS_MALLOC_BYTES);
        sink = (ULONG_PTR)a[OPS_BULK - 1];
        for (int j = 0; j < OPS_BULK; j++)
            free(a[j]);
    }
}

/* ---- (d) clone + free of a one-MDL 1514-byte packet ---- */
static int ops_ready_clone(void) { return ops_clone_parent != NULL; }

static void op_nd_clone(long n)
{
    for (long i = 0; i < n; i++) {
        PNET_BUFFER_LIST c = NdisAllocateCloneNetBufferList(ops_clone_parent, ops_cheap_pool, NULL, 0);
        sink = (ULONG_PTR)c;
        NdisFreeCloneNetBufferList(c, 0);
    }
}

static void op_nd_clone_orig(long n)
{
    for (long i = 0; i < n; i++) {
        PNET_BUFFER_LIST c = NdisAllocateCloneNetBufferList(ops_clone_parent, ops_cheap_pool, NULL,
                                                            NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS);
        sink = (ULONG_PTR)c;
        NdisFreeCloneNetBufferList(c, NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS);
    }
}

/* ---- (e) a two-segment packet, built and freed ---- */
/* Two MDLs on two 2 KiB buffers, linked; an NBL+NB over 3000 bytes of them; all freed. */
static void op_nd_chain_mdl(long n)
{
    for (long i = 0; i < n; i++) {
        PMDL m1 = NdisAllocateMdl(NULL, ops_frame[0], OPS_DATA_SIZE);
        PMDL m2 = NdisAllocateMdl(NULL, ops_frame[1], OPS_DATA_SIZE);
        NDIS_MDL_LINKAGE(m1) = m2;
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(ops_cheap_pool, 0, 0, m1, 0, 3000);
        sink = (ULONG_PTR)nbl;
        NdisFreeNetBufferList(nbl);
        NdisFreeMdl(m2);
        NdisFreeMdl(m1);
    }
}

/* An NBL with its own data, retreated by 64 with no back-fill: the library puts an MDL+buffer in front. */
static void op_nd_chain_retreat(long n)
{
    for (long i = 0; i < n; i++) {
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(ops_data_pool, 0, 0);
        if (NdisRetreatNetBufferDataStart(NET_BUFFER_LIST_FIRST_NB(nbl), 64, 0, NULL) != NDIS_STATUS_SUCCESS)
            abort();
        sink = (ULONG_PTR)nbl;
        NdisFreeNetBufferList(nbl);
    }
}

static void op_malloc_chain(long n)
{
    for (long i = 0; i < n; i++) {
        void *a = malloc(OPS_MALLOC_BYTES), *b = malloc(OPS_MALLOC_BYTES);
        sink = (ULONG_PTR)a ^ (ULONG_PTR)b;
        free(b);
        free(a);
    }
}

/* ---- (g) context push + pop ---- */
static int ops_ready_ctx(void)
{
    if (!ops_ctx_nbl || !ops_ctx_backfill_ok)
        fprintf(stderr, "bench: context NBL not available; context push/pop skipped\n");
    return ops_ctx_nbl != NULL && ops_ctx_backfill_ok;
}
static int ops_ready_ctx_alloc(void) { return ops_ctx_nbl_no_backfill != NULL; }

/* 16 bytes pushed into the back-fill the NBL was allocated with (no allocation). */
static void op_nd_ctx(long n)
{
    for (long i = 0; i < n; i++) {
        if (NdisAllocateNetBufferListContext(ops_ctx_nbl, OPS_CONTEXT, 0, 0x78746354) != NDIS_STATUS_SUCCESS)
            abort();
        sink = (ULONG_PTR)NET_BUFFER_LIST_CONTEXT_DATA_START(ops_ctx_nbl);
        NdisFreeNetBufferListContext(ops_ctx_nbl, OPS_CONTEXT);
    }
}

/* 16 bytes pushed with no back-fill left: a context block is allocated and freed. */
static void op_nd_ctx_alloc(long n)
{
    for (long i = 0; i < n; i++) {
        if (NdisAllocateNetBufferListContext(ops_ctx_nbl_no_backfill, OPS_CONTEXT, 0, 0x78746354) !=
            NDIS_STATUS_SUCCESS)
            abort();
        sink = (ULONG_PTR)NET_BUFFER_LIST_CONTEXT_DATA_START(ops_ctx_nbl_no_backfill);
        NdisFreeNetBufferListContext(ops_ctx_nbl_no_backfill, OPS_CONTEXT);
    }
}

/* ---- (h) a pointer to a contiguous 14-byte header ---- */
static int ops_ready_read(void) { return ops_read_nbl != NULL; }

static void op_nd_getdata(long n)
{
    UCHAR storage[OPS_HEADER];
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(ops_read_nbl);
    for (long i = 0; i < n; i++) {
        __asm__ volatile("" : "+r"(nb)); /* a new packet each time, as far as the compiler knows */
        PUCHAR h = NdisGetDataBuffer(nb, OPS_HEADER, storage, 1, 0);
        sink = h[12];
    }
}

/* ---- DPDK ---- */
#if NDISBUF_HAVE_DPDK
static void op_dpdk(long n)
{
    for (long i = 0; i < n; i++) {
        struct rte_mbuf *m = rte_pktmbuf_alloc(ops_mbuf_pool);
        sink = (ULONG_PTR)m;
        rte_pktmbuf_free(m);
    }
}

static void op_dpdk_prepend(long n)
{
    for (long i = 0; i < n; i++) {
        struct rte_mbuf *m = rte_pktmbuf_alloc(ops_mbuf_pool);
        char *h = rte_pktmbuf_prepend(m, OPS_HEADER);
        memcpy(h, ops_header, OPS_HEADER);
        sink = (ULONG_PTR)h;
        rte_pktmbuf_free(m);
    }
}

static void op_dpdk_bulk(long n)
{
    struct rte_mbuf *a[OPS_BULK];
    for (long i = 0; i < n; i++) {
        if (rte_pktmbuf_alloc_bulk(ops_mbuf_pool, a, OPS_BULK) != 0)
            abort();
        sink = (ULONG_PTR)a[OPS_BULK - 1];
        rte_pktmbuf_free_bulk(a, OPS_BULK);
    }
}

static void op_dpdk_clone(long n)
{
    for (long i = 0; i < n; i++) {
        struct rte_mbuf *m = rte_pktmbuf_clone(ops_dpdk_clone_parent, ops_mbuf_pool);
        sink = (ULONG_PTR)m;
        rte_pktmbuf_free(m);
    }
}

static void op_dpdk_chain(long n)
{
    for (long i = 0; i < n; i++) {
        struct rte_mbuf *a = rte_pktmbuf_alloc(ops_mbuf_pool), *b = rte_pktmbuf_alloc(ops_mbuf_pool);
        if (rte_pktmbuf_chain(a, b) != 0)
            abort();
        sink = (ULONG_PTR)a;
        rte_pktmbuf_free(a);
    }
}

static void op_dpdk_read(long n)
{
    UCHAR storage[OPS_HEADER];
    struct rte_mbuf *m = ops_dpdk_read_mbuf;
    for (long i = 0; i < n; i++) {
        __asm__ volatile("" : "+r"(m));
        const UCHAR *h = rte_pktmbuf_read(m, 0, OPS_HEADER, storage);
        sink = h[12];
    }
}

static void op_dpdk_mtod(long n)
{
    struct rte_mbuf *m = ops_dpdk_read_mbuf;
    for (long i = 0; i < n; i++) {
        __asm__ volatile("" : "+r"(m));
        const UCHAR *h = rte_pktmbuf_mtod(m, const UCHAR *);
        sink = h[12];
    }
}
#define OPS_DPDK(fn) fn
#else
#define OPS_DPDK(fn) NULL
#endif

/*
 * Every single-thread operation, by group. Keys are what the summary and
 * the callgrind script refer to. A DPDK side without DPDK has run NULL.
 */
static const struct bench_side ops_sides[] = {
    {"floor", "floor: per-thread free list pop+init+push", ops_floor_ready, op_floor, 1, {0}, 0, 0},
    {"nd_data", "ndisbuf NdisAllocateNetBufferList (DataSize 2048)+Free", ops_ready_data, op_nd_data, 1, {0}, 0, 0},
    {"nd_cheap", "ndisbuf NdisAllocateNetBufferAndNetBufferList (caller MDL)+Free", ops_ready_cheap, op_nd_cheap, 1,
     {0}, 0, 0},
    {"malloc", "glibc malloc+free (NBL+NB+MDL+2048 bytes)", ops_ready_always, op_malloc, 1, {0}, 0, 0},
    {"dpdk", "DPDK rte_pktmbuf_alloc+free", ops_dpdk_ready, OPS_DPDK(op_dpdk), 1, {0}, 0, 0},

    {"nd_rt_mdl", "ndisbuf caller MDL, born DataOffset 128: retreat 14+write+free", ops_ready_cheap,
     op_nd_retreat_mdl, 1, {0}, 0, 0},
    {"nd_rt_backfill", "ndisbuf DataSize 2048, pool back-fill 128: retreat 14+write+free", ops_ready_backfill,
     op_nd_retreat_backfill, 1, {0}, 0, 0},
    {"nd_rt_data", "ndisbuf DataSize 2048: advance 128, retreat 14+write+free", ops_ready_data, op_nd_retreat_data,
     1, {0}, 0, 0},
    {"malloc_rt", "glibc malloc, header write at +114, free", ops_ready_always, op_malloc_retreat, 1, {0}, 0, 0},
    {"dpdk_rt", "DPDK alloc+rte_pktmbuf_prepend(14)+write+free", ops_dpdk_ready, OPS_DPDK(op_dpdk_prepend), 1,
     {0}, 0, 0},

    {"nd_bulk", "ndisbuf_nbl_alloc_bulk/free_bulk x32 (per packet)", ops_ready_data, op_nd_bulk, OPS_BULK, {0}, 0, 0},
    {"nd_bulk_1", "ndisbuf 32 single allocs then 32 frees (per packet)", ops_ready_data, op_nd_bulk_singles,
     OPS_BULK, {0}, 0, 0},
    {"malloc_bulk", "glibc 32 mallocs then 32 frees (per packet)", ops_ready_always, op_malloc_bulk, OPS_BULK, {0},
      0, 0},
    {"dpdk_bulk", "DPDK rte_pktmbuf_alloc_bulk/free_bulk x32 (per packet)", ops_dpdk_ready, OPS_DPDK(op_dpdk_bulk),
     OPS_BULK, {0}, 0, 0},

    {"nd_clone", "ndisbuf clone (new MDLs)+free", ops_ready_clone, op_nd_clone, 1, {0}, 0, 0},
    {"nd_clone_orig", "ndisbuf clone USE_ORIGINAL_MDLS+free", ops_ready_clone, op_nd_clone_orig, 1, {0}, 0, 0},
    {"dpdk_clone", "DPDK rte_pktmbuf_clone+free", ops_dpdk_ready, OPS_DPDK(op_dpdk_clone), 1, {0}, 0, 0},

    {"nd_chain", "ndisbuf 2 MDLs+NBL+NB over both, all freed", ops_ready_cheap, op_nd_chain_mdl, 1, {0}, 0, 0},
    {"nd_chain_rt", "ndisbuf NBL+data, retreat 64 past back-fill (MDL added), free", ops_ready_data,
     op_nd_chain_retreat, 1, {0}, 0, 0},
    {"malloc_chain", "glibc 2 mallocs+2 frees", ops_ready_always, op_malloc_chain, 1, {0}, 0, 0},
    {"dpdk_chain", "DPDK 2 allocs+rte_pktmbuf_chain+free", ops_dpdk_ready, OPS_DPDK(op_dpdk_chain), 1, {0}, 0, 0},

    {"nd_ctx", "ndisbuf context push+pop 16 B in back-fill", ops_ready_ctx, op_nd_ctx, 1, {0}, 0, 0},
    {"nd_ctx_alloc", "ndisbuf context push+pop 16 B, no back-fill (allocates)", ops_ready_ctx_alloc,
     op_nd_ctx_alloc, 1, {0}, 0, 0},

    {"nd_getdata", "ndisbuf NdisGetDataBuffer 14 B contiguous", ops_ready_read, op_nd_getdata, 1, {0}, 0, 0},
    {"dpdk_read", "DPDK rte_pktmbuf_read 14 B contiguous", ops_dpdk_ready, OPS_DPDK(op_dpdk_read), 1, {0}, 0, 0},
    {"dpdk_mtod", "DPDK rte_pktmbuf_mtod (pointer only)", ops_dpdk_ready, OPS_DPDK(op_dpdk_mtod), 1, {0}, 0, 0},
};
#define OPS_SIDE_COUNT (sizeof(ops_sides) / sizeof(ops_sides[0]))

#endif /* NDISBUF_BENCH_OPS_H */
