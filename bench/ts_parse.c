/* The physical limit for pith-extract on Python: read and parse every file named on stdin with
 * tree-sitter, nothing else, on N threads. Prints files, bytes, nodes and seconds. */
#include "common/buf.h"
#include "common/file.h"
#include "common/mem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_python(void);

static char **paths;
static size_t path_count;
static atomic_size_t next_path;
static atomic_ullong total_bytes, total_nodes;

static void *worker(void *arg)
{
    (void)arg;
    TSParser *p = ts_parser_new();
    ts_parser_set_language(p, tree_sitter_python());
    struct pith_buf b = PITH_BUF_INIT;
    for (;;) {
        size_t i = atomic_fetch_add(&next_path, 1);
        if (i >= path_count)
            break;
        if (pith_file_read(&b, paths[i], 2u << 20) != 0)
            continue;
        TSTree *t = ts_parser_parse_string(p, NULL, b.ptr, (uint32_t)b.len);
        if (t) {
            atomic_fetch_add(&total_nodes, ts_node_descendant_count(ts_tree_root_node(t)));
            ts_tree_delete(t);
        }
        atomic_fetch_add(&total_bytes, b.len);
    }
    pith_buf_release(&b);
    ts_parser_delete(p);
    return NULL;
}

int main(int argc, char **argv)
{
    int jobs = argc > 1 ? atoi(argv[1]) : 2;
    if (jobs < 1 || jobs > 256)
        jobs = 2;
    char line[4096];
    size_t cap = 0;
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = '\0';
        if (path_count == cap) {
            cap = cap ? cap * 2 : 1024;
            paths = pith_xrealloc(paths, cap * sizeof *paths);
        }
        paths[path_count++] = pith_xstrdup(line);
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_t th[256];
    for (int i = 0; i < jobs; i++)
        pthread_create(&th[i], NULL, worker, NULL);
    for (int i = 0; i < jobs; i++)
        pthread_join(th[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("files %zu bytes %llu nodes %llu seconds %.3f\n", path_count,
           (unsigned long long)total_bytes, (unsigned long long)total_nodes, s);
    for (size_t i = 0; i < path_count; i++)
        free(paths[i]);
    free(paths);
    return 0;
}
