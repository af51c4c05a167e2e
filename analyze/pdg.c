/* Post-dominator tree and control dependence of a function's CFG (flow_int.h), and the
 * FunctionFlow message of all layers. Post-dominators: Cooper, Harvey and Kennedy's iterative
 * algorithm ("A Simple, Fast Dominance Algorithm") on the reverse CFG rooted at EXIT; nodes that
 * cannot reach EXIT (endless loops, a goto cycle) get a virtual edge to it. Control dependence:
 * Ferrante, Ottenstein and Warren: for each edge a->b where b does not post-dominate a, every
 * node from b up the post-dominator tree to ipdom(a) (excluded) depends on a; ENTRY is treated
 * as a branch whose other side goes straight to EXIT. The PDG is these edges plus def-use. */
#include "flow_int.h"

#include <string.h>

static int cmp_cd(const void *x, const void *y)
{
    const Pith__ControlDep *a = *(Pith__ControlDep *const *)x, *b = *(Pith__ControlDep *const *)y;
    if (a->dst != b->dst)
        return a->dst < b->dst ? -1 : 1;
    if (a->src != b->src)
        return a->src < b->src ? -1 : 1;
    return a->kind < b->kind ? -1 : a->kind > b->kind;
}

void pdg_build(struct flow *f)
{
    size_t nn = f->nodes.count;
    if (nn > FLOW_MAX_NODES)
        return;
    /* successors and predecessors, CSR, reachable nodes only (block != 0) */
    size_t ne = f->edges.count;
    size_t *sfirst = pith_xcalloc(nn + 1, sizeof *sfirst),
           *pfirst = pith_xcalloc(nn + 1, sizeof *pfirst);
    uint32_t *succ = pith_xmalloc((ne + nn + 1) * sizeof *succ);
    uint32_t *pred = pith_xmalloc((ne + nn + 1) * sizeof *pred);
    uint8_t *live = pith_xcalloc(nn, 1), *rreach = pith_xcalloc(nn, 1);
    uint32_t *stack = pith_xmalloc(nn * sizeof *stack);
    uint8_t *extra = pith_xcalloc(nn, 1); /* virtual edge n -> EXIT */
    for (uint32_t n = 1; n < nn; n++)
        live[n] = f->nodes.items[n].block != 0;
    live[FLOW_EXIT] = 1;
    /* which live nodes reach EXIT */
    for (int pass = 0; pass < 2; pass++) {
        memset(sfirst, 0, (nn + 1) * sizeof *sfirst);
        memset(pfirst, 0, (nn + 1) * sizeof *pfirst);
        for (size_t i = 0; i < ne; i++) {
            const struct flow_edge *e = &f->edges.items[i];
            if (live[e->src] && live[e->dst]) {
                sfirst[e->src + 1]++;
                pfirst[e->dst + 1]++;
            }
        }
        for (uint32_t n = 1; n < nn; n++) {
            if (extra[n]) {
                sfirst[n + 1]++;
                pfirst[FLOW_EXIT + 1]++;
            }
        }
        for (size_t n = 0; n < nn; n++) {
            sfirst[n + 1] += sfirst[n];
            pfirst[n + 1] += pfirst[n];
        }
        size_t *sf = pith_xmalloc((nn + 1) * sizeof *sf), *pf = pith_xmalloc((nn + 1) * sizeof *pf);
        memcpy(sf, sfirst, (nn + 1) * sizeof *sf);
        memcpy(pf, pfirst, (nn + 1) * sizeof *pf);
        for (size_t i = 0; i < ne; i++) {
            const struct flow_edge *e = &f->edges.items[i];
            if (live[e->src] && live[e->dst]) {
                succ[sf[e->src]++] = e->dst;
                pred[pf[e->dst]++] = e->src;
            }
        }
        for (uint32_t n = 1; n < nn; n++) {
            if (extra[n]) {
                succ[sf[n]++] = FLOW_EXIT;
                pred[pf[FLOW_EXIT]++] = n;
            }
        }
        free(sf);
        free(pf);
        memset(rreach, 0, nn);
        size_t sp = 0;
        stack[sp++] = FLOW_EXIT;
        rreach[FLOW_EXIT] = 1;
        while (sp) {
            uint32_t n = stack[--sp];
            for (size_t k = pfirst[n]; k < pfirst[n + 1]; k++) {
                if (!rreach[pred[k]]) {
                    rreach[pred[k]] = 1;
                    stack[sp++] = pred[k];
                }
            }
        }
        int missing = 0;
        for (uint32_t n = 1; n < nn; n++) {
            if (live[n] && !rreach[n]) {
                extra[n] = 1;
                missing = 1;
            }
        }
        if (!missing)
            break;
    }
    /* postorder of the reverse CFG from EXIT (iterative DFS over predecessors) */
    uint32_t *po = pith_xcalloc(nn, sizeof *po); /* postorder number + 1 */
    uint32_t *order = pith_xmalloc(nn * sizeof *order);
    size_t *it = pith_xcalloc(nn, sizeof *it);
    uint8_t *seen = pith_xcalloc(nn, 1);
    size_t cnt = 0, sp = 0;
    stack[sp++] = FLOW_EXIT;
    seen[FLOW_EXIT] = 1;
    it[FLOW_EXIT] = pfirst[FLOW_EXIT];
    while (sp) {
        uint32_t n = stack[sp - 1];
        if (it[n] < pfirst[n + 1]) {
            uint32_t m = pred[it[n]++];
            if (!seen[m] && live[m]) {
                seen[m] = 1;
                it[m] = pfirst[m];
                stack[sp++] = m;
            }
            continue;
        }
        sp--;
        order[cnt] = n;
        po[n] = (uint32_t)++cnt;
    }
    uint32_t *ipdom = pith_xcalloc(nn, sizeof *ipdom);
    ipdom[FLOW_EXIT] = FLOW_EXIT;
    int changed = 1;
    while (changed) {
        changed = 0;
        for (size_t i = cnt; i-- > 0;) { /* reverse postorder */
            uint32_t b = order[i];
            if (b == FLOW_EXIT)
                continue;
            uint32_t nd = 0;
            for (size_t k = sfirst[b]; k < sfirst[b + 1]; k++) {
                uint32_t s = succ[k];
                if (!ipdom[s])
                    continue;
                if (!nd) {
                    nd = s;
                    continue;
                }
                uint32_t x = s, y = nd;
                while (x != y) {
                    while (po[x] < po[y])
                        x = ipdom[x];
                    while (po[y] < po[x])
                        y = ipdom[y];
                }
                nd = x;
            }
            if (nd && ipdom[b] != nd) {
                ipdom[b] = nd;
                changed = 1;
            }
        }
    }
    for (uint32_t n = 1; n < nn; n++)
        f->nodes.items[n].ipdom = n == FLOW_EXIT ? 0 : ipdom[n];

    /* control dependence */
    for (size_t i = 0; i < ne; i++) {
        const struct flow_edge *e = &f->edges.items[i];
        uint32_t a = e->src;
        if (!live[a] || !live[e->dst] || !ipdom[a])
            continue;
        uint32_t stop = a == FLOW_ENTRY ? FLOW_EXIT : ipdom[a];
        uint32_t r = e->dst;
        for (size_t guard = 0; r && r != stop && guard < nn; guard++) {
            if (r == FLOW_EXIT)
                break;
            Pith__ControlDep *c = pith_arena_alloc(f->a, sizeof *c);
            Pith__ControlDep init = PITH__CONTROL_DEP__INIT;
            *c = init;
            c->src = a;
            c->dst = r;
            c->kind = (Pith__FlowEdgeKind)e->kind;
            pith_vec_push(&f->cd, c);
            r = ipdom[r];
        }
    }
    if (f->cd.count > 1)
        qsort(f->cd.items, f->cd.count, sizeof *f->cd.items, cmp_cd);
    /* the same (src, dst) reached by two edges of one kind: once */
    size_t k = 0;
    for (size_t i = 0; i < f->cd.count; i++) {
        if (k && cmp_cd(&f->cd.items[k - 1], &f->cd.items[i]) == 0)
            continue;
        f->cd.items[k++] = f->cd.items[i];
    }
    f->cd.count = k;
    free(sfirst);
    free(pfirst);
    free(succ);
    free(pred);
    free(live);
    free(rreach);
    free(stack);
    free(extra);
    free(po);
    free(order);
    free(it);
    free(seen);
    free(ipdom);
}

