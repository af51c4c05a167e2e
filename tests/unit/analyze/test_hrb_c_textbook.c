/* The Horwitz-Reps-Binkley example exactly as in the paper (TOPLAS 12(1), 1990, figure 1),
 * in C: A, add and inc take pointers, so their results reach the caller only through pointer
 * out-parameters (serve/flow_slice.c: actual-outs f(&v) / f(p), formal-outs *x, summary edges
 * per output). Also --var access-path matching for C and Python. */
#include "analyze/flow_int.h"
#include "common/buf.h"
#include "common/file.h"
#include "extract/compdb.h"
#include "extract/lang_c.h"
#include "extract/lang_python.h"
#include "schemas/facts.pb-c.h"
#include "serve/flow_slice.h"
#include "tests/harness/harness.h"
#include "tests/unit/analyze/flow_harness.h"

#include <stdlib.h>
#include <string.h>

/* The paper's program, procedures in its order (Main, A, Add, Increment), call-by-value-result
 * parameters as pointers; line 1 declares printf instead of including stdio.h.
 *
 *  5 int main(void)             main's entry
 *  7     int sum = 0;
 *  8     int i = 1;
 *  9     while (i < 11) {
 * 10         A(&sum, &i);       actual-ins sum, i; actual-outs sum (x), i (y)
 * 12     printf("%d\n", sum);
 * 13     printf("%d\n", i);
 * 15 void A(int *x, int *y)     entry, formal-ins x, y
 * 17     add(x, *y);            writes *x through add's a
 * 18     inc(y);                writes *y through inc's z
 * 20 void add(int *a, int b)
 * 22     *a = *a + b;           formal-out *a <- a, b
 * 24 void inc(int *z)
 * 26     add(z, 1);             formal-out *z <- z (add's summary: *a <- a, b; b is 1)
 *
 * Summary edges (the paper's definition: a formal-in reaches a formal-out in the callee's
 * dependence graph, through the callees' summary edges; least fixpoint): add: *a <- {a, b};
 * inc: *z <- {z}; A: *x <- {x, y} (add(x, *y)), *y <- {y} (inc(y)). So at A(&sum, &i): sum
 * after <- sum, i before; i after <- i before only.
 *
 * Intraprocedural backward slice from printf(i) (13), main alone: A(&sum, &i) is one opaque
 * statement that reads sum and i and may write both (f(&v)), so i at 13 depends on 8 and 10,
 * 10 on 7, 8 and itself, and on the loop test 9; 9 on 8 and 10; main's entry (5) controls the
 * top level: {5,7,8,9,10,13}. sum = 0 is in it: the imprecision summaries remove.
 *
 * Interprocedural (two-phase, the paper's slice of the system dependence graph w.r.t. i at the
 * end): phase 1 from 13: i-out of the call at 10, by its summary only i-in (not sum-in), i-in
 * from 8 and the call's own i-out; the call at 10 and the loop 9 and entry 5: main
 * {5,8,9,10,13}, not 7. Phase 2 descends through i-out: A's formal-out *y, defined by inc(y)'s
 * actual-out (18) whose summary needs only y's formal-in (15), inc's formal-out *z defined by
 * add(z, 1) (26) with formal-in z (24), add's formal-out *a defined by *a = *a + b (22) from
 * formal-ins a and b (20). A's add(x, *y) (17) writes only *x: not in it.
 * Slice: add {20,22}, inc {24,26}, A {15,18}, main {5,8,9,10,13}.
 *
 * From printf(sum) (12): sum-out of 10 depends on sum-in and i-in: 7, 8 and, through i-out
 * (i-in of the next iteration), the whole of A, add and inc; intraprocedurally the same main
 * lines {5,7,8,9,10,12}. Forward from sum = 0 (7): intraprocedurally 10 (reads sum) and every
 * use of what it writes: 9, 10, 12, 13; interprocedurally only sum-out follows sum-in (i-out's
 * summary is {y}): main {7,10,12}; descending, A's x (15) into add(x, *y) (17) and add's a (20)
 * into *a = *a + b (22); nothing of inc. */
static const char textbook_c[] = "int printf(const char *, ...);\n"
                                 "void A(int *x, int *y);\n"
                                 "void add(int *a, int b);\n"
                                 "void inc(int *z);\n"
                                 "int main(void)\n"
                                 "{\n"
                                 "    int sum = 0;\n"
                                 "    int i = 1;\n"
                                 "    while (i < 11) {\n"
                                 "        A(&sum, &i);\n"
                                 "    }\n"
                                 "    printf(\"%d\\n\", sum);\n"
                                 "    printf(\"%d\\n\", i);\n"
                                 "}\n"
                                 "void A(int *x, int *y)\n"
                                 "{\n"
                                 "    add(x, *y);\n"
                                 "    inc(y);\n"
                                 "}\n"
                                 "void add(int *a, int b)\n"
                                 "{\n"
                                 "    *a = *a + b;\n"
                                 "}\n"
                                 "void inc(int *z)\n"
                                 "{\n"
                                 "    add(z, 1);\n"
                                 "}\n";

