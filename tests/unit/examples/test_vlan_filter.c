/* SPDX-License-Identifier: MIT */
/*
 * The vlan_filter example (examples/vlan_filter.c, docs/examples.md) in a
 * loopback stack under the rawprot example protocol, watched by a small
 * "spy" filter written here: one module below the VLAN filter sees the
 * frames as the miniport does (tagged), one above sees what the protocol
 * gets (untagged, TCI in Ieee8021QNetBufferListInfo). The spies can also
 * originate traffic: sends without any back-fill (the filter must then
 * allocate, and still give the NBLs back exactly), and receive indications
 * of hand-made frames (foreign VLAN ids, malformed tags, RESOURCES), whose
 * NBLs must come back to the spy exactly as it indicated them.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#include "rawprot.h"
#include "vlan_filter.h"

#define TEST_VLAN_ID 42
#define TEST_PRIORITY 5
#define TEST_TCI ((TEST_PRIORITY << 13) | TEST_VLAN_ID)
#define TEST_ETHERTYPE 0x88B5
#define READ_TIMEOUT_MS 5000
#define QUIET_TIMEOUT_MS 50
#define SPY_FRAME_MAX 1600
#define SPY_LOG_MAX 64
#define SPY_OWN_MAX 16
#define SPY_INFO_SENTINEL ((PVOID)(ULONG_PTR)0x5A5A5A5A)

/* ====================================================================== */
/* The spy filter                                                          */
/* ====================================================================== */

typedef struct logged_frame {
    ULONG length;
    PVOID ieee8021q_info;
    UCHAR bytes[SPY_FRAME_MAX];
} logged_frame;

/* Everything about an NBL the spy made that must be the same when it comes back. */
typedef struct nbl_snapshot {
    PNET_BUFFER_LIST nbl;
    PNET_BUFFER_LIST next;
    PNET_BUFFER_LIST_CONTEXT context;
    USHORT context_offset;
    PVOID ieee8021q_info;
    PNET_BUFFER nb;
    PMDL first_mdl, first_mdl_next, current_mdl;
    ULONG current_mdl_offset, data_offset, data_length;
    UCHAR bytes[SPY_FRAME_MAX];
} nbl_snapshot;

typedef struct spy_module {
    NDIS_HANDLE handle;
    NDIS_HANDLE pool;                    /* NBLs it originates */
    pthread_mutex_t lock;
    bool log;                            /* copy every frame passing through */
    bool hold_receives;                  /* keep receives from below until spy_release */
    ULONG sent_count, received_count;
    logged_frame sent[SPY_LOG_MAX];      /* frames going down through it */
    logged_frame received[SPY_LOG_MAX];  /* frames coming up through it */
    PNET_BUFFER_LIST held;
    ULONG held_count;
    nbl_snapshot own[SPY_OWN_MAX];       /* NBLs it originated, still out */
    ULONG own_sends_completed, own_sends_failed;
    ULONG own_receives_returned;
    ULONG own_altered;                   /* came back different from the snapshot */
} spy_module;

static struct {
    NDIS_HANDLE driver;
    spy_module *modules[4];
} spy;

static spy_module *spy_of(NDIS_HANDLE handle)
{
    for (int i = 0; i < 4; i++)
        if (spy.modules[i] != NULL && spy.modules[i]->handle == handle)
            return spy.modules[i];
    return NULL;
}

static void frame_copy(PNET_BUFFER nb, UCHAR *out, ULONG *length)
{
    ULONG n = NET_BUFFER_DATA_LENGTH(nb) < SPY_FRAME_MAX ? NET_BUFFER_DATA_LENGTH(nb) : SPY_FRAME_MAX;
    UCHAR *data = n ? NdisGetDataBuffer(nb, n, out, 1, 0) : out;
    if (data != out)
        memcpy(out, data, n);
    *length = n;
}

/* Logs the frames of a chain (caller holds the lock). */
static void spy_log(logged_frame *log, ULONG *count, PNET_BUFFER_LIST chain)
{
    for (PNET_BUFFER_LIST nbl = chain; nbl; nbl = nbl->Next)
        for (PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb; nb = nb->Next) {
            if (*count < SPY_LOG_MAX) {
                frame_copy(nb, log[*count].bytes, &log[*count].length);
                log[*count].ieee8021q_info = NET_BUFFER_LIST_INFO(nbl, Ieee8021QNetBufferListInfo);
            }
            (*count)++;
        }
}

static void snapshot_take(nbl_snapshot *s, PNET_BUFFER_LIST nbl)
{
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    ULONG length;

    s->nbl = nbl;
    s->next = nbl->Next;
    s->context = nbl->Context;
    s->context_offset = nbl->Context ? nbl->Context->Offset : 0;
    s->ieee8021q_info = NET_BUFFER_LIST_INFO(nbl, Ieee8021QNetBufferListInfo);
    s->nb = nb;
    s->first_mdl = NET_BUFFER_FIRST_MDL(nb);
    s->first_mdl_next = s->first_mdl->Next;
    s->current_mdl = NET_BUFFER_CURRENT_MDL(nb);
    s->current_mdl_offset = NET_BUFFER_CURRENT_MDL_OFFSET(nb);
    s->data_offset = NET_BUFFER_DATA_OFFSET(nb);
    s->data_length = NET_BUFFER_DATA_LENGTH(nb);
    frame_copy(nb, s->bytes, &length);
}

