/*
 * query_test.c — tests of the inbox search language (src/api/query.c): a table of queries and
 * the exact WHERE / ORDER BY / parameters they compile to; a table of malformed queries and
 * their message and byte position; the default hide filter and flags; every compiled query run
 * against a real SQLite :memory: database holding the default schema's tables, with hostile
 * values (SQL, quotes, backslashes, % and _, NUL bytes, 10 KB, UTF-8) returning exactly the
 * expected rows; failed allocations; and 100k random inputs that must never crash.
 *
 * Linked with query.c, mem.c, util.c, SQLite and cJSON only (no hub_open).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "api/query.h"


/* SQL fragments of the default schema as the compiler wraps them */
#define LABEL                                                                                   \
  "(instr(replace(replace(lower(i.labels), '\\\\', char(1)), '\\\"', char(2)), "                \
  "replace(replace(lower(?), '\\\\', char(1)), '\\\"', char(2))) > 0)"
#define TEXT "(i.title LIKE ? ESCAPE '\\' OR i.body LIKE ? ESCAPE '\\')"
#define REASON "(EXISTS (SELECT 1 FROM item_reasons r WHERE r.item_id = i.id AND r.code = ?))"
#define HIDE                                                                                    \
  "((t.done_at IS NULL OR coalesce(i.updated_at, 0) * 1000 > t.done_at)"                      \
  " AND coalesce(t.snoozed_until, 0) <= :now AND coalesce(t.muted, 0) = 0 AND coalesce(t.dismissed, 0) = 0)"
#define BYRANK "i.rank DESC, i.id"
#define DONE "(t.done_at IS NOT NULL AND coalesce(i.updated_at, 0) * 1000 <= t.done_at)"

/* Parameters joined with " | " (test values never contain it). New string (free()). */
static char *join_params(const hub__query *q) {
  size_t i, n = 1;
  char *s;
  for (i = 0; i < q->nparams; i++) n += strlen(q->params[i]) + 3;
  s = malloc(n);
  if (!s) abort();
  s[0] = 0;
  for (i = 0; i < q->nparams; i++) {
    if (i) strcat(s, " | ");
    strcat(s, q->params[i]);
  }
  return s;
}

/* ---- queries → SQL text ----------------------------------------------------------------- */

