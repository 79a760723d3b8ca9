/*
 * sim.c — one simulated user of the simulator family (tip layer; pure computation, no
 * database). simfam.c runs the family and makes the table. The policies, the ε floor, the
 * repeat rule, fatigue, repo affinity, forgetting and the learning steps are the very
 * functions the tip command and tip_feedback use; only the database is replaced by memory.
 *
 * The world. A user has 12 repositories (the first 3 their own), each in one of 6 languages;
 * the user writes 2 of them. 50 open items (reasons and labels at a busy inbox's rates, ages
 * log-uniform up to 400 days). Every simulated day each item is replaced by a new one with
 * probability 0.05 and otherwise gets activity with probability 0.10 (updated now, more
 * comments, a new mark — so a done item returns). 600 tips ≈ 90 days: the clock moves 0.5–
 * 6.7 h between tips, so tips fall at every hour and weekday.
 *
 * The user. An item's value u ∈ [−1, 1] at a moment depends on the type:
 *   linear     θ*ᵀx over hub's own features (the repo-affinity entry excluded), ‖θ*‖ = 2.5;
 *   nonlinear  −0.25, review requests +0.8 in working hours and −0.4 otherwise, good first
 *              issues +0.8 off-hours in the user's two languages and −0.3 otherwise, one
 *              favourite repository +0.6, mentions +0.2, items over a year old −0.6;
 *   drift      the nonlinear taste until day 30 (HUB_SIM_CHANGE_DAY), then review requests −0.5,
 *              good first issues in the user's languages +0.6 at any time, bugs in their own
 *              repos +0.6, another favourite repository;
 *   rare       −0.3 for everything but bugs in the user's own repos (≈ 5 % of items): +0.9;
 * plus a fixed per-item taste η ~ N(0, 0.1²). Repeats annoy: u_eff = u − 0.2·k, k the user's
 * own count of views of the item without a "done" (halving every 48 h, cleared by news).
 * Reacting, the user marks a tip done with probability max(0, u_eff) (+1; hidden until the
 * item changes), dismisses it with probability max(0, −u_eff) (−1; gone), else snoozes it (0;
 * back in an hour). Regret of a tip = the best u_eff among the world's candidates − u_eff of
 * the tip. A run also keeps the regret from day 30 on apart (regret_after), so the table shows how
 * a policy does after the drift user's change; with c->oracle_reset (analysis only) the linear
 * model restarts from its prior the moment that user changes — the most a change detector that
 * resets the model could gain (measured: little; see the family table's notes in simfam.c).
 */
#include <math.h>
#include <string.h>
#include "tip/tip_int.h"

#define SIM_REPOS 12
#define SIM_LANGS 6
#define SIM_OWN 3
#define SIM_EPOCH_MS 1700438400000LL /* a Monday, 00:00 UTC */
#define SIM_USER_FATIGUE 0.2
#define SIM_USER_FATIGUE_H 48.0

const char *const hub__sim_type_names[HUB_SIM_TYPES] = {"linear", "nonlinear", "drift", "rare"};

typedef struct {
  uint64_t uid; /* a new item in the slot gets a new uid */
  int repo;
  unsigned flags;
  double created_h, updated_h, engagement, eta;
  int64_t mark;
} sim_item;

/* One policy's view of an item slot. */
typedef struct {
  uint64_t uid;
  int dismissed, has_done;
  int64_t done_mark;
  double snoozed_until_h, uf, uf_h; /* the user's own annoyance count and when it was set */
  hub__tip_exposure ex;
} sim_state;

typedef struct {
  int pol;
  hub__linucb lin, seedm;
  hub__tip_aff aff[SIM_REPOS];
  sim_state *st;
  uint64_t rng, last_uid;
  int64_t last_mark;
  int last_in_row, reset_done;
  hub__sim_run run;
} sim_world;

typedef struct {
  int type, K;
  uint64_t rng, next_uid;
  double clock_h, theta[TIP_D];
  int lang_of[SIM_REPOS], my_lang[2], fav, fav2;
  sim_item *items;
} sim_env;

/* Scratch for one step of one world. */
typedef struct {
  cand *c;
  int *slot;
  double *u, *score, *prob;
} sim_scratch;

