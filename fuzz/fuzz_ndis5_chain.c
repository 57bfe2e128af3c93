/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ndis5_chain: NDIS 5.1 packets and buffer descriptors driven by a
 * program the fuzzer writes (fuzz_ops.h, N5_*), checked after every step
 * against a model.
 *
 * The world: two packet pools (descriptors and overflow descriptors), two
 * buffer pools (plus the library's own, PoolHandle NULL), a few blocks of
 * tagged memory and a static buffer the descriptors describe, packets and
 * buffer descriptors. The program allocates and frees them, chains buffers
 * at the front and back (whole chains at once), unchains, queries (every
 * combination of outputs), copies from packet to packet, shortens and
 * restores buffers (chained ones too, with or without clearing
 * ValidCounts as a driver must), reinitialises packets and writes memory.
 *
 * The model keeps, per packet, its list of buffers and the cache the
 * documentation describes (ValidCounts and the counts it guards, cleared by
 * every chain change, filled by the next query); per buffer its memory,
 * offset and length; per memory block its bytes. After every step: each
 * packet's Head, Tail and chain, ValidCounts and the cached counts, pool,
 * ProtocolReserved bytes; each buffer's length and address; every byte of
 * memory; each pool's usage. Deliberate mistakes (a pool freed with objects
 * out, a packet freed with buffers chained, a double free, a buffer
 * lengthened, tagged memory freed with the wrong length, a copy without
 * BytesCopied) must raise exactly their report and change nothing. At the
 * end everything is freed and ndisbuf_outstanding_total() and
 * ndisbuf_live_pool_count() are back where they started.
 */
#include "fuzz_common.h"
#include "fuzz_ops.h"

#define TAG 0x35357A46u /* "Fz55" */
#define MAX_STEPS 2000
#define MAX_PACKET_POOLS 2
#define MAX_BUFFER_POOLS 2
#define MAX_PACKETS 6
#define MAX_BUFFERS 16
#define MAX_MEMS 3
#define ARENA MAX_MEMS /* the static buffer, always there */
#define ARENA_BYTES 1024
#define MAX_CHAIN MAX_BUFFERS

struct mem {
    bool live;
    uint8_t *base, *shadow;
    uint32_t size;
};

struct ppool {
    bool live;
    NDIS_HANDLE h;
    uint32_t total, reserved, out;
};

struct bpool {
    bool live;
    NDIS_HANDLE h;
    uint32_t limit, out;
};

#define POOL_INTERNAL (-1) /* PoolHandle NULL: the library's own buffer pool */
#define POOL_CALLER (-2)   /* not a descriptor at all: the driver's own MDL */

struct mbuf {
    bool live;
    PNDIS_BUFFER b;
    int pool; /* a buffer pool slot, POOL_INTERNAL or POOL_CALLER */
    int mem;
    uint32_t off, len, built;
    int packet; /* the packet it is chained to, -1 */
};

struct mpacket {
    bool live;
    PNDIS_PACKET p;
    int pool;
    int chain[MAX_CHAIN];
    int n;
    bool valid; /* the cache: ValidCounts and what it guards */
    uint32_t count, total, pages;
};

static struct mem mems[MAX_MEMS + 1];
static uint8_t arena[ARENA_BYTES], arena_shadow[ARENA_BYTES];
static struct ppool ppools[MAX_PACKET_POOLS];
static struct bpool bpools[MAX_BUFFER_POOLS];
static struct mbuf bufs[MAX_BUFFERS];
static MDL caller_mdls[MAX_BUFFERS];
static struct mpacket packets[MAX_PACKETS];

/* ------------------------------------------------------------ model helpers */

static void reserved_pattern(uint8_t *out, uint32_t n, int slot)
{
    for (uint32_t i = 0; i < n; i++)
        out[i] = (uint8_t)(0xC3 ^ (i * 7) ^ (uint32_t)slot);
}

static uint8_t *buf_address(const struct mbuf *b)
{
    return mems[b->mem].base + b->off;
}

