/* extract/-private: the pieces every front end's lowering into the statement IR (schemas/ir.proto)
 * builds with — growable pointer lists and a statement under construction — so that
 * ir_python.c, ir_c_clang.c and ir_c_ts.c differ only in how they read their syntax trees. */
#ifndef PITH_EXTRACT_IR_BUILD_H
#define PITH_EXTRACT_IR_BUILD_H

#include "schemas/ir.pb-c.h"

#include <stddef.h>
#include <stdint.h>

/* A growable list of pointers (or of small integers stored as pointers: statement ids). */
struct ir_plist {
    void **items;
    size_t n, cap;
};

/* A statement under construction: its message and the lists that become its repeated fields. */
struct ir_stmt {
    Pith__IrStmt m;
    struct ir_plist defs, uses, calls, body, orelse, handlers, finalbody, kids, update;
};

/* Allocates `size` bytes (never NULL) from the lowering's memory `ctx`; nothing is freed
 * one by one. */
typedef void *(*ir_alloc_fn)(void *ctx, size_t size);

/* Appends `x` to `l`, growing it from `alloc`. */
void ir_plist_push(ir_alloc_fn alloc, void *ctx, struct ir_plist *l, void *x);

/* Appends the string `s` unless it is empty or NULL, already in `l`, or `l` holds `cap`. */
void ir_plist_add_str(ir_alloc_fn alloc, void *ctx, struct ir_plist *l, char *s, size_t cap);

/* A list of statement ids rewritten in place as the uint32_t array the message holds. */
uint32_t *ir_plist_ids(struct ir_plist *l);

/* Points s->m's repeated fields at the lists (statement-id lists rewritten in place as
 * uint32_t). */
void ir_stmt_finish(struct ir_stmt *s);

#endif
