/* libclang front end for C and C++ (see lang_c.h).
 *
 *   compdb entries --(atomic next)--> threads: one CXIndex each, parse the unit with its own
 *   flags, walk the in-repository declarations -> items (functions, calls, address-taken
 *   functions) in the thread's arena; a function definition is claimed once by (file, USR)
 *   in a shared set, so a header's functions are walked by the first unit that reaches them.
 *   Then one thread groups the items by file and packs one FileFacts per file. */
#include "lang_c.h"

#include "ir_c_clang.h"

#include "common/err.h"
#include "common/file.h"
#include "common/hashmap.h"
#include "common/mem.h"
#include "schemas/facts.pb-c.h"

#include <clang-c/Index.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SIG_CAP   1024
#define DOC_CAP   4096
#define MAX_STACK 2048
#define FILE_MAX  ((size_t)64 << 20)

struct cfn {
    const char *path, *usr, *name, *qualname, *sig, *doc, *returns;
    uint32_t sl, sc, el, ec;
    int kind, is_static, is_virtual, cpp;
    const char **overrides;
    size_t n_overrides;
    const char **pnames, **ptypes;
    size_t n_params;
    Pith__FunctionIr *ir; /* the body in the statement IR (symbol set when packed), or NULL */
};

struct ccall {
    const char *path, *caller_usr, *callee, *callee_usr, *macro, *target_usr, *fn_type;
    uint32_t line, col, argc;
    int target, is_virtual;
};

struct cref {
    const char *path, *usr, *name, *target_usr, *target_name, *fn_type, *scope_usr, *owner;
    uint32_t line, arg_index;
    int context;
};

struct cfail {
    const char *path, *reason;
};

struct shared {
    const char *repo; /* normalised, no trailing '/' */
    size_t repo_len;
    const struct compdb *db;
    atomic_size_t next;
    pthread_mutex_t lock;
    struct pith_hashmap claimed; /* path \n usr -> 1 */
    struct pith_arena keys;      /* claimed keys */
    int no_flow;                 /* PITH_NO_FLOW set: no statement IR (benchmarks) */
};

struct fcache {
    CXFile file;
    const char *rel; /* NULL: outside the repository */
};

struct macro_exp {
    CXFile file;
    unsigned start, end;
    const char *name;
};

struct frame {
    CXCursor c;
    unsigned child; /* children visited so far */
};

struct worker {
    struct shared *sh;
    CXIndex index;
    struct pith_arena arena;     /* every item string; lives until the merge */
    struct ir_c_scratch scratch; /* the IR lowering's working memory, rewound per function */
    PITH_VEC(struct cfn) fns;
    PITH_VEC(struct ccall) calls;
    PITH_VEC(struct cref) refs;
    PITH_VEC(struct cfail) fails;
    PITH_VEC(const char *) sources; /* paths of the units parsed (in repo) */
    /* per unit */
    CXTranslationUnit tu;
    PITH_VEC(struct fcache) files;
    struct pith_hashmap file_ids; /* CXFile pointer bytes -> index in files */
    PITH_VEC(struct macro_exp) macros;
    int macros_sorted;
    struct frame stack[MAX_STACK];
    unsigned depth;
    const char *fn_usr, *fn_path; /* the function being walked, NULL at file scope */
    const char *owner;            /* file-scope variable being walked */
    int unit_cpp;                 /* the unit is C++ */
    const char *unit_dir;         /* the unit's working directory */
    struct pith_buf tmp;
};

/* ---- small helpers ------------------------------------------------------------------------ */

int lang_c_is_source(const char *name)
{
    static const char *const exts[] = { ".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx" };
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof exts / sizeof *exts; i++) {
        size_t e = strlen(exts[i]);
        if (n > e && !strcmp(name + n - e, exts[i]))
            return 1;
    }
    return 0;
}

static const char *astr(struct worker *w, CXString s)
{
    const char *c = clang_getCString(s);
    const char *r = pith_arena_strdup(&w->arena, c ? c : "");
    clang_disposeString(s);
    return r;
}

static const char *usr_of(struct worker *w, CXCursor c)
{
    return astr(w, clang_getCursorUSR(c));
}

/* The repository-relative path of `f`, NULL outside the repository. */
static const char *rel_of(struct worker *w, CXFile f)
{
    if (!f)
        return NULL;
    uint32_t idx;
    void *key = f;
    if (pith_hashmap_get(&w->file_ids, (const char *)&key, sizeof key, &idx))
        return w->files.items[idx].rel;
    CXString s = clang_getFileName(f);
    const char *name = clang_getCString(s);
    const char *rel = NULL;
    if (name) {
        char *abs = compdb_abspath(w->unit_dir, name); /* "./include/x.h": the unit's dir */
        size_t n = w->sh->repo_len;
        if (!strncmp(abs, w->sh->repo, n) && abs[n] == '/' && lang_c_is_source(abs))
            rel = pith_arena_strdup(&w->arena, abs + n + 1);
        free(abs);
    }
    clang_disposeString(s);
    struct fcache fc = { f, rel };
    pith_vec_push(&w->files, fc);
    void **k = pith_arena_alloc(&w->arena, sizeof *k); /* the map borrows its keys */
    *k = f;
    pith_hashmap_put(&w->file_ids, (const char *)k, sizeof *k, (uint32_t)w->files.count - 1);
    return rel;
}

static void expansion(CXSourceLocation loc, CXFile *f, unsigned *line, unsigned *col, unsigned *off)
{
    clang_getExpansionLocation(loc, f, line, col, off);
}

