/* SPDX-License-Identifier: MIT */
/*
 * Every tunable of the library, with its default and the reason for it.
 * Nothing else in src/ picks a number; no #if lives inside a function body.
 */
#ifndef NDISBUF_CONFIG_H
#define NDISBUF_CONFIG_H

#include <stddef.h>

/*
 * Address space. All pool memory lives in one reserved arena so that any
 * pointer can be mapped back to its pool and element in O(1), and a pointer
 * no pool gave out is recognised without touching it. The arena is reserved
 * (PROT_NONE, no commit) at first use; if the kernel refuses the size (e.g.
 * under a sanitizer with a smaller application range) it is halved down to
 * the minimum. It is divided into slots; a pool owns a run of slots.
 */
#define NDISBUF_ARENA_MAX_BYTES (1ULL << 40)     /* 1 TiB of address space */
#define NDISBUF_ARENA_MIN_BYTES (8ULL << 30)     /* 8 GiB */
#define NDISBUF_SLOT_SHIFT 26                    /* 64 MiB slots */
#define NDISBUF_SLOT_BYTES (1ULL << NDISBUF_SLOT_SHIFT)
/*
 * A pool reserves room for this many elements (at least one slot), so that
 * a million packets can be held from one pool...
 */
#define NDISBUF_POOL_RESERVE_ELEMENTS (1ULL << 20)
/* ...but never more than this much address space... */
#define NDISBUF_POOL_MAX_RESERVE_BYTES (4ULL << 30)
/* ...nor more than this share of the arena, so that at least this many pools fit in it. */
#define NDISBUF_ARENA_MIN_POOLS 256

/* Growth: memory is committed in chunks that double from min to max. */
#define NDISBUF_GROW_MIN_BYTES (64ULL << 10)
#define NDISBUF_GROW_MAX_BYTES (8ULL << 20)

/*
 * Per-thread magazines: a thread keeps up to NDISBUF_MAGAZINE_SIZE free
 * elements per pool and exchanges NDISBUF_MAGAZINE_BATCH at a time with the
 * pool's depot (under the pool's mutex) when it runs empty or full.
 */
#define NDISBUF_MAGAZINE_SIZE 128
#define NDISBUF_MAGAZINE_BATCH 64

/* Elements start on a cache line; strides are multiples of it. */
#define NDISBUF_ELEMENT_ALIGN 64

/* Largest DataSize a pool accepts (elements must fit the reservation). */
#define NDISBUF_MAX_DATA_SIZE (16UL << 20)

/* Diagnostics longer than this are cut. */
#define NDISBUF_DIAGNOSTIC_MAX 512
/* Pool-not-empty reports list at most this many outstanding objects. */
#define NDISBUF_REPORT_MAX_LISTED 8

/*
 * The verifier (docs/verifier.md).
 * A pause drain that has not finished after this long reports NBL_LOST for
 * what is missing (level 2+); 5 s is far above any real drain here.
 */
#define NDISBUF_VERIFIER_DRAIN_MS 5000
/* Layers an NBL can pass on its way (miniport, 16 filters, a binding, spare). */
#define NDISBUF_VERIFIER_MAX_HOPS 20
/* Events kept per NBL at level 3 (a ring: the oldest are overwritten). */
#define NDISBUF_VERIFIER_HISTORY 16
/* Frames of call stack kept per event at level 4. */
#define NDISBUF_VERIFIER_STACK_FRAMES 8
/* NBLs named by one leak scan (each its own report). */
#define NDISBUF_VERIFIER_MAX_LOST 32
/*
 * Level 2 quarantine: freed elements wait here (poisoned with
 * NDISBUF_VERIFIER_POISON) before they go back to their pool, and the
 * poison is checked on the way out. At most this many bytes of each are
 * poisoned and checked.
 */
#define NDISBUF_VERIFIER_QUARANTINE 1024
#define NDISBUF_VERIFIER_POISON 0xDB
#define NDISBUF_VERIFIER_POISON_MAX_BYTES 4096
/* Longest MDL chain a walk follows before calling it a loop. */
#define NDISBUF_MDL_CHAIN_MAX (1u << 20)

/* AddressSanitizer: free elements are poisoned so a use after free is caught. */
#if defined(__SANITIZE_ADDRESS__)
#define NDISBUF_HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NDISBUF_HAVE_ASAN 1
#endif
#endif
#ifdef NDISBUF_HAVE_ASAN
#include <sanitizer/asan_interface.h>
#define NDISBUF_POISON(addr, size) ASAN_POISON_MEMORY_REGION((addr), (size))
#define NDISBUF_UNPOISON(addr, size) ASAN_UNPOISON_MEMORY_REGION((addr), (size))
#else
#define NDISBUF_POISON(addr, size) ((void)(addr), (void)(size))
#define NDISBUF_UNPOISON(addr, size) ((void)(addr), (void)(size))
#endif

/*
 * The allocation fast paths are built for three x86-64 levels and the best
 * one is chosen when the library is loaded (GCC function multi-versioning,
 * an IFUNC: no cost per call). What differs is the width of the stores that
 * lay a fresh NBL and NB out: 4 x 16 bytes, 2 x 32 or 1 x 64 per cache line;
 * those stores are most of an allocation's time. Sanitizer builds and other
 * architectures get the one portable version.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(NDISBUF_HAVE_ASAN) && \
    !defined(__SANITIZE_THREAD__)
#define NDISBUF_HOT_PATH __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define NDISBUF_HOT_PATH
#endif

/*
 * For the library's own globals, on their extern declarations: with
 * -fvisibility=hidden only definitions are hidden, and a hidden-less
 * declaration makes every hot-path read of a flag go through the GOT.
 */
#define NDISBUF_INTERNAL __attribute__((visibility("hidden")))

#define NDISBUF_LIKELY(x) __builtin_expect(!!(x), 1)
#define NDISBUF_UNLIKELY(x) __builtin_expect(!!(x), 0)

#endif /* NDISBUF_CONFIG_H */
