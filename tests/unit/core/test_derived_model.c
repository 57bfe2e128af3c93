/* SPDX-License-Identifier: MIT */
/*
 * Randomized property tests of derived NBLs (ndis/derived.h,
 * ndis-semantics.md §6), on random originals: one to four NET_BUFFERs,
 * each on a caller chain of one to six MDLs of random lengths (zero
 * included) with the data start anywhere in it, some retreated beyond
 * their back-fill so their data starts in a library MDL.
 *
 *  (a) a clone, with and without NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS,
 *      reads the original's bytes NB for NB, and is built as the header
 *      says for each flag;
 *  (b) fragmenting with a random StartOffset, MaximumLength,
 *      DataOffsetDelta and DataBackFill, writing the fragments' headers,
 *      then reassembling past the headers gives back each original NB's
 *      bytes after StartOffset, joined;
 *  (c) random trees of derived NBLs (clones of clones, fragments of
 *      clones, reassemblies of fragments, any of any), whose parents'
 *      ChildRefCount the test keeps as a driver would, freed leaf by leaf
 *      in a random legal order while more are derived; a parent freed
 *      early is reported (CHILDREN_OUTSTANDING) and changes nothing; leaves
 *      get headers pushed and popped (retreat, advance) as a driver would.
 *      Every node's bytes are checked against a model when it is made,
 *      after each change and when it is freed.
 * Pools are picked at random: the internal ones (NULL) or given ones.
 * First of all (so that it is the process's first use of the internal
 * pools), threads derive and free at the same time from the internal pools,
 * and leave derived NBLs for the test thread to free.
 *
 * The seed is fixed; NDISBUF_MODEL_SEED=<n> picks another. The seed is
 * printed at the start of each test and with every model failure; the
 * same seed replays the same run.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "datapath.h"
#include "rng.h"

#define TAG HARNESS_TAG('T', 'D', 'm', 'd')
#define MODEL_DEFAULT_SEED 0x64657276ull /* "derv" */
#define CLONE_ROUNDS 6000
#define ROUND_TRIPS 6000
#define TREES 4000
#define TREE_STEPS 24
#define MAX_NODES 12
#define MAX_EARLY_FREES 40 /* reports the harness keeps: 64 per test */
#define MAX_NBS 4
#define MAX_TREE_FRAGMENTS 200
#define MAX_MDLS 6

/* ------------------------------------------------------------ run state */

static unsigned long model_round;
static const char *model_op = "setup";


static void model_start(const char *what)
{
    rng_seed_from_env(MODEL_DEFAULT_SEED);
    model_round = 0;
    model_op = "setup";
    print_message("model (%s): seed %" PRIu64 "; replay with NDISBUF_MODEL_SEED=%" PRIu64 "\n", what, model_seed,
                  model_seed);
}

static void model_fail(const char *what, long long a, long long b, int line)
{
    print_error("model: round %lu (%s): %s [%lld vs %lld] at line %d\n"
                "model: seed %" PRIu64 "; replay with NDISBUF_MODEL_SEED=%" PRIu64 "\n",
                model_round, model_op, what, a, b, line, model_seed, model_seed);
    fail();
}

