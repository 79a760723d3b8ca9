/*
 * activity_store.c — the activity heatmap's tables and the `activity` command (sources layer).
 *
 * Owns tables (schema step 13): activity_repos (each repository the user pushed to, with the
 * pushed_at its commit walk last finished at and the newest commit then: the next walk's
 * cursor, so a walk that failed half way is done again from the same place), activity_commits (each of the user's own
 * commits: its day, and whether its file list was read), activity_commit_langs (the languages
 * a commit's files count as), and — rebuilt per day from those two, inside the batch that
 * changed the day — activity_days (commits, repositories and languages of a day) and the
 * reverse indexes activity_repo_days (repo → day) and activity_language_days (language → day).
 * Everything belongs to one login (kv "activity.login"); another login starts afresh.
 *
 * The command's answer, schema "activity" version 1 (the standalone-worker seed's shape is not
 * in this repository; this is hub's design of it):
 *   {"schema":"activity","version":1,"login":"octocat"|null,
 *    "window":{"from":"YYYY-MM-DD","to":"YYYY-MM-DD","days":731},
 *    "filter":{"repo":null|"o/r","language":null|"C"},
 *    "total":commits,"active_days":n,"max":commits of the busiest day,
 *    "days":[{"date","count","repos":[..],"languages":[..]}]   days with commits, ascending,
 *                                                               after the filter
 *    "repo_days":{"o/r":["YYYY-MM-DD",..]},                     the whole window, unfiltered
 *    "language_days":{"C":["YYYY-MM-DD",..]},                   the whole window, unfiltered
 *    "repos":[{"name","count","days"}], "languages":[{"name","color","count","days"}]
 *                                                               busiest first, unfiltered
 *    "pending":commits whose file lists are not read yet (their languages are missing),
 *    "linguist":"7.22.1"}
 * A filtered day counts the commits that match: in the repository, and/or with a file in the
 * language; its repos and languages are those of the matching commits.
 */
#include <stdio.h>
#include <string.h>
#include "db/db.h"
#include "base/ids.h"
#include "sources/activity.h"

#define KV_LOGIN "activity.login"
#define DAY_S 86400
#ifndef HUB_ACT_MAX_LISTED
#define HUB_ACT_MAX_LISTED 2000 /* repositories or languages in one answer's summaries */
#endif

static void day_of(int64_t at_s, char day[11]) {
  char iso[32];
  hub__fmt_iso8601(at_s, iso);
  memcpy(day, iso, 10);
  day[10] = 0;
}

void hub__act_window_from(int64_t now_s, char day[11]) {
  int64_t today = now_s - (now_s % DAY_S + DAY_S) % DAY_S;
  day_of(today - (int64_t)(HUB_ACT_WINDOW_DAYS - 1) * DAY_S, day);
}

static int forget_all(hub *h) {
  return hub__db_exec(h, "DELETE FROM activity_repos; DELETE FROM activity_commits; DELETE FROM activity_commit_langs;"
                         "DELETE FROM activity_days; DELETE FROM activity_repo_days; DELETE FROM activity_language_days;");
}

static int trim(hub *h, const char *from, int64_t from_s) {
  return hub__db_run(h, "DELETE FROM activity_repos WHERE pushed_at<?1 AND walked_at IS NOT NULL", "i", from_s) < 0 ||
                 hub__db_run(h,
                     "DELETE FROM activity_commit_langs WHERE (repo,sha) IN"
                     " (SELECT repo,sha FROM activity_commits WHERE day<?1)",
                     "t", from) < 0 ||
                 hub__db_run(h, "DELETE FROM activity_commits WHERE day<?1", "t", from) < 0 ||
                 hub__db_run(h, "DELETE FROM activity_days WHERE day<?1", "t", from) < 0 ||
                 hub__db_run(h, "DELETE FROM activity_repo_days WHERE day<?1", "t", from) < 0 ||
                 hub__db_run(h, "DELETE FROM activity_language_days WHERE day<?1", "t", from) < 0
             ? -1
             : 0;
}

int hub__act_begin(hub *h, const char *login, int64_t now_s) {
  char from[11], *stored = hub__kv_get(h, KV_LOGIN);
  int own = !hub__db_in_tx(h), rc = -1;
  hub__act_window_from(now_s, from);
  if (own && hub__db_begin(h)) goto done;
  if (stored && !hub__ieq(stored, login) && forget_all(h)) goto done;
  if ((!stored || strcmp(stored, login) != 0) && hub__kv_set(h, KV_LOGIN, login)) goto done;
  if (trim(h, from, now_s - (int64_t)HUB_ACT_WINDOW_DAYS * DAY_S)) goto done;
  rc = own ? hub__db_commit(h) : 0;
done:
  if (rc && own) hub__db_rollback(h);
  hub_free(stored);
  return rc;
}

