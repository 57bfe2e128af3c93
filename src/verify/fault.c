/* SPDX-License-Identifier: MIT */
/*
 * Fault injection: failing chosen allocations on purpose, so that every
 * failure path of a driver (and of the library) can be walked
 * (docs/fault-injection.md).
 *
 * A plan names the kinds of allocation concerned and when to fail: the Nth
 * of them and every M-th after it, and/or each with a probability drawn
 * from a seed. Allocations of those kinds are numbered 1, 2, ... from the
 * moment the plan is set, and the decision for allocation #k depends on
 * (plan, k) alone: the random draw is the k-th output of a splitmix64
 * stream seeded with Seed, so a run is reproduced by its seed whichever
 * thread makes which allocation.
 *
 * Cost when disarmed: every allocation site calls vf_fault_fail()
 * (verify.h), one relaxed load of vf_fault_armed and a branch predicted
 * not taken. Only when armed does vf_fault_decide() run, with atomics for
 * the counters (the plan's fields are atomics too, so a plan set while
 * other threads allocate is read whole or nearly so: an allocation racing
 * ndisbuf_fault_set follows the old plan or the new one).
 *
 * The site that was told to fail fails exactly as exhaustion would (NULL
 * or NDIS_STATUS_RESOURCES, same state left behind) and says why with
 * vf_fault_diagnostic() or vf_fault_note(), from what vf_fault_decide()
 * recorded for this thread.
 *
 * Also here: the NDISBUF_FAULT environment variable (read by a constructor
 * at start-up), its parser, and the forced NDIS_RECEIVE_FLAGS_RESOURCES
 * of ndisbuf_fault_force_resources. The pause storm is in storm.c.
 */
#include "fault.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat/number.h"
#include "verify.h"

#define FAULT_PPM_SCALE 1000000u /* ProbabilityPpm is out of a million */

int vf_fault_resources_armed;

/* The plan in force; each field read and written with relaxed atomics. */
static struct {
    ULONG kinds;
    ULONG64 nth, every;
    ULONG ppm;
    ULONG seed;
} plan;
static pthread_mutex_t plan_lock = PTHREAD_MUTEX_INITIALIZER; /* serialises ndisbuf_fault_set */
static ULONG64 allocations_counted;
static ULONG64 allocations_failed;

static ULONG resources_every;
static ULONG64 receives_seen;

/* The allocation this thread was last told to fail, until a diagnostic consumes it. */
static __thread struct {
    ULONG kind;
    ULONG64 number;
} last_injected;

static const struct {
    const char *name;
    ULONG kind;
} kind_names[] = {
    {"nbl", NDISBUF_FAULT_NBL},         {"nb", NDISBUF_FAULT_NB},         {"mdl", NDISBUF_FAULT_MDL},
    {"context", NDISBUF_FAULT_CONTEXT}, {"retreat", NDISBUF_FAULT_RETREAT}, {"packet", NDISBUF_FAULT_PACKET},
    {"buffer", NDISBUF_FAULT_BUFFER},   {"memory", NDISBUF_FAULT_MEMORY}, {"pool", NDISBUF_FAULT_POOL},
    {"all", NDISBUF_FAULT_ALL},
};
#define KIND_NAME_COUNT (sizeof(kind_names) / sizeof(kind_names[0]))

const char *vf_fault_kind_name(ULONG kind)
{
    for (size_t i = 0; i + 1 < KIND_NAME_COUNT; i++) /* "all" is no single kind */
        if (kind_names[i].kind == kind)
            return kind_names[i].name;
    return "?";
}

/* ------------------------------------------------------------- deciding */

/* The k-th output of a splitmix64 stream seeded with seed: a function of (seed, k) only. */
static ULONG64 fault_draw(ULONG seed, ULONG64 k)
{
    return vf_splitmix64((ULONG64)seed + k * VF_SPLITMIX64_GAMMA);
}

/* Whether the plan fails allocation number k (1-based). */
static bool fault_plan_fails(ULONG64 k)
{
    ULONG64 nth = __atomic_load_n(&plan.nth, __ATOMIC_RELAXED);
    ULONG64 every = __atomic_load_n(&plan.every, __ATOMIC_RELAXED);
    if (nth && (k == nth || (every && k > nth && (k - nth) % every == 0)))
        return true;
    ULONG ppm = __atomic_load_n(&plan.ppm, __ATOMIC_RELAXED);
    return ppm && fault_draw(__atomic_load_n(&plan.seed, __ATOMIC_RELAXED), k) % FAULT_PPM_SCALE < ppm;
}

