/* SPDX-License-Identifier: MIT */
/*
 * The TAP miniport (src/miniport/tap.c, over the fd-port engine) in a
 * private network namespace: the adapter creates the TAP interface "ndtap0"
 * and brings it up; a raw AF_PACKET socket on that interface plays the
 * host. Frames the stack sends arrive at the host byte-identical; frames
 * the host sends out of the interface come up through the stack
 * byte-identical; the adapter's MAC address is locally administered and
 * derived from its name; the interface lives exactly as long as the
 * adapter; a name already taken by another kind of interface fails with
 * NDIS_STATUS_OPEN_FAILED.
 *
 * The binding of the test protocol (tests/support/tprot.h) checks what
 * comes up; a second tp_binding record, never bound, describes the host's
 * frames and checks what the host reads.
 *
 * Needs root (CAP_NET_ADMIN) and /dev/net/tun: without them the test prints
 * "SKIP: <reason>" and exits with 77, which ctest reports as skipped.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "tprot.h"

#define SKIP_EXIT 77
#define TAP_NAME "ndtap0"
#define WINDOW 32 /* frames in flight: the TAP queue and the socket drop beyond their limits */

typedef struct fixture {
    NDIS_HANDLE driver;
    NDIS_HANDLE adapter;
    tp_binding *b;       /* the test protocol's binding on the adapter */
    tp_binding host;     /* the host side: addresses and stamp of its frames (not a binding) */
    int socket;          /* raw socket on the TAP interface, ignoring what it sends itself */
    ULONG64 host_frames, host_bad, host_own;
} fixture;

static fixture fx;

/* Opens the host's raw socket on the TAP interface. */
static int open_host_socket(void)
{
    struct sockaddr_ll at;
    int one = 1, size = 4 * 1024 * 1024;
    int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

    assert_true(s >= 0);
    assert_int_equal(setsockopt(s, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)), 0);
    (void)setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
    memset(&at, 0, sizeof(at));
    at.sll_family = AF_PACKET;
    at.sll_protocol = htons(ETH_P_ALL);
    at.sll_ifindex = (int)if_nametoindex(TAP_NAME);
    assert_true(at.sll_ifindex > 0);
    assert_int_equal(bind(s, (struct sockaddr *)&at, sizeof(at)), 0);
    return s;
}

static int tap_setup(void **state)
{
    static const UCHAR host_mac[6] = {0x02, 0x48, 0x4F, 0x53, 0x54, 0x00}; /* "HOST" */

    harness_setup(state);
    memset(&fx, 0, sizeof(fx));
    assert_int_equal(ndisbuf_tap_driver_entry(&fx.driver), NDIS_STATUS_SUCCESS);
    tp_register();
    assert_int_equal(ndisbuf_stack_add_adapter(fx.driver, TAP_NAME, &fx.adapter), NDIS_STATUS_SUCCESS);
    fx.b = tp_bind_adapter(fx.adapter);
    fx.socket = open_host_socket();

    /* The adapter talks to HOST, the host to the adapter's address. */
    fx.host.sender = 200;
    memcpy(fx.host.tx_src, host_mac, 6);
    memcpy(fx.host.tx_dst, fx.b->mac, 6);
    memcpy(fx.host.rx_dst, host_mac, 6);
    memcpy(fx.host.rx_src, fx.b->mac, 6);
    memcpy(fx.b->tx_dst, host_mac, 6);
    memcpy(fx.b->rx_src, host_mac, 6);
    return 0;
}

static int tap_teardown(void **state)
{
    assert_int_equal(tp_read(fx.b, &fx.b->bad_frames), 0);
    assert_int_equal(tp_read(fx.b, &fx.b->own_frames), 0);
    assert_int_equal(tp_read(fx.b, &fx.b->receives_on_test_thread), 0);
    close(fx.socket);
    tp_unbind_adapter(fx.b);
    assert_int_equal(ndisbuf_stack_remove_adapter(fx.adapter), NDIS_STATUS_SUCCESS);
    tp_deregister();
    NdisMDeregisterMiniportDriver(fx.driver);
    return harness_teardown(state);
}

#define TAP_TEST(fn) cmocka_unit_test_setup_teardown(fn, tap_setup, tap_teardown)

/* Reads frames on the host socket until `count` of the adapter's have arrived (or 20 s pass). */
static void host_read(ULONG count)
{
    static UCHAR frame[TP_MAX_FRAME];
    ULONG64 target = fx.host_frames + count;
    int idle = 0;

    while (fx.host_frames < target && idle < TP_WAIT_SECONDS * 10) {
        struct pollfd p = {fx.socket, POLLIN, 0};
        ssize_t n;
        ULONG seq = 0;

        if (poll(&p, 1, 100) == 0) {
            idle++;
            continue;
        }
        n = recv(fx.socket, frame, sizeof(frame), MSG_DONTWAIT);
        if (n <= 0)
            continue;
        switch (tp_frame_check(&fx.host, frame, (ULONG)n, &seq)) {
        case TP_GOOD: fx.host_frames++; break;
        case TP_BAD: fx.host_bad++; break;
        case TP_OWN: fx.host_own++; break;
        case TP_FOREIGN: break; /* the host's own chatter (IPv6 and the like) */
        }
    }
    assert_int_equal(fx.host_frames, target);
}

