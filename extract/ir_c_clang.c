/* C/C++ -> statement IR from libclang cursors (see ir_c_clang.h). Statements recurse on the
 * cursor tree (depth capped); conditions become IR_AND/IR_OR/IR_NOT trees over IR_TEST leaves:
 *
 *   if (p && !q) ...          IR_IF cond -> IR_AND kids [IR_TEST p, IR_NOT kids [IR_TEST q]]
 *   x = c ? a : b;            IR_IF (is_expr) cond IR_TEST c, body [x = a], orelse [x = b]
 *   for (i = 0; i < n; i++)   [i = 0] IR_FOR cond [i < n], body [...], update [i++]
 *   switch (x) { case 1: a; case 2: b; break; default: c; }
 *                             IR_SWITCH handlers [IR_CASE 1 body [a], IR_CASE 2 body [b, break],
 *                             IR_CASE default body [c]]: cases are targets, bodies fall through
 *
 * Variables are names or access paths: "p->next", "s.f", "*p" (a read of *p reads p too); a
 * write to a[i] writes the base path "a" (as Python's x[i] = v); ++/--, compound assignments
 * read and write their target; &x passed to a call lets the callee write x.
 * Complexity (pmccabe's modified count): 1 + if, for, while, do, switch, &&, ||, ?: whose
 * keyword or operator is written in the function's text (a macro's body is not; its arguments
 * are), which is what pmccabe, reading the unpreprocessed file, sees. */
#include "ir_c_clang.h"
#include "ir_build.h"

#include "common/hashmap.h"

#include <stdlib.h>
#include <string.h>

struct lower {
    struct ir_c_scratch *a; /* everything built here; rewound after each function */
    CXTranslationUnit tu;
    struct pith_hashmap names; /* referenced declaration (pointer bytes) -> index in decl_names */
    struct ir_plist decl_names;
    struct ir_plist stmts;
    uint32_t decisions;
    int nocount; /* > 0: a second walk of the same text (ternary targets) */
    size_t work; /* expression nodes lowered so far (IR_C_EXPR_WORK) */
    int cpp;
    CXFile tf; /* file_text cache */
    const char *tsrc;
    size_t tlen;
};

#define KIDS_CAP 8

struct kids {
    CXCursor v[KIDS_CAP];
    unsigned n;
};

static const char empty[] = "";

struct ir_c_block {
    struct ir_c_block *next;
    size_t used, size;
    _Alignas(8) unsigned char data[];
};

/* `n` zeroed bytes aligned to 8 from the scratch blocks (kept across functions: no page faults
 * and no malloc once the largest function has been lowered). */
