/* SPDX-License-Identifier: MIT */
/*
 * The subcommands' option parser (options.c), private to the ndisbuf
 * program: each subcommand describes its options in a table and stores the
 * values through its own callback; the parser owns the syntax and the
 * one-line usage errors.
 */
#ifndef NDISBUF_TOOL_OPTIONS_H
#define NDISBUF_TOOL_OPTIONS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <ndis.h>

/* What an option takes. */
typedef enum option_kind {
    OPTION_FLAG,   /* no value */
    OPTION_HELP,   /* no value; asks for --help (reported by option_parse, never stored) */
    OPTION_STRING, /* a value that is not empty */
    OPTION_NUMBER  /* a value: plain decimal within min..max */
} option_kind;

typedef struct option_spec {
    const char *name;  /* as typed: "--frames", "-h" */
    int id;            /* the subcommand's own enum */
    option_kind kind;
    ULONG64 min, max;  /* OPTION_NUMBER only */
} option_spec;

/*
 * Stores one option whose value the table accepts: text is the value as
 * given (NULL for a flag), number its value for OPTION_NUMBER (else 0).
 * Returns false after printing an option_usage_error when the subcommand
 * refuses the value itself.
 */
typedef bool option_store_fn(void *context, const option_spec *spec, const char *text, ULONG64 number);

typedef struct option_parser {
    const char *command;       /* the subcommand, for messages: "demo" */
    const option_spec *table;
    size_t count;
    option_store_fn *store;
} option_parser;

/*
 * Parses argv[1..argc-1]: each argument is an option from p's table, with
 * its value after '=' or as the next argument; the last occurrence wins.
 * Sets *help when an OPTION_HELP option was given (it is left alone
 * otherwise). Returns true when every argument was good and stored; false
 * after one usage error on stderr (what was stored before it stays).
 */
bool option_parse(const option_parser *p, int argc, char **argv, void *context, bool *help);

/* Prints "ndisbuf <command>: <message> (see 'ndisbuf <command> --help')" on stderr. */
void option_usage_error(const char *command, const char *format, ...) __attribute__((format(printf, 2, 3)));
void option_usage_verror(const char *command, const char *format, va_list ap) __attribute__((format(printf, 2, 0)));

#endif /* NDISBUF_TOOL_OPTIONS_H */
