/*
 * cluster.c — per-user jobs across hubd nodes: claim, run, commit with fencing, lease renewal,
 * the leader's sweeps and LISTEN/NOTIFY wake-ups (native driver layer; see cluster.h). Owns
 * tables hub_jobs, hub_job_runs and hub_cluster.
 *
 * A job runs in two phases: the work (network, the core on a file; no transaction open) and the
 * commit (one short transaction: fence, store, record, next slot). Job bodies: ingest here (the
 * core's sync on the user's image, pgstore.c), repos and foryou in foryou.c.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include "hub_int.h"
#include "hubd_log.h"
#include "cluster.h"
#include "foryou.h"
#include "pgstore.h"
#include "secrets.h"
#include "transport.h"

#define CHANNEL "hub_jobs"
#define CHANNEL_USERS "hub_users"

static const char *const kind_names[HUBD_JOB__COUNT] = {"ingest", "repos", "foryou"};

const char *hubd_job_name(hubd_job_kind k) { return k < HUBD_JOB__COUNT ? kind_names[k] : "?"; }

static int kind_of(const char *name) {
  int k;
  for (k = 0; k < HUBD_JOB__COUNT; k++)
    if (strcmp(kind_names[k], name) == 0) return k;
  return -1;
}

int64_t hubd_job_next_slot(int64_t slot, int64_t every_ms, int64_t now) {
  int64_t k;
  if (every_ms <= 0) every_ms = 1;
  if (slot + every_ms > now) return slot + every_ms;
  k = (now - slot) / every_ms + 1;
  return slot + k * every_ms;
}

int64_t hubd_job_backoff(int attempt) {
  int64_t d = HUBD_JOB_BACKOFF_MS;
  while (--attempt > 0 && d < 3600000) d *= 2;
  return d;
}

struct hubd_cluster {
  char *url, *node, *dir;
  unsigned nworkers, lease_s, poll_ms, sweep_s, keep_days;
  unsigned every_s[HUBD_JOB__COUNT];
  hubd_cluster_env env;
  pthread_t control, workers[HUBD_WORKERS_MAX];
  unsigned started_workers;
  int started_control;
  pthread_mutex_t mu;
  pthread_cond_t wake;
  unsigned long wake_seq; /* bumped by every NOTIFY heard (under mu) */
  atomic_int stopping, leader, running, conns;
  pthread_mutex_t template_mu; /* the empty, migrated image new users start from */
  int have_template;
};

typedef struct {
  hubd_cluster *cl;
  unsigned index;
} worker_arg;

/* A claimed job. */
typedef struct {
  char login[48], kind_name[16], prev[128];
  int kind, attempt;
  int64_t slot, token, started;
} job;

/* What the work phase leaves for the commit. */
typedef struct {
  char status[24];
  char error[300];
  cJSON *stats;
  int retry;      /* a failure worth another attempt */
  int cancelled;  /* hubd is stopping: give the lease back */
  char path[1024]; /* ingest: the image file */
  int64_t old_version;
  hubd_repo *repos;
  size_t nrepos;
} outcome;

static int stopping(hubd_cluster *cl) {
  return atomic_load(&cl->stopping) || (cl->env.stop_flag && atomic_load(cl->env.stop_flag));
}

static void sleep_ms(hubd_cluster *cl, int64_t ms) {
  while (ms > 0 && !stopping(cl)) {
    int64_t step = ms > 100 ? 100 : ms;
    struct timespec ts = {0, (long)step * 1000000L};
    nanosleep(&ts, NULL);
    ms -= step;
  }
}

/* ---- scheduling and progress (any node, any connection) ------------------------------------------ */

int hubd_jobs_schedule(PGconn *c, const char *login, unsigned mask, int64_t due, int reset, const char *node,
                       hubd_pg_err *e) {
  char payload[200];
  int k;
  for (k = 0; k < HUBD_JOB__COUNT; k++) {
    if (!(mask & (1u << k))) continue;
    if (reset ? hubd_pg_do(c, e, NULL,
                           "INSERT INTO hub_jobs (login, kind, due_at, slot) VALUES ($1, $2, $3, $3) "
                           "ON CONFLICT (login, kind) DO UPDATE SET due_at = EXCLUDED.due_at, slot = EXCLUDED.slot, "
                           "lease_until = NULL, "
                           "lease_node = NULL, lease_token = NULL, attempts = 0, runs = 0, last_status = NULL, "
                           "last_error = NULL",
                           "tti", login, kind_names[k], due)
              : hubd_pg_do(c, e, NULL,
                           "INSERT INTO hub_jobs (login, kind, due_at, slot) VALUES ($1, $2, $3, $3) "
                           "ON CONFLICT (login, kind) DO UPDATE SET due_at = LEAST(hub_jobs.due_at, EXCLUDED.due_at), "
                           "slot = CASE WHEN EXCLUDED.due_at < hub_jobs.due_at THEN EXCLUDED.slot ELSE hub_jobs.slot END",
                           "tti", login, kind_names[k], due))
      return -1;
  }
  snprintf(payload, sizeof payload, "%s %s", node, login);
  return hubd_pg_do(c, e, NULL, "SELECT pg_notify('" CHANNEL "', $1)", "t", payload);
}

