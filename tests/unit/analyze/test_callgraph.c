/* The call-graph resolver (analyze/callgraph.c) on FileFacts built in memory: scoping, MRO,
 * module matching, ambiguity, cycles, determinism. No pith-extract needed. */
#include "tests/harness/harness.h"

#include "analyze/analyze.h"
#include "common/buf.h"
#include "common/mem.h"

#include <stdlib.h>
#include <string.h>

/* ---- a tiny FileFacts builder (everything lives in one arena) ------------------------------ */

static struct pith_arena A;

struct fb {
    Pith__FileFacts ff;
    PITH_VEC(Pith__Symbol *) syms;
    PITH_VEC(Pith__Import *) imps;
    PITH_VEC(Pith__CallSite *) calls;
    PITH_VEC(Pith__Binding *) binds;
};

static char *S(const char *s)
{
    return pith_arena_strdup(&A, s ? s : "");
}

/* Splits "a,b,c" into an arena array. */
static char **split(const char *list, size_t *n)
{
    *n = 0;
    if (!list || !list[0])
        return NULL;
    char *copy = S(list);
    char **v = pith_arena_alloc(&A, (strlen(list) + 1) * sizeof *v);
    for (char *t = strtok(copy, ","); t; t = strtok(NULL, ","))
        v[(*n)++] = t;
    return v;
}

static struct fb *fb_new(const char *path, const char *module, int is_package)
{
    struct fb *f = pith_arena_alloc(&A, sizeof *f);
    pith__file_facts__init(&f->ff);
    f->ff.path = S(path);
    f->ff.language = S("python");
    f->ff.module = S(module);
    f->ff.is_package = is_package;
    Pith__Symbol *m = pith_arena_alloc(&A, sizeof *m);
    pith__symbol__init(m);
    m->kind = PITH__SYMBOL_KIND__SYMBOL_MODULE;
    m->name = S(module);
    m->qualname = S("");
    pith_vec_push(&f->syms, m);
    return f;
}

/* params: "self,r:Registry,*args"; bases and decorators: comma lists. Returns the symbol id. */
static uint32_t fb_def(struct fb *f,
                       int kind,
                       const char *qualname,
                       uint32_t parent,
                       const char *params,
                       const char *bases,
                       const char *decorators)
{
    Pith__Symbol *s = pith_arena_alloc(&A, sizeof *s);
    pith__symbol__init(s);
    s->kind = kind;
    s->qualname = S(qualname);
    const char *dot = strrchr(qualname, '.');
    s->name = S(dot ? dot + 1 : qualname);
    s->parent = parent;
    s->start_line = (uint32_t)f->syms.count + 1;
    size_t n;
    char **ps = split(params, &n);
    s->n_params = n;
    s->params = pith_arena_alloc(&A, (n + 1) * sizeof *s->params);
    for (size_t i = 0; i < n; i++) {
        Pith__Param *p = pith_arena_alloc(&A, sizeof *p);
        pith__param__init(p);
        char *name = ps[i], *colon = strchr(name, ':');
        if (name[0] == '*') {
            p->kind = PITH__PARAM__KIND__VAR_POSITIONAL;
            name++;
        }
        char *eq = strchr(name, '=');
        p->default_value = S("");
        if (eq) {
            *eq = '\0';
            p->default_value = eq + 1;
        }
        if (colon) {
            *colon = '\0';
            p->annotation = colon + 1;
        } else {
            p->annotation = S("");
        }
        p->name = name;
        s->params[i] = p;
    }
    s->bases = split(bases, &s->n_bases);
    s->decorators = split(decorators, &s->n_decorators);
    s->returns = S("");
    pith_vec_push(&f->syms, s);
    return (uint32_t)f->syms.count;
}

