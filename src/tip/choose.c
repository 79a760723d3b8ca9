/*
 * choose.c — the tip command: candidates (kept between tips by cache.c, their context from
 * context.c), every enabled policy's distribution, the ε floor, the draw, the decision's log
 * and the view's exposure (tip layer; the flow is described in tip.h). hub__tip_cmd is a
 * dispatcher over the named steps below.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db/db.h"
#include "rank/rank.h"
#include "tip/tip_int.h"
#include "tip/insight.h"
#include "base/events.h"

/* ---- explaining ------------------------------------------------------------------------- */

/* Up to two phrases: the features that add most to the served item's score under θ (LinUCB;
 * the repo's own term, repo × its affinity, counts as the affinity feature's) or, for other
 * policies, its most telling facts. New string or NULL. */
static char *why_words(const cand *c, const hub__linucb *m, double repo, const char *policy, int explored) {
  double contrib[TIP_D];
  int i, first = -1, second = -1, learned = hub__tip_policy_index(policy) <= POL_EGREEDY;
  if (strcmp(policy, "seed_linucb") == 0) return hub__strdup("the seed design's pick (hour, weekday, age, priority)");
  for (i = 1; i < TIP_D; i++) {
    double base = c->x[i] > 0 ? 1.0 : 0.0;
    if (i == 1 || i == 2 || i == 3 || i == 13) base = c->x[i] > 0.6 * S ? 0.5 : 0.0;
    contrib[i] = m && learned ? m->theta[i] * c->x[i] + (i == 20 ? repo * c->it.affinity : 0)
                              : base * (i >= 4 ? 1.0 : 0.5);
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
  if (explored && first >= 0) return hub__printf("something different: %s", hub__tip_feature_words[first]);
  if (first < 0) return hub__strdup(explored ? "something different, to learn what you like" : "a fresh pick");
  if (second < 0) return hub__strdup(hub__tip_feature_words[first]);
  return hub__printf("%s · %s", hub__tip_feature_words[first], hub__tip_feature_words[second]);
}

static cJSON *features_json(const double *x, int d) {
  cJSON *a = cJSON_CreateArray();
  int i;
  for (i = 0; a && i < d; i++) hub__push(a, cJSON_CreateNumber(x[i]));
  return a;
}

/* x as cJSON prints a number (the log's text stays what it was): "0" for +0 without a
 * conversion, else %1.15g when that reads back within cJSON's tolerance, else %1.17g; null
 * when not finite. Returns the length written at out (cap ≥ 32). */
static size_t num_text(double x, char *out, size_t cap) {
  int n;
  double back;
  if (!isfinite(x)) n = snprintf(out, cap, "null");
  else if (x == 0 && !signbit(x)) n = snprintf(out, cap, "0");
  else {
    n = snprintf(out, cap, "%1.15g", x);
    back = strtod(out, NULL);
    if (!(fabs(back - x) <= fmax(fabs(back), fabs(x)) * DBL_EPSILON)) n = snprintf(out, cap, "%1.17g", x);
  }
  return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* The JSON array text of x[0..d-1] (d ≤ TIP_D), as cJSON_PrintUnformatted would print it, built
 * without a cJSON tree and with no conversion for the many zeros. New string, or NULL (OOM). */
static char *vec_text(const double *x, int d) {
  size_t cap = (size_t)d * 33 + 3, n = 0;
  char *t = hub__malloc(cap);
  int i;
  if (t) {
    t[n++] = '[';
    for (i = 0; i < d; i++) {
      if (i) t[n++] = ',';
      n += num_text(x[i], t + n, 32);
    }
    t[n++] = ']';
    t[n] = 0;
  }
  return t;
}

static cJSON *item_json(hub *h, int64_t id) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT key,title,repo,url,kind,number,labels FROM items WHERE id=?", "i", id);
  cJSON *o = NULL;
  if (!st) return NULL;
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
  hub__db_done(h, st);
  return o;
}

/* ---- one decision ------------------------------------------------------------------------- */

/* Everything one tip decision holds while it is made. */
typedef struct {
  int64_t now_ms;
  char *user;
  tip_cfg cfg;
  cand *c;          /* the cache's candidates (cache.c): not owned */
  size_t n, pick;
  hub__linucb model, seed_model;
  int have_model, have_seed, restarted, held, in_row, en[HUB_TIP_NPOL], served, explored;
  int th_samples;   /* Thompson's Monte Carlo draws in this decision (fewer when it shadows) */
  double *score, *prob; /* HUB_TIP_NPOL rows of n */
  uint64_t seed;
  cJSON *pol, *fallback;
} decision;

static void decision_free(decision *d) {
  hub__linucb_free(&d->model);
  hub__linucb_free(&d->seed_model);
  hub_free(d->score);
  hub_free(d->user);
  cJSON_Delete(d->pol);
  cJSON_Delete(d->fallback);
}

/* Thompson's draws in this decision: ts_samples when it serves, at most HUB_TIP_SHADOW_SAMPLES
 * when it only shadows. A shadow's p of the served item is what off-policy estimates divide by
 * the served propensity; the M-draw mixture's p averaged over the decision's seed is Thompson
 * sampling's own propensity for any M, so fewer draws keep those estimates unbiased (their
 * variance grows a little) and cut the tip's largest cost. The served propensity — every
 * estimate's denominator — stays exact: a served Thompson draws all ts_samples. */
static int th_samples(const decision *d) {
  int m = (int)hub__num_clamp(d->cfg.ts_samples, 1, HUB_TIP_MAX_SAMPLES);
  return d->served >= 0 && m > HUB_TIP_SHADOW_SAMPLES ? HUB_TIP_SHADOW_SAMPLES : m;
}

/* Asks every enabled policy, in fallback order (the served one first), for its distribution
 * with the ε floor; a failing policy is disabled for this decision and named in fallback. */
static void run_policies(decision *d) {
  tip_ctx ctx;
  tip_cfg th_cfg = d->cfg; /* Thompson's, with its draws for this decision */
  hub__tip_nz nz[HUB_TIP_MAX_CANDIDATES];
  int order[HUB_TIP_NPOL], no = 0, k, sidx = hub__tip_policy_index(d->cfg.serve);
  size_t n = d->n;
  hub__tip_nz_of(d->c, n, nz);
  ctx.c = d->c;
  ctx.n = n;
  ctx.nz = nz;
  ctx.model = d->have_model ? &d->model : NULL;
  ctx.seed_model = d->have_seed ? &d->seed_model : NULL;
  ctx.cfg = &d->cfg;
  ctx.seed = d->seed;
  if (sidx < 0) sidx = 0;
  order[no++] = sidx;
  for (k = 0; k < HUB_TIP_NPOL; k++)
    if (k != sidx) order[no++] = k;
  d->served = -1;
  for (k = 0; k < no; k++) {
    int p = order[k], ok;
    double *sc = d->score + n * (size_t)p, *pr = d->prob + n * (size_t)p;
    if (!d->en[p]) continue;
    if (p == POL_THOMPSON) {
      d->th_samples = th_samples(d);
      th_cfg.ts_samples = d->th_samples;
    }
    ctx.cfg = p == POL_THOMPSON ? &th_cfg : &d->cfg;
    /* the ε floor: every candidate keeps probability ≥ ε/n */
    ok = hub__tip_policy_table[p].fn(&ctx, sc, pr) == 0 && hub__tip_floor(pr, n, d->cfg.epsilon) == 0;
    if (!ok) {
      d->en[p] = 0; /* failed: not served, not logged as a shadow */
      hub__push(d->fallback, cJSON_CreateString(hub__tip_policy_table[p].name));
      continue;
    }
    if (d->served < 0) d->served = p;
  }
  if (d->served < 0) { /* every enabled policy failed (or none is enabled): uniform */
    int r = hub__tip_policy_index("random");
    ctx.model = NULL;
    ctx.cfg = &d->cfg;
    hub__tip_policy_table[r].fn(&ctx, d->score + n * (size_t)r, d->prob + n * (size_t)r);
    d->served = r;
    d->en[r] = 1;
  }
}

static size_t argmax_of(const double *p, size_t n) {
  size_t i, g = 0;
  for (i = 1; i < n; i++)
    if (p[i] > p[g]) g = i;
  return g;
}

/* The decision's seed: the request's, else one from the clock and the log's length. */
static void pick_seed(hub *h, decision *d, const cJSON *jseed) {
  if (cJSON_IsNumber(jseed)) d->seed = (uint64_t)hub__num_clamp(jseed->valuedouble, 0, INT64_MAX);
  else d->seed = hub__mix64((uint64_t)d->now_ms ^
                            hub__mix64((uint64_t)hub__db_int(h, "SELECT coalesce(max(id),0) FROM tip_decisions", NULL, 0)));
}

/* Draws the tip from the served distribution with a seeded PRNG. */
static void draw(decision *d) {
  const double *ps = d->prob + d->n * (size_t)d->served;
  double u, acc = 0;
  uint64_t rng;
  size_t i;
  rng = hub__mix64(d->seed) | 1u;
  u = hub__tip_unif(&rng);
  d->pick = d->n - 1;
  for (i = 0; i < d->n; i++) {
    acc += ps[i];
    if (u < acc) {
      d->pick = i;
      break;
    }
  }
  d->explored = argmax_of(ps, d->n) != d->pick;
}

/* Per policy: its own greedy choice, its probability and score of the served item. */
static void record_policies(decision *d) {
  int k;
  for (k = 0; k < HUB_TIP_NPOL; k++) {
    const double *pr = d->prob + d->n * (size_t)k;
    cJSON *o;
    if (!d->en[k]) continue;
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "choice", d->c[argmax_of(pr, d->n)].key);
    cJSON_AddNumberToObject(o, "p", pr[d->pick]);
    cJSON_AddNumberToObject(o, "score", d->score[d->n * (size_t)k + d->pick]);
    if (k == POL_THOMPSON) cJSON_AddNumberToObject(o, "mc_samples", d->th_samples);
    hub__put(d->pol, hub__tip_policy_table[k].name, o);
  }
}

