/*
 * ghread.c — reading GitHub, shared by the GitHub and good-first-issue sources (sources
 * layer; see sources.h): the run's API base and token, request headers, rate-limit headers,
 * refusals, API and web URLs, and issue/pull objects read into items.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db/db.h"
#include "sources/sources.h"

int hub__gh_init(hub *h, const cJSON *opts, hub__gh *g) {
  const char *ot = hub__json_str(opts, "token"), *oa = hub__json_str(opts, "api");
  const char *from = hub__json_str(opts, "token_from");
  size_t n;
  memset(g, 0, sizeof *g);
  if (ot && *ot) {
    g->token = hub__strdup(ot);
    snprintf(g->token_from, sizeof g->token_from, "%.40s", from && *from ? from : "the token given for this run");
    if (!g->token) goto oom;
  } else {
    g->token = hub__kv_get(h, "github_token");
    snprintf(g->token_from, sizeof g->token_from, "Settings");
    if (g->token && !*g->token) {
      hub_free(g->token);
      g->token = NULL;
    }
  }
  g->api = oa && *oa ? hub__strdup(oa) : hub__setting_get(h, "github_api");
  if (!g->api) goto oom;
  n = strlen(g->api);
  while (n && g->api[n - 1] == '/') g->api[--n] = 0;
  if (!hub__url_usable(g->api)) {
    hub__set_err(h, "the GitHub API URL must be https:// (or http:// on this machine): \"%.200s\"", g->api);
    hub__gh_free(g);
    return -1;
  }
  if (g->token) hub__sha256_hex(g->token, strlen(g->token), g->scope);
  else snprintf(g->scope, sizeof g->scope, "anonymous");
  return 0;
oom:
  hub__gh_free(g);
  hub__set_err(h, "out of memory");
  return -1;
}

void hub__gh_free(hub__gh *g) {
  if (g->token) memset(g->token, 0, strlen(g->token));
  hub_free(g->token);
  hub_free(g->api);
  memset(g, 0, sizeof *g);
}

int hub__gh_headers(const hub__gh *g, const char *url, cJSON *hdrs) {
  if (!cJSON_AddStringToObject(hdrs, "Accept", "application/vnd.github+json") ||
      !cJSON_AddStringToObject(hdrs, "X-GitHub-Api-Version", "2022-11-28"))
    return -1;
  if (g->token && hub__url_same_origin(url, g->api)) {
    char *auth = hub__printf("Bearer %s", g->token);
    int ok = auth && cJSON_AddStringToObject(hdrs, "Authorization", auth);
    if (auth) memset(auth, 0, strlen(auth));
    hub_free(auth);
    if (!ok) return -1;
  }
  return 0;
}

static const char *hdr(const cJSON *headers, const char *name) {
  const cJSON *v = cJSON_GetObjectItem(headers, name); /* case-insensitive */
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

int hub__gh_limits(const cJSON *headers, int64_t now_ms, hub__limits_read *out) {
  const char *res = hdr(headers, "x-ratelimit-resource");
  int64_t v;
  (void)now_ms;
  if (hub__parse_int(hdr(headers, "x-ratelimit-remaining"), 0, INT64_MAX / 4, &v)) return 0;
  out->remaining = v;
  out->limit = hub__parse_int(hdr(headers, "x-ratelimit-limit"), 0, INT64_MAX / 4, &v) == 0 ? v : 0;
  out->reset_ms = hub__parse_int(hdr(headers, "x-ratelimit-reset"), 0, INT64_MAX / 4, &v) == 0 ? hub__mul_sat(v, 1000) : 0;
  if (res && strlen(res) < sizeof out->bucket) snprintf(out->bucket, sizeof out->bucket, "%s", res);
  return 1;
}

hub__refusal hub__gh_refused(const hub__gh *g, int status, const cJSON *headers, const cJSON *body,
                             int64_t now_ms, hub__refused *out) {
  const char *m = hub__json_str(body, "message");
  int64_t remaining = -1, reset = -1;
  (void)now_ms;
  if (status == 401) {
    snprintf(out->message, sizeof out->message, "token rejected (401%s%.120s): check the GitHub token in %s",
             m ? ": " : "", m ? m : "", g->token ? g->token_from : "Settings (none is set)");
    out->code = HUB_E_TOKEN_REJECTED;
    return HUB_REFUSE_FATAL;
  }
  if (status != 403 && status != 429) return HUB_REFUSE_DEFAULT;
  hub__parse_int(hdr(headers, "x-ratelimit-remaining"), 0, INT64_MAX / 4, &remaining);
  hub__parse_int(hdr(headers, "x-ratelimit-reset"), 0, INT64_MAX / 4, &reset);
  if (status == 429 || hdr(headers, "retry-after") || remaining == 0 ||
      (m && (hub__icontains(m, "rate limit")))) {
    out->retry_at_ms = remaining == 0 && reset > 0 ? hub__mul_sat(reset, 1000) : 0;
    return HUB_REFUSE_RATE;
  }
  snprintf(out->message, sizeof out->message, "forbidden (403%s%.200s); skipped", m ? ": " : "", m ? m : "");
  return HUB_REFUSE_SKIP;
}

