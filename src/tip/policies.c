/*
 * policies.c — the policies behind one contract (random, score-greedy, LinUCB) and the user's
 * LinUCB model, kept in table tip_models (tip layer). See tip.h.
 */
#include <math.h>
#include <string.h>
#include "db/db.h"
#include "tip/tip_int.h"

void hub__tip_onehot(const double *score, size_t n, double *prob) {
  size_t i, best = 0;
  for (i = 1; i < n; i++)
    if (score[i] > score[best]) best = i;
  for (i = 0; i < n; i++) prob[i] = i == best ? 1.0 : 0.0;
}

int hub__tip_softmax(const double *score, size_t n, double temp, double *prob) {
  double mx = score[0], z = 0;
  size_t i;
  if (!(temp > 0)) return -1;
  for (i = 1; i < n; i++) mx = fmax(mx, score[i]);
  for (i = 0; i < n; i++) z += prob[i] = exp((score[i] - mx) / temp);
  if (!(z > 0) || !isfinite(z)) return -1;
  for (i = 0; i < n; i++) prob[i] /= z;
  return 0;
}

static int pol_random(const tip_ctx *ctx, double *score, double *prob) {
  size_t i;
  for (i = 0; i < ctx->n; i++) {
    score[i] = 0;
    prob[i] = 1.0 / (double)ctx->n;
  }
  return 0;
}

static int pol_greedy(const tip_ctx *ctx, double *score, double *prob) {
  size_t i;
  for (i = 0; i < ctx->n; i++) {
    score[i] = ctx->c[i].it.importance;
    if (!isfinite(score[i])) return -1;
  }
  hub__tip_onehot(score, ctx->n, prob);
  return 0;
}

static int pol_linucb(const tip_ctx *ctx, double *score, double *prob) {
  size_t i;
  if (!ctx->model || ctx->model->d != TIP_D) return -1;
  for (i = 0; i < ctx->n; i++) {
    score[i] = hub__linucb_ucb(ctx->model, ctx->c[i].x);
    if (!isfinite(score[i])) return -1;
  }
  if (ctx->cfg->explore_softmax) return hub__tip_softmax(score, ctx->n, ctx->cfg->temperature, prob);
  hub__tip_onehot(score, ctx->n, prob);
  return 0;
}

const hub__tip_policy hub__tip_policy_table[HUB_TIP_NPOL] = {
    {"linucb", pol_linucb, "LinUCB over the item × moment features, one model per user"},
    {"score_greedy", pol_greedy, "the importance ranking's top item"},
    {"random", pol_random, "uniformly at random"},
};
int hub__tip_policy_index(const char *name) {
  int i;
  for (i = 0; i < HUB_TIP_NPOL; i++)
    if (strcmp(name, hub__tip_policy_table[i].name) == 0) return i;
  return -1;
}

void hub__tip_policy_enabled(hub *h, int *en) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT name,enabled FROM tip_policies", NULL);
  int i;
  for (i = 0; i < HUB_TIP_NPOL; i++) en[i] = 1;
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    int k = hub__tip_policy_index((const char *)sqlite3_column_text(st, 0));
    if (k >= 0) en[k] = sqlite3_column_int(st, 1) != 0;
  }
  hub__db_done(h, st);
}

int hub__tip_model_load(hub *h, const char *user, const tip_cfg *cfg, hub__linucb *m) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT state FROM tip_models WHERE user=? AND policy='linucb'", "t", user);
  int rc = -1;
  memset(m, 0, sizeof *m);
  if (!st) return -1;
  if (sqlite3_step(st) == SQLITE_ROW) {
    rc = hub__linucb_load(m, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
    if (rc == 0 && m->d != TIP_D) {
      hub__linucb_free(m);
      rc = -1;
    }
    if (rc) hub__set_err(h, "the stored LinUCB state for this user is unusable");
  } else {
    rc = hub__linucb_init(m, TIP_D, cfg->alpha, cfg->lambda, cfg->gamma);
  }
  hub__db_done(h, st);
  if (rc == 0) {
    m->alpha = cfg->alpha >= 0 ? cfg->alpha : DFLT_ALPHA;
    m->gamma = cfg->gamma > 0 && cfg->gamma <= 1 ? cfg->gamma : 1.0;
  }
  return rc;
}

int hub__tip_model_save(hub *h, const char *user, const hub__linucb *m, int64_t now_ms) {
  unsigned char *blob = NULL;
  size_t len = 0;
  int rc;
  if (hub__linucb_save(m, &blob, &len)) {
    hub__set_err(h, "out of memory");
    return -1;
  }
  rc = hub__db_run(h, "INSERT OR REPLACE INTO tip_models(user,policy,d,state,updates,updated_at) "
                      "VALUES(?,'linucb',?,?,?,?)",
                   "tibii", user, (int64_t)m->d, (const void *)blob, (int64_t)len, (int64_t)m->updates, now_ms);
  hub_free(blob);
  return rc < 0 ? -1 : 0;
}
