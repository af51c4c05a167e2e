/* C and C++ bodies lowered from libclang (extract/ir_c_clang.c) through the flow layers
 * (analyze/cfg.c, dfg.c, pdg.c) and slices (serve/flow_slice.c): access paths, macro
 * statements on their expansion line, pmccabe's complexity, for-loop continue, C++ try/catch
 * and range-for, and the Horwitz-Reps-Binkley slices in C. */
#include "analyze/flow_int.h"
#include "common/buf.h"
#include "common/file.h"
#include "extract/compdb.h"
#include "extract/lang_c.h"
#include "schemas/facts.pb-c.h"
#include "serve/flow_slice.h"
#include "tests/harness/harness.h"
#include "tests/unit/analyze/flow_harness.h"

#include <stdlib.h>
#include <string.h>

static size_t body_named(const struct test_flows *fs, const char *name)
{
    for (size_t i = 0; i < fs->count; i++) {
        if (strcmp(fs->name[i], name) == 0)
            return i;
    }
    return SIZE_MAX;
}

/* "op@line:defs|uses" of every IR statement on `line` of body `b`, ";"-separated. */
static char *stmts_on(const struct test_flows *fs, size_t b, uint32_t line)
{
    struct pith_buf out = PITH_BUF_INIT;
    pith_buf_puts(&out, "");
    const Pith__FunctionIr *ir = fs->ff->bodies[b];
    for (size_t i = 0; i < ir->n_stmts; i++) {
        const Pith__IrStmt *s = ir->stmts[i];
        if (s->line != line || s->op == PITH__IR_OP__IR_NONE)
            continue;
        pith_buf_printf(&out, "%s%d:", out.len ? ";" : "", (int)s->op);
        for (size_t k = 0; k < s->n_defs; k++)
            pith_buf_printf(&out, "%s%s", k ? "," : "", s->defs[k]);
        pith_buf_putc(&out, '|');
        for (size_t k = 0; k < s->n_uses; k++)
            pith_buf_printf(&out, "%s%s", k ? "," : "", s->uses[k]);
    }
    char *r = strdup(out.ptr);
    pith_buf_release(&out);
    return r;
}

/* Horwitz, Reps and Binkley (TOPLAS 1990, figure 1) in C, written as the Python case in
 * test_cfg.c: their procedure A is inlined into the loop and the call-by-value-result
 * parameters of add and inc become returned values. The paper's own version, with A and
 * pointer out-parameters, is test_hrb_c_textbook.c.
 *
 *  2 int add(int a, int b)          entry and formal-ins of add
 *  4     return a + b;              formal-out of add
 *  6 int inc(int z)
 *  8     return add(z, 1);
 * 10 int main(void)                 main's entry
 * 12     int sum = 0;
 * 13     int i = 1;
 * 14     while (i < 11) {
 * 15         sum = add(sum, i);
 * 16         i = inc(i);
 * 18     print(sum);
 * 19     print(i);
 *
 * Backward from print(i) (19): i is defined at 13 and 16, 16 reads i, the loop test 14 reads i
 * and controls 16; main's entry (10) controls the top level: {10,13,14,16,19}. With calls: i at
 * 16 is inc's result: inc's return (8) and entry (6), and through inc's call of add, add's
 * return (4) and entry (2); the two-phase traversal does not climb from add into the call at
 * 15, so neither 15 nor sum = 0 (12) is in it. Backward from print(sum) (18): {10,12..16,18},
 * plus add {2,4} and inc {6,8}. Forward from sum = 0 (12): {12,15,18}; with calls add's formal
 * a (2) and its return (4), and nothing of inc. Backward from add's return (4), with calls:
 * both callers' arguments: main {10,12..16}, inc {6,8}. */
static const char hrb_c[] = "void print(int v);\n"
                            "int add(int a, int b)\n"
                            "{\n"
                            "    return a + b;\n"
                            "}\n"
                            "int inc(int z)\n"
                            "{\n"
                            "    return add(z, 1);\n"
                            "}\n"
                            "int main(void)\n"
                            "{\n"
                            "    int sum = 0;\n"
                            "    int i = 1;\n"
                            "    while (i < 11) {\n"
                            "        sum = add(sum, i);\n"
                            "        i = inc(i);\n"
                            "    }\n"
                            "    print(sum);\n"
                            "    print(i);\n"
                            "    return 0;\n"
                            "}\n";

