/*
 * triage.c — the user's state of each item: read, done, snoozed, saved, muted, dismissed;
 * batches and undo; the auto-done rule; saved searches (triage layer; see triage.h).
 *
 * Owns tables triage, triage_log and searches. An action is decided on the row as it was
 * (decide()), logged with that row as JSON, written, and — for an item that came from a
 * GitHub notification thread (gh_threads, written by sources/github.c) — turned into an
 * outbox entry (triage/outbox.c). Undo writes the logged rows back.
 */
#include <stdio.h>
#include <string.h>
#include "db/db.h"
#include "triage/triage.h"

const char *const hub__triage_actions[HUB_TA__COUNT] = {
#define X(name, word) word,
    HUB_TRIAGE_ACTION_MAP(X)
#undef X
};

int hub__triage_action_find(const char *word) {
  int i;
  for (i = 0; word && i < HUB_TA__COUNT; i++)
    if (strcmp(word, hub__triage_actions[i]) == 0) return i;
  return -1;
}

#define KV_BATCH "triage.batch"

/* One triage row. The has_ flags say which nullable columns hold a value. */
typedef struct {
  int exists, has_read, has_read_at, has_done, has_snooze;
  int64_t read, read_at, done_at, snoozed_until, saved, muted, dismissed, updated_at;
} row;

/* What the decision needs to know of the item. */
typedef struct {
  int64_t unread, updated_s;
  char *thread; /* the notification thread id, or NULL */
} facts;

/* ---- rows ------------------------------------------------------------------------------- */

static int row_load(hub *h, int64_t id, row *r) {
  sqlite3_stmt *st = hub__db_q(h,
                               "SELECT read,read_at,done_at,snoozed_until,saved,muted,dismissed,updated_at"
                               " FROM triage WHERE item_id=?",
                               "i", id);
  memset(r, 0, sizeof *r);
  if (!st) return -1;
  if (sqlite3_step(st) == SQLITE_ROW) {
    r->exists = 1;
    r->has_read = sqlite3_column_type(st, 0) != SQLITE_NULL;
    r->read = sqlite3_column_int64(st, 0);
    r->has_read_at = sqlite3_column_type(st, 1) != SQLITE_NULL;
    r->read_at = sqlite3_column_int64(st, 1);
    r->has_done = sqlite3_column_type(st, 2) != SQLITE_NULL;
    r->done_at = sqlite3_column_int64(st, 2);
    r->has_snooze = sqlite3_column_type(st, 3) != SQLITE_NULL;
    r->snoozed_until = sqlite3_column_int64(st, 3);
    r->saved = sqlite3_column_int64(st, 4);
    r->muted = sqlite3_column_int64(st, 5);
    r->dismissed = sqlite3_column_int64(st, 6);
    r->updated_at = sqlite3_column_int64(st, 7);
  }
  hub__db_done(h, st);
  return 0;
}

/* Writes r as item id's row (-1 binds NULL for the nullable columns: none of them is ever
 * negative). 0 or -1. */
static int row_store(hub *h, int64_t id, const row *r) {
  return hub__db_run(h,
                     "INSERT INTO triage(item_id,read,read_at,done_at,snoozed_until,saved,muted,dismissed,updated_at)"
                     " VALUES(?1,nullif(?2,-1),nullif(?3,-1),nullif(?4,-1),nullif(?5,-1),?6,?7,?8,?9)"
                     " ON CONFLICT(item_id) DO UPDATE SET read=excluded.read,read_at=excluded.read_at,"
                     "done_at=excluded.done_at,snoozed_until=excluded.snoozed_until,saved=excluded.saved,"
                     "muted=excluded.muted,dismissed=excluded.dismissed,updated_at=excluded.updated_at",
                     "iiiiiiiii", id, r->has_read ? r->read : -1, r->has_read_at ? r->read_at : -1,
                     r->has_done ? r->done_at : -1, r->has_snooze ? r->snoozed_until : -1, r->saved, r->muted,
                     r->dismissed, r->updated_at) < 0
             ? -1
             : 0;
}

static void put_opt(cJSON *o, const char *k, int has, int64_t v) {
  if (has) cJSON_AddNumberToObject(o, k, (double)v);
  else cJSON_AddNullToObject(o, k);
}

