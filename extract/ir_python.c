/* Python -> statement IR (see ir_python.h). Statements recurse on the syntax tree (depth capped);
 * each compound statement keeps its structure (body / orelse / handlers / finalbody) and its
 * condition as a tree of IR_AND/IR_OR/IR_NOT over IR_TEST leaves, so short-circuit operands
 * become condition nodes of their own in the CFG:
 *
 *   if a and not b: ...        IR_IF cond -> IR_AND kids [IR_TEST a, IR_NOT kids [IR_TEST b]]
 *   x = a if c else b          IR_IF cond IR_TEST c, body [x = a], orelse [x = b]
 *
 * Variables are names or access paths ("self.x.y"); a subscript or method-call receiver
 * counts as written too (x[i] = v, x.append(v) write x and read it). */
#include "ir_python.h"
#include "ir_build.h"

#include "common/err.h"

#include <string.h>

enum k {
    K_OTHER,
    K_EXPR_STMT,
    K_RETURN,
    K_RAISE,
    K_PASS,
    K_BREAK,
    K_CONTINUE,
    K_IF,
    K_ELIF,
    K_ELSE,
    K_FOR,
    K_WHILE,
    K_TRY,
    K_EXCEPT,
    K_FINALLY,
    K_WITH,
    K_WITH_CLAUSE,
    K_WITH_ITEM,
    K_FUNC,
    K_CLASS,
    K_DECORATED,
    K_MATCH,
    K_CASE,
    K_IMPORT,
    K_IMPORT_FROM,
    K_FUTURE_IMPORT,
    K_GLOBAL,
    K_BLOCK,
    K_COMMENT,
    K_IDENT,
    K_ATTR,
    K_CALL,
    K_KWARG,
    K_LAMBDA,
    K_WALRUS,
    K_STRING,
    K_ASSIGN,
    K_AUGASSIGN,
    K_BOOL,
    K_NOT,
    K_PAREN,
    K_COND_EXPR,
    K_SUBSCRIPT,
    K_SEQ, /* pattern_list, tuple_pattern, list_pattern, tuple, list, expression_list */
    K_SPLAT_PAT,
    K_AS_PATTERN,
    K_AS_TARGET,
    K_DOTTED,
    K_ALIASED_IMPORT,
    K_CLASS_PATTERN,
    K_IF_CLAUSE,
    K_LIST_SPLAT,
    K_DICT_SPLAT,
    K_TYPE_ALIAS,
    K_KEYWORD_PATTERN,
    K_DELETE,
    K_ASSERT,
    K_COUNT
};

struct fields {
    TSFieldId name, body, condition, consequence, alternative, left, right, value, alias, function,
        arguments, object, attribute, subject, guard, definition, argument, operator_, parameters,
        superclasses;
};

struct ir_python {
    uint8_t *kind; /* enum k by node symbol */
    uint32_t kind_count;
    struct fields f;
    TSTreeCursor cursors[IR_PYTHON_EXPR_DEPTH + 2]; /* expr()'s, one per depth */
    uint8_t cursor_live[IR_PYTHON_EXPR_DEPTH + 2];
};

/* An arena-backed growable array of pointers (or of small integers cast to pointers). */
struct lower {
    struct ir_python *ir;
    struct pith_arena *a;
    const char *src;
    uint32_t len;
    struct ir_plist stmts; /* struct ir_stmt * of the function being lowered */
    struct ir_plist bodies;
    Pith__Symbol *syms;
    size_t nsyms;
};

static const char empty[] = "";

static void *alloc_cb(void *ctx, size_t n)
{
    return pith_arena_alloc(ctx, n);
}

static void ppush(struct pith_arena *a, struct ir_plist *l, void *x)
{
    ir_plist_push(alloc_cb, a, l, x);
}

/* Adds string `s` to `l` unless present or the list is full. */
static void spush(struct lower *w, struct ir_plist *l, char *s)
{
    ir_plist_add_str(alloc_cb, w->a, l, s, IR_PYTHON_LIST_CAP);
}

static TSSymbol sym_of(const TSLanguage *l, const char *name)
{
    return ts_language_symbol_for_name(l, name, (uint32_t)strlen(name), true);
}

