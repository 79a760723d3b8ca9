/*
 * unit_test.c — unit tests of the core's pieces: hashes, time parsing, Link headers, the
 * score, the store's change detection and migrations, the command API's handling of bad
 * input, and allocation failures. Includes the sources it tests where it needs their
 * static functions.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"

static hub *open_db(const char *path) {
  hub *h = NULL;
  char err[256];
  if (hub_open(path, NULL, &h, err, sizeof err)) {
    fprintf(stderr, "hub_open: %s\n", err);
    exit(1);
  }
  return h;
}

static void test_sha256(void) {
  char hex[65];
  hub__sha256_hex("", 0, hex);
  CHECK(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0, "sha256('')");
  hub__sha256_hex("abc", 3, hex);
  CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0, "sha256(abc)");
  hub__sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
  CHECK(strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0, "sha256(448 bits)");
}

static void test_time(void) {
  int64_t t;
  char buf[24];
  CHECK(hub__parse_iso8601("1970-01-01T00:00:00Z", &t) == 0 && t == 0, "epoch");
  CHECK(hub__parse_iso8601("2022-07-19T04:38:37Z", &t) == 0 && t == 1658205517, "2022-07-19, got %lld", (long long)t);
  CHECK(hub__parse_iso8601("2022-07-19T06:38:37+02:00", &t) == 0 && t == 1658205517, "offset");
  CHECK(hub__parse_iso8601("2024-02-29T12:00:00.123Z", &t) == 0 && t == 1709208000, "leap day + fraction");
  CHECK(hub__parse_iso8601("2022-13-01T00:00:00Z", &t) != 0, "month 13 rejected");
  CHECK(hub__parse_iso8601("yesterday", &t) != 0, "words rejected");
  CHECK(hub__parse_iso8601("2022-07-19T04:38:37", &t) != 0, "no zone rejected");
  hub__fmt_iso8601(1658205517, buf);
  CHECK(strcmp(buf, "2022-07-19T04:38:37Z") == 0, "format, got %s", buf);
}

static void test_link(void) {
  char *n;
  n = hub__link_next("<https://api.github.com/repositories/515435940/issues?per_page=3&page=2>; rel=\"next\", "
                     "<https://api.github.com/repositories/515435940/issues?per_page=3&page=5>; rel=\"last\"");
  CHECK(n && strcmp(n, "https://api.github.com/repositories/515435940/issues?per_page=3&page=2") == 0, "next first");
  hub_free(n);
  n = hub__link_next("<https://x/a?page=1>; rel=\"prev\", <https://x/a?page=3>; rel=\"next\"");
  CHECK(n && strcmp(n, "https://x/a?page=3") == 0, "next after prev");
  hub_free(n);
  n = hub__link_next("<https://x/a?page=1>; rel=\"prev\", <https://x/a?page=1>; rel=\"first\"");
  CHECK(n == NULL, "no next on the last page");
  n = hub__link_next("<https://x/a?page=9>; rel=\"nextish\"");
  CHECK(n == NULL, "rel=nextish is not next");
  hub_free(n);
  n = hub__link_next("<https://x/a?page=2>; rel=\"last next\"");
  CHECK(n && strcmp(n, "https://x/a?page=2") == 0, "several rel values");
  hub_free(n);
  CHECK(hub__link_next(NULL) == NULL && hub__link_next("garbage <") == NULL, "garbage");
  n = hub__url_encode("is:open author:octocat");
  CHECK(n && strcmp(n, "is%3Aopen%20author%3Aoctocat") == 0, "url encode, got %s", n);
  hub_free(n);
}

/* A score input with no reasons. */
static hub__score_in score_in(int64_t comments, int64_t reactions, const char *labels, int64_t updated) {
  hub__score_in in;
  memset(&in, 0, sizeof in);
  in.comments = comments;
  in.reactions = reactions;
  in.labels = labels;
  in.updated_s = updated;
  return in;
}

