/* SPDX-License-Identifier: MIT */
/*
 * The unit tests' fixture: records the verifier's reports and the
 * diagnostics instead of aborting or printing, and checks at teardown that
 * the test left nothing behind.
 *
 * Every test runs with cmocka_unit_test_setup_teardown(test, harness_setup,
 * harness_teardown). harness_setup installs a report handler (so a contract
 * violation is recorded, not fatal) and a quiet diagnostic sink.
 * harness_teardown fails the test when a pool is still live, an object is
 * still outstanding anywhere, or a report was raised that the test did not
 * consume with harness_expect_report(); then it restores the defaults
 * (abort policy, stderr diagnostics) and the verifier level the test
 * started with (a test may change it freely).
 *
 * Note: cmocka 1.1 skips the teardown of a test that failed, so after a
 * failure later tests may fail their teardown too; read the first failure.
 */
#ifndef NDISBUF_TESTS_HARNESS_H
#define NDISBUF_TESTS_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ndis.h"

#define HARNESS_MAX_REPORTS 64
#define HARNESS_TEXT_MAX 1024

/* A copy of one report, kept after the handler returns. */
struct harness_report {
    NDISBUF_REPORT_CODE code;
    char code_name[32];
    char function[64];
    const void *object;
    ULONG_PTR parameters[4];
    char message[HARNESS_TEXT_MAX];
    char owner[HARNESS_TEXT_MAX];   /* NDISBUF_REPORT.Owner (level 1+) */
    char history[4096];             /* NDISBUF_REPORT.History (level 3+) */
    ULONG level;
    bool consumed;
};

/* cmocka fixtures. */
int harness_setup(void **state);
int harness_teardown(void **state);

/* Reinstalls the recording handler (after a test switched the policy). */
void harness_install_handler(void);

/*
 * Asserts that exactly one report is waiting (raised and not yet consumed)
 * and that it has `code`; consumes it and returns the record, valid until
 * the next harness_setup.
 */
const struct harness_report *harness_expect_report(NDISBUF_REPORT_CODE code);
/* Asserts that no report is waiting. */
void harness_expect_no_report(void);
/*
 * For a test that relies on a freed element coming straight back (LIFO
 * reuse): at verifier level 2 and above the quarantine holds freed elements
 * back, so this lowers the level to 1 for the rest of the test (teardown
 * restores the level the run was started with).
 */
void harness_without_quarantine(void);
/* Reports raised since setup (consumed or not). */
size_t harness_report_count(void);

/*
 * True when a diagnostic was emitted since the previous harness_diag_*
 * call (or setup) and the last one contains `needle`. Prints the last
 * diagnostic when it does not. Marks the diagnostics as seen.
 */
bool harness_diag_contains(const char *needle);
/* Diagnostics emitted since the previous harness_diag_* call (or setup). */
size_t harness_diag_new(void);
/* Marks every diagnostic so far as seen. */
void harness_diag_clear(void);

/* "contains": strstr with a cmocka failure message naming both strings. */
#define assert_contains(haystack, needle) \
    harness_assert_contains((haystack), (needle), __FILE__, __LINE__)
void harness_assert_contains(const char *haystack, const char *needle, const char *file, int line);

/* ---- builders ---- */

/* A correct revision-1 NBL pool parameter block. */
void harness_nbl_pool_params(NET_BUFFER_LIST_POOL_PARAMETERS *params, BOOLEAN fAllocateNetBuffer,
                             USHORT ContextSize, ULONG DataSize, ULONG tag);
/* A correct revision-1 NB pool parameter block. */
void harness_nb_pool_params(NET_BUFFER_POOL_PARAMETERS *params, ULONG DataSize, ULONG tag);

/* A live NBL pool (asserts success); free it with NdisFreeNetBufferListPool. */
NDIS_HANDLE harness_nbl_pool(BOOLEAN fAllocateNetBuffer, USHORT ContextSize, ULONG DataSize, ULONG tag);
/* A live NB pool (asserts success); free it with NdisFreeNetBufferPool. */
NDIS_HANDLE harness_nb_pool(ULONG DataSize);

/* Frees a pool and asserts it went (no report, one live pool fewer). */
void harness_free_nbl_pool(NDIS_HANDLE pool);
void harness_free_nb_pool(NDIS_HANDLE pool);

/* The pool's statistics (asserts the handle is live). */
NDISBUF_POOL_STATS harness_stats(NDIS_HANDLE pool);

/*
 * Builds a chain of n caller-owned, built MDLs over consecutive pieces of
 * buf with the given lengths (zero allowed). Nothing to free.
 */
void harness_mdl_chain(MDL *mdls, size_t n, UCHAR *buf, const ULONG *lengths);

#define HARNESS_TAG(a, b, c, d) \
    ((ULONG)(UCHAR)(a) | ((ULONG)(UCHAR)(b) << 8) | ((ULONG)(UCHAR)(c) << 16) | ((ULONG)(UCHAR)(d) << 24))

#define HARNESS_TEST(fn) cmocka_unit_test_setup_teardown(fn, harness_setup, harness_teardown)

#endif /* NDISBUF_TESTS_HARNESS_H */
