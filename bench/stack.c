/* SPDX-License-Identifier: MIT */
/*
 * Frames through the binding stack, and the AF_PACKET miniport against a
 * plain AF_PACKET sender.
 *
 * A small protocol driver written here against <ndis.h> (benchprot) sizes
 * its NBL pool at bind for the back-fill and context the stack below asks
 * for, and sends 64-byte frames in chains of 64 allocated with
 * ndisbuf_nbl_alloc_bulk; its send completion frees them with
 * ndisbuf_nbl_free_chain, its receive handler counts and returns. At most
 * STACK_WINDOW frames are in flight; past it the sender sleeps until half
 * have come back.
 *
 * 1. Loopback: benchprot over the VLAN filter of examples/ (tags every
 *    frame into the back-fill, pushes 16 bytes of context) over the
 *    loopback miniport (completes each send, indicates a copy); the filter
 *    strips the tag on the way up; benchprot returns the copy. Twice: with
 *    the loopback's data path on its own thread (keyword DataPath 0, the
 *    default: every frame crosses CPUs twice) and in the sender's context
 *    (DataPath 1: one CPU does everything, inside NdisSendNetBufferLists).
 *    Frames/s (wall) and frames per CPU-second of the whole process
 *    (getrusage: every thread, user + system), i.e. per busy core.
 * 2. AF_PACKET: in a private network namespace (unshare; root only), a
 *    veth pair a/b, nothing reading b. Ours: benchprot over the AF_PACKET
 *    miniport on a. Per chain of 64 frames benchprot bulk-allocates 64
 *    NBLs, writes each 64-byte frame into its NBL's data (memcpy) and makes
 *    one NdisSendNetBufferLists; the miniport (src/miniport/afpacket.c,
 *    fdport_datapath.c), in the caller's context, points one iovec at each
 *    frame in place and sends all 64 with one sendmmsg on its send socket
 *    (SOCK_RAW, bound to a with protocol 0, 4 MiB forced send buffer), then
 *    completes the chain, whose completion handler frees it; meanwhile the
 *    adapter's thread sleeps in poll() on its receive socket (the frames
 *    sent are not received back). The plain sender: a plain C loop on a
 *    socket opened as that send socket is, which per batch of 64 writes
 *    each 64-byte frame (memcpy) into its own 64-byte buffer of a ring of
 *    64, sets each iovec's length, and sends the batch with one sendmmsg
 *    (messages set up once, one iovec each). The two alternate over the
 *    rounds; CPU is the whole process's (every thread, user + system);
 *    overhead = ours / plain - 1, in frames/s and in CPU per frame.
 *    Skipped with a message when not root or the veth cannot be made.
 *
 * BENCH_STACK=loopback (both data paths), loopback-thread, loopback-inline
 * or afpacket runs only that part (to profile one, e.g. under valgrind
 * --tool=callgrind); unset, all run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>

#include "bench.h"

#include <ndisbuf.h>

#include "vlan_filter.h"

#define STACK_FRAME 64
#define STACK_BATCH 64
#define STACK_WINDOW 1024
#define STACK_VLAN 42

/* ====================================================================== */
/* benchprot                                                               */
/* ====================================================================== */

static struct {
    NDIS_HANDLE driver, binding, pool;
    ULONG data_backfill, context_backfill;
    NDIS_MEDIUM medium;
    UINT selected;
    _Atomic unsigned long completed, received, failed;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    _Atomic int waiting;
    unsigned long sent;
    _Atomic unsigned long resume_at; /* completions the sleeping sender waits for */
} bp = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static UCHAR stack_frame[STACK_FRAME];

static NDIS_STATUS bp_bind(NDIS_HANDLE driver_context, NDIS_HANDLE bind_context, PNDIS_BIND_PARAMETERS params)
{
    (void)driver_context;
    NDIS_OPEN_PARAMETERS op;
    memset(&op, 0, sizeof op);
    op.Header.Type = NDIS_OBJECT_TYPE_OPEN_PARAMETERS;
    op.Header.Revision = NDIS_OPEN_PARAMETERS_REVISION_1;
    op.Header.Size = NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1;
    bp.medium = NdisMedium802_3;
    op.AdapterName = params->AdapterName;
    op.MediumArray = &bp.medium;
    op.MediumArraySize = 1;
    op.SelectedMediumIndex = &bp.selected;
    bp.data_backfill = params->DataBackFillSize;
    bp.context_backfill = (params->ContextBackFillSize + 7) & ~7u;
    NDIS_STATUS st = NdisOpenAdapterEx(bp.driver, &bp, &op, bind_context, &bp.binding);
    if (st != NDIS_STATUS_SUCCESS)
        return st;
    bp.pool = bench_nbl_pool(bp.data_backfill + STACK_FRAME, (USHORT)bp.context_backfill);
    return bp.pool ? NDIS_STATUS_SUCCESS : NDIS_STATUS_RESOURCES;
}

