/* SPDX-License-Identifier: MIT */
/*
 * `ndisbuf demo` options: the table, storing the values, checking them
 * and --help.
 *
 * The syntax (values after '=' or as the next argument, the last
 * occurrence wins, plain decimal numbers) and the one-line usage errors
 * with exit status 2 are options.c's. Nothing is built before the
 * arguments are known to be good: interfaces are looked up here, the pcap
 * file is created by the caller, a peer in another namespace is checked by
 * demo_netns.c.
 */
#include <net/if.h>
#include <stdarg.h>
#include <string.h>

#include "demo.h"
#include "options.h"
#include "verify/fault.h" /* the NDISBUF_FAULT parser, shared with the library */

typedef enum demo_option_id {
    OPT_FRAMES,
    OPT_SIZE,
    OPT_BATCH,
    OPT_VLAN,
    OPT_PRIORITY,
    OPT_IFACE,
    OPT_PEER,
    OPT_PEER_NETNS,
    OPT_PCAP,
    OPT_FAULT,
    OPT_QUIET,
    OPT_HELP
} demo_option_id;

static const option_spec demo_option_table[] = {
    {"--frames", OPT_FRAMES, OPTION_NUMBER, 1, DEMO_MAX_FRAMES},
    {"--size", OPT_SIZE, OPTION_NUMBER, DEMO_MIN_SIZE, DEMO_MAX_SIZE},
    {"--batch", OPT_BATCH, OPTION_NUMBER, 1, DEMO_MAX_BATCH},
    {"--vlan", OPT_VLAN, OPTION_NUMBER, 1, 4094},
    {"--priority", OPT_PRIORITY, OPTION_NUMBER, 0, 7},
    {"--iface", OPT_IFACE, OPTION_STRING, 0, 0},
    {"--peer", OPT_PEER, OPTION_STRING, 0, 0},
    {"--peer-netns", OPT_PEER_NETNS, OPTION_STRING, 0, 0},
    {"--pcap", OPT_PCAP, OPTION_STRING, 0, 0},
    {"--fault", OPT_FAULT, OPTION_STRING, 0, 0},
    {"--quiet", OPT_QUIET, OPTION_FLAG, 0, 0},
    {"--help", OPT_HELP, OPTION_HELP, 0, 0},
    {"-h", OPT_HELP, OPTION_HELP, 0, 0},
};

static void demo_print_help(FILE *out)
{
    fprintf(out,
            "usage: ndisbuf demo [options]\n"
            "\n"
            "Binds rawprot (a raw-Ethernet NDIS 6 protocol driver) to an adapter, shows\n"
            "the back-fill and context it negotiated, inserts an 802.1Q VLAN filter at\n"
            "run time (the binding restarts and reallocates its pool), sends frames\n"
            "through the stack and checks every byte of every frame that comes back,\n"
            "then tears the stack down and checks that nothing leaked.\n"
            "\n"
            "options:\n"
            "  --frames N      frames to send (1..%llu; default %u)\n"
            "  --size BYTES    bytes per Ethernet frame, header included, before the\n"
            "                  4-byte tag (%u..%u; default %u)\n"
            "  --batch N       frames per RawProtWriteBatch call (1..%u; default %u)\n"
            "  --vlan ID       VLAN id the filter tags with (1..4094; default %u)\n"
            "  --priority P    802.1p priority in the tag (0..7; default %u)\n"
            "  --iface IF      the AF_PACKET miniport on Linux interface IF instead of\n"
            "                  the loopback miniport (needs CAP_NET_RAW); frames come\n"
            "                  back only if IF echoes them (lo does; else see --peer)\n"
            "  --peer IF2      with --iface: a second adapter on IF2, with its own\n"
            "                  rawprot binding and VLAN filter, receives the frames\n"
            "                  sent on IF (e.g. the two ends of a veth pair)\n"
            "  --peer-netns PATH\n"
            "                  with --peer: IF2 is in the network namespace PATH\n"
            "                  (/var/run/netns/NAME, /proc/PID/ns/net); the peer's\n"
            "                  adapter is added from inside it (setns, needs\n"
            "                  CAP_SYS_ADMIN) and its socket stays there\n"
            "  --pcap FILE     write every frame the miniport sends and receives, as on\n"
            "                  the wire (802.1Q-tagged), to FILE (pcap, Ethernet); a\n"
            "                  capture filter sits directly above the miniport\n"
            "  --fault PLAN    fault injection: fail the allocations PLAN names, e.g.\n"
            "                  nth=7, nth=3,every=10, ppm=2000,seed=1, count (fail\n"
            "                  none, count them); kinds=nbl+context+... limits it\n"
            "                  (see docs/fault-injection.md); the summary then says\n"
            "                  how many allocations were counted and failed\n"
            "  --quiet         no progress bar and no narration: the summary only\n"
            "  --help          this help\n"
            "\n"
            "Exit status: 0 every frame came back intact and nothing leaked; 1 the stack\n"
            "failed (its NDIS status is printed), a frame was lost or damaged, or\n"
            "something leaked; 2 bad arguments. See docs/demo.md.\n",
            (unsigned long long)DEMO_MAX_FRAMES, DEMO_DEFAULT_FRAMES, DEMO_MIN_SIZE, DEMO_MAX_SIZE,
            DEMO_DEFAULT_SIZE, DEMO_MAX_BATCH, DEMO_DEFAULT_BATCH, DEMO_DEFAULT_VLAN, DEMO_DEFAULT_PRIORITY);
}

