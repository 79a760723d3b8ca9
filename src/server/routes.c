/*
 * routes.c — hubd's API routes onto the core's JSON commands (native driver layer; see
 * routes.h). The route table below is the only place that says which command answers which
 * URL; which commands may skip the writer comes from the core's meta command.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cJSON.h"
#include "hub_int.h"
#include "hubd_log.h"
#include "push.h"
#include "routes.h"
#include "sched.h"
#include "secrets.h"
#include "transport.h"
#include "userapi.h"

/* ---- which commands only read ---------------------------------------------------------- */

#ifndef HUBD_CMDS_MAX
#define HUBD_CMDS_MAX 128 /* commands the core may declare */
#endif

/* The core's commands as its meta command lists them: whether each writes, and when. */
struct hubd_cmds {
  size_t n;
  struct {
    char name[40], when[24];
    int writes;
  } c[HUBD_CMDS_MAX];
};

/* Commands only hubd itself sends: it drives syncs (POST /api/sync, the scheduler), claims
 * scheduled jobs and stores what the LLM wrote. */
static const char *const driver_only[] = {"sync_start", "sync_next", "sync_feed", "sync_abort", "job_claim",
                                          "job_done",   "brief_llm",  "ai_claim",  "ai_done",
                                          "push_plan",  "push_result"};

/* Reads the table through meta on a reader. 0 or -1. */
static int cmds_load(hubd_api *api) {
  char *res = hubd_readers_call(api->readers, "{\"cmd\":\"meta\"}", 14);
  cJSON *m = res ? cJSON_Parse(res) : NULL;
  const cJSON *cmds = cJSON_GetObjectItemCaseSensitive(m, "commands"), *c;
  struct hubd_cmds *t = calloc(1, sizeof *t);
  int rc = -1;
  if (!t || !cJSON_IsObject(cmds)) goto done;
  cJSON_ArrayForEach(c, cmds) {
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(c, "writes"), *when = cJSON_GetObjectItemCaseSensitive(c, "writes_with");
    if (t->n == HUBD_CMDS_MAX || !c->string || strlen(c->string) >= sizeof t->c[0].name || !cJSON_IsBool(w) ||
        (when && (!cJSON_IsString(when) || strlen(when->valuestring) >= sizeof t->c[0].when)))
      goto done;
    snprintf(t->c[t->n].name, sizeof t->c[0].name, "%s", c->string);
    snprintf(t->c[t->n].when, sizeof t->c[0].when, "%s", when ? when->valuestring : "");
    t->c[t->n].writes = cJSON_IsTrue(w);
    t->n++;
  }
  rc = t->n > 0 ? 0 : -1;
  api->cmds = t;
  t = NULL;
done:
  free(t);
  cJSON_Delete(m);
  hub_free(res);
  return rc;
}

int hubd_cmd_class(const hubd_api *api, const char *json, size_t len) {
  cJSON *req = cJSON_ParseWithLength(json, len);
  const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(req, "cmd");
  size_t i;
  int cls = 1;
  if (!cJSON_IsObject(req) || !cJSON_IsString(cmd)) goto done;
  for (i = 0; i < sizeof driver_only / sizeof driver_only[0]; i++)
    if (strcmp(cmd->valuestring, driver_only[i]) == 0) {
      cls = -1;
      goto done;
    }
  for (i = 0; api->cmds && i < api->cmds->n; i++)
    if (strcmp(cmd->valuestring, api->cmds->c[i].name) == 0) {
      cls = !(api->cmds->c[i].writes &&
              (!api->cmds->c[i].when[0] || cJSON_GetObjectItemCaseSensitive(req, api->cmds->c[i].when)));
      break;
    }
done:
  cJSON_Delete(req);
  return cls;
}

/* ---- error codes → HTTP status ----------------------------------------------------------- */

static const struct {
  const char *code;
  int status;
} statuses[] = {
    {"bad_request", 400},    {"bad_json", 400},    {"bad_type", 400},      {"too_big", 413},
    {"not_found", 404},      {"state", 409},       {"token_rejected", 502}, {"upstream", 502},
    {"rate_limited", 429},   {"cancelled", 503},   {"unavailable", 503},    {"busy", 503},
    {"nomem", 503},          {"db", 500},          {"not_implemented", 501}, {"conflict", 409},
};

