/*
 * users.h — hubd for many users: the users table, per-user API keys, each user's life cycle
 * (login new / ghost / existing, start, restart, delete) and what a node holds for them (the
 * PostgreSQL pool, the image cache, the cluster's threads) (native driver layer; only with
 * database_url). Owns table hub_users.
 *
 * Keys: a user's API key is made at their first login (or on request, rotate_key) and shown once:
 * "hu_" + 43 characters of base64url (32 random bytes). Only its SHA-256 is stored; a request's
 * Bearer value is hashed the same way (hubd_bearer_digest, as for hubd's own key) and compared in
 * constant time with the digest of the user the path names. hubd's own key (HUBD_API_KEY) is the
 * operator's: it may act for any user, create users and ghosts. A user's key opens only their own
 * routes; every table is keyed by login, so no query made for one user reads another's rows
 * (the for-you feed reads other users' highlights, which are public repositories by design).
 *
 * Users are named by their GitHub login (base/ids.c rules), stored lower-case (GitHub logins are
 * case-insensitive) with the spelling first given.
 *
 * Ownership: hubd_users_start returns what hubd_users_stop / hubd_users_free end; JSON trees
 * returned are new (cJSON_Delete).
 */
#ifndef HUBD_USERS_H
#define HUBD_USERS_H

#include <stddef.h>
#include <stdint.h>
#include "cJSON.h"
#include "cluster.h"
#include "pg.h"
#include "pgstore.h"

#define HUBD_USER_KEY_PREFIX "hu_"

typedef struct {
  const char *database_url, *node_id, *state_dir;
  unsigned workers, pool, lease_s, poll_ms, sweep_s, keep_days;
  unsigned every_s[HUBD_JOB__COUNT];
} hubd_users_conf;

typedef struct hubd_users {
  char *node;
  hubd_pgpool *pool;        /* HTTP threads' connections */
  hubd_imgcache *images;    /* read handles on users' images */
  hubd_cluster *cluster;    /* the workers and the control thread */
} hubd_users;

/* Connects, migrates the schema, opens the pool and the cache, starts the cluster's threads.
 * Returns the node's state, or NULL with err. */
hubd_users *hubd_users_start(const hubd_users_conf *c, const hubd_cluster_env *env, char *err, size_t errlen);

/* Stops the cluster's threads (after the transport's cancel flag is up). NULL: no-op. */
void hubd_users_stop(hubd_users *u);
void hubd_users_free(hubd_users *u);

/* One row of hub_users. */
typedef struct {
  char login[48], name[48], kind[8], status[16];
  int has_key;
  unsigned char key_sha256[32];
  int64_t created_at, activated_at;
} hubd_user;

/* Reads login's row (login already lower-case). 1 found, 0 none, -1 with e. */
int hubd_user_get(PGconn *c, const char *login, hubd_user *u, hubd_pg_err *e);

/* 1 when digest (a Bearer value's SHA-256) is u's key; constant time. */
int hubd_user_key_ok(const hubd_user *u, const unsigned char digest[32]);

/* The lower-case login of name when it is a valid GitHub login (else 0). */
int hubd_login_norm(const char *name, char out[48]);

/* The life cycle; each returns an HTTP status and sets *answer (new JSON: the result or an
 * {"error"}). admin says the caller holds hubd's key (only the operator creates users). */
int hubd_user_login(hubd_users *us, PGconn *c, const char *name, int admin, int rotate, int64_t now, cJSON **answer);
int hubd_user_ghost(hubd_users *us, PGconn *c, const char *name, int64_t now, cJSON **answer);
int hubd_user_start(hubd_users *us, PGconn *c, const char *login, int64_t now, cJSON **answer);
int hubd_user_restart(hubd_users *us, PGconn *c, const char *login, int64_t now, cJSON **answer);
int hubd_user_delete(hubd_users *us, PGconn *c, const char *login, cJSON **answer);
int hubd_user_progress(hubd_users *us, PGconn *c, const hubd_user *u, int64_t now, cJSON **answer);
int hubd_user_data(hubd_users *us, PGconn *c, const hubd_user *u, int64_t now, cJSON **answer);
/* One read-only core command on u's image, answered as the core answers it (200 or its
 * error's status), 409 while the user has no image yet. *answer is the core's text (hub_free). */
int hubd_user_core(hubd_users *us, PGconn *c, const hubd_user *u, const char *json, char **answer);

#endif
