/*
 * bandit.h — LinUCB's linear algebra (internal to the core; used by tip.c and the tests).
 *
 * One model is a ridge regression of reward on a d-dimensional feature vector x:
 *   A = λI + Σ γ^(t-s) x_s x_sᵀ     b = Σ γ^(t-s) r_s x_s     θ = A⁻¹ b
 *   ucb(x) = θᵀx + α · sqrt(max(0, xᵀA⁻¹x))
 * A⁻¹ is kept next to A and updated by Sherman–Morrison rank-1 steps; every
 * rebuild_every updates (and whenever the forgetting factor γ < 1, after each update,
 * because then A also gains (1-γ)λI, which is not rank-1) A is symmetrised and A⁻¹ is
 * rebuilt from A by a Cholesky factorisation. The variance term is clamped at ≥ 0.
 *
 * Ownership: a hub__linucb owns its arrays (one hub__malloc block); hub__linucb_free
 * releases them. hub__linucb_save returns a hub__malloc'd blob the caller frees with
 * hub_free. No function here touches the database, the clock or global state.
 */
#ifndef HUB_BANDIT_H
#define HUB_BANDIT_H

#include <stddef.h>
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
  double *A, *Ainv, *b, *theta, *tmp; /* d×d row-major, d×d, d, d, scratch 2d */
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

/* Symmetrises A, rebuilds A⁻¹ from A by Cholesky and θ = A⁻¹b. Returns 0, or -1 if A is
 * not positive definite (m unchanged). */
int hub__linucb_rebuild(hub__linucb *m);

/* Cholesky inverse of the n×n symmetric positive definite matrix a (row-major) into inv;
 * work needs n*n doubles. Returns 0, or -1 if a is not positive definite. */
int hub__spd_inverse(const double *a, int n, double *inv, double *work);

/* Serialises m (parameters, counters, A, A⁻¹, b) into a new blob: "HUBL", a version, a
 * byte-order mark and IEEE doubles in host order. *out is hub_free'd by the caller.
 * Returns 0 or -1 (OOM). */
int hub__linucb_save(const hub__linucb *m, unsigned char **out, size_t *len);
/* Restores a model saved by hub__linucb_save into m (which must be empty or freed). Returns
 * 0, or -1 if the blob is malformed, from another byte order, or not finite (m empty). */
int hub__linucb_load(hub__linucb *m, const void *blob, size_t len);

/* The model as JSON: {"d","alpha","lambda","gamma","updates","theta":[..],"b":[..],
 * "A":[[..]..]} (A only when with_matrix). New cJSON object or NULL on OOM. */
cJSON *hub__linucb_json(const hub__linucb *m, int with_matrix);
/* Restores from hub__linucb_json(m, 1)'s output (A⁻¹ is rebuilt). Returns 0 or -1. */
int hub__linucb_from_json(hub__linucb *m, const cJSON *j);

#endif
