/*
 * sched.c — hubd's scheduler: the timer thread, the jobs' bodies on the writer thread, and the
 * brief hook (native driver layer; see sched.h).
 *
 * One mutex guards the table of jobs (schedule, posted/running, next time to ask). The timer
 * posts a due job to the writer and does not touch it again until the writer's callback
 * (job_finished) clears it and says when to ask next. Everything a job does with the database
 * goes through the core's commands on the writer's handle: job_claim, the work (a sync run,
 * diagnose, runs_prune), job_done.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cJSON.h"
#include "hub.h"
#include "hubd_log.h"
#include "sched.h"
#include "push.h"
#include "brief_llm.h"
#include "secrets.h"
#include "transport.h"

#define DAY_MS 86400000LL

enum { J_INGEST, J_GFI, J_DIAG, J_CLEANUP, NJOBS };

static const char *const ingest_sources[] = {"github", "tangled", NULL};
static const char *const gfi_sources[] = {"gfi", NULL};

static const struct {
  const char *name, *setting;   /* the job's name in job_runs; its configuration key */
  const char *const *sources;   /* a sync job: its sources; NULL otherwise */
} jobs[NJOBS] = {
    {"ingest", "schedule_ingest", ingest_sources},
    {"gfi", "schedule_gfi", gfi_sources},
    {"diagnostics", "schedule_diagnostics", NULL},
    {"cleanup", "schedule_cleanup", NULL},
};

struct hubd_sched {
  hubd_api *api;
  pthread_mutex_t mu;
  pthread_cond_t wake;
  pthread_t thread;
  int started, stopping;
  char *spec[NJOBS];
  unsigned jitter_s, keep_days;
  struct {
    int posted;      /* queued or running on the writer */
    int holds_guard; /* took api->sync_running for this post */
    int64_t next_at; /* ask job_claim again then (0: at once; -1: never, the schedule is off) */
  } j[NJOBS];
};

/* What one posted job carries to the writer thread. */
typedef struct {
  hubd_sched *s;
  int k;
  char *spec;
  int64_t jitter_ms;
  unsigned keep_days;
} post_arg;

/* What a job's body reports. */
typedef struct {
  char status[16];
  cJSON *stats;
  char error[300];
} outcome;

static void fmt_time(int64_t ms, char *buf, size_t n) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static double num(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* ---- the brief hook --------------------------------------------------------------------------- */

/* Set by the hook on the writer thread; the timer thread starts the LLM refinement off it. */
static atomic_int brief_pending;

int hubd_brief_hook(hub *h, const hubd_brief_event *ev, char *err, size_t errlen) {
  char run[24];
  cJSON *req = cJSON_CreateObject(), *res;
  int rc = 0;
  snprintf(run, sizeof run, "%lld", (long long)ev->run);
  /* the rule-built briefing for the new top items, stored at once (cheap, in the core) */
  cJSON_AddStringToObject(req, "cmd", "brief");
  cJSON_AddNumberToObject(req, "now", (double)hub_now_ms());
  cJSON_AddTrueToObject(req, "refresh");
  res = hub_callj(h, req);
  if (!res || cJSON_GetObjectItemCaseSensitive(res, "error")) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(res, "error"), "message");
    snprintf(err, errlen, "brief: %.200s", cJSON_IsString(m) ? m->valuestring : "out of memory");
    rc = -1;
  }
  cJSON_Delete(res);
  cJSON_Delete(req);
  atomic_store(&brief_pending, 1); /* the LLM's version, if one is configured, off the writer */
  hubd_log(HUBD_LOG_INFO, "brief_due", "job", ev->job, "run", run, "top", ev->top_after, (char *)NULL);
  return rc;
}

/* The LLM refinement and an AI queue run (brief_llm.c), on a thread of their own so the
 * writer never waits for an LLM; at most one at a time (api->ai_running). */
static void *refine_main(void *arg) {
  hubd_api *api = arg;
  hubd_ai_env env = hubd_api_ai_env(api);
  cJSON_Delete(hubd_brief_run(&env));
  cJSON_Delete(hubd_aiqueue_run(&env, 5LL * 60 * 1000));
  atomic_store(&api->ai_running, 0);
  return NULL;
}

