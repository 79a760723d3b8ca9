/*
 * console_test.c — the insight console's core (natively, under ASan + UBSan):
 *   - read-only SQL: a table of write attempts (INSERT … "SELECT 1; DELETE …", a CTE with
 *     DELETE, PRAGMA x = y, VACUUM INTO, ATTACH, BEGIN …) each refused with a clear error and
 *     the database byte for byte as it was; reads that must work; the runaway recursive query
 *     stopped at the cap on work; the row cap; values of every type; saved queries;
 *   - bootstrap intervals: known answers (constant rewards, two rows, a 50/50 sample against
 *     the normal approximation, a target that never agrees), the same seed giving the same
 *     interval, and the quantile rule;
 *   - the event ring: wrap-around at 500, filters, cut values, and the hooks of a real sync
 *     and of tips and reactions;
 *   - the console's tip commands against the log (tip_log paging, bonus, runners-up;
 *     console_bandit; tip_analytics sums), data quality and health against direct counts;
 *   - export → purge → import restoring the same cards, without the token, atomically.
 * Prints "console tests: N passed, N failed".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"
#include "base/events.h"
#include "tip/insight.h"

#define T0 1700000000000LL

static hub *open_db(const char *path) {
  hub *h = NULL;
  char err[256];
  if (hub_open(path, NULL, &h, err, sizeof err)) {
    fprintf(stderr, "hub_open: %s\n", err);
    exit(1);
  }
  return h;
}

static int is_error(const cJSON *r, const char *code) {
  const char *c = tu_str(r, "error.code");
  return c && (!code || strcmp(c, code) == 0);
}

/* A fingerprint of the whole database: every table's rows (export, validators included),
 * the schema and the header numbers. New string. */
static char *db_hash(hub *h) {
  cJSON *ex = hub__db_export(h), *all = cJSON_CreateObject();
  char *text, hex[65];
  sqlite3_stmt *st;
  hub__put(all, "export", ex);
  st = hub__db_q(h, "SELECT group_concat(coalesce(token_hash,'')||url||coalesce(etag,''), '|') FROM validators", NULL);
  if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    cJSON_AddStringToObject(all, "validators", (const char *)sqlite3_column_text(st, 0));
  hub__db_done(h, st);
  st = hub__db_q(h, "SELECT group_concat(sql, ';') FROM sqlite_master", NULL);
  if (st && sqlite3_step(st) == SQLITE_ROW) cJSON_AddStringToObject(all, "schema", (const char *)sqlite3_column_text(st, 0));
  hub__db_done(h, st);
  cJSON_AddNumberToObject(all, "user_version", (double)hub__db_int(h, "PRAGMA user_version", NULL, -1));
  cJSON_AddNumberToObject(all, "application_id", (double)hub__db_int(h, "PRAGMA application_id", NULL, -1));
  text = cJSON_PrintUnformatted(all);
  hub__sha256_hex(text, strlen(text), hex);
  hub_free(text);
  cJSON_Delete(all);
  return hub__strdup(hex);
}

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

/* A database after one demo sync (user octocat, token demo-token). */
static hub *synced(const char *path, int64_t *now) {
  hub *h = open_db(path);
  replay *r = load("demo");
  cJSON *res = tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"github_token\":\"demo-token\",\"github_user\":\"octocat\"}}"), *run;
  cJSON_Delete(res);
  *now = T0;
  run = tu_sync(h, r, now, NULL, NULL, NULL);
  CHECK(run && strcmp(tu_str(run, "status"), "ok") == 0, "the demo sync is ok");
  cJSON_Delete(run);
  replay_free(r);
  return h;
}

/* ---- read-only SQL ------------------------------------------------------------------------- */

static const char *const writes[] = {
    "INSERT INTO settings(k,v) VALUES('x','y')",
    "UPDATE items SET title='pwned'",
    "DELETE FROM items",
    "REPLACE INTO settings(k,v) VALUES('x','y')",
    "DROP TABLE items",
    "CREATE TABLE t(x)",
    "CREATE TEMP TABLE t(x)",
    "CREATE INDEX i ON items(title)",
    "ALTER TABLE items ADD COLUMN x",
    "ATTACH DATABASE ':memory:' AS x",
    "ATTACH '/tmp/hub_console_attach.db' AS x",
    "DETACH x",
    "PRAGMA user_version = 5",
    "PRAGMA user_version=5",
    "PRAGMA main.user_version = 5",
    "PRAGMA user_version(5)",
    "PRAGMA query_only = 0",
    "PRAGMA query_only=OFF",
    "PRAGMA journal_mode = DELETE",
    "PRAGMA foreign_keys = 0",
    "PRAGMA wal_checkpoint",
    "PRAGMA optimize",
    "PRAGMA temp.page_count",
    "PRAGMA page_count; DELETE FROM items",
    "VACUUM",
    "VACUUM INTO '/tmp/hub_console_vacuum.db'",
    "BEGIN",
    "BEGIN; DELETE FROM items; COMMIT",
    "COMMIT",
    "SAVEPOINT a",
    "RELEASE a",
    "REINDEX",
    "ANALYZE",
    "SELECT 1; DELETE FROM items",
    "SELECT 1;DELETE FROM items;",
    "SELECT 1; -- a comment\n DELETE FROM items",
    "SELECT 1 /* ; */; UPDATE items SET title = ''",
    "WITH x AS (SELECT 1) DELETE FROM items",
    "WITH x AS (SELECT 1) INSERT INTO settings(k,v) SELECT 'a','b' FROM x",
    "WITH x AS (SELECT 1) UPDATE items SET title = 'x'",
    "/* comment */ DELETE FROM items",
    "-- comment\nDELETE FROM items",
    " ;; DELETE FROM items",
    "delete from items",
    "SELECT * FROM items; ATTACH ':memory:' AS x",
    "CREATE TRIGGER t AFTER INSERT ON items BEGIN DELETE FROM items; END",
    "INSERT INTO saved_queries(name,sql) VALUES('x','SELECT 1') RETURNING id",
    "SELECT load_extension('/tmp/x')",
};