/* How the served policy explored, as logged. */
static const char *explore_name(const decision *d) {
  switch (d->served) {
  case POL_LINUCB: return d->cfg.explore_softmax ? "softmax" : "ucb";
  case POL_THOMPSON: return "thompson";
  case POL_EGREEDY: return "egreedy";
  default: return "none";
  }
}

/* Writes the decision and the view; returns the decision's id, or 0 (h->errmsg). */
static int64_t log_decision(hub *h, decision *d, const char *why) {
  const cand *c = &d->c[d->pick];
  size_t off = d->n * (size_t)d->served + d->pick;
  char *feat = vec_text(c->x, TIP_D), *logj = cJSON_PrintUnformatted(d->pol);
  char *fbs = cJSON_PrintUnformatted(d->fallback), *xseed = vec_text(c->xs, TIP_DSEED);
  int64_t id = 0, samples = d->served == POL_THOMPSON ? hub__num_clamp(d->cfg.ts_samples, 1, HUB_TIP_MAX_SAMPLES) : 0;
  if (!feat || !logj || !fbs || !xseed) {
    hub__set_err(h, "out of memory");
  } else if (hub__db_run(h,
                         "INSERT INTO tip_decisions(user,at,item_id,item_key,policy,fallback,features,"
                         "score,propensity,candidates,explore,epsilon,seed,policies,why,xseed,in_row,mc_samples,"
                         "repo,item_mark) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,nullif(?,0),?,?)",
                         "tiittttddit" "dit" "t" "tiiti", d->user, d->now_ms, c->id, c->key,
                         hub__tip_policy_table[d->served].name, fbs, feat, d->score[off], d->prob[off],
                         (int64_t)d->n, explore_name(d), d->cfg.epsilon,
                         (int64_t)(d->seed & 0x7fffffffffffffffULL), logj, why, xseed, (int64_t)d->in_row, samples,
                         c->repo, c->mark) >= 0) {
    id = sqlite3_last_insert_rowid(h->db);
    if (hub__tip_exposure_serve(h, d->user, c->id, c->mark, d->now_ms, &d->cfg)) id = 0;
  }
  hub_free(feat);
  hub_free(logj);
  hub_free(fbs);
  hub_free(xseed);
  return id;
}

