/*
 * tip_int.h — what the files of the tip module share among themselves (tip layer; not used
 * outside src/tip). See tip.h for the design.
 */
#ifndef HUB_TIP_INT_H
#define HUB_TIP_INT_H

#include "tip/tip.h"
#include "tip/bandit.h"

#ifndef HUB_TIP_MAX_CANDIDATES
#define HUB_TIP_MAX_CANDIDATES 200
#endif
#ifndef HUB_OPE_MAX_ROWS
#define HUB_OPE_MAX_ROWS 2000000L
#endif
#ifndef HUB_OPE_MAX_ACTIONS
#define HUB_OPE_MAX_ACTIONS 1000
#endif
#define TIP_D HUB_TIP_D
#define S 0.35 /* the scale of a feature's entries */

/* Defaults (the simulator section of sim.c says where they come from). */
#define DFLT_ALPHA 0.25
#define DFLT_EPSILON 0.05
#define DFLT_TEMPERATURE 0.02
#define DFLT_LAMBDA 1.0
#define DFLT_GAMMA 1.0
#define DFLT_EXPLORE "egreedy"

/* ---- features.c --------------------------------------------------------------------------- */
extern const char *const hub__tip_feature_names[TIP_D];
extern const char *const hub__tip_feature_words[TIP_D];
extern const char *const hub__tip_feature_labels[TIP_D];
/* Feature flags (HUB_TIPF_*) from a JSON array text of labels, from reason codes separated by
 * commas, and whether repo ("owner/name") is the user's. */
unsigned hub__tip_label_flags(const char *labels_json);
unsigned hub__tip_reason_flags(const char *codes);
int hub__tip_same_owner(const char *repo, const char *user);
/* The local hour (0–23) and weekday (0 = Sunday) of now_ms at tz_min minutes east of UTC. */
void hub__tip_moment(int64_t now_ms, double tz_min, int *hour, int *weekday);
/* A uniform draw in [0, 1). */
double hub__tip_unif(uint64_t *s);

/* ---- config.c ----------------------------------------------------------------------------- */
#define N_REACTIONS 5
typedef struct {
  const char *name;
  double dflt;
} hub__tip_reward;
extern const hub__tip_reward hub__tip_rewards[N_REACTIONS];
typedef struct {
  char serve[32];
  int explore_softmax;
  double alpha, epsilon, temperature, lambda, gamma, tz_offset_min;
  double reward[N_REACTIONS];
} tip_cfg;
/* The tip's configuration (settings "tip.*", defaults above). */
void hub__tip_cfg_load(hub *h, tip_cfg *c);
/* Stores one tip setting ("tip." + k). 0 or -1. */
int hub__tip_cfg_set(hub *h, const char *k, const char *v);
/* The index of a reaction name in hub__tip_rewards, or -1. */
int hub__tip_reaction(const char *r);
/* "now" of a request (ms, 0 ≤ now ≤ 9e15): 0 or -1. */
int hub__tip_now(const cJSON *req, int64_t *now_ms);
/* The user: the request's "user", else the github_user setting, else "". New string. */
char *hub__tip_user(hub *h, const cJSON *req);

/* ---- policies.c --------------------------------------------------------------------------- */
typedef struct {
  int64_t id;
  char *key;
  hub__tip_item it;
  double x[TIP_D];
} cand;
typedef struct {
  const cand *c;
  size_t n;
  const hub__linucb *model; /* NULL when the user's model could not be loaded */
  const tip_cfg *cfg;
} tip_ctx;
/* A policy fills score[i] (its own ranking value, logged) and prob[i] (its distribution
 * before the ε floor; sums to 1) for the n ≥ 1 candidates. Returns 0, or -1 when it cannot
 * decide (the caller falls back to the next policy). */
typedef int (*policy_fn)(const tip_ctx *ctx, double *score, double *prob);
typedef struct {
  const char *name;
  policy_fn fn;
  const char *description;
} hub__tip_policy;
#define HUB_TIP_NPOL 3
extern const hub__tip_policy hub__tip_policy_table[HUB_TIP_NPOL];
int hub__tip_policy_index(const char *name);
/* prob = the one-hot argmax of score (first on ties); prob = softmax(score / temp): 0, or -1
 * when temp ≤ 0 or the sum is not finite. */
void hub__tip_onehot(const double *score, size_t n, double *prob);
int hub__tip_softmax(const double *score, size_t n, double temp, double *prob);
/* en[k] = policy k is enabled (table tip_policies; all by default). */
void hub__tip_policy_enabled(hub *h, int *en);
/* The user's LinUCB model (the prior when none is stored): 0, or -1 when the stored state is
 * unusable (m empty). α and γ follow cfg. save: 0 or -1. */
int hub__tip_model_load(hub *h, const char *user, const tip_cfg *cfg, hub__linucb *m);
int hub__tip_model_save(hub *h, const char *user, const hub__linucb *m, int64_t now_ms);

#endif