/* The row as the log keeps it: JSON text, or NULL (h->errmsg) on OOM. */
static char *row_json(hub *h, const row *r) {
  cJSON *o = cJSON_CreateObject();
  char *s = NULL;
  if (o) {
    put_opt(o, "read", r->has_read, r->read);
    put_opt(o, "read_at", r->has_read_at, r->read_at);
    put_opt(o, "done_at", r->has_done, r->done_at);
    put_opt(o, "snoozed_until", r->has_snooze, r->snoozed_until);
    cJSON_AddNumberToObject(o, "saved", (double)r->saved);
    cJSON_AddNumberToObject(o, "muted", (double)r->muted);
    cJSON_AddNumberToObject(o, "dismissed", (double)r->dismissed);
    cJSON_AddNumberToObject(o, "updated_at", (double)r->updated_at);
    s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
  }
  if (!s) hub__set_err(h, "out of memory");
  return s;
}

/* A logged row back (values clamped like any number from outside). 0 or -1. */
static int row_parse(hub *h, const char *text, row *r) {
  cJSON *o = cJSON_Parse(text);
  int rc = -1;
  memset(r, 0, sizeof *r);
  if (!cJSON_IsObject(o)) goto done;
  r->exists = 1;
  r->has_read = hub__json_int(o, "read", 0, 1, &r->read) == 1;
  r->has_read_at = hub__json_int(o, "read_at", 0, INT64_MAX / 4, &r->read_at) == 1;
  r->has_done = hub__json_int(o, "done_at", 0, INT64_MAX / 4, &r->done_at) == 1;
  r->has_snooze = hub__json_int(o, "snoozed_until", 0, INT64_MAX / 4, &r->snoozed_until) == 1;
  if (hub__json_int(o, "saved", 0, 1, &r->saved) < 0 || hub__json_int(o, "muted", 0, 1, &r->muted) < 0 ||
      hub__json_int(o, "dismissed", 0, 1, &r->dismissed) < 0 ||
      hub__json_int(o, "updated_at", 0, INT64_MAX / 4, &r->updated_at) < 0)
    goto done;
  rc = 0;
done:
  cJSON_Delete(o);
  if (rc) hub__set_err(h, "triage: a logged row could not be read back");
  return rc;
}

static int facts_load(hub *h, int64_t id, facts *f) {
  sqlite3_stmt *st = hub__db_q(h,
                               "SELECT i.unread, coalesce(i.updated_at, 0), g.thread_id FROM items i"
                               " LEFT JOIN gh_threads g ON g.item_id = i.id WHERE i.id=?",
                               "i", id);
  int rc = -1;
  memset(f, 0, sizeof *f);
  if (!st) return -1;
  if (sqlite3_step(st) == SQLITE_ROW) {
    f->unread = sqlite3_column_int64(st, 0);
    f->updated_s = sqlite3_column_int64(st, 1);
    f->thread = hub__db_col_dup(st, 2);
    rc = 0;
  } else {
    hub__set_err(h, "triage: no item %lld", (long long)id);
  }
  hub__db_done(h, st);
  return rc;
}

/* ---- one action ------------------------------------------------------------------------- */

static int is_unread(const row *r, const facts *f) { return r->has_read ? r->read == 0 : f->unread != 0; }
static int is_done(const row *r, const facts *f) {
  return r->has_done && f->updated_s * 1000 <= r->done_at;
}

/* What an upstream consequence an action has: queue (an outbox action) or withdraw one. */
typedef struct {
  const char *queue, *withdraw;
} upstream;

