/*
 * activity.c — the activity source (sources layer, sans-I/O): a GitHub user's own commits over
 * the last two years, for the activity heatmap. Off unless the setting "activity" is on; the
 * user is activity_login, else github_user (learned by the GitHub source from the token).
 * Stored through sources/activity_store.c; languages from sources/activity_lang.c.
 *
 * Requests (all GET, conditional with If-None-Match, through the engine's rate-limit pacing):
 *   /users/{login}/repos?type=all&sort=pushed&per_page=100   repositories, newest push first;
 *       reading stops at the first one not pushed to within the window
 *   /users/{login}/events?per_page=100                        PushEvents name repositories of
 *       others the user pushed to (GitHub keeps 90 days / 300 events of them)
 *   /repos/{o}/{r}/commits?author={login}&since={cursor}&per_page=100
 *       one walk per repository, only when it was pushed to after its last finished walk;
 *       the cursor is a week before the newest commit that walk stored (the window's first
 *       day at first). Only the user's commits: GitHub's author filter, checked again here
 *       (author.login), merge commits and commits dated before the window skipped.
 *   /repos/{o}/{r}/commits/{sha}                              the commit's file list → its
 *       languages (documentation, vendored and generated files do not count); once per commit
 *
 * The rate limit, for a user with 10,000 commits in two years: the repos list costs one request
 * per 100 repositories pushed to in the window and the events three at most; the walks cost
 * one request per 100 of the user's commits (10,000 → 100 requests) plus one per repository.
 * A commit's files have no cheaper source than one request per commit (search/commits neither
 * lists files nor returns more than 1,000 results, against a 30-a-minute bucket), so file lists
 * are read newest first, at most activity_detail_budget per run (500 by default; 20 without a
 * token, whose limit is 60 an hour): the first run is about 600 requests of the 5,000 an hour,
 * days, counts and repositories are complete after it, and languages fill in over the next
 * runs ("pending" in the command's answer says how many commits still wait). A re-sync with
 * nothing new is two 304s (GitHub does not charge them); a repository someone else pushed to
 * is one conditional request. Page ceilings: HUB_ACT_MAX_PAGES per walk, HUB_ACT_FILE_PAGES
 * per file list (GitHub pages a commit's files by 300, up to 3,000).
 *
 * A walk whose page fails (after the engine's retries) is done again from the same cursor next
 * time: the repository is marked walked only when its last page was read (or answered 304).
 * Every page is one batch: a failure rolls that page back and leaves earlier pages' days.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db/db.h"
#include "base/ids.h"
#include "sources/sources.h"
#include "sources/activity.h"

enum { T_REPOS, T_EVENTS, T_COMMITS, T_DETAIL };

#ifndef HUB_ACT_MAX_PAGES
#define HUB_ACT_MAX_PAGES 100 /* pages of one repository's walk in one run (10,000 commits) */
#endif
#ifndef HUB_ACT_FILE_PAGES
#define HUB_ACT_FILE_PAGES 10 /* pages of one commit's file list */
#endif
#ifndef HUB_ACT_DUE_MAX
#define HUB_ACT_DUE_MAX 500 /* walks left unfinished by earlier runs, taken up in one run */
#endif
#ifndef HUB_ACT_WALKS_MAX
#define HUB_ACT_WALKS_MAX 1000 /* repository walks planned in one run; the rest stay due */
#endif
#define ACT_TASK_HEADROOM 500 /* planned requests left to other sources and to next pages */
#define ACT_ANON_BUDGET 20
#define ACT_MAX_LANGS 64 /* languages kept from one page of a file list */

typedef struct {
  hub__gh g;
  char login[40];
  char from_day[11];
  char from_iso[32];
  int64_t from_s;
  int budget;    /* file lists still to be asked for in this run */
  cJSON *walks;  /* repositories whose walk this run planned (a set) */
  int nwalks;
} act_state;

/* 1 while this run may plan another request of its own (the engine's ceiling less headroom). */
static int room(const hub__run *r) { return hub__run_planned(r) < HUB_MAX_TASKS - ACT_TASK_HEADROOM; }

static void act_finish(void *state) {
  act_state *s = state;
  if (!s) return;
  hub__gh_free(&s->g);
  cJSON_Delete(s->walks);
  hub_free(s);
}

