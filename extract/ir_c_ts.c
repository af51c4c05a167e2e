/* C/C++ -> statement IR from tree-sitter trees (see ir_c_ts.h); the shapes are ir_c_clang.c's:
 * conditions as IR_AND/IR_OR/IR_NOT trees, `for` with update statements, switch cases as
 * targets (a tree-sitter case_statement holds the statements up to the next label), goto and
 * labels, `x = c ? a : b` as an is_expr IR_IF, paths "p->next", "s.f", "*p". Identifiers are
 * uses whatever they name (no types: a constant or a macro reads as a variable that nothing
 * defines). */
#include "ir_c_ts.h"
#include "ir_build.h"

#include <string.h>

struct lower {
    struct pith_arena *a;
    const char *src;
    uint32_t len;
    int cpp;
    struct ir_plist stmts;
    uint32_t decisions;
    int nocount;
};

static void *alloc_cb(void *ctx, size_t n)
{
    return pith_arena_alloc(ctx, n);
}

static void ppush(struct pith_arena *a, struct ir_plist *l, void *x)
{
    ir_plist_push(alloc_cb, a, l, x);
}

static void spush(struct lower *w, struct ir_plist *l, char *s)
{
    ir_plist_add_str(alloc_cb, w->a, l, s, IR_C_TS_LIST_CAP);
}

static int is(TSNode n, const char *type)
{
    return !ts_node_is_null(n) && strcmp(ts_node_type(n), type) == 0;
}

static TSNode fld(TSNode n, const char *name)
{
    return ts_node_child_by_field_name(n, name, (uint32_t)strlen(name));
}

