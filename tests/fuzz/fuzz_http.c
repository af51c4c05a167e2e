/* libFuzzer target: an HTTP request's parameters as the server turns them into query words.
 * The first line is "OP?QUERY" (GET /v1/OP?QUERY, %XX decoded) or "OP" / "" (POST /v1/OP or
 * /v1/query); the rest is the JSON body. Words go on to query_parse; the bearer comparison and
 * the path check see the same bytes. Nothing may crash, leak or read out of bounds. */
#include "common/err.h"
#include "common/mem.h"
#include "serve/http.h"
#include "serve/query.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes %XX and '+' in place (as libmicrohttpd does for arguments). */
static void unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r == '%' && hexval(r[1]) >= 0 && hexval(r[2]) >= 0) {
            *w++ = (char)(hexval(r[1]) * 16 + hexval(r[2]));
            r += 2;
        } else {
            *w++ = *r == '+' ? ' ' : *r;
        }
    }
    *w = '\0';
}

static void parse_words(int argc, char **argv)
{
    struct query_req *req = pith_xmalloc(sizeof *req);
    if (argc > 0)
        (void)query_parse(req, argc, argv);
    free(req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = pith_xstrndup((const char *)data, size);
    char *nl = strchr(in, '\n');
    const char *body = nl ? nl + 1 : "";
    if (nl)
        *nl = '\0';
    (void)http_auth_ok(in, "s3cret");
    (void)http_path_is_safe(in);
    char *argv[HTTP_ARGS_MAX_WORDS + 1];
    char *q = strchr(in, '?');
    if (q) {
        *q++ = '\0';
        const struct query_op_info *op = query_op_find(in);
        if (op) {
            struct http_args a;
            http_args_init(&a, op);
            int err = 0;
            for (char *p = q; p && !err;) {
                char *amp = strchr(p, '&');
                if (amp)
                    *amp++ = '\0';
                char *eq = strchr(p, '=');
                if (eq)
                    *eq++ = '\0';
                unescape(p);
                if (eq)
                    unescape(eq);
                if (*p)
                    err = http_args_add(&a, p, eq);
                p = amp;
            }
            int n = err ? err : http_args_argv(&a, argv, HTTP_ARGS_MAX_WORDS + 1);
            if (n > 0)
                parse_words(n, argv);
            http_args_release(&a);
        }
    } else {
        struct http_args a;
        char *line;
        int n =
            http_body_words(&a, &line, argv, *in ? query_op_find(in) : NULL, body, strlen(body));
        if (n > 0)
            parse_words(n, argv);
        http_args_release(&a);
        free(line);
    }
    pith_error_clear();
    free(in);
    return 0;
}