struct ir_python *ir_python_new(const TSLanguage *l)
{
    static const struct {
        const char *name;
        enum k k;
    } table[] = {
        { "expression_statement", K_EXPR_STMT },
        { "return_statement", K_RETURN },
        { "raise_statement", K_RAISE },
        { "pass_statement", K_PASS },
        { "break_statement", K_BREAK },
        { "continue_statement", K_CONTINUE },
        { "if_statement", K_IF },
        { "elif_clause", K_ELIF },
        { "else_clause", K_ELSE },
        { "for_statement", K_FOR },
        { "while_statement", K_WHILE },
        { "try_statement", K_TRY },
        { "except_clause", K_EXCEPT },
        { "except_group_clause", K_EXCEPT },
        { "finally_clause", K_FINALLY },
        { "with_statement", K_WITH },
        { "with_clause", K_WITH_CLAUSE },
        { "with_item", K_WITH_ITEM },
        { "function_definition", K_FUNC },
        { "class_definition", K_CLASS },
        { "decorated_definition", K_DECORATED },
        { "match_statement", K_MATCH },
        { "case_clause", K_CASE },
        { "import_statement", K_IMPORT },
        { "import_from_statement", K_IMPORT_FROM },
        { "future_import_statement", K_FUTURE_IMPORT },
        { "global_statement", K_GLOBAL },
        { "nonlocal_statement", K_GLOBAL },
        { "block", K_BLOCK },
        { "comment", K_COMMENT },
        { "identifier", K_IDENT },
        { "attribute", K_ATTR },
        { "call", K_CALL },
        { "keyword_argument", K_KWARG },
        { "lambda", K_LAMBDA },
        { "named_expression", K_WALRUS },
        { "string", K_STRING },
        { "assignment", K_ASSIGN },
        { "augmented_assignment", K_AUGASSIGN },
        { "boolean_operator", K_BOOL },
        { "not_operator", K_NOT },
        { "parenthesized_expression", K_PAREN },
        { "conditional_expression", K_COND_EXPR },
        { "subscript", K_SUBSCRIPT },
        { "pattern_list", K_SEQ },
        { "tuple_pattern", K_SEQ },
        { "list_pattern", K_SEQ },
        { "tuple", K_SEQ },
        { "list", K_SEQ },
        { "expression_list", K_SEQ },
        { "list_splat_pattern", K_SPLAT_PAT },
        { "dictionary_splat_pattern", K_SPLAT_PAT },
        { "as_pattern", K_AS_PATTERN },
        { "as_pattern_target", K_AS_TARGET },
        { "dotted_name", K_DOTTED },
        { "aliased_import", K_ALIASED_IMPORT },
        { "class_pattern", K_CLASS_PATTERN },
        { "if_clause", K_IF_CLAUSE },
        { "list_splat", K_LIST_SPLAT },
        { "dictionary_splat", K_DICT_SPLAT },
        { "type_alias_statement", K_TYPE_ALIAS },
        { "keyword_pattern", K_KEYWORD_PATTERN },
        { "delete_statement", K_DELETE },
        { "assert_statement", K_ASSERT },
    };
    struct ir_python *ir = pith_xcalloc(1, sizeof *ir);
    ir->kind_count = ts_language_symbol_count(l);
    ir->kind = pith_xcalloc(ir->kind_count, 1);
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        /* a name may stand for several symbols (aliases): mark every one */
        for (uint32_t s = 0; s < ir->kind_count; s++) {
            const char *n = ts_language_symbol_name(l, (TSSymbol)s);
            if (n && strcmp(n, table[i].name) == 0 &&
                ts_language_symbol_type(l, (TSSymbol)s) == TSSymbolTypeRegular)
                ir->kind[s] = (uint8_t)table[i].k;
        }
        if (!sym_of(l, table[i].name) && table[i].k != K_EXCEPT)
            PITH_BUG("python grammar lacks a node kind the IR lowering needs");
    }
#define F(x, s) ir->f.x = ts_language_field_id_for_name(l, s, (uint32_t)strlen(s))
    F(name, "name");
    F(body, "body");
    F(condition, "condition");
    F(consequence, "consequence");
    F(alternative, "alternative");
    F(left, "left");
    F(right, "right");
    F(value, "value");
    F(alias, "alias");
    F(function, "function");
    F(arguments, "arguments");
    F(object, "object");
    F(attribute, "attribute");
    F(subject, "subject");
    F(guard, "guard");
    F(definition, "definition");
    F(argument, "argument");
    F(operator_, "operator");
    F(parameters, "parameters");
    F(superclasses, "superclasses");
#undef F
    return ir;
}

void ir_python_free(struct ir_python *ir)
{
    if (!ir)
        return;
    for (size_t i = 0; i < sizeof ir->cursors / sizeof *ir->cursors; i++) {
        if (ir->cursor_live[i])
            ts_tree_cursor_delete(&ir->cursors[i]);
    }
    free(ir->kind);
    free(ir);
}

/* --- helpers ------------------------------------------------------------------------------ */

static enum k kind(struct lower *w, TSNode n)
{
    if (ts_node_is_null(n))
        return K_COUNT;
    TSSymbol s = ts_node_symbol(n);
    return s < w->ir->kind_count ? (enum k)w->ir->kind[s] : K_OTHER;
}

static TSNode fld(TSNode n, TSFieldId f)
{
    return ts_node_child_by_field_id(n, f);
}

static uint32_t line_of(TSNode n)
{
    return ts_node_start_point(n).row + 1;
}

static uint32_t end_line_of(TSNode n)
{
    TSPoint p = ts_node_end_point(n);
    /* a node ending at column 0 ends on the line before (a block's trailing newline) */
    if (p.column == 0 && p.row > 0 && p.row > ts_node_start_point(n).row)
        return p.row;
    return p.row + 1;
}

static char *text(struct lower *w, TSNode n)
{
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    if (b > w->len)
        b = w->len;
    if (a > b)
        a = b;
    return pith_arena_strndup(w->a, w->src + a, b - a);
}

/* Text without blanks, newlines and comments (a dotted path written over lines). */
static char *compact(struct lower *w, TSNode n)
{
    char *t = text(w, n);
    size_t k = 0;
    for (size_t i = 0; t[i]; i++) {
        char c = t[i];
        if (c == '#') {
            while (t[i + 1] && t[i + 1] != '\n')
                i++;
            continue;
        }
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\\')
            t[k++] = c;
    }
    t[k] = '\0';
    return t;
}

/* "a.b.c" when `n` is an identifier or an attribute chain over identifiers, else NULL. */
static char *path_of(struct lower *w, TSNode n)
{
    TSNode cur = n;
    for (int i = 0; i < 64; i++) {
        enum k k = kind(w, cur);
        if (k == K_IDENT)
            return compact(w, n);
        if (k != K_ATTR)
            return NULL;
        cur = fld(cur, w->ir->f.object);
    }
    return NULL;
}

/* The first identifier of a path ("self" of "self.x.y"). */
static char *root_of(struct lower *w, const char *path)
{
    const char *dot = strchr(path, '.');
    return dot ? pith_arena_strndup(w->a, path, (size_t)(dot - path)) : (char *)path;
}