static int cmp_macro(const void *a, const void *b)
{
    const struct macro_exp *x = a, *y = b;
    if (x->file != y->file)
        return (uintptr_t)x->file < (uintptr_t)y->file ? -1 : 1;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* The macro whose expansion covers offset `off` of `f`, or "". */
static const char *macro_at(struct worker *w, CXFile f, unsigned off)
{
    if (!w->macros_sorted) {
        if (w->macros.count > 1)
            qsort(w->macros.items, w->macros.count, sizeof *w->macros.items, cmp_macro);
        w->macros_sorted = 1;
    }
    size_t lo = 0, hi = w->macros.count;
    while (lo < hi) { /* first expansion starting after off */
        size_t mid = (lo + hi) / 2;
        const struct macro_exp *m = &w->macros.items[mid];
        if ((uintptr_t)m->file < (uintptr_t)f || (m->file == f && m->start <= off))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 0) {
        const struct macro_exp *m = &w->macros.items[lo - 1];
        if (m->file == f && m->start <= off && off < m->end)
            return m->name;
    }
    return "";
}

/* Spelling of the canonical function type behind `t` (pointers and references stripped). */
static const char *fn_type_of(struct worker *w, CXType t)
{
    t = clang_getCanonicalType(t);
    for (int i = 0; i < 4; i++) {
        if (t.kind == CXType_Pointer || t.kind == CXType_LValueReference ||
            t.kind == CXType_MemberPointer)
            t = clang_getCanonicalType(clang_getPointeeType(t));
        else
            break;
    }
    if (t.kind != CXType_FunctionProto && t.kind != CXType_FunctionNoProto)
        return "";
    return astr(w, clang_getTypeSpelling(t));
}

static int is_function_kind(enum CXCursorKind k)
{
    return k == CXCursor_FunctionDecl || k == CXCursor_CXXMethod || k == CXCursor_Constructor ||
           k == CXCursor_Destructor || k == CXCursor_ConversionFunction ||
           k == CXCursor_FunctionTemplate;
}

static int is_scope_kind(enum CXCursorKind k)
{
    return k == CXCursor_Namespace || k == CXCursor_ClassDecl || k == CXCursor_StructDecl ||
           k == CXCursor_UnionDecl || k == CXCursor_ClassTemplate ||
           k == CXCursor_ClassTemplatePartialSpecialization || k == CXCursor_LinkageSpec ||
           k == CXCursor_UnexposedDecl;
}

/* The template a specialisation comes from (so that calls name the written declaration). */
static CXCursor generic(CXCursor c)
{
    CXCursor t = clang_getSpecializedCursorTemplate(c);
    return clang_Cursor_isNull(t) ? c : t;
}

static void qualname_into(struct pith_buf *b, CXCursor c, int cpp)
{
    if (!cpp) {
        CXString s = clang_getCursorSpelling(c);
        pith_buf_puts(b, clang_getCString(s));
        clang_disposeString(s);
        return;
    }
    CXCursor chain[64];
    int n = 0;
    for (CXCursor p = clang_getCursorSemanticParent(c);
         n < 64 && !clang_Cursor_isNull(p) && is_scope_kind(clang_getCursorKind(p));
         p = clang_getCursorSemanticParent(p)) {
        if (clang_getCursorKind(p) != CXCursor_LinkageSpec)
            chain[n++] = p;
    }
    while (n-- > 0) {
        CXString s = clang_getCursorSpelling(chain[n]);
        const char *t = clang_getCString(s);
        pith_buf_puts(b, t && t[0] ? t : "(anonymous)");
        pith_buf_puts(b, "::");
        clang_disposeString(s);
    }
    CXString s = clang_getCursorDisplayName(c);
    pith_buf_puts(b, clang_getCString(s));
    clang_disposeString(s);
}

/* Whitespace-normalised source text of [from, to) of `f`, capped. */
static const char *source_text(struct worker *w, CXFile f, unsigned from, unsigned to, size_t cap)
{
    size_t size = 0;
    const char *src = clang_getFileContents(w->tu, f, &size);
    if (!src || from >= to || to > size)
        return "";
    pith_buf_clear(&w->tmp);
    pith_buf_puts(&w->tmp, "");
    int space = 0;
    for (unsigned i = from; i < to && w->tmp.len < cap; i++) {
        char ch = src[i];
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
            space = 1;
            continue;
        }
        if (space && w->tmp.len)
            pith_buf_putc(&w->tmp, ' ');
        space = 0;
        pith_buf_putc(&w->tmp, ch);
    }
    while (w->tmp.len && (unsigned char)w->tmp.ptr[w->tmp.len - 1] >= 0x80 &&
           w->tmp.len >= cap) /* never cut a UTF-8 sequence */
        w->tmp.len--;
    w->tmp.ptr[w->tmp.len] = '\0';
    return pith_arena_strdup(&w->arena, w->tmp.ptr);
}

static int blank_before(const char *src, size_t k)
{
    while (k > 0 && (src[k - 1] == ' ' || src[k - 1] == '\t'))
        k--;
    return k == 0 || src[k - 1] == '\n';
}

/* The comment that ends right above offset `off` of `f` (a block comment, or a run of line
 * comments, no blank line in between, starting its line), verbatim and capped; "" when none.
 * Read from the file text: clang_Cursor_getRawCommentText with -fparse-all-comments costs
 * 3/4 of a kernel unit's time. */
static const char *leading_comment(struct worker *w, CXFile f, unsigned off)
{
    size_t size = 0;
    const char *src = clang_getFileContents(w->tu, f, &size);
    if (!src || off > size)
        return "";
    size_t j = off, newlines = 0;
    while (j > 0 &&
           (src[j - 1] == ' ' || src[j - 1] == '\t' || src[j - 1] == '\n' || src[j - 1] == '\r')) {
        newlines += src[j - 1] == '\n';
        j--;
    }
    if (newlines > 1 || j < 2)
        return "";
    size_t start = j, end = j;
    if (src[j - 1] == '/' && src[j - 2] == '*') {
        size_t k = j - 2;
        while (k >= 2 && !(src[k - 2] == '/' && src[k - 1] == '*'))
            k--;
        if (k < 2 || !blank_before(src, k - 2))
            return "";
        start = k - 2;
    } else {
        /* line comments: whole lines whose first non-blank characters are "//" */
        size_t line_end = j;
        for (;;) {
            size_t ls = line_end;
            while (ls > 0 && src[ls - 1] != '\n')
                ls--;
            size_t t = ls;
            while (t < line_end && (src[t] == ' ' || src[t] == '\t'))
                t++;
            if (t + 1 >= line_end || src[t] != '/' || src[t + 1] != '/')
                break;
            start = t;
            if (ls == 0)
                break;
            line_end = ls - 1; /* the newline before this line */
            if (line_end > 0 && src[line_end - 1] == '\r')
                line_end--;
        }
        if (start == end)
            return "";
    }
    size_t len = end - start;
    if (len > DOC_CAP)
        len = DOC_CAP;
    while (len && len < end - start && ((unsigned char)src[start + len] & 0xC0) == 0x80)
        len--; /* never cut a UTF-8 sequence */
    return pith_arena_strndup(&w->arena, src + start, len);
}

/* Claims (path, usr) for this worker; 0 when another unit already did. */
static int claim(struct worker *w, const char *path, const char *usr)
{
    struct shared *sh = w->sh;
    pith_buf_clear(&w->tmp);
    pith_buf_puts(&w->tmp, path);
    pith_buf_putc(&w->tmp, '\n');
    pith_buf_puts(&w->tmp, usr);
    uint32_t v;
    int got = 0;
    pthread_mutex_lock(&sh->lock);
    if (!pith_hashmap_get(&sh->claimed, w->tmp.ptr, w->tmp.len, &v)) {
        char *k = pith_arena_strndup(&sh->keys, w->tmp.ptr, w->tmp.len);
        pith_hashmap_put(&sh->claimed, k, w->tmp.len, 1);
        got = 1;
    }
    pthread_mutex_unlock(&sh->lock);
    return got;
}