static void test_score(void) {
  hub__weights w;
  hub__factors f;
  hub__score_in in;
  double b1, b2, r1, r2;
  int64_t now = 1700000000;
  const char *review[] = {"commented", "review_requested"};
  memset(&w, 0, sizeof w);
  w.decay_days = 30;
  w.engagement_w = 1;
  w.user_weight = 2;
  w.bug_weight = 1.5;
  w.unread_w = 1.2;
  w.label_weights = cJSON_Parse("{\"bug\":1.5,\"blocking\":2}");
  w.reason_weights = cJSON_Parse("{\"review_requested\":2.5,\"mentioned\":1.8}");
  in = score_in(0, 0, NULL, now - 30 * 86400);
  hub__score_explain(&w, &in, now, &f);
  CHECK(fabs(f.recency - exp(-1)) < 1e-12, "30 days old → recency 1/e");
  CHECK(fabs(f.engagement - 1.0) < 1e-12, "no engagement → 1");
  in = score_in(3, 4, NULL, now);
  hub__score_explain(&w, &in, now, &f);
  CHECK(fabs(f.engagement - (1 + log(8))) < 1e-12, "engagement log scale");
  CHECK(fabs(hub__label_mult(&w, "[\"Bug\",\"docs\"]") - 1.5) < 1e-12, "bug ×1.5, case-insensitive");
  CHECK(fabs(hub__label_mult(&w, "[\"bug\",\"blocking\"]") - 3.0) < 1e-12, "multipliers multiply");
  /* why you were notified: the largest reason weight applies, unread multiplies */
  in = score_in(0, 0, NULL, now);
  in.reasons = review;
  in.nreasons = 2;
  hub__score_explain(&w, &in, now, &f);
  CHECK(fabs(f.reason - 2.5) < 1e-12 && f.reason_code && strcmp(f.reason_code, "review_requested") == 0,
        "a review request weighs 2.5 (got %g)", f.reason);
  in.unread = 1;
  hub__score_explain(&w, &in, now, &f);
  CHECK(fabs(f.reason - 3.0) < 1e-12 && fabs(f.score - 3.0) < 1e-12, "unread ×1.2 on top (got %g)", f.reason);
  w.seed = 1; /* the seed formula: no reason factor at all */
  hub__score_explain(&w, &in, now, &f);
  CHECK(fabs(f.reason - 1.0) < 1e-12 && fabs(f.score - 1.0) < 1e-12, "seed preset ignores reasons");
  w.seed = 0;
  /* ordering by stored rank equals ordering by score at any moment */
  in = score_in(10, 0, NULL, now - 20 * 86400);
  b1 = hub__score_base(&w, &in, NULL);
  in = score_in(0, 0, "[\"bug\"]", now - 2 * 86400);
  in.reasons = review;
  in.nreasons = 2;
  b2 = hub__score_base(&w, &in, NULL);
  r1 = hub__score_rank(&w, b1, now - 20 * 86400);
  r2 = hub__score_rank(&w, b2, now - 2 * 86400);
  {
    int64_t t;
    int same = 1;
    for (t = now; t < now + 400 * 86400; t += 37 * 86400) {
      double s1 = hub__score_at(&w, r1, t), s2 = hub__score_at(&w, r2, t);
      in = score_in(10, 0, NULL, now - 20 * 86400);
      hub__score_explain(&w, &in, t, &f);
      if (fabs(f.score - s1) > 1e-9 * (s1 + 1e-300) || (s1 > s2) != (r1 > r2)) same = 0;
    }
    CHECK(same, "rank order = score order, and score_at = explained score");
  }
  cJSON_Delete(w.label_weights);
  cJSON_Delete(w.reason_weights);
}

static void test_upsert(void) {
  hub *h = open_db(":memory:");
  hub__item it;
  hub__upsert_result res;
  memset(&it, 0, sizeof it);
  it.has = HUB_F_TITLE | HUB_F_STATE | HUB_F_COMMENTS;
  it.key = "github.com/o/r#1";
  it.source = "github";
  it.repo = "o/r";
  it.number = 1;
  it.title = "A";
  it.state = "open";
  it.comments = 2;
  it.reason = HUB_R_authored;
  CHECK(hub__items_put(h, &it, 100, &res, NULL) == 0 && res == HUB_UPSERT_NEW, "new");
  tu_watch_writes(h);
  CHECK(hub__items_put(h, &it, 200, &res, NULL) == 0 && res == HUB_UPSERT_UNCHANGED, "same → unchanged");
  CHECK(tu_item_writes(h) == 0, "unchanged writes nothing");
  it.has = HUB_F_TITLE; /* a source that knows only the title keeps the rest */
  CHECK(hub__items_put(h, &it, 300, &res, NULL) == 0 && res == HUB_UPSERT_UNCHANGED, "partial same → unchanged");
  it.reason = HUB_R_mentioned;
  CHECK(hub__items_put(h, &it, 300, &res, NULL) == 0 && res == HUB_UPSERT_UPDATED, "a new reason is a change");
  CHECK(tu_count(h, "SELECT count(*) FROM item_reasons") == 2, "two reasons");
  CHECK(tu_count(h, "SELECT comments FROM items") == 2, "comments kept by partial upsert");
  it.has = HUB_F_COMMENTS;
  it.comments = 5;
  CHECK(hub__items_put(h, &it, 400, &res, NULL) == 0 && res == HUB_UPSERT_UPDATED, "changed comments");
  CHECK(tu_count(h, "SELECT last_seen FROM items") == 400 && tu_count(h, "SELECT first_seen FROM items") == 100,
        "first/last seen");
  hub_close(h);
}

