/* SPDX-License-Identifier: MIT */
/*
 * Failure-point walks of the example drivers, in-process
 * (docs/fault-injection.md; tools.fault_walk does the same for the demo).
 *
 * The NDIS 5.1 example protocol (examples/ndis51_protocol.c) over the NDIS
 * 6 stack: the loopback miniport, the 5.1 protocol bound through the
 * translation shim (its packet and buffer pools, the shim's NBL, packet
 * and buffer pools), the VLAN filter inserted under the running binding,
 * then frames sent the 5.1 way (a packet, tagged memory, two buffer
 * descriptors each) and read back, copied or kept. A first run counts the
 * allocations (K); then for every k in 1..K the scenario runs again with
 * allocation #k failed. Whatever fails, the scenario carries on as far as
 * it can, tears everything down, and then nothing may be outstanding (NBLs,
 * packets, buffers, tagged memory, pools) and no verifier report may have
 * been raised. A failing k is named in the test's output.
 *
 * The VLAN filter (examples/vlan_filter.c) under a protocol that leaves it
 * no back-fill (the test protocol, NBLs of three frames each): every frame
 * tagged needs a retreat that allocates, every NBL a context. With the
 * filter's own allocations failed one at a time, an NBL it cannot tag
 * must complete back up exactly as it was sent (the NBs it had already
 * tagged untagged, their MDLs freed, its context popped), a frame it
 * cannot strip must go back to the miniport, and what comes back must be
 * intact.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "tprot.h"

#include "ndis51_protocol.h"
#include "vlan_filter.h"

#define WALK_FRAMES 8
#define WALK_READ_MS 2000
#define WALK_READ_AFTER_FAULT_MS 20 /* a frame an injected failure dropped is not waited for long */

typedef struct scene {
    NDIS_HANDLE miniport, adapter, binding, vlan_module;
    PN51_OPEN open;
    bool n51_loaded, vlan_loaded;
    ULONG sent, read;
} scene;

static void frame_make(UCHAR *frame, ULONG length, ULONG seed)
{
    for (ULONG i = 0; i < length; i++)
        frame[i] = (UCHAR)(seed * 31 + i * 5 + 3);
    frame[12] = 0x88;
    frame[13] = 0xB5;
}

/* Builds the stack as far as it goes; the first failure's status. */
static NDIS_STATUS scene_build(scene *s)
{
    NDIS_STATUS st = ndisbuf_loopback_driver_entry(&s->miniport);
    if (st != NDIS_STATUS_SUCCESS)
        return st;
    if ((st = N51DriverEntry(0)) != NDIS_STATUS_SUCCESS)
        return st;
    s->n51_loaded = true;
    if ((st = VlanFilterDriverEntry(7, 1)) != NDIS_STATUS_SUCCESS)
        return st;
    s->vlan_loaded = true;
    if ((st = ndisbuf_stack_add_adapter(s->miniport, "loop0", &s->adapter)) != NDIS_STATUS_SUCCESS)
        return st;
    if ((st = ndisbuf_stack_bind(s->adapter, N51ProtocolHandle(), &s->binding)) != NDIS_STATUS_SUCCESS)
        return st;
    if (!(s->open = N51OpenBinding("loop0")))
        return NDIS_STATUS_FAILURE;
    return ndisbuf_stack_attach_filter(s->adapter, VlanFilterDriverHandle(), NDISBUF_FILTER_POSITION_TOP,
                                       &s->vlan_module);
}

/* Sends the frames (failures allowed) and reads back what comes. */
static void scene_traffic(scene *s, BOOLEAN keep)
{
    UCHAR frame[N51_MAX_FRAME_LENGTH], got[N51_MAX_FRAME_LENGTH];
    N51SetKeepReceivedPackets(s->open, keep);
    for (ULONG i = 0; i < WALK_FRAMES; i++) {
        ULONG length = 60 + i * 150;
        frame_make(frame, length, i);
        s->sent += N51Send(s->open, frame, length) == NDIS_STATUS_SUCCESS;
    }
    for (ULONG i = 0; i < s->sent; i++) {
        ULONG wait = ndisbuf_fault_injected() ? WALK_READ_AFTER_FAULT_MS : WALK_READ_MS;
        if (!N51Read(s->open, got, sizeof(got), wait))
            break;
        s->read++;
    }
    N51WaitForSends(s->open, WALK_READ_MS);
}