/* ---- the walk ----------------------------------------------------------------------------- */

static enum CXChildVisitResult visit(CXCursor c, CXCursor parent, CXClientData data);

static void walk_children(struct worker *w, CXCursor c)
{
    if (w->depth >= MAX_STACK)
        return;
    w->stack[w->depth].c = c;
    w->stack[w->depth].child = 0;
    w->depth++;
    clang_visitChildren(c, visit, w);
    w->depth--;
}

static enum CXChildVisitResult find_member_ref(CXCursor c, CXCursor parent, CXClientData data)
{
    (void)parent;
    if (clang_getCursorKind(c) == CXCursor_MemberRef) {
        *(CXCursor *)data = clang_getCursorReferenced(c);
        return CXChildVisit_Break;
    }
    return CXChildVisit_Continue;
}

struct field_pick {
    unsigned want, at;
    CXCursor found;
};

static enum CXVisitorResult pick_field(CXCursor c, CXClientData data)
{
    struct field_pick *p = data;
    if (p->at++ == p->want) {
        p->found = c;
        return CXVisit_Break;
    }
    return CXVisit_Continue;
}

static const char *field_name(struct worker *w, CXCursor field)
{
    pith_buf_clear(&w->tmp);
    CXCursor rec = clang_getCursorSemanticParent(field);
    CXString a = clang_getCursorSpelling(rec), b = clang_getCursorSpelling(field);
    const char *as = clang_getCString(a);
    pith_buf_printf(&w->tmp, "%s.%s", as && as[0] ? as : "(anonymous)", clang_getCString(b));
    clang_disposeString(a);
    clang_disposeString(b);
    return pith_arena_strdup(&w->arena, w->tmp.ptr);
}

static enum CXChildVisitResult first_visit(CXCursor c, CXCursor parent, CXClientData data)
{
    (void)parent;
    *(CXCursor *)data = c;
    return CXChildVisit_Break;
}

static CXCursor first_child(CXCursor c)
{
    CXCursor out = clang_getNullCursor();
    clang_visitChildren(c, first_visit, &out);
    return out;
}

/* A reference to function `fn` that is not the callee of a call: where is its address put? */
static void address_taken(struct worker *w, CXCursor ref, CXCursor fn)
{
    CXFile f;
    unsigned line, col, off;
    expansion(clang_getCursorLocation(ref), &f, &line, &col, &off);
    const char *path = w->fn_path ? w->fn_path : rel_of(w, f);
    if (!path)
        return;
    struct cref r = { 0 };
    r.path = path;
    fn = generic(fn);
    r.usr = usr_of(w, fn);
    r.name = astr(w, clang_getCursorSpelling(fn));
    r.fn_type = fn_type_of(w, clang_getCursorType(fn));
    r.scope_usr = w->fn_usr ? w->fn_usr : "";
    r.owner = w->owner ? w->owner : "";
    r.line = line;
    r.target_usr = r.target_name = "";
    CXCursor designated = clang_getNullCursor();
    /* the stack holds the ancestors; stack[depth-1] is ref's parent */
    for (unsigned i = w->depth; i-- > 0;) {
        CXCursor a = w->stack[i].c;
        enum CXCursorKind k = clang_getCursorKind(a);
        if (k == CXCursor_UnexposedExpr || k == CXCursor_ParenExpr || k == CXCursor_UnaryOperator ||
            k == CXCursor_CStyleCastExpr || k == CXCursor_CXXStaticCastExpr ||
            k == CXCursor_CXXReinterpretCastExpr) {
            if (k == CXCursor_UnexposedExpr && clang_Cursor_isNull(designated)) {
                CXCursor m = clang_getNullCursor();
                clang_visitChildren(a, find_member_ref, &m);
                if (!clang_Cursor_isNull(m))
                    designated = m;
            }
            continue;
        }
        if (k == CXCursor_GenericSelectionExpr)
            return; /* an association of _Generic: called (see generic_selection), not stored */
        if (k == CXCursor_CallExpr) {
            unsigned idx = w->stack[i].child; /* 1-based position of the child being walked */
            if (idx <= 1)
                return; /* the callee itself: a call, recorded at the CallExpr */
            CXCursor callee = clang_getCursorReferenced(a);
            r.context = PITH__FUNC_REF__CONTEXT__ARGUMENT;
            r.arg_index = idx - 2;
            r.target_usr = clang_Cursor_isNull(callee) ? "" : usr_of(w, generic(callee));
            pith_buf_clear(&w->tmp);
            CXString s = clang_getCursorSpelling(a);
            pith_buf_printf(&w->tmp, "%s#%u", clang_getCString(s), r.arg_index);
            clang_disposeString(s);
            r.target_name = pith_arena_strdup(&w->arena, w->tmp.ptr);
        } else if (k == CXCursor_InitListExpr) {
            CXType t = clang_getCanonicalType(clang_getCursorType(a));
            if (!clang_Cursor_isNull(designated)) {
                r.context = PITH__FUNC_REF__CONTEXT__FIELD;
                r.target_usr = usr_of(w, designated);
                r.target_name = field_name(w, designated);
            } else if (t.kind == CXType_Record) {
                struct field_pick p = { w->stack[i].child - 1, 0, clang_getNullCursor() };
                clang_Type_visitFields(t, pick_field, &p);
                if (clang_Cursor_isNull(p.found))
                    break;
                r.context = PITH__FUNC_REF__CONTEXT__FIELD;
                r.target_usr = usr_of(w, p.found);
                r.target_name = field_name(w, p.found);
            } else {
                r.context = PITH__FUNC_REF__CONTEXT__ARRAY;
                for (unsigned j = i; j-- > 0;) {
                    if (clang_getCursorKind(w->stack[j].c) == CXCursor_VarDecl) {
                        r.target_usr = usr_of(w, w->stack[j].c);
                        r.target_name = astr(w, clang_getCursorSpelling(w->stack[j].c));
                        break;
                    }
                }
            }
        } else if (k == CXCursor_VarDecl) {
            r.context = PITH__FUNC_REF__CONTEXT__VARIABLE;
            r.target_usr = usr_of(w, a);
            r.target_name = astr(w, clang_getCursorSpelling(a));
        } else if (k == CXCursor_BinaryOperator && w->stack[i].child == 2 &&
                   clang_getCursorBinaryOperatorKind(a) == CXBinaryOperator_Assign) {
            /* the right-hand side of an assignment: what does the left-hand side name? */
            CXCursor lhs = first_child(a);
            while (!clang_Cursor_isNull(lhs) &&
                   (clang_getCursorKind(lhs) == CXCursor_UnexposedExpr ||
                    clang_getCursorKind(lhs) == CXCursor_ParenExpr))
                lhs = first_child(lhs);
            enum CXCursorKind lk = clang_getCursorKind(lhs);
            CXCursor decl = clang_getCursorReferenced(lhs);
            if (lk == CXCursor_ArraySubscriptExpr) {
                CXCursor base = first_child(lhs);
                while (!clang_Cursor_isNull(base) &&
                       clang_getCursorKind(base) == CXCursor_UnexposedExpr)
                    base = first_child(base);
                decl = clang_getCursorReferenced(base);
                r.context = PITH__FUNC_REF__CONTEXT__ARRAY;
            } else if (lk == CXCursor_MemberRefExpr &&
                       clang_getCursorKind(decl) == CXCursor_FieldDecl) {
                r.context = PITH__FUNC_REF__CONTEXT__FIELD;
                r.target_usr = usr_of(w, decl);
                r.target_name = field_name(w, decl);
                break;
            } else {
                r.context = PITH__FUNC_REF__CONTEXT__VARIABLE;
            }
            if (clang_Cursor_isNull(decl)) {
                r.context = PITH__FUNC_REF__CONTEXT__OTHER;
            } else {
                r.target_usr = usr_of(w, decl);
                r.target_name = astr(w, clang_getCursorSpelling(decl));
            }
        } else {
            r.context = PITH__FUNC_REF__CONTEXT__OTHER;
        }
        break;
    }
    pith_vec_push(&w->refs, r);
}

