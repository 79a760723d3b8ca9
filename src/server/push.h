/*
 * push.h — hubd's Web Push driver (native driver layer): the VAPID key pair kept like the other
 * secrets, the endpoint allow-list, the subscribe / unsubscribe / key / status routes, and a
 * thread that asks the core what to push (push_plan, src/notify/), encrypts and signs each
 * delivery (webpush.c), sends them concurrently (hub_transport_post_many, libcurl multi) and
 * reports the answers (push_result).
 *
 * When it runs: hubd_push_kick after an ingest that changed something (the scheduler's ingest
 * job and POST /api/sync), and at the next_at the core gives for retries (429/5xx honouring
 * Retry-After; network errors with a backoff). One round: push_plan → send → 413 answers again
 * with the small payload → push_result → push_plan with retries_only until nothing is due now.
 * The core's calls go through the writer queue (never from the writer thread itself: the kick
 * only wakes this thread).
 *
 * The VAPID key: vapid_private_key (HUBD_VAPID_PRIVATE_KEY, base64url) when set, else the key
 * file (vapid_key_file, default <db>.vapid): one line sealed with hubd's at-rest key
 * (secrets.c), created 0600 on the first start (refused when group/world readable, not a
 * regular file or someone else's). The same key pair stays for the life of the file, so the
 * browsers' subscriptions stay valid.
 *
 * Endpoints: https only, the parsed host (src/base/url.c) on the allow-list push_hosts (exact
 * or "*.domain"), never an IP literal, a loopback or a private-network name; "127.0.0.1" in the
 * list admits http://127.0.0.1:PORT/ (the tests' push double) and nothing else local. Checked
 * at subscribe and again by webpush.c's plan at every send.
 *
 * Routes (routes.c lists them): GET /api/push/key (public: the VAPID public key),
 * POST /api/push/subscribe, POST /api/push/unsubscribe, GET /api/push (Bearer: the devices,
 * their health — a likely VAPID key mismatch —, recent pushes, and this driver's rounds).
 *
 * Ownership: hubd_push_start copies what it needs from the configuration; hubd_push_stop joins
 * the thread (after hubd_writer_stop, so a round in progress ends at once); hubd_push_free.
 */
#ifndef HUBD_PUSH_H
#define HUBD_PUSH_H

#include <stddef.h>
#include "routes.h"

#ifndef HUBD_PUSH_TIMEOUT_MS
#define HUBD_PUSH_TIMEOUT_MS 10000L /* one POST to a push service */
#endif
#ifndef HUBD_PUSH_ERROR_RETRY_MS
#define HUBD_PUSH_ERROR_RETRY_MS 30000 /* after a push_plan that failed */
#endif
#ifndef HUBD_PUSH_HOSTS_MAX
#define HUBD_PUSH_HOSTS_MAX 4096 /* bytes of the allow-list */
#endif
#ifndef HUBD_PUSH_ROUND_STEPS
#define HUBD_PUSH_ROUND_STEPS 8 /* plan → send → result steps in one round, at most */
#endif

typedef struct hubd_push hubd_push;

typedef struct {
  const char *hosts;                /* the allow-list (push_hosts) */
  const char *subject;              /* VAPID sub (mailto: or https:) */
  const char *vapid_private_key;    /* base64url, or NULL: the key file */
  const char *vapid_key_file;
  const unsigned char *secret_key;  /* hubd's at-rest key, 32 bytes (seals the key file) */
} hubd_push_conf;

/* Loads (or creates) the VAPID key, checks the allow-list and the subject, and starts the
 * thread. Returns the driver, or NULL with a message in err. api must outlive it. */
hubd_push *hubd_push_start(hubd_api *api, const hubd_push_conf *c, char *err, size_t errlen);

/* SIGHUP: a new allow-list and subject (the key stays). Returns 0, or -1 with err (unchanged). */
int hubd_push_set(hubd_push *p, const hubd_push_conf *c, char *err, size_t errlen);

/* Asks for a round as soon as possible (any thread; never blocks on the writer). NULL: no-op. */
void hubd_push_kick(hubd_push *p);

/* Stops the thread (a round in progress abandons its transfers). NULL or twice: no-op. */
void hubd_push_stop(hubd_push *p);
void hubd_push_free(hubd_push *p);

/* The routes' bodies (the signature of routes.c's table). */
int hubd_push_route_key(hubd_api *api, hubd_arg_fn arg, void *ud, const char *body, size_t len, char **out);
int hubd_push_route_subscribe(hubd_api *api, hubd_arg_fn arg, void *ud, const char *body, size_t len, char **out);
int hubd_push_route_unsubscribe(hubd_api *api, hubd_arg_fn arg, void *ud, const char *body, size_t len, char **out);
int hubd_push_route_status(hubd_api *api, hubd_arg_fn arg, void *ud, const char *body, size_t len, char **out);

#endif
