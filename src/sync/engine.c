/*
 * engine.c — the sans-I/O run engine shared by every source (sync layer; see sync.h).
 *
 * One request is in flight at a time (requests for one GitHub token are serial, as GitHub
 * asks). Statuses are handled here, once, after the source has had its say (hub__source.refused):
 *   2xx      parse in one savepoint with the new validators; a failure rolls that page back
 *            and leaves earlier data and validators as they were (see "Groups" below)
 *   304      nothing written; the stored next page (if any) is followed
 *   401      the run stops (the source words the message: "token rejected ...")
 *   403/429  rate-limited: Retry-After, else the source's reset time, else backoff ≥ 60 s;
 *            a 403 that is not a rate limit is skipped with a note
 *   404/410  for a task marked GONE_OK (one subject, one listed repo): remembered as gone
 *            for a day and skipped quietly; otherwise a failure note
 *   5xx, 408, network errors: up to 3 retries with exponential backoff and jitter
 *   offline  (the driver says no response could be had) the run ends at once as "offline"
 * Waits longer than the run's max_wait_ms end the run as rate-limited (the driver never
 * decides that). A task that changes something upstream (method PATCH/PUT/DELETE/POST, with a
 * body) is planned with its method and body, is never conditional, keeps no validator, follows
 * no next page and is never remembered as gone; a 204/205 without a body (or any empty 2xx to
 * such a task) reaches parse() as NULL. A task that ends without a 2xx is reported to its
 * source (hub__source.failed).
 * A run's status: "ok"; "partial" when some request failed; "error" when the run was stopped
 * or every request failed; "offline"; "aborted".
 *
 * Groups. Each answer's rows and validators go into one SAVEPOINT; the savepoints of up to
 * HUB_GROUP_PAGES answers, or of HUB_GROUP_MS by the drivers' "now", share one transaction
 * (a "group"), committed when it is full or old enough, before any wait, at the run's end, at
 * abort, and before any command other than sync_next / sync_feed (hub__sync_flush, called by
 * the api layer and hub_close). A failed answer rolls back to its own savepoint: earlier pages
 * of the group and their validators stay and commit with the group. A crash or a failed
 * commit loses the whole open group — rows and validators together — so the next run asks for
 * those pages again, unconditionally. Why group: on OPFS each transaction costs journal writes
 * and flushes; one per 100-item page was most of the browser's core time, 50 pages per commit
 * halved it. The bound by time keeps a slow sync's rows reaching the disk (and other
 * connections) within about a second.
 *
 * Bodies come as the request's JSON string "body" (hub_call) or as bytes with their length
 * (hub_feed: h->body); both reach the same code below, parsed once.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db/db.h"
#include "sync/sync.h"
#include "base/events.h"

#define HUB_MAX_RETRIES 3     /* 5xx and network errors */
#define HUB_MAX_RATE_WAITS 5  /* 403/429 waits for one request */
#define HUB_MAX_SOURCES 8
#define HUB_MAX_LIMITS 16
#define GONE_MS (24LL * 3600 * 1000)
#define DEFAULT_MAX_WAIT_MS (15LL * 60 * 1000)
#define MAX_PAGE 100000
#ifndef HUB_GROUP_PAGES
#define HUB_GROUP_PAGES 50   /* answers per commit, at most (see "Groups") */
#endif
#ifndef HUB_GROUP_MS
#define HUB_GROUP_MS 1000    /* age of a group, by the drivers' now, that commits it */
#endif

typedef struct task {
  hub__task pub;  /* what the source sees; url, arg and body point at the owned copies */
  char *url, *arg, *body;
  char method[8];
  int src;        /* index into the run's sources */
  int attempts;   /* retries used after 5xx / network errors */
  int rate_waits; /* waits after 403/429 */
  int64_t not_before_ms;
  int waiting_for_rate; /* the current not_before is a rate-limit wait */
  struct task *next;
} task;

typedef struct {
  char name[24];
  int64_t remaining, limit, reset_ms;
  int known;
} limit;

typedef struct {
  int64_t n_new, n_updated, n_unchanged, n_skipped, n_requests, n_not_modified, n_charged;
  cJSON *extra; /* {"name": n} */
} srcstat;

struct hub__run {
  int64_t id, started_ms, max_wait_ms;
  const hub__source *const *src; /* the sources of this run: all, or pick (sync_start "sources") */
  const hub__source *pick[HUB_MAX_SOURCES];
  int nsrc;
  void *state[HUB_MAX_SOURCES];
  task *head, *tail, *inflight;
  int ntasks;
  int64_t inflight_id, next_id;
  int64_t n_new, n_updated, n_unchanged, n_skipped, n_requests, n_not_modified, n_charged, n_retries,
      n_answered, waited_ms, last_wait_until, retry_at;
  cJSON *errors; /* [{"url","message"}] */
  cJSON *seen;   /* URLs planned this run (a set) */
  cJSON *skips;  /* {"reason": n} */
  cJSON *created; /* ids of items first written in this run (a set) */
  int stop;      /* 0 running; else the run ends at the next sync_next */
  hub_err code;  /* why it stopped (token_rejected, offline, rate_limited) */
  uint64_t rng;
  limit lim[HUB_MAX_LIMITS];
  int nlim;
  srcstat per[HUB_MAX_SOURCES];
  int cur; /* the source being served */
  int group_open, group_pages; /* the open group transaction (see "Groups") and its answers */
  int64_t group_at;            /* when it was opened (the drivers' now) */
  int no_next; /* set by a source's parse(): the page's next page is not followed */
};

/* runs.c */
int64_t hub__runs_insert(hub *h, int64_t started_ms);
int hub__runs_close_stale(hub *h, int64_t now_ms);
int hub__runs_save(hub *h, int64_t id, const cJSON *run, int64_t finished_ms);

/* ---- tasks -------------------------------------------------------------------------------- */

static void task_free(task *t) {
  if (!t) return;
  hub_free(t->url);
  hub_free(t->arg);
  hub_free(t->body);
  hub_free(t);
}

void hub__sync_free(hub *h) {
  hub__run *r = h->run;
  task *t, *n;
  int i;
  if (!r) return;
  (void)hub__sync_flush(h); /* the pages fed are whole: keep them */
  for (t = r->head; t; t = n) {
    n = t->next;
    task_free(t);
  }
  task_free(r->inflight);
  for (i = 0; i < r->nsrc; i++) {
    if (r->src[i]->finish) r->src[i]->finish(r->state[i]);
    cJSON_Delete(r->per[i].extra);
  }
  cJSON_Delete(r->errors);
  cJSON_Delete(r->seen);
  cJSON_Delete(r->skips);
  cJSON_Delete(r->created);
  hub_free(r);
  h->run = NULL;
}

