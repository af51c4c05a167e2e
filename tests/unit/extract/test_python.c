/* Tests of the Python front end and of pith-extract runs: constructs, bad inputs,
 * determinism across --jobs and the golden dump of tests/fixtures/extract/repo. */
#include "tests/harness/harness.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/file.h"
#include "common/mem.h"
#include "common/stagefile.h"
#include "extract/extract.h"
#include "extract/lang_python.h"

#include <stdlib.h>
#include <string.h>

struct parsed {
    struct lang_python *lp;
    struct pith_arena arena;
    struct pith_buf src;
    Pith__FileFacts ff;
    int err;
};

static void parse_text(struct parsed *p, const char *module, const char *text, size_t len)
{
    Pith__FileFacts init = PITH__FILE_FACTS__INIT;
    p->lp = lang_python_new();
    pith_arena_init(&p->arena);
    pith_buf_init(&p->src);
    pith_buf_put(&p->src, text, len);
    p->ff = init;
    p->err = lang_python_extract(p->lp, &p->arena, &p->ff, module, p->src.ptr, p->src.len);
}

static void parse_fixture(struct parsed *p, const char *rel)
{
    char path[512];
    struct pith_buf b = PITH_BUF_INIT;
    snprintf(path, sizeof path, "%s/extract/%s", pith_test_fixtures(), rel);
    CHECK_EQ_INT(pith_file_read(&b, path, 1 << 20), 0);
    parse_text(p, "m", b.ptr ? b.ptr : "", b.len);
    pith_buf_release(&b);
}

static void parsed_release(struct parsed *p)
{
    lang_python_free(p->lp);
    pith_arena_release(&p->arena);
    pith_buf_release(&p->src);
}

static const Pith__Symbol *find_sym(const Pith__FileFacts *f, const char *qualname)
{
    for (size_t i = 0; i < f->n_symbols; i++) {
        if (!strcmp(f->symbols[i]->qualname, qualname))
            return f->symbols[i];
    }
    pith_test_fail(__FILE__, __LINE__, "no symbol %s", qualname);
    return NULL;
}

#define CHECK_SPAN(s, l0, c0, l1, c1)      \
    do {                                   \
        CHECK_EQ_INT((s)->start_line, l0); \
        CHECK_EQ_INT((s)->start_col, c0);  \
        CHECK_EQ_INT((s)->end_line, l1);   \
        CHECK_EQ_INT((s)->end_col, c1);    \
    } while (0)

