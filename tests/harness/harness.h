/* The in-tree test harness (redis testhelp.h): tests register themselves with PITH_TEST, checks
 * print file:line on failure, the run ends with "N passed, N failed". */
#ifndef PITH_TESTS_HARNESS_H
#define PITH_TESTS_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef void (*pith_test_fn)(void);
void pith_test_register(const char *name, pith_test_fn fn);
/* Records a failed check in the running test. */
void pith_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Directory of test fixtures (tests/fixtures, or $PITH_FIXTURES). */
const char *pith_test_fixtures(void);
/* A fresh empty temporary directory for the running test; removed at exit. */
const char *pith_test_tmpdir(void);

#define PITH_TEST(name)                                            \
    static void test_##name(void);                                 \
    __attribute__((constructor)) static void register_##name(void) \
    {                                                              \
        pith_test_register(#name, test_##name);                    \
    }                                                              \
    static void test_##name(void)

#define CHECK(cond)                                                 \
    do {                                                            \
        if (!(cond))                                                \
            pith_test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond); \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_)                                                                              \
            pith_test_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, a_, #b, b_); \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                               \
    do {                                                                                 \
        const char *a_ = (a), *b_ = (b);                                                 \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                           \
            pith_test_fail(__FILE__, __LINE__, "%s:\n--- got\n%s\n--- expected\n%s", #a, \
                           a_ ? a_ : "(null)", b_ ? b_ : "(null)");                      \
    } while (0)

#define CHECK_EQ_MEM(a, b, n)                                               \
    do {                                                                    \
        if (memcmp((a), (b), (n)) != 0)                                     \
            pith_test_fail(__FILE__, __LINE__, "%s and %s differ", #a, #b); \
    } while (0)

#endif
