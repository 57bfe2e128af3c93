/* SPDX-License-Identifier: MIT */
/*
 * The option syntax every ndisbuf subcommand shares, driven by the
 * subcommand's table (options.h).
 *
 * An option with a value takes it after '=' ("--frames=10") or as the next
 * argument ("--frames 10", whatever that argument looks like); the last
 * occurrence wins. Numbers are plain decimal: no sign, no spaces, no
 * suffix, within the option's range. A string value may not be empty. A
 * bad argument gets one line on stderr that names the problem and points
 * to the subcommand's --help; the subcommand then exits with status 2
 * before it builds anything.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

void option_usage_verror(const char *command, const char *format, va_list ap)
{
    fprintf(stderr, "ndisbuf %s: ", command);
    vfprintf(stderr, format, ap);
    fprintf(stderr, " (see 'ndisbuf %s --help')\n", command);
}

void option_usage_error(const char *command, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    option_usage_verror(command, format, ap);
    va_end(ap);
}

/* The table entry named by the first name_length characters of arg; NULL if none. */
static const option_spec *option_find(const option_parser *p, const char *arg, size_t name_length)
{
    for (size_t i = 0; i < p->count; i++) {
        const char *name = p->table[i].name;
        if (strlen(name) == name_length && !strncmp(arg, name, name_length))
            return &p->table[i];
    }
    return NULL;
}

/* Plain decimal within the option's range; false after printing why not. */
static bool option_parse_number(const option_parser *p, const option_spec *spec, const char *text, ULONG64 *value)
{
    char *end;
    if (*text < '0' || *text > '9') {
        option_usage_error(p->command, "%s: '%s' is not a number", spec->name, text);
        return false;
    }
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end != '\0') {
        option_usage_error(p->command, "%s: '%s' is not a number", spec->name, text);
        return false;
    }
    if (errno == ERANGE || v < spec->min || v > spec->max) {
        option_usage_error(p->command, "%s: %s is out of range (%llu..%llu)", spec->name, text,
                           (unsigned long long)spec->min, (unsigned long long)spec->max);
        return false;
    }
    *value = v;
    return true;
}

/* Checks the value (NULL for a flag) against the table, then hands it to the subcommand. */
static bool option_store(const option_parser *p, const option_spec *spec, const char *text, void *context)
{
    ULONG64 number = 0;
    if (spec->kind == OPTION_NUMBER && !option_parse_number(p, spec, text, &number))
        return false;
    if (spec->kind == OPTION_STRING && *text == '\0') {
        option_usage_error(p->command, "%s: the value is empty", spec->name);
        return false;
    }
    return p->store(context, spec, text, number);
}

/* One argument (and maybe the next, its value); the number of arguments used, 0 on error. */
static int option_take_argument(const option_parser *p, int argc, char **argv, int i, void *context, bool *help)
{
    const char *arg = argv[i], *eq = strchr(arg, '=');
    const option_spec *spec = arg[0] == '-' ? option_find(p, arg, eq ? (size_t)(eq - arg) : strlen(arg)) : NULL;
    if (!spec) {
        if (arg[0] == '-')
            option_usage_error(p->command, "unknown option '%s'", arg);
        else
            option_usage_error(p->command, "unexpected argument '%s'", arg);
        return 0;
    }
    if (spec->kind == OPTION_FLAG || spec->kind == OPTION_HELP) {
        if (eq) {
            option_usage_error(p->command, "%s takes no value", spec->name);
            return 0;
        }
        if (spec->kind == OPTION_HELP) {
            *help = true;
            return 1;
        }
        return option_store(p, spec, NULL, context) ? 1 : 0;
    }
    if (!eq && i + 1 >= argc) {
        option_usage_error(p->command, "%s needs a value", spec->name);
        return 0;
    }
    return option_store(p, spec, eq ? eq + 1 : argv[i + 1], context) ? (eq ? 1 : 2) : 0;
}

bool option_parse(const option_parser *p, int argc, char **argv, void *context, bool *help)
{
    for (int i = 1; i < argc;) {
        int used = option_take_argument(p, argc, argv, i, context, help);
        if (used == 0)
            return false;
        i += used;
    }
    return true;
}
