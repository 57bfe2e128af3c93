/* SPDX-License-Identifier: MIT */
/*
 * A map from addresses to what the library knows of them, for the NDIS 5
 * objects that live outside the pool arena (overflow packets, tagged
 * memory). A free call looks the pointer up before touching anything, so a
 * pointer the library never gave out is refused rather than followed, and
 * the last N5_RECENT_FREES addresses removed are remembered so that a
 * second free of one is reported as a double free.
 *
 * Open addressing with linear probing; removal shifts the following
 * entries back, so there are no tombstones. The caller holds the lock that
 * guards the map.
 */
#include <stdlib.h>
#include <string.h>

#include "n5.h"

static size_t slot_of(const struct n5_addrmap *map, const void *key)
{
    uint64_t h = (uint64_t)(uintptr_t)key >> 4;
    h *= 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 32) & (map->capacity - 1);
}

static bool addrmap_grow(struct n5_addrmap *map)
{
    size_t capacity = map->capacity ? map->capacity * 2 : 64;
    struct n5_addr_entry *slots = calloc(capacity, sizeof(*slots));
    if (!slots)
        return false;
    struct n5_addrmap grown = {.slots = slots, .capacity = capacity};
    for (size_t i = 0; i < map->capacity; i++) {
        if (!map->slots[i].key)
            continue;
        size_t at = slot_of(&grown, map->slots[i].key);
        while (slots[at].key)
            at = (at + 1) & (capacity - 1);
        slots[at] = map->slots[i];
    }
    free(map->slots);
    map->slots = slots;
    map->capacity = capacity;
    return true;
}

bool addrmap_insert(struct n5_addrmap *map, const struct n5_addr_entry *entry)
{
    if ((map->count + 1) * 2 > map->capacity && !addrmap_grow(map))
        return false;
    size_t at = slot_of(map, entry->key);
    while (map->slots[at].key)
        at = (at + 1) & (map->capacity - 1);
    map->slots[at] = *entry;
    map->count++;
    return true;
}

struct n5_addr_entry *addrmap_find(struct n5_addrmap *map, const void *key)
{
    if (!map->capacity || !key)
        return NULL;
    for (size_t at = slot_of(map, key); map->slots[at].key; at = (at + 1) & (map->capacity - 1))
        if (map->slots[at].key == key)
            return &map->slots[at];
    return NULL;
}

/* Whether `home` lies cyclically in (hole, at]: the entry at `at` may not move to `hole`. */
static bool stays(size_t hole, size_t at, size_t home)
{
    return hole <= at ? (hole < home && home <= at) : (hole < home || home <= at);
}

void addrmap_remove(struct n5_addrmap *map, const void *key)
{
    struct n5_addr_entry *e = addrmap_find(map, key);
    if (!e)
        return;
    size_t mask = map->capacity - 1;
    size_t hole = (size_t)(e - map->slots);
    for (size_t at = (hole + 1) & mask; map->slots[at].key; at = (at + 1) & mask) {
        if (stays(hole, at, slot_of(map, map->slots[at].key)))
            continue;
        map->slots[hole] = map->slots[at];
        hole = at;
    }
    memset(&map->slots[hole], 0, sizeof(map->slots[hole]));
    map->count--;
    map->recent[map->recent_next] = key;
    map->recent_next = (map->recent_next + 1) % N5_RECENT_FREES;
}

bool addrmap_recent(const struct n5_addrmap *map, const void *key)
{
    for (size_t i = 0; i < N5_RECENT_FREES; i++)
        if (key && map->recent[i] == key)
            return true;
    return false;
}

void addrmap_for_each(struct n5_addrmap *map, void (*fn)(struct n5_addr_entry *entry, void *ctx), void *ctx)
{
    for (size_t i = 0; i < map->capacity; i++)
        if (map->slots[i].key)
            fn(&map->slots[i], ctx);
}
