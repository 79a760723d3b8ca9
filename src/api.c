/*
 * api.c — hub_open/hub_close and the one JSON command API (hub_call).
 *
 * Every caller — the web worker through wasm, the native CLI, hubd's routes, the tests —
 * goes through hub_call(). Requests are JSON objects with a "cmd"; results are JSON
 * objects; failures are {"error":{"code","message"}}. Nothing here aborts on bad input.
 */
#include <stdio.h>
#include <string.h>
#include "sync_int.h"

cJSON *hub__error_json(hub_err e, const char *detail) {
  cJSON *r = cJSON_CreateObject(), *err;
  if (!r) return NULL;
  err = cJSON_AddObjectToObject(r, "error");
  cJSON_AddStringToObject(err, "code", hub__err_code(e));
  cJSON_AddStringToObject(err, "message", detail && *detail ? detail : hub__err_msg(e));
  return r;
}

int hub_open(const char *path, const char *vfs, hub **out, char *errbuf, size_t errlen) {
  hub *h;
  hub__mem_init();
  *out = NULL;
  h = hub__malloc(sizeof *h);
  if (!h) {
    if (errbuf && errlen) snprintf(errbuf, errlen, "out of memory");
    return -1;
  }
  memset(h, 0, sizeof *h);
  if (hub__store_open(h, path, vfs)) {
    if (errbuf && errlen) snprintf(errbuf, errlen, "%s", h->errmsg);
    hub__store_close(h);
    hub_free(h);
    return -1;
  }
  *out = h;
  return 0;
}

void hub_close(hub *h) {
  if (!h) return;
  hub__sync_free(h);
  hub__weights_invalidate(h);
  hub__store_close(h);
  hub_free(h);
}

/* ---- settings -------------------------------------------------------------------------- */

/* Settings a caller may set, with their kind (s string, b bool, n number, j JSON), their
 * default as shown, and whether changing them rescores every item. */
static const struct { const char *key; char kind; double dflt; int rescore; } settable[] = {
    {"github_user", 's', 0, 1},       {"github_token", 's', 0, 0},    {"github_api", 's', 0, 0},
    {"notifications", 'b', 1, 0},     {"search", 'b', 1, 0},          {"repos", 'j', 0, 0},
    {"page_size", 'n', 100, 0},       {"reconcile_hours", 'n', 24, 0}, {"decay_days", 'n', 30, 1},
    {"engagement_weight", 'n', 1, 1}, {"user_weight", 'n', 2, 1},     {"bug_weight", 'n', 1.5, 1},
    {"label_weights", 'j', 0, 1},
    {"tangled_handle", 's', 0, 0},    {"tangled_repos", 'j', 0, 0},   {"atproto_plc", 's', 0, 0},
    {"atproto_resolver", 's', 0, 0},  {"tangled_backlinks", 's', 0, 0},
    {"atproto_identity_ttl_hours", 'n', 24, 0}, {"tangled_poll_minutes", 'n', 5, 0},
    /* gfi (gfi.c): list URL (empty = off), the user's search, repos per sync, window period */
    {"gfi_awesome_url", 's', 0, 0},   {"gfi_query", 's', 0, 0},       {"gfi_repo_limit", 'n', 30, 0},
    {"gfi_rotate_hours", 'n', 24, 0},
};

