/* SPDX-License-Identifier: MIT */
/*
 * ipv4_fragmenter.c: IPv4 fragmentation and reassembly without copying a
 * byte of payload, written as an NDIS intermediate driver would write it.
 *
 *   packet:     | Ethernet 14 | IPv4 20 | payload ...................... |
 *   fragments:  | Eth | IPv4' | payload[0, n) |
 *               | Eth | IPv4' | payload[n, 2n) |   ...
 *
 * Split: NdisAllocateFragmentNetBufferList skips the 34 header bytes of
 * the packet (StartOffset), cuts the payload into pieces of a multiple of
 * 8 bytes that fit the MTU (MaximumLength), and gives every piece 34 bytes
 * of header room of its own (DataOffsetDelta). Each fragment's headers are
 * the packet's, with its own total length, fragment offset, more-fragments
 * flag and checksum. Join: NdisAllocateReassembledNetBufferList skips the
 * 34 header bytes of every fragment and describes the payloads as one
 * packet, again with 34 bytes of room for headers, which are the first
 * fragment's made whole again.
 *
 * The deriving driver keeps the parent's ChildRefCount (the library sets
 * ParentNetBufferList); the parent must not be freed while it is not zero.
 * The packet must have options-free IPv4 headers (IHL 5), and one packet
 * per NET_BUFFER_LIST (Split uses the first NET_BUFFER).
 */
#include <ndis.h>

#define IPFRAG_ETHERNET_LENGTH 14
#define IPFRAG_IPV4_LENGTH 20
#define IPFRAG_HEADERS_LENGTH (IPFRAG_ETHERNET_LENGTH + IPFRAG_IPV4_LENGTH)
#define IPFRAG_MORE_FRAGMENTS 0x2000
#define IPFRAG_OFFSET_MASK 0x1FFF

PNET_BUFFER_LIST IpFragSplit(PNET_BUFFER_LIST Packet, NDIS_HANDLE NblPool, NDIS_HANDLE NbPool, ULONG Mtu);
VOID IpFragFreeFragments(PNET_BUFFER_LIST Fragments);
PNET_BUFFER_LIST IpFragJoin(PNET_BUFFER_LIST Fragments, NDIS_HANDLE NblPool);
VOID IpFragFreeJoined(PNET_BUFFER_LIST Packet);

static USHORT IpFragGet16(const UCHAR *Bytes)
{
    return (USHORT)((Bytes[0] << 8) | Bytes[1]);
}

static VOID IpFragPut16(PUCHAR Bytes, USHORT Value)
{
    Bytes[0] = (UCHAR)(Value >> 8);
    Bytes[1] = (UCHAR)Value;
}

/* Sets the IPv4 header's length, fragment field and checksum. */
static VOID IpFragFinishHeader(PUCHAR Ip, ULONG PayloadLength, USHORT FragmentField)
{
    ULONG Sum = 0;

    IpFragPut16(Ip + 2, (USHORT)(IPFRAG_IPV4_LENGTH + PayloadLength));
    IpFragPut16(Ip + 6, FragmentField);
    IpFragPut16(Ip + 10, 0);
    for (ULONG i = 0; i < IPFRAG_IPV4_LENGTH; i += 2)
        Sum += IpFragGet16(Ip + i);
    while (Sum >> 16)
        Sum = (Sum & 0xFFFF) + (Sum >> 16);
    IpFragPut16(Ip + 10, (USHORT)~Sum);
}

/*
 * The header room of a derived NET_BUFFER: its first 34 bytes, which the
 * library made contiguous (a new MDL), so the pointer is into the packet.
 */
static PUCHAR IpFragHeaderRoom(PNET_BUFFER NetBuffer)
{
    return NdisGetDataBuffer(NetBuffer, IPFRAG_HEADERS_LENGTH, NULL, 1, 0);
}

