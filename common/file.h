/* File I/O: whole-file reads with a cap, atomic writes (git lockfile), read-only maps. */
#ifndef PITH_COMMON_FILE_H
#define PITH_COMMON_FILE_H

#include "buf.h"

#include <stddef.h>

/* Reads the file at `path` into `out` (caller owns; release with pith_buf_release).
 * Returns 0, PITH_ENOTFOUND, PITH_ETOOBIG (> max_len) or PITH_EIO; sets pith_error_last(). */
int pith_file_read(struct pith_buf *out, const char *path, size_t max_len);

/* Writes `len` bytes to `path` through `path.tmp.PID` + fsync-free rename.
 * Returns 0 or PITH_EIO. */
int pith_file_write_atomic(const char *path, const void *data, size_t len);

/* Creates `path` and its parents (mode 0777 & ~umask). Returns 0 or PITH_EIO. */
int pith_mkdir_p(const char *path);

/* Removes a directory tree (no symlink following). Returns 0 or PITH_EIO. */
int pith_rm_rf(const char *path);

/* A read-only private mapping of a whole file. */
struct pith_map {
    const unsigned char *data;
    size_t len;
};

/* Maps `path` read-only. An empty file maps to data == NULL, len == 0.
 * Returns 0, PITH_ENOTFOUND or PITH_EIO. Release with pith_map_release. */
int pith_map_open(struct pith_map *out, const char *path);
void pith_map_release(struct pith_map *m);

#endif