static void test_compile_table(void) {
  static const struct { const char *q, *where, *order, *params; } cases[] = {
      {"", "1", BYRANK, ""},
      {"  \t\n ", "1", BYRANK, ""},
      {"repo:octo/hub", "(i.repo = ? COLLATE NOCASE)", BYRANK, "octo/hub"},
      {"REPO:Octo/Hub", "(i.repo = ? COLLATE NOCASE)", BYRANK, "Octo/Hub"},
      {"repo:hub", "(i.repo LIKE ? ESCAPE '\\')", BYRANK, "%/hub"},
      {"repo:my_repo%", "(i.repo LIKE ? ESCAPE '\\')", BYRANK, "%/my\\_repo\\%"},
      {"org:octo", "(i.repo LIKE ? ESCAPE '\\')", BYRANK, "octo/%"},
      {"org:a_b\\", "(i.repo LIKE ? ESCAPE '\\')", BYRANK, "a\\_b\\\\/%"},
      {"author:alice", "(i.author = ? COLLATE NOCASE)", BYRANK, "alice"},
      {"label:bug", LABEL, BYRANK, "\"bug\""},
      {"label:\"good first issue\"", LABEL, BYRANK, "\"good first issue\""},
      {"label:\"say \\\"hi\\\"\"", LABEL, BYRANK, "\"say \\\"hi\\\"\""},
      {"label:a\\b", LABEL, BYRANK, "\"a\\\\b\""},
      {"label:\"\\\\\"", LABEL, BYRANK, "\"\\\\\""},
      {"label:\"a\\qb\"", LABEL, BYRANK, "\"a\\\\qb\""}, /* \q stays \q */
      {"label:\"a\tb\"", LABEL, BYRANK, "\"a\\tb\""},
      {"label:\"a\001b\x1f\"", LABEL, BYRANK, "\"a\\u0001b\\u001f\""},
      {"label:\xc3\xb1" "and\xc3\xba", LABEL, BYRANK, "\"\xc3\xb1" "and\xc3\xba\""},
      {"reason:Review_Requested", REASON, BYRANK, "review_requested"},
      {"is:issue", "(i.kind = 'issue')", BYRANK, ""},
      {"IS:PR", "(i.kind = 'pull')", BYRANK, ""},
      {"is:open", "(i.state = 'open')", BYRANK, ""},
      {"is:closed", "(i.state IN ('closed', 'merged'))", BYRANK, ""},
      {"is:merged", "(i.state = 'merged')", BYRANK, ""},
      {"is:unread", "(coalesce(t.read, 1 - i.unread) = 0)", BYRANK, ""},
      {"is:read", "(coalesce(t.read, 1 - i.unread) = 1)", BYRANK, ""},
      {"is:saved", "(t.saved = 1)", BYRANK, ""},
      {"is:done", DONE "", BYRANK, ""},
      {"is:Snoozed", "(t.snoozed_until > :now)", BYRANK, ""},
      {"is:muted", "(t.muted = 1)", BYRANK, ""},
      {"is:dismissed", "(t.dismissed = 1)", BYRANK, ""},
      {"source:github",
       "(i.source = 'github' AND EXISTS (SELECT 1 FROM item_reasons r WHERE r.item_id = i.id AND r.code NOT IN ('gfi', 'gfi_search')))",
       BYRANK, ""},
      {"source:tangled", "(i.source = 'tangled')", BYRANK, ""},
      {"source:GFI", "(EXISTS (SELECT 1 FROM item_reasons r WHERE r.item_id = i.id AND r.code IN ('gfi', 'gfi_search')))", BYRANK, ""},
      {"sort:updated", "1", "coalesce(i.updated_at, i.created_at) DESC, i.id", ""},
      {"sort:created-asc", "1", "i.created_at ASC, i.id", ""},
      {"sort:Score-DESC", "1", "i.rank DESC, i.id", ""},
      {"crash", TEXT, BYRANK, "%crash% | %crash%"},
      {"\"out of memory\"", TEXT, BYRANK, "%out of memory% | %out of memory%"},
      {"100%", TEXT, BYRANK, "%100\\%% | %100\\%%"},
      {"50_000 a\\b", TEXT " AND " TEXT, BYRANK, "%50\\_000% | %50\\_000% | %a\\\\b% | %a\\\\b%"},
      {"12:30", TEXT, BYRANK, "%12:30% | %12:30%"},
      {"-label:bug", LABEL " IS NOT 1", BYRANK, "\"bug\""},
      {"-is:done", DONE " IS NOT 1", BYRANK, ""},
      {"-crash", TEXT " IS NOT 1", BYRANK, "%crash% | %crash%"},
      {"-\"two words\"", TEXT " IS NOT 1", BYRANK, "%two words% | %two words%"},
      {"--x", TEXT " IS NOT 1", BYRANK, "%-x% | %-x%"},
      {"repo:octo/hub is:open label:bug",
       "(i.repo = ? COLLATE NOCASE) AND (i.state = 'open') AND " LABEL, BYRANK, "octo/hub | \"bug\""},
      {"is:pr OR is:issue", "(i.kind = 'pull') OR (i.kind = 'issue')", BYRANK, ""},
      {"is:open is:pr OR label:bug", "((i.state = 'open') AND (i.kind = 'pull')) OR " LABEL, BYRANK, "\"bug\""},
      {"a OR b c OR -d", TEXT " OR (" TEXT " AND " TEXT ") OR " TEXT " IS NOT 1", BYRANK,
       "%a% | %a% | %b% | %b% | %c% | %c% | %d% | %d%"},
      {"or and", TEXT " AND " TEXT, BYRANK, "%or% | %or% | %and% | %and%"},
      {"\"OR\" ORx", TEXT " AND " TEXT, BYRANK, "%OR% | %OR% | %ORx% | %ORx%"},
      {"sort:updated is:open OR is:pr", "(i.state = 'open') OR (i.kind = 'pull')",
       "coalesce(i.updated_at, i.created_at) DESC, i.id", ""},
      {"author:bob sort:created is:pr", "(i.author = ? COLLATE NOCASE) AND (i.kind = 'pull')",
       "i.created_at DESC, i.id", "bob"},
      {"  is:open\t\r\nlabel:\"x y\"  ", "(i.state = 'open') AND " LABEL, BYRANK, "\"x y\""},
  };
  hub__query_schema sc = hub__query_default_schema;
  size_t k;
  sc.hide = NULL; /* the hide filter has its own test */
  CHECK(sizeof cases / sizeof cases[0] >= 40, "at least 40 queries");
  for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    hub__query q;
    char err[256];
    int rc = hub__query_compile(cases[k].q, strlen(cases[k].q), &sc, &q, err, sizeof err);
    CHECK(rc == 0, "[%s] compiles: %s", cases[k].q, err);
    if (rc == 0) {
      char *p = join_params(&q);
      CHECK(strcmp(q.where, cases[k].where) == 0, "[%s] where\n  got  %s\n  want %s", cases[k].q, q.where, cases[k].where);
      CHECK(strcmp(q.order_by, cases[k].order) == 0, "[%s] order\n  got  %s\n  want %s", cases[k].q, q.order_by, cases[k].order);
      CHECK(strcmp(p, cases[k].params) == 0, "[%s] params\n  got  %s\n  want %s", cases[k].q, p, cases[k].params);
      free(p);
    }
    hub__query_free(&q);
  }
}