/* The page number of a URL's page=N (1 when absent). */
static int64_t page_of(const char *url) {
  const char *q = strchr(url, '?'), *p;
  int64_t n = 1;
  for (p = q ? strstr(q, "page=") : NULL; p; p = strstr(p + 1, "page="))
    if (p[-1] == '?' || p[-1] == '&') {
      char buf[12];
      size_t len = strcspn(p + 5, "&#");
      if (len && len < sizeof buf) {
        memcpy(buf, p + 5, len);
        buf[len] = 0;
        if (hub__parse_int(buf, 1, 100000, &n)) n = 1;
      }
      break;
    }
  return n;
}

/* Plans repo's commit walk, once per run (a walk not planned stays due for the next run). */
static int plan_walk(hub *h, hub__run *r, act_state *s, const char *repo) {
  char *since = NULL, *url = NULL;
  int rc = -1;
  if (cJSON_GetObjectItemCaseSensitive(s->walks, repo) || s->nwalks >= HUB_ACT_WALKS_MAX || !room(r)) return 0;
  since = hub__act_repo_since(h, repo, s->from_iso);
  url = since ? hub__printf("%s/repos/%s/commits?author=%s&since=%s&per_page=100", s->g.api, repo, s->login, since)
              : NULL;
  if (!url || !cJSON_AddTrueToObject(s->walks, repo)) {
    hub__set_err(h, "out of memory");
    goto done;
  }
  rc = hub__run_enqueue(h, r, &hub__activity_source, T_COMMITS, url, repo, 0);
  s->nwalks++;
done:
  hub_free(since);
  hub_free(url);
  return rc;
}

/* Plans a commit's file list while the run's budget lasts. */
static int plan_detail(hub *h, hub__run *r, act_state *s, const char *repo, const char *sha) {
  char *url, *arg;
  int rc;
  if (s->budget <= 0 || !room(r)) return 0;
  url = hub__printf("%s/repos/%s/commits/%s", s->g.api, repo, sha);
  arg = hub__printf("%s %s", repo, sha);
  rc = url && arg ? hub__run_enqueue(h, r, &hub__activity_source, T_DETAIL, url, arg, 0) : -1;
  if (!url || !arg) hub__set_err(h, "out of memory");
  if (!rc) s->budget--;
  hub_free(url);
  hub_free(arg);
  return rc;
}

/* The lists, the walks earlier runs left unfinished, the file lists still to be read. */
static int plan_start(hub *h, hub__run *r, act_state *s) {
  cJSON *due = NULL, *pend = NULL, *e;
  char *repos = hub__printf("%s/users/%s/repos?type=all&sort=pushed&per_page=100", s->g.api, s->login);
  char *events = hub__printf("%s/users/%s/events?per_page=100", s->g.api, s->login);
  int rc = -1;
  if (!repos || !events) {
    hub__set_err(h, "out of memory");
    goto done;
  }
  if (hub__run_enqueue(h, r, &hub__activity_source, T_REPOS, repos, NULL, 0) ||
      hub__run_enqueue(h, r, &hub__activity_source, T_EVENTS, events, NULL, 0))
    goto done;
  due = hub__act_repos_due(h, HUB_ACT_DUE_MAX);
  pend = due ? hub__act_pending(h, s->budget) : NULL;
  if (!pend) goto done;
  cJSON_ArrayForEach(e, due) if (plan_walk(h, r, s, e->valuestring)) goto done;
  cJSON_ArrayForEach(e, pend) {
    if (plan_detail(h, r, s, cJSON_GetArrayItem(e, 0)->valuestring, cJSON_GetArrayItem(e, 1)->valuestring)) goto done;
  }
  rc = 0;
done:
  cJSON_Delete(due);
  cJSON_Delete(pend);
  hub_free(repos);
  hub_free(events);
  return rc;
}

