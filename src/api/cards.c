/*
 * cards.c — what the inbox shows (api layer): the cards a query selects (api/select.c) with
 * their triage state, one card with its body as a safe markdown tree and the factors of its
 * score, the header's statistics, and the sync runs. Everything here reads; runs_prune is the
 * one write (old run records).
 */
#include <stdio.h>
#include <string.h>
#include "db/db.h"
#include "rank/rank.h"
#include "items/items.h"
#include "sync/sync.h"
#include "brief/brief.h"
#include "sync/jobs.h"
#include "api/api.h"

static int now_of(const cJSON *req, int64_t *now_ms) {
  return hub__json_int(req, "now", 0, 9000000000000000LL, now_ms) == 1 ? 0 : -1;
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

/* Columns 0–22 are the item (15: GitHub's unread flag, which the stored rank used); 23– its
 * triage state (see triage/triage.h) and its latest outbox entry still pending or dropped. */
#define CARD_COLS                                                                                    \
  "i.id,i.key,i.source,i.repo,i.number,i.kind,i.title,i.state,i.author,i.labels,i.comments,"         \
  "i.reactions,i.created_at,i.updated_at,i.url,i.unread,i.rank,i.assignees,i.first_seen,i.last_seen," \
  "i.body,coalesce(i.updated_at,i.created_at,i.first_seen),i.activity,"                              \
  "coalesce(1 - t.read, i.unread),coalesce(t.saved, 0),t.snoozed_until,"                             \
  "t.done_at IS NOT NULL AND coalesce(i.updated_at, 0) * 1000 <= t.done_at,coalesce(t.muted, 0),"    \
  "coalesce(t.dismissed, 0)," OUTBOX_COL("o.state") "," OUTBOX_COL("coalesce(o.last_error, o.note)")
#define OUTBOX_COL(what)                                                                             \
  "(SELECT " what " FROM outbox o WHERE o.item_id = i.id AND o.state IN ('pending', 'dropped')"       \
  " ORDER BY o.id DESC LIMIT 1)"

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

/* What the AI queue wrote about the card (brief/aiqueue.c): a good-first issue's intro,
 * difficulty and first steps as "ai", its repository's summary as "repo_summary". */
static void ai_json(hub *h, cJSON *c, const char *key) {
  const char *hash = key ? strchr(key, '#') : NULL;
  char *repo = hash ? hub__strndup(key, (size_t)(hash - key)) : NULL;
  cJSON *ai = key ? hub__ai_output(h, "gfi_intro", key) : NULL, *sum = repo ? hub__ai_output(h, "repo_summary", repo) : NULL;
  if (ai) hub__put(c, "ai", ai);
  if (sum) hub__put(c, "repo_summary", sum);
  hub_free(repo);
}

/* The card's triage state: read, saved, snoozed_until (while it lasts), done, muted,
 * dismissed, and "outbox" {state, note} while GitHub has not been told or refused. */
static void triage_json(cJSON *c, sqlite3_stmt *st, int64_t now_ms) {
  int64_t until = sqlite3_column_int64(st, 25);
  cJSON_AddBoolToObject(c, "unread", sqlite3_column_int(st, 23));
  cJSON_AddBoolToObject(c, "read", !sqlite3_column_int(st, 23));
  cJSON_AddBoolToObject(c, "saved", sqlite3_column_int(st, 24));
  if (sqlite3_column_type(st, 25) != SQLITE_NULL && until > now_ms) cJSON_AddNumberToObject(c, "snoozed_until", (double)until);
  else cJSON_AddNullToObject(c, "snoozed_until");
  cJSON_AddBoolToObject(c, "done", sqlite3_column_int(st, 26));
  cJSON_AddBoolToObject(c, "muted", sqlite3_column_int(st, 27));
  cJSON_AddBoolToObject(c, "dismissed", sqlite3_column_int(st, 28));
  if (sqlite3_column_type(st, 29) != SQLITE_NULL) {
    cJSON *o = cJSON_AddObjectToObject(c, "outbox");
    if (o) {
      add_text(o, "state", st, 29);
      add_text(o, "note", st, 30);
    }
  }
}

static cJSON *card_json(hub *h, sqlite3_stmt *st, int64_t now_ms, int detail) {
  const hub__weights *w = hub__weights_get(h);
  int64_t now_s = now_ms / 1000;
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
  triage_json(c, st, now_ms);
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
    ai_json(h, c, (const char *)sqlite3_column_text(st, 1));
  }
  return c;
}

