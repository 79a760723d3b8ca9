/*
 * github.c — the GitHub source: what a run asks GitHub for, and how answers become items
 * (sources layer; GitHub reading shared with gfi.c is in ghread.c).
 *
 * Tasks: the user's login (GET /user, when settings lack it); notifications
 * (GET /notifications, If-Modified-Since, X-Poll-Interval obeyed, an all=true reconcile
 * every reconcile_hours); each Issue/PullRequest notification's subject (/issues/N or
 * /pulls/N, keyed like any other route to the same item; one that is gone upstream is
 * skipped for a day); the user's open work by search (authored, review requested, assigned);
 * and watched repositories' open issues. Item key: "<web host>/<owner>/<repo>#<number>",
 * from html_url, so every route to the same issue or pull lands on one row. Every field is
 * type-checked; a wrong type fails the whole page (the engine rolls the batch back).
 *
 * Owns table gh_threads: the notification thread of each item (its id and updated_at), which
 * the triage outbox needs to tell GitHub that a thread was read, done or muted. A thread that
 * GitHub reports unread with activity after the user's local "read" gives the unread flag
 * back to GitHub (triage/triage.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db/db.h"
#include "rank/rank.h"
#include "base/ids.h"
#include "sources/sources.h"
#include "triage/triage.h"

enum { T_USER, T_NOTIF, T_SUBJECT, T_SEARCH, T_REPO };

#define NOTIF_PER_PAGE_MAX 50
#define KV_NEXT_POLL "github.next_poll_ms"
#define KV_RECONCILED "github.reconciled_ms"

static int page_size(hub *h, int max) {
  double n = hub__setting_num(h, "page_size");
  return n > max ? max : (int)n;
}

/* The reason a search stands for travels as the task's arg: its code. */
static int enqueue_searches(hub *h, hub__run *r, const hub__gh *g, const char *login) {
  static const struct { const char *fmt; hub__reason reason; } q[] = {
      {"is:open author:%s", HUB_R_authored},
      {"is:open is:pr review-requested:%s", HUB_R_review_requested},
      {"is:open assignee:%s", HUB_R_assigned},
  };
  size_t i;
  int per = page_size(h, 100);
  for (i = 0; i < sizeof q / sizeof q[0]; i++) {
    char *query = hub__printf(q[i].fmt, login), *enc = query ? hub__url_encode(query) : NULL;
    char *url = enc ? hub__printf("%s/search/issues?q=%s&per_page=%d", g->api, enc, per) : NULL;
    int rc = url ? hub__run_enqueue(h, r, &hub__github_source, T_SEARCH, url, hub__reasons[q[i].reason].code, 0) : -1;
    if (!url) hub__set_err(h, "out of memory");
    hub_free(query);
    hub_free(enc);
    hub_free(url);
    if (rc) return -1;
  }
  return 0;
}

static int plan_notifications(hub *h, hub__run *r, const hub__gh *g, int64_t now) {
  int64_t due = hub__num_clamp(hub__kv_num(h, KV_NEXT_POLL, 0), 0, INT64_MAX / 4);
  int64_t last = hub__num_clamp(hub__kv_num(h, KV_RECONCILED, 0), 0, INT64_MAX / 4);
  double hours = hub__setting_num(h, "reconcile_hours");
  int per = page_size(h, NOTIF_PER_PAGE_MAX), rc;
  int reconcile = now - last >= (int64_t)(hours * 3600000.0);
  char *url;
  if (now < due && !reconcile) return 0; /* not due yet (X-Poll-Interval): the stored ones stand */
  url = reconcile ? hub__printf("%s/notifications?all=true&per_page=%d", g->api, per)
                  : hub__printf("%s/notifications?per_page=%d", g->api, per);
  if (!url) {
    hub__set_err(h, "out of memory");
    return -1;
  }
  rc = hub__run_enqueue(h, r, &hub__github_source, T_NOTIF, url, reconcile ? "all" : NULL,
                        reconcile ? 0 : HUB_TASK_IF_MODIFIED);
  hub_free(url);
  return rc;
}

