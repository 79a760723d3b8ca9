/*
 * tip.c — "one tip": the single next thing to do, chosen by a contextual bandit that learns
 * from done / snooze / dismiss / helpful / not helpful (core layer, no I/O, no clock).
 *
 * Flow. `tip` loads the candidate set (open items, not dismissed, not done since they last
 * changed, not snoozed past now; the HUB_TIP_MAX_CANDIDATES best by importance rank), builds
 * one feature vector per candidate, asks every enabled policy for its distribution over the
 * candidates, serves the configured policy's (falling back along linucb → score_greedy →
 * random when one fails), mixes it with the uniform distribution by ε so every candidate has
 * a known probability > 0, draws the tip with a seeded PRNG, and logs the decision: item,
 * policy, features, score, propensity, and for every enabled policy (the served one and the
 * shadows) its own greedy choice and its probability of the served item — which is all that
 * replay, IPW and SNIPW need to evaluate any of them later from the log. `tip_feedback`
 * turns a reaction into a reward, updates the user's LinUCB model from the logged features
 * (whichever policy served: LinUCB learns off-policy), and sets the item's state (done,
 * snoozed until, dismissed).
 *
 * Features (d = 16). Every entry lies in [0, s] with s = 0.35 (bias 0.5), so a typical item
 * (bias, three log terms around half scale, one or two flags, importance) has ‖x‖ ≈ 0.7–1;
 * vectors longer than 1 are scaled down to ‖x‖ = 1, so ‖x‖ ≤ 1 always (the bound LinUCB's
 * confidence width assumes).
 *   0 bias            0.5, constant: the user's overall mood about tips
 *   1 log age         s·min(1, ln(1+age days)/ln 366)           since created
 *   2 log staleness   s·min(1, ln(1+days since update)/ln 366)  quiet threads vs fresh ones
 *   3 log engagement  s·min(1, ln(1+comments+reactions)/ln 101)
 *   4 review          s if a review (or approval) is requested of the user
 *   5 mention         s if the user or their team was mentioned
 *   6 assigned        s if assigned to the user
 *   7 authored        s if the user opened it
 *   8 notification    s for any other notification reason (comment, subscribed, state …)
 *   9 good first      s if labelled good-first-issue / beginner / easy (or found by a GFI list)
 *  10 bug             s if a label contains "bug"
 *  11 blocking        s if labelled blocker / critical / urgent / p0 / regression / security
 *  12 own repo        s if the repository belongs to the user
 *  13 importance      s·min(1, ln(1+score)/ln 11), score = hub's importance score now
 *  14 leisure × gfi   s if good-first AND the moment is leisure (weekend, or before 8 / from 19 h)
 *  15 work × duty     s if review/assigned/mention AND the moment is work (Mon–Fri 9–18 h)
 * The moment. One model scores all candidates, so a feature equal for every candidate (hour,
 * weekday) adds the same amount to every score and cannot change which one wins; it would only
 * soak up the user's mood. The moment therefore enters only through the two interactions
 * above — the pair of "what kind of time it is" × "what kind of item it is" that the seeds'
 * habits suggest (exploratory picks when off duty, duty items in working hours). Local time
 * comes from the request's "tz_offset_min" (minutes east of UTC), else the stored setting.
 *
 * Defaults, chosen with the simulator (tip_simulate: 1,000 tips, 20 users, 50 candidates;
 * cumulative regret, seeds 7 / 3; random ≈ 563 / 599, the seed design ≈ 424 / 469):
 *   ε-greedy   α=0.1  α=0.25  α=0.5  α=1   α=2        softmax τ  0.02  0.05  0.1   0.2
 *   ε=0          72     70     72     75    86        (α=0.25)    73   103   186   320
 *   ε=0.02       82     79     80     85    96
 *   ε=0.05       95     94     98     98   110        ε=0.05, seed 3: α=0.1 101, 0.25 98,
 *   ε=0.10      119    117    118    122   132                         0.5 99, 1 104
 * α: 0.25 (the valley is flat from 0.1 to 0.5; 1 and 2 over-explore because the ε floor
 * already explores). Exploration: ε-greedy over the UCB argmax — softmax over UCBs is never
 * better and its probabilities of poor items depend on the score scale. ε: 0.05, not 0
 * (deterministic argmax makes the log useless for evaluating other policies) nor 0.02: the
 * simulator shows the price is linear, ≈ 0.56·ε regret per tip (+24 per 1,000 tips at 0.05),
 * and 0.05 keeps importance weights ≤ n/ε = 4,000 at 200 candidates and one tip in twenty
 * exploratory, which a user's few tips a day need to give off-policy estimates any support.
 * λ = 1, γ = 1 (no forgetting) by default; "gamma" < 1 lets tastes drift.
 * Rewards: done +1, snooze 0, dismiss −1, helpful +0.5, not helpful −0.5 (tip_policies).
 * Each reaction is one update with the decision's logged features (a "done" then "helpful"
 * teaches twice); the same reaction to the same decision counts once.
 * Latency: the core reads no clock, so the caller measures a tip's hub_call and reports it
 * with {"cmd":"tip_feedback","decision":id,"latency_us":n} (reaction optional).
 *
 * Offline evaluation. `tip_eval` estimates a target policy's value from hub's own log (the
 * per-policy records above; reward of a decision = sum of its reactions' rewards; decisions
 * without a reaction are left out) or from an Open Bandit Dataset CSV passed as text (the
 * core does no I/O): replay (mean reward where the target's own choice equals the logged
 * action, with the number matched), IPW = (1/n) Σ π(a|x)/p(a|x)·r and SNIPW = Σ w r / Σ w.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hub_int.h"
#include "bandit.h"

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
#define S 0.35

/* ---- defaults (see the simulator section at the end for where they come from) ---------- */
#define DFLT_ALPHA 0.25
#define DFLT_EPSILON 0.05
#define DFLT_TEMPERATURE 0.02
#define DFLT_LAMBDA 1.0
#define DFLT_GAMMA 1.0
#define DFLT_EXPLORE "egreedy"

static const char *const feature_names[TIP_D] = {
    "bias",   "log_age",    "log_staleness", "log_engagement", "review",     "mention",
    "assigned", "authored", "notification",  "good_first",     "bug",        "blocking",
    "own_repo", "importance", "leisure_x_good_first", "work_x_duty"};

static const struct { const char *name; double dflt; } reward_names[] = {
    {"done", 1.0}, {"snooze", 0.0}, {"dismiss", -1.0}, {"helpful", 0.5}, {"not_helpful", -0.5}};
#define N_REACTIONS 5

/* ---- features -------------------------------------------------------------------------- */

void hub__tip_features(const hub__tip_item *it, int hour, int weekday, double *x) {
  unsigned f = it->flags;
  double n2 = 0;
  int i, weekend = weekday == 0 || weekday == 6;
  int leisure = weekend || hour < 8 || hour >= 19, work = !weekend && hour >= 9 && hour < 18;
  double age = it->age_days > 0 ? it->age_days : 0, stale = it->stale_days > 0 ? it->stale_days : 0;
  double eng = it->engagement > 0 ? it->engagement : 0, imp = it->importance > 0 ? it->importance : 0;
  x[0] = 0.5;
  x[1] = S * fmin(1.0, log1p(age) / log(366.0));
  x[2] = S * fmin(1.0, log1p(stale) / log(366.0));
  x[3] = S * fmin(1.0, log1p(eng) / log(101.0));
  x[4] = f & HUB_TIPF_REVIEW ? S : 0;
  x[5] = f & HUB_TIPF_MENTION ? S : 0;
  x[6] = f & HUB_TIPF_ASSIGNED ? S : 0;
  x[7] = f & HUB_TIPF_AUTHORED ? S : 0;
  x[8] = f & HUB_TIPF_NOTIFY ? S : 0;
  x[9] = f & HUB_TIPF_GFI ? S : 0;
  x[10] = f & HUB_TIPF_BUG ? S : 0;
  x[11] = f & HUB_TIPF_BLOCKING ? S : 0;
  x[12] = f & HUB_TIPF_OWN_REPO ? S : 0;
  x[13] = S * fmin(1.0, log1p(imp) / log(11.0));
  x[14] = leisure && (f & HUB_TIPF_GFI) ? S : 0;
  x[15] = work && (f & (HUB_TIPF_REVIEW | HUB_TIPF_ASSIGNED | HUB_TIPF_MENTION)) ? S : 0;
  for (i = 0; i < TIP_D; i++) n2 += x[i] * x[i];
  if (n2 > 1.0) {
    double k = 1.0 / sqrt(n2);
    for (i = 0; i < TIP_D; i++) x[i] *= k;
  }
}

/* ---- configuration --------------------------------------------------------------------- */

typedef struct {
  char serve[32];
  int explore_softmax;
  double alpha, epsilon, temperature, lambda, gamma, tz_offset_min;
  double reward[N_REACTIONS];
} tip_cfg;

static char *cfg_get(hub *h, const char *k) {
  sqlite3_stmt *st = NULL;
  char *r = NULL;
  if (sqlite3_prepare_v2(h->db, "SELECT v FROM tip_config WHERE k=?", -1, &st, NULL) != SQLITE_OK)
    return NULL;
  sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW) r = hub__strdup((const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return r;
}

static double cfg_num(hub *h, const char *k, double dflt) {
  char *v = cfg_get(h, k), *end = NULL;
  double d = dflt;
  if (v) {
    d = strtod(v, &end);
    if (end == v || *end || !isfinite(d)) d = dflt;
  }
  hub_free(v);
  return d;
}

static int cfg_set(hub *h, const char *k, const char *v) {
  sqlite3_stmt *st = NULL;
  int rc;
  if (sqlite3_prepare_v2(h->db, "INSERT OR REPLACE INTO tip_config(k,v) VALUES(?,?)", -1, &st,
                         NULL) != SQLITE_OK)
    goto fail;
  sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, v, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc == SQLITE_DONE) return 0;
fail:
  hub__set_err(h, "sqlite: %s", sqlite3_errmsg(h->db));
  return -1;
}

