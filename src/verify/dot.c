/* SPDX-License-Identifier: MIT */
/*
 * ndisbuf_nbl_write_dot: an NBL chain as a Graphviz picture.
 *
 * NBLs and NBs are record nodes; each MDL is a small table whose cells are
 * the parts of its buffer as its NB sees them: back-fill (bytes before the
 * NB's data start, grey), used data (green) and the unused tail (yellow),
 * each cell as wide as its share of the buffer. Each NBL's context blocks
 * are tables too: back-fill (Offset) and used context. Edges are the
 * structures' own links: Next between NBLs, NBs and MDLs, FirstNetBuffer,
 * MdlChain, Context, and dashed CurrentMdl and ParentNetBufferList.
 *
 * Node names come from positions (nbl0, nbl0_nb1, nbl0_nb1_mdl2), so an
 * MDL two clones share is drawn once per NB, each time split as that NB
 * sees it. As in the text dump, nothing a pool did not give out as an NBL
 * is read. A list that comes back to an element already drawn gets a red
 * edge to it; at most DOT_MAX_DRAWN elements of each list are drawn.
 */
#include <string.h>

#include "diag.h"
#include "verify.h"

#define COLOUR_BACKFILL "lightgrey"
#define COLOUR_USED "palegreen"
#define COLOUR_TAIL "lightyellow"
#define COLOUR_PROBLEM "salmon"

/* Cell widths: a floor so small parts stay legible, and a share of this many points. */
#define CELL_MIN_WIDTH 40
#define CELL_SHARE_WIDTH 240

/* A picture of more elements than this per list would not be read. */
#define DOT_MAX_DRAWN 256

/* Node ids: "nbl12_nb3_mdl255" and the like. */
#define DOT_ID_MAX 96

/* The position of p among the first n entries of seen, or -1. */
static long seen_at(const void *const *seen, ULONG n, const void *p)
{
    for (ULONG i = 0; i < n; i++)
        if (seen[i] == p)
            return (long)i;
    return -1;
}

/* The link from previous to id; a red edge back when the list loops. */
static void dot_link(FILE *out, const char *previous, const char *id, const char *label, bool loops)
{
    if (loops)
        fprintf(out, "  %s -> %s [label=\"%s (loops)\", color=red, fontcolor=red];\n", previous, id, label);
    else
        fprintf(out, "  %s -> %s [label=\"%s\"];\n", previous, id, label);
}

static void dot_problem_node(FILE *out, const char *id, const char *text, const void *object)
{
    fprintf(out, "  %s [shape=box, style=filled, fillcolor=\"%s\", label=\"%p\\n%s\"];\n", id, COLOUR_PROBLEM,
            object, text);
}

/* One coloured cell of a buffer table; nothing for an empty part. */
static void dot_cell(FILE *out, const char *colour, const char *what, ULONG64 bytes, ULONG64 total)
{
    if (!bytes)
        return;
    unsigned width = CELL_MIN_WIDTH + (unsigned)(total ? CELL_SHARE_WIDTH * bytes / total : 0);
    fprintf(out, "<TD BGCOLOR=\"%s\" WIDTH=\"%u\">%s %llu</TD>", colour, width, what, (unsigned long long)bytes);
}

/* A table node: a title row over the non-empty parts (one blank cell when all are empty). */
static void dot_buffer_node(FILE *out, const char *id, const char *title, const ULONG64 parts[3],
                            const char *const names[3])
{
    static const char *const colours[3] = {COLOUR_BACKFILL, COLOUR_USED, COLOUR_TAIL};
    ULONG64 total = parts[0] + parts[1] + parts[2];
    int cells = (parts[0] != 0) + (parts[1] != 0) + (parts[2] != 0);
    fprintf(out,
            "  %s [shape=plaintext, label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\">"
            "<TR><TD COLSPAN=\"%d\">%s</TD></TR><TR>",
            id, cells ? cells : 1, title);
    for (int i = 0; i < 3; i++)
        dot_cell(out, colours[i], names[i], parts[i], total);
    if (!cells)
        fprintf(out, "<TD WIDTH=\"%d\">empty</TD>", CELL_MIN_WIDTH);
    fprintf(out, "</TR></TABLE>>];\n");
}