static void maybe_refine(hubd_api *api) {
  int expected = 0;
  pthread_t t;
  if (!atomic_exchange(&brief_pending, 0) || !api->llm) return;
  if (!atomic_compare_exchange_strong(&api->ai_running, &expected, 1)) {
    atomic_store(&brief_pending, 1); /* one is running: try again at the next tick */
    return;
  }
  if (pthread_create(&t, NULL, refine_main, api) != 0 || pthread_detach(t) != 0) atomic_store(&api->ai_running, 0);
}

/* The top cards as {"keys":[…], "print": keys with their update times} (new object), or NULL. */
static cJSON *top_cards(hub *h, int64_t now) {
  cJSON *req = cJSON_CreateObject(), *res, *out = NULL, *keys, *c;
  char *fp;
  cJSON_AddStringToObject(req, "cmd", "cards");
  cJSON_AddNumberToObject(req, "now", (double)now);
  cJSON_AddNumberToObject(req, "limit", HUBD_BRIEF_TOP);
  res = hub_callj(h, req);
  cJSON_Delete(req);
  if (!res || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(res, "cards"))) goto done;
  out = cJSON_CreateObject();
  keys = cJSON_AddArrayToObject(out, "keys");
  req = cJSON_CreateArray(); /* the fingerprint: key and update time of each */
  cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(res, "cards")) {
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(c, "key");
    if (!cJSON_IsString(key)) continue;
    cJSON_AddItemToArray(keys, cJSON_CreateString(key->valuestring));
    cJSON_AddItemToArray(req, cJSON_CreateString(key->valuestring));
    cJSON_AddItemToArray(req, cJSON_CreateNumber(num(c, "updated_at")));
  }
  fp = cJSON_PrintUnformatted(req);
  cJSON_Delete(req);
  if (fp) cJSON_AddStringToObject(out, "print", fp);
  cJSON_free(fp);
done:
  cJSON_Delete(res);
  return out;
}

/* After an ingest that changed something: calls the brief hook when the top cards moved. */
static void after_ingest(hub *h, int k, int64_t slot, const cJSON *run, cJSON *before) {
  cJSON *after = top_cards(h, hub_now_ms());
  const char *pb = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(before, "print"));
  const char *pa = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(after, "print"));
  if (pa && (!pb || strcmp(pa, pb) != 0)) {
    hubd_brief_event ev;
    char *kb = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(before, "keys"));
    char *ka = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(after, "keys"));
    char err[300] = "";
    memset(&ev, 0, sizeof ev);
    ev.job = jobs[k].name;
    ev.slot = slot;
    ev.run = (int64_t)num(run, "id");
    ev.n_new = (int64_t)num(run, "new");
    ev.n_updated = (int64_t)num(run, "updated");
    ev.top_before = kb ? kb : "[]";
    ev.top_after = ka ? ka : "[]";
    if (hubd_brief_hook(h, &ev, err, sizeof err))
      hubd_log(HUBD_LOG_WARN, "brief_failed", "job", jobs[k].name, "message", err, (char *)NULL);
    cJSON_free(kb);
    cJSON_free(ka);
  }
  cJSON_Delete(after);
}

/* ---- the jobs' bodies (writer thread) ------------------------------------------------------------ */

