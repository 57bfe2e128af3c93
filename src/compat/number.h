/* SPDX-License-Identifier: MIT */
/*
 * Whole numbers written as text: the one parser the library uses for what
 * users type (adapter keywords, the verifier's environment, fault plans).
 * Private to src/.
 */
#ifndef NDISBUF_COMPAT_NUMBER_H
#define NDISBUF_COMPAT_NUMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The `len` characters at text as a number in `base` (10 or 16) no larger
 * than max, in *out: digits only, at least one, no sign, space or prefix.
 * False (and *out untouched) for anything else, overflow included.
 */
bool number_parse(const char *text, size_t len, unsigned base, uint64_t max, uint64_t *out);

/* number_parse after an optional "0x" or "0X", which makes it hexadecimal; decimal without one. */
bool number_parse_c(const char *text, size_t len, uint64_t max, uint64_t *out);

#endif /* NDISBUF_COMPAT_NUMBER_H */