static NDIS_STATUS bp_unbind(NDIS_HANDLE unbind_context, NDIS_HANDLE binding_context)
{
    (void)unbind_context;
    (void)binding_context;
    NDIS_STATUS st = NdisCloseAdapterEx(bp.binding);
    if (bp.pool)
        NdisFreeNetBufferListPool(bp.pool);
    bp.pool = NULL;
    bp.binding = NULL;
    return st;
}

static VOID bp_open_complete(NDIS_HANDLE c, NDIS_STATUS s) { (void)c, (void)s; }
static VOID bp_close_complete(NDIS_HANDLE c) { (void)c; }
static NDIS_STATUS bp_pnp(NDIS_HANDLE c, PNET_PNP_EVENT_NOTIFICATION n) { (void)c, (void)n; return NDIS_STATUS_SUCCESS; }
static VOID bp_oid_complete(NDIS_HANDLE c, PNDIS_OID_REQUEST r, NDIS_STATUS s) { (void)c, (void)r, (void)s; }
static VOID bp_status(NDIS_HANDLE c, PNDIS_STATUS_INDICATION s) { (void)c, (void)s; }

static VOID bp_receive(NDIS_HANDLE context, PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER port, ULONG count,
                       ULONG flags)
{
    (void)context;
    (void)port;
    atomic_fetch_add_explicit(&bp.received, count, memory_order_relaxed);
    if (!NDIS_TEST_RECEIVE_CANNOT_PEND(flags))
        NdisReturnNetBufferLists(bp.binding, chain, 0);
}

static VOID bp_send_complete(NDIS_HANDLE context, PNET_BUFFER_LIST chain, ULONG flags)
{
    (void)context;
    (void)flags;
    unsigned long failed = 0;
    for (PNET_BUFFER_LIST nbl = chain; nbl; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl))
        failed += NET_BUFFER_LIST_STATUS(nbl) != NDIS_STATUS_SUCCESS;
    ULONG freed = ndisbuf_nbl_free_chain(chain);
    if (failed)
        atomic_fetch_add_explicit(&bp.failed, failed, memory_order_relaxed);
    unsigned long done = atomic_fetch_add(&bp.completed, freed) + freed;
    /* Only the completion that reaches the mark wakes the sender (once), so it does not meet a held lock. */
    if (atomic_load(&bp.waiting) && done >= atomic_load(&bp.resume_at) && atomic_exchange(&bp.waiting, 0)) {
        pthread_mutex_lock(&bp.lock);
        pthread_cond_signal(&bp.cond);
        pthread_mutex_unlock(&bp.lock);
    }
}

static NDIS_STATUS bp_register(void)
{
    static const WCHAR name[] = u"BENCHPROT";
    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS c;
    memset(&c, 0, sizeof c);
    c.Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS;
    c.Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
    c.Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
    c.MajorNdisVersion = 6;
    c.MinorNdisVersion = 20;
    c.Name.Buffer = (PWSTR)name;
    c.Name.Length = (USHORT)(sizeof(name) - sizeof(WCHAR));
    c.Name.MaximumLength = (USHORT)sizeof(name);
    c.BindAdapterHandlerEx = bp_bind;
    c.UnbindAdapterHandlerEx = bp_unbind;
    c.OpenAdapterCompleteHandlerEx = bp_open_complete;
    c.CloseAdapterCompleteHandlerEx = bp_close_complete;
    c.NetPnPEventHandler = bp_pnp;
    c.OidRequestCompleteHandler = bp_oid_complete;
    c.StatusHandlerEx = bp_status;
    c.ReceiveNetBufferListsHandler = bp_receive;
    c.SendNetBufferListsCompleteHandler = bp_send_complete;
    return NdisRegisterProtocolDriver(NULL, &c, &bp.driver);
}

