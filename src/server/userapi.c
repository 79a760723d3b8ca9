/*
 * userapi.c — the per-user HTTP API: paths, keys, and the handlers over users.c, foryou.c and
 * gallery.c, or over the single-user database (native driver layer; see userapi.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hub_int.h"
#include "base/ids.h"
#include "foryou.h"
#include "gallery.h"
#include "hubd_log.h"
#include "sched.h"
#include "transport.h"
#include "userapi.h"
#include "users.h"

#define SEGS_MAX 6
#define SEG_MAX 100

typedef enum { R_LOGIN, R_START, R_RESTART, R_PROGRESS, R_DATA, R_ACTIVITY, R_DELETE, R_GALLERY, R_GHOST, R_FORYOU,
               R_REACT, R_NONE } route_id;

typedef struct {
  route_id id;
  char seg[SEGS_MAX][SEG_MAX + 1];
  int n;
} parsed;

/* Splits path into at most SEGS_MAX non-empty segments. 0 or -1. */
static int split(const char *path, parsed *p) {
  const char *s = path;
  memset(p, 0, sizeof *p);
  p->id = R_NONE;
  if (*s != '/') return -1;
  while (*s == '/') {
    const char *e = strchr(s + 1, '/');
    size_t n = e ? (size_t)(e - s - 1) : strlen(s + 1);
    if (n == 0 || n > SEG_MAX || p->n == SEGS_MAX) return -1;
    memcpy(p->seg[p->n], s + 1, n);
    p->seg[p->n++][n] = 0;
    s += n + 1;
  }
  return *s ? -1 : 0;
}

static int is(const char *a, const char *b) { return strcmp(a, b) == 0; }

/* The route of method + path: p->id, or R_NONE with *known. */
static void match(const char *method, const char *path, parsed *p, int *known) {
  const char *m = is(method, "HEAD") ? "GET" : method;
  static const struct {
    const char *tail, *method;
    route_id id;
  } user3[] = {{"login", "POST", R_LOGIN},       {"start", "POST", R_START}, {"restart", "POST", R_RESTART},
               {"progress", "GET", R_PROGRESS}, {"data", "GET", R_DATA},    {"activity", "GET", R_ACTIVITY}};
  size_t i;
  *known = 0;
  if (split(path, p)) return;
  if (is(p->seg[0], "users") && p->n == 2) {
    *known = 1;
    if (is(m, "DELETE")) p->id = R_DELETE;
  } else if (is(p->seg[0], "users") && p->n == 3) {
    for (i = 0; i < sizeof user3 / sizeof user3[0]; i++)
      if (is(p->seg[2], user3[i].tail)) {
        *known = 1;
        if (is(m, user3[i].method)) p->id = user3[i].id;
      }
  } else if (is(p->seg[0], "users") && p->n == 6 && is(p->seg[2], "repos") && is(p->seg[5], "gallery")) {
    *known = 1;
    if (is(m, "POST") || is(m, "PATCH") || is(m, "DELETE")) p->id = R_GALLERY;
  } else if (is(p->seg[0], "ghost-users") && p->n == 2) {
    *known = 1;
    if (is(m, "POST")) p->id = R_GHOST;
  } else if (is(p->seg[0], "for-you") && p->n == 2) {
    *known = 1;
    if (is(m, "GET") || is(m, "POST")) p->id = R_FORYOU;
  } else if (is(p->seg[0], "for-you") && p->n == 3 && is(p->seg[2], "reactions")) {
    *known = 1;
    if (is(m, "POST")) p->id = R_REACT;
  }
}

int hubd_uapi_is_path(const char *path) {
  return strncmp(path, "/users/", 7) == 0 || strncmp(path, "/ghost-users/", 13) == 0 ||
         strncmp(path, "/for-you/", 9) == 0;
}

int hubd_uapi_match(const char *method, const char *path, int *path_known) {
  parsed p;
  match(method, path, &p, path_known);
  return p.id != R_NONE;
}

