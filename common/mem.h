/* Allocation that aborts on out-of-memory (redis zmalloc), growable arrays (tree-sitter Array)
 * and the per-file arena (zstd workspace, libgit2 git_pool). */
#ifndef PITH_COMMON_MEM_H
#define PITH_COMMON_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* malloc/calloc/realloc/strdup that abort with a message instead of returning NULL. */
void *pith_xmalloc(size_t n);
void *pith_xcalloc(size_t count, size_t size);
void *pith_xrealloc(void *p, size_t n);
char *pith_xstrdup(const char *s);
char *pith_xstrndup(const char *s, size_t n);

/* A growable array of T: `PITH_VEC(int) v = {0};`. Release with pith_vec_release. */
#define PITH_VEC(T)   \
    struct {          \
        T *items;     \
        size_t count; \
        size_t cap;   \
    }

void pith_vec_grow_(void **items, size_t *cap, size_t need, size_t elem);

#define pith_vec_reserve(v, n) \
    pith_vec_grow_((void **)&(v)->items, &(v)->cap, (n), sizeof(*(v)->items))
#define pith_vec_push(v, x)     (pith_vec_reserve((v), (v)->count + 1), (v)->items[(v)->count++] = (x))
#define pith_vec_release(v)     (free((v)->items), (v)->items = NULL, (v)->count = (v)->cap = 0)
#define pith_vec_foreach(v, it) for (it = (v)->items; it < (v)->items + (v)->count; it++)

/* Bump allocator; everything is freed at once by reset or release. With PITH_ARENA_DEBUG each
 * allocation is its own malloc so ASan sees overruns. */
struct pith_arena {
    struct pith_arena_block *head;
    size_t total;
};

void pith_arena_init(struct pith_arena *a);
/* Returns `n` zeroed bytes aligned to 8, valid until reset/release. Never NULL. */
void *pith_arena_alloc(struct pith_arena *a, size_t n);
/* Copies `n` bytes of `s` plus a NUL into the arena. */
char *pith_arena_strndup(struct pith_arena *a, const char *s, size_t n);
char *pith_arena_strdup(struct pith_arena *a, const char *s);
/* Frees everything allocated so far but keeps one block for reuse. */
void pith_arena_reset(struct pith_arena *a);
void pith_arena_release(struct pith_arena *a);

#endif