bool vf_fault_decide(ULONG kind)
{
    if (!(kind & __atomic_load_n(&plan.kinds, __ATOMIC_RELAXED)))
        return false;
    ULONG64 k = __atomic_add_fetch(&allocations_counted, 1, __ATOMIC_RELAXED);
    if (!fault_plan_fails(k))
        return false;
    __atomic_add_fetch(&allocations_failed, 1, __ATOMIC_RELAXED);
    last_injected.kind = kind;
    last_injected.number = k;
    return true;
}

void vf_fault_diagnostic(const char *fn)
{
    vf_diagnostic(fn, "allocation failed by fault injection (%s allocation #%llu)",
                  vf_fault_kind_name(last_injected.kind), (unsigned long long)last_injected.number);
    last_injected.number = 0;
}

const char *vf_fault_note(void)
{
    static __thread char note[96];
    if (!last_injected.number)
        return "";
    snprintf(note, sizeof(note), " (failed by fault injection: %s allocation #%llu)",
             vf_fault_kind_name(last_injected.kind), (unsigned long long)last_injected.number);
    last_injected.number = 0;
    return note;
}

/* ---------------------------------------------------------------- plans */

/* Why a plan cannot be armed, or NULL when it can. */
static const char *fault_plan_problem(const NDISBUF_FAULT_PLAN *p)
{
    if (p->Kinds & ~(ULONG)NDISBUF_FAULT_ALL)
        return "Kinds has bits that are no NDISBUF_FAULT_* kind";
    if (!p->Kinds)
        return "Kinds is 0: no kind of allocation is chosen";
    if (p->ProbabilityPpm > FAULT_PPM_SCALE)
        return "ProbabilityPpm is above 1000000 (one million parts per million)";
    if (p->FailEvery && !p->FailNth)
        return "FailEvery needs FailNth (the first allocation to fail)";
    if (!p->FailNth && !p->ProbabilityPpm)
        return "FailNth and ProbabilityPpm are both 0: nothing would ever fail";
    return NULL;
}

