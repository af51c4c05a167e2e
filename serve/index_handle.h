/* A hot-swappable, reference-counted handle on an INDEX directory (serve stage): long-lived
 * servers answer from the current snapshot and move to a newer artifact when pith-pack renames
 * one into place, while requests that began on the old mapping finish on it. */
#ifndef PITH_SERVE_INDEX_HANDLE_H
#define PITH_SERVE_INDEX_HANDLE_H

#include <stdint.h>
#include <stdio.h>

struct pith_index;
struct index_handle;   /* the INDEX path, the current snapshot, the swap state */
struct index_snapshot; /* one opened index and its reference count */

#define INDEX_HANDLE_CHECK_MS 200 /* index_handle_acquire stats INDEX at most this often */

/* Opens INDEX `dir` (pith_index_open) as the first snapshot. `log` (may be NULL) receives one
 * line per swap or refused artifact. Returns 0 or pith_index_open's error with
 * pith_error_last() set. Free with index_handle_free once no snapshot is held. */
int index_handle_new(struct index_handle **out, const char *dir, FILE *log);
void index_handle_free(struct index_handle *h);

/* Checks INDEX for a newer artifact (stat of MANIFEST and the shard: device, inode, size,
 * mtime) unless it was checked in the last INDEX_HANDLE_CHECK_MS, then returns the current
 * snapshot with one more reference. Never fails: a missing, half-renamed or corrupt INDEX
 * keeps the current snapshot. Thread-safe. Release with index_handle_release. */
struct index_snapshot *index_handle_acquire(struct index_handle *h);

/* Drops one reference; the last one of a replaced snapshot unmaps it. Thread-safe. */
void index_handle_release(struct index_handle *h, struct index_snapshot *s);

/* Checks INDEX now (ignoring the rate limit). Returns 1 when it swapped to a new artifact, 0
 * when nothing changed (or another thread is checking), PITH_ECORRUPT/PITH_EUNSUPPORTED/...
 * when a changed INDEX was refused (logged once per artifact). Thread-safe. */
int index_handle_check(struct index_handle *h);

/* The index of a snapshot (borrowed while the reference is held). */
const struct pith_index *index_snapshot_index(const struct index_snapshot *s);
/* 1 for the first snapshot, +1 for each swap. */
uint64_t index_snapshot_generation(const struct index_snapshot *s);

/* The INDEX path given to index_handle_new (borrowed). */
const char *index_handle_path(const struct index_handle *h);
/* Artifacts refused since start (changed INDEX that failed to open). */
uint64_t index_handle_refused_count(struct index_handle *h);

#endif
