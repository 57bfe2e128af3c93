/* SPDX-License-Identifier: MIT */
/*
 * The AF_PACKET miniport (src/miniport/afpacket.c, over the fd-port engine)
 * over a veth pair: adapter A on vA in this process's own network
 * namespace, adapter B on vB in a second namespace (a forked child that
 * only holds it), each with a binding of the test protocol
 * (tests/support/tprot.h). Frames cross both ways and every byte is
 * checked; no adapter receives its own frames; the adapter reports the
 * interface's MAC address and MTU; the packet filter's PROMISCUOUS bit
 * switches the interface's promiscuity; an adapter on lo gets every frame
 * it sends back once, as lo echoes it; initialize fails cleanly for an
 * interface that does not exist or is not Ethernet (TUN). Sends complete
 * in the caller's context when the socket takes them; when it would block
 * (a tbf qdisc holds the frames and the send buffer is tiny), the rest go
 * out from the adapter's thread, in order, and a pause waits for them.
 *
 * Needs root (CAP_NET_ADMIN for the namespaces and the veth, CAP_NET_RAW
 * for the sockets): without it the test prints "SKIP: <reason>" and exits
 * with 77, which ctest reports as skipped.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "tprot.h"

#define SKIP_EXIT 77
#define WINDOW 32 /* frames in flight: a veth and a socket queue drop beyond their limits */

/* The second namespace: a child process that holds it until we close its pipe. */
static struct {
    pid_t pid;
    int hold_fd;     /* closing it lets the child exit */
    int own_ns;      /* this thread's namespace */
    int peer_ns;     /* the child's */
} peer;

typedef struct fixture {
    NDIS_HANDLE driver;
    NDIS_HANDLE a, b;      /* adapters on vA and vB */
    tp_binding *ba, *bb;
} fixture;

static fixture fx;

/* Forks the child that unshares a network namespace and waits; opens both namespaces. */
static bool peer_start(void)
{
    int ready[2], hold[2];
    char byte;

    if (pipe(ready) != 0 || pipe(hold) != 0)
        return false;
    peer.pid = fork();
    if (peer.pid == 0) {
        close(ready[0]);
        close(hold[1]);
        byte = unshare(CLONE_NEWNET) == 0 ? 'y' : 'n';
        (void)!write(ready[1], &byte, 1);
        (void)!read(hold[0], &byte, 1); /* until the parent closes its end */
        _exit(0);
    }
    close(ready[1]);
    close(hold[0]);
    peer.hold_fd = hold[1];
    if (peer.pid < 0 || read(ready[0], &byte, 1) != 1 || byte != 'y')
        return false;
    close(ready[0]);
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)peer.pid);
    peer.peer_ns = open(path, O_RDONLY | O_CLOEXEC);
    peer.own_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    return peer.peer_ns >= 0 && peer.own_ns >= 0;
}

static void peer_stop(void)
{
    close(peer.hold_fd);
    waitpid(peer.pid, NULL, 0);
    close(peer.peer_ns);
    close(peer.own_ns);
}

/* The veth pair: vA here, vB in the peer namespace, both up. */
static bool veth_create(void)
{
    char command[128];

    if (system("ip link add vA type veth peer name vB") != 0)
        return false;
    snprintf(command, sizeof(command), "ip link set vB netns %d", (int)peer.pid);
    if (system(command) != 0 || system("ip link set vA up") != 0)
        return false;
    if (setns(peer.peer_ns, CLONE_NEWNET) != 0)
        return false;
    int rc = system("ip link set vB up");
    if (setns(peer.own_ns, CLONE_NEWNET) != 0)
        return false;
    return rc == 0;
}

/* Adds an adapter while this thread is in the peer namespace, so its socket lives there. */
static NDIS_STATUS add_adapter_in_peer(NDIS_HANDLE driver, const char *name, NDIS_HANDLE *adapter)
{
    NDIS_STATUS status;

    assert_int_equal(setns(peer.peer_ns, CLONE_NEWNET), 0);
    status = ndisbuf_stack_add_adapter(driver, name, adapter);
    assert_int_equal(setns(peer.own_ns, CLONE_NEWNET), 0);
    return status;
}