static void cfg_load(hub *h, tip_cfg *c) {
  char *v;
  int i;
  memset(c, 0, sizeof *c);
  v = cfg_get(h, "serve");
  snprintf(c->serve, sizeof c->serve, "%s", v ? v : "linucb");
  hub_free(v);
  v = cfg_get(h, "explore");
  c->explore_softmax = v && strcmp(v, "softmax") == 0;
  if (!v) c->explore_softmax = strcmp(DFLT_EXPLORE, "softmax") == 0;
  hub_free(v);
  c->alpha = cfg_num(h, "alpha", DFLT_ALPHA);
  c->epsilon = cfg_num(h, "epsilon", DFLT_EPSILON);
  c->temperature = cfg_num(h, "temperature", DFLT_TEMPERATURE);
  c->lambda = cfg_num(h, "lambda", DFLT_LAMBDA);
  c->gamma = cfg_num(h, "gamma", DFLT_GAMMA);
  c->tz_offset_min = cfg_num(h, "tz_offset_min", 0);
  for (i = 0; i < N_REACTIONS; i++) {
    char k[40];
    snprintf(k, sizeof k, "reward_%s", reward_names[i].name);
    c->reward[i] = cfg_num(h, k, reward_names[i].dflt);
  }
}

static int reaction_index(const char *r) {
  int i;
  for (i = 0; i < N_REACTIONS; i++)
    if (strcmp(r, reward_names[i].name) == 0) return i;
  return -1;
}

/* ---- policies behind one contract ------------------------------------------------------ */

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

static void one_hot_argmax(const double *score, size_t n, double *prob) {
  size_t i, best = 0;
  for (i = 1; i < n; i++)
    if (score[i] > score[best]) best = i;
  for (i = 0; i < n; i++) prob[i] = i == best ? 1.0 : 0.0;
}

static int softmax(const double *score, size_t n, double temp, double *prob) {
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
  one_hot_argmax(score, ctx->n, prob);
  return 0;
}

static int pol_linucb(const tip_ctx *ctx, double *score, double *prob) {
  size_t i;
  if (!ctx->model || ctx->model->d != TIP_D) return -1;
  for (i = 0; i < ctx->n; i++) {
    score[i] = hub__linucb_ucb(ctx->model, ctx->c[i].x);
    if (!isfinite(score[i])) return -1;
  }
  if (ctx->cfg->explore_softmax) return softmax(score, ctx->n, ctx->cfg->temperature, prob);
  one_hot_argmax(score, ctx->n, prob);
  return 0;
}

static const struct {
  const char *name;
  policy_fn fn;
  const char *description;
} policies[] = {
    {"linucb", pol_linucb, "LinUCB over the item × moment features, one model per user"},
    {"score_greedy", pol_greedy, "the importance ranking's top item"},
    {"random", pol_random, "uniformly at random"},
};
#define N_POLICIES ((int)(sizeof policies / sizeof policies[0]))

static int policy_index(const char *name) {
  int i;
  for (i = 0; i < N_POLICIES; i++)
    if (strcmp(name, policies[i].name) == 0) return i;
  return -1;
}

static void policy_enabled(hub *h, int *en) {
  sqlite3_stmt *st = NULL;
  int i;
  for (i = 0; i < N_POLICIES; i++) en[i] = 1;
  if (sqlite3_prepare_v2(h->db, "SELECT name,enabled FROM tip_policies", -1, &st, NULL) != SQLITE_OK)
    return;
  while (sqlite3_step(st) == SQLITE_ROW) {
    int k = policy_index((const char *)sqlite3_column_text(st, 0));
    if (k >= 0) en[k] = sqlite3_column_int(st, 1) != 0;
  }
  sqlite3_finalize(st);
}

/* ---- the user's model ------------------------------------------------------------------ */

/* Loads the user's LinUCB model into m; a missing row gives the prior. Returns 0, or -1 when
 * the stored state is unusable (m empty). α and γ follow the current configuration. */
static int model_load(hub *h, const char *user, const tip_cfg *cfg, hub__linucb *m) {
  sqlite3_stmt *st = NULL;
  int rc = -1;
  memset(m, 0, sizeof *m);
  if (sqlite3_prepare_v2(h->db, "SELECT state FROM tip_models WHERE user=? AND policy='linucb'",
                         -1, &st, NULL) != SQLITE_OK) {
    hub__set_err(h, "sqlite: %s", sqlite3_errmsg(h->db));
    return -1;
  }
  sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
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
  sqlite3_finalize(st);
  if (rc == 0) {
    m->alpha = cfg->alpha >= 0 ? cfg->alpha : DFLT_ALPHA;
    m->gamma = cfg->gamma > 0 && cfg->gamma <= 1 ? cfg->gamma : 1.0;
  }
  return rc;
}

static int model_save(hub *h, const char *user, const hub__linucb *m, int64_t now_ms) {
  sqlite3_stmt *st = NULL;
  unsigned char *blob = NULL;
  size_t len = 0;
  int rc;
  if (hub__linucb_save(m, &blob, &len)) {
    hub__set_err(h, "out of memory");
    return -1;
  }
  if (sqlite3_prepare_v2(h->db,
                         "INSERT OR REPLACE INTO tip_models(user,policy,d,state,updates,updated_at) "
                         "VALUES(?,'linucb',?,?,?,?)",
                         -1, &st, NULL) != SQLITE_OK) {
    hub_free(blob);
    hub__set_err(h, "sqlite: %s", sqlite3_errmsg(h->db));
    return -1;
  }
  sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, m->d);
  sqlite3_bind_blob(st, 3, blob, (int)len, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, m->updates);
  sqlite3_bind_int64(st, 5, now_ms);
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  hub_free(blob);
  if (rc != SQLITE_DONE) {
    hub__set_err(h, "sqlite: %s", sqlite3_errmsg(h->db));
    return -1;
  }
  return 0;
}

/* ---- request helpers ------------------------------------------------------------------- */

static int get_now(const cJSON *req, int64_t *now_ms) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, "now");
  if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble > 9e15) return -1;
  *now_ms = (int64_t)v->valuedouble;
  return 0;
}

/* The user: the request's "user", else the github_user setting, else "". New string. */
static char *get_user(hub *h, const cJSON *req) {
  const cJSON *u = cJSON_GetObjectItemCaseSensitive(req, "user");
  char *s;
  if (cJSON_IsString(u) && strlen(u->valuestring) < 256) return hub__strdup(u->valuestring);
  s = hub__setting_get(h, "github_user");
  return s ? s : hub__strdup("");
}

static int contains_ci(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  for (; *hay; hay++) {
    size_t i;
    for (i = 0; i < n; i++) {
      char a = hay[i], b = needle[i];
      if (!a) return 0;
      if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
      if (a != b) break;
    }
    if (i == n) return 1;
  }
  return 0;
}

static unsigned label_flags(const char *labels_json) {
  cJSON *arr = labels_json ? cJSON_Parse(labels_json) : NULL, *e;
  unsigned f = 0;
  cJSON_ArrayForEach(e, arr) {
    const char *l;
    if (!cJSON_IsString(e)) continue;
    l = e->valuestring;
    if (contains_ci(l, "good first") || contains_ci(l, "good-first") || contains_ci(l, "beginner") ||
        contains_ci(l, "easy") || contains_ci(l, "first-timers"))
      f |= HUB_TIPF_GFI;
    if (contains_ci(l, "bug")) f |= HUB_TIPF_BUG;
    if (contains_ci(l, "block") || contains_ci(l, "critical") || contains_ci(l, "urgent") ||
        contains_ci(l, "p0") || contains_ci(l, "regression") || contains_ci(l, "security"))
      f |= HUB_TIPF_BLOCKING;
  }
  cJSON_Delete(arr);
  return f;
}

static unsigned reason_flags(const char *reasons) {
  unsigned f = 0;
  const char *p = reasons;
  while (p && *p) {
    const char *e = strchr(p, ',');
    size_t n = e ? (size_t)(e - p) : strlen(p);
#define IS(lit) (n == sizeof(lit) - 1 && strncmp(p, lit, n) == 0)
    if (IS("review_requested") || IS("approval_requested")) f |= HUB_TIPF_REVIEW;
    else if (IS("mentioned") || IS("team_mentioned")) f |= HUB_TIPF_MENTION;
    else if (IS("assigned")) f |= HUB_TIPF_ASSIGNED;
    else if (IS("authored")) f |= HUB_TIPF_AUTHORED;
    else if (IS("security_alert")) f |= HUB_TIPF_BLOCKING | HUB_TIPF_NOTIFY;
    else if (IS("gfi") || IS("good_first_issue") || IS("good-first-issue")) f |= HUB_TIPF_GFI;
    else if (n) f |= HUB_TIPF_NOTIFY;
#undef IS
    p = e ? e + 1 : NULL;
  }
  return f;
}

static int same_owner(const char *repo, const char *user) {
  size_t n = strlen(user), i;
  if (!repo || !n || !*repo) return 0;
  for (i = 0; i < n; i++) {
    char a = repo[i], b = user[i];
    if (!a) return 0;
    if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = (char)(b - 'A' + 'a');
    if (a != b) return 0;
  }
  return repo[n] == '/';
}

static void moment_of(int64_t now_ms, double tz_min, int *hour, int *weekday) {
  int64_t t = now_ms / 1000 + (int64_t)(tz_min * 60.0), days;
  days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  *hour = (int)((t - days * 86400) / 3600);
  *weekday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4); 0 = Sunday */
}

static uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static double unif(uint64_t *s) { return (double)(hub__rand(s) >> 11) * (1.0 / 9007199254740992.0); }

/* ---- candidates ------------------------------------------------------------------------ */

static void cands_free(cand *c, size_t n) {
  size_t i;
  for (i = 0; c && i < n; i++) hub_free(c[i].key);
  hub_free(c);
}