static struct ir_stmt *st_at(struct lower *w, uint32_t id)
{
    return w->stmts.items[id - 1];
}

static uint32_t st_new(struct lower *w, Pith__IrOp op, TSNode n)
{
    struct ir_stmt *s = pith_arena_alloc(w->a, sizeof *s);
    Pith__IrStmt init = PITH__IR_STMT__INIT;
    s->m = init;
    s->m.op = op;
    s->m.line = line_of(n);
    s->m.end_line = end_line_of(n);
    ppush(w->a, &w->stmts, s);
    return (uint32_t)w->stmts.n;
}

/* --- expressions -------------------------------------------------------------------------- */

/* Adds the uses (and walrus defs and calls) of expression `n` to statement `id`; when `arg` is
 * not NULL the uses also go to that argument's list. */
static void expr(struct lower *w, uint32_t id, TSNode n, struct ir_plist *arg, int depth);

/* The cursor of recursion level `depth`, reset to `n`. */
static TSTreeCursor *cursor_at(struct lower *w, TSNode n, int depth)
{
    TSTreeCursor *c = &w->ir->cursors[depth];
    if (!w->ir->cursor_live[depth]) {
        *c = ts_tree_cursor_new(n);
        w->ir->cursor_live[depth] = 1;
    } else {
        ts_tree_cursor_reset(c, n);
    }
    return c;
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

static void call(struct lower *w, uint32_t id, TSNode n, struct ir_plist *arg, int depth)
{
    struct ir_stmt *s = st_at(w, id);
    TSNode fn = fld(n, w->ir->f.function), args = fld(n, w->ir->f.arguments);
    Pith__IrCall *c = NULL;
    struct ir_plist cargs = { 0 };
    if (s->calls.n < IR_PYTHON_LIST_CAP) {
        c = pith_arena_alloc(w->a, sizeof *c);
        Pith__IrCall init = PITH__IR_CALL__INIT;
        *c = init;
        c->callee = ts_node_is_null(fn) ? (char *)empty : compact(w, fn);
        TSPoint sp = ts_node_start_point(n);
        c->line = sp.row + 1;
        c->col = sp.column;
        ppush(w->a, &s->calls, c);
    }
    if (!ts_node_is_null(fn)) {
        char *p = path_of(w, fn);
        if (p) {
            use(w, id, p, arg);
            /* x.m(...): the receiver may be changed by the method */
            const char *dot = strrchr(p, '.');
            if (dot) {
                char *recv = pith_arena_strndup(w->a, p, (size_t)(dot - p));
                use(w, id, recv, arg);
                def(w, id, recv);
            }
        } else {
            expr(w, id, fn, arg, depth + 1);
        }
    }
    if (ts_node_is_null(args))
        return;
    uint32_t count = ts_node_named_child_count(args);
    for (uint32_t i = 0; i < count; i++) {
        TSNode a = ts_node_named_child(args, i);
        enum k k = kind(w, a);
        if (k == K_COMMENT)
            continue;
        Pith__IrArg *ia = NULL;
        struct ir_plist uses = { 0 };
        if (c && cargs.n < IR_PYTHON_LIST_CAP) {
            ia = pith_arena_alloc(w->a, sizeof *ia);
            Pith__IrArg init = PITH__IR_ARG__INIT;
            *ia = init;
            ppush(w->a, &cargs, ia);
        }
        TSNode v = a;
        if (k == K_KWARG) {
            TSNode name = fld(a, w->ir->f.name);
            if (ia && !ts_node_is_null(name))
                ia->keyword = text(w, name);
            v = fld(a, w->ir->f.value);
        } else if (k == K_LIST_SPLAT || k == K_DICT_SPLAT) {
            if (ia)
                ia->star = 1;
        }
        if (!ts_node_is_null(v))
            expr(w, id, v, &uses, depth + 1);
        if (arg) {
            for (size_t u = 0; u < uses.n; u++)
                spush(w, arg, uses.items[u]);
        }
        if (ia) {
            ia->uses = (char **)uses.items;
            ia->n_uses = uses.n;
        }
    }
    if (c) {
        c->args = (Pith__IrArg **)cargs.items;
        c->n_args = cargs.n;
    }
}

static void expr(struct lower *w, uint32_t id, TSNode n, struct ir_plist *arg, int depth)
{
    if (ts_node_is_null(n) || depth > IR_PYTHON_EXPR_DEPTH)
        return;
    switch (kind(w, n)) {
    case K_IDENT:
        use(w, id, text(w, n), arg);
        return;
    case K_ATTR: {
        char *p = path_of(w, n);
        if (p) {
            use(w, id, p, arg);
            return;
        }
        expr(w, id, fld(n, w->ir->f.object), arg, depth + 1);
        return;
    }
    case K_CALL:
        call(w, id, n, arg, depth);
        return;
    case K_KWARG:
        expr(w, id, fld(n, w->ir->f.value), arg, depth + 1);
        return;
    case K_LAMBDA:
        expr(w, id, fld(n, w->ir->f.body), arg, depth + 1);
        return;
    case K_WALRUS: {
        TSNode name = fld(n, w->ir->f.name);
        if (!ts_node_is_null(name))
            def(w, id, text(w, name));
        expr(w, id, fld(n, w->ir->f.value), arg, depth + 1);
        return;
    }
    case K_COMMENT:
        return;
    case K_STRING:
        if (ts_node_named_child_count(n) <= 3 && !ts_node_has_error(n)) {
            /* only interpolations hold expressions */
            int interp = 0;
            uint32_t c = ts_node_named_child_count(n);
            for (uint32_t i = 0; i < c; i++) {
                const char *t = ts_node_type(ts_node_named_child(n, i));
                if (strcmp(t, "interpolation") == 0)
                    interp = 1;
            }
            if (!interp)
                return;
        }
        break;
    default:
        break;
    }
    /* children through a cursor kept per depth (ts_node_named_child(n, i) costs O(i)) */
    TSTreeCursor *c = cursor_at(w, n, depth);
    if (!ts_tree_cursor_goto_first_child(c))
        return;
    do {
        TSNode ch = ts_tree_cursor_current_node(c);
        if (ts_node_is_named(ch))
            expr(w, id, ch, arg, depth + 1);
    } while (ts_tree_cursor_goto_next_sibling(c));
}

/* Assignment target: names and paths are written; subscripts write their base. */
static void target(struct lower *w, uint32_t id, TSNode t, int depth)
{
    if (ts_node_is_null(t) || depth > IR_PYTHON_EXPR_DEPTH)
        return;
    switch (kind(w, t)) {
    case K_IDENT:
        def(w, id, text(w, t));
        return;
    case K_ATTR: {
        char *p = path_of(w, t);
        if (p) {
            def(w, id, p);
            use(w, id, root_of(w, p), NULL);
            return;
        }
        expr(w, id, fld(t, w->ir->f.object), NULL, depth + 1);
        return;
    }
    case K_SUBSCRIPT: {
        TSNode v = fld(t, w->ir->f.value);
        char *p = ts_node_is_null(v) ? NULL : path_of(w, v);
        if (p)
            def(w, id, p);
        expr(w, id, t, NULL, depth + 1);
        return;
    }
    case K_SEQ:
    case K_PAREN:
    case K_SPLAT_PAT:
    case K_AS_TARGET:
    case K_LIST_SPLAT: {
        uint32_t count = ts_node_named_child_count(t);
        for (uint32_t i = 0; i < count; i++)
            target(w, id, ts_node_named_child(t, i), depth + 1);
        return;
    }
    default:
        expr(w, id, t, NULL, depth + 1);
        return;
    }
}

/* --- conditions --------------------------------------------------------------------------- */

static uint32_t cond(struct lower *w, TSNode n, int depth)
{
    enum k k = kind(w, n);
    while (k == K_PAREN && ts_node_named_child_count(n) == 1 && depth < IR_PYTHON_EXPR_DEPTH) {
        n = ts_node_named_child(n, 0);
        k = kind(w, n);
        depth++;
    }
    if (k == K_NOT && depth < IR_PYTHON_EXPR_DEPTH) {
        uint32_t id = st_new(w, PITH__IR_OP__IR_NOT, n);
        uint32_t kid = cond(w, fld(n, w->ir->f.argument), depth + 1);
        ppush(w->a, &st_at(w, id)->kids, (void *)(uintptr_t)kid);
        return id;
    }
    if (k == K_BOOL && depth < IR_PYTHON_EXPR_DEPTH) {
        TSNode op = fld(n, w->ir->f.operator_);
        int is_and = !ts_node_is_null(op) && strcmp(ts_node_type(op), "and") == 0;
        uint32_t id = st_new(w, is_and ? PITH__IR_OP__IR_AND : PITH__IR_OP__IR_OR, n);
        TSNode sides[2] = { fld(n, w->ir->f.left), fld(n, w->ir->f.right) };
        for (int i = 0; i < 2; i++) {
            uint32_t kid = cond(w, sides[i], depth + 1);
            struct ir_stmt *ks = st_at(w, kid);
            /* flatten (a and b) and c into one and over a, b, c */
            if (i == 0 && ks->m.op == st_at(w, id)->m.op) {
                for (size_t j = 0; j < ks->kids.n; j++)
                    ppush(w->a, &st_at(w, id)->kids, ks->kids.items[j]);
                ks->m.op = PITH__IR_OP__IR_NONE; /* orphaned */
            } else {
                ppush(w->a, &st_at(w, id)->kids, (void *)(uintptr_t)kid);
            }
        }
        return id;
    }
    uint32_t id = st_new(w, PITH__IR_OP__IR_TEST, n);
    expr(w, id, n, NULL, depth + 1);
    return id;
}

/* --- statements --------------------------------------------------------------------------- */

static void block(struct lower *w, struct ir_plist *out, TSNode b, int depth);
static uint32_t stmt(struct lower *w, TSNode n, int depth);

static void add_kid(struct lower *w, struct ir_plist *l, uint32_t id)
{
    if (id)
        ppush(w->a, l, (void *)(uintptr_t)id);
}

/* `x = a if c else b` / `return a if c else b`: an IR_IF whose branches are two copies of the
 * statement, each with one value. Returns 0 when `value` is not a conditional expression. */
static uint32_t
ternary(struct lower *w, TSNode n, TSNode value, Pith__IrOp op, TSNode *targets, int nt, int d)
{
    while (kind(w, value) == K_PAREN && ts_node_named_child_count(value) == 1)
        value = ts_node_named_child(value, 0);
    if (kind(w, value) != K_COND_EXPR || ts_node_named_child_count(value) != 3)
        return 0;
    TSNode then_v = ts_node_named_child(value, 0), test = ts_node_named_child(value, 1),
           else_v = ts_node_named_child(value, 2);
    uint32_t id = st_new(w, PITH__IR_OP__IR_IF, n);
    st_at(w, id)->m.is_expr = 1;
    st_at(w, id)->m.cond = cond(w, test, d + 1);
    TSNode vals[2] = { then_v, else_v };
    for (int b = 0; b < 2; b++) {
        uint32_t s = 0;
        if (d + 1 < IR_PYTHON_STMT_DEPTH)
            s = ternary(w, n, vals[b], op, targets, nt, d + 1);
        if (!s) {
            s = st_new(w, op, n);
            for (int t = 0; t < nt; t++)
                target(w, s, targets[t], 0);
            expr(w, s, vals[b], NULL, 0);
        }
        add_kid(w, b ? &st_at(w, id)->orelse : &st_at(w, id)->body, s);
    }
    return id;
}

static uint32_t expr_stmt(struct lower *w, TSNode n, int depth)
{
    TSNode e = ts_node_named_child_count(n) ? ts_node_named_child(n, 0) : n;
    enum k k = kind(w, e);
    if (k == K_ASSIGN) {
        TSNode targets[16];
        int nt = 0;
        TSNode cur = e;
        while (kind(w, cur) == K_ASSIGN && nt < 16) {
            targets[nt++] = fld(cur, w->ir->f.left);
            cur = fld(cur, w->ir->f.right);
        }
        if (ts_node_is_null(cur)) { /* annotation only: x: int */
            uint32_t id = st_new(w, PITH__IR_OP__IR_SIMPLE, n);
            return id;
        }
        if (kind(w, cur) != K_ASSIGN) {
            uint32_t t = ternary(w, n, cur, PITH__IR_OP__IR_SIMPLE, targets, nt, depth);
            if (t)
                return t;
        }
        uint32_t id = st_new(w, PITH__IR_OP__IR_SIMPLE, n);
        expr(w, id, cur, NULL, 0);
        for (int i = 0; i < nt; i++)
            target(w, id, targets[i], 0);
        return id;
    }
    uint32_t id = st_new(w, PITH__IR_OP__IR_SIMPLE, n);
    if (k == K_AUGASSIGN) {
        TSNode l = fld(e, w->ir->f.left);
        expr(w, id, l, NULL, 0);
        target(w, id, l, 0);
        expr(w, id, fld(e, w->ir->f.right), NULL, 0);
        return id;
    }
    expr(w, id, n, NULL, 0);
    return id;
}

/* Pattern of a case clause: capture names are written, dotted names and literals read. */
static void pattern(struct lower *w, uint32_t id, TSNode n, int depth)
{
    if (ts_node_is_null(n) || depth > IR_PYTHON_EXPR_DEPTH)
        return;
    enum k k = kind(w, n);
    if (k == K_DOTTED) {
        if (ts_node_named_child_count(n) == 1) {
            char *t = text(w, n);
            if (strcmp(t, "_") != 0)
                def(w, id, t);
        } else {
            use(w, id, compact(w, n), NULL);
        }
        return;
    }
    if (k == K_IDENT) {
        if (!(ts_node_end_byte(n) - ts_node_start_byte(n) == 1 &&
              w->src[ts_node_start_byte(n)] == '_'))
            def(w, id, text(w, n));
        return;
    }
    if (k == K_CLASS_PATTERN) {
        uint32_t count = ts_node_named_child_count(n);
        for (uint32_t i = 0; i < count; i++) {
            TSNode c = ts_node_named_child(n, i);
            if (i == 0 && kind(w, c) == K_DOTTED)
                use(w, id, compact(w, c), NULL);
            else
                pattern(w, id, c, depth + 1);
        }
        return;
    }
    if (k == K_KEYWORD_PATTERN) {
        uint32_t count = ts_node_named_child_count(n);
        for (uint32_t i = 1; i < count; i++)
            pattern(w, id, ts_node_named_child(n, i), depth + 1);
        return;
    }
    if (k == K_ATTR) {
        expr(w, id, n, NULL, depth + 1);
        return;
    }
    uint32_t count = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < count; i++)
        pattern(w, id, ts_node_named_child(n, i), depth + 1);
}