/*
 * When more than `limit` frames are in flight (sent, not completed), sleeps
 * until at most `resume` are: a sender that stops at the window waits for
 * half of it to come back, not for each batch (one wake-up per half window).
 */
static void bp_wait_in_flight(unsigned long limit, unsigned long resume)
{
    if (bp.sent - atomic_load_explicit(&bp.completed, memory_order_acquire) <= limit)
        return;
    pthread_mutex_lock(&bp.lock);
    atomic_store(&bp.resume_at, bp.sent - resume);
    /* waiting before the count is read again (both seq_cst): a completion either sees it or is seen. */
    atomic_store(&bp.waiting, 1);
    while (atomic_load(&bp.completed) < atomic_load(&bp.resume_at))
        pthread_cond_wait(&bp.cond, &bp.lock);
    atomic_store(&bp.waiting, 0);
    pthread_mutex_unlock(&bp.lock);
}

/* One chain of `count` frames: bulk-allocated, data start past the back-fill, frame copied in. */
static int bp_send_batch(ULONG count)
{
    PNET_BUFFER_LIST a[STACK_BATCH];
    if (ndisbuf_nbl_alloc_bulk(bp.pool, 0, (USHORT)bp.context_backfill, a, count) != NDIS_STATUS_SUCCESS)
        return 0;
    for (ULONG i = 0; i < count; i++) {
        PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(a[i]);
        if (bp.data_backfill)
            NdisAdvanceNetBufferDataStart(nb, bp.data_backfill, FALSE, NULL);
        PUCHAR data = NdisGetDataBuffer(nb, STACK_FRAME, NULL, 1, 0);
        memcpy(data, stack_frame, STACK_FRAME);
        a[i]->SourceHandle = bp.binding;
    }
    bp.sent += count;
    NdisSendNetBufferLists(bp.binding, a[0], NDIS_DEFAULT_PORT_NUMBER, 0);
    return 1;
}

struct run_result {
    double seconds, cpu_seconds;
    unsigned long frames, received, failed;
};

/* Sends `frames` frames; waits for every completion and, when expect_receive, every receive. */
static int bp_run(unsigned long frames, int expect_receive, struct run_result *r)
{
    unsigned long c0 = atomic_load(&bp.completed), r0 = atomic_load(&bp.received), f0 = atomic_load(&bp.failed);
    bp.sent = c0;
    double cpu0 = bench_process_cpu_s(), t0 = bench_now_ns();
    for (unsigned long done = 0; done < frames;) {
        ULONG n = frames - done < STACK_BATCH ? (ULONG)(frames - done) : STACK_BATCH;
        bp_wait_in_flight(STACK_WINDOW - n, STACK_WINDOW / 2);
        if (!bp_send_batch(n)) {
            fprintf(stderr, "stack: allocation failed after %lu frames\n", done);
            return 0;
        }
        done += n;
    }
    bp_wait_in_flight(0, 0);
    double deadline = bench_now_ns() + 5e9;
    while (expect_receive && atomic_load(&bp.received) - r0 < frames && bench_now_ns() < deadline)
        sched_yield();
    r->seconds = (bench_now_ns() - t0) / 1e9;
    r->cpu_seconds = bench_process_cpu_s() - cpu0;
    r->frames = frames;
    r->received = atomic_load(&bp.received) - r0;
    r->failed = atomic_load(&bp.failed) - f0;
    return 1;
}

/* ====================================================================== */
/* 1. loopback                                                             */
/* ====================================================================== */

/* The loopback's data paths, by their "DataPath" keyword value. */
static const struct loopback_data_path {
    const char *keyword_value, *name, *row;
} loopback_data_paths[] = {
    {"0", "loopback-thread", "stack: protocol->VLAN->loopback->receive->return, 64 B, loopback thread (DataPath 0)"},
    {"1", "loopback-inline", "stack: protocol->VLAN->loopback->receive->return, 64 B, sender's context (DataPath 1)"},
};

