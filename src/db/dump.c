/*
 * dump.c — the user's data as a whole: export every table as JSON, import such an export back,
 * and purge everything (db layer; see db.h). Like a migration it owns no table and changes
 * them all, so it is the one module besides the owners that writes them, and only as a whole.
 *
 * Tables and columns are named by this database's own schema (sqlite_master and the columns
 * of "SELECT *"): an import names a table or column that does not exist here, or one spelled
 * with anything but [a-z0-9_], and is refused before anything changes. Values: integers as
 * numbers (as decimal strings beyond ±2^53, which SQLite's INTEGER affinity turns back into
 * integers), reals as numbers (17 significant digits, so they come back bit for bit), text as
 * strings, blobs as {"$blob":"hex"}. What is left out: the validators (ETags under a hash of
 * the token; the next sync rebuilds them) and secret settings (the token).
 */
#include <stdio.h>
#include <string.h>
#include "db/db.h"

#ifndef HUB_DUMP_MAX_TABLES
#define HUB_DUMP_MAX_TABLES 64
#endif
#define SKIPPED "validators"

static int is_name(const char *s) {
  size_t n = 0;
  if (!s) return 0;
  for (; s[n]; n++)
    if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_')) return 0;
  return n > 0 && n <= 64;
}

/* The user's tables (sorted by name), without SQLite's own. New array of strings or NULL. */
static cJSON *tables(hub *h) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite%'"
                                  " ORDER BY name", NULL);
  cJSON *a = cJSON_CreateArray();
  if (!st || !a) {
    hub__db_done(h, st);
    cJSON_Delete(a);
    if (st) hub__set_err(h, "out of memory");
    return NULL;
  }
  while (sqlite3_step(st) == SQLITE_ROW && cJSON_GetArraySize(a) < HUB_DUMP_MAX_TABLES) {
    const char *n = (const char *)sqlite3_column_text(st, 0);
    if (is_name(n)) hub__push(a, cJSON_CreateString(n));
  }
  hub__db_done(h, st);
  return a;
}

static int secret_setting(const char *k) {
  const hub__setting_def *d = k ? hub__setting_def_of(k) : NULL;
  return d && d->kind == HUB_SK_SECRET;
}

/* ---- export ------------------------------------------------------------------------------- */

static cJSON *cell(sqlite3_stmt *st, int i) {
  static const char hx[] = "0123456789abcdef";
  switch (sqlite3_column_type(st, i)) {
  case SQLITE_INTEGER: {
    sqlite3_int64 v = sqlite3_column_int64(st, i);
    char num[24];
    if (v <= 9007199254740992LL && v >= -9007199254740992LL) return cJSON_CreateNumber((double)v);
    snprintf(num, sizeof num, "%lld", (long long)v);
    return cJSON_CreateString(num);
  }
  case SQLITE_FLOAT: { /* 17 digits: cJSON's own printing may round the last bit away */
    double v = sqlite3_column_double(st, i);
    char num[40];
    if (v - v == 0) snprintf(num, sizeof num, "%.17g", v);
    else snprintf(num, sizeof num, "%s", v > 0 ? "1e999" : "-1e999");
    if (!strpbrk(num, ".eEn")) strcat(num, ".0"); /* stays a real: 2.0, not 2 */
    return cJSON_CreateRaw(num);
  }
  case SQLITE_TEXT: {
    char *t = hub__utf8_clean((const char *)sqlite3_column_text(st, i), (size_t)sqlite3_column_bytes(st, i));
    cJSON *s = t ? cJSON_CreateString(t) : NULL;
    hub_free(t);
    return s;
  }
  case SQLITE_BLOB: {
    const unsigned char *b = sqlite3_column_blob(st, i);
    int n = sqlite3_column_bytes(st, i), k;
    char *x = hub__malloc((size_t)n * 2 + 1);
    cJSON *o = x ? cJSON_CreateObject() : NULL;
    for (k = 0; x && k < n; k++) {
      x[2 * k] = hx[b[k] >> 4];
      x[2 * k + 1] = hx[b[k] & 15];
    }
    if (x) x[2 * n] = 0;
    if (o && !cJSON_AddStringToObject(o, "$blob", x)) {
      cJSON_Delete(o);
      o = NULL;
    }
    hub_free(x);
    return o;
  }
  default: return cJSON_CreateNull();
  }
}

