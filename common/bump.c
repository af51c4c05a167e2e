/* Non-zeroing bump allocator for decoded stage records (see bump.h). */
#include "bump.h"

#include "err.h"

#include <string.h>
#include <sys/mman.h>

#define BUMP_HUGE ((size_t)2 << 20)

void pith_bump_init(struct pith_bump *b, size_t first_size)
{
    memset(b, 0, sizeof *b);
    pith_arena_init(&b->arena);
    b->next_size = first_size < BUMP_HUGE ? BUMP_HUGE : first_size;
}

void pith_bump_release(struct pith_bump *b)
{
    for (size_t i = 0; i < b->blocks.count; i++)
        munmap(b->blocks.items[i].base, b->blocks.items[i].len);
    pith_vec_release(&b->blocks);
    pith_arena_release(&b->arena);
}

void *pith_bump_alloc(void *data, size_t size)
{
    struct pith_bump *b = data;
#ifdef PITH_ARENA_DEBUG
    return pith_arena_alloc(&b->arena, size);
#else
    size = (size + 7) & ~(size_t)7;
    if ((size_t)(b->end - b->cur) < size) {
        size_t n = size > b->next_size ? size : b->next_size;
        n = (n + BUMP_HUGE - 1) & ~(BUMP_HUGE - 1);
        void *m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            PITH_BUG("out of memory for a decoded stage record");
        (void)madvise(m, n, MADV_HUGEPAGE); /* a hint: without THP, 4 KiB pages */
        struct pith_bump_block blk = { m, n };
        pith_vec_push(&b->blocks, blk);
        b->cur = m;
        b->end = b->cur + n;
        b->next_size = n * 2;
    }
    void *p = b->cur;
    b->cur += size;
    return p;
#endif
}

void pith_bump_free(void *data, void *ptr)
{
    (void)data;
    (void)ptr;
}
