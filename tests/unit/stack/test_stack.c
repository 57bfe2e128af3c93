/* SPDX-License-Identifier: MIT */
/*
 * The binding stack's rules (docs/stack.md, ndis-semantics §8), with the
 * test drivers of tests/support/stackdrv.h: registration checks, the state
 * machine, back-fill sums at bind, restart and by OID, pause drains, sends
 * and receives while paused, routing of completions and returns, several
 * bindings, filters inserted and removed at run time.
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "stackdrv.h"

typedef struct rig {
    td_miniport m;
    td_filter f;
    td_protocol p;
    NDIS_HANDLE adapter;
} rig;

static rig *rig_up(ULONG mini_data, ULONG mini_context)
{
    static rig r;
    memset(&r, 0, sizeof r);
    r.m.data_backfill = mini_data;
    r.m.context_backfill = mini_context;
    td_miniport_register(&r.m);
    assert_int_equal(ndisbuf_stack_add_adapter(r.m.driver, "test0", &r.adapter), NDIS_STATUS_SUCCESS);
    td_protocol_register(&r.p, "tdproto");
    assert_int_equal(ndisbuf_stack_bind(r.adapter, r.p.driver, &r.p.binding), NDIS_STATUS_SUCCESS);
    return &r;
}

static void rig_down(rig *r)
{
    td_protocol_deregister(&r->p);
    if (r->f.driver)
        td_filter_deregister(&r->f);
    td_miniport_deregister(&r->m);
    assert_int_equal(ndisbuf_stack_state(r->adapter), NdisbufStateInvalid);
}

/* ---- registration ---- */

static void test_registration_is_checked(void **state)
{
    (void)state;
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS c = {0};
    NDIS_HANDLE h = (NDIS_HANDLE)1;
    c.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
    c.Header.Revision = 1;
    c.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
    c.MajorNdisVersion = 6;
    assert_int_equal(NdisMRegisterMiniportDriver(NULL, NULL, NULL, &c, &h), NDIS_STATUS_BAD_CHARACTERISTICS);
    assert_null(h);
    assert_true(harness_diag_contains("InitializeHandlerEx"));
    c.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    assert_int_equal(NdisMRegisterMiniportDriver(NULL, NULL, NULL, &c, &h), NDIS_STATUS_BAD_VERSION);
    assert_true(harness_diag_contains("Header.Type"));

    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS pc = {0};
    pc.Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS;
    pc.Header.Revision = 1;
    pc.Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1;
    pc.MajorNdisVersion = 6;
    assert_int_equal(NdisRegisterProtocolDriver(NULL, &pc, &h), NDIS_STATUS_BAD_CHARACTERISTICS);
    assert_true(harness_diag_contains("Name is empty"));
}

static void test_bad_handles_fail_cleanly(void **state)
{
    (void)state;
    NDIS_HANDLE out = (NDIS_HANDLE)1;
    int bogus = 0;
    assert_int_equal(ndisbuf_stack_add_adapter(&bogus, "x", &out), NDIS_STATUS_INVALID_PARAMETER);
    assert_null(out);
    assert_true(harness_diag_contains("not a registered driver handle"));
    assert_int_equal(ndisbuf_stack_pause(&bogus), NDIS_STATUS_INVALID_PARAMETER);
    assert_int_equal(ndisbuf_stack_state(&bogus), NdisbufStateInvalid);
    NdisSendNetBufferLists(NULL, NULL, 0, 0);
    assert_true(harness_diag_contains("NdisBindingHandle"));
}

static void test_initialize_without_attributes_fails(void **state)
{
    (void)state;
    td_miniport m = {0};
    m.skip_general_attributes = true;
    td_miniport_register(&m);
    NDIS_HANDLE a;
    assert_int_equal(ndisbuf_stack_add_adapter(m.driver, "bad0", &a), NDIS_STATUS_FAILURE);
    assert_null(a);
    assert_true(harness_diag_contains("general"));
    assert_int_equal(m.halts, 1);
    td_miniport_deregister(&m);
}

/* ---- life of a binding ---- */

