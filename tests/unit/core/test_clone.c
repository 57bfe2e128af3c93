/* SPDX-License-Identifier: MIT */
/*
 * Clones (ndis/derived.h, ndis-semantics.md §6): NdisAllocateCloneNetBufferList
 * and NdisFreeCloneNetBufferList, without and with
 * NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS, over originals of several NBs whose
 * chains have padding, zero-length MDLs, data starting past the first MDL
 * or exactly at an MDL edge, unused tails, empty NBs (with and without a
 * chain) and a retreat MDL in front; the clone's fields, pools and protocol
 * id; refused arguments; clones of clones freed in every legal order;
 * retreat on a clone; the verifier's rules for freeing clones and parents.
 *
 * Original NB i lies over its own REGION-byte slice of one patterned
 * buffer, so the address of every used byte is known: a clone must describe
 * the same addresses, in order, byte for byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datapath.h"

#define TAG HARNESS_TAG('T', 'C', 'l', 'n')
#define MAX_MDLS 32
#define REGION 256
#define ORIG_MDLS NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS
#define CLONE_FN "NdisAllocateCloneNetBufferList"

static const ULONG flag_variants[] = {0, NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS};
#define FLAG_VARIANTS (sizeof(flag_variants) / sizeof(flag_variants[0]))

/* ----------------------------------------------------------- originals */

struct nb_spec {
    const ULONG *lengths; /* NULL: no chain */
    size_t count;
    ULONG offset, length; /* at allocation */
    ULONG advance;        /* then advanced by this much */
    ULONG retreat;        /* then retreated by this much (beyond the back-fill: a library MDL in front) */
    ULONG gap;            /* bytes skipped between MDLs (0: consecutive) */
};

static const ULONG pad_a[] = {14, 0, 3, 100, 0, 20};
static const ULONG pad_b[] = {0, 0, 10, 0, 7, 33, 0};
static const ULONG flat[] = {64};
static const ULONG two_fives[] = {5, 5};
static const ULONG ones[] = {1, 1, 1, 1, 1, 0, 1, 1};
static const ULONG edge[] = {8, 40};
static const ULONG thirty[] = {30};

#define SPEC(c, offset, length, advance, retreat) {c, sizeof(c) / sizeof(c[0]), offset, length, advance, retreat, 0}

static const struct nb_spec mixed[] = {
    /* past the first MDL, a zero-length one and a 3-byte one; ends at an MDL edge before padding */
    SPEC(pad_a, 17, 100, 0, 0),
    /* leading zero-length MDLs, data from the middle of the 5th MDL, an unused tail */
    SPEC(pad_b, 12, 30, 0, 0),
    /* moved forward by an advance after allocation */
    SPEC(flat, 0, 64, 10, 0),
    /* empty, at the very end of its chain */
    SPEC(two_fives, 10, 0, 0, 0),
    /* empty, no chain at all */
    {NULL, 0, 0, 0, 0, 0, 0},
    /* one-byte MDLs with a zero-length one among them */
    SPEC(ones, 1, 6, 0, 0),
    /* starting exactly at an MDL boundary */
    SPEC(edge, 8, 40, 0, 0),
    /* retreated 9 with 4 bytes of back-fill: a 5-byte library MDL in front */
    SPEC(thirty, 4, 26, 0, 9),
};
#define MIXED (sizeof(mixed) / sizeof(mixed[0]))

/* Index in `mixed` of the NB with data in the middle of an MDL after back-fill. */
#define MIXED_MID_MDL 1
#define MIXED_MID_MDL_CURRENT 4 /* its CurrentMdl: the 7-byte MDL, offset 2 */

struct original {
    NDIS_HANDLE nbl_pool, nb_pool;
    PNET_BUFFER_LIST nbl;
    size_t count;
    UCHAR *buf; /* count * REGION bytes */
    MDL *mdls;  /* count * MAX_MDLS */
    PNET_BUFFER *nbs;
    UCHAR **expected; /* each NB's used data at build time */
    struct harness_nb_snapshot *snap;
    NET_BUFFER_LIST nbl_snap;
};

static NDIS_HANDLE nbl_pool_with(BOOLEAN own_nb, USHORT context, ULONG data, UCHAR protocol_id)
{
    NET_BUFFER_LIST_POOL_PARAMETERS params;
    harness_nbl_pool_params(&params, own_nb, context, data, TAG);
    params.ProtocolId = protocol_id;
    NDIS_HANDLE pool = NdisAllocateNetBufferListPool(NULL, &params);
    assert_non_null(pool);
    return pool;
}

/* Snapshots the original's NBL, NBs and MDLs (and re-reads the expected data). */
static void original_snapshot(struct original *o)
{
    memcpy(&o->nbl_snap, o->nbl, sizeof(*o->nbl));
    for (size_t i = 0; i < o->count; i++)
        harness_nb_snapshot(o->nbs[i], &o->snap[i]);
}

/*
 * An NBL from an own-NB pool (protocol IPX, 16 bytes of context) whose
 * first NB comes with it and the others from an NB pool, each over its own
 * caller chain as specs[i] says.
 */
static void original_build(struct original *o, const struct nb_spec *specs, size_t count)
{
    memset(o, 0, sizeof(*o));
    o->nbl_pool = nbl_pool_with(TRUE, 32, 0, NDIS_PROTOCOL_ID_IPX);
    o->nb_pool = harness_nb_pool(0);
    o->count = count;
    o->buf = malloc(count * REGION);
    o->mdls = calloc(count * MAX_MDLS, sizeof(MDL));
    o->nbs = calloc(count, sizeof(*o->nbs));
    o->expected = calloc(count, sizeof(*o->expected));
    o->snap = calloc(count, sizeof(*o->snap));
    assert_non_null(o->buf);
    assert_non_null(o->mdls);
    assert_non_null(o->nbs);
    assert_non_null(o->expected);
    assert_non_null(o->snap);
    harness_fill(o->buf, count * REGION, 3);

    PNET_BUFFER prev = NULL;
    for (size_t i = 0; i < count; i++) {
        const struct nb_spec *s = &specs[i];
        PMDL chain = NULL;
        if (s->lengths) {
            ULONG64 total = 0;
            for (size_t m = 0; m < s->count; m++)
                total += s->lengths[m] + s->gap;
            assert_true(s->count <= MAX_MDLS && total <= REGION);
            chain = &o->mdls[i * MAX_MDLS];
            if (!s->gap) {
                harness_mdl_chain(chain, s->count, o->buf + i * REGION, s->lengths);
            } else {
                UCHAR *at = o->buf + i * REGION;
                for (size_t m = 0; m < s->count; m++) {
                    MmInitializeMdl(&chain[m], at, s->lengths[m]);
                    MmBuildMdlForNonPagedPool(&chain[m]);
                    chain[m].Next = m + 1 < s->count ? &chain[m + 1] : NULL;
                    at += s->lengths[m] + s->gap;
                }
            }
        }
        PNET_BUFFER nb;
        if (i == 0) {
            o->nbl = NdisAllocateNetBufferAndNetBufferList(o->nbl_pool, 16, 0, chain, s->offset, s->length);
            assert_non_null(o->nbl);
            nb = NET_BUFFER_LIST_FIRST_NB(o->nbl);
        } else {
            nb = NdisAllocateNetBuffer(o->nb_pool, chain, s->offset, s->length);
            assert_non_null(nb);
            NET_BUFFER_NEXT_NB(prev) = nb;
        }
        if (s->advance)
            NdisAdvanceNetBufferDataStart(nb, s->advance, FALSE, NULL);
        if (s->retreat) {
            UCHAR fresh[64];
            assert_true(s->retreat <= sizeof(fresh));
            assert_int_equal(NdisRetreatNetBufferDataStart(nb, s->retreat, 0, NULL), NDIS_STATUS_SUCCESS);
            harness_fill(fresh, s->retreat, 40 + (unsigned)i);
            assert_int_equal(harness_nb_write(nb, 0, s->retreat, fresh), s->retreat);
        }
        harness_assert_nb_consistent(nb);
        o->nbs[i] = nb;
        prev = nb;
        ULONG length = NET_BUFFER_DATA_LENGTH(nb);
        o->expected[i] = malloc(length ? length : 1);
        assert_non_null(o->expected[i]);
        assert_int_equal(harness_nb_read(nb, 0, length, o->expected[i]), length);
    }
    harness_expect_no_report();
    original_snapshot(o);
}

/* The original's NBL (ChildRefCount included), NBs, MDLs and used data are as snapped. */
static void original_assert_unchanged(const struct original *o)
{
    assert_memory_equal(o->nbl, &o->nbl_snap, sizeof(*o->nbl));
    for (size_t i = 0; i < o->count; i++) {
        harness_assert_nb_unchanged(o->nbs[i], &o->snap[i]);
        harness_assert_nb_data(o->nbs[i], o->expected[i], NET_BUFFER_DATA_LENGTH(o->nbs[i]));
    }
}

static void original_free(struct original *o)
{
    NET_BUFFER_NEXT_NB(o->nbs[0]) = NULL;
    for (size_t i = 1; i < o->count; i++)
        NdisFreeNetBuffer(o->nbs[i]);
    NdisFreeNetBufferList(o->nbl);
    harness_expect_no_report();
    harness_free_nbl_pool(o->nbl_pool);
    harness_free_nb_pool(o->nb_pool);
    for (size_t i = 0; i < o->count; i++)
        free(o->expected[i]);
    free(o->expected);
    free(o->snap);
    free(o->nbs);
    free(o->mdls);
    free(o->buf);
}

/* --------------------------------------------------------- clone helpers */

struct clone_pools {
    NDIS_HANDLE nbl; /* no own NB, protocol TCP/IP */
    NDIS_HANDLE own; /* own NB, DataSize 0, protocol TCP/IP */
    NDIS_HANDLE nb;
};

static struct clone_pools clone_pools_new(void)
{
    struct clone_pools p;
    p.nbl = nbl_pool_with(FALSE, 0, 0, NDIS_PROTOCOL_ID_TCP_IP);
    p.own = nbl_pool_with(TRUE, 0, 0, NDIS_PROTOCOL_ID_TCP_IP);
    p.nb = harness_nb_pool(0);
    return p;
}

static void clone_pools_free(struct clone_pools *p)
{
    harness_free_nbl_pool(p->nbl);
    harness_free_nbl_pool(p->own);
    harness_free_nb_pool(p->nb);
}

/*
 * A clone (asserts success and no report), made as a deriving driver does:
 * the library leaves the parent's ChildRefCount alone, the driver counts.
 */
