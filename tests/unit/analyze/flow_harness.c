/* The flow-layer test harness (flow_harness.h). */
#include "tests/unit/analyze/flow_harness.h"

#include "analyze/flow_int.h"
#include "common/buf.h"
#include "common/file.h"
#include "extract/compdb.h"
#include "extract/lang_c.h"
#include "extract/lang_python.h"
#include "serve/flow_slice.h"
#include "tests/harness/harness.h"

#include <stdlib.h>
#include <string.h>

#define MAX_LINE 4096 /* slice lines beyond it are not reported */

static void build(struct test_flows *fs, int by_name)
{
    fs->count = fs->ff->n_bodies;
    fs->flow = calloc(fs->count + 1, sizeof *fs->flow);
    fs->name = calloc(fs->count + 1, sizeof *fs->name);
    for (size_t i = 0; i < fs->count; i++) {
        struct flow f;
        const Pith__FunctionIr *ir = fs->ff->bodies[i];
        cfg_build(&f, &fs->arena, ir, fs->ff->bodies, fs->ff->n_bodies);
        dfg_solve(&f);
        pdg_build(&f);
        fs->flow[i] = flow_to_proto(&f);
        flow_release(&f);
        const Pith__Symbol *sym = fs->ff->symbols[ir->symbol - 1];
        fs->name[i] = by_name ? sym->name : sym->qualname;
    }
}

void test_flows_open_py(struct test_flows *fs, const char *src)
{
    struct pith_buf b = PITH_BUF_INIT;
    memset(fs, 0, sizeof *fs);
    pith_arena_init(&fs->arena);
    extract_python_buffer((const unsigned char *)src, strlen(src), &b);
    fs->ff = pith__file_facts__unpack(NULL, b.len, (const uint8_t *)b.ptr);
    pith_buf_release(&b);
    CHECK(fs->ff != NULL);
    if (fs->ff)
        build(fs, 0);
}

void test_flows_open_c(
    struct test_flows *fs, const char *name, const char *src, const char *cc, int by_name)
{
    memset(fs, 0, sizeof *fs);
    pith_arena_init(&fs->arena);
    const char *dir = pith_test_tmpdir();
    struct pith_buf p = PITH_BUF_INIT, db = PITH_BUF_INIT;
    pith_buf_printf(&p, "%s/%s", dir, name);
    CHECK_EQ_INT(pith_file_write_atomic(p.ptr, src, strlen(src)), 0);
    pith_buf_printf(&db,
                    "[{\"directory\":\"%s\",\"file\":\"%s\",\"arguments\":[\"%s\",\"-c\",\"%s\"]}]",
                    dir, name, cc, name);
    pith_buf_clear(&p);
    pith_buf_printf(&p, "%s/compile_commands.json", dir);
    CHECK_EQ_INT(pith_file_write_atomic(p.ptr, db.ptr, db.len), 0);
    struct compdb cdb = { 0 };
    CHECK_EQ_INT(compdb_load(&cdb, p.ptr), 0);
    struct c_records recs = { 0 };
    lang_c_clang_run(&recs, dir, &cdb, 1);
    for (size_t i = 0; i < recs.count; i++) {
        if (strcmp(recs.items[i].path, name) == 0)
            fs->ff = pith__file_facts__unpack(NULL, recs.items[i].facts.len,
                                              (const uint8_t *)recs.items[i].facts.ptr);
    }
    c_records_release(&recs);
    compdb_release(&cdb);
    pith_buf_release(&p);
    pith_buf_release(&db);
    CHECK(fs->ff != NULL);
    if (fs->ff)
        build(fs, by_name);
}

void test_flows_close(struct test_flows *fs)
{
    if (fs->ff)
        pith__file_facts__free_unpacked(fs->ff, NULL);
    pith_arena_release(&fs->arena);
    free(fs->flow);
    free(fs->name);
}

const Pith__FunctionFlow *test_flow_named(const struct test_flows *fs, const char *name)
{
    for (size_t i = 0; i < fs->count; i++) {
        if (strcmp(fs->name[i], name) == 0)
            return fs->flow[i];
    }
    return NULL;
}

int test_flow_has_edge(const Pith__FunctionFlow *f,
                       uint32_t src_line,
                       const char *src_text,
                       uint32_t dst_line,
                       int kind)
{
    for (size_t i = 0; i < f->n_edges; i++) {
        const Pith__FlowNode *a = f->nodes[f->edges[i]->src - 1],
                             *b = f->nodes[f->edges[i]->dst - 1];
        if (a->line == src_line && (!src_text || strcmp(a->text, src_text) == 0) &&
            b->line == dst_line && (int)f->edges[i]->kind == kind)
            return 1;
    }
    return 0;
}

char *test_flows_slice(
    const struct test_flows *fs, const char *start, uint32_t line, const char *var, unsigned flags)
{
    size_t n = fs->count, si = 0;
    struct flow_proc *procs = calloc(n + 1, sizeof *procs);
    struct flow_callee *ce = calloc(1024, sizeof *ce);
    size_t nce = 0;
    uint8_t **marks = calloc(n + 1, sizeof *marks);
    for (size_t k = 0; k < n; k++) {
        procs[k].flow = fs->flow[k];
        procs[k].callees = ce + nce;
        for (size_t c = 0; c < fs->flow[k]->n_calls; c++) {
            const Pith__FlowCall *fc = fs->flow[k]->calls[c];
            for (size_t j = 0; j < n; j++) {
                if (strcmp(fs->name[j], fc->callee) == 0 && nce < 1024) {
                    struct flow_callee x = { fc->line, fc->col, (uint32_t)j };
                    ce[nce++] = x;
                    procs[k].n_callees++;
                }
            }
        }
        marks[k] = calloc(fs->flow[k]->n_nodes + 1, 1);
        if (strcmp(fs->name[k], start) == 0)
            si = k;
    }
    flow_slice(marks, procs, n, si, line, var, flags);
    struct pith_buf out = PITH_BUF_INIT;
    pith_buf_puts(&out, "");
    uint8_t *seen = malloc(MAX_LINE);
    for (size_t k = 0; k < n; k++) {
        memset(seen, 0, MAX_LINE);
        int any = 0;
        for (size_t i = 1; i <= fs->flow[k]->n_nodes; i++) {
            const Pith__FlowNode *nd = fs->flow[k]->nodes[i - 1];
            if (marks[k][i] && nd->kind != PITH__FLOW_NODE_KIND__FLOW_EXIT && nd->line < MAX_LINE)
                seen[nd->line] = 1;
        }
        for (uint32_t l = 0; l < MAX_LINE; l++) {
            if (!seen[l])
                continue;
            if (!any)
                pith_buf_printf(&out, "%s%s:%u", out.len ? ";" : "", fs->name[k], l);
            else
                pith_buf_printf(&out, ",%u", l);
            any = 1;
        }
        free(marks[k]);
    }
    free(seen);
    free(marks);
    free(procs);
    free(ce);
    char *s = strdup(out.ptr);
    pith_buf_release(&out);
    return s;
}
