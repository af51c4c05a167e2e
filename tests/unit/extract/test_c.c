/* The C/C++ front ends of pith-extract: compile_commands.json reading, libclang facts (USRs,
 * statics, macro call sites, address-taken functions and where they are stored, a header's
 * function recorded once, a unit that does not compile recorded and skipped) and the
 * tree-sitter fallback without a database. */
#include "common/buf.h"
#include "common/err.h"
#include "common/file.h"
#include "common/mem.h"
#include "common/stagefile.h"
#include "extract/compdb.h"
#include "extract/extract.h"
#include "extract/lang_c.h"
#include "schemas/facts.pb-c.h"
#include "tests/harness/harness.h"

#include <stdlib.h>
#include <string.h>

static void put(const char *dir, const char *name, const char *text)
{
    struct pith_buf p = PITH_BUF_INIT;
    pith_buf_printf(&p, "%s/%s", dir, name);
    CHECK_EQ_INT(pith_file_write_atomic(p.ptr, text, strlen(text)), 0);
    pith_buf_release(&p);
}

static void copy_fixture(const char *sub, const char *dst, const char *name)
{
    struct pith_buf src = PITH_BUF_INIT, data = PITH_BUF_INIT;
    pith_buf_printf(&src, "%s/%s/%s", pith_test_fixtures(), sub, name);
    CHECK_EQ_INT(pith_file_read(&data, src.ptr, 1 << 20), 0);
    put(dst, name, data.ptr ? data.ptr : "");
    pith_buf_release(&src);
    pith_buf_release(&data);
}

struct facts {
    PITH_VEC(Pith__FileFacts *) v;
    struct extract_stats st;
};

static void run_extract(struct facts *out, const char *repo, const char *compdb)
{
    struct pith_buf path = PITH_BUF_INIT;
    pith_buf_printf(&path, "%s.facts", repo);
    struct extract_options opt = { 0 };
    opt.repo = repo;
    opt.output = path.ptr;
    opt.jobs = 3;
    opt.max_size = EXTRACT_DEFAULT_MAX_SIZE;
    opt.compdb = compdb;
    memset(out, 0, sizeof *out);
    CHECK_EQ_INT(extract_run(&out->st, &opt), 0);
    struct pith_stage_reader r;
    CHECK_EQ_INT(pith_stage_reader_open(&r, path.ptr, PITH_STAGE_FACTS), 0);
    const uint8_t *rec;
    size_t len;
    while (pith_stage_reader_next(&r, &rec, &len) == 1) {
        Pith__FileFacts *f = pith__file_facts__unpack(NULL, len, rec);
        CHECK(f != NULL);
        if (f)
            pith_vec_push(&out->v, f);
    }
    pith_stage_reader_release(&r);
    pith_buf_release(&path);
}

static void facts_release(struct facts *f)
{
    for (size_t i = 0; i < f->v.count; i++)
        pith__file_facts__free_unpacked(f->v.items[i], NULL);
    pith_vec_release(&f->v);
}

static const Pith__FileFacts *file(const struct facts *f, const char *path)
{
    for (size_t i = 0; i < f->v.count; i++) {
        if (!strcmp(f->v.items[i]->path, path))
            return f->v.items[i];
    }
    return NULL;
}

static const Pith__Symbol *sym(const Pith__FileFacts *ff, const char *qualname)
{
    for (size_t i = 0; ff && i < ff->n_symbols; i++) {
        if (!strcmp(ff->symbols[i]->qualname, qualname))
            return ff->symbols[i];
    }
    return NULL;
}

static const Pith__CallSite *call(const Pith__FileFacts *ff, const char *callee)
{
    for (size_t i = 0; ff && i < ff->n_c_calls; i++) {
        if (!strcmp(ff->c_calls[i]->callee, callee))
            return ff->c_calls[i];
    }
    return NULL;
}

static const Pith__FuncRef *ref(const Pith__FileFacts *ff, const char *name, int context)
{
    for (size_t i = 0; ff && i < ff->n_func_refs; i++) {
        if (!strcmp(ff->func_refs[i]->name, name) && (int)ff->func_refs[i]->context == context)
            return ff->func_refs[i];
    }
    return NULL;
}

