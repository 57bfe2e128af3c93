/* SPDX-License-Identifier: MIT */
/*
 * `ndisbuf show`: an NBL chain built from real frames, shown by the
 * library's diagnostics (docs/diagnostics.md).
 *
 * One NBL pool (tag "Show") with an NB per NBL and DataSize back-fill +
 * longest frame; each frame gets an NBL, its NB advanced past the
 * back-fill and cut to the frame's length (what is left after it is the
 * NB's unused tail), and the frame copied in. As a protocol driver would
 * on receive, the NBL's flags and frame type say what the frame carries.
 * The chain is then dumped (ndisbuf_nbl_dump), drawn
 * (ndisbuf_nbl_write_dot, rendered by Graphviz's dot) and written back out
 * (ndisbuf_nbl_write_pcap). Everything is freed, and the library's
 * counters must then show nothing outstanding and no pool alive.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "show.h"
#include "tool.h"

#define SHOW_POOL_TAG ((ULONG)'S' | (ULONG)'h' << 8 | (ULONG)'o' << 16 | (ULONG)'w' << 24)

typedef struct show_run {
    show_options o;
    show_frames frames;
    NDIS_HANDLE pool;
    PNET_BUFFER_LIST chain;
    char dot_temp[64]; /* the picture for --svg/--png without --dot; "" when none */
} show_run;

static NDIS_HANDLE show_pool_create(const show_run *r)
{
    NET_BUFFER_LIST_POOL_PARAMETERS p;
    memset(&p, 0, sizeof(p));
    p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    p.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    p.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    p.fAllocateNetBuffer = TRUE;
    p.ContextSize = (USHORT)r->o.context;
    p.DataSize = r->o.backfill + r->frames.longest;
    p.PoolTag = SHOW_POOL_TAG;
    return NdisAllocateNetBufferListPool(NULL, &p);
}

/* What a receiving protocol learns from the headers: NblFlags and the frame type (network order). */
static void show_describe_frame(PNET_BUFFER_LIST nbl, const show_frame *f)
{
    const UCHAR *b = f->bytes;
    if (f->length < 14)
        return;
    NET_BUFFER_LIST_INFO(nbl, NetBufferListFrameType) = (PVOID)(ULONG_PTR)(b[12] | b[13] << 8);
    unsigned ethertype = (unsigned)b[12] << 8 | b[13];
    UCHAR protocol = 0;
    if (ethertype == 0x0800 && f->length >= 34) {
        NdisSetNblFlag(nbl, NDIS_NBL_FLAGS_IS_IPV4);
        protocol = b[23];
    } else if (ethertype == 0x86DD && f->length >= 54) {
        NdisSetNblFlag(nbl, NDIS_NBL_FLAGS_IS_IPV6);
        protocol = b[20];
    }
    if (protocol == 6)
        NdisSetNblFlag(nbl, NDIS_NBL_FLAGS_IS_TCP);
    else if (protocol == 17)
        NdisSetNblFlag(nbl, NDIS_NBL_FLAGS_IS_UDP);
}

/* One NBL holding the frame behind the back-fill; NULL when the pool is out of memory. */
static PNET_BUFFER_LIST show_nbl_for_frame(const show_run *r, const show_frame *f)
{
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(r->pool, (USHORT)r->o.context, 0);
    if (!nbl)
        return NULL;
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    NdisAdvanceNetBufferDataStart(nb, r->o.backfill, FALSE, NULL);
    NET_BUFFER_DATA_LENGTH(nb) = f->length;
    if (f->length) {
        UCHAR *data = NdisGetDataBuffer(nb, f->length, NULL, 1, 0); /* the element's data: contiguous */
        memcpy(data, f->bytes, f->length);
    }
    show_describe_frame(nbl, f);
    return nbl;
}

static bool show_build_chain(show_run *r)
{
    PNET_BUFFER_LIST *link = &r->chain;
    r->pool = show_pool_create(r);
    if (!r->pool) {
        fprintf(stderr, "ndisbuf show: NdisAllocateNetBufferListPool failed: %s\n", ndisbuf_last_diagnostic());
        return false;
    }
    for (ULONG i = 0; i < r->frames.count; i++) {
        *link = show_nbl_for_frame(r, &r->frames.frames[i]);
        if (!*link) {
            fprintf(stderr, "ndisbuf show: NdisAllocateNetBufferList failed for frame %lu: %s\n",
                    (unsigned long)i + 1, ndisbuf_last_diagnostic());
            return false;
        }
        link = &NET_BUFFER_LIST_NEXT_NBL(*link);
    }
    return true;
}

