/* SPDX-License-Identifier: MIT */
/*
 * Basic WDK and interface types the driver-model headers need beyond
 * base.h: counted 16-bit strings, GUID, opaque kernel objects reached only
 * by pointer, the network-interface identifiers (NET_LUID, NET_IFINDEX and
 * the NET_IF_* enumerations).
 *
 * Strings: Windows' WCHAR is 16 bits, so WCHAR here is uint16_t and not
 * wchar_t (32 bits on Linux by default). A wide literal L"..." fits a PWSTR
 * only under -fshort-wchar, which the installed package passes to its
 * consumers (docs/wdk-compat.md); u"..." (char16_t, 16 bits) works with or
 * without it. NDIS_STRING_CONST and RTL_CONSTANT_STRING take either.
 *
 * SAL: the annotations driver code is written with come from sal.h (all of
 * them, as no-ops); the IRQL names (PASSIVE_LEVEL, DISPATCH_LEVEL) from
 * sync.h.
 */
#ifndef NDISBUF_NDIS_TYPES_H
#define NDISBUF_NDIS_TYPES_H

#include "base.h"
#include "sal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- 16-bit characters and counted strings ---- */
typedef uint16_t WCHAR, *PWCHAR;
typedef WCHAR *PWSTR;
typedef const WCHAR *PCWSTR;
#define UNICODE_NULL ((WCHAR)0)

/* A counted string: Length and MaximumLength are in bytes, not characters. */
typedef struct _UNICODE_STRING {
    USHORT Length;
    USHORT MaximumLength;
    PWSTR Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;

typedef UNICODE_STRING NDIS_STRING, *PNDIS_STRING;

/*
 * Initialisers for a counted string over a u"..." literal (see the file
 * comment): the length excludes the terminating NUL, the maximum includes it.
 */
#ifndef RTL_CONSTANT_STRING
#define RTL_CONSTANT_STRING(s) \
    { (USHORT)(sizeof(s) - sizeof((s)[0])), (USHORT)sizeof(s), (PWSTR)(s) }
#endif
#define NDIS_STRING_CONST(x) RTL_CONSTANT_STRING(u##x)

/* ---- GUID ---- */
#ifndef GUID_DEFINED
#define GUID_DEFINED
typedef struct _GUID {
    ULONG Data1;
    USHORT Data2;
    USHORT Data3;
    UCHAR Data4[8];
} GUID;
#endif
typedef GUID *PGUID;

/* ---- kernel objects that driver code only passes by pointer ---- */
struct _DRIVER_OBJECT;
typedef struct _DRIVER_OBJECT DRIVER_OBJECT, *PDRIVER_OBJECT;
struct _DEVICE_OBJECT;
typedef struct _DEVICE_OBJECT DEVICE_OBJECT, *PDEVICE_OBJECT;

/* The hardware resources of an adapter (a CM_PARTIAL_RESOURCE_LIST). */
struct _CM_PARTIAL_RESOURCE_LIST;
typedef struct _CM_PARTIAL_RESOURCE_LIST CM_PARTIAL_RESOURCE_LIST, *PCM_PARTIAL_RESOURCE_LIST;
typedef CM_PARTIAL_RESOURCE_LIST NDIS_RESOURCE_LIST, *PNDIS_RESOURCE_LIST;

/* ---- network interface identifiers (ifdef.h) ---- */
typedef ULONG NET_IFINDEX, *PNET_IFINDEX;
typedef USHORT NET_IFTYPE, *PNET_IFTYPE;
typedef ULONG NET_IF_COMPARTMENT_ID, *PNET_IF_COMPARTMENT_ID;

/* 64-bit locally unique interface identifier. */
typedef union _NET_LUID_LH {
    ULONG64 Value;
    struct {
        ULONG64 Reserved : 24;
        ULONG64 NetLuidIndex : 24;
        ULONG64 IfType : 16;
    } Info;
} NET_LUID_LH, *PNET_LUID_LH;
typedef NET_LUID_LH NET_LUID, *PNET_LUID;
typedef NET_LUID IF_LUID, *PIF_LUID;

#define NET_IF_COMPARTMENT_ID_UNSPECIFIED ((NET_IF_COMPARTMENT_ID)0) /* value: not on the reference page */
#define NET_IF_COMPARTMENT_ID_PRIMARY ((NET_IF_COMPARTMENT_ID)1)     /* value: not on the reference page */

/* IANA interface type of any Ethernet-like interface (documented as 6). */
#define IF_TYPE_ETHERNET_CSMACD 6

/* values of the five enumerations below: not on the reference page */
typedef enum _NET_IF_ACCESS_TYPE {
    NET_IF_ACCESS_LOOPBACK = 1,
    NET_IF_ACCESS_BROADCAST = 2,
    NET_IF_ACCESS_POINT_TO_POINT = 3,
    NET_IF_ACCESS_POINT_TO_MULTI_POINT = 4,
    NET_IF_ACCESS_MAXIMUM = 5
} NET_IF_ACCESS_TYPE, *PNET_IF_ACCESS_TYPE;

typedef enum _NET_IF_DIRECTION_TYPE {
    NET_IF_DIRECTION_SENDRECEIVE,
    NET_IF_DIRECTION_SENDONLY,
    NET_IF_DIRECTION_RECEIVEONLY,
    NET_IF_DIRECTION_MAXIMUM
} NET_IF_DIRECTION_TYPE, *PNET_IF_DIRECTION_TYPE;

typedef enum _NET_IF_CONNECTION_TYPE {
    NET_IF_CONNECTION_DEDICATED = 1,
    NET_IF_CONNECTION_PASSIVE = 2,
    NET_IF_CONNECTION_DEMAND = 3,
    NET_IF_CONNECTION_MAXIMUM = 4
} NET_IF_CONNECTION_TYPE, *PNET_IF_CONNECTION_TYPE;

typedef enum _NET_IF_MEDIA_CONNECT_STATE {
    MediaConnectStateUnknown,
    MediaConnectStateConnected,
    MediaConnectStateDisconnected
} NET_IF_MEDIA_CONNECT_STATE, *PNET_IF_MEDIA_CONNECT_STATE;

typedef enum _NET_IF_MEDIA_DUPLEX_STATE {
    MediaDuplexStateUnknown,
    MediaDuplexStateHalf,
    MediaDuplexStateFull
} NET_IF_MEDIA_DUPLEX_STATE, *PNET_IF_MEDIA_DUPLEX_STATE;

_Static_assert(sizeof(WCHAR) == 2, "WCHAR is 16 bits as on Windows");
_Static_assert(sizeof(UNICODE_STRING) == 16, "UNICODE_STRING is 16 bytes on x64");
_Static_assert(offsetof(UNICODE_STRING, Buffer) == 8, "UNICODE_STRING.Buffer at 8");
_Static_assert(sizeof(GUID) == 16, "GUID is 16 bytes");
_Static_assert(sizeof(NET_LUID) == 8, "NET_LUID is 64 bits");
_Static_assert(sizeof(NET_IF_ACCESS_TYPE) == 4, "enums are 32 bits as on Windows");

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_NDIS_TYPES_H */
