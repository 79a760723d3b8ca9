/*
 * atproto.c — the tangled.org source: issues and pulls read over AT Protocol (sans-I/O, a
 * source of the run engine in sync.c; the core's source layer).
 *
 * Identity. A handle becomes a DID through com.atproto.identity.resolveHandle on the service
 * in `atproto_resolver`, or else https://<handle>/.well-known/atproto-did; a DID becomes its
 * PDS through its DID document (did:plc from the directory in `atproto_plc`, did:web from
 * https://<host>/.well-known/did.json; the `#atproto_pds` service). Both steps are cached in
 * at_identity until `atproto_identity_ttl_hours` pass. Work that needs a PDS not yet known
 * waits in at_pending (cleared at every start) and runs when the identity arrives.
 *
 * Records. The user's PDS is walked with com.atproto.repo.listRecords (limit 100, the cursor
 * followed until absent) over every tangled collection: repos, issues, pulls, their
 * state/status records, and comments of every generation. Issues and pulls on the user's repos
 * (and on the repos in `tangled_repos`) live in their authors' PDSes: a Constellation-style
 * backlink index (`tangled_backlinks`; empty = off) lists the records whose .repo (or
 * .target.repo, or legacy .targetRepo) points at a repo, and each is read with
 * com.atproto.repo.getRecord from its author's PDS; the index's per-item counts
 * (/links/all) give comment counts and reveal state records written by others.
 *
 * Every record is kept in at_records (issue/pull bodies as JSON, states, comment targets),
 * repo names in at_repos. An item is (re)built from those tables whenever any of its parts
 * arrives — order-independent, and unchanged items are not rewritten (content hash in
 * store.c). Items are keyed by AT URI. An item is first written only once its repository's
 * owner handle and name are known (host and repo are fixed at insert); if the repo record
 * cannot be read, the next run falls back to its record key.
 *
 * Records of an unknown shape are skipped and counted (hub__run_skip), never fatal; a
 * malformed envelope (no "records" array …) fails the page and the batch is rolled back.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db/db.h"
#include "base/ids.h"
#include "sources/sources.h"

enum { K_HANDLE_WK, K_HANDLE_XRPC, K_DID_PLC, K_DID_WEB, K_LIST, K_GET, K_LINKS, K_COUNTS, K_COMMIT };

#define C_REPO "sh.tangled.repo"
#define C_ISSUE "sh.tangled.repo.issue"
#define C_ISSUE_STATE "sh.tangled.repo.issue.state"
#define C_ISSUE_COMMENT "sh.tangled.repo.issue.comment"
#define C_PULL "sh.tangled.repo.pull"
#define C_PULL_STATUS "sh.tangled.repo.pull.status"
#define C_PULL_COMMENT "sh.tangled.repo.pull.comment"
#define C_COMMENT "sh.tangled.comment"
#define C_FEED_COMMENT "sh.tangled.feed.comment"

#ifndef TG_LIST_LIMIT
#define TG_LIST_LIMIT 100 /* listRecords and backlink pages (the lexicons' maximum) */
#endif
#ifndef TG_MAX_ID
#define TG_MAX_ID 512 /* longest DID, handle, record key or collection accepted */
#endif
#ifndef TG_MAX_URL
#define TG_MAX_URL 2048 /* longest endpoint URL taken from a DID document or a setting */
#endif
#ifndef TG_MAX_WATCHED
#define TG_MAX_WATCHED 100 /* entries of tangled_repos used */
#endif
#define TG_DEFAULT_PLC "https://plc.directory"
#define TG_WEB "https://tangled.org"

static const char *const own_collections[] = {
    C_REPO, C_ISSUE, C_PULL, C_ISSUE_STATE, C_PULL_STATUS,
    C_ISSUE_COMMENT, C_PULL_COMMENT, C_COMMENT, C_FEED_COMMENT,
};

static void oom(hub *h) { hub__set_err(h, "out of memory"); }

/* ---- syntax (identifiers end up in URLs: checked before use) ----------------------------- */

static int is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
#define is_handle hub__at_handle_ok
#define is_did hub__at_did_ok
/* A statement without results through the one binder: nonzero when it failed. */
#define RUN(h, ...) (hub__db_run(h, __VA_ARGS__) < 0)

static int is_token(const char *s, size_t max, int colon) {
  size_t i;
  for (i = 0; s[i]; i++) {
    char c = s[i];
    if (!(is_alnum(c) || c == '.' || c == '-' || c == '_' || c == '~' || (colon && c == ':')))
      return 0;
  }
  return i > 0 && i <= max && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}
static int is_rkey(const char *s) { return is_token(s, TG_MAX_ID, 1); }
static int is_nsid(const char *s) { return is_token(s, 317, 0) && strchr(s, '.') && !strchr(s, '~'); }

typedef struct {
  char did[TG_MAX_ID + 1], coll[TG_MAX_ID + 1], rkey[TG_MAX_ID + 1];
} aturi;

/* Parses "at://<did>/<collection>/<rkey>". Returns 0 or -1. */
static int parse_aturi(const char *u, aturi *a) {
  const char *p, *q1, *q2;
  size_t n;
  if (strncmp(u, "at://", 5) != 0) return -1;
  p = u + 5;
  q1 = strchr(p, '/');
  if (!q1) return -1;
  q2 = strchr(q1 + 1, '/');
  if (!q2 || strchr(q2 + 1, '/') || strchr(u, '?') || strchr(u, '#')) return -1;
  n = (size_t)(q1 - p);
  if (n == 0 || n > TG_MAX_ID) return -1;
  memcpy(a->did, p, n);
  a->did[n] = 0;
  n = (size_t)(q2 - q1 - 1);
  if (n == 0 || n > TG_MAX_ID) return -1;
  memcpy(a->coll, q1 + 1, n);
  a->coll[n] = 0;
  if (strlen(q2 + 1) > TG_MAX_ID) return -1;
  strcpy(a->rkey, q2 + 1);
  return is_did(a->did) && is_nsid(a->coll) && is_rkey(a->rkey) ? 0 : -1;
}

/* Microseconds of a TID record key converted to seconds, or 0 if rkey is not a TID. */
static int64_t tid_seconds(const char *rkey) {
  static const char alpha[] = "234567abcdefghijklmnopqrstuvwxyz";
  uint64_t v = 0;
  size_t i;
  if (strlen(rkey) != 13) return 0;
  for (i = 0; i < 13; i++) {
    const char *p = strchr(alpha, rkey[i]);
    if (!p || !rkey[i]) return 0;
    v = (v << 5) | (uint64_t)(p - alpha);
  }
  if (v >> 63) return 0;
  return (int64_t)((v >> 10) / 1000000u);
}

/* An endpoint we may send requests to: https, or http only to this machine — and one named by
 * a document from elsewhere (a DID document's service) may point at this machine, or at a
 * private address, only when that document itself came from this machine (tests, a local
 * PDS): nobody's DID document may aim hub at the user's own Redis. Compares parsed hosts. */
static int endpoint_ok(const char *u, int from_local) {
  hub__url p;
  if (strlen(u) > TG_MAX_URL || strchr(u, '?') || strchr(u, '#') || hub__url_parse(u, &p)) return 0;
  if (!from_local && (hub__host_loopback(p.host) || hub__host_private(p.host))) return 0;
  return p.https || hub__host_loopback(p.host);
}

/* A setting holding a base URL, without trailing '/'; dflt when unset. NULL when unset and
 * no default, or invalid (then, with note, the run says so). New string. */
static char *setting_url(hub *h, hub__run *r, const char *k, const char *dflt, int note) {
  char *v = hub__setting_get(h, k);
  size_t n;
  if (!v || !*v) {
    hub_free(v);
    return dflt ? hub__strdup(dflt) : NULL;
  }
  n = strlen(v);
  while (n && v[n - 1] == '/') v[--n] = 0;
  if (!endpoint_ok(v, 1)) {
    char msg[160];
    hub_free(v);
    if (!note) return NULL;
    snprintf(msg, sizeof msg, "setting %s is not an https:// URL; ignored", k);
    hub__run_note(r, NULL, msg);
    return NULL;
  }
  return v;
}