static PNET_BUFFER_LIST make_clone(PNET_BUFFER_LIST parent, NDIS_HANDLE nbl_pool, NDIS_HANDLE nb_pool,
                                   ULONG flags)
{
    LONG refs = parent->ChildRefCount;
    ndisbuf_clear_diagnostic();
    PNET_BUFFER_LIST clone = NdisAllocateCloneNetBufferList(parent, nbl_pool, nb_pool, flags);
    if (!clone)
        print_error("NdisAllocateCloneNetBufferList failed: %s\n", ndisbuf_last_diagnostic());
    assert_non_null(clone);
    harness_expect_no_report();
    assert_int_equal(clone->ChildRefCount, 0);
    assert_int_equal(parent->ChildRefCount, refs);
    parent->ChildRefCount++;
    return clone;
}

/* Frees a clone the right way (asserts no report) and drops the parent's count. */
static void drop_clone(PNET_BUFFER_LIST clone, ULONG flags)
{
    PNET_BUFFER_LIST parent = clone->ParentNetBufferList;
    assert_non_null(parent);
    LONG refs = parent->ChildRefCount;
    NdisFreeCloneNetBufferList(clone, flags);
    harness_expect_no_report();
    assert_int_equal(parent->ChildRefCount, refs);
    parent->ChildRefCount--;
}

static size_t nb_count(PNET_BUFFER_LIST nbl)
{
    size_t n = 0;
    for (PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb; nb = NET_BUFFER_NEXT_NB(nb))
        n++;
    return n;
}

static PNET_BUFFER nth_nb(PNET_BUFFER_LIST nbl, size_t n)
{
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    while (nb && n--)
        nb = NET_BUFFER_NEXT_NB(nb);
    assert_non_null(nb);
    return nb;
}

static bool chain_holds(PMDL chain, PMDL mdl)
{
    for (PMDL m = chain; m; m = m->Next)
        if (m == mdl)
            return true;
    return false;
}

/* MDLs of the NB's chain holding at least one used byte. */
static size_t used_pieces(PNET_BUFFER nb)
{
    ULONG64 start = NET_BUFFER_DATA_OFFSET(nb), end = start + NET_BUFFER_DATA_LENGTH(nb), at = 0;
    size_t n = 0;
    for (PMDL m = NET_BUFFER_FIRST_MDL(nb); m; at += m->ByteCount, m = m->Next)
        if (m->ByteCount && at < end && at + m->ByteCount > start)
            n++;
    return n;
}

/* A walk over a chain's bytes, from a chain offset: the address of each byte in turn. */
struct walk {
    PMDL mdl;
    ULONG64 at;
};

static UCHAR *walk_next(struct walk *w)
{
    while (w->mdl && w->at >= w->mdl->ByteCount) {
        w->at -= w->mdl->ByteCount;
        w->mdl = w->mdl->Next;
    }
    if (!w->mdl)
        return NULL;
    UCHAR *p = (UCHAR *)MmGetSystemAddressForMdlSafe(w->mdl, NormalPagePriority) + w->at;
    w->at++;
    return p;
}

/* The used bytes of both NBs are at the same addresses, in the same order. */
static void assert_same_addresses(PNET_BUFFER a, PNET_BUFFER b)
{
    assert_int_equal(NET_BUFFER_DATA_LENGTH(a), NET_BUFFER_DATA_LENGTH(b));
    struct walk wa = {NET_BUFFER_FIRST_MDL(a), NET_BUFFER_DATA_OFFSET(a)};
    struct walk wb = {NET_BUFFER_FIRST_MDL(b), NET_BUFFER_DATA_OFFSET(b)};
    for (ULONG i = 0; i < NET_BUFFER_DATA_LENGTH(a); i++) {
        UCHAR *pa = walk_next(&wa), *pb = walk_next(&wb);
        if (!pa || !pb || pa != pb)
            fail_msg("used byte %u: %p in one NB, %p in the other", i, (void *)pa, (void *)pb);
    }
}

/* The used data of both NBs reads the same (walking each chain independently). */
static void assert_same_bytes(PNET_BUFFER a, PNET_BUFFER b)
{
    ULONG length = NET_BUFFER_DATA_LENGTH(a);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(b), length);
    if (!length)
        return;
    UCHAR *x = malloc(length), *y = malloc(length);
    assert_non_null(x);
    assert_non_null(y);
    assert_int_equal(harness_nb_read(a, 0, length, x), length);
    assert_int_equal(harness_nb_read(b, 0, length, y), length);
    assert_memory_equal(x, y, length);
    free(x);
    free(y);
}

/* One clone NB describes exactly its original NB's used data, as `flags` says. */
static void assert_clone_nb(PNET_BUFFER clone, PNET_BUFFER orig, ULONG flags)
{
    assert_int_equal(NET_BUFFER_DATA_LENGTH(clone), NET_BUFFER_DATA_LENGTH(orig));
    harness_assert_nb_consistent(clone);
    assert_same_bytes(clone, orig);
    assert_same_addresses(clone, orig);
    if (flags & NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS) {
        assert_ptr_equal(NET_BUFFER_FIRST_MDL(clone), NET_BUFFER_CURRENT_MDL(orig));
        assert_int_equal(NET_BUFFER_DATA_OFFSET(clone), NET_BUFFER_CURRENT_MDL_OFFSET(orig));
        return;
    }
    assert_int_equal(NET_BUFFER_DATA_OFFSET(clone), 0);
    assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(clone), 0);
    assert_ptr_equal(NET_BUFFER_CURRENT_MDL(clone), NET_BUFFER_FIRST_MDL(clone));
    if (!NET_BUFFER_DATA_LENGTH(orig)) {
        /* No used byte: no MDL starts at the first one (zero-length MDLs are not reproduced). */
        assert_null(NET_BUFFER_FIRST_MDL(clone));
        return;
    }
    /* The chain ends exactly at the last used byte. */
    assert_int_equal(harness_chain_bytes(NET_BUFFER_FIRST_MDL(clone)), NET_BUFFER_DATA_LENGTH(clone));
    /* One MDL per original MDL the data touches (docs/derived.md). */
    assert_int_equal(harness_chain_count(NET_BUFFER_FIRST_MDL(clone)), used_pieces(orig));
    for (PMDL m = NET_BUFFER_FIRST_MDL(clone); m; m = m->Next) {
        assert_false(chain_holds(NET_BUFFER_FIRST_MDL(orig), m)); /* new MDLs */
        assert_true(MmGetMdlByteCount(m) > 0);                  /* no zero-length ones */
        assert_true(m->MdlFlags & MDL_PARTIAL);
    }
}

/* The clone NBL: its parent, no context, its pool; each NB as above (make_clone checked its count). */
static void assert_clone_nbl(PNET_BUFFER_LIST clone, PNET_BUFFER_LIST parent, NDIS_HANDLE nbl_pool, ULONG flags)
{
    assert_ptr_equal(clone->ParentNetBufferList, parent);
    assert_null(clone->Context);
    assert_null(NET_BUFFER_LIST_NEXT_NBL(clone));
    if (nbl_pool)
        assert_ptr_equal(clone->NdisPoolHandle, nbl_pool);
    assert_int_equal(nb_count(clone), nb_count(parent));
    PNET_BUFFER c = NET_BUFFER_LIST_FIRST_NB(clone);
    for (PNET_BUFFER o = NET_BUFFER_LIST_FIRST_NB(parent); o; o = NET_BUFFER_NEXT_NB(o), c = NET_BUFFER_NEXT_NB(c))
        assert_clone_nb(c, o, flags);
}

/* A byte written through either NB is read through the other. */
static void assert_shares_memory(PNET_BUFFER clone, PNET_BUFFER orig)
{
    ULONG length = NET_BUFFER_DATA_LENGTH(orig);
    if (!length)
        return;
    for (ULONG k = 0; k < length; k += (length > 3 ? length / 3 : 1)) {
        UCHAR was, x, got;
        assert_int_equal(harness_nb_read(orig, k, 1, &was), 1);
        x = (UCHAR)~was;
        assert_int_equal(harness_nb_write(orig, k, 1, &x), 1);
        assert_int_equal(harness_nb_read(clone, k, 1, &got), 1);
        assert_int_equal(got, x);
        assert_int_equal(harness_nb_write(clone, k, 1, &was), 1);
        assert_int_equal(harness_nb_read(orig, k, 1, &got), 1);
        assert_int_equal(got, was);
    }
}

/* A diagnostic from NdisAllocateCloneNetBufferList came, containing `needle` too when given. */
static void assert_clone_diagnostic(const char *needle)
{
    assert_true(harness_diag_contains(CLONE_FN));
    if (needle)
        assert_contains(ndisbuf_last_diagnostic(), needle);
}

/* An NBL and its NBs and MDLs, to prove a refused free changed nothing. */
struct nbl_snap {
    NET_BUFFER_LIST nbl;
    size_t count;
    struct harness_nb_snapshot *nb;
    ULONG64 outstanding;
};

static void nbl_snap_take(PNET_BUFFER_LIST nbl, struct nbl_snap *s)
{
    memcpy(&s->nbl, nbl, sizeof(*nbl));
    s->count = nb_count(nbl);
    s->nb = calloc(s->count ? s->count : 1, sizeof(*s->nb));
    assert_non_null(s->nb);
    for (size_t i = 0; i < s->count; i++)
        harness_nb_snapshot(nth_nb(nbl, i), &s->nb[i]);
    s->outstanding = ndisbuf_outstanding_total();
}

static void nbl_snap_assert(PNET_BUFFER_LIST nbl, struct nbl_snap *s)
{
    assert_memory_equal(nbl, &s->nbl, sizeof(*nbl));
    assert_int_equal(nb_count(nbl), s->count);
    for (size_t i = 0; i < s->count; i++)
        harness_assert_nb_unchanged(nth_nb(nbl, i), &s->nb[i]);
    assert_int_equal(ndisbuf_outstanding_total(), s->outstanding);
    free(s->nb);
    s->nb = NULL;
}

/* ------------------------------------------------------ clone contents */

