/* SPDX-License-Identifier: MIT */
/*
 * fuzz_api_sequence: the NBL / NB / MDL API driven by a program the fuzzer
 * writes (fuzz_ops.h, API_*), checked after every step against a model.
 *
 * The world is a few slots of each thing: NBL and NB pools, caller MDL
 * chains over buffers of known bytes, NBLs (plain, clones, fragments,
 * reassembled), lone NBs. Every call the program makes is a valid one,
 * unless the instruction asks for one deliberate mistake, whose report or
 * clean refusal is then expected exactly.
 *
 * The model. Memory is a set of *stores*: every buffer any MDL describes
 * (the caller's buffers, a DataSize pool's data, each MDL a retreat or an
 * AllocateMdlHandler made, the driver's own front MDLs), each with a shadow
 * of its bytes and which of them are known. An NB is a list of *segments*
 * (one per MDL of its chain: a store, a start, a length, and whose MDL it
 * is) plus DataOffset and DataLength, so clones and fragments that share
 * their parent's memory share the same stores, and a write through one is
 * seen through the others, as in the library. Stores of memory the library
 * allocates are learnt from the first check after the call (address and
 * size checked against what the model predicted; contents unknown until
 * written). After every step each live NB is checked: DataOffset,
 * DataLength, every MDL (length, address, identity), CurrentMdl and
 * CurrentMdlOffset by the documented rule, its used bytes read through
 * NdisGetDataBuffer, and every store it touches byte for byte; each NBL's
 * NB list, parent, ChildRefCount, pool, info slots and context stack; each
 * pool's outstanding count; the AllocateMdlHandler's MDLs still out equal
 * those on chains. At the end everything is freed and
 * ndisbuf_outstanding_total() and ndisbuf_live_pool_count() are back where
 * they started.
 *
 * Rules the program keeps, as a driver must: an NBL with children
 * (ChildRefCount, kept by the harness as the deriving driver does) is not
 * retreated, advanced or changed in its NB list, nor freed; its bytes may
 * be written. Pushed context is popped before an NBL is freed; separately
 * allocated NBs are unlinked first. No MDL chain loops.
 */
#include "fuzz_common.h"
#include "fuzz_ops.h"

#define TAG 0x6E7A7546u /* "Fuzn" */
#define MAX_STEPS 1500
#define MAX_NBL_POOLS 4
#define MAX_NB_POOLS 2
#define MAX_CHAINS 6
#define MAX_CHAIN_MDLS 6
#define MAX_NBLS 8
#define MAX_LONE 6
#define MAX_NBS 64
#define MAX_NBL_NBS 24
#define MAX_SEGS 80
#define SOFT_SEGS 48        /* retreats and front MDLs stop adding MDLs here */
#define MAX_NB_BYTES 4096   /* nothing grows an NB's chain beyond this */
#define MAX_STORES 512
#define MAX_HMDL 256
#define MAX_FRONT 24
#define MAX_LAYERS 16
#define MAX_BLOCK 128
#define ARGS_MAX 16

/* ------------------------------------------------------------ stores */

enum store_kind { ST_CALLER, ST_OWN, ST_RETREAT, ST_HANDLER, ST_FRONT };

struct store {
    uint8_t *base;  /* the real memory */
    uint32_t size;
    uint8_t *shadow; /* its bytes, as the model knows them */
    uint8_t *known;
    uint8_t kind;
    bool owned; /* malloc'ed by the harness: freed at teardown */
    bool dead;  /* given back: must no longer be on any chain */
};

static struct store stores[MAX_STORES];
static int nstores;

static int store_new(uint8_t *base, uint32_t size, uint8_t kind, bool owned, bool known_now)
{
    FZ_CHECK(nstores < MAX_STORES);
    struct store *s = &stores[nstores];
    s->base = base;
    s->size = size;
    s->kind = kind;
    s->owned = owned;
    s->dead = false;
    s->shadow = calloc(size ? size : 1, 1);
    s->known = calloc(size ? size : 1, 1);
    FZ_CHECK(s->shadow && s->known);
    if (known_now && size) {
        memcpy(s->shadow, base, size);
        memset(s->known, 1, size);
    }
    return nstores++;
}

static bool stores_room(int n)
{
    return nstores + n <= MAX_STORES;
}

/* A buffer of `size` bytes of known contents, owned by the harness. */
static int store_new_buffer(uint32_t size, uint32_t seed, uint8_t kind)
{
    uint8_t *buf = malloc(size ? size : 1);
    FZ_CHECK(buf != NULL);
    fz_fill(buf, size, seed);
    return store_new(buf, size, kind, true, true);
}

/* ------------------------------------------------------------ NB model */

enum seg_kind {
    SG_CALLER,  /* an MDL of a caller chain */
    SG_OWN,     /* the MDL of a DataSize element (learnt) */
    SG_RETREAT, /* made by a library retreat of this NB (learnt) */
    SG_HANDLER, /* made by the AllocateMdlHandler for a retreat of this NB */
    SG_DERIVED, /* built by a derivation for this NB (learnt) */
    SG_SHARED,  /* another NB's MDL (a clone over the original MDLs) */
    SG_FRONT,   /* the driver's own MDL, linked in front by hand */
};

struct seg {
    int store; /* -1: to be learnt from the real MDL */
    uint32_t start, len;
    uint8_t kind;
    PMDL real; /* NULL: to be learnt */
};

struct mnb {
    bool live;
    PNET_BUFFER nb;
    int nbl;       /* the NBL slot it is on, -1 when lone */
    int lone;      /* its lone slot when lone */
    bool separate; /* NdisAllocateNetBuffer / ...MdlAndData: NdisFreeNetBuffer frees it */
    int pool;      /* the NB pool slot it came from (separate, or a derived NB from a given pool), else -1 */
    int nseg;
    struct seg seg[MAX_SEGS];
    uint32_t off, len;
};

static struct mnb nbs[MAX_NBS];
static int lone[MAX_LONE]; /* model NB ids, -1 when empty */

static uint64_t nb_total(const struct mnb *m)
{
    uint64_t t = 0;
    for (int k = 0; k < m->nseg; k++)
        t += m->seg[k].len;
    return t;
}

/* CurrentMdl by the documented rule: the MDL of the first used byte, the last one at the very end. */
static int model_current(const struct mnb *m, uint32_t *at)
{
    *at = 0;
    if (!m->nseg)
        return -1;
    int k = 0;
    uint32_t o = m->off;
    while (o >= m->seg[k].len && k + 1 < m->nseg) {
        o -= m->seg[k].len;
        k++;
    }
    *at = o;
    return k;
}

/* A non-empty run of one segment: seg k, `in` bytes into it, n bytes, `at` bytes into the range. */
struct piece {
    int k;
    uint32_t in, n;
    uint64_t at;
};

/* The pieces of chain bytes [from, from + n), clipped to the chain; returns their count. */
static int range_pieces(const struct mnb *m, uint64_t from, uint64_t n, struct piece *out)
{
    int count = 0;
    uint64_t pos = 0, end = from + n;
    for (int k = 0; k < m->nseg && pos < end; k++) {
        uint64_t lo = pos, hi = pos + m->seg[k].len;
        pos = hi;
        if (hi <= from || hi == lo)
            continue;
        if (lo < from)
            lo = from;
        if (hi > end)
            hi = end;
        if (hi > lo)
            out[count++] = (struct piece){k, (uint32_t)(lo - (pos - m->seg[k].len)), (uint32_t)(hi - lo), lo - from};
    }
    return count;
}

static uint8_t *seg_address(const struct seg *s)
{
    return stores[s->store].base + s->start;
}

static void seg_prepend(struct mnb *m, struct seg s)
{
    FZ_CHECK(m->nseg < MAX_SEGS);
    memmove(&m->seg[1], &m->seg[0], (size_t)m->nseg * sizeof(m->seg[0]));
    m->seg[0] = s;
    m->nseg++;
}

/* Drops segment k, which lies wholly in the back-fill. */
static void seg_drop(struct mnb *m, int k)
{
    m->off -= m->seg[k].len;
    memmove(&m->seg[k], &m->seg[k + 1], (size_t)(m->nseg - 1 - k) * sizeof(m->seg[0]));
    m->nseg--;
}

/* Appends the segments describing chain bytes [from, from + n) of src (one per MDL touched). */
static void seg_slices(struct mnb *dst, const struct mnb *src, uint64_t from, uint64_t n)
{
    struct piece p[MAX_SEGS];
    int count = range_pieces(src, from, n, p);
    for (int i = 0; i < count; i++) {
        const struct seg *s = &src->seg[p[i].k];
        FZ_CHECK(dst->nseg < MAX_SEGS);
        dst->seg[dst->nseg++] = (struct seg){s->store, s->start + p[i].in, p[i].n, SG_DERIVED, NULL};
    }
}

static int slice_count(const struct mnb *src, uint64_t from, uint64_t n)
{
    struct piece p[MAX_SEGS];
    return range_pieces(src, from, n, p);
}

static int nb_new(void)
{
    for (int i = 0; i < MAX_NBS; i++)
        if (!nbs[i].live) {
            memset(&nbs[i], 0, sizeof(nbs[i]));
            nbs[i].live = true;
            nbs[i].nbl = -1;
            nbs[i].lone = -1;
            nbs[i].pool = -1;
            return i;
        }
    FZ_FAIL("no free NB model");
}

static int nb_room(void)
{
    int n = 0;
    for (int i = 0; i < MAX_NBS; i++)
        n += !nbs[i].live;
    return n;
}

static int lone_free_slot(void)
{
    for (int i = 0; i < MAX_LONE; i++)
        if (lone[i] < 0)
            return i;
    return -1;
}

/* ------------------------------------------------------------ pools, chains, NBLs */

struct mpool {
    bool live;
    NDIS_HANDLE h;
    bool alloc_nb;
    uint16_t ctx;
    uint32_t data;
    uint8_t proto;
    uint32_t out; /* NBLs (NBL pool) or NBs (NB pool) outstanding */
};

static struct mpool nbl_pools[MAX_NBL_POOLS], nb_pools[MAX_NB_POOLS];

enum mdl_how { HOW_STRUCT, HOW_NDIS, HOW_IO };

struct mchain {
    bool live;
    int store;
    int n;
    PMDL mdl[MAX_CHAIN_MDLS];
    uint8_t how[MAX_CHAIN_MDLS];
    uint32_t start[MAX_CHAIN_MDLS], len[MAX_CHAIN_MDLS];
    MDL storage[MAX_CHAIN_MDLS];
    uint32_t total;
};

static struct mchain chains[MAX_CHAINS];

struct mfront {
    MDL mdl;
    int store;
};
static struct mfront fronts[MAX_FRONT];
static int nfront;

enum nbl_kind { NK_PLAIN, NK_CLONE, NK_FRAGMENT, NK_REASSEMBLED };

struct mblock {
    uint16_t size, offset;
    bool base;
    PNET_BUFFER_LIST_CONTEXT real;
    uint8_t bytes[MAX_BLOCK], known[MAX_BLOCK];
};