static void *arena_copy(struct pith_arena *a, const void *p, size_t n)
{
    if (!n)
        return NULL;
    void *q = pith_arena_alloc(a, n);
    memcpy(q, p, n);
    return q;
}

Pith__FunctionFlow *flow_to_proto(struct flow *f)
{
    struct pith_arena *a = f->a;
    Pith__FunctionFlow *m = pith_arena_alloc(a, sizeof *m);
    Pith__FunctionFlow init = PITH__FUNCTION_FLOW__INIT;
    *m = init;
    size_t nn = f->nodes.count - 1;
    m->n_nodes = nn;
    m->nodes = pith_arena_alloc(a, (nn ? nn : 1) * sizeof *m->nodes);
    Pith__FlowNode *nodes = pith_arena_alloc(a, (nn ? nn : 1) * sizeof *nodes);
    for (size_t i = 0; i < nn; i++) {
        const struct flow_node *s = &f->nodes.items[i + 1];
        Pith__FlowNode ni = PITH__FLOW_NODE__INIT;
        nodes[i] = ni;
        nodes[i].kind = (Pith__FlowNodeKind)s->kind;
        nodes[i].line = s->line;
        nodes[i].end_line = s->end_line;
        nodes[i].ir = s->ir;
        nodes[i].defs = s->defs;
        nodes[i].n_defs = s->n_defs;
        nodes[i].uses = s->uses;
        nodes[i].n_uses = s->n_uses;
        nodes[i].block = s->block;
        nodes[i].ipdom = s->ipdom;
        nodes[i].text = (char *)(s->text ? s->text : "");
        m->nodes[i] = &nodes[i];
    }
    m->n_edges = f->edges.count;
    m->edges = pith_arena_alloc(a, (f->edges.count ? f->edges.count : 1) * sizeof *m->edges);
    Pith__FlowEdge *edges =
        pith_arena_alloc(a, (f->edges.count ? f->edges.count : 1) * sizeof *edges);
    for (size_t i = 0; i < f->edges.count; i++) {
        Pith__FlowEdge ei = PITH__FLOW_EDGE__INIT;
        edges[i] = ei;
        edges[i].src = f->edges.items[i].src;
        edges[i].dst = f->edges.items[i].dst;
        edges[i].kind = (Pith__FlowEdgeKind)f->edges.items[i].kind;
        m->edges[i] = &edges[i];
    }
    /* blocks */
    m->n_blocks = f->blocks;
    if (f->blocks) {
        m->blocks = pith_arena_alloc(a, f->blocks * sizeof *m->blocks);
        size_t *count = pith_xcalloc(f->blocks + 1, sizeof *count);
        for (size_t i = 1; i <= nn; i++)
            count[f->nodes.items[i].block]++;
        for (size_t b = 0; b < f->blocks; b++) {
            Pith__FlowBlock *fb = pith_arena_alloc(a, sizeof *fb);
            Pith__FlowBlock bi = PITH__FLOW_BLOCK__INIT;
            *fb = bi;
            fb->nodes = pith_arena_alloc(a, (count[b + 1] ? count[b + 1] : 1) * sizeof *fb->nodes);
            m->blocks[b] = fb;
        }
        /* in chain order: follow each block from its first node (ids grow along a chain
         * except across a loop head, so order by id is chain order for built blocks) */
        for (size_t i = 1; i <= nn; i++) {
            uint32_t b = f->nodes.items[i].block;
            if (b) {
                Pith__FlowBlock *fb = m->blocks[b - 1];
                fb->nodes[fb->n_nodes++] = (uint32_t)i;
            }
        }
        free(count);
    }
    m->n_du = f->du.count;
    m->du = arena_copy(a, f->du.items, f->du.count * sizeof *f->du.items);
    m->n_cd = f->cd.count;
    m->cd = arena_copy(a, f->cd.items, f->cd.count * sizeof *f->cd.items);
    m->n_calls = f->calls.count;
    m->calls = arena_copy(a, f->calls.items, f->calls.count * sizeof *f->calls.items);
    m->complexity = f->complexity;
    m->cyclomatic = f->cyclomatic;
    m->n_params = f->params.count;
    m->params = arena_copy(a, f->params.items, f->params.count * sizeof *f->params.items);
    m->line = f->ir->line;
    return m;
}