/* ---- answers ---------------------------------------------------------------------------------------- */

static char *err_json(const char *code, const char *fmt, const char *arg) {
  cJSON *r = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(r, "error");
  char msg[300];
  char *out;
  snprintf(msg, sizeof msg, fmt, arg ? arg : "");
  cJSON_AddStringToObject(e, "code", code);
  cJSON_AddStringToObject(e, "message", msg);
  out = cJSON_PrintUnformatted(r);
  cJSON_Delete(r);
  return out;
}

/* Prints and frees a tree. */
static char *take(cJSON *j) {
  char *out = j ? cJSON_PrintUnformatted(j) : NULL;
  cJSON_Delete(j);
  return out;
}

/* ?limit as 1..HUBD_FORYOU_LIMIT_MAX (default 20). -1 when malformed. */
static int limit_arg(hubd_arg_fn arg, void *ud) {
  const char *v = arg(ud, "limit");
  int64_t n;
  if (!v) return 20;
  if (hub__parse_int(v, 1, 1000000, &n)) return -1;
  return n > HUBD_FORYOU_LIMIT_MAX ? HUBD_FORYOU_LIMIT_MAX : (int)n;
}

/* ---- many users ----------------------------------------------------------------------------------------- */

typedef struct {
  hubd_api *api;
  hubd_users *us;
  PGconn *c;
  const parsed *p;
  const char *method;
  hubd_arg_fn arg;
  void *arg_ud;
  const char *body;
  size_t len;
  int admin;
  hubd_user u; /* the path's user, once looked up */
  char login[48];
} call;

static int from_tree(int status, cJSON *answer, char **out) {
  *out = take(answer);
  return status;
}

static int m_gallery(call *k, char **out) {
  cJSON *body = k->len ? cJSON_ParseWithLength(k->body, k->len) : NULL, *answer = NULL;
  char repo[2 * SEG_MAX + 2];
  int st;
  if (k->len && !body) {
    *out = err_json("bad_json", "the body is not JSON", NULL);
    return 400;
  }
  if (!hub__gh_owner_ok(k->p->seg[3], strlen(k->p->seg[3])) || !hub__gh_name_ok(k->p->seg[4], strlen(k->p->seg[4]))) {
    cJSON_Delete(body);
    *out = err_json("bad_request", "not a repository name: owner/name as GitHub spells them", NULL);
    return 400;
  }
  snprintf(repo, sizeof repo, "%s/%s", k->p->seg[3], k->p->seg[4]);
  if (!hub__ieq(k->p->seg[3], k->login)) {
    hubd_pg_err e;
    int64_t rows = 0;
    if (hubd_pg_do(k->c, &e, &rows, "SELECT 1 FROM hub_repos WHERE login = $1 AND lower(repo) = lower($2)", "tt",
                   k->login, repo)) {
      cJSON_Delete(body);
      *out = err_json("unavailable", "the database failed; try again", NULL);
      return 503;
    }
    if (rows == 0) {
      cJSON_Delete(body);
      *out = err_json("not_found", "%s is not one of this user's repositories", repo);
      return 404;
    }
  }
  if (is(k->method, "POST")) {
    if (!body) {
      *out = err_json("bad_request", "POST needs an image or {\"images\": [...]}", NULL);
      return 400;
    }
    st = hubd_gallery_post(k->c, k->login, repo, body, hub_now_ms(), &answer);
  } else if (is(k->method, "PATCH")) {
    if (!body) {
      *out = err_json("bad_request", "PATCH needs the images to change, by url", NULL);
      return 400;
    }
    st = hubd_gallery_patch(k->c, k->login, repo, body, &answer);
  } else {
    st = hubd_gallery_delete(k->c, k->login, repo, body, &answer);
  }
  cJSON_Delete(body);
  return from_tree(st, answer, out);
}

