/*
 * learn.c — learning (tip layer; owns table tip_affinity): what one reaction teaches the
 * user's models, repo affinity and exposure, and `tip_refresh`, which rebuilds the models and
 * the affinities from the whole log.
 *
 * Every served tip teaches every model, whichever policy served it: the linear model (read
 * by linucb, thompson and egreedy) from the decision's logged features, the seed design's
 * from its logged five, each reaction once. A tuple (x, p, n, r, t) — features, the served
 * policy's propensity, the number of candidates, the reward and the reaction's time — enters
 * the linear model with the importance weight w = clamp(1/(n·p), 1, W) (W = ips_clip; 1 =
 * unweighted) after discounting the older evidence to t by the half-life. The item's repo
 * learns with it (hub__tip_learn_step): its affinity adds the residual r − θᵀx, and the model
 * learns r − k·a (a the repo's affinity then, k = repo_effect), the part of r the repo's term in
 * the score does not already give — a per-repo intercept fitted beside the linear model, so a
 * favourite repository counts from its first few reactions instead of through one coefficient
 * on a shrunk feature (issue 11's drifting user: its new favourite repo was most of the regret
 * left; measured in simfam.c). Because the online path and the refresh apply the same steps to
 * the same tuples in time order, a refresh reproduces the online model and affinities; with
 * k = 0 both equal the direct sums
 *   A = λI + Σ 2^(−(T−t_i)/H) w_i x_i x_iᵀ      b = Σ 2^(−(T−t_i)/H) w_i r_i x_i.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "db/db.h"
#include "tip/tip_int.h"

/* ---- pure -------------------------------------------------------------------------------- */

static double decay(int64_t from, int64_t to, double half_life_days) {
  if (!(half_life_days > 0) || to <= from) return 1.0;
  return exp2(-(double)(to - from) / (half_life_days * 86400000.0));
}

double hub__tip_aff_value(const hub__tip_aff *a, int64_t now_ms, double half_life_days) {
  double g = decay(a->at, now_ms, half_life_days), v;
  v = g * a->s / (g * a->n + HUB_TIP_AFF_PRIOR);
  return isfinite(v) ? fmax(-1.0, fmin(1.0, v)) : 0.0;
}

void hub__tip_aff_add(hub__tip_aff *a, double reward, int64_t now_ms, double half_life_days) {
  double g = decay(a->at, now_ms, half_life_days);
  a->n = g * a->n + 1.0;
  a->s = g * a->s + reward;
  if (now_ms > a->at) a->at = now_ms;
}

double hub__tip_weight(const tip_cfg *cfg, double propensity, double candidates) {
  double w;
  if (!(cfg->ips_clip > 1) || !(propensity > 0) || !(candidates >= 1)) return 1.0;
  w = 1.0 / (candidates * propensity);
  return fmin(cfg->ips_clip, fmax(1.0, w));
}

int hub__tip_learn_tuple(hub__linucb *m, const double *x, double r, double w, int64_t t_ms) {
  if (hub__linucb_decay_to(m, t_ms)) return -1;
  return hub__linucb_update_w(m, x, r, w);
}

int hub__tip_learn_step(hub__linucb *m, const double *x, hub__tip_aff *aff, double r, double w, int64_t t_ms,
                        const tip_cfg *cfg) {
  double pred = 0, a = aff ? hub__tip_aff_value(aff, t_ms, cfg->half_life_days) : 0;
  int rc = 0;
  if (m && x) {
    rc = hub__linucb_decay_to(m, t_ms);
    pred = hub__linucb_mean(m, x);
    if (!isfinite(pred)) pred = 0;
    if (rc == 0) rc = hub__linucb_update_w(m, x, r - cfg->repo_effect * a, w);
  }
  if (aff) hub__tip_aff_add(aff, r - pred, t_ms, cfg->half_life_days);
  return rc;
}

