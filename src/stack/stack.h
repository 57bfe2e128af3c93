/* SPDX-License-Identifier: MIT */
/*
 * The binding stack's private model (docs/stack.md): registered drivers and
 * the layers of each adapter's stack.
 *
 * An adapter's stack is an array of layers, bottom-up: index 0 is the
 * miniport, 1..filter_count the filter modules; the bindings sit above the
 * top filter (index filter_count + 1, "the top"). The topology only changes
 * while the whole stack is paused (every change pauses it, as NDIS does with
 * the NDIS_PAUSE_* reasons), so the data path reads it without a lock.
 *
 * One lock (stack_lock) guards control state and the waits for completions;
 * the data path never takes it except to wake a drain waiter. Control calls
 * are serialised by a second mutex held for their whole duration.
 */
#ifndef NDISBUF_STACK_STACK_H
#define NDISBUF_STACK_STACK_H

#include <ndis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#define STACK_MAX_FILTERS 16
#define STACK_MAX_BINDINGS 16
#define STACK_NAME_MAX 64
#define STACK_INDEX_TOP 0xFFFFu               /* a binding's index */

typedef enum stack_kind {
    STACK_KIND_MINIPORT = 1,
    STACK_KIND_FILTER = 2,
    STACK_KIND_PROTOCOL = 3
} stack_kind;

/* A registered driver: its characteristics (copied) and its context. */
typedef struct stack_driver {
    uint32_t magic;
    stack_kind kind;
    NDIS_HANDLE context;
    char name[STACK_NAME_MAX];
    NDIS_STRING ndis_name;                 /* the protocol's Name, for bind parameters */
    WCHAR strings[3][STACK_NAME_MAX];      /* owned copies of the names in chars */
    union {
        NDIS_MINIPORT_DRIVER_CHARACTERISTICS miniport;
        NDIS_FILTER_DRIVER_CHARACTERISTICS filter;
        NDIS_PROTOCOL_DRIVER_CHARACTERISTICS protocol;
    } chars;
    struct stack_driver *next;             /* registry list */
} stack_driver;

struct stack_adapter;

/*
 * An adapter's keywords (ndisbuf_stack_add_adapter_ex), in one block: the
 * entries, then the text they point to. Freed with free().
 */
typedef struct stack_keywords {
    ULONG count;
    NDISBUF_KEYWORD entries[];
} stack_keywords;

/* A miniport adapter, filter module or binding: what a handle names. */
typedef struct stack_layer {
    uint32_t magic;                        /* LAYER_MAGIC while live */
    stack_kind kind;
    struct stack_adapter *adapter;
    stack_driver *driver;
    NDIS_HANDLE context;                   /* the driver's context for this layer */
    ULONG index;                           /* 0 miniport, 1.. filters; bindings: top */
    _Atomic int state;                     /* NDISBUF_LAYER_STATE */

    /* In-flight accounting (one atomic per batch, docs/stack.md). */
    atomic_long sends_out;                 /* NBLs it originated, sent, not completed */
    atomic_long receives_out;              /* NBLs it originated, indicated, not returned */
    atomic_long held;                      /* bindings: receives given, not returned */
    atomic_int draining;                   /* a pause waits for the counts to reach 0 */
    struct timespec drain_started;         /* when the current drain began (stack_lock) */

    /* The pending control operation (guarded by stack_lock). */
    bool op_pending;
    NDIS_STATUS op_status;
    const char *op_name;                   /* "FilterPause", ... for diagnostics */

    bool opened;                           /* binding: NdisOpenAdapterEx succeeded, not closed */
    bool attributes_set;                   /* filter: NdisFSetAttributes called in FilterAttach */

    /* What the layer passed up at its last restart (the sums above it). */
    ULONG data_backfill;
    ULONG context_backfill;
    NDIS_RESTART_GENERAL_ATTRIBUTES restart_out;

    struct stack_layer *next_retired;
} stack_layer;

/* An adapter: the miniport layer plus the stack above it. */
typedef struct stack_adapter {
    stack_layer miniport;                  /* first: a layer pointer is the adapter */
    char name[STACK_NAME_MAX];
    WCHAR wide_name[STACK_NAME_MAX];
    NDIS_STRING ndis_name;
    NET_IFINDEX if_index;
    stack_keywords *keywords;              /* never NULL while live; immutable */
    bool have_registration;
    bool have_general;
    NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES general;
    NDIS_RESTART_GENERAL_ATTRIBUTES top;   /* what the bindings got at the last restart */
    bool user_paused;                      /* ndisbuf_stack_pause: stays paused */
    ULONG filter_count;
    stack_layer *filters[STACK_MAX_FILTERS + 1]; /* [1..filter_count], bottom-up */
    ULONG binding_count;
    stack_layer *bindings[STACK_MAX_BINDINGS];
    struct stack_adapter *next;            /* registry list */
} stack_adapter;

/* ---- registry.c: drivers, handles, locking, waits ---- */
extern pthread_mutex_t stack_lock;

