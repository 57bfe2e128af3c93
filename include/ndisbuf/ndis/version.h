/* SPDX-License-Identifier: MIT */
/*
 * Which NDIS 6 version the driver being compiled is written for, from the
 * build's preprocessor definition, as the WDK does: `NDIS60`, `NDIS61`,
 * `NDIS620`, `NDIS630`, `NDIS640`, `NDIS650`, `NDIS660`, `NDIS670`, `NDIS680`
 * ... `NDIS685` (or the same names with `_MINIPORT` appended, for
 * miniports). It gives `NDIS_SUPPORT_NDIS6xx` (1 for every version up to the
 * chosen one, else 0) and the `NDIS_FILTER_`, `NDIS_MINIPORT_` and
 * `NDIS_PROTOCOL_` major and minor versions a driver copies into its
 * characteristics. With no definition
 * the version is 6.0 (decision: the smallest surface, every 6.x feature
 * test false); ndisbuf's stack accepts any 6.x.
 */
#ifndef NDISBUF_NDIS_VERSION_H
#define NDISBUF_NDIS_VERSION_H

#if defined(NDIS685) || defined(NDIS685_MINIPORT)
#define NDISBUF_NDIS_MINOR 85
#elif defined(NDIS684) || defined(NDIS684_MINIPORT)
#define NDISBUF_NDIS_MINOR 84
#elif defined(NDIS683) || defined(NDIS683_MINIPORT)
#define NDISBUF_NDIS_MINOR 83
#elif defined(NDIS682) || defined(NDIS682_MINIPORT)
#define NDISBUF_NDIS_MINOR 82
#elif defined(NDIS681) || defined(NDIS681_MINIPORT)
#define NDISBUF_NDIS_MINOR 81
#elif defined(NDIS680) || defined(NDIS680_MINIPORT)
#define NDISBUF_NDIS_MINOR 80
#elif defined(NDIS670) || defined(NDIS670_MINIPORT)
#define NDISBUF_NDIS_MINOR 70
#elif defined(NDIS660) || defined(NDIS660_MINIPORT)
#define NDISBUF_NDIS_MINOR 60
#elif defined(NDIS650) || defined(NDIS650_MINIPORT)
#define NDISBUF_NDIS_MINOR 50
#elif defined(NDIS640) || defined(NDIS640_MINIPORT)
#define NDISBUF_NDIS_MINOR 40
#elif defined(NDIS630) || defined(NDIS630_MINIPORT)
#define NDISBUF_NDIS_MINOR 30
#elif defined(NDIS620) || defined(NDIS620_MINIPORT)
#define NDISBUF_NDIS_MINOR 20
#elif defined(NDIS61) || defined(NDIS61_MINIPORT)
#define NDISBUF_NDIS_MINOR 1
#else
#define NDISBUF_NDIS_MINOR 0
#endif

#define NDIS_SUPPORT_NDIS6   1
#define NDIS_SUPPORT_NDIS61  (NDISBUF_NDIS_MINOR >= 1)
#define NDIS_SUPPORT_NDIS620 (NDISBUF_NDIS_MINOR >= 20)
#define NDIS_SUPPORT_NDIS630 (NDISBUF_NDIS_MINOR >= 30)
#define NDIS_SUPPORT_NDIS640 (NDISBUF_NDIS_MINOR >= 40)
#define NDIS_SUPPORT_NDIS650 (NDISBUF_NDIS_MINOR >= 50)
#define NDIS_SUPPORT_NDIS651 (NDISBUF_NDIS_MINOR >= 51)
#define NDIS_SUPPORT_NDIS660 (NDISBUF_NDIS_MINOR >= 60)
#define NDIS_SUPPORT_NDIS670 (NDISBUF_NDIS_MINOR >= 70)
#define NDIS_SUPPORT_NDIS680 (NDISBUF_NDIS_MINOR >= 80)
#define NDIS_SUPPORT_NDIS681 (NDISBUF_NDIS_MINOR >= 81)
#define NDIS_SUPPORT_NDIS682 (NDISBUF_NDIS_MINOR >= 82)
#define NDIS_SUPPORT_NDIS683 (NDISBUF_NDIS_MINOR >= 83)
#define NDIS_SUPPORT_NDIS684 (NDISBUF_NDIS_MINOR >= 84)
#define NDIS_SUPPORT_NDIS685 (NDISBUF_NDIS_MINOR >= 85)

#define NDIS_FILTER_MAJOR_VERSION   6
#define NDIS_FILTER_MINOR_VERSION   NDISBUF_NDIS_MINOR
#define NDIS_MINIPORT_MAJOR_VERSION 6
#define NDIS_MINIPORT_MINOR_VERSION NDISBUF_NDIS_MINOR
#define NDIS_PROTOCOL_MAJOR_VERSION 6
#define NDIS_PROTOCOL_MINOR_VERSION NDISBUF_NDIS_MINOR

#endif /* NDISBUF_NDIS_VERSION_H */
