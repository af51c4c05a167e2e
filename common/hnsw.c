/* HNSW section validation and in-place search (see hnsw.h, docs/FORMAT.md "HNSW"). */
#include "hnsw.h"

#include "err.h"
#include "mem.h"
#include "vdot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local size_t last_visits;

size_t pith_hnsw_last_visits(void)
{
    return last_visits;
}

/* Checks one link list: count <= slots, ids valid at `level`, unused slots zero. */
static int check_list(const uint32_t *list,
                      uint32_t slots,
                      uint32_t self,
                      uint32_t level,
                      const struct pith_vectors *v,
                      const uint32_t *upper_off)
{
    uint32_t n = list[0];
    if (n > slots)
        return PITH_CORRUPT("hnsw node %u has %u links on level %u, more than %u", self, n, level,
                            slots);
    if (n && !v->has[self])
        return PITH_CORRUPT("hnsw row %u has links but no vector", self);
    for (uint32_t i = 1; i <= n; i++) {
        uint32_t id = list[i];
        if (id == 0 || id >= v->row_count || id == self || !v->has[id] ||
            upper_off[id + 1] - upper_off[id] < level)
            return PITH_CORRUPT("hnsw node %u links to a bad node on level %u", self, level);
    }
    for (uint32_t i = n + 1; i <= slots; i++) {
        if (list[i])
            return PITH_CORRUPT("hnsw node %u has a nonzero unused slot", self);
    }
    return 0;
}

int pith_hnsw_check(struct pith_hnsw *out,
                    const unsigned char *p,
                    uint64_t len,
                    const struct pith_vectors *v)
{
    memset(out, 0, sizeof *out);
    const struct pith_disk_hnsw_header *h = (const struct pith_disk_hnsw_header *)p;
    if (len < sizeof *h)
        return PITH_CORRUPT("hnsw section too short");
    if (!v->header)
        return PITH_CORRUPT("hnsw section without a vectors section");
    for (size_t i = 0; i < sizeof h->reserved / sizeof h->reserved[0]; i++) {
        if (h->reserved[i])
            return PITH_CORRUPT("hnsw header has nonzero reserved bytes");
    }
    if (h->row_count != v->row_count || h->node_count != v->header->present || h->node_count == 0 ||
        h->m == 0 || h->m > PITH_HNSW_MAX_M || h->m0 != 2 * h->m ||
        h->max_level > PITH_HNSW_MAX_LEVEL || h->ef_search == 0)
        return PITH_CORRUPT("hnsw header does not match the vectors section");
    uint64_t rows = h->row_count, dim = v->dim;
    uint64_t off_at = sizeof *h + dim * 4;
    uint64_t l0_at = (off_at + (rows + 1) * 4 + 7) & ~(uint64_t)7;
    uint64_t up_at = l0_at + rows * (1 + (uint64_t)h->m0) * 4;
    if (len != up_at + (uint64_t)h->upper_count * (1 + h->m) * 4)
        return PITH_CORRUPT("hnsw length %llu does not match its counts", (unsigned long long)len);
    const float *centroid = (const float *)(p + sizeof *h);
    for (uint64_t j = 0; j < dim; j++) {
        if (!isfinite(centroid[j]) || fabsf(centroid[j]) > 1.0001f)
            return PITH_CORRUPT("hnsw centroid holds a value out of range");
    }
    const uint32_t *upper_off = (const uint32_t *)(p + off_at);
    for (uint64_t i = off_at + (rows + 1) * 4; i < l0_at; i++) {
        if (p[i])
            return PITH_CORRUPT("hnsw padding is not zero");
    }
    if (upper_off[0] != 0 || upper_off[rows] != h->upper_count)
        return PITH_CORRUPT("hnsw level offsets do not cover the upper lists");
    for (uint64_t i = 0; i < rows; i++) {
        if (upper_off[i + 1] < upper_off[i] || upper_off[i + 1] - upper_off[i] > h->max_level ||
            (upper_off[i + 1] > upper_off[i] && !v->has[i]))
            return PITH_CORRUPT("hnsw row %llu has a bad level", (unsigned long long)i);
    }
    if (h->entry == 0 || h->entry >= rows || !v->has[h->entry] ||
        upper_off[h->entry + 1] - upper_off[h->entry] != h->max_level)
        return PITH_CORRUPT("hnsw entry point %u is not a node of the top level", h->entry);
    const uint32_t *l0 = (const uint32_t *)(p + l0_at);
    const uint32_t *upper = (const uint32_t *)(p + up_at);
    int err = 0;
    for (uint32_t i = 0; i < rows && !err; i++) {
        err = check_list(l0 + (size_t)i * (1 + h->m0), h->m0, i, 0, v, upper_off);
        for (uint32_t l = 1; !err && l <= upper_off[i + 1] - upper_off[i]; l++) {
            const uint32_t *list = upper + (size_t)(upper_off[i] + l - 1) * (1 + h->m);
            err = check_list(list, h->m, i, l, v, upper_off);
        }
    }
    if (err)
        return err;
    out->header = h;
    out->centroid = centroid;
    out->upper_off = upper_off;
    out->l0 = l0;
    out->upper = upper;
    return 0;
}