PITH_TEST(c_compdb_command_and_arguments)
{
    const char *dir = pith_test_tmpdir();
    put(dir, "cc.json",
        "[{\"directory\": \"/r/build\", \"file\": \"../src/a.c\",\n"
        "  \"command\": \"gcc -DX='a b' -I\\\"inc dir\\\" -c ../src/a.c -o a.o\"},\n"
        " {\"directory\": \"/r\", \"file\": \"/r/src/b.c\",\n"
        "  \"arguments\": [\"cc\", \"-Iinc\", \"-c\", \"src/b.c\"]},\n"
        " {\"directory\": \"/r\", \"file\": \"src/a.c\", \"arguments\": [\"cc\", \"-DDUP\"]},\n"
        " {\"file\": \"no_directory.c\"}]");
    struct pith_buf p = PITH_BUF_INIT;
    pith_buf_printf(&p, "%s/cc.json", dir);
    struct compdb db = { 0 };
    CHECK_EQ_INT(compdb_load(&db, p.ptr), 0);
    CHECK_EQ_INT(db.count, 2); /* the duplicate of a.c and the entry without directory dropped */
    if (db.count == 2) {
        CHECK_EQ_STR(db.items[0].file, "/r/src/a.c");
        CHECK_EQ_STR(db.items[0].args[0], "-DX=a b");
        CHECK_EQ_STR(db.items[0].args[1], "-Iinc dir");
        CHECK_EQ_STR(db.items[1].file, "/r/src/b.c");
        CHECK_EQ_STR(db.items[1].args[0], "-Iinc");
        /* compiler, -c, -o and the source are gone; the working directory is passed on */
        CHECK_EQ_STR(db.items[1].args[db.items[1].arg_count - 2], "-working-directory");
        CHECK_EQ_STR(db.items[1].args[db.items[1].arg_count - 1], "/r");
    }
    compdb_release(&db);
    put(dir, "bad.json", "{\"not\": \"an array\"}");
    pith_buf_clear(&p);
    pith_buf_printf(&p, "%s/bad.json", dir);
    struct compdb bad = { 0 };
    CHECK_EQ_INT(compdb_load(&bad, p.ptr), PITH_EPARSE);
    compdb_release(&bad);
    char *abs = compdb_abspath("/a/b", "../c/./d/../e.c");
    CHECK_EQ_STR(abs, "/a/c/e.c");
    free(abs);
    pith_buf_release(&p);
}