struct mnbl {
    bool live;
    PNET_BUFFER_LIST nbl;
    int pool; /* NBL pool slot, -1 for the library's internal one */
    uint8_t kind;
    uint32_t flags, delta; /* what the derived free call must be given */
    int parent, children;
    int nb[MAX_NBL_NBS];
    int nnb;
    bool has_base;
    struct mblock blocks[MAX_LAYERS + 1];
    int nblocks;
    uint16_t lifo[MAX_LAYERS];
    int nlifo;
    ULONG_PTR info[MaxNetBufferListInfo];
};

static struct mnbl nbls[MAX_NBLS];

static bool nb_frozen(int id)
{
    return nbs[id].nbl >= 0 && nbls[nbs[id].nbl].children > 0;
}

/* ------------------------------------------------------------ MDL handlers */

struct hmdl {
    PMDL mdl;
    int store;
    bool live;
};
static struct hmdl hmdls[MAX_HMDL];
static int nhmdl;

static struct {
    uint32_t calls, frees, fail_at;
    bool fail_all;
    int32_t extra;
    int last; /* hmdls index of the last MDL given, -1 none */
} H;

/*
 * Fault injection (API_FAULT): armed for the one instruction after it. A call
 * of that instruction that allocates may then fail as exhaustion would, and
 * must leave everything as it was.
 */
static bool fault_armed;

static bool fault_hit(void)
{
    return fault_armed && ndisbuf_fault_injected() > 0;
}

static void handlers_reset(uint32_t fail_at, bool fail_all, int32_t extra)
{
    H.calls = H.frees = 0;
    H.fail_at = fail_at;
    H.fail_all = fail_all;
    H.extra = extra;
    H.last = -1;
}

static bool handler_room(int n)
{
    return nhmdl + n <= MAX_HMDL && stores_room(n);
}

static PMDL fz_allocate_mdl(PULONG BufferSize)
{
    H.calls++;
    if (H.fail_all || H.calls == H.fail_at)
        return NULL;
    FZ_CHECK(nhmdl < MAX_HMDL);
    int64_t give = (int64_t)*BufferSize + H.extra;
    if (give < 0)
        give = 0;
    int store = store_new_buffer((uint32_t)give, H.calls * 7919u + (uint32_t)nhmdl, ST_HANDLER);
    PMDL mdl = NdisAllocateMdl(NULL, stores[store].base, (UINT)give);
    if (!mdl && fault_hit()) { /* the handler has no MDL to give: the retreat fails */
        free(stores[store].base);
        stores[store].base = NULL;
        stores[store].dead = true;
        return NULL;
    }
    FZ_CHECK(mdl != NULL);
    hmdls[nhmdl] = (struct hmdl){mdl, store, true};
    H.last = nhmdl++;
    *BufferSize = (ULONG)give;
    return mdl;
}

static int hmdl_find(PMDL mdl)
{
    for (int i = 0; i < nhmdl; i++)
        if (hmdls[i].live && hmdls[i].mdl == mdl)
            return i;
    return -1;
}

/* Gives a handler MDL back: the MDL, its buffer, its store. */
static void hmdl_release(int i)
{
    struct hmdl *h = &hmdls[i];
    FZ_CHECK(h->live);
    NdisFreeMdl(h->mdl);
    free(stores[h->store].base);
    stores[h->store].base = NULL;
    stores[h->store].dead = true;
    h->live = false;
}

static VOID fz_free_mdl(PMDL Mdl)
{
    int i = hmdl_find(Mdl);
    if (i < 0)
        FZ_FAIL("FreeMdlHandler called with MDL %p, which the AllocateMdlHandler did not give out "
                "(or already took back)", (void *)Mdl);
    H.frees++;
    hmdl_release(i);
}

/* ------------------------------------------------------------ diagnostics */

static unsigned long diag_mark;

static void diag_begin(void)
{
    diag_mark = fz_diag_count;
}

static void expect_no_diag(void)
{
    if (fz_diag_count != diag_mark)
        FZ_FAIL("unexpected diagnostic: %s", fz_last_diag);
}

static void expect_diag(void)
{
    if (fz_diag_count == diag_mark)
        FZ_FAIL("the call was expected to give a diagnostic and did not");
}

/* ------------------------------------------------------------ checks */

static uint8_t scratch[MAX_NB_BYTES * 2 + 64];

static void check_nb(struct mnb *m)
{
    PNET_BUFFER nb = m->nb;
    FZ_CHECK_EQ(nb->DataOffset, m->off);
    FZ_CHECK_EQ(nb->stDataLength, m->len);
    PMDL mdl = nb->MdlChain;
    for (int k = 0; k < m->nseg; k++, mdl = mdl->Next) {
        struct seg *s = &m->seg[k];
        if (!mdl)
            FZ_FAIL("the chain ends after %d MDLs, the model has %d", k, m->nseg);
        if (!s->real)
            s->real = mdl;
        else if (s->real != mdl)
            FZ_FAIL("MDL %d of the chain is %p, the model has %p", k, (void *)mdl, (void *)s->real);
        FZ_CHECK_EQ(mdl->ByteCount, s->len);
        fz_check_mdl_fields(mdl);
        if (s->kind == SG_DERIVED) /* new MDLs over the parent's memory are partial ones (derived.md) */
            FZ_CHECK(mdl->MdlFlags & MDL_PARTIAL);
        uint8_t *va = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
        if (s->store < 0)
            s->store = store_new(va, s->len, s->kind == SG_OWN ? ST_OWN : ST_RETREAT, false, false);
        FZ_CHECK(!stores[s->store].dead);
        if (va != seg_address(s))
            FZ_FAIL("MDL %d describes %p, the model has %p", k, (void *)va, (void *)seg_address(s));
    }
    if (mdl)
        FZ_FAIL("the chain goes on after the model's %d MDLs", m->nseg);
    uint32_t at;
    int k = model_current(m, &at);
    FZ_CHECK(nb->CurrentMdl == (k < 0 ? NULL : m->seg[k].real));
    FZ_CHECK_EQ(nb->CurrentMdlOffset, at);

    /* The used bytes, read through the library. */
    if (m->len) {
        FZ_CHECK(m->len <= sizeof(scratch));
        uint8_t *p = NdisGetDataBuffer(nb, m->len, scratch, 1, 0);
        FZ_CHECK(p != NULL);
        struct piece pc[MAX_SEGS];
        int count = range_pieces(m, m->off, m->len, pc);
        for (int i = 0; i < count; i++) {
            const struct seg *s = &m->seg[pc[i].k];
            const struct store *st = &stores[s->store];
            for (uint32_t j = 0; j < pc[i].n; j++) {
                uint32_t idx = s->start + pc[i].in + j;
                if (st->known[idx] && p[pc[i].at + j] != st->shadow[idx])
                    FZ_FAIL("used byte %llu reads 0x%02x through NdisGetDataBuffer, the model has 0x%02x",
                            (unsigned long long)(pc[i].at + j), p[pc[i].at + j], st->shadow[idx]);
            }
        }
    }
}

static void check_context(const struct mnbl *b)
{
    PNET_BUFFER_LIST_CONTEXT real = b->nbl->Context;
    for (int k = b->nblocks - 1; k >= 0; k--, real = real->Next) {
        const struct mblock *blk = &b->blocks[k];
        FZ_CHECK(real != NULL);
        FZ_CHECK_EQ(real->Size, blk->size);
        FZ_CHECK_EQ(real->Offset, blk->offset);
        if (blk->real)
            FZ_CHECK(real == blk->real);
        for (uint32_t i = blk->offset; i < blk->size; i++)
            if (blk->known[i] && real->ContextData[i] != blk->bytes[i])
                FZ_FAIL("context byte %u of block %d differs", i, k);
    }
    FZ_CHECK(real == NULL);
    if (b->nblocks)
        FZ_CHECK_EQ((ULONG_PTR)NET_BUFFER_LIST_CONTEXT_DATA_START(b->nbl) % 8, 0);
}

static void check_nbl(const struct mnbl *b)
{
    PNET_BUFFER_LIST nbl = b->nbl;
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    for (int k = 0; k < b->nnb; k++, nb = NET_BUFFER_NEXT_NB(nb))
        if (nb != nbs[b->nb[k]].nb)
            FZ_FAIL("NB %d of the NBL is %p, the model has %p", k, (void *)nb, (void *)nbs[b->nb[k]].nb);
    FZ_CHECK(nb == NULL);
    FZ_CHECK(NET_BUFFER_LIST_NEXT_NBL(nbl) == NULL);
    FZ_CHECK(nbl->ParentNetBufferList == (b->parent >= 0 ? nbls[b->parent].nbl : NULL));
    FZ_CHECK_EQ(nbl->ChildRefCount, b->children);
    if (b->pool >= 0)
        FZ_CHECK(nbl->NdisPoolHandle == nbl_pools[b->pool].h);
    FZ_CHECK(NdisGetPoolFromNetBufferList(nbl) == nbl->NdisPoolHandle);
    for (int id = 0; id < MaxNetBufferListInfo; id++)
        if ((ULONG_PTR)NET_BUFFER_LIST_INFO(nbl, id) != b->info[id])
            FZ_FAIL("info slot %d is %p, the model has %p", id, NET_BUFFER_LIST_INFO(nbl, id), (void *)b->info[id]);
    check_context(b);
}

/* Every store a live NB's chain touches holds what the model says, byte for byte. */
static void check_stores(void)
{
    static uint8_t used[MAX_STORES];
    memset(used, 0, (size_t)nstores);
    for (int i = 0; i < MAX_NBS; i++)
        for (int k = 0; nbs[i].live && k < nbs[i].nseg; k++)
            used[nbs[i].seg[k].store] = 1;
    for (int s = 0; s < nstores; s++) {
        if (!used[s])
            continue;
        const struct store *st = &stores[s];
        FZ_CHECK(!st->dead);
        for (uint32_t i = 0; i < st->size; i++)
            if (st->known[i] && st->base[i] != st->shadow[i])
                FZ_FAIL("byte %u of store %d (kind %d) is 0x%02x, the model has 0x%02x", i, s, st->kind,
                        st->base[i], st->shadow[i]);
    }
}

/* The handler's MDLs still out are exactly those on chains. */
static void check_handlers(void)
{
    int out = 0, on_chains = 0;
    for (int i = 0; i < nhmdl; i++)
        out += hmdls[i].live;
    for (int i = 0; i < MAX_NBS; i++)
        for (int k = 0; nbs[i].live && k < nbs[i].nseg; k++)
            if (nbs[i].seg[k].kind == SG_HANDLER) {
                on_chains++;
                FZ_CHECK(hmdl_find(nbs[i].seg[k].real) >= 0);
            }
    FZ_CHECK_EQ(out, on_chains);
}

static void check_pool(const struct mpool *p)
{
    NDISBUF_POOL_STATS st;
    FZ_CHECK_EQ(ndisbuf_pool_get_stats(p->h, &st), NDIS_STATUS_SUCCESS);
    FZ_CHECK_EQ(st.Outstanding, p->out);
}

static void check_world(void)
{
    for (int i = 0; i < MAX_NBS; i++)
        if (nbs[i].live) {
            check_nb(&nbs[i]);
            if (nbs[i].nbl < 0)
                FZ_CHECK(NET_BUFFER_NEXT_NB(nbs[i].nb) == NULL);
        }
    for (int i = 0; i < MAX_NBLS; i++)
        if (nbls[i].live)
            check_nbl(&nbls[i]);
    check_stores();
    check_handlers();
    for (int i = 0; i < MAX_NBL_POOLS; i++)
        if (nbl_pools[i].live)
            check_pool(&nbl_pools[i]);
    for (int i = 0; i < MAX_NB_POOLS; i++)
        if (nb_pools[i].live)
            check_pool(&nb_pools[i]);
}

