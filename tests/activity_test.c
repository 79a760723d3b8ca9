/*
 * activity_test.c — the activity heatmap's source and command over recorded exchanges
 * (tests/exchanges/activity), built natively (ASan + UBSan) and to wasm (node) from this one
 * file. The command's answer after a full sync is compared with tests/golden/activity.txt, and
 * the native and wasm dumps row for row (same-rows).
 *
 *   classify   paths → languages: Linguist's table, documentation, vendored, generated files
 *   first      a sync: which requests, only the user's own commits, exclusions, the answer
 *   resync     the same again: two 304s, nothing charged, no row written
 *   filters    repo and language filters, bad filters refused with the field at fault
 *   fault      a walk's page 2 answers 500 through every retry: the run is partial, the days of
 *              page 1 stay, the walk is taken up again next run and ends as a clean sync
 *   rollback   a malformed page: nothing of it stays, the rest does; the next run reads it
 *   budget     three file lists per run: languages fill in over three runs
 *   login      another login starts afresh
 *
 * usage: activity_test OUTDIR      (UPDATE_GOLDEN=1 rewrites the golden file)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "sources/activity.h"

#define T0 1763900000000LL /* 2025-11-23, the simulated clock's start (as the other tests) */
#define HW_PAGE2 "/repositories/1296269/commits?author=octocat"

static const char *outdir = "build/out";

static replay *load(void) {
  const char *dirs[1] = {"tests/exchanges/activity"};
  char err[256];
  replay *r = replay_load(dirs, 1, "https://api.github.com", err, sizeof err);
  if (!r) {
    fprintf(stderr, "replay_load: %s\n", err);
    exit(1);
  }
  return r;
}

static void set(hub *h, const char *json) {
  cJSON *r = tu_call(h, "{\"cmd\":\"settings\",\"set\":%s}", json);
  CHECK(!cJSON_GetObjectItemCaseSensitive(r, "error"), "settings %s: %s", json,
        tu_str(r, "error.message") ? tu_str(r, "error.message") : "");
  cJSON_Delete(r);
}

/* A hub with the activity source on for octocat and the other sources quiet. */
static hub *setup(void) {
  hub *h = tu_open_memory();
  set(h, "{\"activity\":true,\"github_user\":\"octocat\",\"notifications\":false,\"search\":false}");
  return h;
}

static double skip_count(const cJSON *run, const char *reason) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(run, "skip_reasons"), reason);
  return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static cJSON *activity(hub *h, const char *extra) {
  return tu_call(h, "{\"cmd\":\"activity\",\"now\":%lld%s}", (long long)T0, extra ? extra : "");
}

/* The day entry of date in an answer, or NULL. */
static const cJSON *day_of(const cJSON *res, const char *date) {
  const cJSON *d;
  cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(res, "days")) {
    const char *s = tu_str(d, "date");
    if (s && strcmp(s, date) == 0) return d;
  }
  return NULL;
}

/* A JSON array of strings joined with ','. */
static void join(const cJSON *arr, char *buf, size_t n) {
  const cJSON *e;
  size_t len = 0;
  buf[0] = 0;
  cJSON_ArrayForEach(e, arr) {
    int w = snprintf(buf + len, n - len, "%s%s", len ? "," : "", cJSON_IsString(e) ? e->valuestring : "?");
    if (w < 0 || (size_t)w >= n - len) break;
    len += (size_t)w;
  }
}

/* "count|repos|languages" of a day ("-" when the day is absent). */
static const char *day_str(const cJSON *res, const char *date) {
  static char out[512];
  char repos[200], langs[200];
  const cJSON *d = day_of(res, date);
  if (!d) return "-";
  join(cJSON_GetObjectItemCaseSensitive(d, "repos"), repos, sizeof repos);
  join(cJSON_GetObjectItemCaseSensitive(d, "languages"), langs, sizeof langs);
  snprintf(out, sizeof out, "%g|%s|%s", tu_num(d, "count"), repos, langs);
  return out;
}

