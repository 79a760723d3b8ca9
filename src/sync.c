/*
 * sync.c — the sans-I/O run engine shared by every source.
 *
 * sync_start opens a run and lets the sources plan; sync_next returns the next request
 * (or when to come back, or done); sync_feed takes the answer. One request is in flight at
 * a time (requests for one GitHub token are serial). Statuses are handled here, once:
 *   2xx  → parse in one transaction with the new validators; a failure rolls the batch back
 *   304  → nothing written; the stored next page (if any) is followed
 *   401  → the run stops: "token rejected"
 *   403/429 → Retry-After, else reset time when remaining is 0, else exponential backoff ≥ 60 s
 *   5xx, network errors → up to 3 retries, exponential backoff with jitter
 *   404/410/422 → recorded and skipped
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sync_int.h"

static const hub__source *const sources[] = {&hub__github_source, &hub__tangled_source,
                                             &hub__gfi_source};

static void task_free(hub__task *t) {
  if (!t) return;
  hub_free(t->url);
  hub_free(t->arg);
  hub_free(t);
}

void hub__sync_free(hub *h) {
  hub__sync *s = h->sync;
  hub__task *t, *n;
  if (!s) return;
  for (t = s->head; t; t = n) {
    n = t->next;
    task_free(t);
  }
  task_free(s->inflight);
  cJSON_Delete(s->errors);
  cJSON_Delete(s->seen);
  cJSON_Delete(s->skips);
  if (s->token) memset(s->token, 0, strlen(s->token));
  hub_free(s->token);
  hub_free(s->api_base);
  hub_free(s);
  h->sync = NULL;
}

int hub__sync_enqueue(hub *h, hub__sync *s, const hub__source *src, int kind, const char *url,
                      const char *arg, int conditional) {
  hub__task *t;
  if (cJSON_GetObjectItemCaseSensitive(s->seen, url)) return 0;
  if (s->ntasks >= HUB_MAX_TASKS) {
    hub__set_err(h, "more than %d requests planned in one run", HUB_MAX_TASKS);
    return -1;
  }
  t = hub__malloc(sizeof *t);
  if (!t) goto oom;
  memset(t, 0, sizeof *t);
  t->src = src;
  t->kind = kind;
  t->page = 1;
  t->conditional = conditional;
  t->url = hub__strdup(url);
  t->arg = arg ? hub__strdup(arg) : NULL;
  if (!t->url || (arg && !t->arg) || !cJSON_AddTrueToObject(s->seen, url)) goto oom;
  if (s->tail) s->tail->next = t;
  else s->head = t;
  s->tail = t;
  s->ntasks++;
  return 0;
oom:
  task_free(t);
  hub__set_err(h, "out of memory");
  return -1;
}

/* Puts t back at the head of the queue (retry, wait, next page). */
static void push_front(hub__sync *s, hub__task *t) {
  t->next = s->head;
  s->head = t;
  if (!s->tail) s->tail = t;
}

static hub__task *pop(hub__sync *s) {
  hub__task *t = s->head;
  if (!t) return NULL;
  s->head = t->next;
  if (!s->head) s->tail = NULL;
  t->next = NULL;
  return t;
}

void hub__sync_count(hub__sync *s, hub__upsert_result r) {
  hub__srcstat *p = &s->per[s->cur];
  if (r == HUB_UPSERT_NEW) { s->n_new++; p->n_new++; }
  else if (r == HUB_UPSERT_UPDATED) { s->n_updated++; p->n_updated++; }
  else { s->n_unchanged++; p->n_unchanged++; }
}

void hub__sync_skip(hub__sync *s, const char *reason) {
  cJSON *n = cJSON_GetObjectItemCaseSensitive(s->skips, reason);
  s->n_skipped++;
  s->per[s->cur].n_skipped++;
  if (cJSON_IsNumber(n)) cJSON_SetNumberValue(n, n->valuedouble + 1);
  else if (cJSON_GetArraySize(s->skips) < 50) cJSON_AddNumberToObject(s->skips, reason, 1);
}

static int source_index(const hub__source *src) {
  int i;
  for (i = 0; i < (int)(sizeof sources / sizeof sources[0]); i++)
    if (sources[i] == src) return i;
  return 0;
}

