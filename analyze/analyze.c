/* pith-analyze driver logic: facts.pstg -> resolve (callgraph.c) -> graph.pstg, and the
 * deterministic text dump of a graph. */
#include "analyze.h"

#include "common/err.h"
#include "common/mem.h"
#include "common/stagefile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const kind_names[] = {
    "none",      "direct",   "import",     "method",  "inherited", "constructor",
    "ambiguous", "external", "unresolved", "virtual", "indirect",
};

const char *analyze_edge_kind_name(int kind)
{
    if (kind < 0 || (size_t)kind >= sizeof kind_names / sizeof *kind_names)
        return "?";
    return kind_names[kind];
}

static const char *sym_kind_name(int kind)
{
    switch (kind) {
    case PITH__SYMBOL_KIND__SYMBOL_MODULE:
        return "module";
    case PITH__SYMBOL_KIND__SYMBOL_CLASS:
        return "class";
    case PITH__SYMBOL_KIND__SYMBOL_FUNCTION:
        return "function";
    case PITH__SYMBOL_KIND__SYMBOL_METHOD:
        return "method";
    case PITH__SYMBOL_KIND__SYMBOL_NESTED:
        return "nested";
    case PITH__SYMBOL_KIND__SYMBOL_LAMBDA:
        return "lambda";
    default:
        return "?";
    }
}

static const char *qualname_of(const Pith__Graph *g, uint32_t id)
{
    if (id == 0 || id > g->n_symbols)
        return "-";
    return g->symbols[id - 1]->qualname;
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

void analyze_dump(struct pith_buf *out, const Pith__Graph *g)
{
    pith_buf_printf(out, "graph files=%zu symbols=%zu edges=%zu\n", g->n_files, g->n_symbols,
                    g->n_edges);
    for (size_t i = 0; i < g->n_files; i++) {
        const Pith__GFile *f = g->files[i];
        pith_buf_printf(out, "file %zu %s module=%s status=%d", i + 1, nz(f->path), nz(f->module),
                        (int)f->status);
        if (f->skip_reason && f->skip_reason[0])
            pith_buf_printf(out, " reason=\"%s\"", f->skip_reason);
        pith_buf_putc(out, '\n');
    }
    for (size_t i = 0; i < g->n_symbols; i++) {
        const Pith__GSymbol *s = g->symbols[i];
        pith_buf_printf(out, "sym %zu %s %s L%u-%u parent=%u", i + 1, sym_kind_name(s->kind),
                        nz(s->qualname), s->start_line, s->end_line, s->parent);
        if (s->n_base_ids) {
            pith_buf_puts(out, " bases=");
            for (size_t k = 0; k < s->n_base_ids; k++)
                pith_buf_printf(out, "%s%s", k ? "," : "", qualname_of(g, s->base_ids[k]));
        }
        pith_buf_putc(out, '\n');
    }
    for (size_t i = 0; i < g->n_edges; i++) {
        const Pith__Edge *e = g->edges[i];
        pith_buf_printf(out, "edge %s -> %s %s %u L%u:%u name=%s", qualname_of(g, e->caller),
                        e->callee ? qualname_of(g, e->callee) : "-",
                        analyze_edge_kind_name(e->kind), e->confidence, e->line, e->col,
                        nz(e->callee_name));
        if (e->reason && e->reason[0])
            pith_buf_printf(out, " reason=\"%s\"", e->reason);
        pith_buf_putc(out, '\n');
    }
}

void analyze_edge_lines(struct pith_buf *out, const Pith__Graph *g)
{
    for (size_t i = 0; i < g->n_edges; i++) {
        const Pith__Edge *e = g->edges[i];
        pith_buf_printf(out, "%s -> %s %s %u\n", qualname_of(g, e->caller),
                        e->callee ? qualname_of(g, e->callee) : nz(e->callee_name),
                        analyze_edge_kind_name(e->kind), e->line);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int analyze_run(const struct analyze_opts *opts)
{
    struct pith_stage_reader r;
    PITH_VEC(Pith__FileFacts *) facts = { 0 };
    struct analyze_graph *g = NULL;
    int bad = 0, err;
    double t0 = now_s();

    err = pith_stage_reader_open(&r, opts->facts_path, PITH_STAGE_FACTS);
    if (err < 0)
        return err;
    for (;;) {
        const uint8_t *rec;
        size_t len;
        err = pith_stage_reader_next(&r, &rec, &len);
        if (err < 0)
            goto out;
        if (err == 0)
            break;
        Pith__FileFacts *ff = pith__file_facts__unpack(NULL, len, rec);
        if (!ff) {
            fprintf(stderr, "pith-analyze: record %zu of %s is not a FileFacts message; skipped\n",
                    facts.count + (size_t)bad + 1, opts->facts_path);
            bad++;
            continue;
        }
        pith_vec_push(&facts, ff);
    }
    double t1 = now_s();
    analyze_graph_build(&g, facts.items, facts.count, opts->repo_root);
    double t2 = now_s();

    size_t len = pith__graph__get_packed_size(&g->graph);
    uint8_t *buf = pith_xmalloc(len ? len : 1);
    pith__graph__pack(&g->graph, buf);
    struct pith_stage_writer w;
    pith_stage_writer_init(&w, PITH_STAGE_GRAPH);
    pith_stage_writer_add(&w, buf, len);
    free(buf);
    err = pith_stage_writer_finish(&w, opts->out_path);
    pith_stage_writer_release(&w);
    if (err < 0)
        goto out;
    if (opts->stats) {
        size_t per_kind[16] = { 0 };
        for (size_t i = 0; i < g->graph.n_edges; i++)
            per_kind[g->graph.edges[i]->kind & 15]++;
        fprintf(stderr,
                "files %zu, symbols %zu, edges %zu; read %.3f s, resolve %.3f s, write %.3f s\n",
                g->graph.n_files, g->graph.n_symbols, g->graph.n_edges, t1 - t0, t2 - t1,
                now_s() - t2);
        for (int k = 1; k < 11; k++) {
            if (per_kind[k])
                fprintf(stderr, "  %-11s %zu\n", analyze_edge_kind_name(k), per_kind[k]);
        }
    }
    err = bad ? 1 : 0;
out:
    analyze_graph_free(g);
    for (size_t i = 0; i < facts.count; i++)
        pith__file_facts__free_unpacked(facts.items[i], NULL);
    pith_vec_release(&facts);
    pith_stage_reader_release(&r);
    return err;
}

int analyze_dump_file(struct pith_buf *out, const char *path)
{
    struct pith_stage_reader r;
    const uint8_t *rec;
    size_t len;
    int err = pith_stage_reader_open(&r, path, PITH_STAGE_GRAPH);
    if (err < 0)
        return err;
    err = pith_stage_reader_next(&r, &rec, &len);
    if (err == 0)
        err = PITH_CORRUPT("%s holds no graph record", path);
    if (err < 0)
        goto out;
    Pith__Graph *g = pith__graph__unpack(NULL, len, rec);
    if (!g) {
        err = PITH_CORRUPT("%s: graph record does not decode", path);
        goto out;
    }
    analyze_dump(out, g);
    pith__graph__free_unpacked(g, NULL);
    err = 0;
out:
    pith_stage_reader_release(&r);
    return err;
}
