/* C/C++ call graph end to end in process: the fixtures tests/fixtures/c and tests/fixtures/cpp
 * are copied to a temporary directory, a compile_commands.json with absolute paths is written
 * there, pith-extract's logic (libclang) and pith-analyze's logic run, and the edges (kinds
 * included) must equal the expected lists exactly. */
#include "analyze/analyze.h"
#include "analyze/callgraph_c.h"
#include "common/buf.h"
#include "common/file.h"
#include "common/mem.h"
#include "common/stagefile.h"
#include "extract/extract.h"
#include "tests/harness/harness.h"

#include <stdlib.h>
#include <string.h>

static void copy_files(const char *sub, const char *dst, const char *const *names)
{
    struct pith_buf src = PITH_BUF_INIT, data = PITH_BUF_INIT, to = PITH_BUF_INIT;
    for (size_t i = 0; names[i]; i++) {
        pith_buf_clear(&src);
        pith_buf_printf(&src, "%s/%s/%s", pith_test_fixtures(), sub, names[i]);
        CHECK_EQ_INT(pith_file_read(&data, src.ptr, 1 << 20), 0);
        pith_buf_clear(&to);
        pith_buf_printf(&to, "%s/%s", dst, names[i]);
        CHECK_EQ_INT(pith_file_write_atomic(to.ptr, data.ptr, data.len), 0);
    }
    pith_buf_release(&src);
    pith_buf_release(&data);
    pith_buf_release(&to);
}

/* compile_commands.json for the units `names` of `dir`, each compiled with `cc` (a command). */
static void write_compdb(const char *dir, const char *cc, const char *const *names)
{
    struct pith_buf b = PITH_BUF_INIT, path = PITH_BUF_INIT;
    pith_buf_puts(&b, "[");
    for (size_t i = 0; names[i]; i++)
        pith_buf_printf(&b,
                        "%s{\"directory\": \"%s\", \"file\": \"%s/%s\", \"command\": \"%s -c %s\"}",
                        i ? ",\n" : "", dir, dir, names[i], cc, names[i]);
    pith_buf_puts(&b, "]\n");
    pith_buf_printf(&path, "%s/compile_commands.json", dir);
    CHECK_EQ_INT(pith_file_write_atomic(path.ptr, b.ptr, b.len), 0);
    pith_buf_release(&b);
    pith_buf_release(&path);
}

struct built {
    PITH_VEC(Pith__FileFacts *) facts;
    struct analyze_graph *g;
    struct callgraph_c *c;
    struct callgraph_c_stats st;
};

static void build(struct built *out, const char *repo, int jobs)
{
    struct pith_buf facts = PITH_BUF_INIT;
    pith_buf_printf(&facts, "%s.facts", repo);
    struct extract_options opt = { 0 };
    opt.repo = repo;
    opt.output = facts.ptr;
    opt.jobs = jobs;
    opt.max_size = EXTRACT_DEFAULT_MAX_SIZE;
    struct extract_stats st;
    CHECK_EQ_INT(extract_run(&st, &opt), 0);
    struct pith_stage_reader r;
    memset(out, 0, sizeof *out);
    CHECK_EQ_INT(pith_stage_reader_open(&r, facts.ptr, PITH_STAGE_FACTS), 0);
    const uint8_t *rec;
    size_t len;
    while (pith_stage_reader_next(&r, &rec, &len) == 1) {
        Pith__FileFacts *f = pith__file_facts__unpack(NULL, len, rec);
        CHECK(f != NULL);
        if (f)
            pith_vec_push(&out->facts, f);
    }
    pith_stage_reader_release(&r);
    analyze_graph_build(&out->g, out->facts.items, out->facts.count, NULL, 1);
    callgraph_c_build(&out->c, &out->st, &out->g->graph, out->facts.items, out->facts.count);
    pith_buf_release(&facts);
}

static void built_release(struct built *b)
{
    callgraph_c_free(b->c);
    analyze_graph_free(b->g);
    for (size_t i = 0; i < b->facts.count; i++)
        pith__file_facts__free_unpacked(b->facts.items[i], NULL);
    pith_vec_release(&b->facts);
}

static const char *const c_files[] = { "util.h", "a.c", "b.c", "ops.c", "cmd.c", "broken.c", NULL };
static const char *const c_units[] = { "a.c", "b.c", "ops.c", "cmd.c", "broken.c", NULL };

