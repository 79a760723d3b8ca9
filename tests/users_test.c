/*
 * users_test.c — the parts of multi-user hubd that need no PostgreSQL, natively under ASan: the
 * repositories answer read as hostile input, the highlight rules, the LLM's picks checked, the
 * fatigue formula, slots and back-off of the job scheduler, gallery image checks, the per-user
 * route table, login names and Bearer digests. (tests/cluster_test.sh drives the rest against a
 * real PostgreSQL and three nodes.)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "testutil.h"
#include "server/cluster.h"
#include "server/foryou.h"
#include "server/gallery.h"
#include "server/secrets.h"
#include "server/userapi.h"
#include "server/users.h"

#define DAY 86400000LL
static const int64_t NOW = 1764000000000LL; /* 2025-11-24 */

static const char repos_json[] =
    "[{\"full_name\":\"Ann/alpha\",\"owner\":{\"login\":\"ann\"},\"description\":\"fast things\",\"language\":\"C\","
    "\"stargazers_count\":120,\"forks_count\":9,\"fork\":false,\"archived\":false,\"pushed_at\":\"2025-10-01T00:00:00Z\","
    "\"html_url\":\"https://github.com/Ann/alpha\"},"
    "{\"full_name\":\"Ann/beta\",\"owner\":{\"login\":\"Ann\"},\"description\":null,\"language\":null,"
    "\"stargazers_count\":0,\"forks_count\":0,\"pushed_at\":\"2025-11-20T00:00:00Z\",\"html_url\":\"javascript:alert(1)\"},"
    "{\"full_name\":\"Ann/fork\",\"owner\":{\"login\":\"Ann\"},\"fork\":true,\"stargazers_count\":9000},"
    "{\"full_name\":\"Ann/ann\",\"owner\":{\"login\":\"Ann\"},\"stargazers_count\":50,\"description\":\"profile\"},"
    "{\"full_name\":\"Ann/old\",\"owner\":{\"login\":\"Ann\"},\"archived\":true,\"stargazers_count\":70},"
    "{\"full_name\":\"Ann/gamma\",\"owner\":{\"login\":\"Ann\"},\"stargazers_count\":\"many\",\"description\":\"tool\","
    "\"pushed_at\":\"yesterday\"},"
    "{\"full_name\":\"Bob/theirs\",\"owner\":{\"login\":\"Bob\"},\"stargazers_count\":500},"
    "{\"full_name\":\"Ann/../etc\",\"owner\":{\"login\":\"Ann\"}},"
    "{\"full_name\":\"Ann/secret\",\"owner\":{\"login\":\"Ann\"},\"private\":true,\"stargazers_count\":5},"
    "{\"full_name\":\"Ann/delta\",\"owner\":{\"login\":\"Ann\"},\"description\":\"bad \\u0000 text \xff\","
    "\"stargazers_count\":3,\"pushed_at\":\"2025-11-23T00:00:00Z\"},"
    "42, null, \"x\"]";

static hubd_repo *find(hubd_repo *r, size_t n, const char *name) {
  size_t i;
  for (i = 0; i < n; i++)
    if (strcmp(r[i].repo, name) == 0) return &r[i];
  return NULL;
}

