/* SPDX-License-Identifier: MIT */
/*
 * <wdm.h> for ndisbuf: the WDM subset of <ntddk.h>. Everything ndisbuf
 * provides of it is declared through <ndis.h>; see <ntddk.h>.
 */
#ifndef NDISBUF_WDM_H
#define NDISBUF_WDM_H

#include "ndis.h"

#endif /* NDISBUF_WDM_H */