void demo_usage_error(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    option_usage_verror("demo", format, ap);
    va_end(ap);
}

/* --fault PLAN: parsed now (a bad plan is a usage error), armed by the caller. */
static bool demo_set_fault(demo_options *o, const char *value)
{
    char error[192];
    if (!vf_fault_parse(value, &o->fault_plan, error, sizeof(error))) {
        demo_usage_error("--fault: '%s': %s", value, error);
        return false;
    }
    o->fault = true;
    return true;
}

/* An option_store_fn; context is the demo_options. */
static bool demo_set_option(void *context, const option_spec *opt, const char *value, ULONG64 n)
{
    demo_options *o = context;
    switch ((demo_option_id)opt->id) {
    case OPT_FRAMES: o->frames = n; break;
    case OPT_SIZE: o->size = (ULONG)n; break;
    case OPT_BATCH: o->batch = (ULONG)n; break;
    case OPT_VLAN: o->vlan = (USHORT)n; break;
    case OPT_PRIORITY: o->priority = (UCHAR)n; break;
    case OPT_IFACE: o->iface = value; break;
    case OPT_PEER: o->peer = value; break;
    case OPT_PEER_NETNS: o->peer_netns = value; break;
    case OPT_PCAP: o->pcap = value; break;
    case OPT_FAULT: return demo_set_fault(o, value);
    case OPT_QUIET: o->quiet = true; break;
    case OPT_HELP: break; /* reported by option_parse, never stored */
    }
    return true;
}

static const option_parser demo_option_parser = {
    "demo", demo_option_table, sizeof(demo_option_table) / sizeof(demo_option_table[0]), demo_set_option};

/* The checks that involve more than one option, or the system. */
static bool demo_check_options(const demo_options *o)
{
    if (o->peer && !o->iface) {
        demo_usage_error("--peer needs --iface (the interface the frames are sent on)");
        return false;
    }
    if (o->peer_netns && !o->peer) {
        demo_usage_error("--peer-netns needs --peer (the interface in that namespace)");
        return false;
    }
    /* In another namespace the peer may have the same name: demo_netns.c checks it there. */
    if (o->peer && !o->peer_netns && !strcmp(o->peer, o->iface)) {
        demo_usage_error("--peer must name another interface than --iface");
        return false;
    }
    const char *names[2] = {o->iface, o->peer_netns ? NULL : o->peer}, *flags[2] = {"--iface", "--peer"};
    for (int i = 0; i < 2; i++)
        if (names[i] && (strlen(names[i]) >= IF_NAMESIZE || if_nametoindex(names[i]) == 0)) {
            demo_usage_error("%s: no network interface named '%s'", flags[i], names[i]);
            return false;
        }
    return true;
}

demo_parse_result demo_parse_options(int argc, char **argv, demo_options *o)
{
    bool help = false;
    memset(o, 0, sizeof(*o));
    o->frames = DEMO_DEFAULT_FRAMES;
    o->size = DEMO_DEFAULT_SIZE;
    o->batch = DEMO_DEFAULT_BATCH;
    o->vlan = DEMO_DEFAULT_VLAN;
    o->priority = DEMO_DEFAULT_PRIORITY;
    if (!option_parse(&demo_option_parser, argc, argv, o, &help))
        return DEMO_PARSE_USAGE;
    if (help) {
        demo_print_help(stdout);
        return DEMO_PARSE_HELP;
    }
    return demo_check_options(o) ? DEMO_PARSE_RUN : DEMO_PARSE_USAGE;
}