static void sync_body(hub *h, const post_arg *a, int64_t slot, outcome *o) {
  hubd_api *api = a->s->api;
  char *token = NULL, *upstream = NULL;
  int64_t max_wait_ms = 0;
  cJSON *res, *run, *before = NULL;
  static const char *const counts[] = {"new", "updated", "unchanged", "skipped", "requests", "not_modified", "retries"};
  size_t i;
  if (a->k == J_INGEST) before = top_cards(h, hub_now_ms());
  api->upstream(api->upstream_ud, &token, &upstream, &max_wait_ms);
  res = hub_sync_run_sources(h, token, "GITHUB_TOKEN (hubd)", upstream, max_wait_ms, jobs[a->k].sources, 0);
  hubd_secret_free(token);
  free(upstream);
  run = cJSON_GetObjectItemCaseSensitive(res, "run");
  if (run) {
    const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(run, "status"));
    snprintf(o->status, sizeof o->status, "%s", st ? st : "error");
    cJSON_AddNumberToObject(o->stats, "run", num(run, "id"));
    for (i = 0; i < sizeof counts / sizeof counts[0]; i++) cJSON_AddNumberToObject(o->stats, counts[i], num(run, counts[i]));
    cJSON_AddNumberToObject(o->stats, "errors", cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(run, "errors")));
    if (cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(run, "code")))
      snprintf(o->error, sizeof o->error, "%s", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(run, "code")));
    if (a->k == J_INGEST && num(run, "new") + num(run, "updated") > 0) {
      after_ingest(h, a->k, slot, run, before);
      hubd_push_kick(api->push); /* Web Push: wakes push.c's thread (never the writer queue from here) */
    }
  } else {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(res, "error");
    const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "code"));
    const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message"));
    snprintf(o->status, sizeof o->status, "%s", code && strcmp(code, "cancelled") == 0 ? "aborted" : "error");
    snprintf(o->error, sizeof o->error, "%s", msg ? msg : "out of memory");
  }
  cJSON_Delete(before);
  cJSON_Delete(res);
}

static void diag_body(hub *h, outcome *o) {
  cJSON *req = cJSON_CreateObject(), *res;
  cJSON_AddStringToObject(req, "cmd", "diagnose");
  cJSON_AddNumberToObject(req, "now", (double)hub_now_ms());
  res = hub_callj(h, req);
  cJSON_Delete(req);
  if (!res || cJSON_GetObjectItemCaseSensitive(res, "error")) {
    snprintf(o->status, sizeof o->status, "error");
    snprintf(o->error, sizeof o->error, "%s",
             res ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(res, "error"), "message"))
                 : "out of memory");
  } else {
    int ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "ok"));
    int warn = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(res, "warnings"));
    char *p = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(res, ok ? "warnings" : "problems"));
    snprintf(o->status, sizeof o->status, "%s", !ok ? "error" : warn ? "partial" : "ok");
    if (!ok || warn) {
      snprintf(o->error, sizeof o->error, "%s", p ? p : "");
      hubd_log(ok ? HUBD_LOG_WARN : HUBD_LOG_ERROR, "diagnostics", "ok", ok ? "true" : "false", "found", p,
               (char *)NULL);
    }
    cJSON_free(p);
    cJSON_Delete(o->stats);
    o->stats = res;
    res = NULL;
  }
  cJSON_Delete(res);
}

static void cleanup_body(hub *h, const post_arg *a, outcome *o) {
  cJSON *req = cJSON_CreateObject(), *res;
  cJSON_AddStringToObject(req, "cmd", "runs_prune");
  cJSON_AddNumberToObject(req, "before", (double)(hub_now_ms() - (int64_t)a->keep_days * DAY_MS));
  res = hub_callj(h, req);
  cJSON_Delete(req);
  if (res && !cJSON_GetObjectItemCaseSensitive(res, "error")) {
    snprintf(o->status, sizeof o->status, "ok");
    cJSON_AddNumberToObject(o->stats, "runs_deleted", num(res, "deleted"));
    cJSON_AddNumberToObject(o->stats, "jobs_deleted", num(res, "jobs_deleted"));
  } else {
    snprintf(o->status, sizeof o->status, "error");
    snprintf(o->error, sizeof o->error, "runs_prune failed");
  }
  cJSON_Delete(res);
}