/* Text of `n` without blanks (a path written over lines), capped. */
static char *text(struct lower *w, TSNode n)
{
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    if (b > w->len)
        b = w->len;
    if (a > b)
        a = b;
    if (b - a > 512)
        b = a + 512;
    char *t = pith_arena_alloc(w->a, b - a + 1);
    size_t k = 0;
    for (uint32_t i = a; i < b; i++) {
        char c = w->src[i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            t[k++] = c;
    }
    t[k] = '\0';
    return t;
}

static uint32_t line_of(TSNode n)
{
    return ts_node_start_point(n).row + 1;
}

static uint32_t end_line_of(TSNode n)
{
    return ts_node_end_point(n).row + 1;
}

static struct ir_stmt *st_at(struct lower *w, uint32_t id)
{
    return w->stmts.items[id - 1];
}

static uint32_t st_new(struct lower *w, Pith__IrOp op, TSNode n)
{
    struct ir_stmt *s = pith_arena_alloc(w->a, sizeof *s);
    Pith__IrStmt init = PITH__IR_STMT__INIT;
    memset(s, 0, sizeof *s);
    s->m = init;
    s->m.op = op;
    s->m.line = line_of(n);
    s->m.end_line = end_line_of(n);
    ppush(w->a, &w->stmts, s);
    return (uint32_t)w->stmts.n;
}

static void add_kid(struct lower *w, struct ir_plist *l, uint32_t id)
{
    if (id)
        ppush(w->a, l, (void *)(uintptr_t)id);
}

static void use(struct lower *w, uint32_t id, char *v, struct ir_plist *arg)
{
    spush(w, &st_at(w, id)->uses, v);
    if (arg)
        spush(w, arg, v);
}

static void def(struct lower *w, uint32_t id, char *v)
{
    spush(w, &st_at(w, id)->defs, v);
}

static void count(struct lower *w)
{
    if (!w->nocount)
        w->decisions++;
}

/* `n` without parentheses. */
static TSNode unparen(TSNode n)
{
    for (int i = 0;
         i < 64 && is(n, "parenthesized_expression") && ts_node_named_child_count(n) == 1; i++)
        n = ts_node_named_child(n, 0);
    return n;
}

static int op_is(TSNode n, const char *op)
{
    TSNode o = fld(n, "operator");
    return !ts_node_is_null(o) && strcmp(ts_node_type(o), op) == 0;
}

/* --- expressions --------------------------------------------------------------------------- */

static char *path_of(struct lower *w, TSNode n, int depth)
{
    n = unparen(n);
    if (depth > 32 || ts_node_is_null(n))
        return NULL;
    if (is(n, "identifier") || is(n, "this"))
        return text(w, n);
    if (is(n, "field_expression")) {
        char *base = path_of(w, fld(n, "argument"), depth + 1);
        TSNode f = fld(n, "field"), o = fld(n, "operator");
        if (!base || ts_node_is_null(f) || ts_node_is_null(o) || !is(f, "field_identifier"))
            return NULL;
        const char *sep = ts_node_type(o), *m = text(w, f);
        size_t bl = strlen(base), sl = strlen(sep), ml = strlen(m);
        if (bl + sl + ml > 512)
            return NULL;
        char *p = pith_arena_alloc(w->a, bl + sl + ml + 1);
        memcpy(p, base, bl);
        memcpy(p + bl, sep, sl);
        memcpy(p + bl + sl, m, ml + 1);
        return p;
    }
    if (is(n, "pointer_expression") && op_is(n, "*")) {
        char *inner = path_of(w, fld(n, "argument"), depth + 1);
        if (!inner || strlen(inner) > 512)
            return NULL;
        size_t l = strlen(inner);
        char *p = pith_arena_alloc(w->a, l + 2);
        p[0] = '*';
        memcpy(p + 1, inner, l + 1);
        return p;
    }
    return NULL;
}

static int is_root(const char *p)
{
    for (; *p; p++) {
        if (*p == '.' || *p == '-' || *p == '*')
            return 0;
    }
    return 1;
}

static void expr(struct lower *w, uint32_t id, TSNode n, struct ir_plist *arg, int depth);

static void target(struct lower *w, uint32_t id, TSNode t, int depth)
{
    t = unparen(t);
    if (ts_node_is_null(t) || depth > IR_C_TS_EXPR_DEPTH)
        return;
    char *p = path_of(w, t, 0);
    if (p) {
        def(w, id, p);
        if (!is_root(p)) /* p->f = v, *p = v: p is read */
            expr(w, id, fld(t, "argument"), NULL, depth + 1);
        return;
    }
    if (is(t, "subscript_expression")) {
        char *bp = path_of(w, fld(t, "argument"), 0);
        if (bp)
            def(w, id, bp);
        expr(w, id, t, NULL, depth + 1);
        return;
    }
    if (is(t, "field_expression") && is(unparen(fld(t, "argument")), "subscript_expression")) {
        target(w, id, unparen(fld(t, "argument")), depth + 1);
        return;
    }
    expr(w, id, t, NULL, depth + 1);
}

static void call(struct lower *w, uint32_t id, TSNode n, struct ir_plist *arg, int depth)
{
    struct ir_stmt *s = st_at(w, id);
    TSNode fn = fld(n, "function"), args = fld(n, "arguments");
    Pith__IrCall *ic = NULL;
    struct ir_plist cargs = { 0 };
    if (s->calls.n < IR_C_TS_LIST_CAP) {
        ic = pith_arena_alloc(w->a, sizeof *ic);
        Pith__IrCall init = PITH__IR_CALL__INIT;
        *ic = init;
        ic->callee = ts_node_is_null(fn) ? (char *)"" : text(w, fn);
        TSPoint p = ts_node_start_point(n);
        ic->line = p.row + 1;
        ic->col = p.column;
        ppush(w->a, &s->calls, ic);
    }
    TSNode f = unparen(fn);
    if (is(f, "field_expression")) {
        char *p = path_of(w, f, 0);
        char *recv = path_of(w, fld(f, "argument"), 0);
        if (w->cpp && recv) { /* obj.m(): the method may change the receiver */
            use(w, id, recv, arg);
            def(w, id, recv);
        } else if (p) {
            use(w, id, p, arg); /* ops->open(x): the pointer is read */
        } else {
            expr(w, id, f, arg, depth + 1);
        }
    } else if (!is(f, "identifier") && !is(f, "qualified_identifier") &&
               !is(f, "template_function")) {
        expr(w, id, f, arg, depth + 1);
    }
    uint32_t na = ts_node_is_null(args) ? 0 : ts_node_named_child_count(args);
    for (uint32_t i = 0; i < na; i++) {
        TSNode a = ts_node_named_child(args, i);
        if (is(a, "comment"))
            continue;
        Pith__IrArg *ia = NULL;
        struct ir_plist uses = { 0 };
        if (ic && cargs.n < IR_C_TS_LIST_CAP) {
            ia = pith_arena_alloc(w->a, sizeof *ia);
            Pith__IrArg init = PITH__IR_ARG__INIT;
            *ia = init;
            ppush(w->a, &cargs, ia);
        }
        expr(w, id, a, &uses, depth + 1);
        if (arg) {
            for (size_t u = 0; u < uses.n; u++)
                spush(w, arg, uses.items[u]);
        }
        if (ia) {
            ia->uses = (char **)uses.items;
            ia->n_uses = uses.n;
            /* f(p), f(&v): the path, for binding pointer out-parameters */
            TSNode ua = unparen(a);
            char *ap = NULL;
            if (is(ua, "pointer_expression") && op_is(ua, "&")) {
                ap = path_of(w, fld(ua, "argument"), 0);
                ia->addr = ap != NULL;
            } else {
                ap = path_of(w, ua, 0);
            }
            if (ap)
                ia->path = ap;
        }
    }
    if (ic) {
        ic->args = (Pith__IrArg **)cargs.items;
        ic->n_args = cargs.n;
    }
}

static void expr(struct lower *w, uint32_t id, TSNode n, struct ir_plist *arg, int depth)
{
    if (ts_node_is_null(n) || depth > IR_C_TS_EXPR_DEPTH)
        return;
    const char *t = ts_node_type(n);
    if (!strcmp(t, "identifier") || !strcmp(t, "this")) {
        use(w, id, text(w, n), arg);
        return;
    }
    if (!strcmp(t, "field_expression")) {
        char *p = path_of(w, n, 0);
        if (p) {
            use(w, id, p, arg);
            return;
        }
    } else if (!strcmp(t, "call_expression")) {
        call(w, id, n, arg, depth);
        return;
    } else if (!strcmp(t, "assignment_expression")) {
        TSNode l = fld(n, "left");
        if (!op_is(n, "="))
            expr(w, id, l, arg, depth + 1);
        expr(w, id, fld(n, "right"), arg, depth + 1);
        target(w, id, l, depth + 1);
        return;
    } else if (!strcmp(t, "update_expression")) {
        TSNode a = fld(n, "argument");
        expr(w, id, a, arg, depth + 1);
        target(w, id, a, depth + 1);
        return;
    } else if (!strcmp(t, "pointer_expression")) {
        TSNode a = fld(n, "argument");
        if (op_is(n, "*")) {
            char *p = path_of(w, n, 0);
            if (p)
                use(w, id, p, arg);
        }
        expr(w, id, a, arg, depth + 1);
        if (op_is(n, "&") && arg) /* f(&x): the callee may write x */
            target(w, id, a, depth + 1);
        return;
    } else if (!strcmp(t, "binary_expression")) {
        if (op_is(n, "&&") || op_is(n, "||") || op_is(n, "and") || op_is(n, "or"))
            count(w);
    } else if (!strcmp(t, "conditional_expression")) {
        count(w);
    } else if (!strcmp(t, "sizeof_expression") || !strcmp(t, "alignof_expression") ||
               !strcmp(t, "lambda_expression") || !strcmp(t, "string_literal") ||
               !strcmp(t, "type_descriptor") || !strcmp(t, "comment") ||
               !strcmp(t, "field_identifier")) {
        return;
    } else if (!strcmp(t, "cast_expression")) {
        expr(w, id, fld(n, "value"), arg, depth + 1);
        return;
    }
    uint32_t c = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < c; i++)
        expr(w, id, ts_node_named_child(n, i), arg, depth + 1);
}