static void sql_ok(hub *h, const char *sql, const char *what) {
  cJSON *req = cJSON_CreateObject(), *r;
  char *t, *out;
  cJSON_AddStringToObject(req, "cmd", "sql");
  cJSON_AddStringToObject(req, "sql", sql);
  t = cJSON_PrintUnformatted(req);
  out = hub_call(h, t);
  r = cJSON_Parse(out);
  CHECK(r && !is_error(r, NULL) && cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(r, "rows")), "%s runs: %s", what,
        out);
  hub_free(out);
  hub_free(t);
  cJSON_Delete(r);
  cJSON_Delete(req);
}

/* Runs sql; returns the parsed answer. */
static cJSON *sql_run(hub *h, const char *sql, int limit) {
  cJSON *req = cJSON_CreateObject(), *r;
  char *t, *out;
  cJSON_AddStringToObject(req, "cmd", "sql");
  cJSON_AddStringToObject(req, "sql", sql);
  if (limit) cJSON_AddNumberToObject(req, "limit", limit);
  t = cJSON_PrintUnformatted(req);
  out = hub_call(h, t);
  r = cJSON_Parse(out);
  hub_free(out);
  hub_free(t);
  cJSON_Delete(req);
  return r;
}

static void test_sql_refusals(void) {
  int64_t now;
  hub *h = synced(":memory:", &now);
  char *before = db_hash(h), *after;
  size_t i;
  cJSON *r;
  unlink("/tmp/hub_console_vacuum.db");
  unlink("/tmp/hub_console_attach.db");
  for (i = 0; i < sizeof writes / sizeof writes[0]; i++) {
    r = sql_run(h, writes[i], 0);
    CHECK(is_error(r, NULL), "refused: %s", writes[i]);
    if (strncmp(writes[i], "SELECT load_extension", 21) != 0)
      CHECK(is_error(r, "readonly") && strstr(tu_str(r, "error.message"), "refused"),
            "refused as read-only with a clear message: %s → %s", writes[i], tu_str(r, "error.message"));
    CHECK(sqlite3_get_autocommit(h->db), "no transaction left open by: %s", writes[i]);
    cJSON_Delete(r);
  }
  after = db_hash(h);
  CHECK(strcmp(before, after) == 0, "the database is unchanged after %zu write attempts", sizeof writes / sizeof writes[0]);
  CHECK(access("/tmp/hub_console_vacuum.db", F_OK) != 0, "VACUUM INTO wrote no file");
  CHECK(access("/tmp/hub_console_attach.db", F_OK) != 0, "ATTACH created no file");
  CHECK(hub__db_int(h, "PRAGMA query_only", NULL, -1) == 0, "query_only is off again");
  hub_free(before);
  hub_free(after);
  /* the core's own writes still work afterwards */
  r = tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"github_user\":\"someone\"}}");
  CHECK(!is_error(r, NULL), "a write command works after the SQL console");
  cJSON_Delete(r);
  /* reads that must work */
  sql_ok(h, "SELECT count(*) FROM items", "SELECT");
  sql_ok(h, "  select key from items order by key limit 3;", "lower-case SELECT with a semicolon");
  sql_ok(h, "VALUES (1, 'a'), (2, 'b')", "VALUES");
  sql_ok(h, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10) SELECT sum(x) FROM c", "a CTE");
  sql_ok(h, "PRAGMA page_count", "PRAGMA page_count");
  sql_ok(h, "PRAGMA main.page_size", "PRAGMA main.page_size");
  sql_ok(h, "PRAGMA quick_check(1)", "PRAGMA quick_check(1)");
  sql_ok(h, "PRAGMA user_version;", "PRAGMA user_version");
  sql_ok(h, "-- why\nSELECT 1 /* x */ ; -- done", "comments around a statement");
  r = sql_run(h, "", 0);
  CHECK(is_error(r, "bad_request"), "an empty statement is a bad request");
  cJSON_Delete(r);
  r = sql_run(h, "SELEKT 1", 0);
  CHECK(is_error(r, "readonly"), "an unknown first word is refused");
  cJSON_Delete(r);
  r = sql_run(h, "SELECT * FROM nowhere", 0);
  CHECK(is_error(r, "bad_request") && strstr(tu_str(r, "error.message"), "no such table"), "SQLite's message for a bad query");
  cJSON_Delete(r);
  hub_close(h);
}

