/* A six-symbol index packed in memory, shared by the query and MCP fuzz targets and the MCP
 * unit tests (header-only: the fuzz replay binaries link no test harness). */
#ifndef PITH_TESTS_FUZZ_TINY_INDEX_H
#define PITH_TESTS_FUZZ_TINY_INDEX_H

#include "common/artifact.h"
#include "common/buf.h"
#include "pack/pack.h"

#include <stddef.h>

/* a.py: f -> g (direct), g -> os.path.join (external), g -> f (ambiguous); b.py: C.m -> g */
static struct pith_index *tiny_index_build(void)
{
    static Pith__GFile files[2];
    static Pith__GFile *fp[2] = { &files[0], &files[1] };
    static Pith__GSymbol syms[6];
    static Pith__GSymbol *sp[6];
    static Pith__Edge edges[4];
    static Pith__Edge *ep[4];
    static const struct {
        const char *q, *n, *sig, *doc;
        uint32_t kind, file, parent, line;
    } S[6] = {
        { "a.py", "a", "", "", PITH__SYMBOL_KIND__SYMBOL_MODULE, 1, 0, 1 },
        { "a.py:f", "f", "def f(x)", "Parse the input.", PITH__SYMBOL_KIND__SYMBOL_FUNCTION, 1, 1,
          2 },
        { "a.py:g", "g", "def g()", "Join the path parts.", PITH__SYMBOL_KIND__SYMBOL_FUNCTION, 1,
          1, 5 },
        { "b.py", "b", "", "", PITH__SYMBOL_KIND__SYMBOL_MODULE, 2, 0, 1 },
        { "b.py:C", "C", "class C", "A class.", PITH__SYMBOL_KIND__SYMBOL_CLASS, 2, 4, 2 },
        { "b.py:C.m", "m", "def m(self)", "Call g.", PITH__SYMBOL_KIND__SYMBOL_METHOD, 2, 5, 3 },
    };
    static const struct {
        uint32_t from, to, kind, line;
        const char *name;
    } E[4] = {
        { 2, 3, PITH__EDGE_KIND__EDGE_DIRECT, 3, "g" },
        { 3, 0, PITH__EDGE_KIND__EDGE_EXTERNAL, 6, "os.path.join" },
        { 3, 2, PITH__EDGE_KIND__EDGE_AMBIGUOUS, 7, "f" },
        { 6, 3, PITH__EDGE_KIND__EDGE_IMPORT, 4, "a.g" },
    };
    for (int i = 0; i < 2; i++) {
        pith__gfile__init(&files[i]);
        files[i].path = (char *)(i ? "b.py" : "a.py");
        files[i].module = (char *)(i ? "b" : "a");
        files[i].language = (char *)"python";
        files[i].line_count = 10;
    }
    for (int i = 0; i < 6; i++) {
        pith__gsymbol__init(&syms[i]);
        sp[i] = &syms[i];
        syms[i].qualname = (char *)S[i].q;
        syms[i].name = (char *)S[i].n;
        syms[i].signature = (char *)S[i].sig;
        syms[i].docstring = (char *)S[i].doc;
        syms[i].kind = S[i].kind;
        syms[i].file = S[i].file;
        syms[i].parent = S[i].parent;
        syms[i].start_line = syms[i].end_line = S[i].line;
    }
    for (int i = 0; i < 4; i++) {
        pith__edge__init(&edges[i]);
        ep[i] = &edges[i];
        edges[i].caller = E[i].from;
        edges[i].callee = E[i].to;
        edges[i].kind = E[i].kind;
        edges[i].line = E[i].line;
        edges[i].confidence = E[i].kind == PITH__EDGE_KIND__EDGE_AMBIGUOUS ? 500 : 1000;
        edges[i].callee_name = (char *)E[i].name;
    }
    Pith__Graph g;
    pith__graph__init(&g);
    g.repo_root = (char *)"/repo";
    g.n_files = 2;
    g.files = fp;
    g.n_symbols = 6;
    g.symbols = sp;
    g.n_edges = 4;
    g.edges = ep;
    struct pack_input in = { &g, NULL, NULL };
    struct pith_buf shard = PITH_BUF_INIT, manifest = PITH_BUF_INIT;
    struct pith_index *ix = NULL;
    if (pack_build(&shard, &manifest, &in) != 0 ||
        pith_index_open_mem(&ix, manifest.ptr, manifest.len, shard.ptr, shard.len, 0) != 0) {
        ix = NULL;
    }
    pith_buf_release(&shard);
    pith_buf_release(&manifest);
    return ix;
}

#endif
