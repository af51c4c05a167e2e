/* Control-flow graph of one function over the statement IR (flow_int.h), basic blocks and
 * complexity. Nodes are statements and condition operands; edges are typed:
 *
 *   ENTRY -> PARAM.. -> s1 -> [if c] -T-> s2 --> s4 -> ... -> EXIT
 *                              \--F-> s3 -/
 *
 * Structured statements are built recursively with a list of pending edges (node, kind) that
 * the next node receives; break/continue/return/raise walk a context stack (loops, switches,
 * try bodies, finally blocks). A finally block is built once: every jump that crosses it
 * enters it, and its end leaves by FINALLY edges to each kind of pending target. */
#include "flow_int.h"

#include "common/err.h"

#include <string.h>

struct pend {
    uint32_t node, kind;
};
typedef PITH_VEC(struct pend) pendvec;

enum ctx_kind { CTX_LOOP, CTX_SWITCH, CTX_TRY, CTX_FINALLY };
enum { JUMP_RETURN = 1, JUMP_BREAK = 2, JUMP_CONTINUE = 4, JUMP_RAISE = 8 };

struct ctx {
    enum ctx_kind kind;
    uint32_t head;  /* loop: continue target (0: not built yet, do-while) */
    pendvec breaks; /* loop/switch: break edges; try: exception edges; finally: jumps in */
    pendvec conts;  /* loop without head yet: continue edges */
    unsigned jumps; /* finally: JUMP_* kinds that entered */
};

struct label {
    const char *name;
    uint32_t node;
};

struct builder {
    struct flow *f;
    const Pith__FunctionIr *ir;
    PITH_VEC(struct ctx) ctx;
    PITH_VEC(struct label) labels;
    PITH_VEC(struct label) gotos;
};

static uint32_t node_new(struct builder *b, uint32_t kind, const Pith__IrStmt *s, const char *text)
{
    struct flow_node n = { 0 };
    n.kind = kind;
    n.text = text;
    if (s) {
        n.line = s->line;
        n.end_line = s->end_line;
        n.defs = s->defs;
        n.n_defs = s->n_defs;
        n.uses = s->uses;
        n.n_uses = s->n_uses;
    }
    pith_vec_push(&b->f->nodes, n);
    return (uint32_t)b->f->nodes.count - 1;
}

/* Appends `name` to node n's defs (def) or uses: the pseudo-variable FLOW_EXCEPTION. */
static void node_add_var(struct builder *b, uint32_t n, int def, const char *name)
{
    struct flow_node *fn = &b->f->nodes.items[n];
    char ***vars = def ? &fn->defs : &fn->uses;
    size_t *count = def ? &fn->n_defs : &fn->n_uses;
    char **v = pith_arena_alloc(b->f->a, (*count + 1) * sizeof *v);
    if (*count)
        memcpy(v, *vars, *count * sizeof *v);
    v[(*count)++] = (char *)name;
    *vars = v;
}

static void edge(struct builder *b, uint32_t src, uint32_t dst, uint32_t kind)
{
    struct flow_edge e = { src, dst, kind };
    pith_vec_push(&b->f->edges, e);
}

/* Connects every pending edge to `dst` (FALL edges become `fall_kind`) and empties `p`. */
static void connect(struct builder *b, pendvec *p, uint32_t dst, uint32_t fall_kind)
{
    for (size_t i = 0; i < p->count; i++) {
        uint32_t k = p->items[i].kind;
        edge(b, p->items[i].node, dst, k == PITH__FLOW_EDGE_KIND__FEDGE_FALL ? fall_kind : k);
    }
    p->count = 0;
}

static void pend_add(pendvec *p, uint32_t node, uint32_t kind)
{
    struct pend x = { node, kind };
    pith_vec_push(p, x);
}

static void pend_move(pendvec *dst, pendvec *src)
{
    for (size_t i = 0; i < src->count; i++)
        pith_vec_push(dst, src->items[i]);
    src->count = 0;
}

static const Pith__IrStmt *st(struct builder *b, uint32_t id)
{
    if (id == 0 || id > b->ir->n_stmts)
        return NULL;
    return b->ir->stmts[id - 1];
}

