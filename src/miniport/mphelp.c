/* SPDX-License-Identifier: MIT */

/* Helpers shared by the miniports ndisbuf ships (mphelp.h). */
#include "mphelp.h"

VOID MpDeriveMacAddress(const char *Name, UCHAR Kind, PUCHAR MacAddress)
{
    ULONG Hash = 2166136261u; /* FNV-1a */

    for (; Name != NULL && *Name != '\0'; Name++)
        Hash = (Hash ^ (UCHAR)*Name) * 16777619u;
    MacAddress[0] = 0x02;
    MacAddress[1] = 0x00;
    MacAddress[2] = Kind;
    MacAddress[3] = (UCHAR)(Hash >> 16);
    MacAddress[4] = (UCHAR)(Hash >> 8);
    MacAddress[5] = (UCHAR)Hash;
}

NDIS_STATUS MpAnswerQuery(PNDIS_OID_REQUEST Request, const VOID *Data, ULONG Length)
{
    Request->DATA.QUERY_INFORMATION.BytesWritten = 0;
    if (Request->DATA.QUERY_INFORMATION.InformationBufferLength < Length) {
        Request->DATA.QUERY_INFORMATION.BytesNeeded = Length;
        return NDIS_STATUS_BUFFER_TOO_SHORT;
    }
    NdisMoveMemory(Request->DATA.QUERY_INFORMATION.InformationBuffer, Data, Length);
    Request->DATA.QUERY_INFORMATION.BytesWritten = Length;
    Request->DATA.QUERY_INFORMATION.BytesNeeded = 0;
    return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS MpAnswerCounter(PNDIS_OID_REQUEST Request, _Atomic ULONG64 *Statistic)
{
    ULONG64 Counter = atomic_load_explicit(Statistic, memory_order_relaxed);
    ULONG Low = (ULONG)Counter;

    if (Request->DATA.QUERY_INFORMATION.InformationBufferLength == sizeof(ULONG))
        return MpAnswerQuery(Request, &Low, sizeof(Low));
    return MpAnswerQuery(Request, &Counter, sizeof(Counter));
}

NDIS_STATUS MpReadUlong(PNDIS_OID_REQUEST Request, PULONG Value)
{
    Request->DATA.SET_INFORMATION.BytesRead = 0;
    if (Request->DATA.SET_INFORMATION.InformationBufferLength < sizeof(ULONG)) {
        Request->DATA.SET_INFORMATION.BytesNeeded = sizeof(ULONG);
        return NDIS_STATUS_INVALID_LENGTH;
    }
    NdisMoveMemory(Value, Request->DATA.SET_INFORMATION.InformationBuffer, sizeof(ULONG));
    Request->DATA.SET_INFORMATION.BytesRead = sizeof(ULONG);
    Request->DATA.SET_INFORMATION.BytesNeeded = 0;
    return NDIS_STATUS_SUCCESS;
}

NDIS_HANDLE MpAllocateReceivePool(NDIS_HANDLE MiniportAdapterHandle, ULONG PoolTag, ULONG DataSize)
{
    NET_BUFFER_LIST_POOL_PARAMETERS Parameters;

    NdisZeroMemory(&Parameters, sizeof(Parameters));
    Parameters.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    Parameters.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    Parameters.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    Parameters.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
    Parameters.fAllocateNetBuffer = TRUE;
    Parameters.PoolTag = PoolTag;
    Parameters.DataSize = DataSize;
    Parameters.ContextSize = MP_RECEIVE_CONTEXT_BACKFILL;
    return NdisAllocateNetBufferListPool(MiniportAdapterHandle, &Parameters);
}

PNET_BUFFER_LIST MpAllocateReceiveNbl(NDIS_HANDLE ReceivePool)
{
    /* No used context: the element's own block, all of it room for the layers above. */
    return NdisAllocateNetBufferList(ReceivePool, 0, MP_RECEIVE_CONTEXT_BACKFILL);
}