/* The answer as text, one line per day, index and summary entry (the golden file). */
static char *dump(const cJSON *res) {
  hub__buf b;
  const cJSON *e, *k;
  char line[1024], a[400], c[400];
  hub__buf_init(&b, 1u << 20);
  snprintf(line, sizeof line, "schema %s v%g login %s window %s..%s (%g days) total %g active_days %g max %g pending %g\n",
           tu_str(res, "schema"), tu_num(res, "version"), tu_str(res, "login"), tu_str(res, "window.from"),
           tu_str(res, "window.to"), tu_num(res, "window.days"), tu_num(res, "total"), tu_num(res, "active_days"),
           tu_num(res, "max"), tu_num(res, "pending"));
  hub__buf_str(&b, line);
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(res, "days")) {
    join(cJSON_GetObjectItemCaseSensitive(e, "repos"), a, sizeof a);
    join(cJSON_GetObjectItemCaseSensitive(e, "languages"), c, sizeof c);
    snprintf(line, sizeof line, "day %s | %g | %s | %s\n", tu_str(e, "date"), tu_num(e, "count"), a, c);
    hub__buf_str(&b, line);
  }
  cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(res, "repo_days")) {
    join(k, a, sizeof a);
    snprintf(line, sizeof line, "repo_days %s | %s\n", k->string, a);
    hub__buf_str(&b, line);
  }
  cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(res, "language_days")) {
    join(k, a, sizeof a);
    snprintf(line, sizeof line, "language_days %s | %s\n", k->string, a);
    hub__buf_str(&b, line);
  }
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(res, "repos")) {
    snprintf(line, sizeof line, "repo %s | %g commits | %g days\n", tu_str(e, "name"), tu_num(e, "count"), tu_num(e, "days"));
    hub__buf_str(&b, line);
  }
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(res, "languages")) {
    snprintf(line, sizeof line, "language %s %s | %g commits | %g days\n", tu_str(e, "name"), tu_str(e, "color"),
             tu_num(e, "count"), tu_num(e, "days"));
    hub__buf_str(&b, line);
  }
  if (b.failed) abort();
  return b.p ? b.p : hub__strdup("");
}

static char *dump_now(hub *h) {
  cJSON *res = activity(h, NULL);
  char *d = dump(res);
  cJSON_Delete(res);
  return d;
}

/* The answer now is the one a clean first sync gives (tests/golden/activity.txt). */
static void check_clean(hub *h, const char *what) {
  char *d = dump_now(h), *want = tu_read_file("tests/golden/activity.txt", NULL);
  CHECK(want && strcmp(d, want) == 0, "%s: the answer is a clean sync's (got:\n%s)", what, d);
  free(want);
  hub_free(d);
}

/* Counts writes to the activity tables (temp triggers). */
static void watch_writes(hub *h) {
  static const char *const t[] = {"activity_repos", "activity_commits", "activity_commit_langs", "activity_days",
                                  "activity_repo_days", "activity_language_days"};
  char sql[400];
  size_t i;
  sqlite3_exec(h->db, "CREATE TEMP TABLE IF NOT EXISTS at_writes(n INTEGER); DELETE FROM at_writes;"
                      " INSERT INTO at_writes VALUES(0);", NULL, NULL, NULL);
  for (i = 0; i < sizeof t / sizeof t[0]; i++) {
    static const char *const ev[] = {"INSERT", "UPDATE", "DELETE"};
    size_t j;
    for (j = 0; j < 3; j++) {
      snprintf(sql, sizeof sql,
               "CREATE TEMP TRIGGER IF NOT EXISTS at_%s_%s AFTER %s ON main.%s BEGIN UPDATE at_writes SET n=n+1; END;",
               t[i], ev[j], ev[j], t[i]);
      sqlite3_exec(h->db, sql, NULL, NULL, NULL);
    }
  }
}

/* ---- paths → languages --------------------------------------------------------------------- */

