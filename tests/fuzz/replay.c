/* Replays fuzz corpora without libFuzzer (make check, ASan builds): every file under each path
 * argument, recursively and in name order, goes once through LLVMFuzzerTestOneInput. */
#include "common/buf.h"
#include "common/file.h"
#include "common/mem.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_INPUT (64u << 20)

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Returns the number of inputs replayed under `path`, or -1 after printing an error. */
static long replay(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: cannot stat %s\n", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        struct pith_buf b = PITH_BUF_INIT;
        if (pith_file_read(&b, path, REPLAY_MAX_INPUT) != 0) {
            fprintf(stderr, "replay: cannot read %s\n", path);
            return -1;
        }
        /* an exact-size copy, so ASan sees reads past the end of the input */
        uint8_t *copy = pith_xmalloc(b.len ? b.len : 1);
        if (b.len)
            memcpy(copy, b.ptr, b.len);
        LLVMFuzzerTestOneInput(copy, b.len);
        free(copy);
        pith_buf_release(&b);
        return 1;
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    PITH_VEC(char *) names = { 0 };
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] != '.')
            pith_vec_push(&names, pith_xstrdup(de->d_name));
    }
    closedir(d);
    qsort(names.items, names.count, sizeof *names.items, cmp_str);
    long total = 0;
    for (size_t i = 0; i < names.count; i++) {
        size_t n = strlen(path) + strlen(names.items[i]) + 2;
        char *child = pith_xmalloc(n);
        snprintf(child, n, "%s/%s", path, names.items[i]);
        long k = total >= 0 ? replay(child) : 0;
        total = k < 0 ? -1 : total + k;
        free(child);
        free(names.items[i]);
    }
    pith_vec_release(&names);
    return total;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
        return 2;
    }
    long total = 0;
    for (int i = 1; i < argc; i++) {
        long k = replay(argv[i]);
        if (k < 0)
            return 1;
        total += k;
    }
    printf("replayed %ld inputs\n", total);
    return 0;
}