/* Loads the candidate set for user at now into a new array (*out, *n). Returns 0 or -1. */
static int load_candidates(hub *h, const char *user, int64_t now_ms, const tip_cfg *cfg,
                           cand **out, size_t *n) {
  sqlite3_stmt *st = NULL;
  const hub__weights *w = hub__weights_get(h);
  cand *c = hub__malloc(HUB_TIP_MAX_CANDIDATES * sizeof *c);
  size_t k = 0;
  int hour, weekday, rc;
  int64_t now_s = now_ms / 1000;
  *out = NULL;
  *n = 0;
  if (!c) {
    hub__set_err(h, "out of memory");
    return -1;
  }
  moment_of(now_ms, cfg->tz_offset_min, &hour, &weekday);
  if (sqlite3_prepare_v2(
          h->db,
          "SELECT i.id, i.key, i.labels, i.comments, i.reactions,"
          " coalesce(i.created_at, i.first_seen), coalesce(i.updated_at, i.created_at, i.first_seen),"
          " i.rank, i.author, i.repo,"
          " (SELECT group_concat(reason, ',') FROM item_reasons r WHERE r.item_id = i.id)"
          " FROM items i WHERE i.state = 'open' AND NOT EXISTS (SELECT 1 FROM tip_item_state s"
          "  WHERE s.user = ?1 AND s.item_id = i.id AND (s.state = 'dismissed'"
          "   OR (s.state = 'done' AND s.item_hash = i.hash) OR (s.state = 'snoozed' AND s.until > ?2)))"
          " ORDER BY i.rank DESC, i.id LIMIT ?3",
          -1, &st, NULL) != SQLITE_OK) {
    hub__set_err(h, "sqlite: %s", sqlite3_errmsg(h->db));
    hub_free(c);
    return -1;
  }
  sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, now_ms);
  sqlite3_bind_int(st, 3, HUB_TIP_MAX_CANDIDATES);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    cand *x = &c[k];
    const char *author = (const char *)sqlite3_column_text(st, 8);
    memset(x, 0, sizeof *x);
    x->id = sqlite3_column_int64(st, 0);
    x->key = hub__strdup((const char *)sqlite3_column_text(st, 1));
    if (!x->key) goto oom;
    k++;
    x->it.flags = label_flags((const char *)sqlite3_column_text(st, 2)) |
                  reason_flags((const char *)sqlite3_column_text(st, 10));
    if (author && *user) {
      size_t i, m = strlen(user);
      int eq = strlen(author) == m;
      for (i = 0; eq && i < m; i++) {
        char a = author[i], b = user[i];
        if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z') b = (char)(b - 'A' + 'a');
        eq = a == b;
      }
      if (eq) x->it.flags |= HUB_TIPF_AUTHORED;
    }
    if (same_owner((const char *)sqlite3_column_text(st, 9), user)) x->it.flags |= HUB_TIPF_OWN_REPO;
    x->it.engagement = (double)sqlite3_column_int64(st, 3) + (double)sqlite3_column_int64(st, 4);
    x->it.age_days = (double)(now_s - sqlite3_column_int64(st, 5)) / 86400.0;
    x->it.stale_days = (double)(now_s - sqlite3_column_int64(st, 6)) / 86400.0;
    x->it.importance = hub__score_at(w, sqlite3_column_double(st, 7), now_s);
    hub__tip_features(&x->it, hour, weekday, x->x);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    hub__set_err(h, "sqlite: %s", sqlite3_errmsg(h->db));
    cands_free(c, k);
    return -1;
  }
  *out = c;
  *n = k;
  return 0;
oom:
  sqlite3_finalize(st);
  cands_free(c, k);
  hub__set_err(h, "out of memory");
  return -1;
}

/* ---- "why", in words ------------------------------------------------------------------- */

static const char *const feature_words[TIP_D] = {
    NULL, "it has been open a while", "it has gone quiet", "people are talking about it",
    "your review is requested", "you were mentioned", "it is assigned to you", "you opened it",
    "there is news on it", "a good first issue", "it is a bug", "it blocks others",
    "it is in your repo", "it ranks high", "a good first issue for a quiet hour",
    "work that is yours, in working hours"};

/* Up to two phrases: the features that add most to the served item's score under θ (LinUCB)
 * or, for other policies, its most telling facts. New string or NULL. */
static char *why_words(const cand *c, const hub__linucb *m, const char *policy, int explored) {
  double contrib[TIP_D];
  int i, first = -1, second = -1;
  for (i = 1; i < TIP_D; i++) {
    double base = c->x[i] > 0 ? 1.0 : 0.0;
    if (i == 1 || i == 2 || i == 3 || i == 13) base = c->x[i] > 0.6 * S ? 0.5 : 0.0;
    contrib[i] = m && strcmp(policy, "linucb") == 0 ? m->theta[i] * c->x[i] : base * (i >= 4 ? 1.0 : 0.5);
    if (contrib[i] <= 0) continue;
    if (first < 0 || contrib[i] > contrib[first]) {
      second = first;
      first = i;
    } else if (second < 0 || contrib[i] > contrib[second]) {
      second = i;
    }
  }
  if (strcmp(policy, "random") == 0) return hub__strdup("picked at random, to learn what you like");
  if (strcmp(policy, "score_greedy") == 0 && first < 0) return hub__strdup("it ranks highest");
  if (explored && first >= 0) return hub__printf("something different: %s", feature_words[first]);
  if (first < 0) return hub__strdup(explored ? "something different, to learn what you like" : "a fresh pick");
  if (second < 0) return hub__strdup(feature_words[first]);
  return hub__printf("%s · %s", feature_words[first], feature_words[second]);
}

/* ---- tip ------------------------------------------------------------------------------- */