static void show_free_chain(show_run *r)
{
    while (r->chain) {
        PNET_BUFFER_LIST next = NET_BUFFER_LIST_NEXT_NBL(r->chain);
        NET_BUFFER_LIST_NEXT_NBL(r->chain) = NULL;
        NdisFreeNetBufferList(r->chain);
        r->chain = next;
    }
    if (r->pool)
        NdisFreeNetBufferListPool(r->pool);
    r->pool = NULL;
}

/* The .dot file to render from: --dot's, or a temporary one. NULL after a message. */
static const char *show_dot_file(show_run *r)
{
    if (r->o.dot)
        return r->o.dot;
    const char *dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(r->dot_temp, sizeof(r->dot_temp), "%.40s/ndisbuf-show-XXXXXX", dir);
    int fd = mkstemp(r->dot_temp);
    if (fd < 0) {
        fprintf(stderr, "ndisbuf show: cannot create a temporary file in %s\n", dir);
        r->dot_temp[0] = '\0';
        return NULL;
    }
    close(fd);
    return r->dot_temp;
}

static bool show_write_dot(show_run *r, const char *path)
{
    FILE *out = fopen(path, "w");
    NDIS_STATUS status = out ? ndisbuf_nbl_write_dot(r->chain, out) : NDIS_STATUS_FAILURE;
    if (out && fclose(out) != 0)
        status = NDIS_STATUS_FAILURE;
    if (status != NDIS_STATUS_SUCCESS) {
        fprintf(stderr, "ndisbuf show: cannot write the picture to '%s'\n", path);
        return false;
    }
    if (r->o.dot)
        printf("picture   %s (Graphviz dot)\n", path);
    return true;
}

static bool show_pictures(show_run *r)
{
    if (!r->o.dot && !r->o.svg && !r->o.png)
        return true;
    const char *dot_file = show_dot_file(r);
    bool ok = dot_file && show_write_dot(r, dot_file);
    const char *formats[2] = {"svg", "png"}, *outputs[2] = {r->o.svg, r->o.png};
    for (int i = 0; i < 2 && ok; i++) {
        if (!outputs[i])
            continue;
        ok = show_render(dot_file, formats[i], outputs[i]);
        if (ok)
            printf("picture   %s (%s, rendered by dot)\n", outputs[i], formats[i]);
    }
    if (r->dot_temp[0])
        unlink(r->dot_temp);
    return ok;
}

static bool show_export(const show_run *r)
{
    if (!r->o.pcap_out)
        return true;
    if (ndisbuf_nbl_write_pcap(r->chain, r->o.pcap_out) != NDIS_STATUS_SUCCESS) {
        fprintf(stderr, "ndisbuf show: %s\n", ndisbuf_last_diagnostic());
        return false;
    }
    printf("pcap      %lu frames in %s\n", (unsigned long)r->frames.count, r->o.pcap_out);
    return true;
}

static int show_start(show_run *r)
{
    int rc = show_check_outputs(&r->o);
    if (rc == SHOW_EXIT_OK)
        rc = show_frames_load(&r->o, &r->frames);
    if (rc != SHOW_EXIT_OK)
        return rc;
    bool ok = show_build_chain(r);
    if (ok) {
        ndisbuf_nbl_dump(r->chain, r->o.dump_flags, stdout);
        printf("\n");
        ok = show_pictures(r) && show_export(r);
    }
    show_free_chain(r);
    ULONG64 outstanding = ndisbuf_outstanding_total();
    ULONG pools = ndisbuf_live_pool_count();
    if (outstanding || pools) {
        fprintf(stderr, "ndisbuf show: leak: %llu objects outstanding, %lu pools live\n",
                (unsigned long long)outstanding, (unsigned long)pools);
        ok = false;
    }
    return ok ? SHOW_EXIT_OK : SHOW_EXIT_FAILED;
}

int tool_show(int argc, char **argv)
{
    show_run r = {0};
    switch (show_parse_options(argc, argv, &r.o)) {
    case SHOW_PARSE_HELP: return SHOW_EXIT_OK;
    case SHOW_PARSE_USAGE: return SHOW_EXIT_USAGE;
    case SHOW_PARSE_RUN: break;
    }
    int rc = show_start(&r);
    show_frames_free(&r.frames);
    return rc;
}