static cJSON *settings_json(hub *h) {
  cJSON *r = cJSON_CreateObject(), *o = cJSON_AddObjectToObject(r, "settings");
  size_t i;
  for (i = 0; i < sizeof settable / sizeof settable[0]; i++) {
    char *v = hub__setting_get(h, settable[i].key);
    const char *k = settable[i].key;
    if (strcmp(k, "github_token") == 0) {
      cJSON_AddBoolToObject(o, "github_token_set", v && *v); /* never echoed */
    } else if (!v) {
      if (strcmp(k, "github_api") == 0) cJSON_AddStringToObject(o, k, "https://api.github.com");
      else if (settable[i].kind == 'b') cJSON_AddBoolToObject(o, k, settable[i].dflt != 0);
      else if (settable[i].kind == 'n') cJSON_AddNumberToObject(o, k, settable[i].dflt);
      else if (strlen(k) >= 5 && strcmp(k + strlen(k) - 5, "repos") == 0) cJSON_AddArrayToObject(o, k);
      else if (settable[i].kind == 'j') cJSON_AddObjectToObject(o, k);
      else cJSON_AddNullToObject(o, k);
    } else if (settable[i].kind == 'b') {
      cJSON_AddBoolToObject(o, k, strcmp(v, "0") != 0);
    } else if (settable[i].kind == 'n') {
      cJSON_AddNumberToObject(o, k, hub__setting_num(h, k, 0));
    } else if (settable[i].kind == 'j') {
      cJSON *j = cJSON_Parse(v);
      if (j) hub__put(o, k, j);
      else cJSON_AddNullToObject(o, k);
    } else {
      cJSON_AddStringToObject(o, k, v);
    }
    hub_free(v);
  }
  {
    cJSON *c = cJSON_AddObjectToObject(o, "contributors");
    sqlite3_stmt *st = NULL;
    if (c && sqlite3_prepare_v2(h->db, "SELECT login,weight FROM contributors ORDER BY login", -1,
                                &st, NULL) == SQLITE_OK)
      while (sqlite3_step(st) == SQLITE_ROW)
        cJSON_AddNumberToObject(c, (const char *)sqlite3_column_text(st, 0),
                                sqlite3_column_double(st, 1));
    sqlite3_finalize(st);
  }
  return r;
}

static cJSON *cmd_settings(hub *h, const cJSON *req) {
  const cJSON *set = cJSON_GetObjectItemCaseSensitive(req, "set"), *e;
  int rescore = 0;
  char msg[200];
  if (!set) return settings_json(h);
  if (!cJSON_IsObject(set)) return hub__error_json(HUB_E_BAD_TYPE, "\"set\" must be an object");
  if (hub__store_begin(h)) return hub__error_json(HUB_E_DB, h->errmsg);
  cJSON_ArrayForEach(e, set) {
    size_t i;
    char *val = NULL;
    int found = 0, rc;
    if (strcmp(e->string, "contributors") == 0) {
      const cJSON *c;
      if (!cJSON_IsObject(e)) goto bad_type;
      if (hub__exec(h, "DELETE FROM contributors")) goto db;
      cJSON_ArrayForEach(c, e) {
        sqlite3_stmt *st = NULL;
        if (!cJSON_IsNumber(c) || c->valuedouble < 0) goto bad_type;
        if (sqlite3_prepare_v2(h->db, "INSERT OR REPLACE INTO contributors(login,weight) VALUES(?,?)",
                               -1, &st, NULL) != SQLITE_OK) goto db;
        sqlite3_bind_text(st, 1, c->string, -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 2, c->valuedouble);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) goto db;
      }
      rescore = 1;
      continue;
    }
    for (i = 0; i < sizeof settable / sizeof settable[0]; i++) {
      if (strcmp(e->string, settable[i].key) != 0) continue;
      found = 1;
      if (cJSON_IsNull(e)) {
        val = NULL;
      } else if (settable[i].kind == 's') {
        if (!cJSON_IsString(e) || strlen(e->valuestring) > 4096) goto bad_type;
        val = hub__strdup(e->valuestring);
      } else if (settable[i].kind == 'b') {
        if (!cJSON_IsBool(e)) goto bad_type;
        val = hub__strdup(cJSON_IsTrue(e) ? "1" : "0");
      } else if (settable[i].kind == 'n') {
        if (!cJSON_IsNumber(e)) goto bad_type;
        val = hub__printf("%.17g", e->valuedouble);
      } else {
        if (strcmp(e->string, "repos") == 0 && !cJSON_IsArray(e)) goto bad_type;
        if (strcmp(e->string, "label_weights") == 0 && !cJSON_IsObject(e)) goto bad_type;
        val = cJSON_PrintUnformatted(e);
      }
      if (!cJSON_IsNull(e) && !val) goto oom;
      if (strcmp(e->string, "github_api") == 0 && val &&
          strncmp(val, "https://", 8) != 0 && strncmp(val, "http://127.0.0.1", 16) != 0 &&
          strncmp(val, "http://localhost", 16) != 0) {
        hub_free(val);
        hub__store_rollback(h);
        return hub__error_json(HUB_E_BAD_REQUEST,
                               "github_api must be an https:// URL (or http:// on localhost)");
      }
      rc = hub__setting_set(h, settable[i].key, val);
      hub_free(val);
      if (rc) goto db;
      if (strcmp(e->string, "github_token") == 0 || strcmp(e->string, "github_api") == 0) {
        /* a new token or server starts a new conversation: drop the poll schedule */
        if (hub__setting_set(h, "notif_next_poll_ms", NULL)) goto db;
      }
      if (settable[i].rescore) rescore = 1;
      break;
    }
    if (!found) {
      hub__store_rollback(h);
      snprintf(msg, sizeof msg, "unknown setting \"%.100s\"", e->string);
      return hub__error_json(HUB_E_BAD_REQUEST, msg);
    }
  }
  if (rescore && hub__store_rescore(h)) goto db;
  if (hub__store_commit(h)) goto db;
  hub__weights_invalidate(h);
  return settings_json(h);