PITH_TEST(extract_python_symbols)
{
    struct parsed p;
    parse_fixture(&p, "repo/pkg/constructs.py");
    const Pith__FileFacts *f = &p.ff;
    CHECK_EQ_INT(p.err, 0);
    CHECK_EQ_INT(f->status, PITH__FILE_STATUS__FILE_OK);
    CHECK_EQ_INT(f->line_count, 74);
    CHECK_EQ_INT(f->n_symbols, 12);
    if (f->n_symbols != 12)
        goto out;

    const Pith__Symbol *m = f->symbols[0];
    CHECK_EQ_INT(m->kind, PITH__SYMBOL_KIND__SYMBOL_MODULE);
    CHECK_EQ_STR(m->qualname, "");
    CHECK_EQ_INT(m->parent, 0);
    CHECK_SPAN(m, 1, 0, 74, 5);
    CHECK_EQ_STR(m->docstring, "Module doc.\n\nIndented second paragraph.");

    const Pith__Symbol *h = find_sym(f, "helper");
    CHECK_EQ_INT(h->kind, PITH__SYMBOL_KIND__SYMBOL_FUNCTION);
    CHECK_EQ_INT(h->parent, 1);
    CHECK_SPAN(h, 18, 0, 26, 22);
    CHECK_EQ_STR(h->signature, "def helper(a, /, b: int = 2, *args, c, d=3, **kw) -> str");
    CHECK_EQ_STR(h->returns, "str");
    CHECK_EQ_STR(h->docstring, "Helper.\n\nDetails here.");
    CHECK_EQ_STR(h->comments, "first comment\ntrailing comment");
    CHECK_EQ_INT(h->n_decorators, 2);
    CHECK_EQ_STR(h->decorators[0], "register");
    CHECK_EQ_STR(h->decorators[1], "route(\"/x\", methods=[\"GET\"])");
    CHECK_EQ_INT(h->n_params, 6);
    if (h->n_params == 6) {
        static const struct {
            const char *name, *ann, *def;
            int kind;
        } want[] = {
            { "a", "", "", PITH__PARAM__KIND__POSITIONAL_ONLY },
            { "b", "int", "2", PITH__PARAM__KIND__PLAIN },
            { "args", "", "", PITH__PARAM__KIND__VAR_POSITIONAL },
            { "c", "", "", PITH__PARAM__KIND__KEYWORD_ONLY },
            { "d", "", "3", PITH__PARAM__KIND__KEYWORD_ONLY },
            { "kw", "", "", PITH__PARAM__KIND__VAR_KEYWORD },
        };
        for (size_t i = 0; i < 6; i++) {
            CHECK_EQ_STR(h->params[i]->name, want[i].name);
            CHECK_EQ_STR(h->params[i]->annotation, want[i].ann);
            CHECK_EQ_STR(h->params[i]->default_value, want[i].def);
            CHECK_EQ_INT(h->params[i]->kind, want[i].kind);
        }
    }

    const Pith__Symbol *c = find_sym(f, "Decoder");
    CHECK_EQ_INT(c->kind, PITH__SYMBOL_KIND__SYMBOL_CLASS);
    CHECK_SPAN(c, 29, 0, 54, 37);
    CHECK_EQ_STR(c->signature, "class Decoder(json.JSONDecoder, Generic[T], metaclass=Meta)");
    CHECK_EQ_INT(c->n_bases, 2);
    CHECK_EQ_STR(c->bases[0], "json.JSONDecoder");
    CHECK_EQ_STR(c->bases[1], "Generic[T]");
    CHECK_EQ_STR(c->docstring, "Decodes things.");

    const Pith__Symbol *r = find_sym(f, "Decoder.raw_decode");
    CHECK_EQ_INT(r->kind, PITH__SYMBOL_KIND__SYMBOL_METHOD);
    CHECK_EQ_INT(r->parent, 3);
    CHECK(r->is_async);
    CHECK_SPAN(r, 40, 4, 50, 25);
    CHECK_EQ_STR(r->signature, "async def raw_decode(self, s, idx=0)");
    CHECK_EQ_STR(r->comments, ""); /* "# inner comment" belongs to inner */

    const Pith__Symbol *in = find_sym(f, "Decoder.raw_decode.inner");
    CHECK_EQ_INT(in->kind, PITH__SYMBOL_KIND__SYMBOL_NESTED);
    CHECK_EQ_INT(in->parent, 5);
    CHECK_EQ_STR(in->comments, "inner comment");

    const Pith__Symbol *l = find_sym(f, "Decoder.raw_decode.<lambda>");
    CHECK_EQ_INT(l->kind, PITH__SYMBOL_KIND__SYMBOL_LAMBDA);
    CHECK_EQ_STR(l->name, "<lambda>");
    CHECK_SPAN(l, 49, 12, 49, 40);
    CHECK_EQ_STR(l->signature, "lambda v, w=1");

    /* a lambda in a default value belongs to the scope around the def */
    const Pith__Symbol *dl = find_sym(f, "Decoder.<lambda>");
    CHECK_EQ_INT(dl->parent, 3);
    const Pith__Symbol *s = find_sym(f, "Decoder.sort");
    CHECK_EQ_STR(s->signature, "def sort(items, *, key=lambda i: i.name, reverse=False)");
    CHECK_EQ_STR(s->decorators[0], "staticmethod");
    CHECK_EQ_INT(s->params[1]->kind, PITH__PARAM__KIND__KEYWORD_ONLY);

    CHECK_EQ_INT(find_sym(f, "outer.middle.deepest")->kind, PITH__SYMBOL_KIND__SYMBOL_NESTED);
    CHECK_SPAN(find_sym(f, "outer.middle"), 58, 4, 62, 22);
out:
    parsed_release(&p);
}

