/* `pith index` (serve stage): spawns the stage executables in order and summarises the index
 * they built by reading it back through the artifact reader. */
#include "serve/driver.h"

#include "common/artifact.h"
#include "common/err.h"
#include "common/file.h"
#include "common/mem.h"
#include "schemas/manifest.pb-c.h"
#include "serve/query.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *const stage_names[DRIVER_STAGES] = { "extract", "analyze", "embed", "pack" };

#define SKIP_LIST_MAX 10

void driver_bindir(struct pith_buf *out, const char *argv0)
{
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    pith_buf_clear(out);
    if (n > 0) {
        path[n] = '\0';
    } else if (argv0 && strchr(argv0, '/')) {
        snprintf(path, sizeof path, "%s", argv0);
    } else {
        pith_buf_puts(out, ".");
        return;
    }
    char *slash = strrchr(path, '/');
    if (slash == path)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    pith_buf_puts(out, path);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* SIGINT/SIGTERM/SIGHUP while a stage runs: passed on to the stage, remembered, and re-raised
 * once the work folder is removed. */
static volatile sig_atomic_t caught_signal;
static volatile pid_t running_child;

static void on_signal(int sig)
{
    caught_signal = sig;
    if (running_child > 0)
        kill(running_child, sig);
}

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP };

static void signals_catch(struct sigaction *saved)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++)
        sigaction(forwarded[i], &sa, &saved[i]);
}

static void signals_restore(const struct sigaction *saved)
{
    for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++)
        sigaction(forwarded[i], &saved[i], NULL);
}

/* Runs argv[0] (a path) with stdout sent to stderr and waits. Returns its exit status (0..255),
 * or PITH_EIO when it cannot start or dies of a signal. */
static int spawn_wait(char *const *argv)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int status;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return pith_error_set(PITH_EIO, "cannot run %s: %s", argv[0], strerror(rc));
    running_child = pid;
    if (caught_signal)
        kill(pid, caught_signal);
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            running_child = 0;
            return pith_error_set(PITH_EIO, "waiting for %s: %s", argv[0], strerror(errno));
        }
    }
    running_child = 0;
    if (caught_signal)
        return pith_error_set(PITH_EIO, "interrupted by signal %d", (int)caught_signal);
    if (WIFSIGNALED(status))
        return pith_error_set(PITH_EIO, "%s died of signal %d", argv[0], WTERMSIG(status));
    return WEXITSTATUS(status);
}

static int executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* 1 when the pith-embed arguments name an embedder (--embed SPEC). */
static int embed_named(const struct driver_options *opt)
{
    for (int k = 0; k + 1 < opt->embed_argc; k++) {
        if (strcmp(opt->embed_args[k], "--embed") == 0)
            return 1;
    }
    return 0;
}

/* An embedder other than "none" is named (or `builtin` is the default) and no --cache given:
 * the index gets INDEX.cache. */
static int embed_cache_wanted(const struct driver_options *opt, int default_builtin)
{
    int vectors = default_builtin;
    for (int k = 0; k + 1 < opt->embed_argc; k++) {
        if (strcmp(opt->embed_args[k], "--cache") == 0)
            return 0;
        if (strcmp(opt->embed_args[k], "--embed") == 0)
            vectors = strcmp(opt->embed_args[k + 1], "none") != 0;
    }
    return vectors;
}

