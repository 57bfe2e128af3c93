/* SPDX-License-Identifier: MIT */
/*
 * fuzz_seeds: writes the seed corpora, fuzz/corpus/<harness>/seed-*.
 *
 *   fuzz_seeds DIR      (make fuzz-seeds: DIR is fuzz/corpus)
 *
 * Each seed is a small program in a harness's instruction set (fuzz_ops.h)
 * that walks one feature the way a driver uses it: a header pushed into
 * back-fill and popped, a retreat through an MDL handler that fails, a
 * clone written through, fragments reassembled, a context stack, a packet
 * whose buffers are chained at both ends and copied, and each deliberate
 * mistake a harness knows. The fuzzer starts from them instead of from
 * nothing; the minimised corpus a run leaves (make fuzz) is kept beside
 * them. Plain C: no library, no fuzzer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_ops.h"

struct seed {
    uint8_t b[4096];
    size_t n;
};

static const char *out_dir;
static unsigned written;

static void put(struct seed *s, int op, const uint8_t *table, const int *args, size_t count)
{
    if (count != table[op]) {
        fprintf(stderr, "fuzz_seeds: opcode %d takes %u arguments, %zu given\n", op, table[op], count);
        exit(1);
    }
    if (s->n + 1 + count > sizeof(s->b)) {
        fprintf(stderr, "fuzz_seeds: seed too long\n");
        exit(1);
    }
    s->b[s->n++] = (uint8_t)op;
    for (size_t i = 0; i < count; i++)
        s->b[s->n++] = (uint8_t)args[i];
}

static void raw(struct seed *s, int byte)
{
    s->b[s->n++] = (uint8_t)byte;
}

#define ARGS(...) (const int[]){__VA_ARGS__}, sizeof((int[]){__VA_ARGS__}) / sizeof(int)
#define API(s, op, ...) put((s), (op), api_op_args, ARGS(__VA_ARGS__))
#define DA(s, op, ...) put((s), (op), da_op_args, ARGS(__VA_ARGS__))
#define N5(s, op, ...) put((s), (op), n5_op_args, ARGS(__VA_ARGS__))
/* A 16-bit argument: two bytes, little endian. */
#define W(x) ((x) & 0xFF), (((x) >> 8) & 0xFF)

static void make_dir(const char *path)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "fuzz_seeds: mkdir %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

static void emit(const char *harness, const char *name, const struct seed *s)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", out_dir, harness);
    make_dir(path);
    snprintf(path, sizeof(path), "%s/%s/seed-%s", out_dir, harness, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(s->b, 1, s->n, f) != s->n || fclose(f) != 0) {
        fprintf(stderr, "fuzz_seeds: cannot write %s\n", path);
        exit(1);
    }
    written++;
}

/* ------------------------------------------------------------ fuzz_api_sequence */

#define APIH "fuzz_api_sequence"

/* An NBL pool with NBs and 16 bytes of context, a 3-MDL chain (contiguous, 200 bytes), one NBL over it. */
static void api_basic_world(struct seed *s, int off, int len)
{
    API(s, API_POOL_NBL, 0, 1, 2, W(0), 3);
    API(s, API_CHAIN, 0, 0x80 | 2, W(0x1234), W(199));
    API(s, API_NBL_ALLOC, 0, 0, 1, 0, 1, 0, W(off), W(len));
}

/* An NB pool and a few lone NBs over a second chain (random MDLs, zero-length ones likely). */
static void api_lone_nbs(struct seed *s, int count)
{
    API(s, API_POOL_NB, 0, 0, W(0));
    API(s, API_CHAIN, 1, 5, W(0x0BAD), W(300));
    for (int i = 0; i < count; i++)
        API(s, API_NB_ALLOC, i, 0, 1, W(7 * i), W(40 + i), 0);
}

