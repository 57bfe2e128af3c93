/* SPDX-License-Identifier: MIT */
/*
 * Names for NDIS_STATUS codes, for logs, test failures and the verifier.
 *
 * The table is not written out here: NDISBUF_STATUS_MAP in ndis/status.h
 * lists each code once, and this file expands it into a switch. Because
 * the switch has one case per code, two codes that share a value are a
 * compile error, so the list cannot silently grow a duplicate.
 */
#include "ndis/status.h"

#define STATUS_NAME_CASE(name, value) \
    case value:                       \
        return "NDIS_STATUS_" #name;

NDISBUF_API const char *ndisbuf_status_name(NDIS_STATUS status)
{
    switch (status) {
        NDISBUF_STATUS_MAP(STATUS_NAME_CASE)
    default:
        return "unknown";
    }
}

#undef STATUS_NAME_CASE