/* Frames A sends go to B's address and the other way round. */
static void address_bindings(void)
{
    memcpy(fx.ba->tx_dst, fx.bb->mac, 6);
    memcpy(fx.ba->rx_src, fx.bb->mac, 6);
    memcpy(fx.bb->tx_dst, fx.ba->mac, 6);
    memcpy(fx.bb->rx_src, fx.ba->mac, 6);
}

static int veth_setup(void **state)
{
    harness_setup(state);
    memset(&fx, 0, sizeof(fx));
    assert_int_equal(ndisbuf_afpacket_driver_entry(&fx.driver), NDIS_STATUS_SUCCESS);
    tp_register();
    assert_int_equal(ndisbuf_stack_add_adapter(fx.driver, "vA", &fx.a), NDIS_STATUS_SUCCESS);
    assert_int_equal(add_adapter_in_peer(fx.driver, "vB", &fx.b), NDIS_STATUS_SUCCESS);
    fx.ba = tp_bind_adapter(fx.a);
    fx.bb = tp_bind_adapter(fx.b);
    address_bindings();
    return 0;
}

static int veth_teardown(void **state)
{
    tp_binding *both[] = {fx.ba, fx.bb};

    for (int i = 0; i < 2; i++) {
        assert_int_equal(tp_read(both[i], &both[i]->bad_frames), 0);
        assert_int_equal(tp_read(both[i], &both[i]->own_frames), 0);
        assert_int_equal(tp_read(both[i], &both[i]->receives_on_test_thread), 0);
    }
    tp_unbind_adapter(fx.ba);
    tp_unbind_adapter(fx.bb);
    assert_int_equal(ndisbuf_stack_remove_adapter(fx.a), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_remove_adapter(fx.b), NDIS_STATUS_SUCCESS);
    tp_deregister();
    NdisMDeregisterMiniportDriver(fx.driver);
    return harness_teardown(state);
}

#define VETH_TEST(fn) cmocka_unit_test_setup_teardown(fn, veth_setup, veth_teardown)

/* Sends `count` frames from `from`, WINDOW at a time, each window received by `to` before the next. */
static void send_across(tp_binding *from, tp_binding *to, ULONG count, ULONG (*length_of)(ULONG))
{
    ULONG64 base = tp_read(to, &to->frames);

    for (ULONG done = 0; done < count; done += WINDOW) {
        ULONG n = count - done < WINDOW ? count - done : WINDOW;

        tp_send_frames(from, done, n, 8, length_of);
        assert_true(tp_wait_for(to, &to->frames, base + done + n));
    }
    assert_true(tp_wait_completions(from));
}

static void frames_cross_the_veth_both_ways_byte_identical(void **state)
{
    (void)state;
    send_across(fx.ba, fx.bb, 1000, tp_length_varied);
    assert_int_equal(tp_read(fx.ba, &fx.ba->completed_ok), 1000);
    assert_int_equal(tp_read(fx.bb, &fx.bb->frames), 1000);
    assert_int_equal(tp_read(fx.bb, &fx.bb->out_of_order), 0);

    send_across(fx.bb, fx.ba, 1000, tp_length_varied);
    assert_int_equal(tp_read(fx.bb, &fx.bb->completed_ok), 1000);
    assert_int_equal(tp_read(fx.ba, &fx.ba->frames), 1000);
    assert_int_equal(tp_read(fx.ba, &fx.ba->out_of_order), 0);
    assert_int_equal(tp_read(fx.ba, &fx.ba->multi_nb_receives) + tp_read(fx.bb, &fx.bb->multi_nb_receives), 0);
}

/* Sends `count` of A's frames out of vA through a raw socket of the host's, not the adapter. */
static void host_sends_out_of_va(ULONG first_seq, ULONG count)
{
    struct sockaddr_ll to;
    UCHAR frame[TP_MAX_FRAME];
    ULONG64 base = tp_read(fx.bb, &fx.bb->frames);
    int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

    assert_true(s >= 0);
    memset(&to, 0, sizeof(to));
    to.sll_family = AF_PACKET;
    to.sll_ifindex = (int)if_nametoindex("vA");
    to.sll_halen = 6;
    for (ULONG seq = first_seq; seq < first_seq + count; seq++) {
        ULONG length = tp_length_varied(seq);

        tp_frame_fill(fx.ba, frame, length, seq);
        assert_int_equal(sendto(s, frame, length, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)length);
        assert_true(tp_wait_for(fx.bb, &fx.bb->frames, base + seq - first_seq + 1));
    }
    close(s);
}