/* A JSON array text of exactly n numbers into x: 0 or -1. */
static int parse_vec(const char *text, double *x, int n) {
  cJSON *a = text ? cJSON_Parse(text) : NULL, *e;
  int i = 0, ok = cJSON_IsArray(a) && cJSON_GetArraySize(a) == n;
  cJSON_ArrayForEach(e, a) {
    if (!ok || !cJSON_IsNumber(e) || !isfinite(e->valuedouble)) {
      ok = 0;
      break;
    }
    x[i++] = e->valuedouble;
  }
  cJSON_Delete(a);
  return ok ? 0 : -1;
}

/* ---- affinity ---------------------------------------------------------------------------- */

int hub__tip_aff_get(hub *h, const char *user, const char *repo, hub__tip_aff *a) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT n, s, at FROM tip_affinity WHERE user=? AND repo=?", "tt", user, repo);
  int found = 0;
  memset(a, 0, sizeof *a);
  if (!st) return -1;
  if (sqlite3_step(st) == SQLITE_ROW) {
    a->n = sqlite3_column_double(st, 0);
    a->s = sqlite3_column_double(st, 1);
    a->at = sqlite3_column_int64(st, 2);
    found = 1;
  }
  hub__db_done(h, st);
  return found;
}

static int aff_put(hub *h, const char *user, const char *repo, const hub__tip_aff *a) {
  return hub__db_run(h, "INSERT OR REPLACE INTO tip_affinity(user,repo,n,s,at) VALUES(?,?,?,?,?)", "ttddi", user,
                     repo, a->n, a->s, a->at) < 0
             ? -1
             : 0;
}

void hub__tip_aff_free(hub__tip_repo_aff *a, size_t n) {
  size_t i;
  for (i = 0; a && i < n; i++) hub_free(a[i].repo);
  hub_free(a);
}

int hub__tip_aff_load(hub *h, const char *user, hub__tip_repo_aff **out, size_t *n) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT repo, n, s, at FROM tip_affinity WHERE user=? ORDER BY repo", "t", user);
  hub__tip_repo_aff *a = NULL;
  size_t k = 0, cap = 0;
  int rc;
  *out = NULL;
  *n = 0;
  if (!st) return -1;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (k == cap) {
      size_t nc = cap ? cap * 2 : 32;
      hub__tip_repo_aff *na = hub__realloc(a, nc * sizeof *a);
      if (!na) goto oom;
      a = na;
      cap = nc;
    }
    a[k].a.n = sqlite3_column_double(st, 1);
    a[k].a.s = sqlite3_column_double(st, 2);
    a[k].a.at = sqlite3_column_int64(st, 3);
    a[k].repo = hub__db_col_dup(st, 0);
    if (!a[k].repo) goto oom;
    k++;
  }
  hub__db_done(h, st);
  if (rc != SQLITE_DONE) {
    hub__tip_aff_free(a, k);
    return hub__db_fail(h);
  }
  *out = a;
  *n = k;
  return 0;
oom:
  hub__db_done(h, st);
  hub__tip_aff_free(a, k);
  hub__set_err(h, "out of memory");
  return -1;
}

/* ---- one reaction ------------------------------------------------------------------------ */

/* What a decision logged, as learning needs it. */
typedef struct {
  char *user, *features, *xseed, *repo;
  int64_t item_id;
  int has_item;
  double propensity, candidates;
} logged;

static void logged_free(logged *l) {
  hub_free(l->user);
  hub_free(l->features);
  hub_free(l->xseed);
  hub_free(l->repo);
}

static int read_logged(hub *h, int64_t decision, logged *l) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT user, item_id, features, xseed, repo, propensity, candidates"
                                  " FROM tip_decisions WHERE id=?", "i", decision);
  int rc = -1;
  memset(l, 0, sizeof *l);
  if (!st) return -1;
  if (sqlite3_step(st) == SQLITE_ROW) {
    l->user = hub__db_col_dup(st, 0);
    l->has_item = sqlite3_column_type(st, 1) != SQLITE_NULL;
    l->item_id = sqlite3_column_int64(st, 1);
    l->features = hub__db_col_dup(st, 2);
    l->xseed = hub__db_col_dup(st, 3);
    l->repo = hub__db_col_dup(st, 4);
    l->propensity = sqlite3_column_double(st, 5);
    l->candidates = (double)sqlite3_column_int64(st, 6);
    rc = l->user && l->features ? 0 : -1;
    if (rc) hub__set_err(h, "out of memory");
  } else {
    hub__set_err(h, "no decision with that id");
  }
  hub__db_done(h, st);
  return rc;
}

