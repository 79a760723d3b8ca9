/*
 * fixture_test.c — golden tests over recorded GitHub traffic, built natively (under ASan +
 * UBSan) and to wasm (run by node) from this one file. Each scenario syncs from the
 * recorded exchanges in tests/exchanges/, dumps the stored items as text into OUTDIR, and
 * compares them with tests/golden/<scenario>.txt; run_tests.sh then compares the native
 * and wasm dumps row for row. Faults are injected into the replayed answers.
 *
 * usage: fixture_test OUTDIR      (UPDATE_GOLDEN=1 rewrites the golden files)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"

#define PAGINATE_REPO "octokit-fixture-org/tmp-scenario-paginate-issues-20220719043836917-izyoe"
#define T0 1763900000000LL /* 2025-11-23, the simulated clock's start */

static const char *outdir = "build/out";

static replay *load(const char *scenario) {
  char dir[256], err[256];
  const char *dirs[1];
  replay *r;
  snprintf(dir, sizeof dir, "tests/exchanges/%s", scenario);
  dirs[0] = dir;
  r = replay_load(dirs, 1, "https://api.github.com", err, sizeof err);
  if (!r) {
    fprintf(stderr, "replay_load %s: %s\n", dir, err);
    exit(1);
  }
  return r;
}

static void set(hub *h, const char *json) {
  cJSON *r = tu_call(h, "{\"cmd\":\"settings\",\"set\":%s}", json);
  CHECK(!cJSON_GetObjectItemCaseSensitive(r, "error"), "settings %s: %s", json,
        tu_str(r, "error.message"));
  cJSON_Delete(r);
}

static void paginate_settings(hub *h) {
  set(h, "{\"github_token\":\"test-token\",\"github_user\":\"octokit-fixture-user-a\","
         "\"notifications\":false,\"search\":false,\"page_size\":3,\"repos\":[\"" PAGINATE_REPO "\"]}");
}


/* ---- fault injection ------------------------------------------------------------------- */

typedef struct {
  const char *url_part; /* fault requests whose URL contains this */
  int skip;             /* let this many matching requests through first */
  int count;            /* then fault this many */
  int status;           /* 0: network error */
  const char *retry_after, *remaining, *reset;
  const char *body;     /* replacement body, or NULL to keep */
  int truncate;         /* cut the body in half */
  int seen;
} fault;

static int strcasecmp_portable(const char *a, const char *b) {
  for (; *a && *b; a++, b++) {
    int x = (*a >= 'A' && *a <= 'Z') ? *a + 32 : *a, y = (*b >= 'A' && *b <= 'Z') ? *b + 32 : *b;
    if (x != y) return x - y;
  }
  return *a - *b;
}

static void set_header(replay_response *resp, const char *name, const char *value) {
  size_t i;
  replay_header *nh;
  for (i = 0; i < resp->nheaders; i++) {
    if (strcasecmp_portable(resp->headers[i].name, name) == 0) {
      char *old;
      memcpy(&old, &resp->headers[i].value, sizeof old); /* owned by resp (replay.h) */
      free(old);
      resp->headers[i].value = strdup(value);
      return;
    }
  }
  nh = realloc(resp->headers, (resp->nheaders + 1) * sizeof *nh);
  if (!nh) abort();
  resp->headers = nh;
  nh[resp->nheaders].name = strdup(name);
  nh[resp->nheaders].value = strdup(value);
  resp->nheaders++;
}

static void inject(void *ud, long n, const char *url, replay_response *resp, const char **neterr) {
  fault *f = ud;
  (void)n;
  for (; f && f->url_part; f++) {
    if (!strstr(url, f->url_part)) continue;
    if (f->seen++ < f->skip || f->seen > f->skip + f->count) continue;
    if (f->status == 0) {
      *neterr = "connection reset by peer";
      return;
    }
    resp->status = f->status;
    if (f->retry_after) set_header(resp, "Retry-After", f->retry_after);
    if (f->remaining) set_header(resp, "X-RateLimit-Remaining", f->remaining);
    if (f->reset) set_header(resp, "X-RateLimit-Reset", f->reset);
    if (f->body) {
      free(resp->body);
      resp->body = strdup(f->body);
      resp->body_len = strlen(f->body);
    }
    if (f->truncate && resp->body) {
      resp->body_len /= 2;
      resp->body[resp->body_len] = 0;
    }
    return;
  }
}