/* ------------------------------------------------------------ picking */

static int pick_nb(uint8_t a, bool unfrozen)
{
    int ids[MAX_NBS], n = 0;
    for (int i = 0; i < MAX_NBS; i++)
        if (nbs[i].live && (!unfrozen || !nb_frozen(i)))
            ids[n++] = i;
    return n ? ids[a % n] : -1;
}

static int pick_nbl(uint8_t a)
{
    int ids[MAX_NBLS], n = 0;
    for (int i = 0; i < MAX_NBLS; i++)
        if (nbls[i].live)
            ids[n++] = i;
    return n ? ids[a % n] : -1;
}

static int free_nbl_slot(uint8_t a)
{
    for (int j = 0; j < MAX_NBLS; j++) {
        int i = (a + j) % MAX_NBLS;
        if (!nbls[i].live)
            return i;
    }
    return -1;
}

/* ------------------------------------------------------------ NB data-start model */

/* A successful retreat; a new MDL (seg s) goes in front when the back-fill is short. */
static void model_retreat(struct mnb *m, uint32_t delta, struct seg s)
{
    if (delta <= m->off) {
        m->off -= delta;
    } else {
        uint32_t missing = delta - m->off;
        seg_prepend(m, s);
        m->off = s.len - missing;
    }
    m->len += delta;
}

/*
 * An advance: with FreeMdl the MDLs a retreat of this NB made that are now
 * wholly in the back-fill go. The library's own go wherever they sit there
 * (unlinked from behind the driver's MDLs); a handler's only from the very
 * front, and only when a FreeMdlHandler is given (otherwise kept, with a
 * diagnostic, and the walk stops). Any other MDL is stepped over. Returns
 * how many the FreeMdlHandler gets; *kept says a diagnostic is due.
 */
static uint32_t model_advance(struct mnb *m, uint32_t delta, bool free_mdl, bool free_handler, bool *kept)
{
    uint32_t handler_frees = 0, stepped = 0;
    *kept = false;
    m->off += delta;
    m->len -= delta;
    for (int k = 0; free_mdl && k < m->nseg && m->seg[k].len <= m->off - stepped;) {
        uint8_t kind = m->seg[k].kind;
        if (kind != SG_RETREAT && (kind != SG_HANDLER || k != 0)) {
            stepped += m->seg[k].len;
            k++;
            continue;
        }
        if (kind == SG_HANDLER && !free_handler) {
            *kept = true;
            break;
        }
        handler_frees += kind == SG_HANDLER;
        seg_drop(m, k);
    }
    return handler_frees;
}

/* ------------------------------------------------------------ context model */

static void ctx_allocate(struct mnbl *b, uint16_t size, uint16_t backfill, uint32_t seed)
{
    diag_begin();
    NDIS_STATUS status = NdisAllocateNetBufferListContext(b->nbl, size, backfill, TAG);
    if (status != NDIS_STATUS_SUCCESS && fault_hit()) {
        FZ_CHECK_EQ(status, NDIS_STATUS_RESOURCES);
        expect_diag();
        return;
    }
    FZ_CHECK_EQ(status, NDIS_STATUS_SUCCESS);
    expect_no_diag();
    struct mblock *top = b->nblocks ? &b->blocks[b->nblocks - 1] : NULL;
    if (top && top->offset >= size) {
        top->offset = (uint16_t)(top->offset - size);
    } else {
        FZ_CHECK(b->nblocks <= MAX_LAYERS);
        top = &b->blocks[b->nblocks++];
        memset(top, 0, sizeof(*top));
        top->size = (uint16_t)(size + backfill);
        top->offset = backfill;
        top->real = b->nbl->Context;
    }
    b->lifo[b->nlifo++] = size;
    uint8_t *start = NET_BUFFER_LIST_CONTEXT_DATA_START(b->nbl);
    uint8_t bytes[MAX_BLOCK];
    fz_fill(bytes, size, seed);
    for (uint16_t i = 0; i < size; i++) {
        start[i] = top->bytes[top->offset + i] = bytes[i];
        top->known[top->offset + i] = 1;
    }
}

static void ctx_free(struct mnbl *b)
{
    uint16_t size = b->lifo[--b->nlifo];
    diag_begin();
    NdisFreeNetBufferListContext(b->nbl, size);
    expect_no_diag();
    struct mblock *top = &b->blocks[b->nblocks - 1];
    top->offset = (uint16_t)(top->offset + size);
    if (top->offset == top->size && !top->base)
        b->nblocks--;
}

/* Pops what was pushed, down to the allocation-time block (what a free needs). */
static void ctx_pop_pushed(struct mnbl *b)
{
    while (b->nlifo && b->nblocks > (b->has_base ? 1 : 0))
        ctx_free(b);
}

/* ------------------------------------------------------------ releasing models */

/* After the library freed an NB: the handler MDLs it left on the chain are the driver's to free. */
static void nb_model_release(int id)
{
    struct mnb *m = &nbs[id];
    for (int k = 0; k < m->nseg; k++)
        if (m->seg[k].kind == SG_HANDLER) {
            int i = hmdl_find(m->seg[k].real);
            FZ_CHECK(i >= 0);
            hmdl_release(i);
        }
    if (m->pool >= 0)
        nb_pools[m->pool].out--;
    if (m->lone >= 0)
        lone[m->lone] = -1;
    m->live = false;
}

static bool nb_has_handler_mdls(const struct mnb *m)
{
    for (int k = 0; k < m->nseg; k++)
        if (m->seg[k].kind == SG_HANDLER)
            return true;
    return false;
}

static void nbl_model_release(int i)
{
    struct mnbl *b = &nbls[i];
    for (int k = 0; k < b->nnb; k++)
        nb_model_release(b->nb[k]);
    if (b->pool >= 0)
        nbl_pools[b->pool].out--;
    if (b->parent >= 0) {
        struct mnbl *p = &nbls[b->parent];
        p->children--;
        p->nbl->ChildRefCount--;
    }
    b->live = false;
}

/* Unlinks NB k of an NBL (a separate one) and makes it lone, or frees it when no lone slot is left. */
static void nbl_unlink_nb(struct mnbl *b, int k)
{
    int id = b->nb[k];
    PNET_BUFFER nb = nbs[id].nb;
    if (k == 0)
        NET_BUFFER_LIST_FIRST_NB(b->nbl) = NET_BUFFER_NEXT_NB(nb);
    else
        NET_BUFFER_NEXT_NB(nbs[b->nb[k - 1]].nb) = NET_BUFFER_NEXT_NB(nb);
    NET_BUFFER_NEXT_NB(nb) = NULL;
    memmove(&b->nb[k], &b->nb[k + 1], (size_t)(b->nnb - k - 1) * sizeof(b->nb[0]));
    b->nnb--;
    nbs[id].nbl = -1;
    int slot = lone_free_slot();
    if (slot >= 0) {
        lone[slot] = id;
        nbs[id].lone = slot;
        return;
    }
    diag_begin();
    NdisFreeNetBuffer(nb);
    if (!nb_has_handler_mdls(&nbs[id]))
        expect_no_diag();
    nb_model_release(id);
}

static void nbl_free_call(const struct mnbl *b, uint32_t flags, uint32_t delta)
{
    switch (b->kind) {
    case NK_PLAIN:
        NdisFreeNetBufferList(b->nbl);
        break;
    case NK_CLONE:
        NdisFreeCloneNetBufferList(b->nbl, flags);
        break;
    case NK_FRAGMENT:
        NdisFreeFragmentNetBufferList(b->nbl, delta, flags);
        break;
    case NK_REASSEMBLED:
        NdisFreeReassembledNetBufferList(b->nbl, delta, flags);
        break;
    }
}

/* Frees an NBL the way a driver must: context popped, separate NBs unlinked, the matching call. */
static void nbl_free_properly(int i)
{
    struct mnbl *b = &nbls[i];
    FZ_CHECK_EQ(b->children, 0);
    ctx_pop_pushed(b);
    for (int k = b->nnb - 1; k >= 0; k--)
        if (nbs[b->nb[k]].separate)
            nbl_unlink_nb(b, k);
    bool handler_mdls = false;
    for (int k = 0; k < b->nnb; k++)
        handler_mdls |= nb_has_handler_mdls(&nbs[b->nb[k]]);
    diag_begin();
    nbl_free_call(b, b->flags, b->delta);
    if (!handler_mdls)
        expect_no_diag();
    nbl_model_release(i);
}

/* ------------------------------------------------------------ operations: pools and chains */

static void op_pool_nbl(const uint8_t *a)
{
    struct mpool *p = &nbl_pools[a[0] % MAX_NBL_POOLS];
    if (p->live)
        return;
    NET_BUFFER_LIST_POOL_PARAMETERS params;
    memset(&params, 0, sizeof(params));
    params.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    params.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    params.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    params.fAllocateNetBuffer = (BOOLEAN)(a[1] & 1);
    params.ContextSize = (USHORT)(8 * (a[2] % 9));
    params.DataSize = (a[1] & 2) ? 1 + fz_arg16(&a[3]) % 1024 : 0;
    params.ProtocolId = (UCHAR)(a[5] % (NDIS_PROTOCOL_ID_MAX + 1));
    params.PoolTag = TAG;
    bool bad = (a[1] & 0x80) || (params.DataSize && !params.fAllocateNetBuffer);
    if (a[1] & 0x80)
        params.ContextSize |= 4;
    diag_begin();
    NDIS_HANDLE h = NdisAllocateNetBufferListPool(NULL, &params);
    if (bad || (!h && fault_hit())) {
        FZ_CHECK(h == NULL);
        expect_diag();
        return;
    }
    FZ_CHECK(h != NULL);
    expect_no_diag();
    *p = (struct mpool){true, h, params.fAllocateNetBuffer, params.ContextSize, params.DataSize,
                        params.ProtocolId, 0};
}

static void op_pool_nb(const uint8_t *a)
{
    struct mpool *p = &nb_pools[a[0] % MAX_NB_POOLS];
    if (p->live)
        return;
    NET_BUFFER_POOL_PARAMETERS params;
    memset(&params, 0, sizeof(params));
    params.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    params.Header.Revision = NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    params.Header.Size = NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    params.PoolTag = TAG;
    params.DataSize = (a[1] & 1) ? 1 + fz_arg16(&a[2]) % 1024 : 0;
    diag_begin();
    NDIS_HANDLE h = NdisAllocateNetBufferPool(NULL, &params);
    if (!h && fault_hit()) {
        expect_diag();
        return;
    }
    FZ_CHECK(h != NULL);
    expect_no_diag();
    *p = (struct mpool){true, h, false, 0, params.DataSize, 0, 0};
}

