/* SPDX-License-Identifier: MIT */
/*
 * What every harness shares: a reader that turns the fuzzer's bytes into
 * choices (next byte, next u16, a bounded choice; zeros once the input is
 * used up), a check that aborts with the step and operation it failed in,
 * the verifier report handler (any report the harness did not ask for is a
 * finding: abort), a diagnostic sink that counts instead of printing, and a
 * small PRNG for buffer contents.
 *
 * A harness interprets its input as a program: one opcode byte, then the
 * fixed number of argument bytes fuzz_ops.h gives that opcode. The seed
 * writer (seeds.c) uses the same tables, so seeds and harnesses agree.
 */
#ifndef NDISBUF_FUZZ_COMMON_H
#define NDISBUF_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndis.h"
#include "ndisbuf.h"

/* The libFuzzer entry points a harness defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* ---- input ---- */

struct fz_in {
    const uint8_t *p;
    size_t n, at;
};

static inline bool fz_done(const struct fz_in *in)
{
    return in->at >= in->n;
}

static inline uint8_t fz_u8(struct fz_in *in)
{
    return in->at < in->n ? in->p[in->at++] : 0;
}

static inline uint16_t fz_u16(struct fz_in *in)
{
    uint16_t lo = fz_u8(in);
    return (uint16_t)(lo | (uint16_t)fz_u8(in) << 8);
}

static inline uint32_t fz_u32(struct fz_in *in)
{
    uint32_t lo = fz_u16(in);
    return lo | (uint32_t)fz_u16(in) << 16;
}

/* A choice in [0, n) from one byte (n <= 256) or two (larger n); 0 when n is 0. */
static inline uint32_t fz_below(struct fz_in *in, uint32_t n)
{
    if (n <= 1)
        return 0;
    return n <= 256 ? fz_u8(in) % n : fz_u16(in) % n;
}

/* Reads an instruction's argument bytes (zeros past the end of the input). */
static inline void fz_args(struct fz_in *in, uint8_t *a, size_t count)
{
    for (size_t i = 0; i < count; i++)
        a[i] = fz_u8(in);
}

/* Little-endian u16 from two argument bytes. */
static inline uint32_t fz_arg16(const uint8_t *a)
{
    return (uint32_t)a[0] | (uint32_t)a[1] << 8;
}

/* ---- checks ---- */

/* NDISBUF_FUZZ_TRACE=1 in the environment: every instruction is printed as it runs. */
static bool fz_trace;
/*
 * NDISBUF_FUZZ_KNOWN_BUGS=1: also generate the call patterns of findings
 * not fixed yet (docs/fuzzing.md, "Findings"), which the harnesses
 * otherwise steer around so the runs can look for new ones.
 */
static bool fz_known_bugs;

/* Where the harness is, for the failure message. Each harness is one translation unit. */
static unsigned long fz_step;
static const char *fz_op = "setup";
static char fz_last_diag[512];

#define FZ_FAIL(...)                                                                      \
    do {                                                                                  \
        fprintf(stderr, "FUZZ CHECK FAILED at %s:%d, step %lu (%s): ", __FILE__, __LINE__, \
                fz_step, fz_op);                                                          \
        fprintf(stderr, __VA_ARGS__);                                                     \
        fprintf(stderr, "\n  last diagnostic: %s\n", fz_last_diag);                       \
        abort();                                                                          \
    } while (0)
