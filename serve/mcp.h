/* The Model Context Protocol server (serve stage): JSON-RPC 2.0 messages, one per line, over
 * stdio; one tool per query operation (query_ops), answered by the query engine from an index
 * opened once. Tools, schemas and errors are documented in docs/MCP.md. */
#ifndef PITH_SERVE_MCP_H
#define PITH_SERVE_MCP_H

#include "common/buf.h"

#include <stddef.h>
#include <stdio.h>

struct index_handle;
struct pith_index;

#define MCP_LINE_MAX  (1u << 20) /* bytes of one message line, newline excluded */
#define MCP_BATCH_MAX 64         /* messages in one JSON-RPC batch (an array) */
#define MCP_WORDS_MAX 256        /* query words one tools/call may produce */

/* JSON-RPC 2.0 error codes. */
enum {
    MCP_PARSE_ERROR = -32700,
    MCP_INVALID_REQUEST = -32600,
    MCP_METHOD_NOT_FOUND = -32601,
    MCP_INVALID_PARAMS = -32602,
    MCP_INTERNAL_ERROR = -32603
};

/* One client connection. A value struct; nothing to release. Answers come from `handle`'s
 * current snapshot when it is set (so the session follows INDEX when pith-pack replaces it),
 * else from `ix`. */
struct mcp_session {
    const struct pith_index *ix; /* borrowed; outlives the session */
    struct index_handle *handle; /* borrowed, or NULL */
    const char *version;         /* the negotiated protocol version (static), NULL before
                                    initialize */
    int initialized;             /* notifications/initialized received */
};

/* Starts a session on `ix` (may be NULL for protocol-only use); set s->handle afterwards to
 * answer from a hot-swappable index instead. */
void mcp_session_init(struct mcp_session *s, const struct pith_index *ix);

/* The protocol versions this server speaks, newest first (static strings); sets *count. */
const char *const *mcp_versions(size_t *count);

/* Handles one message line of `len` bytes (no NUL needed; surrounding blanks and a final "\r"
 * are allowed): a request, a notification, a response, or a batch of them. Appends the answer,
 * one JSON object or array and a newline, to `out`; appends nothing for notifications,
 * responses and blank lines. Malformed messages get JSON-RPC errors (-32700 parse error,
 * -32600 invalid request); requests get their result or -32601/-32602. Returns 1 when a line
 * was appended, else 0. */
int mcp_handle_line(struct pith_buf *out, struct mcp_session *s, const char *line, size_t len);

/* Reads message lines from `in` until end of file, answering them in session `s`, writing each
 * answer line to `out` and flushing it. A line longer than MCP_LINE_MAX is skipped and answered
 * with -32600 (id null). Returns 0 at end of input, or PITH_EIO when writing fails
 * (pith_error_last() set). */
int mcp_serve(struct mcp_session *s, FILE *in, FILE *out);

#endif