PITH_TEST(extract_python_imports_all)
{
    struct parsed p;
    parse_fixture(&p, "repo/pkg/constructs.py");
    const Pith__FileFacts *f = &p.ff;
    static const struct {
        unsigned scope, line, level;
        const char *module, *name, *alias;
        int star;
    } want[] = {
        { 1, 5, 0, "os.path", "", "", 0 }, { 1, 6, 0, "a.b", "", "c", 0 },
        { 1, 6, 0, "d", "", "", 0 },       { 1, 7, 2, "x", "y", "z", 0 },
        { 1, 7, 2, "x", "w", "", 0 },      { 1, 8, 1, "", "sibling", "", 0 },
        { 1, 9, 1, "m", "*", "", 1 },      { 5, 41, 0, "json", "", "j", 0 },
    };
    CHECK_EQ_INT(f->n_imports, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < f->n_imports && i < sizeof want / sizeof want[0]; i++) {
        const Pith__Import *im = f->imports[i];
        CHECK_EQ_INT(im->scope, want[i].scope);
        CHECK_EQ_INT(im->line, want[i].line);
        CHECK_EQ_INT(im->level, want[i].level);
        CHECK_EQ_STR(im->module, want[i].module);
        CHECK_EQ_STR(im->name, want[i].name);
        CHECK_EQ_STR(im->alias, want[i].alias);
        CHECK_EQ_INT(im->is_star, want[i].star);
    }
    CHECK(f->has_all);
    CHECK_EQ_INT(f->n_all_names, 3);
    if (f->n_all_names == 3) {
        CHECK_EQ_STR(f->all_names[0], "Decoder");
        CHECK_EQ_STR(f->all_names[1], "helper");
        CHECK_EQ_STR(f->all_names[2], "extra");
    }
    parsed_release(&p);
}

PITH_TEST(extract_python_calls)
{
    struct parsed p;
    parse_fixture(&p, "repo/pkg/constructs.py");
    const Pith__FileFacts *f = &p.ff;
    static const struct {
        unsigned caller, line, col, args;
        const char *callee;
    } want[] = {
        { 1, 17, 1, 2, "route" }, /* decorators run in the enclosing scope */
        { 2, 24, 8, 1, "Foo" },
        { 2, 26, 11, 1, "a.b(x).c" }, /* outer call first, then the inner one */
        { 2, 26, 11, 1, "a.b" },
        { 4, 36, 23, 1, "make_scanner" },
        { 4, 38, 25, 0, "compute" },
        { 5, 42, 13, 1, "open" },
        { 5, 43, 19, 0, "fh.read" },
        { 7, 49, 31, 1, "helper" }, /* inside the lambda */
        { 5, 50, 15, 1, "inner" },
        { 8, 54, 15, 2, "sorted" },
        { 1, 66, 8, 1, "sum" }, /* a generator argument counts once */
        { 1, 66, 23, 1, "range" },
        { 1, 67, 8, 0, "Decoder" },
        { 1, 70, 9, 1, "len" },
        { 1, 71, 4, 2, "print" }, /* multi-line, trailing comma */
    };
    CHECK_EQ_INT(f->n_calls, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < f->n_calls && i < sizeof want / sizeof want[0]; i++) {
        const Pith__CallSite *c = f->calls[i];
        CHECK_EQ_STR(c->callee, want[i].callee);
        CHECK_EQ_INT(c->caller, want[i].caller);
        CHECK_EQ_INT(c->line, want[i].line);
        CHECK_EQ_INT(c->col, want[i].col);
        CHECK_EQ_INT(c->arg_count, want[i].args);
    }
    parsed_release(&p);
}

