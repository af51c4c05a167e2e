/* Program slicing over the stored flow layers (schemas/flow.proto): intraprocedural slices on
 * one function's PDG and interprocedural slices on a system dependence graph built from several
 * functions' PDGs and their resolved calls (Horwitz, Reps and Binkley, "Interprocedural slicing
 * using dependence graphs", TOPLAS 1990: two-phase traversal, summary edges). Pure: no index. */
#ifndef PITH_SERVE_FLOW_SLICE_H
#define PITH_SERVE_FLOW_SLICE_H

#include "schemas/flow.pb-c.h"

#include <stddef.h>
#include <stdint.h>

/* A call of a procedure resolved to another procedure of the set. */
struct flow_callee {
    uint32_t line, col; /* the call site, as FlowCall.line/col */
    uint32_t proc;      /* index into the procs array */
};

struct flow_proc {
    const Pith__FunctionFlow *flow; /* NULL: a procedure without flow (never entered) */
    const struct flow_callee *callees;
    size_t n_callees;
};

enum {
    FLOW_SLICE_FORWARD = 1, /* forward slice (else backward) */
    FLOW_SLICE_INTER = 2    /* through calls (else only procs[start]) */
};

/* Slices from the nodes of procs[start] at `line` (optionally only through variable `var`,
 * NULL for all). On return marks[k][n] (k < n_procs, n in 1..nodes of procs[k]) is 1 for every
 * node in the slice; `marks` is caller-allocated: one array of nodes + 1 bytes per proc,
 * zeroed. Returns the number of seed nodes (0: no node at `line`, nothing marked). */
size_t flow_slice(uint8_t **marks,
                  const struct flow_proc *procs,
                  size_t n_procs,
                  size_t start,
                  uint32_t line,
                  const char *var,
                  unsigned flags);

#endif
