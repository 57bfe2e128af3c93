/* SPDX-License-Identifier: MIT */
/*
 * `ndisbuf demo`: an NDIS 6 binding stack at work, narrated (docs/demo.md).
 *
 * rawprot, a raw-Ethernet protocol driver, binds to an adapter (the
 * loopback miniport, or AF_PACKET on a Linux interface) and sizes its pool
 * for what the stack below asks: the demo shows what it was told (bind
 * parameters, the OID_GEN_MINIPORT_RESTART_ATTRIBUTES query) and the pool
 * it built. Then an 802.1Q VLAN filter is inserted under the running
 * binding: the binding pauses, restarts with more back-fill and context,
 * and reallocates its pool. Frames go through the whole stack and come back
 * (the loopback miniport, an interface that echoes, or a peer adapter);
 * every byte of every frame is checked. The stack is then torn down and the
 * library's counters must show nothing outstanding and no pool alive.
 *
 * Exit status 0 only when every frame came back intact and nothing leaked.
 *
 * Fault injection (--fault, or NDISBUF_FAULT in the environment) makes
 * chosen allocations fail: whatever fails, the demo must say what, tear
 * everything down and leak nothing (docs/fault-injection.md walks every
 * failure point this way). The summary then counts the allocations.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "demo.h"
#include "tool.h"
#include "vlan_filter.h"

typedef struct demo_run {
    demo_options o;
    int peer_netns;          /* --peer-netns, opened; -1 without */
    demo_stack stack;
    RAWPROT_STATS bound;     /* the sender's binding right after the bind */
    RAWPROT_STATS restarted; /* ... after the VLAN filter went in */
    RAWPROT_STATS tx_end;    /* ... after the traffic */
    NDISBUF_STACK_INFO below; /* what the sender's binding sees below it, after the insert */
    VLAN_FILTER_STATS vlan[2]; /* per adapter, sender first */
    const char *names[2];      /* the adapters, kept for the summary after teardown */
    ULONG sides;
    CAPTURE_STATS capture;
    demo_traffic traffic;
    NDIS_STATUS build_status; /* the failed stack call's status while building, else SUCCESS */
    NDIS_STATUS teardown;
    ULONG64 outstanding;
    ULONG live_pools;
} demo_run;

#define demo_say(r, ...) ((r)->o.quiet ? (void)0 : (void)printf(__VA_ARGS__))

