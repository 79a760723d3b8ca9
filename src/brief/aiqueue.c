/*
 * aiqueue.c — the AI queue (brief layer; see brief.h; owns tables ai_queue and ai_outputs).
 *
 * An entity is a good-first issue (kind gfi_intro, entity = its item key) or the repository of
 * one (kind repo_summary, entity = "host/owner/name"). Its input — what an LLM is shown — is
 * built here from the items and repos tables, and its content hash is the hash of that input:
 * ai_enqueue puts an entity in the queue only when the hash differs from the one it was last
 * queued with (one row per entity: a changed entity goes back to pending with its attempts
 * cleared). Entries move pending → processing (ai_claim, best priority first, at most
 * HUB_AI_BATCH) → completed (ai_done with an output that passes its schema) or back to pending
 * after a failure, until HUB_AI_ATTEMPTS attempts made it failed. A claim older than
 * HUB_AI_STALE_MS is reset at the next claim (a driver that died). Time is always passed in.
 */
#include <stdio.h>
#include <string.h>
#include "db/db.h"
#include "brief/brief.h"

#define PRIO_GFI 2
#define PRIO_REPO 1

static const char *const states[] = {"pending", "processing", "completed", "failed"};

/* ---- inputs ----------------------------------------------------------------------------- */

static cJSON *json_array_text(const unsigned char *t) {
  cJSON *j = t ? cJSON_Parse((const char *)t) : NULL;
  return cJSON_IsArray(j) ? j : (cJSON_Delete(j), cJSON_CreateArray());
}

/* The languages of repository "owner/name" from the repos table, or an empty array. */
static cJSON *repo_languages(hub *h, const char *repo, const char *col_sql) {
  const char *slash = repo ? strchr(repo, '/') : NULL;
  char owner[128];
  sqlite3_stmt *st;
  cJSON *j = NULL;
  if (!slash || (size_t)(slash - repo) >= sizeof owner) return cJSON_CreateArray();
  snprintf(owner, sizeof owner, "%.*s", (int)(slash - repo), repo);
  st = hub__db_q(h, col_sql, "tt", owner, slash + 1);
  if (st && sqlite3_step(st) == SQLITE_ROW) j = json_array_text(sqlite3_column_text(st, 0));
  hub__db_done(h, st);
  return j ? j : cJSON_CreateArray();
}
#define LANGS_SQL "SELECT languages FROM repos WHERE owner=? AND name=?"
#define TECHS_SQL "SELECT technologies FROM repos WHERE owner=? AND name=?"

/* A good-first issue's input: {repo, title, labels, languages, excerpt}; NULL when the item is
 * gone or closed. */
static cJSON *gfi_input(hub *h, const char *key) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT repo, title, labels, substr(body,1,?) FROM items WHERE key=? AND state='open'",
                               "it", (int64_t)HUB_BRIEF_EXCERPT, key);
  cJSON *o = NULL;
  if (st && sqlite3_step(st) == SQLITE_ROW && (o = cJSON_CreateObject())) {
    const char *repo = (const char *)sqlite3_column_text(st, 0), *body = (const char *)sqlite3_column_text(st, 3);
    cJSON_AddStringToObject(o, "repo", repo ? repo : "");
    cJSON_AddStringToObject(o, "title", (const char *)sqlite3_column_text(st, 1));
    hub__put(o, "labels", json_array_text(sqlite3_column_text(st, 2)));
    hub__put(o, "languages", repo_languages(h, repo, LANGS_SQL));
    cJSON_AddStringToObject(o, "excerpt", body ? body : "");
  }
  hub__db_done(h, st);
  return o;
}

/* A repository's input: {repo, languages, technologies, issues: [its open good-first titles]};
 * NULL when it has none left. */
