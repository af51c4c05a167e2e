/* pith-analyze: command line -> analyze_run() / analyze_dump_file(). */
#include "analyze.h"

#include "common/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *to)
{
    fputs("usage: pith-analyze FACTS_FILE -o GRAPH_FILE [--repo-root PATH] [--jobs N] [--stats]\n"
          "       pith-analyze --dump GRAPH_FILE\n"
          "\n"
          "Resolves the Python call graph of the FileFacts in FACTS_FILE (made by pith-extract)\n"
          "and writes one Graph record (schemas/graph.proto) to GRAPH_FILE, atomically.\n"
          "Every call site gets edges with a kind (direct, import, method, inherited,\n"
          "constructor, ambiguous, external, unresolved), a confidence per mille and a reason.\n"
          "\n"
          "  -o GRAPH_FILE      output stage file\n"
          "  --repo-root PATH   absolute repository path recorded in the graph\n"
          "  -j, --jobs N       threads (default: CPUs available to the process); the output\n"
          "                     is the same for any N\n"
          "  --stats            print timing and edge counts per kind to stderr\n"
          "  --dump GRAPH_FILE  print the deterministic text view of a graph to stdout\n"
          "  -h, --help         this text\n"
          "\n"
          "exit codes: 0 ok, 1 some inputs failed (skipped, logged), 2 usage, 3 fatal (I/O,\n"
          "corrupt input)\n",
          to);
}

int main(int argc, char **argv)
{
    struct analyze_opts o = { 0 };
    const char *dump = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return PITH_EXIT_OK;
        } else if (!strcmp(a, "-o") && i + 1 < argc) {
            o.out_path = argv[++i];
        } else if (!strcmp(a, "--repo-root") && i + 1 < argc) {
            o.repo_root = argv[++i];
        } else if (!strcmp(a, "--dump") && i + 1 < argc) {
            dump = argv[++i];
        } else if ((!strcmp(a, "-j") || !strcmp(a, "--jobs")) && i + 1 < argc) {
            char *end;
            long v = strtol(argv[i + 1], &end, 10);
            if (*end || end == argv[i + 1] || v < 1 || v > 4096) {
                fprintf(stderr, "pith-analyze: --jobs needs a number from 1 to 4096\n");
                return PITH_EXIT_USAGE;
            }
            o.jobs = (int)v;
            i++;
        } else if (!strcmp(a, "--stats")) {
            o.stats = 1;
        } else if (a[0] == '-' || o.facts_path) {
            fprintf(stderr, "pith-analyze: unexpected argument '%s'\n", a);
            usage(stderr);
            return PITH_EXIT_USAGE;
        } else {
            o.facts_path = a;
        }
    }
    if (dump) {
        if (o.facts_path || o.out_path) {
            usage(stderr);
            return PITH_EXIT_USAGE;
        }
        struct pith_buf out = PITH_BUF_INIT;
        int err = analyze_dump_file(&out, dump);
        if (err < 0) {
            fprintf(stderr, "pith-analyze: %s\n", pith_error_last());
            pith_buf_release(&out);
            return PITH_EXIT_FATAL;
        }
        fwrite(out.ptr ? out.ptr : "", 1, out.len, stdout);
        pith_buf_release(&out);
        return PITH_EXIT_OK;
    }
    if (!o.facts_path || !o.out_path) {
        usage(stderr);
        return PITH_EXIT_USAGE;
    }
    int err = analyze_run(&o);
    if (err < 0) {
        fprintf(stderr, "pith-analyze: %s\n", pith_error_last());
        return err == PITH_EUSAGE ? PITH_EXIT_USAGE : PITH_EXIT_FATAL;
    }
    return err ? PITH_EXIT_PARTIAL : PITH_EXIT_OK;
}
