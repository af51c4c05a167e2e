/* Unit tests of the MCP server: table-driven request lines against expected response lines,
 * version negotiation, tools/list schemas from the operation table, tools/call answers equal to
 * the query engine's, and the bounded line reader. */
#include "tests/fuzz/tiny_index.h"
#include "tests/harness/harness.h"

#include "common/artifact.h"
#include "common/buf.h"
#include "common/err.h"
#include "pack/pack.h"
#include "serve/mcp.h"
#include "serve/query.h"
#include "serve/serve.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

/* ---- a small index, packed in memory ------------------------------------------------------- */

static struct pith_index *mcp_index(void)
{
    struct pith_index *ix = tiny_index_build();
    if (!ix)
        pith_test_fail(__FILE__, __LINE__, "index: %s", pith_error_last());
    return ix;
}

/* Sends `line` and returns the answer line without its newline ("" when none; static). */
static const char *send(struct mcp_session *s, const char *line)
{
    static struct pith_buf out;
    pith_buf_clear(&out);
    int wrote = mcp_handle_line(&out, s, line, strlen(line));
    if (wrote != (out.len > 0))
        pith_test_fail(__FILE__, __LINE__, "'%s': returned %d with %zu bytes", line, wrote,
                       out.len);
    if (out.len && out.ptr[out.len - 1] != '\n')
        pith_test_fail(__FILE__, __LINE__, "'%s': answer does not end with a newline", line);
    if (out.len)
        out.ptr[--out.len] = '\0';
    if (out.len && memchr(out.ptr, '\n', out.len))
        pith_test_fail(__FILE__, __LINE__, "'%s': answer spans several lines", line);
    return out.len ? out.ptr : "";
}

/* ---- the dispatcher, table-driven ---------------------------------------------------------- */

#define RPC(body)        "{\"jsonrpc\":\"2.0\"," body "}"
#define CALL(id, params) RPC("\"id\":" id ",\"method\":\"tools/call\",\"params\":" params)
#define ERR(id, code, msg) \
    "{\"jsonrpc\":\"2.0\",\"id\":" id ",\"error\":{\"code\":" #code ",\"message\":\"" msg "\"}}"