PITH_TEST(extract_python_bindings)
{
    struct parsed p;
    parse_fixture(&p, "repo/pkg/constructs.py");
    const Pith__FileFacts *f = &p.ff;
    enum {
        C = PITH__BINDING__KIND__CALL,
        N = PITH__BINDING__KIND__NAME,
        O = PITH__BINDING__KIND__OTHER,
        D = PITH__BINDING__KIND__DEF,
        A = PITH__BINDING__KIND__ANNOTATION
    };
    static const struct {
        unsigned scope, line;
        const char *target;
        int kind;
        const char *value;
    } want[] = {
        { 1, 12, "__all__", O, "" },
        { 1, 18, "helper", D, "helper" },
        { 2, 24, "x", C, "Foo" },
        { 2, 25, "y", N, "os.path.join" },
        { 1, 29, "Decoder", D, "Decoder" },
        { 3, 32, "kind", O, "" },
        { 3, 34, "__init__", D, "Decoder.__init__" },
        { 4, 35, "self.strict", N, "strict" },
        { 4, 36, "self.scanner", C, "make_scanner" },
        { 4, 37, "self.items", A, "list" }, /* annotation when the value is no call */
        { 4, 38, "self.size", C, "compute" },
        { 3, 40, "raw_decode", D, "Decoder.raw_decode" },
        { 5, 42, "fh", C, "open" }, /* with open(s) as fh */
        { 5, 43, "data", C, "fh.read" },
        { 5, 45, "inner", D, "Decoder.raw_decode.inner" },
        { 5, 49, "f", O, "" },
        { 3, 53, "sort", D, "Decoder.sort" },
        { 1, 57, "outer", D, "outer" },
        { 10, 58, "middle", D, "outer.middle" },
        { 11, 59, "deepest", D, "outer.middle.deepest" },
        { 1, 66, "total", C, "sum" },
        { 1, 66, "x", O, "" },        /* generator variable: shadows, value unknown */
        { 1, 67, "a", C, "Decoder" }, /* chained: both targets */
        { 1, 67, "b", C, "Decoder" },
        { 1, 68, "alias", N, "Decoder" },
        { 1, 69, "p", O, "" }, /* (p, q) = 1, 2: each name of a tuple target */
        { 1, 69, "q", O, "" },
        { 1, 70, "n", C, "len" }, /* walrus */
    };
    CHECK_EQ_INT(f->n_bindings, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < f->n_bindings && i < sizeof want / sizeof want[0]; i++) {
        const Pith__Binding *b = f->bindings[i];
        CHECK_EQ_STR(b->target, want[i].target);
        CHECK_EQ_INT(b->scope, want[i].scope);
        CHECK_EQ_INT(b->line, want[i].line);
        CHECK_EQ_INT(b->kind, want[i].kind);
        CHECK_EQ_STR(b->value, want[i].value);
    }
    parsed_release(&p);
}

/* Loop, comprehension, except and destructuring targets shadow outer names (kind OTHER). */
PITH_TEST(extract_python_pattern_targets)
{
    static const char src[] = "def f(xs):\n"
                              "    for a, (b, *c) in xs:\n"
                              "        pass\n"
                              "    try:\n"
                              "        pass\n"
                              "    except ValueError as e:\n"
                              "        e.args\n"
                              "    ys = [g() for g in xs]\n"
                              "    with open(x) as (h, i):\n"
                              "        pass\n"
                              "    n: int = 3\n";
    static const char *const want[] = { "a", "b", "c", "e", "ys", "g", "h", "i", "n" };
    struct parsed p;
    parse_text(&p, "m", src, sizeof src - 1);
    size_t got = 0;
    for (size_t i = 0; i < p.ff.n_bindings; i++) {
        const Pith__Binding *b = p.ff.bindings[i];
        if (b->kind == PITH__BINDING__KIND__DEF)
            continue;
        if (got < sizeof want / sizeof want[0])
            CHECK_EQ_STR(b->target, want[got]);
        CHECK_EQ_INT(b->scope, 2);
        CHECK_EQ_INT(b->kind, strcmp(b->target, "n") ? PITH__BINDING__KIND__OTHER
                                                     : PITH__BINDING__KIND__ANNOTATION);
        got++;
    }
    CHECK_EQ_INT(got, sizeof want / sizeof want[0]);
    parsed_release(&p);
}