struct gsel {
    struct worker *w;
    const char *want;
    unsigned index, matches;
    CXCursor found;
};

static enum CXChildVisitResult gsel_visit(CXCursor c, CXCursor parent, CXClientData data)
{
    (void)parent;
    struct gsel *g = data;
    if (g->index++ == 0)
        return CXChildVisit_Continue; /* the controlling expression */
    if (clang_getCursorKind(c) != CXCursor_DeclRefExpr)
        return CXChildVisit_Continue;
    CXCursor fn = clang_getCursorReferenced(c);
    if (is_function_kind(clang_getCursorKind(fn)) &&
        !strcmp(fn_type_of(g->w, clang_getCursorType(fn)), g->want)) {
        g->found = fn;
        g->matches++;
    }
    return CXChildVisit_Continue;
}

/* `_Generic(x, T1: f1, T2: f2)(...)`: libclang does not say which association was chosen, so
 * the function whose type is the type called (when exactly one is) is the callee. */
static CXCursor generic_selection(struct worker *w, CXCursor call)
{
    CXCursor e = first_child(call);
    while (clang_getCursorKind(e) == CXCursor_UnexposedExpr ||
           clang_getCursorKind(e) == CXCursor_ParenExpr)
        e = first_child(e);
    if (clang_getCursorKind(e) != CXCursor_GenericSelectionExpr)
        return clang_getNullCursor();
    struct gsel g = { w, fn_type_of(w, clang_getCursorType(first_child(call))), 0, 0,
                      clang_getNullCursor() };
    if (!g.want[0])
        return clang_getNullCursor();
    clang_visitChildren(e, gsel_visit, &g);
    return g.matches == 1 ? g.found : clang_getNullCursor();
}

static void call_site(struct worker *w, CXCursor c)
{
    CXCursor ref = clang_getCursorReferenced(c);
    int selected = 0;
    if (clang_Cursor_isNull(ref)) {
        ref = generic_selection(w, c);
        selected = !clang_Cursor_isNull(ref);
    }
    enum CXCursorKind rk = clang_getCursorKind(ref);
    struct ccall k = { 0 };
    CXFile f;
    unsigned line, col, off;
    CXSourceLocation loc = clang_getCursorLocation(c);
    expansion(loc, &f, &line, &col, &off);
    k.path = w->fn_path;
    k.caller_usr = w->fn_usr;
    k.line = line;
    k.col = col ? col - 1 : 0;
    int n = clang_Cursor_getNumArguments(c);
    k.argc = n > 0 ? (uint32_t)n : 0;
    k.callee = astr(w, clang_getCursorSpelling(selected ? ref : c));
    k.callee_usr = k.macro = k.target_usr = k.fn_type = "";
    {
        CXFile sf;
        unsigned sl, sc, so;
        clang_getSpellingLocation(loc, &sf, &sl, &sc, &so);
        if (sf != f || so != off)
            k.macro = macro_at(w, f, off);
    }
    if (clang_Cursor_isNull(ref)) {
        k.target = PITH__CALL_TARGET__CALL_TARGET_OTHER;
        k.fn_type = fn_type_of(w, clang_getCursorType(first_child(c)));
    } else if (is_function_kind(rk)) {
        if (rk != CXCursor_FunctionDecl && rk != CXCursor_FunctionTemplate &&
            clang_equalLocations(clang_getCursorLocation(ref),
                                 clang_getCursorLocation(clang_getCursorSemanticParent(ref))))
            return; /* an implicit member (copy constructor, destructor): nothing to show */
        ref = generic(ref);
        k.target = PITH__CALL_TARGET__CALL_TARGET_FUNCTION;
        k.callee_usr = usr_of(w, ref);
        if (rk == CXCursor_CXXMethod && clang_CXXMethod_isVirtual(ref)) {
            /* a virtual call unless the callee is named with its class (Base::f()) */
            CXCursor callee = first_child(c);
            k.is_virtual = clang_getCursorKind(callee) == CXCursor_MemberRefExpr;
            if (k.is_virtual) {
                CXCursor q = first_child(callee);
                if (clang_getCursorKind(q) == CXCursor_TypeRef)
                    k.is_virtual = 0;
            }
        }
    } else if (rk == CXCursor_FieldDecl) {
        k.target = PITH__CALL_TARGET__CALL_TARGET_FIELD;
        k.target_usr = usr_of(w, ref);
        k.callee = field_name(w, ref);
        k.fn_type = fn_type_of(w, clang_getCursorType(ref));
    } else if (rk == CXCursor_VarDecl || rk == CXCursor_ParmDecl) {
        k.target = rk == CXCursor_VarDecl ? PITH__CALL_TARGET__CALL_TARGET_VARIABLE
                                          : PITH__CALL_TARGET__CALL_TARGET_PARAM;
        k.target_usr = usr_of(w, ref);
        k.fn_type = fn_type_of(w, clang_getCursorType(ref));
    } else {
        k.target = PITH__CALL_TARGET__CALL_TARGET_OTHER;
        k.fn_type = fn_type_of(w, clang_getCursorType(first_child(c)));
    }
    if (k.target == PITH__CALL_TARGET__CALL_TARGET_OTHER && !k.fn_type[0])
        return; /* not a call of a function (a functor, a builtin, a dependent expression) */
    if (!k.callee[0]) { /* handlers[i](...), (*fp)(...): the callee expression's text */
        CXSourceRange r = clang_getCursorExtent(first_child(c));
        CXFile f1, f2;
        unsigned l1, c1, o1, l2, c2, o2;
        clang_getSpellingLocation(clang_getRangeStart(r), &f1, &l1, &c1, &o1);
        clang_getSpellingLocation(clang_getRangeEnd(r), &f2, &l2, &c2, &o2);
        if (f1 && f1 == f2 && o2 > o1 && o2 - o1 <= 200)
            k.callee = source_text(w, f1, o1, o2, 200);
        if (!k.callee[0])
            k.callee = "(expression)";
    }
    pith_vec_push(&w->calls, k);
}