static const struct {
    const char *request;
    const char *response; /* the exact line, "" for none */
} dispatch_cases[] = {
    /* nothing to answer */
    { "", "" },
    { "  \t\r", "" },
    { RPC("\"method\":\"notifications/initialized\""), "" },
    { RPC("\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":1}"), "" },
    { RPC("\"method\":\"no/such/notification\""), "" },
    { RPC("\"id\":7,\"result\":{}"), "" }, /* a response to us */
    { "[" RPC("\"method\":\"notifications/x\"") "]", "" },
    /* ping, ids echoed as given */
    { RPC("\"id\":1,\"method\":\"ping\""), "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}" },
    { RPC("\"id\":\"abc\",\"method\":\"ping\",\"params\":{}"),
      "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"result\":{}}" },
    { RPC("\"id\":12345678901,\"method\":\"ping\""),
      "{\"jsonrpc\":\"2.0\",\"id\":12345678901,\"result\":{}}" },
    { "  " RPC("\"id\":-2,\"method\":\"ping\"") " \r",
      "{\"jsonrpc\":\"2.0\",\"id\":-2,\"result\":{}}" },
    /* batches */
    { "[" RPC("\"id\":1,\"method\":\"ping\"") "," RPC("\"method\":\"notifications/x\"") "," RPC(
          "\"id\":2,\"method\":\"ping\"") "]",
      "[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}},{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}"
      "]" },
    { "[]", ERR("null", -32600, "empty batch") },
    { "[1]", "[" ERR("null", -32600, "a message must be a JSON object") "]" },
    /* parse errors */
    { "{", ERR("null", -32700, "parse error: invalid JSON at byte 1") },
    { "not json", ERR("null", -32700, "parse error: invalid JSON at byte 0") },
    { RPC("\"id\":1,\"method\":\"ping\"") " x",
      ERR("null", -32700, "parse error: invalid JSON at byte 41") },
    /* invalid requests */
    { "\"ping\"", ERR("null", -32600, "a message must be a JSON object") },
    { "{\"id\":1,\"method\":\"ping\"}", ERR("1", -32600, "jsonrpc must be \\\"2.0\\\"") },
    { "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}",
      ERR("1", -32600, "jsonrpc must be \\\"2.0\\\"") },
    { RPC("\"id\":null,\"method\":\"ping\""),
      ERR("null", -32600, "id must be a string or a number") },
    { RPC("\"id\":{},\"method\":\"ping\""),
      ERR("null", -32600, "id must be a string or a number") },
    { RPC("\"id\":3"), ERR("3", -32600, "missing method") },
    { RPC("\"id\":3,\"method\":5"), ERR("3", -32600, "method must be a string") },
    /* methods and params */
    { RPC("\"id\":4,\"method\":\"resources/list\""),
      ERR("4", -32601, "method not found: 'resources/list'") },
    { RPC("\"id\":4,\"method\":\"ping\",\"params\":[1]"),
      ERR("4", -32602, "params must be an object") },
    { RPC("\"id\":5,\"method\":\"initialize\",\"params\":{}"),
      ERR("5", -32602, "initialize needs params.protocolVersion, a string") },
    { RPC("\"id\":5,\"method\":\"initialize\""),
      ERR("5", -32602, "initialize needs params.protocolVersion, a string") },
    /* tools/call: protocol-level failures */
    { RPC("\"id\":6,\"method\":\"tools/call\""),
      ERR("6", -32602, "tools/call needs params.name, a string") },
    { CALL("6", "{\"name\":\"frob\"}"),
      ERR("6", -32602, "unknown tool 'frob' (tools: symbol, callers, callees, impact, search") },
    { CALL("6", "{\"name\":\"callers\",\"arguments\":[]}"),
      ERR("6", -32602, "params.arguments must be an object") },
    { CALL("6", "{\"name\":\"callers\"}"),
      ERR("6", -32602, "missing required argument 'name' for tool 'callers'") },
    { CALL("6", "{\"name\":\"callers\",\"arguments\":{\"name\":\"\"}}"),
      ERR("6", -32602, "argument 'name' must not be empty") },
    { CALL("6", "{\"name\":\"callers\",\"arguments\":{\"name\":7}}"),
      ERR("6", -32602, "argument 'name' must be a string") },
    { CALL("6", "{\"name\":\"callers\",\"arguments\":{\"name\":\"f\",\"depth\":2.5}}"),
      ERR("6", -32602, "argument 'depth' must be an integer from 1 to 100") },
    { CALL("6",
           "{\"name\":\"callers\",\"arguments\":{\"name\":\"f\",\"depth\":\"2\"}"
           "}"),
      ERR("6", -32602, "argument 'depth' must be an integer from 1 to 100") },
    { CALL("6", "{\"name\":\"callers\",\"arguments\":{\"name\":\"f\",\"depth\":101}}"),
      ERR("6", -32602, "argument 'depth' must be an integer from 1 to 100") },
    { CALL("6", "{\"name\":\"symbol\",\"arguments\":{\"name\":\"f\",\"k\":1}}"),
      ERR("6", -32602, "unknown argument 'k' for tool 'symbol' (it takes name)") },
    /* tools/call: answers and tool-level errors */
    { CALL("7", "{\"name\":\"symbol\",\"arguments\":{\"name\":\"nope\"}}"),
      "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"content\":["
      "{\"type\":\"text\",\"text\":\"no symbol named 'nope'\"},"
      "{\"type\":\"text\",\"text\":\"{\\\"op\\\":\\\"symbol\\\",\\\"query\\\":\\\"nope\\\","
      "\\\"error\\\":\\\"not_found\\\",\\\"message\\\":\\\"no symbol named 'nope'\\\","
      "\\\"suggestions\\\":[]}\"}],\"isError\":true}}" },
    /* a name starting with '-' is a NAME, not an option; null is "not given" */
    { CALL("8", "{\"name\":\"callers\",\"arguments\":{\"name\":\"-x\",\"depth\":null}}"),
      "{\"jsonrpc\":\"2.0\",\"id\":8,\"result\":{\"content\":["
      "{\"type\":\"text\",\"text\":\"no symbol named '-x'\"},"
      "{\"type\":\"text\",\"text\":\"{\\\"op\\\":\\\"callers\\\",\\\"query\\\":\\\"-x\\\","
      "\\\"error\\\":\\\"not_found\\\",\\\"message\\\":\\\"no symbol named '-x'\\\","
      "\\\"suggestions\\\":[]}\"}],\"isError\":true}}" },
};

PITH_TEST(serve_mcp_dispatch_table)
{
    struct pith_index *ix = mcp_index();
    if (!ix)
        return;
    struct mcp_session s;
    mcp_session_init(&s, ix);
    for (size_t i = 0; i < sizeof dispatch_cases / sizeof *dispatch_cases; i++) {
        const char *got = send(&s, dispatch_cases[i].request);
        const char *want = dispatch_cases[i].response;
        /* the unknown-tool message lists every tool: compare up to the ones named here */
        size_t n = strlen(want);
        if (strstr(want, "unknown tool") && n > 3) {
            n -= 3;
            if (strncmp(got, want, n) != 0)
                pith_test_fail(__FILE__, __LINE__, "case %zu: %s\n--- got\n%s\n--- expected\n%s", i,
                               dispatch_cases[i].request, got, want);
            continue;
        }
        if (strcmp(got, want) != 0)
            pith_test_fail(__FILE__, __LINE__, "case %zu: %s\n--- got\n%s\n--- expected\n%s", i,
                           dispatch_cases[i].request, got, want);
    }
    pith_index_free(ix);
}

PITH_TEST(serve_mcp_nul_byte_and_bad_utf8)
{
    struct mcp_session s;
    struct pith_buf out = PITH_BUF_INIT;
    mcp_session_init(&s, NULL);
    static const char line[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\0\"method\":\"ping\"}";
    CHECK_EQ_INT(mcp_handle_line(&out, &s, line, sizeof line - 1), 1);
    CHECK_EQ_STR(out.ptr, ERR("null", -32700, "parse error: a NUL byte") "\n");
    pith_buf_clear(&out);
    static const char latin1[] = RPC("\"id\":1,\"method\":\"caf\xe9\"");
    CHECK_EQ_INT(mcp_handle_line(&out, &s, latin1, sizeof latin1 - 1), 1);
    CHECK_EQ_STR(out.ptr, ERR("null", -32700, "parse error: invalid UTF-8") "\n");
    pith_buf_release(&out);
}

/* ---- initialize: version negotiation --------------------------------------------------------- */

static cJSON *send_json(struct mcp_session *s, const char *line)
{
    const char *got = send(s, line);
    cJSON *j = cJSON_Parse(got);
    if (!j)
        pith_test_fail(__FILE__, __LINE__, "'%s': answer is not JSON: %s", line, got);
    return j;
}

static const char *jpath_str(const cJSON *j, const char *a, const char *b, const char *c)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, a);
    if (b)
        v = cJSON_GetObjectItemCaseSensitive(v, b);
    if (c)
        v = cJSON_GetObjectItemCaseSensitive(v, c);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

PITH_TEST(serve_mcp_initialize_negotiates)
{
    static const struct {
        const char *asked, *answered;
        int annotations; /* tools/list carries tool annotations */
    } cases[] = {
        { "2025-06-18", "2025-06-18", 1 }, { "2025-03-26", "2025-03-26", 1 },
        { "2024-11-05", "2024-11-05", 0 }, { "2025-11-25", "2025-06-18", 1 },
        { "1999-01-01", "2025-06-18", 1 }, { "", "2025-06-18", 1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct mcp_session s;
        char line[512];
        mcp_session_init(&s, NULL);
        snprintf(line, sizeof line,
                 RPC("\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"%s\","
                     "\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}"),
                 cases[i].asked);
        cJSON *j = send_json(&s, line);
        CHECK_EQ_STR(jpath_str(j, "result", "protocolVersion", NULL), cases[i].answered);
        CHECK_EQ_STR(jpath_str(j, "result", "serverInfo", "name"), "pith");
        CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "result"),
                                                 "capabilities"),
                "tools"),
            "listChanged")));
        CHECK(jpath_str(j, "result", "instructions", NULL) != NULL);
        CHECK_EQ_STR(s.version, cases[i].answered);
        cJSON_Delete(j);
        CHECK_EQ_INT(s.initialized, 0);
        CHECK_EQ_STR(send(&s, RPC("\"method\":\"notifications/initialized\"")), "");
        CHECK_EQ_INT(s.initialized, 1);
        j = send_json(&s, RPC("\"id\":2,\"method\":\"tools/list\""));
        const cJSON *tools = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(j, "result"), "tools");
        const cJSON *first = cJSON_GetArrayItem(tools, 0);
        CHECK_EQ_INT(cJSON_GetObjectItemCaseSensitive(first, "annotations") != NULL,
                     cases[i].annotations);
        cJSON_Delete(j);
    }
    size_t n;
    const char *const *v = mcp_versions(&n);
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_STR(v[0], "2025-06-18");
}