static void test_sql_caps(void) {
  hub *h = open_db(":memory:");
  cJSON *r;
  r = sql_run(h, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c", 0);
  CHECK(is_error(r, "too_big") && strstr(tu_str(r, "error.message"), "stopped after"), "the runaway query stops at the cap: %s",
        tu_str(r, "error.message"));
  cJSON_Delete(r);
  r = sql_run(h, "SELECT 42 AS answer", 0);
  CHECK(tu_num(r, "rows.0.0") == 42 && strcmp(tu_str(r, "columns.0"), "answer") == 0, "a query after the cap runs");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"github_user\":\"after-cap\"}}");
  CHECK(!is_error(r, NULL), "writes work after the cap (query_only restored)");
  cJSON_Delete(r);
  r = sql_run(h, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 10000) SELECT x FROM c", 100);
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "rows")) == 100 && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "truncated")),
        "the row cap: 100 rows, truncated");
  cJSON_Delete(r);
  r = sql_run(h, "SELECT 4611686018427387904, 1.5, NULL, x'00ff10', CAST(x'41ff42' AS TEXT), 'a\"b'", 0);
  CHECK(tu_str(r, "rows.0.0") && strcmp(tu_str(r, "rows.0.0"), "4611686018427387904") == 0, "2^62 as an exact string");
  CHECK(tu_num(r, "rows.0.1") == 1.5, "a real");
  CHECK(cJSON_IsNull(cJSON_GetArrayItem(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "rows"), 0), 2)), "NULL");
  CHECK(tu_str(r, "rows.0.3.blob") && strcmp(tu_str(r, "rows.0.3.blob"), "00ff10") == 0 && tu_num(r, "rows.0.3.bytes") == 3,
        "a blob as hex");
  CHECK(tu_str(r, "rows.0.4") && strcmp(tu_str(r, "rows.0.4"), "A\xef\xbf\xbd" "B") == 0, "invalid UTF-8 repaired");
  cJSON_Delete(r);
  r = sql_run(h, "SELECT zeroblob(100000000)", 0);
  CHECK(is_error(r, "bad_request"), "a value over the length limit is refused, not allocated");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"sql\",\"sql\":\"SELECT 1\",\"limit\":0}");
  CHECK(is_error(r, "bad_type"), "limit 0 refused");
  cJSON_Delete(r);
  /* saved queries */
  r = tu_call(h, "{\"cmd\":\"saved_queries\"}");
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "queries")) >= 5 && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
                                                                                     cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "queries"), 0), "builtin")),
        "the defaults ship as builtin saved queries");
  {
    const cJSON *q;
    cJSON_ArrayForEach(q, cJSON_GetObjectItemCaseSensitive(r, "queries")) {
      cJSON *x = sql_run(h, tu_str(q, "sql"), 0);
      CHECK(!is_error(x, NULL), "the saved query \"%s\" runs: %s", tu_str(q, "name"), tu_str(x, "error.message"));
      cJSON_Delete(x);
    }
  }
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"saved_queries\",\"set\":{\"name\":\"mine\",\"sql\":\"SELECT 2\"}}");
  CHECK(!is_error(r, NULL), "save a query");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"saved_queries\",\"set\":{\"name\":\"bad\",\"sql\":\"DELETE FROM items\"}}");
  CHECK(is_error(r, "readonly"), "a writing query cannot be saved");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"saved_queries\",\"set\":{\"name\":\"Top cards\",\"sql\":\"SELECT 3\"}}");
  CHECK(is_error(r, "bad_request"), "a builtin query cannot be overwritten");
  cJSON_Delete(r);
  CHECK(tu_count(h, "SELECT count(*) FROM saved_queries WHERE name='mine' AND sql='SELECT 2'") == 1, "saved");
  r = tu_call(h, "{\"cmd\":\"saved_queries\",\"set\":{\"name\":\"mine\",\"sql\":null}}");
  CHECK(!is_error(r, NULL) && tu_count(h, "SELECT count(*) FROM saved_queries WHERE name='mine'") == 0, "deleted");
  cJSON_Delete(r);
  hub_close(h);
}

/* ---- bootstrap ------------------------------------------------------------------------------- */

