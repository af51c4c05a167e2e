/* Python lowering to the common statement IR (schemas/ir.proto): one FunctionIr per function
 * body of a tree-sitter-python tree, called by the Python front end after its symbol walk. */
#ifndef PITH_EXTRACT_IR_PYTHON_H
#define PITH_EXTRACT_IR_PYTHON_H

#include "common/mem.h"
#include "schemas/facts.pb-c.h"

#include <stddef.h>
#include <tree_sitter/api.h>

/* Statements nested deeper than this are lowered as one simple statement; expressions deeper
 * than IR_PYTHON_EXPR_DEPTH contribute no more uses. */
#define IR_PYTHON_STMT_DEPTH 200
#define IR_PYTHON_EXPR_DEPTH 200
/* Most defs, uses or calls recorded per statement; a call's arguments beyond this are dropped. */
#define IR_PYTHON_LIST_CAP 256

/* Node-kind tables for one tree-sitter-python language (caller owns; free with
 * ir_python_free). Never NULL. */
struct ir_python;
struct ir_python *ir_python_new(const TSLanguage *lang);
void ir_python_free(struct ir_python *ir);

/* Lowers every function_definition under `root` whose position matches a function, method or
 * nested-function symbol of `syms` (`count` symbols, ids 1..count, in source pre-order) into
 * out->bodies (arena-allocated, FunctionIr.symbol = the symbol id). `src` is the parsed text. */
void ir_python_lower(struct ir_python *ir,
                     struct pith_arena *arena,
                     Pith__FileFacts *out,
                     TSNode root,
                     const char *src,
                     uint32_t len,
                     Pith__Symbol *syms,
                     size_t count);

#endif
