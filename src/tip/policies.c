/*
 * policies.c — the policies behind one contract and the user's models, kept in table
 * tip_models (tip layer). See tip.h.
 *
 * linucb, thompson and egreedy read the same linear model (hub's features, one per user) and
 * differ only in how they explore; score_greedy and random need no model; seed_linucb is the
 * seed design (LinUCB, d = 5, α = 1, argmax) with its own model. The three learned linear
 * policies subtract cfg->fatigue × the candidate's exposure count from their scores; the
 * baselines are left as they were designed. Every policy's prob sums to 1 before the caller
 * mixes in the ε floor.
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

int hub__tip_floor(double *prob, size_t n, double eps) {
  double z = 0;
  size_t i;
  for (i = 0; i < n; i++) z += prob[i] = (1.0 - eps) * prob[i] + eps / (double)n;
  if (!(z > 0) || !isfinite(z)) return -1;
  for (i = 0; i < n; i++) prob[i] /= z;
  return 0;
}

double hub__tip_alpha_at(const tip_cfg *cfg, double n_eff) {
  double a = cfg->alpha / sqrt(1.0 + fmax(0.0, n_eff) / cfg->alpha_n);
  return fmax(a, cfg->alpha_min < cfg->alpha ? cfg->alpha_min : cfg->alpha);
}

double hub__tip_eps_at(const tip_cfg *cfg, double n_eff) {
  return fmin(1.0, fmax(cfg->epsilon, cfg->eps_decay / sqrt(1.0 + fmax(0.0, n_eff))));
}

static int linear_ok(const tip_ctx *ctx) { return ctx->model && ctx->model->d == TIP_D; }
static double tired(const tip_ctx *ctx, size_t i) { return ctx->cfg->fatigue * ctx->c[i].fatigue; }

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

/* LinUCB with α_t falling as evidence accumulates; argmax (or softmax when configured). */
static int pol_linucb(const tip_ctx *ctx, double *score, double *prob) {
  const hub__linucb *m = ctx->model;
  double a;
  size_t i;
  if (!linear_ok(ctx)) return -1;
  a = hub__tip_alpha_at(ctx->cfg, m->n_eff);
  for (i = 0; i < ctx->n; i++) {
    score[i] = hub__linucb_mean(m, ctx->c[i].x) + a * sqrt(hub__linucb_var(m, ctx->c[i].x)) - tired(ctx, i);
    if (!isfinite(score[i])) return -1;
  }
  if (ctx->cfg->explore_softmax) return hub__tip_softmax(score, ctx->n, ctx->cfg->temperature, prob);
  hub__tip_onehot(score, ctx->n, prob);
  return 0;
}

/* ε-greedy over the posterior mean with ε_t falling as evidence accumulates. */
static int pol_egreedy(const tip_ctx *ctx, double *score, double *prob) {
  double e;
  size_t i;
  if (!linear_ok(ctx)) return -1;
  e = hub__tip_eps_at(ctx->cfg, ctx->model->n_eff);
  for (i = 0; i < ctx->n; i++) {
    score[i] = hub__linucb_mean(ctx->model, ctx->c[i].x) - tired(ctx, i);
    if (!isfinite(score[i])) return -1;
  }
  hub__tip_onehot(score, ctx->n, prob);
  return hub__tip_floor(prob, ctx->n, e);
}

/* Linear Thompson sampling as a known mixture: M = ts_samples draws θ̃_m ~ N(θ, v²A⁻¹) from
 * the decision's seed; prob[i] = (draws whose argmax is i) / M. Serving "one of the M draws'
 * argmaxes, uniformly" has exactly these probabilities, so the logged propensity is exact
 * (and within Monte Carlo error of Thompson sampling's own). score = θᵀx (the mean). */
static int pol_thompson(const tip_ctx *ctx, double *score, double *prob) {
  const hub__linucb *m = ctx->model;
  int M, k, j, rc = -1;
  double *L = NULL, z[HUB_LINUCB_MAX_D], th[HUB_LINUCB_MAX_D];
  uint64_t rng = hub__mix64(ctx->seed ^ 0x74686f6d70736f6eULL) | 1u;
  size_t i;
  if (!linear_ok(ctx)) return -1;
  M = (int)hub__num_clamp(ctx->cfg->ts_samples, 1, HUB_TIP_MAX_SAMPLES);
  L = hub__malloc((size_t)m->d * (size_t)m->d * sizeof *L);
  if (!L || hub__linucb_chol(m, L)) goto done;
  for (i = 0; i < ctx->n; i++) {
    score[i] = hub__linucb_mean(m, ctx->c[i].x) - tired(ctx, i);
    prob[i] = 0;
    if (!isfinite(score[i])) goto done;
  }
  for (k = 0; k < M; k++) {
    size_t best = 0;
    double bv = -INFINITY;
    for (j = 0; j < m->d; j++) z[j] = hub__tip_gauss(&rng);
    hub__linucb_draw(m, L, ctx->cfg->ts_scale, z, th);
    for (i = 0; i < ctx->n; i++) {
      double v = -tired(ctx, i);
      for (j = 0; j < m->d; j++) v += th[j] * ctx->c[i].x[j];
      if (v > bv) {
        bv = v;
        best = i;
      }
    }
    prob[best] += 1.0 / M;
  }
  rc = 0;
done:
  hub_free(L);
  return rc;
}