#define CHECK(cond)                            \
    do {                                       \
        if (!(cond))                           \
            model_fail(#cond, 0, 0, __LINE__); \
    } while (0)
#define CHECK_EQ(a, b)                                                  \
    do {                                                                \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b); \
        if (check_a_ != check_b_)                                       \
            model_fail(#a " == " #b, check_a_, check_b_, __LINE__);     \
    } while (0)

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---------------------------------------------------------------- pools */

static struct {
    NDIS_HANDLE orig_nbl, orig_own, orig_nb; /* for originals */
    NDIS_HANDLE own, plain, nb;              /* given to the derive calls */
} pools;

static void pools_create(void)
{
    pools.orig_nbl = harness_nbl_pool(FALSE, 0, 0, TAG);
    pools.orig_own = harness_nbl_pool(TRUE, 0, 0, TAG);
    pools.orig_nb = harness_nb_pool(0);
    pools.own = harness_nbl_pool(TRUE, 0, 0, TAG);
    pools.plain = harness_nbl_pool(FALSE, 0, 0, TAG);
    pools.nb = harness_nb_pool(0);
}

static void pools_free(void)
{
    harness_free_nbl_pool(pools.orig_nbl);
    harness_free_nbl_pool(pools.orig_own);
    harness_free_nb_pool(pools.orig_nb);
    harness_free_nbl_pool(pools.own);
    harness_free_nbl_pool(pools.plain);
    harness_free_nb_pool(pools.nb);
}

/* An NBL pool for clones and fragments: internal, with own NB, or without. */
static NDIS_HANDLE pick_nbl_pool(void)
{
    switch (rng_below(4)) {
    case 0:
        return pools.own;
    case 1:
        return pools.plain;
    default:
        return NULL;
    }
}

static NDIS_HANDLE pick_nb_pool(void)
{
    return rng_chance(3) ? pools.nb : NULL;
}

/* ------------------------------------------------------------ originals */

struct original {
    PNET_BUFFER_LIST nbl;
    bool own; /* one NB, the NBL's own */
    size_t n;
    PNET_BUFFER nb[MAX_NBS];
    MDL mdls[MAX_NBS][MAX_MDLS];
    UCHAR *buf[MAX_NBS];
    ULONG retreated[MAX_NBS]; /* bytes retreated beyond the back-fill, advanced again at free */
};

static void original_build(struct original *o)
{
    memset(o, 0, sizeof(*o));
    o->n = 1 + rng_below(MAX_NBS);
    o->own = o->n == 1 && rng_chance(2);
    if (!o->own) {
        o->nbl = NdisAllocateNetBufferList(pools.orig_nbl, 0, 0);
        CHECK(o->nbl != NULL);
    }
    PNET_BUFFER *link = o->own ? NULL : &NET_BUFFER_LIST_FIRST_NB(o->nbl);
    for (size_t i = 0; i < o->n; i++) {
        size_t count = 1 + rng_below(MAX_MDLS);
        ULONG lengths[MAX_MDLS], total = 0;
        for (size_t k = 0; k < count; k++) {
            lengths[k] = rng_chance(4) ? 0 : 1 + rng_below(rng_chance(3) ? 8 : 300);
            total += lengths[k];
        }
        o->buf[i] = malloc(total ? total : 1);
        CHECK(o->buf[i] != NULL);
        harness_fill(o->buf[i], total, (unsigned)rng_next());
        harness_mdl_chain(o->mdls[i], count, o->buf[i], lengths);
        ULONG offset = rng_below(total + 1);
        ULONG length = rng_chance(3) ? total - offset : rng_below(total - offset + 1);
        if (o->own) {
            o->nbl = NdisAllocateNetBufferAndNetBufferList(pools.orig_own, 0, 0, o->mdls[i], offset, length);
            CHECK(o->nbl != NULL);
            o->nb[i] = NET_BUFFER_LIST_FIRST_NB(o->nbl);
        } else {
            o->nb[i] = NdisAllocateNetBuffer(pools.orig_nb, o->mdls[i], offset, length);
            CHECK(o->nb[i] != NULL);
            *link = o->nb[i];
            link = &NET_BUFFER_NEXT_NB(o->nb[i]);
        }
        if (rng_chance(5)) {
            /* Beyond the back-fill: the data now starts in an MDL of the library's. */
            ULONG delta = offset + 1 + rng_below(40);
            CHECK_EQ(NdisRetreatNetBufferDataStart(o->nb[i], delta, rng_below(16), NULL), NDIS_STATUS_SUCCESS);
            UCHAR header[64];
            harness_fill(header, sizeof(header), (unsigned)rng_next());
            ULONG fresh = delta - offset;
            CHECK_EQ(harness_nb_write(o->nb[i], 0, fresh, header), fresh);
            o->retreated[i] = delta;
        }
        harness_assert_nb_consistent(o->nb[i]);
    }
}

static void original_free(struct original *o)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->retreated[i])
            NdisAdvanceNetBufferDataStart(o->nb[i], o->retreated[i], TRUE, NULL);
    if (!o->own) {
        NET_BUFFER_LIST_FIRST_NB(o->nbl) = NULL;
        for (size_t i = 0; i < o->n; i++) {
            NET_BUFFER_NEXT_NB(o->nb[i]) = NULL;
            NdisFreeNetBuffer(o->nb[i]);
        }
    }
    NdisFreeNetBufferList(o->nbl);
    harness_expect_no_report();
    for (size_t i = 0; i < o->n; i++)
        free(o->buf[i]);
}

/* ------------------------------------------------------- byte vectors */

struct bytes {
    UCHAR *p;
    ULONG n;
};

static struct bytes bytes_read(PNET_BUFFER nb, ULONG from)
{
    struct bytes b = {NULL, NET_BUFFER_DATA_LENGTH(nb) - from};
    b.p = malloc(b.n ? b.n : 1);
    CHECK(b.p != NULL);
    CHECK_EQ(harness_nb_read(nb, from, b.n, b.p), b.n);
    return b;
}

/* The used data of nb, from `from` on, equals want. */
static void check_nb_bytes(PNET_BUFFER nb, ULONG from, const UCHAR *want, ULONG n)
{
    CHECK_EQ(NET_BUFFER_DATA_LENGTH(nb), from + n);
    struct bytes got = bytes_read(nb, from);
    for (ULONG i = 0; i < n; i++)
        if (got.p[i] != want[i]) {
            free(got.p);
            model_fail("byte differs (index, got)", i, -1, __LINE__);
        }
    free(got.p);
}

static size_t nb_count(PNET_BUFFER_LIST nbl)
{
    size_t n = 0;
    for (PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb; nb = NET_BUFFER_NEXT_NB(nb))
        n++;
    return n;
}