static void dot_mdl(FILE *out, const char *id, PMDL m, ULONG64 start, const NET_BUFFER *nb)
{
    static const char *const names[3] = {"back-fill", "used", "tail"};
    struct diag_split s = diag_mdl_split(start, m->ByteCount, nb);
    ULONG64 parts[3] = {s.backfill, s.used, s.tail};
    char title[128];
    snprintf(title, sizeof(title), "MDL %p<BR/>ByteCount %lu", (void *)m, (unsigned long)m->ByteCount);
    dot_buffer_node(out, id, title, parts, names);
}

static void dot_mdls(FILE *out, ULONG nbl_index, ULONG nb_index, const NET_BUFFER *nb)
{
    const void *seen[DOT_MAX_DRAWN];
    char nb_id[DOT_ID_MAX], id[DOT_ID_MAX], previous[DOT_ID_MAX];
    ULONG64 start = 0;
    ULONG n = 0;
    snprintf(nb_id, sizeof(nb_id), "nbl%lu_nb%lu", (unsigned long)nbl_index, (unsigned long)nb_index);
    snprintf(previous, sizeof(previous), "%s", nb_id);
    for (PMDL m = nb->MdlChain; m; m = m->Next, n++) {
        const char *label = n ? "Next" : "MdlChain";
        long again = seen_at(seen, n, m);
        if (again >= 0) {
            snprintf(id, sizeof(id), "nbl%lu_nb%lu_mdl%ld", (unsigned long)nbl_index, (unsigned long)nb_index,
                     again);
            dot_link(out, previous, id, label, true);
            return;
        }
        snprintf(id, sizeof(id), "nbl%lu_nb%lu_mdl%lu", (unsigned long)nbl_index, (unsigned long)nb_index,
                 (unsigned long)n);
        dot_link(out, previous, id, label, false);
        if (n == DOT_MAX_DRAWN || !diag_readable(m)) {
            dot_problem_node(out, id, n == DOT_MAX_DRAWN ? "more MDLs, not drawn" : "freed MDL", (void *)m);
            return;
        }
        seen[n] = m;
        dot_mdl(out, id, m, start, nb);
        if (m == nb->CurrentMdl)
            fprintf(out, "  %s -> %s [style=dashed, label=\"CurrentMdl\"];\n", nb_id, id);
        start += m->ByteCount;
        snprintf(previous, sizeof(previous), "%s", id);
    }
}

static void dot_nb(FILE *out, const char *id, ULONG nbl_index, ULONG nb_index, const NET_BUFFER *nb)
{
    fprintf(out,
            "  %s [shape=record, style=filled, fillcolor=\"lightcyan\", "
            "label=\"NET_BUFFER %p|DataOffset %lu (back-fill)|DataLength %lu|CurrentMdlOffset %lu\"];\n",
            id, (const void *)nb, (unsigned long)nb->DataOffset, (unsigned long)nb->DataLength,
            (unsigned long)nb->CurrentMdlOffset);
    dot_mdls(out, nbl_index, nb_index, nb);
}