/* Runs a claimed slot and records it with job_done. */
static void run_claimed(hub *h, const post_arg *a, const cJSON *claim) {
  int64_t slot = (int64_t)num(claim, "slot"), t0 = hub_now_ms();
  outcome o;
  cJSON *done, *res;
  char when[32], coal[24], intr[24], ms[24];
  memset(&o, 0, sizeof o);
  o.stats = cJSON_CreateObject();
  fmt_time(slot, when, sizeof when);
  snprintf(coal, sizeof coal, "%.0f", num(claim, "coalesced"));
  snprintf(intr, sizeof intr, "%.0f", num(claim, "interrupted"));
  hubd_log(HUBD_LOG_INFO, "job_start", "job", jobs[a->k].name, "slot", when, "coalesced", coal, "interrupted", intr,
           (char *)NULL);
  if (jobs[a->k].sources) sync_body(h, a, slot, &o);
  else if (a->k == J_DIAG) diag_body(h, &o);
  else cleanup_body(h, a, &o);
  done = cJSON_CreateObject();
  cJSON_AddStringToObject(done, "cmd", "job_done");
  cJSON_AddStringToObject(done, "job", jobs[a->k].name);
  cJSON_AddNumberToObject(done, "slot", (double)slot);
  cJSON_AddNumberToObject(done, "now", (double)hub_now_ms());
  cJSON_AddStringToObject(done, "status", o.status);
  cJSON_AddItemToObject(done, "stats", o.stats);
  if (o.error[0]) cJSON_AddStringToObject(done, "error", o.error);
  res = hub_callj(h, done);
  snprintf(ms, sizeof ms, "%lld", (long long)(hub_now_ms() - t0));
  if (!res || cJSON_GetObjectItemCaseSensitive(res, "error"))
    hubd_log(HUBD_LOG_ERROR, "job_done_failed", "job", jobs[a->k].name, "slot", when, (char *)NULL);
  hubd_log(strcmp(o.status, "ok") == 0 ? HUBD_LOG_INFO : HUBD_LOG_WARN, "job_end", "job", jobs[a->k].name, "slot",
           when, "status", o.status, "ms", ms, "error", o.error[0] ? o.error : NULL, (char *)NULL);
  cJSON_Delete(res);
  cJSON_Delete(done);
}

/* The writer-thread job: claim, maybe run, answer {"next_at": ms|null}. */
static char *job_body(hub *h, void *arg) {
  post_arg *a = arg;
  int64_t now = hub_now_ms(), next = now + HUBD_SCHED_ERROR_RETRY_MS;
  cJSON *req = cJSON_CreateObject(), *claim, *out;
  const cJSON *na;
  char *text;
  cJSON_AddStringToObject(req, "cmd", "job_claim");
  cJSON_AddStringToObject(req, "job", jobs[a->k].name);
  cJSON_AddStringToObject(req, "schedule", a->spec);
  cJSON_AddNumberToObject(req, "now", (double)now);
  cJSON_AddNumberToObject(req, "jitter_ms", (double)a->jitter_ms);
  claim = hub_callj(h, req);
  cJSON_Delete(req);
  if (!claim || cJSON_GetObjectItemCaseSensitive(claim, "error")) {
    char *e = claim ? cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(claim, "error")) : NULL;
    hubd_log(HUBD_LOG_ERROR, "job_claim_failed", "job", jobs[a->k].name, "error", e ? e : "out of memory", (char *)NULL);
    cJSON_free(e);
  } else {
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(claim, "claimed"))) run_claimed(h, a, claim);
    else if (num(claim, "interrupted") > 0)
      hubd_log(HUBD_LOG_WARN, "job_interrupted", "job", jobs[a->k].name, "note",
               "a run left running by a stopped process was recorded as interrupted", (char *)NULL);
    na = cJSON_GetObjectItemCaseSensitive(claim, "next_at");
    next = cJSON_IsNumber(na) ? (int64_t)na->valuedouble : -1;
  }
  cJSON_Delete(claim);
  out = cJSON_CreateObject();
  if (next >= 0) cJSON_AddNumberToObject(out, "next_at", (double)next);
  else cJSON_AddNullToObject(out, "next_at");
  text = cJSON_PrintUnformatted(out);
  cJSON_Delete(out);
  return text;
}

/* The writer's callback: the job is no longer posted; note when to ask again. */
static void job_finished(char *result, void *arg) {
  post_arg *a = arg;
  hubd_sched *s = a->s;
  cJSON *r = result ? cJSON_Parse(result) : NULL;
  const cJSON *na = cJSON_GetObjectItemCaseSensitive(r, "next_at");
  pthread_mutex_lock(&s->mu);
  s->j[a->k].posted = 0;
  if (s->j[a->k].holds_guard) atomic_store(&s->api->sync_running, 0);
  s->j[a->k].holds_guard = 0;
  if (cJSON_IsNumber(na)) s->j[a->k].next_at = (int64_t)na->valuedouble;
  else if (cJSON_IsNull(na)) s->j[a->k].next_at = -1;
  else s->j[a->k].next_at = hub_now_ms() + HUBD_SCHED_ERROR_RETRY_MS; /* stopping, or out of memory */
  pthread_cond_signal(&s->wake);
  pthread_mutex_unlock(&s->mu);
  cJSON_Delete(r);
  hub_free(result);
  free(a->spec);
  free(a);
}