/* Sets *nw from *old for action; returns 1 when the item's state changes. */
static int decide(hub__triage_action a, const row *old, row *nw, const facts *f, int64_t until, int64_t now,
                  upstream *up) {
  *nw = *old;
  switch (a) {
  case HUB_TA_READ:
  case HUB_TA_UNREAD:
    nw->has_read = nw->has_read_at = 1;
    nw->read = a == HUB_TA_READ;
    nw->read_at = now;
    if (a == HUB_TA_READ) up->queue = "read";
    else up->withdraw = "read";
    return is_unread(old, f) == (a == HUB_TA_READ);
  case HUB_TA_DONE:
    nw->has_done = 1;
    nw->done_at = now;
    up->queue = "done";
    return !is_done(old, f);
  case HUB_TA_UNDONE:
    nw->has_done = 0;
    up->withdraw = "done";
    return is_done(old, f);
  case HUB_TA_SNOOZE:
    nw->has_snooze = 1;
    nw->snoozed_until = until;
    return !old->has_snooze || old->snoozed_until != until;
  case HUB_TA_UNSNOOZE:
    nw->has_snooze = 0;
    return old->has_snooze && old->snoozed_until > now;
  case HUB_TA_SAVE:
  case HUB_TA_UNSAVE:
    nw->saved = a == HUB_TA_SAVE;
    return old->saved != nw->saved;
  case HUB_TA_MUTE:
  case HUB_TA_UNMUTE:
    nw->muted = a == HUB_TA_MUTE;
    if (a == HUB_TA_MUTE) up->queue = "mute";
    else up->withdraw = "mute";
    return old->muted != nw->muted;
  case HUB_TA_DISMISS:
    nw->dismissed = 1;
    return !old->dismissed;
  default:
    return 0;
  }
}

int hub__triage_apply(hub *h, int64_t batch, int64_t id, hub__triage_action action, int64_t until,
                      int64_t now, int *queued) {
  row old, nw;
  facts f;
  upstream up = {NULL, NULL};
  char *before = NULL;
  int rc = -1, n;
  if (facts_load(h, id, &f) || row_load(h, id, &old)) goto done;
  if (!decide(action, &old, &nw, &f, until, now, &up)) {
    rc = 0;
    goto done;
  }
  if (old.exists && !(before = row_json(h, &old))) goto done;
  if (hub__db_run(h, "INSERT INTO triage_log(batch,item_id,action,before,at) VALUES(?,?,?,?,?)", "iitti", batch,
                  id, hub__triage_actions[action], before, now) < 0)
    goto done;
  nw.exists = 1;
  nw.updated_at = now;
  if (row_store(h, id, &nw)) goto done;
  if (f.thread && queued && up.queue) {
    if ((n = hub__outbox_queue(h, batch, id, f.thread, up.queue, now)) < 0) goto done;
    *queued += n;
  }
  if (f.thread && up.withdraw && hub__outbox_withdraw(h, batch, f.thread, up.withdraw, now)) goto done;
  rc = 1;
done:
  hub_free(before);
  hub_free(f.thread);
  return rc;
}

/* ---- another database's state ----------------------------------------------------------- */

static int same_row(const row *a, const row *b) {
  return a->exists == b->exists && a->has_read == b->has_read && (!a->has_read || a->read == b->read) &&
         a->has_read_at == b->has_read_at && (!a->has_read_at || a->read_at == b->read_at) &&
         a->has_done == b->has_done && (!a->has_done || a->done_at == b->done_at) &&
         a->has_snooze == b->has_snooze && (!a->has_snooze || a->snoozed_until == b->snoozed_until) &&
         a->saved == b->saved && a->muted == b->muted && a->dismissed == b->dismissed;
}

/* What GitHub must hear when old becomes nw on an item with a notification thread. */
static int tell_github(hub *h, int64_t id, const facts *f, const row *old, const row *nw, int64_t now, int *queued) {
  int n = 0, rc = 0;
  if (is_unread(old, f) && !is_unread(nw, f)) rc = n = hub__outbox_queue(h, 0, id, f->thread, "read", now);
  else if (!is_unread(old, f) && is_unread(nw, f)) rc = hub__outbox_withdraw(h, 0, f->thread, "read", now);
  if (rc >= 0 && !is_done(old, f) && is_done(nw, f)) n += rc = hub__outbox_queue(h, 0, id, f->thread, "done", now);
  else if (rc >= 0 && is_done(old, f) && !is_done(nw, f)) rc = hub__outbox_withdraw(h, 0, f->thread, "done", now);
  if (rc >= 0 && !old->muted && nw->muted) n += rc = hub__outbox_queue(h, 0, id, f->thread, "mute", now);
  else if (rc >= 0 && old->muted && !nw->muted) rc = hub__outbox_withdraw(h, 0, f->thread, "mute", now);
  if (queued && rc >= 0) *queued += n;
  return rc < 0 ? -1 : 0;
}

