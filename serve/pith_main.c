/* pith: the driver. `pith index` runs the stage executables, `pith query` answers from an
 * index, `pith dump` prints a section, `pith serve` execs pith-serve (serve stage). */
#include "common/artifact.h"
#include "common/artifact_dump.h"
#include "common/err.h"
#include "common/version.h"
#include "serve/driver.h"
#include "serve/query.h"
#include "serve/query_embed.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_CODES                                                                    \
    "exit codes: 0 ok, 1 not found / ambiguous name / some inputs failed, 2 usage,\n" \
    "            3 fatal (I/O, missing or corrupt index, a stage crashed)\n"

static const char usage_main[] =
    "usage: pith COMMAND [ARGS]\n"
    "\n"
    "  pith index [REPO=.] [-o INDEX] [--jobs N]   build the index of REPO (default REPO/.pith)\n"
    "  pith query [-i INDEX] OP ARGS [--json]      answer a query (default INDEX .pith)\n"
    "  pith dump [-i INDEX] SECTION                 print an index section as text\n"
    "  pith serve [-i INDEX] --stdio                 serve queries (runs pith-serve)\n"
    "  pith serve [-i INDEX] --mcp | --http ADDR     MCP over stdio, JSON over HTTP\n"
    "\n"
    "OP: symbol NAME | callers NAME [--depth D] | callees NAME [--depth D]\n"
    "    impact NAME [--depth D] | search TEXT [-k N] [--mode M] | summary NAME\n"
    "\n"
    "`pith COMMAND --help` describes one command; docs/QUERIES.md the answers.\n"
    "\n" EXIT_CODES;

static const char usage_index[] =
    "usage: pith index [REPO=.] [-o INDEX] [--jobs N] [--compdb FILE]\n"
    "                  [--embed SPEC [--embed-* V]...] [--cache DIR]\n"
    "                  [--hnsw-min-rows N] [--vector-type f32|f16]\n"
    "\n"
    "Runs pith-extract, pith-analyze, pith-embed and pith-pack (found next to pith) on REPO,\n"
    "with intermediates in INDEX.work.PID/ (removed at the end), and writes INDEX (default\n"
    "REPO/.pith) atomically: an existing index is replaced only when the new one is complete.\n"
    "Then prints a summary read back from the index on stdout: files indexed, files skipped by\n"
    "reason, symbols per kind, call sites per resolution kind, time per stage. On a terminal,\n"
    "stage names and extract's progress go to stderr; otherwise pith is silent but for the\n"
    "summary. Without pith-embed the index is built without summaries.\n"
    "\n"
    "  -o, --output INDEX   where to write the index\n"
    "  -j, --jobs N         parallel extraction jobs (default: the CPUs available)\n"
    "  --compdb FILE        compile_commands.json for C/C++ (default: REPO/ or REPO/build/)\n"
    "  --embed SPEC         embedder: none, builtin, openai:URL, ollama:URL, tei:URL\n"
    "                       (default: builtin when <bindir>/data/use_lite.bin exists, else\n"
    "                       none with a warning); the\n"
    "                       --embed-* options and --cache DIR go to pith-embed too\n"
    "                       (docs/EMBEDDING.md); vectors are cached in INDEX.cache/\n"
    "  --hnsw-min-rows N    search vectors through an HNSW graph when at least N functions\n"
    "                       have one (default 20000; 0 = always scan exactly)\n"
    "  --vector-type T      vectors stored as f32 (default) or f16 (half the size)\n"
    "                       (both passed to pith-pack)\n"
    "\n"
    "exit codes: 0 index built (files skipped by policy are listed, not failures),\n"
    "            1 index built but a stage reported that some inputs failed,\n"
    "            2 usage, 3 fatal (a stage failed or is missing: no index written)\n";

