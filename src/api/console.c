/*
 * console.c — the insight console's commands that are not the tip's (api layer): the event
 * stream (events), data quality (data_quality), health (health), and the user's data (export,
 * import, purge); and the hook hub_call uses to record failed commands as "error" events.
 * The tip's panels are tip/insight.c; read-only SQL and saved queries are db/rosql.c; the
 * export itself is db/dump.c.
 *
 *   {"cmd":"events"[,"since":seq,"kind":"sync","item":"…","limit":100]}
 *       → {"events":[{seq,at,kind,item,data}],"last","first","lost","more","capacity"}
 *   {"cmd":"data_quality"[,"tz_offset_min":m,"days":14]}
 *       → {"items":{open,total,without_body,missing:{created_at,updated_at,author,reasons},
 *          missing_any,missing_rate},"validators":{total,other_credential,without_validator},
 *          "sources":[{source,label,run,failed,errors,first_error}],"limits":{run,resources:[{resource,
 *          remaining,limit,headroom,reset,run}]},"syncs_by_day":[{day,runs,ok,partial,error,offline,
 *          aborted,complete}]}
 *   {"cmd":"health"} → {"db":{bytes,page_count,page_size,freelist,schema,sqlite},"tables":{name:rows},
 *          "runs":[…],"sync_active","outbox":{present,depth},"queue":null,"events":{held,last}}
 *       ("queue" is hubd's to fill — its AI queue depth — when it answers for the core; the
 *       browser worker adds {"worker":{storage,memory_bytes,version}} to the answer.)
 *   {"cmd":"export"} → db/dump.c's export;  {"cmd":"import","data":{…export…}} → {"ok","rows"};
 *   {"cmd":"purge","confirm":true} → {"ok","rows"} — everything deleted (the token too).
 */
#include <stdio.h>
#include <string.h>
#include "db/db.h"
#include "rank/rank.h"
#include "sync/sync.h"
#include "sources/sources.h"
#include "base/events.h"
#include "api/api.h"

#define DAY_MS 86400000LL

void hub__console_note(hub *h, const cJSON *req, const cJSON *res) {
  const cJSON *err = cJSON_GetObjectItemCaseSensitive(res, "error");
  int64_t now = 0;
  if (!err) return;
  hub__json_int(req, "now", 0, INT64_MAX / 4, &now);
  hub__event(h, "error", hub__json_str(req, "cmd"), now, "tt", "code", hub__json_str(err, "code"), "message",
             hub__json_str(err, "message"));
}

/* ---- events ----------------------------------------------------------------------------------- */

cJSON *hub__api_events(hub *h, const cJSON *req) {
  int64_t since = 0, limit = 100;
  const cJSON *kind = cJSON_GetObjectItemCaseSensitive(req, "kind"), *item = cJSON_GetObjectItemCaseSensitive(req, "item");
  if (hub__json_int(req, "since", 0, INT64_MAX / 2, &since) < 0 || hub__json_int(req, "limit", 1, HUB_EVENTS_MAX, &limit) < 0)
    return hub__error_json(HUB_E_BAD_TYPE, "\"since\" is an event number, \"limit\" 1 to 500");
  if ((kind && !cJSON_IsString(kind) && !cJSON_IsNull(kind)) || (item && !cJSON_IsString(item) && !cJSON_IsNull(item)))
    return hub__error_json(HUB_E_BAD_TYPE, "\"kind\" and \"item\" are strings");
  return hub__events_json(h, since, cJSON_IsString(kind) ? kind->valuestring : NULL,
                          cJSON_IsString(item) ? item->valuestring : NULL, (int)limit);
}

/* ---- data quality ------------------------------------------------------------------------------ */

static cJSON *items_quality(hub *h) {
  cJSON *o = cJSON_CreateObject(), *m;
  sqlite3_stmt *st = hub__db_q(h,
                               "SELECT count(*), coalesce(sum(created_at IS NULL),0), coalesce(sum(updated_at IS NULL),0),"
                               " coalesce(sum(author IS NULL OR author = ''),0),"
                               " coalesce(sum(NOT EXISTS (SELECT 1 FROM item_reasons r WHERE r.item_id = i.id)),0),"
                               " coalesce(sum(created_at IS NULL OR updated_at IS NULL OR author IS NULL OR author = ''),0)"
                               " FROM items i WHERE state = 'open'", NULL);
  int64_t v[6] = {0, 0, 0, 0, 0, 0};
  int i;
  if (st && sqlite3_step(st) == SQLITE_ROW)
    for (i = 0; i < 6; i++) v[i] = sqlite3_column_int64(st, i);
  hub__db_done(h, st);
  cJSON_AddNumberToObject(o, "open", (double)v[0]);
  cJSON_AddNumberToObject(o, "total", (double)hub__db_int(h, "SELECT count(*) FROM items", NULL, 0));
  cJSON_AddNumberToObject(o, "without_body",
                          (double)hub__db_int(h, "SELECT count(*) FROM items WHERE body IS NULL OR body = ''", NULL, 0));
  m = cJSON_AddObjectToObject(o, "missing");
  cJSON_AddNumberToObject(m, "created_at", (double)v[1]);
  cJSON_AddNumberToObject(m, "updated_at", (double)v[2]);
  cJSON_AddNumberToObject(m, "author", (double)v[3]);
  cJSON_AddNumberToObject(m, "reasons", (double)v[4]);
  cJSON_AddNumberToObject(o, "missing_any", (double)v[5]);
  cJSON_AddNumberToObject(o, "missing_rate", v[0] ? (double)v[5] / (double)v[0] : 0);
  return o;
}

