/*
 * settings.c — the settings command (api layer): shows every declared setting (db/settings.def)
 * with its value or default, and changes them in one batch after checking each value by its
 * declared kind and check — so the page needs no rules of its own: a bad value comes back as
 * {"error":{"code":"bad_setting","field":KEY,"message":...}} and nothing is stored. The token
 * is never echoed (only "github_token_set").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db/db.h"
#include "rank/rank.h"
#include "items/items.h"
#include "base/ids.h"
#include "api/api.h"

#define MAX_LIST 200
#define MAX_TEXT 4096

static cJSON *value_json(const hub__setting_def *d, const char *v) {
  cJSON *j;
  switch (d->kind) {
  case HUB_SK_BOOL: return cJSON_CreateBool(v && strcmp(v, "0") != 0 && strcmp(v, "false") != 0);
  case HUB_SK_NUM: return v ? cJSON_CreateNumber(strtod(v, NULL)) : cJSON_CreateNull();
  case HUB_SK_LIST:
  case HUB_SK_MAP:
    j = v ? cJSON_Parse(v) : NULL;
    return j ? j : (d->kind == HUB_SK_LIST ? cJSON_CreateArray() : cJSON_CreateObject());
  default: return v ? cJSON_CreateString(v) : cJSON_CreateNull();
  }
}

static cJSON *settings_json(hub *h) {
  cJSON *r = cJSON_CreateObject(), *o = cJSON_AddObjectToObject(r, "settings");
  size_t n, i;
  const hub__setting_def *defs = hub__settings(&n);
  for (i = 0; o && i < n; i++) {
    char *v = hub__setting_get(h, defs[i].key);
    if (defs[i].kind == HUB_SK_SECRET) {
      char key[64];
      snprintf(key, sizeof key, "%s_set", defs[i].key);
      cJSON_AddBoolToObject(o, key, v && *v); /* never echoed */
    } else {
      hub__put(o, defs[i].key, value_json(&defs[i], v));
    }
    hub_free(v);
  }
  hub__put(o, "contributors", hub__contributors_json(h));
  return r;
}

/* Checks one list entry of a GitHub or tangled repo list. */
static int repo_entry_ok(hub__scheck check, const char *s) {
  const char *slash = strchr(s, '/');
  char owner[254];
  size_t n;
  if (check == HUB_SC_GH_REPOS) return hub__gh_repo_ok(s);
  if (!slash || strchr(slash + 1, '/') || !slash[1] || strlen(slash + 1) > 100) return 0;
  n = (size_t)(slash - s);
  if (n == 0 || n >= sizeof owner) return 0;
  memcpy(owner, s, n);
  owner[n] = 0;
  return (hub__at_handle_ok(owner) || hub__at_did_ok(owner)) && hub__gh_name_ok(slash + 1, strlen(slash + 1));
}

/* The stored text of value e for setting d, or NULL with msg set (or OOM: msg empty). */
static char *checked(const hub__setting_def *d, const cJSON *e, char *msg, size_t mlen) {
  const cJSON *x;
  msg[0] = 0;
  switch (d->kind) {
  case HUB_SK_BOOL:
    if (!cJSON_IsBool(e)) break;
    return hub__strdup(cJSON_IsTrue(e) ? "1" : "0");
  case HUB_SK_NUM:
    if (!cJSON_IsNumber(e)) break;
    if (d->check == HUB_SC_RANGE && !(e->valuedouble >= d->min && e->valuedouble <= d->max)) {
      snprintf(msg, mlen, "%s must be a number from %g to %g", d->key, d->min, d->max);
      return NULL;
    }
    return hub__printf("%.17g", e->valuedouble);
  case HUB_SK_LIST:
    if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) > MAX_LIST) break;
    cJSON_ArrayForEach(x, e) {
      if (!cJSON_IsString(x) || !repo_entry_ok(d->check, x->valuestring)) {
        snprintf(msg, mlen, "%s: \"%.80s\" is not %s", d->key, cJSON_IsString(x) ? x->valuestring : "?",
                 d->check == HUB_SC_GH_REPOS ? "owner/name" : "handle/name");
        return NULL;
      }
    }
    return cJSON_PrintUnformatted(e);
  case HUB_SK_MAP:
    if (!cJSON_IsObject(e) || cJSON_GetArraySize(e) > MAX_LIST) break;
    cJSON_ArrayForEach(x, e) {
      if (!cJSON_IsNumber(x) || !(x->valuedouble >= d->min && x->valuedouble <= d->max) || strlen(x->string) > 100) {
        snprintf(msg, mlen, "%s: \"%.80s\" needs a number from %g to %g", d->key, x->string, d->min, d->max);
        return NULL;
      }
    }
    return cJSON_PrintUnformatted(e);
  default: { /* STR, SECRET, ENUM */
    const char *s = cJSON_IsString(e) ? e->valuestring : NULL;
    size_t max = d->check == HUB_SC_TEXT && d->max > 0 ? (size_t)d->max : MAX_TEXT;
    int ok;
    if (!s || strlen(s) > max || !hub__utf8_valid(s, strlen(s))) break;
    switch (d->check) {
    case HUB_SC_URL: ok = hub__url_usable(s); break;
    case HUB_SC_LOGIN: ok = hub__gh_login_ok(s); break;
    case HUB_SC_HANDLE: ok = hub__at_handle_ok(s) || hub__at_did_ok(s); break;
    case HUB_SC_CHOICE: {
      const char *p = d->choices;
      size_t n = strlen(s);
      ok = 0;
      while (p && *p && !ok) {
        size_t k = strcspn(p, "|");
        ok = k == n && strncmp(p, s, n) == 0;
        p += k + (p[k] ? 1 : 0);
      }
      break;
    }
    default: ok = 1;
    }
    if (!ok) {
      snprintf(msg, mlen, "%s: \"%.100s\" is not %s", d->key, s,
               d->check == HUB_SC_URL ? "an https:// URL (http:// only on this machine)"
               : d->check == HUB_SC_LOGIN ? "a GitHub login"
               : d->check == HUB_SC_HANDLE ? "a handle (you.example.com) or a did:plc / did:web"
               : "one of the allowed values");
      return NULL;
    }
    return hub__strdup(s);
  }
  }
  snprintf(msg, mlen, "setting %s has the wrong type", d->key);
  return NULL;
}