/* One table as {"columns","rows"}; NULL on error (h->errmsg). */
static cJSON *export_table(hub *h, const char *t) {
  char *sql = hub__printf("SELECT * FROM \"%s\"", t);
  sqlite3_stmt *st = sql ? hub__db_q_dyn(h, sql, NULL) : NULL;
  cJSON *o = cJSON_CreateObject(), *cols, *rows;
  int ncol, i, rc, settings = strcmp(t, "settings") == 0, ok = 1;
  hub_free(sql);
  if (!st || !o) goto fail;
  cols = cJSON_AddArrayToObject(o, "columns");
  rows = cJSON_AddArrayToObject(o, "rows");
  ncol = sqlite3_column_count(st);
  for (i = 0; i < ncol; i++) hub__push(cols, cJSON_CreateString(sqlite3_column_name(st, i)));
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    cJSON *r;
    if (settings && secret_setting((const char *)sqlite3_column_text(st, 0))) continue;
    r = cJSON_CreateArray();
    for (i = 0; r && i < ncol; i++) hub__push(r, cell(st, i));
    if (!r || cJSON_GetArraySize(r) != ncol || !cJSON_AddItemToArray(rows, r)) {
      cJSON_Delete(r);
      ok = 0;
      break;
    }
  }
  if (!ok || cJSON_GetArraySize(cols) != ncol) {
    hub__set_err(h, "out of memory");
    goto fail;
  }
  if (rc != SQLITE_DONE) {
    hub__db_fail(h);
    goto fail;
  }
  hub__db_done(h, st);
  return o;
fail:
  if (!st && !h->errmsg[0]) hub__set_err(h, "out of memory");
  hub__db_done(h, st);
  cJSON_Delete(o);
  return NULL;
}

cJSON *hub__db_export(hub *h) {
  cJSON *names = tables(h), *res = cJSON_CreateObject(), *tabs, *om, *n;
  if (!names || !res) goto fail;
  cJSON_AddNumberToObject(res, "hub_export", 1);
  cJSON_AddNumberToObject(res, "schema", (double)hub__db_schema_version());
  tabs = cJSON_AddObjectToObject(res, "tables");
  om = cJSON_AddArrayToObject(res, "omitted");
  hub__push(om, cJSON_CreateString("validators (rebuilt by the next sync)"));
  hub__push(om, cJSON_CreateString("secret settings (the token)"));
  if (!tabs) goto fail;
  cJSON_ArrayForEach(n, names) {
    cJSON *t;
    if (strcmp(n->valuestring, SKIPPED) == 0) continue;
    if (!(t = export_table(h, n->valuestring))) goto fail;
    hub__put(tabs, n->valuestring, t);
  }
  cJSON_Delete(names);
  return res;
fail:
  if (!h->errmsg[0]) hub__set_err(h, "out of memory");
  cJSON_Delete(names);
  cJSON_Delete(res);
  return NULL;
}

/* ---- emptying ------------------------------------------------------------------------------ */

/* Deletes every setting but the secret ones. 0 or -1. */
static int empty_settings_but_secrets(hub *h) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT k FROM settings", NULL);
  cJSON *keys = cJSON_CreateArray(), *k;
  int rc = 0;
  if (!st || !keys) {
    hub__db_done(h, st);
    cJSON_Delete(keys);
    return st ? (hub__set_err(h, "out of memory"), -1) : -1;
  }
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *key = (const char *)sqlite3_column_text(st, 0);
    if (key && !secret_setting(key)) hub__push(keys, cJSON_CreateString(key));
  }
  hub__db_done(h, st);
  cJSON_ArrayForEach(k, keys) if (rc == 0 && cJSON_IsString(k) && hub__db_run(h, "DELETE FROM settings WHERE k=?", "t", k->valuestring) < 0) rc = -1;
  cJSON_Delete(keys);
  return rc;
}