static void expect_class(const char *path, hub__act_class want, const char *lang) {
  int li = -2;
  hub__act_class got = hub__act_classify(path, &li);
  const char *name = hub__act_lang_name(li);
  CHECK(got == want && (lang ? name && strcmp(name, lang) == 0 : li == -1), "classify %s: got %d %s, want %d %s",
        path, (int)got, name ? name : "-", (int)want, lang ? lang : "-");
}

static void test_classify(void) {
  char longp[HUB_ACT_PATH_MAX + 10], color[8];
  expect_class("src/main.c", HUB_ACT_CODE, "C");
  expect_class("include/x.h", HUB_ACT_CODE, "C");                 /* activity_ext.def */
  expect_class("ios/View.m", HUB_ACT_CODE, "Objective-C");        /* activity_ext.def */
  expect_class("web/App.TSX", HUB_ACT_CODE, "TypeScript");        /* any case; TSX counts as TypeScript */
  expect_class("Makefile", HUB_ACT_CODE, "Makefile");             /* by its name */
  expect_class("a/b/CMakeLists.txt", HUB_ACT_CODE, "CMake");
  expect_class("cmake/config.cmake.in", HUB_ACT_CODE, "CMake");   /* the longest extension first */
  expect_class(".bashrc", HUB_ACT_CODE, "Shell");
  expect_class("lib/x.rb", HUB_ACT_CODE, "Ruby");
  expect_class("docs/conf.py", HUB_ACT_DOC, NULL);
  expect_class("Docs/intro.rst", HUB_ACT_DOC, NULL);
  expect_class("README", HUB_ACT_DOC, NULL);
  expect_class("pkg/readme.go", HUB_ACT_DOC, NULL);               /* a README stem anywhere */
  expect_class("notes/design.md", HUB_ACT_DOC, NULL);
  expect_class("src/docs/x.c", HUB_ACT_CODE, "C");                /* docs/ only at the top */
  expect_class("vendor/github.com/x/y.go", HUB_ACT_VENDORED, NULL);
  expect_class("web/node_modules/a/index.js", HUB_ACT_VENDORED, NULL);
  expect_class("static/app.min.js", HUB_ACT_VENDORED, NULL);
  expect_class("static/jquery-3.7.1.js", HUB_ACT_VENDORED, NULL);
  expect_class("types/index.d.ts", HUB_ACT_VENDORED, NULL);
  expect_class("Cargo.lock", HUB_ACT_GENERATED, NULL);
  expect_class("web/package-lock.json", HUB_ACT_GENERATED, NULL);
  expect_class("api/v1/api.pb.go", HUB_ACT_GENERATED, NULL);
  expect_class("config.yml", HUB_ACT_OTHER, NULL);                /* YAML is data */
  expect_class("data.json", HUB_ACT_OTHER, NULL);
  expect_class("schema.sql", HUB_ACT_OTHER, NULL);                /* too many dialects: activity_ext.def */
  expect_class("NOEXT", HUB_ACT_OTHER, NULL);
  expect_class("dir/", HUB_ACT_OTHER, NULL);
  expect_class("", HUB_ACT_OTHER, NULL);
  memset(longp, 'a', sizeof longp - 3);
  memcpy(longp + sizeof longp - 3, ".c", 3);
  expect_class(longp, HUB_ACT_OTHER, NULL);
  hub__act_lang_color(hub__act_lang_find("Ruby"), color);
  CHECK(hub__act_lang_find("Ruby") >= 0 && strcmp(color, "#701516") == 0, "Linguist's colour of Ruby (%s)", color);
  hub__act_lang_color(-1, color);
  CHECK(color[0] == 0 && !hub__act_lang_name(hub__act_lang_count()), "no colour or name out of range");
  CHECK(hub__act_lang_find("YAML") < 0 && hub__act_lang_find("Markdown") < 0,
        "data and prose languages are not in the table");
  CHECK(hub__act_lang_count() > 300, "the table has Linguist's programming and markup languages (%d)",
        hub__act_lang_count());
  CHECK(strcmp(hub__act_linguist_version(), "7.22.1") == 0, "the pinned Linguist version");
}

