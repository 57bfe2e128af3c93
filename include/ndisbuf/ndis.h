/* SPDX-License-Identifier: MIT */
/*
 * <ndis.h> for ndisbuf: the NDIS buffer-management surface a Windows network
 * driver includes, for compiling driver code unchanged on Linux.
 *
 * The names are the WDK's, exactly. ndisbuf's own additions (verifier
 * control, statistics, diagnostics) are in <ndisbuf.h>, included here so a
 * test can reach them without a second include.
 */
#ifndef NDISBUF_NDIS_H
#define NDISBUF_NDIS_H

#include "ndis/base.h"
#include "ndis/status.h"
#include "ndis/object.h"
#include "ndis/mdl.h"
#include "ndis/nblinfo.h"
#include "ndis/nbl.h"
#include "ndis/pool.h"
#include "ndis/nbldata.h"
#include "ndis/derived.h"
#include "ndis/types.h"
#include "ndis/oid.h"
#include "ndis/driver.h"
#include "ndis/ndis5.h"
#include "ndis/ntstatus.h"
#include "ndis/debug.h"
#include "ndis/list.h"
#include "ndis/sync.h"
#include "ndis/event.h"
#include "ndis/roles.h"
#include "ndis/version.h"
#include "ndis/io.h"
#include "ndis/config.h"
#include "ndis/work.h"
#include "ndis/dpc.h"
#include "ndis/optional.h"
#include "ndisbuf.h"

#endif /* NDISBUF_NDIS_H */