/* Deletes the rows of every table in names (inside the caller's transaction); with
 * keep_secrets the secret settings stay. Adds each table's count to counts (when not NULL).
 * Returns the rows deleted or -1. */
static int64_t empty_all(hub *h, const cJSON *names, int keep_secrets, cJSON *counts) {
  const cJSON *n;
  int64_t total = 0;
  cJSON_ArrayForEach(n, names) {
    const char *t = n->valuestring;
    char *cnt = hub__printf("SELECT count(*) FROM \"%s\"", t), *del;
    sqlite3_stmt *st = cnt ? hub__db_q_dyn(h, cnt, NULL) : NULL;
    int64_t c = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    hub__db_done(h, st);
    hub_free(cnt);
    if (c < 0) return h->errmsg[0] ? -1 : (hub__set_err(h, "out of memory"), -1);
    if (strcmp(t, "saved_queries") == 0) del = hub__strdup("DELETE FROM saved_queries WHERE builtin=0");
    else if (strcmp(t, "settings") == 0 && keep_secrets) {
      if (empty_settings_but_secrets(h)) return -1;
      total += c;
      continue;
    }
    else del = hub__printf("DELETE FROM \"%s\"", t);
    if (!del) return hub__set_err(h, "out of memory"), -1;
    st = hub__db_q_dyn(h, del, NULL);
    hub_free(del);
    if (!st) return -1;
    if (sqlite3_step(st) != SQLITE_DONE) {
      hub__db_fail(h);
      hub__db_done(h, st);
      return -1;
    }
    hub__db_done(h, st);
    if (counts) cJSON_AddNumberToObject(counts, t, (double)c);
    total += c;
  }
  return total;
}

