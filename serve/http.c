/* The HTTP transport of pith-serve (serve stage): libmicrohttpd on a thread pool, requests
 * turned into query words (http_args) and answered by the query engine from the current
 * snapshot of a hot-swappable index. Nothing here opens a file: the index handle maps INDEX. */
#include "serve/http.h"

#include "common/artifact.h"
#include "common/buf.h"
#include "common/cpu.h"
#include "common/err.h"
#include "common/mem.h"
#include "common/utf8.h"
#include "schemas/manifest.pb-c.h"
#include "serve/index_handle.h"
#include "serve/query.h"
#include "serve/serve.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct http_server {
    struct MHD_Daemon *daemon;
    struct index_handle *h;
    char *token; /* NULL: none */
    uint16_t port;
    FILE *log;
};

/* ---- pure helpers ---------------------------------------------------------------------------- */

int http_parse_addr(struct sockaddr_storage *out, socklen_t *len_out, const char *addr)
{
    memset(out, 0, sizeof *out);
    char host[256];
    const char *port;
    if (!addr || !*addr)
        return pith_error_set(PITH_EUSAGE, "empty address");
    if (addr[0] == '[') {
        const char *end = strchr(addr, ']');
        if (!end || end[1] != ':' || (size_t)(end - addr - 1) >= sizeof host)
            return pith_error_set(PITH_EUSAGE, "bad address '%s' (want [V6]:PORT)", addr);
        memcpy(host, addr + 1, (size_t)(end - addr - 1));
        host[end - addr - 1] = '\0';
        port = end + 2;
    } else {
        const char *colon = strrchr(addr, ':');
        if (!colon) {
            strcpy(host, "127.0.0.1");
            port = addr;
        } else {
            if ((size_t)(colon - addr) >= sizeof host)
                return pith_error_set(PITH_EUSAGE, "host name too long in '%s'", addr);
            if (memchr(addr, ':', (size_t)(colon - addr)))
                return pith_error_set(PITH_EUSAGE, "bad address '%s' (IPv6 needs [V6]:PORT)", addr);
            memcpy(host, addr, (size_t)(colon - addr));
            host[colon - addr] = '\0';
            if (!host[0])
                strcpy(host, "127.0.0.1");
            port = colon + 1;
        }
    }
    char *end;
    errno = 0;
    unsigned long p = strtoul(port, &end, 10);
    if (!*port || *end || errno || p > 65535 || port[0] == '-' || port[0] == '+')
        return pith_error_set(PITH_EUSAGE, "bad port in '%s'", addr);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST; /* never a DNS lookup */
    if (strcmp(host, "localhost") == 0)
        strcpy(host, "127.0.0.1");
    char pbuf[8];
    snprintf(pbuf, sizeof pbuf, "%lu", p);
    int rc = getaddrinfo(host, pbuf, &hints, &res);
    if (rc != 0 || !res)
        return pith_error_set(PITH_EUSAGE, "bad address '%s' (a numeric IP or localhost): %s", host,
                              gai_strerror(rc));
    memcpy(out, res->ai_addr, res->ai_addrlen);
    *len_out = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

int http_addr_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a))
            return 1;
        return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
    }
    return 0;
}

int http_auth_ok(const char *header, const char *token)
{
    if (!header || strncasecmp(header, "Bearer ", 7) != 0)
        return 0;
    const char *given = header + 7;
    while (*given == ' ')
        given++;
    size_t glen = strlen(given), tlen = strlen(token);
    /* every byte of the token is compared whatever the input: no early exit */
    volatile unsigned char diff = (unsigned char)(glen != tlen);
    for (size_t i = 0; i < tlen; i++)
        diff |= (unsigned char)(token[i] ^ (i < glen ? given[i] : 0));
    return diff == 0;
}

int http_path_is_safe(const char *path)
{
    if (!path || !*path || path[0] == '/' || path[0] == '\\')
        return 0;
    for (const char *p = path; *p;) {
        const char *e = p + strcspn(p, "/\\");
        if (e - p == 2 && p[0] == '.' && p[1] == '.')
            return 0;
        p = *e ? e + 1 : e;
    }
    return 1;
}

unsigned http_status_of(int err)
{
    switch (err) {
    case 0:
        return 200;
    case PITH_EAMBIGUOUS:
        return 300;
    case PITH_EUSAGE:
        return 400;
    case PITH_ENOTFOUND:
        return 404;
    case PITH_ETOOBIG:
        return 413;
    case PITH_EUPSTREAM:
        return 502;
    default:
        return 500;
    }
}

