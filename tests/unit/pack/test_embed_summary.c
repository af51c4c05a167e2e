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