/* ---- identity cache ---------------------------------------------------------------------- */

static int64_t ttl_ms(hub *h) {
  double hours = hub__setting_num(h, "atproto_identity_ttl_hours");
  if (hours < 0) hours = 0;
  if (hours > 24.0 * 365) hours = 24.0 * 365;
  return (int64_t)(hours * 3600000.0);
}

/* The user's DID: the handle setting when it is a DID, else the cached resolution (even if
 * expired). New string or NULL. */
static char *user_did(hub *h) {
  char *hd = hub__setting_get(h, "tangled_handle"), *d = NULL;
  if (hd && is_did(hd)) return hd;
  if (hd) d = hub__db_str(h, "SELECT did FROM at_identity WHERE id=?", "t", hd);
  hub_free(hd);
  return d;
}

/* Fresh (unexpired) cache lookups. New strings or NULL. */
static char *cached_did(hub *h, const char *handle, int64_t now) {
  return hub__db_str(h, "SELECT did FROM at_identity WHERE id=? AND expires>?", "ti", handle, now);
}
static char *cached_pds(hub *h, const char *did, int64_t now) {
  return hub__db_str(h, "SELECT pds FROM at_identity WHERE id=? AND expires>?", "ti", did, now);
}
/* Display name of a DID: its handle if known (any age), else NULL. */
static char *did_handle(hub *h, const char *did) {
  return hub__db_str(h, "SELECT handle FROM at_identity WHERE id=?", "t", did);
}

/* ---- planning ---------------------------------------------------------------------------- */

typedef struct {
  hub *h;
  hub__run *r;
  int64_t now;
} ctx;

static int enq(ctx *c, int kind, const char *url, const char *arg) {
  return hub__run_enqueue(c->h, c->r, &hub__tangled_source, kind, url, arg, 0);
}

/* Enqueues the DID document of did. */
static int resolve_did(ctx *c, const char *did) {
  char *url = NULL;
  int rc = -1;
  if (strncmp(did, "did:plc:", 8) == 0) {
    char *plc = setting_url(c->h, c->r, "atproto_plc", TG_DEFAULT_PLC, 0);
    if (!plc) return 0;
    url = hub__printf("%s/%s", plc, did);
    hub_free(plc);
    if (url) rc = enq(c, K_DID_PLC, url, did);
  } else {
    char host[300];
    const char *p = did + 8, *port = strstr(p, "%3A");
    if (port) snprintf(host, sizeof host, "%.*s:%s", (int)(port - p), p, port + 3);
    else snprintf(host, sizeof host, "%s", p);
    url = hub__printf("https://%s/.well-known/did.json", host);
    if (url) rc = enq(c, K_DID_WEB, url, did);
  }
  if (!url) oom(c->h);
  hub_free(url);
  return rc;
}

/* Enqueues the resolution of a handle. */
static int resolve_handle(ctx *c, const char *handle) {
  char *svc = setting_url(c->h, c->r, "atproto_resolver", NULL, 0), *url = NULL, *enc = NULL;
  int rc = -1;
  if (svc) {
    enc = hub__url_encode(handle);
    url = enc ? hub__printf("%s/xrpc/com.atproto.identity.resolveHandle?handle=%s", svc, enc) : NULL;
    if (url) rc = enq(c, K_HANDLE_XRPC, url, handle);
  } else {
    url = hub__printf("https://%s/.well-known/atproto-did", handle);
    if (url) rc = enq(c, K_HANDLE_WK, url, handle);
  }
  if (!url) oom(c->h);
  hub_free(svc);
  hub_free(enc);
  hub_free(url);
  return rc;
}

static int enqueue_links(ctx *c, const char *target, const char *coll, const char *path,
                         const char *reason);
static int enqueue_repo_links(ctx *c, const char *uri, const char *repo_did, const char *reason);
static int enqueue_counts(ctx *c, const char *uri);
static int materialize_where(ctx *c, const char *sql, const char *arg);
static const char *str_of(const cJSON *o, const char *k);

/* ---- walks gated by the repo's latest commit ------------------------------------------------
 * A listing ("list": the user's collections, "repos": a watched owner's repos) first asks the
 * PDS for com.atproto.sync.getLatestCommit; at_sync keeps, per (DID, walk), the rev of the last
 * complete walk. The same rev skips the listing (the index is still asked about the repos, for
 * records others wrote); another rev walks again and stores it once every page of the walk
 * (open counts the pages in flight) was read. A DID settled less than tangled_poll_minutes
 * ago is not asked at all. */

static int64_t poll_ms(hub *h) {
  double m = hub__setting_num(h, "tangled_poll_minutes");
  if (m < 0) m = 0;
  if (m > 24.0 * 60 * 365) m = 24.0 * 60 * 365;
  return (int64_t)(m * 60000.0);
}

/* The listing itself; the tasks it adds are counted in at_sync.open when rev is set. */
static int walk(ctx *c, const char *did, const char *pds, const char *action, const char *a,
                const char *rev) {
  char *url = NULL, *enc = NULL, *arg = NULL;
  int rc = -1, before = hub__run_planned(c->r);
  size_t i;
  int own = strcmp(action, "list") == 0;
  enc = hub__url_encode(did);
  arg = own ? hub__strdup("own") : hub__printf("watch:%s", a);
  if (!enc || !arg) goto oom_;
  for (i = 0; i < (own ? sizeof own_collections / sizeof own_collections[0] : 1); i++) {
    url = hub__printf("%s/xrpc/com.atproto.repo.listRecords?repo=%s&collection=%s&limit=%d", pds,
                      enc, own ? own_collections[i] : C_REPO, TG_LIST_LIMIT);
    if (!url) goto oom_;
    if (enq(c, K_LIST, url, arg)) goto done;
    hub_free(url);
    url = NULL;
  }
  rc = 0;
  if (rev && hub__run_planned(c->r) > before)
    rc = RUN(c->h, "INSERT INTO at_sync(did,what,pending,open) VALUES(?,?,?,?) ON CONFLICT(did,what) "
                 "DO UPDATE SET pending=excluded.pending,open=at_sync.open+excluded.open",
           "ttti", did, action, rev, (int64_t)(hub__run_planned(c->r) - before));
  goto done;
oom_:
  oom(c->h);
done:
  hub_free(url);
  hub_free(enc);
  hub_free(arg);
  return rc;
}

/* The repo did has rev unchanged since the last walk: no listing, but the backlink index is
 * still asked about the repos (issues, pulls and comments others wrote), and records held
 * without an item (an owner unknown last time) are built again. */
static int unchanged(ctx *c, const char *did, const char *action, const char *a) {
  sqlite3_stmt *st;
  cJSON *list = cJSON_CreateArray(), *e;
  int rc = -1, own = strcmp(action, "list") == 0;
  if (!list) {
    oom(c->h);
    return -1;
  }
  if (RUN(c->h, "UPDATE at_sync SET polled=? WHERE did=? AND what=?", "itt", c->now, did, action))
    goto done;
  if (!own && RUN(c->h, "UPDATE at_repos SET watched=1 WHERE did=? AND name=? AND watched=0", "tt", did, a))
    goto done;
  st = own ? hub__db_q(c->h, "SELECT uri,repo_did FROM at_repos WHERE did=? AND name IS NOT NULL", "t", did)
           : hub__db_q(c->h, "SELECT uri,repo_did FROM at_repos WHERE did=? AND name=?", "tt", did, a);
  if (!st) goto done;
  while (sqlite3_step(st) == SQLITE_ROW) {
    cJSON *pair = cJSON_CreateArray();
    hub__push(pair, cJSON_CreateString((const char *)sqlite3_column_text(st, 0)));
    hub__push(pair, sqlite3_column_text(st, 1)
                        ? cJSON_CreateString((const char *)sqlite3_column_text(st, 1))
                        : cJSON_CreateNull());
    hub__push(list, pair);
  }
  hub__db_done(c->h, st);
  cJSON_ArrayForEach(e, list) {
    const char *uri = cJSON_GetArrayItem(e, 0) ? cJSON_GetArrayItem(e, 0)->valuestring : NULL;
    const cJSON *rd = cJSON_GetArrayItem(e, 1);
    const char *rdid = cJSON_IsString(rd) ? rd->valuestring : NULL;
    if (!uri) {
      oom(c->h);
      goto done;
    }
    if (enqueue_repo_links(c, uri, rdid, own ? "on_your_repo" : "watched")) goto done;
    if (!own && (materialize_where(c, "SELECT uri FROM at_records WHERE kind IN ('issue','pull') "
                                      "AND subject=?", uri) ||
                 (rdid && materialize_where(c, "SELECT uri FROM at_records WHERE kind IN "
                                               "('issue','pull') AND subject=?", rdid))))
      goto done;
  }
  if (own) {
    cJSON_Delete(list);
    list = cJSON_CreateArray();
    st = hub__db_q(c->h, "SELECT uri FROM at_records WHERE did=? AND kind IN ('issue','pull')", "t", did);
    if (!list || !st) {
      hub__db_done(c->h, st);
      if (!list) oom(c->h);
      goto done;
    }
    while (sqlite3_step(st) == SQLITE_ROW)
      hub__push(list, cJSON_CreateString((const char *)sqlite3_column_text(st, 0)));
    hub__db_done(c->h, st);
    cJSON_ArrayForEach(e, list) {
      if (!cJSON_IsString(e)) {
        oom(c->h);
        goto done;
      }
      if (enqueue_counts(c, e->valuestring)) goto done;
    }
    if (materialize_where(c, "SELECT uri FROM at_records WHERE kind IN ('issue','pull') AND did=? "
                             "AND uri NOT IN (SELECT key FROM items)", did))
      goto done;
  }
  rc = 0;
done:
  cJSON_Delete(list);
  return rc;
}

