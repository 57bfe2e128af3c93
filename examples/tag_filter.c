/* SPDX-License-Identifier: MIT */
/*
 * tag_filter.c: the data path of a small filter driver, written as a
 * Windows filter sample would be. On send it inserts a 4-byte tag after
 * the 12 bytes of Ethernet MAC addresses; on receive it strips the tag
 * again and gives it to the caller.
 *
 *   send:     | dst MAC | src MAC | EtherType ...
 *   becomes:  | dst MAC | src MAC | tag (4, big-endian) | EtherType ...
 *
 * Adding: NdisRetreatNetBufferListDataStart makes 4 bytes of room in
 * front of each NET_BUFFER (from its back-fill, or in a new MDL when it
 * has too little), the MAC addresses move 4 bytes forward and the tag goes
 * behind them. Removing: the tag is read, the MAC addresses move back and
 * NdisAdvanceNetBufferListDataStart gives the 4 bytes back, freeing the
 * MDL a retreat may have added. The header may be split across MDLs, so
 * it is read with NdisGetDataBuffer and, when it was copied into local
 * storage, written back MDL by MDL.
 */
#include <ndis.h>

#define TAG_FILTER_MAC_LENGTH 12 /* destination and source addresses */
#define TAG_FILTER_TAG_LENGTH 4
#define TAG_FILTER_HEADER_LENGTH (TAG_FILTER_MAC_LENGTH + TAG_FILTER_TAG_LENGTH)

NDIS_STATUS TagFilterAddTag(PNET_BUFFER_LIST NetBufferList, ULONG Tag);
NDIS_STATUS TagFilterRemoveTag(PNET_BUFFER_LIST NetBufferList, PULONG Tag);

/* Copies Length bytes of Buffer into the packet, Offset bytes after its data start. */
static VOID TagFilterWriteNetBuffer(PNET_BUFFER NetBuffer, ULONG Offset, const UCHAR *Buffer, ULONG Length)
{
    PMDL Mdl = NET_BUFFER_CURRENT_MDL(NetBuffer);
    ULONG MdlOffset = NET_BUFFER_CURRENT_MDL_OFFSET(NetBuffer) + Offset;

    while (Mdl != NULL && Length != 0) {
        PUCHAR Va;
        ULONG MdlLength;

        NdisQueryMdl(Mdl, (PVOID *)&Va, &MdlLength, NormalPagePriority);
        if (MdlOffset >= MdlLength) {
            MdlOffset -= MdlLength;
        } else {
            ULONG Bytes = MdlLength - MdlOffset;

            if (Bytes > Length)
                Bytes = Length;
            RtlMoveMemory(Va + MdlOffset, Buffer, Bytes);
            Buffer += Bytes;
            Length -= Bytes;
            MdlOffset = 0;
        }
        NdisGetNextMdl(Mdl, &Mdl);
    }
}

/* The 4 bytes in front of the MAC addresses are new room: shift the MACs into it, tag behind them. */
static VOID TagFilterInsertTag(PNET_BUFFER NetBuffer, ULONG Tag)
{
    UCHAR Storage[TAG_FILTER_HEADER_LENGTH];
    PUCHAR Header;

    /* DataLength >= TAG_FILTER_HEADER_LENGTH after the retreat, so never NULL. */
    Header = NdisGetDataBuffer(NetBuffer, TAG_FILTER_HEADER_LENGTH, Storage, 1, 0);
    RtlMoveMemory(Header, Header + TAG_FILTER_TAG_LENGTH, TAG_FILTER_MAC_LENGTH);
    Header[TAG_FILTER_MAC_LENGTH + 0] = (UCHAR)(Tag >> 24);
    Header[TAG_FILTER_MAC_LENGTH + 1] = (UCHAR)(Tag >> 16);
    Header[TAG_FILTER_MAC_LENGTH + 2] = (UCHAR)(Tag >> 8);
    Header[TAG_FILTER_MAC_LENGTH + 3] = (UCHAR)Tag;
    if (Header == Storage)
        TagFilterWriteNetBuffer(NetBuffer, 0, Storage, TAG_FILTER_HEADER_LENGTH);
}