static void fb_import(struct fb *f,
                      uint32_t scope,
                      const char *module,
                      uint32_t level,
                      const char *name,
                      const char *alias)
{
    Pith__Import *im = pith_arena_alloc(&A, sizeof *im);
    pith__import__init(im);
    im->scope = scope;
    im->module = S(module);
    im->level = level;
    im->name = S(name);
    im->alias = S(alias);
    im->is_star = name && !strcmp(name, "*");
    pith_vec_push(&f->imps, im);
}

static void fb_call(struct fb *f, uint32_t caller, const char *callee, uint32_t line)
{
    Pith__CallSite *c = pith_arena_alloc(&A, sizeof *c);
    pith__call_site__init(c);
    c->caller = caller;
    c->callee = S(callee);
    c->line = line;
    pith_vec_push(&f->calls, c);
}

static void fb_bind(struct fb *f, uint32_t scope, const char *target, int kind, const char *value)
{
    Pith__Binding *b = pith_arena_alloc(&A, sizeof *b);
    pith__binding__init(b);
    b->scope = scope;
    b->target = S(target);
    b->kind = kind;
    b->value = S(value);
    pith_vec_push(&f->binds, b);
}

static Pith__FileFacts *fb_done(struct fb *f)
{
    f->ff.n_symbols = f->syms.count;
    f->ff.symbols = f->syms.items;
    f->ff.n_imports = f->imps.count;
    f->ff.imports = f->imps.items;
    f->ff.n_calls = f->calls.count;
    f->ff.calls = f->calls.items;
    f->ff.n_bindings = f->binds.count;
    f->ff.bindings = f->binds.items;
    return &f->ff;
}

static void fb_release(struct fb *f)
{
    pith_vec_release(&f->syms);
    pith_vec_release(&f->imps);
    pith_vec_release(&f->calls);
    pith_vec_release(&f->binds);
}

#define CLASS   PITH__SYMBOL_KIND__SYMBOL_CLASS
#define FUNC    PITH__SYMBOL_KIND__SYMBOL_FUNCTION
#define METHOD  PITH__SYMBOL_KIND__SYMBOL_METHOD
#define NESTED  PITH__SYMBOL_KIND__SYMBOL_NESTED
#define B_CALL  PITH__BINDING__KIND__CALL
#define B_NAME  PITH__BINDING__KIND__NAME
#define B_OTHER PITH__BINDING__KIND__OTHER
#define B_ANN   PITH__BINDING__KIND__ANNOTATION

/* "caller -> callee kind confidence Lline" per edge, in graph order (caller owns). */
static char *edges_of(struct fb **files, size_t n)
{
    Pith__FileFacts **ff = pith_xmalloc(n * sizeof *ff);
    for (size_t i = 0; i < n; i++)
        ff[i] = fb_done(files[i]);
    struct analyze_graph *g;
    analyze_graph_build(&g, ff, n, NULL, 2);
    struct pith_buf b = PITH_BUF_INIT;
    const Pith__Graph *gr = &g->graph;
    for (size_t i = 0; i < gr->n_edges; i++) {
        const Pith__Edge *e = gr->edges[i];
        pith_buf_printf(&b, "%s -> %s %s %u L%u\n", gr->symbols[e->caller - 1]->qualname,
                        e->callee ? gr->symbols[e->callee - 1]->qualname : e->callee_name,
                        analyze_edge_kind_name(e->kind), e->confidence, e->line);
    }
    analyze_graph_free(g);
    free(ff);
    for (size_t i = 0; i < n; i++)
        fb_release(files[i]);
    return pith_buf_detach(&b, NULL);
}

static void check_edges(struct fb **files, size_t n, const char *want)
{
    char *got = edges_of(files, n);
    CHECK_EQ_STR(got, want);
    free(got);
}

/* ---- tests -------------------------------------------------------------------------------- */

