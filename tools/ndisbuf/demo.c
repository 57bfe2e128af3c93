/* SPDX-License-Identifier: MIT */
/*
 * `ndisbuf demo`: the seed documents' NDIS 6 protocol-driver buffer flow on
 * real pools, narrated.
 *
 * A protocol driver sizes its pools for the stack below it (back-fill for
 * the headers lower layers add, context for their per-packet state),
 * creates them, allocates the cheap way (NBL and NB in one block) and the
 * two-call way (NBL, then a separate NB), sends, frees in the documented
 * order (separate NBs before their NBL, every NBL before its pool) and
 * frees the pools. Until the binding stack exists the "send" is a pass over
 * the frames, but every allocation is real and every count is read back
 * from the pools.
 */
#include <ndis.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"

#define DEMO_TAG 0x6F6D6544u /* 'omeD' as a driver writes it: "Demo" in memory */
#define DEMO_FRAME_BYTES 64
#define DEMO_FRAMES 4

/* What the stack below asked for; the binding stack will negotiate these. */
#define STACK_DATA_BACKFILL 32
#define STACK_CONTEXT_BYTES 16

static void fill_pool_parameters(NET_BUFFER_LIST_POOL_PARAMETERS *p, BOOLEAN with_nb)
{
    memset(p, 0, sizeof(*p));
    p->Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    p->Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    p->Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    p->ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
    p->fAllocateNetBuffer = with_nb;
    p->ContextSize = STACK_CONTEXT_BYTES;
    p->PoolTag = DEMO_TAG;
    p->DataSize = 0;
}

static void print_pool(const char *name, NDIS_HANDLE pool)
{
    NDISBUF_POOL_STATS s;
    if (ndisbuf_pool_get_stats(pool, &s) == NDIS_STATUS_SUCCESS)
        printf("    %-22s %llu outstanding, %llu allocations, %llu laid out, %u bytes per element\n", name,
               (unsigned long long)s.Outstanding, (unsigned long long)s.Allocations,
               (unsigned long long)s.Capacity, s.ElementSize);
}

static void build_frame(UCHAR *frame, ULONG bytes, ULONG seq)
{
    static const UCHAR dst[6] = {0x02, 0, 0, 0, 0, 0x02}, src[6] = {0x02, 0, 0, 0, 0, 0x01};
    memset(frame, 0, bytes);
    memcpy(frame, dst, 6);
    memcpy(frame + 6, src, 6);
    frame[12] = 0x88, frame[13] = 0xB5; /* local experimental EtherType */
    for (ULONG i = 14; i < bytes; i++)
        frame[i] = (UCHAR)(seq + i);
}

/* Allocates DEMO_FRAMES NBLs the cheap way, each on its own MDL; returns the chain. */
static PNET_BUFFER_LIST allocate_cheap_way(NDIS_HANDLE nbl_pool, UCHAR frames[][DEMO_FRAME_BYTES],
                                           PMDL mdls[])
{
    PNET_BUFFER_LIST head = NULL, *tail = &head;
    for (ULONG i = 0; i < DEMO_FRAMES; i++) {
        build_frame(frames[i], DEMO_FRAME_BYTES, i);
        mdls[i] = NdisAllocateMdl(NULL, frames[i], DEMO_FRAME_BYTES);
        PNET_BUFFER_LIST nbl = mdls[i] ? NdisAllocateNetBufferAndNetBufferList(
                                             nbl_pool, STACK_CONTEXT_BYTES, 0, mdls[i], 0, DEMO_FRAME_BYTES)
                                       : NULL;
        if (!nbl) {
            fprintf(stderr, "demo: allocation failed: %s\n", ndisbuf_last_diagnostic());
            return head;
        }
        *tail = nbl;
        tail = &NET_BUFFER_LIST_NEXT_NBL(nbl);
    }
    return head;
}

static ULONG64 walk_chain(PNET_BUFFER_LIST chain, ULONG *nbls, ULONG *nbs)
{
    ULONG64 bytes = 0;
    *nbls = *nbs = 0;
    for (PNET_BUFFER_LIST nbl = chain; nbl; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
        (*nbls)++;
        for (PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb; nb = NET_BUFFER_NEXT_NB(nb)) {
            (*nbs)++;
            bytes += NET_BUFFER_DATA_LENGTH(nb);
        }
    }
    return bytes;
}

static void free_cheap_way(PNET_BUFFER_LIST chain, PMDL mdls[])
{
    while (chain) {
        PNET_BUFFER_LIST next = NET_BUFFER_LIST_NEXT_NBL(chain);
        NET_BUFFER_LIST_NEXT_NBL(chain) = NULL;
        NdisFreeNetBufferList(chain); /* frees its own NB; the MDL stays ours */
        chain = next;
    }
    for (ULONG i = 0; i < DEMO_FRAMES; i++)
        if (mdls[i])
            NdisFreeMdl(mdls[i]);
}

