/*
 * users.c — users, their keys and life cycle, and a node's multi-user state (native driver
 * layer; see users.h). Owns table hub_users; every other table of a user hangs off it with
 * ON DELETE CASCADE, so deleting the row deletes everything the user had.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "hub_int.h"
#include "base/ids.h"
#include "foryou.h"
#include "gallery.h"
#include "hubd_log.h"
#include "users.h"

#define CARDS_IN_DATA 50 /* cards in GET /users/{u}/data */

static cJSON *error(const char *code, const char *message) {
  cJSON *r = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(r, "error");
  cJSON_AddStringToObject(e, "code", code);
  cJSON_AddStringToObject(e, "message", message);
  return r;
}

static int db_error(PGconn *c, const hubd_pg_err *e, cJSON **answer) {
  hubd_pg_rollback(c);
  hubd_log(HUBD_LOG_WARN, "pg_error", "message", e->msg, "sqlstate", e->state, (char *)NULL);
  *answer = error("unavailable", "the database failed; try again");
  return 503;
}

/* ---- the node's state ---------------------------------------------------------------------------- */

static void forget(void *ud, const char *login) { hubd_imgcache_drop(ud, login); }

hubd_users *hubd_users_start(const hubd_users_conf *c, const hubd_cluster_env *env, char *err, size_t errlen) {
  hubd_users *u = calloc(1, sizeof *u);
  hubd_cluster_conf cc;
  hubd_pg_err e;
  PGconn *conn = NULL;
  char app[160];
  if (!u || !(u->node = strdup(c->node_id))) {
    snprintf(err, errlen, "out of memory");
    goto fail;
  }
  snprintf(app, sizeof app, "hubd:%s:migrate", c->node_id);
  conn = hubd_pg_connect(c->database_url, app, &e);
  if (!conn || hubd_pg_migrate(conn, &e)) {
    snprintf(err, errlen, "PostgreSQL: %s", e.msg);
    goto fail;
  }
  PQfinish(conn);
  conn = NULL;
  snprintf(app, sizeof app, "hubd:%s:http", c->node_id);
  u->pool = hubd_pgpool_open(c->database_url, app, c->pool);
  u->images = hubd_imgcache_open(c->state_dir, err, errlen);
  if (!u->pool || !u->images) {
    if (!u->pool) snprintf(err, errlen, "out of memory");
    goto fail;
  }
  memset(&cc, 0, sizeof cc);
  cc.url = c->database_url;
  cc.node = c->node_id;
  cc.state_dir = c->state_dir;
  cc.workers = c->workers;
  cc.lease_s = c->lease_s;
  cc.poll_ms = c->poll_ms;
  cc.sweep_s = c->sweep_s;
  cc.keep_days = c->keep_days;
  memcpy(cc.every_s, c->every_s, sizeof cc.every_s);
  cc.env = *env;
  cc.env.forget = forget;
  cc.env.forget_ud = u->images;
  u->cluster = hubd_cluster_start(&cc, err, errlen);
  if (!u->cluster) goto fail;
  return u;
fail:
  if (conn) PQfinish(conn);
  hubd_users_free(u);
  return NULL;
}

void hubd_users_stop(hubd_users *u) {
  if (u) hubd_cluster_stop(u->cluster);
}

void hubd_users_free(hubd_users *u) {
  if (!u) return;
  hubd_cluster_free(u->cluster);
  hubd_pgpool_close(u->pool);
  hubd_imgcache_close(u->images);
  free(u->node);
  free(u);
}

/* ---- rows and keys ------------------------------------------------------------------------------------ */

int hubd_login_norm(const char *name, char out[48]) {
  size_t i, n = strlen(name);
  if (!hub__gh_login_ok(name) || n >= 48) return 0;
  for (i = 0; i <= n; i++) out[i] = (char)tolower((unsigned char)name[i]);
  return 1;
}

