/* Unit tests of the HTTP transport: address parsing and the loopback rule, bearer comparison,
 * path safety, parameters to query words, the hot-swappable index handle (swap, refcount,
 * refusal of a corrupt artifact) and a server on an ephemeral loopback port driven by libcurl. */
#include "tests/harness/harness.h"

#include "common/artifact.h"
#include "common/buf.h"
#include "common/err.h"
#include "pack/pack.h"
#include "serve/http.h"
#include "serve/index_handle.h"
#include "serve/query.h"
#include "tests/unit/pack/pack_fixture.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

/* ---- addresses ------------------------------------------------------------------------------ */

struct addr_case {
    const char *addr;
    int err;
    int loopback;
    unsigned port;
};

static const struct addr_case addr_cases[] = {
    { "127.0.0.1:8080", 0, 1, 8080 },
    { "127.1.2.3:0", 0, 1, 0 },
    { "[::1]:9000", 0, 1, 9000 },
    { "8081", 0, 1, 8081 },
    { ":8082", 0, 1, 8082 },
    { "0.0.0.0:80", 0, 0, 80 },
    { "10.1.2.3:80", 0, 0, 80 },
    { "[::]:80", 0, 0, 80 },
    { "[::ffff:127.0.0.1]:80", 0, 1, 80 },
    { "127.0.0.1:65536", PITH_EUSAGE, 0, 0 },
    { "127.0.0.1:-1", PITH_EUSAGE, 0, 0 },
    { "127.0.0.1:", PITH_EUSAGE, 0, 0 },
    { "127.0.0.1:80x", PITH_EUSAGE, 0, 0 },
    { "::1:80", PITH_EUSAGE, 0, 0 },
    { "[::1:80", PITH_EUSAGE, 0, 0 },
    { "localhost:81", 0, 1, 81 },
    { "example.invalid:80", PITH_EUSAGE, 0, 0 },
    { "", PITH_EUSAGE, 0, 0 },
};