/* ---- a first sync, then the same again ------------------------------------------------------ */

static void check_first_answer(const cJSON *res) {
  char buf[300];
  const cJSON *rd = cJSON_GetObjectItemCaseSensitive(res, "repo_days");
  const cJSON *ld = cJSON_GetObjectItemCaseSensitive(res, "language_days");
  CHECK(strcmp(tu_str(res, "schema"), "activity") == 0 && tu_num(res, "version") == 1, "schema activity, version 1");
  CHECK(strcmp(tu_str(res, "window.from"), "2023-11-24") == 0 && strcmp(tu_str(res, "window.to"), "2025-11-23") == 0 &&
            tu_num(res, "window.days") == 731,
        "a window of two years (731 days) ending today: %s..%s", tu_str(res, "window.from"), tu_str(res, "window.to"));
  CHECK(tu_num(res, "total") == 8 && tu_num(res, "active_days") == 7 && tu_num(res, "max") == 2,
        "8 own commits on 7 days (%g, %g, max %g)", tu_num(res, "total"), tu_num(res, "active_days"), tu_num(res, "max"));
  CHECK(strcmp(day_str(res, "2025-11-20"), "1|octocat/Hello-World|C") == 0, "c1: C, README not counted (%s)",
        day_str(res, "2025-11-20"));
  CHECK(strcmp(day_str(res, "2025-11-18"), "1|octocat/Hello-World|Python") == 0,
        "c2: vendored, minified and lockfile excluded, only Python (%s)", day_str(res, "2025-11-18"));
  CHECK(strcmp(day_str(res, "2025-06-02"), "1|octocat/Hello-World|") == 0,
        "c3: a documentation-only commit counts as a commit with no language (%s)", day_str(res, "2025-06-02"));
  CHECK(strcmp(day_str(res, "2024-12-24"), "1|octocat/Hello-World|Go,Ruby") == 0,
        "c4: both pages of its file list (%s)", day_str(res, "2024-12-24"));
  CHECK(strcmp(day_str(res, "2024-03-10"), "2|octocat/linguist|Makefile,Ruby,TypeScript") == 0,
        "two commits on one day, YAML data and samples/ not counted (%s)", day_str(res, "2024-03-10"));
  CHECK(strcmp(day_str(res, "2025-11-10"), "1|octokit/octokit.rb|Ruby") == 0,
        "another owner's repository found by its PushEvent (%s)", day_str(res, "2025-11-10"));
  CHECK(strcmp(day_str(res, "2025-11-19"), "-") == 0, "the merge and the other account's commit count for nothing");
  CHECK(strcmp(day_str(res, "2023-10-01"), "-") == 0, "a commit authored before the window does not count");
  join(cJSON_GetObjectItemCaseSensitive(rd, "octocat/Hello-World"), buf, sizeof buf);
  CHECK(strcmp(buf, "2024-12-24,2025-06-02,2025-11-18,2025-11-20") == 0, "repo_days of Hello-World (%s)", buf);
  join(cJSON_GetObjectItemCaseSensitive(ld, "Ruby"), buf, sizeof buf);
  CHECK(strcmp(buf, "2024-03-10,2024-12-24,2025-11-10") == 0, "language_days of Ruby (%s)", buf);
  CHECK(!cJSON_GetObjectItemCaseSensitive(ld, "YAML") && !cJSON_GetObjectItemCaseSensitive(ld, "Markdown") &&
            !cJSON_GetObjectItemCaseSensitive(ld, "JavaScript") && !cJSON_GetObjectItemCaseSensitive(ld, "JSON"),
        "no day for YAML, Markdown, vendored JavaScript or a lockfile");
  CHECK(tu_num(res, "pending") == 0, "every file list read");
  CHECK(strcmp(tu_str(res, "repos.0.name") ? tu_str(res, "repos.0.name") : "", "octocat/Hello-World") == 0,
        "the busiest repository first");
}