int hubd_user_get(PGconn *c, const char *login, hubd_user *u, hubd_pg_err *e) {
  PGresult *r = hubd_pg_run_bin(c, e,
                                "SELECT login, name, kind, status, key_sha256, created_at::text, "
                                "coalesce(activated_at, 0)::text FROM hub_users WHERE login = $1",
                                "t", login);
  int rc = 0, i;
  char num[32];
  if (!r) return -1;
  memset(u, 0, sizeof *u);
  if (PQntuples(r) == 1) {
    char *dst[4] = {u->login, u->name, u->kind, u->status};
    size_t cap[4] = {sizeof u->login, sizeof u->name, sizeof u->kind, sizeof u->status};
    for (i = 0; i < 4; i++) snprintf(dst[i], cap[i], "%.*s", PQgetlength(r, 0, i), PQgetvalue(r, 0, i));
    if (!PQgetisnull(r, 0, 4) && PQgetlength(r, 0, 4) == 32) {
      memcpy(u->key_sha256, PQgetvalue(r, 0, 4), 32);
      u->has_key = 1;
    }
    snprintf(num, sizeof num, "%.*s", PQgetlength(r, 0, 5), PQgetvalue(r, 0, 5));
    u->created_at = strtoll(num, NULL, 10);
    snprintf(num, sizeof num, "%.*s", PQgetlength(r, 0, 6), PQgetvalue(r, 0, 6));
    u->activated_at = strtoll(num, NULL, 10);
    rc = 1;
  }
  PQclear(r);
  return rc;
}

int hubd_user_key_ok(const hubd_user *u, const unsigned char digest[32]) {
  unsigned char zero[32] = {0};
  int ok = crypto_verify_32(u->has_key ? u->key_sha256 : zero, digest) == 0;
  return u->has_key && ok;
}

/* A new key: the clear text into key (shown once), its digest into d. */
static void new_key(char key[64], unsigned char d[32]) {
  unsigned char raw[32];
  char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  randombytes_buf(raw, sizeof raw);
  sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  snprintf(key, 64, HUBD_USER_KEY_PREFIX "%s", b64);
  crypto_hash_sha256(d, (const unsigned char *)key, strlen(key));
  sodium_memzero(raw, sizeof raw);
  sodium_memzero(b64, sizeof b64);
}

static cJSON *user_json(const char *login, const char *name, const char *kind, const char *status) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "login", login);
  cJSON_AddStringToObject(o, "name", name);
  cJSON_AddStringToObject(o, "kind", kind);
  cJSON_AddStringToObject(o, "status", status);
  return o;
}

/* ---- login, ghost, start, restart --------------------------------------------------------------------- */

int hubd_user_login(hubd_users *us, PGconn *c, const char *name, int admin, int rotate, int64_t now, cJSON **answer) {
  char login[48], key[64] = "";
  unsigned char d[32];
  hubd_user u;
  hubd_pg_err e;
  const char *state;
  int got, status = 200;
  if (!hubd_login_norm(name, login)) {
    *answer = error("bad_request", "not a GitHub login");
    return 400;
  }
  if (hubd_pg_begin(c, &e) || hubd_pg_do(c, &e, NULL, "SELECT pg_advisory_xact_lock(hashtext($1))", "t", login))
    return db_error(c, &e, answer);
  got = hubd_user_get(c, login, &u, &e);
  if (got < 0) return db_error(c, &e, answer);
  if (got == 0) { /* new: a user with a key, every job due now */
    new_key(key, d);
    if (hubd_pg_do(c, &e, NULL,
                   "INSERT INTO hub_users (login, name, kind, status, key_sha256, created_at, activated_at, updated_at) "
                   "VALUES ($1, $2, 'user', 'processing', $3, $4, $4, $4)",
                   "ttxi", login, name, (const void *)d, (size_t)32, now) ||
        hubd_jobs_schedule(c, login, HUBD_JOBS_ALL, now, 0, us->node, &e))
      goto dberr;
    state = "new";
    status = 201;
    snprintf(u.status, sizeof u.status, "processing");
  } else if (strcmp(u.kind, "ghost") == 0) { /* a ghost becomes a user at once: its data stays */
    new_key(key, d);
    if (hubd_pg_do(c, &e, NULL,
                   "UPDATE hub_users SET kind = 'user', key_sha256 = $2, activated_at = $3, updated_at = $3 "
                   "WHERE login = $1",
                   "txi", login, (const void *)d, (size_t)32, now) ||
        hubd_jobs_schedule(c, login, 1u << HUBD_JOB_FORYOU, now, 0, us->node, &e))
      goto dberr;
    state = "activated";
  } else {
    state = "existing";
    if (rotate && admin) {
      new_key(key, d);
      if (hubd_pg_do(c, &e, NULL, "UPDATE hub_users SET key_sha256 = $2, updated_at = $3 WHERE login = $1", "txi",
                     login, (const void *)d, (size_t)32, now))
        goto dberr;
    }
  }
  if (hubd_pg_commit(c, &e)) goto dberr;
  *answer = user_json(login, got ? u.name : name, "user", u.status);
  cJSON_AddStringToObject(*answer, "state", state);
  if (key[0]) cJSON_AddStringToObject(*answer, "key", key); /* shown once */
  sodium_memzero(key, sizeof key);
  hubd_log(HUBD_LOG_INFO, "user_login", "user", login, "state", state, "node", us->node, (char *)NULL);
  return status;
dberr:
  sodium_memzero(key, sizeof key);
  return db_error(c, &e, answer);
}

