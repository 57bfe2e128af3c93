/* SPDX-License-Identifier: MIT */
/*
 * pcap_live: a live capture on one interface with libpcap, for the tests
 * that want to see what really went over a wire (tools.demo_veth), not only
 * what the demo's capture filter recorded.
 *
 *   pcap_live IFACE OUT.pcap [READY_FILE]
 *
 * Opens IFACE (pcap_create, promiscuous, immediate mode, pcap_activate;
 * the first SNAPLEN bytes of each frame),
 * then says it is capturing: creates READY_FILE when given, else prints
 * "ready" on stdout. Every frame goes to OUT.pcap until SIGTERM or SIGINT;
 * then what the kernel still holds is read without blocking, the file is
 * flushed and closed, a line of statistics goes to stderr, and the exit
 * status is 0. Exit 1 when the capture cannot start or fails, 2 on bad
 * arguments.
 */
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

/*
 * Bytes kept of a frame: a 1500-byte MTU frame, tagged, with room to spare
 * (a longer one is cut: caplen < len, which pcap_check reports). It also
 * sizes the kernel ring's slots: on an interface with offloads (a veth)
 * libpcap makes every slot snaplen long, and 65535 would leave room for a
 * few hundred frames only; 2048 gives some 8000 in BUFFER_BYTES.
 */
#define SNAPLEN 2048
#define BUFFER_BYTES (16 * 1024 * 1024) /* the kernel ring: room for a burst while we write */
#define TIMEOUT_MS 100                  /* how often the loop looks at the stop flag, at worst */

static volatile sig_atomic_t stop_requested;
static pcap_t *capture; /* for the signal handler's pcap_breakloop */

static void on_signal(int signo)
{
    (void)signo;
    stop_requested = 1;
    pcap_breakloop(capture);
}

/* Opens the live capture; NULL after printing why. */
static pcap_t *open_capture(const char *iface)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_create(iface, errbuf);
    int rc;

    if (!p) {
        fprintf(stderr, "pcap_live: %s\n", errbuf);
        return NULL;
    }
    if (pcap_set_snaplen(p, SNAPLEN) || pcap_set_promisc(p, 1) || pcap_set_immediate_mode(p, 1) ||
        pcap_set_buffer_size(p, BUFFER_BYTES) || pcap_set_timeout(p, TIMEOUT_MS)) {
        fprintf(stderr, "pcap_live: %s: cannot set the capture options\n", iface);
        pcap_close(p);
        return NULL;
    }
    rc = pcap_activate(p);
    if (rc < 0) {
        fprintf(stderr, "pcap_live: %s: %s (%s)\n", iface, pcap_statustostr(rc), pcap_geterr(p));
        pcap_close(p);
        return NULL;
    }
    if (rc > 0) /* a warning: the capture runs */
        fprintf(stderr, "pcap_live: %s: %s\n", iface, pcap_statustostr(rc));
    return p;
}

/* Tells the test the capture is on: creates the file, or prints "ready". */
static int announce(const char *ready_file)
{
    FILE *f;

    if (!ready_file) {
        printf("ready\n");
        return fflush(stdout) == 0;
    }
    f = fopen(ready_file, "w");
    if (!f || fclose(f) != 0) {
        fprintf(stderr, "pcap_live: cannot create %s\n", ready_file);
        return 0;
    }
    return 1;
}

static void install_handlers(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

/* Captures until asked to stop, then drains what is left; frames written, or -1. */
static long capture_until_stopped(pcap_t *p, pcap_dumper_t *out)
{
    long frames = 0;
    int rc = 0;

    while (!stop_requested && (rc = pcap_dispatch(p, -1, pcap_dump, (u_char *)out)) >= 0)
        frames += rc;
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "pcap_live: %s\n", pcap_geterr(p));
        return -1;
    }
    /* What the kernel captured before the signal is still to be read. */
    if (pcap_setnonblock(p, 1, NULL) == 0)
        while ((rc = pcap_dispatch(p, -1, pcap_dump, (u_char *)out)) > 0)
            frames += rc;
    return frames;
}

int main(int argc, char **argv)
{
    struct pcap_stat stats;
    pcap_dumper_t *out;
    long frames;

    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: pcap_live IFACE OUT.pcap [READY_FILE]\n");
        return 2;
    }
    capture = open_capture(argv[1]);
    if (!capture)
        return 1;
    out = pcap_dump_open(capture, argv[2]);
    if (!out) {
        fprintf(stderr, "pcap_live: %s\n", pcap_geterr(capture));
        pcap_close(capture);
        return 1;
    }
    install_handlers();
    frames = announce(argc == 4 ? argv[3] : NULL) ? capture_until_stopped(capture, out) : -1;
    if (pcap_dump_flush(out) != 0)
        frames = -1;
    pcap_dump_close(out);
    if (pcap_stats(capture, &stats) == 0)
        fprintf(stderr, "pcap_live: %s: %ld frames written, %u dropped by the kernel\n", argv[1], frames,
                stats.ps_drop);
    pcap_close(capture);
    return frames < 0 ? 1 : 0;
}
