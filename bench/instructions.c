/* SPDX-License-Identifier: MIT */
/*
 * Instruction counts of the single-thread operations of ops.h (ndisbuf,
 * glibc, DPDK and the floor), the stable figure: run under
 * `valgrind --tool=callgrind` by bench/callgrind.sh, which reads the dumps.
 *
 * For each operation: a warm-up, then zero the counters, run N1
 * operations, dump ("<key> <scale> <N1>"); zero, run N2, dump. The script
 * takes (Ir(N2) - Ir(N1)) / (N2 - N1): what one loop iteration costs, with
 * everything done once per run (call, setup) cancelled out; it then takes
 * off the empty loop's own per-iteration count ("loop").
 *
 * Outside valgrind it says so and does nothing (make bench runs it through
 * the script). NDISBUF_BENCH_CG_DPDK=0 leaves DPDK out.
 */
#include "ops.h"

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND 1
#endif
#endif

#define CG_N1 1000L
#define CG_N2 11000L

#ifndef HAVE_CALLGRIND
int main(void)
{
    printf("bench_instructions: built without <valgrind/callgrind.h> (valgrind-dev); skipped\n");
    return 0;
}
#else
static void measure(const char *key, void (*run)(long), long scale)
{
    char label[128];
    run(CG_N1); /* warm up: grow the pool, fill the magazines */
    long counts[2] = {CG_N1, CG_N2};
    for (int i = 0; i < 2; i++) {
        CALLGRIND_ZERO_STATS;
        run(counts[i]);
        snprintf(label, sizeof label, "%s %ld %ld", key, scale, counts[i]);
        CALLGRIND_DUMP_STATS_AT(label);
    }
}

int main(void)
{
    if (!RUNNING_ON_VALGRIND) {
        printf("bench_instructions: counts instructions under callgrind only: bench/callgrind.sh <build dir>\n");
        return 0;
    }
    const char *d = getenv("NDISBUF_BENCH_CG_DPDK");
    ops_setup(!(d && strcmp(d, "0") == 0));
    measure("loop", op_loop, 1);
    for (size_t i = 0; i < OPS_SIDE_COUNT; i++) {
        const struct bench_side *s = &ops_sides[i];
        if (s->run && s->ready())
            measure(s->key, s->run, s->scale ? s->scale : 1);
    }
    ops_teardown();
    return 0;
}
#endif