static cJSON *answer(hub *h, decision *d, int64_t id, const char *why, int debug) {
  size_t off = d->n * (size_t)d->served, i;
  cJSON *res = cJSON_CreateObject();
  hub__put(res, "tip", item_json(h, d->c[d->pick].id));
  cJSON_AddStringToObject(res, "why", why);
  cJSON_AddNumberToObject(res, "decision", (double)id);
  cJSON_AddStringToObject(res, "policy", hub__tip_policy_table[d->served].name);
  cJSON_AddNumberToObject(res, "propensity", d->prob[off + d->pick]);
  cJSON_AddNumberToObject(res, "score", d->score[off + d->pick]);
  cJSON_AddBoolToObject(res, "explored", d->explored);
  cJSON_AddNumberToObject(res, "candidates", (double)d->n);
  cJSON_AddNumberToObject(res, "in_row", d->in_row);
  if (d->served == POL_THOMPSON) cJSON_AddNumberToObject(res, "mc_samples", d->cfg.ts_samples);
  if (d->held) cJSON_AddBoolToObject(res, "held_back_repeat", 1);
  if (d->restarted) cJSON_AddStringToObject(res, "model", "restarted: the stored model had another feature set");
  hub__put(res, "fallback", d->fallback);
  d->fallback = NULL;
  if (debug) {
    cJSON *dist = cJSON_AddArrayToObject(res, "distribution");
    for (i = 0; i < d->n; i++) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "key", d->c[i].key);
      cJSON_AddNumberToObject(o, "p", d->prob[off + i]);
      cJSON_AddNumberToObject(o, "score", d->score[off + i]);
      cJSON_AddNumberToObject(o, "fatigue", d->c[i].fatigue);
      hub__push(dist, o);
    }
    hub__put(res, "policies", d->pol);
    d->pol = NULL;
    hub__put(res, "features", features_json(d->c[d->pick].x, TIP_D));
  }
  return res;
}

