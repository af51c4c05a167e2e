/* Slices (see flow_slice.h). The system dependence graph has one vertex per PDG node of each
 * procedure plus, per resolved call site, an actual-in vertex per bound parameter, one
 * actual-out vertex for the returned value and one per pointer out-parameter; each procedure
 * whose pointee is written back to a caller has a formal-out vertex per such parameter:
 *
 *   caller:  d: x = 1 ──data──► ain(a) ──param-in──► callee: PARAM a ──► return a + 1
 *            call node u ─ctl─► ain, aout          u ──call──► ENTRY    │ param-out
 *            aout ◄────────────summary (if a reaches a return)─────────┘──► aout ──data──► use
 *
 *   f(&v) / f(p) where f(int *x) writes *x (x->f, (*x)++, ... or passes x on to a callee that
 *   does): aout(*x) defines v / *p after the call; the callee's fout(x) stands for the pointee
 *   at exit, reached by the writes of *x that reach EXIT (and by PARAM x when a path leaves
 *   *x unwritten: the caller's value passes through); fout(x) ──param-out──► aout(*x).
 *
 * Data edges into a call node for a variable passed as an argument go to that argument's
 * actual-in instead; data edges out of a call node leave from the actual-outs that define the
 * variable, else from the node and its returned value's actual-out. Summary edges are kept
 * implicit: S[p][o] is the set of parameters of p that reach output o (0: the returned value,
 * 1 + i: the pointee of parameter i at exit) through p's own edges and its calls' summaries
 * (least fixpoint over all procedures, Horwitz-Reps-Binkley). Backward: phase 1 ascends (not
 * param-out), phase 2 descends from everything phase 1 found (not param-in, not call); forward
 * is the mirror image. No alias analysis: *p is the object p points to at the call, whatever
 * else points to it. */
#include "flow_slice.h"

#include "common/mem.h"

#include <string.h>

enum v_kind { V_NODE, V_AIN, V_AOUT, V_FOUT };
enum e_kind { E_INTRA, E_PARAM_IN, E_PARAM_OUT, E_CALL };

struct vert {
    uint32_t proc, node; /* node: the PDG node, or the call node for AIN/AOUT */
    uint8_t kind;
    uint32_t call;  /* AIN/AOUT: index into rcalls */
    uint32_t param; /* AIN: the callee's parameter; AOUT, FOUT: the output (0 return, 1 + i) */
};

struct sedge {
    uint32_t src, dst;
    uint8_t kind;
    const char *var; /* data edges: the variable; NULL for control */
};

typedef PITH_VEC(const char *) strvec;

struct rcall {
    uint32_t proc, node, callee;
    uint32_t ain_first, ain_count;
    uint32_t aout_first, aout_count; /* the returned value's, then the out-parameters' */
};

struct sdg {
    const struct flow_proc *procs;
    size_t n_procs;
    uint32_t *base; /* first vertex of each proc's nodes */
    PITH_VEC(struct vert) v;
    PITH_VEC(struct sedge) e;
    PITH_VEC(struct rcall) rc;
    strvec vstr;     /* per vertex: AIN the argument's uses ('\n'-joined), AOUT the out variable */
    strvec owned;    /* strings of vstr to free */
    uint32_t *rc_at; /* per vertex of a node: first rcall at it + 1 (rcalls of a node adjoin) */
    size_t *ffirst, *bfirst; /* CSR by src / by dst over e (indices into fe / be) */
    uint32_t *fe, *be;
    size_t *soff;   /* per proc: first output in sum (1 + params) */
    uint64_t *sum;  /* S[p][o]: params reaching output o (bit i; bit 63: i >= 63) */
    uint32_t *fout; /* per proc output 1 + i: the FOUT vertex, 0 none (same offsets) */
};

/* 1 when access path `u` is `v` or extends it at a '.', '->' or '[' boundary. */
static int path_ext(const char *u, const char *v)
{
    size_t l = strlen(v);
    if (strncmp(u, v, l) != 0)
        return 0;
    const char *r = u + l;
    return *r == '\0' || *r == '.' || *r == '[' || (r[0] == '-' && r[1] == '>');
}

/* --var V: the edge's variable `ev` is V or extends it; V without a leading '*' also matches
 * the dereferences of what it names ("p" matches "*p", "**p.x"). */