/* ---- malformed queries → message and position ------------------------------------------ */

static void test_errors(void) {
  static const struct { const char *q; size_t len; const char *err; } cases[] = {
      {"lable:bug", 0, "unknown key \"lable\" at 0"},
      {"is:open lable:x", 0, "unknown key \"lable\" at 8"},
      {"-lable:x", 0, "unknown key \"lable\" at 1"},
      {"http://example.com", 0, "unknown key \"http\" at 0"},
      {"a:", 0, "unknown key \"a\" at 0"},
      {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:1", 0,
       "unknown key \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\" at 0"},
      {"label:\"good first", 0, "unterminated quote at 6"},
      {"x \"abc", 0, "unterminated quote at 2"},
      {"author:\"", 0, "unterminated quote at 7"},
      {"label:\"a\\\"", 0, "unterminated quote at 6"},
      {"is:xyz", 0, "is: expects one of issue, pr, open, closed, merged, unread, read, saved, done, "
                    "snoozed, muted, dismissed at 3"},
      {"is:", 0, "empty value for is: at 0"},
      {"repo:", 0, "empty value for repo: at 0"},
      {"is:open repo:\"\"", 0, "empty value for repo: at 8"},
      {"-org: x", 0, "empty value for org: at 1"},
      {"sort:updated is:open sort:created", 0, "two sort: terms at 21"},
      {"-sort:updated", 0, "sort: cannot be negated at 0"},
      {"sort:name", 0, "sort: expects score, updated or created, optionally with -asc or -desc at 5"},
      {"sort:updated-up", 0, "sort: expects score, updated or created, optionally with -asc or -desc at 5"},
      {"sort:-asc", 0, "sort: expects score, updated or created, optionally with -asc or -desc at 5"},
      {"source:gitlab", 0, "source: expects one of github, tangled, gfi at 7"},
      {"repo:a/b/c", 0, "repo: expects owner/name or name at 5"},
      {"repo:/b", 0, "repo: expects owner/name or name at 5"},
      {"repo:\"a/\"", 0, "repo: expects owner/name or name at 5"},
      {"org:a/b", 0, "org: expects an owner without / at 4"},
      {"x \"\"", 0, "empty phrase at 2"},
      {"- bug", 0, "expected a term after - at 0"},
      {"bug -", 0, "expected a term after - at 4"},
      {"OR bug", 0, "OR needs a term on each side at 0"},
      {"bug OR", 0, "OR needs a term on each side at 4"},
      {"bug OR OR x", 0, "OR needs a term on each side at 7"},
      {"sort:updated OR bug", 0, "OR needs a filter on each side, not only sort: at 13"},
      {"bug OR sort:updated", 0, "OR needs a filter on each side, not only sort: at 4"},
      {"foo\"bar", 0, "quote inside a word (quote the whole value) at 3"},
      {"label:a\"b\"", 0, "quote inside a word (quote the whole value) at 7"},
      {"label:\"a\"b", 0, "expected a space after the closing quote at 9"},
      {"label:\"x\"\"", 0, "expected a space after the closing quote at 9"},
      {"label:x\0y", 9, "NUL byte at 7"},
      {"\"a\0\"", 4, "NUL byte at 2"},
      {"\0", 1, "NUL byte at 0"},
  };
  size_t k;
  CHECK(sizeof cases / sizeof cases[0] >= 30, "at least 30 malformed queries");
  for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    hub__query q;
    char err[256];
    size_t len = cases[k].len ? cases[k].len : strlen(cases[k].q);
    int rc = hub__query_compile(cases[k].q, len, NULL, &q, err, sizeof err);
    CHECK(rc == -1, "[%s] fails", cases[k].q);
    CHECK(strcmp(err, cases[k].err) == 0, "[%s] message\n  got  %s\n  want %s", cases[k].q, err, cases[k].err);
    CHECK(!q.where && !q.order_by && !q.params && !q.nparams, "[%s] out left empty", cases[k].q);
    hub__query_free(&q);
  }
  { /* limits: terms, value length, query length (at the limit each still compiles) */
    char buf[2048], err[256];
    hub__query q;
    int rc, i;
    buf[0] = 0;
    for (i = 0; i < 33; i++) strcat(buf, "a ");
    rc = hub__query_compile(buf, strlen(buf), NULL, &q, err, sizeof err);
    CHECK(rc == -1 && strcmp(err, "more than 32 terms at 64") == 0, "33 terms: %s", err);
    rc = hub__query_compile(buf, 64, NULL, &q, err, sizeof err);
    CHECK(rc == 0 && q.nparams == 64, "32 terms compile: %s", err);
    hub__query_free(&q);
    strcpy(buf, "label:\"");
    memset(buf + 7, 'x', 200);
    strcpy(buf + 207, "\"");
    rc = hub__query_compile(buf, strlen(buf), NULL, &q, err, sizeof err);
    CHECK(rc == 0 && strlen(q.params[0]) == 202, "a 200-byte value compiles: %s", err);
    hub__query_free(&q);
    memset(buf + 7, 'x', 201);
    strcpy(buf + 208, "\"");
    rc = hub__query_compile(buf, strlen(buf), NULL, &q, err, sizeof err);
    CHECK(rc == -1 && strcmp(err, "value longer than 200 bytes at 6") == 0, "201-byte value: %s", err);
    memset(buf, 'x', 1024);
    rc = hub__query_compile(buf, 1024, NULL, &q, err, sizeof err);
    CHECK(rc == -1 && strcmp(err, "value longer than 200 bytes at 0") == 0, "1024 bytes is not over the query limit: %s", err);
    memset(buf, ' ', 1024);
    memcpy(buf + 1020, "bug", 3);
    rc = hub__query_compile(buf, 1024, NULL, &q, err, sizeof err);
    CHECK(rc == 0 && q.nparams == 2, "1024 bytes compile: %s", err);
    hub__query_free(&q);
    rc = hub__query_compile(buf, 1025, NULL, &q, err, sizeof err);
    CHECK(rc == -1 && strcmp(err, "query longer than 1024 bytes at 1024") == 0, "1025 bytes: %s", err);
    /* a short err buffer is truncated, never overrun */
    rc = hub__query_compile("lable:x", 7, NULL, &q, err, 8);
    CHECK(rc == -1 && strcmp(err, "unknown") == 0, "truncated message: %s", err);
  }
  { /* a schema without a fragment says so instead of matching everything */
    hub__query_schema sc = hub__query_default_schema;
    hub__query q;
    char err[256];
    int rc;
    sc.is[HUB__QIS_DISMISSED] = NULL;
    sc.author = NULL;
    rc = hub__query_compile("is:dismissed", 12, &sc, &q, err, sizeof err);
    CHECK(rc == -1 && strcmp(err, "is:dismissed is not supported here at 3") == 0, "missing is: fragment: %s", err);
    rc = hub__query_compile("x -author:a", 11, &sc, &q, err, sizeof err);
    CHECK(rc == -1 && strcmp(err, "author is not supported here at 3") == 0, "missing author fragment: %s", err);
  }
}