/* Runs a parked listing now that the repo's latest rev is known (NULL: unknown, walk anyway). */
static int decide(ctx *c, const char *did, const char *pds, const char *action, const char *a,
                  const char *rev) {
  char *stored = hub__db_str(c->h, "SELECT rev FROM at_sync WHERE did=? AND what=?", "tt", did, action);
  int same = stored && rev && strcmp(stored, rev) == 0, rc;
  hub_free(stored);
  rc = same ? unchanged(c, did, action, a) : walk(c, did, pds, action, a, rev);
  return rc;
}

/* A listing for did: skipped within the poll interval, else parked until the latest commit
 * is known (asked once per run; a listing wanted after the answer is decided at once). */
static int gate(ctx *c, const char *did, const char *pds, const char *action, const char *a) {
  sqlite3_stmt *st = hub__db_q(c->h, "SELECT rev,polled,latest,latest_run FROM at_sync WHERE did=? AND what=?",
                       "tt", did, action);
  int64_t polled = 0, latest_run = 0, iv = poll_ms(c->h);
  int has_rev = 0, rc = -1;
  char *latest = NULL, *url = NULL, *enc = NULL, *id = NULL;
  if (!st) return -1;
  if (sqlite3_step(st) == SQLITE_ROW) {
    has_rev = sqlite3_column_type(st, 0) != SQLITE_NULL;
    polled = sqlite3_column_int64(st, 1);
    if (sqlite3_column_text(st, 2)) latest = hub__strdup((const char *)sqlite3_column_text(st, 2));
    latest_run = sqlite3_column_int64(st, 3);
  }
  hub__db_done(c->h, st);
  if (has_rev && iv > 0 && c->now >= polled && c->now - polled < iv) {
    rc = 0; /* settled recently */
    goto done;
  }
  if (latest && latest_run == hub__run_id(c->r)) {
    rc = decide(c, did, pds, action, a, latest);
    goto done;
  }
  enc = hub__url_encode(did);
  id = hub__printf("commit:%s", did);
  if (enc) url = hub__printf("%s/xrpc/com.atproto.sync.getLatestCommit?did=%s", pds, enc);
  if (!url || !id) {
    oom(c->h);
    goto done;
  }
  if (RUN(c->h, "INSERT OR IGNORE INTO at_pending(id,action,a,b) VALUES(?,?,?,'')", "ttt", id, action,
        a))
    goto done;
  rc = enq(c, K_COMMIT, url, did);
done:
  hub_free(latest);
  hub_free(url);
  hub_free(enc);
  hub_free(id);
  return rc;
}

/* getLatestCommit answered: {cid, rev}. Decides every listing parked for the DID. */
static int got_commit(ctx *c, const hub__task *t, const cJSON *body) {
  const char *did = t->arg, *rev = str_of(body, "rev");
  const char *x1 = t->url ? strstr(t->url, "/xrpc/") : NULL;
  char *pds = NULL, *id = NULL;
  sqlite3_stmt *st;
  cJSON *parked = cJSON_CreateArray(), *e;
  int rc = -1;
  if (!parked) goto oom_;
  if (!cJSON_IsObject(body) || !rev || !is_rkey(rev)) {
    hub__run_note(c->r, t->url, "getLatestCommit: no usable \"rev\"; the repo is listed in full");
    rev = NULL;
  }
  if (!did || !x1) {
    hub__set_err(c->h, "getLatestCommit: task without a DID");
    goto done;
  }
  pds = hub__printf("%.*s", (int)(x1 - t->url), t->url);
  id = hub__printf("commit:%s", did);
  if (!pds || !id) goto oom_;
  if (rev && RUN(c->h, "INSERT INTO at_sync(did,what,latest,latest_run) SELECT ?,action,?,? FROM "
                     "at_pending WHERE id=? ON CONFLICT(did,what) DO UPDATE SET "
                     "latest=excluded.latest,latest_run=excluded.latest_run",
               "ttit", did, rev, hub__run_id(c->r), id))
    goto done;
  st = hub__db_q(c->h, "SELECT action,a FROM at_pending WHERE id=? ORDER BY rowid", "t", id);
  if (!st) goto done;
  while (sqlite3_step(st) == SQLITE_ROW) {
    cJSON *pair = cJSON_CreateArray();
    hub__push(pair, cJSON_CreateString((const char *)sqlite3_column_text(st, 0)));
    hub__push(pair, cJSON_CreateString((const char *)sqlite3_column_text(st, 1)));
    hub__push(parked, pair);
  }
  hub__db_done(c->h, st);
  if (RUN(c->h, "DELETE FROM at_pending WHERE id=?", "t", id)) goto done;
  cJSON_ArrayForEach(e, parked) {
    const cJSON *ac = cJSON_GetArrayItem(e, 0), *aa = cJSON_GetArrayItem(e, 1);
    if (!cJSON_IsString(ac) || !cJSON_IsString(aa)) goto oom_;
    if (decide(c, did, pds, ac->valuestring, aa->valuestring, rev)) goto done;
  }
  rc = 0;
  goto done;
oom_:
  oom(c->h);
done:
  cJSON_Delete(parked);
  hub_free(pds);
  hub_free(id);
  return rc;
}

/* A listing page was read in full and no further page follows: one page fewer in flight;
 * the walk's rev is stored when none is left. */
static int walk_page_done(ctx *c, const hub__task *t) {
  const char *what = t->arg && strcmp(t->arg, "own") == 0 ? "list"
                     : t->arg && strncmp(t->arg, "watch:", 6) == 0 ? "repos" : NULL;
  const char *p = strstr(t->url, "?repo=");
  char did[TG_MAX_ID + 1];
  size_t n = 0;
  if (!what || !p) return 0;
  for (p += 6; *p && *p != '&' && n < TG_MAX_ID; p++) {
    if (p[0] == '%' && p[1] == '3' && (p[2] == 'A' || p[2] == 'a')) {
      did[n++] = ':';
      p += 2;
    } else {
      did[n++] = *p;
    }
  }
  did[n] = 0;
  return RUN(c->h, "UPDATE at_sync SET open=open-1 WHERE did=? AND what=? AND pending IS NOT NULL "
                 "AND open>0", "tt", did, what) ||
         RUN(c->h, "UPDATE at_sync SET rev=pending,pending=NULL,polled=? WHERE did=? AND what=? "
                 "AND pending IS NOT NULL AND open=0", "itt", c->now, did, what);
}

