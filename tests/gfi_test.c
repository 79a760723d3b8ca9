/*
 * gfi_test.c — golden tests of the good-first-issue source over recorded exchanges
 * (tests/exchanges/gfi, on top of tests/exchanges/demo), built natively (ASan + UBSan) and to
 * wasm (node) from this one file. Dumps go to OUTDIR and are compared with tests/golden/:
 *   gfi.txt              items after the first sync of demo + lists + per-repo searches + query
 *   gfi-after.txt        items after the upstream changed (an issue linked, one assigned)
 *   gfi-repos.txt        the repos table of that scenario
 *   gfi-awesome-repos.txt  the repos read from the real awesome-for-beginners data.json
 *
 * usage: gfi_test OUTDIR      (UPDATE_GOLDEN=1 rewrites the golden files)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"

#define T0 1763900000000LL /* 2025-11-23, the simulated clock's start (as fixture_test) */
#define AWESOME_REAL "https://raw.githubusercontent.com/MunGell/awesome-for-beginners/main/data.json"
#define AWESOME_SMALL "https://raw.githubusercontent.com/hub-tests/awesome-small/main/data.json"

static const char *outdir = "build/out";

static replay *load(int with_demo) {
  const char *dirs[2];
  char err[256];
  size_t n = 0;
  replay *r;
  if (with_demo) dirs[n++] = "tests/exchanges/demo";
  dirs[n++] = "tests/exchanges/gfi";
  r = replay_load(dirs, n, "https://api.github.com", err, sizeof err);
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

/* Text dump of the repos table, one line per repo by (owner, name). New string (hub_free). */
static char *dump_repos(hub *h) {
  sqlite3_stmt *st = NULL;
  hub__buf b;
  hub__buf_init(&b, 16u * 1024u * 1024u);
  if (sqlite3_prepare_v2(h->db,
                         "SELECT owner,name,label,technologies,languages,lists,source,"
                         "printf('%.6f',activity),hash FROM repos ORDER BY lower(owner),lower(name)",
                         -1, &st, NULL) != SQLITE_OK)
    return hub__strdup("");
  while (sqlite3_step(st) == SQLITE_ROW) {
    int i;
    for (i = 0; i < 9; i++) {
      const char *t = (const char *)sqlite3_column_text(st, i);
      if (i) hub__buf_str(&b, " | ");
      hub__buf_str(&b, t ? t : "");
    }
    hub__buf_str(&b, "\n");
  }
  sqlite3_finalize(st);
  if (!b.p) return hub__strdup("");
  {
    char *r = hub__strndup(b.p, b.len);
    hub__buf_free(&b);
    return r;
  }
}


static void watch_repo_writes(hub *h) {
  sqlite3_exec(h->db,
               "CREATE TEMP TABLE IF NOT EXISTS gt_writes(n INTEGER);"
               "DELETE FROM gt_writes; INSERT INTO gt_writes VALUES(0);"
               "CREATE TEMP TRIGGER IF NOT EXISTS gt_ri AFTER INSERT ON main.repos BEGIN UPDATE gt_writes SET n=n+1; END;"
               "CREATE TEMP TRIGGER IF NOT EXISTS gt_ru AFTER UPDATE ON main.repos BEGIN UPDATE gt_writes SET n=n+1; END;"
               "CREATE TEMP TRIGGER IF NOT EXISTS gt_gi AFTER INSERT ON main.gfi_issues BEGIN UPDATE gt_writes SET n=n+1; END;"
               "CREATE TEMP TRIGGER IF NOT EXISTS gt_gu AFTER UPDATE ON main.gfi_issues BEGIN UPDATE gt_writes SET n=n+1; END;"
               "CREATE TEMP TRIGGER IF NOT EXISTS gt_rd AFTER DELETE ON main.item_reasons BEGIN UPDATE gt_writes SET n=n+1; END;",
               NULL, NULL, NULL);
}

static long reasons_like(hub *h, const char *key, const char *reason) {
  char sql[600];
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM item_reasons r JOIN items i ON i.id=r.item_id WHERE i.key='%s' AND "
           "(CASE WHEN r.detail='' THEN r.code ELSE r.code||':'||r.detail END)='%s'",
           key, reason);
  return tu_count(h, sql);
}