static void test_bind_runs_the_stack(void **state)
{
    (void)state;
    rig *r = rig_up(8, 16);
    assert_int_equal(ndisbuf_stack_state(r->adapter), NdisbufStateRunning);
    assert_int_equal(ndisbuf_stack_state(r->p.binding), NdisbufStateRunning);
    assert_int_equal(r->p.bind_params.DataBackFillSize, 8);
    assert_int_equal(r->p.bind_params.ContextBackFillSize, 16);
    assert_int_equal(r->p.bind_params.MtuSize, 1500);
    assert_int_equal(r->p.restarts, 1);
    assert_int_equal(r->p.restart_data, 8);
    assert_int_equal(r->m.last_pause_reason, NDIS_PAUSE_BIND_PROTOCOL);
    assert_int_equal(ndisbuf_stack_unbind(r->p.binding), NDIS_STATUS_SUCCESS);
    assert_int_equal(r->p.unbinds, 1);
    assert_int_equal(ndisbuf_stack_state(r->adapter), NdisbufStateRunning);
    assert_int_equal(ndisbuf_stack_remove_adapter(r->adapter), NDIS_STATUS_SUCCESS);
    assert_int_equal(r->m.halts, 1);
    rig_down(r);
}

static void test_send_and_receive_route_home(void **state)
{
    (void)state;
    rig *r = rig_up(0, 0);
    td_protocol_send(&r->p, 10, 60);
    assert_int_equal(r->p.completed_ok, 10);
    td_miniport_indicate(&r->m, 5, 64, 0x40, 0);
    assert_int_equal(r->p.received, 5);
    assert_int_equal(r->m.receives_returned, 5);
    assert_int_equal(r->p.last_frame[3], 0x43);
    rig_down(r);
}

static void test_resources_receive_is_not_returned(void **state)
{
    (void)state;
    rig *r = rig_up(0, 0);
    td_miniport_indicate(&r->m, 3, 64, 0, NDIS_RECEIVE_FLAGS_RESOURCES);
    assert_int_equal(r->p.resources_receives, 3);
    assert_int_equal(r->m.receives_returned, 0);
    rig_down(r);
}

static void test_pending_bind_completes(void **state)
{
    (void)state;
    td_miniport m = {0};
    td_protocol p = {0};
    NDIS_HANDLE a, b;
    td_miniport_register(&m);
    assert_int_equal(ndisbuf_stack_add_adapter(m.driver, "pend0", &a), NDIS_STATUS_SUCCESS);
    td_protocol_register(&p, "pender");
    p.pend_bind = true;
    assert_int_equal(ndisbuf_stack_bind(a, p.driver, &b), NDIS_STATUS_SUCCESS);
    assert_ptr_equal(b, p.binding);
    assert_int_equal(ndisbuf_stack_state(b), NdisbufStateRunning);
    td_protocol_deregister(&p);
    td_miniport_deregister(&m);
}

static void test_failed_bind_leaves_nothing(void **state)
{
    (void)state;
    td_miniport m = {0};
    td_protocol p = {0};
    NDIS_HANDLE a, b = (NDIS_HANDLE)1;
    td_miniport_register(&m);
    assert_int_equal(ndisbuf_stack_add_adapter(m.driver, "fail0", &a), NDIS_STATUS_SUCCESS);
    td_protocol_register(&p, "failer");
    p.fail_bind = true;
    assert_int_equal(ndisbuf_stack_bind(a, p.driver, &b), NDIS_STATUS_FAILURE);
    assert_null(b);
    NDISBUF_STACK_INFO info;
    assert_int_equal(ndisbuf_stack_get_info(a, &info), NDIS_STATUS_SUCCESS);
    assert_int_equal(info.BindingCount, 0);
    assert_int_equal(ndisbuf_stack_state(a), NdisbufStateRunning);
    td_protocol_deregister(&p);
    td_miniport_deregister(&m);
}

/* ---- pause ---- */

struct pause_call {
    NDIS_HANDLE adapter;
    volatile int done;
    NDIS_STATUS status;
};

static void *pause_thread(void *arg)
{
    struct pause_call *c = arg;
    c->status = ndisbuf_stack_pause(c->adapter);
    __atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void test_pause_waits_for_outstanding_sends(void **state)
{
    (void)state;
    rig *r = rig_up(0, 0);
    r->m.hold_sends = true;
    td_protocol_send(&r->p, 4, 60);
    assert_int_equal(r->p.completed_ok, 0);
    struct pause_call c = {r->adapter, 0, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, pause_thread, &c), 0);
    usleep(50 * 1000);
    assert_int_equal(__atomic_load_n(&c.done, __ATOMIC_ACQUIRE), 0);
    assert_int_equal(ndisbuf_stack_state(r->p.binding), NdisbufStatePausing);
    td_miniport_release_sends(&r->m, NDIS_STATUS_SUCCESS);
    pthread_join(t, NULL);
    assert_int_equal(c.status, NDIS_STATUS_SUCCESS);
    assert_int_equal(r->p.completed_ok, 4);
    assert_int_equal(ndisbuf_stack_state(r->p.binding), NdisbufStatePaused);
    assert_int_equal(ndisbuf_stack_state(r->adapter), NdisbufStatePaused);
    r->m.hold_sends = false;
    assert_int_equal(ndisbuf_stack_restart(r->adapter), NDIS_STATUS_SUCCESS);
    rig_down(r);
}

