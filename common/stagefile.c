/* Stage file writer and reader (see stagefile.h and docs/FORMAT.md).
 *
 *   "PITHSTG1" | u32 kind | u32 version
 *   record*    : u32 zlen | u32 rawlen | u64 xxh3(frame) | zstd frame[zlen]
 *   trailer    : u32 0xFFFFFFFF | u32 0 | u64 record count
 */
#include "stagefile.h"

#include "err.h"
#include "hashmap.h"
#include "mem.h"

#include <string.h>
#include <zstd.h>

#define MAGIC      "PITHSTG1"
#define END_MARK   0xFFFFFFFFu
#define MAX_RECORD (1u << 30)

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const unsigned char *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

void pith_stage_writer_init(struct pith_stage_writer *w, uint32_t kind)
{
    pith_buf_init(&w->out);
    w->kind = kind;
    w->count = 0;
    pith_buf_put(&w->out, MAGIC, 8);
    pith_buf_put_u32(&w->out, kind);
    pith_buf_put_u32(&w->out, PITH_STAGE_VERSION);
}

void pith_stage_compress(struct pith_buf *out, const void *msg, size_t len)
{
    pith_stage_compress_with(out, NULL, msg, len);
}

void pith_stage_compress_with(struct pith_buf *out, void *zctx, const void *msg, size_t len)
{
    size_t bound = ZSTD_compressBound(len);
    size_t start = out->len;
    pith_buf_grow(out, 16 + bound);
    out->len += 16;
    size_t z =
        zctx ? ZSTD_compressCCtx(zctx, out->ptr + out->len, bound, msg, len, PITH_STAGE_ZSTD_LEVEL)
             : ZSTD_compress(out->ptr + out->len, bound, msg, len, PITH_STAGE_ZSTD_LEVEL);
    if (ZSTD_isError(z))
        PITH_BUG("zstd compression failed");
    unsigned char *h = (unsigned char *)out->ptr + start;
    uint64_t sum = pith_hash64(out->ptr + out->len, z);
    for (int i = 0; i < 4; i++) {
        h[i] = (unsigned char)(z >> (8 * i));
        h[4 + i] = (unsigned char)(len >> (8 * i));
    }
    for (int i = 0; i < 8; i++)
        h[8 + i] = (unsigned char)(sum >> (8 * i));
    out->len += z;
    out->ptr[out->len] = '\0';
}

void pith_stage_writer_add(struct pith_stage_writer *w, const void *msg, size_t len)
{
    pith_stage_compress(&w->out, msg, len);
    w->count++;
}

void pith_stage_writer_add_raw(struct pith_stage_writer *w, const void *rec, size_t len)
{
    pith_buf_put(&w->out, rec, len);
    w->count++;
}

int pith_stage_writer_finish(struct pith_stage_writer *w, const char *path)
{
    pith_buf_put_u32(&w->out, END_MARK);
    pith_buf_put_u32(&w->out, 0);
    pith_buf_put_u64(&w->out, w->count);
    return pith_file_write_atomic(path, w->out.ptr, w->out.len);
}

void pith_stage_writer_release(struct pith_stage_writer *w)
{
    pith_buf_release(&w->out);
}

int pith_stage_reader_open(struct pith_stage_reader *r, const char *path, uint32_t kind)
{
    memset(r, 0, sizeof *r);
    int err = pith_map_open(&r->map, path);
    if (err)
        return err;
    const unsigned char *d = r->map.data;
    size_t n = r->map.len;
    if (n < 16 + 16 || memcmp(d, MAGIC, 8) != 0) {
        err = pith_error_set(PITH_ECORRUPT, "%s is not a pith stage file", path);
        goto fail;
    }
    if (rd32(d + 8) != kind) {
        err = pith_error_set(PITH_ECORRUPT, "%s holds the wrong kind of records", path);
        goto fail;
    }
    if (rd32(d + 12) != PITH_STAGE_VERSION) {
        err = pith_error_set(PITH_EUNSUPPORTED, "%s has stage format version %u, expected %u", path,
                             rd32(d + 12), PITH_STAGE_VERSION);
        goto fail;
    }
    if (rd32(d + n - 16) != END_MARK) {
        err = pith_error_set(PITH_ECORRUPT, "%s is truncated (no trailer)", path);
        goto fail;
    }
    r->kind = kind;
    r->count = rd64(d + n - 8);
    r->pos = 16;
    return 0;
fail:
    pith_map_release(&r->map);
    return err;
}

int pith_stage_reader_next_frame(struct pith_stage_reader *r,
                                 const uint8_t **frame,
                                 size_t *frame_len,
                                 size_t *raw_len)
{
    const unsigned char *d = r->map.data;
    size_t end = r->map.len - 16;
    if (r->pos == end) {
        if (r->next_index != r->count)
            return PITH_CORRUPT("stage file holds %llu records, trailer says %llu",
                                (unsigned long long)r->next_index, (unsigned long long)r->count);
        return 0;
    }
    if (end - r->pos < 16)
        return PITH_CORRUPT("record header overruns stage file");
    uint32_t zlen = rd32(d + r->pos), raw = rd32(d + r->pos + 4);
    uint64_t sum = rd64(d + r->pos + 8);
    if (zlen > end - r->pos - 16 || raw > MAX_RECORD)
        return PITH_CORRUPT("record %llu overruns stage file", (unsigned long long)r->next_index);
    const unsigned char *z = d + r->pos + 16;
    if (pith_hash64(z, zlen) != sum)
        return PITH_CORRUPT("record %llu checksum mismatch", (unsigned long long)r->next_index);
    r->pos += 16 + zlen;
    r->next_index++;
    *frame = (const uint8_t *)z;
    *frame_len = zlen;
    *raw_len = raw;
    return 1;
}

int pith_stage_decompress(struct pith_buf *out,
                          const uint8_t *frame,
                          size_t frame_len,
                          size_t raw_len)
{
    pith_buf_clear(out);
    pith_buf_grow(out, raw_len);
    size_t got = ZSTD_decompress(out->ptr, raw_len + 1, frame, frame_len);
    if (ZSTD_isError(got) || got != raw_len)
        return PITH_ECORRUPT;
    out->len = raw_len;
    return 0;
}

int pith_stage_reader_next(struct pith_stage_reader *r, const uint8_t **out, size_t *len)
{
    const uint8_t *frame;
    size_t frame_len, raw;
    int rc = pith_stage_reader_next_frame(r, &frame, &frame_len, &raw);
    if (rc <= 0)
        return rc;
    if (pith_stage_decompress(&r->rec, frame, frame_len, raw) != 0)
        return PITH_CORRUPT("record %llu does not decompress",
                            (unsigned long long)(r->next_index - 1));
    *out = (const uint8_t *)r->rec.ptr;
    *len = raw;
    return 1;
}

void pith_stage_reader_release(struct pith_stage_reader *r)
{
    pith_map_release(&r->map);
    pith_buf_release(&r->rec);
}