void hub__sync_note(hub__sync *s, const char *url, const char *msg) {
  cJSON *e = cJSON_CreateObject();
  if (!e) return;
  cJSON_AddStringToObject(e, "url", url ? url : "");
  cJSON_AddStringToObject(e, "message", msg);
  if (cJSON_GetArraySize(s->errors) < 100) hub__push(s->errors, e);
  else cJSON_Delete(e);
}

static const char *hdr(const cJSON *headers, const char *name) {
  const cJSON *v = cJSON_GetObjectItem(headers, name); /* case-insensitive */
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int64_t hdr_int(const cJSON *headers, const char *name, int64_t dflt) {
  const char *v = hdr(headers, name);
  char *end;
  long long n;
  if (!v) return dflt;
  n = strtoll(v, &end, 10);
  return end == v ? dflt : (int64_t)n;
}

static const char *task_resource(const hub__task *t) {
  return t->src->resource ? t->src->resource(t) : t->src->name;
}

static hub__limit *limit_for(hub__sync *s, const char *name) {
  int i;
  for (i = 0; i < s->nlim; i++)
    if (strcmp(s->lim[i].name, name) == 0) return &s->lim[i];
  if (s->nlim == HUB_MAX_LIMITS) return NULL;
  memset(&s->lim[s->nlim], 0, sizeof s->lim[0]);
  snprintf(s->lim[s->nlim].name, sizeof s->lim[0].name, "%s", name);
  return &s->lim[s->nlim++];
}

/* GitHub's x-ratelimit-* headers, else the ratelimit-* ones AT Protocol PDSes send (reset as
 * epoch seconds, or as seconds from now when small). */
static void track_limits(hub__sync *s, const hub__task *t, const cJSON *headers, int64_t now) {
  const char *res = hdr(headers, "x-ratelimit-resource");
  const char *pre = hdr(headers, "x-ratelimit-remaining") ? "x-ratelimit-" : "ratelimit-";
  char name[40];
  int64_t reset;
  hub__limit *l;
  snprintf(name, sizeof name, "%sremaining", pre);
  if (!hdr(headers, name)) return;
  l = limit_for(s, res ? res : task_resource(t));
  if (!l) return;
  l->known = 1;
  l->remaining = hdr_int(headers, name, l->remaining);
  snprintf(name, sizeof name, "%slimit", pre);
  l->limit = hdr_int(headers, name, l->limit);
  snprintf(name, sizeof name, "%sreset", pre);
  reset = hdr_int(headers, name, -1);
  if (reset >= 0) l->reset_ms = reset < 1000000000 ? now + reset * 1000 : reset * 1000;
}

static cJSON *run_json(hub__sync *s, const char *status) {
  cJSON *r = cJSON_CreateObject(), *lim;
  int i;
  if (!r) return NULL;
  cJSON_AddNumberToObject(r, "id", (double)s->run_id);
  cJSON_AddStringToObject(r, "status", status);
  cJSON_AddNumberToObject(r, "new", (double)s->n_new);
  cJSON_AddNumberToObject(r, "updated", (double)s->n_updated);
  cJSON_AddNumberToObject(r, "unchanged", (double)s->n_unchanged);
  cJSON_AddNumberToObject(r, "skipped", (double)s->n_skipped);
  cJSON_AddNumberToObject(r, "requests", (double)s->n_requests);
  cJSON_AddNumberToObject(r, "not_modified", (double)s->n_not_modified);
  cJSON_AddNumberToObject(r, "charged", (double)s->n_charged);
  cJSON_AddNumberToObject(r, "retries", (double)s->n_retries);
  cJSON_AddNumberToObject(r, "waited_ms", (double)s->waited_ms);
  cJSON_AddNumberToObject(r, "planned", (double)s->ntasks);
  hub__put(r, "errors", cJSON_Duplicate(s->errors, 1));
  hub__put(r, "skip_reasons", cJSON_Duplicate(s->skips, 1));
  {
    cJSON *per = cJSON_AddObjectToObject(r, "sources");
    for (i = 0; per && i < (int)(sizeof sources / sizeof sources[0]); i++) {
      const hub__srcstat *p = &s->per[i];
      cJSON *o;
      if (!p->n_requests && !p->n_new && !p->n_updated && !p->n_unchanged && !p->n_skipped) continue;
      o = cJSON_AddObjectToObject(per, sources[i]->name);
      if (!o) break;
      cJSON_AddNumberToObject(o, "new", (double)p->n_new);
      cJSON_AddNumberToObject(o, "updated", (double)p->n_updated);
      cJSON_AddNumberToObject(o, "unchanged", (double)p->n_unchanged);
      cJSON_AddNumberToObject(o, "skipped", (double)p->n_skipped);
      cJSON_AddNumberToObject(o, "requests", (double)p->n_requests);
      cJSON_AddNumberToObject(o, "not_modified", (double)p->n_not_modified);
      cJSON_AddNumberToObject(o, "charged", (double)p->n_charged);
    }
  }
  lim = cJSON_AddObjectToObject(r, "limits");
  for (i = 0; lim && i < s->nlim; i++) {
    cJSON *o = cJSON_AddObjectToObject(lim, s->lim[i].name);
    if (!o) break;
    cJSON_AddNumberToObject(o, "remaining", (double)s->lim[i].remaining);
    cJSON_AddNumberToObject(o, "limit", (double)s->lim[i].limit);
    cJSON_AddNumberToObject(o, "reset", (double)(s->lim[i].reset_ms / 1000));
  }
  return r;
}

/* Writes the run row (status and counters). */
static int save_run(hub *h, hub__sync *s, const char *status, int64_t now_ms) {
  sqlite3_stmt *st = NULL;
  char *errors = cJSON_PrintUnformatted(s->errors), *limits = NULL, *per = NULL, *skips = NULL;
  cJSON *rj = run_json(s, status);
  int rc = -1;
  if (rj) {
    limits = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(rj, "limits"));
    per = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(rj, "sources"));
    skips = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(rj, "skip_reasons"));
  }
  if (sqlite3_prepare_v2(h->db,
                         "UPDATE runs SET finished=?,status=?,new=?,updated=?,unchanged=?,skipped=?,"
                         "requests=?,not_modified=?,charged=?,retries=?,waited_ms=?,errors=?,limits=?,"
                         "sources=?,skip_reasons=? WHERE id=?",
                         -1, &st, NULL) != SQLITE_OK)
    goto done;
  if (strcmp(status, "running") == 0) sqlite3_bind_null(st, 1);
  else sqlite3_bind_int64(st, 1, now_ms);
  sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, s->n_new);
  sqlite3_bind_int64(st, 4, s->n_updated);
  sqlite3_bind_int64(st, 5, s->n_unchanged);
  sqlite3_bind_int64(st, 6, s->n_skipped);
  sqlite3_bind_int64(st, 7, s->n_requests);
  sqlite3_bind_int64(st, 8, s->n_not_modified);
  sqlite3_bind_int64(st, 9, s->n_charged);
  sqlite3_bind_int64(st, 10, s->n_retries);
  sqlite3_bind_int64(st, 11, s->waited_ms);
  sqlite3_bind_text(st, 12, errors ? errors : "[]", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 13, limits ? limits : "{}", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 14, per ? per : "{}", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 15, skips ? skips : "{}", -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 16, s->run_id);
  rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
