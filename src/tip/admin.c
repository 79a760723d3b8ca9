/*
 * admin.c — what the user and the console see and change of the tip (tip layer): per-policy
 * statistics, the models and the longest run of one item (tip_stats), a reset (tip_reset:
 * models and repo affinities; with "logs" the decisions; with "items" the item states and
 * exposures), and the policies' configuration (tip_policies: which serves, which shadow, the
 * knobs of config.c, rewards …).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "db/db.h"
#include "tip/tip_int.h"
#include "base/events.h"
#include "triage/triage.h"


/* "model" (the linear model, with a note when it restarted) and "seed_model", or nulls. */
static void add_models(hub *h, const char *user, const tip_cfg *cfg, cJSON *res) {
  hub__linucb m;
  int restarted = 0;
  if (hub__tip_model_load(h, user, MODEL_LINEAR, cfg, &m, &restarted) == 0) {
    cJSON *mj = hub__linucb_json(&m, 0);
    if (mj && restarted) cJSON_AddStringToObject(mj, "note", "the stored model had another feature set; a new one starts");
    hub__put(res, "model", mj);
    hub__linucb_free(&m);
  } else {
    cJSON_AddNullToObject(res, "model");
  }
  if (hub__tip_model_load(h, user, MODEL_SEED, cfg, &m, NULL) == 0) {
    hub__put(res, "seed_model", hub__linucb_json(&m, 0));
    hub__linucb_free(&m);
  } else {
    cJSON_AddNullToObject(res, "seed_model");
  }
}

cJSON *hub__tip_stats_cmd(hub *h, const cJSON *req) {
  char *user = hub__tip_user(h, req);
  tip_cfg cfg;
  int en[HUB_TIP_NPOL], k;
  sqlite3_stmt *st = NULL;
  cJSON *res, *arr, *reac, *recent;
  int64_t nrecent = 20;
  hub__json_int(req, "recent", 0, 500, &nrecent);
  if (!user) return hub__error_json(HUB_E_NOMEM, NULL);
  hub__tip_cfg_load(h, &cfg);
  hub__tip_policy_enabled(h, en);
  res = cJSON_CreateObject();
  cJSON_AddStringToObject(res, "user", user);
  arr = cJSON_AddArrayToObject(res, "policies");
  for (k = 0; k < HUB_TIP_NPOL; k++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", hub__tip_policy_table[k].name);
    cJSON_AddBoolToObject(o, "enabled", en[k]);
    cJSON_AddBoolToObject(o, "serving", strcmp(cfg.serve, hub__tip_policy_table[k].name) == 0);
    st = hub__db_q(h, "SELECT count(*), count(reward), coalesce(sum(reward),0) FROM tip_decisions"
                      " WHERE user=? AND policy=?", "tt", user, hub__tip_policy_table[k].name);
    if (st) {
      if (sqlite3_step(st) == SQLITE_ROW) {
        double rewarded = (double)sqlite3_column_int64(st, 1), sum = sqlite3_column_double(st, 2);
        cJSON_AddNumberToObject(o, "pulls", (double)sqlite3_column_int64(st, 0));
        cJSON_AddNumberToObject(o, "rewarded", rewarded);
        cJSON_AddNumberToObject(o, "reward_sum", sum);
        cJSON_AddNumberToObject(o, "reward_mean", rewarded > 0 ? sum / rewarded : 0);
      }
    }
    hub__db_done(h, st);
    st = NULL;
    hub__push(arr, o);
  }
  reac = cJSON_AddObjectToObject(res, "reactions");
  for (k = 0; k < N_REACTIONS; k++) cJSON_AddNumberToObject(reac, hub__tip_rewards[k].name, 0);
  st = hub__db_q(h, "SELECT r.reaction, count(*) FROM tip_reactions r JOIN tip_decisions d"
                  " ON d.id=r.decision_id WHERE d.user=? GROUP BY r.reaction", "t", user);
  if (st) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      const char *name = (const char *)sqlite3_column_text(st, 0);
      cJSON_DeleteItemFromObjectCaseSensitive(reac, name);
      cJSON_AddNumberToObject(reac, name, (double)sqlite3_column_int64(st, 1));
    }
  }
  hub__db_done(h, st);
  st = NULL;
  add_models(h, user, &cfg, res);
  {
    cJSON *f = cJSON_AddArrayToObject(res, "features");
    cJSON *fl = cJSON_AddArrayToObject(res, "feature_labels");
    for (k = 0; k < TIP_D; k++) {
      hub__push(f, cJSON_CreateString(hub__tip_feature_names[k]));
      hub__push(fl, hub__tip_feature_labels[k] ? cJSON_CreateString(hub__tip_feature_labels[k]) : cJSON_CreateNull());
    }
  }
  recent = cJSON_AddArrayToObject(res, "recent");
  st = hub__db_q(h, "SELECT id,at,item_key,policy,propensity,score,reward,latency_us,why,candidates,in_row"
                  " FROM tip_decisions WHERE user=? ORDER BY id DESC LIMIT ?", "ti", user, (int64_t)nrecent);
  if (st) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddNumberToObject(o, "decision", (double)sqlite3_column_int64(st, 0));
      cJSON_AddNumberToObject(o, "at", (double)sqlite3_column_int64(st, 1));
      cJSON_AddStringToObject(o, "key", (const char *)sqlite3_column_text(st, 2));
      cJSON_AddStringToObject(o, "policy", (const char *)sqlite3_column_text(st, 3));
      cJSON_AddNumberToObject(o, "propensity", sqlite3_column_double(st, 4));
      cJSON_AddNumberToObject(o, "score", sqlite3_column_double(st, 5));
      if (sqlite3_column_type(st, 6) == SQLITE_NULL) cJSON_AddNullToObject(o, "reward");
      else cJSON_AddNumberToObject(o, "reward", sqlite3_column_double(st, 6));
      if (sqlite3_column_type(st, 7) == SQLITE_NULL) cJSON_AddNullToObject(o, "latency_us");
      else cJSON_AddNumberToObject(o, "latency_us", (double)sqlite3_column_int64(st, 7));
      cJSON_AddStringToObject(o, "why", (const char *)sqlite3_column_text(st, 8));
      cJSON_AddNumberToObject(o, "candidates", (double)sqlite3_column_int64(st, 9));
      cJSON_AddNumberToObject(o, "in_row", (double)sqlite3_column_int64(st, 10));
      hub__push(recent, o);
    }
  }
  hub__db_done(h, st);
  cJSON_AddNumberToObject(res, "max_in_row",
                          (double)hub__db_int(h, "SELECT coalesce(max(in_row),0) FROM tip_decisions WHERE user=?", "t", 0, user));
  hub_free(user);
  return res;
}