static void test_bootstrap(void) {
  hub__ope_row rows[100];
  hub__ope_ci a, b;
  double v[4] = {1, 2, 3, 4};
  int i;
  CHECK(hub__quantile(v, 4, 0.5) == 2.5 && hub__quantile(v, 4, 0.25) == 1.75 && hub__quantile(v, 4, 1) == 4,
        "quantiles by linear interpolation (type 7)");
  /* constant rewards: the interval is the point */
  for (i = 0; i < 10; i++) rows[i] = (hub__ope_row){0, 0, 0.7, 0.5, 0.5};
  CHECK(hub__ope_bootstrap(rows, 10, 500, 0.95, 1, &a) == 0, "bootstrap runs");
  CHECK(a.ipw.ok && fabs(a.ipw.lo - 0.7) < 1e-12 && fabs(a.ipw.hi - 0.7) < 1e-12, "constant rewards: IPW [0.7, 0.7] (%g, %g)",
        a.ipw.lo, a.ipw.hi);
  CHECK(a.snipw.ok && fabs(a.snipw.lo - 0.7) < 1e-12 && a.replay.ok && fabs(a.replay.hi - 0.7) < 1e-12, "and SNIPW, replay");
  /* two rows, rewards 0 and 1: resample means are 0, ½, 1 with chances ¼, ½, ¼ → [0, 1] */
  rows[0] = (hub__ope_row){0, 0, 0, 1, 1};
  rows[1] = (hub__ope_row){0, 0, 1, 1, 1};
  CHECK(hub__ope_bootstrap(rows, 2, 1000, 0.95, 7, &a) == 0 && a.ipw.lo == 0 && a.ipw.hi == 1 && a.replay.lo == 0 &&
            a.replay.hi == 1 && a.snipw.lo == 0 && a.snipw.hi == 1,
        "two rows: exactly [0, 1] (%g, %g)", a.ipw.lo, a.ipw.hi);
  CHECK(hub__ope_bootstrap(rows, 2, 1000, 0.4, 7, &a) == 0 && a.ipw.lo == 0.5 && a.ipw.hi == 0.5,
        "two rows at level 0.4: exactly [½, ½] (%g, %g)", a.ipw.lo, a.ipw.hi);
  /* 50 ones and 50 zeros: mean 0.5, standard error 0.05 → about 0.5 ± 1.96·0.05 */
  for (i = 0; i < 100; i++) rows[i] = (hub__ope_row){0, 0, i % 2, 1, 1};
  CHECK(hub__ope_bootstrap(rows, 100, 2000, 0.95, 42, &a) == 0, "bootstrap of 100 rows");
  CHECK(fabs(a.ipw.lo - 0.402) < 0.02 && fabs(a.ipw.hi - 0.598) < 0.02, "50/50: IPW near [0.402, 0.598]: [%.4f, %.4f]",
        a.ipw.lo, a.ipw.hi);
  CHECK(a.ipw.lo == 0.4 && a.ipw.hi == 0.6, "seed 42's interval is [0.40, 0.60] (known answer): [%.17g, %.17g]", a.ipw.lo,
        a.ipw.hi);
  CHECK(hub__ope_bootstrap(rows, 100, 2000, 0.95, 42, &b) == 0 && memcmp(&a, &b, sizeof a) == 0, "the same seed, the same interval");
  CHECK(hub__ope_bootstrap(rows, 100, 2000, 0.95, 43, &b) == 0 && fabs(b.ipw.lo - 0.402) < 0.02 && fabs(b.ipw.hi - 0.598) < 0.02,
        "another seed, near the same interval [%.4f, %.4f]", b.ipw.lo, b.ipw.hi);
  /* importance weights: the logging policy picked with p = ½, the target always (π = 1) */
  for (i = 0; i < 100; i++) rows[i] = (hub__ope_row){0, 0, 1, 0.5, 1};
  CHECK(hub__ope_bootstrap(rows, 100, 300, 0.95, 1, &a) == 0 && a.ipw.lo == 2 && a.ipw.hi == 2 && a.snipw.lo == 1 &&
            a.snipw.hi == 1,
        "weights 2: IPW [2, 2], SNIPW [1, 1]");
  /* a target that never agrees: replay undefined, IPW 0 */
  for (i = 0; i < 20; i++) rows[i] = (hub__ope_row){0, 1, 1, 0.5, 0};
  CHECK(hub__ope_bootstrap(rows, 20, 300, 0.95, 1, &a) == 0 && !a.replay.ok && a.ipw.ok && a.ipw.lo == 0 && a.ipw.hi == 0 &&
            !a.snipw.ok,
        "no agreement: replay and SNIPW undefined, IPW [0, 0]");
  CHECK(hub__ope_bootstrap(rows, 0, 300, 0.95, 1, &a) == 0 && !a.ipw.ok && a.resamples == 0, "an empty log: no interval");
  CHECK(hub__ope_bootstrap(rows, 20, 0, 0.95, 1, &a) == -1 && hub__ope_bootstrap(rows, 20, 10, 1.0, 1, &a) == -1,
        "bad arguments refused");
}

/* ---- events ----------------------------------------------------------------------------------- */

