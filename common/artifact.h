/* The index artifact: on-disk layout (shared by pith-pack, which writes it, and every reader)
 * and the validating reader. The byte-level specification is docs/FORMAT.md; this header and
 * that page change together.
 *
 *   INDEX/MANIFEST          protobuf pith.Manifest (schemas/manifest.proto)
 *   INDEX/shard-0000.pith   header | section table | sections (8-aligned) | xxh3 trailer
 *
 *   offset 0   struct pith_disk_header           64 bytes
 *   64         struct pith_disk_section[n]       32 bytes each
 *   ...        sections, each 8-byte aligned, in table order
 *   len-8      u64 XXH3-64 of bytes [0, len-8)
 *
 * All integers little-endian. Ids are 1-based; 0 means none (entry 0 of SYMS and FILE is a
 * zeroed null entry). Strings are u32 byte offsets into STRS; offset 0 is "".
 */
#ifndef PITH_COMMON_ARTIFACT_H
#define PITH_COMMON_ARTIFACT_H

#include <stddef.h>
#include <stdint.h>

#define PITH_ARTIFACT_MAGIC "PITHIDX1"
#define PITH_FORMAT_VERSION 1u
#define PITH_SHARD_NAME     "shard-0000.pith"
#define PITH_MANIFEST_NAME  "MANIFEST"

#define PITH_FOURCC(a, b, c, d) \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define PITH_SEC_STRS PITH_FOURCC('S', 'T', 'R', 'S') /* string table */
#define PITH_SEC_FILE PITH_FOURCC('F', 'I', 'L', 'E') /* struct pith_disk_file[] */
#define PITH_SEC_SYMS PITH_FOURCC('S', 'Y', 'M', 'S') /* struct pith_disk_symbol[], by qualname */
#define PITH_SEC_NAME \
    PITH_FOURCC('N', 'A', 'M', 'E') /* u32 symbol ids sorted by (name, qualname) */
#define PITH_SEC_CALE PITH_FOURCC('C', 'A', 'L', 'E') /* CSR: callees of each symbol */
#define PITH_SEC_CALR PITH_FOURCC('C', 'A', 'L', 'R') /* CSR: callers of each symbol */
#define PITH_SEC_RECS PITH_FOURCC('R', 'E', 'C', 'S') /* zstd blocks of pith.SymbolRecord */
#define PITH_SEC_LEXI PITH_FOURCC('L', 'E', 'X', 'I') /* BM25F inverted index */
#define PITH_SEC_VECS PITH_FOURCC('V', 'E', 'C', 'S') /* f32/f16 vectors by symbol id */
#define PITH_SEC_HNSW PITH_FOURCC('H', 'N', 'S', 'W') /* HNSW graph over VECS (optional) */

struct pith_disk_header {
    char magic[8];    /* PITH_ARTIFACT_MAGIC */
    uint32_t version; /* PITH_FORMAT_VERSION */
    uint32_t section_count;
    uint64_t file_len;    /* whole shard length, trailer included */
    uint64_t table_off;   /* = 64 */
    uint8_t reserved[32]; /* zero */
};

struct pith_disk_section {
    uint32_t id;     /* PITH_SEC_* */
    uint32_t flags;  /* zero */
    uint64_t offset; /* 8-aligned, from the start of the shard */
    uint64_t len;
    uint64_t checksum; /* XXH3-64 of the section bytes */
};

struct pith_disk_file {
    uint32_t path;        /* string: path relative to the repository root */
    uint32_t language;    /* string */
    uint32_t module;      /* string: dotted module name */
    uint32_t status;      /* pith.FileStatus */
    uint32_t skip_reason; /* string */
    uint32_t line_count;
    uint64_t content_hash; /* XXH3-64 of the file bytes */
    uint64_t size;
};