PITH_TEST(analyze_mro_c3_diamond)
{
    pith_arena_init(&A);
    struct fb *m = fb_new("m.py", "m", 0);
    uint32_t a = fb_def(m, CLASS, "A", 1, NULL, NULL, NULL);
    fb_def(m, METHOD, "A.m", a, "self", NULL, NULL);
    fb_def(m, CLASS, "B", 1, NULL, "A", NULL);
    uint32_t c = fb_def(m, CLASS, "C", 1, NULL, "A", NULL);
    fb_def(m, METHOD, "C.m", c, "self", NULL, NULL);
    fb_def(m, CLASS, "D", 1, NULL, "B,C", NULL);
    uint32_t f = fb_def(m, FUNC, "f", 1, "", NULL, NULL);
    fb_bind(m, f, "d", B_CALL, "D");
    fb_call(m, f, "D", 9);
    fb_call(m, f, "d.m", 10);
    /* C3: D, B, C, A -> C.m (depth-first would wrongly pick A.m) */
    check_edges(&m, 1,
                "m.py:f -> m.py:D constructor 1000 L9\n"
                "m.py:f -> m.py:C.m inherited 900 L10\n");
    pith_arena_release(&A);
}

PITH_TEST(analyze_ambiguous_definitions_and_local_shadowing)
{
    pith_arena_init(&A);
    struct fb *m = fb_new("m.py", "m", 0);
    fb_def(m, FUNC, "g", 1, "", NULL, NULL);
    fb_def(m, FUNC, "g", 1, "", NULL, NULL);
    fb_def(m, FUNC, "h", 1, "", NULL, NULL);
    uint32_t f = fb_def(m, FUNC, "f", 1, "x", NULL, NULL);
    fb_bind(m, f, "h", B_OTHER, "");
    fb_call(m, f, "g", 10);
    fb_call(m, f, "h", 11);
    fb_call(m, f, "x.run", 12);
    fb_call(m, f, "undefined_name", 13);
    check_edges(&m, 1,
                "m.py:f -> m.py:g ambiguous 500 L10\n"
                "m.py:f -> m.py:g ambiguous 500 L10\n"
                "m.py:f -> h unresolved 0 L11\n"
                "m.py:f -> x.run unresolved 0 L12\n"
                "m.py:f -> undefined_name unresolved 0 L13\n");
    pith_arena_release(&A);
}

PITH_TEST(analyze_class_body_is_not_an_enclosing_scope)
{
    pith_arena_init(&A);
    struct fb *m = fb_new("m.py", "m", 0);
    uint32_t k = fb_def(m, CLASS, "K", 1, NULL, NULL, NULL);
    fb_def(m, METHOD, "K.helper", k, "self", NULL, NULL);
    uint32_t run = fb_def(m, METHOD, "K.run", k, "self", NULL, NULL);
    uint32_t outer = fb_def(m, FUNC, "outer", 1, "", NULL, NULL);
    uint32_t inner = fb_def(m, NESTED, "outer.inner", outer, "", NULL, NULL);
    fb_call(m, run, "helper", 5);      /* a method does not see class-body names */
    fb_call(m, k, "helper", 6);        /* the class body does */
    fb_call(m, run, "self.helper", 7); /* through self it is a method */
    fb_call(m, inner, "inner", 8);     /* closure: outer's local */
    check_edges(&m, 1,
                "m.py:K -> m.py:K.helper direct 1000 L6\n"
                "m.py:K.run -> helper unresolved 0 L5\n"
                "m.py:K.run -> m.py:K.helper method 950 L7\n"
                "m.py:outer.inner -> m.py:outer.inner direct 1000 L8\n");
    pith_arena_release(&A);
}

