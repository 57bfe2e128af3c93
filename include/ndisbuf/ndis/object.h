/* SPDX-License-Identifier: MIT */
/*
 * NDIS_OBJECT_HEADER: the versioned header at the front of NDIS 6 structures.
 *
 * Parameter and characteristics structures begin with a 4-byte header that
 * says what the structure is (Type), which revision of its layout the
 * caller filled in (Revision) and how many bytes it spans (Size). A callee
 * checks Revision and Size before touching later fields, which is how one
 * structure grows across NDIS versions without breaking older drivers.
 *
 * The Type values are listed here; each structure's own header file
 * defines its Revision and NDIS_SIZEOF_* constants next to the structure.
 * Many structures use NDIS_OBJECT_TYPE_DEFAULT rather than a type of their
 * own; the structure's documentation says which.
 */
#ifndef NDISBUF_NDIS_OBJECT_H
#define NDISBUF_NDIS_OBJECT_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _NDIS_OBJECT_HEADER {
    UCHAR Type;     /* NDIS_OBJECT_TYPE_* */
    UCHAR Revision; /* revision of the enclosing structure's layout */
    USHORT Size;    /* bytes of the enclosing structure, header included */
} NDIS_OBJECT_HEADER, *PNDIS_OBJECT_HEADER;

#define NDIS_OBJECT_REVISION_1 1

/* ---- object types (Type member) ---- */
#define NDIS_OBJECT_TYPE_DEFAULT                                     0x80
#define NDIS_OBJECT_TYPE_MINIPORT_INIT_PARAMETERS                    0x81
#define NDIS_OBJECT_TYPE_SG_DMA_DESCRIPTION                          0x83
#define NDIS_OBJECT_TYPE_MINIPORT_INTERRUPT                          0x84
#define NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES                    0x85
#define NDIS_OBJECT_TYPE_BIND_PARAMETERS                             0x86
#define NDIS_OBJECT_TYPE_OPEN_PARAMETERS                             0x87
#define NDIS_OBJECT_TYPE_RSS_CAPABILITIES                            0x88
#define NDIS_OBJECT_TYPE_RSS_PARAMETERS                              0x89
#define NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS             0x8A
#define NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS               0x8B
#define NDIS_OBJECT_TYPE_FILTER_PARTIAL_CHARACTERISTICS              0x8C
#define NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES                           0x8D
#define NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS 0x8E
#define NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS 0x8F
#define NDIS_OBJECT_TYPE_CO_PROTOCOL_CHARACTERISTICS                 0x90
#define NDIS_OBJECT_TYPE_CO_MINIPORT_CHARACTERISTICS                 0x91
#define NDIS_OBJECT_TYPE_MINIPORT_PNP_CHARACTERISTICS                0x92
#define NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_CHARACTERISTICS      0x93
#define NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_CHARACTERISTICS    0x94
#define NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS             0x95
#define NDIS_OBJECT_TYPE_REQUEST_EX                                  0x96
#define NDIS_OBJECT_TYPE_OID_REQUEST                                 0x96 /* same value as REQUEST_EX */
#define NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS                       0x97
#define NDIS_OBJECT_TYPE_STATUS_INDICATION                           0x98
#define NDIS_OBJECT_TYPE_FILTER_ATTACH_PARAMETERS                    0x99
#define NDIS_OBJECT_TYPE_FILTER_PAUSE_PARAMETERS                     0x9A
#define NDIS_OBJECT_TYPE_FILTER_RESTART_PARAMETERS                   0x9B
#define NDIS_OBJECT_TYPE_PORT_CHARACTERISTICS                        0x9C
#define NDIS_OBJECT_TYPE_PORT_STATE                                  0x9D
#define NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES    0x9E
#define NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES         0x9F
#define NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES         0xA0
#define NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_NATIVE_802_11_ATTRIBUTES   0xA1
#define NDIS_OBJECT_TYPE_RESTART_GENERAL_ATTRIBUTES                  0xA2
/* The NDIS_RESTART_GENERAL_ATTRIBUTES page spells this type "GENERIC". */
#define NDIS_OBJECT_TYPE_RESTART_GENERIC_ATTRIBUTES                  NDIS_OBJECT_TYPE_RESTART_GENERAL_ATTRIBUTES
#define NDIS_OBJECT_TYPE_PROTOCOL_RESTART_PARAMETERS                 0xA3
#define NDIS_OBJECT_TYPE_MINIPORT_ADD_DEVICE_REGISTRATION_ATTRIBUTES 0xA4
#define NDIS_OBJECT_TYPE_CO_CALL_MANAGER_OPTIONAL_HANDLERS           0xA5
#define NDIS_OBJECT_TYPE_CO_CLIENT_OPTIONAL_HANDLERS                 0xA6
#define NDIS_OBJECT_TYPE_OFFLOAD                                     0xA7
#define NDIS_OBJECT_TYPE_OFFLOAD_ENCAPSULATION                       0xA8
#define NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT                        0xA9
#define NDIS_OBJECT_TYPE_DRIVER_WRAPPER_OBJECT                       0xAA
#define NDIS_OBJECT_TYPE_HD_SPLIT_ATTRIBUTES                         0xAB
#define NDIS_OBJECT_TYPE_NSI_NETWORK_RW_STRUCT                       0xAC
#define NDIS_OBJECT_TYPE_NSI_COMPARTMENT_RW_STRUCT                   0xAD
#define NDIS_OBJECT_TYPE_NSI_INTERFACE_PERSIST_RW_STRUCT             0xAE
#define NDIS_OBJECT_TYPE_NDK_PROVIDER_CHARACTERISTICS                0xB2
#define NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_NDK_ATTRIBUTES             0xB3
#define NDIS_OBJECT_TYPE_MINIPORT_SS_CHARACTERISTICS                 0xB4
#define NDIS_OBJECT_TYPE_RSS_PARAMETERS_V2                           0xC8
#define NDIS_OBJECT_TYPE_RSS_SET_INDIRECTION_ENTRIES                 0xC9

_Static_assert(sizeof(NDIS_OBJECT_HEADER) == 4, "NDIS_OBJECT_HEADER is 4 bytes");
_Static_assert(offsetof(NDIS_OBJECT_HEADER, Revision) == 1, "Revision follows Type");
_Static_assert(offsetof(NDIS_OBJECT_HEADER, Size) == 2, "Size is the second USHORT");
_Static_assert(NDIS_OBJECT_TYPE_DEFAULT == 0x80, "NDIS_OBJECT_TYPE_DEFAULT is 0x80");

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_NDIS_OBJECT_H */