int hubd_users_announce_delete(PGconn *c, const char *login, hubd_pg_err *e) {
  return hubd_pg_do(c, e, NULL, "SELECT pg_notify('" CHANNEL_USERS "', $1)", "t", login);
}

cJSON *hubd_jobs_progress(PGconn *c, const char *login, int64_t now, hubd_pg_err *e) {
  PGresult *r = hubd_pg_run(c, e,
                            "SELECT kind, due_at, lease_until, lease_node, attempts, runs, last_status, last_error, "
                            "last_end_at FROM hub_jobs WHERE login = $1 ORDER BY kind",
                            "t", login);
  cJSON *arr;
  int i;
  if (!r) return NULL;
  arr = cJSON_CreateArray();
  for (i = 0; arr && i < PQntuples(r); i++) {
    cJSON *o = cJSON_CreateObject();
    int running = !PQgetisnull(r, i, 2) && hubd_pg_int(r, i, 2) >= now;
    cJSON_AddStringToObject(o, "kind", hubd_pg_str(r, i, 0));
    cJSON_AddNumberToObject(o, "due_at", (double)hubd_pg_int(r, i, 1));
    cJSON_AddBoolToObject(o, "running", running);
    if (running) cJSON_AddStringToObject(o, "node", hubd_pg_str(r, i, 3));
    cJSON_AddNumberToObject(o, "attempts", (double)hubd_pg_int(r, i, 4));
    cJSON_AddNumberToObject(o, "runs", (double)hubd_pg_int(r, i, 5));
    if (hubd_pg_str(r, i, 6)) cJSON_AddStringToObject(o, "last_status", hubd_pg_str(r, i, 6));
    else cJSON_AddNullToObject(o, "last_status");
    if (hubd_pg_str(r, i, 7)) cJSON_AddStringToObject(o, "last_error", hubd_pg_str(r, i, 7));
    if (!PQgetisnull(r, i, 8)) cJSON_AddNumberToObject(o, "last_end_at", (double)hubd_pg_int(r, i, 8));
    else cJSON_AddNullToObject(o, "last_end_at");
    cJSON_AddItemToArray(arr, o);
  }
  PQclear(r);
  return arr;
}

/* ---- claim, release, commit ------------------------------------------------------------------------ */

/* Claims the most overdue job. 1 (j filled), 0 nothing due, -1 with e. */
static int claim(hubd_cluster *cl, PGconn *c, int64_t now, job *j, hubd_pg_err *e) {
  int64_t token;
  PGresult *r;
  int rc = 0;
  randombytes_buf(&token, sizeof token);
  token &= INT64_MAX;
  r = hubd_pg_run(c, e,
                  "WITH c AS (SELECT login, kind, lease_node FROM hub_jobs WHERE due_at <= $1 AND "
                  "(lease_until IS NULL OR lease_until < $1) ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED) "
                  "UPDATE hub_jobs j SET lease_until = $1 + $2, lease_node = $3, lease_token = $4, "
                  "attempts = j.attempts + 1 FROM c WHERE j.login = c.login AND j.kind = c.kind "
                  "RETURNING j.login, j.kind, j.slot, j.attempts, c.lease_node",
                  "iiti", now, (int64_t)cl->lease_s * 1000, cl->node, token);
  if (!r) return -1;
  if (PQntuples(r) == 1) {
    memset(j, 0, sizeof *j);
    snprintf(j->login, sizeof j->login, "%s", hubd_pg_str(r, 0, 0));
    snprintf(j->kind_name, sizeof j->kind_name, "%s", hubd_pg_str(r, 0, 1));
    j->kind = kind_of(j->kind_name);
    j->slot = hubd_pg_int(r, 0, 2);
    j->attempt = (int)hubd_pg_int(r, 0, 3);
    snprintf(j->prev, sizeof j->prev, "%s", hubd_pg_str(r, 0, 4) ? hubd_pg_str(r, 0, 4) : "");
    j->token = token;
    j->started = now;
    rc = 1;
  }
  PQclear(r);
  return rc;
}

/* Gives the lease back so the job runs again at due (the slot is kept). */
static void release(hubd_cluster *cl, PGconn *c, const job *j, int64_t due, const char *why) {
  hubd_pg_err e;
  char att[16];
  if (hubd_pg_do(c, &e, NULL,
                 "UPDATE hub_jobs SET lease_until = NULL, lease_node = NULL, lease_token = NULL, due_at = $4, "
                 "last_status = 'retry', last_error = $5 WHERE login = $1 AND kind = $2 AND lease_token = $3",
                 "ttiit", j->login, j->kind_name, j->token, due, why))
    hubd_log(HUBD_LOG_WARN, "job_release_failed", "user", j->login, "job", j->kind_name, "message", e.msg,
             (char *)NULL);
  snprintf(att, sizeof att, "%d", j->attempt);
  hubd_log(HUBD_LOG_WARN, "job_retry", "user", j->login, "job", j->kind_name, "attempt", att, "node", cl->node,
           "why", why, (char *)NULL);
}

