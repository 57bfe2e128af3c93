/* SPDX-License-Identifier: MIT */
/*
 * An out-of-tree consumer of the installed ndisbuf, written the way an NDIS 6
 * protocol driver is: it includes only <ndis.h>, creates an NBL pool with a
 * versioned parameter block, describes a frame with an MDL, wraps it in an
 * NBL with one NET_BUFFER, checks the length, and frees everything in
 * reverse order. tests/consumer/check.sh builds it through pkg-config and
 * through find_package(ndisbuf), so both installed interfaces are proven.
 */
#include <ndis.h>
#include <stdio.h>
#include <string.h>

#define CONSUMER_POOL_TAG 'tseT'
#define CONSUMER_CONTEXT_SIZE 16
#define CONSUMER_FRAME_LENGTH 64

static UCHAR ConsumerFrame[CONSUMER_FRAME_LENGTH];

static NDIS_HANDLE ConsumerAllocatePool(void)
{
    NET_BUFFER_LIST_POOL_PARAMETERS params;

    memset(&params, 0, sizeof(params));
    params.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    params.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    params.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    params.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
    params.fAllocateNetBuffer = TRUE;
    params.ContextSize = CONSUMER_CONTEXT_SIZE;
    params.PoolTag = CONSUMER_POOL_TAG;
    params.DataSize = 0;

    return NdisAllocateNetBufferListPool(NULL, &params);
}

int main(void)
{
    NDIS_HANDLE pool;
    PMDL mdl;
    PNET_BUFFER_LIST nbl;
    int rc = 1;

    pool = ConsumerAllocatePool();
    if (pool == NULL) {
        fprintf(stderr, "consumer: NdisAllocateNetBufferListPool failed\n");
        return 1;
    }
    mdl = NdisAllocateMdl(NULL, ConsumerFrame, sizeof(ConsumerFrame));
    if (mdl == NULL) {
        fprintf(stderr, "consumer: NdisAllocateMdl failed\n");
        goto free_pool;
    }
    nbl = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, mdl, 0,
                                                sizeof(ConsumerFrame));
    if (nbl == NULL) {
        fprintf(stderr, "consumer: NdisAllocateNetBufferAndNetBufferList failed\n");
        goto free_mdl;
    }

    if (NET_BUFFER_DATA_LENGTH(NET_BUFFER_LIST_FIRST_NB(nbl)) == sizeof(ConsumerFrame)) {
        rc = 0;
    } else {
        fprintf(stderr, "consumer: NET_BUFFER_DATA_LENGTH is %lu, expected %zu\n",
                (unsigned long)NET_BUFFER_DATA_LENGTH(NET_BUFFER_LIST_FIRST_NB(nbl)),
                sizeof(ConsumerFrame));
    }

    NdisFreeNetBufferList(nbl);
free_mdl:
    NdisFreeMdl(mdl);
free_pool:
    NdisFreeNetBufferListPool(pool);
    if (rc == 0)
        printf("consumer ok\n");
    return rc;
}