static int64_t last_decision_id(hub *h) {
  sqlite3_stmt *st = NULL;
  int64_t id = 0;
  if (sqlite3_prepare_v2(h->db, "SELECT coalesce(max(id),0) FROM tip_decisions", -1, &st, NULL) ==
          SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    id = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return id;
}

static cJSON *features_json(const double *x) {
  cJSON *a = cJSON_CreateArray();
  int i;
  for (i = 0; a && i < TIP_D; i++) hub__push(a, cJSON_CreateNumber(x[i]));
  return a;
}

static cJSON *item_json(hub *h, int64_t id) {
  sqlite3_stmt *st = NULL;
  cJSON *o = NULL;
  if (sqlite3_prepare_v2(h->db, "SELECT key,title,repo,url,kind,number,labels FROM items WHERE id=?",
                         -1, &st, NULL) != SQLITE_OK)
    return NULL;
  sqlite3_bind_int64(st, 1, id);
  if (sqlite3_step(st) == SQLITE_ROW && (o = cJSON_CreateObject()) != NULL) {
    static const char *const names[] = {"key", "title", "repo", "url", "kind"};
    int i;
    for (i = 0; i < 5; i++) {
      const unsigned char *t = sqlite3_column_text(st, i);
      if (t) cJSON_AddStringToObject(o, names[i], (const char *)t);
      else cJSON_AddNullToObject(o, names[i]);
    }
    cJSON_AddNumberToObject(o, "number", (double)sqlite3_column_int64(st, 5));
    {
      cJSON *l = cJSON_Parse((const char *)sqlite3_column_text(st, 6));
      hub__put(o, "labels", l ? l : cJSON_CreateArray());
    }
  }
  sqlite3_finalize(st);
  return o;
}

cJSON *hub__tip_cmd(hub *h, const cJSON *req) {
  tip_cfg cfg;
  int64_t now_ms;
  char *user = NULL, *why = NULL, *logj = NULL, *feat = NULL;
  cand *c = NULL;
  size_t n = 0, i, pick = 0;
  hub__linucb model;
  int have_model, en[N_POLICIES], order[N_POLICIES], no = 0, served = -1, k, explored;
  double *score = NULL, *prob = NULL, *pserve = NULL, *sserve = NULL, u, acc;
  uint64_t seed, rng;
  const cJSON *jseed = cJSON_GetObjectItemCaseSensitive(req, "seed"),
              *jtz = cJSON_GetObjectItemCaseSensitive(req, "tz_offset_min");
  cJSON *res = NULL, *pol = NULL, *fallback = NULL;
  sqlite3_stmt *st = NULL;

  memset(&model, 0, sizeof model);
  if (get_now(req, &now_ms)) return hub__error_json(HUB_E_BAD_REQUEST, "tip needs \"now\" (ms)");
  if (jseed && (!cJSON_IsNumber(jseed) || jseed->valuedouble < 0))
    return hub__error_json(HUB_E_BAD_TYPE, "\"seed\" must be a non-negative number");
  user = get_user(h, req);
  if (!user) return hub__error_json(HUB_E_NOMEM, NULL);
  cfg_load(h, &cfg);
  if (cJSON_IsNumber(jtz) && fabs(jtz->valuedouble) <= 24 * 60) cfg.tz_offset_min = jtz->valuedouble;
  if (load_candidates(h, user, now_ms, &cfg, &c, &n)) {
    res = hub__error_json(HUB_E_DB, h->errmsg);
    goto done;
  }
  if (n == 0) {
    res = cJSON_CreateObject();
    cJSON_AddNullToObject(res, "tip");
    cJSON_AddStringToObject(res, "why", "nothing to do right now");
    cJSON_AddNumberToObject(res, "candidates", 0);
    goto done;
  }
  have_model = model_load(h, user, &cfg, &model) == 0;
  score = hub__malloc(n * sizeof(double) * 2 * (N_POLICIES + 1));
  pol = cJSON_CreateObject();
  fallback = cJSON_CreateArray();
  if (!score || !pol || !fallback) {
    res = hub__error_json(HUB_E_NOMEM, NULL);
    goto done;
  }
  prob = score + n * (size_t)N_POLICIES;
  {
    tip_ctx ctx;
    int sidx = policy_index(cfg.serve);
    ctx.c = c;
    ctx.n = n;
    ctx.model = have_model ? &model : NULL;
    ctx.cfg = &cfg;
    policy_enabled(h, en);
    if (sidx < 0) sidx = 0;
    /* the fallback order: the served policy, then the table's order */
    order[no++] = sidx;
    for (k = 0; k < N_POLICIES; k++)
      if (k != sidx) order[no++] = k;
    for (k = 0; k < no; k++) {
      int p = order[k];
      double *sc = score + n * (size_t)p, *pr = prob + n * (size_t)p;
      int ok;
      if (!en[p]) continue;
      ok = policies[p].fn(&ctx, sc, pr) == 0;
      if (ok) { /* the ε floor: every candidate keeps probability ≥ ε/n */
        double z = 0;
        for (i = 0; i < n; i++) z += pr[i] = (1.0 - cfg.epsilon) * pr[i] + cfg.epsilon / (double)n;
        for (i = 0; i < n; i++) pr[i] /= z;
        if (!(z > 0) || !isfinite(z)) ok = 0;
      }
      if (!ok) {
        en[p] = 0; /* failed: not served, not logged as a shadow */
        hub__push(fallback, cJSON_CreateString(policies[p].name));
        continue;
      }
      if (served < 0) served = p;
    }
  }
  if (served < 0) { /* every enabled policy failed (or none is enabled): uniform, as a last resort */
    int r = policy_index("random");
    tip_ctx ctx;
    ctx.c = c; ctx.n = n; ctx.model = NULL; ctx.cfg = &cfg;
    pol_random(&ctx, score + n * (size_t)r, prob + n * (size_t)r);
    served = r;
    en[r] = 1;
  }
  pserve = prob + n * (size_t)served;
  sserve = score + n * (size_t)served;
  if (cJSON_IsNumber(jseed)) seed = (uint64_t)jseed->valuedouble;
  else seed = mix64((uint64_t)now_ms ^ mix64((uint64_t)last_decision_id(h)));
  rng = mix64(seed) | 1u;
  u = unif(&rng);
  acc = 0;
  pick = n - 1;
  for (i = 0; i < n; i++) {
    acc += pserve[i];
    if (u < acc) {
      pick = i;
      break;
    }
  }
  {
    size_t g = 0;
    for (i = 1; i < n; i++)
      if (pserve[i] > pserve[g]) g = i;
    explored = g != pick;
  }
  /* per-policy record: its own greedy choice and its probability of the served item */
  for (k = 0; k < N_POLICIES; k++) {
    double *pr = prob + n * (size_t)k;
    size_t g = 0;
    cJSON *o;
    if (!en[k]) continue;
    for (i = 1; i < n; i++)
      if (pr[i] > pr[g]) g = i;
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "choice", c[g].key);
    cJSON_AddNumberToObject(o, "p", pr[pick]);
    cJSON_AddNumberToObject(o, "score", score[n * (size_t)k + pick]);
    hub__put(pol, policies[k].name, o);
  }
  why = why_words(&c[pick], have_model ? &model : NULL, policies[served].name, explored);
  logj = cJSON_PrintUnformatted(pol);
  {
    cJSON *fj = features_json(c[pick].x);
    feat = fj ? cJSON_PrintUnformatted(fj) : NULL;
    cJSON_Delete(fj);
  }
  if (!why || !logj || !feat) {
    res = hub__error_json(HUB_E_NOMEM, NULL);
    goto done;
  }
  {
    char *fbs = cJSON_PrintUnformatted(fallback);
    if (sqlite3_prepare_v2(h->db,
                           "INSERT INTO tip_decisions(user,at,item_id,item_key,policy,fallback,features,"
                           "score,propensity,candidates,explore,epsilon,seed,policies,why) "
                           "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK) {
      hub_free(fbs);
      res = hub__error_json(HUB_E_DB, sqlite3_errmsg(h->db));
      goto done;
    }
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now_ms);
    sqlite3_bind_int64(st, 3, c[pick].id);
    sqlite3_bind_text(st, 4, c[pick].key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, policies[served].name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, fbs ? fbs : "[]", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 7, feat, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 8, sserve[pick]);
    sqlite3_bind_double(st, 9, pserve[pick]);
    sqlite3_bind_int64(st, 10, (int64_t)n);
    sqlite3_bind_text(st, 11, cfg.explore_softmax ? "softmax" : "egreedy", -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 12, cfg.epsilon);
    sqlite3_bind_int64(st, 13, (int64_t)(seed & 0x7fffffffffffffffULL));
    sqlite3_bind_text(st, 14, logj, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 15, why, -1, SQLITE_STATIC);
    hub_free(fbs);
    if (sqlite3_step(st) != SQLITE_DONE) {
      res = hub__error_json(HUB_E_DB, sqlite3_errmsg(h->db));
      goto done;
    }
  }
  res = cJSON_CreateObject();
  hub__put(res, "tip", item_json(h, c[pick].id));
  cJSON_AddStringToObject(res, "why", why);
  cJSON_AddNumberToObject(res, "decision", (double)sqlite3_last_insert_rowid(h->db));
  cJSON_AddStringToObject(res, "policy", policies[served].name);
  cJSON_AddNumberToObject(res, "propensity", pserve[pick]);
  cJSON_AddNumberToObject(res, "score", sserve[pick]);
  cJSON_AddBoolToObject(res, "explored", explored);
  cJSON_AddNumberToObject(res, "candidates", (double)n);
  hub__put(res, "fallback", fallback);
  fallback = NULL;
  if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "debug"))) {
    cJSON *dist = cJSON_AddArrayToObject(res, "distribution");
    for (i = 0; i < n; i++) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "key", c[i].key);
      cJSON_AddNumberToObject(o, "p", pserve[i]);
      cJSON_AddNumberToObject(o, "score", sserve[i]);
      hub__push(dist, o);
    }
    hub__put(res, "policies", pol);
    pol = NULL;
    hub__put(res, "features", features_json(c[pick].x));
  }
done:
  sqlite3_finalize(st);
  hub__linucb_free(&model);
  cands_free(c, n);
  hub_free(score);
  hub_free(user);
  hub_free(why);
  hub_free(logj);
  hub_free(feat);
  cJSON_Delete(pol);
  cJSON_Delete(fallback);
  return res;
}

/* ---- feedback -------------------------------------------------------------------------- */

static int exec_bind(hub *h, const char *sql, const char *t1, int64_t i2, int64_t i3) {
  sqlite3_stmt *st = NULL;
  int rc;
  if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK) goto fail;
  if (t1) sqlite3_bind_text(st, 1, t1, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, i2);
  sqlite3_bind_int64(st, 3, i3);
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc == SQLITE_DONE) return 0;
fail:
  hub__set_err(h, "sqlite: %s", sqlite3_errmsg(h->db));
  return -1;
}

static int parse_features(const char *text, double *x) {
  cJSON *a = text ? cJSON_Parse(text) : NULL, *e;
  int i = 0, ok = cJSON_IsArray(a) && cJSON_GetArraySize(a) == TIP_D;
  cJSON_ArrayForEach(e, a) {
    if (!ok || !cJSON_IsNumber(e)) { ok = 0; break; }
    x[i++] = e->valuedouble;
  }
  cJSON_Delete(a);
  return ok ? 0 : -1;
}

