/*
 * tip.h — "one tip": the single next thing to do, chosen by a contextual bandit that learns
 * from done / snooze / dismiss / helpful / not helpful (core layer, no I/O, no clock).
 *
 * Flow. `tip` loads the candidate set (open items, not dismissed, not done since they last
 * changed, not snoozed past now; the HUB_TIP_MAX_CANDIDATES best by importance rank), builds
 * one feature vector per candidate, asks every enabled policy for its distribution over the
 * candidates, serves the configured policy's (falling back along linucb → score_greedy →
 * random when one fails), mixes it with the uniform distribution by ε so every candidate has
 * a known probability > 0, draws the tip with a seeded PRNG, and logs the decision: item,
 * policy, features, score, propensity, and for every enabled policy (the served one and the
 * shadows) its own greedy choice and its probability of the served item — which is all that
 * replay, IPW and SNIPW need to evaluate any of them later from the log. `tip_feedback`
 * turns a reaction into a reward, updates the user's LinUCB model from the logged features
 * (whichever policy served: LinUCB learns off-policy), and sets the item's state (done,
 * snoozed until, dismissed).
 *
 * Features (d = 16). Every entry lies in [0, s] with s = 0.35 (bias 0.5), so a typical item
 * (bias, three log terms around half scale, one or two flags, importance) has ‖x‖ ≈ 0.7–1;
 * vectors longer than 1 are scaled down to ‖x‖ = 1, so ‖x‖ ≤ 1 always (the bound LinUCB's
 * confidence width assumes).
 *   0 bias            0.5, constant: the user's overall mood about tips
 *   1 log age         s·min(1, ln(1+age days)/ln 366)           since created
 *   2 log staleness   s·min(1, ln(1+days since update)/ln 366)  quiet threads vs fresh ones
 *   3 log engagement  s·min(1, ln(1+comments+reactions)/ln 101)
 *   4 review          s if a review (or approval) is requested of the user
 *   5 mention         s if the user or their team was mentioned
 *   6 assigned        s if assigned to the user
 *   7 authored        s if the user opened it
 *   8 notification    s for any other notification reason (comment, subscribed, state …)
 *   9 good first      s if labelled good-first-issue / beginner / easy (or found by a GFI list)
 *  10 bug             s if a label contains "bug"
 *  11 blocking        s if labelled blocker / critical / urgent / p0 / regression / security
 *  12 own repo        s if the repository belongs to the user
 *  13 importance      s·min(1, ln(1+score)/ln 11), score = hub's importance score now
 *  14 leisure × gfi   s if good-first AND the moment is leisure (weekend, or before 8 / from 19 h)
 *  15 work × duty     s if review/assigned/mention AND the moment is work (Mon–Fri 9–18 h)
 * The moment. One model scores all candidates, so a feature equal for every candidate (hour,
 * weekday) adds the same amount to every score and cannot change which one wins; it would only
 * soak up the user's mood. The moment therefore enters only through the two interactions
 * above — the pair of "what kind of time it is" × "what kind of item it is" that the seeds'
 * habits suggest (exploratory picks when off duty, duty items in working hours). Local time
 * comes from the request's "tz_offset_min" (minutes east of UTC), else the stored setting.
 *
 * Defaults, chosen with the simulator (tip_simulate: 1,000 tips, 20 users, 50 candidates;
 * cumulative regret, seeds 7 / 3; random ≈ 563 / 599, the seed design ≈ 424 / 469):
 *   ε-greedy   α=0.1  α=0.25  α=0.5  α=1   α=2        softmax τ  0.02  0.05  0.1   0.2
 *   ε=0          72     70     72     75    86        (α=0.25)    73   103   186   320
 *   ε=0.02       82     79     80     85    96
 *   ε=0.05       95     94     98     98   110        ε=0.05, seed 3: α=0.1 101, 0.25 98,
 *   ε=0.10      119    117    118    122   132                         0.5 99, 1 104
 * α: 0.25 (the valley is flat from 0.1 to 0.5; 1 and 2 over-explore because the ε floor
 * already explores). Exploration: ε-greedy over the UCB argmax — softmax over UCBs is never
 * better and its probabilities of poor items depend on the score scale. ε: 0.05, not 0
 * (deterministic argmax makes the log useless for evaluating other policies) nor 0.02: the
 * simulator shows the price is linear, ≈ 0.56·ε regret per tip (+24 per 1,000 tips at 0.05),
 * and 0.05 keeps importance weights ≤ n/ε = 4,000 at 200 candidates and one tip in twenty
 * exploratory, which a user's few tips a day need to give off-policy estimates any support.
 * λ = 1, γ = 1 (no forgetting) by default; "gamma" < 1 lets tastes drift.
 * Rewards: done +1, snooze 0, dismiss −1, helpful +0.5, not helpful −0.5 (tip_policies).
 * Each reaction is one update with the decision's logged features (a "done" then "helpful"
 * teaches twice); the same reaction to the same decision counts once.
 * Latency: the core reads no clock, so the caller measures a tip's hub_call and reports it
 * with {"cmd":"tip_feedback","decision":id,"latency_us":n} (reaction optional).
 *
 * Offline evaluation. `tip_eval` estimates a target policy's value from hub's own log (the
 * per-policy records above; reward of a decision = sum of its reactions' rewards; decisions
 * without a reaction are left out) or from an Open Bandit Dataset CSV passed as text (the
 * core does no I/O): replay (mean reward where the target's own choice equals the logged
 * action, with the number matched), IPW = (1/n) Σ π(a|x)/p(a|x)·r and SNIPW = Σ w r / Σ w.
 *
 * Files: features.c (the feature vector and the facts it is built from), config.c (the tip's
 * settings, kept in the settings table under "tip."), policies.c (the policies behind one
 * contract, the user's LinUCB model), choose.c (the tip command), feedback.c (reactions),
 * admin.c (stats, reset, policy configuration), ope.c (offline evaluation), sim.c (the
 * simulator), bandit.c (LinUCB's linear algebra). Tables owned: tip_models, tip_decisions,
 * tip_reactions, tip_item_state, tip_policies.
 */