PITH_TEST(hrb_textbook_c_intraprocedural)
{
    struct test_flows fs;
    test_flows_open_c(&fs, "hrb_textbook.c", textbook_c, "cc", 0);
    CHECK_EQ_INT(fs.count, 4);
    char *s = test_flows_slice(&fs, "main", 13, NULL, 0);
    CHECK_EQ_STR(s, "main:5,7,8,9,10,13");
    free(s);
    s = test_flows_slice(&fs, "main", 12, NULL, 0);
    CHECK_EQ_STR(s, "main:5,7,8,9,10,12");
    free(s);
    s = test_flows_slice(&fs, "main", 7, NULL, FLOW_SLICE_FORWARD);
    CHECK_EQ_STR(s, "main:7,9,10,12,13");
    free(s);
    test_flows_close(&fs);
}

PITH_TEST(hrb_textbook_c_interprocedural)
{
    struct test_flows fs;
    test_flows_open_c(&fs, "hrb_textbook.c", textbook_c, "cc", 0);
    char *s = test_flows_slice(&fs, "main", 13, NULL, FLOW_SLICE_INTER);
    CHECK_EQ_STR(s, "main:5,8,9,10,13;A:15,18;add:20,22;inc:24,26");
    free(s);
    s = test_flows_slice(&fs, "main", 13, "i", FLOW_SLICE_INTER);
    CHECK_EQ_STR(s, "main:5,8,9,10,13;A:15,18;add:20,22;inc:24,26");
    free(s);
    s = test_flows_slice(&fs, "main", 12, NULL, FLOW_SLICE_INTER);
    CHECK_EQ_STR(s, "main:5,7,8,9,10,12;A:15,17,18;add:20,22;inc:24,26");
    free(s);
    s = test_flows_slice(&fs, "main", 7, NULL, FLOW_SLICE_INTER | FLOW_SLICE_FORWARD);
    CHECK_EQ_STR(s, "main:7,10,12;A:15,17;add:20,22");
    free(s);
    test_flows_close(&fs);
}

/* --var V keeps the first step from the seed to the edges whose variable is V or extends it at
 * '.', '->', '[' (and, for V without '*', its dereferences *V). Line 10 reads p->next->val,
 * s.x, *q (and q), q and i (q[i]: the base and the index), k. Backward from 10:
 *   p: p->next->val, reached by p->next = p (5) and, inside 5, PARAM p: {3,5,10};
 *   p->next: the same; p->val: nothing but line 10 and its entry control: {3,10};
 *   s: s.x from 6 (which reads i: PARAM, line 3): {3,6,10};
 *   q: *q from 7 and q from q[i] = 2 (8, the base q written) and PARAM q: {3,7,8,10};
 *   *q: only *q (7): {3,7,10}. */
static const char paths_c[] = "struct node { struct node *next; int val; };\n" /* 1 */
                              "struct pt { int x, y; };\n"                     /* 2 */
                              "int f(struct node *p, struct pt s, int *q, int i)\n"
                              "{\n"                                              /* 4 */
                              "    p->next = p;\n"                               /* 5 */
                              "    s.x = i;\n"                                   /* 6 */
                              "    *q = 1;\n"                                    /* 7 */
                              "    q[i] = 2;\n"                                  /* 8 */
                              "    int k = 3;\n"                                 /* 9 */
                              "    return p->next->val + s.x + *q + q[i] + k;\n" /* 10 */
                              "}\n";

