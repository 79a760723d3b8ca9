/*
 * follow.c — the hubd source (replica layer; see replica.h): how a database whose hubd_url is
 * set syncs. Such a database no longer asks GitHub, tangled or the lists anything (the api
 * layer starts a run with this source alone); hubd holds the GitHub token and does that. A run:
 *
 *   POST <hubd_url>/api/changes?after=N   {"origin","changes"}: this database's own triage
 *        actions and tip feedback since the push cursor (settings key replica.push), a page at
 *        a time; a 2xx moves the cursor on, in the same transaction as nothing else
 *   GET  <hubd_url>/api/changes?since=C&limit=L   hubd's changes since the pull cursor
 *        (replica.pull), applied in the engine's batch (one transaction per page, the cursor
 *        with it); "more" plans the next page
 *
 * Pushes go first, so hubd's answer to the pull already reflects them (replica.h: a device
 * takes hubd's state except over an action of its own not acknowledged yet). The key goes
 * only to hubd_url's own origin (compared parsed). A request that gets no answer ends the run
 * as "offline" — the page says hubd is unreachable and keeps working on what it has; 401 and
 * 403 stop the run (the key is wrong). Items hubd sends count as the run's new / updated /
 * unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db/db.h"
#include "replica/replica.h"

#define KV_PULL "replica.pull"
#define KV_PUSH "replica.push"

enum { T_PUSH, T_PULL };

typedef struct {
  char *url; /* hubd_url without a trailing '/' */
  char *key; /* hubd_key, or NULL; wiped when freed */
} follow;

static void follow_free(void *state) {
  follow *f = state;
  if (!f) return;
  if (f->key) memset(f->key, 0, strlen(f->key));
  hub_free(f->key);
  hub_free(f->url);
  hub_free(f);
}

int hub__replica_following(hub *h) {
  char *url = hub__setting_get(h, "hubd_url");
  int on = url && *url;
  hub_free(url);
  return on;
}

/* ---- planning ------------------------------------------------------------------------------ */

/* The next push: this database's own actions since the push cursor, as one POST (none when
 * there is nothing; a cursor that only moves past other rows is stored at once). 0 or -1. */
static int plan_push(hub *h, hub__run *r, const follow *f) {
  char *since = hub__kv_get(h, KV_PUSH), *url = NULL, *body = NULL, *arg = NULL, o[HUB_REPLICA_ORIGIN_MAX + 1];
  cJSON *feed = hub__replica_feed(h, HUB_SCOPE_ACTIONS, since, HUB_REPLICA_PAGE), *msg = NULL;
  const char *next = hub__json_str(feed, "next");
  int64_t seq = 0, n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(feed, "changes"));
  int rc = -1;
  if (!feed || !next) goto done;
  if (n == 0) { /* nothing of ours to tell */
    rc = since && strcmp(since, next) == 0 ? 0 : hub__kv_set(h, KV_PUSH, next);
    goto done;
  }
  hub__replica_cursor_parse(next, o, &seq);
  msg = cJSON_CreateObject();
  cJSON_AddStringToObject(msg, "origin", hub__json_str(feed, "origin"));
  hub__put(msg, "changes", cJSON_DetachItemFromObject(feed, "changes"));
  body = cJSON_PrintUnformatted(msg);
  url = hub__printf("%s/api/changes?after=%lld", f->url, (long long)seq);
  arg = hub__printf("%lld %s", (long long)n, next);
  if (!body || !url || !arg) hub__set_err(h, "out of memory");
  else rc = hub__run_enqueue_req(h, r, &hub__hubd_source, T_PUSH, "POST", url, body, arg, 0);
done:
  cJSON_free(body);
  hub_free(url);
  hub_free(arg);
  hub_free(since);
  cJSON_Delete(msg);
  cJSON_Delete(feed);
  return rc;
}

/* The next pull: hubd's changes since cursor (NULL: from the start). 0 or -1. */
static int plan_pull(hub *h, hub__run *r, const follow *f, const char *cursor) {
  char *enc = cursor ? hub__url_encode(cursor) : NULL, *url;
  int rc = -1;
  if (cursor && !enc) return hub__set_err(h, "out of memory"), -1;
  url = enc ? hub__printf("%s/api/changes?since=%s&limit=%d", f->url, enc, HUB_REPLICA_PAGE)
            : hub__printf("%s/api/changes?limit=%d", f->url, HUB_REPLICA_PAGE);
  if (!url) hub__set_err(h, "out of memory");
  else rc = hub__run_enqueue(h, r, &hub__hubd_source, T_PULL, url, NULL, 0);
  hub_free(enc);
  hub_free(url);
  return rc;
}

static int fo_start(hub *h, hub__run *r, const cJSON *opts, int64_t now, void **state) {
  follow *f = hub__malloc(sizeof *f);
  char *pull = NULL;
  size_t n;
  int rc = -1;
  (void)opts;
  (void)now;
  if (!f) return hub__set_err(h, "out of memory"), -1;
  f->url = hub__setting_get(h, "hubd_url");
  f->key = hub__kv_get(h, "hubd_key");
  *state = f;
  if (!f->url || !*f->url) {
    hub__set_err(h, "hubd: no hubd_url set");
    return -1;
  }
  for (n = strlen(f->url); n > 0 && f->url[n - 1] == '/'; n--) f->url[n - 1] = 0;
  pull = hub__kv_get(h, KV_PULL);
  if (plan_push(h, r, f) == 0 && plan_pull(h, r, f, pull) == 0) rc = 0;
  hub_free(pull);
  return rc;
}

