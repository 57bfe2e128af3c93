/* SPDX-License-Identifier: MIT */
/*
 * ndisbuf_nbl_dump: an NBL chain as text, in the spirit of the kernel
 * debugger's `!ndiskd.nbl -chain -info -data` (our own layout), and the
 * helpers every diagnostic shares (diag.h).
 *
 * A dump is asked for when something already went wrong, so it trusts
 * nothing: every NBL is recognised through its element header before it is
 * read, and a pointer no pool gave out, or a freed NBL, is named and not
 * followed. NBL chains, NB lists, MDL chains and context stacks are walked
 * with a trailing pointer (diag_loop_step) and a bound (DIAG_WALK_MAX), so
 * a list a driver made loop is reported, not followed for ever. MDLs and
 * data in a freed element are never read.
 *
 * One NBL reads, with the label column on the left:
 *
 *   NET_BUFFER_LIST  0x...             Next 0x... | NULL
 *     Pool           0x... 'Tag ' NBL pool with NB, DataSize 1528, ...
 *     NblFlags       0x00000201 SEND_READ_ONLY IS_IPV4
 *     ...
 *     NET_BUFFER #1  0x... (the NBL's own)
 *       DataOffset   14 (back-fill: 14 bytes in front of the data)
 *       ...
 */
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "config.h"
#include "diag.h"
#include "verify.h"

/* ====================================================================== */
/* Shared helpers (diag.h)                                                 */
/* ====================================================================== */

bool diag_readable(const void *p)
{
    struct elem_header *h = NULL;
    return elem_classify(p, &h) == OBJ_NONE || h->state == ELEM_LIVE;
}

enum diag_verdict diag_check_nbl(const void *nbl, struct elem_header **header)
{
    struct elem_header *h = NULL;
    if (!nbl || elem_classify(nbl, &h) != OBJ_NBL)
        return DIAG_FOREIGN;
    if (h->state != ELEM_LIVE)
        return DIAG_FREED;
    if (header)
        *header = h;
    return DIAG_LIVE;
}

enum diag_verdict diag_check_nb(const void *nb)
{
    struct elem_header *h = NULL;
    enum obj_kind kind = nb ? elem_classify(nb, &h) : OBJ_INTERIOR;
    if (kind == OBJ_NONE)
        return DIAG_CALLER;
    if (kind != OBJ_NB && kind != OBJ_NB_IN_NBL)
        return DIAG_FOREIGN;
    return h->state == ELEM_LIVE ? DIAG_LIVE : DIAG_FREED;
}

const char *diag_verdict_text(enum diag_verdict verdict, const void *object)
{
    struct elem_header *h = NULL;
    switch (verdict) {
    case DIAG_LIVE:
        return "live";
    case DIAG_CALLER:
        return "not from an ndisbuf pool (the caller's memory)";
    case DIAG_FREED:
        return "freed: it is back in its pool";
    case DIAG_FOREIGN:
        break;
    }
    return object ? elem_kind_name(elem_classify(object, &h)) : "NULL";
}

bool diag_loop_step(struct diag_loop *loop, const void *node)
{
    _Static_assert(offsetof(MDL, Next) == 0 && offsetof(NET_BUFFER, Next) == 0 &&
                       offsetof(NET_BUFFER_LIST, Next) == 0 && offsetof(NET_BUFFER_LIST_CONTEXT, Next) == 0,
                   "every list diag_loop_step walks has its Next link first");
    if (++loop->steps % 2 == 0)
        memcpy(&loop->slow, loop->slow, sizeof(loop->slow)); /* its Next, whatever its type */
    return node == loop->slow || loop->steps >= DIAG_WALK_MAX;
}

/* Moves to the next MDL; stops (mdl NULL) at a loop or an MDL that may not be read. */
static void walk_next(struct diag_walk *w)
{
    w->mdl = w->mdl->Next;
    if (++w->steps >= DIAG_WALK_MAX) {
        w->loops = true;
        w->mdl = NULL;
    } else if (w->mdl && !diag_readable(w->mdl)) {
        w->mdl = NULL;
    }
}

/* Steps over MDLs that have no byte at or after the offset. */
static void walk_settle(struct diag_walk *w)
{
    while (w->mdl && w->offset >= w->mdl->ByteCount) {
        w->offset -= w->mdl->ByteCount;
        walk_next(w);
    }
}