bad_type:
  hub__store_rollback(h);
  snprintf(msg, sizeof msg, "setting \"%.100s\" has the wrong type", e->string);
  return hub__error_json(HUB_E_BAD_TYPE, msg);
oom:
  hub__store_rollback(h);
  return hub__error_json(HUB_E_NOMEM, NULL);
db:
  hub__store_rollback(h);
  hub__weights_invalidate(h);
  return hub__error_json(HUB_E_DB, h->errmsg);
}

/* ---- cards ----------------------------------------------------------------------------- */

static int64_t now_s_of(const cJSON *req, int *ok) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, "now");
  *ok = cJSON_IsNumber(v) && v->valuedouble >= 0;
  return *ok ? (int64_t)(v->valuedouble / 1000) : 0;
}

static cJSON *json_or_empty(const unsigned char *t) {
  cJSON *j = t ? cJSON_Parse((const char *)t) : NULL;
  return j ? j : cJSON_CreateArray();
}

static void add_text(cJSON *o, const char *k, sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  if (t) cJSON_AddStringToObject(o, k, (const char *)t);
  else cJSON_AddNullToObject(o, k);
}

static cJSON *reasons_of(hub *h, int64_t id) {
  cJSON *arr = cJSON_CreateArray();
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(h->db, "SELECT reason FROM item_reasons WHERE item_id=? ORDER BY reason",
                         -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, id);
    while (sqlite3_step(st) == SQLITE_ROW)
      hub__push(arr, cJSON_CreateString((const char *)sqlite3_column_text(st, 0)));
  }
  sqlite3_finalize(st);
  return arr;
}

#define CARD_COLS                                                                             \
  "id,key,source,repo,number,kind,title,state,author,labels,comments,reactions,created_at,"   \
  "updated_at,url,unread,rank,assignees,first_seen,last_seen,body,coalesce(updated_at,created_at,first_seen)," \
  "activity"