int hub__act_repo_seen(hub *h, const char *repo, int64_t pushed_s, const char *via, int *walk) {
  *walk = 0;
  if (hub__db_run(h,
                  "INSERT INTO activity_repos(repo,pushed_at,via) VALUES(?1,?2,?3) ON CONFLICT(repo) DO UPDATE"
                  " SET pushed_at=max(pushed_at,excluded.pushed_at) WHERE excluded.pushed_at>pushed_at",
                  "tit", repo, pushed_s, via) < 0)
    return -1;
  *walk = hub__db_int(h, "SELECT walked_at IS NULL OR pushed_at>walked_at FROM activity_repos WHERE repo=?1", "t", 0,
                      repo) == 1;
  return 0;
}

char *hub__act_repo_since(hub *h, const char *repo, const char *from_iso) {
  int64_t done = hub__db_int(h, "SELECT coalesce(since,0) FROM activity_repos WHERE repo=?1", "t", 0, repo);
  int64_t from = 0;
  char iso[32];
  if (hub__parse_iso8601(from_iso, &from)) from = 0;
  /* a week of overlap: commits merged later from a branch carry older commit dates */
  if (done - 7 * DAY_S <= from) return hub__strdup(from_iso);
  hub__fmt_iso8601(done - 7 * DAY_S, iso);
  return hub__strdup(iso);
}

int hub__act_repo_walked(hub *h, const char *repo) {
  return hub__db_run(h,
                     "UPDATE activity_repos SET walked_at=pushed_at,"
                     " since=(SELECT max(at) FROM activity_commits WHERE repo=?1) WHERE repo=?1",
                     "t", repo) < 0
             ? -1
             : 0;
}

/* The first column of every row of a statement as a new JSON array of strings. */
static cJSON *strings(hub *h, sqlite3_stmt *st) {
  cJSON *arr = st ? cJSON_CreateArray() : NULL;
  int rc = SQLITE_ROW;
  while (arr && (rc = sqlite3_step(st)) == SQLITE_ROW)
    hub__push(arr, cJSON_CreateString((const char *)sqlite3_column_text(st, 0)));
  if (arr && rc != SQLITE_DONE) {
    hub__db_fail(h);
    cJSON_Delete(arr);
    arr = NULL;
  }
  hub__db_done(h, st);
  return arr;
}

cJSON *hub__act_repos_due(hub *h, int max) {
  return strings(h, hub__db_q(h,
                              "SELECT repo FROM activity_repos WHERE walked_at IS NULL OR pushed_at>walked_at"
                              " ORDER BY pushed_at DESC, repo LIMIT ?1",
                              "i", (int64_t)max));
}

int hub__act_commit_put(hub *h, const char *repo, const char *sha, int64_t at_s, int *fresh) {
  char day[11];
  int n;
  day_of(at_s, day);
  n = hub__db_run(h, "INSERT INTO activity_commits(repo,sha,day,at) VALUES(?1,?2,?3,?4) ON CONFLICT DO NOTHING",
                  "ttti", repo, sha, day, at_s);
  *fresh = n > 0;
  return n < 0 ? -1 : 0;
}

int hub__act_commit_langs(hub *h, const char *repo, const char *sha, const int *langs, int nlangs, int files) {
  char *day = hub__db_str(h, "SELECT day FROM activity_commits WHERE repo=?1 AND sha=?2", "tt", repo, sha);
  int i, rc = -1;
  if (!day) {
    hub__set_err(h, "commit %.40s of %.200s: not a commit of the user's listed here", sha, repo);
    return -1;
  }
  for (i = 0; i < nlangs; i++) {
    const char *name = hub__act_lang_name(langs[i]);
    if (name && hub__db_run(h, "INSERT OR IGNORE INTO activity_commit_langs(repo,sha,language) VALUES(?1,?2,?3)",
                            "ttt", repo, sha, name) < 0)
      goto done;
  }
  if (hub__db_run(h, "UPDATE activity_commits SET files=coalesce(files,0)+?3 WHERE repo=?1 AND sha=?2", "tti", repo,
                  sha, (int64_t)files) < 0)
    goto done;
  rc = hub__act_refresh_day(h, day);
done:
  hub_free(day);
  return rc;
}

