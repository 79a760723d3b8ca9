/*
 * insight.c — the insight console's view of the tip (tip layer; see tip/insight.h): the bandit
 * (console_bandit), the recommendation log (tip_log), reward analytics with off-policy
 * estimates and bootstrap intervals (tip_analytics), and the two hooks choose.c and
 * feedback.c call (a decision's bonus and runners-up; the reaction event). Reads tip_* and
 * items; writes nothing.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "db/db.h"
#include "base/events.h"
#include "tip/insight.h"

#define DAY_MS 86400000LL
#ifndef HUB_ANALYTICS_MAX_DAYS
#define HUB_ANALYTICS_MAX_DAYS 366
#endif

/* ---- hooks -------------------------------------------------------------------------------- */

void hub__tip_explain(cJSON *pol, const cand *c, size_t n, size_t pick, const double *score, const double *prob,
                      const int *en, int served, const hub__linucb *m) {
  int k = hub__tip_policy_index("linucb"), j;
  cJSON *lin = k >= 0 ? cJSON_GetObjectItemCaseSensitive(pol, hub__tip_policy_table[k].name) : NULL;
  cJSON *mine = cJSON_GetObjectItemCaseSensitive(pol, hub__tip_policy_table[served].name), *beat;
  const double *sc = score + n * (size_t)served, *pr = prob + n * (size_t)served;
  unsigned char taken[HUB_TIP_MAX_CANDIDATES];
  if (m && lin && k >= 0 && en[k]) cJSON_AddNumberToObject(lin, "bonus", m->alpha * sqrt(hub__linucb_var(m, c[pick].x)));
  if (!mine || n > HUB_TIP_MAX_CANDIDATES) return;
  memset(taken, 0, n);
  taken[pick] = 1;
  beat = cJSON_AddArrayToObject(mine, "beat");
  for (j = 0; beat && j < HUB_TIP_BEAT; j++) { /* the best remaining, HUB_TIP_BEAT times */
    size_t i, best = n;
    cJSON *o;
    for (i = 0; i < n; i++)
      if (!taken[i] && (best == n || sc[i] > sc[best])) best = i;
    if (best == n) break;
    taken[best] = 1;
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "key", c[best].key);
    cJSON_AddNumberToObject(o, "score", isfinite(sc[best]) ? sc[best] : 0);
    cJSON_AddNumberToObject(o, "p", pr[best]);
    hub__push(beat, o);
  }
}

void hub__tip_event_reaction(hub *h, int64_t decision, const char *reaction, double reward, int64_t now_ms) {
  char *key = hub__db_str(h, "SELECT item_key FROM tip_decisions WHERE id=?", "i", decision);
  hub__event(h, "tip.reaction", key, now_ms, "itd", "decision", decision, "reaction", reaction, "reward", reward);
  hub_free(key);
}

/* ---- console_bandit -------------------------------------------------------------------------- */

/* Per policy: its configuration and what it served. */
static cJSON *policies_json(hub *h, const char *user, const tip_cfg *cfg) {
  int en[HUB_TIP_NPOL], k;
  cJSON *arr = cJSON_CreateArray();
  hub__tip_policy_enabled(h, en);
  for (k = 0; arr && k < HUB_TIP_NPOL; k++) {
    const char *name = hub__tip_policy_table[k].name;
    cJSON *o = cJSON_CreateObject();
    sqlite3_stmt *st = hub__db_q(h, "SELECT count(*), count(reward), coalesce(sum(reward),0) FROM tip_decisions"
                                    " WHERE user=? AND policy=?", "tt", user, name);
    double pulls = 0, rewarded = 0, sum = 0;
    if (st && sqlite3_step(st) == SQLITE_ROW) {
      pulls = (double)sqlite3_column_int64(st, 0);
      rewarded = (double)sqlite3_column_int64(st, 1);
      sum = sqlite3_column_double(st, 2);
    }
    hub__db_done(h, st);
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddBoolToObject(o, "enabled", en[k]);
    cJSON_AddStringToObject(o, "role", !en[k] ? "off" : strcmp(cfg->serve, name) == 0 ? "serve" : "shadow");
    cJSON_AddStringToObject(o, "description", hub__tip_policy_table[k].description);
    cJSON_AddNumberToObject(o, "pulls", pulls);
    cJSON_AddNumberToObject(o, "rewarded", rewarded);
    cJSON_AddNumberToObject(o, "reward_sum", sum);
    cJSON_AddNumberToObject(o, "reward_mean", rewarded > 0 ? sum / rewarded : 0);
    hub__push(arr, o);
  }
  return arr;
}

