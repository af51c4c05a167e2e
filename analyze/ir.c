/* Drives the flow layers over all lowered function bodies (cfg.c, dfg.c, pdg.c) on worker
 * threads, one arena per thread, and attaches the results to the graph's symbols. */
#include "ir.h"

#include "flow_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct ir_flows {
    struct pith_arena *arenas;
    int count;
};

struct flow_job {
    Pith__Graph *g;
    Pith__FileFacts *const *facts;
    size_t count;
    size_t *first_sym; /* per graph file (1-based): index of its first symbol */
    atomic_size_t next;
};

struct flow_worker {
    struct flow_job *job;
    struct pith_arena *arena;
};

static size_t find_file(const Pith__Graph *g, const char *path)
{
    size_t lo = 0, hi = g->n_files;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(g->files[mid]->path ? g->files[mid]->path : "", path);
        if (c == 0)
            return mid + 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = 0; i < g->n_files; i++) { /* not sorted by strcmp: look everywhere */
        if (g->files[i]->path && strcmp(g->files[i]->path, path) == 0)
            return i + 1;
    }
    return 0;
}

static void do_file(struct flow_worker *w, const Pith__FileFacts *ff)
{
    Pith__Graph *g = w->job->g;
    if (!ff->n_bodies || !ff->path)
        return;
    size_t fi = find_file(g, ff->path);
    if (!fi)
        return;
    size_t base = w->job->first_sym[fi];
    for (size_t b = 0; b < ff->n_bodies; b++) {
        const Pith__FunctionIr *ir = ff->bodies[b];
        if (!ir->symbol || ir->symbol > ff->n_symbols)
            continue;
        size_t gi = base + ir->symbol - 1;
        if (gi >= g->n_symbols || g->symbols[gi]->file != fi)
            continue;
        Pith__GSymbol *gs = g->symbols[gi];
        const Pith__Symbol *fs = ff->symbols[ir->symbol - 1];
        if (gs->start_line != fs->start_line || gs->start_col != fs->start_col)
            continue;
        struct flow f;
        cfg_build(&f, w->arena, ir, ff->bodies, ff->n_bodies);
        dfg_solve(&f);
        pdg_build(&f);
        Pith__FunctionFlow *m = flow_to_proto(&f);
        size_t n = pith__function_flow__get_packed_size(m);
        gs->flow.data = pith_arena_alloc(w->arena, n ? n : 1);
        gs->flow.len = pith__function_flow__pack(m, gs->flow.data);
        flow_release(&f);
    }
}

static void *flow_main(void *arg)
{
    struct flow_worker *w = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&w->job->next, 1);
        if (i >= w->job->count)
            break;
        do_file(w, w->job->facts[i]);
    }
    return NULL;
}

void ir_flows_attach(
    struct ir_flows **out, Pith__Graph *g, Pith__FileFacts *const *facts, size_t count, int jobs)
{
    struct ir_flows *fl = pith_xcalloc(1, sizeof *fl);
    *out = fl;
    if (getenv("PITH_NO_FLOW")) /* benchmarks: index without the flow layers */
        return;
    if (jobs < 1)
        jobs = 1;
    if (jobs > 64)
        jobs = 64;
    struct flow_job job = { .g = g, .facts = facts, .count = count };
    job.first_sym = pith_xcalloc(g->n_files + 2, sizeof *job.first_sym);
    for (size_t i = g->n_symbols; i-- > 0;) {
        uint32_t f = g->symbols[i]->file;
        if (f && f <= g->n_files)
            job.first_sym[f] = i;
    }
    atomic_init(&job.next, 0);
    fl->count = jobs;
    fl->arenas = pith_xcalloc((size_t)jobs, sizeof *fl->arenas);
    struct flow_worker *ws = pith_xcalloc((size_t)jobs, sizeof *ws);
    pthread_t tids[64];
    int started = 1;
    for (int i = 0; i < jobs; i++) {
        pith_arena_init(&fl->arenas[i]);
        ws[i].job = &job;
        ws[i].arena = &fl->arenas[i];
    }
    for (int i = 1; i < jobs; i++) {
        if (pthread_create(&tids[i], NULL, flow_main, &ws[i]) != 0)
            break;
        started++;
    }
    flow_main(&ws[0]);
    for (int i = 1; i < started; i++)
        pthread_join(tids[i], NULL);
    free(ws);
    free(job.first_sym);
    *out = fl;
}

void ir_flows_free(struct ir_flows *fl)
{
    if (!fl)
        return;
    for (int i = 0; i < fl->count; i++)
        pith_arena_release(&fl->arenas[i]);
    free(fl->arenas);
    free(fl);
}

const char *ir_edge_kind_name(int kind)
{
    static const char *const names[] = { "none", "fall",   "true",    "false",
                                         "back", "except", "finally", "case" };
    return kind >= 0 && (size_t)kind < sizeof names / sizeof *names ? names[kind] : "?";
}

const char *ir_node_kind_name(int kind)
{
    static const char *const names[] = { "none", "entry", "exit", "param", "stmt", "cond", "join" };
    return kind >= 0 && (size_t)kind < sizeof names / sizeof *names ? names[kind] : "?";
}

static void list(struct pith_buf *out, const char *tag, char **v, size_t n)
{
    if (!n)
        return;
    pith_buf_printf(out, " %s=", tag);
    for (size_t i = 0; i < n; i++)
        pith_buf_printf(out, "%s%s", i ? "," : "", v[i]);
}

void ir_flow_dump(struct pith_buf *out, const Pith__FunctionFlow *f)
{
    pith_buf_printf(out, "  complexity=%u cyclomatic=%u nodes=%zu edges=%zu blocks=%zu\n",
                    f->complexity, f->cyclomatic, f->n_nodes, f->n_edges, f->n_blocks);
    for (size_t i = 0; i < f->n_nodes; i++) {
        const Pith__FlowNode *n = f->nodes[i];
        pith_buf_printf(out, "  n%zu %s %s L%u B%u ipdom=%u", i + 1, ir_node_kind_name(n->kind),
                        n->text ? n->text : "", n->line, n->block, n->ipdom);
        list(out, "def", n->defs, n->n_defs);
        list(out, "use", n->uses, n->n_uses);
        pith_buf_putc(out, '\n');
    }
    for (size_t i = 0; i < f->n_edges; i++)
        pith_buf_printf(out, "  e n%u -> n%u %s\n", f->edges[i]->src, f->edges[i]->dst,
                        ir_edge_kind_name(f->edges[i]->kind));
    for (size_t i = 0; i < f->n_cd; i++)
        pith_buf_printf(out, "  cd n%u -> n%u %s\n", f->cd[i]->src, f->cd[i]->dst,
                        ir_edge_kind_name(f->cd[i]->kind));
    for (size_t i = 0; i < f->n_du; i++)
        pith_buf_printf(out, "  du n%u -> n%u %s\n", f->du[i]->def, f->du[i]->use, f->du[i]->var);
}
