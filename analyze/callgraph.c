/* Python call-graph resolution (analyze stage): the FileFacts of all files -> global symbols
 * and call edges, each with a resolution kind, a confidence and a reason.
 *
 * Model. Every scope (module, class, function, lambda; keyed by global symbol id) has a
 * namespace: name -> list of bindings (defs, imports, assignments, parameters). Lookups are
 * flow-insensitive: every binding of a name in a scope is a candidate. A call's callee text is
 * evaluated to a small set of abstract values
 *
 *     module(file) | class(sym) | instance(sym) | function(sym) | external("a.b.c")
 *     | super(class) | unknown(reason)
 *
 * head name through the scope chain (function, enclosing functions, module, builtins; class
 * bodies only for code directly in them), then attribute by attribute (module namespace or
 * submodule; class MRO, then `self.x = ...` bindings of the MRO's classes; external names just
 * grow). Calling the final set gives the edges: one candidate -> its kind, several ->
 * `ambiguous` with 1000/N each, none known -> `unresolved` with the reason.
 *
 * MRO: C3 linearisation over in-repo bases; when C3 fails (inconsistent hierarchy) a
 * left-to-right depth-first order without duplicates. External bases are kept aside: an
 * attribute missing from every in-repo class of the MRO resolves to `external base.attr`.
 *
 * Phases, so that no result depends on the order in which anything is resolved:
 *
 *   tables     namespaces, modules, bindings                           (one thread)
 *   classes    every class's bases, each evaluated while all MROs are   (one thread)
 *              the class alone; then SCCs of the base graph and C3 in
 *              bases-first order, base cycles left out of the MROs
 *   calls      call sites on --jobs threads; each thread has its own    (--jobs)
 *              stack, limits, arena and edges; binding memos are shared
 *              and order-free (eval_entry); edges merged in file order
 *   graph      edges sorted, symbols and files copied out               (one thread) */
#include "analyze.h"
#include "analyze_int.h"

#include "common/err.h"
#include "common/hashmap.h"
#include "common/mem.h"

#include <assert.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAXC      8     /* candidates kept per value set */
#define MAX_DEPTH 48    /* nested evaluations (import chains, aliases) */
#define BUDGET    20000 /* binding evaluations per call site (see eval_entry) */
#define NO_SCOPE  0x80000000u

enum vkind { V_UNKNOWN, V_MODULE, V_CLASS, V_INSTANCE, V_FUNC, V_EXTERNAL, V_SUPER };

struct val {
    uint8_t kind;
    uint8_t via;      /* edge kind if this function is called: DIRECT, IMPORT, METHOD, INHERITED */
    uint16_t conf;    /* per mille */
    uint8_t guess;    /* a name assumed to come from an external star import */
    uint32_t id;      /* file index (V_MODULE) or symbol id */
    const char *name; /* dotted name (V_EXTERNAL) */
    const char *reason; /* why unknown or why the confidence is lower; NULL when none */
};

struct vset {
    uint32_t count;
    int overflow;
    const char *why; /* why there are several candidates */
    struct val v[MAXC];
};

enum ekind {
    E_DEF,
    E_IMPORT_MOD,
    E_IMPORT_FROM,
    E_CALL,
    E_NAME,
    E_OTHER,
    E_PARAM,
    E_STAR,
    E_ANNOT
};

struct nsent {
    uint32_t next;
    uint8_t kind;
    uint8_t relative; /* import was relative (unresolvable targets are not external) */
    uint32_t scope;   /* where the binding is evaluated */
    uint32_t a;       /* symbol id (E_DEF), parameter index (E_PARAM) */
    const char *s;    /* absolute module, callee or value text; NULL: bad relative import */
    const char *s2;   /* imported name (E_IMPORT_FROM), target name */
    uint32_t line;
};

/* The memoised value of a binding, with what computing it afresh costs: `height` nested
 * evaluations (itself included) and `cost` budget units (see eval_entry). */
struct memo {
    uint32_t cost;
    uint8_t height;
    uint8_t n;
    uint8_t overflow;
    const char *why;
    struct val v[];
};

/* A file. Its scopes' namespaces live in its own maps: every scope, class and star import
 * belongs to exactly one file, so the files' tables are built independently. */
struct afile {
    Pith__FileFacts *ff;
    uint32_t base;    /* global id = base + local id */
    uint32_t mod_gid; /* module symbol, 0 when none */
    int ok;
    const char *pkg;            /* package used by relative imports ("" at top level) */
    struct pith_hashmap ns;     /* u32 scope + name -> nsent head */
    struct pith_hashmap attrs;  /* u32 class + attr -> nsent head (self.attr bindings) */
    struct pith_hashmap stars;  /* u32 scope -> E_STAR head */
    uint32_t ent_base, ent_end; /* this file's slots in ents */
};

struct asym {
    Pith__Symbol *s;
    uint32_t file;
    uint32_t parent;     /* global id, 0 at top level */
    uint8_t first_param; /* 0 plain, 1 instance (self), 2 class (cls) */
    uint32_t scc;        /* classes: strongly connected component of the base graph, 1-based */
    uint32_t mro_count;
    uint32_t *mro; /* in-repo classes, the class itself first */
    uint32_t base_count;
    uint32_t *base_ids;
    const char *ext_base;     /* first external base ("json.JSONDecoder") */
    const char *unknown_base; /* first base that could not be resolved */
    const char *cycle_base;   /* first in-repo base left out of the MRO: it is in a base cycle */
};

struct modlink {
    uint32_t file;
    uint32_t next;
};

/* What every resolving thread shares: built once, then read-only except for `memo`, whose
 * slots are published once each (any thread computes the same value). */
struct cg_tables {
    struct afile *files;
    size_t file_count;
    struct asym *syms; /* [0] unused */
    uint32_t sym_count;
    struct pith_hashmap mod_exact;  /* module -> file + 1 */
    struct pith_hashmap mod_suffix; /* suffix -> modlink head */
    PITH_VEC(struct modlink) links;
    struct pith_hashmap builtins; /* name -> 1 function, 2 type */
    PITH_VEC(struct nsent) ents;  /* [0] unused; file f owns [ent_base, ent_end) */
    _Atomic(struct memo *) *memo; /* [ents.count] */
    int bases_ready;              /* ext_base, unknown_base and cycle_base are final */
};

/* One resolving thread: its evaluation stack, limits, strings and edges. */
struct cg {
    struct cg_tables *t;
    struct pith_arena arena; /* strings and memos made by this thread */
    struct pith_buf key;
    uint32_t ent_next, ent_end; /* free slots of the file whose tables are being built */
    uint32_t depth;             /* nested evaluations now (entries on `stack`) */
    uint32_t peak;              /* deepest `depth` reached in the current evaluation */
    uint32_t budget;            /* binding evaluations left for the current query */
    uint32_t cuts;              /* evaluations cut short by a cycle, the depth or the budget */
    uint32_t stack[MAX_DEPTH];  /* bindings and star imports being evaluated */
    PITH_VEC(Pith__Edge) edges;
};

/* ---- small helpers ------------------------------------------------------------------------ */

static const char *const builtin_types[] = {
    "ArithmeticError",
    "AssertionError",
    "AttributeError",
    "BaseException",
    "BaseExceptionGroup",
    "BlockingIOError",
    "BrokenPipeError",
    "BufferError",
    "BytesWarning",
    "ChildProcessError",
    "ConnectionAbortedError",
    "ConnectionError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "DeprecationWarning",
    "EOFError",
    "EncodingWarning",
    "EnvironmentError",
    "Exception",
    "ExceptionGroup",
    "FileExistsError",
    "FileNotFoundError",
    "FloatingPointError",
    "FutureWarning",
    "GeneratorExit",
    "IOError",
    "ImportError",
    "ImportWarning",
    "IndentationError",
    "IndexError",
    "InterruptedError",
    "IsADirectoryError",
    "KeyError",
    "KeyboardInterrupt",
    "LookupError",
    "MemoryError",
    "ModuleNotFoundError",
    "NameError",
    "NotADirectoryError",
    "NotImplementedError",
    "OSError",
    "OverflowError",
    "PendingDeprecationWarning",
    "PermissionError",
    "ProcessLookupError",
    "RecursionError",
    "ReferenceError",
    "ResourceWarning",
    "RuntimeError",
    "RuntimeWarning",
    "StopAsyncIteration",
    "StopIteration",
    "SyntaxError",
    "SyntaxWarning",
    "SystemError",
    "SystemExit",
    "TabError",
    "TimeoutError",
    "TypeError",
    "UnboundLocalError",
    "UnicodeDecodeError",
    "UnicodeEncodeError",
    "UnicodeError",
    "UnicodeTranslateError",
    "UnicodeWarning",
    "UserWarning",
    "ValueError",
    "Warning",
    "ZeroDivisionError",
    "bool",
    "bytearray",
    "bytes",
    "classmethod",
    "complex",
    "dict",
    "enumerate",
    "filter",
    "float",
    "frozenset",
    "int",
    "list",
    "map",
    "memoryview",
    "object",
    "property",
    "range",
    "reversed",
    "set",
    "slice",
    "staticmethod",
    "str",
    "super",
    "tuple",
    "type",
    "zip",
};

static const char *const builtin_funcs[] = {
    "abs",     "aiter",      "all",
    "anext",   "any",        "ascii",
    "bin",     "breakpoint", "callable",
    "chr",     "compile",    "copyright",
    "credits", "delattr",    "dir",
    "divmod",  "eval",       "exec",
    "exit",    "format",     "getattr",
    "globals", "hasattr",    "hash",
    "help",    "hex",        "id",
    "input",   "isinstance", "issubclass",
    "iter",    "len",        "license",
    "locals",  "max",        "min",
    "next",    "oct",        "open",
    "ord",     "pow",        "print",
    "quit",    "repr",       "round",
    "setattr", "sorted",     "sum",
    "vars",    "__import__", "__build_class__",
};

/* Decorators that leave the decorated def the call target with full confidence. */
static const char *const trivial_decorators[] = {
    "staticmethod",
    "classmethod",
    "property",
    "abstractmethod",
    "abc.abstractmethod",
    "cached_property",
    "functools.cached_property",
    "overload",
    "typing.overload",
    "override",
    "typing.override",
    "final",
    "typing.final",
    "abc.abstractproperty",
    "abstractproperty",
};

static uint16_t min16(uint32_t a, uint32_t b)
{
    return (uint16_t)(a < b ? a : b);
}

static int is_ident_char(unsigned char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c >= 0x80;
}

static size_t ident_len(const char *p)
{
    size_t n = 0;
    if (!is_ident_char((unsigned char)p[0]) || (p[0] >= '0' && p[0] <= '9'))
        return 0;
    while (is_ident_char((unsigned char)p[n]))
        n++;
    return n;
}

/* Skips a string literal starting at the quote `p`; returns the char after it or NULL. */
static const char *skip_string(const char *p)
{
    char q = *p;
    int triple = p[1] == q && p[2] == q;
    p += triple ? 3 : 1;
    while (*p) {
        if (*p == '\\' && p[1]) {
            p += 2;
            continue;
        }
        if (*p == q && (!triple || (p[1] == q && p[2] == q)))
            return p + (triple ? 3 : 1);
        p++;
    }
    return NULL;
}

/* `p` at '(' or '[' or '{': returns the char after the matching close, or NULL. */
static const char *skip_group(const char *p)
{
    int depth = 0;
    while (*p) {
        char c = *p;
        if (c == '"' || c == '\'') {
            p = skip_string(p);
            if (!p)
                return NULL;
            continue;
        }
        if (c == '(' || c == '[' || c == '{')
            depth++;
        else if (c == ')' || c == ']' || c == '}') {
            if (--depth == 0)
                return p + 1;
        }
        p++;
    }
    return NULL;
}