static const char usage_query[] =
    "usage: pith query [-i INDEX] OP ARGS [--json]\n"
    "\n"
    "  symbol NAME                 kind, location, signature, decorators, docstring, counts\n"
    "  callers NAME [--depth D]    who calls NAME (D levels, default 1, at most 100)\n"
    "  callees NAME [--depth D]    what NAME calls, external and unresolved calls included\n"
    "  impact NAME [--depth D]     transitive callers (default depth 100), affected files and\n"
    "                              tests\n"
    "  search TEXT [-k N]          BM25F search over names, signatures, docstrings (default 10)\n"
    "    [--mode lexical|vector|fused]  BM25F, vector similarity, or both fused by z-score\n"
    "                              (default: fused when the index has vectors);\n"
    "    [--vector-weight W]       the vector channel's weight in the fusion (default 1)\n"
    "    [--exact]                 score every vector even when the index has an HNSW graph\n"
    "    [--embed-url URL]         embed the query at URL, not at the server recorded in an\n"
    "                              index built with --embed openai:|ollama:|tei:URL (also\n"
    "                              $PITH_EMBED_URL; docs/EMBEDDING.md)\n"
    "  summary NAME                the summary text the embedder saw for NAME\n"
    "  context NAME [--budget T]   what an agent needs to change NAME, in T cl100k tokens\n"
    "  overview [PATH] [--budget T]  a ranked map of the repository within T tokens\n"
    "  diff-impact --git REV | FILE...  changed functions -> affected functions and tests\n"
    "  cfg NAME | dfg NAME         control-flow graph; def-use chains and control dependences\n"
    "  slice FILE:LINE [--var V] [--forward] [--interprocedural]  a program slice\n"
    "  dead | path FROM TO | cycles  unreachable functions, a call path, call cycles\n"
    "  (--dot: Graphviz for cfg, slice, callers, callees, impact, path and cycles)\n"
    "\n"
    "NAME is a qualified name (pkg/mod.py:Class.method), a partial one (Class.method,\n"
    "mod.py:Class.method, pkg.mod.Class.method) or a bare name (method). A name matching\n"
    "several symbols is answered with the candidates (exit 1); callers, callees and impact\n"
    "answer for each of up to 10 matches, grouped per symbol.\n"
    "\n"
    "  -i, --index INDEX   the index directory (default .pith)\n"
    "  --json              one JSON object (shapes in docs/QUERIES.md)\n"
    "\n" EXIT_CODES;

static const char usage_dump[] = "usage: pith dump [-i INDEX] SECTION\n"
                                 "\n"
                                 "Prints one part of the index (default INDEX .pith) as\n"
                                 "deterministic text. SECTION: " PITH_DUMP_SECTIONS "\n"
                                 "\n" EXIT_CODES;

static int is_help(const char *a)
{
    return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0;
}

