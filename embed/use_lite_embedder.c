/* The built-in embedder as a pith_embedder (embedder.h): the USE-lite model of
 * common/use_lite.c batched over threads. */
#include "embed/use_lite.h"

#include "common/cpu.h"
#include "common/err.h"
#include "common/mem.h"

#include <cblas.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

/* ---- the embedder ------------------------------------------------------------------------ */

#define CHUNK 16 /* texts a thread takes at a time */

struct use_lite_embedder {
    struct pith_embedder base;
    struct use_lite *m;
    unsigned threads;
    struct use_lite_work **works; /* one per thread, kept across batches */
};

struct job {
    struct use_lite_embedder *e;
    const char *const *texts;
    size_t count;
    float *out;
    atomic_size_t next;
    unsigned index;
};

struct job_thread {
    struct job *job;
    unsigned index;
};

static void *job_run(void *arg)
{
    struct job_thread *t = arg;
    struct job *j = t->job;
    for (;;) {
        size_t i = atomic_fetch_add(&j->next, CHUNK);
        if (i >= j->count)
            break;
        size_t n = j->count - i < CHUNK ? j->count - i : CHUNK;
        use_lite_embed_work(j->e->m, j->e->works[t->index], j->texts + i, n,
                            j->out + i * USE_LITE_DIM, 1);
    }
    return NULL;
}

static int
embedder_batch(struct pith_embedder *self, const char *const *texts, size_t count, float *out)
{
    struct use_lite_embedder *e = (struct use_lite_embedder *)self;
    if (e->threads <= 1) {
        for (size_t i = 0; i < count; i += 64) {
            size_t n = count - i < 64 ? count - i : 64;
            use_lite_embed_work(e->m, e->works[0], texts + i, n, out + i * USE_LITE_DIM, 1);
        }
        return 0;
    }
    struct job j = { e, texts, count, out, 0, 0 };
    struct job_thread *ts = pith_xcalloc(e->threads, sizeof *ts);
    pthread_t *tid = pith_xcalloc(e->threads, sizeof *tid);
    unsigned started = 1;
    for (unsigned i = 0; i < e->threads; i++) {
        ts[i].job = &j;
        ts[i].index = i;
    }
    for (; started < e->threads; started++) {
        if (pthread_create(&tid[started], NULL, job_run, &ts[started]) != 0)
            break;
    }
    job_run(&ts[0]);
    for (unsigned i = 1; i < started; i++)
        pthread_join(tid[i], NULL);
    free(ts);
    free(tid);
    return 0;
}

static void embedder_free(struct pith_embedder *self)
{
    struct use_lite_embedder *e = (struct use_lite_embedder *)self;
    for (unsigned i = 0; i < e->threads; i++)
        use_lite_work_free(e->works[i]);
    free(e->works);
    use_lite_free(e->m);
    free(e);
}

int use_lite_embedder_new(struct pith_embedder **out, const char *path, unsigned threads)
{
    *out = NULL;
    struct use_lite *m;
    int err = use_lite_open(&m, path);
    if (err)
        return err;
    if (threads == 0)
        threads = (unsigned)pith_cpu_count();
    if (threads == 0)
        threads = 1;
    if (threads > 64)
        threads = 64;
    /* threads > 1: ours, each with its own buffers, over single-threaded GEMMs; else OpenBLAS
     * threads inside each GEMM */
    openblas_set_num_threads(threads > 1 ? 1 : pith_cpu_count());
    struct use_lite_embedder *e = pith_xcalloc(1, sizeof *e);
    e->m = m;
    e->threads = threads;
    e->works = pith_xcalloc(threads, sizeof *e->works);
    for (unsigned i = 0; i < threads; i++)
        e->works[i] = use_lite_work_new();
    e->base.id = use_lite_id(m);
    e->base.dim = USE_LITE_DIM;
    e->base.embed_batch = embedder_batch;
    e->base.free = embedder_free;
    e->base.state = e;
    *out = &e->base;
    return 0;
}