static int plan_watched(hub *h, hub__run *r, const hub__gh *g) {
  char *repos = hub__setting_get(h, "repos");
  cJSON *arr = repos ? cJSON_Parse(repos) : NULL, *e;
  int per = page_size(h, 100), rc = 0;
  hub_free(repos);
  cJSON_ArrayForEach(e, arr) {
    char *url;
    if (!cJSON_IsString(e) || !hub__gh_repo_ok(e->valuestring)) continue;
    url = hub__printf("%s/repos/%s/issues?per_page=%d", g->api, e->valuestring, per);
    rc = url ? hub__run_enqueue(h, r, &hub__github_source, T_REPO, url, hub__reasons[HUB_R_watched].code,
                                HUB_TASK_GONE_OK)
             : -1;
    hub_free(url);
    if (rc) break;
  }
  cJSON_Delete(arr);
  return rc;
}

static int gh_start(hub *h, hub__run *r, const cJSON *opts, int64_t now, void **state) {
  hub__gh *g = hub__malloc(sizeof *g);
  char *login = NULL;
  int rc = -1;
  if (!g) {
    hub__set_err(h, "out of memory");
    return -1;
  }
  if (hub__gh_init(h, opts, g)) {
    hub_free(g);
    return -1;
  }
  *state = g;
  /* the fingerprint of this run's credential, for the console's stale-validator count */
  if (hub__kv_set(h, "github.scope", g->scope)) goto done;
  login = hub__kv_get(h, "github_user");
  if (g->token && hub__setting_on(h, "notifications") && plan_notifications(h, r, g, now)) goto done;
  if ((!login || !*login) && g->token) {
    char *url = hub__printf("%s/user", g->api);
    int e = url ? hub__run_enqueue(h, r, &hub__github_source, T_USER, url, NULL, 0) : -1;
    hub_free(url);
    if (e) goto done;
  } else if (login && *login && hub__setting_on(h, "search")) {
    if (enqueue_searches(h, r, g, login)) goto done;
  }
  if (plan_watched(h, r, g)) goto done;
  rc = 0;
done:
  hub_free(login);
  return rc;
}

static void gh_finish(void *state) {
  if (!state) return;
  hub__gh_free(state);
  hub_free(state);
}

/* ---- answers ------------------------------------------------------------------------------ */

/* Reads one issue or pull object and stores it with reason (a code or NULL). */
static int put_issue(hub *h, hub__run *r, const cJSON *o, const char *reason, int idx, int64_t now) {
  hub__item it;
  hub__gh_issue own;
  hub__upsert_result res;
  int64_t id = 0;
  int rc;
  if (hub__gh_issue_read(h, o, idx, &it, &own)) return -1;
  it.reason = reason ? hub__reason_find(reason) : -1;
  rc = hub__items_put(h, &it, now / 1000, &res, &id);
  if (!rc) hub__run_count(r, res, id);
  hub__gh_issue_free(&own);
  return rc;
}

static hub__reason map_reason(const char *r) {
  static const struct { const char *from; hub__reason to; } m[] = {
      {"author", HUB_R_authored}, {"assign", HUB_R_assigned}, {"mention", HUB_R_mentioned},
      {"team_mention", HUB_R_team_mentioned}, {"review_requested", HUB_R_review_requested},
      {"comment", HUB_R_commented}, {"state_change", HUB_R_state_changed}, {"subscribed", HUB_R_subscribed},
      {"manual", HUB_R_subscribed}, {"ci_activity", HUB_R_ci_activity}, {"invitation", HUB_R_invited},
      {"security_alert", HUB_R_security_alert}, {"approval_requested", HUB_R_approval_requested},
  };
  size_t i;
  for (i = 0; i < sizeof m / sizeof m[0]; i++)
    if (strcmp(r, m[i].from) == 0) return m[i].to;
  return HUB_R_notified;
}

/* Remembers item id's notification thread; an unread thread with new activity takes back a
 * local "read" that came before it. 0 or -1. */