static void test_migrations(void) {
  const char *path = "build/out/unit-migrate.db";
  hub *h;
  remove(path);
  h = open_db(path);
  CHECK(tu_count(h, "PRAGMA user_version") == hub__db_schema_version(), "schema version");
  hub__db_exec(h, "INSERT INTO settings VALUES('github_user','me')");
  hub_close(h);
  h = open_db(path); /* reopening migrates nothing and keeps data */
  CHECK(tu_count(h, "SELECT count(*) FROM settings WHERE v='me'") == 1, "data survives reopen");
  hub__db_exec(h, "PRAGMA user_version=99");
  hub_close(h);
  {
    hub *h2 = NULL;
    char err[256] = "";
    CHECK(hub_open(path, NULL, &h2, err, sizeof err) != 0 && strstr(err, "newer"), "a newer schema is refused: %s", err);
  }
  remove(path);
}

static void expect_error(hub *h, const char *req, const char *code) {
  char *out = hub_call(h, req);
  cJSON *r = cJSON_Parse(out);
  CHECK(r && tu_str(r, "error.code") && strcmp(tu_str(r, "error.code"), code) == 0 &&
            tu_str(r, "error.message") && *tu_str(r, "error.message"),
        "request %.60s → %s, got %s", req, code, out);
  cJSON_Delete(r);
  hub_free(out);
}

static void test_api_errors(void) {
  hub *h = open_db(":memory:");
  char *big;
  expect_error(h, "{\"cmd\":", "bad_json");
  expect_error(h, "[1,2]", "bad_request");
  expect_error(h, "{\"cmd\":42}", "bad_request");
  expect_error(h, "{\"cmd\":\"launch_missiles\"}", "bad_request");
  expect_error(h, "{\"cmd\":\"cards\"}", "bad_request");
  expect_error(h, "{\"cmd\":\"cards\",\"now\":1,\"limit\":\"ten\"}", "bad_type");
  expect_error(h, "{\"cmd\":\"cards\",\"now\":1,\"from\":\"gitlab\"}", "bad_request");
  expect_error(h, "{\"cmd\":\"card\",\"now\":1,\"key\":\"nope\"}", "not_found");
  expect_error(h, "{\"cmd\":\"sync_next\",\"now\":1}", "state");
  expect_error(h, "{\"cmd\":\"sync_feed\",\"now\":1,\"id\":1,\"status\":200}", "state");
  expect_error(h, "{\"cmd\":\"settings\",\"set\":{\"page_size\":\"big\"}}", "bad_setting");
  expect_error(h, "{\"cmd\":\"settings\",\"set\":{\"page_size\":1e300}}", "bad_setting");
  expect_error(h, "{\"cmd\":\"settings\",\"set\":{\"nonsense\":1}}", "bad_request");
  expect_error(h, "{\"cmd\":\"settings\",\"set\":{\"github_api\":\"http://evil.example\"}}", "bad_setting");
  expect_error(h, "{\"cmd\":\"settings\",\"set\":{\"repos\":\"o/r\"}}", "bad_setting");
  expect_error(h, "{\"cmd\":\"settings\",\"set\":{\"repos\":[\"o/r/x\"]}}", "bad_setting");
  expect_error(h, "{\"cmd\":\"settings\",\"set\":{\"tangled_handle\":\"not a handle\"}}", "bad_setting");
  {
    /* a failed settings change leaves earlier settings intact */
    cJSON *r = tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"github_user\":\"me\"}}");
    cJSON_Delete(r);
    expect_error(h, "{\"cmd\":\"settings\",\"set\":{\"github_user\":\"other\",\"page_size\":\"x\"}}", "bad_setting");
    r = tu_call(h, "{\"cmd\":\"settings\"}");
    CHECK(strcmp(tu_str(r, "settings.github_user"), "me") == 0, "settings rolled back");
    cJSON_Delete(r);
  }
  /* deep nesting is refused by the parser's depth limit, not by the stack */
  big = malloc(200001);
  memset(big, '[', 200000);
  big[200000] = 0;
  expect_error(h, big, "bad_json");
  free(big);
  /* feed with a wrong id while a request is in flight */
  {
    cJSON *r = tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"github_token\":\"t\",\"notifications\":false,\"search\":false,\"repos\":[\"o/r\"]}}");
    cJSON_Delete(r);
    r = tu_call(h, "{\"cmd\":\"sync_start\",\"now\":1000}");
    cJSON_Delete(r);
    r = tu_call(h, "{\"cmd\":\"sync_next\",\"now\":1000}");
    CHECK(tu_str(r, "fetch.0.headers.Authorization") && strcmp(tu_str(r, "fetch.0.headers.Authorization"), "Bearer t") == 0,
          "the token goes to the API base");
    cJSON_Delete(r);
    expect_error(h, "{\"cmd\":\"sync_feed\",\"now\":1,\"id\":77,\"status\":200}", "state");
    expect_error(h, "{\"cmd\":\"sync_feed\",\"now\":1,\"id\":1,\"status\":200,\"headers\":[]}", "bad_type");
    r = tu_call(h, "{\"cmd\":\"sync_abort\"}");
    cJSON_Delete(r);
    /* a start while a run is open abandons that run and records it */
    cJSON_Delete(tu_call(h, "{\"cmd\":\"sync_start\",\"now\":2000}"));
    cJSON_Delete(tu_call(h, "{\"cmd\":\"sync_start\",\"now\":3000}"));
    CHECK(tu_count(h, "SELECT count(*) FROM runs WHERE status='running'") == 1 &&
              tu_count(h, "SELECT count(*) FROM runs WHERE status='aborted'") == 2,
          "an abandoned run is recorded as aborted, not left running");
    cJSON_Delete(tu_call(h, "{\"cmd\":\"sync_abort\"}"));
  }
  hub_close(h);
}

