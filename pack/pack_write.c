/* pith-pack, output: reads the stage files, writes the index directory through a temporary
 * directory and rename() (git lockfile style), and finds the source commit without spawning git. */
#include "pack.h"
#include "pack_int.h"

#include "common/artifact.h"
#include "common/bump.h"
#include "common/err.h"
#include "common/file.h"
#include "common/mem.h"
#include "common/stagefile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#define MAX_GIT_FILE (64u << 20)

static char *path_join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = pith_xmalloc(n);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

/* 1 when `dir` is absent, empty or holds a MANIFEST: safe to replace. */
static int replaceable(const char *dir, int *exists)
{
    struct stat st;
    *exists = 0;
    if (lstat(dir, &st) != 0)
        return errno == ENOENT;
    *exists = 1;
    if (!S_ISDIR(st.st_mode))
        return 0;
    char *m = path_join(dir, PITH_MANIFEST_NAME);
    int ok = access(m, F_OK) == 0;
    free(m);
    if (ok)
        return 1;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *de;
    ok = 1;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            ok = 0;
    }
    closedir(d);
    return ok;
}

/* Writes `iov` to a new file `path` (the caller's private temporary directory). */
static int write_iov(const char *path, const struct iovec *iov, int iov_count)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return pith_error_set(PITH_EIO, "cannot create %s: %s", path, strerror(errno));
    struct iovec v[2 * PACK_SECTION_COUNT + 2];
    int n = iov_count < (int)(sizeof v / sizeof *v) ? iov_count : (int)(sizeof v / sizeof *v);
    if (n != iov_count)
        PITH_BUG("too many iovecs");
    memcpy(v, iov, (size_t)n * sizeof *v);
    struct iovec *at = v;
    while (n > 0) {
        ssize_t w = writev(fd, at, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            return pith_error_set(PITH_EIO, "cannot write %s: %s", path, strerror(e));
        }
        size_t done = (size_t)w;
        while (n > 0 && done >= at->iov_len) { /* drop what was written, resume a partial one */
            done -= at->iov_len;
            at++;
            n--;
        }
        if (n > 0) {
            at->iov_base = (char *)at->iov_base + done;
            at->iov_len -= done;
        }
    }
    if (close(fd) != 0)
        return pith_error_set(PITH_EIO, "cannot write %s: %s", path, strerror(errno));
    return 0;
}

int pack_write_index(const char *dir, const struct pith_buf *shard, const struct pith_buf *manifest)
{
    struct iovec iov = { shard->ptr ? shard->ptr : (void *)"", shard->len };
    return pack_write_index_iov(dir, &iov, 1, manifest);
}

int pack_write_index_iov(const char *dir,
                         const struct iovec *iov,
                         int iov_count,
                         const struct pith_buf *manifest)
{
    int exists;
    if (!replaceable(dir, &exists))
        return pith_error_set(PITH_EUSAGE, "%s exists and is not a pith index; not replacing it",
                              dir);
    size_t n = strlen(dir) + 32;
    char *tmp = pith_xmalloc(n), *old = pith_xmalloc(n);
    snprintf(tmp, n, "%s.tmp.%ld", dir, (long)getpid());
    snprintf(old, n, "%s.old.%ld", dir, (long)getpid());
    char *shard_path = path_join(tmp, PITH_SHARD_NAME);
    char *man_path = path_join(tmp, PITH_MANIFEST_NAME);
    int err = pith_rm_rf(tmp);
    if (err)
        goto out;
    err = pith_mkdir_p(tmp);
    if (err)
        goto out;
    err = write_iov(shard_path, iov, iov_count); /* inside the private tmp: no rename needed */
    if (err)
        goto fail;
    err = pith_file_write_atomic(man_path, manifest->ptr, manifest->len);
    if (err)
        goto fail;
    if (exists) {
        pith_rm_rf(old);
        if (rename(dir, old) != 0) {
            err = pith_error_set(PITH_EIO, "cannot move %s aside: %s", dir, strerror(errno));
            goto fail;
        }
    }
    if (rename(tmp, dir) != 0) {
        err = pith_error_set(PITH_EIO, "cannot rename %s to %s: %s", tmp, dir, strerror(errno));
        if (exists)
            rename(old, dir);
        goto fail;
    }
    if (exists)
        pith_rm_rf(old);
    goto out;
fail:
    pith_rm_rf(tmp);
out:
    free(tmp);
    free(old);
    free(shard_path);
    free(man_path);
    return err;
}

