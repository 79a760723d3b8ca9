/*
 * rosql.c — read-only SQL over hub's own database for the insight console, and the saved
 * queries it offers (db layer; owns table saved_queries).
 *
 * {"cmd":"sql","sql":"…","limit":n} runs one statement and answers columns and rows. Only
 * reading gets through, by five independent locks, each enough against the writes it names:
 *   1. the statement's first keyword is SELECT, WITH, VALUES or PRAGMA (INSERT, UPDATE, DELETE,
 *      REPLACE, CREATE, DROP, ALTER, ATTACH, DETACH, VACUUM (INTO), BEGIN, COMMIT, SAVEPOINT,
 *      REINDEX, ANALYZE … are refused by name);
 *   2. a PRAGMA must be one of a list that only reads, with no "= value", an argument only
 *      where the pragma takes a table or a number to check (integrity_check(N)), and nothing
 *      after it — checked on the text before SQLite compiles it, because SQLite applies many
 *      "PRAGMA x = y" while compiling;
 *   3. exactly one statement: after it only spaces, comments and semicolons
 *      ("SELECT 1; DELETE …" is refused before anything runs);
 *   4. sqlite3_stmt_readonly() must say the statement writes nothing (a WITH … DELETE);
 *   5. while it runs the connection is PRAGMA query_only, may attach no database
 *      (SQLITE_LIMIT_ATTACHED 0) and holds no value over HUB_SQL_MAX_VALUE bytes.
 * Work is capped without a clock: a progress handler counts virtual-machine steps and stops
 * the statement after HUB_SQL_MAX_STEPS (see the README's console section for what that is in
 * time). Rows stop at the request's limit (at most HUB_SQL_MAX_ROWS) and at HUB_SQL_MAX_BYTES
 * of answer. Values: integers as numbers (as strings beyond ±2^53), reals as numbers, text as
 * strings (invalid UTF-8 repaired, cut at HUB_SQL_MAX_CELL bytes), blobs as {"blob":hex of the
 * first bytes,"bytes":n}, NULL as null.
 *
 * {"cmd":"saved_queries"[,"set":{"name","sql"}]} lists the saved queries, or saves one (checked
 * by the same locks, without running) — "sql": null deletes it. The defaults that ship with
 * hub (builtin) cannot be changed or deleted.
 */
#include <stdio.h>
#include <string.h>
#include "db/db.h"

#ifndef HUB_SQL_MAX_TEXT
#define HUB_SQL_MAX_TEXT 100000 /* bytes of SQL text */
#endif
#ifndef HUB_SQL_MAX_ROWS
#define HUB_SQL_MAX_ROWS 5000
#endif
#ifndef HUB_SQL_DEFAULT_ROWS
#define HUB_SQL_DEFAULT_ROWS 500
#endif
#ifndef HUB_SQL_MAX_BYTES
#define HUB_SQL_MAX_BYTES (4u * 1024u * 1024u) /* of an answer's values, roughly */
#endif
#ifndef HUB_SQL_MAX_CELL
#define HUB_SQL_MAX_CELL 65536 /* bytes of one text value shown */
#endif
#ifndef HUB_SQL_MAX_VALUE
#define HUB_SQL_MAX_VALUE (16 * 1024 * 1024) /* SQLITE_LIMIT_LENGTH while a query runs */
#endif
#ifndef HUB_SQL_STEP_CHUNK
#define HUB_SQL_STEP_CHUNK 1000 /* VM steps between progress callbacks */
#endif
#ifndef HUB_SQL_MAX_STEPS
#define HUB_SQL_MAX_STEPS 20000000LL /* VM steps one query may take */
#endif
#define BLOB_SHOWN 64
#define MAX_SAVED 200

/* ---- the statement's text -------------------------------------------------------------- */

/* Skips SQLite's white space and comments (and, with semis, empty statements). */
static const char *skip_space(const char *p, const char *end, int semis) {
  while (p < end) {
    if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || (semis && *p == ';')) {
      p++;
    } else if (p + 1 < end && p[0] == '-' && p[1] == '-') {
      while (p < end && *p != '\n') p++;
    } else if (p + 1 < end && p[0] == '/' && p[1] == '*') {
      p += 2;
      while (p + 1 < end && !(p[0] == '*' && p[1] == '/')) p++;
      p = p + 1 < end ? p + 2 : end;
    } else {
      break;
    }
  }
  return p;
}