void http_args_init(struct http_args *a, const struct query_op_info *op)
{
    memset(a, 0, sizeof *a);
    a->op = op;
    a->words[0] = pith_xstrdup(op->name);
    a->ranks[0] = -2;
    a->count = 1;
}

void http_args_release(struct http_args *a)
{
    for (int i = 0; i < a->count; i++)
        free(a->words[i]);
    memset(a, 0, sizeof *a);
}

static int push(struct http_args *a, const char *word, int rank)
{
    if (a->count >= HTTP_ARGS_MAX_WORDS - 1) /* one slot kept for "--" */
        return pith_error_set(PITH_EUSAGE, "more than %d query words", HTTP_ARGS_MAX_WORDS - 2);
    a->words[a->count] = pith_xstrdup(word);
    a->ranks[a->count] = rank;
    a->count++;
    return 0;
}

int http_args_add(struct http_args *a, const char *key, const char *value)
{
    const struct query_arg_info *arg = NULL;
    int idx = 0;
    for (; idx < QUERY_OP_ARGS_MAX && a->op->args[idx].name; idx++) {
        if (strcmp(a->op->args[idx].name, key) == 0) {
            arg = &a->op->args[idx];
            break;
        }
    }
    if (!arg && (strlen(key) > 64 || !pith_utf8_valid(key, strlen(key))))
        return pith_error_set(PITH_EUSAGE, "unknown parameter for %s (see /v1/ops)", a->op->name);
    if (!arg) /* echoed whole: a cut could split a UTF-8 sequence */
        return pith_error_set(PITH_EUSAGE, "unknown parameter '%s' for %s (see /v1/ops)", key,
                              a->op->name);
    /* UTF-8, length, an option value never starting with '-', path/file/files inside the
     * repository: the rules every front end shares */
    if (value && arg->type != QUERY_ARG_BOOL && query_arg_check(arg, value) < 0)
        return PITH_EUSAGE;
    if ((a->given & (1u << idx)) && arg->type != QUERY_ARG_STRINGS)
        return pith_error_set(PITH_EUSAGE, "parameter '%s' given twice", key);
    if (arg->type == QUERY_ARG_BOOL) {
        a->given |= 1u << idx;
        if (!value || !*value || strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
            return push(a, arg->flag, -1);
        if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
            return 0;
        a->given &= ~(1u << idx);
        return pith_error_set(PITH_EUSAGE, "parameter '%s' is true or false", key);
    }
    if (!value || !*value)
        return pith_error_set(PITH_EUSAGE, "parameter '%s' needs a value", key);
    a->given |= 1u << idx;
    if (!arg->flag)
        return push(a, value, idx); /* after "--" when it starts with '-' */
    int err = push(a, arg->flag, -1);
    return err ? err : push(a, value, -1);
}

int http_args_argv(struct http_args *a, char **argv, int cap)
{
    if (cap < a->count + 1)
        PITH_BUG("http_args_argv: argv too small");
    for (int i = 0; i < QUERY_OP_ARGS_MAX && a->op->args[i].name; i++) {
        if (a->op->args[i].required && !(a->given & (1u << i)))
            return pith_error_set(PITH_EUSAGE, "%s needs the parameter '%s'", a->op->name,
                                  a->op->args[i].name);
    }
    int n = 0, dashes = 0;
    argv[n++] = a->words[0];
    for (int i = 1; i < a->count; i++) {
        if (a->ranks[i] < 0)
            argv[n++] = a->words[i];
    }
    /* positionals in table order, repeated ones in the order given */
    for (int r = 0; r < QUERY_OP_ARGS_MAX; r++) {
        for (int i = 1; i < a->count; i++) {
            if (a->ranks[i] != r)
                continue;
            if (a->words[i][0] == '-' && !dashes) {
                argv[n++] = (char *)"--";
                dashes = 1;
            }
            argv[n++] = a->words[i];
        }
    }
    return n;
}

/* ---- requests ------------------------------------------------------------------------------- */

struct req_ctx {
    size_t uri_len;
    int started;
    int too_big;
    size_t body_seen;
    struct pith_buf body;
};

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    struct req_ctx *ctx = pith_xcalloc(1, sizeof *ctx);
    ctx->uri_len = uri ? strlen(uri) : 0;
    return ctx;
}

static void on_completed(void *cls,
                         struct MHD_Connection *c,
                         void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct req_ctx *ctx = *con_cls;
    if (ctx) {
        pith_buf_release(&ctx->body);
        free(ctx);
    }
    *con_cls = NULL;
}