PITH_TEST(c_clang_facts)
{
    const char *dir = pith_test_tmpdir();
    static const char *const names[] = { "util.h", "a.c", "b.c", "ops.c", "cmd.c", "broken.c" };
    for (size_t i = 0; i < 6; i++)
        copy_fixture("c", dir, names[i]);
    struct pith_buf db = PITH_BUF_INIT;
    pith_buf_puts(&db, "[");
    for (size_t i = 1; i < 6; i++)
        pith_buf_printf(
            &db, "%s{\"directory\":\"%s\",\"file\":\"%s\",\"arguments\":[\"cc\",\"-c\",\"%s\"]}",
            i > 1 ? "," : "", dir, names[i], names[i]);
    pith_buf_puts(&db, "]");
    /* the database lives outside the repository here: --compdb */
    struct pith_buf dbpath = PITH_BUF_INIT;
    pith_buf_printf(&dbpath, "%s.compdb.json", dir);
    CHECK_EQ_INT(pith_file_write_atomic(dbpath.ptr, db.ptr, db.len), 0);
    struct facts f;
    run_extract(&f, dir, dbpath.ptr);
    CHECK_EQ_INT(f.v.count, 6);
    CHECK_EQ_INT(f.st.skipped, 1);

    const Pith__FileFacts *broken = file(&f, "broken.c");
    CHECK(broken != NULL);
    if (broken) {
        CHECK_EQ_INT(broken->status, PITH__FILE_STATUS__FILE_SKIPPED_PARSE);
        CHECK(strstr(broken->skip_reason, "missing_header.h") != NULL);
        CHECK_EQ_INT(broken->n_symbols, 0);
    }
    /* statics: distinct USRs naming their file */
    const Pith__Symbol *ha = sym(file(&f, "a.c"), "helper"), *hb = sym(file(&f, "b.c"), "helper");
    CHECK(ha && hb);
    if (ha && hb) {
        CHECK(ha->is_static && hb->is_static);
        CHECK_EQ_STR(ha->usr, "c:a.c@F@helper");
        CHECK_EQ_STR(hb->usr, "c:b.c@F@helper");
        CHECK_EQ_STR(ha->signature, "static int helper(int x)");
        CHECK_EQ_STR(ha->docstring, "/* helper in a.c */");
        CHECK_EQ_INT(ha->start_line, 4);
        CHECK_EQ_INT(ha->end_line, 7);
    }
    /* the static inline header function: once, in the header, though two units include it */
    const Pith__FileFacts *util = file(&f, "util.h");
    CHECK(util != NULL);
    if (util) {
        CHECK_EQ_INT(util->n_symbols, 1);
        CHECK(sym(util, "twice") != NULL);
    }
    /* a call written inside LOG(...) belongs to a_entry, at the line of the expansion */
    const Pith__CallSite *lw = call(file(&f, "a.c"), "log_write");
    CHECK(lw != NULL);
    if (lw) {
        CHECK_EQ_STR(lw->macro, "LOG");
        CHECK_EQ_INT(lw->line, 16);
        CHECK_EQ_STR(file(&f, "a.c")->symbols[lw->caller - 1]->name, "a_entry");
    }
    /* where addresses go */
    const Pith__FileFacts *ops = file(&f, "ops.c"), *cmd = file(&f, "cmd.c");
    const Pith__FuncRef *r = ref(ops, "ext4_open", PITH__FUNC_REF__CONTEXT__FIELD);
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ_STR(r->target_name, "ops.open");
        CHECK_EQ_STR(r->target_usr, "c:@S@ops@FI@open");
        CHECK_EQ_STR(r->owner, "ext4_ops");
        CHECK_EQ_STR(r->fn_type, "int (const char *)");
    }
    r = ref(ops, "nfs_open", PITH__FUNC_REF__CONTEXT__FIELD); /* positional initialiser */
    CHECK(r != NULL);
    if (r)
        CHECK_EQ_STR(r->target_name, "ops.open");
    r = ref(cmd, "get_command", PITH__FUNC_REF__CONTEXT__FIELD); /* command table */
    CHECK(r != NULL);
    if (r)
        CHECK_EQ_STR(r->target_name, "command.fn");
    r = ref(cmd, "square", PITH__FUNC_REF__CONTEXT__ARGUMENT);
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ_STR(r->target_usr, "c:@F@apply");
        CHECK_EQ_INT(r->arg_index, 0);
    }
    CHECK(ref(cmd, "inc", PITH__FUNC_REF__CONTEXT__ARRAY) != NULL);
    CHECK(ref(cmd, "dec", PITH__FUNC_REF__CONTEXT__VARIABLE) != NULL);
    /* calls through pointers */
    const Pith__CallSite *c = call(ops, "ops.open");
    CHECK(c != NULL);
    if (c) {
        CHECK_EQ_INT(c->target, PITH__CALL_TARGET__CALL_TARGET_FIELD);
        CHECK_EQ_STR(c->target_usr, "c:@S@ops@FI@open");
        CHECK_EQ_STR(c->fn_type, "int (const char *)");
    }
    c = call(cmd, "cb");
    CHECK(c != NULL);
    if (c)
        CHECK_EQ_INT(c->target, PITH__CALL_TARGET__CALL_TARGET_PARAM);
    c = call(cmd, "handlers[i]");
    CHECK(c != NULL);
    if (c)
        CHECK_EQ_INT(c->target, PITH__CALL_TARGET__CALL_TARGET_OTHER);
    facts_release(&f);
    pith_buf_release(&db);
    pith_buf_release(&dbpath);
}