/* What NdisQueryPacket counts now: buffers, bytes and pages of the chain as it is. */
static void chain_counts(const struct mpacket *m, uint32_t *count, uint32_t *total, uint32_t *pages)
{
    *count = (uint32_t)m->n;
    *total = *pages = 0;
    for (int i = 0; i < m->n; i++) {
        const struct mbuf *b = &bufs[m->chain[i]];
        *total += b->len;
        *pages += ADDRESS_AND_SIZE_TO_SPAN_PAGES(buf_address(b), b->len);
    }
}

/* A query that needs the counts: recounted when the cache is not valid. */
static void model_counts(struct mpacket *m)
{
    if (m->valid)
        return;
    chain_counts(m, &m->count, &m->total, &m->pages);
    m->valid = true;
}

static int pick(uint8_t a, int max, bool (*ok)(int))
{
    int ids[32], n = 0;
    for (int i = 0; i < max; i++)
        if (ok(i))
            ids[n++] = i;
    return n ? ids[a % n] : -1;
}

static bool packet_live(int i)
{
    return packets[i].live;
}

static bool buffer_live(int i)
{
    return bufs[i].live;
}

static bool buffer_free_standing(int i)
{
    return bufs[i].live && bufs[i].packet < 0;
}

/* ------------------------------------------------------------ checks */

static void check_packet(int slot)
{
    const struct mpacket *m = &packets[slot];
    PNDIS_PACKET p = m->p;
    FZ_CHECK(p->Private.Head == (m->n ? bufs[m->chain[0]].b : NULL));
    FZ_CHECK(p->Private.Tail == (m->n ? bufs[m->chain[m->n - 1]].b : NULL));
    PNDIS_BUFFER b = p->Private.Head;
    for (int i = 0; i < m->n; i++, b = b->Next)
        if (b != bufs[m->chain[i]].b)
            FZ_FAIL("buffer %d of packet %d is %p, the model has %p", i, slot, (void *)b,
                    (void *)bufs[m->chain[i]].b);
    FZ_CHECK(b == NULL);
    FZ_CHECK(NdisGetPoolFromPacket(p) == ppools[m->pool].h);
    FZ_CHECK_EQ(p->Private.ValidCounts, m->valid);
    if (m->valid) {
        FZ_CHECK_EQ(p->Private.Count, m->count);
        FZ_CHECK_EQ(p->Private.TotalLength, m->total);
        FZ_CHECK_EQ(p->Private.PhysicalCount, m->pages);
    }
    uint8_t want[64];
    uint32_t n = ppools[m->pool].reserved < sizeof(want) ? ppools[m->pool].reserved : sizeof(want);
    reserved_pattern(want, n, slot);
    FZ_CHECK(memcmp(p->ProtocolReserved, want, n) == 0);
}

static void check_world(void)
{
    for (int i = 0; i < MAX_PACKETS; i++)
        if (packets[i].live)
            check_packet(i);
    for (int i = 0; i < MAX_BUFFERS; i++)
        if (bufs[i].live) {
            UINT len;
            PVOID va;
            NdisQueryBuffer(bufs[i].b, &va, &len);
            FZ_CHECK_EQ(len, bufs[i].len);
            FZ_CHECK(va == buf_address(&bufs[i]));
        }
    for (int i = 0; i <= MAX_MEMS; i++)
        if (mems[i].live && memcmp(mems[i].base, mems[i].shadow, mems[i].size) != 0)
            FZ_FAIL("memory block %d changed where the model did not change it", i);
    for (int i = 0; i < MAX_PACKET_POOLS; i++)
        if (ppools[i].live)
            FZ_CHECK_EQ(NdisPacketPoolUsage(ppools[i].h), ppools[i].out);
}

/* ------------------------------------------------------------ pools and memory */

static void op_packet_pool(const uint8_t *a)
{
    struct ppool *pp = &ppools[a[0] % MAX_PACKET_POOLS];
    if (pp->live)
        return;
    UINT n = a[1] % 9, overflow = a[2] % 5, reserved = a[3] % 65;
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
    NDIS_HANDLE h = NULL;
    NdisAllocatePacketPoolEx(&status, &h, n, overflow, reserved);
    FZ_CHECK_EQ(status, NDIS_STATUS_SUCCESS);
    FZ_CHECK(h != NULL);
    *pp = (struct ppool){true, h, n + overflow, reserved, 0};
}