int hubd_user_ghost(hubd_users *us, PGconn *c, const char *name, int64_t now, cJSON **answer) {
  char login[48];
  hubd_user u;
  hubd_pg_err e;
  int got, status = 200;
  if (!hubd_login_norm(name, login)) {
    *answer = error("bad_request", "not a GitHub login");
    return 400;
  }
  if (hubd_pg_begin(c, &e) || hubd_pg_do(c, &e, NULL, "SELECT pg_advisory_xact_lock(hashtext($1))", "t", login))
    return db_error(c, &e, answer);
  got = hubd_user_get(c, login, &u, &e);
  if (got < 0) return db_error(c, &e, answer);
  if (got && strcmp(u.kind, "ghost") != 0) {
    hubd_pg_rollback(c);
    *answer = error("conflict", "already a user (ghosts are users who have not logged in)");
    return 409;
  }
  if (!got) {
    if (hubd_pg_do(c, &e, NULL,
                   "INSERT INTO hub_users (login, name, kind, status, created_at, updated_at) "
                   "VALUES ($1, $2, 'ghost', 'processing', $3, $3)",
                   "tti", login, name, now) ||
        hubd_jobs_schedule(c, login, (1u << HUBD_JOB_INGEST) | (1u << HUBD_JOB_REPOS), now, 0, us->node, &e))
      return db_error(c, &e, answer);
    snprintf(u.status, sizeof u.status, "processing");
    status = 201;
  }
  if (hubd_pg_commit(c, &e)) return db_error(c, &e, answer);
  *answer = user_json(login, got ? u.name : name, "ghost", u.status);
  cJSON_AddStringToObject(*answer, "state", got ? "existing" : "new");
  return status;
}

int hubd_user_start(hubd_users *us, PGconn *c, const char *login, int64_t now, cJSON **answer) {
  hubd_pg_err e;
  hubd_user u;
  unsigned mask;
  int k;
  if (hubd_pg_begin(c, &e) || hubd_user_get(c, login, &u, &e) < 0) return db_error(c, &e, answer);
  mask = strcmp(u.kind, "ghost") == 0 ? (1u << HUBD_JOB_INGEST) | (1u << HUBD_JOB_REPOS) : HUBD_JOBS_ALL;
  if (hubd_jobs_schedule(c, login, mask, now, 0, us->node, &e) || hubd_pg_commit(c, &e))
    return db_error(c, &e, answer);
  *answer = cJSON_CreateObject();
  cJSON_AddStringToObject(*answer, "login", login);
  {
    cJSON *q = cJSON_AddArrayToObject(*answer, "queued");
    for (k = 0; k < HUBD_JOB__COUNT; k++)
      if (mask & (1u << k)) cJSON_AddItemToArray(q, cJSON_CreateString(hubd_job_name((hubd_job_kind)k)));
  }
  return 202;
}