static void loopback_bench(int quick, const struct loopback_data_path *path)
{
    NDIS_HANDLE miniport = NULL, adapter = NULL, filter = NULL, binding = NULL;
    int vlan = 0;
    unsigned long frames = quick ? 200000 : 2000000;
    int rounds = quick ? 1 : 5;
    double fps[BENCH_MAX_ROUNDS], per_core[BENCH_MAX_ROUNDS];
    struct run_result r = {0};
    const NDISBUF_KEYWORD keyword = {.Name = "DataPath", .Value = path->keyword_value};

    if (ndisbuf_loopback_driver_entry(&miniport) != NDIS_STATUS_SUCCESS ||
        VlanFilterDriverEntry(STACK_VLAN, 0) != NDIS_STATUS_SUCCESS || !(vlan = 1) ||
        ndisbuf_stack_add_adapter_ex(miniport, "bench0", &keyword, 1, &adapter) != NDIS_STATUS_SUCCESS ||
        ndisbuf_stack_attach_filter(adapter, VlanFilterDriverHandle(), NDISBUF_FILTER_POSITION_TOP, &filter) !=
            NDIS_STATUS_SUCCESS ||
        ndisbuf_stack_bind(adapter, bp.driver, &binding) != NDIS_STATUS_SUCCESS) {
        fprintf(stderr, "stack: could not build protocol -> VLAN filter -> loopback (%s); skipped\n",
                ndisbuf_last_diagnostic());
        bench_row(path->row, "skipped", "-", "-", ">= 10 Mfps/core", "-");
        goto teardown;
    }
    printf("stack (%s): benchprot -> VLAN filter -> loopback, %d-byte frames in chains of %d, window %d; "
           "back-fill %lu, context back-fill %lu\n",
           path->name, STACK_FRAME, STACK_BATCH, STACK_WINDOW, (unsigned long)bp.data_backfill,
           (unsigned long)bp.context_backfill);
    bp_run(frames / 10, 1, &r); /* warm up */
    for (int i = 0; i < rounds; i++) {
        if (!bp_run(frames, 1, &r))
            goto teardown;
        fps[i] = (double)r.frames / r.seconds;
        per_core[i] = (double)r.frames / r.cpu_seconds;
        printf("  round %d: %lu frames, %lu received, %lu failed: %.2f Mfps wall, %.2f CPU s, %.2f Mfps per busy "
               "core\n",
               i, r.frames, r.received, r.failed, fps[i] / 1e6, r.cpu_seconds, per_core[i] / 1e6);
    }
    {
        char nd[48], peer[64], met[8];
        double core = bench_median(per_core, rounds), wall = bench_median(fps, rounds);
        snprintf(nd, sizeof nd, "%.2f Mfps/core", core / 1e6);
        snprintf(peer, sizeof peer, "wall %.2f Mfps (%.2f cores busy)", wall / 1e6, wall / core);
        snprintf(met, sizeof met, "%s", core >= 10e6 ? "yes" : "NO");
        bench_row(path->row, nd, peer, "-", ">= 10 Mfps/core", met);
    }
teardown:
    if (binding)
        ndisbuf_stack_unbind(binding);
    if (filter)
        ndisbuf_stack_detach_filter(filter);
    if (adapter)
        ndisbuf_stack_remove_adapter(adapter);
    if (vlan)
        VlanFilterDriverUnload();
    if (miniport)
        NdisMDeregisterMiniportDriver(miniport);
}

/* ====================================================================== */
/* 2. AF_PACKET on a veth pair                                             */
/* ====================================================================== */

/*
 * The plain sender's socket: the one afpacket.c sends on (SOCK_RAW, 4 MiB
 * forced send buffer, bound to the interface with protocol 0).
 */
