/* The pyresolve fixture through pith-extract and pith-analyze: the edge set must equal
 * tests/fixtures/pyresolve/expected_edges.txt exactly (missing and extra edges both fail). */
#include "tests/harness/harness.h"

#include "analyze/analyze.h"
#include "common/file.h"
#include "common/mem.h"
#include "common/stagefile.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *build_dir(void)
{
    const char *b = getenv("PITH_BUILD");
    return b && b[0] ? b : "build";
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Splits `text` (modified) into sorted lines, skipping blank and '#' lines. */
static size_t split_lines(char *text, char ***out)
{
    size_t n = 0, cap = 64;
    char **v = pith_xmalloc(cap * sizeof *v);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (!line[0] || line[0] == '#')
            continue;
        if (n == cap) {
            cap *= 2;
            v = pith_xrealloc(v, cap * sizeof *v);
        }
        v[n++] = line;
    }
    qsort(v, n, sizeof *v, cmp_str);
    *out = v;
    return n;
}

static Pith__Graph *read_graph(const char *path)
{
    struct pith_stage_reader r;
    const uint8_t *rec;
    size_t len;
    Pith__Graph *g = NULL;
    if (pith_stage_reader_open(&r, path, PITH_STAGE_GRAPH) < 0)
        return NULL;
    if (pith_stage_reader_next(&r, &rec, &len) == 1)
        g = pith__graph__unpack(NULL, len, rec);
    pith_stage_reader_release(&r);
    return g;
}

PITH_TEST(analyze_pyresolve_fixture_edges_exact)
{
    const char *tmp = pith_test_tmpdir();
    char cmd[2048], facts[512], graph[512], expected_path[512];
    snprintf(facts, sizeof facts, "%s/facts.pstg", tmp);
    snprintf(graph, sizeof graph, "%s/graph.pstg", tmp);
    snprintf(expected_path, sizeof expected_path, "%s/pyresolve/expected_edges.txt",
             pith_test_fixtures());

    snprintf(cmd, sizeof cmd, "%s/pith-extract", build_dir());
    if (access(cmd, X_OK) != 0) {
        pith_test_fail(__FILE__, __LINE__, "%s is missing: build it first (make)", cmd);
        return;
    }
    snprintf(cmd, sizeof cmd, "%s/pith-extract %s/pyresolve -o %s >/dev/null", build_dir(),
             pith_test_fixtures(), facts);
    CHECK_EQ_INT(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/pith-analyze %s -o %s", build_dir(), facts, graph);
    CHECK_EQ_INT(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/pith-analyze --dump %s >/dev/null", build_dir(), graph);
    CHECK_EQ_INT(system(cmd), 0);

    Pith__Graph *g = read_graph(graph);
    CHECK(g != NULL);
    if (!g)
        return;
    struct pith_buf got = PITH_BUF_INIT, want = PITH_BUF_INIT;
    analyze_edge_lines(&got, g);
    CHECK_EQ_INT(pith_file_read(&want, expected_path, 1 << 20), 0);

    char **gl, **wl;
    size_t gn = split_lines(got.ptr ? got.ptr : (char *)"", &gl);
    size_t wn = split_lines(want.ptr ? want.ptr : (char *)"", &wl);
    size_t i = 0, j = 0, missing = 0, extra = 0;
    while (i < gn || j < wn) {
        int c = i == gn ? 1 : j == wn ? -1 : strcmp(gl[i], wl[j]);
        if (c == 0) {
            i++, j++;
        } else if (c < 0) {
            fprintf(stderr, "  + %s   (extra: not in expected_edges.txt)\n", gl[i++]);
            extra++;
        } else {
            fprintf(stderr, "  - %s   (missing)\n", wl[j++]);
            missing++;
        }
    }
    CHECK_EQ_INT(missing, 0);
    CHECK_EQ_INT(extra, 0);
    CHECK_EQ_INT(gn, wn);

    /* every edge of this fixture is attributed to a known symbol and has a sane confidence */
    for (size_t k = 0; k < g->n_edges; k++) {
        const Pith__Edge *e = g->edges[k];
        CHECK(e->caller >= 1 && e->caller <= g->n_symbols);
        CHECK(e->confidence <= 1000);
        if (e->kind == PITH__EDGE_KIND__EDGE_EXTERNAL ||
            e->kind == PITH__EDGE_KIND__EDGE_UNRESOLVED)
            CHECK_EQ_INT(e->callee, 0);
        if (e->kind == PITH__EDGE_KIND__EDGE_UNRESOLVED)
            CHECK(e->reason && e->reason[0]);
        if (k > 0) {
            const Pith__Edge *p = g->edges[k - 1];
            CHECK(p->caller < e->caller || (p->caller == e->caller && p->line <= e->line));
        }
    }
    free(gl);
    free(wl);
    pith_buf_release(&got);
    pith_buf_release(&want);
    pith__graph__free_unpacked(g, NULL);
}

PITH_TEST(analyze_cli_usage_and_bad_input)
{
    const char *tmp = pith_test_tmpdir();
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s/pith-analyze >/dev/null 2>&1", build_dir());
    int rc = system(cmd);
    CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 2);
    snprintf(cmd, sizeof cmd, "%s/pith-analyze --help >/dev/null 2>&1", build_dir());
    rc = system(cmd);
    CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
    /* a file that is not a facts stage file: fatal */
    char bad[512];
    snprintf(bad, sizeof bad, "%s/bad.pstg", tmp);
    CHECK_EQ_INT(pith_file_write_atomic(bad, "PITHSTG1garbage", 15), 0);
    snprintf(cmd, sizeof cmd, "%s/pith-analyze %s -o %s/g.pstg >/dev/null 2>&1", build_dir(), bad,
             tmp);
    rc = system(cmd);
    CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 3);
    snprintf(cmd, sizeof cmd, "%s/pith-analyze --dump %s >/dev/null 2>&1", build_dir(), bad);
    rc = system(cmd);
    CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 3);
}