struct pith_disk_symbol {
    uint32_t qualname; /* string: "path/to/file.py:Class.method" */
    uint32_t name;     /* string: "method" */
    uint32_t file;     /* FILE id */
    uint32_t kind;     /* pith.SymbolKind */
    uint32_t parent;   /* SYMS id */
    uint32_t start_line;
    uint32_t start_col;
    uint32_t end_line;
    uint32_t end_col;
    uint32_t signature; /* string */
    uint32_t flags;     /* PITH_SYMF_* */
    uint32_t reserved;
};
#define PITH_SYMF_DECORATED 1u
#define PITH_SYMF_ASYNC     2u
#define PITH_SYMF_TEST      4u

/* CSR section (CALE, CALR):
 *   u32 node_count (= symbol count + 1) | u32 edge_count
 *   u32 offsets[node_count + 1]  (monotone; edges of node i are [offsets[i], offsets[i+1]))
 *   pad to 8 | struct pith_disk_edge edges[edge_count]
 * CALE lists every call site of a caller, external and unresolved ones too (other = 0),
 * ordered by (line, col). CALR lists resolved edges only, ordered by (caller qualname, line). */
struct pith_disk_edge {
    uint32_t other; /* callee (CALE) or caller (CALR) symbol id; 0 when none */
    uint32_t line;  /* call-site line in the caller's file */
    uint32_t col;
    uint16_t kind;       /* pith.EdgeKind */
    uint16_t confidence; /* per mille */
    uint32_t name;       /* string: callee expression, or dotted external target */
    uint32_t reason;     /* string: why ambiguous/unresolved/lower confidence */
};

/* RECS section:
 *   u32 block_count | u32 record_count (= symbol count + 1) | u32 records_per_block | u32 zero
 *   struct pith_disk_block seek[block_count]
 *   zstd frames
 * A block decompresses to: u32 n | u32 ends[n] (cumulative byte ends) | packed records,
 * record i of the block being bytes [ends[i-1], ends[i]) after the table. Record k (= symbol id)
 * is in block k / records_per_block. */
struct pith_disk_block {
    uint64_t offset; /* of the zstd frame, from the start of the section */
    uint32_t zlen;
    uint32_t raw_len;
};

/* LEXI section (BM25F over identifier words):
 *   struct pith_disk_lexi_header
 *   struct pith_disk_term terms[term_count]      sorted by term string (strcmp)
 *   struct pith_disk_posting postings[posting_count]
 *   uint16_t doc_len[doc_count][PITH_LEX_FIELDS] tokens per field, saturated at 65535 */
#define PITH_LEX_FIELDS 4 /* 0 name, 1 signature, 2 docstring, 3 comments and callees */
struct pith_disk_lexi_header {
    uint32_t term_count;
    uint32_t posting_count;
    uint32_t doc_count;   /* = symbol count + 1 */
    uint32_t field_count; /* = PITH_LEX_FIELDS */
    float avg_len[PITH_LEX_FIELDS];
};
struct pith_disk_term {
    uint32_t term;  /* string */
    uint32_t first; /* index of its first posting */
    uint32_t count; /* = document frequency */
    uint32_t reserved;
};
struct pith_disk_posting {
    uint32_t doc;                /* symbol id */
    uint8_t tf[PITH_LEX_FIELDS]; /* term frequency per field, saturated at 255 */
};

/* VECS section (present when the index was built with an embedder other than "none"):
 *   struct pith_disk_vecs_header
 *   uint8_t has[row_count]        1: the row holds the symbol's vector, 0: a zero row
 *   pad to 8
 *   float rows[row_count][dim]    row-major, indexed by symbol id (row 0 is the null entry),
 *                                 L2-normalised (or all zero); uint16_t binary16 elements
 *                                 instead when elem_size is 2 (pith-pack --vector-type f16)
 * The embedder id and dim repeat the MANIFEST's (the reader checks they agree). */
struct pith_disk_vecs_header {
    uint32_t dim;         /* floats per row, 1..PITH_VECS_MAX_DIM */
    uint32_t row_count;   /* = symbol count + 1 */
    uint32_t elem_size;   /* bytes per element: 4 (f32) or 2 (IEEE binary16) */
    uint32_t embedder;    /* string: embedder id */
    uint32_t present;     /* rows with has[i] == 1 */
    uint32_t reserved[3]; /* zero */
};
#define PITH_VECS_MAX_DIM 8192u