/* Validators kept under a credential that is neither the current one nor anonymous are
 * stale: nothing will ask for them again. The current credential is the stored token's; with
 * none stored (a token given per run: the page's vault, GITHUB_TOKEN for the CLI), the latest
 * GitHub run's (sources/github.c keeps its fingerprint). */
static cJSON *validators_quality(hub *h) {
  cJSON *o = cJSON_CreateObject();
  char *tok = hub__kv_get(h, "github_token"), *last = NULL, scope[65] = "anonymous";
  if (tok && *tok) hub__sha256_hex(tok, strlen(tok), scope);
  else if ((last = hub__kv_get(h, "github.scope")) != NULL && strlen(last) < sizeof scope)
    snprintf(scope, sizeof scope, "%s", last);
  if (tok) memset(tok, 0, strlen(tok));
  hub_free(tok);
  hub_free(last);
  cJSON_AddNumberToObject(o, "total", (double)hub__db_int(h, "SELECT count(*) FROM validators", NULL, 0));
  cJSON_AddNumberToObject(o, "other_credential",
                          (double)hub__db_int(h, "SELECT count(*) FROM validators WHERE token_hash NOT IN (?, 'anonymous')",
                                              "t", 0, scope));
  cJSON_AddNumberToObject(o, "without_validator",
                          (double)hub__db_int(h, "SELECT count(*) FROM validators WHERE etag IS NULL AND last_modified IS NULL",
                                              NULL, 0));
  return o;
}

/* Per source: the latest finished run it took part in, and whether it failed there. */
static cJSON *sources_quality(hub *h) {
  cJSON *arr = cJSON_CreateArray();
  int s;
  for (s = 0; arr && s < hub__source_count; s++) {
    const char *name = hub__source_list[s]->name;
    cJSON *o = cJSON_CreateObject(), *errs = NULL, *e;
    sqlite3_stmt *st = hub__db_q(h, "SELECT id, errors, status, code FROM runs WHERE finished IS NOT NULL AND"
                                    " (instr(sources, '\"' || ?1 || '\"') > 0 OR instr(errors, '\"source\":\"' || ?1 || '\"') > 0)"
                                    " ORDER BY id DESC LIMIT 1", "t", name);
    int64_t run = 0, nerr = 0;
    const char *first = NULL;
    cJSON_AddStringToObject(o, "source", name);
    cJSON_AddStringToObject(o, "label", hub__source_list[s]->label);
    if (st && sqlite3_step(st) == SQLITE_ROW) {
      run = sqlite3_column_int64(st, 0);
      errs = cJSON_Parse((const char *)sqlite3_column_text(st, 1));
    }
    hub__db_done(h, st);
    cJSON_ArrayForEach(e, errs) {
      const char *src = hub__json_str(e, "source");
      if (!src || strcmp(src, name) != 0) continue;
      if (!nerr++) first = hub__json_str(e, "message");
    }
    if (run) cJSON_AddNumberToObject(o, "run", (double)run);
    else cJSON_AddNullToObject(o, "run");
    cJSON_AddBoolToObject(o, "failed", nerr > 0);
    cJSON_AddNumberToObject(o, "errors", (double)nerr);
    if (first) cJSON_AddStringToObject(o, "first_error", first);
    else cJSON_AddNullToObject(o, "first_error");
    cJSON_Delete(errs);
    hub__push(arr, o);
  }
  return arr;
}

/* Rate-limit headroom per resource: each resource's latest reading, from the last runs that
 * read any (a run may touch only some resources). */