/* Takes down whatever scene_build made, in the reverse order. */
static void scene_teardown(scene *s)
{
    if (s->open)
        N51CloseBinding(s->open);
    if (s->vlan_module) {
        /* Its restart of the rest allocates (the shim's NBL pool): a fault may fail that too, and the binding
         * then stays paused; removing the adapter still takes everything down. */
        NDIS_STATUS st = ndisbuf_stack_detach_filter(s->vlan_module);
        if (st != NDIS_STATUS_SUCCESS && !ndisbuf_fault_injected())
            assert_int_equal(st, NDIS_STATUS_SUCCESS);
    }
    if (s->adapter)
        assert_int_equal(ndisbuf_stack_remove_adapter(s->adapter), NDIS_STATUS_SUCCESS);
    if (s->vlan_loaded)
        VlanFilterDriverUnload();
    if (s->n51_loaded)
        N51DriverUnload();
    if (s->miniport)
        NdisMDeregisterMiniportDriver(s->miniport);
}

static ULONG64 tag_outstanding(ULONG tag)
{
    NDISBUF_TAG_USAGE usage;
    ndisbuf_tagged_memory_query(tag, &usage);
    return usage.OutstandingAllocations;
}

/* One run with plan armed (NULL: none); asserts it left nothing behind. Returns what it built. */
static NDIS_STATUS scene_run(const NDISBUF_FAULT_PLAN *plan, BOOLEAN keep, ULONG64 k, scene *s)
{
    size_t reports = harness_report_count();
    memset(s, 0, sizeof(*s));
    assert_int_equal(ndisbuf_fault_set(plan), NDIS_STATUS_SUCCESS);
    NDIS_STATUS st = scene_build(s);
    if (s->open && (st == NDIS_STATUS_SUCCESS || !s->vlan_module))
        scene_traffic(s, keep);
    scene_teardown(s);
    ndisbuf_fault_set(NULL);
    ULONG64 left = ndisbuf_outstanding_total();
    ULONG pools = ndisbuf_live_pool_count();
    ULONG64 tags = tag_outstanding(N51_SEND_TAG) + tag_outstanding(N51_RECEIVE_TAG) + tag_outstanding(N51_OPEN_TAG);
    if (left || pools || tags || harness_report_count() != reports)
        print_error("allocation #%llu failed (%s): %llu objects outstanding, %u pools live, %llu tagged blocks, "
                    "%zu reports; last diagnostic: %s\n",
                    (unsigned long long)k, ndisbuf_status_name(st), (unsigned long long)left, pools,
                    (unsigned long long)tags, harness_report_count() - reports, ndisbuf_last_diagnostic());
    assert_int_equal(left, 0);
    assert_int_equal(pools, 0);
    assert_int_equal(tags, 0);
    harness_expect_no_report();
    return st;
}

static void every_allocation_failure_of_the_51_scenario_is_clean(void **state)
{
    NDISBUF_FAULT_PLAN count = {.Kinds = NDISBUF_FAULT_ALL, .FailNth = ~0ull};
    scene s;
    (void)state;
    assert_int_equal(scene_run(&count, FALSE, 0, &s), NDIS_STATUS_SUCCESS);
    assert_int_equal(s.read, WALK_FRAMES);
    ULONG64 total = ndisbuf_fault_allocations();
    ULONG failed_runs = 0;
    for (ULONG64 k = 1; k <= total; k++) {
        NDISBUF_FAULT_PLAN plan = {.Kinds = NDISBUF_FAULT_ALL, .FailNth = k};
        failed_runs += scene_run(&plan, (BOOLEAN)(k & 1), k, &s) != NDIS_STATUS_SUCCESS || s.read != WALK_FRAMES;
    }
    print_message("K = %llu allocations walked; %u runs ended short of the full round trip, all cleanly\n",
                  (unsigned long long)total, failed_runs);
    harness_diag_clear();
}

/* ---- the VLAN filter with no back-fill ---- */