static void test_repos(void) {
  hubd_repo *r = NULL;
  size_t n = 0, hl = 0, i;
  char err[200];
  CHECK(hubd_repos_parse("ann", repos_json, strlen(repos_json), &r, &n, err, sizeof err) == 0, "parse: %s", err);
  /* kept: alpha beta fork ann old gamma delta; dropped: Bob's, a bad name, private, non-objects */
  CHECK(n == 7, "seven of the user's public repositories kept, got %zu", n);
  CHECK(!find(r, n, "Bob/theirs") && !find(r, n, "Ann/secret") && !find(r, n, "Ann/../etc"),
        "another owner's, a private and a malformed name are dropped");
  CHECK(find(r, n, "Ann/beta") && !find(r, n, "Ann/beta")->html_url, "a non-https html_url is not kept");
  CHECK(find(r, n, "Ann/gamma") && find(r, n, "Ann/gamma")->stars == 0 && find(r, n, "Ann/gamma")->pushed_at == 0,
        "wrong types become zero, not garbage");
  CHECK(find(r, n, "Ann/delta") && find(r, n, "Ann/delta")->description &&
            hub__utf8_valid(find(r, n, "Ann/delta")->description, strlen(find(r, n, "Ann/delta")->description)),
        "descriptions come out valid UTF-8");
  hubd_repos_pick("ann", r, n, NOW);
  for (i = 0; i < n; i++) hl += (size_t)r[i].highlight;
  CHECK(hl <= HUBD_HIGHLIGHTS && hl == 3, "three highlights, got %zu", hl);
  CHECK(find(r, n, "Ann/alpha")->highlight && strcmp(find(r, n, "Ann/alpha")->why, "stars") == 0,
        "the starred repository is a highlight, for its stars (%s)", find(r, n, "Ann/alpha")->why);
  CHECK(!find(r, n, "Ann/fork")->highlight && find(r, n, "Ann/fork")->score == 0, "a fork never is, whatever its stars");
  CHECK(!find(r, n, "Ann/ann")->highlight && !find(r, n, "Ann/old")->highlight,
        "neither the profile repository nor an archived one");
  CHECK(find(r, n, "Ann/delta")->highlight && find(r, n, "Ann/beta")->highlight,
        "recent pushes count: delta and beta beat an untouched, unstarred gamma");
  CHECK(find(r, n, "Ann/beta")->score > find(r, n, "Ann/gamma")->score, "recency adds to the score");
  {
    /* the LLM's picks: only candidates, no repeats, at most three, reasons cleaned */
    cJSON *good = cJSON_Parse("{\"picks\":[{\"repo\":\"Ann/gamma\",\"why\":\"a tool\\nthat matters\"},"
                              "{\"repo\":\"Ann/alpha\",\"why\":\"popular\"}]}");
    cJSON *invented = cJSON_Parse("{\"picks\":[{\"repo\":\"Ann/alpha\",\"why\":\"x\"},{\"repo\":\"evil/repo\",\"why\":\"y\"}]}");
    cJSON *repeat = cJSON_Parse("{\"picks\":[{\"repo\":\"Ann/alpha\",\"why\":\"x\"},{\"repo\":\"Ann/alpha\",\"why\":\"y\"}]}");
    cJSON *fork = cJSON_Parse("{\"picks\":[{\"repo\":\"Ann/fork\",\"why\":\"x\"}]}");
    cJSON *many = cJSON_Parse("{\"picks\":[{\"repo\":\"Ann/alpha\",\"why\":\"a\"},{\"repo\":\"Ann/beta\",\"why\":\"b\"},"
                              "{\"repo\":\"Ann/gamma\",\"why\":\"c\"},{\"repo\":\"Ann/delta\",\"why\":\"d\"}]}");
    CHECK(hubd_repos_apply_picks(invented, r, n) == 0 && find(r, n, "Ann/beta")->highlight,
          "an invented repository makes the whole answer unusable (the rules stand)");
    CHECK(hubd_repos_apply_picks(repeat, r, n) == 0, "a repeated pick is refused");
    CHECK(hubd_repos_apply_picks(fork, r, n) == 0, "a pick outside the rules' candidates (a fork) is refused");
    CHECK(hubd_repos_apply_picks(many, r, n) == 0, "more than three picks are refused");
    CHECK(hubd_repos_apply_picks(good, r, n) == 1, "valid picks are taken");
    CHECK(find(r, n, "Ann/gamma")->highlight && find(r, n, "Ann/alpha")->highlight && !find(r, n, "Ann/beta")->highlight,
          "the LLM's picks replace the rules'");
    CHECK(strcmp(find(r, n, "Ann/gamma")->why, "llm: a tool that matters") == 0, "reason kept, control characters gone (%s)",
          find(r, n, "Ann/gamma")->why);
    cJSON_Delete(good);
    cJSON_Delete(invented);
    cJSON_Delete(repeat);
    cJSON_Delete(fork);
    cJSON_Delete(many);
  }
  hubd_repos_free(r, n);
  CHECK(hubd_repos_parse("ann", "{\"message\":\"Not Found\"}", 24, &r, &n, err, sizeof err) == -1 && r == NULL,
        "an object where an array belongs is an error");
  CHECK(hubd_repos_parse("ann", "[1,2", 4, &r, &n, err, sizeof err) == -1, "truncated JSON is an error");
}