static void test_events(void) {
  hub *h = open_db(":memory:");
  cJSON *r;
  char big[1000];
  int i;
  for (i = 0; i < 700; i++) hub__event(h, i % 2 ? "sync.answer" : "item.new", i % 7 ? "github.com/o/r#1" : "other", T0 + i, "ii", "n", (int64_t)i, "odd", (int64_t)(i % 2));
  r = tu_call(h, "{\"cmd\":\"events\",\"limit\":500}");
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "events")) == 500 && tu_num(r, "last") == 700 &&
            tu_num(r, "first") == 201 && tu_num(r, "lost") == 200,
        "the ring keeps the newest 500 of 700");
  CHECK(tu_num(r, "events.0.seq") == 201 && tu_num(r, "events.499.seq") == 700 && tu_num(r, "events.499.data.n") == 699 &&
            tu_num(r, "events.499.at") == (double)(T0 + 699),
        "oldest first, with data and time");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"events\",\"since\":690,\"kind\":\"sync\"}");
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "events")) == 5 && strcmp(tu_str(r, "events.0.kind"), "sync.answer") == 0,
        "since + kind prefix");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"events\",\"item\":\"OTHER\",\"limit\":3}");
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "events")) == 3 && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "more")) &&
            tu_num(r, "events.2.seq") == 694 && tu_num(r, "events.0.seq") == 680,
        "item filter (case-insensitive), newest three");
  cJSON_Delete(r);
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = 0;
  big[300] = (char)0xc3; /* a character across the cut */
  big[301] = (char)0xa9;
  hub__event(h, "error", big, 0, "tt", "message", big, "code", "x\"y\n");
  r = tu_call(h, "{\"cmd\":\"events\",\"since\":700}");
  CHECK(tu_str(r, "events.0.item") && strlen(tu_str(r, "events.0.item")) < HUB_EVENT_ITEM &&
            hub__utf8_valid(tu_str(r, "events.0.item"), strlen(tu_str(r, "events.0.item"))) &&
            strstr(tu_str(r, "events.0.item"), "\xe2\x80\xa6"),
        "a long item is cut with an ellipsis, still UTF-8");
  CHECK(tu_str(r, "events.0.data.message") && strstr(tu_str(r, "events.0.data.message"), "\xe2\x80\xa6") &&
            tu_num(r, "events.0.at") == (double)(T0 + 699),
        "a long value is cut; an unknown time is the latest known");
  cJSON_Delete(r);
  hub_close(h);
}

/* The hooks: a sync, tips and reactions, an error. */
static void test_event_hooks(void) {
  int64_t now;
  hub *h = synced(":memory:", &now);
  cJSON *r, *e;
  int req = 0, ans = 0, done = 0, items = 0, served = 0, reacted = 0, err = 0, i;
  long decision;
  for (i = 0; i < 3; i++) {
    r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld,\"seed\":%d}", (long long)now + i, i + 1);
    decision = (long)tu_num(r, "decision");
    cJSON_Delete(r);
    r = tu_call(h, "{\"cmd\":\"tip_feedback\",\"decision\":%ld,\"now\":%lld,\"reaction\":\"dismiss\"}", decision,
                (long long)now + i);
    cJSON_Delete(r);
  }
  cJSON_Delete(tu_call(h, "{\"cmd\":\"card\",\"key\":\"nothing\",\"now\":1}"));
  r = tu_call(h, "{\"cmd\":\"events\",\"limit\":500}");
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(r, "events")) {
    const char *k = tu_str(e, "kind");
    req += strcmp(k, "sync.request") == 0;
    ans += strcmp(k, "sync.answer") == 0 && tu_num(e, "data.status") >= 200 && tu_num(e, "data.bytes") >= 0;
    done += strcmp(k, "sync.done") == 0 && strcmp(tu_str(e, "data.status"), "ok") == 0;
    items += strcmp(k, "item.new") == 0 && strcmp(tu_str(e, "data.source"), "github") == 0;
    served += strcmp(k, "tip.served") == 0 && tu_str(e, "item") && tu_str(e, "data.policy");
    reacted += strcmp(k, "tip.reaction") == 0 && strcmp(tu_str(e, "data.reaction"), "dismiss") == 0 && tu_str(e, "item") &&
               tu_num(e, "data.reward") == -1;
    err += strcmp(k, "error") == 0 && strcmp(tu_str(e, "item"), "card") == 0 && strcmp(tu_str(e, "data.code"), "not_found") == 0;
  }
  CHECK(req > 0 && req == ans, "every request planned was answered (%d, %d)", req, ans);
  CHECK(done == 1, "one sync.done");
  CHECK(items == (int)tu_count(h, "SELECT count(*) FROM items WHERE source='github'"), "one item.new per item (%d)", items);
  CHECK(served == 3 && reacted == 3, "tips served and reactions (%d, %d)", served, reacted);
  CHECK(err == 1, "a failed command is an error event");
  cJSON_Delete(r);
  hub_close(h);
}

/* ---- the tip's console commands ----------------------------------------------------------------- */

static const char *const reactions[] = {"done", "dismiss", "helpful", "not_helpful", "snooze"};

