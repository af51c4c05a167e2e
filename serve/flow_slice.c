/* Slices (see flow_slice.h). The system dependence graph has one vertex per PDG node of each
 * procedure plus, per resolved call site, an actual-in vertex per bound parameter and one
 * actual-out vertex:
 *
 *   caller:  d: x = 1 ──data──► ain(a) ──param-in──► callee: PARAM a ──► return a + 1
 *            call node u ─ctl─► ain, aout          u ──call──► ENTRY    │ param-out
 *            aout ◄────────────summary (if a reaches a return)─────────┘──► aout ──data──► use
 *
 * Data edges into a call node for a variable passed as an argument go to that argument's
 * actual-in instead; data edges out of a call node leave from it and from its actual-outs.
 * Summary edges are kept implicit: R[p] is the set of parameters of p that reach one of p's
 * return statements through p's own edges and its calls' summaries (least fixpoint over all
 * procedures). Backward: phase 1 ascends (not param-out), phase 2 descends from everything
 * phase 1 found (not param-in, not call); forward is the mirror image. */
#include "flow_slice.h"

#include "common/mem.h"

#include <string.h>

enum v_kind { V_NODE, V_AIN, V_AOUT };
enum e_kind { E_INTRA, E_PARAM_IN, E_PARAM_OUT, E_CALL };

struct vert {
    uint32_t proc, node; /* node: the PDG node, or the call node for AIN/AOUT */
    uint8_t kind;
    uint32_t call;  /* AIN/AOUT: index into rcalls */
    uint32_t param; /* AIN: the callee's parameter index */
};

struct sedge {
    uint32_t src, dst;
    uint8_t kind;
    const char *var; /* data edges: the variable; NULL for control */
};

typedef PITH_VEC(const char *) strvec;

struct rcall {
    uint32_t proc, node, callee;
    uint32_t aout;
    uint32_t ain_first, ain_count;
};

struct sdg {
    const struct flow_proc *procs;
    size_t n_procs;
    uint32_t *base; /* first vertex of each proc's nodes */
    PITH_VEC(struct vert) v;
    PITH_VEC(struct sedge) e;
    PITH_VEC(struct rcall) rc;
    size_t *ffirst, *bfirst; /* CSR by src / by dst over e (indices into fe / be) */
    uint32_t *fe, *be;
    uint64_t *reach; /* R[p]: params reaching a return (bit i; bit 63: i >= 63) */
};

static int var_match(const char *ev, const char *v)
{
    if (!v || !ev)
        return 1;
    size_t a = strlen(ev), b = strlen(v);
    if (a == b)
        return memcmp(ev, v, a) == 0;
    if (a > b)
        return memcmp(ev, v, b) == 0 && ev[b] == '.';
    return memcmp(v, ev, a) == 0 && v[a] == '.';
}

static void add_edge(struct sdg *g, uint32_t s, uint32_t d, int kind, const char *var)
{
    struct sedge e = { s, d, (uint8_t)kind, var };
    pith_vec_push(&g->e, e);
}

static uint32_t add_vert(struct sdg *g, uint32_t proc, uint32_t node, int kind)
{
    struct vert v = { proc, node, (uint8_t)kind, 0, 0 };
    pith_vec_push(&g->v, v);
    return (uint32_t)g->v.count - 1;
}

static const char *param_name(const Pith__FunctionFlow *f, size_t i)
{
    uint32_t n = f->params[i];
    if (n == 0 || n > f->n_nodes)
        return "";
    const Pith__FlowNode *fn = f->nodes[n - 1];
    return fn->n_defs ? fn->defs[0] : "";
}

static int is_return(const Pith__FlowNode *n)
{
    return n->kind == PITH__FLOW_NODE_KIND__FLOW_STMT && n->text && strcmp(n->text, "return") == 0;
}