#ifndef HUB_TIP_H
#define HUB_TIP_H

#include "hub_int.h"

/* Commands
 * (request → response; "user" defaults to the github_user setting, "now" is ms):
 *   {"cmd":"tip","now":ms[,"seed":n,"tz_offset_min":m,"debug":true]}
 *       → {"tip":{key,title,repo,url,kind,number,labels}|null,"why":"…","decision":id,
 *          "policy":"linucb","propensity":p,"score":s,"explored":bool,"candidates":n,"fallback":[..]}
 *   {"cmd":"tip_feedback","decision":id,"now":ms,"reaction":"done|snooze|dismiss|helpful|
 *       not_helpful"[,"snooze_until":ms,"latency_us":n]} → {"ok":true,"reward":r,"updates":n,..}
 *   {"cmd":"tip_stats"[,"recent":20]} → {"policies":[{name,enabled,serving,pulls,rewarded,
 *       reward_sum,reward_mean}],"reactions":{..},"model":{theta,..},"features":[..],"recent":[..]}
 *   {"cmd":"tip_reset"[,"logs":true,"items":true]} → {"ok":true,"models":n,"decisions":n,..}
 *   {"cmd":"tip_policies"[,"set":{"serve","enabled":{name:bool},"explore","alpha","epsilon",
 *       "temperature","lambda","gamma","tz_offset_min","rewards":{..}}]} → the configuration
 *   {"cmd":"tip_eval","source":"log","policy":"score_greedy"}
 *   {"cmd":"tip_eval","source":"obd","csv":"…","policy":"uniform|item:K|affinity"[,"position":1]}
 *       → {"events","matched","replay","ipw","snipw","logged"}
 *   {"cmd":"tip_simulate"[,"steps","users","candidates","seed","alpha","epsilon","explore",..]}
 *       → {"regret":{policy:x},"reward":{policy:x}} */
#define HUB_TIP_D 24
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
cJSON *hub__tip_cmd(hub *h, const cJSON *req);
cJSON *hub__tip_feedback_cmd(hub *h, const cJSON *req);
cJSON *hub__tip_stats_cmd(hub *h, const cJSON *req);
cJSON *hub__tip_reset_cmd(hub *h, const cJSON *req);
cJSON *hub__tip_policies_cmd(hub *h, const cJSON *req);
cJSON *hub__tip_eval_cmd(hub *h, const cJSON *req);
cJSON *hub__tip_simulate_cmd(hub *h, const cJSON *req);
cJSON *hub__tip_refresh_cmd(hub *h, const cJSON *req);
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
