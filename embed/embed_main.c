/* pith-embed: graph stage file -> vectors stage file of v1 summaries (see embed.h). */
#include "embed.h"
#include "embed_dump.h"

#include "embed/cache.h"

#include "common/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: pith-embed GRAPH_FILE -o VECTORS_FILE [--embed none|builtin] [--model FILE]\n"
    "                  [--threads N]\n"
    "\n"
    "Writes one summary text per class, function and method of the graph (summary format v1,\n"
    "docs/FORMAT.md) as a vectors stage file. The embedder \"none\" stores no vectors;\n"
    "\"builtin\" embeds each summary with Universal Sentence Encoder Lite (512-d, on the CPU,\n"
    "no network), read from --model FILE or <bindir>/data/use_lite.bin, on --threads N\n"
    "threads (default: every CPU).\n"
    "\n"
    "HTTP embedders (docs/EMBEDDING.md): --embed openai:URL (POST URL/v1/embeddings),\n"
    "ollama:URL (URL/api/embed) or tei:URL (URL/embed), with\n"
    "  --embed-model NAME        model sent to the server\n"
    "  --embed-key-env VAR       API key from environment variable VAR (never printed)\n"
    "  --embed-query-prefix S    text put before queries (e.g. a model's search prefix):\n"
    "                            recorded with the server's format, URL, model and key\n"
    "                            variable name, so `pith query search` embeds queries alike\n"
    "  --embed-doc-prefix S      text put before every summary\n"
    "  --embed-dims N            expected dimension; a server answering another is refused\n"
    "                            (default: learnt from one request)\n"
    "  --embed-batch N           texts per request (default 32)\n"
    "  --embed-parallel N        requests in flight, 1-4 (default 2)\n"
    "  --embed-timeout SECONDS   per request (default 60)\n"
    "  --embed-retries N         retries per batch, exponential backoff from 0.5 s, honouring\n"
    "                            Retry-After (default 5)\n"
    "  --cache DIR               embedding cache: unchanged summaries are not embedded again,\n"
    "                            vectors persist as they arrive (an interrupted run resumes)\n"
    "--cache-verify DIR checks every row checksum of the cache files in DIR (exit 3: bad).\n"
    "--dump VECTORS_FILE prints a vectors stage file as text (embedder, dim, one row a line).\n"
    "\n"
    "exit codes: 0 ok, 1 some inputs failed, 2 usage, 3 fatal (I/O, corrupt input)\n";

/* The number in `s` within [lo, hi], or -1. */
static double number_arg(const char *s, double lo, double hi)
{
    char *end;
    double v = strtod(s, &end);
    return *s && !*end && v >= lo && v <= hi ? v : -1;
}

int main(int argc, char **argv)
{
    struct embed_options opt;
    memset(&opt, 0, sizeof opt);
    opt.embedder = "none";
    pith_http_embed_options_init(&opt.http);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        double num = 0;
        if (strncmp(a, "--embed-", 8) == 0 || strcmp(a, "--cache") == 0 ||
            strcmp(a, "--cache-verify") == 0 || strcmp(a, "--dump") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "pith-embed: %s needs a value\n%s", a, usage);
                return PITH_EXIT_USAGE;
            }
            const char *v = argv[++i];
            int bad = 0;
            if (strcmp(a, "--cache") == 0) {
                opt.cache_dir = v;
            } else if (strcmp(a, "--dump") == 0) {
                struct pith_buf out = PITH_BUF_INIT;
                int err = embed_dump_vectors(&out, v);
                if (err) {
                    fprintf(stderr, "pith-embed: %s\n", pith_error_last());
                    return pith_error_exit_code(err);
                }
                fwrite(out.ptr, 1, out.len, stdout);
                pith_buf_release(&out);
                return fflush(stdout) == 0 ? PITH_EXIT_OK : PITH_EXIT_FATAL;
            } else if (strcmp(a, "--cache-verify") == 0) {
                struct pith_buf out = PITH_BUF_INIT;
                int nbad = embed_cache_verify_dir(&out, v);
                if (out.len)
                    fwrite(out.ptr, 1, out.len, stdout);
                pith_buf_release(&out);
                if (nbad < 0)
                    fprintf(stderr, "pith-embed: %s\n", pith_error_last());
                return nbad == 0 ? PITH_EXIT_OK : PITH_EXIT_FATAL;
            } else if (strcmp(a, "--embed-model") == 0) {
                opt.http.model = v;
            } else if (strcmp(a, "--embed-key-env") == 0) {
                opt.http.api_key_env = v;
            } else if (strcmp(a, "--embed-query-prefix") == 0) {
                opt.http.query_prefix = v;
            } else if (strcmp(a, "--embed-doc-prefix") == 0) {
                opt.http.doc_prefix = v;
            } else if (strcmp(a, "--embed-dims") == 0) {
                bad = (num = number_arg(v, 1, 65536)) < 0;
                opt.http.dims = (uint32_t)num;
            } else if (strcmp(a, "--embed-batch") == 0) {
                bad = (num = number_arg(v, 1, 4096)) < 0;
                opt.http.batch = (unsigned)num;
            } else if (strcmp(a, "--embed-parallel") == 0) {
                bad = (num = number_arg(v, 1, 4)) < 0;
                opt.http.parallel = (unsigned)num;
            } else if (strcmp(a, "--embed-timeout") == 0) {
                bad = (num = number_arg(v, 0.001, 86400)) < 0;
                opt.http.timeout_s = num;
            } else if (strcmp(a, "--embed-retries") == 0) {
                bad = (num = number_arg(v, 0, 100)) < 0;
                opt.http.retries = (unsigned)num;
            } else {
                fprintf(stderr, "pith-embed: unknown option %s\n%s", a, usage);
                return PITH_EXIT_USAGE;
            }
            if (bad) {
                fprintf(stderr, "pith-embed: bad value '%s' for %s\n%s", v, a, usage);
                return PITH_EXIT_USAGE;
            }
            continue;
        }
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return PITH_EXIT_OK;
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            opt.out_path = argv[++i];
        } else if (strcmp(argv[i], "--embed") == 0 && i + 1 < argc) {
            opt.embedder = argv[++i];
        } else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) {
            opt.model_path = argv[++i];
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end || n < 1 || n > 256) {
                fprintf(stderr, "pith-embed: --threads takes 1..256\n%s", usage);
                return PITH_EXIT_USAGE;
            }
            opt.threads = (unsigned)n;
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