static const char c_expected[] = "a.c:helper -> util.h:twice direct 6\n"
                                 "a.c:a_entry -> a.c:log_write direct 16\n"
                                 "a.c:a_entry -> a.c:helper direct 17\n"
                                 "a.c:fact -> a.c:fact direct 23\n"
                                 "a.c:even -> a.c:odd direct 28\n"
                                 "a.c:odd -> a.c:even direct 33\n"
                                 "b.c:helper -> util.h:twice direct 5\n"
                                 "b.c:b_entry -> b.c:helper direct 10\n"
                                 "cmd.c:run_command -> strcmp external 22\n"
                                 "cmd.c:run_command -> cmd.c:get_command indirect 23\n"
                                 "cmd.c:run_command -> cmd.c:set_command indirect 23\n"
                                 "cmd.c:apply -> cmd.c:square indirect 35\n"
                                 "cmd.c:use_apply -> cmd.c:apply direct 40\n"
                                 "cmd.c:run_handler -> cmd.c:inc indirect 59\n"
                                 "cmd.c:run_handler -> cmd.c:dec indirect 59\n"
                                 "cmd.c:set_hook -> cmd.c:dec indirect 65\n"
                                 "cmd.c:use_generic -> cmd.c:gen_int direct 82\n"
                                 "ops.c:dispatch_open -> ops.c:ext4_open indirect 27\n"
                                 "ops.c:dispatch_open -> ops.c:nfs_open indirect 27\n";

static const Pith__Edge *find_edge(const Pith__Graph *g, const char *caller, const char *callee)
{
    for (size_t i = 0; i < g->n_edges; i++) {
        const Pith__Edge *e = g->edges[i];
        if (e->caller && e->callee && !strcmp(g->symbols[e->caller - 1]->qualname, caller) &&
            !strcmp(g->symbols[e->callee - 1]->qualname, callee))
            return e;
    }
    return NULL;
}

PITH_TEST(callgraph_c_fixture_edges_exact)
{
    const char *dir = pith_test_tmpdir();
    copy_files("c", dir, c_files);
    write_compdb(dir, "cc", c_units);
    struct built b;
    build(&b, dir, 2);
    struct pith_buf lines = PITH_BUF_INIT;
    analyze_edge_lines(&lines, &b.g->graph);
    CHECK_EQ_STR(lines.ptr, c_expected);
    CHECK_EQ_INT(b.st.files, 6); /* a.c b.c broken.c cmd.c ops.c util.h */
    CHECK_EQ_INT(b.st.no_compdb, 0);
    CHECK_EQ_INT(b.st.indirect, 8);
    /* confidences and reasons */
    const Pith__Edge *e = find_edge(&b.g->graph, "ops.c:dispatch_open", "ops.c:ext4_open");
    CHECK(e != NULL);
    if (e) {
        CHECK_EQ_INT(e->confidence, CG_C_CONF_INDIRECT_SLOT);
        CHECK_EQ_STR(e->reason, "stored in ops.open by ext4_ops (ops.c:14)");
    }
    e = find_edge(&b.g->graph, "a.c:a_entry", "a.c:log_write");
    CHECK(e != NULL);
    if (e) {
        CHECK_EQ_INT(e->confidence, 1000);
        CHECK_EQ_STR(e->reason, "written inside macro LOG");
    }
    e = find_edge(&b.g->graph, "cmd.c:apply", "cmd.c:square");
    CHECK(e != NULL);
    if (e)
        CHECK_EQ_STR(e->reason, "passed as argument 1 of apply (cmd.c:40)");
    /* the static inline header function is one symbol */
    size_t twice = 0;
    for (size_t i = 0; i < b.g->graph.n_symbols; i++)
        twice += !strcmp(b.g->graph.symbols[i]->name, "twice");
    CHECK_EQ_INT(twice, 1);
    pith_buf_release(&lines);
    built_release(&b);
}

PITH_TEST(callgraph_c_same_for_any_jobs)
{
    const char *dir = pith_test_tmpdir();
    copy_files("c", dir, c_files);
    write_compdb(dir, "cc", c_units);
    struct built b1, b4;
    build(&b1, dir, 1);
    build(&b4, dir, 4);
    struct pith_buf d1 = PITH_BUF_INIT, d4 = PITH_BUF_INIT;
    analyze_dump(&d1, &b1.g->graph);
    analyze_dump(&d4, &b4.g->graph);
    CHECK_EQ_STR(d1.ptr, d4.ptr);
    pith_buf_release(&d1);
    pith_buf_release(&d4);
    built_release(&b1);
    built_release(&b4);
}

static const char *const cpp_files[] = { "shapes.hpp", "shapes.cpp", "main.cpp", NULL };
static const char *const cpp_units[] = { "shapes.cpp", "main.cpp", NULL };

