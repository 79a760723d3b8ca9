/*
 * bandit_test.c — tests of "one tip": LinUCB's algebra against a direct Gauss–Jordan inverse
 * on random data, reward updates, persistence across hub_close/hub_open, policy fallback,
 * propensities (every policy's sum to 1; Thompson's within Monte Carlo error), candidate
 * states (done / snooze / dismiss), fatigue arithmetic, the repeat rule, forgetting, a stored
 * model of another dimension, language and repo-affinity features, the log refresh against a
 * direct computation, the offline estimators against an independent computation over the
 * Open Bandit Dataset sample, and the simulator's mechanics (not its regret numbers).
 *
 * The OBD sample is read at test time from $HUB_OBD_DIR (default ../shared/fixtures/obd);
 * when it is absent the check is skipped with a notice.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"
#include "tip/bandit.h"
#include "tip/tip_int.h"

static hub *open_db(const char *path) {
  hub *h = NULL;
  char err[256];
  if (hub_open(path, NULL, &h, err, sizeof err)) {
    fprintf(stderr, "hub_open: %s\n", err);
    exit(1);
  }
  return h;
}

static uint64_t rng_state = 12345;
static double urand(void) { return (double)(hub__rand(&rng_state) >> 11) * (1.0 / 9007199254740992.0); }

/* Gauss–Jordan with partial pivoting: inv = a⁻¹ (n ≤ 64). Returns 0 or -1 if singular. */
static int gj_inverse(const double *a, int n, double *inv) {
  static double m[64][128];
  int i, j, k;
  for (i = 0; i < n; i++)
    for (j = 0; j < 2 * n; j++) m[i][j] = j < n ? a[i * n + j] : (j - n == i ? 1.0 : 0.0);
  for (k = 0; k < n; k++) {
    int piv = k;
    for (i = k + 1; i < n; i++)
      if (fabs(m[i][k]) > fabs(m[piv][k])) piv = i;
    if (fabs(m[piv][k]) < 1e-300) return -1;
    if (piv != k)
      for (j = 0; j < 2 * n; j++) {
        double t = m[k][j];
        m[k][j] = m[piv][j];
        m[piv][j] = t;
      }
    {
      double p = m[k][k];
      for (j = 0; j < 2 * n; j++) m[k][j] /= p;
    }
    for (i = 0; i < n; i++) {
      double f = m[i][k];
      if (i == k || f == 0) continue;
      for (j = 0; j < 2 * n; j++) m[i][j] -= f * m[k][j];
    }
  }
  for (i = 0; i < n; i++)
    for (j = 0; j < n; j++) inv[i * n + j] = m[i][j + n];
  return 0;
}

static double max_abs_diff(const double *a, const double *b, int n) {
  double m = 0;
  int i;
  for (i = 0; i < n; i++) m = fmax(m, fabs(a[i] - b[i]));
  return m;
}

/* Runs `steps` random updates on a model and on a plain reference, comparing A⁻¹ and θ. */
static void check_against_reference(int d, double lambda, double gamma, int steps) {
  hub__linucb m;
  double A[64 * 64], b[64], inv[64 * 64], theta[64], x[64], worst_inv = 0, worst_theta = 0;
  int i, j, t, ok = 1;
  CHECK(hub__linucb_init(&m, d, 1.0, lambda, gamma) == 0, "init d=%d", d);
  memset(A, 0, sizeof A);
  memset(b, 0, sizeof b);
  for (i = 0; i < d; i++) A[i * d + i] = lambda;
  for (t = 0; t < steps; t++) {
    double norm = 0, r = urand() * 2 - 1;
    for (i = 0; i < d; i++) {
      x[i] = urand() * 2 - 1;
      norm += x[i] * x[i];
    }
    for (i = 0; i < d; i++) x[i] /= sqrt(norm);
    for (i = 0; i < d; i++) {
      for (j = 0; j < d; j++) A[i * d + j] = gamma * A[i * d + j] + x[i] * x[j];
      A[i * d + i] += (1 - gamma) * lambda;
      b[i] = gamma * b[i] + r * x[i];
    }
    if (hub__linucb_update(&m, x, r)) ok = 0;
    if (t % 7 == 0 || t == steps - 1) {
      if (gj_inverse(A, d, inv)) ok = 0;
      for (i = 0; i < d; i++) {
        theta[i] = 0;
        for (j = 0; j < d; j++) theta[i] += inv[i * d + j] * b[j];
      }
      worst_inv = fmax(worst_inv, max_abs_diff(inv, m.Ainv, d * d));
      worst_theta = fmax(worst_theta, max_abs_diff(theta, m.theta, d));
      worst_inv = fmax(worst_inv, max_abs_diff(A, m.A, d * d));
    }
  }
  CHECK(ok, "updates succeed (d=%d γ=%g)", d, gamma);
  CHECK(worst_inv < 1e-9, "A and A⁻¹ match the direct inverse (d=%d γ=%g): %.3g", d, gamma, worst_inv);
  CHECK(worst_theta < 1e-9, "θ matches (d=%d γ=%g): %.3g", d, gamma, worst_theta);
  /* UCB from the reference */
  {
    double mean = 0, var = 0;
    for (i = 0; i < d; i++) {
      mean += theta[i] * x[i];
      for (j = 0; j < d; j++) var += x[i] * inv[i * d + j] * x[j];
    }
    CHECK(fabs(hub__linucb_ucb(&m, x) - (mean + sqrt(var))) < 1e-9, "ucb = θᵀx + α√(xᵀA⁻¹x)");
  }
  hub__linucb_free(&m);
}

/* max |L Lᵀ − A| for the factor hub__linucb_chol gives of m's A. */
static double chol_error(const hub__linucb *m) {
  double L[HUB_LINUCB_MAX_D * HUB_LINUCB_MAX_D], e = 0;
  int i, j, k, d = m->d;
  if (hub__linucb_chol(m, L)) return 1e9;
  for (i = 0; i < d; i++)
    for (j = 0; j < d; j++) {
      double s = 0;
      for (k = 0; k < d; k++) s += L[i * d + k] * L[j * d + k];
      e = fmax(e, fabs(s - m->A[i * d + j]));
    }
  return e;
}

/* The Cholesky factor a rebuild keeps for Thompson's draws is A's after every kind of write:
 * a rank-1 update, a rebuild, forgetting, a reset. */
static void chol_follows_writes(void) {
  hub__linucb m;
  double x[8];
  uint64_t rs = 5; /* its own stream: the other tests' draws stay as they were */
  int i, t, ok = 1, kept = 0;
  hub__linucb_init(&m, 8, 1.0, 1.0, 1.0);
  m.half_life_ms = 86400000.0;
  for (t = 0; t < 150; t++) { /* crosses the periodic rebuild, then updates after it */
    for (i = 0; i < 8; i++) x[i] = hub__tip_unif(&rs) - 0.3;
    hub__linucb_update(&m, x, hub__tip_unif(&rs));
    kept += m.chol_ok;
    if (chol_error(&m) > 1e-9) ok = 0;
    if (t % 40 == 39) {
      hub__linucb_decay_to(&m, 1700000000000LL + t * 3600000LL); /* forgetting: a rebuild */
      kept += m.chol_ok;
      if (chol_error(&m) > 1e-9) ok = 0;
    }
  }
  CHECK(ok && kept >= 3, "the kept Cholesky factor is A's after updates, rebuilds and forgetting (%d kept)", kept);
  hub__linucb_reset(&m);
  CHECK(chol_error(&m) < 1e-12, "and after a reset to the prior");
  hub__linucb_free(&m);
}

static void test_math(void) {
  hub__linucb m;
  double x[16], z[16], a[25], inv[25], ref[25], L[25];
  int i, j;
  check_against_reference(16, 1.0, 1.0, 500); /* crosses the periodic rebuild several times */
  check_against_reference(5, 0.5, 1.0, 200);
  check_against_reference(16, 1.0, 0.98, 300); /* forgetting */
  check_against_reference(40, 2.0, 1.0, 150);
  /* Cholesky inverse of a random SPD matrix */
  for (i = 0; i < 5; i++)
    for (j = 0; j < 5; j++) a[i * 5 + j] = 0;
  for (i = 0; i < 12; i++) {
    double v[5];
    int k;
    for (k = 0; k < 5; k++) v[k] = urand() - 0.5;
    for (j = 0; j < 5; j++)
      for (k = 0; k < 5; k++) a[j * 5 + k] += v[j] * v[k];
  }
  for (i = 0; i < 5; i++) a[i * 5 + i] += 0.1;
  CHECK(hub__spd_inverse(a, 5, inv, L) == 0 && gj_inverse(a, 5, ref) == 0 &&
            max_abs_diff(inv, ref, 25) < 1e-9, "spd inverse");
  a[0] = -1;
  CHECK(hub__spd_inverse(a, 5, inv, L) != 0, "not positive definite → -1");
  /* variance clamped at ≥ 0, and bad input refused */
  CHECK(hub__linucb_init(&m, 16, 1.0, 1.0, 1.0) == 0, "init");
  memset(z, 0, sizeof z);
  CHECK(hub__linucb_var(&m, z) == 0.0, "var(0) = 0");
  for (i = 0; i < 16; i++) x[i] = 0.25;
  m.Ainv[0] = -1e6; /* a corrupted inverse: the clamp keeps the bonus real */
  CHECK(hub__linucb_var(&m, x) >= 0 && isfinite(hub__linucb_ucb(&m, x)), "variance clamped");
  CHECK(hub__linucb_rebuild(&m) == 0 && m.Ainv[0] == 1.0, "rebuild restores A⁻¹ from A");
  chol_follows_writes();
  x[3] = NAN;
  CHECK(hub__linucb_update(&m, x, 1.0) != 0 && m.updates == 0, "NaN feature refused");
  x[3] = 0.25;
  CHECK(hub__linucb_update(&m, x, INFINITY) != 0, "infinite reward refused");
  hub__linucb_free(&m);
  CHECK(hub__linucb_init(&m, 0, 1, 1, 1) != 0 && hub__linucb_init(&m, 8, 1, 0, 1) != 0 &&
            hub__linucb_init(&m, 8, 1, 1, 1.5) != 0, "bad parameters refused");
  hub__linucb_free(&m);
}