int hubd_status_of(const char *result) {
  cJSON *r, *code;
  int status = 500;
  size_t i;
  if (!result) return 503;
  if (strncmp(result, "{\"error\":", 9) != 0) return 200;
  r = cJSON_Parse(result);
  code = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "error"), "code");
  for (i = 0; cJSON_IsString(code) && i < sizeof statuses / sizeof statuses[0]; i++)
    if (strcmp(code->valuestring, statuses[i].code) == 0) status = statuses[i].status;
  cJSON_Delete(r);
  return status;
}

static char *error_json(const char *code, const char *message) {
  cJSON *r = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(r, "error");
  char *out;
  cJSON_AddStringToObject(e, "code", code);
  cJSON_AddStringToObject(e, "message", message);
  out = cJSON_PrintUnformatted(r);
  cJSON_Delete(r);
  return out;
}

/* ---- helpers ------------------------------------------------------------------------------ */

/* Percent-decodes a query value (and '+' → space) into out (size n). Returns 0, or -1 when it
 * is malformed, holds a NUL or does not fit. */
static int decode_arg(const char *in, char *out, size_t n) {
  size_t o = 0;
  for (; *in; in++) {
    int c = (unsigned char)*in;
    if (c == '+') c = ' ';
    else if (c == '%') {
      int hi, lo;
      if (!in[1] || !in[2]) return -1;
      hi = in[1] <= '9' ? in[1] - '0' : (in[1] | 32) - 'a' + 10;
      lo = in[2] <= '9' ? in[2] - '0' : (in[2] | 32) - 'a' + 10;
      if (hi < 0 || hi > 15 || lo < 0 || lo > 15) return -1;
      c = hi * 16 + lo;
      if (c == 0) return -1;
      in += 2;
    }
    if (o + 1 >= n) return -1;
    out[o++] = (char)c;
  }
  out[o] = 0;
  return 0;
}

/* The query argument limit (URL-encoded) as the request's "limit": a positive integer, above
 * 100,000 sent as 100,000 (the core says its own ceiling). 0, or -1 when it is not one. */
static int add_limit(cJSON *req, const char *limit) {
  char v[128], *end;
  long n;
  if (decode_arg(limit, v, sizeof v)) return -1;
  n = strtol(v, &end, 10);
  if (end == v || *end || n < 1) return -1;
  cJSON_AddNumberToObject(req, "limit", (double)(n > 100000 ? 100000 : n));
  return 0;
}

static char *read_cmd(hubd_api *api, cJSON *req) {
  char *in = cJSON_PrintUnformatted(req), *out;
  if (!in) return NULL;
  out = hubd_readers_call(api->readers, in, strlen(in));
  cJSON_free(in);
  return out;
}

/* ---- routes ------------------------------------------------------------------------------- */

typedef int (*route_fn)(hubd_api *api, hubd_arg_fn arg, void *ud, const char *body, size_t len, char **out);

struct hubd_route {
  const char *method, *path;
  int needs_key;
  size_t body_max;
  route_fn fn;
};

static int r_health(hubd_api *api, hubd_arg_fn arg, void *ud, const char *body, size_t len, char **out) {
  char *res = hubd_readers_call(api->readers, "{\"cmd\":\"last_run\"}", 18);
  int ok = res && hubd_status_of(res) == 200;
  (void)arg, (void)ud, (void)body, (void)len;
  hub_free(res);
  *out = hub__printf("{\"ok\":%s,\"version\":\"%s\",\"db\":\"%s\"}", ok ? "true" : "false", api->version,
                     ok ? "ok" : "error");
  return ok ? 200 : 503;
}

/* ---- the cards micro-cache ------------------------------------------------------------------ */

struct hubd_cards_cache {
  pthread_mutex_t mu;
  struct {
    char key[160];         /* the raw query: limit and from */
    unsigned long gen;     /* the writer's generation when computed */
    int64_t until_ms;      /* reused until then */
    char *body;
    size_t len;
  } slot[HUBD_CARDS_CACHE_SLOTS];
  unsigned next;
};

int hubd_routes_init(hubd_api *api) {
  api->cache = calloc(1, sizeof *api->cache);
  if (!api->cache) return -1;
  pthread_mutex_init(&api->cache->mu, NULL);
  return cmds_load(api);
}