static void op_buffer_pool(const uint8_t *a)
{
    struct bpool *bp = &bpools[a[0] % MAX_BUFFER_POOLS];
    if (bp->live)
        return;
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
    NDIS_HANDLE h = NULL;
    UINT n = a[1] % 9;
    NdisAllocateBufferPool(&status, &h, n);
    FZ_CHECK_EQ(status, NDIS_STATUS_SUCCESS);
    FZ_CHECK(h != NULL);
    *bp = (struct bpool){true, h, n, 0};
}

static void op_pool_free(const uint8_t *a)
{
    bool buffer_pool = a[0] & 0x80;
    bool live = buffer_pool ? bpools[a[0] % MAX_BUFFER_POOLS].live : ppools[a[0] % MAX_PACKET_POOLS].live;
    if (!live)
        return;
    uint32_t *out = buffer_pool ? &bpools[a[0] % MAX_BUFFER_POOLS].out : &ppools[a[0] % MAX_PACKET_POOLS].out;
    NDIS_HANDLE h = buffer_pool ? bpools[a[0] % MAX_BUFFER_POOLS].h : ppools[a[0] % MAX_PACKET_POOLS].h;
    if (*out && !(a[1] & 1))
        return;
    if (*out)
        fz_expect_report(NDISBUF_REPORT_POOL_NOT_EMPTY);
    if (buffer_pool)
        NdisFreeBufferPool(h);
    else
        NdisFreePacketPool(h);
    if (*out) {
        fz_expect_done(); /* and the pool stays usable */
        return;
    }
    if (buffer_pool)
        bpools[a[0] % MAX_BUFFER_POOLS].live = false;
    else
        ppools[a[0] % MAX_PACKET_POOLS].live = false;
}

static bool mem_in_use(int m)
{
    for (int i = 0; i < MAX_BUFFERS; i++)
        if (bufs[i].live && bufs[i].mem == m)
            return true;
    return false;
}

static void op_memory(const uint8_t *a)
{
    struct mem *m = &mems[a[0] % MAX_MEMS];
    if (!m->live) {
        UINT len = 1 + fz_arg16(&a[1]) % 2048;
        PVOID va = NULL;
        FZ_CHECK_EQ(NdisAllocateMemoryWithTag(&va, len, TAG + a[3]), NDIS_STATUS_SUCCESS);
        FZ_CHECK(va != NULL);
        FZ_CHECK_EQ((ULONG_PTR)va % 16, 0);
        m->base = va;
        m->size = len;
        m->shadow = malloc(len);
        FZ_CHECK(m->shadow != NULL);
        fz_fill(m->base, len, a[3] * 31u + (uint32_t)fz_step);
        memcpy(m->shadow, m->base, len);
        m->live = true;
        return;
    }
    if (mem_in_use(a[0] % MAX_MEMS))
        return;
    if (a[3] & 1) { /* a length that is neither 0 nor the block's: refused, the block stays */
        fz_expect_report(NDISBUF_REPORT_MEMORY_FREE_MISMATCH);
        NdisFreeMemory(m->base, m->size + 1, 0);
        fz_expect_done();
        return;
    }
    NdisFreeMemory(m->base, a[3] & 2 ? m->size : 0, 0);
    free(m->shadow);
    m->live = false;
}

static void op_write(const uint8_t *a)
{
    struct mem *m = &mems[a[0] % (MAX_MEMS + 1)];
    if (!m->live)
        return;
    fz_fill(m->base, m->size, a[1] * 977u + (uint32_t)fz_step);
    memcpy(m->shadow, m->base, m->size);
}

/* ------------------------------------------------------------ packets */