/* The answer when there is nothing to serve (no candidates, or only the item just served
 * HUB_TIP_MAX_REPEAT times in a row). */
static cJSON *no_tip(const decision *d) {
  cJSON *res = cJSON_CreateObject();
  cJSON_AddNullToObject(res, "tip");
  cJSON_AddStringToObject(res, "why", d->held ? "nothing new since the last tips" : "nothing to do right now");
  cJSON_AddNumberToObject(res, "candidates", 0);
  if (d->held) cJSON_AddBoolToObject(res, "held_back_repeat", 1);
  return res;
}

/* The models the policies read (a policy whose model cannot be loaded falls back). */
static void load_models(hub *h, decision *d) {
  d->have_model = hub__tip_model_load(h, d->user, MODEL_LINEAR, &d->cfg, &d->model, &d->restarted) == 0;
  if (d->have_model && hub__linucb_decay_to(&d->model, d->now_ms)) { /* the evidence as of now */
    hub__linucb_free(&d->model);
    d->have_model = 0;
  }
  d->have_seed = hub__tip_model_load(h, d->user, MODEL_SEED, &d->cfg, &d->seed_model, NULL) == 0;
}

/* After the candidates: the user's models, and the policies' score and probability rows with
 * the log's objects. 0, or -1 out of memory. */
static int decision_ready(hub *h, decision *d) {
  load_models(h, d);
  d->score = hub__malloc(d->n * sizeof(double) * 2 * (HUB_TIP_NPOL + 1));
  d->pol = cJSON_CreateObject();
  d->fallback = cJSON_CreateArray();
  if (!d->score || !d->pol || !d->fallback) return -1;
  d->prob = d->score + d->n * (size_t)HUB_TIP_NPOL;
  return 0;
}

/* Logs the decision and the view in one transaction: its id, or 0 (h->errmsg). */
static int64_t log_all(hub *h, decision *d, const char *why) {
  int64_t id;
  if (hub__db_begin(h)) return 0;
  id = log_decision(h, d, why);
  if (!id) hub__db_rollback(h);
  else if (hub__db_commit(h)) id = 0;
  return id;
}