void hubd_routes_free(hubd_api *api) {
  size_t i;
  free(api->cmds);
  api->cmds = NULL;
  if (!api->cache) return;
  for (i = 0; i < HUBD_CARDS_CACHE_SLOTS; i++) hub_free(api->cache->slot[i].body);
  pthread_mutex_destroy(&api->cache->mu);
  free(api->cache);
  api->cache = NULL;
}

/* A copy of the cached answer for key, or NULL. */
static char *cache_get(hubd_api *api, const char *key, unsigned long gen, int64_t now) {
  struct hubd_cards_cache *c = api->cache;
  char *out = NULL;
  size_t i;
  pthread_mutex_lock(&c->mu);
  for (i = 0; i < HUBD_CARDS_CACHE_SLOTS && !out; i++)
    if (c->slot[i].body && c->slot[i].gen == gen && c->slot[i].until_ms > now && strcmp(c->slot[i].key, key) == 0)
      out = hub__strndup(c->slot[i].body, c->slot[i].len);
  pthread_mutex_unlock(&c->mu);
  return out;
}

static void cache_put(hubd_api *api, const char *key, unsigned long gen, int64_t now, const char *body) {
  struct hubd_cards_cache *c = api->cache;
  size_t i, len = strlen(body);
  char *copy = hub__strndup(body, len), *old;
  if (!copy) return;
  pthread_mutex_lock(&c->mu);
  for (i = 0; i < HUBD_CARDS_CACHE_SLOTS; i++)
    if (c->slot[i].body && strcmp(c->slot[i].key, key) == 0) break;
  if (i == HUBD_CARDS_CACHE_SLOTS) i = c->next++ % HUBD_CARDS_CACHE_SLOTS;
  old = c->slot[i].body;
  snprintf(c->slot[i].key, sizeof c->slot[i].key, "%s", key);
  c->slot[i].gen = gen;
  c->slot[i].until_ms = now + api->cards_cache_ms;
  c->slot[i].body = copy;
  c->slot[i].len = len;
  pthread_mutex_unlock(&c->mu);
  hub_free(old);
}

static int r_cards(hubd_api *api, hubd_arg_fn arg, void *ud, const char *body, size_t len, char **out) {
  const char *limit = arg(ud, "limit"), *from = arg(ud, "from");
  char v[64], key[160];
  int64_t now = hub_now_ms();
  unsigned long gen = hubd_writer_generation(api->writer);
  cJSON *req;
  int status;
  (void)body, (void)len;
  snprintf(key, sizeof key, "%.70s|%.70s", limit ? limit : "", from ? from : "");
  *out = api->cards_cache_ms ? cache_get(api, key, gen, now) : NULL;
  if (*out) return 200;
  req = cJSON_CreateObject();
  cJSON_AddStringToObject(req, "cmd", "cards");
  cJSON_AddNumberToObject(req, "now", (double)now);
  if (limit && add_limit(req, limit)) goto bad;
  if (from) {
    if (decode_arg(from, v, sizeof v)) goto bad;
    cJSON_AddStringToObject(req, "from", v);
  }
  *out = read_cmd(api, req);
  cJSON_Delete(req);
  status = hubd_status_of(*out);
  if (status == 200 && api->cards_cache_ms) cache_put(api, key, gen, now, *out);
  return status;
bad:
  cJSON_Delete(req);
  *out = error_json("bad_request", "limit must be a positive number and from a word");
  return 400;
}

static int r_stats(hubd_api *api, hubd_arg_fn arg, void *ud, const char *body, size_t len, char **out) {
  (void)arg, (void)ud, (void)body, (void)len;
  *out = hubd_readers_call(api->readers, "{\"cmd\":\"stats\"}", 15);
  return hubd_status_of(*out);
}

/* TODO(lead): map onto the core's `runs` list command when it exists; last_run until then. */
static int r_runs(hubd_api *api, hubd_arg_fn arg, void *ud, const char *body, size_t len, char **out) {
  (void)arg, (void)ud, (void)body, (void)len;
  *out = hubd_readers_call(api->readers, "{\"cmd\":\"last_run\"}", 18);
  return hubd_status_of(*out);
}