static int ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Copies the identifier at p (ASCII, lower-cased, at most cap-1 bytes) into out; returns the
 * position after it (p itself when there is none). */
static const char *word(const char *p, const char *end, char *out, size_t cap) {
  size_t n = 0;
  while (p < end && ident_char(*p)) {
    if (n + 1 < cap) out[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    p++;
  }
  out[n] = 0;
  return p;
}

/* Pragmas that only read; arg: 1 when "(table or number)" may follow. */
static const struct { const char *name; int arg; } read_pragmas[] = {
    {"application_id", 0}, {"user_version", 0}, {"schema_version", 0}, {"data_version", 0},
    {"page_count", 0},     {"page_size", 0},    {"freelist_count", 0}, {"max_page_count", 0},
    {"encoding", 0},       {"journal_mode", 0}, {"foreign_keys", 0},   {"query_only", 0},
    {"cache_size", 0},     {"synchronous", 0},  {"secure_delete", 0},  {"temp_store", 0},
    {"busy_timeout", 0},   {"integrity_check", 1}, {"quick_check", 1}, {"foreign_key_check", 1},
};

/* Checks a PRAGMA statement [p, end) (p after the keyword). NULL when it only reads, else the
 * reason (static text). */
static const char *pragma_refusal(const char *p, const char *end) {
  char name[40], arg[80];
  size_t i;
  int k = -1;
  p = skip_space(p, end, 0);
  p = word(p, end, name, sizeof name);
  p = skip_space(p, end, 0);
  if (p < end && *p == '.') { /* schema.name: only main */
    if (strcmp(name, "main") != 0) return "a PRAGMA may read only the main database";
    p = skip_space(p + 1, end, 0);
    p = word(p, end, name, sizeof name);
    p = skip_space(p, end, 0);
  }
  for (i = 0; i < sizeof read_pragmas / sizeof read_pragmas[0]; i++)
    if (strcmp(name, read_pragmas[i].name) == 0) k = (int)i;
  if (p < end && *p == '=') return "PRAGMA x = y changes a setting: only reading PRAGMAs run here";
  if (k < 0) return "this PRAGMA is not one of those that only read";
  if (p < end && *p == '(') {
    if (!read_pragmas[k].arg) return "this PRAGMA with an argument changes a setting: only reading PRAGMAs run here";
    p = skip_space(p + 1, end, 0);
    p = word(p, end, arg, sizeof arg);
    p = skip_space(p, end, 0);
    if (!arg[0] || p >= end || *p != ')') return "a PRAGMA argument is one table name or number";
    p = skip_space(p + 1, end, 0);
  }
  p = skip_space(p, end, 1);
  return p < end ? "unexpected text after the PRAGMA" : NULL;
}

/* ---- checking a statement ------------------------------------------------------------------ */

/* The run-time locks, set and restored around a query. */
typedef struct {
  int query_only, attached, length;
} locks;

static void locks_on(hub *h, locks *l) {
  sqlite3_stmt *st = NULL;
  l->query_only = 0;
  if (sqlite3_prepare_v2(h->db, "PRAGMA query_only", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    l->query_only = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_exec(h->db, "PRAGMA query_only=1", NULL, NULL, NULL);
  l->attached = sqlite3_limit(h->db, SQLITE_LIMIT_ATTACHED, 0);
  l->length = sqlite3_limit(h->db, SQLITE_LIMIT_LENGTH, HUB_SQL_MAX_VALUE);
}

static void locks_off(hub *h, const locks *l) {
  sqlite3_progress_handler(h->db, 0, NULL, NULL);
  sqlite3_limit(h->db, SQLITE_LIMIT_ATTACHED, l->attached);
  sqlite3_limit(h->db, SQLITE_LIMIT_LENGTH, l->length);
  if (!l->query_only) sqlite3_exec(h->db, "PRAGMA query_only=0", NULL, NULL, NULL);
}

static cJSON *refuse(const char *why, const char *what) {
  char msg[300];
  snprintf(msg, sizeof msg, "refused: %s%s%s (the SQL console only reads)", why, what ? ": " : "", what ? what : "");
  return hub__error_field(HUB_E_READONLY, "sql", msg);
}

/* Prepares sql (len bytes) under the locks already on and checks it reads only. Returns NULL
 * with the statement in *out, or an error object (nothing prepared). */
static cJSON *prepare_checked(hub *h, const char *sql, size_t len, sqlite3_stmt **out) {
  const char *end = sql + len, *p = skip_space(sql, end, 1), *tail = NULL;
  char kw[16], msg[400];
  const char *why;
  sqlite3_stmt *st = NULL;
  *out = NULL;
  word(p, end, kw, sizeof kw);
  if (p >= end) return hub__error_field(HUB_E_BAD_REQUEST, "sql", "no statement to run");
  if (strcmp(kw, "select") && strcmp(kw, "with") && strcmp(kw, "values") && strcmp(kw, "pragma")) {
    char upper[16];
    size_t i;
    for (i = 0; kw[i]; i++) upper[i] = (char)(kw[i] >= 'a' && kw[i] <= 'z' ? kw[i] - 32 : kw[i]);
    upper[i] = 0;
    return refuse("only SELECT, WITH, VALUES and reading PRAGMAs run here", kw[0] ? upper : "not a statement");
  }
  /* before preparing: SQLite applies "PRAGMA x = y" while it compiles the statement */
  if (strcmp(kw, "pragma") == 0 && (why = pragma_refusal(p + 6, end)) != NULL) return refuse(why, NULL);
  if (sqlite3_prepare_v3(h->db, p, (int)(end - p), 0, &st, &tail) != SQLITE_OK || !st) {
    snprintf(msg, sizeof msg, "%s", st ? sqlite3_errmsg(h->db) : h->db ? sqlite3_errmsg(h->db) : "cannot prepare");
    sqlite3_finalize(st);
    return hub__error_field(HUB_E_BAD_REQUEST, "sql", msg);
  }
  if (!tail) tail = end;
  if (skip_space(tail, end, 1) < end) why = "one statement at a time — text follows the first one";
  else if (!sqlite3_stmt_readonly(st)) why = "this statement would change the database";
  else why = NULL;
  if (why) {
    sqlite3_finalize(st);
    return refuse(why, NULL);
  }
  *out = st;
  return NULL;
}

/* ---- running it ---------------------------------------------------------------------------- */

typedef struct {
  long long calls, max_calls;
} budget;

static int on_progress(void *p) {
  budget *b = p;
  return ++b->calls >= b->max_calls;
}

static cJSON *hex_blob(const unsigned char *b, int n) {
  static const char hx[] = "0123456789abcdef";
  char buf[BLOB_SHOWN * 2 + 1];
  int i, k = n < BLOB_SHOWN ? n : BLOB_SHOWN;
  cJSON *o = cJSON_CreateObject();
  for (i = 0; i < k; i++) {
    buf[2 * i] = hx[b[i] >> 4];
    buf[2 * i + 1] = hx[b[i] & 15];
  }
  buf[2 * k] = 0;
  cJSON_AddStringToObject(o, "blob", buf);
  cJSON_AddNumberToObject(o, "bytes", n);
  return o;
}

/* Column i of the current row as JSON; *bytes grows by its size; *cut set when text was cut. */
static cJSON *value_json(sqlite3_stmt *st, int i, size_t *bytes, int *cut) {
  switch (sqlite3_column_type(st, i)) {
  case SQLITE_INTEGER: {
    sqlite3_int64 v = sqlite3_column_int64(st, i);
    char num[24];
    *bytes += 12;
    if (v <= 9007199254740992LL && v >= -9007199254740992LL) return cJSON_CreateNumber((double)v);
    snprintf(num, sizeof num, "%lld", (long long)v);
    return cJSON_CreateString(num);
  }
  case SQLITE_FLOAT: {
    double v = sqlite3_column_double(st, i);
    *bytes += 16;
    if (v - v == 0) return cJSON_CreateNumber(v);
    return cJSON_CreateString(v > 0 ? "Infinity" : "-Infinity");
  }
  case SQLITE_TEXT: {
    const char *t = (const char *)sqlite3_column_text(st, i);
    size_t n = (size_t)sqlite3_column_bytes(st, i);
    char *clean;
    cJSON *s;
    if (!t) return cJSON_CreateNull();
    if (n > HUB_SQL_MAX_CELL) {
      n = HUB_SQL_MAX_CELL;
      while (n > 0 && ((unsigned char)t[n] & 0xC0) == 0x80) n--;
      *cut = 1;
    }
    clean = hub__utf8_clean(t, n);
    s = clean ? cJSON_CreateString(clean) : NULL;
    hub_free(clean);
    *bytes += n + 2;
    return s;
  }
  case SQLITE_BLOB:
    *bytes += BLOB_SHOWN * 2 + 24;
    return hex_blob(sqlite3_column_blob(st, i), sqlite3_column_bytes(st, i));
  default: *bytes += 4; return cJSON_CreateNull();
  }
}

/* Steps st into res ({columns, rows, …}); returns NULL, or an error object. */
static cJSON *collect(hub *h, sqlite3_stmt *st, int64_t limit, cJSON *res, budget *b) {
  int ncol = sqlite3_column_count(st), i, rc = SQLITE_ROW, cut = 0;
  cJSON *cols = cJSON_AddArrayToObject(res, "columns"), *rows = cJSON_AddArrayToObject(res, "rows");
  size_t bytes = 0;
  int64_t n = 0;
  int truncated = 0;
  char msg[300];
  for (i = 0; i < ncol; i++) {
    const char *name = sqlite3_column_name(st, i);
    hub__push(cols, cJSON_CreateString(name ? name : ""));
  }
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    cJSON *row;
    if (n >= limit || bytes > HUB_SQL_MAX_BYTES) {
      truncated = 1;
      break;
    }
    row = cJSON_CreateArray();
    for (i = 0; row && i < ncol; i++) hub__push(row, value_json(st, i, &bytes, &cut));
    if (!row || cJSON_GetArraySize(row) != ncol) {
      cJSON_Delete(row);
      return hub__error_json(HUB_E_NOMEM, NULL);
    }
    hub__push(rows, row);
    n++;
  }
  if (rc == SQLITE_INTERRUPT || (rc != SQLITE_ROW && rc != SQLITE_DONE && b->calls >= b->max_calls)) {
    snprintf(msg, sizeof msg, "stopped after %lld steps, the cap on one query's work (%lld rows read so far)",
             (long long)HUB_SQL_MAX_STEPS, (long long)n);
    return hub__error_field(HUB_E_TOO_BIG, "sql", msg);
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    snprintf(msg, sizeof msg, "%s", sqlite3_errmsg(h->db));
    return hub__error_field(HUB_E_BAD_REQUEST, "sql", msg);
  }
  cJSON_AddNumberToObject(res, "row_count", (double)n);
  cJSON_AddBoolToObject(res, "truncated", truncated);
  cJSON_AddBoolToObject(res, "cut", cut);
  cJSON_AddNumberToObject(res, "limit", (double)limit);
  cJSON_AddNumberToObject(res, "steps", (double)(b->calls * HUB_SQL_STEP_CHUNK));
  cJSON_AddNumberToObject(res, "step_cap", (double)HUB_SQL_MAX_STEPS);
  return NULL;
}

cJSON *hub__sql_cmd(hub *h, const cJSON *req) {
  const char *sql = hub__json_str(req, "sql");
  int64_t limit = HUB_SQL_DEFAULT_ROWS;
  sqlite3_stmt *st = NULL;
  cJSON *res = NULL, *err;
  budget b = {0, HUB_SQL_MAX_STEPS / HUB_SQL_STEP_CHUNK};
  locks l;
  size_t len;
  if (!sql) return hub__error_field(HUB_E_BAD_REQUEST, "sql", "sql needs the statement in \"sql\"");
  if (hub__json_int(req, "limit", 1, HUB_SQL_MAX_ROWS, &limit) < 0)
    return hub__error_field(HUB_E_BAD_TYPE, "limit", "\"limit\" is a number of rows from 1 to 5000");
  len = strlen(sql);
  if (len > HUB_SQL_MAX_TEXT) return hub__error_field(HUB_E_TOO_BIG, "sql", "the statement is over 100,000 bytes");
  if (hub__db_in_tx(h)) return hub__error_json(HUB_E_STATE, "a transaction is open");
  locks_on(h, &l);
  if ((err = prepare_checked(h, sql, len, &st)) != NULL) {
    res = err;
    goto done;
  }
  res = cJSON_CreateObject();
  if (!res) {
    res = hub__error_json(HUB_E_NOMEM, NULL);
    goto done;
  }
  sqlite3_progress_handler(h->db, HUB_SQL_STEP_CHUNK, on_progress, &b);
  if ((err = collect(h, st, limit, res, &b)) != NULL) {
    cJSON_Delete(res);
    res = err;
  }
done:
  sqlite3_finalize(st);
  locks_off(h, &l);
  return res;
}

/* ---- saved queries -------------------------------------------------------------------------- */

static cJSON *saved_list(hub *h) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT id,name,sql,builtin FROM saved_queries ORDER BY builtin DESC, name", NULL);
  cJSON *res = cJSON_CreateObject(), *arr = res ? cJSON_AddArrayToObject(res, "queries") : NULL;
  if (!st) {
    cJSON_Delete(res);
    return hub__error_json(HUB_E_DB, h->errmsg);
  }
  while (arr && sqlite3_step(st) == SQLITE_ROW) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)sqlite3_column_int64(st, 0));
    cJSON_AddStringToObject(o, "name", (const char *)sqlite3_column_text(st, 1));
    cJSON_AddStringToObject(o, "sql", (const char *)sqlite3_column_text(st, 2));
    cJSON_AddBoolToObject(o, "builtin", sqlite3_column_int(st, 3));
    hub__push(arr, o);
  }
  hub__db_done(h, st);
  return res;
}