static struct diag_walk walk_from(PMDL mdl, ULONG offset)
{
    struct diag_walk w = {mdl && diag_readable(mdl) ? mdl : NULL, offset, 0, false};
    walk_settle(&w);
    return w;
}

struct diag_walk diag_walk_at_data(const NET_BUFFER *nb)
{
    return walk_from(nb->CurrentMdl, nb->CurrentMdlOffset);
}

ULONG diag_walk_read(struct diag_walk *w, UCHAR *dst, ULONG n)
{
    ULONG done = 0;
    walk_settle(w);
    while (w->mdl && done < n) {
        ULONG span = w->mdl->ByteCount - w->offset;
        ULONG step = span < n - done ? span : n - done;
        const UCHAR *src = (const UCHAR *)MmGetSystemAddressForMdlSafe(w->mdl, NormalPagePriority) + w->offset;
        if (!src || !diag_readable(src)) {
            w->mdl = NULL; /* data in a freed element: stop as at the end of the chain */
            break;
        }
        memcpy(dst + done, src, step);
        done += step;
        w->offset += step;
        walk_settle(w);
    }
    return done;
}

bool diag_chain_measure(PMDL head, ULONG *mdls, ULONG64 *bytes)
{
    struct diag_loop loop = {head, 0};
    *mdls = 0;
    *bytes = 0;
    for (PMDL m = head; m && diag_readable(m);) {
        ++*mdls;
        *bytes += m->ByteCount;
        m = m->Next;
        if (m && diag_loop_step(&loop, m))
            return false;
    }
    return true;
}

/* Bytes of [start, start + count) that lie in [lo, hi). */
static ULONG overlap(ULONG64 start, ULONG count, ULONG64 lo, ULONG64 hi)
{
    ULONG64 a = start > lo ? start : lo, b = start + count < hi ? start + count : hi;
    return b > a ? (ULONG)(b - a) : 0;
}

struct diag_split diag_mdl_split(ULONG64 start, ULONG count, const NET_BUFFER *nb)
{
    ULONG64 data_end = (ULONG64)nb->DataOffset + nb->DataLength;
    struct diag_split s = {overlap(start, count, 0, nb->DataOffset),
                           overlap(start, count, nb->DataOffset, data_end), 0};
    s.tail = count - s.backfill - s.used;
    return s;
}

void diag_tag_text(ULONG tag, char out[5])
{
    for (int i = 0; i < 4; i++) {
        UCHAR c = (UCHAR)(tag >> (8 * i));
        out[i] = c >= 0x20 && c < 0x7F ? (char)c : '.';
    }
    out[4] = '\0';
}

/* ====================================================================== */
/* The text dump                                                           */
/* ====================================================================== */

/* Where the text goes, and how much of it went. */
struct dump_out {
    FILE *file;
    int written;
};

static void __attribute__((format(printf, 2, 3))) out(struct dump_out *o, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int n = vfprintf(o->file, format, ap);
    va_end(ap);
    if (n > 0)
        o->written += n;
}

/* A label in the left column, indented by depth, then the value. */
#define LABEL(o, depth, name) out((o), "%*s%-*s", 2 * (depth), "", 18 - 2 * (depth), (name))

struct flag_name {
    ULONG bit;
    const char *name;
};

static const struct flag_name nbl_flag_names[] = {
    {NDIS_NBL_FLAGS_SEND_READ_ONLY, "SEND_READ_ONLY"},
    {NDIS_NBL_FLAGS_RECV_READ_ONLY, "RECV_READ_ONLY"},
    {NDIS_NBL_FLAGS_HD_SPLIT, "HD_SPLIT"},
    {NDIS_NBL_FLAGS_IS_IPV4, "IS_IPV4"},
    {NDIS_NBL_FLAGS_IS_IPV6, "IS_IPV6"},
    {NDIS_NBL_FLAGS_IS_TCP, "IS_TCP"},
    {NDIS_NBL_FLAGS_IS_UDP, "IS_UDP"},
    {NDIS_NBL_FLAGS_IS_LOOPBACK_PACKET, "IS_LOOPBACK_PACKET"},
    {NDIS_NBL_FLAGS_CAPTURE_TIMESTAMP_ON_TRANSMIT, "CAPTURE_TIMESTAMP_ON_TRANSMIT"},
};