/* The seed design's model learns one tuple and is saved: 1 learned, 0 could not, -1 database
 * error. */
static int learn_seed(hub *h, const logged *l, const tip_cfg *cfg, double r, int64_t now_ms) {
  hub__linucb m;
  double x[TIP_DSEED];
  int rc = 0;
  if (parse_vec(l->xseed, x, TIP_DSEED)) return 0;
  if (hub__tip_model_load(h, l->user, MODEL_SEED, cfg, &m, NULL)) return 0;
  if (hub__linucb_update(&m, x, r) == 0) rc = hub__tip_model_save(h, l->user, MODEL_SEED, &m, now_ms) ? -1 : 1;
  hub__linucb_free(&m);
  return rc;
}

/* The linear model and the repo's affinity learn one tuple (hub__tip_learn_step) and are
 * saved: 1 the model learned, 0 it could not (the affinity still did), -1 database error. */
static int learn_linear(hub *h, const logged *l, const tip_cfg *cfg, double r, int64_t now_ms, long *updates) {
  hub__linucb m;
  hub__tip_aff a;
  double x[TIP_D];
  int has_repo = l->repo && *l->repo, has_m = 0, rc = 0;
  memset(&m, 0, sizeof m);
  if (has_repo && hub__tip_aff_get(h, l->user, l->repo, &a) < 0) return -1;
  if (parse_vec(l->features, x, TIP_D) == 0 && hub__tip_model_load(h, l->user, MODEL_LINEAR, cfg, &m, NULL) == 0)
    has_m = 1;
  if (hub__tip_learn_step(has_m ? &m : NULL, x, has_repo ? &a : NULL, r,
                          hub__tip_weight(cfg, l->propensity, l->candidates), now_ms, cfg) == 0 && has_m) {
    rc = hub__tip_model_save(h, l->user, MODEL_LINEAR, &m, now_ms) ? -1 : 1;
    if (updates) *updates = m.updates;
  }
  if (rc >= 0 && has_repo && aff_put(h, l->user, l->repo, &a)) rc = -1;
  if (has_m) hub__linucb_free(&m);
  return rc;
}

int hub__tip_learn(hub *h, const tip_cfg *cfg, int64_t decision, int reaction, double r, int64_t now_ms,
                   long *updates) {
  logged l;
  int rc = -1, lin;
  if (read_logged(h, decision, &l)) {
    logged_free(&l);
    return 0;
  }
  if ((lin = learn_linear(h, &l, cfg, r, now_ms, updates)) < 0) goto done;
  if (learn_seed(h, &l, cfg, r, now_ms) < 0) goto done;
  if (l.has_item && hub__tip_exposure_reacted(h, l.user, l.item_id, reaction, r, now_ms, cfg)) goto done;
  rc = lin;
done:
  logged_free(&l);
  return rc;
}

/* ---- tip_refresh ------------------------------------------------------------------------- */

typedef struct {
  hub__linucb lin, seed;
  long tuples, learned, seed_learned, skipped;
} refresh;

/* Replays every reaction of the user's log, in time order, into r's fresh models and the
 * affinity table, by the online path's steps. 0 or -1 (h->errmsg). */