static int64_t ms_of(double h) { return SIM_EPOCH_MS + (int64_t)llround(h * 3600000.0); }

/* ---- the world ---------------------------------------------------------------------------- */

static void new_item(sim_env *e, sim_item *it, int initial) {
  static const struct { unsigned flag; double rate; } rates[] = {
      {HUB_TIPF_REVIEW, 0.12}, {HUB_TIPF_MENTION, 0.10}, {HUB_TIPF_ASSIGNED, 0.15}, {HUB_TIPF_AUTHORED, 0.20},
      {HUB_TIPF_NOTIFY, 0.35}, {HUB_TIPF_GFI, 0.15},     {HUB_TIPF_BUG, 0.20},      {HUB_TIPF_BLOCKING, 0.05}};
  size_t i;
  double age = initial ? 24.0 * (exp(hub__tip_unif(&e->rng) * log(401.0)) - 1.0) : 0.0;
  it->uid = ++e->next_uid;
  it->repo = (int)(hub__tip_unif(&e->rng) * SIM_REPOS) % SIM_REPOS;
  it->flags = it->repo < SIM_OWN ? HUB_TIPF_OWN_REPO : 0;
  for (i = 0; i < sizeof rates / sizeof rates[0]; i++)
    if (hub__tip_unif(&e->rng) < rates[i].rate) it->flags |= rates[i].flag;
  it->created_h = e->clock_h - age;
  it->updated_h = it->created_h + hub__tip_unif(&e->rng) * age;
  it->engagement = initial ? floor(exp(hub__tip_unif(&e->rng) * log(61.0)) - 1.0) : floor(hub__tip_unif(&e->rng) * 4);
  it->eta = 0.1 * hub__tip_gauss(&e->rng);
  it->mark = (int64_t)(it->uid << 20);
}

/* The day's changes: replacements and activity. */
static void new_day(sim_env *e) {
  int i;
  for (i = 0; i < e->K; i++) {
    double q = hub__tip_unif(&e->rng);
    sim_item *it = &e->items[i];
    if (q < 0.05) {
      new_item(e, it, 0);
    } else if (q < 0.15) {
      it->updated_h = e->clock_h;
      it->engagement += 1 + floor(hub__tip_unif(&e->rng) * 4);
      it->mark++;
    }
  }
}

static int env_init(sim_env *e, int type, int K, uint64_t seed) {
  int i;
  double norm = 0;
  memset(e, 0, sizeof *e);
  e->type = type;
  e->K = K;
  e->rng = hub__mix64(seed * 0x9e3779b97f4a7c15ULL + (uint64_t)type * 1000003u + 1u) | 1u;
  e->clock_h = 8.0; /* Monday, 8 h */
  for (i = 0; i < SIM_REPOS; i++) e->lang_of[i] = (int)(hub__tip_unif(&e->rng) * SIM_LANGS) % SIM_LANGS;
  e->my_lang[0] = e->lang_of[0];
  do e->my_lang[1] = (int)(hub__tip_unif(&e->rng) * SIM_LANGS) % SIM_LANGS;
  while (e->my_lang[1] == e->my_lang[0]);
  e->fav = (int)(hub__tip_unif(&e->rng) * SIM_REPOS) % SIM_REPOS;
  do e->fav2 = (int)(hub__tip_unif(&e->rng) * SIM_REPOS) % SIM_REPOS;
  while (e->fav2 == e->fav);
  for (i = 0; i < TIP_D; i++) {
    e->theta[i] = i == 20 ? 0.0 : hub__tip_gauss(&e->rng); /* taste cannot depend on hub's affinity */
    norm += e->theta[i] * e->theta[i];
  }
  for (i = 0; i < TIP_D; i++) e->theta[i] *= 2.5 / sqrt(norm);
  e->items = hub__malloc((size_t)K * sizeof *e->items);
  if (!e->items) return -1;
  for (i = 0; i < K; i++) new_item(e, &e->items[i], 1);
  return 0;
}

static int mine(const sim_env *e, const sim_item *it) {
  int l = e->lang_of[it->repo];
  return l == e->my_lang[0] || l == e->my_lang[1];
}