/* __all__ as a bare tuple ("a", "b" without parentheses) and extended with += */
PITH_TEST(extract_python_all_bare_tuple)
{
    static const char src[] = "__all__ = \"to_thread\",\n__all__ += \"x\", \"y\"\n";
    struct parsed p;
    parse_text(&p, "m", src, sizeof src - 1);
    CHECK(p.ff.has_all);
    CHECK_EQ_INT(p.ff.n_all_names, 3);
    if (p.ff.n_all_names == 3) {
        CHECK_EQ_STR(p.ff.all_names[0], "to_thread");
        CHECK_EQ_STR(p.ff.all_names[2], "y");
    }
    parsed_release(&p);
}

PITH_TEST(extract_python_text_rules)
{
    static const char src[] = "def f(\n"
                              "    a,  # the a\n"
                              "    b: 'x  y' = (1,),\n"
                              "):\n"
                              "    '''  First line.\n"
                              "\n"
                              "\t\tTabbed.\n"
                              "      More \\u00e9 \\x41.\n"
                              "    '''\n"
                              "    return obj . meth (\n"
                              "        1)(\n"
                              "        \" \".join(a))\n"
                              "x = f(1, 2, *r, k=3, **kw)\n";
    struct parsed p;
    parse_text(&p, "t", src, sizeof src - 1);
    const Pith__FileFacts *f = &p.ff;
    CHECK_EQ_INT(f->n_symbols, 2);
    if (f->n_symbols == 2) {
        const Pith__Symbol *s = f->symbols[1];
        CHECK_EQ_STR(s->signature, "def f(a, b: 'x  y' = (1,))");
        CHECK_EQ_STR(s->docstring, "First line.\n\n          Tabbed.\nMore \xc3\xa9 A.");
        CHECK_EQ_STR(s->comments, "the a");
        CHECK_EQ_STR(s->params[1]->default_value, "(1,)");
        CHECK_EQ_STR(s->params[1]->annotation, "'x  y'");
    }
    CHECK_EQ_INT(f->n_calls, 4);
    if (f->n_calls == 4) {
        CHECK_EQ_STR(f->calls[0]->callee, "obj.meth(1)");
        CHECK_EQ_INT(f->calls[0]->arg_count, 1);
        CHECK_EQ_STR(f->calls[1]->callee, "obj.meth");
        CHECK_EQ_STR(f->calls[2]->callee, "\" \".join");
        CHECK_EQ_STR(f->calls[3]->callee, "f");
        CHECK_EQ_INT(f->calls[3]->arg_count, 5);
    }
    parsed_release(&p);
}

PITH_TEST(extract_python_callee_cap)
{
    struct pith_buf b = PITH_BUF_INIT;
    pith_buf_puts(&b, "x = ");
    for (int i = 0; i < 150; i++)
        pith_buf_puts(&b, i ? ".\xc3\xa9" : "a"); /* 3 bytes per step, 2-byte characters */
    pith_buf_puts(&b, "()\n");
    struct parsed p;
    parse_text(&p, "t", b.ptr, b.len);
    CHECK_EQ_INT(p.ff.n_calls, 1);
    if (p.ff.n_calls == 1) {
        const char *c = p.ff.calls[0]->callee;
        CHECK(strlen(c) <= LANG_PYTHON_CALLEE_CAP);
        CHECK(strlen(c) >= LANG_PYTHON_CALLEE_CAP - 3);
        CHECK(((unsigned char)c[strlen(c) - 1] & 0xC0) != 0xC0); /* no split character */
    }
    parsed_release(&p);
    pith_buf_release(&b);
}

PITH_TEST(extract_python_text_caps)
{
    struct pith_buf b = PITH_BUF_INIT;
    pith_buf_puts(&b, "def f(a=[");
    for (int i = 0; i < 1000; i++)
        pith_buf_printf(&b, "%d, ", i);
    pith_buf_puts(&b, "], b=1):\n    pass\n");
    struct parsed p;
    parse_text(&p, "t", b.ptr, b.len);
    CHECK_EQ_INT(p.ff.n_symbols, 2);
    if (p.ff.n_symbols == 2) {
        const Pith__Symbol *s = p.ff.symbols[1];
        CHECK(strlen(s->signature) <= LANG_PYTHON_SIGNATURE_CAP);
        CHECK(strlen(s->params[0]->default_value) <= LANG_PYTHON_TEXT_CAP);
        CHECK_EQ_STR(s->params[1]->name, "b");
    }
    parsed_release(&p);
    pith_buf_release(&b);
}

