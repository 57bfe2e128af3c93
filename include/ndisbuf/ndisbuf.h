/* SPDX-License-Identifier: MIT */
/*
 * ndisbuf's native extensions: the verifier's reports, diagnostics and pool
 * statistics. Everything here is ndisbuf_* / NDISBUF_*; the WDK surface is
 * in <ndis.h>.
 *
 * Two channels carry bad news:
 *  - a *diagnostic* explains why a call failed cleanly (NULL or an error
 *    status) because of its arguments: "Parameters->DataSize is 2048 but
 *    fAllocateNetBuffer is FALSE". It goes to the diagnostic sink (stderr by
 *    default) and is kept per thread for ndisbuf_last_diagnostic().
 *  - a *report* is a contract violation by the driver (double free, pool
 *    freed with objects outstanding, ...), in the style of a bug check: a
 *    code, four parameters, the object and a message. The policy then
 *    decides: abort (default), call a handler (tests), or count.
 */
#ifndef NDISBUF_NDISBUF_H
#define NDISBUF_NDISBUF_H

#include <stdio.h>

#include "ndis/base.h"
#include "ndis/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Report codes: X(name, code, one-line meaning). One list decides them all. */
#define NDISBUF_REPORT_CODES(X)                                                        \
    X(INVALID_HANDLE, 0x01, "a handle that names no live pool")                       \
    X(NULL_OBJECT, 0x02, "NULL passed where an object is required")                   \
    X(FOREIGN_POINTER, 0x10, "a pointer no ndisbuf pool gave out")                     \
    X(DOUBLE_FREE, 0x11, "an object freed twice")                                      \
    X(WRONG_POOL, 0x12, "an object whose pool handle names another pool")              \
    X(WRONG_FREE_CALL, 0x13, "an object freed by a call that does not own it")         \
    X(NBL_HAS_FOREIGN_NB, 0x14, "an NBL freed while it carries a separately allocated NB") \
    X(POOL_NOT_EMPTY, 0x15, "a pool freed with objects outstanding")                   \
    X(CONTEXT_NOT_POPPED, 0x16, "an NBL freed with pushed context still on it")        \
    X(MDL_LENGTHENED, 0x17, "an MDL lengthened beyond the buffer it was built for")      \
    X(CONTEXT_MISMATCH, 0x18, "NBL context freed out of step with its allocations")     \
    X(CHILDREN_OUTSTANDING, 0x19, "a parent NBL freed while NBLs derived from it are live (ChildRefCount, or the verifier's own count)") \
    X(DERIVED_FREE_MISMATCH, 0x1A, "a derived NBL freed with other flags or DataOffsetDelta than it was made with") \
    X(DERIVED_NB_MISSING, 0x1B, "a derived NBL freed without all the NBs the library gave it") \
    X(SOURCE_HANDLE, 0x1C, "an NBL sent or indicated whose SourceHandle is not the sender's handle") \
    X(NBL_UNROUTABLE, 0x1D, "an NBL completed or returned whose SourceHandle names no layer of this stack") \
    X(PACKET_HAS_BUFFERS, 0x1E, "an NDIS 5 packet freed while live buffer descriptors are still chained to it") \
    X(MEMORY_FREE_MISMATCH, 0x1F, "tagged memory freed with another length or memory flags than it was allocated with") \
    X(NBL_LOST, 0x20, "an NBL still held by a driver when it should be back (pause drain, unbind, halt)") \
    X(DOUBLE_COMPLETION, 0x21, "an NBL send-completed or returned twice")            \
    X(WRONG_DIRECTION, 0x22, "a send NBL returned or indicated, or a receive NBL send-completed or sent") \
    X(OWN_NBL_PASSED, 0x23, "an NBL completed or returned that was never sent or indicated to the caller: its allocator frees it") \
    X(NBL_NOT_HELD, 0x24, "an NBL used by a driver that does not hold it (already sent, indicated, completed, returned or freed)") \
    X(RESOURCES_KEPT, 0x25, "an NBL used after the NDIS_RECEIVE_FLAGS_RESOURCES indication that lent it returned") \
    X(PAUSED_DATA, 0x26, "a send or receive indication by a layer that is paused")   \
    X(OFFSET_UNBALANCED, 0x27, "an NBL given back with its NB data offsets not restored (retreat/advance unbalanced)") \
    X(DATA_LENGTH_EXCEEDS_CHAIN, 0x28, "an NB whose DataOffset + DataLength is more than its MDL chain holds") \
    X(CURRENT_MDL_MISMATCH, 0x29, "an NB whose CurrentMdl/CurrentMdlOffset are out of step with DataOffset") \
    X(MDL_CHAIN_LOOP, 0x2A, "an MDL chain that loops back on itself")                  \
    X(RECEIVE_COUNT_MISMATCH, 0x2B, "NumberOfNetBufferLists does not match the chain indicated") \
    X(PACKET_IN_USE, 0x2C, "an NDIS 5.1 packet sent, freed or reinitialised while a send of it is pending") \
    X(FREED_ELEMENT_WRITTEN, 0x2D, "a freed element was written while in the verifier's quarantine (use after free)")