static char *astrcat3(struct cg *cg, const char *a, const char *sep, const char *b, size_t blen)
{
    size_t al = strlen(a), sl = strlen(sep);
    char *r = pith_arena_alloc(&cg->arena, al + sl + blen + 1);
    memcpy(r, a, al);
    memcpy(r + al, sep, sl);
    memcpy(r + al + sl, b, blen);
    r[al + sl + blen] = '\0';
    return r;
}

static const char *afmt(struct cg *cg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *afmt(struct cg *cg, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    return pith_arena_strdup(&cg->arena, tmp);
}

static int sym_is_class(const struct cg *cg, uint32_t gid)
{
    return gid && gid <= cg->t->sym_count &&
           cg->t->syms[gid].s->kind == PITH__SYMBOL_KIND__SYMBOL_CLASS;
}

static int has_decorator(const Pith__Symbol *s, const char *name)
{
    for (size_t i = 0; i < s->n_decorators; i++) {
        if (strcmp(s->decorators[i], name) == 0)
            return 1;
    }
    return 0;
}

/* The first decorator that may replace the function by something else, or NULL. */
static const char *nontrivial_decorator(const Pith__Symbol *s)
{
    for (size_t i = 0; i < s->n_decorators; i++) {
        const char *d = s->decorators[i];
        int trivial = 0;
        for (size_t k = 0; k < sizeof trivial_decorators / sizeof *trivial_decorators; k++) {
            if (strcmp(d, trivial_decorators[k]) == 0)
                trivial = 1;
        }
        if (!strncmp(d, "wraps(", 6) || !strncmp(d, "functools.wraps(", 16))
            trivial = 1;
        size_t n = strlen(d);
        if ((n > 7 && !strcmp(d + n - 7, ".setter")) || (n > 7 && !strcmp(d + n - 7, ".getter")) ||
            (n > 8 && !strcmp(d + n - 8, ".deleter")))
            trivial = 1;
        if (!trivial)
            return d;
    }
    return NULL;
}

static int is_property(const Pith__Symbol *s)
{
    return has_decorator(s, "property") || has_decorator(s, "cached_property") ||
           has_decorator(s, "functools.cached_property");
}

/* ---- keys and namespaces ------------------------------------------------------------------ */

/* Writes the key of (scope, name) to `out` (4 + len bytes). */
static void put_key(char *out, uint32_t scope, const char *name, size_t len)
{
    out[0] = (char)scope;
    out[1] = (char)(scope >> 8);
    out[2] = (char)(scope >> 16);
    out[3] = (char)(scope >> 24);
    memcpy(out + 4, name, len);
}

/* The key of (scope, name) in the thread's scratch buffer. */
static const char *mkkey(struct cg *cg, uint32_t scope, const char *name, size_t len, size_t *klen)
{
    pith_buf_clear(&cg->key);
    pith_buf_grow(&cg->key, 4 + len);
    put_key(cg->key.ptr, scope, name, len);
    cg->key.len = 4 + len;
    *klen = 4 + len;
    return cg->key.ptr;
}

static uint32_t
map_get(struct cg *cg, struct pith_hashmap *m, uint32_t scope, const char *name, size_t len)
{
    size_t klen;
    const char *k = mkkey(cg, scope, name, len, &klen);
    uint32_t v = 0;
    if (!pith_hashmap_get(m, k, klen, &v))
        return 0;
    return v;
}

static uint32_t new_entry(struct cg *cg, const struct nsent *e)
{
    if (cg->ent_next >= cg->ent_end)
        PITH_BUG("a file's bindings overran their slots");
    uint32_t idx = cg->ent_next++;
    cg->t->ents.items[idx] = *e;
    return idx;
}

/* Adds `e` to the list of (scope, name) in `m`. */
static void map_add(struct cg *cg,
                    struct pith_hashmap *m,
                    uint32_t scope,
                    const char *name,
                    size_t len,
                    const struct nsent *e)
{
    uint32_t idx = new_entry(cg, e);
    char *k = pith_arena_alloc(&cg->arena, 4 + len); /* kept only when the key is new */
    put_key(k, scope, name, len);
    uint32_t head = pith_hashmap_intern(m, k, 4 + len, idx);
    if (head != idx) {
        cg->t->ents.items[idx].next = cg->t->ents.items[head].next;
        cg->t->ents.items[head].next = idx;
    }
}

/* Scope key of file f's top level. */
static uint32_t file_scope(const struct cg *cg, uint32_t f)
{
    return cg->t->files[f].mod_gid ? cg->t->files[f].mod_gid : (NO_SCOPE | f);
}

static uint32_t gid_of(const struct cg *cg, uint32_t f, uint32_t local)
{
    const struct afile *af = &cg->t->files[f];
    if (local == 0 || local > af->ff->n_symbols)
        return file_scope(cg, f);
    return af->base + local;
}

static uint32_t scope_file(const struct cg *cg, uint32_t scope)
{
    if (scope & NO_SCOPE)
        return scope & ~NO_SCOPE;
    return cg->t->syms[scope].file;
}

/* Parent scope of `scope` for name lookup (0 past the module). */
static uint32_t scope_parent(const struct cg *cg, uint32_t scope)
{
    if (scope & NO_SCOPE)
        return 0;
    uint32_t p = cg->t->syms[scope].parent;
    if (p == 0 && cg->t->syms[scope].s->kind != PITH__SYMBOL_KIND__SYMBOL_MODULE)
        return file_scope(cg, cg->t->syms[scope].file);
    return p;
}

/* The maps of the file that owns `scope` (or class `cls`). */
static struct pith_hashmap *ns_map(const struct cg *cg, uint32_t scope)
{
    return &cg->t->files[scope_file(cg, scope)].ns;
}

static struct pith_hashmap *attrs_map(const struct cg *cg, uint32_t cls)
{
    return &cg->t->files[scope_file(cg, cls)].attrs;
}

static struct pith_hashmap *stars_map(const struct cg *cg, uint32_t scope)
{
    return &cg->t->files[scope_file(cg, scope)].stars;
}

/* ---- value sets --------------------------------------------------------------------------- */

/* Empties `vs` (the values past count are never read, so they are left as they are). */
static void vs_init(struct vset *vs)
{
    vs->count = 0;
    vs->overflow = 0;
    vs->why = NULL;
}

static void vs_copy(struct vset *dst, const struct vset *src)
{
    dst->count = src->count;
    dst->overflow = src->overflow;
    dst->why = src->why;
    memcpy(dst->v, src->v, src->count * sizeof *src->v);
}

static void vs_add(struct vset *vs, const struct val *v)
{
    for (uint32_t i = 0; i < vs->count; i++) {
        struct val *o = &vs->v[i];
        if (o->kind == v->kind && o->id == v->id &&
            (o->kind != V_EXTERNAL || strcmp(o->name, v->name) == 0) && (o->kind != V_UNKNOWN)) {
            if (v->conf > o->conf) {
                o->conf = v->conf;
                o->reason = v->reason;
                o->via = v->via;
            }
            return;
        }
        if (o->kind == V_UNKNOWN && v->kind == V_UNKNOWN)
            return; /* one unknown is enough */
    }
    if (vs->count == MAXC) {
        vs->overflow = 1;
        return;
    }
    vs->v[vs->count++] = *v;
}

static void vs_unknown(struct vset *vs, const char *reason)
{
    struct val v = { .kind = V_UNKNOWN, .conf = 0, .reason = reason };
    vs_add(vs, &v);
}

static void vs_merge(struct vset *dst, const struct vset *src)
{
    for (uint32_t i = 0; i < src->count; i++)
        vs_add(dst, &src->v[i]);
    dst->overflow |= src->overflow;
    if (!dst->why)
        dst->why = src->why;
}

static uint32_t vs_known(const struct vset *vs)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < vs->count; i++)
        n += vs->v[i].kind != V_UNKNOWN;
    return n;
}

/* ---- modules ------------------------------------------------------------------------------ */

struct modres {
    uint32_t count;
    uint32_t files[MAXC];
};

static void find_module(struct cg *cg, struct modres *out, const char *name, size_t len)
{
    uint32_t v;
    out->count = 0;
    if (len == 0)
        return;
    if (pith_hashmap_get(&cg->t->mod_exact, name, len, &v)) {
        out->files[out->count++] = v - 1;
        return;
    }
    if (pith_hashmap_get(&cg->t->mod_suffix, name, len, &v)) {
        for (uint32_t l = v; l && out->count < MAXC; l = cg->t->links.items[l].next)
            out->files[out->count++] = cg->t->links.items[l].file;
    }
}

/* ---- evaluation --------------------------------------------------------------------------- */

static void eval_expr(struct cg *cg, struct vset *out, uint32_t scope, const char *text);
static void
lookup_name(struct cg *cg, struct vset *out, uint32_t scope, const char *name, size_t len);
static void
getattr_set(struct cg *cg, struct vset *out, const struct vset *in, const char *attr, size_t len);
static const uint32_t *class_mro(const struct cg *cg, uint32_t cls, uint32_t *count);

static int
ns_lookup_module(struct cg *cg, struct vset *out, uint32_t f, const char *name, size_t len);
static int
module_star_guess(struct cg *cg, struct vset *out, uint32_t f, const char *name, size_t len);

/* Evaluates a type annotation (as written) in `scope` to instance values. */
static void
eval_annotation(struct cg *cg, struct vset *out, uint32_t scope, const char *ann, const char *pname)
{
    char buf[256];
    size_t n = strlen(ann);
    if (n == 0 || n >= sizeof buf) {
        vs_unknown(out, afmt(cg, "parameter %s has no usable annotation", pname));
        return;
    }
    memcpy(buf, ann, n + 1);
    char *p = buf;
    /* "X", Optional[X], X | None, None | X */
    if ((*p == '"' || *p == '\'') && n >= 2 && p[n - 1] == *p) {
        p[n - 1] = '\0';
        p++;
    }
    if (!strncmp(p, "Optional[", 9) || !strncmp(p, "typing.Optional[", 16)) {
        p = strchr(p, '[') + 1;
        size_t m = strlen(p);
        if (m && p[m - 1] == ']')
            p[m - 1] = '\0';
    }
    char *bar = strstr(p, " | None");
    if (bar && bar[7] == '\0')
        *bar = '\0';
    if (!strncmp(p, "None | ", 7))
        p += 7;
    for (char *q = p; *q; q++) {
        if (!is_ident_char((unsigned char)*q) && *q != '.') {
            vs_unknown(out, afmt(cg, "annotation of %s is not a plain class", pname));
            return;
        }
    }
    struct vset t;
    vs_init(&t);
    eval_expr(cg, &t, scope, p);
    for (uint32_t i = 0; i < t.count; i++) {
        struct val v = t.v[i];
        if (v.kind == V_CLASS) {
            v.kind = V_INSTANCE;
            v.conf = min16(v.conf, 800);
            v.reason = afmt(cg, "receiver typed by annotation of %s", pname);
            vs_add(out, &v);
        } else if (v.kind == V_EXTERNAL) {
            v.conf = min16(v.conf, 800);
            vs_add(out, &v);
        } else {
            vs_unknown(out, afmt(cg, "annotation of %s is not a known class", pname));
        }
    }
}

