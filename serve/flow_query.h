/* The flow operations of the query engine (serve stage): cfg NAME, dfg NAME and
 * slice FILE:LINE [--var V] [--forward] [--interprocedural], as text, --json or --dot, from the
 * FunctionFlow of each function's cold record. query.c hands them over. Folder-private. */
#ifndef PITH_SERVE_FLOW_QUERY_H
#define PITH_SERVE_FLOW_QUERY_H

#include "common/buf.h"
#include "serve/query.h"

struct pith_index;

/* Functions an interprocedural slice loads at most (callers and callees, breadth first). */
#define QUERY_SLICE_PROCS_MAX 256

/* query_parse for cfg, dfg and slice (argv[0] is OP; out->op is set): one positional NAME
 * (cfg, dfg) or FILE:LINE (slice) in out->arg; --var V (into out->arg2), --forward,
 * --interprocedural (out->slice bits), --dot, --json, -i PATH. Returns 0 or PITH_EUSAGE. */
int q_flow_parse(struct query_req *out, int argc, char *const *argv);

/* query_run for cfg, dfg and slice; same contract. PITH_ENOTFOUND also when the function has
 * no flow layers (a class, a module, a lambda) or FILE:LINE is in no function. */
int q_flow_run(struct pith_buf *out, const struct pith_index *ix, const struct query_req *req);

#endif