typedef enum _NDISBUF_REPORT_CODE {
#define NDISBUF_X_ENUM(name, code, text) NDISBUF_REPORT_##name = code,
    NDISBUF_REPORT_CODES(NDISBUF_X_ENUM)
#undef NDISBUF_X_ENUM
} NDISBUF_REPORT_CODE;

/* One report. Strings and the object stay valid only during the handler. */
typedef struct _NDISBUF_REPORT {
    NDISBUF_REPORT_CODE Code;
    const char *CodeName;        /* "DOUBLE_FREE" */
    const char *Function;        /* the NDIS call that caught it */
    const void *Object;          /* the object concerned */
    ULONG_PTR Parameters[4];     /* code-specific, as in a bug check */
    const char *Message;         /* full human-readable text */
    /*
     * For an NBL, at verifier level 1 and above: who holds it and in which
     * direction, who sent or indicated it, and where it was allocated
     * ("" otherwise). At level 3 and above History lists its last events,
     * oldest first, one per line (event, layers, thread; call stacks at
     * level 4); "" otherwise.
     */
    const char *Owner;
    const char *History;
    ULONG VerifierLevel;         /* the level in force when it was raised */
} NDISBUF_REPORT, *PNDISBUF_REPORT;

typedef enum _NDISBUF_REPORT_POLICY {
    NdisbufReportAbort = 0,   /* print the report and abort() (default) */
    NdisbufReportHandler = 1, /* print nothing, call the installed handler */
    NdisbufReportCount = 2    /* print the report, count it, carry on */
} NDISBUF_REPORT_POLICY;

typedef void (*NDISBUF_REPORT_HANDLER)(const NDISBUF_REPORT *Report, void *Context);

/*
 * Installs Handler (with Context) and switches the policy to
 * NdisbufReportHandler; Handler NULL restores the default abort policy.
 * After a report the call that raised it returns without acting, whatever
 * the policy, so the objects concerned are left as they were.
 */
NDISBUF_API void ndisbuf_report_set_handler(NDISBUF_REPORT_HANDLER Handler, void *Context);
NDISBUF_API void ndisbuf_report_set_policy(NDISBUF_REPORT_POLICY Policy);
NDISBUF_API NDISBUF_REPORT_POLICY ndisbuf_report_get_policy(void);
/* Reports raised since the process started (every policy counts). */
NDISBUF_API ULONG64 ndisbuf_report_count(void);
/* "DOUBLE_FREE" for NDISBUF_REPORT_DOUBLE_FREE, "UNKNOWN" otherwise. */
NDISBUF_API const char *ndisbuf_report_code_name(NDISBUF_REPORT_CODE Code);

/*
 * Also writes every report, whatever the policy and before it is applied,
 * to Path as one JSON object per line (JSON Lines: code, name, function,
 * object, parameters, message, owner, history, level, pid). The file is
 * opened for appending; Path NULL closes it. The environment variable
 * NDISBUF_REPORT_JSON=<path> does the same at start-up.
 * NDIS_STATUS_FAILURE (and a diagnostic) when the file cannot be opened.
 */
NDISBUF_API NDIS_STATUS ndisbuf_report_set_json_file(const char *Path);

/* ---- the verifier's level (docs/verifier.md) ---- */
/*
 * The levels follow NDIS' own NBL tracking:
 *  0  cheap always-on checks: state cookies (double free, foreign pointer,
 *     wrong pool, wrong free call), free-time rules, MDL loops.
 *  1  + the current holder of every NBL (which layer, which direction) and
 *     the checks built on it: double completion, wrong direction, use after
 *     giving away, RESOURCES kept, paused data, unbalanced offsets and
 *     context at each hop back, NB consistency at every hop.
 *  2  + leak scans (a pause drain that does not finish in the drain
 *     timeout names the NBLs missing and their holders; unbind and halt
 *     name what the layer still holds), poisoning of freed elements and a
 *     quarantine that delays their reuse and checks the poison.
 *  3  + a history ring per NBL (event, layers, thread, time).
 *  4  + a call stack per history event.
 * The level is read from NDISBUF_VERIFIER=<0..4> at start-up (default 0)
 * and may be changed at any time; NBLs already in flight when tracking
 * starts are checked from their next return home. Lowering it below 2
 * releases the quarantine.
 * Returns NDIS_STATUS_INVALID_PARAMETER (and a diagnostic) above 4.
 */