/* Binds the arguments of call `fc` to parameters of `callee`: adds the actual-in vertices. */
static void bind_args(struct sdg *g,
                      struct rcall *rc,
                      const Pith__FlowCall *fc,
                      const Pith__FunctionFlow *callee,
                      strvec *uses_of)
{
    size_t np = callee->n_params, off = 0;
    rc->ain_first = (uint32_t)g->v.count;
    const char *dot = fc->callee ? strrchr(fc->callee, '.') : NULL;
    if (dot && np) {
        const char *p0 = param_name(callee, 0);
        if (strcmp(p0, "self") == 0 || strcmp(p0, "cls") == 0) {
            uint32_t a = add_vert(g, rc->proc, rc->node, V_AIN);
            g->v.items[a].call = (uint32_t)g->rc.count;
            g->v.items[a].param = 0;
            char *recv = pith_xstrndup(fc->callee, (size_t)(dot - fc->callee));
            pith_vec_push(uses_of, (const char *)recv); /* freed by the caller */
            off = 1;
        }
    }
    for (size_t i = 0, pos = 0; i < fc->n_args; i++) {
        const Pith__IrArgUses *a = fc->args[i];
        size_t pi = SIZE_MAX;
        if (a->star)
            continue;
        if (a->keyword && a->keyword[0]) {
            for (size_t k = 0; k < np; k++) {
                if (strcmp(param_name(callee, k), a->keyword) == 0)
                    pi = k;
            }
        } else {
            pi = off + pos++;
        }
        if (pi >= np)
            continue;
        uint32_t v = add_vert(g, rc->proc, rc->node, V_AIN);
        g->v.items[v].call = (uint32_t)g->rc.count;
        g->v.items[v].param = (uint32_t)pi;
        /* the argument's uses, joined with '\n' so one pointer holds them */
        size_t len = 1;
        for (size_t u = 0; u < a->n_uses; u++)
            len += strlen(a->uses[u]) + 1;
        char *s = pith_xmalloc(len), *p = s;
        for (size_t u = 0; u < a->n_uses; u++) {
            size_t l = strlen(a->uses[u]);
            memcpy(p, a->uses[u], l);
            p += l;
            *p++ = '\n';
        }
        *p = '\0';
        pith_vec_push(uses_of, (const char *)s);
    }
    rc->ain_count = (uint32_t)g->v.count - rc->ain_first;
}

/* 1 when '\n'-separated list `list` holds `var`. */
static int in_list(const char *list, const char *var)
{
    size_t l = strlen(var);
    for (const char *p = list; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n == l && memcmp(p, var, l) == 0)
            return 1;
        if (!nl)
            break;
        p = nl + 1;
    }
    return 0;
}

