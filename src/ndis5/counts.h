/* SPDX-License-Identifier: MIT */
/*
 * The NDIS 5.1 objects' share of the process-wide counts (private): what
 * core/pools.c adds to ndisbuf_live_pool_count() and
 * ndisbuf_outstanding_total(), so every leak check covers packets, buffer
 * descriptors and tagged memory without knowing about them.
 */
#ifndef NDISBUF_NDIS5_COUNTS_H
#define NDISBUF_NDIS5_COUNTS_H

#include <stdint.h>

#include "ndis/base.h"

/* Packet and buffer pools created and not yet freed. */
ULONG n5_live_pool_count(void);
/* Packets, buffer descriptors and tagged-memory blocks outstanding. */
uint64_t n5_outstanding_objects(void);

#endif /* NDISBUF_NDIS5_COUNTS_H */