static int src_index(const hub__run *r, const hub__source *src) {
  int i;
  for (i = 0; i < r->nsrc; i++)
    if (r->src[i] == src) return i;
  return -1;
}

static void push_front(hub__run *r, task *t) {
  t->next = r->head;
  r->head = t;
  if (!r->tail) r->tail = t;
}

static task *pop(hub__run *r) {
  task *t = r->head;
  if (!t) return NULL;
  r->head = t->next;
  if (!r->head) r->tail = NULL;
  t->next = NULL;
  return t;
}

static int gone_now(hub *h, const char *url, int64_t at) {
  return hub__db_int(h, "SELECT count(*) FROM gone WHERE url=? AND until>?", "ti", 0, url, at) > 0;
}

/* 1 for a request that only reads (conditional, validators, next pages, gone things). */
static int is_get(const task *t) { return strcmp(t->method, "GET") == 0; }

/* The key of a request in the run's set of planned ones: the URL for a GET, else
 * "METHOD URL". New string or NULL. */
static char *seen_key(const char *method, const char *url) {
  return strcmp(method, "GET") == 0 ? hub__strdup(url) : hub__printf("%s %s", method, url);
}

int hub__run_enqueue(hub *h, hub__run *r, const hub__source *src, int kind, const char *url,
                     const char *arg, unsigned flags) {
  return hub__run_enqueue_req(h, r, src, kind, "GET", url, NULL, arg, flags);
}

int hub__run_enqueue_req(hub *h, hub__run *r, const hub__source *src, int kind, const char *method,
                         const char *url, const char *body, const char *arg, unsigned flags) {
  task *t = NULL;
  int si = src_index(r, src), get = strcmp(method, "GET") == 0, rc = 0;
  char msg[160], *key = NULL;
  if (si < 0) {
    hub__set_err(h, "a task for a source not in this run");
    return -1;
  }
  if (strlen(method) >= sizeof t->method || strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(method)) {
    hub__set_err(h, "a task with an unusable method");
    return -1;
  }
  key = seen_key(method, url);
  if (!key) goto oom;
  if (cJSON_GetObjectItemCaseSensitive(r->seen, key)) goto done;
  if (!hub__url_usable(url)) {
    snprintf(msg, sizeof msg, "not requested: only https:// (or http:// on this machine) URLs are fetched");
    hub__run_note(r, url, msg);
    goto done;
  }
  if (get && gone_now(h, url, r->started_ms)) {
    int cur = r->cur;
    r->cur = si;
    hub__run_skip(r, "gone upstream (404/410); asked again tomorrow");
    r->cur = cur;
    goto done;
  }
  if (r->ntasks >= HUB_MAX_TASKS) {
    hub__set_err(h, "more than %d requests planned in one run", HUB_MAX_TASKS);
    rc = -1;
    goto done;
  }
  t = hub__malloc(sizeof *t);
  if (!t) goto oom;
  memset(t, 0, sizeof *t);
  t->src = si;
  snprintf(t->method, sizeof t->method, "%s", method);
  t->url = hub__strdup(url);
  t->arg = arg ? hub__strdup(arg) : NULL;
  t->body = body && !get ? hub__strdup(body) : NULL;
  if (!t->url || (arg && !t->arg) || (body && !get && !t->body) || !cJSON_AddTrueToObject(r->seen, key)) goto oom;
  t->pub.kind = kind;
  t->pub.url = t->url;
  t->pub.arg = t->arg;
  t->pub.flags = flags;
  t->pub.method = t->method;
  t->pub.body = t->body;
  if (r->tail) r->tail->next = t;
  else r->head = t;
  r->tail = t;
  r->ntasks++;
  t = NULL;
  goto done;
oom:
  task_free(t);
  t = NULL;
  hub__set_err(h, "out of memory");
  rc = -1;
done:
  hub_free(key);
  return rc;
}

const hub__task *hub__run_find(hub__run *r, const hub__source *src, int kind, const char *arg) {
  task *t;
  int si = src_index(r, src);
  for (t = r->head; t; t = t->next)
    if (t->src == si && t->pub.kind == kind && t->arg && arg && strcmp(t->arg, arg) == 0) return &t->pub;
  return NULL;
}

int hub__run_retarget(hub *h, hub__run *r, const hub__task *pt, const char *url) {
  task *t;
  for (t = r->head; t; t = t->next) {
    char *u;
    if (&t->pub != pt) continue;
    u = hub__strdup(url);
    if (!u || !cJSON_AddTrueToObject(r->seen, url)) {
      hub_free(u);
      hub__set_err(h, "out of memory");
      return -1;
    }
    hub_free(t->url);
    t->url = u;
    t->pub.url = u;
    return 0;
  }
  return 0;
}

int hub__run_seen(const hub__run *r, const char *url) {
  return cJSON_GetObjectItemCaseSensitive(r->seen, url) != NULL;
}

int hub__run_queued(const hub__run *r, const hub__source *src, int kind) {
  const task *t;
  int n = 0, si = src_index(r, src);
  for (t = r->head; t; t = t->next) n += t->src == si && t->pub.kind == kind;
  return n;
}

void hub__run_no_next(hub__run *r) { r->no_next = 1; }
int64_t hub__run_id(const hub__run *r) { return r->id; }
int64_t hub__run_started_ms(const hub__run *r) { return r->started_ms; }
int hub__run_planned(const hub__run *r) { return r->ntasks; }

/* ---- counters ----------------------------------------------------------------------------- */

void hub__run_count(hub__run *r, hub__upsert_result res, int64_t item_id) {
  srcstat *p = &r->per[r->cur];
  char key[24];
  snprintf(key, sizeof key, "%lld", (long long)item_id);
  if (res == HUB_UPSERT_NEW) {
    r->n_new++;
    p->n_new++;
    if (item_id && r->created) cJSON_AddTrueToObject(r->created, key);
  } else if (res == HUB_UPSERT_UPDATED) {
    if (item_id && cJSON_GetObjectItemCaseSensitive(r->created, key)) return; /* still just new */
    r->n_updated++;
    p->n_updated++;
  } else {
    if (item_id && cJSON_GetObjectItemCaseSensitive(r->created, key)) return;
    r->n_unchanged++;
    p->n_unchanged++;
  }
}

