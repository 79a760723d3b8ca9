/*
 * weights.c — the score's weights, read from settings (db/kv.c) and the contributors table,
 * which this module owns (rank layer). Cached on h; any settings change invalidates.
 */
#include <ctype.h>
#include <string.h>
#include "db/db.h"
#include "rank/rank.h"
#include "base/ids.h"

static void weights_free(hub__weights *w) {
  if (!w) return;
  cJSON_Delete(w->label_weights);
  cJSON_Delete(w->contributors);
  cJSON_Delete(w->reason_weights);
  hub_free(w);
}

void hub__weights_invalidate(hub *h) {
  weights_free(h->weights);
  h->weights = NULL;
}

static void lower(char *s) {
  for (; *s; s++) *s = (char)tolower((unsigned char)*s);
}

static const hub__weights fallback = {0, 30.0, 1.0, 2.0, 1.5, 1.0, NULL, NULL, NULL};

/* {"key": positive number} from a setting's JSON text, keys lower-cased when asked. */
static cJSON *number_map(hub *h, const char *setting, int lower_keys) {
  char *txt = hub__setting_get(h, setting);
  cJSON *in = txt ? cJSON_Parse(txt) : NULL, *out = cJSON_CreateObject(), *e;
  hub_free(txt);
  if (!out) {
    cJSON_Delete(in);
    return NULL;
  }
  cJSON_ArrayForEach(e, in) {
    char *k;
    if (!cJSON_IsNumber(e) || !e->string || !(e->valuedouble >= 0)) continue;
    k = hub__strdup(e->string);
    if (!k) break;
    if (lower_keys) lower(k);
    cJSON_DeleteItemFromObjectCaseSensitive(out, k);
    cJSON_AddNumberToObject(out, k, e->valuedouble);
    hub_free(k);
  }
  cJSON_Delete(in);
  return out;
}

const hub__weights *hub__weights_get(hub *h) {
  hub__weights *w;
  char *user = NULL, *preset = NULL;
  sqlite3_stmt *st;
  if (h->weights) return h->weights;
  w = hub__malloc(sizeof *w);
  if (!w) return &fallback;
  *w = fallback;
  preset = hub__setting_get(h, "score_preset");
  w->seed = preset && strcmp(preset, "seed") == 0;
  hub_free(preset);
  w->decay_days = hub__setting_num(h, "decay_days");
  w->engagement_w = hub__setting_num(h, "engagement_weight");
  w->user_weight = hub__setting_num(h, "user_weight");
  w->bug_weight = hub__setting_num(h, "bug_weight");
  w->unread_w = hub__setting_num(h, "unread_weight");
  w->label_weights = number_map(h, "label_weights", 1);
  w->reason_weights = number_map(h, "reason_weights", 0);
  w->contributors = cJSON_CreateObject();
  if (!w->label_weights || !w->reason_weights || !w->contributors) goto fail;
  if (!cJSON_GetObjectItemCaseSensitive(w->label_weights, "bug"))
    cJSON_AddNumberToObject(w->label_weights, "bug", w->bug_weight);
  st = hub__db_q(h, "SELECT lower(login),weight FROM contributors", NULL);
  while (st && sqlite3_step(st) == SQLITE_ROW)
    cJSON_AddNumberToObject(w->contributors, (const char *)sqlite3_column_text(st, 0), sqlite3_column_double(st, 1));
  hub__db_done(h, st);
  user = hub__kv_get(h, "github_user");
  if (user) {
    lower(user);
    cJSON_DeleteItemFromObjectCaseSensitive(w->contributors, user);
    cJSON_AddNumberToObject(w->contributors, user, w->user_weight);
  }
  hub_free(user);
  h->weights = w;
  return w;
fail:
  weights_free(w);
  return &fallback;
}

int hub__contributors_set(hub *h, const cJSON *obj) {
  const cJSON *c;
  if (hub__db_run(h, "DELETE FROM contributors", NULL) < 0) return -1;
  cJSON_ArrayForEach(c, obj) {
    if (!cJSON_IsNumber(c) || !(c->valuedouble >= 0) || !c->string || !hub__gh_login_ok(c->string)) {
      hub__set_err(h, "contributors: \"%.60s\" needs a GitHub login and a weight ≥ 0", c->string ? c->string : "");
      return -1;
    }
    if (hub__db_run(h, "INSERT OR REPLACE INTO contributors(login,weight) VALUES(?,?)", "td", c->string,
                    c->valuedouble) < 0)
      return -1;
  }
  hub__weights_invalidate(h);
  return 0;
}

cJSON *hub__contributors_json(hub *h) {
  cJSON *c = cJSON_CreateObject();
  sqlite3_stmt *st = hub__db_q(h, "SELECT login,weight FROM contributors ORDER BY login", NULL);
  while (c && st && sqlite3_step(st) == SQLITE_ROW)
    cJSON_AddNumberToObject(c, (const char *)sqlite3_column_text(st, 0), sqlite3_column_double(st, 1));
  hub__db_done(h, st);
  return c;
}