static void op_packet_alloc(const uint8_t *a)
{
    int slot = a[0] % MAX_PACKETS;
    struct ppool *pp = &ppools[a[1] % MAX_PACKET_POOLS];
    if (packets[slot].live || !pp->live)
        return;
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
    PNDIS_PACKET p = (PNDIS_PACKET)1;
    unsigned long diagnostics = fz_diag_count;
    if (a[1] & 0x80)
        NdisDprAllocatePacket(&status, &p, pp->h);
    else
        NdisAllocatePacket(&status, &p, pp->h);
    if (pp->out == pp->total) { /* every descriptor in use */
        FZ_CHECK_EQ(status, NDIS_STATUS_RESOURCES);
        FZ_CHECK(p == NULL);
        FZ_CHECK(fz_diag_count != diagnostics);
        return;
    }
    FZ_CHECK_EQ(status, NDIS_STATUS_SUCCESS);
    FZ_CHECK(p != NULL);
    FZ_CHECK(p->Private.Head == NULL && p->Private.Tail == NULL);
    for (uint32_t i = 0; i < pp->reserved; i++)
        FZ_CHECK_EQ(p->ProtocolReserved[i], 0);
    pp->out++;
    struct mpacket *m = &packets[slot];
    memset(m, 0, sizeof(*m));
    m->live = true;
    m->p = p;
    m->pool = (int)(pp - ppools);
    m->valid = p->Private.ValidCounts; /* whatever a fresh packet says, the next query decides */
    if (m->valid) {
        m->count = p->Private.Count;
        m->total = p->Private.TotalLength;
        m->pages = p->Private.PhysicalCount;
        FZ_CHECK(m->count == 0 && m->total == 0 && m->pages == 0);
    }
    uint8_t pattern[64];
    uint32_t n = pp->reserved < sizeof(pattern) ? pp->reserved : sizeof(pattern);
    reserved_pattern(pattern, n, slot);
    memcpy(p->ProtocolReserved, pattern, n);
}

static void packet_model_free(int slot)
{
    struct mpacket *m = &packets[slot];
    ppools[m->pool].out--;
    m->live = false;
}

/* Returns a buffer: NdisFreeBuffer, or nothing for the driver's own MDL. */
static void buffer_free_call(int i)
{
    if (bufs[i].pool != POOL_CALLER)
        NdisFreeBuffer(bufs[i].b);
}

static bool chain_has_descriptor(const struct mpacket *m)
{
    for (int i = 0; i < m->n; i++)
        if (bufs[m->chain[i]].pool != POOL_CALLER)
            return true;
    return false;
}

static void buffer_model_free(int i)
{
    if (bufs[i].pool >= 0)
        bpools[bufs[i].pool].out--;
    bufs[i].live = false;
}

static void op_packet_free(const uint8_t *a)
{
    int slot = pick(a[0], MAX_PACKETS, packet_live);
    if (slot < 0)
        return;
    struct mpacket *m = &packets[slot];
    switch (a[1] % 4) {
    case 1: /* buffer descriptors still chained: refused, nothing changes */
        if (!m->n)
            return;
        if (!chain_has_descriptor(m)) {
            /* Only the driver's own MDLs: allowed, and they stay the driver's. */
            for (int i = 0; i < m->n; i++)
                bufs[m->chain[i]].packet = -1;
            m->n = 0;
            break;
        }
        fz_expect_report(NDISBUF_REPORT_PACKET_HAS_BUFFERS);
        NdisFreePacket(m->p);
        fz_expect_done();
        return;
    case 2: /* the documented pattern: free the chained buffers, then the packet */
        for (int i = 0; i < m->n; i++)
            buffer_free_call(m->chain[i]);
        for (int i = 0; i < m->n; i++)
            buffer_model_free(m->chain[i]);
        m->n = 0;
        break;
    default: /* unchain everything first */
        while (m->n) {
            PNDIS_BUFFER b = (PNDIS_BUFFER)1;
            NdisUnchainBufferAtFront(m->p, &b);
            FZ_CHECK(b == bufs[m->chain[0]].b);
            bufs[m->chain[0]].packet = -1;
            memmove(&m->chain[0], &m->chain[1], (size_t)(m->n - 1) * sizeof(m->chain[0]));
            m->n--;
        }
        break;
    }
    if (a[1] & 0x80)
        NdisDprFreePacket(m->p);
    else
        NdisFreePacket(m->p);
    packet_model_free(slot);
}

static void op_reinit(const uint8_t *a)
{
    int slot = pick(a[0], MAX_PACKETS, packet_live);
    if (slot < 0)
        return;
    struct mpacket *m = &packets[slot];
    NdisReinitializePacket(m->p);
    for (int i = 0; i < m->n; i++)
        bufs[m->chain[i]].packet = -1;
    m->n = 0;
    m->valid = false;
}

/* ------------------------------------------------------------ buffers */