cJSON *hub__act_pending(hub *h, int max) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT repo,sha FROM activity_commits WHERE files IS NULL ORDER BY at DESC LIMIT ?1",
                               "i", (int64_t)max);
  cJSON *arr = st ? cJSON_CreateArray() : NULL;
  int rc = SQLITE_ROW;
  while (arr && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    cJSON *pair = cJSON_CreateArray();
    hub__push(pair, cJSON_CreateString((const char *)sqlite3_column_text(st, 0)));
    hub__push(pair, cJSON_CreateString((const char *)sqlite3_column_text(st, 1)));
    hub__push(arr, pair);
  }
  if (arr && rc != SQLITE_DONE) {
    hub__db_fail(h);
    cJSON_Delete(arr);
    arr = NULL;
  }
  hub__db_done(h, st);
  return arr;
}

int64_t hub__act_pending_count(hub *h) {
  return hub__db_int(h, "SELECT count(*) FROM activity_commits WHERE files IS NULL", "", 0);
}

int hub__act_refresh_day(hub *h, const char *day) {
  return hub__db_run(h, "DELETE FROM activity_repo_days WHERE day=?1", "t", day) < 0 ||
                 hub__db_run(h,
                             "INSERT INTO activity_repo_days(repo,day,commits) SELECT repo,day,count(*)"
                             " FROM activity_commits WHERE day=?1 GROUP BY repo",
                             "t", day) < 0 ||
                 hub__db_run(h, "DELETE FROM activity_language_days WHERE day=?1", "t", day) < 0 ||
                 hub__db_run(h,
                             "INSERT INTO activity_language_days(language,day,commits) SELECT l.language,c.day,count(*)"
                             " FROM activity_commits c JOIN activity_commit_langs l ON l.repo=c.repo AND l.sha=c.sha"
                             " WHERE c.day=?1 GROUP BY l.language",
                             "t", day) < 0 ||
                 hub__db_run(h, "DELETE FROM activity_days WHERE day=?1", "t", day) < 0 ||
                 hub__db_run(h,
                             "INSERT INTO activity_days(day,commits,repos,languages) SELECT ?1,count(*),"
                             " count(DISTINCT repo),(SELECT count(*) FROM activity_language_days WHERE day=?1)"
                             " FROM activity_commits WHERE day=?1 HAVING count(*)>0",
                             "t", day) < 0
             ? -1
             : 0;
}

/* ---- the activity command ------------------------------------------------------------------ */

typedef struct {
  hub *h;
  const char *from, *repo, *lang; /* repo, lang: the filter, NULL when absent */
  cJSON *res, *days;
} answer;

/* The days (date, count) after the filter, ascending, with total, active_days and max. */
static int put_days(answer *a) {
  sqlite3_stmt *st =
      a->repo || a->lang
          ? hub__db_q(a->h,
                      "SELECT c.day,count(*) FROM activity_commits c WHERE c.day>=?1 AND (?2 IS NULL OR c.repo=?2)"
                      " AND (?3 IS NULL OR EXISTS(SELECT 1 FROM activity_commit_langs l WHERE l.repo=c.repo"
                      " AND l.sha=c.sha AND l.language=?3)) GROUP BY c.day ORDER BY c.day",
                      "ttt", a->from, a->repo, a->lang)
          : hub__db_q(a->h, "SELECT day,commits FROM activity_days WHERE day>=?1 ORDER BY day", "t", a->from);
  int64_t total = 0, max = 0, n = 0;
  int rc = SQLITE_DONE;
  if (!st) return -1;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    cJSON *d = cJSON_CreateObject();
    int64_t c = sqlite3_column_int64(st, 1);
    cJSON_AddStringToObject(d, "date", (const char *)sqlite3_column_text(st, 0));
    cJSON_AddNumberToObject(d, "count", (double)c);
    cJSON_AddArrayToObject(d, "repos");
    cJSON_AddArrayToObject(d, "languages");
    hub__push(a->days, d);
    total += c;
    n++;
    if (c > max) max = c;
  }
  hub__db_done(a->h, st);
  if (rc != SQLITE_DONE) return hub__db_fail(a->h);
  cJSON_AddNumberToObject(a->res, "total", (double)total);
  cJSON_AddNumberToObject(a->res, "active_days", (double)n);
  cJSON_AddNumberToObject(a->res, "max", (double)max);
  return 0;
}