static void test_first_and_resync(void) {
  hub *h = setup();
  replay *r = load();
  int64_t now = T0;
  long req, charged, nm, unmatched;
  cJSON *run, *res;
  run = tu_sync(h, r, &now, NULL, NULL, NULL);
  replay_stats(r, &req, &charged, &nm, &unmatched);
  CHECK(run && strcmp(tu_str(run, "status"), "ok") == 0, "first: run ok (%s)", run ? tu_str(run, "status") : "none");
  CHECK(unmatched == 0, "first: no request without a recording — page 2 of the repos not asked (%ld, %s)", unmatched,
        replay_last_unmatched(r) ? replay_last_unmatched(r) : "");
  CHECK(req == 16, "first: 2 lists + 5 walk pages + 9 file-list pages = 16 requests, got %ld", req);
  CHECK(skip_count(run, "activity: merge commit") == 1 && skip_count(run, "activity: another author's commit") == 2 &&
            skip_count(run, "activity: authored before the window") == 1,
        "first: skipped a merge, two commits of other accounts, one before the window");
  CHECK(tu_num(run, "sources.activity.commits_new") == 8 && tu_num(run, "sources.activity.files_vendored") == 3 &&
            tu_num(run, "sources.activity.files_generated") == 2 && tu_num(run, "sources.activity.files_doc") == 7,
        "first: 8 commits; 3 vendored, 2 generated, 7 documentation files (%g %g %g %g)",
        tu_num(run, "sources.activity.commits_new"), tu_num(run, "sources.activity.files_vendored"),
        tu_num(run, "sources.activity.files_generated"), tu_num(run, "sources.activity.files_doc"));
  res = activity(h, NULL);
  check_first_answer(res);
  tu_golden(outdir, "activity", dump(res));
  cJSON_Delete(res);
  cJSON_Delete(run);

  replay_reset_stats(r);
  watch_writes(h);
  run = tu_sync(h, r, &now, NULL, NULL, NULL);
  replay_stats(r, &req, &charged, &nm, &unmatched);
  CHECK(run && strcmp(tu_str(run, "status"), "ok") == 0, "resync: run ok");
  CHECK(req == 2 && nm == 2 && charged == 0, "resync: the two lists answer 304, nothing charged (%ld/%ld/%ld)", req, nm,
        charged);
  CHECK(tu_count(h, "SELECT n FROM at_writes") == 0, "resync: no activity row written (%ld)",
        tu_count(h, "SELECT n FROM at_writes"));
  cJSON_Delete(run);

  /* filters */
  res = activity(h, ",\"repo\":\"octocat/Hello-World\"");
  CHECK(tu_num(res, "total") == 4 && tu_num(res, "active_days") == 4 && strcmp(day_str(res, "2024-03-10"), "-") == 0,
        "filter repo: Hello-World's 4 commits only (%g)", tu_num(res, "total"));
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(res, "repos")) == 4 &&
            strcmp(tu_str(res, "filter.repo"), "octocat/Hello-World") == 0,
        "filter repo: the summaries and indexes stay whole, the filter is echoed");
  cJSON_Delete(res);
  res = activity(h, ",\"language\":\"Ruby\"");
  CHECK(tu_num(res, "total") == 3 && strcmp(day_str(res, "2024-03-10"), "1|octocat/linguist|Ruby,TypeScript") == 0,
        "filter language: the commits with a Ruby file, with their languages (%g, %s)", tu_num(res, "total"),
        day_str(res, "2024-03-10"));
  cJSON_Delete(res);
  res = activity(h, ",\"language\":\"Ruby\",\"repo\":\"octocat/Hello-World\"");
  CHECK(tu_num(res, "total") == 1 && strcmp(day_str(res, "2024-12-24"), "1|octocat/Hello-World|Go,Ruby") == 0,
        "filter repo and language (%g)", tu_num(res, "total"));
  cJSON_Delete(res);
  res = activity(h, ",\"repo\":\"../etc\"");
  CHECK(tu_str(res, "error.field") && strcmp(tu_str(res, "error.field"), "repo") == 0, "a bad repo is refused");
  cJSON_Delete(res);
  res = activity(h, ",\"language\":\"Klingon\"");
  CHECK(tu_str(res, "error.field") && strcmp(tu_str(res, "error.field"), "language") == 0,
        "a language not in Linguist's list is refused");
  cJSON_Delete(res);
  res = tu_call(h, "{\"cmd\":\"activity\"}");
  CHECK(tu_str(res, "error.field") && strcmp(tu_str(res, "error.field"), "now") == 0, "now is required");
  cJSON_Delete(res);
  replay_free(r);
  hub_close(h);
}