static cJSON *repo_input(hub *h, const char *entity) {
  const char *repo = strchr(entity, '/');
  char host[128];
  sqlite3_stmt *st;
  cJSON *o, *titles;
  if (!repo || (size_t)(repo - entity) >= sizeof host) return NULL;
  snprintf(host, sizeof host, "%.*s", (int)(repo - entity), entity);
  repo++;
  o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddStringToObject(o, "repo", repo);
  hub__put(o, "languages", repo_languages(h, repo, LANGS_SQL));
  hub__put(o, "technologies", repo_languages(h, repo, TECHS_SQL));
  titles = cJSON_AddArrayToObject(o, "issues");
  st = hub__db_q(h,
                 "SELECT title FROM items i WHERE host=? AND repo=? AND state='open' AND EXISTS (SELECT 1 FROM"
                 " item_reasons r WHERE r.item_id=i.id AND r.code IN ('gfi','gfi_search')) ORDER BY rank DESC, key LIMIT ?",
                 "tti", host, repo, (int64_t)HUB_AI_REPO_TITLES);
  while (st && titles && sqlite3_step(st) == SQLITE_ROW)
    hub__push(titles, cJSON_CreateString((const char *)sqlite3_column_text(st, 0)));
  hub__db_done(h, st);
  if (!titles || cJSON_GetArraySize(titles) == 0) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

/* The entity's input and its hash (17 bytes), or NULL when the entity is gone. */
static cJSON *input_of(hub *h, const char *kind, const char *entity, char hash[17]) {
  cJSON *in = strcmp(kind, "gfi_intro") == 0 ? gfi_input(h, entity) : repo_input(h, entity);
  char *t = in ? cJSON_PrintUnformatted(in) : NULL;
  if (in && !t) {
    cJSON_Delete(in);
    return NULL;
  }
  if (t) snprintf(hash, 17, "%016llx", (unsigned long long)hub__fnv1a(HUB_FNV_INIT, t, strlen(t)));
  cJSON_free(t);
  return in;
}

/* ---- enqueue ------------------------------------------------------------------------------ */

/* Queues (kind, entity) when its hash changed. Returns 1 queued, 0 unchanged or gone, -1. */
static int enqueue_one(hub *h, const char *kind, const char *entity, int prio, int64_t now) {
  char hash[17];
  cJSON *in = input_of(h, kind, entity, hash);
  char *old;
  int rc;
  if (!in) return 0;
  cJSON_Delete(in);
  old = hub__db_str(h, "SELECT hash FROM ai_queue WHERE kind=? AND entity=?", "tt", kind, entity);
  if (old && strcmp(old, hash) == 0) rc = 0;
  else if (old)
    rc = hub__db_run(h,
                     "UPDATE ai_queue SET hash=?, state='pending', priority=?, attempts=0, last_error=NULL,"
                     " error_kind=NULL, enqueued_at=?, started_at=NULL, finished_at=NULL WHERE kind=? AND entity=?",
                     "tiitt", hash, (int64_t)prio, now, kind, entity) < 0 ? -1 : 1;
  else
    rc = hub__db_run(h, "INSERT INTO ai_queue(kind,entity,hash,state,priority,enqueued_at) VALUES(?,?,?,'pending',?,?)",
                     "tttii", kind, entity, hash, (int64_t)prio, now) < 0 ? -1 : 1;
  hub_free(old);
  return rc;
}

/* Enqueues every open good-first issue, then the repositories they belong to. */
static int enqueue_all(hub *h, int64_t now, int *queued, int *same) {
  sqlite3_stmt *st = hub__db_q(h,
                               "SELECT key, host || '/' || repo FROM items i WHERE state='open' AND host IS NOT NULL AND"
                               " repo IS NOT NULL AND EXISTS (SELECT 1 FROM item_reasons r WHERE r.item_id=i.id AND"
                               " r.code IN ('gfi','gfi_search')) ORDER BY rank DESC, key LIMIT ?",
                               "i", (int64_t)HUB_AI_SCAN);
  cJSON *repos = cJSON_CreateArray(), *e;
  int rc = st && repos ? 0 : -1;
  while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
    const char *repo = (const char *)sqlite3_column_text(st, 1);
    int seen = 0;
    cJSON_ArrayForEach(e, repos) seen |= strcmp(e->valuestring, repo) == 0;
    if (!seen) hub__push(repos, cJSON_CreateString(repo));
    /* a nested statement: the key is copied before the next step */
    {
      char *key = hub__db_col_dup(st, 0);
      int r = key ? enqueue_one(h, "gfi_intro", key, PRIO_GFI, now) : -1;
      hub_free(key);
      if (r < 0) rc = -1;
      else *(r ? queued : same) += 1;
    }
  }
  hub__db_done(h, st);
  cJSON_ArrayForEach(e, repos) {
    int r;
    if (rc) break;
    r = enqueue_one(h, "repo_summary", e->valuestring, PRIO_REPO, now);
    if (r < 0) rc = -1;
    else *(r ? queued : same) += 1;
  }
  cJSON_Delete(repos);
  return rc;
}