static void adapter_never_receives_its_own_frames(void **state)
{
    static const UCHAR broadcast[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

    (void)state;
    /* Broadcasts: the peer gets them, the sender must not see them go out. */
    memcpy(fx.ba->tx_dst, broadcast, 6);
    memcpy(fx.bb->rx_dst, broadcast, 6);
    send_across(fx.ba, fx.bb, 200, tp_length_varied);
    /* Nor what the host sends out of vA (PACKET_IGNORE_OUTGOING): the peer gets those too. */
    host_sends_out_of_va(200, 50);
    /* A marker back the other way: once A has it, anything looped to A would have arrived before. */
    send_across(fx.bb, fx.ba, 1, tp_length_varied);
    assert_int_equal(tp_read(fx.bb, &fx.bb->frames), 250);
    assert_int_equal(tp_read(fx.ba, &fx.ba->own_frames), 0);
    assert_int_equal(tp_read(fx.ba, &fx.ba->frames), 1);
    assert_int_equal(tp_read(fx.bb, &fx.bb->own_frames), 0);
}

/* The interface's MAC address, read here. */
static void interface_mac(const char *name, UCHAR *mac)
{
    struct ifreq ifr;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    assert_true(s >= 0);
    assert_int_equal(ioctl(s, SIOCGIFHWADDR, &ifr), 0);
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    close(s);
}

static void adapter_reports_the_interface_address_and_mtu(void **state)
{
    UCHAR expected[6], mac[6];
    ULONG done = 0;

    (void)state;
    interface_mac("vA", expected);
    assert_memory_equal(fx.ba->mac, expected, 6);
    assert_int_equal(tp_oid(fx.ba, NdisRequestQueryInformation, OID_802_3_PERMANENT_ADDRESS, mac, 6, &done, NULL),
                     NDIS_STATUS_SUCCESS);
    assert_memory_equal(mac, expected, 6);
    assert_int_equal(fx.ba->mtu, 1500);
    assert_int_equal(tp_query_ulong(fx.ba, OID_GEN_MAXIMUM_FRAME_SIZE), 1500);
    assert_int_equal(tp_query_ulong(fx.ba, OID_GEN_MEDIA_CONNECT_STATUS), NdisMediaStateConnected);
    /* B's interface lives in the other namespace; its adapter still answers for it. */
    assert_int_equal(tp_query_ulong(fx.bb, OID_GEN_MEDIA_CONNECT_STATUS), NdisMediaStateConnected);
    assert_memory_not_equal(fx.ba->mac, fx.bb->mac, 6);
}

/* The interface's promiscuity count, as `ip -d link` shows it. */
static int promiscuity(const char *name)
{
    char command[128], line[256];
    int value = -1;
    FILE *f;

    snprintf(command, sizeof(command), "ip -d link show %s", name);
    f = popen(command, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        char *at = strstr(line, "promiscuity ");
        if (at != NULL)
            value = atoi(at + strlen("promiscuity "));
    }
    pclose(f);
    return value;
}

static void promiscuous_filter_switches_the_interface(void **state)
{
    ULONG filter = NDIS_PACKET_TYPE_PROMISCUOUS | NDIS_PACKET_TYPE_DIRECTED;

    (void)state;
    assert_int_equal(promiscuity("vA"), 0);
    assert_int_equal(tp_oid(fx.ba, NdisRequestSetInformation, OID_GEN_CURRENT_PACKET_FILTER, &filter,
                            sizeof(filter), NULL, NULL),
                     NDIS_STATUS_SUCCESS);
    assert_int_equal(promiscuity("vA"), 1);
    filter = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST;
    assert_int_equal(tp_oid(fx.ba, NdisRequestSetInformation, OID_GEN_CURRENT_PACKET_FILTER, &filter,
                            sizeof(filter), NULL, NULL),
                     NDIS_STATUS_SUCCESS);
    assert_int_equal(promiscuity("vA"), 0);
    assert_int_equal(tp_query_ulong(fx.ba, OID_GEN_CURRENT_PACKET_FILTER), filter);

    /* Promiscuous again, then the adapter goes away: so does the promiscuity. */
    filter = NDIS_PACKET_TYPE_PROMISCUOUS;
    assert_int_equal(tp_oid(fx.ba, NdisRequestSetInformation, OID_GEN_CURRENT_PACKET_FILTER, &filter,
                            sizeof(filter), NULL, NULL),
                     NDIS_STATUS_SUCCESS);
    assert_int_equal(promiscuity("vA"), 1);
    tp_unbind_adapter(fx.ba);
    assert_int_equal(ndisbuf_stack_remove_adapter(fx.a), NDIS_STATUS_SUCCESS);
    assert_int_equal(promiscuity("vA"), 0);
    assert_int_equal(ndisbuf_stack_add_adapter(fx.driver, "vA", &fx.a), NDIS_STATUS_SUCCESS);
    fx.ba = tp_bind_adapter(fx.a);
    address_bindings();
}

static void oversize_frame_completes_invalid_length(void **state)
{
    (void)state;
    tp_send(fx.ba, tp_build_nbl(fx.ba, 0, 1515, 1));
    assert_true(tp_wait_completions(fx.ba));
    assert_int_equal(tp_read(fx.ba, &fx.ba->completed_invalid_length), 1);
    send_across(fx.ba, fx.bb, 1, tp_length_varied); /* and the adapter still works */
    assert_int_equal(tp_read(fx.bb, &fx.bb->frames), 1);
}

static void pause_and_restart_keep_the_adapter_working(void **state)
{
    ULONG64 received;

    (void)state;
    assert_int_equal(ndisbuf_stack_pause(fx.a), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_state(fx.a), NdisbufStatePaused);
    /* Frames arriving at a paused adapter are read and dropped, never indicated. */
    tp_send_frames(fx.bb, 0, 20, 4, tp_length_varied);
    assert_true(tp_wait_completions(fx.bb));
    assert_int_equal(tp_read(fx.bb, &fx.bb->completed_ok), 20);
    assert_int_equal(tp_read(fx.ba, &fx.ba->frames), 0);

    assert_int_equal(ndisbuf_stack_restart(fx.a), NDIS_STATUS_SUCCESS);
    pthread_mutex_lock(&fx.ba->lock);
    fx.ba->next_seq = 20;
    pthread_mutex_unlock(&fx.ba->lock);
    tp_send_frames(fx.bb, 20, 20, 4, tp_length_varied);
    assert_true(tp_wait_completions(fx.bb));
    assert_true(tp_wait_for(fx.ba, &fx.ba->frames, 20));
    received = tp_read(fx.ba, &fx.ba->frames);
    if (received != 20) /* the thread had not read all of them before the restart: not an error */
        print_message("%llu frames sent while paused came up after the restart\n",
                      (unsigned long long)(received - 20));
    send_across(fx.ba, fx.bb, 10, tp_length_varied); /* and A sends again */
}

static void sends_complete_before_the_send_call_returns(void **state)
{
    static const ULONG pieces[] = {10, 0, 50, 700};
    PNET_BUFFER_LIST head = NULL, *link = &head;
    ULONG seq = 0;

    (void)state;
    /* 70 one-frame NBLs, a three-frame NBL, a frame over four MDLs: more than one batch of 64 frames. */
    for (ULONG i = 0; i < 70; i++, seq++) {
        *link = tp_build_nbl(fx.ba, seq, tp_length_varied(seq), 1);
        link = &NET_BUFFER_LIST_NEXT_NBL(*link);
    }
    *link = tp_build_nbl(fx.ba, seq, 200, 3);
    link = &NET_BUFFER_LIST_NEXT_NBL(*link);
    seq += 3;
    *link = tp_build_chained_nbl(fx.ba, seq++, 700, 5, pieces, 4); /* split over three of them: bounced */
    tp_send(fx.ba, head);
    /* The socket took them: completed on this thread, before NdisSendNetBufferLists returned. */
    assert_int_equal(tp_read(fx.ba, &fx.ba->completed), 72);
    assert_int_equal(tp_read(fx.ba, &fx.ba->completed_ok), 72);
    assert_int_equal(tp_read(fx.ba, &fx.ba->completed_on_test_thread_ok), 72);
    assert_true(tp_wait_for(fx.bb, &fx.bb->frames, seq));
    assert_int_equal(tp_read(fx.bb, &fx.bb->out_of_order), 0);
}

/* The adapter's send socket: the AF_PACKET socket of this process bound to the interface with protocol 0. */
static int adapter_send_socket(const char *ifname)
{
    int ifindex = (int)if_nametoindex(ifname), found = -1;
    DIR *fds = opendir("/proc/self/fd");
    struct dirent *entry;

    assert_non_null(fds);
    while ((entry = readdir(fds)) != NULL) {
        struct sockaddr_ll address;
        socklen_t length = sizeof(address);
        int fd = atoi(entry->d_name);

        memset(&address, 0, sizeof(address));
        if (entry->d_name[0] == '.' || fd == dirfd(fds) ||
            getsockname(fd, (struct sockaddr *)&address, &length) != 0)
            continue;
        if (address.sll_family == AF_PACKET && address.sll_ifindex == ifindex && address.sll_protocol == 0)
            found = fd;
    }
    closedir(fds);
    return found;
}

/*
 * Makes A's send socket block: a tbf qdisc on vA holds sent frames (still
 * charged to the socket) and the socket's send buffer is the smallest the
 * kernel allows. False, with a message, when tc or tbf is missing.
 */
static bool make_a_send_socket_block(void)
{
    int fd = adapter_send_socket("vA"), tiny = 1;

    assert_true(fd >= 0);
    if (system("tc qdisc replace dev vA root tbf rate 50mbit burst 2kb limit 4mb 2>/dev/null") != 0) {
        print_message("no tc or no tbf qdisc: the blocking case is not run\n");
        return false;
    }
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &tiny, sizeof(tiny)), 0);
    return true;
}