done:
  if (rc) hub__set_err(h, "sqlite: %s", sqlite3_errmsg(h->db));
  sqlite3_finalize(st);
  hub_free(errors);
  hub_free(limits);
  hub_free(per);
  hub_free(skips);
  cJSON_Delete(rj);
  return rc;
}

static int64_t num_field(const cJSON *req, const char *name, int64_t dflt) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, name);
  return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : dflt;
}

cJSON *hub__sync_start(hub *h, const cJSON *req) {
  hub__sync *s = NULL;
  int64_t now = num_field(req, "now", -1);
  char *tok = NULL, *api = NULL;
  size_t i;
  cJSON *res;
  if (now < 0) return hub__error_json(HUB_E_BAD_REQUEST, "sync_start needs \"now\" (ms)");
  if (h->sync) { /* a new start abandons an unfinished run, and says so in its record */
    hub__sync_note(h->sync, NULL, "abandoned: a new sync started");
    save_run(h, h->sync, "aborted", now);
    hub__sync_free(h);
  }
  s = hub__malloc(sizeof *s);
  if (!s) return hub__error_json(HUB_E_NOMEM, NULL);
  memset(s, 0, sizeof *s);
  h->sync = s;
  s->errors = cJSON_CreateArray();
  s->seen = cJSON_CreateObject();
  s->skips = cJSON_CreateObject();
  {
    /* per-run overrides (the CLI's GITHUB_TOKEN / HUB_GITHUB_API): used, never stored */
    const cJSON *ot = cJSON_GetObjectItemCaseSensitive(req, "token");
    const cJSON *oa = cJSON_GetObjectItemCaseSensitive(req, "api");
    tok = cJSON_IsString(ot) && *ot->valuestring ? hub__strdup(ot->valuestring)
                                                 : hub__setting_get(h, "github_token");
    api = cJSON_IsString(oa) && *oa->valuestring ? hub__strdup(oa->valuestring)
                                                 : hub__setting_get(h, "github_api");
  }
  s->token = tok;
  s->api_base = api ? api : hub__strdup("https://api.github.com");
  if (!s->errors || !s->seen || !s->skips || !s->api_base) goto oom;
  { size_t n = strlen(s->api_base); while (n && s->api_base[n - 1] == '/') s->api_base[--n] = 0; }
  if (s->token && *s->token) hub__sha256_hex(s->token, strlen(s->token), s->tok_hash);
  else snprintf(s->tok_hash, sizeof s->tok_hash, "anonymous");
  s->rng = (uint64_t)now ^ 0x5deece66dULL;
  s->started_ms = now;
  s->next_id = 1;
  {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h->db, "INSERT INTO runs(started,status) VALUES(?, 'running')", -1, &st,
                           NULL) != SQLITE_OK ||
        (sqlite3_bind_int64(st, 1, now), sqlite3_step(st)) != SQLITE_DONE) {
      hub__set_err(h, "sqlite: %s", sqlite3_errmsg(h->db));
      sqlite3_finalize(st);
      hub__sync_free(h);
      return hub__error_json(HUB_E_DB, h->errmsg);
    }
    sqlite3_finalize(st);
    s->run_id = sqlite3_last_insert_rowid(h->db);
  }
  for (i = 0; i < sizeof sources / sizeof sources[0]; i++) {
    if (sources[i]->start(h, s, now)) {
      cJSON *e = hub__error_json(HUB_E_BAD_REQUEST, h->errmsg);
      hub__sync_note(s, NULL, h->errmsg);
      save_run(h, s, "error", now);
      hub__sync_free(h);
      return e;
    }
  }
  res = cJSON_CreateObject();
  cJSON_AddNumberToObject(res, "run", (double)s->run_id);
  cJSON_AddNumberToObject(res, "planned", (double)s->ntasks);
  return res;
