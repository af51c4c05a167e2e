/* pith-extract: repository -> facts stage file (one Pith__FileFacts per source file, sorted by
 * path). extract_main.c parses argv; this is the logic that tests link. */
#ifndef PITH_EXTRACT_EXTRACT_H
#define PITH_EXTRACT_EXTRACT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define EXTRACT_DEFAULT_MAX_SIZE ((size_t)2 << 20)

struct extract_options {
    const char *repo;   /* repository root */
    const char *output; /* facts stage file, written atomically */
    int jobs;           /* worker threads; 0 = CPUs available to the process */
    size_t max_size;    /* larger files are recorded as FILE_SKIPPED_TOO_BIG */
    int progress;       /* progress and a summary on stderr */
    /* Called once per skipped file, in path order, from the calling thread (may be NULL):
     * `status` is a short word ("binary", "too_big", "parse", "encoding", "io"). */
    void (*on_skip)(const char *path, const char *status, const char *reason, void *payload);
    void *payload;
    const char *compdb; /* compile_commands.json for C/C++; NULL: REPO/ or REPO/build/ */
};

struct extract_stats {
    size_t files; /* records written */
    size_t ok;
    size_t skipped; /* records with a status other than FILE_OK */
    uint64_t bytes; /* source bytes read */
};

/* Walks opt->repo, extracts every Python file with opt->jobs threads and writes the stage
 * file. The output does not depend on opt->jobs. Skipped files are recorded, passed to
 * opt->on_skip and counted in `stats` (may be NULL).
 * Returns 0, PITH_ENOTFOUND (no repo) or PITH_EIO; sets pith_error_last(). */
int extract_run(struct extract_stats *stats, const struct extract_options *opt);

/* Prints every record of the facts file at `path` to `out` as deterministic text.
 * Returns 0, PITH_ENOTFOUND, PITH_EIO or PITH_ECORRUPT; sets pith_error_last(). */
int extract_dump(FILE *out, const char *path);

#endif