cJSON *hub__tip_feedback_cmd(hub *h, const cJSON *req) {
  const cJSON *jd = cJSON_GetObjectItemCaseSensitive(req, "decision"),
              *jr = cJSON_GetObjectItemCaseSensitive(req, "reaction"),
              *js = cJSON_GetObjectItemCaseSensitive(req, "snooze_until"),
              *jl = cJSON_GetObjectItemCaseSensitive(req, "latency_us");
  int64_t now_ms, decision, item_id = 0, until = 0;
  int has_item = 0, ri = -1, in_tx = 0, model_ok = 0;
  char *user = NULL, *feat = NULL;
  double x[TIP_D], r = 0;
  tip_cfg cfg;
  hub__linucb m;
  sqlite3_stmt *st = NULL;
  cJSON *res = NULL;
  memset(&m, 0, sizeof m);
  if (get_now(req, &now_ms)) return hub__error_json(HUB_E_BAD_REQUEST, "tip_feedback needs \"now\" (ms)");
  if (!cJSON_IsNumber(jd) || jd->valuedouble < 1)
    return hub__error_json(HUB_E_BAD_REQUEST, "tip_feedback needs \"decision\" (the id tip returned)");
  decision = (int64_t)jd->valuedouble;
  if (jr && (!cJSON_IsString(jr) || (ri = reaction_index(jr->valuestring)) < 0))
    return hub__error_json(HUB_E_BAD_REQUEST,
                           "\"reaction\" is one of done, snooze, dismiss, helpful, not_helpful");
  if (!jr && !cJSON_IsNumber(jl))
    return hub__error_json(HUB_E_BAD_REQUEST, "tip_feedback needs a \"reaction\" (or \"latency_us\")");
  if (js && !cJSON_IsNull(js) && !cJSON_IsNumber(js))
    return hub__error_json(HUB_E_BAD_TYPE, "\"snooze_until\" must be a time in ms");
  cfg_load(h, &cfg);
  if (sqlite3_prepare_v2(h->db, "SELECT user,item_id,features FROM tip_decisions WHERE id=?", -1,
                         &st, NULL) != SQLITE_OK) {
    res = hub__error_json(HUB_E_DB, sqlite3_errmsg(h->db));
    goto done;
  }
  sqlite3_bind_int64(st, 1, decision);
  if (sqlite3_step(st) != SQLITE_ROW) {
    res = hub__error_json(HUB_E_NOT_FOUND, "no decision with that id");
    goto done;
  }
  user = hub__strdup((const char *)sqlite3_column_text(st, 0));
  has_item = sqlite3_column_type(st, 1) != SQLITE_NULL;
  item_id = sqlite3_column_int64(st, 1);
  feat = hub__strdup((const char *)sqlite3_column_text(st, 2));
  sqlite3_finalize(st);
  st = NULL;
  if (!user || !feat) {
    res = hub__error_json(HUB_E_NOMEM, NULL);
    goto done;
  }
  if (hub__store_begin(h)) {
    res = hub__error_json(HUB_E_DB, h->errmsg);
    goto done;
  }
  in_tx = 1;
  if (cJSON_IsNumber(jl) && jl->valuedouble >= 0 &&
      exec_bind(h, "UPDATE tip_decisions SET latency_us=?2 WHERE id=?3", NULL,
                (int64_t)jl->valuedouble, decision))
    goto db;
  res = cJSON_CreateObject();
  cJSON_AddNumberToObject(res, "decision", (double)decision);
  if (ri < 0) goto commit;
  r = cfg.reward[ri];
  if (ri == 1) { /* snooze: until the given time, else an hour */
    until = cJSON_IsNumber(js) && js->valuedouble > (double)now_ms ? (int64_t)js->valuedouble
                                                                   : now_ms + 3600000;
  }
  if (sqlite3_prepare_v2(h->db,
                         "INSERT OR IGNORE INTO tip_reactions(decision_id,at,reaction,reward,snooze_until)"
                         " VALUES(?,?,?,?,?)",
                         -1, &st, NULL) != SQLITE_OK)
    goto db;
  sqlite3_bind_int64(st, 1, decision);
  sqlite3_bind_int64(st, 2, now_ms);
  sqlite3_bind_text(st, 3, reward_names[ri].name, -1, SQLITE_STATIC);
  sqlite3_bind_double(st, 4, r);
  if (until) sqlite3_bind_int64(st, 5, until);
  else sqlite3_bind_null(st, 5);
  if (sqlite3_step(st) != SQLITE_DONE) goto db;
  sqlite3_finalize(st);
  st = NULL;
  cJSON_AddStringToObject(res, "reaction", reward_names[ri].name);
  if (sqlite3_changes(h->db) == 0) { /* the same reaction twice: recorded once, learned once */
    cJSON_AddBoolToObject(res, "duplicate", 1);
    goto commit;
  }
  cJSON_AddNumberToObject(res, "reward", r);
  if (sqlite3_prepare_v2(h->db, "UPDATE tip_decisions SET reward=coalesce(reward,0)+? WHERE id=?",
                         -1, &st, NULL) != SQLITE_OK)
    goto db;
  sqlite3_bind_double(st, 1, r);
  sqlite3_bind_int64(st, 2, decision);
  if (sqlite3_step(st) != SQLITE_DONE) goto db;
  sqlite3_finalize(st);
  st = NULL;
  if (has_item && (ri == 0 || ri == 1 || ri == 2)) {
    const char *state = ri == 0 ? "done" : ri == 1 ? "snoozed" : "dismissed";
    if (sqlite3_prepare_v2(h->db,
                           "INSERT OR REPLACE INTO tip_item_state(user,item_id,state,until,item_hash,at)"
                           " VALUES(?1,?2,?3,?4,(SELECT hash FROM items WHERE id=?2),?5)",
                           -1, &st, NULL) != SQLITE_OK)
      goto db;
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, item_id);
    sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
    if (until) sqlite3_bind_int64(st, 4, until);
    else sqlite3_bind_null(st, 4);
    sqlite3_bind_int64(st, 5, now_ms);
    if (sqlite3_step(st) != SQLITE_DONE) goto db;
    sqlite3_finalize(st);
    st = NULL;
    if (until) cJSON_AddNumberToObject(res, "snooze_until", (double)until);
  }
  /* learn: LinUCB updates from the logged features whichever policy served */
  if (parse_features(feat, x) == 0 && model_load(h, user, &cfg, &m) == 0) {
    if (hub__linucb_update(&m, x, r) == 0) {
      if (model_save(h, user, &m, now_ms)) goto db;
      model_ok = 1;
      cJSON_AddNumberToObject(res, "updates", (double)m.updates);
    }
  }
  if (!model_ok) cJSON_AddStringToObject(res, "model_error", "the model could not learn from this reaction");
commit:
  if (hub__store_commit(h)) {
    in_tx = 0;
    goto db;
  }
  in_tx = 0;
  cJSON_AddBoolToObject(res, "ok", 1);
  goto done;
db:
  cJSON_Delete(res);
  res = hub__error_json(HUB_E_DB, h->errmsg[0] ? h->errmsg : sqlite3_errmsg(h->db));
done:
  sqlite3_finalize(st);
  if (in_tx) hub__store_rollback(h);
  hub__linucb_free(&m);
  hub_free(user);
  hub_free(feat);
  return res;
}

/* ---- stats, reset, policies ------------------------------------------------------------ */

cJSON *hub__tip_stats_cmd(hub *h, const cJSON *req) {
  char *user = get_user(h, req);
  tip_cfg cfg;
  int en[N_POLICIES], k;
  sqlite3_stmt *st = NULL;
  cJSON *res, *arr, *reac, *recent;
  hub__linucb m;
  const cJSON *lim = cJSON_GetObjectItemCaseSensitive(req, "recent");
  int nrecent = cJSON_IsNumber(lim) && lim->valuedouble >= 0 && lim->valuedouble <= 500
                    ? (int)lim->valuedouble : 20;
  if (!user) return hub__error_json(HUB_E_NOMEM, NULL);
  cfg_load(h, &cfg);
  policy_enabled(h, en);
  res = cJSON_CreateObject();
  cJSON_AddStringToObject(res, "user", user);
  arr = cJSON_AddArrayToObject(res, "policies");
  for (k = 0; k < N_POLICIES; k++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", policies[k].name);
    cJSON_AddBoolToObject(o, "enabled", en[k]);
    cJSON_AddBoolToObject(o, "serving", strcmp(cfg.serve, policies[k].name) == 0);
    if (sqlite3_prepare_v2(h->db,
                           "SELECT count(*), count(reward), coalesce(sum(reward),0) FROM tip_decisions"
                           " WHERE user=? AND policy=?",
                           -1, &st, NULL) == SQLITE_OK) {
      sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 2, policies[k].name, -1, SQLITE_STATIC);
      if (sqlite3_step(st) == SQLITE_ROW) {
        double rewarded = (double)sqlite3_column_int64(st, 1), sum = sqlite3_column_double(st, 2);
        cJSON_AddNumberToObject(o, "pulls", (double)sqlite3_column_int64(st, 0));
        cJSON_AddNumberToObject(o, "rewarded", rewarded);
        cJSON_AddNumberToObject(o, "reward_sum", sum);
        cJSON_AddNumberToObject(o, "reward_mean", rewarded > 0 ? sum / rewarded : 0);
      }
    }
    sqlite3_finalize(st);
    st = NULL;
    hub__push(arr, o);
  }
  reac = cJSON_AddObjectToObject(res, "reactions");
  for (k = 0; k < N_REACTIONS; k++) cJSON_AddNumberToObject(reac, reward_names[k].name, 0);
  if (sqlite3_prepare_v2(h->db,
                         "SELECT r.reaction, count(*) FROM tip_reactions r JOIN tip_decisions d"
                         " ON d.id=r.decision_id WHERE d.user=? GROUP BY r.reaction",
                         -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
      const char *name = (const char *)sqlite3_column_text(st, 0);
      cJSON_DeleteItemFromObjectCaseSensitive(reac, name);
      cJSON_AddNumberToObject(reac, name, (double)sqlite3_column_int64(st, 1));
    }
  }
  sqlite3_finalize(st);
  st = NULL;
  if (model_load(h, user, &cfg, &m) == 0) {
    hub__put(res, "model", hub__linucb_json(&m, 0));
    hub__linucb_free(&m);
  } else {
    cJSON_AddNullToObject(res, "model");
  }
  {
    cJSON *f = cJSON_AddArrayToObject(res, "features");
    for (k = 0; k < TIP_D; k++) hub__push(f, cJSON_CreateString(feature_names[k]));
  }
  recent = cJSON_AddArrayToObject(res, "recent");
  if (sqlite3_prepare_v2(h->db,
                         "SELECT id,at,item_key,policy,propensity,score,reward,latency_us,why,candidates"
                         " FROM tip_decisions WHERE user=? ORDER BY id DESC LIMIT ?",
                         -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, nrecent);
    while (sqlite3_step(st) == SQLITE_ROW) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddNumberToObject(o, "decision", (double)sqlite3_column_int64(st, 0));
      cJSON_AddNumberToObject(o, "at", (double)sqlite3_column_int64(st, 1));
      cJSON_AddStringToObject(o, "key", (const char *)sqlite3_column_text(st, 2));
      cJSON_AddStringToObject(o, "policy", (const char *)sqlite3_column_text(st, 3));
      cJSON_AddNumberToObject(o, "propensity", sqlite3_column_double(st, 4));
      cJSON_AddNumberToObject(o, "score", sqlite3_column_double(st, 5));
      if (sqlite3_column_type(st, 6) == SQLITE_NULL) cJSON_AddNullToObject(o, "reward");
      else cJSON_AddNumberToObject(o, "reward", sqlite3_column_double(st, 6));
      if (sqlite3_column_type(st, 7) == SQLITE_NULL) cJSON_AddNullToObject(o, "latency_us");
      else cJSON_AddNumberToObject(o, "latency_us", (double)sqlite3_column_int64(st, 7));
      cJSON_AddStringToObject(o, "why", (const char *)sqlite3_column_text(st, 8));
      cJSON_AddNumberToObject(o, "candidates", (double)sqlite3_column_int64(st, 9));
      hub__push(recent, o);
    }
  }
  sqlite3_finalize(st);
  hub_free(user);
  return res;
}

cJSON *hub__tip_reset_cmd(hub *h, const cJSON *req) {
  char *user = get_user(h, req);
  int logs = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "logs"));
  int items = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "items"));
  cJSON *res;
  long models = 0, decisions = 0, states = 0;
  if (!user) return hub__error_json(HUB_E_NOMEM, NULL);
  if (hub__store_begin(h)) goto db;
  if (exec_bind(h, "DELETE FROM tip_models WHERE user=?1 AND ?2=?3", user, 0, 0)) goto db_tx;
  models = sqlite3_changes(h->db);
  if (logs) {
    if (exec_bind(h, "DELETE FROM tip_decisions WHERE user=?1 AND ?2=?3", user, 0, 0)) goto db_tx;
    decisions = sqlite3_changes(h->db);
  }
  if (items) {
    if (exec_bind(h, "DELETE FROM tip_item_state WHERE user=?1 AND ?2=?3", user, 0, 0)) goto db_tx;
    states = sqlite3_changes(h->db);
  }
  if (hub__store_commit(h)) goto db;
  res = cJSON_CreateObject();
  cJSON_AddBoolToObject(res, "ok", 1);
  cJSON_AddNumberToObject(res, "models", (double)models);
  cJSON_AddNumberToObject(res, "decisions", (double)decisions);
  cJSON_AddNumberToObject(res, "item_states", (double)states);
  hub_free(user);
  return res;