/* The kind's own writes inside the commit: 1 applied, 0 conflict (the image moved), -1 e. */
static int apply(hubd_cluster *cl, PGconn *c, const job *j, outcome *o, int64_t now, hubd_pg_err *e) {
  int64_t newv = 0, n;
  int rc;
  switch (j->kind) {
  case HUBD_JOB_INGEST:
    if (!o->path[0]) return 1; /* the work failed before an image existed: nothing to store */
    rc = hubd_image_store(c, j->login, o->path, o->old_version, cl->node, now, &newv, e);
    if (rc == 1) cJSON_AddNumberToObject(o->stats, "version", (double)newv);
    return rc;
  case HUBD_JOB_REPOS:
    if (!o->repos && strcmp(o->status, "ok") != 0 && strcmp(o->status, "not_found") != 0) return 1;
    return hubd_repos_store(c, j->login, o->repos, o->nrepos, e) ? -1 : 1;
  case HUBD_JOB_FORYOU:
    n = hubd_foryou_rebuild(c, j->login, now, e);
    if (n < 0) return -1;
    cJSON_AddNumberToObject(o->stats, "candidates", (double)n);
    return 1;
  }
  return 1;
}

/* Commits the outcome: fence, apply, record, next slot. Returns 0 committed, 1 lost the lease,
 * 2 conflict, -1 database error (e). */
static int commit(hubd_cluster *cl, PGconn *c, const job *j, outcome *o, hubd_pg_err *e) {
  int64_t now = hub_now_ms(), rows = 0, next;
  char *stats = NULL;
  int rc = -1, ap;
  if (hubd_pg_begin(c, e)) return -1;
  /* the user's row first (every writer of a user locks it first), so two jobs of one user
   * committing at once see each other when the last one marks the user ready. NO KEY UPDATE, not
   * UPDATE: the foreign-key checks of other users' commits (hub_foryou.author → hub_users) take
   * KEY SHARE on this row, which only FOR UPDATE would block — two for-you commits would then
   * deadlock, each holding its own user and checking the other. */
  if (hubd_pg_do(c, e, NULL, "SELECT 1 FROM hub_users WHERE login = $1 FOR NO KEY UPDATE", "t", j->login) ||
      hubd_pg_do(c, e, &rows, "SELECT 1 FROM hub_jobs WHERE login = $1 AND kind = $2 AND lease_token = $3 FOR UPDATE",
                 "tti", j->login, j->kind_name, j->token))
    goto done;
  if (rows != 1) {
    rc = 1;
    goto done;
  }
  ap = apply(cl, c, j, o, now, e);
  if (ap <= 0) {
    rc = ap == 0 ? 2 : -1;
    goto done;
  }
  stats = cJSON_PrintUnformatted(o->stats);
  next = hubd_job_next_slot(j->slot, (int64_t)cl->every_s[j->kind] * 1000, now);
  if (hubd_pg_do(c, e, NULL,
                 "INSERT INTO hub_job_runs (login, kind, slot, node, attempt, started_at, ended_at, status, stats, "
                 "error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                 "ttitiiittt", j->login, j->kind_name, j->slot, cl->node, (int64_t)j->attempt, j->started, now,
                 o->status, stats, o->error[0] ? o->error : NULL) ||
      hubd_pg_do(c, e, NULL,
                 "UPDATE hub_jobs SET lease_until = NULL, lease_node = NULL, lease_token = NULL, attempts = 0, "
                 "runs = runs + 1, due_at = $3, slot = $3, last_status = $4, last_error = $5, last_end_at = $6 "
                 "WHERE login = $1 AND kind = $2",
                 "ttitti", j->login, j->kind_name, next, o->status, o->error[0] ? o->error : NULL, now) ||
      hubd_pg_do(c, e, NULL,
                 "UPDATE hub_users SET status = 'ready', updated_at = $2 WHERE login = $1 AND status = 'processing' "
                 "AND NOT EXISTS (SELECT 1 FROM hub_jobs WHERE login = $1 AND runs = 0)",
                 "ti", j->login, now))
    goto done;
  rc = hubd_pg_commit(c, e) ? -1 : 0;
done:
  if (rc != 0) hubd_pg_rollback(c);
  cJSON_free(stats);
  return rc;
}

/* ---- job bodies ------------------------------------------------------------------------------------- */

static double num(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* A new image: the user's login, no notifications (the token, if any, is the operator's). */
static int first_settings(hub *h, const char *login, outcome *o) {
  cJSON *req = cJSON_CreateObject(), *set = cJSON_AddObjectToObject(req, "set"), *res;
  int rc = 0;
  cJSON_AddStringToObject(req, "cmd", "settings");
  cJSON_AddStringToObject(set, "github_user", login);
  cJSON_AddFalseToObject(set, "notifications");
  res = hub_callj(h, req);
  if (!res || cJSON_GetObjectItemCaseSensitive(res, "error")) {
    char *t = res ? cJSON_PrintUnformatted(res) : NULL;
    snprintf(o->error, sizeof o->error, "settings: %.250s", t ? t : "out of memory");
    cJSON_free(t);
    rc = -1;
  }
  cJSON_Delete(res);
  cJSON_Delete(req);
  return rc;
}