/* ---- scenarios ------------------------------------------------------------------------- */

static void test_paginate(void) {
  hub *h = tu_open_memory();
  replay *r = load("paginate-issues");
  int64_t now = T0;
  long req, charged, nm, unmatched;
  tu_stats st;
  cJSON *run, *cards;

  paginate_settings(h);
  run = tu_sync(h, r, &now, NULL, NULL, &st);
  CHECK(run && strcmp(tu_str(run, "status"), "ok") == 0, "paginate: run status %s",
        run ? tu_str(run, "status") : "none");
  CHECK(tu_num(run, "new") == 13, "paginate: 13 new items, got %g", tu_num(run, "new"));
  CHECK(st.requests == 5, "paginate: 5 requests (5 pages), got %ld", st.requests);
  CHECK(tu_count(h, "SELECT count(*) FROM items") == 13, "paginate: 13 rows");
  tu_golden(outdir, "paginate-issues", tu_dump_items(h));
  cJSON_Delete(run);

  /* second sync against the unchanged upstream: conditional requests only, all 304 */
  replay_reset_stats(r);
  tu_watch_writes(h);
  run = tu_sync(h, r, &now, NULL, NULL, &st);
  replay_stats(r, &req, &charged, &nm, &unmatched);
  CHECK(req == 5 && nm == 5, "paginate again: 5 requests all 304, got %ld / %ld", req, nm);
  CHECK(charged == 0, "paginate again: 0 points charged, got %ld", charged);
  CHECK(tu_num(run, "new") == 0 && tu_num(run, "updated") == 0, "paginate again: nothing new");
  CHECK(tu_num(run, "not_modified") == 5, "paginate again: run records 5 not-modified");
  CHECK(tu_item_writes(h) == 0, "paginate again: %ld item writes, want 0", tu_item_writes(h));
  cJSON_Delete(run);

  /* cards come out in score order, 13 of them */
  cards = tu_call(h, "{\"cmd\":\"cards\",\"now\":%lld}", (long long)now);
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(cards, "cards")) == 13, "paginate: 13 cards");
  {
    int i, n = cJSON_GetArraySize(cJSON_GetObjectItem(cards, "cards")), sorted = 1;
    for (i = 1; i < n; i++) {
      char a[32], b[32];
      snprintf(a, sizeof a, "cards.%d.score", i - 1);
      snprintf(b, sizeof b, "cards.%d.score", i);
      if (tu_num(cards, a) < tu_num(cards, b)) sorted = 0;
    }
    CHECK(sorted, "paginate: cards sorted by score");
  }
  cJSON_Delete(cards);
  replay_free(r);
  hub_close(h);
}

/* A 429 with Retry-After: 60 on page 3: the source waits 60 s (simulated) and resumes. */
static void test_retry_after(void) {
  hub *h = tu_open_memory();
  replay *r = load("paginate-issues");
  int64_t now = T0;
  tu_stats st;
  fault f[] = {{"&page=3", 0, 1, 429, "60", NULL, NULL,
                "{\"message\":\"You have exceeded a secondary rate limit.\"}", 0, 0},
               {NULL, 0, 0, 0, NULL, NULL, NULL, NULL, 0, 0}};
  cJSON *run;
  paginate_settings(h);
  run = tu_sync(h, r, &now, inject, f, &st);
  CHECK(st.waits == 1 && st.max_wait_ms >= 60000 && st.max_wait_ms < 61000,
        "429: one wait of 60 s, got %ld waits, longest %lld ms", st.waits, (long long)st.max_wait_ms);
  CHECK(tu_num(run, "new") == 13, "429: 13 items after resuming, got %g", tu_num(run, "new"));
  CHECK(tu_count(h, "SELECT count(*) FROM items") == 13, "429: no duplicates");
  CHECK(strcmp(tu_str(run, "status"), "ok") == 0, "429: run ok");
  cJSON_Delete(run);
  replay_free(r);
  hub_close(h);
}