static const struct flag_name mdl_flag_names[] = {
    {MDL_MAPPED_TO_SYSTEM_VA, "MAPPED_TO_SYSTEM_VA"},
    {MDL_PAGES_LOCKED, "PAGES_LOCKED"},
    {MDL_SOURCE_IS_NONPAGED_POOL, "SOURCE_IS_NONPAGED_POOL"},
    {MDL_ALLOCATED_FIXED_SIZE, "ALLOCATED_FIXED_SIZE"},
    {MDL_PARTIAL, "PARTIAL"},
    {MDL_PARTIAL_HAS_BEEN_MAPPED, "PARTIAL_HAS_BEEN_MAPPED"},
    {MDL_NETWORK_HEADER, "NETWORK_HEADER"},
};

/* The names of the bits of value in table, then any bit left unnamed. */
static void out_flags(struct dump_out *o, ULONG value, const struct flag_name *table, size_t count)
{
    ULONG named = 0;
    for (size_t i = 0; i < count; i++)
        if (value & table[i].bit) {
            out(o, " %s", table[i].name);
            named |= table[i].bit;
        }
    if (value & ~named)
        out(o, " 0x%X", value & ~named);
}

/* The NBL's Flags member by owner: protocol, scratch, miniport and NDIS bits. */
static void out_nbl_owner_flags(struct dump_out *o, ULONG flags)
{
    if (flags & NBL_FLAGS_PROTOCOL_RESERVED)
        out(o, " protocol 0x%03X", (flags & NBL_FLAGS_PROTOCOL_RESERVED) >> 20);
    if (flags & NBL_FLAGS_SCRATCH)
        out(o, " scratch 0x%X", (flags & NBL_FLAGS_SCRATCH) >> 16);
    if (flags & NBL_FLAGS_MINIPORT_RESERVED)
        out(o, " miniport 0x%X", (flags & NBL_FLAGS_MINIPORT_RESERVED) >> 12);
    if (flags & NBL_FLAGS_NDIS_RESERVED)
        out(o, " ndis/protocol-low 0x%03X", flags & NBL_FLAGS_NDIS_RESERVED);
}

static const char *pool_kind_text(const struct nbuf_pool *pool)
{
    switch (pool->kind) {
    case NBUF_POOL_NBL:
        return pool->allocate_nb ? "NBL pool with NB" : "NBL pool";
    case NBUF_POOL_NB:
        return "NB pool";
    case NBUF_POOL_MDL:
        return "MDL pool";
    }
    return "pool";
}

static const char *derived_text(uint8_t kind)
{
    switch (kind) {
    case DERIVED_CLONE:
        return "clone (new MDLs over the parent's data)";
    case DERIVED_CLONE_ORIGINAL_MDLS:
        return "clone (the parent's own MDLs)";
    case DERIVED_FRAGMENT:
        return "fragment";
    case DERIVED_REASSEMBLED:
        return "reassembled";
    }
    return NULL;
}

static void dump_nbl_pool(struct dump_out *o, const struct elem_header *h)
{
    const struct nbuf_pool *pool = h->pool;
    char tag[5];
    diag_tag_text(pool->tag, tag);
    LABEL(o, 1, "Pool");
    out(o, "%p '%s' %s, DataSize %lu, ContextSize %u, ProtocolId 0x%02X%s\n", (void *)pool, tag,
        pool_kind_text(pool), (unsigned long)pool->layout.data_size, (unsigned)pool->layout.context_size,
        (unsigned)pool->protocol_id, diag_pool_is_library(pool) ? " (the library's own)" : "");
}

static void dump_nbl_family(struct dump_out *o, PNET_BUFFER_LIST nbl, const struct elem_header *h)
{
    const char *derived = derived_text(h->derived);
    if (derived) {
        LABEL(o, 1, "Derived");
        out(o, "%s, %s frees it\n", derived, nbl_free_call_name(h->derived));
    }
    LABEL(o, 1, "Parent");
    if (nbl->ParentNetBufferList)
        out(o, "%p", (void *)nbl->ParentNetBufferList);
    else
        out(o, "NULL");
    out(o, "  ChildRefCount %ld\n", (long)nbl->ChildRefCount);
}