static void ingest_run(hubd_cluster *cl, hub *h, outcome *o) {
  static const char *const sources[] = {"github", NULL};
  static const char *const counts[] = {"new", "updated", "unchanged", "requests", "not_modified", "retries"};
  char *token = NULL, *api = NULL;
  int64_t max_wait = 0;
  cJSON *res, *run;
  size_t i;
  cl->env.upstream(cl->env.upstream_ud, &token, &api, &max_wait);
  res = hub_sync_run_sources(h, token, "GITHUB_TOKEN (hubd)", api, max_wait, sources, 0);
  hubd_secret_free(token);
  free(api);
  run = cJSON_GetObjectItemCaseSensitive(res, "run");
  if (run) {
    const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(run, "status"));
    const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(run, "code"));
    snprintf(o->status, sizeof o->status, "%s", st ? st : "error");
    cJSON_AddNumberToObject(o->stats, "run", num(run, "id"));
    for (i = 0; i < sizeof counts / sizeof counts[0]; i++) cJSON_AddNumberToObject(o->stats, counts[i], num(run, counts[i]));
    if (code) snprintf(o->error, sizeof o->error, "%s", code);
  } else {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(res, "error");
    const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "code"));
    const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message"));
    snprintf(o->status, sizeof o->status, "error");
    snprintf(o->error, sizeof o->error, "%s", msg ? msg : "out of memory");
    if (code && strcmp(code, "cancelled") == 0) o->cancelled = 1;
    else o->retry = 1;
  }
  cJSON_Delete(res);
}

/* A new user's image: a copy of this node's empty, migrated template (made once), so a first
 * ingest does not run every migration. 0 or -1. */