cJSON *hub__ai_enqueue_cmd(hub *h, const cJSON *req) {
  int64_t now;
  int queued = 0, same = 0;
  cJSON *r;
  if (hub__json_int(req, "now", 0, 9000000000000000LL, &now) != 1)
    return hub__error_json(HUB_E_BAD_REQUEST, "ai_enqueue needs \"now\" (ms)");
  if (hub__db_begin(h)) return hub__error_json(HUB_E_DB, h->errmsg);
  if (enqueue_all(h, now, &queued, &same) || hub__db_commit(h)) {
    hub__db_rollback(h);
    return hub__error_json(HUB_E_DB, h->errmsg);
  }
  r = cJSON_CreateObject();
  cJSON_AddNumberToObject(r, "enqueued", queued);
  cJSON_AddNumberToObject(r, "unchanged", same);
  return r;
}

/* ---- claim -------------------------------------------------------------------------------- */

/* Puts claims older than HUB_AI_STALE_MS back to pending (failed once out of attempts). */
static int reset_stale(hub *h, int64_t now) {
  return hub__db_run(h,
                     "UPDATE ai_queue SET state=CASE WHEN attempts>=? THEN 'failed' ELSE 'pending' END,"
                     " error_kind='stale', last_error='no answer within 30 minutes: the claim was reset',"
                     " finished_at=CASE WHEN attempts>=? THEN ? ELSE NULL END, started_at=NULL"
                     " WHERE state='processing' AND started_at<?",
                     "iiii", (int64_t)HUB_AI_ATTEMPTS, (int64_t)HUB_AI_ATTEMPTS, now, now - HUB_AI_STALE_MS);
}

/* Claims one entry (id): its current input, or drops the entry when the entity is gone. */
static cJSON *claim_one(hub *h, int64_t id, const char *kind, const char *entity, int64_t now) {
  char hash[17];
  cJSON *in = input_of(h, kind, entity, hash), *e;
  if (!in) {
    hub__db_run(h, "DELETE FROM ai_queue WHERE id=?", "i", id);
    return NULL;
  }
  if (hub__db_run(h, "UPDATE ai_queue SET state='processing', started_at=?, attempts=attempts+1, hash=? WHERE id=?",
                  "iti", now, hash, id) < 0) {
    cJSON_Delete(in);
    return NULL;
  }
  e = cJSON_CreateObject();
  cJSON_AddNumberToObject(e, "id", (double)id);
  cJSON_AddStringToObject(e, "kind", kind);
  cJSON_AddStringToObject(e, "entity", entity);
  cJSON_AddStringToObject(e, "hash", hash);
  cJSON_AddNumberToObject(e, "attempts", (double)hub__db_int(h, "SELECT attempts FROM ai_queue WHERE id=?", "i", 0, id));
  hub__put(e, "input", in);
  return e;
}

static int claim_all(hub *h, int64_t now, int64_t limit, cJSON *out) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT id, kind, entity FROM ai_queue WHERE state='pending' ORDER BY priority DESC, id LIMIT ?",
                               "i", limit);
  int64_t ids[HUB_AI_BATCH];
  char *kinds[HUB_AI_BATCH], *ents[HUB_AI_BATCH];
  int n = 0, i, rc = st ? 0 : -1;
  while (rc == 0 && n < HUB_AI_BATCH && sqlite3_step(st) == SQLITE_ROW) {
    ids[n] = sqlite3_column_int64(st, 0);
    kinds[n] = hub__db_col_dup(st, 1);
    ents[n] = hub__db_col_dup(st, 2);
    if (!kinds[n] || !ents[n]) rc = -1;
    n++;
  }
  hub__db_done(h, st);
  for (i = 0; i < n; i++) {
    if (rc == 0) hub__push(out, claim_one(h, ids[i], kinds[i], ents[i], now));
    hub_free(kinds[i]);
    hub_free(ents[i]);
  }
  return rc;
}