PITH_TEST(analyze_module_suffix_relative_and_reexport)
{
    pith_arena_init(&A);
    struct fb *init = fb_new("src/pkg/__init__.py", "src.pkg", 1);
    fb_import(init, 1, "sub.mod", 1, "fn", NULL);
    struct fb *sub = fb_new("src/pkg/sub/__init__.py", "src.pkg.sub", 1);
    struct fb *mod = fb_new("src/pkg/sub/mod.py", "src.pkg.sub.mod", 0);
    uint32_t fn = fb_def(mod, FUNC, "fn", 1, "", NULL, NULL);
    fb_import(mod, fn, "", 5, "x", NULL); /* beyond the top-level package */
    fb_call(mod, fn, "x", 3);
    struct fb *x1 = fb_new("a/x/y.py", "a.x.y", 0);
    fb_def(x1, FUNC, "run", 1, "", NULL, NULL);
    struct fb *x2 = fb_new("b/x/y.py", "b.x.y", 0);
    fb_def(x2, FUNC, "run", 1, "", NULL, NULL);
    struct fb *app = fb_new("app.py", "app", 0);
    uint32_t main_ = fb_def(app, FUNC, "main", 1, "", NULL, NULL);
    fb_import(app, 1, "pkg.sub.mod", 0, NULL, NULL);
    fb_import(app, 1, "pkg", 0, "fn", "f2");
    fb_import(app, 1, "x.y", 0, NULL, "xy");
    fb_call(app, main_, "pkg.sub.mod.fn", 4);
    fb_call(app, main_, "f2", 5);
    fb_call(app, main_, "xy.run", 6);
    struct fb *files[] = { app, x2, x1, mod, sub, init };
    check_edges(files, 6,
                "app.py:main -> src/pkg/sub/mod.py:fn import 1000 L4\n"
                "app.py:main -> src/pkg/sub/mod.py:fn import 1000 L5\n"
                "app.py:main -> a/x/y.py:run ambiguous 500 L6\n"
                "app.py:main -> b/x/y.py:run ambiguous 500 L6\n"
                "src/pkg/sub/mod.py:fn -> x unresolved 0 L3\n");
    pith_arena_release(&A);
}

PITH_TEST(analyze_externals_builtins_and_external_bases)
{
    pith_arena_init(&A);
    struct fb *m = fb_new("m.py", "m", 0);
    fb_import(m, 1, "json", 0, NULL, NULL);
    fb_import(m, 1, "os", 0, "path", NULL);
    uint32_t j = fb_def(m, CLASS, "J", 1, NULL, "json.JSONDecoder", NULL);
    uint32_t dec = fb_def(m, METHOD, "J.dec", j, "self,s", NULL, NULL);
    fb_call(m, dec, "self.decode", 3);
    fb_call(m, dec, "len", 4);
    fb_call(m, dec, "path.join", 5);
    fb_call(m, dec, "\", \".join", 6);
    fb_call(m, dec, "super().__init__", 7);
    check_edges(&m, 1,
                "m.py:J.dec -> json.JSONDecoder.decode external 900 L3\n"
                "m.py:J.dec -> builtins.len external 1000 L4\n"
                "m.py:J.dec -> os.path.join external 1000 L5\n"
                "m.py:J.dec -> builtins.str.join external 1000 L6\n"
                "m.py:J.dec -> json.JSONDecoder.__init__ external 900 L7\n");
    pith_arena_release(&A);
}

PITH_TEST(analyze_import_cycle_terminates)
{
    pith_arena_init(&A);
    struct fb *a = fb_new("a.py", "a", 0);
    struct fb *b = fb_new("b.py", "b", 0);
    fb_import(a, 1, "b", 0, "x", NULL);
    fb_import(b, 1, "a", 0, "x", NULL);
    uint32_t f = fb_def(a, FUNC, "f", 1, "", NULL, NULL);
    fb_call(a, f, "x", 2);
    fb_bind(b, 1, "y", B_NAME, "y");
    fb_call(b, 1, "y", 3);
    struct fb *files[] = { a, b };
    check_edges(files, 2, "a.py:f -> x unresolved 0 L2\nb.py -> y unresolved 0 L3\n");
    pith_arena_release(&A);
}