static void dump_nbl_fields(struct dump_out *o, PNET_BUFFER_LIST nbl)
{
    LABEL(o, 1, "NblFlags");
    out(o, "0x%08X", (unsigned)nbl->NblFlags);
    out_flags(o, nbl->NblFlags, nbl_flag_names, sizeof(nbl_flag_names) / sizeof(nbl_flag_names[0]));
    out(o, "\n");
    LABEL(o, 1, "Flags");
    out(o, "0x%08X", (unsigned)nbl->Flags);
    out_nbl_owner_flags(o, nbl->Flags);
    out(o, "\n");
    LABEL(o, 1, "Status");
    out(o, "%s (0x%08X)\n", ndisbuf_status_name(nbl->Status), (unsigned)nbl->Status);
    LABEL(o, 1, "SourceHandle");
    if (nbl->SourceHandle)
        out(o, "%p\n", nbl->SourceHandle);
    else
        out(o, "NULL\n");
}

/* Every block of the context stack: used bytes, and the back-fill in front of them. */
static void dump_context(struct dump_out *o, PNET_BUFFER_LIST nbl)
{
    PNET_BUFFER_LIST_CONTEXT block = nbl->Context;
    LABEL(o, 1, "Context");
    if (!block) {
        out(o, "none\n");
        return;
    }
    struct diag_loop loop = {block, 0};
    while (block) {
        if (!diag_readable(block)) {
            out(o, "%p is freed memory: not read\n", (void *)block);
            return;
        }
        out(o, "%p Size %u Offset %u: %u used, %u back-fill%s\n", (void *)block, (unsigned)block->Size,
            (unsigned)block->Offset, block->Size >= block->Offset ? (unsigned)(block->Size - block->Offset) : 0u,
            (unsigned)block->Offset, block->Offset > block->Size ? " (Offset beyond Size!)" : "");
        block = block->Next;
        if (block && diag_loop_step(&loop, block)) {
            LABEL(o, 1, "(!)");
            out(o, "the context stack loops\n");
            return;
        }
        if (block)
            LABEL(o, 1, "");
    }
}

/* ---- NetBufferListInfo ---- */

static const char *const info_names[MaxNetBufferListInfo] = {
    [TcpIpChecksumNetBufferListInfo] = "TcpIpChecksumNetBufferListInfo",
    [IPsecOffloadV1NetBufferListInfo] = "IPsecOffloadV1NetBufferListInfo",
    [TcpLargeSendNetBufferListInfo] = "TcpLargeSendNetBufferListInfo",
    [ClassificationHandleNetBufferListInfo] = "ClassificationHandleNetBufferListInfo",
    [Ieee8021QNetBufferListInfo] = "Ieee8021QNetBufferListInfo",
    [NetBufferListCancelId] = "NetBufferListCancelId",
    [MediaSpecificInformation] = "MediaSpecificInformation",
    [NetBufferListFrameType] = "NetBufferListFrameType",
    [NetBufferListHashValue] = "NetBufferListHashValue",
    [NetBufferListHashInfo] = "NetBufferListHashInfo",
    [WfpNetBufferListInfo] = "WfpNetBufferListInfo",
    [IPsecOffloadV2TunnelNetBufferListInfo] = "IPsecOffloadV2TunnelNetBufferListInfo",
    [IPsecOffloadV2HeaderNetBufferListInfo] = "IPsecOffloadV2HeaderNetBufferListInfo",
    [NetBufferListCorrelationId] = "NetBufferListCorrelationId",
    [NetBufferListFilteringInfo] = "NetBufferListFilteringInfo",
    [MediaSpecificInformationEx] = "MediaSpecificInformationEx",
    [NblOriginalInterfaceIfIndex] = "NblOriginalInterfaceIfIndex",
    [TcpReceiveBytesTransferred] = "TcpReceiveBytesTransferred",
    [NrtNameResolutionId] = "NrtNameResolutionId",
    [SwitchForwardingReserved] = "SwitchForwardingReserved",
    [SwitchForwardingDetail] = "SwitchForwardingDetail",
    [VirtualSubnetInfo] = "VirtualSubnetInfo",
    [IMReserved] = "IMReserved",
    [RscTcpTimestampDelta] = "RscTcpTimestampDelta",
    [GftOffloadInformation] = "GftOffloadInformation",
    [GftFlowEntryId] = "GftFlowEntryId",
    [NetBufferListInfoReserved3] = "NetBufferListInfoReserved3",
};