static bool snapshot_matches(const nbl_snapshot *s, PNET_BUFFER_LIST nbl, bool check_next)
{
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    UCHAR bytes[SPY_FRAME_MAX];
    ULONG length;

    if (nb != s->nb || nb->Next != NULL || (check_next && nbl->Next != s->next))
        return false;
    if (nbl->Context != s->context || (nbl->Context && nbl->Context->Offset != s->context_offset))
        return false;
    if (NET_BUFFER_LIST_INFO(nbl, Ieee8021QNetBufferListInfo) != s->ieee8021q_info)
        return false;
    if (NET_BUFFER_FIRST_MDL(nb) != s->first_mdl || s->first_mdl->Next != s->first_mdl_next ||
        NET_BUFFER_CURRENT_MDL(nb) != s->current_mdl || NET_BUFFER_CURRENT_MDL_OFFSET(nb) != s->current_mdl_offset ||
        NET_BUFFER_DATA_OFFSET(nb) != s->data_offset || NET_BUFFER_DATA_LENGTH(nb) != s->data_length)
        return false;
    frame_copy(nb, bytes, &length);
    return memcmp(bytes, s->bytes, length) == 0;
}

/* Takes back an NBL the spy originated: checks it against its snapshot and frees it (lock held). */
static void spy_take_back_own(spy_module *m, PNET_BUFFER_LIST nbl)
{
    for (int i = 0; i < SPY_OWN_MAX; i++)
        if (m->own[i].nbl == nbl) {
            m->own_altered += !snapshot_matches(&m->own[i], nbl, false);
            m->own[i].nbl = NULL;
            break;
        }
    nbl->Next = NULL;
    NdisFreeNetBufferList(nbl);
}

/* Splits off the NBLs the spy originated; returns the others, in order. */
static PNET_BUFFER_LIST spy_split_own(spy_module *m, PNET_BUFFER_LIST chain, PNET_BUFFER_LIST *own)
{
    PNET_BUFFER_LIST others = NULL, *tail = &others, *own_tail = own;
    *own = NULL;
    while (chain) {
        PNET_BUFFER_LIST next = chain->Next;
        chain->Next = NULL;
        if (chain->SourceHandle == m->handle) {
            *own_tail = chain;
            own_tail = &chain->Next;
        } else {
            *tail = chain;
            tail = &chain->Next;
        }
        chain = next;
    }
    return others;
}

static NDIS_STATUS spy_attach(NDIS_HANDLE handle, NDIS_HANDLE driver_context, PNDIS_FILTER_ATTACH_PARAMETERS ap)
{
    (void)driver_context;
    (void)ap;
    spy_module *m = calloc(1, sizeof(*m));
    if (!m)
        return NDIS_STATUS_RESOURCES;
    NET_BUFFER_LIST_POOL_PARAMETERS p = {0};
    p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    p.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    p.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    p.fAllocateNetBuffer = TRUE;
    p.DataSize = SPY_FRAME_MAX;
    p.PoolTag = HARNESS_TAG('s', 'p', 'y', ' ');
    m->pool = NdisAllocateNetBufferListPool(handle, &p);
    pthread_mutex_init(&m->lock, NULL);
    m->handle = handle;
    NDIS_FILTER_ATTRIBUTES a = {{NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES, NDIS_FILTER_ATTRIBUTES_REVISION_1,
                                 NDIS_SIZEOF_FILTER_ATTRIBUTES_REVISION_1},
                                0};
    NdisFSetAttributes(handle, m, &a);
    for (int i = 0; i < 4; i++)
        if (!spy.modules[i]) {
            spy.modules[i] = m;
            break;
        }
    return NDIS_STATUS_SUCCESS;
}