/* 403 with remaining 0 waits until the reset time. */
static void test_primary_limit(void) {
  hub *h = tu_open_memory();
  replay *r = load("paginate-issues");
  int64_t now = T0;
  tu_stats st;
  char reset[32];
  fault f[] = {{"&page=2", 0, 1, 403, NULL, "0", reset,
                "{\"message\":\"API rate limit exceeded for user.\"}", 0, 0},
               {NULL, 0, 0, 0, NULL, NULL, NULL, NULL, 0, 0}};
  cJSON *run;
  snprintf(reset, sizeof reset, "%lld", (long long)(T0 / 1000 + 1800));
  paginate_settings(h);
  run = tu_sync(h, r, &now, inject, f, &st);
  CHECK(st.waits >= 1 && now >= T0 + 1800 * 1000, "403/0: waited until reset");
  CHECK(tu_num(run, "new") == 13, "403/0: all 13 items after the reset");
  cJSON_Delete(run);
  replay_free(r);
  hub_close(h);
}

static void test_5xx(void) {
  hub *h = tu_open_memory();
  replay *r = load("paginate-issues");
  int64_t now = T0;
  tu_stats st;
  fault two[] = {{"&page=2", 0, 2, 502, NULL, NULL, NULL, "<html>bad gateway</html>", 0, 0},
                 {"&page=4", 0, 1, 0, NULL, NULL, NULL, NULL, 0, 0},
                 {NULL, 0, 0, 0, NULL, NULL, NULL, NULL, 0, 0}};
  fault four[] = {{"&page=3", 0, 4, 500, NULL, NULL, NULL, "oops", 0, 0},
                  {NULL, 0, 0, 0, NULL, NULL, NULL, NULL, 0, 0}};
  cJSON *run;
  paginate_settings(h);
  run = tu_sync(h, r, &now, inject, two, &st);
  CHECK(tu_num(run, "new") == 13 && strcmp(tu_str(run, "status"), "ok") == 0,
        "5xx twice + network error: retried to 13 items");
  CHECK(tu_num(run, "retries") == 3, "5xx: 3 retries recorded, got %g", tu_num(run, "retries"));
  cJSON_Delete(run);
  hub_close(h);

  h = tu_open_memory();
  paginate_settings(h);
  run = tu_sync(h, r, &now, inject, four, &st);
  CHECK(strcmp(tu_str(run, "status"), "partial") == 0, "5xx x4: run partial");
  CHECK(tu_count(h, "SELECT count(*) FROM items") == 6, "5xx x4: pages 1-2 kept (6 items), got %ld",
        tu_count(h, "SELECT count(*) FROM items"));
  CHECK(tu_str(run, "errors.0.message") && strstr(tu_str(run, "errors.0.message"), "after 3 retries"),
        "5xx x4: error says after 3 retries");
  cJSON_Delete(run);
  replay_free(r);
  hub_close(h);
}

