/*
 * sources.h — hub's sources and the GitHub reading they share (sources layer).
 *
 * A source is one table of functions (hub__source, sync/sync.h). The registry lists them in
 * the order a run starts them. GitHub reading — the per-run API base and token, the request
 * headers (the token goes only to the API's own origin, compared on the parsed URL), the
 * rate-limit headers, a refusal's meaning, and an issue or pull object read into an item —
 * lives in sources/ghread.c, used by the GitHub and good-first-issue sources alike.
 */
#ifndef HUB_SOURCES_H
#define HUB_SOURCES_H

#include "sync/sync.h"

/* The sources, in start order (registry.c). */
extern const hub__source *const hub__source_list[];
extern const int hub__source_count;
extern const hub__source hub__github_source; /* github.c */
extern const hub__source hub__tangled_source; /* atproto.c */
extern const hub__source hub__gfi_source;     /* gfi.c */
extern const hub__source hub__outbox_source;  /* outbox.c: the triage outbox, sent first */

/* The gfi_repos command (gfi.c): the listed repositories, or with "repos" an import of a list
 * read natively (up-for-grabs) in one batch. */
cJSON *hub__gfi_repos_cmd(hub *h, const cJSON *req);

/* ---- ghread.c --------------------------------------------------------------------------- */
/* One run's view of GitHub: the API base (no trailing '/'), the token and where it came
 * from, and the token's fingerprint (the validators' scope). */
typedef struct {
  char *api;
  char *token;            /* NULL when anonymous; wiped on free */
  char token_from[48];    /* "GITHUB_TOKEN", "Settings" … for messages */
  char scope[65];         /* sha256 of the token, or "anonymous" */
} hub__gh;

/* Reads the run's GitHub view: the sync_start request's "token"/"api" (per-run overrides,
 * never stored; "token_from" names where the token came from), else the settings. Returns 0,
 * or -1 with h->errmsg (a bad API URL, OOM). */
int hub__gh_init(hub *h, const cJSON *opts, hub__gh *g);
void hub__gh_free(hub__gh *g);
/* Accept, API version and — only when url has the API's own origin — the token. 0 or -1. */
int hub__gh_headers(const hub__gh *g, const char *url, cJSON *hdrs);
/* The x-ratelimit-* headers; 1 when present. */
int hub__gh_limits(const cJSON *headers, int64_t now_ms, hub__limits_read *out);
/* A GitHub refusal: 401 (fatal, naming where the token came from), rate limits (403/429 with
 * Retry-After, remaining 0 or a "rate limit" message), else DEFAULT. */
hub__refusal hub__gh_refused(const hub__gh *g, int status, const cJSON *headers, const cJSON *body,
                             int64_t now_ms, hub__refused *out);
/* "core" or "search" for a GitHub API URL. */
void hub__gh_bucket(const char *url, char *buf, size_t n);

/* Where an issue or pull lives: web host, "owner/repo", number, and whether it is a pull. */
typedef struct {
  char host[256], repo[256];
  int64_t number;
  int pull;
} hub__gh_ref;
/* "https://HOST/OWNER/REPO/(issues|pull|pulls)/N" (an html_url) → ref. 0 or -1. */
int hub__gh_parse_html(const char *url, hub__gh_ref *ref);
/* "<base>/repos/OWNER/REPO/(issues|pulls)/N" (an API subject URL) on web_host → ref. 0 or -1. */
int hub__gh_parse_api(const char *url, const char *web_host, hub__gh_ref *ref);
/* "HOST/OWNER/REPO#N": the item key of ref. New string or NULL. */
char *hub__gh_key(const hub__gh_ref *ref);

/* Strings an issue read owns until hub__gh_issue_free. */
typedef struct {
  char *key, *labels, *assignees;
  hub__gh_ref ref; /* host and repo of the item */
} hub__gh_issue;
/* Reads one issue or pull object (issues, pulls or search API shape) into it: every field
 * type-checked, times parsed, labels and assignees as JSON text, kind "pull" only when the
 * object is a pull (a "pull_request" member with a non-null URL, or a pull URL). Returns 0,
 * or -1 with "item <idx>: …" in h->errmsg (the caller fails the page). */
int hub__gh_issue_read(hub *h, const cJSON *o, int idx, hub__item *it, hub__gh_issue *own);
void hub__gh_issue_free(hub__gh_issue *own);
/* Type-checked getters of a field k of object o (item idx for messages): 0 (absent unless
 * required, or read), or -1 with a message when present with the wrong type or too long.
 * str: *out borrowed; int: a count 0..9e15; time: ISO-8601 to seconds; names: an array of
 * {"name"|"login": …} objects or strings as JSON text (new string). */
int hub__gh_str(hub *h, const cJSON *o, const char *k, int required, const char **out, int idx);
int hub__gh_int(hub *h, const cJSON *o, const char *k, int required, int64_t *out, int *present, int idx);
int hub__gh_time(hub *h, const cJSON *o, const char *k, int64_t *out, int *present, int idx);
int hub__gh_names(hub *h, const cJSON *o, const char *k, const char *field, char **out, int idx);

#endif