static enum MHD_Result send_buf(struct MHD_Connection *c,
                                unsigned status,
                                struct pith_buf *body,
                                const char *allow,
                                uint64_t gen)
{
    size_t len;
    if (!body->ptr)
        pith_buf_puts(body, "{}\n");
    char *p = pith_buf_detach(body, &len);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, p, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(p);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    if (status == 401)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"pith\"");
    if (gen) {
        char g[24];
        snprintf(g, sizeof g, "%llu", (unsigned long long)gen);
        MHD_add_response_header(r, "X-Pith-Generation", g);
    }
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_error(
    struct MHD_Connection *c, unsigned status, const char *kind, const char *msg, const char *allow)
{
    struct pith_buf b = PITH_BUF_INIT;
    pith_buf_puts(&b, "{\"error\":");
    pith_buf_put_json_str(&b, kind);
    pith_buf_puts(&b, ",\"message\":");
    pith_buf_put_json_str(&b, msg);
    pith_buf_puts(&b, "}\n");
    return send_buf(c, status, &b, allow, 0);
}

static void health(struct pith_buf *out, struct http_server *s, const struct index_snapshot *snap)
{
    const struct pith_index *ix = index_snapshot_index(snap);
    const Pith__Manifest *m = pith_index_manifest(ix);
    pith_buf_puts(out, "{\"status\":\"ok\",\"index\":");
    pith_buf_put_json_str(out, index_handle_path(s->h));
    pith_buf_printf(out, ",\"format_version\":%u,\"tool_version\":", m->format_version);
    pith_buf_put_json_str(out, m->tool_version ? m->tool_version : "");
    pith_buf_puts(out, ",\"source_commit\":");
    pith_buf_put_json_str(out, m->source_commit ? m->source_commit : "");
    pith_buf_puts(out, ",\"repo_root\":");
    pith_buf_put_json_str(out, m->repo_root ? m->repo_root : "");
    pith_buf_printf(out,
                    ",\"symbol_count\":%u,\"file_count\":%u,\"edge_count\":%llu,"
                    "\"generation\":%llu,\"refused\":%llu}\n",
                    pith_index_symbol_count(ix), pith_index_file_count(ix),
                    (unsigned long long)m->edge_count,
                    (unsigned long long)index_snapshot_generation(snap),
                    (unsigned long long)index_handle_refused_count(s->h));
}

static void list_ops(struct pith_buf *out)
{
    static const char *const types[] = { "", "string", "integer", "boolean", "strings" };
    size_t n;
    const struct query_op_info *ops = query_ops(&n);
    pith_buf_puts(out, "{\"ops\":[");
    for (size_t i = 0; i < n; i++) {
        pith_buf_puts(out, i ? ",{\"name\":" : "{\"name\":");
        pith_buf_put_json_str(out, ops[i].name);
        pith_buf_printf(out, ",\"endpoint\":\"/v1/%s\",\"description\":", ops[i].name);
        pith_buf_put_json_str(out, ops[i].description);
        pith_buf_puts(out, ",\"params\":[");
        for (int j = 0; j < QUERY_OP_ARGS_MAX && ops[i].args[j].name; j++) {
            const struct query_arg_info *g = &ops[i].args[j];
            pith_buf_puts(out, j ? ",{\"name\":" : "{\"name\":");
            pith_buf_put_json_str(out, g->name);
            pith_buf_printf(out, ",\"type\":\"%s\",\"required\":%s,\"flag\":",
                            (unsigned)g->type < 5 ? types[g->type] : "string",
                            g->required ? "true" : "false");
            if (g->flag)
                pith_buf_put_json_str(out, g->flag);
            else
                pith_buf_puts(out, "null");
            if (g->type == QUERY_ARG_INT)
                pith_buf_printf(out, ",\"min\":%ld,\"max\":%ld,\"default\":%ld", g->min, g->max,
                                g->def);
            pith_buf_puts(out, ",\"description\":");
            pith_buf_put_json_str(out, g->description ? g->description : "");
            pith_buf_putc(out, '}');
        }
        pith_buf_puts(out, "]}");
    }
    pith_buf_puts(out, "]}\n");
}

