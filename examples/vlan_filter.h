/* SPDX-License-Identifier: MIT */
/*
 * vlan_filter: an NDIS 6.20 filter driver that puts every frame sent
 * through it on one IEEE 802.1Q VLAN, written against <ndis.h> only.
 *
 * Send: each frame gets a 4-byte tag (TPID 0x8100, then the TCI: priority,
 * DEI 0, VLAN id) after its MAC addresses, in the header room the protocol
 * left in front of it (the filter declares that room, and the context it
 * pushes, in the restart attributes, so protocols above allocate them).
 * The completion takes the tag out again: the sender gets its NBLs back
 * exactly as it sent them.
 *
 * Receive: a frame tagged with the filter's VLAN id goes up untagged, its
 * TCI in the NBL's Ieee8021QNetBufferListInfo; the frame is put back as it
 * was before the miniport gets it back. A frame tagged with another VLAN id
 * is dropped; an untagged frame goes up untouched.
 */
#ifndef NDISBUF_EXAMPLES_VLAN_FILTER_H
#define NDISBUF_EXAMPLES_VLAN_FILTER_H

#include <ndis.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VLAN_FILTER_TPID 0x8100       /* the EtherType of an 802.1Q tag */
#define VLAN_FILTER_TAG_LENGTH 4      /* TPID + TCI: the data back-fill a module adds */
#define VLAN_FILTER_CONTEXT_SIZE 16   /* NBL context a module pushes: the context back-fill it adds */

/* Counters of one filter module. */
typedef struct _VLAN_FILTER_STATS {
    ULONG64 SendsTagged;        /* NBLs tagged and passed down */
    ULONG64 FramesTagged;       /* NET_BUFFERs tagged */
    ULONG64 FramesWithoutRoom;  /* tagged, but the retreat had to allocate an MDL (too little data back-fill) */
    ULONG64 SendsWithoutRoom;   /* context push had to allocate a block (too little context back-fill) */
    ULONG64 SendsCompleted;     /* tagged NBLs whose completion was untagged and passed up */
    ULONG64 SendsRejected;      /* completed back up at once: too short, no context, no room */
    ULONG64 SendsPaused;        /* completed back up with NDIS_STATUS_PAUSED */
    ULONG64 ReceivesStripped;   /* tagged NBLs of our VLAN passed up untagged */
    ULONG64 ReceivesUntagged;   /* untagged NBLs passed up untouched */
    ULONG64 ReceivesForeign;    /* dropped: another VLAN id (or a malformed tag) */
    ULONG64 ReceivesNoContext;  /* dropped: no memory for the NBL context */
    ULONG64 ReceivesPaused;     /* dropped: the module was not running */
    ULONG64 ReceivesRestored;   /* stripped NBLs put back as received (return or RESOURCES) */
    ULONG64 InFlight;           /* NBLs passed down or up and not yet back */
    BOOLEAN Running;            /* restarted and not paused since */
    BOOLEAN PausePending;       /* FilterPause returned PENDING; waiting for InFlight to reach 0 */
    ULONG64 PausesImmediate;
    ULONG64 PausesPended;       /* FilterPause returned PENDING, NdisFPauseComplete later */
    ULONG64 Restarts;
    ULONG MtuReduction;         /* bytes taken off MtuSize at the last restart (0 or 4) */
} VLAN_FILTER_STATS, *PVLAN_FILTER_STATS;

/*
 * Registers the filter driver (NdisFRegisterFilterDriver, NDIS 6.20,
 * characteristics revision 2). Every module tags with VlanId (1..4094) and
 * Priority (0..7); NDIS_STATUS_INVALID_PARAMETER otherwise, and
 * NDIS_STATUS_FAILURE when already registered.
 */
NDIS_STATUS VlanFilterDriverEntry(USHORT VlanId, UCHAR Priority);
/* Deregisters (every module must have been detached first). */
VOID VlanFilterDriverUnload(void);
/* The NdisFilterDriverHandle for ndisbuf_stack_attach_filter; NULL when not registered. */
NDIS_HANDLE VlanFilterDriverHandle(void);

/*
 * The counters of the module whose NdisFilterHandle (what
 * ndisbuf_stack_attach_filter gave) is NdisFilterHandle.
 * NDIS_STATUS_INVALID_PARAMETER when no such module is attached.
 */
NDIS_STATUS VlanFilterGetStats(NDIS_HANDLE NdisFilterHandle, PVLAN_FILTER_STATS Stats);

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_EXAMPLES_VLAN_FILTER_H */