static void *salloc(struct ir_c_scratch *s, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    struct ir_c_block **at = s->cur ? &s->cur : &s->first;
    while (*at && (*at)->size - (*at)->used < n)
        at = &(*at)->next;
    if (!*at) {
#ifdef PITH_ARENA_DEBUG
        size_t size = n; /* one block per allocation, freed at the rewind: ASan sees overruns */
#else
        size_t size = n > ((size_t)256 << 10) ? n : (size_t)256 << 10;
#endif
        struct ir_c_block *b = pith_xmalloc(sizeof *b + size);
        b->next = NULL;
        b->used = 0;
        b->size = size;
        *at = b;
    }
    struct ir_c_block *b = *at;
    s->cur = b;
    void *p = b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

static char *sstrndup(struct ir_c_scratch *s, const char *t, size_t n)
{
    char *p = salloc(s, n + 1);
    memcpy(p, t, n);
    return p;
}

static char *sstrdup(struct ir_c_scratch *s, const char *t)
{
    return sstrndup(s, t, strlen(t));
}

static void srewind(struct ir_c_scratch *s)
{
#ifdef PITH_ARENA_DEBUG
    ir_c_scratch_release(s);
    return;
#endif
    for (struct ir_c_block *b = s->first; b; b = b->next)
        b->used = 0;
    s->cur = s->first;
}

void ir_c_scratch_release(struct ir_c_scratch *s)
{
    struct ir_c_block *b = s->first;
    while (b) {
        struct ir_c_block *next = b->next;
        free(b);
        b = next;
    }
    s->first = s->cur = NULL;
}

static void *alloc_cb(void *ctx, size_t n)
{
    return salloc(ctx, n);
}

static void ppush(struct ir_c_scratch *a, struct ir_plist *l, void *x)
{
    ir_plist_push(alloc_cb, a, l, x);
}

static void spush(struct lower *w, struct ir_plist *l, char *s)
{
    ir_plist_add_str(alloc_cb, w->a, l, s, IR_C_LIST_CAP);
}

static enum CXChildVisitResult kids_visit(CXCursor c, CXCursor parent, CXClientData data)
{
    (void)parent;
    struct kids *k = data;
    if (k->n < KIDS_CAP)
        k->v[k->n] = c;
    k->n++;
    return CXChildVisit_Continue;
}

/* The first KIDS_CAP children of `c`; n counts them all. */
static void kids_of(CXCursor c, struct kids *k)
{
    k->n = 0;
    clang_visitChildren(c, kids_visit, k);
}

static enum CXCursorKind kind(CXCursor c)
{
    return clang_getCursorKind(c);
}

/* `c` without parentheses and implicit conversions. */
static CXCursor strip(CXCursor c)
{
    for (int i = 0; i < 64; i++) {
        enum CXCursorKind k = kind(c);
        if (k != CXCursor_ParenExpr && k != CXCursor_UnexposedExpr)
            break;
        struct kids ks;
        kids_of(c, &ks);
        if (ks.n != 1)
            break;
        c = ks.v[0];
    }
    return c;
}

static char *spelling(struct lower *w, CXCursor c)
{
    CXString s = clang_getCursorSpelling(c);
    const char *t = clang_getCString(s);
    char *r = sstrdup(w->a, t ? t : "");
    clang_disposeString(s);
    return r;
}

/* The spelling of DeclRefExpr `c` referencing `decl`: the declaration's name (libclang spells a
 * DeclRefExpr by the declaration it names), looked up once per declaration and function. */
static char *ref_name(struct lower *w, CXCursor c, CXCursor decl)
{
    uint32_t v;
    const void *key = decl.data[0];
    if (pith_hashmap_get(&w->names, (const char *)&key, sizeof key, &v))
        return w->decl_names.items[v];
    char *name = spelling(w, c);
    const void **k = salloc(w->a, sizeof *k);
    *k = key;
    pith_hashmap_put(&w->names, (const char *)k, sizeof *k, (uint32_t)w->decl_names.n);
    ppush(w->a, &w->decl_names, name);
    return name;
}

static uint32_t line_at(CXSourceLocation l)
{
    CXFile f;
    unsigned line, col, off;
    clang_getExpansionLocation(l, &f, &line, &col, &off);
    return line;
}

static uint32_t line_of(CXCursor c)
{
    return line_at(clang_getRangeStart(clang_getCursorExtent(c)));
}

static uint32_t end_line_of(CXCursor c)
{
    uint32_t a = line_of(c), b = line_at(clang_getRangeEnd(clang_getCursorExtent(c)));
    return b < a ? a : b;
}

static struct ir_stmt *st_at(struct lower *w, uint32_t id)
{
    return w->stmts.items[id - 1];
}

static uint32_t st_new(struct lower *w, Pith__IrOp op, CXCursor c)
{
    struct ir_stmt *s = salloc(w->a, sizeof *s);
    Pith__IrStmt init = PITH__IR_STMT__INIT;
    memset(s, 0, sizeof *s);
    s->m = init;
    s->m.op = op;
    CXSourceRange r = clang_getCursorExtent(c);
    s->m.line = line_at(clang_getRangeStart(r));
    s->m.end_line = line_at(clang_getRangeEnd(r));
    if (s->m.end_line < s->m.line)
        s->m.end_line = s->m.line;
    ppush(w->a, &w->stmts, s);
    return (uint32_t)w->stmts.n;
}

static void add_kid(struct lower *w, struct ir_plist *l, uint32_t id)
{
    if (id)
        ppush(w->a, l, (void *)(uintptr_t)id);
}

/* --- what the function's text shows (pmccabe's view) -------------------------------------- */

static const char *file_text(struct lower *w, CXFile f, size_t *len)
{
    if (f != w->tf) {
        w->tf = f;
        w->tlen = 0;
        w->tsrc = f ? clang_getFileContents(w->tu, f, &w->tlen) : NULL;
    }
    *len = w->tsrc ? w->tlen : 0;
    return w->tsrc;
}

static int ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Is keyword `kw` written at the start of `c` (not produced by a macro's body)? */
static void count_keyword(struct lower *w, CXCursor c, const char *kw)
{
    if (w->nocount)
        return;
    CXFile f;
    unsigned line, col, off;
    clang_getFileLocation(clang_getRangeStart(clang_getCursorExtent(c)), &f, &line, &col, &off);
    size_t len, n = strlen(kw);
    const char *src = file_text(w, f, &len);
    if (src && off + n <= len && memcmp(src + off, kw, n) == 0 &&
        (off + n == len || !ident_char(src[off + n])))
        w->decisions++;
}

/* Is operator `op` written in the text between operands `l` and `r`? */
static void count_between(struct lower *w, CXCursor l, CXCursor r, const char *op)
{
    if (w->nocount)
        return;
    CXFile f1, f2;
    unsigned line, col, o1, o2;
    clang_getFileLocation(clang_getRangeEnd(clang_getCursorExtent(l)), &f1, &line, &col, &o1);
    clang_getFileLocation(clang_getRangeStart(clang_getCursorExtent(r)), &f2, &line, &col, &o2);
    size_t len, n = strlen(op);
    if (!f1 || f1 != f2 || o1 > o2 || o2 - o1 > 4096)
        return;
    const char *src = file_text(w, f1, &len);
    if (!src || o2 > len)
        return;
    for (unsigned i = o1; i + n <= o2; i++) {
        if (memcmp(src + i, op, n) == 0) {
            w->decisions++;
            return;
        }
    }
}

/* --- expressions --------------------------------------------------------------------------- */

static void expr(struct lower *w, uint32_t id, CXCursor c, struct ir_plist *arg, int depth);

static int is_var(CXCursor decl)
{
    enum CXCursorKind k = kind(decl);
    return k == CXCursor_VarDecl || k == CXCursor_ParmDecl;
}

/* "a", "p->next", "s.f", "*p", "this->m" when `c` is such a path, else NULL. */
static char *path_of(struct lower *w, CXCursor c, int depth)
{
    if (depth > 32)
        return NULL;
    c = strip(c);
    switch (kind(c)) {
    case CXCursor_DeclRefExpr: {
        CXCursor d = clang_getCursorReferenced(c);
        return is_var(d) ? ref_name(w, c, d) : NULL;
    }
    case CXCursor_CXXThisExpr:
        return sstrdup(w->a, "this");
    case CXCursor_MemberRefExpr: {
        struct kids ks;
        kids_of(c, &ks);
        char *base = NULL;
        const char *sep = ".";
        if (ks.n == 0) {
            base = w->cpp ? sstrdup(w->a, "this") : NULL;
            sep = "->";
        } else {
            base = path_of(w, ks.v[0], depth + 1);
            CXType t = clang_getCanonicalType(clang_getCursorType(ks.v[0]));
            if (t.kind == CXType_Pointer)
                sep = "->";
        }
        if (!base)
            return NULL;
        char *m = spelling(w, c);
        size_t bl = strlen(base), sl = strlen(sep), ml = strlen(m);
        if (!ml || bl + sl + ml > 512)
            return NULL;
        char *p = salloc(w->a, bl + sl + ml + 1);
        memcpy(p, base, bl);
        memcpy(p + bl, sep, sl);
        memcpy(p + bl + sl, m, ml + 1);
        return p;
    }
    case CXCursor_UnaryOperator: {
        if (clang_getCursorUnaryOperatorKind(c) != CXUnaryOperator_Deref)
            return NULL;
        struct kids ks;
        kids_of(c, &ks);
        if (ks.n != 1)
            return NULL;
        char *inner = path_of(w, ks.v[0], depth + 1);
        if (!inner || strlen(inner) > 512)
            return NULL;
        size_t n = strlen(inner);
        char *p = salloc(w->a, n + 2);
        p[0] = '*';
        memcpy(p + 1, inner, n + 1);
        return p;
    }
    default:
        return NULL;
    }
}

/* The variable an access path starts from ("p" of "p->next", "s" of "s.f", "p" of "*p"). */
static char *root_of(struct lower *w, const char *path)
{
    while (*path == '*')
        path++;
    size_t n = 0;
    while (path[n] && ident_char(path[n]))
        n++;
    return sstrndup(w->a, path, n);
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

struct ectx {
    struct lower *w;
    uint32_t id;
    struct ir_plist *arg;
    int depth;
};

static enum CXChildVisitResult expr_visit(CXCursor c, CXCursor parent, CXClientData data)
{
    (void)parent;
    struct ectx *e = data;
    expr(e->w, e->id, c, e->arg, e->depth);
    return CXChildVisit_Continue;
}

static void expr_kids(struct lower *w, uint32_t id, CXCursor c, struct ir_plist *arg, int depth)
{
    struct ectx e = { w, id, arg, depth + 1 };
    clang_visitChildren(c, expr_visit, &e);
}

/* Assignment target `t` of statement `id`: written (and, for a path, its root read). */
static void target(struct lower *w, uint32_t id, CXCursor t, int depth)
{
    t = strip(t);
    char *p = path_of(w, t, 0);
    if (p) {
        def(w, id, p);
        if (strcmp(p, root_of(w, p)) != 0) { /* p->f = v, *p = v: p is read */
            struct kids ks;
            kids_of(t, &ks);
            if (ks.n)
                expr(w, id, ks.v[0], NULL, depth + 1);
        }
        return;
    }
    if (kind(t) == CXCursor_ArraySubscriptExpr) {
        struct kids ks;
        kids_of(t, &ks);
        char *bp = ks.n ? path_of(w, ks.v[0], 0) : NULL;
        if (bp)
            def(w, id, bp);
        expr(w, id, t, NULL, depth + 1);
        return;
    }
    if (kind(t) == CXCursor_MemberRefExpr) { /* a[i].f = v: the base is written */
        struct kids ks;
        kids_of(t, &ks);
        if (ks.n) {
            CXCursor b = strip(ks.v[0]);
            if (kind(b) == CXCursor_ArraySubscriptExpr) {
                target(w, id, b, depth + 1);
                return;
            }
        }
    }
    expr(w, id, t, NULL, depth + 1);
}

static void call(struct lower *w, uint32_t id, CXCursor c, struct ir_plist *arg, int depth)
{
    struct ir_stmt *s = st_at(w, id);
    Pith__IrCall *ic = NULL;
    int nargs = clang_Cursor_getNumArguments(c);
    if (nargs < 0)
        nargs = 0;
    struct ir_plist cargs = { 0 };
    if (s->calls.n < IR_C_LIST_CAP) {
        ic = salloc(w->a, sizeof *ic);
        Pith__IrCall init = PITH__IR_CALL__INIT;
        *ic = init;
        ic->callee = spelling(w, c);
        if (!ic->callee[0])
            ic->callee = (char *)"(expression)";
        CXFile f;
        unsigned line, col, off;
        clang_getExpansionLocation(clang_getCursorLocation(c), &f, &line, &col, &off);
        ic->line = line;
        ic->col = col ? col - 1 : 0;
        ppush(w->a, &s->calls, ic);
    }
    /* The callee expression: the first child that is not an argument. In a C++ operator call
     * (a << b) the children come in source order, operand first; taking that operand for the
     * callee lowered it twice, once per level of a chain (m << x << y << ...): 2^n. */
    struct kids ks;
    kids_of(c, &ks);
    int callee = -1;
    if (ks.n > (unsigned)nargs && ks.n <= KIDS_CAP) {
        for (unsigned k = 0; k < ks.n && callee < 0; k++) {
            int is_arg = 0;
            for (int i = 0; i < nargs && !is_arg; i++)
                is_arg = clang_equalCursors(ks.v[k], clang_Cursor_getArgument(c, (unsigned)i));
            if (!is_arg)
                callee = (int)k;
        }
    }
    if (callee >= 0) {
        CXCursor fn = strip(ks.v[callee]);
        if (kind(fn) == CXCursor_MemberRefExpr) {
            CXCursor m = clang_getCursorReferenced(fn);
            struct kids mk;
            kids_of(fn, &mk);
            if (kind(m) == CXCursor_CXXMethod && mk.n) {
                /* obj.m(...), p->m(...): the method may change the receiver */
                char *recv = path_of(w, mk.v[0], 0);
                if (recv) {
                    CXType t = clang_getCanonicalType(clang_getCursorType(mk.v[0]));
                    if (t.kind == CXType_Pointer) {
                        size_t n = strlen(recv);
                        char *d = salloc(w->a, n + 2);
                        d[0] = '*';
                        memcpy(d + 1, recv, n + 1);
                        use(w, id, recv, arg);
                        recv = d;
                    }
                    use(w, id, recv, arg);
                    def(w, id, recv);
                } else {
                    expr(w, id, mk.v[0], arg, depth + 1);
                }
            } else {
                expr(w, id, fn, arg, depth + 1);
            }
        } else if (kind(fn) != CXCursor_DeclRefExpr || is_var(clang_getCursorReferenced(fn))) {
            expr(w, id, fn, arg, depth + 1); /* (*fp)(x), handlers[i](x), fp(x) */
        }
    }
    for (int i = 0; i < nargs; i++) {
        CXCursor a = clang_Cursor_getArgument(c, (unsigned)i);
        Pith__IrArg *ia = NULL;
        struct ir_plist uses = { 0 };
        if (ic && cargs.n < IR_C_LIST_CAP) {
            ia = salloc(w->a, sizeof *ia);
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
            CXCursor sa = strip(a);
            if (kind(sa) == CXCursor_UnaryOperator &&
                clang_getCursorUnaryOperatorKind(sa) == CXUnaryOperator_AddrOf) {
                struct kids ak;
                kids_of(sa, &ak);
                char *ap = ak.n == 1 ? path_of(w, ak.v[0], 0) : NULL;
                if (ap) {
                    ia->path = ap;
                    ia->addr = 1;
                }
            } else {
                char *ap = path_of(w, sa, 0);
                if (ap)
                    ia->path = ap;
            }
        }
    }
    if (ic) {
        ic->args = (Pith__IrArg **)cargs.items;
        ic->n_args = cargs.n;
    }
}

static void expr(struct lower *w, uint32_t id, CXCursor c, struct ir_plist *arg, int depth)
{
    if (depth > IR_C_EXPR_DEPTH || ++w->work > IR_C_EXPR_WORK)
        return;
    switch (kind(c)) {
    case CXCursor_DeclRefExpr: {
        CXCursor d = clang_getCursorReferenced(c);
        if (is_var(d))
            use(w, id, ref_name(w, c, d), arg);
        return;
    }
    case CXCursor_MemberRefExpr: {
        char *p = path_of(w, c, 0);
        if (p) {
            use(w, id, p, arg);
            return;
        }
        break;
    }
    case CXCursor_CallExpr:
        call(w, id, c, arg, depth);
        return;
    case CXCursor_BinaryOperator: {
        enum CXBinaryOperatorKind op = clang_getCursorBinaryOperatorKind(c);
        struct kids ks;
        kids_of(c, &ks);
        if (ks.n != 2)
            break;
        if (op == CXBinaryOperator_Assign) {
            expr(w, id, ks.v[1], arg, depth + 1);
            target(w, id, ks.v[0], depth + 1);
            return;
        }
        if (op == CXBinaryOperator_LAnd || op == CXBinaryOperator_LOr)
            count_between(w, ks.v[0], ks.v[1], op == CXBinaryOperator_LAnd ? "&&" : "||");
        expr(w, id, ks.v[0], arg, depth + 1);
        expr(w, id, ks.v[1], arg, depth + 1);
        return;
    }
    case CXCursor_CompoundAssignOperator: {
        struct kids ks;
        kids_of(c, &ks);
        if (ks.n != 2)
            break;
        expr(w, id, ks.v[0], arg, depth + 1);
        expr(w, id, ks.v[1], arg, depth + 1);
        target(w, id, ks.v[0], depth + 1);
        return;
    }
    case CXCursor_UnaryOperator: {
        enum CXUnaryOperatorKind op = clang_getCursorUnaryOperatorKind(c);
        struct kids ks;
        kids_of(c, &ks);
        if (ks.n != 1)
            break;
        if (op == CXUnaryOperator_PreInc || op == CXUnaryOperator_PostInc ||
            op == CXUnaryOperator_PreDec || op == CXUnaryOperator_PostDec) {
            expr(w, id, ks.v[0], arg, depth + 1);
            target(w, id, ks.v[0], depth + 1);
            return;
        }
        if (op == CXUnaryOperator_AddrOf) {
            /* f(&x): the callee may write x; elsewhere &x reads nothing but stands for x */
            expr(w, id, ks.v[0], arg, depth + 1);
            if (arg)
                target(w, id, ks.v[0], depth + 1);
            return;
        }
        if (op == CXUnaryOperator_Deref) {
            char *p = path_of(w, c, 0);
            if (p)
                use(w, id, p, arg);
            expr(w, id, ks.v[0], arg, depth + 1);
            return;
        }
        break;
    }
    case CXCursor_ConditionalOperator: {
        struct kids ks;
        kids_of(c, &ks);
        if (ks.n == 3)
            count_between(w, ks.v[0], ks.v[1], "?");
        break;
    }
    case CXCursor_UnaryExpr:  /* sizeof, alignof: nothing is evaluated */
    case CXCursor_LambdaExpr: /* its body runs elsewhere */
    case CXCursor_TypeRef:
    case CXCursor_TemplateRef:
    case CXCursor_NamespaceRef:
        return;
    default:
        break;
    }
    expr_kids(w, id, c, arg, depth);
}

/* --- conditions ---------------------------------------------------------------------------- */

static uint32_t cond(struct lower *w, CXCursor c, int depth)
{
    c = strip(c);
    if (depth < IR_C_EXPR_DEPTH && kind(c) == CXCursor_UnaryOperator &&
        clang_getCursorUnaryOperatorKind(c) == CXUnaryOperator_LNot) {
        struct kids ks;
        kids_of(c, &ks);
        if (ks.n == 1) {
            uint32_t id = st_new(w, PITH__IR_OP__IR_NOT, c);
            uint32_t kid = cond(w, ks.v[0], depth + 1);
            ppush(w->a, &st_at(w, id)->kids, (void *)(uintptr_t)kid);
            return id;
        }
    }
    if (depth < IR_C_EXPR_DEPTH && kind(c) == CXCursor_BinaryOperator) {
        enum CXBinaryOperatorKind op = clang_getCursorBinaryOperatorKind(c);
        struct kids ks;
        kids_of(c, &ks);
        if ((op == CXBinaryOperator_LAnd || op == CXBinaryOperator_LOr) && ks.n == 2) {
            int is_and = op == CXBinaryOperator_LAnd;
            count_between(w, ks.v[0], ks.v[1], is_and ? "&&" : "||");
            uint32_t id = st_new(w, is_and ? PITH__IR_OP__IR_AND : PITH__IR_OP__IR_OR, c);
            for (int i = 0; i < 2; i++) {
                uint32_t kid = cond(w, ks.v[i], depth + 1);
                struct ir_stmt *k = st_at(w, kid);
                /* (a && b) && c: one IR_AND over a, b, c */
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
    uint32_t id = st_new(w, PITH__IR_OP__IR_TEST, c);
    expr(w, id, c, NULL, 0);
    return id;
}

/* --- statements ---------------------------------------------------------------------------- */

static void stmt(struct lower *w, struct ir_plist *out, CXCursor c, int depth);

struct bctx {
    struct lower *w;
    struct ir_plist *out;
    int depth;
};

static enum CXChildVisitResult block_visit(CXCursor c, CXCursor parent, CXClientData data)
{
    (void)parent;
    struct bctx *b = data;
    stmt(b->w, b->out, c, b->depth + 1);
    return CXChildVisit_Continue;
}

/* Statement `c` into `out`: a compound statement's children, else one statement. */
static void block(struct lower *w, struct ir_plist *out, CXCursor c, int depth)
{
    if (kind(c) == CXCursor_CompoundStmt) {
        struct bctx b = { w, out, depth };
        clang_visitChildren(c, block_visit, &b);
    } else {
        stmt(w, out, c, depth + 1);
    }
}

/* `whole` (a return, an assignment, a declaration) whose value `value` is `c ? a : b`: an
 * IR_IF whose branches are two copies of the statement, each with one value. 0 otherwise. */
static uint32_t ternary(struct lower *w,
                        CXCursor whole,
                        CXCursor value,
                        Pith__IrOp op,
                        const CXCursor *tgt,
                        char *decl,
                        int depth)
{
    value = strip(value);
    if (kind(value) != CXCursor_ConditionalOperator || depth > IR_C_STMT_DEPTH)
        return 0;
    struct kids ks;
    kids_of(value, &ks);
    if (ks.n != 3)
        return 0;
    count_between(w, ks.v[0], ks.v[1], "?");
    uint32_t id = st_new(w, PITH__IR_OP__IR_IF, whole);
    st_at(w, id)->m.is_expr = 1;
    st_at(w, id)->m.cond = cond(w, ks.v[0], 0);
    for (int b = 0; b < 2; b++) {
        uint32_t s = ternary(w, whole, ks.v[1 + b], op, tgt, decl, depth + 1);
        if (!s) {
            s = st_new(w, op, whole);
            expr(w, s, ks.v[1 + b], NULL, 0);
            w->nocount += b; /* the target is written once in the text */
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

/* The decision text of one statement: uses (and defs, calls) of `c` into a new IR_SIMPLE. */
static uint32_t simple(struct lower *w, CXCursor c, Pith__IrOp op)
{
    uint32_t id = st_new(w, op, c);
    expr(w, id, c, NULL, 0);
    return id;
}

static void decl_stmt(struct lower *w, struct ir_plist *out, CXCursor c)
{
    struct kids vars;
    kids_of(c, &vars);
    uint32_t id = 0;
    for (unsigned i = 0; i < vars.n && i < KIDS_CAP; i++) {
        CXCursor v = vars.v[i];
        if (kind(v) != CXCursor_VarDecl)
            continue;
        struct kids ks;
        kids_of(v, &ks);
        CXCursor init = clang_getNullCursor();
        for (unsigned k = 0; k < ks.n && k < KIDS_CAP; k++) {
            if (clang_isExpression(kind(ks.v[k])))
                init = ks.v[k];
        }
        if (clang_Cursor_isNull(init))
            continue;
        char *name = spelling(w, v);
        if (vars.n == 1) {
            uint32_t t = ternary(w, c, init, PITH__IR_OP__IR_SIMPLE, NULL, name, 0);
            if (t) {
                add_kid(w, out, t);
                return;
            }
        }
        if (!id)
            id = st_new(w, PITH__IR_OP__IR_SIMPLE, c);
        expr(w, id, init, NULL, 0);
        def(w, id, name);
    }
    if (vars.n > KIDS_CAP) { /* int a = 1, b = 2, ... beyond the cap: uses only */
        if (!id)
            id = st_new(w, PITH__IR_OP__IR_SIMPLE, c);
        expr(w, id, c, NULL, 0);
    }
    add_kid(w, out, id);
}

/* Offsets of the two ';' of `for (init; cond; inc)` written at `c`; 0 when the header is not
 * in the text as written (a macro's body). */
static int for_semis(struct lower *w, CXCursor c, unsigned *s1, unsigned *s2)
{
    CXFile f, fe;
    unsigned line, col, off, eoff;
    CXSourceRange r = clang_getCursorExtent(c);
    clang_getFileLocation(clang_getRangeStart(r), &f, &line, &col, &off);
    clang_getExpansionLocation(clang_getRangeStart(r), &fe, &line, &col, &eoff);
    size_t len;
    const char *src = file_text(w, f, &len);
    if (!src || f != fe || off != eoff || off + 3 > len || memcmp(src + off, "for", 3) != 0)
        return 0;
    unsigned i = off + 3, depth = 0, found = 0;
    while (i < len && src[i] != '(')
        i++;
    for (; i < len && i < off + 65536; i++) {
        char ch = src[i];
        if (ch == '/' && i + 1 < len && src[i + 1] == '*') {
            for (i += 2; i + 1 < len && !(src[i] == '*' && src[i + 1] == '/'); i++)
                ;
            i++;
        } else if (ch == '/' && i + 1 < len && src[i + 1] == '/') {
            while (i < len && src[i] != '\n')
                i++;
        } else if (ch == '"' || ch == '\'') {
            for (i++; i < len && src[i] != ch; i++) {
                if (src[i] == '\\')
                    i++;
            }
        } else if (ch == '(') {
            depth++;
        } else if (ch == ')') {
            if (--depth == 0)
                break;
        } else if (ch == ';' && depth == 1) {
            if (found == 0)
                *s1 = i;
            else
                *s2 = i;
            if (++found == 2)
                return 1;
        }
    }
    return 0;
}

static unsigned exp_offset(CXCursor c)
{
    CXFile f;
    unsigned line, col, off;
    clang_getExpansionLocation(clang_getRangeStart(clang_getCursorExtent(c)), &f, &line, &col,
                               &off);
    return off;
}

static int is_cond_like(CXCursor c)
{
    c = strip(c);
    if (kind(c) == CXCursor_BinaryOperator) {
        enum CXBinaryOperatorKind op = clang_getCursorBinaryOperatorKind(c);
        return op == CXBinaryOperator_LT || op == CXBinaryOperator_GT ||
               op == CXBinaryOperator_LE || op == CXBinaryOperator_GE ||
               op == CXBinaryOperator_EQ || op == CXBinaryOperator_NE ||
               op == CXBinaryOperator_LAnd || op == CXBinaryOperator_LOr;
    }
    return kind(c) == CXCursor_UnaryOperator &&
           clang_getCursorUnaryOperatorKind(c) == CXUnaryOperator_LNot;
}

static void for_stmt(struct lower *w, struct ir_plist *out, CXCursor c, int depth)
{
    struct kids ks;
    kids_of(c, &ks);
    if (ks.n == 0 || ks.n > KIDS_CAP)
        return;
    CXCursor body = ks.v[ks.n - 1];
    /* which header parts are there: 0 init, 1 cond, 2 update */
    int part[KIDS_CAP] = { 0 };
    unsigned nh = ks.n - 1, s1 = 0, s2 = 0;
    if (for_semis(w, c, &s1, &s2)) {
        for (unsigned i = 0; i < nh; i++) {
            unsigned o = exp_offset(ks.v[i]);
            part[i] = o < s1 ? 0 : o < s2 ? 1 : 2;
        }
    } else { /* written by a macro: guess from the kinds */
        int seen_cond = 0;
        for (unsigned i = 0; i < nh; i++) {
            if (kind(ks.v[i]) == CXCursor_DeclStmt || kind(ks.v[i]) == CXCursor_VarDecl) {
                part[i] = seen_cond ? 1 : 0;
            } else if (!seen_cond && is_cond_like(ks.v[i])) {
                part[i] = 1;
                seen_cond = 1;
            } else {
                part[i] = seen_cond || (i > 0 && nh == 2) ? 2 : 0;
            }
        }
    }
    for (unsigned i = 0; i < nh; i++) {
        if (part[i] == 0) {
            if (kind(ks.v[i]) == CXCursor_DeclStmt)
                decl_stmt(w, out, ks.v[i]);
            else
                add_kid(w, out, simple(w, ks.v[i], PITH__IR_OP__IR_SIMPLE));
        }
    }
    count_keyword(w, c, "for");
    uint32_t id = st_new(w, PITH__IR_OP__IR_FOR, c);
    st_at(w, id)->m.end_line = st_at(w, id)->m.line;
    for (unsigned i = 0; i < nh; i++) {
        if (part[i] == 1 && kind(ks.v[i]) != CXCursor_VarDecl &&
            kind(ks.v[i]) != CXCursor_DeclStmt) {
            st_at(w, id)->m.cond = cond(w, ks.v[i], 0);
            st_at(w, id)->m.end_line = end_line_of(ks.v[i]);
        }
    }
    block(w, &st_at(w, id)->body, body, depth);
    for (unsigned i = 0; i < nh; i++) {
        if (part[i] == 2)
            add_kid(w, &st_at(w, id)->update, simple(w, ks.v[i], PITH__IR_OP__IR_SIMPLE));
    }
    add_kid(w, out, id);
}

struct sctx {
    struct lower *w;
    uint32_t sw, cur;
    int depth;
};

static void switch_item(struct sctx *s, CXCursor c)
{
    struct lower *w = s->w;
    for (int guard = 0; guard < 4096; guard++) {
        enum CXCursorKind k = kind(c);
        if (k != CXCursor_CaseStmt && k != CXCursor_DefaultStmt)
            break;
        struct kids ks;
        kids_of(c, &ks);
        uint32_t cs = st_new(w, PITH__IR_OP__IR_CASE, c);
        st_at(w, cs)->m.end_line = st_at(w, cs)->m.line;
        st_at(w, cs)->m.is_default = k == CXCursor_DefaultStmt;
        for (unsigned i = 0; i + 1 < ks.n && i < KIDS_CAP; i++)
            expr(w, cs, ks.v[i], NULL, 0); /* the case value (an enumerator reads nothing) */
        add_kid(w, &st_at(w, s->sw)->handlers, cs);
        s->cur = cs;
        if (ks.n == 0 || ks.n > KIDS_CAP)
            return;
        c = ks.v[ks.n - 1];
    }
    struct ir_plist orphan = { 0 }; /* statements before the first case: never run */
    stmt(w, s->cur ? &st_at(w, s->cur)->body : &orphan, c, s->depth + 1);
}

static enum CXChildVisitResult switch_visit(CXCursor c, CXCursor parent, CXClientData data)
{
    (void)parent;
    switch_item(data, c);
    return CXChildVisit_Continue;
}

/* `if`, `while`, `switch` with C++ init statements or condition variables: the children before
 * the condition are lowered as statements of their own before the compound one. */
static void pre_kids(struct lower *w, struct ir_plist *out, const struct kids *ks, unsigned upto)
{
    for (unsigned i = 0; i < upto && i < KIDS_CAP; i++) {
        CXCursor k = ks->v[i];
        if (kind(k) == CXCursor_DeclStmt) {
            decl_stmt(w, out, k);
        } else if (kind(k) == CXCursor_VarDecl) {
            uint32_t id = simple(w, k, PITH__IR_OP__IR_SIMPLE);
            def(w, id, spelling(w, k));
            add_kid(w, out, id);
        } else {
            add_kid(w, out, simple(w, k, PITH__IR_OP__IR_SIMPLE));
        }
    }
}

/* Is `c` preceded by the keyword `else` in the text? */
static int after_else(struct lower *w, CXCursor c)
{
    CXFile f;
    unsigned line, col, off;
    clang_getFileLocation(clang_getRangeStart(clang_getCursorExtent(c)), &f, &line, &col, &off);
    size_t len;
    const char *src = file_text(w, f, &len);
    if (!src || off > len)
        return -1;
    size_t i = off;
    while (i > 0 &&
           (src[i - 1] == ' ' || src[i - 1] == '\t' || src[i - 1] == '\n' || src[i - 1] == '\r'))
        i--;
    if (i >= 4 && memcmp(src + i - 4, "else", 4) == 0 && (i == 4 || !ident_char(src[i - 5])))
        return 1;
    return 0;
}

static void stmt(struct lower *w, struct ir_plist *out, CXCursor c, int depth)
{
    enum CXCursorKind k = kind(c);
    if (depth > IR_C_STMT_DEPTH) {
        add_kid(w, out, simple(w, c, PITH__IR_OP__IR_SIMPLE));
        return;
    }
    struct kids ks;
    uint32_t id;
    switch (k) {
    case CXCursor_CompoundStmt:
        block(w, out, c, depth);
        return;
    case CXCursor_NullStmt:
        return;
    case CXCursor_DeclStmt:
        decl_stmt(w, out, c);
        return;
    case CXCursor_IfStmt: {
        kids_of(c, &ks);
        if (ks.n < 2 || ks.n > KIDS_CAP)
            break;
        /* [init] [condvar] cond then [else] */
        int has_else = 0;
        if (ks.n >= 3) {
            int e = w->cpp ? after_else(w, ks.v[ks.n - 1]) : -1;
            has_else = e >= 0 ? e : ks.n == 3;
        }
        unsigned ci = ks.n - 2 - (unsigned)has_else;
        pre_kids(w, out, &ks, ci);
        count_keyword(w, c, "if");
        id = st_new(w, PITH__IR_OP__IR_IF, c);
        st_at(w, id)->m.end_line = end_line_of(ks.v[ci]);
        st_at(w, id)->m.cond = cond(w, ks.v[ci], 0);
        block(w, &st_at(w, id)->body, ks.v[ci + 1], depth);
        if (has_else)
            block(w, &st_at(w, id)->orelse, ks.v[ci + 2], depth);
        add_kid(w, out, id);
        return;
    }
    case CXCursor_WhileStmt:
    case CXCursor_SwitchStmt: {
        kids_of(c, &ks);
        if (ks.n < 2 || ks.n > KIDS_CAP)
            break;
        unsigned ci = ks.n - 2;
        pre_kids(w, out, &ks, ci);
        int is_while = k == CXCursor_WhileStmt;
        count_keyword(w, c, is_while ? "while" : "switch");
        id = st_new(w, is_while ? PITH__IR_OP__IR_WHILE : PITH__IR_OP__IR_SWITCH, c);
        st_at(w, id)->m.end_line = end_line_of(ks.v[ci]);
        if (is_while) {
            st_at(w, id)->m.cond = cond(w, ks.v[ci], 0);
            block(w, &st_at(w, id)->body, ks.v[ci + 1], depth);
        } else {
            expr(w, id, ks.v[ci], NULL, 0);
            struct sctx s = { w, id, 0, depth };
            if (kind(ks.v[ci + 1]) == CXCursor_CompoundStmt)
                clang_visitChildren(ks.v[ci + 1], switch_visit, &s);
            else
                switch_item(&s, ks.v[ci + 1]);
        }
        add_kid(w, out, id);
        return;
    }
    case CXCursor_DoStmt: {
        kids_of(c, &ks);
        if (ks.n != 2)
            break;
        count_keyword(w, c, "do");
        id = st_new(w, PITH__IR_OP__IR_DO_WHILE, c);
        st_at(w, id)->m.line = line_of(ks.v[1]); /* the node is the test at the bottom */
        st_at(w, id)->m.end_line = end_line_of(ks.v[1]);
        block(w, &st_at(w, id)->body, ks.v[0], depth);
        st_at(w, id)->m.cond = cond(w, ks.v[1], 0);
        add_kid(w, out, id);
        return;
    }
    case CXCursor_ForStmt:
        for_stmt(w, out, c, depth);
        return;
    case CXCursor_CXXForRangeStmt: {
        kids_of(c, &ks);
        if (ks.n < 2 || ks.n > KIDS_CAP)
            break;
        count_keyword(w, c, "for");
        id = st_new(w, PITH__IR_OP__IR_FOR, c);
        st_at(w, id)->m.end_line = st_at(w, id)->m.line;
        for (unsigned i = 0; i + 1 < ks.n; i++) {
            if (kind(ks.v[i]) == CXCursor_VarDecl) {
                def(w, id, spelling(w, ks.v[i]));
            } else {
                expr(w, id, ks.v[i], NULL, 0);
                st_at(w, id)->m.end_line = end_line_of(ks.v[i]);
            }
        }
        block(w, &st_at(w, id)->body, ks.v[ks.n - 1], depth);
        add_kid(w, out, id);
        return;
    }
    case CXCursor_CaseStmt:
    case CXCursor_DefaultStmt: /* a case label not directly in a switch body (Duff's device) */
        kids_of(c, &ks);
        if (ks.n >= 1 && ks.n <= KIDS_CAP)
            stmt(w, out, ks.v[ks.n - 1], depth + 1);
        return;
    case CXCursor_LabelStmt:
        id = st_new(w, PITH__IR_OP__IR_LABEL, c);
        st_at(w, id)->m.end_line = st_at(w, id)->m.line;
        st_at(w, id)->m.label = spelling(w, c);
        add_kid(w, out, id);
        kids_of(c, &ks);
        if (ks.n >= 1 && ks.n <= KIDS_CAP)
            stmt(w, out, ks.v[ks.n - 1], depth + 1);
        return;
    case CXCursor_GotoStmt:
        id = st_new(w, PITH__IR_OP__IR_GOTO, c);
        kids_of(c, &ks);
        st_at(w, id)->m.label = ks.n == 1 ? spelling(w, ks.v[0]) : (char *)empty;
        add_kid(w, out, id);
        return;
    case CXCursor_IndirectGotoStmt:
        add_kid(w, out, simple(w, c, PITH__IR_OP__IR_GOTO));
        return;
    case CXCursor_BreakStmt:
        add_kid(w, out, st_new(w, PITH__IR_OP__IR_BREAK, c));
        return;
    case CXCursor_ContinueStmt:
        add_kid(w, out, st_new(w, PITH__IR_OP__IR_CONTINUE, c));
        return;
    case CXCursor_ReturnStmt:
        kids_of(c, &ks);
        if (ks.n == 1) {
            id = ternary(w, c, ks.v[0], PITH__IR_OP__IR_RETURN, NULL, NULL, 0);
            if (id) {
                add_kid(w, out, id);
                return;
            }
        }
        add_kid(w, out, simple(w, c, PITH__IR_OP__IR_RETURN));
        return;
    case CXCursor_CXXTryStmt: {
        kids_of(c, &ks);
        if (ks.n < 1 || ks.n > KIDS_CAP)
            break;
        id = st_new(w, PITH__IR_OP__IR_TRY, c);
        st_at(w, id)->m.end_line = st_at(w, id)->m.line;
        block(w, &st_at(w, id)->body, ks.v[0], depth);
        for (unsigned i = 1; i < ks.n; i++) {
            if (kind(ks.v[i]) != CXCursor_CXXCatchStmt)
                continue;
            struct kids hk;
            kids_of(ks.v[i], &hk);
            uint32_t h = st_new(w, PITH__IR_OP__IR_HANDLER, ks.v[i]);
            st_at(w, h)->m.end_line = st_at(w, h)->m.line;
            st_at(w, h)->m.is_default = 1; /* catch (...) */
            for (unsigned j = 0; j + 1 < hk.n && j < KIDS_CAP; j++) {
                if (kind(hk.v[j]) == CXCursor_VarDecl) {
                    st_at(w, h)->m.is_default = 0;
                    def(w, h, spelling(w, hk.v[j]));
                }
            }
            if (hk.n >= 1 && hk.n <= KIDS_CAP)
                block(w, &st_at(w, h)->body, hk.v[hk.n - 1], depth);
            add_kid(w, &st_at(w, id)->handlers, h);
        }
        add_kid(w, out, id);
        return;
    }
    default:
        break;
    }
    if (k == CXCursor_CXXThrowExpr) {
        add_kid(w, out, simple(w, c, PITH__IR_OP__IR_RAISE));
        return;
    }
    CXCursor e = strip(c);
    if (kind(e) == CXCursor_BinaryOperator &&
        clang_getCursorBinaryOperatorKind(e) == CXBinaryOperator_Assign) {
        kids_of(e, &ks);
        if (ks.n == 2) {
            id = ternary(w, c, ks.v[1], PITH__IR_OP__IR_SIMPLE, &ks.v[0], NULL, 0);
            if (id) {
                add_kid(w, out, id);
                return;
            }
        }
    }
    add_kid(w, out, simple(w, c, PITH__IR_OP__IR_SIMPLE));
}

/* --- functions ----------------------------------------------------------------------------- */

static enum CXChildVisitResult body_visit(CXCursor c, CXCursor parent, CXClientData data)
{
    (void)parent;
    enum CXCursorKind k = kind(c);
    if (k == CXCursor_CompoundStmt || k == CXCursor_CXXTryStmt) {
        *(CXCursor *)data = c;
        return CXChildVisit_Break;
    }
    return CXChildVisit_Continue;
}

/* --- the result, copied out of the scratch arena ----------------------------------------- */

/* Strings of one function, each copied once into the result arena. */
struct interner {
    struct pith_arena *a;
    struct pith_hashmap map; /* text -> index in strs */
    PITH_VEC(char *) strs;
};

static char *icopy(struct interner *in, char *s)
{
    if (!s || !s[0]) /* NULL, protobuf-c's empty string (static), or "" in the scratch arena */
        return !s || s == protobuf_c_empty_string ? s : (char *)empty;
    size_t n = strlen(s);
    uint32_t v;
    if (pith_hashmap_get(&in->map, s, n, &v))
        return in->strs.items[v];
    char *c = pith_arena_strndup(in->a, s, n);
    pith_hashmap_put(&in->map, c, n, (uint32_t)in->strs.count);
    pith_vec_push(&in->strs, c);
    return c;
}

static char **icopy_list(struct interner *in, char **l, size_t n)
{
    if (!n)
        return NULL;
    char **out = pith_arena_alloc(in->a, n * sizeof *out);
    for (size_t i = 0; i < n; i++)
        out[i] = icopy(in, l[i]);
    return out;
}

static uint32_t *ucopy(struct pith_arena *a, const uint32_t *l, size_t n)
{
    if (!n)
        return NULL;
    uint32_t *out = pith_arena_alloc(a, n * sizeof *out);
    memcpy(out, l, n * sizeof *out);
    return out;
}

/* Statement `s` (finished) into `out` with exact-size arrays in the result arena. */
static void copy_stmt(struct interner *in, Pith__IrStmt *out, const Pith__IrStmt *s)
{
    struct pith_arena *a = in->a;
    *out = *s;
    out->defs = icopy_list(in, s->defs, s->n_defs);
    out->uses = icopy_list(in, s->uses, s->n_uses);
    out->label = icopy(in, s->label);
    out->body = ucopy(a, s->body, s->n_body);
    out->orelse = ucopy(a, s->orelse, s->n_orelse);
    out->handlers = ucopy(a, s->handlers, s->n_handlers);
    out->finalbody = ucopy(a, s->finalbody, s->n_finalbody);
    out->kids = ucopy(a, s->kids, s->n_kids);
    out->update = ucopy(a, s->update, s->n_update);
    out->calls = NULL;
    if (!s->n_calls)
        return;
    out->calls = pith_arena_alloc(a, s->n_calls * sizeof *out->calls);
    Pith__IrCall *calls = pith_arena_alloc(a, s->n_calls * sizeof *calls);
    for (size_t i = 0; i < s->n_calls; i++) {
        const Pith__IrCall *c = s->calls[i];
        calls[i] = *c;
        calls[i].callee = icopy(in, c->callee);
        calls[i].args = NULL;
        if (c->n_args) {
            calls[i].args = pith_arena_alloc(a, c->n_args * sizeof *calls[i].args);
            Pith__IrArg *args = pith_arena_alloc(a, c->n_args * sizeof *args);
            for (size_t j = 0; j < c->n_args; j++) {
                args[j] = *c->args[j];
                args[j].uses = icopy_list(in, c->args[j]->uses, c->args[j]->n_uses);
                args[j].keyword = icopy(in, c->args[j]->keyword);
                args[j].path = icopy(in, c->args[j]->path);
                calls[i].args[j] = &args[j];
            }
        }
        out->calls[i] = &calls[i];
    }
}

Pith__FunctionIr *ir_c_lower(struct pith_arena *arena,
                             struct ir_c_scratch *scratch,
                             CXTranslationUnit tu,
                             CXCursor fn,
                             const char *const *params,
                             size_t n_params)
{
    CXCursor body = clang_getNullCursor();
    clang_visitChildren(fn, body_visit, &body);
    if (clang_Cursor_isNull(body))
        return NULL;
    struct lower w = { 0 };
    w.a = scratch;
    w.tu = tu;
    pith_hashmap_init(&w.names);
    w.cpp = clang_getCursorLanguage(fn) == CXLanguage_CPlusPlus;
    Pith__FunctionIr *f = pith_arena_alloc(arena, sizeof *f);
    Pith__FunctionIr init = PITH__FUNCTION_IR__INIT;
    *f = init;
    f->line = line_of(fn);
    f->n_params = n_params;
    if (n_params) {
        f->params = pith_arena_alloc(arena, n_params * sizeof *f->params);
        for (size_t i = 0; i < n_params; i++)
            f->params[i] = (char *)params[i];
    }
    struct ir_plist top = { 0 };
    if (kind(body) == CXCursor_CXXTryStmt) /* a function-try-block */
        stmt(&w, &top, body, 0);
    else
        block(&w, &top, body, 0);
    f->n_body = top.n;
    f->body = ucopy(arena, ir_plist_ids(&top), top.n);
    f->n_stmts = w.stmts.n;
    f->stmts = pith_arena_alloc(arena, (w.stmts.n ? w.stmts.n : 1) * sizeof *f->stmts);
    Pith__IrStmt *stmts = pith_arena_alloc(arena, (w.stmts.n ? w.stmts.n : 1) * sizeof *stmts);
    struct interner in = { arena, { 0 }, { 0 } };
    pith_hashmap_init(&in.map);
    for (size_t i = 0; i < w.stmts.n; i++) {
        struct ir_stmt *st = w.stmts.items[i];
        ir_stmt_finish(st);
        copy_stmt(&in, &stmts[i], &st->m);
        f->stmts[i] = &stmts[i];
    }
    f->complexity = 1 + w.decisions;
    pith_hashmap_release(&in.map);
    pith_vec_release(&in.strs);
    pith_hashmap_release(&w.names);
    srewind(scratch);
    return f;
}
