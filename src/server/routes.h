/*
 * routes.h — hubd's JSON API: the table of routes, each mapped onto the core's JSON commands,
 * and the one list of read-only commands (native driver layer).
 *
 * No route implements anything the core does: every answer is a hub_call result (passed
 * through, or lightly wrapped), run on a reader handle when the command only reads and on the
 * writer thread otherwise. HTTP concerns (auth, CORS, limits, headers) stay in http.c.
 *
 *   GET    /healthz          public; {"ok":true,"version":…,"db":"ok"} after a cheap read (last_run)
 *   GET    /api/cards.json   cards (now = the clock; ?limit=N&from=all|github|tangled|gfi); an
 *                             answer is reused for cards_cache_ms (1 s) unless the writer ran a
 *                             job since (scores move by the hour; the core costs ~40 µs a card)
 *   GET    /api/stats.json   stats
 *   GET    /api/runs         last_run (until the core has a `runs` list command), with the AI
 *                             queue's counts ("queue")
 *   GET    /api/jobs         jobs (the scheduler's jobs: schedule, last run, next due; sched.c)
 *   GET    /api/changes      the PWA's pull: changes (scope all) since ?since= (a cursor), ?limit=
 *                             changes at most, on a reader (replica/feed.c)
 *   POST   /api/changes      the PWA's push: {"origin","changes"} — its triage actions and tip
 *                             feedback — applied (scope actions) on the writer, in one
 *                             transaction; what GitHub must hear joins hubd's outbox
 *   POST   /api/call         the body is one core command; readers or writer as meta says
 *   POST   /api/sync         one ingest on the writer (hub_sync_run); answers with the run
 *   POST   /api/brief        refresh the briefing and refine it with the LLM (hubd_brief_run,
 *                             on this thread; the core through the writer); answers with the
 *                             run and the briefing now served
 *   POST   /api/ai           one run of the AI queue (hubd_aiqueue_run, HUBD_AI_BUDGET_MS)
 *   DELETE /api/data         "delete everything": the core's purge on the writer (every table,
 *                             the database's secret settings included); answers what it deleted
 *   GET    /api/push/key     public: the VAPID public key (push.c)
 *   POST   /api/push/subscribe, /api/push/unsubscribe   a device's PushSubscription (push.c)
 *   GET    /api/push         the devices, their health, recent pushes, the driver's rounds
 *   /users/…, /ghost-users/…, /for-you/…   the per-user API (userapi.h): many users with
 *                             database_url, the one user otherwise; these routes check keys
 *                             themselves (hubd's or the user's own)
 * Which commands a reader may run is the core's own table (the meta command: whether each
 * command writes, and with which member), read once at start — never retyped here.
 *
 * Ownership: response bodies are released with hub_free.
 */
#ifndef HUBD_ROUTES_H
#define HUBD_ROUTES_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "brief_llm.h"
#include "llm.h"
#include "readers.h"
#include "writer.h"

#ifndef HUBD_CARDS_CACHE_SLOTS
#define HUBD_CARDS_CACHE_SLOTS 8 /* distinct ?limit/from queries cached */
#endif

#ifndef HUBD_CALL_BODY_MAX
#define HUBD_CALL_BODY_MAX (1024u * 1024u) /* largest POST /api/call body (413 beyond) */
#endif

/* What the routes need from hubd: the database doors and the upstream settings of a sync. */
typedef struct {
  hubd_writer *writer;
  hubd_readers *readers;
  const char *version;
  /* Copies the current upstream settings for one sync: *token (NULL = none; released with
   * hubd_secret_free), *api (NULL = GitHub; released with free) and the longest rate-limit
   * wait. Called on an HTTP thread. */
  void (*upstream)(void *ud, char **token, char **api, int64_t *max_wait_ms);
  void *upstream_ud;
  atomic_int sync_running; /* one sync at a time: POST /api/sync and the scheduler's sync jobs */
  const hub_llm_config *llm; /* NULL: no LLM (HUB_LLM_PROVIDER unset) */
  atomic_int ai_running;     /* one briefing refinement or queue run at a time */
  unsigned cards_cache_ms;  /* a cards answer is reused this long unless the writer ran (0: off) */
  struct hubd_sched *sched; /* the scheduler (GET /api/jobs), or NULL */
  struct hubd_push *push;   /* Web Push (push.h): kicked after an ingest; its routes; or NULL */
  struct hubd_cards_cache *cache; /* made by hubd_routes_init */
  struct hubd_users *users; /* many users on PostgreSQL (users.h), or NULL: single-user */
  struct hubd_cmds *cmds;   /* the core's commands and whether they write (hubd_routes_init) */
} hubd_api;

/* Prepares api's private state: the cards micro-cache, and the core's table of commands read
 * through the meta command on a reader (api->readers must be open). Returns 0, or -1 (OOM, or
 * meta unreadable). */
int hubd_routes_init(hubd_api *api);

/* The env through which hubd's AI work reaches the core: the writer (hubd_writer_call), the LLM
 * configured, hubd's stop flag. For the scheduler: run hubd_brief_run / hubd_aiqueue_run with it
 * on the scheduler's thread, guarded by api->ai_running (one AI run at a time, shared with
 * POST /api/brief and POST /api/ai). */
hubd_ai_env hubd_api_ai_env(hubd_api *api);

/* Releases what hubd_routes_init made. */
void hubd_routes_free(hubd_api *api);

typedef struct hubd_route hubd_route;

/* Looks up method + path (no query). Returns the route, or NULL; then *path_known says whether
 * the path exists for another method (405 rather than 404). */
const hubd_route *hubd_route_find(const char *method, const char *path, int *path_known);

/* 1 when the route needs the Bearer key. */
int hubd_route_needs_key(const hubd_route *rt);

/* The largest request body the route accepts (0: none). */
size_t hubd_route_body_max(const hubd_route *rt);

/* 1 when path belongs to the API (/api/… or /healthz) rather than to the static files. */
int hubd_route_is_api(const char *path);

/* Query argument lookup (raw, percent-encoded value or NULL), provided by http.c. */
typedef const char *(*hubd_arg_fn)(void *ud, const char *name);

/* What a request brings besides its body: method and raw path (the per-user routes read them),
 * the SHA-256 of its Bearer value (NULL: none) and whether that is hubd's own key. */
typedef struct {
  const char *method, *path;
  const unsigned char *bearer;
  int admin;
} hubd_req_info;

/* Runs the route. Stores the JSON answer in *body (NULL only on OOM) and returns the HTTP
 * status. May block: on a reader, on the writer queue, or for a whole sync. */
int hubd_route_run(hubd_api *api, const hubd_route *rt, hubd_arg_fn arg, void *arg_ud, const hubd_req_info *info,
                   const char *req_body, size_t req_len, char **body);

/* One ingest now on the writer, answered with its run (POST /api/sync; 409 while one runs). */
int hubd_api_sync(hubd_api *api, char **out);

/* Classifies a core command for POST /api/call by the core's own table (meta): 1 read-only (a
 * reader may run it: it never writes, or writes only with a member the request lacks), 0 may
 * write (the writer runs it), -1 reserved to hubd (sync_*, job_*, brief_llm, ai_claim/done —
 * hubd drives those itself). A request that is not a JSON object with a "cmd" string, or names
 * no command, is read-only: the core only answers an error. */
int hubd_cmd_class(const hubd_api *api, const char *json, size_t len);

/* HTTP status for a core result: 200, or the status its {"error":{"code"}} maps to. */
int hubd_status_of(const char *result);

#endif