static int r_jobs(hubd_api *api, hubd_arg_fn arg, void *ud, const char *body, size_t len, char **out) {
  char *req = api->sched ? hubd_sched_jobs_request(api->sched, hub_now_ms()) : hub__strdup("{\"cmd\":\"jobs\"}");
  (void)arg, (void)ud, (void)body, (void)len;
  *out = req ? hubd_readers_call(api->readers, req, strlen(req)) : NULL;
  hub_free(req);
  return hubd_status_of(*out);
}

static int r_call(hubd_api *api, hubd_arg_fn arg, void *ud, const char *body, size_t len, char **out) {
  int cls = hubd_cmd_class(api, body, len);
  (void)arg, (void)ud;
  if (cls < 0) {
    *out = error_json("bad_request", "hubd drives syncs and AI work itself: use POST /api/sync, /api/brief or /api/ai");
    return 400;
  }
  *out = cls ? hubd_readers_call(api->readers, body, len) : hubd_writer_call(api->writer, body, len);
  return hubd_status_of(*out);
}

/* ---- POST /api/sync: one ingest on the writer thread ---------------------------------------- */

typedef struct {
  char *token, *api;
  int64_t max_wait_ms;
} sync_arg;

static char *sync_job(hub *h, void *arg) {
  sync_arg *a = arg;
  int64_t t0 = hub_now_ms();
  cJSON *res, *run, *out = NULL;
  char *text = NULL, ms[32], n_new[24], n_upd[24], n_req[24];
  hubd_log(HUBD_LOG_INFO, "sync_start", "api", a->api ? a->api : "github", "token", a->token ? "set" : "none",
           (char *)NULL);
  res = hub_sync_run(h, a->token, "GITHUB_TOKEN (hubd)", a->api, a->max_wait_ms, 0);
  run = cJSON_GetObjectItemCaseSensitive(res, "run");
  snprintf(ms, sizeof ms, "%lld", (long long)(hub_now_ms() - t0));
  if (run) {
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(run, "status");
    snprintf(n_new, sizeof n_new, "%.0f", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(run, "new")));
    snprintf(n_upd, sizeof n_upd, "%.0f", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(run, "updated")));
    snprintf(n_req, sizeof n_req, "%.0f", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(run, "requests")));
    hubd_log(HUBD_LOG_INFO, "sync", "status", cJSON_IsString(st) ? st->valuestring : "?", "new", n_new, "updated",
             n_upd, "requests", n_req, "ms", ms, (char *)NULL);
    out = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(out, "run", run);
    text = cJSON_PrintUnformatted(out);
  } else {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(res, "error");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
    hubd_log(HUBD_LOG_WARN, "sync", "status", "error", "code", cJSON_IsString(code) ? code->valuestring : "nomem",
             "message", cJSON_IsString(msg) ? msg->valuestring : NULL, "ms", ms, (char *)NULL);
    text = res ? cJSON_PrintUnformatted(res) : NULL;
  }
  cJSON_Delete(out);
  cJSON_Delete(res);
  return text;
}

static int r_sync(hubd_api *api, hubd_arg_fn arg, void *ud, const char *body, size_t len, char **out) {
  (void)arg, (void)ud, (void)body, (void)len;
  return hubd_api_sync(api, out);
}

int hubd_api_sync(hubd_api *api, char **out) {
  sync_arg a;
  int expected = 0;
  if (!atomic_compare_exchange_strong(&api->sync_running, &expected, 1)) {
    *out = error_json("conflict", "a sync is already running");
    return 409;
  }
  memset(&a, 0, sizeof a);
  api->upstream(api->upstream_ud, &a.token, &a.api, &a.max_wait_ms);
  *out = hubd_writer_run(api->writer, sync_job, &a);
  if (*out && strncmp(*out, "{\"run\":", 7) == 0) hubd_push_kick(api->push); /* what is new may be worth a push */
  hubd_secret_free(a.token);
  free(a.api);
  atomic_store(&api->sync_running, 0);
  return hubd_status_of(*out);
}

/* ---- POST /api/brief, POST /api/ai: AI work on this thread, the core through the writer ------- */

static char *writer_call(void *ud, const char *json, size_t len) { return hubd_writer_call(ud, json, len); }

hubd_ai_env hubd_api_ai_env(hubd_api *api) {
  hubd_ai_env e;
  memset(&e, 0, sizeof e);
  e.call = writer_call;
  e.call_ud = api->writer;
  e.llm = api->llm;
  e.stop = hubd_writer_stopping(api->writer);
  return e;
}

