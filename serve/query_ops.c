/* The query engine's operation table (serve stage): names, agent-facing descriptions and the
 * arguments of every operation, for the front ends that describe them (MCP, HTTP). Add an entry
 * here with each new operation; answer shapes are specified in docs/QUERIES.md. */
#include "serve/query.h"

#include "common/err.h"
#include "common/utf8.h"

#include <string.h>

/* How every NAME argument is matched (docs/QUERIES.md, Names). */
#define NAME_FORMS                                                                                \
    "Give the qualified form 'path/to/file.py:Class.method' (a module is its path, "              \
    "'pkg/core.py'; a top-level function is 'pkg/core.py:func') when you know it; a partial "     \
    "name also works: 'Class.method', 'core.py:Class.method', the dotted module form "            \
    "'pkg.core.Class.method', or a bare 'method'. A name matching nothing is an error with "      \
    "'did you mean' suggestions; an ambiguous one is an error listing the candidates' qualified " \
    "names, so retry with one of them."

#define DEPTH_ARG(def_, what)                                                            \
    {                                                                                    \
        .name = "depth", .flag = "--depth", .type = QUERY_ARG_INT, .min = 1,             \
        .max = QUERY_DEPTH_MAX, .def = (def_),                                           \
        .description = "How many levels to follow (1 to 100, default " #def_ "): " what, \
    }