static void clone_without_flags_describes_each_nb_with_new_mdls_over_the_same_memory(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    struct clone_pools p = clone_pools_new();
    ULONG64 before = ndisbuf_outstanding_total();

    PNET_BUFFER_LIST clone = make_clone(o.nbl, p.nbl, p.nb, 0);
    assert_clone_nbl(clone, o.nbl, p.nbl, 0);
    assert_int_equal(harness_stats(p.nbl).Outstanding, 1);
    assert_int_equal(harness_stats(p.nb).Outstanding, o.count);
    for (PNET_BUFFER c = NET_BUFFER_LIST_FIRST_NB(clone); c; c = NET_BUFFER_NEXT_NB(c))
        assert_ptr_equal(c->NdisPoolHandle, p.nb);
    for (size_t i = 0; i < o.count; i++) {
        /* No MDL of the original anywhere in the clone, nor the other way round. */
        for (PMDL m = NET_BUFFER_FIRST_MDL(o.nbs[i]); m; m = m->Next)
            for (PNET_BUFFER c = NET_BUFFER_LIST_FIRST_NB(clone); c; c = NET_BUFFER_NEXT_NB(c))
                assert_false(chain_holds(NET_BUFFER_FIRST_MDL(c), m));
        assert_shares_memory(nth_nb(clone, i), o.nbs[i]);
    }
    o.nbl->ChildRefCount--;
    original_assert_unchanged(&o);
    o.nbl->ChildRefCount++;

    drop_clone(clone, 0);
    assert_int_equal(ndisbuf_outstanding_total(), before);
    assert_int_equal(harness_stats(p.nbl).Outstanding, 0);
    assert_int_equal(harness_stats(p.nb).Outstanding, 0);
    original_assert_unchanged(&o);
    clone_pools_free(&p);
    original_free(&o);
}

static void clone_with_original_mdls_starts_each_nb_at_the_originals_current_mdl(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    struct clone_pools p = clone_pools_new();
    ULONG64 before = ndisbuf_outstanding_total();

    PNET_BUFFER_LIST clone = make_clone(o.nbl, p.nbl, p.nb, ORIG_MDLS);
    assert_clone_nbl(clone, o.nbl, p.nbl, ORIG_MDLS);
    /* One NBL and one NB per original NB, and nothing else (no MDLs are built). */
    assert_int_equal(ndisbuf_outstanding_total(), before + 1 + o.count);
    assert_int_equal(harness_stats(p.nb).Outstanding, o.count);
    /* The cases: data past back-fill in an earlier MDL, and in the middle of an MDL. */
    assert_ptr_equal(NET_BUFFER_FIRST_MDL(nth_nb(clone, 0)), &o.mdls[3]);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nth_nb(clone, 0)), 0);
    assert_ptr_equal(NET_BUFFER_FIRST_MDL(nth_nb(clone, MIXED_MID_MDL)),
                     &o.mdls[MIXED_MID_MDL * MAX_MDLS + MIXED_MID_MDL_CURRENT]);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nth_nb(clone, MIXED_MID_MDL)), 2);
    assert_null(NET_BUFFER_FIRST_MDL(nth_nb(clone, 4))); /* the NB without a chain */
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nth_nb(clone, 4)), 0);
    for (size_t i = 0; i < o.count; i++)
        assert_shares_memory(nth_nb(clone, i), o.nbs[i]);

    drop_clone(clone, ORIG_MDLS);
    assert_int_equal(ndisbuf_outstanding_total(), before);
    original_assert_unchanged(&o);
    clone_pools_free(&p);
    original_free(&o);
}

static void clone_nbl_names_its_parent_and_pool_and_carries_nothing_else(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    struct clone_pools p = clone_pools_new();
    /* The parent has context (from its allocation), flags and every info slot set. */
    assert_non_null(o.nbl->Context);
    NET_BUFFER_LIST_FLAGS(o.nbl) = 0xABCD0000u;
    for (int i = 0; i < MaxNetBufferListInfo; i++)
        NET_BUFFER_LIST_INFO(o.nbl, i) = (PVOID)(ULONG_PTR)(0x5A5A00u + (ULONG)i * 0x100u);
    NdisSetNetBufferListProtocolId(o.nbl, NDIS_PROTOCOL_ID_IPX);
    o.nbl->Scratch = &o;
    o.nbl->SourceHandle = &p;
    original_snapshot(&o);

    for (size_t f = 0; f < FLAG_VARIANTS; f++) {
        NDIS_HANDLE pools[] = {p.nbl, p.own};
        for (size_t k = 0; k < 2; k++) {
            PNET_BUFFER_LIST clone = make_clone(o.nbl, pools[k], p.nb, flag_variants[f]);
            assert_clone_nbl(clone, o.nbl, pools[k], flag_variants[f]);
            assert_ptr_equal(NdisGetPoolFromNetBufferList(clone), pools[k]);
            assert_int_equal(NdisGetNetBufferListProtocolId(clone), NDIS_PROTOCOL_ID_TCP_IP);
            for (int i = 0; i < MaxNetBufferListInfo; i++) {
                if (i == NetBufferListProtocolId)
                    assert_ptr_equal(NET_BUFFER_LIST_INFO(clone, i), (PVOID)(ULONG_PTR)NDIS_PROTOCOL_ID_TCP_IP);
                else
                    assert_null(NET_BUFFER_LIST_INFO(clone, i));
            }
            assert_int_equal(NET_BUFFER_LIST_FLAGS(clone), 0);
            assert_null(clone->Scratch);
            assert_null(clone->SourceHandle);
            drop_clone(clone, flag_variants[f]);
            original_assert_unchanged(&o);
        }
    }
    clone_pools_free(&p);
    original_free(&o);
}

static void clone_with_null_pools_uses_internal_pools_that_are_not_live_pools(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    struct clone_pools p = clone_pools_new();
    const struct {
        NDIS_HANDLE nbl, nb;
    } combos[] = {{NULL, NULL}, {p.nbl, NULL}, {NULL, p.nb}, {p.own, NULL}};

    for (size_t f = 0; f < FLAG_VARIANTS; f++) {
        for (size_t k = 0; k < sizeof(combos) / sizeof(combos[0]); k++) {
            print_message("flags %#x, combo %zu\n", flag_variants[f], k);
            ULONG pools = ndisbuf_live_pool_count();
            ULONG64 before = ndisbuf_outstanding_total();
            PNET_BUFFER_LIST clone = make_clone(o.nbl, combos[k].nbl, combos[k].nb, flag_variants[f]);
            assert_int_equal(ndisbuf_live_pool_count(), pools);
            assert_true(ndisbuf_outstanding_total() >= before + o.count); /* internal objects count */
            assert_clone_nbl(clone, o.nbl, combos[k].nbl, flag_variants[f]);
            if (combos[k].nbl)
                assert_int_equal(harness_stats(combos[k].nbl).Outstanding, 1);
            if (combos[k].nbl == p.nbl)
                assert_int_equal(harness_stats(p.nb).Outstanding, 0); /* not the NB pool given elsewhere */
            for (size_t i = 0; i < o.count; i++)
                assert_shares_memory(nth_nb(clone, i), o.nbs[i]);
            drop_clone(clone, flag_variants[f]);
            assert_int_equal(ndisbuf_outstanding_total(), before);
            assert_int_equal(ndisbuf_live_pool_count(), pools);
            original_assert_unchanged(&o);
        }
    }
    clone_pools_free(&p);
    original_free(&o);
}

static void clone_into_a_pool_with_its_own_nb_uses_that_nb_first(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    struct original single;
    original_build(&single, mixed, 1);
    struct clone_pools p = clone_pools_new();

    for (size_t f = 0; f < FLAG_VARIANTS; f++) {
        PNET_BUFFER_LIST clone = make_clone(o.nbl, p.own, p.nb, flag_variants[f]);
        assert_clone_nbl(clone, o.nbl, p.own, flag_variants[f]);
        assert_int_equal(harness_stats(p.own).Outstanding, 1);
        assert_int_equal(harness_stats(p.nb).Outstanding, o.count - 1);
        assert_ptr_equal(NET_BUFFER_LIST_FIRST_NB(clone)->NdisPoolHandle, p.own);
        for (PNET_BUFFER c = NET_BUFFER_NEXT_NB(NET_BUFFER_LIST_FIRST_NB(clone)); c; c = NET_BUFFER_NEXT_NB(c))
            assert_ptr_equal(c->NdisPoolHandle, p.nb);
        /* The NBL's own NB is not a lone NB. */
        NdisFreeNetBuffer(NET_BUFFER_LIST_FIRST_NB(clone));
        harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
        drop_clone(clone, flag_variants[f]);

        /* With internal NB pool. */
        clone = make_clone(o.nbl, p.own, NULL, flag_variants[f]);
        assert_clone_nbl(clone, o.nbl, p.own, flag_variants[f]);
        assert_ptr_equal(NET_BUFFER_LIST_FIRST_NB(clone)->NdisPoolHandle, p.own);
        drop_clone(clone, flag_variants[f]);

        /* A one-NB original takes nothing from the NB pool. */
        clone = make_clone(single.nbl, p.own, p.nb, flag_variants[f]);
        assert_clone_nbl(clone, single.nbl, p.own, flag_variants[f]);
        assert_int_equal(harness_stats(p.nb).Outstanding, 0);
        assert_int_equal(harness_stats(p.own).Outstanding, 1);
        drop_clone(clone, flag_variants[f]);
    }
    original_assert_unchanged(&o);
    original_assert_unchanged(&single);
    clone_pools_free(&p);
    original_free(&single);
    original_free(&o);
}

static void clone_of_an_nbl_without_nbs_makes_no_nbs_or_is_refused_cleanly(void **state)
{
    (void)state;
    NDIS_HANDLE pool = nbl_pool_with(FALSE, 0, 0, NDIS_PROTOCOL_ID_DEFAULT);
    PNET_BUFFER_LIST empty = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(empty);
    struct clone_pools p = clone_pools_new();
    const struct {
        NDIS_HANDLE nbl, nb;
    } combos[] = {{p.nbl, p.nb}, {p.own, p.nb}, {NULL, NULL}};
    ULONG64 before = ndisbuf_outstanding_total();
    for (size_t f = 0; f < FLAG_VARIANTS; f++) {
        for (size_t k = 0; k < sizeof(combos) / sizeof(combos[0]); k++) {
            harness_diag_clear();
            PNET_BUFFER_LIST clone = NdisAllocateCloneNetBufferList(empty, combos[k].nbl, combos[k].nb,
                                                                    flag_variants[f]);
            harness_expect_no_report();
            if (clone) {
                print_message("flags %#x, combo %zu: a clone without NBs\n", flag_variants[f], k);
                assert_null(NET_BUFFER_LIST_FIRST_NB(clone));
                assert_ptr_equal(clone->ParentNetBufferList, empty);
                NdisFreeCloneNetBufferList(clone, flag_variants[f]);
                harness_expect_no_report();
            } else {
                print_message("flags %#x, combo %zu: refused: %s\n", flag_variants[f], k,
                              ndisbuf_last_diagnostic());
                assert_clone_diagnostic(NULL);
            }
            assert_int_equal(ndisbuf_outstanding_total(), before);
        }
    }
    clone_pools_free(&p);
    NdisFreeNetBufferList(empty);
    harness_free_nbl_pool(pool);
}

