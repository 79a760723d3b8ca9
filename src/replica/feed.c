/*
 * feed.c — the change feed (replica layer; see replica.h): command `changes`, what changed in
 * this database since a cursor, in pages.
 *
 * The triggers of migration 15 keep one row per changed thing in replica_log at its latest
 * sequence number (AUTOINCREMENT: never reused, also after a purge), so "since N" is the rows
 * above N, in order, and a thing changed twice is sent once, as it is now. A page is read in
 * one read transaction (hubd's readers run beside its writer: the rows and the highest number
 * must come from the same snapshot, or a change could fall between them). The cursor names
 * the database too, "r1.<origin>.<seq>": a cursor of another database — hubd replaced, or
 * purged, which gives it a new origin — starts over from the first row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db/db.h"
#include "items/items.h"
#include "tip/tip.h"
#include "replica/replica.h"

/* ---- cursors ------------------------------------------------------------------------------- */

int hub__replica_origin(hub *h, char out[HUB_REPLICA_ORIGIN_MAX + 1]) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT origin FROM replica_self WHERE id=1", NULL);
  int rc;
  out[0] = 0;
  if (!st) return -1;
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) snprintf(out, HUB_REPLICA_ORIGIN_MAX + 1, "%s", (const char *)sqlite3_column_text(st, 0));
  hub__db_done(h, st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : hub__db_fail(h);
}

int hub__replica_cursor_parse(const char *c, char origin[HUB_REPLICA_ORIGIN_MAX + 1], int64_t *seq) {
  const char *o, *dot;
  size_t n, i;
  origin[0] = 0;
  *seq = 0;
  if (!c || !*c) return 0;
  if (strncmp(c, "r1.", 3) != 0) return -1;
  o = c + 3;
  dot = strchr(o, '.');
  if (!dot || (n = (size_t)(dot - o)) > HUB_REPLICA_ORIGIN_MAX) return -1;
  for (i = 0; i < n; i++)
    if (!((o[i] >= '0' && o[i] <= '9') || (o[i] >= 'a' && o[i] <= 'f'))) return -1;
  if (hub__parse_int(dot + 1, 0, INT64_MAX / 2, seq) || dot[1] < '0' || dot[1] > '9') return -1;
  memcpy(origin, o, n);
  origin[n] = 0;
  return 0;
}

static cJSON *cursor_json(const char *origin, int64_t seq) {
  char buf[HUB_REPLICA_ORIGIN_MAX + 32];
  snprintf(buf, sizeof buf, "r1.%s.%lld", origin, (long long)seq);
  return cJSON_CreateString(buf);
}

/* ---- one change ------------------------------------------------------------------------------ */

static void put_int_or_null(cJSON *o, const char *k, sqlite3_stmt *st, int i) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL) cJSON_AddNullToObject(o, k);
  else cJSON_AddNumberToObject(o, k, (double)sqlite3_column_int64(st, i));
}

static void put_text_or_null(cJSON *o, const char *k, sqlite3_stmt *st, int i) {
  const char *t = (const char *)sqlite3_column_text(st, i);
  if (t) cJSON_AddStringToObject(o, k, t);
  else cJSON_AddNullToObject(o, k);
}

/* {"state":…|null,"stamp":{at,origin,ctr}} of item id, or cJSON null when it has no stamp. */
static cJSON *triage_json(hub *h, int64_t id) {
  sqlite3_stmt *st = hub__db_q(h,
                               "SELECT s.at, s.origin, s.ctr, t.item_id, t.read, t.read_at, t.done_at, t.snoozed_until,"
                               " t.saved, t.muted, t.dismissed FROM replica_stamps s LEFT JOIN triage t ON"
                               " t.item_id = s.item_id WHERE s.item_id=?",
                               "i", id);
  cJSON *o = NULL, *stamp, *state;
  if (st && sqlite3_step(st) == SQLITE_ROW && (o = cJSON_CreateObject())) {
    if (sqlite3_column_type(st, 3) == SQLITE_NULL) {
      cJSON_AddNullToObject(o, "state");
    } else if ((state = cJSON_AddObjectToObject(o, "state"))) {
      put_int_or_null(state, "read", st, 4);
      put_int_or_null(state, "read_at", st, 5);
      put_int_or_null(state, "done_at", st, 6);
      put_int_or_null(state, "snoozed_until", st, 7);
      cJSON_AddNumberToObject(state, "saved", (double)sqlite3_column_int64(st, 8));
      cJSON_AddNumberToObject(state, "muted", (double)sqlite3_column_int64(st, 9));
      cJSON_AddNumberToObject(state, "dismissed", (double)sqlite3_column_int64(st, 10));
    }
    if ((stamp = cJSON_AddObjectToObject(o, "stamp"))) {
      cJSON_AddNumberToObject(stamp, "at", (double)sqlite3_column_int64(st, 0));
      cJSON_AddStringToObject(stamp, "origin", (const char *)sqlite3_column_text(st, 1));
      cJSON_AddNumberToObject(stamp, "ctr", (double)sqlite3_column_int64(st, 2));
    }
  }
  hub__db_done(h, st);
  return o ? o : cJSON_CreateNull();
}

