/* SPDX-License-Identifier: MIT */
/*
 * Helpers the miniports ndisbuf ships share (loopback, fdport): answering
 * OID requests and preparing receive NBLs. Written against <ndis.h> only,
 * like the drivers that use them; not part of the library's exported API.
 */
#ifndef NDISBUF_MINIPORT_MPHELP_H
#define NDISBUF_MINIPORT_MPHELP_H

#include <stdatomic.h>

#include <ndis.h>

/*
 * A locally administered MAC address for an adapter named Name (NULL: no
 * name): 02:00:Kind plus three bytes of the name's FNV-1a hash, so the same
 * name gives the same address and each miniport kind its own range.
 */
VOID MpDeriveMacAddress(const char *Name, UCHAR Kind, PUCHAR MacAddress);
/* Copies a query's answer out, or says how many bytes it needs (BUFFER_TOO_SHORT). */
NDIS_STATUS MpAnswerQuery(PNDIS_OID_REQUEST Request, const VOID *Data, ULONG Length);
/* Answers a statistics counter: a ULONG64, or its low ULONG in a 4-byte buffer (as documented). */
NDIS_STATUS MpAnswerCounter(PNDIS_OID_REQUEST Request, _Atomic ULONG64 *Statistic);
/* Reads the ULONG a set carries, or says it needs one (INVALID_LENGTH). */
NDIS_STATUS MpReadUlong(PNDIS_OID_REQUEST Request, PULONG Value);
/*
 * Context back-fill every receive NBL carries (docs/stack.md, "Miniports"):
 * room for the filters and protocols above to push their per-NBL context
 * with NdisAllocateNetBufferListContext without a block being allocated
 * and freed for every frame (the VLAN filter takes 16 bytes).
 */
#define MP_RECEIVE_CONTEXT_BACKFILL 64

/*
 * A receive pool: every NBL comes with its own NB, MDL and DataSize bytes,
 * and MP_RECEIVE_CONTEXT_BACKFILL bytes of context room. NULL when the pool
 * cannot be made.
 */
NDIS_HANDLE MpAllocateReceivePool(NDIS_HANDLE MiniportAdapterHandle, ULONG PoolTag, ULONG DataSize);
/* One receive NBL of such a pool, all its context room back-fill; NULL when the pool is exhausted. */
PNET_BUFFER_LIST MpAllocateReceiveNbl(NDIS_HANDLE ReceivePool);
/*
 * Clears the out-of-band information an overlying driver may have left on
 * a returned receive NBL, all but NetBufferListProtocolId (the pool's):
 * two zeroings of constant size, which the compiler writes as a few wide
 * stores. (Testing the slots first, to write only when one is set, was a
 * chain of 26 dependent loads and ORs: more than 100 instructions a frame.)
 */
static inline VOID MpClearInfo(PNET_BUFFER_LIST Nbl)
{
    PVOID *Info = Nbl->NetBufferListInfo;

    NdisZeroMemory(Info, NetBufferListProtocolId * sizeof(PVOID));
    NdisZeroMemory(Info + NetBufferListProtocolId + 1,
                   (MaxNetBufferListInfo - NetBufferListProtocolId - 1) * sizeof(PVOID));
}

#endif /* NDISBUF_MINIPORT_MPHELP_H */