/* What a slot's value means, for the slots whose value is a packed structure or a number. */
static void out_info_meaning(struct dump_out *o, int id, PVOID value)
{
    ULONG v = (ULONG)(ULONG_PTR)value;
    if (id == Ieee8021QNetBufferListInfo) {
        NDIS_NET_BUFFER_LIST_8021Q_INFO q = {.Value = value};
        out(o, " (VlanId %u, UserPriority %u)", (unsigned)q.TagHeader.VlanId, (unsigned)q.TagHeader.UserPriority);
    } else if (id == NetBufferListHashInfo) {
        out(o, " (function 0x%02X, type 0x%06X)", (unsigned)NDIS_RSS_HASH_FUNC_FROM_HASH_INFO(v),
            (unsigned)NDIS_RSS_HASH_TYPE_FROM_HASH_INFO(v));
    } else if (id == NetBufferListFrameType) {
        /* The EtherType in network byte order, as NDIS stores it. */
        out(o, " (EtherType 0x%04X)", (unsigned)((v & 0xFF) << 8 | (v >> 8 & 0xFF)));
    }
}

static void dump_info(struct dump_out *o, PNET_BUFFER_LIST nbl)
{
    bool any = false;
    for (int id = 0; id < MaxNetBufferListInfo; id++) {
        PVOID value = nbl->NetBufferListInfo[id];
        if (!value)
            continue;
        LABEL(o, 1, any ? "" : "Info");
        out(o, "[%2d] %-38s %p", id, info_names[id], value);
        out_info_meaning(o, id, value);
        out(o, "\n");
        any = true;
    }
    if (!any) {
        LABEL(o, 1, "Info");
        out(o, "no slot set\n");
    }
}

/* ---- the verifier's tracking ---- */

/* Text, each line indented under the label column. */
static void out_indented(struct dump_out *o, const char *text)
{
    while (*text) {
        const char *end = strchr(text, '\n');
        size_t length = end ? (size_t)(end - text) : strlen(text);
        if (length)
            out(o, "%*s%.*s\n", 6, "", (int)length, text);
        text += length + (end ? 1 : 0);
    }
}

static void dump_tracking(struct dump_out *o, PNET_BUFFER_LIST nbl)
{
    char owner[1024], history[NDISBUF_VERIFIER_HISTORY * 768]; /* as a report's: room for level-4 stacks */
    vf_track_describe(nbl, owner, sizeof(owner), history, sizeof(history));
    if (owner[0]) {
        LABEL(o, 1, "Holder");
        out(o, "%s\n", owner);
    }
    if (history[0]) {
        out(o, "  History:\n");
        out_indented(o, history);
    }
}

/* ---- NET_BUFFERs and MDLs ---- */

static const char *mdl_origin(PMDL mdl)
{
    struct elem_header *h = NULL;
    switch (elem_classify(mdl, &h)) {
    case OBJ_MDL_IN_ELEMENT:
        return "the pool element's own data";
    case OBJ_MDL:
        if (h->flags & ELEM_RETREAT_BUFFER)
            return "allocated by a retreat";
        return h->flags & ELEM_DERIVED_MDL ? "built for a derived NB" : "NdisAllocateMdl";
    case OBJ_NONE:
        return "the caller's";
    default:
        return "inside a pool element";
    }
}

static void dump_mdl(struct dump_out *o, PMDL m, ULONG64 start, const NET_BUFFER *nb)
{
    struct diag_split split = diag_mdl_split(start, m->ByteCount, nb);
    LABEL(o, 2, "MDL");
    out(o, "%p ByteCount %lu ByteOffset 0x%lX MappedSystemVa %p Flags 0x%04X", (void *)m,
        (unsigned long)m->ByteCount, (unsigned long)m->ByteOffset, m->MappedSystemVa,
        (unsigned)(USHORT)m->MdlFlags);
    out_flags(o, (USHORT)m->MdlFlags, mdl_flag_names, sizeof(mdl_flag_names) / sizeof(mdl_flag_names[0]));
    out(o, "\n");
    LABEL(o, 2, "");
    out(o, "back-fill %lu, used %lu, tail %lu; %s\n", (unsigned long)split.backfill, (unsigned long)split.used,
        (unsigned long)split.tail, mdl_origin(m));
}

