/* `diff-impact --git REV | FILE...` (serve stage): the functions a change touches (hunks of
 * `git diff -U0 REV` run in the repository root, mapped to the innermost symbol spanning each
 * changed line; or every symbol of the FILEs), what calls them, the tests that reach them and a
 * command that runs those tests. */
#include "common/artifact.h"
#include "common/err.h"
#include "common/mem.h"
#include "schemas/manifest.pb-c.h"
#include "serve/query_ext.h"
#include "serve/serve_int.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define DIFF_MAX (64u << 20)

size_t q_diff_hunks(struct pith_buf *out, const char *diff, size_t len)
{
    char path[4096] = "";
    size_t hunks = 0;
    for (size_t pos = 0; pos < len;) {
        const char *line = diff + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + (nl ? 1 : 0);
        if (n >= 4 && memcmp(line, "+++ ", 4) == 0) {
            const char *p = line + 4;
            size_t pl = n - 4;
            if (pl >= 2 && p[0] == 'b' && p[1] == '/') {
                p += 2;
                pl -= 2;
            } else if (pl == 9 && memcmp(p, "/dev/null", 9) == 0) {
                pl = 0; /* deleted file: its symbols are gone from the new side */
            }
            if (pl >= sizeof path)
                pl = 0;
            memcpy(path, p, pl);
            path[pl] = '\0';
            continue;
        }
        if (n >= 2 && memcmp(line, "@@", 2) == 0 && path[0]) {
            /* @@ -a[,b] +c[,d] @@ */
            const char *plus = memchr(line, '+', n);
            if (!plus)
                continue;
            char *end;
            unsigned long c = strtoul(plus + 1, &end, 10), d = 1;
            if (*end == ',')
                d = strtoul(end + 1, &end, 10);
            unsigned long first = c, last = c + d - 1;
            if (d == 0) {
                /* a deletion after line c: the lines around it changed meaning */
                first = c ? c : 1;
                last = c + 1;
            }
            pith_buf_printf(out, "%s\t%lu\t%lu\n", path, first, last);
            hunks++;
        }
    }
    return hunks;
}

