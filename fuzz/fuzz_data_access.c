/* SPDX-License-Identifier: MIT */
/*
 * fuzz_data_access: reading and copying packet bytes across MDLs.
 *
 * The input first describes two NET_BUFFERs, A and B (fuzz_ops.h): each a
 * buffer of known bytes and a chain of up to eight MDLs over it, of every
 * kind a driver meets (its own storage, NdisAllocateMdl, IoAllocateMdl built
 * or not, an MDL shortened with NdisAdjustMdlLength, a partial MDL),
 * zero-length ones and ones that overlap included, with the NB's window
 * (DataOffset, DataLength) anywhere within the chain. The rest of the input
 * is instructions: NdisGetDataBuffer with random BytesNeeded, AlignMultiple,
 * AlignOffset, with and without Storage; NdisCopyFromNetBufferToNetBuffer
 * between the two NBs or within one, with random offsets; a new window set
 * by hand and NdisAdjustNetBufferCurrentMdl; new buffer contents;
 * NdisQueryNetBufferPhysicalCount; NdisAdjustMdlLength on an MDL of the
 * chain (shortened, restored, or lengthened: refused for the library's
 * MDLs), the window then made to fit as a driver must.
 *
 * The model is flat: for each NB, the buffer offset of every byte of its
 * chain, in chain order. Each result is checked against it and against the
 * documented rules (datapath.md): NULL for 0 or more than DataLength bytes;
 * a pointer into the MDL exactly when the bytes are contiguous there and the
 * pointer meets the alignment; otherwise Storage, holding exactly the bytes
 * and nothing after them, or NULL without Storage; copies stop at the end of
 * either chain and say how many bytes they copied; nothing else in either
 * buffer changes, nor any NB's fields.
 */
#include "fuzz_common.h"
#include "fuzz_ops.h"

#define TAG 0x61447A46u /* "FzDa" */
#define MAX_BUFFER 2048
#define MAX_CHAIN_BYTES (DA_MAX_MDLS * MAX_BUFFER)
#define MAX_STEPS 2000

struct dmdl {
    PMDL mdl;
    uint8_t kind;
    uint32_t start, len, built;
    uint32_t room; /* bytes of the buffer from start on */
    MDL storage;
};

struct dnb {
    uint8_t *buf, *shadow;
    uint32_t size;
    int n;
    struct dmdl m[DA_MAX_MDLS];
    uint32_t total;
    uint32_t map[MAX_CHAIN_BYTES]; /* chain byte -> buffer offset */
    PNET_BUFFER nb;
    PNET_BUFFER_LIST nbl; /* when the NB is an NBL's own */
    uint32_t off, len;
};

static struct dnb nbs[2];
static NDIS_HANDLE nbl_pool, nb_pool;
static uint8_t storage[MAX_CHAIN_BYTES + 64];

static void pools_once(void)
{
    if (nbl_pool)
        return;
    NET_BUFFER_LIST_POOL_PARAMETERS p;
    memset(&p, 0, sizeof(p));
    p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    p.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    p.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    p.fAllocateNetBuffer = TRUE;
    p.PoolTag = TAG;
    nbl_pool = NdisAllocateNetBufferListPool(NULL, &p);
    NET_BUFFER_POOL_PARAMETERS q;
    memset(&q, 0, sizeof(q));
    q.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    q.Header.Revision = NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    q.Header.Size = NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    q.PoolTag = TAG;
    nb_pool = NdisAllocateNetBufferPool(NULL, &q);
    FZ_CHECK(nbl_pool && nb_pool);
}

/* One MDL of the given kind over buf[start, start + len); `room` bytes are there to use. */
static void mdl_build(struct dmdl *d, uint8_t *buf, uint32_t room)
{
    uint8_t *va = buf + d->start;
    d->built = d->len;
    d->room = room;
    switch (d->kind) {
    case DA_MDL_STRUCT:
        d->mdl = &d->storage;
        MmInitializeMdl(d->mdl, va, d->len);
        MmBuildMdlForNonPagedPool(d->mdl);
        break;
    case DA_MDL_NDIS:
        d->mdl = NdisAllocateMdl(NULL, va, d->len);
        break;
    case DA_MDL_IO:
    case DA_MDL_IO_RAW:
        d->mdl = IoAllocateMdl(va, d->len, FALSE, FALSE, NULL);
        if (d->mdl && d->kind == DA_MDL_IO)
            MmBuildMdlForNonPagedPool(d->mdl);
        break;
    case DA_MDL_SHORTENED:
        d->built = d->len + (room - d->len < 8 ? room - d->len : 8);
        d->mdl = NdisAllocateMdl(NULL, va, d->built);
        FZ_CHECK(d->mdl != NULL);
        NdisAdjustMdlLength(d->mdl, d->len);
        break;
    default: /* a partial MDL: the driver's storage, mapped at the sub-range */
        d->mdl = &d->storage;
        MmInitializeMdl(d->mdl, va, d->len);
        d->mdl->MdlFlags |= MDL_PARTIAL | MDL_SOURCE_IS_NONPAGED_POOL;
        d->mdl->MappedSystemVa = va;
        break;
    }
    FZ_CHECK(d->mdl != NULL);
    FZ_CHECK_EQ(MmGetMdlByteCount(d->mdl), d->len);
    FZ_CHECK(MmGetSystemAddressForMdlSafe(d->mdl, NormalPagePriority) == va);
}