/* --- conditions ---------------------------------------------------------------------------- */

static uint32_t cond(struct lower *w, TSNode n, int depth)
{
    n = unparen(n);
    if (depth < IR_C_TS_EXPR_DEPTH && is(n, "unary_expression") &&
        (op_is(n, "!") || op_is(n, "not"))) {
        uint32_t id = st_new(w, PITH__IR_OP__IR_NOT, n);
        uint32_t kid = cond(w, fld(n, "argument"), depth + 1);
        ppush(w->a, &st_at(w, id)->kids, (void *)(uintptr_t)kid);
        return id;
    }
    if (depth < IR_C_TS_EXPR_DEPTH && is(n, "binary_expression")) {
        int is_and = op_is(n, "&&") || op_is(n, "and");
        if (is_and || op_is(n, "||") || op_is(n, "or")) {
            count(w);
            uint32_t id = st_new(w, is_and ? PITH__IR_OP__IR_AND : PITH__IR_OP__IR_OR, n);
            TSNode sides[2] = { fld(n, "left"), fld(n, "right") };
            for (int i = 0; i < 2; i++) {
                uint32_t kid = cond(w, sides[i], depth + 1);
                struct ir_stmt *k = st_at(w, kid);
                if (i == 0 && k->m.op == st_at(w, id)->m.op) {
                    for (size_t j = 0; j < k->kids.n; j++)
                        ppush(w->a, &st_at(w, id)->kids, k->kids.items[j]);
                    k->m.op = PITH__IR_OP__IR_NONE; /* orphaned */
                } else {
                    ppush(w->a, &st_at(w, id)->kids, (void *)(uintptr_t)kid);
                }
            }
            return id;
        }
    }
    uint32_t id = st_new(w, PITH__IR_OP__IR_TEST, ts_node_is_null(n) ? n : n);
    expr(w, id, n, NULL, 0);
    return id;
}