int driver_index(struct driver_report *out, const struct driver_options *opt)
{
    struct pith_buf cache = PITH_BUF_INIT;
    struct pith_buf exe[DRIVER_STAGES], work = PITH_BUF_INIT, facts = PITH_BUF_INIT,
                                        graph = PITH_BUF_INIT, vectors = PITH_BUF_INIT;
    char jobs[32];
    int err = 0, have_embed, default_builtin = 0;
    double t0 = now_seconds();
    struct sigaction saved[sizeof forwarded / sizeof *forwarded];
    memset(out, 0, sizeof *out);
    caught_signal = 0;
    signals_catch(saved);
    for (int s = 0; s < DRIVER_STAGES; s++) {
        out->seconds[s] = -1.0;
        pith_buf_init(&exe[s]);
        pith_buf_printf(&exe[s], "%s/pith-%s", opt->bindir, stage_names[s]);
    }
    for (int s = 0; s < DRIVER_STAGES; s++) {
        if (s != DRIVER_EMBED && !executable(exe[s].ptr)) {
            err = pith_error_set(PITH_ENOTFOUND, "stage executable %s not found", exe[s].ptr);
            goto out;
        }
    }
    have_embed = executable(exe[DRIVER_EMBED].ptr);
    if (!have_embed)
        fprintf(stderr, "pith: %s not found; indexing without summaries\n", exe[DRIVER_EMBED].ptr);
    if (have_embed && !embed_named(opt)) {
        /* the default embedder: the built-in model when its file is next to the binaries */
        struct pith_buf model = PITH_BUF_INIT;
        struct stat st;
        pith_buf_printf(&model, "%s/data/use_lite.bin", opt->bindir);
        default_builtin = stat(model.ptr, &st) == 0 && S_ISREG(st.st_mode);
        if (!default_builtin)
            fprintf(stderr,
                    "pith: built-in model %s not found; indexing without vectors "
                    "(--embed none)\n",
                    model.ptr);
        pith_buf_release(&model);
    }

    pith_buf_printf(&work, "%s.work.%ld", opt->index, (long)getpid());
    pith_rm_rf(work.ptr);
    err = pith_mkdir_p(work.ptr);
    if (err < 0)
        goto out;
    pith_buf_printf(&facts, "%s/facts.pstg", work.ptr);
    pith_buf_printf(&graph, "%s/graph.pstg", work.ptr);
    pith_buf_printf(&vectors, "%s/vectors.pstg", work.ptr);
    snprintf(jobs, sizeof jobs, "%u", opt->jobs);

    for (int s = 0; s < DRIVER_STAGES; s++) {
        const char *argv[16 + DRIVER_EMBED_ARGS_MAX + DRIVER_PACK_ARGS_MAX];
        int n = 0;
        argv[n++] = exe[s].ptr;
        switch (s) {
        case DRIVER_EXTRACT:
            argv[n++] = opt->repo;
            argv[n++] = "-o";
            argv[n++] = facts.ptr;
            if (opt->jobs) {
                argv[n++] = "--jobs";
                argv[n++] = jobs;
            }
            if (opt->progress)
                argv[n++] = "--progress";
            if (opt->compdb) {
                argv[n++] = "--compdb";
                argv[n++] = opt->compdb;
            }
            break;
        case DRIVER_ANALYZE:
            argv[n++] = facts.ptr;
            argv[n++] = "-o";
            argv[n++] = graph.ptr;
            argv[n++] = "--repo-root";
            argv[n++] = opt->repo;
            break;
        case DRIVER_EMBED:
            if (!have_embed)
                continue;
            argv[n++] = graph.ptr;
            argv[n++] = "-o";
            argv[n++] = vectors.ptr;
            for (int k = 0; k < opt->embed_argc && k < DRIVER_EMBED_ARGS_MAX; k++)
                argv[n++] = opt->embed_args[k];
            if (default_builtin) {
                argv[n++] = "--embed";
                argv[n++] = "builtin";
            }
            if (embed_cache_wanted(opt, default_builtin)) {
                pith_buf_clear(&cache);
                pith_buf_printf(&cache, "%s.cache", opt->index);
                argv[n++] = "--cache";
                argv[n++] = cache.ptr;
            }
            break;
        case DRIVER_PACK:
            argv[n++] = graph.ptr;
            if (have_embed)
                argv[n++] = vectors.ptr;
            argv[n++] = "-o";
            argv[n++] = opt->index;
            for (int k = 0; k < opt->pack_argc && k < DRIVER_PACK_ARGS_MAX; k++)
                argv[n++] = opt->pack_args[k];
            break;
        }
        argv[n] = NULL;
        if (opt->progress)
            fprintf(stderr, "pith: [%d/%d] %s\n", s + 1, DRIVER_STAGES, stage_names[s]);
        double t = now_seconds();
        int rc = spawn_wait((char *const *)argv);
        out->seconds[s] = now_seconds() - t;
        if (rc < 0) {
            err = rc;
            goto out;
        }
        if (rc == PITH_EXIT_PARTIAL) {
            out->partial = 1;
        } else if (rc != 0) {
            err = pith_error_set(PITH_EPARSE, "pith-%s failed (exit %d)", stage_names[s], rc);
            goto out;
        }
    }
out:
    if (work.ptr)
        pith_rm_rf(work.ptr);
    out->total = now_seconds() - t0;
    for (int s = 0; s < DRIVER_STAGES; s++)
        pith_buf_release(&exe[s]);
    pith_buf_release(&work);
    pith_buf_release(&facts);
    pith_buf_release(&graph);
    pith_buf_release(&vectors);
    pith_buf_release(&cache);
    signals_restore(saved);
    if (caught_signal)
        raise(caught_signal); /* the work folder is gone: die as asked */
    return err;
}

/* ---- summary ----------------------------------------------------------------------------- */