static int m_foryou(call *k, char **out) {
  hubd_pg_err e;
  int64_t now = hub_now_ms(), n;
  cJSON *r;
  if (is(k->method, "POST")) {
    if (hubd_pg_begin(k->c, &e) || (n = hubd_foryou_rebuild(k->c, k->login, now, &e)) < 0 || hubd_pg_commit(k->c, &e)) {
      hubd_pg_rollback(k->c);
      *out = err_json("unavailable", "the database failed; try again", NULL);
      return 503;
    }
    r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "viewer", k->login);
    cJSON_AddNumberToObject(r, "built_at", (double)now);
    cJSON_AddNumberToObject(r, "candidates", (double)n);
    return from_tree(200, r, out);
  } else {
    int limit = limit_arg(k->arg, k->arg_ud);
    if (limit < 0) {
      *out = err_json("bad_request", "limit must be a positive number", NULL);
      return 400;
    }
    r = hubd_foryou_get(k->c, k->login, limit, now, &e);
    if (!r) {
      *out = err_json("unavailable", "the database failed; try again", NULL);
      return 503;
    }
    return from_tree(200, r, out);
  }
}

static int m_react(call *k, char **out) {
  cJSON *body = cJSON_ParseWithLength(k->body, k->len);
  const char *author = hub__json_str(body, "author"), *repo = hub__json_str(body, "repo");
  const char *reaction = hub__json_str(body, "reaction");
  char a[48];
  hubd_pg_err e;
  int rc;
  if (!author || !repo || !reaction || !hubd_login_norm(author, a) || !hub__gh_repo_ok(repo) ||
      !(is(reaction, "open") || is(reaction, "like") || is(reaction, "hide"))) {
    cJSON_Delete(body);
    *out = err_json("bad_request", "{\"author\": login, \"repo\": \"owner/name\", \"reaction\": open|like|hide}", NULL);
    return 400;
  }
  rc = hubd_foryou_react(k->c, k->login, a, repo, reaction, hub_now_ms(), &e);
  cJSON_Delete(body);
  if (rc < 0) {
    *out = err_json("unavailable", "the database failed; try again", NULL);
    return 503;
  }
  if (rc == 0) {
    *out = err_json("not_found", "not in this viewer's feed", NULL);
    return 404;
  }
  *out = hub__strdup("{\"ok\":true}");
  return 200;
}

static int m_activity(call *k, char **out) {
  char req[96];
  snprintf(req, sizeof req, "{\"cmd\":\"activity\",\"now\":%lld}", (long long)hub_now_ms());
  {
    int st = hubd_user_core(k->us, k->c, &k->u, req, out);
    return st ? st : hubd_status_of(*out);
  }
}

/* After auth and lookup: the route's handler. */
static int m_dispatch(call *k, char **out) {
  cJSON *answer = NULL;
  int64_t now = hub_now_ms();
  int st;
  switch (k->p->id) {
  case R_START: st = hubd_user_start(k->us, k->c, k->login, now, &answer); break;
  case R_RESTART: st = hubd_user_restart(k->us, k->c, k->login, now, &answer); break;
  case R_PROGRESS: st = hubd_user_progress(k->us, k->c, &k->u, now, &answer); break;
  case R_DATA: st = hubd_user_data(k->us, k->c, &k->u, now, &answer); break;
  case R_DELETE: st = hubd_user_delete(k->us, k->c, k->login, &answer); break;
  case R_ACTIVITY: return m_activity(k, out);
  case R_GALLERY: return m_gallery(k, out);
  case R_FORYOU: return m_foryou(k, out);
  case R_REACT: return m_react(k, out);
  default: *out = err_json("not_found", "no such route", NULL); return 404;
  }
  return from_tree(st, answer, out);
}

