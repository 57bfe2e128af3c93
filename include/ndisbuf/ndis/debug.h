/* SPDX-License-Identifier: MIT */
/*
 * Debug output and assertions as driver code writes them: DbgPrint,
 * DbgPrintEx, KdPrint, DbgBreakPoint, ASSERT, NT_ASSERT, NT_VERIFY.
 *
 * Output goes to stderr, one call at a time (concurrent calls do not
 * interleave within a line). The format is Windows' printf dialect, so
 * driver format strings mean what they mean on Windows: %wZ prints a
 * PUNICODE_STRING, %ws and %S a 16-bit string, %Z a PANSI_STRING-like
 * counted string, %I64d/%I64x a 64-bit value, %Id/%Ix a SIZE_T/ULONG_PTR,
 * and %ld/%lx a 32-bit LONG/ULONG (Windows' long). Setting the environment
 * variable NDISBUF_DBGPRINT=0 silences DbgPrint and DbgPrintEx.
 *
 * Assertions are active when DBG is non-zero, or when DBG is not defined
 * and NDEBUG is not either (the C assert() rule); the WDK makes them
 * depend on DBG alone, but DBG is rarely set outside a Windows build. A
 * failed assertion prints the expression, file and line (as the kernel
 * debugger does) and aborts the process, so a unit test stops at the line.
 * NT_VERIFY evaluates its expression in every build.
 */
#ifndef NDISBUF_NDIS_DEBUG_H
#define NDISBUF_NDIS_DEBUG_H

#include <stdarg.h>

#include "base.h"
#include "ntstatus.h"

#ifdef __cplusplus
extern "C" {
#endif

/* DbgPrintEx severity levels (values 0-3 as documented for DbgPrintEx). */
#define DPFLTR_ERROR_LEVEL 0
#define DPFLTR_WARNING_LEVEL 1
#define DPFLTR_TRACE_LEVEL 2
#define DPFLTR_INFO_LEVEL 3
#define DPFLTR_MASK 0x80000000

/* Component ids drivers pass; DbgPrintEx prints them all. */
#define DPFLTR_IHVDRIVER_ID 77  /* value: not on the reference page */
#define DPFLTR_IHVNETWORK_ID 80 /* value: not on the reference page */
#define DPFLTR_DEFAULT_ID 101   /* value: not on the reference page */

/*
 * DbgPrint: formats (Windows printf dialect, see above) and writes to
 * stderr. Returns STATUS_SUCCESS; never fails (output errors are ignored).
 */
NDISBUF_API ULONG DbgPrint(PCSTR Format, ...);

/*
 * DbgPrintEx: as DbgPrint. ComponentId and Level are accepted and do not
 * filter (a test wants to see everything); Level may be a DPFLTR_*_LEVEL
 * or a mask with DPFLTR_MASK set. Returns STATUS_SUCCESS.
 */
NDISBUF_API ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...);

/* vDbgPrintEx: DbgPrintEx with a va_list. Returns STATUS_SUCCESS. */
NDISBUF_API ULONG vDbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, va_list arglist);

/*
 * DbgBreakPoint: breaks into an attached debugger (SIGTRAP). Without a
 * debugger the process ends, as a kernel without one would bug-check.
 */
NDISBUF_API VOID DbgBreakPoint(VOID);

/*
 * Implementation of the assertion macros below (not for direct use):
 * prints "Assertion failed", the message or expression, file and line to
 * stderr and aborts. Never returns.
 */
NDISBUF_API __attribute__((noreturn)) VOID ndisbuf_assert_failed(PCSTR Expression, PCSTR File,
                                                                 ULONG Line, PCSTR Message);

/* NT_VERIFY's body: a call, so an unused result draws no warning. */
static inline BOOLEAN ndisbuf_verify(BOOLEAN Ok, PCSTR Expression, PCSTR File, ULONG Line, PCSTR Message)
{
    if (!Ok && Expression != NULL)
        ndisbuf_assert_failed(Expression, File, Line, Message);
    return Ok;
}

/* ---- KdPrint and the break points: active with the assertions ---- */
#if defined(DBG) ? DBG : !defined(NDEBUG)
#define NDISBUF_ASSERTS_ACTIVE 1
#else
#define NDISBUF_ASSERTS_ACTIVE 0
#endif

#if NDISBUF_ASSERTS_ACTIVE
/* KdPrint((Format, ...)): note the double parentheses, as in the WDK. */
#define KdPrint(_x_) ((void)DbgPrint _x_)
#define KdPrintEx(_x_) ((void)DbgPrintEx _x_)
#define KdBreakPoint() DbgBreakPoint()
#define ASSERT(exp) \
    ((exp) ? (void)0 : ndisbuf_assert_failed(#exp, __FILE__, __LINE__, NULL))
#define ASSERTMSG(msg, exp) \
    ((exp) ? (void)0 : ndisbuf_assert_failed(#exp, __FILE__, __LINE__, (msg)))
#define NT_ASSERT(exp) ASSERT(exp)
#define NT_ASSERTMSG(msg, exp) ASSERTMSG(msg, exp)
#define NT_ASSERT_ASSUME(exp) ASSERT(exp)
/* NT_VERIFY: asserts in checked builds, evaluates (and yields) always. */
#define NT_VERIFY(exp) ndisbuf_verify((exp) ? TRUE : FALSE, #exp, __FILE__, __LINE__, NULL)
#define NT_VERIFYMSG(msg, exp) ndisbuf_verify((exp) ? TRUE : FALSE, #exp, __FILE__, __LINE__, (msg))
#else
/*
 * Compiled out: nothing is evaluated, but the operands stay referenced
 * (inside sizeof), so a variable used only in an assertion draws no
 * unused-variable warning under -Werror.
 */
#define KdPrint(_x_) ((void)sizeof(DbgPrint _x_))
#define KdPrintEx(_x_) ((void)sizeof(DbgPrintEx _x_))
#define KdBreakPoint() ((void)0)
#define ASSERT(exp) ((void)sizeof((exp) ? 1 : 0))
#define ASSERTMSG(msg, exp) ((void)sizeof((msg), (exp) ? 1 : 0))
#define NT_ASSERT(exp) ASSERT(exp)
#define NT_ASSERTMSG(msg, exp) ASSERTMSG(msg, exp)
#define NT_ASSERT_ASSUME(exp) ASSERT(exp)
#define NT_VERIFY(exp) ndisbuf_verify((exp) ? TRUE : FALSE, NULL, NULL, 0, NULL)
#define NT_VERIFYMSG(msg, exp) ndisbuf_verify((exp) ? TRUE : FALSE, NULL, NULL, 0, (msg))
#endif

/* NT_FRE_ASSERT: checked in every build (the "free build" assertion). */
#define NT_FRE_ASSERT(exp) \
    ((exp) ? (void)0 : ndisbuf_assert_failed(#exp, __FILE__, __LINE__, NULL))

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_NDIS_DEBUG_H */
