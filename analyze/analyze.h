/* pith-analyze: FileFacts of every file (facts.pstg) -> one Graph record (graph.pstg) with the
 * global symbol table and the resolved Python call graph. */
#ifndef PITH_ANALYZE_ANALYZE_H
#define PITH_ANALYZE_ANALYZE_H

#include "common/buf.h"
#include "schemas/facts.pb-c.h"
#include "schemas/graph.pb-c.h"

#include <stddef.h>
#include <stdint.h>

/* A resolved graph. `graph` borrows strings and params from the FileFacts it was built from
 * and from private storage; free with analyze_graph_free. */
struct analyze_graph {
    Pith__Graph graph;
    struct analyze_graph_store *store;
    double phase_s[4]; /* seconds spent: tables, classes, call sites, sorting + graph */
};

/* Builds the graph of `facts` (`count` records, any order; borrowed: they must outlive the
 * result), resolving call sites on `jobs` threads (< 1: one). Files are ordered by path,
 * symbols by file then FileFacts order, edges by (caller, line, col, callee, kind,
 * callee_name); the result is the same for any `jobs` and any order of `facts`. `repo_root`
 * may be NULL. Never fails: what cannot be resolved becomes an unresolved edge. Caller owns
 * *out. */
void analyze_graph_build(struct analyze_graph **out,
                         Pith__FileFacts *const *facts,
                         size_t count,
                         const char *repo_root,
                         int jobs);
void analyze_graph_free(struct analyze_graph *g);

/* Serializes `g` into `out` (cleared first): the same bytes as pith__graph__pack, with the
 * elements sized and packed on `jobs` threads (< 1: one). */
void analyze_graph_pack(struct pith_buf *out, const Pith__Graph *g, int jobs);

/* The lower-case name of an edge kind ("method"), "?" when unknown. */
const char *analyze_edge_kind_name(int kind);

/* Appends the deterministic text view of `g` (symbols, then edges) to `out`. */
void analyze_dump(struct pith_buf *out, const Pith__Graph *g);

/* Appends one line per edge, "caller -> callee kind line\n", in edge order; callee is the
 * callee's qualname or, for edges without a callee symbol, callee_name. */
void analyze_edge_lines(struct pith_buf *out, const Pith__Graph *g);

struct analyze_opts {
    const char *facts_path;
    const char *out_path;
    const char *repo_root; /* NULL: none recorded */
    int stats;             /* print counts per edge kind and timing to stderr */
    int jobs;              /* threads; 0: the CPUs available to the process */
};

/* Reads the facts stage file, resolves and writes the graph stage file atomically.
 * Returns 0, 1 when some records could not be decoded (skipped, logged), or a negative
 * PITH_E* code (pith_error_last() says why). */
int analyze_run(const struct analyze_opts *opts);

/* Reads a graph stage file and appends its dump to `out`. Returns 0, PITH_ENOTFOUND, PITH_EIO
 * or PITH_ECORRUPT. */
int analyze_dump_file(struct pith_buf *out, const char *path);

#endif