/* --- statements ---------------------------------------------------------------------------- */

static void stmt(struct lower *w, struct ir_plist *out, TSNode n, int depth);

static void block(struct lower *w, struct ir_plist *out, TSNode n, int depth)
{
    if (ts_node_is_null(n))
        return;
    if (!is(n, "compound_statement")) {
        stmt(w, out, n, depth + 1);
        return;
    }
    uint32_t c = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < c; i++)
        stmt(w, out, ts_node_named_child(n, i), depth + 1);
}

static char *decl_name(struct lower *w, TSNode d)
{
    for (int i = 0; i < 64 && !ts_node_is_null(d); i++) {
        if (is(d, "identifier"))
            return text(w, d);
        TSNode next = fld(d, "declarator");
        if (ts_node_is_null(next) && ts_node_named_child_count(d))
            next = ts_node_named_child(d, 0);
        d = next;
    }
    return NULL;
}

static uint32_t simple(struct lower *w, TSNode n, Pith__IrOp op)
{
    uint32_t id = st_new(w, op, n);
    expr(w, id, n, NULL, 0);
    return id;
}

static uint32_t ternary(struct lower *w,
                        TSNode whole,
                        TSNode value,
                        Pith__IrOp op,
                        const TSNode *tgt,
                        char *decl,
                        int depth)
{
    value = unparen(value);
    if (!is(value, "conditional_expression") || depth > IR_C_TS_STMT_DEPTH)
        return 0;
    count(w);
    uint32_t id = st_new(w, PITH__IR_OP__IR_IF, whole);
    st_at(w, id)->m.is_expr = 1;
    st_at(w, id)->m.cond = cond(w, fld(value, "condition"), 0);
    TSNode br[2] = { fld(value, "consequence"), fld(value, "alternative") };
    for (int b = 0; b < 2; b++) {
        uint32_t s = ternary(w, whole, br[b], op, tgt, decl, depth + 1);
        if (!s) {
            s = st_new(w, op, whole);
            expr(w, s, br[b], NULL, 0);
            w->nocount += b;
            if (tgt)
                target(w, s, *tgt, 0);
            w->nocount -= b;
            if (decl)
                def(w, s, decl);
        }
        add_kid(w, b ? &st_at(w, id)->orelse : &st_at(w, id)->body, s);
    }
    return id;
}

