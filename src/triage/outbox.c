/*
 * outbox.c — what GitHub must be told about the user's triage, queued until a sync sends it
 * (triage layer; see triage.h). Owns table outbox.
 *
 * An entry is one request GitHub knows, stored ready to send (method, API path, body):
 *   read      PATCH  /notifications/threads/{id}
 *   done      DELETE /notifications/threads/{id}
 *   mute      PUT    /notifications/threads/{id}/subscription  {"ignored":true}
 *   read_all  PUT    /notifications  {"last_read_at":ISO,"read":true}
 * States: pending (sent at the next sync, in id order, by sources/outbox.c) → sent (2xx;
 * never sent again), dropped (GitHub says the thread is gone; a note says so), or cancelled
 * (withdrawn, undone, or made unnecessary by a later entry: superseded_by). Nothing leaves
 * silently: every end has a state and a note, and finished entries stay visible for
 * HUB_OUTBOX_KEEP_MS. Coalescing keeps one pending request per thread and action: read
 * then done sends only done; a repeated action merges into the pending one; done then undone
 * before sending sends nothing; a read_all supersedes the reads before it. cancelled_by names
 * the batch that cancelled an entry, so undoing that batch brings the entry back.
 */
#include <stdio.h>
#include <string.h>
#include "db/db.h"
#include "triage/triage.h"

/* The request of an action on thread, into method (8) and path (96). 0, or -1 for a thread
 * id that is not a number (never sent). */
static int request_of(const char *action, const char *thread, char *method, char *path) {
  if (!thread || !*thread || strlen(thread) > 30 || strspn(thread, "0123456789") != strlen(thread)) return -1;
  if (strcmp(action, "read") == 0) snprintf(method, 8, "PATCH");
  else if (strcmp(action, "done") == 0) snprintf(method, 8, "DELETE");
  else if (strcmp(action, "mute") == 0) snprintf(method, 8, "PUT");
  else return -1;
  snprintf(path, 96, "/notifications/threads/%s%s", thread, strcmp(action, "mute") == 0 ? "/subscription" : "");
  return 0;
}

/* The rules that keep the pending entries minimal, applied after every change. */
static int coalesce(hub *h, int64_t now) {
  static const char *const dup =
      "UPDATE outbox SET state='cancelled', note='merged into a later equal request', updated_at=?1,"
      " superseded_by=(SELECT max(o.id) FROM outbox o WHERE o.state='pending' AND o.action=outbox.action"
      "  AND o.thread_id=outbox.thread_id),"
      " cancelled_by=(SELECT o.batch FROM outbox o WHERE o.state='pending' AND o.action=outbox.action"
      "  AND o.thread_id=outbox.thread_id ORDER BY o.id DESC LIMIT 1)"
      " WHERE state='pending' AND thread_id IS NOT NULL AND EXISTS (SELECT 1 FROM outbox o WHERE o.state='pending'"
      "  AND o.action=outbox.action AND o.thread_id=outbox.thread_id AND o.id>outbox.id)";
  static const char *const read_done =
      "UPDATE outbox SET state='cancelled', note='superseded by done (which marks it read too)', updated_at=?1,"
      " superseded_by=(SELECT max(d.id) FROM outbox d WHERE d.state='pending' AND d.action='done'"
      "  AND d.thread_id=outbox.thread_id),"
      " cancelled_by=(SELECT d.batch FROM outbox d WHERE d.state='pending' AND d.action='done'"
      "  AND d.thread_id=outbox.thread_id ORDER BY d.id DESC LIMIT 1)"
      " WHERE state='pending' AND action='read' AND EXISTS (SELECT 1 FROM outbox d WHERE d.state='pending'"
      "  AND d.action='done' AND d.thread_id=outbox.thread_id)";
  static const char *const read_all =
      "UPDATE outbox SET state='cancelled', note='superseded by mark-all-read', updated_at=?1,"
      " superseded_by=(SELECT min(a.id) FROM outbox a WHERE a.state='pending' AND a.action='read_all'"
      "  AND a.id>outbox.id),"
      " cancelled_by=(SELECT a.batch FROM outbox a WHERE a.state='pending' AND a.action='read_all'"
      "  AND a.id>outbox.id ORDER BY a.id LIMIT 1)"
      " WHERE state='pending' AND action IN ('read','read_all') AND EXISTS (SELECT 1 FROM outbox a"
      "  WHERE a.state='pending' AND a.action='read_all' AND a.id>outbox.id)";
  return hub__db_run(h, dup, "i", now) < 0 || hub__db_run(h, read_done, "i", now) < 0 ||
                 hub__db_run(h, read_all, "i", now) < 0
             ? -1
             : 0;
}

