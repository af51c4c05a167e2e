/* pith-pack and the artifact reader: round trip, determinism, corruption, versioning, atomic
 * replace, and open time at CPython-stdlib scale. */
#include "common/artifact.h"
#include "common/artifact_dump.h"
#include "common/err.h"
#include "common/file.h"
#include "common/hashmap.h"
#include "common/mem.h"
#include "common/stagefile.h"
#include "pack/pack.h"
#include "pack_fixture.h"
#include "schemas/manifest.pb-c.h"
#include "schemas/record.pb-c.h"
#include "tests/harness/harness.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int open_fixture(struct pith_index **ix, struct pith_buf *shard, struct pith_buf *man)
{
    struct pack_fixture f;
    pack_fixture_init(&f);
    int err = pack_fixture_build(&f, shard, man);
    if (err)
        return err;
    return pith_index_open_mem(ix, man->ptr, man->len, shard->ptr, shard->len, 0);
}

/* Runs every accessor over the whole index (what the fuzzer does); returns a checksum-ish
 * count so the compiler keeps the reads. */
static size_t touch_all(const struct pith_index *ix)
{
    size_t n = 0;
    uint32_t ns = pith_index_symbol_count(ix);
    for (uint32_t id = 0; id <= ns + 1; id++) {
        const struct pith_disk_symbol *s = pith_index_symbol(ix, id);
        if (!s)
            continue;
        n += strlen(pith_index_str(ix, s->qualname)) + strlen(pith_index_str(ix, s->name));
        n += pith_index_find_qualname(ix, pith_index_str(ix, s->qualname));
        const uint32_t *ids;
        n += pith_index_find_name(ix, pith_index_str(ix, s->name), &ids);
        const struct pith_disk_edge *e;
        size_t k = pith_index_callees(ix, id, &e);
        for (size_t i = 0; i < k; i++)
            n += strlen(pith_index_str(ix, e[i].name)) + e[i].other;
        k = pith_index_callers(ix, id, &e);
        for (size_t i = 0; i < k; i++)
            n += e[i].other;
        unsigned char *rec;
        size_t len;
        if (pith_index_record(ix, id, &rec, &len) == 0) {
            n += len;
            free(rec);
        }
    }
    struct pith_lexicon lx;
    pith_index_lexicon(ix, &lx);
    if (lx.header) {
        for (uint32_t t = 0; t < lx.header->term_count; t++)
            n += pith_index_find_term(ix, pith_index_str(ix, lx.terms[t].term)) != NULL;
    }
    struct pith_buf dump = PITH_BUF_INIT;
    pith_dump_section(&dump, ix, "all");
    n += dump.len;
    pith_buf_release(&dump);
    return n;
}