/* The item's fields, reasons and score; *id its row, *bytes a size estimate. NULL when gone. */
static cJSON *item_json(hub *h, const char *key, int64_t *id, size_t *bytes) {
  static const char *const text[] = {"source", "host", "repo", "kind", "title", "body", "state", "author", "labels",
                                     "assignees", "url"};
  static const int text_col[] = {1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 16};
  sqlite3_stmt *st = hub__db_q(h,
                               "SELECT id,source,host,repo,number,kind,title,body,state,author,labels,assignees,"
                               "comments,reactions,created_at,updated_at,url,unread,activity,base,rank FROM items WHERE key=?",
                               "t", key);
  cJSON *o = NULL;
  size_t i;
  *id = 0;
  if (st && sqlite3_step(st) == SQLITE_ROW && (o = cJSON_CreateObject())) {
    *id = sqlite3_column_int64(st, 0);
    *bytes = 600;
    for (i = 0; i < sizeof text / sizeof text[0]; i++) {
      put_text_or_null(o, text[i], st, text_col[i]);
      *bytes += (size_t)sqlite3_column_bytes(st, text_col[i]) * 2; /* escapes */
    }
    put_int_or_null(o, "number", st, 4);
    cJSON_AddNumberToObject(o, "comments", (double)sqlite3_column_int64(st, 12));
    cJSON_AddNumberToObject(o, "reactions", (double)sqlite3_column_int64(st, 13));
    put_int_or_null(o, "created_at", st, 14);
    put_int_or_null(o, "updated_at", st, 15);
    cJSON_AddNumberToObject(o, "unread", (double)sqlite3_column_int64(st, 17));
    cJSON_AddNumberToObject(o, "activity", sqlite3_column_double(st, 18));
    cJSON_AddNumberToObject(o, "base", sqlite3_column_double(st, 19));
    cJSON_AddNumberToObject(o, "rank", sqlite3_column_double(st, 20));
  }
  hub__db_done(h, st);
  if (o) hub__put(o, "reasons", hub__items_reasons_json(h, *id));
  return o;
}

/* An item's change: fields and triage (scope all), triage only (actions), or gone. */
static cJSON *item_change(hub *h, const char *key, hub__scope scope, size_t *bytes) {
  cJSON *c = cJSON_CreateObject(), *item = NULL;
  int64_t id = 0;
  *bytes = 200;
  cJSON_AddStringToObject(c, "key", key);
  if (scope == HUB_SCOPE_ALL) {
    item = item_json(h, key, &id, bytes);
    if (!item) {
      cJSON_AddTrueToObject(c, "gone");
      return c;
    }
    hub__put(c, "item", item);
  } else {
    id = hub__items_id(h, key);
  }
  hub__put(c, "triage", triage_json(h, id));
  return c;
}

/* The LLM briefing of row ref, or NULL when it is no longer there. */
static cJSON *brief_change(hub *h, const char *ref, size_t *bytes) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT hash, prompt_hash, model, created_at, json FROM briefings"
                                  " WHERE id=CAST(? AS INTEGER) AND kind='llm' AND json IS NOT NULL", "t", ref);
  cJSON *c = NULL, *b, *j;
  if (st && sqlite3_step(st) == SQLITE_ROW && (j = cJSON_Parse((const char *)sqlite3_column_text(st, 4)))) {
    c = cJSON_CreateObject();
    b = cJSON_AddObjectToObject(c, "brief");
    put_text_or_null(b, "hash", st, 0);
    put_text_or_null(b, "prompt_hash", st, 1);
    put_text_or_null(b, "model", st, 2);
    cJSON_AddNumberToObject(b, "at", (double)sqlite3_column_int64(st, 3));
    hub__put(b, "briefing", j);
    *bytes = 300 + (size_t)sqlite3_column_bytes(st, 4);
  }
  hub__db_done(h, st);
  return c;
}

