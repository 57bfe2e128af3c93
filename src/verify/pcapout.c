/* SPDX-License-Identifier: MIT */
/*
 * ndisbuf_nbl_write_pcap: the used data of every NB of a chain, one frame
 * per NB, written to a pcap file through libpcap (LINKTYPE_ETHERNET).
 *
 * The chain is checked whole before the file is created, so a chain with a
 * pointer that is no live NBL or NB, or an MDL chain that loops, leaves no
 * half-written file behind. Each frame is copied out through its MDL chain
 * (from CurrentMdl, as a driver reading it would) into one scratch buffer;
 * a frame whose chain holds fewer bytes than DataLength is written with
 * what there is (captured length below the frame's length), as a capture
 * would show a cut frame. Frames get the time of the call, one microsecond
 * apart, so readers keep their order.
 */
#include <stdlib.h>
#include <sys/time.h>

#include <pcap/pcap.h>

#include "diag.h"
#include "verify.h"

#define PCAP_SNAPLEN 65535 /* the longest frame written whole */

/* Whether the NBs of a live NBL may be read and none of their MDL chains loops; names the first problem. */
static bool pcap_nbs_ok(PNET_BUFFER_LIST nbl, const char *fn)
{
    struct diag_loop loop = {nbl->FirstNetBuffer, 0};
    for (PNET_BUFFER nb = nbl->FirstNetBuffer; nb;) {
        enum diag_verdict verdict = diag_check_nb(nb);
        ULONG mdls;
        ULONG64 bytes;
        if (verdict == DIAG_FREED || verdict == DIAG_FOREIGN) {
            vf_diagnostic(fn, "NB %p of NBL %p is %s", (void *)nb, (void *)nbl, diag_verdict_text(verdict, nb));
            return false;
        }
        if (!diag_chain_measure(nb->MdlChain, &mdls, &bytes)) {
            vf_diagnostic(fn, "the MDL chain of NB %p (NBL %p) loops", (void *)nb, (void *)nbl);
            return false;
        }
        nb = nb->Next;
        if (nb && diag_loop_step(&loop, nb)) {
            vf_diagnostic(fn, "the NET_BUFFER list of NBL %p loops", (void *)nbl);
            return false;
        }
    }
    return true;
}

/* Whether every NBL of the chain is live and its NBs may be written; names the first problem. */
static bool pcap_chain_ok(PNET_BUFFER_LIST chain, const char *fn)
{
    struct diag_loop loop = {chain, 0};
    for (PNET_BUFFER_LIST nbl = chain; nbl;) {
        enum diag_verdict verdict = diag_check_nbl(nbl, NULL);
        if (verdict != DIAG_LIVE) {
            vf_diagnostic(fn, "%p in the chain is %s, not a live NET_BUFFER_LIST", (void *)nbl,
                          diag_verdict_text(verdict, nbl));
            return false;
        }
        if (!pcap_nbs_ok(nbl, fn))
            return false;
        nbl = nbl->Next;
        if (nbl && diag_loop_step(&loop, nbl)) {
            vf_diagnostic(fn, "the NBL chain loops");
            return false;
        }
    }
    return true;
}

/* Writes each NB of the chain as one frame; false when the file could not be written. */
static bool pcap_write_frames(pcap_dumper_t *dumper, PNET_BUFFER_LIST chain, UCHAR *scratch)
{
    struct timeval now;
    gettimeofday(&now, NULL);
    for (PNET_BUFFER_LIST nbl = chain; nbl; nbl = nbl->Next)
        for (PNET_BUFFER nb = nbl->FirstNetBuffer; nb; nb = nb->Next) {
            struct diag_walk w = diag_walk_at_data(nb);
            ULONG want = nb->DataLength < PCAP_SNAPLEN ? nb->DataLength : PCAP_SNAPLEN;
            struct pcap_pkthdr header = {.ts = now, .len = nb->DataLength};
            header.caplen = diag_walk_read(&w, scratch, want);
            pcap_dump((u_char *)dumper, &header, scratch);
            if (++now.tv_usec == 1000000) {
                now.tv_sec++;
                now.tv_usec = 0;
            }
        }
    return pcap_dump_flush(dumper) == 0;
}

NDIS_STATUS ndisbuf_nbl_write_pcap(PNET_BUFFER_LIST NetBufferList, const char *Path)
{
    const char *fn = "ndisbuf_nbl_write_pcap";
    if (!NetBufferList || !Path) {
        vf_diagnostic(fn, "%s is NULL", NetBufferList ? "Path" : "NetBufferList");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    if (!pcap_chain_ok(NetBufferList, fn))
        return NDIS_STATUS_INVALID_PARAMETER;
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
    pcap_dumper_t *dumper;
    UCHAR *scratch = malloc(PCAP_SNAPLEN);
    pcap_t *pcap = pcap_open_dead(DLT_EN10MB, PCAP_SNAPLEN);
    if (!scratch || !pcap) {
        vf_diagnostic(fn, "out of memory for the capture");
        goto free_scratch;
    }
    dumper = pcap_dump_open(pcap, Path);
    if (!dumper) {
        vf_diagnostic(fn, "cannot write '%s': %s", Path, pcap_geterr(pcap));
        goto close_pcap;
    }
    if (pcap_write_frames(dumper, NetBufferList, scratch))
        status = NDIS_STATUS_SUCCESS;
    else
        vf_diagnostic(fn, "writing '%s' failed", Path);
    pcap_dump_close(dumper);
close_pcap:
    if (pcap)
        pcap_close(pcap);
free_scratch:
    free(scratch);
    return status;
}