#define FZ_CHECK(cond)            \
    do {                          \
        if (!(cond))              \
            FZ_FAIL("%s", #cond); \
    } while (0)
#define FZ_CHECK_EQ(a, b)                                                                    \
    do {                                                                                     \
        unsigned long long fz_a_ = (unsigned long long)(a), fz_b_ = (unsigned long long)(b); \
        if (fz_a_ != fz_b_)                                                                  \
            FZ_FAIL("%s == %s [0x%llx vs 0x%llx]", #a, #b, fz_a_, fz_b_);                    \
    } while (0)

/* ---- verifier reports and diagnostics ---- */

/*
 * A report on a valid call sequence is a finding: the handler aborts, unless
 * the harness announced that exact report with fz_expect_report() just
 * before the call that deliberately breaks a rule. fz_expect_done() then
 * checks it came, exactly once.
 */
static NDISBUF_REPORT_CODE fz_expected_code;
static bool fz_expecting;
static unsigned fz_expected_seen;

static void fz_on_report(const NDISBUF_REPORT *report, void *context)
{
    (void)context;
    if (fz_expecting && report->Code == fz_expected_code && !fz_expected_seen) {
        fz_expected_seen++;
        if (fz_trace)
            fprintf(stderr, "  expected report %s from %s\n", report->CodeName, report->Function);
        return;
    }
    fprintf(stderr, "FUZZ: unexpected verifier report %s (0x%x) from %s at step %lu (%s):\n  %s\n",
            report->CodeName, (unsigned)report->Code, report->Function, fz_step, fz_op, report->Message);
    abort();
}

static inline void fz_expect_report(NDISBUF_REPORT_CODE code)
{
    fz_expected_code = code;
    fz_expecting = true;
    fz_expected_seen = 0;
}

static inline void fz_expect_done(void)
{
    bool seen = fz_expected_seen == 1;
    NDISBUF_REPORT_CODE code = fz_expected_code;
    fz_expecting = false;
    fz_expected_seen = 0;
    if (!seen)
        FZ_FAIL("the call did not raise the report %s it had to", ndisbuf_report_code_name(code));
}

/* Diagnostics (clean refusals) are counted, the last one kept; nothing is printed. */
static unsigned long fz_diag_count;

static void fz_on_diagnostic(const char *message, void *context)
{
    (void)context;
    fz_diag_count++;
    snprintf(fz_last_diag, sizeof(fz_last_diag), "%s", message);
    if (fz_trace)
        fprintf(stderr, "  diagnostic: %s\n", message);
}


static inline void fz_trace_op(const char *name, const uint8_t *a, size_t count)
{
    if (!fz_trace)
        return;
    fprintf(stderr, "step %lu: %s", fz_step, name);
    for (size_t i = 0; i < count; i++)
        fprintf(stderr, " %u", a[i]);
    fprintf(stderr, "\n");
}

/* Installs the report handler and the diagnostic sink (idempotent). */
static inline void fz_setup(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    fz_trace = getenv("NDISBUF_FUZZ_TRACE") != NULL;
    fz_known_bugs = getenv("NDISBUF_FUZZ_KNOWN_BUGS") != NULL;
    /* Level 2 poisons freed elements and checks them in quarantine; NDISBUF_VERIFIER overrides. */
    if (!getenv("NDISBUF_VERIFIER"))
        ndisbuf_verifier_set(2);
    ndisbuf_report_set_handler(fz_on_report, NULL);
    ndisbuf_set_diagnostic_sink(fz_on_diagnostic, NULL);
}

/*
 * An MDL as user mode keeps it (ndis-semantics.md section 1): StartVa
 * page-aligned, ByteOffset within the page, and the mapped address the
 * same as the virtual one.
 */
static inline void fz_check_mdl_fields(PMDL mdl)
{
    FZ_CHECK_EQ((ULONG_PTR)mdl->StartVa % PAGE_SIZE, 0);
    FZ_CHECK(mdl->ByteOffset < PAGE_SIZE);
    FZ_CHECK(MmGetMdlVirtualAddress(mdl) == MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority));
}

/* ---- contents ---- */

/* xorshift32: buffer contents from a seed the input gives (never 0). */
static inline uint32_t fz_rand(uint32_t *state)
{
    uint32_t x = *state ? *state : 0x9E3779B9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

static inline void fz_fill(uint8_t *buf, size_t n, uint32_t seed)
{
    uint32_t s = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(fz_rand(&s) >> 11);
}

#endif /* NDISBUF_FUZZ_COMMON_H */
