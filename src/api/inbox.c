/*
 * inbox.c — the inbox's triage commands (api layer): triage (one action on chosen items or on
 * everything a query shows), undo, saved searches, and the outbox to GitHub. The state and the
 * outbox live in triage/; this file checks requests, picks the items, and runs each command in
 * one transaction.
 *
 *   {"cmd":"triage","now":ms,"action":A,"keys":[…] | "query":"…"[,"from":F][,"until":ms]}
 *     → {"batch":id|null,"changed":n,"outbox":m,"keys":[changed keys]}
 *   {"cmd":"undo","now":ms} → {"batch":id|null,"action":A,"restored":n,"not_undone_upstream":k,"keys":[…]}
 *   {"cmd":"searches"[,"now":ms]} / {"cmd":"searches","set":[{"name","q"},…]}
 *   {"cmd":"outbox"[,"limit":n]} → {"entries":[…],"counts":{…}}
 * A read of everything the plain inbox shows ("query":"" with action read) also queues one
 * "mark all read up to now" for GitHub instead of one request per thread.
 */
#include <stdio.h>
#include <string.h>
#include "db/db.h"
#include "items/items.h"
#include "triage/triage.h"
#include "api/api.h"

/* One chosen item. */
typedef struct {
  int64_t id;
  char *key;
} pick;

typedef struct {
  pick *p;
  size_t n;
} picks;

static void picks_free(picks *ps) {
  size_t i;
  for (i = 0; i < ps->n; i++) hub_free(ps->p[i].key);
  hub_free(ps->p);
  memset(ps, 0, sizeof *ps);
}

static cJSON *picks_add(picks *ps, int64_t id, const char *key) {
  char *k = hub__strdup(key);
  if (!k) return hub__error_json(HUB_E_NOMEM, NULL);
  ps->p[ps->n].id = id;
  ps->p[ps->n].key = k;
  ps->n++;
  return NULL;
}

/* The items named by "keys" (each must exist). NULL, or the error answer. */
static cJSON *pick_keys(hub *h, const cJSON *keys, picks *ps) {
  const cJSON *e;
  int n = cJSON_GetArraySize(keys);
  char msg[300];
  if (n < 1 || n > HUB_TRIAGE_MAX) {
    snprintf(msg, sizeof msg, "\"keys\" must list 1 to %d items", HUB_TRIAGE_MAX);
    return hub__error_field(n < 1 ? HUB_E_BAD_REQUEST : HUB_E_TOO_BIG, "keys", msg);
  }
  ps->p = hub__malloc((size_t)n * sizeof *ps->p);
  if (!ps->p) return hub__error_json(HUB_E_NOMEM, NULL);
  cJSON_ArrayForEach(e, keys) {
    int64_t id;
    cJSON *err;
    if (!cJSON_IsString(e)) return hub__error_field(HUB_E_BAD_TYPE, "keys", "\"keys\" must be strings");
    id = hub__items_id(h, e->valuestring);
    if (id <= 0) {
      snprintf(msg, sizeof msg, "no item with key \"%.200s\"", e->valuestring);
      return hub__error_field(HUB_E_NOT_FOUND, "keys", msg);
    }
    if ((err = picks_add(ps, id, e->valuestring)) != NULL) return err;
  }
  return NULL;
}

/* The items a query shows (as cards would list them). NULL, or the error answer. */
static cJSON *pick_query(hub *h, const char *q, const char *from, int64_t now, picks *ps) {
  hub__sel sel;
  sqlite3_stmt *st;
  cJSON *err = hub__sel_compile(q, from, &sel);
  char msg[160];
  int step;
  if (err) {
    cJSON *f = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(err, "error"), "field");
    if (cJSON_IsString(f) && strcmp(f->valuestring, "q") == 0) cJSON_SetValuestring(f, "query");
    return err;
  }
  st = hub__sel_prepare(h, &sel, "i.id, i.key", 1, now, HUB_TRIAGE_MAX + 1);
  hub__sel_free(&sel);
  if (!st) return hub__error_json(HUB_E_DB, h->errmsg);
  ps->p = hub__malloc((HUB_TRIAGE_MAX + 1) * sizeof *ps->p);
  if (!ps->p) err = hub__error_json(HUB_E_NOMEM, NULL);
  while (!err && (step = sqlite3_step(st)) == SQLITE_ROW) {
    if (ps->n == HUB_TRIAGE_MAX) {
      snprintf(msg, sizeof msg, "the query shows more than %d items; narrow it down", HUB_TRIAGE_MAX);
      err = hub__error_field(HUB_E_TOO_BIG, "query", msg);
      break;
    }
    err = picks_add(ps, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1));
  }
  hub__db_done(h, st);
  return err;
}

/* A triage request, checked. */
typedef struct {
  int64_t now, until;
  int action;
  const char *query;
  int all; /* read of the whole plain inbox: one "mark all read" upstream */
} treq;