PITH_TEST(pack_round_trip)
{
    struct pith_buf shard = PITH_BUF_INIT, man = PITH_BUF_INIT;
    struct pith_index *ix = NULL;
    int err = open_fixture(&ix, &shard, &man);
    CHECK_EQ_INT(err, 0);
    if (err) {
        fprintf(stderr, "  %s\n", pith_error_last());
        goto out;
    }
    CHECK_EQ_INT(pith_index_symbol_count(ix), FIX_SYMS);
    CHECK_EQ_INT(pith_index_file_count(ix), FIX_FILES);
    CHECK_EQ_STR(pith_index_str(ix, 0), "");
    /* ids are qualname order */
    static const char *const order[] = { "pkg/mod.py",
                                         "pkg/mod.py:HTTPServer",
                                         "pkg/mod.py:HTTPServer.handle_request",
                                         "pkg/mod.py:parse_header",
                                         "tests/test_mod.py",
                                         "tests/test_mod.py:test_parse" };
    for (uint32_t i = 0; i < FIX_SYMS; i++) {
        CHECK_EQ_STR(pith_index_str(ix, pith_index_symbol(ix, i + 1)->qualname), order[i]);
        CHECK_EQ_INT(pith_index_find_qualname(ix, order[i]), i + 1);
    }
    CHECK_EQ_INT(pith_index_find_qualname(ix, "pkg/mod.py:nope"), 0);
    CHECK_EQ_INT(pith_index_find_qualname(ix, ""), 0);
    const struct pith_disk_symbol *hr = pith_index_symbol(ix, 3);
    CHECK_EQ_INT(hr->parent, 2);
    CHECK_EQ_INT(hr->file, 1);
    CHECK_EQ_INT(hr->kind, 4);
    CHECK_EQ_INT(hr->flags, PITH_SYMF_DECORATED);
    CHECK_EQ_STR(pith_index_str(ix, hr->signature), "def handle_request(self, req)");
    CHECK_EQ_INT(pith_index_symbol(ix, 4)->flags, PITH_SYMF_ASYNC);
    CHECK_EQ_INT(pith_index_symbol(ix, 6)->flags, PITH_SYMF_TEST);
    CHECK_EQ_INT(pith_index_symbol(ix, 6)->parent, 5);
    CHECK(pith_index_symbol(ix, 7) == NULL);
    CHECK_EQ_STR(pith_index_str(ix, pith_index_file(ix, 2)->path), "tests/test_mod.py");
    CHECK_EQ_INT(pith_index_file(ix, 1)->content_hash, 0x1234567890abcdefull);

    const uint32_t *ids;
    CHECK_EQ_INT(pith_index_find_name(ix, "parse_header", &ids), 1);
    CHECK_EQ_INT(ids[0], 4);
    CHECK_EQ_INT(pith_index_find_name(ix, "missing", &ids), 0);

    /* callees of handle_request (id 3): external os.path.join at line 9, then parse_header */
    const struct pith_disk_edge *e;
    size_t n = pith_index_callees(ix, 3, &e);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_INT(e[0].other, 0);
        CHECK_EQ_INT(e[0].line, 9);
        CHECK_EQ_INT(e[0].kind, 7);
        CHECK_EQ_STR(pith_index_str(ix, e[0].name), "os.path.join");
        CHECK_EQ_INT(e[1].other, 4);
        CHECK_EQ_INT(e[1].confidence, 1000);
    }
    /* test_parse (id 6) calls parse_header, foo.bar (unresolved), handle_request: by line */
    n = pith_index_callees(ix, 6, &e);
    CHECK_EQ_INT(n, 3);
    if (n == 3) {
        CHECK_EQ_INT(e[0].line, 3);
        CHECK_EQ_INT(e[1].other, 0);
        CHECK_EQ_STR(pith_index_str(ix, e[1].reason), "unknown receiver");
        CHECK_EQ_INT(e[2].other, 3);
    }
    /* callers of handle_request: HTTPServer (2) at line 7 and test_parse (6) at line 5,
     * ordered by caller qualname */
    n = pith_index_callers(ix, 3, &e);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_INT(e[0].other, 2);
        CHECK_EQ_INT(e[1].other, 6);
    }
    n = pith_index_callers(ix, 4, &e);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(pith_index_callers(ix, 1, &e), 0);

    /* records */
    unsigned char *rec;
    size_t len;
    CHECK_EQ_INT(pith_index_record(ix, 4, &rec, &len), 0);
    Pith__SymbolRecord *r = pith__symbol_record__unpack(NULL, len, rec);
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ_STR(r->docstring, "Parse one header line.\n\nReturns a tuple.");
        CHECK_EQ_STR(r->summary, "parse header\ndef parse_header(line)");
        CHECK_EQ_STR(r->comments, "split on colon");
        CHECK(r->is_async);
        pith__symbol_record__free_unpacked(r, NULL);
    }
    free(rec);
    CHECK_EQ_INT(pith_index_record(ix, 0, &rec, &len), 0);
    CHECK_EQ_INT(len, 0);
    free(rec);
    CHECK_EQ_INT(pith_index_record(ix, 99, &rec, &len), PITH_ECORRUPT);

    /* lexicon */
    struct pith_lexicon lx;
    pith_index_lexicon(ix, &lx);
    CHECK(lx.header != NULL);
    CHECK_EQ_INT(lx.header->doc_count, FIX_SYMS + 1);
    const struct pith_disk_term *t = pith_index_find_term(ix, "handlerequest");
    CHECK(t != NULL);
    t = pith_index_find_term(ix, "http");
    CHECK(t != NULL);
    if (t) {
        CHECK_EQ_INT(t->count, 2); /* HTTPServer, HTTPServer.handle_request */
        CHECK_EQ_INT(lx.postings[t->first].doc, 2);
        CHECK_EQ_INT(lx.postings[t->first].tf[0], 1);
    }
    t = pith_index_find_term(ix, "colon"); /* a comment word: field 3 */
    CHECK(t != NULL);
    if (t)
        CHECK_EQ_INT(lx.postings[t->first].tf[3], 1);
    t = pith_index_find_term(ix, "join"); /* a callee name: field 3 */
    CHECK(t != NULL);
    CHECK(pith_index_find_term(ix, "self") == NULL);
    CHECK(pith_index_find_term(ix, "zzz") == NULL);

    const Pith__Manifest *m = pith_index_manifest(ix);
    CHECK_EQ_INT(m->format_version, 1);
    CHECK_EQ_INT(m->symbol_count, FIX_SYMS);
    CHECK_EQ_INT(m->edge_count, FIX_EDGES);
    CHECK_EQ_STR(m->embedder, "none");
    CHECK_EQ_STR(m->source_commit, "0123456789abcdef0123456789abcdef01234567");
    CHECK_EQ_INT(m->n_files, FIX_FILES);
    CHECK(touch_all(ix) > 0);