stack_driver *stack_driver_checked(NDIS_HANDLE handle, stack_kind kind, const char *function,
                                   const char *argument);
/* A live layer of that kind (any kind for 0), or NULL with a diagnostic. */
stack_layer *stack_layer_checked(NDIS_HANDLE handle, stack_kind kind, const char *function,
                                 const char *argument);
/* The data-path check: the magic and the kind only (no registry walk). */
stack_layer *stack_layer_fast(NDIS_HANDLE handle, stack_kind kind, const char *function,
                              const char *argument);
stack_layer *stack_layer_new(stack_kind kind, stack_adapter *adapter, stack_driver *driver);
/* A live adapter with its own copy of the keywords (already validated), or NULL. */
stack_adapter *stack_adapter_new(stack_driver *driver, const char *name, const NDISBUF_KEYWORD *keywords,
                                 ULONG keyword_count);
void stack_layer_retire(stack_layer *layer);
void stack_adapter_retire(stack_adapter *adapter);
stack_adapter *stack_adapters_of(stack_driver *driver, stack_adapter *after);
void stack_driver_unregister(stack_driver *driver);

/* Checks keywords against ndisbuf_stack_add_adapter_ex's rules (a diagnostic for the first broken one). */
bool stack_keywords_valid(const NDISBUF_KEYWORD *keywords, ULONG count, const char *function);
/* A copy in one block (count 0 gives an empty one), or NULL when out of memory. */
stack_keywords *stack_keywords_copy(const NDISBUF_KEYWORD *keywords, ULONG count);
/* The keyword named by `length` UTF-16 characters (names compare ignoring ASCII case), or NULL. */
const NDISBUF_KEYWORD *stack_keywords_find(const stack_keywords *keywords, const WCHAR *name, size_t length);
/*
 * For NdisOpenConfigurationEx: a copy of the keywords of the live miniport
 * adapter `handle` names, which the caller frees. Any other handle is
 * quietly no adapter: NDIS_STATUS_SUCCESS with *keywords NULL. Fails only
 * with NDIS_STATUS_RESOURCES, *keywords NULL.
 */
NDIS_STATUS stack_adapter_keywords_copy(NDIS_HANDLE handle, stack_keywords **keywords);

/* Control calls: one at a time; refused from inside a handler. */
bool stack_control_enter(const char *function);
void stack_control_leave(void);

/* The layer's state as seen by the data path. */
static inline NDISBUF_LAYER_STATE stack_state(const stack_layer *layer)
{
    return (NDISBUF_LAYER_STATE)atomic_load_explicit(&layer->state, memory_order_acquire);
}
void stack_set_state(stack_layer *layer, NDISBUF_LAYER_STATE state);

/* A handler that may pend: begin, call, then finish with what it returned. */
void stack_op_begin(stack_layer *layer, const char *name);
NDIS_STATUS stack_op_finish(stack_layer *layer, NDIS_STATUS returned);
/* The completion call (NdisMPauseComplete, ...): false if nothing pends. */
bool stack_op_complete(stack_layer *layer, NDIS_STATUS status, const char *function);

/* Pause drain: wait until every NBL the layer sent or indicated is back. */
void stack_wait_drained(stack_layer *layer);
/* Called by the data path when a count it decremented reached zero. */
void stack_wake_drain(stack_layer *layer);

static inline void stack_count_sub(stack_layer *layer, atomic_long *count, long n)
{
    /* seq_cst on both: pairs with the waiter's store of draining, then load of the counts. */
    if (n != 0 && atomic_fetch_sub(count, n) == n && atomic_load(&layer->draining))
        stack_wake_drain(layer);
}

static inline void stack_count_add(atomic_long *count, long n)
{
    if (n != 0)
        atomic_fetch_add(count, n);
}

/* "Protocol 'rawprot' binding to 'loop0'" for diagnostics. */
const char *stack_layer_describe(const stack_layer *layer, char *buffer, size_t size);

/* ---- control.c ---- */
/* Pause or restart every layer of the adapter (top-down / bottom-up). */
NDIS_STATUS stack_pause_all(stack_adapter *adapter, ULONG reason);
NDIS_STATUS stack_restart_all(stack_adapter *adapter);
NDIS_STATUS stack_unbind_locked(stack_layer *binding);
NDIS_STATUS stack_detach_locked(stack_layer *filter);
NDIS_STATUS stack_remove_adapter_locked(stack_adapter *adapter);

/* ---- datapath.c ---- */
/* Give a chain back to where it came from (used when a send is refused). */
void stack_complete_up(stack_adapter *adapter, ULONG start, PNET_BUFFER_LIST chain, ULONG flags);

/* ---- small helpers ---- */
static inline stack_layer *stack_top_filter_or_null(const stack_adapter *adapter, ULONG index)
{
    return (index >= 1 && index <= adapter->filter_count) ? adapter->filters[index] : NULL;
}

#endif /* NDISBUF_STACK_STACK_H */
