/*
 * simfam.c — the simulator family (tip layer; pure computation, no database): many users of
 * each type (sim.c), every policy, and the table of cumulative regret as distributions over
 * the seeds — median and worst, and the ratio to random's regret in the same seed — that
 * `tip_simulate`, `hub tip-sim` and `make bench` print, with the median ratio of the regret from
 * the drift user's change day on ("after×": every type is split at that day).
 *
 * Drift (issue 11, measured with tests/bench_bandit.c, LinUCB served, 12- and 20-seed sets): the
 * drift user's ×random was ≈ 0.46–0.61 and its after-the-change part 0.41–0.61. Restarting the
 * model at the very moment of the change (oracle_reset: a detector never late, never wrong) moved
 * the whole-run median by −0.04…+0.03 — about the noise between seed sets — and a real detector
 * (recent squared residuals against their long-run mean) fired also while a fresh model was still
 * learning and cost the other types a little; so did a second, fast-forgetting model (3–5 day
 * half-life) served when its recent squared error was the lower. Split by what was served, most
 * of the after-change regret was a neutral item served while an item of the new favourite repo
 * waited: the repo was seen only through one coefficient on the shrunk affinity feature, which
 * the ridge prior keeps small. With each repo's own effect fitted beside the model (learn.c:
 * residual affinity, added to the score with weight repo_effect) drift is 0.40–0.46 on seed sets
 * 1, 101, 201, 301 (12 seeds) and 501 (20), nonlinear 0.33–0.37, linear 0.35–0.45, rare
 * 0.27–0.37, no seed worse than random; on the unseen sets 701, 901, 1201 (20 seeds) every type
 * is ≤ 0.47 and the worst seed 0.93.
 *
 * A request's work is capped at HUB_SIM_MAX_WORK = 6e6 units (steps × items × users × policy
 * cost, hub__sim_work; issue 9's uncapped 2e8-unit request took ~2 min). Natively a unit
 * takes ≈ 0.4 µs (2.6e6 units/s measured), so the cap is ≈ 2.5 s of work (wasm ≈ 2× that).
 * One user type with the defaults (12 seeds × 600 tips × 50 items, all six policies: cost 10)
 * is 3.6e6 units, so `hub tip-sim` asks for one type per request; the whole family (14.4e6)
 * runs in `make bench`, which calls hub__sim_family directly.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tip/tip_int.h"

void hub__sim_defaults(hub__sim_cfg *c) {
  memset(c, 0, sizeof *c);
  c->steps = 600;
  c->candidates = 50;
  c->seeds = 12;
  c->seed = 1;
  c->type = -1;
  c->policies = (1u << HUB_TIP_NPOL) - 1u;
  hub__tip_cfg_defaults(&c->cfg);
}

double hub__sim_work(const hub__sim_cfg *c) {
  double cost = 0, users = (double)c->seeds * (c->type < 0 ? HUB_SIM_TYPES : 1);
  int p;
  for (p = 0; p < HUB_TIP_NPOL; p++)
    if (c->policies >> p & 1u) cost += 1.0 + (p == POL_THOMPSON ? c->cfg.ts_samples / 25.0 : 0.0);
  return (double)c->steps * c->candidates * users * cost;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* One type's cells from its runs (runs[s * NPOL + p]). */
static void cells(const hub__sim_cfg *c, const hub__sim_run *runs, hub__sim_cell *row, double *tmp) {
  int p, s, n = c->seeds, rnd = c->policies >> POL_RANDOM & 1u;
  for (p = 0; p < HUB_TIP_NPOL; p++) {
    hub__sim_cell *cell = &row[p];
    memset(cell, 0, sizeof *cell);
    if (!(c->policies >> p & 1u)) continue;
    for (s = 0; s < n; s++) {
      const hub__sim_run *r = &runs[s * HUB_TIP_NPOL + p];
      tmp[s] = r->regret;
      if (r->max_in_row > cell->max_in_row) cell->max_in_row = r->max_in_row;
      if (r->regret > cell->worst) cell->worst = r->regret;
      if (rnd && r->regret > runs[s * HUB_TIP_NPOL + POL_RANDOM].regret) cell->worse_than_random++;
    }
    cell->median = median(tmp, n);
    for (s = 0; s < n; s++) tmp[s] = runs[s * HUB_TIP_NPOL + p].reward;
    cell->reward_median = median(tmp, n);
    if (!rnd) continue;
    for (s = 0; s < n; s++) {
      double base = runs[s * HUB_TIP_NPOL + POL_RANDOM].regret;
      tmp[s] = base > 0 ? runs[s * HUB_TIP_NPOL + p].regret / base : 1.0;
      if (tmp[s] > cell->ratio_worst) cell->ratio_worst = tmp[s];
    }
    cell->ratio_median = median(tmp, n);
    for (s = 0; s < n; s++) {
      double base = runs[s * HUB_TIP_NPOL + POL_RANDOM].regret_after;
      tmp[s] = base > 0 ? runs[s * HUB_TIP_NPOL + p].regret_after / base : 0.0;
    }
    cell->ratio_after_median = median(tmp, n);
  }
}