/* HNSW section (optional, only with VECS): a hierarchical navigable small-world graph over the
 * VECS rows (inner product), built by hnswlib at pack time and flattened, searched in place:
 *   struct pith_disk_hnsw_header                   64 bytes
 *   float centroid[dim]            mean of the rows with a vector (fusion statistics)
 *   uint32_t upper_off[row_count + 1]   node i's lists on levels 1..L(i) are upper[upper_off[i]
 *                                  + l - 1], L(i) = upper_off[i + 1] - upper_off[i]
 *   pad to 8
 *   uint32_t l0[row_count][1 + m0]     level 0: count, then `count` row ids, rest zero
 *   uint32_t upper[upper_count][1 + m] levels >= 1: count, then row ids, rest zero
 * Nodes are VECS row ids: exactly the rows with has[i] = 1 are in the graph (others have
 * L = 0 and an empty level-0 list). */
struct pith_disk_hnsw_header {
    uint32_t row_count;       /* = VECS row_count */
    uint32_t node_count;      /* = VECS present */
    uint32_t m;               /* link slots per list on levels >= 1, 1..PITH_HNSW_MAX_M */
    uint32_t m0;              /* link slots on level 0, = 2 m */
    uint32_t max_level;       /* = L(entry), at most PITH_HNSW_MAX_LEVEL */
    uint32_t entry;           /* row id of the entry point */
    uint32_t ef_construction; /* hnswlib's build parameter (informational) */
    uint32_t ef_search;       /* default beam width at query time, >= 1 */
    uint32_t min_rows;        /* pith-pack --hnsw-min-rows the index was built with */
    uint32_t upper_count;     /* lists on levels >= 1, all nodes together */
    uint64_t seed;            /* hnswlib's level generator seed (informational) */
    uint32_t reserved[4];     /* zero */
};
#define PITH_HNSW_MAX_M     256u
#define PITH_HNSW_MAX_LEVEL 32u

/* ---- reader ------------------------------------------------------------------------------ */

struct pith_index; /* an opened, validated index directory */

/* Opens INDEX `dir`: reads MANIFEST, maps the shard, checks magic, version, every section's
 * bounds, alignment and checksum, the trailer, and every id and string reference inside the
 * flat sections, so later accessors need no checks. Returns 0, PITH_ENOTFOUND, PITH_EIO,
 * PITH_EUNSUPPORTED (unknown version) or PITH_ECORRUPT, with pith_error_last() set.
 * Free with pith_index_free. */
int pith_index_open(struct pith_index **out, const char *dir);
void pith_index_free(struct pith_index *ix);

/* The string at `ref` (never NULL; validated at open). */
const char *pith_index_str(const struct pith_index *ix, uint32_t ref);

uint32_t pith_index_symbol_count(const struct pith_index *ix); /* excluding the null entry */
uint32_t pith_index_file_count(const struct pith_index *ix);   /* excluding the null entry */
const struct pith_disk_symbol *pith_index_symbol(const struct pith_index *ix, uint32_t id);
const struct pith_disk_file *pith_index_file(const struct pith_index *ix, uint32_t id);

/* The symbol whose qualified name is exactly `qualname`, or 0. */
uint32_t pith_index_find_qualname(const struct pith_index *ix, const char *qualname);
/* All symbols whose bare name is `name`: *out points at `count` ids inside the NAME section. */
size_t pith_index_find_name(const struct pith_index *ix, const char *name, const uint32_t **out);

/* Outgoing (callees) or incoming (callers) edges of `id`: *out points into the map. */
size_t
pith_index_callees(const struct pith_index *ix, uint32_t id, const struct pith_disk_edge **out);
size_t
pith_index_callers(const struct pith_index *ix, uint32_t id, const struct pith_disk_edge **out);