/* The value of calling the values of `in` (used for x = C(), C().m, f().g). */
static void call_result(struct cg *cg, struct vset *out, const struct vset *in, const char *what)
{
    for (uint32_t i = 0; i < in->count; i++) {
        struct val v = in->v[i];
        switch (v.kind) {
        case V_CLASS:
            v.kind = V_INSTANCE;
            v.conf = min16(v.conf, 900);
            v.reason = "receiver is an instance created in this scope";
            vs_add(out, &v);
            break;
        case V_FUNC: {
            const Pith__Symbol *s = cg->t->syms[v.id].s;
            if (s->returns && s->returns[0]) {
                struct vset t;
                vs_init(&t);
                uint32_t def_scope = scope_parent(cg, v.id);
                eval_annotation(cg, &t, def_scope, s->returns, "the return value");
                for (uint32_t k = 0; k < t.count; k++) {
                    if (t.v[k].kind != V_UNKNOWN)
                        t.v[k].reason = "receiver typed by a return annotation";
                }
                vs_merge(out, &t);
            } else {
                vs_unknown(out, afmt(cg, "result of %s() has unknown type", what));
            }
            break;
        }
        case V_EXTERNAL: {
            /* External classes by convention: CapWords or a builtin type. */
            const char *last = strrchr(v.name, '.');
            last = last ? last + 1 : v.name;
            uint32_t bt = 0;
            int builtin = !strncmp(v.name, "builtins.", 9) &&
                          pith_hashmap_get(&cg->t->builtins, last, strlen(last), &bt) && bt == 2;
            if ((last[0] >= 'A' && last[0] <= 'Z') || builtin) {
                v.conf = min16(v.conf, 800);
                v.reason = "external instance type assumed from the class name";
                vs_add(out, &v);
            } else {
                vs_unknown(out, afmt(cg, "result of external %s() has unknown type", v.name));
            }
            break;
        }
        case V_UNKNOWN:
            vs_add(out, &v);
            break;
        default:
            vs_unknown(out, afmt(cg, "result of %s() has unknown type", what));
            break;
        }
    }
}

static const char *param_name(const Pith__Symbol *s, uint32_t i)
{
    return i < s->n_params ? s->params[i]->name : "?";
}

/* Evaluates one binding to values. */
static void eval_entry_raw(struct cg *cg, struct vset *out, uint32_t idx)
{
    struct nsent e = cg->t->ents.items[idx];
    switch ((enum ekind)e.kind) {
    case E_DEF: {
        struct val v = { .kind = sym_is_class(cg, e.a) ? V_CLASS : V_FUNC,
                         .via = PITH__EDGE_KIND__EDGE_DIRECT,
                         .conf = 1000,
                         .id = e.a };
        vs_add(out, &v);
        break;
    }
    case E_IMPORT_MOD: {
        struct modres mr;
        find_module(cg, &mr, e.s, strlen(e.s));
        if (mr.count == 0) {
            struct val v = { .kind = V_EXTERNAL, .conf = 1000, .name = e.s };
            vs_add(out, &v);
        }
        for (uint32_t i = 0; i < mr.count; i++) {
            struct val v = { .kind = V_MODULE, .conf = 1000, .id = mr.files[i] };
            vs_add(out, &v);
        }
        if (mr.count > 1)
            out->why = afmt(cg, "module %s matches %u files", e.s, mr.count);
        break;
    }
    case E_IMPORT_FROM: {
        if (!e.s) {
            vs_unknown(out, "relative import beyond the top-level package");
            break;
        }
        struct modres mr;
        find_module(cg, &mr, e.s, strlen(e.s));
        if (mr.count == 0) {
            if (e.relative) {
                vs_unknown(out, afmt(cg, "module %s is not in the repository", e.s));
                break;
            }
            struct val v = { .kind = V_EXTERNAL,
                             .conf = 1000,
                             .name = astrcat3(cg, e.s, ".", e.s2, strlen(e.s2)) };
            vs_add(out, &v);
            break;
        }
        for (uint32_t i = 0; i < mr.count; i++) {
            struct vset t;
            vs_init(&t);
            uint32_t f = mr.files[i];
            /* getattr(m, x), else the submodule m.x ("from . import x" in m itself binds the
             * submodule: the lookup meets this very binding) */
            if (!ns_lookup_module(cg, &t, f, e.s2, strlen(e.s2)) || vs_known(&t) == 0) {
                vs_init(&t);
                /* a submodule? */
                const char *sub = astrcat3(cg, cg->t->files[f].ff->module, ".", e.s2, strlen(e.s2));
                struct modres sm;
                find_module(cg, &sm, sub, strlen(sub));
                for (uint32_t k = 0; k < sm.count; k++) {
                    struct val v = { .kind = V_MODULE, .conf = 1000, .id = sm.files[k] };
                    vs_add(&t, &v);
                }
                if (sm.count == 0) {
                    t.count = 0;
                    if (!ns_lookup_module(cg, &t, f, e.s2, strlen(e.s2)) &&
                        !module_star_guess(cg, &t, f, e.s2, strlen(e.s2)))
                        vs_unknown(&t, afmt(cg, "%s not found in module %s", e.s2, e.s));
                }
            }
            for (uint32_t k = 0; k < t.count; k++) {
                if (t.v[k].kind == V_FUNC)
                    t.v[k].via = PITH__EDGE_KIND__EDGE_IMPORT;
            }
            vs_merge(out, &t);
        }
        if (mr.count > 1)
            out->why = afmt(cg, "module %s matches %u files", e.s, mr.count);
        break;
    }
    case E_CALL: {
        struct vset t;
        vs_init(&t);
        eval_expr(cg, &t, e.scope, e.s);
        call_result(cg, out, &t, e.s);
        break;
    }
    case E_NAME:
        eval_expr(cg, out, e.scope, e.s);
        break;
    case E_ANNOT: /* x: T = v (v not a call): an instance of T, as for an annotated parameter */
        eval_annotation(cg, out, e.scope, e.s, e.s2);
        break;
    case E_OTHER:
        vs_unknown(out, afmt(cg, "%s is bound to an expression of unknown type", e.s2));
        break;
    case E_PARAM: {
        const struct asym *fs = &cg->t->syms[e.a];
        const Pith__Symbol *s = fs->s;
        if (e.line == 0 && fs->first_param) {
            struct val v = { .kind = fs->first_param == 2 ? V_CLASS : V_INSTANCE,
                             .via = PITH__EDGE_KIND__EDGE_DIRECT,
                             .conf = 1000,
                             .id = fs->parent };
            vs_add(out, &v);
            break;
        }
        const Pith__Param *p = s->params[e.line];
        if (p->kind == PITH__PARAM__KIND__VAR_POSITIONAL ||
            p->kind == PITH__PARAM__KIND__VAR_KEYWORD) {
            vs_unknown(out, afmt(cg, "%s is a variadic parameter", p->name));
            break;
        }
        if ((!p->annotation || !p->annotation[0]) && p->default_value && p->default_value[0] &&
            strcmp(p->default_value, "None") != 0 && ident_len(p->default_value) > 0) {
            /* def f(x, _w=WHITESPACE.match): the default, unless a caller passes another */
            struct vset t;
            vs_init(&t);
            eval_expr(cg, &t, scope_parent(cg, e.a), p->default_value);
            for (uint32_t k = 0; k < t.count; k++) {
                struct val v = t.v[k];
                if (v.kind != V_UNKNOWN) {
                    v.conf = min16(v.conf, 700);
                    v.reason = afmt(cg, "parameter %s typed by its default value", p->name);
                }
                vs_add(out, &v);
            }
            break;
        }
        if (!p->annotation || !p->annotation[0]) {
            vs_unknown(out, afmt(cg, "parameter %s has no annotation", p->name));
            break;
        }
        eval_annotation(cg, out, scope_parent(cg, e.a), p->annotation, param_name(s, e.line));
        break;
    }
    case E_STAR:
        break;
    }
}

static int on_stack(const struct cg *cg, uint32_t idx)
{
    for (uint32_t i = 0; i < cg->depth; i++) {
        if (cg->stack[i] == idx)
            return 1;
    }
    return 0;
}

/* Evaluates one binding, memoised so that the result never depends on what was evaluated
 * before (nor on which thread did it). A binding's value is a pure function of the binding
 * when its evaluation met no cycle (nothing it needed was already on the stack), no depth
 * limit and no budget limit: only such values are kept, and any thread computing one gets
 * the same. A kept value also records what computing it afresh takes:
 *
 *     height  nested evaluations below and including it     use needs depth + height <= 48
 *     cost    budget units spent (its own 1 + its parts')    use needs budget >= cost
 *
 * Using it charges the same depth and budget as evaluating it again would, and where that
 * would hit a limit it is evaluated again (and cut as before). So every call site resolves
 * exactly as if nothing were memoised: the same for any order of call sites or --jobs. */
static void eval_entry(struct cg *cg, struct vset *out, uint32_t idx)
{
    const struct memo *m = atomic_load_explicit(&cg->t->memo[idx], memory_order_acquire);
    if (m && cg->depth + m->height <= MAX_DEPTH && cg->budget >= m->cost) {
        cg->budget -= m->cost;
        if (cg->depth + m->height > cg->peak)
            cg->peak = cg->depth + m->height;
        for (uint32_t i = 0; i < m->n; i++)
            vs_add(out, &m->v[i]);
        out->overflow |= m->overflow;
        if (!out->why)
            out->why = m->why;
        return;
    }
    if (on_stack(cg, idx) || cg->depth >= MAX_DEPTH || cg->budget == 0) {
        cg->cuts++;
        vs_unknown(out,
                   cg->budget ? "cyclic or too deep binding chain" : "resolution budget exhausted");
        return;
    }
    uint32_t budget0 = cg->budget, cuts = cg->cuts, peak = cg->peak, depth = cg->depth;
    cg->budget--;
    struct vset t;
    vs_init(&t);
    cg->stack[cg->depth++] = idx;
    cg->peak = cg->depth;
    eval_entry_raw(cg, &t, idx);
    cg->depth--;
    if (cg->cuts == cuts && !m) {
        struct memo *nm = pith_arena_alloc(&cg->arena, sizeof *nm + t.count * sizeof *nm->v);
        memcpy(nm->v, t.v, t.count * sizeof *nm->v);
        nm->n = (uint8_t)t.count;
        nm->overflow = (uint8_t)t.overflow;
        nm->why = t.why;
        nm->height = (uint8_t)(cg->peak - depth);
        nm->cost = budget0 - cg->budget;
        struct memo *expect = NULL;
        atomic_compare_exchange_strong_explicit(&cg->t->memo[idx], &expect, nm,
                                                memory_order_release, memory_order_relaxed);
    }
    if (peak > cg->peak)
        cg->peak = peak;
    vs_merge(out, &t);
}

/* Evaluates every binding in the list starting at `head`; sets the ambiguity reason. */
static void eval_list(
    struct cg *cg, struct vset *out, uint32_t head, uint32_t scope, const char *name, size_t len)
{
    uint32_t n = 0, defs = 0;
    for (uint32_t i = head; i; i = cg->t->ents.items[i].next) {
        n++;
        defs += cg->t->ents.items[i].kind == E_DEF;
        eval_entry(cg, out, i);
    }
    if (n > 1 && vs_known(out) > 1) {
        const char *where = "function", *wname;
        uint32_t f = scope_file(cg, scope);
        if (scope & NO_SCOPE || cg->t->syms[scope].s->kind == PITH__SYMBOL_KIND__SYMBOL_MODULE) {
            where = "module";
            wname = cg->t->files[f].ff->module;
        } else {
            wname = cg->t->syms[scope].s->qualname;
            if (sym_is_class(cg, scope))
                where = "class";
        }
        out->why = afmt(cg, "%.*s %s %u times in %s %s", (int)len, name,
                        defs == n ? "defined" : "bound", n, where, wname ? wname : "?");
    }
}