static enum CXChildVisitResult body_visit(CXCursor c, CXCursor parent, CXClientData data)
{
    (void)parent;
    enum CXCursorKind k = clang_getCursorKind(c);
    if (k == CXCursor_CompoundStmt || k == CXCursor_CXXTryStmt) {
        *(CXCursor *)data = c;
        return CXChildVisit_Break;
    }
    return CXChildVisit_Continue;
}

/* File offset of the body of function definition `c`, 0 when none is found. */
static unsigned find_body(CXCursor c)
{
    CXCursor b = clang_getNullCursor();
    clang_visitChildren(c, body_visit, &b);
    if (clang_Cursor_isNull(b))
        return 0;
    CXFile f;
    unsigned l, col, off;
    clang_getExpansionLocation(clang_getRangeStart(clang_getCursorExtent(b)), &f, &l, &col, &off);
    return off;
}

static void function_def(struct worker *w, CXCursor c, const char *path, CXFile file)
{
    const char *usr = usr_of(w, c);
    if (!claim(w, path, usr))
        return;
    struct cfn fn = { 0 };
    int cpp = w->unit_cpp || clang_getCursorLanguage(c) == CXLanguage_CPlusPlus;
    enum CXCursorKind k = clang_getCursorKind(c);
    fn.path = path;
    fn.usr = usr;
    fn.cpp = cpp;
    fn.name = astr(w, clang_getCursorSpelling(c));
    pith_buf_clear(&w->tmp);
    qualname_into(&w->tmp, c, cpp);
    fn.qualname = pith_arena_strdup(&w->arena, w->tmp.ptr);
    fn.kind = k == CXCursor_FunctionDecl || k == CXCursor_FunctionTemplate
                  ? PITH__SYMBOL_KIND__SYMBOL_FUNCTION
                  : PITH__SYMBOL_KIND__SYMBOL_METHOD;
    if (k == CXCursor_FunctionTemplate) {
        CXCursor p = clang_getCursorSemanticParent(c);
        enum CXCursorKind pk = clang_getCursorKind(p);
        if (pk == CXCursor_ClassDecl || pk == CXCursor_StructDecl || pk == CXCursor_ClassTemplate)
            fn.kind = PITH__SYMBOL_KIND__SYMBOL_METHOD;
    }
    CXSourceRange ext = clang_getCursorExtent(c);
    CXFile f2;
    unsigned l, col, off_start, off_end;
    expansion(clang_getRangeStart(ext), &f2, &l, &col, &off_start);
    fn.sl = l;
    fn.sc = col ? col - 1 : 0;
    expansion(clang_getRangeEnd(ext), &f2, &l, &col, &off_end);
    fn.el = l;
    fn.ec = col ? col - 1 : 0;
    fn.is_static = clang_getCursorLinkage(c) == CXLinkage_Internal;
    if (k == CXCursor_CXXMethod) {
        fn.is_virtual = clang_CXXMethod_isVirtual(c);
        CXCursor *ov = NULL;
        unsigned nov = 0;
        clang_getOverriddenCursors(c, &ov, &nov);
        if (nov) {
            fn.overrides = pith_arena_alloc(&w->arena, nov * sizeof *fn.overrides);
            for (unsigned i = 0; i < nov; i++)
                fn.overrides[i] = usr_of(w, ov[i]);
            fn.n_overrides = nov;
            clang_disposeOverriddenCursors(ov);
        }
    }
    int np = clang_Cursor_getNumArguments(c);
    if (np > 0) {
        fn.pnames = pith_arena_alloc(&w->arena, (size_t)np * sizeof *fn.pnames);
        fn.ptypes = pith_arena_alloc(&w->arena, (size_t)np * sizeof *fn.ptypes);
        for (int i = 0; i < np; i++) {
            CXCursor a = clang_Cursor_getArgument(c, (unsigned)i);
            fn.pnames[i] = astr(w, clang_getCursorSpelling(a));
            fn.ptypes[i] = astr(w, clang_getTypeSpelling(clang_getCursorType(a)));
        }
        fn.n_params = (size_t)np;
    }
    fn.returns = astr(w, clang_getTypeSpelling(clang_getCursorResultType(c)));
    /* the signature is the text up to the body */
    unsigned body = off_end;
    fn.doc = leading_comment(w, file, off_start);
    /* walk the body, recording calls and address-taken functions */
    const char *saved_usr = w->fn_usr, *saved_path = w->fn_path;
    w->fn_usr = usr;
    w->fn_path = path;
    unsigned body_off = find_body(c);
    if (body_off && body_off > off_start)
        body = body_off;
    fn.sig = source_text(w, file, off_start, body, SIG_CAP);
    fn.ir = w->sh->no_flow ? NULL
                           : ir_c_lower(&w->arena, &w->scratch, w->tu, c, fn.pnames, fn.n_params);
    pith_vec_push(&w->fns, fn);
    walk_children(w, c);
    w->fn_usr = saved_usr;
    w->fn_path = saved_path;
}