db_tx:
  hub__store_rollback(h);
db:
  hub_free(user);
  return hub__error_json(HUB_E_DB, h->errmsg);
}

static cJSON *policies_json(hub *h) {
  tip_cfg cfg;
  int en[N_POLICIES], k;
  cJSON *res = cJSON_CreateObject(), *arr, *rw;
  cfg_load(h, &cfg);
  policy_enabled(h, en);
  cJSON_AddStringToObject(res, "serve", cfg.serve);
  cJSON_AddStringToObject(res, "explore", cfg.explore_softmax ? "softmax" : "egreedy");
  cJSON_AddNumberToObject(res, "alpha", cfg.alpha);
  cJSON_AddNumberToObject(res, "epsilon", cfg.epsilon);
  cJSON_AddNumberToObject(res, "temperature", cfg.temperature);
  cJSON_AddNumberToObject(res, "lambda", cfg.lambda);
  cJSON_AddNumberToObject(res, "gamma", cfg.gamma);
  cJSON_AddNumberToObject(res, "tz_offset_min", cfg.tz_offset_min);
  rw = cJSON_AddObjectToObject(res, "rewards");
  for (k = 0; k < N_REACTIONS; k++) cJSON_AddNumberToObject(rw, reward_names[k].name, cfg.reward[k]);
  arr = cJSON_AddArrayToObject(res, "policies");
  for (k = 0; k < N_POLICIES; k++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", policies[k].name);
    cJSON_AddBoolToObject(o, "enabled", en[k]);
    cJSON_AddStringToObject(o, "role", !en[k] ? "off" : strcmp(cfg.serve, policies[k].name) == 0 ? "serve" : "shadow");
    cJSON_AddStringToObject(o, "description", policies[k].description);
    hub__push(arr, o);
  }
  return res;
}

cJSON *hub__tip_policies_cmd(hub *h, const cJSON *req) {
  const cJSON *set = cJSON_GetObjectItemCaseSensitive(req, "set"), *e;
  char msg[200], num[40];
  if (!set) return policies_json(h);
  if (!cJSON_IsObject(set)) return hub__error_json(HUB_E_BAD_TYPE, "\"set\" must be an object");
  if (hub__store_begin(h)) return hub__error_json(HUB_E_DB, h->errmsg);
  cJSON_ArrayForEach(e, set) {
    const char *k = e->string;
    if (strcmp(k, "serve") == 0) {
      if (!cJSON_IsString(e) || policy_index(e->valuestring) < 0) goto bad;
      if (cfg_set(h, "serve", e->valuestring)) goto db;
    } else if (strcmp(k, "explore") == 0) {
      if (!cJSON_IsString(e) || (strcmp(e->valuestring, "egreedy") && strcmp(e->valuestring, "softmax"))) goto bad;
      if (cfg_set(h, "explore", e->valuestring)) goto db;
    } else if (strcmp(k, "enabled") == 0) {
      const cJSON *p;
      if (!cJSON_IsObject(e)) goto bad;
      cJSON_ArrayForEach(p, e) {
        if (policy_index(p->string) < 0 || !cJSON_IsBool(p)) goto bad;
        if (exec_bind(h, "INSERT OR REPLACE INTO tip_policies(name,enabled) VALUES(?1,?2+?3)",
                      p->string, cJSON_IsTrue(p), 0))
          goto db;
      }
    } else if (strcmp(k, "rewards") == 0) {
      const cJSON *p;
      if (!cJSON_IsObject(e)) goto bad;
      cJSON_ArrayForEach(p, e) {
        char key[48];
        if (reaction_index(p->string) < 0 || !cJSON_IsNumber(p) || fabs(p->valuedouble) > 10) goto bad;
        snprintf(key, sizeof key, "reward_%s", p->string);
        snprintf(num, sizeof num, "%.17g", p->valuedouble);
        if (cfg_set(h, key, num)) goto db;
      }
    } else {
      double v = cJSON_IsNumber(e) ? e->valuedouble : NAN;
      int ok = strcmp(k, "alpha") == 0 ? v >= 0 && v <= 100
               : strcmp(k, "epsilon") == 0 ? v >= 0 && v <= 1
               : strcmp(k, "temperature") == 0 ? v > 0 && v <= 100
               : strcmp(k, "lambda") == 0 ? v > 0 && v <= 1e6
               : strcmp(k, "gamma") == 0 ? v > 0 && v <= 1
               : strcmp(k, "tz_offset_min") == 0 ? fabs(v) <= 24 * 60
               : -1;
      if (ok < 0) {
        hub__store_rollback(h);
        snprintf(msg, sizeof msg, "unknown tip setting \"%.100s\"", k);
        return hub__error_json(HUB_E_BAD_REQUEST, msg);
      }
      if (!ok) goto bad;
      snprintf(num, sizeof num, "%.17g", v);
      if (cfg_set(h, k, num)) goto db;
    }
  }
  if (hub__store_commit(h)) return hub__error_json(HUB_E_DB, h->errmsg);
  return policies_json(h);
bad:
  hub__store_rollback(h);
  snprintf(msg, sizeof msg, "tip setting \"%.100s\" has a wrong type or value", e->string);
  return hub__error_json(HUB_E_BAD_TYPE, msg);
db:
  hub__store_rollback(h);
  return hub__error_json(HUB_E_DB, h->errmsg);
}

/* ---- offline evaluation ---------------------------------------------------------------- */

typedef struct {
  int a, target; /* logged action, the target's own (greedy or sampled) action */
  double r, p, pi; /* reward, logging propensity, target's probability of a */
} ope_row;

static void ope_finish(const ope_row *rows, long n, hub__ope *out) {
  double sw = 0, swr = 0, sr = 0, smr = 0;
  long i, matched = 0;
  for (i = 0; i < n; i++) {
    double w = rows[i].pi / rows[i].p;
    sw += w;
    swr += w * rows[i].r;
    sr += rows[i].r;
    if (rows[i].target == rows[i].a) {
      matched++;
      smr += rows[i].r;
    }
  }
  out->n = n;
  out->matched = matched;
  out->replay = matched ? smr / (double)matched : 0;
  out->ipw = n ? swr / (double)n : 0;
  out->snipw = sw > 0 ? swr / sw : 0;
  out->logged = n ? sr / (double)n : 0;
}

/* Splits line [p, end) at commas into fields (pointers into the line, not terminated). */
static int split_csv(const char *p, const char *end, const char **f, size_t *flen, int max) {
  int n = 0;
  while (n < max) {
    const char *q = p;
    while (q < end && *q != ',') q++;
    f[n] = p;
    flen[n] = (size_t)(q - p);
    n++;
    if (q >= end) break;
    p = q + 1;
  }
  return n;
}

static int field_num(const char *f, size_t n, double *out) {
  char buf[64], *e = NULL;
  if (n == 0 || n >= sizeof buf) return -1;
  memcpy(buf, f, n);
  buf[n] = 0;
  *out = strtod(buf, &e);
  return e == buf || *e || !isfinite(*out) ? -1 : 0;
}

#define OBD_MAX_COLS (HUB_OPE_MAX_ACTIONS + 64)