static double skip_count(const cJSON *run, const char *reason) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(run, "skip_reasons"), reason);
  return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* ---- the real awesome-for-beginners list ------------------------------------------------ */

static void test_awesome_real(void) {
  hub *h = tu_open_memory();
  replay *r = load(0);
  int64_t now = T0;
  long req, charged, nm, unmatched;
  cJSON *run;
  set(h, "{\"gfi_awesome_url\":\"" AWESOME_REAL "\",\"gfi_repo_limit\":0}");
  run = tu_sync(h, r, &now, NULL, NULL, NULL);
  replay_stats(r, &req, &charged, &nm, &unmatched);
  CHECK(run && strcmp(tu_str(run, "status"), "ok") == 0, "awesome: run ok");
  CHECK(req == 1 && unmatched == 0, "awesome: one request (the list), got %ld (%ld unmatched)", req, unmatched);
  CHECK(tu_count(h, "SELECT count(*) FROM repos") == 222, "awesome: 222 GitHub repos of 229 entries, got %ld",
        tu_count(h, "SELECT count(*) FROM repos"));
  CHECK(skip_count(run, "not a GitHub repository (link elsewhere)") == 7,
        "awesome: 7 links elsewhere (gitlab, jira, drupal, phabricator) skipped, got %g",
        skip_count(run, "not a GitHub repository (link elsewhere)"));
  CHECK(tu_count(h, "SELECT count(*) FROM repos WHERE owner='mem0ai' AND name='mem0'") == 1,
        "awesome: a trailing slash is not part of the name");
  CHECK(tu_count(h, "SELECT count(*) FROM repos WHERE name='appsmith' AND technologies='[\"TypeScript\",\"JavaScript\"]'") == 1,
        "awesome: Typescript/Javascript spelled as most of the list spells them");
  CHECK(tu_count(h, "SELECT count(*) FROM repos WHERE technologies GLOB '*Javascript*' OR technologies GLOB '*Typescript*'") == 0,
        "awesome: no odd spelling left");
  CHECK(tu_count(h, "SELECT count(*) FROM repos WHERE name='mattermost' AND label='Good First Issue'") == 1,
        "awesome: a comma-separated label searches for its first label");
  CHECK(tu_count(h, "SELECT count(*) FROM repos WHERE name='cockroach' AND technologies='[]'") == 1,
        "awesome: no technologies is an empty list");
  CHECK(tu_count(h, "SELECT count(*) FROM repos WHERE lists<>'[\"awesome-for-beginners\"]' OR source<>'awesome-for-beginners'") == 0,
        "awesome: every repo records its list");
  CHECK(tu_count(h, "SELECT count(*) FROM items") == 0, "awesome: gfi_repo_limit 0 fetches no issues");
  tu_golden(outdir, "gfi-awesome-repos", dump_repos(h));
  cJSON_Delete(run);

  replay_reset_stats(r);
  watch_repo_writes(h);
  run = tu_sync(h, r, &now, NULL, NULL, NULL);
  replay_stats(r, &req, &charged, &nm, &unmatched);
  CHECK(req == 1 && nm == 1 && charged == 0, "awesome again: 1 request, 304, uncharged (%ld/%ld/%ld)", req, nm, charged);
  CHECK(tu_count(h, "SELECT n FROM gt_writes") == 0, "awesome again: no repo writes");
  cJSON_Delete(run);
  replay_free(r);
  hub_close(h);
}

/* ---- lists + per-repo searches + the user's query on top of the demo account --------------- */

