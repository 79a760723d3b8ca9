/*
 * cards.c — what the inbox shows (api layer): the ranked cards, one card with its body as a
 * safe markdown tree and the factors of its score, the header's statistics, and the sync runs.
 * Everything here reads; runs_prune is the one write (old run records).
 */
#include <stdio.h>
#include <string.h>
#include "db/db.h"
#include "rank/rank.h"
#include "items/items.h"
#include "sync/sync.h"
#include "sync/jobs.h"
#include "api/api.h"

static int now_s_of(const cJSON *req, int64_t *now_s) {
  int64_t ms;
  if (hub__json_int(req, "now", 0, 9000000000000000LL, &ms) != 1) return -1;
  *now_s = ms / 1000;
  return 0;
}

static cJSON *json_or_empty(const unsigned char *t) {
  cJSON *j = t ? cJSON_Parse((const char *)t) : NULL;
  return j ? j : cJSON_CreateArray();
}

static void add_text(cJSON *o, const char *k, sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  if (t) cJSON_AddStringToObject(o, k, (const char *)t);
  else cJSON_AddNullToObject(o, k);
}

#define CARD_COLS                                                                             \
  "id,key,source,repo,number,kind,title,state,author,labels,comments,reactions,created_at,"   \
  "updated_at,url,unread,rank,assignees,first_seen,last_seen,body,coalesce(updated_at,created_at,first_seen)," \
  "activity"

/* The factors of the card's score, as its explanation shows them. */
static cJSON *factors_json(hub *h, sqlite3_stmt *st, int64_t id, int64_t now_s) {
  const hub__weights *w = hub__weights_get(h);
  hub__score_in in;
  hub__factors f;
  char buf[1024];
  const char *codes[32];
  cJSON *fj = cJSON_CreateObject();
  memset(&in, 0, sizeof in);
  in.comments = sqlite3_column_int64(st, 10);
  in.reactions = sqlite3_column_int64(st, 11);
  in.labels = (const char *)sqlite3_column_text(st, 9);
  in.author = (const char *)sqlite3_column_text(st, 8);
  in.unread = sqlite3_column_int(st, 15);
  in.nreasons = hub__items_reason_codes(h, id, buf, sizeof buf, codes, 32);
  in.reasons = codes;
  in.activity = sqlite3_column_double(st, 22);
  in.updated_s = sqlite3_column_int64(st, 21);
  hub__score_explain(w, &in, now_s, &f);
  if (!fj) return NULL;
  cJSON_AddNumberToObject(fj, "age_days", f.age_days);
  cJSON_AddNumberToObject(fj, "recency", f.recency);
  cJSON_AddNumberToObject(fj, "decay_days", w->decay_days);
  cJSON_AddNumberToObject(fj, "engagement", f.engagement);
  cJSON_AddNumberToObject(fj, "labels", f.labels);
  cJSON_AddNumberToObject(fj, "contributor", f.contributor);
  cJSON_AddNumberToObject(fj, "reason", f.reason);
  if (f.reason_code) cJSON_AddStringToObject(fj, "reason_code", f.reason_code);
  if (f.activity != 1.0) cJSON_AddNumberToObject(fj, "activity", f.activity);
  cJSON_AddNumberToObject(fj, "score", f.score);
  cJSON_AddStringToObject(fj, "preset", w->seed ? "seed" : "hub");
  return fj;
}

static cJSON *card_json(hub *h, sqlite3_stmt *st, int64_t now_s, int detail) {
  const hub__weights *w = hub__weights_get(h);
  cJSON *c = cJSON_CreateObject();
  int64_t id = sqlite3_column_int64(st, 0);
  if (!c) return NULL;
  add_text(c, "key", st, 1);
  add_text(c, "source", st, 2);
  add_text(c, "repo", st, 3);
  cJSON_AddNumberToObject(c, "number", (double)sqlite3_column_int64(st, 4));
  add_text(c, "kind", st, 5);
  add_text(c, "title", st, 6);
  add_text(c, "state", st, 7);
  add_text(c, "author", st, 8);
  hub__put(c, "labels", json_or_empty(sqlite3_column_text(st, 9)));
  cJSON_AddNumberToObject(c, "comments", (double)sqlite3_column_int64(st, 10));
  cJSON_AddNumberToObject(c, "reactions", (double)sqlite3_column_int64(st, 11));
  cJSON_AddNumberToObject(c, "created_at", (double)sqlite3_column_int64(st, 12));
  cJSON_AddNumberToObject(c, "updated_at", (double)sqlite3_column_int64(st, 13));
  add_text(c, "url", st, 14);
  cJSON_AddBoolToObject(c, "unread", sqlite3_column_int(st, 15));
  hub__put(c, "reasons", hub__items_reasons_json(h, id));
  cJSON_AddNumberToObject(c, "score", hub__score_at(w, sqlite3_column_double(st, 16), now_s));
  if (detail) {
    const char *body = (const char *)sqlite3_column_text(st, 20);
    hub__put(c, "assignees", json_or_empty(sqlite3_column_text(st, 17)));
    cJSON_AddNumberToObject(c, "first_seen", (double)sqlite3_column_int64(st, 18));
    cJSON_AddNumberToObject(c, "last_seen", (double)sqlite3_column_int64(st, 19));
    add_text(c, "body", st, 20);
    hub__put(c, "body_ast", body ? hub__markdown_ast(body, (size_t)sqlite3_column_bytes(st, 20)) : cJSON_CreateArray());
    hub__put(c, "factors", factors_json(h, st, id, now_s));
  }
  return c;
}

