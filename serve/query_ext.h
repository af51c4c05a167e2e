/* The query engine's second set of operations (serve stage): context and overview packed into a
 * token budget (context.c, overview.c), diff-impact and test detection (tests_detect.c,
 * diff_impact.c), dead/path/cycles and Graphviz output (graph_ops.c). query.c parses the common
 * operations and hands these to q_parse_ext / q_run_ext. Folder-private. */
#ifndef PITH_SERVE_QUERY_EXT_H
#define PITH_SERVE_QUERY_EXT_H

#include "common/buf.h"
#include "common/mem.h"
#include "serve/query.h"

#include <stddef.h>
#include <stdint.h>

struct pith_index;

typedef PITH_VEC(uint32_t) q_idvec;

/* ---- query.c --------------------------------------------------------------------------------- */

/* Resolves `name` as query_run does. Returns 0 with *id set; or, like query_run, writes the
 * not-found or ambiguous answer (for `req`'s op and json mode) to `out` and returns
 * PITH_ENOTFOUND or PITH_EAMBIGUOUS. */
int q_resolve_one(struct pith_buf *out,
                  const struct pith_index *ix,
                  const struct query_req *req,
                  const char *name,
                  uint32_t *id);

/* ---- graph_ops.c ----------------------------------------------------------------------------- */

/* query_parse for context, overview, diff-impact, dead, path and cycles (argv[0] is OP;
 * out->op is set). Returns 0 or PITH_EUSAGE. */
int q_parse_ext(struct query_req *out, int argc, char *const *argv);

/* query_run for the operations above; same contract. */
int q_run_ext(struct pith_buf *out, const struct pith_index *ix, const struct query_req *req);

/* The call neighbourhood of `ids[0, count)` as one Graphviz digraph: callers (req->op
 * QUERY_CALLERS or QUERY_IMPACT) or callees, req->depth levels, edges labelled with their
 * kind; at most QUERY_ENTRIES_MAX edges. */
void q_dot_walk(struct pith_buf *out,
                const struct pith_index *ix,
                const struct query_req *req,
                const uint32_t *ids,
                size_t count);

/* Strongly connected components of the resolved call graph with two or more members, or one
 * member that calls itself, by Tarjan's algorithm (iterative). `comp[id]` (ids 1..n, caller
 * sized n + 1) receives the component number, 0 for symbols in no such component; returns the
 * number of components. */
uint32_t q_cycles_compute(uint32_t *comp, const struct pith_index *ix);

/* The shortest call path FROM -> TO over resolved edges (BFS over callees); fills `out` with the
 * symbols FROM..TO and `kinds` with the edge kind into each (kinds[0] = 0). Returns the number
 * of symbols, 0 when TO is unreachable. */
size_t q_path_compute(
    q_idvec *out, q_idvec *kinds, const struct pith_index *ix, uint32_t from, uint32_t to);

/* Why symbol `id` is not reported by `dead` ("" when it is dead: no callers and none of the
 * exemptions). Static string. */
const char *q_dead_exemption(const struct pith_index *ix, uint32_t id);

/* ---- overview.c ------------------------------------------------------------------------------ */

/* PageRank over a graph of `n` nodes (0..n-1) with `m` directed edges src[i] -> dst[i]
 * (duplicates count as weight), damping `d`, dangling mass spread uniformly, iterated until the
 * L1 change is below 1e-10 or 100 rounds. `rank` (n entries) sums to 1. */
void q_pagerank(
    double *rank, uint32_t n, const uint32_t *src, const uint32_t *dst, size_t m, double d);

int q_overview(struct pith_buf *out, const struct pith_index *ix, const struct query_req *req);

/* ---- context.c ------------------------------------------------------------------------------- */

int q_context(struct pith_buf *out, const struct pith_index *ix, const struct query_req *req);

/* Reads repository file `rel` (a path from the index) under the MANIFEST's repo root into
 * `out`, refusing absolute paths, ".." components and anything whose real path leaves the root.
 * Sets *changed when the bytes' XXH3-64 differs from `hash`. Returns 0, PITH_ENOTFOUND (gone,
 * or outside the root) or PITH_EIO. */
int q_read_source(struct pith_buf *out,
                  int *changed,
                  const struct pith_index *ix,
                  const char *rel,
                  uint64_t hash);

/* ---- tests_detect.c -------------------------------------------------------------------------- */

enum q_test_role {
    Q_TEST_NONE = 0,
    Q_TEST_CASE,    /* a test the runner collects: test function or method */
    Q_TEST_CLASS,   /* a class holding test cases */
    Q_TEST_FIXTURE, /* set-up code every test of its class (or file) runs: setUp, class body,
                       module body of a test file */
    Q_TEST_SUPPORT  /* other code in test files (helpers): reaches tests through its callers */
};

/* The role of symbol `id` for its file's language (the detection table in tests_detect.c). */
enum q_test_role q_test_role(const struct pith_index *ix, uint32_t id);

/* 1 when `path` (language `language`, "" = from the extension) is a test file. */
int q_test_file(const char *language, const char *path);

/* The tests affected by a change of `roots[0, n)`: every test case that reaches one of them
 * through at most `depth` levels of callers, plus every test case of a class (file) whose set-up
 * code does. Appends sorted unique test case ids to `out`. Sets *truncated when the walk stopped
 * at 200000 symbols. */
void q_tests_affected(q_idvec *out,
                      int *truncated,
                      const struct pith_index *ix,
                      const uint32_t *roots,
                      size_t n,
                      unsigned depth);

/* Appends the test ids of `tests` in the runner's form to `out` as a JSON array of strings
 * (json) or one per line with two leading spaces: pytest "path::Class::test", Go
 * "pkg/dir:TestX", ... */
void q_tests_node_ids(struct pith_buf *out,
                      const struct pith_index *ix,
                      const q_idvec *tests,
                      int json);

/* Appends ready shell commands (one per runner, '\n'-terminated) that run `tests`:
 * `python -m pytest ID...`, `python -m unittest module.Class.test ...` (unittest cases),
 * `go test -run '^(TestA|TestB)$' ./pkg`, `cargo test NAME`, `mvn test -Dtest=...`,
 * `npx jest PATH -t NAME`. Nothing when `tests` is empty. */
void q_tests_commands(struct pith_buf *out, const struct pith_index *ix, const q_idvec *tests);

/* ---- diff_impact.c --------------------------------------------------------------------------- */

int q_diff_impact(struct pith_buf *out, const struct pith_index *ix, const struct query_req *req);

/* Parses `git diff -U0` output: appends (path, first line, last line) of each new-side hunk
 * (pure deletions give the line they follow, count 0 as one line) to `out` as
 * "path\tfirst\tlast\n" lines. Returns the number of hunks. */
size_t q_diff_hunks(struct pith_buf *out, const char *diff, size_t len);

#endif