/* ---- the default hide filter and the flags ---------------------------------------------- */

static void test_hide_and_flags(void) {
  static const struct { const char *q, *where; unsigned flags, is_pos, is_neg; } cases[] = {
      {"", HIDE, HUB__QF_HIDE | HUB__QF_NOW, 0, 0},
      {"is:open", "(i.state = 'open') AND " HIDE, HUB__QF_HIDE | HUB__QF_NOW, 1u << HUB__QIS_OPEN, 0},
      {"a OR b", "(" TEXT " OR " TEXT ") AND " HIDE, HUB__QF_HIDE | HUB__QF_NOW | HUB__QF_TEXT | HUB__QF_OR, 0, 0},
      {"-is:done", DONE " IS NOT 1 AND " HIDE, HUB__QF_HIDE | HUB__QF_NOW, 0, 1u << HUB__QIS_DONE},
      {"is:unread", "(coalesce(t.read, 1 - i.unread) = 0) AND " HIDE, HUB__QF_HIDE | HUB__QF_NOW, 1u << HUB__QIS_UNREAD, 0},
      {"is:done", DONE "", 0, 1u << HUB__QIS_DONE, 0},
      {"is:saved sort:updated", "(t.saved = 1)", HUB__QF_SORT, 1u << HUB__QIS_SAVED, 0},
      {"is:snoozed", "(t.snoozed_until > :now)", HUB__QF_NOW, 1u << HUB__QIS_SNOOZED, 0},
      {"is:muted -is:dismissed", "(t.muted = 1) AND (t.dismissed = 1) IS NOT 1", 0, 1u << HUB__QIS_MUTED,
       1u << HUB__QIS_DISMISSED},
      {"is:pr OR is:done", "(i.kind = 'pull') OR " DONE, HUB__QF_OR,
       (1u << HUB__QIS_PR) | (1u << HUB__QIS_DONE), 0},
  };
  size_t k;
  for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    hub__query q;
    char err[256];
    int rc = hub__query_compile(cases[k].q, strlen(cases[k].q), NULL, &q, err, sizeof err);
    CHECK(rc == 0, "[%s] compiles: %s", cases[k].q, err);
    if (rc) continue;
    CHECK(strcmp(q.where, cases[k].where) == 0, "[%s] where\n  got  %s\n  want %s", cases[k].q, q.where, cases[k].where);
    CHECK(q.flags == cases[k].flags, "[%s] flags %#x, want %#x", cases[k].q, q.flags, cases[k].flags);
    CHECK(q.is_pos == cases[k].is_pos && q.is_neg == cases[k].is_neg, "[%s] is bits %#x %#x", cases[k].q, q.is_pos, q.is_neg);
    hub__query_free(&q);
  }
}