int hub__outbox_queue(hub *h, int64_t batch, int64_t id, const char *thread, const char *action, int64_t now) {
  char method[8], path[96];
  int64_t have;
  if (request_of(action, thread, method, path)) return 0; /* not a thread GitHub could be told about */
  have = hub__db_int(h,
                     "SELECT count(*) FROM outbox WHERE state='pending' AND thread_id=?1"
                     " AND (action=?2 OR (?2='read' AND action='done'))",
                     "tt", -1, thread, action);
  if (have < 0) return -1;
  if (have > 0) return 0;
  if (hub__db_run(h,
                  "INSERT INTO outbox(item_id,thread_id,action,method,path,body,batch,created_at,updated_at)"
                  " VALUES(?,?,?,?,?,?,?,?,?)",
                  "itttttiii", id, thread, action, method, path,
                  strcmp(action, "mute") == 0 ? "{\"ignored\":true}" : NULL, batch, now, now) < 0 ||
      coalesce(h, now))
    return -1;
  return 1;
}

int hub__outbox_read_all(hub *h, int64_t batch, int64_t now) {
  char iso[24], body[96];
  hub__fmt_iso8601(now / 1000, iso);
  snprintf(body, sizeof body, "{\"last_read_at\":\"%s\",\"read\":true}", iso);
  if (hub__db_run(h,
                  "INSERT INTO outbox(action,method,path,body,batch,created_at,updated_at)"
                  " VALUES('read_all','PUT','/notifications',?,?,?,?)",
                  "tiii", body, batch, now, now) < 0 ||
      coalesce(h, now))
    return -1;
  return 1;
}

int hub__outbox_withdraw(hub *h, int64_t batch, const char *thread, const char *action, int64_t now) {
  int64_t p = hub__db_int(h, "SELECT coalesce(max(id), 0) FROM outbox WHERE state='pending' AND thread_id=? AND action=?",
                          "tt", -1, thread, action);
  if (p <= 0) return p < 0 ? -1 : 0;
  if (hub__db_run(h,
                  "UPDATE outbox SET state='cancelled', cancelled_by=?, note='withdrawn before it was sent',"
                  " updated_at=? WHERE id=?",
                  "iii", batch, now, p) < 0 ||
      hub__db_run(h,
                  "UPDATE outbox SET state='pending', cancelled_by=NULL, superseded_by=NULL, note=NULL, updated_at=?"
                  " WHERE state='cancelled' AND superseded_by=?",
                  "ii", now, p) < 0)
    return -1;
  return coalesce(h, now);
}

int hub__outbox_undo(hub *h, int64_t batch, int64_t now) {
  int64_t sent = hub__db_int(h, "SELECT count(*) FROM outbox WHERE batch=? AND state='sent'", "i", -1, batch);
  if (sent < 0) return -1;
  if (hub__db_run(h,
                  "UPDATE outbox SET state='cancelled', cancelled_by=NULL, note='undone before it was sent',"
                  " updated_at=? WHERE batch=? AND state='pending'",
                  "ii", now, batch) < 0 ||
      hub__db_run(h,
                  "UPDATE outbox SET state='pending', cancelled_by=NULL, superseded_by=NULL, note=NULL, updated_at=?"
                  " WHERE cancelled_by=? AND state='cancelled' AND batch<>?",
                  "iii", now, batch, batch) < 0 ||
      coalesce(h, now))
    return -1;
  return (int)sent;
}

cJSON *hub__outbox_pending(hub *h, int max) {
  sqlite3_stmt *st = hub__db_q(h,
                               "SELECT id,method,path,body,action,thread_id FROM outbox WHERE state='pending'"
                               " ORDER BY id LIMIT ?",
                               "i", (int64_t)max);
  cJSON *a = cJSON_CreateArray();
  int step;
  if (!st || !a) goto fail;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    cJSON *o = cJSON_CreateObject();
    const unsigned char *body = sqlite3_column_text(st, 3), *th = sqlite3_column_text(st, 5);
    cJSON_AddNumberToObject(o, "id", (double)sqlite3_column_int64(st, 0));
    cJSON_AddStringToObject(o, "method", (const char *)sqlite3_column_text(st, 1));
    cJSON_AddStringToObject(o, "path", (const char *)sqlite3_column_text(st, 2));
    if (body) cJSON_AddStringToObject(o, "body", (const char *)body);
    cJSON_AddStringToObject(o, "action", (const char *)sqlite3_column_text(st, 4));
    if (th) cJSON_AddStringToObject(o, "thread", (const char *)th);
    hub__push(a, o);
  }
  if (step != SQLITE_DONE) {
    hub__db_fail(h);
    goto fail;
  }
  hub__db_done(h, st);
  return a;