#define NDISBUF_VERIFIER_LEVEL_MAX 4
NDISBUF_API NDIS_STATUS ndisbuf_verifier_set(ULONG Level);
NDISBUF_API ULONG ndisbuf_verifier_level(void);
/*
 * How long a pause drain waits at level 2 and above before reporting
 * NBL_LOST for each NBL still out, naming its holder (default 5000 ms; also
 * NDISBUF_VERIFIER_DRAIN_MS). The pause then goes on waiting.
 */
NDISBUF_API VOID ndisbuf_verifier_set_drain_timeout(ULONG Milliseconds);

/* ---- diagnostics ---- */
typedef void (*NDISBUF_DIAGNOSTIC_SINK)(const char *Message, void *Context);
/* Sink NULL restores stderr. The message has no trailing newline. */
NDISBUF_API void ndisbuf_set_diagnostic_sink(NDISBUF_DIAGNOSTIC_SINK Sink, void *Context);
/* The calling thread's last diagnostic ("" if none); valid until its next one. */
NDISBUF_API const char *ndisbuf_last_diagnostic(void);
NDISBUF_API void ndisbuf_clear_diagnostic(void);

/* ---- pool statistics ---- */
typedef struct _NDISBUF_POOL_STATS {
    ULONG PoolTag;
    ULONG ElementSize;        /* bytes per element, private header included */
    ULONG64 Outstanding;      /* allocated and not yet freed */
    ULONG64 Capacity;         /* elements laid out so far (the pool grows) */
    ULONG64 Allocations;      /* successful allocations since creation */
} NDISBUF_POOL_STATS, *PNDISBUF_POOL_STATS;

/* Statistics of an NBL or NB pool; NDIS_STATUS_INVALID_PARAMETER for a bad handle. */
NDISBUF_API NDIS_STATUS ndisbuf_pool_get_stats(NDIS_HANDLE PoolHandle, NDISBUF_POOL_STATS *Stats);
/*
 * Pools created and not yet freed, in the whole process: NBL and NB pools,
 * and the NDIS 5.1 packet and buffer pools.
 */
NDISBUF_API ULONG ndisbuf_live_pool_count(void);
/*
 * Objects outstanding in the whole process: NBLs, NBs and MDLs of every
 * pool (the library's internal ones included), NDIS 5.1 packets and buffer
 * descriptors, and blocks of tagged memory (NdisAllocateMemoryWithTag*),
 * each block counting one.
 */
NDISBUF_API ULONG64 ndisbuf_outstanding_total(void);

/* ---- bulk allocation and free (docs/performance.md) ---- */
struct _NET_BUFFER_LIST;
/*
 * Allocates Count NBLs from PoolHandle at once, each exactly as
 * NdisAllocateNetBufferList(PoolHandle, ContextSize, ContextBackFill) would
 * give it, and links them into one chain in array order (NetBufferLists[i]->
 * Next is NetBufferLists[i + 1], the last Next is NULL), ready for a send.
 *
 * Preconditions: as NdisAllocateNetBufferList; NetBufferLists has room for
 * Count pointers; 1 <= Count <= NDISBUF_BULK_MAX.
 * All or nothing: NDIS_STATUS_SUCCESS with every entry filled and the
 * caller owning all Count NBLs, or NDIS_STATUS_RESOURCES (the pool could not
 * grow, or an injected fault) / NDIS_STATUS_INVALID_PARAMETER (bad handle or
 * arguments, with a diagnostic) with nothing allocated and the array
 * untouched.
 * Verifier: every NBL is tracked as if allocated one by one.
 */
#define NDISBUF_BULK_MAX 1024
NDISBUF_API NDIS_STATUS ndisbuf_nbl_alloc_bulk(NDIS_HANDLE PoolHandle, USHORT ContextSize, USHORT ContextBackFill,
                                               struct _NET_BUFFER_LIST **NetBufferLists, ULONG Count);
/*
 * Frees Count NBLs as NdisFreeNetBufferList would free each; Next links are
 * ignored. The NBLs may come from different pools. Each NBL is checked like
 * a single free: one that fails its checks is reported (level-0 report:
 * double free, foreign pointer, wrong pool, ...) and left as it was, and the
 * others are still freed. Returns how many were freed.
 */
NDISBUF_API ULONG ndisbuf_nbl_free_bulk(struct _NET_BUFFER_LIST **NetBufferLists, ULONG Count);
/*
 * Frees every NBL of a chain linked through Next (as a completed send
 * returns it), each as NdisFreeNetBufferList would. Returns how many were
 * freed; an NBL that fails its checks is reported and left, and the walk
 * goes on with its Next.
 */
NDISBUF_API ULONG ndisbuf_nbl_free_chain(struct _NET_BUFFER_LIST *NetBufferListChain);

