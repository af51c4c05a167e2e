/* compile_commands.json reader for the C/C++ front end: one entry per translation unit with
 * the absolute source path, the working directory and the compiler arguments that libclang
 * needs (compiler, -c, -o FILE and the source itself removed). */
#ifndef PITH_EXTRACT_COMPDB_H
#define PITH_EXTRACT_COMPDB_H

#include <stddef.h>

struct compdb_entry {
    char *file;      /* absolute, normalised ("/repo/src/a.c") */
    char *directory; /* absolute */
    char **args;     /* [arg_count], each malloc'd */
    size_t arg_count;
};

struct compdb {
    struct compdb_entry *items;
    size_t count;
    size_t cap;
};

/* Finds the compilation database of `repo`: `explicit_path` when not NULL, else
 * REPO/compile_commands.json, else REPO/build/compile_commands.json. Returns a malloc'd path
 * or NULL when there is none (an explicit path is returned even if it does not exist). */
char *compdb_find(const char *repo, const char *explicit_path);

/* Reads the database at `path` into `out` (zeroed by the caller). A file listed twice keeps its
 * first entry. Returns 0, PITH_ENOTFOUND, PITH_EIO or PITH_EPARSE (not a JSON array of
 * entries); sets pith_error_last(). Release with compdb_release. */
int compdb_load(struct compdb *out, const char *path);

void compdb_release(struct compdb *db);

/* Normalises the absolute or `dir`-relative `path` ("." and ".." removed); malloc'd. */
char *compdb_abspath(const char *dir, const char *path);

#endif