static void mdl_free(struct dmdl *d)
{
    d->mdl->Next = NULL;
    switch (d->kind) {
    case DA_MDL_NDIS:
    case DA_MDL_SHORTENED:
        NdisAdjustMdlLength(d->mdl, d->built); /* restored before the free, as asked */
        NdisFreeMdl(d->mdl);
        break;
    case DA_MDL_IO:
    case DA_MDL_IO_RAW:
        NdisAdjustMdlLength(d->mdl, d->built);
        IoFreeMdl(d->mdl);
        break;
    default:
        break;
    }
}

/* Where CurrentMdl must be (datapath.md), as MDL index and offset; -1 with no chain. */
static int model_current(const struct dnb *x, uint32_t *at)
{
    *at = 0;
    if (!x->n)
        return -1;
    int k = 0;
    uint32_t o = x->off;
    while (o >= x->m[k].len && k + 1 < x->n) {
        o -= x->m[k].len;
        k++;
    }
    *at = o;
    return k;
}

static void check_nb(const struct dnb *x)
{
    FZ_CHECK_EQ(x->nb->DataOffset, x->off);
    FZ_CHECK_EQ(x->nb->stDataLength, x->len);
    FZ_CHECK(x->nb->MdlChain == (x->n ? x->m[0].mdl : NULL));
    uint32_t at;
    int k = model_current(x, &at);
    FZ_CHECK(x->nb->CurrentMdl == (k < 0 ? NULL : x->m[k].mdl));
    FZ_CHECK_EQ(x->nb->CurrentMdlOffset, at);
    for (int i = 0; i < x->n; i++) {
        FZ_CHECK_EQ(x->m[i].mdl->ByteCount, x->m[i].len);
        fz_check_mdl_fields(x->m[i].mdl);
    }
    if (memcmp(x->buf, x->shadow, x->size) != 0)
        FZ_FAIL("a byte of the buffer changed that the model did not change");
}

/* The chain's byte map and length, from the MDLs' lengths. */
static void map_build(struct dnb *x)
{
    x->total = 0;
    for (int i = 0; i < x->n; i++) {
        for (uint32_t j = 0; j < x->m[i].len; j++)
            x->map[x->total + j] = x->m[i].start + j;
        x->total += x->m[i].len;
    }
}

static void nb_build(struct fz_in *in, struct dnb *x, int which)
{
    uint32_t seed = fz_u16(in), size = 1 + fz_u16(in) % MAX_BUFFER;
    x->size = size;
    x->buf = malloc(size);
    x->shadow = malloc(size);
    FZ_CHECK(x->buf && x->shadow);
    fz_fill(x->buf, size, seed + 7919u * (uint32_t)which);
    memcpy(x->shadow, x->buf, size);
    x->n = fz_u8(in) % (DA_MAX_MDLS + 1);
    for (int i = 0; i < x->n; i++) {
        struct dmdl *d = &x->m[i];
        uint8_t kind = fz_u8(in);
        d->kind = kind % DA_MDL_KIND_COUNT;
        d->start = fz_u16(in) % (size + 1);
        uint32_t room = size - d->start;
        d->len = (kind & 0x80) ? 0 : fz_u16(in) % (room + 1);
        if (kind & 0x80)
            (void)fz_u16(in);
        mdl_build(d, x->buf, room);
        if (i)
            x->m[i - 1].mdl->Next = d->mdl;
    }
    map_build(x);
    x->off = fz_u16(in) % (x->total + 1);
    x->len = fz_u16(in) % (x->total - x->off + 1);
    PMDL chain = x->n ? x->m[0].mdl : NULL;
    if (fz_u8(in) & 1) {
        x->nbl = NdisAllocateNetBufferAndNetBufferList(nbl_pool, 0, 0, chain, x->off, x->len);
        FZ_CHECK(x->nbl != NULL);
        x->nb = NET_BUFFER_LIST_FIRST_NB(x->nbl);
    } else {
        x->nbl = NULL;
        x->nb = NdisAllocateNetBuffer(nb_pool, chain, x->off, x->len);
        FZ_CHECK(x->nb != NULL);
    }
}