cJSON *hub__api_cards(hub *h, const cJSON *req) {
  int64_t now_ms, limit = HUB_CARDS_MAX, total;
  const cJSON *fj = cJSON_GetObjectItemCaseSensitive(req, "from"), *qj = cJSON_GetObjectItemCaseSensitive(req, "q");
  hub__sel sel;
  sqlite3_stmt *st;
  cJSON *r, *arr, *err;
  int lr;
  if (now_of(req, &now_ms)) return hub__error_json(HUB_E_BAD_REQUEST, "cards needs \"now\" (ms)");
  lr = hub__json_int(req, "limit", 1, INT64_MAX / 2, &limit);
  if (lr < 0) return hub__error_json(HUB_E_BAD_TYPE, "\"limit\" must be a positive number");
  if (limit > HUB_CARDS_MAX) limit = HUB_CARDS_MAX;
  if (fj && !cJSON_IsString(fj)) return hub__error_json(HUB_E_BAD_REQUEST, "\"from\" must be all, github, tangled or gfi");
  if (qj && !cJSON_IsString(qj) && !cJSON_IsNull(qj)) return hub__error_field(HUB_E_BAD_TYPE, "q", "\"q\" must be a string");
  if ((err = hub__sel_compile(cJSON_IsString(qj) ? qj->valuestring : NULL, fj ? fj->valuestring : NULL, &sel)) != NULL)
    return err;
  st = hub__sel_prepare(h, &sel, CARD_COLS, 1, now_ms, limit);
  if (!st) {
    hub__sel_free(&sel);
    return hub__error_json(HUB_E_DB, h->errmsg);
  }
  r = cJSON_CreateObject();
  arr = cJSON_AddArrayToObject(r, "cards");
  while (sqlite3_step(st) == SQLITE_ROW) hub__push(arr, card_json(h, st, now_ms, 0));
  hub__db_done(h, st);
  /* the total: the list itself when it was not cut short, else a count (up to HUB_COUNT_MAX) */
  total = cJSON_GetArraySize(arr);
  if (total >= limit) total = hub__sel_count(h, &sel, now_ms, HUB_COUNT_MAX + 1);
  hub__sel_free(&sel);
  if (total < 0) {
    cJSON_Delete(r);
    return hub__error_json(HUB_E_DB, h->errmsg);
  }
  cJSON_AddNumberToObject(r, "total", (double)(total > HUB_COUNT_MAX ? HUB_COUNT_MAX : total));
  if (total > HUB_COUNT_MAX) cJSON_AddTrueToObject(r, "total_capped");
  return r;
}

/* The number of cards each "from" filter shows in the inbox (capped at HUB_CARDS_MAX like the
 * list). */
static cJSON *counts_json(hub *h, int64_t now_ms) {
  static const char *const names[] = {"all", "github", "tangled", "gfi"};
  cJSON *o = cJSON_CreateObject();
  size_t i;
  for (i = 0; o && i < sizeof names / sizeof names[0]; i++) {
    hub__sel sel;
    cJSON *err = hub__sel_compile(NULL, names[i], &sel);
    int64_t n = err ? -1 : hub__sel_count(h, &sel, now_ms, HUB_CARDS_MAX);
    cJSON_Delete(err);
    if (!err) hub__sel_free(&sel);
    if (n >= 0) cJSON_AddNumberToObject(o, names[i], (double)(n > HUB_CARDS_MAX ? HUB_CARDS_MAX : n));
  }
  return o;
}

/* Everything the first screen shows, in one call instead of seven: the cards of the chosen
 * filter, how many each filter has, the header's statistics and the last run. */
cJSON *hub__api_first_screen(hub *h, const cJSON *req) {
  cJSON *r = hub__api_cards(h, req), *part;
  int64_t now_ms = 0;
  if (!r || cJSON_GetObjectItem(r, "error")) return r;
  hub__json_int(req, "now", 0, 9000000000000000LL, &now_ms);
  hub__put(r, "counts", counts_json(h, now_ms));
  part = hub__api_stats(h, req);
  hub__put(r, "stats", cJSON_DetachItemFromObject(part, "stats"));
  cJSON_Delete(part);
  part = hub__runs_last(h);
  hub__put(r, "last_run", cJSON_DetachItemFromObject(part, "run"));
  cJSON_Delete(part);
  return r;
}

cJSON *hub__api_card(hub *h, const cJSON *req) {
  int64_t now_ms;
  const char *key = hub__json_str(req, "key");
  sqlite3_stmt *st;
  cJSON *r = NULL;
  if (now_of(req, &now_ms)) return hub__error_json(HUB_E_BAD_REQUEST, "card needs \"now\" (ms)");
  if (!key) return hub__error_json(HUB_E_BAD_REQUEST, "card needs \"key\"");
  st = hub__db_q(h, "SELECT " CARD_COLS " FROM items i LEFT JOIN triage t ON t.item_id = i.id WHERE i.key=?", "t", key);
  if (!st) return hub__error_json(HUB_E_DB, h->errmsg);
  if (sqlite3_step(st) == SQLITE_ROW) {
    r = cJSON_CreateObject();
    hub__put(r, "card", card_json(h, st, now_ms, 1));
  }
  hub__db_done(h, st);
  return r ? r : hub__error_json(HUB_E_NOT_FOUND, "no item with that key");
}

cJSON *hub__api_stats(hub *h, const cJSON *req) {
  sqlite3_stmt *st = hub__db_q(h,
                               "SELECT count(*), count(CASE WHEN i.state='open' THEN 1 END),"
                               " count(CASE WHEN i.reactions>0 THEN 1 END), count(DISTINCT i.repo),"
                               " count(CASE WHEN coalesce(1 - t.read, i.unread) AND i.state='open' THEN 1 END)"
                               " FROM items i LEFT JOIN triage t ON t.item_id = i.id",
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
  cJSON *r = hub__runs_last(h);
  (void)req;
  if (r && !cJSON_GetObjectItem(r, "error")) hub__put(r, "queue", hub__ai_counts(h)); /* the AI queue's state */
  return r;
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