static void op_pool_free(const uint8_t *a)
{
    bool nb_pool = a[0] & 0x80;
    struct mpool *p = nb_pool ? &nb_pools[a[0] % MAX_NB_POOLS] : &nbl_pools[a[0] % MAX_NBL_POOLS];
    if (!p->live)
        return;
    if (p->out) {
        if (!(a[1] & 1))
            return;
        fz_expect_report(NDISBUF_REPORT_POOL_NOT_EMPTY); /* and the pool stays usable */
        if (nb_pool)
            NdisFreeNetBufferPool(p->h);
        else
            NdisFreeNetBufferListPool(p->h);
        fz_expect_done();
        return;
    }
    diag_begin();
    if (nb_pool)
        NdisFreeNetBufferPool(p->h);
    else
        NdisFreeNetBufferListPool(p->h);
    expect_no_diag();
    p->live = false;
}

static void chain_release(struct mchain *c)
{
    for (int i = 0; i < c->n; i++) {
        c->mdl[i]->Next = NULL;
        if (c->how[i] == HOW_NDIS)
            NdisFreeMdl(c->mdl[i]);
        else if (c->how[i] == HOW_IO)
            IoFreeMdl(c->mdl[i]);
    }
    c->live = false;
}

static void chains_free(void)
{
    for (int j = 0; j < MAX_CHAINS; j++)
        if (chains[j].live)
            chain_release(&chains[j]);
}

static void op_chain(const uint8_t *a)
{
    struct mchain *c = &chains[a[0] % MAX_CHAINS];
    if (c->live || !stores_room(1))
        return;
    uint32_t seed = fz_arg16(&a[2]), size = 1 + fz_arg16(&a[4]) % 600;
    memset(c, 0, sizeof(*c));
    c->live = true;
    c->n = 1 + a[1] % MAX_CHAIN_MDLS;
    c->store = store_new_buffer(size, seed, ST_CALLER);
    uint8_t *buf = stores[c->store].base;
    uint32_t r = seed * 40503u + 17, pos = 0;
    bool contiguous = a[1] & 0x80;
    for (int i = 0; i < c->n; i++) {
        uint32_t start = contiguous ? pos : fz_rand(&r) % (size + 1);
        uint32_t room = size - start;
        uint32_t len = fz_rand(&r) % 4 == 0 ? 0 : fz_rand(&r) % (room + 1);
        if (contiguous && i == c->n - 1)
            len = room;
        pos = start + len;
        c->start[i] = start;
        c->len[i] = len;
        c->how[i] = (uint8_t)(fz_rand(&r) % 3);
        switch (c->how[i]) {
        case HOW_STRUCT:
            c->mdl[i] = &c->storage[i];
            MmInitializeMdl(c->mdl[i], buf + start, len);
            MmBuildMdlForNonPagedPool(c->mdl[i]);
            break;
        case HOW_NDIS:
            c->mdl[i] = NdisAllocateMdl(NULL, buf + start, len);
            break;
        default:
            c->mdl[i] = IoAllocateMdl(buf + start, len, FALSE, FALSE, NULL);
            if (c->mdl[i])
                MmBuildMdlForNonPagedPool(c->mdl[i]);
            break;
        }
        if (!c->mdl[i] && fault_hit()) { /* no chain after all: give back the MDLs made so far */
            c->n = i;
            chain_release(c);
            return;
        }
        FZ_CHECK(c->mdl[i] != NULL);
        if (i)
            c->mdl[i - 1]->Next = c->mdl[i];
        c->total += len;
    }
}

/* The chain's MDLs as segments of an NB model. */
static void segs_from_chain(struct mnb *m, const struct mchain *c)
{
    for (int i = 0; i < c->n; i++)
        m->seg[m->nseg++] = (struct seg){c->store, c->start[i], c->len[i], SG_CALLER, c->mdl[i]};
}

/* ------------------------------------------------------------ operations: NBLs and NBs */

static void nbl_model_init(struct mnbl *b, PNET_BUFFER_LIST nbl, int pool, uint8_t kind)
{
    memset(b, 0, sizeof(*b));
    b->live = true;
    b->nbl = nbl;
    b->pool = pool;
    b->kind = kind;
    b->parent = -1;
    if (pool >= 0) {
        nbl_pools[pool].out++;
        b->info[NetBufferListFrameType] = nbl_pools[pool].proto;
    }
}

static void op_nbl_alloc(const uint8_t *a)
{
    int slot = free_nbl_slot(a[0]);
    struct mpool *p = &nbl_pools[a[1] % MAX_NBL_POOLS];
    if (slot < 0 || !p->live || !nb_room())
        return;
    int pool = (int)(p - nbl_pools);
    USHORT cs = (USHORT)(8 * (a[2] % 9)), cbf = (USHORT)(8 * (a[3] % 5));
    bool combined = a[4] & 1, bad_context = a[4] & 0x80;
    struct mchain *c = &chains[a[5] % MAX_CHAINS];
    uint32_t total = c->live ? c->total : 0;
    uint32_t off = fz_arg16(&a[6]) % (total + 1);
    uint32_t len = fz_arg16(&a[8]) % (total - off + 1);
    bool wrong_pool = combined && (!p->alloc_nb || p->data); /* the combined call needs NB, no DataSize */
    if (wrong_pool && !(a[4] & 0x40))
        combined = wrong_pool = false;
    bool bad = bad_context || wrong_pool;
    if (bad_context)
        cs |= 4; /* not a multiple of sizeof(PVOID) */
    ULONG64 outstanding = ndisbuf_outstanding_total();
    diag_begin();
    PNET_BUFFER_LIST nbl = combined ? NdisAllocateNetBufferAndNetBufferList(p->h, cs, cbf, c->live ? c->mdl[0] : NULL,
                                                                             off, len)
                                    : NdisAllocateNetBufferList(p->h, cs, cbf);
    if (bad || (!nbl && fault_hit())) {
        FZ_CHECK(nbl == NULL);
        expect_diag();
        FZ_CHECK_EQ(ndisbuf_outstanding_total(), outstanding);
        return;
    }
    FZ_CHECK(nbl != NULL);
    expect_no_diag();
    struct mnbl *b = &nbls[slot];
    nbl_model_init(b, nbl, pool, NK_PLAIN);
    if ((ULONG)cs + cbf <= p->ctx) {
        if (p->ctx) {
            b->blocks[0] = (struct mblock){.size = p->ctx, .offset = (uint16_t)(p->ctx - cs), .base = true};
            b->nblocks = 1;
        }
    } else {
        b->blocks[0] = (struct mblock){.size = (uint16_t)(cs + cbf), .offset = cbf, .base = true};
        b->nblocks = 1;
    }
    b->has_base = b->nblocks == 1;
    if (b->has_base)
        b->blocks[0].real = nbl->Context;
    if (p->alloc_nb) {
        int id = nb_new();
        struct mnb *m = &nbs[id];
        m->nb = NET_BUFFER_LIST_FIRST_NB(nbl);
        m->nbl = slot;
        if (p->data) {
            m->seg[m->nseg++] = (struct seg){-1, 0, p->data, SG_OWN, NULL};
            m->len = p->data;
        } else if (combined && c->live) {
            segs_from_chain(m, c);
            m->off = off;
            m->len = len;
        }
        b->nb[b->nnb++] = id;
    }
}

static void op_nb_alloc(const uint8_t *a)
{
    int slot = a[0] % MAX_LONE;
    struct mpool *p = &nb_pools[a[1] % MAX_NB_POOLS];
    if (lone[slot] >= 0 || !p->live || !nb_room())
        return;
    struct mchain *c = &chains[a[2] % MAX_CHAINS];
    uint32_t total = c->live ? c->total : 0;
    uint32_t off = fz_arg16(&a[3]) % (total + 1);
    uint32_t len = fz_arg16(&a[5]) % (total - off + 1);
    bool bad = a[7] & 0x80;
    if (bad && !p->data && c->live)
        len = total - off + 1 + a[7] % 8; /* beyond the chain */
    ULONG64 outstanding = ndisbuf_outstanding_total();
    diag_begin();
    PNET_BUFFER nb;
    if (bad && p->data)
        nb = NdisAllocateNetBuffer(p->h, c->live ? c->mdl[0] : NULL, off, len); /* the wrong call */
    else if (bad)
        nb = c->live ? NdisAllocateNetBuffer(p->h, c->mdl[0], off, len) : NdisAllocateNetBufferMdlAndData(p->h);
    else if (p->data)
        nb = NdisAllocateNetBufferMdlAndData(p->h);
    else
        nb = NdisAllocateNetBuffer(p->h, c->live ? c->mdl[0] : NULL, off, len);
    if (bad || (!nb && fault_hit())) {
        FZ_CHECK(nb == NULL);
        expect_diag();
        FZ_CHECK_EQ(ndisbuf_outstanding_total(), outstanding);
        return;
    }
    FZ_CHECK(nb != NULL);
    expect_no_diag();
    FZ_CHECK(NdisGetPoolFromNetBuffer(nb) == p->h);
    int id = nb_new();
    struct mnb *m = &nbs[id];
    m->nb = nb;
    m->separate = true;
    m->pool = (int)(p - nb_pools);
    p->out++;
    m->lone = slot;
    lone[slot] = id;
    if (p->data) {
        m->seg[m->nseg++] = (struct seg){-1, 0, p->data, SG_OWN, NULL};
        m->len = p->data;
    } else if (c->live) {
        segs_from_chain(m, c);
        m->off = off;
        m->len = len;
    }
}

static void op_nb_attach(const uint8_t *a)
{
    int i = pick_nbl(a[0]);
    int id = lone[a[1] % MAX_LONE];
    if (i < 0 || id < 0)
        return;
    struct mnbl *b = &nbls[i];
    if (b->kind != NK_PLAIN || b->children || b->nnb >= MAX_NBL_NBS)
        return;
    if (b->nnb)
        NET_BUFFER_NEXT_NB(nbs[b->nb[b->nnb - 1]].nb) = nbs[id].nb;
    else
        NET_BUFFER_LIST_FIRST_NB(b->nbl) = nbs[id].nb;
    b->nb[b->nnb++] = id;
    lone[nbs[id].lone] = -1;
    nbs[id].lone = -1;
    nbs[id].nbl = i;
}

static void op_nb_detach(const uint8_t *a)
{
    int i = pick_nbl(a[0]);
    if (i < 0 || nbls[i].children || lone_free_slot() < 0)
        return;
    struct mnbl *b = &nbls[i];
    for (int k = b->nnb - 1; k >= 0; k--)
        if (nbs[b->nb[k]].separate) {
            nbl_unlink_nb(b, k);
            return;
        }
}

