/* libFuzzer target: one MCP message line (as pith-serve --mcp reads it) answered against a small
 * index packed in memory once: JSON-RPC parsing (cJSON), dispatch, tools/call argument checks,
 * the query words they become and the answers must never crash on any bytes. */
#include "common/artifact.h"
#include "common/buf.h"
#include "common/mem.h"
#include "pack/pack.h"
#include "serve/mcp.h"
#include "tests/fuzz/tiny_index.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pith_index *ix;
static struct mcp_session session;

static void build_index(void)
{
    ix = tiny_index_build();
    if (!ix)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ix) {
        build_index();
        mcp_session_init(&session, ix);
    }
    if (size > MCP_LINE_MAX)
        return 0;
    struct pith_buf out = PITH_BUF_INIT;
    mcp_handle_line(&out, &session, (const char *)data, size);
    pith_buf_release(&out);
    return 0;
}