static void op_buffer_alloc(const uint8_t *a)
{
    int slot = a[0] % MAX_BUFFERS;
    if (bufs[slot].live)
        return;
    int pool = a[1] == 0xFF ? POOL_INTERNAL : a[1] == 0xFE ? POOL_CALLER : a[1] % MAX_BUFFER_POOLS;
    if (pool >= 0 && !bpools[pool].live)
        return;
    int mem = a[2] % (MAX_MEMS + 1);
    if (!mems[mem].live)
        mem = ARENA;
    uint32_t size = mems[mem].size;
    uint32_t off = fz_arg16(&a[3]) % (size + 1);
    uint32_t len = fz_arg16(&a[5]) % (size - off + 1);
    if (pool == POOL_CALLER) { /* the driver's own MDL over the memory: chained like a descriptor */
        PMDL mdl = &caller_mdls[slot];
        MmInitializeMdl(mdl, mems[mem].base + off, len);
        MmBuildMdlForNonPagedPool(mdl);
        bufs[slot] = (struct mbuf){true, mdl, pool, mem, off, len, size - off, -1};
        return;
    }
    NDIS_STATUS status = NDIS_STATUS_SUCCESS;
    PNDIS_BUFFER b = (PNDIS_BUFFER)1;
    unsigned long diagnostics = fz_diag_count;
    NdisAllocateBuffer(&status, &b, pool >= 0 ? bpools[pool].h : NULL, mems[mem].base + off, len);
    if (pool >= 0 && bpools[pool].out == bpools[pool].limit) { /* the pool's limit */
        FZ_CHECK_EQ(status, NDIS_STATUS_FAILURE);
        FZ_CHECK(b == NULL);
        FZ_CHECK(fz_diag_count != diagnostics);
        return;
    }
    FZ_CHECK_EQ(status, NDIS_STATUS_SUCCESS);
    FZ_CHECK(b != NULL && b->Next == NULL);
    if (pool >= 0)
        bpools[pool].out++;
    bufs[slot] = (struct mbuf){true, b, pool, mem, off, len, len, -1};
}

static void op_buffer_free(const uint8_t *a)
{
    int i = pick(a[0], MAX_BUFFERS, buffer_free_standing);
    if (i < 0)
        return;
    PNDIS_BUFFER b = bufs[i].b;
    bool descriptor = bufs[i].pool != POOL_CALLER;
    buffer_free_call(i);
    buffer_model_free(i);
    if ((a[1] & 1) && descriptor) {
        fz_expect_report(NDISBUF_REPORT_DOUBLE_FREE);
        NdisFreeBuffer(b);
        fz_expect_done();
    }
}

static void op_adjust(const uint8_t *a)
{
    int i = pick(a[0], MAX_BUFFERS, buffer_live);
    if (i < 0)
        return;
    struct mbuf *b = &bufs[i];
    if ((a[3] & 1) && b->pool != POOL_CALLER) { /* longer than allocated: refused */
        fz_expect_report(NDISBUF_REPORT_MDL_LENGTHENED);
        NdisAdjustBufferLength(b->b, b->built + 1 + fz_arg16(&a[1]) % 64);
        fz_expect_done();
        return;
    }
    b->len = fz_arg16(&a[1]) % (b->built + 1); /* the driver's own MDL: up to the end of its memory */
    NdisAdjustBufferLength(b->b, b->len);
    if (b->packet >= 0 && (a[3] & 2)) { /* the driver says the cached counts are stale */
        NDIS_PACKET_VALID_COUNTS(packets[b->packet].p) = FALSE;
        packets[b->packet].valid = false;
    }
}

/* ------------------------------------------------------------ chains */

static void op_chain(const uint8_t *a, bool front)
{
    int slot = pick(a[0], MAX_PACKETS, packet_live);
    int first = pick(a[1], MAX_BUFFERS, buffer_free_standing);
    if (slot < 0 || first < 0)
        return;
    struct mpacket *m = &packets[slot];
    int ids[4], n = 0, want = 1 + a[2] % 4;
    for (int j = 0; j < MAX_BUFFERS && n < want; j++) {
        int i = (first + j) % MAX_BUFFERS;
        if (buffer_free_standing(i))
            ids[n++] = i;
    }
    for (int k = 0; k < n; k++)
        bufs[ids[k]].b->Next = k + 1 < n ? bufs[ids[k + 1]].b : NULL;
    if (front) {
        NdisChainBufferAtFront(m->p, bufs[ids[0]].b);
        memmove(&m->chain[n], &m->chain[0], (size_t)m->n * sizeof(m->chain[0]));
        for (int k = 0; k < n; k++)
            m->chain[k] = ids[k];
    } else {
        NdisChainBufferAtBack(m->p, bufs[ids[0]].b);
        for (int k = 0; k < n; k++)
            m->chain[m->n + k] = ids[k];
    }
    m->n += n;
    for (int k = 0; k < n; k++)
        bufs[ids[k]].packet = slot;
    m->valid = false;
}

