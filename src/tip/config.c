/*
 * config.c — the tip's configuration and request helpers (tip layer). The configuration lives
 * in the settings table under "tip." (db/kv.c): serve, explore, reward_<reaction> and the
 * numeric knobs of hub__tip_knobs (alpha, epsilon, half_life_days, fatigue …).
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "db/db.h"
#include "tip/tip_int.h"

const hub__tip_reward hub__tip_rewards[N_REACTIONS] = {
    {"done", 1.0}, {"snooze", 0.0}, {"dismiss", -1.0}, {"helpful", 0.5}, {"not_helpful", -0.5}};

#define K(name, lo, hi, dflt, what) {#name, offsetof(tip_cfg, name), lo, hi, dflt, what}
const hub__tip_knob hub__tip_knobs[] = {
    K(alpha, 0, 100, DFLT_ALPHA, "LinUCB: α0 of the schedule α_t = max(α_min, α0/√(1 + n_eff/alpha_n))"),
    K(alpha_min, 0, 100, DFLT_ALPHA_MIN, "LinUCB: the schedule's floor"),
    K(alpha_n, 0.01, 1e6, DFLT_ALPHA_N, "LinUCB: the evidence at which α has fallen by √2"),
    K(epsilon, 0, 1, DFLT_EPSILON, "the ε floor mixed into every served distribution"),
    K(eps_decay, 0, 1e6, DFLT_EPS_DECAY, "ε-greedy: c of ε_t = min(1, max(ε, c/√(1 + n_eff)))"),
    K(ts_scale, 0, 100, DFLT_TS_SCALE, "Thompson: v of θ̃ ~ N(θ, v²A⁻¹)"),
    K(ts_samples, 1, HUB_TIP_MAX_SAMPLES, DFLT_TS_SAMPLES, "Thompson: Monte Carlo draws per decision"),
    K(temperature, 1e-6, 100, DFLT_TEMPERATURE, "LinUCB with explore=softmax: τ"),
    K(lambda, 1e-6, 1e6, DFLT_LAMBDA, "the ridge prior's strength"),
    K(gamma, 1e-6, 1, DFLT_GAMMA, "forgetting per update (1 = none; the half-life is the default forgetting)"),
    K(half_life_days, 0, 36500, DFLT_HALF_LIFE_DAYS, "forgetting by time: evidence weighs half after this (0 = never)"),
    K(fatigue, 0, 10, DFLT_FATIGUE, "score penalty per view without a positive reaction"),
    K(fatigue_hours, 0.01, 1e5, DFLT_FATIGUE_HOURS, "half-life of the exposure count"),
    K(snooze_views, 0, 100, DFLT_SNOOZE_VIEWS, "views a snooze adds on top of the view itself"),
    K(ips_clip, 1, 1e6, DFLT_IPS_CLIP, "importance weights clamp(1/(n·p), 1, W); 1 = unweighted"),
    K(repo_effect, 0, 10, DFLT_REPO_EFFECT, "the weight of the repo's own effect (its affinity) in learned scores"),
    K(tz_offset_min, -1440, 1440, 0, "local time: minutes east of UTC"),
};
#undef K
const size_t hub__tip_nknobs = sizeof hub__tip_knobs / sizeof hub__tip_knobs[0];

static double *knob(tip_cfg *c, size_t k) { return (double *)(void *)((char *)c + hub__tip_knobs[k].off); }

void hub__tip_cfg_defaults(tip_cfg *c) {
  size_t k;
  int i;
  memset(c, 0, sizeof *c);
  snprintf(c->serve, sizeof c->serve, "%s", DFLT_SERVE);
  c->explore_softmax = strcmp(DFLT_EXPLORE, "softmax") == 0;
  for (k = 0; k < hub__tip_nknobs; k++) *knob(c, k) = hub__tip_knobs[k].dflt;
  for (i = 0; i < N_REACTIONS; i++) c->reward[i] = hub__tip_rewards[i].dflt;
}

static char *cfg_get(hub *h, const char *k) {
  char key[64];
  snprintf(key, sizeof key, "tip.%s", k);
  return hub__kv_get(h, key);
}

static double cfg_num(hub *h, const char *k, double dflt) {
  char key[64];
  snprintf(key, sizeof key, "tip.%s", k);
  return hub__kv_num(h, key, dflt);
}

int hub__tip_cfg_set(hub *h, const char *k, const char *v) {
  char key[64];
  snprintf(key, sizeof key, "tip.%s", k);
  return hub__kv_set(h, key, v);
}

void hub__tip_cfg_load(hub *h, tip_cfg *c) {
  char *v;
  int i;
  size_t k;
  hub__tip_cfg_defaults(c);
  v = cfg_get(h, "serve");
  if (v && strlen(v) < sizeof c->serve) snprintf(c->serve, sizeof c->serve, "%s", v);
  hub_free(v);
  v = cfg_get(h, "explore");
  if (v) c->explore_softmax = strcmp(v, "softmax") == 0;
  hub_free(v);
  for (k = 0; k < hub__tip_nknobs; k++) {
    const hub__tip_knob *kn = &hub__tip_knobs[k];
    double x = cfg_num(h, kn->name, kn->dflt);
    if (!(x >= kn->lo && x <= kn->hi)) x = kn->dflt; /* a stored value out of range: the default */
    *knob(c, k) = x;
  }
  for (i = 0; i < N_REACTIONS; i++) {
    char name[40];
    snprintf(name, sizeof name, "reward_%s", hub__tip_rewards[i].name);
    c->reward[i] = cfg_num(h, name, hub__tip_rewards[i].dflt);
  }
}

int hub__tip_reaction(const char *r) {
  int i;
  for (i = 0; i < N_REACTIONS; i++)
    if (strcmp(r, hub__tip_rewards[i].name) == 0) return i;
  return -1;
}

int hub__tip_now(const cJSON *req, int64_t *now_ms) {
  return hub__json_int(req, "now", 0, 9000000000000000LL, now_ms) == 1 ? 0 : -1;
}

char *hub__tip_user(hub *h, const cJSON *req) {
  const char *u = hub__json_str(req, "user");
  char *s;
  if (u && strlen(u) < 256) return hub__strdup(u);
  s = hub__kv_get(h, "github_user");
  return s ? s : hub__strdup("");
}
