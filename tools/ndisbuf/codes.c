/* SPDX-License-Identifier: MIT */
/*
 * `ndisbuf codes`: the verifier's report codes, as the bug-check reference
 * lists them: value, name and meaning, from NDISBUF_REPORT_CODES (the one
 * list in ndisbuf.h). `ndisbuf codes CODE` shows one code, looked up by
 * value (0x21, 33) or by name (DOUBLE_COMPLETION, NDISBUF_REPORT_DOUBLE_-
 * COMPLETION, any case).
 */
#include <ndis.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compat/number.h"
#include "tool.h"

struct report_code {
    unsigned value;
    const char *name;
    const char *meaning;
};

static const struct report_code report_codes[] = {
#define CODES_X_ENTRY(name, value, text) {value, #name, text},
    NDISBUF_REPORT_CODES(CODES_X_ENTRY)
#undef CODES_X_ENTRY
};

#define REPORT_CODE_COUNT (sizeof(report_codes) / sizeof(report_codes[0]))

static void codes_print(const struct report_code *c)
{
    printf("0x%02X  %-26s %s\n", c->value, c->name, c->meaning);
}

static void codes_print_header(void)
{
    printf("%-4s  %-26s %s\n", "Code", "Name", "Meaning");
}

/*
 * The code a value names (decimal, or hexadecimal after 0x: "33", "0x21";
 * a leading zero is still decimal, "021" is 21) or a name names; NULL when
 * none.
 */
static const struct report_code *codes_find(const char *key)
{
    uint64_t value = 0;
    bool numeric = number_parse_c(key, strlen(key), UINT32_MAX, &value);
    if (!strncasecmp(key, "NDISBUF_REPORT_", 15))
        key += 15;
    for (size_t i = 0; i < REPORT_CODE_COUNT; i++)
        if (numeric ? report_codes[i].value == value : !strcasecmp(report_codes[i].name, key))
            return &report_codes[i];
    return NULL;
}

static int codes_usage(FILE *out)
{
    fprintf(out, "usage: ndisbuf codes [CODE]\n"
                 "\n"
                 "Lists every report code of the ndisbuf verifier with its value, name and\n"
                 "meaning; with CODE (a value such as 0x21 or 33, or a name such as\n"
                 "DOUBLE_COMPLETION) shows that one only. See docs/verifier.md.\n");
    return out == stdout ? 0 : 2;
}

int tool_codes(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
        return codes_usage(stdout);
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        fprintf(stderr, "ndisbuf codes: %s (see 'ndisbuf codes --help')\n",
                argc > 2 ? "one code at most" : "unknown option");
        return 2;
    }
    const struct report_code *one = argc == 2 ? codes_find(argv[1]) : NULL;
    if (argc == 2 && !one) {
        fprintf(stderr, "ndisbuf codes: no report code '%s' (see 'ndisbuf codes')\n", argv[1]);
        return 2;
    }
    codes_print_header();
    for (size_t i = 0; i < REPORT_CODE_COUNT; i++)
        if (!one || one == &report_codes[i])
            codes_print(&report_codes[i]);
    return 0;
}