/* Routes the edges in `p` (emptied) as a jump of kind `jump` from the innermost context. */
static void route(struct builder *b, pendvec *p, unsigned jump)
{
    for (size_t i = b->ctx.count; i-- > 0;) {
        struct ctx *c = &b->ctx.items[i];
        if (c->kind == CTX_FINALLY) {
            c->jumps |= jump;
            pend_move(&c->breaks, p);
            return;
        }
        if (c->kind == CTX_TRY && jump == JUMP_RAISE) {
            pend_move(&c->breaks, p);
            return;
        }
        if ((c->kind == CTX_LOOP || c->kind == CTX_SWITCH) && jump == JUMP_BREAK) {
            pend_move(&c->breaks, p);
            return;
        }
        if (c->kind == CTX_LOOP && jump == JUMP_CONTINUE) {
            if (c->head)
                connect(b, p, c->head, PITH__FLOW_EDGE_KIND__FEDGE_BACK);
            else
                pend_move(&c->conts, p);
            return;
        }
    }
    /* out of the function: return, raise; a stray break/continue ends it too */
    connect(b, p, FLOW_EXIT,
            jump == JUMP_RAISE ? PITH__FLOW_EDGE_KIND__FEDGE_EXCEPT
                               : PITH__FLOW_EDGE_KIND__FEDGE_FALL);
}

static int in_try(struct builder *b)
{
    for (size_t i = 0; i < b->ctx.count; i++) {
        if (b->ctx.items[i].kind == CTX_TRY || b->ctx.items[i].kind == CTX_FINALLY)
            return 1;
    }
    return 0;
}

/* A statement that may raise (a call) inside a try: an EXCEPT edge to the handlers. */
static void may_raise(struct builder *b, uint32_t node, const Pith__IrStmt *s)
{
    if (!s || s->n_calls == 0 || !in_try(b))
        return;
    pendvec p = { 0 };
    pend_add(&p, node, PITH__FLOW_EDGE_KIND__FEDGE_EXCEPT);
    route(b, &p, JUMP_RAISE);
    pith_vec_release(&p);
}

static void seq(struct builder *b, const uint32_t *ids, size_t n, pendvec *p, int depth);

