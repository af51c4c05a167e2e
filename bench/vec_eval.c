/* bench tool (bench/cosqa_eval.py vec): vector-channel experiments without re-indexing. Embeds
 * the documents and queries given as text files with the built-in model and prints MRR@10 and
 * R@1/5/10 of exact dot-product ranking over every document.
 *   vec-eval MODEL DOCS QUERIES
 * DOCS: one text per line ("\n" and "\\" escaped); QUERIES: "GOLD_LINE<TAB>query" per line,
 * GOLD_LINE the 0-based line of DOCS that answers it. */
#include "common/use_lite.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct job {
    const struct use_lite *m;
    char **texts;
    size_t first, end;
    float *out;
};

static void *embed_range(void *arg)
{
    struct job *j = arg;
    struct use_lite_work *w = use_lite_work_new();
    for (size_t i = j->first; i < j->end; i += 64) {
        size_t k = j->end - i < 64 ? j->end - i : 64;
        use_lite_embed_work(j->m, w, (const char *const *)j->texts + i, k,
                            j->out + i * USE_LITE_DIM, 1);
    }
    use_lite_work_free(w);
    return NULL;
}

static void embed_all(const struct use_lite *m, char **texts, size_t n, float *out)
{
    enum { T = 2 };
    pthread_t th[T];
    struct job jobs[T];
    for (int t = 0; t < T; t++) {
        jobs[t] = (struct job){ m, texts, n * (size_t)t / T, n * (size_t)(t + 1) / T, out };
        pthread_create(&th[t], NULL, embed_range, &jobs[t]);
    }
    for (int t = 0; t < T; t++)
        pthread_join(th[t], NULL);
}

/* Reads lines of `path`, unescaping "\n" and "\\". */
static char **read_lines(const char *path, size_t *count)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(2);
    }
    size_t cap = 1024, n = 0;
    char **v = malloc(cap * sizeof *v);
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, f)) >= 0) {
        if (len && line[len - 1] == '\n')
            line[--len] = '\0';
        char *s = malloc((size_t)len + 1), *d = s;
        for (ssize_t i = 0; i < len; i++) {
            if (line[i] == '\\' && i + 1 < len) {
                i++;
                *d++ = line[i] == 'n' ? '\n' : line[i];
            } else {
                *d++ = line[i];
            }
        }
        *d = '\0';
        if (n == cap)
            v = realloc(v, (cap *= 2) * sizeof *v);
        v[n++] = s;
    }
    free(line);
    fclose(f);
    *count = n;
    return v;
}

static float dot(const float *a, const float *b)
{
    float s = 0.0f;
    for (unsigned i = 0; i < USE_LITE_DIM; i++)
        s += a[i] * b[i];
    return s;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: vec-eval MODEL DOCS QUERIES\n");
        return 2;
    }
    struct use_lite *m;
    if (use_lite_open(&m, argv[1]) != 0) {
        fprintf(stderr, "cannot open %s\n", argv[1]);
        return 3;
    }
    size_t nd, nq;
    char **docs = read_lines(argv[2], &nd), **qs = read_lines(argv[3], &nq);
    size_t *gold = malloc((nq + 1) * sizeof *gold);
    char **qt = malloc((nq + 1) * sizeof *qt);
    for (size_t i = 0; i < nq; i++) {
        char *tab = strchr(qs[i], '\t');
        gold[i] = strtoul(qs[i], NULL, 10);
        qt[i] = tab ? tab + 1 : qs[i];
    }
    float *dv = malloc((nd + 1) * USE_LITE_DIM * sizeof *dv);
    float *qv = malloc((nq + 1) * USE_LITE_DIM * sizeof *qv);
    embed_all(m, docs, nd, dv);
    embed_all(m, qt, nq, qv);
    double rr = 0.0;
    size_t r1 = 0, r5 = 0, r10 = 0;
    for (size_t i = 0; i < nq; i++) {
        float g = dot(qv + i * USE_LITE_DIM, dv + gold[i] * USE_LITE_DIM);
        size_t rank = 1;
        for (size_t d = 0; d < nd; d++)
            rank += dot(qv + i * USE_LITE_DIM, dv + d * USE_LITE_DIM) > g;
        printf("rank %zu %zu\n", i, rank);
        rr += rank <= 10 ? 1.0 / (double)rank : 0.0;
        r1 += rank <= 1;
        r5 += rank <= 5;
        r10 += rank <= 10;
    }
    printf("vector MRR@10 %.4f  R@1 %.3f  R@5 %.3f  R@10 %.3f  (%zu queries, %zu docs)\n",
           rr / (double)nq, (double)r1 / (double)nq, (double)r5 / (double)nq,
           (double)r10 / (double)nq, nq, nd);
    use_lite_free(m);
    return 0;
}