/* ---- against SQLite ----------------------------------------------------------------------- */

#define NOW 1700000000000LL /* ms */

static sqlite3 *make_db(void) {
  /* key source repo kind title body state author labels unread created updated rank */
  static const char *const setup =
      "CREATE TABLE items(id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, source TEXT NOT NULL,"
      " host TEXT, repo TEXT, number INTEGER, kind TEXT NOT NULL DEFAULT 'issue', title TEXT NOT NULL DEFAULT '',"
      " body TEXT, state TEXT NOT NULL DEFAULT 'open', author TEXT, labels TEXT NOT NULL DEFAULT '[]',"
      " assignees TEXT NOT NULL DEFAULT '[]', comments INTEGER NOT NULL DEFAULT 0,"
      " reactions INTEGER NOT NULL DEFAULT 0, created_at INTEGER, updated_at INTEGER, url TEXT,"
      " unread INTEGER NOT NULL DEFAULT 0, rank REAL NOT NULL DEFAULT 0);"
      "CREATE TABLE item_reasons(item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
      " code TEXT NOT NULL, detail TEXT, PRIMARY KEY(item_id, code)) WITHOUT ROWID;"
      "CREATE TABLE triage(item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,"
      " read INTEGER, done_at INTEGER, done_hash TEXT, snoozed_until INTEGER,"
      " saved INTEGER NOT NULL DEFAULT 0, muted INTEGER NOT NULL DEFAULT 0, dismissed INTEGER NOT NULL DEFAULT 0);"
      "INSERT INTO items(id,key,source,repo,kind,title,body,state,author,labels,unread,created_at,updated_at,rank) VALUES"
      " (1,'a','github','octo/hub','issue','Fix 100% CPU','uses 50_000 threads','open','alice',"
      "   '[\"bug\",\"good first issue\"]',1,100,900,5),"
      " (2,'b','github','octo/hubble','pull','Add feature','it''s \"quoted\" and back\\slash','open','Bob',"
      "   '[\"Good First Issue (easy)\"]',0,200,NULL,4),"
      " (3,'c','github','abc/x','issue','\xc3\x91\x61nd\xc3\xba crash',NULL,'closed','carol',"
      "   '[\"say \\\"hi\\\"\",\"a\\\\b\",\"\xc3\xb1\x61nd\xc3\xba\"]',1,300,300,3),"
      " (4,'d','github','ab/x','pull','''; DROP TABLE items; --','x','merged','dave','[\"hi\\\"\"]',0,400,500,2),"
      " (5,'e','tangled','alice.tngl.sh/hub','issue','tangled thing','100 percent, 50x000','open','alice',"
      "   '[\"good first issue\"]',0,500,600,1),"
      " (6,'f','github','other/hub','issue','gfi item','','open','eve','[\"good first issue\"]',1,600,600,6),"
      " (7,'g','github','octo/hub2','issue','snoozed one','','open','eve','[]',0,700,700,0.9),"
      " (8,'h','github','octo/hub2','issue','done one','','open','eve','[]',0,800,800,0.8),"
      " (9,'i','github','octo/hub2','issue','muted one','','open','eve','[]',0,900,900,0.7),"
      " (10,'j','github','octo/hub2','issue','dismissed one','','open','eve','[]',0,1000,1000,0.6),"
      " (11,'k','github','octo/hub2','issue','saved done','','open','eve','[]',0,1100,1100,0.5),"
      " (12,'l','github','octo/hub2','issue','snooze over','','open','eve','[]',0,1200,1200,0.4);"
      "INSERT INTO item_reasons(item_id,code) VALUES (1,'review_requested'),(1,'gfi'),(2,'authored'),"
      " (3,'mentioned'),(4,'assigned'),(5,'subscribed'),(6,'gfi'),(7,'subscribed'),(8,'subscribed'),"
      " (9,'subscribed'),(10,'subscribed'),(11,'subscribed'),(12,'subscribed');"
      "INSERT INTO triage(item_id,read,done_at,snoozed_until,saved,muted,dismissed) VALUES"
      " (1,1,NULL,NULL,0,0,0),(2,0,NULL,NULL,0,0,0),"
      " (7,NULL,NULL,1700000000001,0,0,0),(8,NULL,1600000000000,NULL,0,0,0),(9,NULL,NULL,NULL,0,1,0),"
      " (10,NULL,NULL,NULL,0,0,1),(11,NULL,1600000000000,NULL,1,0,0),(12,NULL,NULL,1700000000000,0,0,0);";
  sqlite3 *db = NULL;
  char *msg = NULL;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK || sqlite3_exec(db, setup, NULL, NULL, &msg) != SQLITE_OK) {
    fprintf(stderr, "setup: %s\n", msg ? msg : sqlite3_errmsg(db));
    exit(1);
  }
  return db;
}