cJSON *hub__ai_claim_cmd(hub *h, const cJSON *req) {
  int64_t now, limit = HUB_AI_BATCH;
  int reset;
  cJSON *r = NULL, *entries;
  if (hub__json_int(req, "now", 0, 9000000000000000LL, &now) != 1)
    return hub__error_json(HUB_E_BAD_REQUEST, "ai_claim needs \"now\" (ms)");
  if (hub__json_int(req, "limit", 1, HUB_AI_BATCH, &limit) < 0)
    return hub__error_field(HUB_E_BAD_TYPE, "limit", "\"limit\" is 1 to 10");
  if (hub__db_begin(h)) return hub__error_json(HUB_E_DB, h->errmsg);
  r = cJSON_CreateObject();
  entries = cJSON_AddArrayToObject(r, "entries");
  reset = reset_stale(h, now);
  if (!entries || reset < 0 || claim_all(h, now, limit, entries) || hub__db_commit(h)) {
    hub__db_rollback(h);
    cJSON_Delete(r);
    return hub__error_json(HUB_E_DB, h->errmsg[0] ? h->errmsg : "out of memory");
  }
  cJSON_AddNumberToObject(r, "reset", reset);
  return r;
}

/* ---- done --------------------------------------------------------------------------------- */

/* Records a failure of entry id: released (not counted), back to pending, or failed. */
static int record_failure(hub *h, int64_t id, const char *kind, const char *msg, int release, int64_t now) {
  if (release)
    return hub__db_run(h, "UPDATE ai_queue SET state='pending', attempts=max(attempts-1,0), started_at=NULL WHERE id=?",
                       "i", id);
  return hub__db_run(h,
                     "UPDATE ai_queue SET state=CASE WHEN attempts>=? THEN 'failed' ELSE 'pending' END, error_kind=?,"
                     " last_error=?, started_at=NULL, finished_at=CASE WHEN attempts>=? THEN ? ELSE NULL END WHERE id=?",
                     "ittiii", (int64_t)HUB_AI_ATTEMPTS, kind, msg, (int64_t)HUB_AI_ATTEMPTS, now, id);
}

static cJSON *state_json(hub *h, int64_t id) {
  cJSON *r = cJSON_CreateObject();
  char *s = hub__db_str(h, "SELECT state FROM ai_queue WHERE id=?", "i", id);
  cJSON_AddStringToObject(r, "state", s ? s : "gone");
  cJSON_AddNumberToObject(r, "attempts", (double)hub__db_int(h, "SELECT attempts FROM ai_queue WHERE id=?", "i", 0, id));
  hub_free(s);
  return r;
}

/* Validates and stores an output; a refused one counts as a failed attempt. */
static cJSON *done_output(hub *h, int64_t id, const char *kind, const char *entity, const cJSON *req, int64_t now) {
  const cJSON *out = cJSON_GetObjectItemCaseSensitive(req, "output");
  const char *hash = hub__json_str(req, "hash"), *model = hub__json_str(req, "model");
  char err[300], *text = NULL;
  cJSON *r = NULL;
  if (!hash || strlen(hash) > 16 || (model && strlen(model) > 200))
    return hub__error_json(HUB_E_BAD_REQUEST, "ai_done with an output needs \"hash\" (and \"model\" of 200 bytes at most)");
  if (hub__schema_validate(hub__schema_find(kind), out, NULL, 0, err, sizeof err)) {
    if (record_failure(h, id, "invalid", err, 0, now) < 0) return hub__error_json(HUB_E_DB, h->errmsg);
    return hub__error_field(HUB_E_BAD_REQUEST, "output", err);
  }
  text = cJSON_PrintUnformatted(out);
  if (!text ||
      hub__db_run(h, "INSERT OR REPLACE INTO ai_outputs(kind,entity,hash,json,model,created_at) VALUES(?,?,?,?,?,?)",
                  "ttttti", kind, entity, hash, text, model, now) < 0 ||
      hub__db_run(h, "UPDATE ai_queue SET state='completed', finished_at=?, last_error=NULL, error_kind=NULL,"
                     " started_at=NULL WHERE id=?", "ii", now, id) < 0)
    r = hub__error_json(HUB_E_DB, h->errmsg[0] ? h->errmsg : "out of memory");
  cJSON_free(text);
  return r ? r : state_json(h, id);
}

