/* Fuzz target: interprocedural slices (serve/flow_slice.c: actual-ins/outs, pointer
 * out-parameters, formal-outs, summaries, both phases) over every body the tree-sitter C/C++
 * front end lowers from arbitrary bytes, calls bound by callee name as in the name-matched call
 * graph. From each body's first and second line: backward and forward, with and without --var
 * (the first parameter's name and its dereference). The first byte picks C (even) or C++ (odd).
 * libFuzzer in VARIANT=fuzz, corpus replay everywhere else. */
#include "analyze/flow_int.h"
#include "common/buf.h"
#include "common/mem.h"
#include "extract/lang_c.h"
#include "schemas/facts.pb-c.h"
#include "serve/flow_slice.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PROCS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    struct pith_buf out = PITH_BUF_INIT;
    lang_c_ts_buffer(data + 1, size - 1, data[0] & 1, &out);
    Pith__FileFacts *f = pith__file_facts__unpack(NULL, out.len, (const uint8_t *)out.ptr);
    if (!f)
        abort(); /* what we pack must unpack */
    struct pith_arena arena;
    pith_arena_init(&arena);
    size_t n = f->n_bodies < MAX_PROCS ? f->n_bodies : MAX_PROCS;
    Pith__FunctionFlow **flows = calloc(n + 1, sizeof *flows);
    const char **names = calloc(n + 1, sizeof *names);
    for (size_t i = 0; i < n; i++) {
        const Pith__FunctionIr *ir = f->bodies[i];
        if (ir->symbol == 0 || ir->symbol > f->n_symbols)
            abort(); /* every body belongs to a recorded function */
        struct flow fl;
        cfg_build(&fl, &arena, ir, f->bodies, f->n_bodies);
        dfg_solve(&fl);
        pdg_build(&fl);
        flows[i] = flow_to_proto(&fl);
        flow_release(&fl);
        names[i] = f->symbols[ir->symbol - 1]->name;
    }
    struct flow_proc *procs = calloc(n + 1, sizeof *procs);
    PITH_VEC(struct flow_callee) ce = { 0 };
    size_t *first = calloc(n + 1, sizeof *first);
    for (size_t k = 0; k < n; k++) {
        procs[k].flow = flows[k];
        first[k] = ce.count;
        for (size_t c = 0; c < flows[k]->n_calls; c++) {
            const Pith__FlowCall *fc = flows[k]->calls[c];
            for (size_t j = 0; j < n; j++) {
                if (names[j] && fc->callee && strcmp(names[j], fc->callee) == 0) {
                    struct flow_callee x = { fc->line, fc->col, (uint32_t)j };
                    pith_vec_push(&ce, x);
                }
            }
        }
    }
    for (size_t k = 0; k < n; k++) {
        procs[k].callees = ce.items + first[k];
        procs[k].n_callees = (k + 1 < n ? first[k + 1] : ce.count) - first[k];
    }
    uint8_t **marks = calloc(n + 1, sizeof *marks);
    for (size_t k = 0; k < n; k++)
        marks[k] = calloc(flows[k]->n_nodes + 1, 1);
    for (size_t k = 0; k < n; k++) {
        const Pith__FunctionFlow *fl = flows[k];
        char var[64] = "", deref[66] = "";
        if (fl->n_params && fl->params[0] && fl->params[0] <= fl->n_nodes &&
            fl->nodes[fl->params[0] - 1]->n_defs) {
            const char *p = fl->nodes[fl->params[0] - 1]->defs[0];
            size_t l = strlen(p) < sizeof var - 1 ? strlen(p) : sizeof var - 1;
            memcpy(var, p, l);
            var[l] = '\0';
            deref[0] = '*';
            memcpy(deref + 1, var, l + 1);
        }
        for (unsigned flags = 0; flags < 4; flags++) {
            flow_slice(marks, procs, n, k, fl->line, NULL, flags);
            flow_slice(marks, procs, n, k, fl->line + 1, NULL, flags);
            if (var[0]) {
                flow_slice(marks, procs, n, k, fl->line + 1, var, flags);
                flow_slice(marks, procs, n, k, fl->line + 2, deref, flags);
            }
        }
    }
    for (size_t k = 0; k < n; k++)
        free(marks[k]);
    free(marks);
    free(first);
    pith_vec_release(&ce);
    free(procs);
    free(names);
    free(flows);
    pith_arena_release(&arena);
    pith__file_facts__free_unpacked(f, NULL);
    pith_buf_release(&out);
    return 0;
}
