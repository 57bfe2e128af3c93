/* SPDX-License-Identifier: MIT */
/*
 * <wdmsec.h> for ndisbuf. The WDK header of this name declares IoCreateDeviceSecure and the SDDL_DEVOBJ_* security descriptors.
 * A process has no WMI, security descriptors or PnP manager, and ndisbuf
 * declares none of these names: the header exists so that a driver that
 * includes it without using it (as Microsoft's ndisprot sample does)
 * compiles unchanged. It includes <ndis.h>.
 */
#ifndef NDISBUF_WDMSEC_H
#define NDISBUF_WDMSEC_H

#include "ndis.h"

#endif /* NDISBUF_WDMSEC_H */