/* Runs `git -C root diff -U0 ... REV --` into `out`. */
static int git_diff(struct pith_buf *out, const char *root, const char *rev)
{
    if (rev[0] == '-') /* it would reach git as an option (--output=FILE writes a file) */
        return pith_error_set(PITH_EUSAGE, "diff-impact: a revision may not start with '-'");
    int fds[2];
    if (pipe(fds) != 0)
        return pith_error_set(PITH_EIO, "pipe: %s", strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    char *argv[] = { (char *)"git",
                     (char *)"-C",
                     (char *)root,
                     (char *)"diff",
                     (char *)"-U0",
                     (char *)"--no-color",
                     (char *)"--no-ext-diff",
                     (char *)"--no-renames",
                     (char *)rev,
                     (char *)"--",
                     NULL };
    pid_t pid;
    int rc = posix_spawnp(&pid, "git", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return pith_error_set(PITH_EIO, "cannot run git: %s", strerror(rc));
    }
    char chunk[65536];
    int err = 0;
    for (;;) {
        ssize_t k = read(fds[0], chunk, sizeof chunk);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        if (out->len + (size_t)k > DIFF_MAX) {
            err = pith_error_set(PITH_ETOOBIG, "git diff output over %u bytes", DIFF_MAX);
            break;
        }
        pith_buf_put(out, chunk, (size_t)k);
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!err && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
        err = pith_error_set(PITH_EIO, "git diff %s failed in %s (exit %d)", rev, root,
                             WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return err;
}

static uint32_t file_by_path(const struct pith_index *ix, const char *path)
{
    uint32_t nf = pith_index_file_count(ix);
    for (uint32_t f = 1; f <= nf; f++) {
        if (strcmp(pith_index_str(ix, pith_index_file(ix, f)->path), path) == 0)
            return f;
    }
    return 0;
}

/* The innermost symbol of file `file` whose span holds `line` (the module symbol for module-level
 * lines), or 0. Symbols of a file are the run of qualnames "path" and "path:...". */
static uint32_t
symbol_at(const struct pith_index *ix, uint32_t module, uint32_t file, uint32_t line)
{
    uint32_t best = 0, best_span = UINT32_MAX;
    uint32_t n = pith_index_symbol_count(ix);
    for (uint32_t id = module; id && id <= n; id++) {
        const struct pith_disk_symbol *s = pith_index_symbol(ix, id);
        if (s->file != file)
            break;
        if (s->kind == 1 || line < s->start_line || line > s->end_line)
            continue;
        if (s->end_line - s->start_line < best_span) {
            best = id;
            best_span = s->end_line - s->start_line;
        }
    }
    return best ? best : module;
}

struct changed {
    uint32_t id;
    uint32_t first, last; /* changed lines inside it (0: the whole file was named) */
};

int q_diff_impact(struct pith_buf *out, const struct pith_index *ix, const struct query_req *req)
{
    const Pith__Manifest *m = pith_index_manifest(ix);
    const char *root = m && m->repo_root ? m->repo_root : "";
    struct pith_buf diff = PITH_BUF_INIT, hunks = PITH_BUF_INIT, unindexed = PITH_BUF_INIT;
    PITH_VEC(struct changed) ch = { 0 };
    struct qmap at;
    int err = 0;
    size_t nh = 0, files = 0, nun = 0;
    qmap_init(&at);
    if (req->rev[0]) {
        if (!*root) {
            err = pith_error_set(PITH_ENOTFOUND, "the index records no repository root");
            goto out;
        }
        err = git_diff(&diff, root, req->rev);
        if (err < 0)
            goto out;
        nh = q_diff_hunks(&hunks, diff.ptr ? diff.ptr : "", diff.len);
    } else {
        /* FILE...: every line of each file */
        for (const char *p = req->arg; *p;) {
            size_t n = strcspn(p, "\n");
            const char *rel = p;
            size_t rl = strlen(root);
            if (rl && n > rl && strncmp(p, root, rl) == 0 && p[rl] == '/') {
                rel = p + rl + 1;
                n -= rl + 1;
            }
            while (n > 2 && rel[0] == '.' && rel[1] == '/') {
                rel += 2;
                n -= 2;
            }
            pith_buf_printf(&hunks, "%.*s\t0\t0\n", (int)n, rel);
            nh++;
            p = rel + n;
            if (*p == '\n')
                p++;
        }
    }
    /* map each hunk to symbols */
    char prev_path[4096] = "";
    uint32_t file = 0, module = 0;
    for (const char *p = hunks.ptr; p && *p;) {
        const char *tab = strchr(p, '\t');
        char *end;
        unsigned long first = strtoul(tab + 1, &end, 10);
        unsigned long last = strtoul(end + 1, &end, 10);
        size_t pl = (size_t)(tab - p);
        if (pl < sizeof prev_path && (strncmp(prev_path, p, pl) != 0 || prev_path[pl])) {
            memcpy(prev_path, p, pl);
            prev_path[pl] = '\0';
            file = file_by_path(ix, prev_path);
            module = file ? pith_index_find_qualname(ix, prev_path) : 0;
            if (file)
                files++;
            else {
                pith_buf_printf(&unindexed, "%s\n", prev_path);
                nun++;
            }
        }
        p = end + (*end == '\n');
        if (!file || !module)
            continue;
        if (first == 0) {
            /* a whole file: every function, method and class in it */
            uint32_t n = pith_index_symbol_count(ix);
            for (uint32_t id = module + 1; id <= n; id++) {
                const struct pith_disk_symbol *s = pith_index_symbol(ix, id);
                uint32_t dummy;
                if (s->file != file)
                    break;
                if (!qmap_get(&at, id, &dummy)) {
                    struct changed c = { id, 0, 0 };
                    qmap_put(&at, id, (uint32_t)ch.count);
                    pith_vec_push(&ch, c);
                }
            }
            continue;
        }
        for (unsigned long line = first; line <= last && line - first < 100000; line++) {
            uint32_t id = symbol_at(ix, module, file, (uint32_t)line), slot;
            if (!id)
                continue;
            if (qmap_get(&at, id, &slot)) {
                if (line < ch.items[slot].first)
                    ch.items[slot].first = (uint32_t)line;
                if (line > ch.items[slot].last)
                    ch.items[slot].last = (uint32_t)line;
            } else {
                struct changed c = { id, (uint32_t)line, (uint32_t)line };
                qmap_put(&at, id, (uint32_t)ch.count);
                pith_vec_push(&ch, c);
            }
        }
    }
    /* affected: transitive callers of the changed symbols */
    q_idvec roots = { 0 }, affected = { 0 }, tests = { 0 };
    struct qmap seen;
    qmap_init(&seen);
    for (size_t i = 0; i < ch.count; i++) {
        pith_vec_push(&roots, ch.items[i].id);
        qmap_put(&seen, ch.items[i].id, 1);
    }
    int truncated = 0;
    for (size_t head = 0; head < roots.count + affected.count && !truncated; head++) {
        uint32_t from = head < roots.count ? roots.items[head] : affected.items[head - roots.count];
        const struct pith_disk_edge *e;
        size_t k = pith_index_callers(ix, from, &e);
        for (size_t j = 0; j < k; j++) {
            uint32_t dummy;
            if (!e[j].other || qmap_get(&seen, e[j].other, &dummy))
                continue;
            if (affected.count >= QUERY_ENTRIES_MAX) {
                truncated = 1;
                break;
            }
            qmap_put(&seen, e[j].other, 1);
            pith_vec_push(&affected, e[j].other);
        }
    }
    int tests_truncated = 0;
    q_tests_affected(&tests, &tests_truncated, ix, roots.items, roots.count, req->depth);
    truncated |= tests_truncated;
    struct pith_buf cmd = PITH_BUF_INIT;
    q_tests_commands(&cmd, ix, &tests);
    if (req->json) {
        pith_buf_puts(out, "{\"op\":\"diff-impact\",\"rev\":");
        if (req->rev[0])
            pith_buf_put_json_str(out, req->rev);
        else
            pith_buf_puts(out, "null");
        pith_buf_printf(out, ",\"hunks\":%zu,\"files\":%zu,\"unindexed\":[", nh, files);
        size_t k = 0;
        for (const char *p = unindexed.ptr; p && *p; k++) {
            const char *nl = strchr(p, '\n');
            struct pith_buf one = PITH_BUF_INIT;
            pith_buf_put(&one, p, (size_t)(nl - p));
            if (k)
                pith_buf_putc(out, ',');
            pith_buf_put_json_str(out, one.ptr ? one.ptr : "");
            pith_buf_release(&one);
            p = nl + 1;
        }
        pith_buf_puts(out, "],\"changed\":[");
        for (size_t i = 0; i < ch.count; i++) {
            if (i)
                pith_buf_putc(out, ',');
            pith_buf_puts(out, "{\"symbol\":");
            q_json_symbol(out, ix, ch.items[i].id);
            pith_buf_printf(out, ",\"first_line\":%u,\"last_line\":%u}", ch.items[i].first,
                            ch.items[i].last);
        }
        pith_buf_puts(out, "],\"affected\":[");
        for (size_t i = 0; i < affected.count; i++) {
            if (i)
                pith_buf_putc(out, ',');
            q_json_symbol(out, ix, affected.items[i]);
        }
        pith_buf_puts(out, "],\"tests\":[");
        for (size_t i = 0; i < tests.count; i++) {
            if (i)
                pith_buf_putc(out, ',');
            pith_buf_put_json_str(
                out, pith_index_str(ix, pith_index_symbol(ix, tests.items[i])->qualname));
        }
        pith_buf_puts(out, "],\"test_ids\":");
        q_tests_node_ids(out, ix, &tests, 1);
        pith_buf_puts(out, ",\"test_command\":");
        pith_buf_put_json_str(out, cmd.len ? cmd.ptr : "");
        pith_buf_printf(out, ",\"truncated\":%s}\n", truncated ? "true" : "false");
    } else {
        if (req->rev[0])
            pith_buf_printf(out, "diff-impact of git diff %s: %zu hunks in %zu indexed files\n",
                            req->rev, nh, files);
        else
            pith_buf_printf(out, "diff-impact of %zu files (%zu indexed)\n", nh, files);
        if (nun) {
            pith_buf_printf(out, " not in the index (%zu):\n", nun);
            for (const char *p = unindexed.ptr; p && *p;) {
                const char *nl = strchr(p, '\n');
                pith_buf_printf(out, "  %.*s\n", (int)(nl - p), p);
                p = nl + 1;
            }
        }
        pith_buf_printf(out, " changed (%zu symbols):\n", ch.count);
        for (size_t i = 0; i < ch.count; i++) {
            const struct pith_disk_symbol *s = pith_index_symbol(ix, ch.items[i].id);
            pith_buf_printf(out, "  %s  %s:%u-%u", pith_index_str(ix, s->qualname),
                            q_symbol_path(ix, ch.items[i].id), s->start_line, s->end_line);
            if (ch.items[i].first)
                pith_buf_printf(out, "  changed lines %u-%u", ch.items[i].first, ch.items[i].last);
            pith_buf_putc(out, '\n');
        }
        pith_buf_printf(out, " affected callers (%zu symbols%s):\n", affected.count,
                        truncated ? ", truncated" : "");
        for (size_t i = 0; i < affected.count; i++) {
            const struct pith_disk_symbol *s = pith_index_symbol(ix, affected.items[i]);
            pith_buf_printf(out, "  %s  %s:%u\n", pith_index_str(ix, s->qualname),
                            q_symbol_path(ix, affected.items[i]), s->start_line);
        }
        pith_buf_printf(out, " affected tests (%zu):\n", tests.count);
        q_tests_node_ids(out, ix, &tests, 0);
        if (cmd.len) {
            pith_buf_puts(out, " run them:\n");
            for (const char *p = cmd.ptr, *nl; *p; p = nl + 1) {
                nl = strchr(p, '\n');
                pith_buf_printf(out, "  %.*s\n", (int)(nl - p), p);
            }
        }
    }
    pith_buf_release(&cmd);
    pith_vec_release(&roots);
    pith_vec_release(&affected);
    pith_vec_release(&tests);
    qmap_release(&seen);
out:
    pith_vec_release(&ch);
    qmap_release(&at);
    pith_buf_release(&diff);
    pith_buf_release(&hunks);
    pith_buf_release(&unindexed);
    return err;
}