cJSON *hub__api_cards(hub *h, const cJSON *req) {
  /* "from": which route brought the item — one item can be several at once */
  static const struct { const char *name, *sql; } from[] = {
      {"all", "SELECT " CARD_COLS " FROM items WHERE state='open' ORDER BY rank DESC, id LIMIT ?"},
      {"github", "SELECT " CARD_COLS " FROM items WHERE state='open' AND source='github' AND EXISTS (SELECT 1 FROM "
                 "item_reasons r WHERE r.item_id=items.id AND r.code NOT IN ('gfi','gfi_search')) "
                 "ORDER BY rank DESC, id LIMIT ?"},
      {"tangled", "SELECT " CARD_COLS " FROM items WHERE state='open' AND source='tangled' ORDER BY rank DESC, id LIMIT ?"},
      {"gfi", "SELECT " CARD_COLS " FROM items WHERE state='open' AND EXISTS (SELECT 1 FROM item_reasons r WHERE "
              "r.item_id=items.id AND r.code IN ('gfi','gfi_search')) ORDER BY rank DESC, id LIMIT ?"},
  };
  int64_t now_s, limit = HUB_CARDS_MAX;
  const char *f = hub__json_str(req, "from");
  size_t i, pick = 0;
  sqlite3_stmt *st;
  cJSON *r, *arr;
  int lr;
  if (now_s_of(req, &now_s)) return hub__error_json(HUB_E_BAD_REQUEST, "cards needs \"now\" (ms)");
  lr = hub__json_int(req, "limit", 1, INT64_MAX / 2, &limit);
  if (lr < 0) return hub__error_json(HUB_E_BAD_TYPE, "\"limit\" must be a positive number");
  if (limit > HUB_CARDS_MAX) limit = HUB_CARDS_MAX;
  if (cJSON_GetObjectItemCaseSensitive(req, "from")) {
    for (i = 0; f && i < sizeof from / sizeof from[0]; i++)
      if (strcmp(f, from[i].name) == 0) pick = i + 1;
    if (!pick) return hub__error_json(HUB_E_BAD_REQUEST, "\"from\" must be all, github, tangled or gfi");
    pick--;
  }
  st = hub__db_q(h, from[pick].sql, "i", limit);
  if (!st) return hub__error_json(HUB_E_DB, h->errmsg);
  r = cJSON_CreateObject();
  arr = cJSON_AddArrayToObject(r, "cards");
  while (sqlite3_step(st) == SQLITE_ROW) hub__push(arr, card_json(h, st, now_s, 0));
  hub__db_done(h, st);
  return r;
}

/* The number of open cards each "from" filter shows (capped at HUB_CARDS_MAX like the list). */
static cJSON *counts_json(hub *h) {
  static const char *const sql =
      "SELECT count(*),"
      " count(CASE WHEN source='github' AND EXISTS (SELECT 1 FROM item_reasons r WHERE r.item_id=items.id AND"
      "  r.code NOT IN ('gfi','gfi_search')) THEN 1 END),"
      " count(CASE WHEN source='tangled' THEN 1 END),"
      " count(CASE WHEN EXISTS (SELECT 1 FROM item_reasons r WHERE r.item_id=items.id AND"
      "  r.code IN ('gfi','gfi_search')) THEN 1 END) FROM items WHERE state='open'";
  static const char *const names[] = {"all", "github", "tangled", "gfi"};
  sqlite3_stmt *st = hub__db_q(h, sql, NULL);
  cJSON *o = cJSON_CreateObject();
  int i;
  if (st && o && sqlite3_step(st) == SQLITE_ROW)
    for (i = 0; i < 4; i++) {
      int64_t n = sqlite3_column_int64(st, i);
      cJSON_AddNumberToObject(o, names[i], (double)(n > HUB_CARDS_MAX ? HUB_CARDS_MAX : n));
    }
  hub__db_done(h, st);
  return o;
}