/*
 * Sends `chains` chains of 10 NBLs of 5 frames each from A; returns the
 * frames sent. With wait_every, waits for the completions after every
 * wait_every-th chain, so the next one starts in the caller's context.
 */
static ULONG send_five_frame_nbls(ULONG first_seq, ULONG chains, ULONG wait_every)
{
    ULONG seq = first_seq;

    for (ULONG c = 1; c <= chains; c++) {
        PNET_BUFFER_LIST head = NULL, *link = &head;

        for (ULONG i = 0; i < 10; i++, seq += 5) {
            *link = tp_build_nbl(fx.ba, seq, 300 + (seq % 7) * 150, 5);
            link = &NET_BUFFER_LIST_NEXT_NBL(*link);
        }
        tp_send(fx.ba, head);
        if (wait_every != 0 && c % wait_every == 0)
            assert_true(tp_wait_completions(fx.ba));
    }
    return seq - first_seq;
}

static void frames_the_socket_would_block_on_go_out_from_the_thread_in_order(void **state)
{
    ULONG frames;

    (void)state;
    if (!make_a_send_socket_block())
        return;
    /* An NBL's frames may be split by the socket blocking: the rest must resume where it stopped. */
    frames = send_five_frame_nbls(0, 12, 2);
    assert_true(tp_wait_completions(fx.ba));
    assert_true(tp_wait_for(fx.bb, &fx.bb->frames, frames));
    assert_int_equal(system("tc qdisc del dev vA root"), 0);
    assert_int_equal(tp_read(fx.bb, &fx.bb->out_of_order), 0);
    assert_int_equal(tp_read(fx.ba, &fx.ba->completed_ok), 12 * 10);
    /* Some went out from the adapter's thread: the socket would have blocked this one. */
    assert_true(tp_read(fx.ba, &fx.ba->completed_on_test_thread_ok) < 12 * 10);
    /* A marker (sequence 0 again): once it is in, no frame of the above came twice. */
    pthread_mutex_lock(&fx.bb->lock);
    fx.bb->next_seq = 0;
    pthread_mutex_unlock(&fx.bb->lock);
    send_across(fx.ba, fx.bb, 1, tp_length_varied);
    assert_int_equal(tp_read(fx.bb, &fx.bb->frames), frames + 1);
    assert_int_equal(tp_read(fx.bb, &fx.bb->out_of_order), 0);
}