static void test_fatigue(void) {
  double f0 = hubd_fatigue(0, NOW, NOW), f1 = hubd_fatigue(1, NOW, NOW), f5 = hubd_fatigue(5, NOW, NOW);
  double later = hubd_fatigue(5, NOW - 7 * DAY, NOW), much_later = hubd_fatigue(5, NOW - 60 * DAY, NOW);
  CHECK(f0 == 1.0, "never shown since a reaction: no fatigue");
  CHECK(f1 < 1.0 && f5 < f1, "each show without a reaction lowers it (%.3f, %.3f)", f1, f5);
  CHECK(fabs(f5 - 1.0 / (1.0 + HUBD_FATIGUE_K * 5)) < 1e-12, "the formula: 1 / (1 + k·s) right after the last show");
  CHECK(later > f5 && much_later > later && much_later > 0.99, "and it heals with time (%.3f → %.3f → %.3f)", f5, later,
        much_later);
  CHECK(hubd_fatigue(3, NOW + DAY, NOW) == hubd_fatigue(3, NOW, NOW), "a show stamped in the future counts as now");
}

static void test_slots(void) {
  int64_t h = 3600000;
  CHECK(hubd_job_next_slot(NOW, h, NOW + 10) == NOW + h, "the next slot after an on-time run");
  CHECK(hubd_job_next_slot(NOW, h, NOW + 5 * h + 7) == NOW + 6 * h, "missed slots coalesce into the first after now");
  CHECK(hubd_job_next_slot(NOW, h, NOW + h) == NOW + 2 * h, "a run ending exactly on a slot moves past it");
  CHECK(hubd_job_backoff(1) == HUBD_JOB_BACKOFF_MS && hubd_job_backoff(3) == 4 * HUBD_JOB_BACKOFF_MS,
        "retries back off, doubling");
  CHECK(hubd_job_backoff(100) <= 2 * 3600000, "the back-off is capped");
  CHECK(strcmp(hubd_job_name(HUBD_JOB_INGEST), "ingest") == 0 && strcmp(hubd_job_name(HUBD_JOB_FORYOU), "foryou") == 0,
        "job names");
}

/* Checks an image; *field points at a copy of the member named (valid until the next call). */
static int image_ok(const char *json, const char **field) {
  static char named[64];
  cJSON *j = cJSON_Parse(json);
  hubd_gallery_image g;
  char err[200];
  const char *f = NULL;
  int rc = hubd_gallery_image_check(j, &g, err, sizeof err, &f);
  snprintf(named, sizeof named, "%s", f ? f : "");
  *field = named;
  cJSON_Delete(j);
  return rc == 0;
}

static void test_gallery(void) {
  const char *field;
  char big[HUBD_GALLERY_URL_MAX + 64], json[HUBD_GALLERY_URL_MAX + 128];
  cJSON *j;
  hubd_gallery_image g;
  char err[200];
  CHECK(image_ok("{\"url\":\"https://img.example.com/a.png\"}", &field), "a plain https image");
  CHECK(image_ok("{\"url\":\"https://img.example.com/a.png\",\"caption\":\"é\",\"is_highlight\":true,"
                 "\"taken_at\":\"2025-01-02\",\"link\":\"https://example.com/x\"}", &field), "every field");
  CHECK(!image_ok("{\"url\":\"http://img.example.com/a.png\"}", &field) && strcmp(field, "url") == 0, "http refused");
  CHECK(!image_ok("{\"url\":\"https://127.0.0.1/a.png\"}", &field), "a loopback host refused");
  CHECK(!image_ok("{\"url\":\"https://192.168.1.5/a.png\"}", &field), "a private network refused");
  CHECK(!image_ok("{\"url\":\"https://user:pw@img.example.com/a.png\"}", &field), "credentials in the URL refused");
  CHECK(!image_ok("{\"url\":\"javascript:alert(1)\"}", &field), "a script URL refused");
  CHECK(!image_ok("{\"url\":\"https://img.example.com/a.png\",\"link\":\"ftp://x.example\"}", &field) &&
            strcmp(field, "link") == 0, "a link is checked the same way");
  CHECK(!image_ok("{\"caption\":\"no url\"}", &field) && strcmp(field, "url") == 0, "url is required");
  CHECK(!image_ok("{\"url\":\"https://img.example.com/a.png\",\"size\":3}", &field) && strcmp(field, "size") == 0,
        "an unknown member is named");
  CHECK(!image_ok("{\"url\":\"https://img.example.com/a.png\",\"taken_at\":\"last week\"}", &field), "a bad date");
  CHECK(!image_ok("{\"url\":\"https://img.example.com/a.png\",\"taken_at\":-5}", &field), "a negative time");
  CHECK(!image_ok("{\"url\":\"https://img.example.com/a.png\",\"is_highlight\":\"yes\"}", &field), "a non-boolean flag");
  memset(big, 'a', sizeof big);
  memcpy(big, "https://img.example.com/", 24);
  big[HUBD_GALLERY_URL_MAX + 1] = 0;
  snprintf(json, sizeof json, "{\"url\":\"%s\"}", big);
  CHECK(!image_ok(json, &field), "a URL over the cap");
  big[HUBD_GALLERY_URL_MAX] = 0;
  snprintf(json, sizeof json, "{\"url\":\"%s\"}", big);
  CHECK(image_ok(json, &field), "a URL at the cap");
  j = cJSON_Parse("{\"url\":\"https://img.example.com/a.png\",\"taken_at\":\"2025-01-02T03:04:05Z\"}");
  CHECK(hubd_gallery_image_check(j, &g, err, sizeof err, &field) == 0 && g.taken_at == 1735787045000LL,
        "taken_at as a date-time, in ms");
  cJSON_Delete(j);
}

