/* `pith index`: runs the stage executables (extract -> analyze -> embed -> pack) found next to
 * the driver, with intermediates in a temporary work folder, and summarises the built index
 * from the artifact itself (serve stage; the driver adds no analysis of its own). */
#ifndef PITH_SERVE_DRIVER_H
#define PITH_SERVE_DRIVER_H

#include "common/buf.h"

struct pith_index;

enum driver_stage { DRIVER_EXTRACT, DRIVER_ANALYZE, DRIVER_EMBED, DRIVER_PACK, DRIVER_STAGES };

struct driver_options {
    const char *repo;   /* repository root */
    const char *index;  /* output INDEX directory */
    const char *bindir; /* folder holding pith-extract, pith-analyze, pith-embed, pith-pack */
    unsigned jobs;      /* --jobs for extract; 0 = the stage's default */
    int progress;       /* stderr is a terminal: stage progress and stage names */
    /* extra pith-embed arguments (--embed SPEC, --embed-* VALUE, --cache DIR), at most
     * DRIVER_EMBED_ARGS_MAX; with an embedder other than "none" and no --cache, the driver adds
     * --cache INDEX.cache */
    const char *const *embed_args;
    int embed_argc;
    const char *compdb; /* --compdb FILE for pith-extract, or NULL */
    /* extra pith-pack arguments (--hnsw-min-rows N, --vector-type T), at most
     * DRIVER_PACK_ARGS_MAX */
    const char *const *pack_args;
    int pack_argc;
};
#define DRIVER_PACK_ARGS_MAX  8
#define DRIVER_EMBED_ARGS_MAX 32

struct driver_report {
    double seconds[DRIVER_STAGES]; /* wall time per stage; negative when the stage did not run */
    double total;
    int partial; /* some stage exited 1: inputs failed, recorded */
};

/* Runs the pipeline into opt->index (pack replaces it atomically). Stage output on stdout is
 * sent to stderr. The work folder `INDEX.work.PID/` is removed in every case. Returns 0, or
 * PITH_ENOTFOUND (a stage executable is missing), PITH_EIO or PITH_EPARSE (a stage failed),
 * with pith_error_last() set. */
int driver_index(struct driver_report *out, const struct driver_options *opt);

/* Appends the human summary of index `ix` (files indexed and skipped by reason with up to 10
 * paths each, symbols per kind, call sites per edge kind) and, when `rep` is not NULL, the time
 * per stage. */
void driver_summary(struct pith_buf *out,
                    const struct pith_index *ix,
                    const struct driver_report *rep);

/* The folder of the running executable (from /proc/self/exe, else argv0), into `out`. */
void driver_bindir(struct pith_buf *out, const char *argv0);

#endif
