/* SPDX-License-Identifier: MIT */
/*
 * The instruction sets the harnesses interpret, shared with the seed writer
 * (seeds.c). An instruction is one opcode byte (taken modulo the count, so
 * every byte is an instruction) followed by exactly the number of argument
 * bytes the table below gives it, whatever the arguments say; inputs stay
 * meaningful under mutation and seeds can be written by hand. The comment on
 * each opcode names its arguments in order ("16" = two bytes, little endian).
 * Plain C: no library header, so seeds.c builds without the library.
 */
#ifndef NDISBUF_FUZZ_OPS_H
#define NDISBUF_FUZZ_OPS_H

#include <stdint.h>

/* ---- fuzz_api_sequence ---- */
enum api_op {
    API_POOL_NBL,    /* slot, flags (1 fAllocateNetBuffer, 2 DataSize, 0x80 bad ContextSize), ctx, data16, proto */
    API_POOL_NB,     /* slot, flags (1 DataSize), data16 */
    API_POOL_FREE,   /* which (0x80 NB pool), variant (1: free one with objects out, expect POOL_NOT_EMPTY) */
    API_CHAIN,       /* slot, mdls, seed16, size16: a caller MDL chain over a buffer of known bytes */
    API_NBL_ALLOC,   /* slot, pool, ctx, ctxbackfill, mode (1 AndNetBuffer, 0x80 bad), chain, off16, len16 */
    API_NB_ALLOC,    /* lone slot, pool, chain, off16, len16, mode (0x80 bad) */
    API_NB_ATTACH,   /* nbl, lone: links a lone NB at the end of a plain NBL */
    API_NB_DETACH,   /* nbl, lone slot: unlinks the last NB the NBL was not allocated with */
    API_FREE,        /* nbl, variant (0: the right free; others: one deliberate mistake, its report expected) */
    API_NB_FREE,     /* lone, variant (1: then again, DOUBLE_FREE expected; 2: an NBL's own NB, WRONG_FREE_CALL) */
    API_CLONE,       /* slot, parent, flags (1 USE_ORIGINAL_MDLS), nbl pool, nb pool */
    API_FRAGMENT,    /* slot, parent, start16, max16, delta, backfill, pools, variant (1: StartOffset too big) */
    API_REASSEMBLE,  /* slot, parent, start16, delta, backfill, pool, variant (1: StartOffset too big) */
    API_RETREAT,     /* nb, delta16, backfill, mode (0 library, 1 handler, 2 short handler, 3 failing, 4/5 overflow), extra */
    API_ADVANCE,     /* nb, delta16, flags (1 FreeMdl, 2 FreeMdlHandler, 4 beyond DataLength) */
    API_NBL_RETREAT, /* nbl, delta16, backfill, mode (bit0 handler, bit1 FreeMdlHandler), fail_at, extra */
    API_NBL_ADVANCE, /* nbl, delta16, flags (as API_ADVANCE) */
    API_CTX,         /* nbl, op (0/1 allocate, 2 free, 3 mismatched free), size, backfill */
    API_WRITE,       /* nb, off16, len, seed, mode (0 walk the chain, 1 through NdisGetDataBuffer) */
    API_GET,         /* nb, n16, align, alignoffset, flags (1 storage, 2 bad alignment) */
    API_COPY,        /* dst, src, dstoff16, srcoff16, bytes16, flags (1 BytesCopied NULL) */
    API_INFO,        /* nbl, op (0 set, 1 copy send, 2 copy receive, 3 protocol id), id, value, src */
    API_FRONT_MDL,   /* nb, len, seed: the driver links an MDL of its own in front of the chain */
    API_MISC,        /* nb, which (0 NdisAdjustNetBufferCurrentMdl, 1 physical count, 2 pools) */
    API_FAULT,       /* kinds, nth: the next instruction's nth allocation of those kinds fails (fault injection) */
    API_BACK_MDL,    /* nb, len, extend: the driver links an MDL of its own at the end, DataLength may grow into it */
    API_OP_COUNT
};

static const uint8_t api_op_args[API_OP_COUNT] = {
    [API_POOL_NBL] = 6,  [API_POOL_NB] = 4,    [API_POOL_FREE] = 2,   [API_CHAIN] = 6,
    [API_NBL_ALLOC] = 10, [API_NB_ALLOC] = 8,  [API_NB_ATTACH] = 2,   [API_NB_DETACH] = 2,
    [API_FREE] = 2,      [API_NB_FREE] = 2,    [API_CLONE] = 5,       [API_FRAGMENT] = 10,
    [API_REASSEMBLE] = 8, [API_RETREAT] = 6,   [API_ADVANCE] = 4,     [API_NBL_RETREAT] = 7,
    [API_NBL_ADVANCE] = 4, [API_CTX] = 4,      [API_WRITE] = 6,       [API_GET] = 6,
    [API_COPY] = 9,      [API_INFO] = 5,       [API_FRONT_MDL] = 3,   [API_MISC] = 2,
    [API_FAULT] = 2,     [API_BACK_MDL] = 3,
};

