/*
 * bandit.h — LinUCB's linear algebra (internal to the core; used by tip.c and the tests).
 *
 * One model is a weighted ridge regression of reward on a d-dimensional feature vector x:
 *   A = λI + Σ g_s w_s x_s x_sᵀ     b = Σ g_s w_s r_s x_s     θ = A⁻¹ b
 *   ucb(x) = θᵀx + α · sqrt(max(0, xᵀA⁻¹x))
 * w_s is the observation's weight (1, or an importance weight), g_s its forgetting factor:
 *  - by time (half_life_ms > 0): g_s = 2^(−(t − t_s)/half_life), applied by
 *    hub__linucb_decay_to as A ← λI + g(A − λI), b ← g b. Old evidence fades back to the
 *    PRIOR (λI, θ = 0), never below it, so forgetting cannot make A singular and a lone early
 *    observation ends up weighing less than the prior instead of staying forever;
 *  - by update (gamma < 1, the older knob): A ← γA + (1−γ)λI before each update.
 * A⁻¹ is kept next to A and updated by Sherman–Morrison rank-1 steps; every
 * rebuild_every updates (and after any decay, which is not rank-1) A is symmetrised and A⁻¹
 * is rebuilt from A by a Cholesky factorisation. The variance term is clamped at ≥ 0.
 * n_eff = Σ g_s w_s, the evidence's effective size (exploration schedules read it).
 * Thompson sampling draws θ̃ = θ + v·L⁻ᵀz with A = LLᵀ and z ~ N(0, I), so Cov θ̃ = v²A⁻¹.
 *
 * Ownership: a hub__linucb owns its arrays (one hub__malloc block); hub__linucb_free
 * releases them. hub__linucb_save returns a hub__malloc'd blob the caller frees with
 * hub_free. No function here touches the database, the clock or global state.
 */
#ifndef HUB_BANDIT_H
#define HUB_BANDIT_H

#include <stddef.h>
#include <stdint.h>
#include "cJSON.h"

#ifndef HUB_LINUCB_MAX_D
#define HUB_LINUCB_MAX_D 64
#endif
#define HUB_LINUCB_REBUILD_EVERY 64

typedef struct hub__linucb {
  int d;
  double alpha;   /* width of the confidence bonus */
  double lambda;  /* ridge: A starts as λI */
  double gamma;   /* forgetting factor in (0,1]; 1 = remember everything */
  int rebuild_every;
  long updates;       /* rank-1 updates since the model was created */
  long since_rebuild; /* updates since A⁻¹ was last rebuilt from A */
  double half_life_ms; /* forgetting by time; 0 = none */
  int64_t t_ms;        /* the time the evidence is discounted to (0 = no evidence yet) */
  double n_eff;        /* Σ g_s w_s */
  double *A, *Ainv, *b, *theta, *tmp; /* d×d row-major, d×d, d, d, scratch d + d×d */
  int chol_ok; /* tmp + d holds A's Cholesky factor: set by hub__linucb_rebuild, cleared by every
                * other write of A (all of them are the functions below: nothing else writes A) */
} hub__linucb;

/* Initialises m as the prior (A = λI, b = 0). Returns 0, or -1 on bad parameters
 * (d outside 1..HUB_LINUCB_MAX_D, λ ≤ 0, γ outside (0,1]) or OOM; m is then empty. */
int hub__linucb_init(hub__linucb *m, int d, double alpha, double lambda, double gamma);
/* Releases m's arrays and zeroes it. Safe on a zeroed or freed model. */
void hub__linucb_free(hub__linucb *m);
/* Resets m to its prior, keeping d, α, λ, γ. */
void hub__linucb_reset(hub__linucb *m);

/* θᵀx; xᵀA⁻¹x clamped at ≥ 0; θᵀx + α·sqrt(variance). x has m->d entries. */
double hub__linucb_mean(const hub__linucb *m, const double *x);
double hub__linucb_var(const hub__linucb *m, const double *x);
double hub__linucb_ucb(const hub__linucb *m, const double *x);