/* Binds q's parameters the way query.h says: anonymous ones in order, :now by name. */
static int bind_query(sqlite3_stmt *st, const hub__query *q, long long now) {
  int k, count = sqlite3_bind_parameter_count(st);
  size_t next = 0;
  for (k = 1; k <= count; k++) {
    const char *name = sqlite3_bind_parameter_name(st, k);
    if (!name) {
      if (next >= q->nparams) return -1;
      sqlite3_bind_text(st, k, q->params[next], -1, SQLITE_STATIC);
      next++;
    } else if (strcmp(name, ":now") == 0) {
      sqlite3_bind_int64(st, k, now);
    } else {
      return -1;
    }
  }
  return next == q->nparams ? 0 : -1;
}

/* Runs text[0..len) against db; writes the matching keys in order, comma-separated, into
 * keys, or "ERR: message" when it does not compile, or "SQL: message". */
static void run_query(sqlite3 *db, const char *text, size_t len, char *keys, size_t cap) {
  hub__query q;
  char err[256], *sql = NULL;
  sqlite3_stmt *st = NULL;
  int rc;
  keys[0] = 0;
  if (hub__query_compile(text, len, NULL, &q, err, sizeof err)) {
    snprintf(keys, cap, "ERR: %s", err);
    return;
  }
  sql = hub__printf("SELECT i.key FROM items i LEFT JOIN triage t ON t.item_id = i.id WHERE %s ORDER BY %s",
                    q.where, q.order_by);
  if (!sql || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    snprintf(keys, cap, "SQL: %s", sqlite3_errmsg(db));
    goto done;
  }
  if (bind_query(st, &q, NOW)) {
    snprintf(keys, cap, "SQL: parameter count");
    goto done;
  }
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    size_t n = strlen(keys);
    snprintf(keys + n, cap - n, "%s%s", n ? "," : "", (const char *)sqlite3_column_text(st, 0));
  }
  if (rc != SQLITE_DONE) snprintf(keys, cap, "SQL: %s", sqlite3_errmsg(db));
done:
  sqlite3_finalize(st);
  hub_free(sql);
  hub__query_free(&q);
}

static long count_rows(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st = NULL;
  long n = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    n = (long)sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n;
}

static void test_sqlite(void) {
  /* visible by default: f a b c d e (rank order); g snoozed past NOW, h done, i muted,
   * j dismissed, k saved+done are hidden; l's snooze ended at NOW */
  static const struct { const char *q, *keys; } cases[] = {
      {"", "f,a,b,c,d,e,l"},
      {"label:\"good first issue\"", "f,a,e"},
      {"label:\"GOOD First ISSUE\"", "f,a,e"},
      {"label:\"good first issue (easy)\"", "b"},
      {"label:good", ""},
      {"label:bug", "a"},
      {"-label:bug", "f,b,c,d,e,l"},
      {"label:\"hi\\\"\"", "d"},          /* the label hi" — not c's say "hi" */
      {"label:\"say \\\"hi\\\"\"", "c"},
      {"label:hi", ""},
      {"label:a\\b", "c"},
      {"label:b", ""},
      {"label:\xc3\xb1" "and\xc3\xba", "c"},
      {"label:\"'; DROP TABLE items; --\"", ""},
      {"repo:octo/hub", "a"},
      {"repo:OCTO/HUB", "a"},
      {"repo:hub", "f,a,e"},
      {"repo:hub2 is:snoozed", "g"},
      {"org:ab", "d"},
      {"org:a_", ""},
      {"org:octo", "a,b,l"},
      {"org:alice.tngl.sh", "e"},
      {"100%", "a"},
      {"50_000", "a"},
      {"\"100 percent\"", "e"},
      {"crash", "c"},
      {"\xc3\x91\x61nd\xc3\xba", "c"},
      {"\"'; DROP TABLE items; --\"", "d"},
      {"\"it's\"", "b"},
      {"\"\\\"quoted\\\"\"", "b"},
      {"back\\slash", "b"},
      {"-crash", "f,a,b,d,e,l"},
      {"-zzz", "f,a,b,c,d,e,l"},            /* c's NULL body: NULL is "no match", so -zzz keeps c */
      {"-is:done", "f,a,b,c,d,e,l"},
      {"is:done", "h,k"},
      {"is:done -is:saved", "h"},
      {"is:saved", "k"},
      {"is:snoozed", "g"},
      {"is:muted", "i"},
      {"is:dismissed", "j"},
      {"-is:snoozed -is:muted", "f,a,b,c,d,e,l"},
      {"is:unread", "f,b,c"},
      {"is:read", "a,d,e,l"},
      {"-is:read", "f,b,c"},
      {"is:pr", "b,d"},
      {"is:closed", "c,d"},
      {"is:merged", "d"},
      {"is:open is:issue", "f,a,e,l"},
      {"author:ALICE", "a,e"},
      {"author:bob", "b"},
      {"reason:gfi", "f,a"},
      {"reason:REVIEW_REQUESTED", "a"},
      {"-reason:subscribed", "f,a,b,c,d"},
      {"source:gfi", "f,a"},
      {"source:github", "a,b,c,d,l"},
      {"source:tangled", "e"},
      {"-source:gfi", "b,c,d,e,l"},
      {"sort:created-asc", "a,b,c,d,e,f,l"},
      {"sort:updated", "l,a,e,f,d,c,b"},     /* b has no updated_at: its created_at counts */
      {"sort:created", "l,f,e,d,c,b,a"},
      {"repo:octo/hub OR org:ab", "a,d"},
      {"is:pr OR label:bug is:open", "a,b,d"},
      {"is:done OR is:muted", "h,i,k"},
      {"lable:bug", "ERR: unknown key \"lable\" at 0"},
  };
  sqlite3 *db = make_db();
  char keys[1024];
  size_t k;
  for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    run_query(db, cases[k].q, strlen(cases[k].q), keys, sizeof keys);
    CHECK(strcmp(keys, cases[k].keys) == 0, "[%s] rows\n  got  %s\n  want %s", cases[k].q, keys, cases[k].keys);
  }
  CHECK(count_rows(db, "SELECT count(*) FROM items") == 12, "items intact");
  sqlite3_close(db);
}

