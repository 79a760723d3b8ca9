/*
 * tip_int.h — what the files of the tip module share among themselves (tip layer; not used
 * outside src/tip). See tip.h for the design.
 */
#ifndef HUB_TIP_INT_H
#define HUB_TIP_INT_H

#include "tip/tip.h"
#include "tip/bandit.h"
#include "rank/rank.h"

#ifndef HUB_TIP_MAX_CANDIDATES
#define HUB_TIP_MAX_CANDIDATES 200
#endif
#ifndef HUB_OPE_MAX_ROWS
#define HUB_OPE_MAX_ROWS 2000000L
#endif
#ifndef HUB_OPE_MAX_ACTIONS
#define HUB_OPE_MAX_ACTIONS 1000
#endif
#ifndef HUB_TIP_MAX_REPEAT
#define HUB_TIP_MAX_REPEAT 2 /* the same item at most this many times in a row, unless it changed */
#endif
#ifndef HUB_TIP_MAX_SAMPLES
#define HUB_TIP_MAX_SAMPLES 1000 /* Thompson sampling's Monte Carlo draws per decision, at most */
#endif
#ifndef HUB_TIP_SHADOW_SAMPLES
#define HUB_TIP_SHADOW_SAMPLES 24 /* Thompson's draws when it only shadows another policy (choose.c) */
#endif
#ifndef HUB_TIP_MAX_LANGS
#define HUB_TIP_MAX_LANGS 32 /* the user's languages remembered per decision */
#endif
#define TIP_D HUB_TIP_D
#define TIP_DSEED HUB_TIP_DSEED
#define S 0.35 /* the scale of a feature's entries */
#ifndef HUB_TIP_NORM2
#define HUB_TIP_NORM2 1.0
#endif

/* Defaults (tip.h's "Defaults" paragraph and the family table say where they come from). */
#define DFLT_SERVE "linucb"
#define DFLT_ALPHA 1.5          /* LinUCB: α0 of α_t = max(α_min, α0/√(1 + n_eff/α_n)) */
#define DFLT_ALPHA_MIN 0.25
#define DFLT_ALPHA_N 20.0
#define DFLT_EPSILON 0.05       /* the ε floor every served distribution is mixed with */
#define DFLT_EPS_DECAY 1.0      /* ε-greedy: ε_t = min(1, max(ε, c/√(1 + n_eff))) */
#define DFLT_TS_SCALE 0.25      /* Thompson: θ̃ ~ N(θ, v²A⁻¹) */
#define DFLT_TS_SAMPLES 100
#define DFLT_TEMPERATURE 0.02
#define DFLT_LAMBDA 0.2
#define DFLT_GAMMA 1.0
#define DFLT_HALF_LIFE_DAYS 14.0 /* forgetting by time (0 = remember everything) */
#define DFLT_FATIGUE 0.15        /* score penalty per unrewarded view */
#define DFLT_FATIGUE_HOURS 24.0  /* half-life of the exposure count */
#define DFLT_SNOOZE_VIEWS 1.0    /* a snooze adds this many views on top of the view itself */
#define DFLT_IPS_CLIP 1.0        /* importance weights clipped to [1, W]; 1 = unweighted */
#define DFLT_REPO_EFFECT 1.0     /* the weight of the repo's affinity in the learned policies' scores */
#define DFLT_EXPLORE "egreedy"

/* ---- features.c --------------------------------------------------------------------------- */
extern const char *const hub__tip_feature_names[TIP_D];
extern const char *const hub__tip_feature_words[TIP_D];
extern const char *const hub__tip_feature_labels[TIP_D];
extern const char *const hub__tip_seed_feature_names[TIP_DSEED];
/* Feature flags (HUB_TIPF_*) from a JSON array text of labels, from reason codes separated by
 * commas, and whether repo ("owner/name") is the user's. */