/*
 * Header room from the allocation itself (DPDK's headroom). An NBL from a
 * pool with fAllocateNetBuffer and a DataSize normally starts with
 * DataOffset 0 and DataLength DataSize, so a header in front needs
 * NdisAdvanceNetBufferDataStart first or a retreat that allocates an MDL.
 * After this call, NBLs allocated from the pool start with DataOffset (and
 * CurrentMdlOffset) DataBackFill and DataLength DataSize - DataBackFill:
 * NdisRetreatNetBufferDataStart up to DataBackFill bytes then only moves
 * offsets. NBLs already allocated are unchanged; 0 restores the default.
 * NDIS_STATUS_INVALID_PARAMETER (with a diagnostic, pool unchanged) for a
 * handle that is no live NBL pool, a pool without data, or DataBackFill >
 * DataSize. Call it while no other thread allocates from the pool.
 */
NDISBUF_API NDIS_STATUS ndisbuf_nbl_pool_set_data_backfill(NDIS_HANDLE PoolHandle, ULONG DataBackFill);

/* ---- NDIS 5.1 tagged memory (docs/ndis5.md) ---- */
/* What one tag holds. */
typedef struct _NDISBUF_TAG_USAGE {
    ULONG Tag;
    ULONG64 OutstandingAllocations; /* blocks allocated and not yet freed */
    ULONG64 OutstandingBytes;       /* their bytes, as requested */
    ULONG64 Allocations;            /* blocks allocated under the tag since the process started */
} NDISBUF_TAG_USAGE, *PNDISBUF_TAG_USAGE;

/* One block still allocated. */
typedef struct _NDISBUF_TAGGED_BLOCK {
    PVOID VirtualAddress;
    UINT Length;
    ULONG Tag;
    NDIS_HANDLE Owner;              /* NdisAllocateMemoryWithTagPriority's NdisHandle, else NULL */
    PVOID AllocationSite;           /* return address of the allocating call */
} NDISBUF_TAGGED_BLOCK, *PNDISBUF_TAGGED_BLOCK;

/* Enumeration callbacks: return TRUE to go on, FALSE to stop. */
typedef BOOLEAN (*NDISBUF_TAG_USAGE_CALLBACK)(const NDISBUF_TAG_USAGE *Usage, PVOID Context);
typedef BOOLEAN (*NDISBUF_TAGGED_BLOCK_CALLBACK)(const NDISBUF_TAGGED_BLOCK *Block, PVOID Context);

/* Blocks of tagged memory outstanding, every tag together; *Bytes (optional) their bytes. */
NDISBUF_API ULONG64 ndisbuf_tagged_memory_outstanding(ULONG64 *Bytes);
/* What Tag holds now (all zero but Tag for a tag never used). */
NDISBUF_API VOID ndisbuf_tagged_memory_query(ULONG Tag, NDISBUF_TAG_USAGE *Usage);
/*
 * Calls Callback for every tag with blocks outstanding, in no set order, on
 * a snapshot taken first (the callback may allocate and free). Returns the
 * number of calls made.
 */
NDISBUF_API ULONG ndisbuf_tagged_memory_enumerate_tags(NDISBUF_TAG_USAGE_CALLBACK Callback, PVOID Context);
/* The same for every block outstanding (a leak listing). */
NDISBUF_API ULONG ndisbuf_tagged_memory_enumerate_blocks(NDISBUF_TAGGED_BLOCK_CALLBACK Callback, PVOID Context);

/* ====================================================================== */
/* The binding stack (docs/stack.md)                                       */
/* ====================================================================== */
/*
 * One NDIS instance per process. Drivers register with the documented calls
 * (NdisMRegisterMiniportDriver, NdisFRegisterFilterDriver,
 * NdisRegisterProtocolDriver); these calls then build the topology the way
 * NDIS does when devices arrive and bindings are made. Every handle below is
 * the one the drivers see: an adapter is the MiniportAdapterHandle, a filter
 * module the NdisFilterHandle, a binding the NdisBindingHandle.
 *
 * Each call drives the documented handlers in order and waits for
 * completions that pend (NdisMPauseComplete, NdisFRestartComplete,
 * NdisCompleteNetPnPEvent, NdisCompleteBindAdapterEx, ...), which may come
 * from any thread. The calls are serialised: one runs at a time. Calling one
 * from inside a driver handler fails with NDIS_STATUS_NOT_ACCEPTED (it would
 * wait for itself) and a diagnostic. Bad handles fail with
 * NDIS_STATUS_INVALID_PARAMETER and a diagnostic; nothing changes.
 */

/* Position for ndisbuf_stack_attach_filter: above every other filter. */
#define NDISBUF_FILTER_POSITION_TOP ((ULONG)-1)