static int is_wildcard(struct lower *w, TSNode pat)
{
    /* case _: / case name: (a bare capture) match anything */
    if (ts_node_end_byte(pat) - ts_node_start_byte(pat) == 1 &&
        w->src[ts_node_start_byte(pat)] == '_')
        return 1;
    TSNode c = pat;
    for (int i = 0; i < 4 && !ts_node_is_null(c); i++) {
        enum k k = kind(w, c);
        if (k == K_DOTTED)
            return ts_node_named_child_count(c) == 1;
        if (k == K_IDENT)
            return 1;
        if (ts_node_named_child_count(c) != 1)
            return 0;
        c = ts_node_named_child(c, 0);
    }
    return ts_node_end_byte(pat) - ts_node_start_byte(pat) == 1 &&
           w->src[ts_node_start_byte(pat)] == '_';
}

static uint32_t def_stmt(struct lower *w, TSNode n, TSNode decorated, int depth)
{
    uint32_t id = st_new(w, PITH__IR_OP__IR_DEF, ts_node_is_null(decorated) ? n : decorated);
    struct ir_stmt *s = st_at(w, id);
    TSNode name = fld(n, w->ir->f.name), hdr = fld(n, w->ir->f.parameters);
    if (ts_node_is_null(hdr))
        hdr = fld(n, w->ir->f.superclasses);
    s->m.end_line = end_line_of(ts_node_is_null(hdr) ? name : hdr);
    if (!ts_node_is_null(name))
        def(w, id, text(w, name));
    if (!ts_node_is_null(decorated)) {
        uint32_t count = ts_node_named_child_count(decorated);
        for (uint32_t i = 0; i + 1 < count; i++)
            expr(w, id, ts_node_named_child(decorated, i), NULL, 0);
    }
    if (!ts_node_is_null(hdr)) {
        /* defaults and base classes are evaluated here; parameter names are not uses */
        uint32_t count = ts_node_named_child_count(hdr);
        for (uint32_t i = 0; i < count; i++) {
            TSNode c = ts_node_named_child(hdr, i);
            TSNode v = fld(c, w->ir->f.value);
            if (!ts_node_is_null(v))
                expr(w, id, v, NULL, 0);
            else if (kind(w, c) != K_IDENT && strcmp(ts_node_type(c), "typed_parameter") != 0 &&
                     kind(w, c) != K_SPLAT_PAT && strcmp(ts_node_type(hdr), "parameters") != 0)
                expr(w, id, c, NULL, 0);
        }
    }
    /* a class body runs where the class is defined: its statements (methods among them) are
     * kept as the DEF's body for the python3-mccabe count; the CFG treats the DEF as one node */
    if (kind(w, n) == K_CLASS && depth < IR_PYTHON_STMT_DEPTH)
        block(w, &st_at(w, id)->body, fld(n, w->ir->f.body), depth);
    /* the nested function's FunctionIr index is filled in when it is lowered */
    s->m.func = (uint32_t)ts_node_start_byte(n) + 1; /* placeholder: byte offset + 1 */
    return id;
}

