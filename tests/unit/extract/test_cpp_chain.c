/* A C++ chain of overloaded operator calls (tests/fixtures/cpp_chain: m << val(a + 0) << ...
 * << val(a + 39)), as googletest writes its messages. The flow lowering took the left operand of
 * an operator call for its callee and lowered it a second time at every level: 2^40 here, a hang
 * (googletest's gtest-port.cc and gtest-printers.cc did not finish). Each call is lowered once:
 * the statement's IR holds exactly 40 calls of val and 40 of operator<<, and the call sites bind
 * by USR. */
#include "common/buf.h"
#include "common/file.h"
#include "common/mem.h"
#include "common/stagefile.h"
#include "extract/extract.h"
#include "schemas/facts.pb-c.h"
#include "tests/harness/harness.h"

#include <string.h>

#define CHAIN_LEN 40

static void put_file(const char *dir, const char *name, const char *text)
{
    struct pith_buf p = PITH_BUF_INIT;
    pith_buf_printf(&p, "%s/%s", dir, name);
    CHECK_EQ_INT(pith_file_write_atomic(p.ptr, text, strlen(text)), 0);
    pith_buf_release(&p);
}

PITH_TEST(cpp_operator_chain_lowered_once)
{
    const char *dir = pith_test_tmpdir();
    struct pith_buf src = PITH_BUF_INIT, data = PITH_BUF_INIT, db = PITH_BUF_INIT,
                    out = PITH_BUF_INIT;
    pith_buf_printf(&src, "%s/cpp_chain/chain.cpp", pith_test_fixtures());
    CHECK_EQ_INT(pith_file_read(&data, src.ptr, 1 << 20), 0);
    put_file(dir, "chain.cpp", data.ptr ? data.ptr : "");
    pith_buf_printf(&db,
                    "[{\"directory\":\"%s\",\"file\":\"chain.cpp\",\"arguments\":[\"c++\","
                    "\"-std=c++14\",\"-c\",\"chain.cpp\"]}]",
                    dir);
    put_file(dir, "compile_commands.json", db.ptr);
    pith_buf_printf(&out, "%s.facts", dir);

    struct extract_options opt = { 0 };
    opt.repo = dir;
    opt.output = out.ptr;
    opt.jobs = 1;
    opt.max_size = EXTRACT_DEFAULT_MAX_SIZE;
    struct extract_stats st;
    CHECK_EQ_INT(extract_run(&st, &opt), 0);

    struct pith_stage_reader r;
    CHECK_EQ_INT(pith_stage_reader_open(&r, out.ptr, PITH_STAGE_FACTS), 0);
    const uint8_t *rec;
    size_t len;
    int seen = 0;
    while (pith_stage_reader_next(&r, &rec, &len) == 1) {
        Pith__FileFacts *f = pith__file_facts__unpack(NULL, len, rec);
        CHECK(f != NULL);
        if (!f || strcmp(f->path, "chain.cpp") != 0) {
            if (f)
                pith__file_facts__free_unpacked(f, NULL);
            continue;
        }
        seen = 1;
        /* the call sites: each written call once, bound by USR */
        int val_sites = 0, op_sites = 0;
        for (size_t i = 0; i < f->n_c_calls; i++) {
            const Pith__CallSite *c = f->c_calls[i];
            if (!strcmp(c->callee, "val")) {
                val_sites++;
                CHECK_EQ_STR(c->callee_usr, "c:@F@val#I#");
            } else if (!strcmp(c->callee, "operator<<")) {
                op_sites++;
                CHECK_EQ_STR(c->callee_usr, "c:@S@Msg@F@operator<<#I#");
            }
        }
        CHECK_EQ_INT(val_sites, CHAIN_LEN);
        CHECK_EQ_INT(op_sites, CHAIN_LEN);
        CHECK_EQ_INT((long long)f->n_c_calls, 2 * CHAIN_LEN);

        /* the IR of emit: one statement evaluates the 80 calls, each once */
        const Pith__FunctionIr *emit = NULL;
        for (size_t i = 0; i < f->n_bodies; i++) {
            uint32_t id = f->bodies[i]->symbol; /* 1-based index into symbols */
            if (id >= 1 && id <= f->n_symbols &&
                !strcmp(f->symbols[id - 1]->qualname, "emit(Msg &, int)"))
                emit = f->bodies[i];
        }
        CHECK(emit != NULL);
        int val_calls = 0, op_calls = 0, other = 0;
        for (size_t s = 0; emit && s < emit->n_stmts; s++) {
            const Pith__IrStmt *is = emit->stmts[s];
            for (size_t k = 0; k < is->n_calls; k++) {
                const Pith__IrCall *c = is->calls[k];
                if (!strcmp(c->callee, "val")) {
                    val_calls++;
                    CHECK_EQ_INT((long long)c->n_args, 1);
                    if (c->n_args == 1) {
                        CHECK_EQ_INT((long long)c->args[0]->n_uses, 1);
                        if (c->args[0]->n_uses == 1)
                            CHECK_EQ_STR(c->args[0]->uses[0], "a");
                    }
                } else if (!strcmp(c->callee, "operator<<")) {
                    op_calls++;
                } else {
                    other++;
                }
            }
        }
        CHECK_EQ_INT(val_calls, CHAIN_LEN);
        CHECK_EQ_INT(op_calls, CHAIN_LEN);
        CHECK_EQ_INT(other, 0);
        pith__file_facts__free_unpacked(f, NULL);
    }
    pith_stage_reader_release(&r);
    CHECK(seen);
    pith_buf_release(&src);
    pith_buf_release(&data);
    pith_buf_release(&db);
    pith_buf_release(&out);
}