/* The state of an adapter, filter module or binding. */
typedef enum _NDISBUF_LAYER_STATE {
    NdisbufStateInvalid = 0,  /* not a live handle */
    NdisbufStateUnbound,      /* binding: closed (transient) */
    NdisbufStateInitializing, /* adapter: MiniportInitializeEx running */
    NdisbufStateAttaching,    /* filter: FilterAttach running */
    NdisbufStateOpening,      /* binding: bind/open running */
    NdisbufStatePaused,
    NdisbufStateRestarting,
    NdisbufStateRunning,
    NdisbufStatePausing,
    NdisbufStateClosing,      /* binding: unbind/close running */
    NdisbufStateDetaching,    /* filter: FilterDetach running */
    NdisbufStateHalting       /* adapter: MiniportHaltEx running */
} NDISBUF_LAYER_STATE;

/* "Running", "Paused", ... ("Invalid" for an unknown value). */
NDISBUF_API const char *ndisbuf_layer_state_name(NDISBUF_LAYER_STATE State);

/*
 * Adds an adapter of a registered miniport driver: MiniportInitializeEx
 * (which must set registration then general attributes), then
 * MiniportRestart. AdapterName (1..63 characters) is what the miniport reads
 * back with ndisbuf_miniport_adapter_name (an interface name for AF_PACKET
 * and TAP) and what bindings see as their AdapterName. On success *Adapter
 * is the running adapter; on failure it is NULL and nothing is left behind
 * (a miniport whose restart fails is halted again). The adapter has no
 * keywords: it is ndisbuf_stack_add_adapter_ex with none.
 */
NDISBUF_API NDIS_STATUS ndisbuf_stack_add_adapter(NDIS_HANDLE NdisMiniportDriverHandle,
                                                  const char *AdapterName, NDIS_HANDLE *Adapter);

/* Limits of an adapter's keywords (ndisbuf_stack_add_adapter_ex). */
#define NDISBUF_KEYWORD_MAX_COUNT 256  /* keywords one adapter may have */
#define NDISBUF_KEYWORD_MAX_LENGTH 255 /* characters of a keyword's name, and of its value */

/* One registry value under an adapter's key, as text (docs/stack.md, "Adapter keywords"). */
typedef struct _NDISBUF_KEYWORD {
    const char *Name;   /* the registry value's name, e.g. "DataPath"; matched case-insensitively */
    const char *Value;  /* its text (a REG_SZ), e.g. "1" */
} NDISBUF_KEYWORD, *PNDISBUF_KEYWORD;

/*
 * ndisbuf_stack_add_adapter for an adapter with keywords: the values a
 * Windows adapter has under its registry key. A configuration the miniport
 * opens on its MiniportAdapterHandle (NdisOpenConfigurationEx, NdisHandle
 * = the handle MiniportInitializeEx got) sees them, and NdisReadConfiguration
 * converts a value's text to the type asked for (ndis/config.h).
 * Preconditions: KeywordCount is 0 to NDISBUF_KEYWORD_MAX_COUNT and
 * Keywords points to that many entries (it may be NULL when the count is
 * 0); each Name is 1 to NDISBUF_KEYWORD_MAX_LENGTH ASCII characters, no two
 * the same ignoring case; each Value is 0 to NDISBUF_KEYWORD_MAX_LENGTH
 * ASCII characters. A keyword that breaks one fails the call with
 * NDIS_STATUS_INVALID_PARAMETER and a diagnostic naming its index, before
 * anything is created or the miniport is called.
 * Ownership: the library copies the keywords during the call; the caller's
 * array and strings may go as soon as it returns, success or failure. The
 * copy lives with the adapter until ndisbuf_stack_remove_adapter (or the
 * failure of this call) frees it. Everything else as ndisbuf_stack_add_adapter;
 * NDIS_STATUS_RESOURCES when the copy cannot be made.
 */
NDISBUF_API NDIS_STATUS ndisbuf_stack_add_adapter_ex(NDIS_HANDLE NdisMiniportDriverHandle, const char *AdapterName,
                                                     const NDISBUF_KEYWORD *Keywords, ULONG KeywordCount,
                                                     NDIS_HANDLE *Adapter);
/* Unbinds every binding, detaches every filter (top-down), pauses and halts
 * the miniport, and frees the adapter. */
NDISBUF_API NDIS_STATUS ndisbuf_stack_remove_adapter(NDIS_HANDLE Adapter);

/*
 * Inserts a module of a registered filter driver at Position (0: just above
 * the miniport; NDISBUF_FILTER_POSITION_TOP or any larger value: above every
 * filter). The whole stack is paused first (NDIS_PAUSE_ATTACH_FILTER,
 * drained), the module is attached (FilterAttach), then the stack is
 * restarted bottom-up and every binding gets the new back-fill and context
 * sums in NetEventRestart. A failed attach restarts the stack as it was.
 * Every topology change (bind, unbind, detach) pauses the whole stack the
 * same way; a stack paused with ndisbuf_stack_pause stays paused.
 */
