/*
 * share.c — tip feedback shared between two databases of one user (tip layer; writes
 * tip_decisions and tip_reactions, which tip/ owns): a page's decisions and the reactions to
 * them, read out for the hubd it follows, and written into that hubd's log, where they teach
 * its models as if its own tip had been reacted to (learn.c). replica/ carries them.
 *
 * A decision from elsewhere keeps its origin ("<origin>:<its id there>", column origin) so a
 * second delivery adds nothing; each reaction counts once (tip_reactions is unique per decision
 * and reaction). The reward is this database's (its tip.reward_* settings). The item's done,
 * snoozed or dismissed state travels separately, as triage state.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "db/db.h"
#include "tip/tip_int.h"
#include "tip/tip.h"

#ifndef HUB_TIP_SHARE_TEXT
#define HUB_TIP_SHARE_TEXT 65536 /* longest JSON text column of a shared decision */
#endif
#ifndef HUB_TIP_SHARE_REACTIONS
#define HUB_TIP_SHARE_REACTIONS 16 /* reactions per shared decision */
#endif

/* The decision's columns, in the order both directions use: name, type (t text, j JSON text,
 * i integer, d real), required. */
static const struct {
  const char *name;
  char type;
  int required;
} cols[] = {
    {"user", 't', 1},       {"at", 'i', 1},         {"item_key", 't', 1},   {"policy", 't', 1},
    {"fallback", 'j', 1},   {"features", 'j', 1},   {"score", 'd', 0},      {"propensity", 'd', 1},
    {"candidates", 'i', 1}, {"explore", 't', 0},    {"epsilon", 'd', 0},    {"seed", 'i', 0},
    {"latency_us", 'i', 0}, {"policies", 'j', 1},   {"why", 't', 0},        {"xseed", 'j', 0},
    {"in_row", 'i', 1},     {"mc_samples", 'i', 0}, {"repo", 't', 0},       {"item_mark", 'i', 0},
};
#define NCOLS (sizeof cols / sizeof cols[0])

/* ---- out ---------------------------------------------------------------------------------- */

/* An integer as a JSON number, or as decimal text past 2^53 (seeds and marks are 63-bit). */
static cJSON *int_json(int64_t v) {
  char num[24];
  if (v <= 9007199254740992LL && v >= -9007199254740992LL) return cJSON_CreateNumber((double)v);
  snprintf(num, sizeof num, "%lld", (long long)v);
  return cJSON_CreateString(num);
}

static cJSON *reactions_json(hub *h, int64_t id) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT at, reaction, snooze_until FROM tip_reactions WHERE decision_id=? ORDER BY id",
                               "i", id);
  cJSON *a = cJSON_CreateArray();
  while (st && a && sqlite3_step(st) == SQLITE_ROW) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "at", (double)sqlite3_column_int64(st, 0));
    cJSON_AddStringToObject(o, "reaction", (const char *)sqlite3_column_text(st, 1));
    if (sqlite3_column_type(st, 2) == SQLITE_NULL) cJSON_AddNullToObject(o, "snooze_until");
    else cJSON_AddNumberToObject(o, "snooze_until", (double)sqlite3_column_int64(st, 2));
    hub__push(a, o);
  }
  hub__db_done(h, st);
  return a;
}

cJSON *hub__tip_share_out(hub *h, int64_t id) {
  sqlite3_stmt *st = hub__db_q(h,
                               "SELECT user,at,item_key,policy,fallback,features,score,propensity,candidates,explore,"
                               "epsilon,seed,latency_us,policies,why,xseed,in_row,mc_samples,repo,item_mark"
                               " FROM tip_decisions WHERE id=? AND origin IS NULL",
                               "i", id);
  cJSON *o = NULL;
  size_t i;
  if (st && sqlite3_step(st) == SQLITE_ROW && (o = cJSON_CreateObject())) {
    cJSON_AddNumberToObject(o, "id", (double)id);
    for (i = 0; i < NCOLS; i++) {
      int c = (int)i;
      if (sqlite3_column_type(st, c) == SQLITE_NULL) cJSON_AddNullToObject(o, cols[i].name);
      else if (cols[i].type == 't' || cols[i].type == 'j')
        cJSON_AddStringToObject(o, cols[i].name, (const char *)sqlite3_column_text(st, c));
      else if (cols[i].type == 'i') hub__put(o, cols[i].name, int_json(sqlite3_column_int64(st, c)));
      else cJSON_AddNumberToObject(o, cols[i].name, sqlite3_column_double(st, c));
    }
    hub__put(o, "reactions", reactions_json(h, id));
  }
  hub__db_done(h, st);
  return o;
}

/* ---- in ----------------------------------------------------------------------------------- */

/* An integer member written by int_json: 0 with *out, or -1. */
static int int_of(const cJSON *v, int64_t *out) {
  if (cJSON_IsString(v)) return hub__parse_int(v->valuestring, INT64_MIN, INT64_MAX, out);
  return cJSON_IsNumber(v) ? hub__num_in(v->valuedouble, -9007199254740992LL, 9007199254740992LL, out) : -1;
}