static enum CXChildVisitResult visit(CXCursor c, CXCursor parent, CXClientData data)
{
    (void)parent;
    struct worker *w = data;
    if (w->depth > 0)
        w->stack[w->depth - 1].child++;
    enum CXCursorKind k = clang_getCursorKind(c);
    if (k == CXCursor_CallExpr && w->fn_usr) {
        call_site(w, c);
    } else if (k == CXCursor_DeclRefExpr) { /* &A::f and f are DeclRefExprs; methods are skipped */
        CXCursor ref = clang_getCursorReferenced(c);
        if (is_function_kind(clang_getCursorKind(ref)) &&
            clang_getCursorKind(ref) != CXCursor_CXXMethod)
            address_taken(w, c, ref);
    } else if (is_function_kind(k) && clang_isCursorDefinition(c)) {
        CXFile f;
        unsigned line, col, off;
        expansion(clang_getCursorLocation(c), &f, &line, &col, &off);
        const char *path = rel_of(w, f);
        if (path)
            function_def(w, c, path, f);
        return CXChildVisit_Continue;
    } else if (k == CXCursor_LambdaExpr) {
        /* calls inside a lambda belong to the enclosing function */
    }
    walk_children(w, c);
    return CXChildVisit_Continue;
}

/* Top level of a unit: only declarations in repository files are walked. */
static enum CXChildVisitResult top_visit(CXCursor c, CXCursor parent, CXClientData data)
{
    (void)parent;
    struct worker *w = data;
    enum CXCursorKind k = clang_getCursorKind(c);
    CXSourceLocation loc = clang_getCursorLocation(c);
    if (clang_Location_isInSystemHeader(loc))
        return CXChildVisit_Continue;
    CXFile f;
    unsigned line, col, off;
    expansion(loc, &f, &line, &col, &off);
    if (k == CXCursor_MacroExpansion) {
        if (!rel_of(w, f))
            return CXChildVisit_Continue;
        CXSourceRange r = clang_getCursorExtent(c);
        CXFile f2;
        unsigned l2, c2, end;
        clang_getExpansionLocation(clang_getRangeEnd(r), &f2, &l2, &c2, &end);
        struct macro_exp m = { f, off, end, astr(w, clang_getCursorSpelling(c)) };
        pith_vec_push(&w->macros, m);
        w->macros_sorted = 0;
        return CXChildVisit_Continue;
    }
    if (k == CXCursor_MacroDefinition || k == CXCursor_InclusionDirective)
        return CXChildVisit_Continue;
    const char *path = rel_of(w, f);
    if (!path)
        return CXChildVisit_Continue;
    if (is_function_kind(k)) {
        if (clang_isCursorDefinition(c))
            function_def(w, c, path, f);
    } else if (is_scope_kind(k)) {
        w->depth = 0;
        clang_visitChildren(c, top_visit, w);
    } else if (k == CXCursor_VarDecl) {
        /* file-scope tables: walked once per (file, variable) */
        const char *usr = usr_of(w, c);
        if (!claim(w, path, usr))
            return CXChildVisit_Continue;
        w->owner = astr(w, clang_getCursorSpelling(c));
        w->depth = 0;
        walk_children(w, c);
        w->owner = NULL;
    }
    return CXChildVisit_Continue;
}

static int lang_is_cpp(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && strcmp(dot, ".c") && strcmp(dot, ".h");
}

static const char *diag_reason(struct worker *w, CXTranslationUnit tu, int *fatal)
{
    unsigned n = clang_getNumDiagnostics(tu);
    const char *first = NULL;
    unsigned errors = 0;
    *fatal = 0;
    for (unsigned i = 0; i < n; i++) {
        CXDiagnostic d = clang_getDiagnostic(tu, i);
        enum CXDiagnosticSeverity sev = clang_getDiagnosticSeverity(d);
        if (sev >= CXDiagnostic_Error) {
            errors++;
            if (sev == CXDiagnostic_Fatal)
                *fatal = 1;
            if (!first)
                first = astr(w, clang_formatDiagnostic(d, CXDiagnostic_DisplaySourceLocation |
                                                              CXDiagnostic_DisplayColumn));
        }
        clang_disposeDiagnostic(d);
    }
    if (!errors)
        return NULL;
    pith_buf_clear(&w->tmp);
    pith_buf_printf(&w->tmp, "%u compile error%s; first: %s", errors, errors == 1 ? "" : "s",
                    first);
    if (w->tmp.len > 400) {
        w->tmp.len = 400;
        w->tmp.ptr[400] = '\0';
    }
    return pith_arena_strdup(&w->arena, w->tmp.ptr);
}

static void do_unit(struct worker *w, const struct compdb_entry *e)
{
    struct shared *sh = w->sh;
    size_t n = sh->repo_len;
    const char *rel = NULL;
    if (!strncmp(e->file, sh->repo, n) && e->file[n] == '/')
        rel = pith_arena_strdup(&w->arena, e->file + n + 1);
    if (rel)
        pith_vec_push(&w->sources, rel);
    unsigned flags = CXTranslationUnit_DetailedPreprocessingRecord | CXTranslationUnit_KeepGoing |
                     CXTranslationUnit_IgnoreNonErrorsFromIncludedFiles;
    CXTranslationUnit tu = NULL;
    enum CXErrorCode ec = clang_parseTranslationUnit2(
        w->index, e->file, (const char *const *)e->args, (int)e->arg_count, NULL, 0, flags, &tu);
    if (ec != CXError_Success || !tu) {
        if (rel) {
            struct cfail fl = { rel, "libclang could not parse the translation unit" };
            pith_vec_push(&w->fails, fl);
        }
        return;
    }
    int fatal = 0;
    const char *why = diag_reason(w, tu, &fatal);
    w->unit_cpp = lang_is_cpp(e->file);
    w->unit_dir = e->directory;
    for (size_t i = 0; i < e->arg_count; i++) {
        const char *a = e->args[i];
        if (!strcmp(a, "c++") && i && !strcmp(e->args[i - 1], "-x"))
            w->unit_cpp = 1;
        if (!strcmp(a, "-xc++") || !strncmp(a, "-std=c++", 8) || !strncmp(a, "-std=gnu++", 10))
            w->unit_cpp = 1;
    }
    if (why && rel) {
        struct cfail fl = { rel, why };
        pith_vec_push(&w->fails, fl);
    }
    if (!why) {
        w->tu = tu;
        w->files.count = 0;
        pith_hashmap_release(&w->file_ids);
        pith_hashmap_init(&w->file_ids);
        w->macros.count = 0;
        w->macros_sorted = 1;
        w->depth = 0;
        w->fn_usr = w->fn_path = w->owner = NULL;
        clang_visitChildren(clang_getTranslationUnitCursor(tu), top_visit, w);
        w->tu = NULL;
    }
    clang_disposeTranslationUnit(tu);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    const struct compdb *db = w->sh->db;
    for (;;) {
        size_t i = atomic_fetch_add(&w->sh->next, 1);
        if (i >= db->count)
            break;
        do_unit(w, &db->items[i]);
    }
    return NULL;
}