static UCHAR *nb_data_address(PNET_BUFFER nb)
{
    return (UCHAR *)MmGetSystemAddressForMdlSafe(NET_BUFFER_CURRENT_MDL(nb), NormalPagePriority) +
           NET_BUFFER_CURRENT_MDL_OFFSET(nb);
}

static void check_child_fields(PNET_BUFFER_LIST child, PNET_BUFFER_LIST parent)
{
    CHECK(child->ParentNetBufferList == parent);
    CHECK_EQ(child->ChildRefCount, 0);
    CHECK(child->Context == NULL);
    CHECK(NET_BUFFER_LIST_NEXT_NBL(child) == NULL);
}

/* --------------------------------------------------------- (a) clones */

static void check_clone(PNET_BUFFER_LIST clone, PNET_BUFFER_LIST original, ULONG flags)
{
    check_child_fields(clone, original);
    CHECK_EQ(nb_count(clone), nb_count(original));
    PNET_BUFFER c = NET_BUFFER_LIST_FIRST_NB(clone);
    for (PNET_BUFFER o = NET_BUFFER_LIST_FIRST_NB(original); o; o = NET_BUFFER_NEXT_NB(o), c = NET_BUFFER_NEXT_NB(c)) {
        struct bytes want = bytes_read(o, 0);
        check_nb_bytes(c, 0, want.p, want.n);
        free(want.p);
        harness_assert_nb_consistent(c);
        if (flags & NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS) {
            CHECK(NET_BUFFER_FIRST_MDL(c) == NET_BUFFER_CURRENT_MDL(o));
            CHECK_EQ(NET_BUFFER_DATA_OFFSET(c), NET_BUFFER_CURRENT_MDL_OFFSET(o));
        } else {
            CHECK_EQ(NET_BUFFER_DATA_OFFSET(c), 0);
            CHECK_EQ(harness_chain_bytes(NET_BUFFER_FIRST_MDL(c)), NET_BUFFER_DATA_LENGTH(o));
            for (PMDL m = NET_BUFFER_FIRST_MDL(c); m; m = m->Next) {
                CHECK(m->ByteCount != 0); /* zero-length MDLs are not reproduced */
                for (PMDL om = NET_BUFFER_FIRST_MDL(o); om; om = om->Next)
                    CHECK(m != om);
            }
            if (NET_BUFFER_DATA_LENGTH(o))
                CHECK(nb_data_address(c) == nb_data_address(o)); /* no copy */
        }
    }
    CHECK(c == NULL);
}

static void clones_read_the_original_bytes(void **state)
{
    (void)state;
    model_start("clones");
    double t0 = now_seconds();
    pools_create();
    ULONG64 base = ndisbuf_outstanding_total();
    static struct original o;
    for (model_round = 1; model_round <= CLONE_ROUNDS; model_round++) {
        model_op = "build";
        original_build(&o);
        for (ULONG k = 0; k < 2; k++) {
            ULONG flags = k ? NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS : 0;
            model_op = k ? "clone (original MDLs)" : "clone (new MDLs)";
            PNET_BUFFER_LIST clone = NdisAllocateCloneNetBufferList(o.nbl, pick_nbl_pool(), pick_nb_pool(), flags);
            if (!clone)
                print_error("clone: %s\n", ndisbuf_last_diagnostic());
            CHECK(clone != NULL);
            check_clone(clone, o.nbl, flags);
            NdisFreeCloneNetBufferList(clone, flags);
            harness_expect_no_report();
        }
        original_free(&o);
        CHECK_EQ(ndisbuf_outstanding_total(), base);
    }
    pools_free();
    print_message("model (clones): %d originals, %.3f s\n", CLONE_ROUNDS, now_seconds() - t0);
}

/* -------------------------------------------- (b) fragment + reassemble */