static uint32_t stmt(struct lower *w, TSNode n, int depth)
{
    struct fields *f = &w->ir->f;
    enum k k = kind(w, n);
    if (k == K_COMMENT)
        return 0;
    if (depth > IR_PYTHON_STMT_DEPTH) {
        uint32_t id = st_new(w, PITH__IR_OP__IR_SIMPLE, n);
        return id;
    }
    uint32_t id;
    switch (k) {
    case K_EXPR_STMT:
        return expr_stmt(w, n, depth);
    case K_RETURN: {
        TSNode v = ts_node_named_child_count(n) ? ts_node_named_child(n, 0) : n;
        if (v.id != n.id) {
            id = ternary(w, n, v, PITH__IR_OP__IR_RETURN, NULL, 0, depth);
            if (id)
                return id;
        }
        id = st_new(w, PITH__IR_OP__IR_RETURN, n);
        if (v.id != n.id)
            expr(w, id, n, NULL, 0);
        return id;
    }
    case K_RAISE:
        id = st_new(w, PITH__IR_OP__IR_RAISE, n);
        expr(w, id, n, NULL, 0);
        return id;
    case K_BREAK:
        return st_new(w, PITH__IR_OP__IR_BREAK, n);
    case K_CONTINUE:
        return st_new(w, PITH__IR_OP__IR_CONTINUE, n);
    case K_IF:
    case K_ELIF: {
        id = st_new(w, PITH__IR_OP__IR_IF, n);
        TSNode c = fld(n, f->condition);
        st_at(w, id)->m.end_line = end_line_of(c);
        uint32_t cid = cond(w, c, 0);
        st_at(w, id)->m.cond = cid;
        block(w, &st_at(w, id)->body, fld(n, f->consequence), depth);
        if (k == K_ELIF)
            return id;
        /* alternatives: elif clauses chain into nested IFs in orelse */
        struct ir_plist *tail = &st_at(w, id)->orelse;
        uint32_t count = ts_node_child_count(n);
        for (uint32_t i = 0; i < count; i++) {
            const char *fn = ts_node_field_name_for_child(n, i);
            if (!fn || strcmp(fn, "alternative") != 0)
                continue;
            TSNode alt = ts_node_child(n, i);
            if (kind(w, alt) == K_ELIF) {
                uint32_t e = stmt(w, alt, depth + 1);
                add_kid(w, tail, e);
                tail = &st_at(w, e)->orelse;
            } else {
                block(w, tail, fld(alt, f->body), depth);
            }
        }
        return id;
    }
    case K_WHILE: {
        id = st_new(w, PITH__IR_OP__IR_WHILE, n);
        TSNode c = fld(n, f->condition);
        st_at(w, id)->m.end_line = end_line_of(c);
        uint32_t cid = cond(w, c, 0);
        st_at(w, id)->m.cond = cid;
        block(w, &st_at(w, id)->body, fld(n, f->body), depth);
        TSNode alt = fld(n, f->alternative);
        if (!ts_node_is_null(alt))
            block(w, &st_at(w, id)->orelse, fld(alt, f->body), depth);
        return id;
    }
    case K_FOR: {
        id = st_new(w, PITH__IR_OP__IR_FOR, n);
        TSNode r = fld(n, f->right);
        st_at(w, id)->m.end_line = end_line_of(ts_node_is_null(r) ? n : r);
        expr(w, id, r, NULL, 0);
        target(w, id, fld(n, f->left), 0);
        block(w, &st_at(w, id)->body, fld(n, f->body), depth);
        TSNode alt = fld(n, f->alternative);
        if (!ts_node_is_null(alt))
            block(w, &st_at(w, id)->orelse, fld(alt, f->body), depth);
        return id;
    }
    case K_TRY: {
        id = st_new(w, PITH__IR_OP__IR_TRY, n);
        st_at(w, id)->m.end_line = st_at(w, id)->m.line;
        block(w, &st_at(w, id)->body, fld(n, f->body), depth);
        uint32_t count = ts_node_named_child_count(n);
        for (uint32_t i = 0; i < count; i++) {
            TSNode c = ts_node_named_child(n, i);
            enum k ck = kind(w, c);
            if (ck == K_EXCEPT) {
                uint32_t h = st_new(w, PITH__IR_OP__IR_HANDLER, c);
                uint32_t cc = ts_node_named_child_count(c);
                TSNode body = { { 0 }, NULL, NULL };
                for (uint32_t j = 0; j < cc; j++) {
                    TSNode x = ts_node_named_child(c, j);
                    if (kind(w, x) == K_BLOCK)
                        body = x;
                }
                TSNode v = fld(c, f->value), al = fld(c, f->alias);
                if (!ts_node_is_null(v)) {
                    if (kind(w, v) == K_AS_PATTERN) {
                        /* older grammars: except E as e */
                        expr(w, h, ts_node_named_child(v, 0), NULL, 0);
                        TSNode t = fld(v, f->alias);
                        if (!ts_node_is_null(t))
                            target(w, h, t, 0);
                    } else {
                        expr(w, h, v, NULL, 0);
                    }
                    st_at(w, h)->m.end_line = end_line_of(v);
                } else {
                    st_at(w, h)->m.end_line = st_at(w, h)->m.line;
                }
                if (!ts_node_is_null(al))
                    target(w, h, al, 0);
                if (ts_node_is_null(v))
                    st_at(w, h)->m.is_default = 1;
                if (!ts_node_is_null(body))
                    block(w, &st_at(w, h)->body, body, depth);
                add_kid(w, &st_at(w, id)->handlers, h);
            } else if (ck == K_ELSE) {
                block(w, &st_at(w, id)->orelse, fld(c, f->body), depth);
            } else if (ck == K_FINALLY) {
                uint32_t cc = ts_node_named_child_count(c);
                for (uint32_t j = 0; j < cc; j++) {
                    TSNode x = ts_node_named_child(c, j);
                    if (kind(w, x) == K_BLOCK)
                        block(w, &st_at(w, id)->finalbody, x, depth);
                }
            }
        }
        return id;
    }
    case K_WITH: {
        id = st_new(w, PITH__IR_OP__IR_WITH, n);
        uint32_t count = ts_node_named_child_count(n);
        for (uint32_t i = 0; i < count; i++) {
            TSNode c = ts_node_named_child(n, i);
            if (kind(w, c) != K_WITH_CLAUSE)
                continue;
            st_at(w, id)->m.end_line = end_line_of(c);
            uint32_t items = ts_node_named_child_count(c);
            for (uint32_t j = 0; j < items; j++) {
                TSNode it = ts_node_named_child(c, j);
                TSNode v = kind(w, it) == K_WITH_ITEM ? fld(it, f->value) : it;
                if (kind(w, v) == K_AS_PATTERN) {
                    expr(w, id, ts_node_named_child(v, 0), NULL, 0);
                    TSNode t = fld(v, f->alias);
                    if (!ts_node_is_null(t))
                        target(w, id, ts_node_named_child_count(t) ? ts_node_named_child(t, 0) : t,
                               0);
                } else {
                    expr(w, id, v, NULL, 0);
                }
            }
        }
        block(w, &st_at(w, id)->body, fld(n, f->body), depth);
        return id;
    }
    case K_DECORATED: {
        TSNode d = fld(n, f->definition);
        if (ts_node_is_null(d))
            break;
        return def_stmt(w, d, n, depth);
    }
    case K_FUNC:
    case K_CLASS: {
        TSNode none = { { 0 }, NULL, NULL };
        return def_stmt(w, n, none, depth);
    }
    case K_MATCH: {
        id = st_new(w, PITH__IR_OP__IR_MATCH, n);
        TSNode subj = fld(n, f->subject);
        if (!ts_node_is_null(subj)) {
            st_at(w, id)->m.end_line = end_line_of(subj);
            expr(w, id, subj, NULL, 0);
        }
        /* other subjects (match a, b:) */
        TSNode body = fld(n, f->body);
        uint32_t count = ts_node_is_null(body) ? 0 : ts_node_named_child_count(body);
        for (uint32_t i = 0; i < count; i++) {
            TSNode c = ts_node_named_child(body, i);
            if (kind(w, c) != K_CASE)
                continue;
            uint32_t cs = st_new(w, PITH__IR_OP__IR_CASE, c);
            TSNode cons = fld(c, f->consequence), guard = fld(c, f->guard);
            uint32_t cc = ts_node_named_child_count(c);
            int wild = 0;
            for (uint32_t j = 0; j < cc; j++) {
                TSNode x = ts_node_named_child(c, j);
                if (strcmp(ts_node_type(x), "case_pattern") == 0) {
                    pattern(w, cs, x, 0);
                    st_at(w, cs)->m.end_line = end_line_of(x);
                    if (cc <= 3 && is_wildcard(w, x))
                        wild = 1;
                }
            }
            if (!ts_node_is_null(guard)) {
                TSNode g = ts_node_named_child_count(guard) ? ts_node_named_child(guard, 0) : guard;
                st_at(w, cs)->m.cond = cond(w, g, 0);
                wild = 0;
            }
            st_at(w, cs)->m.is_default = wild;
            block(w, &st_at(w, cs)->body, cons, depth);
            add_kid(w, &st_at(w, id)->handlers, cs);
        }
        return id;
    }
    case K_IMPORT:
    case K_IMPORT_FROM:
    case K_FUTURE_IMPORT: {
        id = st_new(w, PITH__IR_OP__IR_SIMPLE, n);
        TSNode mod = fld(n, w->ir->f.name); /* unused: names come from children */
        (void)mod;
        uint32_t count = ts_node_named_child_count(n);
        for (uint32_t i = 0; i < count; i++) {
            TSNode c = ts_node_named_child(n, i);
            const char *fn = ts_node_field_name_for_named_child(n, i);
            if (k == K_IMPORT_FROM && (!fn || strcmp(fn, "name") != 0))
                continue;
            if (kind(w, c) == K_ALIASED_IMPORT) {
                TSNode al = fld(c, w->ir->f.alias);
                if (!ts_node_is_null(al))
                    def(w, id, text(w, al));
            } else if (kind(w, c) == K_DOTTED) {
                TSNode first = ts_node_named_child(c, k == K_IMPORT ? 0 : 0);
                if (k == K_IMPORT)
                    def(w, id, text(w, first));
                else
                    def(w, id, compact(w, c));
            }
        }
        return id;
    }
    case K_GLOBAL:
    case K_PASS:
        return st_new(w, PITH__IR_OP__IR_SIMPLE, n);
    case K_TYPE_ALIAS: {
        id = st_new(w, PITH__IR_OP__IR_SIMPLE, n);
        if (ts_node_named_child_count(n))
            target(w, id, ts_node_named_child(n, 0), 0);
        return id;
    }
    default:
        break;
    }
    id = st_new(w, PITH__IR_OP__IR_SIMPLE, n);
    expr(w, id, n, NULL, 0);
    return id;
}

