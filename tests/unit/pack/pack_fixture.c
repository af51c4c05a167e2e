/* Test graphs for pack and the artifact reader (see pack_fixture.h). */
#include "pack_fixture.h"

#include "common/mem.h"
#include "pack/pack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pack_fixture_init(struct pack_fixture *f)
{
    memset(f, 0, sizeof *f);
    static const struct {
        const char *path, *module;
    } files[FIX_FILES] = { { "pkg/mod.py", "pkg.mod" }, { "tests/test_mod.py", "tests.test_mod" } };
    for (int i = 0; i < FIX_FILES; i++) {
        pith__gfile__init(&f->files[i]);
        f->files[i].path = (char *)files[i].path;
        f->files[i].language = (char *)"python";
        f->files[i].module = (char *)files[i].module;
        f->files[i].content_hash = 0x1234567890abcdefull + (uint64_t)i;
        f->files[i].size = 100u + (uint64_t)i;
        f->files[i].line_count = 20u + (uint32_t)i;
        f->fp[i] = &f->files[i];
    }
    /* graph order is deliberately not qualname order */
    static const struct {
        int kind;
        const char *name, *qualname, *signature, *doc;
        uint32_t file, parent, line;
    } syms[FIX_SYMS] = {
        { 3, "parse_header", "pkg/mod.py:parse_header", "def parse_header(line)",
          "Parse one header line.\n\nReturns a tuple.", 1, 2, 3 },
        { 1, "mod", "pkg/mod.py", "", "Module doc.", 1, 0, 1 },
        { 3, "test_parse", "tests/test_mod.py:test_parse", "def test_parse()", "", 2, 6, 2 },
        { 2, "HTTPServer", "pkg/mod.py:HTTPServer", "class HTTPServer(object)",
          "Serves HTTP requests.", 1, 2, 6 },
        { 4, "handle_request", "pkg/mod.py:HTTPServer.handle_request",
          "def handle_request(self, req)", "Handle one request.", 1, 4, 8 },
        { 1, "test_mod", "tests/test_mod.py", "", "", 2, 0, 1 },
    };
    for (int i = 0; i < FIX_SYMS; i++) {
        Pith__GSymbol *s = &f->syms[i];
        pith__gsymbol__init(s);
        s->kind = (Pith__SymbolKind)syms[i].kind;
        s->name = (char *)syms[i].name;
        s->qualname = (char *)syms[i].qualname;
        s->signature = (char *)syms[i].signature;
        s->docstring = (char *)syms[i].doc;
        s->file = syms[i].file;
        s->parent = syms[i].parent;
        s->start_line = syms[i].line;
        s->end_line = syms[i].line + 1;
        f->sp[i] = s;
    }
    f->syms[0].is_async = 1;
    f->syms[0].comments = (char *)"split on colon";
    f->decorators[0] = (char *)"staticmethod";
    f->syms[4].n_decorators = 1;
    f->syms[4].decorators = f->decorators;
    static const struct {
        uint32_t caller, callee;
        int kind;
        uint32_t conf, line, col;
        const char *name, *reason;
    } edges[FIX_EDGES] = {
        { 5, 1, 1, 1000, 10, 8, "parse_header", "" },
        { 5, 0, 7, 900, 9, 4, "os.path.join", "" },
        { 3, 1, 2, 1000, 3, 4, "mod.parse_header", "" },
        { 3, 0, 8, 0, 4, 4, "foo.bar", "unknown receiver" },
        { 3, 5, 3, 800, 5, 4, "srv.handle_request", "" },
        { 4, 5, 3, 1000, 7, 8, "self.handle_request", "" },
    };
    for (int i = 0; i < FIX_EDGES; i++) {
        Pith__Edge *e = &f->edges[i];
        pith__edge__init(e);
        e->caller = edges[i].caller;
        e->callee = edges[i].callee;
        e->kind = (Pith__EdgeKind)edges[i].kind;
        e->confidence = edges[i].conf;
        e->line = edges[i].line;
        e->col = edges[i].col;
        e->callee_name = (char *)edges[i].name;
        e->reason = (char *)edges[i].reason;
        f->ep[i] = e;
    }
    pith__graph__init(&f->g);
    f->g.repo_root = (char *)"/nonexistent/repo";
    f->g.n_files = FIX_FILES;
    f->g.files = f->fp;
    f->g.n_symbols = FIX_SYMS;
    f->g.symbols = f->sp;
    f->g.n_edges = FIX_EDGES;
    f->g.edges = f->ep;

    pith__vector_set__init(&f->vs);
    f->vs.embedder = (char *)"none";
    f->vs.summary_version = 1;
    for (int i = 0; i < 2; i++) {
        pith__vector_row__init(&f->rows[i]);
        f->rp[i] = &f->rows[i];
    }
    f->rows[0].symbol = 1;
    f->rows[0].summary = (char *)"parse header\ndef parse_header(line)";
    f->rows[1].symbol = 5;
    f->rows[1].summary = (char *)"http server handle request";
    f->vs.n_rows = 2;
    f->vs.rows = f->rp;
}