PNET_BUFFER_LIST IpFragSplit(PNET_BUFFER_LIST Packet, NDIS_HANDLE NblPool, NDIS_HANDLE NbPool, ULONG Mtu)
{
    UCHAR Storage[IPFRAG_HEADERS_LENGTH];
    PUCHAR Headers;
    ULONG PieceLength = (Mtu - IPFRAG_IPV4_LENGTH) & ~7u; /* offsets count 8-byte units */
    ULONG PayloadOffset = 0;
    PNET_BUFFER_LIST Fragments;

    if (Mtu < IPFRAG_IPV4_LENGTH + 8)
        return NULL;
    Headers = NdisGetDataBuffer(NET_BUFFER_LIST_FIRST_NB(Packet), IPFRAG_HEADERS_LENGTH, Storage, 1, 0);
    if (Headers == NULL)
        return NULL;
    Fragments = NdisAllocateFragmentNetBufferList(Packet, NblPool, NbPool, IPFRAG_HEADERS_LENGTH, PieceLength,
                                                  IPFRAG_HEADERS_LENGTH, 0, 0);
    if (Fragments == NULL)
        return NULL;
    for (PNET_BUFFER Nb = NET_BUFFER_LIST_FIRST_NB(Fragments); Nb != NULL; Nb = NET_BUFFER_NEXT_NB(Nb)) {
        PUCHAR Room = IpFragHeaderRoom(Nb);
        ULONG Piece = NET_BUFFER_DATA_LENGTH(Nb) - IPFRAG_HEADERS_LENGTH;
        USHORT Field = (USHORT)(PayloadOffset / 8);

        if (NET_BUFFER_NEXT_NB(Nb) != NULL)
            Field |= IPFRAG_MORE_FRAGMENTS;
        NdisMoveMemory(Room, Headers, IPFRAG_HEADERS_LENGTH);
        IpFragFinishHeader(Room + IPFRAG_ETHERNET_LENGTH, Piece, Field);
        PayloadOffset += Piece;
    }
    Packet->ChildRefCount++;
    return Fragments;
}

VOID IpFragFreeFragments(PNET_BUFFER_LIST Fragments)
{
    PNET_BUFFER_LIST Packet = Fragments->ParentNetBufferList;

    NdisFreeFragmentNetBufferList(Fragments, IPFRAG_HEADERS_LENGTH, 0);
    Packet->ChildRefCount--;
}

PNET_BUFFER_LIST IpFragJoin(PNET_BUFFER_LIST Fragments, NDIS_HANDLE NblPool)
{
    UCHAR Storage[IPFRAG_HEADERS_LENGTH];
    PUCHAR First = NdisGetDataBuffer(NET_BUFFER_LIST_FIRST_NB(Fragments), IPFRAG_HEADERS_LENGTH, Storage, 1, 0);
    PNET_BUFFER_LIST Packet;
    PNET_BUFFER Nb;
    PUCHAR Room;

    if (First == NULL)
        return NULL;
    Packet = NdisAllocateReassembledNetBufferList(Fragments, NblPool, IPFRAG_HEADERS_LENGTH,
                                                  IPFRAG_HEADERS_LENGTH, 0, 0);
    if (Packet == NULL)
        return NULL;
    Nb = NET_BUFFER_LIST_FIRST_NB(Packet);
    Room = IpFragHeaderRoom(Nb);
    NdisMoveMemory(Room, First, IPFRAG_HEADERS_LENGTH);
    IpFragFinishHeader(Room + IPFRAG_ETHERNET_LENGTH, NET_BUFFER_DATA_LENGTH(Nb) - IPFRAG_HEADERS_LENGTH, 0);
    Fragments->ChildRefCount++;
    return Packet;
}

VOID IpFragFreeJoined(PNET_BUFFER_LIST Packet)
{
    PNET_BUFFER_LIST Fragments = Packet->ParentNetBufferList;

    NdisFreeReassembledNetBufferList(Packet, IPFRAG_HEADERS_LENGTH, 0);
    Fragments->ChildRefCount--;
}
