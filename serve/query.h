/* The query engine: parses a query (OP ARGS options) and answers it from an opened index into a
 * buffer, as text or JSON. Shared by `pith query`, `pith-serve` and the tests; never prints.
 * The answer shapes are documented in docs/QUERIES.md. */
#ifndef PITH_SERVE_QUERY_H
#define PITH_SERVE_QUERY_H

#include "common/buf.h"

#include <stddef.h>
#include <stdint.h>

struct pith_index;

enum query_op {
    QUERY_NONE = 0,
    QUERY_SYMBOL,
    QUERY_CALLERS,
    QUERY_CALLEES,
    QUERY_IMPACT,
    QUERY_SEARCH,
    QUERY_SUMMARY,     /* summary NAME: the embed stage's summary text (docs/FORMAT.md 5) */
    QUERY_CONTEXT,     /* context NAME [--budget T] */
    QUERY_OVERVIEW,    /* overview [PATH] [--budget T] */
    QUERY_DIFF_IMPACT, /* diff-impact --git REV | diff-impact FILE... */
    QUERY_DEAD,        /* dead */
    QUERY_PATH,        /* path FROM TO */
    QUERY_CYCLES,      /* cycles */
    QUERY_CFG,         /* cfg NAME (flow_query.c) */
    QUERY_DFG,         /* dfg NAME */
    QUERY_SLICE        /* slice FILE:LINE [--var V] [--forward] [--interprocedural] */
};

#define QUERY_ARG_MAX        1024 /* bytes of NAME or search TEXT, NUL included */
#define QUERY_DEPTH_MAX      100  /* largest --depth; also impact's default */
#define QUERY_K_MAX          1000 /* largest -k */
#define QUERY_K_DEFAULT      10
#define QUERY_MULTI_MAX      10 /* callers/callees/impact answer for up to this many matches */
#define QUERY_CANDIDATES_MAX 50 /* candidates listed for an ambiguous name */
#define QUERY_SUGGEST_MAX    5
#define QUERY_ENTRIES_MAX    5000 /* edges or symbols listed per answer before "truncated" */
#define QUERY_BUDGET_DEFAULT 2000 /* context/overview --budget, in cl100k tokens */
#define QUERY_BUDGET_MIN     30
#define QUERY_BUDGET_MAX     1000000
#define QUERY_REV_MAX        256 /* bytes of diff-impact's --git REV, NUL included */

/* A parsed query. A value struct: `arg` is a copy, nothing is borrowed except `index`. */
struct query_req {
    enum query_op op;
    char arg[QUERY_ARG_MAX]; /* NAME, or the search TEXT (positional words joined by spaces) */
    unsigned depth;          /* --depth, already defaulted: 1 (callers/callees), 100 (impact) */
    unsigned k;              /* -k, already defaulted: 10 */
    int json;                /* --json */
    const char *index;       /* -i/--index PATH when given after OP (borrowed from argv), or NULL */
    unsigned budget;         /* --budget (context, overview), already defaulted: 2000 */
    int dot;                 /* --dot: Graphviz (callers, callees, impact, path, cycles) */
    char arg2[QUERY_ARG_MAX]; /* path: TO (arg is FROM) */
    char rev[QUERY_REV_MAX];  /* diff-impact --git REV; "" when FILE... are given in arg,
                                 separated by '\n' */
    unsigned slice;           /* slice: FLOW_SLICE_FORWARD | FLOW_SLICE_INTER (--forward,
                                 --interprocedural); its --var V is in arg2 */
    int mode;                 /* search --mode: enum vsearch_mode (serve/vsearch.h), 0 = auto */
    int has_weight;           /* search --vector-weight W given */
    double weight;            /* its W (0..100); else VSEARCH_W_VECTOR */
    int exact;                /* search --exact: score every vector, even with an HNSW graph */
};

/* Parses `argc` words, argv[0] being OP (symbol|callers|callees|impact|search|context|overview|
 * diff-impact|dead|path|cycles, and the flow operations), the rest its arguments and options in
 * any order (`--depth D`, `--depth=D`, `-k N`, `--budget T`, `--git REV`, `--dot`, `--json`,
 * `-i PATH`, `--` ends options). Options an OP does not take are usage errors.
 * Returns 0 or PITH_EUSAGE with pith_error_last() set. */
int query_parse(struct query_req *out, int argc, char *const *argv);

/* The OP's name ("callers"), or "" for QUERY_NONE. */
const char *query_op_name(enum query_op op);