static const char cpp_expected[] =
    "main.cpp:Vec::operator+(const Vec &) -> main.cpp:Vec::Vec(int) constructor 17\n"
    "main.cpp:total(const geo::Shape &) -> shapes.cpp:geo::Square::area() virtual 22\n"
    "main.cpp:total(const geo::Shape &) -> shapes.cpp:geo::Circle::area() virtual 22\n"
    "main.cpp:total(const geo::Shape &) -> main.cpp:util::scale(double) direct 22\n"
    "main.cpp:total(const geo::Shape &) -> shapes.hpp:geo::Shape::name() virtual 22\n"
    "main.cpp:total(const geo::Shape &) -> shapes.hpp:geo::Square::name() virtual 22\n"
    "main.cpp:main() -> shapes.hpp:geo::Square::Square(double) constructor 27\n"
    "main.cpp:main() -> shapes.cpp:geo::Circle::Circle(double) constructor 28\n"
    "main.cpp:main() -> main.cpp:util::scale(int) direct 29\n"
    "main.cpp:main() -> main.cpp:Vec::Vec(int) constructor 29\n"
    "main.cpp:main() -> main.cpp:Vec::operator+(const Vec &) direct 29\n"
    "main.cpp:main() -> main.cpp:Vec::Vec(int) constructor 29\n"
    "main.cpp:main() -> shapes.hpp:geo::biggest(T, T) direct 30\n"
    "main.cpp:main() -> main.cpp:total(const geo::Shape &) direct 30\n"
    "main.cpp:main() -> main.cpp:total(const geo::Shape &) direct 30\n"
    "main.cpp:main() -> shapes.hpp:geo::biggest(T, T) direct 31\n"
    "shapes.cpp:geo::Shape::describe() -> shapes.cpp:geo::Square::area() virtual 7\n"
    "shapes.cpp:geo::Shape::describe() -> shapes.cpp:geo::Circle::area() virtual 7\n";

PITH_TEST(callgraph_cpp_fixture_edges_exact)
{
    const char *dir = pith_test_tmpdir();
    copy_files("cpp", dir, cpp_files);
    write_compdb(dir, "c++ -std=c++17", cpp_units);
    struct built b;
    build(&b, dir, 2);
    struct pith_buf lines = PITH_BUF_INIT;
    analyze_edge_lines(&lines, &b.g->graph);
    CHECK_EQ_STR(lines.ptr, cpp_expected);
    const Pith__Edge *e = find_edge(&b.g->graph, "main.cpp:total(const geo::Shape &)",
                                    "shapes.hpp:geo::Shape::name()");
    CHECK(e != NULL);
    if (e)
        CHECK_EQ_INT(e->confidence, 1000);
    e = find_edge(&b.g->graph, "main.cpp:total(const geo::Shape &)",
                  "shapes.hpp:geo::Square::name()");
    CHECK(e != NULL);
    if (e)
        CHECK_EQ_INT(e->confidence, CG_C_CONF_VIRTUAL_OVERRIDE);
    pith_buf_release(&lines);
    built_release(&b);
}

/* Without a database: tree-sitter, names; statics of the caller's file win, the rest are
 * name matches with the reason on every edge. */
PITH_TEST(callgraph_c_no_compdb_name_match)
{
    const char *dir = pith_test_tmpdir();
    static const char *const files[] = { "util.h", "a.c", "b.c", "ops.c", NULL };
    copy_files("c", dir, files);
    struct built b;
    build(&b, dir, 2);
    struct pith_buf lines = PITH_BUF_INIT;
    analyze_edge_lines(&lines, &b.g->graph);
    CHECK_EQ_STR(lines.ptr, "a.c:helper -> util.h:twice direct 6\n"
                            "a.c:a_entry -> LOG external 16\n"
                            "a.c:a_entry -> a.c:helper direct 17\n"
                            "a.c:fact -> a.c:fact direct 23\n"
                            "a.c:even -> a.c:odd direct 28\n"
                            "a.c:odd -> a.c:even direct 33\n"
                            "b.c:helper -> util.h:twice direct 5\n"
                            "b.c:b_entry -> b.c:helper direct 10\n"
                            "ops.c:dispatch_open -> open unresolved 27\n");
    CHECK_EQ_INT(b.st.no_compdb, 4);
    for (size_t i = 0; i < b.g->graph.n_edges; i++) {
        const Pith__Edge *e = b.g->graph.edges[i];
        CHECK(strstr(e->reason, "no compilation database") != NULL);
        CHECK(e->confidence < 1000);
    }
    pith_buf_release(&lines);
    built_release(&b);
}
