/*
 * vfs_opfs.c — the SQLite VFS "opfs" for the browser build (wasm/ layer).
 *
 * The database and its rollback journal live in the Origin Private File System. JS
 * (web/storage.js) opens one FileSystemSyncAccessHandle per file *before* the database is
 * opened and hands them to the module (Module.opfs); the file methods here call the JS
 * imports of wasm/opfs_lib.js, which do synchronous reads, writes, truncates and flushes on
 * those handles. No Asyncify, no SharedArrayBuffer: the handles are synchronous in a worker.
 *
 * The pool is keyed by file name ("hub.db", "hub.db-journal"). A pool file always exists in
 * OPFS, so "deleting" the journal truncates it to 0 bytes (and flushes), and xAccess reports
 * a pool file present only when it holds bytes: a journal left non-empty by a crash is seen
 * as hot and rolled back on the next open. Files outside the pool that SQLite only needs
 * for the life of a connection (temp databases, statement journals) go to the default VFS
 * (Emscripten's in-memory file system); a main database or journal outside the pool cannot
 * be opened.
 *
 * Locks are no-ops: one worker owns the access handles exclusively (the browser refuses a
 * second createSyncAccessHandle), and this build is single-threaded. xSync asks for a flush
 * that opfs_lib.js does lazily but in order: before the next write to the other file, else
 * when the worker's task ends (so a commit's last flush comes just after it); opfs_lib.js also
 * gathers writes that follow one another in a file into one (a commit's journal).
 *
 * Every connection to a pool database runs in locking_mode=EXCLUSIVE (an auto-extension sets
 * it at open, before the first lock): nothing but its own worker can change the file, so
 * the pager need not check at each transaction that it did not (in the default mode each
 * autocommit statement re-read the change counter and asked the journal's and the
 * database's sizes: 42 reads and 82 size calls for one `settings` command). The rollback
 * journal is then kept between transactions with a zeroed header instead of being emptied
 * (journal_mode stays DELETE in name; SQLite persists it in this mode), so a commit does not
 * truncate it and grow it again (one larger than HUB_OPFS_JOURNAL_KEEP is cut back to it).
 * A commit asks for three flushes: the journal (before the database is written), the
 * database (before the journal's header is zeroed), the zeroed header (so that a committed
 * transaction's journal cannot be seen as hot and rolled back after a power cut). The first
 * two keep the order a power cut needs to leave a whole database; the third only decides
 * whether the last commit survives one, so it is done after the commit has returned
 * (opfs_lib.js), as SQLite's own synchronous=NORMAL does for WAL. A killed tab or a crashed
 * renderer loses no returned commit either way: each write has reached the OS when it returns.
 *
 * Where a triage commit's time goes (tests/browser/storage.test.mjs bench): the flushes are
 * fdatasync calls, ~0.3 ms on a quiet disk; the slowest 5% of commits spend most of theirs
 * in a flush that waited 5-40 ms for a disk other processes were writing to (which commit
 * such a flush hits is chance: fewer flushes inside a commit is what shortens the tail).
 */
#include <string.h>
#include "sqlite3.h"

#define HUB_OPFS_VFS_NAME "opfs"
#ifndef HUB_OPFS_MAX_PATH
#define HUB_OPFS_MAX_PATH 512
#endif
#ifndef HUB_OPFS_SECTOR
#define HUB_OPFS_SECTOR 4096
#endif
/* Bytes of rollback journal kept between transactions (a sync's large commit leaves a larger
 * one, cut back to this after it): a string, it goes into a PRAGMA. */
#ifndef HUB_OPFS_JOURNAL_KEEP
#define HUB_OPFS_JOURNAL_KEEP "1048576"
#endif

/* ---- JS imports (wasm/opfs_lib.js) ----------------------------------------------------- */
/* Status returned by the mutating imports. */
#define OPFS_OK 0
#define OPFS_IOERR 1
#define OPFS_FULL 2

/* Slot (>= 0) of the pool file called name, or -1 when the pool has no such file. */
extern int hub_opfs_open(const char *name);
/* Bytes read into buf (fewer at end of file), or -1 on error. */
extern int hub_opfs_read(int slot, void *buf, int n, double offset);
extern int hub_opfs_write(int slot, const void *buf, int n, double offset);
extern int hub_opfs_truncate(int slot, double size);
extern int hub_opfs_flush(int slot);
/* Size in bytes, or -1 on error. */
extern double hub_opfs_size(int slot);

/* ---- the file object ------------------------------------------------------------------- */

typedef struct opfs_file {
  sqlite3_file base;
  int slot;  /* pool slot */
  int readonly;
} opfs_file;

static sqlite3_vfs *dflt_vfs(void) { return sqlite3_vfs_find(NULL); }

static int status_rc(int st, int ioerr) {
  if (st == OPFS_OK) return SQLITE_OK;
  if (st == OPFS_FULL) return SQLITE_FULL;
  return ioerr;
}

