/* SPDX-License-Identifier: MIT */
/*
 * The verifier's reporting function and the diagnostic channel (private).
 *
 * vf_report() is the one place a contract violation goes: it formats the
 * report, then follows the policy (abort, handler, count). The caller then
 * returns without acting, so the objects concerned are left as they were.
 * vf_diagnostic() explains a clean failure caused by bad arguments.
 */
#ifndef NDISBUF_VERIFY_VERIFY_H
#define NDISBUF_VERIFY_VERIFY_H

#include "ndisbuf.h"

/* Raises a report; returns only when the policy is not abort. */
void vf_report(NDISBUF_REPORT_CODE code, const char *function, const void *object,
               const ULONG_PTR parameters[4], const char *format, ...)
    __attribute__((format(printf, 5, 6)));

/* Records and emits a diagnostic for a call that fails cleanly. */
void vf_diagnostic(const char *function, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* NDISBUF_VERIFY_VERIFY_H */