static void sdg_build(struct sdg *g, const struct flow_proc *procs, size_t n, int inter)
{
    memset(g, 0, sizeof *g);
    g->procs = procs;
    g->n_procs = n;
    g->base = pith_xcalloc(n + 1, sizeof *g->base);
    struct vert none = { 0 };
    pith_vec_push(&g->v, none); /* vertex 0: none */
    for (size_t k = 0; k < n; k++) {
        g->base[k] = (uint32_t)g->v.count;
        const Pith__FunctionFlow *f = procs[k].flow;
        for (size_t i = 0; f && i < f->n_nodes; i++)
            add_vert(g, (uint32_t)k, (uint32_t)i + 1, V_NODE);
    }
    strvec ain_uses = { 0 }; /* per AIN vertex, in vertex order */
    uint32_t ain_base = (uint32_t)g->v.count;
    /* resolved calls */
    for (size_t k = 0; inter && k < n; k++) {
        const Pith__FunctionFlow *f = procs[k].flow;
        if (!f)
            continue;
        for (size_t c = 0; c < f->n_calls; c++) {
            const Pith__FlowCall *fc = f->calls[c];
            for (size_t j = 0; j < procs[k].n_callees; j++) {
                const struct flow_callee *ce = &procs[k].callees[j];
                if (ce->line != fc->line || ce->col != fc->col || ce->proc >= n ||
                    !procs[ce->proc].flow || fc->node == 0 || fc->node > f->n_nodes)
                    continue;
                struct rcall rc = { (uint32_t)k, fc->node, ce->proc, 0, 0, 0 };
                size_t before = g->v.count;
                bind_args(g, &rc, fc, procs[ce->proc].flow, &ain_uses);
                (void)before;
                rc.aout = add_vert(g, (uint32_t)k, fc->node, V_AOUT);
                g->v.items[rc.aout].call = (uint32_t)g->rc.count;
                pith_vec_push(&g->rc, rc);
            }
        }
    }
    /* ain_uses[i] belongs to vertex ain_base + i only for AIN vertices: rebuild a map */
    const char **uses_of_v = pith_xcalloc(g->v.count + 1, sizeof *uses_of_v);
    {
        size_t i = 0;
        for (uint32_t v = ain_base; v < g->v.count; v++) {
            if (g->v.items[v].kind == V_AIN && i < ain_uses.count)
                uses_of_v[v] = ain_uses.items[i++];
        }
    }
    /* per node: first rcall at it (calls of one node are consecutive) */
    for (size_t k = 0; k < n; k++) {
        const Pith__FunctionFlow *f = procs[k].flow;
        if (!f)
            continue;
        uint32_t b = g->base[k] - 1;
        for (size_t i = 0; i < f->n_cd; i++) {
            const Pith__ControlDep *c = f->cd[i];
            if (c->src && c->dst && c->src <= f->n_nodes && c->dst <= f->n_nodes)
                add_edge(g, b + c->src, b + c->dst, E_INTRA, NULL);
        }
        for (size_t i = 0; i < f->n_du; i++) {
            const Pith__DefUse *d = f->du[i];
            if (!d->def || !d->use || d->def > f->n_nodes || d->use > f->n_nodes)
                continue;
            /* sources: the def node and its calls' results; targets: the arguments that read
             * the variable at a call, else the use node */
            uint32_t src[9], tgt[9];
            size_t ns = 0, nt = 0;
            src[ns++] = b + d->def;
            for (size_t r = 0; r < g->rc.count; r++) {
                const struct rcall *rc = &g->rc.items[r];
                if (rc->proc != k)
                    continue;
                if (rc->node == d->def && ns < 9)
                    src[ns++] = rc->aout;
                if (rc->node == d->use) {
                    for (uint32_t a = 0; a < rc->ain_count && nt < 9; a++) {
                        uint32_t av = rc->ain_first + a;
                        if (uses_of_v[av] && in_list(uses_of_v[av], d->var))
                            tgt[nt++] = av;
                    }
                }
            }
            if (!nt)
                tgt[nt++] = b + d->use;
            for (size_t x = 0; x < ns; x++) {
                for (size_t y = 0; y < nt; y++)
                    add_edge(g, src[x], tgt[y], E_INTRA, d->var);
            }
        }
    }
    for (size_t r = 0; r < g->rc.count; r++) {
        const struct rcall *rc = &g->rc.items[r];
        uint32_t u = g->base[rc->proc] - 1 + rc->node;
        const Pith__FunctionFlow *cf = procs[rc->callee].flow;
        uint32_t cb = g->base[rc->callee] - 1;
        for (uint32_t a = 0; a < rc->ain_count; a++) {
            uint32_t av = rc->ain_first + a;
            add_edge(g, u, av, E_INTRA, NULL);
            uint32_t p = g->v.items[av].param;
            if (p < cf->n_params && cf->params[p] && cf->params[p] <= cf->n_nodes)
                add_edge(g, av, cb + cf->params[p], E_PARAM_IN, NULL);
        }
        add_edge(g, u, rc->aout, E_INTRA, NULL);
        /* return f(x): the returned value is the call's result */
        if (is_return(procs[rc->proc].flow->nodes[rc->node - 1]))
            add_edge(g, rc->aout, u, E_INTRA, NULL);
        add_edge(g, u, cb + 1, E_CALL, NULL);
        for (size_t i = 0; i < cf->n_nodes; i++) {
            if (is_return(cf->nodes[i]))
                add_edge(g, cb + (uint32_t)i + 1, rc->aout, E_PARAM_OUT, NULL);
        }
    }
    for (size_t i = 0; i < ain_uses.count; i++)
        free((void *)ain_uses.items[i]);
    pith_vec_release(&ain_uses);
    free(uses_of_v);
    /* CSR both ways */
    size_t nv = g->v.count, ne = g->e.count;
    g->ffirst = pith_xcalloc(nv + 1, sizeof *g->ffirst);
    g->bfirst = pith_xcalloc(nv + 1, sizeof *g->bfirst);
    g->fe = pith_xmalloc((ne ? ne : 1) * sizeof *g->fe);
    g->be = pith_xmalloc((ne ? ne : 1) * sizeof *g->be);
    for (size_t i = 0; i < ne; i++) {
        g->ffirst[g->e.items[i].src + 1]++;
        g->bfirst[g->e.items[i].dst + 1]++;
    }
    for (size_t i = 0; i < nv; i++) {
        g->ffirst[i + 1] += g->ffirst[i];
        g->bfirst[i + 1] += g->bfirst[i];
    }
    size_t *ff = pith_xmalloc((nv + 1) * sizeof *ff), *bf = pith_xmalloc((nv + 1) * sizeof *bf);
    memcpy(ff, g->ffirst, (nv + 1) * sizeof *ff);
    memcpy(bf, g->bfirst, (nv + 1) * sizeof *bf);
    for (size_t i = 0; i < ne; i++) {
        g->fe[ff[g->e.items[i].src]++] = (uint32_t)i;
        g->be[bf[g->e.items[i].dst]++] = (uint32_t)i;
    }
    free(ff);
    free(bf);
    g->reach = pith_xcalloc(n + 1, sizeof *g->reach);
}