/* One deliberate mistake in a free call; the report named is expected, and nothing changes. */
static void nbl_free_mistake(struct mnbl *b, int which)
{
    bool foreign = false;
    for (int k = 0; k < b->nnb; k++)
        foreign |= nbs[b->nb[k]].separate;
    bool pushed = b->nblocks > (b->has_base ? 1 : 0);
    bool children = b->children > 0;
    switch (which) {
    case 0: /* children out */
        if (!children || foreign || pushed)
            return;
        fz_expect_report(NDISBUF_REPORT_CHILDREN_OUTSTANDING);
        nbl_free_call(b, b->flags, b->delta);
        break;
    case 1: /* a separately allocated NB still on it */
        if (!foreign || children || pushed)
            return;
        fz_expect_report(NDISBUF_REPORT_NBL_HAS_FOREIGN_NB);
        nbl_free_call(b, b->flags, b->delta);
        break;
    case 2: /* context still pushed */
        if (!pushed || children || foreign)
            return;
        fz_expect_report(NDISBUF_REPORT_CONTEXT_NOT_POPPED);
        nbl_free_call(b, b->flags, b->delta);
        break;
    default: /* the wrong call, or the wrong flags / DataOffsetDelta */
        if (children || foreign || pushed)
            return;
        if (b->kind == NK_PLAIN) {
            fz_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
            NdisFreeCloneNetBufferList(b->nbl, 0);
        } else if (which == 3) {
            fz_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
            NdisFreeNetBufferList(b->nbl);
        } else {
            fz_expect_report(NDISBUF_REPORT_DERIVED_FREE_MISMATCH);
            if (b->kind == NK_CLONE)
                nbl_free_call(b, b->flags ^ NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS, 0);
            else
                nbl_free_call(b, 0, b->delta + 1);
        }
        break;
    }
    fz_expect_done();
}

static void op_free(const uint8_t *a)
{
    int i = pick_nbl(a[0]);
    if (i < 0)
        return;
    uint8_t v = a[1] % 8;
    if (v >= 3) {
        nbl_free_mistake(&nbls[i], v - 3);
        return;
    }
    if (!nbls[i].children)
        nbl_free_properly(i);
}

static void op_nb_free(const uint8_t *a)
{
    uint8_t v = a[1] % 4;
    if (v == 2) {
        /* An NB the library put on an NBL (its own, or a derived one): not NdisFreeNetBuffer's. */
        int id = pick_nb(a[0], false);
        if (id < 0 || nbs[id].separate)
            return;
        fz_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
        NdisFreeNetBuffer(nbs[id].nb);
        fz_expect_done();
        return;
    }
    int id = lone[a[0] % MAX_LONE];
    if (id < 0)
        return;
    PNET_BUFFER nb = nbs[id].nb;
    bool handler_mdls = nb_has_handler_mdls(&nbs[id]);
    diag_begin();
    NdisFreeNetBuffer(nb);
    if (!handler_mdls)
        expect_no_diag();
    nb_model_release(id);
    if (v == 3) {
        fz_expect_report(NDISBUF_REPORT_DOUBLE_FREE);
        NdisFreeNetBuffer(nb);
        fz_expect_done();
    }
}

/* ------------------------------------------------------------ operations: derived NBLs */

/* The pools a derivation is given: slot or -1 (NULL: the library's). False when one is unfit. */
static bool derive_pools(uint8_t nbl_sel, int nb_sel, bool need_nb, int *nblp, int *nbp)
{
    *nblp = nbl_sel % (MAX_NBL_POOLS + 1);
    *nbp = nb_sel < 0 ? MAX_NB_POOLS : nb_sel % (MAX_NB_POOLS + 1);
    if (*nblp == MAX_NBL_POOLS || !nbl_pools[*nblp].live)
        *nblp = -1;
    if (*nbp == MAX_NB_POOLS || !nb_pools[*nbp].live)
        *nbp = -1;
    bool ok = true;
    if (*nblp >= 0)
        ok &= !nbl_pools[*nblp].data && (!need_nb || nbl_pools[*nblp].alloc_nb);
    if (*nbp >= 0)
        ok &= !nb_pools[*nbp].data;
    return ok;
}

/* Model of a new child NBL with n NB models; the first NB is the NBL's own when its pool gives one. */
static struct mnbl *child_begin(int slot, PNET_BUFFER_LIST nbl, int parent, int nblp, int nbp, uint8_t kind,
                                uint32_t flags, uint32_t delta, int n)
{
    struct mnbl *b = &nbls[slot];
    nbl_model_init(b, nbl, nblp, kind);
    b->parent = parent;
    b->flags = flags;
    b->delta = delta;
    bool own = nblp < 0 || nbl_pools[nblp].alloc_nb;
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    for (int k = 0; k < n; k++) {
        FZ_CHECK(nb != NULL);
        int id = nb_new();
        nbs[id].nb = nb;
        nbs[id].nbl = slot;
        if (!(k == 0 && own) && nbp >= 0) {
            nbs[id].pool = nbp;
            nb_pools[nbp].out++;
        }
        b->nb[b->nnb++] = id;
        nb = NET_BUFFER_NEXT_NB(nb);
    }
    FZ_CHECK(nb == NULL);
    nbls[parent].children++;
    nbls[parent].nbl->ChildRefCount++; /* the deriving driver keeps the count */
    return b;
}

/* A refused derivation: NULL, a diagnostic, nothing allocated. */
static void expect_refused(PNET_BUFFER_LIST child, ULONG64 outstanding)
{
    FZ_CHECK(child == NULL);
    expect_diag();
    FZ_CHECK_EQ(ndisbuf_outstanding_total(), outstanding);
}

static void op_clone(const uint8_t *a)
{
    int slot = free_nbl_slot(a[0]);
    int parent = pick_nbl(a[1]);
    if (slot < 0 || parent < 0)
        return;
    struct mnbl *pb = &nbls[parent];
    if (pb->nnb > nb_room())
        return;
    bool original = a[2] & 1;
    uint32_t flags = original ? NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS : 0;
    int nblp, nbp;
    bool ok = derive_pools(a[3], a[4], false, &nblp, &nbp);
    ULONG64 outstanding = ndisbuf_outstanding_total();
    diag_begin();
    PNET_BUFFER_LIST clone = NdisAllocateCloneNetBufferList(pb->nbl, nblp >= 0 ? nbl_pools[nblp].h : NULL,
                                                            nbp >= 0 ? nb_pools[nbp].h : NULL, flags);
    if (!ok || fault_hit()) {
        expect_refused(clone, outstanding);
        return;
    }
    FZ_CHECK(clone != NULL);
    expect_no_diag();
    struct mnbl *b = child_begin(slot, clone, parent, nblp, nbp, NK_CLONE, flags, 0, pb->nnb);
    for (int k = 0; k < b->nnb; k++) {
        const struct mnb *src = &nbs[pb->nb[k]];
        struct mnb *m = &nbs[b->nb[k]];
        m->len = src->len;
        if (original) {
            uint32_t at;
            int first = model_current(src, &at);
            for (int j = first; j >= 0 && j < src->nseg; j++) {
                m->seg[m->nseg] = src->seg[j];
                m->seg[m->nseg++].kind = SG_SHARED;
            }
            m->off = at;
        } else {
            seg_slices(m, src, src->off, src->len);
        }
    }
}

static uint32_t min_len(const struct mnbl *b)
{
    uint32_t min = UINT32_MAX;
    for (int k = 0; k < b->nnb; k++)
        if (nbs[b->nb[k]].len < min)
            min = nbs[b->nb[k]].len;
    return min;
}

/* Gives a derived NB header room the way the library does: a new MDL of delta + backfill. */
static void model_header_room(struct mnb *m, uint32_t delta, uint32_t backfill)
{
    if (delta)
        model_retreat(m, delta, (struct seg){-1, 0, delta + backfill, SG_RETREAT, NULL});
}

static void op_fragment(const uint8_t *a)
{
    int slot = free_nbl_slot(a[0]);
    int parent = pick_nbl(a[1]);
    if (slot < 0 || parent < 0)
        return;
    struct mnbl *pb = &nbls[parent];
    uint32_t min = pb->nnb ? min_len(pb) : 0;
    uint32_t start = fz_arg16(&a[2]) % (min + 1);
    uint32_t max = 1 + fz_arg16(&a[4]) % 2048;
    uint32_t delta = a[6] % 4 == 0 ? 0 : a[6] % 97, backfill = a[7] % 41;
    int nblp, nbp;
    bool ok = derive_pools(a[8], a[8] >> 4, false, &nblp, &nbp);
    if (a[9] & 1 && pb->nnb) {
        start = min + 1 + a[9] % 8; /* beyond the shortest NB */
        ok = false;
    }
    int limit = nb_room() < MAX_NBL_NBS ? nb_room() : MAX_NBL_NBS;
    if (limit == 0 || !stores_room(limit))
        return;
    uint64_t count;
    for (;;) {
        count = 0;
        for (int k = 0; k < pb->nnb; k++) {
            uint64_t len = nbs[pb->nb[k]].len;
            if (len > start)
                count += (len - start + max - 1) / max;
        }
        if (count <= (uint64_t)limit || max > MAX_NB_BYTES * 2)
            break;
        max *= 2; /* fewer, longer fragments */
    }
    if (count > (uint64_t)limit)
        return; /* more NBs with data than room for fragments */
    if (count == 0)
        ok = false; /* nothing to fragment: refused */
    for (int k = 0; ok && k < pb->nnb; k++) {
        const struct mnb *src = &nbs[pb->nb[k]];
        for (uint64_t at = start; at < src->len; at += max)
            if (slice_count(src, src->off + at, src->len - at < max ? src->len - at : max) + 1 > MAX_SEGS)
                return;
    }
    ULONG64 outstanding = ndisbuf_outstanding_total();
    diag_begin();
    PNET_BUFFER_LIST frag = NdisAllocateFragmentNetBufferList(pb->nbl, nblp >= 0 ? nbl_pools[nblp].h : NULL,
                                                              nbp >= 0 ? nb_pools[nbp].h : NULL, start, max, delta,
                                                              backfill, 0);
    if (!ok || fault_hit()) {
        expect_refused(frag, outstanding);
        return;
    }
    FZ_CHECK(frag != NULL);
    expect_no_diag();
    struct mnbl *b = child_begin(slot, frag, parent, nblp, nbp, NK_FRAGMENT, 0, delta, (int)count);
    int f = 0;
    for (int k = 0; k < pb->nnb; k++) {
        const struct mnb *src = &nbs[pb->nb[k]];
        for (uint64_t at = start; at < src->len; at += max) {
            uint32_t piece = (uint32_t)(src->len - at < max ? src->len - at : max);
            struct mnb *m = &nbs[b->nb[f++]];
            seg_slices(m, src, src->off + at, piece);
            m->len = piece;
            model_header_room(m, delta, backfill);
        }
    }
}

static void op_reassemble(const uint8_t *a)
{
    int slot = free_nbl_slot(a[0]);
    int parent = pick_nbl(a[1]);
    if (slot < 0 || parent < 0 || !nb_room() || !stores_room(1))
        return;
    struct mnbl *pb = &nbls[parent];
    uint32_t min = pb->nnb ? min_len(pb) : 0;
    uint32_t start = fz_arg16(&a[2]) % (min + 1);
    uint32_t delta = a[4] % 4 == 0 ? 0 : a[4] % 97, backfill = a[5] % 41;
    int nblp, nbp;
    bool ok = derive_pools(a[6], -1, true, &nblp, &nbp);
    if (a[7] & 1 && pb->nnb) {
        start = min + 1 + a[7] % 8;
        ok = false;
    }
    uint64_t total = delta + backfill;
    int slices = 0;
    for (int k = 0; ok && k < pb->nnb; k++) {
        const struct mnb *src = &nbs[pb->nb[k]];
        total += src->len - start;
        slices += slice_count(src, src->off + start, src->len - start);
    }
    if (ok && (total > MAX_NB_BYTES || slices + 1 > MAX_SEGS))
        return;
    ULONG64 outstanding = ndisbuf_outstanding_total();
    diag_begin();
    PNET_BUFFER_LIST whole = NdisAllocateReassembledNetBufferList(pb->nbl, nblp >= 0 ? nbl_pools[nblp].h : NULL,
                                                                  start, delta, backfill, 0);
    if (!ok || fault_hit()) {
        expect_refused(whole, outstanding);
        return;
    }
    FZ_CHECK(whole != NULL);
    expect_no_diag();
    struct mnbl *b = child_begin(slot, whole, parent, nblp, -1, NK_REASSEMBLED, 0, delta, 1);
    struct mnb *m = &nbs[b->nb[0]];
    for (int k = 0; k < pb->nnb; k++) {
        const struct mnb *src = &nbs[pb->nb[k]];
        seg_slices(m, src, src->off + start, src->len - start);
        m->len += src->len - start;
    }
    model_header_room(m, delta, backfill);
}