static void clone_from_a_pool_with_context_space_has_no_context(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    NDIS_HANDLE pools[] = {nbl_pool_with(FALSE, 32, 0, NDIS_PROTOCOL_ID_DEFAULT),
                           nbl_pool_with(TRUE, 64, 0, NDIS_PROTOCOL_ID_DEFAULT)};
    size_t with_context = 0;
    for (size_t f = 0; f < FLAG_VARIANTS; f++) {
        for (size_t k = 0; k < 2; k++) {
            PNET_BUFFER_LIST clone = make_clone(o.nbl, pools[k], NULL, flag_variants[f]);
            /* docs/derived.md: "No context (Context is NULL)", whatever the pool's ContextSize. */
            if (clone->Context) {
                print_error("flags %#x, pool %zu: the clone has Context %p (Size %u, Offset %u)\n",
                            flag_variants[f], k, (void *)clone->Context, clone->Context->Size,
                            clone->Context->Offset);
                with_context++;
            }
            /* Context can still be pushed and popped, and the clone freed cleanly. */
            assert_int_equal(NdisAllocateNetBufferListContext(clone, 16, 0, TAG), NDIS_STATUS_SUCCESS);
            NdisFreeNetBufferListContext(clone, 16);
            harness_expect_no_report();
            drop_clone(clone, flag_variants[f]);
        }
    }
    original_assert_unchanged(&o);
    harness_free_nbl_pool(pools[0]);
    harness_free_nbl_pool(pools[1]);
    original_free(&o);
    assert_int_equal(with_context, 0); /* last, so a failure leaves nothing behind */
}

static void clone_of_an_original_whose_chain_is_short_is_refused_and_releases_what_it_built(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    struct clone_pools p = clone_pools_new();
    /* The last NB claims more data than its chain holds (each earlier NB is cloned first). */
    PNET_BUFFER last = o.nbs[o.count - 1];
    ULONG length = NET_BUFFER_DATA_LENGTH(last);
    const struct {
        NDIS_HANDLE nbl, nb;
    } combos[] = {{NULL, NULL}, {p.nbl, p.nb}, {p.own, p.nb}};
    ULONG64 before = ndisbuf_outstanding_total();
    for (ULONG extra = 1; extra <= 40; extra += 39) {
        NET_BUFFER_DATA_LENGTH(last) = length + extra;
        for (size_t f = 0; f < FLAG_VARIANTS; f++) {
            for (size_t k = 0; k < sizeof(combos) / sizeof(combos[0]); k++) {
                harness_diag_clear();
                assert_null(NdisAllocateCloneNetBufferList(o.nbl, combos[k].nbl, combos[k].nb, flag_variants[f]));
                harness_expect_no_report();
                assert_clone_diagnostic(NULL);
                assert_int_equal(ndisbuf_outstanding_total(), before);
                assert_int_equal(harness_stats(p.nbl).Outstanding, 0);
                assert_int_equal(harness_stats(p.own).Outstanding, 0);
                assert_int_equal(harness_stats(p.nb).Outstanding, 0);
            }
        }
    }
    NET_BUFFER_DATA_LENGTH(last) = length;
    original_assert_unchanged(&o);
    clone_pools_free(&p);
    original_free(&o);
}

static void pool_elements_a_clone_used_serve_plain_allocations_afterwards(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    struct clone_pools p = clone_pools_new();
    for (size_t f = 0; f < FLAG_VARIANTS; f++) {
        /* Fill and empty the pools through clones... */
        PNET_BUFFER_LIST a = make_clone(o.nbl, p.nbl, p.nb, flag_variants[f]);
        PNET_BUFFER_LIST b = make_clone(o.nbl, p.own, p.nb, flag_variants[f]);
        drop_clone(a, flag_variants[f]);
        drop_clone(b, flag_variants[f]);
        /* ...then every element is taken by a plain allocation and freed the plain way. */
        enum { MANY = 2 * MIXED + 4 };
        PNET_BUFFER nbs[MANY];
        for (size_t i = 0; i < MANY; i++) {
            nbs[i] = NdisAllocateNetBuffer(p.nb, NULL, 0, 0);
            assert_non_null(nbs[i]);
        }
        PNET_BUFFER_LIST plain = NdisAllocateNetBufferList(p.nbl, 0, 0);
        PNET_BUFFER_LIST plain_own = NdisAllocateNetBufferAndNetBufferList(p.own, 0, 0, NULL, 0, 0);
        assert_non_null(plain);
        assert_non_null(plain_own);
        assert_null(plain->ParentNetBufferList);
        assert_null(plain_own->ParentNetBufferList);
        assert_null(NET_BUFFER_LIST_FIRST_NB(plain));
        /* Nothing of a clone is left on them: a clone's free call refuses them... */
        NdisFreeCloneNetBufferList(plain, flag_variants[f]);
        harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
        NdisFreeCloneNetBufferList(plain_own, flag_variants[f]);
        harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
        /* ...and the plain ones take them, NBs on an NBL included. */
        NET_BUFFER_LIST_FIRST_NB(plain) = nbs[0];
        NdisFreeNetBufferList(plain);
        harness_expect_report(NDISBUF_REPORT_NBL_HAS_FOREIGN_NB);
        NET_BUFFER_LIST_FIRST_NB(plain) = NULL;
        NdisFreeNetBufferList(plain);
        NdisFreeNetBufferList(plain_own);
        for (size_t i = 0; i < MANY; i++)
            NdisFreeNetBuffer(nbs[i]);
        harness_expect_no_report();
    }
    original_assert_unchanged(&o);
    clone_pools_free(&p);
    original_free(&o);
}

static void freeing_the_internal_pools_of_a_clone_is_refused(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    for (size_t f = 0; f < FLAG_VARIANTS; f++) {
        PNET_BUFFER_LIST clone = make_clone(o.nbl, NULL, NULL, flag_variants[f]);
        NDIS_HANDLE nbl_pool = NdisGetPoolFromNetBufferList(clone);
        NDIS_HANDLE nb_pool = NdisGetPoolFromNetBuffer(nth_nb(clone, 1));
        assert_non_null(nbl_pool);
        assert_non_null(nb_pool);
        ULONG pools = ndisbuf_live_pool_count();
        NdisFreeNetBufferListPool(nbl_pool);
        harness_expect_report(NDISBUF_REPORT_INVALID_HANDLE);
        NdisFreeNetBufferPool(nb_pool);
        harness_expect_report(NDISBUF_REPORT_INVALID_HANDLE);
        assert_int_equal(ndisbuf_live_pool_count(), pools);
        assert_clone_nbl(clone, o.nbl, NULL, flag_variants[f]);
        drop_clone(clone, flag_variants[f]);
        /* The internal pools still serve. */
        clone = make_clone(o.nbl, NULL, NULL, flag_variants[f]);
        assert_clone_nbl(clone, o.nbl, NULL, flag_variants[f]);
        drop_clone(clone, flag_variants[f]);
    }
    original_assert_unchanged(&o);
    original_free(&o);
}

static void clone_of_nbs_with_pool_data_describes_that_data(void **state)
{
    (void)state;
    NDIS_HANDLE data_nbl_pool = nbl_pool_with(TRUE, 0, 300, NDIS_PROTOCOL_ID_DEFAULT);
    NDIS_HANDLE data_nb_pool = harness_nb_pool(200);
    struct clone_pools p = clone_pools_new();
    PNET_BUFFER_LIST orig = NdisAllocateNetBufferList(data_nbl_pool, 0, 0);
    PNET_BUFFER second = NdisAllocateNetBufferMdlAndData(data_nb_pool);
    assert_non_null(orig);
    assert_non_null(second);
    PNET_BUFFER first = NET_BUFFER_LIST_FIRST_NB(orig);
    NET_BUFFER_NEXT_NB(first) = second;
    UCHAR fill[300];
    harness_fill(fill, sizeof(fill), 11);
    assert_int_equal(harness_nb_write(first, 0, 300, fill), 300);
    assert_int_equal(harness_nb_write(second, 0, 200, fill + 50), 200);
    NdisAdvanceNetBufferDataStart(first, 14, FALSE, NULL);  /* back-fill inside the pool's data */
    assert_int_equal(NdisRetreatNetBufferDataStart(second, 6, 0, NULL), NDIS_STATUS_SUCCESS); /* a front MDL */
    struct harness_nb_snapshot s1, s2;
    harness_nb_snapshot(first, &s1);
    harness_nb_snapshot(second, &s2);
    ULONG64 before = ndisbuf_outstanding_total();
    for (size_t f = 0; f < FLAG_VARIANTS; f++) {
        PNET_BUFFER_LIST clone = make_clone(orig, f ? NULL : p.nbl, f ? NULL : p.nb, flag_variants[f]);
        assert_clone_nbl(clone, orig, f ? NULL : p.nbl, flag_variants[f]);
        assert_shares_memory(nth_nb(clone, 0), first);
        assert_shares_memory(nth_nb(clone, 1), second);
        drop_clone(clone, flag_variants[f]);
        assert_int_equal(ndisbuf_outstanding_total(), before);
        harness_assert_nb_unchanged(first, &s1);
        harness_assert_nb_unchanged(second, &s2);
    }
    NET_BUFFER_NEXT_NB(first) = NULL;
    NdisFreeNetBuffer(second);
    NdisFreeNetBufferList(orig);
    harness_expect_no_report();
    harness_free_nbl_pool(data_nbl_pool);
    harness_free_nb_pool(data_nb_pool);
    clone_pools_free(&p);
}

static void clone_whose_chain_the_driver_spliced_and_restored_frees_every_mdl_it_built(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    ULONG64 before = ndisbuf_outstanding_total();
    PNET_BUFFER_LIST clone = make_clone(o.nbl, NULL, NULL, 0);
    PNET_BUFFER c = nth_nb(clone, MIXED_MID_MDL);
    PMDL d1 = NET_BUFFER_FIRST_MDL(c), d2 = d1->Next;
    assert_non_null(d2);
    /* A driver inserts a 4-byte MDL of its own between the first two (a VLAN tag, say)... */
    UCHAR tag[4] = {0x81, 0x00, 0x00, 0x05};
    PMDL mine = NdisAllocateMdl(NULL, tag, sizeof(tag));
    assert_non_null(mine);
    mine->Next = d2;
    d1->Next = mine;
    NET_BUFFER_DATA_LENGTH(c) += sizeof(tag);
    UCHAR got[4];
    assert_int_equal(harness_nb_read(c, MmGetMdlByteCount(d1), 4, got), 4);
    assert_memory_equal(got, tag, 4);
    /* ...and takes it out again before freeing the clone. */
    d1->Next = d2;
    NET_BUFFER_DATA_LENGTH(c) -= sizeof(tag);
    NdisFreeMdl(mine);
    drop_clone(clone, 0);
    assert_int_equal(ndisbuf_outstanding_total(), before);
    original_assert_unchanged(&o);
    original_free(&o);
}