static int x_close(sqlite3_file *f) {
  (void)f; /* the handle belongs to JS and outlives the connection */
  return SQLITE_OK;
}

static int x_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off) {
  opfs_file *p = (opfs_file *)f;
  int got = hub_opfs_read(p->slot, buf, amt, (double)off);
  if (got < 0) return SQLITE_IOERR_READ;
  if (got < amt) {
    /* SQLite requires the unread tail zeroed on a short read */
    memset((char *)buf + got, 0, (size_t)(amt - got));
    return SQLITE_IOERR_SHORT_READ;
  }
  return SQLITE_OK;
}

static int x_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off) {
  opfs_file *p = (opfs_file *)f;
  if (p->readonly) return SQLITE_READONLY;
  return status_rc(hub_opfs_write(p->slot, buf, amt, (double)off), SQLITE_IOERR_WRITE);
}

static int x_truncate(sqlite3_file *f, sqlite3_int64 size) {
  opfs_file *p = (opfs_file *)f;
  if (p->readonly) return SQLITE_READONLY;
  return status_rc(hub_opfs_truncate(p->slot, (double)size), SQLITE_IOERR_TRUNCATE);
}

static int x_sync(sqlite3_file *f, int flags) {
  opfs_file *p = (opfs_file *)f;
  (void)flags;
  if (p->readonly) return SQLITE_OK;
  return status_rc(hub_opfs_flush(p->slot), SQLITE_IOERR_FSYNC);
}

static int x_file_size(sqlite3_file *f, sqlite3_int64 *size) {
  opfs_file *p = (opfs_file *)f;
  double s = hub_opfs_size(p->slot);
  if (s < 0) return SQLITE_IOERR_FSTAT;
  *size = (sqlite3_int64)s;
  return SQLITE_OK;
}

static int x_lock(sqlite3_file *f, int level) {
  (void)f;
  (void)level;
  return SQLITE_OK;
}

static int x_check_reserved(sqlite3_file *f, int *out) {
  (void)f;
  *out = 0;
  return SQLITE_OK;
}

static int x_file_control(sqlite3_file *f, int op, void *arg) {
  (void)f;
  (void)op;
  (void)arg;
  return SQLITE_NOTFOUND;
}

static int x_sector_size(sqlite3_file *f) {
  (void)f;
  return HUB_OPFS_SECTOR;
}

/* Overwriting a sector leaves its neighbours alone (OPFS writes are byte-exact). Not
 * SAFE_APPEND: after a power cut the file system may keep an extended size with garbage. */
static int x_device_characteristics(sqlite3_file *f) {
  (void)f;
  return SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}

static const sqlite3_io_methods opfs_io = {
    1,           x_close, x_read, x_write, x_truncate, x_sync, x_file_size, x_lock, x_lock,
    x_check_reserved, x_file_control, x_sector_size, x_device_characteristics,
    NULL,        NULL,    NULL,   NULL,    NULL,       NULL};

/* ---- the VFS --------------------------------------------------------------------------- */

/* Pool names have no leading slash: SQLite hands back what xFullPathname produced. */
static const char *pool_name(const char *name) {
  while (name && *name == '/') name++;
  return name;
}

static int x_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags,
                  int *out_flags) {
  opfs_file *p = (opfs_file *)f;
  int slot = name ? hub_opfs_open(pool_name(name)) : -1;
  int transient = (flags & (SQLITE_OPEN_TEMP_DB | SQLITE_OPEN_TEMP_JOURNAL | SQLITE_OPEN_SUBJOURNAL |
                            SQLITE_OPEN_TRANSIENT_DB)) != 0 || !name;
  (void)vfs;
  memset(p, 0, sizeof *p);
  if (slot < 0 && transient) {
    /* connection-lifetime scratch file: the default VFS (in-memory file system) owns f
     * outright, methods included (szOsFile covers its object) */
    sqlite3_vfs *d = dflt_vfs();
    return d->xOpen(d, name, f, flags, out_flags);
  }
  if (slot < 0) return SQLITE_CANTOPEN;
  p->base.pMethods = &opfs_io;
  p->slot = slot;
  p->readonly = (flags & SQLITE_OPEN_READONLY) != 0;
  if (out_flags) *out_flags = flags;
  return SQLITE_OK;
}

/* A pool file is never removed: "delete" empties it and makes that durable, so a journal
 * deleted at commit cannot reappear as hot after a crash. */
static int x_delete(sqlite3_vfs *vfs, const char *name, int sync_dir) {
  int slot = hub_opfs_open(pool_name(name)), st;
  (void)vfs;
  (void)sync_dir;
  if (slot < 0) {
    sqlite3_vfs *d = dflt_vfs();
    return d->xDelete(d, name, sync_dir);
  }
  st = hub_opfs_truncate(slot, 0);
  if (st == OPFS_OK) st = hub_opfs_flush(slot);
  return status_rc(st, SQLITE_IOERR_DELETE);
}