/* Answers `req` from `ix`, appending text or (req->json) one JSON object and a newline to
 * `out`. Returns:
 *   0                  answered (out holds the answer);
 *   PITH_ENOTFOUND     no such symbol / no search hit: pith_error_last() says so with
 *                      suggestions; in JSON mode `out` also holds an error object;
 *   PITH_EAMBIGUOUS    the name matches several symbols: `out` lists the candidates (text or
 *                      JSON) and pith_error_last() says how many;
 *   PITH_ECORRUPT      a cold record failed to decode (pith_error_last() says which). */
int query_run(struct pith_buf *out, const struct pith_index *ix, const struct query_req *req);

/* ---- the operation table ------------------------------------------------------------------ */

/* What front ends that describe the operations need (MCP tools/list and tools/call, HTTP): each
 * operation's name, a description an agent can act on, and its arguments with the CLI word they
 * become. A front end turns named arguments into the words `OP [FLAG VALUE | FLAG]... [--
 * POSITIONAL...]` and hands them to query_parse, so every operation query_parse accepts must
 * have an entry here (tests/unit/serve/test_mcp.c checks it). */
enum query_arg_type {
    QUERY_ARG_STRING = 1, /* one word */
    QUERY_ARG_INT,        /* a decimal integer within [min, max] */
    QUERY_ARG_BOOL,       /* a flag without a value, given when true (needs `flag`) */
    QUERY_ARG_STRINGS     /* several words: positional ones in order, or the flag repeated */
};

struct query_arg_info {
    const char *name; /* its key in MCP/HTTP arguments: "name", "depth"; NULL ends the list */
    const char *flag; /* the option word ("--depth"), or NULL for a positional argument */
    enum query_arg_type type;
    int required;            /* 1: must be given (a STRING then must not be empty) */
    long min, max, def;      /* QUERY_ARG_INT: the bounds and the default query_parse applies */
    const char *description; /* for an agent: what to pass, the formats, the default */
};

#define QUERY_OP_ARGS_MAX 8

struct query_op_info {
    const char *name;        /* as accepted by query_parse and returned by query_op_name */
    const char *description; /* what it returns, when to use it, the name formats it takes */
    struct query_arg_info args[QUERY_OP_ARGS_MAX]; /* positional ones in order */
};

/* The operations, in a fixed order; sets *count. The table is static (never freed). */
const struct query_op_info *query_ops(size_t *count);

/* The entry named `name`, or NULL. */
const struct query_op_info *query_op_find(const char *name);

/* Checks a string `value` given for argument `a` by a front end (MCP, HTTP): well-formed UTF-8
 * (answers echo it in JSON), shorter than QUERY_ARG_MAX, an option's value not starting with
 * '-' (it may reach a program's argv: git diff REV), and the arguments that name repository
 * files (path, file, files) relative without a ".." component. Returns 0 or PITH_EUSAGE with
 * pith_error_last() naming the argument ("'git' must not start with '-'"). */
int query_arg_check(const struct query_arg_info *a, const char *value);

/* ---- pure helpers, exposed for tests and the other front ends ------------------------------ */

/* Lower-case names of pith.SymbolKind and pith.EdgeKind values ("method", "import"); "?" when
 * out of range. */
const char *query_symbol_kind_name(uint32_t kind);
const char *query_edge_kind_name(uint32_t kind);

/* 1 when `query` names the symbol with qualified name `qualname` ("path/f.py:A.b") in dotted
 * module `module` ("pkg.f"): equal to the qualname or to "module.A.b", or a suffix of either that
 * starts after a ':', '/' or '.' boundary ("A.b", "f.py:A.b", "f.A.b"). */
int query_name_matches(const char *qualname, const char *module, const char *query);

/* 1 when a symbol named `name` in file `path` is a test: the name starts with "test", the file
 * is test_*.py or *_test.py, or a path component is "tests" or "test". */
int query_is_test(const char *name, const char *path);

/* BM25F pieces (Robertson & Zaragoza 2009): idf = ln(1 + (n - df + 0.5) / (df + 0.5)); the
 * per-document pseudo term frequency tf~ = sum_f w_f tf_f / (1 - b + b len_f / avg_f) with field
 * weights 3, 1, 1, 0.5 and b = 0.75; a term contributes idf * tf~ / (k1 + tf~) with k1 = 1.2. */
double query_bm25_idf(double n, double df);
double query_bm25f_tf(const uint8_t tf[4], const uint16_t len[4], const float avg[4]);
double query_bm25f_term(double idf, double tf_pseudo);

/* The first paragraph of a docstring, whitespace runs folded to one space, at most `max` bytes
 * (cut at a word boundary with "..."), appended to `out`. `max` 0 means no limit. */
void query_doc_summary(struct pith_buf *out, const char *doc, size_t max);

#endif
