/*
 * features.c — the tip's feature vector and the facts it is built from (tip layer): label
 * and reason flags, ownership, the local moment, the seed design's five features. Pure
 * functions. The 25 features and why each is there are described in tip.h.
 */
#include <math.h>
#include <string.h>
#include "items/items.h"
#include "tip/tip_int.h"

const char *const hub__tip_feature_names[TIP_D] = {
    "bias",   "log_age",    "log_staleness", "log_engagement", "review",     "mention",
    "assigned", "authored", "notification",  "good_first",     "bug",        "blocking",
    "own_repo", "importance", "leisure_x_good_first", "work_x_duty", "work_x_review", "leisure_x_duty",
    "language_match", "language_x_good_first", "repo_affinity", "fresh", "leisure_x_language_x_good_first",
    "over_a_year", "bug_x_own_repo"};

const char *const hub__tip_seed_feature_names[TIP_DSEED] = {"overdue", "age_years", "priority", "hour", "weekday"};

/* What a person calls the kind of item a feature picks out (the page shows the model's
 * leanings with these). NULL: a feature with no such meaning (the bias). */
const char *const hub__tip_feature_labels[TIP_D] = {
    NULL, "old threads", "quiet threads", "busy threads", "review requests", "mentions", "assigned work",
    "your own threads", "fresh news", "good first issues", "bugs", "blockers", "your repos", "high-ranked items",
    "easy picks off-hours", "duty in work hours", "review requests in work hours", "duty off-hours",
    "your languages", "good first issues in your languages", "repos you act on", "fresh activity",
    "good first issues in your languages off-hours", "year-old threads", "bugs in your repos"};

const char *const hub__tip_feature_words[TIP_D] = {
    NULL, "it has been open a while", "it has gone quiet", "people are talking about it",
    "your review is requested", "you were mentioned", "it is assigned to you", "you opened it",
    "there is news on it", "a good first issue", "it is a bug", "it blocks others",
    "it is in your repo", "it ranks high", "a good first issue for a quiet hour",
    "work that is yours, in working hours", "your review is requested, in working hours",
    "work that is yours, off-hours", "it is in a language you use", "a good first issue in a language you use",
    "you often act on this repo", "something just happened on it",
    "a good first issue in a language you use, for a quiet hour", "it has been open over a year",
    "it is a bug in your own repo"};

int hub__tip_is_work(int hour, int weekday) { return weekday >= 1 && weekday <= 5 && hour >= 9 && hour < 18; }
int hub__tip_is_leisure(int hour, int weekday) { return weekday == 0 || weekday == 6 || hour < 8 || hour >= 19; }

void hub__tip_features(const hub__tip_item *it, int hour, int weekday, double *x) {
  unsigned f = it->flags, duty = HUB_TIPF_REVIEW | HUB_TIPF_ASSIGNED | HUB_TIPF_MENTION;
  double n2 = 0, aff = isfinite(it->affinity) ? fmax(-1.0, fmin(1.0, it->affinity)) : 0.0;
  int i, leisure = hub__tip_is_leisure(hour, weekday), work = hub__tip_is_work(hour, weekday);
  double age = it->age_days > 0 ? it->age_days : 0, stale = it->stale_days > 0 ? it->stale_days : 0;
  double eng = it->engagement > 0 ? it->engagement : 0, imp = it->importance > 0 ? it->importance : 0;
  x[0] = 0.5;
  x[1] = S * fmin(1.0, log1p(age) / log(366.0));
  x[2] = S * fmin(1.0, log1p(stale) / log(366.0));
  x[3] = S * fmin(1.0, log1p(eng) / log(101.0));
  x[4] = f & HUB_TIPF_REVIEW ? S : 0;
  x[5] = f & HUB_TIPF_MENTION ? S : 0;
  x[6] = f & HUB_TIPF_ASSIGNED ? S : 0;
  x[7] = f & HUB_TIPF_AUTHORED ? S : 0;
  x[8] = f & HUB_TIPF_NOTIFY ? S : 0;
  x[9] = f & HUB_TIPF_GFI ? S : 0;
  x[10] = f & HUB_TIPF_BUG ? S : 0;
  x[11] = f & HUB_TIPF_BLOCKING ? S : 0;
  x[12] = f & HUB_TIPF_OWN_REPO ? S : 0;
  x[13] = S * fmin(1.0, log1p(imp) / log(11.0));
  x[14] = leisure && (f & HUB_TIPF_GFI) ? S : 0;
  x[15] = work && (f & duty) ? S : 0;
  x[16] = work && (f & HUB_TIPF_REVIEW) ? S : 0;
  x[17] = leisure && (f & duty) ? S : 0;
  x[18] = f & HUB_TIPF_LANG ? S : 0;
  x[19] = (f & HUB_TIPF_LANG) && (f & HUB_TIPF_GFI) ? S : 0;
  x[20] = S * aff;
  x[21] = stale < 2.0 ? S : 0;
  x[22] = leisure && (f & HUB_TIPF_LANG) && (f & HUB_TIPF_GFI) ? S : 0;
  x[23] = age > 365.0 ? S : 0;
  x[24] = (f & HUB_TIPF_BUG) && (f & HUB_TIPF_OWN_REPO) ? S : 0;
  for (i = 0; i < TIP_D; i++) n2 += x[i] * x[i];
  if (n2 > HUB_TIP_NORM2) {
    double k = sqrt(HUB_TIP_NORM2 / n2);
    for (i = 0; i < TIP_D; i++) x[i] *= k;
  }
}