/* Decompresses the cold record of symbol `id` (a packed pith.SymbolRecord) into a buffer the
 * caller owns (free()). Returns 0 or PITH_ECORRUPT. */
int pith_index_record(const struct pith_index *ix,
                      uint32_t id,
                      unsigned char **out,
                      size_t *len_out);

/* The same through a one-block cache: reading records in id order decompresses each block once
 * (an interprocedural slice reads hundreds of neighbouring records). Zero-initialise; release
 * with pith_record_cache_release. */
struct pith_record_cache {
    uint32_t block;
    unsigned char *raw; /* the decompressed block, NULL when empty */
};
int pith_index_record_cached(const struct pith_index *ix,
                             struct pith_record_cache *c,
                             uint32_t id,
                             unsigned char **out,
                             size_t *len_out);
void pith_record_cache_release(struct pith_record_cache *c);

/* The LEXI section, validated. NULL fields when the index has none. */
struct pith_lexicon {
    const struct pith_disk_lexi_header *header;
    const struct pith_disk_term *terms;
    const struct pith_disk_posting *postings;
    const uint16_t *doc_len;
    unsigned version; /* the tokenizer that built it: PITH_LEX_VERSION (common/lex.h) */
};
void pith_index_lexicon(const struct pith_index *ix, struct pith_lexicon *out);
/* Binary search for `term` in the lexicon; returns the term or NULL. */
const struct pith_disk_term *pith_index_find_term(const struct pith_index *ix, const char *term);

/* The VECS section, validated. NULL fields (dim 0) when the index has none. */
struct pith_vectors {
    const struct pith_disk_vecs_header *header;
    const uint8_t *has;
    const float *rows; /* rows[id * dim + j] */
    uint32_t dim, row_count;
    const char *embedder;
    const uint16_t *rows16; /* binary16 rows when elem_size is 2 (rows is then NULL) */
    uint32_t elem_size;     /* 4 or 2 */
};
void pith_index_vectors(const struct pith_index *ix, struct pith_vectors *out);

/* The HNSW section, validated against VECS (common/hnsw.h searches it). NULL fields when the
 * index has none. */
struct pith_hnsw {
    const struct pith_disk_hnsw_header *header;
    const float *centroid;
    const uint32_t *upper_off, *l0, *upper;
};
void pith_index_hnsw(const struct pith_index *ix, struct pith_hnsw *out);

/* The decoded MANIFEST (a Pith__Manifest *, borrowed until pith_index_free). */
const void *pith_index_manifest(const struct pith_index *ix);

/* Raw access for `pith dump`: the section with `id`, or NULL. */
const unsigned char *pith_index_section(const struct pith_index *ix, uint32_t id, size_t *len);

/* ---- additions: limits and in-memory open ------------------------------------------------- */

/* The largest decompressed RECS block a reader accepts (pith-pack refuses to write more). */
#define PITH_RECS_MAX_RAW (64u << 20)
/* Flag for pith_index_open_mem: skip the XXH3 checks and the MANIFEST-vs-shard cross-checks
 * (fuzzing only, so mutations reach the structural checks; every structural check of the shard
 * still runs, so accessors stay safe). */
#define PITH_INDEX_OPEN_NO_CHECKSUMS 1u

/* Like pith_index_open, from bytes in memory: `manifest` is the packed MANIFEST, `shard` the
 * shard file. Both are copied (the caller keeps ownership). Returns 0, PITH_EUNSUPPORTED or
 * PITH_ECORRUPT. Free with pith_index_free. */
int pith_index_open_mem(struct pith_index **out,
                        const void *manifest,
                        size_t manifest_len,
                        const void *shard,
                        size_t shard_len,
                        unsigned flags);

/* The shard's header and section table (validated), for `pith dump header`. */
const struct pith_disk_header *pith_index_header(const struct pith_index *ix);
const struct pith_disk_section *pith_index_sections(const struct pith_index *ix, uint32_t *count);

#endif