static void sdg_free(struct sdg *g)
{
    free(g->base);
    pith_vec_release(&g->v);
    pith_vec_release(&g->e);
    pith_vec_release(&g->rc);
    free(g->ffirst);
    free(g->bfirst);
    free(g->fe);
    free(g->be);
    free(g->reach);
}

static uint64_t param_bit(uint32_t p)
{
    return 1ull << (p < 63 ? p : 63);
}

/* Summary: R[p] for every procedure, least fixpoint. */
static void summaries(struct sdg *g, uint32_t *stack, uint8_t *seen)
{
    int changed = 1;
    for (int round = 0; changed && round < 1000; round++) {
        changed = 0;
        for (size_t k = 0; k < g->n_procs; k++) {
            const Pith__FunctionFlow *f = g->procs[k].flow;
            if (!f)
                continue;
            uint32_t b = g->base[k] - 1;
            size_t sp = 0;
            memset(seen, 0, g->v.count);
            for (size_t i = 0; i < f->n_nodes; i++) {
                if (is_return(f->nodes[i])) {
                    stack[sp++] = b + (uint32_t)i + 1;
                    seen[b + i + 1] = 1;
                }
            }
            uint64_t r = 0;
            while (sp) {
                uint32_t v = stack[--sp];
                const struct vert *vv = &g->v.items[v];
                if (vv->kind == V_NODE &&
                    f->nodes[vv->node - 1]->kind == PITH__FLOW_NODE_KIND__FLOW_PARAM) {
                    for (size_t p = 0; p < f->n_params; p++) {
                        if (f->params[p] == vv->node)
                            r |= param_bit((uint32_t)p);
                    }
                }
                for (size_t x = g->bfirst[v]; x < g->bfirst[v + 1]; x++) {
                    const struct sedge *e = &g->e.items[g->be[x]];
                    if (e->kind != E_INTRA || seen[e->src])
                        continue;
                    seen[e->src] = 1;
                    stack[sp++] = e->src;
                }
                if (vv->kind == V_AOUT) { /* summary: aout <- ains whose param reaches */
                    const struct rcall *rc = &g->rc.items[vv->call];
                    for (uint32_t a = 0; a < rc->ain_count; a++) {
                        uint32_t av = rc->ain_first + a;
                        if ((g->reach[rc->callee] & param_bit(g->v.items[av].param)) && !seen[av]) {
                            seen[av] = 1;
                            stack[sp++] = av;
                        }
                    }
                }
            }
            if ((r | g->reach[k]) != g->reach[k]) {
                g->reach[k] |= r;
                changed = 1;
            }
        }
    }
}

/* One traversal phase from the vertices marked in `in` (pushed on the stack): follows the
 * edges whose kind bit is in `kinds`, backward or forward, plus summaries. */
static void
phase(struct sdg *g, uint8_t *mark, uint32_t *stack, size_t sp, unsigned kinds, int forward)
{
    while (sp) {
        uint32_t v = stack[--sp];
        size_t lo = forward ? g->ffirst[v] : g->bfirst[v];
        size_t hi = forward ? g->ffirst[v + 1] : g->bfirst[v + 1];
        for (size_t x = lo; x < hi; x++) {
            const struct sedge *e = &g->e.items[forward ? g->fe[x] : g->be[x]];
            if (!(kinds & (1u << e->kind)))
                continue;
            uint32_t w = forward ? e->dst : e->src;
            if (!mark[w]) {
                mark[w] = 1;
                stack[sp++] = w;
            }
        }
        const struct vert *vv = &g->v.items[v];
        if (!forward && vv->kind == V_AOUT) {
            const struct rcall *rc = &g->rc.items[vv->call];
            for (uint32_t a = 0; a < rc->ain_count; a++) {
                uint32_t av = rc->ain_first + a;
                if ((g->reach[rc->callee] & param_bit(g->v.items[av].param)) && !mark[av]) {
                    mark[av] = 1;
                    stack[sp++] = av;
                }
            }
        }
        if (forward && vv->kind == V_AIN) {
            const struct rcall *rc = &g->rc.items[vv->call];
            if ((g->reach[rc->callee] & param_bit(vv->param)) && !mark[rc->aout]) {
                mark[rc->aout] = 1;
                stack[sp++] = rc->aout;
            }
        }
    }
}

