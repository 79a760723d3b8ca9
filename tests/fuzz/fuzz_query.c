/*
 * fuzz_query.c — fuzz target "query" (test layer): the inbox search language (src/api/query.c)
 * on arbitrary bytes, first alone, then as the `q` of the cards command on a small inbox.
 *
 * Checked on every input:
 *   - hub__query_compile keeps its contract: on failure the message ends in " at N" with
 *     N < len (when len > 0); on success the WHERE and ORDER BY texts hold exactly nparams
 *     anonymous `?` outside '...' literals (the user's text reaches SQLite only as bound
 *     values), ":now" exactly when HUB__QF_NOW says so, and no byte outside printable ASCII;
 *   - for a text that is valid UTF-8 without NUL (what a JSON request can carry unchanged),
 *     `cards` agrees with the compiler: a query that compiles is answered with cards (never an
 *     SQL error), one that does not is refused with bad_query at the same position; the reply
 *     is a JSON object and no row changes (fz_call).
 * The hub is opened once per process (queries only read) and holds four items in different
 * triage states, so the hide filter, is: terms and the text search meet real rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "hub_int.h"
#include "api/query.h"
#include "base/base.h"
#include "items/items.h"

/* `?` outside '...' literals in sql (a doubled '' inside a literal stays in it). */
static size_t placeholders(const char *sql) {
  size_t n = 0;
  int in_lit = 0;
  for (; *sql; sql++) {
    if (*sql == '\'') in_lit = !in_lit;
    else if (*sql == '?' && !in_lit) n++;
  }
  return n;
}

static void check_sql_text(const char *what, const char *sql) {
  const unsigned char *p = (const unsigned char *)sql;
  if (!sql) fz_fail("query: %s is NULL after a successful compile", what);
  for (; *p; p++)
    if (*p < 0x20 || *p > 0x7e) fz_fail("query: %s holds byte 0x%02x: %s", what, *p, sql);
}

/* The compiler alone. Returns the error position (-1 when the text compiled). */
static long compile_alone(const uint8_t *data, size_t size) {
  hub__query q;
  char err[256];
  long pos = -1;
  memset(&q, 0, sizeof q);
  if (hub__query_compile((const char *)data, size, NULL, &q, err, sizeof err) != 0) {
    const char *at = NULL, *p = err;
    while ((p = strstr(p, " at ")) != NULL) at = p++;
    if (!at || err[0] == ' ') fz_fail("query: error without \"message at N\": %s", err);
    pos = strtol(at + 4, NULL, 10);
    if (pos < 0 || (size > 0 && (size_t)pos >= size))
      fz_fail("query: error position %ld outside the text of %zu bytes: %s", pos, size, err);
  } else {
    check_sql_text("WHERE", q.where);
    check_sql_text("ORDER BY", q.order_by);
    if (placeholders(q.where) + placeholders(q.order_by) != q.nparams)
      fz_fail("query: %zu placeholders for %zu values: WHERE %s ORDER BY %s",
              placeholders(q.where) + placeholders(q.order_by), q.nparams, q.where, q.order_by);
    if (!!strstr(q.where, ":now") != !!(q.flags & HUB__QF_NOW))
      fz_fail("query: :now in WHERE disagrees with HUB__QF_NOW: %s", q.where);
  }
  hub__query_free(&q);
  return pos;
}

#define FZ_NOW_S 1764547200 /* 2025-12-01T00:00:00Z */

static hub *inbox(void) {
  static const char *const triage[] = {
      "{\"cmd\":\"triage\",\"now\":1764547200000,\"action\":\"done\",\"keys\":[\"github.com/o/r#2\"]}",
      ("{\"cmd\":\"triage\",\"now\":1764547200000,\"action\":\"snooze\",\"until\":1764550800000,"
       "\"keys\":[\"github.com/o/r#3\"]}"),
      "{\"cmd\":\"triage\",\"now\":1764547200000,\"action\":\"save\",\"keys\":[\"tangled.org/p/q#4\"]}"};
  hub *h = fz_open();
  size_t i;
  for (i = 1; i <= 4; i++) {
    hub__item it;
    hub__upsert_result res;
    char key[64], repo[16];
    memset(&it, 0, sizeof it);
    it.has = HUB_F_KIND | HUB_F_TITLE | HUB_F_STATE | HUB_F_AUTHOR | HUB_F_LABELS | HUB_F_UPDATED |
             HUB_F_CREATED | HUB_F_URL | HUB_F_UNREAD;
    snprintf(repo, sizeof repo, "%s", i == 4 ? "p/q" : "o/r");
    snprintf(key, sizeof key, "%s/%s#%zu", i == 4 ? "tangled.org" : "github.com", repo, i);
    it.key = key;
    it.source = i == 4 ? "tangled" : "github";
    it.host = i == 4 ? "tangled.org" : "github.com";
    it.repo = repo;
    it.number = (int64_t)i;
    it.kind = i % 2 ? "issue" : "pr";
    it.title = i == 1 ? "Crash on \"quoted\" 100% input_x" : "Docs: café ünïcode";
    it.state = i == 3 ? "closed" : "open";
    it.author = i % 2 ? "alice" : "bob";
    it.labels = i == 1 ? "[\"good first issue\",\"a\\\"b\"]" : "[]";
    it.created_at = FZ_NOW_S - 86400 * (int64_t)i;
    it.updated_at = FZ_NOW_S - 3600 * (int64_t)i;
    it.url = "https://example.org/x";
    it.unread = (int)(i % 2);
    it.reason = i == 4 ? (int)HUB_R_gfi : (int)HUB_R_assigned;
    if (hub__items_put(h, &it, FZ_NOW_S, &res, NULL) != 0) fz_fail("query: cannot store item %zu", i);
  }
  for (i = 0; i < sizeof triage / sizeof *triage; i++) cJSON_Delete(fz_calls(h, triage[i], NULL, NULL));
  return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static hub *h;
  long pos = compile_alone(data, size);
  fz_buf req;
  cJSON *reply, *err, *code, *at;
  if (memchr(data, 0, size) || !hub__utf8_valid((const char *)data, size)) return 0;
  if (!h) h = inbox();
  memset(&req, 0, sizeof req);
  fz_adds(&req, "{\"cmd\":\"cards\",\"now\":1764547200000,\"limit\":50,\"q\":");
  fz_add_json_str(&req, (const char *)data, size);
  fz_adds(&req, "}");
  reply = fz_call(h, req.p, req.len, NULL, NULL);
  err = cJSON_GetObjectItemCaseSensitive(reply, "error");
  code = cJSON_GetObjectItemCaseSensitive(err, "code");
  at = cJSON_GetObjectItemCaseSensitive(err, "position");
  if (pos < 0 && err)
    fz_fail("query: a query that compiles was refused by cards: %s", cJSON_IsString(code) ? code->valuestring : "?");
  if (pos >= 0 && (!cJSON_IsString(code) || strcmp(code->valuestring, "bad_query") != 0))
    fz_fail("query: a query that does not compile was not refused with bad_query");
  if (pos >= 0 && (!cJSON_IsNumber(at) || (long)at->valuedouble != pos))
    fz_fail("query: cards puts the error at %g, the compiler at %ld", cJSON_IsNumber(at) ? at->valuedouble : -1.0, pos);
  if (pos < 0 && !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(reply, "cards")))
    fz_fail("query: a query that compiles got no cards array");
  cJSON_Delete(reply);
  fz_buf_free(&req);
  return 0;
}
