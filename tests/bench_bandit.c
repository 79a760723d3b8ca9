/*
 * bench_bandit.c — benchmarks of "one tip" (not a test): microseconds per bandit decision
 * (choose among 200 candidates + one update, d = 16), the same through the command API with
 * SQLite (tip + tip_feedback over 200 stored items), and the cumulative regret after 1,000
 * simulated tips for random, score-greedy, the seed design (LinUCB d = 5, α = 1) and hub's
 * LinUCB (defaults). Prints one "name value unit" line per figure, then the regret table.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "hub_int.h"
#include "tip/bandit.h"
#include "tip/tip.h"
#include "db/db.h"
#include "items/items.h"

#define D 16
#define K 200

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static uint64_t rs = 99;
static double urand(void) { return (double)(hub__rand(&rs) >> 11) * (1.0 / 9007199254740992.0); }

static double bench_decision(void) {
  static double x[K][D], score[K];
  hub__linucb m;
  int i, j, t, rounds = 2000;
  double t0, sink = 0;
  for (i = 0; i < K; i++) {
    double n2 = 0;
    for (j = 0; j < D; j++) {
      x[i][j] = urand();
      n2 += x[i][j] * x[i][j];
    }
    for (j = 0; j < D; j++) x[i][j] /= sqrt(n2);
  }
  hub__linucb_init(&m, D, 0.25, 1.0, 1.0);
  t0 = now_us();
  for (t = 0; t < rounds; t++) {
    int best = 0, pick;
    double q = urand(), acc = 0;
    for (i = 0; i < K; i++) {
      score[i] = hub__linucb_ucb(&m, x[i]);
      if (score[i] > score[best]) best = i;
    }
    pick = K - 1;
    for (i = 0; i < K; i++) { /* ε-greedy with recorded probabilities, as tip.c serves */
      acc += (i == best ? 0.95 : 0.0) + 0.05 / K;
      if (q < acc) {
        pick = i;
        break;
      }
    }
    hub__linucb_update(&m, x[pick], urand() < 0.5 ? 1.0 : -1.0);
    sink += score[pick];
  }
  t0 = (now_us() - t0) / rounds;
  hub__linucb_free(&m);
  return sink == 12345.678 ? 0 : t0;
}

static double bench_api(void) {
  hub *h = NULL;
  char err[200], req[256];
  int i, rounds = 200;
  double t0;
  int64_t now = 1700000000000LL;
  if (hub_open(":memory:", NULL, &h, err, sizeof err)) return -1;
  hub__db_begin(h);
  for (i = 0; i < K; i++) {
    hub__item it;
    hub__upsert_result res;
    char key[64];
    memset(&it, 0, sizeof it);
    snprintf(key, sizeof key, "github.com/o/r#%d", i + 1);
    it.has = HUB_F_TITLE | HUB_F_LABELS | HUB_F_COMMENTS | HUB_F_UPDATED | HUB_F_CREATED;
    it.key = key;
    it.repo = "o/r";
    it.number = i + 1;
    it.title = "a title";
    it.labels = i % 3 ? "[\"bug\"]" : "[]";
    it.comments = i % 11;
    it.created_at = now / 1000 - 86400 * (i % 90);
    it.updated_at = now / 1000 - 3600 * (i % 300);
    it.reason = i % 4 ? HUB_R_subscribed : HUB_R_review_requested;
    hub__items_put(h, &it, now / 1000, &res, NULL);
  }
  hub__db_commit(h);
  t0 = now_us();
  for (i = 0; i < rounds; i++) {
    char *out;
    const char *d;
    long decision = 0;
    snprintf(req, sizeof req, "{\"cmd\":\"tip\",\"now\":%lld}", (long long)(now + i));
    out = hub_call(h, req);
    d = out ? strstr(out, "\"decision\":") : NULL;
    if (d) decision = strtol(d + 11, NULL, 10);
    hub_free(out);
    snprintf(req, sizeof req, "{\"cmd\":\"tip_feedback\",\"decision\":%ld,\"now\":%lld,\"reaction\":\"%s\"}",
             decision, (long long)(now + i), i % 2 ? "helpful" : "not_helpful");
    hub_free(hub_call(h, req));
  }
  t0 = (now_us() - t0) / rounds;
  hub_close(h);
  return t0;
}

int main(void) {
  hub__sim_cfg cfg;
  hub__sim_result r;
  int p;
  hub__mem_init();
  printf("bandit_decision_us %.2f us\n", bench_decision());
  printf("tip_call_us %.1f us\n", bench_api());
  hub__sim_defaults(&cfg);
  if (hub__tip_simulate(&cfg, &r)) return 1;
  printf("regret after %d simulated tips (mean of %d users, %d candidates per tip):\n", cfg.steps,
         cfg.users, cfg.candidates);
  printf("  %-16s %10s %12s\n", "policy", "regret", "reward");
  for (p = 0; p < HUB_SIM_POLICIES; p++)
    printf("  %-16s %10.1f %12.1f\n", hub__sim_policy_names[p], r.regret[p], r.reward[p]);
  printf("regret_ratio_linucb_vs_seed %.3f\n", r.regret[HUB_SIM_LINUCB] / r.regret[HUB_SIM_SEED]);
  return 0;
}