static int act_start(hub *h, hub__run *r, const cJSON *opts, int64_t now, void **state) {
  act_state *s = NULL;
  char *login = NULL;
  int rc = -1;
  if (!hub__setting_on(h, "activity")) return 0;
  login = hub__setting_get(h, "activity_login");
  if (!login || !*login) {
    hub_free(login);
    login = hub__kv_get(h, "github_user");
  }
  if (!login || !hub__gh_login_ok(login)) {
    hub__run_skip(r, "activity: no GitHub login yet (set activity_login, or a token)");
    rc = 0;
    goto done;
  }
  s = hub__malloc(sizeof *s);
  if (!s) {
    hub__set_err(h, "out of memory");
    goto done;
  }
  memset(s, 0, sizeof *s);
  if (hub__gh_init(h, opts, &s->g)) {
    hub_free(s);
    s = NULL;
    goto done;
  }
  *state = s;
  snprintf(s->login, sizeof s->login, "%s", login);
  hub__act_window_from(now / 1000, s->from_day);
  snprintf(s->from_iso, sizeof s->from_iso, "%sT00:00:00Z", s->from_day);
  if (hub__parse_iso8601(s->from_iso, &s->from_s)) s->from_s = 0;
  s->budget = (int)hub__setting_num(h, "activity_detail_budget");
  if (!s->g.token && s->budget > ACT_ANON_BUDGET) s->budget = ACT_ANON_BUDGET;
  s->walks = cJSON_CreateObject();
  if (!s->walks) {
    hub__set_err(h, "out of memory");
    goto done;
  }
  if (hub__act_begin(h, s->login, now / 1000)) goto done;
  rc = plan_start(h, r, s);
done:
  hub_free(login);
  return rc;
}

/* ---- answers ------------------------------------------------------------------------------ */

static int check_list(hub *h, const cJSON *arr, const char *what) {
  if (!cJSON_IsArray(arr)) {
    hub__set_err(h, "%s: expected an array", what);
    return -1;
  }
  if (cJSON_GetArraySize(arr) > HUB_MAX_ITEMS_PER_PAGE) {
    hub__set_err(h, "%s: more than %d entries on one page", what, HUB_MAX_ITEMS_PER_PAGE);
    return -1;
  }
  return 0;
}

/* A repository the user pushed to at pushed_s: remembered, its walk planned when due. */
static int saw_repo(hub *h, hub__run *r, act_state *s, const char *repo, int64_t pushed_s, const char *via) {
  int walk = 0;
  if (!hub__gh_repo_ok(repo)) {
    hub__run_skip(r, "activity: unusable repository name");
    return 0;
  }
  if (hub__act_repo_seen(h, repo, pushed_s, via, &walk)) return -1;
  return walk ? plan_walk(h, r, s, repo) : 0;
}

/* One page of the user's repositories, newest push first: those pushed to in the window. */
static int parse_repos(hub *h, hub__run *r, act_state *s, const cJSON *arr) {
  const cJSON *e;
  int idx = 0, older = 0;
  if (check_list(h, arr, "repositories")) return -1;
  cJSON_ArrayForEach(e, arr) {
    const char *name;
    int64_t pushed = 0;
    int has = 0;
    if (!cJSON_IsObject(e)) {
      hub__set_err(h, "repository %d is not an object", idx + 1);
      return -1;
    }
    if (hub__gh_str(h, e, "full_name", 1, &name, ++idx) || hub__gh_time(h, e, "pushed_at", &pushed, &has, idx)) return -1;
    if (!has || pushed < s->from_s) { /* never pushed to, or not within the window */
      older = 1;
      continue;
    }
    if (saw_repo(h, r, s, name, pushed, "repos")) return -1;
  }
  if (older) hub__run_no_next(r); /* sorted by push: the next pages are older still */
  return 0;
}

/* One page of the user's events: the repositories of PushEvents within the window. */
static int parse_events(hub *h, hub__run *r, act_state *s, const cJSON *arr) {
  const cJSON *e;
  int idx = 0;
  if (check_list(h, arr, "events")) return -1;
  cJSON_ArrayForEach(e, arr) {
    const cJSON *repo = cJSON_GetObjectItemCaseSensitive(e, "repo");
    const char *type, *name;
    int64_t at = 0;
    int has = 0;
    if (!cJSON_IsObject(e)) {
      hub__set_err(h, "event %d is not an object", idx + 1);
      return -1;
    }
    if (hub__gh_str(h, e, "type", 1, &type, ++idx)) return -1;
    if (strcmp(type, "PushEvent") != 0) continue;
    if (!cJSON_IsObject(repo) || hub__gh_str(h, repo, "name", 1, &name, idx) ||
        hub__gh_time(h, e, "created_at", &at, &has, idx))
      return -1;
    if (has && at >= s->from_s && saw_repo(h, r, s, name, at, "events")) return -1;
  }
  return 0;
}

