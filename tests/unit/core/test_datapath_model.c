/* SPDX-License-Identifier: MIT */
/*
 * A randomized model-based test of the data path. A few NBs (three on one
 * NBL whose retreats use MDL handlers that sometimes fail, a lone NB on a
 * caller chain, a lone NB with no chain, the NB of a DataSize NBL) and the
 * context stacks of two NBLs go through thousands of random operations:
 * retreat (NB and NBL, random delta and back-fill, failing handlers),
 * advance (random FreeMdl), context allocate/free (LIFO, and the odd
 * mismatched free), NdisGetDataBuffer reads and writes through the pointer
 * it gives, and NdisCopyFromNetBufferToNetBuffer between NBs. After every
 * operation each NB is compared with a plain model: the bytes of its whole
 * chain (those whose value is known), the MDL sizes, which MDLs a retreat
 * made, DataOffset, DataLength, and CurrentMdl/CurrentMdlOffset recomputed
 * by walking; each context stack with its block sizes, offsets and used
 * bytes.
 *
 * The seed is fixed; NDISBUF_MODEL_SEED=<n> picks another. A failure
 * prints the seed and the step, and the same seed replays the same run.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datapath.h"
#include "rng.h"

#define TAG HARNESS_TAG('T', 'M', 'd', 'l')
#define MODEL_STEPS 40000
#define MODEL_DEFAULT_SEED 0x6E646973ull /* "ndis" */
#define MODEL_NBS 6
#define GROUP_NBS 3 /* NBs 0..2 are on NBL A and use the MDL handlers */
#define MAX_SEGS 48
#define MAX_CALLER_MDLS 4
#define MAX_LAYERS 40
#define MAX_BLOCKS (MAX_LAYERS + 1)
#define MAX_MISMATCHES 32

/* ------------------------------------------------------------ run state */

/* What the run exercised, printed at the end so a weak seed shows. */
static struct {
    ULONG retreat_allocs, retreat_failed, nbl_rollbacks, mdls_freed, gets_in_place, gets_copied, writes, copies,
        context_pushes, context_pops, mismatches;
} seen;

static unsigned long model_step;
static const char *model_op = "setup";


static void model_fail(const char *what, long long a, long long b, int line)
{
    print_error("model: step %lu (%s): %s [%lld vs %lld] at line %d\n"
                "model: seed %" PRIu64 "; replay with NDISBUF_MODEL_SEED=%" PRIu64 "\n",
                model_step, model_op, what, a, b, line, model_seed, model_seed);
    fail();
}