static void test_rewards_and_blob(void) {
  hub__linucb m, m2, m3;
  double x[16], y[16], before;
  unsigned char *blob = NULL;
  size_t len = 0;
  cJSON *j;
  int i;
  hub__linucb_init(&m, 16, 0.5, 1.0, 1.0);
  for (i = 0; i < 16; i++) {
    x[i] = i % 3 == 0 ? 0.35 : 0;
    y[i] = i % 3 == 1 ? 0.35 : 0;
  }
  before = hub__linucb_mean(&m, x);
  hub__linucb_update(&m, x, 1.0);
  CHECK(hub__linucb_mean(&m, x) > before, "done (+1) raises θᵀx");
  before = hub__linucb_mean(&m, y);
  hub__linucb_update(&m, y, -1.0);
  CHECK(hub__linucb_mean(&m, y) < before, "dismiss (−1) lowers θᵀy");
  before = hub__linucb_var(&m, x);
  hub__linucb_update(&m, x, 0.0);
  CHECK(hub__linucb_var(&m, x) < before, "another look at x narrows its confidence");
  for (i = 0; i < 100; i++) hub__linucb_update(&m, x, 1.0);
  CHECK(hub__linucb_mean(&m, x) > 0.9 && hub__linucb_mean(&m, x) < 1.0, "θᵀx → the mean reward");
  CHECK(hub__linucb_save(&m, &blob, &len) == 0, "save");
  CHECK(hub__linucb_load(&m2, blob, len) == 0 && m2.updates == m.updates &&
            memcmp(m2.A, m.A, 16 * 16 * sizeof(double)) == 0 &&
            memcmp(m2.Ainv, m.Ainv, 16 * 16 * sizeof(double)) == 0 &&
            memcmp(m2.theta, m.theta, 16 * sizeof(double)) == 0, "blob round trip is exact");
  blob[5] ^= 1;
  CHECK(hub__linucb_load(&m3, blob, len) != 0, "a damaged blob is refused");
  CHECK(hub__linucb_load(&m3, blob, len - 1) != 0, "a short blob is refused");
  j = hub__linucb_json(&m, 1);
  CHECK(j && hub__linucb_from_json(&m3, j) == 0 && max_abs_diff(m3.theta, m.theta, 16) < 1e-12,
        "JSON round trip");
  cJSON_Delete(j);
  hub_free(blob);
  hub__linucb_free(&m);
  hub__linucb_free(&m2);
  hub__linucb_free(&m3);
}

/* ---- through the command API ------------------------------------------------------------ */

#define NOW0 1700000000000LL /* 2023-11-14T22:13:20Z, a Tuesday */

static void add_item(hub *h, int n, const char *labels, const char *reason, int comments, int64_t updated_s) {
  hub__item it;
  hub__upsert_result res;
  char key[64], title[64];
  memset(&it, 0, sizeof it);
  snprintf(key, sizeof key, "github.com/o/r#%d", n);
  snprintf(title, sizeof title, "item %d", n);
  it.has = HUB_F_KIND | HUB_F_TITLE | HUB_F_STATE | HUB_F_LABELS | HUB_F_COMMENTS | HUB_F_CREATED |
           HUB_F_UPDATED | HUB_F_URL | HUB_F_AUTHOR;
  it.key = key;
  it.source = "github";
  it.host = "github.com";
  it.repo = n % 2 ? "me/mine" : "o/r";
  it.number = n;
  it.kind = "issue";
  it.title = title;
  it.state = "open";
  it.author = n % 5 == 0 ? "me" : "someone";
  it.labels = labels;
  it.comments = comments;
  it.created_at = updated_s - 86400 * (n % 40);
  it.updated_at = updated_s;
  it.url = "https://github.com/o/r/issues/1";
  it.reason = reason ? hub__reason_find(reason) : -1;
  CHECK(hub__items_put(h, &it, updated_s, &res, NULL) == 0, "upsert %d", n);
}

static void fill(hub *h, int n) {
  int i;
  static const char *const reasons[] = {"review_requested", "mentioned", "assigned", "authored", "subscribed", NULL};
  static const char *const labels[] = {"[]", "[\"bug\"]", "[\"good first issue\"]", "[\"blocker\"]"};
  for (i = 1; i <= n; i++)
    add_item(h, i, labels[i % 4], reasons[i % 6], i % 9, NOW0 / 1000 - 3600 * (i * 7 % 500));
}

static double sum_p(const cJSON *r, double *minp) {
  const cJSON *e;
  double s = 0;
  *minp = 1;
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(r, "distribution")) {
    double p = cJSON_GetObjectItemCaseSensitive(e, "p")->valuedouble;
    s += p;
    if (p < *minp) *minp = p;
  }
  return s;
}