/* Are all bindings of the list being evaluated (x = f(x): the right side means an outer x)?
 * That depends on the stack, so the answer "yes" counts as a cut. */
static int all_busy(struct cg *cg, uint32_t head)
{
    for (uint32_t i = head; i; i = cg->t->ents.items[i].next) {
        if (!on_stack(cg, i))
            return 0;
    }
    cg->cuts++;
    return 1;
}

/* Does module file `f` export `name` to `from f import *`? */
static int star_exports(struct cg *cg, uint32_t f, const char *name, size_t len)
{
    const Pith__FileFacts *ff = cg->t->files[f].ff;
    if (ff->has_all) {
        for (size_t i = 0; i < ff->n_all_names; i++) {
            if (strlen(ff->all_names[i]) == len && !memcmp(ff->all_names[i], name, len))
                return 1;
        }
        return 0;
    }
    return name[0] != '_';
}

/* Names bound by `from m import *` statements of `scope`. Returns 1 if found. */
static int
lookup_star(struct cg *cg, struct vset *out, uint32_t scope, const char *name, size_t len)
{
    uint32_t head = 0, found = 0;
    size_t klen;
    const char *k = mkkey(cg, scope, "", 0, &klen);
    if (!pith_hashmap_get(stars_map(cg, scope), k, klen, &head))
        return 0;
    for (uint32_t i = head; i; i = cg->t->ents.items[i].next) {
        const struct nsent *e = &cg->t->ents.items[i];
        if (!e->s)
            continue;
        if (on_stack(cg, i)) {
            cg->cuts++; /* a star import met again: what it gives depends on the stack */
            continue;
        }
        struct modres mr;
        find_module(cg, &mr, e->s, strlen(e->s));
        for (uint32_t m = 0; m < mr.count; m++) {
            uint32_t f = mr.files[m];
            if (!cg->t->files[f].ok || !star_exports(cg, f, name, len))
                continue;
            if (cg->depth + 1 >= MAX_DEPTH) {
                cg->cuts++;
                continue;
            }
            struct vset t;
            vs_init(&t);
            cg->stack[cg->depth++] = i;
            if (cg->depth + 1 > cg->peak)
                cg->peak = cg->depth + 1; /* a star frame needs one level more than a binding */
            int hit = ns_lookup_module(cg, &t, f, name, len);
            cg->depth--;
            if (hit) {
                for (uint32_t j = 0; j < t.count; j++) {
                    if (t.v[j].kind == V_FUNC)
                        t.v[j].via = PITH__EDGE_KIND__EDGE_IMPORT;
                }
                vs_merge(out, &t);
                found = 1;
            }
        }
    }
    return (int)found;
}

/* Adds `m.name` for every `from m import *` of `scope` whose m is outside the repository:
 * the name may come from there. Returns how many were added. */
static uint32_t
external_star_guess(struct cg *cg, struct vset *out, uint32_t scope, const char *name, size_t len)
{
    uint32_t head = 0, n = 0;
    size_t klen;
    const char *k = mkkey(cg, scope, "", 0, &klen);
    if (!pith_hashmap_get(stars_map(cg, scope), k, klen, &head))
        return 0;
    for (uint32_t i = head; i; i = cg->t->ents.items[i].next) {
        const struct nsent *e = &cg->t->ents.items[i];
        struct modres mr;
        if (!e->s || e->relative)
            continue;
        find_module(cg, &mr, e->s, strlen(e->s));
        if (mr.count)
            continue;
        struct val v = { .kind = V_EXTERNAL,
                         .conf = 600,
                         .guess = 1,
                         .name = astrcat3(cg, e->s, ".", name, len),
                         .reason = afmt(cg, "assumed to come from 'from %s import *'", e->s) };
        vs_add(out, &v);
        n++;
    }
    if (n > 1)
        out->why = afmt(cg, "%.*s may come from %u star imports", (int)len, name, n);
    return n;
}

/* Looks `name` up in the top-level namespace of file `f` (bindings, then star imports).
 * Returns 1 when bound there. */
static int
ns_lookup_module(struct cg *cg, struct vset *out, uint32_t f, const char *name, size_t len)
{
    if (!cg->t->files[f].ok) {
        vs_unknown(out, afmt(cg, "module %s was not analyzed", cg->t->files[f].ff->module));
        return 1;
    }
    uint32_t scope = file_scope(cg, f);
    uint32_t head = map_get(cg, ns_map(cg, scope), scope, name, len);
    if (head) {
        eval_list(cg, out, head, scope, name, len);
        return 1;
    }
    return lookup_star(cg, out, scope, name, len);
}

/* A name missing from module f that may come from its `from <external> import *`. */
static int
module_star_guess(struct cg *cg, struct vset *out, uint32_t f, const char *name, size_t len)
{
    return external_star_guess(cg, out, file_scope(cg, f), name, len) > 0;
}

static void
lookup_name(struct cg *cg, struct vset *out, uint32_t scope, const char *name, size_t len)
{
    uint32_t s = scope;
    uint32_t module_scope = file_scope(cg, scope_file(cg, scope));
    while (s) {
        uint32_t head = map_get(cg, ns_map(cg, s), s, name, len);
        if (head && !all_busy(cg, head)) {
            eval_list(cg, out, head, s, name, len);
            return;
        }
        if (lookup_star(cg, out, s, name, len))
            return;
        if (s == module_scope)
            break;
        /* class bodies are not enclosing scopes of the functions inside them */
        s = scope_parent(cg, s);
        while (s && sym_is_class(cg, s))
            s = scope_parent(cg, s);
    }
    uint32_t bt = 0;
    if (pith_hashmap_get(&cg->t->builtins, name, len, &bt)) {
        struct val v = { .kind = V_EXTERNAL,
                         .conf = 1000,
                         .name = astrcat3(cg, "builtins", ".", name, len) };
        vs_add(out, &v);
        return;
    }
    if (external_star_guess(cg, out, module_scope, name, len))
        return;
    vs_unknown(out, afmt(cg, "name %.*s is not bound in any enclosing scope", (int)len, name));
}

/* The class whose method (or a function nested in it) contains `scope`, or 0. */
static uint32_t enclosing_class(const struct cg *cg, uint32_t scope)
{
    for (uint32_t s = scope; s && !(s & NO_SCOPE); s = cg->t->syms[s].parent) {
        uint32_t p = cg->t->syms[s].parent;
        if (p && sym_is_class(cg, p) && cg->t->syms[s].s->kind != PITH__SYMBOL_KIND__SYMBOL_CLASS)
            return p;
    }
    return 0;
}

