/* SPDX-License-Identifier: MIT */
/*
 * <wdmguid.h> for ndisbuf. The WDK header of this name declares the GUIDs of PnP notifications (GUID_DEVICE_INTERFACE_ARRIVAL, ...).
 * A process has no WMI, security descriptors or PnP manager, and ndisbuf
 * declares none of these names: the header exists so that a driver that
 * includes it without using it (as Microsoft's ndisprot sample does)
 * compiles unchanged. It includes <ndis.h>.
 */
#ifndef NDISBUF_WDMGUID_H
#define NDISBUF_WDMGUID_H

#include "ndis.h"

#endif /* NDISBUF_WDMGUID_H */
