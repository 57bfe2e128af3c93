/* SPDX-License-Identifier: MIT */
/*
 * `ndisbuf show` options: the table, storing the values, checking them
 * and --help.
 *
 * The syntax and the one-line usage errors with exit status 2 are
 * options.c's, as for `ndisbuf demo`; nothing is built before the
 * arguments are known to be good. show_check_outputs then creates the
 * output files, so an unwritable path is a bad argument too; before that,
 * --svg or --png without Graphviz is exit 1 (the arguments are good, the
 * system lacks a program), with no file made.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "options.h"
#include "show.h"

typedef enum show_option_id {
    OPT_PCAP,
    OPT_FRAMES,
    OPT_BACKFILL,
    OPT_CONTEXT,
    OPT_CHAIN,
    OPT_DATA,
    OPT_INFO,
    OPT_MDLS,
    OPT_DOT,
    OPT_SVG,
    OPT_PNG,
    OPT_WRITE_PCAP,
    OPT_HELP
} show_option_id;

static const option_spec show_option_table[] = {
    {"--pcap", OPT_PCAP, OPTION_STRING, 0, 0},
    {"--frames", OPT_FRAMES, OPTION_NUMBER, 1, SHOW_MAX_FRAMES},
    {"--backfill", OPT_BACKFILL, OPTION_NUMBER, 0, SHOW_MAX_BACKFILL},
    {"--context", OPT_CONTEXT, OPTION_NUMBER, 0, SHOW_MAX_CONTEXT},
    {"--chain", OPT_CHAIN, OPTION_FLAG, 0, 0},
    {"--data", OPT_DATA, OPTION_FLAG, 0, 0},
    {"--info", OPT_INFO, OPTION_FLAG, 0, 0},
    {"--mdls", OPT_MDLS, OPTION_FLAG, 0, 0},
    {"--dot", OPT_DOT, OPTION_STRING, 0, 0},
    {"--svg", OPT_SVG, OPTION_STRING, 0, 0},
    {"--png", OPT_PNG, OPTION_STRING, 0, 0},
    {"--write-pcap", OPT_WRITE_PCAP, OPTION_STRING, 0, 0},
    {"--help", OPT_HELP, OPTION_HELP, 0, 0},
    {"-h", OPT_HELP, OPTION_HELP, 0, 0},
};

static void show_print_help(FILE *out)
{
    fprintf(out,
            "usage: ndisbuf show [options]\n"
            "\n"
            "Builds a chain of NET_BUFFER_LISTs, one per frame, each with one NET_BUFFER\n"
            "whose data sits behind --backfill bytes of back-fill, from the frames of a\n"
            "pcap file (or from a few generated example Ethernet frames), and shows it the\n"
            "way the kernel debugger's !ndiskd.nbl does: as text, as a Graphviz picture,\n"
            "and re-exported as pcap. Everything is freed before it exits.\n"
            "\n"
            "options:\n"
            "  --pcap FILE       build the chain from FILE's frames (pcap, Ethernet)\n"
            "  --frames N        take the first N frames (1..%u; default: all of FILE's,\n"
            "                    or %u generated ones)\n"
            "  --backfill BYTES  back-fill in front of each frame's data (0..%u; default %u)\n"
            "  --context BYTES   used context per NBL, a multiple of %zu (0..%u; default 0)\n"
            "  --chain           show every NBL of the chain, not only the first\n"
            "  --info            show the NetBufferListInfo slots that are set\n"
            "  --data            hex dump of each NB's used data\n"
            "  --mdls            each NB's MDLs, split into back-fill, used and tail\n"
            "  --dot FILE        write the chain as a Graphviz picture (dot) to FILE\n"
            "  --svg FILE        ... and render it as SVG to FILE (needs Graphviz's dot)\n"
            "  --png FILE        ... and render it as PNG to FILE (needs Graphviz's dot)\n"
            "  --write-pcap FILE write every NB's used data back out to FILE (pcap)\n"
            "  --help            this help\n"
            "\n"
            "Exit status: 0 done and nothing leaked; 1 something failed (an allocation,\n"
            "a file, Graphviz, or a leak); 2 bad arguments or an unusable capture.\n"
            "See docs/diagnostics.md.\n",
            SHOW_MAX_FRAMES, SHOW_DEFAULT_GENERATED, SHOW_MAX_BACKFILL, SHOW_DEFAULT_BACKFILL, sizeof(PVOID),
            SHOW_MAX_CONTEXT);
}

void show_usage_error(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    option_usage_verror("show", format, ap);
    va_end(ap);
}

/* An option_store_fn; context is the show_options. */
static bool show_set_option(void *context, const option_spec *opt, const char *value, ULONG64 n)
{
    show_options *o = context;
    switch ((show_option_id)opt->id) {
    case OPT_PCAP: o->pcap_in = value; break;
    case OPT_FRAMES: o->frames = (ULONG)n; break;
    case OPT_BACKFILL: o->backfill = (ULONG)n; break;
    case OPT_CONTEXT: o->context = (ULONG)n; break;
    case OPT_CHAIN: o->dump_flags |= NDISBUF_DUMP_CHAIN; break;
    case OPT_DATA: o->dump_flags |= NDISBUF_DUMP_DATA; break;
    case OPT_INFO: o->dump_flags |= NDISBUF_DUMP_INFO; break;
    case OPT_MDLS: o->dump_flags |= NDISBUF_DUMP_MDLS; break;
    case OPT_DOT: o->dot = value; break;
    case OPT_SVG: o->svg = value; break;
    case OPT_PNG: o->png = value; break;
    case OPT_WRITE_PCAP: o->pcap_out = value; break;
    case OPT_HELP: break; /* reported by option_parse, never stored */
    }
    return true;
}

static const option_parser show_option_parser = {
    "show", show_option_table, sizeof(show_option_table) / sizeof(show_option_table[0]), show_set_option};

/* Creates (or truncates) an output file now, so a bad path is known before anything is built. */
static bool show_check_writable(const char *option, const char *path)
{
    FILE *f = path ? fopen(path, "w") : NULL;
    if (path && !f) {
        show_usage_error("%s: cannot write '%s': %s", option, path, strerror(errno));
        return false;
    }
    if (f)
        fclose(f);
    return true;
}

int show_check_outputs(const show_options *o)
{
    if ((o->svg || o->png) && !show_dot_installed()) {
        fprintf(stderr, "ndisbuf show: Graphviz's dot is not installed (apt-get install graphviz)\n");
        return SHOW_EXIT_FAILED;
    }
    bool writable = show_check_writable("--dot", o->dot) && show_check_writable("--svg", o->svg) &&
                    show_check_writable("--png", o->png) && show_check_writable("--write-pcap", o->pcap_out);
    return writable ? SHOW_EXIT_OK : SHOW_EXIT_USAGE;
}

static bool show_check_options(const show_options *o)
{
    if (o->context % sizeof(PVOID) != 0) {
        show_usage_error("--context: %lu is not a multiple of %zu", (unsigned long)o->context, sizeof(PVOID));
        return false;
    }
    return true;
}

show_parse_result show_parse_options(int argc, char **argv, show_options *o)
{
    bool help = false;
    *o = (show_options){.backfill = SHOW_DEFAULT_BACKFILL};
    if (!option_parse(&show_option_parser, argc, argv, o, &help))
        return SHOW_PARSE_USAGE;
    if (help) {
        show_print_help(stdout);
        return SHOW_PARSE_HELP;
    }
    return show_check_options(o) ? SHOW_PARSE_RUN : SHOW_PARSE_USAGE;
}