static void spy_detach(NDIS_HANDLE ctx)
{
    spy_module *m = ctx;
    for (int i = 0; i < 4; i++)
        if (spy.modules[i] == m)
            spy.modules[i] = NULL;
    NdisFreeNetBufferListPool(m->pool);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static NDIS_STATUS spy_restart(NDIS_HANDLE ctx, PNDIS_FILTER_RESTART_PARAMETERS rp)
{
    (void)ctx;
    (void)rp;
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS spy_pause(NDIS_HANDLE ctx, PNDIS_FILTER_PAUSE_PARAMETERS pp)
{
    (void)ctx;
    (void)pp;
    return NDIS_STATUS_SUCCESS;
}

static void spy_send(NDIS_HANDLE ctx, PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER port, ULONG flags)
{
    spy_module *m = ctx;
    pthread_mutex_lock(&m->lock);
    if (m->log)
        spy_log(m->sent, &m->sent_count, chain);
    pthread_mutex_unlock(&m->lock);
    NdisFSendNetBufferLists(m->handle, chain, port, flags);
}

static void spy_send_complete(NDIS_HANDLE ctx, PNET_BUFFER_LIST chain, ULONG flags)
{
    spy_module *m = ctx;
    PNET_BUFFER_LIST own, others = spy_split_own(m, chain, &own);
    pthread_mutex_lock(&m->lock);
    while (own) {
        PNET_BUFFER_LIST next = own->Next;
        m->own_sends_completed++;
        m->own_sends_failed += NET_BUFFER_LIST_STATUS(own) != NDIS_STATUS_SUCCESS;
        spy_take_back_own(m, own);
        own = next;
    }
    pthread_mutex_unlock(&m->lock);
    if (others)
        NdisFSendNetBufferListsComplete(m->handle, others, flags);
}

static void spy_receive(NDIS_HANDLE ctx, PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER port, ULONG count, ULONG flags)
{
    spy_module *m = ctx;
    pthread_mutex_lock(&m->lock);
    if (m->log)
        spy_log(m->received, &m->received_count, chain);
    if (m->hold_receives && NDIS_TEST_RECEIVE_CAN_PEND(flags)) {
        PNET_BUFFER_LIST last = chain;
        while (last->Next)
            last = last->Next;
        last->Next = m->held;
        m->held = chain;
        m->held_count += count;
        pthread_mutex_unlock(&m->lock);
        return;
    }
    pthread_mutex_unlock(&m->lock);
    NdisFIndicateReceiveNetBufferLists(m->handle, chain, port, count, flags);
}

static void spy_return(NDIS_HANDLE ctx, PNET_BUFFER_LIST chain, ULONG flags)
{
    spy_module *m = ctx;
    PNET_BUFFER_LIST own, others = spy_split_own(m, chain, &own);
    pthread_mutex_lock(&m->lock);
    while (own) {
        PNET_BUFFER_LIST next = own->Next;
        m->own_receives_returned++;
        spy_take_back_own(m, own);
        own = next;
    }
    pthread_mutex_unlock(&m->lock);
    if (others)
        NdisFReturnNetBufferLists(m->handle, others, flags);
}

static void spy_register(void)
{
    static const WCHAR name[] = u"spy";
    NDIS_FILTER_DRIVER_CHARACTERISTICS c = {0};
    c.Header.Type = NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS;
    c.Header.Revision = NDIS_FILTER_CHARACTERISTICS_REVISION_2;
    c.Header.Size = NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_2;
    c.MajorNdisVersion = 6;
    c.MinorNdisVersion = 20;
    c.FriendlyName.Buffer = c.UniqueName.Buffer = c.ServiceName.Buffer = (PWSTR)name;
    c.FriendlyName.Length = c.UniqueName.Length = c.ServiceName.Length = sizeof(name) - sizeof(WCHAR);
    c.FriendlyName.MaximumLength = c.UniqueName.MaximumLength = c.ServiceName.MaximumLength = sizeof(name);
    c.AttachHandler = spy_attach;
    c.DetachHandler = spy_detach;
    c.RestartHandler = spy_restart;
    c.PauseHandler = spy_pause;
    c.SendNetBufferListsHandler = spy_send;
    c.SendNetBufferListsCompleteHandler = spy_send_complete;
    c.ReceiveNetBufferListsHandler = spy_receive;
    c.ReturnNetBufferListsHandler = spy_return;
    assert_int_equal(NdisFRegisterFilterDriver(NULL, NULL, &c, &spy.driver), NDIS_STATUS_SUCCESS);
}

/* NBLs of the spy's own, one frame each at data offset 0 (no back-fill, no context), snapshot taken. */
static PNET_BUFFER_LIST spy_make_chain(spy_module *m, const UCHAR *const *frames, const ULONG *lengths, ULONG count)
{
    PNET_BUFFER_LIST head = NULL, *tail = &head;
    for (ULONG i = 0; i < count; i++) {
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(m->pool, 0, 0);
        assert_non_null(nbl);
        PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
        UCHAR *p = MmGetSystemAddressForMdlSafe(NET_BUFFER_FIRST_MDL(nb), NormalPagePriority);
        memcpy(p, frames[i], lengths[i]);
        NET_BUFFER_DATA_LENGTH(nb) = lengths[i];
        nbl->SourceHandle = m->handle;
        NET_BUFFER_LIST_INFO(nbl, Ieee8021QNetBufferListInfo) = SPY_INFO_SENTINEL;
        *tail = nbl;
        tail = &nbl->Next;
    }
    pthread_mutex_lock(&m->lock);
    ULONG slot = 0;
    for (PNET_BUFFER_LIST nbl = head; nbl; nbl = nbl->Next) {
        while (slot < SPY_OWN_MAX && m->own[slot].nbl)
            slot++;
        assert_true(slot < SPY_OWN_MAX);
        snapshot_take(&m->own[slot], nbl);
    }
    pthread_mutex_unlock(&m->lock);
    return head;
}

static void spy_originate_sends(spy_module *m, const UCHAR *const *frames, const ULONG *lengths, ULONG count)
{
    NdisFSendNetBufferLists(m->handle, spy_make_chain(m, frames, lengths, count), NDIS_DEFAULT_PORT_NUMBER, 0);
}

/* Indicates the frames up as one chain; returns the chain (only meaningful with RESOURCES). */
static PNET_BUFFER_LIST spy_originate_receives(spy_module *m, const UCHAR *const *frames, const ULONG *lengths,
                                               ULONG count, ULONG flags)
{
    PNET_BUFFER_LIST chain = spy_make_chain(m, frames, lengths, count);
    NdisFIndicateReceiveNetBufferLists(m->handle, chain, NDIS_DEFAULT_PORT_NUMBER, count, flags);
    return chain;
}

/* After an indication with RESOURCES: the chain must be exactly as indicated, links included. */
static void spy_take_back_borrowed(spy_module *m, PNET_BUFFER_LIST chain)
{
    pthread_mutex_lock(&m->lock);
    for (PNET_BUFFER_LIST nbl = chain; nbl; nbl = nbl->Next)
        for (int i = 0; i < SPY_OWN_MAX; i++)
            if (m->own[i].nbl == nbl)
                m->own_altered += !snapshot_matches(&m->own[i], nbl, true);
    while (chain) {
        PNET_BUFFER_LIST next = chain->Next;
        m->own_receives_returned++;
        spy_take_back_own(m, chain);
        chain = next;
    }
    pthread_mutex_unlock(&m->lock);
}

static void spy_release(spy_module *m)
{
    pthread_mutex_lock(&m->lock);
    PNET_BUFFER_LIST held = m->held;
    m->held = NULL;
    m->held_count = 0;
    pthread_mutex_unlock(&m->lock);
    if (held)
        NdisFReturnNetBufferLists(m->handle, held, 0);
}

static ULONG spy_read(spy_module *m, ULONG *field)
{
    pthread_mutex_lock(&m->lock);
    ULONG v = *field;
    pthread_mutex_unlock(&m->lock);
    return v;
}

static void spy_wait(spy_module *m, ULONG *field, ULONG expected)
{
    for (int i = 0; i < 5000 && spy_read(m, field) < expected; i++)
        usleep(1000);
    assert_int_equal(spy_read(m, field), expected);
}

/* ====================================================================== */
/* The rig: loopback, spy (bottom), VLAN filter, spy (top), rawprot        */
/* ====================================================================== */

typedef struct rig {
    NDIS_HANDLE miniport_driver;
    NDIS_HANDLE adapter;
    NDIS_HANDLE binding;
    NDIS_HANDLE vlan;
    spy_module *below, *above;
    PRAWPROT_OPEN open;
    ULONG64 outstanding_at_start;
} rig;

static spy_module *attach_spy(rig *r, ULONG position)
{
    NDIS_HANDLE module;
    assert_int_equal(ndisbuf_stack_attach_filter(r->adapter, spy.driver, position, &module), NDIS_STATUS_SUCCESS);
    spy_module *m = spy_of(module);
    assert_non_null(m);
    m->log = true;
    return m;
}

static void rig_up(rig *r, bool with_spies)
{
    memset(r, 0, sizeof(*r));
    memset(&spy, 0, sizeof(spy));
    r->outstanding_at_start = ndisbuf_outstanding_total();
    assert_int_equal(ndisbuf_loopback_driver_entry(&r->miniport_driver), NDIS_STATUS_SUCCESS);
    assert_int_equal(RawProtDriverEntry(), NDIS_STATUS_SUCCESS);
    assert_int_equal(VlanFilterDriverEntry(TEST_VLAN_ID, TEST_PRIORITY), NDIS_STATUS_SUCCESS);
    spy_register();
    assert_int_equal(ndisbuf_stack_add_adapter(r->miniport_driver, "loop0", &r->adapter), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_bind(r->adapter, RawProtProtocolHandle(), &r->binding), NDIS_STATUS_SUCCESS);
    r->open = RawProtOpenBinding(r->binding);
    assert_non_null(r->open);
    if (with_spies)
        r->below = attach_spy(r, 0);
    assert_int_equal(ndisbuf_stack_attach_filter(r->adapter, VlanFilterDriverHandle(), NDISBUF_FILTER_POSITION_TOP,
                                                 &r->vlan),
                     NDIS_STATUS_SUCCESS);
    if (with_spies)
        r->above = attach_spy(r, NDISBUF_FILTER_POSITION_TOP);
}

static void rig_down(rig *r)
{
    RawProtCloseBinding(r->open);
    assert_int_equal(ndisbuf_stack_remove_adapter(r->adapter), NDIS_STATUS_SUCCESS);
    NdisFDeregisterFilterDriver(spy.driver);
    VlanFilterDriverUnload();
    RawProtDriverUnload();
    NdisMDeregisterMiniportDriver(r->miniport_driver);
    assert_int_equal(ndisbuf_outstanding_total(), r->outstanding_at_start);
}

static VLAN_FILTER_STATS vlan_stats(NDIS_HANDLE module)
{
    VLAN_FILTER_STATS s;
    assert_int_equal(VlanFilterGetStats(module, &s), NDIS_STATUS_SUCCESS);
    return s;
}

/*
 * The filter's counters lag its handlers' calls by a few instructions (it
 * passes NBLs on before it counts them back), so a test that just saw a
 * completion waits for InFlight to settle.
 */
static VLAN_FILTER_STATS vlan_settled(NDIS_HANDLE module, ULONG64 in_flight)
{
    for (int i = 0; i < 5000 && vlan_stats(module).InFlight != in_flight; i++)
        usleep(1000);
    VLAN_FILTER_STATS s = vlan_stats(module);
    assert_int_equal(s.InFlight, in_flight);
    return s;
}

static RAWPROT_STATS rawprot_stats(PRAWPROT_OPEN open)
{
    RAWPROT_STATS s;
    RawProtGetStats(open, &s);
    return s;
}

static void make_frame(UCHAR *frame, ULONG length, unsigned seed)
{
    for (ULONG i = 0; i < length; i++)
        frame[i] = (UCHAR)(seed * 41 + i * 3 + 7);
    frame[12] = (UCHAR)(TEST_ETHERTYPE >> 8);
    frame[13] = (UCHAR)(TEST_ETHERTYPE & 0xFF);
}

/* The 802.1Q form of an untagged frame: MACs, 0x8100, TCI, then the rest. */
static ULONG tag_frame(UCHAR *out, const UCHAR *frame, ULONG length, USHORT tci)
{
    memcpy(out, frame, 12);
    out[12] = 0x81;
    out[13] = 0x00;
    out[14] = (UCHAR)(tci >> 8);
    out[15] = (UCHAR)tci;
    memcpy(out + 16, frame + 12, length - 12);
    return length + 4;
}

static void assert_logged(const logged_frame *log, const UCHAR *expected, ULONG length)
{
    assert_int_equal(log->length, length);
    assert_memory_equal(log->bytes, expected, length);
}

static void read_and_compare(PRAWPROT_OPEN open, const UCHAR *expected, ULONG length)
{
    UCHAR got[2048];
    assert_int_equal(RawProtRead(open, got, sizeof(got), READ_TIMEOUT_MS), length);
    assert_memory_equal(got, expected, length);
}

static void assert_no_more_frames(PRAWPROT_OPEN open)
{
    UCHAR got[2048];
    assert_int_equal(RawProtRead(open, got, sizeof(got), QUIET_TIMEOUT_MS), 0);
}

static NDIS_NET_BUFFER_LIST_8021Q_INFO info_of(PVOID value)
{
    NDIS_NET_BUFFER_LIST_8021Q_INFO info;
    info.Value = value;
    return info;
}

/* ====================================================================== */
/* Tests                                                                   */
/* ====================================================================== */

static void the_driver_checks_its_parameters(void **state)
{
    VLAN_FILTER_STATS s;
    (void)state;
    assert_int_equal(VlanFilterDriverEntry(0, 0), NDIS_STATUS_INVALID_PARAMETER);
    assert_int_equal(VlanFilterDriverEntry(4095, 0), NDIS_STATUS_INVALID_PARAMETER);
    assert_int_equal(VlanFilterDriverEntry(1, 8), NDIS_STATUS_INVALID_PARAMETER);
    assert_null(VlanFilterDriverHandle());
    assert_int_equal(VlanFilterDriverEntry(TEST_VLAN_ID, TEST_PRIORITY), NDIS_STATUS_SUCCESS);
    assert_non_null(VlanFilterDriverHandle());
    assert_int_equal(VlanFilterDriverEntry(TEST_VLAN_ID, TEST_PRIORITY), NDIS_STATUS_FAILURE);
    assert_int_equal(VlanFilterGetStats(NULL, &s), NDIS_STATUS_INVALID_PARAMETER);
    VlanFilterDriverUnload();
    assert_null(VlanFilterDriverHandle());
}

static void frames_are_tagged_on_the_wire_and_read_back_as_sent(void **state)
{
    static const ULONG sizes[] = {14, 60, 1000, 1510};
    enum { N = sizeof(sizes) / sizeof(sizes[0]) };
    UCHAR frames[N][1514], tagged[1518];
    rig r;

    (void)state;
    rig_up(&r, true);
    for (ULONG i = 0; i < N; i++) {
        make_frame(frames[i], sizes[i], i);
        assert_int_equal(RawProtWrite(r.open, frames[i], sizes[i]), NDIS_STATUS_SUCCESS);
        read_and_compare(r.open, frames[i], sizes[i]);
    }
    assert_true(RawProtWaitForSends(r.open, READ_TIMEOUT_MS));

    assert_int_equal(r.below->sent_count, N);
    assert_int_equal(r.below->received_count, N);
    assert_int_equal(r.above->sent_count, N);
    assert_int_equal(r.above->received_count, N);
    for (ULONG i = 0; i < N; i++) {
        ULONG n = tag_frame(tagged, frames[i], sizes[i], TEST_TCI);
        assert_logged(&r.below->sent[i], tagged, n);     /* the miniport gets valid 802.1Q */
        assert_logged(&r.below->received[i], tagged, n); /* and loops it back tagged */
        assert_logged(&r.above->sent[i], frames[i], sizes[i]);
        assert_logged(&r.above->received[i], frames[i], sizes[i]);
        NDIS_NET_BUFFER_LIST_8021Q_INFO info = info_of(r.above->received[i].ieee8021q_info);
        assert_int_equal(info.TagHeader.VlanId, TEST_VLAN_ID);
        assert_int_equal(info.TagHeader.UserPriority, TEST_PRIORITY);
        assert_null(r.below->received[i].ieee8021q_info);
    }

    VLAN_FILTER_STATS v = vlan_settled(r.vlan, 0);
    assert_int_equal(v.SendsTagged, N);
    assert_int_equal(v.FramesTagged, N);
    assert_int_equal(v.SendsCompleted, N);
    assert_int_equal(v.FramesWithoutRoom + v.SendsWithoutRoom, 0); /* rawprot left the room */
    assert_int_equal(v.ReceivesStripped, N);
    assert_int_equal(v.ReceivesRestored, N);
    assert_int_equal(v.MtuReduction, 4);

    RAWPROT_STATS s = rawprot_stats(r.open);
    assert_int_equal(s.CompletedOk, N);
    assert_int_equal(s.CompletedAltered, 0); /* every NBL came back exactly as sent */
    rig_down(&r);
}

static void sends_without_room_still_come_back_exactly_as_sent(void **state)
{
    enum { N = 3 };
    UCHAR frames[N][200], tagged[204];
    const UCHAR *pointers[N];
    ULONG lengths[N];
    rig r;

    (void)state;
    rig_up(&r, true);
    for (ULONG i = 0; i < N; i++) {
        lengths[i] = 60 + 70 * i;
        make_frame(frames[i], lengths[i], 20 + i);
        pointers[i] = frames[i];
    }
    spy_originate_sends(r.above, pointers, lengths, N);
    spy_wait(r.above, &r.above->own_sends_completed, N);

    assert_int_equal(r.above->own_sends_failed, 0);
    assert_int_equal(r.above->own_altered, 0); /* MDL freed, context popped, bytes back */
    VLAN_FILTER_STATS v = vlan_stats(r.vlan);
    assert_int_equal(v.FramesWithoutRoom, N);
    assert_int_equal(v.SendsWithoutRoom, N);
    for (ULONG i = 0; i < N; i++) {
        ULONG n = tag_frame(tagged, frames[i], lengths[i], TEST_TCI);
        assert_logged(&r.below->sent[i], tagged, n);
        read_and_compare(r.open, frames[i], lengths[i]);
    }
    rig_down(&r);
}

/* Frames for the receive tests: ours (priority 3), foreign VLAN 7, untagged, and a tag with no room. */
typedef struct receive_set {
    UCHAR plain[4][100];
    UCHAR wire[5][104];
    ULONG length[5];
} receive_set;

enum { RX_OURS, RX_FOREIGN, RX_UNTAGGED, RX_MALFORMED, RX_OURS_AGAIN };

static void receive_set_init(receive_set *s)
{
    for (int i = 0; i < 4; i++)
        make_frame(s->plain[i], 100, 50 + i);
    s->length[RX_OURS] = tag_frame(s->wire[RX_OURS], s->plain[0], 100, (3 << 13) | TEST_VLAN_ID);
    s->length[RX_FOREIGN] = tag_frame(s->wire[RX_FOREIGN], s->plain[1], 100, 7);
    memcpy(s->wire[RX_UNTAGGED], s->plain[2], 100);
    s->length[RX_UNTAGGED] = 100;
    tag_frame(s->wire[RX_MALFORMED], s->plain[3], 100, TEST_VLAN_ID);
    s->length[RX_MALFORMED] = 16; /* a tag, and no EtherType after it */
    s->length[RX_OURS_AGAIN] = tag_frame(s->wire[RX_OURS_AGAIN], s->plain[3], 100, TEST_TCI);
}

static void foreign_vlans_are_dropped_and_untagged_frames_pass(void **state)
{
    receive_set set;
    const UCHAR *pointers[5];
    rig r;

    (void)state;
    rig_up(&r, true);
    receive_set_init(&set);
    for (int i = 0; i < 5; i++)
        pointers[i] = set.wire[i];
    spy_originate_receives(r.below, pointers, set.length, 5, 0);
    spy_wait(r.below, &r.below->own_receives_returned, 5);
    assert_int_equal(r.below->own_altered, 0); /* back as indicated, stripped ones restored */

    read_and_compare(r.open, set.plain[0], 100);
    read_and_compare(r.open, set.plain[2], 100);
    read_and_compare(r.open, set.plain[3], 100);
    assert_no_more_frames(r.open);
    NDIS_NET_BUFFER_LIST_8021Q_INFO info = info_of(r.above->received[0].ieee8021q_info);
    assert_int_equal(info.TagHeader.VlanId, TEST_VLAN_ID);
    assert_int_equal(info.TagHeader.UserPriority, 3);
    assert_ptr_equal(r.above->received[1].ieee8021q_info, SPY_INFO_SENTINEL); /* untagged: untouched */

    VLAN_FILTER_STATS v = vlan_stats(r.vlan);
    assert_int_equal(v.ReceivesStripped, 2);
    assert_int_equal(v.ReceivesUntagged, 1);
    assert_int_equal(v.ReceivesForeign, 2);
    assert_int_equal(v.ReceivesRestored, 2);
    assert_int_equal(v.InFlight, 0);
    rig_down(&r);
}

static void a_resources_indication_is_restored_before_the_call_returns(void **state)
{
    receive_set set;
    const UCHAR *pointers[5];
    rig r;

    (void)state;
    rig_up(&r, true);
    receive_set_init(&set);
    for (int i = 0; i < 5; i++)
        pointers[i] = set.wire[i];
    PNET_BUFFER_LIST chain = spy_originate_receives(r.below, pointers, set.length, 5, NDIS_RECEIVE_FLAGS_RESOURCES);
    /* No return call comes: the NBLs are the spy's again, exactly as indicated, links and all. */
    assert_int_equal(r.below->own_receives_returned, 0);
    spy_take_back_borrowed(r.below, chain);
    assert_int_equal(r.below->own_altered, 0);

    read_and_compare(r.open, set.plain[0], 100);
    read_and_compare(r.open, set.plain[2], 100);
    read_and_compare(r.open, set.plain[3], 100);
    assert_no_more_frames(r.open);
    assert_int_equal(rawprot_stats(r.open).ReceivesResources, 3); /* three runs went up */
    VLAN_FILTER_STATS v = vlan_stats(r.vlan);
    assert_int_equal(v.ReceivesStripped, 2);
    assert_int_equal(v.ReceivesRestored, 2);
    assert_int_equal(v.ReceivesForeign, 2);
    assert_int_equal(v.InFlight, 0);
    rig_down(&r);
}

static void *pause_thread(void *arg)
{
    return (void *)(ULONG_PTR)ndisbuf_stack_pause(arg);
}

static void wait_for_state(NDIS_HANDLE layer, NDISBUF_LAYER_STATE wanted)
{
    for (int i = 0; i < 5000 && ndisbuf_stack_state(layer) != wanted; i++)
        usleep(1000);
    assert_int_equal(ndisbuf_stack_state(layer), wanted);
}

static void a_pause_waits_for_the_receives_it_passed_up(void **state)
{
    UCHAR frame[80];
    pthread_t pauser;
    void *result;
    rig r;

    (void)state;
    rig_up(&r, true);
    r.above->hold_receives = true;
    make_frame(frame, sizeof(frame), 8);
    for (int i = 0; i < 3; i++)
        assert_int_equal(RawProtWrite(r.open, frame, sizeof(frame)), NDIS_STATUS_SUCCESS);
    assert_true(RawProtWaitForSends(r.open, READ_TIMEOUT_MS));
    spy_wait(r.above, &r.above->held_count, 3);
    vlan_settled(r.vlan, 3);

    assert_int_equal(pthread_create(&pauser, NULL, pause_thread, r.adapter), 0);
    wait_for_state(r.vlan, NdisbufStatePausing);
    for (int i = 0; i < 5000 && !vlan_stats(r.vlan).PausePending; i++)
        usleep(1000); /* NDIS marks the module Pausing just before FilterPause */
    assert_true(vlan_stats(r.vlan).PausePending);
    spy_release(r.above);
    assert_int_equal(pthread_join(pauser, &result), 0);
    assert_int_equal((NDIS_STATUS)(ULONG_PTR)result, NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_state(r.vlan), NdisbufStatePaused);

    VLAN_FILTER_STATS v = vlan_stats(r.vlan);
    assert_int_equal(v.PausesPended, 1);
    assert_false(v.Running);
    assert_int_equal(v.ReceivesRestored, 3);
    assert_int_equal(v.InFlight, 0);
    r.above->hold_receives = false;
    assert_int_equal(ndisbuf_stack_restart(r.adapter), NDIS_STATUS_SUCCESS);
    assert_int_equal(RawProtWrite(r.open, frame, sizeof(frame)), NDIS_STATUS_SUCCESS);
    read_and_compare(r.open, frame, sizeof(frame));
    assert_true(RawProtWaitForSends(r.open, READ_TIMEOUT_MS));
    rig_down(&r);
}

static void detaching_at_run_time_restores_the_back_fill_sums(void **state)
{
    NDISBUF_STACK_INFO info;
    UCHAR frame[1514];
    rig r;

    (void)state;
    rig_up(&r, true);
    assert_int_equal(ndisbuf_stack_get_info(r.adapter, &info), NDIS_STATUS_SUCCESS);
    assert_int_equal(info.DataBackFillSize, VLAN_FILTER_TAG_LENGTH);
    assert_int_equal(info.ContextBackFillSize, VLAN_FILTER_CONTEXT_SIZE);
    assert_int_equal(info.FilterCount, 3);

    assert_int_equal(ndisbuf_stack_detach_filter(r.vlan), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_get_info(r.adapter, &info), NDIS_STATUS_SUCCESS);
    assert_int_equal(info.DataBackFillSize, 0);
    assert_int_equal(info.ContextBackFillSize, 0);
    assert_int_equal(info.FilterCount, 2);
    RAWPROT_STATS s = rawprot_stats(r.open);
    assert_int_equal(s.PoolDataBackFillSize, 0);
    assert_int_equal(s.PoolContextBackFillSize, 0);
    assert_int_equal(s.PoolMtuSize, 1500);

    /* Without the filter a full-size frame goes out untagged. */
    make_frame(frame, sizeof(frame), 9);
    assert_int_equal(RawProtWrite(r.open, frame, sizeof(frame)), NDIS_STATUS_SUCCESS);
    read_and_compare(r.open, frame, sizeof(frame));
    assert_true(RawProtWaitForSends(r.open, READ_TIMEOUT_MS));
    assert_logged(&r.below->sent[0], frame, sizeof(frame));
    rig_down(&r);
}

static void two_modules_add_up_their_needs_and_their_tags(void **state)
{
    NDIS_HANDLE second;
    NDISBUF_STACK_INFO info;
    UCHAR frame[120], once[124], twice[128];
    rig r;

    (void)state;
    rig_up(&r, true);
    /* A second module of the same driver, just above the first: QinQ with the same tag twice. */
    assert_int_equal(ndisbuf_stack_attach_filter(r.adapter, VlanFilterDriverHandle(), 2, &second),
                     NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_stack_get_info(r.adapter, &info), NDIS_STATUS_SUCCESS);
    assert_int_equal(info.DataBackFillSize, 2 * VLAN_FILTER_TAG_LENGTH);
    assert_int_equal(info.ContextBackFillSize, 2 * VLAN_FILTER_CONTEXT_SIZE);
    RAWPROT_STATS s = rawprot_stats(r.open);
    assert_int_equal(s.PoolDataBackFillSize, 2 * VLAN_FILTER_TAG_LENGTH);
    assert_int_equal(s.PoolContextBackFillSize, 2 * VLAN_FILTER_CONTEXT_SIZE);
    assert_int_equal(s.PoolMtuSize, 1500 - 2 * VLAN_FILTER_TAG_LENGTH);

    make_frame(frame, sizeof(frame), 10);
    assert_int_equal(RawProtWrite(r.open, frame, sizeof(frame)), NDIS_STATUS_SUCCESS);
    read_and_compare(r.open, frame, sizeof(frame));
    assert_true(RawProtWaitForSends(r.open, READ_TIMEOUT_MS));
    tag_frame(twice, once, tag_frame(once, frame, sizeof(frame), TEST_TCI), TEST_TCI);
    assert_logged(&r.below->sent[0], twice, sizeof(twice));
    VLAN_FILTER_STATS v1 = vlan_stats(r.vlan), v2 = vlan_stats(second);
    assert_int_equal(v1.FramesWithoutRoom + v2.FramesWithoutRoom + v1.SendsWithoutRoom + v2.SendsWithoutRoom, 0);
    assert_int_equal(v1.ReceivesStripped, 1);
    assert_int_equal(v2.ReceivesStripped, 1);
    assert_int_equal(rawprot_stats(r.open).CompletedAltered, 0);
    rig_down(&r);
}

/*
 * A chain in which the filter can tag nothing: every NBL is completed back
 * at once, and the hold the call took while tagging goes with it (the
 * filter counts a chain as it tags it, not before), so nothing stays in
 * flight and a pause that follows needs no wait.
 */
static void a_chain_the_filter_cannot_tag_leaves_nothing_in_flight(void **state)
{
    enum { N = 3 };
    UCHAR frames[N][60];
    const UCHAR *pointers[N];
    ULONG lengths[N] = {10, 13, 60};
    rig r;

    (void)state;
    rig_up(&r, true);
    for (ULONG i = 0; i < N; i++) {
        make_frame(frames[i], 60, 30 + i);
        pointers[i] = frames[i];
    }
    spy_originate_sends(r.above, pointers, lengths, 2); /* runts only: none can be tagged */
    spy_wait(r.above, &r.above->own_sends_completed, 2);
    assert_int_equal(r.above->own_sends_failed, 2);
    assert_int_equal(r.above->own_altered, 0);
    VLAN_FILTER_STATS v = vlan_settled(r.vlan, 0);
    assert_int_equal(v.SendsRejected, 2);
    assert_int_equal(v.SendsTagged, 0);

    spy_originate_sends(r.above, pointers, lengths, N); /* two runts and one frame that goes down */
    spy_wait(r.above, &r.above->own_sends_completed, 2 + N);
    assert_int_equal(r.above->own_sends_failed, 4);
    v = vlan_settled(r.vlan, 0);
    assert_int_equal(v.SendsRejected, 4);
    assert_int_equal(v.SendsTagged, 1);
    assert_int_equal(v.SendsCompleted, 1);

    assert_int_equal(ndisbuf_stack_pause(r.adapter), NDIS_STATUS_SUCCESS);
    VLAN_FILTER_STATS after = vlan_stats(r.vlan);
    assert_int_equal(after.PausesImmediate, v.PausesImmediate + 1);
    assert_int_equal(after.PausesPended, v.PausesPended);
    assert_int_equal(ndisbuf_stack_restart(r.adapter), NDIS_STATUS_SUCCESS);
    rig_down(&r);
}

typedef struct traffic {
    PRAWPROT_OPEN open;
    atomic_bool stop;
    ULONG64 batches;
} traffic;

/* Sends 8-frame chains until told to stop (refused ones too: the stack may be paused). */
static void *traffic_thread(void *arg)
{
    traffic *t = arg;
    UCHAR frame[64];
    const void *frames[8];
    ULONG lengths[8];

    make_frame(frame, sizeof(frame), 77);
    for (int i = 0; i < 8; i++) {
        frames[i] = frame;
        lengths[i] = sizeof(frame);
    }
    while (!atomic_load(&t->stop)) {
        (void)RawProtWriteBatch(t->open, frames, lengths, 8);
        t->batches++;
        if (t->batches % 64 == 0)
            usleep(100); /* let the pauses in */
    }
    return NULL;
}

/*
 * Pauses and restarts the stack again and again while another thread sends:
 * the filter keeps no lock on its data path, so every pause must still wait
 * for exactly what the module passed on (a pause that completed early
 * would let the stack's own drain check or the outstanding count at the
 * end catch it), and every NBL must come back.
 */
static void pausing_under_traffic_waits_for_everything_the_filter_passed_on(void **state)
{
    enum { PAUSES = 30 };
    traffic t = {0};
    pthread_t sender;
    rig r;

    (void)state;
    rig_up(&r, false);
    VLAN_FILTER_STATS before = vlan_stats(r.vlan);
    t.open = r.open;
    assert_int_equal(pthread_create(&sender, NULL, traffic_thread, &t), 0);
    for (int i = 0; i < PAUSES; i++) {
        assert_int_equal(ndisbuf_stack_pause(r.adapter), NDIS_STATUS_SUCCESS);
        VLAN_FILTER_STATS v = vlan_stats(r.vlan);
        assert_false(v.Running);
        assert_false(v.PausePending);
        assert_int_equal(v.InFlight, 0); /* paused: nothing of the module's is out */
        assert_int_equal(ndisbuf_stack_restart(r.adapter), NDIS_STATUS_SUCCESS);
        usleep(500);
    }
    atomic_store(&t.stop, true);
    assert_int_equal(pthread_join(sender, NULL), 0);
    assert_true(RawProtWaitForSends(r.open, READ_TIMEOUT_MS));

    VLAN_FILTER_STATS v = vlan_settled(r.vlan, 0);
    assert_int_equal(v.PausesImmediate + v.PausesPended - (before.PausesImmediate + before.PausesPended), PAUSES);
    assert_int_equal(v.Restarts - before.Restarts, PAUSES);
    assert_true(v.SendsTagged > 0);
    assert_int_equal(v.SendsCompleted, v.SendsTagged);
    assert_int_equal(v.ReceivesRestored, v.ReceivesStripped);
    RAWPROT_STATS s = rawprot_stats(r.open);
    assert_int_equal(s.CompletedAltered, 0);
    assert_int_equal(s.CompletedFailed, 0);
    rig_down(&r); /* and nothing is outstanding */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(the_driver_checks_its_parameters),
        HARNESS_TEST(frames_are_tagged_on_the_wire_and_read_back_as_sent),
        HARNESS_TEST(sends_without_room_still_come_back_exactly_as_sent),
        HARNESS_TEST(foreign_vlans_are_dropped_and_untagged_frames_pass),
        HARNESS_TEST(a_resources_indication_is_restored_before_the_call_returns),
        HARNESS_TEST(a_pause_waits_for_the_receives_it_passed_up),
        HARNESS_TEST(detaching_at_run_time_restores_the_back_fill_sums),
        HARNESS_TEST(two_modules_add_up_their_needs_and_their_tags),
        HARNESS_TEST(a_chain_the_filter_cannot_tag_leaves_nothing_in_flight),
        HARNESS_TEST(pausing_under_traffic_waits_for_everything_the_filter_passed_on),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