static int usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int usage_error(const char *usage, const char *fmt, ...)
{
    va_list ap;
    fputs("pith: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    /* the synopsis line only; --help has the rest */
    const char *nl = strchr(usage, '\n');
    fprintf(stderr, "%.*s\n(--help for more)\n", nl ? (int)(nl - usage) : (int)strlen(usage),
            usage);
    return PITH_EXIT_USAGE;
}

static int open_index(struct pith_index **out, const char *dir)
{
    int err = pith_index_open(out, dir);
    if (err < 0) {
        const char *msg = pith_error_last();
        if (err == PITH_ENOTFOUND)
            fprintf(stderr, "pith: %s; run 'pith index' first\n", *msg ? msg : "no index found");
        else
            fprintf(stderr, "pith: %s\n", *msg ? msg : "cannot open index");
        return PITH_EXIT_FATAL;
    }
    return 0;
}

static int write_out(const struct pith_buf *b)
{
    if (b->len && fwrite(b->ptr, 1, b->len, stdout) != b->len)
        return -1;
    return fflush(stdout) == 0 ? 0 : -1;
}

/* ---- pith index ---------------------------------------------------------------------------- */

static int cmd_index(int argc, char **argv, const char *argv0)
{
    const char *repo = NULL, *index = NULL, *compdb = NULL;
    const char *embed_args[DRIVER_EMBED_ARGS_MAX];
    const char *pack_args[DRIVER_PACK_ARGS_MAX];
    int embed_argc = 0, pack_argc = 0;
    unsigned jobs = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        if (is_help(a)) {
            fputs(usage_index, stdout);
            return PITH_EXIT_OK;
        }
        if (strcmp(a, "--embed") == 0 || strncmp(a, "--embed-", 8) == 0 ||
            strcmp(a, "--cache") == 0) { /* passed to pith-embed, which checks them */
            if (i + 1 >= argc)
                return usage_error(usage_index, "%s needs a value", a);
            if (embed_argc + 2 > DRIVER_EMBED_ARGS_MAX)
                return usage_error(usage_index, "%s", "too many embedder options");
            embed_args[embed_argc++] = a;
            embed_args[embed_argc++] = argv[++i];
            continue;
        }
        if (strcmp(a, "--hnsw-min-rows") == 0 || strcmp(a, "--vector-type") == 0) {
            if (i + 1 >= argc)
                return usage_error(usage_index, "%s needs a value", a);
            if (pack_argc + 2 > DRIVER_PACK_ARGS_MAX)
                return usage_error(usage_index, "%s", "too many pith-pack options");
            pack_args[pack_argc++] = a; /* pith-pack checks the value */
            pack_args[pack_argc++] = argv[++i];
            continue;
        }
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (i + 1 >= argc)
                return usage_error(usage_index, "%s needs a path", a);
            index = argv[++i];
            continue;
        }
        if (strcmp(a, "--compdb") == 0) {
            if (i + 1 >= argc)
                return usage_error(usage_index, "%s needs a path", a);
            compdb = argv[++i];
            continue;
        }
        if (strcmp(a, "-j") == 0 || strcmp(a, "--jobs") == 0) {
            if (i + 1 >= argc)
                return usage_error(usage_index, "%s needs a number", a);
            val = argv[++i];
        } else if (strncmp(a, "--jobs=", 7) == 0) {
            val = a + 7;
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error(usage_index, "unknown option '%s' for index", a);
        } else if (!repo) {
            repo = a;
            continue;
        } else {
            return usage_error(usage_index, "unexpected argument '%s'", a);
        }
        char *end;
        long v = strtol(val, &end, 10);
        if (!*val || *end || v < 1 || v > 1024)
            return usage_error(usage_index, "--jobs needs a number from 1 to 1024, got '%s'", val);
        jobs = (unsigned)v;
    }
    char repo_abs[PATH_MAX];
    if (!realpath(repo ? repo : ".", repo_abs)) {
        fprintf(stderr, "pith: cannot open repository %s\n", repo ? repo : ".");
        return PITH_EXIT_FATAL;
    }
    struct pith_buf index_path = PITH_BUF_INIT, bindir = PITH_BUF_INIT, sum = PITH_BUF_INIT;
    if (index)
        pith_buf_puts(&index_path, index);
    else
        pith_buf_printf(&index_path, "%s/.pith", repo_abs);
    driver_bindir(&bindir, argv0);

    struct driver_options opt = {
        repo_abs,   index_path.ptr, bindir.ptr, jobs,      isatty(STDERR_FILENO),
        embed_args, embed_argc,     compdb,     pack_args, pack_argc
    };
    struct driver_report rep;
    struct pith_index *ix = NULL;
    int rc = PITH_EXIT_OK;
    int err = driver_index(&rep, &opt);
    if (err < 0) {
        fprintf(stderr, "pith: %s\n", pith_error_last());
        rc = PITH_EXIT_FATAL;
        goto out;
    }
    rc = open_index(&ix, index_path.ptr);
    if (rc)
        goto out;
    pith_buf_printf(&sum, "indexed %s -> %s\n", repo_abs, index_path.ptr);
    driver_summary(&sum, ix, &rep);
    if (write_out(&sum) < 0) {
        rc = PITH_EXIT_FATAL;
        goto out;
    }
    rc = rep.partial ? PITH_EXIT_PARTIAL : PITH_EXIT_OK;
out:
    if (ix)
        pith_index_free(ix);
    pith_buf_release(&sum);
    pith_buf_release(&bindir);
    pith_buf_release(&index_path);
    return rc;
}

/* ---- pith query ---------------------------------------------------------------------------- */