static void test_401(void) {
  hub *h = tu_open_memory();
  replay *r = load("paginate-issues");
  int64_t now = T0;
  fault f[] = {{"&page=2", 0, 1, 401, NULL, NULL, NULL, "{\"message\":\"Bad credentials\"}", 0, 0},
               {NULL, 0, 0, 0, NULL, NULL, NULL, NULL, 0, 0}};
  cJSON *run, *last;
  paginate_settings(h);
  run = tu_sync(h, r, &now, inject, f, NULL);
  CHECK(strcmp(tu_str(run, "status"), "error") == 0, "401: run status error");
  CHECK(tu_str(run, "errors.0.message") && strstr(tu_str(run, "errors.0.message"), "token rejected"),
        "401: says token rejected");
  CHECK(tu_count(h, "SELECT count(*) FROM items") == 3, "401: page 1 kept");
  last = tu_call(h, "{\"cmd\":\"last_run\"}");
  CHECK(strcmp(tu_str(last, "run.status"), "error") == 0, "401: last_run records the error");
  CHECK(tu_num(last, "run.sources.github.requests") == 2 && tu_num(last, "run.sources.github.new") == 3,
        "401: last_run keeps per-source statistics (requests %g, new %g)",
        tu_num(last, "run.sources.github.requests"), tu_num(last, "run.sources.github.new"));
  cJSON_Delete(last);
  cJSON_Delete(run);
  replay_free(r);
  hub_close(h);
}

/* Malformed, truncated and mistyped bodies: the batch rolls back, earlier rows stay. */
static void test_bad_bodies(void) {
  static const struct { const char *name, *page, *body; int truncate; const char *msg; } cases[] = {
      {"truncated", "&page=3", NULL, 1, "invalid JSON"},
      {"not json", "&page=3", "<html>500 Internal Server Error</html>", 0, "invalid JSON"},
      {"wrong type", "&page=3",
       "[{\"html_url\":\"https://github.com/o/r/issues/1\",\"number\":\"1\",\"title\":\"x\",\"state\":\"open\"}]",
       0, "\"number\" is not a count"},
      {"missing field", "&page=3", "[{\"html_url\":\"https://github.com/o/r/issues/1\",\"number\":1,\"state\":\"open\"}]",
       0, "\"title\" is missing"},
      {"not an array", "&page=3", "{\"message\":\"hello\"}", 0, "expected an array"},
      {"bad url", "&page=3", "[{\"html_url\":\"javascript:alert(1)\",\"number\":1,\"title\":\"x\",\"state\":\"open\"}]",
       0, "not an issue or pull URL"},
      {"half good page", "&page=3",
       "[{\"html_url\":\"https://github.com/o/r/issues/1\",\"number\":1,\"title\":\"ok\",\"state\":\"open\"},"
       "{\"html_url\":\"https://github.com/o/r/issues/2\",\"number\":2,\"title\":7,\"state\":\"open\"}]",
       0, "\"title\" is not a string"},
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    hub *h = tu_open_memory();
    replay *r = load("paginate-issues");
    int64_t now = T0;
    fault f[] = {{cases[i].page, 0, 1, 200, NULL, NULL, NULL, cases[i].body, cases[i].truncate, 0},
                 {NULL, 0, 0, 0, NULL, NULL, NULL, NULL, 0, 0}};
    cJSON *run;
    paginate_settings(h);
    run = tu_sync(h, r, &now, inject, f, NULL);
    CHECK(run && strcmp(tu_str(run, "status"), "partial") == 0, "%s: run partial", cases[i].name);
    CHECK(tu_count(h, "SELECT count(*) FROM items") == 6, "%s: pages 1-2 intact (6 rows), got %ld",
          cases[i].name, tu_count(h, "SELECT count(*) FROM items"));
    CHECK(tu_str(run, "errors.0.message") && strstr(tu_str(run, "errors.0.message"), cases[i].msg),
          "%s: error mentions '%s', got '%s'", cases[i].name, cases[i].msg,
          tu_str(run, "errors.0.message") ? tu_str(run, "errors.0.message") : "(none)");
    CHECK(tu_count(h, "SELECT count(*) FROM validators WHERE url LIKE '%&page=3%'") == 0,
          "%s: no validator kept for the failed page", cases[i].name);
    /* the pages before it were in the same group of answers (one transaction, engine.c
     * "Groups"): they stay, with their validators */
    CHECK(tu_count(h, "SELECT count(*) FROM validators WHERE url NOT LIKE '%&page=%' OR url LIKE '%&page=2%'") == 2,
          "%s: pages 1-2 keep their validators, got %ld", cases[i].name,
          tu_count(h, "SELECT count(*) FROM validators WHERE url NOT LIKE '%&page=%' OR url LIKE '%&page=2%'"));
    cJSON_Delete(run);
    /* the next sync (upstream fixed) completes the data */
    run = tu_sync(h, r, &now, NULL, NULL, NULL);
    CHECK(tu_count(h, "SELECT count(*) FROM items") == 13, "%s: a clean resync completes", cases[i].name);
    cJSON_Delete(run);
    replay_free(r);
    hub_close(h);
  }
}

