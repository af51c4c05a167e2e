/* gitignore semantics for the repository walker: .gitignore files at every level,
 * .pithignore, .git/info/exclude; wildmatch patterns as git matches them. */
#ifndef PITH_EXTRACT_IGNORE_H
#define PITH_EXTRACT_IGNORE_H

#include <stddef.h>
#include <stdint.h>

struct ignore_rule {
    char *pattern; /* without '!', the leading '/' and the trailing '/' */
    char *base;    /* directory of the ignore file, repo-relative ("" for the root) */
    uint32_t base_len;
    uint8_t negate;   /* "!pattern" re-includes */
    uint8_t dir_only; /* "pattern/" matches directories only */
    uint8_t anchored; /* a '/' at the start or in the middle: match the path, not the name */
};

/* Rules in precedence order: a later matching rule wins. */
struct ignore_list {
    struct ignore_rule *items;
    size_t count;
    size_t cap;
};

void ignore_init(struct ignore_list *l);
void ignore_release(struct ignore_list *l);

/* Parses the text of one ignore file found in directory `base` (repo-relative, no trailing
 * '/', "" for the root) and appends its rules. */
void ignore_add_text(struct ignore_list *l, const char *base, const char *text, size_t len);

/* Reads the ignore file at `file` (missing is fine) and appends its rules for `base`. */
void ignore_add_file(struct ignore_list *l, const char *base, const char *file);

/* Drops rules added after the list held `count` (leaving a directory). */
void ignore_truncate(struct ignore_list *l, size_t count);

/* Decides one walk entry: returns 1 when the repo-relative `path` is ignored by the last rule
 * that matches it. Parents are not consulted (the walker never enters ignored directories). */
int ignore_match_entry(const struct ignore_list *l, const char *path, int is_dir);

/* Like ignore_match_entry, but also returns 1 when a parent directory of `path` is ignored:
 * git never re-includes a file below an excluded directory. */
int ignore_match(const struct ignore_list *l, const char *path, int is_dir);

/* git wildmatch with WM_PATHNAME: '*' and '?' and classes never match '/', "**" between
 * slashes matches any number of directories. Returns 1 on a match. */
int ignore_wildmatch(const char *pattern, const char *text);

#endif