static void fragment_then_reassemble_gives_the_bytes_back(void **state)
{
    (void)state;
    model_start("round trip");
    double t0 = now_seconds();
    pools_create();
    ULONG64 base = ndisbuf_outstanding_total();
    static struct original o;
    ULONG done = 0, fragments = 0;
    for (model_round = 1; model_round <= ROUND_TRIPS; model_round++) {
        model_op = "build";
        original_build(&o);
        ULONG min = ~0u, max_len = 0;
        for (size_t i = 0; i < o.n; i++) {
            ULONG len = NET_BUFFER_DATA_LENGTH(o.nb[i]);
            min = len < min ? len : min;
            max_len = len > max_len ? len : max_len;
        }
        if (max_len == 0) { /* nothing to fragment */
            original_free(&o);
            continue;
        }
        ULONG s = rng_below(min + 1);
        if (s == max_len)
            s--; /* every NB would be used up: at least one fragment must result */
        ULONG max = 1 + rng_below(rng_chance(2) ? 64 : 2000);
        ULONG delta = rng_below(65), backfill = rng_below(65);
        ULONG delta2 = rng_below(65), backfill2 = rng_below(65);

        model_op = "fragment";
        PNET_BUFFER_LIST frag =
            NdisAllocateFragmentNetBufferList(o.nbl, pick_nbl_pool(), pick_nb_pool(), s, max, delta, backfill, 0);
        if (!frag)
            print_error("fragment: %s\n", ndisbuf_last_diagnostic());
        CHECK(frag != NULL);
        check_child_fields(frag, o.nbl);
        o.nbl->ChildRefCount++;
        /* Count and lengths per original NB; write each fragment's header. */
        PNET_BUFFER f = NET_BUFFER_LIST_FIRST_NB(frag);
        UCHAR header[64];
        memset(header, 0xF0, sizeof(header));
        for (size_t i = 0; i < o.n; i++) {
            ULONG len = NET_BUFFER_DATA_LENGTH(o.nb[i]);
            for (ULONG64 at = s; at < len; at += max) {
                ULONG piece = (ULONG)(len - at < max ? len - at : max);
                CHECK(f != NULL);
                CHECK_EQ(NET_BUFFER_DATA_LENGTH(f), piece + delta);
                if (delta)
                    CHECK(NET_BUFFER_DATA_OFFSET(f) >= backfill);
                harness_assert_nb_consistent(f);
                CHECK_EQ(harness_nb_write(f, 0, delta, header), delta);
                f = NET_BUFFER_NEXT_NB(f);
                fragments++;
            }
        }
        CHECK(f == NULL);

        model_op = "reassemble";
        PNET_BUFFER_LIST whole = NdisAllocateReassembledNetBufferList(frag, rng_chance(3) ? pools.own : NULL, delta,
                                                                      delta2, backfill2, 0);
        if (!whole)
            print_error("reassemble: %s\n", ndisbuf_last_diagnostic());
        CHECK(whole != NULL);
        check_child_fields(whole, frag);
        frag->ChildRefCount++;
        CHECK_EQ(nb_count(whole), 1);
        PNET_BUFFER w = NET_BUFFER_LIST_FIRST_NB(whole);
        harness_assert_nb_consistent(w);
        if (delta2)
            CHECK(NET_BUFFER_DATA_OFFSET(w) >= backfill2);
        /* The original NBs' bytes after s, joined. */
        ULONG joined = 0;
        for (size_t i = 0; i < o.n; i++)
            joined += NET_BUFFER_DATA_LENGTH(o.nb[i]) - s;
        UCHAR *want = malloc(joined ? joined : 1);
        CHECK(want != NULL);
        ULONG at = 0;
        for (size_t i = 0; i < o.n; i++) {
            ULONG len = NET_BUFFER_DATA_LENGTH(o.nb[i]) - s;
            CHECK_EQ(harness_nb_read(o.nb[i], s, len, want + at), len);
            at += len;
        }
        check_nb_bytes(w, delta2, want, joined);
        free(want);

        model_op = "free";
        NdisFreeReassembledNetBufferList(whole, delta2, 0);
        frag->ChildRefCount--;
        NdisFreeFragmentNetBufferList(frag, delta, 0);
        o.nbl->ChildRefCount--;
        harness_expect_no_report();
        original_free(&o);
        CHECK_EQ(ndisbuf_outstanding_total(), base);
        done++;
    }
    pools_free();
    print_message("model (round trip): %u round trips, %u fragments, %.3f s\n", done, fragments,
                  now_seconds() - t0);
}

/* ----------------------------------------------------------- (c) trees */

enum kind { ROOT, CLONE, FRAGMENT, REASSEMBLED };

struct node {
    bool live;
    enum kind kind;
    int parent;
    ULONG param; /* clone flags, or DataOffsetDelta */
    LONG children;
    PNET_BUFFER_LIST nbl;
    size_t n;
    struct bytes *nb; /* each NB's used data, as the model has it */
};

static struct node nodes[MAX_NODES];
static struct original tree_root;
static struct {
    ULONG clones, fragments, reassembled, early_frees, frees, pushes, pops;
} seen;

static void node_set(int k, enum kind kind, int parent, ULONG param, PNET_BUFFER_LIST nbl)
{
    struct node *x = &nodes[k];
    memset(x, 0, sizeof(*x));
    x->live = true;
    x->kind = kind;
    x->parent = parent;
    x->param = param;
    x->nbl = nbl;
}

static void node_push(struct node *x, struct bytes b)
{
    x->nb = realloc(x->nb, (x->n + 1) * sizeof(*x->nb));
    CHECK(x->nb != NULL);
    x->nb[x->n++] = b;
}

static struct bytes bytes_make(ULONG n)
{
    struct bytes b = {malloc(n ? n : 1), n};
    CHECK(b.p != NULL);
    return b;
}

static void node_check(const struct node *x)
{
    CHECK_EQ(nb_count(x->nbl), x->n);
    size_t i = 0;
    for (PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(x->nbl); nb; nb = NET_BUFFER_NEXT_NB(nb), i++) {
        check_nb_bytes(nb, 0, x->nb[i].p, x->nb[i].n);
        harness_assert_nb_consistent(nb);
    }
}