cJSON *hub__ai_done_cmd(hub *h, const cJSON *req) {
  int64_t now, id;
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(req, "error");
  char *kind = NULL, *entity = NULL, *state = NULL;
  cJSON *r = NULL;
  if (hub__json_int(req, "now", 0, 9000000000000000LL, &now) != 1 || hub__json_int(req, "id", 1, INT64_MAX / 2, &id) != 1)
    return hub__error_json(HUB_E_BAD_REQUEST, "ai_done needs \"id\" and \"now\" (ms)");
  state = hub__db_str(h, "SELECT state FROM ai_queue WHERE id=?", "i", id);
  kind = hub__db_str(h, "SELECT kind FROM ai_queue WHERE id=?", "i", id);
  entity = hub__db_str(h, "SELECT entity FROM ai_queue WHERE id=?", "i", id);
  if (!state || !kind || !entity) r = hub__error_json(HUB_E_NOT_FOUND, "no queue entry with that id");
  else if (strcmp(state, "processing") != 0)
    r = hub__error_json(HUB_E_STATE, "the entry is not being processed (claimed again, reset or changed meanwhile)");
  else if (e) {
    const char *ek = hub__json_str(e, "kind"), *em = hub__json_str(e, "message");
    char *clean = hub__utf8_clean(em ? em : "", em ? (strlen(em) > 240 ? 240 : strlen(em)) : 0);
    if (!ek || strlen(ek) > 32) r = hub__error_field(HUB_E_BAD_REQUEST, "error.kind", "an error needs a short \"kind\"");
    else if (!clean || record_failure(h, id, ek, clean, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "release")), now) < 0)
      r = hub__error_json(HUB_E_DB, h->errmsg[0] ? h->errmsg : "out of memory");
    else r = state_json(h, id);
    hub_free(clean);
  } else r = done_output(h, id, kind, entity, req, now);
  hub_free(state);
  hub_free(kind);
  hub_free(entity);
  return r;
}

/* ---- reading ------------------------------------------------------------------------------ */

cJSON *hub__ai_counts(hub *h) {
  cJSON *o = cJSON_CreateObject();
  size_t i;
  for (i = 0; o && i < sizeof states / sizeof states[0]; i++)
    cJSON_AddNumberToObject(o, states[i], (double)hub__db_int(h, "SELECT count(*) FROM ai_queue WHERE state=?", "t", 0, states[i]));
  return o;
}

static void add_opt_text(cJSON *o, const char *k, sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  if (t) cJSON_AddStringToObject(o, k, (const char *)t);
  else cJSON_AddNullToObject(o, k);
}
static void add_opt_int(cJSON *o, const char *k, sqlite3_stmt *st, int i) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL) cJSON_AddNullToObject(o, k);
  else cJSON_AddNumberToObject(o, k, (double)sqlite3_column_int64(st, i));
}

cJSON *hub__ai_queue_cmd(hub *h, const cJSON *req) {
  int64_t limit = 50;
  sqlite3_stmt *st;
  cJSON *r, *a;
  if (hub__json_int(req, "limit", 1, 1000, &limit) < 0) return hub__error_field(HUB_E_BAD_TYPE, "limit", "\"limit\" is 1 to 1000");
  st = hub__db_q(h,
                 "SELECT id,kind,entity,state,priority,attempts,error_kind,last_error,enqueued_at,started_at,finished_at"
                 " FROM ai_queue ORDER BY CASE state WHEN 'processing' THEN 0 WHEN 'pending' THEN 1 WHEN 'failed' THEN 2"
                 " ELSE 3 END, priority DESC, id LIMIT ?",
                 "i", limit);
  if (!st) return hub__error_json(HUB_E_DB, h->errmsg);
  r = cJSON_CreateObject();
  hub__put(r, "counts", hub__ai_counts(h));
  a = cJSON_AddArrayToObject(r, "entries");
  while (a && sqlite3_step(st) == SQLITE_ROW) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "id", (double)sqlite3_column_int64(st, 0));
    add_opt_text(e, "kind", st, 1);
    add_opt_text(e, "entity", st, 2);
    add_opt_text(e, "state", st, 3);
    cJSON_AddNumberToObject(e, "priority", (double)sqlite3_column_int64(st, 4));
    cJSON_AddNumberToObject(e, "attempts", (double)sqlite3_column_int64(st, 5));
    add_opt_text(e, "error_kind", st, 6);
    add_opt_text(e, "last_error", st, 7);
    add_opt_int(e, "enqueued_at", st, 8);
    add_opt_int(e, "started_at", st, 9);
    add_opt_int(e, "finished_at", st, 10);
    hub__push(a, e);
  }
  hub__db_done(h, st);
  return r;
}