PITH_TEST(analyze_self_attr_types_from_bases_and_annotations)
{
    pith_arena_init(&A);
    struct fb *m = fb_new("m.py", "m", 0);
    uint32_t reg = fb_def(m, CLASS, "Reg", 1, NULL, NULL, NULL);
    fb_def(m, METHOD, "Reg.fetch", reg, "self", NULL, NULL);
    uint32_t base = fb_def(m, CLASS, "Base", 1, NULL, NULL, NULL);
    uint32_t init = fb_def(m, METHOD, "Base.__init__", base, "self,r:Reg", NULL, NULL);
    fb_bind(m, init, "self.reg", B_CALL, "Reg");
    fb_bind(m, init, "self.other", B_NAME, "r");
    uint32_t sub = fb_def(m, CLASS, "Sub", 1, NULL, "Base", NULL);
    uint32_t go = fb_def(m, METHOD, "Sub.go", sub, "self", NULL, NULL);
    uint32_t mk = fb_def(m, METHOD, "Sub.make", sub, "cls", NULL, "classmethod");
    uint32_t st = fb_def(m, METHOD, "Sub.util", sub, "x", NULL, "staticmethod");
    uint32_t deco = fb_def(m, FUNC, "cached", 1, "", NULL, "lru_cache(None)");
    fb_call(m, go, "self.reg.fetch", 3);
    fb_call(m, go, "self.other.fetch", 4);
    fb_call(m, go, "super(Sub, self).__init__", 5);
    fb_call(m, mk, "cls", 6);
    fb_call(m, st, "x.fetch", 7);
    fb_call(m, deco, "cached", 8);
    check_edges(&m, 1,
                "m.py:Sub.go -> m.py:Reg.fetch method 900 L3\n"
                "m.py:Sub.go -> m.py:Reg.fetch method 800 L4\n"
                "m.py:Sub.go -> m.py:Base.__init__ inherited 900 L5\n"
                "m.py:Sub.make -> m.py:Base.__init__ constructor 1000 L6\n"
                "m.py:Sub.util -> x.fetch unresolved 0 L7\n"
                "m.py:cached -> m.py:cached direct 900 L8\n");
    (void)st;
    pith_arena_release(&A);
}

PITH_TEST(analyze_output_independent_of_input_order)
{
    char *out[2];
    for (int round = 0; round < 2; round++) {
        pith_arena_init(&A);
        struct fb *a = fb_new("a.py", "a", 0);
        uint32_t fa = fb_def(a, FUNC, "fa", 1, "", NULL, NULL);
        fb_import(a, 1, "b", 0, "fb", NULL);
        fb_call(a, fa, "fb", 2);
        fb_call(a, fa, "print", 3);
        struct fb *b = fb_new("b.py", "b", 0);
        uint32_t fbb = fb_def(b, FUNC, "fb", 1, "", NULL, NULL);
        fb_import(b, 1, "a", 0, NULL, NULL);
        fb_call(b, fbb, "a.fa", 2);
        struct fb *files[2] = { round ? b : a, round ? a : b };
        out[round] = edges_of(files, 2);
        pith_arena_release(&A);
    }
    CHECK_EQ_STR(out[0], out[1]);
    CHECK_EQ_STR(out[0], "a.py:fa -> b.py:fb import 1000 L2\n"
                         "a.py:fa -> builtins.print external 1000 L3\n"
                         "b.py:fb -> a.py:fa import 1000 L2\n");
    free(out[0]);
    free(out[1]);
}