PITH_TEST(extract_python_parse_errors_are_not_fatal)
{
    struct parsed p;
    parse_fixture(&p, "repo/pkg/sub/broken.py");
    CHECK_EQ_INT(p.err, 0);
    CHECK_EQ_INT(p.ff.status, PITH__FILE_STATUS__FILE_OK);
    find_sym(&p.ff, "ok");
    find_sym(&p.ff, "Still.works");
    CHECK_EQ_INT(p.ff.n_calls, 1);
    parsed_release(&p);
}

PITH_TEST(extract_python_module_names)
{
    static const struct {
        const char *path, *module;
        int pkg;
    } cases[] = {
        { "a/b/c.py", "a.b.c", 0 },
        { "a/b/__init__.py", "a.b", 1 },
        { "__init__.py", "", 1 },
        { "setup.py", "setup", 0 },
        { "x/my__init__.py", "x.my__init__", 0 },
    };
    struct pith_arena a;
    pith_arena_init(&a);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int pkg = -1;
        CHECK_EQ_STR(lang_python_module_name(&a, cases[i].path, &pkg), cases[i].module);
        CHECK_EQ_INT(pkg, cases[i].pkg);
    }
    pith_arena_release(&a);
}

PITH_TEST(extract_python_buffer_packs)
{
    static const char src[] = "import os\nclass A:\n    def f(self): return os.sep\n";
    struct pith_buf out = PITH_BUF_INIT;
    CHECK_EQ_INT(extract_python_buffer((const unsigned char *)src, sizeof src - 1, &out), 0);
    Pith__FileFacts *f = pith__file_facts__unpack(NULL, out.len, (const uint8_t *)out.ptr);
    CHECK(f != NULL);
    if (f) {
        CHECK_EQ_INT(f->n_symbols, 3);
        CHECK_EQ_INT(f->n_imports, 1);
        pith__file_facts__free_unpacked(f, NULL);
    }
    pith_buf_release(&out);
}

/* --- whole runs -------------------------------------------------------------------------- */

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    pith_mkdir_p(path);
    *slash = '/';
    CHECK_EQ_INT(pith_file_write_atomic(path, data, len), 0);
}

/* Reads every record of a facts file; returns the count, fills out[] (caller frees). */
static size_t read_facts(const char *path, Pith__FileFacts **out, size_t cap)
{
    struct pith_stage_reader r;
    size_t n = 0;
    if (pith_stage_reader_open(&r, path, PITH_STAGE_FACTS) != 0) {
        pith_test_fail(__FILE__, __LINE__, "cannot open %s: %s", path, pith_error_last());
        return 0;
    }
    const uint8_t *rec;
    size_t len;
    while (pith_stage_reader_next(&r, &rec, &len) == 1 && n < cap)
        out[n++] = pith__file_facts__unpack(NULL, len, rec);
    pith_stage_reader_release(&r);
    return n;
}