/* One output row as {kind, entity, hash, model, at, output}. */
static cJSON *output_json(sqlite3_stmt *st) {
  cJSON *e = cJSON_CreateObject(), *out = cJSON_Parse((const char *)sqlite3_column_text(st, 3));
  add_opt_text(e, "kind", st, 0);
  add_opt_text(e, "entity", st, 1);
  add_opt_text(e, "hash", st, 2);
  add_opt_text(e, "model", st, 4);
  cJSON_AddNumberToObject(e, "at", (double)sqlite3_column_int64(st, 5));
  hub__put(e, "output", out ? out : cJSON_CreateObject());
  return e;
}

cJSON *hub__ai_cmd(hub *h, const cJSON *req) {
  const char *entity = hub__json_str(req, "entity");
  int64_t limit = 100;
  sqlite3_stmt *st;
  cJSON *r, *a;
  if (hub__json_int(req, "limit", 1, 1000, &limit) < 0) return hub__error_field(HUB_E_BAD_TYPE, "limit", "\"limit\" is 1 to 1000");
  st = entity ? hub__db_q(h, "SELECT kind,entity,hash,json,model,created_at FROM ai_outputs WHERE entity=? ORDER BY kind", "t", entity)
              : hub__db_q(h, "SELECT kind,entity,hash,json,model,created_at FROM ai_outputs ORDER BY created_at DESC, entity LIMIT ?",
                          "i", limit);
  if (!st) return hub__error_json(HUB_E_DB, h->errmsg);
  r = cJSON_CreateObject();
  a = cJSON_AddArrayToObject(r, "outputs");
  while (a && sqlite3_step(st) == SQLITE_ROW) hub__push(a, output_json(st));
  hub__db_done(h, st);
  return r;
}

int hub__ai_import(hub *h, const char *kind, const char *entity, const char *hash, const cJSON *output,
                   const char *model, int64_t created_at) {
  const hub__snode *s = hub__schema_find(kind);
  char err[300], *text = NULL;
  int64_t have;
  int rc = -1;
  if (!s || !strcmp(kind, "briefing") || hub__schema_validate(s, output, NULL, 0, err, sizeof err)) {
    hub__set_err(h, "ai output of %.40s for %.200s: %s", kind, entity, s ? err : "unknown kind");
    return -1;
  }
  have = hub__db_int(h, "SELECT count(*) FROM ai_outputs WHERE kind=? AND entity=? AND hash=? AND created_at=?", "ttti",
                     -1, kind, entity, hash, created_at);
  if (have != 0) return have > 0 ? 0 : -1;
  text = cJSON_PrintUnformatted(output);
  if (text && hub__db_run(h, "INSERT OR REPLACE INTO ai_outputs(kind,entity,hash,json,model,created_at) VALUES(?,?,?,?,?,?)",
                          "ttttti", kind, entity, hash, text, model, created_at) >= 0)
    rc = 1;
  else if (!text)
    hub__set_err(h, "out of memory");
  cJSON_free(text);
  return rc;
}

cJSON *hub__ai_output(hub *h, const char *kind, const char *entity) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT json, model, created_at FROM ai_outputs WHERE kind=? AND entity=?", "tt", kind, entity);
  cJSON *o = NULL;
  if (st && sqlite3_step(st) == SQLITE_ROW) {
    o = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
    if (cJSON_IsObject(o)) {
      add_opt_text(o, "model", st, 1);
      cJSON_AddNumberToObject(o, "at", (double)sqlite3_column_int64(st, 2));
    } else {
      cJSON_Delete(o);
      o = NULL;
    }
  }
  hub__db_done(h, st);
  return o;
}