out:
    pith_index_free(ix);
    pith_buf_release(&shard);
    pith_buf_release(&man);
}

PITH_TEST(pack_deterministic)
{
    struct pack_fixture f;
    pack_fixture_init(&f);
    struct pith_buf s1 = PITH_BUF_INIT, m1 = PITH_BUF_INIT, s2 = PITH_BUF_INIT, m2 = PITH_BUF_INIT;
    CHECK_EQ_INT(pack_fixture_build(&f, &s1, &m1), 0);
    CHECK_EQ_INT(pack_fixture_build(&f, &s2, &m2), 0);
    CHECK_EQ_INT(s1.len, s2.len);
    CHECK_EQ_INT(m1.len, m2.len);
    if (s1.len == s2.len)
        CHECK_EQ_MEM(s1.ptr, s2.ptr, s1.len);
    if (m1.len == m2.len)
        CHECK_EQ_MEM(m1.ptr, m2.ptr, m1.len);
    /* and through the files on disk */
    const char *tmp = pith_test_tmpdir();
    char d1[512], d2[512], p1[600], p2[600];
    snprintf(d1, sizeof d1, "%s/a", tmp);
    snprintf(d2, sizeof d2, "%s/b", tmp);
    CHECK_EQ_INT(pack_write_index(d1, &s1, &m1), 0);
    CHECK_EQ_INT(pack_write_index(d2, &s2, &m2), 0);
    struct pith_buf b1 = PITH_BUF_INIT, b2 = PITH_BUF_INIT;
    snprintf(p1, sizeof p1, "%s/%s", d1, PITH_SHARD_NAME);
    snprintf(p2, sizeof p2, "%s/%s", d2, PITH_SHARD_NAME);
    CHECK_EQ_INT(pith_file_read(&b1, p1, 1 << 20), 0);
    CHECK_EQ_INT(pith_file_read(&b2, p2, 1 << 20), 0);
    CHECK(b1.len == b2.len && memcmp(b1.ptr, b2.ptr, b1.len) == 0);
    pith_buf_release(&b1);
    pith_buf_release(&b2);
    pith_buf_release(&s1);
    pith_buf_release(&s2);
    pith_buf_release(&m1);
    pith_buf_release(&m2);
}