static void test_pause_waits_for_held_receives(void **state)
{
    (void)state;
    rig *r = rig_up(0, 0);
    r->p.hold_receives = true;
    td_miniport_indicate(&r->m, 2, 64, 0, 0);
    assert_int_equal(r->p.held_count, 2);
    struct pause_call c = {r->adapter, 0, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, pause_thread, &c), 0);
    usleep(50 * 1000);
    assert_int_equal(__atomic_load_n(&c.done, __ATOMIC_ACQUIRE), 0);
    td_protocol_return_held(&r->p);
    pthread_join(t, NULL);
    assert_int_equal(r->m.receives_returned, 2);
    assert_int_equal(ndisbuf_stack_restart(r->adapter), NDIS_STATUS_SUCCESS);
    rig_down(r);
}

static void test_paused_stack_refuses_traffic(void **state)
{
    (void)state;
    ndisbuf_verifier_set(0); /* above 0, traffic while paused is a report (tests/unit/verify) */
    rig *r = rig_up(0, 0);
    assert_int_equal(ndisbuf_stack_pause(r->adapter), NDIS_STATUS_SUCCESS);
    td_protocol_send(&r->p, 3, 60);
    assert_int_equal(r->p.completed_paused, 3);
    assert_int_equal(r->m.nbls_sent, 0);
    /* A miniport indicating while paused gets its NBLs back at once. */
    td_miniport_indicate(&r->m, 2, 64, 0, 0);
    assert_int_equal(r->p.received, 0);
    assert_int_equal(r->m.receives_returned, 2);
    assert_int_equal(ndisbuf_stack_restart(r->adapter), NDIS_STATUS_SUCCESS);
    td_protocol_send(&r->p, 1, 60);
    assert_int_equal(r->p.completed_ok, 1);
    rig_down(r);
}

/* ---- filters ---- */

static void test_filter_insert_and_remove_change_the_sums(void **state)
{
    (void)state;
    rig *r = rig_up(4, 8);
    r->f.data_backfill = 4;
    r->f.context_backfill = 16;
    td_filter_register(&r->f, "tdfilter");
    ULONG restarts_before = r->p.restarts;
    NDIS_HANDLE module;
    assert_int_equal(ndisbuf_stack_attach_filter(r->adapter, r->f.driver, NDISBUF_FILTER_POSITION_TOP, &module),
                     NDIS_STATUS_SUCCESS);
    assert_ptr_equal(module, r->f.module);
    assert_int_equal(r->f.restart_data_seen, 4);
    assert_int_equal(r->p.restarts, restarts_before + 1);
    assert_int_equal(r->p.restart_data, 8);
    assert_int_equal(r->p.restart_context, 24);
    assert_int_equal(r->m.last_pause_reason, NDIS_PAUSE_ATTACH_FILTER);
    NDISBUF_STACK_INFO info;
    assert_int_equal(ndisbuf_stack_get_info(r->p.binding, &info), NDIS_STATUS_SUCCESS);
    assert_int_equal(info.DataBackFillSize, 8);
    assert_int_equal(info.FilterCount, 1);
    assert_int_equal(ndisbuf_stack_get_info(module, &info), NDIS_STATUS_SUCCESS);
    assert_int_equal(info.DataBackFillSize, 4); /* what is below the filter */

    td_protocol_send(&r->p, 6, 60);
    td_miniport_indicate(&r->m, 3, 64, 0, 0);
    assert_int_equal(r->p.completed_ok, 6);
    assert_int_equal(r->p.received, 3);
    assert_int_equal(r->f.sends, 1);
    assert_int_equal(r->f.completes, 1);
    assert_int_equal(r->f.receives, 1);
    assert_int_equal(r->f.returns, 1);

    assert_int_equal(ndisbuf_stack_detach_filter(module), NDIS_STATUS_SUCCESS);
    assert_int_equal(r->f.detaches, 1);
    assert_int_equal(r->p.restart_data, 4);
    assert_int_equal(r->p.restart_context, 8);
    assert_int_equal(ndisbuf_stack_state(module), NdisbufStateInvalid);
    rig_down(r);
}