/* Work that needs a PDS: action on (a, b) for did at pds. */
static int act(ctx *c, const char *did, const char *pds, const char *action, const char *a,
               const char *b) {
  char *url = NULL, *enc = NULL;
  int rc = -1;
  enc = hub__url_encode(did);
  if (!enc) goto oom_;
  if (strcmp(action, "list") == 0 || strcmp(action, "repos") == 0) {
    /* the user's own records; a watched owner's repos, to find one by name */
    rc = gate(c, did, pds, action, a);
    goto done;
  } else if (strcmp(action, "get") == 0 || strcmp(action, "repo") == 0) {
    int repo = strcmp(action, "repo") == 0;
    url = hub__printf("%s/xrpc/com.atproto.repo.getRecord?repo=%s&collection=%s&rkey=%s", pds, enc,
                      repo ? C_REPO : a, repo ? a : b);
    if (!url) goto oom_;
    if (enq(c, K_GET, url, repo ? "repo" : "")) goto done;
  }
  /* "ident": nothing beyond the resolution itself */
  rc = 0;
  goto done;
oom_:
  oom(c->h);
done:
  hub_free(url);
  hub_free(enc);
  return rc;
}

/* Does action for id (a handle or DID) now if its PDS is known, else parks it in at_pending
 * and plans the resolution. */
static int want(ctx *c, const char *id, const char *action, const char *a, const char *b) {
  char *did = NULL, *pds = NULL;
  int rc = -1;
  if (is_did(id)) did = hub__strdup(id);
  else if (is_handle(id)) did = cached_did(c->h, id, c->now);
  else return 0;
  if (!did) {
    if (RUN(c->h, "INSERT OR IGNORE INTO at_pending(id,action,a,b) VALUES(?,?,?,?)", "tttt", id,
          action, a ? a : "", b ? b : ""))
      return -1;
    return resolve_handle(c, id);
  }
  pds = cached_pds(c->h, did, c->now);
  if (pds) {
    rc = act(c, did, pds, action, a ? a : "", b ? b : "");
  } else if (!RUN(c->h, "INSERT OR IGNORE INTO at_pending(id,action,a,b) VALUES(?,?,?,?)", "tttt",
                did, action, a ? a : "", b ? b : "")) {
    rc = resolve_did(c, did);
  }
  hub_free(did);
  hub_free(pds);
  return rc;
}

/* Runs the work parked for did (now resolved to pds). */
static int drain(ctx *c, const char *did, const char *pds) {
  sqlite3_stmt *st = hub__db_q(c->h, "SELECT action,a,b FROM at_pending WHERE id=? ORDER BY rowid", "t", did);
  int rc = 0;
  if (!st) return -1;
  while (!rc && sqlite3_step(st) == SQLITE_ROW)
    rc = act(c, did, pds, (const char *)sqlite3_column_text(st, 0),
             (const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2));
  hub__db_done(c->h, st);
  if (rc) return -1;
  return RUN(c->h, "DELETE FROM at_pending WHERE id=?", "t", did);
}

/* Backlink queries for one repository (by AT URI, and by its own DID when it has one). */
static int enqueue_repo_links(ctx *c, const char *uri, const char *repo_did, const char *reason) {
  char *idx = setting_url(c->h, c->r, "tangled_backlinks", NULL, 0);
  int rc = 0;
  if (!idx) return 0;
  hub_free(idx);
  rc = enqueue_links(c, uri, C_ISSUE, ".repo", reason) ||
       enqueue_links(c, uri, C_PULL, ".target.repo", reason) ||
       enqueue_links(c, uri, C_PULL, ".targetRepo", reason);
  if (!rc && repo_did && is_did(repo_did))
    rc = enqueue_links(c, repo_did, C_ISSUE, ".repo", reason) ||
         enqueue_links(c, repo_did, C_PULL, ".target.repo", reason);
  return rc ? -1 : 0;
}

static int enqueue_links(ctx *c, const char *target, const char *coll, const char *path,
                         const char *reason) {
  char *idx = setting_url(c->h, c->r, "tangled_backlinks", NULL, 0);
  char *et = NULL, *ep = NULL, *url = NULL;
  int rc = -1;
  if (!idx) return 0;
  et = hub__url_encode(target);
  ep = hub__url_encode(path);
  if (et && ep)
    url = hub__printf("%s/links?target=%s&collection=%s&path=%s&limit=%d", idx, et, coll, ep,
                      TG_LIST_LIMIT);
  if (url) rc = enq(c, K_LINKS, url, reason);
  else oom(c->h);
  hub_free(idx);
  hub_free(et);
  hub_free(ep);
  hub_free(url);
  return rc;
}

static int enqueue_counts(ctx *c, const char *uri) {
  char *idx = setting_url(c->h, c->r, "tangled_backlinks", NULL, 0), *et = NULL, *url = NULL;
  int rc = -1;
  if (!idx) return 0;
  et = hub__url_encode(uri);
  if (et) url = hub__printf("%s/links/all?target=%s", idx, et);
  if (url) rc = enq(c, K_COUNTS, url, uri);
  else oom(c->h);
  hub_free(idx);
  hub_free(et);
  hub_free(url);
  return rc;
}

static int tg_start(hub *h, hub__run *r, const cJSON *opts, int64_t now, void **state) {
  char *handle = hub__setting_get(h, "tangled_handle"), *repos = NULL;
  ctx c;
  cJSON *arr = NULL, *e;
  int rc = -1, n = 0;
  (void)opts;
  (void)state;
  c.h = h;
  c.r = r;
  c.now = now;
  if (hub__db_exec(h, "DELETE FROM at_pending") ||
      hub__db_exec(h, "UPDATE at_sync SET pending=NULL,open=0 WHERE pending IS NOT NULL OR open<>0"))
    goto done;
  if (!handle || !*handle) {
    rc = 0;
    goto done;
  }
  if (!is_handle(handle) && !is_did(handle)) {
    hub__run_note(r, NULL, "tangled_handle is neither a handle nor a did:plc/did:web DID; "
                            "tangled skipped");
    rc = 0;
    goto done;
  }
  {
    static const char *const urls[] = {"atproto_plc", "atproto_resolver", "tangled_backlinks"};
    size_t i;
    for (i = 0; i < sizeof urls / sizeof urls[0]; i++) hub_free(setting_url(h, r, urls[i], NULL, 1));
  }
  if (want(&c, handle, "list", NULL, NULL)) goto done;
  repos = hub__setting_get(h, "tangled_repos");
  arr = repos ? cJSON_Parse(repos) : NULL;
  cJSON_ArrayForEach(e, arr) {
    const char *v = cJSON_IsString(e) ? e->valuestring : "";
    const char *slash = strchr(v, '/');
    char owner[256];
    if (n++ >= TG_MAX_WATCHED) break;
    if (!slash || (size_t)(slash - v) >= sizeof owner || !is_rkey(slash + 1)) {
      char msg[200];
      snprintf(msg, sizeof msg, "tangled_repos: \"%.100s\" is not \"handle/repo\"; ignored", v);
      hub__run_note(r, NULL, msg);
      continue;
    }
    memcpy(owner, v, (size_t)(slash - v));
    owner[slash - v] = 0;
    if (!is_handle(owner) && !is_did(owner)) continue;
    if (want(&c, owner, "repos", slash + 1, NULL)) goto done;
  }
  rc = 0;
done:
  cJSON_Delete(arr);
  hub_free(handle);
  hub_free(repos);
  return rc;
}

/* ---- reading records --------------------------------------------------------------------- */