PITH_TEST(pack_open_dir_and_replace)
{
    struct pack_fixture f;
    pack_fixture_init(&f);
    struct pith_buf shard = PITH_BUF_INIT, man = PITH_BUF_INIT;
    CHECK_EQ_INT(pack_fixture_build(&f, &shard, &man), 0);
    const char *tmp = pith_test_tmpdir();
    char dir[512], gpath[600];
    snprintf(dir, sizeof dir, "%s/idx", tmp);
    CHECK_EQ_INT(pack_write_index(dir, &shard, &man), 0);
    struct pith_index *ix = NULL;
    CHECK_EQ_INT(pith_index_open(&ix, dir), 0);
    pith_index_free(ix);
    /* overwrite a good index with a good one */
    CHECK_EQ_INT(pack_write_index(dir, &shard, &man), 0);
    CHECK_EQ_INT(pith_index_open(&ix, dir), 0);
    pith_index_free(ix);

    /* a failed pack (corrupt graph stage file) leaves the index untouched */
    snprintf(gpath, sizeof gpath, "%s/graph.pstg", tmp);
    CHECK_EQ_INT(pith_file_write_atomic(gpath, "PITHSTG1garbage-garbage-garbage!", 32), 0);
    struct pack_options opt = { gpath, NULL, dir, 0 };
    CHECK(pack_run(&opt) < 0);
    CHECK_EQ_INT(pith_index_open(&ix, dir), 0);
    pith_index_free(ix);

    /* a full run from a real stage file */
    size_t n = pith__graph__get_packed_size(&f.g);
    uint8_t *bytes = pith_xmalloc(n + 1);
    pith__graph__pack(&f.g, bytes);
    struct pith_stage_writer w;
    pith_stage_writer_init(&w, PITH_STAGE_GRAPH);
    pith_stage_writer_add(&w, bytes, n);
    CHECK_EQ_INT(pith_stage_writer_finish(&w, gpath), 0);
    pith_stage_writer_release(&w);
    free(bytes);
    CHECK_EQ_INT(pack_run(&opt), 0);
    CHECK_EQ_INT(pith_index_open(&ix, dir), 0);
    if (ix)
        CHECK_EQ_INT(pith_index_symbol_count(ix), FIX_SYMS);
    pith_index_free(ix);
    struct stat st;
    char side[1300];
    snprintf(side, sizeof side, "%s.tmp.%ld", dir, (long)getpid());
    CHECK(stat(side, &st) != 0);
    snprintf(side, sizeof side, "%s.old.%ld", dir, (long)getpid());
    CHECK(stat(side, &st) != 0);

    /* a directory that is not an index is never replaced */
    char other[600];
    snprintf(other, sizeof other, "%s/src", tmp);
    pith_mkdir_p(other);
    snprintf(side, sizeof side, "%s/keep.txt", other);
    pith_file_write_atomic(side, "x", 1);
    CHECK_EQ_INT(pack_write_index(other, &shard, &man), PITH_EUSAGE);
    CHECK(stat(side, &st) == 0);
    pith_buf_release(&shard);
    pith_buf_release(&man);
}

PITH_TEST(pack_every_truncation_refused)
{
    struct pith_buf shard = PITH_BUF_INIT, man = PITH_BUF_INIT;
    struct pith_index *ix = NULL;
    CHECK_EQ_INT(open_fixture(&ix, &shard, &man), 0);
    pith_index_free(ix);
    size_t accepted = 0;
    for (size_t k = 0; k < shard.len; k++) {
        ix = NULL;
        int err = pith_index_open_mem(&ix, man.ptr, man.len, shard.ptr, k, 0);
        if (err == 0) {
            accepted++;
            pith_index_free(ix);
        }
        /* structural checks alone (no checksums, no MANIFEST cross-checks) */
        err =
            pith_index_open_mem(&ix, man.ptr, man.len, shard.ptr, k, PITH_INDEX_OPEN_NO_CHECKSUMS);
        if (err == 0) {
            accepted++;
            pith_index_free(ix);
        }
    }
    for (size_t k = 0; k < man.len; k++) {
        ix = NULL;
        if (pith_index_open_mem(&ix, man.ptr, k, shard.ptr, shard.len, 0) == 0) {
            accepted++;
            fprintf(stderr, "  manifest truncated to %zu accepted\n", k);
            pith_index_free(ix);
        }
    }
    CHECK_EQ_INT(accepted, 0);
    /* through files on disk too, for a sample */
    const char *tmp = pith_test_tmpdir();
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/idx", tmp);
    CHECK_EQ_INT(pack_write_index(dir, &shard, &man), 0);
    snprintf(path, sizeof path, "%s/%s", dir, PITH_SHARD_NAME);
    for (size_t k = 0; k < shard.len; k += 97) {
        pith_file_write_atomic(path, shard.ptr, k);
        CHECK(pith_index_open(&ix, dir) < 0);
    }
    pith_buf_release(&shard);
    pith_buf_release(&man);
}