/* Parses a logged feature vector; 0 or -1. */
static int features_of(const char *text, double *x) {
  cJSON *a = text ? cJSON_Parse(text) : NULL, *e;
  int i = 0, ok = cJSON_IsArray(a) && cJSON_GetArraySize(a) == TIP_D;
  cJSON_ArrayForEach(e, a) {
    if (!ok || !cJSON_IsNumber(e)) {
      ok = 0;
      break;
    }
    x[i++] = e->valuedouble;
  }
  cJSON_Delete(a);
  return ok ? 0 : -1;
}

/* The LinUCB bonus logged with a decision (policies.linucb.bonus), or NAN. */
static double logged_bonus(const char *policies) {
  cJSON *p = policies ? cJSON_Parse(policies) : NULL;
  const cJSON *b = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p, "linucb"), "bonus");
  double v = cJSON_IsNumber(b) ? b->valuedouble : NAN;
  cJSON_Delete(p);
  return v;
}

static void add_num_or_null(cJSON *o, const char *k, double v) {
  if (isfinite(v)) cJSON_AddNumberToObject(o, k, v);
  else cJSON_AddNullToObject(o, k);
}

/* The confidence width of the last decisions: logged, and under the model as it is now. */
static cJSON *widths_json(hub *h, const char *user, const hub__linucb *m, int64_t recent) {
  cJSON *arr = cJSON_CreateArray();
  sqlite3_stmt *st = hub__db_q(h, "SELECT id, at, item_key, policy, features, policies FROM tip_decisions"
                                  " WHERE user=? ORDER BY id DESC LIMIT ?", "ti", user, recent);
  while (st && arr && sqlite3_step(st) == SQLITE_ROW) {
    cJSON *o = cJSON_CreateObject();
    double x[TIP_D];
    int fx = features_of((const char *)sqlite3_column_text(st, 4), x) == 0;
    cJSON_AddNumberToObject(o, "decision", (double)sqlite3_column_int64(st, 0));
    cJSON_AddNumberToObject(o, "at", (double)sqlite3_column_int64(st, 1));
    cJSON_AddStringToObject(o, "key", (const char *)sqlite3_column_text(st, 2));
    cJSON_AddStringToObject(o, "policy", (const char *)sqlite3_column_text(st, 3));
    add_num_or_null(o, "bonus", logged_bonus((const char *)sqlite3_column_text(st, 5)));
    add_num_or_null(o, "width_now", m && fx ? m->alpha * sqrt(hub__linucb_var(m, x)) : NAN);
    add_num_or_null(o, "mean_now", m && fx ? hub__linucb_mean(m, x) : NAN);
    hub__push(arr, o);
  }
  hub__db_done(h, st);
  return arr;
}

static cJSON *model_json(const hub__linucb *m) {
  cJSON *o = cJSON_CreateObject(), *f;
  int i;
  cJSON_AddNumberToObject(o, "updates", (double)m->updates);
  cJSON_AddNumberToObject(o, "alpha", m->alpha);
  cJSON_AddNumberToObject(o, "lambda", m->lambda);
  cJSON_AddNumberToObject(o, "gamma", m->gamma);
  f = cJSON_AddArrayToObject(o, "features");
  for (i = 0; f && i < TIP_D && i < m->d; i++) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "name", hub__tip_feature_names[i]);
    if (hub__tip_feature_labels[i]) cJSON_AddStringToObject(e, "label", hub__tip_feature_labels[i]);
    else cJSON_AddNullToObject(e, "label");
    cJSON_AddNumberToObject(e, "theta", m->theta[i]);
    hub__push(f, e);
  }
  return o;
}