/* ---- search ------------------------------------------------------------------------------ */

/* 1 when a ranks before b: higher similarity, then smaller row id. */
static int better(const struct pith_hnsw_hit *a, const struct pith_hnsw_hit *b)
{
    if (a->sim != b->sim)
        return a->sim > b->sim;
    return a->doc < b->doc;
}

/* A binary heap; `top_best` 1: the best at the root (candidates), 0: the worst (results). */
struct heap {
    struct pith_hnsw_hit *a;
    size_t n;
    int top_best;
};

static int
above(const struct heap *hp, const struct pith_hnsw_hit *x, const struct pith_hnsw_hit *y)
{
    return hp->top_best ? better(x, y) : better(y, x);
}

static void heap_push(struct heap *hp, struct pith_hnsw_hit x)
{
    size_t i = hp->n++;
    while (i > 0 && above(hp, &x, &hp->a[(i - 1) / 2])) {
        hp->a[i] = hp->a[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    hp->a[i] = x;
}

static struct pith_hnsw_hit heap_pop(struct heap *hp)
{
    struct pith_hnsw_hit top = hp->a[0], x = hp->a[--hp->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= hp->n)
            break;
        if (c + 1 < hp->n && above(hp, &hp->a[c + 1], &hp->a[c]))
            c++;
        if (!above(hp, &hp->a[c], &x))
            break;
        hp->a[i] = hp->a[c];
        i = c;
    }
    if (hp->n)
        hp->a[i] = x;
    return top;
}

static int cmp_hit(const void *pa, const void *pb)
{
    const struct pith_hnsw_hit *a = pa, *b = pb;
    return better(a, b) ? -1 : better(b, a) ? 1 : 0;
}

size_t pith_hnsw_search(const struct pith_hnsw *g,
                        const struct pith_vectors *v,
                        const float *q,
                        unsigned ef,
                        size_t k,
                        struct pith_hnsw_hit *out)
{
    const struct pith_disk_hnsw_header *h = g->header;
    last_visits = 0;
    if (!h || k == 0)
        return 0;
    size_t beam = ef ? ef : h->ef_search;
    if (beam < k)
        beam = k;
    if (beam > h->node_count)
        beam = h->node_count;
    size_t visits = 0;

    /* greedy descent: on each upper level, move to a better neighbour until none is */
    struct pith_hnsw_hit cur = { h->entry, pith_vectors_dot(v, q, h->entry) };
    visits++;
    for (uint32_t level = h->max_level; level >= 1; level--) {
        int moved = 1;
        while (moved) {
            moved = 0;
            const uint32_t *list =
                g->upper + (size_t)(g->upper_off[cur.doc] + level - 1) * (1 + h->m);
            for (uint32_t i = 1; i <= list[0]; i++) {
                struct pith_hnsw_hit x = { list[i], pith_vectors_dot(v, q, list[i]) };
                visits++;
                if (better(&x, &cur)) {
                    cur = x;
                    moved = 1; /* strictly better each time: the walk ends */
                }
            }
        }
    }

    /* beam search on level 0 */
    uint64_t *seen = pith_xcalloc(((size_t)h->row_count + 63) / 64, sizeof *seen);
    struct heap cand = { pith_xmalloc((beam * (1 + h->m0) + 1) * sizeof(struct pith_hnsw_hit)), 0,
                         1 };
    struct heap res = { pith_xmalloc((beam + 1) * sizeof(struct pith_hnsw_hit)), 0, 0 };
    size_t cand_cap = beam * (1 + h->m0) + 1;
    seen[cur.doc / 64] |= UINT64_C(1) << (cur.doc % 64);
    heap_push(&cand, cur);
    heap_push(&res, cur);
    while (cand.n) {
        struct pith_hnsw_hit c = heap_pop(&cand);
        if (res.n == beam && better(&res.a[0], &c))
            break; /* the best candidate left is worse than every result */
        const uint32_t *list = g->l0 + (size_t)c.doc * (1 + h->m0);
        for (uint32_t i = 1; i <= list[0]; i++) {
            uint32_t id = list[i];
            uint64_t bit = UINT64_C(1) << (id % 64);
            if (seen[id / 64] & bit)
                continue;
            seen[id / 64] |= bit;
            struct pith_hnsw_hit x = { id, pith_vectors_dot(v, q, id) };
            visits++;
            if (res.n < beam || better(&x, &res.a[0])) {
                if (cand.n == cand_cap) {
                    cand_cap *= 2;
                    cand.a = pith_xrealloc(cand.a, cand_cap * sizeof *cand.a);
                }
                heap_push(&cand, x);
                heap_push(&res, x);
                if (res.n > beam)
                    (void)heap_pop(&res);
            }
        }
    }
    size_t n = res.n;
    qsort(res.a, n, sizeof *res.a, cmp_hit);
    if (n > k)
        n = k;
    memcpy(out, res.a, n * sizeof *out);
    free(seen);
    free(cand.a);
    free(res.a);
    last_visits = visits;
    return n;
}