static int x_access(sqlite3_vfs *vfs, const char *name, int what, int *out) {
  int slot = hub_opfs_open(pool_name(name));
  (void)vfs;
  if (slot < 0) {
    sqlite3_vfs *d = dflt_vfs();
    return d->xAccess(d, name, what, out);
  }
  *out = what == SQLITE_ACCESS_EXISTS ? hub_opfs_size(slot) > 0 : 1;
  return SQLITE_OK;
}

static int x_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out) {
  size_t len = strlen(name);
  (void)vfs;
  if (len + 1 > (size_t)n) return SQLITE_CANTOPEN;
  memcpy(out, name, len + 1);
  return SQLITE_OK;
}

static int x_randomness(sqlite3_vfs *vfs, int n, char *out) {
  sqlite3_vfs *d = dflt_vfs();
  (void)vfs;
  return d->xRandomness(d, n, out);
}

static int x_sleep(sqlite3_vfs *vfs, int us) {
  sqlite3_vfs *d = dflt_vfs();
  (void)vfs;
  return d->xSleep(d, us);
}

static int x_current_time(sqlite3_vfs *vfs, double *out) {
  sqlite3_vfs *d = dflt_vfs();
  (void)vfs;
  return d->xCurrentTime(d, out);
}

static int x_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out) {
  sqlite3_vfs *d = dflt_vfs();
  (void)vfs;
  if (d->iVersion >= 2 && d->xCurrentTimeInt64) return d->xCurrentTimeInt64(d, out);
  {
    double t = 0;
    int rc = d->xCurrentTime(d, &t);
    *out = (sqlite3_int64)(t * 86400000.0);
    return rc;
  }
}

static int x_get_last_error(sqlite3_vfs *vfs, int n, char *out) {
  (void)vfs;
  if (n > 0) out[0] = 0;
  return 0;
}

static sqlite3_vfs opfs_vfs = {
    2,    0, HUB_OPFS_MAX_PATH, NULL, HUB_OPFS_VFS_NAME, NULL, x_open, x_delete, x_access,
    x_full_pathname, NULL, NULL, NULL, NULL, x_randomness, x_sleep, x_current_time,
    x_get_last_error, x_current_time_int64, NULL, NULL, NULL};

/* Auto-extension: a connection whose main database is on this VFS holds its lock (see the
 * file comment). Returns SQLITE_OK (a connection elsewhere is left alone). */
static int exclusive_on_opfs(sqlite3 *db, char **err, const void *api) {
  sqlite3_vfs *v = NULL;
  (void)err;
  (void)api;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_VFS_POINTER, &v) != SQLITE_OK || v != &opfs_vfs)
    return SQLITE_OK;
  return sqlite3_exec(db, "PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_size_limit=" HUB_OPFS_JOURNAL_KEEP,
                      NULL, NULL, NULL);
}

/* Registers the VFS "opfs" (not as the default). Idempotent. Returns a SQLite result
 * code. Opening a database with it before JS has put the handles in Module.opfs fails with
 * SQLITE_CANTOPEN. */
int hub_wasm_vfs_register(void);
int hub_wasm_vfs_register(void) {
  sqlite3_vfs *d;
  int rc = sqlite3_initialize();
  if (rc != SQLITE_OK) return rc;
  if (sqlite3_vfs_find(HUB_OPFS_VFS_NAME)) return SQLITE_OK;
  d = dflt_vfs();
  if (!d) return SQLITE_ERROR;
  opfs_vfs.szOsFile = d->szOsFile > (int)sizeof(opfs_file) ? d->szOsFile : (int)sizeof(opfs_file);
  rc = sqlite3_auto_extension((void (*)(void))exclusive_on_opfs);
  if (rc != SQLITE_OK) return rc;
  return sqlite3_vfs_register(&opfs_vfs, 0);
}

/* Opens path read-only through the VFS vfs (NULL/"" the default), runs PRAGMA
 * integrity_check and returns its first row ("ok" when sound) or an error message. The
 * string is static, valid until the next call. For tests and the health view. */
const char *hub_wasm_integrity_check(const char *path, const char *vfs);
const char *hub_wasm_integrity_check(const char *path, const char *vfs) {
  static char out[512];
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  int rc;
  out[0] = 0;
  if (hub_wasm_vfs_register() != SQLITE_OK) {
    strcpy(out, "cannot register the opfs VFS");
    goto done;
  }
  rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, vfs && *vfs ? vfs : NULL);
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const unsigned char *t = sqlite3_column_text(st, 0);
    sqlite3_snprintf((int)sizeof out, out, "%s", t ? (const char *)t : "");
  } else {
    sqlite3_snprintf((int)sizeof out, out, "error: %s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  }
done:
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}