int hub__ope_obd(const char *csv, size_t len, const char *policy, int position, uint64_t seed,
                 int actions, hub__ope *out, char *err, size_t errlen) {
  const char *p = csv, *end = csv + len, **f = NULL;
  size_t *flen = NULL;
  int *affcol = NULL, nf, i, c_item = -1, c_pos = -1, c_click = -1, c_prop = -1, fixed = -1;
  int mode; /* 0 uniform, 1 fixed item, 2 affinity argmax */
  long nrows = 0, cap = 0, line = 1;
  ope_row *rows = NULL;
  uint64_t rng = mix64(seed) | 1u;
  int ret = -1, max_item = -1;
  memset(out, 0, sizeof *out);
  if (strcmp(policy, "uniform") == 0) mode = 0;
  else if (strcmp(policy, "affinity") == 0) mode = 2;
  else if (strncmp(policy, "item:", 5) == 0 && policy[5] >= '0' && policy[5] <= '9') {
    mode = 1;
    fixed = atoi(policy + 5);
  } else {
    snprintf(err, errlen, "unknown OBD policy \"%.60s\" (uniform, item:K, affinity)", policy);
    return -1;
  }
  f = hub__malloc(OBD_MAX_COLS * sizeof *f);
  flen = hub__malloc(OBD_MAX_COLS * sizeof *flen);
  affcol = hub__malloc(OBD_MAX_COLS * sizeof *affcol);
  if (!f || !flen || !affcol) goto oom;
  { /* header */
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    if (le > p && le[-1] == '\r') le--;
    nf = split_csv(p, le, f, flen, OBD_MAX_COLS);
    for (i = 0; i < nf; i++) {
      affcol[i] = -1;
#define COL(name) (flen[i] == sizeof(name) - 1 && memcmp(f[i], name, flen[i]) == 0)
      if (COL("item_id")) c_item = i;
      else if (COL("position")) c_pos = i;
      else if (COL("click")) c_click = i;
      else if (COL("propensity_score") || COL("action_prob")) c_prop = i;
      else if (flen[i] > 19 && memcmp(f[i], "user-item_affinity_", 19) == 0) {
        double k;
        if (field_num(f[i] + 19, flen[i] - 19, &k) == 0 && k >= 0 && k < HUB_OPE_MAX_ACTIONS)
          affcol[i] = (int)k;
      }
#undef COL
    }
    if (c_item < 0 || c_click < 0 || c_prop < 0) {
      snprintf(err, errlen, "the CSV needs item_id, click and propensity_score columns");
      goto done;
    }
    p = nl ? nl + 1 : end;
  }
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
    double item, click, prop, pos = 0;
    int n, a;
    double best = -INFINITY;
    int best_a = -1;
    line++;
    if (le > p && le[-1] == '\r') le--;
    if (le == p) {
      p = nl ? nl + 1 : end;
      continue;
    }
    n = split_csv(p, le, f, flen, OBD_MAX_COLS);
    if (n != nf || field_num(f[c_item], flen[c_item], &item) || field_num(f[c_click], flen[c_click], &click) ||
        field_num(f[c_prop], flen[c_prop], &prop) ||
        (c_pos >= 0 && field_num(f[c_pos], flen[c_pos], &pos)) || item < 0 ||
        item >= HUB_OPE_MAX_ACTIONS || item != floor(item) || !(prop > 0) || prop > 1) {
      snprintf(err, errlen, "malformed OBD row at line %ld", line);
      goto done;
    }
    p = nl ? nl + 1 : end;
    a = (int)item;
    if (a > max_item) max_item = a;
    if (position > 0 && (int)pos != position) continue;
    if (mode == 2) {
      for (i = 0; i < nf; i++) {
        double v;
        if (affcol[i] < 0) continue;
        if (field_num(f[i], flen[i], &v)) {
          snprintf(err, errlen, "malformed affinity at line %ld", line);
          goto done;
        }
        if (v > best || (v == best && affcol[i] < best_a)) {
          best = v;
          best_a = affcol[i];
        }
      }
      if (best_a < 0) {
        snprintf(err, errlen, "policy \"affinity\" needs user-item_affinity_K columns");
        goto done;
      }
    }
    if (nrows >= HUB_OPE_MAX_ROWS) {
      snprintf(err, errlen, "more than %ld rows", (long)HUB_OPE_MAX_ROWS);
      goto done;
    }
    if (nrows == cap) {
      long nc = cap ? cap * 2 : 4096;
      ope_row *nr = hub__realloc(rows, (size_t)nc * sizeof *rows);
      if (!nr) goto oom;
      rows = nr;
      cap = nc;
    }
    rows[nrows].a = a;
    rows[nrows].r = click;
    rows[nrows].p = prop;
    rows[nrows].target = mode == 1 ? fixed : best_a; /* uniform: drawn below */
    nrows++;
  }
  if (actions <= 0) actions = max_item + 1;
  if (actions <= 0) actions = 1;
  for (i = 0; i < (int)nrows; i++) {
    ope_row *r = &rows[i];
    if (mode == 0) {
      r->pi = 1.0 / actions;
      r->target = (int)(unif(&rng) * actions);
    } else {
      r->pi = r->a == r->target ? 1.0 : 0.0;
    }
  }
  ope_finish(rows, nrows, out);
  out->actions = actions;
  ret = 0;
  goto done;
oom:
  snprintf(err, errlen, "out of memory");
done:
  hub_free(rows);
  hub_free(f);
  hub_free(flen);
  hub_free(affcol);
  return ret;
}

int hub__ope_log(hub *h, const char *user, const char *policy, hub__ope *out) {
  sqlite3_stmt *st = NULL;
  ope_row *rows = NULL;
  long n = 0, cap = 0;
  int ret = -1;
  memset(out, 0, sizeof *out);
  if (sqlite3_prepare_v2(h->db,
                         "SELECT item_key, propensity, policies, reward FROM tip_decisions"
                         " WHERE user=? AND reward IS NOT NULL ORDER BY id",
                         -1, &st, NULL) != SQLITE_OK) {
    hub__set_err(h, "sqlite: %s", sqlite3_errmsg(h->db));
    return -1;
  }
  sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *key = (const char *)sqlite3_column_text(st, 0);
    cJSON *pj = cJSON_Parse((const char *)sqlite3_column_text(st, 2));
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(pj, policy);
    const cJSON *pc = cJSON_GetObjectItemCaseSensitive(t, "choice"), *pp = cJSON_GetObjectItemCaseSensitive(t, "p");
    if (cJSON_IsString(pc) && cJSON_IsNumber(pp) && key && sqlite3_column_double(st, 1) > 0) {
      if (n == cap) {
        long nc = cap ? cap * 2 : 256;
        ope_row *nr = hub__realloc(rows, (size_t)nc * sizeof *rows);
        if (!nr) {
          cJSON_Delete(pj);
          hub__set_err(h, "out of memory");
          goto done;
        }
        rows = nr;
        cap = nc;
      }
      rows[n].a = 0;
      rows[n].target = strcmp(pc->valuestring, key) == 0 ? 0 : 1;
      rows[n].p = sqlite3_column_double(st, 1);
      rows[n].pi = pp->valuedouble;
      rows[n].r = sqlite3_column_double(st, 3);
      n++;
    }
    cJSON_Delete(pj);
  }
  ope_finish(rows, n, out);
  ret = 0;
done:
  sqlite3_finalize(st);
  hub_free(rows);
  return ret;
}

static cJSON *ope_json(const hub__ope *o, const char *source, const char *policy) {
  cJSON *r = cJSON_CreateObject();
  cJSON_AddStringToObject(r, "source", source);
  cJSON_AddStringToObject(r, "policy", policy);
  cJSON_AddNumberToObject(r, "events", (double)o->n);
  cJSON_AddNumberToObject(r, "matched", (double)o->matched);
  cJSON_AddNumberToObject(r, "replay", o->replay);
  cJSON_AddNumberToObject(r, "ipw", o->ipw);
  cJSON_AddNumberToObject(r, "snipw", o->snipw);
  cJSON_AddNumberToObject(r, "logged", o->logged);
  if (o->actions) cJSON_AddNumberToObject(r, "actions", o->actions);
  return r;
}

cJSON *hub__tip_eval_cmd(hub *h, const cJSON *req) {
  const cJSON *src = cJSON_GetObjectItemCaseSensitive(req, "source"),
              *pol = cJSON_GetObjectItemCaseSensitive(req, "policy");
  const char *source = cJSON_IsString(src) ? src->valuestring : "log";
  hub__ope o;
  if (!cJSON_IsString(pol)) return hub__error_json(HUB_E_BAD_REQUEST, "tip_eval needs a \"policy\"");
  if (strcmp(source, "log") == 0) {
    char *user = get_user(h, req);
    int rc;
    if (!user) return hub__error_json(HUB_E_NOMEM, NULL);
    if (policy_index(pol->valuestring) < 0) {
      hub_free(user);
      return hub__error_json(HUB_E_BAD_REQUEST, "policy is one of linucb, score_greedy, random");
    }
    rc = hub__ope_log(h, user, pol->valuestring, &o);
    hub_free(user);
    if (rc) return hub__error_json(HUB_E_DB, h->errmsg);
    return ope_json(&o, "log", pol->valuestring);
  }
  if (strcmp(source, "obd") == 0) {
    const cJSON *csv = cJSON_GetObjectItemCaseSensitive(req, "csv"),
                *pos = cJSON_GetObjectItemCaseSensitive(req, "position"),
                *seed = cJSON_GetObjectItemCaseSensitive(req, "seed"),
                *act = cJSON_GetObjectItemCaseSensitive(req, "actions");
    char err[160];
    if (!cJSON_IsString(csv)) return hub__error_json(HUB_E_BAD_REQUEST, "source \"obd\" needs the CSV text in \"csv\"");
    if (hub__ope_obd(csv->valuestring, strlen(csv->valuestring), pol->valuestring,
                     cJSON_IsNumber(pos) ? (int)pos->valuedouble : 0,
                     cJSON_IsNumber(seed) && seed->valuedouble >= 0 ? (uint64_t)seed->valuedouble : 1,
                     cJSON_IsNumber(act) && act->valuedouble > 0 && act->valuedouble <= HUB_OPE_MAX_ACTIONS
                         ? (int)act->valuedouble : 0,
                     &o, err, sizeof err))
      return hub__error_json(HUB_E_BAD_REQUEST, err);
    return ope_json(&o, "obd", pol->valuestring);
  }
  return hub__error_json(HUB_E_BAD_REQUEST, "\"source\" is \"log\" or \"obd\"");
}

/* ---- simulator ------------------------------------------------------------------------- */
/*
 * A synthetic user with hidden linear preferences θ* over the same 16 features (‖θ*‖ = 2.5,
 * Gaussian direction per user) plus an unmodelled per-candidate term η ~ N(0, 0.1²): the
 * expected reward of an item is u = clamp(θ*ᵀx + η, −1, 1). Reacting to a served tip, the user
 * marks it done with probability max(0,u), dismisses it with probability max(0,−u), and
 * snoozes it otherwise, so E[reward] = u with rewards done +1 / snooze 0 / dismiss −1. Each
 * step draws a fresh candidate set (items with log-uniform ages up to 400 days, staleness
 * within the age, log-uniform engagement, reasons and labels at rates like a busy inbox)
 * and moves the clock forward 0.5–12 h. Regret = Σ (max_candidates u − u_served), averaged
 * over users; every policy sees the same users, moments and candidates.
 *
 * Policies: random; score_greedy (hub's importance ranking); the seed design (LinUCB, d = 5:
 * quiet > 14 days as "overdue", age/365, priority = importance/(1+importance), hour/23,
 * weekday/6, α = 1, argmax); and hub's LinUCB (d = 16, α, λ, γ, ε-greedy or softmax).
 */

typedef struct {
  double theta[TIP_D];
} sim_user;