/* Checks one column value of a shared decision: 0, or -1 with the problem in h->errmsg. */
static int check_col(hub *h, const cJSON *d, size_t i) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, cols[i].name);
  int64_t n;
  if (!v || cJSON_IsNull(v)) {
    if (!cols[i].required) return 0;
  } else if (cols[i].type == 't' || cols[i].type == 'j') {
    size_t len = cJSON_IsString(v) ? strlen(v->valuestring) : 0;
    cJSON *parsed = NULL;
    int ok = cJSON_IsString(v) && len <= HUB_TIP_SHARE_TEXT && hub__utf8_valid(v->valuestring, len);
    if (ok && cols[i].type == 'j') {
      parsed = cJSON_Parse(v->valuestring);
      ok = cJSON_IsArray(parsed) || cJSON_IsObject(parsed);
      cJSON_Delete(parsed);
    }
    if (ok) return 0;
  } else if (cols[i].type == 'i') {
    if (int_of(v, &n) == 0) return 0;
  } else if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
    return 0;
  }
  hub__set_err(h, "tip decision: \"%s\" is missing or of the wrong type", cols[i].name);
  return -1;
}

/* Binds one checked column value as parameter k. */
static int bind_col(hub *h, sqlite3_stmt *st, int k, const cJSON *d, size_t i) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, cols[i].name);
  int64_t n = 0;
  int rc;
  if (!v || cJSON_IsNull(v)) rc = sqlite3_bind_null(st, k);
  else if (cols[i].type == 't' || cols[i].type == 'j') rc = sqlite3_bind_text(st, k, v->valuestring, -1, SQLITE_TRANSIENT);
  else if (cols[i].type == 'i') {
    int_of(v, &n);
    rc = sqlite3_bind_int64(st, k, n);
  } else rc = sqlite3_bind_double(st, k, v->valuedouble);
  return rc == SQLITE_OK ? 0 : hub__db_fail(h);
}

/* The local id of the shared decision d from origin, inserting it when new. >0, or -1. */
static int64_t decision_in(hub *h, const char *from, const cJSON *d) {
  int64_t id = hub__db_int(h, "SELECT id FROM tip_decisions WHERE origin=?", "t", 0, from);
  sqlite3_stmt *st;
  size_t i;
  int rc;
  if (id) return id;
  for (i = 0; i < NCOLS; i++)
    if (check_col(h, d, i)) return -1;
  st = hub__db_q(h,
                 "INSERT INTO tip_decisions(user,at,item_key,policy,fallback,features,score,propensity,candidates,"
                 "explore,epsilon,seed,latency_us,policies,why,xseed,in_row,mc_samples,repo,item_mark,origin,item_id)"
                 " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,(SELECT id FROM items WHERE key=?3))",
                 NULL);
  if (!st) return -1;
  for (i = 0; i < NCOLS; i++)
    if (bind_col(h, st, (int)i + 1, d, i)) goto fail;
  if (sqlite3_bind_text(st, (int)NCOLS + 1, from, -1, SQLITE_TRANSIENT) != SQLITE_OK) goto fail;
  rc = sqlite3_step(st);
  hub__db_done(h, st);
  if (rc != SQLITE_DONE) return hub__db_fail(h);
  return sqlite3_last_insert_rowid(h->db);
fail:
  hub__db_done(h, st);
  return -1;
}

/* Records one reaction to local decision id (once) and learns from it. 1 new, 0 known, -1. */
static int reaction_in(hub *h, int64_t id, const cJSON *re, const tip_cfg *cfg) {
  int64_t at = 0, until = 0;
  int k = hub__tip_reaction(hub__json_str(re, "reaction")), n;
  double r;
  if (k < 0 || hub__json_int(re, "at", 0, INT64_MAX / 4, &at) != 1 ||
      hub__json_int(re, "snooze_until", 0, INT64_MAX / 4, &until) < 0) {
    hub__set_err(h, "tip reaction: needs a known \"reaction\" and \"at\" (ms)");
    return -1;
  }
  r = cfg->reward[k];
  n = hub__db_run(h, "INSERT OR IGNORE INTO tip_reactions(decision_id,at,reaction,reward,snooze_until)"
                     " VALUES(?,?,?,?,nullif(?,0))",
                  "iitdi", id, at, hub__tip_rewards[k].name, r, until);
  if (n <= 0) return n;
  if (hub__db_run(h, "UPDATE tip_decisions SET reward=coalesce(reward,0)+? WHERE id=?", "di", r, id) < 0) return -1;
  return hub__tip_learn(h, cfg, id, k, r, at, NULL) < 0 ? -1 : 1;
}

int hub__tip_share_in(hub *h, const char *origin, const cJSON *d) {
  const cJSON *rs = cJSON_GetObjectItemCaseSensitive(d, "reactions"), *re;
  int64_t rid = 0, id;
  char from[96];
  tip_cfg cfg;
  int n = 0, k;
  if (!cJSON_IsObject(d) || hub__json_int(d, "id", 1, INT64_MAX / 4, &rid) != 1 || !cJSON_IsArray(rs) ||
      cJSON_GetArraySize(rs) > HUB_TIP_SHARE_REACTIONS || !origin || strlen(origin) > 64) {
    hub__set_err(h, "tip decision: needs \"id\" and at most %d \"reactions\"", HUB_TIP_SHARE_REACTIONS);
    return -1;
  }
  snprintf(from, sizeof from, "%s:%lld", origin, (long long)rid);
  if ((id = decision_in(h, from, d)) < 0) return -1;
  hub__tip_cfg_load(h, &cfg);
  cJSON_ArrayForEach(re, rs) {
    if ((k = reaction_in(h, id, re, &cfg)) < 0) return -1;
    n += k;
  }
  return n;
}