PITH_TEST(c_flow_hrb_intraprocedural)
{
    struct test_flows fs;
    test_flows_open_c(&fs, "hrb.c", hrb_c, "cc", 1);
    CHECK_EQ_INT(fs.count, 3);
    char *s = test_flows_slice(&fs, "main", 19, NULL, 0);
    CHECK_EQ_STR(s, "main:10,13,14,16,19");
    free(s);
    s = test_flows_slice(&fs, "main", 18, NULL, 0);
    CHECK_EQ_STR(s, "main:10,12,13,14,15,16,18");
    free(s);
    s = test_flows_slice(&fs, "main", 19, "i", 0);
    CHECK_EQ_STR(s, "main:10,13,14,16,19");
    free(s);
    s = test_flows_slice(&fs, "main", 12, NULL, FLOW_SLICE_FORWARD);
    CHECK_EQ_STR(s, "main:12,15,18");
    free(s);
    test_flows_close(&fs);
}

PITH_TEST(c_flow_hrb_interprocedural)
{
    struct test_flows fs;
    test_flows_open_c(&fs, "hrb.c", hrb_c, "cc", 1);
    char *s = test_flows_slice(&fs, "main", 19, NULL, FLOW_SLICE_INTER);
    CHECK_EQ_STR(s, "add:2,4;inc:6,8;main:10,13,14,16,19");
    free(s);
    s = test_flows_slice(&fs, "main", 18, NULL, FLOW_SLICE_INTER);
    CHECK_EQ_STR(s, "add:2,4;inc:6,8;main:10,12,13,14,15,16,18");
    free(s);
    s = test_flows_slice(&fs, "main", 12, NULL, FLOW_SLICE_INTER | FLOW_SLICE_FORWARD);
    CHECK_EQ_STR(s, "add:2,4;main:12,15,18");
    free(s);
    s = test_flows_slice(&fs, "add", 4, NULL, FLOW_SLICE_INTER);
    CHECK_EQ_STR(s, "add:2,4;inc:6,8;main:10,12,13,14,15,16");
    free(s);
    test_flows_close(&fs);
}

/* pmccabe 2.8 on this file prints 1 for paths and 7 for decide (1 + for, if, if, &&, ||, ?:): the
 * macros' do-while, if and ?: are not in the text it reads. */
static const char lower_c[] =
    "#define CHECK_POS(x) do { if ((x) < 0) return -1; } while (0)\n" /* 1 */
    "#define MAX(a, b) ((a) > (b) ? (a) : (b))\n"                     /* 2 */
    "struct node { struct node *next; int val; };\n"                  /* 3 */
    "struct pt { int x, y; };\n"                                      /* 4 */
    "void touch(int *p);\n"                                           /* 5 */
    "int paths(struct node *p, struct pt s, int *q, int *a, int i)\n" /* 6 */
    "{\n"                                                             /* 7 */
    "    int k = 0;\n"                                                /* 8 */
    "    p->next->val = 1;\n"                                         /* 9 */
    "    s.x += i;\n"                                                 /* 10 */
    "    *q = s.y;\n"                                                 /* 11 */
    "    a[i] = k++;\n"                                               /* 12 */
    "    touch(&k);\n"                                                /* 13 */
    "    CHECK_POS(k);\n"                                             /* 14 */
    "    k = MAX(k, i);\n"                                            /* 15 */
    "    return p->next->val + *q;\n"                                 /* 16 */
    "}\n"                                                             /* 17 */
    "int decide(int a, int b, int *p)\n"                              /* 18 */
    "{\n"                                                             /* 19 */
    "    int n = 0;\n"                                                /* 20 */
    "    for (int i = 0; i < a; i++) {\n"                             /* 21 */
    "        if (i == b)\n"                                           /* 22 */
    "            continue;\n"                                         /* 23 */
    "        n += i;\n"                                               /* 24 */
    "    }\n"                                                         /* 25 */
    "    if (a && (b || !p))\n"                                       /* 26 */
    "        n = a > b ? a : b;\n"                                    /* 27 */
    "    return n;\n"                                                 /* 28 */
    "}\n";

