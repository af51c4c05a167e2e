/* Aborting allocators, vector growth and the arena (see mem.h). */
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>

static _Noreturn void oom(size_t n)
{
    fprintf(stderr, "pith: out of memory allocating %zu bytes\n", n);
    abort();
}

void *pith_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *pith_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        oom(count * size);
    return p;
}

void *pith_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *pith_xstrndup(const char *s, size_t n)
{
    char *p = pith_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *pith_xstrdup(const char *s)
{
    return pith_xstrndup(s, strlen(s));
}

void pith_vec_grow_(void **items, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return;
    size_t n = *cap ? *cap * 2 : 8;
    while (n < need)
        n *= 2;
    *items = pith_xrealloc(*items, n * elem);
    *cap = n;
}

struct pith_arena_block {
    struct pith_arena_block *next;
    size_t used, size;
    _Alignas(8) unsigned char data[];
};

void pith_arena_init(struct pith_arena *a)
{
    a->head = NULL;
    a->total = 0;
}

void *pith_arena_alloc(struct pith_arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
#ifdef PITH_ARENA_DEBUG
    struct pith_arena_block *b = pith_xmalloc(sizeof *b + n);
    b->used = b->size = n;
    b->next = a->head;
    a->head = b;
    a->total += n;
    memset(b->data, 0, n);
    return b->data;
#else
    struct pith_arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = n > 65536 ? n : 65536;
        b = pith_xmalloc(sizeof *b + size);
        b->used = 0;
        b->size = size;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    a->total += n;
    memset(p, 0, n);
    return p;
#endif
}

char *pith_arena_strndup(struct pith_arena *a, const char *s, size_t n)
{
    char *p = pith_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *pith_arena_strdup(struct pith_arena *a, const char *s)
{
    return pith_arena_strndup(a, s, strlen(s));
}

void pith_arena_release(struct pith_arena *a)
{
    struct pith_arena_block *b = a->head;
    while (b) {
        struct pith_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->total = 0;
}

void pith_arena_reset(struct pith_arena *a)
{
#ifdef PITH_ARENA_DEBUG
    pith_arena_release(a);
#else
    /* keep the newest block for the next file: freeing and re-getting 64 KiB blocks per file
     * makes the allocator consolidate the freed chunks every time */
    struct pith_arena_block *keep = a->head;
    if (!keep)
        return;
    struct pith_arena_block *b = keep->next;
    while (b) {
        struct pith_arena_block *next = b->next;
        free(b);
        b = next;
    }
    keep->next = NULL;
    keep->used = 0;
    a->head = keep;
    a->total = 0;
#endif
}
