/* pith-serve: answers queries from an index opened once (serve stage). For now one transport:
 * one query per stdin line, one JSON line per answer on stdout. */
#include "common/artifact.h"
#include "common/err.h"
#include "common/version.h"
#include "serve/serve.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: pith-serve [-i INDEX] --stdio\n"
    "\n"
    "Opens INDEX (default .pith) once and answers queries:\n"
    "  --stdio   one query per line on stdin, as after `pith query` without --json\n"
    "            (`callers pkg/m.py:C.f --depth 2`, `search \"parse json\" -k 5`), one JSON\n"
    "            object per line on stdout (shapes in docs/QUERIES.md; errors are\n"
    "            {\"error\":KIND,\"message\":...}). Empty lines and lines starting with # are\n"
    "            skipped.\n"
    "  --mcp, --http ADDR   not available yet\n"
    "\n"
    "exit codes: 0 ok (end of input), 2 usage, 3 fatal (missing or corrupt index, I/O)\n";

int main(int argc, char **argv)
{
    const char *index = ".pith";
    int stdio_mode = 0;
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
        } else if (strcmp(a, "--mcp") == 0 || strcmp(a, "--http") == 0) {
            fprintf(stderr, "pith-serve: %s is not available yet; use --stdio\n", a);
            return PITH_EXIT_USAGE;
        } else {
            fprintf(stderr, "pith-serve: unknown argument '%s'\n%s", a, usage);
            return PITH_EXIT_USAGE;
        }
    }
    if (!stdio_mode) {
        fprintf(stderr, "pith-serve: choose a transport (--stdio)\n%s", usage);
        return PITH_EXIT_USAGE;
    }
    struct pith_index *ix;
    int err = pith_index_open(&ix, index);
    if (err < 0) {
        fprintf(stderr, "pith-serve: %s\n", pith_error_last());
        return PITH_EXIT_FATAL;
    }
    err = serve_stdio(ix, stdin, stdout);
    pith_index_free(ix);
    if (err < 0) {
        fprintf(stderr, "pith-serve: %s\n", pith_error_last());
        return PITH_EXIT_FATAL;
    }
    return PITH_EXIT_OK;
}
