/* The query engine's operation table (serve stage): names, agent-facing descriptions and the
 * arguments of every operation, for the front ends that describe them (MCP, HTTP). Add an entry
 * here with each new operation; answer shapes are specified in docs/QUERIES.md. */
#include "serve/query.h"

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
            "files: [{path, count}], tests: [qualified names], counts: {symbols, files, tests, "
            "max_depth}, truncated}]}.",
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
            "the names they call. Use words an implementation would contain ('parse json "
            "config', 'retry backoff', 'load_registry'). Returns JSON {op, query, k, terms, "
            "total, hits: [{rank, score, symbol: {id, qualname, name, kind, file, line, "
            "end_line}, signature, summary, matched}]}; pass a hit's symbol.qualname to the "
            "other tools. No match gives hits: [] and total 0.",
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
        },
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