PITH_TEST(extract_bad_inputs_are_recorded)
{
    const char *dir = pith_test_tmpdir();
    char repo[512], facts[512];
    snprintf(repo, sizeof repo, "%s/repo", dir);
    snprintf(facts, sizeof facts, "%s/facts.pstg", dir);

    write_file(repo, "a_bad_utf8.py", "x = '\xff\xfe'\n", 9);
    write_file(repo, "b_binary.py",
               "\x7f"
               "ELF\0\0\x01\x02",
               8);
    size_t big_len = 5u << 20;
    char *big = pith_xmalloc(big_len);
    memset(big, 'a', big_len);
    memcpy(big, "x = \"", 5);
    big[big_len - 2] = '"';
    big[big_len - 1] = '\n';
    write_file(repo, "c_big.py", big, big_len);
    free(big);
    struct pith_buf deep = PITH_BUF_INIT;
    pith_buf_puts(&deep, "x = ");
    for (int i = 0; i < 5000; i++)
        pith_buf_putc(&deep, '(');
    pith_buf_putc(&deep, '1');
    for (int i = 0; i < 5000; i++)
        pith_buf_putc(&deep, ')');
    pith_buf_putc(&deep, '\n');
    write_file(repo, "d_deep.py", deep.ptr, deep.len);
    pith_buf_clear(&deep);
    for (int i = 0; i < 5000; i++)
        pith_buf_puts(&deep, "[f(");
    for (int i = 0; i < 5000; i++)
        pith_buf_puts(&deep, ")]");
    pith_buf_putc(&deep, '\n');
    write_file(repo, "e_deep_calls.py", deep.ptr, deep.len);
    pith_buf_clear(&deep);
    for (int i = 0; i < 300; i++) { /* 300 nested blocks: deep, but under the limit */
        for (int k = 0; k < i; k++)
            pith_buf_putc(&deep, ' ');
        pith_buf_printf(&deep, "def f%d():\n", i);
    }
    for (int k = 0; k < 300; k++)
        pith_buf_putc(&deep, ' ');
    pith_buf_puts(&deep, "pass\n");
    write_file(repo, "f_nested_defs.py", deep.ptr, deep.len);
    pith_buf_release(&deep);
    write_file(repo, "g_empty.py", "", 0);
    write_file(repo, "h_ok.py", "def ok():\n    pass\n", 19);

    struct extract_options opt = { repo, facts, 2, EXTRACT_DEFAULT_MAX_SIZE, 0, NULL, NULL, NULL };
    struct extract_stats st;
    CHECK_EQ_INT(extract_run(&st, &opt), 0);
    CHECK_EQ_INT(st.files, 8);
    CHECK_EQ_INT(st.skipped, 5);
    Pith__FileFacts *f[16] = { 0 };
    size_t n = read_facts(facts, f, 16);
    CHECK_EQ_INT(n, 8);
    if (n == 8) {
        CHECK_EQ_STR(f[0]->path, "a_bad_utf8.py");
        CHECK_EQ_INT(f[0]->status, PITH__FILE_STATUS__FILE_SKIPPED_ENCODING);
        CHECK_EQ_STR(f[0]->skip_reason, "not valid UTF-8 (byte offset 5)");
        CHECK_EQ_INT(f[1]->status, PITH__FILE_STATUS__FILE_SKIPPED_BINARY);
        CHECK_EQ_STR(f[1]->skip_reason, "binary file (NUL byte in the first 8 KiB)");
        CHECK_EQ_INT(f[2]->status, PITH__FILE_STATUS__FILE_SKIPPED_TOO_BIG);
        CHECK_EQ_STR(f[2]->skip_reason, "file is larger than 2097152 bytes");
        CHECK_EQ_INT(f[2]->size, 5u << 20);
        CHECK_EQ_INT(f[3]->status, PITH__FILE_STATUS__FILE_SKIPPED_PARSE);
        CHECK_EQ_STR(f[3]->skip_reason, "syntax tree deeper than 4000 levels");
        CHECK_EQ_INT(f[3]->n_symbols, 0);
        CHECK_EQ_INT(f[4]->status, PITH__FILE_STATUS__FILE_SKIPPED_PARSE);
        CHECK_EQ_INT(f[5]->status, PITH__FILE_STATUS__FILE_OK);
        CHECK_EQ_INT(f[5]->n_symbols, 301);
        if (f[5]->n_symbols == 301) {
            CHECK_EQ_INT(f[5]->symbols[300]->kind, PITH__SYMBOL_KIND__SYMBOL_NESTED);
            CHECK_EQ_INT(f[5]->symbols[300]->parent, 300);
        }
        CHECK_EQ_INT(f[6]->status, PITH__FILE_STATUS__FILE_OK);
        CHECK_EQ_INT(f[6]->line_count, 0);
        CHECK_EQ_INT(f[6]->n_symbols, 1);
        CHECK_EQ_INT(f[7]->status, PITH__FILE_STATUS__FILE_OK);
        CHECK_EQ_STR(f[7]->module, "h_ok");
        for (size_t i = 0; i < n; i++)
            CHECK_EQ_STR(f[i]->language, "python");
    }
    for (size_t i = 0; i < n; i++)
        pith__file_facts__free_unpacked(f[i], NULL);
}