static void test_tip_console(void) {
  int64_t now;
  hub *h = synced(":memory:", &now);
  cJSON *r, *d;
  int i, seen = 0;
  long total_reactions = 0;
  double reward_sum = 0, cum = 0, ope_ipw = 0;
  int64_t before = 0;
  for (i = 0; i < 12; i++) {
    long decision;
    r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld,\"seed\":%d}", (long long)now + i * 3600000LL, i + 1);
    decision = (long)tu_num(r, "decision");
    cJSON_Delete(r);
    if (i == 11) break; /* the last one without a reaction */
    r = tu_call(h, "{\"cmd\":\"tip_feedback\",\"decision\":%ld,\"now\":%lld,\"reaction\":\"%s\",\"latency_us\":%d}", decision,
                (long long)now + i * 3600000LL + 1000, reactions[i % 5], 100 + i);
    reward_sum += tu_num(r, "reward");
    total_reactions++;
    cJSON_Delete(r);
  }
  /* tip_log: paging over every decision once, newest first */
  do {
    r = before ? tu_call(h, "{\"cmd\":\"tip_log\",\"limit\":5,\"before\":%lld}", (long long)before)
               : tu_call(h, "{\"cmd\":\"tip_log\",\"limit\":5}");
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(r, "decisions")) {
      const cJSON *b;
      int beat_ok = 1;
      double last = INFINITY;
      seen++;
      CHECK(tu_num(d, "decision") == 12 - seen + 1, "newest first (%g)", tu_num(d, "decision"));
      cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(d, "beat")) {
        beat_ok &= strcmp(tu_str(b, "key"), tu_str(d, "key")) != 0 && tu_num(b, "score") <= last;
        last = tu_num(b, "score");
      }
      CHECK(beat_ok && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d, "beat")) == 5, "five runners-up, by score, not the tip");
      CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d, "features")) == HUB_TIP_D && tu_num(d, "features.bias") > 0,
            "the features by name");
      CHECK(strcmp(tu_str(d, "policy"), "linucb") != 0 || tu_num(d, "bonus") > 0, "LinUCB's bonus is logged");
      CHECK(tu_num(d, "propensity") > 0 && tu_num(d, "candidates") > 5 && tu_str(d, "title"), "propensity, candidates, title");
      if (tu_num(d, "decision") == 12)
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d, "reactions")) == 0 && cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(d, "reward")),
              "the last tip has no reaction yet");
      else
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d, "reactions")) == 1 && tu_num(d, "latency_us") >= 100,
              "a reaction and the latency");
    }
    before = cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(r, "next_before")) ? (int64_t)tu_num(r, "next_before") : 0;
    CHECK(tu_num(r, "total") == 12, "total 12");
    cJSON_Delete(r);
  } while (before);
  CHECK(seen == 12, "paging saw every decision once (%d)", seen);
  /* console_bandit */
  r = tu_call(h, "{\"cmd\":\"console_bandit\",\"recent\":12}");
  CHECK(tu_num(r, "policies.0.pulls") + tu_num(r, "policies.1.pulls") + tu_num(r, "policies.2.pulls") == 12, "pulls add up");
  CHECK(tu_num(r, "model.updates") == 11 && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "widths")) == 12 &&
            strcmp(tu_str(r, "model.features.4.name"), "review") == 0,
        "θ by feature, eleven updates, widths of the last 12");
  CHECK(tu_num(r, "widths.0.width_now") > 0 && tu_num(r, "widths.0.bonus") > 0, "confidence widths now and logged");
  cJSON_Delete(r);
  /* tip_analytics */
  r = tu_call(h, "{\"cmd\":\"tip_analytics\",\"resamples\":200}");
  {
    const cJSON *day, *c;
    long counted = 0;
    cJSON_ArrayForEach(day, cJSON_GetObjectItemCaseSensitive(r, "reactions_by_day"))
      cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(day, "counts")) counted += (long)c->valuedouble;
    CHECK(counted == total_reactions, "reactions per day add up (%ld)", counted);
    day = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "reward_by_day"),
                             cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "reward_by_day")) - 1);
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(day, "policies")) cum += tu_num(c, "cumulative");
    CHECK(fabs(cum - reward_sum) < 1e-9, "the cumulative rewards end at the total reward (%g, %g)", cum, reward_sum);
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(r, "ope")) {
      hub__ope o;
      hub__ope_log(h, "octocat", tu_str(c, "policy"), &o);
      CHECK(tu_num(c, "events") == (double)o.n && fabs(tu_num(c, "ipw") - o.ipw) < 1e-12, "OPE of %s as tip_eval computes it",
            tu_str(c, "policy"));
      if (o.n > 0)
        CHECK(tu_num(c, "ci.ipw.0") <= tu_num(c, "ci.ipw.1"), "an interval for %s", tu_str(c, "policy"));
      ope_ipw += o.ipw;
    }
  }
  {
    cJSON *pol = tu_call(h, "{\"cmd\":\"tip_policies\"}");
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "ope")) == cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(pol, "policies")) &&
              isfinite(ope_ipw),
          "every policy evaluated");
    cJSON_Delete(pol);
  }
  cJSON_Delete(r);
  hub_close(h);
}

/* ---- data quality, health ----------------------------------------------------------------------- */

