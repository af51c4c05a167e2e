/* libFuzzer target for the artifact reader: the input is a shard (shard-0000.pith bytes). It is
 * opened from memory with checksums off, so mutations reach the structural checks; when it
 * opens, every accessor and every dump runs over it. The input is also tried as a MANIFEST. */
#include "common/artifact.h"
#include "common/artifact_dump.h"
#include "common/buf.h"
#include "schemas/manifest.pb-c.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t manifest[64];
static size_t manifest_len;

static void make_manifest(void)
{
    Pith__Manifest m = PITH__MANIFEST__INIT;
    Pith__ManifestShard sh = PITH__MANIFEST_SHARD__INIT, *shp = &sh;
    m.format_version = PITH_FORMAT_VERSION;
    sh.name = (char *)PITH_SHARD_NAME;
    m.n_shards = 1;
    m.shards = &shp;
    manifest_len = pith__manifest__pack(&m, manifest);
}

static void exercise(const struct pith_index *ix)
{
    uint32_t ns = pith_index_symbol_count(ix);
    for (uint32_t id = 0; id <= ns + 1; id++) {
        const struct pith_disk_symbol *s = pith_index_symbol(ix, id);
        if (!s)
            continue;
        const char *q = pith_index_str(ix, s->qualname);
        (void)pith_index_find_qualname(ix, q);
        const uint32_t *ids;
        (void)pith_index_find_name(ix, pith_index_str(ix, s->name), &ids);
        (void)pith_index_file(ix, s->file);
        const struct pith_disk_edge *e;
        (void)pith_index_callees(ix, id, &e);
        (void)pith_index_callers(ix, id, &e);
        unsigned char *rec;
        size_t len;
        if (pith_index_record(ix, id, &rec, &len) == 0)
            free(rec);
    }
    (void)pith_index_find_term(ix, "parse");
    (void)pith_index_find_qualname(ix, "");
    struct pith_buf out = PITH_BUF_INIT;
    pith_dump_section(&out, ix, "all");
    pith_buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!manifest_len)
        make_manifest();
    struct pith_index *ix = NULL;
    if (pith_index_open_mem(&ix, manifest, manifest_len, data, size,
                            PITH_INDEX_OPEN_NO_CHECKSUMS) == 0) {
        exercise(ix);
        pith_index_free(ix);
    }
    /* the full check (checksums and MANIFEST cross-checks) must refuse quietly */
    if (pith_index_open_mem(&ix, manifest, manifest_len, data, size, 0) == 0)
        pith_index_free(ix);
    /* the input as a MANIFEST */
    if (pith_index_open_mem(&ix, data, size, NULL, 0, 0) == 0)
        pith_index_free(ix);
    return 0;
}
