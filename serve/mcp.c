/* The Model Context Protocol server (serve stage): parses JSON-RPC 2.0 lines with cJSON,
 * negotiates the protocol version, lists one tool per query operation with a JSON Schema built
 * from the operation table, and answers tools/call through query_parse + query_run.
 *
 *   stdin line ──cJSON──► message ──► initialize | ping | tools/list | tools/call | notification
 *                                                                     │
 *        arguments {"name": N, "depth": 2} ──► words "callers --depth 2 -- N" ──► query_parse
 *                                                                     │
 *   stdout line ◄── {"result": {"content": [{"type": "text", "text": ANSWER}]}} ◄── query_run
 */
#include "serve/mcp.h"

#include "common/err.h"
#include "common/mem.h"
#include "common/utf8.h"
#include "common/version.h"
#include "serve/index_handle.h"
#include "serve/query.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const versions[] = { "2025-06-18", "2025-03-26", "2024-11-05" };

static const char instructions[] =
    "pith answers questions about this repository's code from a prebuilt index (call graph, "
    "symbols, docstrings), in microseconds and with exact file:line locations. Use search when "
    "you do not know a name; symbol to see where a name is defined and what it is; callers "
    "before changing a function (every call site, resolved through imports and types, which "
    "grep misses); callees to see what a function depends on; impact for everything a change "
    "reaches and the tests to run. Names are 'path/to/file.py:Class.method'; partial names "
    "work and ambiguous ones list their candidates. Every tool returns one JSON object as "
    "text.";

const char *const *mcp_versions(size_t *count)
{
    *count = sizeof versions / sizeof *versions;
    return versions;
}

void mcp_session_init(struct mcp_session *s, const struct pith_index *ix)
{
    memset(s, 0, sizeof *s);
    s->ix = ix;
}

/* ---- replies ------------------------------------------------------------------------------- */

static cJSON *reply_new(const cJSON *id)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "jsonrpc", "2.0");
    cJSON_AddItemToObject(r, "id", id ? cJSON_Duplicate(id, 1) : cJSON_CreateNull());
    return r;
}

static cJSON *reply_result(const cJSON *id, cJSON *result)
{
    cJSON *r = reply_new(id);
    cJSON_AddItemToObject(r, "result", result);
    return r;
}