static void test_quality_health(void) {
  int64_t now;
  hub *h = synced(":memory:", &now);
  cJSON *r;
  r = tu_call(h, "{\"cmd\":\"data_quality\"}");
  CHECK(tu_num(r, "items.open") == (double)tu_count(h, "SELECT count(*) FROM items WHERE state='open'") &&
            tu_num(r, "items.without_body") == (double)tu_count(h, "SELECT count(*) FROM items WHERE body IS NULL OR body=''"),
        "items: open, without bodies");
  CHECK(tu_num(r, "validators.total") == (double)tu_count(h, "SELECT count(*) FROM validators") && tu_num(r, "validators.total") > 0 &&
            tu_num(r, "validators.other_credential") == 0,
        "validators, none stale");
  CHECK(tu_num(r, "syncs_by_day.0.runs") == 1 && tu_num(r, "syncs_by_day.0.complete") == 1, "one complete sync today");
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "limits"), "resources")) > 0 &&
            tu_num(r, "limits.resources.0.headroom") > 0 && tu_num(r, "limits.resources.0.headroom") <= 1,
        "rate-limit headroom per resource");
  {
    const cJSON *src, *gh = NULL;
    cJSON_ArrayForEach(src, cJSON_GetObjectItemCaseSensitive(r, "sources"))
      if (tu_str(src, "source") && strcmp(tu_str(src, "source"), "github") == 0) gh = src;
    CHECK(gh && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(gh, "failed")), "GitHub's last run did not fail");
  }
  cJSON_Delete(r);
  cJSON_Delete(tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"github_token\":\"another-token\"}}"));
  r = tu_call(h, "{\"cmd\":\"data_quality\"}");
  CHECK(tu_num(r, "validators.other_credential") == tu_num(r, "validators.total"), "a new token leaves the old validators stale");
  cJSON_Delete(r);
  /* no token stored (the page keeps it in its vault and gives it per run): the latest run's
   * credential is the current one */
  cJSON_Delete(tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"github_token\":null}}"));
  r = tu_call(h, "{\"cmd\":\"data_quality\"}");
  CHECK(tu_num(r, "validators.total") > 0 && tu_num(r, "validators.other_credential") == 0,
        "with the token given per run, the latest run's validators are not stale");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"health\"}");
  CHECK(tu_num(r, "db.bytes") == tu_num(r, "db.page_count") * tu_num(r, "db.page_size") && tu_num(r, "db.bytes") > 0,
        "size = page_count × page_size");
  CHECK(tu_num(r, "tables.items") == (double)tu_count(h, "SELECT count(*) FROM items") && tu_num(r, "outbox.depth") == 0 &&
            cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r, "queue")) && tu_num(r, "runs.0.id") == 1,
        "tables, outbox, queue, runs");
  cJSON_Delete(r);
  hub_close(h);
}

/* ---- export, purge, import ---------------------------------------------------------------------- */

static char *raw_call(hub *h, const char *req) {
  return hub_call(h, req);
}

static char *cards_text(hub *h) {
  cJSON *r = tu_call(h, "{\"cmd\":\"cards\",\"now\":%lld,\"limit\":200}", T0 + 86400000LL);
  char *t = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(r, "cards"));
  cJSON_Delete(r);
  return t;
}

