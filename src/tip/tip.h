/*
 * tip.h — "one tip": the single next thing to do, chosen by a contextual bandit that learns
 * from done / snooze / dismiss / helpful / not helpful (core layer, no I/O, no clock).
 *
 * Flow. `tip` loads the candidate set (open items, not dismissed, not done since they last
 * changed, not snoozed past now; the HUB_TIP_MAX_CANDIDATES best by rank), adds what hub knows
 * beyond the item (context.c: language match, repo affinity, exposure; the item served
 * HUB_TIP_MAX_REPEAT = 2 times in a row is held back unless it changed since), builds the
 * features, asks every enabled policy for its distribution, serves the configured one (falling
 * back in table order), mixes it with the uniform distribution by ε so every candidate has a
 * known probability ≥ ε/n, draws with a seeded PRNG and logs the decision — item, policy,
 * features (hub's and the seed design's), propensity, how many times in a row the item has
 * now been served (in_row), Thompson's draw count, and per enabled policy its own choice and
 * its probability of the served item (replay, IPW and SNIPW need no more) — and the view
 * (exposure.c). `tip_feedback` turns a reaction into a reward and teaches every model from the
 * logged features whichever policy served (learn.c), the repo's affinity and the item's
 * exposure; `tip_refresh` rebuilds the models and affinities from the whole log.
 *
 * Features (d = 25; entries in [0, s], s = 0.35, bias 0.5, repo affinity in [−s, s]; vectors
 * longer than 1 are scaled to ‖x‖ = 1). One model scores all candidates of a moment, so a
 * feature equal for all of them (hour, weekday, the user's mood) cannot change the argmax:
 * the moment enters only through interactions with the item — each below can move the argmax
 * because it differs between two candidates at the same moment.
 *   0 bias  1 log age  2 log staleness  3 log engagement  (s·min(1, ln(1+v)/ln K))
 *   4 review  5 mention  6 assigned  7 authored  8 notification  9 good first  10 bug
 *  11 blocking  12 own repo  13 importance (s·min(1, ln(1+score)/ln 11))
 *  14 leisure × good first — beginner issues are off-hours picks (weekend, < 8 h, ≥ 19 h)
 *  15 work × duty — review/assigned/mention in working hours (Mon–Fri 9–18 h)
 *  16 work × review — review requests are what many people do at work and nowhere else;
 *     duty as a whole is broader (assigned work may be fine any time)
 *  17 leisure × duty — the same duty item is unwelcome at 22 h: lowers it against easy picks
 *  18 language match — the item's repository language (repos.languages[0]) is one of the
 *     user's own (of the repos they own or opened items in): two otherwise equal issues differ
 *  19 language × good first — a beginner issue is only an easy pick in a language you write
 *  20 repo affinity — the repo's own effect: the shrunk mean s/(n + 5) of the residuals
 *     r − θᵀx of the user's reactions on its items (decayed with the model's half-life): a
 *     favourite repository is an item-level taste no flag sees; it separates equal-looking
 *     items of different repos. The learned policies also add it to their scores with weight
 *     tip.repo_effect (1), and the model learns what is left of r (learn.c)
 *  21 fresh — updated in the last two days: news on a thread, where log staleness is flat
 *  22 leisure × language × good first — "good first issues in my two languages, evenings":
 *     none of 14, 18, 19 alone can express a habit that needs all three
 *  23 over a year old — many people ignore ancient threads: log age saturates before a cut
 *  24 bug × own repo — a maintainer's duty: a bug report in one's own repository can matter
 *     when neither bugs elsewhere (10) nor one's repos' other threads (12) do, and the sum of
 *     10 and 12 cannot single it out (the family's rare-pattern user: its worst seed went from
 *     1.08× random to 0.38–0.61× over four 12-seed sets with it)
 * Fed to hub__tip_features by the caller (language flag HUB_TIPF_LANG, affinity). The first
 * 16 keep their old meaning and index; stored models of another dimension (the 16-feature
 * ones) are not reused: a new model starts from the prior (tip and tip_stats say so), and
 * tip_refresh skips logged tuples of another dimension.
 *
 * Policies (policies.c), all behind one contract, all learning from every served tip:
 *   linucb   θᵀx + α_t·√(xᵀA⁻¹x) − fatigue·k, α_t = max(α_min, α0/√(1 + n_eff/α_n))
 *   thompson argmax of θ̃ᵀx − fatigue·k over M = ts_samples draws θ̃ ~ N(θ, v²A⁻¹); served as
 *            the known mixture "one of the M draws' argmaxes", so the propensity (draws/M) is
 *            exact and within Monte Carlo error of Thompson sampling's; M is logged. As a
 *            shadow (another policy serves) it draws min(M, 24): its logged p is then a
 *            24-draw estimate of Thompson sampling's propensity — unbiased, for off-policy
 *            estimates — and the policies log names the draws (mc_samples)
 *   egreedy  argmax θᵀx − fatigue·k, with ε_t = min(1, max(ε, c/√(1 + n_eff))) uniform
 *   score_greedy (hub's ranking), random, seed_linucb (the seed design: LinUCB on overdue,
 *            age/365, priority, hour/23, weekday/6, α = 1, argmax, its own model) — baselines.
 * linucb, thompson and egreedy share one ridge model (stored as "linucb").
 *
 * Fatigue (exposure.c). Each view adds 1 to the item's exposure count k, a snooze 1 more, a
 * positive reaction clears it, news on the item (its activity mark changes) clears it, and it
 * halves every 24 h; the learned policies subtract 0.15·k (rewards are ±1). A snoozed item
 * that returns after an hour carries k ≈ 2, i.e. −0.3: it competes, but is not the automatic
 * next tip. Repeats are capped outright (in_row ≤ 2 unless the item changed).
 *
 * Forgetting. Evidence is discounted by time with a half-life of 14 days, toward the prior
 * (A ← λI + g(A − λI), b ← g·b): a taste that changes is relearned within weeks while a user
 * with ~5–10 tips a day keeps ~100–200 tips' worth of evidence (n_eff) for 24 weights. In the
 * family (24 seeds, ratio to random, median / worst): against no forgetting it cut the
 * drifting user's worst seed (0.75 vs 0.88) at a cost on the non-linear user's median (0.40 vs
 * 0.34); 7 days raised every type's median; 30 days let a rare-pattern seed fall behind
 * random (1.42). Because old evidence fades to the prior, never below it, one early dismissal
 * cannot make a feature negative for good: its weight halves every 14 days and the item's
 * UCB width grows back as it fades, so the item type is tried again.
 *
 * Learning from the log (learn.c). Each tuple (x, propensity p, candidates n, reward r, time t)
 * enters with importance weight clamp(1/(n·p), 1, W) (W = ips_clip; 1 = unweighted, the
 * default: in the family W = 3 let a rare-pattern seed fall behind random and W = 10 raised
 * every type's median — weighting the exploratory tips up discounts the greedy tips'
 * information) after discounting. `tip_refresh` replays all logged tuples in time order: the
 * result equals the direct sums A = λI + Σ g_i w_i x xᵀ, b = Σ g_i w_i r x, and the model
 * learned online (when reactions arrive in time order).
 *
 * Defaults (tip_int.h), chosen with the simulator family (sim.c, simfam.c: linear,
 * non-linear, drifting and rare-pattern users, 600 tips each, median and worst over seeds):
 * serve linucb — the lowest median regret on every type (Thompson, then ε-greedy next); α0
 * 1.5, α_min 0.25, α_n 20 (α0 1–3, α_min 0.1–0.5 within noise); λ 0.2 (λ 1 learned slower:
 * non-linear 0.47 vs 0.40); ε 0.05 (0.02 was ≈ 0.01 better, within noise; 0.05 keeps the
 * log's importance weights ≤ n/ε for off-policy estimates); half-life 14 days; fatigue 0.15
 * per view, 24 h, snooze +1 (without fatigue: linear 0.59, drift 0.60); Thompson v 0.25 (0.5
 * over-explored), M 100; ε-greedy c 1. Rewards: done +1, snooze 0, dismiss −1, helpful +0.5,
 * not helpful −0.5. Each reaction is one update (a "done" then "helpful" teaches twice); the
 * same reaction to the same decision counts once.
 * Latency: the core reads no clock, so the caller measures a tip's hub_call and reports it
 * with {"cmd":"tip_feedback","decision":id,"latency_us":n} (reaction optional).
 *
 * Offline evaluation. `tip_eval` estimates a target policy's value from hub's own log (reward
 * of a decision = sum of its reactions' rewards; decisions without a reaction are left out)
 * or from an Open Bandit Dataset CSV passed as text: replay, IPW = (1/n) Σ π(a|x)/p(a|x)·r and
 * SNIPW = Σ w r / Σ w.
 *
 * Files: features.c, config.c (settings "tip.*", the knob table), context.c, exposure.c,
 * policies.c, choose.c (the tip command), feedback.c, learn.c, admin.c, ope.c, ope_ci.c
 * (bootstrap intervals), insight.c (the console's commands), sim.c and simfam.c (the simulator
 * family), bandit.c (the ridge model's algebra), share.c (feedback shared with another database
 * of the user's, for replica/). Tables owned: tip_models, tip_decisions,
 * tip_reactions, tip_policies (policies.c, choose.c, feedback.c, admin.c), tip_exposure
 * (exposure.c), tip_affinity (learn.c). An item's done / snoozed / dismissed state is triage
 * state (triage/).
 */