/* Runs the query words through query_parse and query_run on the current snapshot. */
static enum MHD_Result
answer(struct MHD_Connection *c, struct http_server *s, int argc, char **argv)
{
    struct query_req *req = pith_xmalloc(sizeof *req);
    struct pith_buf out = PITH_BUF_INIT;
    enum MHD_Result ret;
    int err = query_parse(req, argc, argv);
    if (err == 0 && req->index)
        err = pith_error_set(PITH_EUSAGE, "-i is not allowed over HTTP");
    if (err < 0) {
        ret = send_error(c, 400, "usage", pith_error_last(), NULL);
        goto out;
    }
    req->json = 1;
    struct index_snapshot *snap = index_handle_acquire(s->h);
    err = query_run(&out, index_snapshot_index(snap), req);
    uint64_t gen = index_snapshot_generation(snap);
    index_handle_release(s->h, snap);
    if (err < 0 && out.len == 0) {
        pith_buf_puts(&out, "{\"error\":");
        pith_buf_put_json_str(&out, err == PITH_ECORRUPT    ? "corrupt"
                                    : err == PITH_ENOTFOUND ? "not_found"
                                    : err == PITH_EUPSTREAM ? "upstream"
                                                            : "failed");
        pith_buf_puts(&out, ",\"message\":");
        pith_buf_put_json_str(&out, pith_error_last());
        pith_buf_puts(&out, "}\n");
    }
    ret = send_buf(c, http_status_of(err), &out, NULL, gen);
out:
    pith_buf_release(&out);
    free(req);
    return ret;
}

struct arg_walk {
    struct http_args *args;
    int err;
};

static enum MHD_Result
on_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct arg_walk *w = cls;
    if (w->err == 0)
        w->err = http_args_add(w->args, key, value);
    return w->err == 0 ? MHD_YES : MHD_NO;
}

/* A JSON body: {"op": OP, ARG: VALUE, ...} (op comes from the URL on /v1/OP) or
 * {"line": "callers f --depth 2"}. Strings and integers are values, true/false booleans, an
 * array of strings a repeated argument. */
static int args_from_json(struct http_args *a, const cJSON *root)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, root)
    {
        const char *k = item->string;
        char num[32];
        const char *v;
        int err;
        if (!k || strcmp(k, "op") == 0)
            continue;
        if (cJSON_IsArray(item)) {
            const cJSON *e;
            cJSON_ArrayForEach(e, item)
            {
                if (!cJSON_IsString(e))
                    return pith_error_set(PITH_EUSAGE, "\"%.64s\" must hold strings", k);
                err = http_args_add(a, k, e->valuestring);
                if (err)
                    return err;
            }
            continue;
        }
        if (cJSON_IsString(item)) {
            v = item->valuestring;
        } else if (cJSON_IsNumber(item)) {
            double d = item->valuedouble;
            if (d != (double)(long long)d || d < -1e15 || d > 1e15)
                return pith_error_set(PITH_EUSAGE, "\"%.64s\" must be an integer", k);
            snprintf(num, sizeof num, "%lld", (long long)d);
            v = num;
        } else if (cJSON_IsBool(item)) {
            v = cJSON_IsTrue(item) ? "true" : "false";
        } else {
            return pith_error_set(PITH_EUSAGE, "\"%.64s\" must be a string, number or boolean", k);
        }
        err = http_args_add(a, k, v);
        if (err)
            return err;
    }
    return 0;
}

int http_body_words(struct http_args *a,
                    char **line_out,
                    char **argv,
                    const struct query_op_info *op,
                    const char *body,
                    size_t len)
{
    memset(a, 0, sizeof *a);
    *line_out = NULL;
    cJSON *root = cJSON_ParseWithLength(body ? body : "", len);
    int n;
    if (!root || !cJSON_IsObject(root)) {
        n = pith_error_set(PITH_EUSAGE, "the body must be a JSON object");
        goto out;
    }
    const cJSON *line = cJSON_GetObjectItemCaseSensitive(root, "line");
    const cJSON *jop = cJSON_GetObjectItemCaseSensitive(root, "op");
    if (!op && cJSON_IsString(line)) {
        if (cJSON_GetArraySize(root) != 1) {
            n = pith_error_set(PITH_EUSAGE, "\"line\" comes alone");
        } else if (!pith_utf8_valid(line->valuestring, strlen(line->valuestring))) {
            n = pith_error_set(PITH_EUSAGE, "\"line\" is not valid UTF-8");
        } else {
            *line_out = pith_xstrdup(line->valuestring);
            n = serve_split(argv, HTTP_ARGS_MAX_WORDS, *line_out);
            if (n == 0)
                n = pith_error_set(PITH_EUSAGE, "empty query line");
            else if (n > 0 && !query_op_find(argv[0]))
                n = pith_error_set(PITH_ENOTFOUND, "no such query operation (see /v1/ops)");
        }
        goto out;
    }
    if (!op) {
        if (!cJSON_IsString(jop)) {
            n = pith_error_set(PITH_EUSAGE, "the body needs \"op\" (or \"line\")");
            goto out;
        }
        op = query_op_find(jop->valuestring);
        if (!op) {
            n = pith_error_set(PITH_ENOTFOUND, "no such query operation (see /v1/ops)");
            goto out;
        }
    }
    http_args_init(a, op);
    n = args_from_json(a, root);
    if (n == 0)
        n = http_args_argv(a, argv, HTTP_ARGS_MAX_WORDS + 1);
out:
    cJSON_Delete(root);
    return n;
}