static cJSON *card_json(hub *h, sqlite3_stmt *st, int64_t now_s, int detail) {
  const hub__weights *w = hub__weights_get(h);
  cJSON *c = cJSON_CreateObject();
  int64_t id = sqlite3_column_int64(st, 0);
  if (!c) return NULL;
  add_text(c, "key", st, 1);
  add_text(c, "source", st, 2);
  add_text(c, "repo", st, 3);
  cJSON_AddNumberToObject(c, "number", (double)sqlite3_column_int64(st, 4));
  add_text(c, "kind", st, 5);
  add_text(c, "title", st, 6);
  add_text(c, "state", st, 7);
  add_text(c, "author", st, 8);
  hub__put(c, "labels", json_or_empty(sqlite3_column_text(st, 9)));
  cJSON_AddNumberToObject(c, "comments", (double)sqlite3_column_int64(st, 10));
  cJSON_AddNumberToObject(c, "reactions", (double)sqlite3_column_int64(st, 11));
  cJSON_AddNumberToObject(c, "created_at", (double)sqlite3_column_int64(st, 12));
  cJSON_AddNumberToObject(c, "updated_at", (double)sqlite3_column_int64(st, 13));
  add_text(c, "url", st, 14);
  cJSON_AddBoolToObject(c, "unread", sqlite3_column_int(st, 15));
  hub__put(c, "reasons", reasons_of(h, id));
  cJSON_AddNumberToObject(c, "score", hub__score_at(w, sqlite3_column_double(st, 16), now_s));
  if (detail) {
    hub__factors f;
    cJSON *fj;
    const char *labels = (const char *)sqlite3_column_text(st, 9);
    hub__put(c, "assignees", json_or_empty(sqlite3_column_text(st, 17)));
    cJSON_AddNumberToObject(c, "first_seen", (double)sqlite3_column_int64(st, 18));
    cJSON_AddNumberToObject(c, "last_seen", (double)sqlite3_column_int64(st, 19));
    add_text(c, "body", st, 20);
    {
      const char *body = (const char *)sqlite3_column_text(st, 20);
      hub__put(c, "body_ast", body ? hub__markdown_ast(body, strlen(body)) : cJSON_CreateArray());
    }
    hub__score_explain(w, sqlite3_column_int64(st, 10), sqlite3_column_int64(st, 11),
                       hub__label_mult(w, labels),
                       hub__contributor(w, (const char *)sqlite3_column_text(st, 8)),
                       sqlite3_column_int64(st, 21), now_s, &f);
    {
      /* good-first issues carry their repo's activity as one more factor */
      double act = sqlite3_column_double(st, 22);
      f.activity = act > 0 ? act : 1.0;
      f.score *= f.activity;
    }
    fj = cJSON_AddObjectToObject(c, "factors");
    cJSON_AddNumberToObject(fj, "age_days", f.age_days);
    cJSON_AddNumberToObject(fj, "recency", f.recency);
    cJSON_AddNumberToObject(fj, "decay_days", w->decay_days);
    cJSON_AddNumberToObject(fj, "engagement", f.engagement);
    cJSON_AddNumberToObject(fj, "labels", f.labels);
    cJSON_AddNumberToObject(fj, "contributor", f.contributor);
    if (f.activity != 1.0) cJSON_AddNumberToObject(fj, "activity", f.activity);
    cJSON_AddNumberToObject(fj, "score", f.score);
  }
  return c;
}

static cJSON *cmd_cards(hub *h, const cJSON *req) {
  int ok;
  int64_t now_s = now_s_of(req, &ok);
  const cJSON *lim = cJSON_GetObjectItemCaseSensitive(req, "limit");
  int limit = HUB_CARDS_MAX;
  sqlite3_stmt *st = NULL;
  cJSON *r, *arr;
  if (!ok) return hub__error_json(HUB_E_BAD_REQUEST, "cards needs \"now\" (ms)");
  if (lim) {
    if (!cJSON_IsNumber(lim) || lim->valuedouble < 1) return hub__error_json(HUB_E_BAD_TYPE, "\"limit\" must be a positive number");
    if (lim->valuedouble < HUB_CARDS_MAX) limit = (int)lim->valuedouble;
  }
  {
    /* "from": which route brought the item — one item can be several at once */
    static const struct { const char *name, *where; } from[] = {
        {"all", ""},
        {"github", " AND source='github' AND EXISTS (SELECT 1 FROM item_reasons r WHERE r.item_id=items.id"
                   " AND r.reason NOT LIKE 'good first issue%')"},
        {"tangled", " AND source='tangled'"},
        {"gfi", " AND EXISTS (SELECT 1 FROM item_reasons r WHERE r.item_id=items.id"
                " AND r.reason LIKE 'good first issue%')"},
    };
    const cJSON *fj = cJSON_GetObjectItemCaseSensitive(req, "from");
    size_t i, pick = 0;
    char sql[1024];
    if (fj) {
      for (i = 0; i < sizeof from / sizeof from[0]; i++)
        if (cJSON_IsString(fj) && strcmp(fj->valuestring, from[i].name) == 0) pick = i + 1;
      if (!pick) return hub__error_json(HUB_E_BAD_REQUEST, "\"from\" must be all, github, tangled or gfi");
      pick--;
    }
    snprintf(sql, sizeof sql, "SELECT " CARD_COLS " FROM items WHERE state='open'%s ORDER BY rank DESC, id LIMIT ?",
             from[pick].where);
    if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK)
      return hub__error_json(HUB_E_DB, sqlite3_errmsg(h->db));
  }
  sqlite3_bind_int(st, 1, limit);
  r = cJSON_CreateObject();
  arr = cJSON_AddArrayToObject(r, "cards");
  while (sqlite3_step(st) == SQLITE_ROW) hub__push(arr, card_json(h, st, now_s, 0));
  sqlite3_finalize(st);
  return r;
}