/* ---- the operation table and tools/list ---------------------------------------------------- */

PITH_TEST(serve_mcp_every_operation_is_a_tool)
{
    /* every operation query_parse knows has a table entry (and so an MCP tool and an HTTP
     * endpoint) */
    for (int op = 1; *query_op_name((enum query_op)op); op++) {
        if (!query_op_find(query_op_name((enum query_op)op)))
            pith_test_fail(__FILE__, __LINE__,
                           "operation '%s' has no entry in serve/query_ops.c (MCP tools/list "
                           "and HTTP need one)",
                           query_op_name((enum query_op)op));
    }
    size_t n;
    const struct query_op_info *ops = query_ops(&n);
    CHECK(n >= 5);
    for (size_t i = 0; i < n; i++) {
        const struct query_op_info *op = &ops[i];
        CHECK(op->description && strlen(op->description) > 80);
        CHECK(query_op_find(op->name) == op);
        for (size_t a = 0; a < QUERY_OP_ARGS_MAX && op->args[a].name; a++) {
            const struct query_arg_info *ai = &op->args[a];
            if (!ai->description || !*ai->description)
                pith_test_fail(__FILE__, __LINE__, "%s.%s: no description", op->name, ai->name);
            if (ai->type == QUERY_ARG_BOOL && !ai->flag)
                pith_test_fail(__FILE__, __LINE__, "%s.%s: a boolean needs a flag", op->name,
                               ai->name);
            if (ai->type == QUERY_ARG_INT && (ai->min > ai->def || ai->def > ai->max))
                pith_test_fail(__FILE__, __LINE__, "%s.%s: default outside [min, max]", op->name,
                               ai->name);
        }
    }
}