cJSON *hub__tip_console_bandit_cmd(hub *h, const cJSON *req) {
  char *user = hub__tip_user(h, req);
  tip_cfg cfg;
  hub__linucb m;
  int64_t recent = 20;
  int have;
  cJSON *res;
  if (!user) return hub__error_json(HUB_E_NOMEM, NULL);
  if (hub__json_int(req, "recent", 0, 200, &recent) < 0) {
    hub_free(user);
    return hub__error_field(HUB_E_BAD_TYPE, "recent", "\"recent\" is a number of decisions from 0 to 200");
  }
  memset(&m, 0, sizeof m);
  hub__tip_cfg_load(h, &cfg);
  have = hub__tip_model_load(h, user, MODEL_LINEAR, &cfg, &m, NULL) == 0;
  res = cJSON_CreateObject();
  cJSON_AddStringToObject(res, "user", user);
  cJSON_AddStringToObject(res, "serve", cfg.serve);
  cJSON_AddStringToObject(res, "explore", cfg.explore_softmax ? "softmax" : "egreedy");
  cJSON_AddNumberToObject(res, "alpha", cfg.alpha);
  cJSON_AddNumberToObject(res, "epsilon", cfg.epsilon);
  hub__put(res, "policies", policies_json(h, user, &cfg));
  if (have) hub__put(res, "model", model_json(&m));
  else cJSON_AddNullToObject(res, "model");
  hub__put(res, "widths", widths_json(h, user, have ? &m : NULL, recent));
  hub__linucb_free(&m);
  hub_free(user);
  return res;
}

/* ---- tip_log ---------------------------------------------------------------------------------- */

static cJSON *reactions_of(hub *h, int64_t decision) {
  cJSON *arr = cJSON_CreateArray();
  sqlite3_stmt *st = hub__db_q(h, "SELECT reaction, reward, at FROM tip_reactions WHERE decision_id=? ORDER BY id",
                               "i", decision);
  while (st && arr && sqlite3_step(st) == SQLITE_ROW) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "reaction", (const char *)sqlite3_column_text(st, 0));
    cJSON_AddNumberToObject(o, "reward", sqlite3_column_double(st, 1));
    cJSON_AddNumberToObject(o, "at", (double)sqlite3_column_int64(st, 2));
    hub__push(arr, o);
  }
  hub__db_done(h, st);
  return arr;
}

static void add_text(cJSON *o, const char *k, sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  if (t) cJSON_AddStringToObject(o, k, (const char *)t);
  else cJSON_AddNullToObject(o, k);
}

/* The logged per-policy records, the served one's runners-up, the bonus and whether it explored. */
static void decision_policies(cJSON *o, const char *policies, const char *served, const char *key) {
  cJSON *p = policies ? cJSON_Parse(policies) : NULL, *beat = NULL;
  cJSON *mine = cJSON_GetObjectItemCaseSensitive(p, served);
  const cJSON *choice = cJSON_GetObjectItemCaseSensitive(mine, "choice");
  const cJSON *bonus = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p, "linucb"), "bonus");
  if (cJSON_IsNumber(bonus)) cJSON_AddNumberToObject(o, "bonus", bonus->valuedouble);
  else cJSON_AddNullToObject(o, "bonus");
  cJSON_AddBoolToObject(o, "explored", cJSON_IsString(choice) && key && strcmp(choice->valuestring, key) != 0);
  if (mine) beat = cJSON_DetachItemFromObjectCaseSensitive(mine, "beat");
  hub__put(o, "beat", beat ? beat : cJSON_CreateArray());
  hub__put(o, "policies", p ? p : cJSON_CreateObject());
}