static void dump_mdls(struct dump_out *o, const NET_BUFFER *nb)
{
    struct diag_loop loop = {nb->MdlChain, 0};
    ULONG64 start = 0;
    for (PMDL m = nb->MdlChain; m;) {
        if (!diag_readable(m)) {
            LABEL(o, 2, "MDL");
            out(o, "%p is freed: not read\n", (void *)m);
            return;
        }
        dump_mdl(o, m, start, nb);
        start += m->ByteCount;
        m = m->Next;
        if (m && diag_loop_step(&loop, m)) {
            LABEL(o, 2, "(!)");
            out(o, "MDL chain loops (MDL %p comes round again)\n", (void *)m);
            return;
        }
    }
}

/* One hex line: offset, 16 bytes in two groups of 8, the printable ones. */
static void out_hex_line(struct dump_out *o, ULONG offset, const UCHAR *bytes, ULONG count)
{
    char ascii[17];
    out(o, "      %04lX ", (unsigned long)offset);
    for (ULONG i = 0; i < 16; i++) {
        if (i == 8)
            out(o, " ");
        if (i < count)
            out(o, " %02x", bytes[i]);
        else
            out(o, "   ");
        ascii[i] = i < count ? (bytes[i] >= 0x20 && bytes[i] < 0x7F ? (char)bytes[i] : '.') : '\0';
    }
    ascii[16] = '\0';
    out(o, "  |%s|\n", ascii);
}

static void dump_data(struct dump_out *o, const NET_BUFFER *nb)
{
    struct diag_walk w = diag_walk_at_data(nb);
    ULONG offset = 0;
    LABEL(o, 2, "Data");
    out(o, "%lu bytes\n", (unsigned long)nb->DataLength);
    while (offset < nb->DataLength) {
        UCHAR line[16];
        ULONG want = nb->DataLength - offset < 16 ? nb->DataLength - offset : 16;
        ULONG got = diag_walk_read(&w, line, want);
        if (got)
            out_hex_line(o, offset, line, got);
        offset += got;
        if (got < want) {
            out(o, "      %s after %lu bytes\n", w.loops ? "MDL chain loops" : "the MDL chain ends",
                (unsigned long)offset);
            return;
        }
    }
}

/* The checks a reader of the NB relies on: CurrentMdl in step, data within the chain. */
static void dump_nb_consistency(struct dump_out *o, const NET_BUFFER *nb)
{
    ULONG mdls;
    ULONG64 bytes;
    if (!diag_chain_measure(nb->MdlChain, &mdls, &bytes)) {
        LABEL(o, 2, "(!)");
        out(o, "MDL chain loops\n");
    } else if ((ULONG64)nb->DataOffset + nb->DataLength > bytes) {
        LABEL(o, 2, "(!)");
        out(o, "DataOffset + DataLength = %llu, more than the chain's %llu bytes\n",
            (unsigned long long)nb->DataOffset + nb->DataLength, (unsigned long long)bytes);
    }
    struct diag_walk by_offset = walk_from(nb->MdlChain, nb->DataOffset), current = diag_walk_at_data(nb);
    if (by_offset.mdl != current.mdl || (current.mdl && by_offset.offset != current.offset)) {
        LABEL(o, 2, "(!)");
        out(o, "CurrentMdl/CurrentMdlOffset are out of step with DataOffset\n");
    }
}

static const char *nb_origin(const NET_BUFFER *nb)
{
    struct elem_header *h = NULL;
    switch (elem_classify(nb, &h)) {
    case OBJ_NB_IN_NBL:
        return "the NBL's own";
    case OBJ_NB:
        return h->derived ? "taken for a derived NBL" : "from an NB pool";
    default:
        return "not from an ndisbuf pool";
    }
}