/* Saves (sql given) or deletes (sql null) the query called name. NULL or an error object. */
static cJSON *saved_set(hub *h, const cJSON *set) {
  const char *name = hub__json_str(set, "name");
  const cJSON *jsql = cJSON_GetObjectItemCaseSensitive(set, "sql");
  size_t nlen = name ? strlen(name) : 0;
  sqlite3_stmt *st = NULL;
  cJSON *err;
  locks l;
  if (!cJSON_IsObject(set) || !name || nlen == 0 || nlen > 80 || !hub__utf8_valid(name, nlen))
    return hub__error_field(HUB_E_BAD_REQUEST, "name", "a saved query needs a \"name\" of 1 to 80 characters");
  if (hub__db_int(h, "SELECT builtin FROM saved_queries WHERE name=?", "t", 0, name))
    return hub__error_field(HUB_E_BAD_REQUEST, "name", "the queries hub ships with cannot be changed; save under another name");
  if (cJSON_IsNull(jsql))
    return hub__db_run(h, "DELETE FROM saved_queries WHERE name=?", "t", name) < 0 ? hub__error_json(HUB_E_DB, h->errmsg)
                                                                                 : NULL;
  if (!cJSON_IsString(jsql) || strlen(jsql->valuestring) > HUB_SQL_MAX_TEXT)
    return hub__error_field(HUB_E_BAD_TYPE, "sql", "\"sql\" is the statement (or null to delete)");
  if (hub__db_int(h, "SELECT count(*) FROM saved_queries", NULL, 0) >= MAX_SAVED)
    return hub__error_json(HUB_E_TOO_BIG, "at most 200 saved queries");
  locks_on(h, &l);
  err = prepare_checked(h, jsql->valuestring, strlen(jsql->valuestring), &st);
  sqlite3_finalize(st);
  locks_off(h, &l);
  if (err) return err;
  if (hub__db_run(h, "INSERT INTO saved_queries(name,sql) VALUES(?,?) ON CONFLICT(name) DO UPDATE SET sql=excluded.sql",
                  "tt", name, jsql->valuestring) < 0)
    return hub__error_json(HUB_E_DB, h->errmsg);
  return NULL;
}

cJSON *hub__saved_queries_cmd(hub *h, const cJSON *req) {
  const cJSON *set = cJSON_GetObjectItemCaseSensitive(req, "set");
  cJSON *err;
  if (set && (err = saved_set(h, set)) != NULL) return err;
  return saved_list(h);
}
