/* Test runner main: runs every registered test (or those whose name contains argv[1]). */
#include "harness.h"

#include "common/file.h"
#include "common/mem.h"

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

struct test {
    const char *name;
    pith_test_fn fn;
};

static struct test *tests;
static size_t test_count, test_cap;
static int current_failed;
static const char *current_name;
static char tmpdir[256];

void pith_test_register(const char *name, pith_test_fn fn)
{
    if (test_count == test_cap) {
        test_cap = test_cap ? test_cap * 2 : 64;
        tests = pith_xrealloc(tests, test_cap * sizeof *tests);
    }
    tests[test_count].name = name;
    tests[test_count].fn = fn;
    test_count++;
}

void pith_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    if (current_failed++ == 0)
        fprintf(stderr, "FAIL %s\n", current_name);
    fprintf(stderr, "  %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

const char *pith_test_fixtures(void)
{
    const char *d = getenv("PITH_FIXTURES");
    return d ? d : "tests/fixtures";
}

const char *pith_test_tmpdir(void)
{
    if (tmpdir[0])
        pith_rm_rf(tmpdir);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/pith-test-%ld-%s", (long)getpid(), current_name);
    pith_mkdir_p(tmpdir);
    return tmpdir;
}

static int cmp_test(const void *a, const void *b)
{
    return strcmp(((const struct test *)a)->name, ((const struct test *)b)->name);
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0;
    qsort(tests, test_count, sizeof *tests, cmp_test);
    for (size_t i = 0; i < test_count; i++) {
        if (filter && !strstr(tests[i].name, filter))
            continue;
        current_name = tests[i].name;
        current_failed = 0;
        tests[i].fn();
        if (tmpdir[0]) {
            pith_rm_rf(tmpdir);
            tmpdir[0] = '\0';
        }
        if (current_failed)
            failed++;
        else
            passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    free(tests);
    return failed ? 1 : 0;
}