static void bump(cJSON *obj, const char *name, double delta, int max_keys) {
  cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (cJSON_IsNumber(n)) cJSON_SetNumberValue(n, n->valuedouble + delta);
  else if (cJSON_GetArraySize(obj) < max_keys) cJSON_AddNumberToObject(obj, name, delta);
}

void hub__run_skip(hub__run *r, const char *reason) {
  r->n_skipped++;
  r->per[r->cur].n_skipped++;
  bump(r->skips, reason, 1, 50);
}

void hub__run_stat(hub__run *r, const char *name, int64_t delta) {
  srcstat *p = &r->per[r->cur];
  if (!p->extra) p->extra = cJSON_CreateObject();
  if (p->extra) bump(p->extra, name, (double)delta, 16);
}

void hub__run_note(hub__run *r, const char *url, const char *msg) {
  cJSON *e;
  if (cJSON_GetArraySize(r->errors) >= 100) return;
  e = cJSON_CreateObject();
  if (!e) return;
  cJSON_AddStringToObject(e, "url", url ? url : "");
  cJSON_AddStringToObject(e, "message", msg);
  if (r->cur >= 0 && r->cur < r->nsrc) cJSON_AddStringToObject(e, "source", r->src[r->cur]->name);
  hub__push(r->errors, e);
}

/* ---- validators and gone things ------------------------------------------------------------ */

static void scope_of(hub__run *r, const task *t, char out[65]) {
  const hub__source *s = r->src[t->src];
  if (s->scope) s->scope(r->state[t->src], &t->pub, out);
  else snprintf(out, 65, "anonymous");
}

typedef struct {
  char *etag, *lastmod, *next;
} validator;

static void validator_free(validator *v) {
  hub_free(v->etag);
  hub_free(v->lastmod);
  hub_free(v->next);
  memset(v, 0, sizeof *v);
}

static int validator_get(hub *h, const char *scope, const char *url, validator *v) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT etag,last_modified,next_url FROM validators WHERE token_hash=? AND url=?",
                               "tt", scope, url);
  memset(v, 0, sizeof *v);
  if (!st) return -1;
  if (sqlite3_step(st) == SQLITE_ROW) {
    v->etag = hub__db_col_dup(st, 0);
    v->lastmod = hub__db_col_dup(st, 1);
    v->next = hub__db_col_dup(st, 2);
  }
  hub__db_done(h, st);
  return 0;
}

static int validator_put(hub *h, const char *scope, const char *url, const char *etag, const char *lastmod,
                         const char *next) {
  return hub__db_run(h,
                     "INSERT INTO validators(token_hash,url,etag,last_modified,next_url) VALUES(?,?,?,?,?) "
                     "ON CONFLICT(token_hash,url) DO UPDATE SET etag=excluded.etag,"
                     "last_modified=excluded.last_modified,next_url=excluded.next_url "
                     "WHERE etag IS NOT excluded.etag OR last_modified IS NOT excluded.last_modified "
                     "OR next_url IS NOT excluded.next_url",
                     "ttttt", scope, url, etag, lastmod, next) < 0
             ? -1
             : 0;
}

int hub__run_forget(hub *h, hub__run *r, const hub__task *pt, const char *url) {
  const task *t = (const task *)(const void *)pt; /* pub is the first member */
  char scope[65];
  scope_of(r, t, scope);
  return hub__db_run(h, "DELETE FROM validators WHERE token_hash=? AND url=?", "tt", scope, url) < 0 ? -1 : 0;
}

int hub__run_stored_next(hub *h, hub__run *r, const hub__task *pt) {
  const task *t = (const task *)(const void *)pt; /* pub is the first member */
  char scope[65];
  validator v;
  int has;
  scope_of(r, t, scope);
  if (validator_get(h, scope, t->url, &v)) return -1;
  has = v.next != NULL;
  validator_free(&v);
  return has;
}

/* ---- answers' headers ------------------------------------------------------------------- */

