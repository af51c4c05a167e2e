/* CFG, complexity, def-use, control dependence (analyze/cfg.c, dfg.c, pdg.c) and slices
 * (serve/flow_slice.c) on small Python functions lowered by extract/ir_python.c. */
#include "analyze/flow_int.h"
#include "analyze/ir.h"
#include "common/buf.h"
#include "extract/lang_python.h"
#include "serve/flow_slice.h"
#include "tests/harness/harness.h"
#include "tests/unit/analyze/flow_harness.h"

#include <stdlib.h>
#include <string.h>

/* The Horwitz-Reps-Binkley example (TOPLAS 1990, figure 1) in Python: main's loop computes sum
 * and i through add and inc (their `A` procedure is inlined into the loop body, and their
 * call-by-value-result parameters become returned values, so the dependences are the paper's).
 *
 *  1 def main():             entry vertex of main
 *  2     sum = 0
 *  3     i = 1
 *  4     while i < 11:
 *  5         sum = add(sum, i)
 *  6         i = inc(i)
 *  7     print(sum)
 *  8     print(i)
 * 11 def add(a, b):          entry and formal-in vertices of add
 * 12     return a + b        formal-out of add
 * 15 def inc(z):
 * 16     return add(z, 1)
 *
 * Backward from print(i) (8): intraprocedurally i is defined at 3 and 6, 6 reads i, the loop
 * test 4 reads i and controls 6, and main's entry (1) controls everything at top level:
 * {1,3,4,6,8}. Interprocedurally, i at 6 is inc's result: inc's return (16) and entry/formal-in
 * (15), and through inc's call of add, add's return (12) and entry/formal-ins (11). The paper's
 * point: add is also called at 5 with sum, but a precise (two-phase) slice does not climb from
 * add back into that call, so neither 5 nor sum = 0 (2) is in it; a context-insensitive
 * closure would include them.
 * Backward from print(sum) (7): sum at 5 depends on sum (2, 5) and on i (3, 6), and 5 and 6 are
 * controlled by 4: main {1..7}; interprocedurally add (11, 12) and inc (15, 16) join.
 * Forward from sum = 0 (2): 5 reads it, 7 prints the sum: {2,5,7}; interprocedurally the value
 * enters add as a (11) and reaches its return (12), and comes back to 5 only (not to inc's call
 * of add, since phase 2 does not climb). */
static const char hrb_src[] = "def main():\n"
                              "    sum = 0\n"
                              "    i = 1\n"
                              "    while i < 11:\n"
                              "        sum = add(sum, i)\n"
                              "        i = inc(i)\n"
                              "    print(sum)\n"
                              "    print(i)\n"
                              "\n"
                              "\n"
                              "def add(a, b):\n"
                              "    return a + b\n"
                              "\n"
                              "\n"
                              "def inc(z):\n"
                              "    return add(z, 1)\n";

PITH_TEST(flow_hrb_intraprocedural)
{
    struct test_flows fs;
    test_flows_open_py(&fs, hrb_src);
    CHECK_EQ_INT(fs.count, 3);
    char *s = test_flows_slice(&fs, "main", 8, NULL, 0);
    CHECK_EQ_STR(s, "main:1,3,4,6,8");
    free(s);
    s = test_flows_slice(&fs, "main", 7, NULL, 0);
    CHECK_EQ_STR(s, "main:1,2,3,4,5,6,7");
    free(s);
    s = test_flows_slice(&fs, "main", 8, "i", 0);
    CHECK_EQ_STR(s, "main:1,3,4,6,8");
    free(s);
    s = test_flows_slice(&fs, "main", 2, NULL, FLOW_SLICE_FORWARD);
    CHECK_EQ_STR(s, "main:2,5,7");
    free(s);
    test_flows_close(&fs);
}