static int note_thread(hub *h, const cJSON *th, int64_t id, int unread, int idx) {
  const cJSON *tj = cJSON_GetObjectItemCaseSensitive(th, "id");
  const char *tid = cJSON_IsString(tj) ? tj->valuestring : NULL; /* GitHub sends a string */
  int64_t upd = 0;
  int has_upd = 0;
  if (hub__gh_time(h, th, "updated_at", &upd, &has_upd, idx)) return -1;
  if (!tid || !*tid || strlen(tid) > 30 || strspn(tid, "0123456789") != strlen(tid)) return 0; /* not usable */
  if (hub__db_run(h,
                  "INSERT INTO gh_threads(item_id,thread_id,updated_at) VALUES(?1,?2,nullif(?3,0))"
                  " ON CONFLICT(item_id) DO UPDATE SET thread_id=excluded.thread_id,updated_at=excluded.updated_at"
                  " WHERE thread_id IS NOT excluded.thread_id OR updated_at IS NOT excluded.updated_at",
                  "iti", id, tid, has_upd ? upd : 0) < 0)
    return -1;
  return unread && has_upd ? hub__triage_upstream_unread(h, id, hub__mul_sat(upd, 1000)) : 0;
}

/* One notification thread: the item as far as the thread tells, and its subject planned. */
static int put_thread(hub *h, hub__run *r, const cJSON *th, int idx, int64_t now) {
  const cJSON *subject = cJSON_GetObjectItemCaseSensitive(th, "subject");
  const cJSON *repo = cJSON_GetObjectItemCaseSensitive(th, "repository");
  const cJSON *unread = cJSON_GetObjectItemCaseSensitive(th, "unread");
  const char *type, *surl, *title, *reason, *repo_html = NULL;
  char host[256] = "github.com", *key = NULL, *html = NULL;
  hub__gh_ref ref;
  hub__item it;
  hub__upsert_result res;
  int64_t id = 0;
  int rc = -1;
  if (!cJSON_IsObject(th)) {
    hub__set_err(h, "thread %d is not an object", idx);
    return -1;
  }
  if (!cJSON_IsObject(subject) || !cJSON_IsObject(repo) || !cJSON_IsBool(unread)) {
    hub__set_err(h, "thread %d: \"subject\", \"repository\" or \"unread\" missing or mistyped", idx);
    return -1;
  }
  if (hub__gh_str(h, subject, "type", 1, &type, idx) || hub__gh_str(h, subject, "url", 0, &surl, idx) ||
      hub__gh_str(h, subject, "title", 1, &title, idx) || hub__gh_str(h, th, "reason", 1, &reason, idx) ||
      hub__gh_str(h, repo, "html_url", 0, &repo_html, idx))
    return -1;
  if ((strcmp(type, "Issue") != 0 && strcmp(type, "PullRequest") != 0) || !surl) {
    hub__run_skip(r, "notification about a commit, release or discussion"); /* not items */
    return 0;
  }
  if (repo_html) {
    hub__url u;
    if (hub__url_parse(repo_html, &u) == 0 && strlen(u.host) < sizeof host) snprintf(host, sizeof host, "%s", u.host);
  }
  if (hub__gh_parse_api(surl, host, &ref)) {
    hub__set_err(h, "thread %d: subject URL \"%.200s\" is not an issue or pull", idx, surl);
    return -1;
  }
  memset(&it, 0, sizeof it);
  key = hub__gh_key(&ref);
  html = hub__printf("https://%s/%s/%s/%lld", ref.host, ref.repo, ref.pull ? "pull" : "issues", (long long)ref.number);
  if (!key || !html) {
    hub__set_err(h, "out of memory");
    goto done;
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
  it.reason = (int)map_reason(reason);
  if (hub__items_put(h, &it, now / 1000, &res, &id) || note_thread(h, th, id, it.unread, idx)) goto done;
  hub__run_count(r, res, id);
  /* the subject itself: comments, reactions, labels, state (conditional, often free) */
  rc = hub__run_enqueue(h, r, &hub__github_source, T_SUBJECT, surl, NULL, HUB_TASK_GONE_OK);
done:
  hub_free(key);
  hub_free(html);
  return rc;
}

static int parse_list(hub *h, hub__run *r, const cJSON *arr, const char *what, const char *reason, int threads,
                      int64_t now) {
  const cJSON *e;
  int idx = 0;
  if (!cJSON_IsArray(arr)) {
    hub__set_err(h, "%s: expected an array", what);
    return -1;
  }
  if (cJSON_GetArraySize(arr) > HUB_MAX_ITEMS_PER_PAGE) {
    hub__set_err(h, "%s: more than %d items on one page", what, HUB_MAX_ITEMS_PER_PAGE);
    return -1;
  }
  cJSON_ArrayForEach(e, arr) {
    if (threads ? put_thread(h, r, e, ++idx, now) : put_issue(h, r, e, reason, ++idx, now)) return -1;
  }
  return 0;
}

static int gh_parse(hub *h, hub__run *r, void *state, const hub__task *t, const cJSON *body, const cJSON *headers,
                    int64_t now) {
  const char *login;
  (void)headers;
  switch (t->kind) {
  case T_USER:
    if (!cJSON_IsObject(body) || hub__gh_str(h, body, "login", 1, &login, 1) || !hub__gh_login_ok(login)) {
      hub__set_err(h, "GET /user: no usable \"login\" in the answer");
      return -1;
    }
    if (hub__kv_set(h, "github_user", login)) return -1;
    hub__weights_invalidate(h);
    return hub__setting_on(h, "search") ? enqueue_searches(h, r, state, login) : 0;
  case T_NOTIF:
    return parse_list(h, r, body, "notifications", NULL, 1, now);
  case T_SUBJECT:
    return put_issue(h, r, body, NULL, 1, now);
  case T_SEARCH:
    if (!cJSON_IsObject(body)) {
      hub__set_err(h, "search: expected an object with an \"items\" array");
      return -1;
    }
    return parse_list(h, r, cJSON_GetObjectItemCaseSensitive(body, "items"), "search", t->arg, 0, now);
  case T_REPO:
    return parse_list(h, r, body, "repository issues", t->arg, 0, now);
  default:
    hub__set_err(h, "unknown task");
    return -1;
  }
}

/* Notifications: remember when GitHub lets us poll again, and when we last reconciled. */
static int gh_answered(hub *h, hub__run *r, void *state, const hub__task *t, int status, const cJSON *headers,
                       int64_t now) {
  const cJSON *pi;
  char buf[32];
  int64_t interval = 60;
  (void)r;
  (void)state;
  (void)status;
  if (t->kind != T_NOTIF || strstr(t->url, "&page=") || strstr(t->url, "?page=")) return 0; /* first page only */
  pi = cJSON_GetObjectItem(headers, "x-poll-interval");
  if (cJSON_IsString(pi)) hub__parse_int(pi->valuestring, 1, 86399, &interval);
  snprintf(buf, sizeof buf, "%lld", (long long)(now + interval * 1000));
  if (hub__kv_set(h, KV_NEXT_POLL, buf)) return -1;
  if (t->arg && strcmp(t->arg, "all") == 0) {
    snprintf(buf, sizeof buf, "%lld", (long long)now);
    if (hub__kv_set(h, KV_RECONCILED, buf)) return -1;
  }
  return 0;
}

static int gh_headers(hub *h, hub__run *r, void *state, const hub__task *t, cJSON *hdrs) {
  (void)h;
  (void)r;
  return hub__gh_headers(state, t->url, hdrs);
}

static void gh_bucket(const hub__task *t, char *buf, size_t n) { hub__gh_bucket(t->url, buf, n); }

static int gh_limits(const hub__task *t, const cJSON *headers, int64_t now, hub__limits_read *out) {
  (void)t;
  return hub__gh_limits(headers, now, out);
}

static hub__refusal gh_refused(void *state, const hub__task *t, int status, const cJSON *headers,
                               const cJSON *body, int64_t now, hub__refused *out) {
  (void)t;
  return hub__gh_refused(state, status, headers, body, now, out);
}

static void gh_scope(void *state, const hub__task *t, char out[65]) {
  (void)t;
  snprintf(out, 65, "%s", ((const hub__gh *)state)->scope);
}

const hub__source hub__github_source = {"github", "GitHub", gh_start, gh_finish, gh_parse, gh_answered,
                                        gh_headers, gh_bucket, gh_limits, gh_refused, gh_scope, NULL};
