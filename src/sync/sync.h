/*
 * sync.h — the sans-I/O run engine and the contract between it and the sources (sync layer).
 *
 * A run: sync_start lets every source plan its first tasks; sync_next turns the head task into
 * one planned request (the source's headers, the validator, rate-limit timing) or says when to
 * come back, or that the run is done; sync_feed takes the answer, handles its status once for
 * every source (304, retries with backoff, rate limits, gone things, fatal refusals) and hands
 * a 2xx body to the source's parse() inside one savepoint together with the new validators
 * (answers are grouped into transactions: engine.c, "Groups").
 * The engine names no source and reads no source's headers itself: each source supplies its
 * planner, feeder, credentials, rate-limit reading and refusal reading through one table of
 * functions (hub__source), like curl's protocol handlers. The engine's state is private to
 * sync/engine.c; sources see it only through the functions below.
 *
 * Tables owned here: validators (ETag / Last-Modified / next page per credential scope and
 * URL), gone (things that answered 404/410, skipped for a day), runs (sync/runs.c).
 */
#ifndef HUB_SYNC_H
#define HUB_SYNC_H

#include "hub_int.h"
#include "items/items.h"

typedef struct hub__run hub__run;

/* Task flags, given at enqueue. */
enum {
  HUB_TASK_IF_MODIFIED = 1 << 0, /* conditional by If-Modified-Since (else If-None-Match) */
  HUB_TASK_TEXT = 1 << 1,        /* a 2xx body that is not JSON reaches parse() as a JSON string */
  HUB_TASK_GONE_OK = 1 << 2      /* a 404/410 means this one thing is gone: skip it for a day */
};

/* What a source sees of a task (read-only). */
typedef struct hub__task {
  int kind;          /* source-specific */
  const char *url;   /* absolute URL of the current page */
  const char *arg;   /* source-specific, may be NULL */
  unsigned flags;
  const char *method; /* "GET" (conditional, validators kept, next pages followed), or a
                         method that changes something upstream: "PATCH", "PUT", "DELETE",
                         "POST" (never conditional, no validators, no next page, never gone) */
  const char *body;   /* the request body of a non-GET task, or NULL */
} hub__task;

/* Rate-limit headers as a source reads them. reset_ms is absolute. */
typedef struct {
  int64_t remaining, limit, reset_ms;
  char bucket[24]; /* "" to use the task's bucket */
} hub__limits_read;

/* A source's reading of an error answer. */
typedef enum {
  HUB_REFUSE_DEFAULT, /* let the engine apply its rules (see engine.c) */
  HUB_REFUSE_RATE,    /* rate-limited: retry at retry_at_ms (0: back off) */
  HUB_REFUSE_FATAL,   /* stop the run (e.g. the token was rejected): code + message */
  HUB_REFUSE_SKIP     /* skip this request with message as its note */
} hub__refusal;
typedef struct {
  int64_t retry_at_ms;
  hub_err code;
  char message[300];
} hub__refused;

typedef struct hub__source {
  const char *name;  /* "github"; also the key of its run statistics */
  const char *label; /* for people: "GitHub" */
  /* Plans the run's first tasks. opts is the sync_start request (per-run overrides such as a
   * token). *state may be set to the source's own per-run state (freed by finish). Returns 0
   * or -1 (h->errmsg). */
  int (*start)(hub *h, hub__run *r, const cJSON *opts, int64_t now_ms, void **state);
  void (*finish)(void *state);
  /* Reads a 2xx body of t inside the batch transaction; may enqueue. body is NULL for a 204
   * or 205 answer without a body (and any empty 2xx to a non-GET task). 0, or -1 with a
   * one-line message in h->errmsg (the batch is rolled back, earlier data stays). */
  int (*parse)(hub *h, hub__run *r, void *state, const hub__task *t, const cJSON *body,
               const cJSON *headers, int64_t now_ms);
  /* After a 2xx (inside the batch) or a 304; may be NULL. 0 or -1. */
  int (*answered)(hub *h, hub__run *r, void *state, const hub__task *t, int status,
                  const cJSON *headers, int64_t now_ms);
  /* The request headers for t (accept, credentials — only towards their own host). 0 or -1. */
  int (*headers)(hub *h, hub__run *r, void *state, const hub__task *t, cJSON *hdrs);
  /* The rate-limit bucket of t into buf (e.g. "core", "search", "pds:host"). */
  void (*bucket)(const hub__task *t, char *buf, size_t n);
  /* Reads rate-limit headers of an answer; 1 when it found some, else 0. May be NULL. */
  int (*limits)(const hub__task *t, const cJSON *headers, int64_t now_ms, hub__limits_read *out);
  /* Reads an error answer (status ≥ 400); may be NULL. */
  hub__refusal (*refused)(void *state, const hub__task *t, int status, const cJSON *headers,
                          const cJSON *body, int64_t now_ms, hub__refused *out);
  /* The credential scope validators of t are kept under (64 hex digits or a short word). */
  void (*scope)(void *state, const hub__task *t, char out[65]);
  /* t ended without a 2xx: after its retries, a refusal, a network error or going offline
   * (status is the last HTTP status, 0 for no answer; msg is the run's note for it). Outside
   * any batch; may write. May be NULL. */
  void (*failed)(hub *h, hub__run *r, void *state, const hub__task *t, int status, const char *msg,
                 int64_t now_ms);
} hub__source;

