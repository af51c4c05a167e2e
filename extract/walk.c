/* Repository walker (see walk.h): readdir recursion with one ignore-rule stack; each
 * directory's .gitignore and .pithignore rules are pushed on entry and dropped on exit. */
#include "walk.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "ignore.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct walker {
    struct walk_list *out;
    struct ignore_list rules;
    struct pith_buf full; /* root + "/" + rel */
    size_t root_len;
    const char *ext;
    size_t ext_len;
};

struct dirent_copy {
    char *name;
    unsigned char type;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_ext(const struct walker *w, const char *name)
{
    size_t n = strlen(name);
    return n > w->ext_len && !memcmp(name + n - w->ext_len, w->ext, w->ext_len);
}

/* Walks the directory whose path is w->full (relative part starts at root_len + 1). */
static int walk_dir(struct walker *w, int depth)
{
    size_t dir_len = w->full.len;
    const char *rel = w->full.ptr + (dir_len > w->root_len ? w->root_len + 1 : dir_len);
    size_t rules_before = w->rules.count;
    char *base = pith_xstrdup(rel);

    pith_buf_puts(&w->full, "/.gitignore");
    ignore_add_file(&w->rules, base, w->full.ptr);
    w->full.len = dir_len;
    pith_buf_puts(&w->full, "/.pithignore");
    ignore_add_file(&w->rules, base, w->full.ptr);
    w->full.len = dir_len;
    w->full.ptr[dir_len] = '\0';

    DIR *dir = opendir(w->full.ptr);
    if (!dir) {
        int e = errno;
        free(base);
        ignore_truncate(&w->rules, rules_before);
        if (depth == 0)
            return pith_error_set(e == ENOENT ? PITH_ENOTFOUND : PITH_EIO, "cannot read %s: %s",
                                  w->full.ptr, strerror(e));
        return 0;
    }
    PITH_VEC(struct dirent_copy) ents = { 0 };
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        const char *n = de->d_name;
        if (!strcmp(n, ".") || !strcmp(n, "..") || !strcmp(n, ".git"))
            continue;
        struct dirent_copy c = { pith_xstrdup(n), de->d_type };
        pith_vec_push(&ents, c);
    }
    closedir(dir);

    for (size_t i = 0; i < ents.count; i++) {
        const char *name = ents.items[i].name;
        unsigned char type = ents.items[i].type;
        w->full.len = dir_len;
        pith_buf_putc(&w->full, '/');
        pith_buf_puts(&w->full, name);
        int is_dir = type == DT_DIR, is_file = type == DT_REG;
        if (type == DT_UNKNOWN || type == DT_LNK) {
            struct stat st;
            if (lstat(w->full.ptr, &st) != 0)
                continue;
            if (S_ISLNK(st.st_mode)) {
                /* follow links to files, never to directories */
                if (stat(w->full.ptr, &st) != 0 || !S_ISREG(st.st_mode))
                    continue;
            }
            is_dir = S_ISDIR(st.st_mode);
            is_file = S_ISREG(st.st_mode);
        }
        const char *path = w->full.ptr + w->root_len + 1;
        if (is_dir) {
            if (depth + 1 < WALK_MAX_DEPTH && !ignore_match_entry(&w->rules, path, 1))
                walk_dir(w, depth + 1);
        } else if (is_file && has_ext(w, name) && !ignore_match_entry(&w->rules, path, 0)) {
            pith_vec_push(w->out, pith_xstrdup(path));
        }
    }
    for (size_t i = 0; i < ents.count; i++)
        free(ents.items[i].name);
    pith_vec_release(&ents);
    ignore_truncate(&w->rules, rules_before);
    free(base);
    w->full.len = dir_len;
    w->full.ptr[dir_len] = '\0';
    return 0;
}

int walk_repo(struct walk_list *out, const char *root, const char *ext)
{
    struct walker w = { 0 };
    w.out = out;
    w.ext = ext;
    w.ext_len = strlen(ext);
    ignore_init(&w.rules);
    pith_buf_init(&w.full);
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/')
        n--;
    pith_buf_put(&w.full, root, n);
    w.root_len = w.full.len;
    pith_buf_puts(&w.full, "/.git/info/exclude");
    ignore_add_file(&w.rules, "", w.full.ptr);
    w.full.len = w.root_len;
    w.full.ptr[w.root_len] = '\0';

    struct stat st;
    int err = 0;
    if (stat(w.full.ptr, &st) != 0) {
        int e = errno;
        err = pith_error_set(e == ENOENT ? PITH_ENOTFOUND : PITH_EIO, "cannot read %s: %s",
                             w.full.ptr, strerror(e));
    } else if (!S_ISDIR(st.st_mode)) {
        err = pith_error_set(PITH_EIO, "%s is not a directory", w.full.ptr);
    } else {
        err = walk_dir(&w, 0);
    }
    if (out->count)
        qsort(out->items, out->count, sizeof *out->items, cmp_str);
    ignore_release(&w.rules);
    pith_buf_release(&w.full);
    return err;
}

void walk_list_release(struct walk_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    pith_vec_release(l);
}