/* Hostile values through every key that takes free text: each either compiles to SQL that
 * prepares, runs and finds nothing (no row has them), or fails with a positioned message; the
 * value never appears in the SQL text; the tables are intact afterwards. */
static void test_hostile(void) {
  static const char *const keys[] = {"label:", "repo:", "org:", "author:", "reason:", ""};
  char big[10 * 1024 + 1];
  const char *values[16];
  size_t nv = 0, v, k;
  sqlite3 *db = make_db();
  memset(big, 'A', sizeof big - 1);
  big[sizeof big - 1] = 0;
  values[nv++] = "'; DROP TABLE items; --";
  values[nv++] = "x' OR '1'='1";
  values[nv++] = "\") OR 1=1 --";
  values[nv++] = "\\\\'\\\"";
  values[nv++] = "%%%";
  values[nv++] = "___";
  values[nv++] = "?";
  values[nv++] = ":now";
  values[nv++] = "\xe2\x80\x8b\xf0\x9f\x92\xa3 \xc3\xa9t\xc3\xa9";
  values[nv++] = "\xff\xfe\x80";
  values[nv++] = big;
  for (v = 0; v < nv; v++) {
    for (k = 0; k < sizeof keys / sizeof keys[0]; k++) {
      char q[12 * 1024], out[1024];
      const char *s;
      size_t n = 0;
      hub__query cq;
      char err[256];
      n += (size_t)snprintf(q, sizeof q, "%s\"", keys[k]);
      for (s = values[v]; *s; s++) {
        if (*s == '"' || *s == '\\') q[n++] = '\\';
        q[n++] = *s;
      }
      q[n++] = '"';
      q[n] = 0;
      run_query(db, q, n, out, sizeof out);
      if (values[v] == big)
        CHECK(strcmp(out, "ERR: query longer than 1024 bytes at 1024") == 0, "10 KB %s: %s", keys[k], out);
      else /* only d's title holds one of them, as free text */
        CHECK(strcmp(out, v == 0 && !*keys[k] ? "d" : "") == 0, "[%s] rows: %s", q, out);
      if (hub__query_compile(q, n, NULL, &cq, err, sizeof err) == 0) {
        CHECK(!strstr(cq.where, "DROP") && !strstr(cq.where, "1=1") && !strstr(cq.where, "\xc3\xa9"),
              "[%s] the value is not in the SQL", q);
        hub__query_free(&cq);
      }
    }
  }
  { /* a NUL byte anywhere in a value is refused at its position */
    static const char nul_q[] = "label:\"ab\0c\"";
    char out[256];
    run_query(db, nul_q, sizeof nul_q - 1, out, sizeof out);
    CHECK(strcmp(out, "ERR: NUL byte at 9") == 0, "NUL in a value: %s", out);
  }
  CHECK(count_rows(db, "SELECT count(*) FROM items") == 12, "items intact");
  CHECK(count_rows(db, "SELECT count(*) FROM triage") == 8, "triage intact");
  sqlite3_close(db);
}

/* ---- failed allocations ----------------------------------------------------------------- */

