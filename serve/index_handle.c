/* A hot-swappable, reference-counted handle on an INDEX directory (serve stage). The handle
 * owns one reference on the current snapshot; each request holds another while it runs:
 *
 *   cur ──► snapshot gen 2 (refs: handle + requests)      after a swap
 *           snapshot gen 1 (refs: requests still running)  unmapped by the last release
 *
 * A swap happens when the stat signature of INDEX/MANIFEST or the shard changes and the new
 * artifact opens (pith_index_open validates it whole); a changed INDEX that fails is refused
 * once per signature, and the old snapshot keeps serving. */
#include "serve/index_handle.h"

#include "common/artifact.h"
#include "common/err.h"
#include "common/mem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct file_sig {
    dev_t dev[2];
    ino_t ino[2];
    off_t size[2];
    int64_t mtime_ns[2];
};

struct index_snapshot {
    struct pith_index *ix;
    uint64_t gen;
    unsigned refs; /* under index_handle.mu */
    struct file_sig sig;
};

struct index_handle {
    char *dir;
    char *paths[2]; /* MANIFEST, shard */
    FILE *log;
    pthread_mutex_t mu; /* guards cur and every snapshot's refs */
    struct index_snapshot *cur;
    uint64_t gen;
    _Atomic int64_t last_check_ms;
    _Atomic int checking;        /* one thread checks and opens at a time */
    struct file_sig refused_sig; /* owned by the checking thread */
    int has_refused;
    _Atomic uint64_t refused_count;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 0, or -1 when either file is missing (INDEX between pith-pack's two renames). */
static int sig_read(struct file_sig *out, struct index_handle *h)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < 2; i++) {
        struct stat st;
        if (stat(h->paths[i], &st) != 0)
            return -1;
        out->dev[i] = st.st_dev;
        out->ino[i] = st.st_ino;
        out->size[i] = st.st_size;
        out->mtime_ns[i] = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    }
    return 0;
}

static int sig_eq(const struct file_sig *a, const struct file_sig *b)
{
    for (int i = 0; i < 2; i++) {
        if (a->dev[i] != b->dev[i] || a->ino[i] != b->ino[i] || a->size[i] != b->size[i] ||
            a->mtime_ns[i] != b->mtime_ns[i])
            return 0;
    }
    return 1;
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = pith_xmalloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static void snapshot_free(struct index_snapshot *s)
{
    if (!s)
        return;
    pith_index_free(s->ix);
    free(s);
}

int index_handle_new(struct index_handle **out, const char *dir, FILE *log)
{
    *out = NULL;
    struct index_handle *h = pith_xcalloc(1, sizeof *h);
    h->dir = pith_xstrdup(dir);
    h->paths[0] = join(dir, PITH_MANIFEST_NAME);
    h->paths[1] = join(dir, PITH_SHARD_NAME);
    h->log = log;
    pthread_mutex_init(&h->mu, NULL);
    struct index_snapshot *s = pith_xcalloc(1, sizeof *s);
    (void)sig_read(&s->sig, h);
    int err = pith_index_open(&s->ix, dir);
    if (err) {
        free(s);
        index_handle_free(h);
        return err;
    }
    s->gen = h->gen = 1;
    s->refs = 1;
    h->cur = s;
    atomic_store(&h->last_check_ms, now_ms());
    *out = h;
    return 0;
}

void index_handle_free(struct index_handle *h)
{
    if (!h)
        return;
    if (h->cur) {
        if (h->cur->refs != 1)
            PITH_BUG("index_handle_free with snapshots still held");
        snapshot_free(h->cur);
    }
    pthread_mutex_destroy(&h->mu);
    free(h->paths[0]);
    free(h->paths[1]);
    free(h->dir);
    free(h);
}

int index_handle_check(struct index_handle *h)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&h->checking, &expected, 1))
        return 0;
    int ret = 0;
    struct file_sig before, after;
    if (sig_read(&before, h) != 0)
        goto out;
    pthread_mutex_lock(&h->mu);
    int same = sig_eq(&before, &h->cur->sig);
    pthread_mutex_unlock(&h->mu);
    if (same || (h->has_refused && sig_eq(&before, &h->refused_sig)))
        goto out;
    struct pith_index *ix;
    int err = pith_index_open(&ix, h->dir);
    if (err) {
        /* refuse only an artifact that stayed in place while it was read; one renamed in the
         * middle of the open is looked at again on the next check */
        if (sig_read(&after, h) == 0 && sig_eq(&before, &after)) {
            h->refused_sig = before;
            h->has_refused = 1;
            atomic_fetch_add(&h->refused_count, 1);
            if (h->log) {
                fprintf(h->log,
                        "pith-serve: refused the new index at %s (%s); still serving "
                        "generation %llu\n",
                        h->dir, pith_error_last(), (unsigned long long)h->gen);
                fflush(h->log);
            }
            ret = err;
        }
        goto out;
    }
    struct index_snapshot *s = pith_xcalloc(1, sizeof *s), *old;
    s->ix = ix;
    s->sig = before;
    s->refs = 1;
    pthread_mutex_lock(&h->mu);
    s->gen = ++h->gen;
    old = h->cur;
    h->cur = s;
    if (--old->refs != 0)
        old = NULL; /* the last request on it unmaps it */
    pthread_mutex_unlock(&h->mu);
    snapshot_free(old);
    if (h->log) {
        fprintf(h->log, "pith-serve: serving the new index at %s (generation %llu, %u symbols)\n",
                h->dir, (unsigned long long)s->gen, pith_index_symbol_count(ix));
        fflush(h->log);
    }
    ret = 1;
out:
    atomic_store(&h->checking, 0);
    return ret;
}

struct index_snapshot *index_handle_acquire(struct index_handle *h)
{
    int64_t now = now_ms(), last = atomic_load(&h->last_check_ms);
    if (now - last >= INDEX_HANDLE_CHECK_MS &&
        atomic_compare_exchange_strong(&h->last_check_ms, &last, now))
        (void)index_handle_check(h);
    pthread_mutex_lock(&h->mu);
    struct index_snapshot *s = h->cur;
    s->refs++;
    pthread_mutex_unlock(&h->mu);
    return s;
}

void index_handle_release(struct index_handle *h, struct index_snapshot *s)
{
    pthread_mutex_lock(&h->mu);
    int last = --s->refs == 0;
    pthread_mutex_unlock(&h->mu);
    if (last)
        snapshot_free(s);
}

const struct pith_index *index_snapshot_index(const struct index_snapshot *s)
{
    return s->ix;
}

uint64_t index_snapshot_generation(const struct index_snapshot *s)
{
    return s->gen;
}

const char *index_handle_path(const struct index_handle *h)
{
    return h->dir;
}

uint64_t index_handle_refused_count(struct index_handle *h)
{
    return atomic_load(&h->refused_count);
}
