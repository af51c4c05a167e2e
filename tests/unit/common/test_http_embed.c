/* Unit tests of common/http_embed.c: response parsers, Retry-After, --embed specs, embedder ids,
 * URL redaction, request bodies, backoff and endpoint URLs (nothing here needs a server). */
#include "common/err.h"
#include "common/http_embed.h"
#include "tests/harness/harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int near(float a, float b)
{
    return fabsf(a - b) < 1e-6f;
}

static int
parse(float **out, enum pith_http_embed_format f, const char *body, size_t n, uint32_t *dim)
{
    return pith_http_embed_parse(out, f, body, strlen(body), n, dim);
}

PITH_TEST(http_parse_openai_sorts_by_index)
{
    float *v = NULL;
    uint32_t dim = 0;
    const char *body = "{\"object\":\"list\",\"model\":\"m\",\"data\":["
                       "{\"object\":\"embedding\",\"index\":1,\"embedding\":[0,2]},"
                       "{\"object\":\"embedding\",\"index\":0,\"embedding\":[3,4]}]}";
    CHECK_EQ_INT(parse(&v, PITH_HTTP_EMBED_OPENAI, body, 2, &dim), 0);
    CHECK_EQ_INT(dim, 2);
    CHECK(v && near(v[0], 0.6f) && near(v[1], 0.8f)); /* index 0, re-normalised */
    CHECK(v && near(v[2], 0.0f) && near(v[3], 1.0f));
    free(v);
}

PITH_TEST(http_parse_ollama_and_tei)
{
    float *v = NULL;
    uint32_t dim = 3;
    CHECK_EQ_INT(parse(&v, PITH_HTTP_EMBED_OLLAMA,
                       "{\"model\":\"x\",\"embeddings\":[[1,0,0],[0,0,-5]]}", 2, &dim),
                 0);
    CHECK(v && near(v[0], 1) && near(v[5], -1));
    free(v);
    dim = 0;
    CHECK_EQ_INT(parse(&v, PITH_HTTP_EMBED_TEI, "[[0.5,0.5,0.5,0.5]]", 1, &dim), 0);
    CHECK_EQ_INT(dim, 4);
    CHECK(v && near(v[3], 0.5f));
    free(v);
}