static cJSON *decision_json(hub *h, sqlite3_stmt *st) {
  cJSON *o = cJSON_CreateObject(), *fm;
  int64_t id = sqlite3_column_int64(st, 0);
  double x[TIP_D];
  int i;
  const char *key = (const char *)sqlite3_column_text(st, 2);
  cJSON_AddNumberToObject(o, "decision", (double)id);
  cJSON_AddNumberToObject(o, "at", (double)sqlite3_column_int64(st, 1));
  add_text(o, "key", st, 2);
  add_text(o, "title", st, 13);
  add_text(o, "policy", st, 3);
  add_num_or_null(o, "score", sqlite3_column_type(st, 4) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 4));
  cJSON_AddNumberToObject(o, "propensity", sqlite3_column_double(st, 5));
  if (sqlite3_column_type(st, 6) == SQLITE_NULL) cJSON_AddNullToObject(o, "latency_us");
  else cJSON_AddNumberToObject(o, "latency_us", (double)sqlite3_column_int64(st, 6));
  cJSON_AddNumberToObject(o, "candidates", (double)sqlite3_column_int64(st, 7));
  add_text(o, "why", st, 8);
  {
    cJSON *fb = cJSON_Parse((const char *)sqlite3_column_text(st, 9));
    hub__put(o, "fallback", cJSON_IsArray(fb) ? fb : (cJSON_Delete(fb), cJSON_CreateArray()));
  }
  fm = cJSON_AddObjectToObject(o, "features");
  if (features_of((const char *)sqlite3_column_text(st, 10), x) == 0)
    for (i = 0; fm && i < TIP_D; i++) cJSON_AddNumberToObject(fm, hub__tip_feature_names[i], x[i]);
  decision_policies(o, (const char *)sqlite3_column_text(st, 11), (const char *)sqlite3_column_text(st, 3), key);
  hub__put(o, "reactions", reactions_of(h, id));
  add_num_or_null(o, "reward", sqlite3_column_type(st, 12) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 12));
  return o;
}

cJSON *hub__tip_log_cmd(hub *h, const cJSON *req) {
  char *user = hub__tip_user(h, req);
  const char *policy = hub__json_str(req, "policy");
  int64_t before = INT64_MAX, limit = 20, last = 0;
  sqlite3_stmt *st;
  cJSON *res, *arr;
  if (!user) return hub__error_json(HUB_E_NOMEM, NULL);
  if (hub__json_int(req, "before", 1, INT64_MAX, &before) < 0 || hub__json_int(req, "limit", 1, 100, &limit) < 0) {
    hub_free(user);
    return hub__error_json(HUB_E_BAD_TYPE, "\"before\" is a decision id, \"limit\" a number from 1 to 100");
  }
  res = cJSON_CreateObject();
  arr = cJSON_AddArrayToObject(res, "decisions");
  st = hub__db_q(h,
                 "SELECT id, at, item_key, policy, score, propensity, latency_us, candidates, why, fallback, features,"
                 " policies, reward, (SELECT title FROM items WHERE items.id = tip_decisions.item_id)"
                 " FROM tip_decisions WHERE user=?1 AND id<?2 AND (?3 IS NULL OR policy=?3) ORDER BY id DESC LIMIT ?4",
                 "titi", user, before, policy, limit);
  while (st && arr && sqlite3_step(st) == SQLITE_ROW) {
    last = sqlite3_column_int64(st, 0);
    hub__push(arr, decision_json(h, st));
  }
  hub__db_done(h, st);
  if (last && cJSON_GetArraySize(arr) == limit &&
      hub__db_int(h, "SELECT count(*) FROM tip_decisions WHERE user=?1 AND id<?2 AND (?3 IS NULL OR policy=?3)", "tit",
                  0, user, last, policy) > 0)
    cJSON_AddNumberToObject(res, "next_before", (double)last);
  else
    cJSON_AddNullToObject(res, "next_before");
  cJSON_AddNumberToObject(res, "total", (double)hub__db_int(h, "SELECT count(*) FROM tip_decisions WHERE user=?1"
                                                              " AND (?2 IS NULL OR policy=?2)", "tt", 0, user, policy));
  hub_free(user);
  return res;
}

/* ---- tip_analytics ------------------------------------------------------------------------------ */

static void day_text(int64_t day, char out[11]) {
  char iso[24];
  hub__fmt_iso8601(day * 86400, iso);
  memcpy(out, iso, 10);
  out[10] = 0;
}