/* The token is never sent to another host, even when a Link header points there. */
static void test_token_scope(void) {
  hub *h = open_db(":memory:");
  cJSON *r;
  r = tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"github_token\":\"secret\",\"github_user\":\"me\",\"notifications\":false,\"search\":false,\"repos\":[\"o/r\"]}}");
  cJSON_Delete(r);
  cJSON_Delete(tu_call(h, "{\"cmd\":\"sync_start\",\"now\":1000}"));
  cJSON_Delete(tu_call(h, "{\"cmd\":\"sync_next\",\"now\":1000}"));
  cJSON_Delete(tu_call(h, "{\"cmd\":\"sync_feed\",\"now\":1001,\"id\":1,\"status\":200,"
                          "\"headers\":{\"link\":\"<https://evil.example/steal?page=2>; rel=\\\"next\\\"\"},\"body\":\"[]\"}"));
  r = tu_call(h, "{\"cmd\":\"sync_next\",\"now\":1002}");
  {
    char *run = cJSON_PrintUnformatted(cJSON_GetObjectItem(r, "run"));
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(r, "done")) && cJSON_GetArraySize(cJSON_GetObjectItem(r, "fetch")) == 0 &&
              run && strstr(run, "another place was not followed"),
          "a next-page link to another host is not followed (so the token never goes there)");
    cJSON_free(run);
  }
  cJSON_Delete(r);
  /* defect: a prefix check let http://localhost.attacker.example pass as "localhost" */
  expect_error(h, "{\"cmd\":\"settings\",\"set\":{\"github_api\":\"http://localhost.attacker.example\"}}", "bad_setting");
  expect_error(h, "{\"cmd\":\"settings\",\"set\":{\"github_api\":\"http://127.0.0.1.attacker.example/api\"}}", "bad_setting");
  expect_error(h, "{\"cmd\":\"settings\",\"set\":{\"github_api\":\"https://api.github.com@evil.example\"}}", "bad_setting");
  r = tu_call(h, "{\"cmd\":\"sync_start\",\"now\":5000,\"api\":\"http://localhost.attacker.example\"}");
  CHECK(tu_str(r, "error.message") && strstr(tu_str(r, "error.message"), "https://"),
        "a per-run API override to a look-alike host is refused before anything is planned");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"github_api\":\"http://127.0.0.1:9\"}}");
  CHECK(!cJSON_GetObjectItem(r, "error"), "http:// on 127.0.0.1 is allowed (tests, a local server)");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"sync_start\",\"now\":6000}");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"sync_next\",\"now\":6000}");
  CHECK(tu_str(r, "fetch.0.headers.Authorization") && strstr(tu_str(r, "fetch.0.url"), "http://127.0.0.1:9/"),
        "the token goes to the configured API host");
  cJSON_Delete(r);
  cJSON_Delete(tu_call(h, "{\"cmd\":\"sync_abort\"}"));
  CHECK(tu_count(h, "SELECT count(*) FROM validators WHERE token_hash LIKE '%secret%'") == 0 &&
            tu_count(h, "SELECT count(*) FROM validators WHERE length(token_hash)=64") >= 1,
        "validators keyed by a hash of the token, never the token");
  cJSON_Delete(tu_call(h, "{\"cmd\":\"sync_abort\"}"));
  hub_close(h);
}

/* Markdown becomes a whitelisted tree: raw HTML stays text, only http(s) links survive. */
static void test_markdown(void) {
  const char *md = "# Title\n\n<script>alert(1)</script> **bold** [bad](javascript:alert(1)) "
                   "[good](https://example.com/x) &amp; &#x41;\n\n<img src=x onerror=alert(1)>\n\n"
                   "| a | b |\n|---|---|\n| 1 | 2 |\n";
  cJSON *ast = hub__markdown_ast(md, strlen(md));
  char *txt = cJSON_PrintUnformatted(ast);
  CHECK(txt && strstr(txt, "{\"t\":\"h1\",\"c\":[\"Title\"]}"), "heading: %s", txt);
  CHECK(txt && strstr(txt, "<script>alert(1)</script>") && !strstr(txt, "\"t\":\"script\""), "raw HTML stays text");
  CHECK(txt && strstr(txt, "\"href\":\"https://example.com/x\"") && !strstr(txt, "javascript:alert(1)\"}"),
        "only http(s) hrefs: %s", txt);
  CHECK(txt && strstr(txt, "{\"t\":\"strong\",\"c\":[\"bold\"]}"), "strong");
  CHECK(txt && strstr(txt, "& A"), "entities decoded");
  CHECK(txt && strstr(txt, "\"t\":\"table\"") && strstr(txt, "\"t\":\"td\""), "tables");
  CHECK(txt && !strstr(txt, "\"t\":\"img\"") && strstr(txt, "<img src=x onerror=alert(1)>"), "inline HTML img is text");
  hub_free(txt);
  cJSON_Delete(ast);
  {
    /* pathological nesting is flattened, not a stack overflow */
    size_t n = 100000, i;
    char *deep = malloc(n + 1);
    for (i = 0; i < n; i++) deep[i] = '>';
    deep[n] = 0;
    ast = hub__markdown_ast(deep, n);
    CHECK(ast != NULL, "deep blockquotes survive");
    cJSON_Delete(ast);
    free(deep);
  }
}