/* Calls tool `name` with `args` (JSON text) and returns the parsed last content item (the
 * answer); sets *is_error. NULL when the reply is a protocol error. Caller frees. */
static cJSON *call_tool(struct mcp_session *s, const char *name, const char *args, int *is_error)
{
    struct pith_buf line = PITH_BUF_INIT;
    pith_buf_printf(&line,
                    CALL("1", "{\"name\":\"%s\","
                              "\"arguments\":%s}"),
                    name, args);
    cJSON *j = send_json(s, line.ptr);
    pith_buf_release(&line);
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(j, "result");
    cJSON *answer = NULL;
    *is_error = -1;
    if (res) {
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(res, "content");
        const cJSON *last = cJSON_GetArrayItem(content, cJSON_GetArraySize(content) - 1);
        const char *text = jpath_str(last, "text", NULL, NULL);
        *is_error = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "isError"));
        answer = text ? cJSON_Parse(text) : NULL;
    } else {
        const char *msg = jpath_str(j, "error", "message", NULL);
        pith_test_fail(__FILE__, __LINE__, "tools/call %s %s: %s", name, args, msg ? msg : "?");
    }
    cJSON_Delete(j);
    return answer;
}

PITH_TEST(serve_mcp_each_argument_reaches_query_parse)
{
    /* for every tool and every argument: the required arguments plus that one (a sample value)
     * make words query_parse accepts, so the table's flags are the parser's */
    struct pith_index *ix = mcp_index();
    if (!ix)
        return;
    struct mcp_session s;
    mcp_session_init(&s, ix);
    size_t n;
    const struct query_op_info *ops = query_ops(&n);
    for (size_t i = 0; i < n; i++) {
        const struct query_op_info *op = &ops[i];
        for (size_t extra = 0; extra <= QUERY_OP_ARGS_MAX; extra++) {
            if (extra < QUERY_OP_ARGS_MAX && !op->args[extra].name)
                extra = QUERY_OP_ARGS_MAX; /* the required ones alone, last */
            struct pith_buf args = PITH_BUF_INIT;
            pith_buf_putc(&args, '{');
            int first = 1;
            for (size_t a = 0; a < QUERY_OP_ARGS_MAX && op->args[a].name; a++) {
                const struct query_arg_info *ai = &op->args[a];
                if (!ai->required && a != extra)
                    continue;
                pith_buf_printf(&args, "%s\"%s\":", first ? "" : ",", ai->name);
                first = 0;
                switch (ai->type) {
                case QUERY_ARG_STRING: /* search's mode takes one of three words */
                    pith_buf_puts(&args, strcmp(ai->name, "mode") == 0 ? "\"lexical\"" : "\"g\"");
                    break;
                case QUERY_ARG_INT:
                    pith_buf_printf(&args, "%ld", ai->def);
                    break;
                case QUERY_ARG_BOOL:
                    pith_buf_puts(&args, "true");
                    break;
                case QUERY_ARG_STRINGS:
                    pith_buf_puts(&args, "[\"a.py\"]");
                    break;
                }
            }
            pith_buf_putc(&args, '}');
            int is_error;
            cJSON *answer = call_tool(&s, op->name, args.ptr, &is_error);
            const char *kind = jpath_str(answer, "error", NULL, NULL);
            if (kind && strcmp(kind, "usage") == 0 && extra < QUERY_OP_ARGS_MAX)
                pith_test_fail(__FILE__, __LINE__, "tool %s %s: query_parse refused: %s", op->name,
                               args.ptr, jpath_str(answer, "message", NULL, NULL));
            cJSON_Delete(answer);
            pith_buf_release(&args);
        }
    }
    pith_index_free(ix);
}

