/* SPDX-License-Identifier: MIT */
/*
 * The ndisbuf program: a front door to the library's demonstrations and
 * tools. Each subcommand lives in its own file and is listed once, here.
 */
#include <ndis.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"

struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static int tool_version(int argc, char **argv)
{
    (void)argc, (void)argv;
    printf("ndisbuf %s\n", ndisbuf_version());
    return 0;
}

static const struct subcommand subcommands[] = {
    {"demo", tool_demo, "rawprot over a binding stack: a VLAN filter inserted live, every frame checked"},
    {"show", tool_show, "an NBL chain built from frames (a pcap file or examples): dump, picture, pcap"},
    {"codes", tool_codes, "the verifier's report codes: value, name, meaning ('codes 0x21' for one)"},
    {"version", tool_version, "print the library version"},
};

static int usage(FILE *out)
{
    fprintf(out, "usage: ndisbuf <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
        fprintf(out, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(out, "\n'ndisbuf <command> --help' shows a command's options (docs/demo.md, docs/diagnostics.md).\n");
    return out == stderr ? 2 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return usage(stdout);
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
        if (!strcmp(argv[1], subcommands[i].name))
            return subcommands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "ndisbuf: unknown command '%s'\n", argv[1]);
    return usage(stderr);
}