static void test_tip_api(void) {
  char path[] = "/tmp/hub_bandit_test_XXXXXX";
  char dbpath[300];
  int fd = mkstemp(path), i;
  hub *h;
  cJSON *r, *r2;
  double theta_before[16], minp;
  long decision;
  if (fd >= 0) close(fd);
  snprintf(dbpath, sizeof dbpath, "%s.db", path);
  unlink(dbpath);
  h = open_db(dbpath);
  hub__setting_set(h, "github_user", "me");
  r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld}", NOW0);
  CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r, "tip")) && tu_num(r, "candidates") == 0, "no items → no tip");
  cJSON_Delete(r);
  fill(h, 30);
  r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld,\"seed\":3,\"debug\":true}", NOW0);
  CHECK(tu_str(r, "tip.key") && tu_str(r, "tip.title") && tu_str(r, "tip.url") && tu_str(r, "why"),
        "a tip with key, title, url and why");
  CHECK(tu_str(r, "policy") && strcmp(tu_str(r, "policy"), "linucb") == 0, "served by linucb");
  CHECK(tu_num(r, "candidates") == 30, "30 candidates");
  CHECK(fabs(sum_p(r, &minp) - 1.0) < 1e-12, "propensities sum to 1 (%.17g)", sum_p(r, &minp));
  CHECK(minp >= 0.05 / 30 - 1e-15, "every candidate has p ≥ ε/n (%.6g)", minp);
  {
    const cJSON *e;
    double pk = -1;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(r, "distribution"))
      if (strcmp(cJSON_GetObjectItemCaseSensitive(e, "key")->valuestring, tu_str(r, "tip.key")) == 0)
        pk = cJSON_GetObjectItemCaseSensitive(e, "p")->valuedouble;
    CHECK(pk == tu_num(r, "propensity"), "logged propensity = p of the served item");
    CHECK(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "policies"), "score_greedy") != NULL,
          "shadow policies scored");
  }
  decision = (long)tu_num(r, "decision");
  cJSON_Delete(r);
  /* same seed, same state → same tip (determinism): two databases with the same items */
  {
    hub *a = open_db(":memory:"), *b = open_db(":memory:");
    int same = 1;
    hub__setting_set(a, "github_user", "me");
    hub__setting_set(b, "github_user", "me");
    fill(a, 30);
    fill(b, 30);
    for (i = 0; i < 5; i++) {
      r = tu_call(a, "{\"cmd\":\"tip\",\"now\":%lld,\"seed\":%d}", NOW0 + i, 3 + i);
      r2 = tu_call(b, "{\"cmd\":\"tip\",\"now\":%lld,\"seed\":%d}", NOW0 + i, 3 + i);
      if (!tu_str(r, "tip.key") || !tu_str(r2, "tip.key") || strcmp(tu_str(r, "tip.key"), tu_str(r2, "tip.key")) != 0)
        same = 0;
      cJSON_Delete(r);
      cJSON_Delete(r2);
    }
    CHECK(same, "seeded draws repeat on the same state");
    hub_close(a);
    hub_close(b);
  }
  /* feedback */
  r = tu_call(h, "{\"cmd\":\"tip_feedback\",\"decision\":%ld,\"now\":%lld,\"reaction\":\"done\"}", decision, NOW0 + 1000);
  CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok")) && tu_num(r, "reward") == 1 && tu_num(r, "updates") == 1,
        "done → reward 1, one update");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"tip_feedback\",\"decision\":%ld,\"now\":%lld,\"reaction\":\"done\"}", decision, NOW0 + 2000);
  CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "duplicate")), "the same reaction twice is learned once");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"tip_feedback\",\"decision\":999999,\"now\":%lld,\"reaction\":\"done\"}", NOW0);
  CHECK(tu_str(r, "error.code") && strcmp(tu_str(r, "error.code"), "not_found") == 0, "unknown decision");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"tip_feedback\",\"decision\":%ld,\"now\":%lld,\"reaction\":\"meh\"}", decision, NOW0);
  CHECK(tu_str(r, "error.code") != NULL, "unknown reaction refused");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld}", NOW0 + 5000);
  CHECK(tu_num(r, "candidates") == 29, "a done item leaves the candidates");
  cJSON_Delete(r);
  /* learn a few more and remember θ */
  for (i = 0; i < 12; i++) {
    r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld,\"seed\":%d}", NOW0 + 10000 + i, i + 100);
    decision = (long)tu_num(r, "decision");
    cJSON_Delete(r);
    r = tu_call(h, "{\"cmd\":\"tip_feedback\",\"decision\":%ld,\"now\":%lld,\"reaction\":\"%s\"}", decision,
                NOW0 + 10000 + i, i % 3 == 0 ? "helpful" : "not_helpful");
    cJSON_Delete(r);
  }
  r = tu_call(h, "{\"cmd\":\"tip_stats\"}");
  for (i = 0; i < 16; i++) {
    char p[32];
    snprintf(p, sizeof p, "model.theta.%d", i);
    theta_before[i] = tu_num(r, p);
  }
  CHECK(tu_num(r, "model.updates") == 13, "13 updates (%g)", tu_num(r, "model.updates"));
  CHECK(tu_num(r, "reactions.done") == 1 && tu_num(r, "reactions.helpful") == 4, "reaction counts");
  cJSON_Delete(r);
  hub_close(h);
  /* persistence: the model survives a reopen bit for bit */
  h = open_db(dbpath);
  r = tu_call(h, "{\"cmd\":\"tip_stats\"}");
  {
    int same = tu_num(r, "model.updates") == 13;
    for (i = 0; i < 16; i++) {
      char p[32];
      snprintf(p, sizeof p, "model.theta.%d", i);
      if (tu_num(r, p) != theta_before[i]) same = 0;
    }
    CHECK(same, "θ and the update count survive hub_close/hub_open");
  }
  cJSON_Delete(r);
  /* snooze: gone until its time, back after */
  r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld,\"seed\":9}", NOW0 + 20000);
  decision = (long)tu_num(r, "decision");
  {
    double n0 = tu_num(r, "candidates");
    cJSON_Delete(r);
    r = tu_call(h, "{\"cmd\":\"tip_feedback\",\"decision\":%ld,\"now\":%lld,\"reaction\":\"snooze\",\"snooze_until\":%lld}",
                decision, NOW0 + 20000, NOW0 + 3600000);
    cJSON_Delete(r);
    r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld}", NOW0 + 30000);
    CHECK(tu_num(r, "candidates") == n0 - 1, "snoozed item hidden");
    cJSON_Delete(r);
    r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld}", NOW0 + 3600001);
    CHECK(tu_num(r, "candidates") == n0, "snoozed item back after its time");
    cJSON_Delete(r);
  }
  /* done returns when the item changes */
  add_item(h, 1, "[\"bug\"]", NULL, 50, NOW0 / 1000);
  r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld}", NOW0 + 3600002);
  CHECK(tu_num(r, "candidates") >= 29, "a done item that changed comes back (%g)", tu_num(r, "candidates"));
  cJSON_Delete(r);
  /* fallback: damage the stored model → score_greedy serves, linucb is reported */
  hub__db_exec(h, "UPDATE tip_models SET state=x'00010203'");
  r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld,\"debug\":true}", NOW0 + 3600003);
  CHECK(tu_str(r, "policy") && strcmp(tu_str(r, "policy"), "score_greedy") == 0, "falls back to score_greedy");
  CHECK(tu_str(r, "fallback.0") && strcmp(tu_str(r, "fallback.0"), "linucb") == 0, "fallback names linucb");
  CHECK(fabs(sum_p(r, &minp) - 1.0) < 1e-12, "fallback propensities sum to 1");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"tip_policies\",\"set\":{\"enabled\":{\"score_greedy\":false}}}");
  CHECK(tu_str(r, "policies.3.role") && strcmp(tu_str(r, "policies.3.name"), "score_greedy") == 0 &&
            strcmp(tu_str(r, "policies.3.role"), "off") == 0,
        "score_greedy off");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld,\"debug\":true}", NOW0 + 3600004);
  CHECK(tu_str(r, "policy") && strcmp(tu_str(r, "policy"), "random") == 0, "then to random");
  CHECK(fabs(sum_p(r, &minp) - 1.0) < 1e-12 && fabs(minp - tu_num(r, "propensity")) < 1e-15, "random is uniform");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"tip_policies\",\"set\":{\"enabled\":{\"random\":false,\"linucb\":false}}}");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld}", NOW0 + 3600005);
  CHECK(tu_str(r, "policy") && strcmp(tu_str(r, "policy"), "random") == 0, "nothing enabled → uniform as a last resort");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"tip_policies\",\"set\":{\"enabled\":{\"random\":true,\"linucb\":true,\"score_greedy\":true},\"epsilon\":0.1}}");
  CHECK(tu_num(r, "epsilon") == 0.1, "epsilon set");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"tip_policies\",\"set\":{\"epsilon\":2}}");
  CHECK(tu_str(r, "error.code") != NULL, "epsilon > 1 refused");
  cJSON_Delete(r);
  /* reset clears the model → linucb serves again from the prior */
  r = tu_call(h, "{\"cmd\":\"tip_reset\"}");
  CHECK(tu_num(r, "models") == 2, "reset drops the models (linear and the seed design's): %g", tu_num(r, "models"));
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld}", NOW0 + 3600006);
  CHECK(tu_str(r, "policy") && strcmp(tu_str(r, "policy"), "linucb") == 0, "linucb after reset");
  cJSON_Delete(r);
  /* allocation failures: every command answers (or reports nomem) without leaking */
  {
    static const char *const reqs[] = {
        "{\"cmd\":\"tip\",\"now\":1700003700000,\"debug\":true}",
        "{\"cmd\":\"tip_feedback\",\"decision\":2,\"now\":1700003700000,\"reaction\":\"helpful\"}",
        "{\"cmd\":\"tip_stats\"}", "{\"cmd\":\"tip_policies\"}",
        "{\"cmd\":\"tip_eval\",\"source\":\"log\",\"policy\":\"linucb\"}",
        "{\"cmd\":\"tip_simulate\",\"steps\":20,\"seeds\":1,\"candidates\":5}",
        "{\"cmd\":\"tip_refresh\"}"};
    size_t q;
    long k;
    int answered = 1;
    for (q = 0; q < sizeof reqs / sizeof reqs[0]; q++)
      for (k = 1; k < 300; k++) {
        char *out;
        hub_alloc_fail_at(k);
        out = hub_call(h, reqs[q]);
        hub_alloc_fail_at(0);
        if (!out) answered = 0;
        hub_free(out);
      }
    CHECK(answered, "every command answers under allocation failure");
  }
  /* evaluation over the own log answers for every logged policy */
  r = tu_call(h, "{\"cmd\":\"tip_eval\",\"source\":\"log\",\"policy\":\"score_greedy\"}");
  CHECK(tu_num(r, "events") >= 10 && tu_num(r, "matched") >= 0 && tu_str(r, "error.code") == NULL,
        "log evaluation (%g events)", tu_num(r, "events"));
  cJSON_Delete(r);
  hub_close(h);
  unlink(dbpath);
  {
    char wal[320];
    snprintf(wal, sizeof wal, "%s-wal", dbpath);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", dbpath);
    unlink(wal);
  }
  unlink(path);
}

/* ---- OBD: the core's estimators against plain arithmetic --------------------------------- */

typedef struct {
  int a, pos;
  double r, p, aff[64];
  int naff;
} obd_row;

/* An independent reader: the header names the columns; rows are split with strtok. */
static obd_row *read_obd(const char *text, long *n) {
  char *copy = strdup(text), *save = NULL, *line;
  int col_item = -1, col_pos = -1, col_click = -1, col_p = -1, aff_first = -1, ncol = 0;
  obd_row *rows = NULL;
  long cap = 0;
  *n = 0;
  for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *s2 = NULL, *tok;
    int c = 0;
    obd_row row;
    if (ncol == 0) {
      for (tok = strtok_r(line, ",", &s2); tok; tok = strtok_r(NULL, ",", &s2), c++) {
        if (!strcmp(tok, "item_id")) col_item = c;
        if (!strcmp(tok, "position")) col_pos = c;
        if (!strcmp(tok, "click")) col_click = c;
        if (!strcmp(tok, "propensity_score")) col_p = c;
        if (!strcmp(tok, "user-item_affinity_0")) aff_first = c;
      }
      ncol = c + 1; /* the header's leading empty name is skipped by strtok */
      col_item++, col_pos++, col_click++, col_p++, aff_first++;
      continue;
    }
    memset(&row, 0, sizeof row);
    for (tok = strtok_r(line, ",", &s2); tok; tok = strtok_r(NULL, ",", &s2), c++) {
      if (c == col_item) row.a = atoi(tok);
      if (c == col_pos) row.pos = atoi(tok);
      if (c == col_click) row.r = atof(tok);
      if (c == col_p) row.p = atof(tok);
      if (c >= aff_first && c - aff_first < 64) {
        row.aff[c - aff_first] = atof(tok);
        row.naff = c - aff_first + 1;
      }
    }
    if (*n == cap) {
      cap = cap ? cap * 2 : 1024;
      rows = realloc(rows, (size_t)cap * sizeof *rows);
      if (!rows) abort();
    }
    rows[(*n)++] = row;
  }
  free(copy);
  return rows;
}

/* target: -1 = affinity argmax (first max), k ≥ 0 = always item k */
static void reference(const obd_row *rows, long n, int target, int position, hub__ope *o) {
  double num = 0, den = 0, match_sum = 0, all = 0;
  long i, used = 0, matched = 0;
  for (i = 0; i < n; i++) {
    int t = target, k;
    double pi;
    if (position && rows[i].pos != position) continue;
    used++;
    if (target < 0) {
      t = 0;
      for (k = 1; k < rows[i].naff; k++)
        if (rows[i].aff[k] > rows[i].aff[t]) t = k;
    }
    pi = rows[i].a == t ? 1.0 : 0.0;
    num += pi / rows[i].p * rows[i].r;
    den += pi / rows[i].p;
    all += rows[i].r;
    if (rows[i].a == t) {
      matched++;
      match_sum += rows[i].r;
    }
  }
  o->n = used;
  o->matched = matched;
  o->ipw = num / (double)used;
  o->snipw = den > 0 ? num / den : 0;
  o->replay = matched ? match_sum / (double)matched : 0;
  o->logged = all / (double)used;
}

