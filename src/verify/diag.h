/* SPDX-License-Identifier: MIT */
/*
 * What the diagnostics share (private): recognising an NBL before touching
 * it, walking MDL chains with a bound, and splitting an MDL into the parts
 * an NB sees in it. The text dump (dump.c), the Graphviz picture (dot.c)
 * and the pcap export (pcapout.c) all look at NBLs a driver may have
 * broken, so none of them follows a pointer the pools did not give out or
 * walks a chain without a bound.
 */
#ifndef NDISBUF_VERIFY_DIAG_H
#define NDISBUF_VERIFY_DIAG_H

#include <stdbool.h>

#include "core/element.h"

/* A chain (MDLs, NBs, NBLs, context blocks) longer than this is taken to loop. */
#define DIAG_WALK_MAX (1u << 16)

/* What a pointer offered as an NBL (or NB) turned out to be. */
enum diag_verdict {
    DIAG_LIVE,    /* a live object of the kind wanted: safe to read */
    DIAG_CALLER,  /* NB only: not from any pool (the caller's memory); read at the caller's risk */
    DIAG_FREED,   /* the right kind, but freed: its memory may be poisoned */
    DIAG_FOREIGN  /* anything else */
};

/* Whether memory at p may be read: outside every pool, or in a live pool element. */
bool diag_readable(const void *p);
/* Whether nbl is a live NBL; *header gets its element header when it is. */
enum diag_verdict diag_check_nbl(const void *nbl, struct elem_header **header);
/* Whether nb can be read: a live pool NB, or caller memory (DIAG_CALLER). */
enum diag_verdict diag_check_nb(const void *nb);
/* One line on what a refused pointer is ("a pointer no ndisbuf pool gave out", "freed"). */
const char *diag_verdict_text(enum diag_verdict verdict, const void *object);

/*
 * Floyd's check for a list whose Next link is its first member (MDL,
 * NET_BUFFER, NET_BUFFER_LIST, NET_BUFFER_LIST_CONTEXT): a second pointer
 * trails at half the speed, and meets the walker only if the list loops,
 * within two turns of the loop. Start it at the head; then call
 * diag_loop_step with each node reached after it.
 */
struct diag_loop {
    const void *slow;
    ULONG steps;
};
/* True when `node` shows the list loops (or is longer than DIAG_WALK_MAX). */
bool diag_loop_step(struct diag_loop *loop, const void *node);

/* A bounded position in an MDL chain. */
struct diag_walk {
    PMDL mdl;      /* NULL past the end (or after a loop) */
    ULONG offset;  /* within mdl */
    ULONG steps;   /* MDLs stepped over so far */
    bool loops;    /* stopped after DIAG_WALK_MAX MDLs */
};

/* A walk at an NB's first used byte (CurrentMdl, CurrentMdlOffset). */
struct diag_walk diag_walk_at_data(const NET_BUFFER *nb);
/* Copies up to n bytes from the walk into dst, moving it; the count copied. */
ULONG diag_walk_read(struct diag_walk *w, UCHAR *dst, ULONG n);

/*
 * Counts the MDLs of the chain from head and their bytes; false when it
 * loops (more than DIAG_WALK_MAX MDLs), the counts then partial.
 */
bool diag_chain_measure(PMDL head, ULONG *mdls, ULONG64 *bytes);

/* The parts of one MDL as its NB sees it: before DataOffset, used, after the data. */
struct diag_split {
    ULONG backfill;
    ULONG used;
    ULONG tail;
};
/* The split of an MDL of `count` bytes that starts `start` bytes into the NB's chain. */
struct diag_split diag_mdl_split(ULONG64 start, ULONG count, const NET_BUFFER *nb);

/* Whether pool is one of the library's own (behind NULL pool handles), not a driver's. */
bool diag_pool_is_library(const struct nbuf_pool *pool);

/* The pool tag as four printable characters (dots for the others), in out[5]. */
void diag_tag_text(ULONG tag, char out[5]);

#endif /* NDISBUF_VERIFY_DIAG_H */
