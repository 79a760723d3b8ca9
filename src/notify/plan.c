/*
 * plan.c — "is this worth interrupting now?" (notify layer; owns tables push_log and
 * push_deliveries and the state keys push.seen_id and push.last_tip): push_plan decides the
 * pushes and hands out the deliveries due, push_result records what the push services said.
 * Pure of I/O and clock: "now" and the time zone come with the request. See notify.h for the
 * rules, in order.
 */
#include <stdio.h>
#include <string.h>
#include "db/db.h"
#include "rank/rank.h"
#include "items/items.h"
#include "triage/triage.h"
#include "tip/tip.h"
#include "notify/notify.h"

#define NOW_MAX 9000000000000000LL
#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL
#define LOG_KEEP_MS (30 * DAY_MS) /* pushes remembered (for dedupe and the rate cap) */
#define SMALL_TITLE 60

int hub__push_local_minute(int64_t now_ms, int64_t tz_min) {
  int64_t m = now_ms / 60000 - (now_ms % 60000 < 0) + tz_min;
  return (int)(((m % 1440) + 1440) % 1440);
}

int hub__push_quiet(int m, int start, int end) {
  if (start == end) return 0;
  return start < end ? (m >= start && m < end) : (m >= start || m < end);
}

/* A setting in hours of the day as minutes 0..1439 (24 h is midnight). */
static int minutes_of(hub *h, const char *key) {
  return (int)(hub__num_clamp(hub__setting_num(h, key) * 60.0 + 0.5, 0, 1440) % 1440);
}

/* What one plan works with. */
typedef struct {
  hub *h;
  int64_t now, tz, nsubs, room;
  int local, quiet, quiet_end, decided;
  const char *why;
  cJSON *res;
} plan;

/* ---- an item to push ------------------------------------------------------------------------ */

typedef struct {
  int64_t id, number, mark;
  double rank;
  char *key, *title, *repo, *kind;
} prow;

#define PROW_COLS "i.id,i.key,i.title,i.repo,coalesce(i.number,0),i.kind,coalesce(i.updated_at,0),i.rank"

static void prow_read(sqlite3_stmt *st, prow *p) {
  p->id = sqlite3_column_int64(st, 0);
  p->key = hub__db_col_dup(st, 1);
  p->title = hub__db_col_dup(st, 2);
  p->repo = hub__db_col_dup(st, 3);
  p->number = sqlite3_column_int64(st, 4);
  p->kind = hub__db_col_dup(st, 5);
  p->mark = sqlite3_column_int64(st, 6);
  p->rank = sqlite3_column_double(st, 7);
}

static void prow_free(prow *p) {
  hub_free(p->key);
  hub_free(p->title);
  hub_free(p->repo);
  hub_free(p->kind);
  memset(p, 0, sizeof *p);
}

/* Length of s cut to at most max bytes without splitting a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t max) {
  size_t n = strlen(s);
  if (n <= max) return n;
  n = max;
  while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
  return n;
}

static void add_cut(cJSON *o, const char *k, const char *s, size_t max) {
  char *c = hub__strndup(s ? s : "", utf8_cut(s ? s : "", max));
  hub__put(o, k, c ? cJSON_CreateString(c) : NULL);
  hub_free(c);
}

/* The words of the item's most pressing reason ("review requested"), and whether someone
 * waits on the user (an urgent reason). */
static const char *why_of(hub *h, int64_t id, int *urgent) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT code FROM item_reasons WHERE item_id=?", "i", id);
  int best = -1;
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    int r = hub__reason_find((const char *)sqlite3_column_text(st, 0));
    if (r < 0) continue;
    if (best < 0 || (hub__reasons[r].urgent && !hub__reasons[best].urgent) ||
        (hub__reasons[r].urgent == hub__reasons[best].urgent && r < best))
      best = r;
  }
  hub__db_done(h, st);
  *urgent = best >= 0 && hub__reasons[best].urgent;
  return best >= 0 ? hub__reasons[best].words : "new";
}