/* ---- source commit ---------------------------------------------------------------------- */

static int is_hex_id(const char *s, size_t n)
{
    if (n != 40 && n != 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return 0;
    }
    return 1;
}

static size_t trim_len(const char *s, size_t n)
{
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        n--;
    return n;
}

/* Looks `ref` up as a loose ref file, then in packed-refs, under `gitdir`. */
static int resolve_ref(struct pith_buf *out, const char *gitdir, const char *ref)
{
    struct pith_buf b = PITH_BUF_INIT;
    char *p = path_join(gitdir, ref);
    int found = 0;
    if (pith_file_read(&b, p, MAX_GIT_FILE) == 0) {
        size_t n = trim_len(b.ptr, b.len);
        if (is_hex_id(b.ptr, n)) {
            pith_buf_put(out, b.ptr, n);
            found = 1;
        }
    }
    free(p);
    p = path_join(gitdir, "packed-refs");
    if (!found && pith_file_read(&b, p, MAX_GIT_FILE) == 0) {
        size_t rl = strlen(ref);
        for (char *line = b.ptr; line && *line && !found;) {
            char *nl = strchr(line, '\n');
            size_t len = nl ? (size_t)(nl - line) : strlen(line);
            len = trim_len(line, len);
            if (len > rl + 1 && line[len - rl - 1] == ' ' &&
                memcmp(line + len - rl, ref, rl) == 0 && is_hex_id(line, len - rl - 1)) {
                pith_buf_put(out, line, len - rl - 1);
                found = 1;
            }
            line = nl ? nl + 1 : NULL;
        }
    }
    free(p);
    pith_buf_release(&b);
    return found;
}

void pack_git_head(struct pith_buf *out, const char *repo_root)
{
    pith_buf_clear(out);
    if (!repo_root || !repo_root[0])
        return;
    struct pith_buf b = PITH_BUF_INIT;
    char *gitdir = path_join(repo_root, ".git");
    struct stat st;
    if (stat(gitdir, &st) == 0 && S_ISREG(st.st_mode)) {
        /* a worktree or submodule: ".git" holds "gitdir: PATH" */
        if (pith_file_read(&b, gitdir, MAX_GIT_FILE) == 0 && strncmp(b.ptr, "gitdir: ", 8) == 0) {
            size_t n = trim_len(b.ptr, b.len);
            b.ptr[n] = '\0';
            char *target =
                b.ptr[8] == '/' ? pith_xstrdup(b.ptr + 8) : path_join(repo_root, b.ptr + 8);
            free(gitdir);
            gitdir = target;
        }
    }
    char *head = path_join(gitdir, "HEAD");
    if (pith_file_read(&b, head, MAX_GIT_FILE) == 0) {
        size_t n = trim_len(b.ptr, b.len);
        b.ptr[n] = '\0';
        if (strncmp(b.ptr, "ref: ", 5) == 0) {
            if (!resolve_ref(out, gitdir, b.ptr + 5)) {
                /* a linked worktree keeps shared refs in its "commondir" */
                struct pith_buf cd = PITH_BUF_INIT;
                char *cdp = path_join(gitdir, "commondir");
                if (pith_file_read(&cd, cdp, MAX_GIT_FILE) == 0) {
                    cd.ptr[trim_len(cd.ptr, cd.len)] = '\0';
                    char *common =
                        cd.ptr[0] == '/' ? pith_xstrdup(cd.ptr) : path_join(gitdir, cd.ptr);
                    resolve_ref(out, common, b.ptr + 5);
                    free(common);
                }
                free(cdp);
                pith_buf_release(&cd);
            }
        } else if (is_hex_id(b.ptr, n)) {
            pith_buf_put(out, b.ptr, n);
        }
    }
    free(head);
    free(gitdir);
    pith_buf_release(&b);
    if (!out->ptr)
        pith_buf_puts(out, "");
}

/* ---- the stage ---------------------------------------------------------------------------- */

/* Decodes the single record of stage file `path` of `kind` with `unpack`. The record is
 * decompressed into `bump`'s first block, which then holds the decoded message too; *out is
 * NULL on error. */