NDISBUF_API NDIS_STATUS ndisbuf_stack_attach_filter(NDIS_HANDLE Adapter, NDIS_HANDLE NdisFilterDriverHandle,
                                                    ULONG Position, NDIS_HANDLE *FilterModule);
/* Pauses the stack (NDIS_PAUSE_DETACH_FILTER), FilterDetach, restarts the rest. */
NDISBUF_API NDIS_STATUS ndisbuf_stack_detach_filter(NDIS_HANDLE FilterModule);

/*
 * Binds a registered protocol to the adapter: ProtocolBindAdapterEx (which
 * calls NdisOpenAdapterEx), then NetEventRestart. *Binding is the
 * NdisBindingHandle NdisOpenAdapterEx gave the protocol.
 */
NDISBUF_API NDIS_STATUS ndisbuf_stack_bind(NDIS_HANDLE Adapter, NDIS_HANDLE NdisProtocolHandle,
                                           NDIS_HANDLE *Binding);
/* NetEventPause, then ProtocolUnbindAdapterEx (which calls NdisCloseAdapterEx). */
NDISBUF_API NDIS_STATUS ndisbuf_stack_unbind(NDIS_HANDLE Binding);

/* Pauses the whole stack top-down (pause drains: it returns once every NBL
 * sent down has been completed and every NBL indicated up returned). */
NDISBUF_API NDIS_STATUS ndisbuf_stack_pause(NDIS_HANDLE Adapter);
/* Restarts a paused stack bottom-up, with fresh restart attributes. */
NDISBUF_API NDIS_STATUS ndisbuf_stack_restart(NDIS_HANDLE Adapter);

/* The state of an adapter, filter module or binding handle. */
NDISBUF_API NDISBUF_LAYER_STATE ndisbuf_stack_state(NDIS_HANDLE LayerHandle);

/* What a layer sees of the stack below it. */
typedef struct _NDISBUF_STACK_INFO {
    ULONG DataBackFillSize;    /* sum from the miniport up to this layer */
    ULONG ContextBackFillSize;
    ULONG FilterCount;         /* filter modules on the adapter */
    ULONG BindingCount;        /* bindings on the adapter */
    ULONG64 SendsInFlight;     /* NBLs this layer sent down, not yet completed */
    ULONG64 ReceivesInFlight;  /* NBLs this layer indicated up, not yet returned */
} NDISBUF_STACK_INFO, *PNDISBUF_STACK_INFO;

/* For an adapter: the sums the bindings get; for a filter or binding: the
 * sums of what is below it. */
NDISBUF_API NDIS_STATUS ndisbuf_stack_get_info(NDIS_HANDLE LayerHandle, NDISBUF_STACK_INFO *Info);

/* The name the adapter was added with (NULL and a diagnostic for a bad handle). */
NDISBUF_API const char *ndisbuf_miniport_adapter_name(NDIS_HANDLE MiniportAdapterHandle);

/*
 * The miniports ndisbuf ships (src/miniport/), written against <ndis.h> as
 * drivers. Each entry registers the driver with NdisMRegisterMiniportDriver;
 * NdisMDeregisterMiniportDriver unloads it. Adapters are then added with
 * ndisbuf_stack_add_adapter.
 *  - loopback: in process; a frame sent is completed and comes back as a
 *    received copy, on the miniport's own thread, or with the keyword
 *    DataPath "1" (ndisbuf_stack_add_adapter_ex) in the sender's context,
 *    before NdisSendNetBufferLists returns (docs/stack.md). Any adapter
 *    name.
 *  - afpacket: a Linux interface through an AF_PACKET socket (the adapter
 *    name is the interface name; needs CAP_NET_RAW): an Ethernet interface,
 *    or lo (NDIS_STATUS_UNSUPPORTED_MEDIA for other media); its own outgoing
 *    frames are not received back (on lo, the echo of each is).
 *  - tap: a TAP interface it creates with the adapter name (needs
 *    CAP_NET_ADMIN and /dev/net/tun).
 */
NDISBUF_API NDIS_STATUS ndisbuf_loopback_driver_entry(NDIS_HANDLE *NdisMiniportDriverHandle);
NDISBUF_API NDIS_STATUS ndisbuf_afpacket_driver_entry(NDIS_HANDLE *NdisMiniportDriverHandle);
NDISBUF_API NDIS_STATUS ndisbuf_tap_driver_entry(NDIS_HANDLE *NdisMiniportDriverHandle);

/* ====================================================================== */
/* Diagnostics: showing NBLs and pools (docs/diagnostics.md)               */
/* ====================================================================== */
/* (The same type as <ndis.h>'s PNET_BUFFER_LIST, usable before it.) */
struct _NET_BUFFER_LIST;