/* ---- answers ------------------------------------------------------------------------------- */

static void count_item(void *ud, hub__upsert_result res, int64_t id) { hub__run_count(ud, res, id); }

/* hubd took a page of our actions: the push cursor moves on, and the next page is planned. */
static int pushed(hub *h, hub__run *r, const follow *f, const hub__task *t, const cJSON *body) {
  long long n = 0;
  char next[HUB_REPLICA_ORIGIN_MAX + 40];
  if (!t->arg || sscanf(t->arg, "%lld %71s", &n, next) != 2) return hub__set_err(h, "hubd: a push without its cursor"), -1;
  if (!cJSON_IsObject(body) || !cJSON_GetObjectItemCaseSensitive(body, "applied"))
    return hub__set_err(h, "hubd: the answer to a push is not apply's"), -1;
  if (hub__kv_set(h, KV_PUSH, next)) return -1;
  hub__run_stat(r, "pushed", n);
  if (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(body, "stale")) > 0)
    hub__run_stat(r, "pushed_stale", (int64_t)hub__num_clamp(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(body, "stale")), 0, 100000));
  return n >= HUB_REPLICA_PAGE ? plan_push(h, r, f) : 0;
}

/* A page of hubd's changes, applied; the pull cursor moves with it. */
static int pulled(hub *h, hub__run *r, const follow *f, const cJSON *body, int64_t now) {
  const cJSON *changes = cJSON_GetObjectItemCaseSensitive(body, "changes");
  const char *next = hub__json_str(body, "next");
  char o[HUB_REPLICA_ORIGIN_MAX + 1];
  int64_t seq;
  hub__replica_counts c;
  int rc;
  memset(&c, 0, sizeof c);
  c.on_item = count_item;
  c.ud = r;
  if (!cJSON_IsArray(changes) || !next || hub__replica_cursor_parse(next, o, &seq))
    return hub__set_err(h, "hubd: the answer is not a page of changes"), -1;
  rc = hub__replica_apply(h, changes, HUB_SCOPE_ALL, NULL, now, &c);
  if (rc == -2) {
    char msg[sizeof h->errmsg];
    snprintf(msg, sizeof msg, "%s", h->errmsg);
    hub__set_err(h, "hubd sent a change this database cannot take: %.400s", msg);
  }
  if (rc || hub__kv_set(h, KV_PULL, next)) return -1;
  if (c.gone) hub__run_stat(r, "gone", c.gone);
  if (c.applied) hub__run_stat(r, "applied", c.applied);
  if (c.outbox) hub__run_stat(r, "outbox", c.outbox);
  return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "more")) ? plan_pull(h, r, f, next) : 0;
}

static int fo_parse(hub *h, hub__run *r, void *state, const hub__task *t, const cJSON *body, const cJSON *headers,
                    int64_t now) {
  (void)headers;
  return t->kind == T_PUSH ? pushed(h, r, state, t, body) : pulled(h, r, state, body, now);
}

static int fo_headers(hub *h, hub__run *r, void *state, const hub__task *t, cJSON *hdrs) {
  const follow *f = state;
  char *auth = NULL;
  int rc = 0;
  (void)r;
  if (!cJSON_AddStringToObject(hdrs, "Accept", "application/json")) rc = -1;
  if (rc == 0 && t->body && !cJSON_AddStringToObject(hdrs, "Content-Type", "application/json")) rc = -1;
  if (rc == 0 && f->key && *f->key && hub__url_same_origin(t->url, f->url)) { /* the key goes to hubd only */
    auth = hub__printf("Bearer %s", f->key);
    if (!auth || !cJSON_AddStringToObject(hdrs, "Authorization", auth)) rc = -1;
  }
  if (auth) memset(auth, 0, strlen(auth));
  hub_free(auth);
  if (rc) hub__set_err(h, "out of memory");
  return rc;
}

static void fo_bucket(const hub__task *t, char *buf, size_t n) {
  (void)t;
  snprintf(buf, n, "hubd");
}

/* 401/403: hubd refuses the key — the run stops, saying where the key is set. */
static hub__refusal fo_refused(void *state, const hub__task *t, int status, const cJSON *headers, const cJSON *body,
                               int64_t now, hub__refused *out) {
  (void)state, (void)t, (void)headers, (void)body, (void)now;
  if (status != 401 && status != 403) return HUB_REFUSE_DEFAULT;
  out->code = HUB_E_TOKEN_REJECTED;
  snprintf(out->message, sizeof out->message, "hubd refused the key (%d): check hubd_key in Settings", status);
  return HUB_REFUSE_FATAL;
}

static void fo_scope(void *state, const hub__task *t, char out[65]) {
  (void)state;
  (void)t;
  snprintf(out, 65, "hubd");
}

const hub__source hub__hubd_source = {"hubd", "hubd", fo_start, follow_free, fo_parse, NULL,
                                      fo_headers, fo_bucket, NULL, fo_refused, fo_scope, NULL};