#ifndef HUB_TIP_H
#define HUB_TIP_H

#include "hub_int.h"

/* Commands
 * (request → response; "user" defaults to the github_user setting, "now" is ms):
 *   {"cmd":"tip","now":ms[,"seed":n,"tz_offset_min":m,"debug":true]}
 *       → {"tip":{key,title,repo,url,kind,number,labels}|null,"why":"…","decision":id,
 *          "policy":"linucb","propensity":p,"score":s,"explored":bool,"candidates":n,
 *          "in_row":k,"fallback":[..][,"mc_samples":M,"held_back_repeat":true,"model":"restarted…"]}
 *   {"cmd":"tip_feedback","decision":id,"now":ms,"reaction":"done|snooze|dismiss|helpful|
 *       not_helpful"[,"snooze_until":ms,"latency_us":n]} → {"ok":true,"reward":r,"updates":n,..}
 *   {"cmd":"tip_stats"[,"recent":20]} → {"policies":[{name,enabled,serving,pulls,rewarded,
 *       reward_sum,reward_mean}],"reactions":{..},"model":{theta,..},"features":[..],"recent":[..]}
 *   {"cmd":"tip_reset"[,"logs":true,"items":true]} → {"ok":true,"models":n,"decisions":n,..}
 *   {"cmd":"tip_policies"[,"set":{"serve","enabled":{name:bool},"explore","rewards":{..},
 *       and any knob of hub__tip_knobs: alpha, epsilon, half_life_days, fatigue …}]}
 *   {"cmd":"tip_eval","source":"log","policy":"score_greedy"}
 *   {"cmd":"tip_eval","source":"obd","csv":"…","policy":"uniform|item:K|affinity"[,"position":1]}
 *       → {"events","matched","replay","ipw","snipw","logged"}
 *   {"cmd":"tip_simulate"[,"type":"linear|nonlinear|drift|rare|all","seeds","seed","steps",
 *       "candidates","policies":[..],"serve","oracle_reset":bool, any knob]} → {"types":[{"type",
 *       "policies":[{"policy","median","worst","ratio_median","ratio_worst","worse_than_random",
 *       "ratio_after_median" (from the drift user's change day on),..}]}]}
 *       (refused over HUB_SIM_MAX_WORK work units)
 *   {"cmd":"tip_refresh"[,"now":ms]} → {"tuples","skipped","models":{name:{learned,n_eff}}} */