/* Regression: the free stopped at the driver's MDL and leaked the clone's MDLs after it. */
static void clone_freed_with_a_driver_mdl_still_spliced_in_frees_every_mdl_it_built(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    ULONG64 before = ndisbuf_outstanding_total();
    PNET_BUFFER_LIST clone = make_clone(o.nbl, NULL, NULL, 0);
    PNET_BUFFER c = nth_nb(clone, MIXED_MID_MDL);
    PMDL d1 = NET_BUFFER_FIRST_MDL(c), d2 = d1->Next;
    assert_non_null(d2);
    UCHAR tag[4] = {0x81, 0x00, 0x00, 0x05};
    PMDL mine = NdisAllocateMdl(NULL, tag, sizeof(tag));
    assert_non_null(mine);
    mine->Next = d2;
    d1->Next = mine;
    drop_clone(clone, 0); /* the driver's MDL is still linked in */
    assert_int_equal(ndisbuf_outstanding_total(), before + 1); /* only the driver's own MDL is left */
    assert_ptr_equal(mine->Next, d2);                          /* and it was not touched */
    NdisFreeMdl(mine);
    assert_int_equal(ndisbuf_outstanding_total(), before);
    original_assert_unchanged(&o);
    original_free(&o);
}

/* Regression: NBs unlinked from a clone before its free leaked silently. */
static void clone_freed_without_all_its_nbs_is_derived_nb_missing(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    PNET_BUFFER_LIST clone = make_clone(o.nbl, NULL, NULL, 0);
    PNET_BUFFER second = nth_nb(clone, 1);
    NET_BUFFER_LIST_FIRST_NB(clone)->Next = NULL;
    NdisFreeCloneNetBufferList(clone, 0);
    const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_DERIVED_NB_MISSING);
    assert_int_equal(r->parameters[1], 1);
    assert_int_equal(r->parameters[2], MIXED);
    NET_BUFFER_LIST_FIRST_NB(clone)->Next = second; /* linked back, the clone frees normally */
    drop_clone(clone, 0);
    original_free(&o);
}

static void clone_pool_diagnostics_name_the_argument(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    NDIS_HANDLE nb_pool = harness_nb_pool(0);
    NDIS_HANDLE nbl_pool = harness_nbl_pool(FALSE, 0, 0, TAG);
    assert_null(NdisAllocateCloneNetBufferList(o.nbl, nb_pool, NULL, 0));
    assert_true(harness_diag_contains("NetBufferListPoolHandle"));
    assert_null(NdisAllocateCloneNetBufferList(o.nbl, NULL, nbl_pool, 0));
    assert_true(harness_diag_contains("NetBufferPoolHandle"));
    assert_null(NdisAllocateReassembledNetBufferList(o.nbl, nbl_pool, 0, 0, 0, 0));
    assert_true(harness_diag_contains("NetBufferAndNetBufferListPoolHandle"));
    harness_free_nb_pool(nb_pool);
    harness_free_nbl_pool(nbl_pool);
    original_free(&o);
}

/* ----------------------------------------------------------- refusals */

static void clone_refuses_pools_with_data_or_of_the_wrong_kind(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    struct clone_pools p = clone_pools_new();
    NDIS_HANDLE data_nbl = nbl_pool_with(TRUE, 0, 256, NDIS_PROTOCOL_ID_DEFAULT);
    NDIS_HANDLE data_nb = harness_nb_pool(128);
    const struct {
        NDIS_HANDLE nbl, nb;
        const char *named;
    } cases[] = {
        {data_nbl, NULL, "DataSize"}, {data_nbl, p.nb, "DataSize"}, {NULL, data_nb, "DataSize"},
        {p.nbl, data_nb, "DataSize"}, {p.own, data_nb, "DataSize"}, {p.nb, NULL, NULL},
        {NULL, p.nbl, NULL},          {p.nbl, p.own, NULL},         {p.nb, p.nbl, NULL},
    };
    ULONG64 before = ndisbuf_outstanding_total();
    for (size_t f = 0; f < FLAG_VARIANTS; f++) {
        /* Handles of pools already freed. */
        NDIS_HANDLE gone_nbl = nbl_pool_with(FALSE, 0, 0, NDIS_PROTOCOL_ID_DEFAULT);
        NDIS_HANDLE gone_nb = harness_nb_pool(0);
        harness_free_nbl_pool(gone_nbl);
        harness_free_nb_pool(gone_nb);
        harness_diag_clear();
        assert_null(NdisAllocateCloneNetBufferList(o.nbl, gone_nbl, p.nb, flag_variants[f]));
        harness_expect_no_report();
        assert_clone_diagnostic(NULL);
        harness_diag_clear();
        assert_null(NdisAllocateCloneNetBufferList(o.nbl, p.nbl, gone_nb, flag_variants[f]));
        harness_expect_no_report();
        assert_clone_diagnostic(NULL);
        assert_int_equal(ndisbuf_outstanding_total(), before);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            print_message("flags %#x, case %zu\n", flag_variants[f], i);
            harness_diag_clear();
            assert_null(NdisAllocateCloneNetBufferList(o.nbl, cases[i].nbl, cases[i].nb, flag_variants[f]));
            harness_expect_no_report();
            assert_clone_diagnostic(cases[i].named);
            assert_int_equal(ndisbuf_outstanding_total(), before);
            assert_int_equal(harness_stats(p.nbl).Outstanding, 0);
            assert_int_equal(harness_stats(p.own).Outstanding, 0);
            assert_int_equal(harness_stats(p.nb).Outstanding, 0);
            assert_int_equal(harness_stats(data_nbl).Outstanding, 0);
            assert_int_equal(harness_stats(data_nb).Outstanding, 0);
            original_assert_unchanged(&o);
        }
    }
    harness_free_nbl_pool(data_nbl);
    harness_free_nb_pool(data_nb);
    clone_pools_free(&p);
    original_free(&o);
}

static void clone_refuses_reserved_and_unknown_flags(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    struct clone_pools p = clone_pools_new();
    const ULONG bad[] = {NDIS_CLONE_FLAGS_RESERVED,
                         NDIS_CLONE_FLAGS_RESERVED | NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS,
                         0x4,
                         0x4 | NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS,
                         0x80000000u,
                         0xFFFFFFFFu};
    ULONG64 before = ndisbuf_outstanding_total();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        print_message("flags %#x\n", bad[i]);
        harness_diag_clear();
        assert_null(NdisAllocateCloneNetBufferList(o.nbl, p.nbl, p.nb, bad[i]));
        harness_expect_no_report();
        assert_clone_diagnostic("Flags");
        harness_diag_clear();
        assert_null(NdisAllocateCloneNetBufferList(o.nbl, NULL, NULL, bad[i]));
        harness_expect_no_report();
        assert_clone_diagnostic("Flags");
        assert_int_equal(ndisbuf_outstanding_total(), before);
        original_assert_unchanged(&o);
    }
    clone_pools_free(&p);
    original_free(&o);
}

static void clone_refuses_a_null_or_freed_original_with_a_diagnostic(void **state)
{
    (void)state;
    struct clone_pools p = clone_pools_new();
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    UCHAR data[64];
    MDL mdl;
    const ULONG len[] = {sizeof(data)};
    harness_mdl_chain(&mdl, 1, data, len);
    PNET_BUFFER_LIST gone = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, &mdl, 0, sizeof(data));
    assert_non_null(gone);
    PNET_BUFFER_LIST kept = NdisAllocateNetBufferList(pool, 0, 0); /* keeps the pool's element block in use */
    assert_non_null(kept);
    NdisFreeNetBufferList(gone);
    harness_expect_no_report();
    ULONG64 before = ndisbuf_outstanding_total();

    for (size_t f = 0; f < FLAG_VARIANTS; f++) {
        harness_diag_clear();
        assert_null(NdisAllocateCloneNetBufferList(NULL, p.nbl, p.nb, flag_variants[f]));
        harness_expect_no_report();
        assert_clone_diagnostic(NULL);
        harness_diag_clear();
        assert_null(NdisAllocateCloneNetBufferList(NULL, NULL, NULL, flag_variants[f]));
        harness_expect_no_report();
        assert_clone_diagnostic(NULL);

        harness_diag_clear();
        assert_null(NdisAllocateCloneNetBufferList(gone, p.nbl, p.nb, flag_variants[f]));
        harness_expect_no_report();
        assert_clone_diagnostic(NULL);
        harness_diag_clear();
        assert_null(NdisAllocateCloneNetBufferList(gone, NULL, NULL, flag_variants[f]));
        harness_expect_no_report();
        assert_clone_diagnostic(NULL);

        /* Not an NBL at all: the NB of a live NBL, and an MDL from NdisAllocateMdl. */
        harness_diag_clear();
        assert_null(NdisAllocateCloneNetBufferList((PNET_BUFFER_LIST)NET_BUFFER_LIST_FIRST_NB(kept), NULL, NULL,
                                                   flag_variants[f]));
        harness_expect_no_report();
        assert_clone_diagnostic(NULL);
        PMDL lone = NdisAllocateMdl(NULL, data, sizeof(data));
        assert_non_null(lone);
        before = ndisbuf_outstanding_total();
        harness_diag_clear();
        assert_null(NdisAllocateCloneNetBufferList((PNET_BUFFER_LIST)lone, NULL, NULL, flag_variants[f]));
        harness_expect_no_report();
        assert_clone_diagnostic(NULL);
        assert_int_equal(ndisbuf_outstanding_total(), before);
        NdisFreeMdl(lone);
        before = ndisbuf_outstanding_total();
        assert_int_equal(ndisbuf_outstanding_total(), before);
    }
    NdisFreeNetBufferList(kept);
    harness_free_nbl_pool(pool);
    clone_pools_free(&p);
}

/* ------------------------------------------------------ clones of clones */

enum { C1, C11, C2, TREE };