static cJSON *cmd_card(hub *h, const cJSON *req) {
  int ok;
  int64_t now_s = now_s_of(req, &ok);
  const cJSON *key = cJSON_GetObjectItemCaseSensitive(req, "key");
  sqlite3_stmt *st = NULL;
  cJSON *r = NULL;
  if (!ok) return hub__error_json(HUB_E_BAD_REQUEST, "card needs \"now\" (ms)");
  if (!cJSON_IsString(key)) return hub__error_json(HUB_E_BAD_REQUEST, "card needs \"key\"");
  if (sqlite3_prepare_v2(h->db, "SELECT " CARD_COLS " FROM items WHERE key=?", -1, &st, NULL) != SQLITE_OK)
    return hub__error_json(HUB_E_DB, sqlite3_errmsg(h->db));
  sqlite3_bind_text(st, 1, key->valuestring, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW) {
    r = cJSON_CreateObject();
    hub__put(r, "card", card_json(h, st, now_s, 1));
  }
  sqlite3_finalize(st);
  return r ? r : hub__error_json(HUB_E_NOT_FOUND, "no item with that key");
}

static cJSON *cmd_stats(hub *h) {
  sqlite3_stmt *st = NULL;
  cJSON *r = cJSON_CreateObject(), *o = cJSON_AddObjectToObject(r, "stats");
  if (sqlite3_prepare_v2(h->db,
                         "SELECT count(*), count(*) FILTER (WHERE state='open'),"
                         " count(*) FILTER (WHERE reactions>0), count(DISTINCT repo),"
                         " count(*) FILTER (WHERE unread AND state='open') FROM items",
                         -1, &st, NULL) != SQLITE_OK) {
    cJSON_Delete(r);
    return hub__error_json(HUB_E_DB, sqlite3_errmsg(h->db));
  }
  if (sqlite3_step(st) == SQLITE_ROW) {
    cJSON_AddNumberToObject(o, "tracked", sqlite3_column_int(st, 0));
    cJSON_AddNumberToObject(o, "open", sqlite3_column_int(st, 1));
    cJSON_AddNumberToObject(o, "with_reactions", sqlite3_column_int(st, 2));
    cJSON_AddNumberToObject(o, "repos", sqlite3_column_int(st, 3));
    cJSON_AddNumberToObject(o, "unread", sqlite3_column_int(st, 4));
  }
  sqlite3_finalize(st);
  return r;
}

static cJSON *cmd_last_run(hub *h) {
  sqlite3_stmt *st = NULL;
  cJSON *r = cJSON_CreateObject();
  if (sqlite3_prepare_v2(h->db,
                         "SELECT id,started,finished,status,new,updated,unchanged,skipped,requests,"
                         "not_modified,charged,retries,waited_ms,errors,limits,sources,skip_reasons FROM runs "
                         "ORDER BY id DESC LIMIT 1",
                         -1, &st, NULL) != SQLITE_OK) {
    cJSON_Delete(r);
    return hub__error_json(HUB_E_DB, sqlite3_errmsg(h->db));
  }
  if (sqlite3_step(st) == SQLITE_ROW) {
    static const char *const names[] = {"id", "started", "finished", "status", "new", "updated",
                                        "unchanged", "skipped", "requests", "not_modified",
                                        "charged", "retries", "waited_ms"};
    cJSON *o = cJSON_AddObjectToObject(r, "run");
    int i;
    for (i = 0; i < 13; i++) {
      if (sqlite3_column_type(st, i) == SQLITE_NULL) cJSON_AddNullToObject(o, names[i]);
      else if (i == 3) add_text(o, names[i], st, i);
      else cJSON_AddNumberToObject(o, names[i], (double)sqlite3_column_int64(st, i));
    }
    hub__put(o, "errors", json_or_empty(sqlite3_column_text(st, 13)));
    {
      cJSON *l = cJSON_Parse((const char *)sqlite3_column_text(st, 14));
      hub__put(o, "limits", l ? l : cJSON_CreateObject());
      l = cJSON_Parse((const char *)sqlite3_column_text(st, 15));
      hub__put(o, "sources", l ? l : cJSON_CreateObject());
      l = cJSON_Parse((const char *)sqlite3_column_text(st, 16));
      hub__put(o, "skip_reasons", l ? l : cJSON_CreateObject());
    }
  } else {
    cJSON_AddNullToObject(r, "run");
  }
  sqlite3_finalize(st);
  return r;
}