static void pause_waits_for_sends_the_socket_would_block_on(void **state)
{
    ULONG frames;

    (void)state;
    if (!make_a_send_socket_block())
        return;
    frames = send_five_frame_nbls(0, 6, 0);
    /* Pause drains: it returns once every NBL sent down came back. */
    assert_int_equal(ndisbuf_stack_pause(fx.a), NDIS_STATUS_SUCCESS);
    assert_int_equal(tp_read(fx.ba, &fx.ba->completed), 6 * 10);
    assert_int_equal(tp_read(fx.ba, &fx.ba->completed_ok), 6 * 10);
    assert_true(tp_wait_for(fx.bb, &fx.bb->frames, frames));
    assert_int_equal(system("tc qdisc del dev vA root"), 0);
    assert_int_equal(tp_read(fx.bb, &fx.bb->out_of_order), 0);
    assert_int_equal(ndisbuf_stack_restart(fx.a), NDIS_STATUS_SUCCESS);
    pthread_mutex_lock(&fx.bb->lock);
    fx.bb->next_seq = 0;
    pthread_mutex_unlock(&fx.bb->lock);
    send_across(fx.ba, fx.bb, 10, tp_length_varied); /* and A sends again, from sequence 0 */
    assert_int_equal(tp_read(fx.bb, &fx.bb->out_of_order), 0);
}