static cJSON *limits_quality(hub *h) {
  cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "resources"), *e;
  sqlite3_stmt *st = hub__db_q(h, "SELECT id, limits FROM runs WHERE limits <> '{}' ORDER BY id DESC LIMIT 20", NULL);
  int64_t latest = 0;
  while (st && arr && sqlite3_step(st) == SQLITE_ROW) {
    int64_t run = sqlite3_column_int64(st, 0);
    cJSON *lim = cJSON_Parse((const char *)sqlite3_column_text(st, 1));
    if (!latest) latest = run;
    cJSON_ArrayForEach(e, lim) {
      cJSON *r, *x;
      int64_t rem = 0, max = 0, reset = 0;
      int seen = 0;
      cJSON_ArrayForEach(x, arr) seen |= e->string && strcmp(hub__json_str(x, "resource"), e->string) == 0;
      if (seen || !e->string) continue;
      hub__json_int(e, "remaining", 0, INT64_MAX / 2, &rem);
      hub__json_int(e, "limit", 0, INT64_MAX / 2, &max);
      hub__json_int(e, "reset", 0, INT64_MAX / 2, &reset);
      r = cJSON_CreateObject();
      cJSON_AddStringToObject(r, "resource", e->string);
      cJSON_AddNumberToObject(r, "remaining", (double)rem);
      cJSON_AddNumberToObject(r, "limit", (double)max);
      cJSON_AddNumberToObject(r, "headroom", max > 0 ? (double)rem / (double)max : 0);
      cJSON_AddNumberToObject(r, "reset", (double)reset);
      cJSON_AddNumberToObject(r, "run", (double)run);
      hub__push(arr, r);
    }
    cJSON_Delete(lim);
  }
  hub__db_done(h, st);
  if (latest) cJSON_AddNumberToObject(o, "run", (double)latest);
  else cJSON_AddNullToObject(o, "run");
  return o;
}

/* Finished runs per day (newest days), oldest first, with the share that completed (ok). */
static cJSON *syncs_by_day(hub *h, int64_t tz_ms, int64_t days) {
  cJSON *arr = cJSON_CreateArray();
  sqlite3_stmt *st = hub__db_q(h,
                               "SELECT day, n, ok, partial, error, offline, aborted FROM (SELECT (started + ?1) / 86400000 AS day,"
                               " count(*) AS n, sum(status = 'ok') AS ok, sum(status = 'partial') AS partial,"
                               " sum(status = 'error') AS error, sum(status = 'offline') AS offline,"
                               " sum(status = 'aborted') AS aborted FROM runs WHERE finished IS NOT NULL"
                               " GROUP BY day ORDER BY day DESC LIMIT ?2) ORDER BY day",
                               "ii", tz_ms, days);
  static const char *const names[] = {"runs", "ok", "partial", "error", "offline", "aborted"};
  while (st && arr && sqlite3_step(st) == SQLITE_ROW) {
    cJSON *o = cJSON_CreateObject();
    char iso[24];
    int i;
    hub__fmt_iso8601(sqlite3_column_int64(st, 0) * 86400, iso);
    iso[10] = 0;
    cJSON_AddStringToObject(o, "day", iso);
    for (i = 0; i < 6; i++) cJSON_AddNumberToObject(o, names[i], (double)sqlite3_column_int64(st, i + 1));
    cJSON_AddNumberToObject(o, "complete", (double)sqlite3_column_int64(st, 2) / (double)sqlite3_column_int64(st, 1));
    hub__push(arr, o);
  }
  hub__db_done(h, st);
  return arr;
}

cJSON *hub__api_data_quality(hub *h, const cJSON *req) {
  int64_t tz = 0, days = 14;
  cJSON *res;
  if (hub__json_int(req, "tz_offset_min", -1440, 1440, &tz) < 0 || hub__json_int(req, "days", 1, 366, &days) < 0)
    return hub__error_json(HUB_E_BAD_TYPE, "\"tz_offset_min\" is minutes (±1440), \"days\" 1 to 366");
  res = cJSON_CreateObject();
  hub__put(res, "items", items_quality(h));
  hub__put(res, "validators", validators_quality(h));
  hub__put(res, "sources", sources_quality(h));
  hub__put(res, "limits", limits_quality(h));
  hub__put(res, "syncs_by_day", syncs_by_day(h, tz * 60000, days));
  return res;
}

/* ---- health ------------------------------------------------------------------------------------ */