PITH_TEST(analyze_dump_lists_files_symbols_edges)
{
    pith_arena_init(&A);
    struct fb *m = fb_new("m.py", "m", 0);
    uint32_t c = fb_def(m, CLASS, "C", 1, NULL, NULL, NULL);
    uint32_t d = fb_def(m, CLASS, "D", 1, NULL, "C", NULL);
    fb_call(m, d, "C", 2);
    (void)c;
    Pith__FileFacts *ff = fb_done(m);
    struct analyze_graph *g;
    analyze_graph_build(&g, &ff, 1, "/repo", 1);
    struct pith_buf b = PITH_BUF_INIT;
    analyze_dump(&b, &g->graph);
    CHECK_EQ_STR(b.ptr, "graph files=1 symbols=3 edges=1\n"
                        "file 1 m.py module=m status=0\n"
                        "sym 1 module m.py L0-0 parent=0\n"
                        "sym 2 class m.py:C L2-0 parent=1\n"
                        "sym 3 class m.py:D L3-0 parent=1 bases=m.py:C\n"
                        "edge m.py:D -> m.py:C constructor 1000 L2:0 name=C\n");
    CHECK_EQ_STR(g->graph.repo_root, "/repo");
    pith_buf_release(&b);
    analyze_graph_free(g);
    fb_release(m);
    pith_arena_release(&A);
}

PITH_TEST(analyze_type_of_self_star_guess_self_reference_and_defaults)
{
    pith_arena_init(&A);
    struct fb *m = fb_new("m.py", "m", 0);
    fb_import(m, 1, "posix", 0, "*", NULL);
    fb_import(m, 1, "nt", 0, "*", NULL);
    uint32_t k = fb_def(m, CLASS, "K", 1, NULL, NULL, NULL);
    uint32_t init = fb_def(m, METHOD, "K.__init__", k, "self", NULL, NULL);
    uint32_t clone = fb_def(m, METHOD, "K.clone", k, "self", NULL, NULL);
    fb_def(m, FUNC, "helper", 1, "", NULL, NULL);
    uint32_t f = fb_def(m, FUNC, "f", 1, "h=helper", NULL, NULL);
    fb_bind(m, 1, "KeyError", B_NAME, "KeyError"); /* KeyError = KeyError: the builtin */
    fb_bind(m, f, "line", B_CALL, "line.strip");   /* line = line.strip(): outer line */
    fb_call(m, clone, "type(self)", 3);
    fb_call(m, clone, "self.__class__", 4);
    fb_call(m, f, "fork", 5);
    fb_call(m, f, "KeyError", 6);
    fb_call(m, f, "line.split", 7);
    fb_call(m, f, "h", 8);
    (void)init;
    check_edges(&m, 1,
                "m.py:K.clone -> m.py:K.__init__ constructor 950 L3\n"
                "m.py:K.clone -> m.py:K.__init__ constructor 1000 L4\n"
                "m.py:f -> nt.fork ambiguous 500 L5\n"
                "m.py:f -> posix.fork ambiguous 500 L5\n"
                "m.py:f -> builtins.KeyError external 1000 L6\n"
                "m.py:f -> line.split unresolved 0 L7\n"
                "m.py:f -> m.py:helper direct 700 L8\n");
    pith_arena_release(&A);
}

/* analyze_graph_pack must give pith__graph__pack's bytes for any thread count, also when the
 * elements span several chunks and with or without a repo root. */