/* ---- the commands (called by the api layer with the registry of sources) --------------- */
cJSON *hub__sync_start(hub *h, const cJSON *req, const hub__source *const *sources, int nsources);
cJSON *hub__sync_next(hub *h, const cJSON *req);
cJSON *hub__sync_feed(hub *h, const cJSON *req);
cJSON *hub__sync_abort(hub *h, const cJSON *req);
/* Ends an active run without recording anything (hub_close); commits its open group first. */
void hub__sync_free(hub *h);
/* Commits the active run's open group of answers (engine.c, "Groups"), if any: the api layer
 * calls it before every command other than sync_next and sync_feed, so no other command runs
 * inside a sync's transaction. 0, or -1 when the commit failed (noted on the run; the group's
 * rows and validators are gone together). */
int hub__sync_flush(hub *h);

/* ---- for sources ---------------------------------------------------------------------- */
/* Appends a task (url and arg are copied). A URL already planned in this run, or gone upstream
 * within the day, is not planned again (returns 0). A URL that may not receive requests
 * (hub__url_usable) is refused with a note (returns 0). Returns 0, or -1 on OOM / the task
 * ceiling (h->errmsg). */
int hub__run_enqueue(hub *h, hub__run *r, const hub__source *src, int kind, const char *url,
                     const char *arg, unsigned flags);
/* The same for a request with a method ("GET", "PATCH", "PUT", "DELETE", "POST") and an
 * optional body (copied; sent as is — the source's headers say its type). A non-GET task is
 * planned once per method and URL in a run, and is never skipped as gone. */
int hub__run_enqueue_req(hub *h, hub__run *r, const hub__source *src, int kind, const char *method,
                         const char *url, const char *body, const char *arg, unsigned flags);
/* The queued task of src with kind and arg, or NULL (the pointer is valid until the next
 * engine call). */
const hub__task *hub__run_find(hub__run *r, const hub__source *src, int kind, const char *arg);
/* Points a queued task at another URL (marked planned). 0 or -1 (OOM). */
int hub__run_retarget(hub *h, hub__run *r, const hub__task *t, const char *url);
/* 1 when url was planned in this run. */
int hub__run_seen(const hub__run *r, const char *url);
/* Queued tasks of src with kind. */
int hub__run_queued(const hub__run *r, const hub__source *src, int kind);
/* 1 when t's stored validator names a next page (after a 304 the engine follows it), 0 when
 * not, -1 on a database error. */
int hub__run_stored_next(hub *h, hub__run *r, const hub__task *t);
/* Forgets the stored validator of url under t's scope, so the next request is unconditional. */
int hub__run_forget(hub *h, hub__run *r, const hub__task *t, const char *url);
/* Counters of the run, attributed to the source being served: an item outcome (an item first
 * written in this run and completed by a later answer still counts as one new item); a skipped
 * record or request with a short reason; a failure note (makes the run "partial"); a named
 * extra statistic of the source ("repos_new"). */
void hub__run_count(hub__run *r, hub__upsert_result res, int64_t item_id);
void hub__run_skip(hub__run *r, const char *reason);
void hub__run_note(hub__run *r, const char *url, const char *msg);
void hub__run_stat(hub__run *r, const char *name, int64_t delta);
/* Called from parse(): the page being read is the last one wanted (a page ceiling, or the rest
 * is older than the source needs), so its next page is neither followed nor remembered. */
void hub__run_no_next(hub__run *r);
int64_t hub__run_id(const hub__run *r);
int64_t hub__run_started_ms(const hub__run *r);
/* Number of tasks planned so far in this run. */
int hub__run_planned(const hub__run *r);

/* ---- runs (sync/runs.c) --------------------------------------------------------------- */
/* The latest run as {"run":{...}} (null when none); the latest n as {"runs":[...]}. */
cJSON *hub__runs_last(hub *h);
cJSON *hub__runs_list(hub *h, int n);
/* Deletes run records that finished before before_ms. Returns the number deleted or -1. */
int hub__runs_prune(hub *h, int64_t before_ms);

#endif
