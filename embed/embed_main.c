/* pith-embed: graph stage file -> vectors stage file of v1 summaries (see embed.h). */
#include "embed.h"

#include "common/err.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: pith-embed GRAPH_FILE -o VECTORS_FILE [--embed none]\n"
    "\n"
    "Writes one summary text per class, function and method of the graph (summary format v1,\n"
    "docs/FORMAT.md) as a vectors stage file. The embedder \"none\" stores no vectors.\n"
    "\n"
    "exit codes: 0 ok, 1 some inputs failed, 2 usage, 3 fatal (I/O, corrupt input)\n";

int main(int argc, char **argv)
{
    struct embed_options opt = { NULL, NULL, "none" };
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return PITH_EXIT_OK;
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            opt.out_path = argv[++i];
        } else if (strcmp(argv[i], "--embed") == 0 && i + 1 < argc) {
            opt.embedder = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "pith-embed: unknown option %s\n%s", argv[i], usage);
            return PITH_EXIT_USAGE;
        } else if (!opt.graph_path) {
            opt.graph_path = argv[i];
        } else {
            fprintf(stderr, "pith-embed: too many arguments\n%s", usage);
            return PITH_EXIT_USAGE;
        }
    }
    if (!opt.graph_path || !opt.out_path) {
        fputs(usage, stderr);
        return PITH_EXIT_USAGE;
    }
    int err = embed_run(&opt);
    if (err) {
        fprintf(stderr, "pith-embed: %s\n", pith_error_last());
        return pith_error_exit_code(err);
    }
    return PITH_EXIT_OK;
}