/* Everything the first screen shows, in one call instead of seven: the cards of the chosen
 * filter, how many each filter has, the header's statistics and the last run. */
cJSON *hub__api_first_screen(hub *h, const cJSON *req) {
  cJSON *r = hub__api_cards(h, req), *part;
  if (!r || cJSON_GetObjectItem(r, "error")) return r;
  hub__put(r, "counts", counts_json(h));
  part = hub__api_stats(h, req);
  hub__put(r, "stats", cJSON_DetachItemFromObject(part, "stats"));
  cJSON_Delete(part);
  part = hub__runs_last(h);
  hub__put(r, "last_run", cJSON_DetachItemFromObject(part, "run"));
  cJSON_Delete(part);
  return r;
}

cJSON *hub__api_card(hub *h, const cJSON *req) {
  int64_t now_s;
  const char *key = hub__json_str(req, "key");
  sqlite3_stmt *st;
  cJSON *r = NULL;
  if (now_s_of(req, &now_s)) return hub__error_json(HUB_E_BAD_REQUEST, "card needs \"now\" (ms)");
  if (!key) return hub__error_json(HUB_E_BAD_REQUEST, "card needs \"key\"");
  st = hub__db_q(h, "SELECT " CARD_COLS " FROM items WHERE key=?", "t", key);
  if (!st) return hub__error_json(HUB_E_DB, h->errmsg);
  if (sqlite3_step(st) == SQLITE_ROW) {
    r = cJSON_CreateObject();
    hub__put(r, "card", card_json(h, st, now_s, 1));
  }
  hub__db_done(h, st);
  return r ? r : hub__error_json(HUB_E_NOT_FOUND, "no item with that key");
}

cJSON *hub__api_stats(hub *h, const cJSON *req) {
  sqlite3_stmt *st = hub__db_q(h,
                               "SELECT count(*), count(CASE WHEN state='open' THEN 1 END),"
                               " count(CASE WHEN reactions>0 THEN 1 END), count(DISTINCT repo),"
                               " count(CASE WHEN unread AND state='open' THEN 1 END) FROM items",
                               NULL);
  cJSON *r, *o;
  (void)req;
  if (!st) return hub__error_json(HUB_E_DB, h->errmsg);
  r = cJSON_CreateObject();
  o = cJSON_AddObjectToObject(r, "stats");
  if (o && sqlite3_step(st) == SQLITE_ROW) {
    cJSON_AddNumberToObject(o, "tracked", (double)sqlite3_column_int64(st, 0));
    cJSON_AddNumberToObject(o, "open", (double)sqlite3_column_int64(st, 1));
    cJSON_AddNumberToObject(o, "with_reactions", (double)sqlite3_column_int64(st, 2));
    cJSON_AddNumberToObject(o, "repos", (double)sqlite3_column_int64(st, 3));
    cJSON_AddNumberToObject(o, "unread", (double)sqlite3_column_int64(st, 4));
  }
  hub__db_done(h, st);
  return r;
}

cJSON *hub__api_last_run(hub *h, const cJSON *req) {
  (void)req;
  return hub__runs_last(h);
}

cJSON *hub__api_runs(hub *h, const cJSON *req) {
  int64_t n = 20;
  if (hub__json_int(req, "limit", 1, 1000, &n) < 0) return hub__error_json(HUB_E_BAD_TYPE, "\"limit\" is 1–1000");
  return hub__runs_list(h, (int)n);
}

cJSON *hub__api_runs_prune(hub *h, const cJSON *req) {
  int64_t before;
  int n, jn;
  cJSON *r;
  if (hub__json_int(req, "before", 0, 9000000000000000LL, &before) != 1)
    return hub__error_json(HUB_E_BAD_REQUEST, "runs_prune needs \"before\" (ms)");
  n = hub__runs_prune(h, before);
  jn = n < 0 ? -1 : hub__jobs_prune(h, before);
  if (n < 0 || jn < 0) return hub__error_json(HUB_E_DB, h->errmsg);
  r = cJSON_CreateObject();
  cJSON_AddNumberToObject(r, "deleted", n);
  cJSON_AddNumberToObject(r, "jobs_deleted", jn);
  return r;
}
