/*
 * github.c — the GitHub source: what a run asks GitHub for, and how answers become items.
 *
 * Tasks: the user's login (GET /user, when settings lack it); notifications
 * (GET /notifications, If-Modified-Since, X-Poll-Interval obeyed, an all=true reconcile
 * every reconcile_hours); each Issue/PullRequest notification's subject (/issues/N or
 * /pulls/N, keyed like any other route to the same item); the user's open work by search
 * (authored, review requested, assigned); and watched repositories' open issues.
 * Item key: "<web host>/<owner>/<repo>#<number>", from html_url, so every route to the
 * same issue or pull lands on one row. Every field is type-checked; a wrong type fails the
 * whole page (the engine rolls the batch back).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sync_int.h"

enum { T_USER, T_NOTIF, T_SUBJECT, T_SEARCH, T_REPO };

#define NOTIF_PER_PAGE_MAX 50
#define SEARCH_PER_PAGE_MAX 100
#define ISSUES_PER_PAGE_MAX 100

static int setting_on(hub *h, const char *k) {
  char *v = hub__setting_get(h, k);
  int on = !v || (strcmp(v, "0") != 0 && strcmp(v, "false") != 0);
  hub_free(v);
  return on;
}

static int page_size(hub *h, int max) {
  double n = hub__setting_num(h, "page_size", max);
  if (n < 1) n = 1;
  return n > max ? max : (int)n;
}

static int enqueue_searches(hub *h, hub__sync *s, const char *login) {
  static const struct { const char *fmt, *reason; } q[] = {
      {"is:open author:%s", "authored"},
      {"is:open is:pr review-requested:%s", "review_requested"},
      {"is:open assignee:%s", "assigned"},
  };
  size_t i;
  int per = page_size(h, SEARCH_PER_PAGE_MAX);
  for (i = 0; i < sizeof q / sizeof q[0]; i++) {
    char *query = hub__printf(q[i].fmt, login), *enc = query ? hub__url_encode(query) : NULL;
    char *url = enc ? hub__printf("%s/search/issues?q=%s&per_page=%d", s->api_base, enc, per) : NULL;
    int rc = url ? hub__sync_enqueue(h, s, &hub__github_source, T_SEARCH, url, q[i].reason, 0) : -1;
    if (!url) hub__set_err(h, "out of memory");
    hub_free(query);
    hub_free(enc);
    hub_free(url);
    if (rc) return -1;
  }
  return 0;
}

static int valid_repo_name(const char *r) {
  const char *slash = strchr(r, '/');
  const char *p;
  if (!slash || slash == r || !slash[1] || strchr(slash + 1, '/')) return 0;
  for (p = r; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          *p == '-' || *p == '_' || *p == '.' || *p == '/'))
      return 0;
  return 1;
}

static int gh_start(hub *h, hub__sync *s, int64_t now) {
  char *login = hub__setting_get(h, "github_user"), *repos = NULL;
  int has_token = s->token && *s->token, rc = -1;
  if (has_token && setting_on(h, "notifications")) {
    int64_t due = (int64_t)hub__setting_num(h, "notif_next_poll_ms", 0);
    int64_t last_rec = (int64_t)hub__setting_num(h, "notif_reconcile_ms", 0);
    double hours = hub__setting_num(h, "reconcile_hours", 24);
    int per = page_size(h, NOTIF_PER_PAGE_MAX);
    int reconcile = now - last_rec >= (int64_t)(hours * 3600000.0);
    if (now >= due || reconcile) {
      char *url = reconcile ? hub__printf("%s/notifications?all=true&per_page=%d", s->api_base, per)
                            : hub__printf("%s/notifications?per_page=%d", s->api_base, per);
      int e = url ? hub__sync_enqueue(h, s, &hub__github_source, T_NOTIF, url, reconcile ? "all" : NULL,
                                      !reconcile)
                  : -1;
      hub_free(url);
      if (e) goto done;
    }
    /* else: not due yet (X-Poll-Interval); the stored notifications stand */
  }
  if ((!login || !*login) && has_token) {
    char *url = hub__printf("%s/user", s->api_base);
    int e = url ? hub__sync_enqueue(h, s, &hub__github_source, T_USER, url, NULL, 0) : -1;
    hub_free(url);
    if (e) goto done;
  } else if (login && *login && setting_on(h, "search")) {
    if (enqueue_searches(h, s, login)) goto done;
  }
  repos = hub__setting_get(h, "repos");
  if (repos) {
    cJSON *arr = cJSON_Parse(repos), *e;
    int per = page_size(h, ISSUES_PER_PAGE_MAX);
    cJSON_ArrayForEach(e, arr) {
      char *url;
      int er;
      if (!cJSON_IsString(e) || !valid_repo_name(e->valuestring)) continue;
      url = hub__printf("%s/repos/%s/issues?per_page=%d", s->api_base, e->valuestring, per);
      er = url ? hub__sync_enqueue(h, s, &hub__github_source, T_REPO, url, "watched", 0) : -1;
      hub_free(url);
      if (er) {
        cJSON_Delete(arr);
        goto done;
      }
    }
    cJSON_Delete(arr);
  }
  rc = 0;
