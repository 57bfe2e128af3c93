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

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    if (r->Owner[0])
        fprintf(stderr, "    owner: %s\n", r->Owner);
    if (r->History[0])
        fprintf(stderr, "    history (oldest first):\n%s", r->History);
    fflush(stderr);
}

/* ---- the JSON report file ---- */

static pthread_mutex_t json_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *json_file;

/*
 * The length of the well-formed UTF-8 sequence at s, of at most `left`
 * bytes, or 0 when there is none there (RFC 3629: no overlong form, no
 * surrogate, nothing past U+10FFFF).
 */
static size_t utf8_sequence_length(const unsigned char *s, size_t left)
{
    size_t length;
    uint32_t code, least;
    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xE0) == 0xC0) {
        length = 2, code = s[0] & 0x1F, least = 0x80;
    } else if ((s[0] & 0xF0) == 0xE0) {
        length = 3, code = s[0] & 0x0F, least = 0x800;
    } else if ((s[0] & 0xF8) == 0xF0) {
        length = 4, code = s[0] & 0x07, least = 0x10000;
    } else {
        return 0;
    }
    if (length > left)
        return 0;
    for (size_t i = 1; i < length; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        code = code << 6 | (s[i] & 0x3F);
    }
    if (code < least || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
        return 0;
    return length;
}

void vf_json_write_string(FILE *f, const char *text, size_t length)
{
    const unsigned char *c = (const unsigned char *)text, *end = c + length;
    fputc('"', f);
    while (c < end) {
        size_t n = utf8_sequence_length(c, (size_t)(end - c));
        if (n == 0) {
            fputs("\\ufffd", f); /* not UTF-8: the replacement character, byte by byte */
            c++;
            continue;
        }
        if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if (*c == '\n')
            fputs("\\n", f);
        else if (*c < 0x20)
            fprintf(f, "\\u%04x", *c);
        else
            fwrite(c, 1, n, f);
        c += n;
    }
    fputc('"', f);
}

static void json_string(FILE *f, const char *text)
{
    vf_json_write_string(f, text, strlen(text));
}

/* The history as a JSON array of its lines. */
static void json_lines(FILE *f, const char *text)
{
    fputc('[', f);
    const char *line = text;
    bool first = true;
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        if (!first)
            fputc(',', f);
        vf_json_write_string(f, line, n);
        first = false;
        line += n + (end ? 1 : 0);
    }
    fputc(']', f);
}

static void report_write_json(const NDISBUF_REPORT *r)
{
    pthread_mutex_lock(&json_lock);
    FILE *f = json_file;
    if (f) {
        fprintf(f, "{\"code\":%u,\"name\":", (unsigned)r->Code);
        json_string(f, r->CodeName);
        fputs(",\"function\":", f);
        json_string(f, r->Function);
        fprintf(f, ",\"object\":\"%p\",\"parameters\":[\"%#lx\",\"%#lx\",\"%#lx\",\"%#lx\"],\"message\":",
                r->Object, (unsigned long)r->Parameters[0], (unsigned long)r->Parameters[1],
                (unsigned long)r->Parameters[2], (unsigned long)r->Parameters[3]);
        json_string(f, r->Message);
        fputs(",\"owner\":", f);
        json_string(f, r->Owner);
        fputs(",\"history\":", f);
        json_lines(f, r->History);
        fprintf(f, ",\"level\":%lu,\"pid\":%ld}\n", (unsigned long)r->VerifierLevel, (long)getpid());
        fflush(f);
    }
    pthread_mutex_unlock(&json_lock);
}

NDIS_STATUS ndisbuf_report_set_json_file(const char *Path)
{
    FILE *f = NULL;
    if (Path && !(f = fopen(Path, "a"))) {
        vf_diagnostic("ndisbuf_report_set_json_file", "cannot open '%s' for appending", Path);
        return NDIS_STATUS_FAILURE;
    }
    pthread_mutex_lock(&json_lock);
    FILE *old = json_file;
    json_file = f;
    pthread_mutex_unlock(&json_lock);
    if (old)
        fclose(old);
    return NDIS_STATUS_SUCCESS;
}

void vf_report(NDISBUF_REPORT_CODE code, const char *function, const void *object,
               const ULONG_PTR parameters[4], const char *format, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, format);
    vsnprintf(message, sizeof(message), format, ap);
    va_end(ap);

    static __thread char owner[1024], history[NDISBUF_VERIFIER_HISTORY * 768];
    owner[0] = history[0] = '\0';
    if (vf_level() >= 1 && object)
        vf_track_describe(object, owner, sizeof owner, history, sizeof history);

    NDISBUF_REPORT r = {
        .Code = code,
        .CodeName = ndisbuf_report_code_name(code),
        .Function = function,
        .Object = object,
        .Message = message,
        .Owner = owner,
        .History = history,
        .VerifierLevel = (ULONG)vf_level(),
    };
    for (int i = 0; i < 4 && parameters; i++)
        r.Parameters[i] = parameters[i];
    __atomic_fetch_add(&reports_raised, 1, __ATOMIC_RELAXED);
    report_write_json(&r);

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