/* ---- faults ----------------------------------------------------------------------------------- */

/* Every answer to Hello-World's walk page 2 is a 500. */
static void fail_page2(void *ud, long n, const char *url, replay_response *resp, const char **neterr) {
  (void)ud;
  (void)n;
  (void)neterr;
  if (url && strstr(url, HW_PAGE2) && strstr(url, "page=2")) {
    resp->status = 500;
    free(resp->body);
    resp->body = strdup("{\"message\":\"Server Error\"}");
    resp->body_len = strlen(resp->body);
  }
}

/* Spoon-Knife's walk answers a page whose only commit has no "commit" member. */
static void bad_spoon(void *ud, long n, const char *url, replay_response *resp, const char **neterr) {
  (void)ud;
  (void)n;
  (void)neterr;
  if (url && strstr(url, "/repos/octocat/Spoon-Knife/commits?")) {
    free(resp->body);
    resp->body = strdup("[{\"sha\":\"8dc29fc58c0bd99068c2e5c752aa61521d4f11ce\"}]");
    resp->body_len = strlen(resp->body);
  }
}

static void test_fault_midway(void) {
  hub *h = setup();
  replay *r = load();
  int64_t now = T0;
  cJSON *run, *res;
  long req, charged, nm, unmatched;
  run = tu_sync(h, r, &now, fail_page2, NULL, NULL);
  CHECK(run && strcmp(tu_str(run, "status"), "partial") == 0, "fault: the run is partial (%s)",
        run ? tu_str(run, "status") : "none");
  CHECK(tu_num(run, "retries") == 3, "fault: page 2 was retried 3 times (%g)", tu_num(run, "retries"));
  res = activity(h, NULL);
  CHECK(strcmp(day_str(res, "2025-11-20"), "1|octocat/Hello-World|C") == 0 &&
            strcmp(day_str(res, "2025-11-18"), "1|octocat/Hello-World|Python") == 0,
        "fault: the days of page 1 stay");
  CHECK(strcmp(day_str(res, "2025-06-02"), "-") == 0 && strcmp(day_str(res, "2024-12-24"), "-") == 0,
        "fault: nothing of page 2");
  CHECK(strcmp(day_str(res, "2024-03-10"), "-") != 0 && strcmp(day_str(res, "2025-06-01"), "-") != 0,
        "fault: the other repositories' days are there");
  CHECK(tu_count(h, "SELECT count(*) FROM activity_repos WHERE repo='octocat/Hello-World' AND walked_at IS NULL") == 1,
        "fault: Hello-World's walk is still due");
  cJSON_Delete(res);
  cJSON_Delete(run);
  replay_reset_stats(r);
  run = tu_sync(h, r, &now, NULL, NULL, NULL);
  replay_stats(r, &req, &charged, &nm, &unmatched);
  CHECK(run && strcmp(tu_str(run, "status"), "ok") == 0, "fault, next run: ok");
  CHECK(nm == 3 && req == 7 && unmatched == 0,
        "fault, next run: lists and page 1 answer 304, page 2 and its 3 file-list pages are read (%ld requests, %ld 304)",
        req, nm);
  check_clean(h, "fault, next run");
  cJSON_Delete(run);
  replay_free(r);
  hub_close(h);
}