/* What ndisbuf_nbl_dump shows, as !ndiskd.nbl's switches do. */
#define NDISBUF_DUMP_CHAIN 0x01 /* every NBL of the chain (Next), not only the first */
#define NDISBUF_DUMP_INFO 0x02  /* the NetBufferListInfo slots that are set, by name */
#define NDISBUF_DUMP_DATA 0x04  /* a hex dump of each NB's used data */
#define NDISBUF_DUMP_MDLS 0x08  /* each NB's MDL chain, with back-fill and used bytes */
#define NDISBUF_DUMP_ALL 0x0F

/*
 * Writes a text description of the NBL (chain) to Out, in the spirit of
 * `!ndiskd.nbl -chain -info -data`: each NBL with its flags, status,
 * SourceHandle, context, its NBs with DataOffset/DataLength and back-fill,
 * and, at verifier level 1+, its holder (level 3+: its history). Never
 * dereferences a pointer no pool gave out as an NBL, nor a freed NBL: it
 * is named and the dump stops there. NB lists, MDL chains and context
 * stacks that loop are reported, not followed; inconsistent NBs (data
 * beyond the MDL chain, CurrentMdl out of step) are flagged "(!)".
 * Returns the number of characters written, or -1 (and a diagnostic) for
 * NULL arguments.
 */
NDISBUF_API int ndisbuf_nbl_dump(struct _NET_BUFFER_LIST *NetBufferList, ULONG Flags, FILE *Out);
/*
 * Lists every live NBL and NB pool like `!ndiskd.nblpool`, one line each:
 * handle, tag, owner handle, kind, element size, data size, context size,
 * protocol id, allocated/outstanding/capacity; then the library's own
 * pools (behind NULL pool handles, and the MDL pool), owner "(ndisbuf)".
 * Takes the pool registry's lock only to copy the rows, never while
 * writing. Returns the number of pools listed (the library's included),
 * or -1 (and a diagnostic) for Out NULL.
 */
NDISBUF_API int ndisbuf_pools_dump(FILE *Out);
/*
 * Lists the NBLs not at home like `!ndiskd.pendingnbls`: each NBL in flight
 * in a binding stack with its holder, direction, origin and age (level 1
 * and above; at level 0 says tracking is off). Returns the number listed,
 * or -1 for Out NULL.
 */
NDISBUF_API int ndisbuf_pending_nbls_dump(FILE *Out);
/*
 * Writes a Graphviz (dot) picture of the NBL chain: NBL -> NB -> MDL, each
 * MDL's buffer split into back-fill (unused before DataOffset), used data
 * and unused tail, and each NBL's context block (used / back-fill). A
 * list that loops gets a red edge back; a later NBL that is not live ends
 * the chain as a red box. NDIS_STATUS_INVALID_PARAMETER (and a diagnostic)
 * for NULL arguments or a first NBL that is not a live NBL;
 * NDIS_STATUS_FAILURE when Out reports a write error.
 */
NDISBUF_API NDIS_STATUS ndisbuf_nbl_write_dot(struct _NET_BUFFER_LIST *NetBufferList, FILE *Out);
/*
 * Writes the used data of every NB of the chain, one frame per NB, to a
 * pcap file (LINKTYPE_ETHERNET, through libpcap), read from CurrentMdl/
 * CurrentMdlOffset on. Frames longer than 65535 bytes are cut to it (the
 * record keeps the full length). NDIS_STATUS_INVALID_PARAMETER (and a
 * diagnostic, no file made) for NULL arguments, or a chain holding a
 * pointer that is no live NBL or NB, or a list or MDL chain that loops;
 * NDIS_STATUS_FAILURE (and a diagnostic) when the file cannot be written.
 */
NDISBUF_API NDIS_STATUS ndisbuf_nbl_write_pcap(struct _NET_BUFFER_LIST *NetBufferList, const char *Path);

/* ====================================================================== */
/* Fault injection (docs/fault-injection.md)                               */
/* ====================================================================== */
/* The allocations that can be made to fail. */
#define NDISBUF_FAULT_NBL 0x0001       /* NdisAllocateNetBufferList*, clones, fragments, reassembly */
#define NDISBUF_FAULT_NB 0x0002        /* NdisAllocateNetBuffer*, and NBs taken for derived NBLs */
#define NDISBUF_FAULT_MDL 0x0004       /* NdisAllocateMdl, IoAllocateMdl, derived MDLs */
#define NDISBUF_FAULT_CONTEXT 0x0008   /* NdisAllocateNetBufferListContext and separate context blocks */
#define NDISBUF_FAULT_RETREAT 0x0010   /* buffers a retreat allocates */
#define NDISBUF_FAULT_PACKET 0x0020    /* NdisAllocatePacket */
#define NDISBUF_FAULT_BUFFER 0x0040    /* NdisAllocateBuffer */
#define NDISBUF_FAULT_MEMORY 0x0080    /* NdisAllocateMemoryWithTag(Priority), configuration handles and values */
#define NDISBUF_FAULT_POOL 0x0100      /* pool creation (NBL, NB, packet, buffer pools) */
#define NDISBUF_FAULT_ALL 0x01FF