/* {day, counts:{reaction:n}} per day with reactions, oldest first (the newest max days). */
static cJSON *reactions_by_day(hub *h, const char *user, int64_t tz_ms) {
  cJSON *arr = cJSON_CreateArray(), *cur = NULL;
  int64_t cur_day = INT64_MIN;
  sqlite3_stmt *st = hub__db_q(h,
                               "SELECT (r.at + ?2) / 86400000 AS day, r.reaction, count(*) FROM tip_reactions r"
                               " JOIN tip_decisions d ON d.id = r.decision_id WHERE d.user = ?1"
                               " AND (r.at + ?2) / 86400000 > (SELECT max(at + ?2) / 86400000 FROM tip_reactions) - ?3"
                               " GROUP BY day, r.reaction ORDER BY day, r.reaction",
                               "tii", user, tz_ms, (int64_t)HUB_ANALYTICS_MAX_DAYS);
  while (st && arr && sqlite3_step(st) == SQLITE_ROW) {
    int64_t day = sqlite3_column_int64(st, 0);
    if (day != cur_day || !cur) {
      cJSON *o = cJSON_CreateObject(), *counts;
      char d[11];
      int k;
      day_text(day, d);
      cJSON_AddStringToObject(o, "day", d);
      counts = cJSON_AddObjectToObject(o, "counts");
      for (k = 0; counts && k < N_REACTIONS; k++) cJSON_AddNumberToObject(counts, hub__tip_rewards[k].name, 0);
      hub__push(arr, o);
      cur = counts;
      cur_day = day;
    }
    {
      const char *r = (const char *)sqlite3_column_text(st, 1);
      cJSON *n = r ? cJSON_GetObjectItemCaseSensitive(cur, r) : NULL;
      if (n) cJSON_SetNumberValue(n, (double)sqlite3_column_int64(st, 2));
    }
  }
  hub__db_done(h, st);
  return arr;
}

/* Per day with decisions, every policy that ever served: decisions, rewarded, reward that day,
 * and the cumulative reward up to that day. */
static cJSON *reward_by_day(hub *h, const char *user, int64_t tz_ms) {
  cJSON *arr = cJSON_CreateArray(), *cur = NULL;
  double cum[HUB_TIP_NPOL];
  int served[HUB_TIP_NPOL], k;
  int64_t cur_day = INT64_MIN;
  sqlite3_stmt *st;
  for (k = 0; k < HUB_TIP_NPOL; k++) {
    cum[k] = 0;
    served[k] = hub__db_int(h, "SELECT count(*) FROM tip_decisions WHERE user=? AND policy=?", "tt", 0, user,
                            hub__tip_policy_table[k].name) > 0;
  }
  st = hub__db_q(h,
                 "SELECT (at + ?2) / 86400000 AS day, policy, count(*), count(reward), coalesce(sum(reward), 0)"
                 " FROM tip_decisions WHERE user = ?1 GROUP BY day, policy ORDER BY day, policy",
                 "ti", user, tz_ms);
  while (st && arr && sqlite3_step(st) == SQLITE_ROW) {
    int64_t day = sqlite3_column_int64(st, 0);
    int p = hub__tip_policy_index((const char *)sqlite3_column_text(st, 1));
    cJSON *o;
    if (day != cur_day || !cur) {
      char d[11];
      o = cJSON_CreateObject();
      day_text(day, d);
      cJSON_AddStringToObject(o, "day", d);
      cur = cJSON_AddObjectToObject(o, "policies");
      for (k = 0; cur && k < HUB_TIP_NPOL; k++) {
        cJSON *e;
        if (!served[k]) continue;
        e = cJSON_AddObjectToObject(cur, hub__tip_policy_table[k].name);
        cJSON_AddNumberToObject(e, "decisions", 0);
        cJSON_AddNumberToObject(e, "rewarded", 0);
        cJSON_AddNumberToObject(e, "reward", 0);
        cJSON_AddNumberToObject(e, "cumulative", cum[k]);
      }
      hub__push(arr, o);
      cur_day = day;
    }
    if (p < 0 || !served[p]) continue;
    o = cJSON_GetObjectItemCaseSensitive(cur, hub__tip_policy_table[p].name);
    cum[p] += sqlite3_column_double(st, 4);
    cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "decisions"), (double)sqlite3_column_int64(st, 2));
    cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "rewarded"), (double)sqlite3_column_int64(st, 3));
    cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "reward"), sqlite3_column_double(st, 4));
    cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "cumulative"), cum[p]);
  }
  hub__db_done(h, st);
  while (cJSON_GetArraySize(arr) > HUB_ANALYTICS_MAX_DAYS) cJSON_DeleteItemFromArray(arr, 0);
  return arr;
}

static cJSON *ci_json(const hub__ci *c) {
  cJSON *a;
  if (!c->ok) return cJSON_CreateNull();
  a = cJSON_CreateArray();
  hub__push(a, cJSON_CreateNumber(c->lo));
  hub__push(a, cJSON_CreateNumber(c->hi));
  return a;
}