/* ---- the timer thread ---------------------------------------------------------------------------- */

/* Posts job k (under s->mu). Returns 0, or -1 when it cannot be posted now (*retry_at set).
 * A sync job takes the one-sync guard while posted, unless its schedule is off: its claim then
 * only answers "never" (and records a run a stopped process left), so it must not make a
 * POST /api/sync meanwhile answer 409 — which it did right after a start, under load. */
static int post(hubd_sched *s, int k, int64_t now) {
  post_arg *a;
  int expected = 0, guard = jobs[k].sources != NULL && strcmp(s->spec[k], "off") != 0;
  if (guard && !atomic_compare_exchange_strong(&s->api->sync_running, &expected, 1)) {
    s->j[k].next_at = now + HUBD_SCHED_BUSY_RETRY_MS; /* a manual sync runs: no overlap */
    return -1;
  }
  s->j[k].holds_guard = guard;
  a = calloc(1, sizeof *a);
  if (a) a->spec = strdup(s->spec[k]);
  if (a && a->spec) {
    a->s = s;
    a->k = k;
    a->jitter_ms = (int64_t)s->jitter_s * 1000;
    a->keep_days = s->keep_days;
    s->j[k].posted = 1;
    if (hubd_writer_post(s->api->writer, job_body, a, job_finished) == 0) return 0;
    s->j[k].posted = 0;
  }
  if (a) free(a->spec);
  free(a);
  if (s->j[k].holds_guard) atomic_store(&s->api->sync_running, 0);
  s->j[k].holds_guard = 0;
  s->j[k].next_at = now + HUBD_SCHED_BUSY_RETRY_MS; /* the write queue is full: try again soon */
  return -1;
}

static void *timer_main(void *arg) {
  hubd_sched *s = arg;
  pthread_mutex_lock(&s->mu);
  while (!s->stopping) {
    int64_t now = hub_now_ms(), until = now + HUBD_SCHED_TICK_MS;
    struct timespec ts;
    int k;
    maybe_refine(s->api);
    for (k = 0; k < NJOBS; k++) {
      if (s->j[k].posted || s->j[k].next_at < 0) continue;
      if (s->j[k].next_at <= now) post(s, k, now);
      if (!s->j[k].posted && s->j[k].next_at >= 0 && s->j[k].next_at < until) until = s->j[k].next_at;
    }
    if (until <= now) until = now + 1;
    ts.tv_sec = (time_t)(until / 1000);
    ts.tv_nsec = (long)(until % 1000) * 1000000L;
    pthread_cond_timedwait(&s->wake, &s->mu, &ts); /* CLOCK_REALTIME, as the slots are */
  }
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

/* ---- start, reload, stop ------------------------------------------------------------------------- */

/* Checks c's schedules with the core's jobs command. 0, or -1 with err naming the setting. */
static int check(hubd_sched *s, const hubd_sched_conf *c, char *err, size_t errlen) {
  const char *specs[NJOBS] = {c->ingest, c->gfi, c->diagnostics, c->cleanup};
  cJSON *req = cJSON_CreateObject(), *sc = cJSON_AddObjectToObject(req, "schedules"), *res = NULL;
  char *text, *out;
  int k, rc = -1;
  cJSON_AddStringToObject(req, "cmd", "jobs");
  for (k = 0; k < NJOBS; k++) cJSON_AddStringToObject(sc, jobs[k].name, specs[k] ? specs[k] : "off");
  text = cJSON_PrintUnformatted(req);
  out = text ? hubd_readers_call(s->api->readers, text, strlen(text)) : NULL;
  res = out ? cJSON_Parse(out) : NULL;
  if (res && !cJSON_GetObjectItemCaseSensitive(res, "error")) {
    rc = 0;
  } else {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(res, "error");
    const char *field = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "field"));
    const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message"));
    for (k = 0; field && k < NJOBS; k++)
      if (strncmp(field, "schedules.", 10) == 0 && strcmp(field + 10, jobs[k].name) == 0) field = jobs[k].setting;
    snprintf(err, errlen, "%s: %s", field ? field : "schedules", msg ? msg : "cannot check the schedules");
  }
  cJSON_free(text);
  hub_free(out);
  cJSON_Delete(res);
  cJSON_Delete(req);
  return rc;
}