#define HUB_TIP_D 25
#define HUB_TIP_DSEED 5
enum {
  HUB_TIPF_REVIEW = 1 << 0, HUB_TIPF_MENTION = 1 << 1, HUB_TIPF_ASSIGNED = 1 << 2,
  HUB_TIPF_AUTHORED = 1 << 3, HUB_TIPF_NOTIFY = 1 << 4, HUB_TIPF_GFI = 1 << 5,
  HUB_TIPF_BUG = 1 << 6, HUB_TIPF_BLOCKING = 1 << 7, HUB_TIPF_OWN_REPO = 1 << 8,
  HUB_TIPF_LANG = 1 << 9 /* the item's language is one of the user's */
};
/* What the features are built from (ages in days; importance = hub's score now; affinity =
 * the repo's learned affinity in [−1, 1]). */
typedef struct {
  double age_days, stale_days, engagement, importance, affinity;
  unsigned flags;  /* HUB_TIPF_* */
} hub__tip_item;
/* Fills x[HUB_TIP_D] for an item at a local hour (0–23) and weekday (0 = Sunday); ‖x‖ ≤ 1. */
void hub__tip_features(const hub__tip_item *it, int hour, int weekday, double *x);
/* The seed design's five features: overdue (quiet > 14 days), age/365 (≤ 1), importance /
 * (1 + importance), hour/23, weekday/6. */