/* The payload, or the small one for a push service that answered 413. New string or NULL. */
static char *payload_of(const prow *p, const char *kind, const char *why, const char *topic, int64_t now,
                        int small) {
  cJSON *o = cJSON_CreateObject();
  char *text;
  cJSON_AddNumberToObject(o, "v", 1);
  cJSON_AddStringToObject(o, "key", p->key);
  add_cut(o, "title", p->title, small ? SMALL_TITLE : HUB_PUSH_TITLE_MAX);
  cJSON_AddStringToObject(o, "topic", topic);
  cJSON_AddStringToObject(o, "kind", kind);
  if (!small) {
    add_cut(o, "repo", p->repo, 140);
    cJSON_AddNumberToObject(o, "number", (double)p->number);
    cJSON_AddStringToObject(o, "item_kind", p->kind ? p->kind : "issue");
    cJSON_AddStringToObject(o, "why", why);
    cJSON_AddNumberToObject(o, "at", (double)now);
  }
  text = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if (text && strlen(text) > HUB_PUSH_PAYLOAD_MAX) { /* a key that long: only the small one */
    hub_free(text);
    text = small ? NULL : payload_of(p, kind, why, topic, now, 1);
  }
  return text;
}

/* 1 when p was pushed already and has not changed since (dedupe). */
static int already_pushed(hub *h, const prow *p) {
  return hub__db_int(h, "SELECT count(*) FROM push_log WHERE item_key=? AND mark>=?", "ti", 0, p->key, p->mark) > 0;
}

/* Logs a push of p (kind "new" or "tip") with one pending delivery per device. 0 or -1. */
static int add_push(plan *c, const prow *p, const char *kind) {
  hub *h = c->h;
  const char *topic = HUB_PUSH_TOPIC;
  int urgent = 0, rc = -1;
  const char *why = why_of(h, p->id, &urgent);
  char *pl, *small;
  int64_t id;
  pl = payload_of(p, kind, why, topic, c->now, 0);
  small = payload_of(p, kind, why, topic, c->now, 1);
  if (!pl || !small) {
    hub__set_err(h, "out of memory");
    goto done;
  }
  if (hub__db_run(h,
                  "INSERT INTO push_log(item_id,item_key,kind,topic,urgency,ttl,mark,payload,payload_small,created_at)"
                  " VALUES(?,?,?,?,?,?,?,?,?,?)",
                  "itttti" "itti", p->id, p->key, kind, topic, urgent && strcmp(kind, "new") == 0 ? "high" : "normal",
                  (int64_t)HUB_PUSH_TTL_S, p->mark, pl, small, c->now) < 0)
    goto done;
  id = sqlite3_last_insert_rowid(h->db);
  if (hub__db_run(h,
                  "INSERT INTO push_deliveries(push_id,sub_id,state,attempts,next_at,updated_at)"
                  " SELECT ?,id,'pending',0,?,? FROM push_subs",
                  "iii", id, c->now, c->now) < 0)
    goto done;
  c->decided++;
  rc = 0;
done:
  hub_free(pl);
  hub_free(small);
  return rc;
}

/* ---- the decision ---------------------------------------------------------------------------- */

/* Rule 4: the best new item over the threshold not pushed yet, into *p (p->key NULL: none).
 * 0 or -1. */
static int best_new(plan *c, int64_t seen, prow *p) {
  hub *h = c->h;
  const hub__weights *w = hub__weights_get(h);
  double threshold = hub__setting_num(h, "push_threshold");
  sqlite3_stmt *st = hub__db_q(h,
                               "SELECT " PROW_COLS " FROM items i LEFT JOIN triage t ON t.item_id=i.id"
                               " WHERE i.state='open' AND " HUB_TRIAGE_VISIBLE_SQL " AND i.id>?"
                               " ORDER BY i.rank DESC, i.id LIMIT ?",
                               "iii", c->now, seen, (int64_t)HUB_PUSH_NEW_MAX);
  int rc = 0;
  if (!st) return -1;
  while (!p->key && sqlite3_step(st) == SQLITE_ROW) {
    prow_read(st, p);
    if (!p->key) rc = -1;
    if (!p->key || hub__score_at(w, p->rank, c->now / 1000) < threshold) break; /* best first: the rest score less */
    if (already_pushed(h, p)) prow_free(p);
  }
  if (p->key && hub__score_at(w, p->rank, c->now / 1000) < threshold) prow_free(p);
  hub__db_done(h, st);
  return rc;
}

