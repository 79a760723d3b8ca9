/*
 * policies.c — the policies behind one contract and the user's models, kept in table
 * tip_models (tip layer). See tip.h.
 *
 * linucb, thompson and egreedy read the same linear model (hub's features, one per user) and
 * differ only in how they explore; score_greedy and random need no model; seed_linucb is the
 * seed design (LinUCB, d = 5, α = 1, argmax) with its own model. The three learned linear
 * policies subtract cfg->fatigue × the candidate's exposure count from their scores and add
 * cfg->repo_effect × its repo's affinity (the repo's own effect, which the linear model then
 * does not learn: learn.c); the baselines are left as they were designed. Every policy's prob
 * sums to 1 before the caller mixes in the ε floor.
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
/* What the learned policies subtract from θᵀx besides exploration: fatigue, less the repo's
 * own effect (its affinity, weighted by repo_effect). */
static double tired(const tip_ctx *ctx, size_t i) {
  return ctx->cfg->fatigue * ctx->c[i].fatigue - ctx->cfg->repo_effect * ctx->c[i].it.affinity;
}

/* ---- sums over the nonzero entries ----------------------------------------------------------
 * Most of a candidate's 25 features are zero (flags, interactions); a product with an exact
 * zero adds nothing, so θᵀx and Thompson's draws' values equal the dense sums of bandit.c term
 * for term, in the same order, bit for bit (xᵀA⁻¹x uses A⁻¹'s symmetry: the same quantity in
 * half the products, rounded differently in the last bits) — as long as the model's θ and A⁻¹
 * are finite (an infinity times zero would be NaN there): sparse_ok checks that once per
 * decision, else the dense ones run. */

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

/* xᵀA⁻¹x over the nonzero entries x_a (a < k, feature i_a), its clamp at ≥ 0, by the symmetry of
 * A⁻¹: Σ_a x_a (x_a A⁻¹[i_a][i_a] + 2 Σ_{b<a} A⁻¹[i_a][i_b] x_b) — half the products of the full
 * double sum (the same quantity; hub__linucb_var's rounding may differ in the last bits).
 * Four rows' sums over the columns left of their group are built side by side (they overlap
 * instead of each waiting for its previous addition); the triangle inside a group follows. */