static void node_release(struct node *x)
{
    for (size_t i = 0; i < x->n; i++)
        free(x->nb[i].p);
    free(x->nb);
    x->nb = NULL;
    x->n = 0;
    x->live = false;
}

static int free_slot(void)
{
    for (int k = 0; k < MAX_NODES; k++)
        if (!nodes[k].live)
            return k;
    return -1;
}

static int random_live(bool leaf_only)
{
    int pick[MAX_NODES], n = 0;
    for (int k = 0; k < MAX_NODES; k++)
        if (nodes[k].live && (!leaf_only || nodes[k].children == 0))
            pick[n++] = k;
    return n ? pick[rng_below((ULONG)n)] : -1;
}

/* Writes a fresh header into the first `delta` used bytes and returns them. */
static struct bytes write_header(PNET_BUFFER nb, ULONG delta, ULONG payload)
{
    struct bytes b = bytes_make(delta + payload);
    harness_fill(b.p, delta, (unsigned)rng_next());
    CHECK_EQ(harness_nb_write(nb, 0, delta, b.p), delta);
    return b;
}

static void derive(int p)
{
    int k = free_slot();
    if (k < 0)
        return;
    struct node *parent = &nodes[p];
    ULONG min = ~0u, max_len = 0;
    for (size_t i = 0; i < parent->n; i++) {
        min = parent->nb[i].n < min ? parent->nb[i].n : min;
        max_len = parent->nb[i].n > max_len ? parent->nb[i].n : max_len;
    }
    ULONG what = rng_below(3);
    if (what == 1 && max_len == 0)
        what = 0;
    if (what == 2 && max_len > 20000)
        what = 0;
    PNET_BUFFER_LIST child;
    if (what == 0) {
        model_op = "derive clone";
        ULONG flags = rng_chance(2) ? NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS : 0;
        child = NdisAllocateCloneNetBufferList(parent->nbl, pick_nbl_pool(), pick_nb_pool(), flags);
        if (!child)
            print_error("clone: %s\n", ndisbuf_last_diagnostic());
        CHECK(child != NULL);
        node_set(k, CLONE, p, flags, child);
        for (size_t i = 0; i < parent->n; i++) {
            struct bytes b = bytes_make(parent->nb[i].n);
            memcpy(b.p, parent->nb[i].p, b.n);
            node_push(&nodes[k], b);
        }
        if (!flags)
            for (PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(child); nb; nb = NET_BUFFER_NEXT_NB(nb))
                CHECK_EQ(NET_BUFFER_DATA_OFFSET(nb), 0);
        seen.clones++;
    } else if (what == 1) {
        model_op = "derive fragment";
        ULONG s = rng_below(min + 1);
        if (s == max_len)
            s--;
        ULONG max = 1 + rng_below(rng_chance(2) ? 40 : 1500);
        ULONG64 rest = 0;
        for (size_t i = 0; i < parent->n; i++)
            rest += parent->nb[i].n - s;
        if (rest / max > MAX_TREE_FRAGMENTS) /* keep trees small */
            max = (ULONG)(rest / MAX_TREE_FRAGMENTS + 1);
        ULONG delta = rng_below(65), backfill = rng_below(65);
        child = NdisAllocateFragmentNetBufferList(parent->nbl, pick_nbl_pool(), pick_nb_pool(), s, max, delta,
                                                  backfill, 0);
        if (!child)
            print_error("fragment: %s\n", ndisbuf_last_diagnostic());
        CHECK(child != NULL);
        node_set(k, FRAGMENT, p, delta, child);
        PNET_BUFFER f = NET_BUFFER_LIST_FIRST_NB(child);
        for (size_t i = 0; i < parent->n; i++)
            for (ULONG64 at = s; at < parent->nb[i].n; at += max) {
                ULONG piece = (ULONG)(parent->nb[i].n - at < max ? parent->nb[i].n - at : max);
                CHECK(f != NULL);
                CHECK_EQ(NET_BUFFER_DATA_LENGTH(f), piece + delta);
                struct bytes b = write_header(f, delta, piece);
                memcpy(b.p + delta, parent->nb[i].p + at, piece);
                node_push(&nodes[k], b);
                f = NET_BUFFER_NEXT_NB(f);
            }
        CHECK(f == NULL);
        seen.fragments++;
    } else {
        model_op = "derive reassembled";
        ULONG s = rng_below(min + 1);
        ULONG delta = rng_below(65), backfill = rng_below(65);
        child = NdisAllocateReassembledNetBufferList(parent->nbl, rng_chance(3) ? pools.own : NULL, s, delta,
                                                     backfill, 0);
        if (!child)
            print_error("reassemble: %s\n", ndisbuf_last_diagnostic());
        CHECK(child != NULL);
        node_set(k, REASSEMBLED, p, delta, child);
        ULONG joined = 0;
        for (size_t i = 0; i < parent->n; i++)
            joined += parent->nb[i].n - s;
        PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(child);
        CHECK(nb != NULL);
        CHECK_EQ(NET_BUFFER_DATA_LENGTH(nb), joined + delta);
        struct bytes b = write_header(nb, delta, joined);
        ULONG at = delta;
        for (size_t i = 0; i < parent->n; i++) {
            memcpy(b.p + at, parent->nb[i].p + s, parent->nb[i].n - s);
            at += parent->nb[i].n - s;
        }
        node_push(&nodes[k], b);
        seen.reassembled++;
    }
    check_child_fields(child, parent->nbl);
    /* The driver keeps the parent's count. */
    parent->nbl->ChildRefCount++;
    parent->children++;
    node_check(&nodes[k]);
}