__attribute__((format(printf, 3, 4))) static cJSON *
reply_error(const cJSON *id, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *msg = pith_xmalloc(n > 0 ? (size_t)n + 1 : 1);
    msg[0] = '\0';
    if (n > 0) {
        va_start(ap, fmt);
        vsnprintf(msg, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    cJSON *r = reply_new(id);
    cJSON *e = cJSON_AddObjectToObject(r, "error");
    cJSON_AddNumberToObject(e, "code", code);
    cJSON_AddStringToObject(e, "message", msg);
    free(msg);
    return r;
}

static const cJSON *get(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* ---- initialize, tools/list ------------------------------------------------------------------ */

static cJSON *do_initialize(struct mcp_session *s, const cJSON *id, const cJSON *params)
{
    const cJSON *want = params ? get(params, "protocolVersion") : NULL;
    if (!cJSON_IsString(want))
        return reply_error(id, MCP_INVALID_PARAMS,
                           "initialize needs params.protocolVersion, a string");
    s->version = versions[0];
    for (size_t i = 0; i < sizeof versions / sizeof *versions; i++) {
        if (strcmp(want->valuestring, versions[i]) == 0)
            s->version = versions[i];
    }
    cJSON *res = cJSON_CreateObject();
    cJSON_AddStringToObject(res, "protocolVersion", s->version);
    cJSON *caps = cJSON_AddObjectToObject(res, "capabilities");
    cJSON *tools = cJSON_AddObjectToObject(caps, "tools");
    cJSON_AddFalseToObject(tools, "listChanged");
    cJSON *info = cJSON_AddObjectToObject(res, "serverInfo");
    cJSON_AddStringToObject(info, "name", "pith");
    cJSON_AddStringToObject(info, "version", PITH_VERSION);
    cJSON_AddStringToObject(res, "instructions", instructions);
    return reply_result(id, res);
}

static cJSON *arg_schema(const struct query_arg_info *a)
{
    cJSON *p = cJSON_CreateObject();
    switch (a->type) {
    case QUERY_ARG_STRING:
        cJSON_AddStringToObject(p, "type", "string");
        if (a->required)
            cJSON_AddNumberToObject(p, "minLength", 1);
        cJSON_AddNumberToObject(p, "maxLength", QUERY_ARG_MAX - 1);
        break;
    case QUERY_ARG_INT:
        cJSON_AddStringToObject(p, "type", "integer");
        cJSON_AddNumberToObject(p, "minimum", (double)a->min);
        cJSON_AddNumberToObject(p, "maximum", (double)a->max);
        cJSON_AddNumberToObject(p, "default", (double)a->def);
        break;
    case QUERY_ARG_BOOL:
        cJSON_AddStringToObject(p, "type", "boolean");
        cJSON_AddFalseToObject(p, "default");
        break;
    case QUERY_ARG_STRINGS: {
        cJSON_AddStringToObject(p, "type", "array");
        cJSON *items = cJSON_AddObjectToObject(p, "items");
        cJSON_AddStringToObject(items, "type", "string");
        cJSON_AddNumberToObject(items, "maxLength", QUERY_ARG_MAX - 1);
        if (a->required)
            cJSON_AddNumberToObject(p, "minItems", 1);
        break;
    }
    }
    cJSON_AddStringToObject(p, "description", a->description ? a->description : "");
    return p;
}

static cJSON *tool_json(const struct mcp_session *s, const struct query_op_info *op)
{
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "name", op->name);
    cJSON_AddStringToObject(t, "description", op->description);
    cJSON *schema = cJSON_AddObjectToObject(t, "inputSchema");
    cJSON_AddStringToObject(schema, "type", "object");
    cJSON *props = cJSON_AddObjectToObject(schema, "properties");
    cJSON *required = cJSON_CreateArray();
    for (size_t i = 0; i < QUERY_OP_ARGS_MAX && op->args[i].name; i++) {
        cJSON_AddItemToObject(props, op->args[i].name, arg_schema(&op->args[i]));
        if (op->args[i].required)
            cJSON_AddItemToArray(required, cJSON_CreateString(op->args[i].name));
    }
    if (cJSON_GetArraySize(required) > 0)
        cJSON_AddItemToObject(schema, "required", required);
    else
        cJSON_Delete(required);
    cJSON_AddFalseToObject(schema, "additionalProperties");
    /* tool annotations came with 2025-03-26 */
    if (!s->version || strcmp(s->version, "2024-11-05") != 0) {
        cJSON *ann = cJSON_AddObjectToObject(t, "annotations");
        cJSON_AddTrueToObject(ann, "readOnlyHint");
        cJSON_AddTrueToObject(ann, "idempotentHint");
        cJSON_AddFalseToObject(ann, "openWorldHint");
    }
    return t;
}

static cJSON *do_tools_list(const struct mcp_session *s, const cJSON *id)
{
    size_t n;
    const struct query_op_info *ops = query_ops(&n);
    cJSON *res = cJSON_CreateObject();
    cJSON *tools = cJSON_AddArrayToObject(res, "tools");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(tools, tool_json(s, &ops[i]));
    return reply_result(id, res);
}

/* ---- tools/call ------------------------------------------------------------------------------ */

typedef PITH_VEC(char *) wordvec;

static void words_release(wordvec *w)
{
    for (size_t i = 0; i < w->count; i++)
        free(w->items[i]);
    pith_vec_release(w);
}

/* query_arg_check with the message in `msg`. Returns 0 or -1. */
static int string_ok(const struct query_arg_info *a, const char *v, struct pith_buf *msg)
{
    if (query_arg_check(a, v) == 0)
        return 0;
    pith_buf_printf(msg, "argument %s", pith_error_last());
    return -1;
}

/* Appends the JSON value `v` of argument `a` as words: to `flags` (after a->flag) for an option,
 * to `pos` for a positional argument. Returns 0, or -1 with the reason in `msg`. */
static int arg_words(wordvec *flags,
                     wordvec *pos,
                     const struct query_arg_info *a,
                     const cJSON *v,
                     struct pith_buf *msg)
{
    wordvec *dst = a->flag ? flags : pos;
    switch (a->type) {
    case QUERY_ARG_STRING:
        if (!cJSON_IsString(v)) {
            pith_buf_printf(msg, "argument '%s' must be a string", a->name);
            return -1;
        }
        if (a->required && !*v->valuestring) {
            pith_buf_printf(msg, "argument '%s' must not be empty", a->name);
            return -1;
        }
        if (string_ok(a, v->valuestring, msg) < 0)
            return -1;
        if (a->flag)
            pith_vec_push(flags, pith_xstrdup(a->flag));
        pith_vec_push(dst, pith_xstrdup(v->valuestring));
        return 0;
    case QUERY_ARG_INT: {
        double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
        if (!(d >= (double)a->min && d <= (double)a->max) || floor(d) != d) {
            pith_buf_printf(msg, "argument '%s' must be an integer from %ld to %ld", a->name,
                            a->min, a->max);
            return -1;
        }
        char num[32];
        snprintf(num, sizeof num, "%ld", (long)d);
        if (a->flag)
            pith_vec_push(flags, pith_xstrdup(a->flag));
        pith_vec_push(dst, pith_xstrdup(num));
        return 0;
    }
    case QUERY_ARG_BOOL:
        if (!cJSON_IsBool(v)) {
            pith_buf_printf(msg, "argument '%s' must be true or false", a->name);
            return -1;
        }
        if (cJSON_IsTrue(v) && a->flag)
            pith_vec_push(flags, pith_xstrdup(a->flag));
        return 0;
    case QUERY_ARG_STRINGS: {
        const cJSON *item;
        if (!cJSON_IsArray(v)) {
            pith_buf_printf(msg, "argument '%s' must be an array of strings", a->name);
            return -1;
        }
        if (a->required && cJSON_GetArraySize(v) == 0) {
            pith_buf_printf(msg, "argument '%s' must not be empty", a->name);
            return -1;
        }
        cJSON_ArrayForEach(item, v)
        {
            if (!cJSON_IsString(item)) {
                pith_buf_printf(msg, "argument '%s' must be an array of strings", a->name);
                return -1;
            }
            if (string_ok(a, item->valuestring, msg) < 0)
                return -1;
            if (flags->count + pos->count + 2 > MCP_WORDS_MAX) {
                pith_buf_printf(msg, "argument '%s' has too many items", a->name);
                return -1;
            }
            if (a->flag)
                pith_vec_push(flags, pith_xstrdup(a->flag));
            pith_vec_push(dst, pith_xstrdup(item->valuestring));
        }
        return 0;
    }
    }
    pith_buf_printf(msg, "argument '%s' has an unknown type", a->name);
    return -1;
}

static void arg_names(struct pith_buf *msg, const struct query_op_info *op)
{
    if (!op->args[0].name) {
        pith_buf_puts(msg, "it takes no arguments");
        return;
    }
    pith_buf_puts(msg, "it takes ");
    for (size_t i = 0; i < QUERY_OP_ARGS_MAX && op->args[i].name; i++)
        pith_buf_printf(msg, "%s%s", i ? ", " : "", op->args[i].name);
}

/* Turns the arguments object `args` (NULL: none) into query words:
 * OP [FLAG VALUE | FLAG]... [-- POSITIONAL...]. Returns 0, or -1 with the reason in `msg`. */
static int
call_words(wordvec *out, const struct query_op_info *op, const cJSON *args, struct pith_buf *msg)
{
    wordvec flags = { 0 }, pos = { 0 };
    const cJSON *item;
    int err = 0;
    cJSON_ArrayForEach(item, args)
    {
        size_t i = 0;
        while (i < QUERY_OP_ARGS_MAX && op->args[i].name &&
               strcmp(op->args[i].name, item->string ? item->string : "") != 0)
            i++;
        if (i == QUERY_OP_ARGS_MAX || !op->args[i].name) {
            pith_buf_printf(msg, "unknown argument '%.64s' for tool '%s' (",
                            item->string ? item->string : "", op->name);
            arg_names(msg, op);
            pith_buf_putc(msg, ')');
            err = -1;
            goto out;
        }
    }
    for (size_t i = 0; i < QUERY_OP_ARGS_MAX && op->args[i].name; i++) {
        const struct query_arg_info *a = &op->args[i];
        const cJSON *v = args ? get(args, a->name) : NULL;
        if (!v || cJSON_IsNull(v)) {
            if (a->required) {
                pith_buf_printf(msg, "missing required argument '%s' for tool '%s'", a->name,
                                op->name);
                err = -1;
                goto out;
            }
            continue;
        }
        err = arg_words(&flags, &pos, a, v, msg);
        if (err < 0)
            goto out;
    }
    pith_vec_push(out, pith_xstrdup(op->name));
    for (size_t i = 0; i < flags.count; i++)
        pith_vec_push(out, flags.items[i]);
    if (pos.count)
        pith_vec_push(out, pith_xstrdup("--"));
    for (size_t i = 0; i < pos.count; i++)
        pith_vec_push(out, pos.items[i]);
    flags.count = pos.count = 0; /* moved into `out` */
out:
    words_release(&flags);
    words_release(&pos);
    return err;
}

static void add_text(cJSON *content, const char *text, size_t len)
{
    char *copy = pith_xstrndup(text, len);
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "type", "text");
    cJSON_AddStringToObject(c, "text", copy);
    cJSON_AddItemToArray(content, c);
    free(copy);
}

/* 1 when `answer` is a JSON object with an "error" member (docs/QUERIES.md error answers, and
 * answers such as context's budget_too_small). When `msg` is empty, appends the answer's
 * "message" or, without one, its "error" kind. */
static int is_error_answer(const char *answer, size_t len, struct pith_buf *msg)
{
    cJSON *j = cJSON_ParseWithLength(answer, len);
    const cJSON *kind = cJSON_IsObject(j) ? get(j, "error") : NULL;
    if (kind && msg->len == 0) {
        const cJSON *m = get(j, "message");
        if (cJSON_IsString(m))
            pith_buf_puts(msg, m->valuestring);
        else if (cJSON_IsString(kind))
            pith_buf_puts(msg, kind->valuestring);
    }
    cJSON_Delete(j);
    return kind != NULL;
}

static cJSON *do_tools_call(struct mcp_session *s, const cJSON *id, const cJSON *params)
{
    const cJSON *name = params ? get(params, "name") : NULL;
    const cJSON *args = params ? get(params, "arguments") : NULL;
    if (!cJSON_IsString(name))
        return reply_error(id, MCP_INVALID_PARAMS, "tools/call needs params.name, a string");
    const struct query_op_info *op = query_op_find(name->valuestring);
    if (!op) {
        size_t n;
        const struct query_op_info *ops = query_ops(&n);
        struct pith_buf list = PITH_BUF_INIT;
        for (size_t i = 0; i < n; i++)
            pith_buf_printf(&list, "%s%s", i ? ", " : "", ops[i].name);
        cJSON *r = reply_error(id, MCP_INVALID_PARAMS, "unknown tool '%.64s' (tools: %s)",
                               name->valuestring, list.ptr ? list.ptr : "");
        pith_buf_release(&list);
        return r;
    }
    if (args && !cJSON_IsObject(args) && !cJSON_IsNull(args))
        return reply_error(id, MCP_INVALID_PARAMS, "params.arguments must be an object");

    wordvec words = { 0 };
    struct pith_buf msg = PITH_BUF_INIT, answer = PITH_BUF_INIT;
    struct query_req *req = NULL;
    cJSON *r = NULL;
    if (call_words(&words, op, cJSON_IsObject(args) ? args : NULL, &msg) < 0) {
        r = reply_error(id, MCP_INVALID_PARAMS, "%s", msg.ptr);
        goto out;
    }
    req = pith_xmalloc(sizeof *req);
    int err = query_parse(req, (int)words.count, words.items);
    int usage = err < 0;
    if (err == 0) {
        struct index_snapshot *snap = s->handle ? index_handle_acquire(s->handle) : NULL;
        req->json = 1;
        err = query_run(&answer, snap ? index_snapshot_index(snap) : s->ix, req);
        if (snap)
            index_handle_release(s->handle, snap);
    }
    /* the message now, before anything else can set another */
    pith_buf_puts(&msg, err < 0 ? pith_error_last() : "");
    if (err < 0 && answer.len == 0) {
        /* the error objects of pith-serve --stdio (docs/QUERIES.md) */
        pith_buf_puts(&answer, "{\"error\":");
        pith_buf_put_json_str(&answer, usage                  ? "usage"
                                       : err == PITH_ECORRUPT ? "corrupt"
                                                              : "failed");
        pith_buf_puts(&answer, ",\"message\":");
        pith_buf_put_json_str(&answer, msg.ptr ? msg.ptr : "");
        pith_buf_putc(&answer, '}');
    }
    while (answer.len && answer.ptr[answer.len - 1] == '\n')
        answer.ptr[--answer.len] = '\0';
    /* an error object, whatever the code (context's budget_too_small answers with 0) */
    int is_error = answer.len && (err < 0 || strstr(answer.ptr, "\"error\":")) &&
                   is_error_answer(answer.ptr, answer.len, &msg);

    cJSON *res = cJSON_CreateObject();
    cJSON *content = cJSON_AddArrayToObject(res, "content");
    if (is_error)
        add_text(content, msg.len ? msg.ptr : "failed", msg.len ? msg.len : 6);
    add_text(content, answer.ptr ? answer.ptr : "", answer.len);
    cJSON_AddBoolToObject(res, "isError", is_error);
    r = reply_result(id, res);
out:
    free(req);
    words_release(&words);
    pith_buf_release(&msg);
    pith_buf_release(&answer);
    return r;
}

/* ---- dispatch ------------------------------------------------------------------------------ */

/* Answers one message (an element of a batch or a whole line): the reply, or NULL when none is
 * due (notifications, responses). */
static cJSON *handle_message(struct mcp_session *s, const cJSON *msg)
{
    if (!cJSON_IsObject(msg))
        return reply_error(NULL, MCP_INVALID_REQUEST, "a message must be a JSON object");
    const cJSON *id = get(msg, "id");
    const cJSON *jsonrpc = get(msg, "jsonrpc");
    const cJSON *method = get(msg, "method");
    const cJSON *params = get(msg, "params");
    if (id && !cJSON_IsString(id) && !cJSON_IsNumber(id))
        return reply_error(NULL, MCP_INVALID_REQUEST, "id must be a string or a number");
    if (!cJSON_IsString(jsonrpc) || strcmp(jsonrpc->valuestring, "2.0") != 0)
        return reply_error(id, MCP_INVALID_REQUEST, "jsonrpc must be \"2.0\"");
    if (!method) {
        if (id && (get(msg, "result") || get(msg, "error")))
            return NULL; /* a response; this server sends no requests */
        return reply_error(id, MCP_INVALID_REQUEST, "missing method");
    }
    if (!cJSON_IsString(method))
        return reply_error(id, MCP_INVALID_REQUEST, "method must be a string");
    const char *m = method->valuestring;
    if (!id) {
        /* notifications: initialized; cancelled and the others need nothing (requests are
         * answered before the next line is read) */
        if (strcmp(m, "notifications/initialized") == 0)
            s->initialized = 1;
        return NULL;
    }
    if (params && !cJSON_IsObject(params))
        return reply_error(id, MCP_INVALID_PARAMS, "params must be an object");
    if (strcmp(m, "initialize") == 0)
        return do_initialize(s, id, params);
    if (strcmp(m, "ping") == 0)
        return reply_result(id, cJSON_CreateObject());
    if (strcmp(m, "tools/list") == 0)
        return do_tools_list(s, id);
    if (strcmp(m, "tools/call") == 0)
        return do_tools_call(s, id, params);
    return reply_error(id, MCP_METHOD_NOT_FOUND, "method not found: '%.64s'", m);
}

/* Appends `reply` (consumed) as one line. */
static int put_reply(struct pith_buf *out, cJSON *reply)
{
    char *text = cJSON_PrintUnformatted(reply);
    cJSON_Delete(reply);
    if (!text)
        PITH_BUG("cJSON_PrintUnformatted failed (out of memory)");
    pith_buf_puts(out, text);
    pith_buf_putc(out, '\n');
    free(text);
    return 1;
}

int mcp_handle_line(struct pith_buf *out, struct mcp_session *s, const char *line, size_t len)
{
    while (len && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' ' ||
                   line[len - 1] == '\t'))
        len--;
    size_t start = 0;
    while (start < len && (line[start] == ' ' || line[start] == '\t'))
        start++;
    if (start == len)
        return 0;
    if (memchr(line + start, '\0', len - start))
        return put_reply(out, reply_error(NULL, MCP_PARSE_ERROR, "parse error: a NUL byte"));
    if (!pith_utf8_valid(line + start, len - start))
        return put_reply(out, reply_error(NULL, MCP_PARSE_ERROR, "parse error: invalid UTF-8"));
    char *text = pith_xstrndup(line + start, len - start);
    const char *end = NULL;
    /* the length counts the NUL so that trailing bytes after the value are refused */
    cJSON *msg = cJSON_ParseWithLengthOpts(text, len - start + 1, &end, 1);
    int wrote = 0;
    if (!msg) {
        size_t at = end && end >= text ? (size_t)(end - text) : 0;
        wrote = put_reply(
            out, reply_error(NULL, MCP_PARSE_ERROR, "parse error: invalid JSON at byte %zu", at));
    } else if (cJSON_IsArray(msg)) {
        int n = cJSON_GetArraySize(msg);
        if (n == 0) {
            wrote = put_reply(out, reply_error(NULL, MCP_INVALID_REQUEST, "empty batch"));
        } else if (n > MCP_BATCH_MAX) {
            wrote = put_reply(out, reply_error(NULL, MCP_INVALID_REQUEST,
                                               "a batch holds at most %d messages", MCP_BATCH_MAX));
        } else {
            cJSON *replies = cJSON_CreateArray();
            const cJSON *item;
            cJSON_ArrayForEach(item, msg)
            {
                cJSON *r = handle_message(s, item);
                if (r)
                    cJSON_AddItemToArray(replies, r);
            }
            if (cJSON_GetArraySize(replies) > 0)
                wrote = put_reply(out, replies);
            else
                cJSON_Delete(replies);
        }
    } else {
        cJSON *r = handle_message(s, msg);
        if (r)
            wrote = put_reply(out, r);
    }
    cJSON_Delete(msg);
    free(text);
    return wrote;
}

int mcp_serve(struct mcp_session *s, FILE *in, FILE *out)
{
    struct pith_buf line = PITH_BUF_INIT, ans = PITH_BUF_INIT;
    int over = 0, err = 0;
    for (;;) {
        int c = getc_unlocked(in);
        if (c != EOF && c != '\n') {
            if (line.len < MCP_LINE_MAX)
                pith_buf_putc(&line, (char)c);
            else
                over = 1;
            continue;
        }
        if (c == EOF && line.len == 0)
            break;
        pith_buf_clear(&ans);
        if (over)
            put_reply(&ans, reply_error(NULL, MCP_INVALID_REQUEST,
                                        "message line longer than %u bytes", MCP_LINE_MAX));
        else
            mcp_handle_line(&ans, s, line.ptr, line.len);
        if (ans.len && (fwrite(ans.ptr, 1, ans.len, out) != ans.len || fflush(out) != 0)) {
            err = pith_error_set(PITH_EIO, "cannot write to the MCP client");
            break;
        }
        pith_buf_clear(&line);
        over = 0;
        if (c == EOF)
            break;
    }
    pith_buf_release(&line);
    pith_buf_release(&ans);
    return err;
}
