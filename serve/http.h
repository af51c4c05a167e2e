/* The HTTP transport of pith-serve (serve stage, libmicrohttpd): every query operation as a
 * JSON endpoint over one hot-swappable index (index_handle.h). Endpoints, limits and security
 * are documented in docs/HTTP.md. */
#ifndef PITH_SERVE_HTTP_H
#define PITH_SERVE_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

struct index_handle;
struct http_server;

#define HTTP_BODY_MAX       (64u << 10) /* bytes of a request body; more is 413 */
#define HTTP_URL_MAX        (8u << 10)  /* bytes of the request target; more is 414 */
#define HTTP_TIMEOUT_S      30          /* idle seconds before a connection is closed */
#define HTTP_CONNECTIONS    1024        /* simultaneous connections */
#define HTTP_TOKEN_ENV      "PITH_HTTP_TOKEN"
#define HTTP_ARGS_MAX_WORDS 64 /* words of one query built from parameters */

struct http_options {
    const char *addr;   /* "HOST:PORT", "[V6]:PORT", ":PORT" or "PORT" (loopback); port 0 = any */
    const char *token;  /* bearer token every request must carry, or NULL (loopback only) */
    unsigned threads;   /* worker threads; 0 = the CPUs (pith_cpu_count) */
    unsigned timeout_s; /* connection idle timeout; 0 = HTTP_TIMEOUT_S */
    FILE *log;          /* one line at start, stop, swaps and refusals; may be NULL */
};

/* Binds `opt->addr` and starts answering from `h` (borrowed until http_server_stop) on a
 * thread pool. Refuses (PITH_EUSAGE) a non-loopback address when no token is set, or an
 * address that does not parse; PITH_EIO when the socket cannot be bound. Returns 0 with
 * pith_error_last() untouched, or the error with it set. Stop with http_server_stop. */
int http_server_start(struct http_server **out,
                      struct index_handle *h,
                      const struct http_options *opt);

/* The bound port (the one chosen by the kernel when the address asked for 0). */
uint16_t http_server_port(const struct http_server *s);

/* Stops accepting, lets the requests in flight finish, closes every connection, frees `s`. */
void http_server_stop(struct http_server *s);

/* http_server_start, then waits for SIGINT or SIGTERM (checking INDEX for a newer artifact
 * every INDEX_HANDLE_CHECK_MS meanwhile), then http_server_stop. Logs
 * "pith-serve: listening on http://HOST:PORT" once bound. Returns 0 or the start error. */
int http_run(struct index_handle *h, const struct http_options *opt);

/* ---- pure helpers, exposed for tests -------------------------------------------------------- */

/* Parses `addr` (see http_options) into `out`. The host is a numeric IPv4/IPv6 address or
 * "localhost" (127.0.0.1); names are never looked up. Returns 0 or PITH_EUSAGE. */
int http_parse_addr(struct sockaddr_storage *out, socklen_t *len_out, const char *addr);

/* 1 for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
int http_addr_is_loopback(const struct sockaddr *sa);

/* 1 when the Authorization header value `header` (may be NULL) is "Bearer <token>" (scheme
 * case-insensitive); the token comparison takes the same time wherever they differ. */
int http_auth_ok(const char *header, const char *token);

/* 1 when `path` is relative and has no ".." component (and is not empty). */
int http_path_is_safe(const char *path);

/* The HTTP status for a query_run/query_parse result: 200, 300 (ambiguous), 400, 404, 413,
 * 500. */
unsigned http_status_of(int err);

struct query_op_info;

/* Words of one query (OP, options, "--", positional arguments) built from named request
 * parameters with the operation table (query_ops); the strings are owned. */
struct http_args {
    const struct query_op_info *op;
    char *words[HTTP_ARGS_MAX_WORDS];
    int ranks[HTTP_ARGS_MAX_WORDS]; /* table index of a positional word, -1 for options */
    unsigned given;                 /* bit i: args[i] was given */
    int count;
};

void http_args_init(struct http_args *a, const struct query_op_info *op);
void http_args_release(struct http_args *a);

/* Adds the parameter `key`=`value` (value NULL for a bare "?flag") after the operation's
 * argument named `key`: a positional one becomes a positional word (a list one may repeat), an
 * option "FLAG VALUE", a boolean "FLAG" when the value is NULL, "", "true" or "1" and nothing
 * when it is "false" or "0". Arguments named path, file or files must be relative without "..";
 * a string option's value must not start with '-' (it may reach a subprocess's argv).
 * Returns 0 or PITH_EUSAGE (unknown key, repeated single value, bad boolean, value not UTF-8,
 * too many words). */
int http_args_add(struct http_args *a, const char *key, const char *value);

/* Checks that every required argument was given, then fills `argv` (pointers into `a`, valid
 * until release; `cap` at least HTTP_ARGS_MAX_WORDS + 1) with OP, options, "--" when a
 * positional word starts with '-', and the positional words in table order. Returns the word
 * count or PITH_EUSAGE. */
int http_args_argv(struct http_args *a, char **argv, int cap);

/* The query words of a POST body (JSON). `op` is the operation the URL names (/v1/OP), or NULL
 * (/v1/query: the body names it, {"op": OP, ...}, or gives the whole query, {"line": "..."}).
 * Strings and integers are values, booleans flags, arrays of strings repeated arguments. Fills
 * `argv` (cap HTTP_ARGS_MAX_WORDS + 1; pointers into `a` or into *line_out) and returns the word
 * count, or PITH_EUSAGE (400) or PITH_ENOTFOUND (unknown operation, 404) with pith_error_last()
 * set. Whatever it returns, release `a` with http_args_release and free(*line_out). */
int http_body_words(struct http_args *a,
                    char **line_out,
                    char **argv,
                    const struct query_op_info *op,
                    const char *body,
                    size_t len);

#endif
