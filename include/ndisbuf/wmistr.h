/* SPDX-License-Identifier: MIT */
/*
 * <wmistr.h> for ndisbuf. The WDK header of this name declares WMI registration structures (WMIREGINFO, WNODE_HEADER), used by drivers that publish WMI data blocks.
 * A process has no WMI, security descriptors or PnP manager, and ndisbuf
 * declares none of these names: the header exists so that a driver that
 * includes it without using it (as Microsoft's ndisprot sample does)
 * compiles unchanged. It includes <ndis.h>.
 */
#ifndef NDISBUF_WMISTR_H
#define NDISBUF_WMISTR_H

#include "ndis.h"

#endif /* NDISBUF_WMISTR_H */
