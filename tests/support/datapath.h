/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the data-path tests (retreat/advance, context, data access):
 * an independent view of a NET_BUFFER computed by walking its MDL chain
 * from MdlChain (never through the library), snapshots to prove a failed
 * call changed nothing, and counting MDL handlers for retreat/advance.
 *
 * The walker follows the rule pools.md states for CurrentMdl: the MDL that
 * holds the first used byte; at an MDL boundary the next MDL, zero-length
 * ones stepped over; at the very end of the chain the last MDL with
 * CurrentMdlOffset == its ByteCount.
 */
#ifndef NDISBUF_TESTS_DATAPATH_H
#define NDISBUF_TESTS_DATAPATH_H

#include "harness.h"

/* ---- chains ---- */

/* Bytes described by the chain (sum of ByteCount). */
ULONG64 harness_chain_bytes(PMDL chain);
/* MDLs in the chain. */
size_t harness_chain_count(PMDL chain);
/* Where `offset` bytes into the chain is, by the CurrentMdl rule above. */
void harness_locate(PMDL chain, ULONG offset, PMDL *mdl, ULONG *mdl_offset);

/* buf[i] = a byte that depends on i and seed (a recognisable pattern). */
void harness_fill(UCHAR *buf, size_t n, unsigned seed);

/* ---- NET_BUFFER views ---- */

/*
 * Copies up to `length` bytes of the chain starting `from` bytes after the
 * NB's data start (DataOffset), walking from MdlChain; returns the count
 * (less when the chain ends).
 */
ULONG harness_nb_read(PNET_BUFFER nb, ULONG64 from, ULONG length, UCHAR *out);
/* The same, writing into the chain. */
ULONG harness_nb_write(PNET_BUFFER nb, ULONG64 from, ULONG length, const UCHAR *in);

/* Asserts the used data (DataLength bytes) equals expected[0..length). */
void harness_assert_nb_data(PNET_BUFFER nb, const UCHAR *expected, ULONG length);

/*
 * Asserts the NB invariants: DataOffset + DataLength <= chain bytes, and
 * CurrentMdl/CurrentMdlOffset agree with DataOffset (recomputed by walking).
 */
void harness_assert_nb_consistent(PNET_BUFFER nb);

#define HARNESS_SNAPSHOT_MDLS 32

/* An NB's fields and its chain's MDLs, to prove a call changed nothing. */
struct harness_nb_snapshot {
    NET_BUFFER nb;
    size_t count;
    PMDL mdl[HARNESS_SNAPSHOT_MDLS];
    MDL copy[HARNESS_SNAPSHOT_MDLS];
};
void harness_nb_snapshot(PNET_BUFFER nb, struct harness_nb_snapshot *snap);
/* Asserts the NB, field by field, and every MDL of its old chain are as snapped. */
void harness_assert_nb_unchanged(PNET_BUFFER nb, const struct harness_nb_snapshot *snap);

/* ---- MDL handlers for retreat / advance ---- */

/*
 * State of harness_allocate_mdl_handler / harness_free_mdl_handler. The
 * allocate handler gives an MDL from NdisAllocateMdl over a malloc'ed
 * buffer filled with 0xCD, `extra` bytes larger than asked (and says so in
 * *BufferSize); its `fail_at`-th call (1-based; 0 never) and every call
 * while `fail_all` is set return NULL. The free handler checks it is given
 * an MDL the allocate handler made (else counts a foreign free and leaves
 * it alone) and releases it.
 */
struct harness_mdl_handler_state {
    ULONG calls;         /* allocate handler calls, failed ones included */
    ULONG allocs;        /* MDLs given out */
    ULONG frees;         /* MDLs taken back */
    ULONG foreign_frees; /* free handler calls with an MDL it did not make */
    ULONG last_asked;    /* *BufferSize of the last allocate call */
    ULONG fail_at;
    BOOLEAN fail_all;
    ULONG extra;
};
extern struct harness_mdl_handler_state harness_mdl_handlers;

/* Zeroes the counters and sets the failure plan and the extra bytes. */
void harness_mdl_handlers_reset(ULONG fail_at, ULONG extra);
/* MDLs from the allocate handler not yet given back. */
ULONG harness_mdl_handlers_live(void);
/* True if mdl is one the allocate handler gave out and has not taken back. */
bool harness_mdl_from_handler(PMDL mdl);

PMDL harness_allocate_mdl_handler(PULONG BufferSize);
VOID harness_free_mdl_handler(PMDL Mdl);

#endif /* NDISBUF_TESTS_DATAPATH_H */
