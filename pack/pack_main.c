/* pith-pack: graph stage file (+ vectors stage file) -> INDEX directory (see pack.h). */
#include "pack.h"

#include "common/err.h"
#include "hnsw_pack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: pith-pack GRAPH_FILE [VECTORS_FILE] -o INDEX_DIR [--jobs N] [--hnsw-min-rows N]\n"
    "                 [--vector-type f32|f16]\n"
    "\n"
    "Builds the index artifact (MANIFEST + shard-0000.pith, docs/FORMAT.md) from the graph stage\n"
    "file and, when given, the vectors stage file (summaries). The index is written to\n"
    "INDEX_DIR.tmp.PID and renamed into place; an existing index is replaced only on success.\n"
    "\n"
    "  -j, --jobs N   threads (default: the CPUs online); the output does not depend on N\n"
    "  --hnsw-min-rows N   add an HNSW graph (searched instead of the exact scan) when at least\n"
    "                 N rows have a vector; 0 = never (default 20000)\n"
    "  --vector-type T    f32 (default) or f16: IEEE half rows, half the size\n"
    "\n"
    "exit codes: 0 ok, 1 some inputs failed, 2 usage, 3 fatal (I/O, corrupt input)\n";

int main(int argc, char **argv)
{
    struct pack_options opt = { NULL, NULL, NULL, 0 };
    struct pack_vector_options vo = { 0, 4 };
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
        } else if (strcmp(argv[i], "--hnsw-min-rows") == 0 && i + 1 < argc) {
            char *end;
            long long v = strtoll(argv[++i], &end, 10);
            if (*end || end == argv[i] || v < 0 || v >= (long long)PACK_HNSW_NEVER) {
                fprintf(stderr, "pith-pack: --hnsw-min-rows needs a row count, got '%s'\n",
                        argv[i]);
                return PITH_EXIT_USAGE;
            }
            vo.hnsw_min_rows = v == 0 ? PACK_HNSW_NEVER : (uint32_t)v;
        } else if (strcmp(argv[i], "--vector-type") == 0 && i + 1 < argc) {
            const char *t = argv[++i];
            if (strcmp(t, "f32") != 0 && strcmp(t, "f16") != 0) {
                fprintf(stderr, "pith-pack: --vector-type takes f32 or f16, not '%s'\n", t);
                return PITH_EXIT_USAGE;
            }
            vo.elem_size = t[1] == '1' ? 2 : 4;
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
    int err = pack_run_vo(&opt, &vo);
    if (err) {
        fprintf(stderr, "pith-pack: %s\n", pith_error_last());
        return pith_error_exit_code(err);
    }
    return PITH_EXIT_OK;
}