/* ---- merging the workers' items into one FileFacts per file ------------------------------- */

struct mfile {
    const char *path;
    const char *fail;
    int cpp;
    PITH_VEC(struct cfn *) fns;
    PITH_VEC(struct ccall *) calls;
    PITH_VEC(struct cref *) refs;
};

struct merge {
    struct pith_hashmap by_path; /* path -> index + 1 */
    PITH_VEC(struct mfile) files;
};

static struct mfile *mfile_of(struct merge *m, const char *path)
{
    uint32_t v;
    if (pith_hashmap_get(&m->by_path, path, strlen(path), &v))
        return &m->files.items[v - 1];
    struct mfile f = { 0 };
    f.path = path;
    pith_vec_push(&m->files, f);
    pith_hashmap_put(&m->by_path, path, strlen(path), (uint32_t)m->files.count);
    return &m->files.items[m->files.count - 1];
}

static int cmp_fn(const void *a, const void *b)
{
    const struct cfn *x = *(struct cfn *const *)a, *y = *(struct cfn *const *)b;
    if (x->sl != y->sl)
        return x->sl < y->sl ? -1 : 1;
    if (x->sc != y->sc)
        return x->sc < y->sc ? -1 : 1;
    return strcmp(x->usr, y->usr);
}

static int cmp_call(const void *a, const void *b)
{
    const struct ccall *x = *(struct ccall *const *)a, *y = *(struct ccall *const *)b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    int c = strcmp(x->caller_usr, y->caller_usr);
    if (c)
        return c;
    c = strcmp(x->callee_usr, y->callee_usr);
    return c ? c : strcmp(x->callee, y->callee);
}

static int cmp_ref(const void *a, const void *b)
{
    const struct cref *x = *(struct cref *const *)a, *y = *(struct cref *const *)b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    int c = strcmp(x->usr, y->usr);
    if (c)
        return c;
    if ((c = strcmp(x->target_usr, y->target_usr)))
        return c;
    if ((c = strcmp(x->scope_usr, y->scope_usr)))
        return c;
    if (x->context != y->context)
        return x->context < y->context ? -1 : 1;
    return x->arg_index < y->arg_index ? -1 : x->arg_index > y->arg_index;
}

static int cmp_rec(const void *a, const void *b)
{
    return strcmp(((const struct c_record *)a)->path, ((const struct c_record *)b)->path);
}

static uint32_t count_lines(const char *s, size_t n)
{
    uint32_t lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += s[i] == '\n';
    if (n && s[n - 1] != '\n')
        lines++;
    return lines;
}

static void pack_file(struct c_records *out, const char *repo, struct mfile *mf)
{
    struct pith_arena a;
    pith_arena_init(&a);
    Pith__FileFacts ff = PITH__FILE_FACTS__INIT;
    struct c_record rec = { 0 };
    ff.path = (char *)mf->path;
    ff.language = (char *)(mf->cpp || lang_is_cpp(mf->path) ? "cpp" : "c");
    struct pith_buf full = PITH_BUF_INIT, data = PITH_BUF_INIT;
    pith_buf_printf(&full, "%s/%s", repo, mf->path);
    if (pith_file_read(&data, full.ptr, FILE_MAX) == 0) {
        ff.size = data.len;
        ff.content_hash = pith_hash64(data.ptr ? data.ptr : "", data.len);
        ff.line_count = count_lines(data.ptr ? data.ptr : "", data.len);
    }
    if (mf->fail) {
        ff.status = PITH__FILE_STATUS__FILE_SKIPPED_PARSE;
        ff.skip_reason = (char *)mf->fail;
        rec.reason = pith_xstrdup(mf->fail);
    }
    if (mf->fns.count > 1)
        qsort(mf->fns.items, mf->fns.count, sizeof *mf->fns.items, cmp_fn);
    struct pith_hashmap ids; /* usr -> symbol id */
    pith_hashmap_init(&ids);
    ff.n_symbols = mf->fns.count;
    ff.symbols = pith_arena_alloc(&a, (mf->fns.count + 1) * sizeof *ff.symbols);
    for (size_t i = 0; i < mf->fns.count; i++) {
        const struct cfn *fn = mf->fns.items[i];
        Pith__Symbol *s = pith_arena_alloc(&a, sizeof *s);
        pith__symbol__init(s);
        s->kind = fn->kind;
        s->name = (char *)fn->name;
        s->qualname = (char *)fn->qualname;
        s->start_line = fn->sl;
        s->start_col = fn->sc;
        s->end_line = fn->el;
        s->end_col = fn->ec;
        s->signature = (char *)fn->sig;
        s->returns = (char *)fn->returns;
        s->docstring = (char *)fn->doc;
        s->usr = (char *)fn->usr;
        s->is_static = fn->is_static;
        s->is_virtual = fn->is_virtual;
        s->n_overrides = fn->n_overrides;
        s->overrides = (char **)fn->overrides;
        s->n_params = fn->n_params;
        s->params = pith_arena_alloc(&a, (fn->n_params + 1) * sizeof *s->params);
        for (size_t k = 0; k < fn->n_params; k++) {
            Pith__Param *p = pith_arena_alloc(&a, sizeof *p);
            pith__param__init(p);
            p->name = (char *)fn->pnames[k];
            p->annotation = (char *)fn->ptypes[k];
            s->params[k] = p;
        }
        ff.symbols[i] = s;
        pith_hashmap_put(&ids, fn->usr, strlen(fn->usr), (uint32_t)i + 1);
        if (fn->ir) {
            if (!ff.bodies)
                ff.bodies = pith_arena_alloc(&a, mf->fns.count * sizeof *ff.bodies);
            fn->ir->symbol = (uint32_t)i + 1;
            ff.bodies[ff.n_bodies++] = fn->ir;
        }
    }
    if (mf->calls.count > 1)
        qsort(mf->calls.items, mf->calls.count, sizeof *mf->calls.items, cmp_call);
    ff.c_calls = pith_arena_alloc(&a, (mf->calls.count + 1) * sizeof *ff.c_calls);
    for (size_t i = 0; i < mf->calls.count; i++) {
        const struct ccall *k = mf->calls.items[i];
        uint32_t id = 0;
        pith_hashmap_get(&ids, k->caller_usr, strlen(k->caller_usr), &id);
        Pith__CallSite *cs = pith_arena_alloc(&a, sizeof *cs);
        pith__call_site__init(cs);
        cs->caller = id;
        cs->callee = (char *)k->callee;
        cs->line = k->line;
        cs->col = k->col;
        cs->arg_count = k->argc;
        cs->callee_usr = (char *)k->callee_usr;
        cs->macro = (char *)k->macro;
        cs->target = k->target;
        cs->target_usr = (char *)k->target_usr;
        cs->fn_type = (char *)k->fn_type;
        cs->is_virtual = k->is_virtual;
        ff.c_calls[ff.n_c_calls++] = cs;
    }
    if (mf->refs.count > 1)
        qsort(mf->refs.items, mf->refs.count, sizeof *mf->refs.items, cmp_ref);
    ff.func_refs = pith_arena_alloc(&a, (mf->refs.count + 1) * sizeof *ff.func_refs);
    for (size_t i = 0; i < mf->refs.count; i++) {
        const struct cref *r = mf->refs.items[i];
        if (i && !cmp_ref(&mf->refs.items[i - 1], &mf->refs.items[i]))
            continue; /* the same table seen from two units */
        uint32_t id = 0;
        pith_hashmap_get(&ids, r->scope_usr, strlen(r->scope_usr), &id);
        Pith__FuncRef *fr = pith_arena_alloc(&a, sizeof *fr);
        pith__func_ref__init(fr);
        fr->usr = (char *)r->usr;
        fr->name = (char *)r->name;
        fr->context = r->context;
        fr->target_usr = (char *)r->target_usr;
        fr->target_name = (char *)r->target_name;
        fr->fn_type = (char *)r->fn_type;
        fr->scope = id;
        fr->owner = (char *)r->owner;
        fr->line = r->line;
        fr->arg_index = r->arg_index;
        ff.func_refs[ff.n_func_refs++] = fr;
    }
    rec.path = pith_xstrdup(mf->path);
    rec.status = (int)ff.status;
    rec.size = ff.size;
    pith_buf_init(&rec.facts);
    size_t n = pith__file_facts__get_packed_size(&ff);
    pith_buf_grow(&rec.facts, n);
    rec.facts.len = pith__file_facts__pack(&ff, (uint8_t *)rec.facts.ptr);
    pith_vec_push(out, rec);
    pith_hashmap_release(&ids);
    pith_buf_release(&full);
    pith_buf_release(&data);
    pith_arena_release(&a);
}