static const char *str_of(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* createdAt in seconds, or the TID's time, or 0. */
static int64_t record_ts(const cJSON *value, const char *rkey) {
  const char *ca = str_of(value, "createdAt");
  int64_t t = 0;
  if (ca && hub__parse_iso8601(ca, &t) == 0) return t;
  return tid_seconds(rkey);
}

/* The repository an issue or pull points at (AT URI or DID), or NULL. */
static const char *record_repo(const cJSON *v, int pull) {
  const cJSON *target;
  if (!pull) return str_of(v, "repo");
  target = cJSON_GetObjectItemCaseSensitive(v, "target");
  if (cJSON_IsObject(target)) return str_of(target, "repo");
  return str_of(v, "targetRepo"); /* legacy, before 2025-08-26 */
}

static int64_t record_number(const cJSON *v, int pull) {
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(v, pull ? "pullId" : "issueId");
  if (cJSON_IsNumber(n) && n->valuedouble >= 1 && n->valuedouble < 1e12) return (int64_t)n->valuedouble;
  return 0;
}

/* The repository an issue or pull points at (subject: the repo's AT URI, or its own DID):
 * its owner DID and name (new strings), whether it is watched, and whether the item must wait
 * (*defer) because the repo record or the owner's identity is still being fetched this run.
 * Returns 0 or -1. */
static int repo_of(ctx *c, const char *subject, char **owner, char **name, int *watched, int *defer) {
  hub *h = c->h;
  aturi ra;
  if (parse_aturi(subject, &ra) == 0) {
    sqlite3_stmt *r = hub__db_q(h, "SELECT name,watched,tried FROM at_repos WHERE uri=?", "t", subject);
    int known = 0;
    if (!r) return -1;
    if (sqlite3_step(r) == SQLITE_ROW) {
      known = 1;
      *name = hub__db_col_dup(r, 0);
      *watched = sqlite3_column_int(r, 1);
      if (!*name && sqlite3_column_int64(r, 2) == hub__run_id(c->r)) *defer = 1; /* being fetched */
    }
    hub__db_done(h, r);
    *owner = hub__strdup(ra.did);
    if (!*owner) {
      oom(h);
      return -1;
    }
    if (!known) {
      if (RUN(h, "INSERT OR IGNORE INTO at_repos(uri,did,tried) VALUES(?,?,?)", "tti", subject, ra.did,
              hub__run_id(c->r)) ||
          want(c, ra.did, "repo", ra.rkey, NULL))
        return -1;
      *defer = 1;
    }
    if (!*name && !*defer) *name = hub__strdup(ra.rkey); /* the repo record could not be read */
  } else if (is_did(subject)) { /* newer records: the repo's own DID */
    sqlite3_stmt *r = hub__db_q(h, "SELECT did,name,watched FROM at_repos WHERE repo_did=? LIMIT 1", "t", subject);
    if (!r) return -1;
    if (sqlite3_step(r) == SQLITE_ROW) {
      *owner = hub__db_col_dup(r, 0);
      *name = hub__db_col_dup(r, 1);
      *watched = sqlite3_column_int(r, 2);
    }
    hub__db_done(h, r);
  }
  if (*owner) {
    if (!hub__db_int(h, "SELECT count(*) FROM at_identity WHERE id=?", "t", 0, *owner)) {
      if (want(c, *owner, "ident", NULL, NULL)) return -1;
      if (!hub__db_int(h, "SELECT count(*) FROM at_identity WHERE id=?", "t", 0, *owner)) *defer = 1;
    }
  }
  return 0;
}

/* Builds the item for the issue/pull at uri from the cached tables and upserts it (once per
 * reason). Defers (returns 0) while the repo's owner or name is still being fetched. The run
 * counts the outcome when it changed something, or always with count_unchanged (the record
 * itself was read). */
static int materialize(ctx *c, const char *uri, int count_unchanged) {
  hub *h = c->h;
  sqlite3_stmt *st = hub__db_q(h, "SELECT did,collection,subject,value FROM at_records "
                          "WHERE uri=? AND kind IN ('issue','pull')", "t", uri);
  char *did = NULL, *subject = NULL, *value = NULL, *me = NULL;
  char *owner = NULL, *name = NULL, *owner_handle = NULL, *author = NULL, *state = NULL;
  char *repo = NULL, *url = NULL;
  cJSON *v = NULL;
  int pull = 0, rc = -1, watched = 0, defer = 0;
  aturi self;
  hub__item it;
  if (!st) return -1;
  if (sqlite3_step(st) != SQLITE_ROW) {
    hub__db_done(c->h, st);
    return 0; /* not an item we hold (yet) */
  }
  did = hub__strdup((const char *)sqlite3_column_text(st, 0));
  pull = strcmp((const char *)sqlite3_column_text(st, 1), C_PULL) == 0;
  subject = hub__strdup((const char *)sqlite3_column_text(st, 2));
  value = hub__strdup((const char *)sqlite3_column_text(st, 3));
  hub__db_done(c->h, st);
  if (!did || !subject || !value) goto oom_;
  v = cJSON_Parse(value);
  if (!v || parse_aturi(uri, &self)) {
    hub__set_err(h, "tangled: cached record %.200s is unreadable", uri);
    goto done;
  }
  me = user_did(h);
  if (repo_of(c, subject, &owner, &name, &watched, &defer)) goto done;
  if (owner) owner_handle = did_handle(h, owner);
  if (defer) {
    rc = 0;
    goto done;
  }
  author = did_handle(h, did);
  state = hub__db_str(h, "SELECT value FROM at_records WHERE kind='state' AND subject=? "
                   "ORDER BY ts DESC, uri DESC LIMIT 1", "t", uri);
  memset(&it, 0, sizeof it);
  it.number = record_number(v, pull);
  if (owner && name) repo = hub__printf("%s/%s", owner_handle ? owner_handle : owner, name);
  else repo = hub__strdup(subject);
  if (it.number && owner_handle && name)
    url = hub__printf(TG_WEB "/%s/%s/%s/%lld", owner_handle, name, pull ? "pulls" : "issues",
                      (long long)it.number);
  else url = hub__strdup(uri);
  if (!repo || !url) goto oom_;
  it.comments = hub__db_int(h, "SELECT max((SELECT count(*) FROM at_records WHERE kind='comment' AND "
                         "subject=?1), coalesce((SELECT comments FROM at_counts WHERE subject=?1),0))",
                      "t", 0, uri);
  it.created_at = record_ts(v, self.rkey);
  it.updated_at = hub__db_int(h, "SELECT max(?2, coalesce((SELECT max(ts) FROM at_records WHERE "
                           "kind IN ('state','comment') AND subject=?1),0))",
                        "ti", 0, uri, it.created_at);
  it.has = HUB_F_KIND | HUB_F_TITLE | HUB_F_BODY | HUB_F_STATE | HUB_F_AUTHOR | HUB_F_COMMENTS |
           HUB_F_CREATED | HUB_F_UPDATED | HUB_F_URL;
  it.key = uri;
  it.source = "tangled";
  it.host = owner_handle ? owner_handle : "tangled.org";
  it.repo = repo;
  it.kind = pull ? "pull" : "issue";
  it.title = str_of(v, "title");
  it.body = str_of(v, "body");
  it.state = state ? state : "open";
  it.author = author ? author : did;
  it.url = url;
  {
    int reasons[3], nr = 0, i;
    int64_t id = 0;
    hub__upsert_result res, all = HUB_UPSERT_UNCHANGED;
    if (me && strcmp(did, me) == 0) reasons[nr++] = HUB_R_authored;
    if (me && owner && strcmp(owner, me) == 0) reasons[nr++] = HUB_R_on_your_repo;
    if (watched) reasons[nr++] = HUB_R_watched;
    if (!nr) reasons[nr++] = -1;
    for (i = 0; i < nr; i++) {
      it.reason = reasons[i];
      if (hub__items_put(h, &it, c->now / 1000, &res, &id)) goto done;
      if (res == HUB_UPSERT_NEW || (res == HUB_UPSERT_UPDATED && all != HUB_UPSERT_NEW)) all = res;
    }
    if (all != HUB_UPSERT_UNCHANGED || count_unchanged) hub__run_count(c->r, all, id);
  }
  rc = 0;
  goto done;
oom_:
  oom(h);
done:
  cJSON_Delete(v);
  hub_free(did); hub_free(subject); hub_free(value); hub_free(me);
  hub_free(owner); hub_free(name); hub_free(owner_handle); hub_free(author); hub_free(state);
  hub_free(repo); hub_free(url);
  return rc;
}

/* Rebuilds every item whose record matches sql (one text parameter). */
static int materialize_where(ctx *c, const char *sql, const char *arg) {
  sqlite3_stmt *st = hub__db_q(c->h, sql, "t", arg);
  cJSON *uris = cJSON_CreateArray(), *e;
  int rc = 0;
  if (!st || !uris) {
    hub__db_done(c->h, st);
    cJSON_Delete(uris);
    if (!uris) oom(c->h);
    return -1;
  }
  while (sqlite3_step(st) == SQLITE_ROW)
    hub__push(uris, cJSON_CreateString((const char *)sqlite3_column_text(st, 0)));
  hub__db_done(c->h, st);
  cJSON_ArrayForEach(e, uris) {
    if (materialize(c, e->valuestring, 0)) {
      rc = -1;
      break;
    }
  }
  cJSON_Delete(uris);
  return rc;
}

/* Stores a record (upsert that writes only on change). */
static int store_record(ctx *c, const char *uri, const char *did, const char *coll,
                        const char *kind, const char *subject, const char *value, int64_t ts) {
  return RUN(c->h,
           "INSERT INTO at_records(uri,did,collection,kind,subject,value,ts) "
           "VALUES(?,?,?,?,?,?,?) ON CONFLICT(uri) DO UPDATE SET subject=excluded.subject,"
           "value=excluded.value,ts=excluded.ts "
           "WHERE at_records.subject IS NOT excluded.subject OR at_records.value IS NOT "
           "excluded.value OR at_records.ts IS NOT excluded.ts",
           "tttttti", uri, did, coll, kind, subject, value, ts);
}

static int ingest_repo(ctx *c, const char *uri, const aturi *a, const cJSON *v, const char *arg) {
  const char *name = str_of(v, "name"), *knot = str_of(v, "knot"), *rdid = str_of(v, "repoDid");
  const cJSON *owner = cJSON_GetObjectItemCaseSensitive(v, "owner");
  char *me = user_did(c->h);
  int rc = -1, watch = 0, own;
  if (!knot || (cJSON_GetObjectItemCaseSensitive(v, "name") && !name) ||
      (owner && !cJSON_IsString(owner)) || (rdid && !is_did(rdid))) {
    hub__run_skip(c->r, "tangled repo record of an unknown shape");
    hub_free(me);
    return 0;
  }
  if (!name) name = a->rkey; /* "key: any" generation: the record key is the name */
  if (strlen(name) > TG_MAX_ID) {
    hub__run_skip(c->r, "tangled repo name too long");
    hub_free(me);
    return 0;
  }
  own = me && strcmp(me, a->did) == 0;
  if (arg && strncmp(arg, "watch:", 6) == 0 && strcmp(arg + 6, name) == 0) watch = 1;
  if (RUN(c->h,
        "INSERT INTO at_repos(uri,did,name,repo_did,watched,tried) VALUES(?,?,?,?,?,0) "
        "ON CONFLICT(uri) DO UPDATE SET name=excluded.name,repo_did=excluded.repo_did,"
        "watched=max(at_repos.watched,excluded.watched) WHERE at_repos.name IS NOT excluded.name "
        "OR at_repos.repo_did IS NOT excluded.repo_did OR at_repos.watched<excluded.watched",
        "tttti", uri, a->did, name, rdid, (int64_t)watch) != 0)
    goto done;
  if ((own && arg && strcmp(arg, "own") == 0) || watch)
    if (enqueue_repo_links(c, uri, rdid, own ? "on_your_repo" : "watched")) goto done;
  if (materialize_where(c, "SELECT uri FROM at_records WHERE kind IN ('issue','pull') AND subject=?", uri))
    goto done;
  if (rdid && materialize_where(c, "SELECT uri FROM at_records WHERE kind IN ('issue','pull') AND "
                                   "subject=?", rdid))
    goto done;
  rc = 0;
done:
  hub_free(me);
  return rc;
}

/* Reads one record (from listRecords or getRecord). Unknown shapes are skipped and counted. */
static int ingest(ctx *c, const char *uri, const cJSON *v, const char *arg) {
  aturi a;
  const char *type, *coll, *subject = NULL;
  char *json = NULL;
  int rc = -1;
  if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(v, "$type")) &&
      cJSON_GetObjectItemCaseSensitive(v, "$type")) {
    hub__run_skip(c->r, "tangled record with a malformed $type");
    return 0;
  }
  if (!uri || parse_aturi(uri, &a)) {
    hub__run_skip(c->r, "tangled record with an invalid AT URI");
    return 0;
  }
  if (!cJSON_IsObject(v)) {
    hub__run_skip(c->r, "tangled record that is not an object");
    return 0;
  }
  coll = a.coll;
  type = str_of(v, "$type");
  if (type && strcmp(type, coll) != 0) {
    hub__run_skip(c->r, "tangled record whose $type differs from its collection");
    return 0;
  }
  if (strcmp(coll, C_REPO) == 0) return ingest_repo(c, uri, &a, v, arg);
  if (strcmp(coll, C_ISSUE) == 0 || strcmp(coll, C_PULL) == 0) {
    int pull = strcmp(coll, C_PULL) == 0;
    const char *repo = record_repo(v, pull), *title = str_of(v, "title"), *body = str_of(v, "body");
    const cJSON *bj = cJSON_GetObjectItemCaseSensitive(v, "body");
    aturi ra;
    if (!repo || !title || (bj && !body) || (parse_aturi(repo, &ra) && !is_did(repo))) {
      hub__run_skip(c->r, pull ? "tangled pull of an unknown shape" : "tangled issue of an unknown shape");
      return 0;
    }
    if (strlen(title) > HUB_MAX_FIELD || (body && strlen(body) > HUB_MAX_FIELD)) {
      hub__run_skip(c->r, "tangled record with a field over the size limit");
      return 0;
    }
    json = cJSON_PrintUnformatted(v);
    if (!json) goto oom_;
    if (store_record(c, uri, a.did, coll, pull ? "pull" : "issue", repo, json, record_ts(v, a.rkey)))
      goto done;
    if (materialize(c, uri, 1) || enqueue_counts(c, uri)) goto done;
    rc = 0;
    goto done;
  }
  if (strcmp(coll, C_ISSUE_STATE) == 0 || strcmp(coll, C_PULL_STATUS) == 0) {
    int pull = strcmp(coll, C_PULL_STATUS) == 0;
    const char *target = str_of(v, pull ? "pull" : "issue");
    const char *st = str_of(v, pull ? "status" : "state"), *norm = NULL;
    const char *prefix = pull ? "sh.tangled.repo.pull.status." : "sh.tangled.repo.issue.state.";
    aturi ta;
    if (st && strncmp(st, prefix, strlen(prefix)) == 0) {
      const char *tail = st + strlen(prefix);
      if (strcmp(tail, "open") == 0) norm = "open";
      else if (strcmp(tail, "closed") == 0) norm = "closed";
      else if (pull && strcmp(tail, "merged") == 0) norm = "merged";
    }
    if (!target || parse_aturi(target, &ta) || !norm) {
      hub__run_skip(c->r, "tangled state record of an unknown shape");
      return 0;
    }
    if (store_record(c, uri, a.did, coll, "state", target, norm, record_ts(v, a.rkey))) return -1;
    return materialize(c, target, 0);
  }
  if (strcmp(coll, C_ISSUE_COMMENT) == 0) subject = str_of(v, "issue");
  else if (strcmp(coll, C_PULL_COMMENT) == 0) subject = str_of(v, "pull");
  else if (strcmp(coll, C_COMMENT) == 0) subject = str_of(v, "subject");
  else if (strcmp(coll, C_FEED_COMMENT) == 0) {
    const cJSON *sr = cJSON_GetObjectItemCaseSensitive(v, "subject");
    subject = cJSON_IsObject(sr) ? str_of(sr, "uri") : NULL;
  } else {
    hub__run_skip(c->r, "record of a collection tangled does not read");
    return 0;
  }
  {
    aturi sa;
    if (!subject || parse_aturi(subject, &sa)) {
      hub__run_skip(c->r, "tangled comment of an unknown shape");
      return 0;
    }
    if (store_record(c, uri, a.did, coll, "comment", subject, NULL, record_ts(v, a.rkey))) return -1;
    return materialize(c, subject, 0);
  }