static int demo_two_call_way(NDIS_HANDLE nbl_pool_no_nb, NDIS_HANDLE nb_pool)
{
    UCHAR frame[DEMO_FRAME_BYTES + STACK_DATA_BACKFILL];
    build_frame(frame + STACK_DATA_BACKFILL, DEMO_FRAME_BYTES, 7);
    PMDL mdl = NdisAllocateMdl(NULL, frame, sizeof(frame));
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(nbl_pool_no_nb, STACK_CONTEXT_BYTES, 0);
    PNET_BUFFER nb = mdl ? NdisAllocateNetBuffer(nb_pool, mdl, STACK_DATA_BACKFILL, DEMO_FRAME_BYTES) : NULL;
    if (!nbl || !nb) {
        fprintf(stderr, "demo: two-call allocation failed: %s\n", ndisbuf_last_diagnostic());
        return 1;
    }
    NET_BUFFER_LIST_FIRST_NB(nbl) = nb;
    printf("  two-call way: NdisAllocateNetBufferList + NdisAllocateNetBuffer, linked by the driver\n");
    printf("    NB: DataOffset %u (back-fill for the stack), DataLength %u\n", NET_BUFFER_DATA_OFFSET(nb),
           NET_BUFFER_DATA_LENGTH(nb));
    /* Documented order: the separately allocated NB goes first, then its NBL. */
    NET_BUFFER_LIST_FIRST_NB(nbl) = NULL;
    NdisFreeNetBuffer(nb);
    NdisFreeNetBufferList(nbl);
    NdisFreeMdl(mdl);
    printf("    freed: NB first (NdisFreeNetBuffer), then the NBL, then our MDL\n");
    return 0;
}

static NDIS_HANDLE create_nb_pool(void)
{
    NET_BUFFER_POOL_PARAMETERS p = {0};
    p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    p.Header.Revision = NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    p.Header.Size = NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    p.PoolTag = DEMO_TAG;
    return NdisAllocateNetBufferPool(NULL, &p);
}

int tool_demo(int argc, char **argv)
{
    (void)argc, (void)argv;
    printf("ndisbuf %s demo: an NDIS 6 protocol driver's buffer management on real pools\n\n", ndisbuf_version());
    printf("  stack needs: %u bytes of data back-fill, %u bytes of NBL context\n", STACK_DATA_BACKFILL,
           STACK_CONTEXT_BYTES);

    NET_BUFFER_LIST_POOL_PARAMETERS params;
    fill_pool_parameters(&params, TRUE);
    NDIS_HANDLE nbl_pool = NdisAllocateNetBufferListPool(NULL, &params);
    fill_pool_parameters(&params, FALSE);
    NDIS_HANDLE nbl_pool_no_nb = NdisAllocateNetBufferListPool(NULL, &params);
    NDIS_HANDLE nb_pool = create_nb_pool();
    if (!nbl_pool || !nbl_pool_no_nb || !nb_pool) {
        fprintf(stderr, "demo: pool creation failed: %s\n", ndisbuf_last_diagnostic());
        return 1;
    }
    printf("  created 3 pools (tag 'Demo'): NBL+NB, NBL only, NB only\n");

    static UCHAR frames[DEMO_FRAMES][DEMO_FRAME_BYTES];
    PMDL mdls[DEMO_FRAMES] = {0};
    PNET_BUFFER_LIST chain = allocate_cheap_way(nbl_pool, frames, mdls);
    ULONG nbls, nbs;
    ULONG64 bytes = walk_chain(chain, &nbls, &nbs);
    printf("  cheap way: %u x NdisAllocateNetBufferAndNetBufferList -> chain of %u NBLs, %u NBs, %llu bytes\n",
           DEMO_FRAMES, nbls, nbs, (unsigned long long)bytes);
    printf("    first NBL: context %u bytes at %p, pool %p\n", NET_BUFFER_LIST_CONTEXT_DATA_SIZE(chain),
           (void *)NET_BUFFER_LIST_CONTEXT_DATA_START(chain), NdisGetPoolFromNetBufferList(chain));
    print_pool("NBL+NB pool:", nbl_pool);
    free_cheap_way(chain, mdls);
    printf("    freed every NBL (its NB goes with it), then our MDLs\n");

    int rc = demo_two_call_way(nbl_pool_no_nb, nb_pool);
    print_pool("NBL+NB pool:", nbl_pool);
    print_pool("NBL-only pool:", nbl_pool_no_nb);
    print_pool("NB pool:", nb_pool);

    NdisFreeNetBufferListPool(nbl_pool);
    NdisFreeNetBufferListPool(nbl_pool_no_nb);
    NdisFreeNetBufferPool(nb_pool);
    printf("\n  freed the pools; live pools %u, objects outstanding %llu\n", ndisbuf_live_pool_count(),
           (unsigned long long)ndisbuf_outstanding_total());
    return rc || ndisbuf_live_pool_count() || ndisbuf_outstanding_total();
}