static void test_obd(void) {
  const char *dir = getenv("HUB_OBD_DIR");
  static const char *const logs[] = {"random", "bts"};
  size_t li;
  if (!dir) dir = "../shared/fixtures/obd";
  for (li = 0; li < 2; li++) {
    char path[512], err[160];
    size_t len = 0;
    char *text;
    obd_row *rows;
    long n;
    int t;
    snprintf(path, sizeof path, "%s/%s/men.csv", dir, logs[li]);
    text = tu_read_file(path, &len);
    if (!text) {
      printf("bandit tests: NOTICE: %s not found, OBD estimator check skipped\n", path);
      return;
    }
    rows = read_obd(text, &n);
    CHECK(n == 10000, "%s: 10000 rows (%ld)", logs[li], n);
    for (t = -1; t < 34; t += 5) {
      int pos;
      for (pos = 0; pos <= 3; pos += 3) {
        hub__ope got, want;
        char pol[32];
        if (t < 0) snprintf(pol, sizeof pol, "affinity");
        else snprintf(pol, sizeof pol, "item:%d", t);
        reference(rows, n, t, pos, &want);
        if (t >= 0 && pos == 0) CHECK(want.matched > 0, "%s %s: some events match", logs[li], pol);
        CHECK(hub__ope_obd(text, len, pol, pos, 1, 0, &got, err, sizeof err) == 0, "%s %s: %s", logs[li], pol, err);
        CHECK(got.n == want.n && got.matched == want.matched, "%s %s pos %d: events %ld/%ld matched %ld/%ld",
              logs[li], pol, pos, got.n, want.n, got.matched, want.matched);
        CHECK(fabs(got.ipw - want.ipw) < 1e-9 && fabs(got.snipw - want.snipw) < 1e-9 &&
                  fabs(got.replay - want.replay) < 1e-9 && fabs(got.logged - want.logged) < 1e-9,
              "%s %s pos %d: ipw %.12g/%.12g snipw %.12g/%.12g replay %.12g/%.12g", logs[li], pol, pos,
              got.ipw, want.ipw, got.snipw, want.snipw, got.replay, want.replay);
      }
    }
    { /* uniform target: weights (1/34)/p */
      hub__ope got;
      double num = 0, den = 0;
      long i;
      for (i = 0; i < n; i++) {
        num += (1.0 / 34) / rows[i].p * rows[i].r;
        den += (1.0 / 34) / rows[i].p;
      }
      CHECK(hub__ope_obd(text, len, "uniform", 0, 7, 0, &got, err, sizeof err) == 0 && got.actions == 34 &&
                fabs(got.ipw - num / (double)n) < 1e-9 && fabs(got.snipw - num / den) < 1e-9,
            "%s uniform: ipw %.12g/%.12g", logs[li], got.ipw, num / (double)n);
      if (li == 0)
        CHECK(fabs(got.ipw - got.logged) < 1e-9, "uniform on the uniform log: IPW = the logged mean");
    }
    if (li == 0) { /* the command API gives the same numbers */
      cJSON *req = cJSON_CreateObject(), *res;
      char *s, *out;
      hub *h = open_db(":memory:");
      hub__ope want;
      cJSON_AddStringToObject(req, "cmd", "tip_eval");
      cJSON_AddStringToObject(req, "source", "obd");
      cJSON_AddStringToObject(req, "policy", "item:3");
      cJSON_AddStringToObject(req, "csv", text);
      s = cJSON_PrintUnformatted(req);
      out = hub_call(h, s);
      res = cJSON_Parse(out);
      reference(rows, n, 3, 0, &want);
      CHECK(tu_num(res, "events") == (double)want.n && tu_num(res, "matched") == (double)want.matched &&
                fabs(tu_num(res, "ipw") - want.ipw) < 1e-9 && fabs(tu_num(res, "snipw") - want.snipw) < 1e-9,
            "tip_eval over the API: %s", out ? out : "(null)");
      cJSON_Delete(res);
      hub_free(out);
      hub_free(s);
      cJSON_Delete(req);
      hub_close(h);
      {
        hub__ope got;
        CHECK(hub__ope_obd("x,y\n1,2\n", 8, "affinity", 0, 1, 0, &got, err, sizeof err) != 0, "bad CSV refused");
        CHECK(hub__ope_obd(text, len, "nonsense", 0, 1, 0, &got, err, sizeof err) != 0, "unknown policy refused");
      }
    }
    free(rows);
    free(text);
  }
}

/* ---- fatigue, repeats, forgetting, propensities, learning from the log ------------------------ */

static void test_fatigue_arithmetic(void) {
  tip_cfg cfg;
  hub__tip_exposure e;
  int64_t t = NOW0, hour = 3600000;
  hub__tip_cfg_defaults(&cfg);
  memset(&e, 0, sizeof e);
  e.last_reaction = -1;
  CHECK(hub__tip_fatigue_now(&e, 7, t, &cfg) == 0, "never shown: no fatigue");
  hub__tip_exposure_view(&e, 7, t, &cfg);
  CHECK(e.views == 1 && hub__tip_fatigue_now(&e, 7, t, &cfg) == 1.0, "one view: exposure count 1");
  CHECK(fabs(hub__tip_fatigue_now(&e, 7, t + 24 * hour, &cfg) - 0.5) < 1e-12, "halves after fatigue_hours (24 h)");
  CHECK(fabs(hub__tip_fatigue_now(&e, 7, t + 72 * hour, &cfg) - 0.125) < 1e-12, "an eighth after three half-lives");
  CHECK(hub__tip_fatigue_now(&e, 8, t + hour, &cfg) == 0, "new activity on the item (another mark): no fatigue");
  hub__tip_exposure_react(&e, REACT_SNOOZE, 0.0, t, &cfg);
  CHECK(fabs(e.fatigue - 2.0) < 1e-12, "a snooze adds snooze_views (1) to the view: 2");
  hub__tip_exposure_view(&e, 7, t + 24 * hour, &cfg);
  CHECK(fabs(e.fatigue - 2.0) < 1e-12 && e.views == 2, "a view a day later: 2 × ½ + 1 = 2");
  hub__tip_exposure_react(&e, REACT_NOT_HELPFUL, -0.5, t + 24 * hour, &cfg);
  CHECK(fabs(e.fatigue - 2.0) < 1e-12 && e.last_reaction == REACT_NOT_HELPFUL, "not helpful adds nothing to the view");
  hub__tip_exposure_react(&e, REACT_HELPFUL, 0.5, t + 25 * hour, &cfg);
  CHECK(e.fatigue == 0 && e.views == 2, "a positive reaction clears the count, views stay");
  hub__tip_exposure_view(&e, 9, t + 26 * hour, &cfg);
  CHECK(e.fatigue == 1.0 && e.mark == 9, "after news the count restarts at the view");
  CHECK(hub__tip_in_row(5, 1, 0, 0, 0) == 1 && hub__tip_in_row(5, 1, 5, 1, 1) == 2 && hub__tip_in_row(5, 1, 5, 1, 2) == 3,
        "runs: 1, 2, 3 in a row");
  CHECK(hub__tip_in_row(5, 2, 5, 1, 2) == 1 && hub__tip_in_row(6, 1, 5, 1, 2) == 1, "a changed item or another item starts a new run");
}

/* The run of greedy picks through the API: the top item twice, then held back once. */
static void test_repeats(void) {
  hub *h = open_db(":memory:");
  cJSON *r;
  int i, max_in_row = 0, held = 0, keys_a = 0, ok_rule = 1;
  char last[64] = "";
  hub__setting_set(h, "github_user", "me");
  add_item(h, 1, "[\"bug\"]", "review_requested", 40, NOW0 / 1000 - 600); /* ranks first */
  add_item(h, 2, "[]", "subscribed", 0, NOW0 / 1000 - 86400 * 30);
  r = tu_call(h, "{\"cmd\":\"tip_policies\",\"set\":{\"serve\":\"score_greedy\",\"epsilon\":0}}");
  cJSON_Delete(r);
  for (i = 0; i < 9; i++) {
    long dec;
    r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld,\"seed\":%d}", NOW0 + i * 60000, i);
    dec = (long)tu_num(r, "decision");
    if ((int)tu_num(r, "in_row") > max_in_row) max_in_row = (int)tu_num(r, "in_row");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "held_back_repeat"))) held++;
    if (tu_str(r, "tip.key") && strcmp(tu_str(r, "tip.key"), "github.com/o/r#1") == 0) keys_a++;
    if (i % 3 == 2 && tu_str(r, "tip.key") && strcmp(tu_str(r, "tip.key"), "github.com/o/r#2") != 0) ok_rule = 0;
    snprintf(last, sizeof last, "%s", tu_str(r, "tip.key") ? tu_str(r, "tip.key") : "");
    cJSON_Delete(r);
    r = tu_call(h, "{\"cmd\":\"tip_feedback\",\"decision\":%ld,\"now\":%lld,\"reaction\":\"helpful\"}", dec,
                NOW0 + i * 60000 + 1000);
    cJSON_Delete(r);
  }
  CHECK(max_in_row == HUB_TIP_MAX_REPEAT, "the top item runs at most %d times in a row (%d)", HUB_TIP_MAX_REPEAT, max_in_row);
  CHECK(ok_rule && keys_a == 6 && held == 3, "A, A, B, A, A, B …: every third tip is the other item (%d A, %d held)", keys_a, held);
  CHECK(tu_count(h, "SELECT count(*) FROM tip_decisions WHERE in_row > 2") == 0, "no decision logs a run over 2");
  r = tu_call(h, "{\"cmd\":\"tip_stats\"}");
  CHECK(tu_num(r, "max_in_row") == 2 && tu_num(r, "recent.0.in_row") >= 1, "tip_stats reports the runs");
  cJSON_Delete(r);
  /* the top item served twice; news on it starts a new run */
  r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld}", NOW0 + 20 * 60000);
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld}", NOW0 + 21 * 60000);
  CHECK(tu_num(r, "in_row") == 2 && strcmp(tu_str(r, "tip.key"), "github.com/o/r#1") == 0, "A twice in a row");
  cJSON_Delete(r);
  add_item(h, 1, "[\"bug\"]", "review_requested", 41, NOW0 / 1000 + 22 * 60); /* a new comment */
  r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld}", NOW0 + 23 * 60000);
  CHECK(tu_str(r, "tip.key") && strcmp(tu_str(r, "tip.key"), "github.com/o/r#1") == 0 && tu_num(r, "in_row") == 1,
        "with news the same item may come again, as a new run (%g)", tu_num(r, "in_row"));
  cJSON_Delete(r);
  /* only one candidate, served twice: no third time */
  hub__db_exec(h, "UPDATE items SET state='closed' WHERE key='github.com/o/r#2'");
  r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld}", NOW0 + 24 * 60000);
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld}", NOW0 + 25 * 60000);
  CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r, "tip")) &&
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "held_back_repeat")),
        "the only item, twice already and unchanged: no tip, and it says so");
  cJSON_Delete(r);
  hub_close(h);
}