static int replay_log(hub *h, const char *user, const tip_cfg *cfg, refresh *rf) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT r.at, r.reward, d.features, d.xseed, d.propensity, d.candidates, d.repo"
                                  " FROM tip_reactions r JOIN tip_decisions d ON d.id = r.decision_id"
                                  " WHERE d.user=? ORDER BY r.at, r.id", "t", user);
  int rc;
  if (!st) return -1;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t at = sqlite3_column_int64(st, 0);
    double r = sqlite3_column_double(st, 1), x[TIP_D], xs[TIP_DSEED];
    const char *repo = (const char *)sqlite3_column_text(st, 6);
    int has_x = parse_vec((const char *)sqlite3_column_text(st, 2), x, TIP_D) == 0, has_repo = repo && *repo;
    hub__tip_aff a;
    rf->tuples++;
    if (has_repo && hub__tip_aff_get(h, user, repo, &a) < 0) break;
    if (hub__tip_learn_step(has_x ? &rf->lin : NULL, x, has_repo ? &a : NULL, r,
                            hub__tip_weight(cfg, sqlite3_column_double(st, 4), (double)sqlite3_column_int64(st, 5)), at,
                            cfg) == 0 &&
        has_x)
      rf->learned++;
    else
      rf->skipped++; /* features of another dimension (an older feature set) or not finite */
    if (parse_vec((const char *)sqlite3_column_text(st, 3), xs, TIP_DSEED) == 0 && hub__linucb_update(&rf->seed, xs, r) == 0)
      rf->seed_learned++;
    if (has_repo && aff_put(h, user, repo, &a)) break;
  }
  if (rc == SQLITE_ROW) { /* an affinity could not be read or written */
    hub__db_done(h, st);
    return -1;
  }
  hub__db_done(h, st);
  return rc == SQLITE_DONE ? 0 : hub__db_fail(h);
}

static cJSON *model_brief(const hub__linucb *m, long learned) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "d", m->d);
  cJSON_AddNumberToObject(o, "learned", (double)learned);
  cJSON_AddNumberToObject(o, "n_eff", m->n_eff);
  return o;
}

cJSON *hub__tip_refresh_cmd(hub *h, const cJSON *req) {
  char *user = hub__tip_user(h, req);
  tip_cfg cfg;
  refresh rf;
  int64_t now = 0;
  cJSON *res = NULL, *models;
  memset(&rf, 0, sizeof rf);
  if (!user) return hub__error_json(HUB_E_NOMEM, NULL);
  if (cJSON_GetObjectItemCaseSensitive(req, "now") && hub__tip_now(req, &now)) {
    res = hub__error_json(HUB_E_BAD_TYPE, "\"now\" must be a time in ms");
    goto done;
  }
  hub__tip_cfg_load(h, &cfg);
  if (hub__tip_model_prior(MODEL_LINEAR, &cfg, &rf.lin) || hub__tip_model_prior(MODEL_SEED, &cfg, &rf.seed)) {
    res = hub__error_json(HUB_E_NOMEM, NULL);
    goto done;
  }
  if (hub__db_begin(h)) goto db;
  if (hub__db_run(h, "DELETE FROM tip_affinity WHERE user=?", "t", user) < 0 || replay_log(h, user, &cfg, &rf)) goto db_tx;
  if (now > rf.lin.t_ms && hub__linucb_decay_to(&rf.lin, now)) goto db_tx; /* bring the evidence to now */
  if (hub__tip_model_save(h, user, MODEL_LINEAR, &rf.lin, now ? now : rf.lin.t_ms) ||
      hub__tip_model_save(h, user, MODEL_SEED, &rf.seed, now ? now : rf.lin.t_ms))
    goto db_tx;
  if (hub__db_commit(h)) goto db;
  res = cJSON_CreateObject();
  cJSON_AddBoolToObject(res, "ok", 1);
  cJSON_AddNumberToObject(res, "tuples", (double)rf.tuples);
  cJSON_AddNumberToObject(res, "skipped", (double)rf.skipped);
  cJSON_AddNumberToObject(res, "ips_clip", cfg.ips_clip);
  cJSON_AddNumberToObject(res, "half_life_days", cfg.half_life_days);
  models = cJSON_AddObjectToObject(res, "models");
  hub__put(models, MODEL_LINEAR, model_brief(&rf.lin, rf.learned));
  hub__put(models, MODEL_SEED, model_brief(&rf.seed, rf.seed_learned));
  goto done;
db_tx:
  hub__db_rollback(h);
db:
  res = hub__error_json(HUB_E_DB, h->errmsg[0] ? h->errmsg : "database error");
done:
  hub__linucb_free(&rf.lin);
  hub__linucb_free(&rf.seed);
  hub_free(user);
  return res;
}
