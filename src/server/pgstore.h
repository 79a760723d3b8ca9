/*
 * pgstore.h — where each user's hub state lives when hubd serves many users: a whole SQLite
 * database of the core's own schema, kept in PostgreSQL as one versioned image (table
 * hub_user_state: login, version, image bytea), loaded into a file by the node that works on
 * it and written back with a version check (native driver layer).
 *
 * Why an image and not the core's tables mirrored into PostgreSQL: the core keeps one store
 * (SQLite, its migrations, its statement cache, the same code in wasm) and no #ifdef; a user's
 * state is small (the empty schema is ~0.3 MB, a few MB with thousands of items; PostgreSQL's
 * TOAST compresses the empty pages) and is written by one job at a time, so whole-image writes
 * cost less than a second store would. Why a file and not sqlite3_deserialize: the shared
 * amalgamation is built with SQLITE_OMIT_DESERIALIZE (the wasm size budget), and a file lets
 * hub_open open, check and migrate an image exactly as it opens any database.
 *
 * Write-back is optimistic: UPDATE … SET version = version + 1 WHERE login = $1 AND version =
 * $old (or INSERT … ON CONFLICT DO NOTHING for a first image). 0 rows means someone moved the
 * version (a restart, a delete, a job that held the lease after ours expired): the caller rolls
 * its transaction back and nothing it did is kept.
 *
 * Reads (GET /users/{u}/data, activity) go through a small cache of open read handles, one per
 * user at its current version: one `SELECT version` per read; an image is fetched again only
 * when the version moved.
 *
 * Ownership: hubd_image_* write and remove files under the caller's paths; the cache owns its
 * handles and files (under its directory) and removes them when it drops them.
 */
#ifndef HUBD_PGSTORE_H
#define HUBD_PGSTORE_H

#include <stddef.h>
#include <stdint.h>
#include "pg.h"

#ifndef HUBD_IMAGE_MAX
#define HUBD_IMAGE_MAX (256u * 1024u * 1024u) /* largest image stored or loaded */
#endif
#ifndef HUBD_IMAGE_CACHE_SLOTS
#define HUBD_IMAGE_CACHE_SLOTS 32 /* users whose read handle stays open */
#endif
#ifndef HUBD_IMAGE_CACHE_KB
#define HUBD_IMAGE_CACHE_KB 256 /* each read handle's SQLite page cache: 32 × 256 KiB = 8 MiB at most */
#endif

/* Writes login's image to path (replacing the file and removing its -wal/-shm). Returns 1 with
 * *version set, 0 when the user has no image yet (*version 0, no file written), -1 with e set. */
int hubd_image_load(PGconn *c, const char *login, const char *path, int64_t *version, hubd_pg_err *e);

/* Stores the (closed) database file at path as login's image if its version is still old
 * (0: none yet). Run inside the caller's transaction. Returns 1 stored (*newv set), 0 when the
 * version moved (nothing stored), -1 with e set. */
int hubd_image_store(PGconn *c, const char *login, const char *path, int64_t old, const char *node, int64_t now,
                     int64_t *newv, hubd_pg_err *e);

/* Removes path and its -wal, -shm and -journal files. */
void hubd_image_unlink(const char *path);

typedef struct hubd_imgcache hubd_imgcache;

/* A cache of read handles whose files live in dir (created if missing). NULL on OOM or when
 * dir cannot be made (err set). */
hubd_imgcache *hubd_imgcache_open(const char *dir, char *err, size_t errlen);

/* Runs n read-only core commands json[0..n) on login's current image (one version check, one
 * handle): out[i] gets each answer (hub_free; NULL on OOM) and *version the image's version.
 * Returns 0; 1 when the user has no image yet (outs NULL); -1 with e set. */
int hubd_imgcache_calls(hubd_imgcache *ic, PGconn *c, const char *login, const char *const *json, size_t n, char **out,
                        int64_t *version, hubd_pg_err *e);

/* Forgets login's handle (a delete): closed now or by its last user. */
void hubd_imgcache_drop(hubd_imgcache *ic, const char *login);

/* Closes every handle and removes their files. No call may be in progress. NULL is a no-op. */
void hubd_imgcache_close(hubd_imgcache *ic);

#endif