/* p of key in a debug answer's distribution (-1 when absent); *fatigue its exposure count. */
static double p_of(const cJSON *r, const char *key, double *fatigue) {
  const cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(r, "distribution")) {
    if (strcmp(cJSON_GetObjectItemCaseSensitive(e, "key")->valuestring, key) == 0) {
      if (fatigue) *fatigue = cJSON_GetObjectItemCaseSensitive(e, "fatigue")->valuedouble;
      return cJSON_GetObjectItemCaseSensitive(e, "p")->valuedouble;
    }
  }
  return -1;
}

/* Two identical items: the one snoozed comes back behind the other. */
static void test_snooze_return(void) {
  hub *h = open_db(":memory:");
  cJSON *r;
  char first[64];
  double f = -1;
  long dec;
  hub__setting_set(h, "github_user", "me");
  add_item(h, 2, "[]", "mentioned", 3, NOW0 / 1000 - 3600);
  add_item(h, 4, "[]", "mentioned", 3, NOW0 / 1000 - 3600);
  r = tu_call(h, "{\"cmd\":\"tip_policies\",\"set\":{\"epsilon\":0}}");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld,\"seed\":1}", NOW0);
  snprintf(first, sizeof first, "%s", tu_str(r, "tip.key") ? tu_str(r, "tip.key") : "");
  dec = (long)tu_num(r, "decision");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"tip_feedback\",\"decision\":%ld,\"now\":%lld,\"reaction\":\"snooze\"}", dec, NOW0);
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld,\"debug\":true}", NOW0 + 3600000 + 1);
  CHECK(tu_num(r, "candidates") == 2 && p_of(r, first, &f) >= 0, "after its hour the snoozed item is a candidate again");
  CHECK(fabs(f - 2.0 * exp2(-(3600000.0 + 1) / (24 * 3600000.0))) < 1e-9, "its exposure count: (view + snooze) decayed an hour: %g", f);
  CHECK(tu_str(r, "tip.key") && strcmp(tu_str(r, "tip.key"), first) != 0,
        "a snoozed item that returns is not the automatic next tip (%s)", tu_str(r, "tip.key"));
  cJSON_Delete(r);
  hub_close(h);
}

/* A model with some evidence, and candidates for the pure policy tests. */
static void setup_policy(hub__linucb *m, hub__linucb *sm, cand *c, int n, tip_cfg *cfg) {
  int i, t;
  hub__tip_cfg_defaults(cfg);
  hub__tip_model_prior(MODEL_LINEAR, cfg, m);
  hub__tip_model_prior(MODEL_SEED, cfg, sm);
  memset(c, 0, (size_t)n * sizeof *c);
  for (i = 0; i < n; i++) {
    c[i].it.age_days = 3 + 20 * i;
    c[i].it.stale_days = 1 + i;
    c[i].it.engagement = i * 3;
    c[i].it.importance = 1 + i % 4;
    c[i].it.flags = (unsigned)(i * 37 % 512);
    hub__tip_features(&c[i].it, 11, 3, c[i].x);
    hub__tip_seed_features(&c[i].it, 11, 3, c[i].xs);
  }
  for (t = 0; t < 30; t++) hub__linucb_update(m, c[t % n].x, t % 3 == 0 ? 1.0 : -0.3);
}

static void test_propensities(void) {
  enum { N = 12 };
  cand c[N];
  hub__linucb m, sm;
  tip_cfg cfg;
  tip_ctx ctx;
  double score[N], prob[N], ref[N], big[N];
  int k, i, all_sum = 1, all_floor = 1, multiples = 1, within = 1;
  setup_policy(&m, &sm, c, N, &cfg);
  ctx.c = c;
  ctx.nz = NULL;
  ctx.n = N;
  ctx.model = &m;
  ctx.seed_model = &sm;
  ctx.cfg = &cfg;
  ctx.seed = 42;
  for (k = 0; k < HUB_TIP_NPOL; k++) {
    double sum = 0, mn = 1;
    if (hub__tip_policy_table[k].fn(&ctx, score, prob) || hub__tip_floor(prob, N, cfg.epsilon)) all_sum = 0;
    for (i = 0; i < N; i++) {
      sum += prob[i];
      mn = fmin(mn, prob[i]);
    }
    if (fabs(sum - 1) > 1e-12) all_sum = 0;
    if (mn < cfg.epsilon / N - 1e-15) all_floor = 0;
  }
  CHECK(all_sum, "every policy's served distribution sums to 1");
  CHECK(all_floor, "every candidate keeps p ≥ ε/n under every policy");
  /* Thompson: the mixture's probabilities are draws / M, and within Monte Carlo error of
   * Thompson sampling's own (estimated with 20,000 draws) */
  cfg.ts_samples = 100;
  ctx.seed = 7;
  CHECK(hub__tip_policy_table[POL_THOMPSON].fn(&ctx, score, prob) == 0, "thompson");
  for (i = 0; i < N; i++)
    if (fabs(prob[i] * 100 - floor(prob[i] * 100 + 0.5)) > 1e-9) multiples = 0;
  CHECK(multiples, "Thompson's probabilities are counts of its 100 draws / 100 (exact propensities)");
  cfg.ts_samples = 20000;
  ctx.seed = 99;
  hub__tip_policy_table[POL_THOMPSON].fn(&ctx, score, big);
  for (k = 0; k < 20; k++) { /* 20 decisions' estimates against the reference */
    cfg.ts_samples = 100;
    ctx.seed = 1000 + (uint64_t)k;
    hub__tip_policy_table[POL_THOMPSON].fn(&ctx, score, ref);
    for (i = 0; i < N; i++) {
      double sd = sqrt(fmax(big[i] * (1 - big[i]), 1e-4) / 100.0);
      if (fabs(ref[i] - big[i]) > 5 * sd + 0.005) within = 0; /* 5 σ of 100 draws, plus the reference's own */
    }
  }
  CHECK(within, "Thompson's 100-draw propensities lie within their Monte Carlo error of the 20,000-draw estimate");
  /* ε-greedy's ε falls with evidence, LinUCB's α too, down to their floors */
  CHECK(hub__tip_eps_at(&cfg, 0) == 1.0 && hub__tip_eps_at(&cfg, 1e9) == cfg.epsilon &&
            hub__tip_eps_at(&cfg, 99) > hub__tip_eps_at(&cfg, 399),
        "ε_t: 1 with no evidence, falling, never below ε");
  CHECK(hub__tip_alpha_at(&cfg, 0) == cfg.alpha && hub__tip_alpha_at(&cfg, 1e9) == cfg.alpha_min,
        "α_t: α0 with no evidence, α_min at the end");
  hub__linucb_free(&m);
  hub__linucb_free(&sm);
}

static void test_forgetting(void) {
  hub__linucb m;
  double x[TIP_D], y[TIP_D], A0[TIP_D * TIP_D], b0[TIP_D];
  hub__tip_item it;
  tip_cfg cfg;
  int i, ok = 1;
  int64_t day = 86400000LL;
  unsigned char *blob;
  size_t len;
  int restarted = 0;
  hub__tip_cfg_defaults(&cfg);
  memset(&it, 0, sizeof it);
  it.flags = HUB_TIPF_GFI;
  it.age_days = 10;
  hub__tip_features(&it, 21, 2, x); /* a good first issue in the evening */
  it.flags = HUB_TIPF_REVIEW;
  hub__tip_features(&it, 11, 2, y);
  CHECK(hub__tip_model_prior(MODEL_LINEAR, &cfg, &m) == 0 && m.half_life_ms == (double)(14 * day), "half-life 14 days");
  CHECK(hub__tip_learn_tuple(&m, x, -1.0, 1.0, NOW0) == 0, "one early dismissal");
  CHECK(hub__linucb_mean(&m, x) > -1.0 && hub__linucb_mean(&m, x) < 0, "it lowers the item's mean (%.3f)",
        hub__linucb_mean(&m, x));
  CHECK(hub__linucb_mean(&m, x) + hub__tip_alpha_at(&cfg, m.n_eff) * sqrt(hub__linucb_var(&m, x)) > 0,
        "but the prior's width keeps its UCB above 0: it will be tried again");
  memcpy(A0, m.A, sizeof A0);
  memcpy(b0, m.b, sizeof b0);
  CHECK(hub__linucb_decay_to(&m, NOW0 + 28 * day) == 0, "two half-lives later");
  for (i = 0; i < TIP_D * TIP_D; i++) {
    double prior = i % (TIP_D + 1) == 0 ? cfg.lambda : 0;
    if (fabs((m.A[i] - prior) - 0.25 * (A0[i] - prior)) > 1e-12) ok = 0;
  }
  for (i = 0; i < TIP_D; i++)
    if (fabs(m.b[i] - 0.25 * b0[i]) > 1e-12) ok = 0;
  CHECK(ok, "the dismissal weighs a quarter; the prior λI is whole");
  CHECK(fabs(m.n_eff - 0.25) < 1e-12, "n_eff = ¼");
  for (i = 0; i < 10; i++) hub__tip_learn_tuple(&m, x, 1.0, 1.0, NOW0 + 28 * day + i * 3600000LL);
  CHECK(hub__linucb_mean(&m, x) > 0.5, "the evening liking is learned after all (%.2f)", hub__linucb_mean(&m, x));
  CHECK(hub__linucb_decay_to(&m, NOW0) == 0 && m.t_ms == NOW0 + 28 * day + 9 * 3600000LL, "time never runs backwards");
  /* a stored model of another feature set (or the older format) starts over */
  hub__linucb_free(&m);
  {
    hub *h = open_db(":memory:");
    cJSON *r;
    hub__linucb old;
    hub__linucb_init(&old, 16, 1, 1, 1);
    hub__linucb_update(&old, y, 1);
    hub__linucb_save(&old, &blob, &len);
    hub__db_run(h, "INSERT INTO tip_models(user,policy,d,state) VALUES('me','linucb',16,?)", "b", blob, (int64_t)len);
    hub_free(blob);
    hub__linucb_free(&old);
    CHECK(hub__tip_model_load(h, "me", MODEL_LINEAR, &cfg, &m, &restarted) == 0 && restarted && m.d == TIP_D &&
              m.updates == 0,
          "a stored 16-feature model: a new %d-feature model starts", TIP_D);
    hub__linucb_free(&m);
    hub__setting_set(h, "github_user", "me");
    add_item(h, 1, "[]", "mentioned", 1, NOW0 / 1000);
    r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld}", NOW0);
    CHECK(tu_str(r, "model") && strstr(tu_str(r, "model"), "restarted") && strcmp(tu_str(r, "policy"), "linucb") == 0,
          "the tip says the model restarted, and LinUCB serves");
    cJSON_Delete(r);
    hub_close(h);
  }
}