/* The tip the policy would choose now into *p (p->key NULL: no candidate). 0 or -1. */
static int peek(plan *c, prow *p) {
  int64_t id = 0;
  sqlite3_stmt *st;
  if (hub__tip_peek(c->h, c->now, (double)c->tz, &id)) return -1;
  if (!id) return 0;
  st = hub__db_q(c->h, "SELECT " PROW_COLS " FROM items i WHERE i.id=?", "i", id);
  if (!st) return -1;
  if (sqlite3_step(st) == SQLITE_ROW) prow_read(st, p);
  hub__db_done(c->h, st);
  return 0;
}

/* Rules 4 and 5: one push at most — the best new item over the threshold, else the tip when it
 * changed. A push of a new item also settles the tip of the moment (push.last_tip), so a user
 * just interrupted is not interrupted again for it. 0 or -1. */
static int pick(plan *c, int64_t seen, int has_seen) {
  hub *h = c->h;
  char *last = NULL;
  prow best, tip;
  int rc = -1;
  memset(&best, 0, sizeof best);
  memset(&tip, 0, sizeof tip);
  if ((has_seen && best_new(c, seen, &best)) || peek(c, &tip)) goto done;
  last = hub__kv_get(h, "push.last_tip");
  if (best.key) {
    rc = add_push(c, &best, "new") || (tip.key && hub__kv_set(h, "push.last_tip", tip.key)) ? -1 : 0;
  } else if (!tip.key || (last && strcmp(last, tip.key) == 0)) {
    rc = 0;
  } else if (already_pushed(h, &tip)) {
    rc = hub__kv_set(h, "push.last_tip", tip.key); /* pushed before and unchanged: no second push */
  } else {
    rc = add_push(c, &tip, "tip") || hub__kv_set(h, "push.last_tip", tip.key) ? -1 : 0;
  }
done:
  hub_free(last);
  prow_free(&best);
  prow_free(&tip);
  return rc;
}

/* Rules 1–5. Sets c->why. 0 or -1 (h->errmsg). */
static int decide(plan *c) {
  hub *h = c->h;
  char *prev = hub__kv_get(h, "push.seen_id"), num[24];
  int64_t seen = 0, max_id = hub__db_int(h, "SELECT coalesce(max(id),0) FROM items", NULL, 0);
  int rc = -1;
  if (prev && hub__parse_int(prev, 0, INT64_MAX, &seen)) seen = 0;
  snprintf(num, sizeof num, "%lld", (long long)max_id);
  if (!prev || seen != max_id) {
    if (hub__kv_set(h, "push.seen_id", num)) goto done;
  }
  c->room = hub__num_clamp(hub__setting_num(h, "push_max_per_hour"), 0, 60) -
            hub__db_int(h, "SELECT count(*) FROM push_log WHERE created_at>?", "i", 0, c->now - HOUR_MS);
  rc = 0;
  if (!hub__setting_on(h, "push_enabled")) c->why = "off";
  else if (c->nsubs <= 0) c->why = "no_subscriptions";
  else if (c->quiet) c->why = "quiet_hours";
  else if (c->room <= 0) c->why = "rate_cap";
  else {
    rc = pick(c, seen, prev != NULL);
    c->why = c->decided ? "pushed" : prev ? "nothing_new" : "first_plan";
  }
done:
  hub_free(prev);
  return rc;
}

/* ---- the deliveries due ------------------------------------------------------------------------ */

