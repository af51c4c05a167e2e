/* pith-analyze's flow layers: the CFG, def-use chains and control dependence of every
 * function body lowered to the statement IR (FileFacts.bodies), attached to GSymbol.flow. */
#ifndef PITH_ANALYZE_IR_H
#define PITH_ANALYZE_IR_H

#include "common/buf.h"
#include "schemas/facts.pb-c.h"
#include "schemas/flow.pb-c.h"
#include "schemas/graph.pb-c.h"

#include <stddef.h>

/* Storage of the attached flows (free with ir_flows_free after the graph is written). */
struct ir_flows;

/* Builds the flow layers of every body in `facts` (`count` records, the ones `g` was built
 * from) on `jobs` threads and sets GSymbol.flow of the matching graph symbols (files matched
 * by path, symbols by FileFacts order). Caller owns *out. */
void ir_flows_attach(
    struct ir_flows **out, Pith__Graph *g, Pith__FileFacts *const *facts, size_t count, int jobs);
void ir_flows_free(struct ir_flows *fl);

/* Appends the deterministic text view of one FunctionFlow: complexity, nodes with their
 * blocks, ipdoms, defs and uses, typed edges, def-use chains and control dependences. */
void ir_flow_dump(struct pith_buf *out, const Pith__FunctionFlow *f);

/* The lower-case name of a FlowEdgeKind ("true", "back") and of a FlowNodeKind. */
const char *ir_edge_kind_name(int kind);
const char *ir_node_kind_name(int kind);

#endif