static void test_your_data(void) {
  char path[] = "/tmp/hub_console_test_XXXXXX", dbpath[300];
  int fd = mkstemp(path);
  int64_t now;
  hub *h;
  cJSON *ex, *r, *bad;
  char *cards0, *cards1, *text, *ex2text;
  long decision;
  if (fd >= 0) close(fd);
  snprintf(dbpath, sizeof dbpath, "%s.db", path);
  unlink(dbpath);
  h = synced(dbpath, &now);
  r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld,\"seed\":5}", (long long)now);
  decision = (long)tu_num(r, "decision");
  cJSON_Delete(r);
  cJSON_Delete(tu_call(h, "{\"cmd\":\"tip_feedback\",\"decision\":%ld,\"now\":%lld,\"reaction\":\"done\"}", decision, (long long)now));
  cards0 = cards_text(h);
  text = raw_call(h, "{\"cmd\":\"export\",\"now\":1700000000000}"); /* as the page gets it: reals to the bit */
  ex = cJSON_Parse(text);
  CHECK(text && !strstr(text, "demo-token") && strstr(text, "octocat"), "the export holds no token (but the user)");
  CHECK(!cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ex, "tables"), "validators") &&
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ex, "tables"), "tip_models") &&
            tu_str(ex, "tables.tip_models.rows.0.3.$blob"),
        "no validators; the model as a blob");
  r = tu_call(h, "{\"cmd\":\"purge\"}");
  CHECK(is_error(r, "bad_request"), "purge asks for confirmation");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"purge\",\"confirm\":true}");
  CHECK(!is_error(r, NULL) && tu_num(r, "rows") > 0, "purge");
  cJSON_Delete(r);
  CHECK(tu_count(h, "SELECT count(*) FROM items") == 0 && tu_count(h, "SELECT count(*) FROM validators") == 0 &&
            tu_count(h, "SELECT count(*) FROM settings") == 0 && tu_count(h, "SELECT count(*) FROM tip_decisions") == 0 &&
            tu_count(h, "SELECT count(*) FROM runs") == 0,
        "everything deleted, validators and the token too");
  CHECK(tu_count(h, "SELECT count(*) FROM saved_queries WHERE builtin=1") >= 5, "the builtin queries stay");
  r = tu_call(h, "{\"cmd\":\"events\"}");
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "events")) == 1 && strcmp(tu_str(r, "events.0.kind"), "data.purge") == 0,
        "the events are forgotten too, but for the purge itself");
  cJSON_Delete(r);
  /* a bad import changes nothing */
  bad = cJSON_Duplicate(ex, 1);
  cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(bad, "tables"), "tip_reactions"), "rows"),
                       cJSON_CreateArray());
  {
    cJSON *req = cJSON_CreateObject();
    char *t, *out;
    cJSON_AddStringToObject(req, "cmd", "import");
    cJSON_AddItemToObject(req, "data", bad);
    t = cJSON_PrintUnformatted(req);
    out = hub_call(h, t);
    r = cJSON_Parse(out);
    CHECK(is_error(r, "bad_request") && tu_count(h, "SELECT count(*) FROM items") == 0, "a malformed row: refused, nothing written");
    cJSON_Delete(r);
    hub_free(out);
    hub_free(t);
    cJSON_DeleteItemFromObject(req, "data");
    cJSON_AddItemToObject(req, "data", cJSON_Parse("{\"hub_export\":1,\"schema\":1,\"tables\":{\"items; DROP TABLE x\":{\"columns\":[\"id\"],\"rows\":[]}}}"));
    t = cJSON_PrintUnformatted(req);
    out = hub_call(h, t);
    r = cJSON_Parse(out);
    CHECK(is_error(r, NULL) && strstr(tu_str(r, "error.message"), "does not have"), "an unknown table is refused");
    cJSON_Delete(r);
    hub_free(out);
    hub_free(t);
    cJSON_DeleteItemFromObject(req, "data");
    cJSON_AddItemToObject(req, "data", cJSON_Parse("{\"hub_export\":1,\"schema\":1,\"tables\":{\"items\":{\"columns\":[\"id\\\" ) --\"],\"rows\":[]}}}"));
    t = cJSON_PrintUnformatted(req);
    out = hub_call(h, t);
    r = cJSON_Parse(out);
    CHECK(is_error(r, NULL) && strstr(tu_str(r, "error.message"), "no column"), "an unknown column is refused");
    cJSON_Delete(r);
    hub_free(out);
    hub_free(t);
    cJSON_DeleteItemFromObject(req, "data");
    cJSON_AddItemToObject(req, "data", cJSON_Parse("{\"hub_export\":1,\"schema\":999,\"tables\":{}}"));
    t = cJSON_PrintUnformatted(req);
    out = hub_call(h, t);
    r = cJSON_Parse(out);
    CHECK(is_error(r, NULL) && strstr(tu_str(r, "error.message"), "newer"), "an export from a newer hub is refused");
    cJSON_Delete(r);
    hub_free(out);
    hub_free(t);
    cJSON_Delete(req);
  }
  /* the real import restores the same cards */
  {
    char *t = hub__printf("{\"cmd\":\"import\",\"data\":%s}", text), *out = hub_call(h, t);
    r = cJSON_Parse(out);
    CHECK(!is_error(r, NULL) && tu_num(r, "rows") > 0, "import: %s", tu_str(r, "error.message") ? tu_str(r, "error.message") : "ok");
    cJSON_Delete(r);
    hub_free(out);
    hub_free(t);
  }
  cards1 = cards_text(h);
  CHECK(cards0 && cards1 && strcmp(cards0, cards1) == 0, "export → delete → import restores the same cards");
  ex2text = raw_call(h, "{\"cmd\":\"export\",\"now\":1700000000000}");
  {
    size_t at = 0;
    while (ex2text && text[at] && text[at] == ex2text[at]) at++;
    CHECK(ex2text && strcmp(ex2text, text) == 0, "and the same export, model and log included (first difference at %zu: …%.160s… vs …%.160s…)",
          at, text + (at > 80 ? at - 80 : 0), ex2text ? ex2text + (at > 80 ? at - 80 : 0) : "");
  }
  r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld,\"seed\":5}", (long long)now + 1);
  CHECK(!is_error(r, NULL) && tu_num(r, "decision") == (double)(decision + 1), "the log goes on after the import");
  cJSON_Delete(r);
  hub_close(h);
  /* the file holds none of the purged text once purged (secure_delete) */
  h = open_db(dbpath);
  r = tu_call(h, "{\"cmd\":\"purge\",\"confirm\":true}");
  CHECK(!is_error(r, NULL) && tu_num(r, "rows") > 0, "purge after reopening: %s", tu_str(r, "error.message"));
  cJSON_Delete(r);
  hub_close(h);
  {
    size_t len = 0;
    char *file = tu_read_file(dbpath, &len);
    const char *needle = "octocat/Hello-World";
    int found = 0;
    size_t i, n = strlen(needle);
    for (i = 0; file && i + n <= len; i++) found |= memcmp(file + i, needle, n) == 0;
    CHECK(file && !found, "no trace of the items in the file after a purge");
    free(file);
  }
  unlink(dbpath);
  {
    char wal[320];
    snprintf(wal, sizeof wal, "%s-wal", dbpath);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", dbpath);
    unlink(wal);
  }
  hub_free(text);
  hub_free(ex2text);
  hub_free(cards0);
  hub_free(cards1);
  cJSON_Delete(ex);
}

int main(void) {
  test_sql_refusals();
  test_sql_caps();
  test_bootstrap();
  test_events();
  test_event_hooks();
  test_tip_console();
  test_quality_health();
  test_your_data();
  printf("console tests: %d passed, %d failed\n", tu_passed, tu_failed);
  return tu_failed ? 1 : 0;
}
