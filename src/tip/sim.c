/*
 * sim.c — the simulator the tip's defaults were chosen with (tip layer; pure computation, no
 * database). See the comment below and tip.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tip/tip_int.h"

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
  double u1 = hub__tip_unif(s), u2 = hub__tip_unif(s);
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
  it->age_days = exp(hub__tip_unif(s) * log(401.0)) - 1.0;
  it->stale_days = hub__tip_unif(s) * it->age_days;
  it->engagement = floor(exp(hub__tip_unif(s) * log(61.0)) - 1.0);
  it->flags = 0;
  for (i = 0; i < sizeof rates / sizeof rates[0]; i++)
    if (hub__tip_unif(s) < rates[i].rate) it->flags |= rates[i].flag;
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
  double q = hub__tip_unif(s);
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
    uint64_t world = hub__mix64(cfg->seed * 1000003u + (uint64_t)user) | 1u, prs[HUB_SIM_POLICIES];
    double th[TIP_D], norm = 0, clock_h = 24.0 * 4 + 8; /* a Monday, 8 h */
    for (p = 0; p < HUB_SIM_POLICIES; p++) prs[p] = hub__mix64(world + 77u * (uint64_t)(p + 1)) | 1u;
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
      clock_h += 0.5 + 11.5 * hub__tip_unif(&world);
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
      pick[HUB_SIM_RANDOM] = (size_t)(hub__tip_unif(&prs[HUB_SIM_RANDOM]) * K);
      if (pick[HUB_SIM_RANDOM] >= (size_t)K) pick[HUB_SIM_RANDOM] = (size_t)K - 1;
      /* score-greedy */
      for (i = 0; i < (size_t)K; i++) sc[i] = items[i].importance;
      pick[HUB_SIM_GREEDY] = argmax(sc, (size_t)K);
      /* the seed design */
      for (i = 0; i < (size_t)K; i++) sc[i] = hub__linucb_ucb(&seedm, xs + i * 5);
      pick[HUB_SIM_SEED] = argmax(sc, (size_t)K);
      /* hub's LinUCB with recorded-probability exploration */
      {
        double q = hub__tip_unif(&prs[HUB_SIM_LINUCB]), acc = 0;
        for (i = 0; i < (size_t)K; i++) sc[i] = hub__linucb_ucb(&ours, x + i * TIP_D);
        if (cfg->softmax) {
          if (hub__tip_softmax(sc, (size_t)K, cfg->temperature, pr)) goto done;
        } else {
          hub__tip_onehot(sc, (size_t)K, pr);
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