done:
  hub_free(login);
  hub_free(repos);
  return rc;
}

/* ---- reading objects ------------------------------------------------------------------- */

typedef struct {
  char host[128], repo[256];
  int64_t number;
  int pull;
} gh_ref;

/* Parses "https://HOST/OWNER/REPO/(issues|pull)/N". Returns 0 or -1. */
static int parse_html_url(const char *url, gh_ref *ref) {
  const char *path, *p, *q;
  char *end;
  long long n;
  memset(ref, 0, sizeof *ref);
  if (hub__url_host(url, ref->host, sizeof ref->host, &path) || *path != '/') return -1;
  p = path + 1;
  q = strchr(p, '/');
  if (!q) return -1;
  q = strchr(q + 1, '/');
  if (!q || (size_t)(q - p) >= sizeof ref->repo) return -1;
  memcpy(ref->repo, p, (size_t)(q - p));
  ref->repo[q - p] = 0;
  if (strncmp(q, "/issues/", 8) == 0) q += 8;
  else if (strncmp(q, "/pull/", 6) == 0) { q += 6; ref->pull = 1; }
  else if (strncmp(q, "/pulls/", 7) == 0) { q += 7; ref->pull = 1; }
  else return -1;
  n = strtoll(q, &end, 10);
  if (end == q || n <= 0 || (*end && *end != '#' && *end != '?')) return -1;
  ref->number = n;
  return 0;
}

/* Parses an API subject URL "<base>/repos/OWNER/REPO/(issues|pulls)/N". */
static int parse_api_url(const char *url, const char *web_host, gh_ref *ref) {
  const char *p = strstr(url, "/repos/"), *q;
  char *end;
  long long n;
  memset(ref, 0, sizeof *ref);
  if (!p) return -1;
  p += 7;
  q = strchr(p, '/');
  if (!q) return -1;
  q = strchr(q + 1, '/');
  if (!q || (size_t)(q - p) >= sizeof ref->repo) return -1;
  memcpy(ref->repo, p, (size_t)(q - p));
  ref->repo[q - p] = 0;
  if (strncmp(q, "/issues/", 8) == 0) q += 8;
  else if (strncmp(q, "/pulls/", 7) == 0) { q += 7; ref->pull = 1; }
  else return -1;
  n = strtoll(q, &end, 10);
  if (end == q || n <= 0 || *end) return -1;
  ref->number = n;
  snprintf(ref->host, sizeof ref->host, "%s", web_host);
  return 0;
}

/* Type-checked getters: -1 (with message) when present with the wrong type. */
static int get_str(hub *h, const cJSON *o, const char *k, int required, const char **out, int idx) {
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

static int get_int(hub *h, const cJSON *o, const char *k, int required, int64_t *out, int *present,
                   int idx) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  *present = 0;
  if (!v || cJSON_IsNull(v)) {
    if (!required) return 0;
    hub__set_err(h, "item %d: \"%s\" is missing", idx, k);
    return -1;
  }
  if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9e15) {
    hub__set_err(h, "item %d: \"%s\" is not a count", idx, k);
    return -1;
  }
  *out = (int64_t)v->valuedouble;
  *present = 1;
  return 0;
}

static int get_time(hub *h, const cJSON *o, const char *k, int64_t *out, int *present, int idx) {
  const char *s;
  *present = 0;
  if (get_str(h, o, k, 0, &s, idx)) return -1;
  if (!s) return 0;
  if (hub__parse_iso8601(s, out)) {
    hub__set_err(h, "item %d: \"%s\" is not an ISO-8601 time", idx, k);
    return -1;
  }
  *present = 1;
  return 0;
}