/* Login: the operator creates; a user's own key refreshes. */
static int m_login(call *k, const unsigned char *bearer, int found, char **out) {
  cJSON *body = k->len ? cJSON_ParseWithLength(k->body, k->len) : NULL, *answer = NULL;
  int rotate = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "rotate_key")), st;
  cJSON_Delete(body);
  if (!k->admin && !(found && bearer && hubd_user_key_ok(&k->u, bearer))) {
    *out = err_json("unauthorized", "a valid Bearer key for this user (or hubd's) is required", NULL);
    return 401;
  }
  st = hubd_user_login(k->us, k->c, k->p->seg[1], k->admin, rotate, hub_now_ms(), &answer);
  return from_tree(st, answer, out);
}

static int multi(hubd_api *api, const parsed *p, const char *method, hubd_arg_fn arg, void *arg_ud,
                 const unsigned char *bearer, int admin, const char *body, size_t len, char **out) {
  call k;
  hubd_pg_err e;
  int found, st;
  memset(&k, 0, sizeof k);
  k.api = api;
  k.us = api->users;
  k.p = p;
  k.method = method;
  k.arg = arg;
  k.arg_ud = arg_ud;
  k.body = body;
  k.len = len;
  k.admin = admin;
  hubd_login_norm(p->seg[1], k.login);
  if (p->id == R_GHOST && !admin) {
    *out = err_json("unauthorized", "ghost users are made with hubd's key", NULL);
    return 401;
  }
  k.c = hubd_pgpool_get(k.us->pool, &e);
  if (!k.c) {
    *out = err_json("unavailable", "%s", e.msg);
    return 503;
  }
  found = p->id == R_GHOST ? 0 : hubd_user_get(k.c, k.login, &k.u, &e);
  if (found < 0) {
    *out = err_json("unavailable", "the database failed; try again", NULL);
    st = 503;
  } else if (p->id == R_GHOST) {
    cJSON *answer = NULL;
    st = hubd_user_ghost(k.us, k.c, p->seg[1], hub_now_ms(), &answer);
    st = from_tree(st, answer, out);
  } else if (p->id == R_LOGIN) {
    st = m_login(&k, bearer, found, out);
  } else if (!admin && !(found && bearer && hubd_user_key_ok(&k.u, bearer))) {
    *out = err_json("unauthorized", "a valid Bearer key for this user (or hubd's) is required", NULL);
    st = 401;
  } else if (!found) {
    *out = err_json("not_found", "unknown user %s: POST /users/{u}/login creates it", k.login);
    st = 404;
  } else {
    st = m_dispatch(&k, out);
  }
  hubd_pgpool_put(k.us->pool, k.c, PQstatus(k.c) != CONNECTION_OK);
  return st;
}

/* ---- one user (single-user hubd) ------------------------------------------------------------------------------ */

/* The database's github_user, lower-case, into out; 0 when unset. */
static int local_login(hubd_api *api, char out[48]) {
  char *res = hubd_readers_call(api->readers, "{\"cmd\":\"settings\"}", 18);
  cJSON *r = res ? cJSON_Parse(res) : NULL;
  const char *u = hub__json_str(cJSON_GetObjectItemCaseSensitive(r, "settings"), "github_user");
  int ok = u && hubd_login_norm(u, out);
  cJSON_Delete(r);
  hub_free(res);
  return ok;
}

static char *read_cmd(hubd_api *api, const char *fmt, int64_t now) {
  char req[160];
  snprintf(req, sizeof req, fmt, (long long)now);
  return hubd_readers_call(api->readers, req, strlen(req));
}

