/* SPDX-License-Identifier: MIT */
/*
 * The stack `ndisbuf demo` builds, the way NDIS builds one: drivers
 * register, an adapter arrives (ndisbuf_stack_add_adapter), the capture
 * filter attaches directly above the miniport, rawprot binds on top, and
 * later the VLAN filter is inserted between them while the binding runs.
 * Teardown goes the other way and carries on past a failure, so that what
 * can be freed is freed and the leak check that follows means something.
 *
 * Each call that fails names its step in s->failed_step for the message.
 *
 * With --peer-netns the peer's adapter is added from inside the peer's
 * network namespace (demo_netns.c); everything after that goes through
 * the descriptors the miniport opened there, from any namespace.
 */
#include <stdio.h>

#include "capture.h"
#include "demo.h"
#include "vlan_filter.h"

/* Passes status through; the first failure's step is kept, with the adapter's name if any. */
static NDIS_STATUS demo_step(demo_stack *s, const char *step, const demo_side *side, NDIS_STATUS status)
{
    if (status == NDIS_STATUS_SUCCESS || s->failed_step[0])
        return status;
    if (side)
        snprintf(s->failed_step, sizeof(s->failed_step), "%s '%s' (%s miniport)", step, side->name,
                 s->miniport_kind);
    else
        snprintf(s->failed_step, sizeof(s->failed_step), "%s", step);
    return status;
}

NDIS_STATUS demo_stack_load(demo_stack *s, const demo_options *o)
{
    NDIS_STATUS st;
    s->miniport_kind = o->iface ? "AF_PACKET" : "loopback";
    st = o->iface ? ndisbuf_afpacket_driver_entry(&s->miniport_driver)
                  : ndisbuf_loopback_driver_entry(&s->miniport_driver);
    if (demo_step(s, "loading the miniport driver", NULL, st) != NDIS_STATUS_SUCCESS)
        return st;
    if (demo_step(s, "loading rawprot", NULL, RawProtDriverEntry()) != NDIS_STATUS_SUCCESS)
        return NDIS_STATUS_FAILURE;
    s->rawprot_loaded = true;
    st = VlanFilterDriverEntry(o->vlan, o->priority);
    if (demo_step(s, "loading the VLAN filter driver", NULL, st) != NDIS_STATUS_SUCCESS)
        return st;
    s->vlan_loaded = true;
    if (o->pcap) {
        st = CaptureDriverEntry();
        if (demo_step(s, "loading the capture filter driver", NULL, st) != NDIS_STATUS_SUCCESS)
            return st;
        s->capture_loaded = true;
    }
    return NDIS_STATUS_SUCCESS;
}

/* Keeps a failed system call's step and errno (unless a step failed before); NDIS_STATUS_FAILURE. */
static NDIS_STATUS demo_errno_step(demo_stack *s, const char *verb, const char *path, int error)
{
    if (!s->failed_step[0]) {
        snprintf(s->failed_step, sizeof(s->failed_step), "%s network namespace '%s' (--peer-netns)", verb, path);
        s->failed_errno = error;
    }
    return NDIS_STATUS_FAILURE;
}

/*
 * Adds the side's adapter, from inside network namespace netns when it is
 * one (the miniport's socket is created there and stays there), then
 * brings this thread back. An adapter added is counted even when the way
 * back fails, so that teardown removes it.
 */
static NDIS_STATUS demo_add_adapter(demo_stack *s, demo_side *side, int netns, const char *path)
{
    int home = -1, error = netns >= 0 ? demo_netns_enter(netns, &home) : 0;
    NDIS_STATUS st;

    if (error != 0)
        return demo_errno_step(s, "entering", path, error);
    st = ndisbuf_stack_add_adapter(s->miniport_driver, side->name, &side->adapter);
    error = netns >= 0 ? demo_netns_leave(home) : 0;
    if (demo_step(s, "adding adapter", side, st) != NDIS_STATUS_SUCCESS)
        return st;
    s->side_count++;
    return error != 0 ? demo_errno_step(s, "leaving", path, error) : NDIS_STATUS_SUCCESS;
}

NDIS_STATUS demo_stack_add_side(demo_stack *s, const demo_options *o, const char *name, int netns)
{
    demo_side *side = &s->sides[s->side_count];
    side->name = name;
    NDIS_STATUS st = demo_add_adapter(s, side, netns, o->peer_netns);
    if (st != NDIS_STATUS_SUCCESS)
        return st;
    if (o->pcap) {
        st = ndisbuf_stack_attach_filter(side->adapter, CaptureDriverHandle(), 0, &side->capture_module);
        if (demo_step(s, "attaching the capture filter to", side, st) != NDIS_STATUS_SUCCESS)
            return st;
    }
    st = ndisbuf_stack_bind(side->adapter, RawProtProtocolHandle(), &side->binding);
    if (demo_step(s, "binding rawprot to", side, st) != NDIS_STATUS_SUCCESS)
        return st;
    side->open = RawProtOpenBinding(side->binding);
    return demo_step(s, "opening rawprot's binding to", side, side->open ? NDIS_STATUS_SUCCESS : NDIS_STATUS_FAILURE);
}

NDIS_STATUS demo_stack_insert_vlan(demo_stack *s, demo_side *side)
{
    NDIS_STATUS st = ndisbuf_stack_attach_filter(side->adapter, VlanFilterDriverHandle(),
                                                 NDISBUF_FILTER_POSITION_TOP, &side->vlan_module);
    return demo_step(s, "inserting the VLAN filter into", side, st);
}

/* Keeps the first failure. */
static void demo_keep(NDIS_STATUS *first, demo_stack *s, const char *step, const demo_side *side, NDIS_STATUS st)
{
    if (*first == NDIS_STATUS_SUCCESS && demo_step(s, step, side, st) != NDIS_STATUS_SUCCESS)
        *first = st;
}

static void demo_side_teardown(demo_stack *s, demo_side *side, NDIS_STATUS *first)
{
    if (side->open) {
        RawProtSetReceiveCallback(side->open, NULL, NULL);
        RawProtCloseBinding(side->open);
        side->open = NULL;
    }
    if (side->binding)
        demo_keep(first, s, "unbinding rawprot from", side, ndisbuf_stack_unbind(side->binding));
    if (side->vlan_module)
        demo_keep(first, s, "detaching the VLAN filter from", side, ndisbuf_stack_detach_filter(side->vlan_module));
    if (side->capture_module)
        demo_keep(first, s, "detaching the capture filter from", side,
                  ndisbuf_stack_detach_filter(side->capture_module));
    if (side->adapter)
        demo_keep(first, s, "removing adapter", side, ndisbuf_stack_remove_adapter(side->adapter));
    side->binding = side->vlan_module = side->capture_module = side->adapter = NULL;
}

NDIS_STATUS demo_stack_teardown(demo_stack *s)
{
    NDIS_STATUS first = NDIS_STATUS_SUCCESS;
    for (ULONG i = s->side_count; i-- > 0;)
        demo_side_teardown(s, &s->sides[i], &first);
    s->side_count = 0;
    CaptureDriverUnload(); /* closes the pcap file even when the driver never registered */
    if (s->vlan_loaded)
        VlanFilterDriverUnload();
    if (s->rawprot_loaded)
        RawProtDriverUnload();
    if (s->miniport_driver)
        NdisMDeregisterMiniportDriver(s->miniport_driver);
    s->capture_loaded = s->vlan_loaded = s->rawprot_loaded = false;
    s->miniport_driver = NULL;
    return first;
}