int hubd_user_restart(hubd_users *us, PGconn *c, const char *login, int64_t now, cJSON **answer) {
  hubd_pg_err e;
  hubd_user u;
  int64_t state = 0, repos = 0, foryou = 0;
  unsigned mask;
  if (hubd_pg_begin(c, &e) || hubd_pg_do(c, &e, NULL, "SELECT 1 FROM hub_users WHERE login = $1 FOR NO KEY UPDATE", "t", login) ||
      hubd_user_get(c, login, &u, &e) < 0)
    return db_error(c, &e, answer);
  mask = strcmp(u.kind, "ghost") == 0 ? (1u << HUBD_JOB_INGEST) | (1u << HUBD_JOB_REPOS) : HUBD_JOBS_ALL;
  /* clear what was derived (the image, repositories, candidates); the gallery and exposures are
   * the user's own doing and stay */
  if (hubd_pg_do(c, &e, &state, "DELETE FROM hub_user_state WHERE login = $1", "t", login) ||
      hubd_pg_do(c, &e, &repos, "DELETE FROM hub_repos WHERE login = $1", "t", login) ||
      hubd_pg_do(c, &e, &foryou, "DELETE FROM hub_foryou WHERE viewer = $1", "t", login) ||
      hubd_pg_do(c, &e, NULL, "UPDATE hub_users SET status = 'processing', updated_at = $2 WHERE login = $1", "ti",
                 login, now) ||
      hubd_jobs_schedule(c, login, mask, now, 1, us->node, &e) || hubd_users_announce_delete(c, login, &e) ||
      hubd_pg_commit(c, &e))
    return db_error(c, &e, answer);
  hubd_imgcache_drop(us->images, login);
  *answer = cJSON_CreateObject();
  cJSON_AddStringToObject(*answer, "login", login);
  cJSON_AddStringToObject(*answer, "status", "processing");
  {
    cJSON *cl = cJSON_AddObjectToObject(*answer, "cleared");
    cJSON_AddNumberToObject(cl, "state", (double)state);
    cJSON_AddNumberToObject(cl, "repos", (double)repos);
    cJSON_AddNumberToObject(cl, "foryou", (double)foryou);
  }
  hubd_log(HUBD_LOG_INFO, "user_restart", "user", login, "node", us->node, (char *)NULL);
  return 202;
}

/* ---- delete ----------------------------------------------------------------------------------------------- */

/* One attempt: the row locked FOR UPDATE first (no new row may then reference the user), what is
 * about to go counted, then deleted (cascading to every table). The counts (new) or NULL with e. */
static PGresult *delete_once(PGconn *c, const char *login, hubd_pg_err *e) {
  PGresult *r = NULL;
  if (hubd_pg_begin(c, e) || hubd_pg_do(c, e, NULL, "SELECT 1 FROM hub_users WHERE login = $1 FOR UPDATE", "t", login))
    goto fail;
  r = hubd_pg_run(c, e,
                  "SELECT (SELECT count(*) FROM hub_users WHERE login = $1), "
                  "(SELECT count(*) FROM hub_user_state WHERE login = $1), "
                  "(SELECT count(*) FROM hub_jobs WHERE login = $1), "
                  "(SELECT count(*) FROM hub_job_runs WHERE login = $1), "
                  "(SELECT count(*) FROM hub_repos WHERE login = $1), "
                  "(SELECT count(*) FROM hub_gallery WHERE login = $1), "
                  "(SELECT count(*) FROM hub_foryou WHERE viewer = $1 OR author = $1), "
                  "(SELECT count(*) FROM hub_exposures WHERE viewer = $1 OR author = $1)",
                  "t", login);
  if (!r || hubd_pg_do(c, e, NULL, "DELETE FROM hub_users WHERE login = $1", "t", login) ||
      hubd_users_announce_delete(c, login, e) || hubd_pg_commit(c, e))
    goto fail;
  return r;
fail:
  PQclear(r);
  hubd_pg_rollback(c);
  return NULL;
}

int hubd_user_delete(hubd_users *us, PGconn *c, const char *login, cJSON **answer) {
  static const char *const names[] = {"users", "state", "jobs", "job_runs", "repos", "gallery", "foryou", "exposures"};
  hubd_pg_err e;
  PGresult *r = NULL;
  cJSON *del;
  size_t i;
  int attempt;
  /* a job committing for another user may hold a row the cascade needs while waiting for this
   * user: PostgreSQL breaks such a deadlock by failing one side; the delete tries again */
  for (attempt = 0; attempt < 3 && !r; attempt++) {
    r = delete_once(c, login, &e);
    if (!r && strcmp(e.state, "40P01") != 0 && strcmp(e.state, "40001") != 0) break;
  }
  if (!r) return db_error(c, &e, answer);
  hubd_imgcache_drop(us->images, login);
  *answer = cJSON_CreateObject();
  cJSON_AddStringToObject(*answer, "login", login);
  del = cJSON_AddObjectToObject(*answer, "deleted");
  for (i = 0; i < sizeof names / sizeof names[0]; i++) cJSON_AddNumberToObject(del, names[i], (double)hubd_pg_int(r, 0, (int)i));
  cJSON_AddTrueToObject(del, "key");
  PQclear(r);
  hubd_log(HUBD_LOG_INFO, "user_deleted", "user", login, "node", us->node, (char *)NULL);
  return 200;
}