/* Rows per table of the schema. */
static cJSON *table_rows(hub *h, int *has_outbox, int64_t *outbox) {
  cJSON *o = cJSON_CreateObject();
  sqlite3_stmt *st = hub__db_q(h, "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite%'"
                                  " ORDER BY name", NULL);
  *has_outbox = 0;
  *outbox = 0;
  while (st && o && sqlite3_step(st) == SQLITE_ROW) {
    const char *t = (const char *)sqlite3_column_text(st, 0);
    char *sql = t && !strchr(t, '"') ? hub__printf("SELECT count(*) FROM \"%s\"", t) : NULL;
    sqlite3_stmt *c = sql ? hub__db_q_dyn(h, sql, NULL) : NULL;
    int64_t n = c && sqlite3_step(c) == SQLITE_ROW ? sqlite3_column_int64(c, 0) : -1;
    hub__db_done(h, c);
    hub_free(sql);
    if (t && n >= 0) cJSON_AddNumberToObject(o, t, (double)n);
    /* The outbox's depth: its rows, once an "outbox" table exists (the outbox module may
     * answer this itself when it lands — replace this line with its call). */
    if (t && strcmp(t, "outbox") == 0 && n >= 0) *has_outbox = 1, *outbox = n;
  }
  hub__db_done(h, st);
  return o;
}

cJSON *hub__api_health(hub *h, const cJSON *req) {
  cJSON *res = cJSON_CreateObject(), *db, *ob, *ev, *runs;
  int64_t pc, ps, fl, last = 0, outbox;
  int has_outbox;
  (void)req;
  db = cJSON_AddObjectToObject(res, "db");
  cJSON_AddNumberToObject(db, "bytes", (double)hub__db_size(h, &pc, &ps, &fl));
  cJSON_AddNumberToObject(db, "page_count", (double)pc);
  cJSON_AddNumberToObject(db, "page_size", (double)ps);
  cJSON_AddNumberToObject(db, "freelist", (double)fl);
  cJSON_AddNumberToObject(db, "schema", hub__db_schema_version());
  cJSON_AddStringToObject(db, "sqlite", sqlite3_libversion());
  cJSON_AddBoolToObject(db, "readonly", h->readonly);
  hub__put(res, "tables", table_rows(h, &has_outbox, &outbox));
  runs = hub__runs_list(h, 5);
  hub__put(res, "runs", runs ? cJSON_DetachItemFromObjectCaseSensitive(runs, "runs") : NULL);
  cJSON_Delete(runs);
  cJSON_AddBoolToObject(res, "sync_active", h->run != NULL);
  ob = cJSON_AddObjectToObject(res, "outbox");
  cJSON_AddBoolToObject(ob, "present", has_outbox);
  cJSON_AddNumberToObject(ob, "depth", (double)outbox);
  cJSON_AddNullToObject(res, "queue");
  ev = cJSON_AddObjectToObject(res, "events");
  cJSON_AddNumberToObject(ev, "held", hub__events_count(h, &last));
  cJSON_AddNumberToObject(ev, "last", (double)last);
  cJSON_AddNumberToObject(ev, "capacity", HUB_EVENTS_MAX);
  return res;
}

/* ---- your data ---------------------------------------------------------------------------------- */

cJSON *hub__api_export(hub *h, const cJSON *req) {
  cJSON *res = hub__db_export(h);
  int64_t now = 0;
  if (!res) return hub__error_json(HUB_E_DB, h->errmsg);
  hub__json_int(req, "now", 0, INT64_MAX / 4, &now);
  if (now) cJSON_AddNumberToObject(res, "exported_at", (double)now);
  hub__event(h, "data.export", NULL, now, NULL);
  return res;
}

cJSON *hub__api_import(hub *h, const cJSON *req) {
  const cJSON *data = cJSON_GetObjectItemCaseSensitive(req, "data");
  int64_t n;
  cJSON *res;
  if (!cJSON_IsObject(data)) return hub__error_field(HUB_E_BAD_REQUEST, "data", "import needs the export in \"data\"");
  if (h->run) return hub__error_json(HUB_E_STATE, "a sync is running; import when it is done");
  n = hub__db_import(h, data);
  hub__weights_invalidate(h);
  if (n < 0) return hub__error_field(HUB_E_BAD_REQUEST, "data", h->errmsg);
  hub__event(h, "data.import", NULL, 0, "i", "rows", n);
  res = cJSON_CreateObject();
  cJSON_AddBoolToObject(res, "ok", 1);
  cJSON_AddNumberToObject(res, "rows", (double)n);
  return res;
}

cJSON *hub__api_purge(hub *h, const cJSON *req) {
  int64_t n;
  cJSON *res;
  if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "confirm")))
    return hub__error_field(HUB_E_BAD_REQUEST, "confirm", "purge deletes everything: send \"confirm\":true");
  if (h->run) return hub__error_json(HUB_E_STATE, "a sync is running; delete when it is done");
  n = hub__db_purge(h);
  hub__weights_invalidate(h);
  if (n < 0) return hub__error_json(HUB_E_DB, h->errmsg);
  hub__events_clear(h);
  hub__event(h, "data.purge", NULL, 0, "i", "rows", n);
  res = cJSON_CreateObject();
  cJSON_AddBoolToObject(res, "ok", 1);
  cJSON_AddNumberToObject(res, "rows", (double)n);
  return res;
}
