/* Tests of extract's private helpers (extract/extract_int.h). */
#include "tests/harness/harness.h"

#include "common/buf.h"
#include "common/stagefile.h"
#include "extract/extract_int.h"

#include <string.h>

/* A record compressed with a reused context is byte-identical to pith_stage_compress's, for
 * empty, small, repetitive and incompressible messages, in any order. */
PITH_TEST(extract_compress_record_matches_stagefile)
{
    static char msg[200000];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof msg; i++) {
        x = x * 1103515245u + 12345u;
        msg[i] = i < sizeof msg / 2 ? (char)('a' + i % 7) : (char)(x >> 24);
    }
    static const size_t lens[] = { 0, 1, 100, 5000, 100000, sizeof msg, 3, 70000 };
    ZSTD_CCtx *zc = ZSTD_createCCtx();
    CHECK(zc != NULL);
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        const char *m = msg + (k % 2 ? sizeof msg - lens[k] : 0);
        struct pith_buf a = PITH_BUF_INIT, b = PITH_BUF_INIT;
        pith_buf_puts(&a, "prefix");
        pith_buf_puts(&b, "prefix");
        pith_stage_compress(&a, m, lens[k]);
        extract_compress_record(&b, zc, m, lens[k]);
        CHECK_EQ_INT(a.len, b.len);
        CHECK(memcmp(a.ptr, b.ptr, a.len) == 0);
        pith_buf_release(&a);
        pith_buf_release(&b);
    }
    ZSTD_freeCCtx(zc);
}
