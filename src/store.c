/*
 * store.c — hub's state in SQLite: schema and migrations, items with change detection,
 * settings, the validator cache, and run records.
 *
 * Schema versions are counted by PRAGMA user_version; each migration runs in one
 * transaction. Items are keyed by a stable text key across sources. An upsert merges the
 * fields a source knows into the stored row, hashes the fields that matter, and writes only
 * when that hash (or the item's set of reasons) changed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hub_int.h"

static const char *const migrations[] = {
    /* 1: items, reasons, contributors, validators, runs, settings */
    "CREATE TABLE settings(k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE items("
    "  id INTEGER PRIMARY KEY,"
    "  key TEXT NOT NULL UNIQUE,"      /* github.com/owner/repo#12, at://did/coll/rkey ... */
    "  source TEXT NOT NULL,"          /* github, tangled, gfi ... */
    "  host TEXT, repo TEXT, number INTEGER,"
    "  kind TEXT NOT NULL DEFAULT 'issue'," /* issue | pull */
    "  title TEXT NOT NULL DEFAULT '', body TEXT, state TEXT NOT NULL DEFAULT 'open',"
    "  author TEXT, labels TEXT NOT NULL DEFAULT '[]', assignees TEXT NOT NULL DEFAULT '[]',"
    "  comments INTEGER NOT NULL DEFAULT 0, reactions INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER, updated_at INTEGER, url TEXT,"
    "  unread INTEGER NOT NULL DEFAULT 0,"
    "  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
    "  hash TEXT NOT NULL,"
    "  base REAL NOT NULL DEFAULT 1, rank REAL NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX items_rank ON items(state, rank DESC);"
    "CREATE TABLE item_reasons(item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
    "  reason TEXT NOT NULL, PRIMARY KEY(item_id, reason)) WITHOUT ROWID;"
    "CREATE TABLE contributors(login TEXT PRIMARY KEY COLLATE NOCASE, weight REAL NOT NULL)"
    "  WITHOUT ROWID;"
    "CREATE TABLE validators(token_hash TEXT NOT NULL, url TEXT NOT NULL, etag TEXT,"
    "  last_modified TEXT, next_url TEXT, PRIMARY KEY(token_hash, url)) WITHOUT ROWID;"
    "CREATE TABLE runs(id INTEGER PRIMARY KEY, started INTEGER NOT NULL, finished INTEGER,"
    "  status TEXT NOT NULL, new INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0,"
    "  unchanged INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0,"
    "  requests INTEGER NOT NULL DEFAULT 0, not_modified INTEGER NOT NULL DEFAULT 0,"
    "  charged INTEGER NOT NULL DEFAULT 0, retries INTEGER NOT NULL DEFAULT 0,"
    "  waited_ms INTEGER NOT NULL DEFAULT 0, errors TEXT NOT NULL DEFAULT '[]',"
    "  limits TEXT NOT NULL DEFAULT '{}');",
    /* 2: one tip — models, decisions, reactions, per-item state, policies, settings (tip.c) */
    "CREATE TABLE tip_models(user TEXT NOT NULL, policy TEXT NOT NULL, d INTEGER NOT NULL,"
    "  state BLOB NOT NULL, updates INTEGER NOT NULL DEFAULT 0, updated_at INTEGER,"
    "  PRIMARY KEY(user, policy)) WITHOUT ROWID;"
    "CREATE TABLE tip_decisions("
    "  id INTEGER PRIMARY KEY, user TEXT NOT NULL, at INTEGER NOT NULL," /* at: ms */
    "  item_id INTEGER REFERENCES items(id) ON DELETE SET NULL, item_key TEXT NOT NULL,"
    "  policy TEXT NOT NULL, fallback TEXT NOT NULL DEFAULT '[]',"
    "  features TEXT NOT NULL," /* JSON array of the served item's features */
    "  score REAL, propensity REAL NOT NULL, candidates INTEGER NOT NULL,"
    "  explore TEXT, epsilon REAL, seed INTEGER, latency_us INTEGER,"
    "  policies TEXT NOT NULL DEFAULT '{}'," /* {policy:{choice,p,score}}: served + shadows */
    "  why TEXT, reward REAL);"             /* reward: sum of the reactions' rewards */
    "CREATE INDEX tip_decisions_user ON tip_decisions(user, id);"
    "CREATE TABLE tip_reactions(id INTEGER PRIMARY KEY,"
    "  decision_id INTEGER NOT NULL REFERENCES tip_decisions(id) ON DELETE CASCADE,"
    "  at INTEGER NOT NULL, reaction TEXT NOT NULL, reward REAL NOT NULL, snooze_until INTEGER,"
    "  UNIQUE(decision_id, reaction));"
    "CREATE TABLE tip_item_state(user TEXT NOT NULL,"
    "  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
    "  state TEXT NOT NULL, until INTEGER, item_hash TEXT, at INTEGER NOT NULL," /* done|snoozed|dismissed */
    "  PRIMARY KEY(user, item_id)) WITHOUT ROWID;"
    "CREATE TABLE tip_policies(name TEXT PRIMARY KEY, enabled INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE tip_config(k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;",
    /* 3: AT Protocol (atproto.c) — identity cache (handle → DID, DID → PDS + handle, with an
     * expiry in ms), the tangled records items are built from, repo names, backlink-index
     * counts, and work parked until an identity resolves (cleared at every run start) */
    "CREATE TABLE at_identity(id TEXT PRIMARY KEY, did TEXT, pds TEXT, handle TEXT,"
    "  expires INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE at_records(uri TEXT PRIMARY KEY, did TEXT NOT NULL, collection TEXT NOT NULL,"
    "  kind TEXT NOT NULL," /* issue | pull | state | comment */
    "  subject TEXT,"       /* issue/pull: the repo (AT URI or DID); else the issue/pull URI */
    "  value TEXT,"         /* issue/pull: the record as JSON; state: open|closed|merged */
    "  ts INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE INDEX at_records_subject ON at_records(subject, kind);"
    "CREATE TABLE at_repos(uri TEXT PRIMARY KEY, did TEXT NOT NULL, name TEXT, repo_did TEXT,"
    "  watched INTEGER NOT NULL DEFAULT 0, tried INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE INDEX at_repos_repo_did ON at_repos(repo_did);"
    "CREATE TABLE at_counts(subject TEXT PRIMARY KEY, comments INTEGER NOT NULL,"
    "  states INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE at_pending(id TEXT NOT NULL, action TEXT NOT NULL, a TEXT NOT NULL,"
    "  b TEXT NOT NULL, PRIMARY KEY(id, action, a, b));",
    /* 4: good-first-issue lists (gfi.c) — repos deduplicated by (owner, name) across lists,
     * which walk (repo search or the user's query) and page each listed issue came from, and
     * a repo-activity factor stored with the item */
    "CREATE TABLE repos(id INTEGER PRIMARY KEY,"
    "  owner TEXT NOT NULL COLLATE NOCASE, name TEXT NOT NULL COLLATE NOCASE,"
    "  label TEXT NOT NULL,"                         /* the label its beginner issues carry */
    "  technologies TEXT NOT NULL DEFAULT '[]',"     /* as the lists name them (JSON array) */
    "  languages TEXT NOT NULL DEFAULT '[]',"        /* GET /languages, most bytes first */
    "  lists TEXT NOT NULL DEFAULT '[]',"            /* every list that names it, sorted */
    "  source TEXT NOT NULL,"                        /* the last source that changed it */
    "  activity REAL NOT NULL DEFAULT 1, hash TEXT NOT NULL,"
    "  first_seen INTEGER NOT NULL, changed INTEGER NOT NULL, UNIQUE(owner, name));"
    "CREATE TABLE gfi_issues(item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
    "  walk TEXT NOT NULL, page_url TEXT NOT NULL, PRIMARY KEY(item_id, walk)) WITHOUT ROWID;"
    "CREATE INDEX gfi_issues_walk ON gfi_issues(walk, page_url);"
    "ALTER TABLE items ADD COLUMN activity REAL NOT NULL DEFAULT 1;",
    /* 5: run statistics per source and skip reasons (sync.c) */
    ("ALTER TABLE runs ADD COLUMN sources TEXT NOT NULL DEFAULT '{}';"
    "ALTER TABLE runs ADD COLUMN skip_reasons TEXT NOT NULL DEFAULT '{}';"),
    /* 6: AT Protocol walks (atproto.c) — per DID and walk ("list" | "repos"): the repo rev of
     * the last complete walk and when it settled (ms), the rev being walked with its pages in
     * flight, and the latest rev the PDS reported in run latest_run */
    ("CREATE TABLE at_sync(did TEXT NOT NULL, what TEXT NOT NULL, rev TEXT,"
    "  polled INTEGER NOT NULL DEFAULT 0, pending TEXT, open INTEGER NOT NULL DEFAULT 0,"
    "  latest TEXT, latest_run INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(did, what)) WITHOUT ROWID;"),
};