/* 1 when c (a commits-list entry) is the user's own, non-merge commit within the window, with
 * its sha and author date; 0 when it is skipped (counted with a reason); -1 when malformed. */
static int own_commit(hub *h, hub__run *r, const act_state *s, const cJSON *c, int idx, const char **sha,
                      int64_t *at) {
  const cJSON *commit = cJSON_GetObjectItemCaseSensitive(c, "commit"), *author = cJSON_GetObjectItemCaseSensitive(c, "author");
  const cJSON *cauthor = cJSON_GetObjectItemCaseSensitive(commit, "author");
  const cJSON *parents = cJSON_GetObjectItemCaseSensitive(c, "parents");
  const char *login = NULL;
  int has = 0;
  if (!cJSON_IsObject(c) || !cJSON_IsObject(commit) || !cJSON_IsObject(cauthor)) {
    hub__set_err(h, "commit %d: \"commit\" or \"commit.author\" missing or mistyped", idx);
    return -1;
  }
  if (hub__gh_str(h, c, "sha", 1, sha, idx) || hub__gh_time(h, cauthor, "date", at, &has, idx)) return -1;
  if (strlen(*sha) != 40 || strspn(*sha, "0123456789abcdef") != 40 || !has) {
    hub__set_err(h, "commit %d: no usable \"sha\" or author date", idx);
    return -1;
  }
  if (cJSON_IsObject(author) && hub__gh_str(h, author, "login", 0, &login, idx)) return -1;
  if (!login || !hub__ieq(login, s->login)) {
    hub__run_skip(r, "activity: another author's commit");
    return 0;
  }
  if (cJSON_IsArray(parents) && cJSON_GetArraySize(parents) > 1) {
    hub__run_skip(r, "activity: merge commit");
    return 0;
  }
  if (*at < s->from_s) {
    hub__run_skip(r, "activity: authored before the window");
    return 0;
  }
  return 1;
}

/* One page of a repository's walk. */
static int parse_commits(hub *h, hub__run *r, act_state *s, const hub__task *t, const cJSON *arr,
                         const cJSON *headers) {
  const cJSON *e, *link = cJSON_GetObjectItem(headers, "link");
  cJSON *days = cJSON_CreateObject();
  char *next = cJSON_IsString(link) ? hub__link_next(link->valuestring) : NULL;
  int idx = 0, rc = -1, last = !next;
  if (!days) {
    hub__set_err(h, "out of memory");
    goto done;
  }
  if (check_list(h, arr, "commits")) goto done;
  cJSON_ArrayForEach(e, arr) {
    const char *sha;
    char day[32];
    int64_t at = 0;
    int fresh = 0, own = own_commit(h, r, s, e, ++idx, &sha, &at);
    if (own < 0) goto done;
    if (!own) continue;
    if (hub__act_commit_put(h, t->arg, sha, at, &fresh)) goto done;
    hub__fmt_iso8601(at, day);
    day[10] = 0;
    if (!cJSON_GetObjectItemCaseSensitive(days, day) && !cJSON_AddTrueToObject(days, day)) goto oom;
    hub__run_stat(r, fresh ? "commits_new" : "commits_known", 1);
    if (fresh && plan_detail(h, r, s, t->arg, sha)) goto done;
  }
  cJSON_ArrayForEach(e, days) if (hub__act_refresh_day(h, e->string)) goto done;
  if (next && page_of(t->url) >= HUB_ACT_MAX_PAGES) {
    hub__run_note(r, t->url, "more commits than the page ceiling in this repository: the oldest were not read");
    hub__run_no_next(r);
    last = 1;
  }
  rc = last ? hub__act_repo_walked(h, t->arg) : 0;
  goto done;
oom:
  hub__set_err(h, "out of memory");
done:
  hub_free(next);
  cJSON_Delete(days);
  return rc;
}

/* Adds li to the set langs (n of them, at most ACT_MAX_LANGS). */
static void add_lang(int *langs, int *n, int li) {
  int i;
  for (i = 0; i < *n; i++)
    if (langs[i] == li) return;
  if (*n < ACT_MAX_LANGS) langs[(*n)++] = li;
}