cJSON *hub__tip_reset_cmd(hub *h, const cJSON *req) {
  char *user = hub__tip_user(h, req);
  int logs = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "logs"));
  int items = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "items"));
  cJSON *res;
  long models = 0, decisions = 0, states = 0;
  if (!user) return hub__error_json(HUB_E_NOMEM, NULL);
  if (hub__db_begin(h)) goto db;
  if ((models = hub__db_run(h, "DELETE FROM tip_models WHERE user=?", "t", user)) < 0) goto db_tx;
  if (hub__db_run(h, "DELETE FROM tip_affinity WHERE user=?", "t", user) < 0) goto db_tx; /* learned, like the models */
  if (logs && (decisions = hub__db_run(h, "DELETE FROM tip_decisions WHERE user=?", "t", user)) < 0) goto db_tx;
  if (items && (states = hub__triage_forget_dismissed(h)) < 0) goto db_tx; /* done/snoozed: the inbox's */
  if (items && hub__db_run(h, "DELETE FROM tip_exposure WHERE user=?", "t", user) < 0) goto db_tx;
  if (hub__db_commit(h)) goto db;
  hub__event(h, "tip.reset", user, 0, "iii", "models", (int64_t)models, "decisions", (int64_t)decisions, "item_states", (int64_t)states);
  res = cJSON_CreateObject();
  cJSON_AddBoolToObject(res, "ok", 1);
  cJSON_AddNumberToObject(res, "models", (double)models);
  cJSON_AddNumberToObject(res, "decisions", (double)decisions);
  cJSON_AddNumberToObject(res, "item_states", (double)states);
  hub_free(user);
  return res;
db_tx:
  hub__db_rollback(h);
db:
  hub_free(user);
  return hub__error_json(HUB_E_DB, h->errmsg);
}