static const struct query_op_info ops[] = {
    {
        .name = "symbol",
        .description =
            "Look up one symbol (module, class, function or method): its kind, file and line "
            "span, signature, decorators, docstring's first paragraph, parent, whether it is a "
            "test, and how many call sites call it and how many calls it makes. Use it to check "
            "where a name is defined and what it is before reading its file or asking for "
            "callers, callees or impact. Returns one JSON object {op, query, symbol: {id, "
            "qualname, name, kind, file, line, end_line, signature, decorators, docstring, "
            "is_async, test, parent, callers: {sites, symbols}, callees: {sites, resolved, "
            "external, unresolved}}}.",
        .args = { {
            .name = "name",
            .type = QUERY_ARG_STRING,
            .required = 1,
            .description = "The symbol. " NAME_FORMS,
        } },
    },
    {
        .name = "callers",
        .description =
            "Every call site that calls a function, method or class (constructor calls), from "
            "the index's resolved call graph: the calling symbol, the file:line of the call, "
            "the edge kind (direct, import, method, inherited, constructor, ambiguous, ...), a "
            "confidence from 0 to 1 and the reason for the resolution. With depth > 1, callers "
            "of callers, breadth-first. Use it instead of grep before changing a signature or "
            "behaviour, to find every place that must change; it follows imports, aliases, "
            "self/instance types and re-exports that text search misses. Returns JSON {op, "
            "query, depth, results: [{symbol, edges: [{depth, caller, callee, name, file, line, "
            "col, kind, confidence, reason, other_file, other_line}], sites, symbols, "
            "truncated}]}: one result per matched symbol (a partial name matching up to 10 "
            "symbols answers for each); file and line are the call site, other_file and "
            "other_line the caller's definition.",
        .args = {
            {
                .name = "name",
                .type = QUERY_ARG_STRING,
                .required = 1,
                .description = "The function, method or class whose callers you want. " NAME_FORMS,
            },
            DEPTH_ARG(1, "1 lists direct callers only."),
        },
    },
    {
        .name = "callees",
        .description =
            "What a function or method calls: each call site in its body with the symbol it "
            "resolves to (qualified name, definition file:line, edge kind, confidence), calls "
            "that leave the repository (kind external, dotted target such as 'os.path.join') "
            "and calls that could not be resolved (kind unresolved, with the reason). With "
            "depth > 1 the walk goes on through resolved callees. Use it to learn what a "
            "function depends on before changing or testing it. Returns JSON {op, query, "
            "depth, results: [{symbol, edges: [{depth, caller, callee (null when external or "
            "unresolved), name, file, line, col, kind, confidence, reason, other_file, "
            "other_line}], sites, symbols, truncated}]}.",
        .args = {
            {
                .name = "name",
                .type = QUERY_ARG_STRING,
                .required = 1,
                .description = "The function or method whose callees you want. " NAME_FORMS,
            },
            DEPTH_ARG(1, "1 lists the calls in its own body only."),
        },
    },
    {
        .name = "impact",
        .description =
            "The blast radius of changing a function or method: all its transitive callers, "
            "each once at its shortest distance, with the symbol it reaches the target "
            "through (via), the edge kinds along that path and the confidence; the affected "
            "files (affected symbols per file, most first); and the affected tests (test "
            "functions that reach the target through the call graph). Use it to decide what "
            "to review and which tests to run after a change. Returns JSON {op, query, depth, "
            "results: [{symbol, affected: [{depth, symbol, via, path, confidence, test}], "
            "files: [{path, count}], tests: [qualified names], test_ids: [pytest node ids], "
            "test_command, counts: {symbols, files, tests, max_depth}, truncated}]}. Tests are "
            "those within the depth and every test of a class whose setUp (or a test file "
            "whose module body) reaches the target.",
        .args = {
            {
                .name = "name",
                .type = QUERY_ARG_STRING,
                .required = 1,
                .description = "The function or method you intend to change. " NAME_FORMS,
            },
            DEPTH_ARG(100, "the default follows every caller chain."),
        },
    },
    {
        .name = "search",
        .description =
            "Find symbols by words when you do not know their name: BM25F ranking over symbol "
            "names (split on snake_case and camelCase), signatures, docstrings, comments and "
            "the names they call, fused with embedding similarity of the query to each "
            "function's summary when the index has vectors (finds code by what it does). Use "
            "words an implementation would contain ('parse json config', 'retry backoff', "
            "'load_registry') or a plain description. Returns JSON {op, query, k, mode, terms, "
            "total, hits: [{rank, score, lexical, similarity, symbol: {id, qualname, name, "
            "kind, file, line, end_line}, signature, summary, matched}]}; pass a hit's "
            "symbol.qualname to the other tools. In lexical mode no match gives hits: [] and "
            "total 0.",
        .args = {
            {
                .name = "query",
                .type = QUERY_ARG_STRING,
                .required = 1,
                .description = "Words to look for, separated by spaces.",
            },
            {
                .name = "k",
                .flag = "-k",
                .type = QUERY_ARG_INT,
                .min = 1,
                .max = QUERY_K_MAX,
                .def = QUERY_K_DEFAULT,
                .description = "How many hits to return (1 to 1000, default 10).",
            },
            {
                .name = "mode",
                .flag = "--mode",
                .type = QUERY_ARG_STRING,
                .description = "lexical (BM25F words only), vector (embedding similarity "
                               "only) or fused (both, by z-score; the default when the index "
                               "has vectors). Vector and fused rank every symbol, so a query "
                               "always gets hits; each hit then carries lexical and similarity.",
            },
            {
                .name = "exact",
                .flag = "--exact",
                .type = QUERY_ARG_BOOL,
                .description = "Score every vector exactly even when the index holds an HNSW "
                               "graph (large indexes; slower, never misses a neighbour).",
            },
        },
    },
    {
        .name = "summary",
        .description =
            "The summary text the index's embedder saw for one function, method or class "
            "(summary format v2): a description (language, kind, name words, the docstring's "
            "first paragraph, or parameters and callee words when there is none), then "
            "labelled layers: signature, calls, called by, data flow (parameters that reach "
            "the return value or calls), raises, file. Use it to see at a glance what a "
            "function does and touches, or why search ranked it. Returns JSON {op, query, "
            "symbol, summary}.",
        .args = { {
            .name = "name",
            .type = QUERY_ARG_STRING,
            .required = 1,
            .description = "The function, method or class. " NAME_FORMS,
        } },
    },
    {
        .name = "context",
        .description =
            "Everything needed to change one function or method safely, packed to fit a token "
            "budget (cl100k tokens, counted exactly; never more than the budget): its signature "
            "and parameter types, its code (read from the indexed repository; 'source' says "
            "'changed' or 'missing' when the file no longer matches the index), every caller's "
            "call line (file:line and the source text), the caller statements each call "
            "depends on (backward slice), and its callees' signatures with one-line summaries. "
            "Ranked: signature, first 25 code lines, call sites, slices, callees, the rest of "
            "the code, external calls; what did not fit is counted in 'omitted'. Use it instead "
            "of reading whole files. Returns JSON {op, symbol, budget, tokens, source, "
            "signature: {signature, params: [{name, type, default}], returns}, code: [[line, "
            "text]], callers: [{file, sites: [[line, text, caller]]}], slice: [{file, line, "
            "lines: [[line, text]]}], callees: [{qualname, signature, summary}], external: "
            "[names], callers_total, omitted: {code_lines, callers, slice, callees, external, "
            "signature}}.",
        .args = {
            {
                .name = "name",
                .type = QUERY_ARG_STRING,
                .required = 1,
                .description = "The function or method you intend to change. " NAME_FORMS,
            },
            {
                .name = "budget",
                .flag = "--budget",
                .type = QUERY_ARG_INT,
                .min = QUERY_BUDGET_MIN,
                .max = QUERY_BUDGET_MAX,
                .def = QUERY_BUDGET_DEFAULT,
                .description = "The most cl100k tokens the answer may take (30 to 1000000, "
                               "default 2000).",
            },
        },
    },
    {
        .name = "overview",
        .description =
            "A map of the repository (or of one folder or file) within a token budget: files "
            "ranked by the PageRank of their symbols over the call graph, each with its most "
            "important classes, functions and methods as signatures with line numbers. Use it "
            "first in an unfamiliar repository to learn where the central code is. Returns JSON "
            "{op, path, budget, tokens, files: [{path, rank, symbol_count, symbols: [{qualname, "
            "kind, line, signature, rank}]}], omitted: {files, symbols}}; rank is relative "
            "(1 = average).",
        .args = {
            {
                .name = "path",
                .type = QUERY_ARG_STRING,
                .description = "Only files under this repository-relative folder or file "
                               "('pkg/util'); the whole repository when omitted.",
            },
            {
                .name = "budget",
                .flag = "--budget",
                .type = QUERY_ARG_INT,
                .min = QUERY_BUDGET_MIN,
                .max = QUERY_BUDGET_MAX,
                .def = QUERY_BUDGET_DEFAULT,
                .description = "The most cl100k tokens the answer may take (30 to 1000000, "
                               "default 2000).",
            },
        },
    },
    {
        .name = "diff-impact",
        .description =
            "Which functions a change touches and which tests to run: from `git diff -U0 REV` "
            "in the indexed repository (each changed line mapped to the innermost function, "
            "method or class around it) or from whole files, the changed symbols, their "
            "transitive callers, the affected tests (tests that reach a changed symbol through "
            "the call graph, and every test of a class or file whose set-up code does) and a "
            "ready shell command that runs them (pytest node ids; unittest names for TestCase "
            "methods). Returns JSON {op, rev, hunks, files, unindexed: [paths], changed: "
            "[{symbol, first_line, last_line}], affected: [symbols], tests: [qualified names], "
            "test_ids: [runner ids], test_command, truncated}.",
        .args = {
            {
                .name = "git",
                .flag = "--git",
                .type = QUERY_ARG_STRING,
                .description = "A git revision to diff the working tree against ('HEAD', "
                               "'main', 'HEAD~3'). Give this or files.",
            },
            {
                .name = "files",
                .type = QUERY_ARG_STRINGS,
                .description = "Repository-relative paths of changed files, every symbol in "
                               "them counting as changed. Give this or git.",
            },
        },
    },
    {
        .name = "dead",
        .description =
            "Functions and methods that nothing in the repository calls and that have no "
            "reason to be called from outside: tests, entry points (main, __main__.py), dunder "
            "methods, decorated functions, nested functions, names exported in __all__, "
            "functions used as decorators and methods that may override or be overridden are "
            "not listed. Each entry says why it is listed and a confidence (high: private name; "
            "medium: public, so code outside the repository, getattr or a callback reference "
            "may still use it). Returns JSON {op, count, functions, dead: [{symbol, confidence, "
            "why}], truncated}.",
        .args = { { 0 } },
    },
    {
        .name = "path",
        .description =
            "The shortest call path from one function to another over resolved call edges: "
            "each step's symbol, the edge kind (direct, import, method, inherited, constructor, "
            "...) and the line of the call. Use it to learn how execution gets from an entry "
            "point to a function. Returns JSON {op, from, to, found, length, steps: [{symbol, "
            "kind, call_line}]}; found is false when TO cannot be reached from FROM.",
        .args = {
            {
                .name = "from",
                .type = QUERY_ARG_STRING,
                .required = 1,
                .description = "Where the path starts. " NAME_FORMS,
            },
            {
                .name = "to",
                .type = QUERY_ARG_STRING,
                .required = 1,
                .description = "Where the path ends, in the same forms.",
            },
            {
                .name = "dot",
                .flag = "--dot",
                .type = QUERY_ARG_BOOL,
                .description = "Answer with a Graphviz digraph instead of JSON.",
            },
        },
    },
    {
        .name = "cycles",
        .description =
            "Call cycles: the strongly connected components of the resolved call graph with "
            "two or more functions (mutual recursion), and functions that call themselves. "
            "Returns JSON {op, count, cycles: [[symbols]]}.",
        .args = { {
            .name = "dot",
            .flag = "--dot",
            .type = QUERY_ARG_BOOL,
            .description = "Answer with a Graphviz digraph (one cluster per cycle) instead of "
                           "JSON.",
        } },
    },
    {
        .name = "cfg",
        .description =
            "Control-flow graph of one function: basic blocks of statement and condition nodes "
            "(each and/or operand its own condition) with line numbers, the variables each "
            "defines and uses, typed edges (fall, true, false, back, except, finally, case) and "
            "the complexity (python3-mccabe's count for Python, pmccabe's for C/C++, and E-N+2 "
            "of this graph). Use it to see "
            "the paths through a function before changing its branches. Returns JSON {op, "
            "symbol, complexity, cyclomatic, nodes: [{id, kind, text, line, end_line, block, "
            "ipdom, defs, uses}], edges: [{src, dst, kind}], blocks: [[node ids]]}.",
        .args = { {
                      .name = "name",
                      .type = QUERY_ARG_STRING,
                      .required = 1,
                      .description = "The function or method. " NAME_FORMS,
                  },
                  {
                      .name = "dot",
                      .flag = "--dot",
                      .type = QUERY_ARG_BOOL,
                      .description = "Answer with a Graphviz digraph instead of JSON.",
                  } },
    },
    {
        .name = "dfg",
        .description =
            "Data flow of one function: def-use chains (each use of a variable or access path "
            "such as self.x, with the definitions that reach it, parameters included) and the "
            "control dependences (which branch decides whether each statement runs, from "
            "post-dominators). Use it to see where a value comes from inside a function. "
            "Returns JSON {op, symbol, def_use: [{var, def, def_line, use, use_line}], control: "
            "[{branch, branch_line, kind, node, line}]}.",
        .args = { {
            .name = "name",
            .type = QUERY_ARG_STRING,
            .required = 1,
            .description = "The function or method. " NAME_FORMS,
        } },
    },
    {
        .name = "slice",
        .description =
            "Program slice from a line: the lines of the function that can affect it (backward, "
            "the default) or that it can affect (forward), through data and control "
            "dependence; optionally through calls into callees and back to callers with "
            "parameter and return summaries (Horwitz-Reps-Binkley). Use it to find what to read "
            "before changing a statement, or what a change reaches. Returns JSON {op, query, "
            "direction, interprocedural, var, truncated, functions: [{symbol, lines}], "
            "line_count}.",
        .args = { {
                      .name = "location",
                      .type = QUERY_ARG_STRING,
                      .required = 1,
                      .description = "Needed: FILE:LINE, the file as indexed (relative to the "
                                     "repository root), e.g. 'pkg/core.py:42'.",
                  },
                  {
                      .name = "var",
                      .flag = "--var",
                      .type = QUERY_ARG_STRING,
                      .description = "Only through this variable or access path at the line "
                                     "(default: every variable).",
                  },
                  {
                      .name = "forward",
                      .flag = "--forward",
                      .type = QUERY_ARG_BOOL,
                      .description = "Forward slice (default backward).",
                  },
                  {
                      .name = "interprocedural",
                      .flag = "--interprocedural",
                      .type = QUERY_ARG_BOOL,
                      .description = "Follow calls and returns across functions (default: "
                                     "this function only).",
                  },
                  {
                      .name = "dot",
                      .flag = "--dot",
                      .type = QUERY_ARG_BOOL,
                      .description = "Answer with a Graphviz digraph instead of JSON.",
                  } },
    },
};

