/* SPDX-License-Identifier: MIT */
/*
 * pcap_check: reads a capture written by `ndisbuf demo --pcap` back with
 * libpcap and checks what the capture filter must have recorded there: an
 * Ethernet file, COUNT frames, each SIZE + 4 bytes long and carrying an
 * 802.1Q tag (TPID 0x8100) with VLAN id VLAN and priority PRIORITY in front
 * of the demo's EtherType 0x88B5.
 *
 *   pcap_check [--ignore-others] FILE COUNT VLAN PRIORITY SIZE
 *
 * With --ignore-others (a live capture of a wire, which may carry other
 * traffic), frames that are not the demo's are counted and skipped: a
 * demo frame is one with EtherType 0x88B5, behind an 802.1Q tag or not;
 * COUNT is then the number of demo frames, and each must be tagged as
 * above.
 *
 * Exit 0 when all holds; 1 with one line per problem (the first few)
 * otherwise; 2 on bad arguments.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_BYTES 4
#define MAX_PROBLEMS 5

struct expect {
    unsigned long count, vlan, priority, size;
    int ignore_others;
};

/* Whether a frame carries the demo's EtherType, behind a tag or not. */
static int is_demo_frame(const struct pcap_pkthdr *h, const unsigned char *f)
{
    if (h->caplen >= 14 && f[12] == 0x88 && f[13] == 0xB5)
        return 1;
    return h->caplen >= 18 && f[12] == 0x81 && f[13] == 0x00 && f[16] == 0x88 && f[17] == 0xB5;
}

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

/* Fills *e; the index of FILE in argv, or 0 after printing the usage. */
static int parse(int argc, char **argv, struct expect *e)
{
    char *end;
    unsigned long *fields[4] = {&e->count, &e->vlan, &e->priority, &e->size};
    int first = 1;

    e->ignore_others = argc > 1 && !strcmp(argv[1], "--ignore-others");
    first += e->ignore_others;
    if (argc - first != 5) {
        fprintf(stderr, "usage: pcap_check [--ignore-others] FILE COUNT VLAN PRIORITY SIZE\n");
        return 0;
    }
    for (int i = 0; i < 4; i++) {
        const char *text = argv[first + 1 + i];
        *fields[i] = strtoul(text, &end, 10);
        if (*end || end == text) {
            fprintf(stderr, "pcap_check: '%s' is not a number\n", text);
            return 0;
        }
    }
    return first;
}

int main(int argc, char **argv)
{
    struct expect e;
    char errbuf[PCAP_ERRBUF_SIZE];
    int file = parse(argc, argv, &e);
    if (!file)
        return 2;
    const char *path = argv[file];
    pcap_t *p = pcap_open_offline(path, errbuf);
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
    unsigned long n = 0, others = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &f)) == 1) {
        if (e.ignore_others && !is_demo_frame(h, f)) {
            others++;
            continue;
        }
        if (problems < MAX_PROBLEMS)
            problems += check_frame(h, f, &e, n + others);
        n++;
    }
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "pcap_check: reading frame %lu: %s\n", n + others, pcap_geterr(p));
        problems++;
    }
    if (n != e.count) {
        fprintf(stderr, "pcap_check: %lu %sframes in %s, expected %lu\n", n, e.ignore_others ? "demo " : "", path,
                e.count);
        problems++;
    }
    pcap_close(p);
    if (!problems)
        printf("pcap_check: %lu frames, each tagged VLAN %lu priority %lu (%lu other frames ignored)\n", n, e.vlan,
               e.priority, others);
    return problems ? 1 : 0;
}
