/* Fuzz target: the tree-sitter C/C++ front end (no compilation database) on arbitrary bytes,
 * its statement IR lowering (extract/ir_c_ts.c), then the flow layers over every lowered body
 * (analyze: CFG, def-use, post-dominators, control dependence) and a backward and a forward
 * slice from each body's first line (serve/flow_slice.c). The first byte picks C (even) or C++
 * (odd). libFuzzer in VARIANT=fuzz, corpus replay everywhere else. */
#include "analyze/flow_int.h"
#include "common/buf.h"
#include "common/mem.h"
#include "extract/lang_c.h"
#include "schemas/facts.pb-c.h"
#include "serve/flow_slice.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
    for (size_t i = 0; i < f->n_bodies; i++) {
        const Pith__FunctionIr *ir = f->bodies[i];
        if (ir->symbol == 0 || ir->symbol > f->n_symbols)
            abort(); /* every body belongs to a recorded function */
        struct flow fl;
        cfg_build(&fl, &arena, ir, f->bodies, f->n_bodies);
        dfg_solve(&fl);
        pdg_build(&fl);
        Pith__FunctionFlow *m = flow_to_proto(&fl);
        flow_release(&fl);
        struct flow_proc proc = { 0 };
        proc.flow = m;
        uint8_t *marks = calloc(m->n_nodes + 1, 1);
        flow_slice(&marks, &proc, 1, 0, ir->line, NULL, 0);
        flow_slice(&marks, &proc, 1, 0, ir->line + 1, NULL, FLOW_SLICE_FORWARD);
        free(marks);
    }
    pith_arena_release(&arena);
    pith__file_facts__free_unpacked(f, NULL);
    pith_buf_release(&out);
    return 0;
}