/* One due delivery row → its push's entry in pushes (made when the push changes). */
static void add_due(plan *c, sqlite3_stmt *st, cJSON *pushes, cJSON **cur, int64_t *cur_id) {
  int64_t push = sqlite3_column_int64(st, 0), ttl;
  cJSON *d;
  if (!*cur || *cur_id != push) {
    static const char *const cols[] = {"key", "kind", "topic", "urgency"};
    int i;
    *cur = cJSON_CreateObject();
    *cur_id = push;
    cJSON_AddNumberToObject(*cur, "id", (double)push);
    for (i = 0; i < 4; i++) cJSON_AddStringToObject(*cur, cols[i], (const char *)sqlite3_column_text(st, 3 + i));
    ttl = sqlite3_column_int64(st, 7) - (c->now - sqlite3_column_int64(st, 13)) / 1000;
    cJSON_AddNumberToObject(*cur, "ttl", (double)(ttl < 0 ? 0 : ttl));
    cJSON_AddStringToObject(*cur, "payload", (const char *)sqlite3_column_text(st, 8));
    cJSON_AddStringToObject(*cur, "payload_small", (const char *)sqlite3_column_text(st, 9));
    cJSON_AddArrayToObject(*cur, "deliveries");
    hub__push(pushes, *cur);
  }
  d = cJSON_CreateObject();
  cJSON_AddNumberToObject(d, "sub", (double)sqlite3_column_int64(st, 1));
  cJSON_AddStringToObject(d, "endpoint", (const char *)sqlite3_column_text(st, 10));
  cJSON_AddStringToObject(d, "p256dh", (const char *)sqlite3_column_text(st, 11));
  cJSON_AddStringToObject(d, "auth", (const char *)sqlite3_column_text(st, 12));
  cJSON_AddNumberToObject(d, "attempt", (double)sqlite3_column_int64(st, 2));
  hub__push(cJSON_GetObjectItemCaseSensitive(*cur, "deliveries"), d);
}

/* Hands out the deliveries due (none in the quiet hours) and says when to ask again. 0 or -1. */
static int due(plan *c) {
  hub *h = c->h;
  cJSON *pushes = cJSON_AddArrayToObject(c->res, "pushes"), *cur = NULL;
  int64_t cur_id = 0, n = 0, next;
  sqlite3_stmt *st;
  if (!pushes) return -1;
  if (!c->quiet) {
    st = hub__db_q(h,
                   "SELECT d.push_id,d.sub_id,d.attempts,p.item_key,p.kind,p.topic,p.urgency,p.ttl,p.payload,"
                   "p.payload_small,s.endpoint,s.p256dh,s.auth,p.created_at FROM push_deliveries d"
                   " JOIN push_log p ON p.id=d.push_id JOIN push_subs s ON s.id=d.sub_id"
                   " WHERE d.state='pending' AND d.next_at<=? ORDER BY d.push_id, d.sub_id LIMIT ?",
                   "ii", c->now, (int64_t)HUB_PUSH_DUE_MAX);
    if (!st) return -1;
    for (; sqlite3_step(st) == SQLITE_ROW; n++) add_due(c, st, pushes, &cur, &cur_id);
    hub__db_done(h, st);
  }
  if (n >= HUB_PUSH_DUE_MAX) next = c->now; /* more are due: ask again at once */
  else if (c->quiet && hub__db_int(h, "SELECT count(*) FROM push_deliveries WHERE state='pending'", NULL, 0) > 0)
    next = c->now - c->now % 60000 + (int64_t)((c->quiet_end - c->local + 1440) % 1440) * 60000;
  else next = hub__db_int(h, "SELECT coalesce(min(next_at),0) FROM push_deliveries WHERE state='pending' AND next_at>?",
                          "i", 0, c->now);
  if (next > 0) cJSON_AddNumberToObject(c->res, "next_at", (double)next);
  else cJSON_AddNullToObject(c->res, "next_at");
  return 0;
}

/* Forgets what is too old to matter: deliveries past their push's TTL fail as expired, pushes
 * older than LOG_KEEP_MS go (with their deliveries). 0 or -1. */
