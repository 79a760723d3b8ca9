/*
 * outbox.c — the outbox source: sends GitHub what the user's triage queued (sources layer;
 * the queue itself is triage/outbox.c). Registered first, so every sync — `hub sync`, the
 * page, hubd — tells GitHub before it asks GitHub anything.
 *
 * At the start of a run: finished entries older than HUB_OUTBOX_KEEP_MS are forgotten, the
 * auto-done rule runs (closed or merged items become done when the setting asks), and every
 * pending entry becomes one task with its method and body, in queue order, under GitHub's
 * credentials and rate limits (sources/ghread.c). Answers:
 *   2xx (204/205 without a body too)   sent; never sent again
 *   404/410                            dropped: the thread is gone; a note on the run and entry
 *   401                                the run stops (token rejected); the entry stays pending
 *   403/429 rate limits, 5xx, network  the engine's waits and retries; after them the entry
 *                                      stays pending with its last error, retried next sync
 *   any other refusal                  stays pending with the error (a note on the run)
 * Without a GitHub token the entries wait (statistic "waiting").
 */
#include <stdio.h>
#include <string.h>
#include "db/db.h"
#include "triage/triage.h"
#include "sources/sources.h"

#ifndef HUB_OUTBOX_PER_RUN
#define HUB_OUTBOX_PER_RUN 500 /* entries sent in one run; the rest wait for the next */
#endif

enum { T_SEND };

/* The task's arg: "<entry id> <action> <thread or ->". */
static int arg_read(const hub__task *t, int64_t *id, char *action, char *thread) {
  long long v = 0;
  if (!t->arg || sscanf(t->arg, "%lld %15s %39s", &v, action, thread) != 3 || v <= 0) return -1;
  *id = (int64_t)v;
  return 0;
}

/* Runs the auto-done rule in its own batch. 0 or -1. */
static int auto_done(hub *h, hub__run *r, int64_t now) {
  int n;
  if (!hub__setting_on(h, "auto_done_closed")) return 0;
  if (hub__db_begin(h)) return -1;
  n = hub__triage_auto_done(h, now);
  if (n < 0 || hub__db_commit(h)) {
    hub__db_rollback(h);
    return -1;
  }
  if (n > 0) hub__run_stat(r, "auto_done", n);
  return 0;
}

static int plan(hub *h, hub__run *r, const hub__gh *g, const cJSON *list) {
  const cJSON *e;
  cJSON_ArrayForEach(e, list) {
    int64_t id = 0;
    const char *th = hub__json_str(e, "thread");
    char *url = hub__printf("%s%s", g->api, hub__json_str(e, "path"));
    char *arg = NULL;
    int rc;
    hub__json_int(e, "id", 1, INT64_MAX / 2, &id);
    arg = hub__printf("%lld %s %s", (long long)id, hub__json_str(e, "action"), th ? th : "-");
    rc = url && arg ? hub__run_enqueue_req(h, r, &hub__outbox_source, T_SEND, hub__json_str(e, "method"), url,
                                           hub__json_str(e, "body"), arg, 0)
                    : -1;
    if (!url || !arg) hub__set_err(h, "out of memory");
    hub_free(url);
    hub_free(arg);
    if (rc) return -1;
  }
  return 0;
}

static int ob_start(hub *h, hub__run *r, const cJSON *opts, int64_t now, void **state) {
  hub__gh *g = NULL;
  cJSON *list = NULL;
  int rc = -1, n;
  if (hub__outbox_prune(h, now - HUB_OUTBOX_KEEP_MS) < 0 || auto_done(h, r, now)) return -1;
  list = hub__outbox_pending(h, HUB_OUTBOX_PER_RUN);
  if (!list) return -1;
  n = cJSON_GetArraySize(list);
  if (n == 0) {
    rc = 0;
    goto done;
  }
  g = hub__malloc(sizeof *g);
  if (!g) {
    hub__set_err(h, "out of memory");
    goto done;
  }
  if (hub__gh_init(h, opts, g)) {
    hub_free(g);
    goto done;
  }
  *state = g;
  if (!g->token) {
    hub__run_stat(r, "waiting", n); /* no credentials: nothing can be told yet */
    rc = 0;
    goto done;
  }
  rc = plan(h, r, g, list);
done:
  cJSON_Delete(list);
  return rc;
}

static void ob_finish(void *state) {
  if (!state) return;
  hub__gh_free(state);
  hub_free(state);
}

static int ob_parse(hub *h, hub__run *r, void *state, const hub__task *t, const cJSON *body,
                    const cJSON *headers, int64_t now) {
  int64_t id;
  char action[16], thread[40];
  (void)state;
  (void)body;
  (void)headers;
  if (arg_read(t, &id, action, thread)) {
    hub__set_err(h, "outbox: a task without its entry");
    return -1;
  }
  if (hub__outbox_sent(h, id, now)) return -1;
  hub__run_stat(r, "sent", 1);
  return 0;
}

static void ob_failed(hub *h, hub__run *r, void *state, const hub__task *t, int status, const char *msg,
                      int64_t now) {
  int64_t id;
  char action[16], thread[40];
  int drop = status == 404 || status == 410;
  (void)state;
  if (arg_read(t, &id, action, thread)) return;
  if (hub__outbox_failed(h, id, drop, msg, now) == 0) hub__run_stat(r, drop ? "dropped" : "failed", 1);
  else hub__run_note(r, t->url, h->errmsg);
}

static int ob_headers(hub *h, hub__run *r, void *state, const hub__task *t, cJSON *hdrs) {
  (void)h;
  (void)r;
  if (hub__gh_headers(state, t->url, hdrs)) return -1;
  return t->body && !cJSON_AddStringToObject(hdrs, "Content-Type", "application/json") ? -1 : 0;
}

static void ob_bucket(const hub__task *t, char *buf, size_t n) { hub__gh_bucket(t->url, buf, n); }

static int ob_limits(const hub__task *t, const cJSON *headers, int64_t now, hub__limits_read *out) {
  (void)t;
  return hub__gh_limits(headers, now, out);
}

/* GitHub's reading of refusals, except that a thread gone upstream drops the entry with a
 * note that says what was not applied. */
static hub__refusal ob_refused(void *state, const hub__task *t, int status, const cJSON *headers,
                               const cJSON *body, int64_t now, hub__refused *out) {
  int64_t id;
  char action[16], thread[40];
  if ((status == 404 || status == 410) && arg_read(t, &id, action, thread) == 0) {
    snprintf(out->message, sizeof out->message,
             "GitHub answered %d for notification thread %s: it is gone there, so its %s was dropped", status,
             thread, action);
    return HUB_REFUSE_SKIP;
  }
  return hub__gh_refused(state, status, headers, body, now, out);
}

static void ob_scope(void *state, const hub__task *t, char out[65]) {
  (void)t;
  snprintf(out, 65, "%s", ((const hub__gh *)state)->scope);
}

const hub__source hub__outbox_source = {"outbox", "Outbox to GitHub", ob_start, ob_finish, ob_parse, NULL,
                                        ob_headers, ob_bucket, ob_limits, ob_refused, ob_scope, ob_failed};
