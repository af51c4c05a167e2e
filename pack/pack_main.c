/* pith-pack: graph stage file (+ vectors stage file) -> INDEX directory (see pack.h). */
#include "pack.h"

#include "common/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: pith-pack GRAPH_FILE [VECTORS_FILE] -o INDEX_DIR [--jobs N]\n"
    "\n"
    "Builds the index artifact (MANIFEST + shard-0000.pith, docs/FORMAT.md) from the graph stage\n"
    "file and, when given, the vectors stage file (summaries). The index is written to\n"
    "INDEX_DIR.tmp.PID and renamed into place; an existing index is replaced only on success.\n"
    "\n"
    "  -j, --jobs N   threads (default: the CPUs online); the output does not depend on N\n"
    "\n"
    "exit codes: 0 ok, 1 some inputs failed, 2 usage, 3 fatal (I/O, corrupt input)\n";

int main(int argc, char **argv)
{
    struct pack_options opt = { NULL, NULL, NULL, 0 };
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return PITH_EXIT_OK;
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            opt.out_dir = argv[++i];
        } else if ((strcmp(argv[i], "-j") == 0 || strcmp(argv[i], "--jobs") == 0) && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || end == argv[i] || v < 1 || v > 1024) {
                fprintf(stderr, "pith-pack: --jobs needs a number from 1 to 1024, got '%s'\n",
                        argv[i]);
                return PITH_EXIT_USAGE;
            }
            opt.jobs = (unsigned)v;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "pith-pack: unknown option %s\n%s", argv[i], usage);
            return PITH_EXIT_USAGE;
        } else if (!opt.graph_path) {
            opt.graph_path = argv[i];
        } else if (!opt.vectors_path) {
            opt.vectors_path = argv[i];
        } else {
            fprintf(stderr, "pith-pack: too many arguments\n%s", usage);
            return PITH_EXIT_USAGE;
        }
    }
    if (!opt.graph_path || !opt.out_dir) {
        fputs(usage, stderr);
        return PITH_EXIT_USAGE;
    }
    int err = pack_run(&opt);
    if (err) {
        fprintf(stderr, "pith-pack: %s\n", pith_error_last());
        return pith_error_exit_code(err);
    }
    return PITH_EXIT_OK;
}