void hub__gh_bucket(const char *url, char *buf, size_t n) {
  snprintf(buf, n, "%s", strstr(url, "/search/") ? "search" : "core");
}

/* ---- URLs ------------------------------------------------------------------------------- */

/* OWNER/REPO/(issues|pull|pulls)/N at p → ref (host set by the caller). */
static int parse_tail(const char *p, int api, hub__gh_ref *ref) {
  const char *q = strchr(p, '/');
  char *end;
  long long n;
  if (!q) return -1;
  q = strchr(q + 1, '/');
  if (!q || (size_t)(q - p) >= sizeof ref->repo) return -1;
  memcpy(ref->repo, p, (size_t)(q - p));
  ref->repo[q - p] = 0;
  if (strncmp(q, "/issues/", 8) == 0) q += 8;
  else if (!api && strncmp(q, "/pull/", 6) == 0) { q += 6; ref->pull = 1; }
  else if (strncmp(q, "/pulls/", 7) == 0) { q += 7; ref->pull = 1; }
  else return -1;
  n = strtoll(q, &end, 10);
  if (end == q || n <= 0 || n > 1000000000000LL) return -1;
  if (api ? *end != 0 : (*end && *end != '#' && *end != '?')) return -1;
  ref->number = n;
  return 0;
}

int hub__gh_parse_html(const char *url, hub__gh_ref *ref) {
  hub__url u;
  memset(ref, 0, sizeof *ref);
  if (hub__url_parse(url, &u) || *u.path != '/' || strlen(u.host) >= sizeof ref->host) return -1;
  snprintf(ref->host, sizeof ref->host, "%s", u.host);
  return parse_tail(u.path + 1, 0, ref);
}

int hub__gh_parse_api(const char *url, const char *web_host, hub__gh_ref *ref) {
  const char *p = strstr(url, "/repos/");
  memset(ref, 0, sizeof *ref);
  if (!p || parse_tail(p + 7, 1, ref)) return -1;
  snprintf(ref->host, sizeof ref->host, "%s", web_host);
  return 0;
}

char *hub__gh_key(const hub__gh_ref *ref) {
  return hub__printf("%s/%s#%lld", ref->host, ref->repo, (long long)ref->number);
}

/* ---- objects ---------------------------------------------------------------------------- */

/* Type-checked getters: -1 (with message) when present with the wrong type. */
int hub__gh_str(hub *h, const cJSON *o, const char *k, int required, const char **out, int idx) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  *out = NULL;
  if (!v || cJSON_IsNull(v)) {
    if (!required) return 0;
    hub__set_err(h, "item %d: \"%s\" is missing", idx, k);
    return -1;
  }
  if (!cJSON_IsString(v)) {
    hub__set_err(h, "item %d: \"%s\" is not a string", idx, k);
    return -1;
  }
  if (strlen(v->valuestring) > HUB_MAX_FIELD) {
    hub__set_err(h, "item %d: \"%s\" is longer than %u bytes", idx, k, (unsigned)HUB_MAX_FIELD);
    return -1;
  }
  *out = v->valuestring;
  return 0;
}

int hub__gh_int(hub *h, const cJSON *o, const char *k, int required, int64_t *out, int *present,
                   int idx) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  *present = 0;
  if (!v || cJSON_IsNull(v)) {
    if (!required) return 0;
    hub__set_err(h, "item %d: \"%s\" is missing", idx, k);
    return -1;
  }
  if (!cJSON_IsNumber(v) || hub__num_in(v->valuedouble, 0, 9000000000000000LL, out)) {
    hub__set_err(h, "item %d: \"%s\" is not a count", idx, k);
    return -1;
  }
  *present = 1;
  return 0;
}

int hub__gh_time(hub *h, const cJSON *o, const char *k, int64_t *out, int *present, int idx) {
  const char *s;
  *present = 0;
  if (hub__gh_str(h, o, k, 0, &s, idx)) return -1;
  if (!s) return 0;
  if (hub__parse_iso8601(s, out)) {
    hub__set_err(h, "item %d: \"%s\" is not an ISO-8601 time", idx, k);
    return -1;
  }
  *present = 1;
  return 0;
}

/* Names from an array of {"name"|"login": …} objects (or plain strings) as JSON text. */
int hub__gh_names(hub *h, const cJSON *o, const char *k, const char *field, char **out, int idx) {
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, k), *e;
  cJSON *names = NULL;
  *out = NULL;
  if (!arr || cJSON_IsNull(arr)) return 0;
  if (!cJSON_IsArray(arr)) {
    hub__set_err(h, "item %d: \"%s\" is not an array", idx, k);
    return -1;
  }
  names = cJSON_CreateArray();
  if (!names) goto oom;
  cJSON_ArrayForEach(e, arr) {
    const cJSON *n = cJSON_IsString(e) ? e : cJSON_GetObjectItemCaseSensitive(e, field);
    if (!cJSON_IsString(n)) {
      hub__set_err(h, "item %d: an entry of \"%s\" has no \"%s\"", idx, k, field);
      cJSON_Delete(names);
      return -1;
    }
    {
      cJSON *sv = cJSON_CreateString(n->valuestring);
      if (!sv || !cJSON_AddItemToArray(names, sv)) {
        cJSON_Delete(sv);
        goto oom;
      }
    }
  }
  *out = cJSON_PrintUnformatted(names);
  cJSON_Delete(names);
  if (!*out) goto oom_nofree;
  return 0;