static void block(struct lower *w, struct ir_plist *out, TSNode b, int depth)
{
    if (ts_node_is_null(b))
        return;
    uint32_t count = ts_node_named_child_count(b);
    for (uint32_t i = 0; i < count; i++)
        add_kid(w, out, stmt(w, ts_node_named_child(b, i), depth + 1));
}

/* --- functions ---------------------------------------------------------------------------- */

/* Symbol id of the function defined at `n`, or 0: symbols are in pre-order, so by position. */
static uint32_t symbol_at(struct lower *w, TSNode n)
{
    TSPoint sp = ts_node_start_point(n);
    size_t lo = 0, hi = w->nsyms;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const Pith__Symbol *s = &w->syms[mid];
        if (s->start_line < sp.row + 1 || (s->start_line == sp.row + 1 && s->start_col < sp.column))
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < w->nsyms; i++) {
        const Pith__Symbol *s = &w->syms[i];
        if (s->start_line != sp.row + 1 || s->start_col != sp.column)
            break;
        if (s->kind == PITH__SYMBOL_KIND__SYMBOL_FUNCTION ||
            s->kind == PITH__SYMBOL_KIND__SYMBOL_METHOD ||
            s->kind == PITH__SYMBOL_KIND__SYMBOL_NESTED)
            return (uint32_t)i + 1;
    }
    return 0;
}