/* Every allocation in a command may fail: the core reports it and nothing leaks (ASan). */
static void test_alloc_failures(void) {
  hub *h = open_db(":memory:");
  long n;
  int survived = 1;
  hub__item it;
  hub__upsert_result res;
  memset(&it, 0, sizeof it);
  it.has = HUB_F_TITLE | HUB_F_LABELS;
  it.key = "github.com/o/r#1";
  it.title = "t";
  it.labels = "[\"bug\"]";
  it.reason = HUB_R_authored;
  hub__items_put(h, &it, 1, &res, NULL);
  for (n = 1; n < 400; n++) {
    char *out;
    hub_alloc_fail_at(n);
    out = hub_call(h, "{\"cmd\":\"card\",\"now\":1000,\"key\":\"github.com/o/r#1\"}");
    hub_alloc_fail_at(0);
    if (out) {
      cJSON *r = cJSON_Parse(out);
      if (!r) survived = 0;
      cJSON_Delete(r);
    }
    hub_free(out);
  }
  CHECK(survived, "every failing allocation yields valid JSON or NULL");
  hub_close(h);
}

/* ---- driving a run by hand: each planned request answered by the first rule whose URL part
 * matches (status, extra headers as JSON text, body); anything else 404. ---------------------- */
typedef struct {
  const char *url_part;
  int status;
  const char *headers; /* JSON object text or NULL */
  const char *body;
} answer;

static cJSON *drive(hub *h, int64_t now, const answer *ans) {
  cJSON *res = tu_call(h, "{\"cmd\":\"sync_start\",\"now\":%lld,\"max_wait_ms\":0}", (long long)now);
  int guard = 0;
  cJSON_Delete(res);
  for (;;) {
    const cJSON *f;
    res = tu_call(h, "{\"cmd\":\"sync_next\",\"now\":%lld}", (long long)now);
    if (cJSON_IsTrue(cJSON_GetObjectItem(res, "done")) || tu_str(res, "error.code") || ++guard > 500) break;
    if (cJSON_IsNumber(cJSON_GetObjectItem(res, "wait_until"))) now = (int64_t)tu_num(res, "wait_until");
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(res, "fetch")) {
      const char *url = tu_str(f, "url");
      const answer *a = ans;
      cJSON *feed = cJSON_CreateObject();
      char *txt;
      while (a->url_part && !strstr(url, a->url_part)) a++;
      cJSON_AddStringToObject(feed, "cmd", "sync_feed");
      cJSON_AddNumberToObject(feed, "id", tu_num(f, "id"));
      cJSON_AddNumberToObject(feed, "now", (double)now);
      cJSON_AddNumberToObject(feed, "status", a->url_part ? a->status : 404);
      cJSON_AddItemToObject(feed, "headers", a->url_part && a->headers ? cJSON_Parse(a->headers) : cJSON_CreateObject());
      cJSON_AddStringToObject(feed, "body", a->url_part ? a->body : "{\"message\":\"Not Found\"}");
      txt = cJSON_PrintUnformatted(feed);
      cJSON_Delete(tu_call(h, "%s", txt));
      free(txt);
      cJSON_Delete(feed);
    }
    cJSON_Delete(res);
    now += 10;
  }
  {
    cJSON *run = cJSON_DetachItemFromObject(res, "run");
    cJSON_Delete(res);
    return run;
  }
}

#define ISSUE(n, extra)                                                                             \
  "{\"html_url\":\"https://github.com/o/r/issues/" #n "\",\"number\":" #n ",\"title\":\"T" #n "\",\"state\":\"open\"," \
  "\"user\":{\"login\":\"x\"},\"comments\":0,\"created_at\":\"2025-11-01T00:00:00Z\",\"updated_at\":\"2025-11-02T00:00:00Z\"" extra "}"