/* A body over the cap is refused before parsing. */
static void test_oversized(void) {
  hub *h = tu_open_memory();
  replay *r = load("paginate-issues");
  int64_t now = T0;
  size_t n = (size_t)HUB_MAX_BODY + 16;
  char *big = malloc(n + 1);
  fault f[] = {{"&page=2", 0, 1, 200, NULL, NULL, NULL, NULL, 0, 0},
               {NULL, 0, 0, 0, NULL, NULL, NULL, NULL, 0, 0}};
  cJSON *run;
  memset(big, ' ', n);
  big[0] = '[';
  big[n - 1] = ']';
  big[n] = 0;
  f[0].body = big;
  paginate_settings(h);
  run = tu_sync(h, r, &now, inject, f, NULL);
  CHECK(tu_str(run, "errors.0.message") && strstr(tu_str(run, "errors.0.message"), "limit"),
        "oversized: error names the limit");
  CHECK(tu_count(h, "SELECT count(*) FROM items") == 3, "oversized: page 1 kept");
  cJSON_Delete(run);
  free(big);
  replay_free(r);
  hub_close(h);
}

/* The worst card position (1-based) of the items a review was requested on; 0 when none. */
static int review_positions(hub *h, int64_t now) {
  cJSON *cards = tu_call(h, "{\"cmd\":\"cards\",\"now\":%lld}", (long long)now), *c, *r;
  int pos = 0, worst = 0;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(cards, "cards")) {
    pos++;
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(c, "reasons")) {
      if (strcmp(tu_str(r, "code"), "review_requested") == 0) worst = pos;
    }
  }
  cJSON_Delete(cards);
  return worst;
}

