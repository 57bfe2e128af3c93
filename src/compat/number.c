/* SPDX-License-Identifier: MIT */
/* Whole numbers written as text (number.h). */
#include "number.h"

/* The value of one digit in base 10 or 16, or -1. */
static int number_digit(char c, unsigned base)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (base == 16 && c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (base == 16 && c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool number_parse(const char *text, size_t len, unsigned base, uint64_t max, uint64_t *out)
{
    uint64_t value = 0;

    if (!text || !len || (base != 10 && base != 16))
        return false;
    for (size_t i = 0; i < len; i++) {
        int digit = number_digit(text[i], base);
        if (digit < 0 || (uint64_t)digit > max || value > (max - (uint64_t)digit) / base)
            return false;
        value = value * base + (uint64_t)digit;
    }
    *out = value;
    return true;
}

bool number_parse_c(const char *text, size_t len, uint64_t max, uint64_t *out)
{
    if (text && len > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
        return number_parse(text + 2, len - 2, 16, max, out);
    return number_parse(text, len, 10, max, out);
}