/* ------------------------------------------------------------ operations: retreat and advance */

/*
 * One NB's retreat; the handler is called once exactly when a new MDL is
 * needed. True when an injected fault made it fail (RESOURCES, NB unchanged).
 */
static bool retreat_call(struct mnb *m, uint32_t delta, uint32_t backfill, bool handler, NDIS_STATUS *status)
{
    uint32_t calls = H.calls;
    *status = NdisRetreatNetBufferDataStart(m->nb, delta, backfill, handler ? fz_allocate_mdl : NULL);
    if (fault_hit()) {
        FZ_CHECK_EQ(*status, NDIS_STATUS_RESOURCES);
        expect_diag();
        return true;
    }
    bool allocates = delta > m->off;
    FZ_CHECK_EQ(H.calls - calls, handler && allocates ? 1 : 0);
    return false;
}

static void op_retreat(const uint8_t *a)
{
    int id = pick_nb(a[0], true);
    if (id < 0)
        return;
    struct mnb *m = &nbs[id];
    uint32_t delta = fz_arg16(&a[1]) % (a[2] & 0x80 ? 1024 : 97);
    uint32_t backfill = a[3] % 64;
    uint8_t mode = a[4] % 6;
    uint64_t total = nb_total(m);
    bool allocates = delta > m->off;
    uint32_t missing = allocates ? delta - m->off : 0;
    if (mode == 4) { /* DataLength + delta beyond 32 bits */
        if (!m->len)
            return;
        delta = 0xFFFFFFFFu - m->len + 1 + (a[5] % 16 < m->len ? a[5] % 16 : 0);
    } else if (mode == 5) { /* the new MDL's size beyond 32 bits */
        if (!allocates)
            return;
        backfill = 0xFFFFFFFFu - missing + 1 + (a[5] % 16 < missing ? a[5] % 16 : 0);
    } else if (allocates && (m->nseg >= SOFT_SEGS || total + missing + backfill + 64 > MAX_NB_BYTES ||
                             !handler_room(1) || !stores_room(1))) {
        return;
    }
    if (mode >= 4) {
        struct mnb before = *m;
        diag_begin();
        NDIS_STATUS status = NdisRetreatNetBufferDataStart(m->nb, delta, backfill, NULL);
        FZ_CHECK_EQ(status, NDIS_STATUS_FAILURE);
        expect_diag();
        FZ_CHECK(m->off == before.off && m->len == before.len);
        return;
    }
    bool handler = mode != 0;
    int32_t extra = 0;
    if (mode == 1)
        extra = a[5] % 16;
    else if (mode == 2)
        extra = -(int32_t)(1 + a[5] % 64);
    handlers_reset(0, mode == 3, extra);
    diag_begin();
    NDIS_STATUS status;
    if (retreat_call(m, delta, backfill, handler, &status))
        return;
    if (!allocates) {
        FZ_CHECK_EQ(status, NDIS_STATUS_SUCCESS);
        expect_no_diag();
        model_retreat(m, delta, (struct seg){0});
        return;
    }
    uint32_t asked = missing + backfill;
    if (!handler) {
        FZ_CHECK_EQ(status, NDIS_STATUS_SUCCESS);
        expect_no_diag();
        model_retreat(m, delta, (struct seg){-1, 0, asked, SG_RETREAT, NULL});
        return;
    }
    if (mode == 3) {
        FZ_CHECK_EQ(status, NDIS_STATUS_RESOURCES);
        return;
    }
    int64_t give = (int64_t)asked + extra;
    if (give < 0)
        give = 0;
    struct hmdl *h = &hmdls[H.last];
    if (give < missing) { /* too small to hold the missing bytes: refused, the MDL stays the driver's */
        FZ_CHECK_EQ(status, NDIS_STATUS_RESOURCES);
        expect_diag();
        hmdl_release(H.last);
        return;
    }
    FZ_CHECK_EQ(status, NDIS_STATUS_SUCCESS);
    expect_no_diag();
    model_retreat(m, delta, (struct seg){h->store, 0, (uint32_t)give, SG_HANDLER, h->mdl});
}

static void op_advance(const uint8_t *a)
{
    int id = pick_nb(a[0], true);
    if (id < 0)
        return;
    struct mnb *m = &nbs[id];
    uint8_t flags = a[3];
    bool free_mdl = flags & 1, free_handler = flags & 2;
    uint32_t delta = (flags & 4) ? m->len + 1 + fz_arg16(&a[1]) % 8 : fz_arg16(&a[1]) % (m->len + 1);
    handlers_reset(0, false, 0);
    diag_begin();
    NdisAdvanceNetBufferDataStart(m->nb, delta, (BOOLEAN)free_mdl, free_handler ? fz_free_mdl : NULL);
    if (delta > m->len) {
        expect_diag(); /* nothing changes */
        return;
    }
    bool kept;
    uint32_t frees = model_advance(m, delta, free_mdl, free_handler, &kept);
    if (kept)
        expect_diag();
    else
        expect_no_diag();
    FZ_CHECK_EQ(H.frees, frees);
}

static void op_nbl_retreat(const uint8_t *a)
{
    int i = pick_nbl(a[0]);
    if (i < 0 || nbls[i].children)
        return;
    struct mnbl *b = &nbls[i];
    uint32_t delta = fz_arg16(&a[1]) % (a[2] & 0x80 ? 700 : 97);
    uint32_t backfill = a[3] % 64;
    bool handler = a[4] & 1, free_handler = a[4] & 2;
    uint32_t fail_at = a[5] % (uint32_t)(b->nnb + 2);
    int32_t extra = (a[6] & 0x80) ? -(int32_t)(1 + (a[6] & 0x3F)) : a[6] % 16;
    if (!handler_room(b->nnb) || !stores_room(b->nnb))
        return;
    for (int k = 0; k < b->nnb; k++) {
        struct mnb *m = &nbs[b->nb[k]];
        if (delta > m->off && (m->nseg >= SOFT_SEGS || nb_total(m) + delta + backfill + 64 > MAX_NB_BYTES))
            return;
    }
    /* The model's run: which NB fails first, if any. */
    int fails = -1;
    uint32_t calls = 0;
    for (int k = 0; handler && k < b->nnb && fails < 0; k++) {
        struct mnb *m = &nbs[b->nb[k]];
        if (delta <= m->off)
            continue;
        calls++;
        int64_t give = (int64_t)(delta - m->off + backfill) + extra;
        if (calls == fail_at || (give < 0 ? 0 : give) < delta - m->off)
            fails = k;
    }
    handlers_reset(fail_at, false, extra);
    int first_handler_mdl = nhmdl;
    diag_begin();
    NDIS_STATUS status = NdisRetreatNetBufferListDataStart(b->nbl, delta, backfill, handler ? fz_allocate_mdl : NULL,
                                                           free_handler ? fz_free_mdl : NULL);
    bool faulted = fault_hit();
    if (!faulted)
        FZ_CHECK_EQ(H.calls, calls);
    if (fails >= 0 || faulted) {
        FZ_CHECK_EQ(status, NDIS_STATUS_RESOURCES);
        /* Every NB as it was. The handler MDLs of the NBs before are given back through FreeMdlHandler,
         * or left to the driver (a diagnostic) without one; a refused short one is the driver's too. */
        uint32_t given_back = 0;
        for (int j = first_handler_mdl; j < nhmdl; j++)
            if (hmdls[j].live) {
                hmdl_release(j);
            } else {
                given_back++;
            }
        if (free_handler)
            FZ_CHECK_EQ(H.frees, given_back);
        else
            FZ_CHECK_EQ(H.frees, 0);
        return;
    }
    FZ_CHECK_EQ(status, NDIS_STATUS_SUCCESS);
    expect_no_diag();
    int given = first_handler_mdl;
    for (int k = 0; k < b->nnb; k++) {
        struct mnb *m = &nbs[b->nb[k]];
        if (delta <= m->off) {
            model_retreat(m, delta, (struct seg){0});
        } else if (handler) {
            struct hmdl *h = &hmdls[given++];
            int64_t give = (int64_t)(delta - m->off + backfill) + extra;
            model_retreat(m, delta, (struct seg){h->store, 0, (uint32_t)(give < 0 ? 0 : give), SG_HANDLER, h->mdl});
        } else {
            model_retreat(m, delta, (struct seg){-1, 0, delta - m->off + backfill, SG_RETREAT, NULL});
        }
    }
    FZ_CHECK_EQ(given, nhmdl);
}

static void op_nbl_advance(const uint8_t *a)
{
    int i = pick_nbl(a[0]);
    if (i < 0 || nbls[i].children)
        return;
    struct mnbl *b = &nbls[i];
    uint8_t flags = a[3];
    bool free_mdl = flags & 1, free_handler = flags & 2;
    uint32_t min = b->nnb ? min_len(b) : 0;
    bool beyond = (flags & 4) && b->nnb;
    uint32_t delta = beyond ? min + 1 : fz_arg16(&a[1]) % (min + 1);
    handlers_reset(0, false, 0);
    diag_begin();
    NdisAdvanceNetBufferListDataStart(b->nbl, delta, (BOOLEAN)free_mdl, free_handler ? fz_free_mdl : NULL);
    if (beyond) {
        expect_diag();
        return;
    }
    uint32_t frees = 0;
    bool any_kept = false;
    for (int k = 0; k < b->nnb; k++) {
        bool kept;
        frees += model_advance(&nbs[b->nb[k]], delta, free_mdl, free_handler, &kept);
        any_kept |= kept;
    }
    if (!any_kept)
        expect_no_diag();
    FZ_CHECK_EQ(H.frees, frees);
}

/* ------------------------------------------------------------ operations: context, data, info */

static void op_ctx(const uint8_t *a)
{
    int i = pick_nbl(a[0]);
    if (i < 0)
        return;
    struct mnbl *b = &nbls[i];
    switch (a[1] % 4) {
    case 0:
    case 1: {
        if (b->nlifo >= MAX_LAYERS || b->nblocks > MAX_LAYERS)
            return;
        uint16_t size = (uint16_t)(8 * (1 + a[2] % 8)), backfill = (uint16_t)(8 * (a[3] % 5));
        if (a[2] & 0x80) { /* not a multiple of sizeof(PVOID): refused, nothing changes */
            diag_begin();
            FZ_CHECK_EQ(NdisAllocateNetBufferListContext(b->nbl, (USHORT)(size | 4), backfill, TAG),
                        NDIS_STATUS_FAILURE);
            expect_diag();
            return;
        }
        ctx_allocate(b, size, backfill, a[3] * 131u + (uint32_t)fz_step);
        break;
    }
    case 2:
        if (b->nlifo)
            ctx_free(b);
        break;
    default: {
        const struct mblock *top = b->nblocks ? &b->blocks[b->nblocks - 1] : NULL;
        uint32_t used = top ? (uint32_t)(top->size - top->offset) : 0;
        fz_expect_report(NDISBUF_REPORT_CONTEXT_MISMATCH);
        NdisFreeNetBufferListContext(b->nbl, (USHORT)(used + 8));
        fz_expect_done();
        break;
    }
    }
}