static void test_routes(void) {
  int known;
  CHECK(hubd_uapi_match("POST", "/users/ann/login", &known), "login");
  CHECK(hubd_uapi_match("GET", "/users/ann/data", &known) && hubd_uapi_match("HEAD", "/users/ann/data", &known), "data");
  CHECK(!hubd_uapi_match("GET", "/users/ann/login", &known) && known, "login by GET: 405, not 404");
  CHECK(hubd_uapi_match("DELETE", "/users/ann", &known) && !hubd_uapi_match("GET", "/users/ann", &known) && known,
        "delete");
  CHECK(hubd_uapi_match("PATCH", "/users/ann/repos/ann/alpha/gallery", &known), "gallery PATCH");
  CHECK(!hubd_uapi_match("GET", "/users/ann/repos/ann/alpha/gallery", &known) && known, "gallery GET: 405");
  CHECK(!hubd_uapi_match("GET", "/users/ann/data/", &known) && !known, "a trailing slash is no route");
  CHECK(!hubd_uapi_match("GET", "/users//data", &known) && !known, "an empty segment is no route");
  CHECK(hubd_uapi_match("POST", "/ghost-users/bob", &known) && hubd_uapi_match("GET", "/for-you/ann", &known) &&
            hubd_uapi_match("POST", "/for-you/ann/reactions", &known),
        "ghosts, for-you and reactions");
  CHECK(hubd_uapi_is_path("/users/x") && !hubd_uapi_is_path("/api/users/x") && !hubd_uapi_is_path("/usersx"),
        "which paths are this API's");
}

static void test_names(void) {
  char out[48];
  unsigned char d[32], e[32];
  CHECK(hubd_login_norm("Octo-Cat", out) && strcmp(out, "octo-cat") == 0, "a login, lower-cased");
  CHECK(!hubd_login_norm("bad_name", out) && !hubd_login_norm("", out) && !hubd_login_norm("a/b", out),
        "underscores, empty and slashes refused");
  CHECK(!hubd_login_norm("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", out), "40 characters refused");
  CHECK(hubd_login_norm("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", out), "39 accepted");
  CHECK(hubd_bearer_digest("Bearer hu_abc", d) && hubd_bearer_digest("bearer   hu_abc", e) && memcmp(d, e, 32) == 0,
        "the scheme is case-insensitive and spaces after it are skipped");
  CHECK(!hubd_bearer_digest("Basic xyz", d) && !hubd_bearer_digest(NULL, d), "only Bearer");
  {
    hubd_user u;
    memset(&u, 0, sizeof u);
    hubd_bearer_digest("Bearer hu_abc", d);
    CHECK(!hubd_user_key_ok(&u, d), "a user without a key matches nothing");
    memcpy(u.key_sha256, d, 32);
    u.has_key = 1;
    CHECK(hubd_user_key_ok(&u, d), "the user's own key");
    hubd_bearer_digest("Bearer hu_abd", e);
    CHECK(!hubd_user_key_ok(&u, e), "another key");
  }
}

int main(void) {
  if (sodium_init() < 0) return 1;
  test_repos();
  test_fatigue();
  test_slots();
  test_gallery();
  test_routes();
  test_names();
  printf("users tests: %d passed, %d failed\n", tu_passed, tu_failed);
  return tu_failed != 0;
}