/* The repos table's languages and the learned repo affinity reach the features. */
static void test_context_features(void) {
  hub *h = open_db(":memory:");
  cJSON *r;
  long dec;
  hub__setting_set(h, "github_user", "me");
  hub__db_exec(h, "INSERT INTO repos(owner,name,label,languages,source,hash,first_seen,changed) VALUES"
                  "('me','mine','good first issue','[\"Rust\",\"C\"]','test','h',0,0),"
                  "('o','r','good first issue','[\"rust\"]','test','h',0,0)");
  add_item(h, 2, "[\"good first issue\"]", NULL, 1, NOW0 / 1000 - 3600); /* o/r */
  r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld,\"debug\":true,\"tz_offset_min\":0}", NOW0);
  CHECK(tu_num(r, "features.18") > 0,
        "o/r is in Rust, a language of the user's own repo: language match (%g)", tu_num(r, "features.18"));
  CHECK(tu_num(r, "features.19") > 0 && tu_num(r, "features.22") > 0,
        "a good first issue in the user's language, at 22 h: both interactions on");
  CHECK(tu_num(r, "features.20") == 0, "no reactions yet: no repo affinity");
  dec = (long)tu_num(r, "decision");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"tip_feedback\",\"decision\":%ld,\"now\":%lld,\"reaction\":\"done\"}", dec, NOW0 + 1000);
  cJSON_Delete(r);
  add_item(h, 4, "[]", "mentioned", 1, NOW0 / 1000); /* another item in o/r */
  r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld,\"debug\":true}", NOW0 + 2000);
  CHECK(fabs(tu_num(r, "features.20") / tu_num(r, "features.18") - 1.0 / 6.0) < 1e-6, /* decayed a second */
        "after one done in o/r (residual 1 − 0 under the fresh model) its affinity is 1/(1 + 5), shrunk toward 0: %g",
        tu_num(r, "features.20") / tu_num(r, "features.18"));
  CHECK(tu_num(r, "features.18") > 0 && tu_num(r, "features.19") == 0, "a mention in o/r: language match only");
  cJSON_Delete(r);
  hub_close(h);
}

/* Direct sums over the log: A = λI + Σ 2^(−(T − t)/H) w x xᵀ, b likewise (T = last reaction). */
static void direct_model(hub *h, const tip_cfg *cfg, double *A, double *b, double *As) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT r.at, r.reward, d.features, d.xseed, d.propensity, d.candidates"
                                  " FROM tip_reactions r JOIN tip_decisions d ON d.id = r.decision_id ORDER BY r.at", NULL);
  int64_t T = hub__db_int(h, "SELECT max(at) FROM tip_reactions", NULL, 0);
  int i, j;
  memset(A, 0, TIP_D * TIP_D * sizeof *A);
  memset(b, 0, TIP_D * sizeof *b);
  memset(As, 0, TIP_DSEED * TIP_DSEED * sizeof *As);
  for (i = 0; i < TIP_D; i++) A[i * TIP_D + i] = cfg->lambda;
  for (i = 0; i < TIP_DSEED; i++) As[i * TIP_DSEED + i] = 1.0;
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    double g = exp2(-(double)(T - sqlite3_column_int64(st, 0)) / (cfg->half_life_days * 86400000.0));
    double r = sqlite3_column_double(st, 1), p = sqlite3_column_double(st, 4), n = (double)sqlite3_column_int64(st, 5);
    double w = fmin(cfg->ips_clip, fmax(1.0, 1.0 / (n * p))), x[TIP_D], xs[TIP_DSEED];
    cJSON *fx = cJSON_Parse((const char *)sqlite3_column_text(st, 2)), *fs = cJSON_Parse((const char *)sqlite3_column_text(st, 3));
    for (i = 0; i < TIP_D; i++) x[i] = cJSON_GetArrayItem(fx, i)->valuedouble;
    for (i = 0; i < TIP_DSEED; i++) xs[i] = cJSON_GetArrayItem(fs, i)->valuedouble;
    for (i = 0; i < TIP_D; i++) {
      for (j = 0; j < TIP_D; j++) A[i * TIP_D + j] += g * w * x[i] * x[j];
      b[i] += g * w * r * x[i];
    }
    for (i = 0; i < TIP_DSEED; i++)
      for (j = 0; j < TIP_DSEED; j++) As[i * TIP_DSEED + j] += xs[i] * xs[j];
    cJSON_Delete(fx);
    cJSON_Delete(fs);
  }
  hub__db_done(h, st);
}

static double rel_diff(const double *a, const double *b, int n) {
  double m = 0, s = 1e-12;
  int i;
  for (i = 0; i < n; i++) {
    m = fmax(m, fabs(a[i] - b[i]));
    s = fmax(s, fabs(b[i]));
  }
  return m / s;
}

/* Thompson draws ts_samples when it serves and HUB_TIP_SHADOW_SAMPLES when it shadows; either
 * way its logged p of the served item is a count of its draws / their number (with the floor). */
static void shadow_draws(hub *h) {
  cJSON *r = tu_call(h, "{\"cmd\":\"sql\",\"sql\":\"SELECT policy, policies, candidates, epsilon FROM tip_decisions\"}"), *row;
  int served = 0, shadow = 0, counts = 1;
  cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(r, "rows")) {
    const char *pol = cJSON_GetArrayItem(row, 0)->valuestring;
    cJSON *p = cJSON_Parse(cJSON_GetArrayItem(row, 1)->valuestring);
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(p, "thompson");
    double M = tu_num(th, "mc_samples"), n = cJSON_GetArrayItem(row, 2)->valuedouble;
    double eps = cJSON_GetArrayItem(row, 3)->valuedouble, k = (tu_num(th, "p") - eps / n) / (1 - eps) * M;
    if (strcmp(pol, "thompson") == 0) served += M == 100;
    else shadow += M == HUB_TIP_SHADOW_SAMPLES;
    if (fabs(k - floor(k + 0.5)) > 1e-6) counts = 0;
    cJSON_Delete(p);
  }
  CHECK(served == tu_count(h, "SELECT count(*) FROM tip_decisions WHERE policy='thompson'") && served > 0,
        "a serving Thompson draws all its 100 samples (%d)", served);
  CHECK(shadow == tu_count(h, "SELECT count(*) FROM tip_decisions WHERE policy<>'thompson'") && shadow > 0,
        "a shadowing Thompson draws %d (%d)", HUB_TIP_SHADOW_SAMPLES, shadow);
  CHECK(counts, "its logged p is a count of its draws, through the ε floor");
  cJSON_Delete(r);
}

/* Forty tips, every policy serving in turn, reactions of every kind spread over ten days, under
 * the tip knobs `knobs` (a JSON object's members). */
static void serve_40(hub *h, const char *knobs) {
  static const char *const reactions[] = {"done", "snooze", "dismiss", "helpful", "not_helpful"};
  static const char *const serve[] = {"linucb", "thompson", "egreedy", "score_greedy", "random", "seed_linucb"};
  cJSON *r;
  int i;
  hub__setting_set(h, "github_user", "me");
  fill(h, 25);
  r = tu_call(h, "{\"cmd\":\"tip_policies\",\"set\":{\"epsilon\":0.3,\"ips_clip\":4,\"half_life_days\":2%s}}", knobs);
  cJSON_Delete(r);
  for (i = 0; i < 40; i++) {
    long long t = NOW0 + (long long)i * 6 * 3600000;
    long dec;
    r = tu_call(h, "{\"cmd\":\"tip_policies\",\"set\":{\"serve\":\"%s\"}}", serve[i % 6]);
    cJSON_Delete(r);
    r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld,\"seed\":%d}", t, i);
    dec = (long)tu_num(r, "decision");
    if (i % 6 == 1) CHECK(tu_num(r, "mc_samples") == 100, "Thompson's decision records its draws (%g)", tu_num(r, "mc_samples"));
    cJSON_Delete(r);
    r = tu_call(h, "{\"cmd\":\"tip_feedback\",\"decision\":%ld,\"now\":%lld,\"reaction\":\"%s\"}", dec, t + 60000,
                reactions[i % 5 == 0 ? 1 : i % 4 == 0 ? 0 : i % 3 == 0 ? 4 : 3]);
    cJSON_Delete(r);
  }
}

/* With the repo's term off (repo_effect 0) the model learns the rewards themselves: a refresh
 * equals the direct sums. */