/* Writes n bytes of the chain from position `from` through the MDLs, and into the model. */
static void chain_write(struct mnb *m, uint64_t from, uint32_t n, const uint8_t *bytes)
{
    struct piece pc[MAX_SEGS];
    int count = range_pieces(m, from, n, pc);
    for (int i = 0; i < count; i++) {
        const struct seg *s = &m->seg[pc[i].k];
        uint8_t *va = (uint8_t *)MmGetSystemAddressForMdlSafe(s->real, NormalPagePriority) + pc[i].in;
        struct store *st = &stores[s->store];
        memcpy(va, bytes + pc[i].at, pc[i].n);
        memcpy(st->shadow + s->start + pc[i].in, bytes + pc[i].at, pc[i].n);
        memset(st->known + s->start + pc[i].in, 1, pc[i].n);
    }
}

/* Where the first used byte is (zero-length and exhausted MDLs stepped over): seg k, `in` bytes into it. */
static int first_used(const struct mnb *m, uint32_t *in)
{
    uint32_t o = m->off;
    for (int k = 0; k < m->nseg; k++) {
        if (o < m->seg[k].len) {
            *in = o;
            return k;
        }
        o -= m->seg[k].len;
    }
    return -1;
}

static void op_write(const uint8_t *a)
{
    int id = pick_nb(a[0], false);
    if (id < 0)
        return;
    struct mnb *m = &nbs[id];
    uint8_t bytes[256];
    uint32_t n = a[3];
    fz_fill(bytes, sizeof(bytes), a[4] * 977u + (uint32_t)fz_step);
    if (!(a[5] & 1)) {
        chain_write(m, (uint64_t)m->off + fz_arg16(&a[1]) % (m->len + 8), n, bytes);
        return;
    }
    /* In place, through the pointer NdisGetDataBuffer gives when the bytes are contiguous. */
    n = 1 + n % 64;
    diag_begin();
    uint8_t *p = NdisGetDataBuffer(m->nb, n, NULL, 1, 0);
    expect_no_diag();
    uint32_t in;
    int k = n <= m->len ? first_used(m, &in) : -1;
    if (k < 0 || m->seg[k].len - in < n) {
        FZ_CHECK(p == NULL);
        return;
    }
    FZ_CHECK(p == seg_address(&m->seg[k]) + in);
    memcpy(p, bytes, n);
    struct store *st = &stores[m->seg[k].store];
    memcpy(st->shadow + m->seg[k].start + in, bytes, n);
    memset(st->known + m->seg[k].start + in, 1, n);
}

static void op_get(const uint8_t *a)
{
    int id = pick_nb(a[0], false);
    if (id < 0)
        return;
    struct mnb *m = &nbs[id];
    static const UINT multiples[] = {0, 1, 2, 4, 8, 16, 32, 64};
    uint32_t n = fz_arg16(&a[1]) % (m->len + 3);
    UINT multiple = multiples[a[3] % 8];
    UINT offset = multiple > 1 ? a[4] % multiple : 0;
    bool with_storage = a[5] & 1, bad = a[5] & 2;
    if (bad && (a[3] & 0x80)) {
        multiple = 3 + 2 * (a[3] % 8); /* odd: not a power of two */
        offset = 0;
    } else if (bad) {
        multiple = multiple > 1 ? multiple : 2;
        offset = multiple + a[4] % 8; /* not below AlignMultiple */
    }
    if (n > MAX_NB_BYTES)
        return;
    uint8_t *storage = with_storage ? scratch : NULL;
    memset(scratch, 0xA5, n);
    diag_begin();
    uint8_t *got = NdisGetDataBuffer(m->nb, n, storage, multiple, offset);
    uint8_t *expected = NULL;
    uint32_t in;
    int k = first_used(m, &in);
    if (bad) {
        FZ_CHECK(got == NULL);
        if (n && n <= m->len)
            expect_diag();
        return;
    }
    expect_no_diag();
    if (n && n <= m->len && k >= 0) {
        uint8_t *here = seg_address(&m->seg[k]) + in;
        bool aligned = multiple <= 1 || ((ULONG_PTR)here & (multiple - 1)) == offset;
        expected = m->seg[k].len - in >= n && aligned ? here : storage;
    }
    if (got != expected)
        FZ_FAIL("NdisGetDataBuffer(%u, storage %d, %u, %u) gave %p, the model %p", n, with_storage, multiple, offset,
                (void *)got, (void *)expected);
    if (got && got == storage) {
        struct piece pc[MAX_SEGS];
        int count = range_pieces(m, m->off, n, pc);
        for (int i = 0; i < count; i++) {
            const struct seg *s = &m->seg[pc[i].k];
            const struct store *st = &stores[s->store];
            for (uint32_t j = 0; j < pc[i].n; j++)
                if (st->known[s->start + pc[i].in + j])
                    FZ_CHECK_EQ(got[pc[i].at + j], st->shadow[s->start + pc[i].in + j]);
        }
    }
}

/* Whether chain bytes [dfrom, +n) of d and [sfrom, +n) of s share any memory. */
static bool ranges_overlap(const struct mnb *d, uint64_t dfrom, const struct mnb *s, uint64_t sfrom, uint64_t n)
{
    struct piece dp[MAX_SEGS], sp[MAX_SEGS];
    int dc = range_pieces(d, dfrom, n, dp), sc = range_pieces(s, sfrom, n, sp);
    for (int i = 0; i < dc; i++)
        for (int j = 0; j < sc; j++) {
            const struct seg *x = &d->seg[dp[i].k], *y = &s->seg[sp[j].k];
            uint64_t x0 = x->start + dp[i].in, y0 = y->start + sp[j].in;
            if (x->store == y->store && x0 < y0 + sp[j].n && y0 < x0 + dp[i].n)
                return true;
        }
    return false;
}

static void op_copy(const uint8_t *a)
{
    int di = pick_nb(a[0], false), si = pick_nb(a[1], false);
    if (di < 0 || si < 0)
        return;
    struct mnb *d = &nbs[di], *s = &nbs[si];
    uint8_t flags = a[8];
    uint32_t doff = fz_arg16(&a[2]) % (d->len + 16), soff = fz_arg16(&a[4]) % (s->len + 16);
    if (flags & 2)
        doff = 0xFFFFFFF0u + (a[2] & 0xF);
    if (flags & 4)
        soff = 0xFFFFFFF0u + (a[4] & 0xF);
    uint32_t bytes = fz_arg16(&a[6]) % (flags & 8 ? 4096 : 300);
    uint64_t dtotal = nb_total(d), stotal = nb_total(s);
    uint64_t dat = (uint64_t)d->off + doff, sat = (uint64_t)s->off + soff, n = bytes;
    if (dat >= dtotal || sat >= stotal)
        n = 0;
    if (n > dtotal - dat)
        n = dtotal - dat;
    if (n > stotal - sat)
        n = stotal - sat;
    if (flags & 1) { /* BytesCopied NULL: refused */
        diag_begin();
        FZ_CHECK_EQ(NdisCopyFromNetBufferToNetBuffer(d->nb, doff, bytes, s->nb, soff, NULL), NDIS_STATUS_FAILURE);
        expect_diag();
        return;
    }
    if (n && ranges_overlap(d, dat, s, sat, n))
        return; /* overlapping ranges: the result is not specified */
    /* The source bytes first (with what is known of them), then the copy. */
    static uint8_t vals[MAX_NB_BYTES], known[MAX_NB_BYTES];
    struct piece pc[MAX_SEGS];
    int count = range_pieces(s, sat, n, pc);
    for (int i = 0; i < count; i++) {
        const struct seg *sg = &s->seg[pc[i].k];
        memcpy(vals + pc[i].at, stores[sg->store].shadow + sg->start + pc[i].in, pc[i].n);
        memcpy(known + pc[i].at, stores[sg->store].known + sg->start + pc[i].in, pc[i].n);
    }
    ULONG copied = 0xFFFFFFFFu;
    diag_begin();
    FZ_CHECK_EQ(NdisCopyFromNetBufferToNetBuffer(d->nb, doff, bytes, s->nb, soff, &copied), NDIS_STATUS_SUCCESS);
    expect_no_diag();
    FZ_CHECK_EQ(copied, n);
    count = range_pieces(d, dat, n, pc);
    for (int i = 0; i < count; i++) {
        const struct seg *sg = &d->seg[pc[i].k];
        memcpy(stores[sg->store].shadow + sg->start + pc[i].in, vals + pc[i].at, pc[i].n);
        memcpy(stores[sg->store].known + sg->start + pc[i].in, known + pc[i].at, pc[i].n);
    }
}

/* The info slots NdisCopySend/ReceiveNetBufferListInfo copy (Microsoft's two pages). */
static const int send_info[] = {TcpIpChecksumNetBufferListInfo, IPsecOffloadV1NetBufferListInfo,
                                TcpLargeSendNetBufferListInfo, Ieee8021QNetBufferListInfo,
                                MediaSpecificInformation, NetBufferListCancelId, NetBufferListProtocolId,
                                IPsecOffloadV2TunnelNetBufferListInfo, IPsecOffloadV2HeaderNetBufferListInfo,
                                VirtualSubnetInfo, NetBufferListFilteringInfo};
static const int receive_info[] = {TcpIpChecksumNetBufferListInfo, IPsecOffloadV1NetBufferListInfo,
                                   TcpReceiveNoPush, Ieee8021QNetBufferListInfo, MediaSpecificInformation,
                                   NetBufferListFrameType, NetBufferListHashValue, NetBufferListHashInfo,
                                   IPsecOffloadV2TunnelNetBufferListInfo, IPsecOffloadV2HeaderNetBufferListInfo,
                                   VirtualSubnetInfo, NetBufferListFilteringInfo};

static void op_info(const uint8_t *a)
{
    int i = pick_nbl(a[0]), j = pick_nbl(a[4]);
    if (i < 0)
        return;
    struct mnbl *b = &nbls[i];
    int id = a[2] % MaxNetBufferListInfo;
    switch (a[1] % 4) {
    case 0: {
        ULONG_PTR value = (ULONG_PTR)a[3] * 0x0101010101010101ull ^ (ULONG_PTR)id;
        NET_BUFFER_LIST_INFO(b->nbl, id) = (PVOID)value;
        b->info[id] = value;
        break;
    }
    case 1:
    case 2: {
        bool send = a[1] % 4 == 1;
        const int *ids = send ? send_info : receive_info;
        size_t count = send ? sizeof(send_info) / sizeof(send_info[0]) : sizeof(receive_info) / sizeof(receive_info[0]);
        diag_begin();
        if (send)
            NdisCopySendNetBufferListInfo(b->nbl, nbls[j].nbl);
        else
            NdisCopyReceiveNetBufferListInfo(b->nbl, nbls[j].nbl);
        expect_no_diag();
        for (size_t k = 0; k < count; k++)
            b->info[ids[k]] = nbls[j].info[ids[k]];
        break;
    }
    default:
        NdisSetNetBufferListProtocolId(b->nbl, a[3] % 16);
        b->info[NetBufferListProtocolId] = (b->info[NetBufferListProtocolId] & ~(ULONG_PTR)0xFF) | (a[3] % 16);
        FZ_CHECK_EQ(NdisGetNetBufferListProtocolId(b->nbl), a[3] % 16);
        break;
    }
}

