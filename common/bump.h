/* A non-zeroing bump allocator for decoded stage records (embed, pack): protobuf-c initialises
 * every field it allocates, so zeroing is wasted; everything is released together. Blocks are
 * mapped with transparent huge pages requested, so the kernel takes a fault per 2 MiB instead of
 * per 4 KiB. With PITH_ARENA_DEBUG every allocation is its own pith_arena allocation, so ASan
 * sees overruns. */
#ifndef PITH_COMMON_BUMP_H
#define PITH_COMMON_BUMP_H

#include "mem.h"

#include <stddef.h>

struct pith_bump_block {
    void *base;
    size_t len;
};

struct pith_bump {
    struct pith_arena arena; /* PITH_ARENA_DEBUG only */
    PITH_VEC(struct pith_bump_block) blocks;
    unsigned char *cur, *end;
    size_t next_size; /* size of the next block to map (at least 2 MiB); callers may raise it */
};

/* Starts an empty allocator whose first block holds at least `first_size` bytes. */
void pith_bump_init(struct pith_bump *b, size_t first_size);
/* Unmaps every block. */
void pith_bump_release(struct pith_bump *b);
/* Returns `size` uninitialised bytes aligned to 8, valid until release; `data` is the
 * struct pith_bump (the signature of ProtobufCAllocator.alloc). Aborts when out of memory. */
void *pith_bump_alloc(void *data, size_t size);
/* Does nothing (ProtobufCAllocator.free): memory goes back at release. */
void pith_bump_free(void *data, void *ptr);

#endif