static void clones_of_clones_freed_children_first_in_every_legal_order(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    struct clone_pools p = clone_pools_new();
    /* The orders with each child before its parent: c11 before c1, all before the original. */
    static const int orders[][3] = {{C2, C11, C1}, {C11, C2, C1}, {C11, C1, C2}};
    ULONG64 before = ndisbuf_outstanding_total();

    for (unsigned combo = 0; combo < 8; combo++) {
        ULONG flags[TREE];
        flags[C1] = flag_variants[combo & 1];
        flags[C11] = flag_variants[(combo >> 1) & 1];
        flags[C2] = flag_variants[(combo >> 2) & 1];
        for (size_t ord = 0; ord < sizeof(orders) / sizeof(orders[0]); ord++) {
            print_message("flags c1 %#x c11 %#x c2 %#x, order %zu\n", flags[C1], flags[C11], flags[C2], ord);
            PNET_BUFFER_LIST c[TREE];
            c[C1] = make_clone(o.nbl, p.nbl, p.nb, flags[C1]);
            c[C11] = make_clone(c[C1], NULL, NULL, flags[C11]);
            c[C2] = make_clone(o.nbl, p.own, p.nb, flags[C2]);
            assert_int_equal(o.nbl->ChildRefCount, 2);
            assert_int_equal(c[C1]->ChildRefCount, 1);
            assert_clone_nbl(c[C1], o.nbl, p.nbl, flags[C1]);
            assert_clone_nbl(c[C11], c[C1], NULL, flags[C11]);
            assert_clone_nbl(c[C2], o.nbl, p.own, flags[C2]);
            for (size_t i = 0; i < o.count; i++) {
                harness_assert_nb_data(nth_nb(c[C11], i), o.expected[i], NET_BUFFER_DATA_LENGTH(o.nbs[i]));
                assert_same_addresses(nth_nb(c[C11], i), o.nbs[i]);
                if (flags[C1] & flags[C11] & ORIG_MDLS)
                    assert_ptr_equal(NET_BUFFER_FIRST_MDL(nth_nb(c[C11], i)), NET_BUFFER_CURRENT_MDL(o.nbs[i]));
                assert_shares_memory(nth_nb(c[C11], i), o.nbs[i]);
            }
            for (int k = 0; k < 3; k++)
                drop_clone(c[orders[ord][k]], flags[orders[ord][k]]);
            assert_int_equal(o.nbl->ChildRefCount, 0);
            assert_int_equal(ndisbuf_outstanding_total(), before);
            original_assert_unchanged(&o);
        }
    }
    clone_pools_free(&p);
    original_free(&o);
}

/* ------------------------------------------------------ retreat on clones */

static void retreat_on_a_clone_allocates_and_leaves_the_originals_backfill_alone(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    struct clone_pools p = clone_pools_new();
    UCHAR *saved = malloc(o.count * REGION);
    assert_non_null(saved);
    memcpy(saved, o.buf, o.count * REGION);
    ULONG64 before = ndisbuf_outstanding_total();
    PNET_BUFFER_LIST clone = make_clone(o.nbl, p.nbl, p.nb, 0);
    ULONG64 with_clone = ndisbuf_outstanding_total();

    /* NB 0 has 17 bytes of back-fill in the original; the clone has none. */
    PNET_BUFFER c = NET_BUFFER_LIST_FIRST_NB(clone);
    PMDL first = NET_BUFFER_FIRST_MDL(c);
    ULONG length = NET_BUFFER_DATA_LENGTH(c);
    assert_int_equal(NdisRetreatNetBufferDataStart(c, 14, 0, NULL), NDIS_STATUS_SUCCESS);
    PMDL front = NET_BUFFER_FIRST_MDL(c);
    assert_true(front != first);
    assert_ptr_equal(front->Next, first);
    assert_false(chain_holds(NET_BUFFER_FIRST_MDL(o.nbs[0]), front));
    UCHAR *va = MmGetSystemAddressForMdlSafe(front, NormalPagePriority);
    assert_true(va + MmGetMdlByteCount(front) <= o.buf || va >= o.buf + o.count * REGION);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(c), 0);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(c), length + 14);
    harness_assert_nb_consistent(c);
    UCHAR header[14];
    harness_fill(header, sizeof(header), 99);
    assert_int_equal(harness_nb_write(c, 0, sizeof(header), header), sizeof(header));
    UCHAR *expected = malloc(length + 14);
    assert_non_null(expected);
    memcpy(expected, header, sizeof(header));
    memcpy(expected + 14, o.expected[0], length);
    harness_assert_nb_data(c, expected, length + 14);
    free(expected);
    /* The original's back-fill (and every other byte of its buffer) is untouched. */
    assert_memory_equal(o.buf, saved, o.count * REGION);
    o.nbl->ChildRefCount--;
    original_assert_unchanged(&o);
    o.nbl->ChildRefCount++;

    NdisAdvanceNetBufferDataStart(c, 14, TRUE, NULL);
    assert_ptr_equal(NET_BUFFER_FIRST_MDL(c), first);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(c), 0);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(c), length);
    assert_int_equal(ndisbuf_outstanding_total(), with_clone);
    assert_clone_nbl(clone, o.nbl, p.nbl, 0);

    /* Every NB retreated (the empty ones get a fresh buffer), left so: freeing the clone releases it all. */
    assert_int_equal(NdisRetreatNetBufferListDataStart(clone, 8, 4, NULL, NULL), NDIS_STATUS_SUCCESS);
    for (size_t i = 0; i < o.count; i++) {
        PNET_BUFFER n = nth_nb(clone, i);
        assert_int_equal(NET_BUFFER_DATA_LENGTH(n), NET_BUFFER_DATA_LENGTH(o.nbs[i]) + 8);
        UCHAR h[8];
        harness_fill(h, sizeof(h), 7 + (unsigned)i);
        assert_int_equal(harness_nb_write(n, 0, sizeof(h), h), sizeof(h));
    }
    assert_memory_equal(o.buf, saved, o.count * REGION);
    /* Clones of the retreated clone describe its new headers too (the retreat MDLs included). */
    for (size_t f = 0; f < FLAG_VARIANTS; f++) {
        PNET_BUFFER_LIST grand = make_clone(clone, NULL, NULL, flag_variants[f]);
        assert_clone_nbl(grand, clone, NULL, flag_variants[f]);
        drop_clone(grand, flag_variants[f]);
    }
    drop_clone(clone, 0);
    assert_int_equal(ndisbuf_outstanding_total(), before);
    original_assert_unchanged(&o);
    free(saved);
    clone_pools_free(&p);
    original_free(&o);
}

static void retreat_on_a_clone_with_original_mdls_shares_the_backfill_and_free_releases_its_mdl(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    ULONG64 before = ndisbuf_outstanding_total();
    PNET_BUFFER_LIST clone = make_clone(o.nbl, NULL, NULL, ORIG_MDLS);
    ULONG64 with_clone = ndisbuf_outstanding_total();
    PNET_BUFFER c = nth_nb(clone, MIXED_MID_MDL);
    PMDL shared = &o.mdls[MIXED_MID_MDL * MAX_MDLS + MIXED_MID_MDL_CURRENT];
    ULONG length = NET_BUFFER_DATA_LENGTH(c);
    assert_ptr_equal(NET_BUFFER_FIRST_MDL(c), shared);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(c), 2);

    /* Within the shared back-fill: nothing allocated, the header lands in the original's back-fill. */
    assert_int_equal(NdisRetreatNetBufferDataStart(c, 2, 0, NULL), NDIS_STATUS_SUCCESS);
    assert_ptr_equal(NET_BUFFER_FIRST_MDL(c), shared);
    assert_ptr_equal(NET_BUFFER_CURRENT_MDL(c), shared);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(c), 0);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(c), length + 2);
    assert_int_equal(ndisbuf_outstanding_total(), with_clone);
    UCHAR *backfill = o.buf + MIXED_MID_MDL * REGION + 10; /* the 7-byte MDL starts 10 bytes in */
    const UCHAR two[2] = {0xA1, 0xA2};
    UCHAR saved[2];
    memcpy(saved, backfill, 2);
    assert_int_equal(harness_nb_write(c, 0, 2, two), 2);
    assert_memory_equal(backfill, two, 2);

    /* Beyond it: a new MDL in front of the shared one, which is not changed. */
    assert_int_equal(NdisRetreatNetBufferDataStart(c, 6, 0, NULL), NDIS_STATUS_SUCCESS);
    PMDL front = NET_BUFFER_FIRST_MDL(c);
    assert_true(front != shared);
    assert_ptr_equal(front->Next, shared);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(c), length + 8);
    harness_assert_nb_consistent(c);
    assert_true(ndisbuf_outstanding_total() > with_clone);
    o.nbl->ChildRefCount--;
    original_assert_unchanged(&o); /* fields, MDLs (the shared one included) and used data */
    o.nbl->ChildRefCount++;

    /* Freed as it is: the retreat's MDL goes with the clone, the original's MDLs stay. */
    drop_clone(clone, ORIG_MDLS);
    assert_int_equal(ndisbuf_outstanding_total(), before);
    memcpy(backfill, saved, 2);
    original_assert_unchanged(&o);
    original_free(&o);
}

/* ----------------------------------------------------- the original kept */

static void original_is_unchanged_by_cloning_and_by_freeing_the_clone(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    struct clone_pools p = clone_pools_new();
    UCHAR *saved = malloc(o.count * REGION);
    assert_non_null(saved);
    memcpy(saved, o.buf, o.count * REGION);
    NDIS_HANDLE nbl_pools[] = {NULL, p.nbl, p.own};
    for (size_t f = 0; f < FLAG_VARIANTS; f++) {
        for (size_t k = 0; k < 3; k++) {
            PNET_BUFFER_LIST clone =
                NdisAllocateCloneNetBufferList(o.nbl, nbl_pools[k], k ? p.nb : NULL, flag_variants[f]);
            assert_non_null(clone);
            harness_expect_no_report();
            /* The library touched nothing, ChildRefCount included. */
            original_assert_unchanged(&o);
            assert_memory_equal(o.buf, saved, o.count * REGION);
            NdisFreeCloneNetBufferList(clone, flag_variants[f]);
            harness_expect_no_report();
            original_assert_unchanged(&o);
            assert_memory_equal(o.buf, saved, o.count * REGION);
        }
    }
    free(saved);
    clone_pools_free(&p);
    original_free(&o);
}

/* ------------------------------------------------------ a long original */

/* 30 MDLs, 22 of them with bytes (65 bytes in all). */
static const ULONG long_chain[] = {0, 3, 0, 2, 5, 0, 1, 1, 4, 0, 6, 2, 0, 3, 3,
                                   0, 7, 1, 0, 9, 2, 2, 4, 1, 1, 0, 2, 3, 1, 2};
#define LONG_CHAIN_BYTES 65