size_t flow_slice(uint8_t **marks,
                  const struct flow_proc *procs,
                  size_t n_procs,
                  size_t start,
                  uint32_t line,
                  const char *var,
                  unsigned flags)
{
    if (start >= n_procs || !procs[start].flow)
        return 0;
    int inter = (flags & FLOW_SLICE_INTER) != 0, forward = (flags & FLOW_SLICE_FORWARD) != 0;
    const Pith__FunctionFlow *f = procs[start].flow;
    /* seeds: statement nodes on `line`; else the narrowest node spanning it */
    PITH_VEC(uint32_t) seeds = { 0 };
    for (size_t i = 0; i < f->n_nodes; i++) {
        const Pith__FlowNode *n = f->nodes[i];
        if (n->kind == PITH__FLOW_NODE_KIND__FLOW_EXIT || !n->block)
            continue;
        if (n->line == line && (n->kind != PITH__FLOW_NODE_KIND__FLOW_ENTRY || !var))
            pith_vec_push(&seeds, (uint32_t)i + 1);
    }
    if (!seeds.count) {
        uint32_t best = 0, span = UINT32_MAX;
        for (size_t i = 0; i < f->n_nodes; i++) {
            const Pith__FlowNode *n = f->nodes[i];
            if (n->block && n->line <= line && line <= n->end_line &&
                n->end_line - n->line < span) {
                span = n->end_line - n->line;
                best = (uint32_t)i + 1;
            }
        }
        if (best)
            pith_vec_push(&seeds, best);
    }
    size_t nseeds = seeds.count;
    if (!nseeds) {
        pith_vec_release(&seeds);
        return 0;
    }
    struct sdg g;
    sdg_build(&g, procs, n_procs, inter);
    size_t nv = g.v.count;
    uint32_t *stack = pith_xmalloc((nv + 1) * sizeof *stack);
    uint8_t *mark = pith_xcalloc(nv + 1, 1);
    if (inter)
        summaries(&g, stack, mark);
    memset(mark, 0, nv + 1);
    size_t sp = 0;
    /* the first step from the seeds honours --var */
    for (size_t s = 0; s < nseeds; s++) {
        uint32_t v = g.base[start] - 1 + seeds.items[s];
        mark[v] = 1;
    }
    unsigned all = 1u << E_INTRA;
    for (size_t s = 0; s < nseeds; s++) {
        uint32_t v = g.base[start] - 1 + seeds.items[s];
        size_t lo = forward ? g.ffirst[v] : g.bfirst[v];
        size_t hi = forward ? g.ffirst[v + 1] : g.bfirst[v + 1];
        if (!var) {
            stack[sp++] = v;
            continue;
        }
        for (size_t x = lo; x < hi; x++) {
            const struct sedge *e = &g.e.items[forward ? g.fe[x] : g.be[x]];
            if (e->kind != E_INTRA)
                continue;
            if (e->var ? !var_match(e->var, var) : forward)
                continue;
            uint32_t w = forward ? e->dst : e->src;
            /* data into a call's argument: follow only the argument that reads var */
            if (!mark[w]) {
                mark[w] = 1;
                stack[sp++] = w;
            }
        }
    }
    if (!inter) {
        phase(&g, mark, stack, sp, all, forward);
    } else {
        unsigned up = forward ? (all | 1u << E_PARAM_OUT) : (all | 1u << E_PARAM_IN | 1u << E_CALL);
        unsigned down =
            forward ? (all | 1u << E_PARAM_IN | 1u << E_CALL) : (all | 1u << E_PARAM_OUT);
        phase(&g, mark, stack, sp, up, forward);
        sp = 0;
        for (uint32_t v = 1; v < nv; v++) {
            if (mark[v])
                stack[sp++] = v;
        }
        phase(&g, mark, stack, sp, down, forward);
    }
    for (uint32_t v = 1; v < nv; v++) {
        if (!mark[v])
            continue;
        const struct vert *vv = &g.v.items[v];
        if (procs[vv->proc].flow && vv->node)
            marks[vv->proc][vv->node] = 1;
    }
    free(stack);
    free(mark);
    sdg_free(&g);
    pith_vec_release(&seeds);
    return nseeds;
}