static int cmd_query(int argc, char **argv)
{
    const char *index = ".pith";
    int i = 1;
    for (int j = 1; j < argc; j++) {
        if (strcmp(argv[j], "--") == 0)
            break;
        if (is_help(argv[j])) {
            fputs(usage_query, stdout);
            return PITH_EXIT_OK;
        }
    }
    /* options before OP: -i INDEX, --json */
    int json_first = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-i") == 0 || strcmp(argv[i], "--index") == 0) {
            if (i + 1 >= argc)
                return usage_error(usage_query, "%s needs a path", argv[i]);
            index = argv[++i];
        } else if (strncmp(argv[i], "--index=", 8) == 0) {
            index = argv[i] + 8;
        } else if (strcmp(argv[i], "--json") == 0) {
            json_first = 1;
        } else if (strcmp(argv[i], "--embed-url") == 0) {
            if (i + 1 >= argc)
                return usage_error(usage_query, "%s", "--embed-url needs a URL");
            query_embed_set_url(argv[++i]);
        } else {
            return usage_error(usage_query, "unknown option '%s' for query", argv[i]);
        }
    }
    /* --embed-url URL, anywhere before "--": the query embedding server (query_embed.h) */
    int qargc = 0;
    for (int j = i, opts = 1; j < argc; j++) {
        if (opts && strcmp(argv[j], "--") == 0)
            opts = 0;
        if (opts && strcmp(argv[j], "--embed-url") == 0) {
            if (j + 1 >= argc)
                return usage_error(usage_query, "%s", "--embed-url needs a URL");
            query_embed_set_url(argv[++j]);
            continue;
        }
        argv[i + qargc++] = argv[j];
    }
    if (qargc == 0)
        return usage_error(usage_query, "%s", "missing query operation");
    struct query_req *req = malloc(sizeof *req);
    if (!req)
        return PITH_EXIT_FATAL;
    int err = query_parse(req, qargc, argv + i);
    if (err < 0) {
        free(req);
        return usage_error(usage_query, "%s", pith_error_last());
    }
    if (req->index)
        index = req->index;
    req->json |= json_first;

    struct pith_index *ix = NULL;
    struct pith_buf out = PITH_BUF_INIT;
    int rc = open_index(&ix, index);
    if (rc)
        goto done;
    err = query_run(&out, ix, req);
    if (write_out(&out) < 0) {
        rc = PITH_EXIT_FATAL;
        goto done;
    }
    if (err < 0) {
        fprintf(stderr, "pith: %s\n", pith_error_last());
        rc = err == PITH_ENOTFOUND || err == PITH_EAMBIGUOUS ? PITH_EXIT_PARTIAL
                                                             : pith_error_exit_code(err);
    }
done:
    if (ix)
        pith_index_free(ix);
    pith_buf_release(&out);
    free(req);
    return rc;
}

/* ---- pith dump ----------------------------------------------------------------------------- */

static int cmd_dump(int argc, char **argv)
{
    const char *index = ".pith", *section = NULL;
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(usage_dump, stdout);
            return PITH_EXIT_OK;
        }
        if (strcmp(argv[i], "-i") == 0 || strcmp(argv[i], "--index") == 0) {
            if (i + 1 >= argc)
                return usage_error(usage_dump, "%s needs a path", argv[i]);
            index = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return usage_error(usage_dump, "unknown option '%s' for dump", argv[i]);
        } else if (!section) {
            section = argv[i];
        } else {
            return usage_error(usage_dump, "unexpected argument '%s'", argv[i]);
        }
    }
    if (!section)
        return usage_error(usage_dump, "%s", "missing SECTION");
    struct pith_index *ix = NULL;
    struct pith_buf out = PITH_BUF_INIT;
    int rc = open_index(&ix, index);
    if (rc)
        return rc;
    int err = pith_dump_section(&out, ix, section);
    if (write_out(&out) < 0)
        rc = PITH_EXIT_FATAL;
    if (err == PITH_EUSAGE) {
        fprintf(stderr, "pith: unknown section '%s' (%s)\n", section, PITH_DUMP_SECTIONS);
        rc = PITH_EXIT_USAGE;
    } else if (err < 0) {
        fprintf(stderr, "pith: %s\n", pith_error_last());
        rc = pith_error_exit_code(err);
    }
    pith_buf_release(&out);
    pith_index_free(ix);
    return rc;
}

/* ---- pith serve ---------------------------------------------------------------------------- */

static int cmd_serve(int argc, char **argv, const char *argv0)
{
    struct pith_buf exe = PITH_BUF_INIT;
    driver_bindir(&exe, argv0);
    pith_buf_puts(&exe, "/pith-serve");
    argv[0] = exe.ptr;
    (void)argc;
    execv(exe.ptr, argv);
    fprintf(stderr, "pith: cannot run %s\n", exe.ptr);
    pith_buf_release(&exe);
    return PITH_EXIT_FATAL;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error(usage_main, "%s", "missing command");
    const char *cmd = argv[1];
    if (is_help(cmd) || strcmp(cmd, "help") == 0) {
        fputs(usage_main, stdout);
        return PITH_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("pith %s (index format %u)\n", PITH_VERSION, PITH_FORMAT_VERSION);
        return PITH_EXIT_OK;
    }
    if (strcmp(cmd, "index") == 0)
        return cmd_index(argc - 1, argv + 1, argv[0]);
    if (strcmp(cmd, "query") == 0)
        return cmd_query(argc - 1, argv + 1);
    if (strcmp(cmd, "dump") == 0)
        return cmd_dump(argc - 1, argv + 1);
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 1, argv + 1, argv[0]);
    return usage_error(usage_main, "unknown command '%s'", cmd);
}