static enum MHD_Result handle_post(struct MHD_Connection *c,
                                   struct http_server *s,
                                   const struct query_op_info *op,
                                   struct req_ctx *ctx)
{
    struct http_args a;
    char *line, *argv[HTTP_ARGS_MAX_WORDS + 1];
    enum MHD_Result ret;
    int n = http_body_words(&a, &line, argv, op, ctx->body.ptr, ctx->body.len);
    if (n == PITH_ENOTFOUND)
        ret = send_error(c, 404, "unknown_op", pith_error_last(), NULL);
    else if (n < 0)
        ret = send_error(c, 400, "usage", pith_error_last(), NULL);
    else
        ret = answer(c, s, n, argv);
    http_args_release(&a);
    free(line);
    return ret;
}

static enum MHD_Result on_request(void *cls,
                                  struct MHD_Connection *c,
                                  const char *url,
                                  const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    struct http_server *s = cls;
    struct req_ctx *ctx = *con_cls;
    if (!ctx) {
        ctx = pith_xcalloc(1, sizeof *ctx);
        *con_cls = ctx;
    }
    int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    int post = strcmp(method, "POST") == 0;
    if (!ctx->started) {
        ctx->started = 1;
        if (s->token && !http_auth_ok(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                                  MHD_HTTP_HEADER_AUTHORIZATION),
                                      s->token))
            return send_error(c, 401, "unauthorized",
                              "this server needs an Authorization: Bearer token", NULL);
        if (ctx->uri_len > HTTP_URL_MAX)
            return send_error(c, 414, "uri_too_long", "the request target exceeds 8 KiB", NULL);
        if (!get && !post)
            return send_error(c, 405, "method_not_allowed", "use GET or POST", "GET, HEAD, POST");
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > HTTP_BODY_MAX)
            return send_error(c, 413, "too_large", "the request body exceeds 64 KiB", NULL);
        if (post)
            return MHD_YES; /* the body follows */
    }
    if (*upload_data_size) {
        ctx->body_seen += *upload_data_size;
        if (ctx->body_seen > HTTP_BODY_MAX)
            ctx->too_big = 1;
        else
            pith_buf_put(&ctx->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        /* a chunked body far past the limit: drop the connection rather than read on */
        return ctx->body_seen > 16 * (size_t)HTTP_BODY_MAX ? MHD_NO : MHD_YES;
    }
    if (ctx->too_big)
        return send_error(c, 413, "too_large", "the request body exceeds 64 KiB", NULL);
    if (get && ctx->body_seen)
        return send_error(c, 400, "usage", "a GET request takes no body", NULL);

    if (strncmp(url, "/v1/", 4) != 0)
        return send_error(c, 404, "not_found", "no such endpoint (try /v1/health)", NULL);
    const char *name = url + 4;
    struct pith_buf out = PITH_BUF_INIT;
    if (strcmp(name, "health") == 0 || strcmp(name, "ops") == 0) {
        if (!get)
            return send_error(c, 405, "method_not_allowed", "use GET", "GET, HEAD");
        uint64_t gen = 0;
        if (name[0] == 'h') {
            struct index_snapshot *snap = index_handle_acquire(s->h);
            health(&out, s, snap);
            gen = index_snapshot_generation(snap);
            index_handle_release(s->h, snap);
        } else {
            list_ops(&out);
        }
        enum MHD_Result ret = send_buf(c, 200, &out, NULL, gen);
        pith_buf_release(&out);
        return ret;
    }
    if (strcmp(name, "query") == 0) {
        if (!post)
            return send_error(c, 405, "method_not_allowed", "POST a JSON body to /v1/query",
                              "POST");
        return handle_post(c, s, NULL, ctx);
    }
    const struct query_op_info *op = query_op_find(name);
    if (!op)
        return send_error(c, 404, "unknown_op", "no such query operation (see /v1/ops)", NULL);
    if (post)
        return handle_post(c, s, op, ctx);
    struct http_args a;
    http_args_init(&a, op);
    struct arg_walk w = { &a, 0 };
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, on_arg, &w);
    enum MHD_Result ret;
    char *argv[HTTP_ARGS_MAX_WORDS + 1];
    int n = w.err ? w.err : http_args_argv(&a, argv, HTTP_ARGS_MAX_WORDS + 1);
    if (n < 0)
        ret = send_error(c, 400, "usage", pith_error_last(), NULL);
    else
        ret = answer(c, s, n, argv);
    http_args_release(&a);
    return ret;
}