static void nb_free(struct dnb *x)
{
    if (x->nbl)
        NdisFreeNetBufferList(x->nbl);
    else
        NdisFreeNetBuffer(x->nb);
    for (int i = 0; i < x->n; i++)
        mdl_free(&x->m[i]);
    free(x->buf);
    free(x->shadow);
}

/* Where the first used byte is: MDL k, `in` bytes into it; -1 when there is none. */
static int first_used(const struct dnb *x, uint32_t *in)
{
    uint32_t o = x->off;
    for (int k = 0; k < x->n; k++) {
        if (o < x->m[k].len) {
            *in = o;
            return k;
        }
        o -= x->m[k].len;
    }
    return -1;
}

static void op_get(const uint8_t *a)
{
    const struct dnb *x = &nbs[a[0] & 1];
    static const UINT multiples[] = {0, 1, 2, 4, 8, 16, 32, 64, 128, 4096};
    uint32_t n = fz_arg16(&a[1]) % (x->len + 3);
    UINT multiple = multiples[a[3] % 10];
    UINT offset = multiple > 1 ? (a[4] | (UINT)a[3] << 8) % multiple : 0;
    bool with_storage = a[5] & 1;
    FZ_CHECK(n + 64 <= sizeof(storage));
    memset(storage, 0x5A, n + 64);
    uint8_t *got = NdisGetDataBuffer(x->nb, n, with_storage ? storage : NULL, multiple, offset);
    uint8_t *expected = NULL;
    uint32_t in;
    int k = first_used(x, &in);
    if (n && n <= x->len) {
        FZ_CHECK(k >= 0);
        uint8_t *here = x->buf + x->m[k].start + in;
        bool aligned = multiple <= 1 || ((ULONG_PTR)here & (multiple - 1)) == offset;
        expected = x->m[k].len - in >= n && aligned ? here : with_storage ? storage : NULL;
    }
    if (got != expected)
        FZ_FAIL("NdisGetDataBuffer(BytesNeeded %u, Storage %d, AlignMultiple %u, AlignOffset %u) gave %p, the "
                "rules %p (DataLength %u)", n, with_storage, multiple, offset, (void *)got, (void *)expected,
                x->len);
    for (uint32_t i = 0; got && i < n; i++)
        if (got[i] != x->shadow[x->map[x->off + i]])
            FZ_FAIL("byte %u of NdisGetDataBuffer's answer differs", i);
    /* Storage holds exactly the bytes when it is the answer, and is untouched otherwise. */
    for (uint32_t i = got == storage ? n : 0; i < n + 64; i++)
        if (storage[i] != 0x5A)
            FZ_FAIL("Storage byte %u written (BytesNeeded %u, answer %p)", i, n, (void *)got);
}

/* The buffer offsets the copy would read and write overlap (within one buffer). */
static bool copy_overlaps(const struct dnb *d, uint64_t dat, const struct dnb *s, uint64_t sat, uint64_t n)
{
    if (d != s || !n)
        return false;
    static uint8_t read[MAX_BUFFER];
    memset(read, 0, d->size);
    for (uint64_t i = 0; i < n; i++)
        read[s->map[sat + i]] = 1;
    for (uint64_t i = 0; i < n; i++)
        if (read[d->map[dat + i]])
            return true;
    return false;
}

static void op_copy(const uint8_t *a)
{
    struct dnb *d = &nbs[a[0] & 1], *s = &nbs[a[1] & 1];
    uint32_t doff = fz_arg16(&a[2]), soff = fz_arg16(&a[4]), bytes = fz_arg16(&a[6]);
    if (a[0] & 0x80)
        doff = 0xFFFFFFFFu - (a[2] & 0x3F); /* far beyond any chain */
    else
        doff %= d->total + 8;
    if (a[1] & 0x80)
        soff = 0xFFFFFFFFu - (a[4] & 0x3F);
    else
        soff %= s->total + 8;
    if (a[0] & 0x40)
        bytes = 0xFFFFFFFFu - (a[6] & 0x3F); /* "copy everything" */
    uint64_t dat = (uint64_t)d->off + doff, sat = (uint64_t)s->off + soff, n = bytes;
    if (dat >= d->total || sat >= s->total)
        n = 0;
    if (n > d->total - dat)
        n = d->total - dat;
    if (n > s->total - sat)
        n = s->total - sat;
    if (copy_overlaps(d, dat, s, sat, n))
        return;
    ULONG copied = 0xDEADBEEFu;
    FZ_CHECK_EQ(NdisCopyFromNetBufferToNetBuffer(d->nb, doff, bytes, s->nb, soff, &copied), NDIS_STATUS_SUCCESS);
    FZ_CHECK_EQ(copied, n);
    for (uint64_t i = 0; i < n; i++) /* in order: a destination byte two MDLs describe gets the later one */
        d->shadow[d->map[dat + i]] = s->shadow[s->map[sat + i]];
}