/* Calls the free that matches how x was made. */
static void free_call(const struct node *x)
{
    switch (x->kind) {
    case ROOT:
        NdisFreeNetBufferList(x->nbl);
        break;
    case CLONE:
        NdisFreeCloneNetBufferList(x->nbl, x->param);
        break;
    case FRAGMENT:
        NdisFreeFragmentNetBufferList(x->nbl, x->param, 0);
        break;
    case REASSEMBLED:
        NdisFreeReassembledNetBufferList(x->nbl, x->param, 0);
        break;
    }
}

/* An NBL's fields, its NBs' and their MDLs', to prove a refused free changed nothing. */
#define DEEP_NBS 1024
#define DEEP_MDLS 8192

struct deep_snapshot {
    NET_BUFFER_LIST nbl;
    size_t nnb, nmdl;
    PNET_BUFFER nb[DEEP_NBS];
    NET_BUFFER nb_copy[DEEP_NBS];
    PMDL mdl[DEEP_MDLS];
    MDL mdl_copy[DEEP_MDLS];
};

static struct deep_snapshot deep;

static void deep_snapshot(PNET_BUFFER_LIST nbl)
{
    memcpy(&deep.nbl, nbl, sizeof(*nbl));
    deep.nnb = deep.nmdl = 0;
    for (PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb; nb = NET_BUFFER_NEXT_NB(nb)) {
        CHECK(deep.nnb < DEEP_NBS);
        deep.nb[deep.nnb] = nb;
        memcpy(&deep.nb_copy[deep.nnb++], nb, sizeof(*nb));
        for (PMDL m = NET_BUFFER_FIRST_MDL(nb); m; m = m->Next) {
            CHECK(deep.nmdl < DEEP_MDLS);
            deep.mdl[deep.nmdl] = m;
            memcpy(&deep.mdl_copy[deep.nmdl++], m, sizeof(*m));
        }
    }
}

static void deep_assert_unchanged(PNET_BUFFER_LIST nbl)
{
    CHECK(memcmp(nbl, &deep.nbl, sizeof(*nbl)) == 0);
    for (size_t i = 0; i < deep.nnb; i++)
        CHECK(memcmp(deep.nb[i], &deep.nb_copy[i], sizeof(NET_BUFFER)) == 0);
    for (size_t i = 0; i < deep.nmdl; i++)
        CHECK(memcmp(deep.mdl[i], &deep.mdl_copy[i], sizeof(MDL)) == 0);
}

/* Frees a parent whose children are out: reported, nothing changes. */
static void early_free(int k)
{
    struct node *x = &nodes[k];
    model_op = "early free";
    ULONG64 outstanding = ndisbuf_outstanding_total();
    deep_snapshot(x->nbl);
    free_call(x);
    const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_CHILDREN_OUTSTANDING);
    CHECK(r->object == x->nbl);
    deep_assert_unchanged(x->nbl);
    CHECK_EQ(x->nbl->ChildRefCount, x->children);
    CHECK_EQ(ndisbuf_outstanding_total(), outstanding);
    node_check(x);
    seen.early_frees++;
}

static void free_leaf(int k)
{
    struct node *x = &nodes[k];
    CHECK(x->kind != ROOT);
    model_op = "free";
    node_check(x);
    CHECK_EQ(x->nbl->ChildRefCount, 0);
    free_call(x);
    harness_expect_no_report();
    struct node *parent = &nodes[x->parent];
    parent->nbl->ChildRefCount--;
    parent->children--;
    node_release(x);
    seen.frees++;
}

/*
 * A driver pushes a header onto one NB of a leaf and pops it again: retreat
 * (within the back-fill or beyond it), write, read back, advance (keeping
 * the MDL now and then). Not on a clone that shares its parent's MDLs: its
 * back-fill is the parent's too.
 */
