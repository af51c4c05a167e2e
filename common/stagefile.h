/* Stage files: the record streams that stages exchange (facts, graph, vectors). Each record is
 * one serialized protobuf message from schemas/, zstd-compressed and checksummed. Layout in
 * docs/FORMAT.md, "Stage files". */
#ifndef PITH_COMMON_STAGEFILE_H
#define PITH_COMMON_STAGEFILE_H

#include "buf.h"
#include "file.h"

#include <stddef.h>
#include <stdint.h>

#define PITH_STAGE_FACTS   0x54434146u /* "FACT" */
#define PITH_STAGE_GRAPH   0x48505247u /* "GRPH" */
#define PITH_STAGE_VECTORS 0x54434556u /* "VECT" */
#define PITH_STAGE_VERSION 1u
/* Stage files are transient (written once, read once by the next stage): favour speed. */
#define PITH_STAGE_ZSTD_LEVEL 1

struct pith_stage_writer {
    struct pith_buf out;
    uint32_t kind;
    uint64_t count;
};

/* Starts a stream of `kind` records in memory. */
void pith_stage_writer_init(struct pith_stage_writer *w, uint32_t kind);
/* Appends one record (the bytes of a packed protobuf message). */
void pith_stage_writer_add(struct pith_stage_writer *w, const void *msg, size_t len);
/* Appends an already-compressed record made by pith_stage_compress. */
void pith_stage_writer_add_raw(struct pith_stage_writer *w, const void *rec, size_t len);
/* Seals the stream and writes it atomically to `path`. Returns 0 or PITH_EIO. */
int pith_stage_writer_finish(struct pith_stage_writer *w, const char *path);
void pith_stage_writer_release(struct pith_stage_writer *w);

/* Compresses `msg` into a complete record (header + frame) appended to `out`; lets worker
 * threads compress in parallel before one thread appends in order. */
void pith_stage_compress(struct pith_buf *out, const void *msg, size_t len);

/* The same with `zctx`, a ZSTD_CCtx the caller owns and reuses across records (one-shot
 * compression would allocate a fresh workspace per record); NULL behaves as above. */
void pith_stage_compress_with(struct pith_buf *out, void *zctx, const void *msg, size_t len);

struct pith_stage_reader {
    struct pith_map map;
    uint32_t kind;
    size_t pos;
    uint64_t count; /* records in the stream (from the trailer) */
    uint64_t next_index;
    struct pith_buf rec; /* last decompressed record */
};

/* Opens `path`, checks magic, kind, version and trailer. Returns 0, PITH_ENOTFOUND, PITH_EIO or
 * PITH_ECORRUPT. Release with pith_stage_reader_release. */
int pith_stage_reader_open(struct pith_stage_reader *r, const char *path, uint32_t kind);
/* Reads the next record: *out and *len point into the reader (valid until the next call).
 * Returns 1 with a record, 0 at the end, or PITH_ECORRUPT. */
int pith_stage_reader_next(struct pith_stage_reader *r, const uint8_t **out, size_t *len);
void pith_stage_reader_release(struct pith_stage_reader *r);

/* Steps over the next record without decompressing it: checks its bounds and checksum, sets
 * *frame and *frame_len to its zstd frame (inside the mapping: valid until release) and
 * *raw_len to its decompressed size. With pith_stage_decompress it lets worker threads
 * decompress records in parallel. Returns 1 with a record, 0 at the end, or PITH_ECORRUPT. */
int pith_stage_reader_next_frame(struct pith_stage_reader *r,
                                 const uint8_t **frame,
                                 size_t *frame_len,
                                 size_t *raw_len);

/* Decompresses a frame from pith_stage_reader_next_frame into `out` (cleared first; it holds
 * exactly `raw_len` bytes after success). Thread-safe; sets no error message. Returns 0, or
 * PITH_ECORRUPT when the frame does not decompress to `raw_len` bytes. */
int pith_stage_decompress(struct pith_buf *out,
                          const uint8_t *frame,
                          size_t frame_len,
                          size_t raw_len);

#endif