static void test_refresh(void) {
  hub *h = open_db(":memory:");
  cJSON *r;
  tip_cfg cfg;
  hub__linucb online, online_seed, fresh, fresh_seed;
  double A[TIP_D * TIP_D], b[TIP_D], As[TIP_DSEED * TIP_DSEED];
  serve_40(h, ",\"repo_effect\":0");
  CHECK(tu_count(h, "SELECT count(DISTINCT policy) FROM tip_decisions") == 6, "six policies served");
  shadow_draws(h);
  CHECK(tu_count(h, "SELECT count(DISTINCT propensity) FROM tip_decisions") > 5, "with varied propensities");
  hub__tip_cfg_load(h, &cfg);
  CHECK(hub__tip_model_load(h, "me", MODEL_LINEAR, &cfg, &online, NULL) == 0 &&
            hub__tip_model_load(h, "me", MODEL_SEED, &cfg, &online_seed, NULL) == 0 && online.updates == 40 &&
            online_seed.updates == 40,
        "every served tip taught both models, whichever policy served (%ld, %ld)", online.updates, online_seed.updates);
  r = tu_call(h, "{\"cmd\":\"tip_refresh\"}");
  CHECK(tu_num(r, "tuples") == 40 && tu_num(r, "skipped") == 0 && tu_num(r, "models.linucb.learned") == 40,
        "tip_refresh replays the 40 logged tuples");
  cJSON_Delete(r);
  CHECK(hub__tip_model_load(h, "me", MODEL_LINEAR, &cfg, &fresh, NULL) == 0 &&
            hub__tip_model_load(h, "me", MODEL_SEED, &cfg, &fresh_seed, NULL) == 0,
        "refreshed models load");
  direct_model(h, &cfg, A, b, As);
  CHECK(rel_diff(fresh.A, A, TIP_D * TIP_D) < 1e-9 && rel_diff(fresh.b, b, TIP_D) < 1e-9,
        "log refresh = the direct importance-weighted, discounted sums (A %.2g, b %.2g)",
        rel_diff(fresh.A, A, TIP_D * TIP_D), rel_diff(fresh.b, b, TIP_D));
  CHECK(rel_diff(online.A, A, TIP_D * TIP_D) < 1e-9 && rel_diff(online.theta, fresh.theta, TIP_D) < 1e-9,
        "and = the model learned online");
  CHECK(rel_diff(fresh_seed.A, As, TIP_DSEED * TIP_DSEED) < 1e-12, "the seed design's model too");
  hub__linucb_free(&online);
  hub__linucb_free(&online_seed);
  hub__linucb_free(&fresh);
  hub__linucb_free(&fresh_seed);
  /* a log of another feature set is skipped, not learned */
  hub__db_exec(h, "UPDATE tip_decisions SET features='[1,2,3]' WHERE id=1");
  r = tu_call(h, "{\"cmd\":\"tip_refresh\",\"now\":%lld}", NOW0 + 20LL * 86400000);
  CHECK(tu_num(r, "skipped") == 1 && tu_num(r, "models.linucb.learned") == 39, "old-format tuples are skipped");
  cJSON_Delete(r);
  hub_close(h);
}

/* The first column of the first row of a query through the sql command (NAN when none). */
static double sql_num(hub *h, const char *sql) {
  cJSON *r = tu_call(h, "{\"cmd\":\"sql\",\"sql\":\"%s\"}", sql);
  const cJSON *v = cJSON_GetArrayItem(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "rows"), 0), 0);
  double x = cJSON_IsNumber(v) ? v->valuedouble : NAN;
  cJSON_Delete(r);
  return x;
}

/* With the repo's term on (the default), a refresh still reproduces the online model and the
 * affinities (test_learn_step pins the step's arithmetic). */
static void test_refresh_repo(void) {
  hub *h = open_db(":memory:");
  cJSON *r;
  tip_cfg cfg;
  hub__linucb online, fresh;
  double diff;
  serve_40(h, "");
  hub__tip_cfg_load(h, &cfg);
  CHECK(cfg.repo_effect == 1, "the repo's term is on by default");
  hub__db_exec(h, "CREATE TEMP TABLE aff0 AS SELECT repo, n, s, at FROM tip_affinity");
  CHECK(hub__tip_model_load(h, "me", MODEL_LINEAR, &cfg, &online, NULL) == 0, "online model");
  r = tu_call(h, "{\"cmd\":\"tip_refresh\"}");
  CHECK(tu_num(r, "models.linucb.learned") == 40, "tip_refresh replays the 40 tuples");
  cJSON_Delete(r);
  CHECK(hub__tip_model_load(h, "me", MODEL_LINEAR, &cfg, &fresh, NULL) == 0 &&
            rel_diff(fresh.A, online.A, TIP_D * TIP_D) < 1e-9 && rel_diff(fresh.theta, online.theta, TIP_D) < 1e-9,
        "log refresh = the model learned online, with the repo's term");
  diff = sql_num(h, "SELECT max(abs(a.n - b.n) + abs(a.s - b.s) + abs(a.at - b.at))"
                    " FROM tip_affinity a JOIN aff0 b USING(repo)");
  CHECK(tu_count(h, "SELECT count(*) FROM aff0") > 0 &&
            tu_count(h, "SELECT count(*) FROM aff0") == tu_count(h, "SELECT count(*) FROM tip_affinity") && diff < 1e-9,
        "and = the affinities learned online (%g)", diff);
  hub__linucb_free(&online);
  hub__linucb_free(&fresh);
  hub_close(h);
}

/* One learning step by hand: the affinity learns r − θᵀx, the model r − k·(the affinity then). */
static void test_learn_step(void) {
  tip_cfg cfg;
  hub__linucb m, ref;
  hub__tip_aff a, b;
  hub__tip_item it;
  cand c[2];
  double x[TIP_D], pred, score[2];
  int i, ok = 1;
  hub__tip_cfg_defaults(&cfg);
  cfg.repo_effect = 0.7;
  memset(&it, 0, sizeof it);
  it.flags = HUB_TIPF_REVIEW | HUB_TIPF_OWN_REPO;
  it.age_days = 3;
  hub__tip_features(&it, 10, 2, x);
  memset(&a, 0, sizeof a);
  hub__tip_model_prior(MODEL_LINEAR, &cfg, &m);
  hub__tip_model_prior(MODEL_LINEAR, &cfg, &ref);
  CHECK(hub__tip_learn_step(&m, x, &a, 1.0, 1.0, NOW0, &cfg) == 0 && a.n == 1 && a.s == 1,
        "first reaction: the fresh model predicted 0, the residual is the reward (n %g, s %g)", a.n, a.s);
  for (i = 0; i < TIP_D; i++) ok &= fabs(m.b[i] - x[i]) < 1e-15;
  CHECK(ok, "and the model learned r − k·0 = r");
  pred = hub__linucb_mean(&m, x);
  b = a;
  hub__linucb_update_w(&ref, x, 1.0, 1.0);
  hub__linucb_update_w(&ref, x, -1.0 - 0.7 / 6.0, 1.0);
  CHECK(hub__tip_learn_step(&m, x, &a, -1.0, 1.0, NOW0, &cfg) == 0 && a.n == 2 &&
            fabs(a.s - (1.0 + (-1.0 - pred))) < 1e-12,
        "second: the affinity adds −1 − θᵀx (%g, want %g)", a.s, 1.0 + (-1.0 - pred));
  CHECK(rel_diff(m.b, ref.b, TIP_D) < 1e-12, "the model learned −1 − 0.7 · 1/(1 + 5)");
  CHECK(hub__tip_learn_step(NULL, x, &b, -1.0, 1.0, NOW0, &cfg) == 0 && b.n == 2 && b.s == 0,
        "no usable model: the affinity learns the reward itself");
  memset(c, 0, sizeof c);
  c[0].it = c[1].it = it;
  c[1].it.affinity = 0.5;
  memcpy(c[0].x, x, sizeof x);
  memcpy(c[1].x, x, sizeof x);
  CHECK(hub__tip_ucb_scores(&m, c, NULL, 2, 0.5, cfg.fatigue, cfg.repo_effect, score) == 0 &&
            fabs(score[1] - score[0] - 0.35) < 1e-12,
        "LinUCB's score adds repo_effect × the repo's affinity (%g)", score[1] - score[0]);
  hub__linucb_free(&m);
  hub__linucb_free(&ref);
}

static void test_simulator(void) {
  hub__sim_cfg c;
  hub__sim_run runs[HUB_TIP_NPOL], again[HUB_TIP_NPOL];
  hub__sim_table t;
  double x[TIP_D], n2 = 0;
  hub__tip_item it;
  int i, type, ok_rows = 1, same = 1;
  cJSON *r;
  hub *h = open_db(":memory:");
  memset(&it, 0, sizeof it);
  it.age_days = 1000;
  it.stale_days = 1000;
  it.engagement = 1e6;
  it.importance = 1e6;
  it.affinity = 1;
  it.flags = 0x3ff;
  hub__tip_features(&it, 12, 6, x);
  for (i = 0; i < TIP_D; i++) n2 += x[i] * x[i];
  CHECK(fabs(n2 - 1.0) < 1e-12, "longest feature vector scaled to ‖x‖ = 1");
  hub__sim_defaults(&c);
  c.steps = 150;
  c.seeds = 2;
  for (type = 0; type < HUB_SIM_TYPES; type++) {
    CHECK(hub__sim_user(&c, type, 5, runs) == 0, "simulate a %s user", hub__sim_type_names[type]);
    for (i = 0; i < HUB_TIP_NPOL; i++)
      if (runs[i].served != c.steps || runs[i].max_in_row > HUB_TIP_MAX_REPEAT || !(runs[i].regret >= 0)) ok_rows = 0;
    hub__sim_user(&c, type, 5, again);
    for (i = 0; i < HUB_TIP_NPOL; i++)
      if (again[i].regret != runs[i].regret) same = 0;
  }
  CHECK(ok_rows, "every policy serves every step, never an item 3 times in a row, regret ≥ 0");
  CHECK(same, "a seed replays exactly");
  c.type = SIMU_RARE;
  CHECK(hub__sim_family(&c, &t) == 0 && t.cell[SIMU_RARE][POL_RANDOM].ratio_median == 1.0 &&
            t.cell[SIMU_RARE][POL_LINUCB].median > 0 && t.cell[SIMU_RARE][POL_LINUCB].worst >= t.cell[SIMU_RARE][POL_LINUCB].median,
        "the family table: random's ratio 1, worst ≥ median");
  r = tu_call(h, "{\"cmd\":\"tip_simulate\",\"steps\":60,\"seeds\":2,\"type\":\"drift\",\"policies\":[\"random\",\"seed_linucb\"]}");
  CHECK(tu_str(r, "types.0.type") && strcmp(tu_str(r, "types.0.type"), "drift") == 0 &&
            strcmp(tu_str(r, "types.0.policies.1.policy"), "seed_linucb") == 0 && tu_num(r, "types.0.policies.0.ratio_median") == 1,
        "tip_simulate answers the table for what was asked");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"tip_simulate\",\"steps\":600,\"seeds\":100}");
  CHECK(tu_str(r, "error.code") && strcmp(tu_str(r, "error.code"), "too_big") == 0, "more work than the cap is refused");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"tip_simulate\",\"type\":\"sideways\"}");
  CHECK(tu_str(r, "error.code") != NULL, "an unknown user type is refused");
  cJSON_Delete(r);
  hub_close(h);
}