oom:
  hub__sync_free(h);
  return hub__error_json(HUB_E_NOMEM, NULL);
}

/* Adds the request headers for t: the source's own (accept, auth) and a validator. */
static int add_request_headers(hub *h, hub__sync *s, hub__task *t, cJSON *hdrs) {
  char *etag = NULL, *lastmod = NULL, *next = NULL;
  if (t->src->headers && t->src->headers(h, s, t, hdrs)) return -1;
  if (hub__validator_get(h, s->tok_hash, t->url, &etag, &lastmod, &next)) return -1;
  if (t->conditional && lastmod) cJSON_AddStringToObject(hdrs, "If-Modified-Since", lastmod);
  else if (etag) cJSON_AddStringToObject(hdrs, "If-None-Match", etag);
  hub_free(etag);
  hub_free(lastmod);
  hub_free(next);
  return 0;
}

static cJSON *finish(hub *h, hub__sync *s, int64_t now) {
  const char *status = s->fatal ? "error" : (cJSON_GetArraySize(s->errors) ? "partial" : "ok");
  cJSON *res = cJSON_CreateObject(), *run;
  save_run(h, s, status, now);
  run = run_json(s, status);
  hub__put(res, "fetch", cJSON_CreateArray());
  cJSON_AddNullToObject(res, "wait_until");
  cJSON_AddTrueToObject(res, "done");
  hub__put(res, "run", run);
  hub__sync_free(h);
  return res;
}

/* Adds {"requests","planned","new","updated"} so a driver can draw a progress bar. */
static void add_progress(cJSON *res, const hub__sync *s) {
  cJSON *p = cJSON_AddObjectToObject(res, "progress");
  if (!p) return;
  cJSON_AddNumberToObject(p, "requests", (double)s->n_requests);
  cJSON_AddNumberToObject(p, "planned", (double)s->ntasks);
  cJSON_AddNumberToObject(p, "new", (double)s->n_new);
  cJSON_AddNumberToObject(p, "updated", (double)s->n_updated);
}