/* Condition tree `id` entered from `p` (emptied): true and false exits. */
static void cond(struct builder *b, uint32_t id, pendvec *p, pendvec *t, pendvec *fl, int depth)
{
    const Pith__IrStmt *s = st(b, id);
    if (s && depth < 400 && (s->op == PITH__IR_OP__IR_AND || s->op == PITH__IR_OP__IR_OR) &&
        s->n_kids) {
        int is_and = s->op == PITH__IR_OP__IR_AND;
        pendvec cur = { 0 };
        pend_move(&cur, p);
        for (size_t i = 0; i < s->n_kids; i++) {
            pendvec kt = { 0 }, kf = { 0 };
            cond(b, s->kids[i], &cur, &kt, &kf, depth + 1);
            if (is_and) {
                pend_move(fl, &kf);
                pend_move(&cur, &kt);
            } else {
                pend_move(t, &kt);
                pend_move(&cur, &kf);
            }
            pith_vec_release(&kt);
            pith_vec_release(&kf);
        }
        pend_move(is_and ? t : fl, &cur);
        pith_vec_release(&cur);
        return;
    }
    if (s && depth < 400 && s->op == PITH__IR_OP__IR_NOT && s->n_kids == 1) {
        cond(b, s->kids[0], p, fl, t, depth + 1);
        return;
    }
    uint32_t n = node_new(b, PITH__FLOW_NODE_KIND__FLOW_COND, s, "test");
    b->f->nodes.items[n].ir = id;
    connect(b, p, n, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
    may_raise(b, n, s);
    pend_add(t, n, PITH__FLOW_EDGE_KIND__FEDGE_TRUE);
    pend_add(fl, n, PITH__FLOW_EDGE_KIND__FEDGE_FALSE);
}

/* The condition of compound statement `s`: its tree, or one node for the statement itself. */
static uint32_t header_cond(struct builder *b,
                            const Pith__IrStmt *s,
                            uint32_t sid,
                            pendvec *p,
                            pendvec *t,
                            pendvec *fl,
                            const char *text)
{
    uint32_t first = (uint32_t)b->f->nodes.count;
    if (s->cond && st(b, s->cond)) {
        cond(b, s->cond, p, t, fl, 0);
    } else {
        uint32_t n = node_new(b, PITH__FLOW_NODE_KIND__FLOW_COND, s, text);
        b->f->nodes.items[n].ir = sid;
        connect(b, p, n, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
        pend_add(t, n, PITH__FLOW_EDGE_KIND__FEDGE_TRUE);
        pend_add(fl, n, PITH__FLOW_EDGE_KIND__FEDGE_FALSE);
    }
    if (first < b->f->nodes.count)
        b->f->nodes.items[first].text = text;
    return first;
}

static void push_ctx(struct builder *b, enum ctx_kind k, uint32_t head)
{
    struct ctx c = { 0 };
    c.kind = k;
    c.head = head;
    pith_vec_push(&b->ctx, c);
}

static struct ctx pop_ctx(struct builder *b)
{
    return b->ctx.items[--b->ctx.count];
}

static void ctx_release(struct ctx *c)
{
    pith_vec_release(&c->breaks);
    pith_vec_release(&c->conts);
}

static void one(struct builder *b, uint32_t id, pendvec *p, int depth)
{
    const Pith__IrStmt *s = st(b, id);
    if (!s)
        return;
    if (depth > 400) { /* pathological nesting: the rest is one statement */
        uint32_t n = node_new(b, PITH__FLOW_NODE_KIND__FLOW_STMT, s, "stmt");
        b->f->nodes.items[n].ir = id;
        connect(b, p, n, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
        pend_add(p, n, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
        return;
    }
    pendvec t = { 0 }, fl = { 0 };
    switch (s->op) {
    case PITH__IR_OP__IR_IF: {
        header_cond(b, s, id, p, &t, &fl, s->is_expr ? "ifexp" : "if");
        seq(b, s->body, s->n_body, &t, depth + 1);
        seq(b, s->orelse, s->n_orelse, &fl, depth + 1);
        pend_move(p, &t);
        pend_move(p, &fl);
        break;
    }
    case PITH__IR_OP__IR_WHILE:
    case PITH__IR_OP__IR_FOR: {
        int is_for = s->op == PITH__IR_OP__IR_FOR;
        uint32_t head;
        if (is_for && !s->cond) { /* Python for, C++ range-for, C for without a condition */
            head = node_new(b, PITH__FLOW_NODE_KIND__FLOW_COND, s, "for");
            b->f->nodes.items[head].ir = id;
            connect(b, p, head, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
            may_raise(b, head, s);
            pend_add(&t, head, PITH__FLOW_EDGE_KIND__FEDGE_TRUE);
            pend_add(&fl, head, PITH__FLOW_EDGE_KIND__FEDGE_FALSE);
        } else {
            head = header_cond(b, s, id, p, &t, &fl, is_for ? "for" : "while");
        }
        /* C for: continue goes to the update statements, which go back to the condition */
        push_ctx(b, CTX_LOOP, s->n_update ? 0 : head);
        seq(b, s->body, s->n_body, &t, depth + 1);
        struct ctx c = pop_ctx(b);
        if (s->n_update) {
            pend_move(&t, &c.conts);
            seq(b, s->update, s->n_update, &t, depth + 1);
        }
        connect(b, &t, head, PITH__FLOW_EDGE_KIND__FEDGE_BACK);
        seq(b, s->orelse, s->n_orelse, &fl, depth + 1);
        pend_move(p, &fl);
        pend_move(p, &c.breaks);
        ctx_release(&c);
        break;
    }
    case PITH__IR_OP__IR_DO_WHILE: {
        uint32_t first = (uint32_t)b->f->nodes.count;
        push_ctx(b, CTX_LOOP, 0);
        seq(b, s->body, s->n_body, p, depth + 1);
        struct ctx c = pop_ctx(b);
        pend_move(p, &c.conts);
        uint32_t head = header_cond(b, s, id, p, &t, &fl, "do-while");
        uint32_t top = first < head ? first : head;
        connect(b, &t, top, PITH__FLOW_EDGE_KIND__FEDGE_BACK);
        pend_move(p, &fl);
        pend_move(p, &c.breaks);
        ctx_release(&c);
        break;
    }
    case PITH__IR_OP__IR_BREAK:
    case PITH__IR_OP__IR_CONTINUE:
    case PITH__IR_OP__IR_RETURN:
    case PITH__IR_OP__IR_RAISE: {
        static const char *const names[] = { [PITH__IR_OP__IR_BREAK] = "break",
                                             [PITH__IR_OP__IR_CONTINUE] = "continue",
                                             [PITH__IR_OP__IR_RETURN] = "return",
                                             [PITH__IR_OP__IR_RAISE] = "raise" };
        uint32_t n = node_new(b, PITH__FLOW_NODE_KIND__FLOW_STMT, s, names[s->op]);
        b->f->nodes.items[n].ir = id;
        connect(b, p, n, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
        if (s->op == PITH__IR_OP__IR_RETURN)
            may_raise(b, n, s);
        unsigned jump = s->op == PITH__IR_OP__IR_BREAK      ? JUMP_BREAK
                        : s->op == PITH__IR_OP__IR_CONTINUE ? JUMP_CONTINUE
                        : s->op == PITH__IR_OP__IR_RETURN   ? JUMP_RETURN
                                                            : JUMP_RAISE;
        if (jump == JUMP_RAISE) /* the thrown value reaches the handler that binds it */
            node_add_var(b, n, 1, FLOW_EXCEPTION);
        pend_add(&t, n,
                 jump == JUMP_RAISE ? PITH__FLOW_EDGE_KIND__FEDGE_EXCEPT
                                    : PITH__FLOW_EDGE_KIND__FEDGE_FALL);
        route(b, &t, jump);
        break;
    }
    case PITH__IR_OP__IR_TRY: {
        int has_fin = s->n_finalbody > 0;
        if (has_fin)
            push_ctx(b, CTX_FINALLY, 0);
        if (s->n_handlers)
            push_ctx(b, CTX_TRY, 0);
        uint32_t tn = node_new(b, PITH__FLOW_NODE_KIND__FLOW_STMT, s, "try");
        b->f->nodes.items[tn].ir = id;
        connect(b, p, tn, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
        pend_add(p, tn, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
        seq(b, s->body, s->n_body, p, depth + 1);
        pendvec exc = { 0 };
        if (s->n_handlers) {
            struct ctx c = pop_ctx(b);
            pend_move(&exc, &c.breaks);
            ctx_release(&c);
        }
        seq(b, s->orelse, s->n_orelse, p, depth + 1);
        /* handlers: a chain of tests, each true into its body */
        for (size_t i = 0; i < s->n_handlers; i++) {
            const Pith__IrStmt *h = st(b, s->handlers[i]);
            if (!h)
                continue;
            uint32_t hn = node_new(b, PITH__FLOW_NODE_KIND__FLOW_COND, h, "except");
            b->f->nodes.items[hn].ir = s->handlers[i];
            node_add_var(b, hn, 0, FLOW_EXCEPTION);
            connect(b, &exc, hn, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
            pendvec hb = { 0 };
            pend_add(&hb, hn, PITH__FLOW_EDGE_KIND__FEDGE_TRUE);
            seq(b, h->body, h->n_body, &hb, depth + 1);
            pend_move(p, &hb);
            pith_vec_release(&hb);
            if (!h->is_default)
                pend_add(&exc, hn, PITH__FLOW_EDGE_KIND__FEDGE_FALSE);
        }
        /* no handler matched: the exception goes on */
        if (exc.count)
            route(b, &exc, JUMP_RAISE);
        pith_vec_release(&exc);
        if (has_fin) {
            struct ctx c = pop_ctx(b);
            const Pith__IrStmt *f0 = st(b, s->finalbody[0]);
            uint32_t jn = node_new(b, PITH__FLOW_NODE_KIND__FLOW_JOIN, NULL, "finally");
            b->f->nodes.items[jn].line = f0 ? f0->line : s->line;
            b->f->nodes.items[jn].end_line = b->f->nodes.items[jn].line;
            connect(b, p, jn, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
            connect(b, &c.breaks, jn, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
            pend_add(p, jn, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
            seq(b, s->finalbody, s->n_finalbody, p, depth + 1);
            static const unsigned kinds[] = { JUMP_RETURN, JUMP_BREAK, JUMP_CONTINUE, JUMP_RAISE };
            for (size_t k = 0; k < 4; k++) {
                if (!(c.jumps & kinds[k]))
                    continue;
                pendvec j = { 0 };
                for (size_t i = 0; i < p->count; i++)
                    pend_add(&j, p->items[i].node, PITH__FLOW_EDGE_KIND__FEDGE_FINALLY);
                route(b, &j, kinds[k]);
                pith_vec_release(&j);
            }
            ctx_release(&c);
        }
        break;
    }
    case PITH__IR_OP__IR_WITH: {
        uint32_t n = node_new(b, PITH__FLOW_NODE_KIND__FLOW_STMT, s, "with");
        b->f->nodes.items[n].ir = id;
        connect(b, p, n, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
        may_raise(b, n, s);
        pend_add(p, n, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
        seq(b, s->body, s->n_body, p, depth + 1);
        break;
    }
    case PITH__IR_OP__IR_MATCH:
    case PITH__IR_OP__IR_SWITCH: {
        int is_switch = s->op == PITH__IR_OP__IR_SWITCH;
        uint32_t n =
            node_new(b, PITH__FLOW_NODE_KIND__FLOW_COND, s, is_switch ? "switch" : "match");
        b->f->nodes.items[n].ir = id;
        connect(b, p, n, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
        may_raise(b, n, s);
        pendvec next = { 0 }, out = { 0 }, fall = { 0 };
        int has_default = 0;
        if (is_switch)
            push_ctx(b, CTX_SWITCH, 0);
        else
            pend_add(&next, n, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
        for (size_t i = 0; i < s->n_handlers; i++) {
            const Pith__IrStmt *cs = st(b, s->handlers[i]);
            if (!cs)
                continue;
            uint32_t cn = node_new(b, PITH__FLOW_NODE_KIND__FLOW_COND, cs, "case");
            b->f->nodes.items[cn].ir = s->handlers[i];
            pendvec body = { 0 };
            if (is_switch) {
                edge(b, n, cn, PITH__FLOW_EDGE_KIND__FEDGE_CASE);
                connect(b, &fall, cn, PITH__FLOW_EDGE_KIND__FEDGE_FALL); /* fall-through */
                pend_add(&body, cn, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
                has_default |= cs->is_default;
                seq(b, cs->body, cs->n_body, &body, depth + 1);
                pend_move(&fall, &body);
            } else {
                connect(b, &next, cn, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
                pendvec gt = { 0 }, gf = { 0 };
                pend_add(&gt, cn, PITH__FLOW_EDGE_KIND__FEDGE_TRUE);
                if (!cs->is_default)
                    pend_add(&next, cn, PITH__FLOW_EDGE_KIND__FEDGE_FALSE);
                if (cs->cond) {
                    cond(b, cs->cond, &gt, &body, &gf, 0);
                    pend_move(&next, &gf);
                } else {
                    pend_move(&body, &gt);
                }
                seq(b, cs->body, cs->n_body, &body, depth + 1);
                pend_move(&out, &body);
                pith_vec_release(&gt);
                pith_vec_release(&gf);
            }
            pith_vec_release(&body);
        }
        if (is_switch) {
            struct ctx c = pop_ctx(b);
            pend_move(p, &fall);
            pend_move(p, &c.breaks);
            if (!has_default)
                pend_add(p, n, PITH__FLOW_EDGE_KIND__FEDGE_FALSE);
            ctx_release(&c);
        } else {
            pend_move(p, &out);
            pend_move(p, &next);
        }
        pith_vec_release(&next);
        pith_vec_release(&out);
        pith_vec_release(&fall);
        break;
    }
    case PITH__IR_OP__IR_GOTO:
    case PITH__IR_OP__IR_LABEL: {
        int is_goto = s->op == PITH__IR_OP__IR_GOTO;
        uint32_t n = node_new(b, PITH__FLOW_NODE_KIND__FLOW_STMT, s, is_goto ? "goto" : "label");
        b->f->nodes.items[n].ir = id;
        connect(b, p, n, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
        struct label l = { s->label ? s->label : "", n };
        if (is_goto)
            pith_vec_push(&b->gotos, l);
        else {
            pith_vec_push(&b->labels, l);
            pend_add(p, n, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
        }
        break;
    }
    default: {
        uint32_t n = node_new(b, PITH__FLOW_NODE_KIND__FLOW_STMT, s,
                              s->op == PITH__IR_OP__IR_DEF ? "def" : "stmt");
        b->f->nodes.items[n].ir = id;
        connect(b, p, n, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
        may_raise(b, n, s);
        pend_add(p, n, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
        break;
    }
    }
    pith_vec_release(&t);
    pith_vec_release(&fl);
}

static void seq(struct builder *b, const uint32_t *ids, size_t n, pendvec *p, int depth)
{
    for (size_t i = 0; i < n; i++)
        one(b, ids[i], p, depth);
}

/* ---- python3-mccabe's count (mccabe 0.7 PathGraphingAstVisitor) --------------------------
 * 1 + per if/elif: 1, per for/while: 1 (loop else adds nothing), per try: 1 + its except
 * clauses (with or without else/finally; the finally block is not visited), with: its body,
 * a nested def: its own count (closures are inlined into the enclosing graph), a nested
 * class: the count of its body (its methods are closures of the enclosing graph too); boolean
 * operators, conditional expressions, comprehensions and match statements count nothing. */
static uint32_t mccabe_list(const Pith__FunctionIr *ir,
                            const uint32_t *ids,
                            size_t n,
                            Pith__FunctionIr *const *bodies,
                            size_t nbodies,
                            int depth)
{
    uint32_t c = 0;
    if (depth > 400)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] == 0 || ids[i] > ir->n_stmts)
            continue;
        const Pith__IrStmt *s = ir->stmts[ids[i] - 1];
        switch (s->op) {
        case PITH__IR_OP__IR_IF:
            if (s->is_expr)
                break;
            c += 1;
            c += mccabe_list(ir, s->body, s->n_body, bodies, nbodies, depth + 1);
            c += mccabe_list(ir, s->orelse, s->n_orelse, bodies, nbodies, depth + 1);
            break;
        case PITH__IR_OP__IR_WHILE:
        case PITH__IR_OP__IR_FOR:
            c += 1;
            c += mccabe_list(ir, s->body, s->n_body, bodies, nbodies, depth + 1);
            c += mccabe_list(ir, s->orelse, s->n_orelse, bodies, nbodies, depth + 1);
            break;
        case PITH__IR_OP__IR_TRY:
            c += 1 + (uint32_t)s->n_handlers;
            c += mccabe_list(ir, s->body, s->n_body, bodies, nbodies, depth + 1);
            for (size_t h = 0; h < s->n_handlers; h++) {
                if (s->handlers[h] == 0 || s->handlers[h] > ir->n_stmts)
                    continue;
                const Pith__IrStmt *hs = ir->stmts[s->handlers[h] - 1];
                c += mccabe_list(ir, hs->body, hs->n_body, bodies, nbodies, depth + 1);
            }
            c += mccabe_list(ir, s->orelse, s->n_orelse, bodies, nbodies, depth + 1);
            break;
        case PITH__IR_OP__IR_WITH:
            c += mccabe_list(ir, s->body, s->n_body, bodies, nbodies, depth + 1);
            break;
        case PITH__IR_OP__IR_DEF:
            if (s->func && s->func <= nbodies) {
                const Pith__FunctionIr *nf = bodies[s->func - 1];
                c += 1 + mccabe_list(nf, nf->body, nf->n_body, bodies, nbodies, depth + 1);
            }
            /* a class body (methods, statements) is visited in the enclosing graph */
            c += mccabe_list(ir, s->body, s->n_body, bodies, nbodies, depth + 1);
            break;
        default:
            break;
        }
    }
    return c;
}

uint32_t cfg_mccabe(const Pith__FunctionIr *ir, Pith__FunctionIr *const *bodies, size_t nbodies)
{
    return 1 + mccabe_list(ir, ir->body, ir->n_body, bodies, nbodies, 0);
}

/* ---- blocks and the whole build ----------------------------------------------------------- */

void flow_release(struct flow *f)
{
    pith_vec_release(&f->nodes);
    pith_vec_release(&f->edges);
    pith_vec_release(&f->params);
    pith_vec_release(&f->calls);
    pith_vec_release(&f->du);
    pith_vec_release(&f->cd);
}

static int cmp_edge(const void *x, const void *y)
{
    const struct flow_edge *a = x, *b = y;
    if (a->src != b->src)
        return a->src < b->src ? -1 : 1;
    if (a->dst != b->dst)
        return a->dst < b->dst ? -1 : 1;
    return a->kind < b->kind ? -1 : a->kind > b->kind;
}

void cfg_build(struct flow *f,
               struct pith_arena *a,
               const Pith__FunctionIr *ir,
               Pith__FunctionIr *const *bodies,
               size_t nbodies)
{
    memset(f, 0, sizeof *f);
    f->ir = ir;
    f->a = a;
    struct builder b = { .f = f, .ir = ir };
    struct flow_node zero = { 0 };
    pith_vec_push(&f->nodes, zero);
    uint32_t entry = node_new(&b, PITH__FLOW_NODE_KIND__FLOW_ENTRY, NULL, "entry");
    uint32_t exit_ = node_new(&b, PITH__FLOW_NODE_KIND__FLOW_EXIT, NULL, "exit");
    f->nodes.items[entry].line = f->nodes.items[exit_].line = ir->line;
    f->nodes.items[entry].end_line = f->nodes.items[exit_].end_line = ir->line;
    pendvec p = { 0 };
    pend_add(&p, entry, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
    for (size_t i = 0; i < ir->n_params; i++) {
        uint32_t n = node_new(&b, PITH__FLOW_NODE_KIND__FLOW_PARAM, NULL, ir->params[i]);
        struct flow_node *fn = &f->nodes.items[n];
        fn->line = fn->end_line = ir->line;
        fn->defs = &ir->params[i];
        fn->n_defs = 1;
        connect(&b, &p, n, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
        pend_add(&p, n, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
        pith_vec_push(&f->params, n);
    }
    seq(&b, ir->body, ir->n_body, &p, 0);
    connect(&b, &p, exit_, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
    for (size_t i = 0; i < b.gotos.count; i++) {
        uint32_t dst = exit_;
        for (size_t k = 0; k < b.labels.count; k++) {
            if (strcmp(b.labels.items[k].name, b.gotos.items[i].name) == 0)
                dst = b.labels.items[k].node;
        }
        edge(&b, b.gotos.items[i].node, dst, PITH__FLOW_EDGE_KIND__FEDGE_FALL);
    }
    pith_vec_release(&p);
    pith_vec_release(&b.ctx);
    pith_vec_release(&b.labels);
    pith_vec_release(&b.gotos);
    /* duplicate edges (a finally reached twice the same way) collapse */
    if (f->edges.count > 1)
        qsort(f->edges.items, f->edges.count, sizeof *f->edges.items, cmp_edge);
    size_t k = 0;
    for (size_t i = 0; i < f->edges.count; i++) {
        if (k && cmp_edge(&f->edges.items[k - 1], &f->edges.items[i]) == 0)
            continue;
        f->edges.items[k++] = f->edges.items[i];
    }
    f->edges.count = k;

    /* reachable nodes, in and out degrees */
    size_t nn = f->nodes.count;
    uint32_t *indeg = pith_xcalloc(nn, sizeof *indeg), *outdeg = pith_xcalloc(nn, sizeof *outdeg);
    uint8_t *reach = pith_xcalloc(nn, 1);
    uint32_t *stack = pith_xmalloc(nn * sizeof *stack);
    size_t *first = pith_xcalloc(nn + 1, sizeof *first);
    for (size_t i = 0; i < f->edges.count; i++)
        first[f->edges.items[i].src + 1]++;
    for (size_t i = 0; i < nn; i++)
        first[i + 1] += first[i];
    size_t sp = 0;
    stack[sp++] = entry;
    reach[entry] = 1;
    while (sp) {
        uint32_t n = stack[--sp];
        for (size_t e = first[n]; e < first[n + 1]; e++) {
            uint32_t d = f->edges.items[e].dst;
            if (!reach[d]) {
                reach[d] = 1;
                stack[sp++] = d;
            }
        }
    }
    size_t rn = 0, re = 0;
    for (size_t i = 1; i < nn; i++)
        rn += reach[i];
    uint32_t *sole = pith_xcalloc(nn, sizeof *sole); /* a predecessor of each node */
    for (size_t i = 0; i < f->edges.count; i++) {
        const struct flow_edge *e = &f->edges.items[i];
        if (reach[e->src]) {
            re++;
            outdeg[e->src]++;
            indeg[e->dst]++;
            sole[e->dst] = e->src;
        }
    }
    f->cyclomatic = (uint32_t)(re + 2 - rn);
    f->complexity = ir->complexity ? ir->complexity : cfg_mccabe(ir, bodies, nbodies);

    /* basic blocks: a node starts one unless its only predecessor has it as only successor */
    uint32_t blocks = 0;
    for (uint32_t n = 1; n < nn; n++) {
        if (!reach[n] || f->nodes.items[n].block)
            continue;
        /* is n a leader? */
        int leader = !(indeg[n] == 1 && n != entry && outdeg[sole[n]] == 1 && sole[n] != n);
        if (!leader)
            continue;
        blocks++;
        uint32_t cur = n;
        for (;;) {
            f->nodes.items[cur].block = blocks;
            if (outdeg[cur] != 1 || cur == exit_)
                break;
            uint32_t nx = f->edges.items[first[cur]].dst;
            if (indeg[nx] != 1 || nx == entry || f->nodes.items[nx].block || nx == exit_)
                break;
            cur = nx;
        }
    }
    /* nodes left over (a cycle of single-entry nodes) get blocks of their own */
    for (uint32_t n = 1; n < nn; n++) {
        if (reach[n] && !f->nodes.items[n].block)
            f->nodes.items[n].block = ++blocks;
    }
    f->blocks = blocks;
    free(indeg);
    free(sole);
    free(outdeg);
    free(reach);
    free(stack);
    free(first);

    /* calls, with the node that evaluates them */
    for (uint32_t n = 1; n < nn; n++) {
        uint32_t sid = f->nodes.items[n].ir;
        if (!sid || sid > ir->n_stmts)
            continue;
        const Pith__IrStmt *s = ir->stmts[sid - 1];
        for (size_t c = 0; c < s->n_calls; c++) {
            const Pith__IrCall *ic = s->calls[c];
            Pith__FlowCall *fc = pith_arena_alloc(a, sizeof *fc);
            Pith__FlowCall init = PITH__FLOW_CALL__INIT;
            *fc = init;
            fc->node = n;
            fc->callee = ic->callee;
            fc->line = ic->line;
            fc->col = ic->col;
            fc->n_args = ic->n_args;
            if (ic->n_args) {
                fc->args = pith_arena_alloc(a, ic->n_args * sizeof *fc->args);
                for (size_t k2 = 0; k2 < ic->n_args; k2++) {
                    Pith__IrArgUses *u = pith_arena_alloc(a, sizeof *u);
                    Pith__IrArgUses ui = PITH__IR_ARG_USES__INIT;
                    *u = ui;
                    u->uses = ic->args[k2]->uses;
                    u->n_uses = ic->args[k2]->n_uses;
                    u->keyword = ic->args[k2]->keyword;
                    u->star = ic->args[k2]->star;
                    u->path = ic->args[k2]->path;
                    u->addr = ic->args[k2]->addr;
                    fc->args[k2] = u;
                }
            }
            pith_vec_push(&f->calls, fc);
        }
    }
}
