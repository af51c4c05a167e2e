/* The tokenizer version in the LEXI section's flags (common/lex.h PITH_LEX_VERSION): written by
 * pack, read by the reader, and a lexical search of an index built by another tokenizer refused
 * in one line instead of silently matching nothing. */
#include "common/artifact.h"
#include "common/err.h"
#include "common/lex.h"
#include "common/mem.h"
#include "serve/serve_int.h"
#include "serve/vsearch.h"
#include "tests/harness/harness.h"
#include "tests/unit/pack/pack_fixture.h"

#include <string.h>

static struct pith_disk_section *section(struct pith_buf *shard, uint32_t id)
{
    const struct pith_disk_header *h = (const struct pith_disk_header *)shard->ptr;
    struct pith_disk_section *t = (struct pith_disk_section *)(shard->ptr + sizeof *h);
    for (uint32_t i = 0; i < h->section_count; i++)
        if (t[i].id == id)
            return &t[i];
    return NULL;
}

PITH_TEST(lexicon_version_recorded_and_checked)
{
    struct pack_fixture f;
    struct pith_buf shard = PITH_BUF_INIT, man = PITH_BUF_INIT, out = PITH_BUF_INIT;
    struct pith_index *ix = NULL;
    pack_fixture_init(&f);
    CHECK_EQ_INT(pack_fixture_build(&f, &shard, &man), 0);
    struct pith_disk_section *lexi = section(&shard, PITH_SEC_LEXI);
    CHECK(lexi != NULL);
    if (!lexi)
        goto out;
    CHECK_EQ_INT(lexi->flags, PITH_LEX_VERSION);
    CHECK_EQ_INT(pith_index_open_mem(&ix, man.ptr, man.len, shard.ptr, shard.len, 0), 0);
    struct pith_lexicon lx;
    pith_index_lexicon(ix, &lx);
    CHECK_EQ_INT(lx.version, PITH_LEX_VERSION);
    int err = q_search(&out, ix, "parse", 5, VSEARCH_LEXICAL, 1.0, 0);
    CHECK(err != PITH_EUNSUPPORTED);
    pith_index_free(ix);
    ix = NULL;

    /* an index from before the version (flags 0) is tokenizer 1: opens, lexical search refused */
    lexi->flags = 0;
    CHECK_EQ_INT(pith_index_open_mem(&ix, man.ptr, man.len, shard.ptr, shard.len,
                                     PITH_INDEX_OPEN_NO_CHECKSUMS),
                 0);
    if (ix) {
        pith_index_lexicon(ix, &lx);
        CHECK_EQ_INT(lx.version, 1);
        pith_buf_clear(&out);
        CHECK_EQ_INT(q_search(&out, ix, "parse", 5, VSEARCH_LEXICAL, 1.0, 0), PITH_EUNSUPPORTED);
        CHECK(strstr(pith_error_last(), "tokenizer version 1") != NULL);
        CHECK(strstr(pith_error_last(), "re-index") != NULL);
        pith_buf_clear(&out);
        CHECK_EQ_INT(q_search(&out, ix, "parse", 5, VSEARCH_AUTO, 1.0, 1), PITH_EUNSUPPORTED);
        pith_index_free(ix);
        ix = NULL;
    }

    /* flags beyond a byte on LEXI, or any flag on another section: corrupt */
    lexi->flags = 0x100;
    CHECK_EQ_INT(pith_index_open_mem(&ix, man.ptr, man.len, shard.ptr, shard.len,
                                     PITH_INDEX_OPEN_NO_CHECKSUMS),
                 PITH_ECORRUPT);
    lexi->flags = PITH_LEX_VERSION;
    section(&shard, PITH_SEC_SYMS)->flags = 1;
    CHECK_EQ_INT(pith_index_open_mem(&ix, man.ptr, man.len, shard.ptr, shard.len,
                                     PITH_INDEX_OPEN_NO_CHECKSUMS),
                 PITH_ECORRUPT);
out:
    pith_buf_release(&shard);
    pith_buf_release(&man);
    pith_buf_release(&out);
}