/* ---- progress, data, the core ------------------------------------------------------------------------------ */

static int64_t image_version(PGconn *c, const char *login, hubd_pg_err *e, int *ok) {
  PGresult *r = hubd_pg_run(c, e, "SELECT version, bytes FROM hub_user_state WHERE login = $1", "t", login);
  int64_t v = 0;
  *ok = r != NULL;
  if (r && PQntuples(r) == 1) v = hubd_pg_int(r, 0, 0);
  PQclear(r);
  return v;
}

int hubd_user_progress(hubd_users *us, PGconn *c, const hubd_user *u, int64_t now, cJSON **answer) {
  hubd_pg_err e;
  int ok;
  cJSON *jobs = hubd_jobs_progress(c, u->login, now, &e);
  int64_t v = jobs ? image_version(c, u->login, &e, &ok) : 0;
  (void)us;
  if (!jobs || !ok) {
    cJSON_Delete(jobs);
    return db_error(c, &e, answer);
  }
  *answer = user_json(u->login, u->name, u->kind, u->status);
  cJSON_AddNumberToObject(*answer, "version", (double)v);
  cJSON_AddItemToObject(*answer, "jobs", jobs);
  return 200;
}

int hubd_user_core(hubd_users *us, PGconn *c, const hubd_user *u, const char *json, char **answer) {
  hubd_pg_err e;
  int64_t v;
  int rc = hubd_imgcache_calls(us->images, c, u->login, &json, 1, answer, &v, &e);
  if (rc == 0 && *answer) return 0;
  if (rc == 1) {
    *answer = hub__printf("{\"error\":{\"code\":\"state\",\"message\":\"no data yet for %s (status %s)\"}}", u->login,
                          u->status);
    return 409;
  }
  hubd_log(HUBD_LOG_WARN, "image_read_failed", "user", u->login, "message", rc ? e.msg : "out of memory", (char *)NULL);
  *answer = hub__strdup("{\"error\":{\"code\":\"unavailable\",\"message\":\"the user's data could not be read\"}}");
  return 503;
}

/* Adds the core's answer text res under key (its member when member is set), or null. */
static void add_core(cJSON *out, const char *key, const char *res, const char *member) {
  cJSON *p = res ? cJSON_Parse(res) : NULL;
  if (p && member && !cJSON_GetObjectItemCaseSensitive(p, "error")) {
    cJSON *m = cJSON_DetachItemFromObjectCaseSensitive(p, member);
    cJSON_Delete(p);
    p = m;
  }
  if (p && !cJSON_GetObjectItemCaseSensitive(p, "error")) cJSON_AddItemToObject(out, key, p);
  else {
    cJSON_Delete(p);
    cJSON_AddNullToObject(out, key);
  }
}

int hubd_user_data(hubd_users *us, PGconn *c, const hubd_user *u, int64_t now, cJSON **answer) {
  static const char *const keys[] = {"stats", "last_run", "cards"}, *const members[] = {"stats", "run", "cards"};
  hubd_pg_err e;
  char cards[96], *res[3] = {NULL, NULL, NULL};
  const char *cmds[3] = {"{\"cmd\":\"stats\"}", "{\"cmd\":\"last_run\"}", cards};
  int64_t v = 0;
  int rc;
  size_t i;
  cJSON *repos = hubd_repos_json(c, u->login, &e), *gal = repos ? hubd_gallery_json(c, u->login, NULL, &e) : NULL;
  if (!gal) {
    cJSON_Delete(repos);
    return db_error(c, &e, answer);
  }
  snprintf(cards, sizeof cards, "{\"cmd\":\"cards\",\"now\":%lld,\"limit\":%d}", (long long)now, CARDS_IN_DATA);
  rc = hubd_imgcache_calls(us->images, c, u->login, cmds, 3, res, &v, &e);
  if (rc < 0) hubd_log(HUBD_LOG_WARN, "image_read_failed", "user", u->login, "message", e.msg, (char *)NULL);
  *answer = user_json(u->login, u->name, u->kind, u->status);
  cJSON_AddNumberToObject(*answer, "version", (double)v);
  for (i = 0; i < 3; i++) {
    add_core(*answer, keys[i], res[i], members[i]);
    hub_free(res[i]);
  }
  cJSON_AddItemToObject(*answer, "repos", repos);
  cJSON_AddItemToObject(*answer, "gallery", gal);
  return 200;
}