/* Defects found by trying hub with older real traffic and hostile shapes. */
static void test_defects(void) {
  hub *h = open_db(":memory:");
  cJSON *run, *r;
  /* older API versions and GitHub Enterprise send "pull_request": {"html_url": null} on issues */
  static const answer watched[] = {
      {"/repos/o/r/issues", 200, "{\"link\":\"<>; rel=\\\"next\\\"\"}",
       "[" ISSUE(1, ",\"pull_request\":{\"html_url\":null,\"url\":null}") "," ISSUE(2, ",\"pull_request\":{\"html_url\":\"https://github.com/o/r/pull/2\"}") ","
       "{\"html_url\":\"https://github.com/o/r/issues/3\",\"number\":3,\"title\":\"before\\u0000after \\ud800 and \xff\xfe bytes\",\"state\":\"open\"}]"},
      {NULL, 0, NULL, NULL}};
  cJSON_Delete(tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"github_token\":\"t\",\"notifications\":false,\"search\":false,\"repos\":[\"o/r\"]}}"));
  run = drive(h, 1764000000000LL, watched);
  CHECK(tu_count(h, "SELECT count(*) FROM items WHERE key='github.com/o/r#1' AND kind='issue'") == 1,
        "pull_request with a null html_url is an issue");
  CHECK(tu_count(h, "SELECT count(*) FROM items WHERE key='github.com/o/r#2' AND kind='pull'") == 1,
        "pull_request with a URL is a pull");
  CHECK(tu_count(h, "SELECT count(*) FROM items WHERE key='github.com/o/r#3' AND title LIKE 'before%after%bytes'") == 1,
        "\\u0000, a lone surrogate and invalid UTF-8 no longer cut or drop the title (U+FFFD instead)");
  {
    char *run_txt = cJSON_PrintUnformatted(run);
    CHECK(run_txt && strstr(run_txt, "next-page link to another place was not followed"),
          "an empty Link next (<>) is refused with a note, not planned");
    cJSON_free(run_txt);
  }
  cJSON_Delete(run);
  /* a Link next to file:, javascript: or page 0 is not followed */
  {
    static const char *const bad[] = {"<file:///etc/passwd>", "<javascript:alert(1)>",
                                      "<https://api.github.com/repos/o/r/issues?page=0>",
                                      "<https://api.github.com/repos/o/r/issues?page=99999999999>"};
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
      char hdr[300];
      answer a[2];
      cJSON *rr;
      char *txt;
      snprintf(hdr, sizeof hdr, "{\"link\":\"%s; rel=\\\"next\\\"\"}", bad[i]);
      a[0].url_part = "/repos/o/r/issues";
      a[0].status = 200;
      a[0].headers = hdr;
      a[0].body = "[]";
      a[1].url_part = NULL;
      cJSON_Delete(tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"github_api\":\"https://api.github.com\"}}"));
      hub__db_exec(h, "DELETE FROM validators");
      rr = drive(h, 1764000000000LL + (int64_t)i, a);
      txt = cJSON_PrintUnformatted(rr);
      CHECK(txt && strstr(txt, "was not followed") && !strstr(txt, "etc/passwd\"") && tu_num(rr, "planned") == 2, "Link next %s is not followed: %.300s", bad[i], txt);
      cJSON_free(txt);
      cJSON_Delete(rr);
    }
  }
  /* reasons are (code, detail): a good-first issue's detail with commas is not split into
   * noise, so the tip sees a good first issue and not "news" */
  hub__db_exec(h, "DELETE FROM items");
  {
    hub__item it;
    hub__upsert_result res;
    memset(&it, 0, sizeof it);
    it.has = HUB_F_TITLE | HUB_F_UPDATED;
    it.key = "github.com/o/r#9";
    it.repo = "o/r";
    it.number = 9;
    it.title = "a beginner task";
    it.updated_at = 1763900000;
    it.reason = HUB_R_gfi;
    it.detail = "o/r (C, Rust)";
    CHECK(hub__items_put(h, &it, 1763900000, &res, NULL) == 0, "a good-first item");
    r = tu_call(h, "{\"cmd\":\"tip\",\"now\":1764000000000,\"debug\":true,\"seed\":1}");
    CHECK(tu_num(r, "features.9") > 0 && tu_num(r, "features.8") == 0,
          "the tip's features: good_first set (%g), notification not (%g)", tu_num(r, "features.9"), tu_num(r, "features.8"));
    CHECK(tu_str(r, "why") && !strstr(tu_str(r, "why"), "news"), "explained without \"news\": %s", tu_str(r, "why"));
    cJSON_Delete(r);
  }
  hub_close(h);
}

/* A DID document from elsewhere may not aim hub at this machine or a private network; its
 * endpoints pass the same parsed-host rule as the API URL. */