PITH_TEST(flow_hrb_interprocedural)
{
    struct test_flows fs;
    test_flows_open_py(&fs, hrb_src);
    char *s = test_flows_slice(&fs, "main", 8, NULL, FLOW_SLICE_INTER);
    CHECK_EQ_STR(s, "main:1,3,4,6,8;add:11,12;inc:15,16");
    free(s);
    s = test_flows_slice(&fs, "main", 7, NULL, FLOW_SLICE_INTER);
    CHECK_EQ_STR(s, "main:1,2,3,4,5,6,7;add:11,12;inc:15,16");
    free(s);
    s = test_flows_slice(&fs, "main", 2, NULL, FLOW_SLICE_INTER | FLOW_SLICE_FORWARD);
    CHECK_EQ_STR(s, "main:2,5,7;add:11,12");
    free(s);
    /* from inside add: backward stays in add and climbs to both callers' arguments */
    s = test_flows_slice(&fs, "add", 12, NULL, FLOW_SLICE_INTER);
    CHECK_EQ_STR(s, "main:1,2,3,4,5,6;add:11,12;inc:15,16");
    free(s);
    test_flows_close(&fs);
}

/* python3-mccabe 0.7 gives these counts for the same functions (checked with
 * `python3 -m mccabe --min 1`): loops 6, try 4, match inside with 1, and/or 3 (boolean operators
 * and the conditional expression do not count); E-N+2 counts each operand. */
PITH_TEST(flow_complexity_and_edges)
{
    struct test_flows fs;
    test_flows_open_py(&fs, "def loops(rows):\n"        /* 1 */
                            "    for row in rows:\n"    /* 2 */
                            "        if not row:\n"     /* 3 */
                            "            continue\n"    /* 4 */
                            "        for x in row:\n"   /* 5 */
                            "            if x < 0:\n"   /* 6 */
                            "                break\n"   /* 7 */
                            "        else:\n"           /* 8 */
                            "            row = 1\n"     /* 9 */
                            "    while rows:\n"         /* 10 */
                            "        rows = 0\n"        /* 11 */
                            "    return rows\n"         /* 12 */
                            "def tf(p):\n"              /* 13 */
                            "    try:\n"                /* 14 */
                            "        if p:\n"           /* 15 */
                            "            return g(p)\n" /* 16 */
                            "    except E:\n"           /* 17 */
                            "        raise\n"           /* 18 */
                            "    finally:\n"            /* 19 */
                            "        done()\n"          /* 20 */
                            "    return 0\n"            /* 21 */
                            "def sc(a, b, c):\n"        /* 22 */
                            "    if a and (b or not c):\n"
                            "        return 1 if b else 2\n"
                            "    return 3\n");
    const Pith__FunctionFlow *f = test_flow_named(&fs, "loops");
    CHECK(f != NULL);
    if (f) {
        CHECK_EQ_INT(f->complexity, 6);
        CHECK_EQ_INT(f->cyclomatic, 6);
        CHECK(test_flow_has_edge(f, 4, "continue", 2, PITH__FLOW_EDGE_KIND__FEDGE_BACK));
        CHECK(test_flow_has_edge(f, 7, "break", 2,
                                 PITH__FLOW_EDGE_KIND__FEDGE_BACK)); /* skips the else */
        CHECK(
            test_flow_has_edge(f, 5, "for", 9, PITH__FLOW_EDGE_KIND__FEDGE_FALSE));  /* loop else */
        CHECK(test_flow_has_edge(f, 3, NULL, 4, PITH__FLOW_EDGE_KIND__FEDGE_FALSE)); /* not row */
        CHECK(test_flow_has_edge(f, 11, NULL, 10, PITH__FLOW_EDGE_KIND__FEDGE_BACK));
    }
    f = test_flow_named(&fs, "tf");
    CHECK(f != NULL);
    if (f) {
        CHECK_EQ_INT(f->complexity, 4);
        /* return inside try goes through finally, which leaves for EXIT by a FINALLY edge */
        CHECK(test_flow_has_edge(f, 16, "return", 20, PITH__FLOW_EDGE_KIND__FEDGE_FALL));
        CHECK(test_flow_has_edge(f, 16, "return", 17, PITH__FLOW_EDGE_KIND__FEDGE_EXCEPT));
        CHECK(test_flow_has_edge(f, 18, "raise", 20, PITH__FLOW_EDGE_KIND__FEDGE_EXCEPT));
        CHECK(test_flow_has_edge(f, 20, "stmt", 13,
                                 PITH__FLOW_EDGE_KIND__FEDGE_FINALLY)); /* to EXIT */
        CHECK(test_flow_has_edge(f, 20, "stmt", 21, PITH__FLOW_EDGE_KIND__FEDGE_FALL));
    }
    f = test_flow_named(&fs, "sc");
    CHECK(f != NULL);
    if (f) {
        CHECK_EQ_INT(f->complexity, 2);
        CHECK_EQ_INT(f->cyclomatic, 5); /* a, b, c and the conditional expression's b */
    }
    test_flows_close(&fs);
}