/* Runs fn once at a time (409 otherwise) and answers {"run": its result, extra}. */
static int ai_route(hubd_api *api, int brief, char **out) {
  hubd_ai_env env = hubd_api_ai_env(api);
  int expected = 0;
  cJSON *run, *r;
  if (!atomic_compare_exchange_strong(&api->ai_running, &expected, 1)) {
    *out = error_json("conflict", "AI work is already running");
    return 409;
  }
  run = brief ? hubd_brief_run(&env) : hubd_aiqueue_run(&env, HUBD_AI_BUDGET_MS);
  atomic_store(&api->ai_running, 0);
  if (run && cJSON_GetObjectItemCaseSensitive(run, "error") && !cJSON_GetObjectItemCaseSensitive(run, "hash")) {
    *out = cJSON_PrintUnformatted(run); /* the core could not build the briefing */
    cJSON_Delete(run);
    return hubd_status_of(*out);
  }
  r = cJSON_CreateObject();
  hub__put(r, "run", run);
  if (brief) {
    cJSON *req = cJSON_CreateObject(), *b;
    char *in, *res;
    cJSON_AddStringToObject(req, "cmd", "brief");
    cJSON_AddNumberToObject(req, "now", (double)hub_now_ms());
    in = cJSON_PrintUnformatted(req);
    res = in ? hubd_readers_call(api->readers, in, strlen(in)) : NULL;
    b = res ? cJSON_Parse(res) : NULL;
    hub__put(r, "brief", cJSON_DetachItemFromObject(b, "brief"));
    cJSON_Delete(b);
    hub_free(res);
    cJSON_free(in);
    cJSON_Delete(req);
  }
  *out = cJSON_PrintUnformatted(r);
  cJSON_Delete(r);
  return *out ? 200 : 503;
}

static int r_brief(hubd_api *api, hubd_arg_fn arg, void *ud, const char *body, size_t len, char **out) {
  (void)arg, (void)ud, (void)body, (void)len;
  return ai_route(api, 1, out);
}

static int r_ai(hubd_api *api, hubd_arg_fn arg, void *ud, const char *body, size_t len, char **out) {
  (void)arg, (void)ud, (void)body, (void)len;
  return ai_route(api, 0, out);
}

/* ---- GET /api/changes, POST /api/changes: the PWA's sync ------------------------------------ */

static int r_changes_get(hubd_api *api, hubd_arg_fn arg, void *ud, const char *body, size_t len, char **out) {
  const char *since = arg(ud, "since"), *limit = arg(ud, "limit");
  char v[128];
  cJSON *req = cJSON_CreateObject();
  (void)body, (void)len;
  cJSON_AddStringToObject(req, "cmd", "changes");
  cJSON_AddNumberToObject(req, "now", (double)hub_now_ms());
  cJSON_AddStringToObject(req, "scope", "all");
  if (since && *since) {
    if (decode_arg(since, v, sizeof v)) goto bad;
    cJSON_AddStringToObject(req, "since", v);
  }
  if (limit && add_limit(req, limit)) goto bad;
  *out = read_cmd(api, req);
  cJSON_Delete(req);
  return hubd_status_of(*out);
bad:
  cJSON_Delete(req);
  *out = error_json("bad_request", "since is a cursor and limit a positive number");
  return 400;
}

static int r_changes_post(hubd_api *api, hubd_arg_fn arg, void *ud, const char *body, size_t len, char **out) {
  cJSON *in = cJSON_ParseWithLength(body, len), *req = NULL;
  const cJSON *origin = cJSON_GetObjectItemCaseSensitive(in, "origin");
  char *text;
  (void)arg, (void)ud;
  if (!cJSON_IsObject(in) || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(in, "changes")) ||
      (origin && !cJSON_IsString(origin))) {
    cJSON_Delete(in);
    *out = error_json("bad_request", "the body is {\"origin\": the device's id, \"changes\": [...]}");
    return 400;
  }
  req = cJSON_CreateObject();
  cJSON_AddStringToObject(req, "cmd", "apply");
  cJSON_AddNumberToObject(req, "now", (double)hub_now_ms());
  cJSON_AddStringToObject(req, "scope", "actions"); /* a device sends its actions, nothing else */
  if (origin) cJSON_AddStringToObject(req, "origin", origin->valuestring);
  cJSON_AddItemToObject(req, "changes", cJSON_DetachItemFromObject(in, "changes"));
  text = cJSON_PrintUnformatted(req);
  *out = text ? hubd_writer_call(api->writer, text, strlen(text)) : NULL;
  cJSON_free(text);
  cJSON_Delete(req);
  cJSON_Delete(in);
  return hubd_status_of(*out);
}