/* What hub knows of an item at the moment (affinity is the world's, set by the caller). */
static void facts(const sim_env *e, const sim_item *it, hub__tip_item *f) {
  double labels = it->flags & HUB_TIPF_BUG ? 1.5 : 1.0, contributor = it->flags & HUB_TIPF_AUTHORED ? 2.0 : 1.0;
  memset(f, 0, sizeof *f);
  f->age_days = (e->clock_h - it->created_h) / 24.0;
  f->stale_days = (e->clock_h - it->updated_h) / 24.0;
  f->engagement = it->engagement;
  f->flags = it->flags | (mine(e, it) ? HUB_TIPF_LANG : 0u);
  f->importance = exp(-f->stale_days / 30.0) * (1.0 + log1p(it->engagement)) * labels * contributor;
}

/* The user's value of an item now, before annoyance. */
static double taste(const sim_env *e, const sim_item *it, int hour, int weekday) {
  unsigned f = it->flags;
  int work = hub__tip_is_work(hour, weekday), leisure = hub__tip_is_leisure(hour, weekday);
  int late = e->clock_h >= HUB_SIM_CHANGE_DAY * 24.0, old = e->clock_h - it->created_h > 365 * 24.0;
  double v = it->eta;
  if (e->type == SIMU_LINEAR) {
    hub__tip_item fi;
    double x[TIP_D];
    int j;
    facts(e, it, &fi);
    hub__tip_features(&fi, hour, weekday, x);
    for (j = 0; j < TIP_D; j++) v += e->theta[j] * x[j];
  } else if (e->type == SIMU_RARE) {
    v += (f & HUB_TIPF_BUG) && (f & HUB_TIPF_OWN_REPO) ? 0.9 : -0.3;
  } else if (e->type == SIMU_NONLINEAR || !late) {
    v += -0.25 + (f & HUB_TIPF_REVIEW ? (work ? 0.8 : -0.4) : 0) +
         (f & HUB_TIPF_GFI ? (leisure && mine(e, it) ? 0.8 : -0.3) : 0) + (it->repo == e->fav ? 0.6 : 0) +
         (f & HUB_TIPF_MENTION ? 0.2 : 0) + (old ? -0.6 : 0);
  } else {
    v += -0.25 + (f & HUB_TIPF_REVIEW ? -0.5 : 0) + ((f & HUB_TIPF_GFI) && mine(e, it) ? 0.6 : 0) +
         ((f & HUB_TIPF_BUG) && (f & HUB_TIPF_OWN_REPO) ? 0.6 : 0) + (it->repo == e->fav2 ? 0.6 : 0) + (old ? -0.6 : 0);
  }
  return fmax(-1.0, fmin(1.0, v));
}

/* ---- one policy's world --------------------------------------------------------------------- */

static int world_init(sim_world *w, int pol, const hub__sim_cfg *c, uint64_t seed) {
  memset(w, 0, sizeof *w);
  w->pol = pol;
  w->rng = hub__mix64(seed * 31u + (uint64_t)pol * 0x632be59bd9b4e019ULL + 7u) | 1u;
  w->st = hub__malloc((size_t)c->candidates * sizeof *w->st);
  if (w->st) memset(w->st, 0, (size_t)c->candidates * sizeof *w->st);
  if (!w->st || hub__tip_model_prior(MODEL_LINEAR, &c->cfg, &w->lin) || hub__tip_model_prior(MODEL_SEED, &c->cfg, &w->seedm))
    return -1;
  return 0;
}

static void world_free(sim_world *w) {
  hub__linucb_free(&w->lin);
  hub__linucb_free(&w->seedm);
  hub_free(w->st);
}

/* The slot's state for its current item (a new item starts clean). */
static sim_state *state_of(sim_world *w, const sim_item *it, int i) {
  sim_state *s = &w->st[i];
  if (s->uid != it->uid) {
    memset(s, 0, sizeof *s);
    s->uid = it->uid;
    s->ex.last_reaction = -1;
  }
  return s;
}