int hub__triage_import(hub *h, int64_t id, const cJSON *state, int64_t updated_at, int tell, int *queued) {
  row old, nw;
  facts f;
  char *text = NULL;
  int rc = -1;
  memset(&nw, 0, sizeof nw);
  if (facts_load(h, id, &f)) return -1;
  if (row_load(h, id, &old)) goto done;
  if (state && !cJSON_IsNull(state)) {
    if (!cJSON_IsObject(state) || !(text = cJSON_PrintUnformatted(state)) || row_parse(h, text, &nw)) {
      hub__set_err(h, "triage: a state from another database could not be read");
      goto done;
    }
    nw.updated_at = updated_at;
  }
  if (same_row(&old, &nw)) {
    rc = 0;
    goto done;
  }
  if (nw.exists ? row_store(h, id, &nw) : hub__db_run(h, "DELETE FROM triage WHERE item_id=?", "i", id) < 0) goto done;
  if (tell && f.thread && tell_github(h, id, &f, &old, &nw, updated_at, queued)) goto done;
  rc = 1;
done:
  cJSON_free(text);
  hub_free(f.thread);
  return rc;
}

/* ---- batches and undo ------------------------------------------------------------------- */

int64_t hub__triage_batch_new(hub *h) {
  char buf[24];
  int64_t b = (int64_t)hub__kv_num(h, KV_BATCH, 0) + 1;
  if (b < 1) b = 1;
  snprintf(buf, sizeof buf, "%lld", (long long)b);
  return hub__kv_set(h, KV_BATCH, buf) ? -1 : b;
}

int hub__triage_batch_end(hub *h, int64_t batch) {
  return hub__db_run(h, "DELETE FROM triage_log WHERE batch <= ?", "i", batch - HUB_TRIAGE_UNDO_DEPTH) < 0 ? -1 : 0;
}

/* Writes one logged row back (NULL before: the item had no row). 0 or -1. */
static int restore(hub *h, int64_t id, const char *before) {
  row r;
  if (!before) return hub__db_run(h, "DELETE FROM triage WHERE item_id=?", "i", id) < 0 ? -1 : 0;
  if (row_parse(h, before, &r)) return -1;
  return row_store(h, id, &r);
}

int hub__triage_undo(hub *h, int64_t now, int64_t *batch, int *restored, int *not_upstream,
                     const char **action, cJSON *keys) {
  sqlite3_stmt *st;
  int rc = 0, n = 0, step, a;
  char *word = NULL;
  *batch = 0;
  *restored = *not_upstream = 0;
  *action = "";
  *batch = hub__db_int(h, "SELECT coalesce(max(batch), 0) FROM triage_log", NULL, -1);
  if (*batch < 0) return -1;
  if (*batch == 0) return 0;
  word = hub__db_str(h, "SELECT action FROM triage_log WHERE batch=? LIMIT 1", "i", *batch);
  a = hub__triage_action_find(word);
  hub_free(word);
  if (a >= 0) *action = hub__triage_actions[a];
  st = hub__db_q(h,
                 "SELECT l.item_id, l.before, i.key FROM triage_log l JOIN items i ON i.id = l.item_id"
                 " WHERE l.batch=? ORDER BY l.id DESC",
                 "i", *batch);
  if (!st) return -1;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if (restore(h, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1))) {
      rc = -1;
      break;
    }
    n++;
    if (keys) hub__push(keys, cJSON_CreateString((const char *)sqlite3_column_text(st, 2)));
  }
  if (rc == 0 && step != SQLITE_DONE) rc = hub__db_fail(h);
  hub__db_done(h, st);
  if (rc || hub__db_run(h, "DELETE FROM triage_log WHERE batch=?", "i", *batch) < 0) return -1;
  *restored = n;
  *not_upstream = hub__outbox_undo(h, *batch, now);
  return *not_upstream < 0 ? -1 : 0;
}

/* ---- rules and upstream news ------------------------------------------------------------ */

#define AUTO_MAX 5000 /* items one sweep marks done */

