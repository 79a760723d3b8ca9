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

/* ---- sums over the nonzero entries ----------------------------------------------------------
 * Most of a candidate's 25 features are zero (flags, interactions); a product with an exact
 * zero adds nothing, so these sums equal the dense ones of bandit.c term for term, in the same
 * order, bit for bit — as long as the model's θ and A⁻¹ are finite (an infinity times zero
 * would be NaN there): sparse_ok checks that once per decision, else the dense ones run. */

void hub__tip_nz_of(const cand *c, size_t n, hub__tip_nz *nz) {
  size_t i;
  for (i = 0; i < n; i++) {
    unsigned char k = 0, j;
    for (j = 0; j < TIP_D; j++) { /* without a branch: which entries are zero is not predictable */
      nz[i].i[k] = j;
      k = (unsigned char)(k + (c[i].x[j] != 0)); /* NaN != 0: kept, so it propagates as in the dense sum */
    }
    nz[i].n = k;
  }
}

static int sparse_ok(const hub__linucb *m) {
  int i, dd = m->d * m->d;
  for (i = 0; i < m->d; i++)
    if (!isfinite(m->theta[i])) return 0;
  for (i = 0; i < dd; i++)
    if (!isfinite(m->Ainv[i])) return 0;
  return m->d == TIP_D;
}

/* θᵀx over the nonzero entries (hub__linucb_mean's sum). */
static double mean_nz(const hub__linucb *m, const double *x, const hub__tip_nz *nz) {
  double s = 0;
  int a;
  for (a = 0; a < nz->n; a++) s += m->theta[nz->i[a]] * x[nz->i[a]];
  return s;
}

/* xᵀA⁻¹x over the nonzero entries (hub__linucb_var's sums, its clamp). The row sums r_a are
 * built side by side — each still adds its terms in index order — so they overlap instead of
 * each waiting for its previous addition. */
static double var_nz(const hub__linucb *m, const double *x, const hub__tip_nz *nz) {
  double s = 0, r[TIP_D];
  const double *A = m->Ainv;
  int a, b, d = m->d, k = nz->n;
  for (a = 0; a < k; a++) r[a] = 0;
  for (b = 0; b < k; b++) {
    int j = nz->i[b];
    double xj = x[j];
    const double *col = A + j; /* A⁻¹[i][j] = col[i d] */
    for (a = 0; a < k; a++) r[a] += col[(size_t)nz->i[a] * (size_t)d] * xj;
  }
  for (a = 0; a < k; a++) s += x[nz->i[a]] * r[a];
  return s > 0 && isfinite(s) ? s : 0.0;
}

/* The candidates' nonzero entries: the caller's, else found here into own (room for
 * HUB_TIP_MAX_CANDIDATES); NULL for more candidates than that (the simulator may have them). */
static const hub__tip_nz *nz_for(const tip_ctx *ctx, hub__tip_nz *own) {
  if (ctx->nz) return ctx->nz;
  if (ctx->n > HUB_TIP_MAX_CANDIDATES) return NULL;
  hub__tip_nz_of(ctx->c, ctx->n, own);
  return own;
}