static void dot_nbs(FILE *out, ULONG nbl_index, PNET_BUFFER_LIST nbl)
{
    const void *seen[DOT_MAX_DRAWN];
    char id[DOT_ID_MAX], previous[DOT_ID_MAX];
    ULONG n = 0;
    snprintf(previous, sizeof(previous), "nbl%lu", (unsigned long)nbl_index);
    for (PNET_BUFFER nb = nbl->FirstNetBuffer; nb; nb = nb->Next, n++) {
        const char *label = n ? "Next" : "FirstNetBuffer";
        long again = seen_at(seen, n, nb);
        if (again >= 0) {
            snprintf(id, sizeof(id), "nbl%lu_nb%ld", (unsigned long)nbl_index, again);
            dot_link(out, previous, id, label, true);
            return;
        }
        snprintf(id, sizeof(id), "nbl%lu_nb%lu", (unsigned long)nbl_index, (unsigned long)n);
        dot_link(out, previous, id, label, false);
        enum diag_verdict verdict = diag_check_nb(nb);
        if (n == DOT_MAX_DRAWN || verdict == DIAG_FREED || verdict == DIAG_FOREIGN) {
            dot_problem_node(out, id, n == DOT_MAX_DRAWN ? "more NET_BUFFERs, not drawn" : "not a live NET_BUFFER",
                             nb);
            return;
        }
        seen[n] = nb;
        dot_nb(out, id, nbl_index, n, nb);
        snprintf(previous, sizeof(previous), "%s", id);
    }
}

static void dot_context(FILE *out, ULONG nbl_index, PNET_BUFFER_LIST nbl)
{
    static const char *const names[3] = {"back-fill", "used", ""};
    const void *seen[DOT_MAX_DRAWN];
    char id[DOT_ID_MAX], previous[DOT_ID_MAX];
    ULONG n = 0;
    snprintf(previous, sizeof(previous), "nbl%lu", (unsigned long)nbl_index);
    for (PNET_BUFFER_LIST_CONTEXT block = nbl->Context; block; block = block->Next, n++) {
        if (n == DOT_MAX_DRAWN || seen_at(seen, n, block) >= 0 || !diag_readable(block))
            return; /* the text dump says what is wrong with the context stack */
        seen[n] = block;
        ULONG backfill = block->Offset < block->Size ? block->Offset : block->Size;
        ULONG64 parts[3] = {backfill, (ULONG)block->Size - backfill, 0};
        char title[128];
        snprintf(id, sizeof(id), "nbl%lu_ctx%lu", (unsigned long)nbl_index, (unsigned long)n);
        snprintf(title, sizeof(title), "Context %p<BR/>Size %u Offset %u", (void *)block, (unsigned)block->Size,
                 (unsigned)block->Offset);
        dot_buffer_node(out, id, title, parts, names);
        dot_link(out, previous, id, n ? "Next" : "Context", false);
        snprintf(previous, sizeof(previous), "%s", id);
    }
}

/* The live NBLs of a chain, in order, and what ended it. */
struct dot_chain {
    PNET_BUFFER_LIST nbls[DOT_MAX_DRAWN];
    const void *seen[DOT_MAX_DRAWN]; /* the same, for seen_at */
    struct elem_header *headers[DOT_MAX_DRAWN];
    ULONG count;
    PNET_BUFFER_LIST stopper; /* NULL: the chain ended; else the NBL that was not drawn */
    long loops_to;            /* >= 0: stopper is nbls[loops_to] again */
};

static void dot_collect_chain(PNET_BUFFER_LIST first, struct dot_chain *c)
{
    c->count = 0;
    c->stopper = NULL;
    c->loops_to = -1;
    for (PNET_BUFFER_LIST nbl = first; nbl; nbl = nbl->Next) {
        c->loops_to = seen_at(c->seen, c->count, nbl);
        if (c->loops_to >= 0 || c->count == DOT_MAX_DRAWN ||
            diag_check_nbl(nbl, &c->headers[c->count]) != DIAG_LIVE) {
            c->stopper = nbl;
            return;
        }
        c->seen[c->count] = nbl;
        c->nbls[c->count++] = nbl;
    }
}

static void dot_parent(FILE *out, const char *id, PNET_BUFFER_LIST parent, const struct dot_chain *c)
{
    long at = seen_at(c->seen, c->count, parent);
    if (at >= 0) {
        fprintf(out, "  %s -> nbl%ld [style=dashed, label=\"Parent\"];\n", id, at);
        return;
    }
    fprintf(out, "  %s_parent [shape=box, style=dashed, label=\"ParentNetBufferList\\n%p\"];\n", id,
            (void *)parent);
    fprintf(out, "  %s -> %s_parent [style=dashed, label=\"Parent\"];\n", id, id);
}