static void test_demo(void) {
  hub *h = tu_open_memory();
  replay *r = load("demo");
  int64_t now = T0;
  long req, charged, nm, unmatched;
  cJSON *run, *card, *cards;
  set(h, "{\"github_token\":\"demo-token\"}");
  run = tu_sync(h, r, &now, NULL, NULL, NULL);
  replay_stats(r, &req, &charged, &nm, &unmatched);
  CHECK(run && strcmp(tu_str(run, "status"), "ok") == 0, "demo: run ok (%s)",
        run && tu_str(run, "errors.0.message") ? tu_str(run, "errors.0.message") : "");
  CHECK(unmatched == 0, "demo: every request had a recording, %ld unmatched", unmatched);
  {
    cJSON *s = tu_call(h, "{\"cmd\":\"settings\"}");
    CHECK(tu_str(s, "settings.github_user") && strcmp(tu_str(s, "settings.github_user"), "octocat") == 0,
          "demo: login learned from GET /user");
    CHECK(!cJSON_GetObjectItem(cJSON_GetObjectItem(s, "settings"), "github_token"),
          "demo: the token is never echoed");
    cJSON_Delete(s);
  }
  CHECK(tu_count(h, "SELECT count(*) FROM items i WHERE (SELECT count(*) FROM item_reasons r WHERE r.item_id=i.id)>=2") >= 1,
        "demo: an item reached by two routes is one row with both reasons");
  CHECK(tu_count(h, "SELECT count(*) FROM (SELECT repo,number FROM items GROUP BY repo,number HAVING count(*)>1)") == 0,
        "demo: no duplicate (repo, number)");
  CHECK(tu_count(h, "SELECT count(*) FROM items WHERE title LIKE '%<img src=x onerror=alert(1)>%'") == 1,
        "demo: a hostile title is stored verbatim (the page renders it as text)");
  tu_golden(outdir, "demo", tu_dump_items(h));
  tu_golden(outdir, "demo-brief", tu_dump_brief(h, now)); /* the rule-built briefing, native = wasm */
  cJSON_Delete(run);
  {
    /* why you were notified ranks: review requests come first under the default formula; the
     * seed formula (no reason factor) stays available as a preset and is pinned too */
    int worst_hub = review_positions(h, now), worst_seed;
    CHECK(worst_hub > 0 && worst_hub <= 10, "demo: every review request is in the top 10 (worst at %d)", worst_hub);
    set(h, "{\"score_preset\":\"seed\"}");
    worst_seed = review_positions(h, now);
    CHECK(worst_seed > worst_hub, "demo: the seed preset ranks them lower (worst at %d, hub %d)", worst_seed, worst_hub);
    tu_golden(outdir, "demo-seed", tu_dump_items(h));
    set(h, "{\"score_preset\":\"hub\"}");
  }

  cards = tu_call(h, "{\"cmd\":\"cards\",\"now\":%lld}", (long long)now);
  card = tu_call(h, "{\"cmd\":\"card\",\"now\":%lld,\"key\":\"%s\"}", (long long)now,
                 tu_str(cards, "cards.0.key") ? tu_str(cards, "cards.0.key") : "");
  CHECK(tu_num(card, "card.factors.score") > 0 &&
            tu_num(card, "card.factors.score") - tu_num(cards, "cards.0.score") < 1e-9 &&
            tu_num(cards, "cards.0.score") - tu_num(card, "card.factors.score") < 1e-9,
        "demo: the top card's factors multiply to its score");
  cJSON_Delete(card);
  cJSON_Delete(cards);

  /* second sync: notifications are not due (X-Poll-Interval), the rest is conditional */
  replay_reset_stats(r);
  tu_watch_writes(h);
  run = tu_sync(h, r, &now, NULL, NULL, NULL);
  replay_stats(r, &req, &charged, &nm, &unmatched);
  CHECK(charged == 0 && req == nm, "demo again: %ld requests, %ld not modified, %ld charged", req, nm, charged);
  CHECK(tu_item_writes(h) == 0, "demo again: no item writes (%ld)", tu_item_writes(h));
  cJSON_Delete(run);
  replay_free(r);
  hub_close(h);
}

/* One thing gone upstream (404 for one notification's subject) is skipped quietly for a day:
 * the run is ok, it is not asked again until the day is over, and the rest is stored. */
static void test_gone(void) {
  hub *h = tu_open_memory();
  replay *r = load("demo");
  int64_t now = T0;
  fault f[] = {{"/repos/octocat/Hello-World/issues/1347", 0, 1, 404, NULL, NULL, NULL, "{\"message\":\"Not Found\"}", 0, 0},
               {NULL, 0, 0, 0, NULL, NULL, NULL, NULL, 0, 0}};
  cJSON *run;
  set(h, "{\"github_token\":\"demo-token\"}");
  run = tu_sync(h, r, &now, inject, f, NULL);
  CHECK(run && strcmp(tu_str(run, "status"), "ok") == 0 && cJSON_GetArraySize(cJSON_GetObjectItem(run, "errors")) == 0,
        "gone: one 404 subject leaves the run ok with no error (%s)", run ? tu_str(run, "status") : "?");
  CHECK(tu_num(run, "skip_reasons.gone upstream (404)") == 1, "gone: counted as skipped with its reason");
  CHECK(tu_count(h, "SELECT count(*) FROM items WHERE key='github.com/octocat/Hello-World#1347'") == 1,
        "gone: the notification's item stays");
  cJSON_Delete(run);
  now += 3600 * 1000;
  run = tu_sync(h, r, &now, inject, f, NULL);
  CHECK(f[0].seen == 1 && tu_num(run, "skip_reasons.gone upstream (404/410); asked again tomorrow") >= 1,
        "gone: not asked again within the day (asked %d times)", f[0].seen);
  cJSON_Delete(run);
  now += 25LL * 3600 * 1000;
  f[0].count = 0;
  hub__db_exec(h, "DELETE FROM validators"); /* the notifications list answers in full again */
  run = tu_sync(h, r, &now, inject, f, NULL);
  CHECK(f[0].seen == 2, "gone: asked again the next day (asked %d times)", f[0].seen);
  CHECK(tu_count(h, "SELECT count(*) FROM gone") == 0, "gone: forgotten once it answers again");
  cJSON_Delete(run);
  replay_free(r);
  hub_close(h);
}

