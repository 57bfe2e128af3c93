/* SPDX-License-Identifier: MIT */
/*
 * Copying out-of-band information from one NET_BUFFER_LIST to another.
 *
 * A filter or intermediate driver that clones an NBL, or builds a new one,
 * to pass a send down or a receive up must carry the NBL's out-of-band
 * information across. Microsoft documents exactly which info slots each
 * direction copies; the two lists differ (a send carries its cancel id and
 * protocol id, a receive its frame type and RSS hash). Each list lives in
 * one table below, so one place decides each subset; every slot not in the
 * table is left as the destination had it. Aliases share a slot, so naming
 * either one copies the same pointer-sized value.
 */
#include "config.h"
#include "ndis.h"
#include "verify/verify.h"

#define INFO_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Send path, as listed on
 * https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi/nblapi/nf-nblapi-ndiscopysendnetbufferlistinfo
 * checksum offload, IPsec v1 offload, large send offload, 802.1Q tag,
 * media-specific data, the cancel id, the protocol id (the frame-type
 * slot), the IPsec v2 tunnel and header information (Vista SP1), the
 * virtual subnet (Windows 8, AMD64 only; ndisbuf is x64) and the VMQ /
 * SR-IOV filtering information (Windows 8). Not the RSS hash.
 */
static const NDIS_NET_BUFFER_LIST_INFO send_info_ids[] = {
    TcpIpChecksumNetBufferListInfo,
    IPsecOffloadV1NetBufferListInfo,
    TcpLargeSendNetBufferListInfo,
    Ieee8021QNetBufferListInfo,
    MediaSpecificInformation,
    NetBufferListCancelId,
    NetBufferListProtocolId,
    IPsecOffloadV2TunnelNetBufferListInfo,
    IPsecOffloadV2HeaderNetBufferListInfo,
    VirtualSubnetInfo,
    NetBufferListFilteringInfo,
};

/*
 * Receive path, as listed on
 * https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi/nblapi/nf-nblapi-ndiscopyreceivenetbufferlistinfo
 * checksum results, IPsec v1 offload, the TCP chimney no-push flag (the
 * large-send slot), 802.1Q tag, media-specific data, the frame type, the
 * RSS hash value and hash information, the IPsec v2 tunnel and header
 * information, the virtual subnet and the filtering information. Not the
 * cancel id.
 */
static const NDIS_NET_BUFFER_LIST_INFO receive_info_ids[] = {
    TcpIpChecksumNetBufferListInfo,
    IPsecOffloadV1NetBufferListInfo,
    TcpReceiveNoPush,
    Ieee8021QNetBufferListInfo,
    MediaSpecificInformation,
    NetBufferListFrameType,
    NetBufferListHashValue,
    NetBufferListHashInfo,
    IPsecOffloadV2TunnelNetBufferListInfo,
    IPsecOffloadV2HeaderNetBufferListInfo,
    VirtualSubnetInfo,
    NetBufferListFilteringInfo,
};

/* Copies the listed slots; the NULL checks come first so a failed call changes nothing. */
static void info_copy(PNET_BUFFER_LIST dst, const NET_BUFFER_LIST *src, const NDIS_NET_BUFFER_LIST_INFO *ids,
                      size_t count, const char *fn)
{
    if (NDISBUF_UNLIKELY(!dst || !src)) {
        vf_diagnostic(fn, "%s is NULL; nothing copied", !dst ? "DestNetBufferList" : "SrcNetBufferList");
        return;
    }
    for (size_t i = 0; i < count; i++)
        NET_BUFFER_LIST_INFO(dst, ids[i]) = NET_BUFFER_LIST_INFO(src, ids[i]);
}

VOID NdisCopySendNetBufferListInfo(PNET_BUFFER_LIST DestNetBufferList, NET_BUFFER_LIST const *SrcNetBufferList)
{
    info_copy(DestNetBufferList, SrcNetBufferList, send_info_ids, INFO_COUNT(send_info_ids),
                     "NdisCopySendNetBufferListInfo");
}

VOID NdisCopyReceiveNetBufferListInfo(PNET_BUFFER_LIST DestNetBufferList, NET_BUFFER_LIST const *SrcNetBufferList)
{
    info_copy(DestNetBufferList, SrcNetBufferList, receive_info_ids, INFO_COUNT(receive_info_ids),
                     "NdisCopyReceiveNetBufferListInfo");
}