void hub__set_err(hub *h, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(h->errmsg, sizeof h->errmsg, fmt, ap);
  va_end(ap);
}

int hub__exec(hub *h, const char *sql) {
  char *msg = NULL;
  if (sqlite3_exec(h->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    hub__set_err(h, "sqlite: %s", msg ? msg : sqlite3_errmsg(h->db));
    sqlite3_free(msg);
    return -1;
  }
  return 0;
}

static int migrate(hub *h) {
  sqlite3_stmt *st = NULL;
  int version = 0, n = (int)(sizeof migrations / sizeof migrations[0]), i;
  if (sqlite3_prepare_v2(h->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK) goto fail;
  if (sqlite3_step(st) == SQLITE_ROW) version = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  st = NULL;
  if (version > n) {
    hub__set_err(h, "database schema version %d is newer than this hub (%d)", version, n);
    return -1;
  }
  for (i = version; i < n; i++) {
    char pragma[64];
    if (hub__exec(h, "BEGIN IMMEDIATE")) return -1;
    snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", i + 1);
    if (hub__exec(h, migrations[i]) || hub__exec(h, pragma) || hub__exec(h, "COMMIT")) {
      char keep[sizeof h->errmsg];
      memcpy(keep, h->errmsg, sizeof keep);
      sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
      memcpy(h->errmsg, keep, sizeof keep);
      return -1;
    }
  }
  return 0;
fail:
  hub__set_err(h, "sqlite: %s", sqlite3_errmsg(h->db));
  sqlite3_finalize(st);
  return -1;
}

int hub__store_open(hub *h, const char *path, const char *vfs) {
  int rc = sqlite3_open_v2(path, &h->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs);
  if (rc != SQLITE_OK) {
    hub__set_err(h, "cannot open database %s: %s", path,
                 h->db ? sqlite3_errmsg(h->db) : sqlite3_errstr(rc));
    return -1;
  }
  sqlite3_busy_timeout(h->db, 5000);
  sqlite3_extended_result_codes(h->db, 1);
  /* WAL where the VFS supports it (native files); harmless elsewhere. */
  if (strcmp(path, ":memory:") != 0) sqlite3_exec(h->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
  if (hub__exec(h, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL")) return -1;
  return migrate(h);
}

void hub__store_close(hub *h) {
  sqlite3_finalize(h->st_item_get);
  sqlite3_finalize(h->st_item_ins);
  sqlite3_finalize(h->st_item_upd);
  sqlite3_finalize(h->st_reason_ins);
  sqlite3_finalize(h->st_reason_has);
  h->st_item_get = h->st_item_ins = h->st_item_upd = h->st_reason_ins = h->st_reason_has = NULL;
  sqlite3_close(h->db);
  h->db = NULL;
}

int hub__store_begin(hub *h) { return hub__exec(h, "BEGIN IMMEDIATE"); }
int hub__store_commit(hub *h) {
  if (hub__exec(h, "COMMIT")) {
    hub__store_rollback(h);
    return -1;
  }
  return 0;
}
void hub__store_rollback(hub *h) {
  if (!sqlite3_get_autocommit(h->db)) sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
}

static int prep(hub *h, sqlite3_stmt **st, const char *sql) {
  if (*st) {
    sqlite3_reset(*st);
    sqlite3_clear_bindings(*st);
    return 0;
  }
  if (sqlite3_prepare_v3(h->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
    hub__set_err(h, "sqlite: %s", sqlite3_errmsg(h->db));
    return -1;
  }
  return 0;
}

/* ---- settings -------------------------------------------------------------------------- */

char *hub__setting_get(hub *h, const char *k) {
  sqlite3_stmt *st = NULL;
  char *r = NULL;
  if (sqlite3_prepare_v2(h->db, "SELECT v FROM settings WHERE k=?", -1, &st, NULL) != SQLITE_OK)
    return NULL;
  sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW) r = hub__strdup((const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return r;
}

int hub__setting_set(hub *h, const char *k, const char *v) {
  sqlite3_stmt *st = NULL;
  int rc;
  const char *sql = v ? "INSERT INTO settings(k,v) VALUES(?,?) ON CONFLICT(k) DO UPDATE SET v=excluded.v"
                      : "DELETE FROM settings WHERE k=?";
  if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK) goto fail;
  sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
  if (v) sqlite3_bind_text(st, 2, v, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) goto fail;
  return 0;
fail:
  hub__set_err(h, "sqlite: %s", sqlite3_errmsg(h->db));
  return -1;
}

double hub__setting_num(hub *h, const char *k, double dflt) {
  char *v = hub__setting_get(h, k), *end = NULL;
  double d = dflt;
  if (v) {
    d = strtod(v, &end);
    if (end == v || *end) d = dflt;
  }
  hub_free(v);
  return d;
}

/* ---- validators ------------------------------------------------------------------------ */

static char *col_dup(sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? hub__strdup((const char *)t) : NULL;
}

int hub__validator_get(hub *h, const char *tok, const char *url, char **etag, char **lastmod,
                       char **next) {
  sqlite3_stmt *st = NULL;
  *etag = *lastmod = *next = NULL;
  if (sqlite3_prepare_v2(h->db,
                         "SELECT etag,last_modified,next_url FROM validators WHERE token_hash=? AND url=?",
                         -1, &st, NULL) != SQLITE_OK) {
    hub__set_err(h, "sqlite: %s", sqlite3_errmsg(h->db));
    return -1;
  }
  sqlite3_bind_text(st, 1, tok, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, url, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW) {
    *etag = col_dup(st, 0);
    *lastmod = col_dup(st, 1);
    *next = col_dup(st, 2);
  }
  sqlite3_finalize(st);
  return 0;
}

int hub__validator_put(hub *h, const char *tok, const char *url, const char *etag,
                       const char *lastmod, const char *next) {
  sqlite3_stmt *st = NULL;
  int rc;
  if (sqlite3_prepare_v2(h->db,
                         "INSERT INTO validators(token_hash,url,etag,last_modified,next_url) "
                         "VALUES(?,?,?,?,?) ON CONFLICT(token_hash,url) DO UPDATE SET "
                         "etag=excluded.etag,last_modified=excluded.last_modified,"
                         "next_url=excluded.next_url "
                         "WHERE etag IS NOT excluded.etag OR last_modified IS NOT "
                         "excluded.last_modified OR next_url IS NOT excluded.next_url",
                         -1, &st, NULL) != SQLITE_OK)
    goto fail;
  sqlite3_bind_text(st, 1, tok, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, url, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, etag, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, lastmod, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, next, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) goto fail;
  return 0;
fail:
  hub__set_err(h, "sqlite: %s", sqlite3_errmsg(h->db));
  return -1;
}

/* ---- items ----------------------------------------------------------------------------- */

/* The stored or merged values of one item. Strings are owned. */
typedef struct {
  char *kind, *title, *body, *state, *author, *labels, *assignees, *url;
  int64_t comments, reactions, created_at, updated_at;
  int unread;
} row;

static void row_free(row *r) {
  hub_free(r->kind); hub_free(r->title); hub_free(r->body); hub_free(r->state);
  hub_free(r->author); hub_free(r->labels); hub_free(r->assignees); hub_free(r->url);
  memset(r, 0, sizeof *r);
}

/* Replaces *dst with a copy of src when src is given; returns -1 on OOM. */
static int take(char **dst, const char *src) {
  char *c;
  if (!src) return 0;
  c = hub__strdup(src);
  if (!c) return -1;
  hub_free(*dst);
  *dst = c;
  return 0;
}

static void hash_str(uint64_t *hv, const char *s) {
  static const char sep = 0x1f, nul = 0x1e;
  if (s) *hv = hub__fnv1a(*hv, s, strlen(s));
  else *hv = hub__fnv1a(*hv, &nul, 1);
  *hv = hub__fnv1a(*hv, &sep, 1);
}
static void hash_int(uint64_t *hv, int64_t v) {
  char b[24];
  snprintf(b, sizeof b, "%lld", (long long)v);
  hash_str(hv, b);
}

/* The content hash: the fields a user would notice change. */
static void row_hash(const row *r, char out[17]) {
  uint64_t hv = HUB_FNV_INIT;
  hash_str(&hv, r->kind); hash_str(&hv, r->title); hash_str(&hv, r->body);
  hash_str(&hv, r->state); hash_str(&hv, r->author); hash_str(&hv, r->labels);
  hash_str(&hv, r->assignees); hash_int(&hv, r->comments); hash_int(&hv, r->reactions);
  hash_int(&hv, r->created_at); hash_int(&hv, r->updated_at); hash_str(&hv, r->url);
  hash_int(&hv, r->unread);
  snprintf(out, 17, "%016llx", (unsigned long long)hv);
}

static int reason_known(hub *h, int64_t id, const char *reason, int *known) {
  *known = 0;
  if (prep(h, &h->st_reason_has, "SELECT 1 FROM item_reasons WHERE item_id=? AND reason=?")) return -1;
  sqlite3_bind_int64(h->st_reason_has, 1, id);
  sqlite3_bind_text(h->st_reason_has, 2, reason, -1, SQLITE_STATIC);
  *known = sqlite3_step(h->st_reason_has) == SQLITE_ROW;
  sqlite3_reset(h->st_reason_has);
  return 0;
}

static int reason_add(hub *h, int64_t id, const char *reason) {
  int rc;
  if (prep(h, &h->st_reason_ins, "INSERT OR IGNORE INTO item_reasons(item_id,reason) VALUES(?,?)"))
    return -1;
  sqlite3_bind_int64(h->st_reason_ins, 1, id);
  sqlite3_bind_text(h->st_reason_ins, 2, reason, -1, SQLITE_STATIC);
  rc = sqlite3_step(h->st_reason_ins);
  sqlite3_reset(h->st_reason_ins);
  if (rc != SQLITE_DONE) {
    hub__set_err(h, "sqlite: %s", sqlite3_errmsg(h->db));
    return -1;
  }
  return 0;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s) {
  if (s) sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
  else sqlite3_bind_null(st, i);
}
static void bind_time(sqlite3_stmt *st, int i, int64_t t) {
  if (t) sqlite3_bind_int64(st, i, t);
  else sqlite3_bind_null(st, i);
}

int hub__store_upsert(hub *h, const hub__item *it, int64_t now_s, hub__upsert_result *res) {
  row r;
  char hash[17], old_hash[17] = "";
  int64_t id = 0;
  int exists = 0, known = 1, rc, ret = -1;
  const hub__weights *w = hub__weights_get(h);
  double base, rank, activity = 1.0; /* activity: the repo factor of good-first issues */
  sqlite3_stmt *st;

  memset(&r, 0, sizeof r);
  *res = HUB_UPSERT_UNCHANGED;
  if (prep(h, &h->st_item_get,
           "SELECT id,kind,title,body,state,author,labels,assignees,comments,reactions,"
           "created_at,updated_at,url,unread,hash,activity FROM items WHERE key=?"))
    goto done;
  st = h->st_item_get;
  sqlite3_bind_text(st, 1, it->key, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    exists = 1;
    id = sqlite3_column_int64(st, 0);
    r.kind = col_dup(st, 1); r.title = col_dup(st, 2); r.body = col_dup(st, 3);
    r.state = col_dup(st, 4); r.author = col_dup(st, 5); r.labels = col_dup(st, 6);
    r.assignees = col_dup(st, 7);
    r.comments = sqlite3_column_int64(st, 8); r.reactions = sqlite3_column_int64(st, 9);
    r.created_at = sqlite3_column_int64(st, 10); r.updated_at = sqlite3_column_int64(st, 11);
    r.url = col_dup(st, 12); r.unread = sqlite3_column_int(st, 13);
    snprintf(old_hash, sizeof old_hash, "%s", (const char *)sqlite3_column_text(st, 14));
    activity = sqlite3_column_double(st, 15);
  } else if (rc != SQLITE_DONE) {
    hub__set_err(h, "sqlite: %s", sqlite3_errmsg(h->db));
    sqlite3_reset(st);
    goto done;
  }
  sqlite3_reset(st);
  if (!exists) {
    if (take(&r.kind, "issue") || take(&r.title, "") || take(&r.state, "open") ||
        take(&r.labels, "[]") || take(&r.assignees, "[]"))
      goto oom;
  }
  /* merge what this source knows */
  if ((it->has & HUB_F_KIND) && take(&r.kind, it->kind)) goto oom;
  if ((it->has & HUB_F_TITLE) && take(&r.title, it->title)) goto oom;
  if ((it->has & HUB_F_BODY) && it->body && take(&r.body, it->body)) goto oom;
  if ((it->has & HUB_F_BODY) && !it->body) { hub_free(r.body); r.body = NULL; }
  if ((it->has & HUB_F_STATE) && take(&r.state, it->state)) goto oom;
  if ((it->has & HUB_F_AUTHOR) && take(&r.author, it->author)) goto oom;
  if ((it->has & HUB_F_LABELS) && take(&r.labels, it->labels)) goto oom;
  if ((it->has & HUB_F_ASSIGNEES) && take(&r.assignees, it->assignees)) goto oom;
  if ((it->has & HUB_F_URL) && take(&r.url, it->url)) goto oom;
  if (it->has & HUB_F_COMMENTS) r.comments = it->comments;
  if (it->has & HUB_F_REACTIONS) r.reactions = it->reactions;
  if (it->has & HUB_F_CREATED) r.created_at = it->created_at;
  if (it->has & HUB_F_UPDATED) r.updated_at = it->updated_at;
  if (it->has & HUB_F_UNREAD) r.unread = it->unread;
  row_hash(&r, hash);
  if (exists && it->reason && reason_known(h, id, it->reason, &known)) goto done;
  if (exists && known && strcmp(hash, old_hash) == 0) {
    ret = 0; /* unchanged: nothing written, nothing rescored */
    goto done;
  }
  base = hub__score_base(w, r.comments, r.reactions, hub__label_mult(w, r.labels),
                         hub__contributor(w, r.author)) * (activity > 0 ? activity : 1.0);
  rank = hub__score_rank(w, base, r.updated_at ? r.updated_at : (r.created_at ? r.created_at : now_s));
  if (!exists) {
    if (prep(h, &h->st_item_ins,
             "INSERT INTO items(key,source,host,repo,number,kind,title,body,state,author,labels,"
             "assignees,comments,reactions,created_at,updated_at,url,unread,first_seen,last_seen,"
             "hash,base,rank) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"))
      goto done;
    st = h->st_item_ins;
    sqlite3_bind_text(st, 1, it->key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, it->source ? it->source : "github", -1, SQLITE_STATIC);
    bind_text_or_null(st, 3, it->host);
    bind_text_or_null(st, 4, it->repo);
    if (it->number) sqlite3_bind_int64(st, 5, it->number);
    else sqlite3_bind_null(st, 5);
    sqlite3_bind_text(st, 6, r.kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, r.title, -1, SQLITE_STATIC);
    bind_text_or_null(st, 8, r.body);
    sqlite3_bind_text(st, 9, r.state, -1, SQLITE_STATIC);
    bind_text_or_null(st, 10, r.author);
    sqlite3_bind_text(st, 11, r.labels, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 12, r.assignees, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 13, r.comments);
    sqlite3_bind_int64(st, 14, r.reactions);
    bind_time(st, 15, r.created_at);
    bind_time(st, 16, r.updated_at);
    bind_text_or_null(st, 17, r.url);
    sqlite3_bind_int(st, 18, r.unread);
    sqlite3_bind_int64(st, 19, now_s);
    sqlite3_bind_int64(st, 20, now_s);
    sqlite3_bind_text(st, 21, hash, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 22, base);
    sqlite3_bind_double(st, 23, rank);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
      hub__set_err(h, "sqlite: %s", sqlite3_errmsg(h->db));
      goto done;
    }
    id = sqlite3_last_insert_rowid(h->db);
    *res = HUB_UPSERT_NEW;
  } else {
    if (prep(h, &h->st_item_upd,
             "UPDATE items SET kind=?,title=?,body=?,state=?,author=?,labels=?,assignees=?,"
             "comments=?,reactions=?,created_at=?,updated_at=?,url=?,unread=?,last_seen=?,"
             "hash=?,base=?,rank=? WHERE id=?"))
      goto done;
    st = h->st_item_upd;
    sqlite3_bind_text(st, 1, r.kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r.title, -1, SQLITE_STATIC);
    bind_text_or_null(st, 3, r.body);
    sqlite3_bind_text(st, 4, r.state, -1, SQLITE_STATIC);
    bind_text_or_null(st, 5, r.author);
    sqlite3_bind_text(st, 6, r.labels, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, r.assignees, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, r.comments);
    sqlite3_bind_int64(st, 9, r.reactions);
    bind_time(st, 10, r.created_at);
    bind_time(st, 11, r.updated_at);
    bind_text_or_null(st, 12, r.url);
    sqlite3_bind_int(st, 13, r.unread);
    sqlite3_bind_int64(st, 14, now_s);
    sqlite3_bind_text(st, 15, hash, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 16, base);
    sqlite3_bind_double(st, 17, rank);
    sqlite3_bind_int64(st, 18, id);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
      hub__set_err(h, "sqlite: %s", sqlite3_errmsg(h->db));
      goto done;
    }
    *res = HUB_UPSERT_UPDATED;
  }
  if (it->reason && reason_add(h, id, it->reason)) goto done;
  ret = 0;
  goto done;
oom:
  hub__set_err(h, "out of memory");
done:
  row_free(&r);
  return ret;
}

int hub__store_rescore(hub *h) {
  const hub__weights *w;
  sqlite3_stmt *sel = NULL, *upd = NULL;
  int ret = -1;
  hub__weights_invalidate(h);
  w = hub__weights_get(h);
  if (sqlite3_prepare_v2(h->db,
                         "SELECT id,comments,reactions,labels,author,"
                         "coalesce(updated_at,created_at,first_seen),activity FROM items",
                         -1, &sel, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(h->db, "UPDATE items SET base=?,rank=? WHERE id=?", -1, &upd, NULL) !=
          SQLITE_OK) {
    hub__set_err(h, "sqlite: %s", sqlite3_errmsg(h->db));
    goto done;
  }
  while (sqlite3_step(sel) == SQLITE_ROW) {
    double base = hub__score_base(w, sqlite3_column_int64(sel, 1), sqlite3_column_int64(sel, 2),
                                  hub__label_mult(w, (const char *)sqlite3_column_text(sel, 3)),
                                  hub__contributor(w, (const char *)sqlite3_column_text(sel, 4))) *
                  (sqlite3_column_double(sel, 6) > 0 ? sqlite3_column_double(sel, 6) : 1.0);
    sqlite3_bind_double(upd, 1, base);
    sqlite3_bind_double(upd, 2, hub__score_rank(w, base, sqlite3_column_int64(sel, 5)));
    sqlite3_bind_int64(upd, 3, sqlite3_column_int64(sel, 0));
    if (sqlite3_step(upd) != SQLITE_DONE) {
      hub__set_err(h, "sqlite: %s", sqlite3_errmsg(h->db));
      goto done;
    }
    sqlite3_reset(upd);
  }
  ret = 0;
done:
  sqlite3_finalize(sel);
  sqlite3_finalize(upd);
  return ret;
}