cJSON *hub__sync_next(hub *h, const cJSON *req) {
  hub__sync *s = h->sync;
  int64_t now = num_field(req, "now", -1), when;
  hub__task *t;
  hub__limit *l;
  cJSON *res, *fetch, *r, *hdrs;
  if (now < 0) return hub__error_json(HUB_E_BAD_REQUEST, "sync_next needs \"now\" (ms)");
  if (!s) return hub__error_json(HUB_E_STATE, "no sync run is active; send sync_start first");
  if (s->inflight) {
    res = cJSON_CreateObject();
    hub__put(res, "fetch", cJSON_CreateArray());
    cJSON_AddNullToObject(res, "wait_until");
    cJSON_AddFalseToObject(res, "done");
    cJSON_AddNumberToObject(res, "pending", (double)s->inflight_id);
    add_progress(res, s);
    return res;
  }
  if (s->fatal || !s->head) return finish(h, s, now);
  t = s->head;
  when = t->not_before_ms;
  l = limit_for(s, task_resource(t));
  if (l && l->known && l->remaining <= 0 && l->reset_ms > when) when = l->reset_ms;
  if (when > now) {
    if (when != s->last_wait_until) {
      s->waited_ms += when - now;
      s->last_wait_until = when;
    }
    res = cJSON_CreateObject();
    hub__put(res, "fetch", cJSON_CreateArray());
    cJSON_AddNumberToObject(res, "wait_until", (double)when);
    cJSON_AddFalseToObject(res, "done");
    add_progress(res, s);
    return res;
  }
  res = cJSON_CreateObject();
  fetch = cJSON_AddArrayToObject(res, "fetch");
  r = cJSON_CreateObject();
  if (!fetch || !r || !cJSON_AddItemToArray(fetch, r)) {
    cJSON_Delete(r);
    cJSON_Delete(res);
    return hub__error_json(HUB_E_NOMEM, NULL);
  }
  t = pop(s);
  s->inflight = t;
  s->inflight_id = s->next_id++;
  cJSON_AddNumberToObject(r, "id", (double)s->inflight_id);
  cJSON_AddStringToObject(r, "method", "GET");
  cJSON_AddStringToObject(r, "url", t->url);
  hdrs = cJSON_AddObjectToObject(r, "headers");
  cJSON_AddNumberToObject(r, "timeout_ms", 30000);
  if (!hdrs || add_request_headers(h, s, t, hdrs)) {
    cJSON_Delete(res);
    return hub__error_json(HUB_E_NOMEM, NULL);
  }
  cJSON_AddNullToObject(res, "wait_until");
  cJSON_AddFalseToObject(res, "done");
  add_progress(res, s);
  return res;
}

/* Schedules a retry of t after a backoff: base · 2^(attempt-1) plus up to 1 s of jitter. */
static void retry_later(hub__sync *s, hub__task *t, int64_t now, int64_t base_ms) {
  int64_t backoff = base_ms << (t->attempts > 1 ? t->attempts - 1 : 0);
  backoff += (int64_t)(hub__rand(&s->rng) % 1000);
  t->not_before_ms = now + backoff;
  s->n_retries++;
  push_front(s, t);
}

static char *body_message(const cJSON *body) {
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(body, "message");
  return cJSON_IsString(m) ? m->valuestring : NULL;
}