static const char *demo_mac(const UCHAR mac[6], char buffer[18])
{
    snprintf(buffer, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    return buffer;
}

/* One line on stderr for a failed stack call; the exit status that goes with it. */
static int demo_stack_error(demo_run *r, NDIS_STATUS status)
{
    const char *hint = "";
    r->build_status = status;
    if (r->stack.failed_errno) {
        fprintf(stderr, "ndisbuf demo: %s failed: %s%s\n", r->stack.failed_step, strerror(r->stack.failed_errno),
                demo_netns_hint(r->stack.failed_errno));
        return DEMO_EXIT_FAILED;
    }
    if (r->o.iface && status == NDIS_STATUS_OPEN_FAILED)
        hint = " (AF_PACKET needs CAP_NET_RAW: run as root)";
    else if (r->o.iface && status == NDIS_STATUS_UNSUPPORTED_MEDIA)
        hint = " (the AF_PACKET miniport takes Ethernet and loopback interfaces only)";
    fprintf(stderr, "ndisbuf demo: %s failed: %s%s\n", r->stack.failed_step[0] ? r->stack.failed_step : "the stack",
            ndisbuf_status_name(status), hint);
    return DEMO_EXIT_FAILED;
}

/* ---- narration ---- */

static void demo_print_banner(const demo_run *r)
{
    if (r->o.peer && r->o.peer_netns)
        demo_say(r, "ndisbuf %s demo: rawprot over AF_PACKET adapters '%s' -> '%s' (in network namespace '%s'), "
                    "an 802.1Q filter inserted at run time\n", ndisbuf_version(), r->o.iface, r->o.peer,
                 r->o.peer_netns);
    else if (r->o.peer)
        demo_say(r, "ndisbuf %s demo: rawprot over AF_PACKET adapters '%s' -> '%s', an 802.1Q filter inserted at "
                    "run time\n", ndisbuf_version(), r->o.iface, r->o.peer);
    else if (r->o.iface)
        demo_say(r, "ndisbuf %s demo: rawprot over the AF_PACKET adapter '%s', an 802.1Q filter inserted at "
                    "run time\n", ndisbuf_version(), r->o.iface);
    else
        demo_say(r, "ndisbuf %s demo: rawprot over the loopback miniport, an 802.1Q filter inserted at run time\n",
                 ndisbuf_version());
}

static void demo_print_bind(const demo_run *r, const demo_side *side, const RAWPROT_STATS *s)
{
    char mac[18];
    demo_say(r, "\n1. bind: rawprot on adapter '%s' (%s miniport, MAC %s, MTU %u)%s\n", side->name,
             r->stack.miniport_kind, demo_mac(s->BindMacAddress, mac), s->BindMtuSize,
             side->capture_module ? ", the capture filter directly above the miniport" : "");
    demo_say(r, "   NDIS_BIND_PARAMETERS                 data back-fill %u, context back-fill %u\n",
             s->BindDataBackFillSize, s->BindContextBackFillSize);
    demo_say(r, "   OID_GEN_MINIPORT_RESTART_ATTRIBUTES  data back-fill %u, context back-fill %u (%s, %s)\n",
             s->OidDataBackFillSize, s->OidContextBackFillSize, ndisbuf_status_name(s->OidStatus),
             s->OidAgreed ? "agrees with the bind parameters" : "DISAGREES with the bind parameters");
    demo_say(r, "   rawprot's pool                       DataSize %u (back-fill %u + MTU %u + 14), context %u, "
                "%u bytes per element\n", s->PoolDataSize, s->PoolDataBackFillSize, s->PoolMtuSize,
             s->PoolContextBackFillSize, s->PoolElementSize);
}

static void demo_print_insert(const demo_run *r, const demo_side *side)
{
    const RAWPROT_STATS *a = &r->bound, *b = &r->restarted;
    demo_say(r, "\n2. insert: the VLAN filter (VLAN %u, priority %u) goes in under the running binding\n",
             r->o.vlan, r->o.priority);
    demo_say(r, "   binding                              paused (%llu at once, %llu pended), restarted: "
                "Restarts %llu -> %llu, %s\n", (unsigned long long)(b->PausesImmediate - a->PausesImmediate),
             (unsigned long long)(b->PausesPended - a->PausesPended), (unsigned long long)a->Restarts,
             (unsigned long long)b->Restarts, ndisbuf_layer_state_name(ndisbuf_stack_state(side->binding)));
    demo_say(r, "   NetEventRestart attributes           data back-fill %u -> %u, context back-fill %u -> %u, "
                "MTU %u -> %u\n", a->PoolDataBackFillSize, b->PoolDataBackFillSize, a->PoolContextBackFillSize,
             b->PoolContextBackFillSize, a->PoolMtuSize, b->PoolMtuSize);
    demo_say(r, "   below the binding                    data back-fill %u, context back-fill %u, %u filter%s "
                "(ndisbuf_stack_get_info)\n", r->below.DataBackFillSize, r->below.ContextBackFillSize,
             r->below.FilterCount, r->below.FilterCount == 1 ? "" : "s");
    demo_say(r, "   rawprot's pool                       %s: PoolReallocations %llu -> %llu\n",
             b->PoolReallocations > a->PoolReallocations ? "reallocated" : "NOT reallocated",
             (unsigned long long)a->PoolReallocations, (unsigned long long)b->PoolReallocations);
    demo_say(r, "                                        DataSize %u -> %u, context %u -> %u, "
                "%u -> %u bytes per element\n", a->PoolDataSize, b->PoolDataSize, a->PoolContextBackFillSize,
             b->PoolContextBackFillSize, a->PoolElementSize, b->PoolElementSize);
}

/* ---- building the stack ---- */

/* The second adapter of --peer: bound and filtered like the first, narrated in one line. */
static NDIS_STATUS demo_add_peer(demo_run *r)
{
    NDIS_STATUS st = demo_stack_add_side(&r->stack, &r->o, r->o.peer, r->peer_netns);
    if (st == NDIS_STATUS_SUCCESS)
        st = demo_stack_insert_vlan(&r->stack, &r->stack.sides[1]);
    if (st == NDIS_STATUS_SUCCESS && r->o.peer_netns)
        demo_say(r, "   peer: rawprot bound to '%s' (added from network namespace '%s', its socket there) with a "
                    "VLAN filter of its own; it receives what '%s' sends\n", r->o.peer, r->o.peer_netns, r->o.iface);
    else if (st == NDIS_STATUS_SUCCESS)
        demo_say(r, "   peer: rawprot bound to '%s' with a VLAN filter of its own; it receives what '%s' sends\n",
                 r->o.peer, r->o.iface);
    return st;
}

/* A frame of --size bytes must fit every binding's MTU once the filter is in. */
static bool demo_size_fits(const demo_run *r)
{
    for (ULONG i = 0; i < r->stack.side_count; i++) {
        RAWPROT_STATS s;
        RawProtGetStats(r->stack.sides[i].open, &s);
        if (r->o.size > s.PoolMtuSize + DEMO_HEADER_BYTES) {
            demo_usage_error("--size: %u is more than adapter '%s' carries once tagged (MTU %u + %u)", r->o.size,
                             r->stack.sides[i].name, s.PoolMtuSize, DEMO_HEADER_BYTES);
            return false;
        }
    }
    return true;
}

static int demo_build(demo_run *r)
{
    demo_side *tx = &r->stack.sides[0];
    NDIS_STATUS st = demo_stack_load(&r->stack, &r->o);
    if (st == NDIS_STATUS_SUCCESS)
        st = demo_stack_add_side(&r->stack, &r->o, r->o.iface ? r->o.iface : DEMO_LOOPBACK_ADAPTER, -1);
    if (st != NDIS_STATUS_SUCCESS)
        return demo_stack_error(r, st);
    RawProtGetStats(tx->open, &r->bound);
    demo_print_bind(r, tx, &r->bound);

    st = demo_stack_insert_vlan(&r->stack, tx);
    if (st != NDIS_STATUS_SUCCESS)
        return demo_stack_error(r, st);
    RawProtGetStats(tx->open, &r->restarted);
    ndisbuf_stack_get_info(tx->binding, &r->below);
    demo_print_insert(r, tx);
    if (r->o.peer && (st = demo_add_peer(r)) != NDIS_STATUS_SUCCESS)
        return demo_stack_error(r, st);
    return demo_size_fits(r) ? DEMO_EXIT_OK : DEMO_EXIT_USAGE;
}

/* ---- traffic ---- */

static void demo_collect(demo_run *r)
{
    demo_stack *s = &r->stack;
    RawProtGetStats(s->sides[0].open, &r->tx_end);
    r->sides = s->side_count;
    for (ULONG i = 0; i < s->side_count; i++) {
        r->names[i] = s->sides[i].name;
        VlanFilterGetStats(s->sides[i].vlan_module, &r->vlan[i]);
    }
    CaptureGetStats(&r->capture);
}

static int demo_run_traffic(demo_run *r)
{
    demo_stack *s = &r->stack;
    PRAWPROT_OPEN tx = s->sides[0].open, rx = s->sides[s->side_count - 1].open;
    RAWPROT_STATS rs;
    RawProtGetStats(rx, &rs);
    const UCHAR *src = r->restarted.BindMacAddress, *dst = r->o.peer ? rs.BindMacAddress : src;
    char a[18], b[18];
    demo_say(r, "\n3. traffic: %llu frames of %u bytes (%s -> %s, EtherType 0x%04X), %u per RawProtWriteBatch, "
                "every byte checked\n", (unsigned long long)r->o.frames, r->o.size, demo_mac(src, a), demo_mac(dst, b),
             DEMO_ETHERTYPE, r->o.batch);
    fflush(stdout);
    bool ok = demo_traffic_run(tx, rx, dst, src, &r->o, &r->traffic);
    demo_collect(r);
    if (r->traffic.write_status != NDIS_STATUS_SUCCESS) {
        fprintf(stderr, "ndisbuf demo: RawProtWriteBatch failed after %llu frames: %s\n",
                (unsigned long long)r->traffic.sent, ndisbuf_status_name(r->traffic.write_status));
        return DEMO_EXIT_FAILED;
    }
    return ok ? DEMO_EXIT_OK : DEMO_EXIT_FAILED;
}

/* ---- summary and verdict ---- */

/* Whether fault injection is on for this run (--fault, or NDISBUF_FAULT armed it at start-up). */
static bool demo_fault_on(const demo_run *r)
{
    const char *env = getenv("NDISBUF_FAULT");
    return r->o.fault || (env && *env);
}

static void demo_print_fault(const demo_run *r)
{
    if (demo_fault_on(r))
        printf("  fault injection  %llu allocations counted, %llu failed on purpose\n",
               (unsigned long long)ndisbuf_fault_allocations(), (unsigned long long)ndisbuf_fault_injected());
}

static void demo_print_leaks(const demo_run *r)
{
    printf("  teardown         unbind, detach, remove adapter, unload drivers: %s\n",
           ndisbuf_status_name(r->teardown));
    printf("  leaks            %llu (objects outstanding %llu, live pools %u)\n",
           (unsigned long long)(r->outstanding + r->live_pools), (unsigned long long)r->outstanding,
           r->live_pools);
    demo_print_fault(r);
}

static void demo_print_vlan(const demo_run *r)
{
    if (r->sides == 1) {
        const VLAN_FILTER_STATS *v = &r->vlan[0];
        printf("  vlan filter      tagged %llu, stripped %llu (untagged %llu, foreign %llu)\n",
               (unsigned long long)v->FramesTagged, (unsigned long long)v->ReceivesStripped,
               (unsigned long long)v->ReceivesUntagged, (unsigned long long)v->ReceivesForeign);
        return;
    }
    printf("  vlan filter      ");
    for (ULONG i = 0; i < r->sides; i++)
        printf("%s%s: tagged %llu, stripped %llu (untagged %llu)", i ? "; " : "", r->names[i],
               (unsigned long long)r->vlan[i].FramesTagged, (unsigned long long)r->vlan[i].ReceivesStripped,
               (unsigned long long)r->vlan[i].ReceivesUntagged);
    printf("\n");
}

static void demo_print_summary(const demo_run *r)
{
    const demo_traffic *t = &r->traffic;
    const RAWPROT_STATS *s = &r->tx_end;
    double seconds = t->seconds > 0 ? t->seconds : 1e-9;
    printf("%ssummary\n", r->o.quiet ? "" : "\n");
    printf("  negotiated       data back-fill %u, context %u (bind %u/%u, OID %u/%u, restart %u/%u, stack %u/%u)\n",
           s->PoolDataBackFillSize, s->PoolContextBackFillSize, r->bound.BindDataBackFillSize,
           r->bound.BindContextBackFillSize, r->bound.OidDataBackFillSize, r->bound.OidContextBackFillSize,
           r->restarted.PoolDataBackFillSize, r->restarted.PoolContextBackFillSize, r->below.DataBackFillSize,
           r->below.ContextBackFillSize);
    printf("  pool             %u bytes per element, capacity %llu, peak outstanding %llu, reallocations %llu\n",
           s->PoolElementSize, (unsigned long long)s->PoolCapacity, (unsigned long long)t->peak_outstanding,
           (unsigned long long)s->PoolReallocations);
    printf("  frames           sent %llu, completed ok %llu, received %llu, mismatched %llu, missing %llu, "
           "duplicated %llu\n", (unsigned long long)t->sent, (unsigned long long)s->CompletedOk,
           (unsigned long long)t->received, (unsigned long long)t->mismatched, (unsigned long long)t->missing,
           (unsigned long long)t->duplicated);
    if (t->others)
        printf("  other frames     %llu (not this run's: ignored)\n", (unsigned long long)t->others);
    printf("  elapsed          %.3f s (at most %u frames in flight)\n", t->seconds, t->window);
    printf("  rate             %.0f frames/s, %.1f Mbit/s of frames\n", (double)t->intact / seconds,
           (double)t->intact * r->o.size * 8 / seconds / 1e6);
    demo_print_vlan(r);
    const VLAN_FILTER_STATS *rx = &r->vlan[r->sides - 1];
    if (r->o.iface && rx->ReceivesStripped < t->intact)
        printf("  note             '%s' stripped %llu tags for %llu frames back: the AF_PACKET miniport indicated "
               "them untagged (Linux takes 802.1Q tags off received frames)\n", r->names[r->sides - 1],
               (unsigned long long)rx->ReceivesStripped, (unsigned long long)t->intact);
    if (r->o.pcap)
        printf("  pcap             %llu frames (%llu sent, %llu received) in %s\n",
               (unsigned long long)(r->capture.FramesSent + r->capture.FramesReceived),
               (unsigned long long)r->capture.FramesSent, (unsigned long long)r->capture.FramesReceived, r->o.pcap);
    demo_print_leaks(r);
}

/* The first thing that went wrong, or NULL. */
static const char *demo_failure(const demo_run *r, char *buffer, size_t size)
{
    const demo_traffic *t = &r->traffic;
    if (t->write_status != NDIS_STATUS_SUCCESS)
        snprintf(buffer, size, "sending failed after %llu frames (%s)", (unsigned long long)t->sent,
                 ndisbuf_status_name(t->write_status));
    else if (t->stalled)
        snprintf(buffer, size, "frames stopped coming back: %llu of %llu sent missing, %llu not sent",
                 (unsigned long long)t->missing, (unsigned long long)t->sent,
                 (unsigned long long)(r->o.frames - t->sent));
    else if (t->mismatched || t->missing || t->duplicated)
        snprintf(buffer, size, "%llu mismatched, %llu missing, %llu duplicated", (unsigned long long)t->mismatched,
                 (unsigned long long)t->missing, (unsigned long long)t->duplicated);
    else if (r->tx_end.CompletedOk != t->sent || r->tx_end.CompletedAltered)
        snprintf(buffer, size, "%llu of %llu sends completed ok, %llu came back altered",
                 (unsigned long long)r->tx_end.CompletedOk, (unsigned long long)t->sent,
                 (unsigned long long)r->tx_end.CompletedAltered);
    else if (r->teardown != NDIS_STATUS_SUCCESS)
        snprintf(buffer, size, "teardown: %s failed (%s)", r->stack.failed_step, ndisbuf_status_name(r->teardown));
    else if (r->outstanding || r->live_pools)
        snprintf(buffer, size, "leaks: %llu objects outstanding, %u pools alive", (unsigned long long)r->outstanding,
                 r->live_pools);
    else
        return NULL;
    return buffer;
}

static int demo_verdict(const demo_run *r)
{
    char why[384];
    demo_print_summary(r);
    const char *failure = demo_failure(r, why, sizeof(why));
    if (failure) {
        printf("FAIL: %s\n", failure);
        fflush(stdout);
        fprintf(stderr, "ndisbuf demo: FAIL: %s\n", failure);
        return DEMO_EXIT_FAILED;
    }
    printf("PASS: %llu frame%s came back intact through the VLAN filter, nothing leaked\n",
           (unsigned long long)r->traffic.intact, r->traffic.intact == 1 ? "" : "s");
    return DEMO_EXIT_OK;
}

/*
 * After a failure before the traffic: tear down, and say if that leaked
 * too. A stack failure (not a usage error) also gets the end of a summary
 * on stdout: teardown, leaks, fault injection and the FAIL line.
 */
static int demo_abandon(demo_run *r, int rc)
{
    const char *step = r->stack.failed_step[0] ? r->stack.failed_step : "building the stack";
    char failure[320];
    /* before teardown can overwrite the step */
    if (r->stack.failed_errno)
        snprintf(failure, sizeof(failure), "%s failed: %s", step, strerror(r->stack.failed_errno));
    else
        snprintf(failure, sizeof(failure), "%s failed: %s", step, ndisbuf_status_name(r->build_status));
    r->teardown = demo_stack_teardown(&r->stack);
    demo_traffic_release(&r->traffic);
    r->outstanding = ndisbuf_outstanding_total();
    r->live_pools = ndisbuf_live_pool_count();
    if (r->teardown != NDIS_STATUS_SUCCESS || r->outstanding || r->live_pools)
        fprintf(stderr, "ndisbuf demo: teardown after the failure: %s, %llu objects outstanding, %u pools alive\n",
                ndisbuf_status_name(r->teardown), (unsigned long long)r->outstanding, r->live_pools);
    if (rc != DEMO_EXIT_FAILED)
        return rc;
    printf("%ssummary\n", r->o.quiet ? "" : "\n");
    demo_print_leaks(r);
    printf("FAIL: %s\n", failure);
    fflush(stdout);
    return rc;
}

/* Everything after the options: the peer's namespace, the pcap file, the stack, the traffic, the verdict. */
static int demo_start(demo_run *r)
{
    char error[256];
    int rc;
    if (r->o.peer_netns && (rc = demo_netns_open_peer(&r->o, &r->peer_netns)) != DEMO_EXIT_OK)
        return rc;
    if (r->o.pcap && !CaptureOpenFile(r->o.pcap, error, sizeof(error))) {
        demo_usage_error("--pcap: cannot write '%s': %s", r->o.pcap, error);
        return DEMO_EXIT_USAGE;
    }
    if (r->o.fault && ndisbuf_fault_set(&r->o.fault_plan) != NDIS_STATUS_SUCCESS)
        return DEMO_EXIT_USAGE; /* parsed and checked already: not expected */
    demo_print_banner(r);
    rc = demo_build(r);
    if (rc != DEMO_EXIT_OK)
        return demo_abandon(r, rc);
    rc = demo_run_traffic(r);
    r->teardown = demo_stack_teardown(&r->stack);
    demo_traffic_release(&r->traffic);
    r->outstanding = ndisbuf_outstanding_total();
    r->live_pools = ndisbuf_live_pool_count();
    int verdict = demo_verdict(r);
    return rc != DEMO_EXIT_OK ? rc : verdict;
}

int tool_demo(int argc, char **argv)
{
    demo_run r = {0};
    r.peer_netns = -1;
    switch (demo_parse_options(argc, argv, &r.o)) {
    case DEMO_PARSE_HELP: return DEMO_EXIT_OK;
    case DEMO_PARSE_USAGE: return DEMO_EXIT_USAGE;
    case DEMO_PARSE_RUN: break;
    }
    int rc = demo_start(&r);
    if (r.peer_netns >= 0)
        close(r.peer_netns);
    return rc;
}