PITH_TEST(c_flow_lowering)
{
    struct test_flows fs;
    test_flows_open_c(&fs, "lower.c", lower_c, "cc", 1);
    size_t p = body_named(&fs, "paths"), d = body_named(&fs, "decide");
    CHECK(p != SIZE_MAX && d != SIZE_MAX);
    if (p == SIZE_MAX || d == SIZE_MAX) {
        test_flows_close(&fs);
        return;
    }
    /* ops: 1 simple, 2 if, 4 for, 6 continue, 7 return, 18 do-while, 19 test */
    char *s = stmts_on(&fs, p, 9);
    CHECK_EQ_STR(s, "1:p->next->val|p->next");
    free(s);
    s = stmts_on(&fs, p, 10);
    CHECK_EQ_STR(s, "1:s.x|s.x,i,s");
    free(s);
    s = stmts_on(&fs, p, 11);
    CHECK_EQ_STR(s, "1:*q|s.y,q");
    free(s);
    s = stmts_on(&fs, p, 12);
    CHECK_EQ_STR(s, "1:k,a|k,a,i");
    free(s);
    s = stmts_on(&fs, p, 13); /* &k passed: the callee may write k */
    CHECK_EQ_STR(s, "1:k|k");
    free(s);
    /* the macro's do-while and if are statements of line 14, where the macro is used */
    s = stmts_on(&fs, p, 14);
    CHECK_EQ_STR(s, "18:|;2:|;19:|k;7:|;19:|");
    free(s);
    s = stmts_on(&fs, p, 16);
    CHECK_EQ_STR(s, "7:|p->next->val,*q,q");
    free(s);
    const Pith__FunctionFlow *fp = fs.flow[p], *fd = fs.flow[d];
    CHECK_EQ_INT(fp->complexity, 1);
    CHECK_EQ_INT(fd->complexity, 7);
    /* def-use through paths: p->next->val read at 16 is reached by its write at 9 */
    int found = 0;
    for (size_t i = 0; i < fp->n_du; i++) {
        const Pith__DefUse *du = fp->du[i];
        if (fp->nodes[du->def - 1]->line == 9 && fp->nodes[du->use - 1]->line == 16 &&
            strcmp(du->var, "p->next->val") == 0)
            found = 1;
    }
    CHECK(found);
    /* continue goes to the update (i++ on line 21), which goes back to the test */
    CHECK(test_flow_has_edge(fd, 23, "continue", 21, PITH__FLOW_EDGE_KIND__FEDGE_FALL));
    CHECK(test_flow_has_edge(fd, 24, "stmt", 21, PITH__FLOW_EDGE_KIND__FEDGE_FALL));
    CHECK(test_flow_has_edge(fd, 21, "stmt", 21, PITH__FLOW_EDGE_KIND__FEDGE_BACK));
    /* a && (b || !p): a false skips both other operands; !p true (p null) enters the body */
    CHECK(test_flow_has_edge(fd, 26, "if", 28, PITH__FLOW_EDGE_KIND__FEDGE_FALSE));
    CHECK(test_flow_has_edge(fd, 26, "test", 27, PITH__FLOW_EDGE_KIND__FEDGE_FALSE));
    s = stmts_on(&fs, d, 27);
    CHECK_EQ_STR(s, "2:|;19:|a,b;1:n|a;1:n|b");
    free(s);
    test_flows_close(&fs);
}

static const char try_cpp[] = "struct E {};\n"                          /* 1 */
                              "int total(const int (&v)[3], int lim)\n" /* 2 */
                              "{\n"                                     /* 3 */
                              "    int t = 0;\n"                        /* 4 */
                              "    for (int x : v)\n"                   /* 5 */
                              "        t += x;\n"                       /* 6 */
                              "    try {\n"                             /* 7 */
                              "        if (t > lim)\n"                  /* 8 */
                              "            throw E();\n"                /* 9 */
                              "    } catch (const E &e) {\n"            /* 10 */
                              "        t = lim;\n"                      /* 11 */
                              "    } catch (...) {\n"                   /* 12 */
                              "        t = 0;\n"                        /* 13 */
                              "    }\n"                                 /* 14 */
                              "    return t;\n"                         /* 15 */
                              "}\n";