/*
 * An NBL too long to send, among sends the socket would block on, completes
 * INVALID_LENGTH and counts as one transmit error. The NBLs after a blocked
 * frame go out later from the adapter's thread: one judged unsendable in
 * the caller's context must not be counted a second time there.
 */
static void nbls_rejected_among_blocked_sends_count_one_error_each(void **state)
{
    ULONG seq = 0, rejected = 0;

    (void)state;
    if (!make_a_send_socket_block())
        return;
    for (ULONG c = 1; c <= 12; c++) {
        PNET_BUFFER_LIST head = NULL, *link = &head;

        for (ULONG i = 0; i < 10; i++) {
            if (i % 3 == 2) { /* too long: B never sees it, so it takes no sequence number */
                *link = tp_build_nbl(fx.ba, seq, 1515, 1);
                rejected++;
            } else {
                *link = tp_build_nbl(fx.ba, seq, 300 + (seq % 7) * 150, 5);
                seq += 5;
            }
            link = &NET_BUFFER_LIST_NEXT_NBL(*link);
        }
        tp_send(fx.ba, head);
        if (c % 2 == 0)
            assert_true(tp_wait_completions(fx.ba));
    }
    assert_true(tp_wait_completions(fx.ba));
    assert_true(tp_wait_for(fx.bb, &fx.bb->frames, seq));
    assert_int_equal(system("tc qdisc del dev vA root"), 0);
    assert_int_equal(tp_read(fx.ba, &fx.ba->completed_invalid_length), rejected);
    assert_int_equal(tp_query_ulong(fx.ba, OID_GEN_XMIT_ERROR), rejected);
    assert_int_equal(tp_read(fx.bb, &fx.bb->out_of_order), 0);
    /* Some went out from the adapter's thread: the socket would have blocked this one. */
    assert_true(tp_read(fx.ba, &fx.ba->completed_on_test_thread_ok) < 12 * 10 - rejected);
}

/*
 * An NBL one of whose frames its MDLs do not hold (the second NB describes
 * 300 bytes, its MDL 100) completes INVALID_PACKET, one transmit error,
 * with none of its frames sent: not the first either, which is whole. The
 * NBL behind it and a later one go out, in order.
 */
static void nbl_with_a_frame_its_mdls_do_not_hold_sends_none_of_its_frames(void **state)
{
    (void)state;
    /*
     * From verifier level 1 on, NdisSendNetBufferLists refuses such a chain
     * itself (DATA_LENGTH_EXCEEDS_CHAIN) and it never reaches the miniport:
     * this is the miniport's own check, for when the verifier is off.
     */
    assert_int_equal(ndisbuf_verifier_set(0), NDIS_STATUS_SUCCESS);
    PNET_BUFFER_LIST bad = tp_build_nbl(fx.ba, 0, 300, 3);
    PNET_BUFFER second = NET_BUFFER_NEXT_NB(NET_BUFFER_LIST_FIRST_NB(bad));

    NdisAdjustMdlLength(NET_BUFFER_FIRST_MDL(second), 100);
    /* Sequence 0 again: B must never see one of the bad NBL's frames. */
    NET_BUFFER_LIST_NEXT_NBL(bad) = tp_build_nbl(fx.ba, 0, 300, 2);
    tp_send(fx.ba, bad);
    assert_true(tp_wait_completions(fx.ba));
    assert_true(tp_wait_for(fx.bb, &fx.bb->frames, 2));
    tp_send(fx.ba, tp_build_nbl(fx.ba, 2, 300, 1)); /* a marker: once it is in, nothing else can be on its way */
    assert_true(tp_wait_completions(fx.ba));
    assert_true(tp_wait_for(fx.bb, &fx.bb->frames, 3));
    assert_int_equal(tp_read(fx.bb, &fx.bb->frames), 3);
    assert_int_equal(tp_read(fx.bb, &fx.bb->out_of_order), 0);
    assert_int_equal(tp_read(fx.ba, &fx.ba->completed_other), 1);
    assert_int_equal(tp_read(fx.ba, &fx.ba->completed_ok), 2);
    assert_int_equal(tp_query_ulong(fx.ba, OID_GEN_XMIT_ERROR), 1);
}