#define CHECK(cond)                                 \
    do {                                            \
        if (!(cond))                                \
            model_fail(#cond, 0, 0, __LINE__);      \
    } while (0)
#define CHECK_EQ(a, b)                                                                 \
    do {                                                                               \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                \
        if (check_a_ != check_b_)                                                      \
            model_fail(#a " == " #b, check_a_, check_b_, __LINE__);                    \
    } while (0)

/* ---------------------------------------------------------------- NB model */

struct seg {
    ULONG size;
    bool allocated; /* made by a retreat */
};

struct model_nb {
    PNET_BUFFER nb;
    bool handler_mode;
    UCHAR *img, *known; /* the chain's bytes, and whether each one's value is known */
    ULONG total, cap;
    struct seg segs[MAX_SEGS];
    size_t nsegs;
    size_t ncaller; /* the last ncaller segs are the caller's MDLs... */
    PMDL caller_first; /* ...starting with this one */
    ULONG off, len;
    UCHAR *caller_buf;
    MDL caller_mdls[MAX_CALLER_MDLS];
};

static void model_reserve(struct model_nb *m, ULONG need)
{
    if (need <= m->cap)
        return;
    ULONG cap = m->cap ? m->cap : 256;
    while (cap < need)
        cap *= 2;
    m->img = realloc(m->img, cap);
    m->known = realloc(m->known, cap);
    CHECK(m->img && m->known);
    m->cap = cap;
}

static void model_prepend(struct model_nb *m, ULONG size)
{
    CHECK(m->nsegs < MAX_SEGS);
    model_reserve(m, m->total + size);
    memmove(m->img + size, m->img, m->total);
    memmove(m->known + size, m->known, m->total);
    memset(m->known, 0, size);
    memmove(&m->segs[1], &m->segs[0], m->nsegs * sizeof(m->segs[0]));
    m->segs[0] = (struct seg){size, true};
    m->nsegs++;
    m->total += size;
}

static void model_drop_front(struct model_nb *m)
{
    seen.mdls_freed++;
    ULONG size = m->segs[0].size;
    memmove(m->img, m->img + size, m->total - size);
    memmove(m->known, m->known + size, m->total - size);
    memmove(&m->segs[0], &m->segs[1], (m->nsegs - 1) * sizeof(m->segs[0]));
    m->nsegs--;
    m->total -= size;
    m->off -= size;
}

/* The model of a successful retreat; `front` is the new MDL's size if one is needed. */
static void model_retreat(struct model_nb *m, ULONG delta, ULONG front)
{
    if (delta <= m->off) {
        m->off -= delta;
    } else {
        ULONG missing = delta - m->off;
        model_prepend(m, front);
        m->off = front - missing;
    }
    m->len += delta;
}

static void model_advance(struct model_nb *m, ULONG delta, bool free_mdl)
{
    m->off += delta;
    m->len -= delta;
    while (free_mdl && m->nsegs && m->segs[0].allocated && m->segs[0].size <= m->off)
        model_drop_front(m);
}

/* Where the first used byte is: segment k, offset pos (zero-length and exhausted segments stepped over). */
static size_t model_data_seg(const struct model_nb *m, ULONG *pos)
{
    size_t k = 0;
    ULONG at = m->off;
    while (k < m->nsegs && at >= m->segs[k].size)
        at -= m->segs[k++].size;
    *pos = at;
    return k;
}

static PMDL chain_mdl_at(PNET_BUFFER nb, size_t k)
{
    PMDL mdl = nb->MdlChain;
    while (k--)
        mdl = mdl->Next;
    return mdl;
}

static void model_check_nb(const struct model_nb *m)
{
    PNET_BUFFER nb = m->nb;
    CHECK_EQ(nb->DataOffset, m->off);
    CHECK_EQ(nb->DataLength, m->len);
    CHECK(m->off + (ULONG64)m->len <= m->total);

    size_t k = 0;
    ULONG at = 0;
    PMDL mdl = nb->MdlChain;
    for (; mdl && k < m->nsegs; mdl = mdl->Next, k++) {
        CHECK_EQ(mdl->ByteCount, m->segs[k].size);
        CHECK_EQ(m->segs[k].allocated, k < m->nsegs - m->ncaller);
        if (k == m->nsegs - m->ncaller)
            CHECK(mdl == m->caller_first);
        if (m->segs[k].allocated && m->handler_mode)
            CHECK(harness_mdl_from_handler(mdl));
        const UCHAR *va = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
        for (ULONG i = 0; i < mdl->ByteCount; i++, at++)
            if (m->known[at] && va[i] != m->img[at])
                model_fail("chain byte (index, value)", at, va[i], __LINE__);
    }
    CHECK(mdl == NULL);
    CHECK_EQ(k, m->nsegs);

    PMDL current;
    ULONG current_offset;
    harness_locate(nb->MdlChain, nb->DataOffset, &current, &current_offset);
    CHECK(nb->CurrentMdl == current);
    CHECK_EQ(nb->CurrentMdlOffset, current_offset);
}

/* ----------------------------------------------------------- context model */

struct model_block {
    USHORT size, offset;
    bool base;                     /* the allocation-time block */
    PNET_BUFFER_LIST_CONTEXT real; /* known for the base block */
    UCHAR *bytes;
};

struct model_ctx {
    PNET_BUFFER_LIST nbl;
    struct model_block blocks[MAX_BLOCKS]; /* bottom first */
    size_t nblocks;
    USHORT lifo[MAX_LAYERS];
    size_t nlifo;
};

static void model_check_ctx(const struct model_ctx *c)
{
    PNET_BUFFER_LIST_CONTEXT real = c->nbl->Context;
    for (size_t k = c->nblocks; k-- > 0; real = real->Next) {
        const struct model_block *b = &c->blocks[k];
        CHECK(real != NULL);
        CHECK_EQ(real->Size, b->size);
        CHECK_EQ(real->Offset, b->offset);
        if (b->base)
            CHECK(real == b->real);
        CHECK(memcmp(real->ContextData + b->offset, b->bytes + b->offset, b->size - b->offset) == 0);
    }
    CHECK(real == NULL);
    if (c->nblocks)
        CHECK_EQ((ULONG_PTR)NET_BUFFER_LIST_CONTEXT_DATA_START(c->nbl) % 8, 0);
}

static void ctx_allocate(struct model_ctx *c)
{
    if (c->nlifo == MAX_LAYERS)
        return;
    USHORT size = (USHORT)(8 * (1 + rng_below(8)));
    USHORT backfill = (USHORT)(8 * rng_below(5));
    CHECK_EQ(NdisAllocateNetBufferListContext(c->nbl, size, backfill, TAG), NDIS_STATUS_SUCCESS);
    struct model_block *top = c->nblocks ? &c->blocks[c->nblocks - 1] : NULL;
    if (top && top->offset >= size) {
        top->offset = (USHORT)(top->offset - size);
    } else {
        seen.context_pushes++;
        top = &c->blocks[c->nblocks++];
        *top = (struct model_block){(USHORT)(size + backfill), backfill, false, NULL, calloc(1, size + backfill)};
        CHECK(top->bytes != NULL);
    }
    c->lifo[c->nlifo++] = size;
    UCHAR *start = NET_BUFFER_LIST_CONTEXT_DATA_START(c->nbl);
    for (USHORT i = 0; i < size; i++)
        start[i] = top->bytes[top->offset + i] = (UCHAR)rng_next();
}

static void ctx_free(struct model_ctx *c)
{
    if (!c->nlifo)
        return;
    USHORT size = c->lifo[--c->nlifo];
    NdisFreeNetBufferListContext(c->nbl, size);
    struct model_block *top = &c->blocks[c->nblocks - 1];
    top->offset = (USHORT)(top->offset + size);
    if (top->offset == top->size && !top->base) {
        seen.context_pops++;
        free(top->bytes);
        c->nblocks--;
    }
}

/* Frees more than the current block uses: a CONTEXT_MISMATCH report, nothing changes. */
static void ctx_mismatched_free(struct model_ctx *c)
{
    ULONG used = c->nblocks ? c->blocks[c->nblocks - 1].size - c->blocks[c->nblocks - 1].offset : 0;
    size_t reports = harness_report_count();
    NdisFreeNetBufferListContext(c->nbl, (USHORT)(used + 8));
    CHECK_EQ(harness_report_count(), reports + 1);
    harness_expect_report(NDISBUF_REPORT_CONTEXT_MISMATCH);
    seen.mismatches++;
}

/* ----------------------------------------------------------------- world */

struct world {
    NDIS_HANDLE nbl_pool, data_pool, nb_pool;
    PNET_BUFFER_LIST nbl_a, nbl_b;
    struct model_nb nbs[MODEL_NBS];
    struct model_ctx ctx[2];
};

/* A caller chain of 1..4 random MDLs (zero-length allowed) over the NB's own buffer. */
static void build_caller_chain(struct model_nb *m)
{
    ULONG lengths[MAX_CALLER_MDLS];
    size_t n = 1 + rng_below(MAX_CALLER_MDLS);
    ULONG total = 0;
    for (size_t i = 0; i < n; i++) {
        lengths[i] = rng_chance(4) ? 0 : 1 + rng_below(40);
        total += lengths[i];
    }
    m->caller_buf = malloc(total ? total : 1);
    CHECK(m->caller_buf != NULL);
    for (ULONG i = 0; i < total; i++)
        m->caller_buf[i] = (UCHAR)rng_next();
    harness_mdl_chain(m->caller_mdls, n, m->caller_buf, lengths);
    m->caller_first = &m->caller_mdls[0];
    model_reserve(m, total);
    memcpy(m->img, m->caller_buf, total);
    memset(m->known, 1, total);
    for (size_t i = 0; i < n; i++)
        m->segs[i] = (struct seg){lengths[i], false};
    m->nsegs = m->ncaller = n;
    m->total = total;
    m->off = rng_below(total + 1);
    m->len = rng_below(total - m->off + 1);
}

static void world_init(struct world *w)
{
    memset(w, 0, sizeof(*w));
    w->nbl_pool = harness_nbl_pool(TRUE, 32, 0, TAG);
    w->data_pool = harness_nbl_pool(TRUE, 0, 200, TAG);
    w->nb_pool = harness_nb_pool(0);

    for (size_t i = 0; i < 4; i++)
        build_caller_chain(&w->nbs[i]);
    struct model_nb *m = &w->nbs[0];
    w->nbl_a = NdisAllocateNetBufferAndNetBufferList(w->nbl_pool, 8, 0, m->caller_mdls, m->off, m->len);
    CHECK(w->nbl_a != NULL);
    m->nb = NET_BUFFER_LIST_FIRST_NB(w->nbl_a);
    for (size_t i = 1; i < 4; i++) {
        m = &w->nbs[i];
        m->nb = NdisAllocateNetBuffer(w->nb_pool, m->caller_mdls, m->off, m->len);
        CHECK(m->nb != NULL);
    }
    NET_BUFFER_NEXT_NB(w->nbs[0].nb) = w->nbs[1].nb;
    NET_BUFFER_NEXT_NB(w->nbs[1].nb) = w->nbs[2].nb;
    for (size_t i = 0; i < GROUP_NBS; i++)
        w->nbs[i].handler_mode = true;

    /* NB 4: no chain at all. */
    w->nbs[4].nb = NdisAllocateNetBuffer(w->nb_pool, NULL, 0, 0);
    CHECK(w->nbs[4].nb != NULL);

    /* NB 5: a DataSize NBL's own MDL; its bytes are set here. */
    w->nbl_b = NdisAllocateNetBufferList(w->data_pool, 0, 0);
    CHECK(w->nbl_b != NULL);
    m = &w->nbs[5];
    m->nb = NET_BUFFER_LIST_FIRST_NB(w->nbl_b);
    model_reserve(m, 200);
    UCHAR *data = MmGetSystemAddressForMdlSafe(NET_BUFFER_FIRST_MDL(m->nb), NormalPagePriority);
    for (ULONG i = 0; i < 200; i++)
        data[i] = m->img[i] = (UCHAR)rng_next();
    memset(m->known, 1, 200);
    m->segs[0] = (struct seg){200, false};
    m->nsegs = m->ncaller = 1;
    m->caller_first = NET_BUFFER_FIRST_MDL(m->nb);
    m->total = m->len = 200;

    /* Context: NBL A has an 8-byte allocation-time context in its 32-byte block; NBL B none. */
    struct model_ctx *c = &w->ctx[0];
    c->nbl = w->nbl_a;
    c->blocks[0] = (struct model_block){32, 24, true, w->nbl_a->Context, calloc(1, 32)};
    CHECK(c->blocks[0].bytes != NULL);
    for (int i = 24; i < 32; i++)
        c->blocks[0].bytes[i] = w->nbl_a->Context->ContextData[i] = (UCHAR)rng_next();
    c->nblocks = 1;
    w->ctx[1].nbl = w->nbl_b;
    CHECK(w->nbl_b->Context == NULL);
}

static void world_check(const struct world *w)
{
    for (size_t i = 0; i < MODEL_NBS; i++)
        model_check_nb(&w->nbs[i]);
    model_check_ctx(&w->ctx[0]);
    model_check_ctx(&w->ctx[1]);
    CHECK_EQ(harness_mdl_handlers.foreign_frees, 0);
}

/* ------------------------------------------------------------- operations */

static ULONG random_delta(void)
{
    return rng_chance(10) ? rng_below(400) : rng_below(48);
}

static void op_retreat(struct model_nb *m)
{
    model_op = "retreat";
    ULONG delta = random_delta(), backfill = rng_below(33);
    if (m->len > 3000)
        return;
    bool allocates = delta > m->off;
    ULONG front = delta - m->off + backfill;
    harness_mdl_handlers_reset(0, m->handler_mode && rng_chance(3) ? rng_below(17) : 0);
    harness_mdl_handlers.fail_all = m->handler_mode && rng_chance(5);
    struct harness_nb_snapshot before;
    harness_nb_snapshot(m->nb, &before);

    NDIS_STATUS status =
        NdisRetreatNetBufferDataStart(m->nb, delta, backfill, m->handler_mode ? harness_allocate_mdl_handler : NULL);
    if (allocates && harness_mdl_handlers.fail_all) {
        CHECK_EQ(status, NDIS_STATUS_RESOURCES);
        CHECK(memcmp(m->nb, &before.nb, sizeof(NET_BUFFER)) == 0);
        seen.retreat_failed++;
    } else {
        CHECK_EQ(status, NDIS_STATUS_SUCCESS);
        if (m->handler_mode && allocates) {
            CHECK_EQ(harness_mdl_handlers.last_asked, front);
            front += harness_mdl_handlers.extra;
        }
        CHECK_EQ(harness_mdl_handlers.calls, m->handler_mode && allocates ? 1 : 0);
        model_retreat(m, delta, front);
        seen.retreat_allocs += allocates;
    }
    harness_mdl_handlers.fail_all = FALSE;
}

static void op_advance(struct model_nb *m)
{
    model_op = "advance";
    ULONG delta = rng_chance(8) ? m->len + 1 + rng_below(5) : rng_below(m->len + 1);
    BOOLEAN free_mdl = (BOOLEAN)rng_chance(2);
    harness_mdl_handlers_reset(0, 0);
    NdisAdvanceNetBufferDataStart(m->nb, delta, free_mdl, m->handler_mode ? harness_free_mdl_handler : NULL);
    if (delta > m->len) {
        harness_diag_clear(); /* "exceeds DataLength": nothing changes */
        return;
    }
    size_t before = m->nsegs;
    model_advance(m, delta, free_mdl);
    if (m->handler_mode)
        CHECK_EQ(harness_mdl_handlers.frees, before - m->nsegs);
}

static void op_nbl_retreat(struct world *w)
{
    model_op = "NBL retreat";
    ULONG delta = random_delta(), backfill = rng_below(33);
    ULONG needing = 0;
    for (size_t i = 0; i < GROUP_NBS; i++) {
        if (w->nbs[i].len > 3000)
            return;
        needing += delta > w->nbs[i].off;
    }
    ULONG fail_at = rng_chance(3) ? 1 + rng_below(GROUP_NBS) : 0;
    bool fails = fail_at && fail_at <= needing;
    harness_mdl_handlers_reset(fail_at, rng_chance(3) ? rng_below(17) : 0);
    struct harness_nb_snapshot before[GROUP_NBS];
    for (size_t i = 0; i < GROUP_NBS; i++)
        harness_nb_snapshot(w->nbs[i].nb, &before[i]);

    NDIS_STATUS status = NdisRetreatNetBufferListDataStart(w->nbl_a, delta, backfill, harness_allocate_mdl_handler,
                                                           harness_free_mdl_handler);
    if (fails) {
        CHECK_EQ(status, NDIS_STATUS_RESOURCES);
        CHECK_EQ(harness_mdl_handlers.calls, fail_at);
        CHECK_EQ(harness_mdl_handlers.frees, fail_at - 1);
        for (size_t i = 0; i < GROUP_NBS; i++)
            CHECK(memcmp(w->nbs[i].nb, &before[i].nb, sizeof(NET_BUFFER)) == 0);
        seen.nbl_rollbacks += fail_at > 1;
        return;
    }
    CHECK_EQ(status, NDIS_STATUS_SUCCESS);
    CHECK_EQ(harness_mdl_handlers.allocs, needing);
    seen.retreat_allocs += needing;
    for (size_t i = 0; i < GROUP_NBS; i++) {
        struct model_nb *m = &w->nbs[i];
        model_retreat(m, delta, delta > m->off ? delta - m->off + backfill + harness_mdl_handlers.extra : 0);
    }
}

static void op_nbl_advance(struct world *w)
{
    model_op = "NBL advance";
    ULONG shortest = w->nbs[0].len;
    for (size_t i = 1; i < GROUP_NBS; i++)
        if (w->nbs[i].len < shortest)
            shortest = w->nbs[i].len;
    ULONG delta = rng_chance(8) ? shortest + 1 : rng_below(shortest + 1);
    BOOLEAN free_mdl = (BOOLEAN)rng_chance(2);
    harness_mdl_handlers_reset(0, 0);
    NdisAdvanceNetBufferListDataStart(w->nbl_a, delta, free_mdl, harness_free_mdl_handler);
    if (delta > shortest) {
        harness_diag_clear();
        return;
    }
    for (size_t i = 0; i < GROUP_NBS; i++)
        model_advance(&w->nbs[i], delta, free_mdl);
}

static void op_get(struct model_nb *m)
{
    model_op = "NdisGetDataBuffer";
    static const UINT multiples[] = {0, 1, 2, 4, 8};
    ULONG n = rng_below(m->len + 3);
    UINT multiple = multiples[rng_below(5)];
    bool with_storage = rng_chance(2);
    UCHAR *storage = with_storage ? malloc(n ? n : 1) : NULL;
    UCHAR *got = NdisGetDataBuffer(m->nb, n, storage, multiple, 0);

    UCHAR *expected = NULL;
    if (n && n <= m->len) {
        ULONG pos;
        size_t k = model_data_seg(m, &pos);
        UCHAR *va = (UCHAR *)MmGetSystemAddressForMdlSafe(chain_mdl_at(m->nb, k), NormalPagePriority) + pos;
        bool aligned = multiple <= 1 || ((ULONG_PTR)va & (multiple - 1)) == 0;
        expected = m->segs[k].size - pos >= n && aligned ? va : storage;
    }
    CHECK(got == expected);
    seen.gets_in_place += got && got != storage;
    seen.gets_copied += got && got == storage;
    for (ULONG i = 0; got && i < n; i++)
        if (m->known[m->off + i] && got[i] != m->img[m->off + i])
            model_fail("NdisGetDataBuffer byte (index, value)", i, got[i], __LINE__);
    free(storage);
}

static void op_write(struct model_nb *m)
{
    model_op = "write through NdisGetDataBuffer";
    ULONG n = 1 + rng_below(m->len < 64 ? m->len + 1 : 64);
    UCHAR *p = NdisGetDataBuffer(m->nb, n, NULL, 1, 0);
    if (n > m->len) {
        CHECK(p == NULL);
        return;
    }
    ULONG pos;
    size_t k = model_data_seg(m, &pos);
    if (m->segs[k].size - pos < n) {
        CHECK(p == NULL);
        return;
    }
    CHECK(p != NULL);
    seen.writes++;
    for (ULONG i = 0; i < n; i++) {
        p[i] = m->img[m->off + i] = (UCHAR)rng_next();
        m->known[m->off + i] = 1;
    }
}

static void op_copy(struct model_nb *dst, struct model_nb *src)
{
    model_op = "NdisCopyFromNetBufferToNetBuffer";
    ULONG dst_offset = rng_below(dst->len + 8), src_offset = rng_below(src->len + 8);
    ULONG bytes = rng_chance(5) ? rng_below(400) : rng_below(64);
    ULONG64 dst_at = (ULONG64)dst->off + dst_offset, src_at = (ULONG64)src->off + src_offset;
    ULONG64 n = bytes;
    if (dst_at >= dst->total || src_at >= src->total)
        n = 0;
    if (n && dst->total - dst_at < n)
        n = dst->total - dst_at;
    if (n && src->total - src_at < n)
        n = src->total - src_at;

    ULONG copied = 0xFFFFFFFFu;
    CHECK_EQ(NdisCopyFromNetBufferToNetBuffer(dst->nb, dst_offset, bytes, src->nb, src_offset, &copied),
             NDIS_STATUS_SUCCESS);
    CHECK_EQ(copied, n);
    seen.copies += n != 0;
    if (n) {
        memcpy(dst->img + dst_at, src->img + src_at, (size_t)n);
        memcpy(dst->known + dst_at, src->known + src_at, (size_t)n);
    }
}

static void model_step_once(struct world *w)
{
    struct model_nb *m = &w->nbs[rng_below(MODEL_NBS)];
    switch (rng_below(12)) {
    case 0:
    case 1:
        op_retreat(m);
        break;
    case 2:
    case 3:
        op_advance(m);
        break;
    case 4:
        op_nbl_retreat(w);
        break;
    case 5:
        op_nbl_advance(w);
        break;
    case 6:
        op_get(m);
        break;
    case 7:
        op_write(m);
        break;
    case 8: {
        struct model_nb *other = &w->nbs[rng_below(MODEL_NBS)];
        if (other != m)
            op_copy(m, other);
        break;
    }
    case 9:
    case 10: {
        struct model_ctx *c = &w->ctx[rng_below(2)];
        model_op = "context";
        if (rng_chance(40) && seen.mismatches < MAX_MISMATCHES) /* the harness keeps 64 reports */
            ctx_mismatched_free(c);
        else if (rng_chance(2) && c->nlifo < MAX_LAYERS)
            ctx_allocate(c);
        else
            ctx_free(c);
        break;
    }
    default:
        /* Keep packets from growing without bound: give most of one back. */
        model_op = "trim";
        if (m->len > 600) {
            harness_mdl_handlers_reset(0, 0);
            NdisAdvanceNetBufferDataStart(m->nb, m->len - 100, TRUE,
                                          m->handler_mode ? harness_free_mdl_handler : NULL);
            model_advance(m, m->len - 100, true);
        }
        break;
    }
}

static void world_fini(struct world *w)
{
    model_op = "teardown";
    for (size_t i = 0; i < MODEL_NBS; i++) {
        struct model_nb *m = &w->nbs[i];
        NdisAdvanceNetBufferDataStart(m->nb, m->len, TRUE, m->handler_mode ? harness_free_mdl_handler : NULL);
        model_advance(m, m->len, true);
        model_check_nb(m);
        CHECK_EQ(m->nsegs, m->ncaller);
    }
    for (size_t k = 0; k < 2; k++) {
        while (w->ctx[k].nlifo)
            ctx_free(&w->ctx[k]);
        model_check_ctx(&w->ctx[k]);
    }
    CHECK_EQ(harness_mdl_handlers_live(), 0);

    NET_BUFFER_NEXT_NB(w->nbs[0].nb) = NULL;
    for (size_t i = 1; i < 5; i++) {
        NET_BUFFER_NEXT_NB(w->nbs[i].nb) = NULL;
        NdisFreeNetBuffer(w->nbs[i].nb);
    }
    NdisFreeNetBufferList(w->nbl_a);
    NdisFreeNetBufferList(w->nbl_b);
    harness_expect_no_report();
    harness_free_nbl_pool(w->nbl_pool);
    harness_free_nbl_pool(w->data_pool);
    harness_free_nb_pool(w->nb_pool);
    for (size_t i = 0; i < MODEL_NBS; i++) {
        free(w->nbs[i].img);
        free(w->nbs[i].known);
        free(w->nbs[i].caller_buf);
    }
    for (size_t k = 0; k < 2; k++)
        for (size_t b = 0; b < w->ctx[k].nblocks; b++)
            free(w->ctx[k].blocks[b].bytes);
}

static void random_data_path_operations_match_a_byte_array_model(void **state)
{
    (void)state;
    rng_seed_from_env(MODEL_DEFAULT_SEED);
    model_step = 0;
    memset(&seen, 0, sizeof(seen));
    harness_mdl_handlers_reset(0, 0);

    static struct world w;
    world_init(&w);
    world_check(&w);
    for (model_step = 1; model_step <= MODEL_STEPS; model_step++) {
        model_step_once(&w);
        world_check(&w);
    }
    world_fini(&w);
    print_message("model: seed %" PRIu64 ", %d steps: %u retreat MDLs (%u refused, %u NBL rollbacks), %u freed; "
                  "%u reads in place, %u copied; %u writes; %u copies; "
                  "%u context pushes, %u pops, %u mismatched frees\n",
                  model_seed, MODEL_STEPS, seen.retreat_allocs, seen.retreat_failed, seen.nbl_rollbacks,
                  seen.mdls_freed, seen.gets_in_place, seen.gets_copied, seen.writes, seen.copies,
                  seen.context_pushes, seen.context_pops, seen.mismatches);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(random_data_path_operations_match_a_byte_array_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