static void test_rollback(void) {
  hub *h = setup();
  replay *r = load();
  int64_t now = T0;
  cJSON *run, *res;
  run = tu_sync(h, r, &now, bad_spoon, NULL, NULL);
  CHECK(run && strcmp(tu_str(run, "status"), "partial") == 0, "rollback: the run is partial");
  CHECK(tu_count(h, "SELECT count(*) FROM activity_commits WHERE repo='octocat/Spoon-Knife'") == 0,
        "rollback: nothing of the bad page stays");
  res = activity(h, NULL);
  CHECK(tu_num(res, "total") == 7 && strcmp(day_str(res, "2025-06-01"), "-") == 0, "rollback: the other 7 commits stay (%g)",
        tu_num(res, "total"));
  cJSON_Delete(res);
  cJSON_Delete(run);
  run = tu_sync(h, r, &now, NULL, NULL, NULL);
  res = activity(h, NULL);
  CHECK(tu_num(res, "total") == 8 && strcmp(day_str(res, "2025-06-01"), "1|octocat/Spoon-Knife|CSS,HTML") == 0,
        "rollback: the next run reads the page (%s)", day_str(res, "2025-06-01"));
  cJSON_Delete(res);
  cJSON_Delete(run);
  replay_free(r);
  hub_close(h);
}

/* ---- the per-run budget of file lists -------------------------------------------------------- */

static void test_budget(void) {
  hub *h = setup();
  replay *r = load();
  int64_t now = T0;
  cJSON *run, *res;
  int i;
  double pending[3];
  set(h, "{\"activity_detail_budget\":3}");
  for (i = 0; i < 3; i++) {
    run = tu_sync(h, r, &now, NULL, NULL, NULL);
    res = activity(h, NULL);
    pending[i] = tu_num(res, "pending");
    CHECK(tu_num(res, "total") == 8, "budget: every commit counted from the first run on (run %d)", i + 1);
    cJSON_Delete(res);
    cJSON_Delete(run);
  }
  CHECK(pending[0] == 5 && pending[1] == 2 && pending[2] == 0, "budget: 3 file lists a run (pending %g, %g, %g)",
        pending[0], pending[1], pending[2]);
  check_clean(h, "budget, third run");
  replay_free(r);
  hub_close(h);
}

/* ---- another login, the setting off ------------------------------------------------------------ */

static void test_login_and_off(void) {
  hub *h = setup();
  replay *r = load();
  int64_t now = T0;
  long req, charged, nm, unmatched;
  cJSON *run, *res;
  run = tu_sync(h, r, &now, NULL, NULL, NULL);
  cJSON_Delete(run);
  set(h, "{\"activity\":false}");
  replay_reset_stats(r);
  run = tu_sync(h, r, &now, NULL, NULL, NULL);
  replay_stats(r, &req, &charged, &nm, &unmatched);
  CHECK(req == 0, "off: no request (%ld)", req);
  cJSON_Delete(run);
  set(h, "{\"activity\":true,\"activity_login\":\"hubot\"}");
  run = tu_sync(h, r, &now, NULL, NULL, NULL);
  res = activity(h, NULL);
  CHECK(strcmp(tu_str(res, "login") ? tu_str(res, "login") : "", "hubot") == 0 && tu_num(res, "total") == 0 &&
            tu_count(h, "SELECT count(*) FROM activity_repos") == 0,
        "another login: octocat's activity is forgotten");
  cJSON_Delete(res);
  cJSON_Delete(run);
  replay_free(r);
  hub_close(h);
}

int main(int argc, char **argv) {
  if (argc > 1) outdir = argv[1];
  test_classify();
  test_first_and_resync();
  test_fault_midway();
  test_rollback();
  test_budget();
  test_login_and_off();
  printf("activity tests: %d passed, %d failed\n", tu_passed, tu_failed);
  return tu_failed ? 1 : 0;
}