/* ---- dispatcher ------------------------------------------------------------------------ */

static cJSON *dispatch(hub *h, const cJSON *req) {
  const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(req, "cmd");
  const char *c;
  char msg[160];
  if (!cJSON_IsObject(req)) return hub__error_json(HUB_E_BAD_REQUEST, "a request is a JSON object");
  if (!cJSON_IsString(cmd)) return hub__error_json(HUB_E_BAD_REQUEST, "a request needs a \"cmd\" string");
  c = cmd->valuestring;
  if (strcmp(c, "settings") == 0) return cmd_settings(h, req);
  if (strcmp(c, "sync_start") == 0) return hub__sync_start(h, req);
  if (strcmp(c, "sync_next") == 0) return hub__sync_next(h, req);
  if (strcmp(c, "sync_feed") == 0) return hub__sync_feed(h, req);
  if (strcmp(c, "sync_abort") == 0) return hub__sync_abort(h, req);
  if (strcmp(c, "cards") == 0) return cmd_cards(h, req);
  if (strcmp(c, "card") == 0) return cmd_card(h, req);
  if (strcmp(c, "stats") == 0) return cmd_stats(h);
  if (strcmp(c, "last_run") == 0) return cmd_last_run(h);
  /* ---- tip (tip.c) ---- */
  if (strcmp(c, "tip") == 0) return hub__tip_cmd(h, req);
  if (strcmp(c, "tip_feedback") == 0) return hub__tip_feedback_cmd(h, req);
  if (strcmp(c, "tip_stats") == 0) return hub__tip_stats_cmd(h, req);
  if (strcmp(c, "tip_reset") == 0) return hub__tip_reset_cmd(h, req);
  if (strcmp(c, "tip_policies") == 0) return hub__tip_policies_cmd(h, req);
  if (strcmp(c, "tip_eval") == 0) return hub__tip_eval_cmd(h, req);
  if (strcmp(c, "tip_simulate") == 0) return hub__tip_simulate_cmd(h, req);
  /* ---- end tip ---- */
  if (strcmp(c, "gfi_repos") == 0) return hub__gfi_repos_cmd(h, req); /* gfi.c */
  snprintf(msg, sizeof msg, "unknown command \"%.80s\"", c);
  return hub__error_json(HUB_E_BAD_REQUEST, msg);
}

static char *print_or_oom(cJSON *res) {
  char *out = res ? cJSON_PrintUnformatted(res) : NULL;
  cJSON_Delete(res);
  if (!out) out = hub__strdup("{\"error\":{\"code\":\"nomem\",\"message\":\"out of memory\"}}");
  return out;
}

char *hub_call_n(hub *h, const char *request_json, size_t len) {
  cJSON *req, *res;
  const char *end = NULL;
  char msg[160];
  if (!h || !request_json) return print_or_oom(hub__error_json(HUB_E_BAD_REQUEST, "no handle or request"));
  if (len > HUB_MAX_REQUEST) {
    snprintf(msg, sizeof msg, "request of %zu bytes is over the %u-byte limit", len,
             (unsigned)HUB_MAX_REQUEST);
    return print_or_oom(hub__error_json(HUB_E_TOO_BIG, msg));
  }
  req = cJSON_ParseWithLengthOpts(request_json, len, &end, 0);
  if (!req) {
    snprintf(msg, sizeof msg, "malformed JSON request near byte %zu",
             end && end >= request_json ? (size_t)(end - request_json) : (size_t)0);
    return print_or_oom(hub__error_json(HUB_E_BAD_JSON, msg));
  }
  res = dispatch(h, req);
  cJSON_Delete(req);
  return print_or_oom(res);
}

char *hub_call(hub *h, const char *request_json) {
  return hub_call_n(h, request_json, request_json ? strlen(request_json) : 0);
}