/* The off-policy estimates of every policy on the log, with intervals. NULL with h->errmsg. */
static cJSON *ope_all(hub *h, const char *user, const tip_cfg *cfg, int resamples, double level, uint64_t seed) {
  int en[HUB_TIP_NPOL], k;
  cJSON *arr = cJSON_CreateArray();
  hub__tip_policy_enabled(h, en);
  for (k = 0; arr && k < HUB_TIP_NPOL; k++) {
    const char *name = hub__tip_policy_table[k].name;
    hub__ope_row *rows = NULL;
    long n = 0;
    hub__ope est;
    hub__ope_ci ci;
    cJSON *o, *c;
    if (hub__ope_log_rows(h, user, name, &rows, &n) || hub__ope_bootstrap(rows, n, resamples, level, seed, &ci)) {
      hub_free(rows);
      cJSON_Delete(arr);
      if (!h->errmsg[0]) hub__set_err(h, "out of memory");
      return NULL;
    }
    hub__ope_estimate(rows, n, &est);
    hub_free(rows);
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "policy", name);
    cJSON_AddStringToObject(o, "role", !en[k] ? "off" : strcmp(cfg->serve, name) == 0 ? "serve" : "shadow");
    cJSON_AddNumberToObject(o, "events", (double)est.n);
    cJSON_AddNumberToObject(o, "matched", (double)est.matched);
    add_num_or_null(o, "replay", est.matched ? est.replay : NAN);
    cJSON_AddNumberToObject(o, "ipw", est.ipw);
    cJSON_AddNumberToObject(o, "snipw", est.snipw);
    cJSON_AddNumberToObject(o, "logged", est.logged);
    c = cJSON_AddObjectToObject(o, "ci");
    hub__put(c, "replay", ci_json(&ci.replay));
    hub__put(c, "ipw", ci_json(&ci.ipw));
    hub__put(c, "snipw", ci_json(&ci.snipw));
    cJSON_AddNumberToObject(o, "resamples", ci.resamples);
    hub__push(arr, o);
  }
  return arr;
}

cJSON *hub__tip_analytics_cmd(hub *h, const cJSON *req) {
  char *user = hub__tip_user(h, req);
  int64_t tz = 0, resamples = 1000, seed = 1;
  const cJSON *lv = cJSON_GetObjectItemCaseSensitive(req, "level");
  double level = cJSON_IsNumber(lv) ? lv->valuedouble : 0.95;
  tip_cfg cfg;
  cJSON *res, *ope, *kinds;
  int k;
  if (!user) return hub__error_json(HUB_E_NOMEM, NULL);
  if (hub__json_int(req, "tz_offset_min", -1440, 1440, &tz) < 0 ||
      hub__json_int(req, "resamples", 1, HUB_BOOT_MAX_RESAMPLES, &resamples) < 0 ||
      hub__json_int(req, "seed", 0, INT64_MAX, &seed) < 0 || !(level >= 0.5 && level < 1)) {
    hub_free(user);
    return hub__error_json(HUB_E_BAD_TYPE, "tz_offset_min is minutes (±1440), resamples 1–5000, seed ≥ 0, level in [0.5, 1)");
  }
  hub__tip_cfg_load(h, &cfg);
  ope = ope_all(h, user, &cfg, (int)resamples, level, (uint64_t)seed);
  if (!ope) {
    hub_free(user);
    return hub__error_json(HUB_E_DB, h->errmsg);
  }
  res = cJSON_CreateObject();
  kinds = cJSON_AddArrayToObject(res, "reactions");
  for (k = 0; kinds && k < N_REACTIONS; k++) hub__push(kinds, cJSON_CreateString(hub__tip_rewards[k].name));
  hub__put(res, "reactions_by_day", reactions_by_day(h, user, tz * 60000));
  hub__put(res, "reward_by_day", reward_by_day(h, user, tz * 60000));
  hub__put(res, "ope", ope);
  cJSON_AddNumberToObject(res, "resamples", (double)resamples);
  cJSON_AddNumberToObject(res, "level", level);
  cJSON_AddNumberToObject(res, "seed", (double)seed);
  hub_free(user);
  return res;
}
