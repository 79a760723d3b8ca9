/*
 * sync_int.h — the contract between the run engine (sync.c) and the sources (github.c …).
 *
 * A source enqueues tasks when a run starts; the engine turns the head task into one
 * planned request (adding validators, auth and rate-limit timing), and when the driver
 * feeds the answer, the engine handles statuses (304, retries, rate limits, errors) and
 * hands a 200 body to the source's parse() inside one transaction. Sources never see
 * the network or the clock; "now" arrives with every call.
 */
#ifndef HUB_SYNC_INT_H
#define HUB_SYNC_INT_H

#include "hub_int.h"

struct hub__sync;
struct hub__task;

typedef struct hub__source {
  const char *name;
  /* Enqueues the run's first tasks. Returns 0 or -1 (message in h->errmsg). */
  int (*start)(hub *h, struct hub__sync *s, int64_t now_ms);
  /* Reads a 2xx body of task t; runs inside the batch transaction. May enqueue tasks.
   * Returns 0, or -1 with a one-line message in h->errmsg (the batch is rolled back). */
  int (*parse)(hub *h, struct hub__sync *s, struct hub__task *t, const cJSON *body,
               const cJSON *headers, int64_t now_ms);
  /* Called for 2xx answers (inside the batch) and 304s: e.g. poll intervals. May be NULL.
   * Returns 0 or -1. */
  int (*answered)(hub *h, struct hub__sync *s, struct hub__task *t, int status,
                  const cJSON *headers, int64_t now_ms);
  /* Adds the source's request headers (accept, auth …) for t; the engine adds validators.
   * Returns 0 or -1 on OOM. */
  int (*headers)(hub *h, struct hub__sync *s, const struct hub__task *t, cJSON *hdrs);
  /* The rate-limit bucket t counts against (e.g. "core", "search", a PDS host); the engine
   * tracks remaining/reset per bucket. NULL callback: the source's name. */
  const char *(*resource)(const struct hub__task *t);
} hub__source;

#define HUB_MAX_SOURCES 8
#define HUB_TASK_TEXT 1 /* hub__task has the "text" flag */

/* Per-source run statistics. */
typedef struct {
  int64_t n_new, n_updated, n_unchanged, n_skipped, n_requests, n_not_modified, n_charged;
} hub__srcstat;

typedef struct hub__task {
  const hub__source *src;
  int kind;              /* source-specific */
  char *url;             /* absolute URL of the current page */
  char *arg;             /* source-specific (e.g. the reason a search stands for) */
  int attempts;          /* retries used after 5xx / network errors */
  int rate_waits;        /* waits after 403/429 */
  int page;              /* 1-based page index */
  int conditional;       /* 1: If-Modified-Since (notifications), 0: If-None-Match */
  int text;              /* 1: a 2xx body that is not JSON reaches parse() as a JSON string */
  int64_t not_before_ms; /* earliest time it may run */
  struct hub__task *next;
} hub__task;

/* Rate-limit state of one resource ("core", "search" …). */
typedef struct {
  char name[24];
  int64_t remaining, limit, reset_ms;
  int known;
} hub__limit;

#define HUB_MAX_LIMITS 8

typedef struct hub__sync {
  int64_t run_id, started_ms;
  hub__task *head, *tail;
  int ntasks;
  hub__task *inflight;
  int64_t inflight_id, next_id;
  int64_t n_new, n_updated, n_unchanged, n_skipped, n_requests, n_not_modified, n_charged,
      n_retries, waited_ms, last_wait_until;
  cJSON *errors;       /* array of {"url","message"} */
  cJSON *seen;         /* object used as a set of URLs already enqueued this run */
  int fatal;           /* a 401 (or similar) stopped the run */
  char tok_hash[65];   /* sha256 of the token ("anonymous" without one) */
  char *token;         /* owned copy, never written anywhere */
  char *api_base;      /* owned, without trailing '/' */
  uint64_t rng;
  hub__limit lim[HUB_MAX_LIMITS];
  int nlim;
  hub__srcstat per[HUB_MAX_SOURCES]; /* indexed like the engine's source list */
  int cur;                           /* index of the source whose answer is being handled */
  cJSON *skips;                      /* {"reason": count} */
} hub__sync;

/* Appends a task (taking ownership of nothing: url and arg are copied). A URL already
 * enqueued in this run is ignored (returns 0). Returns 0 or -1 on OOM / task ceiling. */
int hub__sync_enqueue(hub *h, hub__sync *s, const hub__source *src, int kind, const char *url,
                      const char *arg, int conditional);
/* Records an item upsert outcome in the run counters. */
void hub__sync_count(hub__sync *s, hub__upsert_result r);
/* Adds a non-fatal note to the run's errors (e.g. a failed page). */
void hub__sync_note(hub__sync *s, const char *url, const char *msg);
/* Counts one skipped record or request, with a short reason ("unsupported subject type"). */
void hub__sync_skip(hub__sync *s, const char *reason);

/* github.c: one issue/pull object (issues or search API shape) upserted under its html_url key
 * with reason added; for sources that read GitHub issues (gfi.c). 0 or -1 (h->errmsg). */
int hub__github_upsert_issue(hub *h, hub__sync *s, const cJSON *issue, const char *reason, int idx,
                             int64_t now);

extern const hub__source hub__github_source; /* github.c */
extern const hub__source hub__tangled_source; /* atproto.c */
extern const hub__source hub__gfi_source;     /* gfi.c */

#endif