PITH_TEST(analyze_graph_pack_matches_protobuf_c)
{
    pith_arena_init(&A);
    enum { NFILES = 300 };
    struct fb *files[NFILES];
    Pith__FileFacts *ff[NFILES];
    for (int i = 0; i < NFILES; i++) {
        char path[32], mod[32], callee[48];
        snprintf(path, sizeof path, "p/m%03d.py", i);
        snprintf(mod, sizeof mod, "p.m%03d", i);
        files[i] = fb_new(path, mod, 0);
        uint32_t c = fb_def(files[i], CLASS, "C", 1, NULL, i ? "object" : NULL, NULL);
        uint32_t f = fb_def(files[i], FUNC, "f", 1, "x:int,*args", NULL, "staticmethod");
        (void)c;
        snprintf(callee, sizeof callee, "p.m%03d.f", (i + 1) % NFILES);
        fb_import(files[i], 1, "p", 0, NULL, NULL);
        fb_call(files[i], f, callee, 3);
        fb_call(files[i], f, "C", 4);
        fb_call(files[i], f, i % 2 ? "undefined_name.x" : "len", 5); /* unresolved, external */
        ff[i] = fb_done(files[i]);
    }
    for (int root = 0; root < 2; root++) {
        struct analyze_graph *g;
        analyze_graph_build(&g, ff, NFILES, root ? "/some/repo" : NULL, 1);
        CHECK(g->graph.n_files + g->graph.n_symbols + g->graph.n_edges > 3 * 512);
        size_t len = pith__graph__get_packed_size(&g->graph);
        uint8_t *want = pith_xmalloc(len);
        CHECK_EQ_INT(pith__graph__pack(&g->graph, want), len);
        for (int jobs = 0; jobs <= 4; jobs++) {
            struct pith_buf got = PITH_BUF_INIT;
            analyze_graph_pack(&got, &g->graph, jobs);
            CHECK_EQ_INT(got.len, len);
            CHECK(got.len == len && memcmp(got.ptr, want, len) == 0);
            pith_buf_release(&got);
        }
        free(want);
        analyze_graph_free(g);
    }
    for (int i = 0; i < NFILES; i++)
        fb_release(files[i]);
    pith_arena_release(&A);
}

PITH_TEST(analyze_annotated_assignments)
{
    pith_arena_init(&A);
    struct fb *m = fb_new("m.py", "m", 0);
    fb_import(m, 1, "json", 0, NULL, NULL);
    uint32_t k = fb_def(m, CLASS, "K", 1, NULL, NULL, NULL);
    fb_def(m, METHOD, "K.go", k, "self", NULL, NULL);
    uint32_t init = fb_def(m, METHOD, "K.__init__", k, "self", NULL, NULL);
    fb_bind(m, init, "self.peer", B_ANN, "Optional[K]"); /* self.peer: Optional[K] = None */
    uint32_t f = fb_def(m, FUNC, "f", 1, "xs", NULL, NULL);
    fb_bind(m, f, "a", B_ANN, "K");                /* a: K = xs[0] */
    fb_bind(m, f, "d", B_ANN, "json.JSONDecoder"); /* d: json.JSONDecoder = xs[1] */
    fb_bind(m, f, "l", B_ANN, "list[K]");          /* l: list[K] = [] */
    fb_bind(m, f, "u", B_ANN, "Unknown");          /* u: Unknown = 0 */
    fb_bind(m, f, "o", B_OTHER, "");               /* for o in xs */
    fb_call(m, f, "a.go", 3);
    fb_call(m, f, "d.decode", 4);
    fb_call(m, f, "l.append", 5);
    fb_call(m, f, "u.go", 6);
    fb_call(m, f, "o.go", 7);
    fb_call(m, init, "self.peer.go", 8);
    check_edges(&m, 1,
                "m.py:K.__init__ -> m.py:K.go method 800 L8\n"
                "m.py:f -> m.py:K.go method 800 L3\n"
                "m.py:f -> json.JSONDecoder.decode external 800 L4\n"
                "m.py:f -> l.append unresolved 0 L5\n"
                "m.py:f -> u.go unresolved 0 L6\n"
                "m.py:f -> o.go unresolved 0 L7\n");
    pith_arena_release(&A);
}

PITH_TEST(analyze_base_cycle_is_dropped_from_the_mro)
{
    pith_arena_init(&A);
    struct fb *m = fb_new("m.py", "m", 0);
    uint32_t root = fb_def(m, CLASS, "Root", 1, NULL, NULL, NULL);
    fb_def(m, METHOD, "Root.hello", root, "self", NULL, NULL);
    uint32_t p = fb_def(m, CLASS, "P", 1, NULL, "Q,Root", NULL);
    uint32_t q = fb_def(m, CLASS, "Q", 1, NULL, "P", NULL);
    uint32_t pg = fb_def(m, METHOD, "P.go", p, "self", NULL, NULL);
    uint32_t qg = fb_def(m, METHOD, "Q.go", q, "self", NULL, NULL);
    fb_call(m, pg, "self.hello", 3);
    fb_call(m, pg, "self.missing", 4);
    fb_call(m, qg, "self.hello", 5);
    check_edges(&m, 1,
                "m.py:P.go -> m.py:Root.hello inherited 900 L3\n"
                "m.py:P.go -> self.missing unresolved 0 L4\n"
                "m.py:Q.go -> self.hello unresolved 0 L5\n");
    pith_arena_release(&A);
}

