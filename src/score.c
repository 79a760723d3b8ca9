/*
 * score.c — the importance score (the seed formula, every weight configurable).
 *
 *   score = recency × engagement × labels × contributor
 *   recency     = exp(-age_days / decay_days)             decay_days = 30
 *   engagement  = 1 + engagement_w · ln(1 + comments + reactions)
 *   labels      = product of the multipliers of the item's labels (bug 1.5)
 *   contributor = weight of the author (the user 2.0, others 1.0 unless set)
 *
 * Because recency is exponential, ordering by score at any moment equals ordering by
 * rank = ln(engagement × labels × contributor) + updated_days / decay_days, which is stored
 * with the item and changes only when the item (or a weight) does.
 */
#include <ctype.h>
#include <math.h>
#include <string.h>
#include "hub_int.h"

static void weights_free(hub__weights *w) {
  if (!w) return;
  cJSON_Delete(w->label_weights);
  cJSON_Delete(w->contributors);
  hub_free(w);
}

void hub__weights_invalidate(hub *h) {
  weights_free(h->weights);
  h->weights = NULL;
}

static void lower(char *s) {
  for (; *s; s++) *s = (char)tolower((unsigned char)*s);
}

static const hub__weights fallback = {30.0, 1.0, 2.0, 1.5, NULL, NULL};

const hub__weights *hub__weights_get(hub *h) {
  hub__weights *w;
  char *lw = NULL, *user = NULL;
  sqlite3_stmt *st = NULL;
  if (h->weights) return h->weights;
  w = hub__malloc(sizeof *w);
  if (!w) return &fallback;
  *w = fallback;
  w->decay_days = hub__setting_num(h, "decay_days", 30.0);
  if (!(w->decay_days > 0.01)) w->decay_days = 30.0;
  w->engagement_w = hub__setting_num(h, "engagement_weight", 1.0);
  w->user_weight = hub__setting_num(h, "user_weight", 2.0);
  w->bug_weight = hub__setting_num(h, "bug_weight", 1.5);
  w->label_weights = cJSON_CreateObject();
  w->contributors = cJSON_CreateObject();
  if (!w->label_weights || !w->contributors) goto fail;
  lw = hub__setting_get(h, "label_weights");
  if (lw) {
    cJSON *o = cJSON_Parse(lw), *e;
    cJSON_ArrayForEach(e, o) {
      if (cJSON_IsNumber(e) && e->string) {
        char *k = hub__strdup(e->string);
        if (!k) break;
        lower(k);
        cJSON_DeleteItemFromObjectCaseSensitive(w->label_weights, k);
        cJSON_AddNumberToObject(w->label_weights, k, e->valuedouble);
        hub_free(k);
      }
    }
    cJSON_Delete(o);
  }
  if (!cJSON_GetObjectItemCaseSensitive(w->label_weights, "bug"))
    cJSON_AddNumberToObject(w->label_weights, "bug", w->bug_weight);
  if (sqlite3_prepare_v2(h->db, "SELECT lower(login),weight FROM contributors", -1, &st, NULL) ==
      SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW)
      cJSON_AddNumberToObject(w->contributors, (const char *)sqlite3_column_text(st, 0),
                              sqlite3_column_double(st, 1));
    sqlite3_finalize(st);
  }
  user = hub__setting_get(h, "github_user");
  if (user) {
    lower(user);
    cJSON_DeleteItemFromObjectCaseSensitive(w->contributors, user);
    cJSON_AddNumberToObject(w->contributors, user, w->user_weight);
  }
  hub_free(lw);
  hub_free(user);
  h->weights = w;
  return w;
fail:
  weights_free(w);
  return &fallback;
}

double hub__contributor(const hub__weights *w, const char *login) {
  char buf[128];
  size_t i;
  cJSON *e;
  if (!login || !w->contributors) return 1.0;
  for (i = 0; login[i] && i < sizeof buf - 1; i++) buf[i] = (char)tolower((unsigned char)login[i]);
  buf[i] = 0;
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
    size_t i;
    cJSON *mult;
    if (!cJSON_IsString(e)) continue;
    for (i = 0; e->valuestring[i] && i < sizeof buf - 1; i++)
      buf[i] = (char)tolower((unsigned char)e->valuestring[i]);
    buf[i] = 0;
    mult = cJSON_GetObjectItemCaseSensitive(w->label_weights, buf);
    if (cJSON_IsNumber(mult) && mult->valuedouble > 0) m *= mult->valuedouble;
  }
  cJSON_Delete(arr);
  return m;
}

double hub__score_base(const hub__weights *w, int64_t comments, int64_t reactions,
                       double label_mult, double contributor) {
  double eng = 1.0 + w->engagement_w * log1p((double)(comments > 0 ? comments : 0) +
                                             (double)(reactions > 0 ? reactions : 0));
  double b = eng * label_mult * contributor;
  return b > 1e-12 ? b : 1e-12;
}

double hub__score_rank(const hub__weights *w, double base, int64_t updated_s) {
  return log(base) + (double)updated_s / (86400.0 * w->decay_days);
}

double hub__score_at(const hub__weights *w, double rank, int64_t now_s) {
  return exp(rank - (double)now_s / (86400.0 * w->decay_days));
}

void hub__score_explain(const hub__weights *w, int64_t comments, int64_t reactions,
                        double label_mult, double contributor, int64_t updated_s,
                        int64_t now_s, hub__factors *f) {
  f->age_days = (double)(now_s - updated_s) / 86400.0;
  f->recency = exp(-f->age_days / w->decay_days);
  f->engagement = 1.0 + w->engagement_w * log1p((double)(comments > 0 ? comments : 0) +
                                                (double)(reactions > 0 ? reactions : 0));
  f->labels = label_mult;
  f->contributor = contributor;
  f->base = f->engagement * f->labels * f->contributor;
  f->score = f->recency * f->base;
  f->activity = 1.0;
}

/* ---- gfi (gfi.c): repo activity ------------------------------------------------------- */
double hub__gfi_activity(int64_t recent_issues) {
  double a = 1.0 + 0.25 * log1p((double)(recent_issues > 0 ? recent_issues : 0));
  return a < 2.0 ? a : 2.0;
}
/* ---- end gfi ---------------------------------------------------------------------------- */
