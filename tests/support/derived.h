/* SPDX-License-Identifier: MIT */
/*
 * Originals for the derived-NBL tests (fragment, reassemble): an NBL of up
 * to ORIG_MAX_NBS NET_BUFFERs, each over its own caller buffer split into
 * MDLs as a spec says (zero-length MDLs, data past the first MDL), with
 * snapshots and pristine copies so a test can prove the parent was not
 * written; and the checks that a derived NB's MDLs are new partial MDLs
 * over the original's memory whose back-fill never overlaps its data.
 * One original at a time (`orig`).
 */
#ifndef NDISBUF_TESTS_DERIVED_H
#define NDISBUF_TESTS_DERIVED_H

#include <stdint.h>

#include "datapath.h"

#define ORIG_MAX_NBS 6
#define ORIG_MAX_MDLS 10
#define ORIG_BUF 256

struct nb_spec {
    const ULONG *lengths;
    size_t count;
    ULONG offset, length;
};
#define SPEC(c, off, len) {c, sizeof(c) / sizeof(c[0]), off, len}

/* Data past the first MDL, zero-length MDLs inside and after the data. */
static const ULONG nb0_mdls[] = {10, 0, 7, 0, 25, 3, 0};
/* Two zero-length MDLs in front. */
static const ULONG nb1_mdls[] = {0, 0, 64};
/* Small MDLs: pieces straddle several. */
static const ULONG nb2_mdls[] = {5, 5, 0, 5, 5, 5};
/* Data wholly in the last MDL, behind a zero-length one. */
static const ULONG nb3_mdls[] = {6, 0, 4};

/* DataLengths 30, 64, 13, 4. */
static const struct nb_spec four_nbs[] = {
    SPEC(nb0_mdls, 12, 30),
    SPEC(nb1_mdls, 0, 64),
    SPEC(nb2_mdls, 10, 13),
    SPEC(nb3_mdls, 6, 4),
};

static const ULONG two_eights[] = {8, 8};
static const ULONG one_four[] = {4};
static const ULONG one_sixteen[] = {16};
/* DataLengths 10, 0 (at the very end of its chain), 16. */
static const struct nb_spec with_empty_nb[] = {
    SPEC(two_eights, 3, 10),
    SPEC(one_four, 4, 0),
    SPEC(one_sixteen, 0, 16),
};

static const ULONG single_chain[] = {20, 0, 30, 50};
/* One NB, DataLength 90 starting 5 bytes in. */
static const struct nb_spec one_nb[] = {
    SPEC(single_chain, 5, 90),
};

#define SPECS(s) s, sizeof(s) / sizeof(s[0])

struct original {
    NDIS_HANDLE nbl_pool, nb_pool;
    PNET_BUFFER_LIST nbl;
    size_t count;
    PNET_BUFFER nb[ORIG_MAX_NBS];
    MDL mdls[ORIG_MAX_NBS][ORIG_MAX_MDLS];
    UCHAR buf[ORIG_MAX_NBS][ORIG_BUF];
    UCHAR pristine[ORIG_MAX_NBS][ORIG_BUF];
    UCHAR used[ORIG_MAX_NBS][ORIG_BUF]; /* each NB's used data, read before deriving */
    ULONG len[ORIG_MAX_NBS];
    struct harness_nb_snapshot snap[ORIG_MAX_NBS];
    NET_BUFFER_LIST nbl_copy;
};

extern struct original orig;

void original_build(const struct nb_spec *specs, size_t n);
void original_assert_unchanged(void);
void original_free(void);
uintptr_t mdl_va(PMDL m);
bool ranges_overlap(uintptr_t a, size_t an, uintptr_t b, size_t bn);
uintptr_t nb_byte_address(PNET_BUFFER nb, ULONG offset);
bool is_original_mdl(PMDL mdl);
bool inside_original_memory(uintptr_t p, size_t n);
bool overlaps_original_memory(uintptr_t p, size_t n);
bool overlaps_original_used(uintptr_t p, size_t n);
void assert_backfill_is_not_parent_data(PNET_BUFFER nb);
void assert_derived_mdls(PNET_BUFFER f, ULONG delta, ULONG backfill);

#endif /* NDISBUF_TESTS_DERIVED_H */
