/*
 * score.c — the importance score as pure functions of an item and weights (rank layer; the
 * formula is in rank.h). No database, no clock, no allocation beyond cJSON's parse of labels.
 */
#include <ctype.h>
#include <math.h>
#include <string.h>
#include "rank/rank.h"

/* The lower-case form of s into buf (truncated). */
static void lower_into(const char *s, char *buf, size_t n) {
  size_t i;
  for (i = 0; s[i] && i < n - 1; i++) buf[i] = (char)tolower((unsigned char)s[i]);
  buf[i] = 0;
}

double hub__contributor(const hub__weights *w, const char *login) {
  char buf[128];
  const cJSON *e;
  if (!login || !w->contributors) return 1.0;
  lower_into(login, buf, sizeof buf);
  e = cJSON_GetObjectItemCaseSensitive(w->contributors, buf);
  return cJSON_IsNumber(e) ? e->valuedouble : 1.0;
}

double hub__label_mult(const hub__weights *w, const char *labels_json) {
  double m = 1.0;
  cJSON *arr, *e;
  if (!labels_json || !w->label_weights || !w->label_weights->child) return 1.0;
  if (strcmp(labels_json, "[]") == 0) return 1.0;
  arr = cJSON_Parse(labels_json);
  cJSON_ArrayForEach(e, arr) {
    char buf[128];
    const cJSON *mult;
    if (!cJSON_IsString(e)) continue;
    lower_into(e->valuestring, buf, sizeof buf);
    mult = cJSON_GetObjectItemCaseSensitive(w->label_weights, buf);
    if (cJSON_IsNumber(mult) && mult->valuedouble > 0) m *= mult->valuedouble;
  }
  cJSON_Delete(arr);
  return m;
}

/* The reason factor and the code it came from. */
static double reason_factor(const hub__weights *w, const hub__score_in *in, const char **code) {
  double best = 1.0;
  int i;
  *code = NULL;
  if (w->seed) return 1.0;
  for (i = 0; i < in->nreasons; i++) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(w->reason_weights, in->reasons[i]);
    if (cJSON_IsNumber(m) && m->valuedouble > best) {
      best = m->valuedouble;
      *code = in->reasons[i];
    }
  }
  if (in->unread) best *= w->unread_w;
  return best;
}

double hub__score_base(const hub__weights *w, const hub__score_in *in, hub__factors *f) {
  hub__factors x;
  double eng, b;
  memset(&x, 0, sizeof x);
  eng = (double)(in->comments > 0 ? in->comments : 0) + (double)(in->reactions > 0 ? in->reactions : 0);
  x.engagement = 1.0 + w->engagement_w * log1p(eng);
  x.labels = hub__label_mult(w, in->labels);
  x.contributor = hub__contributor(w, in->author);
  x.reason = reason_factor(w, in, &x.reason_code);
  x.activity = in->activity > 0 ? in->activity : 1.0;
  b = x.engagement * x.labels * x.contributor * x.reason * x.activity;
  if (!(b > 1e-12) || !isfinite(b)) b = b > 1e-12 ? 1e12 : 1e-12;
  x.base = b;
  if (f) *f = x;
  return b;
}

double hub__score_rank(const hub__weights *w, double base, int64_t updated_s) {
  return log(base) + (double)updated_s / (86400.0 * w->decay_days);
}

double hub__score_at(const hub__weights *w, double rank, int64_t now_s) {
  return exp(rank - (double)now_s / (86400.0 * w->decay_days));
}

void hub__score_explain(const hub__weights *w, const hub__score_in *in, int64_t now_s, hub__factors *f) {
  hub__score_base(w, in, f);
  f->age_days = (double)(now_s - in->updated_s) / 86400.0;
  f->recency = exp(-f->age_days / w->decay_days);
  f->score = f->recency * f->base;
}

double hub__gfi_activity(int64_t recent_issues) {
  double a = 1.0 + 0.25 * log1p((double)(recent_issues > 0 ? recent_issues : 0));
  return a < 2.0 ? a : 2.0;
}