void hub__tip_seed_features(const hub__tip_item *it, int hour, int weekday, double *x);
/* Frees what the tip keeps on the handle between tips (tip/cache.c; hub_close calls it). */
void hub__tip_cache_free(hub *h);
cJSON *hub__tip_cmd(hub *h, const cJSON *req);
cJSON *hub__tip_feedback_cmd(hub *h, const cJSON *req);
cJSON *hub__tip_stats_cmd(hub *h, const cJSON *req);
cJSON *hub__tip_reset_cmd(hub *h, const cJSON *req);
cJSON *hub__tip_policies_cmd(hub *h, const cJSON *req);
cJSON *hub__tip_eval_cmd(hub *h, const cJSON *req);
cJSON *hub__tip_simulate_cmd(hub *h, const cJSON *req);
cJSON *hub__tip_refresh_cmd(hub *h, const cJSON *req);
/* The item the serving policy would choose now, without serving it: its greedy choice (the
 * argmax of its distribution, no exploration draw) over the same candidates as `tip`, at
 * tz_offset_min minutes east of UTC (ignored beyond ±24 h). Nothing is logged or written.
 * *item_id is 0 when there is no candidate. Returns 0, or -1 (h->errmsg). For notify/. */
int hub__tip_peek(hub *h, int64_t now_ms, double tz_offset_min, int64_t *item_id);
/* share.c: a local decision (made here, not shared in) with its reactions, as JSON for another
 * database — {id, user, at, item_key, policy, …, reactions:[{at, reaction, snooze_until}]} —
 * or NULL when there is none. New object. */
cJSON *hub__tip_share_out(hub *h, int64_t id);
/* share.c: the same from database origin, into this log: the decision once (by origin and
 * id), each reaction once, rewarded by this database's settings and learned from. Returns the
 * number of new reactions, or -1 with h->errmsg (a malformed decision or reaction). */
int hub__tip_share_in(hub *h, const char *origin, const cJSON *d);
/* Off-policy estimates of a target policy's value. */
typedef struct {
  long n, matched;  /* events used; events where the target's choice equals the logged one */
  double replay, ipw, snipw, logged; /* logged = mean reward of the logging policy */
  int actions;      /* OBD: number of actions assumed for "uniform" */
} hub__ope;
/* Open Bandit Dataset CSV text (columns item_id, position, click, propensity_score,
 * user-item_affinity_K) evaluated for policy "uniform", "item:K" or "affinity" (argmax of
 * the row's affinities, lowest id on ties); position 0 = all rows, else only that position;
 * seed drives "uniform"'s replay draws; actions 0 = max item_id + 1. Returns 0, or -1 with a
 * message in err. */
int hub__ope_obd(const char *csv, size_t len, const char *policy, int position, uint64_t seed,
                 int actions, hub__ope *out, char *err, size_t errlen);
/* The same over hub's own log for one of the tip policies. Returns 0 or -1 (h->errmsg). */
int hub__ope_log(hub *h, const char *user, const char *policy, hub__ope *out);

#endif