/* Cycles through bindings, star imports, `x = x.attr` and bases: the dump is the same for any
 * file order and any number of threads (resolution results never depend on what was memoised
 * before). */
PITH_TEST(analyze_cycles_independent_of_order_and_jobs)
{
    enum { NF = 4 };
    char *want = NULL;
    for (int rot = 0; rot < NF; rot++) {
        for (int jobs = 1; jobs <= 4; jobs++) {
            pith_arena_init(&A);
            struct fb *f[NF];
            f[0] = fb_new("p/__init__.py", "p", 1);
            fb_import(f[0], 1, "a", 1, "*", NULL);
            fb_import(f[0], 1, "b", 1, "*", NULL);
            f[1] = fb_new("p/a.py", "p.a", 0);
            fb_import(f[1], 1, "", 1, "b", NULL); /* from . import b (no __all__) */
            uint32_t fa = fb_def(f[1], FUNC, "fa", 1, "", NULL, NULL);
            fb_bind(f[1], 1, "x", B_NAME, "y");
            fb_bind(f[1], 1, "y", B_NAME, "x");
            fb_bind(f[1], 1, "x", B_NAME, "K");
            uint32_t k = fb_def(f[1], CLASS, "K", 1, NULL, "L", NULL);
            fb_def(f[1], CLASS, "L", 1, NULL, "K", NULL);
            fb_def(f[1], METHOD, "K.run", k, "self", NULL, NULL);
            fb_call(f[1], fa, "b.fb", 2);
            fb_call(f[1], fa, "y", 3);
            fb_call(f[1], fa, "x", 4);
            fb_call(f[1], fa, "K().run", 5);
            f[2] = fb_new("p/b.py", "p.b", 0);
            fb_import(f[2], 1, "", 1, "a", NULL);
            uint32_t fbb = fb_def(f[2], FUNC, "fb", 1, "", NULL, NULL);
            fb_bind(f[2], 1, "z", B_CALL, "a.K");
            fb_bind(f[2], 1, "z", B_NAME, "z.w");
            fb_call(f[2], fbb, "a.fa", 2);
            fb_call(f[2], fbb, "z.run", 3);
            f[3] = fb_new("c.py", "c", 0);
            fb_import(f[3], 1, "p", 0, "*", NULL);
            uint32_t fc = fb_def(f[3], FUNC, "fc", 1, "", NULL, NULL);
            fb_call(f[3], fc, "a.y", 2);
            fb_call(f[3], fc, "b.z.run", 3);
            Pith__FileFacts *ff[NF];
            for (int i = 0; i < NF; i++)
                ff[i] = fb_done(f[(i + rot) % NF]);
            struct analyze_graph *g;
            analyze_graph_build(&g, ff, NF, NULL, jobs);
            struct pith_buf b = PITH_BUF_INIT;
            analyze_dump(&b, &g->graph);
            char *got = pith_buf_detach(&b, NULL);
            if (!want)
                want = got;
            else {
                CHECK_EQ_STR(got, want);
                free(got);
            }
            analyze_graph_free(g);
            for (int i = 0; i < NF; i++)
                fb_release(f[i]);
            pith_arena_release(&A);
        }
    }
    CHECK(strstr(want, "edge p/a.py:fa -> p/b.py:fb import 1000 L2:0") != NULL);
    CHECK(strstr(want, "edge p/a.py:fa -> p/a.py:K.run method 900 L5:0") != NULL);
    free(want);
}
