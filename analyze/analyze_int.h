/* Declarations private to analyze/ (see analyze.h for the stage's interface). */
#ifndef PITH_ANALYZE_ANALYZE_INT_H
#define PITH_ANALYZE_ANALYZE_INT_H

#include "schemas/graph.pb-c.h"

/* The total order of Graph.edges: (caller, line, col, callee, kind, callee_name, confidence,
 * reason). Total, so that sorting parts and merging equals sorting the whole. */
int analyze_edge_cmp(const Pith__Edge *x, const Pith__Edge *y);

#endif