static void dot_nbl(FILE *out, ULONG index, const struct dot_chain *c)
{
    PNET_BUFFER_LIST nbl = c->nbls[index];
    const struct elem_header *h = c->headers[index];
    char id[DOT_ID_MAX], tag[5];
    snprintf(id, sizeof(id), "nbl%lu", (unsigned long)index);
    diag_tag_text(h->pool->tag, tag);
    for (char *ch = tag; *ch; ch++)
        if (strchr("{}|<>\"\\ ", *ch))
            *ch = '.'; /* record-label syntax */
    /* With rankdir=LR the fields of a record without braces stack vertically. */
    fprintf(out,
            "  %s [shape=record, style=filled, fillcolor=\"lightblue\", "
            "label=\"NET_BUFFER_LIST %p|Pool %p '%s'|NblFlags 0x%08X|Flags 0x%08X|Status 0x%08X|"
            "ChildRefCount %ld\"];\n",
            id, (void *)nbl, (void *)h->pool, tag, (unsigned)nbl->NblFlags, (unsigned)nbl->Flags,
            (unsigned)nbl->Status, (long)nbl->ChildRefCount);
    if (index) {
        char previous[DOT_ID_MAX];
        snprintf(previous, sizeof(previous), "nbl%lu", (unsigned long)(index - 1));
        dot_link(out, previous, id, "Next", false);
    }
    if (nbl->ParentNetBufferList)
        dot_parent(out, id, nbl->ParentNetBufferList, c);
    dot_context(out, index, nbl);
    dot_nbs(out, index, nbl);
}

/* The NBLs of the chain, in order; a pointer that is no live NBL ends it as a red box. */
static void dot_chain(FILE *out, PNET_BUFFER_LIST first)
{
    struct dot_chain c;
    dot_collect_chain(first, &c);
    for (ULONG i = 0; i < c.count; i++)
        dot_nbl(out, i, &c);
    if (!c.stopper)
        return;
    char last[DOT_ID_MAX], id[DOT_ID_MAX];
    snprintf(last, sizeof(last), "nbl%lu", (unsigned long)(c.count - 1));
    if (c.loops_to >= 0) {
        snprintf(id, sizeof(id), "nbl%ld", c.loops_to);
        dot_link(out, last, id, "Next", true);
        return;
    }
    snprintf(id, sizeof(id), "nbl%lu", (unsigned long)c.count);
    dot_link(out, last, id, "Next", false);
    dot_problem_node(out, id, c.count == DOT_MAX_DRAWN ? "more NBLs, not drawn" : "not a live NET_BUFFER_LIST",
                     c.stopper);
}

NDIS_STATUS ndisbuf_nbl_write_dot(PNET_BUFFER_LIST NetBufferList, FILE *Out)
{
    const char *fn = "ndisbuf_nbl_write_dot";
    if (!NetBufferList || !Out) {
        vf_diagnostic(fn, "%s is NULL", NetBufferList ? "Out" : "NetBufferList");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    enum diag_verdict verdict = diag_check_nbl(NetBufferList, NULL);
    if (verdict != DIAG_LIVE) {
        vf_diagnostic(fn, "%p is %s, not a live NET_BUFFER_LIST", (void *)NetBufferList,
                      diag_verdict_text(verdict, NetBufferList));
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    fprintf(Out, "digraph ndisbuf {\n"
                 "  rankdir=LR;\n"
                 "  node [fontname=\"monospace\", fontsize=10];\n"
                 "  edge [fontname=\"sans\", fontsize=9];\n");
    dot_chain(Out, NetBufferList);
    fprintf(Out, "}\n");
    if (fflush(Out) != 0 || ferror(Out)) {
        vf_diagnostic(fn, "the picture could not be written");
        return NDIS_STATUS_FAILURE;
    }
    return NDIS_STATUS_SUCCESS;
}