/* Attribute `attr` of class `cls` (or of its instances) through the MRO. */
static void class_attr(struct cg *cg,
                       struct vset *out,
                       const struct val *recv,
                       uint32_t cls,
                       const char *attr,
                       size_t len,
                       int skip_first)
{
    uint32_t n = 0;
    const uint32_t *mro = class_mro(cg, cls, &n);
    for (uint32_t i = (uint32_t)skip_first; i < n; i++) {
        uint32_t head = map_get(cg, ns_map(cg, mro[i]), mro[i], attr, len);
        if (!head)
            continue;
        struct vset t;
        vs_init(&t);
        eval_list(cg, &t, head, mro[i], attr, len);
        for (uint32_t k = 0; k < t.count; k++) {
            struct val v = t.v[k];
            if (v.kind == V_FUNC) {
                int own = i == 0 && !skip_first;
                v.via = own ? PITH__EDGE_KIND__EDGE_METHOD : PITH__EDGE_KIND__EDGE_INHERITED;
                v.conf = min16(min16(v.conf, own ? 950 : 900), recv->conf);
                if (recv->conf < (own ? 950 : 900) && recv->reason)
                    v.reason = recv->reason;
            } else if (v.kind != V_UNKNOWN) {
                v.conf = min16(v.conf, recv->conf);
            }
            vs_add(out, &v);
        }
        if (t.why)
            out->why = t.why;
        out->overflow |= t.overflow;
        return;
    }
    /* instance attributes assigned in methods: self.x = ... */
    int found = 0;
    uint32_t sites = 0;
    for (uint32_t i = (uint32_t)skip_first; i < n; i++) {
        uint32_t head = map_get(cg, attrs_map(cg, mro[i]), mro[i], attr, len);
        if (!head)
            continue;
        struct vset t;
        vs_init(&t);
        for (uint32_t e = head; e; e = cg->t->ents.items[e].next, sites++)
            eval_entry(cg, &t, e);
        for (uint32_t k = 0; k < t.count; k++) {
            struct val v = t.v[k];
            if (v.kind != V_UNKNOWN) {
                v.conf = min16(v.conf, recv->conf);
                if (v.kind == V_INSTANCE || v.kind == V_EXTERNAL)
                    v.conf = min16(v.conf, 900);
                v.reason = afmt(cg, "type of self.%.*s from its assignments", (int)len, attr);
            }
            vs_add(out, &v);
        }
        found = 1;
    }
    if (found) {
        if (vs_known(out) > 1)
            out->why = afmt(cg, "self.%.*s is assigned at %u places", (int)len, attr, sites);
        return;
    }
    if (!cg->t->bases_ready) {
        /* phase 1: a base named through another class's bases is not followed */
        vs_unknown(out, "attribute of a class whose bases are not resolved yet");
        return;
    }
    /* external bases come after their class in the MRO, also for super() */
    for (uint32_t i = 0; i < n; i++) {
        const struct asym *c = &cg->t->syms[mro[i]];
        if (c->ext_base) {
            struct val v = { .kind = V_EXTERNAL,
                             .conf = min16(recv->conf, 900),
                             .name = astrcat3(cg, c->ext_base, ".", attr, len),
                             .reason = afmt(cg, "not defined in the repository; inherited from %s",
                                            c->ext_base) };
            vs_add(out, &v);
            return;
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        const struct asym *c = &cg->t->syms[mro[i]];
        if (c->unknown_base) {
            vs_unknown(out, afmt(cg, "base %s of %s is not resolved", c->unknown_base, c->s->name));
            return;
        }
        if (c->cycle_base) {
            vs_unknown(out,
                       afmt(cg, "base %s of %s is in a cycle of bases", c->cycle_base, c->s->name));
            return;
        }
    }
    if (len > 4 && attr[0] == '_' && attr[1] == '_' && attr[len - 1] == '_' &&
        attr[len - 2] == '_') {
        struct val v = { .kind = V_EXTERNAL,
                         .conf = min16(recv->conf, 900),
                         .name = astrcat3(cg, "builtins.object", ".", attr, len) };
        vs_add(out, &v);
        return;
    }
    vs_unknown(out,
               afmt(cg, "%.*s not found on class %s", (int)len, attr, cg->t->syms[cls].s->name));
}

static void
getattr_one(struct cg *cg, struct vset *out, const struct val *v, const char *attr, size_t len)
{
    switch ((enum vkind)v->kind) {
    case V_MODULE: {
        uint32_t f = v->id;
        struct vset t;
        vs_init(&t);
        if (!ns_lookup_module(cg, &t, f, attr, len)) {
            const char *sub = astrcat3(cg, cg->t->files[f].ff->module, ".", attr, len);
            uint32_t sf;
            if (pith_hashmap_get(&cg->t->mod_exact, sub, strlen(sub), &sf)) {
                struct val m = { .kind = V_MODULE, .conf = v->conf, .id = sf - 1 };
                vs_add(&t, &m);
            } else if (!module_star_guess(cg, &t, f, attr, len)) {
                vs_unknown(&t, afmt(cg, "%.*s not found in module %s", (int)len, attr,
                                    cg->t->files[f].ff->module));
            }
        }
        for (uint32_t k = 0; k < t.count; k++) {
            if (t.v[k].kind == V_FUNC)
                t.v[k].via = PITH__EDGE_KIND__EDGE_IMPORT;
            if (t.v[k].kind != V_UNKNOWN)
                t.v[k].conf = min16(t.v[k].conf, v->conf);
        }
        vs_merge(out, &t);
        break;
    }
    case V_EXTERNAL: {
        if (v->guess) {
            /* `x.attr` with x unbound: more likely a loop variable than a star-imported name */
            vs_unknown(out, afmt(cg, "%s is not bound here (loop variable or star import?)",
                                 strrchr(v->name, '.') + 1));
            break;
        }
        uint32_t bt = 0;
        if (!strncmp(v->name, "builtins.", 9) && !strchr(v->name + 9, '.') &&
            pith_hashmap_get(&cg->t->builtins, v->name + 9, strlen(v->name + 9), &bt) && bt == 1) {
            /* len.x: the builtin function is shadowed by a binding we do not see */
            vs_unknown(out, afmt(cg, "attribute of builtin function %s (shadowed?)", v->name + 9));
            break;
        }
        struct val e = *v;
        e.name = astrcat3(cg, v->name, ".", attr, len);
        vs_add(out, &e);
        break;
    }
    case V_CLASS:
        if (len == 9 && !memcmp(attr, "__class__", 9)) {
            vs_unknown(out, "metaclass of a class");
            break;
        }
        class_attr(cg, out, v, v->id, attr, len, 0);
        break;
    case V_INSTANCE:
        if (len == 9 && !memcmp(attr, "__class__", 9)) {
            struct val c = *v;
            c.kind = V_CLASS;
            vs_add(out, &c);
            break;
        }
        class_attr(cg, out, v, v->id, attr, len, 0);
        break;
    case V_SUPER: {
        struct vset t;
        vs_init(&t);
        class_attr(cg, &t, v, v->id, attr, len, 1);
        for (uint32_t k = 0; k < t.count; k++) {
            if (t.v[k].kind == V_FUNC)
                t.v[k].via = PITH__EDGE_KIND__EDGE_INHERITED;
        }
        vs_merge(out, &t);
        break;
    }
    case V_FUNC: {
        const Pith__Symbol *s = cg->t->syms[v->id].s;
        if (is_property(s)) {
            struct vset r, in;
            vs_init(&r);
            vs_init(&in);
            vs_add(&in, v);
            call_result(cg, &r, &in, s->name);
            struct vset t;
            vs_init(&t);
            getattr_set(cg, &t, &r, attr, len);
            vs_merge(out, &t);
            break;
        }
        vs_unknown(out, afmt(cg, "attribute %.*s of function %s", (int)len, attr, s->name));
        break;
    }
    case V_UNKNOWN:
        vs_add(out, v);
        break;
    }
}

static void
getattr_set(struct cg *cg, struct vset *out, const struct vset *in, const char *attr, size_t len)
{
    for (uint32_t i = 0; i < in->count; i++)
        getattr_one(cg, out, &in->v[i], attr, len);
    out->overflow |= in->overflow;
    if (!out->why && vs_known(out) > 1)
        out->why = in->why;
}

/* Evaluates `super(...)`'s argument text (between the parentheses) in `scope`. */
static void
eval_super(struct cg *cg, struct vset *out, uint32_t scope, const char *args, size_t alen)
{
    uint32_t cls = 0;
    if (alen == 0) {
        cls = enclosing_class(cg, scope);
    } else {
        size_t n = 0;
        while (n < alen && args[n] != ',')
            n++;
        while (n && args[n - 1] == ' ')
            n--;
        char *first = pith_arena_strndup(&cg->arena, args, n);
        struct vset t;
        vs_init(&t);
        eval_expr(cg, &t, scope, first);
        if (t.count == 1 && t.v[0].kind == V_CLASS)
            cls = t.v[0].id;
    }
    if (!cls) {
        vs_unknown(out, "class of super() is not known");
        return;
    }
    struct val v = { .kind = V_SUPER, .conf = 1000, .id = cls };
    vs_add(out, &v);
}

/* Evaluates an expression text (a callee or a value): a dotted chain with calls. */
static void eval_expr(struct cg *cg, struct vset *out, uint32_t scope, const char *text)
{
    const char *p = text;
    struct vset cur;
    vs_init(&cur);
    while (*p == ' ')
        p++;
    size_t n = ident_len(p);
    if (n <= 2 && (p[n] == '"' || p[n] == '\'')) /* b"", rb'' */
        n = 0;
    if (n == 0) {
        const char *q = p;
        while (*q == 'b' || *q == 'r' || *q == 'f' || *q == 'u' || *q == 'B' || *q == 'R' ||
               *q == 'F' || *q == 'U')
            q++;
        if ((*q == '"' || *q == '\'') && (p == q || q - p <= 2)) {
            int bytes = memchr(p, 'b', (size_t)(q - p)) || memchr(p, 'B', (size_t)(q - p));
            const char *end = skip_string(q);
            if (end && *end == '.') {
                struct val v = { .kind = V_EXTERNAL,
                                 .conf = 1000,
                                 .name = bytes ? "builtins.bytes" : "builtins.str" };
                vs_add(&cur, &v);
                p = end;
                goto attrs;
            }
        }
        vs_unknown(out, "receiver is an expression");
        return;
    }
    if (n == 5 && !memcmp(p, "super", 5) && p[5] == '(') {
        const char *end = skip_group(p + 5);
        if (!end) {
            vs_unknown(out, "unbalanced expression");
            return;
        }
        eval_super(cg, &cur, scope, p + 6, (size_t)(end - 1 - (p + 6)));
        p = end;
    } else if (n == 4 && !memcmp(p, "type", 4) && p[4] == '(') {
        /* type(x) is x's class when `type` is the builtin */
        const char *end = skip_group(p + 4);
        struct vset t;
        vs_init(&t);
        lookup_name(cg, &t, scope, "type", 4);
        if (!end || t.count != 1 || t.v[0].kind != V_EXTERNAL ||
            strcmp(t.v[0].name, "builtins.type") != 0 ||
            memchr(p + 5, ',', (size_t)(end - p - 5))) {
            vs_unknown(out, "type(...) of an unknown value");
            return;
        }
        struct vset arg;
        vs_init(&arg);
        eval_expr(cg, &arg, scope,
                  pith_arena_strndup(&cg->arena, p + 5, (size_t)(end - 1 - (p + 5))));
        for (uint32_t i = 0; i < arg.count; i++) {
            struct val v = arg.v[i];
            if (v.kind == V_INSTANCE) {
                v.kind = V_CLASS;
                v.conf = min16(v.conf, 950); /* x may be an instance of a subclass */
            } else if (v.kind != V_UNKNOWN)
                v = (struct val){ .kind = V_UNKNOWN,
                                  .reason = "type() of a value that is not an instance" };
            vs_add(&cur, &v);
        }
        p = end;
    } else {
        lookup_name(cg, &cur, scope, p, n);
        p += n;
    }
attrs:
    while (*p) {
        if (vs_known(&cur) == 0)
            break;
        if (*p == ' ') {
            p++;
        } else if (*p == '(') {
            const char *end = skip_group(p);
            struct vset r;
            vs_init(&r);
            call_result(cg, &r, &cur, pith_arena_strndup(&cg->arena, text, (size_t)(p - text)));
            vs_copy(&cur, &r);
            if (!end) {
                vs_unknown(out, "unbalanced expression");
                return;
            }
            p = end;
        } else if (*p == '.') {
            p++;
            while (*p == ' ')
                p++;
            size_t an = ident_len(p);
            if (an == 0) {
                vs_unknown(out, "attribute expected");
                return;
            }
            struct vset r;
            vs_init(&r);
            getattr_set(cg, &r, &cur, p, an);
            vs_copy(&cur, &r);
            p += an;
        } else if (*p == '[') {
            vs_unknown(out, "value of a subscript has unknown type");
            return;
        } else {
            vs_unknown(out, "receiver is an expression");
            return;
        }
    }
    vs_merge(out, &cur);
}

/* ---- classes ------------------------------------------------------------------------------ */

/* Resolves the bases of class `gid` (phase 1: every class's MRO is the class alone). */
static void class_bases(struct cg *cg, uint32_t gid)
{
    struct asym *c = &cg->t->syms[gid];
    const Pith__Symbol *s = c->s;
    c->base_ids = pith_arena_alloc(&cg->arena, (s->n_bases + 1) * sizeof(uint32_t));
    uint32_t scope = scope_parent(cg, gid);
    for (size_t i = 0; i < s->n_bases; i++) {
        const char *b = s->bases[i];
        if (strchr(b, '='))
            continue; /* metaclass=..., keyword arguments */
        char buf[256];
        size_t bl = strcspn(b, "[");
        if (bl >= sizeof buf)
            bl = sizeof buf - 1;
        memcpy(buf, b, bl);
        buf[bl] = '\0';
        struct vset t;
        vs_init(&t);
        cg->depth = 0;
        cg->peak = 0;
        cg->budget = BUDGET;
        eval_expr(cg, &t, scope, buf);
        if (t.count == 1 && t.v[0].kind == V_CLASS && t.v[0].id != gid) {
            c = &cg->t->syms[gid];
            c->base_ids[c->base_count++] = t.v[0].id;
        } else if (t.count == 1 && t.v[0].kind == V_EXTERNAL) {
            c = &cg->t->syms[gid];
            if (strcmp(t.v[0].name, "builtins.object") != 0 && !c->ext_base)
                c->ext_base = t.v[0].name;
        } else {
            c = &cg->t->syms[gid];
            if (!c->unknown_base)
                c->unknown_base = b;
        }
    }
}

/* C3 merge of `lists` (each terminated by its length in lens). Returns 0 on failure. */
static int c3_merge(
    uint32_t *out, uint32_t *out_n, uint32_t cap, uint32_t **lists, uint32_t *lens, uint32_t nl)
{
    uint32_t *pos = pith_xcalloc(nl ? nl : 1, sizeof *pos);
    int ok = 1;
    for (;;) {
        uint32_t cand = 0;
        int any = 0;
        for (uint32_t i = 0; i < nl && !cand; i++) {
            if (pos[i] >= lens[i])
                continue;
            any = 1;
            uint32_t h = lists[i][pos[i]];
            int in_tail = 0;
            for (uint32_t j = 0; j < nl && !in_tail; j++) {
                for (uint32_t k = pos[j] + 1; k < lens[j]; k++) {
                    if (lists[j][k] == h) {
                        in_tail = 1;
                        break;
                    }
                }
            }
            if (!in_tail)
                cand = h;
        }
        if (!any)
            break;
        if (!cand || *out_n >= cap) {
            ok = 0;
            break;
        }
        out[(*out_n)++] = cand;
        for (uint32_t i = 0; i < nl; i++) {
            if (pos[i] < lens[i] && lists[i][pos[i]] == cand)
                pos[i]++;
        }
    }
    free(pos);
    return ok;
}

/* Left-to-right depth-first order without duplicates (when C3 fails); base edges inside a
 * base cycle are not followed. */
static void dfs_mro(const struct cg_tables *t,
                    uint32_t cls,
                    uint32_t *out,
                    uint32_t *n,
                    uint32_t cap,
                    uint32_t depth)
{
    for (uint32_t i = 0; i < *n; i++) {
        if (out[i] == cls)
            return;
    }
    if (*n >= cap || depth > 64)
        return;
    out[(*n)++] = cls;
    const struct asym *c = &t->syms[cls];
    for (uint32_t i = 0; i < c->base_count; i++) {
        if (t->syms[c->base_ids[i]].scc != c->scc)
            dfs_mro(t, c->base_ids[i], out, n, cap, depth + 1);
    }
}

/* The MRO of class `cls` (computed in phase 1). */
static const uint32_t *class_mro(const struct cg *cg, uint32_t cls, uint32_t *count)
{
    *count = cg->t->syms[cls].mro_count;
    return cg->t->syms[cls].mro;
}

/* Tarjan's strongly connected components of the base graph, without recursion: classes in id
 * order, bases in order. Numbers each class's component (asym.scc) and appends the classes to
 * `order` so that every class comes after the classes its bases reach outside its component. */
static void class_sccs(struct cg_tables *t, uint32_t *order, uint32_t *n_order)
{
    uint32_t n = t->sym_count;
    uint32_t *index = pith_xcalloc(n + 1, sizeof *index);
    uint32_t *low = pith_xcalloc(n + 1, sizeof *low);
    uint32_t *stk = pith_xcalloc(n + 1, sizeof *stk);
    uint32_t *frame = pith_xcalloc(n + 1, sizeof *frame);
    uint32_t *edge = pith_xcalloc(n + 1, sizeof *edge);
    uint8_t *on = pith_xcalloc(n + 1, 1);
    uint32_t next = 1, sp = 0, scc = 0;
    for (uint32_t v0 = 1; v0 <= n; v0++) {
        if (t->syms[v0].s->kind != PITH__SYMBOL_KIND__SYMBOL_CLASS || index[v0])
            continue;
        uint32_t fp = 0;
        frame[fp] = v0;
        edge[fp++] = 0;
        index[v0] = low[v0] = next++;
        stk[sp++] = v0;
        on[v0] = 1;
        while (fp) {
            uint32_t v = frame[fp - 1];
            if (edge[fp - 1] < t->syms[v].base_count) {
                uint32_t w = t->syms[v].base_ids[edge[fp - 1]++];
                if (!index[w]) {
                    frame[fp] = w;
                    edge[fp++] = 0;
                    index[w] = low[w] = next++;
                    stk[sp++] = w;
                    on[w] = 1;
                } else if (on[w] && index[w] < low[v]) {
                    low[v] = index[w];
                }
                continue;
            }
            if (low[v] == index[v]) {
                scc++;
                uint32_t w;
                do {
                    w = stk[--sp];
                    on[w] = 0;
                    t->syms[w].scc = scc;
                    order[(*n_order)++] = w;
                } while (w != v);
            }
            fp--;
            if (fp && low[v] < low[frame[fp - 1]])
                low[frame[fp - 1]] = low[v];
        }
    }
    free(index);
    free(low);
    free(stk);
    free(frame);
    free(edge);
    free(on);
}

/* C3 linearisation of `cls` from its bases' MROs (all computed), leaving out the bases in the
 * class's own base cycle. */
static void class_linearise(struct cg *cg, uint32_t cls)
{
    struct asym *c = &cg->t->syms[cls];
    uint32_t nb = 0;
    uint32_t **lists = pith_xcalloc(c->base_count + 1, sizeof *lists);
    uint32_t *lens = pith_xcalloc(c->base_count + 1, sizeof *lens);
    uint32_t *direct = pith_xcalloc(c->base_count + 1, sizeof *direct);
    uint32_t total = 1;
    for (uint32_t i = 0; i < c->base_count; i++) {
        const struct asym *b = &cg->t->syms[c->base_ids[i]];
        if (b->scc == c->scc) {
            if (!c->cycle_base)
                c->cycle_base = b->s->name;
            continue;
        }
        lists[nb] = b->mro;
        lens[nb] = b->mro_count;
        total += b->mro_count;
        direct[nb++] = c->base_ids[i];
    }
    lists[nb] = direct;
    lens[nb] = nb;
    uint32_t *out = pith_arena_alloc(&cg->arena, (total + 1) * sizeof *out);
    uint32_t n = 1;
    out[0] = cls;
    if (!c3_merge(out, &n, total, lists, lens, nb + 1)) {
        n = 0;
        dfs_mro(cg->t, cls, out, &n, total, 0);
    }
    free(lists);
    free(lens);
    free(direct);
    c->mro = out;
    c->mro_count = n;
}

/* Phase 1: the bases of every class, then every MRO, before any call is resolved. Bases are
 * evaluated while each MRO is the class alone and no class's external or unknown bases are
 * known (bases_ready = 0), so no base depends on which class was done first; the memos of
 * this phase are dropped. Classes in a base cycle leave the bases in that cycle out of their
 * MROs (cycle_base says which), whichever class of the cycle one starts from. */
static void resolve_classes(struct cg *cg)
{
    struct cg_tables *t = cg->t;
    uint32_t *order = pith_xcalloc(t->sym_count + 1, sizeof *order);
    uint32_t n_order = 0;
    t->bases_ready = 0;
    for (uint32_t gid = 1; gid <= t->sym_count; gid++) {
        if (!sym_is_class(cg, gid))
            continue;
        struct asym *c = &t->syms[gid];
        c->mro = pith_arena_alloc(&cg->arena, sizeof *c->mro);
        c->mro[0] = gid;
        c->mro_count = 1;
    }
    for (uint32_t gid = 1; gid <= t->sym_count; gid++) {
        if (sym_is_class(cg, gid))
            class_bases(cg, gid);
    }
    t->bases_ready = 1;
    for (size_t i = 0; i < t->ents.count; i++)
        atomic_store_explicit(&t->memo[i], NULL, memory_order_relaxed);
    class_sccs(t, order, &n_order);
    for (uint32_t i = 0; i < n_order; i++)
        class_linearise(cg, order[i]);
    free(order);
}

/* ---- building the tables ------------------------------------------------------------------ */

static int cmp_files(const void *a, const void *b)
{
    const Pith__FileFacts *x = *(Pith__FileFacts *const *)a, *y = *(Pith__FileFacts *const *)b;
    return strcmp(x->path ? x->path : "", y->path ? y->path : "");
}

/* Absolute module of a (possibly relative) import in file f; NULL if it climbs too high. */
static const char *import_target(struct cg *cg, uint32_t f, const Pith__Import *im)
{
    const char *mod = im->module ? im->module : "";
    if (im->level == 0)
        return mod;
    const char *pkg = cg->t->files[f].pkg;
    size_t plen = strlen(pkg);
    if (plen == 0)
        return NULL; /* a top-level module has no package */
    for (uint32_t up = 1; up < im->level; up++) {
        while (plen && pkg[plen - 1] != '.')
            plen--;
        if (plen == 0)
            return NULL;
        plen--; /* the dot */
    }
    if (!mod[0])
        return pith_arena_strndup(&cg->arena, pkg, plen);
    char *base = pith_arena_strndup(&cg->arena, pkg, plen);
    return astrcat3(cg, base, ".", mod, strlen(mod));
}

static void add_suffixes(struct cg *cg, uint32_t f, const struct pith_hashmap *dirs_pkg)
{
    const char *m = cg->t->files[f].ff->module;
    const char *path = cg->t->files[f].ff->path;
    if (!m || !m[0])
        return;
    for (const char *p = strchr(m, '.'); p; p = strchr(p + 1, '.')) {
        const char *suf = p + 1;
        int components = 1;
        for (const char *q = suf; *q; q++)
            components += *q == '.';
        if (components < 2) {
            /* single names only where the folder above is not a package (a sys.path root) */
            const char *slash = strrchr(path, '/');
            if (cg->t->files[f].ff->is_package && slash) {
                const char *s2 = slash;
                while (s2 > path && s2[-1] != '/')
                    s2--;
                slash = s2 > path ? s2 - 1 : NULL;
            }
            uint32_t dummy;
            if (slash && pith_hashmap_get(dirs_pkg, path, (size_t)(slash - path), &dummy))
                continue;
        }
        struct modlink l = { .file = f, .next = 0 };
        uint32_t head = 0;
        if (cg->t->links.count == 0)
            pith_vec_push(&cg->t->links, (struct modlink){ 0 });
        pith_vec_push(&cg->t->links, l);
        uint32_t idx = (uint32_t)cg->t->links.count - 1;
        if (pith_hashmap_get(&cg->t->mod_suffix, suf, strlen(suf), &head)) {
            cg->t->links.items[idx].next = cg->t->links.items[head].next;
            cg->t->links.items[head].next = idx;
        } else {
            pith_hashmap_put(&cg->t->mod_suffix, suf, strlen(suf), idx);
        }
    }
}

/* Builtins and the module maps; sizes every file's slots in ents. */
static void build_tables(struct cg *cg)
{
    struct pith_hashmap dirs_pkg; /* folders holding an __init__.py */
    pith_hashmap_init(&dirs_pkg);
    for (size_t i = 0; i < sizeof builtin_types / sizeof *builtin_types; i++)
        pith_hashmap_put(&cg->t->builtins, builtin_types[i], strlen(builtin_types[i]), 2);
    for (size_t i = 0; i < sizeof builtin_funcs / sizeof *builtin_funcs; i++)
        pith_hashmap_put(&cg->t->builtins, builtin_funcs[i], strlen(builtin_funcs[i]), 1);

    for (uint32_t f = 0; f < cg->t->file_count; f++) {
        const Pith__FileFacts *ff = cg->t->files[f].ff;
        const char *m = ff->module ? ff->module : "";
        if (ff->is_package) {
            const char *slash = strrchr(ff->path, '/');
            if (slash)
                pith_hashmap_put(&dirs_pkg, ff->path, (size_t)(slash - ff->path), 1);
        }
        if (m[0]) {
            uint32_t prev;
            /* a package wins over a same-named module file */
            if (!pith_hashmap_get(&cg->t->mod_exact, m, strlen(m), &prev) || ff->is_package)
                pith_hashmap_put(&cg->t->mod_exact, m, strlen(m), f + 1);
        }
        const char *dot = strrchr(m, '.');
        cg->t->files[f].pkg = ff->is_package ? m
                              : dot          ? pith_arena_strndup(&cg->arena, m, (size_t)(dot - m))
                                             : "";
    }
    for (uint32_t f = 0; f < cg->t->file_count; f++)
        add_suffixes(cg, f, &dirs_pkg);
    pith_hashmap_release(&dirs_pkg);

    /* slots for each file's bindings: defs, parameters, imports, assignments */
    uint32_t n = 1;
    for (uint32_t f = 0; f < cg->t->file_count; f++) {
        struct afile *af = &cg->t->files[f];
        const Pith__FileFacts *ff = af->ff;
        af->ent_base = n;
        n += (uint32_t)(ff->n_symbols + ff->n_imports + ff->n_bindings);
        for (size_t i = 0; i < ff->n_symbols; i++)
            n += (uint32_t)ff->symbols[i]->n_params;
        af->ent_end = n;
        pith_hashmap_init(&af->ns);
        pith_hashmap_init(&af->attrs);
        pith_hashmap_init(&af->stars);
    }
    cg->t->ents.items = pith_xcalloc(n, sizeof *cg->t->ents.items);
    cg->t->ents.count = cg->t->ents.cap = n;
}

/* The namespaces of file f (on any thread: it writes only f's maps and slots). */
static void build_file_tables(struct cg *cg, uint32_t f)
{
    struct afile *af = &cg->t->files[f];
    const Pith__FileFacts *ff = af->ff;
    cg->ent_next = af->ent_base;
    cg->ent_end = af->ent_end;
    for (size_t i = 0; i < ff->n_symbols; i++) {
        uint32_t gid = af->base + (uint32_t)i + 1;
        const Pith__Symbol *s = ff->symbols[i];
        if (s->kind == PITH__SYMBOL_KIND__SYMBOL_MODULE)
            continue;
        uint32_t parent = cg->t->syms[gid].parent ? cg->t->syms[gid].parent : file_scope(cg, f);
        struct nsent e = { .kind = E_DEF, .scope = parent, .a = gid, .line = s->start_line };
        if (s->kind != PITH__SYMBOL_KIND__SYMBOL_LAMBDA)
            map_add(cg, ns_map(cg, parent), parent, s->name, strlen(s->name), &e);
        /* parameters */
        int method =
            sym_is_class(cg, cg->t->syms[gid].parent) && s->kind != PITH__SYMBOL_KIND__SYMBOL_CLASS;
        if (method && s->n_params > 0 && !has_decorator(s, "staticmethod") &&
            s->params[0]->kind != PITH__PARAM__KIND__VAR_POSITIONAL) {
            int cls = has_decorator(s, "classmethod") || !strcmp(s->name, "__new__") ||
                      !strcmp(s->name, "__init_subclass__") ||
                      !strcmp(s->name, "__class_getitem__");
            cg->t->syms[gid].first_param = cls ? 2 : 1;
        }
        if (s->kind != PITH__SYMBOL_KIND__SYMBOL_CLASS) {
            for (size_t k = 0; k < s->n_params; k++) {
                const char *pn = s->params[k]->name;
                struct nsent pe = { .kind = E_PARAM, .scope = gid, .a = gid, .line = (uint32_t)k };
                if (pn && pn[0])
                    map_add(cg, ns_map(cg, gid), gid, pn, strlen(pn), &pe);
            }
        }
    }
    for (size_t i = 0; i < ff->n_imports; i++) {
        const Pith__Import *im = ff->imports[i];
        uint32_t scope = gid_of(cg, f, im->scope);
        const char *target = import_target(cg, f, im);
        struct nsent e = {
            .scope = scope, .s = target, .relative = im->level > 0, .line = im->line
        };
        if (im->is_star) {
            e.kind = E_STAR;
            size_t klen;
            const char *k = mkkey(cg, scope, "", 0, &klen);
            uint32_t head = 0;
            uint32_t idx = new_entry(cg, &e);
            if (pith_hashmap_get(stars_map(cg, scope), k, klen, &head)) {
                cg->t->ents.items[idx].next = cg->t->ents.items[head].next;
                cg->t->ents.items[head].next = idx;
            } else {
                char *copy = pith_arena_alloc(&cg->arena, klen);
                memcpy(copy, k, klen);
                pith_hashmap_put(stars_map(cg, scope), copy, klen, idx);
            }
            continue;
        }
        const char *alias = im->alias && im->alias[0] ? im->alias : NULL;
        if (!im->name || !im->name[0]) {
            /* import a.b [as c] */
            if (!target || !target[0])
                continue;
            e.kind = E_IMPORT_MOD;
            if (alias) {
                map_add(cg, ns_map(cg, scope), scope, alias, strlen(alias), &e);
            } else {
                size_t first = strcspn(target, ".");
                e.s = pith_arena_strndup(&cg->arena, target, first);
                map_add(cg, ns_map(cg, scope), scope, target, first, &e);
            }
        } else {
            e.kind = E_IMPORT_FROM;
            e.s2 = im->name;
            const char *bound = alias ? alias : im->name;
            map_add(cg, ns_map(cg, scope), scope, bound, strlen(bound), &e);
        }
    }
    for (size_t i = 0; i < ff->n_bindings; i++) {
        const Pith__Binding *b = ff->bindings[i];
        if (b->kind == PITH__BINDING__KIND__DEF || !b->target || !b->target[0])
            continue;
        uint32_t scope = gid_of(cg, f, b->scope);
        struct nsent e = { .scope = scope, .s = b->value, .s2 = b->target, .line = b->line };
        switch (b->kind) {
        case PITH__BINDING__KIND__CALL:
            e.kind = E_CALL;
            break;
        case PITH__BINDING__KIND__NAME:
            e.kind = E_NAME;
            break;
        case PITH__BINDING__KIND__ANNOTATION:
            e.kind = E_ANNOT;
            break;
        default:
            e.kind = E_OTHER;
            break;
        }
        if ((e.kind == E_CALL || e.kind == E_NAME || e.kind == E_ANNOT) &&
            (!b->value || !b->value[0]))
            e.kind = E_OTHER;
        const char *dot = strchr(b->target, '.');
        if (!dot) {
            map_add(cg, ns_map(cg, scope), scope, b->target, strlen(b->target), &e);
            continue;
        }
        /* self.x / cls.x in a method (or a function nested in one) */
        const char *attr = dot + 1;
        if (strchr(attr, '.') || scope & NO_SCOPE)
            continue;
        uint32_t cls = enclosing_class(cg, scope);
        if (cls)
            map_add(cg, attrs_map(cg, cls), cls, attr, strlen(attr), &e);
    }
}

/* ---- edges -------------------------------------------------------------------------------- */

struct target {
    uint8_t kind;
    uint32_t callee;
    uint32_t conf;
    const char *name;
    const char *reason;
};

static void add_target(struct target *ts, uint32_t *n, const struct target *t)
{
    for (uint32_t i = 0; i < *n; i++) {
        if (ts[i].kind == t->kind && ts[i].callee == t->callee &&
            (t->callee || strcmp(ts[i].name, t->name) == 0))
            return;
    }
    if (*n < MAXC)
        ts[(*n)++] = *t;
}

static void resolve_call(struct cg *cg, uint32_t caller, const Pith__CallSite *cs)
{
    struct vset vs;
    vs_init(&vs);
    const char *text = cs->callee ? cs->callee : "";
    cg->depth = 0;
    cg->peak = 0;
    cg->budget = BUDGET;
    eval_expr(cg, &vs, caller, text);
    struct target ts[MAXC];
    uint32_t nt = 0, unknown = 0;
    const char *unknown_reason = NULL;
    for (uint32_t i = 0; i < vs.count; i++) {
        const struct val *v = &vs.v[i];
        struct target t = { .conf = v->conf, .name = text, .reason = v->reason };
        switch ((enum vkind)v->kind) {
        case V_FUNC: {
            t.kind = v->via ? v->via : PITH__EDGE_KIND__EDGE_DIRECT;
            t.callee = v->id;
            const char *d = nontrivial_decorator(cg->t->syms[v->id].s);
            if (d) {
                t.conf = t.conf * 9 / 10;
                t.reason = afmt(cg, "decorated by @%s", d);
            }
            add_target(ts, &nt, &t);
            break;
        }
        case V_CLASS: {
            struct vset init;
            vs_init(&init);
            uint32_t n = 0;
            const uint32_t *mro = class_mro(cg, v->id, &n);
            t.kind = PITH__EDGE_KIND__EDGE_CONSTRUCTOR;
            t.callee = v->id;
            for (uint32_t k = 0; k < n; k++) {
                uint32_t head = map_get(cg, ns_map(cg, mro[k]), mro[k], "__init__", 8);
                if (!head)
                    continue;
                eval_list(cg, &init, head, mro[k], "__init__", 8);
                if (init.count == 1 && init.v[0].kind == V_FUNC)
                    t.callee = init.v[0].id;
                break;
            }
            add_target(ts, &nt, &t);
            break;
        }
        case V_EXTERNAL:
            t.kind = PITH__EDGE_KIND__EDGE_EXTERNAL;
            t.name = v->name;
            add_target(ts, &nt, &t);
            break;
        case V_INSTANCE: {
            struct vset c;
            vs_init(&c);
            struct val r = *v;
            class_attr(cg, &c, &r, v->id, "__call__", 8, 0);
            if (c.count == 1 && c.v[0].kind == V_FUNC) {
                t.kind = c.v[0].via;
                t.callee = c.v[0].id;
                t.conf = c.v[0].conf;
                add_target(ts, &nt, &t);
            } else {
                unknown++;
                unknown_reason = afmt(cg, "instance of %s is called", cg->t->syms[v->id].s->name);
            }
            break;
        }
        case V_MODULE:
            unknown++;
            unknown_reason = "a module is called";
            break;
        case V_SUPER:
            unknown++;
            unknown_reason = "super object is called";
            break;
        case V_UNKNOWN:
            unknown++;
            if (!unknown_reason)
                unknown_reason = v->reason;
            break;
        }
    }
    Pith__Edge e;
    pith__edge__init(&e);
    e.caller = caller;
    e.line = cs->line;
    e.col = cs->col;
    if (vs.overflow) {
        nt = 0;
        unknown_reason = afmt(cg, "more than %d candidates", MAXC);
    }
    if (nt == 0) {
        e.kind = PITH__EDGE_KIND__EDGE_UNRESOLVED;
        e.callee_name = (char *)text;
        e.reason = (char *)(unknown_reason ? unknown_reason : "target unknown");
        pith_vec_push(&cg->edges, e);
        return;
    }
    for (uint32_t i = 0; i < nt; i++) {
        e.callee = ts[i].callee;
        e.callee_name = (char *)ts[i].name;
        if (nt == 1) {
            e.kind = ts[i].kind;
            e.confidence = ts[i].conf;
            e.reason = (char *)(ts[i].reason ? ts[i].reason : "");
            if (unknown) {
                e.confidence = e.confidence * 8 / 10;
                e.reason = (char *)afmt(cg, "other bindings unknown (%s)",
                                        unknown_reason ? unknown_reason : "?");
            }
        } else {
            e.kind = PITH__EDGE_KIND__EDGE_AMBIGUOUS;
            e.confidence = 1000 / nt;
            e.reason = (char *)(vs.why ? afmt(cg, "%u candidates: %s", nt, vs.why)
                                       : afmt(cg, "%u candidates", nt));
        }
        pith_vec_push(&cg->edges, e);
    }
}

int analyze_edge_cmp(const Pith__Edge *x, const Pith__Edge *y)
{
    if (x->caller != y->caller)
        return x->caller < y->caller ? -1 : 1;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    if (x->callee != y->callee)
        return x->callee < y->callee ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    int c = strcmp(x->callee_name, y->callee_name);
    if (c)
        return c;
    /* a total order, so that sorting parts and merging gives the same as sorting the whole */
    if (x->confidence != y->confidence)
        return x->confidence < y->confidence ? -1 : 1;
    return strcmp(x->reason, y->reason);
}

static int cmp_edges(const void *a, const void *b)
{
    return analyze_edge_cmp(a, b);
}

/* ---- public ------------------------------------------------------------------------------- */

struct analyze_graph_store {
    struct cg_tables t;
    struct cg *cgs; /* [ncg]; cgs[0] also built the tables */
    int ncg;
    Pith__FileFacts **sorted;
    Pith__GFile *files;
    Pith__GFile **file_ptrs;
    Pith__GSymbol *syms;
    Pith__GSymbol **sym_ptrs;
    Pith__Edge **edge_ptrs; /* [edge_count] into the threads' edge vectors, sorted */
    size_t edge_count;
};

/* The graph symbols of file f (on any thread). */
static void graph_symbols(struct analyze_graph_store *st, struct cg *cg, uint32_t f)
{
    const struct cg_tables *t = cg->t;
    const struct afile *af = &t->files[f];
    for (uint32_t gid = af->base + 1; gid <= af->base + af->ff->n_symbols; gid++) {
        const struct asym *a = &t->syms[gid];
        const Pith__Symbol *s = a->s;
        Pith__GSymbol *gs = &st->syms[gid - 1];
        pith__gsymbol__init(gs);
        gs->kind = s->kind;
        gs->name = s->name;
        const char *path = af->ff->path;
        gs->qualname = s->qualname && s->qualname[0]
                           ? astrcat3(cg, path, ":", s->qualname, strlen(s->qualname))
                           : (char *)path;
        gs->file = a->file + 1;
        gs->parent = a->parent;
        gs->start_line = s->start_line;
        gs->start_col = s->start_col;
        gs->end_line = s->end_line;
        gs->end_col = s->end_col;
        gs->signature = s->signature;
        gs->n_params = s->n_params;
        gs->params = s->params;
        gs->returns = s->returns;
        gs->n_decorators = s->n_decorators;
        gs->decorators = s->decorators;
        gs->docstring = s->docstring;
        gs->n_bases = s->n_bases;
        gs->bases = s->bases;
        gs->comments = s->comments;
        gs->is_async = s->is_async;
        st->sym_ptrs[gid - 1] = gs;
    }
}

/* Work per file on --jobs threads: each thread claims files by a counter and runs `fn` on them
 * with its own context. Call sites: file f's edges are cgs[f_thread].edges.items[f_start ..
 * f_start + f_count], concatenated in file order afterwards, so the result does not depend on
 * the threads. */
struct file_job {
    struct analyze_graph_store *st;
    struct cg *cgs;
    void (*fn)(struct cg *cg, struct file_job *job, uint32_t f);
    uint32_t *f_thread, *f_start, *f_count;
    atomic_uint next;
};

struct file_arg {
    struct file_job *job;
    uint32_t self;
};

static void *file_worker(void *arg)
{
    struct file_arg *fa = arg;
    struct file_job *job = fa->job;
    struct cg *cg = &job->cgs[fa->self];
    for (;;) {
        uint32_t f = atomic_fetch_add(&job->next, 1);
        if (f >= cg->t->file_count)
            break;
        if (job->f_thread)
            job->f_thread[f] = fa->self;
        job->fn(cg, job, f);
    }
    return NULL;
}

static void run_files(struct cg *cgs, int jobs, struct file_job *job)
{
    struct file_arg *args = pith_xcalloc((size_t)jobs, sizeof *args);
    pthread_t *tids = pith_xcalloc((size_t)jobs, sizeof *tids);
    int started = 1;
    job->cgs = cgs;
    atomic_init(&job->next, 0);
    for (int i = 0; i < jobs; i++)
        args[i] = (struct file_arg){ .job = job, .self = (uint32_t)i };
    for (int i = 1; i < jobs; i++) {
        if (pthread_create(&tids[i], NULL, file_worker, &args[i]) != 0)
            break; /* fewer threads: the same result */
        started++;
    }
    file_worker(&args[0]);
    for (int i = 1; i < started; i++)
        pthread_join(tids[i], NULL);
    free(args);
    free(tids);
}

static void tables_fn(struct cg *cg, struct file_job *job, uint32_t f)
{
    build_file_tables(cg, f);
    graph_symbols(job->st, cg, f);
}

static void calls_fn(struct cg *cg, struct file_job *job, uint32_t f)
{
    const struct afile *af = &cg->t->files[f];
    job->f_start[f] = (uint32_t)cg->edges.count;
    if (af->ok) {
        for (size_t i = 0; i < af->ff->n_calls; i++) {
            const Pith__CallSite *cs = af->ff->calls[i];
            resolve_call(cg, gid_of(cg, f, cs->caller), cs);
        }
    }
    job->f_count[f] = (uint32_t)(cg->edges.count - job->f_start[f]);
    if (job->f_count[f] > 1)
        qsort(cg->edges.items + job->f_start[f], job->f_count[f], sizeof *cg->edges.items,
              cmp_edges);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void cg_init(struct cg *cg, struct cg_tables *t)
{
    cg->t = t;
    pith_arena_init(&cg->arena);
    pith_buf_init(&cg->key);
}

static void resolve_calls(struct analyze_graph_store *st)
{
    struct cg_tables *t = &st->t;
    size_t nf = t->file_count;
    struct file_job job = { .fn = calls_fn };
    job.f_thread = pith_xcalloc(nf + 1, sizeof *job.f_thread);
    job.f_start = pith_xcalloc(nf + 1, sizeof *job.f_start);
    job.f_count = pith_xcalloc(nf + 1, sizeof *job.f_count);
    run_files(st->cgs, st->ncg, &job);
    size_t total = 0;
    for (size_t f = 0; f < nf; f++)
        total += job.f_count[f];
    /* Each file's edges are sorted, and its callers' ids lie above the previous files' (ids
     * follow file order), except module scopes without a symbol (NO_SCOPE | f), which sort
     * last: so the sorted whole is every file's run of symbol callers, then every file's run
     * of NO_SCOPE callers. */
    st->edge_ptrs = pith_xcalloc(total ? total : 1, sizeof *st->edge_ptrs);
    size_t n_out = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t f = 0; f < nf; f++) {
            Pith__Edge *e = st->cgs[job.f_thread[f]].edges.items + job.f_start[f];
            uint32_t n = job.f_count[f], k = 0;
            while (k < n && !(e[k].caller & NO_SCOPE))
                k++;
            for (uint32_t i = pass ? k : 0; i < (pass ? n : k); i++)
                st->edge_ptrs[n_out++] = &e[i];
        }
    }
    st->edge_count = n_out;
    free(job.f_thread);
    free(job.f_start);
    free(job.f_count);
}

