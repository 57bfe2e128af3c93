/* SPDX-License-Identifier: MIT */
/*
 * Fault injection, private side (fault.c; docs/fault-injection.md).
 *
 * verify.h holds the hot-path hooks (vf_fault_fail, vf_fault_force_
 * resources_now); this header holds what an allocation site calls once the
 * hook said "fail", and the plan parser the NDISBUF_FAULT environment
 * variable and `ndisbuf demo --fault` share.
 */
#ifndef NDISBUF_VERIFY_FAULT_H
#define NDISBUF_VERIFY_FAULT_H

#include <stdbool.h>
#include <stddef.h>

#include "ndisbuf.h"

/*
 * Emits fn's diagnostic for the allocation fault injection just failed on
 * this thread: "allocation failed by fault injection (<kind> allocation
 * #N)". Call it right after vf_fault_fail() returned true.
 */
void vf_fault_diagnostic(const char *fn);

/*
 * For a site that already prints its own out-of-memory diagnostic: the text
 * to append to it, " (failed by fault injection: <kind> allocation #N)"
 * when the allocation that just failed on this thread was failed on
 * purpose, "" otherwise. Consumes that record.
 */
const char *vf_fault_note(void);

/*
 * Parses a plan in the NDISBUF_FAULT syntax:
 *   nth=N[,every=M][,ppm=P][,seed=S][,kinds=K1+K2...]   or   count[,kinds=...]
 * Numbers are decimal (seed also 0x-hex); kinds are nbl, nb, mdl, context,
 * retreat, packet, buffer, memory, pool or all ('+' or '|' between them;
 * default all). "count" fails nothing and counts (FailNth = 2^64 - 1).
 * Returns true with *out filled; false with *out untouched and the
 * reason (one line, no newline) in error.
 */
bool vf_fault_parse(const char *spec, NDISBUF_FAULT_PLAN *out, char *error, size_t error_size);

/* "nbl", "nb", ... for one NDISBUF_FAULT_* bit; "?" for anything else. */
const char *vf_fault_kind_name(ULONG kind);

/* The FailNth of the "count" plan: reached by no run. */
#define VF_FAULT_COUNT_ONLY (~(ULONG64)0)

#endif /* NDISBUF_VERIFY_FAULT_H */
