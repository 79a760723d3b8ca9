/*
 * userapi.h — the per-user HTTP API (the standalone-worker seed's shapes), on a multi-user hubd
 * (database_url: users.c, foryou.c, gallery.c over PostgreSQL) or, where a route applies, on a
 * single-user hubd (its one SQLite database through the readers and the writer) (native driver
 * layer). routes.c sends every path under /users/, /ghost-users/ and /for-you/ here.
 *
 *   POST   /users/{u}/login          new → created, its jobs start (201, with the user's key, shown
 *                                    once); ghost → a user at once, data kept (200, key); existing →
 *                                    ready or processing (200; {"rotate_key":true} from the operator
 *                                    makes a new key)
 *   POST   /users/{u}/start          every job of u due now (202)
 *   POST   /users/{u}/restart        clear u's derived data (image, repositories, candidates), run
 *                                    everything again (202)
 *   GET    /users/{u}/progress       status, image version, each job (due, running where, runs, last)
 *   GET    /users/{u}/data           status, stats, last run, the top cards, repositories with
 *                                    highlights, gallery
 *   GET    /users/{u}/activity       the core's `activity` command on u's data, passed through
 *   DELETE /users/{u}                every row of u in every table, the key too; says what went
 *   POST|PATCH|DELETE /users/{u}/repos/{o}/{r}/gallery     gallery.h
 *   POST   /ghost-users/{u}          a ghost: processed (for others' feeds) without a login
 *   GET    /for-you/{v}?limit=N      v's feed from the cached candidates, with fatigue (foryou.h)
 *   POST   /for-you/{v}              rebuild v's candidates now
 *   POST   /for-you/{v}/reactions    {"author","repo","reaction":"open"|"like"|"hide"}
 *
 * Auth: a Bearer key on every route. hubd's own key (the operator) may do everything; a user's
 * key (users.h) only u's own routes (the path's {u} or {v}); /ghost-users and creating a user
 * need hubd's key. Order of answers: a malformed name 400 (before any lookup), no valid key
 * for this user 401 (whether or not u exists, so a key does not reveal who exists), then an
 * unknown user 404 with the reason (only the operator gets this far).
 *
 * Single-user hubd: the one user is the database's github_user setting. login answers for it;
 * start runs a sync (as POST /api/sync); progress is the scheduler's jobs; data, activity as
 * above from the one database; DELETE /users/{u} is the core's purge. Restart, ghosts, gallery
 * and for-you need many users: 501 naming database_url.
 */
#ifndef HUBD_USERAPI_H
#define HUBD_USERAPI_H

#include <stddef.h>
#include "routes.h"

#ifndef HUBD_UAPI_BODY_MAX
#define HUBD_UAPI_BODY_MAX (64u * 1024u) /* largest body of these routes */
#endif

/* 1 when path belongs to this API. */
int hubd_uapi_is_path(const char *path);

/* 1 when method + path is one of the routes above; otherwise 0 and *path_known says whether the
 * path exists for another method. */
int hubd_uapi_match(const char *method, const char *path, int *path_known);

/* Runs the route. bearer: the SHA-256 of the request's Bearer value (NULL: none); admin: it is
 * hubd's own key. Stores the JSON answer in *out (hub_free; NULL only on OOM) and returns the
 * HTTP status. */
int hubd_uapi_run(hubd_api *api, const char *method, const char *path, hubd_arg_fn arg, void *arg_ud,
                  const unsigned char *bearer, int admin, const char *body, size_t len, char **out);

#endif