static cJSON *read_triage(const cJSON *req, treq *t) {
  const cJSON *keys = cJSON_GetObjectItemCaseSensitive(req, "keys");
  const cJSON *query = cJSON_GetObjectItemCaseSensitive(req, "query");
  int u;
  char msg[300];
  memset(t, 0, sizeof *t);
  if (hub__json_int(req, "now", 0, 9000000000000000LL, &t->now) != 1)
    return hub__error_json(HUB_E_BAD_REQUEST, "triage needs \"now\" (ms)");
  t->action = hub__triage_action_find(hub__json_str(req, "action"));
  if (t->action < 0) {
    size_t n = 0;
    int i;
    n += (size_t)snprintf(msg, sizeof msg, "\"action\" is one of");
    for (i = 0; i < HUB_TA__COUNT && n < sizeof msg; i++)
      n += (size_t)snprintf(msg + n, sizeof msg - n, "%s %s", i ? "," : "", hub__triage_actions[i]);
    return hub__error_field(HUB_E_BAD_REQUEST, "action", msg);
  }
  if (!keys == !query)
    return hub__error_json(HUB_E_BAD_REQUEST, "triage needs either \"keys\" (a list) or \"query\" (a search)");
  if (keys && !cJSON_IsArray(keys)) return hub__error_field(HUB_E_BAD_TYPE, "keys", "\"keys\" must be a list");
  if (query && !cJSON_IsString(query)) return hub__error_field(HUB_E_BAD_TYPE, "query", "\"query\" must be a string");
  t->query = query ? query->valuestring : NULL;
  u = hub__json_int(req, "until", 0, 9000000000000000LL, &t->until);
  if (u < 0) return hub__error_field(HUB_E_BAD_TYPE, "until", "\"until\" must be a time in ms");
  if (t->action == HUB_TA_SNOOZE && (u != 1 || t->until <= t->now))
    return hub__error_field(HUB_E_BAD_REQUEST, "until", "snooze needs \"until\" (ms), later than \"now\"");
  t->all = t->action == HUB_TA_READ && t->query && strspn(t->query, " \t\r\n\v\f") == strlen(t->query) &&
           !hub__json_str(req, "from");
  return NULL;
}

/* Applies the action to every pick in one batch. NULL, or the error answer (rolled back). */
static cJSON *run_batch(hub *h, const treq *t, const picks *ps, cJSON *res) {
  int64_t batch;
  int changed = 0, queued = 0, rc;
  size_t i;
  cJSON *keys = cJSON_AddArrayToObject(res, "keys");
  if (!keys) return hub__error_json(HUB_E_NOMEM, NULL);
  if (hub__db_begin(h)) return hub__error_json(HUB_E_DB, h->errmsg);
  if ((batch = hub__triage_batch_new(h)) < 0) goto fail;
  for (i = 0; i < ps->n; i++) {
    rc = hub__triage_apply(h, batch, ps->p[i].id, (hub__triage_action)t->action, t->until, t->now,
                           t->all ? NULL : &queued);
    if (rc < 0) goto fail;
    if (rc == 1) {
      changed++;
      hub__push(keys, cJSON_CreateString(ps->p[i].key));
    }
  }
  if (changed && t->all &&
      hub__db_int(h, "SELECT count(*) FROM gh_threads LIMIT 1", NULL, 0) > 0) { /* GitHub has threads */
    if (hub__outbox_read_all(h, batch, t->now) < 0) goto fail;
    queued++;
  }
  if (!changed) { /* nothing to undo: the batch id is not used */
    hub__db_rollback(h);
    cJSON_AddNullToObject(res, "batch");
  } else {
    if (hub__triage_batch_end(h, batch) || hub__db_commit(h)) goto fail;
    cJSON_AddNumberToObject(res, "batch", (double)batch);
  }
  cJSON_AddNumberToObject(res, "changed", changed);
  cJSON_AddNumberToObject(res, "outbox", changed ? queued : 0);
  return NULL;
fail:
  hub__db_rollback(h);
  return hub__error_json(HUB_E_DB, h->errmsg);
}

cJSON *hub__api_triage(hub *h, const cJSON *req) {
  treq t;
  picks ps;
  cJSON *err, *res = NULL;
  memset(&ps, 0, sizeof ps);
  if ((err = read_triage(req, &t)) != NULL) return err;
  err = t.query ? pick_query(h, t.query, hub__json_str(req, "from"), t.now, &ps)
                : pick_keys(h, cJSON_GetObjectItemCaseSensitive(req, "keys"), &ps);
  if (!err) {
    res = cJSON_CreateObject();
    err = res ? run_batch(h, &t, &ps, res) : hub__error_json(HUB_E_NOMEM, NULL);
  }
  picks_free(&ps);
  if (err) {
    cJSON_Delete(res);
    return err;
  }
  return res;
}