static void api_seeds(void)
{
    struct seed s;

    /* A header pushed into the back-fill, written, read, popped. */
    memset(&s, 0, sizeof(s));
    api_basic_world(&s, 40, 120);
    API(&s, API_RETREAT, 0, W(14), 0, 0, 0);
    API(&s, API_WRITE, 0, W(0), 14, 1, 1);
    API(&s, API_GET, 0, W(14), 3, 2, 0);
    API(&s, API_ADVANCE, 0, W(14), 1);
    emit(APIH, "header-in-backfill", &s);

    /* No back-fill: the library allocates a front MDL; advance with FreeMdl frees it. */
    memset(&s, 0, sizeof(s));
    api_basic_world(&s, 0, 150);
    API(&s, API_RETREAT, 0, W(34), 8, 0, 0);
    API(&s, API_WRITE, 0, W(0), 34, 2, 0);
    API(&s, API_GET, 0, W(40), 0, 0, 1);
    API(&s, API_RETREAT, 0, W(6), 0, 0, 0);
    API(&s, API_ADVANCE, 0, W(40), 1);
    emit(APIH, "retreat-allocates", &s);

    /* Retreats through an AllocateMdlHandler (with extra bytes), advance through FreeMdlHandler. */
    memset(&s, 0, sizeof(s));
    api_basic_world(&s, 2, 100);
    API(&s, API_RETREAT, 0, W(20), 4, 1, 5);
    API(&s, API_RETREAT, 0, W(30), 0, 1, 0);
    API(&s, API_WRITE, 0, W(0), 50, 3, 0);
    API(&s, API_ADVANCE, 0, W(30), 1);
    API(&s, API_ADVANCE, 0, W(20), 3);
    emit(APIH, "handler-retreat-advance", &s);

    /* A handler that gives too little, one that fails: RESOURCES, the NB unchanged. */
    memset(&s, 0, sizeof(s));
    api_basic_world(&s, 0, 60);
    API(&s, API_RETREAT, 0, W(20), 30, 2, 10);
    API(&s, API_RETREAT, 0, W(20), 30, 2, 63);
    API(&s, API_RETREAT, 0, W(20), 0, 3, 0);
    API(&s, API_RETREAT, 0, W(1), 0, 4, 0);
    API(&s, API_RETREAT, 0, W(5), 0, 5, 0);
    emit(APIH, "handler-short-failing-overflow", &s);

    /* An NBL with three NBs retreated together; the second handler call fails: all rolled back. */
    memset(&s, 0, sizeof(s));
    API(&s, API_POOL_NBL, 0, 0, 0, W(0), 0);
    API(&s, API_NBL_ALLOC, 0, 0, 0, 0, 0, 0, W(0), W(0));
    api_lone_nbs(&s, 3);
    API(&s, API_NB_ATTACH, 0, 0);
    API(&s, API_NB_ATTACH, 0, 1);
    API(&s, API_NB_ATTACH, 0, 2);
    API(&s, API_NBL_RETREAT, 0, W(50), 8, 3, 2, 4);
    API(&s, API_NBL_RETREAT, 0, W(50), 8, 1, 0, 0x85);
    API(&s, API_NBL_RETREAT, 0, W(10), 0, 0, 0, 0);
    API(&s, API_NBL_ADVANCE, 0, W(60), 3);
    API(&s, API_NBL_ADVANCE, 0, W(0), 4);
    API(&s, API_NB_DETACH, 0, 0);
    emit(APIH, "nbl-retreat-rollback", &s);

    /* The context stack: allocation-time context, pushes, pops, a mismatched free. */
    memset(&s, 0, sizeof(s));
    api_basic_world(&s, 0, 10);
    API(&s, API_CTX, 0, 0, 0, 0);
    API(&s, API_CTX, 0, 0, 3, 2);
    API(&s, API_CTX, 0, 1, 7, 4);
    API(&s, API_CTX, 0, 2, 0, 0);
    API(&s, API_CTX, 0, 3, 0, 0);
    API(&s, API_CTX, 0, 0, 0x85, 0);
    API(&s, API_CTX, 0, 0, 1, 1);
    emit(APIH, "context-stack", &s);

    /* Clones of both kinds, written through, retreated, freed. */
    memset(&s, 0, sizeof(s));
    api_basic_world(&s, 30, 150);
    API(&s, API_CLONE, 1, 0, 0, 4, 2);
    API(&s, API_CLONE, 2, 0, 1, 4, 2);
    API(&s, API_WRITE, 1, W(3), 20, 5, 0);
    API(&s, API_RETREAT, 2, W(10), 0, 0, 0);
    API(&s, API_RETREAT, 1, W(10), 0, 0, 0);
    API(&s, API_GET, 0, W(30), 2, 0, 1);
    API(&s, API_FREE, 1, 0);
    API(&s, API_FREE, 1, 0);
    emit(APIH, "clones", &s);

    /* Fragments with header room, headers written, reassembled past them. */
    memset(&s, 0, sizeof(s));
    api_basic_world(&s, 0, 199);
    API(&s, API_FRAGMENT, 1, 0, W(14), W(48), 21, 0, 0x24, 0);
    API(&s, API_WRITE, 1, W(0), 34, 6, 1);
    API(&s, API_REASSEMBLE, 2, 1, W(34), 35, 4, 4, 0);
    API(&s, API_GET, 5, W(60), 4, 0, 1);
    API(&s, API_FREE, 2, 0);
    API(&s, API_FREE, 1, 0);
    emit(APIH, "fragment-reassemble", &s);

    /* A tree: a clone of a clone, fragments of the clone, a reassembly of those. */
    memset(&s, 0, sizeof(s));
    api_basic_world(&s, 10, 180);
    API(&s, API_POOL_NBL, 1, 0, 0, W(0), 5);
    API(&s, API_POOL_NB, 1, 0, W(0));
    API(&s, API_CLONE, 1, 0, 0, 1, 1);
    API(&s, API_CLONE, 2, 1, 1, 4, 2);
    API(&s, API_FRAGMENT, 3, 2, W(0), W(30), 8, 8, 0x14, 0);
    API(&s, API_REASSEMBLE, 4, 3, W(8), 6, 0, 0, 0);
    API(&s, API_COPY, 3, 0, W(2), W(5), W(20), 0);
    API(&s, API_FREE, 0, 3);
    emit(APIH, "derived-tree", &s);

    /* DataSize pools: an NBL with its own data, an NB with its own data; copies between them. */
    memset(&s, 0, sizeof(s));
    API(&s, API_POOL_NBL, 0, 3, 1, W(255), 2);
    API(&s, API_POOL_NB, 0, 1, W(127));
    API(&s, API_NBL_ALLOC, 0, 0, 0, 0, 0, 0, W(0), W(0));
    API(&s, API_NB_ALLOC, 0, 0, 0, W(0), W(0), 0);
    API(&s, API_WRITE, 0, W(0), 200, 9, 0);
    API(&s, API_COPY, 1, 0, W(0), W(10), W(100), 0);
    API(&s, API_ADVANCE, 1, W(50), 1);
    API(&s, API_RETREAT, 1, W(60), 0, 0, 0);
    API(&s, API_CLONE, 1, 0, 0, 4, 2);
    emit(APIH, "datasize-pools", &s);

    /* NdisCopyFromNetBufferToNetBuffer across MDLs, short copies, offsets past the chain. */
    memset(&s, 0, sizeof(s));
    api_basic_world(&s, 5, 150);
    api_lone_nbs(&s, 2);
    API(&s, API_COPY, 0, 1, W(3), W(4), W(100), 0);
    API(&s, API_COPY, 1, 2, W(0), W(0), W(1000), 8);
    API(&s, API_COPY, 2, 0, W(0), W(0), W(10), 2);
    API(&s, API_COPY, 2, 0, W(0), W(0), W(10), 1);
    emit(APIH, "copies", &s);

    /* NdisGetDataBuffer: in place, through storage, alignment, bad alignment. */
    memset(&s, 0, sizeof(s));
    api_lone_nbs(&s, 2);
    for (int i = 0; i < 8; i++)
        API(&s, API_GET, i & 1, W(1 + 5 * i), i, i * 3, i & 1);
    API(&s, API_GET, 0, W(4), 0x83, 0, 3);
    API(&s, API_GET, 0, W(4), 3, 9, 2);
    emit(APIH, "get-data-buffer", &s);

    /* Out-of-band information: slots set, send and receive copies, protocol id. */
    memset(&s, 0, sizeof(s));
    api_basic_world(&s, 0, 10);
    API(&s, API_NBL_ALLOC, 1, 0, 0, 0, 0, 0, W(0), W(0));
    for (int id = 0; id < 27; id += 3)
        API(&s, API_INFO, 0, 0, id, id + 1, 0);
    API(&s, API_INFO, 1, 1, 0, 0, 0);
    API(&s, API_INFO, 1, 2, 0, 0, 0);
    API(&s, API_INFO, 0, 3, 0, 9, 0);
    emit(APIH, "info", &s);

    /* Every deliberate mistake a free call can make, each refused with its report. */
    memset(&s, 0, sizeof(s));
    api_basic_world(&s, 0, 100);
    api_lone_nbs(&s, 1);
    API(&s, API_CLONE, 1, 0, 0, 4, 2);
    API(&s, API_FREE, 0, 3);  /* children out */
    API(&s, API_FREE, 1, 6);  /* a clone through NdisFreeNetBufferList */
    API(&s, API_FREE, 1, 7);  /* with the wrong flags */
    API(&s, API_FREE, 1, 0);
    API(&s, API_NB_ATTACH, 0, 0);
    API(&s, API_FREE, 0, 4);  /* a separate NB still on it */
    API(&s, API_NB_DETACH, 0, 0);
    API(&s, API_CTX, 0, 0, 3, 0);
    API(&s, API_FREE, 0, 5);  /* context still pushed */
    API(&s, API_FREE, 0, 6);  /* a plain NBL through a derived free call */
    API(&s, API_NB_FREE, 0, 2); /* an NBL's own NB through NdisFreeNetBuffer */
    API(&s, API_POOL_FREE, 0, 1); /* a pool with NBLs out */
    API(&s, API_NB_FREE, 0, 3);   /* freed, then freed again */
    emit(APIH, "mistakes", &s);

    /* Refused allocations: bad pool parameters, the wrong call for a pool, chains too short. */
    memset(&s, 0, sizeof(s));
    API(&s, API_POOL_NBL, 0, 0x81, 1, W(0), 0);
    API(&s, API_POOL_NBL, 0, 2, 1, W(64), 0);
    API(&s, API_POOL_NBL, 0, 3, 1, W(64), 0);
    API(&s, API_POOL_NB, 0, 0, W(0));
    API(&s, API_CHAIN, 0, 1, W(3), W(50));
    API(&s, API_NBL_ALLOC, 0, 0, 0, 0, 0x41, 0, W(0), W(0));
    API(&s, API_NBL_ALLOC, 0, 0, 1, 0, 0x80, 0, W(0), W(0));
    API(&s, API_NB_ALLOC, 0, 0, 0, W(0), W(10), 0x80);
    API(&s, API_FRAGMENT, 1, 0, W(0), W(10), 0, 0, 0, 1);
    API(&s, API_REASSEMBLE, 1, 0, W(0), 0, 0, 0, 1);
    emit(APIH, "refused-allocations", &s);

    /* A driver links its own MDL in front, then reads and copies across it. */
    memset(&s, 0, sizeof(s));
    api_lone_nbs(&s, 1);
    API(&s, API_FRONT_MDL, 0, 14, 1);
    API(&s, API_RETREAT, 0, W(14), 0, 0, 0);
    API(&s, API_GET, 0, W(20), 0, 0, 1);
    API(&s, API_MISC, 0, 0);
    API(&s, API_MISC, 0, 1);
    API(&s, API_MISC, 0, 2);
    API(&s, API_ADVANCE, 0, W(14), 1);
    emit(APIH, "driver-front-mdl", &s);

    /* A driver MDL appended after a retreat MDL and a fragment's MDLs; DataLength grown into it. */
    memset(&s, 0, sizeof(s));
    api_lone_nbs(&s, 1);
    API(&s, API_RETREAT, 0, W(90), 4, 0, 0);
    API(&s, API_ADVANCE, 0, W(60), 0);
    API(&s, API_POOL_NBL, 0, 1, 0, W(0), 0);
    API(&s, API_NBL_ALLOC, 0, 0, 0, 0, 0, 0, W(0), W(0));
    API(&s, API_RETREAT, 1, W(30), 0, 0, 0);
    API(&s, API_BACK_MDL, 1, 20, 15);
    API(&s, API_FRAGMENT, 1, 0, W(5), W(16), 8, 0, 4, 0);
    API(&s, API_BACK_MDL, 2, 10, 10);
    API(&s, API_REASSEMBLE, 2, 1, W(0), 0, 0, 4, 0);
    API(&s, API_ADVANCE, 1, W(40), 1);
    emit(APIH, "driver-back-mdl", &s);

    /* An NB with no chain retreated: the way a driver gets a fresh buffer. */
    memset(&s, 0, sizeof(s));
    API(&s, API_POOL_NB, 0, 0, W(0));
    API(&s, API_NB_ALLOC, 0, 0, 5, W(0), W(0), 0);
    API(&s, API_RETREAT, 0, W(60), 16, 0, 0);
    API(&s, API_WRITE, 0, W(0), 60, 4, 0);
    API(&s, API_RETREAT, 0, W(8), 0, 0, 0);
    API(&s, API_ADVANCE, 0, W(68), 1);
    emit(APIH, "no-chain-retreat", &s);

    /* Pools freed and made again between rounds. */
    memset(&s, 0, sizeof(s));
    for (int round = 0; round < 3; round++) {
        api_basic_world(&s, round, 50);
        API(&s, API_FREE, 0, 0);
        API(&s, API_POOL_FREE, 0, 0);
    }
    emit(APIH, "pool-rounds", &s);

    /* Fault injection: each allocation of a derivation, a retreat, a context push fails in turn. */
    for (int nth = 1; nth <= 3; nth++) {
        memset(&s, 0, sizeof(s));
        api_basic_world(&s, 20, 170);
        API(&s, API_FAULT, 0x01 | 0x02 | 0x04, nth - 1);
        API(&s, API_CLONE, 1, 0, 0, 4, 2);
        API(&s, API_FAULT, 0x01 | 0x02 | 0x04 | 0x10, nth - 1);
        API(&s, API_FRAGMENT, 2, 0, W(10), W(40), 20, 4, 0x24, 0);
        API(&s, API_FAULT, 0x01 | 0x04 | 0x10, nth - 1);
        API(&s, API_REASSEMBLE, 3, 0, W(0), 14, 2, 4, 0);
        API(&s, API_FAULT, 0x10, nth - 1);
        API(&s, API_RETREAT, 0, W(40), 0, nth & 1, 0);
        API(&s, API_FAULT, 0x08, 0);
        API(&s, API_CTX, 0, 0, 3, 1);
        API(&s, API_FAULT, 0x20, 0);
        API(&s, API_POOL_NB, 1, 0, W(0));
        char name[32];
        snprintf(name, sizeof(name), "faults-%d", nth);
        emit(APIH, name, &s);
    }
    memset(&s, 0, sizeof(s));
    API(&s, API_POOL_NBL, 0, 0, 0, W(0), 0);
    API(&s, API_NBL_ALLOC, 0, 0, 0, 0, 0, 0, W(0), W(0));
    api_lone_nbs(&s, 3);
    API(&s, API_NB_ATTACH, 0, 0);
    API(&s, API_NB_ATTACH, 0, 1);
    API(&s, API_NB_ATTACH, 0, 2);
    API(&s, API_FAULT, 0x10, 2);
    API(&s, API_NBL_RETREAT, 0, W(80), 8, 0, 0, 0);
    API(&s, API_FAULT, 0x04, 1);
    API(&s, API_NBL_RETREAT, 0, W(80), 8, 3, 0, 0);
    emit(APIH, "faults-nbl-retreat", &s);

    /* A long mixed program over everything (the same shape with other numbers). */
    for (int v = 0; v < 6; v++) {
        memset(&s, 0, sizeof(s));
        api_basic_world(&s, 11 * v, 60 + 13 * v);
        api_lone_nbs(&s, 2);
        API(&s, API_NB_ATTACH, 0, v & 1);
        API(&s, API_RETREAT, v, W(5 + 17 * v), v, v % 3, v);
        API(&s, API_CLONE, 2, 0, v & 1, v % 5, v % 3);
        API(&s, API_FRAGMENT, 3, v, W(v), W(9 + v * 7), 5 + v, v, 0x10 * (v % 3) + v % 5, 0);
        API(&s, API_WRITE, v + 1, W(v), 30, v, v & 1);
        API(&s, API_CTX, v, v & 1, v, v);
        API(&s, API_COPY, v, v + 2, W(v), W(2 * v), W(64), 0);
        API(&s, API_NBL_RETREAT, v + 1, W(12), 4, v & 3, v, v);
        API(&s, API_MISC, v, 1);
        API(&s, API_FREE, v, v % 3);
        API(&s, API_FREE, v + 1, 0);
        char name[32];
        snprintf(name, sizeof(name), "mixed-%d", v);
        emit(APIH, name, &s);
    }
}

