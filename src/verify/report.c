/* SPDX-License-Identifier: MIT */
/*
 * Reports and diagnostics.
 *
 * A report reads like a bug check: the code and its name, the NDIS call that
 * caught it, the object, four parameters and a plain sentence. The policy is
 * process-wide and read on every report (reports are rare, so the lock-free
 * reads of it need no more than relaxed atomics). Diagnostics are kept per
 * thread, so a test can assert on the message of the call it just made
 * without racing other threads.
 */
#include "verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"

static NDISBUF_REPORT_HANDLER report_handler;
static void *report_handler_context;
static int report_policy = NdisbufReportAbort;
static ULONG64 reports_raised;

static NDISBUF_DIAGNOSTIC_SINK diagnostic_sink;
static void *diagnostic_sink_context;
static __thread char last_diagnostic[NDISBUF_DIAGNOSTIC_MAX];

const char *ndisbuf_report_code_name(NDISBUF_REPORT_CODE code)
{
    switch (code) {
#define NDISBUF_X_NAME(name, value, text) \
    case NDISBUF_REPORT_##name:           \
        return #name;
        NDISBUF_REPORT_CODES(NDISBUF_X_NAME)
#undef NDISBUF_X_NAME
    }
    return "UNKNOWN";
}

static const char *report_code_meaning(NDISBUF_REPORT_CODE code)
{
    switch (code) {
#define NDISBUF_X_TEXT(name, value, text) \
    case NDISBUF_REPORT_##name:           \
        return text;
        NDISBUF_REPORT_CODES(NDISBUF_X_TEXT)
#undef NDISBUF_X_TEXT
    }
    return "unknown report";
}

void ndisbuf_report_set_handler(NDISBUF_REPORT_HANDLER handler, void *context)
{
    __atomic_store_n(&report_handler_context, context, __ATOMIC_RELAXED);
    __atomic_store_n(&report_handler, handler, __ATOMIC_RELEASE);
    ndisbuf_report_set_policy(handler ? NdisbufReportHandler : NdisbufReportAbort);
}

void ndisbuf_report_set_policy(NDISBUF_REPORT_POLICY policy)
{
    __atomic_store_n(&report_policy, (int)policy, __ATOMIC_RELEASE);
}

NDISBUF_REPORT_POLICY ndisbuf_report_get_policy(void)
{
    return (NDISBUF_REPORT_POLICY)__atomic_load_n(&report_policy, __ATOMIC_ACQUIRE);
}

ULONG64 ndisbuf_report_count(void)
{
    return __atomic_load_n(&reports_raised, __ATOMIC_RELAXED);
}

static void report_print(const NDISBUF_REPORT *r)
{
    fprintf(stderr,
            "\n*** ndisbuf verifier: %s (0x%02X) caught in %s\n"
            "    %s\n"
            "    object %p, parameters %#lx %#lx %#lx %#lx\n"
            "    %s\n",
            r->CodeName, (unsigned)r->Code, r->Function, report_code_meaning(r->Code), r->Object,
            (unsigned long)r->Parameters[0], (unsigned long)r->Parameters[1],
            (unsigned long)r->Parameters[2], (unsigned long)r->Parameters[3], r->Message);
    fflush(stderr);
}

void vf_report(NDISBUF_REPORT_CODE code, const char *function, const void *object,
               const ULONG_PTR parameters[4], const char *format, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, format);
    vsnprintf(message, sizeof(message), format, ap);
    va_end(ap);

    NDISBUF_REPORT r = {
        .Code = code,
        .CodeName = ndisbuf_report_code_name(code),
        .Function = function,
        .Object = object,
        .Message = message,
    };
    for (int i = 0; i < 4 && parameters; i++)
        r.Parameters[i] = parameters[i];
    __atomic_fetch_add(&reports_raised, 1, __ATOMIC_RELAXED);

    NDISBUF_REPORT_HANDLER handler = __atomic_load_n(&report_handler, __ATOMIC_ACQUIRE);
    switch (ndisbuf_report_get_policy()) {
    case NdisbufReportHandler:
        if (handler) {
            handler(&r, __atomic_load_n(&report_handler_context, __ATOMIC_RELAXED));
            return;
        }
        report_print(&r);
        abort();
    case NdisbufReportCount:
        report_print(&r);
        return;
    case NdisbufReportAbort:
    default:
        report_print(&r);
        abort();
    }
}

void ndisbuf_set_diagnostic_sink(NDISBUF_DIAGNOSTIC_SINK sink, void *context)
{
    __atomic_store_n(&diagnostic_sink_context, context, __ATOMIC_RELAXED);
    __atomic_store_n(&diagnostic_sink, sink, __ATOMIC_RELEASE);
}

const char *ndisbuf_last_diagnostic(void)
{
    return last_diagnostic;
}

void ndisbuf_clear_diagnostic(void)
{
    last_diagnostic[0] = '\0';
}

void vf_diagnostic(const char *function, const char *format, ...)
{
    int n = snprintf(last_diagnostic, sizeof(last_diagnostic), "%s: ", function);
    if (n < 0 || (size_t)n >= sizeof(last_diagnostic))
        n = 0;
    va_list ap;
    va_start(ap, format);
    vsnprintf(last_diagnostic + n, sizeof(last_diagnostic) - (size_t)n, format, ap);
    va_end(ap);

    NDISBUF_DIAGNOSTIC_SINK sink = __atomic_load_n(&diagnostic_sink, __ATOMIC_ACQUIRE);
    if (sink)
        sink(last_diagnostic, __atomic_load_n(&diagnostic_sink_context, __ATOMIC_RELAXED));
    else
        fprintf(stderr, "ndisbuf: %s\n", last_diagnostic);
}
