/* Reaching definitions over a function's CFG (flow_int.h) and the def-use chains they give.
 * Lattice: per node a bit set over definition sites (node, variable); IN[n] = union of OUT of
 * the predecessors, OUT[n] = defs(n) + (IN[n] - defs of the same variables). A use of the
 * access path "a.b.c" (or C's "p->q.c") is reached by definitions of "a.b.c", "a.b" and "a"
 * (writing a prefix replaces the object); writing "a.b" does not kill "a". */
#include "flow_int.h"

#include <string.h>

struct var_map {
    const char **keys;
    uint32_t *vals;
    size_t cap, count;
};

static uint64_t hash_str(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

/* Index of the first `n` bytes of `s` (a variable), adding it when `add`; UINT32_MAX when
 * absent. */
static uint32_t var_index(struct var_map *m, const char *s, size_t n, int add)
{
    if (m->count * 2 >= m->cap && add) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        const char **keys = pith_xcalloc(cap, sizeof *keys);
        uint32_t *vals = pith_xcalloc(cap, sizeof *vals);
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->keys[i])
                continue;
            size_t j = hash_str(m->keys[i], strlen(m->keys[i])) & (cap - 1);
            while (keys[j])
                j = (j + 1) & (cap - 1);
            keys[j] = m->keys[i];
            vals[j] = m->vals[i];
        }
        free(m->keys);
        free(m->vals);
        m->keys = keys;
        m->vals = vals;
        m->cap = cap;
    }
    if (!m->cap)
        return UINT32_MAX;
    size_t j = hash_str(s, n) & (m->cap - 1);
    while (m->keys[j]) {
        if (strncmp(m->keys[j], s, n) == 0 && m->keys[j][n] == '\0')
            return m->vals[j];
        j = (j + 1) & (m->cap - 1);
    }
    if (!add)
        return UINT32_MAX;
    m->keys[j] = s; /* s is NUL-terminated at n when added */
    m->vals[j] = (uint32_t)m->count;
    return (uint32_t)m->count++;
}

static int cmp_du(const void *x, const void *y)
{
    const Pith__DefUse *a = *(Pith__DefUse *const *)x, *b = *(Pith__DefUse *const *)y;
    if (a->use != b->use)
        return a->use < b->use ? -1 : 1;
    if (a->def != b->def)
        return a->def < b->def ? -1 : 1;
    return strcmp(a->var, b->var);
}