static void push_pop_header(int k)
{
    struct node *x = &nodes[k];
    if (x->kind == ROOT || (x->kind == CLONE && (x->param & NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS)))
        return;
    model_op = "push and pop a header";
    size_t i = rng_below((ULONG)x->n);
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(x->nbl);
    for (size_t j = 0; j < i; j++)
        nb = NET_BUFFER_NEXT_NB(nb);
    ULONG r = 1 + rng_below(rng_chance(2) ? 64 : 200);
    CHECK_EQ(NdisRetreatNetBufferDataStart(nb, r, rng_below(32), NULL), NDIS_STATUS_SUCCESS);
    struct bytes b = bytes_make(r + x->nb[i].n);
    harness_fill(b.p, r, (unsigned)rng_next());
    memcpy(b.p + r, x->nb[i].p, x->nb[i].n);
    CHECK_EQ(harness_nb_write(nb, 0, r, b.p), r);
    check_nb_bytes(nb, 0, b.p, b.n);
    harness_assert_nb_consistent(nb);
    free(b.p);
    NdisAdvanceNetBufferDataStart(nb, r, rng_chance(2), NULL);
    harness_assert_nb_consistent(nb);
    node_check(x);
    seen.pushes++;
}

/*
 * A driver consumes part or all of the header room of one NB of a fragment
 * or reassembled leaf (advance, freeing the room's MDL now and then) and
 * puts the same header back (retreat, write): the NB reads as before, and
 * the free still finds every MDL of the library's.
 */
static void pop_push_header(int k)
{
    struct node *x = &nodes[k];
    if ((x->kind != FRAGMENT && x->kind != REASSEMBLED) || x->param == 0)
        return;
    model_op = "pop and push a header";
    size_t i = rng_below((ULONG)x->n);
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(x->nbl);
    for (size_t j = 0; j < i; j++)
        nb = NET_BUFFER_NEXT_NB(nb);
    ULONG a = 1 + rng_below(x->param);
    NdisAdvanceNetBufferDataStart(nb, a, rng_chance(2), NULL);
    harness_assert_nb_consistent(nb);
    check_nb_bytes(nb, 0, x->nb[i].p + a, x->nb[i].n - a);
    CHECK_EQ(NdisRetreatNetBufferDataStart(nb, a, rng_below(32), NULL), NDIS_STATUS_SUCCESS);
    CHECK_EQ(harness_nb_write(nb, 0, a, x->nb[i].p), a);
    harness_assert_nb_consistent(nb);
    node_check(x);
    seen.pops++;
}

static void tree_round(void)
{
    memset(nodes, 0, sizeof(nodes));
    model_op = "build";
    original_build(&tree_root);
    node_set(0, ROOT, -1, 0, tree_root.nbl);
    for (size_t i = 0; i < tree_root.n; i++)
        node_push(&nodes[0], bytes_read(tree_root.nb[i], 0));

    ULONG steps = 1 + rng_below(TREE_STEPS);
    for (ULONG step = 0; step < steps; step++) {
        int k;
        ULONG op = rng_below(7);
        if (op < 4) {
            derive(random_live(false));
        } else if ((k = random_live(true)) > 0) {
            if (op == 4)
                free_leaf(k);
            else if (op == 5)
                push_pop_header(k);
            else
                pop_push_header(k);
        }
        /* Now and then, a parent freed too early (never a root with NBs the driver attached). */
        if (seen.early_frees < MAX_EARLY_FREES && rng_chance(8)) {
            int cand = random_live(false);
            if (cand >= 0 && nodes[cand].children > 0 && (cand > 0 || tree_root.own))
                early_free(cand);
        }
    }
    /* Every node still reads right; then leaves first, in a random order. */
    for (int k = 0; k < MAX_NODES; k++)
        if (nodes[k].live)
            node_check(&nodes[k]);
    for (;;) {
        int k = random_live(true);
        if (k <= 0)
            break;
        free_leaf(k);
    }
    CHECK(nodes[0].live);
    CHECK_EQ(nodes[0].children, 0);
    CHECK_EQ(tree_root.nbl->ChildRefCount, 0);
    for (int k = 1; k < MAX_NODES; k++)
        CHECK(!nodes[k].live);
    node_check(&nodes[0]);
    node_release(&nodes[0]);
    original_free(&tree_root);
}

static void trees_of_derived_nbls_free_in_any_legal_order(void **state)
{
    (void)state;
    model_start("trees");
    double t0 = now_seconds();
    memset(&seen, 0, sizeof(seen));
    pools_create();
    ULONG64 base = ndisbuf_outstanding_total();
    for (model_round = 1; model_round <= TREES; model_round++) {
        tree_round();
        CHECK_EQ(ndisbuf_outstanding_total(), base);
    }
    CHECK_EQ(harness_stats(pools.own).Outstanding, 0);
    CHECK_EQ(harness_stats(pools.plain).Outstanding, 0);
    CHECK_EQ(harness_stats(pools.nb).Outstanding, 0);
    pools_free();
    print_message("model (trees): %d trees: %u clones, %u fragments, %u reassembled, %u frees, %u early frees "
                  "refused, %u headers pushed and popped, %u popped and pushed; %.3f s\n",
                  TREES, seen.clones, seen.fragments, seen.reassembled, seen.frees, seen.early_frees, seen.pushes,
                  seen.pops,
                  now_seconds() - t0);
}

/* ------------------------------------------------------------ threads */

#define THREADS 4
#define THREAD_ROUNDS 1500
#define THREAD_LEFT 16

