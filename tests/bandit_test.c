/*
 * bandit_test.c — tests of "one tip": LinUCB's algebra against a direct Gauss–Jordan inverse
 * on random data, reward updates, persistence across hub_close/hub_open, policy fallback,
 * propensities, candidate states (done / snooze / dismiss), the offline estimators against an
 * independent computation over the Open Bandit Dataset sample, and the simulator's verdict.
 *
 * The OBD sample is read at test time from $HUB_OBD_DIR (default ../shared/fixtures/obd);
 * when it is absent the check is skipped with a notice.
 */
#include <math.h>
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
  /* same seed, same state → same tip (determinism) */
  r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld,\"seed\":3}", NOW0);
  r2 = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld,\"seed\":3}", NOW0);
  CHECK(strcmp(tu_str(r, "tip.key"), tu_str(r2, "tip.key")) == 0, "seeded draws repeat");
  cJSON_Delete(r);
  cJSON_Delete(r2);
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
  CHECK(tu_str(r, "policies.1.role") && strcmp(tu_str(r, "policies.1.role"), "off") == 0, "score_greedy off");
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
  CHECK(tu_num(r, "models") == 1, "reset drops the model");
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
        "{\"cmd\":\"tip_simulate\",\"steps\":20,\"users\":1,\"candidates\":5}"};
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

static void test_simulator(void) {
  hub__sim_cfg cfg;
  hub__sim_result r;
  double x[16], n2 = 0;
  hub__tip_item it;
  int i;
  memset(&it, 0, sizeof it);
  it.age_days = 1000;
  it.stale_days = 1000;
  it.engagement = 1e6;
  it.importance = 1e6;
  it.flags = 0x1ff;
  hub__tip_features(&it, 12, 6, x);
  for (i = 0; i < 16; i++) n2 += x[i] * x[i];
  CHECK(fabs(n2 - 1.0) < 1e-12, "longest feature vector scaled to ‖x‖ = 1");
  hub__sim_defaults(&cfg);
  cfg.users = 4;
  cfg.steps = 1000;
  cfg.seed = 42;
  CHECK(hub__tip_simulate(&cfg, &r) == 0, "simulate");
  CHECK(r.regret[HUB_SIM_LINUCB] < 0.5 * r.regret[HUB_SIM_RANDOM], "LinUCB beats random: %.1f vs %.1f",
        r.regret[HUB_SIM_LINUCB], r.regret[HUB_SIM_RANDOM]);
  CHECK(r.regret[HUB_SIM_LINUCB] < 0.5 * r.regret[HUB_SIM_SEED], "and halves the seed design's regret: %.1f vs %.1f",
        r.regret[HUB_SIM_LINUCB], r.regret[HUB_SIM_SEED]);
  CHECK(r.reward[HUB_SIM_LINUCB] > r.reward[HUB_SIM_RANDOM], "and earns more reward");
}

int main(void) {
  hub__mem_init();
  test_math();
  test_rewards_and_blob();
  test_tip_api();
  test_obd();
  test_simulator();
  printf("bandit tests: %d passed, %d failed\n", tu_passed, tu_failed);
  return tu_failed ? 1 : 0;
}
