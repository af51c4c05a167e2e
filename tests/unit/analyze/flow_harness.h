/* Shared by the flow-layer unit tests: a source file's functions lowered (Python through
 * extract/ir_python.c, C/C++ through libclang), each through cfg/dfg/pdg, and slices over them
 * with calls bound by callee name (in the pipeline the call graph binds IR calls to resolved
 * edges by line and column). */
#ifndef PITH_TESTS_FLOW_HARNESS_H
#define PITH_TESTS_FLOW_HARNESS_H

#include "common/mem.h"
#include "schemas/facts.pb-c.h"
#include "schemas/flow.pb-c.h"

#include <stddef.h>
#include <stdint.h>

struct test_flows {
    Pith__FileFacts *ff;
    struct pith_arena arena;
    Pith__FunctionFlow **flow; /* by body index */
    const char **name;         /* qualified names, or bare names (test_flows_open_c's by_name) */
    size_t count;
};

/* Python source `src`, functions named by qualified name. */
void test_flows_open_py(struct test_flows *fs, const char *src);

/* `src` written as `name` in a fresh folder with a compilation database whose compiler is `cc`
 * ("cc", "c++"), through libclang; functions named by bare name when `by_name`, else by
 * qualified name. */
void test_flows_open_c(
    struct test_flows *fs, const char *name, const char *src, const char *cc, int by_name);

void test_flows_close(struct test_flows *fs);

/* The flow of the function named `name`, or NULL. */
const Pith__FunctionFlow *test_flow_named(const struct test_flows *fs, const char *name);

/* Whether f has an edge of `kind` from a node on `src_line` (whose text is `src_text` unless
 * NULL) to a node on `dst_line`. */
int test_flow_has_edge(const Pith__FunctionFlow *f,
                       uint32_t src_line,
                       const char *src_text,
                       uint32_t dst_line,
                       int kind);

/* The slice from `line` of function `start` (flow_slice's var and flags) as
 * "name:l1,l2;name2:..." in body order; free() it. */
char *test_flows_slice(
    const struct test_flows *fs, const char *start, uint32_t line, const char *var, unsigned flags);

#endif