/* One of B's frames with an 802.1Q tag (TPID 0x8100, this TCI) after its MAC addresses. */
static PNET_BUFFER_LIST tagged_nbl(tp_binding *b, ULONG seq, ULONG length, USHORT tci, UCHAR *copy)
{
    PNET_BUFFER_LIST nbl = tp_build_nbl(b, seq, length, 1);
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    UCHAR *frame = MmGetSystemAddressForMdlSafe(NET_BUFFER_FIRST_MDL(nb), NormalPagePriority);

    memmove(frame + 16, frame + 12, length - 12);
    frame[12] = 0x81;
    frame[13] = 0x00;
    frame[14] = (UCHAR)(tci >> 8);
    frame[15] = (UCHAR)tci;
    NET_BUFFER_DATA_LENGTH(nb) = length + 4;
    memcpy(copy, frame, length + 4);
    return nbl;
}

static void vlan_tags_the_kernel_strips_come_back_in_the_frame(void **state)
{
    UCHAR expected[TP_MAX_FRAME];
    const USHORT tci = (5 << 13) | 100; /* priority 5, VLAN 100 */

    (void)state;
    /* veth's VLAN offload takes the tag out of the frame; the adapter must put it back. */
    tp_send(fx.bb, tagged_nbl(fx.bb, 0, 1496, tci, expected)); /* 1500 bytes tagged */
    send_across(fx.bb, fx.ba, 1, tp_length_varied);            /* a marker behind it */
    assert_int_equal(tp_read(fx.ba, &fx.ba->tagged_frames), 1);
    pthread_mutex_lock(&fx.ba->lock);
    ULONG length = fx.ba->last_tagged_length;
    int same = memcmp(fx.ba->last_tagged, expected, 1500);
    pthread_mutex_unlock(&fx.ba->lock);
    assert_int_equal(length, 1500);
    assert_int_equal(same, 0);
}

static void loopback_interface_echoes_every_frame_once(void **state)
{
    static const UCHAR zero[6] = {0};
    const USHORT tci = (3 << 13) | 42; /* priority 3, VLAN 42 */
    UCHAR expected[TP_MAX_FRAME];
    NDIS_HANDLE lo = NULL;
    tp_binding *b;

    (void)state;
    /* lo is ARPHRD_LOOPBACK but carries Ethernet headers: accepted, its address all zeros. */
    assert_int_equal(system("ip link set lo up"), 0);
    assert_int_equal(ndisbuf_stack_add_adapter(fx.driver, "lo", &lo), NDIS_STATUS_SUCCESS);
    b = tp_bind_adapter(lo);
    assert_memory_equal(b->mac, zero, 6);
    assert_int_equal(b->mtu, 1500); /* lo's 65536, capped */
    assert_int_equal(tp_query_ulong(b, OID_GEN_MEDIA_CONNECT_STATUS), NdisMediaStateConnected);

    /* Each frame comes back once: lo's echo, not the outgoing copy as well. */
    send_across(b, b, 1000, tp_length_varied);
    assert_int_equal(tp_read(b, &b->completed_ok), 1000);
    assert_int_equal(tp_read(b, &b->frames), 1000);
    assert_int_equal(tp_read(b, &b->out_of_order), 0);

    /* A tagged frame comes back with its tag (taken off by the kernel, put back), a marker behind it. */
    tp_send(b, tagged_nbl(b, 0, 1496, tci, expected));
    tp_send_frames(b, 1000, 1, 1, tp_length_varied);
    assert_true(tp_wait_for(b, &b->frames, 1001));
    assert_true(tp_wait_completions(b));
    assert_int_equal(tp_read(b, &b->tagged_frames), 1);
    pthread_mutex_lock(&b->lock);
    ULONG length = b->last_tagged_length;
    int same = memcmp(b->last_tagged, expected, 1500);
    pthread_mutex_unlock(&b->lock);
    assert_int_equal(length, 1500);
    assert_int_equal(same, 0);
    assert_int_equal(tp_read(b, &b->bad_frames), 0);

    tp_unbind_adapter(b);
    assert_int_equal(ndisbuf_stack_remove_adapter(lo), NDIS_STATUS_SUCCESS);
}

