/* The repository walker of pith-extract: lists the source files of a repository, honouring
 * .gitignore (every level), .pithignore and .git/info/exclude. */
#ifndef PITH_EXTRACT_WALK_H
#define PITH_EXTRACT_WALK_H

#include <stddef.h>

/* Repo-relative, '/'-separated paths (each malloc'd), sorted by byte order. */
struct walk_list {
    char **items;
    size_t count;
    size_t cap;
};

/* Directories nested deeper than this are not entered. */
#define WALK_MAX_DEPTH 256

/* Appends to `out` every file under `root` whose name ends in `ext` (".py") and that no ignore
 * rule excludes, then sorts `out`. Skips .git, never follows a symlink to a directory and
 * never enters an ignored directory. Returns 0, or PITH_ENOTFOUND / PITH_EIO when `root`
 * cannot be read (unreadable subdirectories are skipped). Release with walk_list_release. */
int walk_repo(struct walk_list *out, const char *root, const char *ext);

void walk_list_release(struct walk_list *l);

#endif