int64_t hub__db_purge(hub *h) {
  cJSON *names = tables(h);
  int64_t n = -1;
  if (!names) return -1;
  sqlite3_exec(h->db, "PRAGMA secure_delete=ON", NULL, NULL, NULL);
  if (hub__db_begin(h) == 0 && hub__db_exec(h, "PRAGMA defer_foreign_keys=ON") == 0 &&
      (n = empty_all(h, names, 0, NULL)) >= 0 && hub__db_commit(h) == 0) {
    /* secure_delete zeroes deleted cells, but a b-tree page rebuilt while rows go can keep
     * old bytes in its unused space: VACUUM writes the file afresh (best effort: the rows
     * are gone either way), and the checkpoint empties the WAL */
    sqlite3_exec(h->db, "VACUUM", NULL, NULL, NULL);
    sqlite3_exec(h->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
  } else {
    hub__db_rollback(h);
    n = -1;
  }
  sqlite3_exec(h->db, "PRAGMA secure_delete=OFF", NULL, NULL, NULL);
  cJSON_Delete(names);
  return n;
}

/* ---- import -------------------------------------------------------------------------------- */

/* Binds one JSON value as parameter i. 0 or -1 (h->errmsg). */
static int bind_value(hub *h, sqlite3_stmt *st, int i, const cJSON *v) {
  int rc;
  if (cJSON_IsNull(v)) rc = sqlite3_bind_null(st, i);
  else if (cJSON_IsBool(v)) rc = sqlite3_bind_int(st, i, cJSON_IsTrue(v));
  else if (cJSON_IsNumber(v)) {
    int64_t k;
    rc = hub__num_in(v->valuedouble, -9007199254740992LL, 9007199254740992LL, &k) == 0 && (double)k == v->valuedouble
             ? sqlite3_bind_int64(st, i, k)
             : sqlite3_bind_double(st, i, v->valuedouble);
  } else if (cJSON_IsString(v)) {
    rc = sqlite3_bind_text(st, i, v->valuestring, -1, SQLITE_TRANSIENT);
  } else {
    const char *x = hub__json_str(v, "$blob");
    size_t n = x ? strlen(x) : 1, k;
    unsigned char *b;
    if (!cJSON_IsObject(v) || !x || n % 2) {
      hub__set_err(h, "a value is not a number, text, null or {\"$blob\":hex}");
      return -1;
    }
    b = hub__malloc(n / 2 + 1);
    if (!b) return hub__set_err(h, "out of memory"), -1;
    for (k = 0; k < n / 2; k++) {
      int hi = x[2 * k], lo = x[2 * k + 1];
      hi = hi >= '0' && hi <= '9' ? hi - '0' : hi >= 'a' && hi <= 'f' ? hi - 'a' + 10 : -1;
      lo = lo >= '0' && lo <= '9' ? lo - '0' : lo >= 'a' && lo <= 'f' ? lo - 'a' + 10 : -1;
      if (hi < 0 || lo < 0) {
        hub_free(b);
        hub__set_err(h, "a blob is not lower-case hex");
        return -1;
      }
      b[k] = (unsigned char)(hi * 16 + lo);
    }
    rc = sqlite3_bind_blob64(st, i, b, (sqlite3_uint64)(n / 2), SQLITE_TRANSIENT);
    hub_free(b);
  }
  return rc == SQLITE_OK ? 0 : hub__db_fail(h);
}

/* Checks that table t of the export names this schema's table and columns. 0 or -1. */
static int check_table(hub *h, const cJSON *names, const char *t, const cJSON *tab) {
  const cJSON *cols = cJSON_GetObjectItemCaseSensitive(tab, "columns"), *c, *n;
  char *sql;
  sqlite3_stmt *st;
  int found = 0, ncol, i;
  cJSON_ArrayForEach(n, names) found |= strcmp(n->valuestring, t) == 0;
  if (!is_name(t) || !found || strcmp(t, SKIPPED) == 0) {
    hub__set_err(h, "the export names a table this hub does not have: \"%.64s\"", t);
    return -1;
  }
  if (!cJSON_IsArray(cols) || cJSON_GetArraySize(cols) < 1 ||
      !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(tab, "rows"))) {
    hub__set_err(h, "table \"%s\" of the export needs \"columns\" and \"rows\" arrays", t);
    return -1;
  }
  sql = hub__printf("SELECT * FROM \"%s\" LIMIT 0", t);
  st = sql ? hub__db_q_dyn(h, sql, NULL) : NULL;
  hub_free(sql);
  if (!st) return -1;
  ncol = sqlite3_column_count(st);
  cJSON_ArrayForEach(c, cols) {
    int ok = 0;
    for (i = 0; cJSON_IsString(c) && i < ncol; i++) ok |= strcmp(sqlite3_column_name(st, i), c->valuestring) == 0;
    if (!ok || !is_name(c->valuestring)) {
      hub__db_done(h, st);
      hub__set_err(h, "table \"%s\" has no column \"%.64s\"", t, cJSON_IsString(c) ? c->valuestring : "?");
      return -1;
    }
  }
  hub__db_done(h, st);
  return 0;
}

