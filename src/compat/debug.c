/* SPDX-License-Identifier: MIT */
/*
 * Debug output and the fatal checks behind the WDK compatibility headers
 * (include/ndisbuf/ndis/debug.h, list.h, sync.h).
 *
 * DbgPrint and friends take Windows' printf dialect. glibc's printf does
 * not know %wZ or %I64x and reads %lx as 64 bits where Windows reads 32, so
 * each conversion is translated: the spec is parsed, its argument fetched
 * with the Windows type, and the C library formats that one value. The
 * result goes to stderr in a single write per call, so lines from
 * concurrent threads do not interleave.
 *
 * The fatal checks (failed ASSERT, corrupt LIST_ENTRY, release of a spin
 * lock that is not held) print one line naming what failed and abort, so a
 * test run stops at the culprit the way a kernel would bug-check.
 */
#include <ctype.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndis.h"

enum { DBG_LINE_MAX = 2048 };

/* An output line under construction; overflow is cut off silently. */
struct dbg_out {
    char text[DBG_LINE_MAX];
    size_t used;
};

static void out_bytes(struct dbg_out *o, const char *s, size_t n)
{
    size_t room = sizeof(o->text) - 1 - o->used;

    if (n > room)
        n = room;
    memcpy(o->text + o->used, s, n);
    o->used += n;
}

/*
 * Appends one value formatted by the C library with a one-spec format. The
 * format is built at run time from one conversion the parser checked, so
 * clang's -Wformat-nonliteral has nothing to check here.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void out_printf(struct dbg_out *o, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(o->text + o->used, sizeof(o->text) - o->used, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->used += (size_t)n < sizeof(o->text) - 1 - o->used ? (size_t)n : sizeof(o->text) - 1 - o->used;
}
#pragma GCC diagnostic pop

/* 16-bit characters, shown as themselves when ASCII and as '?' otherwise. */
static void out_wide(struct dbg_out *o, const WCHAR *s, size_t count, bool counted)
{
    char c;

    if (s == NULL) {
        out_bytes(o, "(null)", 6);
        return;
    }
    for (size_t i = 0; counted ? i < count : s[i] != 0; i++) {
        c = s[i] < 0x80 ? (char)s[i] : '?';
        out_bytes(o, &c, 1);
    }
}

/* A Windows conversion spec: flags, width, precision, size, conversion. */
struct dbg_spec {
    char head[32]; /* "%" flags width precision, '*' resolved */
    enum { SZ_INT, SZ_SHORT, SZ_CHAR, SZ_LONG64, SZ_PTR, SZ_WIDE, SZ_LDOUBLE } size;
    char conv;
};

/* Parses the spec after '%' at *pp; consumes '*' widths from ap. */
static bool spec_parse(const char **pp, va_list *ap, struct dbg_spec *sp)
{
    const char *p = *pp;
    size_t n = 0;

    sp->head[n++] = '%';
    while (*p && strchr("-+ #0", *p) && n < 8)
        sp->head[n++] = *p++;
    for (int part = 0; part < 2; part++) {
        if (part == 1) {
            if (*p != '.')
                break;
            sp->head[n++] = *p++;
        }
        if (*p == '*') {
            n += (size_t)snprintf(sp->head + n, sizeof(sp->head) - n, "%d", va_arg(*ap, int));
            p++;
        }
        while (isdigit((unsigned char)*p) && n < sizeof(sp->head) - 8)
            sp->head[n++] = *p++;
    }
    sp->head[n] = '\0';
    sp->size = SZ_INT;
    if (p[0] == 'I' && p[1] == '6' && p[2] == '4')
        sp->size = SZ_LONG64, p += 3;
    else if (p[0] == 'I' && p[1] == '3' && p[2] == '2')
        p += 3;
    else if (p[0] == 'I')
        sp->size = SZ_PTR, p += 1;
    else if (p[0] == 'l' && p[1] == 'l')
        sp->size = SZ_LONG64, p += 2;
    else if (p[0] == 'h' && p[1] == 'h')
        sp->size = SZ_CHAR, p += 2;
    else if (p[0] == 'h')
        sp->size = SZ_SHORT, p += 1;
    else if (p[0] == 'l' || p[0] == 'w')
        sp->size = p[0] == 'w' ? SZ_WIDE : SZ_INT, p += 1; /* Windows long is 32 bits */
    else if (p[0] == 'z' || p[0] == 'j' || p[0] == 't')
        sp->size = SZ_PTR, p += 1;
    else if (p[0] == 'L')
        sp->size = SZ_LDOUBLE, p += 1;
    if (*p == '\0')
        return false;
    sp->conv = *p++;
    *pp = p;
    return true;
}

/* Formats one integer conversion with the Windows argument width. */
static void out_integer(struct dbg_out *o, const struct dbg_spec *sp, va_list *ap)
{
    char fmt[48];
    bool is_signed = sp->conv == 'd' || sp->conv == 'i';

    snprintf(fmt, sizeof(fmt), "%sll%c", sp->head, sp->conv);
    if (sp->size == SZ_LONG64 || sp->size == SZ_PTR) {
        long long v = sp->size == SZ_PTR ? (long long)va_arg(*ap, intptr_t) : va_arg(*ap, long long);
        out_printf(o, fmt, is_signed ? v : (long long)(unsigned long long)v);
        return;
    }
    int v = va_arg(*ap, int);
    if (sp->size == SZ_SHORT)
        v = is_signed ? (short)v : (unsigned short)v;
    else if (sp->size == SZ_CHAR)
        v = is_signed ? (signed char)v : (unsigned char)v;
    out_printf(o, fmt, is_signed ? (long long)v : (long long)(unsigned)v);
}

