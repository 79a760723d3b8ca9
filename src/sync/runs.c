/*
 * runs.c — the record of every sync run (sync layer; the only writer of table runs). The
 * engine inserts a row when a run starts and saves its statistics as it finishes; the api
 * layer reads the latest run, a list of recent runs, and prunes old ones.
 */
#include <string.h>
#include "db/db.h"
#include "sync/sync.h"

int64_t hub__runs_insert(hub *h, int64_t started_ms);
int hub__runs_save(hub *h, int64_t id, const cJSON *run, int64_t finished_ms);
int hub__runs_close_stale(hub *h, int64_t now_ms);

/* Marks runs left "running" (their process stopped during them; one handle drives one run at
 * a time, and the engine calls this only when it has none) as aborted, with a note. Returns
 * the number closed or -1. */
int hub__runs_close_stale(hub *h, int64_t now_ms) {
  return hub__db_run(h,
                     "UPDATE runs SET status='aborted',finished=max(started,?),"
                     "errors='[{\"url\":null,\"message\":\"interrupted: the process stopped during the run\"}]' "
                     "WHERE status='running'",
                     "i", now_ms);
}

int64_t hub__runs_insert(hub *h, int64_t started_ms) {
  if (hub__db_run(h, "INSERT INTO runs(started,status) VALUES(?, 'running')", "i", started_ms) < 0) return -1;
  return sqlite3_last_insert_rowid(h->db);
}

static int64_t num(const cJSON *o, const char *k) {
  int64_t v = 0;
  hub__json_int(o, k, 0, INT64_MAX / 2, &v);
  return v;
}

/* Prints the member k of o (or dflt) as new JSON text. */
static char *text_of(const cJSON *o, const char *k, const char *dflt) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return v ? cJSON_PrintUnformatted(v) : hub__strdup(dflt);
}

int hub__runs_save(hub *h, int64_t id, const cJSON *run, int64_t finished_ms) {
  char *errors = text_of(run, "errors", "[]"), *limits = text_of(run, "limits", "{}");
  char *per = text_of(run, "sources", "{}"), *skips = text_of(run, "skip_reasons", "{}");
  int rc = -1;
  if (!errors || !limits || !per || !skips) {
    hub__set_err(h, "out of memory");
    goto done;
  }
  rc = hub__db_run(h,
                   "UPDATE runs SET finished=nullif(?,0),status=?,code=?,new=?,updated=?,unchanged=?,skipped=?,"
                   "requests=?,not_modified=?,charged=?,retries=?,waited_ms=?,errors=?,limits=?,sources=?,"
                   "skip_reasons=? WHERE id=?",
                   "itt" "iiii" "iiiii" "tttt" "i", finished_ms, hub__json_str(run, "status"), hub__json_str(run, "code"),
                   num(run, "new"), num(run, "updated"), num(run, "unchanged"), num(run, "skipped"),
                   num(run, "requests"), num(run, "not_modified"), num(run, "charged"), num(run, "retries"),
                   num(run, "waited_ms"), errors, limits, per, skips, id) < 0
           ? -1
           : 0;
done:
  hub_free(errors);
  hub_free(limits);
  hub_free(per);
  hub_free(skips);
  return rc;
}

#define RUN_COLS                                                                                    \
  "id,started,finished,status,new,updated,unchanged,skipped,requests,not_modified,charged,retries," \
  "waited_ms,errors,limits,sources,skip_reasons,code"

static cJSON *row_json(sqlite3_stmt *st) {
  static const char *const names[] = {"id", "started", "finished", "status", "new", "updated",
                                      "unchanged", "skipped", "requests", "not_modified",
                                      "charged", "retries", "waited_ms"};
  static const char *const objs[] = {"errors", "limits", "sources", "skip_reasons"};
  cJSON *o = cJSON_CreateObject();
  int i;
  for (i = 0; o && i < 13; i++) {
    if (sqlite3_column_type(st, i) == SQLITE_NULL) cJSON_AddNullToObject(o, names[i]);
    else if (i == 3) cJSON_AddStringToObject(o, names[i], (const char *)sqlite3_column_text(st, i));
    else cJSON_AddNumberToObject(o, names[i], (double)sqlite3_column_int64(st, i));
  }
  for (i = 0; o && i < 4; i++) {
    const unsigned char *t = sqlite3_column_text(st, 13 + i);
    cJSON *j = t ? cJSON_Parse((const char *)t) : NULL;
    hub__put(o, objs[i], j ? j : (i == 0 ? cJSON_CreateArray() : cJSON_CreateObject()));
  }
  if (o && sqlite3_column_text(st, 17)) cJSON_AddStringToObject(o, "code", (const char *)sqlite3_column_text(st, 17));
  else if (o) cJSON_AddNullToObject(o, "code");
  return o;
}

cJSON *hub__runs_last(hub *h) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT " RUN_COLS " FROM runs ORDER BY id DESC LIMIT 1", NULL);
  cJSON *r;
  if (!st) return hub__error_json(HUB_E_DB, h->errmsg);
  r = cJSON_CreateObject();
  if (sqlite3_step(st) == SQLITE_ROW) hub__put(r, "run", row_json(st));
  else cJSON_AddNullToObject(r, "run");
  hub__db_done(h, st);
  return r;
}

cJSON *hub__runs_list(hub *h, int n) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT " RUN_COLS " FROM runs ORDER BY id DESC LIMIT ?", "i", (int64_t)n);
  cJSON *r, *arr;
  if (!st) return hub__error_json(HUB_E_DB, h->errmsg);
  r = cJSON_CreateObject();
  arr = cJSON_AddArrayToObject(r, "runs");
  while (sqlite3_step(st) == SQLITE_ROW) hub__push(arr, row_json(st));
  hub__db_done(h, st);
  return r;
}

int hub__runs_prune(hub *h, int64_t before_ms) {
  return hub__db_run(h, "DELETE FROM runs WHERE finished IS NOT NULL AND finished<?", "i", before_ms);
}
