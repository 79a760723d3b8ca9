/*
 * rank.h — the importance score (rank layer).
 *
 *   score = recency × engagement × labels × contributor × reason × activity
 *   recency     = exp(-age_days / decay_days)                 decay_days = 30
 *   engagement  = 1 + engagement_w · ln(1 + comments + reactions)
 *   labels      = product of the multipliers of the item's labels (bug 1.5)
 *   contributor = weight of the author (the user 2.0, others 1.0 unless set)
 *   reason      = the largest reason_weights entry among why you were notified (review
 *                 requested 2.5, assigned 2, mentioned 1.8 …; 1 when none applies) × unread_weight
 *                 for an unread notification; exactly 1 under score_preset "seed"
 *   activity    = the repo factor of good-first issues (1 for everything else)
 * Because recency is exponential, ordering by score at any moment equals ordering by
 * rank = ln(base) + updated_days / decay_days, base being the product of the time-free
 * factors; rank is stored with the item and changes only when the item or a weight does.
 *
 * score.c holds the formula as pure functions of an item and weights; weights.c reads the
 * weights from settings and the contributors table (which it owns) and caches them on h.
 */
#ifndef HUB_RANK_H
#define HUB_RANK_H

#include "hub_int.h"

typedef struct hub__weights {
  int seed;              /* score_preset "seed": no reason factor */
  double decay_days, engagement_w, user_weight, bug_weight, unread_w;
  cJSON *label_weights;  /* {"label": multiplier}, lower-case keys */
  cJSON *contributors;   /* {"login": weight}, lower-case keys, the user included */
  cJSON *reason_weights; /* {"code": multiplier} */
} hub__weights;

/* What the score reads of an item. Strings are borrowed. */
typedef struct {
  int64_t comments, reactions;
  const char *labels;  /* JSON array text of strings, or NULL */
  const char *author;  /* login, or NULL */
  int unread;
  const char *const *reasons; /* reason codes */
  int nreasons;
  double activity;     /* ≤ 0 means 1 */
  int64_t updated_s;   /* when it last changed (seconds) */
} hub__score_in;

typedef struct {
  double age_days, recency, engagement, labels, contributor, reason, activity, base, score;
  const char *reason_code; /* the reason whose weight applied, or NULL */
} hub__factors;

/* The time-free factors of in under w (into f when not NULL); returns base, > 0. */
double hub__score_base(const hub__weights *w, const hub__score_in *in, hub__factors *f);
/* rank = ln(base) + updated_s / decay; score at now = exp(rank - now/decay). */
double hub__score_rank(const hub__weights *w, double base, int64_t updated_s);
double hub__score_at(const hub__weights *w, double rank, int64_t now_s);
/* Every factor of in at now_s, as the card's explanation shows them. */
void hub__score_explain(const hub__weights *w, const hub__score_in *in, int64_t now_s, hub__factors *f);
/* Multiplier product of a JSON array text of labels (case-insensitive); contributor weight of
 * a login (1.0 when unknown). */
double hub__label_mult(const hub__weights *w, const char *labels_json);
double hub__contributor(const hub__weights *w, const char *login);
/* The repo-activity factor of a good-first issue: 1 + 0.25·ln(1 + n), at most 2, where n
 * counts the repo's listed beginner issues updated within 30 days of its newest one. */
double hub__gfi_activity(int64_t recent_issues);

/* ---- weights.c --------------------------------------------------------------------------- */
/* The weights in force, read from settings on first use and cached on h until
 * hub__weights_invalidate(h). Never NULL (the defaults on any failure). */
const hub__weights *hub__weights_get(hub *h);
void hub__weights_invalidate(hub *h);
/* The contributors table: replaced by obj ({"login": weight ≥ 0}); read as an object.
 * set returns 0 or -1 (h->errmsg); json returns a new object or NULL. */
int hub__contributors_set(hub *h, const cJSON *obj);
cJSON *hub__contributors_json(hub *h);

#endif
