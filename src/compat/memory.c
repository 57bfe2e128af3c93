/* SPDX-License-Identifier: MIT */
/*
 * NdisFreeMemoryWithTagPriority, the NDIS 6 partner of
 * NdisAllocateMemoryWithTagPriority (tagged memory lives in
 * src/ndis5/memory.c; this file only adds the second way to free it).
 */
#include "ndis.h"

VOID NdisFreeMemoryWithTagPriority(NDIS_HANDLE NdisHandle, PVOID VirtualAddress, ULONG Tag)
{
    (void)NdisHandle;
    (void)Tag;
    NdisFreeMemory(VirtualAddress, 0, 0);
}