static void declaration(struct lower *w, struct ir_plist *out, TSNode n)
{
    uint32_t id = 0, c = ts_node_child_count(n), nd = 0;
    for (uint32_t i = 0; i < c; i++) {
        const char *f = ts_node_field_name_for_child(n, i);
        nd += f && !strcmp(f, "declarator");
    }
    for (uint32_t i = 0; i < c; i++) {
        const char *f = ts_node_field_name_for_child(n, i);
        TSNode d = ts_node_child(n, i);
        if (!f || strcmp(f, "declarator") != 0 || !is(d, "init_declarator"))
            continue;
        char *name = decl_name(w, fld(d, "declarator"));
        TSNode v = fld(d, "value");
        if (nd == 1) {
            uint32_t t = ternary(w, n, v, PITH__IR_OP__IR_SIMPLE, NULL, name, 0);
            if (t) {
                add_kid(w, out, t);
                return;
            }
        }
        if (!id)
            id = st_new(w, PITH__IR_OP__IR_SIMPLE, n);
        expr(w, id, v, NULL, 0);
        def(w, id, name);
    }
    add_kid(w, out, id);
}

/* The condition of if/while/switch: C's parenthesized expression, C++'s condition_clause
 * (an init statement or a declaration go before the compound statement). */
static TSNode header(struct lower *w, struct ir_plist *out, TSNode c)
{
    if (!is(c, "condition_clause"))
        return c;
    TSNode init = fld(c, "initializer"), v = fld(c, "value");
    if (!ts_node_is_null(init))
        add_kid(w, out, simple(w, init, PITH__IR_OP__IR_SIMPLE));
    if (is(v, "declaration")) {
        declaration(w, out, v);
        TSNode d = fld(v, "declarator");
        TSNode none = { { 0 }, NULL, NULL };
        return ts_node_is_null(d) ? none : d; /* the variable tested */
    }
    return v;
}

static void case_body(struct lower *w, uint32_t cs, TSNode c, int depth)
{
    uint32_t k = ts_node_child_count(c);
    for (uint32_t i = 0; i < k; i++) {
        TSNode x = ts_node_child(c, i);
        const char *f = ts_node_field_name_for_child(c, i);
        if (!ts_node_is_named(x) || (f && !strcmp(f, "value")))
            continue;
        stmt(w, &st_at(w, cs)->body, x, depth + 1);
    }
}

/* The labels of a switch body (`n`: the compound statement, or a #if inside it, whose first
 * branch is read): one IR_CASE per case_statement, which holds the statements up to the next
 * label. */
static void switch_items(struct lower *w, uint32_t sw, TSNode n, int depth)
{
    uint32_t k = ts_node_is_null(n) ? 0 : ts_node_child_count(n);
    for (uint32_t i = 0; i < k && depth < IR_C_TS_STMT_DEPTH; i++) {
        TSNode x = ts_node_child(n, i);
        const char *f = ts_node_field_name_for_child(n, i);
        if (!ts_node_is_named(x) || f) /* a #if's condition, name, alternative */
            continue;
        if (is(x, "preproc_if") || is(x, "preproc_ifdef")) {
            switch_items(w, sw, x, depth + 1);
            continue;
        }
        if (!is(x, "case_statement"))
            continue; /* before the first label: never run */
        uint32_t cs = st_new(w, PITH__IR_OP__IR_CASE, x);
        TSNode v = fld(x, "value");
        st_at(w, cs)->m.end_line = ts_node_is_null(v) ? line_of(x) : end_line_of(v);
        st_at(w, cs)->m.is_default = ts_node_is_null(v);
        expr(w, cs, v, NULL, 0);
        case_body(w, cs, x, depth);
        add_kid(w, &st_at(w, sw)->handlers, cs);
    }
}