/* The seed design: LinUCB, d = 5, α = 1, argmax, no fatigue. */
static int pol_seed(const tip_ctx *ctx, double *score, double *prob) {
  size_t i;
  if (!ctx->seed_model || ctx->seed_model->d != TIP_DSEED) return -1;
  for (i = 0; i < ctx->n; i++) {
    score[i] = hub__linucb_ucb(ctx->seed_model, ctx->c[i].xs);
    if (!isfinite(score[i])) return -1;
  }
  hub__tip_onehot(score, ctx->n, prob);
  return 0;
}

/* Fallback order is the table's order after the served policy. */
const hub__tip_policy hub__tip_policy_table[HUB_TIP_NPOL] = {
    {"linucb", pol_linucb, "LinUCB over hub's features with a falling α, minus fatigue"},
    {"thompson", pol_thompson, "linear Thompson sampling (Monte Carlo mixture, exact propensities), minus fatigue"},
    {"egreedy", pol_egreedy, "ε-greedy over the model's mean with a falling ε, minus fatigue"},
    {"score_greedy", pol_greedy, "the importance ranking's top item"},
    {"random", pol_random, "uniformly at random"},
    {"seed_linucb", pol_seed, "the seed design: LinUCB, d = 5 (overdue, age, priority, hour, weekday), α = 1"},
};

int hub__tip_policy_index(const char *name) {
  int i;
  for (i = 0; name && i < HUB_TIP_NPOL; i++)
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

/* ---- models ------------------------------------------------------------------------------ */

static int is_seed(const char *which) { return strcmp(which, MODEL_SEED) == 0; }

int hub__tip_model_prior(const char *which, const tip_cfg *cfg, hub__linucb *m) {
  if (is_seed(which)) return hub__linucb_init(m, TIP_DSEED, 1.0, 1.0, 1.0);
  if (hub__linucb_init(m, TIP_D, cfg->alpha, cfg->lambda, cfg->gamma)) return -1;
  m->half_life_ms = cfg->half_life_days * 86400000.0;
  return 0;
}

int hub__tip_model_load(hub *h, const char *user, const char *which, const tip_cfg *cfg, hub__linucb *m,
                        int *restarted) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT state FROM tip_models WHERE user=? AND policy=?", "tt", user, which);
  int rc = -1, want = is_seed(which) ? TIP_DSEED : TIP_D;
  memset(m, 0, sizeof *m);
  if (restarted) *restarted = 0;
  if (!st) return -1;
  if (sqlite3_step(st) == SQLITE_ROW) {
    const void *blob = sqlite3_column_blob(st, 0);
    size_t len = (size_t)sqlite3_column_bytes(st, 0);
    int dim = hub__linucb_blob_dim(blob, len);
    if (dim >= 0 && dim != want) { /* an older format or another feature set: a new model */
      rc = hub__tip_model_prior(which, cfg, m);
      if (restarted) *restarted = 1;
    } else {
      rc = hub__linucb_load(m, blob, len);
      if (rc) hub__set_err(h, "the stored model for this user is unusable");
    }
  } else {
    rc = hub__tip_model_prior(which, cfg, m);
  }
  hub__db_done(h, st);
  if (rc == 0 && !is_seed(which)) { /* the knobs follow the configuration */
    m->alpha = cfg->alpha;
    m->gamma = cfg->gamma > 0 && cfg->gamma <= 1 ? cfg->gamma : 1.0;
    m->half_life_ms = cfg->half_life_days * 86400000.0;
  }
  return rc;
}

int hub__tip_model_save(hub *h, const char *user, const char *which, const hub__linucb *m, int64_t now_ms) {
  unsigned char *blob = NULL;
  size_t len = 0;
  int rc;
  if (hub__linucb_save(m, &blob, &len)) {
    hub__set_err(h, "out of memory");
    return -1;
  }
  rc = hub__db_run(h, "INSERT OR REPLACE INTO tip_models(user,policy,d,state,updates,updated_at) VALUES(?,?,?,?,?,?)",
                   "ttibii", user, which, (int64_t)m->d, (const void *)blob, (int64_t)len, (int64_t)m->updates, now_ms);
  hub_free(blob);
  return rc < 0 ? -1 : 0;
}