static int var_match(const char *ev, const char *v)
{
    if (!v || !ev)
        return 1;
    if (path_ext(ev, v))
        return 1;
    if (v[0] != '*') {
        while (*ev == '*')
            ev++;
        return path_ext(ev, v);
    }
    return 0;
}

/* 1 when writing path `d` writes the object parameter `x` points to: "*x", "*x.f", "x->f",
 * "**x"; `kill` set when it writes all of it ("*x"). */
static int writes_through(const char *d, const char *x, int *kill)
{
    int stars = 0;
    while (*d == '*') {
        d++;
        stars++;
    }
    size_t l = strlen(x);
    if (!l || strncmp(d, x, l) != 0)
        return 0;
    const char *r = d + l;
    if (kill)
        *kill = stars == 1 && *r == '\0';
    if (stars)
        return *r == '\0' || *r == '.' || *r == '[' || (r[0] == '-' && r[1] == '>');
    return r[0] == '-' && r[1] == '>';
}

/* A use `u` reads out variable `ov` ("v" of f(&v), "*p" of f(p)): u extends ov, or ov is "*p"
 * and u is "p->...". */
static int use_hits(const char *u, const char *ov)
{
    if (path_ext(u, ov))
        return 1;
    if (ov[0] != '*')
        return 0;
    size_t l = strlen(ov + 1);
    return strncmp(u, ov + 1, l) == 0 && u[l] == '-' && u[l + 1] == '>';
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
    pith_vec_push(&g->vstr, (const char *)NULL);
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

static uint64_t param_bit(uint32_t p)
{
    return 1ull << (p < 63 ? p : 63);
}

/* The callee parameter each argument of `fc` binds to (UINT32_MAX: none) into `pi`; returns 1
 * when the receiver of a method call binds to self/cls. */
static int bind_params(const Pith__FlowCall *fc, const Pith__FunctionFlow *callee, uint32_t *pi)
{
    size_t np = callee->n_params, off = 0;
    const char *dot = fc->callee ? strrchr(fc->callee, '.') : NULL;
    if (dot && np) {
        const char *p0 = param_name(callee, 0);
        if (strcmp(p0, "self") == 0 || strcmp(p0, "cls") == 0)
            off = 1;
    }
    for (size_t i = 0, pos = 0; i < fc->n_args; i++) {
        const Pith__IrArgUses *a = fc->args[i];
        size_t p = SIZE_MAX;
        pi[i] = UINT32_MAX;
        if (a->star)
            continue;
        if (a->keyword && a->keyword[0]) {
            for (size_t k = 0; k < np; k++) {
                if (strcmp(param_name(callee, k), a->keyword) == 0)
                    p = k;
            }
        } else {
            p = off + pos++;
        }
        if (p < np)
            pi[i] = (uint32_t)p;
    }
    return off != 0;
}

static const char *own(struct sdg *g, char *s)
{
    pith_vec_push(&g->owned, (const char *)s);
    return s;
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

/* A resolved call before its vertices exist: flow call `c` of proc k, callee q, and where its
 * arguments' parameter bindings start in the shared binding array. */
struct pend {
    uint32_t k, c, q;
    size_t bind;
    int recv;
};

/* OUT[p]: the parameters whose pointee p writes, itself or through the calls it passes them
 * to (least fixpoint). */
static void out_params(uint64_t *outp,
                       const struct flow_proc *procs,
                       size_t n,
                       const struct pend *pd,
                       size_t npd,
                       const uint32_t *bind)
{
    for (size_t k = 0; k < n; k++) {
        const Pith__FunctionFlow *f = procs[k].flow;
        for (size_t p = 0; f && p < f->n_params; p++) {
            const char *x = param_name(f, p);
            for (size_t i = 0; x[0] && i < f->n_nodes && !(outp[k] & param_bit((uint32_t)p)); i++) {
                for (size_t d = 0; d < f->nodes[i]->n_defs; d++) {
                    if (writes_through(f->nodes[i]->defs[d], x, NULL))
                        outp[k] |= param_bit((uint32_t)p);
                }
            }
        }
    }
    int changed = 1;
    while (changed) {
        changed = 0;
        for (size_t r = 0; r < npd; r++) {
            const Pith__FunctionFlow *f = procs[pd[r].k].flow;
            const Pith__FlowCall *fc = f->calls[pd[r].c];
            for (size_t a = 0; a < fc->n_args; a++) {
                uint32_t m = bind[pd[r].bind + a];
                const char *ap = fc->args[a]->path;
                if (m == UINT32_MAX || !(outp[pd[r].q] & param_bit(m)) || !ap || !ap[0])
                    continue;
                for (size_t p = 0; p < f->n_params; p++) {
                    const char *x = param_name(f, p);
                    int hit = writes_through(ap, x, NULL) || (!fc->args[a]->addr && !strcmp(ap, x));
                    if (hit && x[0] && !(outp[pd[r].k] & param_bit((uint32_t)p))) {
                        outp[pd[r].k] |= param_bit((uint32_t)p);
                        changed = 1;
                    }
                }
            }
        }
    }
}

/* CFG successors or predecessors of every node of f, CSR (1-based node ids). */
static void cfg_csr(const Pith__FunctionFlow *f, int pred, size_t **first, uint32_t **adj)
{
    size_t nn = f->n_nodes;
    size_t *fi = pith_xcalloc(nn + 2, sizeof *fi);
    uint32_t *ad = pith_xmalloc((f->n_edges ? f->n_edges : 1) * sizeof *ad);
    for (size_t i = 0; i < f->n_edges; i++) {
        uint32_t s = pred ? f->edges[i]->dst : f->edges[i]->src;
        if (s && s <= nn)
            fi[s + 1]++;
    }
    for (size_t i = 0; i <= nn; i++)
        fi[i + 1] += fi[i];
    size_t *fill = pith_xmalloc((nn + 2) * sizeof *fill);
    memcpy(fill, fi, (nn + 2) * sizeof *fill);
    for (size_t i = 0; i < f->n_edges; i++) {
        uint32_t s = pred ? f->edges[i]->dst : f->edges[i]->src;
        uint32_t d = pred ? f->edges[i]->src : f->edges[i]->dst;
        if (s && s <= nn && d && d <= nn)
            ad[fill[s]++] = d;
    }
    free(fill);
    *first = fi;
    *adj = ad;
}

/* Data edges of out variable `ov` defined by actual-out `ao` at call node `u` of proc k (f(p):
 * the stored def-use chains do not have them): forward over the CFG from u's successors to the
 * uses of ov (into the actual-ins that read it at a call), up to a node that writes ov or its
 * pointer whole. */
static void out_uses(struct sdg *g,
                     size_t k,
                     uint32_t u,
                     uint32_t ao,
                     const char *ov,
                     const size_t *sf,
                     const uint32_t *succ,
                     uint8_t *seen,
                     uint32_t *stack)
{
    const Pith__FunctionFlow *f = g->procs[k].flow;
    uint32_t b = g->base[k] - 1;
    size_t sp = 0;
    memset(seen, 0, f->n_nodes + 1);
    for (size_t x = sf[u]; x < sf[u + 1]; x++) {
        if (!seen[succ[x]]) {
            seen[succ[x]] = 1;
            stack[sp++] = succ[x];
        }
    }
    while (sp) {
        uint32_t n = stack[--sp];
        const Pith__FlowNode *nd = f->nodes[n - 1];
        for (size_t i = 0; i < nd->n_uses; i++) {
            if (!use_hits(nd->uses[i], ov))
                continue;
            int into_arg = 0;
            for (uint32_t r = g->rc_at[b + n]; r && r - 1 < g->rc.count; r++) {
                const struct rcall *rc = &g->rc.items[r - 1];
                if (rc->proc != k || rc->node != n)
                    break;
                for (uint32_t a = 0; a < rc->ain_count; a++) {
                    uint32_t av = rc->ain_first + a;
                    if (g->vstr.items[av] && in_list(g->vstr.items[av], nd->uses[i])) {
                        add_edge(g, ao, av, E_INTRA, nd->uses[i]);
                        into_arg = 1;
                    }
                }
            }
            if (!into_arg)
                add_edge(g, ao, b + n, E_INTRA, nd->uses[i]);
        }
        int kill = 0;
        for (size_t i = 0; i < nd->n_defs; i++) {
            const char *d = nd->defs[i];
            if (!strcmp(d, ov) || (ov[0] == '*' && !strcmp(d, ov + 1)))
                kill = 1;
        }
        if (kill)
            continue;
        for (size_t x = sf[n]; x < sf[n + 1]; x++) {
            if (!seen[succ[x]]) {
                seen[succ[x]] = 1;
                stack[sp++] = succ[x];
            }
        }
    }
}

/* The edges into formal-out `fo` (the pointee of parameter p of proc k at exit): backward over
 * the CFG from EXIT, the writes through p (a whole write "*p" stops the walk), the actual-outs
 * of calls that write through p, and PARAM p when ENTRY is reached (the value passes). */
static void fout_defs(struct sdg *g,
                      size_t k,
                      uint32_t p,
                      uint32_t fo,
                      const size_t *pf,
                      const uint32_t *pred,
                      uint8_t *seen,
                      uint32_t *stack)
{
    const Pith__FunctionFlow *f = g->procs[k].flow;
    const char *x = param_name(f, p);
    uint32_t b = g->base[k] - 1;
    size_t sp = 0;
    memset(seen, 0, f->n_nodes + 1);
    add_edge(g, b + 1, fo, E_INTRA, NULL); /* control: on entry */
    if (f->n_nodes < 2)
        return;
    seen[2] = 1;
    stack[sp++] = 2; /* EXIT */
    while (sp) {
        uint32_t n = stack[--sp];
        const Pith__FlowNode *nd = f->nodes[n - 1];
        int kill = 0;
        if (n == 1) {
            if (f->params[p] && f->params[p] <= f->n_nodes)
                add_edge(g, b + f->params[p], fo, E_INTRA, x);
            continue;
        }
        for (size_t i = 0; i < nd->n_defs; i++) {
            int whole = 0;
            if (writes_through(nd->defs[i], x, &whole)) {
                add_edge(g, b + n, fo, E_INTRA, nd->defs[i]);
                kill |= whole;
            }
        }
        for (uint32_t r = g->rc_at[b + n]; r && r - 1 < g->rc.count; r++) {
            const struct rcall *rc = &g->rc.items[r - 1];
            if (rc->proc != k || rc->node != n)
                break;
            for (uint32_t a = 1; a < rc->aout_count; a++) {
                uint32_t av = rc->aout_first + a;
                if (writes_through(g->vstr.items[av], x, NULL))
                    add_edge(g, av, fo, E_INTRA, g->vstr.items[av]);
            }
        }
        if (kill)
            continue;
        for (size_t i = pf[n]; i < pf[n + 1]; i++) {
            if (!seen[pred[i]]) {
                seen[pred[i]] = 1;
                stack[sp++] = pred[i];
            }
        }
    }
}

static void sdg_build(struct sdg *g, const struct flow_proc *procs, size_t n, int inter)
{
    memset(g, 0, sizeof *g);
    g->procs = procs;
    g->n_procs = n;
    g->base = pith_xcalloc(n + 1, sizeof *g->base);
    g->soff = pith_xcalloc(n + 1, sizeof *g->soff);
    add_vert(g, 0, 0, V_NODE); /* vertex 0: none */
    size_t maxn = 1;
    for (size_t k = 0; k < n; k++) {
        g->base[k] = (uint32_t)g->v.count;
        const Pith__FunctionFlow *f = procs[k].flow;
        for (size_t i = 0; f && i < f->n_nodes; i++)
            add_vert(g, (uint32_t)k, (uint32_t)i + 1, V_NODE);
        g->soff[k + 1] = g->soff[k] + 1 + (f ? f->n_params : 0);
        if (f && f->n_nodes + 1 > maxn)
            maxn = f->n_nodes + 1;
    }
    g->sum = pith_xcalloc(g->soff[n] + 1, sizeof *g->sum);
    g->fout = pith_xcalloc(g->soff[n] + 1, sizeof *g->fout);
    /* resolved calls and their bindings */
    PITH_VEC(struct pend) pd = { 0 };
    PITH_VEC(uint32_t) bind = { 0 };
    for (size_t k = 0; inter && k < n; k++) {
        const Pith__FunctionFlow *f = procs[k].flow;
        for (size_t c = 0; f && c < f->n_calls; c++) {
            const Pith__FlowCall *fc = f->calls[c];
            for (size_t j = 0; j < procs[k].n_callees; j++) {
                const struct flow_callee *ce = &procs[k].callees[j];
                if (ce->line != fc->line || ce->col != fc->col || ce->proc >= n ||
                    !procs[ce->proc].flow || fc->node == 0 || fc->node > f->n_nodes)
                    continue;
                struct pend p = { (uint32_t)k, (uint32_t)c, ce->proc, bind.count, 0 };
                pith_vec_reserve(&bind, bind.count + fc->n_args + 1);
                p.recv = bind_params(fc, procs[ce->proc].flow, bind.items + bind.count);
                bind.count += fc->n_args;
                pith_vec_push(&pd, p);
            }
        }
    }
    uint64_t *outp = pith_xcalloc(n + 1, sizeof *outp);
    if (inter)
        out_params(outp, procs, n, pd.items, pd.count, bind.items);
    /* their vertices */
    for (size_t r = 0; r < pd.count; r++) {
        const struct pend *p = &pd.items[r];
        const Pith__FlowCall *fc = procs[p->k].flow->calls[p->c];
        const Pith__FunctionFlow *cf = procs[p->q].flow;
        struct rcall rc = { p->k, fc->node, p->q, 0, 0, 0, 0 };
        uint32_t ci = (uint32_t)g->rc.count;
        rc.ain_first = (uint32_t)g->v.count;
        if (p->recv) {
            const char *dot = strrchr(fc->callee, '.');
            uint32_t a = add_vert(g, p->k, fc->node, V_AIN);
            g->v.items[a].call = ci;
            g->vstr.items[a] = own(g, pith_xstrndup(fc->callee, (size_t)(dot - fc->callee)));
        }
        for (size_t i = 0; i < fc->n_args; i++) {
            uint32_t m = bind.items[p->bind + i];
            if (m == UINT32_MAX)
                continue;
            const Pith__IrArgUses *a = fc->args[i];
            uint32_t v = add_vert(g, p->k, fc->node, V_AIN);
            g->v.items[v].call = ci;
            g->v.items[v].param = m;
            /* the argument's uses, joined with '\n' so one pointer holds them */
            size_t len = 1;
            for (size_t u = 0; u < a->n_uses; u++)
                len += strlen(a->uses[u]) + 1;
            char *s = pith_xmalloc(len), *q = s;
            for (size_t u = 0; u < a->n_uses; u++) {
                size_t l = strlen(a->uses[u]);
                memcpy(q, a->uses[u], l);
                q += l;
                *q++ = '\n';
            }
            *q = '\0';
            g->vstr.items[v] = own(g, s);
        }
        rc.ain_count = (uint32_t)g->v.count - rc.ain_first;
        rc.aout_first = add_vert(g, p->k, fc->node, V_AOUT);
        g->v.items[rc.aout_first].call = ci;
        for (size_t i = 0; i < fc->n_args; i++) {
            uint32_t m = bind.items[p->bind + i];
            const Pith__IrArgUses *a = fc->args[i];
            if (m == UINT32_MAX || m >= cf->n_params || !a->path || !a->path[0])
                continue;
            if (!a->addr && !(outp[p->q] & param_bit(m)))
                continue; /* f(p) where f writes nothing through p */
            uint32_t v = add_vert(g, p->k, fc->node, V_AOUT);
            g->v.items[v].call = ci;
            g->v.items[v].param = 1 + m;
            size_t l = strlen(a->path);
            char *s = pith_xmalloc(l + 2);
            s[0] = '*';
            memcpy(s + 1, a->path, l + 1);
            g->vstr.items[v] = own(g, a->addr ? pith_xstrdup(a->path) : s);
            if (a->addr)
                free(s);
            g->fout[g->soff[p->q] + 1 + m] = UINT32_MAX; /* wanted; made below */
        }
        rc.aout_count = (uint32_t)g->v.count - rc.aout_first;
        pith_vec_push(&g->rc, rc);
    }
    for (size_t k = 0; k < n; k++) {
        for (size_t o = 1; o < g->soff[k + 1] - g->soff[k]; o++) {
            uint32_t *fo = &g->fout[g->soff[k] + o];
            if (*fo) {
                *fo = add_vert(g, (uint32_t)k, 2, V_FOUT);
                g->v.items[*fo].param = (uint32_t)o;
            }
        }
    }
    free(outp);
    g->rc_at = pith_xcalloc(g->v.count + 1, sizeof *g->rc_at);
    for (size_t r = g->rc.count; r-- > 0;) {
        const struct rcall *rc = &g->rc.items[r];
        g->rc_at[g->base[rc->proc] - 1 + rc->node] = (uint32_t)r + 1;
    }
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
            /* sources: the out-parameters' actual-outs that define the variable, else the
             * def node and its calls' returned values; targets: the arguments that read the
             * variable at a call, else the use node */
            uint32_t src[9], tgt[9];
            size_t ns = 0, nt = 0;
            for (uint32_t r = g->rc_at[b + d->def]; r; r++) {
                const struct rcall *rc = &g->rc.items[r - 1];
                if (r - 1 >= g->rc.count || rc->proc != k || rc->node != d->def)
                    break;
                for (uint32_t a = 1; a < rc->aout_count && ns < 9; a++) {
                    uint32_t av = rc->aout_first + a;
                    if (use_hits(d->var, g->vstr.items[av]))
                        src[ns++] = av;
                }
            }
            if (!ns) {
                src[ns++] = b + d->def;
                for (uint32_t r = g->rc_at[b + d->def]; r && ns < 9; r++) {
                    const struct rcall *rc = &g->rc.items[r - 1];
                    if (r - 1 >= g->rc.count || rc->proc != k || rc->node != d->def)
                        break;
                    src[ns++] = rc->aout_first;
                }
            }
            for (uint32_t r = g->rc_at[b + d->use]; r; r++) {
                const struct rcall *rc = &g->rc.items[r - 1];
                if (r - 1 >= g->rc.count || rc->proc != k || rc->node != d->use)
                    break;
                for (uint32_t a = 0; a < rc->ain_count && nt < 9; a++) {
                    uint32_t av = rc->ain_first + a;
                    if (g->vstr.items[av] && in_list(g->vstr.items[av], d->var))
                        tgt[nt++] = av;
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
    /* out-parameters: uses after f(p), formal-outs' definitions */
    uint8_t *seen = pith_xcalloc(maxn + 1, 1);
    uint32_t *stack = pith_xmalloc((maxn + 1) * sizeof *stack);
    for (size_t k = 0; k < n; k++) {
        const Pith__FunctionFlow *f = procs[k].flow;
        if (!f)
            continue;
        size_t *sf = NULL, *pf = NULL;
        uint32_t *succ = NULL, *pred = NULL;
        for (size_t r = 0; r < g->rc.count; r++) {
            const struct rcall *rc = &g->rc.items[r];
            if (rc->proc != k)
                continue;
            for (uint32_t a = 1; a < rc->aout_count; a++) {
                uint32_t av = rc->aout_first + a;
                const char *ov = g->vstr.items[av];
                if (ov[0] != '*')
                    continue; /* f(&v): the stored chains of v's may-write */
                if (!sf)
                    cfg_csr(f, 0, &sf, &succ);
                out_uses(g, k, rc->node, av, ov, sf, succ, seen, stack);
            }
        }
        for (size_t p = 0; p < f->n_params; p++) {
            uint32_t fo = g->fout[g->soff[k] + 1 + p];
            if (!fo)
                continue;
            if (!pf)
                cfg_csr(f, 1, &pf, &pred);
            fout_defs(g, k, (uint32_t)p, fo, pf, pred, seen, stack);
        }
        free(sf);
        free(succ);
        free(pf);
        free(pred);
    }
    free(seen);
    free(stack);
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
        for (uint32_t a = 0; a < rc->aout_count; a++) {
            uint32_t av = rc->aout_first + a;
            add_edge(g, u, av, E_INTRA, NULL);
            if (a)
                add_edge(g, g->fout[g->soff[rc->callee] + g->v.items[av].param], av, E_PARAM_OUT,
                         NULL);
        }
        /* return f(x): the returned value is the call's result */
        if (is_return(procs[rc->proc].flow->nodes[rc->node - 1]))
            add_edge(g, rc->aout_first, u, E_INTRA, NULL);
        add_edge(g, u, cb + 1, E_CALL, NULL);
        for (size_t i = 0; i < cf->n_nodes; i++) {
            if (is_return(cf->nodes[i]))
                add_edge(g, cb + (uint32_t)i + 1, rc->aout_first, E_PARAM_OUT, NULL);
        }
    }
    pith_vec_release(&pd);
    pith_vec_release(&bind);
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
}

static void sdg_free(struct sdg *g)
{
    free(g->base);
    pith_vec_release(&g->v);
    pith_vec_release(&g->e);
    pith_vec_release(&g->rc);
    for (size_t i = 0; i < g->owned.count; i++)
        free((void *)g->owned.items[i]);
    pith_vec_release(&g->owned);
    pith_vec_release(&g->vstr);
    free(g->rc_at);
    free(g->ffirst);
    free(g->bfirst);
    free(g->fe);
    free(g->be);
    free(g->soff);
    free(g->sum);
    free(g->fout);
}

/* S[callee of aout's call][aout's output] */
static uint64_t summary(const struct sdg *g, const struct vert *aout)
{
    const struct rcall *rc = &g->rc.items[aout->call];
    return g->sum[g->soff[rc->callee] + aout->param];
}

/* Summaries: S[p][o] for every procedure and output, least fixpoint. `seen` is all zero on
 * entry and on return (only the vertices a search touched are cleared). */
static void summaries(struct sdg *g, uint32_t *stack, uint8_t *seen)
{
    PITH_VEC(uint32_t) touched = { 0 };
    int changed = 1;
    for (int round = 0; changed && round < 1000; round++) {
        changed = 0;
        for (size_t k = 0; k < g->n_procs; k++) {
            const Pith__FunctionFlow *f = g->procs[k].flow;
            if (!f)
                continue;
            uint32_t b = g->base[k] - 1;
            for (size_t o = 0; o <= f->n_params; o++) {
                size_t sp = 0;
                if (o == 0) {
                    for (size_t i = 0; i < f->n_nodes; i++) {
                        if (is_return(f->nodes[i])) {
                            stack[sp++] = b + (uint32_t)i + 1;
                            seen[b + i + 1] = 1;
                            pith_vec_push(&touched, b + (uint32_t)i + 1);
                        }
                    }
                } else {
                    uint32_t fo = g->fout[g->soff[k] + o];
                    if (!fo)
                        continue;
                    stack[sp++] = fo;
                    seen[fo] = 1;
                    pith_vec_push(&touched, fo);
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
                        pith_vec_push(&touched, e->src);
                        stack[sp++] = e->src;
                    }
                    if (vv->kind == V_AOUT) { /* summary: aout <- ains whose param reaches */
                        const struct rcall *rc = &g->rc.items[vv->call];
                        uint64_t s = summary(g, vv);
                        for (uint32_t a = 0; a < rc->ain_count; a++) {
                            uint32_t av = rc->ain_first + a;
                            if ((s & param_bit(g->v.items[av].param)) && !seen[av]) {
                                seen[av] = 1;
                                pith_vec_push(&touched, av);
                                stack[sp++] = av;
                            }
                        }
                    }
                }
                for (size_t t = 0; t < touched.count; t++)
                    seen[touched.items[t]] = 0;
                touched.count = 0;
                uint64_t *dst = &g->sum[g->soff[k] + o];
                if ((r | *dst) != *dst) {
                    *dst |= r;
                    changed = 1;
                }
            }
        }
    }
    pith_vec_release(&touched);
}

/* One traversal phase from the vertices on the stack: follows the edges whose kind bit is in
 * `kinds`, backward or forward, plus summaries. */
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
            uint64_t s = summary(g, vv);
            for (uint32_t a = 0; a < rc->ain_count; a++) {
                uint32_t av = rc->ain_first + a;
                if ((s & param_bit(g->v.items[av].param)) && !mark[av]) {
                    mark[av] = 1;
                    stack[sp++] = av;
                }
            }
        }
        if (forward && vv->kind == V_AIN) {
            const struct rcall *rc = &g->rc.items[vv->call];
            for (uint32_t a = 0; a < rc->aout_count; a++) {
                uint32_t ao = rc->aout_first + a;
                if ((summary(g, &g->v.items[ao]) & param_bit(vv->param)) && !mark[ao]) {
                    mark[ao] = 1;
                    stack[sp++] = ao;
                }
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
        /* phase 2 from everything phase 1 marked; with --var not from the seeds again (their
         * first step kept only var's edges) */
        uint8_t *seed = pith_xcalloc(nv + 1, 1);
        for (size_t s = 0; var && s < nseeds; s++)
            seed[g.base[start] - 1 + seeds.items[s]] = 1;
        sp = 0;
        for (uint32_t v = 1; v < nv; v++) {
            if (mark[v] && !seed[v])
                stack[sp++] = v;
        }
        free(seed);
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