/* Rows (day, name) ordered by day: each name goes into member of the day's entry (a merge
 * walk along the days array, which has every day the rows can name). */
static int put_day_names(answer *a, sqlite3_stmt *st, const char *member) {
  cJSON *d = a->days ? a->days->child : NULL;
  int rc = SQLITE_DONE;
  if (!st) return -1;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *day = (const char *)sqlite3_column_text(st, 0);
    while (d && strcmp(cJSON_GetObjectItemCaseSensitive(d, "date")->valuestring, day) < 0) d = d->next;
    if (d && strcmp(cJSON_GetObjectItemCaseSensitive(d, "date")->valuestring, day) == 0)
      hub__push(cJSON_GetObjectItemCaseSensitive(d, member), cJSON_CreateString((const char *)sqlite3_column_text(st, 1)));
  }
  hub__db_done(a->h, st);
  return rc == SQLITE_DONE ? 0 : hub__db_fail(a->h);
}

static int put_day_lists(answer *a) {
  int filtered = a->repo || a->lang;
  sqlite3_stmt *st =
      filtered ? hub__db_q(a->h,
                           "SELECT c.day,c.repo FROM activity_commits c WHERE c.day>=?1 AND (?2 IS NULL OR c.repo=?2)"
                           " AND (?3 IS NULL OR EXISTS(SELECT 1 FROM activity_commit_langs l WHERE l.repo=c.repo"
                           " AND l.sha=c.sha AND l.language=?3)) GROUP BY c.day,c.repo ORDER BY c.day,c.repo",
                           "ttt", a->from, a->repo, a->lang)
               : hub__db_q(a->h, "SELECT day,repo FROM activity_repo_days WHERE day>=?1 ORDER BY day,repo", "t", a->from);
  if (put_day_names(a, st, "repos")) return -1;
  st = filtered ? hub__db_q(a->h,
                            "SELECT c.day,l.language FROM activity_commits c JOIN activity_commit_langs l ON"
                            " l.repo=c.repo AND l.sha=c.sha WHERE c.day>=?1 AND (?2 IS NULL OR c.repo=?2)"
                            " AND (?3 IS NULL OR EXISTS(SELECT 1 FROM activity_commit_langs m WHERE m.repo=c.repo"
                            " AND m.sha=c.sha AND m.language=?3)) GROUP BY c.day,l.language ORDER BY c.day,l.language",
                            "ttt", a->from, a->repo, a->lang)
                : hub__db_q(a->h, "SELECT day,language FROM activity_language_days WHERE day>=?1 ORDER BY day,language",
                            "t", a->from);
  return put_day_names(a, st, "languages");
}

/* Rows (key, day) ordered by key → {"key":[days…]} under member. */
static int put_index(answer *a, sqlite3_stmt *st, const char *member) {
  cJSON *idx = cJSON_AddObjectToObject(a->res, member), *cur = NULL;
  const char *last = NULL;
  int rc = SQLITE_DONE;
  if (!st) return -1;
  while (idx && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *k = (const char *)sqlite3_column_text(st, 0);
    if (!cur || !last || strcmp(last, k) != 0) {
      cur = cJSON_AddArrayToObject(idx, k);
      if (!cur) break;
      last = cur->string;
    }
    hub__push(cur, cJSON_CreateString((const char *)sqlite3_column_text(st, 1)));
  }
  hub__db_done(a->h, st);
  return rc == SQLITE_DONE ? 0 : hub__db_fail(a->h);
}

/* Rows (name, commits, days) → [{"name","count","days"[,"color"]}] under member. */
static int put_summary(answer *a, sqlite3_stmt *st, const char *member, int colors) {
  cJSON *arr = cJSON_AddArrayToObject(a->res, member);
  int rc = SQLITE_DONE;
  if (!st) return -1;
  while (arr && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    cJSON *e = cJSON_CreateObject();
    const char *name = (const char *)sqlite3_column_text(st, 0);
    cJSON_AddStringToObject(e, "name", name);
    if (colors) {
      char color[8];
      hub__act_lang_color(hub__act_lang_find(name), color);
      cJSON_AddStringToObject(e, "color", color);
    }
    cJSON_AddNumberToObject(e, "count", (double)sqlite3_column_int64(st, 1));
    cJSON_AddNumberToObject(e, "days", (double)sqlite3_column_int64(st, 2));
    hub__push(arr, e);
  }
  hub__db_done(a->h, st);
  return rc == SQLITE_DONE ? 0 : hub__db_fail(a->h);
}