/* ---- C constructs the Python front end never emits, as the C lowering will give them ----- */

struct irb {
    Pith__IrStmt st[32];
    Pith__IrStmt *sp[32];
    uint32_t lists[32][4];
    char *strs[32][2];
    size_t n;
};

static uint32_t
irb_add(struct irb *b, Pith__IrOp op, uint32_t line, const char *def, const char *use)
{
    size_t i = b->n++;
    Pith__IrStmt init = PITH__IR_STMT__INIT;
    b->st[i] = init;
    b->st[i].op = op;
    b->st[i].line = b->st[i].end_line = line;
    if (def) {
        b->strs[i][0] = (char *)def;
        b->st[i].defs = &b->strs[i][0];
        b->st[i].n_defs = 1;
    }
    if (use) {
        b->strs[i][1] = (char *)use;
        b->st[i].uses = &b->strs[i][1];
        b->st[i].n_uses = 1;
    }
    b->sp[i] = &b->st[i];
    return (uint32_t)i + 1;
}

/* Sets a list (body or handlers) of statement `id` from up to 4 ids (0 ends). */
static void irb_list(struct irb *b, uint32_t id, int handlers, uint32_t a, uint32_t c, uint32_t d)
{
    uint32_t *l = b->lists[id - 1];
    size_t n = 0;
    uint32_t v[3] = { a, c, d };
    for (int i = 0; i < 3 && v[i]; i++)
        l[n++] = v[i];
    if (handlers) {
        b->st[id - 1].handlers = l;
        b->st[id - 1].n_handlers = n;
    } else {
        b->st[id - 1].body = l;
        b->st[id - 1].n_body = n;
    }
}

/*  1 int f(int x) {
 *  2     int r = 0;
 *  3     switch (x) {
 *  4     case 1: r = 1;              falls through into case 2
 *  5     case 2: r += 2; break;
 *  6     default: r = 9;
 *  7     }
 *  8     if (r < 0) goto out;
 *  9     do { r--; } while (r > 5);
 * 10 out: return r;
 *    }                                                                                      */