static void test_did_endpoints(void) {
  static const char *const bad[] = {"http://127.0.0.1.evil.example", "http://localhost:6379", "https://10.0.0.5",
                                    "https://192.168.1.1:8080", "http://pds.example.com", "ftp://pds.example.com"};
  size_t i;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    hub *h = open_db(":memory:");
    char doc[600], *txt;
    answer a[2];
    cJSON *run;
    snprintf(doc, sizeof doc,
             "{\"id\":\"did:plc:aaaaaaaaaaaaaaaaaaaaaaaa\",\"alsoKnownAs\":[\"at://alice.test\"],"
             "\"service\":[{\"id\":\"#atproto_pds\",\"type\":\"AtprotoPersonalDataServer\",\"serviceEndpoint\":\"%s\"}]}",
             bad[i]);
    a[0].url_part = "/did:plc:";
    a[0].status = 200;
    a[0].headers = NULL;
    a[0].body = doc;
    a[1].url_part = NULL;
    cJSON_Delete(tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"tangled_handle\":\"did:plc:aaaaaaaaaaaaaaaaaaaaaaaa\","
                            "\"atproto_plc\":\"https://plc.example\"}}"));
    run = drive(h, 1764000000000LL, a);
    txt = cJSON_PrintUnformatted(run);
    CHECK(txt && strstr(txt, "no usable #atproto_pds") && tu_num(run, "requests") == 1,
          "a DID document's endpoint %s is not used: %.200s", bad[i], txt ? txt : "");
    cJSON_free(txt);
    cJSON_Delete(run);
    hub_close(h);
  }
}

/* Good-first-issue lists: a repository listed twice is one entry with both labels and
 * technologies; links on GitHub.com in any case count; an unchanged list read again without a
 * 304 writes nothing; the run counts the list's repositories; the list host shows no 0/0 limit. */
static void test_gfi_lists(void) {
  hub *h = open_db(":memory:");
  cJSON *run, *repos;
  static const answer list[] = {
      {"/list.json", 200, NULL,
       "{\"repositories\":[{\"name\":\"a\",\"link\":\"https://github.com/o/a\",\"label\":\"good first issue\",\"technologies\":[\"C\"]},"
       "{\"name\":\"a again\",\"link\":\"https://github.com/o/a/\",\"label\":\"help wanted\",\"technologies\":[\"Rust\"]},"
       "{\"name\":\"b\",\"link\":\"https://GitHub.COM/o/b\",\"technologies\":[\"Go\"]}]}"},
      {"/languages", 200, NULL, "{}"},
      {"/search/issues", 200, NULL, "{\"items\":[]}"},
      {NULL, 0, NULL, NULL}};
  cJSON_Delete(tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"github_token\":\"t\",\"github_api\":\"http://127.0.0.1:9\","
                          "\"notifications\":false,\"search\":false,\"gfi_awesome_url\":\"http://127.0.0.1:9/list.json\"}}"));
  run = drive(h, 1764000000000LL, list);
  repos = tu_call(h, "{\"cmd\":\"gfi_repos\"}");
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(repos, "repos")) == 2, "two repositories (a listed twice is one)");
  CHECK(tu_str(repos, "repos.0.label") && strcmp(tu_str(repos, "repos.0.label"), "good first issue,help wanted") == 0 &&
            tu_str(repos, "repos.0.technologies.1") && strcmp(tu_str(repos, "repos.0.technologies.1"), "Rust") == 0,
        "a repository listed twice keeps the labels and technologies of both (%s)", tu_str(repos, "repos.0.label"));
  CHECK(tu_str(repos, "repos.1.name") && strcmp(tu_str(repos, "repos.1.name"), "b") == 0, "a GitHub.COM link is GitHub");
  CHECK(tu_num(run, "sources.gfi.repos_new") == 2, "the run counts the list's new repositories (%g)",
        tu_num(run, "sources.gfi.repos_new"));
  CHECK(!cJSON_GetObjectItem(cJSON_GetObjectItem(run, "limits"), "list:127.0.0.1"), "no 0/0 limits for the list host");
  {
    cJSON *fs = tu_call(h, "{\"cmd\":\"first_screen\",\"now\":1764000000000,\"limit\":5}");
    CHECK(cJSON_IsArray(cJSON_GetObjectItem(fs, "cards")) && tu_num(fs, "counts.all") == tu_num(fs, "stats.open") &&
              tu_str(fs, "last_run.status") && tu_num(fs, "last_run.id") == tu_num(run, "id"),
          "first_screen: cards, counts, stats and the last run in one call");
    cJSON_Delete(fs);
  }
  cJSON_Delete(repos);
  cJSON_Delete(run);
  hub__db_exec(h, "DELETE FROM validators"); /* the list is read again in full, not 304 */
  tu_watch_writes(h);
  hub__db_exec(h, "CREATE TEMP TABLE rw(n INTEGER); INSERT INTO rw VALUES(0);"
                  "CREATE TEMP TRIGGER rw_u AFTER UPDATE ON main.repos BEGIN UPDATE rw SET n=n+1; END;");
  run = drive(h, 1764000100000LL, list);
  CHECK(tu_count(h, "SELECT n FROM rw") == 0 && tu_num(run, "sources.gfi.repos_unchanged") == 2,
        "an unchanged list read again writes no repo row (%ld writes, %g unchanged)", tu_count(h, "SELECT n FROM rw"),
        tu_num(run, "sources.gfi.repos_unchanged"));
  cJSON_Delete(run);
  hub_close(h);
}

