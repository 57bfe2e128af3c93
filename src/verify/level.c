/* SPDX-License-Identifier: MIT */
/*
 * The verifier's level and its start-up settings (docs/verifier.md).
 *
 * The level is one int read with a relaxed load wherever a check depends
 * on it. Turning tracking on (0 -> 1+) starts a new epoch: records written
 * in an older epoch are stale, so an NBL already in flight is adopted at
 * its next event instead of being judged on what the verifier never saw.
 * Lowering the level below 2 releases the quarantine.
 */
#include <stdlib.h>
#include <string.h>

#include "compat/number.h"
#include "config.h"
#include "verify/track.h"
#include "verify/verify.h"

union vf_switchboard vf_switchboard;
static unsigned tracking_epoch = 1;
static unsigned drain_timeout_ms = NDISBUF_VERIFIER_DRAIN_MS;

unsigned vf_epoch(void)
{
    return __atomic_load_n(&tracking_epoch, __ATOMIC_ACQUIRE);
}

unsigned vf_drain_timeout_ms(void)
{
    return __atomic_load_n(&drain_timeout_ms, __ATOMIC_RELAXED);
}

NDIS_STATUS ndisbuf_verifier_set(ULONG Level)
{
    if (Level > NDISBUF_VERIFIER_LEVEL_MAX) {
        vf_diagnostic("ndisbuf_verifier_set", "Level %lu is not a verifier level (0..%d)", (unsigned long)Level,
                      NDISBUF_VERIFIER_LEVEL_MAX);
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    int old = __atomic_exchange_n(&vf_level_value, (int)Level, __ATOMIC_ACQ_REL);
    if (old == 0 && Level > 0)
        __atomic_fetch_add(&tracking_epoch, 1, __ATOMIC_ACQ_REL);
    if (Level < 2)
        vf_quarantine_flush();
    return NDIS_STATUS_SUCCESS;
}

ULONG ndisbuf_verifier_level(void)
{
    return (ULONG)vf_level();
}

VOID ndisbuf_verifier_set_drain_timeout(ULONG Milliseconds)
{
    __atomic_store_n(&drain_timeout_ms, Milliseconds ? Milliseconds : 1, __ATOMIC_RELAXED);
}

/* A whole decimal number in [0, max], or -1. */
static long parse_number(const char *text, long max)
{
    uint64_t v;
    return text && number_parse(text, strlen(text), 10, (uint64_t)max, &v) ? (long)v : -1;
}

static void read_environment(void)
{
    const char *level = getenv("NDISBUF_VERIFIER");
    if (level) {
        long v = parse_number(level, NDISBUF_VERIFIER_LEVEL_MAX);
        if (v < 0)
            vf_diagnostic("NDISBUF_VERIFIER", "'%s' is not a level 0..%d; the verifier stays at level 0", level,
                          NDISBUF_VERIFIER_LEVEL_MAX);
        else
            ndisbuf_verifier_set((ULONG)v);
    }
    const char *drain = getenv("NDISBUF_VERIFIER_DRAIN_MS");
    if (drain) {
        long v = parse_number(drain, 86400000L);
        if (v <= 0)
            vf_diagnostic("NDISBUF_VERIFIER_DRAIN_MS", "'%s' is not a number of milliseconds; keeping %u", drain,
                          vf_drain_timeout_ms());
        else
            ndisbuf_verifier_set_drain_timeout((ULONG)v);
    }
    const char *policy = getenv("NDISBUF_REPORT_POLICY");
    if (policy) {
        if (!strcmp(policy, "count"))
            ndisbuf_report_set_policy(NdisbufReportCount);
        else if (strcmp(policy, "abort"))
            vf_diagnostic("NDISBUF_REPORT_POLICY", "'%s' is not 'abort' or 'count'; reports abort", policy);
    }
    const char *json = getenv("NDISBUF_REPORT_JSON");
    if (json && *json)
        ndisbuf_report_set_json_file(json);
}

__attribute__((constructor)) static void verifier_start(void)
{
    read_environment();
}