/* Formats one conversion of any kind. */
static void out_conversion(struct dbg_out *o, const struct dbg_spec *sp, va_list *ap)
{
    char fmt[48];

    switch (sp->conv) {
    case 'd': case 'i': case 'u': case 'x': case 'X': case 'o':
        out_integer(o, sp, ap);
        break;
    case 'c': case 'C':
        snprintf(fmt, sizeof(fmt), "%sc", sp->head);
        out_printf(o, fmt, (int)(char)va_arg(*ap, int));
        break;
    case 'p':
        out_printf(o, "%p", va_arg(*ap, void *));
        break;
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'a': case 'A':
        snprintf(fmt, sizeof(fmt), "%s%s%c", sp->head, sp->size == SZ_LDOUBLE ? "L" : "", sp->conv);
        if (sp->size == SZ_LDOUBLE)
            out_printf(o, fmt, va_arg(*ap, long double));
        else
            out_printf(o, fmt, va_arg(*ap, double));
        break;
    case 'S':
        out_wide(o, va_arg(*ap, const WCHAR *), 0, false);
        break;
    case 's':
        if (sp->size == SZ_WIDE) {
            out_wide(o, va_arg(*ap, const WCHAR *), 0, false);
        } else {
            const char *s = va_arg(*ap, const char *);
            snprintf(fmt, sizeof(fmt), "%ss", sp->head);
            out_printf(o, fmt, s ? s : "(null)");
        }
        break;
    case 'Z': {
        const UNICODE_STRING *us = va_arg(*ap, const UNICODE_STRING *);
        /* %wZ: UNICODE_STRING; %Z: the 8-bit STRING of the same shape. */
        if (us == NULL)
            out_bytes(o, "(null)", 6);
        else if (sp->size == SZ_WIDE)
            out_wide(o, us->Buffer, us->Length / sizeof(WCHAR), true);
        else if (us->Buffer != NULL)
            out_bytes(o, (const char *)us->Buffer, us->Length);
        break;
    }
    case 'n':
        (void)va_arg(*ap, void *); /* never written to */
        break;
    default:
        out_bytes(o, "%", 1);
        out_bytes(o, &sp->conv, 1);
        break;
    }
}

/* Formats Format with ap into o. */
static void dbg_format(struct dbg_out *o, const char *format, va_list ap)
{
    va_list args;
    struct dbg_spec spec;

    va_copy(args, ap);
    for (const char *p = format; p && *p;) {
        const char *pct = strchr(p, '%');
        if (pct == NULL) {
            out_bytes(o, p, strlen(p));
            break;
        }
        out_bytes(o, p, (size_t)(pct - p));
        p = pct + 1;
        if (*p == '%') {
            out_bytes(o, "%", 1);
            p++;
        } else if (spec_parse(&p, &args, &spec)) {
            out_conversion(o, &spec, &args);
        } else {
            break;
        }
    }
    va_end(args);
}

/* NDISBUF_DBGPRINT=0 silences the output; read once. */
static bool dbg_enabled(void)
{
    static int enabled = -1;
    int e = __atomic_load_n(&enabled, __ATOMIC_RELAXED);

    if (e < 0) {
        const char *v = getenv("NDISBUF_DBGPRINT");
        e = !(v != NULL && strcmp(v, "0") == 0);
        __atomic_store_n(&enabled, e, __ATOMIC_RELAXED);
    }
    return e != 0;
}

ULONG vDbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, va_list arglist)
{
    struct dbg_out out;

    (void)ComponentId;
    (void)Level;
    if (!dbg_enabled())
        return (ULONG)STATUS_SUCCESS;
    out.used = 0;
    dbg_format(&out, Format, arglist);
    out.text[out.used] = '\0';
    fputs(out.text, stderr);
    return (ULONG)STATUS_SUCCESS;
}

ULONG DbgPrint(PCSTR Format, ...)
{
    va_list ap;
    ULONG rc;

    va_start(ap, Format);
    rc = vDbgPrintEx(0, DPFLTR_ERROR_LEVEL, Format, ap);
    va_end(ap);
    return rc;
}

ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...)
{
    va_list ap;
    ULONG rc;

    va_start(ap, Format);
    rc = vDbgPrintEx(ComponentId, Level, Format, ap);
    va_end(ap);
    return rc;
}

VOID DbgBreakPoint(VOID)
{
    raise(SIGTRAP);
}

VOID ndisbuf_assert_failed(PCSTR Expression, PCSTR File, ULONG Line, PCSTR Message)
{
    fprintf(stderr, "*** Assertion failed: %s%s%s\n***   Source File: %s, line %u\n",
            Message ? Message : "", Message ? ": " : "", Expression, File, (unsigned)Line);
    fflush(stderr);
    abort();
}

VOID ndisbuf_list_entry_corrupt(const LIST_ENTRY *Entry)
{
    fprintf(stderr,
            "*** KERNEL_SECURITY_CHECK_FAILURE (139): corrupt LIST_ENTRY %p "
            "(Flink %p, Blink %p): its neighbours do not point back at it "
            "(removed twice, or inserted while still on a list?)\n",
            (const void *)Entry, (void *)Entry->Flink, (void *)Entry->Blink);
    fflush(stderr);
    abort();
}

VOID ndisbuf_spin_lock_not_owned(const KSPIN_LOCK *Lock)
{
    fprintf(stderr, "*** SPIN_LOCK_NOT_OWNED (10): spin lock %p released while not held\n",
            (const void *)Lock);
    fflush(stderr);
    abort();
}
