/* SPDX-License-Identifier: MIT */
/*
 * The frames `ndisbuf show` builds its chain from: read from a pcap file
 * with libpcap, or generated. The generated ones are three small, valid
 * Ethernet frames of the kinds a protocol driver sees every day, taken in
 * turn: an ARP request, an IPv4 UDP datagram (a DNS query) and an IPv4 TCP
 * SYN, between two locally administered MAC addresses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "show.h"

#define ETH_HEADER 14
#define IPV4_HEADER 20

static const UCHAR show_mac_a[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0a};
static const UCHAR show_mac_b[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0b};
static const UCHAR show_ip_a[4] = {192, 0, 2, 10}; /* TEST-NET-1 (RFC 5737) */
static const UCHAR show_ip_b[4] = {192, 0, 2, 11};

static void put16(UCHAR *p, unsigned v)
{
    p[0] = (UCHAR)(v >> 8);
    p[1] = (UCHAR)v;
}

static ULONG eth_header(UCHAR *f, const UCHAR dst[6], const UCHAR src[6], unsigned ethertype)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    put16(f + 12, ethertype);
    return ETH_HEADER;
}

/* An IPv4 header for `payload` bytes of `protocol`, with its checksum. */
static ULONG ipv4_header(UCHAR *p, ULONG payload, UCHAR protocol, unsigned id)
{
    memset(p, 0, IPV4_HEADER);
    p[0] = 0x45;
    put16(p + 2, IPV4_HEADER + payload);
    put16(p + 4, id);
    p[6] = 0x40; /* don't fragment */
    p[8] = 64;
    p[9] = protocol;
    memcpy(p + 12, show_ip_a, 4);
    memcpy(p + 16, show_ip_b, 4);
    unsigned long sum = 0;
    for (int i = 0; i < IPV4_HEADER; i += 2)
        sum += (unsigned long)p[i] << 8 | p[i + 1];
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    put16(p + 10, ~sum & 0xFFFF);
    return IPV4_HEADER;
}

static ULONG frame_arp(UCHAR *f, ULONG seq)
{
    static const UCHAR broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    UCHAR *a = f + eth_header(f, broadcast, show_mac_a, 0x0806);
    put16(a, 1);          /* Ethernet */
    put16(a + 2, 0x0800); /* IPv4 */
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, 1); /* request */
    memcpy(a + 8, show_mac_a, 6);
    memcpy(a + 14, show_ip_a, 4);
    memset(a + 18, 0, 6);
    memcpy(a + 24, show_ip_b, 4);
    a[27] = (UCHAR)(a[27] + seq);
    return ETH_HEADER + 28;
}

static ULONG frame_udp_dns(UCHAR *f, ULONG seq)
{
    static const UCHAR query[] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                  7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0,
                                  0x00, 0x01, 0x00, 0x01};
    ULONG udp_length = 8 + sizeof(query);
    UCHAR *ip = f + eth_header(f, show_mac_b, show_mac_a, 0x0800);
    UCHAR *udp = ip + ipv4_header(ip, udp_length, 17, 0x100 + seq);
    put16(udp, 53000 + seq);
    put16(udp + 2, 53);
    put16(udp + 4, udp_length);
    put16(udp + 6, 0); /* no checksum: allowed over IPv4 */
    memcpy(udp + 8, query, sizeof(query));
    return ETH_HEADER + IPV4_HEADER + udp_length;
}

static ULONG frame_tcp_syn(UCHAR *f, ULONG seq)
{
    UCHAR *ip = f + eth_header(f, show_mac_b, show_mac_a, 0x0800);
    UCHAR *tcp = ip + ipv4_header(ip, 20, 6, 0x200 + seq);
    memset(tcp, 0, 20);
    put16(tcp, 40000 + seq);
    put16(tcp + 2, 80);
    put16(tcp + 4, 0x1000 + seq); /* sequence number, high half */
    tcp[12] = 5 << 4;
    tcp[13] = 0x02; /* SYN */
    put16(tcp + 14, 64240);
    return ETH_HEADER + IPV4_HEADER + 20;
}

static bool show_frame_add(show_frames *f, const UCHAR *bytes, ULONG length)
{
    show_frame *frame = &f->frames[f->count];
    frame->bytes = malloc(length ? length : 1);
    if (!frame->bytes)
        return false;
    memcpy(frame->bytes, bytes, length);
    frame->length = length;
    f->count++;
    if (length > f->longest)
        f->longest = length;
    return true;
}

static int show_frames_generate(ULONG count, show_frames *f)
{
    static ULONG (*const makers[])(UCHAR *, ULONG) = {frame_arp, frame_udp_dns, frame_tcp_syn};
    UCHAR frame[128];
    for (ULONG i = 0; i < count; i++)
        if (!show_frame_add(f, frame, makers[i % 3](frame, i))) {
            fprintf(stderr, "ndisbuf show: out of memory for the frames\n");
            return SHOW_EXIT_FAILED;
        }
    return SHOW_EXIT_OK;
}

static int show_frames_read(pcap_t *pcap, const char *path, ULONG limit, show_frames *f)
{
    struct pcap_pkthdr *header;
    const u_char *data;
    int rc;
    while (f->count < limit && (rc = pcap_next_ex(pcap, &header, &data)) == 1) {
        ULONG length = header->caplen < SHOW_MAX_FRAME ? header->caplen : SHOW_MAX_FRAME;
        if (!show_frame_add(f, data, length)) {
            fprintf(stderr, "ndisbuf show: out of memory for the frames\n");
            return SHOW_EXIT_FAILED;
        }
    }
    if (f->count < limit && rc == PCAP_ERROR) {
        show_usage_error("--pcap: '%s' is damaged: %s", path, pcap_geterr(pcap));
        return SHOW_EXIT_USAGE;
    }
    if (!f->count) {
        show_usage_error("--pcap: '%s' holds no frame", path);
        return SHOW_EXIT_USAGE;
    }
    return SHOW_EXIT_OK;
}

static int show_frames_from_pcap(const char *path, ULONG limit, show_frames *f)
{
    char error[PCAP_ERRBUF_SIZE];
    pcap_t *pcap = pcap_open_offline(path, error);
    if (!pcap) {
        show_usage_error("--pcap: cannot read '%s': %s", path, error);
        return SHOW_EXIT_USAGE;
    }
    int rc, link = pcap_datalink(pcap);
    if (link != DLT_EN10MB) {
        const char *name = pcap_datalink_val_to_name(link);
        show_usage_error("--pcap: '%s' is not an Ethernet capture (link type %s)", path, name ? name : "unknown");
        rc = SHOW_EXIT_USAGE;
    } else {
        rc = show_frames_read(pcap, path, limit, f);
    }
    pcap_close(pcap);
    return rc;
}

int show_frames_load(const show_options *o, show_frames *f)
{
    ULONG count = o->frames ? o->frames : o->pcap_in ? SHOW_MAX_FRAMES : SHOW_DEFAULT_GENERATED;
    *f = (show_frames){.frames = calloc(count, sizeof(show_frame))};
    if (!f->frames) {
        fprintf(stderr, "ndisbuf show: out of memory for the frames\n");
        return SHOW_EXIT_FAILED;
    }
    return o->pcap_in ? show_frames_from_pcap(o->pcap_in, count, f) : show_frames_generate(count, f);
}

void show_frames_free(show_frames *f)
{
    for (ULONG i = 0; i < f->count; i++)
        free(f->frames[i].bytes);
    free(f->frames);
    *f = (show_frames){0};
}