#define VLAN_NBLS 4
#define VLAN_FRAMES_PER_NBL 3

static ULONG64 vlan_walk_run(const NDISBUF_FAULT_PLAN *plan, ULONG64 k)
{
    NDIS_HANDLE driver = NULL, adapter = NULL, module = NULL;
    PNET_BUFFER_LIST head = NULL, *link = &head;
    size_t reports = harness_report_count();
    assert_int_equal(ndisbuf_loopback_driver_entry(&driver), NDIS_STATUS_SUCCESS);
    assert_int_equal(VlanFilterDriverEntry(3, 0), NDIS_STATUS_SUCCESS);
    tp_register();
    assert_int_equal(ndisbuf_stack_add_adapter(driver, "loop0", &adapter), NDIS_STATUS_SUCCESS);
    tp_binding *b = tp_bind_adapter(adapter);
    assert_int_equal(ndisbuf_stack_attach_filter(adapter, VlanFilterDriverHandle(), 0, &module), NDIS_STATUS_SUCCESS);

    for (ULONG i = 0; i < VLAN_NBLS; i++) {
        *link = tp_build_nbl(b, i * VLAN_FRAMES_PER_NBL, 100 + i * 200, VLAN_FRAMES_PER_NBL);
        link = &NET_BUFFER_LIST_NEXT_NBL(*link);
    }
    assert_int_equal(ndisbuf_fault_set(plan), NDIS_STATUS_SUCCESS);
    tp_send(b, head);
    assert_true(tp_wait_completions(b)); /* the loopback indicates a frame before it completes its send */
    ULONG64 counted = ndisbuf_fault_allocations();
    ndisbuf_fault_set(NULL);

    ULONG64 ok = tp_read(b, &b->completed_ok), other = tp_read(b, &b->completed_other);
    ULONG64 frames = tp_read(b, &b->frames), bad = tp_read(b, &b->bad_frames);
    if (ok + other != VLAN_NBLS || bad || frames > ok * VLAN_FRAMES_PER_NBL)
        print_error("allocation #%llu failed: %llu sends ok, %llu failed, %llu frames back, %llu bad\n",
                    (unsigned long long)k, (unsigned long long)ok, (unsigned long long)other,
                    (unsigned long long)frames, (unsigned long long)bad);
    assert_int_equal(ok + other, VLAN_NBLS);
    assert_int_equal(bad, 0);
    assert_true(frames <= ok * VLAN_FRAMES_PER_NBL);
    assert_int_equal(ndisbuf_stack_detach_filter(module), NDIS_STATUS_SUCCESS);
    tp_unbind_adapter(b);
    assert_int_equal(ndisbuf_stack_remove_adapter(adapter), NDIS_STATUS_SUCCESS);
    tp_deregister();
    VlanFilterDriverUnload();
    NdisMDeregisterMiniportDriver(driver);
    assert_int_equal(ndisbuf_outstanding_total(), 0);
    assert_int_equal(ndisbuf_live_pool_count(), 0);
    assert_int_equal(harness_report_count(), reports);
    return counted;
}

static void every_vlan_filter_allocation_failure_without_back_fill_is_clean(void **state)
{
    const ULONG kinds = NDISBUF_FAULT_RETREAT | NDISBUF_FAULT_CONTEXT | NDISBUF_FAULT_MDL;
    NDISBUF_FAULT_PLAN count = {.Kinds = kinds, .FailNth = ~0ull};
    (void)state;
    ULONG64 total = vlan_walk_run(&count, 0);
    /* per NBL a context and a retreat per frame on the way down, a context per frame on the way up */
    assert_int_equal(total, VLAN_NBLS * (1 + 2 * VLAN_FRAMES_PER_NBL));
    for (ULONG64 k = 1; k <= total; k++) {
        NDISBUF_FAULT_PLAN plan = {.Kinds = kinds, .FailNth = k};
        vlan_walk_run(&plan, k);
    }
    print_message("K = %llu filter allocations walked, all cleanly\n", (unsigned long long)total);
    harness_diag_clear();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(every_allocation_failure_of_the_51_scenario_is_clean),
        HARNESS_TEST(every_vlan_filter_allocation_failure_without_back_fill_is_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
