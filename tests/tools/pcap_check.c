/* SPDX-License-Identifier: MIT */
/*
 * pcap_check: reads a capture written by `ndisbuf demo --pcap` back with
 * libpcap and checks what the capture filter must have recorded there: an
 * Ethernet file, COUNT frames, each SIZE + 4 bytes long and carrying an
 * 802.1Q tag (TPID 0x8100) with VLAN id VLAN and priority PRIORITY in front
 * of the demo's EtherType 0x88B5.
 *
 *   pcap_check FILE COUNT VLAN PRIORITY SIZE
 *
 * Exit 0 when all holds; 1 with one line per problem (the first few) otherwise.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>

#define TAG_BYTES 4
#define MAX_PROBLEMS 5

struct expect {
    unsigned long count, vlan, priority, size;
};

/* 0 when the frame is what the demo sends, tagged; else prints why and returns 1. */
static int check_frame(const struct pcap_pkthdr *h, const unsigned char *f, const struct expect *e,
                       unsigned long index)
{
    const char *why = NULL;
    if (h->caplen != h->len || h->len != e->size + TAG_BYTES)
        why = "length is not --size + 4";
    else if (f[12] != 0x81 || f[13] != 0x00)
        why = "no 802.1Q tag (TPID 0x8100) after the MAC addresses";
    else if ((((unsigned)f[14] << 8 | f[15]) & 0x0FFF) != e->vlan)
        why = "the tag has another VLAN id";
    else if ((unsigned)(f[14] >> 5) != e->priority)
        why = "the tag has another priority";
    else if (f[16] != 0x88 || f[17] != 0xB5)
        why = "the inner EtherType is not 0x88B5";
    if (!why)
        return 0;
    fprintf(stderr, "pcap_check: frame %lu (%u bytes): %s\n", index, h->len, why);
    return 1;
}

static int parse(int argc, char **argv, struct expect *e)
{
    char *end;
    unsigned long *fields[4] = {&e->count, &e->vlan, &e->priority, &e->size};
    if (argc != 6) {
        fprintf(stderr, "usage: pcap_check FILE COUNT VLAN PRIORITY SIZE\n");
        return 0;
    }
    for (int i = 0; i < 4; i++) {
        *fields[i] = strtoul(argv[i + 2], &end, 10);
        if (*end || end == argv[i + 2]) {
            fprintf(stderr, "pcap_check: '%s' is not a number\n", argv[i + 2]);
            return 0;
        }
    }
    return 1;
}

int main(int argc, char **argv)
{
    struct expect e;
    char errbuf[PCAP_ERRBUF_SIZE];
    if (!parse(argc, argv, &e))
        return 2;
    pcap_t *p = pcap_open_offline(argv[1], errbuf);
    if (!p) {
        fprintf(stderr, "pcap_check: %s\n", errbuf);
        return 1;
    }
    int problems = 0;
    if (pcap_datalink(p) != DLT_EN10MB) {
        fprintf(stderr, "pcap_check: link type %d, not Ethernet (DLT_EN10MB)\n", pcap_datalink(p));
        problems++;
    }
    struct pcap_pkthdr *h;
    const unsigned char *f;
    unsigned long n = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &f)) == 1) {
        if (problems < MAX_PROBLEMS)
            problems += check_frame(h, f, &e, n);
        n++;
    }
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "pcap_check: reading frame %lu: %s\n", n, pcap_geterr(p));
        problems++;
    }
    if (n != e.count) {
        fprintf(stderr, "pcap_check: %lu frames in %s, expected %lu\n", n, argv[1], e.count);
        problems++;
    }
    pcap_close(p);
    if (!problems)
        printf("pcap_check: %lu frames, each tagged VLAN %lu priority %lu\n", n, e.vlan, e.priority);
    return problems ? 1 : 0;
}