const struct query_op_info *query_ops(size_t *count)
{
    *count = sizeof ops / sizeof *ops;
    return ops;
}

const struct query_op_info *query_op_find(const char *name)
{
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        if (strcmp(ops[i].name, name) == 0)
            return &ops[i];
    }
    return NULL;
}

/* 1 when `p` is relative and has no ".." component. */
static int path_is_safe(const char *p)
{
    if (p[0] == '/')
        return 0;
    for (const char *c = p; *c;) {
        size_t n = strcspn(c, "/");
        if (n == 2 && c[0] == '.' && c[1] == '.')
            return 0;
        c += n;
        if (*c == '/')
            c++;
    }
    return 1;
}

int query_arg_check(const struct query_arg_info *a, const char *value)
{
    size_t len = strlen(value);
    if (!pith_utf8_valid(value, len))
        return pith_error_set(PITH_EUSAGE, "'%s' is not valid UTF-8", a->name);
    if (len >= QUERY_ARG_MAX)
        return pith_error_set(PITH_EUSAGE, "'%s' is longer than %d bytes", a->name,
                              QUERY_ARG_MAX - 1);
    if (a->flag && a->type != QUERY_ARG_INT && value[0] == '-')
        return pith_error_set(PITH_EUSAGE, "'%s' must not start with '-'", a->name);
    if ((strcmp(a->name, "path") == 0 || strcmp(a->name, "file") == 0 ||
         strcmp(a->name, "files") == 0) &&
        !path_is_safe(value))
        return pith_error_set(
            PITH_EUSAGE, "'%s' must be relative to the repository root, without '..'", a->name);
    return 0;
}
