/* C/C++ call resolution of pith-analyze: call sites of FileFacts.c_calls bound by USR (static
 * functions per translation unit, as their USRs say), C++ virtual calls to the static target
 * and every override, calls through function pointers to the functions whose address is
 * stored where the call reads it (kind indirect, lower confidence), and, for files parsed
 * without a compilation database, by name (marked so). */
#ifndef PITH_ANALYZE_CALLGRAPH_C_H
#define PITH_ANALYZE_CALLGRAPH_C_H

#include "schemas/facts.pb-c.h"
#include "schemas/graph.pb-c.h"

#include <stddef.h>

/* Confidences (per mille) of the edges made here. */
#define CG_C_CONF_VIRTUAL_OVERRIDE 700
#define CG_C_CONF_INDIRECT_SLOT    600 /* stored into the field/variable the call reads */
#define CG_C_CONF_INDIRECT_TYPE    300 /* only the function type matches */
#define CG_C_CONF_NAME_ONLY        700 /* no compilation database: matched by name */
#define CG_C_MAX_TYPE_CANDIDATES   64  /* more than this: one unresolved edge instead */

struct callgraph_c_stats {
    size_t files;     /* C/C++ files */
    size_t no_compdb; /* of which parsed without a compilation database */
    size_t edges;     /* edges added */
    size_t indirect;  /* of which indirect */
};

/* The C/C++ edges. */
struct callgraph_c;

/* Resolves the C/C++ call sites of `facts` (the records `g` was built from, any order) and
 * replaces g->edges with the union of g's edges and the new ones, in the graph's edge order
 * (caller, line, col, callee, kind, callee_name). Symbols of `g` must be numbered as
 * analyze_graph_build numbers them (files by path, then FileFacts order). The new array and
 * strings belong to *out (free with callgraph_c_free after the last use of g->edges); the
 * old array stays owned by whoever owned it. `stats` may be NULL. */
void callgraph_c_build(struct callgraph_c **out,
                       struct callgraph_c_stats *stats,
                       Pith__Graph *g,
                       Pith__FileFacts *const *facts,
                       size_t count);
void callgraph_c_free(struct callgraph_c *c);

#endif
