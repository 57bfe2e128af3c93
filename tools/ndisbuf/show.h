/* SPDX-License-Identifier: MIT */
/*
 * `ndisbuf show`, private to its files: the options (show_options.c), the
 * frames it builds its chain from (show_frames.c), Graphviz (show_render.c)
 * and the run (show.c). See docs/diagnostics.md.
 */
#ifndef NDISBUF_TOOL_SHOW_H
#define NDISBUF_TOOL_SHOW_H

#include <stdbool.h>

#include <ndis.h>

/* Exit statuses, as the demo's. */
#define SHOW_EXIT_OK 0
#define SHOW_EXIT_FAILED 1 /* an allocation, a file or Graphviz failed, or something leaked */
#define SHOW_EXIT_USAGE 2  /* bad arguments, or an input capture that cannot be used */

/* Option defaults and limits (documented by --help and docs/diagnostics.md). */
#define SHOW_DEFAULT_GENERATED 3   /* example frames without --pcap */
#define SHOW_MAX_FRAMES 1000
#define SHOW_DEFAULT_BACKFILL 16
#define SHOW_MAX_BACKFILL 4096
#define SHOW_MAX_CONTEXT 4096
#define SHOW_MAX_FRAME 65535       /* the longest frame read from a capture */

typedef struct show_options {
    const char *pcap_in;   /* NULL: generated example frames */
    ULONG frames;          /* 0: all of the capture's (up to SHOW_MAX_FRAMES), or SHOW_DEFAULT_GENERATED */
    ULONG backfill;
    ULONG context;         /* bytes of used context per NBL; a multiple of sizeof(PVOID) */
    ULONG dump_flags;      /* NDISBUF_DUMP_* from --chain, --info, --data, --mdls */
    const char *dot;       /* NULL: no .dot file */
    const char *svg;
    const char *png;
    const char *pcap_out;
} show_options;

/* ---- show_options.c ---- */

typedef enum show_parse_result {
    SHOW_PARSE_RUN,   /* *o is filled and checked */
    SHOW_PARSE_HELP,  /* --help was printed on stdout */
    SHOW_PARSE_USAGE  /* a one-line message is on stderr */
} show_parse_result;

show_parse_result show_parse_options(int argc, char **argv, show_options *o);
/*
 * Checks what the outputs need: Graphviz for --svg/--png (SHOW_EXIT_FAILED
 * without it), then creates each output file (SHOW_EXIT_USAGE when one
 * cannot be written). SHOW_EXIT_OK, or that status after one line on stderr.
 */
int show_check_outputs(const show_options *o);
/* The one-line usage error: "ndisbuf show: <message> (see 'ndisbuf show --help')". */
void show_usage_error(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* ---- show_frames.c ---- */

typedef struct show_frame {
    ULONG length;
    UCHAR *bytes;
} show_frame;

typedef struct show_frames {
    show_frame *frames;
    ULONG count;
    ULONG longest;
} show_frames;

/*
 * The frames the chain is built from: the first o->frames frames of
 * o->pcap_in (all of them when 0), or o->frames (default
 * SHOW_DEFAULT_GENERATED) generated example frames (ARP, IPv4 UDP, IPv4
 * TCP, in turn). SHOW_EXIT_OK, or the exit status after one line on stderr
 * (SHOW_EXIT_USAGE for a capture that cannot be read or holds no Ethernet
 * frame). Free with show_frames_free, whatever it returned.
 */
int show_frames_load(const show_options *o, show_frames *f);
void show_frames_free(show_frames *f);

/* ---- show_render.c ---- */

/* Whether Graphviz's dot is on PATH. */
bool show_dot_installed(void);
/* Runs `dot -T<format> -o <out> <dot_file>`; true when it exits 0 (else one line on stderr). */
bool show_render(const char *dot_file, const char *format, const char *out);

#endif /* NDISBUF_TOOL_SHOW_H */