PITH_TEST(pack_byte_flips_refused)
{
    struct pith_buf shard = PITH_BUF_INIT, man = PITH_BUF_INIT;
    struct pith_index *ix = NULL;
    CHECK_EQ_INT(open_fixture(&ix, &shard, &man), 0);
    pith_index_free(ix);
    unsigned char *copy = pith_xmalloc(shard.len);
    uint32_t seed = 42;
    size_t accepted = 0, unchecked_ok = 0;
    for (int i = 0; i < 2000; i++) {
        memcpy(copy, shard.ptr, shard.len);
        seed = seed * 1103515245u + 12345u;
        size_t pos = (seed >> 4) % shard.len;
        seed = seed * 1103515245u + 12345u;
        unsigned char x = (unsigned char)(1u + (seed >> 8) % 255u);
        copy[pos] ^= x;
        if (pith_index_open_mem(&ix, man.ptr, man.len, copy, shard.len, 0) == 0) {
            accepted++;
            pith_index_free(ix);
        }
        /* without checksums a flip may be accepted (a line number, padding); the accessors
         * must then still be safe */
        if (pith_index_open_mem(&ix, man.ptr, man.len, copy, shard.len,
                                PITH_INDEX_OPEN_NO_CHECKSUMS) == 0) {
            unchecked_ok++;
            touch_all(ix);
            pith_index_free(ix);
        }
    }
    CHECK_EQ_INT(accepted, 0);
    printf("  byte flips: 2000 refused with checksums; %zu of 2000 pass structural checks alone\n",
           unchecked_ok);
    free(copy);
    pith_buf_release(&shard);
    pith_buf_release(&man);
}

PITH_TEST(pack_unknown_version_refused)
{
    struct pith_buf shard = PITH_BUF_INIT, man = PITH_BUF_INIT;
    struct pith_index *ix = NULL;
    CHECK_EQ_INT(open_fixture(&ix, &shard, &man), 0);
    pith_index_free(ix);
    /* MANIFEST version 2 */
    Pith__Manifest *m = pith__manifest__unpack(NULL, man.len, (const uint8_t *)man.ptr);
    CHECK(m != NULL);
    if (!m)
        return;
    m->format_version = 2;
    size_t n = pith__manifest__get_packed_size(m);
    uint8_t *b = pith_xmalloc(n);
    pith__manifest__pack(m, b);
    CHECK_EQ_INT(pith_index_open_mem(&ix, b, n, shard.ptr, shard.len, 0), PITH_EUNSUPPORTED);
    CHECK_EQ_STR(pith_error_last(),
                 "index format version 2 is not supported by this pith (expects 1)");
    /* on disk */
    const char *tmp = pith_test_tmpdir();
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/idx", tmp);
    CHECK_EQ_INT(pack_write_index(dir, &shard, &man), 0);
    snprintf(path, sizeof path, "%s/%s", dir, PITH_MANIFEST_NAME);
    pith_file_write_atomic(path, b, n);
    CHECK_EQ_INT(pith_index_open(&ix, dir), PITH_EUNSUPPORTED);
    CHECK_EQ_STR(pith_error_last(),
                 "index format version 2 is not supported by this pith (expects 1)");
    /* shard header version 7 */
    struct pith_disk_header h;
    memcpy(&h, shard.ptr, sizeof h);
    h.version = 7;
    memcpy(shard.ptr, &h, sizeof h);
    CHECK_EQ_INT(pith_index_open_mem(&ix, man.ptr, man.len, shard.ptr, shard.len,
                                     PITH_INDEX_OPEN_NO_CHECKSUMS),
                 PITH_EUNSUPPORTED);
    CHECK_EQ_STR(pith_error_last(),
                 "index format version 7 is not supported by this pith (expects 1)");
    free(b);
    pith__manifest__free_unpacked(m, NULL);
    pith_buf_release(&shard);
    pith_buf_release(&man);
}

PITH_TEST(pack_empty_graph)
{
    Pith__Graph g = PITH__GRAPH__INIT;
    struct pack_input in = { &g, NULL, NULL };
    struct pith_buf shard = PITH_BUF_INIT, man = PITH_BUF_INIT;
    CHECK_EQ_INT(pack_build(&shard, &man, &in), 0);
    struct pith_index *ix = NULL;
    CHECK_EQ_INT(pith_index_open_mem(&ix, man.ptr, man.len, shard.ptr, shard.len, 0), 0);
    if (ix) {
        CHECK_EQ_INT(pith_index_symbol_count(ix), 0);
        CHECK_EQ_INT(pith_index_find_qualname(ix, "x"), 0);
        touch_all(ix);
    }
    pith_index_free(ix);
    pith_buf_release(&shard);
    pith_buf_release(&man);
}

