/* pith-embed's summary format v2 and VectorSet (embed feeds pack's RECS summaries). */
#include "common/mem.h"
#include "embed/embed.h"
#include "pack_fixture.h"
#include "schemas/vectors.pb-c.h"
#include "tests/harness/harness.h"

#include <stdlib.h>

PITH_TEST(embed_summary_v2)
{
    struct pack_fixture f;
    pack_fixture_init(&f);
    struct pith_buf out = PITH_BUF_INIT;
    /* handle_request (graph id 5) calls parse_header (resolved) and os.path.join */
    const Pith__Edge *calls[2] = { &f.edges[1], &f.edges[0] };
    embed_summary(&out, &f.g, 5, calls, 2);
    CHECK_EQ_STR(out.ptr, "python method http server handle request\n"
                          "Handle one request.\n"
                          "\n"
                          "signature: def handle_request(self, req)\n"
                          "calls: join, parse_header\n"
                          "called by: test_parse, HTTPServer\n"
                          "file: pkg/mod.py");
    /* the embedder sees the description, line breaks made sentence breaks */
    struct pith_buf desc = PITH_BUF_INIT;
    pith_buf_puts(&desc, "");
    embed_description(&desc, out.ptr);
    CHECK_EQ_STR(desc.ptr, "python method http server handle request. Handle one request.");
    pith_buf_clear(&out);
    embed_summary(&out, &f.g, 1, NULL, 0);
    CHECK_EQ_STR(out.ptr, "python function parse header\nParse one header line.\n\n"
                          "signature: def parse_header(line)\n"
                          "called by: handle_request, test_parse\n"
                          "file: pkg/mod.py");
    pith_buf_release(&desc);
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
        CHECK_EQ_INT(vs->summary_version, 2);
        CHECK_EQ_INT(vs->n_rows, 4); /* no modules */
        for (size_t i = 0; i < vs->n_rows; i++)
            CHECK_EQ_INT(vs->rows[i]->n_vector, 0);
        CHECK_EQ_INT(vs->rows[0]->symbol, 1);
        CHECK_EQ_INT(vs->rows[3]->symbol, 5);
        CHECK_EQ_STR(vs->rows[3]->summary, "python method http server handle request\n"
                                           "Handle one request.\n"
                                           "\n"
                                           "signature: def handle_request(self, req)\n"
                                           "calls: join, parse_header\n"
                                           "called by: test_parse, HTTPServer\n"
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
    CHECK_EQ_STR(out.ptr, "python function parse header\nParse one header.\n\n"
                          "signature: def parse_header( line, )\n"
                          "called by: handle_request, test_parse\n"
                          "file: pkg/mod.py");
    for (int i = 0; i < 100; i++)
        pith_buf_puts(&doc, "word\n\t ");
    f.syms[0].docstring = doc.ptr;
    pith_buf_clear(&out);
    embed_summary(&out, &f.g, 1, NULL, 0);
    pith_buf_puts(&want, "python function parse header\n");
    for (int i = 0; i < 60; i++)
        pith_buf_puts(&want, i ? " word" : "word"); /* 299 bytes: the 61st word would pass 300 */
    pith_buf_puts(&want, "\n\nsignature: def parse_header( line, )\n"
                         "called by: handle_request, test_parse\nfile: pkg/mod.py");
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

/* embed_build_packed (the record read in place) against protobuf-c's decode + embed_build. */
static void check_packed_matches(const uint8_t *bytes, size_t len, int must_decode)
{
    Pith__Graph *g = pith__graph__unpack(NULL, len, bytes);
    uint8_t *rec = pith_xmalloc(len + 1);
    memcpy(rec, bytes, len);
    struct pith_buf want = PITH_BUF_INIT, got = PITH_BUF_INIT;
    int err = embed_build_packed(&got, rec, len, 2);
    if (must_decode)
        CHECK(g != NULL);
    if (g) {
        int werr = embed_build_jobs(&want, g, 1);
        CHECK_EQ_INT(err, werr);
        if (err == 0 && werr == 0)
            CHECK(got.len == want.len && memcmp(got.ptr, want.ptr, got.len) == 0);
        pith__graph__free_unpacked(g, NULL);
    }
    free(rec);
    pith_buf_release(&want);
    pith_buf_release(&got);
}

PITH_TEST(embed_packed_matches_decoded)
{
    Pith__Graph *g = pack_fixture_big(3000);
    /* fields embed skips, strings that share nothing, an out-of-range file */
    static char *decos[] = { (char *)"@property", (char *)"@cache" };
    static uint32_t base_ids[] = { 1, 2, 3 };
    g->symbols[5]->n_decorators = 2;
    g->symbols[5]->decorators = decos;
    g->symbols[6]->n_base_ids = 3;
    g->symbols[6]->base_ids = base_ids;
    g->symbols[7]->kind = PITH__SYMBOL_KIND__SYMBOL_CLASS;
    g->symbols[8]->file = 100000;
    g->symbols[9]->docstring[0] = '\0';
    struct pith_buf packed = PITH_BUF_INIT;
    pith_buf_grow(&packed, pith__graph__get_packed_size(g));
    packed.len = pith__graph__pack(g, (uint8_t *)packed.ptr);
    check_packed_matches((const uint8_t *)packed.ptr, packed.len, 1);
    g->symbols[5]->n_decorators = 0;
    g->symbols[5]->decorators = NULL;
    g->symbols[6]->n_base_ids = 0;
    g->symbols[6]->base_ids = NULL;
    /* two records concatenated merge: repeated fields append */
    struct pith_buf twice = PITH_BUF_INIT;
    pith_buf_put(&twice, packed.ptr, packed.len);
    pith_buf_put(&twice, packed.ptr, packed.len);
    check_packed_matches((const uint8_t *)twice.ptr, twice.len, 1);
    /* a symbol whose name, qualname and kind appear twice: the last one wins */
    static const uint8_t dup[] = { 0x1a, 23,  0x08, 0x01, 0x12, 0x01, 'a', 0x12, 0x02,
                                   'b',  'c', 0x1a, 0x03, 'm',  ':',  'a', 0x1a, 0x03,
                                   'm',  ':', 'b',  0x08, 0x02, 0x20, 0x00 };
    check_packed_matches(dup, sizeof dup, 1);
    /* byte flips of a small graph: whatever protobuf-c decodes, the in-place reader reads
     * the same; truncations are refused */
    struct pack_fixture f;
    pack_fixture_init(&f);
    struct pith_buf small = PITH_BUF_INIT;
    pith_buf_grow(&small, pith__graph__get_packed_size(&f.g));
    small.len = pith__graph__pack(&f.g, (uint8_t *)small.ptr);
    uint8_t *copy = pith_xmalloc(small.len + 1);
    uint32_t seed = 7;
    for (int i = 0; i < 3000; i++) {
        memcpy(copy, small.ptr, small.len);
        seed = seed * 1103515245u + 12345u;
        copy[(seed >> 4) % small.len] ^= (uint8_t)(1u + (seed >> 16) % 255u);
        check_packed_matches(copy, small.len, 0);
    }
    for (size_t n = 1; n < small.len; n++) {
        struct pith_buf out = PITH_BUF_INIT;
        memcpy(copy, small.ptr, n);
        Pith__Graph *pg = pith__graph__unpack(NULL, n, copy);
        if (!pg)
            CHECK(embed_build_packed(&out, copy, n, 1) != 0);
        else
            pith__graph__free_unpacked(pg, NULL);
        pith_buf_release(&out);
    }
    free(copy);
    pith_buf_release(&small);
    pith_buf_release(&packed);
    pith_buf_release(&twice);
    pack_fixture_big_free(g);
}
