/* A small hand-built graph (+ vectors) for the pack and artifact tests, and a generated large
 * one for timing. */
#ifndef PITH_TESTS_PACK_FIXTURE_H
#define PITH_TESTS_PACK_FIXTURE_H

#include "common/buf.h"
#include "schemas/graph.pb-c.h"
#include "schemas/vectors.pb-c.h"

#define FIX_FILES 2
#define FIX_SYMS  6
#define FIX_EDGES 6

struct pack_fixture {
    Pith__GFile files[FIX_FILES];
    Pith__GFile *fp[FIX_FILES];
    Pith__GSymbol syms[FIX_SYMS];
    Pith__GSymbol *sp[FIX_SYMS];
    Pith__Edge edges[FIX_EDGES];
    Pith__Edge *ep[FIX_EDGES];
    char *decorators[1];
    Pith__Graph g;
    Pith__VectorRow rows[2];
    Pith__VectorRow *rp[2];
    Pith__VectorSet vs;
};

/* Fills `f` (no allocation). */
void pack_fixture_init(struct pack_fixture *f);

/* Packs `f` into shard and manifest bytes; returns pack_build's code. */
int pack_fixture_build(const struct pack_fixture *f,
                       struct pith_buf *shard,
                       struct pith_buf *manifest);

/* A generated graph with `n` functions in n/50 files and about 3n edges (heap; free with
 * pack_fixture_big_free). */
Pith__Graph *pack_fixture_big(uint32_t n);
void pack_fixture_big_free(Pith__Graph *g);

#endif