static double gauss(uint64_t *s) {
  double u1 = unif(s), u2 = unif(s);
  if (u1 < 1e-300) u1 = 1e-300;
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static void sim_item(uint64_t *s, hub__tip_item *it) {
  static const struct { unsigned flag; double rate; } rates[] = {
      {HUB_TIPF_REVIEW, 0.12}, {HUB_TIPF_MENTION, 0.10}, {HUB_TIPF_ASSIGNED, 0.15},
      {HUB_TIPF_AUTHORED, 0.20}, {HUB_TIPF_NOTIFY, 0.35}, {HUB_TIPF_GFI, 0.15},
      {HUB_TIPF_BUG, 0.20}, {HUB_TIPF_BLOCKING, 0.05}, {HUB_TIPF_OWN_REPO, 0.25}};
  size_t i;
  double contributor, labels;
  it->age_days = exp(unif(s) * log(401.0)) - 1.0;
  it->stale_days = unif(s) * it->age_days;
  it->engagement = floor(exp(unif(s) * log(61.0)) - 1.0);
  it->flags = 0;
  for (i = 0; i < sizeof rates / sizeof rates[0]; i++)
    if (unif(s) < rates[i].rate) it->flags |= rates[i].flag;
  contributor = it->flags & HUB_TIPF_AUTHORED ? 2.0 : 1.0;
  labels = it->flags & HUB_TIPF_BUG ? 1.5 : 1.0;
  it->importance = exp(-it->stale_days / 30.0) * (1.0 + log1p(it->engagement)) * labels * contributor;
}

static void seed_features(const hub__tip_item *it, int hour, int weekday, double *x) {
  x[0] = it->stale_days > 14 ? 1.0 : 0.0;
  x[1] = fmin(1.0, it->age_days / 365.0);
  x[2] = it->importance / (1.0 + it->importance);
  x[3] = hour / 23.0;
  x[4] = weekday / 6.0;
}

static size_t argmax(const double *v, size_t n) {
  size_t i, b = 0;
  for (i = 1; i < n; i++)
    if (v[i] > v[b]) b = i;
  return b;
}

static double react(uint64_t *s, double u) {
  double q = unif(s);
  if (u > 0 && q < u) return 1.0;
  if (u < 0 && q < -u) return -1.0;
  return 0.0;
}

int hub__tip_simulate(const hub__sim_cfg *cfg, hub__sim_result *res) {
  int K = cfg->candidates, user, t, p, ret = -1;
  size_t i;
  hub__tip_item *items = NULL;
  double *x = NULL, *xs = NULL, *u = NULL, *sc = NULL, *pr = NULL;
  hub__linucb ours, seedm;
  memset(res, 0, sizeof *res);
  memset(&ours, 0, sizeof ours);
  memset(&seedm, 0, sizeof seedm);
  if (K < 1 || K > 10000 || cfg->steps < 0 || cfg->users < 1) return -1;
  items = hub__malloc((size_t)K * sizeof *items);
  x = hub__malloc((size_t)K * TIP_D * sizeof *x);
  xs = hub__malloc((size_t)K * 5 * sizeof *xs);
  u = hub__malloc((size_t)K * sizeof *u);
  sc = hub__malloc((size_t)K * sizeof *sc);
  pr = hub__malloc((size_t)K * sizeof *pr);
  if (!items || !x || !xs || !u || !sc || !pr) goto done;
  for (user = 0; user < cfg->users; user++) {
    uint64_t world = mix64(cfg->seed * 1000003u + (uint64_t)user) | 1u, prs[HUB_SIM_POLICIES];
    double th[TIP_D], norm = 0, clock_h = 24.0 * 4 + 8; /* a Monday, 8 h */
    for (p = 0; p < HUB_SIM_POLICIES; p++) prs[p] = mix64(world + 77u * (uint64_t)(p + 1)) | 1u;
    for (i = 0; i < TIP_D; i++) {
      th[i] = gauss(&world);
      norm += th[i] * th[i];
    }
    for (i = 0; i < TIP_D; i++) th[i] *= 2.5 / sqrt(norm);
    hub__linucb_free(&ours);
    hub__linucb_free(&seedm);
    if (hub__linucb_init(&ours, TIP_D, cfg->alpha, cfg->lambda, cfg->gamma) ||
        hub__linucb_init(&seedm, 5, 1.0, 1.0, 1.0))
      goto done;
    for (t = 0; t < cfg->steps; t++) {
      int hour, weekday;
      double best = -INFINITY;
      size_t pick[HUB_SIM_POLICIES];
      clock_h += 0.5 + 11.5 * unif(&world);
      hour = (int)fmod(clock_h, 24.0);
      weekday = (int)fmod(floor(clock_h / 24.0), 7.0);
      for (i = 0; i < (size_t)K; i++) {
        double v = 0;
        int j;
        sim_item(&world, &items[i]);
        hub__tip_features(&items[i], hour, weekday, x + i * TIP_D);
        seed_features(&items[i], hour, weekday, xs + i * 5);
        for (j = 0; j < TIP_D; j++) v += th[j] * x[i * TIP_D + (size_t)j];
        v += 0.1 * gauss(&world);
        u[i] = fmax(-1.0, fmin(1.0, v));
        if (u[i] > best) best = u[i];
      }
      /* random */
      pick[HUB_SIM_RANDOM] = (size_t)(unif(&prs[HUB_SIM_RANDOM]) * K);
      if (pick[HUB_SIM_RANDOM] >= (size_t)K) pick[HUB_SIM_RANDOM] = (size_t)K - 1;
      /* score-greedy */
      for (i = 0; i < (size_t)K; i++) sc[i] = items[i].importance;
      pick[HUB_SIM_GREEDY] = argmax(sc, (size_t)K);
      /* the seed design */
      for (i = 0; i < (size_t)K; i++) sc[i] = hub__linucb_ucb(&seedm, xs + i * 5);
      pick[HUB_SIM_SEED] = argmax(sc, (size_t)K);
      /* hub's LinUCB with recorded-probability exploration */
      {
        double q = unif(&prs[HUB_SIM_LINUCB]), acc = 0;
        for (i = 0; i < (size_t)K; i++) sc[i] = hub__linucb_ucb(&ours, x + i * TIP_D);
        if (cfg->softmax) {
          if (softmax(sc, (size_t)K, cfg->temperature, pr)) goto done;
        } else {
          one_hot_argmax(sc, (size_t)K, pr);
        }
        pick[HUB_SIM_LINUCB] = (size_t)K - 1;
        for (i = 0; i < (size_t)K; i++) {
          acc += (1.0 - cfg->epsilon) * pr[i] + cfg->epsilon / K;
          if (q < acc) {
            pick[HUB_SIM_LINUCB] = i;
            break;
          }
        }
      }
      for (p = 0; p < HUB_SIM_POLICIES; p++) {
        double r = react(&prs[p], u[pick[p]]);
        res->regret[p] += best - u[pick[p]];
        res->reward[p] += r;
        if (p == HUB_SIM_SEED) hub__linucb_update(&seedm, xs + pick[p] * 5, r);
        if (p == HUB_SIM_LINUCB) hub__linucb_update(&ours, x + pick[p] * TIP_D, r);
      }
    }
  }
  for (p = 0; p < HUB_SIM_POLICIES; p++) {
    res->regret[p] /= cfg->users;
    res->reward[p] /= cfg->users;
  }
  ret = 0;
done:
  hub__linucb_free(&ours);
  hub__linucb_free(&seedm);
  hub_free(items);
  hub_free(x);
  hub_free(xs);
  hub_free(u);
  hub_free(sc);
  hub_free(pr);
  return ret;
}

void hub__sim_defaults(hub__sim_cfg *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->steps = 1000;
  cfg->users = 20;
  cfg->candidates = 50;
  cfg->seed = 1;
  cfg->alpha = DFLT_ALPHA;
  cfg->epsilon = DFLT_EPSILON;
  cfg->temperature = DFLT_TEMPERATURE;
  cfg->lambda = DFLT_LAMBDA;
  cfg->gamma = DFLT_GAMMA;
  cfg->softmax = strcmp(DFLT_EXPLORE, "softmax") == 0;
}

const char *const hub__sim_policy_names[HUB_SIM_POLICIES] = {"random", "score_greedy", "seed_linucb_d5",
                                                             "linucb"};

cJSON *hub__tip_simulate_cmd(hub *h, const cJSON *req) {
  hub__sim_cfg cfg;
  hub__sim_result r;
  cJSON *res, *reg, *rew;
  const cJSON *e;
  int p;
  (void)h;
  hub__sim_defaults(&cfg);
#define NUM(name, lo, hi, field, type)                                                   \
  e = cJSON_GetObjectItemCaseSensitive(req, name);                                       \
  if (e) {                                                                               \
    if (!cJSON_IsNumber(e) || !(e->valuedouble >= (lo)) || !(e->valuedouble <= (hi)))   \
      return hub__error_json(HUB_E_BAD_TYPE, "tip_simulate: \"" name "\" out of range"); \
    cfg.field = (type)e->valuedouble;                                                    \
  }
  NUM("steps", 0, 100000, steps, int)
  NUM("users", 1, 1000, users, int)
  NUM("candidates", 1, 1000, candidates, int)
  NUM("seed", 0, 9e15, seed, uint64_t)
  NUM("alpha", 0, 100, alpha, double)
  NUM("epsilon", 0, 1, epsilon, double)
  NUM("temperature", 1e-6, 100, temperature, double)
  NUM("lambda", 1e-6, 1e6, lambda, double)
  NUM("gamma", 1e-6, 1, gamma, double)
#undef NUM
  if ((double)cfg.steps * cfg.users * cfg.candidates > 2e8)
    return hub__error_json(HUB_E_TOO_BIG, "tip_simulate: steps × users × candidates over 2e8");
  e = cJSON_GetObjectItemCaseSensitive(req, "explore");
  if (cJSON_IsString(e)) cfg.softmax = strcmp(e->valuestring, "softmax") == 0;
  if (hub__tip_simulate(&cfg, &r)) return hub__error_json(HUB_E_NOMEM, NULL);
  res = cJSON_CreateObject();
  cJSON_AddNumberToObject(res, "steps", cfg.steps);
  cJSON_AddNumberToObject(res, "users", cfg.users);
  cJSON_AddNumberToObject(res, "candidates", cfg.candidates);
  reg = cJSON_AddObjectToObject(res, "regret");
  rew = cJSON_AddObjectToObject(res, "reward");
  for (p = 0; p < HUB_SIM_POLICIES; p++) {
    cJSON_AddNumberToObject(reg, hub__sim_policy_names[p], r.regret[p]);
    cJSON_AddNumberToObject(rew, hub__sim_policy_names[p], r.reward[p]);
  }
  return res;
}
