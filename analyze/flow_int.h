/* analyze/-private: the per-function flow layers built from the statement IR (cfg.c, dfg.c,
 * pdg.c; driven by ir.c). One struct flow per function, every array in the caller's arena. */
#ifndef PITH_ANALYZE_FLOW_INT_H
#define PITH_ANALYZE_FLOW_INT_H

#include "common/mem.h"
#include "schemas/flow.pb-c.h"
#include "schemas/ir.pb-c.h"

#include <stddef.h>
#include <stdint.h>

/* Functions larger than this many CFG nodes get a CFG but no def-use or dependence layers
 * (the bit sets of reaching definitions grow with nodes x definitions). */
#define FLOW_MAX_NODES 6000

/* The pseudo-variable a raise/throw node defines and every handler uses, so that the data
 * dependence "thrown value -> catch parameter" exists (a slice through `e` reaches the throw). */
#define FLOW_EXCEPTION "(exception)"

struct flow_node {
    uint32_t kind; /* Pith__FlowNodeKind */
    uint32_t line, end_line, ir;
    char **defs, **uses;
    size_t n_defs, n_uses;
    const char *text;
    uint32_t block, ipdom;
};

struct flow_edge {
    uint32_t src, dst, kind; /* kind: Pith__FlowEdgeKind */
};

struct flow {
    const Pith__FunctionIr *ir;
    struct pith_arena *a;
    PITH_VEC(struct flow_node) nodes; /* [0] unused; 1 = ENTRY, 2 = EXIT */
    PITH_VEC(struct flow_edge) edges;
    PITH_VEC(uint32_t) params; /* PARAM node ids */
    PITH_VEC(Pith__FlowCall *) calls;
    PITH_VEC(Pith__DefUse *) du;
    PITH_VEC(Pith__ControlDep *) cd;
    uint32_t complexity, cyclomatic, blocks;
};

#define FLOW_ENTRY 1u
#define FLOW_EXIT  2u

/* Builds the CFG of `ir` into `f` (initialised here; release with flow_release), computes the
 * basic blocks and both complexities. `bodies` (count `nbodies`) resolve IR_DEF.func for the
 * python3-mccabe count, which adds nested functions' complexity to the enclosing one. */
void cfg_build(struct flow *f,
               struct pith_arena *a,
               const Pith__FunctionIr *ir,
               Pith__FunctionIr *const *bodies,
               size_t nbodies);
void flow_release(struct flow *f);

/* python3-mccabe's complexity of body `ir` (see cfg.c for the counting rules). */
uint32_t cfg_mccabe(const Pith__FunctionIr *ir, Pith__FunctionIr *const *bodies, size_t nbodies);

/* Reaching definitions over f's CFG -> f->du (def-use chains, access paths by prefix). */
void dfg_solve(struct flow *f);

/* Post-dominator tree (Cooper-Harvey-Kennedy on the reverse CFG) -> nodes' ipdom, then control
 * dependence (Ferrante-Ottenstein-Warren) -> f->cd. */
void pdg_build(struct flow *f);

/* Packs `f` into a FunctionFlow message allocated in f->a. */
Pith__FunctionFlow *flow_to_proto(struct flow *f);

#endif