int hub__triage_auto_done(hub *h, int64_t now) {
  sqlite3_stmt *st;
  cJSON *todo = NULL, *e;
  int n = 0, rc = -1;
  if (!hub__setting_on(h, "auto_done_closed")) return 0;
  st = hub__db_q(h,
                 "SELECT i.id, g.thread_id FROM items i LEFT JOIN triage t ON t.item_id = i.id"
                 " LEFT JOIN gh_threads g ON g.item_id = i.id WHERE i.state IN ('closed', 'merged')"
                 " AND NOT (t.done_at IS NOT NULL AND coalesce(i.updated_at, 0) * 1000 <= t.done_at)"
                 " ORDER BY i.id LIMIT ?",
                 "i", (int64_t)AUTO_MAX);
  if (!st || !(todo = cJSON_CreateArray())) goto done;
  while (sqlite3_step(st) == SQLITE_ROW) { /* collected first: the writes below change triage */
    cJSON *p = cJSON_CreateObject();
    const unsigned char *th = sqlite3_column_text(st, 1);
    cJSON_AddNumberToObject(p, "id", (double)sqlite3_column_int64(st, 0));
    if (th) cJSON_AddStringToObject(p, "thread", (const char *)th);
    hub__push(todo, p);
  }
  cJSON_ArrayForEach(e, todo) {
    int64_t id = 0;
    const char *th = hub__json_str(e, "thread");
    if (hub__json_int(e, "id", 1, INT64_MAX / 2, &id) != 1) continue;
    if (hub__db_run(h,
                    "INSERT INTO triage(item_id,done_at,updated_at) VALUES(?1,?2,?2) ON CONFLICT(item_id)"
                    " DO UPDATE SET done_at=excluded.done_at,updated_at=excluded.updated_at",
                    "ii", id, now) < 0)
      goto done;
    if (th && hub__outbox_queue(h, 0, id, th, "done", now) < 0) goto done;
    n++;
  }
  rc = n;
done:
  hub__db_done(h, st);
  cJSON_Delete(todo);
  return rc;
}

int hub__triage_upstream_unread(hub *h, int64_t id, int64_t updated_ms) {
  return hub__db_run(h,
                     "UPDATE triage SET read=NULL, read_at=NULL WHERE item_id=? AND read=1"
                     " AND coalesce(read_at, 0) < ?",
                     "ii", id, updated_ms) < 0
             ? -1
             : 0;
}

int hub__triage_forget_dismissed(hub *h) {
  return hub__db_run(h, "UPDATE triage SET dismissed=0 WHERE dismissed=1", NULL);
}

/* ---- saved searches --------------------------------------------------------------------- */

static const struct { const char *name, *q; } default_searches[] = {
    {"Inbox", ""},          {"GitHub", "source:github"}, {"tangled", "source:tangled"},
    {"Good first", "source:gfi"}, {"Saved", "is:saved"}, {"Snoozed", "is:snoozed"},
    {"Done", "is:done"},
};

static cJSON *search_json(const char *name, const char *q) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", name);
  cJSON_AddStringToObject(o, "q", q);
  return o;
}

cJSON *hub__searches_get(hub *h, int *dflt) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT name, q FROM searches ORDER BY pos", NULL);
  cJSON *a = cJSON_CreateArray();
  size_t i;
  int n = 0, step;
  if (!st || !a) goto fail;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    hub__push(a, search_json((const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1)));
    n++;
  }
  if (step != SQLITE_DONE) {
    hub__db_fail(h);
    goto fail;
  }
  hub__db_done(h, st);
  *dflt = n == 0;
  for (i = 0; n == 0 && i < sizeof default_searches / sizeof default_searches[0]; i++)
    hub__push(a, search_json(default_searches[i].name, default_searches[i].q));
  return a;
fail:
  hub__db_done(h, st);
  cJSON_Delete(a);
  return NULL;
}

int hub__searches_put(hub *h, const cJSON *list) {
  const cJSON *e;
  int64_t pos = 0;
  if (hub__db_run(h, "DELETE FROM searches", NULL) < 0) return -1;
  cJSON_ArrayForEach(e, list) {
    if (hub__db_run(h, "INSERT INTO searches(pos,name,q) VALUES(?,?,?)", "itt", ++pos, hub__json_str(e, "name"),
                    hub__json_str(e, "q")) < 0)
      return -1;
  }
  return 0;
}