void lang_c_clang_run(struct c_records *out, const char *repo, const struct compdb *db, int jobs)
{
    struct shared sh = { 0 };
    char cwd[4096]; /* a relative REPO is relative to the working directory */
    char *root = compdb_abspath(repo[0] != '/' && getcwd(cwd, sizeof cwd) ? cwd : "/", repo);
    sh.repo = root;
    sh.repo_len = strlen(root);
    if (sh.repo_len == 1)
        sh.repo_len = 0; /* "/" */
    sh.db = db;
    sh.no_flow = getenv("PITH_NO_FLOW") != NULL;
    atomic_init(&sh.next, 0);
    pthread_mutex_init(&sh.lock, NULL);
    pith_hashmap_init(&sh.claimed);
    pith_arena_init(&sh.keys);
    if (jobs < 1)
        jobs = 1;
    if ((size_t)jobs > db->count)
        jobs = db->count ? (int)db->count : 1;
    struct worker *ws = pith_xcalloc((size_t)jobs, sizeof *ws);
    pthread_t *tids = pith_xcalloc((size_t)jobs, sizeof *tids);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, (size_t)64 << 20); /* deep expressions, deep walks */
    for (int i = 0; i < jobs; i++) {
        ws[i].sh = &sh;
        ws[i].index = clang_createIndex(0, 0);
        pith_hashmap_init(&ws[i].file_ids);
        pith_arena_init(&ws[i].arena);
        pith_buf_init(&ws[i].tmp);
    }
    int started = 0;
    for (int i = 0; i < jobs; i++) {
        if (pthread_create(&tids[i], &attr, worker_main, &ws[i]) != 0)
            break;
        started++;
    }
    if (!started)
        worker_main(&ws[0]);
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    pthread_attr_destroy(&attr);

    struct merge m = { 0 };
    pith_hashmap_init(&m.by_path);
    for (int i = 0; i < jobs; i++) {
        struct worker *w = &ws[i];
        for (size_t k = 0; k < w->sources.count; k++)
            mfile_of(&m, w->sources.items[k]);
        for (size_t k = 0; k < w->fails.count; k++)
            mfile_of(&m, w->fails.items[k].path)->fail = w->fails.items[k].reason;
        for (size_t k = 0; k < w->fns.count; k++) {
            struct mfile *mf = mfile_of(&m, w->fns.items[k].path);
            mf->cpp |= w->fns.items[k].cpp;
            pith_vec_push(&mf->fns, &w->fns.items[k]);
        }
        for (size_t k = 0; k < w->calls.count; k++)
            pith_vec_push(&mfile_of(&m, w->calls.items[k].path)->calls, &w->calls.items[k]);
        for (size_t k = 0; k < w->refs.count; k++)
            pith_vec_push(&mfile_of(&m, w->refs.items[k].path)->refs, &w->refs.items[k]);
    }
    for (size_t i = 0; i < m.files.count; i++) {
        struct mfile *mf = &m.files.items[i];
        if (mf->fail) { /* a unit that did not compile leaves only its record */
            mf->fns.count = mf->calls.count = mf->refs.count = 0;
        }
        pack_file(out, root, mf);
        pith_vec_release(&mf->fns);
        pith_vec_release(&mf->calls);
        pith_vec_release(&mf->refs);
    }
    if (out->count > 1)
        qsort(out->items, out->count, sizeof *out->items, cmp_rec);
    pith_vec_release(&m.files);
    pith_hashmap_release(&m.by_path);
    for (int i = 0; i < jobs; i++) {
        struct worker *w = &ws[i];
        clang_disposeIndex(w->index);
        pith_arena_release(&w->arena);
        ir_c_scratch_release(&w->scratch);
        pith_vec_release(&w->fns);
        pith_vec_release(&w->calls);
        pith_vec_release(&w->refs);
        pith_vec_release(&w->fails);
        pith_vec_release(&w->sources);
        pith_vec_release(&w->files);
        pith_hashmap_release(&w->file_ids);
        pith_vec_release(&w->macros);
        pith_buf_release(&w->tmp);
    }
    free(ws);
    free(tids);
    pith_hashmap_release(&sh.claimed);
    pith_arena_release(&sh.keys);
    pthread_mutex_destroy(&sh.lock);
    free(root);
}

void c_records_release(struct c_records *r)
{
    for (size_t i = 0; i < r->count; i++) {
        free(r->items[i].path);
        free(r->items[i].reason);
        pith_buf_release(&r->items[i].facts);
    }
    pith_vec_release(r);
}
