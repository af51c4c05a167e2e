/* The C/C++ front ends of pith-extract: libclang with a compilation database (lang_c_clang.c)
 * and the tree-sitter fallback without one (lang_c_ts.c). Both produce whole FileFacts
 * records (packed, uncompressed), one per repository file, which extract.c merges with the
 * other languages' records in path order. */
#ifndef PITH_EXTRACT_LANG_C_H
#define PITH_EXTRACT_LANG_C_H

#include "common/buf.h"
#include "compdb.h"

#include <stddef.h>
#include <stdint.h>

struct c_record {
    char *path;            /* repository-relative (malloc'd) */
    struct pith_buf facts; /* packed Pith__FileFacts */
    int status;            /* Pith__FileStatus */
    char *reason;          /* malloc'd skip reason, NULL when ok */
    uint64_t size;
};

struct c_records {
    struct c_record *items;
    size_t count;
    size_t cap;
};

/* Is `name` a C or C++ source or header (.c .h .cc .cpp .cxx .hpp .hh .hxx)? */
int lang_c_is_source(const char *name);

/* Parses every translation unit of `db` with libclang on `jobs` threads (one CXIndex each)
 * and appends to `out` one record per file under `repo` (absolute) that a unit is or reaches:
 * functions with USR, call sites (macro expansions attributed to the enclosing function),
 * address-taken functions. A function defined in a header is recorded once. A unit that does
 * not parse is recorded as FILE_SKIPPED_PARSE. `out` is sorted by path. Never fails. */
void lang_c_clang_run(struct c_records *out, const char *repo, const struct compdb *db, int jobs);

/* Parses the repository-relative `paths` under `repo` with tree-sitter-c/-cpp on `jobs`
 * threads and appends one record per path (no_compdb set, calls name_only). */
void lang_c_ts_run(struct c_records *out,
                   const char *repo,
                   char *const *paths,
                   size_t count,
                   int jobs,
                   size_t max_size);

/* The tree-sitter front end on C (`cpp` 0) or C++ source `data` instead of a file: packs into
 * `out` (caller owns; pith_buf_release) the FileFacts lang_c_ts_run would write for it, path
 * "input.c" or "input.cpp". For tests and fuzzing. Returns 0, or PITH_EPARSE when tree-sitter
 * gives up (`out` then holds a record with that status). */
int lang_c_ts_buffer(const unsigned char *data, size_t len, int cpp, struct pith_buf *out);

void c_records_release(struct c_records *r);

#endif