static void op_chain_front(const uint8_t *a)
{
    op_chain(a, true);
}

static void op_chain_back(const uint8_t *a)
{
    op_chain(a, false);
}

static void op_unchain(const uint8_t *a, bool front)
{
    int slot = pick(a[0], MAX_PACKETS, packet_live);
    if (slot < 0)
        return;
    struct mpacket *m = &packets[slot];
    PNDIS_BUFFER b = (PNDIS_BUFFER)1;
    if (front)
        NdisUnchainBufferAtFront(m->p, &b);
    else
        NdisUnchainBufferAtBack(m->p, &b);
    if (!m->n) {
        FZ_CHECK(b == NULL); /* an empty packet: nothing, and the cache stays as it was */
        return;
    }
    int i = front ? m->chain[0] : m->chain[m->n - 1];
    FZ_CHECK(b == bufs[i].b);
    FZ_CHECK(b->Next == NULL);
    if (front)
        memmove(&m->chain[0], &m->chain[1], (size_t)(m->n - 1) * sizeof(m->chain[0]));
    m->n--;
    bufs[i].packet = -1;
    m->valid = false;
}

static void op_unchain_front(const uint8_t *a)
{
    op_unchain(a, true);
}

static void op_unchain_back(const uint8_t *a)
{
    op_unchain(a, false);
}

static void op_query(const uint8_t *a)
{
    int slot = pick(a[0], MAX_PACKETS, packet_live);
    if (slot < 0)
        return;
    struct mpacket *m = &packets[slot];
    uint8_t want = a[1];
    UINT pages = 0xAAAA, count = 0xBBBB, total = 0xCCCC;
    PNDIS_BUFFER first = (PNDIS_BUFFER)1;
    if ((want & 0xC0) == 0xC0) { /* a NULL packet: reported, every output given zeroed */
        fz_expect_report(NDISBUF_REPORT_NULL_OBJECT);
        NdisQueryPacket(NULL, &pages, &count, &first, &total);
        fz_expect_done();
        FZ_CHECK(pages == 0 && count == 0 && first == NULL && total == 0);
        return;
    }
    if (want & 0x20) {
        NdisQueryPacketLength(m->p, &total);
        model_counts(m);
        FZ_CHECK_EQ(total, m->total);
        return;
    }
    NdisQueryPacket(m->p, want & 1 ? &pages : NULL, want & 2 ? &count : NULL, want & 4 ? &first : NULL,
                    want & 8 ? &total : NULL);
    if (want & (1 | 2 | 8))
        model_counts(m);
    if (want & 1)
        FZ_CHECK_EQ(pages, m->pages);
    if (want & 2)
        FZ_CHECK_EQ(count, m->count);
    if (want & 4)
        FZ_CHECK(first == (m->n ? bufs[m->chain[0]].b : NULL));
    if (want & 8)
        FZ_CHECK_EQ(total, m->total);
    if (m->valid && (want & 0x10)) { /* what the cache says matches the chain unless a length changed */
        uint32_t c, t, p;
        chain_counts(m, &c, &t, &p);
        FZ_CHECK_EQ(c, m->count);
    }
}

