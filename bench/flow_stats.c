/* bench tool: one line per function with flow layers in a graph stage file (pith-analyze
 * output): path, def line, qualname, python3-mccabe complexity, E-N+2, nodes, edges, def-use
 * chains, control dependences. Used by bench/bench_complexity.sh and bench/bench_flow.sh. */
#include "common/err.h"
#include "common/stagefile.h"
#include "schemas/flow.pb-c.h"
#include "schemas/graph.pb-c.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: flow-stats GRAPH_FILE\n");
        return 2;
    }
    struct pith_stage_reader r;
    const uint8_t *rec;
    size_t len;
    if (pith_stage_reader_open(&r, argv[1], PITH_STAGE_GRAPH) < 0 ||
        pith_stage_reader_next(&r, &rec, &len) <= 0) {
        fprintf(stderr, "flow-stats: %s\n", pith_error_last());
        return 3;
    }
    Pith__Graph *g = pith__graph__unpack(NULL, len, rec);
    if (!g) {
        fprintf(stderr, "flow-stats: graph record does not decode\n");
        return 3;
    }
    for (size_t i = 0; i < g->n_symbols; i++) {
        const Pith__GSymbol *s = g->symbols[i];
        if (!s->flow.len || !s->file || s->file > g->n_files)
            continue;
        Pith__FunctionFlow *f = pith__function_flow__unpack(NULL, s->flow.len, s->flow.data);
        if (!f)
            continue;
        printf("%s\t%u\t%s\t%u\t%u\t%zu\t%zu\t%zu\t%zu\n", g->files[s->file - 1]->path,
               s->start_line, s->qualname, f->complexity, f->cyclomatic, f->n_nodes, f->n_edges,
               f->n_du, f->n_cd);
        pith__function_flow__free_unpacked(f, NULL);
    }
    pith__graph__free_unpacked(g, NULL);
    pith_stage_reader_release(&r);
    return 0;
}