/* Names from an array of {"name"|"login": …} objects (or plain strings) as JSON text. */
static int names_json(hub *h, const cJSON *o, const char *k, const char *field, char **out, int idx) {
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

static char *make_key(const gh_ref *ref) {
  return hub__printf("%s/%s#%lld", ref->host, ref->repo, (long long)ref->number);
}

/* Reads one issue or pull object into an item and upserts it. */
static int upsert_issue(hub *h, hub__sync *s, const cJSON *o, const char *reason, int idx,
                        int64_t now) {
  hub__item it;
  gh_ref ref;
  const char *html = NULL, *title, *body, *state, *login = NULL;
  char *labels = NULL, *assignees = NULL, *key = NULL;
  const cJSON *user, *reactions;
  int present, rc = -1;
  hub__upsert_result res;

  memset(&it, 0, sizeof it);
  if (!cJSON_IsObject(o)) {
    hub__set_err(h, "item %d is not an object", idx);
    return -1;
  }
  if (get_str(h, o, "html_url", 1, &html, idx)) return -1;
  if (parse_html_url(html, &ref)) {
    hub__set_err(h, "item %d: html_url \"%.200s\" is not an issue or pull URL", idx, html);
    return -1;
  }
  if (get_int(h, o, "number", 1, &it.number, &present, idx)) return -1;
  if (it.number != ref.number) {
    hub__set_err(h, "item %d: number %lld does not match its URL", idx, (long long)it.number);
    return -1;
  }
  if (get_str(h, o, "title", 1, &title, idx) || get_str(h, o, "body", 0, &body, idx) ||
      get_str(h, o, "state", 1, &state, idx))
    return -1;
  user = cJSON_GetObjectItemCaseSensitive(o, "user");
  if (user && !cJSON_IsNull(user) && get_str(h, user, "login", 1, &login, idx)) return -1;
  it.has = HUB_F_KIND | HUB_F_TITLE | HUB_F_BODY | HUB_F_STATE | HUB_F_URL;
  if (user) it.has |= HUB_F_AUTHOR;
  if (get_int(h, o, "comments", 0, &it.comments, &present, idx)) return -1;
  if (present) it.has |= HUB_F_COMMENTS;
  reactions = cJSON_GetObjectItemCaseSensitive(o, "reactions");
  if (reactions && !cJSON_IsNull(reactions)) {
    if (!cJSON_IsObject(reactions)) {
      hub__set_err(h, "item %d: \"reactions\" is not an object", idx);
      return -1;
    }
    if (get_int(h, reactions, "total_count", 0, &it.reactions, &present, idx)) return -1;
    if (present) it.has |= HUB_F_REACTIONS;
  }
  if (get_time(h, o, "created_at", &it.created_at, &present, idx)) return -1;
  if (present) it.has |= HUB_F_CREATED;
  if (get_time(h, o, "updated_at", &it.updated_at, &present, idx)) return -1;
  if (present) it.has |= HUB_F_UPDATED;
  if (names_json(h, o, "labels", "name", &labels, idx)) goto done;
  if (labels) it.has |= HUB_F_LABELS;
  if (names_json(h, o, "assignees", "login", &assignees, idx)) goto done;
  if (assignees) it.has |= HUB_F_ASSIGNEES;
  key = make_key(&ref);
  if (!key) {
    hub__set_err(h, "out of memory");
    goto done;
  }
  it.key = key;
  it.source = "github";
  it.host = ref.host;
  it.repo = ref.repo;
  it.kind = ref.pull || cJSON_GetObjectItemCaseSensitive(o, "pull_request") ? "pull" : "issue";
  it.title = title;
  it.body = body;
  it.state = state;
  it.author = login;
  it.labels = labels;
  it.assignees = assignees;
  it.url = html;
  it.reason = reason;
  if (hub__store_upsert(h, &it, now / 1000, &res)) goto done;
  hub__sync_count(s, res);
  rc = 0;
done:
  hub_free(labels);
  hub_free(assignees);
  hub_free(key);
  return rc;
}

/* The issue parser for other sources (gfi.c): reads one issue or pull object (as the
 * issues and search APIs return it) into its "<host>/<owner>/<repo>#<n>" row with reason
 * added, counting the outcome in the run. Returns 0, or -1 with h->errmsg set. */
int hub__github_upsert_issue(hub *h, hub__sync *s, const cJSON *issue, const char *reason, int idx,
                             int64_t now) {
  return upsert_issue(h, s, issue, reason, idx, now);
}

static const char *map_reason(const char *r) {
  static const struct { const char *from, *to; } m[] = {
      {"author", "authored"}, {"assign", "assigned"}, {"mention", "mentioned"},
      {"team_mention", "team_mentioned"}, {"review_requested", "review_requested"},
      {"comment", "commented"}, {"state_change", "state_changed"}, {"subscribed", "subscribed"},
      {"manual", "subscribed"}, {"ci_activity", "ci_activity"}, {"invitation", "invited"},
      {"security_alert", "security_alert"}, {"approval_requested", "approval_requested"},
  };
  size_t i;
  for (i = 0; i < sizeof m / sizeof m[0]; i++)
    if (strcmp(r, m[i].from) == 0) return m[i].to;
  return "notified";
}

static int parse_notifications(hub *h, hub__sync *s, const cJSON *body, int64_t now) {
  const cJSON *th;
  int idx = 0;
  if (!cJSON_IsArray(body)) {
    hub__set_err(h, "notifications: expected an array of threads");
    return -1;
  }
  if (cJSON_GetArraySize(body) > HUB_MAX_ITEMS_PER_PAGE) {
    hub__set_err(h, "notifications: more than %d threads on one page", HUB_MAX_ITEMS_PER_PAGE);
    return -1;
  }
  cJSON_ArrayForEach(th, body) {
    const cJSON *subject, *repo, *unread;
    const char *type, *surl, *title, *reason, *repo_html = NULL;
    char host[128] = "github.com", *key = NULL, *html = NULL;
    gh_ref ref;
    hub__item it;
    hub__upsert_result res;
    int rc;
    idx++;
    if (!cJSON_IsObject(th)) {
      hub__set_err(h, "thread %d is not an object", idx);
      return -1;
    }
    subject = cJSON_GetObjectItemCaseSensitive(th, "subject");
    repo = cJSON_GetObjectItemCaseSensitive(th, "repository");
    unread = cJSON_GetObjectItemCaseSensitive(th, "unread");
    if (!cJSON_IsObject(subject) || !cJSON_IsObject(repo) || !cJSON_IsBool(unread)) {
      hub__set_err(h, "thread %d: \"subject\", \"repository\" or \"unread\" missing or mistyped", idx);
      return -1;
    }
    if (get_str(h, subject, "type", 1, &type, idx) || get_str(h, subject, "url", 0, &surl, idx) ||
        get_str(h, subject, "title", 1, &title, idx) || get_str(h, th, "reason", 1, &reason, idx) ||
        get_str(h, repo, "html_url", 0, &repo_html, idx))
      return -1;
    if ((strcmp(type, "Issue") != 0 && strcmp(type, "PullRequest") != 0) || !surl) {
      hub__sync_skip(s, "notification about a commit, release or discussion"); /* not items */
      continue;
    }
    if (repo_html) hub__url_host(repo_html, host, sizeof host, NULL);
    if (parse_api_url(surl, host, &ref)) {
      hub__set_err(h, "thread %d: subject URL \"%.200s\" is not an issue or pull", idx, surl);
      return -1;
    }
    memset(&it, 0, sizeof it);
    key = make_key(&ref);
    html = hub__printf("https://%s/%s/%s/%lld", ref.host, ref.repo, ref.pull ? "pull" : "issues",
                       (long long)ref.number);
    if (!key || !html) {
      hub_free(key);
      hub_free(html);
      hub__set_err(h, "out of memory");
      return -1;
    }
    it.has = HUB_F_TITLE | HUB_F_UNREAD | HUB_F_KIND;
    it.key = key;
    it.source = "github";
    it.host = ref.host;
    it.repo = ref.repo;
    it.number = ref.number;
    it.kind = ref.pull ? "pull" : "issue";
    it.title = title;
    it.unread = cJSON_IsTrue(unread);
    it.url = html;
    it.reason = map_reason(reason);
    rc = hub__store_upsert(h, &it, now / 1000, &res);
    if (!rc) {
      hub__sync_count(s, res);
      /* the subject itself: comments, reactions, labels, state (conditional, often free) */
      rc = hub__sync_enqueue(h, s, &hub__github_source, T_SUBJECT, surl, NULL, 0);
    }
    hub_free(key);
    hub_free(html);
    if (rc) return -1;
  }
  return 0;
}

static int gh_parse(hub *h, hub__sync *s, hub__task *t, const cJSON *body, const cJSON *headers,
                    int64_t now) {
  const cJSON *e, *items;
  int idx = 0;
  (void)headers;
  switch (t->kind) {
  case T_USER: {
    const char *login;
    if (!cJSON_IsObject(body) || get_str(h, body, "login", 1, &login, 1)) {
      hub__set_err(h, "GET /user: no \"login\" in the answer");
      return -1;
    }
    if (hub__setting_set(h, "github_user", login)) return -1;
    hub__weights_invalidate(h);
    return setting_on(h, "search") ? enqueue_searches(h, s, login) : 0;
  }
  case T_NOTIF:
    return parse_notifications(h, s, body, now);
  case T_SUBJECT:
    return upsert_issue(h, s, body, NULL, 1, now);
  case T_SEARCH:
    items = cJSON_GetObjectItemCaseSensitive(body, "items");
    if (!cJSON_IsObject(body) || !cJSON_IsArray(items)) {
      hub__set_err(h, "search: expected an object with an \"items\" array");
      return -1;
    }
    if (cJSON_GetArraySize(items) > HUB_MAX_ITEMS_PER_PAGE) {
      hub__set_err(h, "search: more than %d items on one page", HUB_MAX_ITEMS_PER_PAGE);
      return -1;
    }
    cJSON_ArrayForEach(e, items) {
      if (upsert_issue(h, s, e, t->arg, ++idx, now)) return -1;
    }
    return 0;
  case T_REPO:
    if (!cJSON_IsArray(body)) {
      hub__set_err(h, "repository issues: expected an array");
      return -1;
    }
    if (cJSON_GetArraySize(body) > HUB_MAX_ITEMS_PER_PAGE) {
      hub__set_err(h, "repository issues: more than %d items on one page", HUB_MAX_ITEMS_PER_PAGE);
      return -1;
    }
    cJSON_ArrayForEach(e, body) {
      if (upsert_issue(h, s, e, t->arg, ++idx, now)) return -1;
    }
    return 0;
  default:
    hub__set_err(h, "unknown task");
    return -1;
  }
}

/* Notifications: remember when GitHub lets us poll again, and when we last reconciled. */
static int gh_answered(hub *h, hub__sync *s, hub__task *t, int status, const cJSON *headers,
                       int64_t now) {
  const cJSON *pi;
  char buf[32];
  int64_t interval = 60;
  (void)s;
  if (t->kind != T_NOTIF || t->page != 1 || (status != 200 && status != 304)) return 0;
  if (strstr(t->url, "&page=") || strstr(t->url, "?page=")) return 0; /* first page only */
  pi = cJSON_GetObjectItem(headers, "x-poll-interval");
  if (cJSON_IsString(pi)) {
    long long v = strtoll(pi->valuestring, NULL, 10);
    if (v > 0 && v < 86400) interval = v;
  }
  snprintf(buf, sizeof buf, "%lld", (long long)(now + interval * 1000));
  if (hub__setting_set(h, "notif_next_poll_ms", buf)) return -1;
  if (t->arg && strcmp(t->arg, "all") == 0) {
    snprintf(buf, sizeof buf, "%lld", (long long)now);
    if (hub__setting_set(h, "notif_reconcile_ms", buf)) return -1;
  }
  return 0;
}

/* Accept, API version, and the token — only towards the configured API base URL. */
static int gh_headers(hub *h, hub__sync *s, const hub__task *t, cJSON *hdrs) {
  size_t blen = strlen(s->api_base);
  (void)h;
  cJSON_AddStringToObject(hdrs, "Accept", "application/vnd.github+json");
  cJSON_AddStringToObject(hdrs, "X-GitHub-Api-Version", "2022-11-28");
  if (s->token && *s->token && strncmp(t->url, s->api_base, blen) == 0 &&
      (t->url[blen] == '/' || t->url[blen] == '?' || t->url[blen] == 0)) {
    char *auth = hub__printf("Bearer %s", s->token);
    if (!auth) return -1;
    cJSON_AddStringToObject(hdrs, "Authorization", auth);
    memset(auth, 0, strlen(auth));
    hub_free(auth);
  }
  return 0;
}

static const char *gh_resource(const hub__task *t) {
  return strstr(t->url, "/search/") ? "search" : "core";
}

const hub__source hub__github_source = {"github", gh_start, gh_parse, gh_answered, gh_headers,
                                        gh_resource};