static void lower_function(struct lower *w, TSNode fn, uint32_t symid)
{
    w->stmts.n = 0;
    w->stmts.cap = 0;
    w->stmts.items = NULL;
    Pith__FunctionIr *f = pith_arena_alloc(w->a, sizeof *f);
    Pith__FunctionIr init = PITH__FUNCTION_IR__INIT;
    *f = init;
    f->symbol = symid;
    f->line = line_of(fn);
    const Pith__Symbol *s = &w->syms[symid - 1];
    f->n_params = s->n_params;
    if (s->n_params) {
        f->params = pith_arena_alloc(w->a, s->n_params * sizeof *f->params);
        for (size_t i = 0; i < s->n_params; i++)
            f->params[i] = s->params[i]->name;
    }
    struct ir_plist top = { 0 };
    block(w, &top, fld(fn, w->ir->f.body), 0);
    f->n_body = top.n;
    f->body = ir_plist_ids(&top);
    f->n_stmts = w->stmts.n;
    f->stmts = pith_arena_alloc(w->a, (w->stmts.n ? w->stmts.n : 1) * sizeof *f->stmts);
    for (size_t i = 0; i < w->stmts.n; i++) {
        struct ir_stmt *st = w->stmts.items[i];
        ir_stmt_finish(st);
        f->stmts[i] = &st->m;
    }
    ppush(w->a, &w->bodies, f);
}

