/* Unit tests of the HTTP embedders' response parsers, Retry-After and --embed specs. */
#include "common/err.h"
#include "embed/http_embed.h"
#include "tests/harness/harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int near(float a, float b)
{
    return fabsf(a - b) < 1e-6f;
}

static int parse(float **out, enum http_embed_format f, const char *body, size_t n, uint32_t *dim)
{
    return http_embed_parse(out, f, body, strlen(body), n, dim);
}

PITH_TEST(http_parse_openai_sorts_by_index)
{
    float *v = NULL;
    uint32_t dim = 0;
    const char *body = "{\"object\":\"list\",\"model\":\"m\",\"data\":["
                       "{\"object\":\"embedding\",\"index\":1,\"embedding\":[0,2]},"
                       "{\"object\":\"embedding\",\"index\":0,\"embedding\":[3,4]}]}";
    CHECK_EQ_INT(parse(&v, HTTP_EMBED_OPENAI, body, 2, &dim), 0);
    CHECK_EQ_INT(dim, 2);
    CHECK(v && near(v[0], 0.6f) && near(v[1], 0.8f)); /* index 0, re-normalised */
    CHECK(v && near(v[2], 0.0f) && near(v[3], 1.0f));
    free(v);
}

PITH_TEST(http_parse_ollama_and_tei)
{
    float *v = NULL;
    uint32_t dim = 3;
    CHECK_EQ_INT(parse(&v, HTTP_EMBED_OLLAMA, "{\"model\":\"x\",\"embeddings\":[[1,0,0],[0,0,-5]]}",
                       2, &dim),
                 0);
    CHECK(v && near(v[0], 1) && near(v[5], -1));
    free(v);
    dim = 0;
    CHECK_EQ_INT(parse(&v, HTTP_EMBED_TEI, "[[0.5,0.5,0.5,0.5]]", 1, &dim), 0);
    CHECK_EQ_INT(dim, 4);
    CHECK(v && near(v[3], 0.5f));
    free(v);
}

PITH_TEST(http_parse_refuses_malformed)
{
    static const struct {
        enum http_embed_format f;
        const char *body;
        size_t n;
        int want;
    } cases[] = {
        { HTTP_EMBED_OPENAI, "{\"data\":[{\"index\":0,\"embedding\":[1,2]}", 1, PITH_EPARSE },
        { HTTP_EMBED_OPENAI, "", 1, PITH_EPARSE },
        { HTTP_EMBED_OPENAI, "{\"error\":{\"message\":\"overloaded\"}}", 1, PITH_EPARSE },
        { HTTP_EMBED_OPENAI, "{\"data\":[{\"embedding\":[1,2]}]}", 1, PITH_EPARSE },
        { HTTP_EMBED_OPENAI, "{\"data\":[{\"index\":1,\"embedding\":[1,2]}]}", 1, PITH_EPARSE },
        { HTTP_EMBED_OPENAI,
          "{\"data\":[{\"index\":0,\"embedding\":[1,2]},{\"index\":0,\"embedding\":[1,2]}]}", 2,
          PITH_EPARSE },
        { HTTP_EMBED_OPENAI, "{\"data\":[{\"index\":0,\"embedding\":\"AAAA\"}]}", 1,
          PITH_EUNSUPPORTED },
        { HTTP_EMBED_OLLAMA, "{\"embeddings\":[[1,2]]}", 2, PITH_EPARSE }, /* short batch */
        { HTTP_EMBED_OLLAMA, "{\"embeddings\":[[1,2],[1,\"x\"]]}", 2, PITH_EPARSE },
        { HTTP_EMBED_OLLAMA, "{\"embeddings\":[[1,2],[1,2,3]]}", 2, PITH_EUNSUPPORTED },
        { HTTP_EMBED_OLLAMA, "{\"embedding\":[1,2]}", 1, PITH_EPARSE },
        { HTTP_EMBED_TEI, "[[1,2],[3,4]", 2, PITH_EPARSE },
        { HTTP_EMBED_TEI, "[[]]", 1, PITH_EUNSUPPORTED }, /* 0 of 2 dims */
        { HTTP_EMBED_TEI, "{\"error\":\"x\"}", 1, PITH_EPARSE },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        float *v = (float *)&v;
        uint32_t dim = 2;
        int err = parse(&v, cases[i].f, cases[i].body, cases[i].n, &dim);
        if (err != cases[i].want)
            pith_test_fail(__FILE__, __LINE__, "case %zu (%s): got %d, want %d", i, cases[i].body,
                           err, cases[i].want);
        CHECK(v == NULL);
    }
}