static void test_filter_without_data_handlers_is_bypassed(void **state)
{
    (void)state;
    rig *r = rig_up(0, 0);
    r->f.bypass_data = true;
    td_filter_register(&r->f, "bypass");
    NDIS_HANDLE module;
    assert_int_equal(ndisbuf_stack_attach_filter(r->adapter, r->f.driver, 0, &module), NDIS_STATUS_SUCCESS);
    td_protocol_send(&r->p, 2, 60);
    td_miniport_indicate(&r->m, 2, 64, 0, 0);
    assert_int_equal(r->p.completed_ok, 2);
    assert_int_equal(r->p.received, 2);
    assert_int_equal(r->f.sends + r->f.receives, 0);
    rig_down(r);
}

static void test_failed_attach_restarts_the_stack(void **state)
{
    (void)state;
    rig *r = rig_up(0, 0);
    r->f.fail_attach = true;
    td_filter_register(&r->f, "failing");
    NDIS_HANDLE module = (NDIS_HANDLE)1;
    assert_int_equal(ndisbuf_stack_attach_filter(r->adapter, r->f.driver, 0, &module), NDIS_STATUS_FAILURE);
    assert_null(module);
    assert_int_equal(ndisbuf_stack_state(r->p.binding), NdisbufStateRunning);
    td_protocol_send(&r->p, 1, 60);
    assert_int_equal(r->p.completed_ok, 1);
    rig_down(r);
}

/* Regression: bind parameters took MtuSize from the miniport, not the stack. */
static void test_bind_parameters_reflect_the_filters(void **state)
{
    (void)state;
    rig *r = rig_up(0, 0);
    r->f.mtu_reduction = 4;
    r->f.data_backfill = 4;
    td_filter_register(&r->f, "mtu");
    NDIS_HANDLE module;
    assert_int_equal(ndisbuf_stack_attach_filter(r->adapter, r->f.driver, 0, &module), NDIS_STATUS_SUCCESS);
    td_protocol q = {0};
    td_protocol_register(&q, "late");
    assert_int_equal(ndisbuf_stack_bind(r->adapter, q.driver, &q.binding), NDIS_STATUS_SUCCESS);
    assert_int_equal(q.bind_params.MtuSize, 1496);
    assert_int_equal(q.bind_params.DataBackFillSize, 4);
    td_protocol_deregister(&q);
    rig_down(r);
}

/* ---- several bindings ---- */

static void test_two_bindings_both_receive(void **state)
{
    (void)state;
    rig *r = rig_up(0, 0);
    td_protocol q = {0};
    td_protocol_register(&q, "second");
    assert_int_equal(ndisbuf_stack_bind(r->adapter, q.driver, &q.binding), NDIS_STATUS_SUCCESS);
    td_miniport_indicate(&r->m, 4, 64, 7, 0);
    assert_int_equal(r->p.received, 4);
    assert_int_equal(q.received, 4);
    assert_int_equal(r->m.receives_returned, 4);
    /* Completions go to the binding that sent. */
    td_protocol_send(&q, 3, 60);
    td_protocol_send(&r->p, 2, 60);
    assert_int_equal(q.completed_ok, 3);
    assert_int_equal(r->p.completed_ok, 2);
    td_protocol_deregister(&q);
    rig_down(r);
}

/* ---- OIDs ---- */