void ir_python_lower(struct ir_python *ir,
                     struct pith_arena *arena,
                     Pith__FileFacts *out,
                     TSNode root,
                     const char *src,
                     uint32_t len,
                     Pith__Symbol *syms,
                     size_t count)
{
    struct lower w = { .ir = ir, .a = arena, .src = src, .len = len, .syms = syms, .nsyms = count };
    /* pre-order over the tree with a cursor (no recursion): every function_definition */
    TSTreeCursor c = ts_tree_cursor_new(root);
    struct ir_plist fn_start = { 0 }; /* byte offset + 1 of each lowered function, by body index */
    for (;;) {
        TSNode n = ts_tree_cursor_current_node(&c);
        enum k k = kind(&w, n);
        if (k == K_FUNC) {
            uint32_t id = symbol_at(&w, n);
            if (id) {
                lower_function(&w, n, id);
                ppush(arena, &fn_start, (void *)(uintptr_t)(ts_node_start_byte(n) + 1));
            }
        }
        /* definitions sit in statements, never inside expressions: skip those subtrees */
        if ((root.id == n.id ||
             (k != K_OTHER && k != K_EXPR_STMT && k != K_RETURN && k < K_IMPORT) || k == K_BLOCK ||
             k == K_FINALLY || k == K_CASE) &&
            ts_tree_cursor_goto_first_child(&c))
            continue;
        while (!ts_tree_cursor_goto_next_sibling(&c)) {
            if (!ts_tree_cursor_goto_parent(&c))
                goto done;
        }
    }
done:
    ts_tree_cursor_delete(&c);
    /* IR_DEF.func: byte-offset placeholders -> body index (bodies are in start-byte order) */
    for (size_t b = 0; b < w.bodies.n; b++) {
        Pith__FunctionIr *f = w.bodies.items[b];
        for (size_t i = 0; i < f->n_stmts; i++) {
            Pith__IrStmt *s = f->stmts[i];
            if (s->op != PITH__IR_OP__IR_DEF)
                continue;
            uint32_t want = s->func;
            s->func = 0;
            size_t lo = 0, hi = fn_start.n;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if ((uint32_t)(uintptr_t)fn_start.items[mid] < want)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo < fn_start.n && (uint32_t)(uintptr_t)fn_start.items[lo] == want)
                s->func = (uint32_t)lo + 1;
        }
    }
    out->bodies = (Pith__FunctionIr **)w.bodies.items;
    out->n_bodies = w.bodies.n;
}