/* Learns reward r for features x: applies forgetting, then A += xxᵀ, b += r x, and
 * updates A⁻¹ and θ. Returns 0, or -1 if x or r is not finite or the rebuild found A not
 * positive definite (then m is left as it was). */
int hub__linucb_update(hub__linucb *m, const double *x, double r);
/* The same with weight w > 0: A += w xxᵀ, b += w r x, n_eff += w. -1 also for a bad w. */
int hub__linucb_update_w(hub__linucb *m, const double *x, double r, double w);
/* Discounts the evidence from m->t_ms to t_ms by the half-life (A ← λI + g(A − λI),
 * b ← g b, n_eff ← g n_eff, g = 2^(−Δt/half_life)) and sets m->t_ms = t_ms. No-op when the
 * model has no half-life, no evidence yet (then only t_ms is set) or t_ms is not later.
 * Returns 0, or -1 if the rebuild failed (m unchanged). */
int hub__linucb_decay_to(hub__linucb *m, int64_t t_ms);
/* Keeps the fraction g ∈ (0, 1] of the evidence: A ← λI + g(A − λI), b ← g b, n_eff ← g n_eff.
 * 0, or -1 (bad g, or the rebuild failed: m unchanged). */
int hub__linucb_forget(hub__linucb *m, double g);

/* Thompson sampling: L = the Cholesky factor of A (d×d, row-major, A = LLᵀ): 0 or -1 (the
 * factor the last rebuild made when A has not changed since, else computed). Then
 * out = θ + v·L⁻ᵀz for a vector z of d standard normal draws (Cov = v²A⁻¹). */
int hub__linucb_chol(const hub__linucb *m, double *L);
void hub__linucb_draw(const hub__linucb *m, const double *L, double v, const double *z, double *out);
/* The same for nb draws at once (z[b] → out[b], b < nb): each the same arithmetic as one
 * hub__linucb_draw, the nb substitutions interleaved (independent, so they overlap). */
void hub__linucb_draw_n(const hub__linucb *m, const double *L, double v, double z[][HUB_LINUCB_MAX_D],
                        double out[][HUB_LINUCB_MAX_D], int nb);

/* Symmetrises A, rebuilds A⁻¹ from A by Cholesky and θ = A⁻¹b. Returns 0, or -1 if A is
 * not positive definite (m unchanged). */
int hub__linucb_rebuild(hub__linucb *m);

/* Cholesky inverse of the n×n symmetric positive definite matrix a (row-major) into inv;
 * work needs n*n doubles. Returns 0, or -1 if a is not positive definite. */
int hub__spd_inverse(const double *a, int n, double *inv, double *work);

/* Serialises m (parameters, counters, A, A⁻¹, b) into a new blob: "HUBL", a version (2:
 * with the half-life, t_ms and n_eff), a byte-order mark and IEEE doubles in host order.
 * *out is hub_free'd by the caller. Returns 0 or -1 (OOM). */
int hub__linucb_save(const hub__linucb *m, unsigned char **out, size_t *len);
/* Restores a model saved by hub__linucb_save into m (which must be empty or freed). Returns
 * 0, or -1 if the blob is malformed, from another byte order, or not finite (m empty). */
int hub__linucb_load(hub__linucb *m, const void *blob, size_t len);
/* What a stored blob is: its d when it is a model of the current version, 0 when it is a
 * model of an older version (version 1: no half-life), -1 when it is not a model blob. */
int hub__linucb_blob_dim(const void *blob, size_t len);

/* The model as JSON: {"d","alpha","lambda","gamma","updates","half_life_days","at","n_eff",
 * "theta":[..],"b":[..],"A":[[..]..]} (A only when with_matrix). New cJSON object or NULL on OOM. */
cJSON *hub__linucb_json(const hub__linucb *m, int with_matrix);
/* Restores from hub__linucb_json(m, 1)'s output (A⁻¹ is rebuilt). Returns 0 or -1. */
int hub__linucb_from_json(hub__linucb *m, const cJSON *j);

#endif