cJSON *hub__api_undo(hub *h, const cJSON *req) {
  int64_t now, batch = 0;
  int restored = 0, upstream = 0;
  const char *action = "";
  cJSON *res, *keys;
  if (hub__json_int(req, "now", 0, 9000000000000000LL, &now) != 1)
    return hub__error_json(HUB_E_BAD_REQUEST, "undo needs \"now\" (ms)");
  res = cJSON_CreateObject();
  keys = cJSON_CreateArray();
  if (!res || !keys) goto oom;
  if (hub__db_begin(h)) goto db;
  if (hub__triage_undo(h, now, &batch, &restored, &upstream, &action, keys) || hub__db_commit(h)) {
    hub__db_rollback(h);
    goto db;
  }
  if (batch) cJSON_AddNumberToObject(res, "batch", (double)batch);
  else cJSON_AddNullToObject(res, "batch");
  cJSON_AddStringToObject(res, "action", action);
  cJSON_AddNumberToObject(res, "restored", restored);
  cJSON_AddNumberToObject(res, "not_undone_upstream", upstream);
  if (upstream)
    cJSON_AddStringToObject(res, "note", "GitHub already received some of this and has no undo for it");
  hub__put(res, "keys", keys);
  return res;
oom:
  cJSON_Delete(res);
  cJSON_Delete(keys);
  return hub__error_json(HUB_E_NOMEM, NULL);
db:
  cJSON_Delete(res);
  cJSON_Delete(keys);
  return hub__error_json(HUB_E_DB, h->errmsg);
}

/* ---- saved searches --------------------------------------------------------------------- */

/* Characters (UTF-8 code points) of s. */
static size_t chars(const char *s) {
  size_t n = 0;
  for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}

/* Checks a new list of saved searches. NULL, or the error answer naming the entry. */
static cJSON *check_searches(const cJSON *set) {
  const cJSON *e;
  char msg[400];
  int i = 0;
  if (!cJSON_IsArray(set)) return hub__error_field(HUB_E_BAD_TYPE, "set", "\"set\" must be a list of {name, q}");
  if (cJSON_GetArraySize(set) > HUB_SEARCHES_MAX) {
    snprintf(msg, sizeof msg, "at most %d saved searches", HUB_SEARCHES_MAX);
    return hub__error_field(HUB_E_TOO_BIG, "set", msg);
  }
  cJSON_ArrayForEach(e, set) {
    const char *name = hub__json_str(e, "name"), *q = hub__json_str(e, "q");
    const cJSON *o;
    hub__query cq;
    char err[300];
    i++;
    if (!name || !q || !*name || chars(name) > HUB_SEARCH_NAME_MAX || !hub__utf8_valid(name, strlen(name))) {
      snprintf(msg, sizeof msg, "search %d needs a \"name\" of 1 to %d characters and a \"q\"", i, HUB_SEARCH_NAME_MAX);
      return hub__error_field(HUB_E_BAD_REQUEST, "set", msg);
    }
    for (o = set->child; o != e; o = o->next)
      if (strcmp(hub__json_str(o, "name"), name) == 0) {
        snprintf(msg, sizeof msg, "two saved searches are named \"%s\"", name);
        return hub__error_field(HUB_E_BAD_REQUEST, "set", msg);
      }
    if (hub__query_compile(q, strlen(q), NULL, &cq, err, sizeof err)) {
      cJSON *bad;
      snprintf(msg, sizeof msg, "search \"%s\": %s", name, err);
      bad = hub__error_field(HUB_E_BAD_QUERY, "set", msg);
      return bad;
    }
    hub__query_free(&cq);
  }
  return NULL;
}

/* Adds "count" (what each search shows now) to every entry. */
static void add_counts(hub *h, cJSON *list, int64_t now) {
  cJSON *e;
  cJSON_ArrayForEach(e, list) {
    hub__sel sel;
    cJSON *err = hub__sel_compile(hub__json_str(e, "q"), NULL, &sel);
    if (err) {
      cJSON_Delete(err);
      continue;
    }
    cJSON_AddNumberToObject(e, "count", (double)hub__sel_count(h, &sel, now, HUB_COUNT_MAX));
    hub__sel_free(&sel);
  }
}

cJSON *hub__api_searches(hub *h, const cJSON *req) {
  const cJSON *set = cJSON_GetObjectItemCaseSensitive(req, "set");
  int64_t now = 0;
  int dflt = 0, has_now;
  cJSON *list, *res, *err;
  has_now = hub__json_int(req, "now", 0, 9000000000000000LL, &now);
  if (has_now < 0) return hub__error_json(HUB_E_BAD_TYPE, "\"now\" must be a time in ms");
  if (set) {
    if ((err = check_searches(set)) != NULL) return err;
    if (hub__db_begin(h) || hub__searches_put(h, set) || hub__db_commit(h)) {
      hub__db_rollback(h);
      return hub__error_json(HUB_E_DB, h->errmsg);
    }
  }
  list = hub__searches_get(h, &dflt);
  if (!list) return hub__error_json(HUB_E_DB, h->errmsg);
  if (has_now == 1) add_counts(h, list, now);
  res = cJSON_CreateObject();
  hub__put(res, "searches", list);
  cJSON_AddBoolToObject(res, "default", dflt);
  return res;
}

cJSON *hub__api_outbox(hub *h, const cJSON *req) {
  int64_t limit = 200;
  if (hub__json_int(req, "limit", 1, 1000, &limit) < 0) return hub__error_json(HUB_E_BAD_TYPE, "\"limit\" is 1–1000");
  return hub__outbox_json(h, (int)limit);
}
