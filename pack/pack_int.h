/* pith-pack, folder-private: a built shard kept as its sections, so pith-pack can write it to
 * the file with one writev instead of first copying it into one buffer. */
#ifndef PITH_PACK_PACK_INT_H
#define PITH_PACK_PACK_INT_H

#include "common/artifact.h"
#include "common/buf.h"
#include "pack.h"

#include <sys/uio.h>

#define PACK_SECTION_COUNT 10 /* at most; VECS only with vectors, HNSW only with VECS */

struct pack_shard {
    struct pith_disk_header header;
    struct pith_disk_section table[PACK_SECTION_COUNT];
    struct pith_buf secs[PACK_SECTION_COUNT];
    uint64_t trailer; /* XXH3-64 of bytes [0, len - 8) */
    size_t len;       /* the whole shard, trailer included */
    int nsec;         /* sections written: the first nsec of the table */
};

/* Builds the sections of the shard of `in` and the packed MANIFEST (see pack_build_jobs).
 * Release `out` with pack_shard_release, also after an error. */
int pack_shard_build(struct pack_shard *out,
                     struct pith_buf *manifest,
                     const struct pack_input *in,
                     unsigned jobs,
                     const struct pack_vector_options *vo);
void pack_shard_release(struct pack_shard *s);

/* The shard's bytes in order as iovecs (header and table, sections, zero padding, trailer):
 * fills up to 2 * PACK_SECTION_COUNT + 2 entries of `iov`, borrowing from `s` (and from
 * static zeros); returns the count. */
int pack_shard_iov(const struct pack_shard *s, struct iovec *iov);

/* pack_write_index with the shard as `iov_count` iovecs (written with writev). */
int pack_write_index_iov(const char *dir,
                         const struct iovec *iov,
                         int iov_count,
                         const struct pith_buf *manifest);

#endif
