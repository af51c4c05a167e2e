/* C and C++ lowering to the common statement IR from tree-sitter-c/-cpp trees: the fallback
 * front end (lang_c_ts.c, no compilation database) lowers each function definition it records.
 * Same IR as ir_c_clang.c, read from the text as written: no macro expansion, no types. */
#ifndef PITH_EXTRACT_IR_C_TS_H
#define PITH_EXTRACT_IR_C_TS_H

#include "common/mem.h"
#include "schemas/facts.pb-c.h"

#include <stddef.h>
#include <tree_sitter/api.h>

#define IR_C_TS_STMT_DEPTH 200
#define IR_C_TS_EXPR_DEPTH 200
#define IR_C_TS_LIST_CAP   256

/* Lowers function_definition `fn` of a tree over `src` (`len` bytes) into a FunctionIr
 * allocated in `arena` (symbol left 0; params from the declarator). Calls carry the line and
 * 0-based column of the call_expression, as lang_c_ts.c's CallSites. `cpp`: a tree-sitter-cpp
 * tree. FunctionIr.complexity is pmccabe's modified count of the text (the first branch of a
 * #if inside the body, as pmccabe reads it; the other branches are not lowered either).
 * Returns NULL when `fn` has no body. */
Pith__FunctionIr *
ir_c_ts_lower(struct pith_arena *arena, TSNode fn, const char *src, uint32_t len, int cpp);

#endif
