/* pith-extract: argv -> extract_options -> extract_run / extract_dump (first pipeline stage). */
#include "common/err.h"
#include "common/version.h"
#include "extract.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: pith-extract REPO -o FACTS_FILE [--jobs N] [--max-size BYTES] [--compdb FILE]\n"
    "                    [--progress]\n"
    "       pith-extract --dump FACTS_FILE\n"
    "\n"
    "Extracts symbols, imports, call sites and bindings of every Python file (*.py) under REPO\n"
    "(honouring .gitignore, .pithignore and .git/info/exclude) into a facts stage file.\n"
    "\n"
    "  -o, --output FILE  facts file to write (atomically)\n"
    "  -j, --jobs N       worker threads (default: CPUs available to the process)\n"
    "  --max-size BYTES   skip larger files, recording them (default 2097152)\n"
    "  --compdb FILE      compile_commands.json for C/C++ (default: REPO/compile_commands.json,\n"
    "                     then REPO/build/compile_commands.json; none: tree-sitter, by name)\n"
    "  --progress         progress and a summary on stderr\n"
    "  --dump FILE        print every record of a facts file as text on stdout\n"
    "  -h, --help         this help;  --version  the version\n"
    "\n"
    "Exit codes: 0 ok, 1 some inputs failed (skipped, recorded), 2 usage,\n"
    "3 fatal (I/O, corrupt artifact).\n";

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "pith-extract: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    fprintf(stderr, "pith-extract: try 'pith-extract --help'\n");
    return PITH_EXIT_USAGE;
}

static int parse_size(const char *s, unsigned long long max, unsigned long long *out)
{
    if (!s || !*s || *s == '-')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

static void report_skip(const char *path, const char *status, const char *reason, void *payload)
{
    (void)payload;
    fprintf(stderr, "pith-extract: skipped %s (%s): %s\n", path, status, reason);
}

int main(int argc, char **argv)
{
    struct extract_options opt = { 0 };
    const char *dump = NULL;
    opt.max_size = EXTRACT_DEFAULT_MAX_SIZE;
    opt.on_skip = report_skip;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long long v;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return PITH_EXIT_OK;
        } else if (!strcmp(a, "--version")) {
            printf("pith-extract %s\n", PITH_VERSION);
            return PITH_EXIT_OK;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (!next)
                return usage_error("missing value for", a);
            opt.output = argv[++i];
        } else if (!strcmp(a, "-j") || !strcmp(a, "--jobs")) {
            if (parse_size(next, 4096, &v) < 0 || v == 0)
                return usage_error("--jobs needs a number from 1 to 4096", next);
            opt.jobs = (int)v;
            i++;
        } else if (!strcmp(a, "--max-size")) {
            if (parse_size(next, 1ull << 30, &v) < 0)
                return usage_error("--max-size needs a byte count up to 1073741824", next);
            opt.max_size = (size_t)v;
            i++;
        } else if (!strcmp(a, "--compdb")) {
            if (!next)
                return usage_error("missing value for", a);
            opt.compdb = argv[++i];
        } else if (!strcmp(a, "--progress")) {
            opt.progress = 1;
        } else if (!strcmp(a, "--dump")) {
            if (!next)
                return usage_error("missing value for", a);
            dump = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            return usage_error("unknown option", a);
        } else if (!opt.repo) {
            opt.repo = a;
        } else {
            return usage_error("unexpected argument", a);
        }
    }
    if (dump) {
        if (opt.repo || opt.output)
            return usage_error("--dump takes only a facts file", NULL);
        int err = extract_dump(stdout, dump);
        if (fflush(stdout) != 0 && !err)
            err = pith_error_set(PITH_EIO, "cannot write to stdout");
        if (err < 0) {
            fprintf(stderr, "pith-extract: %s\n", pith_error_last());
            return PITH_EXIT_FATAL;
        }
        return PITH_EXIT_OK;
    }
    if (!opt.repo)
        return usage_error("missing REPO", NULL);
    if (!opt.output)
        return usage_error("missing -o FACTS_FILE", NULL);
    struct extract_stats st;
    int err = extract_run(&st, &opt);
    if (err < 0) {
        fprintf(stderr, "pith-extract: %s\n", pith_error_last());
        return PITH_EXIT_FATAL;
    }
    return st.skipped ? PITH_EXIT_PARTIAL : PITH_EXIT_OK;
}