oom_:
  oom(c->h);
done:
  hub_free(json);
  return rc;
}

/* ---- answers ----------------------------------------------------------------------------- */

/* The handle step is done: cache it, move the parked work to the DID, resolve that. */
static int got_did(ctx *c, const char *handle, const char *did) {
  char *pds;
  if (!is_did(did)) {
    char msg[300];
    snprintf(msg, sizeof msg, "handle %.100s resolved to \"%.100s\", which is not a supported DID",
             handle, did);
    hub__run_note(c->r, NULL, msg);
    return RUN(c->h, "DELETE FROM at_pending WHERE id=?", "t", handle);
  }
  if (RUN(c->h, "INSERT INTO at_identity(id,did,expires) VALUES(?,?,?) ON CONFLICT(id) DO UPDATE "
              "SET did=excluded.did,expires=excluded.expires",
        "tti", handle, did, c->now + ttl_ms(c->h)) ||
      RUN(c->h, "UPDATE OR IGNORE at_pending SET id=? WHERE id=?", "tt", did, handle) ||
      RUN(c->h, "DELETE FROM at_pending WHERE id=?", "t", handle))
    return -1;
  pds = cached_pds(c->h, did, c->now);
  if (pds) {
    int rc = drain(c, did, pds);
    hub_free(pds);
    return rc;
  }
  return resolve_did(c, did);
}