NDIS_STATUS ndisbuf_fault_set(const NDISBUF_FAULT_PLAN *Plan)
{
    const char *problem = Plan ? fault_plan_problem(Plan) : NULL;
    if (problem) {
        vf_diagnostic("ndisbuf_fault_set", "%s; fault injection left as it was", problem);
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    pthread_mutex_lock(&plan_lock);
    __atomic_store_n(&vf_fault_armed, 0, __ATOMIC_RELEASE);
    if (Plan) {
        __atomic_store_n(&plan.kinds, Plan->Kinds, __ATOMIC_RELAXED);
        __atomic_store_n(&plan.nth, Plan->FailNth, __ATOMIC_RELAXED);
        __atomic_store_n(&plan.every, Plan->FailEvery, __ATOMIC_RELAXED);
        __atomic_store_n(&plan.ppm, Plan->ProbabilityPpm, __ATOMIC_RELAXED);
        __atomic_store_n(&plan.seed, Plan->Seed, __ATOMIC_RELAXED);
        __atomic_store_n(&allocations_counted, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&allocations_failed, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&vf_fault_armed, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&plan_lock);
    return NDIS_STATUS_SUCCESS;
}

ULONG64 ndisbuf_fault_allocations(void)
{
    return __atomic_load_n(&allocations_counted, __ATOMIC_RELAXED);
}

ULONG64 ndisbuf_fault_injected(void)
{
    return __atomic_load_n(&allocations_failed, __ATOMIC_RELAXED);
}

/* ------------------------------------------------- forced RESOURCES */

VOID ndisbuf_fault_force_resources(ULONG EveryNth)
{
    __atomic_store_n(&vf_fault_resources_armed, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&resources_every, EveryNth, __ATOMIC_RELAXED);
    __atomic_store_n(&receives_seen, 0, __ATOMIC_RELAXED);
    if (EveryNth)
        __atomic_store_n(&vf_fault_resources_armed, 1, __ATOMIC_RELEASE);
}

bool vf_fault_resources_decide(void)
{
    ULONG every = __atomic_load_n(&resources_every, __ATOMIC_RELAXED);
    ULONG64 n = __atomic_add_fetch(&receives_seen, 1, __ATOMIC_RELAXED);
    return every && n % every == 0;
}

/* --------------------------------------------------------------- parsing */

/* A decimal number (or 0x-hex when hex_ok) of exactly len characters, at most max. */
static bool parse_number(const char *text, size_t len, bool hex_ok, ULONG64 max, ULONG64 *out)
{
    return hex_ok ? number_parse_c(text, len, max, out) : number_parse(text, len, 10, max, out);
}

/* "nbl+nb+mdl" (or with '|'): the NDISBUF_FAULT_* mask; false for an unknown name. */
static bool parse_kinds(const char *text, size_t len, ULONG *kinds, char *error, size_t error_size)
{
    *kinds = 0;
    for (size_t at = 0; at <= len;) {
        size_t n = strcspn(text + at, "+|,");
        n = at + n > len ? len - at : n;
        size_t i = 0;
        while (i < KIND_NAME_COUNT && (strlen(kind_names[i].name) != n || strncmp(kind_names[i].name, text + at, n)))
            i++;
        if (i == KIND_NAME_COUNT) {
            snprintf(error, error_size, "unknown kind '%.*s' (nbl, nb, mdl, context, retreat, packet, buffer, "
                                        "memory, pool, all)", (int)n, text + at);
            return false;
        }
        *kinds |= kind_names[i].kind;
        at += n + 1;
    }
    return true;
}

/* One "key=value" (or "count") item into *p; *counting set by "count". */
static bool parse_item(const char *item, size_t len, NDISBUF_FAULT_PLAN *p, bool *counting, char *error,
                       size_t error_size)
{
    const char *eq = memchr(item, '=', len);
    size_t key_len = eq ? (size_t)(eq - item) : len;
    const char *value = eq ? eq + 1 : item + len;
    size_t value_len = eq ? len - key_len - 1 : 0;
    ULONG64 n = 0;
#define KEY_IS(k) (key_len == sizeof(k) - 1 && !strncmp(item, k, key_len))
    if (KEY_IS("count") && !eq)
        return *counting = true;
    if (eq && KEY_IS("kinds"))
        return parse_kinds(value, value_len, &p->Kinds, error, error_size);
    bool known = eq && (KEY_IS("nth") || KEY_IS("every") || KEY_IS("ppm") || KEY_IS("seed"));
    if (!known) {
        snprintf(error, error_size, "'%.*s' is not nth=, every=, ppm=, seed=, kinds= or count", (int)len, item);
        return false;
    }
    ULONG64 max = KEY_IS("ppm") ? FAULT_PPM_SCALE : KEY_IS("seed") ? 0xFFFFFFFFull : ~0ull;
    if (!parse_number(value, value_len, KEY_IS("seed"), max, &n)) {
        snprintf(error, error_size, "'%.*s': the value is not a number in 0..%llu", (int)len, item,
                 (unsigned long long)max);
        return false;
    }
    if (KEY_IS("nth"))
        p->FailNth = n;
    else if (KEY_IS("every"))
        p->FailEvery = n;
    else if (KEY_IS("ppm"))
        p->ProbabilityPpm = (ULONG)n;
    else
        p->Seed = (ULONG)n;
    return true;
#undef KEY_IS
}

bool vf_fault_parse(const char *spec, NDISBUF_FAULT_PLAN *out, char *error, size_t error_size)
{
    NDISBUF_FAULT_PLAN p = {.Kinds = NDISBUF_FAULT_ALL};
    bool counting = false;
    if (!spec || !*spec) {
        snprintf(error, error_size, "the plan is empty");
        return false;
    }
    for (const char *item = spec;;) {
        size_t len = strcspn(item, ",");
        /* kinds=a+b: a ',' ends the item, so kinds lists use '+' or '|' */
        if (!len) {
            snprintf(error, error_size, "an empty item (two commas, or a comma at an end)");
            return false;
        }
        if (!parse_item(item, len, &p, &counting, error, error_size))
            return false;
        if (!item[len])
            break;
        item += len + 1;
    }
    if (counting && (p.FailNth || p.FailEvery || p.ProbabilityPpm)) {
        snprintf(error, error_size, "count fails nothing: it takes no nth, every or ppm");
        return false;
    }
    if (counting)
        p.FailNth = VF_FAULT_COUNT_ONLY;
    const char *problem = fault_plan_problem(&p);
    if (problem) {
        snprintf(error, error_size, "%s", problem);
        return false;
    }
    *out = p;
    return true;
}

/* NDISBUF_FAULT=<plan> arms fault injection before main(); a bad plan is one line on stderr. */
__attribute__((constructor)) static void fault_plan_from_environment(void)
{
    const char *spec = getenv("NDISBUF_FAULT");
    NDISBUF_FAULT_PLAN p;
    char error[192];
    if (!spec || !*spec)
        return;
    if (!vf_fault_parse(spec, &p, error, sizeof(error))) {
        vf_diagnostic("NDISBUF_FAULT", "'%s': %s; fault injection stays off", spec, error);
        return;
    }
    ndisbuf_fault_set(&p);
}