static unsigned port_of(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

PITH_TEST(http_parse_addr_table)
{
    for (size_t i = 0; i < sizeof addr_cases / sizeof *addr_cases; i++) {
        const struct addr_case *c = &addr_cases[i];
        struct sockaddr_storage ss;
        socklen_t len;
        int err = http_parse_addr(&ss, &len, c->addr);
        if (err != c->err) {
            pith_test_fail(__FILE__, __LINE__, "'%s': err %d, expected %d (%s)", c->addr, err,
                           c->err, pith_error_last());
            continue;
        }
        if (err)
            continue;
        CHECK_EQ_INT(http_addr_is_loopback((struct sockaddr *)&ss), c->loopback);
        CHECK_EQ_INT(port_of(&ss), c->port);
    }
}

PITH_TEST(http_auth_and_paths)
{
    CHECK(http_auth_ok("Bearer abc123", "abc123"));
    CHECK(http_auth_ok("bearer abc123", "abc123"));
    CHECK(!http_auth_ok("Bearer abc12", "abc123"));
    CHECK(!http_auth_ok("Bearer abc1234", "abc123"));
    CHECK(!http_auth_ok("Bearer abd123", "abc123"));
    CHECK(!http_auth_ok("Basic abc123", "abc123"));
    CHECK(!http_auth_ok("Bearer ", "abc123"));
    CHECK(!http_auth_ok(NULL, "abc123"));
    CHECK(http_path_is_safe("pkg/core.py"));
    CHECK(http_path_is_safe("a..b/c"));
    CHECK(!http_path_is_safe("/etc/passwd"));
    CHECK(!http_path_is_safe("../x"));
    CHECK(!http_path_is_safe("a/../../x"));
    CHECK(!http_path_is_safe("a/.."));
    CHECK(!http_path_is_safe(""));
    CHECK_EQ_INT(http_status_of(0), 200);
    CHECK_EQ_INT(http_status_of(PITH_EAMBIGUOUS), 300);
    CHECK_EQ_INT(http_status_of(PITH_EUSAGE), 400);
    CHECK_EQ_INT(http_status_of(PITH_ENOTFOUND), 404);
    CHECK_EQ_INT(http_status_of(PITH_ECORRUPT), 500);
}

/* ---- parameters to words -------------------------------------------------------------------- */

static void joined(struct pith_buf *out, struct http_args *a, int *n_out)
{
    char *argv[HTTP_ARGS_MAX_WORDS + 1];
    int n = http_args_argv(a, argv, HTTP_ARGS_MAX_WORDS + 1);
    *n_out = n;
    pith_buf_clear(out);
    for (int i = 0; i < n; i++) {
        if (i)
            pith_buf_putc(out, ' ');
        pith_buf_puts(out, argv[i]);
    }
}

PITH_TEST(http_args_from_the_op_table)
{
    struct pith_buf s = PITH_BUF_INIT;
    struct http_args a;
    int n;
    const struct query_op_info *callers = query_op_find("callers");
    CHECK(callers != NULL);
    if (!callers)
        return;
    http_args_init(&a, callers);
    CHECK_EQ_INT(http_args_add(&a, "name", "pkg/core.py:Registry.fetch"), 0);
    CHECK_EQ_INT(http_args_add(&a, "depth", "2"), 0);
    joined(&s, &a, &n);
    CHECK_EQ_STR(s.ptr, "callers --depth 2 pkg/core.py:Registry.fetch");
    /* the words parse as the CLI's */
    struct query_req req;
    char *argv[HTTP_ARGS_MAX_WORDS + 1];
    n = http_args_argv(&a, argv, HTTP_ARGS_MAX_WORDS + 1);
    CHECK_EQ_INT(query_parse(&req, n, argv), 0);
    CHECK_EQ_INT(req.op, QUERY_CALLERS);
    CHECK_EQ_INT(req.depth, 2);
    CHECK_EQ_STR(req.arg, "pkg/core.py:Registry.fetch");
    CHECK_EQ_INT(http_args_add(&a, "name", "again"), PITH_EUSAGE);
    CHECK_EQ_INT(http_args_add(&a, "bogus", "1"), PITH_EUSAGE);
    CHECK_EQ_INT(http_args_add(&a, "json", NULL), PITH_EUSAGE);
    CHECK_EQ_INT(http_args_add(&a, "index", "/etc"), PITH_EUSAGE);
    http_args_release(&a);

    /* a name that looks like an option is kept positional */
    http_args_init(&a, callers);
    CHECK_EQ_INT(http_args_add(&a, "name", "-x"), 0);
    joined(&s, &a, &n);
    CHECK_EQ_STR(s.ptr, "callers -- -x");
    http_args_release(&a);

    /* a required argument missing */
    http_args_init(&a, callers);
    CHECK_EQ_INT(http_args_add(&a, "depth", "3"), 0);
    char *argv2[HTTP_ARGS_MAX_WORDS + 1];
    CHECK_EQ_INT(http_args_argv(&a, argv2, HTTP_ARGS_MAX_WORDS + 1), PITH_EUSAGE);
    http_args_release(&a);

    /* booleans, lists and path safety, on a made-up operation */
    static const struct query_op_info fake = {
        .name = "fake",
        .description = "",
        .args = { { .name = "from", .type = QUERY_ARG_STRING, .required = 1 },
                  { .name = "to", .type = QUERY_ARG_STRING, .required = 1 },
                  { .name = "dot", .flag = "--dot", .type = QUERY_ARG_BOOL },
                  { .name = "files", .type = QUERY_ARG_STRINGS },
                  { .name = "path", .flag = "--path", .type = QUERY_ARG_STRING } },
    };
    http_args_init(&a, &fake);
    CHECK_EQ_INT(http_args_add(&a, "files", "b.py"), 0);
    CHECK_EQ_INT(http_args_add(&a, "to", "T"), 0);
    CHECK_EQ_INT(http_args_add(&a, "dot", NULL), 0);
    CHECK_EQ_INT(http_args_add(&a, "files", "a/c.py"), 0);
    CHECK_EQ_INT(http_args_add(&a, "files", "caf\xc3\xa9/\xf0\x9f\x98\x80.py"), 0);
    CHECK_EQ_INT(http_args_add(&a, "from", "F"), 0);
    CHECK_EQ_INT(http_args_add(&a, "files", "../x.py"), PITH_EUSAGE);
    CHECK_EQ_INT(http_args_add(&a, "path", "/etc"), PITH_EUSAGE);
    CHECK_EQ_INT(http_args_add(&a, "path", "--output=x"), PITH_EUSAGE);
    CHECK_EQ_INT(http_args_add(&a, "path", "\xff"), PITH_EUSAGE);             /* not UTF-8 */
    CHECK_EQ_INT(http_args_add(&a, "path", "\xc0\xaf"), PITH_EUSAGE);         /* overlong */
    CHECK_EQ_INT(http_args_add(&a, "path", "\xed\xa0\x80"), PITH_EUSAGE);     /* surrogate */
    CHECK_EQ_INT(http_args_add(&a, "path", "\xf4\x90\x80\x80"), PITH_EUSAGE); /* > U+10FFFF */
    CHECK_EQ_INT(http_args_add(&a, "path", "pkg"), 0);
    joined(&s, &a, &n);
    CHECK_EQ_STR(s.ptr, "fake --dot --path pkg F T b.py a/c.py caf\xc3\xa9/\xf0\x9f\x98\x80.py");
    http_args_release(&a);
    http_args_init(&a, &fake);
    CHECK_EQ_INT(http_args_add(&a, "dot", "false"), 0);
    CHECK_EQ_INT(http_args_add(&a, "from", "F"), 0);
    CHECK_EQ_INT(http_args_add(&a, "to", "T"), 0);
    joined(&s, &a, &n);
    CHECK_EQ_STR(s.ptr, "fake F T");
    CHECK_EQ_INT(http_args_add(&a, "dot", "maybe"), PITH_EUSAGE);
    http_args_release(&a);
    pith_buf_release(&s);
}

/* ---- the index handle ------------------------------------------------------------------------ */

/* `name` under `tmp` (pith_test_tmpdir() wipes its folder on each call: call it once). */
static char *tmp_path(const char *tmp, const char *name)
{
    struct pith_buf b = PITH_BUF_INIT;
    pith_buf_printf(&b, "%s/%s", tmp, name);
    return pith_buf_detach(&b, NULL);
}

/* Writes the small fixture (6 symbols) or a generated graph of `big` functions as INDEX `dir`. */
static int write_index(const char *dir, uint32_t big)
{
    struct pith_buf shard = PITH_BUF_INIT, manifest = PITH_BUF_INIT;
    int err;
    if (big) {
        Pith__Graph *g = pack_fixture_big(big);
        struct pack_input in = { g, NULL, NULL };
        err = pack_build(&shard, &manifest, &in);
        pack_fixture_big_free(g);
    } else {
        struct pack_fixture f;
        pack_fixture_init(&f);
        err = pack_fixture_build(&f, &shard, &manifest);
    }
    if (!err)
        err = pack_write_index(dir, &shard, &manifest);
    pith_buf_release(&shard);
    pith_buf_release(&manifest);
    if (err)
        pith_test_fail(__FILE__, __LINE__, "write_index: %s", pith_error_last());
    return err;
}

PITH_TEST(http_index_handle_swaps_and_refuses)
{
    const char *tmp = pith_test_tmpdir();
    char *dir = tmp_path(tmp, "idx"), *shard = NULL;
    struct index_handle *h = NULL;
    FILE *log = tmpfile();
    if (write_index(dir, 0))
        goto out;
    CHECK_EQ_INT(index_handle_new(&h, dir, log), 0);
    if (!h)
        goto out;
    struct index_snapshot *s1 = index_handle_acquire(h);
    CHECK_EQ_INT(index_snapshot_generation(s1), 1);
    CHECK_EQ_INT(pith_index_symbol_count(index_snapshot_index(s1)), 6);
    CHECK_EQ_INT(index_handle_check(h), 0); /* unchanged */

    if (write_index(dir, 200) == 0) {
        CHECK_EQ_INT(index_handle_check(h), 1);
        struct index_snapshot *s2 = index_handle_acquire(h);
        CHECK_EQ_INT(index_snapshot_generation(s2), 2);
        CHECK(pith_index_symbol_count(index_snapshot_index(s2)) > 6);
        /* the old mapping stays readable while held */
        CHECK_EQ_INT(pith_index_symbol_count(index_snapshot_index(s1)), 6);
        CHECK_EQ_STR(pith_index_str(index_snapshot_index(s1),
                                    pith_index_symbol(index_snapshot_index(s1), 1)->qualname),
                     "pkg/mod.py");
        index_handle_release(h, s2);
    }
    index_handle_release(h, s1); /* unmaps generation 1 */

    /* a corrupt shard written over the current one is refused once; generation 2 stays */
    shard = tmp_path(tmp, "idx/" PITH_SHARD_NAME);
    FILE *f = fopen(shard, "r+b");
    CHECK(f != NULL);
    if (f) {
        fseek(f, 100, SEEK_SET);
        fputc(0x5a, f);
        fputc(0xa5, f);
        fclose(f);
    }
    /* a rewrite within the same mtime tick could keep size and mtime: touch it forward */
    struct timespec ts[2] = { { 0, UTIME_OMIT }, { time(NULL) + 5, 0 } };
    utimensat(AT_FDCWD, shard, ts, 0);
    CHECK(index_handle_check(h) < 0);
    CHECK_EQ_INT(index_handle_check(h), 0); /* not tried again */
    CHECK_EQ_INT(index_handle_refused_count(h), 1);
    struct index_snapshot *s3 = index_handle_acquire(h);
    CHECK_EQ_INT(index_snapshot_generation(s3), 2);
    index_handle_release(h, s3);
    /* a good artifact after it is taken again */
    if (write_index(dir, 0) == 0) {
        CHECK_EQ_INT(index_handle_check(h), 1);
        s3 = index_handle_acquire(h);
        CHECK_EQ_INT(index_snapshot_generation(s3), 3);
        CHECK_EQ_INT(pith_index_symbol_count(index_snapshot_index(s3)), 6);
        index_handle_release(h, s3);
    }
    rewind(log);
    char line[512];
    int swaps = 0, refusals = 0;
    while (fgets(line, sizeof line, log)) {
        swaps += strstr(line, "serving the new index") != NULL;
        refusals += strstr(line, "refused the new index") != NULL;
    }
    CHECK_EQ_INT(swaps, 2);
    CHECK_EQ_INT(refusals, 1);
out:
    index_handle_free(h);
    if (log)
        fclose(log);
    free(shard);
    free(dir);
}

/* ---- a server on a loopback port ---------------------------------------------------------------
 */

static size_t collect(char *data, size_t size, size_t n, void *payload)
{
    pith_buf_put(payload, data, size * n);
    return size * n;
}

/* GETs (or POSTs `body`) `path`; returns the status, the body in `out`. */
static long
fetch(struct pith_buf *out, unsigned port, const char *path, const char *body, const char *auth)
{
    CURL *c = curl_easy_init();
    struct curl_slist *hdr = NULL;
    char url[256];
    long status = 0;
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path);
    pith_buf_clear(out);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    if (auth) {
        hdr = curl_slist_append(hdr, auth);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    }
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    return status;
}

