/* SPDX-License-Identifier: MIT */
/*
 * Reservation of the pool arena and its slot table.
 *
 * The arena is mapped PROT_NONE with MAP_NORESERVE: it costs address space,
 * not memory. Pools commit what they use with mprotect and give it back with
 * madvise(MADV_DONTNEED) when freed, so a stale pointer into a freed pool
 * faults or is refused instead of silently reading someone else's packet.
 * Slots are handed out next-fit from a rotating cursor, which delays reuse
 * of a freed pool's addresses for as long as possible.
 */
#include "arena.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "config.h"

pthread_mutex_t arena_lock = PTHREAD_MUTEX_INITIALIZER;

char *arena_base;
size_t arena_bytes;
static uint32_t arena_slots;
struct pool *_Atomic *arena_slot_owner; /* arena_slots entries */
static uint32_t slot_cursor;

/*
 * Elements keep pointers to memory from malloc (the buffers of retreat
 * MDLs; NBL pools keep theirs in a side table, registered the same way in
 * core/pools.c). LeakSanitizer scans only memory it
 * knows, so under it the arena is declared a root region (it scans the
 * parts that are mapped readable).
 */
#ifdef NDISBUF_HAVE_ASAN
#include <sanitizer/lsan_interface.h>
static void lsan_root_region(const void *base, size_t bytes)
{
    __lsan_register_root_region(base, bytes);
}
#else
static void lsan_root_region(const void *base, size_t bytes)
{
    (void)base;
    (void)bytes;
}
#endif

static int arena_reserve_locked(void)
{
    if (arena_base)
        return 0;
    for (size_t bytes = NDISBUF_ARENA_MAX_BYTES; bytes >= NDISBUF_ARENA_MIN_BYTES; bytes /= 2) {
        void *p = mmap(NULL, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED)
            continue;
        uint32_t slots = (uint32_t)(bytes >> NDISBUF_SLOT_SHIFT);
        arena_slot_owner = calloc(slots, sizeof(*arena_slot_owner));
        if (!arena_slot_owner) {
            munmap(p, bytes);
            return -1;
        }
        arena_slots = slots;
        lsan_root_region(p, bytes);
        /* arena_bytes last: until it is published, every address is outside a 0-byte arena (arena_owner). */
        __atomic_store_n(&arena_base, (char *)p, __ATOMIC_RELAXED);
        __atomic_store_n(&arena_bytes, bytes, __ATOMIC_RELEASE);
        return 0;
    }
    return -1;
}

static int run_is_free(uint32_t first, uint32_t nslots)
{
    for (uint32_t i = 0; i < nslots; i++)
        if (atomic_load_explicit(&arena_slot_owner[first + i], memory_order_relaxed))
            return 0;
    return 1;
}

size_t arena_size_locked(void)
{
    return arena_reserve_locked() == 0 ? arena_bytes : 0;
}

long arena_claim_locked(uint32_t nslots, struct pool *owner, char **base)
{
    if (arena_reserve_locked() != 0 || nslots == 0 || nslots > arena_slots)
        return -1;
    for (uint32_t tried = 0; tried < arena_slots; tried++) {
        uint32_t first = (slot_cursor + tried) % arena_slots;
        if (first + nslots > arena_slots || !run_is_free(first, nslots))
            continue;
        for (uint32_t i = 0; i < nslots; i++)
            atomic_store_explicit(&arena_slot_owner[first + i], owner, memory_order_release);
        slot_cursor = (first + nslots) % arena_slots;
        *base = arena_base + ((size_t)first << NDISBUF_SLOT_SHIFT);
        return first;
    }
    return -1;
}

void arena_release_locked(uint32_t first, uint32_t nslots)
{
    char *base = arena_base + ((size_t)first << NDISBUF_SLOT_SHIFT);
    size_t bytes = (size_t)nslots << NDISBUF_SLOT_SHIFT;
    madvise(base, bytes, MADV_DONTNEED);
    mprotect(base, bytes, PROT_NONE);
    for (uint32_t i = 0; i < nslots; i++)
        atomic_store_explicit(&arena_slot_owner[first + i], NULL, memory_order_release);
}

struct pool *arena_slot_owner_locked(uint32_t first)
{
    if (first >= arena_slots)
        return NULL;
    return atomic_load_explicit(&arena_slot_owner[first], memory_order_relaxed);
}