static void clone_of_a_hundred_nb_original(void **state)
{
    (void)state;
    enum { N = 100 };
    struct nb_spec *specs = calloc(N, sizeof(*specs));
    ULONG(*lengths)[4] = calloc(N, sizeof(*lengths));
    assert_non_null(specs);
    assert_non_null(lengths);
    for (ULONG i = 0; i < N; i++) {
        ULONG a = (i % 3) * 4, b = 7 + i % 5, c = 11 + i % 7;
        lengths[i][0] = a;
        lengths[i][1] = 0;
        lengths[i][2] = b;
        lengths[i][3] = c;
        specs[i].lengths = lengths[i];
        specs[i].count = 4;
        specs[i].offset = a + i % 3;
        specs[i].length = i % 10 == 9 ? 0 : b + c - i % 3 - i % 4;
    }
    /*
     * NB 0: a 30-MDL chain with zero-length MDLs and a byte of gap between
     * MDLs (so no two pieces can be described by one MDL), data from the
     * 5th byte to 2 before the end: more than 16 pieces.
     */
    specs[0].lengths = long_chain;
    specs[0].count = sizeof(long_chain) / sizeof(long_chain[0]);
    specs[0].offset = 4;
    specs[0].length = LONG_CHAIN_BYTES - 4 - 2;
    specs[0].gap = 1;
    specs[1].gap = 3;
    struct original o;
    original_build(&o, specs, N);
    struct clone_pools p = clone_pools_new();
    ULONG64 before = ndisbuf_outstanding_total();

    for (size_t f = 0; f < FLAG_VARIANTS; f++) {
        PNET_BUFFER_LIST clones[3];
        clones[0] = make_clone(o.nbl, NULL, NULL, flag_variants[f]);
        clones[1] = make_clone(o.nbl, p.nbl, p.nb, flag_variants[f]);
        clones[2] = make_clone(o.nbl, p.own, p.nb, flag_variants[f]);
        assert_int_equal(harness_stats(p.nb).Outstanding, 2 * N - 1);
        assert_clone_nbl(clones[0], o.nbl, NULL, flag_variants[f]);
        assert_clone_nbl(clones[1], o.nbl, p.nbl, flag_variants[f]);
        assert_clone_nbl(clones[2], o.nbl, p.own, flag_variants[f]);
        assert_true(used_pieces(o.nbs[0]) > 16);
        if (!flag_variants[f])
            for (size_t k = 0; k < 3; k++) {
                assert_int_equal(harness_chain_count(NET_BUFFER_FIRST_MDL(NET_BUFFER_LIST_FIRST_NB(clones[k]))),
                                 used_pieces(o.nbs[0]));
                assert_int_equal(harness_chain_count(NET_BUFFER_FIRST_MDL(nth_nb(clones[k], 1))),
                                 used_pieces(o.nbs[1]));
            }
        PNET_BUFFER_LIST grand = make_clone(clones[1], NULL, p.nb, flag_variants[f]);
        assert_clone_nbl(grand, clones[1], NULL, flag_variants[f]);
        drop_clone(grand, flag_variants[f]);
        drop_clone(clones[1], flag_variants[f]);
        drop_clone(clones[0], flag_variants[f]);
        drop_clone(clones[2], flag_variants[f]);
        assert_int_equal(ndisbuf_outstanding_total(), before);
        original_assert_unchanged(&o);
    }
    clone_pools_free(&p);
    original_free(&o);
    free(lengths);
    free(specs);
}

/* --------------------------------------------------------------- rules */

static void ndis_free_net_buffer_list_on_a_clone_is_wrong_free_call(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    struct clone_pools p = clone_pools_new();
    NDIS_HANDLE pools[] = {NULL, p.nbl, p.own};
    for (size_t f = 0; f < FLAG_VARIANTS; f++) {
        for (size_t k = 0; k < 3; k++) {
            PNET_BUFFER_LIST clone = make_clone(o.nbl, pools[k], k ? p.nb : NULL, flag_variants[f]);
            struct nbl_snap s;
            nbl_snap_take(clone, &s);
            NdisFreeNetBufferList(clone);
            const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
            assert_ptr_equal(r->object, clone);
            assert_string_equal(r->function, "NdisFreeNetBufferList");
            assert_contains(r->message, "NdisFreeCloneNetBufferList");
            nbl_snap_assert(clone, &s);
            drop_clone(clone, flag_variants[f]);
        }
    }
    original_assert_unchanged(&o);
    clone_pools_free(&p);
    original_free(&o);
}

static void free_clone_on_an_nbl_that_is_no_clone_is_wrong_free_call(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    NDIS_HANDLE plain_pool = nbl_pool_with(FALSE, 0, 0, NDIS_PROTOCOL_ID_DEFAULT);
    PNET_BUFFER_LIST plain = NdisAllocateNetBufferList(plain_pool, 0, 0);
    assert_non_null(plain);
    for (size_t f = 0; f < FLAG_VARIANTS; f++) {
        NdisFreeCloneNetBufferList(o.nbl, flag_variants[f]);
        const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
        assert_ptr_equal(r->object, o.nbl);
        assert_string_equal(r->function, "NdisFreeCloneNetBufferList");
        assert_contains(r->message, "NdisFreeNetBufferList"); /* names the right call */
        original_assert_unchanged(&o);

        struct nbl_snap s;
        nbl_snap_take(plain, &s);
        NdisFreeCloneNetBufferList(plain, flag_variants[f]);
        harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
        nbl_snap_assert(plain, &s);
        /* An NBL whose ParentNetBufferList a driver set by hand is still no clone. */
        plain->ParentNetBufferList = o.nbl;
        nbl_snap_take(plain, &s);
        NdisFreeCloneNetBufferList(plain, flag_variants[f]);
        harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
        nbl_snap_assert(plain, &s);
        plain->ParentNetBufferList = NULL;
    }
    NdisFreeNetBufferList(plain);
    harness_expect_no_report();
    harness_free_nbl_pool(plain_pool);
    original_free(&o);
}

static void free_clone_with_other_flags_is_derived_free_mismatch(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    struct clone_pools p = clone_pools_new();
    const ULONG others[] = {0, ORIG_MDLS, NDIS_CLONE_FLAGS_RESERVED, NDIS_CLONE_FLAGS_RESERVED | ORIG_MDLS, 0x4,
                            0x80000000u};
    for (size_t f = 0; f < FLAG_VARIANTS; f++) {
        PNET_BUFFER_LIST clone = make_clone(o.nbl, p.nbl, p.nb, flag_variants[f]);
        for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
            if (others[i] == flag_variants[f])
                continue;
            print_message("made with %#x, freed with %#x\n", flag_variants[f], others[i]);
            struct nbl_snap s;
            nbl_snap_take(clone, &s);
            NdisFreeCloneNetBufferList(clone, others[i]);
            const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_DERIVED_FREE_MISMATCH);
            assert_ptr_equal(r->object, clone);
            assert_string_equal(r->function, "NdisFreeCloneNetBufferList");
            nbl_snap_assert(clone, &s);
            assert_int_equal(harness_stats(p.nbl).Outstanding, 1);
        }
        drop_clone(clone, flag_variants[f]);
    }
    original_assert_unchanged(&o);
    clone_pools_free(&p);
    original_free(&o);
}

static void double_free_of_a_clone_is_reported(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    struct clone_pools p = clone_pools_new();
    for (size_t f = 0; f < FLAG_VARIANTS; f++) {
        PNET_BUFFER_LIST internal = make_clone(o.nbl, NULL, NULL, flag_variants[f]);
        PNET_BUFFER_LIST pooled = make_clone(o.nbl, p.nbl, p.nb, flag_variants[f]);
        drop_clone(internal, flag_variants[f]);
        drop_clone(pooled, flag_variants[f]);
        ULONG64 before = ndisbuf_outstanding_total();
        NdisFreeCloneNetBufferList(internal, flag_variants[f]);
        const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_DOUBLE_FREE);
        assert_ptr_equal(r->object, internal);
        assert_string_equal(r->function, "NdisFreeCloneNetBufferList");
        NdisFreeCloneNetBufferList(pooled, flag_variants[f]);
        harness_expect_report(NDISBUF_REPORT_DOUBLE_FREE);
        assert_int_equal(ndisbuf_outstanding_total(), before);
        assert_int_equal(harness_stats(p.nbl).Outstanding, 0);
        assert_int_equal(harness_stats(p.nb).Outstanding, 0);
    }
    original_assert_unchanged(&o);
    clone_pools_free(&p);
    original_free(&o);
}

static void free_clone_of_null_or_a_foreign_pointer_is_reported(void **state)
{
    (void)state;
    NdisFreeCloneNetBufferList(NULL, 0);
    assert_string_equal(harness_expect_report(NDISBUF_REPORT_NULL_OBJECT)->function, "NdisFreeCloneNetBufferList");
    NdisFreeCloneNetBufferList(NULL, ORIG_MDLS);
    harness_expect_report(NDISBUF_REPORT_NULL_OBJECT);
    NET_BUFFER_LIST stack_nbl;
    memset(&stack_nbl, 0, sizeof(stack_nbl));
    NdisFreeCloneNetBufferList(&stack_nbl, 0);
    assert_ptr_equal(harness_expect_report(NDISBUF_REPORT_FOREIGN_POINTER)->object, &stack_nbl);
}

static void parent_freed_with_children_outstanding_is_reported(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    for (size_t f = 0; f < FLAG_VARIANTS; f++) {
        PNET_BUFFER_LIST child = make_clone(o.nbl, NULL, NULL, flag_variants[f]);
        PNET_BUFFER_LIST grand = make_clone(child, NULL, NULL, flag_variants[f]);
        /* The original, unlinked from its lone NBs so that only the count is wrong. */
        NET_BUFFER_NEXT_NB(o.nbs[0]) = NULL;
        struct nbl_snap s;
        nbl_snap_take(o.nbl, &s);
        NdisFreeNetBufferList(o.nbl);
        const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_CHILDREN_OUTSTANDING);
        assert_ptr_equal(r->object, o.nbl);
        assert_string_equal(r->function, "NdisFreeNetBufferList");
        nbl_snap_assert(o.nbl, &s);
        NET_BUFFER_NEXT_NB(o.nbs[0]) = o.nbs[1];

        /* A clone that is itself a parent. */
        nbl_snap_take(child, &s);
        NdisFreeCloneNetBufferList(child, flag_variants[f]);
        r = harness_expect_report(NDISBUF_REPORT_CHILDREN_OUTSTANDING);
        assert_ptr_equal(r->object, child);
        assert_string_equal(r->function, "NdisFreeCloneNetBufferList");
        nbl_snap_assert(child, &s);

        /* A negative count is not zero either. */
        child->ChildRefCount = -1;
        nbl_snap_take(child, &s);
        NdisFreeCloneNetBufferList(child, flag_variants[f]);
        harness_expect_report(NDISBUF_REPORT_CHILDREN_OUTSTANDING);
        nbl_snap_assert(child, &s);
        child->ChildRefCount = 1;

        drop_clone(grand, flag_variants[f]);
        drop_clone(child, flag_variants[f]);
        assert_int_equal(o.nbl->ChildRefCount, 0);
        original_assert_unchanged(&o);
    }
    original_free(&o);
}