static int put_indexes(answer *a) {
  hub *h = a->h;
  if (put_index(a, hub__db_q(h, "SELECT repo,day FROM activity_repo_days WHERE day>=?1 ORDER BY repo,day", "t", a->from),
                "repo_days") ||
      put_index(a,
                hub__db_q(h, "SELECT language,day FROM activity_language_days WHERE day>=?1 ORDER BY language,day", "t",
                          a->from),
                "language_days") ||
      put_summary(a,
                  hub__db_q(h,
                            "SELECT repo,sum(commits),count(*) FROM activity_repo_days WHERE day>=?1 GROUP BY repo"
                            " ORDER BY 2 DESC,1 LIMIT ?2",
                            "ti", a->from, (int64_t)HUB_ACT_MAX_LISTED),
                  "repos", 0) ||
      put_summary(a,
                  hub__db_q(h,
                            "SELECT language,sum(commits),count(*) FROM activity_language_days WHERE day>=?1"
                            " GROUP BY language ORDER BY 2 DESC,1 LIMIT ?2",
                            "ti", a->from, (int64_t)HUB_ACT_MAX_LISTED),
                  "languages", 1))
    return -1;
  return 0;
}

/* The request's filter: repo "owner/name", language a name of Linguist's list. NULL when the
 * filter is fine, else the error answer. */
static cJSON *read_filter(const cJSON *req, const char **repo, const char **lang) {
  const cJSON *r = cJSON_GetObjectItemCaseSensitive(req, "repo"), *l = cJSON_GetObjectItemCaseSensitive(req, "language");
  *repo = cJSON_IsString(r) && *r->valuestring ? r->valuestring : NULL;
  *lang = cJSON_IsString(l) && *l->valuestring ? l->valuestring : NULL;
  if ((r && !cJSON_IsNull(r) && !cJSON_IsString(r)) || (*repo && !hub__gh_repo_ok(*repo)))
    return hub__error_field(HUB_E_BAD_REQUEST, "repo", "\"repo\" is a repository as owner/name");
  if ((l && !cJSON_IsNull(l) && !cJSON_IsString(l)) || (*lang && hub__act_lang_find(*lang) < 0))
    return hub__error_field(HUB_E_BAD_REQUEST, "language", "\"language\" is a language of GitHub Linguist's list");
  return NULL;
}

cJSON *hub__activity_cmd(hub *h, const cJSON *req) {
  answer a;
  int64_t now = 0;
  char from[11], to[11], *login = NULL;
  cJSON *w, *f, *err;
  memset(&a, 0, sizeof a);
  if (hub__json_int(req, "now", 0, INT64_MAX / 4, &now) != 1)
    return hub__error_field(HUB_E_BAD_REQUEST, "now", "activity needs \"now\" (ms)");
  if ((err = read_filter(req, &a.repo, &a.lang)) != NULL) return err;
  hub__act_window_from(now / 1000, from);
  day_of(now / 1000, to);
  a.h = h;
  a.from = from;
  a.res = cJSON_CreateObject();
  login = hub__kv_get(h, KV_LOGIN);
  cJSON_AddStringToObject(a.res, "schema", "activity");
  cJSON_AddNumberToObject(a.res, "version", 1);
  hub__put(a.res, "login", login ? cJSON_CreateString(login) : cJSON_CreateNull());
  w = cJSON_AddObjectToObject(a.res, "window");
  cJSON_AddStringToObject(w, "from", from);
  cJSON_AddStringToObject(w, "to", to);
  cJSON_AddNumberToObject(w, "days", HUB_ACT_WINDOW_DAYS);
  f = cJSON_AddObjectToObject(a.res, "filter");
  hub__put(f, "repo", a.repo ? cJSON_CreateString(a.repo) : cJSON_CreateNull());
  hub__put(f, "language", a.lang ? cJSON_CreateString(a.lang) : cJSON_CreateNull());
  a.days = cJSON_AddArrayToObject(a.res, "days");
  hub_free(login);
  if (!a.days || put_days(&a) || put_day_lists(&a) || put_indexes(&a)) {
    cJSON_Delete(a.res);
    return a.days ? hub__error_json(HUB_E_DB, h->errmsg) : hub__error_json(HUB_E_NOMEM, NULL);
  }
  cJSON_AddNumberToObject(a.res, "pending", (double)hub__act_pending_count(h));
  cJSON_AddStringToObject(a.res, "linguist", hub__act_linguist_version());
  return a.res;
}