static void push_up_for_grabs(hub *h) {
  /* what src/server/upforgrabs.c produces for two project files (and two odd entries) */
  cJSON *res = tu_call(h,
                       "{\"cmd\":\"gfi_repos\",\"source\":\"up-for-grabs\",\"now\":%lld,\"repos\":["
                       "{\"owner\":\"github-linguist\",\"name\":\"linguist\",\"label\":\"good first issue\",\"tags\":[\"ruby\",\"linguist\"]},"
                       "{\"owner\":\"octocat\",\"name\":\"Spoon-Knife\",\"label\":\"good first issue\",\"tags\":[\"html\"]},"
                       "{\"owner\":\"bad owner!\",\"name\":\"x\"},\"not an object\"],"
                       "\"skipped\":{\"not a GitHub repository (link elsewhere)\":2}}",
                       (long long)T0);
  CHECK(tu_num(res, "new") == 2 && tu_num(res, "skipped") == 4,
        "gfi_repos: 2 new, 4 skipped (2 odd entries + 2 from the reader), got %g / %g", tu_num(res, "new"),
        tu_num(res, "skipped"));
  CHECK(tu_num(res, "skip_reasons.not a GitHub repository (link elsewhere)") == 2,
        "gfi_repos: the reader's skip reasons are kept");
  cJSON_Delete(res);
  res = tu_call(h, "{\"cmd\":\"gfi_repos\",\"source\":\"up-for-grabs\",\"now\":%lld,\"repos\":["
                   "{\"owner\":\"github-linguist\",\"name\":\"linguist\",\"label\":\"good first issue\",\"tags\":[\"ruby\",\"linguist\"]}]}",
                (long long)T0);
  CHECK(tu_num(res, "unchanged") == 1 && tu_num(res, "new") == 0, "gfi_repos: the same repo again is unchanged");
  cJSON_Delete(res);
  res = tu_call(h, "{\"cmd\":\"gfi_repos\",\"source\":\"Up For Grabs\",\"now\":1,\"repos\":[]}");
  CHECK(cJSON_GetObjectItemCaseSensitive(res, "error") != NULL, "gfi_repos: a bad source name is refused");
  cJSON_Delete(res);
  res = tu_call(h, "{\"cmd\":\"gfi_repos\",\"source\":\"x\",\"now\":1,\"repos\":{}}");
  CHECK(tu_str(res, "error.code") && strcmp(tu_str(res, "error.code"), "bad_type") == 0,
        "gfi_repos: repos must be an array");
  cJSON_Delete(res);
}

