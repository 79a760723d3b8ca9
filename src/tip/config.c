/*
 * config.c — the tip's configuration and request helpers (tip layer). The configuration lives
 * in the settings table under "tip." (db/kv.c): serve, explore, alpha, epsilon, temperature,
 * lambda, gamma, tz_offset_min, reward_<reaction>.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "db/db.h"
#include "tip/tip_int.h"

const hub__tip_reward hub__tip_rewards[N_REACTIONS] = {
    {"done", 1.0}, {"snooze", 0.0}, {"dismiss", -1.0}, {"helpful", 0.5}, {"not_helpful", -0.5}};

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
  memset(c, 0, sizeof *c);
  v = cfg_get(h, "serve");
  snprintf(c->serve, sizeof c->serve, "%s", v ? v : "linucb");
  hub_free(v);
  v = cfg_get(h, "explore");
  c->explore_softmax = v ? strcmp(v, "softmax") == 0 : strcmp(DFLT_EXPLORE, "softmax") == 0;
  hub_free(v);
  c->alpha = cfg_num(h, "alpha", DFLT_ALPHA);
  c->epsilon = cfg_num(h, "epsilon", DFLT_EPSILON);
  c->temperature = cfg_num(h, "temperature", DFLT_TEMPERATURE);
  c->lambda = cfg_num(h, "lambda", DFLT_LAMBDA);
  c->gamma = cfg_num(h, "gamma", DFLT_GAMMA);
  c->tz_offset_min = cfg_num(h, "tz_offset_min", 0);
  if (!(fabs(c->tz_offset_min) <= 24 * 60)) c->tz_offset_min = 0;
  for (i = 0; i < N_REACTIONS; i++) {
    char k[40];
    snprintf(k, sizeof k, "reward_%s", hub__tip_rewards[i].name);
    c->reward[i] = cfg_num(h, k, hub__tip_rewards[i].dflt);
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