/* ------------------------------------------------------------ fuzz_data_access */

#define DAH "fuzz_data_access"

struct da_mdl {
    int kind, start, len;
};

/* One NB: buffer seed and size, the MDLs, the window, how it is allocated. */
static void da_nb(struct seed *s, int seed, int size, const struct da_mdl *m, int n, int off, int len, int how)
{
    raw(s, seed & 0xFF);
    raw(s, seed >> 8);
    raw(s, (size - 1) & 0xFF);
    raw(s, (size - 1) >> 8);
    raw(s, n);
    for (int i = 0; i < n; i++) {
        raw(s, m[i].kind);
        raw(s, m[i].start & 0xFF);
        raw(s, m[i].start >> 8);
        raw(s, m[i].len & 0xFF);
        raw(s, m[i].len >> 8);
    }
    raw(s, off & 0xFF);
    raw(s, off >> 8);
    raw(s, len & 0xFF);
    raw(s, len >> 8);
    raw(s, how);
}

/* The instructions every data-access seed ends with: reads, copies, a new window, pages. */
static void da_program(struct seed *s, int v)
{
    static const int align[][2] = {{0, 0}, {1, 0}, {2, 1}, {4, 2}, {8, 0}, {9, 5}};
    for (int i = 0; i < 6; i++)
        DA(s, DA_GET, i & 1, W(1 + i * 9 + v), align[i][0], align[i][1], i & 1);
    DA(s, DA_COPY, 0, 1, W(v), W(2 * v), W(100 + v));
    DA(s, DA_COPY, 1, 0, W(3), W(0), W(0xFFFF));
    DA(s, DA_COPY, 0, 0, W(0), W(40), W(20));
    DA(s, DA_PHYSICAL, 0);
    DA(s, DA_WINDOW, 0, W(v), W(50));
    DA(s, DA_GET, 0, W(30), 3, 1, 1);
    DA(s, DA_WRITE, 1, v);
    DA(s, DA_COPY, 0x80, 1, W(0), W(0), W(10));
    DA(s, DA_PHYSICAL, 1);
    DA(s, DA_ADJUST, 0, v, W(3), 0);
    DA(s, DA_GET, 0, W(12), 0, 0, 1);
    DA(s, DA_ADJUST, 0, v, W(9999), 0);
    DA(s, DA_ADJUST, 1, v + 1, W(0), 1);
    DA(s, DA_COPY, 1, 0, W(0), W(0), W(300));
}