/* A run in which every request failed is "error", not "partial". */
static void test_all_failed(void) {
  hub *h = tu_open_memory();
  replay *r = load("paginate-issues");
  int64_t now = T0;
  fault f[] = {{"/repos/", 0, 100, 503, NULL, NULL, NULL, "{}", 0, 0}, {NULL, 0, 0, 0, NULL, NULL, NULL, NULL, 0, 0}};
  cJSON *run;
  paginate_settings(h);
  run = tu_sync(h, r, &now, inject, f, NULL);
  CHECK(run && strcmp(tu_str(run, "status"), "error") == 0, "every request failed: status error (%s)",
        run ? tu_str(run, "status") : "?");
  cJSON_Delete(run);
  replay_free(r);
  hub_close(h);
}

/* A wait longer than the run's max_wait_ms ends the run as rate-limited, decided by the core. */
static void test_max_wait(void) {
  hub *h = tu_open_memory();
  replay *r = load("paginate-issues");
  int64_t now = T0;
  char reset[32];
  cJSON *res;
  int i;
  snprintf(reset, sizeof reset, "%lld", (long long)(T0 / 1000 + 3600));
  paginate_settings(h);
  cJSON_Delete(tu_call(h, "{\"cmd\":\"sync_start\",\"now\":%lld,\"max_wait_ms\":600000}", (long long)now));
  res = tu_call(h, "{\"cmd\":\"sync_next\",\"now\":%lld}", (long long)now);
  cJSON_Delete(tu_call(h, "{\"cmd\":\"sync_feed\",\"id\":%d,\"now\":%lld,\"status\":403,\"headers\":{"
                          "\"x-ratelimit-remaining\":\"0\",\"x-ratelimit-reset\":\"%s\"},\"body\":\"{}\"}",
                       (int)tu_num(res, "fetch.0.id"), (long long)now, reset));
  cJSON_Delete(res);
  for (i = 0; i < 3; i++) {
    res = tu_call(h, "{\"cmd\":\"sync_next\",\"now\":%lld}", (long long)now);
    if (cJSON_IsTrue(cJSON_GetObjectItem(res, "done"))) break;
    cJSON_Delete(res);
    res = NULL;
  }
  CHECK(res && strcmp(tu_str(res, "run.code"), "rate_limited") == 0 &&
            (int64_t)tu_num(res, "run.retry_at") == (T0 / 1000 + 3600) * 1000,
        "a wait over max_wait_ms ends the run as rate_limited with its retry time");
  cJSON_Delete(res);
  replay_free(r);
  hub_close(h);
}

int main(int argc, char **argv) {
  if (argc > 1) outdir = argv[1];
  test_paginate();
  test_retry_after();
  test_primary_limit();
  test_5xx();
  test_401();
  test_bad_bodies();
  test_oversized();
  test_demo();
  test_gone();
  test_all_failed();
  test_max_wait();
  /* the same scenarios again with the bodies fed as bytes (hub_feed): the same rows (the golden
   * dumps, which run_tests.sh also compares between native and wasm), the same failures */
  tu_feed_bytes = 1;
  test_paginate();
  test_bad_bodies();
  test_oversized();
  test_demo();
  test_gone();
  tu_feed_bytes = 0;
  printf("fixture tests: %d passed, %d failed\n", tu_passed, tu_failed);
  return tu_failed ? 1 : 0;
}