PITH_TEST(http_parse_wrong_dims_names_both)
{
    float *v = NULL;
    uint32_t dim = 512;
    CHECK_EQ_INT(parse(&v, HTTP_EMBED_TEI, "[[1,2,3]]", 1, &dim), PITH_EUNSUPPORTED);
    CHECK(strstr(pith_error_last(), "3-dimensional") && strstr(pith_error_last(), "512"));
}

PITH_TEST(http_retry_after)
{
    double s = -1;
    CHECK_EQ_INT(http_retry_after_parse(&s, " 7\r\n", 0), 0);
    CHECK(s == 7);
    CHECK_EQ_INT(http_retry_after_parse(&s, "0", 0), 0);
    CHECK(s == 0);
    /* Wed, 21 Oct 2015 07:28:00 GMT = 1445412480 */
    CHECK_EQ_INT(http_retry_after_parse(&s, "Wed, 21 Oct 2015 07:28:00 GMT", 1445412470), 0);
    CHECK(s == 10);
    CHECK_EQ_INT(http_retry_after_parse(&s, "Wed, 21 Oct 2015 07:28:00 GMT", 1445412490), 0);
    CHECK(s == 0); /* in the past */
    CHECK_EQ_INT(http_retry_after_parse(&s, "", 0), -1);
    CHECK_EQ_INT(http_retry_after_parse(&s, "soon", 0), -1);
    CHECK_EQ_INT(http_retry_after_parse(&s, "-3", 0), -1);
    CHECK_EQ_INT(http_retry_after_parse(&s, "1.5", 0), -1);
}

PITH_TEST(http_spec_parse)
{
    struct http_embed_options o;
    http_embed_options_init(&o);
    CHECK_EQ_INT(http_embed_spec_parse(&o, "ollama:http://127.0.0.1:11434"), 0);
    CHECK_EQ_INT(o.format, HTTP_EMBED_OLLAMA);
    CHECK_EQ_STR(o.base_url, "http://127.0.0.1:11434");
    CHECK_EQ_INT(http_embed_spec_parse(&o, "tei:https://h/x"), 0);
    CHECK_EQ_INT(o.format, HTTP_EMBED_TEI);
    CHECK_EQ_INT(http_embed_spec_parse(&o, "openai:ftp://h"), PITH_EUSAGE);
    CHECK_EQ_INT(http_embed_spec_parse(&o, "builtin"), 1);
    CHECK_EQ_INT(http_embed_spec_parse(&o, "none"), 1);
}

PITH_TEST(http_new_refuses_unset_key_variable)
{
    struct http_embed_options o;
    struct pith_embedder *e = NULL;
    http_embed_options_init(&o);
    o.base_url = "http://127.0.0.1:9";
    o.dims = 4;
    o.api_key_env = "PITH_TEST_NO_SUCH_VARIABLE_XYZ";
    CHECK_EQ_INT(http_embed_new(&e, &o), PITH_EUSAGE);
    CHECK(strstr(pith_error_last(), "PITH_TEST_NO_SUCH_VARIABLE_XYZ") != NULL);
    o.api_key_env = NULL;
    o.parallel = 5;
    CHECK_EQ_INT(http_embed_new(&e, &o), PITH_EUSAGE);
    o.parallel = 4;
    CHECK_EQ_INT(http_embed_new(&e, &o), 0); /* dims given: no probe request */
    CHECK_EQ_STR(e ? e->id : NULL, "http:openai:-@4");
    pith_embedder_free(e);
}