/* Writes the rows of one checked table. Returns the rows written or -1. */
static int64_t import_table(hub *h, const char *t, const cJSON *tab) {
  const cJSON *cols = cJSON_GetObjectItemCaseSensitive(tab, "columns"), *rows = cJSON_GetObjectItemCaseSensitive(tab, "rows");
  const cJSON *c, *r;
  int ncol = cJSON_GetArraySize(cols), i, settings = strcmp(t, "settings") == 0, kcol = -1;
  hub__buf b;
  sqlite3_stmt *st;
  int64_t n = 0;
  hub__buf_init(&b, 65536);
  hub__buf_str(&b, "INSERT OR REPLACE INTO \"");
  hub__buf_str(&b, t);
  hub__buf_str(&b, "\"(");
  i = 0;
  cJSON_ArrayForEach(c, cols) {
    if (settings && strcmp(c->valuestring, "k") == 0) kcol = i;
    hub__buf_str(&b, i++ ? ",\"" : "\"");
    hub__buf_str(&b, c->valuestring);
    hub__buf_str(&b, "\"");
  }
  hub__buf_str(&b, ") VALUES(");
  for (i = 0; i < ncol; i++) hub__buf_str(&b, i ? ",?" : "?");
  hub__buf_add(&b, ")", 2);
  if (b.failed) {
    hub__buf_free(&b);
    return hub__set_err(h, "out of memory"), -1;
  }
  st = hub__db_q_dyn(h, b.p, NULL);
  hub__buf_free(&b);
  if (!st) return -1;
  cJSON_ArrayForEach(r, rows) {
    if (!cJSON_IsArray(r) || cJSON_GetArraySize(r) != ncol) {
      hub__set_err(h, "a row of table \"%s\" does not have %d values", t, ncol);
      goto fail;
    }
    if (kcol >= 0) {
      const cJSON *k = cJSON_GetArrayItem(r, kcol);
      if (cJSON_IsString(k) && secret_setting(k->valuestring)) continue; /* the token stays as it is */
    }
    for (i = 0; i < ncol; i++)
      if (bind_value(h, st, i + 1, cJSON_GetArrayItem(r, i))) goto fail;
    if (sqlite3_step(st) != SQLITE_DONE) {
      hub__set_err(h, "table \"%s\", row %lld: %s", t, (long long)n + 1, sqlite3_errmsg(h->db));
      goto fail;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    n++;
  }
  hub__db_done(h, st);
  return n;
fail:
  hub__db_done(h, st);
  return -1;
}

/* Tables that triggers write (replica/: the change log, the stamps, the origin): importing the
 * other tables fires those triggers, so these are emptied again and imported last, as they were
 * exported. */
static int trigger_filled(const char *t) { return strncmp(t, "replica_", 8) == 0; }

int64_t hub__db_import(hub *h, const cJSON *data) {
  const cJSON *tabs = cJSON_GetObjectItemCaseSensitive(data, "tables"), *t;
  cJSON *names = NULL;
  int64_t ver = 0, schema = 0, total = 0, n;
  if (hub__json_int(data, "hub_export", 1, 1, &ver) != 1 || !cJSON_IsObject(tabs)) {
    hub__set_err(h, "not a hub export (it needs \"hub_export\":1 and \"tables\")");
    return -1;
  }
  if (hub__json_int(data, "schema", 1, hub__db_schema_version(), &schema) != 1) {
    hub__set_err(h, "the export is from a newer hub, or says no schema; this hub has schema %d", hub__db_schema_version());
    return -1;
  }
  if (!(names = tables(h))) return -1;
  cJSON_ArrayForEach(t, tabs) if (check_table(h, names, t->string, t)) goto fail;
  if (hub__db_begin(h) || hub__db_exec(h, "PRAGMA defer_foreign_keys=ON") || empty_all(h, names, 1, NULL) < 0) goto fail_tx;
  cJSON_ArrayForEach(t, tabs) {
    if (trigger_filled(t->string)) continue;
    if ((n = import_table(h, t->string, t)) < 0) goto fail_tx;
    total += n;
  }
  cJSON_Delete(names); /* now the trigger-filled tables of the export, emptied again */
  if (!(names = cJSON_CreateArray())) goto oom_tx;
  cJSON_ArrayForEach(t, tabs) if (trigger_filled(t->string)) hub__push(names, cJSON_CreateString(t->string));
  if (empty_all(h, names, 1, NULL) < 0) goto fail_tx;
  cJSON_ArrayForEach(t, tabs) {
    if (!trigger_filled(t->string)) continue;
    if ((n = import_table(h, t->string, t)) < 0) goto fail_tx;
    total += n;
  }
  if (hub__db_commit(h)) goto fail;
  cJSON_Delete(names);
  return total;
oom_tx:
  hub__set_err(h, "out of memory");
fail_tx:
  hub__db_rollback(h);
fail:
  cJSON_Delete(names);
  return -1;
}

int64_t hub__db_size(hub *h, int64_t *page_count, int64_t *page_size, int64_t *freelist) {
  *page_count = hub__db_int(h, "PRAGMA page_count", NULL, 0);
  *page_size = hub__db_int(h, "PRAGMA page_size", NULL, 0);
  *freelist = hub__db_int(h, "PRAGMA freelist_count", NULL, 0);
  return hub__mul_sat(*page_count, *page_size);
}