/* ---- fuzz_data_access ---- */
/*
 * Input: two NBs, A and B, each described by
 *   seed16, size16 (buffer), mdls (count), then per MDL: kind, start16, len16,
 *   then off16, len16 (the window, reduced to fit), how (0 NdisAllocateNetBuffer,
 *   1 NdisAllocateNetBufferAndNetBufferList)
 * then instructions until the input ends.
 */
#define DA_MAX_MDLS 8
enum da_mdl_kind {
    DA_MDL_STRUCT,   /* MmInitializeMdl + MmBuildMdlForNonPagedPool on the harness's storage */
    DA_MDL_NDIS,     /* NdisAllocateMdl */
    DA_MDL_IO,       /* IoAllocateMdl + MmBuildMdlForNonPagedPool */
    DA_MDL_IO_RAW,   /* IoAllocateMdl, never built (the address comes from StartVa + ByteOffset) */
    DA_MDL_SHORTENED, /* NdisAllocateMdl over more bytes, then NdisAdjustMdlLength down */
    DA_MDL_PARTIAL,  /* the harness's storage, flagged MDL_PARTIAL, mapped at the buffer */
    DA_MDL_KIND_COUNT
};
enum da_op {
    DA_GET,      /* nb, n16, align, alignoffset, flags (1 storage) */
    DA_COPY,     /* dst, src, dstoff16, srcoff16, bytes16 */
    DA_WINDOW,   /* nb, off16, len16: DataOffset/DataLength set by hand, then NdisAdjustNetBufferCurrentMdl */
    DA_WRITE,    /* nb, seed: new bytes in the whole buffer */
    DA_PHYSICAL, /* nb */
    DA_ADJUST,   /* nb, mdl, len16, variant (1: lengthen a library MDL, expect MDL_LENGTHENED):
                  * NdisAdjustMdlLength on an MDL of the chain, then the window made to fit */
    DA_OP_COUNT
};
static const uint8_t da_op_args[DA_OP_COUNT] = {
    [DA_GET] = 6, [DA_COPY] = 8, [DA_WINDOW] = 5, [DA_WRITE] = 2, [DA_PHYSICAL] = 1, [DA_ADJUST] = 5,
};

/* ---- fuzz_ndis5_chain ---- */
enum n5_op {
    N5_PACKET_POOL,  /* slot, descriptors, overflow, reserved */
    N5_BUFFER_POOL,  /* slot, descriptors */
    N5_POOL_FREE,    /* which (0x80 buffer pool), variant (1: with objects out, expect POOL_NOT_EMPTY) */
    N5_PACKET_ALLOC, /* slot, pool */
    N5_PACKET_FREE,  /* packet, variant (1: buffers still chained, expect PACKET_HAS_BUFFERS) */
    N5_BUFFER_ALLOC, /* slot, pool (0xFF: NULL, the library's own; 0xFE: the driver's own MDL), memory, off16, len16 */
    N5_BUFFER_FREE,  /* buffer, variant (1: then again, DOUBLE_FREE expected) */
    N5_CHAIN_FRONT,  /* packet, buffer, count (that many free buffers linked as one chain) */
    N5_CHAIN_BACK,   /* packet, buffer, count */
    N5_UNCHAIN_FRONT, /* packet */
    N5_UNCHAIN_BACK, /* packet */
    N5_QUERY,        /* packet, outputs (bit mask; 0xC0: a NULL packet, NULL_OBJECT expected) */
    N5_FIRST_BUFFER, /* packet, flags (1 Safe, 0x80: a NULL output, NULL_OBJECT expected) */
    N5_COPY,         /* dst, src, dstoff16, srcoff16, bytes16, safe */
    N5_ADJUST,       /* buffer, len16, variant (1: lengthen, expect MDL_LENGTHENED) */
    N5_REINIT,       /* packet */
    N5_WRITE,        /* memory, seed */
    N5_MEMORY,       /* slot, len16, tag: NdisAllocateMemoryWithTag (or free the slot's block) */
    N5_OP_COUNT
};
static const uint8_t n5_op_args[N5_OP_COUNT] = {
    [N5_PACKET_POOL] = 4, [N5_BUFFER_POOL] = 2,  [N5_POOL_FREE] = 2,    [N5_PACKET_ALLOC] = 2,
    [N5_PACKET_FREE] = 2, [N5_BUFFER_ALLOC] = 7, [N5_BUFFER_FREE] = 2,  [N5_CHAIN_FRONT] = 3,
    [N5_CHAIN_BACK] = 3,  [N5_UNCHAIN_FRONT] = 1, [N5_UNCHAIN_BACK] = 1, [N5_QUERY] = 2,
    [N5_FIRST_BUFFER] = 2, [N5_COPY] = 9,        [N5_ADJUST] = 4,       [N5_REINIT] = 1,
    [N5_WRITE] = 2,       [N5_MEMORY] = 4,
};

#endif /* NDISBUF_FUZZ_OPS_H */