/* Copies c into s (under s->mu when running). 0 or -1 (OOM). */
static int apply(hubd_sched *s, const hubd_sched_conf *c) {
  const char *specs[NJOBS] = {c->ingest, c->gfi, c->diagnostics, c->cleanup};
  char *copy[NJOBS];
  int k, ok = 1;
  for (k = 0; k < NJOBS; k++) ok &= (copy[k] = strdup(specs[k] ? specs[k] : "off")) != NULL;
  if (!ok) {
    for (k = 0; k < NJOBS; k++) free(copy[k]);
    return -1;
  }
  for (k = 0; k < NJOBS; k++) {
    free(s->spec[k]);
    s->spec[k] = copy[k];
    s->j[k].next_at = 0; /* ask again at once */
  }
  s->jitter_s = c->jitter_s;
  s->keep_days = c->cleanup_keep_days;
  return 0;
}

hubd_sched *hubd_sched_start(hubd_api *api, const hubd_sched_conf *c, char *err, size_t errlen) {
  hubd_sched *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  s->api = api;
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->wake, NULL);
  if (check(s, c, err, errlen) || apply(s, c)) {
    if (!*err) snprintf(err, errlen, "out of memory");
    hubd_sched_free(s);
    return NULL;
  }
  if (pthread_create(&s->thread, NULL, timer_main, s) != 0) {
    snprintf(err, errlen, "cannot start the scheduler thread");
    hubd_sched_free(s);
    return NULL;
  }
  s->started = 1;
  hubd_log(HUBD_LOG_INFO, "scheduler", "ingest", s->spec[J_INGEST], "gfi", s->spec[J_GFI], "diagnostics",
           s->spec[J_DIAG], "cleanup", s->spec[J_CLEANUP], (char *)NULL);
  return s;
}

int hubd_sched_set(hubd_sched *s, const hubd_sched_conf *c, char *err, size_t errlen) {
  int rc;
  if (check(s, c, err, errlen)) return -1;
  pthread_mutex_lock(&s->mu);
  rc = apply(s, c);
  pthread_cond_signal(&s->wake);
  pthread_mutex_unlock(&s->mu);
  if (rc) snprintf(err, errlen, "out of memory");
  return rc;
}

char *hubd_sched_jobs_request(hubd_sched *s, int64_t now_ms) {
  cJSON *req = cJSON_CreateObject(), *sc = cJSON_AddObjectToObject(req, "schedules");
  char *text;
  int k;
  cJSON_AddStringToObject(req, "cmd", "jobs");
  cJSON_AddNumberToObject(req, "now", (double)now_ms);
  pthread_mutex_lock(&s->mu);
  for (k = 0; k < NJOBS; k++) cJSON_AddStringToObject(sc, jobs[k].name, s->spec[k]);
  cJSON_AddNumberToObject(req, "jitter_ms", (double)s->jitter_s * 1000);
  pthread_mutex_unlock(&s->mu);
  text = cJSON_PrintUnformatted(req); /* cJSON allocates through the core's door: hub_free */
  cJSON_Delete(req);
  return text;
}

void hubd_sched_stop(hubd_sched *s) {
  if (!s || !s->started) return;
  pthread_mutex_lock(&s->mu);
  s->stopping = 1;
  pthread_cond_signal(&s->wake);
  pthread_mutex_unlock(&s->mu);
  pthread_join(s->thread, NULL);
  s->started = 0;
}

void hubd_sched_free(hubd_sched *s) {
  int k;
  if (!s) return;
  hubd_sched_stop(s);
  for (k = 0; k < NJOBS; k++) free(s->spec[k]);
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->wake);
  free(s);
}
