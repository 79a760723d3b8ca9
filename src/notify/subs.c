/*
 * subs.c — the devices subscribed to Web Push (notify layer; owns table push_subs): subscribe,
 * unsubscribe, the list with each device's health, what a delivery outcome does to a device,
 * and the request the page sends to its hubd (push_request). See notify.h.
 *
 * What is checked here is the shape: an endpoint that is a usable URL (https, or http on this
 * machine) within HUB_PUSH_ENDPOINT_MAX bytes, p256dh 65 bytes of base64url starting with the
 * uncompressed-point byte 0x04, auth 16 bytes of base64url. Which push services an endpoint may
 * name (the allow-list, no private addresses) and whether p256dh lies on the curve are hubd's
 * checks (src/server/push.c, webpush.c), made before it calls push_subscribe.
 */
#include <stdio.h>
#include <string.h>
#include "db/db.h"
#include "notify/notify.h"

#define NOW_MAX 9000000000000000LL

/* A base64url text of exactly `bytes` bytes (unpadded, or padded with '=' as base64 would):
 * returns its unpadded length, or 0 when it is not one. */
static size_t b64u_len(const char *s, size_t bytes) {
  size_t want = (bytes * 4 + 2) / 3, n = 0;
  if (!s) return 0;
  for (; s[n]; n++) {
    char c = s[n];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) break;
  }
  if (n != want) return 0;
  while (s[n] == '=') n++;
  if (s[n] || (n != want && n != (want + 3) / 4 * 4)) return 0;
  return want;
}

/* The host of a URL (for display: the endpoint itself is a capability). */
static cJSON *host_of(const char *url) {
  hub__url u;
  return cJSON_CreateString(url && hub__url_parse(url, &u) == 0 ? u.host : "?");
}

static void put_int_or_null(cJSON *o, const char *k, sqlite3_stmt *st, int i) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL) cJSON_AddNullToObject(o, k);
  else cJSON_AddNumberToObject(o, k, (double)sqlite3_column_int64(st, i));
}

#define SUB_COLS "id,endpoint,device,tz_offset_min,created_at,updated_at,last_ok,last_status,last_error,failures,vapid_mismatch"

/* One push_subs row (SUB_COLS) as the commands show it. */
static cJSON *sub_json(sqlite3_stmt *st) {
  cJSON *o = cJSON_CreateObject();
  const char *dev = (const char *)sqlite3_column_text(st, 2), *err = (const char *)sqlite3_column_text(st, 8);
  cJSON_AddNumberToObject(o, "id", (double)sqlite3_column_int64(st, 0));
  hub__put(o, "host", host_of((const char *)sqlite3_column_text(st, 1)));
  hub__put(o, "device", dev ? cJSON_CreateString(dev) : cJSON_CreateNull());
  cJSON_AddNumberToObject(o, "tz_offset_min", (double)sqlite3_column_int64(st, 3));
  cJSON_AddNumberToObject(o, "created_at", (double)sqlite3_column_int64(st, 4));
  cJSON_AddNumberToObject(o, "updated_at", (double)sqlite3_column_int64(st, 5));
  put_int_or_null(o, "last_ok", st, 6);
  put_int_or_null(o, "last_status", st, 7);
  hub__put(o, "last_error", err ? cJSON_CreateString(err) : cJSON_CreateNull());
  cJSON_AddNumberToObject(o, "failures", (double)sqlite3_column_int64(st, 9));
  cJSON_AddBoolToObject(o, "vapid_mismatch", sqlite3_column_int64(st, 10) != 0);
  return o;
}

int64_t hub__push_subs_count(hub *h, int64_t *tz) {
  *tz = hub__db_int(h, "SELECT tz_offset_min FROM push_subs ORDER BY updated_at DESC, id DESC LIMIT 1", NULL, 0);
  return hub__db_int(h, "SELECT count(*) FROM push_subs", NULL, -1);
}