int hub__sim_family(const hub__sim_cfg *c, hub__sim_table *t) {
  hub__sim_run *runs;
  double *tmp;
  int type, s, ret = -1;
  memset(t, 0, sizeof *t);
  if (c->seeds < 1 || c->seeds > HUB_SIM_MAX_SEEDS) return -1;
  runs = hub__malloc((size_t)c->seeds * HUB_TIP_NPOL * sizeof *runs);
  tmp = hub__malloc((size_t)c->seeds * sizeof *tmp);
  if (!runs || !tmp) goto done;
  for (type = 0; type < HUB_SIM_TYPES; type++) {
    if (c->type >= 0 && type != c->type) continue;
    for (s = 0; s < c->seeds; s++)
      if (hub__sim_user(c, type, c->seed + (uint64_t)s, runs + (size_t)s * HUB_TIP_NPOL)) goto done;
    cells(c, runs, t->cell[type], tmp);
  }
  ret = 0;
done:
  hub_free(runs);
  hub_free(tmp);
  return ret;
}

cJSON *hub__sim_table_json(const hub__sim_cfg *c, const hub__sim_table *t) {
  cJSON *res = cJSON_CreateObject(), *types;
  int type, p;
  if (!res) return NULL;
  cJSON_AddNumberToObject(res, "steps", c->steps);
  cJSON_AddNumberToObject(res, "candidates", c->candidates);
  cJSON_AddNumberToObject(res, "seeds", c->seeds);
  cJSON_AddNumberToObject(res, "first_seed", (double)c->seed);
  cJSON_AddStringToObject(res, "serve", c->cfg.serve);
  cJSON_AddNumberToObject(res, "work", hub__sim_work(c));
  if (c->oracle_reset) cJSON_AddBoolToObject(res, "oracle_reset", 1);
  types = cJSON_AddArrayToObject(res, "types");
  for (type = 0; types && type < HUB_SIM_TYPES; type++) {
    cJSON *o, *pols;
    if (c->type >= 0 && type != c->type) continue;
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", hub__sim_type_names[type]);
    pols = cJSON_AddArrayToObject(o, "policies");
    for (p = 0; pols && p < HUB_TIP_NPOL; p++) {
      const hub__sim_cell *cl = &t->cell[type][p];
      cJSON *e;
      if (!(c->policies >> p & 1u)) continue;
      e = cJSON_CreateObject();
      cJSON_AddStringToObject(e, "policy", hub__tip_policy_table[p].name);
      cJSON_AddBoolToObject(e, "served", strcmp(c->cfg.serve, hub__tip_policy_table[p].name) == 0);
      cJSON_AddNumberToObject(e, "median", cl->median);
      cJSON_AddNumberToObject(e, "worst", cl->worst);
      if (c->policies >> POL_RANDOM & 1u) {
        cJSON_AddNumberToObject(e, "ratio_median", cl->ratio_median);
        cJSON_AddNumberToObject(e, "ratio_worst", cl->ratio_worst);
        cJSON_AddNumberToObject(e, "worse_than_random", cl->worse_than_random);
        cJSON_AddNumberToObject(e, "ratio_after_median", cl->ratio_after_median);
      }
      cJSON_AddNumberToObject(e, "reward_median", cl->reward_median);
      cJSON_AddNumberToObject(e, "max_in_row", cl->max_in_row);
      hub__push(pols, e);
    }
    hub__push(types, o);
  }
  return res;
}

/* ---- tip_simulate ------------------------------------------------------------------------ */

