/*
 * readers.h — a small pool of hub handles on the same database for read-only commands, used
 * by HTTP threads concurrently with the writer (native driver layer).
 *
 * Each handle is used by one thread at a time (checked out under a mutex), which is what
 * SQLite's multi-thread mode (SQLITE_THREADSAFE=2) requires; WAL lets these readers see the
 * last committed state while the writer writes. Only commands hubd_cmd_is_read_only accepts
 * (routes.c) may be sent here.
 *
 * Freshness: the core caches settings-derived state (score weights, …) per handle; hub_call
 * checks PRAGMA data_version first and drops those caches when another connection (the
 * writer) committed, so a handle stays open for hubd's life.
 *
 * Ownership: results are JSON strings released with hub_free; NULL only on OOM.
 */
#ifndef HUBD_READERS_H
#define HUBD_READERS_H

#include <stddef.h>

#ifndef HUBD_READERS_MAX
#define HUBD_READERS_MAX 16 /* handles in the pool at most */
#endif
#ifndef HUBD_READER_CACHE_KB
#define HUBD_READER_CACHE_KB 256 /* each reader's SQLite page cache (the OS caches the file too) */
#endif
#ifndef HUBD_READER_WAIT_MS
#define HUBD_READER_WAIT_MS 5000 /* longest wait for a free handle before a "busy" error */
#endif

typedef struct hubd_readers hubd_readers;

/* Opens n handles (1..HUBD_READERS_MAX) on db. Returns the pool, or NULL with a message in
 * err. The database must already exist and be migrated (hubd opens the writer first). */
hubd_readers *hubd_readers_open(const char *db, unsigned n, char *err, size_t errlen);

/* Runs one read-only command (len bytes of JSON) on a free handle, waiting for one at most
 * HUBD_READER_WAIT_MS; then {"error":{"code":"busy",…}}. */
char *hubd_readers_call(hubd_readers *r, const char *json, size_t len);

/* Closes every handle and frees the pool; no call may be in progress. NULL is a no-op. */
void hubd_readers_close(hubd_readers *r);

#endif