PITH_TEST(slice_var_access_paths_c)
{
    struct test_flows fs;
    test_flows_open_c(&fs, "paths.c", paths_c, "cc", 0);
    static const char *const cases[][2] = {
        { "p", "f:3,5,10" },
        { "p->next", "f:3,5,10" },
        { "p->next->val", "f:3,5,10" },
        { "p->val", "f:3,10" },
        { "s", "f:3,6,10" },
        { "s.x", "f:3,6,10" },
        { "q", "f:3,7,8,10" },
        { "*q", "f:3,7,10" },
        { "k", "f:3,9,10" },
        { "p->next->val->z", "f:3,10" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = test_flows_slice(&fs, "f", 10, cases[i][0], 0);
        CHECK_EQ_STR(s, cases[i][1]);
        free(s);
    }
    test_flows_close(&fs);
}

/* Python: self.a.c is reached by self.a.c = i (4) and self.a = xs (3); --var self.a keeps it,
 * --var self.b keeps self.b = i (5), --var self both, --var self.ab neither. */
static const char paths_py[] = "class C:\n"
                               "    def m(self, xs, i):\n"
                               "        self.a = xs\n"
                               "        self.a.c = i\n"
                               "        self.b = i\n"
                               "        return self.a.c + self.b\n";

PITH_TEST(slice_var_access_paths_python)
{
    struct test_flows fs;
    test_flows_open_py(&fs, paths_py);
    static const char *const cases[][2] = {
        { "self.a", "C.m:2,3,4,6" }, { "self.a.c", "C.m:2,3,4,6" }, { "self.b", "C.m:2,5,6" },
        { "self", "C.m:2,3,4,5,6" }, { "self.ab", "C.m:2,6" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = test_flows_slice(&fs, "C.m", 6, cases[i][0], 0);
        CHECK_EQ_STR(s, cases[i][1]);
        free(s);
    }
    test_flows_close(&fs);
}

/* The other writes through a pointer parameter, and what has no summary. By hand:
 *   setf writes q->f (part of *q: no kill): S[setf][*q] = {q, v}; pass(r, v) hands r to setf:
 *   S[pass][*r] = {r, v}; bump's (*c)++ and addto's *c += d read *c: {c} and {c, d}; none
 *   writes nothing through c: its *c passes through, {c}; ext has no body (the DFG's may-write
 *   of f(&e) stays).
 * Backward from 19 (reads p->f, a, b, e, n), one variable at a time:
 *   p: p->f after pass(p, v) (14; f(p): the out variable *p, read as p->f), descending into
 *      pass and setf; a: bump(&a) (15) from a = 0 (10) and bump; b: addto(&b, w) (16) from
 *      b = 0 (11) and w (a parameter on 8) and addto; e: ext(&e) (17) from e = 0 (12), no
 *      callee; n: none(&n, w) (18) from n = 0 (13) only, and none's body (7).
 * Forward: from b = 0 (11): 16, 19 and addto; from n = 0 (13): 18, 19 and none's d = *c. */
static const char outs_c[] = "struct s { int f; };\n"                          /* 1 */
                             "void ext(int *p);\n"                             /* 2 */
                             "void setf(struct s *q, int v) { q->f = v; }\n"   /* 3 */
                             "void bump(int *c) { (*c)++; }\n"                 /* 4 */
                             "void addto(int *c, int d) { *c += d; }\n"        /* 5 */
                             "void pass(struct s *r, int v) { setf(r, v); }\n" /* 6 */
                             "void none(int *c, int d) { d = *c; }\n"          /* 7 */
                             "int user(struct s *p, int v, int w)\n"           /* 8 */
                             "{\n"                                             /* 9 */
                             "    int a = 0;\n"                                /* 10 */
                             "    int b = 0;\n"                                /* 11 */
                             "    int e = 0;\n"                                /* 12 */
                             "    int n = 0;\n"                                /* 13 */
                             "    pass(p, v);\n"                               /* 14 */
                             "    bump(&a);\n"                                 /* 15 */
                             "    addto(&b, w);\n"                             /* 16 */
                             "    ext(&e);\n"                                  /* 17 */
                             "    none(&n, w);\n"                              /* 18 */
                             "    return p->f + a + b + e + n;\n"              /* 19 */
                             "}\n";

PITH_TEST(slice_out_params_c)
{
    struct test_flows fs;
    test_flows_open_c(&fs, "outs.c", outs_c, "cc", 0);
    static const char *const back[][2] = {
        { "p", "setf:3;pass:6;user:8,14,19" }, { "a", "bump:4;user:8,10,15,19" },
        { "b", "addto:5;user:8,11,16,19" },    { "e", "user:8,12,17,19" },
        { "n", "none:7;user:8,13,18,19" },
    };
    for (size_t i = 0; i < sizeof back / sizeof back[0]; i++) {
        char *s = test_flows_slice(&fs, "user", 19, back[i][0], FLOW_SLICE_INTER);
        CHECK_EQ_STR(s, back[i][1]);
        free(s);
    }
    char *s = test_flows_slice(&fs, "user", 11, NULL, FLOW_SLICE_INTER | FLOW_SLICE_FORWARD);
    CHECK_EQ_STR(s, "addto:5;user:11,16,19");
    free(s);
    s = test_flows_slice(&fs, "user", 13, NULL, FLOW_SLICE_INTER | FLOW_SLICE_FORWARD);
    CHECK_EQ_STR(s, "none:7;user:13,18,19");
    free(s);
    s = test_flows_slice(&fs, "user", 10, NULL, FLOW_SLICE_INTER | FLOW_SLICE_FORWARD);
    CHECK_EQ_STR(s, "bump:4;user:10,15,19");
    free(s);
    test_flows_close(&fs);
}