/* The AI output "kind entity", or NULL when it is no longer there. */
static cJSON *ai_change(hub *h, const char *ref, size_t *bytes) {
  const char *sp = strchr(ref, ' ');
  char kind[32];
  sqlite3_stmt *st;
  cJSON *c = NULL, *a, *j;
  if (!sp || (size_t)(sp - ref) >= sizeof kind) return NULL;
  memcpy(kind, ref, (size_t)(sp - ref));
  kind[sp - ref] = 0;
  st = hub__db_q(h, "SELECT hash, model, created_at, json FROM ai_outputs WHERE kind=? AND entity=?", "tt", kind, sp + 1);
  if (st && sqlite3_step(st) == SQLITE_ROW && (j = cJSON_Parse((const char *)sqlite3_column_text(st, 3)))) {
    c = cJSON_CreateObject();
    a = cJSON_AddObjectToObject(c, "ai");
    cJSON_AddStringToObject(a, "kind", kind);
    cJSON_AddStringToObject(a, "entity", sp + 1);
    put_text_or_null(a, "hash", st, 0);
    put_text_or_null(a, "model", st, 1);
    cJSON_AddNumberToObject(a, "at", (double)sqlite3_column_int64(st, 2));
    hub__put(a, "output", j);
    *bytes = 300 + (size_t)sqlite3_column_bytes(st, 3);
  }
  hub__db_done(h, st);
  return c;
}

static cJSON *tip_change(hub *h, const char *ref, size_t *bytes) {
  int64_t id = 0;
  cJSON *d = hub__parse_int(ref, 1, INT64_MAX / 2, &id) == 0 ? hub__tip_share_out(h, id) : NULL, *c;
  if (!d) return NULL;
  c = cJSON_CreateObject();
  hub__put(c, "tip", d);
  *bytes = 2000;
  return c;
}

/* The change for one log row (NULL: nothing to send for it). */
static cJSON *change_of(hub *h, hub__scope scope, const char *kind, const char *ref, size_t *bytes) {
  *bytes = 0;
  if (strcmp(kind, "item") == 0 || strcmp(kind, "triage") == 0) return item_change(h, ref, scope, bytes);
  if (scope == HUB_SCOPE_ALL && strcmp(kind, "brief") == 0) return brief_change(h, ref, bytes);
  if (scope == HUB_SCOPE_ALL && strcmp(kind, "ai") == 0) return ai_change(h, ref, bytes);
  if (scope == HUB_SCOPE_ACTIONS && strcmp(kind, "tip") == 0) return tip_change(h, ref, bytes);
  return NULL;
}

/* ---- a page -------------------------------------------------------------------------------- */

/* The log rows of a page: everything (all), or this database's own triage actions and tip
 * reactions (actions); one row more than limit, to tell whether more follow. */
static sqlite3_stmt *page_rows(hub *h, hub__scope scope, int64_t since, const char *origin, int64_t limit) {
  if (scope == HUB_SCOPE_ALL)
    return hub__db_q(h, "SELECT seq, kind, ref FROM replica_log WHERE seq > ? AND kind <> 'tip' ORDER BY seq LIMIT ?",
                     "ii", since, limit + 1);
  return hub__db_q(h,
                   "SELECT l.seq, l.kind, l.ref FROM replica_log l WHERE l.seq > ?1 AND (l.kind = 'tip' OR"
                   " (l.kind = 'triage' AND EXISTS (SELECT 1 FROM items i JOIN replica_stamps s ON s.item_id = i.id"
                   " WHERE i.key = l.ref AND s.origin = ?2))) ORDER BY l.seq LIMIT ?3",
                   "iti", since, origin, limit + 1);
}

/* Reads rows into changes until limit or the byte budget; *last is the last row taken, *more
 * whether rows remain. 0 or -1. */
static int fill(hub *h, hub__scope scope, sqlite3_stmt *st, int64_t limit, cJSON *changes, int64_t *last, int *more) {
  cJSON *seen = cJSON_CreateObject(); /* item keys already in this page */
  size_t total = 0, bytes;
  int64_t n = 0;
  int rc = 0, step;
  *more = 0;
  if (!seen) return hub__set_err(h, "out of memory"), -1;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    const char *kind = (const char *)sqlite3_column_text(st, 1), *ref = (const char *)sqlite3_column_text(st, 2);
    int is_item = strcmp(kind, "item") == 0 || strcmp(kind, "triage") == 0;
    cJSON *c;
    if (n >= limit || (n > 0 && total >= HUB_REPLICA_PAGE_BYTES)) {
      *more = 1;
      break;
    }
    *last = sqlite3_column_int64(st, 0);
    n++;
    if (is_item && cJSON_GetObjectItemCaseSensitive(seen, ref)) continue; /* sent as it is now already */
    if (!(c = change_of(h, scope, kind, ref, &bytes))) continue;
    if (is_item) cJSON_AddTrueToObject(seen, ref);
    total += bytes;
    hub__push(changes, c);
  }
  if (step != SQLITE_ROW && step != SQLITE_DONE) rc = hub__db_fail(h);
  cJSON_Delete(seen);
  return rc;
}

