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

/* Copies a query's answer out, or says how many bytes it needs (BUFFER_TOO_SHORT). */
NDIS_STATUS MpAnswerQuery(PNDIS_OID_REQUEST Request, const VOID *Data, ULONG Length);
/* Answers a statistics counter: a ULONG64, or its low ULONG in a 4-byte buffer (as documented). */
NDIS_STATUS MpAnswerCounter(PNDIS_OID_REQUEST Request, _Atomic ULONG64 *Statistic);
/* Reads the ULONG a set carries, or says it needs one (INVALID_LENGTH). */
NDIS_STATUS MpReadUlong(PNDIS_OID_REQUEST Request, PULONG Value);
/*
 * A receive pool: every NBL comes with its own NB, MDL and DataSize bytes.
 * NULL when the pool cannot be made.
 */
NDIS_HANDLE MpAllocateReceivePool(NDIS_HANDLE MiniportAdapterHandle, ULONG PoolTag, ULONG DataSize);
/*
 * Clears the out-of-band information an overlying driver may have left on
 * a returned receive NBL. The slots are nearly always NULL already, so they
 * are tested rather than all rewritten for every frame.
 */
VOID MpClearInfo(PNET_BUFFER_LIST Nbl);

#endif /* NDISBUF_MINIPORT_MPHELP_H */