static double mean_of(const tip_ctx *ctx, const hub__tip_nz *nz, int sparse, size_t i) {
  return sparse ? mean_nz(ctx->model, ctx->c[i].x, &nz[i]) : hub__linucb_mean(ctx->model, ctx->c[i].x);
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

/* LinUCB with α_t falling as evidence accumulates; argmax (or softmax when configured). */
static int pol_linucb(const tip_ctx *ctx, double *score, double *prob) {
  const hub__linucb *m = ctx->model;
  hub__tip_nz own[HUB_TIP_MAX_CANDIDATES];
  const hub__tip_nz *nz;
  double a;
  size_t i;
  int sparse;
  if (!linear_ok(ctx)) return -1;
  nz = nz_for(ctx, own);
  sparse = nz && sparse_ok(m);
  a = hub__tip_alpha_at(ctx->cfg, m->n_eff);
  for (i = 0; i < ctx->n; i++) {
    double v = sparse ? var_nz(m, ctx->c[i].x, &nz[i]) : hub__linucb_var(m, ctx->c[i].x);
    score[i] = mean_of(ctx, nz, sparse, i) + a * sqrt(v) - tired(ctx, i);
    if (!isfinite(score[i])) return -1;
  }
  if (ctx->cfg->explore_softmax) return hub__tip_softmax(score, ctx->n, ctx->cfg->temperature, prob);
  hub__tip_onehot(score, ctx->n, prob);
  return 0;
}

/* ε-greedy over the posterior mean with ε_t falling as evidence accumulates. */
static int pol_egreedy(const tip_ctx *ctx, double *score, double *prob) {
  hub__tip_nz own[HUB_TIP_MAX_CANDIDATES];
  const hub__tip_nz *nz;
  double e;
  size_t i;
  int sparse;
  if (!linear_ok(ctx)) return -1;
  nz = nz_for(ctx, own);
  sparse = nz && sparse_ok(ctx->model);
  e = hub__tip_eps_at(ctx->cfg, ctx->model->n_eff);
  for (i = 0; i < ctx->n; i++) {
    score[i] = mean_of(ctx, nz, sparse, i) - tired(ctx, i);
    if (!isfinite(score[i])) return -1;
  }
  hub__tip_onehot(score, ctx->n, prob);
  return hub__tip_floor(prob, ctx->n, e);
}

/* Linear Thompson sampling as a known mixture: M = ts_samples draws θ̃_m ~ N(θ, v²A⁻¹) from
 * the decision's seed; prob[i] = (draws whose argmax is i) / M. Serving "one of the M draws'
 * argmaxes, uniformly" has exactly these probabilities, so the logged propensity is exact
 * (and within Monte Carlo error of Thompson sampling's own). score = θᵀx (the mean).
 *
 * The M × n values θ̃ᵀx − fatigue are the bulk of a tip's arithmetic. They are computed
 * TH_BATCH draws and two candidates at a time, the eight running sums kept in registers: every
 * value is the same sum in the same order as one at a time (−fatigue, then + θ̃_j x_j for
 * j = 0…d−1) and each draw keeps the first largest in index order, so the values and the
 * argmaxes are the same — but the eight sums are independent, so the processor overlaps them
 * instead of waiting for each addition in turn, and nothing goes through memory. */
#ifndef TH_BATCH
#define TH_BATCH 4
#endif

/* Keeps (v, i) as draw b's best when larger (candidates come in index order: the first
 * largest stays). */
#define TH_KEEP(b, v, i)  \
  do {                    \
    if ((v) > bv[b]) {    \
      bv[b] = (v);        \
      best[b] = (i);      \
    }                     \
  } while (0)

/* best[b] = the first argmax over the candidates of −fatigue_i + Σ_j th[b][j] x_ij (in j
 * order) for TH_BATCH draws (best[b] = 0 when no value is above −∞, as one at a time). */
static void th_argmax4(const tip_ctx *ctx, const double *X, const double *neg_tired, double th[][HUB_LINUCB_MAX_D],
                       size_t *best) {
  double bv[TH_BATCH];
  size_t i, n = ctx->n;
  int j, b, d = ctx->model->d;
  for (b = 0; b < TH_BATCH; b++) {
    bv[b] = -INFINITY;
    best[b] = 0;
  }
  for (i = 0; i + 1 < n; i += 2) {
    const double *x = X + i; /* X[j n + i] and X[j n + i + 1]: side by side */
    double a0 = neg_tired[i], a1 = a0, a2 = a0, a3 = a0, c0 = neg_tired[i + 1], c1 = c0, c2 = c0, c3 = c0;
    for (j = 0; j < d; j++, x += n) {
      double xj = x[0], yj = x[1], t0 = th[0][j], t1 = th[1][j], t2 = th[2][j], t3 = th[3][j];
      a0 += t0 * xj;
      c0 += t0 * yj;
      a1 += t1 * xj;
      c1 += t1 * yj;
      a2 += t2 * xj;
      c2 += t2 * yj;
      a3 += t3 * xj;
      c3 += t3 * yj;
    }
    TH_KEEP(0, a0, i);
    TH_KEEP(0, c0, i + 1);
    TH_KEEP(1, a1, i);
    TH_KEEP(1, c1, i + 1);
    TH_KEEP(2, a2, i);
    TH_KEEP(2, c2, i + 1);
    TH_KEEP(3, a3, i);
    TH_KEEP(3, c3, i + 1);
  }
  for (; i < n; i++) { /* an odd one left */
    for (b = 0; b < TH_BATCH; b++) {
      double v = neg_tired[i];
      for (j = 0; j < d; j++) v += th[b][j] * ctx->c[i].x[j];
      TH_KEEP(b, v, i);
    }
  }
}

/* The same for one draw. */
static size_t th_argmax1(const tip_ctx *ctx, const double *neg_tired, const double *th) {
  double bv[1] = {-INFINITY};
  size_t i, best[1] = {0};
  int j;
  for (i = 0; i < ctx->n; i++) {
    double v = neg_tired[i];
    for (j = 0; j < ctx->model->d; j++) v += th[j] * ctx->c[i].x[j];
    TH_KEEP(0, v, i);
  }
  return best[0];
}

static int pol_thompson(const tip_ctx *ctx, double *score, double *prob) {
  const hub__linucb *m = ctx->model;
  int M, k, j, b, rc = -1, d;
  double *L = NULL, *neg_tired, *X, z[TH_BATCH][HUB_LINUCB_MAX_D], th[TH_BATCH][HUB_LINUCB_MAX_D];
  hub__tip_nz own[HUB_TIP_MAX_CANDIDATES];
  const hub__tip_nz *nz;
  uint64_t rng = hub__mix64(ctx->seed ^ 0x74686f6d70736f6eULL) | 1u;
  size_t i, n = ctx->n, best[TH_BATCH];
  int sparse;
  if (!linear_ok(ctx)) return -1;
  d = m->d;
  nz = nz_for(ctx, own);
  sparse = nz && sparse_ok(m);
  M = (int)hub__num_clamp(ctx->cfg->ts_samples, 1, HUB_TIP_MAX_SAMPLES);
  /* one block: L (A = LLᵀ), −fatigue, the features by feature (X[j n + i] = x_ij) */
  L = hub__malloc(((size_t)d * (size_t)d + n + (size_t)d * n) * sizeof *L);
  if (!L || hub__linucb_chol(m, L)) goto done;
  neg_tired = L + (size_t)d * (size_t)d;
  X = neg_tired + n;
  for (i = 0; i < n; i++) {
    score[i] = mean_of(ctx, nz, sparse, i) - tired(ctx, i);
    prob[i] = 0;
    neg_tired[i] = -tired(ctx, i);
    if (!isfinite(score[i])) goto done;
    for (j = 0; j < d; j++) X[(size_t)j * n + i] = ctx->c[i].x[j];
  }
  for (k = 0; k < M; k += TH_BATCH) {
    int nb = M - k < TH_BATCH ? M - k : TH_BATCH;
    for (b = 0; b < nb; b++) /* the draws in the stream's order */
      for (j = 0; j < d; j++) z[b][j] = hub__tip_gauss(&rng);
    hub__linucb_draw_n(m, L, ctx->cfg->ts_scale, z, th, nb);
    if (nb == TH_BATCH) {
      th_argmax4(ctx, X, neg_tired, th, best);
      for (b = 0; b < nb; b++) prob[best[b]] += 1.0 / M;
    } else {
      for (b = 0; b < nb; b++) prob[th_argmax1(ctx, neg_tired, th[b])] += 1.0 / M;
    }
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