typedef struct _NDISBUF_FAULT_PLAN {
    ULONG Kinds;            /* NDISBUF_FAULT_* mask of allocations concerned */
    ULONG64 FailNth;        /* fail the Nth allocation of those kinds (1-based); 0: none */
    ULONG64 FailEvery;      /* and then every FailEvery-th after it; 0: only the Nth */
    ULONG ProbabilityPpm;   /* or: fail each with this probability (parts per million)... */
    ULONG Seed;             /* ...drawn from this seed (same seed, same failures) */
} NDISBUF_FAULT_PLAN, *PNDISBUF_FAULT_PLAN;

/*
 * Arms fault injection with Plan (copied), resetting the counts; Plan NULL
 * disarms it. The environment variable NDISBUF_FAULT arms it at start-up:
 * "nth=N[,every=M][,ppm=P][,seed=S][,kinds=nbl+nb+mdl+context+retreat+
 * packet+buffer+memory+pool|all]", or "count" (fail nothing, only count:
 * how a failure-point walk learns how many points there are).
 * NDIS_STATUS_INVALID_PARAMETER (and a diagnostic) for a plan with no kind
 * or no way to fail. The library's own internal pools are never failed.
 * A failed allocation fails exactly as exhaustion would (NULL or
 * NDIS_STATUS_RESOURCES, with a diagnostic naming fault injection).
 */
NDISBUF_API NDIS_STATUS ndisbuf_fault_set(const NDISBUF_FAULT_PLAN *Plan);
/* Allocations of the armed kinds counted since ndisbuf_fault_set (failed ones included). */
NDISBUF_API ULONG64 ndisbuf_fault_allocations(void);
/* Allocations failed on purpose since ndisbuf_fault_set. */
NDISBUF_API ULONG64 ndisbuf_fault_injected(void);
/*
 * Every EveryNth miniport receive indication that did not set
 * NDIS_RECEIVE_FLAGS_RESOURCES goes up with it set (the stack returns the
 * NBLs to the miniport itself once the indication returns); 0 stops.
 */
NDISBUF_API VOID ndisbuf_fault_force_resources(ULONG EveryNth);
/*
 * Starts a thread that pauses and restarts the adapter's stack at random
 * intervals of up to MaxIntervalMicroseconds (drawn from Seed) until
 * ndisbuf_fault_pause_storm_stop; returns the number of cycles done.
 */
NDISBUF_API NDIS_STATUS ndisbuf_fault_pause_storm_start(NDIS_HANDLE Adapter, ULONG MaxIntervalMicroseconds,
                                                        ULONG Seed);
NDISBUF_API ULONG64 ndisbuf_fault_pause_storm_stop(void);

/* ---- control devices (NdisRegisterDeviceEx; ndis/io.h) ---- */

struct _DEVICE_OBJECT;
struct _FILE_OBJECT;
/*
 * Plays the I/O manager for a test: builds an IRP with one stack location
 * for MajorFunction (IRP_MJ_CREATE, _CLEANUP, _CLOSE, _READ, _WRITE,
 * _DEVICE_CONTROL with IoControlCode, ...), calls the dispatch routine the
 * device registered and, if it returns STATUS_PENDING, waits for
 * IoCompleteRequest. Buffer is the request's data both ways: the
 * SystemBuffer (buffered I/O and METHOD_BUFFERED), an MDL over it for
 * direct I/O, UserBuffer for METHOD_NEITHER; InputBufferLength and
 * OutputBufferLength become the stack location's lengths (Read.Length is
 * the output length, Write.Length the input length). FileObject stands for
 * an open handle and carries FsContext between calls (a zeroed FILE_OBJECT
 * the caller keeps from IRP_MJ_CREATE to IRP_MJ_CLOSE); NULL gives a
 * temporary one. Returns what the dispatch routine returned (after a
 * STATUS_PENDING: the IRP's final IoStatus.Status) and stores
 * IoStatus.Information in *Information when not NULL; a device not from
 * NdisRegisterDeviceEx, or no dispatch routine for MajorFunction, gives
 * STATUS_INVALID_DEVICE_REQUEST (0xC0000010) without a call.
 */
NDISBUF_API LONG ndisbuf_device_request(struct _DEVICE_OBJECT *DeviceObject, struct _FILE_OBJECT *FileObject,
                                        UCHAR MajorFunction, ULONG IoControlCode, PVOID Buffer,
                                        ULONG InputBufferLength, ULONG OutputBufferLength,
                                        ULONG_PTR *Information);

/* The library version, "0.1.0". */
NDISBUF_API const char *ndisbuf_version(void);

#ifdef __cplusplus
}
#endif
#endif /* NDISBUF_NDISBUF_H */