static void clone_freed_with_pushed_context_is_context_not_popped(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    struct clone_pools p = clone_pools_new();
    for (size_t f = 0; f < FLAG_VARIANTS; f++) {
        PNET_BUFFER_LIST clone = make_clone(o.nbl, p.own, p.nb, flag_variants[f]);
        assert_int_equal(NdisAllocateNetBufferListContext(clone, 16, 0, TAG), NDIS_STATUS_SUCCESS);
        assert_non_null(clone->Context);
        memset(NET_BUFFER_LIST_CONTEXT_DATA_START(clone), 0x77, 16);
        struct nbl_snap s;
        nbl_snap_take(clone, &s);
        NdisFreeCloneNetBufferList(clone, flag_variants[f]);
        const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_CONTEXT_NOT_POPPED);
        assert_ptr_equal(r->object, clone);
        nbl_snap_assert(clone, &s);
        NdisFreeNetBufferListContext(clone, 16);
        harness_expect_no_report();
        assert_null(clone->Context);
        drop_clone(clone, flag_variants[f]);
    }
    original_assert_unchanged(&o);
    clone_pools_free(&p);
    original_free(&o);
}

static void nb_the_driver_added_to_a_clone_is_nbl_has_foreign_nb(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    struct clone_pools p = clone_pools_new();
    NDIS_HANDLE own_nb_pool = harness_nb_pool(0);
    for (size_t f = 0; f < FLAG_VARIANTS; f++) {
        /* From the driver's own NB pool, and from the very pool the clone's NBs came from. */
        NDIS_HANDLE from[] = {own_nb_pool, p.nb};
        for (size_t k = 0; k < 2; k++) {
            PNET_BUFFER_LIST clone = make_clone(o.nbl, p.nbl, p.nb, flag_variants[f]);
            PNET_BUFFER extra = NdisAllocateNetBuffer(from[k], NULL, 0, 0);
            assert_non_null(extra);
            PNET_BUFFER last = nth_nb(clone, o.count - 1);
            NET_BUFFER_NEXT_NB(last) = extra; /* appended */
            struct nbl_snap s;
            nbl_snap_take(clone, &s);
            NdisFreeCloneNetBufferList(clone, flag_variants[f]);
            const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_NBL_HAS_FOREIGN_NB);
            assert_ptr_equal(r->object, clone);
            nbl_snap_assert(clone, &s);
            NET_BUFFER_NEXT_NB(last) = NULL;

            PNET_BUFFER first = NET_BUFFER_LIST_FIRST_NB(clone);
            NET_BUFFER_NEXT_NB(extra) = first; /* put in front */
            NET_BUFFER_LIST_FIRST_NB(clone) = extra;
            nbl_snap_take(clone, &s);
            NdisFreeCloneNetBufferList(clone, flag_variants[f]);
            harness_expect_report(NDISBUF_REPORT_NBL_HAS_FOREIGN_NB);
            nbl_snap_assert(clone, &s);
            NET_BUFFER_LIST_FIRST_NB(clone) = first;
            NET_BUFFER_NEXT_NB(extra) = NULL;

            NdisFreeNetBuffer(extra);
            harness_expect_no_report();
            drop_clone(clone, flag_variants[f]);
        }
    }
    original_assert_unchanged(&o);
    harness_free_nb_pool(own_nb_pool);
    clone_pools_free(&p);
    original_free(&o);
}

static void ndis_free_net_buffer_on_a_clones_nb_is_wrong_free_call(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    struct clone_pools p = clone_pools_new();
    for (size_t f = 0; f < FLAG_VARIANTS; f++) {
        const struct {
            NDIS_HANDLE nbl, nb;
        } combos[] = {{p.nbl, p.nb}, {p.own, p.nb}, {NULL, NULL}, {p.nbl, NULL}};
        for (size_t k = 0; k < sizeof(combos) / sizeof(combos[0]); k++) {
            PNET_BUFFER_LIST clone = make_clone(o.nbl, combos[k].nbl, combos[k].nb, flag_variants[f]);
            size_t picks[] = {0, 1, o.count - 1};
            for (size_t i = 0; i < 3; i++) {
                PNET_BUFFER nb = nth_nb(clone, picks[i]);
                struct nbl_snap s;
                nbl_snap_take(clone, &s);
                NdisFreeNetBuffer(nb);
                const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
                assert_ptr_equal(r->object, nb);
                assert_string_equal(r->function, "NdisFreeNetBuffer");
                nbl_snap_assert(clone, &s);
            }
            if (combos[k].nb)
                assert_int_equal(harness_stats(combos[k].nb).Outstanding, combos[k].nbl == p.own ? o.count - 1
                                                                                                   : o.count);
            drop_clone(clone, flag_variants[f]);
        }
    }
    original_assert_unchanged(&o);
    clone_pools_free(&p);
    original_free(&o);
}

static void ndis_free_net_buffer_on_any_clone_nb_names_the_clone_free_call(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    struct clone_pools p = clone_pools_new();
    char messages[2][HARNESS_TEXT_MAX];
    /* The clone's own NB (its pool has fAllocateNetBuffer) and one from the NB pool. */
    PNET_BUFFER_LIST clone = make_clone(o.nbl, p.own, p.nb, 0);
    PNET_BUFFER nbs[2] = {NET_BUFFER_LIST_FIRST_NB(clone), nth_nb(clone, 1)};
    for (size_t i = 0; i < 2; i++) {
        NdisFreeNetBuffer(nbs[i]);
        const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
        snprintf(messages[i], sizeof(messages[i]), "%s", r->message);
    }
    drop_clone(clone, 0);
    clone_pools_free(&p);
    original_free(&o);
    /* Last, so that a failure leaves nothing behind: the way out is the clone's free call. */
    for (size_t i = 0; i < 2; i++) {
        print_message("%s\n", messages[i]);
        assert_contains(messages[i], "NdisFreeCloneNetBufferList");
    }
}

static void ndis_free_mdl_on_a_clones_mdl_is_wrong_free_call(void **state)
{
    (void)state;
    struct original o;
    original_build(&o, mixed, MIXED);
    for (int internal = 0; internal < 2; internal++) {
        struct clone_pools p = clone_pools_new();
        PNET_BUFFER_LIST clone = internal ? make_clone(o.nbl, NULL, NULL, 0) : make_clone(o.nbl, p.nbl, p.nb, 0);
        for (size_t i = 0; i < o.count; i++) {
            for (PMDL m = NET_BUFFER_FIRST_MDL(nth_nb(clone, i)); m; m = m->Next) {
                struct nbl_snap s;
                nbl_snap_take(clone, &s);
                NdisFreeMdl(m);
                const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
                assert_ptr_equal(r->object, m);
                assert_string_equal(r->function, "NdisFreeMdl");
                IoFreeMdl(m);
                harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
                nbl_snap_assert(clone, &s);
            }
        }
        assert_clone_nbl(clone, o.nbl, internal ? NULL : p.nbl, 0);
        drop_clone(clone, 0);
        clone_pools_free(&p);
    }
    original_assert_unchanged(&o);
    original_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(clone_without_flags_describes_each_nb_with_new_mdls_over_the_same_memory),
        HARNESS_TEST(clone_with_original_mdls_starts_each_nb_at_the_originals_current_mdl),
        HARNESS_TEST(clone_nbl_names_its_parent_and_pool_and_carries_nothing_else),
        HARNESS_TEST(clone_with_null_pools_uses_internal_pools_that_are_not_live_pools),
        HARNESS_TEST(clone_into_a_pool_with_its_own_nb_uses_that_nb_first),
        HARNESS_TEST(clone_of_an_nbl_without_nbs_makes_no_nbs_or_is_refused_cleanly),
        HARNESS_TEST(clone_from_a_pool_with_context_space_has_no_context),
        HARNESS_TEST(clone_of_an_original_whose_chain_is_short_is_refused_and_releases_what_it_built),
        HARNESS_TEST(pool_elements_a_clone_used_serve_plain_allocations_afterwards),
        HARNESS_TEST(freeing_the_internal_pools_of_a_clone_is_refused),
        HARNESS_TEST(clone_of_nbs_with_pool_data_describes_that_data),
        HARNESS_TEST(clone_whose_chain_the_driver_spliced_and_restored_frees_every_mdl_it_built),
        HARNESS_TEST(clone_freed_with_a_driver_mdl_still_spliced_in_frees_every_mdl_it_built),
        HARNESS_TEST(clone_freed_without_all_its_nbs_is_derived_nb_missing),
        HARNESS_TEST(clone_pool_diagnostics_name_the_argument),
        HARNESS_TEST(clone_refuses_pools_with_data_or_of_the_wrong_kind),
        HARNESS_TEST(clone_refuses_reserved_and_unknown_flags),
        HARNESS_TEST(clone_refuses_a_null_or_freed_original_with_a_diagnostic),
        HARNESS_TEST(clones_of_clones_freed_children_first_in_every_legal_order),
        HARNESS_TEST(retreat_on_a_clone_allocates_and_leaves_the_originals_backfill_alone),
        HARNESS_TEST(retreat_on_a_clone_with_original_mdls_shares_the_backfill_and_free_releases_its_mdl),
        HARNESS_TEST(original_is_unchanged_by_cloning_and_by_freeing_the_clone),
        HARNESS_TEST(clone_of_a_hundred_nb_original),
        HARNESS_TEST(ndis_free_net_buffer_list_on_a_clone_is_wrong_free_call),
        HARNESS_TEST(free_clone_on_an_nbl_that_is_no_clone_is_wrong_free_call),
        HARNESS_TEST(free_clone_with_other_flags_is_derived_free_mismatch),
        HARNESS_TEST(double_free_of_a_clone_is_reported),
        HARNESS_TEST(free_clone_of_null_or_a_foreign_pointer_is_reported),
        HARNESS_TEST(parent_freed_with_children_outstanding_is_reported),
        HARNESS_TEST(clone_freed_with_pushed_context_is_context_not_popped),
        HARNESS_TEST(nb_the_driver_added_to_a_clone_is_nbl_has_foreign_nb),
        HARNESS_TEST(ndis_free_net_buffer_on_a_clones_nb_is_wrong_free_call),
        HARNESS_TEST(ndis_free_net_buffer_on_any_clone_nb_names_the_clone_free_call),
        HARNESS_TEST(ndis_free_mdl_on_a_clones_mdl_is_wrong_free_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
