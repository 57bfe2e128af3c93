/* SPDX-License-Identifier: MIT */
/*
 * The verifier (private): reporting, diagnostics, the level, NBL tracking,
 * and the fault-injection hooks (docs/verifier.md).
 *
 * vf_report() is the one place a contract violation goes: it formats the
 * report, then follows the policy (abort, handler, count). The caller then
 * returns without acting, so the objects concerned are left as they were.
 * vf_diagnostic() explains a clean failure caused by bad arguments.
 *
 * Hot paths read the level and the fault switch with a relaxed load (a
 * plain move on x86: no lock, no read-modify-write) and branch away.
 */
#ifndef NDISBUF_VERIFY_VERIFY_H
#define NDISBUF_VERIFY_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "ndisbuf.h"

/* Raises a report; returns only when the policy is not abort. */
void vf_report(NDISBUF_REPORT_CODE code, const char *function, const void *object,
               const ULONG_PTR parameters[4], const char *format, ...)
    __attribute__((format(printf, 5, 6)));

/* Records and emits a diagnostic for a call that fails cleanly. */
void vf_diagnostic(const char *function, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Writes `length` bytes of text to f as a JSON string (report.c): quotes,
 * backslashes and control characters escaped, well-formed UTF-8 as it is,
 * and every byte that is not part of a well-formed UTF-8 sequence as
 * \ufffd, so the file stays valid JSON whatever a name or path holds.
 */
void vf_json_write_string(FILE *f, const char *text, size_t length);

/* ---- naming code addresses (site.c) ---- */
/*
 * Names a return address as the verifier records it (allocation site,
 * call-stack frame) for a report, a listing or a dump. With libdw in the
 * build: "function+0x1c (file.c:123)" from the module's symbols and debug
 * info, static functions included; otherwise, or when libdw does not know
 * the address, what vf_describe_site_plain writes. Always leaves a
 * terminated string in out (cut to size). Thread-safe; may read debug info,
 * so call it only when printing, never when recording.
 */
void vf_describe_site(const void *site, char *out, size_t size);
/*
 * The form from exported symbols only (dladdr): "symbol+0x1c", else
 * "module+0x1c" (the module file's base name), else the pointer ("(nil)").
 */
void vf_describe_site_plain(const void *site, char *out, size_t size);

/*
 * The two switches every fast path reads: the verifier level and whether
 * fault injection is armed, side by side so that vf_careful is one load.
 * Written only by ndisbuf_verifier_set and ndisbuf_fault_set (level.c,
 * fault.c), each its own half.
 */
union vf_switchboard {
    struct {
        int level;
        int fault_armed;
    } s;
    uint64_t any;
};
extern union vf_switchboard vf_switchboard NDISBUF_INTERNAL;
#define vf_level_value (vf_switchboard.s.level)
#define vf_fault_armed (vf_switchboard.s.fault_armed)

/* ---- the level (level.c) ---- */
static inline int vf_level(void)
{
    return __atomic_load_n(&vf_level_value, __ATOMIC_RELAXED);
}

/* ---- fault injection (fault.c) ---- */
/* Counts an allocation of `kind` (NDISBUF_FAULT_*) and says whether to fail it. */
bool vf_fault_decide(ULONG kind);
static inline bool vf_fault_fail(ULONG kind)
{
    return __builtin_expect(__atomic_load_n(&vf_fault_armed, __ATOMIC_RELAXED), 0) && vf_fault_decide(kind);
}
/*
 * Whether the verifier (level 1+) or fault injection is on: then every
 * allocation and free takes its careful path, which records and counts;
 * otherwise the library's fast paths may serve the common case. One relaxed
 * load and a branch.
 */
static inline bool vf_careful(void)
{
    return __builtin_expect(__atomic_load_n(&vf_switchboard.any, __ATOMIC_RELAXED) != 0, 0);
}
extern int vf_fault_resources_armed;
/* Whether this receive indication is to be forced to NDIS_RECEIVE_FLAGS_RESOURCES. */
bool vf_fault_resources_decide(void);
static inline bool vf_fault_force_resources_now(void)
{
    return __builtin_expect(__atomic_load_n(&vf_fault_resources_armed, __ATOMIC_RELAXED), 0) &&
           vf_fault_resources_decide();
}

/* ---- NBL tracking (track.c), level 1 and above ---- */
/*
 * Writes what the verifier knows of an NBL into buffer: its holder and
 * direction, who sent or indicated it, where it was allocated (owner), and
 * at level 3+ its history (one event per line). Empty strings when the
 * pointer is no NBL or nothing is tracked.
 */
void vf_track_describe(const void *nbl, char *owner, size_t owner_size, char *history, size_t history_size);

/*
 * splitmix64: the output for stream position z, which is seed + k *
 * VF_SPLITMIX64_GAMMA for the k-th draw. The one generator behind the
 * verifier's seeded choices (fault plans, pause storms), so a seed means
 * the same draws everywhere.
 */
#define VF_SPLITMIX64_GAMMA 0x9E3779B97F4A7C15ull
static inline uint64_t vf_splitmix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

#endif /* NDISBUF_VERIFY_VERIFY_H */
