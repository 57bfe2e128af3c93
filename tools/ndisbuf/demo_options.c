/* SPDX-License-Identifier: MIT */
/*
 * `ndisbuf demo` options: parsing, checking and --help.
 *
 * Every option takes its value as the next argument or after '=', and the
 * last occurrence wins. Numbers are plain decimal. A bad argument gets one
 * line on stderr that names the problem and points to --help, and exit
 * status 2; nothing is built before the arguments are known to be good
 * (interfaces are looked up here, the pcap file is created by the caller;
 * a peer in another namespace is checked by demo_netns.c).
 */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"
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

typedef struct demo_option {
    const char *name;
    demo_option_id id;
    bool has_value;
    ULONG64 min, max; /* numeric options only (max 0: not numeric) */
} demo_option;

static const demo_option demo_option_table[] = {
    {"--frames", OPT_FRAMES, true, 1, DEMO_MAX_FRAMES},
    {"--size", OPT_SIZE, true, DEMO_MIN_SIZE, DEMO_MAX_SIZE},
    {"--batch", OPT_BATCH, true, 1, DEMO_MAX_BATCH},
    {"--vlan", OPT_VLAN, true, 1, 4094},
    {"--priority", OPT_PRIORITY, true, 0, 7},
    {"--iface", OPT_IFACE, true, 0, 0},
    {"--peer", OPT_PEER, true, 0, 0},
    {"--peer-netns", OPT_PEER_NETNS, true, 0, 0},
    {"--pcap", OPT_PCAP, true, 0, 0},
    {"--fault", OPT_FAULT, true, 0, 0},
    {"--quiet", OPT_QUIET, false, 0, 0},
    {"--help", OPT_HELP, false, 0, 0},
    {"-h", OPT_HELP, false, 0, 0},
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
    fputs("ndisbuf demo: ", stderr);
    va_start(ap, format);
    vfprintf(stderr, format, ap);
    va_end(ap);
    fputs(" (see 'ndisbuf demo --help')\n", stderr);
}

static const demo_option *demo_find_option(const char *arg, size_t name_length)
{
    for (size_t i = 0; i < sizeof(demo_option_table) / sizeof(demo_option_table[0]); i++) {
        const char *name = demo_option_table[i].name;
        if (strlen(name) == name_length && !strncmp(arg, name, name_length))
            return &demo_option_table[i];
    }
    return NULL;
}

/* Plain decimal within the option's range; false after printing why not. */
static bool demo_parse_number(const demo_option *opt, const char *text, ULONG64 *value)
{
    char *end;
    if (*text < '0' || *text > '9') {
        demo_usage_error("%s: '%s' is not a number", opt->name, text);
        return false;
    }
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end != '\0') {
        demo_usage_error("%s: '%s' is not a number", opt->name, text);
        return false;
    }
    if (errno == ERANGE || v < opt->min || v > opt->max) {
        demo_usage_error("%s: %s is out of range (%llu..%llu)", opt->name, text, (unsigned long long)opt->min,
                         (unsigned long long)opt->max);
        return false;
    }
    *value = v;
    return true;
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

static bool demo_set_option(demo_options *o, const demo_option *opt, const char *value)
{
    ULONG64 n = 0;
    if (opt->max != 0 && !demo_parse_number(opt, value, &n))
        return false;
    if (opt->has_value && opt->max == 0 && *value == '\0') {
        demo_usage_error("%s: the value is empty", opt->name);
        return false;
    }
    switch (opt->id) {
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
    case OPT_HELP: break;
    }
    return true;
}

/* One argument (and maybe the next, its value); the number of arguments used, 0 on error. */
static int demo_take_argument(demo_options *o, int argc, char **argv, int i, bool *help)
{
    const char *arg = argv[i], *eq = strchr(arg, '=');
    const demo_option *opt = arg[0] == '-' ? demo_find_option(arg, eq ? (size_t)(eq - arg) : strlen(arg)) : NULL;
    if (!opt) {
        if (arg[0] == '-')
            demo_usage_error("unknown option '%s'", arg);
        else
            demo_usage_error("unexpected argument '%s'", arg);
        return 0;
    }
    if (!opt->has_value) {
        if (eq) {
            demo_usage_error("%s takes no value", opt->name);
            return 0;
        }
        *help = *help || opt->id == OPT_HELP;
        return demo_set_option(o, opt, NULL) ? 1 : 0;
    }
    if (!eq && i + 1 >= argc) {
        demo_usage_error("%s needs a value", opt->name);
        return 0;
    }
    return demo_set_option(o, opt, eq ? eq + 1 : argv[i + 1]) ? (eq ? 1 : 2) : 0;
}

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
    for (int i = 1; i < argc;) {
        int used = demo_take_argument(o, argc, argv, i, &help);
        if (used == 0)
            return DEMO_PARSE_USAGE;
        i += used;
    }
    if (help) {
        demo_print_help(stdout);
        return DEMO_PARSE_HELP;
    }
    return demo_check_options(o) ? DEMO_PARSE_RUN : DEMO_PARSE_USAGE;
}
