/* SPDX-License-Identifier: MIT */
/*
 * The element layout: the one place that decides where each part of a pool
 * element lives and how big the element is.
 *
 * NDIS structures start 16-byte aligned (their own alignment); the data
 * buffer starts on a cache line so that a packet's first bytes, which every
 * layer reads, share as few lines as possible with bookkeeping.
 */
#include "element.h"

#include "config.h"

static size_t align_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

/* Appends `bytes` at the end of the layout and returns their offset. */
static size_t layout_append(struct elem_layout *layout, size_t bytes, size_t align)
{
    size_t at = align_up(layout->size, align);
    layout->size = at + bytes;
    return at;
}

/* NB and MDL pools: an elem_ext and the header come first (element.h). */
static void layout_begin(struct elem_layout *layout)
{
    *layout = (struct elem_layout){.size = ELEM_BODY_OFFSET};
}

static void layout_nb_and_data(struct elem_layout *layout, ULONG data_size)
{
    layout->nb = layout_append(layout, sizeof(NET_BUFFER), MEMORY_ALLOCATION_ALIGNMENT);
    if (data_size) {
        layout->mdl = layout_append(layout, sizeof(MDL), MEMORY_ALLOCATION_ALIGNMENT);
        layout->mdl_template = layout_append(layout, sizeof(MDL), MEMORY_ALLOCATION_ALIGNMENT);
        layout->data = layout_append(layout, data_size, NDISBUF_ELEMENT_ALIGN);
        layout->data_size = data_size;
    }
}

void layout_nbl_pool(struct elem_layout *layout, bool with_nb, USHORT context_size, ULONG data_size)
{
    /*
     * The NBL starts the element and holds the header (element.h): nothing
     * in front of it, which NdisFreeNetBufferList's fast path relies on.
     */
    *layout = (struct elem_layout){.size = 0};
    layout->nbl = layout_append(layout, sizeof(NET_BUFFER_LIST), MEMORY_ALLOCATION_ALIGNMENT);
    if (context_size) {
        layout->context = layout_append(layout, sizeof(NET_BUFFER_LIST_CONTEXT) + context_size,
                                        MEMORY_ALLOCATION_ALIGNMENT);
        layout->context_size = context_size;
    }
    if (with_nb)
        layout_nb_and_data(layout, data_size);
}

void layout_nb_pool(struct elem_layout *layout, ULONG data_size)
{
    layout_begin(layout);
    layout_nb_and_data(layout, data_size);
}

void layout_mdl_pool(struct elem_layout *layout)
{
    layout_begin(layout);
    layout->mdl = layout_append(layout, sizeof(MDL), MEMORY_ALLOCATION_ALIGNMENT);
}