fail:
  hub__db_done(h, st);
  cJSON_Delete(a);
  if (!h->errmsg[0]) hub__set_err(h, "out of memory");
  return NULL;
}

int hub__outbox_sent(hub *h, int64_t id, int64_t now) {
  return hub__db_run(h,
                     "UPDATE outbox SET note=CASE WHEN state='cancelled' THEN 'sent before it could be cancelled'"
                     " ELSE note END, state='sent', attempts=attempts+1, last_error=NULL, updated_at=? WHERE id=?",
                     "ii", now, id) < 0
             ? -1
             : 0;
}

int hub__outbox_failed(hub *h, int64_t id, int drop, const char *msg, int64_t now) {
  if (drop)
    return hub__db_run(h,
                       "UPDATE outbox SET state='dropped', note=?, last_error=?, attempts=attempts+1, updated_at=?"
                       " WHERE id=? AND state IN ('pending','cancelled')",
                       "ttii", msg, msg, now, id) < 0
               ? -1
               : 0;
  return hub__db_run(h, "UPDATE outbox SET last_error=?, attempts=attempts+1, updated_at=? WHERE id=?", "tii", msg,
                     now, id) < 0
             ? -1
             : 0;
}

int hub__outbox_prune(hub *h, int64_t before_ms) {
  return hub__db_run(h, "DELETE FROM outbox WHERE state<>'pending' AND updated_at<?", "i", before_ms);
}

static void add_text(cJSON *o, const char *k, sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  if (t) cJSON_AddStringToObject(o, k, (const char *)t);
  else cJSON_AddNullToObject(o, k);
}

static cJSON *counts_json(hub *h) {
  static const char *const states[] = {"pending", "sent", "dropped", "cancelled"};
  cJSON *c = cJSON_CreateObject();
  size_t i;
  for (i = 0; c && i < sizeof states / sizeof states[0]; i++)
    cJSON_AddNumberToObject(c, states[i],
                            (double)hub__db_int(h, "SELECT count(*) FROM outbox WHERE state=?", "t", 0, states[i]));
  return c;
}

cJSON *hub__outbox_json(hub *h, int limit) {
  sqlite3_stmt *st = hub__db_q(h,
                               "SELECT o.id, i.key, o.action, o.method, o.path, o.body, o.state, o.attempts,"
                               " o.last_error, o.note, o.created_at, o.updated_at, o.thread_id FROM outbox o"
                               " LEFT JOIN items i ON i.id = o.item_id"
                               " ORDER BY o.state<>'pending', CASE WHEN o.state='pending' THEN o.id ELSE -o.id END"
                               " LIMIT ?",
                               "i", (int64_t)limit);
  cJSON *r = cJSON_CreateObject(), *a;
  if (!st || !r) {
    hub__db_done(h, st);
    cJSON_Delete(r);
    return hub__error_json(HUB_E_DB, h->errmsg);
  }
  a = cJSON_AddArrayToObject(r, "entries");
  while (sqlite3_step(st) == SQLITE_ROW) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)sqlite3_column_int64(st, 0));
    add_text(o, "key", st, 1);
    add_text(o, "action", st, 2);
    add_text(o, "method", st, 3);
    add_text(o, "path", st, 4);
    add_text(o, "body", st, 5);
    add_text(o, "state", st, 6);
    cJSON_AddNumberToObject(o, "attempts", (double)sqlite3_column_int64(st, 7));
    add_text(o, "last_error", st, 8);
    add_text(o, "note", st, 9);
    cJSON_AddNumberToObject(o, "created_at", (double)sqlite3_column_int64(st, 10));
    cJSON_AddNumberToObject(o, "updated_at", (double)sqlite3_column_int64(st, 11));
    add_text(o, "thread", st, 12);
    hub__push(a, o);
  }
  hub__db_done(h, st);
  hub__put(r, "counts", counts_json(h));
  return r;
}