static double var_nz(const hub__linucb *m, const double *x, const hub__tip_nz *nz) {
  double s = 0, xv[TIP_D];
  const double *row[TIP_D];
  size_t ix[TIP_D], d = (size_t)m->d;
  int a, b, q, k = nz->n;
  for (a = 0; a < k; a++) {
    ix[a] = nz->i[a];
    xv[a] = x[ix[a]];
    row[a] = m->Ainv + ix[a] * d;
  }
  for (a = 0; a < k; a += 4) {
    int e = a + 4 < k ? a + 4 : k; /* rows a … e−1 */
    const double *p0 = row[a], *p1 = row[a + 1 < e ? a + 1 : a], *p2 = row[a + 2 < e ? a + 2 : a],
                 *p3 = row[a + 3 < e ? a + 3 : a];
    double t[4] = {0, 0, 0, 0}, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (b = 0; b < a; b++) {
      size_t j = ix[b];
      double xj = xv[b];
      t0 += p0[j] * xj;
      t1 += p1[j] * xj;
      t2 += p2[j] * xj;
      t3 += p3[j] * xj;
    }
    t[0] = t0;
    t[1] = t1;
    t[2] = t2;
    t[3] = t3;
    for (q = 1; q < e - a; q++)
      for (b = a; b < a + q; b++) t[q] += row[a + q][ix[b]] * xv[b];
    for (q = 0; q < e - a; q++) s += xv[a + q] * (xv[a + q] * row[a + q][ix[a + q]] + 2.0 * t[q]);
  }
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

int hub__tip_ucb_scores(const hub__linucb *m, const cand *c, const hub__tip_nz *nz, size_t n, double a,
                        double fatigue, double repo, double *score) {
  size_t i;
  int rc = 0;
  for (i = 0; i < n && rc == 0; i++) {
    double v = nz ? var_nz(m, c[i].x, &nz[i]) : hub__linucb_var(m, c[i].x);
    double mean = nz ? mean_nz(m, c[i].x, &nz[i]) : hub__linucb_mean(m, c[i].x);
    score[i] = mean + a * sqrt(v) - (fatigue * c[i].fatigue - repo * c[i].it.affinity);
    if (!isfinite(score[i])) rc = -1;
  }
  return rc;
}

/* LinUCB with α_t falling as evidence accumulates; argmax (or softmax when configured). */
static int pol_linucb(const tip_ctx *ctx, double *score, double *prob) {
  const hub__linucb *m = ctx->model;
  hub__tip_nz own[HUB_TIP_MAX_CANDIDATES];
  const hub__tip_nz *nz;
  int rc = -1;
  if (!linear_ok(ctx)) goto done;
  nz = nz_for(ctx, own);
  if (hub__tip_ucb_scores(m, ctx->c, nz && sparse_ok(m) ? nz : NULL, ctx->n, hub__tip_alpha_at(ctx->cfg, m->n_eff),
                          ctx->cfg->fatigue, ctx->cfg->repo_effect, score))
    goto done;
  if (ctx->cfg->explore_softmax) rc = hub__tip_softmax(score, ctx->n, ctx->cfg->temperature, prob);
  else {
    hub__tip_onehot(score, ctx->n, prob);
    rc = 0;
  }
done:
  return rc;
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
 * The draws' normal deviates come in pairs (hub__tip_gauss_n). The M × n values θ̃ᵀx − fatigue
 * are the bulk of its arithmetic. They are computed eight draws at a time over each candidate's
 * nonzero features (th_argmax_nz), or TH_BATCH draws and two candidates at a time over all of
 * them (th_argmax4), the eight running sums kept in registers: every value is the same sum in
 * the same order as one at a time (−fatigue, then + θ̃_j x_j for j = 0…d−1, a zero x_j adding
 * an exact zero) and each draw keeps the first largest in index order, so the values and the
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

/* The same for TH_WIDE draws over the candidates' nonzero entries (xv[i TIP_D + a] =
 * x_i[nz[i].i[a]]): a product with an exact zero adds nothing to a finite sum, so every value,
 * and every argmax, is the dense one's — for finite draws, which the caller checks. The draws'
 * coefficients sit side by side per feature (t[j][b]), and the TH_WIDE sums of a candidate are
 * independent, so one pass over its few nonzero entries feeds them all at once. */
#define TH_WIDE 8 /* th_argmax_nz's eight sums */
static void th_argmax_nz(const tip_ctx *ctx, const hub__tip_nz *nz, const double *xv, const double *neg_tired,
                         double th[][HUB_LINUCB_MAX_D], size_t *best) {
  double bv[TH_WIDE], t[TIP_D][TH_WIDE];
  size_t i, n = ctx->n;
  int j, b, a;
  for (b = 0; b < TH_WIDE; b++) {
    bv[b] = -INFINITY;
    best[b] = 0;
    for (j = 0; j < TIP_D; j++) t[j][b] = th[b][j];
  }
  for (i = 0; i < n; i++) {
    const unsigned char *ix = nz[i].i;
    const double *x = xv + i * TIP_D;
    double s0 = neg_tired[i], s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    for (a = 0; a < nz[i].n; a++) { /* eight sums in registers */
      const double *tj = t[ix[a]];
      double xj = x[a];
      s0 += tj[0] * xj;
      s1 += tj[1] * xj;
      s2 += tj[2] * xj;
      s3 += tj[3] * xj;
      s4 += tj[4] * xj;
      s5 += tj[5] * xj;
      s6 += tj[6] * xj;
      s7 += tj[7] * xj;
    }
    TH_KEEP(0, s0, i);
    TH_KEEP(1, s1, i);
    TH_KEEP(2, s2, i);
    TH_KEEP(3, s3, i);
    TH_KEEP(4, s4, i);
    TH_KEEP(5, s5, i);
    TH_KEEP(6, s6, i);
    TH_KEEP(7, s7, i);
  }
}

/* 1 when the nb draws are finite (then the sums over nonzero entries are the dense ones). */
static int th_finite(double th[][HUB_LINUCB_MAX_D], int nb, int d) {
  int b, j, ok = 1;
  for (b = 0; b < nb; b++)
    for (j = 0; j < d; j++) ok &= isfinite(th[b][j]) != 0;
  return ok;
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

/* What Thompson's draws are scored against: L (A = LLᵀ), −fatigue per candidate, by candidate
 * its nonzero features (xv[i TIP_D + a] = x_i[nz[i].i[a]]; NULL: the model or the candidates
 * do not allow it) and, filled only when needed, all features by feature (X[j n + i] = x_ij). */
typedef struct {
  const double *L, *neg_tired, *xv;
  const hub__tip_nz *nz;
  double *X;
  int have_x;
} th_work;

/* The draws th[b], b < nb, scored over all features: their argmaxes into best. */
static void th_dense(const tip_ctx *ctx, th_work *w, double th[][HUB_LINUCB_MAX_D], int nb, size_t *best) {
  size_t i, n = ctx->n;
  int b, j;
  if (!w->have_x) {
    for (i = 0; i < n; i++)
      for (j = 0; j < ctx->model->d; j++) w->X[(size_t)j * n + i] = ctx->c[i].x[j];
    w->have_x = 1;
  }
  for (b = 0; b + TH_BATCH <= nb; b += TH_BATCH) th_argmax4(ctx, w->X, w->neg_tired, th + b, best + b);
  for (; b < nb; b++) best[b] = th_argmax1(ctx, w->neg_tired, th[b]);
}

/* The draws' argmaxes into prob (each draw adds 1/M to its argmax's, in the draws' order),
 * TH_WIDE draws at a time: over the nonzero features when w allows it and the draws are
 * finite, else over all. A last group of fewer than TH_WIDE draws is filled with draws of
 * z = 0 (θ itself) whose argmaxes are dropped: the stream's draws are the same. */
static void th_count(const tip_ctx *ctx, th_work *w, int M, double *prob) {
  const hub__linucb *m = ctx->model;
  double z[TH_WIDE][HUB_LINUCB_MAX_D], th[TH_WIDE][HUB_LINUCB_MAX_D];
  uint64_t rng = hub__mix64(ctx->seed ^ 0x74686f6d70736f6eULL) | 1u;
  size_t best[TH_WIDE];
  int k = 0, b, d = m->d;
  while (k < M) {
    int nb = M - k < TH_WIDE ? M - k : TH_WIDE;
    for (b = 0; b < nb; b++) hub__tip_gauss_n(&rng, z[b], (size_t)d); /* the draws in the stream's order */
    for (; b < TH_WIDE; b++) memset(z[b], 0, sizeof z[b]);
    hub__linucb_draw_n(m, w->L, ctx->cfg->ts_scale, z, th, TH_BATCH);
    hub__linucb_draw_n(m, w->L, ctx->cfg->ts_scale, z + TH_BATCH, th + TH_BATCH, TH_BATCH);
    if (w->xv && th_finite(th, TH_WIDE, d)) th_argmax_nz(ctx, w->nz, w->xv, w->neg_tired, th, best);
    else th_dense(ctx, w, th, nb, best);
    for (b = 0; b < nb; b++) prob[best[b]] += 1.0 / M;
    k += nb;
  }
}

static int pol_thompson(const tip_ctx *ctx, double *score, double *prob) {
  const hub__linucb *m = ctx->model;
  int M, a, rc = -1, d;
  double *L = NULL, *neg_tired, *xv;
  hub__tip_nz own[HUB_TIP_MAX_CANDIDATES];
  const hub__tip_nz *nz;
  th_work w;
  size_t i, n = ctx->n;
  int sparse;
  if (!linear_ok(ctx)) goto done;
  d = m->d;
  nz = nz_for(ctx, own);
  sparse = nz && sparse_ok(m);
  M = (int)hub__num_clamp(ctx->cfg->ts_samples, 1, HUB_TIP_MAX_SAMPLES);
  /* one block: L, −fatigue, xv and room for X (th_work) */
  L = hub__malloc(((size_t)d * (size_t)d + n + 2 * (size_t)d * n) * sizeof *L);
  if (!L || hub__linucb_chol(m, L)) goto done;
  neg_tired = L + (size_t)d * (size_t)d;
  xv = neg_tired + n;
  for (i = 0; i < n; i++) {
    score[i] = mean_of(ctx, nz, sparse, i) - tired(ctx, i);
    prob[i] = 0;
    neg_tired[i] = -tired(ctx, i);
    if (!isfinite(score[i])) goto done;
    for (a = 0; sparse && a < nz[i].n; a++) xv[i * (size_t)d + (size_t)a] = ctx->c[i].x[nz[i].i[a]];
  }
  w.L = L;
  w.neg_tired = neg_tired;
  w.xv = sparse ? xv : NULL;
  w.nz = nz;
  w.X = xv + (size_t)d * n;
  w.have_x = 0;
  th_count(ctx, &w, M, prob);
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
