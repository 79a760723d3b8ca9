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

static void test_score(void) {
  hub__weights w = {30.0, 1.0, 2.0, 1.5, NULL, NULL};
  hub__factors f;
  double b1, b2, r1, r2;
  int64_t now = 1700000000;
  w.label_weights = cJSON_Parse("{\"bug\":1.5,\"blocking\":2}");
  hub__score_explain(&w, 0, 0, 1.0, 1.0, now - 30 * 86400, now, &f);
  CHECK(fabs(f.recency - exp(-1)) < 1e-12, "30 days old → recency 1/e");
  CHECK(fabs(f.engagement - 1.0) < 1e-12, "no engagement → 1");
  hub__score_explain(&w, 3, 4, 1.0, 1.0, now, now, &f);
  CHECK(fabs(f.engagement - (1 + log(8))) < 1e-12, "engagement log scale");
  CHECK(fabs(hub__label_mult(&w, "[\"Bug\",\"docs\"]") - 1.5) < 1e-12, "bug ×1.5, case-insensitive");
  CHECK(fabs(hub__label_mult(&w, "[\"bug\",\"blocking\"]") - 3.0) < 1e-12, "multipliers multiply");
  /* ordering by stored rank equals ordering by score at any moment */
  b1 = hub__score_base(&w, 10, 0, 1.0, 1.0);
  b2 = hub__score_base(&w, 0, 0, 1.5, 2.0);
  r1 = hub__score_rank(&w, b1, now - 20 * 86400);
  r2 = hub__score_rank(&w, b2, now - 2 * 86400);
  {
    int64_t t;
    int same = 1;
    for (t = now; t < now + 400 * 86400; t += 37 * 86400) {
      double s1 = hub__score_at(&w, r1, t), s2 = hub__score_at(&w, r2, t);
      hub__score_explain(&w, 10, 0, 1.0, 1.0, now - 20 * 86400, t, &f);
      if (fabs(f.score - s1) > 1e-9 * (s1 + 1e-300) || (s1 > s2) != (r1 > r2)) same = 0;
    }
    CHECK(same, "rank order = score order, and score_at = explained score");
  }
  cJSON_Delete(w.label_weights);
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
  it.reason = "authored";
  CHECK(hub__store_upsert(h, &it, 100, &res) == 0 && res == HUB_UPSERT_NEW, "new");
  tu_watch_writes(h);
  CHECK(hub__store_upsert(h, &it, 200, &res) == 0 && res == HUB_UPSERT_UNCHANGED, "same → unchanged");
  CHECK(tu_item_writes(h) == 0, "unchanged writes nothing");
  it.has = HUB_F_TITLE; /* a source that knows only the title keeps the rest */
  CHECK(hub__store_upsert(h, &it, 300, &res) == 0 && res == HUB_UPSERT_UNCHANGED, "partial same → unchanged");
  it.reason = "mentioned";
  CHECK(hub__store_upsert(h, &it, 300, &res) == 0 && res == HUB_UPSERT_UPDATED, "a new reason is a change");
  CHECK(tu_count(h, "SELECT count(*) FROM item_reasons") == 2, "two reasons");
  CHECK(tu_count(h, "SELECT comments FROM items") == 2, "comments kept by partial upsert");
  it.has = HUB_F_COMMENTS;
  it.comments = 5;
  CHECK(hub__store_upsert(h, &it, 400, &res) == 0 && res == HUB_UPSERT_UPDATED, "changed comments");
  CHECK(tu_count(h, "SELECT last_seen FROM items") == 400 && tu_count(h, "SELECT first_seen FROM items") == 100,
        "first/last seen");
  hub_close(h);
}

static void test_migrations(void) {
  const char *path = "build/out/unit-migrate.db";
  hub *h;
  remove(path);
  h = open_db(path);
  CHECK(tu_count(h, "PRAGMA user_version") == HUB_SCHEMA_VERSION, "schema version");
  hub__exec(h, "INSERT INTO settings VALUES('github_user','me')");
  hub_close(h);
  h = open_db(path); /* reopening migrates nothing and keeps data */
  CHECK(tu_count(h, "SELECT count(*) FROM settings WHERE v='me'") == 1, "data survives reopen");
  hub__exec(h, "PRAGMA user_version=99");
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
  expect_error(h, "{\"cmd\":\"settings\",\"set\":{\"page_size\":\"big\"}}", "bad_type");
  expect_error(h, "{\"cmd\":\"settings\",\"set\":{\"nonsense\":1}}", "bad_request");
  expect_error(h, "{\"cmd\":\"settings\",\"set\":{\"github_api\":\"http://evil.example\"}}", "bad_request");
  expect_error(h, "{\"cmd\":\"settings\",\"set\":{\"repos\":\"o/r\"}}", "bad_type");
  {
    /* a failed settings change leaves earlier settings intact */
    cJSON *r = tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"github_user\":\"me\"}}");
    cJSON_Delete(r);
    expect_error(h, "{\"cmd\":\"settings\",\"set\":{\"github_user\":\"other\",\"page_size\":\"x\"}}", "bad_type");
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
  CHECK(tu_str(r, "fetch.0.url") && strstr(tu_str(r, "fetch.0.url"), "evil.example") &&
            !tu_str(r, "fetch.0.headers.Authorization"),
        "no Authorization header towards another host");
  cJSON_Delete(r);
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
  it.reason = "authored";
  hub__store_upsert(h, &it, 1, &res);
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

int main(void) {
  test_sha256();
  test_time();
  test_link();
  test_score();
  test_upsert();
  test_migrations();
  test_api_errors();
  test_token_scope();
  test_markdown();
  test_alloc_failures();
  printf("unit tests: %d passed, %d failed\n", tu_passed, tu_failed);
  return tu_failed ? 1 : 0;
}