static int read_single_record(void **out,
                              const char *path,
                              uint32_t kind,
                              void *(*unpack)(ProtobufCAllocator *, size_t, const uint8_t *),
                              struct pith_bump *bump)
{
    *out = NULL;
    struct pith_stage_reader r;
    int err = pith_stage_reader_open(&r, path, kind);
    if (err)
        return err;
    const uint8_t *frame;
    size_t frame_len, len;
    err = pith_stage_reader_next_frame(&r, &frame, &frame_len, &len);
    if (err == 0)
        err = pith_error_set(PITH_ECORRUPT, "%s holds no record", path);
    if (err < 0)
        goto out;
    bump->next_size = len * 3 + ((size_t)2 << 20); /* a decoded message is about 1.5x its record */
    uint8_t *rec = pith_bump_alloc(bump, len + 1);
    size_t got = ZSTD_decompress(rec, len + 1, frame, frame_len);
    if (ZSTD_isError(got) || got != len) {
        err = pith_error_set(PITH_ECORRUPT, "%s: the record does not decompress", path);
        goto out;
    }
    ProtobufCAllocator alloc = { pith_bump_alloc, pith_bump_free, bump };
    *out = unpack(&alloc, len, rec);
    if (!*out) {
        err = pith_error_set(PITH_ECORRUPT, "%s: the record does not decode", path);
        goto out;
    }
    err = pith_stage_reader_next_frame(&r, &frame, &frame_len, &len);
    if (err > 0)
        err = pith_error_set(PITH_ECORRUPT, "%s holds more than one record", path);
    if (err < 0)
        *out = NULL;
out:
    pith_stage_reader_release(&r);
    return err < 0 ? err : 0;
}

static void *unpack_graph(ProtobufCAllocator *a, size_t len, const uint8_t *data)
{
    return pith__graph__unpack(a, len, data);
}

static void *unpack_vectors(ProtobufCAllocator *a, size_t len, const uint8_t *data)
{
    return pith__vector_set__unpack(a, len, data);
}

/* The vectors stage file, read on a second thread while the graph is read. */
struct vectors_read {
    const char *path;
    struct pith_bump bump;
    void *vs;
    int err;
    char msg[512];
};

static void *read_vectors(void *arg)
{
    struct vectors_read *v = arg;
    v->err = read_single_record(&v->vs, v->path, PITH_STAGE_VECTORS, unpack_vectors, &v->bump);
    if (v->err)
        snprintf(v->msg, sizeof v->msg, "%s", pith_error_last());
    return NULL;
}

int pack_run(const struct pack_options *opt)
{
    return pack_run_vo(opt, NULL);
}

int pack_run_vo(const struct pack_options *opt, const struct pack_vector_options *vo)
{
    struct pith_buf manifest = PITH_BUF_INIT, commit = PITH_BUF_INIT;
    struct pack_shard shard;
    memset(&shard, 0, sizeof shard);
    struct pith_bump gbump;
    struct vectors_read vr;
    pthread_t vthread;
    int vthread_started = 0;
    void *g = NULL;
    pith_bump_init(&gbump, 0);
    memset(&vr, 0, sizeof vr);
    pith_bump_init(&vr.bump, 0);
    vr.path = opt->vectors_path;
    if (opt->vectors_path && opt->jobs != 1)
        vthread_started = pthread_create(&vthread, NULL, read_vectors, &vr) == 0;
    int err = read_single_record(&g, opt->graph_path, PITH_STAGE_GRAPH, unpack_graph, &gbump);
    if (opt->vectors_path) {
        if (vthread_started)
            pthread_join(vthread, NULL);
        else
            read_vectors(&vr);
        vthread_started = 0;
        if (!err && vr.err)
            err = pith_error_set(vr.err, "%s", vr.msg);
    }
    if (err)
        goto out;
    const Pith__Graph *graph = g;
    pack_git_head(&commit, graph->repo_root);
    struct pack_input in = { graph, vr.vs, commit.ptr };
    err = pack_shard_build(&shard, &manifest, &in, opt->jobs, vo);
    if (err)
        goto out;
    struct iovec iov[2 * PACK_SECTION_COUNT + 2];
    int iov_count = pack_shard_iov(&shard, iov);
    err = pack_write_index_iov(opt->out_dir, iov, iov_count, &manifest);
out:
    pith_bump_release(&gbump);
    pith_bump_release(&vr.bump);
    pack_shard_release(&shard);
    pith_buf_release(&manifest);
    pith_buf_release(&commit);
    return err;
}