static void da_seeds(void)
{
    struct seed s;
    static const struct {
        const char *name;
        int n;
        struct da_mdl m[8];
    } shapes[] = {
        {"no-chain", 0, {{0}}},
        {"one-mdl", 1, {{DA_MDL_NDIS, 0, 300}}},
        {"two-mdls", 2, {{DA_MDL_STRUCT, 0, 100}, {DA_MDL_STRUCT, 100, 200}}},
        {"zero-length-between", 4, {{DA_MDL_IO, 0, 14}, {0x80, 14, 0}, {0x80 | DA_MDL_NDIS, 14, 0}, {DA_MDL_IO, 14, 200}}},
        {"zero-length-ends", 4, {{0x80, 0, 0}, {DA_MDL_NDIS, 0, 60}, {DA_MDL_STRUCT, 60, 60}, {0x80 | DA_MDL_IO, 0, 0}}},
        {"every-kind", 6, {{DA_MDL_STRUCT, 0, 10}, {DA_MDL_NDIS, 10, 20}, {DA_MDL_IO, 30, 30}, {DA_MDL_IO_RAW, 60, 40},
                           {DA_MDL_SHORTENED, 100, 50}, {DA_MDL_PARTIAL, 150, 100}}},
        {"one-byte-mdls", 8, {{0, 0, 1}, {1, 1, 1}, {2, 2, 1}, {3, 3, 1}, {4, 4, 1}, {5, 5, 1}, {0, 6, 1}, {1, 7, 200}}},
        {"overlapping", 3, {{DA_MDL_NDIS, 0, 100}, {DA_MDL_STRUCT, 50, 100}, {DA_MDL_IO, 0, 100}}},
        {"page-crossing", 2, {{DA_MDL_STRUCT, 0, 1500}, {DA_MDL_NDIS, 1500, 547}}},
        {"unbuilt", 3, {{DA_MDL_IO_RAW, 3, 17}, {DA_MDL_IO_RAW, 20, 33}, {DA_MDL_IO_RAW, 53, 100}}},
    };
    for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++)
        for (int v = 0; v < 3; v++) {
            memset(&s, 0, sizeof(s));
            int off = shapes[k].n ? v * 7 : 0, len = shapes[k].n ? 40 + 60 * v : 0;
            da_nb(&s, 0x100 * (int)k + v, 2048, shapes[k].m, shapes[k].n, off, len, v & 1);
            da_nb(&s, 0x77 + v, 2048, shapes[(k + 1 + v) % 10].m, shapes[(k + 1 + v) % 10].n, 0, 100, v == 2);
            da_program(&s, v);
            char name[64];
            snprintf(name, sizeof(name), "%s-%d", shapes[k].name, v);
            emit(DAH, name, &s);
        }
}