static void stmt(struct lower *w, struct ir_plist *out, TSNode n, int depth)
{
    if (ts_node_is_null(n))
        return;
    const char *t = ts_node_type(n);
    if (depth > IR_C_TS_STMT_DEPTH) {
        add_kid(w, out, simple(w, n, PITH__IR_OP__IR_SIMPLE));
        return;
    }
    uint32_t id;
    if (!strcmp(t, "compound_statement")) {
        block(w, out, n, depth);
    } else if (!strcmp(t, "comment") || !strcmp(t, "preproc_def") ||
               !strcmp(t, "preproc_function_def") || !strcmp(t, "preproc_call") ||
               !strcmp(t, "preproc_include") || !strcmp(t, "type_definition") ||
               !strcmp(t, "struct_specifier") || !strcmp(t, "enum_specifier") ||
               !strcmp(t, "union_specifier") || !strcmp(t, "function_definition") ||
               !strcmp(t, "ERROR")) {
        return;
    } else if (!strcmp(t, "preproc_if") || !strcmp(t, "preproc_ifdef")) {
        /* the first branch, as pmccabe reads it */
        uint32_t c = ts_node_child_count(n);
        for (uint32_t i = 0; i < c; i++) {
            const char *f = ts_node_field_name_for_child(n, i);
            TSNode x = ts_node_child(n, i);
            if (f || !ts_node_is_named(x))
                continue; /* condition, name, alternative */
            stmt(w, out, x, depth + 1);
        }
    } else if (!strcmp(t, "declaration")) {
        declaration(w, out, n);
    } else if (!strcmp(t, "attributed_statement")) {
        uint32_t c = ts_node_named_child_count(n);
        if (c)
            stmt(w, out, ts_node_named_child(n, c - 1), depth + 1);
    } else if (!strcmp(t, "if_statement")) {
        TSNode c = header(w, out, fld(n, "condition"));
        count(w);
        id = st_new(w, PITH__IR_OP__IR_IF, n);
        st_at(w, id)->m.end_line = ts_node_is_null(c) ? line_of(n) : end_line_of(c);
        st_at(w, id)->m.cond = cond(w, c, 0);
        block(w, &st_at(w, id)->body, fld(n, "consequence"), depth);
        TSNode e = fld(n, "alternative");
        if (!ts_node_is_null(e) && ts_node_named_child_count(e))
            block(w, &st_at(w, id)->orelse, ts_node_named_child(e, 0), depth);
        add_kid(w, out, id);
    } else if (!strcmp(t, "while_statement") || !strcmp(t, "do_statement")) {
        int is_do = t[0] == 'd';
        TSNode c = header(w, out, fld(n, "condition"));
        count(w);
        id = st_new(w, is_do ? PITH__IR_OP__IR_DO_WHILE : PITH__IR_OP__IR_WHILE, n);
        if (is_do) {
            block(w, &st_at(w, id)->body, fld(n, "body"), depth);
            st_at(w, id)->m.line = ts_node_is_null(c) ? line_of(n) : line_of(c);
        }
        st_at(w, id)->m.end_line = ts_node_is_null(c) ? line_of(n) : end_line_of(c);
        st_at(w, id)->m.cond = cond(w, c, 0);
        if (!is_do)
            block(w, &st_at(w, id)->body, fld(n, "body"), depth);
        add_kid(w, out, id);
    } else if (!strcmp(t, "for_statement")) {
        TSNode init = fld(n, "initializer"), c = fld(n, "condition"), up = fld(n, "update");
        if (is(init, "declaration"))
            declaration(w, out, init);
        else if (!ts_node_is_null(init))
            add_kid(w, out, simple(w, init, PITH__IR_OP__IR_SIMPLE));
        count(w);
        id = st_new(w, PITH__IR_OP__IR_FOR, n);
        st_at(w, id)->m.end_line = ts_node_is_null(c) ? line_of(n) : end_line_of(c);
        if (!ts_node_is_null(c))
            st_at(w, id)->m.cond = cond(w, c, 0);
        block(w, &st_at(w, id)->body, fld(n, "body"), depth);
        if (!ts_node_is_null(up))
            add_kid(w, &st_at(w, id)->update, simple(w, up, PITH__IR_OP__IR_SIMPLE));
        add_kid(w, out, id);
    } else if (!strcmp(t, "for_range_loop")) {
        TSNode init = fld(n, "initializer"), r = fld(n, "right");
        if (!ts_node_is_null(init))
            add_kid(w, out, simple(w, init, PITH__IR_OP__IR_SIMPLE));
        count(w);
        id = st_new(w, PITH__IR_OP__IR_FOR, n);
        st_at(w, id)->m.end_line = ts_node_is_null(r) ? line_of(n) : end_line_of(r);
        def(w, id, decl_name(w, fld(n, "declarator")));
        expr(w, id, r, NULL, 0);
        block(w, &st_at(w, id)->body, fld(n, "body"), depth);
        add_kid(w, out, id);
    } else if (!strcmp(t, "switch_statement")) {
        TSNode c = header(w, out, fld(n, "condition")), body = fld(n, "body");
        count(w);
        id = st_new(w, PITH__IR_OP__IR_SWITCH, n);
        st_at(w, id)->m.end_line = ts_node_is_null(c) ? line_of(n) : end_line_of(c);
        expr(w, id, c, NULL, 0);
        switch_items(w, id, body, depth);
        add_kid(w, out, id);
    } else if (!strcmp(t, "case_statement")) { /* a label not directly in a switch body */
        uint32_t k = ts_node_child_count(n);
        for (uint32_t i = 0; i < k; i++) {
            const char *f = ts_node_field_name_for_child(n, i);
            TSNode x = ts_node_child(n, i);
            if (ts_node_is_named(x) && !(f && !strcmp(f, "value")))
                stmt(w, out, x, depth + 1);
        }
    } else if (!strcmp(t, "labeled_statement")) {
        id = st_new(w, PITH__IR_OP__IR_LABEL, n);
        st_at(w, id)->m.end_line = st_at(w, id)->m.line;
        TSNode l = fld(n, "label");
        st_at(w, id)->m.label = ts_node_is_null(l) ? (char *)"" : text(w, l);
        add_kid(w, out, id);
        uint32_t c = ts_node_named_child_count(n);
        if (c > 1)
            stmt(w, out, ts_node_named_child(n, c - 1), depth + 1);
    } else if (!strcmp(t, "goto_statement")) {
        id = st_new(w, PITH__IR_OP__IR_GOTO, n);
        TSNode l = fld(n, "label");
        st_at(w, id)->m.label = ts_node_is_null(l) ? (char *)"" : text(w, l);
        add_kid(w, out, id);
    } else if (!strcmp(t, "break_statement")) {
        add_kid(w, out, st_new(w, PITH__IR_OP__IR_BREAK, n));
    } else if (!strcmp(t, "continue_statement")) {
        add_kid(w, out, st_new(w, PITH__IR_OP__IR_CONTINUE, n));
    } else if (!strcmp(t, "return_statement")) {
        id = 0;
        if (ts_node_named_child_count(n))
            id = ternary(w, n, ts_node_named_child(n, 0), PITH__IR_OP__IR_RETURN, NULL, NULL, 0);
        add_kid(w, out, id ? id : simple(w, n, PITH__IR_OP__IR_RETURN));
    } else if (!strcmp(t, "throw_statement")) {
        add_kid(w, out, simple(w, n, PITH__IR_OP__IR_RAISE));
    } else if (!strcmp(t, "try_statement")) {
        id = st_new(w, PITH__IR_OP__IR_TRY, n);
        st_at(w, id)->m.end_line = st_at(w, id)->m.line;
        block(w, &st_at(w, id)->body, fld(n, "body"), depth);
        uint32_t k = ts_node_named_child_count(n);
        for (uint32_t i = 0; i < k; i++) {
            TSNode x = ts_node_named_child(n, i);
            if (!is(x, "catch_clause"))
                continue;
            uint32_t h = st_new(w, PITH__IR_OP__IR_HANDLER, x);
            st_at(w, h)->m.end_line = st_at(w, h)->m.line;
            TSNode ps = fld(x, "parameters");
            uint32_t np = ts_node_is_null(ps) ? 0 : ts_node_named_child_count(ps);
            st_at(w, h)->m.is_default = np == 0; /* catch (...) */
            for (uint32_t j = 0; j < np; j++) {
                TSNode p = ts_node_named_child(ps, j);
                char *name = decl_name(w, fld(p, "declarator"));
                if (name)
                    def(w, h, name);
            }
            block(w, &st_at(w, h)->body, fld(x, "body"), depth);
            add_kid(w, &st_at(w, id)->handlers, h);
        }
        add_kid(w, out, id);
    } else if (!strcmp(t, "expression_statement")) {
        TSNode e = ts_node_named_child_count(n) ? ts_node_named_child(n, 0) : n;
        e = unparen(e);
        if (is(e, "assignment_expression") && op_is(e, "=")) {
            TSNode l = fld(e, "left");
            id = ternary(w, n, fld(e, "right"), PITH__IR_OP__IR_SIMPLE, &l, NULL, 0);
            if (id) {
                add_kid(w, out, id);
                return;
            }
        }
        add_kid(w, out, simple(w, n, PITH__IR_OP__IR_SIMPLE));
    } else {
        add_kid(w, out, simple(w, n, PITH__IR_OP__IR_SIMPLE));
    }
}