/* ---- DELETE /api/data ------------------------------------------------------------------------ */

/* The core's purge on the writer (nothing else writes meanwhile): every table emptied, the
 * database's secret settings included, in one transaction, then VACUUM. The upstream token of
 * hubd's configuration (environment, sealed file) is the operator's and stays. */
static char *purge_job(hub *h, void *arg) {
  char *res = hub_call(h, "{\"cmd\":\"purge\",\"confirm\":true}");
  (void)arg;
  hubd_log(res && hubd_status_of(res) == 200 ? HUBD_LOG_INFO : HUBD_LOG_WARN, "purge", "result", res, (char *)NULL);
  return res;
}

static int r_purge(hubd_api *api, hubd_arg_fn arg, void *ud, const char *body, size_t len, char **out) {
  (void)arg, (void)ud, (void)body, (void)len;
  *out = hubd_writer_run(api->writer, purge_job, NULL);
  return hubd_status_of(*out);
}

/* The route table. */
static const hubd_route routes[] = {
    {"GET", "/healthz", 0, 0, r_health},
    {"GET", "/api/cards.json", 1, 0, r_cards},
    {"GET", "/api/stats.json", 1, 0, r_stats},
    {"GET", "/api/runs", 1, 0, r_runs},
    {"GET", "/api/jobs", 1, 0, r_jobs},
    {"GET", "/api/changes", 1, 0, r_changes_get},
    {"POST", "/api/changes", 1, HUBD_CALL_BODY_MAX, r_changes_post},
    {"POST", "/api/call", 1, HUBD_CALL_BODY_MAX, r_call},
    {"POST", "/api/sync", 1, 0, r_sync},
    {"POST", "/api/brief", 1, 0, r_brief},
    {"POST", "/api/ai", 1, 0, r_ai},
    {"DELETE", "/api/data", 1, 0, r_purge},
    {"GET", "/api/push/key", 0, 0, hubd_push_route_key},
    {"POST", "/api/push/subscribe", 1, 16384, hubd_push_route_subscribe},
    {"POST", "/api/push/unsubscribe", 1, 16384, hubd_push_route_unsubscribe},
    {"GET", "/api/push", 1, 0, hubd_push_route_status},
};

/* Every per-user route (userapi.c matches and checks keys itself). */
static const hubd_route per_user = {NULL, NULL, 0, HUBD_UAPI_BODY_MAX, NULL};

const hubd_route *hubd_route_find(const char *method, const char *path, int *path_known) {
  size_t i;
  *path_known = 0;
  if (hubd_uapi_is_path(path)) return hubd_uapi_match(method, path, path_known) ? &per_user : NULL;
  for (i = 0; i < sizeof routes / sizeof routes[0]; i++) {
    if (strcmp(routes[i].path, path) != 0) continue;
    *path_known = 1;
    if (strcmp(routes[i].method, method) == 0 ||
        (strcmp(method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0))
      return &routes[i];
  }
  return NULL;
}

int hubd_route_needs_key(const hubd_route *rt) { return rt->needs_key; }
size_t hubd_route_body_max(const hubd_route *rt) { return rt->body_max; }

int hubd_route_is_api(const char *path) {
  return strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0 || strcmp(path, "/healthz") == 0 ||
         hubd_uapi_is_path(path);
}

int hubd_route_run(hubd_api *api, const hubd_route *rt, hubd_arg_fn arg, void *arg_ud, const hubd_req_info *info,
                   const char *req_body, size_t req_len, char **body) {
  if (rt == &per_user)
    return hubd_uapi_run(api, info->method, info->path, arg, arg_ud, info->bearer, info->admin,
                         req_body ? req_body : "", req_len, body);
  return rt->fn(api, arg, arg_ud, req_body ? req_body : "", req_len, body);
}