static void op_front_mdl(const uint8_t *a)
{
    int id = pick_nb(a[0], true);
    if (id < 0 || nfront >= MAX_FRONT || !stores_room(1))
        return;
    struct mnb *m = &nbs[id];
    uint32_t len = a[1] % 64;
    if (m->nseg >= SOFT_SEGS || nb_total(m) + len > MAX_NB_BYTES)
        return;
    /*
     * Finding 1b (docs/fuzzing.md): an AllocateMdlHandler's MDL is known only
     * by its place at the front, so an advance with FreeMdl takes a driver's
     * MDL linked in front of one for the handler's. Not generated until it
     * is fixed, unless NDISBUF_FUZZ_KNOWN_BUGS is set.
     */
    for (int k = 0; !fz_known_bugs && k < m->nseg; k++)
        if (m->seg[k].kind == SG_HANDLER)
            return;
    struct mfront *f = &fronts[nfront++];
    f->store = store_new_buffer(len, a[2] * 31u + (uint32_t)fz_step, ST_FRONT);
    MmInitializeMdl(&f->mdl, stores[f->store].base, len);
    MmBuildMdlForNonPagedPool(&f->mdl);
    f->mdl.Next = NET_BUFFER_FIRST_MDL(m->nb);
    NET_BUFFER_FIRST_MDL(m->nb) = &f->mdl;
    NET_BUFFER_DATA_OFFSET(m->nb) += len;
    NdisAdjustNetBufferCurrentMdl(m->nb);
    seg_prepend(m, (struct seg){f->store, 0, len, SG_FRONT, &f->mdl});
    m->off += len;
}

/* Whether another live NB's chain holds this MDL (so linking after it would change that chain too). */
static bool mdl_shared(int id, PMDL mdl)
{
    for (int i = 0; i < MAX_NBS; i++)
        for (int k = 0; i != id && nbs[i].live && k < nbs[i].nseg; k++)
            if (nbs[i].seg[k].real == mdl)
                return true;
    return false;
}

/*
 * The driver links an MDL of its own after the last one (padding, a
 * trailer) and lets DataLength grow into it. Only after an MDL that is this
 * NB's alone: a caller chain's last MDL is every NB's on that chain.
 */
static void op_back_mdl(const uint8_t *a)
{
    int id = pick_nb(a[0], true);
    if (id < 0 || nfront >= MAX_FRONT || !stores_room(1))
        return;
    struct mnb *m = &nbs[id];
    uint32_t len = a[1] % 64;
    uint64_t total = nb_total(m);
    if (m->nseg >= SOFT_SEGS || total + len > MAX_NB_BYTES)
        return;
    struct seg *last = m->nseg ? &m->seg[m->nseg - 1] : NULL;
    if (last && (last->kind == SG_CALLER || last->kind == SG_SHARED || mdl_shared(id, last->real)))
        return;
    uint32_t room = (uint32_t)(total + len - m->off - m->len);
    uint32_t extend = a[2] % (room + 1);
    struct mfront *f = &fronts[nfront++];
    f->store = store_new_buffer(len, a[2] * 37u + (uint32_t)fz_step, ST_FRONT);
    MmInitializeMdl(&f->mdl, stores[f->store].base, len);
    MmBuildMdlForNonPagedPool(&f->mdl);
    if (last)
        last->real->Next = &f->mdl;
    else
        NET_BUFFER_FIRST_MDL(m->nb) = &f->mdl;
    m->nb->stDataLength = (SIZE_T)m->len + extend;
    NdisAdjustNetBufferCurrentMdl(m->nb);
    m->seg[m->nseg++] = (struct seg){f->store, 0, len, SG_FRONT, &f->mdl};
    m->len += extend;
}

static void op_misc(const uint8_t *a)
{
    int id = pick_nb(a[0], false);
    if (id < 0)
        return;
    struct mnb *m = &nbs[id];
    switch (a[1] % 3) {
    case 0:
        NdisAdjustNetBufferCurrentMdl(m->nb); /* changes nothing on a consistent NB */
        break;
    case 1: {
        ULONG pages = 0;
        struct piece pc[MAX_SEGS];
        int count = range_pieces(m, m->off, m->len, pc);
        for (int i = 0; i < count; i++)
            pages += ADDRESS_AND_SIZE_TO_SPAN_PAGES(seg_address(&m->seg[pc[i].k]) + pc[i].in, pc[i].n);
        FZ_CHECK_EQ(NdisQueryNetBufferPhysicalCount(m->nb), pages);
        break;
    }
    default:
        FZ_CHECK(NdisGetPoolFromNetBuffer(m->nb) == m->nb->NdisPoolHandle);
        if (m->separate)
            FZ_CHECK(NdisGetPoolFromNetBuffer(m->nb) == nb_pools[m->pool].h);
        break;
    }
}

static NDISBUF_FAULT_PLAN fault_plan;
static bool fault_pending;

/* Arms fault injection for the next instruction: its nth allocation of the kinds named fails. */
static void op_fault(const uint8_t *a)
{
    ULONG kinds = (a[0] & 0x1F) | (a[0] & 0x20 ? NDISBUF_FAULT_POOL : 0);
    memset(&fault_plan, 0, sizeof(fault_plan));
    fault_plan.Kinds = kinds ? kinds : NDISBUF_FAULT_RETREAT;
    fault_plan.FailNth = 1 + a[1] % 4;
    fault_pending = true;
}

static void fault_arm(void)
{
    if (!fault_pending)
        return;
    fault_pending = false;
    FZ_CHECK_EQ(ndisbuf_fault_set(&fault_plan), NDIS_STATUS_SUCCESS);
    fault_armed = true;
}

static void fault_disarm(void)
{
    if (!fault_armed)
        return;
    FZ_CHECK_EQ(ndisbuf_fault_set(NULL), NDIS_STATUS_SUCCESS);
    fault_armed = false;
}

/* ------------------------------------------------------------ the program */

static const struct {
    void (*run)(const uint8_t *);
    const char *name;
} ops[API_OP_COUNT] = {
    [API_POOL_NBL] = {op_pool_nbl, "NBL pool"},
    [API_POOL_NB] = {op_pool_nb, "NB pool"},
    [API_POOL_FREE] = {op_pool_free, "pool free"},
    [API_CHAIN] = {op_chain, "caller chain"},
    [API_NBL_ALLOC] = {op_nbl_alloc, "NBL allocation"},
    [API_NB_ALLOC] = {op_nb_alloc, "NB allocation"},
    [API_NB_ATTACH] = {op_nb_attach, "NB attach"},
    [API_NB_DETACH] = {op_nb_detach, "NB detach"},
    [API_FREE] = {op_free, "NBL free"},
    [API_NB_FREE] = {op_nb_free, "NB free"},
    [API_CLONE] = {op_clone, "clone"},
    [API_FRAGMENT] = {op_fragment, "fragment"},
    [API_REASSEMBLE] = {op_reassemble, "reassemble"},
    [API_RETREAT] = {op_retreat, "NB retreat"},
    [API_ADVANCE] = {op_advance, "NB advance"},
    [API_NBL_RETREAT] = {op_nbl_retreat, "NBL retreat"},
    [API_NBL_ADVANCE] = {op_nbl_advance, "NBL advance"},
    [API_CTX] = {op_ctx, "context"},
    [API_WRITE] = {op_write, "write"},
    [API_GET] = {op_get, "NdisGetDataBuffer"},
    [API_COPY] = {op_copy, "NdisCopyFromNetBufferToNetBuffer"},
    [API_INFO] = {op_info, "info"},
    [API_FRONT_MDL] = {op_front_mdl, "driver front MDL"},
    [API_MISC] = {op_misc, "misc"},
    [API_FAULT] = {op_fault, "fault injection"},
    [API_BACK_MDL] = {op_back_mdl, "driver back MDL"},
};

static void world_reset(void)
{
    memset(nbs, 0, sizeof(nbs));
    memset(nbls, 0, sizeof(nbls));
    memset(nbl_pools, 0, sizeof(nbl_pools));
    memset(nb_pools, 0, sizeof(nb_pools));
    memset(chains, 0, sizeof(chains));
    for (int i = 0; i < MAX_LONE; i++)
        lone[i] = -1;
    nstores = nhmdl = nfront = 0;
    handlers_reset(0, false, 0);
    fault_pending = false;
}

static void world_teardown(void)
{
    fz_op = "teardown";
    for (;;) {
        int leaf = -1;
        for (int i = 0; i < MAX_NBLS && leaf < 0; i++)
            if (nbls[i].live && !nbls[i].children)
                leaf = i;
        if (leaf < 0)
            break;
        nbl_free_properly(leaf);
        check_world();
    }
    for (int i = 0; i < MAX_NBLS; i++)
        FZ_CHECK(!nbls[i].live);
    for (int s = 0; s < MAX_LONE; s++)
        if (lone[s] >= 0) {
            int id = lone[s];
            diag_begin();
            NdisFreeNetBuffer(nbs[id].nb);
            if (!nb_has_handler_mdls(&nbs[id]))
                expect_no_diag();
            nb_model_release(id);
        }
    check_world();
    for (int i = 0; i < MAX_NBL_POOLS; i++)
        if (nbl_pools[i].live) {
            FZ_CHECK_EQ(nbl_pools[i].out, 0);
            NdisFreeNetBufferListPool(nbl_pools[i].h);
        }
    for (int i = 0; i < MAX_NB_POOLS; i++)
        if (nb_pools[i].live) {
            FZ_CHECK_EQ(nb_pools[i].out, 0);
            NdisFreeNetBufferPool(nb_pools[i].h);
        }
    chains_free();
    for (int i = 0; i < nhmdl; i++)
        FZ_CHECK(!hmdls[i].live);
    for (int s = 0; s < nstores; s++) {
        if (stores[s].owned && !stores[s].dead)
            free(stores[s].base);
        free(stores[s].shadow);
        free(stores[s].known);
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
        uint8_t op = fz_u8(&in) % API_OP_COUNT, a[ARGS_MAX];
        fz_args(&in, a, api_op_args[op]);
        fz_op = ops[op].name;
        fz_trace_op(fz_op, a, api_op_args[op]);
        if (op != API_FAULT)
            fault_arm();
        ops[op].run(a);
        fault_disarm();
        check_world();
    }
    world_teardown();
    FZ_CHECK_EQ(ndisbuf_outstanding_total(), outstanding);
    FZ_CHECK_EQ(ndisbuf_live_pool_count(), pools);
    return 0;
}