static double annoyance(const sim_state *s, const sim_item *it, double now_h) {
  if (s->ex.mark != it->mark && s->ex.views) return 0; /* news clears it */
  return s->uf * exp2(-(now_h - s->uf_h) / SIM_USER_FATIGUE_H);
}

/* The world's candidates now (visible, not held back by the repeat rule) with their values;
 * returns their number and the best value in *best. */
static size_t candidates(const sim_env *e, sim_world *w, const tip_cfg *cfg, int hour, int weekday, sim_scratch *s,
                         double *best) {
  int64_t now = ms_of(e->clock_h);
  size_t n = 0;
  int i;
  *best = -INFINITY;
  for (i = 0; i < e->K; i++) {
    const sim_item *it = &e->items[i];
    sim_state *st = state_of(w, it, i);
    cand *c = &s->c[n];
    if (st->dismissed || (st->has_done && st->done_mark == it->mark) || st->snoozed_until_h > e->clock_h) continue;
    if (hub__tip_in_row((int64_t)it->uid, it->mark, (int64_t)w->last_uid, w->last_mark, w->last_in_row) > HUB_TIP_MAX_REPEAT)
      continue;
    memset(c, 0, sizeof *c);
    c->id = (int64_t)it->uid;
    c->mark = it->mark;
    facts(e, it, &c->it);
    c->it.affinity = hub__tip_aff_value(&w->aff[it->repo], now, cfg->half_life_days);
    c->fatigue = hub__tip_fatigue_now(&st->ex, it->mark, now, cfg);
    hub__tip_features(&c->it, hour, weekday, c->x);
    hub__tip_seed_features(&c->it, hour, weekday, c->xs);
    s->slot[n] = i;
    s->u[n] = fmax(-1.0, taste(e, it, hour, weekday) - SIM_USER_FATIGUE * annoyance(st, it, e->clock_h));
    if (s->u[n] > *best) *best = s->u[n];
    n++;
  }
  return n;
}

/* The policy's distribution with the ε floor, and the draw. Returns the pick, or -1. */
static long choose(sim_world *w, const hub__sim_cfg *c, const sim_scratch *s, size_t n, int64_t now) {
  tip_ctx ctx;
  double q, acc = 0;
  size_t i, mode = 0, pick = n - 1;
  if (w->pol <= POL_EGREEDY && hub__linucb_decay_to(&w->lin, now)) return -1;
  ctx.nz = NULL; /* the policies find the nonzero entries themselves */
  ctx.c = s->c;
  ctx.n = n;
  ctx.model = &w->lin;
  ctx.seed_model = &w->seedm;
  ctx.cfg = &c->cfg;
  ctx.seed = hub__rand(&w->rng);
  if (hub__tip_policy_table[w->pol].fn(&ctx, s->score, s->prob) || hub__tip_floor(s->prob, n, c->cfg.epsilon)) return -1;
  q = hub__tip_unif(&w->rng);
  for (i = 0; i < n; i++) {
    if (s->prob[i] > s->prob[mode]) mode = i;
    acc += s->prob[i];
    if (q < acc && pick == n - 1) pick = i;
  }
  if (pick != mode) w->run.explored++;
  return (long)pick;
}

/* The user reacts to the tip at s->c[k]; everything learns as the tip command would. */
static int react(sim_env *e, sim_world *w, const hub__sim_cfg *c, const sim_scratch *s, size_t k, size_t n) {
  const cand *cd = &s->c[k];
  sim_item *it = &e->items[s->slot[k]];
  sim_state *st = &w->st[s->slot[k]];
  int64_t now = ms_of(e->clock_h);
  double u = s->u[k], q = hub__tip_unif(&w->rng), r;
  int reaction = q < u ? REACT_DONE : q < -u ? REACT_DISMISS : REACT_SNOOZE;
  r = c->cfg.reward[reaction];
  w->run.reward += r;
  if (hub__tip_learn_step(w->pol <= POL_EGREEDY ? &w->lin : NULL, cd->x, &w->aff[it->repo], r,
                          hub__tip_weight(&c->cfg, s->prob[k], (double)n), now, &c->cfg))
    return -1;
  if (w->pol == POL_SEED && hub__linucb_update(&w->seedm, cd->xs, r)) return -1;
  hub__tip_exposure_view(&st->ex, it->mark, now, &c->cfg);
  hub__tip_exposure_react(&st->ex, reaction, r, now, &c->cfg);
  st->uf = reaction == REACT_DONE ? 0 : annoyance(st, it, e->clock_h) + 1.0;
  st->uf_h = e->clock_h;
  if (reaction == REACT_DONE) {
    st->has_done = 1;
    st->done_mark = it->mark;
  } else if (reaction == REACT_DISMISS) {
    st->dismissed = 1;
  } else {
    st->snoozed_until_h = e->clock_h + 1.0;
  }
  return 0;
}