/* Applies one member of "set"; *rescore is raised when it changes the score. Returns NULL or
 * an error object. */
static cJSON *apply(hub *h, const cJSON *e, int *rescore) {
  const hub__setting_def *d;
  char msg[300], *val = NULL;
  int empty;
  if (strcmp(e->string, "contributors") == 0) {
    if (!cJSON_IsObject(e)) return hub__error_field(HUB_E_BAD_SETTING, e->string, "contributors is {\"login\": weight}");
    if (hub__contributors_set(h, e)) return hub__error_field(HUB_E_BAD_SETTING, e->string, h->errmsg);
    *rescore = 1;
    return NULL;
  }
  d = hub__setting_def_of(e->string);
  if (!d) {
    snprintf(msg, sizeof msg, "unknown setting \"%.100s\"", e->string);
    return hub__error_field(HUB_E_BAD_REQUEST, e->string, msg);
  }
  empty = cJSON_IsNull(e) || (cJSON_IsString(e) && !*e->valuestring && d->kind != HUB_SK_ENUM);
  if (!empty && !(val = checked(d, e, msg, sizeof msg)))
    return msg[0] ? hub__error_field(HUB_E_BAD_SETTING, d->key, msg) : hub__error_json(HUB_E_NOMEM, NULL);
  if (hub__setting_set(h, d->key, val)) {
    hub_free(val);
    return hub__error_json(HUB_E_DB, h->errmsg);
  }
  hub_free(val);
  /* a new token or server starts a new conversation: drop the poll schedule */
  if ((strcmp(d->key, "github_token") == 0 || strcmp(d->key, "github_api") == 0) &&
      hub__kv_set(h, "github.next_poll_ms", NULL))
    return hub__error_json(HUB_E_DB, h->errmsg);
  if (d->rescore) *rescore = 1;
  return NULL;
}

cJSON *hub__api_settings(hub *h, const cJSON *req) {
  const cJSON *set = cJSON_GetObjectItemCaseSensitive(req, "set"), *e;
  int rescore = 0;
  cJSON *err = NULL;
  if (!set) return settings_json(h);
  if (!cJSON_IsObject(set)) return hub__error_json(HUB_E_BAD_TYPE, "\"set\" must be an object");
  if (hub__db_begin(h)) return hub__error_json(HUB_E_DB, h->errmsg);
  cJSON_ArrayForEach(e, set) {
    if ((err = apply(h, e, &rescore)) != NULL) break;
  }
  hub__weights_invalidate(h);
  if (!err && rescore && hub__items_rescore(h)) err = hub__error_json(HUB_E_DB, h->errmsg);
  if (!err && hub__db_commit(h)) err = hub__error_json(HUB_E_DB, h->errmsg);
  if (err) {
    hub__db_rollback(h);
    hub__weights_invalidate(h);
    return err;
  }
  return settings_json(h);
}