PITH_TEST(c_clang_cpp_symbols)
{
    const char *dir = pith_test_tmpdir();
    copy_fixture("cpp", dir, "shapes.hpp");
    copy_fixture("cpp", dir, "shapes.cpp");
    copy_fixture("cpp", dir, "main.cpp");
    struct pith_buf db = PITH_BUF_INIT;
    pith_buf_printf(
        &db,
        "[{\"directory\":\"%s\",\"file\":\"shapes.cpp\",\"command\":\"c++ -std=c++17 -c "
        "shapes.cpp\"},{\"directory\":\"%s\",\"file\":\"main.cpp\",\"command\":\"c++ "
        "-std=c++17 -c main.cpp\"}]",
        dir, dir);
    put(dir, "compile_commands.json", db.ptr); /* found at the repository root */
    struct facts f;
    run_extract(&f, dir, NULL);
    const Pith__FileFacts *hpp = file(&f, "shapes.hpp"), *cpp = file(&f, "shapes.cpp"),
                          *m = file(&f, "main.cpp");
    CHECK(hpp && cpp && m);
    if (hpp && cpp && m) {
        CHECK_EQ_STR(hpp->language, "cpp");
        const Pith__Symbol *s = sym(cpp, "geo::Square::area()");
        CHECK(s != NULL);
        if (s) {
            CHECK_EQ_INT(s->kind, PITH__SYMBOL_KIND__SYMBOL_METHOD);
            CHECK(s->is_virtual);
            CHECK_EQ_INT(s->n_overrides, 1);
            if (s->n_overrides)
                CHECK_EQ_STR(s->overrides[0], "c:@N@geo@S@Shape@F@area#1");
        }
        CHECK(sym(cpp, "geo::Circle::Circle(double)") != NULL); /* constructor */
        CHECK(sym(hpp, "geo::biggest(T, T)") != NULL);          /* template as declared */
        CHECK(sym(m, "util::scale(int)") && sym(m, "util::scale(double)")); /* overloads */
        CHECK(sym(m, "Vec::operator+(const Vec &)") != NULL);               /* operator */
        const Pith__Symbol *t = sym(m, "total(const geo::Shape &)");
        CHECK(t && t->is_static);
        const Pith__CallSite *c = call(m, "area");
        CHECK(c && c->is_virtual);
        c = call(m, "biggest"); /* a template's instantiation is called as the template */
        CHECK(c != NULL);
        if (c)
            CHECK_EQ_STR(c->callee_usr, "c:@N@geo@FT@>1#Tbiggest#t0.0#S0_#S0_#");
    }
    facts_release(&f);
    pith_buf_release(&db);
}

PITH_TEST(c_tree_sitter_without_compdb)
{
    const char *dir = pith_test_tmpdir();
    copy_fixture("c", dir, "a.c");
    copy_fixture("cpp", dir, "main.cpp");
    put(dir, "garbage.c", "int f( { ))) }}} static int ; g(\n");
    struct facts f;
    run_extract(&f, dir, NULL);
    CHECK_EQ_INT(f.v.count, 3);
    const Pith__FileFacts *a = file(&f, "a.c");
    CHECK(a != NULL);
    if (a) {
        CHECK(a->no_compdb);
        CHECK_EQ_INT(a->n_symbols, 6);
        const Pith__Symbol *h = sym(a, "helper");
        CHECK(h && h->is_static);
        CHECK(h && !h->usr[0]);
        const Pith__CallSite *c = call(a, "fact");
        CHECK(c && c->name_only);
        CHECK(call(a, "LOG") != NULL); /* unexpanded: the macro's name */
    }
    const Pith__FileFacts *m = file(&f, "main.cpp");
    CHECK(m && sym(m, "util::scale") == NULL); /* qualified by the declarator only */
    CHECK(m && sym(m, "scale") != NULL);
    CHECK(m && sym(m, "operator+") != NULL);
    const Pith__FileFacts *g = file(&f, "garbage.c");
    CHECK(g && g->status == PITH__FILE_STATUS__FILE_OK); /* error-tolerant, never fatal */
    facts_release(&f);
}

PITH_TEST(c_compdb_drops_depfiles_and_werror)
{
    const char *dir = pith_test_tmpdir();
    put(dir, "cc.json",
        "[{\"directory\": \"/r\", \"file\": \"a.c\", \"arguments\": [\"cc\", \"-Wp,-MMD,.a.o.d\", "
        "\"-MD\", \"-MF\", \"a.d\", \"-Werror\", \"-Werror=vla\", \"-DX\", \"-c\", \"a.c\"]}]");
    struct pith_buf p = PITH_BUF_INIT;
    pith_buf_printf(&p, "%s/cc.json", dir);
    struct compdb db = { 0 };
    CHECK_EQ_INT(compdb_load(&db, p.ptr), 0);
    CHECK_EQ_INT(db.count, 1);
    if (db.count) {
        CHECK_EQ_INT(db.items[0].arg_count, 3); /* -DX, -working-directory /r */
        CHECK_EQ_STR(db.items[0].args[0], "-DX");
    }
    compdb_release(&db);
    pith_buf_release(&p);
}