static void test_lists(void) {
  hub *h = tu_open_memory();
  replay *r = load(1);
  int64_t now = T0;
  long req, charged, nm, unmatched;
  cJSON *run, *card, *repos;
  const char *linguist_reason = "gfi:github-linguist/linguist (Ruby, Shell, Dockerfile)";

  set(h, "{\"github_token\":\"demo-token\",\"gfi_awesome_url\":\"" AWESOME_SMALL "\","
         "\"gfi_query\":\"label:\\\"good first issue\\\" language:C is:open no:assignee\",\"gfi_repo_limit\":50}");
  push_up_for_grabs(h);
  run = tu_sync(h, r, &now, NULL, NULL, NULL);
  replay_stats(r, &req, &charged, &nm, &unmatched);
  CHECK(run && strcmp(tu_str(run, "status"), "ok") == 0, "lists: run ok (%s)",
        run && tu_str(run, "errors.0.message") ? tu_str(run, "errors.0.message") : "");
  CHECK(unmatched == 0, "lists: every request had a recording, %ld unmatched (%s)", unmatched, replay_last_unmatched(r));
  CHECK(tu_num(run, "sources.gfi.requests") == 15,
        "lists: gfi made 15 requests (list, 6 languages, 7 search pages, the query), got %g",
        tu_num(run, "sources.gfi.requests"));
  /* one row per thing, all its reasons */
  CHECK(reasons_like(h, "github.com/github-linguist/linguist#6198", "commented") == 1 &&
            reasons_like(h, "github.com/github-linguist/linguist#6198", linguist_reason) == 1 &&
            reasons_like(h, "github.com/github-linguist/linguist#6198", "gfi_search") == 1,
        "lists: linguist#6198 is one row: notification + repo list + query");
  CHECK(tu_count(h, "SELECT count(*) FROM items WHERE repo='github-linguist/linguist' AND number=6198") == 1,
        "lists: linguist#6198 stored once");
  CHECK(reasons_like(h, "github.com/octocat/Spoon-Knife#25", "authored") == 1 &&
            reasons_like(h, "github.com/octocat/Spoon-Knife#25", "gfi:octocat/Spoon-Knife (HTML, CSS)") == 1,
        "lists: Spoon-Knife#25 authored + good first issue");
  CHECK(tu_count(h, "SELECT count(*) FROM (SELECT repo,number FROM items GROUP BY repo,number HAVING count(*)>1)") == 0,
        "lists: no duplicate (repo, number)");
  /* hidden: assigned, pull requests, closed */
  CHECK(tu_count(h, "SELECT count(*) FROM items WHERE key IN ('github.com/github-linguist/linguist#6226',"
                    "'github.com/ppy/osu#30580','github.com/mem0ai/mem0#3101')") == 0,
        "lists: the assigned issue, the pull request and the closed issue are not stored");
  CHECK(skip_count(run, "assigned") == 1 && skip_count(run, "a pull request, not an issue") == 1 &&
            skip_count(run, "closed") == 1,
        "lists: skips recorded (assigned %g, pull %g, closed %g)", skip_count(run, "assigned"),
        skip_count(run, "a pull request, not an issue"), skip_count(run, "closed"));
  CHECK(skip_count(run, "not a GitHub repository (link elsewhere)") == 2, "lists: gitlab and phabricator skipped");
  CHECK(tu_count(h, "SELECT count(*) FROM items WHERE key='github.com/ppy/osu#30577'") == 1, "lists: page 2 of osu read");
  CHECK(reasons_like(h, "github.com/libgit2/libgit2#6950", "gfi_search") == 1, "lists: the query's own hit");
  {
    /* a good-first card explains its score with the repo's activity as one more factor */
    cJSON *c = tu_call(h, "{\"cmd\":\"card\",\"now\":%lld,\"key\":\"github.com/github-linguist/linguist#6224\"}",
                       (long long)1764000000000LL);
    double f = tu_num(c, "card.factors.recency") * tu_num(c, "card.factors.engagement") *
               tu_num(c, "card.factors.labels") * tu_num(c, "card.factors.contributor") *
               tu_num(c, "card.factors.activity");
    CHECK(tu_num(c, "card.factors.activity") > 1.0 && fabs(f - tu_num(c, "card.factors.score")) < 1e-12 &&
              fabs(f - tu_num(c, "card.score")) < 1e-9 * f,
          "lists: factors (with activity %g) multiply to the card's score", tu_num(c, "card.factors.activity"));
    cJSON_Delete(c);
  }
  {
    /* the page's filter by source: good-first cards, and one item in both filters */
    cJSON *g = tu_call(h, "{\"cmd\":\"cards\",\"now\":1764000000000,\"from\":\"gfi\"}");
    cJSON *gh = tu_call(h, "{\"cmd\":\"cards\",\"now\":1764000000000,\"from\":\"github\"}");
    cJSON *e;
    int all_gfi = 1, both = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(g, "cards")) {
      const cJSON *why;
      int has = 0;
      cJSON_ArrayForEach(why, cJSON_GetObjectItem(e, "reasons")) if (strncmp(tu_str(why, "code"), "gfi", 3) == 0) has = 1;
      if (!has) all_gfi = 0;
    }
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(gh, "cards"))
      if (strcmp(tu_str(e, "key"), "github.com/github-linguist/linguist#6198") == 0) both++;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(g, "cards"))
      if (strcmp(tu_str(e, "key"), "github.com/github-linguist/linguist#6198") == 0) both++;
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(g, "cards")) > 0 && all_gfi, "lists: the gfi filter shows good-first cards only");
    CHECK(both == 2, "lists: an issue from a notification and a list is in both filters");
    cJSON_Delete(g);
    cJSON_Delete(gh);
  }
  /* repos: one per (owner, name) across lists */
  CHECK(tu_count(h, "SELECT count(*) FROM repos") == 6, "lists: 6 repos, got %ld", tu_count(h, "SELECT count(*) FROM repos"));
  CHECK(tu_count(h, "SELECT count(*) FROM repos WHERE name='linguist' AND label='Good First Issue' AND "
                    "lists='[\"awesome-for-beginners\",\"up-for-grabs\"]' AND languages='[\"Ruby\",\"Shell\",\"Dockerfile\",\"C\"]'") == 1,
        "lists: linguist is one repo named by both lists, label from the list that changed it last");
  CHECK(tu_count(h, "SELECT count(*) FROM repos WHERE name='Spoon-Knife' AND label='good first issue'") == 1,
        "lists: a missing label means the default");
  CHECK(tu_count(h, "SELECT count(*) FROM items WHERE repo='github-linguist/linguist' AND activity>1") >= 2,
        "lists: the repo's activity is stored with its items");
  tu_golden(outdir, "gfi", tu_dump_items(h));
  tu_golden(outdir, "gfi-repos", dump_repos(h));
  tu_golden(outdir, "gfi-brief", tu_dump_brief(h, now)); /* all four sections, native = wasm */
  card = tu_call(h, "{\"cmd\":\"card\",\"now\":%lld,\"key\":\"github.com/github-linguist/linguist#6224\"}", (long long)now);
  CHECK(tu_str(card, "card.reasons.0.code") && strcmp(tu_str(card, "card.reasons.0.code"), "gfi") == 0 &&
            strcmp(tu_str(card, "card.reasons.0.detail"), linguist_reason + 4) == 0,
        "lists: the card says why it is shown");
  cJSON_Delete(card);
  repos = tu_call(h, "{\"cmd\":\"gfi_repos\"}");
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(repos, "repos")) == 6, "gfi_repos lists the repos");
  cJSON_Delete(repos);
  cJSON_Delete(run);

  /* unchanged upstream: everything conditional, all 304, nothing written, nothing charged */
  replay_reset_stats(r);
  tu_watch_writes(h);
  watch_repo_writes(h);
  run = tu_sync(h, r, &now, NULL, NULL, NULL);
  replay_stats(r, &req, &charged, &nm, &unmatched);
  CHECK(charged == 0 && req == nm && req > 0, "lists again: %ld requests, %ld not modified, %ld charged", req, nm, charged);
  CHECK(tu_item_writes(h) == 0, "lists again: no item writes (%ld)", tu_item_writes(h));
  CHECK(tu_count(h, "SELECT n FROM gt_writes") == 0, "lists again: no repo or list writes");
  CHECK(tu_num(run, "sources.gfi.charged") == 0, "lists again: run records 0 charged for gfi");
  cJSON_Delete(run);

  /* the upstream moved on: linguist#6224 got a linked pull request, Spoon-Knife#25 was assigned */
  run = tu_sync(h, r, &now, NULL, NULL, NULL);
  CHECK(run && strcmp(tu_str(run, "status"), "ok") == 0, "lists later: run ok");
  CHECK(tu_count(h, "SELECT count(*) FROM items WHERE key='github.com/github-linguist/linguist#6224'") == 0,
        "lists later: an issue only the list showed is gone once it has a linked pull request");
  CHECK(tu_count(h, "SELECT count(*) FROM items WHERE key='github.com/octocat/Spoon-Knife#25'") == 1 &&
            reasons_like(h, "github.com/octocat/Spoon-Knife#25", "authored") == 1 &&
            tu_count(h, "SELECT count(*) FROM item_reasons r JOIN items i ON i.id=r.item_id WHERE "
                        "i.key='github.com/octocat/Spoon-Knife#25' AND r.code LIKE 'gfi%'") == 0,
        "lists later: an assigned issue loses its good-first-issue reason and keeps its others");
  CHECK(skip_count(run, "no longer listed (assigned, linked to a pull request, or closed)") == 2,
        "lists later: 2 unlisted, got %g", skip_count(run, "no longer listed (assigned, linked to a pull request, or closed)"));
  tu_golden(outdir, "gfi-after", tu_dump_items(h));
  cJSON_Delete(run);
  replay_free(r);
  hub_close(h);
}

