/* libFuzzer target: one query line (as pith-serve --stdio reads it) answered against a small
 * index packed in memory once: argument splitting, option parsing, name resolution, walks and
 * search must never crash on any bytes. */
#include "common/artifact.h"
#include "common/buf.h"
#include "common/mem.h"
#include "pack/pack.h"
#include "serve/serve.h"
#include "tests/fuzz/tiny_index.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pith_index *ix;

static void build_index(void)
{
    ix = tiny_index_build();
    if (!ix)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ix)
        build_index();
    if (size > 4096)
        return 0;
    char *line = pith_xstrndup((const char *)data, size);
    struct pith_buf out = PITH_BUF_INIT;
    serve_line(&out, ix, line);
    pith_buf_release(&out);
    free(line);
    return 0;
}