struct worker {
    pthread_t thread;
    unsigned seed;
    NDIS_HANDLE pool;
    ULONG errors;
    PNET_BUFFER_LIST parent;
    PNET_BUFFER_LIST left_frag[THREAD_LEFT], left_whole[THREAD_LEFT];
    UCHAR buf[600];
    MDL mdls[3];
};

/* The NB's used data from `from` on equals want[0..n): plain code, no cmocka. */
static bool worker_bytes_equal(PNET_BUFFER nb, ULONG from, const UCHAR *want, ULONG n)
{
    UCHAR got[600];
    if (n > sizeof(got) || NET_BUFFER_DATA_LENGTH(nb) != from + n)
        return false;
    return harness_nb_read(nb, from, n, got) == n && memcmp(got, want, n) == 0;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    static const ULONG lengths[] = {100, 0, 500};
    harness_fill(w->buf, sizeof(w->buf), w->seed);
    harness_mdl_chain(w->mdls, 3, w->buf, lengths);
    w->parent = NdisAllocateNetBufferAndNetBufferList(w->pool, 0, 0, w->mdls, 50, 500);
    if (!w->parent) {
        w->errors++;
        return NULL;
    }
    const UCHAR *data = w->buf + 50;
    for (ULONG i = 0; i < THREAD_ROUNDS + THREAD_LEFT; i++) {
        ULONG s = i % 37, max = 1 + (i * 7) % 300, delta = i % 20;
        bool keep = i >= THREAD_ROUNDS;
        ULONG flags = i & 1 ? NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS : 0;
        PNET_BUFFER_LIST clone = NdisAllocateCloneNetBufferList(w->parent, NULL, NULL, flags);
        PNET_BUFFER_LIST frag = NdisAllocateFragmentNetBufferList(w->parent, NULL, NULL, s, max, delta, 4, 0);
        if (!clone || !frag) {
            w->errors++;
            break;
        }
        w->parent->ChildRefCount += 2;
        PNET_BUFFER_LIST whole = NdisAllocateReassembledNetBufferList(frag, NULL, delta, 8, 0, 0);
        if (!whole) {
            w->errors++;
            break;
        }
        frag->ChildRefCount++;
        if (!worker_bytes_equal(NET_BUFFER_LIST_FIRST_NB(clone), 0, data, 500))
            w->errors++;
        if (!worker_bytes_equal(NET_BUFFER_LIST_FIRST_NB(whole), 8, data + s, 500 - s))
            w->errors++;
        NdisFreeCloneNetBufferList(clone, flags);
        w->parent->ChildRefCount--;
        if (keep) {
            w->left_frag[i - THREAD_ROUNDS] = frag;
            w->left_whole[i - THREAD_ROUNDS] = whole;
            continue;
        }
        NdisFreeReassembledNetBufferList(whole, 8, 0);
        frag->ChildRefCount--;
        NdisFreeFragmentNetBufferList(frag, delta, 0);
        w->parent->ChildRefCount--;
    }
    return NULL;
}

static void derived_nbls_on_several_threads_share_the_internal_pools(void **state)
{
    (void)state;
    double t0 = now_seconds();
    static struct worker workers[THREADS];
    memset(workers, 0, sizeof(workers));
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    for (unsigned t = 0; t < THREADS; t++) {
        workers[t].seed = 40 + t;
        workers[t].pool = pool;
        assert_int_equal(pthread_create(&workers[t].thread, NULL, worker_main, &workers[t]), 0);
    }
    for (unsigned t = 0; t < THREADS; t++)
        assert_int_equal(pthread_join(workers[t].thread, NULL), 0);
    for (unsigned t = 0; t < THREADS; t++)
        assert_int_equal(workers[t].errors, 0);
    harness_expect_no_report();
    /* What the threads left, freed here: children first. */
    for (unsigned t = 0; t < THREADS; t++) {
        struct worker *w = &workers[t];
        for (ULONG i = 0; i < THREAD_LEFT; i++) {
            ULONG delta = (THREAD_ROUNDS + i) % 20;
            NdisFreeReassembledNetBufferList(w->left_whole[i], 8, 0);
            w->left_frag[i]->ChildRefCount--;
            NdisFreeFragmentNetBufferList(w->left_frag[i], delta, 0);
            w->parent->ChildRefCount--;
        }
        assert_int_equal(w->parent->ChildRefCount, 0);
        NdisFreeNetBufferList(w->parent);
    }
    harness_expect_no_report();
    harness_free_nbl_pool(pool);
    assert_int_equal(ndisbuf_outstanding_total(), 0);
    print_message("threads: %d threads x %d rounds, %.3f s\n", THREADS, THREAD_ROUNDS, now_seconds() - t0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(derived_nbls_on_several_threads_share_the_internal_pools),
        HARNESS_TEST(clones_read_the_original_bytes),
        HARNESS_TEST(fragment_then_reassemble_gives_the_bytes_back),
        HARNESS_TEST(trees_of_derived_nbls_free_in_any_legal_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