PITH_TEST(cpp_flow_try_and_range_for)
{
    struct test_flows fs;
    test_flows_open_c(&fs, "t.cpp", try_cpp, "c++", 1);
    size_t b = body_named(&fs, "total");
    CHECK(b != SIZE_MAX);
    if (b == SIZE_MAX) {
        test_flows_close(&fs);
        return;
    }
    char *s = stmts_on(&fs, b, 5); /* range-for: the loop variable is written, the range read */
    CHECK_EQ_STR(s, "4:x|v");
    free(s);
    s = stmts_on(&fs, b, 10); /* 10 = IR_HANDLER */
    CHECK_EQ_STR(s, "10:e|");
    free(s);
    const Pith__FunctionFlow *f = fs.flow[b];
    CHECK(test_flow_has_edge(f, 9, "raise", 10, PITH__FLOW_EDGE_KIND__FEDGE_EXCEPT));
    CHECK(test_flow_has_edge(f, 10, "except", 12, PITH__FLOW_EDGE_KIND__FEDGE_FALSE));
    CHECK(test_flow_has_edge(f, 5, "for", 6, PITH__FLOW_EDGE_KIND__FEDGE_TRUE));
    CHECK_EQ_INT(f->complexity, 3); /* pmccabe: 1 + for + if (catch counts nothing) */
    test_flows_close(&fs);
}

/* Without a database (tree-sitter, extract/ir_c_ts.c) a #if inside a body is read as pmccabe
 * reads it, first branch only: pmccabe 2.8 prints 4 for vm (1 + for, switch, ?:; the #else
 * branch's if and && are not counted), and the switch has two targets, case 1 and default. */
static const char preproc_c[] = "int vm(int *op, int n)\n"               /* 1 */
                                "{\n"                                    /* 2 */
                                "    int rc = 0;\n"                      /* 3 */
                                "    for (int pc = 0; pc < n; pc++) {\n" /* 4 */
                                "        switch (op[pc]) {\n"            /* 5 */
                                "#ifdef FEATURE\n"                       /* 6 */
                                "        case 1:\n"                      /* 7 */
                                "            rc += n > 2 ? 1 : 2;\n"     /* 8 */
                                "            break;\n"                   /* 9 */
                                "#else\n"                                /* 10 */
                                "        case 2:\n"                      /* 11 */
                                "            if (rc && n)\n"             /* 12 */
                                "                rc--;\n"                /* 13 */
                                "            break;\n"                   /* 14 */
                                "#endif\n"                               /* 15 */
                                "        default:\n"                     /* 16 */
                                "            rc++;\n"                    /* 17 */
                                "        }\n"                            /* 18 */
                                "    }\n"                                /* 19 */
                                "    return rc;\n"                       /* 20 */
                                "}\n";

PITH_TEST(c_flow_tree_sitter_preproc)
{
    struct pith_buf out = PITH_BUF_INIT;
    CHECK_EQ_INT(lang_c_ts_buffer((const unsigned char *)preproc_c, strlen(preproc_c), 0, &out), 0);
    Pith__FileFacts *ff = pith__file_facts__unpack(NULL, out.len, (const uint8_t *)out.ptr);
    pith_buf_release(&out);
    CHECK(ff != NULL);
    if (!ff)
        return;
    CHECK_EQ_INT(ff->n_bodies, 1);
    if (ff->n_bodies == 1) {
        const Pith__FunctionIr *ir = ff->bodies[0];
        CHECK_EQ_INT(ir->symbol, 1);
        CHECK_EQ_INT(ir->complexity, 4);
        CHECK_EQ_INT(ir->n_params, 2);
        int cases = 0, defaults = 0, else_branch = 0;
        for (size_t i = 0; i < ir->n_stmts; i++) {
            const Pith__IrStmt *s = ir->stmts[i];
            if (s->op == PITH__IR_OP__IR_CASE) {
                cases++;
                defaults += s->is_default;
                CHECK(s->line == 7 || s->line == 16);
            }
            if (s->line >= 11 && s->line <= 14)
                else_branch++;
        }
        CHECK_EQ_INT(cases, 2);
        CHECK_EQ_INT(defaults, 1);
        CHECK_EQ_INT(else_branch, 0);
        struct pith_arena arena;
        pith_arena_init(&arena);
        struct flow f;
        cfg_build(&f, &arena, ir, ff->bodies, ff->n_bodies);
        CHECK_EQ_INT(f.complexity, 4);
        /* E-N+2: 1 + for + the switch's second target (a default: no false edge); the ?: of a
         * compound assignment is read as a whole, not a branch */
        CHECK_EQ_INT(f.cyclomatic, 3);
        flow_release(&f);
        pith_arena_release(&arena);
    }
    pith__file_facts__free_unpacked(ff, NULL);
}