/* A DID document: the #atproto_pds endpoint and the handle claimed in alsoKnownAs. */
static int got_doc(ctx *c, const char *did, const cJSON *doc, int from_local) {
  const cJSON *svc = cJSON_GetObjectItemCaseSensitive(doc, "service"), *e;
  const cJSON *aka = cJSON_GetObjectItemCaseSensitive(doc, "alsoKnownAs");
  const char *id = str_of(doc, "id"), *pds = NULL, *handle = NULL;
  char *ep = NULL, msg[300];
  int rc = -1;
  if (!cJSON_IsObject(doc) || !id || strcmp(id, did) != 0) {
    snprintf(msg, sizeof msg, "DID document of %.100s does not describe it; ignored", did);
    hub__run_note(c->r, NULL, msg);
    return RUN(c->h, "DELETE FROM at_pending WHERE id=?", "t", did);
  }
  cJSON_ArrayForEach(e, svc) {
    const char *sid = str_of(e, "id"), *type = str_of(e, "type"), *end = str_of(e, "serviceEndpoint");
    size_t dl = strlen(did);
    if (!sid || !end) continue;
    if (strcmp(sid, "#atproto_pds") != 0 &&
        !(strncmp(sid, did, dl) == 0 && strcmp(sid + dl, "#atproto_pds") == 0))
      continue;
    if (type && strcmp(type, "AtprotoPersonalDataServer") != 0) continue;
    pds = end;
    break;
  }
  cJSON_ArrayForEach(e, aka) {
    if (cJSON_IsString(e) && strncmp(e->valuestring, "at://", 5) == 0 && is_handle(e->valuestring + 5)) {
      handle = e->valuestring + 5;
      break;
    }
  }
  if (pds) {
    size_t n;
    ep = hub__strdup(pds);
    if (!ep) {
      oom(c->h);
      return -1;
    }
    n = strlen(ep);
    while (n && ep[n - 1] == '/') ep[--n] = 0;
    if (!endpoint_ok(ep, from_local)) {
      hub_free(ep);
      ep = NULL;
    }
  }
  if (!ep) {
    snprintf(msg, sizeof msg, "DID document of %.100s names no usable #atproto_pds service", did);
    hub__run_note(c->r, NULL, msg);
  }
  if (RUN(c->h, "INSERT INTO at_identity(id,pds,handle,expires) VALUES(?,?,?,?) ON CONFLICT(id) DO "
              "UPDATE SET pds=excluded.pds,handle=excluded.handle,expires=excluded.expires",
        "ttti", did, ep, handle, c->now + ttl_ms(c->h)))
    goto done;
  if (ep) {
    if (drain(c, did, ep)) goto done;
  } else if (RUN(c->h, "DELETE FROM at_pending WHERE id=?", "t", did)) {
    goto done;
  }
  /* items waiting for this owner's handle, and items written by them */
  {
    char *like = hub__printf("at://%s/", did);
    int r2;
    if (!like) {
      oom(c->h);
      goto done;
    }
    r2 = materialize_where(c, "SELECT uri FROM at_records WHERE kind IN ('issue','pull') AND "
                              "substr(subject,1,length(?1))=?1", like);
    hub_free(like);
    if (r2 || materialize_where(c, "SELECT uri FROM at_records WHERE kind IN ('issue','pull') "
                                   "AND did=?", did))
      goto done;
  }
  rc = 0;
done:
  hub_free(ep);
  return rc;
}

/* The next page of a cursor walk: the task's URL with its cursor replaced. */
static int next_page(ctx *c, const hub__task *t, const char *cursor) {
  char *base = hub__strdup(t->url), *p, *enc = NULL, *url = NULL;
  int rc = -1;
  if (!base) goto oom_;
  p = strstr(base, "&cursor=");
  if (p) *p = 0;
  enc = hub__url_encode(cursor);
  if (!enc) goto oom_;
  url = hub__printf("%s&cursor=%s", base, enc);
  if (!url) goto oom_;
  rc = hub__run_enqueue(c->h, c->r, &hub__tangled_source, t->kind, url, t->arg, 0);
  goto done;
oom_:
  oom(c->h);
done:
  hub_free(base);
  hub_free(enc);
  hub_free(url);
  return rc;
}

static int parse_list(ctx *c, const hub__task *t, const cJSON *body) {
  const cJSON *recs = cJSON_GetObjectItemCaseSensitive(body, "records"), *r;
  const cJSON *cur = cJSON_GetObjectItemCaseSensitive(body, "cursor");
  if (!cJSON_IsObject(body) || !cJSON_IsArray(recs)) {
    hub__set_err(c->h, "listRecords: expected an object with a \"records\" array");
    return -1;
  }
  if (cJSON_GetArraySize(recs) > HUB_MAX_ITEMS_PER_PAGE) {
    hub__set_err(c->h, "listRecords: more than %d records on one page", HUB_MAX_ITEMS_PER_PAGE);
    return -1;
  }
  if (cur && !cJSON_IsNull(cur) && (!cJSON_IsString(cur) || strlen(cur->valuestring) > TG_MAX_ID)) {
    hub__set_err(c->h, "listRecords: \"cursor\" is not a short string");
    return -1;
  }
  cJSON_ArrayForEach(r, recs) {
    if (!cJSON_IsObject(r)) {
      hub__run_skip(c->r, "listRecords entry that is not an object");
      continue;
    }
    if (ingest(c, str_of(r, "uri"), cJSON_GetObjectItemCaseSensitive(r, "value"), t->arg)) return -1;
  }
  /* a short page may still carry a cursor; an empty page ends the walk */
  if (cJSON_IsString(cur) && *cur->valuestring && cJSON_GetArraySize(recs) > 0) {
    int before = hub__run_planned(c->r);
    if (next_page(c, t, cur->valuestring)) return -1;
    if (hub__run_planned(c->r) > before) return 0; /* the walk goes on */
  }
  return walk_page_done(c, t);
}