static void op_window(const uint8_t *a)
{
    struct dnb *x = &nbs[a[0] & 1];
    x->off = fz_arg16(&a[1]) % (x->total + 1);
    x->len = fz_arg16(&a[3]) % (x->total - x->off + 1);
    NET_BUFFER_DATA_OFFSET(x->nb) = x->off;
    x->nb->stDataLength = x->len;
    NdisAdjustNetBufferCurrentMdl(x->nb);
}

static void op_write(const uint8_t *a)
{
    struct dnb *x = &nbs[a[0] & 1];
    fz_fill(x->buf, x->size, a[1] * 2654435761u + (uint32_t)fz_step);
    memcpy(x->shadow, x->buf, x->size);
}

static void op_physical(const uint8_t *a)
{
    const struct dnb *x = &nbs[a[0] & 1];
    ULONG pages = 0;
    uint64_t pos = 0;
    for (int k = 0; k < x->n; k++) {
        uint64_t lo = pos > x->off ? pos : x->off, hi = pos + x->m[k].len;
        if (hi > (uint64_t)x->off + x->len)
            hi = (uint64_t)x->off + x->len;
        if (hi > lo)
            pages += ADDRESS_AND_SIZE_TO_SPAN_PAGES(x->buf + x->m[k].start + (lo - pos), hi - lo);
        pos += x->m[k].len;
    }
    FZ_CHECK_EQ(NdisQueryNetBufferPhysicalCount(x->nb), pages);
}

static void op_adjust(const uint8_t *a)
{
    struct dnb *x = &nbs[a[0] & 1];
    if (!x->n)
        return;
    struct dmdl *d = &x->m[a[1] % x->n];
    bool library = d->kind != DA_MDL_STRUCT && d->kind != DA_MDL_PARTIAL;
    if ((a[4] & 1) && library) { /* beyond the length it was built with: refused, nothing changes */
        fz_expect_report(NDISBUF_REPORT_MDL_LENGTHENED);
        NdisAdjustMdlLength(d->mdl, d->built + 1 + a[2] % 16);
        fz_expect_done();
        return;
    }
    /* The library's MDLs up to their built length; the driver's up to the end of its buffer. */
    d->len = fz_arg16(&a[2]) % ((library ? d->built : d->room) + 1);
    NdisAdjustMdlLength(d->mdl, d->len);
    map_build(x);
    if (x->off > x->total)
        x->off = x->total;
    if (x->len > x->total - x->off)
        x->len = x->total - x->off;
    NET_BUFFER_DATA_OFFSET(x->nb) = x->off;
    x->nb->stDataLength = x->len;
    NdisAdjustNetBufferCurrentMdl(x->nb);
}

static const struct {
    void (*run)(const uint8_t *);
    const char *name;
} ops[DA_OP_COUNT] = {
    [DA_GET] = {op_get, "NdisGetDataBuffer"},
    [DA_COPY] = {op_copy, "NdisCopyFromNetBufferToNetBuffer"},
    [DA_WINDOW] = {op_window, "window"},
    [DA_WRITE] = {op_write, "write"},
    [DA_PHYSICAL] = {op_physical, "NdisQueryNetBufferPhysicalCount"},
    [DA_ADJUST] = {op_adjust, "NdisAdjustMdlLength"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_setup();
    pools_once();
    ULONG64 outstanding = ndisbuf_outstanding_total();
    unsigned long diagnostics = fz_diag_count;
    struct fz_in in = {data, size, 0};
    fz_step = 0;
    fz_op = "building A";
    nb_build(&in, &nbs[0], 0);
    fz_op = "building B";
    nb_build(&in, &nbs[1], 1);
    check_nb(&nbs[0]);
    check_nb(&nbs[1]);
    for (fz_step = 1; !fz_done(&in) && fz_step <= MAX_STEPS; fz_step++) {
        uint8_t op = fz_u8(&in) % DA_OP_COUNT, a[8];
        fz_args(&in, a, da_op_args[op]);
        fz_op = ops[op].name;
        fz_trace_op(fz_op, a, da_op_args[op]);
        ops[op].run(a);
        check_nb(&nbs[0]);
        check_nb(&nbs[1]);
    }
    fz_op = "teardown";
    nb_free(&nbs[0]);
    nb_free(&nbs[1]);
    FZ_CHECK_EQ(ndisbuf_outstanding_total(), outstanding);
    if (fz_diag_count != diagnostics)
        FZ_FAIL("a diagnostic on valid calls: %s", fz_last_diag);
    return 0;
}