cJSON *hub__sync_feed(hub *h, const cJSON *req) {
  hub__sync *s = h->sync;
  int64_t now = num_field(req, "now", -1), id = num_field(req, "id", -1);
  const cJSON *status_j = cJSON_GetObjectItemCaseSensitive(req, "status");
  const cJSON *headers = cJSON_GetObjectItemCaseSensitive(req, "headers");
  const cJSON *body_j = cJSON_GetObjectItemCaseSensitive(req, "body");
  const cJSON *err_j = cJSON_GetObjectItemCaseSensitive(req, "error");
  cJSON *body = NULL, *res = NULL;
  hub__task *t;
  int status;
  char msg[600];

  if (now < 0) return hub__error_json(HUB_E_BAD_REQUEST, "sync_feed needs \"now\" (ms)");
  if (!s || !s->inflight || id != s->inflight_id)
    return hub__error_json(HUB_E_STATE, "sync_feed: no request with that id is in flight");
  if (!cJSON_IsString(err_j) && !cJSON_IsNumber(status_j))
    return hub__error_json(HUB_E_BAD_REQUEST, "sync_feed needs \"status\" or \"error\"");
  if (headers && !cJSON_IsObject(headers))
    return hub__error_json(HUB_E_BAD_TYPE, "sync_feed: \"headers\" must be an object");
  if (body_j && !cJSON_IsString(body_j) && !cJSON_IsNull(body_j))
    return hub__error_json(HUB_E_BAD_TYPE, "sync_feed: \"body\" must be a string");
  t = s->inflight;
  s->inflight = NULL;
  s->cur = source_index(t->src);
  s->n_requests++;
  s->per[s->cur].n_requests++;

  if (cJSON_IsString(err_j)) { /* network error, timeout, truncated transfer */
    if (t->attempts < HUB_MAX_RETRIES) {
      t->attempts++;
      retry_later(s, t, now, 1000);
    } else {
      snprintf(msg, sizeof msg, "network error after %d retries: %.300s", HUB_MAX_RETRIES,
               err_j->valuestring);
      hub__sync_note(s, t->url, msg);
      task_free(t);
    }
    goto ok;
  }
  status = (int)status_j->valuedouble;
  track_limits(s, t, headers, now);
  if (status != 304) {
    s->n_charged++;
    s->per[s->cur].n_charged++;
  }

  if (status == 304) {
    char *etag = NULL, *lastmod = NULL, *next = NULL;
    s->n_not_modified++;
    s->per[s->cur].n_not_modified++;
    if (t->src->answered && t->src->answered(h, s, t, status, headers, now)) goto fail_task;
    if (hub__validator_get(h, s->tok_hash, t->url, &etag, &lastmod, &next)) goto fail_task;
    hub_free(etag);
    hub_free(lastmod);
    if (next) { /* the stored rows stand; walk on through the stored next page */
      int rc = hub__sync_enqueue(h, s, t->src, t->kind, next, t->arg, 0);
      hub_free(next);
      if (rc) goto fail_task;
    }
    task_free(t);
    goto ok;
  }
  if (status >= 200 && status < 300) {
    const char *b = cJSON_IsString(body_j) ? body_j->valuestring : "";
    size_t blen = strlen(b);
    char *next = NULL;
    const char *end = NULL;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "body_too_large")) || blen > HUB_MAX_BODY) {
      if (blen <= HUB_MAX_BODY) blen = (size_t)HUB_MAX_BODY + 1;
      snprintf(msg, sizeof msg, "response body is over the %u-byte limit; nothing stored",
               (unsigned)HUB_MAX_BODY);
      hub__sync_note(s, t->url, msg);
      task_free(t);
      goto ok;
    }
    body = cJSON_ParseWithLengthOpts(b, blen, &end, 0);
    if (!body && t->text) body = cJSON_CreateString(b); /* e.g. /.well-known/atproto-did */
    if (!body) {
      size_t at = end && end >= b ? (size_t)(end - b) : 0;
      snprintf(msg, sizeof msg, "invalid JSON in the response (at byte %zu of %zu); nothing stored",
               at, blen);
      hub__sync_note(s, t->url, msg);
      task_free(t);
      goto ok;
    }
    next = hub__link_next(hdr(headers, "link"));
    if (hub__store_begin(h)) {
      hub_free(next);
      goto fail_task;
    }
    {
      int64_t n0 = s->n_new, u0 = s->n_updated, c0 = s->n_unchanged, k0 = s->n_skipped;
      hub__srcstat p0 = s->per[s->cur];
      if (t->src->parse(h, s, t, body, headers, now) ||
          (t->src->answered && t->src->answered(h, s, t, status, headers, now)) ||
          hub__validator_put(h, s->tok_hash, t->url, hdr(headers, "etag"),
                             hdr(headers, "last-modified"), next) ||
          hub__store_commit(h)) {
        hub__store_rollback(h);
        /* the batch is undone: so are its counts (queued follow-ups stay harmless) */
        s->n_new = n0; s->n_updated = u0; s->n_unchanged = c0; s->n_skipped = k0;
        s->per[s->cur] = p0;
        hub_free(next);
        snprintf(msg, sizeof msg, "%s; nothing from this response was stored", h->errmsg);
        hub__sync_note(s, t->url, msg);
        task_free(t);
        goto ok;
      }
    }
    if (next) {
      int rc = hub__sync_enqueue(h, s, t->src, t->kind, next, t->arg, 0);
      hub_free(next);
      if (rc) goto fail_task;
    }
    task_free(t);
    goto ok;
  }
  /* error statuses */
  if (body_j && cJSON_IsString(body_j)) body = cJSON_Parse(body_j->valuestring);
  if (status == 401) {
    snprintf(msg, sizeof msg, "token rejected (401%s%.200s): check the GitHub token in settings",
             body_message(body) ? ": " : "", body_message(body) ? body_message(body) : "");
    hub__sync_note(s, t->url, msg);
    s->fatal = 1;
    task_free(t);
    goto ok;
  }
  if (status == 403 || status == 429) {
    int64_t retry_after = hdr_int(headers, "retry-after", -1);
    int64_t remaining = hdr_int(headers, "x-ratelimit-remaining", -1);
    int64_t reset = hdr_int(headers, "x-ratelimit-reset", -1);
    const char *m = body_message(body);
    int limited = status == 429 || retry_after >= 0 || remaining == 0 ||
                  (m && (strstr(m, "rate limit") || strstr(m, "Rate limit")));
    if (!limited) {
      snprintf(msg, sizeof msg, "forbidden (403%s%.200s); skipped", m ? ": " : "", m ? m : "");
      hub__sync_note(s, t->url, msg);
      hub__sync_skip(s, "forbidden (403)");
      task_free(t);
      goto ok;
    }
    if (t->rate_waits >= HUB_MAX_RATE_WAITS) {
      snprintf(msg, sizeof msg, "still rate-limited after %d waits; gave up", HUB_MAX_RATE_WAITS);
      hub__sync_note(s, t->url, msg);
      task_free(t);
      goto ok;
    }
    t->rate_waits++;
    if (retry_after >= 0) t->not_before_ms = now + retry_after * 1000;
    else if (remaining == 0 && reset > 0) t->not_before_ms = reset * 1000;
    else t->not_before_ms = now + (60000LL << (t->rate_waits - 1)) + (int64_t)(hub__rand(&s->rng) % 1000);
    s->n_retries++;
    push_front(s, t);
    goto ok;
  }
  if (status >= 500 || status == 408) {
    if (t->attempts < HUB_MAX_RETRIES) {
      t->attempts++;
      retry_later(s, t, now, 1000);
    } else {
      snprintf(msg, sizeof msg, "server error %d after %d retries", status, HUB_MAX_RETRIES);
      hub__sync_note(s, t->url, msg);
      task_free(t);
    }
    goto ok;
  }
  if (status == 404 || status == 410 || status == 422) {
    snprintf(msg, sizeof msg, "%d %s; skipped", status,
             status == 404 ? "not found" : (status == 410 ? "gone" : "unprocessable"));
    hub__sync_note(s, t->url, msg);
    hub__sync_skip(s, status == 404 ? "not found (404)" : (status == 410 ? "gone (410)" : "unprocessable (422)"));
    task_free(t);
    goto ok;
  }
  {
    /* XRPC errors are {"error","message"}; GitHub's {"message"} */
    const cJSON *xe = cJSON_GetObjectItemCaseSensitive(body, "error");
    const char *m = body_message(body);
    snprintf(msg, sizeof msg, "unexpected status %d%s%.100s%s%.200s; skipped", status,
             cJSON_IsString(xe) ? " " : "", cJSON_IsString(xe) ? xe->valuestring : "",
             m ? ": " : "", m ? m : "");
  }
  hub__sync_note(s, t->url, msg);
  task_free(t);
  goto ok;

fail_task:
  snprintf(msg, sizeof msg, "%s", h->errmsg);
  hub__sync_note(s, t->url, msg);
  task_free(t);
ok:
  cJSON_Delete(body);
  res = cJSON_CreateObject();
  cJSON_AddTrueToObject(res, "ok");
  return res;
}

cJSON *hub__sync_abort(hub *h, const cJSON *req) {
  cJSON *res = cJSON_CreateObject();
  const cJSON *why = cJSON_GetObjectItemCaseSensitive(req, "reason");
  if (h->sync) {
    hub__sync_note(h->sync, NULL, cJSON_IsString(why) ? why->valuestring : "aborted by the driver");
    save_run(h, h->sync, "aborted", h->sync->started_ms);
    hub__sync_free(h);
  }
  cJSON_AddTrueToObject(res, "ok");
  return res;
}
