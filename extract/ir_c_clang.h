/* C and C++ lowering to the common statement IR (schemas/ir.proto): one FunctionIr per
 * function definition walked by the libclang front end (lang_c_clang.c), built while the
 * translation unit is alive; the front end sets FunctionIr.symbol when it numbers symbols. */
#ifndef PITH_EXTRACT_IR_C_CLANG_H
#define PITH_EXTRACT_IR_C_CLANG_H

#include "common/mem.h"
#include "schemas/facts.pb-c.h"

#include <clang-c/Index.h>
#include <stddef.h>

/* Statements nested deeper than this are lowered as one simple statement; expressions deeper
 * than IR_C_EXPR_DEPTH contribute no more uses. */
#define IR_C_STMT_DEPTH 200
#define IR_C_EXPR_DEPTH 200
/* Expression nodes lowered per function, all statements together: past it, a function contributes
 * no more uses or calls. A guard against a walk that is superlinear on some input (a hang); no
 * real function comes near (SQLite's largest: 14,685; googletest's: under 500). */
#define IR_C_EXPR_WORK ((size_t)1 << 20)
/* Most defs, uses or calls recorded per statement; a call's arguments beyond this are dropped. */
#define IR_C_LIST_CAP 256

/* The lowering's working memory: blocks kept from one function to the next (zero-initialised
 * is empty); freed by ir_c_scratch_release. */
struct ir_c_scratch {
    struct ir_c_block *first, *cur;
};

void ir_c_scratch_release(struct ir_c_scratch *s);

/* Lowers the body of function definition `fn` of unit `tu` (arena-allocated in `arena`; symbol
 * left 0). The lowering works in `scratch` and copies only the result (exact-size arrays, each
 * distinct string once) into `arena`; `scratch` is rewound before returning. `params` are the
 * parameter names (`n_params`). Line numbers are expansion lines (a statement written by a macro is
 * attributed to the line of the macro's use); calls carry the expansion line and 0-based column of
 * the call expression, as the front end's CallSites do. FunctionIr.complexity is pmccabe's modified
 * complexity of what the function's text shows (docs/C.md). Returns NULL when `fn` has no body. */
Pith__FunctionIr *ir_c_lower(struct pith_arena *arena,
                             struct ir_c_scratch *scratch,
                             CXTranslationUnit tu,
                             CXCursor fn,
                             const char *const *params,
                             size_t n_params);

#endif