static int parse_links(ctx *c, const hub__task *t, const cJSON *body) {
  const cJSON *recs = cJSON_GetObjectItemCaseSensitive(body, "linking_records"), *r;
  const cJSON *cur = cJSON_GetObjectItemCaseSensitive(body, "cursor");
  char *me = user_did(c->h);
  int rc = -1;
  if (!recs) recs = cJSON_GetObjectItemCaseSensitive(body, "records"); /* XRPC getBacklinks */
  if (!cJSON_IsObject(body) || !cJSON_IsArray(recs)) {
    hub__set_err(c->h, "backlinks: expected an object with a \"linking_records\" array");
    goto done;
  }
  if (cJSON_GetArraySize(recs) > HUB_MAX_ITEMS_PER_PAGE) {
    hub__set_err(c->h, "backlinks: more than %d records on one page", HUB_MAX_ITEMS_PER_PAGE);
    goto done;
  }
  cJSON_ArrayForEach(r, recs) {
    const char *did = str_of(r, "did"), *coll = str_of(r, "collection"), *rkey = str_of(r, "rkey");
    char *uri;
    int64_t known;
    if (!did || !coll || !rkey || !is_did(did) || !is_nsid(coll) || !is_rkey(rkey) ||
        (strcmp(coll, C_ISSUE) && strcmp(coll, C_PULL) && strcmp(coll, C_ISSUE_STATE) &&
         strcmp(coll, C_PULL_STATUS))) {
      hub__run_skip(c->r, "backlink entry of an unknown shape");
      continue;
    }
    if (me && strcmp(did, me) == 0) continue; /* the user's own PDS is read in full */
    uri = hub__printf("at://%s/%s/%s", did, coll, rkey);
    if (!uri) {
      oom(c->h);
      goto done;
    }
    /* states never change once written: read each once */
    known = (strcmp(coll, C_ISSUE_STATE) == 0 || strcmp(coll, C_PULL_STATUS) == 0) &&
            hub__db_int(c->h, "SELECT count(*) FROM at_records WHERE uri=?", "t", 0, uri);
    hub_free(uri);
    if (known) continue;
    if (want(c, did, "get", coll, rkey)) goto done;
  }
  if (cJSON_IsString(cur) && *cur->valuestring && strlen(cur->valuestring) <= TG_MAX_ID &&
      cJSON_GetArraySize(recs) > 0 && next_page(c, t, cur->valuestring))
    goto done;
  rc = 0;
done:
  hub_free(me);
  return rc;
}

/* /links/all: {"links":{collection:{path:{"records":n,…}}}} → comments and state records. */
static int parse_counts(ctx *c, const hub__task *t, const cJSON *body) {
  static const char *const comment_colls[] = {C_ISSUE_COMMENT, C_PULL_COMMENT, C_COMMENT, C_FEED_COMMENT};
  const cJSON *links = cJSON_GetObjectItemCaseSensitive(body, "links"), *coll, *path;
  int64_t comments = 0, states = 0, known;
  int pull = t->arg && strstr(t->arg, "/" C_PULL "/") != NULL;
  size_t i;
  if (!cJSON_IsObject(body) || (links && !cJSON_IsObject(links))) {
    hub__set_err(c->h, "backlink counts: expected an object with a \"links\" object");
    return -1;
  }
  cJSON_ArrayForEach(coll, links) {
    int is_comment = 0, is_state = strcmp(coll->string, pull ? C_PULL_STATUS : C_ISSUE_STATE) == 0;
    for (i = 0; i < sizeof comment_colls / sizeof comment_colls[0]; i++)
      if (strcmp(coll->string, comment_colls[i]) == 0) is_comment = 1;
    if (!is_comment && !is_state) continue;
    cJSON_ArrayForEach(path, coll) {
      const cJSON *n = cJSON_GetObjectItemCaseSensitive(path, "records");
      if (!cJSON_IsNumber(n) || n->valuedouble < 0 || n->valuedouble > 1e9) continue;
      if (is_comment) comments += (int64_t)n->valuedouble;
      else states += (int64_t)n->valuedouble;
    }
  }
  if (RUN(c->h, "INSERT INTO at_counts(subject,comments,states) VALUES(?,?,?) ON CONFLICT(subject) "
              "DO UPDATE SET comments=excluded.comments,states=excluded.states WHERE "
              "comments<>excluded.comments OR states<>excluded.states",
        "tii", t->arg, comments, states))
    return -1;
  known = hub__db_int(c->h, "SELECT count(*) FROM at_records WHERE kind='state' AND subject=?", "t", 0, t->arg);
  if (states > known &&
      enqueue_links(c, t->arg, pull ? C_PULL_STATUS : C_ISSUE_STATE, pull ? ".pull" : ".issue", "state"))
    return -1;
  return materialize(c, t->arg, 0);
}

static int tg_parse(hub *h, hub__run *r, void *state, const hub__task *t, const cJSON *body,
                    const cJSON *headers, int64_t now) {
  ctx c;
  (void)headers;
  (void)state;
  c.h = h;
  c.r = r;
  c.now = now;
  switch (t->kind) {
  case K_HANDLE_XRPC: {
    const char *did = str_of(body, "did");
    if (!cJSON_IsObject(body) || !did) {
      hub__set_err(h, "resolveHandle: no \"did\" in the answer");
      return -1;
    }
    return got_did(&c, t->arg, did);
  }
  case K_HANDLE_WK: {
    char did[TG_MAX_ID + 1];
    const char *p = cJSON_IsString(body) ? body->valuestring : NULL;
    size_t n;
    if (!p) {
      hub__set_err(h, "atproto-did: expected a DID as text");
      return -1;
    }
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++;
    n = strcspn(p, " \r\n\t");
    if (n == 0 || n > TG_MAX_ID || p[n + strspn(p + n, " \r\n\t")]) {
      hub__set_err(h, "atproto-did: the answer is not one DID");
      return -1;
    }
    memcpy(did, p, n);
    did[n] = 0;
    return got_did(&c, t->arg, did);
  }
  case K_DID_PLC:
  case K_DID_WEB:
    {
      hub__url u;
      return got_doc(&c, t->arg, body, hub__url_parse(t->url, &u) == 0 && hub__host_loopback(u.host));
    }
  case K_LIST:
    return parse_list(&c, t, body);
  case K_GET: {
    const char *uri = str_of(body, "uri");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "value");
    if (!cJSON_IsObject(body) || !uri) {
      hub__set_err(h, "getRecord: expected an object with \"uri\" and \"value\"");
      return -1;
    }
    return ingest(&c, uri, v, t->arg);
  }
  case K_LINKS:
    return parse_links(&c, t, body);
  case K_COUNTS:
    return parse_counts(&c, t, body);
  case K_COMMIT:
    return got_commit(&c, t, body);
  default:
    hub__set_err(h, "tangled: unknown task");
    return -1;
  }
}

/* XRPC wants JSON; no credentials ever go to these hosts. */
static int tg_headers(hub *h, hub__run *r, void *state, const hub__task *t, cJSON *hdrs) {
  (void)h;
  (void)r;
  (void)state;
  if (t->kind == K_HANDLE_WK) return cJSON_AddStringToObject(hdrs, "Accept", "text/plain") ? 0 : -1;
  return cJSON_AddStringToObject(hdrs, "Accept", "application/json") ? 0 : -1;
}

/* Rate-limit buckets: "pds:<host>" per PDS, "plc", "handle", "backlinks". */
static void tg_bucket(const hub__task *t, char *buf, size_t n) {
  hub__url u;
  switch (t->kind) {
  case K_HANDLE_WK: case K_HANDLE_XRPC: case K_DID_WEB: snprintf(buf, n, "handle"); break;
  case K_DID_PLC: snprintf(buf, n, "plc"); break;
  case K_LINKS: case K_COUNTS: snprintf(buf, n, "backlinks"); break;
  default:
    if (hub__url_parse(t->url, &u)) snprintf(buf, n, "pds");
    else snprintf(buf, n, "pds:%.19s", u.host);
  }
}

/* The ratelimit-* headers PDSes send: remaining, limit, and reset as epoch seconds, or as
 * seconds from now when small. */
static int tg_limits(const hub__task *t, const cJSON *headers, int64_t now, hub__limits_read *out) {
  const cJSON *v = cJSON_GetObjectItem(headers, "ratelimit-remaining");
  int64_t x;
  (void)t;
  if (!cJSON_IsString(v) || hub__parse_int(v->valuestring, 0, INT64_MAX / 4, &out->remaining)) return 0;
  v = cJSON_GetObjectItem(headers, "ratelimit-limit");
  out->limit = cJSON_IsString(v) && hub__parse_int(v->valuestring, 0, INT64_MAX / 4, &x) == 0 ? x : 0;
  v = cJSON_GetObjectItem(headers, "ratelimit-reset");
  if (cJSON_IsString(v) && hub__parse_int(v->valuestring, 0, INT64_MAX / 4, &x) == 0)
    out->reset_ms = x < 1000000000 ? hub__add_sat(now, x * 1000) : hub__mul_sat(x, 1000);
  return 1;
}

const hub__source hub__tangled_source = {"tangled", "tangled", tg_start, NULL, tg_parse, NULL,
                                         tg_headers, tg_bucket, tg_limits, NULL, NULL, NULL};