PITH_TEST(extract_same_bytes_for_any_jobs)
{
    const char *dir = pith_test_tmpdir();
    char repo[512], f1[512], f3[512], src[512];
    snprintf(repo, sizeof repo, "%s/repo", dir);
    snprintf(f1, sizeof f1, "%s/j1.pstg", dir);
    snprintf(f3, sizeof f3, "%s/j3.pstg", dir);
    snprintf(src, sizeof src, "%s/extract/repo/pkg/constructs.py", pith_test_fixtures());
    struct pith_buf b = PITH_BUF_INIT;
    CHECK_EQ_INT(pith_file_read(&b, src, 1 << 20), 0);
    for (int i = 0; i < 40; i++) {
        char name[64];
        snprintf(name, sizeof name, "d%d/m%02d.py", i % 4, i);
        pith_buf_printf(&b, "\ndef extra_%d():\n    return helper(%d)\n", i, i);
        write_file(repo, name, b.ptr, b.len);
    }
    pith_buf_release(&b);
    struct extract_options o1 = { repo, f1, 1, EXTRACT_DEFAULT_MAX_SIZE, 0, NULL, NULL, NULL };
    struct extract_options o3 = { repo, f3, 3, EXTRACT_DEFAULT_MAX_SIZE, 0, NULL, NULL, NULL };
    CHECK_EQ_INT(extract_run(NULL, &o1), 0);
    CHECK_EQ_INT(extract_run(NULL, &o3), 0);
    struct pith_buf a = PITH_BUF_INIT, c = PITH_BUF_INIT;
    CHECK_EQ_INT(pith_file_read(&a, f1, 1 << 26), 0);
    CHECK_EQ_INT(pith_file_read(&c, f3, 1 << 26), 0);
    CHECK(a.len > 0);
    CHECK_EQ_INT(a.len, c.len);
    if (a.len == c.len && a.len)
        CHECK_EQ_MEM(a.ptr, c.ptr, a.len);
    pith_buf_release(&a);
    pith_buf_release(&c);
}

/* The --dump text of tests/fixtures/extract/repo equals repo.dump (PITH_GOLDEN_UPDATE=1
 * rewrites it for review). */
PITH_TEST(extract_golden_dump)
{
    const char *dir = pith_test_tmpdir();
    char repo[512], facts[512], dump[512], want[512];
    snprintf(repo, sizeof repo, "%s/extract/repo", pith_test_fixtures());
    snprintf(want, sizeof want, "%s/extract/repo.dump", pith_test_fixtures());
    snprintf(facts, sizeof facts, "%s/facts.pstg", dir);
    snprintf(dump, sizeof dump, "%s/dump.txt", dir);
    struct extract_options opt = { repo, facts, 2, EXTRACT_DEFAULT_MAX_SIZE, 0, NULL, NULL, NULL };
    CHECK_EQ_INT(extract_run(NULL, &opt), 0);
    FILE *out = fopen(dump, "w");
    CHECK(out != NULL);
    if (!out)
        return;
    CHECK_EQ_INT(extract_dump(out, facts), 0);
    fclose(out);
    struct pith_buf got = PITH_BUF_INIT, exp = PITH_BUF_INIT;
    CHECK_EQ_INT(pith_file_read(&got, dump, 1 << 24), 0);
    if (getenv("PITH_GOLDEN_UPDATE"))
        pith_file_write_atomic(want, got.ptr, got.len);
    CHECK_EQ_INT(pith_file_read(&exp, want, 1 << 24), 0);
    CHECK_EQ_STR(got.ptr ? got.ptr : "", exp.ptr ? exp.ptr : "");
    pith_buf_release(&got);
    pith_buf_release(&exp);
}