PITH_TEST(flow_c_switch_goto_do_while)
{
    struct irb b = { 0 };
    uint32_t s_r = irb_add(&b, PITH__IR_OP__IR_SIMPLE, 2, "r", NULL);
    uint32_t sw = irb_add(&b, PITH__IR_OP__IR_SWITCH, 3, NULL, "x");
    uint32_t c1 = irb_add(&b, PITH__IR_OP__IR_CASE, 4, NULL, NULL);
    uint32_t a1 = irb_add(&b, PITH__IR_OP__IR_SIMPLE, 4, "r", NULL);
    uint32_t c2 = irb_add(&b, PITH__IR_OP__IR_CASE, 5, NULL, NULL);
    uint32_t a2 = irb_add(&b, PITH__IR_OP__IR_SIMPLE, 5, "r", "r");
    uint32_t br = irb_add(&b, PITH__IR_OP__IR_BREAK, 5, NULL, NULL);
    uint32_t cd = irb_add(&b, PITH__IR_OP__IR_CASE, 6, NULL, NULL);
    uint32_t a3 = irb_add(&b, PITH__IR_OP__IR_SIMPLE, 6, "r", NULL);
    uint32_t iff = irb_add(&b, PITH__IR_OP__IR_IF, 8, NULL, NULL);
    uint32_t t1 = irb_add(&b, PITH__IR_OP__IR_TEST, 8, NULL, "r");
    uint32_t go = irb_add(&b, PITH__IR_OP__IR_GOTO, 8, NULL, NULL);
    uint32_t dw = irb_add(&b, PITH__IR_OP__IR_DO_WHILE, 9, NULL, NULL);
    uint32_t dec = irb_add(&b, PITH__IR_OP__IR_SIMPLE, 9, "r", "r");
    uint32_t t2 = irb_add(&b, PITH__IR_OP__IR_TEST, 9, NULL, "r");
    uint32_t lab = irb_add(&b, PITH__IR_OP__IR_LABEL, 10, NULL, NULL);
    uint32_t ret = irb_add(&b, PITH__IR_OP__IR_RETURN, 10, NULL, "r");
    irb_list(&b, sw, 1, c1, c2, cd);
    irb_list(&b, c1, 0, a1, 0, 0);
    irb_list(&b, c2, 0, a2, br, 0);
    irb_list(&b, cd, 0, a3, 0, 0);
    b.st[cd - 1].is_default = 1;
    b.st[iff - 1].cond = t1;
    irb_list(&b, iff, 0, go, 0, 0);
    b.st[go - 1].label = (char *)"out";
    b.st[lab - 1].label = (char *)"out";
    b.st[dw - 1].cond = t2;
    irb_list(&b, dw, 0, dec, 0, 0);
    uint32_t top[] = { s_r, sw, iff, dw, lab, ret };
    char *params[] = { (char *)"x" };
    Pith__FunctionIr ir = PITH__FUNCTION_IR__INIT;
    ir.line = 1;
    ir.params = params;
    ir.n_params = 1;
    ir.stmts = b.sp;
    ir.n_stmts = b.n;
    ir.body = top;
    ir.n_body = 6;

    struct pith_arena a;
    pith_arena_init(&a);
    struct flow fl;
    cfg_build(&fl, &a, &ir, NULL, 0);
    dfg_solve(&fl);
    pdg_build(&fl);
    Pith__FunctionFlow *f = flow_to_proto(&fl);
    flow_release(&fl);
    CHECK(test_flow_has_edge(f, 3, "switch", 4, PITH__FLOW_EDGE_KIND__FEDGE_CASE));
    CHECK(test_flow_has_edge(f, 3, "switch", 5, PITH__FLOW_EDGE_KIND__FEDGE_CASE));
    CHECK(test_flow_has_edge(f, 3, "switch", 6, PITH__FLOW_EDGE_KIND__FEDGE_CASE));
    CHECK(!test_flow_has_edge(f, 3, "switch", 8,
                              PITH__FLOW_EDGE_KIND__FEDGE_FALSE)); /* has a default */
    CHECK(test_flow_has_edge(f, 4, "stmt", 5, PITH__FLOW_EDGE_KIND__FEDGE_FALL)); /* fall-through */
    CHECK(test_flow_has_edge(f, 5, "break", 8, PITH__FLOW_EDGE_KIND__FEDGE_FALL));
    CHECK(!test_flow_has_edge(f, 5, "break", 6, PITH__FLOW_EDGE_KIND__FEDGE_FALL));
    CHECK(test_flow_has_edge(f, 6, "stmt", 8, PITH__FLOW_EDGE_KIND__FEDGE_FALL));
    CHECK(
        test_flow_has_edge(f, 8, "goto", 10, PITH__FLOW_EDGE_KIND__FEDGE_FALL)); /* to the label */
    /* body again: a branch keeps its true/false kind on the edge that loops back */
    CHECK(test_flow_has_edge(f, 9, "do-while", 9, PITH__FLOW_EDGE_KIND__FEDGE_TRUE));
    CHECK(test_flow_has_edge(f, 9, "do-while", 10, PITH__FLOW_EDGE_KIND__FEDGE_FALSE));
    /* three-way switch, if, do-while: 1 + 2 + 1 + 1 */
    CHECK_EQ_INT(f->cyclomatic, 5);
    /* every write of r reaches the return through some path except the overwritten r = 1 */
    int reach[11] = { 0 };
    for (size_t i = 0; i < f->n_du; i++) {
        const Pith__FlowNode *d = f->nodes[f->du[i]->def - 1], *u = f->nodes[f->du[i]->use - 1];
        if (u->line == 10 && strcmp(u->text, "return") == 0 && d->line <= 10)
            reach[d->line] = 1;
    }
    CHECK(!reach[2] && !reach[4] && reach[5] && reach[6] && reach[9]);
    /* the return runs on every path: control dependent on the entry only */
    for (size_t i = 0; i < f->n_cd; i++) {
        if (f->nodes[f->cd[i]->dst - 1]->line == 10 &&
            strcmp(f->nodes[f->cd[i]->dst - 1]->text, "return") == 0)
            CHECK_EQ_INT(f->cd[i]->src, 1);
    }
    pith_arena_release(&a);
}