void dfg_solve(struct flow *f)
{
    size_t nn = f->nodes.count;
    if (nn > FLOW_MAX_NODES)
        return;
    struct var_map vm = { 0 };
    /* definition sites */
    PITH_VEC(uint32_t) def_node = { 0 };
    PITH_VEC(uint32_t) def_var = { 0 };
    for (uint32_t n = 1; n < nn; n++) {
        const struct flow_node *fn = &f->nodes.items[n];
        if (!fn->block && n != FLOW_ENTRY)
            continue; /* unreachable */
        for (size_t i = 0; i < fn->n_defs; i++) {
            pith_vec_push(&def_node, n);
            pith_vec_push(&def_var, var_index(&vm, fn->defs[i], strlen(fn->defs[i]), 1));
        }
    }
    size_t nd = def_node.count, words = (nd + 63) / 64;
    size_t nv = vm.count;
    /* defs of each variable, CSR */
    size_t *vfirst = pith_xcalloc(nv + 2, sizeof *vfirst);
    uint32_t *vdefs = pith_xmalloc((nd ? nd : 1) * sizeof *vdefs);
    for (size_t d = 0; d < nd; d++)
        vfirst[def_var.items[d] + 1]++;
    for (size_t v = 0; v < nv; v++)
        vfirst[v + 1] += vfirst[v];
    {
        size_t *fill = pith_xmalloc((nv + 1) * sizeof *fill);
        memcpy(fill, vfirst, (nv + 1) * sizeof *fill);
        for (size_t d = 0; d < nd; d++)
            vdefs[fill[def_var.items[d]]++] = (uint32_t)d;
        free(fill);
    }
    /* first def site of each node (defs of a node are consecutive) */
    size_t *nfirst = pith_xcalloc(nn + 1, sizeof *nfirst);
    for (size_t d = 0; d < nd; d++)
        nfirst[def_node.items[d] + 1]++;
    for (size_t n = 0; n < nn; n++)
        nfirst[n + 1] += nfirst[n];
    /* predecessors, CSR */
    size_t *pfirst = pith_xcalloc(nn + 1, sizeof *pfirst);
    uint32_t *preds = pith_xmalloc((f->edges.count ? f->edges.count : 1) * sizeof *preds);
    for (size_t i = 0; i < f->edges.count; i++)
        pfirst[f->edges.items[i].dst + 1]++;
    for (size_t n = 0; n < nn; n++)
        pfirst[n + 1] += pfirst[n];
    {
        size_t *fill = pith_xmalloc((nn + 1) * sizeof *fill);
        memcpy(fill, pfirst, (nn + 1) * sizeof *fill);
        for (size_t i = 0; i < f->edges.count; i++)
            preds[fill[f->edges.items[i].dst]++] = f->edges.items[i].src;
        free(fill);
    }
    uint64_t *in = pith_xcalloc(nn * (words ? words : 1), sizeof *in);
    uint64_t *out = pith_xcalloc(nn * (words ? words : 1), sizeof *out);
    uint64_t *tmp = pith_xcalloc(words ? words : 1, sizeof *tmp);
    int changed = 1;
    for (int round = 0; changed && words && round < 10000; round++) {
        changed = 0;
        for (uint32_t n = 1; n < nn; n++) {
            memset(tmp, 0, words * sizeof *tmp);
            for (size_t k = pfirst[n]; k < pfirst[n + 1]; k++) {
                const uint64_t *po = out + (size_t)preds[k] * words;
                for (size_t w = 0; w < words; w++)
                    tmp[w] |= po[w];
            }
            memcpy(in + (size_t)n * words, tmp, words * sizeof *tmp);
            for (size_t d = nfirst[n]; d < nfirst[n + 1]; d++) {
                uint32_t v = def_var.items[d];
                for (size_t k = vfirst[v]; k < vfirst[v + 1]; k++)
                    tmp[vdefs[k] / 64] &= ~(1ull << (vdefs[k] % 64));
            }
            for (size_t d = nfirst[n]; d < nfirst[n + 1]; d++)
                tmp[d / 64] |= 1ull << (d % 64);
            uint64_t *o = out + (size_t)n * words;
            if (memcmp(o, tmp, words * sizeof *tmp) != 0) {
                memcpy(o, tmp, words * sizeof *tmp);
                changed = 1;
            }
        }
    }
    /* chains: each use against the defs of it and of its prefixes that reach the node */
    for (uint32_t n = 1; n < nn && words; n++) {
        const struct flow_node *fn = &f->nodes.items[n];
        const uint64_t *ni = in + (size_t)n * words;
        for (size_t u = 0; u < fn->n_uses; u++) {
            const char *use = fn->uses[u];
            size_t len = strlen(use);
            for (size_t cut = len; cut > 0; cut--) {
                if (cut != len && use[cut] != '.' && !(use[cut] == '-' && use[cut + 1] == '>'))
                    continue; /* prefixes end before "." or (C) "->" */
                uint32_t v = var_index(&vm, use, cut, 0);
                if (v == UINT32_MAX)
                    continue;
                for (size_t k = vfirst[v]; k < vfirst[v + 1]; k++) {
                    uint32_t d = vdefs[k];
                    if (!(ni[d / 64] >> (d % 64) & 1))
                        continue;
                    Pith__DefUse *du = pith_arena_alloc(f->a, sizeof *du);
                    Pith__DefUse init = PITH__DEF_USE__INIT;
                    *du = init;
                    du->def = def_node.items[d];
                    du->use = n;
                    du->var = (char *)use;
                    pith_vec_push(&f->du, du);
                }
            }
        }
    }
    if (f->du.count > 1)
        qsort(f->du.items, f->du.count, sizeof *f->du.items, cmp_du);
    free(in);
    free(out);
    free(tmp);
    free(pfirst);
    free(preds);
    free(nfirst);
    free(vfirst);
    free(vdefs);
    free(vm.keys);
    free(vm.vals);
    pith_vec_release(&def_node);
    pith_vec_release(&def_var);
}