/* The drift user's change in the simulator: the regret from the change day on is kept apart, and
 * the oracle reset (analysis only) restarts the learned model there and touches nothing else. */
static void test_sim_change(void) {
  hub__sim_cfg c;
  hub__sim_run a[HUB_TIP_NPOL], b[HUB_TIP_NPOL];
  hub__sim_table t;
  int type, p, before = 1, split = 1, others_same = 1, learner_moved = 0, rest_same = 1;
  cJSON *r;
  hub *h = open_db(":memory:");
  hub__sim_defaults(&c);
  c.seeds = 1;
  c.steps = 100; /* ≤ 100 × 6.7 h < 30 days: every tip is before the change */
  hub__sim_user(&c, SIMU_DRIFT, 3, a);
  for (p = 0; p < HUB_TIP_NPOL; p++)
    if (a[p].regret_after != 0) before = 0;
  CHECK(before, "no regret counts as after the change before day %d", HUB_SIM_CHANGE_DAY);
  c.steps = 300; /* ≈ 45 days at 3.6 h a tip on average: past the change (the seed is fixed) */
  for (type = 0; type < HUB_SIM_TYPES; type++) {
    c.oracle_reset = 0;
    hub__sim_user(&c, type, 3, a);
    c.oracle_reset = 1;
    hub__sim_user(&c, type, 3, b);
    for (p = 0; p < HUB_TIP_NPOL; p++) {
      if (!(a[p].regret_after > 0 && a[p].regret_after < a[p].regret)) split = 0;
      if (type != SIMU_DRIFT && (a[p].regret != b[p].regret || a[p].reward != b[p].reward)) others_same = 0;
      if (type == SIMU_DRIFT && p <= POL_EGREEDY && a[p].regret_after != b[p].regret_after) learner_moved++;
      if (type == SIMU_DRIFT && p > POL_EGREEDY && a[p].regret != b[p].regret) rest_same = 0;
    }
  }
  CHECK(split, "past the change, 0 < the regret after it < the whole regret, for every type and policy");
  CHECK(others_same, "the oracle reset changes nothing for a user who does not drift");
  CHECK(learner_moved == POL_EGREEDY + 1, "it changes what each learned policy does after the drift user's change (%d)",
        learner_moved);
  CHECK(rest_same, "and nothing for the policies that do not learn the linear model");
  c.type = SIMU_DRIFT;
  c.oracle_reset = 0;
  CHECK(hub__sim_family(&c, &t) == 0 && t.cell[SIMU_DRIFT][POL_RANDOM].ratio_after_median == 1.0 &&
            t.cell[SIMU_DRIFT][POL_LINUCB].ratio_after_median > 0,
        "the table's after-the-change ratio: random's is 1");
  r = tu_call(h, "{\"cmd\":\"tip_simulate\",\"steps\":300,\"seeds\":1,\"type\":\"drift\",\"oracle_reset\":true,"
                 "\"policies\":[\"random\",\"linucb\"]}");
  CHECK(tu_num(r, "types.0.policies.1.ratio_after_median") == 1, "tip_simulate answers it (random is policy 1 here)");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"tip_simulate\",\"oracle_reset\":1}");
  CHECK(tu_str(r, "error.code") != NULL, "oracle_reset must be true or false");
  cJSON_Delete(r);
  hub_close(h);
}

/* ---- the tip's decisions over a changing state, as text -------------------------------------
 * 60 tips at 10-minute steps with every reaction (and none), an item changing, a triage action
 * from the inbox, a repo's language, a knob changed, a snoozed item coming back, another
 * connection's write: one line per tip (item, policy, propensity, score, candidates, in a row,
 * explored, why, each policy's choice) and per feedback. tests/golden/tip-trace.txt pins it (made
 * before the candidates were kept between tips), and the cache must not change a line. */

static void trace_line(hub__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void trace_line(hub__buf *b, const char *fmt, ...) {
  char line[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  hub__buf_str(b, line);
  hub__buf_str(b, "\n");
}

static char *tip_trace(const char *path, int cache) {
  static const char *const reactions[] = {"helpful", "not_helpful", "done", "helpful", "snooze", "dismiss", NULL, NULL};
  hub *h, *other = NULL;
  hub__buf b;
  int i;
  hub__buf_init(&b, 1u << 22);
  remove(path);
  h = open_db(path);
  hub__tip_cache_enable(cache);
  hub__setting_set(h, "github_user", "me");
  hub__db_exec(h, "INSERT INTO repos(owner,name,label,languages,source,hash,first_seen,changed) VALUES"
                  "('me','mine','good first issue','[\"C\"]','test','h',0,0)");
  fill(h, 60);
  for (i = 0; i < 60; i++) {
    int64_t now = NOW0 + (int64_t)i * 600000;
    const char *react = reactions[i % 8];
    cJSON *r, *pol, *p;
    if (i == 12) add_item(h, 7, "[\"bug\"]", "mentioned", 30, now / 1000); /* news on an item */
    if (i == 20) cJSON_Delete(tu_call(h, "{\"cmd\":\"triage\",\"now\":%lld,\"action\":\"done\",\"keys\":[\"github.com/o/r#8\",\"github.com/o/r#9\"]}",
                                      (long long)now));
    if (i == 26) hub__db_exec(h, "INSERT INTO repos(owner,name,label,languages,source,hash,first_seen,changed) VALUES"
                                 "('o','r','good first issue','[\"c\"]','test','h',0,0)");
    if (i == 33) cJSON_Delete(tu_call(h, "{\"cmd\":\"tip_policies\",\"set\":{\"fatigue\":0.3}}"));
    if (i == 40) cJSON_Delete(tu_call(h, "{\"cmd\":\"undo\",\"now\":%lld}", (long long)now));
    if (i == 47) { /* another connection writes: this one learns it from data_version */
      other = open_db(path);
      cJSON_Delete(tu_call(other, "{\"cmd\":\"triage\",\"now\":%lld,\"action\":\"dismiss\",\"keys\":[\"github.com/o/r#11\"]}",
                           (long long)now));
      hub_close(other);
    }
    r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld,\"seed\":%d,\"tz_offset_min\":60}", (long long)now, i + 1);
    if (!tu_str(r, "tip.key")) {
      trace_line(&b, "%2d no tip: %s", i, tu_str(r, "why") ? tu_str(r, "why") : tu_str(r, "error.message"));
      cJSON_Delete(r);
      continue;
    }
    trace_line(&b, "%2d %s %s p=%.12g score=%.12g n=%g in_row=%g explored=%d why=%s", i, tu_str(r, "tip.key"),
               tu_str(r, "policy"), tu_num(r, "propensity"), tu_num(r, "score"), tu_num(r, "candidates"),
               tu_num(r, "in_row"), cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "explored")), tu_str(r, "why"));
    {
      cJSON *row = tu_call(h, "{\"cmd\":\"sql\",\"sql\":\"SELECT features, xseed, policies FROM tip_decisions WHERE id=%ld\"}",
                           (long)tu_num(r, "decision"));
      pol = cJSON_Parse(tu_str(row, "rows.0.2") ? tu_str(row, "rows.0.2") : "{}");
      trace_line(&b, "   x=%s xs=%s", tu_str(row, "rows.0.0") ? tu_str(row, "rows.0.0") : "?",
                 tu_str(row, "rows.0.1") ? tu_str(row, "rows.0.1") : "?");
      cJSON_ArrayForEach(p, pol)
        trace_line(&b, "   %s choice=%s p=%.12g score=%.12g", p->string, tu_str(p, "choice"), tu_num(p, "p"),
                   tu_num(p, "score"));
      cJSON_Delete(pol);
      cJSON_Delete(row);
    }
    if (react) {
      cJSON *f = tu_call(h, "{\"cmd\":\"tip_feedback\",\"decision\":%ld,\"now\":%lld,\"reaction\":\"%s\"}",
                         (long)tu_num(r, "decision"), (long long)(now + 1000), react);
      trace_line(&b, "   feedback %s reward=%g updates=%g", react, tu_num(f, "reward"), tu_num(f, "updates"));
      cJSON_Delete(f);
    }
    cJSON_Delete(r);
  }
  {
    cJSON *st = tu_call(h, "{\"cmd\":\"tip_stats\"}"), *e;
    int k = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(st, "model"), "theta"))
      trace_line(&b, "theta[%d]=%.9g", k++, e->valuedouble);
    cJSON_Delete(st);
  }
  hub__tip_cache_enable(1);
  hub_close(h);
  remove(path);
  return b.p;
}

static void test_tip_trace(void) {
  char *kept = tip_trace("build/out/bandit-trace.db", 1), *fresh = tip_trace("build/out/bandit-trace.db", 0);
  CHECK(kept && fresh && strcmp(kept, fresh) == 0,
        "the tips with candidates kept between them are the tips without (same seeds, same choices, same numbers)");
  tu_golden("build/out", "tip-trace", kept);
  hub_free(fresh);
}

int main(void) {
  hub__mem_init();
  test_tip_trace();
  test_math();
  test_rewards_and_blob();
  test_tip_api();
  test_obd();
  test_fatigue_arithmetic();
  test_repeats();
  test_snooze_return();
  test_propensities();
  test_forgetting();
  test_context_features();
  test_refresh();
  test_refresh_repo();
  test_learn_step();
  test_simulator();
  test_sim_change();
  printf("bandit tests: %d passed, %d failed\n", tu_passed, tu_failed);
  return tu_failed ? 1 : 0;
}