/* Reads the request into c: NULL, or an error answer. */
static cJSON *sim_request(const cJSON *req, hub__sim_cfg *c) {
  const cJSON *e;
  size_t k;
  int64_t v;
  hub__sim_defaults(c);
#define INT(name, lo, hi, field)                                                          \
  if (hub__json_int(req, name, lo, hi, &v) < 0)                                           \
    return hub__error_json(HUB_E_BAD_TYPE, "tip_simulate: \"" name "\" out of range");     \
  else if (cJSON_GetObjectItemCaseSensitive(req, name))                                   \
    c->field = (int)v;
  INT("steps", 0, 100000, steps)
  INT("candidates", 1, 1000, candidates)
  INT("seeds", 1, HUB_SIM_MAX_SEEDS, seeds)
#undef INT
  if (hub__json_int(req, "seed", 0, 9000000000000000LL, &v) < 0)
    return hub__error_json(HUB_E_BAD_TYPE, "tip_simulate: \"seed\" out of range");
  if (cJSON_GetObjectItemCaseSensitive(req, "seed")) c->seed = (uint64_t)v;
  e = cJSON_GetObjectItemCaseSensitive(req, "oracle_reset");
  if (e && !cJSON_IsBool(e))
    return hub__error_json(HUB_E_BAD_TYPE, "tip_simulate: \"oracle_reset\" is true or false");
  c->oracle_reset = cJSON_IsTrue(e);
  e = cJSON_GetObjectItemCaseSensitive(req, "type");
  if (e) {
    int t;
    c->type = -2;
    for (t = 0; cJSON_IsString(e) && t < HUB_SIM_TYPES; t++)
      if (strcmp(e->valuestring, hub__sim_type_names[t]) == 0) c->type = t;
    if (cJSON_IsString(e) && strcmp(e->valuestring, "all") == 0) c->type = -1;
    if (c->type == -2) return hub__error_json(HUB_E_BAD_REQUEST, "tip_simulate: \"type\" is linear, nonlinear, drift, rare or all");
  }
  e = cJSON_GetObjectItemCaseSensitive(req, "policies");
  if (e) {
    const cJSON *p;
    if (!cJSON_IsArray(e)) return hub__error_json(HUB_E_BAD_TYPE, "tip_simulate: \"policies\" is an array of names");
    c->policies = 0;
    cJSON_ArrayForEach(p, e) {
      int k2 = cJSON_IsString(p) ? hub__tip_policy_index(p->valuestring) : -1;
      if (k2 < 0) return hub__error_json(HUB_E_BAD_REQUEST, "tip_simulate: unknown policy");
      c->policies |= 1u << k2;
    }
  }
  e = cJSON_GetObjectItemCaseSensitive(req, "serve");
  if (e) {
    if (!cJSON_IsString(e) || hub__tip_policy_index(e->valuestring) < 0)
      return hub__error_json(HUB_E_BAD_REQUEST, "tip_simulate: \"serve\" names a policy");
    strcpy(c->cfg.serve, e->valuestring);
  }
  for (k = 0; k < hub__tip_nknobs; k++) {
    e = cJSON_GetObjectItemCaseSensitive(req, hub__tip_knobs[k].name);
    if (!e) continue;
    if (!cJSON_IsNumber(e) || !(e->valuedouble >= hub__tip_knobs[k].lo) || !(e->valuedouble <= hub__tip_knobs[k].hi))
      return hub__error_json(HUB_E_BAD_TYPE, "tip_simulate: a knob is out of range");
    *(double *)(void *)((char *)&c->cfg + hub__tip_knobs[k].off) = e->valuedouble;
  }
  return NULL;
}

cJSON *hub__tip_simulate_cmd(hub *h, const cJSON *req) {
  hub__sim_cfg c;
  hub__sim_table *t;
  cJSON *res;
  (void)h;
  if ((res = sim_request(req, &c)) != NULL) return res;
  if (hub__sim_work(&c) > HUB_SIM_MAX_WORK) {
    char msg[160];
    snprintf(msg, sizeof msg, "tip_simulate: %.3g work units asked (steps × candidates × users × policies), over %.3g",
             hub__sim_work(&c), (double)HUB_SIM_MAX_WORK);
    return hub__error_json(HUB_E_TOO_BIG, msg);
  }
  t = hub__malloc(sizeof *t);
  if (!t) return hub__error_json(HUB_E_NOMEM, NULL);
  res = hub__sim_family(&c, t) ? hub__error_json(HUB_E_NOMEM, NULL) : hub__sim_table_json(&c, t);
  hub_free(t);
  return res ? res : hub__error_json(HUB_E_NOMEM, NULL);
}