static void op_first_buffer(const uint8_t *a)
{
    int slot = pick(a[0], MAX_PACKETS, packet_live);
    if (slot < 0)
        return;
    struct mpacket *m = &packets[slot];
    PNDIS_BUFFER first = (PNDIS_BUFFER)1;
    PVOID va = (PVOID)1;
    UINT len = 0xAAAA, total = 0xBBBB;
    if (a[1] & 0x80) { /* every output is required: a NULL one is reported and nothing is written */
        fz_expect_report(NDISBUF_REPORT_NULL_OBJECT);
        NdisGetFirstBufferFromPacket(m->p, &first, &va, NULL, &total);
        fz_expect_done();
        FZ_CHECK(first == (PNDIS_BUFFER)1 && va == (PVOID)1 && total == 0xBBBB);
        return;
    }
    if (a[1] & 1)
        NdisGetFirstBufferFromPacketSafe(m->p, &first, &va, &len, &total, NormalPagePriority);
    else
        NdisGetFirstBufferFromPacket(m->p, &first, &va, &len, &total);
    model_counts(m);
    FZ_CHECK_EQ(total, m->total);
    if (!m->n) {
        FZ_CHECK(first == NULL && va == NULL && len == 0);
        return;
    }
    const struct mbuf *b = &bufs[m->chain[0]];
    FZ_CHECK(first == b->b);
    FZ_CHECK(va == buf_address(b));
    FZ_CHECK_EQ(len, b->len);
}

/* ------------------------------------------------------------ copy */

/* A byte of memory: block and offset. */
struct where {
    uint32_t mem, idx;
};

/* Every byte of a packet's chain as it is now, in order; returns the count. */
static uint32_t chain_bytes(const struct mpacket *m, struct where *out, uint32_t max)
{
    uint32_t n = 0;
    for (int i = 0; i < m->n; i++) {
        const struct mbuf *b = &bufs[m->chain[i]];
        for (uint32_t j = 0; j < b->len && n < max; j++, n++)
            out[n] = (struct where){(uint32_t)b->mem, b->off + j};
    }
    return n;
}

/* Whether any byte the copy writes is one it reads. */
static bool copy_overlaps(const struct where *dw, const struct where *sw, uint64_t n)
{
    static uint8_t read[MAX_MEMS + 1][2048];
    bool overlap = false;
    for (uint64_t i = 0; i < n; i++)
        read[sw[i].mem][sw[i].idx] = 1;
    for (uint64_t i = 0; i < n && !overlap; i++)
        overlap = read[dw[i].mem][dw[i].idx];
    for (uint64_t i = 0; i < n; i++)
        read[sw[i].mem][sw[i].idx] = 0;
    return overlap;
}

static void op_copy(const uint8_t *a)
{
    int di = pick(a[0], MAX_PACKETS, packet_live), si = pick(a[1], MAX_PACKETS, packet_live);
    if (di < 0 || si < 0)
        return;
    struct mpacket *d = &packets[di], *s = &packets[si];
    uint8_t flags = a[8];
    if (flags & 0x80) { /* BytesCopied NULL: refused */
        fz_expect_report(NDISBUF_REPORT_NULL_OBJECT);
        NdisCopyFromPacketToPacket(d->p, 0, 1, s->p, 0, NULL);
        fz_expect_done();
        return;
    }
    static struct where dw[MAX_BUFFERS * 2048 + 1], sw[MAX_BUFFERS * 2048 + 1];
    uint32_t dtotal = chain_bytes(d, dw, MAX_BUFFERS * 2048), stotal = chain_bytes(s, sw, MAX_BUFFERS * 2048);
    UINT doff = fz_arg16(&a[2]) % (dtotal + 8), soff = fz_arg16(&a[4]) % (stotal + 8);
    UINT bytes = fz_arg16(&a[6]);
    if (flags & 0x40)
        bytes = 0xFFFFFFFFu - (flags & 0x3F);
    uint64_t n = bytes;
    if (doff >= dtotal || soff >= stotal)
        n = 0;
    if (n > dtotal - (uint64_t)doff)
        n = dtotal - (uint64_t)doff;
    if (n > stotal - (uint64_t)soff)
        n = stotal - (uint64_t)soff;
    if (copy_overlaps(dw + doff, sw + soff, n))
        return; /* the ranges must not overlap: the result would not be specified */
    UINT copied = 0xDDDD;
    if (flags & 1)
        NdisCopyFromPacketToPacketSafe(d->p, doff, bytes, s->p, soff, &copied, NormalPagePriority);
    else
        NdisCopyFromPacketToPacket(d->p, doff, bytes, s->p, soff, &copied);
    FZ_CHECK_EQ(copied, n);
    for (uint64_t i = 0; i < n; i++)
        mems[dw[doff + i].mem].shadow[dw[doff + i].idx] = mems[sw[soff + i].mem].shadow[sw[soff + i].idx];
}

