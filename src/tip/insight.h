/*
 * insight.h — what the insight console reads of the tip (tip layer): the bandit's state, the
 * recommendation log, reward analytics with off-policy estimates and their bootstrap
 * confidence intervals, and the hooks the tip's own files call to leave the console what it
 * needs (a decision's UCB bonus and the candidates it beat; the reaction events).
 *
 * Commands (request → response; "user" defaults to the github_user setting):
 *   {"cmd":"console_bandit"[,"recent":20]}
 *       → {"serve","alpha","epsilon","policies":[{name,enabled,role,description,pulls,rewarded,
 *          reward_sum,reward_mean}],"model":{updates,features:[{name,label,theta}]}|null,
 *          "widths":[{decision,at,key,policy,bonus,width_now,mean_now}]}
 *   {"cmd":"tip_log"[,"before":id,"limit":20,"policy":name]}
 *       → {"decisions":[{decision,at,key,title,policy,score,bonus,propensity,latency_us,
 *          candidates,explored,why,fallback,features:{name:x},policies:{name:{choice,p,score}},
 *          beat:[{key,score,p}],reactions:[{reaction,reward,at}],reward}],"next_before","total"}
 *   {"cmd":"tip_analytics"[,"tz_offset_min":m,"days":n,"resamples":1000,"seed":1,"level":0.95]}
 *       → {"reactions":[names],"reactions_by_day":[{day,counts:{reaction:n}}],
 *          "reward_by_day":[{day,policies:{name:{decisions,rewarded,reward,cumulative}}}],
 *          "ope":[{policy,role,events,matched,replay,ipw,snipw,logged,
 *                  ci:{replay:[lo,hi]|null,ipw:[lo,hi]|null,snipw:[lo,hi]|null}}],
 *          "resamples","level","seed"}
 *
 * Bootstrap. Each of B resamples draws n rows of the log with replacement (a seeded PRNG, so
 * the same log and seed give the same interval everywhere) and computes replay, IPW and SNIPW
 * on it; the interval is the percentile interval of the B values at the level asked (the
 * (1−level)/2 and (1+level)/2 quantiles, linear interpolation between order statistics). A
 * resample where an estimator is undefined (replay with no matching row) is left out of that
 * estimator's interval; with none left the interval is null.
 */
#ifndef HUB_TIP_INSIGHT_H
#define HUB_TIP_INSIGHT_H

#include "tip/tip_int.h"

#ifndef HUB_BOOT_MAX_RESAMPLES
#define HUB_BOOT_MAX_RESAMPLES 5000
#endif
#ifndef HUB_BOOT_MAX_WORK
#define HUB_BOOT_MAX_WORK 20000000L /* rows drawn in all resamples of one interval */
#endif
#ifndef HUB_TIP_BEAT
#define HUB_TIP_BEAT 5 /* runners-up kept with a decision */
#endif

/* One logged event as the off-policy estimators see it. */
typedef struct {
  int a, target;   /* logged action, the target's own action (equal: the target agrees) */
  double r, p, pi; /* reward, logging propensity, target's probability of a */
} hub__ope_row;

/* ope.c: the rows of user's log for policy (decisions with a reaction, where the policy left
 * its record), in a new array (*rows, hub_free'd by the caller; NULL when none). 0 or -1. */
int hub__ope_log_rows(hub *h, const char *user, const char *policy, hub__ope_row **rows, long *n);
/* ope.c: replay, IPW, SNIPW and the logged mean of rows. */
void hub__ope_estimate(const hub__ope_row *rows, long n, hub__ope *out);

/* A percentile interval; ok = 0 when undefined (no value to take it from). */
typedef struct {
  double lo, hi;
  int ok;
} hub__ci;
typedef struct {
  hub__ci replay, ipw, snipw;
  int resamples; /* used: fewer than asked when n × resamples would pass HUB_BOOT_MAX_WORK */
} hub__ope_ci;
/* The bootstrap intervals of the three estimators over rows at level (0 < level < 1) with
 * resamples draws (1..HUB_BOOT_MAX_RESAMPLES) from seed. n = 0 gives undefined intervals.
 * Returns 0, or -1 on bad arguments or OOM (out zeroed). */
int hub__ope_bootstrap(const hub__ope_row *rows, long n, int resamples, double level, uint64_t seed,
                       hub__ope_ci *out);
/* The q-quantile (0 ≤ q ≤ 1) of sorted v[0..n) by linear interpolation between order
 * statistics (R's type 7); n ≥ 1. */
double hub__quantile(const double *v, long n, double q);

/* choose.c's hook: adds to pol (the decision's per-policy record) what the console shows — for
 * LinUCB (when m is given) its confidence bonus α·sqrt(xᵀA⁻¹x) of the served item as "bonus",
 * and for the served policy the best HUB_TIP_BEAT other candidates by its own score as
 * "beat":[{key,score,p}]. score and prob are HUB_TIP_NPOL rows of n; en marks the policies
 * that decided. Never fails the caller (without memory, less is recorded). */
void hub__tip_explain(cJSON *pol, const cand *c, size_t n, size_t pick, const double *score, const double *prob,
                      const int *en, int served, const hub__linucb *m);
/* feedback.c's hook: records the "tip.reaction" event for decision (its item key looked up). */
void hub__tip_event_reaction(hub *h, int64_t decision, const char *reaction, double reward, int64_t now_ms);

cJSON *hub__tip_console_bandit_cmd(hub *h, const cJSON *req);
cJSON *hub__tip_log_cmd(hub *h, const cJSON *req);
cJSON *hub__tip_analytics_cmd(hub *h, const cJSON *req);

#endif