int hub__push_sub_note(hub *h, int64_t sub, hub__push_sub_outcome o, int64_t status, const char *error,
                       int64_t now) {
  switch (o) {
  case HUB_PUSH_SUB_OK:
    return hub__db_run(h,
                       "UPDATE push_subs SET last_ok=?,last_status=?,last_error=NULL,failures=0,vapid_mismatch=0"
                       " WHERE id=?",
                       "iii", now, status, sub) < 0 ? -1 : 0;
  case HUB_PUSH_SUB_GONE: return hub__db_run(h, "DELETE FROM push_subs WHERE id=?", "i", sub) < 0 ? -1 : 0;
  default:
    return hub__db_run(h,
                       "UPDATE push_subs SET last_status=nullif(?,0),last_error=?,failures=failures+1,"
                       "vapid_mismatch=max(vapid_mismatch,?) WHERE id=?",
                       "itii", status, error, (int64_t)(o == HUB_PUSH_SUB_VAPID), sub) < 0 ? -1 : 0;
  }
}

/* ---- push_subscribe ---------------------------------------------------------------------- */

typedef struct {
  int64_t now, tz;
  const char *endpoint, *device;
  char p256dh[92], auth[28];
} sub_in;

/* Reads and checks a subscription request into *s. NULL, or the error answer. */
static cJSON *sub_read(const cJSON *req, sub_in *s) {
  const char *p = hub__json_str(req, "p256dh"), *a = hub__json_str(req, "auth");
  size_t pl = b64u_len(p, 65), al = b64u_len(a, 16);
  memset(s, 0, sizeof *s);
  if (hub__json_int(req, "now", 0, NOW_MAX, &s->now) != 1)
    return hub__error_field(HUB_E_BAD_REQUEST, "now", "push_subscribe needs \"now\" (ms)");
  s->endpoint = hub__json_str(req, "endpoint");
  if (!s->endpoint || strlen(s->endpoint) > HUB_PUSH_ENDPOINT_MAX || !hub__url_usable(s->endpoint))
    return hub__error_field(HUB_E_BAD_REQUEST, "endpoint", "endpoint must be an https:// URL of at most 2048 bytes");
  if (!pl || p[0] != 'B')
    return hub__error_field(HUB_E_BAD_REQUEST, "p256dh", "p256dh must be an uncompressed P-256 point (65 bytes) in base64url");
  if (!al) return hub__error_field(HUB_E_BAD_REQUEST, "auth", "auth must be 16 bytes in base64url");
  memcpy(s->p256dh, p, pl);
  memcpy(s->auth, a, al);
  if (hub__json_int(req, "tz_offset_min", -1440, 1440, &s->tz) < 0)
    return hub__error_field(HUB_E_BAD_TYPE, "tz_offset_min", "tz_offset_min must be minutes east of UTC (±1440)");
  s->device = hub__json_str(req, "device");
  if (s->device && (strlen(s->device) > 100 || !hub__utf8_valid(s->device, strlen(s->device))))
    return hub__error_field(HUB_E_BAD_REQUEST, "device", "device must be text of at most 100 bytes");
  return NULL;
}

/* Stores s (an endpoint already known is updated and its health reset) and keeps the newest
 * HUB_PUSH_MAX_SUBS devices. 0 or -1 (h->errmsg). */
static int sub_store(hub *h, const sub_in *s) {
  if (hub__db_run(h,
                  "INSERT INTO push_subs(endpoint,p256dh,auth,device,tz_offset_min,created_at,updated_at)"
                  " VALUES(?,?,?,?,?,?,?) ON CONFLICT(endpoint) DO UPDATE SET p256dh=excluded.p256dh,"
                  "auth=excluded.auth,device=excluded.device,tz_offset_min=excluded.tz_offset_min,"
                  "updated_at=excluded.updated_at,failures=0,vapid_mismatch=0,last_error=NULL",
                  "ttttiii", s->endpoint, s->p256dh, s->auth, s->device, s->tz, s->now, s->now) < 0)
    return -1;
  return hub__db_run(h,
                     "DELETE FROM push_subs WHERE id NOT IN (SELECT id FROM push_subs ORDER BY updated_at DESC,"
                     " id DESC LIMIT ?)",
                     "i", (int64_t)HUB_PUSH_MAX_SUBS) < 0
             ? -1
             : 0;
}