static cJSON *policies_json(hub *h) {
  tip_cfg cfg;
  int en[HUB_TIP_NPOL], k;
  cJSON *res = cJSON_CreateObject(), *arr, *rw;
  hub__tip_cfg_load(h, &cfg);
  hub__tip_policy_enabled(h, en);
  cJSON_AddStringToObject(res, "serve", cfg.serve);
  cJSON_AddStringToObject(res, "explore", cfg.explore_softmax ? "softmax" : "egreedy");
  for (k = 0; k < (int)hub__tip_nknobs; k++)
    cJSON_AddNumberToObject(res, hub__tip_knobs[k].name, *(const double *)(const void *)((const char *)&cfg + hub__tip_knobs[k].off));
  {
    cJSON *kn = cJSON_AddArrayToObject(res, "knobs");
    size_t q;
    for (q = 0; kn && q < hub__tip_nknobs; q++) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "name", hub__tip_knobs[q].name);
      cJSON_AddNumberToObject(o, "default", hub__tip_knobs[q].dflt);
      cJSON_AddNumberToObject(o, "min", hub__tip_knobs[q].lo);
      cJSON_AddNumberToObject(o, "max", hub__tip_knobs[q].hi);
      cJSON_AddStringToObject(o, "what", hub__tip_knobs[q].what);
      hub__push(kn, o);
    }
  }
  rw = cJSON_AddObjectToObject(res, "rewards");
  for (k = 0; k < N_REACTIONS; k++) cJSON_AddNumberToObject(rw, hub__tip_rewards[k].name, cfg.reward[k]);
  arr = cJSON_AddArrayToObject(res, "policies");
  for (k = 0; k < HUB_TIP_NPOL; k++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", hub__tip_policy_table[k].name);
    cJSON_AddBoolToObject(o, "enabled", en[k]);
    cJSON_AddStringToObject(o, "role", !en[k] ? "off" : strcmp(cfg.serve, hub__tip_policy_table[k].name) == 0 ? "serve" : "shadow");
    cJSON_AddStringToObject(o, "description", hub__tip_policy_table[k].description);
    hub__push(arr, o);
  }
  return res;
}

cJSON *hub__tip_policies_cmd(hub *h, const cJSON *req) {
  const cJSON *set = cJSON_GetObjectItemCaseSensitive(req, "set"), *e;
  char msg[200], num[40];
  if (!set) return policies_json(h);
  if (!cJSON_IsObject(set)) return hub__error_json(HUB_E_BAD_TYPE, "\"set\" must be an object");
  if (hub__db_begin(h)) return hub__error_json(HUB_E_DB, h->errmsg);
  cJSON_ArrayForEach(e, set) {
    const char *k = e->string;
    if (strcmp(k, "serve") == 0) {
      if (!cJSON_IsString(e) || hub__tip_policy_index(e->valuestring) < 0) goto bad;
      if (hub__tip_cfg_set(h, "serve", e->valuestring)) goto db;
    } else if (strcmp(k, "explore") == 0) {
      if (!cJSON_IsString(e) || (strcmp(e->valuestring, "egreedy") && strcmp(e->valuestring, "softmax"))) goto bad;
      if (hub__tip_cfg_set(h, "explore", e->valuestring)) goto db;
    } else if (strcmp(k, "enabled") == 0) {
      const cJSON *p;
      if (!cJSON_IsObject(e)) goto bad;
      cJSON_ArrayForEach(p, e) {
        if (hub__tip_policy_index(p->string) < 0 || !cJSON_IsBool(p)) goto bad;
        if (hub__db_run(h, "INSERT OR REPLACE INTO tip_policies(name,enabled) VALUES(?,?)", "ti", p->string,
                        (int64_t)cJSON_IsTrue(p)) < 0)
          goto db;
      }
    } else if (strcmp(k, "rewards") == 0) {
      const cJSON *p;
      if (!cJSON_IsObject(e)) goto bad;
      cJSON_ArrayForEach(p, e) {
        char key[48];
        if (hub__tip_reaction(p->string) < 0 || !cJSON_IsNumber(p) || fabs(p->valuedouble) > 10) goto bad;
        snprintf(key, sizeof key, "reward_%s", p->string);
        snprintf(num, sizeof num, "%.17g", p->valuedouble);
        if (hub__tip_cfg_set(h, key, num)) goto db;
      }
    } else {
      double v = cJSON_IsNumber(e) ? e->valuedouble : NAN;
      int ok = -1;
      size_t q;
      for (q = 0; q < hub__tip_nknobs; q++)
        if (strcmp(k, hub__tip_knobs[q].name) == 0) ok = v >= hub__tip_knobs[q].lo && v <= hub__tip_knobs[q].hi;
      if (ok < 0) {
        hub__db_rollback(h);
        snprintf(msg, sizeof msg, "unknown tip setting \"%.100s\"", k);
        return hub__error_json(HUB_E_BAD_REQUEST, msg);
      }
      if (!ok) goto bad;
      snprintf(num, sizeof num, "%.17g", v);
      if (hub__tip_cfg_set(h, k, num)) goto db;
    }
  }
  if (hub__db_commit(h)) return hub__error_json(HUB_E_DB, h->errmsg);
  return policies_json(h);
bad:
  hub__db_rollback(h);
  snprintf(msg, sizeof msg, "tip setting \"%.100s\" has a wrong type or value", e->string);
  return hub__error_json(HUB_E_BAD_TYPE, msg);
db:
  hub__db_rollback(h);
  return hub__error_json(HUB_E_DB, h->errmsg);
}