static void test_oid_restart_attributes_and_pending_completion(void **state)
{
    (void)state;
    rig *r = rig_up(12, 24);
    NDIS_RESTART_GENERAL_ATTRIBUTES g;
    NDIS_OID_REQUEST req = {0};
    req.Header.Type = NDIS_OBJECT_TYPE_OID_REQUEST;
    req.Header.Revision = NDIS_OID_REQUEST_REVISION_1;
    req.Header.Size = NDIS_SIZEOF_OID_REQUEST_REVISION_1;
    req.RequestType = NdisRequestQueryInformation;
    req.DATA.QUERY_INFORMATION.Oid = OID_GEN_MINIPORT_RESTART_ATTRIBUTES;
    req.DATA.QUERY_INFORMATION.InformationBuffer = &g;
    req.DATA.QUERY_INFORMATION.InformationBufferLength = 4;
    assert_int_equal(NdisOidRequest(r->p.binding, &req), NDIS_STATUS_BUFFER_TOO_SHORT);
    assert_int_equal(req.DATA.QUERY_INFORMATION.BytesNeeded, sizeof g);
    req.DATA.QUERY_INFORMATION.InformationBufferLength = sizeof g;
    assert_int_equal(NdisOidRequest(r->p.binding, &req), NDIS_STATUS_SUCCESS);
    assert_int_equal(g.DataBackFillSize, 12);
    assert_int_equal(g.ContextBackFillSize, 24);
    assert_int_equal(r->m.oids, 0);

    ULONG frame = 0;
    req.DATA.QUERY_INFORMATION.Oid = OID_GEN_MAXIMUM_FRAME_SIZE;
    req.DATA.QUERY_INFORMATION.InformationBuffer = &frame;
    req.DATA.QUERY_INFORMATION.InformationBufferLength = sizeof frame;
    assert_int_equal(NdisOidRequest(r->p.binding, &req), NDIS_STATUS_SUCCESS);
    assert_int_equal(frame, 1500);

    req.DATA.QUERY_INFORMATION.Oid = OID_GEN_LINK_SPEED;
    assert_int_equal(NdisOidRequest(r->p.binding, &req), NDIS_STATUS_PENDING);
    NdisMOidRequestComplete(r->m.adapter, &req, NDIS_STATUS_SUCCESS);
    assert_int_equal(r->p.oid_completions, 1);
    assert_int_equal(r->p.last_oid_status, NDIS_STATUS_SUCCESS);
    /* Paused: OIDs still go. */
    assert_int_equal(ndisbuf_stack_pause(r->adapter), NDIS_STATUS_SUCCESS);
    req.DATA.QUERY_INFORMATION.Oid = OID_GEN_MAXIMUM_FRAME_SIZE;
    assert_int_equal(NdisOidRequest(r->p.binding, &req), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_restart(r->adapter), NDIS_STATUS_SUCCESS);
    rig_down(r);
}

/* ---- driver bugs ---- */

static void test_send_without_source_handle_is_reported(void **state)
{
    (void)state;
    rig *r = rig_up(0, 0);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(r->p.nbl_pool, 0, 0);
    assert_non_null(nbl);
    NdisSendNetBufferLists(r->p.binding, nbl, 0, 0);
    const struct harness_report *rep = harness_expect_report(NDISBUF_REPORT_SOURCE_HANDLE);
    assert_ptr_equal(rep->object, nbl);
    assert_int_equal(r->m.nbls_sent, 0);
    NdisFreeNetBufferList(nbl);
    rig_down(r);
}

static void test_control_call_from_a_handler_is_refused(void **state)
{
    (void)state;
    rig *r = rig_up(0, 0);
    assert_int_equal(ndisbuf_stack_pause(r->adapter), NDIS_STATUS_SUCCESS);
    r->m.nest_on_restart = true;
    assert_int_equal(ndisbuf_stack_restart(r->adapter), NDIS_STATUS_SUCCESS);
    assert_int_equal(r->m.nested_status, NDIS_STATUS_NOT_ACCEPTED);
    assert_true(harness_diag_contains("inside a driver handler"));
    rig_down(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(test_registration_is_checked),
        HARNESS_TEST(test_bad_handles_fail_cleanly),
        HARNESS_TEST(test_initialize_without_attributes_fails),
        HARNESS_TEST(test_bind_runs_the_stack),
        HARNESS_TEST(test_send_and_receive_route_home),
        HARNESS_TEST(test_resources_receive_is_not_returned),
        HARNESS_TEST(test_pending_bind_completes),
        HARNESS_TEST(test_failed_bind_leaves_nothing),
        HARNESS_TEST(test_pause_waits_for_outstanding_sends),
        HARNESS_TEST(test_pause_waits_for_held_receives),
        HARNESS_TEST(test_paused_stack_refuses_traffic),
        HARNESS_TEST(test_filter_insert_and_remove_change_the_sums),
        HARNESS_TEST(test_filter_without_data_handlers_is_bypassed),
        HARNESS_TEST(test_failed_attach_restarts_the_stack),
        HARNESS_TEST(test_bind_parameters_reflect_the_filters),
        HARNESS_TEST(test_two_bindings_both_receive),
        HARNESS_TEST(test_oid_restart_attributes_and_pending_completion),
        HARNESS_TEST(test_send_without_source_handle_is_reported),
        HARNESS_TEST(test_control_call_from_a_handler_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
