/* SPDX-License-Identifier: MIT */
/*
 * ndisbuf_pools_dump: every live NBL and NB pool, one line each, in the
 * spirit of the kernel debugger's `!ndiskd.nblpool`, then the library's own
 * pools (the NBL and NB pools behind NULL pool handles, and the MDL pool).
 *
 * The registry is walked under its lock, so the rows are copied out first
 * and printed after it is released: a slow or blocked Out never holds up a
 * driver creating or freeing a pool.
 */
#include <stdlib.h>

#include "diag.h"
#include "verify.h"

struct pool_row {
    const struct nbuf_pool *pool;
    ULONG tag;
    NDIS_HANDLE owner;
    const char *kind;
    bool library;
    UCHAR protocol_id;
    USHORT context_size;
    ULONG data_size;
    size_t stride;
    uint64_t allocations, outstanding, capacity;
};

struct pool_rows {
    struct pool_row *rows;
    size_t count, room;
    bool library; /* the pools being collected now are the library's */
    size_t lost;  /* rows not kept for want of memory */
};

static const char *pool_kind_name(const struct nbuf_pool *pool)
{
    switch (pool->kind) {
    case NBUF_POOL_NBL:
        return pool->allocate_nb ? "NBL+NB" : "NBL";
    case NBUF_POOL_NB:
        return "NB";
    case NBUF_POOL_MDL:
        return "MDL";
    }
    return "?";
}

static void collect_row(struct nbuf_pool *pool, void *ctx)
{
    struct pool_rows *rows = ctx;
    if (rows->count == rows->room) {
        size_t room = rows->room ? 2 * rows->room : 16;
        struct pool_row *grown = realloc(rows->rows, room * sizeof(*grown));
        if (!grown) {
            rows->lost++;
            return;
        }
        rows->rows = grown;
        rows->room = room;
    }
    rows->rows[rows->count++] = (struct pool_row){
        .pool = pool, .tag = pool->tag, .owner = pool->owner, .kind = pool_kind_name(pool),
        .library = rows->library, .protocol_id = pool->protocol_id, .context_size = pool->layout.context_size,
        .data_size = pool->layout.data_size, .stride = pool_stride(pool->engine),
        .allocations = pool_allocations(pool->engine), .outstanding = pool_outstanding(pool->engine),
        .capacity = pool_capacity(pool->engine)};
}

/* The second walk sees the drivers' pools again: keep only the library's own. */
static void collect_library_row(struct nbuf_pool *pool, void *ctx)
{
    struct pool_rows *rows = ctx;
    for (size_t i = 0; i < rows->count; i++)
        if (rows->rows[i].pool == pool)
            return;
    collect_row(pool, ctx);
}

struct registry_search {
    const struct nbuf_pool *wanted;
    bool found;
};

static void search_registry(struct nbuf_pool *pool, void *ctx)
{
    struct registry_search *search = ctx;
    search->found = search->found || pool == search->wanted;
}

bool diag_pool_is_library(const struct nbuf_pool *pool)
{
    struct registry_search search = {pool, false};
    pools_for_each_live(search_registry, &search, false);
    return !search.found;
}

static void print_row(FILE *out, const struct pool_row *r)
{
    char tag[5];
    diag_tag_text(r->tag, tag);
    fprintf(out, "%-18p %-4s %-6s ", (const void *)r->pool, tag, r->kind);
    if (r->library || !r->owner)
        fprintf(out, "%-18s", r->library ? "(ndisbuf)" : "NULL");
    else
        fprintf(out, "%-18p", r->owner);
    fprintf(out, " %7zu %8lu %7u  0x%02X %10llu %11llu %9llu\n", r->stride, (unsigned long)r->data_size,
            (unsigned)r->context_size, (unsigned)r->protocol_id, (unsigned long long)r->allocations,
            (unsigned long long)r->outstanding, (unsigned long long)r->capacity);
}

int ndisbuf_pools_dump(FILE *Out)
{
    if (!Out) {
        vf_diagnostic("ndisbuf_pools_dump", "Out is NULL");
        return -1;
    }
    struct pool_rows rows = {0};
    pools_for_each_live(collect_row, &rows, false);
    size_t drivers = rows.count;
    rows.library = true;
    pools_for_each_live(collect_library_row, &rows, true);
    fprintf(Out, "%-18s %-4s %-6s %-18s %7s %8s %7s %5s %10s %11s %9s\n", "Pool", "Tag", "Kind", "Owner",
            "Element", "DataSize", "Context", "Proto", "Allocated", "Outstanding", "Capacity");
    for (size_t i = 0; i < rows.count; i++)
        print_row(Out, &rows.rows[i]);
    if (!drivers)
        fprintf(Out, "(no NBL or NB pool of a driver is live)\n");
    if (rows.lost)
        fprintf(Out, "(%zu pools not listed: out of memory)\n", rows.lost);
    fflush(Out);
    free(rows.rows);
    return (int)rows.count;
}