cJSON *hub__tip_cmd(hub *h, const cJSON *req) {
  const cJSON *jseed = cJSON_GetObjectItemCaseSensitive(req, "seed"), *jtz = cJSON_GetObjectItemCaseSensitive(req, "tz_offset_min");
  const hub__tip_kept *kept;
  decision d;
  cJSON *res = NULL;
  char *why = NULL;
  int64_t id, last_item, last_mark;
  int last_in_row;
  memset(&d, 0, sizeof d);
  if (hub__tip_now(req, &d.now_ms)) return hub__error_json(HUB_E_BAD_REQUEST, "tip needs \"now\" (ms)");
  if (jseed && (!cJSON_IsNumber(jseed) || !(jseed->valuedouble >= 0)))
    return hub__error_json(HUB_E_BAD_TYPE, "\"seed\" must be a non-negative number");
  d.user = hub__tip_user(h, req);
  if (!d.user) return hub__error_json(HUB_E_NOMEM, NULL);
  kept = hub__tip_cache_open(h, d.user, d.now_ms); /* candidates, settings, last decision */
  if (!kept) {
    res = hub__error_json(HUB_E_DB, h->errmsg);
    goto done;
  }
  d.cfg = kept->cfg;
  memcpy(d.en, kept->en, sizeof d.en);
  last_item = kept->last_item;
  last_mark = kept->last_mark;
  last_in_row = kept->last_in_row;
  if (cJSON_IsNumber(jtz) && fabs(jtz->valuedouble) <= 24 * 60) d.cfg.tz_offset_min = jtz->valuedouble;
  hub__tip_cache_cands(h, &d.cfg, d.now_ms, &d.c, &d.n, &d.held);
  if (d.n == 0) {
    res = no_tip(&d);
    goto done;
  }
  if (decision_ready(h, &d)) {
    res = hub__error_json(HUB_E_NOMEM, NULL);
    goto done;
  }
  pick_seed(h, &d, jseed);
  run_policies(&d);
  draw(&d);
  d.in_row = hub__tip_in_row(d.c[d.pick].id, d.c[d.pick].mark, last_item, last_mark, last_in_row);
  record_policies(&d);
  hub__tip_explain(d.pol, d.c, d.n, d.pick, d.score, d.prob, d.en, d.served, d.have_model ? &d.model : NULL);
  why = why_words(&d.c[d.pick], d.have_model ? &d.model : NULL, d.cfg.repo_effect, hub__tip_policy_table[d.served].name,
                  d.explored);
  if (!why) {
    res = hub__error_json(HUB_E_NOMEM, NULL);
    goto done;
  }
  id = log_all(h, &d, why);
  if (id) hub__tip_cache_served(h, d.c[d.pick].id, d.c[d.pick].mark, d.in_row); /* the kept rows follow */
  else hub__tip_cache_drop(h);
  if (id) hub__event(h, "tip.served", d.c[d.pick].key, d.now_ms, "itdd", "decision", id, "policy", hub__tip_policy_table[d.served].name, "propensity", d.prob[d.n * (size_t)d.served + d.pick], "score", d.score[d.n * (size_t)d.served + d.pick]);
  res = id ? answer(h, &d, id, why, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "debug")))
           : hub__error_json(HUB_E_DB, h->errmsg);
done:
  hub_free(why);
  decision_free(&d);
  return res;
}

int hub__tip_peek(hub *h, int64_t now_ms, double tz_offset_min, int64_t *item_id) {
  const hub__tip_kept *kept;
  decision d;
  int rc = -1;
  memset(&d, 0, sizeof d);
  *item_id = 0;
  d.now_ms = now_ms;
  d.user = hub__tip_user(h, NULL);
  if (!d.user) {
    hub__set_err(h, "out of memory");
    return -1;
  }
  kept = hub__tip_cache_open(h, d.user, d.now_ms); /* the same candidates and settings as `tip` */
  if (!kept) goto done;
  d.cfg = kept->cfg;
  memcpy(d.en, kept->en, sizeof d.en);
  if (fabs(tz_offset_min) <= 24 * 60) d.cfg.tz_offset_min = tz_offset_min;
  hub__tip_cache_cands(h, &d.cfg, d.now_ms, &d.c, &d.n, &d.held);
  if (d.n == 0) {
    rc = 0;
    goto done;
  }
  if (decision_ready(h, &d)) {
    hub__set_err(h, "out of memory");
    goto done;
  }
  d.seed = hub__mix64((uint64_t)now_ms) | 1u; /* Thompson's draws: fixed by the moment */
  run_policies(&d);
  *item_id = d.c[argmax_of(d.prob + d.n * (size_t)d.served, d.n)].id;
  rc = 0;
done:
  decision_free(&d);
  return rc;
}