void hub__tip_seed_features(const hub__tip_item *it, int hour, int weekday, double *x) {
  double imp = it->importance > 0 && isfinite(it->importance) ? it->importance : 0;
  x[0] = it->stale_days > 14 ? 1.0 : 0.0;
  x[1] = it->age_days > 0 ? fmin(1.0, it->age_days / 365.0) : 0.0;
  x[2] = imp / (1.0 + imp);
  x[3] = hour / 23.0;
  x[4] = weekday / 6.0;
}

unsigned hub__tip_label_flags(const char *labels_json) {
  cJSON *arr = labels_json ? cJSON_Parse(labels_json) : NULL, *e;
  unsigned f = 0;
  cJSON_ArrayForEach(e, arr) {
    const char *l;
    if (!cJSON_IsString(e)) continue;
    l = e->valuestring;
    if (hub__icontains(l, "good first") || hub__icontains(l, "good-first") || hub__icontains(l, "beginner") ||
        hub__icontains(l, "easy") || hub__icontains(l, "first-timers"))
      f |= HUB_TIPF_GFI;
    if (hub__icontains(l, "bug")) f |= HUB_TIPF_BUG;
    if (hub__icontains(l, "block") || hub__icontains(l, "critical") || hub__icontains(l, "urgent") ||
        hub__icontains(l, "p0") || hub__icontains(l, "regression") || hub__icontains(l, "security"))
      f |= HUB_TIPF_BLOCKING;
  }
  cJSON_Delete(arr);
  return f;
}

unsigned hub__tip_reason_flags(const char *codes) {
  unsigned f = 0;
  const char *p = codes;
  while (p && *p) {
    const char *e = strchr(p, ',');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    char code[48];
    int r;
    if (n && n < sizeof code) {
      memcpy(code, p, n);
      code[n] = 0;
      r = hub__reason_find(code);
      switch (r < 0 ? HUB_RC_NOTIFY : hub__reasons[r].cls) {
      case HUB_RC_REVIEW: f |= HUB_TIPF_REVIEW; break;
      case HUB_RC_MENTION: f |= HUB_TIPF_MENTION; break;
      case HUB_RC_ASSIGNED: f |= HUB_TIPF_ASSIGNED; break;
      case HUB_RC_AUTHORED: f |= HUB_TIPF_AUTHORED; break;
      case HUB_RC_SECURITY: f |= HUB_TIPF_BLOCKING | HUB_TIPF_NOTIFY; break;
      case HUB_RC_GFI: f |= HUB_TIPF_GFI; break;
      case HUB_RC_NOTIFY: f |= HUB_TIPF_NOTIFY; break;
      case HUB_RC_NONE: break;
      }
    }
    p = e ? e + 1 : NULL;
  }
  return f;
}

int hub__tip_same_owner(const char *repo, const char *user) {
  size_t n = strlen(user);
  const char *slash;
  if (!repo || !n || !*repo) return 0;
  slash = strchr(repo, '/');
  if (!slash || (size_t)(slash - repo) != n) return 0;
  {
    char owner[64];
    if (n >= sizeof owner) return 0;
    memcpy(owner, repo, n);
    owner[n] = 0;
    return hub__ieq(owner, user);
  }
}

void hub__tip_moment(int64_t now_ms, double tz_min, int *hour, int *weekday) {
  int64_t t = now_ms / 1000 + (int64_t)(tz_min * 60.0), days;
  days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  *hour = (int)((t - days * 86400) / 3600);
  *weekday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4); 0 = Sunday */
}

double hub__tip_unif(uint64_t *s) { return (double)(hub__rand(s) >> 11) * (1.0 / 9007199254740992.0); }

double hub__tip_gauss(uint64_t *s) {
  double u1 = hub__tip_unif(s), u2 = hub__tip_unif(s);
  if (u1 < 1e-300) u1 = 1e-300;
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void hub__tip_gauss_n(uint64_t *s, double *z, size_t n) {
  size_t i;
  for (i = 0; i + 1 < n; i += 2) { /* Marsaglia's polar method: a point in the unit disc, no sine or cosine */
    double u, v, q, k;
    do {
      u = 2.0 * hub__tip_unif(s) - 1.0;
      v = 2.0 * hub__tip_unif(s) - 1.0;
      q = u * u + v * v;
    } while (q >= 1.0 || q < 1e-300);
    k = sqrt(-2.0 * log(q) / q);
    z[i] = u * k;
    z[i + 1] = v * k;
  }
  if (i < n) z[i] = hub__tip_gauss(s);
}