static const char *status_name(uint32_t status)
{
    static const char *const names[] = { "ok",          "binary",           "too big",
                                         "parse error", "invalid encoding", "I/O error" };
    return status < sizeof names / sizeof *names ? names[status] : "other";
}

#define STATUS_SLOTS 7

struct file_view {
    const char *path;
    uint32_t status;
    const char *reason;
};

static size_t file_views(struct file_view **out, const struct pith_index *ix)
{
    const Pith__Manifest *m = pith_index_manifest(ix);
    size_t n;
    if (m && m->n_files) {
        n = m->n_files;
        *out = pith_xcalloc(n, sizeof **out);
        for (size_t i = 0; i < n; i++) {
            (*out)[i].path = m->files[i]->path ? m->files[i]->path : "";
            (*out)[i].status = m->files[i]->status;
            (*out)[i].reason = m->files[i]->skip_reason ? m->files[i]->skip_reason : "";
        }
        return n;
    }
    n = pith_index_file_count(ix);
    *out = pith_xcalloc(n ? n : 1, sizeof **out);
    for (size_t i = 0; i < n; i++) {
        const struct pith_disk_file *f = pith_index_file(ix, (uint32_t)i + 1);
        (*out)[i].path = pith_index_str(ix, f->path);
        (*out)[i].status = f->status;
        (*out)[i].reason = pith_index_str(ix, f->skip_reason);
    }
    return n;
}

void driver_summary(struct pith_buf *out,
                    const struct pith_index *ix,
                    const struct driver_report *rep)
{
    struct file_view *files;
    size_t nfiles = file_views(&files, ix);
    size_t by_status[STATUS_SLOTS] = { 0 };
    size_t skipped = 0;
    for (size_t i = 0; i < nfiles; i++) {
        uint32_t st = files[i].status < STATUS_SLOTS ? files[i].status : STATUS_SLOTS - 1;
        by_status[st]++;
        skipped += st != 0;
    }
    pith_buf_printf(out, "files:     %zu indexed, %zu skipped\n", by_status[0], skipped);
    for (uint32_t st = 1; st < STATUS_SLOTS; st++) {
        if (!by_status[st])
            continue;
        pith_buf_printf(out, "  skipped (%s): %zu\n", status_name(st), by_status[st]);
        size_t shown = 0;
        for (size_t i = 0; i < nfiles && shown < SKIP_LIST_MAX; i++) {
            uint32_t fst = files[i].status < STATUS_SLOTS ? files[i].status : STATUS_SLOTS - 1;
            if (fst != st)
                continue;
            shown++;
            pith_buf_printf(out, "    %s", files[i].path);
            if (*files[i].reason)
                pith_buf_printf(out, "  (%s)", files[i].reason);
            pith_buf_putc(out, '\n');
        }
        if (by_status[st] > shown)
            pith_buf_printf(out, "    ... and %zu more\n", by_status[st] - shown);
    }
    free(files);

    size_t kinds[8] = { 0 }, edges[12] = { 0 }, sites = 0;
    uint32_t nsym = pith_index_symbol_count(ix);
    for (uint32_t id = 1; id <= nsym; id++) {
        const struct pith_disk_symbol *s = pith_index_symbol(ix, id);
        kinds[s->kind < 7 ? s->kind : 7]++;
        const struct pith_disk_edge *e;
        size_t n = pith_index_callees(ix, id, &e);
        for (size_t i = 0; i < n; i++)
            edges[e[i].kind < 11 ? e[i].kind : 11]++;
        sites += n;
    }
    pith_buf_printf(out,
                    "symbols:   %u (%zu functions, %zu methods, %zu classes, %zu nested, "
                    "%zu lambdas, %zu modules)\n",
                    nsym, kinds[3], kinds[4], kinds[2], kinds[5], kinds[6], kinds[1]);
    pith_buf_printf(out, "calls:     %zu call sites", sites);
    int first = 1;
    for (uint32_t k = 0; k < 12; k++) {
        if (!edges[k])
            continue;
        pith_buf_printf(out, "%s%s %zu", first ? ": " : ", ",
                        k < 11 ? query_edge_kind_name(k) : "other", edges[k]);
        first = 0;
    }
    pith_buf_putc(out, '\n');
    if (rep) {
        pith_buf_printf(out, "time:      %.2f s total", rep->total);
        for (int s = 0; s < DRIVER_STAGES; s++) {
            if (rep->seconds[s] >= 0)
                pith_buf_printf(out, ", %s %.2f s", stage_names[s], rep->seconds[s]);
        }
        pith_buf_putc(out, '\n');
    }
}