static int plain_open(const char *ifname)
{
    int size = 4 * 1024 * 1024;
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    struct sockaddr_ll a;
    memset(&a, 0, sizeof a);
    a.sll_family = AF_PACKET;
    a.sll_protocol = 0;
    a.sll_ifindex = (int)if_nametoindex(ifname);
    if (a.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/*
 * The plain sender: each frame built in its own buffer of a ring of
 * STACK_BATCH, sized for the frame as benchprot sizes its NBLs' data and
 * cache-line aligned as theirs is, then the batch sent with one sendmmsg
 * (messages set up once, each iovec's length set per frame).
 */
static _Alignas(64) UCHAR plain_ring[STACK_BATCH][STACK_FRAME];

static int plain_run(int fd, unsigned long frames, struct run_result *r)
{
    struct mmsghdr msgs[STACK_BATCH];
    struct iovec iov[STACK_BATCH];
    memset(msgs, 0, sizeof msgs);
    for (unsigned i = 0; i < STACK_BATCH; i++) {
        iov[i].iov_base = plain_ring[i];
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    double cpu0 = bench_process_cpu_s(), t0 = bench_now_ns();
    for (unsigned long done = 0; done < frames;) {
        unsigned n = frames - done < STACK_BATCH ? (unsigned)(frames - done) : STACK_BATCH;
        for (unsigned i = 0; i < n; i++) {
            memcpy(plain_ring[i], stack_frame, STACK_FRAME);
            iov[i].iov_len = STACK_FRAME;
        }
        for (unsigned next = 0; next < n;) {
            int sent = sendmmsg(fd, &msgs[next], n - next, 0);
            if (sent < 0 && errno == EINTR)
                continue;
            if (sent < 0) {
                r->failed++;
                next++;
                continue;
            }
            next += (unsigned)sent;
        }
        done += n;
    }
    r->seconds = (bench_now_ns() - t0) / 1e9;
    r->cpu_seconds = bench_process_cpu_s() - cpu0;
    r->frames = frames;
    return 1;
}

/*
 * One overhead row: the sides' medians for reading, and as the figure the
 * median of the rounds' own overheads (each round's two sides ran back to
 * back, ABBA, so a slow phase of the machine weighs on both alike).
 */
static void afpacket_row(const char *what, const double *ours, const double *plain, int rounds, const char *unit,
                         int lower_is_better)
{
    char nd[48], peer[64], ratio[32], met[8];
    double overheads[BENCH_MAX_ROUNDS];
    for (int i = 0; i < rounds; i++)
        overheads[i] = lower_is_better ? ours[i] / plain[i] - 1 : plain[i] / ours[i] - 1;
    double overhead = bench_median(overheads, rounds);
    snprintf(nd, sizeof nd, "%.3f %s", bench_median(ours, rounds), unit);
    snprintf(peer, sizeof peer, "plain sendmmsg %.3f %s", bench_median(plain, rounds), unit);
    snprintf(ratio, sizeof ratio, "%+.1f%%", overhead * 100);
    snprintf(met, sizeof met, "%s", overhead <= 0.10 ? "yes" : "NO");
    char op[96];
    snprintf(op, sizeof op, "AF_PACKET miniport overhead, %s", what);
    bench_row(op, nd, peer, ratio, "<= +10%", met);
}

/* Adds one run's frames and times to a side's total for the round. */
static void run_add(struct run_result *total, const struct run_result *part)
{
    total->frames += part->frames;
    total->received += part->received;
    total->failed += part->failed;
    total->seconds += part->seconds;
    total->cpu_seconds += part->cpu_seconds;
}

/* `frames` through one side (ours: benchprot over the miniport; else the plain sender), added to *total. */
static void afpacket_part(int fd, int ours, unsigned long frames, struct run_result *total)
{
    struct run_result part;
    memset(&part, 0, sizeof part);
    if (ours)
        bp_run(frames, 0, &part);
    else
        plain_run(fd, frames, &part);
    run_add(total, &part);
}

/*
 * One round: `frames` through each side in two halves, ours, plain, plain,
 * ours, so that a drift of the machine during the round falls on both
 * sides alike.
 */
static void afpacket_round(int fd, unsigned long frames, struct run_result *ours, struct run_result *plain)
{
    unsigned long half = frames / 2;
    afpacket_part(fd, 1, half, ours);
    afpacket_part(fd, 0, half, plain);
    afpacket_part(fd, 0, frames - half, plain);
    afpacket_part(fd, 1, frames - half, ours);
}

static void afpacket_skip(const char *why)
{
    printf("AF_PACKET: skipped: %s\n", why);
    bench_row("AF_PACKET miniport overhead", "skipped", why, "-", "<= +10%", "-");
}

static void afpacket_bench(int quick)
{
    if (geteuid() != 0) {
        afpacket_skip("not root (needs a private network namespace and a veth pair)");
        return;
    }
    if (unshare(CLONE_NEWNET) != 0) {
        afpacket_skip("unshare(CLONE_NEWNET) failed");
        return;
    }
    fflush(stdout);
    if (system("ip link add nbba type veth peer name nbbb && ip link set nbba up && ip link set nbbb up") != 0) {
        afpacket_skip("could not create the veth pair (ip link add ... type veth)");
        return;
    }
    NDIS_HANDLE miniport = NULL, adapter = NULL, binding = NULL;
    int fd = -1;
    unsigned long frames = quick ? 100000 : 1000000;
    int rounds = quick ? 3 : 7;
    double ours_fps[BENCH_MAX_ROUNDS], plain_fps[BENCH_MAX_ROUNDS];
    double ours_cpu[BENCH_MAX_ROUNDS], plain_cpu[BENCH_MAX_ROUNDS];
    struct run_result r = {0}, p = {0};

    if (ndisbuf_afpacket_driver_entry(&miniport) != NDIS_STATUS_SUCCESS ||
        ndisbuf_stack_add_adapter(miniport, "nbba", &adapter) != NDIS_STATUS_SUCCESS ||
        ndisbuf_stack_bind(adapter, bp.driver, &binding) != NDIS_STATUS_SUCCESS) {
        afpacket_skip("could not build benchprot -> AF_PACKET miniport on the veth");
        goto teardown;
    }
    if ((fd = plain_open("nbba")) < 0) {
        afpacket_skip("could not open the plain AF_PACKET socket");
        goto teardown;
    }
    printf("AF_PACKET: veth nbba/nbbb in a private netns, %d-byte frames, %lu per side per round, %d rounds, "
           "each ABBA (half, half, half, half)\n",
           STACK_FRAME, frames, rounds);
    bp_run(frames / 10, 0, &r);
    plain_run(fd, frames / 10, &p);
    for (int i = 0; i < rounds; i++) {
        memset(&r, 0, sizeof r);
        memset(&p, 0, sizeof p);
        afpacket_round(fd, frames, &r, &p);
        ours_fps[i] = (double)r.frames / r.seconds;
        plain_fps[i] = (double)p.frames / p.seconds;
        ours_cpu[i] = r.cpu_seconds * 1e9 / (double)r.frames;
        plain_cpu[i] = p.cpu_seconds * 1e9 / (double)p.frames;
        printf("  round %d: miniport %.3f Mfps (%.0f CPU ns/frame, %lu failed)   plain %.3f Mfps (%.0f CPU "
               "ns/frame, %lu failed)\n",
               i, ours_fps[i] / 1e6, ours_cpu[i], r.failed, plain_fps[i] / 1e6, plain_cpu[i], p.failed);
    }
    for (int i = 0; i < rounds; i++) {
        ours_fps[i] /= 1e6;
        plain_fps[i] /= 1e6;
    }
    afpacket_row("frames/s", ours_fps, plain_fps, rounds, "Mfps", 0);
    afpacket_row("CPU per frame", ours_cpu, plain_cpu, rounds, "ns", 1);
teardown:
    if (fd >= 0)
        close(fd);
    if (binding)
        ndisbuf_stack_unbind(binding);
    if (adapter)
        ndisbuf_stack_remove_adapter(adapter);
    if (miniport)
        NdisMDeregisterMiniportDriver(miniport);
}

int main(void)
{
    int quick = bench_quick();
    /* A 64-byte frame to an unused locally administered address, EtherType 0x88B5 (local experimental). */
    static const UCHAR header[14] = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x88, 0xB5};
    memcpy(stack_frame, header, sizeof header);
    for (int i = 14; i < STACK_FRAME; i++)
        stack_frame[i] = (UCHAR)i;
    if (bp_register() != NDIS_STATUS_SUCCESS) {
        fprintf(stderr, "stack: NdisRegisterProtocolDriver failed (%s)\n", ndisbuf_last_diagnostic());
        return 1;
    }
    /* BENCH_STACK=loopback (both data paths), loopback-thread, loopback-inline or afpacket: one part only. */
    const char *only = getenv("BENCH_STACK");
    for (size_t i = 0; i < sizeof loopback_data_paths / sizeof loopback_data_paths[0]; i++)
        if (!only || !strcmp(only, "loopback") || !strcmp(only, loopback_data_paths[i].name))
            loopback_bench(quick, &loopback_data_paths[i]);
    if (!only || !strcmp(only, "afpacket"))
        afpacket_bench(quick);
    NdisDeregisterProtocolDriver(bp.driver);
    return 0;
}