/* {"login", "kind", "status", <key>: the core's answer to req (or its member)} */
static int single_read(hubd_api *api, const char *login, char **out, int data) {
  cJSON *r = cJSON_CreateObject();
  int64_t now = hub_now_ms();
  char *a = data ? read_cmd(api, "{\"cmd\":\"stats\",\"now\":%lld}", now) : NULL;
  char *b = data ? read_cmd(api, "{\"cmd\":\"last_run\",\"now\":%lld}", now) : NULL;
  char *c = data ? read_cmd(api, "{\"cmd\":\"cards\",\"now\":%lld,\"limit\":50}", now) : NULL;
  char *jobs = !data && api->sched ? hubd_sched_jobs_request(api->sched, now) : NULL;
  char *j = jobs ? hubd_readers_call(api->readers, jobs, strlen(jobs)) : NULL;
  cJSON_AddStringToObject(r, "login", login);
  cJSON_AddStringToObject(r, "kind", "user");
  cJSON_AddStringToObject(r, "status", "ready");
  if (data) {
    cJSON *lr = b ? cJSON_Parse(b) : NULL, *cards = c ? cJSON_Parse(c) : NULL, *st = a ? cJSON_Parse(a) : NULL;
    hub__put(r, "stats", cJSON_DetachItemFromObjectCaseSensitive(st, "stats"));
    cJSON_Delete(st);
    hub__put(r, "last_run", cJSON_DetachItemFromObjectCaseSensitive(lr, "run"));
    hub__put(r, "cards", cJSON_DetachItemFromObjectCaseSensitive(cards, "cards"));
    cJSON_AddArrayToObject(r, "repos");
    cJSON_AddArrayToObject(r, "gallery");
    cJSON_Delete(lr);
    cJSON_Delete(cards);
  } else {
    cJSON *jj = j ? cJSON_Parse(j) : NULL;
    hub__put(r, "jobs", cJSON_DetachItemFromObjectCaseSensitive(jj, "jobs"));
    cJSON_Delete(jj);
  }
  hub_free(a);
  hub_free(b);
  hub_free(c);
  hub_free(jobs);
  hub_free(j);
  *out = take(r);
  return 200;
}

static int single(hubd_api *api, const parsed *p, int admin, char **out) {
  char login[48], mine[48];
  if (p->id == R_GHOST || p->id == R_GALLERY || p->id == R_FORYOU || p->id == R_REACT || p->id == R_RESTART) {
    *out = err_json("not_implemented", "this route needs many users: start hubd with database_url (postgres://...)", NULL);
    return 501;
  }
  if (!admin) {
    *out = err_json("unauthorized", "a valid Bearer API key is required", NULL);
    return 401;
  }
  hubd_login_norm(p->seg[1], login);
  if (!local_login(api, mine) || strcmp(mine, login) != 0) {
    *out = err_json("not_found", "unknown user %s: this hubd serves one user (its github_user); many users need "
                    "database_url", login);
    return 404;
  }
  switch (p->id) {
  case R_LOGIN:
    *out = hub__printf("{\"login\":\"%s\",\"kind\":\"user\",\"status\":\"ready\",\"state\":\"existing\"}", login);
    return 200;
  case R_START: return hubd_api_sync(api, out);
  case R_PROGRESS: return single_read(api, login, out, 0);
  case R_DATA: return single_read(api, login, out, 1);
  case R_ACTIVITY:
    *out = read_cmd(api, "{\"cmd\":\"activity\",\"now\":%lld}", hub_now_ms());
    return hubd_status_of(*out);
  case R_DELETE:
    *out = hubd_writer_call(api->writer, "{\"cmd\":\"purge\",\"confirm\":true}", 31);
    return hubd_status_of(*out);
  default: break;
  }
  *out = err_json("not_found", "no such route", NULL);
  return 404;
}

int hubd_uapi_run(hubd_api *api, const char *method, const char *path, hubd_arg_fn arg, void *arg_ud,
                  const unsigned char *bearer, int admin, const char *body, size_t len, char **out) {
  parsed p;
  int known;
  char login[48];
  match(method, path, &p, &known);
  if (p.id == R_NONE) {
    *out = err_json("not_found", "no such route", NULL);
    return 404;
  }
  if (!hubd_login_norm(p.seg[1], login)) {
    *out = err_json("bad_request", "not a GitHub login (1 to 39 letters, digits or hyphens): %.60s", p.seg[1]);
    return 400;
  }
  return api->users ? multi(api, &p, method, arg, arg_ud, bearer, admin, body, len, out) : single(api, &p, admin, out);
}