int pack_fixture_build(const struct pack_fixture *f,
                       struct pith_buf *shard,
                       struct pith_buf *manifest)
{
    struct pack_input in = { &f->g, &f->vs, "0123456789abcdef0123456789abcdef01234567" };
    return pack_build(shard, manifest, &in);
}

Pith__Graph *pack_fixture_big(uint32_t n)
{
    Pith__Graph *g = pith_xcalloc(1, sizeof *g);
    pith__graph__init(g);
    g->repo_root = pith_xstrdup("/big");
    uint32_t nfiles = n / 50 + 1;
    g->n_files = nfiles;
    g->files = pith_xcalloc(nfiles, sizeof *g->files);
    char tmp[256];
    for (uint32_t i = 0; i < nfiles; i++) {
        Pith__GFile *gf = pith_xcalloc(1, sizeof *gf);
        pith__gfile__init(gf);
        snprintf(tmp, sizeof tmp, "pkg%u/module_%u.py", i % 17, i);
        gf->path = pith_xstrdup(tmp);
        gf->language = pith_xstrdup("python");
        gf->module = pith_xstrdup("");
        gf->skip_reason = pith_xstrdup("");
        g->files[i] = gf;
    }
    g->n_symbols = n;
    g->symbols = pith_xcalloc(n, sizeof *g->symbols);
    uint32_t seed = 12345;
    for (uint32_t i = 0; i < n; i++) {
        Pith__GSymbol *s = pith_xcalloc(1, sizeof *s);
        pith__gsymbol__init(s);
        s->kind = PITH__SYMBOL_KIND__SYMBOL_FUNCTION;
        snprintf(tmp, sizeof tmp, "get%sValue_%u", (i % 3) ? "Http" : "Json", i % 997);
        s->name = pith_xstrdup(tmp);
        snprintf(tmp, sizeof tmp, "%s:%s_%u", g->files[i / 50]->path, s->name, i);
        s->qualname = pith_xstrdup(tmp);
        snprintf(tmp, sizeof tmp, "def %s(self, request, timeout=%u)", s->name, i % 10);
        s->signature = pith_xstrdup(tmp);
        snprintf(tmp, sizeof tmp,
                 "Return the value of parameter %u from the request object, decoding it "
                 "as needed for the caller and the cache layer.",
                 i);
        s->docstring = pith_xstrdup(tmp);
        s->file = i / 50 + 1;
        s->start_line = i % 1000 + 1;
        g->symbols[i] = s;
    }
    g->n_edges = (size_t)n * 3;
    g->edges = pith_xcalloc(g->n_edges, sizeof *g->edges);
    for (size_t i = 0; i < g->n_edges; i++) {
        Pith__Edge *e = pith_xcalloc(1, sizeof *e);
        pith__edge__init(e);
        seed = seed * 1103515245u + 12345u;
        e->caller = (uint32_t)(i / 3) + 1;
        e->callee = (i % 3 == 2) ? 0 : (seed >> 8) % n + 1;
        e->kind = e->callee ? PITH__EDGE_KIND__EDGE_DIRECT : PITH__EDGE_KIND__EDGE_EXTERNAL;
        e->confidence = 1000;
        e->line = (uint32_t)i % 500;
        e->callee_name = pith_xstrdup(e->callee ? g->symbols[e->callee - 1]->name : "os.path.join");
        e->reason = pith_xstrdup("");
        g->edges[i] = e;
    }
    return g;
}

void pack_fixture_big_free(Pith__Graph *g)
{
    pith__graph__free_unpacked(g, NULL); /* every part came from malloc */
}