PITH_TEST(serve_mcp_string_rules)
{
    /* an option's string value never starts with '-'; path arguments stay in the repository */
    struct mcp_session s;
    mcp_session_init(&s, NULL);
    size_t n;
    const struct query_op_info *ops = query_ops(&n);
    for (size_t i = 0; i < n; i++) {
        for (size_t a = 0; a < QUERY_OP_ARGS_MAX && ops[i].args[a].name; a++) {
            const struct query_arg_info *ai = &ops[i].args[a];
            int path = strcmp(ai->name, "path") == 0 || strcmp(ai->name, "file") == 0 ||
                       strcmp(ai->name, "files") == 0;
            if (ai->type != QUERY_ARG_STRING && ai->type != QUERY_ARG_STRINGS)
                continue;
            static const char *const bad[] = { "-o", "../x", "/etc/passwd", "a/../../b" };
            for (size_t b = 0; b < sizeof bad / sizeof *bad; b++) {
                int refused = (ai->flag && bad[b][0] == '-') || (path && bad[b][0] != '-');
                if (!refused)
                    continue;
                struct pith_buf line = PITH_BUF_INIT;
                /* the other required arguments with plain values, then the bad one */
                pith_buf_printf(&line,
                                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
                                "\"params\":{\"name\":\"%s\",\"arguments\":{",
                                ops[i].name);
                for (size_t r = 0; r < QUERY_OP_ARGS_MAX && ops[i].args[r].name; r++) {
                    if (r != a && ops[i].args[r].required)
                        pith_buf_printf(&line, "\"%s\":%s,", ops[i].args[r].name,
                                        ops[i].args[r].type == QUERY_ARG_STRINGS ? "[\"a.py\"]"
                                        : ops[i].args[r].type == QUERY_ARG_INT   ? "1"
                                                                                 : "\"a.py:1\"");
                }
                int list = ai->type == QUERY_ARG_STRINGS;
                pith_buf_printf(&line, "\"%s\":%s%s%s}}}", ai->name, list ? "[\"" : "\"", bad[b],
                                list ? "\"]" : "\"");
                const char *got = send(&s, line.ptr);
                if (!strstr(got, "\"code\":-32602") ||
                    !strstr(got, path && bad[b][0] != '-' ? "must be relative" : "must not start"))
                    pith_test_fail(__FILE__, __LINE__, "%s: %s", line.ptr, got);
                pith_buf_release(&line);
            }
        }
    }
}

/* ---- tools/call answers are the query engine's ------------------------------------------- */