void analyze_graph_build(struct analyze_graph **out,
                         Pith__FileFacts *const *facts,
                         size_t count,
                         const char *repo_root,
                         int jobs)
{
    double t0 = now_s(), t1, t2, t3;
    struct analyze_graph *g = pith_xcalloc(1, sizeof *g);
    struct analyze_graph_store *st = pith_xcalloc(1, sizeof *st);
    struct cg_tables *t = &st->t;
    g->store = st;
    if (jobs < 1)
        jobs = 1;
    if ((size_t)jobs > count)
        jobs = count ? (int)count : 1;
    if (jobs > 256)
        jobs = 256;
    st->ncg = jobs;
    st->cgs = pith_xcalloc((size_t)jobs, sizeof *st->cgs);
    for (int i = 0; i < jobs; i++)
        cg_init(&st->cgs[i], t);
    struct cg *cg = &st->cgs[0];
    pith_hashmap_init(&t->mod_exact);
    pith_hashmap_init(&t->mod_suffix);
    pith_hashmap_init(&t->builtins);

    st->sorted = pith_xmalloc((count ? count : 1) * sizeof *st->sorted);
    memcpy(st->sorted, facts, count * sizeof *facts);
    qsort(st->sorted, count, sizeof *st->sorted, cmp_files);

    t->file_count = count;
    t->files = pith_xcalloc(count ? count : 1, sizeof *t->files);
    uint32_t total = 0;
    for (size_t f = 0; f < count; f++) {
        t->files[f].ff = st->sorted[f];
        t->files[f].base = total;
        t->files[f].ok = st->sorted[f]->status == PITH__FILE_STATUS__FILE_OK;
        total += (uint32_t)st->sorted[f]->n_symbols;
    }
    t->sym_count = total;
    t->syms = pith_xcalloc(total + 1, sizeof *t->syms);
    for (uint32_t f = 0; f < count; f++) {
        struct afile *af = &t->files[f];
        for (size_t i = 0; i < af->ff->n_symbols; i++) {
            uint32_t gid = af->base + (uint32_t)i + 1;
            Pith__Symbol *s = af->ff->symbols[i];
            t->syms[gid].s = s;
            t->syms[gid].file = f;
            if (s->kind == PITH__SYMBOL_KIND__SYMBOL_MODULE && !af->mod_gid)
                af->mod_gid = gid;
        }
        for (size_t i = 0; i < af->ff->n_symbols; i++) {
            uint32_t gid = af->base + (uint32_t)i + 1;
            uint32_t p = af->ff->symbols[i]->parent;
            t->syms[gid].parent = p && p <= af->ff->n_symbols && p != i + 1 ? af->base + p : 0;
        }
    }
    build_tables(cg);
    st->syms = pith_xcalloc(total + 1, sizeof *st->syms);
    st->sym_ptrs = pith_xcalloc(total + 1, sizeof *st->sym_ptrs);
    struct file_job tjob = { .st = st, .fn = tables_fn };
    run_files(st->cgs, st->ncg, &tjob);
    size_t ne = t->ents.count ? t->ents.count : 1;
    t->memo = pith_xmalloc(ne * sizeof *t->memo);
    for (size_t i = 0; i < ne; i++)
        atomic_init(&t->memo[i], NULL);

    t1 = now_s();
    resolve_classes(cg);
    t2 = now_s();
    resolve_calls(st);
    t3 = now_s();
#ifndef NDEBUG
    for (size_t i = 1; i < st->edge_count; i++)
        assert(cmp_edges(st->edge_ptrs[i - 1], st->edge_ptrs[i]) <= 0);
#endif

    /* graph */
    Pith__Graph *gr = &g->graph;
    pith__graph__init(gr);
    gr->repo_root = (char *)(repo_root ? pith_arena_strdup(&cg->arena, repo_root) : "");
    st->files = pith_xcalloc(count ? count : 1, sizeof *st->files);
    st->file_ptrs = pith_xcalloc(count ? count : 1, sizeof *st->file_ptrs);
    for (size_t f = 0; f < count; f++) {
        const Pith__FileFacts *ff = st->sorted[f];
        Pith__GFile *gf = &st->files[f];
        pith__gfile__init(gf);
        gf->path = ff->path;
        gf->language = ff->language;
        gf->content_hash = ff->content_hash;
        gf->size = ff->size;
        gf->line_count = ff->line_count;
        gf->status = ff->status;
        gf->skip_reason = ff->skip_reason;
        gf->module = ff->module;
        st->file_ptrs[f] = gf;
    }
    gr->n_files = count;
    gr->files = st->file_ptrs;
    for (uint32_t gid = 1; gid <= total; gid++) {
        if (t->syms[gid].s->kind == PITH__SYMBOL_KIND__SYMBOL_CLASS) {
            st->syms[gid - 1].n_base_ids = t->syms[gid].base_count;
            st->syms[gid - 1].base_ids = t->syms[gid].base_ids;
        }
    }
    gr->n_symbols = total;
    gr->symbols = st->sym_ptrs;
    gr->n_edges = st->edge_count;
    gr->edges = st->edge_ptrs;
    g->phase_s[0] = t1 - t0;
    g->phase_s[1] = t2 - t1;
    g->phase_s[2] = t3 - t2;
    g->phase_s[3] = now_s() - t3;
    *out = g;
}

void analyze_graph_free(struct analyze_graph *g)
{
    if (!g)
        return;
    struct analyze_graph_store *st = g->store;
    struct cg_tables *t = &st->t;
    pith_hashmap_release(&t->mod_exact);
    pith_hashmap_release(&t->mod_suffix);
    pith_hashmap_release(&t->builtins);
    pith_vec_release(&t->links);
    pith_vec_release(&t->ents);
    free(t->memo);
    for (size_t f = 0; f < t->file_count; f++) {
        pith_hashmap_release(&t->files[f].ns);
        pith_hashmap_release(&t->files[f].attrs);
        pith_hashmap_release(&t->files[f].stars);
    }
    free(t->files);
    free(t->syms);
    for (int i = 0; i < st->ncg; i++) {
        pith_buf_release(&st->cgs[i].key);
        pith_arena_release(&st->cgs[i].arena);
        pith_vec_release(&st->cgs[i].edges);
    }
    free(st->cgs);
    free(st->sorted);
    free(st->files);
    free(st->file_ptrs);
    free(st->syms);
    free(st->sym_ptrs);
    free(st->edge_ptrs);
    free(st);
    free(g);
}