cJSON *hub__push_subscribe_cmd(hub *h, const cJSON *req) {
  sub_in s;
  cJSON *res = sub_read(req, &s);
  sqlite3_stmt *st;
  int64_t known;
  if (res) return res;
  known = hub__db_int(h, "SELECT count(*) FROM push_subs WHERE endpoint=?", "t", 0, s.endpoint);
  if (hub__db_begin(h)) return hub__error_json(HUB_E_DB, h->errmsg);
  if (sub_store(h, &s) || hub__db_commit(h)) {
    hub__db_rollback(h);
    return hub__error_json(HUB_E_DB, h->errmsg);
  }
  st = hub__db_q(h, "SELECT " SUB_COLS " FROM push_subs WHERE endpoint=?", "t", s.endpoint);
  if (!st) return hub__error_json(HUB_E_DB, h->errmsg);
  res = cJSON_CreateObject();
  if (sqlite3_step(st) == SQLITE_ROW) hub__put(res, "subscription", sub_json(st));
  hub__db_done(h, st);
  cJSON_AddBoolToObject(res, "created", known == 0);
  return res;
}

cJSON *hub__push_unsubscribe_cmd(hub *h, const cJSON *req) {
  const char *endpoint = hub__json_str(req, "endpoint");
  cJSON *res;
  int n;
  if (!endpoint || strlen(endpoint) > HUB_PUSH_ENDPOINT_MAX)
    return hub__error_field(HUB_E_BAD_REQUEST, "endpoint", "push_unsubscribe needs the subscription's endpoint");
  n = hub__db_run(h, "DELETE FROM push_subs WHERE endpoint=?", "t", endpoint);
  if (n < 0) return hub__error_json(HUB_E_DB, h->errmsg);
  res = cJSON_CreateObject();
  cJSON_AddNumberToObject(res, "deleted", n);
  return res;
}

/* ---- push_subscriptions ------------------------------------------------------------------- */

/* The latest pushes with their deliveries' states, newest first. */
static cJSON *recent_pushes(hub *h, int64_t limit) {
  sqlite3_stmt *st = hub__db_q(h,
                               "SELECT p.id,p.item_key,p.kind,p.topic,p.created_at,"
                               " (SELECT count(*) FROM push_deliveries d WHERE d.push_id=p.id AND d.state='sent'),"
                               " (SELECT count(*) FROM push_deliveries d WHERE d.push_id=p.id AND d.state='pending'),"
                               " (SELECT count(*) FROM push_deliveries d WHERE d.push_id=p.id AND d.state='failed')"
                               " FROM push_log p ORDER BY p.id DESC LIMIT ?",
                               "i", limit);
  cJSON *a = cJSON_CreateArray();
  static const char *const cols[] = {"id", "key", "kind", "topic", "created_at", "sent", "pending", "failed"};
  int i;
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    cJSON *o = cJSON_CreateObject();
    for (i = 0; i < 8; i++) {
      if (sqlite3_column_type(st, i) == SQLITE_TEXT)
        cJSON_AddStringToObject(o, cols[i], (const char *)sqlite3_column_text(st, i));
      else cJSON_AddNumberToObject(o, cols[i], (double)sqlite3_column_int64(st, i));
    }
    hub__push(a, o);
  }
  hub__db_done(h, st);
  return a;
}

cJSON *hub__push_subscriptions_cmd(hub *h, const cJSON *req) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT " SUB_COLS " FROM push_subs ORDER BY id", NULL);
  cJSON *res, *subs;
  int64_t recent = 10;
  int mismatch = 0;
  if (hub__json_int(req, "recent", 0, 100, &recent) < 0)
    return hub__error_field(HUB_E_BAD_TYPE, "recent", "recent must be a number from 0 to 100");
  if (!st) return hub__error_json(HUB_E_DB, h->errmsg);
  res = cJSON_CreateObject();
  subs = cJSON_AddArrayToObject(res, "subscriptions");
  while (sqlite3_step(st) == SQLITE_ROW) {
    mismatch |= sqlite3_column_int64(st, 10) != 0;
    hub__push(subs, sub_json(st));
  }
  hub__db_done(h, st);
  cJSON_AddBoolToObject(res, "vapid_mismatch", mismatch);
  cJSON_AddNumberToObject(res, "pending",
                          (double)hub__db_int(h, "SELECT count(*) FROM push_deliveries WHERE state='pending'", NULL, 0));
  hub__put(res, "recent", recent_pushes(h, recent));
  return res;
}

/* ---- push_request: the page's requests to its hubd ------------------------------------------ */

static const char *const request_ops[] = {"key", "subscribe", "unsubscribe", "settings"};

/* The body of op (1 subscribe, 2 unsubscribe, 3 settings) from req. New object, or NULL with
 * *bad naming the field at fault. */