/* --- functions ----------------------------------------------------------------------------- */

/* Parameter names of the function_declarator under declarator `d`. */
static void params_of(struct lower *w, TSNode d, struct ir_plist *out)
{
    for (int i = 0; i < 64 && !ts_node_is_null(d); i++) {
        if (is(d, "function_declarator")) {
            TSNode ps = fld(d, "parameters");
            uint32_t k = ts_node_is_null(ps) ? 0 : ts_node_named_child_count(ps);
            for (uint32_t j = 0; j < k && out->n < IR_C_TS_LIST_CAP; j++) {
                TSNode p = ts_node_named_child(ps, j);
                if (!is(p, "parameter_declaration") && !is(p, "optional_parameter_declaration"))
                    continue;
                char *name = decl_name(w, fld(p, "declarator"));
                ppush(w->a, out, name ? name : (char *)"");
            }
            return;
        }
        TSNode next = fld(d, "declarator");
        if (ts_node_is_null(next) && ts_node_named_child_count(d))
            next = ts_node_named_child(d, 0);
        d = next;
    }
}

Pith__FunctionIr *
ir_c_ts_lower(struct pith_arena *arena, TSNode fn, const char *src, uint32_t len, int cpp)
{
    TSNode body = fld(fn, "body");
    if (ts_node_is_null(body))
        return NULL;
    struct lower w = { 0 };
    w.a = arena;
    w.src = src;
    w.len = len;
    w.cpp = cpp;
    Pith__FunctionIr *f = pith_arena_alloc(arena, sizeof *f);
    Pith__FunctionIr init = PITH__FUNCTION_IR__INIT;
    *f = init;
    f->line = line_of(fn);
    struct ir_plist params = { 0 };
    params_of(&w, fld(fn, "declarator"), &params);
    f->n_params = params.n;
    f->params = (char **)params.items;
    struct ir_plist top = { 0 };
    block(&w, &top, body, 0);
    f->n_body = top.n;
    f->body = ir_plist_ids(&top);
    f->n_stmts = w.stmts.n;
    f->stmts = pith_arena_alloc(arena, (w.stmts.n ? w.stmts.n : 1) * sizeof *f->stmts);
    for (size_t i = 0; i < w.stmts.n; i++) {
        struct ir_stmt *s = w.stmts.items[i];
        ir_stmt_finish(s);
        f->stmts[i] = &s->m;
    }
    f->complexity = 1 + w.decisions;
    return f;
}
