/* SPDX-License-Identifier: MIT */
/*
 * <ntddk.h> for ndisbuf: the kernel support routines a driver includes
 * beside <ndis.h> (device objects, IRPs, spin locks, interlocked
 * operations, lists, strings). ndisbuf declares all of them in <ndis.h>'s
 * headers (ndis/io.h, ndis/sync.h, ndis/list.h, ...), so this header only
 * includes it: a driver's `#include "ntddk.h"` compiles unchanged. What is
 * provided and how it behaves in a process: docs/wdk-compat.md.
 */
#ifndef NDISBUF_NTDDK_H
#define NDISBUF_NTDDK_H

#include "ndis.h"

#endif /* NDISBUF_NTDDK_H */
