/* pith-serve: answers queries from an index opened once (serve stage), over one transport:
 * plain query lines on stdin (--stdio) or the Model Context Protocol over stdio (--mcp). */
#include "common/artifact.h"
#include "common/err.h"
#include "common/version.h"
#include "serve/http.h"
#include "serve/index_handle.h"
#include "serve/mcp.h"
#include "serve/query_embed.h"
#include "serve/serve.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: pith-serve [-i INDEX] --stdio | --mcp | --http ADDR [--token-env VAR]\n"
    "                  [--embed-url URL]\n"
    "\n"
    "Opens INDEX (default .pith) once and answers queries:\n"
    "  --stdio   one query per line on stdin, as after `pith query` without --json\n"
    "            (`callers pkg/m.py:C.f --depth 2`, `search \"parse json\" -k 5`), one JSON\n"
    "            object per line on stdout (shapes in docs/QUERIES.md; errors are\n"
    "            {\"error\":KIND,\"message\":...}). Empty lines and lines starting with # are\n"
    "            skipped.\n"
    "  --http ADDR   JSON over HTTP on ADDR (127.0.0.1:PORT, [::1]:PORT, PORT; port 0 picks\n"
    "            one and the log line says which): GET /v1/OP?name=..., POST /v1/query,\n"
    "            GET /v1/health (docs/HTTP.md). Follows INDEX when pith-pack replaces it.\n"
    "            Loopback only unless a bearer token is set; then every request needs\n"
    "            `Authorization: Bearer TOKEN`. Stops on SIGINT/SIGTERM.\n"
    "  --token-env VAR   the token is in environment variable VAR (default PITH_HTTP_TOKEN)\n"
    "  --mcp     the Model Context Protocol over stdio: JSON-RPC 2.0, one message per line;\n"
    "            one tool per query operation (symbol, callers, callees, impact, search,\n"
    "            ...), each answering with the JSON of `pith query --json` (docs/MCP.md).\n"
    "            Protocol versions 2025-06-18, 2025-03-26, 2024-11-05. Follows INDEX when\n"
    "            pith-pack replaces it.\n"
    "  --embed-url URL   an index embedded by an HTTP server (--embed openai:URL, ...):\n"
    "            search embeds queries at URL instead of the URL recorded in the index\n"
    "            (also $PITH_EMBED_URL; docs/EMBEDDING.md). Lexical search needs no server.\n"
    "\n"
    "exit codes: 0 ok (end of input), 2 usage, 3 fatal (missing or corrupt index, I/O)\n";

static int serve_http(const char *index, const char *addr, const char *token_env)
{
    const char *token = getenv(token_env ? token_env : HTTP_TOKEN_ENV);
    if (token_env && (!token || !*token)) {
        fprintf(stderr, "pith-serve: --token-env %s: the variable is unset or empty\n", token_env);
        return PITH_EXIT_USAGE;
    }
    struct index_handle *h;
    int err = index_handle_new(&h, index, stderr);
    if (err < 0) {
        fprintf(stderr, "pith-serve: %s\n", pith_error_last());
        return PITH_EXIT_FATAL;
    }
    struct http_options opt = { addr, token && *token ? token : NULL, 0, 0, stderr };
    err = http_run(h, &opt);
    index_handle_free(h);
    if (err < 0) {
        fprintf(stderr, "pith-serve: %s\n", pith_error_last());
        return err == PITH_EUSAGE ? PITH_EXIT_USAGE : PITH_EXIT_FATAL;
    }
    return PITH_EXIT_OK;
}

/* MCP on stdio over a hot-swappable handle: a long agent session sees the index that
 * `pith index` rebuilds while it runs. */
static int serve_mcp(const char *index)
{
    struct index_handle *h;
    int err = index_handle_new(&h, index, stderr);
    if (err < 0) {
        fprintf(stderr, "pith-serve: %s\n", pith_error_last());
        return PITH_EXIT_FATAL;
    }
    struct mcp_session s;
    mcp_session_init(&s, NULL);
    s.handle = h;
    signal(SIGPIPE, SIG_IGN); /* a client gone: the write fails (exit 3) */
    err = mcp_serve(&s, stdin, stdout);
    index_handle_free(h);
    if (err < 0) {
        fprintf(stderr, "pith-serve: %s\n", pith_error_last());
        return PITH_EXIT_FATAL;
    }
    return PITH_EXIT_OK;
}

int main(int argc, char **argv)
{
    const char *index = ".pith";
    int stdio_mode = 0, mcp_mode = 0;
    const char *http_addr = NULL, *token_env = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return PITH_EXIT_OK;
        } else if (strcmp(a, "--version") == 0) {
            printf("pith-serve %s\n", PITH_VERSION);
            return PITH_EXIT_OK;
        } else if ((strcmp(a, "-i") == 0 || strcmp(a, "--index") == 0) && i + 1 < argc) {
            index = argv[++i];
        } else if (strcmp(a, "--stdio") == 0) {
            stdio_mode = 1;
        } else if (strcmp(a, "--http") == 0 && i + 1 < argc) {
            http_addr = argv[++i];
        } else if (strcmp(a, "--token-env") == 0 && i + 1 < argc) {
            token_env = argv[++i];
        } else if (strcmp(a, "--mcp") == 0) {
            mcp_mode = 1;
        } else if (strcmp(a, "--embed-url") == 0 && i + 1 < argc) {
            query_embed_set_url(argv[++i]);
        } else {
            fprintf(stderr, "pith-serve: unknown argument '%s'\n%s", a, usage);
            return PITH_EXIT_USAGE;
        }
    }
    if (stdio_mode + mcp_mode + (http_addr != NULL) != 1) {
        fprintf(stderr, "pith-serve: choose one transport (--stdio, --mcp or --http)\n%s", usage);
        return PITH_EXIT_USAGE;
    }
    if (http_addr)
        return serve_http(index, http_addr, token_env);
    if (mcp_mode)
        return serve_mcp(index);
    struct pith_index *ix;
    int err = pith_index_open(&ix, index);
    if (err < 0) {
        fprintf(stderr, "pith-serve: %s\n", pith_error_last());
        return PITH_EXIT_FATAL;
    }
    /* a client that goes away makes a write fail (exit 3) rather than kill the process */
    signal(SIGPIPE, SIG_IGN);
    err = serve_stdio(ix, stdin, stdout);
    pith_index_free(ix);
    if (err < 0) {
        fprintf(stderr, "pith-serve: %s\n", pith_error_last());
        return PITH_EXIT_FATAL;
    }
    return PITH_EXIT_OK;
}