unsigned hub__tip_label_flags(const char *labels_json);
unsigned hub__tip_reason_flags(const char *codes);
int hub__tip_same_owner(const char *repo, const char *user);
/* The local hour (0–23) and weekday (0 = Sunday) of now_ms at tz_min minutes east of UTC. */
void hub__tip_moment(int64_t now_ms, double tz_min, int *hour, int *weekday);
/* A uniform draw in [0, 1); a standard normal draw (Box–Muller). */
double hub__tip_unif(uint64_t *s);
double hub__tip_gauss(uint64_t *s);
/* n standard normal draws into z, two from each point of Marsaglia's polar method (an odd
 * last one: hub__tip_gauss's). Thompson's draws; cheaper than hub__tip_gauss's sine and cosine. */
void hub__tip_gauss_n(uint64_t *s, double *z, size_t n);
/* Whether the moment is work (Mon–Fri 9–18 h) or leisure (weekend, before 8 h, from 19 h). */
int hub__tip_is_work(int hour, int weekday);
int hub__tip_is_leisure(int hour, int weekday);

/* ---- config.c ----------------------------------------------------------------------------- */
#define N_REACTIONS 5
typedef struct {
  const char *name;
  double dflt;
} hub__tip_reward;
extern const hub__tip_reward hub__tip_rewards[N_REACTIONS];
#define REACT_DONE 0
#define REACT_SNOOZE 1
#define REACT_DISMISS 2
#define REACT_HELPFUL 3
#define REACT_NOT_HELPFUL 4
typedef struct {
  char serve[32];
  int explore_softmax;
  double alpha, alpha_min, alpha_n, epsilon, eps_decay, ts_scale, ts_samples, temperature, lambda, gamma;
  double half_life_days, fatigue, fatigue_hours, snooze_views, ips_clip, repo_effect, tz_offset_min;
  double reward[N_REACTIONS];
} tip_cfg;
/* The numeric settings: name, field offset, bounds (tip_policies "set" checks them). */
typedef struct {
  const char *name;
  size_t off;
  double lo, hi, dflt;
  const char *what;
} hub__tip_knob;
extern const hub__tip_knob hub__tip_knobs[];
extern const size_t hub__tip_nknobs;
/* The defaults, without a database (the simulator starts from them). */
void hub__tip_cfg_defaults(tip_cfg *c);
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
  const char *key, *repo; /* repo: "owner/name" or NULL; owned by the candidate's row (cache.c) */
  int64_t mark;      /* the item's activity mark (updated_at and reasons): a change = news */
  hub__tip_item it;
  double fatigue;    /* the exposure count now (views without a positive reaction, decayed) */
  double x[TIP_D], xs[TIP_DSEED]; /* hub's features, the seed design's */
} cand;
/* The nonzero entries of a candidate's x (at most TIP_D indices, in order). A product with a
 * zero entry adds an exact zero, so sums over them equal the sums over all of x bit for bit
 * (for finite coefficients; policies.c checks the model once per decision). */
typedef struct {
  unsigned char n, i[TIP_D];
} hub__tip_nz;
/* Fills nz[i] for the n candidates. */
void hub__tip_nz_of(const cand *c, size_t n, hub__tip_nz *nz);
/* LinUCB's scores: score[i] = θᵀx_i + a·sqrt(x_iᵀA⁻¹x_i) − fatigue·(c[i].fatigue) +
 * repo·(c[i].it.affinity) for the n
 * candidates, x_i their first m->d features; over the nonzero entries nz (which then list only
 * indices below m->d, and the model is finite) or, with nz NULL, over all. 0, or -1 when a
 * score is not finite. */
int hub__tip_ucb_scores(const hub__linucb *m, const cand *c, const hub__tip_nz *nz, size_t n, double a,
                        double fatigue, double repo, double *score);