PITH_TEST(pack_bad_graph_refused)
{
    struct pack_fixture f;
    pack_fixture_init(&f);
    f.edges[0].callee = 99;
    struct pith_buf shard = PITH_BUF_INIT, man = PITH_BUF_INIT;
    CHECK_EQ_INT(pack_fixture_build(&f, &shard, &man), PITH_ECORRUPT);
    pack_fixture_init(&f);
    f.syms[2].parent = 7;
    CHECK_EQ_INT(pack_fixture_build(&f, &shard, &man), PITH_ECORRUPT);
    pith_buf_release(&shard);
    pith_buf_release(&man);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

PITH_TEST(pack_open_time_50k)
{
    Pith__Graph *g = pack_fixture_big(50000);
    struct pack_input in = { g, NULL, NULL };
    struct pith_buf shard = PITH_BUF_INIT, man = PITH_BUF_INIT;
    double t0 = now_ms();
    CHECK_EQ_INT(pack_build(&shard, &man, &in), 0);
    double t1 = now_ms();
    const char *tmp = pith_test_tmpdir();
    char dir[512];
    snprintf(dir, sizeof dir, "%s/idx", tmp);
    CHECK_EQ_INT(pack_write_index(dir, &shard, &man), 0);
    struct pith_index *ix = NULL;
    double best = 1e9;
    for (int i = 0; i < 5; i++) {
        double a = now_ms();
        int err = pith_index_open(&ix, dir);
        double b = now_ms();
        CHECK_EQ_INT(err, 0);
        if (b - a < best)
            best = b - a;
        pith_index_free(ix);
    }
    printf("  50k symbols, 150k edges: pack %.0f ms, shard %zu bytes, MANIFEST %zu bytes, "
           "open %.2f ms\n",
           t1 - t0, shard.len, man.len, best);
    CHECK(best < 100);
    if (getenv("PITH_KEEP_BIG")) {
        pith_rm_rf(getenv("PITH_KEEP_BIG"));
        pack_write_index(getenv("PITH_KEEP_BIG"), &shard, &man);
    }
    pith_buf_release(&shard);
    pith_buf_release(&man);
    pack_fixture_big_free(g);
}

/* Writes the seed corpus of tests/fuzz/fuzz_artifact.c when PITH_WRITE_CORPUS names a folder:
 * small valid shards (each under 64 KiB). */
PITH_TEST(pack_write_fuzz_corpus)
{
    const char *dir = getenv("PITH_WRITE_CORPUS");
    if (!dir)
        return;
    struct pith_buf shard = PITH_BUF_INIT, man = PITH_BUF_INIT;
    char path[1024];
    struct pack_fixture f;
    pack_fixture_init(&f);
    CHECK_EQ_INT(pack_fixture_build(&f, &shard, &man), 0);
    snprintf(path, sizeof path, "%s/fixture.pith", dir);
    CHECK_EQ_INT(pith_file_write_atomic(path, shard.ptr, shard.len), 0);

    Pith__Graph empty = PITH__GRAPH__INIT;
    struct pack_input in = { &empty, NULL, NULL };
    CHECK_EQ_INT(pack_build(&shard, &man, &in), 0);
    snprintf(path, sizeof path, "%s/empty.pith", dir);
    CHECK_EQ_INT(pith_file_write_atomic(path, shard.ptr, shard.len), 0);

    Pith__Graph *g = pack_fixture_big(40);
    in.graph = g;
    CHECK_EQ_INT(pack_build(&shard, &man, &in), 0);
    CHECK(shard.len < 65536);
    snprintf(path, sizeof path, "%s/generated-40.pith", dir);
    CHECK_EQ_INT(pith_file_write_atomic(path, shard.ptr, shard.len), 0);
    pack_fixture_big_free(g);
    pith_buf_release(&shard);
    pith_buf_release(&man);
}

/* The shard is the same bytes for any number of threads, and its orders are the specified ones:
 * SYMS by qualname and NAME by (name, id) in strcmp order (names that share 8+ byte prefixes,
 * bytes >= 0x80, names that are prefixes of others), CALE runs by (line, col, callee, ...).
 * pith-pack's writev path writes the same bytes as pack_build. */
PITH_TEST(pack_jobs_deterministic_and_ordered)
{
    Pith__Graph *g = pack_fixture_big(3000);
    static const char *const names[] = { "getHttpValue",      "getHttpValue_1",
                                         "getHttpValu",       "g",
                                         "\xc3\xa9t\xc3\xa9", "\xc3\xa9",
                                         "getHttpValue_1",    "zz",
                                         "getHttpVal\xff" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        free(g->symbols[i * 7]->name);
        g->symbols[i * 7]->name = pith_xstrdup(names[i]);
    }
    for (size_t i = 0; i < g->n_edges; i += 5)
        g->edges[i]->line = 7; /* ties on line: ordered by col, then callee */
    struct pack_input in = { g, NULL, NULL };
    struct pith_buf one = PITH_BUF_INIT, m1 = PITH_BUF_INIT, many = PITH_BUF_INIT,
                    mm = PITH_BUF_INIT;
    CHECK_EQ_INT(pack_build_jobs(&one, &m1, &in, 1), 0);
    for (unsigned jobs = 2; jobs <= 5; jobs++) {
        CHECK_EQ_INT(pack_build_jobs(&many, &mm, &in, jobs), 0);
        CHECK(one.len == many.len && memcmp(one.ptr, many.ptr, one.len) == 0);
        CHECK(m1.len == mm.len && memcmp(m1.ptr, mm.ptr, m1.len) == 0);
    }
    struct pith_index *ix = NULL;
    CHECK_EQ_INT(pith_index_open_mem(&ix, m1.ptr, m1.len, one.ptr, one.len, 0), 0);
    if (ix) {
        uint32_t n = pith_index_symbol_count(ix);
        CHECK_EQ_INT(n, 3000);
        for (uint32_t id = 2; id <= n; id++)
            CHECK(strcmp(pith_index_str(ix, pith_index_symbol(ix, id - 1)->qualname),
                         pith_index_str(ix, pith_index_symbol(ix, id)->qualname)) < 0);
        size_t len;
        const uint32_t *by_name = (const uint32_t *)pith_index_section(ix, PITH_SEC_NAME, &len);
        CHECK_EQ_INT(len, (size_t)n * 4);
        for (uint32_t i = 1; by_name && i < n; i++) {
            int r = strcmp(pith_index_str(ix, pith_index_symbol(ix, by_name[i - 1])->name),
                           pith_index_str(ix, pith_index_symbol(ix, by_name[i])->name));
            CHECK(r < 0 || (r == 0 && by_name[i - 1] < by_name[i]));
        }
        for (uint32_t id = 1; id <= n; id++) {
            const struct pith_disk_edge *e;
            size_t k = pith_index_callees(ix, id, &e);
            for (size_t i = 1; i < k; i++)
                CHECK(e[i - 1].line < e[i].line ||
                      (e[i - 1].line == e[i].line &&
                       (e[i - 1].col < e[i].col ||
                        (e[i - 1].col == e[i].col && e[i - 1].other <= e[i].other))));
            k = pith_index_callers(ix, id, &e);
            for (size_t i = 1; i < k; i++)
                CHECK(e[i - 1].other < e[i].other ||
                      (e[i - 1].other == e[i].other && e[i - 1].line <= e[i].line));
        }
        pith_index_free(ix);
    }
    /* pith-pack's path: sections written with writev */
    const char *tmp = pith_test_tmpdir();
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/jobs_idx", tmp);
    struct pith_buf gfile = PITH_BUF_INIT, packed = PITH_BUF_INIT;
    pith_buf_grow(&packed, pith__graph__get_packed_size(g));
    packed.len = pith__graph__pack(g, (uint8_t *)packed.ptr);
    struct pith_stage_writer w;
    pith_stage_writer_init(&w, PITH_STAGE_GRAPH);
    pith_stage_writer_add(&w, packed.ptr, packed.len);
    snprintf(path, sizeof path, "%s/jobs.pstg", tmp);
    CHECK_EQ_INT(pith_stage_writer_finish(&w, path), 0);
    pith_stage_writer_release(&w);
    struct pack_options opt = { path, NULL, dir, 2 };
    CHECK_EQ_INT(pack_run(&opt), 0);
    snprintf(path, sizeof path, "%s/%s", dir, PITH_SHARD_NAME);
    CHECK_EQ_INT(pith_file_read(&gfile, path, 1 << 26), 0);
    CHECK(gfile.len == one.len && memcmp(gfile.ptr, one.ptr, one.len) == 0);
    pith_buf_release(&gfile);
    pith_buf_release(&packed);
    pith_buf_release(&one);
    pith_buf_release(&m1);
    pith_buf_release(&many);
    pith_buf_release(&mm);
    pack_fixture_big_free(g);
}

/* pith_index_open checks the trailer and all section checksums in one pass; when that pass
 * fails, the first failure is still named as before. */
static void reseal(unsigned char *shard, size_t len, int fix_sections)
{
    const struct pith_disk_header *h = (const struct pith_disk_header *)shard;
    struct pith_disk_section *t = (struct pith_disk_section *)(shard + sizeof *h);
    for (uint32_t i = 0; fix_sections && i < h->section_count; i++)
        t[i].checksum = pith_hash64(shard + t[i].offset, (size_t)t[i].len);
    uint64_t sum = pith_hash64(shard, len - 8);
    memcpy(shard + len - 8, &sum, 8);
}

PITH_TEST(pack_open_checksum_and_order_messages)
{
    Pith__Graph *g = pack_fixture_big(3000);
    struct pack_input in = { g, NULL, NULL };
    struct pith_buf shard = PITH_BUF_INIT, man = PITH_BUF_INIT;
    CHECK_EQ_INT(pack_build(&shard, &man, &in), 0);
    struct pith_index *ix = NULL;
    unsigned char *copy = pith_xmalloc(shard.len);
    const struct pith_disk_section *t =
        (const struct pith_disk_section *)(shard.ptr + sizeof(struct pith_disk_header));
    /* a section's byte changed, trailer resealed: that section's checksum */
    memcpy(copy, shard.ptr, shard.len);
    copy[t[2].offset + 100] ^= 1;
    reseal(copy, shard.len, 0);
    CHECK_EQ_INT(pith_index_open_mem(&ix, man.ptr, man.len, copy, shard.len, 0), PITH_ECORRUPT);
    CHECK(strstr(pith_error_last(), "section SYMS checksum mismatch") != NULL);
    /* not resealed: the trailer */
    memcpy(copy, shard.ptr, shard.len);
    copy[t[7].offset + 5] ^= 0x40;
    CHECK_EQ_INT(pith_index_open_mem(&ix, man.ptr, man.len, copy, shard.len, 0), PITH_ECORRUPT);
    CHECK(strstr(pith_error_last(), "shard checksum mismatch") != NULL);
    /* NAME entries swapped where the names differ only after 8 bytes: out of order, also when
     * every checksum is right */
    memcpy(copy, shard.ptr, shard.len);
    uint32_t *names = (uint32_t *)(copy + t[3].offset);
    uint32_t k = 0;
    for (; k + 1 < 3000; k++) {
        const char *strs = shard.ptr + t[0].offset;
        const struct pith_disk_symbol *syms =
            (const struct pith_disk_symbol *)(shard.ptr + t[2].offset);
        const char *a = strs + syms[names[k]].name, *b = strs + syms[names[k + 1]].name;
        if (strlen(a) > 9 && strncmp(a, b, 9) == 0 && strcmp(a, b) < 0)
            break;
    }
    CHECK(k + 1 < 3000);
    uint32_t tmp = names[k];
    names[k] = names[k + 1];
    names[k + 1] = tmp;
    reseal(copy, shard.len, 1);
    CHECK_EQ_INT(
        pith_index_open_mem(&ix, man.ptr, man.len, copy, shard.len, PITH_INDEX_OPEN_NO_CHECKSUMS),
        PITH_ECORRUPT);
    CHECK(strstr(pith_error_last(), "out of order") != NULL);
    /* the intact shard opens */
    CHECK_EQ_INT(pith_index_open_mem(&ix, man.ptr, man.len, shard.ptr, shard.len, 0), 0);
    pith_index_free(ix);
    free(copy);
    pith_buf_release(&shard);
    pith_buf_release(&man);
    pack_fixture_big_free(g);
}