/* ---- bad input rolls the batch back ------------------------------------------------------ */

typedef struct {
  const char *url_part, *body;
} swap;

static void swap_body(void *ud, long n, const char *url, replay_response *resp, const char **neterr) {
  const swap *w = ud;
  (void)n;
  (void)neterr;
  if (!strstr(url, w->url_part)) return;
  free(resp->body);
  resp->status = 200;
  resp->body = malloc(strlen(w->body) + 1);
  if (!resp->body) abort();
  memcpy(resp->body, w->body, strlen(w->body) + 1);
  resp->body_len = strlen(w->body);
}

static void test_bad_input(void) {
  static const struct { const char *name, *url_part, *body, *msg; long items; } cases[] = {
      {"list not an object", "awesome-small", "[1,2,3]", "\"repositories\" array", 0},
      {"list entries odd", "awesome-small", "{\"repositories\":\"nope\"}", "\"repositories\" array", 0},
      {"languages mistyped", "linguist/languages", "{\"Ruby\":\"many\"}", "not a byte count", -1},
      {"search item mistyped", "github-linguist%2Flinguist", "{\"items\":[{\"html_url\":\"https://github.com/github-linguist/linguist/issues/1\",\"number\":\"1\",\"title\":\"x\",\"state\":\"open\"}]}",
       "\"number\" is not a count", -1},
      {"search not an object", "ppy%2Fosu", "[]", "\"items\" array", -1},
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    hub *h = tu_open_memory();
    replay *r = load(0);
    int64_t now = T0;
    swap w;
    cJSON *run;
    const cJSON *e;
    int found = 0;
    w.url_part = cases[i].url_part;
    w.body = cases[i].body;
    set(h, "{\"gfi_awesome_url\":\"" AWESOME_SMALL "\",\"gfi_repo_limit\":50}");
    run = tu_sync(h, r, &now, swap_body, &w, NULL);
    CHECK(run && strcmp(tu_str(run, "status"), "partial") == 0, "%s: run partial", cases[i].name);
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(run, "errors")) {
      const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
      if (cJSON_IsString(m) && strstr(m->valuestring, cases[i].msg) && strstr(m->valuestring, "nothing")) found = 1;
    }
    CHECK(found, "%s: an error says '%s' and that nothing was stored", cases[i].name, cases[i].msg);
    if (cases[i].items == 0)
      CHECK(tu_count(h, "SELECT count(*) FROM repos") == 0, "%s: no repo stored", cases[i].name);
    else
      CHECK(tu_count(h, "SELECT count(*) FROM repos") == 6, "%s: the list is stored; only that answer was dropped",
            cases[i].name);
    cJSON_Delete(run);
    replay_free(r);
    hub_close(h);
  }
}

int main(int argc, char **argv) {
  if (argc > 1) outdir = argv[1];
  test_awesome_real();
  test_lists();
  test_bad_input();
  printf("gfi tests: %d passed, %d failed\n", tu_passed, tu_failed);
  return tu_failed ? 1 : 0;
}