static void frames_sent_through_the_stack_reach_the_host_byte_identical(void **state)
{
    (void)state;
    for (ULONG done = 0; done < 1024; done += WINDOW) {
        tp_send_frames(fx.b, done, WINDOW, 8, tp_length_varied);
        host_read(WINDOW);
    }
    assert_true(tp_wait_completions(fx.b));
    assert_int_equal(tp_read(fx.b, &fx.b->completed_ok), 1024);
    assert_int_equal(fx.host_bad, 0);
    assert_int_equal(fx.host_own, 0);
}

/* Sends `count` host frames out of the TAP interface, WINDOW at a time, each window received through the stack. */
static void host_send(ULONG first_seq, ULONG count)
{
    UCHAR frame[TP_MAX_FRAME];
    ULONG64 base = tp_read(fx.b, &fx.b->frames);

    for (ULONG seq = first_seq; seq < first_seq + count; seq++) {
        ULONG length = tp_length_varied(seq);

        tp_frame_fill(&fx.host, frame, length, seq);
        assert_int_equal(send(fx.socket, frame, length, 0), (ssize_t)length);
        if ((seq - first_seq + 1) % WINDOW == 0 || seq + 1 == first_seq + count)
            assert_true(tp_wait_for(fx.b, &fx.b->frames, base + seq - first_seq + 1));
    }
}

static void frames_the_host_sends_come_up_through_the_stack_byte_identical(void **state)
{
    (void)state;
    host_send(0, 1000);
    assert_int_equal(tp_read(fx.b, &fx.b->frames), 1000);
    assert_int_equal(tp_read(fx.b, &fx.b->out_of_order), 0);
    assert_int_equal(tp_read(fx.b, &fx.b->multi_nb_receives), 0);
    assert_int_equal(tp_query_ulong(fx.b, OID_GEN_RCV_OK) >= 1000, 1);
}

static void adapter_address_is_local_and_derived_from_its_name(void **state)
{
    UCHAR mac[6];
    ULONG done = 0;

    (void)state;
    assert_int_equal(fx.b->mac[0], 0x02);
    assert_int_equal(fx.b->mac[1], 0x00);
    assert_int_equal(fx.b->mac[2], 0x54);
    assert_int_equal(tp_oid(fx.b, NdisRequestQueryInformation, OID_802_3_CURRENT_ADDRESS, mac, 6, &done, NULL),
                     NDIS_STATUS_SUCCESS);
    assert_memory_equal(mac, fx.b->mac, 6);
    assert_int_equal(tp_query_ulong(fx.b, OID_GEN_MAXIMUM_FRAME_SIZE), 1500);
    assert_int_equal(tp_query_ulong(fx.b, OID_GEN_MEDIA_CONNECT_STATUS), NdisMediaStateConnected);
}

static void interface_lives_as_long_as_the_adapter(void **state)
{
    NDIS_HANDLE second = NULL;

    (void)state;
    assert_true(if_nametoindex(TAP_NAME) > 0);
    assert_int_equal(ndisbuf_stack_add_adapter(fx.driver, "ndtap1", &second), NDIS_STATUS_SUCCESS);
    assert_true(if_nametoindex("ndtap1") > 0);
    assert_int_equal(ndisbuf_stack_remove_adapter(second), NDIS_STATUS_SUCCESS);
    assert_int_equal(if_nametoindex("ndtap1"), 0);
}

/* CPU seconds this process has used. */
static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void interface_deleted_under_the_adapter_fails_sends_and_leaves_it_removable(void **state)
{
    struct timespec pause = {0, 300 * 1000 * 1000};
    double before;

    (void)state;
    assert_int_equal(system("ip link del " TAP_NAME), 0);
    /* The thread must not spin on a descriptor that now reports an error forever. */
    before = cpu_seconds();
    nanosleep(&pause, NULL);
    assert_true(cpu_seconds() - before < 0.15);
    tp_send_frames(fx.b, 0, 5, 5, tp_length_varied);
    assert_true(tp_wait_completions(fx.b));
    assert_int_equal(tp_read(fx.b, &fx.b->completed_ok), 0);
    assert_int_equal(tp_read(fx.b, &fx.b->completed), 5);
}

static void a_name_taken_by_another_kind_of_interface_fails_to_open(void **state)
{
    NDIS_HANDLE adapter = (NDIS_HANDLE)1;

    (void)state;
    assert_int_equal(ndisbuf_stack_add_adapter(fx.driver, "lo", &adapter), NDIS_STATUS_OPEN_FAILED);
    assert_null(adapter);
    harness_diag_clear();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TAP_TEST(frames_sent_through_the_stack_reach_the_host_byte_identical),
        TAP_TEST(frames_the_host_sends_come_up_through_the_stack_byte_identical),
        TAP_TEST(adapter_address_is_local_and_derived_from_its_name),
        TAP_TEST(interface_lives_as_long_as_the_adapter),
        TAP_TEST(interface_deleted_under_the_adapter_fails_sends_and_leaves_it_removable),
        TAP_TEST(a_name_taken_by_another_kind_of_interface_fails_to_open),
    };

    if (geteuid() != 0) {
        printf("SKIP: needs root (CAP_NET_ADMIN) for a network namespace and a TAP interface\n");
        return SKIP_EXIT;
    }
    if (access("/dev/net/tun", R_OK | W_OK) != 0) {
        printf("SKIP: /dev/net/tun: %s\n", strerror(errno));
        return SKIP_EXIT;
    }
    if (unshare(CLONE_NEWNET) != 0) {
        printf("SKIP: unshare(CLONE_NEWNET) failed: %s\n", strerror(errno));
        return SKIP_EXIT;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
