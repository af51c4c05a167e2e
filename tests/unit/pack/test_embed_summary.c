/* pith-embed's summary format v1 and VectorSet (embed feeds pack's RECS summaries). */
#include "common/mem.h"
#include "embed/embed.h"
#include "pack_fixture.h"
#include "schemas/vectors.pb-c.h"
#include "tests/harness/harness.h"

#include <stdlib.h>

PITH_TEST(embed_summary_v1)
{
    struct pack_fixture f;
    pack_fixture_init(&f);
    struct pith_buf out = PITH_BUF_INIT;
    /* handle_request (graph id 5) calls parse_header (resolved) and os.path.join */
    const Pith__Edge *calls[2] = { &f.edges[1], &f.edges[0] };
    embed_summary(&out, &f.g, 5, calls, 2);
    CHECK_EQ_STR(out.ptr, "http server handle request\n"
                          "def handle_request(self, req)\n"
                          "Handle one request.\n"
                          "calls: join, parse_header\n"
                          "file: pkg/mod.py");
    pith_buf_clear(&out);
    embed_summary(&out, &f.g, 1, NULL, 0);
    CHECK_EQ_STR(out.ptr, "parse header\ndef parse_header(line)\nParse one header line.\n"
                          "file: pkg/mod.py");
    pith_buf_release(&out);
}

PITH_TEST(embed_vector_set)
{
    struct pack_fixture f;
    pack_fixture_init(&f);
    struct pith_buf out = PITH_BUF_INIT, again = PITH_BUF_INIT;
    CHECK_EQ_INT(embed_build(&out, &f.g), 0);
    CHECK_EQ_INT(embed_build(&again, &f.g), 0);
    CHECK(out.len == again.len && memcmp(out.ptr, again.ptr, out.len) == 0);
    Pith__VectorSet *vs = pith__vector_set__unpack(NULL, out.len, (const uint8_t *)out.ptr);
    CHECK(vs != NULL);
    if (vs) {
        CHECK_EQ_STR(vs->embedder, "none");
        CHECK_EQ_INT(vs->dim, 0);
        CHECK_EQ_INT(vs->summary_version, 1);
        CHECK_EQ_INT(vs->n_rows, 4); /* no modules */
        for (size_t i = 0; i < vs->n_rows; i++)
            CHECK_EQ_INT(vs->rows[i]->n_vector, 0);
        CHECK_EQ_INT(vs->rows[0]->symbol, 1);
        CHECK_EQ_INT(vs->rows[3]->symbol, 5);
        CHECK_EQ_STR(vs->rows[3]->summary, "http server handle request\n"
                                           "def handle_request(self, req)\n"
                                           "Handle one request.\n"
                                           "calls: join, parse_header\n"
                                           "file: pkg/mod.py");
        pith__vector_set__free_unpacked(vs, NULL);
    }
    pith_buf_release(&out);
    pith_buf_release(&again);
}

/* Whitespace runs collapse to one space, the docstring stops at its first blank line and at
 * 300 bytes, cut back to a space. */
PITH_TEST(embed_summary_collapses_and_caps)
{
    struct pack_fixture f;
    pack_fixture_init(&f);
    struct pith_buf out = PITH_BUF_INIT, doc = PITH_BUF_INIT, want = PITH_BUF_INIT;
    f.syms[0].signature = (char *)"def  parse_header(\n    line,\t\r\n)";
    f.syms[0].docstring = (char *)"  Parse   one\n  header.\n \t\n  Second paragraph.";
    embed_summary(&out, &f.g, 1, NULL, 0);
    CHECK_EQ_STR(out.ptr, "parse header\ndef parse_header( line, )\nParse one header.\n"
                          "file: pkg/mod.py");
    for (int i = 0; i < 100; i++)
        pith_buf_puts(&doc, "word\n\t ");
    f.syms[0].docstring = doc.ptr;
    pith_buf_clear(&out);
    embed_summary(&out, &f.g, 1, NULL, 0);
    pith_buf_puts(&want, "parse header\ndef parse_header( line, )\n");
    for (int i = 0; i < 60; i++)
        pith_buf_puts(&want, i ? " word" : "word"); /* 299 bytes: the 61st word would pass 300 */
    pith_buf_puts(&want, "\nfile: pkg/mod.py");
    CHECK_EQ_STR(out.ptr, want.ptr);
    pith_buf_release(&out);
    pith_buf_release(&doc);
    pith_buf_release(&want);
}

/* The VectorSet is the same bytes for any number of threads. */
PITH_TEST(embed_build_jobs_deterministic)
{
    Pith__Graph *g = pack_fixture_big(3000);
    struct pith_buf one = PITH_BUF_INIT, many = PITH_BUF_INIT;
    CHECK_EQ_INT(embed_build_jobs(&one, g, 1), 0);
    for (unsigned jobs = 2; jobs <= 5; jobs++) {
        CHECK_EQ_INT(embed_build_jobs(&many, g, jobs), 0);
        CHECK(one.len == many.len && memcmp(one.ptr, many.ptr, one.len) == 0);
    }
    CHECK_EQ_INT(embed_build(&many, g), 0);
    CHECK(one.len == many.len && memcmp(one.ptr, many.ptr, one.len) == 0);
    pith_buf_release(&one);
    pith_buf_release(&many);
    pack_fixture_big_free(g);
}