static const char *hdr(const cJSON *headers, const char *name) {
  const cJSON *v = cJSON_GetObjectItem(headers, name); /* case-insensitive */
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Retry-After as an absolute time: delta-seconds or an HTTP-date. -1 when absent/malformed. */
static int64_t retry_after(const cJSON *headers, int64_t now) {
  const char *v = hdr(headers, "retry-after");
  int64_t s;
  if (!v) return -1;
  if (hub__parse_int(v, 0, INT64_MAX, &s) == 0) return hub__add_sat(now, hub__mul_sat(s, 1000));
  if (hub__parse_http_date(v, &s) == 0) return hub__mul_sat(s, 1000);
  return -1;
}

static limit *limit_for(hub__run *r, const char *name) {
  int i;
  for (i = 0; i < r->nlim; i++)
    if (strcmp(r->lim[i].name, name) == 0) return &r->lim[i];
  if (r->nlim == HUB_MAX_LIMITS) return NULL;
  memset(&r->lim[r->nlim], 0, sizeof r->lim[0]);
  snprintf(r->lim[r->nlim].name, sizeof r->lim[0].name, "%s", name);
  return &r->lim[r->nlim++];
}

static void bucket_of(hub__run *r, const task *t, char *buf, size_t n) {
  const hub__source *s = r->src[t->src];
  if (s->bucket) s->bucket(&t->pub, buf, n);
  else snprintf(buf, n, "%s", s->name);
}

static void track_limits(hub__run *r, const task *t, const cJSON *headers, int64_t now) {
  const hub__source *s = r->src[t->src];
  hub__limits_read lr;
  char name[24];
  limit *l;
  memset(&lr, 0, sizeof lr);
  if (!s->limits || !s->limits(&t->pub, headers, now, &lr)) return;
  if (lr.bucket[0]) snprintf(name, sizeof name, "%s", lr.bucket);
  else bucket_of(r, t, name, sizeof name);
  l = limit_for(r, name);
  if (!l) return;
  l->known = 1;
  l->remaining = lr.remaining;
  l->limit = lr.limit;
  l->reset_ms = lr.reset_ms;
}

/* ---- run records -------------------------------------------------------------------------- */

static const char *status_of(const hub__run *r) {
  if (r->stop == 2) return "aborted";
  if (r->code == HUB_E_OFFLINE) return "offline";
  if (r->stop) return "error";
  if (cJSON_GetArraySize(r->errors) == 0) return "ok";
  return r->n_answered == 0 && r->n_requests > 0 ? "error" : "partial";
}

static void add_counts(cJSON *o, int64_t nw, int64_t up, int64_t un, int64_t sk, int64_t rq, int64_t nm, int64_t ch) {
  cJSON_AddNumberToObject(o, "new", (double)nw);
  cJSON_AddNumberToObject(o, "updated", (double)up);
  cJSON_AddNumberToObject(o, "unchanged", (double)un);
  cJSON_AddNumberToObject(o, "skipped", (double)sk);
  cJSON_AddNumberToObject(o, "requests", (double)rq);
  cJSON_AddNumberToObject(o, "not_modified", (double)nm);
  cJSON_AddNumberToObject(o, "charged", (double)ch);
}

static cJSON *run_json(const hub__run *r, int64_t now) {
  cJSON *o = cJSON_CreateObject(), *per, *lim;
  int i;
  if (!o) return NULL;
  cJSON_AddNumberToObject(o, "id", (double)r->id);
  cJSON_AddNumberToObject(o, "started", (double)r->started_ms);
  cJSON_AddNumberToObject(o, "finished", (double)now);
  cJSON_AddStringToObject(o, "status", status_of(r));
  if (r->code != HUB_E_OK) cJSON_AddStringToObject(o, "code", hub__err_code(r->code));
  else cJSON_AddNullToObject(o, "code");
  add_counts(o, r->n_new, r->n_updated, r->n_unchanged, r->n_skipped, r->n_requests, r->n_not_modified, r->n_charged);
  cJSON_AddNumberToObject(o, "retries", (double)r->n_retries);
  cJSON_AddNumberToObject(o, "waited_ms", (double)r->waited_ms);
  cJSON_AddNumberToObject(o, "planned", (double)r->ntasks);
  if (r->retry_at) cJSON_AddNumberToObject(o, "retry_at", (double)r->retry_at);
  hub__put(o, "errors", cJSON_Duplicate(r->errors, 1));
  hub__put(o, "skip_reasons", cJSON_Duplicate(r->skips, 1));
  per = cJSON_AddObjectToObject(o, "sources");
  for (i = 0; per && i < r->nsrc; i++) {
    const srcstat *p = &r->per[i];
    cJSON *so;
    if (!p->n_requests && !p->n_new && !p->n_updated && !p->n_unchanged && !p->n_skipped && !p->extra) continue;
    so = cJSON_AddObjectToObject(per, r->src[i]->name);
    if (!so) break;
    add_counts(so, p->n_new, p->n_updated, p->n_unchanged, p->n_skipped, p->n_requests, p->n_not_modified, p->n_charged);
    if (p->extra) {
      const cJSON *e;
      cJSON_ArrayForEach(e, p->extra) cJSON_AddNumberToObject(so, e->string, e->valuedouble);
    }
  }
  lim = cJSON_AddObjectToObject(o, "limits");
  for (i = 0; lim && i < r->nlim; i++) {
    cJSON *lo;
    if (!r->lim[i].known) continue; /* never read from an answer: nothing to say */
    lo = cJSON_AddObjectToObject(lim, r->lim[i].name);
    if (!lo) break;
    cJSON_AddNumberToObject(lo, "remaining", (double)r->lim[i].remaining);
    cJSON_AddNumberToObject(lo, "limit", (double)r->lim[i].limit);
    cJSON_AddNumberToObject(lo, "reset", (double)(r->lim[i].reset_ms / 1000));
  }
  return o;
}

static int save(hub *h, hub__run *r, int64_t now, int finished) {
  cJSON *rj = run_json(r, now);
  int rc = rj ? hub__runs_save(h, r->id, rj, finished ? now : 0) : -1;
  cJSON_Delete(rj);
  return rc;
}

/* ---- sync_start ----------------------------------------------------------------------------- */

static cJSON *start_sources(hub *h, hub__run *r, const cJSON *req, int64_t now) {
  int i;
  for (i = 0; i < r->nsrc; i++) {
    r->cur = i;
    if (r->src[i]->start(h, r, req, now, &r->state[i])) {
      cJSON *e = hub__error_json(HUB_E_BAD_REQUEST, h->errmsg);
      hub__run_note(r, NULL, h->errmsg);
      r->stop = 1;
      save(h, r, now, 1);
      hub__sync_free(h);
      return e ? e : hub__error_json(HUB_E_NOMEM, NULL);
    }
  }
  return NULL;
}

/* The sources named by the request's "sources" (all when absent) into pick. Returns the
 * number picked, or -1 when a name is unknown or the member is not an array of strings. */
static int pick_sources(const cJSON *req, const hub__source *const *all, int nall, const hub__source **pick) {
  const cJSON *names = cJSON_GetObjectItemCaseSensitive(req, "sources"), *n;
  int i, np = 0;
  if (!names) {
    for (i = 0; i < nall; i++) pick[np++] = all[i];
    return np;
  }
  if (!cJSON_IsArray(names)) return -1;
  for (i = 0; i < nall; i++) { /* in the registry's order, each once */
    int want = 0;
    cJSON_ArrayForEach(n, names) want |= cJSON_IsString(n) && strcmp(n->valuestring, all[i]->name) == 0;
    if (want) pick[np++] = all[i];
  }
  cJSON_ArrayForEach(n, names) {
    int known = 0;
    for (i = 0; cJSON_IsString(n) && i < nall; i++) known |= strcmp(n->valuestring, all[i]->name) == 0;
    if (!known) return -1;
  }
  return np;
}

cJSON *hub__sync_start(hub *h, const cJSON *req, const hub__source *const *sources, int nsources) {
  hub__run *r;
  const hub__source *pick[HUB_MAX_SOURCES];
  int64_t now = 0, mw = DEFAULT_MAX_WAIT_MS;
  int npick;
  cJSON *res;
  if (hub__json_int(req, "now", 0, INT64_MAX / 4, &now) != 1)
    return hub__error_json(HUB_E_BAD_REQUEST, "sync_start needs \"now\" (ms)");
  if (hub__json_int(req, "max_wait_ms", 0, 7LL * 86400 * 1000, &mw) < 0)
    return hub__error_json(HUB_E_BAD_TYPE, "\"max_wait_ms\" must be a number of ms up to a week");
  if (nsources > HUB_MAX_SOURCES) return hub__error_json(HUB_E_STATE, "too many sources");
  npick = pick_sources(req, sources, nsources, pick);
  if (npick <= 0)
    return hub__error_field(HUB_E_BAD_REQUEST, "sources", "\"sources\" is a non-empty list of source names (see meta)");
  if (h->run) { /* a new start abandons an unfinished run, and says so in its record */
    hub__run_note(h->run, NULL, "abandoned: a new sync started");
    h->run->stop = 2;
    save(h, h->run, now, 1);
    hub__sync_free(h);
  }
  /* runs still "running" now were left by a process that stopped during them */
  if (hub__runs_close_stale(h, now) < 0) return hub__error_json(HUB_E_DB, h->errmsg);
  r = hub__malloc(sizeof *r);
  if (!r) return hub__error_json(HUB_E_NOMEM, NULL);
  memset(r, 0, sizeof *r);
  h->run = r;
  memcpy(r->pick, pick, (size_t)npick * sizeof pick[0]);
  r->src = r->pick;
  r->nsrc = npick;
  r->max_wait_ms = mw;
  r->errors = cJSON_CreateArray();
  r->seen = cJSON_CreateObject();
  r->skips = cJSON_CreateObject();
  r->created = cJSON_CreateObject();
  if (!r->errors || !r->seen || !r->skips || !r->created) {
    hub__sync_free(h);
    return hub__error_json(HUB_E_NOMEM, NULL);
  }
  r->rng = (uint64_t)now ^ 0x5deece66dULL;
  r->started_ms = now;
  r->next_id = 1;
  r->id = hub__runs_insert(h, now);
  if (r->id <= 0) {
    hub__sync_free(h);
    return hub__error_json(HUB_E_DB, h->errmsg);
  }
  res = start_sources(h, r, req, now);
  if (res) return res;
  res = cJSON_CreateObject();
  cJSON_AddNumberToObject(res, "run", (double)r->id);
  cJSON_AddNumberToObject(res, "planned", (double)r->ntasks);
  return res;
}

/* ---- sync_next ------------------------------------------------------------------------------ */

static cJSON *finish(hub *h, hub__run *r, int64_t now) {
  cJSON *res = cJSON_CreateObject();
  (void)hub__sync_flush(h); /* first: a failed commit is noted in the run's record */
  save(h, r, now, 1);
  hub__event(h, "sync.done", NULL, now, "itiiii", "run", r->id, "status", status_of(r), "new", r->n_new, "updated", r->n_updated, "requests", r->n_requests, "charged", r->n_charged);
  hub__put(res, "fetch", cJSON_CreateArray());
  cJSON_AddNullToObject(res, "wait_until");
  cJSON_AddTrueToObject(res, "done");
  hub__put(res, "run", run_json(r, now));
  hub__sync_free(h);
  return res;
}

static void add_progress(cJSON *res, const hub__run *r) {
  cJSON *p = cJSON_AddObjectToObject(res, "progress");
  if (!p) return;
  cJSON_AddNumberToObject(p, "requests", (double)r->n_requests);
  cJSON_AddNumberToObject(p, "planned", (double)r->ntasks);
  cJSON_AddNumberToObject(p, "new", (double)r->n_new);
  cJSON_AddNumberToObject(p, "updated", (double)r->n_updated);
}

static cJSON *idle(const hub__run *r, int64_t wait_until, const task *t) {
  cJSON *res = cJSON_CreateObject();
  hub__put(res, "fetch", cJSON_CreateArray());
  if (wait_until) {
    cJSON *w = cJSON_AddObjectToObject(res, "wait");
    cJSON_AddNumberToObject(res, "wait_until", (double)wait_until);
    if (w) {
      cJSON_AddNumberToObject(w, "until", (double)wait_until);
      cJSON_AddStringToObject(w, "reason", t && !t->waiting_for_rate ? "retry" : "rate_limit");
      if (t && !t->waiting_for_rate) cJSON_AddNumberToObject(w, "attempt", t->attempts);
    }
  } else {
    cJSON_AddNullToObject(res, "wait_until");
    cJSON_AddNumberToObject(res, "pending", (double)r->inflight_id);
  }
  cJSON_AddFalseToObject(res, "done");
  add_progress(res, r);
  return res;
}

/* The earliest time the head task may run. */
static int64_t due_at(hub__run *r, const task *t) {
  char name[24];
  limit *l;
  int64_t when = t->not_before_ms;
  bucket_of(r, t, name, sizeof name);
  l = limit_for(r, name);
  if (l && l->known && l->remaining <= 0 && l->reset_ms > when) when = l->reset_ms;
  return when;
}

static int add_request_headers(hub *h, hub__run *r, task *t, cJSON *hdrs) {
  const hub__source *s = r->src[t->src];
  validator v;
  char scope[65];
  if (s->headers && s->headers(h, r, r->state[t->src], &t->pub, hdrs)) return -1;
  if (!is_get(t)) return 0; /* a change is never conditional */
  scope_of(r, t, scope);
  if (validator_get(h, scope, t->url, &v)) return -1;
  if ((t->pub.flags & HUB_TASK_IF_MODIFIED) && v.lastmod) cJSON_AddStringToObject(hdrs, "If-Modified-Since", v.lastmod);
  else if (v.etag) cJSON_AddStringToObject(hdrs, "If-None-Match", v.etag);
  validator_free(&v);
  return 0;
}

static cJSON *plan(hub *h, hub__run *r) {
  cJSON *res = cJSON_CreateObject(), *fetch, *q, *hdrs;
  task *t;
  fetch = res ? cJSON_AddArrayToObject(res, "fetch") : NULL;
  q = cJSON_CreateObject();
  if (!fetch || !q || !cJSON_AddItemToArray(fetch, q)) {
    cJSON_Delete(q);
    cJSON_Delete(res);
    return hub__error_json(HUB_E_NOMEM, NULL);
  }
  t = pop(r);
  r->inflight = t;
  r->inflight_id = r->next_id++;
  r->cur = t->src;
  hub__event(h, "sync.request", t->url, 0, "t", "source", r->src[t->src]->name);
  cJSON_AddNumberToObject(q, "id", (double)r->inflight_id);
  cJSON_AddStringToObject(q, "method", t->method);
  cJSON_AddStringToObject(q, "url", t->url);
  if (t->body) cJSON_AddStringToObject(q, "body", t->body);
  cJSON_AddStringToObject(q, "source", r->src[t->src]->name);
  hdrs = cJSON_AddObjectToObject(q, "headers");
  cJSON_AddNumberToObject(q, "timeout_ms", 30000);
  if (!hdrs || add_request_headers(h, r, t, hdrs)) {
    cJSON_Delete(res);
    return hub__error_json(HUB_E_NOMEM, NULL);
  }
  cJSON_AddNullToObject(res, "wait_until");
  cJSON_AddFalseToObject(res, "done");
  add_progress(res, r);
  return res;
}

cJSON *hub__sync_next(hub *h, const cJSON *req) {
  hub__run *r = h->run;
  int64_t now = 0, when;
  if (hub__json_int(req, "now", 0, INT64_MAX / 4, &now) != 1)
    return hub__error_json(HUB_E_BAD_REQUEST, "sync_next needs \"now\" (ms)");
  if (!r) return hub__error_json(HUB_E_STATE, "no sync run is active; send sync_start first");
  if (r->inflight) return idle(r, 0, NULL);
  if (r->stop || !r->head) return finish(h, r, now);
  when = due_at(r, r->head);
  if (when > now && r->max_wait_ms > 0 && when - now > r->max_wait_ms) {
    char iso[24], msg[120];
    hub__fmt_iso8601(when / 1000, iso);
    snprintf(msg, sizeof msg, "rate-limited until %s; nothing more was fetched", iso);
    r->cur = r->head->src;
    hub__run_note(r, r->head->url, msg);
    r->stop = 1;
    r->code = HUB_E_RATE_LIMITED;
    r->retry_at = when;
    return finish(h, r, now);
  }
  if (when > now) {
    (void)hub__sync_flush(h); /* nothing stays uncommitted through a wait */
    if (when != r->last_wait_until) {
      r->waited_ms += when - now;
      r->last_wait_until = when;
    }
    return idle(r, when, r->head);
  }
  return plan(h, r);
}

/* ---- groups of answers in one transaction (see "Groups" above) ------------------------------- */

int hub__sync_flush(hub *h) {
  hub__run *r = h->run;
  char msg[400];
  if (!r || !r->group_open) return 0;
  r->group_open = 0;
  if (!hub__db_in_tx(h)) return 0; /* SQLite rolled it back already (a failed statement said so) */
  if (hub__db_commit(h) == 0) return 0;
  snprintf(msg, sizeof msg, "%d answers could not be stored (%.300s); the next run asks for them again",
           r->group_pages, h->errmsg);
  hub__run_note(r, NULL, msg);
  return -1;
}

/* Opens the savepoint of one answer, in the group (begun when none is open). 0 or -1. */
static int page_begin(hub *h, hub__run *r, int64_t now) {
  if (r->group_open && !hub__db_in_tx(h)) r->group_open = 0; /* rolled back under us */
  if (!r->group_open) {
    if (hub__db_begin(h)) return -1;
    r->group_open = 1;
    r->group_at = now;
    r->group_pages = 0;
  }
  return hub__db_exec(h, "SAVEPOINT answer");
}

/* Keeps the answer: releases its savepoint and commits the group when it is full or old. */
static void page_keep(hub *h, hub__run *r, int64_t now) {
  if (hub__db_exec(h, "RELEASE answer")) {
    hub__db_rollback(h);
    r->group_open = 0;
    hub__run_note(r, NULL, h->errmsg);
    return;
  }
  r->group_pages++;
  if (r->group_pages >= HUB_GROUP_PAGES || now - r->group_at >= HUB_GROUP_MS || now < r->group_at)
    (void)hub__sync_flush(h);
}

/* Drops the answer: back to its savepoint; the group's earlier answers stay. When SQLite has
 * already rolled back the whole group (an I/O error, a full disk), says so on the run. */
static void page_drop(hub *h, hub__run *r) {
  char err[sizeof h->errmsg];
  memcpy(err, h->errmsg, sizeof err); /* the page's own failure stays the message */
  if (!hub__db_in_tx(h) || hub__db_exec(h, "ROLLBACK TO answer") || hub__db_exec(h, "RELEASE answer")) {
    hub__db_rollback(h);
    if (r->group_open && r->group_pages > 0)
      hub__run_note(r, NULL, "the answers stored since the last commit were rolled back with a failed one");
    r->group_open = 0;
  }
  memcpy(h->errmsg, err, sizeof err);
}

/* ---- sync_feed ------------------------------------------------------------------------------ */

/* Schedules a retry of t after a backoff: base · 2^(attempt-1) plus up to 1 s of jitter. */
static void retry_later(hub__run *r, task *t, int64_t now, int64_t base_ms) {
  int64_t backoff = base_ms << (t->attempts > 1 ? (t->attempts - 1 > 20 ? 20 : t->attempts - 1) : 0);
  backoff += (int64_t)(hub__rand(&r->rng) % 1000);
  t->not_before_ms = hub__add_sat(now, backoff);
  t->waiting_for_rate = 0;
  r->n_retries++;
  push_front(r, t);
}

/* t ends without a 2xx: a note on the run, the source told (status 0: no answer). */
static void fail(hub *h, hub__run *r, task *t, int status, const char *msg, int64_t now) {
  const hub__source *s = r->src[t->src];
  hub__run_note(r, t->url, msg);
  if (s->failed) s->failed(h, r, r->state[t->src], &t->pub, status, msg, now);
  task_free(t);
}

/* A Link rel="next" (or a stored next page) to follow: the same origin, a usable URL, a sane
 * page number; anything else is refused with a note. */
static int follow(hub *h, hub__run *r, task *t, const char *next) {
  const char *p;
  if (!next) return 0;
  if (!*next || !hub__url_usable(next) || !hub__url_same_origin(next, t->url)) {
    hub__run_note(r, t->url, "a next-page link to another place was not followed");
    return 0;
  }
  p = strstr(next, "page=");
  if (p && (p == next || p[-1] == '?' || p[-1] == '&')) {
    int64_t page;
    char buf[24];
    size_t n = strcspn(p + 5, "&#");
    if (n == 0 || n >= sizeof buf) {
      hub__run_note(r, t->url, "a next-page link with an unreadable page number was not followed");
      return 0;
    }
    memcpy(buf, p + 5, n);
    buf[n] = 0;
    if (hub__parse_int(buf, 1, MAX_PAGE, &page)) {
      hub__run_note(r, t->url, "a next-page link with a page number out of range was not followed");
      return 0;
    }
  }
  return hub__run_enqueue(h, r, r->src[t->src], t->pub.kind, next, t->arg, t->pub.flags & ~HUB_TASK_IF_MODIFIED);
}

static void on_network_error(hub *h, hub__run *r, task *t, const char *err, int offline, int64_t now) {
  char msg[400];
  if (offline) {
    snprintf(msg, sizeof msg, "offline: %.200s", err);
    fail(h, r, t, 0, msg, now);
    r->stop = 1;
    r->code = HUB_E_OFFLINE;
    return;
  }
  if (t->attempts < HUB_MAX_RETRIES) {
    t->attempts++;
    retry_later(r, t, now, 1000);
    return;
  }
  snprintf(msg, sizeof msg, "network error after %d retries: %.300s", HUB_MAX_RETRIES, err);
  fail(h, r, t, 0, msg, now);
}

static int on_not_modified(hub *h, hub__run *r, task *t, const cJSON *headers, int64_t now) {
  const hub__source *s = r->src[t->src];
  validator v;
  char scope[65];
  int rc;
  r->n_not_modified++;
  r->per[t->src].n_not_modified++;
  if (s->answered && s->answered(h, r, r->state[t->src], &t->pub, 304, headers, now)) return -1;
  scope_of(r, t, scope);
  if (validator_get(h, scope, t->url, &v)) return -1;
  rc = follow(h, r, t, v.next); /* the stored rows stand; walk on through the stored next page */
  validator_free(&v);
  task_free(t);
  return rc;
}

/* A 204/205 without a body, or any empty 2xx to a change upstream: parse() sees NULL, in one
 * batch like any answer. */
static int on_empty(hub *h, hub__run *r, task *t, int status, const cJSON *headers, int64_t now) {
  const hub__source *s = r->src[t->src];
  char msg[600];
  if (page_begin(h, r, now)) {
    task_free(t);
    return -1;
  }
  if (s->parse(h, r, r->state[t->src], &t->pub, NULL, headers, now) ||
      (s->answered && s->answered(h, r, r->state[t->src], &t->pub, status, headers, now))) {
    page_drop(h, r);
    snprintf(msg, sizeof msg, "%.500s; nothing from this response was stored", h->errmsg);
    fail(h, r, t, status, msg, now);
    return 0;
  }
  page_keep(h, r, now);
  task_free(t);
  return 0;
}

/* The body as a parsed document (a text task's non-JSON body as a JSON string), or NULL with
 * the reason in msg. b[0..blen) need not be NUL-terminated. */
static cJSON *parse_body(const task *t, const char *b, size_t blen, char *msg, size_t msglen) {
  char *clean = NULL, *text;
  const char *end = NULL;
  cJSON *body;
  int rc = hub__json_clean(b, blen, &clean);
  if (rc < 0) {
    snprintf(msg, msglen, "out of memory reading the response; nothing stored");
    return NULL;
  }
  if (clean) { /* invalid UTF-8, \u0000 or a lone surrogate: replaced by U+FFFD, the rest kept */
    b = clean;
    blen = strlen(clean);
  }
  body = cJSON_ParseWithLengthOpts(b, blen, &end, 0);
  if (!body && (t->pub.flags & HUB_TASK_TEXT)) {
    text = clean ? clean : hub__strndup(b, blen); /* valid UTF-8 without NUL once cleaned */
    body = text ? cJSON_CreateString(text) : NULL;
    if (text != clean) hub_free(text);
  }
  if (!body)
    snprintf(msg, msglen, "invalid JSON in the response (at byte %zu of %zu); nothing stored",
             end && end >= b && end <= b + blen ? (size_t)(end - b) : (size_t)0, blen);
  hub_free(clean);
  return body;
}

/* Parses and stores a 2xx body (b[0..blen), not necessarily NUL-terminated) in one savepoint;
 * on failure nothing of it stays. */
static int on_success(hub *h, hub__run *r, task *t, int status, const char *b, size_t blen, int too_large,
                      const cJSON *headers, int64_t now) {
  const hub__source *s = r->src[t->src];
  cJSON *body;
  char *next, msg[700], scope[65];
  if (too_large || blen > HUB_MAX_BODY) {
    snprintf(msg, sizeof msg, "response body is over the %u-byte limit; nothing stored", (unsigned)HUB_MAX_BODY);
    fail(h, r, t, status, msg, now);
    return 0;
  }
  if ((status == 204 || status == 205 || !is_get(t)) && blen == 0) return on_empty(h, r, t, status, headers, now);
  body = parse_body(t, b, blen, msg, sizeof msg);
  if (!body) {
    fail(h, r, t, status, msg, now);
    return 0;
  }
  next = is_get(t) ? hub__link_next(hdr(headers, "link")) : NULL;
  scope_of(r, t, scope);
  if (page_begin(h, r, now)) {
    hub_free(next);
    cJSON_Delete(body);
    return -1;
  }
  {
    hub__run snap = *r; /* the counters, to undo with the answer */
    cJSON *extra = r->per[t->src].extra ? cJSON_Duplicate(r->per[t->src].extra, 1) : NULL;
    int bad;
    r->no_next = 0;
    bad = s->parse(h, r, r->state[t->src], &t->pub, body, headers, now);
    if (r->no_next) { /* the source read enough: no next page now, nor after a later 304 */
      hub_free(next);
      next = NULL;
      r->no_next = 0;
    }
    bad = bad || (s->answered && s->answered(h, r, r->state[t->src], &t->pub, 200, headers, now)) ||
              (is_get(t) &&
               (validator_put(h, scope, t->url, hdr(headers, "etag"), hdr(headers, "last-modified"), next) ||
                hub__db_run(h, "DELETE FROM gone WHERE url=?", "t", t->url) < 0));
    if (bad) {
      page_drop(h, r);
      r->n_new = snap.n_new; r->n_updated = snap.n_updated; r->n_unchanged = snap.n_unchanged;
      r->n_skipped = snap.n_skipped;
      cJSON_Delete(r->per[t->src].extra);
      snap.per[t->src].extra = extra;
      r->per[t->src] = snap.per[t->src];
      snprintf(msg, sizeof msg, "%.500s; nothing from this response was stored", h->errmsg);
      hub_free(next);
      cJSON_Delete(body);
      fail(h, r, t, status, msg, now);
      return 0;
    }
    cJSON_Delete(extra);
  }
  page_keep(h, r, now);
  cJSON_Delete(body);
  {
    int rc = follow(h, r, t, next);
    hub_free(next);
    task_free(t);
    return rc;
  }
}

/* 404/410 of one thing: remembered as gone for a day, skipped quietly. */
static int gone(hub *h, hub__run *r, task *t, int status, int64_t now) {
  char reason[48];
  snprintf(reason, sizeof reason, "gone upstream (%d)", status);
  hub__run_skip(r, reason);
  if (hub__db_run(h, "INSERT INTO gone(url,status,reason,first,until) VALUES(?,?,?,?,?) ON CONFLICT(url) DO UPDATE "
                     "SET status=excluded.status,until=excluded.until",
                  "titii", t->url, (int64_t)status, status == 404 ? "not found" : "gone", now, now + GONE_MS) < 0) {
    task_free(t);
    return -1;
  }
  task_free(t);
  return 0;
}

static void rate_wait(hub *h, hub__run *r, task *t, int status, int64_t at, int64_t now) {
  char msg[80];
  if (t->rate_waits >= HUB_MAX_RATE_WAITS) {
    snprintf(msg, sizeof msg, "still rate-limited after %d waits; gave up", HUB_MAX_RATE_WAITS);
    fail(h, r, t, status, msg, now);
    return;
  }
  t->rate_waits++;
  t->not_before_ms = at > now ? at
                              : hub__add_sat(now, (60000LL << (t->rate_waits - 1)) + (int64_t)(hub__rand(&r->rng) % 1000));
  t->waiting_for_rate = 1;
  r->n_retries++;
  push_front(r, t);
}

/* An answer ≥ 300 other than 304: the source reads it first, then the engine's rules. */
static int on_refusal(hub *h, hub__run *r, task *t, int status, const char *b, size_t blen, const cJSON *headers,
                      int64_t now) {
  const hub__source *s = r->src[t->src];
  cJSON *body = blen ? cJSON_ParseWithLength(b, blen) : NULL;
  hub__refused out;
  hub__refusal verdict = HUB_REFUSE_DEFAULT;
  int64_t ra = retry_after(headers, now);
  char msg[400];
  int rc = 0;
  memset(&out, 0, sizeof out);
  if (s->refused) verdict = s->refused(r->state[t->src], &t->pub, status, headers, body, now, &out);
  cJSON_Delete(body);
  if (verdict == HUB_REFUSE_FATAL || (verdict == HUB_REFUSE_DEFAULT && status == 401)) {
    if (!out.message[0]) snprintf(out.message, sizeof out.message, "credentials rejected (%d)", status);
    fail(h, r, t, status, out.message, now);
    r->stop = 1;
    r->code = out.code != HUB_E_OK ? out.code : HUB_E_TOKEN_REJECTED;
  } else if (verdict == HUB_REFUSE_RATE ||
             (verdict == HUB_REFUSE_DEFAULT && (status == 429 || ((status == 403 || status == 503) && ra >= 0)))) {
    rate_wait(h, r, t, status, ra >= 0 ? ra : out.retry_at_ms, now);
  } else if (verdict == HUB_REFUSE_SKIP) {
    fail(h, r, t, status, out.message[0] ? out.message : "skipped", now);
  } else if (status >= 500 || status == 408) {
    if (t->attempts < HUB_MAX_RETRIES) {
      t->attempts++;
      retry_later(r, t, now, 1000);
    } else {
      snprintf(msg, sizeof msg, "server error %d after %d retries", status, HUB_MAX_RETRIES);
      fail(h, r, t, status, msg, now);
    }
  } else if ((status == 404 || status == 410) && (t->pub.flags & HUB_TASK_GONE_OK) && is_get(t)) {
    rc = gone(h, r, t, status, now);
  } else {
    snprintf(msg, sizeof msg, "%d %s; skipped", status,
             status == 403 ? "forbidden" : status == 404 ? "not found" : status == 410 ? "gone"
             : status == 422 ? "unprocessable" : "unexpected status");
    fail(h, r, t, status, msg, now);
  }
  return rc;
}

cJSON *hub__sync_feed(hub *h, const cJSON *req) {
  hub__run *r = h->run;
  int64_t now = 0, id = 0, status = 0;
  const cJSON *headers = cJSON_GetObjectItemCaseSensitive(req, "headers");
  const cJSON *body_j = cJSON_GetObjectItemCaseSensitive(req, "body");
  const char *err = hub__json_str(req, "error"), *b = "";
  size_t blen = 0;
  int has_status, rc;
  task *t;
  cJSON *res;
  if (hub__json_int(req, "now", 0, INT64_MAX / 4, &now) != 1)
    return hub__error_json(HUB_E_BAD_REQUEST, "sync_feed needs \"now\" (ms)");
  if (h->body && body_j)
    return hub__error_json(HUB_E_BAD_REQUEST, "sync_feed: the body comes as bytes or as \"body\", not both");
  if (hub__json_int(req, "id", 1, INT64_MAX / 4, &id) != 1 || !r || !r->inflight || id != r->inflight_id)
    return hub__error_json(HUB_E_STATE, "sync_feed: no request with that id is in flight");
  has_status = hub__json_int(req, "status", 100, 599, &status);
  if (!err && has_status != 1)
    return hub__error_json(HUB_E_BAD_REQUEST, "sync_feed needs \"status\" (100–599) or \"error\"");
  if (headers && !cJSON_IsObject(headers))
    return hub__error_json(HUB_E_BAD_TYPE, "sync_feed: \"headers\" must be an object");
  if (body_j && !cJSON_IsString(body_j) && !cJSON_IsNull(body_j))
    return hub__error_json(HUB_E_BAD_TYPE, "sync_feed: \"body\" must be a string");
  if (h->body) { /* hub_feed: the bytes as they came */
    b = h->body->p;
    blen = h->body->n;
  } else if (cJSON_IsString(body_j)) {
    b = body_j->valuestring;
    blen = strlen(b);
  }
  t = r->inflight;
  r->inflight = NULL;
  r->cur = t->src;
  r->n_requests++;
  r->per[t->src].n_requests++;
  hub__event(h, "sync.answer", t->url, now, "iiit", "status", err ? (int64_t)0 : status, "bytes", (int64_t)blen, "charged", (int64_t)(!err && status != 304), "error", err);
  if (err) {
    on_network_error(h, r, t, err, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "offline")), now);
    rc = 0;
  } else {
    track_limits(r, t, headers, now);
    if (status != 304) {
      r->n_charged++;
      r->per[t->src].n_charged++;
    }
    if (status == 304 || (status >= 200 && status < 300)) r->n_answered++;
    if (status == 304) rc = on_not_modified(h, r, t, headers, now);
    else if (status >= 200 && status < 300)
      rc = on_success(h, r, t, (int)status, b, blen, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "body_too_large")),
                      headers, now);
    else rc = on_refusal(h, r, t, (int)status, b, blen, headers, now);
  }
  if (rc) hub__run_note(r, NULL, h->errmsg);
  res = cJSON_CreateObject();
  cJSON_AddTrueToObject(res, "ok");
  return res;
}

cJSON *hub__sync_abort(hub *h, const cJSON *req) {
  cJSON *res = cJSON_CreateObject();
  const char *why = hub__json_str(req, "reason");
  if (h->run) {
    (void)hub__sync_flush(h);
    hub__run_note(h->run, NULL, why ? why : "aborted by the driver");
    h->run->stop = 2;
    save(h, h->run, h->run->started_ms, 1);
    hub__sync_free(h);
  }
  cJSON_AddTrueToObject(res, "ok");
  return res;
}