PITH_TEST(serve_mcp_call_equals_query)
{
    static const struct {
        const char *tool, *args, *words;
        int is_error;
    } cases[] = {
        { "symbol", "{\"name\":\"a.py:g\"}", "symbol a.py:g", 0 },
        { "callers", "{\"name\":\"g\"}", "callers g", 0 },
        { "callers", "{\"name\":\"a.g\",\"depth\":3}", "callers a.g --depth 3", 0 },
        { "callees", "{\"name\":\"a.py:g\",\"depth\":2}", "callees a.py:g --depth 2", 0 },
        { "impact", "{\"name\":\"g\"}", "impact g", 0 },
        { "impact", "{\"name\":\"g\",\"depth\":1}", "impact g --depth 1", 0 },
        { "search", "{\"query\":\"join path\",\"k\":1}", "search join path -k 1", 0 },
        { "search", "{\"query\":\"zzzz\"}", "search zzzz", 0 },
        { "symbol", "{\"name\":\"h\"}", "symbol h", 1 },
    };
    struct pith_index *ix = mcp_index();
    if (!ix)
        return;
    struct mcp_session s;
    struct pith_buf want = PITH_BUF_INIT;
    mcp_session_init(&s, ix);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int is_error;
        cJSON *answer = call_tool(&s, cases[i].tool, cases[i].args, &is_error);
        char *got = answer ? cJSON_PrintUnformatted(answer) : NULL;
        pith_buf_clear(&want);
        serve_line(&want, ix, cases[i].words);
        cJSON *w = cJSON_Parse(want.ptr);
        char *wtext = w ? cJSON_PrintUnformatted(w) : NULL;
        CHECK_EQ_STR(got, wtext);
        CHECK_EQ_INT(is_error, cases[i].is_error);
        free(got);
        free(wtext);
        cJSON_Delete(w);
        cJSON_Delete(answer);
    }
    /* a value answer, spot-checked: g's callers are f (a.py:3) and C.m (b.py:4) */
    int is_error;
    cJSON *a = call_tool(&s, "callers", "{\"name\":\"a.py:g\"}", &is_error);
    const cJSON *edges = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(a, "results"), 0), "edges");
    CHECK_EQ_INT(cJSON_GetArraySize(edges), 2);
    CHECK_EQ_STR(jpath_str(cJSON_GetArrayItem(edges, 0), "caller", NULL, NULL), "a.py:f");
    CHECK_EQ_STR(jpath_str(cJSON_GetArrayItem(edges, 1), "caller", NULL, NULL), "b.py:C.m");
    CHECK_EQ_INT(is_error, 0);
    cJSON_Delete(a);
    /* what query_parse refuses is a tool error with the usage error object: diff-impact
     * needs --git or files, which its schema cannot say */
    if (query_op_find("diff-impact")) {
        a = call_tool(&s, "diff-impact", "{}", &is_error);
        CHECK_EQ_INT(is_error, 1);
        CHECK_EQ_STR(jpath_str(a, "error", NULL, NULL), "usage");
        cJSON_Delete(a);
    }
    /* an answer that is an error object is a tool error even when the engine returns 0 */
    if (query_op_find("context")) {
        a = call_tool(&s, "context", "{\"name\":\"a.py:g\",\"budget\":30}", &is_error);
        CHECK_EQ_INT(is_error, 1);
        CHECK_EQ_STR(jpath_str(a, "error", NULL, NULL), "budget_too_small");
        cJSON_Delete(a);
    }
    /* a string longer than the engine takes is refused by its schema (maxLength) */
    struct pith_buf args = PITH_BUF_INIT;
    pith_buf_puts(&args, RPC("\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":"
                             "\"search\",\"arguments\":{\"query\":\""));
    for (int i = 0; i < QUERY_ARG_MAX; i++)
        pith_buf_putc(&args, 'a');
    pith_buf_puts(&args, "\"}}}");
    CHECK_EQ_STR(send(&s, args.ptr),
                 ERR("1", -32602, "argument 'query' is longer than 1023 bytes"));
    pith_buf_release(&args);
    pith_buf_release(&want);
    pith_index_free(ix);
}

/* ---- the line reader ----------------------------------------------------------------------- */

static const char serve_lines_want[] =
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n"
    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"message line "
    "longer than 1048576 bytes\"}}\n"
    "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}\n";

PITH_TEST(serve_mcp_serve_lines)
{
    FILE *in = tmpfile(), *out = tmpfile();
    if (!in || !out) {
        pith_test_fail(__FILE__, __LINE__, "tmpfile");
        return;
    }
    fputs(RPC("\"id\":1,\"method\":\"ping\"") "\n\n", in);
    for (size_t i = 0; i < MCP_LINE_MAX + 100; i++)
        fputc('x', in);
    fputs("\n" RPC("\"method\":\"notifications/initialized\"") "\n", in);
    fputs(RPC("\"id\":2,\"method\":\"ping\""), in); /* the last line has no newline */
    rewind(in);
    struct mcp_session s;
    mcp_session_init(&s, NULL);
    CHECK_EQ_INT(mcp_serve(&s, in, out), 0);
    rewind(out);
    char buf[512];
    size_t n = fread(buf, 1, sizeof buf - 1, out);
    buf[n] = '\0';
    CHECK_EQ_STR(buf, serve_lines_want);
    fclose(in);
    fclose(out);
}
