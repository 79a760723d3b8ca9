/*
 * db.c — opening hub's SQLite file safely, migrating it, and the one way the core talks SQL:
 * a statement cache with a single binder (db layer; see db.h for who owns which table).
 *
 * Opening checks before it changes anything: the file must be hub's (PRAGMA application_id,
 * or an older hub file recognised by its tables), not from a newer hub, and intact
 * (quick_check); only then is WAL turned on and the schema migrated. Reading those pragmas
 * writes nothing, so another application's file, or a newer hub's, is left byte for byte as
 * it was.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "db/db.h"

extern const char *const hub__migrations[];
extern const int hub__n_migrations;

typedef struct {
  const char *sql; /* the cache key: the SQL text's address */
  sqlite3_stmt *st;
  int busy;
} stmt_slot;

struct hub__stmts {
  stmt_slot slot[HUB_STMT_CACHE];
  int n;
};

int hub__db_schema_version(void) { return hub__n_migrations; }

int hub__db_fail(hub *h) {
  hub__set_err(h, "sqlite: %s", h->db ? sqlite3_errmsg(h->db) : "no database");
  return -1;
}

int hub__db_exec(hub *h, const char *sql) {
  char *msg = NULL;
  if (sqlite3_exec(h->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    hub__set_err(h, "sqlite: %s", msg ? msg : sqlite3_errmsg(h->db));
    sqlite3_free(msg);
    return -1;
  }
  return 0;
}

/* An integer pragma or single-value query; -1 on error. */
static int64_t scalar(hub *h, const char *sql) {
  sqlite3_stmt *st = NULL;
  int64_t v = -1;
  if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

static int migrate(hub *h, int version) {
  int i;
  for (i = version; i < hub__n_migrations; i++) {
    char pragma[96];
    if (hub__db_exec(h, "BEGIN IMMEDIATE")) return -1;
    snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d; PRAGMA application_id=%d", i + 1, HUB_APP_ID);
    if (hub__db_exec(h, hub__migrations[i]) || hub__db_exec(h, pragma) || hub__db_exec(h, "COMMIT")) {
      char keep[sizeof h->errmsg];
      memcpy(keep, h->errmsg, sizeof keep);
      sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
      hub__set_err(h, "upgrading the database to schema %d failed: %.400s", i + 1, keep);
      return -1;
    }
  }
  return 0;
}

/* Is this file hub's? 1 yes (or empty), 0 no; version in *v. */
static int ours(hub *h, int64_t *v) {
  int64_t app = scalar(h, "PRAGMA application_id");
  int64_t tables = scalar(h, "SELECT count(*) FROM sqlite_master");
  *v = scalar(h, "PRAGMA user_version");
  if (app < 0 || *v < 0 || tables < 0) return -1;
  if (app == HUB_APP_ID) return 1;
  if (app != 0) return 0;
  if (tables == 0 && *v == 0) return 1; /* a new, empty file */
  /* before schema 7 hub set no application_id: recognise it by its tables */
  return *v > 0 && scalar(h, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN "
                             "('settings','items','runs','validators')") == 4;
}

/* quick_check: NULL when intact, else a new message. */
static char *damaged(hub *h) {
  sqlite3_stmt *st = NULL;
  char *msg = NULL;
  if (sqlite3_prepare_v2(h->db, "PRAGMA quick_check(3)", -1, &st, NULL) != SQLITE_OK)
    return hub__strdup(sqlite3_errmsg(h->db));
  if (sqlite3_step(st) == SQLITE_ROW) {
    const char *r = (const char *)sqlite3_column_text(st, 0);
    if (!r || strcmp(r, "ok") != 0) msg = hub__strdup(r ? r : "unreadable");
  } else {
    msg = hub__strdup(sqlite3_errmsg(h->db));
  }
  sqlite3_finalize(st);
  return msg;
}

int hub__db_open(hub *h, const char *path, const char *vfs) {
  int rc, mem = strcmp(path, ":memory:") == 0, is_ours;
  int64_t version = 0;
  char *bad = NULL;
  rc = sqlite3_open_v2(path, &h->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs);
  if (rc != SQLITE_OK) {
    hub__set_err(h, "cannot open database %s: %s", path, h->db ? sqlite3_errmsg(h->db) : sqlite3_errstr(rc));
    return -1;
  }
  sqlite3_busy_timeout(h->db, 5000);
  sqlite3_extended_result_codes(h->db, 1);
  h->readonly = sqlite3_db_readonly(h->db, "main") == 1;
  is_ours = ours(h, &version);
  if (is_ours < 0) {
    hub__set_err(h, "cannot read database %s: %s (not an SQLite file?)", path, sqlite3_errmsg(h->db));
    return -1;
  }
  if (!is_ours) {
    hub__set_err(h, "%s is not a hub database (another application's file); nothing was changed", path);
    return -1;
  }
  if (version > hub__n_migrations) {
    hub__set_err(h, "database %s has schema %lld, newer than this hub (%d); nothing was changed", path,
                 (long long)version, hub__n_migrations);
    return -1;
  }
  if (!mem && version > 0 && (bad = damaged(h)) != NULL) {
    hub__set_err(h, "database %s is damaged (%.200s): move it aside and sync again to rebuild it from upstream", path,
                 bad);
    hub_free(bad);
    return -1;
  }
  sqlite3_db_release_memory(h->db); /* the quick_check read every page: keep none of them */
  if (h->readonly) {
    if (version < hub__n_migrations) {
      hub__set_err(h, "database %s is read-only and needs an upgrade (schema %lld → %d)", path,
                   (long long)version, hub__n_migrations);
      return -1;
    }
    return hub__db_exec(h, "PRAGMA foreign_keys=ON; PRAGMA query_only=ON");
  }
  /* WAL where the VFS supports it (native files); harmless elsewhere. */
  if (!mem) sqlite3_exec(h->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
  if (hub__db_exec(h, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL")) return -1;
  if (migrate(h, (int)version)) {
    char keep[sizeof h->errmsg];
    memcpy(keep, h->errmsg, sizeof keep);
    hub__set_err(h, "database %s: %.450s", path, keep);
    return -1;
  }
  return 0;
}

void hub__db_close(hub *h) {
  if (h->stmts) {
    int i;
    for (i = 0; i < h->stmts->n; i++) sqlite3_finalize(h->stmts->slot[i].st);
    hub_free(h->stmts);
    h->stmts = NULL;
  }
  sqlite3_close(h->db);
  h->db = NULL;
}

int hub__db_changed_elsewhere(hub *h) {
  int64_t v;
  if (!h->db) return 0;
  v = hub__db_int(h, "PRAGMA data_version", NULL, 0);
  if (v == 0 || v == h->data_version) return 0;
  h->data_version = v;
  return 1;
}

/* BEGIN and COMMIT through the statement cache: every command runs them, and parsing them again
   each time was a few per cent of a tip (more in wasm) */
int hub__db_begin(hub *h) { return hub__db_run(h, "BEGIN IMMEDIATE", "") < 0 ? -1 : 0; }
int hub__db_commit(hub *h) {
  if (hub__db_run(h, "COMMIT", "") < 0) {
    hub__db_rollback(h);
    return -1;
  }
  return 0;
}
void hub__db_rollback(hub *h) {
  if (h->db && !sqlite3_get_autocommit(h->db)) sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
}
int hub__db_in_tx(hub *h) { return h->db && !sqlite3_get_autocommit(h->db); }

/* ---- the statement cache and the binder ----------------------------------------------- */

static int bind(hub *h, sqlite3_stmt *st, const char *types, va_list ap) {
  int i, rc = SQLITE_OK;
  for (i = 0; types && types[i] && rc == SQLITE_OK; i++) {
    switch (types[i]) {
    case 'i': rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t)); break;
    case 'd': rc = sqlite3_bind_double(st, i + 1, va_arg(ap, double)); break;
    case 'b': {
      const void *p = va_arg(ap, const void *);
      int64_t n = va_arg(ap, int64_t);
      rc = sqlite3_bind_blob64(st, i + 1, p, (sqlite3_uint64)n, SQLITE_TRANSIENT);
      break;
    }
    default: {
      const char *v = va_arg(ap, const char *);
      rc = v ? sqlite3_bind_text(st, i + 1, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i + 1);
      break;
    }
    }
  }
  return rc == SQLITE_OK ? 0 : hub__db_fail(h);
}

static sqlite3_stmt *prepare(hub *h, const char *sql, int cache) {
  struct hub__stmts *c = h->stmts;
  sqlite3_stmt *st = NULL;
  int i;
  if (cache) {
    if (!c) {
      c = h->stmts = hub__malloc(sizeof *c);
      if (!c) {
        hub__set_err(h, "out of memory");
        return NULL;
      }
      memset(c, 0, sizeof *c);
    }
    for (i = 0; i < c->n; i++) {
      if (c->slot[i].sql != sql) continue;
      if (c->slot[i].busy) break; /* nested use: a fresh one-shot statement */
      c->slot[i].busy = 1;
      return c->slot[i].st;
    }
    if (i == c->n && c->n < HUB_STMT_CACHE) {
      if (sqlite3_prepare_v3(h->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        hub__db_fail(h);
        sqlite3_finalize(st);
        return NULL;
      }
      c->slot[c->n].sql = sql;
      c->slot[c->n].st = st;
      c->slot[c->n].busy = 1;
      c->n++;
      return st;
    }
  }
  if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK) {
    hub__db_fail(h);
    sqlite3_finalize(st);
    return NULL;
  }
  return st;
}

static sqlite3_stmt *vq(hub *h, const char *sql, int cache, const char *types, va_list ap) {
  sqlite3_stmt *st = prepare(h, sql, cache);
  if (!st) return NULL;
  if (bind(h, st, types, ap)) {
    hub__db_done(h, st);
    return NULL;
  }
  return st;
}

sqlite3_stmt *hub__db_q(hub *h, const char *sql, const char *types, ...) {
  va_list ap;
  sqlite3_stmt *st;
  va_start(ap, types);
  st = vq(h, sql, 1, types, ap);
  va_end(ap);
  return st;
}

sqlite3_stmt *hub__db_q_dyn(hub *h, const char *sql, const char *types, ...) {
  va_list ap;
  sqlite3_stmt *st;
  va_start(ap, types);
  st = vq(h, sql, 0, types, ap);
  va_end(ap);
  return st;
}

void hub__db_done(hub *h, sqlite3_stmt *st) {
  int i;
  if (!st) return;
  if (h->stmts)
    for (i = 0; i < h->stmts->n; i++)
      if (h->stmts->slot[i].st == st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        h->stmts->slot[i].busy = 0;
        return;
      }
  sqlite3_finalize(st);
}

int hub__db_run(hub *h, const char *sql, const char *types, ...) {
  va_list ap;
  sqlite3_stmt *st;
  int rc;
  va_start(ap, types);
  st = vq(h, sql, 1, types, ap);
  va_end(ap);
  if (!st) return -1;
  rc = sqlite3_step(st);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    hub__db_fail(h);
    hub__db_done(h, st);
    return -1;
  }
  hub__db_done(h, st);
  return sqlite3_changes(h->db);
}

char *hub__db_col_dup(sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? hub__strdup((const char *)t) : NULL;
}

char *hub__db_str(hub *h, const char *sql, const char *types, ...) {
  va_list ap;
  sqlite3_stmt *st;
  char *r = NULL;
  va_start(ap, types);
  st = vq(h, sql, 1, types, ap);
  va_end(ap);
  if (st && sqlite3_step(st) == SQLITE_ROW) r = hub__db_col_dup(st, 0);
  hub__db_done(h, st);
  return r;
}

int64_t hub__db_int(hub *h, const char *sql, const char *types, int64_t dflt, ...) {
  va_list ap;
  sqlite3_stmt *st;
  int64_t r = dflt;
  va_start(ap, dflt);
  st = vq(h, sql, 1, types, ap);
  va_end(ap);
  if (st && sqlite3_step(st) == SQLITE_ROW) r = sqlite3_column_int64(st, 0);
  hub__db_done(h, st);
  return r;
}