/* One tip in one world. 0 or -1. */
static int world_step(sim_env *e, sim_world *w, const hub__sim_cfg *c, sim_scratch *s, int hour, int weekday) {
  double best;
  size_t n = candidates(e, w, &c->cfg, hour, weekday, s, &best);
  long k;
  const sim_item *it;
  int after = e->clock_h >= HUB_SIM_CHANGE_DAY * 24.0;
  if (n == 0) return 0;
  if (c->oracle_reset && e->type == SIMU_DRIFT && after && !w->reset_done && w->pol <= POL_EGREEDY) {
    hub__linucb_reset(&w->lin); /* back to the prior (λI, θ = 0); the half-life stays */
    w->reset_done = 1;
  }
  k = choose(w, c, s, n, ms_of(e->clock_h));
  if (k < 0) return -1;
  it = &e->items[s->slot[k]];
  w->last_in_row = hub__tip_in_row((int64_t)it->uid, it->mark, (int64_t)w->last_uid, w->last_mark, w->last_in_row);
  w->last_uid = it->uid;
  w->last_mark = it->mark;
  if (w->last_in_row > w->run.max_in_row) w->run.max_in_row = w->last_in_row;
  w->run.served++;
  w->run.regret += best - s->u[k];
  if (after) w->run.regret_after += best - s->u[k];
  return react(e, w, c, s, (size_t)k, n);
}

int hub__sim_user(const hub__sim_cfg *c, int type, uint64_t seed, hub__sim_run *out) {
  sim_env e;
  sim_world w[HUB_TIP_NPOL];
  sim_scratch s;
  int p, t, ret = -1, day = 0;
  size_t K = (size_t)c->candidates;
  memset(w, 0, sizeof w);
  memset(&s, 0, sizeof s);
  memset(out, 0, HUB_TIP_NPOL * sizeof *out);
  if (c->candidates < 1 || c->candidates > 10000 || c->steps < 0 || type < 0 || type >= HUB_SIM_TYPES) return -1;
  if (env_init(&e, type, c->candidates, seed)) goto done;
  s.c = hub__malloc(K * sizeof *s.c);
  s.slot = hub__malloc(K * sizeof *s.slot);
  s.u = hub__malloc(K * 3 * sizeof *s.u);
  if (!s.c || !s.slot || !s.u) goto done;
  s.score = s.u + K;
  s.prob = s.u + 2 * K;
  for (p = 0; p < HUB_TIP_NPOL; p++)
    if ((c->policies >> p & 1u) && world_init(&w[p], p, c, seed)) goto done;
  for (t = 0; t < c->steps; t++) {
    int hour, weekday;
    e.clock_h += 0.5 + 6.2 * hub__tip_unif(&e.rng);
    while (day < (int)floor(e.clock_h / 24.0)) {
      day++;
      new_day(&e);
    }
    hub__tip_moment(ms_of(e.clock_h), 0, &hour, &weekday);
    for (p = 0; p < HUB_TIP_NPOL; p++)
      if ((c->policies >> p & 1u) && world_step(&e, &w[p], c, &s, hour, weekday)) goto done;
  }
  for (p = 0; p < HUB_TIP_NPOL; p++) out[p] = w[p].run;
  ret = 0;
done:
  for (p = 0; p < HUB_TIP_NPOL; p++) world_free(&w[p]);
  hub_free(e.items);
  hub_free(s.c);
  hub_free(s.slot);
  hub_free(s.u);
  return ret;
}
