/* SPDX-License-Identifier: MIT */
/*
 * A position in an MDL chain, and the walks every data-path call shares:
 * seek forward, ask how many contiguous bytes lie at the position, copy
 * in or out. Zero-length and exhausted MDLs are stepped over, so a cursor
 * that has bytes ahead of it always points at one.
 */
#ifndef NDISBUF_CORE_CURSOR_H
#define NDISBUF_CORE_CURSOR_H

#include "config.h"
#include "ndis.h"

struct mdl_cursor {
    PMDL mdl;     /* NULL past the end of the chain */
    ULONG offset; /* within mdl */
};

/*
 * A walk stepped over NDISBUF_MDL_CHAIN_MAX MDLs without finding a byte:
 * the chain loops (through zero-length MDLs). Reports MDL_CHAIN_LOOP and
 * ends the walk there (mdl.c).
 */
void cursor_loop_found(struct mdl_cursor *c);

/* Steps over MDLs that have no byte at or after the offset. */
static inline void cursor_settle(struct mdl_cursor *c)
{
    ULONG steps = 0;
    while (c->mdl && c->offset >= c->mdl->ByteCount) {
        c->offset -= c->mdl->ByteCount;
        c->mdl = c->mdl->Next;
        if (__builtin_expect(++steps >= NDISBUF_MDL_CHAIN_MAX, 0)) {
            cursor_loop_found(c);
            return;
        }
    }
}

/* A cursor on the first used byte of an NB. */
static inline struct mdl_cursor cursor_at_data(const NET_BUFFER *nb)
{
    struct mdl_cursor c = {nb->CurrentMdl, nb->CurrentMdlOffset};
    cursor_settle(&c);
    return c;
}

/* Contiguous bytes at the cursor (0 at the end of the chain). */
static inline ULONG cursor_span(const struct mdl_cursor *c)
{
    return c->mdl ? c->mdl->ByteCount - c->offset : 0;
}

static inline PUCHAR cursor_address(const struct mdl_cursor *c)
{
    return (PUCHAR)MmGetSystemAddressForMdlSafe(c->mdl, NormalPagePriority) + c->offset;
}

/* Moves forward by up to n bytes; returns how far it went. */
static inline ULONG64 cursor_seek(struct mdl_cursor *c, ULONG64 n)
{
    ULONG64 moved = 0;
    cursor_settle(c);
    while (c->mdl && moved < n) {
        ULONG64 step = cursor_span(c);
        if (step > n - moved)
            step = n - moved;
        c->offset += (ULONG)step;
        moved += step;
        cursor_settle(c);
    }
    return moved;
}

/* Copies up to n bytes out of the chain into dst; returns the count copied. */
static inline ULONG cursor_copy_out(struct mdl_cursor *c, void *dst, ULONG n)
{
    ULONG done = 0;
    cursor_settle(c);
    while (c->mdl && done < n) {
        ULONG step = cursor_span(c) < n - done ? cursor_span(c) : n - done;
        memcpy((PUCHAR)dst + done, cursor_address(c), step);
        done += step;
        c->offset += step;
        cursor_settle(c);
    }
    return done;
}

#endif /* NDISBUF_CORE_CURSOR_H */