static void test_oom(void) {
  static const char q[] = "repo:octo/hub label:\"good first issue\" a OR -b sort:updated";
  long n;
  int ok = 0;
  for (n = 1; n < 200 && !ok; n++) {
    hub__query out;
    char err[256];
    int rc;
    hub_alloc_fail_at(n);
    rc = hub__query_compile(q, sizeof q - 1, NULL, &out, err, sizeof err);
    hub_alloc_fail_at(0);
    if (rc == 0) ok = 1;
    else CHECK(strstr(err, "out of memory") != NULL && !out.where && !out.params, "alloc %ld fails cleanly: %s", n, err);
    hub__query_free(&out);
  }
  CHECK(ok && n > 5, "compiles once allocations succeed (after %ld)", n);
}

/* ---- random input ------------------------------------------------------------------------ */

/* Counts `?` outside '...' literals. */
static size_t count_placeholders(const char *s) {
  size_t n = 0;
  int lit = 0;
  for (; *s; s++) {
    if (*s == '\'') lit = !lit;
    else if (*s == '?' && !lit) n++;
  }
  return n;
}

static void test_fuzz(void) {
  static const char *const pieces[] = {
      "repo:", "org:", "author:", "label:", "reason:", "is:", "source:", "sort:", "lable:", "OR", "-",
      "\"", "\\", " ", "  ", "\t", ":", "/", "a", "bug", "open", "done", "pr", "github", "gfi",
      "updated-asc", "score", "%", "_", "'", "\xc3\xa9", "\0", "x/y", "OR ", "\\\"", "-is:done"};
  uint64_t seed = 0x9e3779b97f4a7c15ULL;
  sqlite3 *db = make_db();
  char buf[1200];
  long i, ok = 0, bad = 0, compiled = 0, ran = 0;
  for (i = 0; i < 100000; i++) {
    size_t len = 0, target;
    hub__query q;
    char err[256];
    int rc;
    if (i % 2) { /* raw bytes */
      target = (size_t)(hub__rand(&seed) % (i % 97 == 1 ? 1100 : 40));
      for (len = 0; len < target; len++) buf[len] = (char)(hub__rand(&seed) & 0xff);
    } else {     /* a soup of the language's pieces */
      target = (size_t)(hub__rand(&seed) % 24);
      while (target--) {
        const char *p = pieces[hub__rand(&seed) % (sizeof pieces / sizeof pieces[0])];
        size_t pl = *p ? strlen(p) : 1;
        if (len + pl > sizeof buf) break;
        memcpy(buf + len, p, pl);
        len += pl;
      }
    }
    rc = hub__query_compile(buf, len, NULL, &q, err, sizeof err);
    if (rc == 0) {
      compiled++;
      if (!q.where || !q.order_by || count_placeholders(q.where) != q.nparams) bad++;
      if (compiled % 10 == 0) { /* run one in ten: valid SQL, binds match */
        char *sql = hub__printf("SELECT count(*) FROM items i LEFT JOIN triage t ON t.item_id = i.id WHERE %s ORDER BY %s",
                                q.where, q.order_by);
        sqlite3_stmt *st = NULL;
        if (!sql || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK || bind_query(st, &q, NOW) ||
            sqlite3_step(st) != SQLITE_ROW) {
          bad++;
          fprintf(stderr, "fuzz SQL failed: %s\n", sql ? sql : "(oom)");
        }
        sqlite3_finalize(st);
        hub_free(sql);
        ran++;
      }
      hub__query_free(&q);
    } else {
      const char *at = strstr(err, " at ");
      const char *last = at;
      while (at) { last = at; at = strstr(at + 1, " at "); }
      if (!last || (len ? strtoul(last + 4, NULL, 10) >= len : strtoul(last + 4, NULL, 10) != 0) ||
          q.where || q.params) {
        bad++;
        if (bad < 5) fprintf(stderr, "fuzz: bad error \"%s\" for %zu bytes\n", err, len);
      } else {
        ok++;
      }
    }
  }
  printf("fuzz: 100000 inputs, %ld compiled (%ld run in SQLite), %ld refused with a position\n", compiled, ran, ok);
  CHECK(bad == 0, "100k random queries: %ld bad", bad);
  CHECK(compiled > 1000 && ok > 1000, "both outcomes exercised: %ld compiled (%ld run), %ld errors", compiled, ran, ok);
  CHECK(count_rows(db, "SELECT count(*) FROM items") == 12, "items intact after fuzz");
  sqlite3_close(db);
}

int main(void) {
  hub__mem_init();
  test_compile_table();
  test_errors();
  test_hide_and_flags();
  test_sqlite();
  test_hostile();
  test_oom();
  test_fuzz();
  printf("query tests: %d passed, %d failed\n", tu_passed, tu_failed);
  return tu_failed ? 1 : 0;
}