/* Reads the tag and shifts the MAC addresses back over it. */
static ULONG TagFilterExtractTag(PNET_BUFFER NetBuffer)
{
    UCHAR Storage[TAG_FILTER_HEADER_LENGTH];
    PUCHAR Header;
    ULONG Tag;

    /* The caller checked DataLength >= TAG_FILTER_HEADER_LENGTH, so never NULL. */
    Header = NdisGetDataBuffer(NetBuffer, TAG_FILTER_HEADER_LENGTH, Storage, 1, 0);
    Tag = ((ULONG)Header[TAG_FILTER_MAC_LENGTH + 0] << 24) | ((ULONG)Header[TAG_FILTER_MAC_LENGTH + 1] << 16) |
          ((ULONG)Header[TAG_FILTER_MAC_LENGTH + 2] << 8) | (ULONG)Header[TAG_FILTER_MAC_LENGTH + 3];
    RtlMoveMemory(Header + TAG_FILTER_TAG_LENGTH, Header, TAG_FILTER_MAC_LENGTH);
    if (Header == Storage)
        TagFilterWriteNetBuffer(NetBuffer, TAG_FILTER_TAG_LENGTH, Storage + TAG_FILTER_TAG_LENGTH,
                                TAG_FILTER_MAC_LENGTH);
    return Tag;
}

/* True when every NET_BUFFER of the NBL holds at least MinimumLength bytes. */
static BOOLEAN TagFilterAllAtLeast(PNET_BUFFER_LIST NetBufferList, ULONG MinimumLength)
{
    PNET_BUFFER NetBuffer;

    for (NetBuffer = NET_BUFFER_LIST_FIRST_NB(NetBufferList); NetBuffer != NULL;
         NetBuffer = NET_BUFFER_NEXT_NB(NetBuffer)) {
        if (NET_BUFFER_DATA_LENGTH(NetBuffer) < MinimumLength)
            return FALSE;
    }
    return TRUE;
}

/*
 * Send path: tags every NET_BUFFER of the NBL. On failure the NBL is
 * unchanged: NDIS_STATUS_INVALID_LENGTH for a frame shorter than the MAC
 * addresses, or the retreat's status (NDIS_STATUS_RESOURCES).
 */
NDIS_STATUS TagFilterAddTag(PNET_BUFFER_LIST NetBufferList, ULONG Tag)
{
    PNET_BUFFER NetBuffer;
    NDIS_STATUS Status;

    if (!TagFilterAllAtLeast(NetBufferList, TAG_FILTER_MAC_LENGTH))
        return NDIS_STATUS_INVALID_LENGTH;

    /* All or nothing: if one NET_BUFFER cannot get its room, none keeps any. */
    Status = NdisRetreatNetBufferListDataStart(NetBufferList, TAG_FILTER_TAG_LENGTH, 0, NULL, NULL);
    if (Status != NDIS_STATUS_SUCCESS)
        return Status;

    for (NetBuffer = NET_BUFFER_LIST_FIRST_NB(NetBufferList); NetBuffer != NULL;
         NetBuffer = NET_BUFFER_NEXT_NB(NetBuffer))
        TagFilterInsertTag(NetBuffer, Tag);
    return NDIS_STATUS_SUCCESS;
}

/*
 * Receive path: strips the tag from every NET_BUFFER of the NBL and
 * returns the first one's in *Tag. NDIS_STATUS_INVALID_PACKET, with the
 * NBL unchanged, when a frame is too short to carry a tag.
 */
NDIS_STATUS TagFilterRemoveTag(PNET_BUFFER_LIST NetBufferList, PULONG Tag)
{
    PNET_BUFFER NetBuffer;

    if (!TagFilterAllAtLeast(NetBufferList, TAG_FILTER_HEADER_LENGTH))
        return NDIS_STATUS_INVALID_PACKET;

    *Tag = 0;
    for (NetBuffer = NET_BUFFER_LIST_FIRST_NB(NetBufferList); NetBuffer != NULL;
         NetBuffer = NET_BUFFER_NEXT_NB(NetBuffer)) {
        ULONG NetBufferTag = TagFilterExtractTag(NetBuffer);

        if (NetBuffer == NET_BUFFER_LIST_FIRST_NB(NetBufferList))
            *Tag = NetBufferTag;
    }

    /* Give the 4 bytes back; FreeMdl releases an MDL the send-side retreat added. */
    NdisAdvanceNetBufferListDataStart(NetBufferList, TAG_FILTER_TAG_LENGTH, TRUE, NULL);
    return NDIS_STATUS_SUCCESS;
}