static int from_template(hubd_cluster *cl, const char *path) {
  char tpl[1100], err[300], buf[65536];
  hub *h = NULL;
  FILE *in = NULL, *out = NULL;
  size_t n;
  int rc = -1;
  snprintf(tpl, sizeof tpl, "%s/template.db", cl->dir);
  pthread_mutex_lock(&cl->template_mu);
  if (!cl->have_template) {
    hubd_image_unlink(tpl);
    if (hub_open(tpl, NULL, &h, err, sizeof err) == 0) {
      sqlite3_exec(h->db, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
      hub_close(h);
      cl->have_template = 1;
    }
  }
  if (cl->have_template && (in = fopen(tpl, "rb")) && (out = fopen(path, "wb"))) {
    rc = 0;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
      if (fwrite(buf, 1, n, out) != n) rc = -1;
    if (ferror(in)) rc = -1;
  }
  pthread_mutex_unlock(&cl->template_mu);
  if (in) fclose(in);
  if (out && fclose(out) != 0) rc = -1;
  return rc;
}

/* The ingest's work: the image into a file, the core's sync on it, the file closed. */
static void ingest_work(hubd_cluster *cl, PGconn *c, unsigned idx, const job *j, outcome *o) {
  hubd_pg_err e;
  hub *h = NULL;
  char err[300];
  int got;
  int64_t t0 = hub_now_ms(), t1, t2;
  snprintf(o->path, sizeof o->path, "%s/w%u-%s.db", cl->dir, idx, j->login);
  got = hubd_image_load(c, j->login, o->path, &o->old_version, &e);
  if (got < 0) {
    snprintf(o->error, sizeof o->error, "loading the image: %.250s", e.msg);
    o->retry = 1;
    o->path[0] = 0;
    return;
  }
  if (got == 0) { /* a first image */
    hubd_image_unlink(o->path);
    if (from_template(cl, o->path)) hubd_image_unlink(o->path); /* hub_open makes one */
  }
  if (hub_open(o->path, NULL, &h, err, sizeof err)) {
    snprintf(o->error, sizeof o->error, "opening the image: %.250s", err);
    o->retry = 1;
    hubd_image_unlink(o->path);
    o->path[0] = 0;
    return;
  }
  /* a scratch copy: PostgreSQL holds the image durably, so no journal on disk and no fsync */
  sqlite3_exec(h->db, "PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF", NULL, NULL, NULL);
  t1 = hub_now_ms();
  if (got == 0 && first_settings(h, j->login, o)) o->retry = 1;
  else ingest_run(cl, h, o);
  t2 = hub_now_ms();
  hub_close(h); /* checkpoints the WAL: the file alone is the image */
  cJSON_AddNumberToObject(o->stats, "from_version", (double)o->old_version);
  /* where an ingest's time goes: load + open, the sync, the close (for operators; debug) */
  cJSON_AddNumberToObject(o->stats, "load_ms", (double)(t1 - t0));
  cJSON_AddNumberToObject(o->stats, "sync_ms", (double)(t2 - t1));
  cJSON_AddNumberToObject(o->stats, "close_ms", (double)(hub_now_ms() - t2));
}

/* The repos job's work: the user's public repositories from GitHub, their highlights. */
static void repos_work(hubd_cluster *cl, const job *j, outcome *o) {
  char *token = NULL, *api = NULL, *url = NULL, *auth = NULL, err[300];
  int64_t max_wait = 0;
  cJSON *req = cJSON_CreateObject(), *hdr, *res = NULL;
  const cJSON *st, *body;
  int status;
  cl->env.upstream(cl->env.upstream_ud, &token, &api, &max_wait);
  url = hub__printf("%s/users/%s/repos?per_page=%d&sort=pushed&type=owner", api ? api : "https://api.github.com",
                    j->login, HUBD_REPOS_MAX);
  cJSON_AddStringToObject(req, "method", "GET");
  cJSON_AddStringToObject(req, "url", url ? url : "");
  hdr = cJSON_AddObjectToObject(req, "headers");
  cJSON_AddStringToObject(hdr, "Accept", "application/vnd.github+json");
  cJSON_AddStringToObject(hdr, "X-GitHub-Api-Version", "2022-11-28");
  if (token) {
    auth = hub__printf("Bearer %s", token);
    if (auth) cJSON_AddStringToObject(hdr, "Authorization", auth);
  }
  res = url ? hub_transport_perform(req, HUBD_REPOS_BODY_MAX) : NULL;
  st = cJSON_GetObjectItemCaseSensitive(res, "status");
  body = cJSON_GetObjectItemCaseSensitive(res, "body");
  status = cJSON_IsNumber(st) ? (int)st->valuedouble : 0;
  cJSON_AddNumberToObject(o->stats, "status", status);
  if (status == 200 && cJSON_IsString(body)) {
    if (hubd_repos_parse(j->login, body->valuestring, strlen(body->valuestring), &o->repos, &o->nrepos, err,
                         sizeof err)) {
      snprintf(o->status, sizeof o->status, "error");
      snprintf(o->error, sizeof o->error, "%s", err);
      goto done;
    }
    hubd_repos_pick(j->login, o->repos, o->nrepos, hub_now_ms());
    if (cl->env.llm) {
      int used = hubd_repos_refine(cl->env.llm, j->login, o->repos, o->nrepos, cl->env.stop_flag, err, sizeof err);
      cJSON_AddStringToObject(o->stats, "picked_by", used ? "llm" : "rules");
      if (!used && err[0]) cJSON_AddStringToObject(o->stats, "llm", err);
    }
    cJSON_AddNumberToObject(o->stats, "repos", (double)o->nrepos);
  } else if (status == 404) {
    snprintf(o->status, sizeof o->status, "not_found"); /* no such GitHub user: no repositories */
  } else {
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(res, "error");
    snprintf(o->status, sizeof o->status, "error");
    if (cJSON_IsString(msg)) snprintf(o->error, sizeof o->error, "%s", msg->valuestring);
    else snprintf(o->error, sizeof o->error, "GitHub answered %d", status);
    if (stopping(cl)) o->cancelled = 1;
    else o->retry = 1;
  }
done:
  if (auth) sodium_memzero(auth, strlen(auth));
  hub_free(auth);
  hub_free(url);
  hubd_secret_free(token);
  free(api);
  cJSON_Delete(req);
  cJSON_Delete(res);
}

static void log_end(hubd_cluster *cl, const job *j, const outcome *o, const char *event, hubd_log_level lv) {
  char slot[24], att[16], ms[24], *stats = hubd_log_enabled(HUBD_LOG_DEBUG) ? cJSON_PrintUnformatted(o->stats) : NULL;
  snprintf(slot, sizeof slot, "%lld", (long long)j->slot);
  snprintf(att, sizeof att, "%d", j->attempt);
  snprintf(ms, sizeof ms, "%lld", (long long)(hub_now_ms() - j->started));
  hubd_log(lv, event, "user", j->login, "job", j->kind_name, "slot", slot, "attempt", att, "node", cl->node, "status",
           o->status, "ms", ms, "error", o->error[0] ? o->error : NULL, "stats", stats, (char *)NULL);
  cJSON_free(stats);
}

/* Runs one claimed job through work and commit. */
static void run_job(hubd_cluster *cl, PGconn *c, unsigned idx, const job *j) {
  outcome o;
  hubd_pg_err e;
  char slot[24], att[16];
  int rc;
  memset(&o, 0, sizeof o);
  o.stats = cJSON_CreateObject();
  snprintf(o.status, sizeof o.status, "ok");
  snprintf(slot, sizeof slot, "%lld", (long long)j->slot);
  snprintf(att, sizeof att, "%d", j->attempt);
  atomic_fetch_add(&cl->running, 1);
  hubd_log(HUBD_LOG_INFO, "job_start", "user", j->login, "job", j->kind_name, "slot", slot, "attempt", att, "node",
           cl->node, "took_over", j->prev[0] ? j->prev : NULL, (char *)NULL);
  if (j->kind == HUBD_JOB_INGEST) ingest_work(cl, c, idx, j, &o);
  else if (j->kind == HUBD_JOB_REPOS) repos_work(cl, j, &o);
  if (o.cancelled || (o.retry && stopping(cl))) {
    release(cl, c, j, j->slot, "hubd stopped during the job");
  } else if (o.retry && j->attempt < HUBD_JOB_MAX_ATTEMPTS) {
    release(cl, c, j, hub_now_ms() + hubd_job_backoff(j->attempt), o.error[0] ? o.error : "failed");
  } else {
    if (o.retry) snprintf(o.status, sizeof o.status, "failed");
    int64_t tc = hub_now_ms();
    rc = commit(cl, c, j, &o, &e);
    cJSON_AddNumberToObject(o.stats, "commit_ms", (double)(hub_now_ms() - tc));
    if (rc == 0) log_end(cl, j, &o, "job_end", strcmp(o.status, "ok") == 0 ? HUBD_LOG_INFO : HUBD_LOG_WARN);
    else if (rc == 1) log_end(cl, j, &o, "job_lost", HUBD_LOG_WARN); /* the lease expired and moved on */
    else if (rc == 2) release(cl, c, j, hub_now_ms(), "the image changed meanwhile (restart)");
    else {
      snprintf(o.error, sizeof o.error, "commit: %.250s", e.msg);
      log_end(cl, j, &o, "job_commit_failed", HUBD_LOG_ERROR);
      release(cl, c, j, hub_now_ms() + hubd_job_backoff(j->attempt), "commit failed");
    }
  }
  if (o.path[0]) hubd_image_unlink(o.path);
  hubd_repos_free(o.repos, o.nrepos);
  cJSON_Delete(o.stats);
  atomic_fetch_sub(&cl->running, 1);
}

/* ---- workers ------------------------------------------------------------------------------------------ */

/* When the next job may be claimable (ms), or now + poll when unknown. */
static int64_t next_due(hubd_cluster *cl, PGconn *c, int64_t now) {
  hubd_pg_err e;
  PGresult *r = hubd_pg_run(c, &e, "SELECT min(greatest(due_at, coalesce(lease_until + 1, 0))) FROM hub_jobs", NULL);
  int64_t t = now + cl->poll_ms;
  if (r && !PQgetisnull(r, 0, 0) && hubd_pg_int(r, 0, 0) < t) t = hubd_pg_int(r, 0, 0);
  PQclear(r);
  return t;
}

/* Sleeps until `until` (ms, real clock) or a wake-up newer than seq. */
static void wait_work(hubd_cluster *cl, unsigned long seq, int64_t until) {
  struct timespec ts;
  ts.tv_sec = (time_t)(until / 1000);
  ts.tv_nsec = (long)(until % 1000) * 1000000L;
  pthread_mutex_lock(&cl->mu);
  while (cl->wake_seq == seq && !stopping(cl) && hub_now_ms() < until)
    if (pthread_cond_timedwait(&cl->wake, &cl->mu, &ts) == ETIMEDOUT) break;
  pthread_mutex_unlock(&cl->mu);
}

static PGconn *connect_as(hubd_cluster *cl, const char *role) {
  char app[160];
  hubd_pg_err e;
  PGconn *c;
  snprintf(app, sizeof app, "hubd:%s:%s", cl->node, role);
  c = hubd_pg_connect(cl->url, app, &e);
  if (!c) {
    hubd_log(HUBD_LOG_WARN, "pg_connect_failed", "role", role, "message", e.msg, (char *)NULL);
    return NULL;
  }
  atomic_fetch_add(&cl->conns, 1);
  /* a job's commit need not wait for the WAL flush: if PostgreSQL crashes before it, the commit
   * is lost whole (never half), the lease expires and the job runs again — its result comes
   * from upstream and is recomputed. Users' own writes (HTTP) stay synchronous. */
  if (strcmp(role, "worker") == 0 && hubd_pg_do(c, &e, NULL, "SET synchronous_commit = off", NULL))
    hubd_log(HUBD_LOG_WARN, "pg_set_failed", "message", e.msg, (char *)NULL);
  return c;
}

static void disconnect(hubd_cluster *cl, PGconn **c) {
  if (!*c) return;
  PQfinish(*c);
  *c = NULL;
  atomic_fetch_sub(&cl->conns, 1);
}

static void *worker_main(void *arg) {
  worker_arg *wa = arg;
  hubd_cluster *cl = wa->cl;
  unsigned idx = wa->index;
  PGconn *c = NULL;
  free(wa);
  while (!stopping(cl)) {
    unsigned long seq;
    int64_t now = hub_now_ms();
    hubd_pg_err e;
    job j;
    int got;
    if (!c || PQstatus(c) != CONNECTION_OK) {
      disconnect(cl, &c);
      c = connect_as(cl, "worker");
      if (!c) {
        sleep_ms(cl, 1000);
        continue;
      }
    }
    pthread_mutex_lock(&cl->mu);
    seq = cl->wake_seq;
    pthread_mutex_unlock(&cl->mu);
    got = claim(cl, c, now, &j, &e);
    if (got == 1 && j.kind >= 0) {
      run_job(cl, c, idx, &j);
    } else if (got < 0) {
      hubd_log(HUBD_LOG_WARN, "job_claim_failed", "node", cl->node, "message", e.msg, (char *)NULL);
      disconnect(cl, &c);
      sleep_ms(cl, 1000);
    } else {
      wait_work(cl, seq, next_due(cl, c, now));
    }
  }
  disconnect(cl, &c);
  return NULL;
}

/* ---- the control thread: LISTEN, leader, sweeps, leases --------------------------------------------------- */

static void wake_all(hubd_cluster *cl) {
  pthread_mutex_lock(&cl->mu);
  cl->wake_seq++;
  pthread_cond_broadcast(&cl->wake);
  pthread_mutex_unlock(&cl->mu);
}

static void sweep(hubd_cluster *cl, PGconn *c, int64_t now) {
  hubd_pg_err e;
  int64_t runs = 0, expos = 0, expired = 0;
  char a[24], b[24], d[24];
  if (hubd_pg_do(c, &e, &runs, "DELETE FROM hub_job_runs WHERE ended_at < $1", "i",
                 now - (int64_t)cl->keep_days * 86400000LL) ||
      hubd_pg_do(c, &e, &expos,
                 "DELETE FROM hub_exposures WHERE coalesce(greatest(last_shown_at, reacted_at), 0) < $1 AND NOT hidden",
                 "i", now - (int64_t)HUBD_EXPOSURE_KEEP_DAYS * 86400000LL) ||
      hubd_pg_do(c, &e, &expired, "SELECT 1 FROM hub_jobs WHERE lease_token IS NOT NULL AND lease_until < $1", "i",
                 now) ||
      (expired > 0 && hubd_pg_do(c, &e, NULL, "SELECT pg_notify('" CHANNEL "', $1)", "t", "leases-expired")) ||
      hubd_pg_do(c, &e, NULL,
                 "UPDATE hub_cluster SET leader = $1, last_sweep_at = $2, sweeps = sweeps + 1 WHERE id = 1", "ti",
                 cl->node, now)) {
    hubd_log(HUBD_LOG_WARN, "sweep_failed", "node", cl->node, "message", e.msg, (char *)NULL);
    return;
  }
  snprintf(a, sizeof a, "%lld", (long long)runs);
  snprintf(b, sizeof b, "%lld", (long long)expos);
  snprintf(d, sizeof d, "%lld", (long long)expired);
  hubd_log(HUBD_LOG_INFO, "sweep", "node", cl->node, "runs_deleted", a, "exposures_deleted", b, "leases_expired", d,
           (char *)NULL);
}

/* Tries to become the leader (the lock lives as long as this connection). */
static void try_lead(hubd_cluster *cl, PGconn *c, int64_t now) {
  hubd_pg_err e;
  PGresult *r = hubd_pg_run(c, &e, "SELECT pg_try_advisory_lock($1)", "i", (int64_t)HUBD_PG_LOCK_LEADER);
  if (r && hubd_pg_bool(r, 0, 0)) {
    atomic_store(&cl->leader, 1);
    hubd_pg_do(c, &e, NULL, "UPDATE hub_cluster SET leader = $1, leader_since = $2 WHERE id = 1", "ti", cl->node, now);
    hubd_log(HUBD_LOG_INFO, "leader", "node", cl->node, (char *)NULL);
  }
  PQclear(r);
}

static void renew(hubd_cluster *cl, PGconn *c, int64_t now) {
  hubd_pg_err e;
  if (hubd_pg_do(c, &e, NULL, "UPDATE hub_jobs SET lease_until = $1 + $2 WHERE lease_node = $3 AND lease_until >= $1",
                 "iit", now, (int64_t)cl->lease_s * 1000, cl->node))
    hubd_log(HUBD_LOG_WARN, "lease_renew_failed", "node", cl->node, "message", e.msg, (char *)NULL);
}

/* Reads the notifications that arrived; wakes the workers when there were any. */
static void hear(hubd_cluster *cl, PGconn *c, int wait_ms) {
  struct pollfd p;
  PGnotify *n;
  int heard = 0;
  p.fd = PQsocket(c);
  p.events = POLLIN;
  p.revents = 0;
  if (p.fd >= 0 && poll(&p, 1, wait_ms) > 0) PQconsumeInput(c);
  while ((n = PQnotifies(c)) != NULL) {
    hubd_log(HUBD_LOG_INFO, "notify", "node", cl->node, "channel", n->relname, "payload", n->extra, (char *)NULL);
    if (strcmp(n->relname, CHANNEL_USERS) == 0) {
      if (cl->env.forget) cl->env.forget(cl->env.forget_ud, n->extra);
    } else {
      heard = 1;
    }
    PQfreemem(n);
  }
  if (heard) wake_all(cl);
}

static void *control_main(void *arg) {
  hubd_cluster *cl = arg;
  PGconn *c = NULL;
  int64_t next_sweep = 0, next_renew = 0;
  while (!atomic_load(&cl->stopping)) {
    int64_t now = hub_now_ms();
    hubd_pg_err e;
    if (!c || PQstatus(c) != CONNECTION_OK) {
      if (c && atomic_exchange(&cl->leader, 0)) hubd_log(HUBD_LOG_WARN, "leader_lost", "node", cl->node, (char *)NULL);
      disconnect(cl, &c);
      c = connect_as(cl, "control");
      if (!c || hubd_pg_do(c, &e, NULL, "LISTEN " CHANNEL, NULL) || hubd_pg_do(c, &e, NULL, "LISTEN " CHANNEL_USERS, NULL)) {
        disconnect(cl, &c);
        sleep_ms(cl, 1000);
        continue;
      }
      wake_all(cl); /* notifications may have been missed while away */
    }
    if (!atomic_load(&cl->leader)) try_lead(cl, c, now);
    if (atomic_load(&cl->leader) && now >= next_sweep) {
      sweep(cl, c, now);
      next_sweep = now + (int64_t)cl->sweep_s * 1000;
    }
    if (atomic_load(&cl->running) > 0 && now >= next_renew) {
      renew(cl, c, now);
      next_renew = now + (int64_t)cl->lease_s * 1000 / 3;
    } else if (atomic_load(&cl->running) == 0) {
      next_renew = 0;
    }
    hear(cl, c, 250);
  }
  disconnect(cl, &c); /* ends the session: the leader lock goes with it */
  return NULL;
}

/* ---- start / stop ---------------------------------------------------------------------------------------- */

hubd_cluster *hubd_cluster_start(const hubd_cluster_conf *c, char *err, size_t errlen) {
  hubd_cluster *cl = calloc(1, sizeof *cl);
  pthread_condattr_t ca;
  unsigned i;
  if (!cl) goto oom;
  cl->url = strdup(c->url);
  cl->node = strdup(c->node);
  cl->dir = strdup(c->state_dir);
  if (!cl->url || !cl->node || !cl->dir) goto oom;
  cl->nworkers = c->workers > HUBD_WORKERS_MAX ? HUBD_WORKERS_MAX : c->workers;
  cl->lease_s = c->lease_s ? c->lease_s : 1;
  cl->poll_ms = c->poll_ms ? c->poll_ms : 1000;
  cl->sweep_s = c->sweep_s ? c->sweep_s : 1;
  cl->keep_days = c->keep_days;
  memcpy(cl->every_s, c->every_s, sizeof cl->every_s);
  for (i = 0; i < HUBD_JOB__COUNT; i++)
    if (!cl->every_s[i]) cl->every_s[i] = 3600;
  cl->env = c->env;
  pthread_mutex_init(&cl->mu, NULL);
  pthread_mutex_init(&cl->template_mu, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_REALTIME); /* the due times are wall-clock */
  pthread_cond_init(&cl->wake, &ca);
  pthread_condattr_destroy(&ca);
  if (pthread_create(&cl->control, NULL, control_main, cl) != 0) {
    snprintf(err, errlen, "cannot start the cluster's control thread");
    hubd_cluster_free(cl);
    return NULL;
  }
  cl->started_control = 1;
  for (i = 0; i < cl->nworkers; i++) {
    worker_arg *wa = malloc(sizeof *wa);
    if (!wa) break;
    wa->cl = cl;
    wa->index = i;
    if (pthread_create(&cl->workers[i], NULL, worker_main, wa) != 0) {
      free(wa);
      break;
    }
    cl->started_workers++;
  }
  return cl;
oom:
  snprintf(err, errlen, "out of memory");
  if (cl) {
    free(cl->url);
    free(cl->node);
    free(cl->dir);
    free(cl);
  }
  return NULL;
}

void hubd_cluster_stop(hubd_cluster *cl) {
  unsigned i;
  if (!cl) return;
  atomic_store(&cl->stopping, 1);
  wake_all(cl);
  for (i = 0; i < cl->started_workers; i++) pthread_join(cl->workers[i], NULL);
  cl->started_workers = 0;
  if (cl->started_control) pthread_join(cl->control, NULL);
  cl->started_control = 0;
}

void hubd_cluster_free(hubd_cluster *cl) {
  if (!cl) return;
  hubd_cluster_stop(cl);
  pthread_mutex_destroy(&cl->mu);
  pthread_mutex_destroy(&cl->template_mu);
  pthread_cond_destroy(&cl->wake);
  free(cl->url);
  free(cl->node);
  free(cl->dir);
  free(cl);
}

int hubd_cluster_is_leader(hubd_cluster *cl) { return cl && atomic_load(&cl->leader); }

unsigned hubd_cluster_connections(hubd_cluster *cl) { return cl ? (unsigned)atomic_load(&cl->conns) : 0; }