static void dump_nb(struct dump_out *o, const NET_BUFFER *nb, ULONG index, ULONG flags)
{
    char label[32];
    snprintf(label, sizeof(label), "NET_BUFFER #%lu", (unsigned long)index);
    LABEL(o, 1, label);
    out(o, "%p (%s)\n", (const void *)nb, nb_origin(nb));
    LABEL(o, 2, "DataOffset");
    out(o, "%lu (back-fill: %lu bytes in front of the data)\n", (unsigned long)nb->DataOffset,
        (unsigned long)nb->DataOffset);
    LABEL(o, 2, "DataLength");
    out(o, "%lu\n", (unsigned long)nb->DataLength);
    LABEL(o, 2, "MdlChain");
    out(o, "%p  CurrentMdl %p  CurrentMdlOffset %lu\n", (void *)nb->MdlChain, (void *)nb->CurrentMdl,
        (unsigned long)nb->CurrentMdlOffset);
    dump_nb_consistency(o, nb);
    if (flags & NDISBUF_DUMP_MDLS)
        dump_mdls(o, nb);
    if (flags & NDISBUF_DUMP_DATA)
        dump_data(o, nb);
}

static void dump_nbs(struct dump_out *o, PNET_BUFFER_LIST nbl, ULONG flags)
{
    struct diag_loop loop = {nbl->FirstNetBuffer, 0};
    ULONG index = 1;
    if (!nbl->FirstNetBuffer) {
        LABEL(o, 1, "NET_BUFFER");
        out(o, "none\n");
    }
    for (PNET_BUFFER nb = nbl->FirstNetBuffer; nb; index++) {
        enum diag_verdict verdict = diag_check_nb(nb);
        if (verdict == DIAG_FREED || verdict == DIAG_FOREIGN) {
            LABEL(o, 1, "NET_BUFFER");
            out(o, "%p is %s: not shown\n", (void *)nb, diag_verdict_text(verdict, nb));
            return;
        }
        dump_nb(o, nb, index, flags);
        nb = nb->Next;
        if (nb && diag_loop_step(&loop, nb)) {
            LABEL(o, 1, "(!)");
            out(o, "the NET_BUFFER list loops (NB %p comes round again)\n", (void *)nb);
            return;
        }
    }
}

static void dump_one_nbl(struct dump_out *o, PNET_BUFFER_LIST nbl, struct elem_header *h, ULONG flags)
{
    LABEL(o, 0, "NET_BUFFER_LIST");
    out(o, "%p  Next ", (void *)nbl);
    if (nbl->Next)
        out(o, "%p\n", (void *)nbl->Next);
    else
        out(o, "NULL\n");
    dump_nbl_pool(o, h);
    dump_nbl_family(o, nbl, h);
    dump_nbl_fields(o, nbl);
    dump_context(o, nbl);
    if (flags & NDISBUF_DUMP_INFO)
        dump_info(o, nbl);
    dump_tracking(o, nbl);
    dump_nbs(o, nbl, flags);
}

int ndisbuf_nbl_dump(PNET_BUFFER_LIST NetBufferList, ULONG Flags, FILE *Out)
{
    if (!NetBufferList || !Out) {
        vf_diagnostic("ndisbuf_nbl_dump", "%s is NULL", NetBufferList ? "Out" : "NetBufferList");
        return -1;
    }
    struct dump_out o = {Out, 0};
    struct diag_loop loop = {NetBufferList, 0};
    for (PNET_BUFFER_LIST nbl = NetBufferList; nbl;) {
        struct elem_header *h = NULL;
        enum diag_verdict verdict = diag_check_nbl(nbl, &h);
        if (verdict != DIAG_LIVE) {
            LABEL(&o, 0, "NET_BUFFER_LIST");
            out(&o, "%p is %s: not shown\n", (void *)nbl, diag_verdict_text(verdict, nbl));
            break;
        }
        dump_one_nbl(&o, nbl, h, Flags);
        if (!(Flags & NDISBUF_DUMP_CHAIN))
            break;
        nbl = nbl->Next;
        if (nbl && diag_loop_step(&loop, nbl)) {
            out(&o, "\nthe NBL chain loops (NBL %p comes round again)\n", (void *)nbl);
            break;
        }
        if (nbl)
            out(&o, "\n");
    }
    fflush(Out);
    return o.written;
}