/* ------------------------------------------------------------ fuzz_ndis5_chain */

#define N5H "fuzz_ndis5_chain"

/* A packet pool (4 + 2 overflow, 16 reserved bytes), a buffer pool of 8, tagged memory, packets 0 and 1. */
static void n5_world(struct seed *s)
{
    N5(s, N5_PACKET_POOL, 0, 4, 2, 16);
    N5(s, N5_BUFFER_POOL, 0, 8);
    N5(s, N5_MEMORY, 0, W(999), 1);
    N5(s, N5_PACKET_ALLOC, 0, 0);
    N5(s, N5_PACKET_ALLOC, 1, 0);
}

/* Buffers 0..n-1 over memory block 0 (even) and the static buffer (odd), from pool 0 or NULL. */
static void n5_buffers(struct seed *s, int n, int len)
{
    for (int i = 0; i < n; i++)
        N5(s, N5_BUFFER_ALLOC, i, i % 3 == 2 ? 0xFF : 0, i & 1 ? 3 : 0, W(i * 37), W(len + i));
}

static void n5_seeds(void)
{
    struct seed s;

    /* The seed send flow: pools, a packet, memory, buffers, chain, query, unchain, free. */
    memset(&s, 0, sizeof(s));
    n5_world(&s);
    n5_buffers(&s, 3, 60);
    N5(&s, N5_CHAIN_BACK, 0, 0, 0);
    N5(&s, N5_CHAIN_BACK, 0, 1, 0);
    N5(&s, N5_CHAIN_FRONT, 0, 2, 0);
    N5(&s, N5_QUERY, 0, 0x0F);
    N5(&s, N5_UNCHAIN_FRONT, 0);
    N5(&s, N5_UNCHAIN_BACK, 0);
    N5(&s, N5_UNCHAIN_BACK, 0);
    N5(&s, N5_UNCHAIN_BACK, 0);
    N5(&s, N5_PACKET_FREE, 0, 0);
    emit(N5H, "send-flow", &s);

    /* Whole chains linked at once, at the front and at the back. */
    memset(&s, 0, sizeof(s));
    n5_world(&s);
    n5_buffers(&s, 8, 30);
    N5(&s, N5_CHAIN_FRONT, 0, 0, 2);
    N5(&s, N5_CHAIN_BACK, 0, 0, 3);
    N5(&s, N5_CHAIN_FRONT, 1, 0, 1);
    N5(&s, N5_QUERY, 0, 0x0B);
    N5(&s, N5_FIRST_BUFFER, 0, 0);
    N5(&s, N5_FIRST_BUFFER, 1, 1);
    N5(&s, N5_REINIT, 0);
    N5(&s, N5_QUERY, 0, 0x0F);
    emit(N5H, "whole-chains", &s);

    /* The cache: a chained buffer shortened without and with clearing ValidCounts. */
    memset(&s, 0, sizeof(s));
    n5_world(&s);
    n5_buffers(&s, 3, 80);
    N5(&s, N5_CHAIN_BACK, 0, 0, 2);
    N5(&s, N5_QUERY, 0, 0x0F);
    N5(&s, N5_ADJUST, 0, W(10), 0);
    N5(&s, N5_QUERY, 0, 0x08);
    N5(&s, N5_ADJUST, 0, W(20), 2);
    N5(&s, N5_QUERY, 0, 0x2F);
    N5(&s, N5_ADJUST, 1, W(80), 0);
    N5(&s, N5_ADJUST, 1, W(0), 1);
    emit(N5H, "counts-cache", &s);

    /* Copies between packets, across buffers, short, from offsets past the end. */
    for (int v = 0; v < 4; v++) {
        memset(&s, 0, sizeof(s));
        n5_world(&s);
        n5_buffers(&s, 6, 25 + 20 * v);
        N5(&s, N5_CHAIN_BACK, 0, 0, 2);
        N5(&s, N5_CHAIN_BACK, 1, 3, 3);
        N5(&s, N5_COPY, 0, 1, W(v * 5), W(v * 3), W(70 + v * 20), v & 1);
        N5(&s, N5_COPY, 1, 0, W(0), W(0), W(0xFFFF), 0x40);
        N5(&s, N5_COPY, 0, 1, W(500), W(0), W(10), 0);
        N5(&s, N5_WRITE, 3, v);
        N5(&s, N5_COPY, 1, 0, W(1), W(2), W(40), 0);
        char name[32];
        snprintf(name, sizeof(name), "copies-%d", v);
        emit(N5H, name, &s);
    }

    /* Overflow descriptors: more packets than preallocated, then the pool is exhausted. */
    memset(&s, 0, sizeof(s));
    N5(&s, N5_PACKET_POOL, 1, 1, 2, 0);
    for (int i = 0; i < 5; i++)
        N5(&s, N5_PACKET_ALLOC, i, 1 | (i & 1 ? 0x80 : 0));
    N5(&s, N5_PACKET_FREE, 0, 0x80);
    N5(&s, N5_PACKET_ALLOC, 5, 1);
    emit(N5H, "overflow", &s);

    /* A buffer pool's limit, and the library's own pool (PoolHandle NULL) that has none. */
    memset(&s, 0, sizeof(s));
    N5(&s, N5_BUFFER_POOL, 1, 2);
    for (int i = 0; i < 4; i++)
        N5(&s, N5_BUFFER_ALLOC, i, 1, 3, W(i), W(10));
    for (int i = 4; i < 8; i++)
        N5(&s, N5_BUFFER_ALLOC, i, 0xFF, 3, W(i), W(i));
    N5(&s, N5_BUFFER_FREE, 0, 0);
    N5(&s, N5_BUFFER_ALLOC, 9, 1, 3, W(0), W(5));
    emit(N5H, "buffer-limit", &s);

    /* Every deliberate mistake: each refused with its report, nothing changed. */
    memset(&s, 0, sizeof(s));
    n5_world(&s);
    n5_buffers(&s, 3, 40);
    N5(&s, N5_CHAIN_BACK, 0, 0, 1);
    N5(&s, N5_PACKET_FREE, 0, 1);   /* buffers still chained */
    N5(&s, N5_POOL_FREE, 0, 1);     /* a packet pool with packets out */
    N5(&s, N5_POOL_FREE, 0x80, 1);  /* a buffer pool with buffers out */
    N5(&s, N5_ADJUST, 1, W(5), 1);  /* lengthened */
    N5(&s, N5_COPY, 0, 1, W(0), W(0), W(1), 0x80); /* no BytesCopied */
    N5(&s, N5_MEMORY, 1, W(64), 0);
    N5(&s, N5_MEMORY, 1, W(64), 1); /* freed with the wrong length */
    N5(&s, N5_BUFFER_FREE, 1, 1);   /* freed twice */
    N5(&s, N5_PACKET_FREE, 0, 2);   /* the documented pattern: buffers freed while chained, then the packet */
    emit(N5H, "mistakes", &s);

    /* Tagged memory allocated and freed with length 0 and with its length. */
    memset(&s, 0, sizeof(s));
    for (int i = 0; i < 3; i++)
        N5(&s, N5_MEMORY, i, W(100 * i + 1), 2 * i);
    N5(&s, N5_MEMORY, 0, W(0), 2);
    N5(&s, N5_MEMORY, 1, W(0), 0);
    N5(&s, N5_WRITE, 2, 5);
    emit(N5H, "tagged-memory", &s);

    /* Empty packets: unchain, query, first buffer, copy, reinitialise. */
    memset(&s, 0, sizeof(s));
    n5_world(&s);
    N5(&s, N5_UNCHAIN_FRONT, 0);
    N5(&s, N5_UNCHAIN_BACK, 0);
    N5(&s, N5_QUERY, 0, 0x0F);
    N5(&s, N5_FIRST_BUFFER, 0, 1);
    N5(&s, N5_COPY, 0, 1, W(0), W(0), W(10), 0);
    N5(&s, N5_REINIT, 1);
    emit(N5H, "empty-packets", &s);

    /* Zero-length buffers in the middle and at the ends of a chain. */
    memset(&s, 0, sizeof(s));
    n5_world(&s);
    N5(&s, N5_BUFFER_ALLOC, 0, 0, 0, W(0), W(0));
    N5(&s, N5_BUFFER_ALLOC, 1, 0, 0, W(5), W(30));
    N5(&s, N5_BUFFER_ALLOC, 2, 0, 0, W(40), W(0));
    N5(&s, N5_BUFFER_ALLOC, 3, 0, 3, W(9), W(50));
    N5(&s, N5_CHAIN_BACK, 0, 0, 3);
    N5(&s, N5_CHAIN_FRONT, 1, 3, 0);
    N5(&s, N5_COPY, 1, 0, W(0), W(0), W(60), 1);
    N5(&s, N5_QUERY, 0, 0x1F);
    emit(N5H, "zero-length-buffers", &s);

    /* The driver's own MDLs chained among descriptors; a packet freed with only its own MDLs on it. */
    memset(&s, 0, sizeof(s));
    n5_world(&s);
    N5(&s, N5_BUFFER_ALLOC, 0, 0xFE, 0, W(3), W(40));
    N5(&s, N5_BUFFER_ALLOC, 1, 0, 0, W(50), W(20));
    N5(&s, N5_BUFFER_ALLOC, 2, 0xFE, 3, W(7), W(30));
    N5(&s, N5_CHAIN_BACK, 0, 0, 2);
    N5(&s, N5_CHAIN_BACK, 1, 2, 0);
    N5(&s, N5_ADJUST, 0, W(60), 0);
    N5(&s, N5_COPY, 1, 0, W(0), W(5), W(50), 0);
    N5(&s, N5_QUERY, 0, 0xC0);
    N5(&s, N5_FIRST_BUFFER, 0, 0x80);
    N5(&s, N5_PACKET_FREE, 1, 1);
    N5(&s, N5_PACKET_FREE, 0, 2);
    emit(N5H, "driver-mdls", &s);

    /* Longer mixed programs. */
    for (int v = 0; v < 6; v++) {
        memset(&s, 0, sizeof(s));
        n5_world(&s);
        N5(&s, N5_PACKET_POOL, 1, v, 3, 8 * v);
        N5(&s, N5_BUFFER_POOL, 1, 3 + v);
        N5(&s, N5_MEMORY, 1, W(200 + 100 * v), v);
        n5_buffers(&s, 5 + v, 10 + 11 * v);
        N5(&s, N5_PACKET_ALLOC, 2, 1);
        N5(&s, N5_CHAIN_FRONT, v, v, v);
        N5(&s, N5_CHAIN_BACK, v + 1, v + 2, 3 - v % 4);
        N5(&s, N5_ADJUST, v, W(7 * v), v & 2);
        N5(&s, N5_COPY, v, v + 1, W(v), W(v), W(300), v & 1);
        N5(&s, N5_QUERY, v, v * 5);
        N5(&s, N5_UNCHAIN_BACK, v);
        N5(&s, N5_REINIT, v + 1);
        N5(&s, N5_PACKET_FREE, v, v % 3);
        char name[32];
        snprintf(name, sizeof(name), "mixed-%d", v);
        emit(N5H, name, &s);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR  (writes DIR/<harness>/seed-*)\n", argv[0]);
        return 2;
    }
    out_dir = argv[1];
    make_dir(out_dir);
    api_seeds();
    da_seeds();
    n5_seeds();
    printf("fuzz_seeds: %u seeds written under %s\n", written, out_dir);
    return 0;
}