static int expire(plan *c) {
  if (hub__db_run(c->h,
                  "UPDATE push_deliveries SET state='failed',error='expired',updated_at=? WHERE state='pending'"
                  " AND push_id IN (SELECT id FROM push_log WHERE created_at+ttl*1000<=?)",
                  "ii", c->now, c->now) < 0)
    return -1;
  return hub__db_run(c->h, "DELETE FROM push_log WHERE created_at<?", "i", c->now - LOG_KEEP_MS) < 0 ? -1 : 0;
}

cJSON *hub__push_plan_cmd(hub *h, const cJSON *req) {
  plan c;
  int64_t tz = 0;
  int has_tz, retries_only = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "retries_only"));
  memset(&c, 0, sizeof c);
  c.h = h;
  if (hub__json_int(req, "now", 0, NOW_MAX, &c.now) != 1)
    return hub__error_field(HUB_E_BAD_REQUEST, "now", "push_plan needs \"now\" (ms)");
  has_tz = hub__json_int(req, "tz_offset_min", -1440, 1440, &tz);
  if (has_tz < 0) return hub__error_field(HUB_E_BAD_TYPE, "tz_offset_min", "tz_offset_min must be minutes east of UTC (±1440)");
  c.res = cJSON_CreateObject();
  if (!c.res || hub__db_begin(h)) goto fail;
  c.nsubs = hub__push_subs_count(h, &c.tz);
  if (has_tz == 1) c.tz = tz;
  c.local = hub__push_local_minute(c.now, c.tz);
  c.quiet_end = minutes_of(h, "push_quiet_end");
  c.quiet = hub__push_quiet(c.local, minutes_of(h, "push_quiet_start"), c.quiet_end);
  c.why = "retries_only";
  if (c.nsubs < 0 || expire(&c) || (!retries_only && decide(&c)) || due(&c) || hub__db_commit(h)) goto fail;
  cJSON_AddStringToObject(c.res, "why", c.why);
  cJSON_AddNumberToObject(c.res, "decided", c.decided);
  cJSON_AddBoolToObject(c.res, "quiet", c.quiet);
  cJSON_AddNumberToObject(c.res, "local_minute", c.local);
  return c.res;
fail:
  hub__db_rollback(h);
  cJSON_Delete(c.res);
  return hub__error_json(HUB_E_DB, h->errmsg);
}

/* ---- push_result ------------------------------------------------------------------------------- */

typedef struct {
  int64_t now, delivered, removed, retrying, failed;
} tally;

static const char *const outcomes[] = {"delivered", "gone", "retry", "too_large", "vapid", "failed"};
enum { O_DELIVERED, O_GONE, O_RETRY, O_TOO_LARGE, O_VAPID, O_FAILED, O_COUNT };

/* When a retry without a time of its own goes: HUB_PUSH_BACKOFF_MS × 2^attempts, at most 1 h. */
static int64_t backoff(int64_t now, int64_t attempts) {
  int64_t d = HUB_PUSH_BACKOFF_MS;
  while (attempts-- > 0 && d < HOUR_MS) d *= 2;
  return now + (d < HOUR_MS ? d : HOUR_MS);
}