/* ------------------------------------------------------------ the program */

static const struct {
    void (*run)(const uint8_t *);
    const char *name;
} ops[N5_OP_COUNT] = {
    [N5_PACKET_POOL] = {op_packet_pool, "packet pool"},
    [N5_BUFFER_POOL] = {op_buffer_pool, "buffer pool"},
    [N5_POOL_FREE] = {op_pool_free, "pool free"},
    [N5_PACKET_ALLOC] = {op_packet_alloc, "NdisAllocatePacket"},
    [N5_PACKET_FREE] = {op_packet_free, "NdisFreePacket"},
    [N5_BUFFER_ALLOC] = {op_buffer_alloc, "NdisAllocateBuffer"},
    [N5_BUFFER_FREE] = {op_buffer_free, "NdisFreeBuffer"},
    [N5_CHAIN_FRONT] = {op_chain_front, "NdisChainBufferAtFront"},
    [N5_CHAIN_BACK] = {op_chain_back, "NdisChainBufferAtBack"},
    [N5_UNCHAIN_FRONT] = {op_unchain_front, "NdisUnchainBufferAtFront"},
    [N5_UNCHAIN_BACK] = {op_unchain_back, "NdisUnchainBufferAtBack"},
    [N5_QUERY] = {op_query, "NdisQueryPacket"},
    [N5_FIRST_BUFFER] = {op_first_buffer, "NdisGetFirstBufferFromPacket"},
    [N5_COPY] = {op_copy, "NdisCopyFromPacketToPacket"},
    [N5_ADJUST] = {op_adjust, "NdisAdjustBufferLength"},
    [N5_REINIT] = {op_reinit, "NdisReinitializePacket"},
    [N5_WRITE] = {op_write, "write"},
    [N5_MEMORY] = {op_memory, "tagged memory"},
};

static void world_reset(void)
{
    memset(ppools, 0, sizeof(ppools));
    memset(bpools, 0, sizeof(bpools));
    memset(bufs, 0, sizeof(bufs));
    memset(packets, 0, sizeof(packets));
    memset(mems, 0, sizeof(mems));
    mems[ARENA] = (struct mem){true, arena, arena_shadow, ARENA_BYTES};
    memcpy(arena_shadow, arena, ARENA_BYTES);
}

static void world_teardown(void)
{
    fz_op = "teardown";
    for (int i = 0; i < MAX_PACKETS; i++)
        if (packets[i].live)
            op_packet_free((const uint8_t[]){0, 0}); /* unchains, then frees: picks the first live one */
    for (int i = 0; i < MAX_BUFFERS; i++)
        if (bufs[i].live) {
            buffer_free_call(i);
            buffer_model_free(i);
        }
    check_world();
    for (int i = 0; i < MAX_PACKET_POOLS; i++)
        if (ppools[i].live)
            NdisFreePacketPool(ppools[i].h);
    for (int i = 0; i < MAX_BUFFER_POOLS; i++)
        if (bpools[i].live)
            NdisFreeBufferPool(bpools[i].h);
    for (int i = 0; i < MAX_MEMS; i++)
        if (mems[i].live) {
            NdisFreeMemory(mems[i].base, 0, 0);
            free(mems[i].shadow);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_setup();
    world_reset();
    ULONG64 outstanding = ndisbuf_outstanding_total();
    ULONG pools = ndisbuf_live_pool_count();
    struct fz_in in = {data, size, 0};
    for (fz_step = 1; !fz_done(&in) && fz_step <= MAX_STEPS; fz_step++) {
        uint8_t op = fz_u8(&in) % N5_OP_COUNT, a[16];
        fz_args(&in, a, n5_op_args[op]);
        fz_op = ops[op].name;
        fz_trace_op(fz_op, a, n5_op_args[op]);
        ops[op].run(a);
        check_world();
    }
    world_teardown();
    FZ_CHECK_EQ(ndisbuf_outstanding_total(), outstanding);
    FZ_CHECK_EQ(ndisbuf_live_pool_count(), pools);
    return 0;
}
