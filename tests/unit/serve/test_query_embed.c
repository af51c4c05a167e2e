/* Unit tests of the query side's HTTP embedding set-up (serve/query_embed.c): the MANIFEST's
 * embed_endpoint round trip through pith-pack, where the URL comes from (--embed-url, then
 * $PITH_EMBED_URL, then the index), and its one-line refusals. No server runs: the URL used is
 * a closed loopback port, so every request fails at connect. */
#include "common/artifact.h"
#include "common/err.h"
#include "schemas/manifest.pb-c.h"
#include "serve/query_embed.h"
#include "serve/vsearch.h"
#include "tests/harness/harness.h"
#include "tests/unit/pack/pack_fixture.h"

#include <stdlib.h>
#include <string.h>

static float v0[4] = { 1.0f, 0.0f, 0.0f, 0.0f };

/* Opens the fixture with an HTTP embedder id and `ep` (NULL: none) as its endpoint. */
static struct pith_index *open_http(struct pith_buf *shard,
                                    struct pith_buf *man,
                                    const char *embedder,
                                    Pith__EmbedEndpoint *ep)
{
    struct pack_fixture f;
    pack_fixture_init(&f);
    f.vs.embedder = (char *)embedder;
    f.vs.dim = 4;
    f.vs.endpoint = ep;
    f.rows[0].vector = v0;
    f.rows[0].n_vector = 4;
    struct pith_index *ix = NULL;
    if (pack_fixture_build(&f, shard, man) != 0 ||
        pith_index_open_mem(&ix, man->ptr, man->len, shard->ptr, shard->len, 0) != 0)
        return NULL;
    return ix;
}

PITH_TEST(query_embed_endpoint_recorded_and_url_order)
{
    struct pith_buf shard = PITH_BUF_INIT, man = PITH_BUF_INIT;
    Pith__EmbedEndpoint ep = PITH__EMBED_ENDPOINT__INIT;
    ep.format = (char *)"ollama";
    ep.url = (char *)"http://127.0.0.1:1";
    ep.model = (char *)"m:latest";
    ep.query_prefix = (char *)"q: ";
    ep.api_key_env = (char *)"";
    struct pith_index *ix = open_http(&shard, &man, "http:ollama:m:latest@4", &ep);
    CHECK(ix != NULL);
    if (!ix)
        goto out;
    const Pith__Manifest *m = pith_index_manifest(ix);
    CHECK(m->embed_endpoint != NULL);
    if (m->embed_endpoint) {
        CHECK_EQ_STR(m->embed_endpoint->format, "ollama");
        CHECK_EQ_STR(m->embed_endpoint->url, "http://127.0.0.1:1");
        CHECK_EQ_STR(m->embed_endpoint->model, "m:latest");
        CHECK_EQ_STR(m->embed_endpoint->query_prefix, "q: ");
    }
    float q[4];
    unsetenv(QUERY_EMBED_URL_ENV);
    query_embed_set_url(NULL);
    CHECK_EQ_INT(vsearch_embed_query(ix, "http:ollama:m:latest@4", 4, "x", q), PITH_EUPSTREAM);
    CHECK(strstr(pith_error_last(), "(server URL from the index): request to "
                                    "http://127.0.0.1:1 failed") != NULL);
    CHECK(strstr(pith_error_last(), "--mode lexical") != NULL);
    CHECK(strchr(pith_error_last(), '\n') == NULL);
    setenv(QUERY_EMBED_URL_ENV, "http://127.0.0.1:2", 1);
    CHECK_EQ_INT(vsearch_embed_query(ix, "http:ollama:m:latest@4", 4, "x", q), PITH_EUPSTREAM);
    CHECK(strstr(pith_error_last(), "from $PITH_EMBED_URL): request to http://127.0.0.1:2") !=
          NULL);
    query_embed_set_url("http://127.0.0.1:3");
    CHECK_EQ_INT(vsearch_embed_query(ix, "http:ollama:m:latest@4", 4, "x", q), PITH_EUPSTREAM);
    CHECK(strstr(pith_error_last(), "from --embed-url): request to http://127.0.0.1:3") != NULL);
    query_embed_set_url("ftp://127.0.0.1:3");
    CHECK_EQ_INT(vsearch_embed_query(ix, "http:ollama:m:latest@4", 4, "x", q), PITH_EUSAGE);
    /* the id must name the index's dimension */
    query_embed_set_url(NULL);
    unsetenv(QUERY_EMBED_URL_ENV);
    CHECK_EQ_INT(vsearch_embed_query(ix, "http:ollama:m:latest@8", 4, "x", q), PITH_EUNSUPPORTED);
    struct query_embed_stats st;
    query_embed_stats_get(&st);
    CHECK(st.requests >= 6); /* three failed queries, each tried twice */
    CHECK_EQ_INT(st.cache_hits, 0);
    pith_index_free(ix);
out:
    query_embed_reset();
    pith_buf_release(&shard);
    pith_buf_release(&man);
}

PITH_TEST(query_embed_without_endpoint_or_key)
{
    struct pith_buf shard = PITH_BUF_INIT, man = PITH_BUF_INIT;
    /* an index with the id only: no URL known until one is given */
    struct pith_index *ix = open_http(&shard, &man, "http:openai:-@4", NULL);
    CHECK(ix != NULL);
    if (!ix)
        goto out;
    CHECK(((const Pith__Manifest *)pith_index_manifest(ix))->embed_endpoint == NULL);
    float q[4];
    unsetenv(QUERY_EMBED_URL_ENV);
    query_embed_set_url(NULL);
    CHECK_EQ_INT(vsearch_embed_query(ix, "http:openai:-@4", 4, "x", q), PITH_EUSAGE);
    CHECK(strstr(pith_error_last(), "records no server URL: give --embed-url URL or set "
                                    "PITH_EMBED_URL") != NULL);
    pith_index_free(ix);
    pith_buf_release(&shard);
    pith_buf_release(&man);
    /* a key variable that is not set is named, never guessed at */
    Pith__EmbedEndpoint ep = PITH__EMBED_ENDPOINT__INIT;
    ep.format = (char *)"openai";
    ep.url = (char *)"http://127.0.0.1:1";
    ep.api_key_env = (char *)"PITH_TEST_NO_SUCH_KEY_VARIABLE";
    unsetenv("PITH_TEST_NO_SUCH_KEY_VARIABLE");
    ix = open_http(&shard, &man, "http:openai:-@4", &ep);
    CHECK(ix != NULL);
    if (!ix)
        goto out;
    CHECK_EQ_INT(vsearch_embed_query(ix, "http:openai:-@4", 4, "x", q), PITH_EUSAGE);
    CHECK(strstr(pith_error_last(), "PITH_TEST_NO_SUCH_KEY_VARIABLE (the API key) is not set") !=
          NULL);
    /* an endpoint whose format disagrees with the id is refused */
    CHECK_EQ_INT(vsearch_embed_query(ix, "http:tei:-@4", 4, "x", q), PITH_ECORRUPT);
    pith_index_free(ix);
out:
    query_embed_reset();
    pith_buf_release(&shard);
    pith_buf_release(&man);
}