typedef struct {
  const cand *c;
  size_t n;
  const hub__tip_nz *nz;    /* the candidates' nonzero entries, or NULL (a policy finds them itself) */
  const hub__linucb *model; /* the linear model (NULL when it could not be loaded) */
  const hub__linucb *seed_model; /* the seed design's (NULL when it could not be loaded) */
  const tip_cfg *cfg;
  uint64_t seed; /* the decision's seed: Thompson's draws */
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
enum { POL_LINUCB, POL_THOMPSON, POL_EGREEDY, POL_GREEDY, POL_RANDOM, POL_SEED, HUB_TIP_NPOL };
extern const hub__tip_policy hub__tip_policy_table[HUB_TIP_NPOL];
int hub__tip_policy_index(const char *name);
/* The exploration schedules at n_eff: LinUCB's α_t and ε-greedy's ε_t. */
double hub__tip_alpha_at(const tip_cfg *cfg, double n_eff);
double hub__tip_eps_at(const tip_cfg *cfg, double n_eff);
/* Mixes prob with the uniform distribution by ε (every candidate keeps ≥ ε/n): 0, or -1 when
 * the result is not a distribution. */
int hub__tip_floor(double *prob, size_t n, double eps);
/* prob = the one-hot argmax of score (first on ties); prob = softmax(score / temp): 0, or -1
 * when temp ≤ 0 or the sum is not finite. */
void hub__tip_onehot(const double *score, size_t n, double *prob);
int hub__tip_softmax(const double *score, size_t n, double temp, double *prob);
/* en[k] = policy k is enabled (table tip_policies; all by default). */
void hub__tip_policy_enabled(hub *h, int *en);
/* The user's models: which = MODEL_LINEAR (hub's d = TIP_D ridge model, shared by linucb,
 * thompson and egreedy; stored under the name "linucb" it has had since the first version,
 * so an existing user's 16-feature model is found and replaced) or MODEL_SEED (the seed
 * design's, d = 5, α = 1, no forgetting).
 * The prior when none is stored, and also when the stored one has another dimension or an
 * older format (the feature set changed: a new model starts; *restarted = 1 then, may be
 * NULL). 0, or -1 when the stored state is unusable (m empty). α, γ and the half-life follow
 * cfg for "linear". save: 0 or -1. */
#define MODEL_LINEAR "linucb"
#define MODEL_SEED "seed_linucb"
int hub__tip_model_load(hub *h, const char *user, const char *which, const tip_cfg *cfg, hub__linucb *m,
                        int *restarted);
int hub__tip_model_save(hub *h, const char *user, const char *which, const hub__linucb *m, int64_t now_ms);
/* A fresh prior of either kind. 0 or -1 (OOM). */
int hub__tip_model_prior(const char *which, const tip_cfg *cfg, hub__linucb *m);

/* ---- exposure.c: views, fatigue and repeats (table tip_exposure) ---------------------------- */
typedef struct {
  int64_t views, at, last_shown, mark; /* at: when fatigue was last brought up to date (ms) */
  double fatigue;
  int last_reaction; /* REACT_*, or -1 */
} hub__tip_exposure;
/* Pure arithmetic (the simulator uses the same):
 * fatigue_now: e's exposure count at now for an item whose mark is `mark`: 0 when the item
 *   changed since the last view (new activity), else e->fatigue · 2^(−(now − at)/H).
 * view: one more view at now (resets first when the mark changed), views + 1, fatigue + 1.
 * react: a positive reward (done, helpful) clears the count; a snooze adds snooze_views; the
 *   other reactions leave it (the view itself already counted). */
double hub__tip_fatigue_now(const hub__tip_exposure *e, int64_t mark, int64_t now_ms, const tip_cfg *cfg);
void hub__tip_exposure_view(hub__tip_exposure *e, int64_t mark, int64_t now_ms, const tip_cfg *cfg);
void hub__tip_exposure_react(hub__tip_exposure *e, int reaction, double reward, int64_t now_ms, const tip_cfg *cfg);
/* The user's last decision: its item, mark and how many times in a row that item had been
 * served (0, 0, 0 when none). 0 or -1. */
int hub__tip_last_served(hub *h, const char *user, int64_t *item_id, int64_t *mark, int *in_row);
/* How many times in a row item (with mark) will have been served if served now. */
int hub__tip_in_row(int64_t item_id, int64_t mark, int64_t last_item, int64_t last_mark, int last_in_row);
/* Reads the stored exposure of (user, item): 1 found, 0 none (e zeroed, last_reaction -1), -1. */
int hub__tip_exposure_get(hub *h, const char *user, int64_t item_id, hub__tip_exposure *e);
/* The exposure in the six columns of st from col on (views, fatigue, at, last_shown,
 * last_reaction, mark; all NULL: none), as hub__tip_exposure_get reads them. 1 found, 0 none. */
int hub__tip_exposure_cols(sqlite3_stmt *st, int col, hub__tip_exposure *e);
/* Records a view / a reaction of (user, item). 0 or -1. */
int hub__tip_exposure_serve(hub *h, const char *user, int64_t item_id, int64_t mark, int64_t now_ms, const tip_cfg *cfg);
int hub__tip_exposure_reacted(hub *h, const char *user, int64_t item_id, int reaction, double reward, int64_t now_ms,
                              const tip_cfg *cfg);

/* ---- learn.c: learning from reactions and from the log (models, table tip_affinity) ------- */
/* Repo affinity, the repo's own effect: decayed count n and sum s of the residuals r − θᵀx of
 * the reactions on a repo's items (what the linear model did not expect of them); the value is
 * the shrunk mean s / (n + HUB_TIP_AFF_PRIOR), in [−1, 1]. It is feature 20 and, weighted by
 * cfg->repo_effect, a term of the learned policies' scores. The prior 5 (a random intercept's
 * σ²/τ²: reward variance ≈ 0.5, repo effects ≈ 0.1) keeps one reaction from moving it by more
 * than 1/6. */
#define HUB_TIP_AFF_PRIOR 5.0
typedef struct {
  double n, s;
  int64_t at;
} hub__tip_aff;
double hub__tip_aff_value(const hub__tip_aff *a, int64_t now_ms, double half_life_days);
void hub__tip_aff_add(hub__tip_aff *a, double reward, int64_t now_ms, double half_life_days);
/* The importance weight of a logged tuple: clamp(1/(n·p), 1, W) with W = cfg->ips_clip
 * (1 when W ≤ 1: unweighted). */
double hub__tip_weight(const tip_cfg *cfg, double propensity, double candidates);
/* One tuple into the linear model: decay to t_ms, then a weighted update. 0 or -1. */
int hub__tip_learn_tuple(hub__linucb *m, const double *x, double r, double w, int64_t t_ms);
/* One reaction (x, r, weight w, at t_ms) into the linear model m and the repo's affinity
 * record aff, the step the tip, the refresh and the simulator all take: m is discounted to t,
 * pred = θᵀx and a = the affinity's value at t are read, m learns the target r − k·a (k =
 * cfg->repo_effect: the part of r the repo's term in the score already gives), then aff adds
 * the residual r − pred. m or x NULL (no usable model): pred = 0, no model update; aff NULL (an
 * item without a repo): no affinity. Returns m's update's 0 or -1 (aff learns either way). */
int hub__tip_learn_step(hub__linucb *m, const double *x, hub__tip_aff *aff, double r, double w, int64_t t_ms,
                        const tip_cfg *cfg);
/* Everything one reaction teaches (decision id, reaction REACT_*, its reward, at now, under
 * cfg): the linear and seed models, the repo's affinity, the item's exposure. Returns 1
 * learned, 0 the models could not learn (their state unusable or the logged features of
 * another dimension), -1 database error. *updates = the linear model's update count. */
int hub__tip_learn(hub *h, const tip_cfg *cfg, int64_t decision, int reaction, double r, int64_t now_ms,
                   long *updates);
/* The stored affinity record of (user, repo): 1 found, 0 none (a zeroed), -1. */
int hub__tip_aff_get(hub *h, const char *user, const char *repo, hub__tip_aff *a);
/* The affinity records of every repo the user reacted to (sorted by repo, for bsearch). */
typedef struct {
  char *repo;
  hub__tip_aff a;
} hub__tip_repo_aff;
int hub__tip_aff_load(hub *h, const char *user, hub__tip_repo_aff **out, size_t *n);
void hub__tip_aff_free(hub__tip_repo_aff *a, size_t n);

/* ---- context.c: the candidates and what the tip knows about them beyond the item --------- */
/* One candidate as loaded: the item's facts that do not depend on the moment, what hub knows
 * beyond it (language match, the repo's affinity record, the exposure record), its strings. */
typedef struct {
  cand c;               /* id, key, repo, mark; it.flags (every HUB_TIPF_*), it.engagement */
  char *key, *repo;     /* owned; c.key and c.repo point here */
  int64_t created_s, updated_s;
  double rank;          /* items.rank: the importance at a moment is hub__score_at of it */
  int has_aff;          /* aff is the repo's affinity record */
  hub__tip_aff aff;
  hub__tip_exposure e;  /* the exposure record (views 0: never shown) */
} hub__tip_row;
/* Loads user's candidate rows at now: open items, not dismissed, not done since they last
 * changed, not snoozed past now, not muted; the HUB_TIP_MAX_CANDIDATES best by rank. *rows is
 * new (hub__tip_rows_free); *until = the earliest end of a snooze after now, when the set can
 * change by itself (INT64_MAX: never). 0 or -1 (h->errmsg). */
int hub__tip_rows_load(hub *h, const char *user, int64_t now_ms, hub__tip_row **rows, size_t *n, int64_t *until);
void hub__tip_rows_free(hub__tip_row *rows, size_t n);
/* The candidate of row r at now (a local hour and weekday): ages, importance under w, the
 * repo's affinity and the exposure count as of now, then the features x and xs. */
void hub__tip_row_at(const hub__tip_row *r, const hub__weights *w, int64_t now_ms, const tip_cfg *cfg, int hour,
                     int weekday, cand *c);

/* ---- cache.c: the candidates kept ready between tips -------------------------------------- */
/* What one tip reads, kept on the handle while nothing it was read from changed. */
typedef struct {
  tip_cfg cfg;                 /* the stored configuration (settings "tip.*") */
  int en[HUB_TIP_NPOL];        /* enabled policies */
  int64_t last_item, last_mark; /* the user's last decision (0, 0 when none) */
  int last_in_row;
} hub__tip_kept;
/* Brings the kept state of user up to date (reloading whatever may have changed: see cache.c)
 * and returns it (owned by the handle, valid until the next cache call), or NULL (h->errmsg). */
const hub__tip_kept *hub__tip_cache_open(hub *h, const char *user, int64_t now_ms);
/* The candidates at now under cfg (hub__tip_cache_open first): a new view into the cache's
 * array (*c, valid until the next cache call; not to be freed), the held-back repeat dropped
 * (*held = 1 then). */
void hub__tip_cache_cands(hub *h, const tip_cfg *cfg, int64_t now_ms, cand **c, size_t *n, int *held);
/* The configuration: the kept one when current for any user, else read. */
void hub__tip_cache_cfg(hub *h, tip_cfg *cfg);
/* 1 when the kept state of user is current (nothing it was read from changed since). */
int hub__tip_cache_fresh(hub *h, const char *user);
/* After a tip's log was committed (the cache was current before it): the served item's
 * exposure and the last decision are read again, and the cache is current again. */
void hub__tip_cache_served(hub *h, int64_t item_id, int64_t mark, int in_row);
/* After a reaction was committed (fresh: the cache of user was current before it): its item's
 * exposure and its repo's affinity are read again; a reaction that changed the item's triage
 * state (REACT_DONE, REACT_SNOOZE, REACT_DISMISS) means a reload at the next tip. */
void hub__tip_cache_reacted(hub *h, int fresh, const char *user, int64_t item_id, const char *repo, int reaction);
/* Forgets the kept state (the next tip reloads). */
void hub__tip_cache_drop(hub *h);
/* Test hook: 0 makes every tip reload (as before the cache), 1 (the default) keeps. */
void hub__tip_cache_enable(int on);


/* ---- sim.c, simfam.c: the simulator family ------------------------------------------------ */
enum { SIMU_LINEAR, SIMU_NONLINEAR, SIMU_DRIFT, SIMU_RARE, HUB_SIM_TYPES };
#define HUB_SIM_CHANGE_DAY 30 /* the simulated day the drift user's taste changes */
extern const char *const hub__sim_type_names[HUB_SIM_TYPES];
#ifndef HUB_SIM_MAX_SEEDS
#define HUB_SIM_MAX_SEEDS 200
#endif
#ifndef HUB_SIM_MAX_WORK
#define HUB_SIM_MAX_WORK 6.0e6 /* work units (see hub__sim_work) a tip_simulate request may ask for */
#endif
typedef struct {
  int steps, candidates, seeds;
  uint64_t seed;      /* users are seeds seed, seed + 1, … */
  int type;           /* one user type, or -1 for all */
  unsigned policies;  /* bit k: simulate policy k of hub__tip_policy_table */
  tip_cfg cfg;        /* hub's knobs; cfg.serve names the policy hub serves */
  int oracle_reset;   /* analysis: the drift user's change restarts the linear model from its prior
                         at once (a change detector never late and never wrong: the most that
                         detecting the change can gain); 0 in every served configuration */
} hub__sim_cfg;
typedef struct {
  double regret, reward;    /* cumulative over the steps */
  double regret_after;      /* the part of regret from the tips at or after HUB_SIM_CHANGE_DAY */
  long served, explored;    /* tips served; tips that were not the served distribution's mode */
  int max_in_row;           /* the longest run of the same unchanged item */
} hub__sim_run;
/* The defaults: 600 tips (≈ 90 days), 50 items, 12 seeds per type, every type and policy. */
void hub__sim_defaults(hub__sim_cfg *c);
/* The work a configuration asks for: steps × candidates × users × Σ policy cost (1 per
 * policy, Thompson ts_samples/25 more). */
double hub__sim_work(const hub__sim_cfg *c);
/* One simulated user of `type` drawn from seed; every policy in c->policies serves it in a
 * world of its own (same items, moments and taste; its own item states, exposures, affinities
 * and models). out[k] for policy k. 0, or -1 (bad configuration or out of memory). */
int hub__sim_user(const hub__sim_cfg *c, int type, uint64_t seed, hub__sim_run *out);
typedef struct {
  double median, worst;             /* cumulative regret over the seeds */
  double ratio_median, ratio_worst; /* regret / random's regret in the same seed */
  double ratio_after_median;        /* the same for the regret from HUB_SIM_CHANGE_DAY on (0: none) */
  double reward_median;
  int worse_than_random;            /* seeds where the policy's regret exceeded random's */
  int max_in_row;
} hub__sim_cell;
typedef struct {
  hub__sim_cell cell[HUB_SIM_TYPES][HUB_TIP_NPOL];
} hub__sim_table;
/* Runs c->seeds users of each type asked for. 0 or -1. */
int hub__sim_family(const hub__sim_cfg *c, hub__sim_table *t);
/* The table as JSON: {"types":[{"type","policies":[{"policy","median",…}]}]}. */
cJSON *hub__sim_table_json(const hub__sim_cfg *c, const hub__sim_table *t);

#endif