/* A TUN interface (ARPHRD_NONE: IP packets without an Ethernet header), alive while the descriptor is. */
static int tun_create(const char *name)
{
    struct ifreq ifr;
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

    if (fd < 0)
        return -1;
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void initialize_fails_cleanly_for_missing_or_non_ethernet_interfaces(void **state)
{
    NDIS_HANDLE adapter = (NDIS_HANDLE)1;
    int tun = tun_create("ndtun0");

    (void)state;
    assert_int_equal(ndisbuf_stack_add_adapter(fx.driver, "nosuch0", &adapter), NDIS_STATUS_ADAPTER_NOT_FOUND);
    assert_null(adapter);
    if (tun >= 0) {
        adapter = (NDIS_HANDLE)1;
        assert_int_equal(ndisbuf_stack_add_adapter(fx.driver, "ndtun0", &adapter), NDIS_STATUS_UNSUPPORTED_MEDIA);
        assert_null(adapter);
        close(tun);
    } else {
        print_message("no TUN interface (/dev/net/tun): the non-Ethernet case is not run\n");
    }
    adapter = (NDIS_HANDLE)1;
    assert_int_equal(ndisbuf_stack_add_adapter(fx.driver, "a-name-longer-than-ifnamsiz", &adapter),
                     NDIS_STATUS_ADAPTER_NOT_FOUND);
    assert_null(adapter);
    harness_diag_clear(); /* the stack explains each failure */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        VETH_TEST(frames_cross_the_veth_both_ways_byte_identical),
        VETH_TEST(adapter_never_receives_its_own_frames),
        VETH_TEST(adapter_reports_the_interface_address_and_mtu),
        VETH_TEST(promiscuous_filter_switches_the_interface),
        VETH_TEST(oversize_frame_completes_invalid_length),
        VETH_TEST(sends_complete_before_the_send_call_returns),
        VETH_TEST(frames_the_socket_would_block_on_go_out_from_the_thread_in_order),
        VETH_TEST(pause_waits_for_sends_the_socket_would_block_on),
        VETH_TEST(nbls_rejected_among_blocked_sends_count_one_error_each),
        VETH_TEST(nbl_with_a_frame_its_mdls_do_not_hold_sends_none_of_its_frames),
        VETH_TEST(vlan_tags_the_kernel_strips_come_back_in_the_frame),
        VETH_TEST(pause_and_restart_keep_the_adapter_working),
        VETH_TEST(loopback_interface_echoes_every_frame_once),
        VETH_TEST(initialize_fails_cleanly_for_missing_or_non_ethernet_interfaces),
    };
    int failed;

    if (geteuid() != 0) {
        printf("SKIP: needs root (CAP_NET_ADMIN, CAP_NET_RAW) for network namespaces and a veth pair\n");
        return SKIP_EXIT;
    }
    if (unshare(CLONE_NEWNET) != 0) {
        printf("SKIP: unshare(CLONE_NEWNET) failed: %s\n", strerror(errno));
        return SKIP_EXIT;
    }
    if (!peer_start()) {
        printf("SKIP: could not start a second network namespace\n");
        return SKIP_EXIT;
    }
    if (!veth_create()) {
        peer_stop();
        printf("SKIP: could not create the veth pair vA/vB with ip(8)\n");
        return SKIP_EXIT;
    }
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    peer_stop(); /* the peer namespace goes, and vB with it, and vA with its peer */
    return failed;
}