/* One page of a commit's file list → the languages it counts as. */
static int parse_detail(hub *h, hub__run *r, const hub__task *t, const cJSON *body) {
  static const char *const stat_of[] = {"files_code", "files_doc", "files_vendored", "files_generated", "files_other"};
  const cJSON *files = cJSON_GetObjectItemCaseSensitive(body, "files"), *f;
  const char *sp = t->arg ? strchr(t->arg, ' ') : NULL, *sha = NULL;
  char repo[256];
  int langs[ACT_MAX_LANGS], n = 0, idx = 0;
  if (!sp || (size_t)(sp - t->arg) >= sizeof repo || !cJSON_IsObject(body)) {
    hub__set_err(h, "commit: expected an object");
    return -1;
  }
  if (hub__gh_str(h, body, "sha", 1, &sha, 1)) return -1;
  if (strcmp(sha, sp + 1) != 0) {
    hub__set_err(h, "commit: not the commit asked for");
    return -1;
  }
  memcpy(repo, t->arg, (size_t)(sp - t->arg));
  repo[sp - t->arg] = 0;
  if (files && check_list(h, files, "commit files")) return -1;
  cJSON_ArrayForEach(f, files) {
    const char *name;
    int li;
    hub__act_class k;
    if (hub__gh_str(h, f, "filename", 1, &name, ++idx)) return -1;
    k = hub__act_classify(name, &li);
    if (k == HUB_ACT_CODE) add_lang(langs, &n, li);
    hub__run_stat(r, stat_of[k], 1);
  }
  if (page_of(t->url) >= HUB_ACT_FILE_PAGES) hub__run_no_next(r);
  return hub__act_commit_langs(h, repo, sp + 1, langs, n, idx);
}

static int act_parse(hub *h, hub__run *r, void *state, const hub__task *t, const cJSON *body, const cJSON *headers,
                     int64_t now) {
  act_state *s = state;
  (void)now;
  switch (t->kind) {
  case T_REPOS:
    return parse_repos(h, r, s, body);
  case T_EVENTS:
    return parse_events(h, r, s, body);
  case T_COMMITS:
    return parse_commits(h, r, s, t, body, headers);
  case T_DETAIL:
    return parse_detail(h, r, t, body);
  default:
    hub__set_err(h, "unknown task");
    return -1;
  }
}

/* A page of a walk answered 304: nothing new since it was read. When no next page was stored
 * with it, the walk is over (else the engine goes on to the stored next page). */
static int act_answered(hub *h, hub__run *r, void *state, const hub__task *t, int status, const cJSON *headers,
                        int64_t now) {
  int more;
  (void)state;
  (void)headers;
  (void)now;
  if (t->kind != T_COMMITS || status != 304) return 0;
  more = hub__run_stored_next(h, r, t);
  return more < 0 ? -1 : more ? 0 : hub__act_repo_walked(h, t->arg);
}

/* A walk of a repository that is gone, empty (409) or unavailable has nothing to read: it is
 * not asked again until it is pushed to. A server error leaves it due for the next run. */
static void act_failed(hub *h, hub__run *r, void *state, const hub__task *t, int status, const char *msg, int64_t now) {
  (void)r;
  (void)state;
  (void)msg;
  (void)now;
  if (t->kind == T_COMMITS && (status == 404 || status == 409 || status == 410 || status == 451))
    hub__act_repo_walked(h, t->arg);
}

static int act_headers(hub *h, hub__run *r, void *state, const hub__task *t, cJSON *hdrs) {
  (void)h;
  (void)r;
  return hub__gh_headers(&((act_state *)state)->g, t->url, hdrs);
}

static void act_bucket(const hub__task *t, char *buf, size_t n) { hub__gh_bucket(t->url, buf, n); }

static int act_limits(const hub__task *t, const cJSON *headers, int64_t now, hub__limits_read *out) {
  (void)t;
  return hub__gh_limits(headers, now, out);
}

static hub__refusal act_refused(void *state, const hub__task *t, int status, const cJSON *headers, const cJSON *body,
                                int64_t now, hub__refused *out) {
  (void)t;
  return hub__gh_refused(&((act_state *)state)->g, status, headers, body, now, out);
}

static void act_scope(void *state, const hub__task *t, char out[65]) {
  (void)t;
  snprintf(out, 65, "%s", ((const act_state *)state)->g.scope);
}

const hub__source hub__activity_source = {"activity", "GitHub activity", act_start, act_finish, act_parse,
                                          act_answered, act_headers, act_bucket, act_limits, act_refused,
                                          act_scope, act_failed};