static cJSON *request_body(int op, const cJSON *req, const char **bad) {
  const cJSON *sub = cJSON_GetObjectItemCaseSensitive(req, "subscription");
  const cJSON *keys = cJSON_GetObjectItemCaseSensitive(sub, "keys"), *set, *e;
  const char *endpoint = hub__json_str(sub, "endpoint");
  cJSON *b = cJSON_CreateObject(), *k;
  int64_t tz = 0;
  *bad = NULL;
  if (op == 3) {
    set = cJSON_GetObjectItemCaseSensitive(req, "settings");
    cJSON_AddStringToObject(b, "cmd", "settings");
    k = cJSON_AddObjectToObject(b, "set");
    cJSON_ArrayForEach(e, set) if (e->string && strncmp(e->string, "push_", 5) == 0) hub__put(k, e->string, cJSON_Duplicate(e, 1));
    if (!cJSON_IsObject(set) || !k || !k->child) *bad = "settings";
  } else if (!endpoint || strlen(endpoint) > HUB_PUSH_ENDPOINT_MAX) {
    *bad = "subscription";
  } else {
    cJSON_AddStringToObject(b, "endpoint", endpoint);
    if (op == 1) {
      if (!hub__json_str(keys, "p256dh") || !hub__json_str(keys, "auth")) *bad = "subscription";
      k = cJSON_AddObjectToObject(b, "keys");
      cJSON_AddStringToObject(k, "p256dh", hub__json_str(keys, "p256dh") ? hub__json_str(keys, "p256dh") : "");
      cJSON_AddStringToObject(k, "auth", hub__json_str(keys, "auth") ? hub__json_str(keys, "auth") : "");
      if (hub__json_int(req, "tz_offset_min", -1440, 1440, &tz) < 0) *bad = "tz_offset_min";
      cJSON_AddNumberToObject(b, "tz_offset_min", (double)tz);
      if (hub__json_str(req, "device")) cJSON_AddStringToObject(b, "device", hub__json_str(req, "device"));
    }
  }
  if (*bad) {
    cJSON_Delete(b);
    b = NULL;
  }
  return b;
}

cJSON *hub__push_request_cmd(hub *h, const cJSON *req) {
  static const char *const paths[] = {"/api/push/key", "/api/push/subscribe", "/api/push/unsubscribe", "/api/call"};
  const char *opname = hub__json_str(req, "op"), *bad = NULL;
  char *base = hub__setting_get(h, "hubd_url"), *key = NULL, *text = NULL;
  cJSON *res = NULL, *r, *hd, *body = NULL;
  size_t n, op = 0;
  while (opname && op < 4 && strcmp(opname, request_ops[op]) != 0) op++;
  if (!opname || op == 4) {
    res = hub__error_field(HUB_E_BAD_REQUEST, "op", "op must be key, subscribe, unsubscribe or settings");
    goto done;
  }
  if (!base || !*base || !hub__url_usable(base)) {
    res = hub__error_field(HUB_E_STATE, "hubd_url", "no hubd is set: put its URL and key in Settings");
    goto done;
  }
  key = op ? hub__setting_get(h, "hubd_key") : NULL;
  if (op && (!key || !*key)) {
    res = hub__error_field(HUB_E_STATE, "hubd_key", "the hubd's API key is not set");
    goto done;
  }
  if (op && !(body = request_body((int)op, req, &bad))) {
    res = hub__error_field(HUB_E_BAD_REQUEST, bad, "a field of the request is missing or malformed");
    goto done;
  }
  n = strlen(base);
  while (n && base[n - 1] == '/') base[--n] = 0;
  res = cJSON_CreateObject();
  r = cJSON_AddObjectToObject(res, "request");
  cJSON_AddStringToObject(r, "method", op ? "POST" : "GET");
  hub__put(r, "url", (text = hub__printf("%s%s", base, paths[op])) ? cJSON_CreateString(text) : NULL);
  hd = cJSON_AddObjectToObject(r, "headers");
  if (op) {
    hub_free(text);
    hub__put(hd, "Authorization", (text = hub__printf("Bearer %s", key)) ? cJSON_CreateString(text) : NULL);
    cJSON_AddStringToObject(hd, "Content-Type", "application/json");
    hub_free(text);
    text = cJSON_PrintUnformatted(body);
    hub__put(r, "body", text ? cJSON_CreateString(text) : NULL);
  }
done:
  hub_free(text);
  cJSON_Delete(body);
  hub_free(base);
  hub_free(key);
  return res;
}