cJSON *hub__replica_feed(hub *h, hub__scope scope, const char *since, int64_t limit) {
  char mine[HUB_REPLICA_ORIGIN_MAX + 1], theirs[HUB_REPLICA_ORIGIN_MAX + 1];
  int64_t from = 0, last, top;
  int reset = 0, more = 0;
  sqlite3_stmt *st = NULL;
  cJSON *r = NULL, *changes;
  if (hub__replica_cursor_parse(since, theirs, &from)) {
    hub__set_err(h, "\"since\" is not a cursor this feed gave");
    return NULL;
  }
  if (hub__replica_origin(h, mine)) return NULL;
  if (since && *since && strcmp(theirs, mine) != 0) { /* another database's cursor: from the start */
    reset = 1;
    from = 0;
  }
  top = hub__db_int(h, "SELECT coalesce(max(seq), 0) FROM replica_log", NULL, -1);
  if (top < 0) return NULL;
  if (from > top) { /* a cursor ahead of this log cannot be ours */
    reset = 1;
    from = 0;
  }
  last = from;
  r = cJSON_CreateObject();
  changes = cJSON_AddArrayToObject(r, "changes");
  if (!changes || !(st = page_rows(h, scope, from, mine, limit)) || fill(h, scope, st, limit, changes, &last, &more))
    goto fail;
  hub__db_done(h, st);
  /* the actions scope skips the rows it filters out: when nothing more matches, the cursor
   * moves past the whole log read */
  if (!more && scope == HUB_SCOPE_ACTIONS) last = top;
  cJSON_AddStringToObject(r, "origin", mine);
  hub__put(r, "next", cursor_json(mine, last));
  cJSON_AddBoolToObject(r, "more", more);
  cJSON_AddBoolToObject(r, "reset", reset);
  return r;
fail:
  hub__db_done(h, st);
  cJSON_Delete(r);
  if (!h->errmsg[0]) hub__set_err(h, "out of memory");
  return NULL;
}

static int scope_of(const cJSON *req, hub__scope *s) {
  const char *v = hub__json_str(req, "scope");
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(req, "scope");
  if (!m || (v && strcmp(v, "all") == 0)) *s = HUB_SCOPE_ALL;
  else if (v && strcmp(v, "actions") == 0) *s = HUB_SCOPE_ACTIONS;
  else return -1;
  return 0;
}

cJSON *hub__replica_changes_cmd(hub *h, const cJSON *req) {
  const cJSON *since = cJSON_GetObjectItemCaseSensitive(req, "since");
  int64_t limit = HUB_REPLICA_PAGE, seq;
  char origin[HUB_REPLICA_ORIGIN_MAX + 1];
  hub__scope scope;
  cJSON *r;
  int began = 0;
  if (scope_of(req, &scope)) return hub__error_field(HUB_E_BAD_REQUEST, "scope", "\"scope\" is \"all\" or \"actions\"");
  if (since && !cJSON_IsString(since) && !cJSON_IsNull(since))
    return hub__error_field(HUB_E_BAD_TYPE, "since", "\"since\" is the cursor a previous answer gave as \"next\"");
  if (cJSON_IsString(since) && hub__replica_cursor_parse(since->valuestring, origin, &seq))
    return hub__error_field(HUB_E_BAD_REQUEST, "since", "\"since\" is not a cursor this feed gave");
  if (hub__json_int(req, "limit", 1, HUB_REPLICA_PAGE_MAX, &limit) < 0)
    return hub__error_field(HUB_E_BAD_TYPE, "limit", "\"limit\" is 1 to 1000 changes");
  /* one snapshot for the rows and the top of the log (readers run beside hubd's writer) */
  if (!hub__db_in_tx(h)) {
    if (hub__db_exec(h, "BEGIN")) return hub__error_json(HUB_E_DB, h->errmsg);
    began = 1;
  }
  r = hub__replica_feed(h, scope, cJSON_IsString(since) ? since->valuestring : NULL, limit);
  if (began) hub__db_rollback(h); /* it only read */
  return r ? r : hub__error_json(HUB_E_DB, h->errmsg);
}