/* Feeds the answer to the request in flight (sync_next first) with hub_feed: an issue page of
 * number n, with a next-page link when more; returns the number of items another connection
 * sees afterwards. */
static long feed_page(hub *h, hub *other, int64_t now, int n, int more) {
  cJSON *nx = tu_call(h, "{\"cmd\":\"sync_next\",\"now\":%lld}", (long long)now);
  const char *url = tu_str(nx, "fetch.0.url");
  char req[1024], body[256];
  char *out;
  int len;
  CHECK(url != NULL, "groups: page %d is planned", n);
  if (!url) {
    cJSON_Delete(nx);
    return -1;
  }
  len = snprintf(body, sizeof body, "[{\"html_url\":\"https://github.com/o/r/issues/%d\",\"number\":%d,"
                 "\"title\":\"issue %d\",\"state\":\"open\"}]", n, n, n);
  snprintf(req, sizeof req, "{\"cmd\":\"sync_feed\",\"id\":%d,\"now\":%lld,\"status\":200,\"headers\":{%s%s%s%d%s}}",
           (int)tu_num(nx, "fetch.0.id"), (long long)now, more ? "\"link\":\"<" : "", more ? url : "",
           more ? (strchr(url, '?') ? "&page=" : "?page=") : "", more ? n + 1 : 0, more ? ">; rel=\\\"next\\\"\"" : "");
  if (!more) snprintf(req, sizeof req, "{\"cmd\":\"sync_feed\",\"id\":%d,\"now\":%lld,\"status\":200,\"headers\":{}}",
                      (int)tu_num(nx, "fetch.0.id"), (long long)now);
  cJSON_Delete(nx);
  out = hub_feed(h, req, strlen(req), body, (size_t)len);
  CHECK(out && strstr(out, "\"ok\":true"), "groups: page %d fed (%s)", n, out ? out : "null");
  hub_free(out);
  return tu_count(other, "SELECT count(*) FROM items");
}

/* Answers are committed in groups (engine.c "Groups"): another connection sees them when the
 * group is old enough (by the drivers' now), when any other command runs, and at close. */
static void test_feed_groups(void) {
  const char *path = "build/out/unit-groups.db";
  hub *h, *o;
  char *out;
  remove(path);
  h = open_db(path);
  cJSON_Delete(tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"github_token\":\"t\",\"github_user\":\"me\","
                          "\"notifications\":false,\"search\":false,\"repos\":[\"o/r\"]}}"));
  cJSON_Delete(tu_call(h, "{\"cmd\":\"sync_start\",\"now\":1000}"));
  o = open_db(path);
  CHECK(feed_page(h, o, 1000, 1, 1) == 0, "groups: a page waits in the open group (not committed yet)");
  CHECK(feed_page(h, o, 1500, 2, 1) == 0, "groups: a second page joins the group");
  CHECK(feed_page(h, o, 2000, 3, 1) == 3, "groups: a group 1 s old (by now) is committed with its pages");
  CHECK(feed_page(h, o, 2100, 4, 1) == 3, "groups: the next page opens a new group");
  {
    cJSON *st = tu_call(h, "{\"cmd\":\"stats\"}");
    cJSON_Delete(st);
  }
  CHECK(tu_count(o, "SELECT count(*) FROM items") == 4, "groups: any other command commits the open group first");
  CHECK(tu_count(o, "SELECT count(*) FROM validators") == 4, "groups: the validators came with their rows");
  CHECK(feed_page(h, o, 2200, 5, 0) == 4, "groups: the last page is in a new group");
  /* bytes go with sync_feed only, and not together with "body" */
  {
    const char *stats = "{\"cmd\":\"stats\"}", *both = "{\"cmd\":\"sync_feed\",\"id\":1,\"now\":1,\"status\":200,\"body\":\"[]\"}";
    out = hub_feed(h, stats, strlen(stats), "x", 1);
    CHECK(out && strstr(out, "bad_request"), "hub_feed refuses another command: %s", out ? out : "null");
    hub_free(out);
    out = hub_feed(h, both, strlen(both), "[]", 2);
    CHECK(out && strstr(out, "not both"), "hub_feed refuses bytes and \"body\" together: %s", out ? out : "null");
    hub_free(out);
  }
  hub_close(h); /* the run is unfinished: its open group is committed at close */
  CHECK(tu_count(o, "SELECT count(*) FROM items") == 5, "groups: hub_close commits the open group");
  hub_close(o);
  remove(path);
}

int main(void) {
  test_sha256();
  test_time();
  test_link();
  test_score();
  test_upsert();
  test_migrations();
  test_api_errors();
  test_token_scope();
  test_feed_groups();
  test_markdown();
  test_alloc_failures();
  test_defects();
  test_gfi_lists();
  test_did_endpoints();
  printf("unit tests: %d passed, %d failed\n", tu_passed, tu_failed);
  return tu_failed ? 1 : 0;
}