PITH_TEST(http_server_answers_on_loopback)
{
    char *dir = tmp_path(pith_test_tmpdir(), "srv");
    struct index_handle *h = NULL;
    struct http_server *s = NULL;
    struct pith_buf b = PITH_BUF_INIT;
    if (write_index(dir, 0) || index_handle_new(&h, dir, NULL))
        goto out;
    struct http_options opt = { "0.0.0.0:0", NULL, 2, 5, NULL };
    CHECK_EQ_INT(http_server_start(&s, h, &opt), PITH_EUSAGE); /* no token: refused */
    CHECK(s == NULL);
    opt.addr = "127.0.0.1:0";
    opt.token = "t0ken";
    CHECK_EQ_INT(http_server_start(&s, h, &opt), 0);
    if (!s)
        goto out;
    unsigned port = http_server_port(s);
    CHECK(port != 0);
    CHECK_EQ_INT(fetch(&b, port, "/v1/health", NULL, NULL), 401);
    CHECK_EQ_INT(fetch(&b, port, "/v1/health", NULL, "Authorization: Bearer t0ke"), 401);
    CHECK_EQ_INT(fetch(&b, port, "/v1/health", NULL, "Authorization: Bearer t0ken"), 200);
    CHECK(strstr(b.ptr, "\"symbol_count\":6") != NULL);
    CHECK(strstr(b.ptr, "\"source_commit\":\"0123456789abcdef0123456789abcdef01234567\"") != NULL);
    const char *auth = "Authorization: Bearer t0ken";
    CHECK_EQ_INT(fetch(&b, port, "/v1/callers?name=parse_header", NULL, auth), 200);
    CHECK(strstr(b.ptr, "\"caller\":\"tests/test_mod.py:test_parse\"") != NULL);
    CHECK_EQ_INT(fetch(&b, port, "/v1/query", "{\"op\":\"symbol\",\"name\":\"HTTPServer\"}", auth),
                 200);
    CHECK(strstr(b.ptr, "\"qualname\":\"pkg/mod.py:HTTPServer\"") != NULL);
    CHECK_EQ_INT(fetch(&b, port, "/v1/callers?name=nothing_like_it", NULL, auth), 404);
    CHECK_EQ_INT(fetch(&b, port, "/v1/nope", NULL, auth), 404);
    CHECK_EQ_INT(fetch(&b, port, "/v1/callers?depth=x&name=parse_header", NULL, auth), 400);
    CHECK_EQ_INT(fetch(&b, port, "/v1/query", "{\"op\":", auth), 400);
out:
    http_server_stop(s);
    index_handle_free(h);
    pith_buf_release(&b);
    free(dir);
}