/* ---- the daemon ----------------------------------------------------------------------------- */

int http_server_start(struct http_server **out,
                      struct index_handle *h,
                      const struct http_options *opt)
{
    *out = NULL;
    struct sockaddr_storage ss;
    socklen_t sslen;
    int err = http_parse_addr(&ss, &sslen, opt->addr);
    if (err)
        return err;
    if (!http_addr_is_loopback((struct sockaddr *)&ss) && !(opt->token && *opt->token))
        return pith_error_set(PITH_EUSAGE,
                              "refusing to listen on non-loopback address %s without a token "
                              "(set %s or --token-env VAR)",
                              opt->addr, HTTP_TOKEN_ENV);
    struct http_server *s = pith_xcalloc(1, sizeof *s);
    s->h = h;
    s->log = opt->log;
    s->token = opt->token && *opt->token ? pith_xstrdup(opt->token) : NULL;
    unsigned threads = opt->threads ? opt->threads : (unsigned)pith_cpu_count();
    unsigned timeout = opt->timeout_s ? opt->timeout_s : HTTP_TIMEOUT_S;
    unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_TIMEOUT, timeout,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTIONS, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)(64u << 10), MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, NULL, MHD_OPTION_END);
    if (!s->daemon) {
        err = pith_error_set(PITH_EIO, "cannot listen on %s: %s", opt->addr,
                             errno ? strerror(errno) : "libmicrohttpd refused to start");
        free(s->token);
        free(s);
        return err;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    *out = s;
    return 0;
}

uint16_t http_server_port(const struct http_server *s)
{
    return s->port;
}

void http_server_stop(struct http_server *s)
{
    if (!s)
        return;
    MHD_socket fd = MHD_quiesce_daemon(s->daemon);
    (void)fd;
    MHD_stop_daemon(s->daemon);
    if (s->token) {
        memset(s->token, 0, strlen(s->token));
        free(s->token);
    }
    free(s);
}

int http_run(struct index_handle *h, const struct http_options *opt)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    /* block before the pool starts so every worker inherits the mask and sigtimedwait here
     * receives the signal */
    pthread_sigmask(SIG_BLOCK, &set, &old);
    signal(SIGPIPE, SIG_IGN); /* a client gone mid-answer is an error on that socket only */
    struct http_server *s;
    int err = http_server_start(&s, h, opt);
    if (err) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return err;
    }
    if (opt->log) {
        struct sockaddr_storage ss;
        socklen_t len;
        char host[INET6_ADDRSTRLEN] = "?";
        if (http_parse_addr(&ss, &len, opt->addr) == 0) {
            const void *a = ss.ss_family == AF_INET6
                                ? (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                                : (const void *)&((struct sockaddr_in *)&ss)->sin_addr;
            inet_ntop(ss.ss_family, a, host, sizeof host);
        }
        fprintf(opt->log, "pith-serve: listening on http://%s%s%s:%u (index %s, %s)\n",
                ss.ss_family == AF_INET6 ? "[" : "", host, ss.ss_family == AF_INET6 ? "]" : "",
                http_server_port(s), index_handle_path(h),
                s->token ? "bearer token required" : "loopback, no token");
        fflush(opt->log);
    }
    for (;;) {
        struct timespec ts = { 0, INDEX_HANDLE_CHECK_MS * 1000000L };
        int sig = sigtimedwait(&set, NULL, &ts);
        if (sig == SIGINT || sig == SIGTERM)
            break;
        (void)index_handle_check(h);
    }
    http_server_stop(s);
    if (opt->log) {
        fputs("pith-serve: stopped\n", opt->log);
        fflush(opt->log);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return 0;
}
