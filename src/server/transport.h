/*
 * transport.h — native HTTP transport for the sans-I/O sync engine (libcurl), and the
 * driver loop shared by the CLI and (later) hubd. Native only: never part of the wasm build.
 */
#ifndef HUB_TRANSPORT_H
#define HUB_TRANSPORT_H

#include <stdatomic.h>
#include <stdint.h>
#include "cJSON.h"
#include "hub.h"

/* Milliseconds since the epoch from the real clock. */
int64_t hub_now_ms(void);

/* Performs one planned request (an element of sync_next's "fetch" array: its method, URL,
 * headers and, for a change upstream, its body) and returns the
 * matching sync_feed request object without "now" and without "body" (the caller adds now
 * and feeds it with hub_feed), or NULL on OOM. The response body is stored in *body (a new
 * NUL-terminated buffer, free() it; NULL when there is none) with its length in *body_len.
 * Network failures become {"error": "..."}; a body over max_body becomes
 * {"status":N,"body_too_large":true}. The caller frees the result with cJSON_Delete. */
cJSON *hub_transport_perform(const cJSON *req, size_t max_body, char **body, size_t *body_len);

/* Feeds one answer to the core with hub_feed: feed is hub_transport_perform's object (with
 * "cmd" and "now" added here), body its bytes. Returns the core's answer (cJSON_Delete it), or
 * NULL on OOM. */
cJSON *hub_feedj(hub *h, cJSON *feed, const char *body, size_t body_len);

/* Runs a whole sync against the network: sync_start (with the optional per-run token, where
 * it came from, and API overrides, and max_wait_ms — a longer wait ends the run as
 * rate-limited, decided by the core), then next/perform/feed until done, sleeping when asked
 * to wait. Returns the final sync_next response (with "run") as a new cJSON, or an
 * {"error":…} object. */
cJSON *hub_sync_run(hub *h, const char *token, const char *token_from, const char *api, int64_t max_wait_ms,
                    int verbose);

/* The same for some sources only (a NULL-terminated list of source names, as sync_start's
 * "sources"; NULL = all). */
cJSON *hub_sync_run_sources(hub *h, const char *token, const char *token_from, const char *api, int64_t max_wait_ms,
                            const char *const *sources, int verbose);

/* Makes runs stoppable (hubd on SIGTERM): once *flag is non-zero, a transfer in progress is
 * aborted within about a second, a wait ends, and hub_sync_run records the run as aborted
 * (sync_abort) and returns {"error":{"code":"cancelled",…}}. The flag is read from any thread;
 * it must outlive every run. NULL (the default) turns this off. */
void hub_transport_set_cancel(const atomic_int *flag);

/* One POST for hub_transport_post_many: a body of bytes (a Web Push message is binary) with
 * "Name: value" header lines; the answer's status (0: no answer, *error says why) and its
 * Retry-After header. The answer's body is read and dropped (at most 64 KiB). */
typedef struct {
  const char *url;
  const char *const *headers;
  size_t nheaders;
  const unsigned char *body;
  size_t body_len;
  long status;             /* out */
  char retry_after[64];    /* out: "" when absent */
  char error[160];         /* out: "" unless status is 0 */
} hub_transport_post;

#ifndef HUB_TRANSPORT_PARALLEL
#define HUB_TRANSPORT_PARALLEL 8 /* transfers under way at once in hub_transport_post_many */
#endif

/* Performs the n POSTs concurrently through one libcurl multi handle (at most
 * HUB_TRANSPORT_PARALLEL at a time), each within timeout_ms, no redirects followed, only http
 * and https. Stops early (the rest answer status 0, "cancelled") once *stop (may be NULL) or
 * the transport's cancel flag is raised. Returns 0, or -1 when libcurl cannot start (every
 * status is then 0). */
int hub_transport_post_many(hub_transport_post *r, size_t n, long timeout_ms, const atomic_int *stop);

/* hub_call with cJSON in and out; NULL only on OOM. */
cJSON *hub_callj(hub *h, const cJSON *req);

#endif