/* Applies one result. Returns 0 (a result for no pending delivery is ignored) or -1. */
static int apply_result(hub *h, const cJSON *r, tally *t) {
  int64_t push = 0, sub = 0, status = 0, at = 0, attempts;
  const char *oname = hub__json_str(r, "outcome"), *err = hub__json_str(r, "error");
  char e[300];
  int o = 0, has_at;
  while (oname && o < O_COUNT && strcmp(oname, outcomes[o]) != 0) o++;
  if (hub__json_int(r, "push", 1, INT64_MAX, &push) != 1 || hub__json_int(r, "sub", 1, INT64_MAX, &sub) != 1 ||
      !oname || o == O_COUNT || hub__json_int(r, "status", 0, 999, &status) < 0 ||
      (has_at = hub__json_int(r, "retry_at", 0, NOW_MAX, &at)) < 0) {
    hub__set_err(h, "a result needs push, sub, an outcome (delivered|gone|retry|too_large|vapid|failed), status 0-999");
    return -2;
  }
  snprintf(e, sizeof e, "%s", err ? err : outcomes[o]);
  e[utf8_cut(e, sizeof e - 1)] = 0;
  attempts = hub__db_int(h, "SELECT attempts FROM push_deliveries WHERE push_id=? AND sub_id=? AND state='pending'",
                         "ii", -1, push, sub);
  if (attempts < 0) return 0;
  if (o == O_GONE) {
    t->removed++;
    return hub__push_sub_note(h, sub, HUB_PUSH_SUB_GONE, status, e, t->now);
  }
  if (o == O_DELIVERED) {
    t->delivered++;
    return hub__db_run(h, "UPDATE push_deliveries SET state='sent',attempts=attempts+1,status=?,error=NULL,updated_at=?"
                          " WHERE push_id=? AND sub_id=?", "iiii", status, t->now, push, sub) < 0 ||
                   hub__push_sub_note(h, sub, HUB_PUSH_SUB_OK, status, NULL, t->now)
               ? -1 : 0;
  }
  if ((o == O_RETRY || (o == O_FAILED && status == 0)) && attempts + 1 < HUB_PUSH_MAX_ATTEMPTS) {
    int64_t next = has_at == 1 ? hub__num_clamp((double)at, t->now, t->now + HUB_PUSH_RETRY_MAX_MS)
                               : backoff(t->now, attempts);
    t->retrying++;
    if (hub__db_run(h, "UPDATE push_deliveries SET attempts=attempts+1,next_at=?,status=nullif(?,0),error=?,updated_at=?"
                       " WHERE push_id=? AND sub_id=?", "iitiii", next, status, e, t->now, push, sub) < 0)
      return -1;
  } else {
    t->failed++;
    if (hub__db_run(h, "UPDATE push_deliveries SET state='failed',attempts=attempts+1,status=nullif(?,0),error=?,"
                       "updated_at=? WHERE push_id=? AND sub_id=?", "itiii", status, e, t->now, push, sub) < 0)
      return -1;
  }
  return hub__push_sub_note(h, sub, o == O_VAPID ? HUB_PUSH_SUB_VAPID : HUB_PUSH_SUB_FAILED, status, e, t->now);
}

cJSON *hub__push_result_cmd(hub *h, const cJSON *req) {
  const cJSON *results = cJSON_GetObjectItemCaseSensitive(req, "results"), *r;
  cJSON *res;
  tally t;
  int64_t next;
  int rc = 0;
  memset(&t, 0, sizeof t);
  if (hub__json_int(req, "now", 0, NOW_MAX, &t.now) != 1)
    return hub__error_field(HUB_E_BAD_REQUEST, "now", "push_result needs \"now\" (ms)");
  if (!cJSON_IsArray(results) || cJSON_GetArraySize(results) > 1000)
    return hub__error_field(HUB_E_BAD_REQUEST, "results", "results must be an array of at most 1000 outcomes");
  if (hub__db_begin(h)) return hub__error_json(HUB_E_DB, h->errmsg);
  cJSON_ArrayForEach(r, results) if (rc == 0) rc = apply_result(h, r, &t);
  if (rc || hub__db_commit(h)) {
    hub__db_rollback(h);
    return rc == -2 ? hub__error_field(HUB_E_BAD_REQUEST, "results", h->errmsg) : hub__error_json(HUB_E_DB, h->errmsg);
  }
  res = cJSON_CreateObject();
  cJSON_AddNumberToObject(res, "delivered", (double)t.delivered);
  cJSON_AddNumberToObject(res, "removed", (double)t.removed);
  cJSON_AddNumberToObject(res, "retrying", (double)t.retrying);
  cJSON_AddNumberToObject(res, "failed", (double)t.failed);
  next = hub__db_int(h, "SELECT coalesce(min(next_at),0) FROM push_deliveries WHERE state='pending'", NULL, 0);
  if (next > 0) cJSON_AddNumberToObject(res, "next_at", (double)next);
  else cJSON_AddNullToObject(res, "next_at");
  return res;
}