PITH_TEST(http_parse_refuses_malformed)
{
    static const struct {
        enum pith_http_embed_format f;
        const char *body;
        size_t n;
        int want;
    } cases[] = {
        { PITH_HTTP_EMBED_OPENAI, "{\"data\":[{\"index\":0,\"embedding\":[1,2]}", 1, PITH_EPARSE },
        { PITH_HTTP_EMBED_OPENAI, "", 1, PITH_EPARSE },
        { PITH_HTTP_EMBED_OPENAI, "{\"error\":{\"message\":\"overloaded\"}}", 1, PITH_EPARSE },
        { PITH_HTTP_EMBED_OPENAI, "{\"data\":[{\"embedding\":[1,2]}]}", 1, PITH_EPARSE },
        { PITH_HTTP_EMBED_OPENAI, "{\"data\":[{\"index\":1,\"embedding\":[1,2]}]}", 1,
          PITH_EPARSE },
        { PITH_HTTP_EMBED_OPENAI,
          "{\"data\":[{\"index\":0,\"embedding\":[1,2]},{\"index\":0,\"embedding\":[1,2]}]}", 2,
          PITH_EPARSE },
        { PITH_HTTP_EMBED_OPENAI, "{\"data\":[{\"index\":0,\"embedding\":\"AAAA\"}]}", 1,
          PITH_EUNSUPPORTED },
        { PITH_HTTP_EMBED_OLLAMA, "{\"embeddings\":[[1,2]]}", 2, PITH_EPARSE }, /* short batch */
        { PITH_HTTP_EMBED_OLLAMA, "{\"embeddings\":[[1,2],[1,\"x\"]]}", 2, PITH_EPARSE },
        { PITH_HTTP_EMBED_OLLAMA, "{\"embeddings\":[[1,2],[1,2,3]]}", 2, PITH_EUNSUPPORTED },
        { PITH_HTTP_EMBED_OLLAMA, "{\"embedding\":[1,2]}", 1, PITH_EPARSE },
        { PITH_HTTP_EMBED_TEI, "[[1,2],[3,4]", 2, PITH_EPARSE },
        { PITH_HTTP_EMBED_TEI, "[[]]", 1, PITH_EUNSUPPORTED }, /* 0 of 2 dims */
        { PITH_HTTP_EMBED_TEI, "{\"error\":\"x\"}", 1, PITH_EPARSE },
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
    CHECK_EQ_INT(parse(&v, PITH_HTTP_EMBED_TEI, "[[1,2,3]]", 1, &dim), PITH_EUNSUPPORTED);
    CHECK(strstr(pith_error_last(), "3-dimensional") && strstr(pith_error_last(), "512"));
}

PITH_TEST(http_retry_after)
{
    double s = -1;
    CHECK_EQ_INT(pith_http_retry_after_parse(&s, " 7\r\n", 0), 0);
    CHECK(s == 7);
    CHECK_EQ_INT(pith_http_retry_after_parse(&s, "0", 0), 0);
    CHECK(s == 0);
    /* Wed, 21 Oct 2015 07:28:00 GMT = 1445412480 */
    CHECK_EQ_INT(pith_http_retry_after_parse(&s, "Wed, 21 Oct 2015 07:28:00 GMT", 1445412470), 0);
    CHECK(s == 10);
    CHECK_EQ_INT(pith_http_retry_after_parse(&s, "Wed, 21 Oct 2015 07:28:00 GMT", 1445412490), 0);
    CHECK(s == 0); /* in the past */
    CHECK_EQ_INT(pith_http_retry_after_parse(&s, "", 0), -1);
    CHECK_EQ_INT(pith_http_retry_after_parse(&s, "soon", 0), -1);
    CHECK_EQ_INT(pith_http_retry_after_parse(&s, "-3", 0), -1);
    CHECK_EQ_INT(pith_http_retry_after_parse(&s, "1.5", 0), -1);
}

PITH_TEST(http_spec_parse)
{
    struct pith_http_embed_options o;
    pith_http_embed_options_init(&o);
    CHECK_EQ_INT(pith_http_embed_spec_parse(&o, "ollama:http://127.0.0.1:11434"), 0);
    CHECK_EQ_INT(o.format, PITH_HTTP_EMBED_OLLAMA);
    CHECK_EQ_STR(o.base_url, "http://127.0.0.1:11434");
    CHECK_EQ_INT(pith_http_embed_spec_parse(&o, "tei:https://h/x"), 0);
    CHECK_EQ_INT(o.format, PITH_HTTP_EMBED_TEI);
    CHECK_EQ_INT(pith_http_embed_spec_parse(&o, "openai:ftp://h"), PITH_EUSAGE);
    CHECK_EQ_INT(pith_http_embed_spec_parse(&o, "builtin"), 1);
    CHECK_EQ_INT(pith_http_embed_spec_parse(&o, "none"), 1);
}

PITH_TEST(http_embed_id_round_trip)
{
    struct pith_buf b = PITH_BUF_INIT;
    pith_http_embed_id(&b, PITH_HTTP_EMBED_OLLAMA, "nomic-embed-text:v1.5@q8", 768);
    CHECK_EQ_STR(b.ptr, "http:ollama:nomic-embed-text:v1.5@q8@768");
    enum pith_http_embed_format f;
    const char *model;
    size_t len;
    unsigned dim;
    CHECK_EQ_INT(pith_http_embed_id_parse(&f, &model, &len, &dim, b.ptr), 0);
    CHECK_EQ_INT(f, PITH_HTTP_EMBED_OLLAMA);
    CHECK_EQ_INT(dim, 768);
    CHECK(len == strlen("nomic-embed-text:v1.5@q8") && strncmp(model, "nomic-embed-text", 16) == 0);
    pith_buf_clear(&b);
    pith_http_embed_id(&b, PITH_HTTP_EMBED_TEI, NULL, 384);
    CHECK_EQ_STR(b.ptr, "http:tei:-@384");
    CHECK_EQ_INT(pith_http_embed_id_parse(&f, &model, &len, &dim, b.ptr), 0);
    CHECK_EQ_INT(len, 0);
    CHECK_EQ_INT(f, PITH_HTTP_EMBED_TEI);
    static const char *const bad[] = {
        "builtin:use-lite@0.2.0", "http:openai:some-model", "http:grpc:m@4", "http:openai:m@",
        "http:openai:m@0",        "http:openai:m@12x",      "http:openai"
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (pith_http_embed_id_parse(&f, &model, &len, &dim, bad[i]) != -1)
            pith_test_fail(__FILE__, __LINE__, "'%s' parsed as an HTTP embedder id", bad[i]);
    }
    pith_buf_release(&b);
}

PITH_TEST(http_embed_url_redact)
{
    static const char *const cases[][2] = {
        { "http://127.0.0.1:8080", "http://127.0.0.1:8080" },
        { "https://user:secret@h.example/v1", "https://h.example/v1" },
        { "http://a@b:c@h:1/x@y", "http://h:1/x@y" }, /* the last '@' of the authority */
        { "http://h/path?q=a@b", "http://h/path?q=a@b" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct pith_buf b = PITH_BUF_INIT;
        pith_http_embed_url_redact(&b, cases[i][0]);
        CHECK_EQ_STR(b.ptr, cases[i][1]);
        pith_buf_release(&b);
    }
}

PITH_TEST(http_embed_request_bodies)
{
    struct pith_http_embed_options o;
    pith_http_embed_options_init(&o);
    const char *texts[] = { "parse \"json\"", "b" };
    o.model = "m1";
    char *s = pith_http_embed_request_body(&o, texts, 2, "query: ");
    CHECK_EQ_STR(s, "{\"model\":\"m1\",\"input\":[\"query: parse \\\"json\\\"\",\"query: b\"]}");
    free(s);
    o.format = PITH_HTTP_EMBED_OLLAMA;
    s = pith_http_embed_request_body(&o, texts + 1, 1, NULL);
    CHECK_EQ_STR(s, "{\"model\":\"m1\",\"input\":[\"b\"],\"truncate\":true}");
    free(s);
    o.format = PITH_HTTP_EMBED_TEI; /* TEI names no model */
    s = pith_http_embed_request_body(&o, texts + 1, 1, "q ");
    CHECK_EQ_STR(s, "{\"inputs\":[\"q b\"],\"normalize\":true,\"truncate\":true}");
    free(s);
}

PITH_TEST(http_embed_backoff)
{
    struct pith_http_embed_options o;
    pith_http_embed_options_init(&o);
    o.backoff_s = 0.5;
    o.backoff_max_s = 3;
    CHECK(pith_http_embed_delay(&o, 0, -1) == 0.5);
    CHECK(pith_http_embed_delay(&o, 2, -1) == 2.0);
    CHECK(pith_http_embed_delay(&o, 3, -1) == 3.0);  /* capped */
    CHECK(pith_http_embed_delay(&o, 0, 1.0) == 1.0); /* Retry-After is longer */
    CHECK(pith_http_embed_delay(&o, 0, 30.0) == 3.0);
    CHECK(pith_http_embed_delay(&o, 1000, -1) == 3.0);
}

PITH_TEST(http_embed_conn_endpoints_and_key)
{
    static const struct {
        enum pith_http_embed_format f;
        const char *base, *url;
    } cases[] = {
        { PITH_HTTP_EMBED_OPENAI, "http://h:1", "http://h:1/v1/embeddings" },
        { PITH_HTTP_EMBED_OPENAI, "http://h:1/v1/", "http://h:1/v1/embeddings" },
        { PITH_HTTP_EMBED_OLLAMA, "http://h:1/", "http://h:1/api/embed" },
        { PITH_HTTP_EMBED_TEI, "https://u:p@h/tei", "https://u:p@h/tei/embed" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct pith_http_embed_options o;
        struct pith_http_embed_conn c;
        pith_http_embed_options_init(&o);
        o.format = cases[i].f;
        o.base_url = cases[i].base;
        CHECK_EQ_INT(pith_http_embed_conn_init(&c, &o), 0);
        CHECK_EQ_STR(c.url, cases[i].url);
        CHECK(c.auth == NULL);
        CHECK(strstr(c.shown_url, ":p@") == NULL);
        pith_http_embed_conn_release(&c);
    }
    struct pith_http_embed_options o;
    struct pith_http_embed_conn c;
    pith_http_embed_options_init(&o);
    o.base_url = "http://h";
    o.api_key_env = "PITH_TEST_NO_SUCH_VARIABLE_XYZ";
    CHECK_EQ_INT(pith_http_embed_conn_init(&c, &o), PITH_EUSAGE);
    CHECK(strstr(pith_error_last(), "PITH_TEST_NO_SUCH_VARIABLE_XYZ") != NULL);
    pith_http_embed_conn_release(&c);
    o.api_key_env = NULL;
    o.base_url = "ftp://h";
    CHECK_EQ_INT(pith_http_embed_conn_init(&c, &o), PITH_EUSAGE);
    pith_http_embed_conn_release(&c);
}

PITH_TEST(http_embed_request_refused_port)
{
    /* a closed loopback port: a transport error, retried once, one line naming the URL */
    struct pith_http_embed_options o;
    struct pith_http_embed_conn c;
    struct pith_http_embed_req r;
    memset(&r, 0, sizeof r);
    pith_http_embed_options_init(&o);
    o.base_url = "http://127.0.0.1:1";
    o.dims = 4;
    o.timeout_s = 2;
    o.retries = 1;
    o.backoff_s = 0.01;
    CHECK_EQ_INT(pith_http_embed_conn_init(&c, &o), 0);
    const char *texts[] = { "x" };
    float *v = NULL;
    unsigned retries = 9;
    CHECK_EQ_INT(pith_http_embed_request(&v, &retries, &r, &c, texts, 1, NULL), PITH_EIO);
    CHECK(v == NULL);
    CHECK_EQ_INT(retries, 1);
    CHECK(strstr(pith_error_last(), "http://127.0.0.1:1") != NULL);
    CHECK(strstr(pith_error_last(), "retries exhausted") != NULL);
    CHECK(strchr(pith_error_last(), '\n') == NULL);
    pith_http_embed_req_release(&r);
    pith_http_embed_conn_release(&c);
}
