/* SPDX-License-Identifier: MIT */
/* The ndisbuf program's subcommands. */
#ifndef NDISBUF_TOOL_H
#define NDISBUF_TOOL_H

int tool_demo(int argc, char **argv);
int tool_show(int argc, char **argv);
int tool_codes(int argc, char **argv);

#endif