oom:
  cJSON_Delete(names);
oom_nofree:
  hub__set_err(h, "out of memory");
  return -1;
}

/* A pull: the pulls API's own shape, or an issue whose "pull_request" carries a URL (older
 * GitHub Enterprise servers send "pull_request": {"html_url": null, ...} on plain issues). */
static int is_pull(const cJSON *o, const hub__gh_ref *ref) {
  const cJSON *pr = cJSON_GetObjectItemCaseSensitive(o, "pull_request");
  if (ref->pull) return 1;
  if (!cJSON_IsObject(pr)) return 0;
  return cJSON_IsString(cJSON_GetObjectItemCaseSensitive(pr, "html_url")) ||
         cJSON_IsString(cJSON_GetObjectItemCaseSensitive(pr, "url"));
}

int hub__gh_issue_read(hub *h, const cJSON *o, int idx, hub__item *it, hub__gh_issue *own) {
  hub__gh_ref *ref = &own->ref;
  const char *html = NULL, *login = NULL;
  const cJSON *user, *reactions;
  int present;
  memset(it, 0, sizeof *it);
  memset(own, 0, sizeof *own);
  it->reason = -1;
  if (!cJSON_IsObject(o)) {
    hub__set_err(h, "item %d is not an object", idx);
    return -1;
  }
  if (hub__gh_str(h, o, "html_url", 1, &html, idx)) return -1;
  if (hub__gh_parse_html(html, ref)) {
    hub__set_err(h, "item %d: html_url \"%.200s\" is not an issue or pull URL", idx, html);
    return -1;
  }
  if (hub__gh_int(h, o, "number", 1, &it->number, &present, idx)) return -1;
  if (it->number != ref->number) {
    hub__set_err(h, "item %d: number %lld does not match its URL", idx, (long long)it->number);
    return -1;
  }
  if (hub__gh_str(h, o, "title", 1, &it->title, idx) || hub__gh_str(h, o, "body", 0, &it->body, idx) ||
      hub__gh_str(h, o, "state", 1, &it->state, idx))
    return -1;
  user = cJSON_GetObjectItemCaseSensitive(o, "user");
  if (user && !cJSON_IsNull(user) && hub__gh_str(h, user, "login", 1, &login, idx)) return -1;
  it->has = HUB_F_KIND | HUB_F_TITLE | HUB_F_BODY | HUB_F_STATE | HUB_F_URL;
  if (user) it->has |= HUB_F_AUTHOR;
  if (hub__gh_int(h, o, "comments", 0, &it->comments, &present, idx)) return -1;
  if (present) it->has |= HUB_F_COMMENTS;
  reactions = cJSON_GetObjectItemCaseSensitive(o, "reactions");
  if (reactions && !cJSON_IsNull(reactions)) {
    if (!cJSON_IsObject(reactions)) {
      hub__set_err(h, "item %d: \"reactions\" is not an object", idx);
      return -1;
    }
    if (hub__gh_int(h, reactions, "total_count", 0, &it->reactions, &present, idx)) return -1;
    if (present) it->has |= HUB_F_REACTIONS;
  }
  if (hub__gh_time(h, o, "created_at", &it->created_at, &present, idx)) return -1;
  if (present) it->has |= HUB_F_CREATED;
  if (hub__gh_time(h, o, "updated_at", &it->updated_at, &present, idx)) return -1;
  if (present) it->has |= HUB_F_UPDATED;
  if (hub__gh_names(h, o, "labels", "name", &own->labels, idx)) goto fail;
  if (own->labels) it->has |= HUB_F_LABELS;
  if (hub__gh_names(h, o, "assignees", "login", &own->assignees, idx)) goto fail;
  if (own->assignees) it->has |= HUB_F_ASSIGNEES;
  own->key = hub__gh_key(ref);
  if (!own->key) {
    hub__set_err(h, "out of memory");
    goto fail;
  }
  it->key = own->key;
  it->source = "github";
  it->host = ref->host;
  it->repo = ref->repo;
  it->kind = is_pull(o, ref) ? "pull" : "issue";
  it->author = login;
  it->labels = own->labels;
  it->assignees = own->assignees;
  it->url = html;
  return 0;
fail:
  hub__gh_issue_free(own);
  return -1;
}

void hub__gh_issue_free(hub__gh_issue *own) {
  hub_free(own->key);
  hub_free(own->labels);
  hub_free(own->assignees);
  memset(own, 0, sizeof *own);
}
