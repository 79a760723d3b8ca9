/*
 * ope.c — offline evaluation (tip layer): replay, IPW and self-normalised IPW estimates of a
 * policy's value from hub's own decision log, or from an Open Bandit Dataset CSV passed as
 * text (the core does no I/O). See tip.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db/db.h"
#include "tip/tip_int.h"


typedef struct {
  int a, target; /* logged action, the target's own (greedy or sampled) action */
  double r, p, pi; /* reward, logging propensity, target's probability of a */
} ope_row;

static void ope_finish(const ope_row *rows, long n, hub__ope *out) {
  double sw = 0, swr = 0, sr = 0, smr = 0;
  long i, matched = 0;
  for (i = 0; i < n; i++) {
    double w = rows[i].pi / rows[i].p;
    sw += w;
    swr += w * rows[i].r;
    sr += rows[i].r;
    if (rows[i].target == rows[i].a) {
      matched++;
      smr += rows[i].r;
    }
  }
  out->n = n;
  out->matched = matched;
  out->replay = matched ? smr / (double)matched : 0;
  out->ipw = n ? swr / (double)n : 0;
  out->snipw = sw > 0 ? swr / sw : 0;
  out->logged = n ? sr / (double)n : 0;
}

/* Splits line [p, end) at commas into fields (pointers into the line, not terminated). */
static int split_csv(const char *p, const char *end, const char **f, size_t *flen, int max) {
  int n = 0;
  while (n < max) {
    const char *q = p;
    while (q < end && *q != ',') q++;
    f[n] = p;
    flen[n] = (size_t)(q - p);
    n++;
    if (q >= end) break;
    p = q + 1;
  }
  return n;
}

static int field_num(const char *f, size_t n, double *out) {
  char buf[64], *e = NULL;
  if (n == 0 || n >= sizeof buf) return -1;
  memcpy(buf, f, n);
  buf[n] = 0;
  *out = strtod(buf, &e);
  return e == buf || *e || !isfinite(*out) ? -1 : 0;
}

#define OBD_MAX_COLS (HUB_OPE_MAX_ACTIONS + 64)

int hub__ope_obd(const char *csv, size_t len, const char *policy, int position, uint64_t seed,
                 int actions, hub__ope *out, char *err, size_t errlen) {
  const char *p = csv, *end = csv + len, **f = NULL;
  size_t *flen = NULL;
  int *affcol = NULL, nf, i, c_item = -1, c_pos = -1, c_click = -1, c_prop = -1, fixed = -1;
  int mode; /* 0 uniform, 1 fixed item, 2 affinity argmax */
  long nrows = 0, cap = 0, line = 1;
  ope_row *rows = NULL;
  uint64_t rng = hub__mix64(seed) | 1u;
  int ret = -1, max_item = -1;
  memset(out, 0, sizeof *out);
  if (strcmp(policy, "uniform") == 0) mode = 0;
  else if (strcmp(policy, "affinity") == 0) mode = 2;
  else if (strncmp(policy, "item:", 5) == 0 && policy[5] >= '0' && policy[5] <= '9') {
    mode = 1;
    fixed = atoi(policy + 5);
  } else {
    snprintf(err, errlen, "unknown OBD policy \"%.60s\" (uniform, item:K, affinity)", policy);
    return -1;
  }
  f = hub__malloc(OBD_MAX_COLS * sizeof *f);
  flen = hub__malloc(OBD_MAX_COLS * sizeof *flen);
  affcol = hub__malloc(OBD_MAX_COLS * sizeof *affcol);
  if (!f || !flen || !affcol) goto oom;
  { /* header */
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    if (le > p && le[-1] == '\r') le--;
    nf = split_csv(p, le, f, flen, OBD_MAX_COLS);
    for (i = 0; i < nf; i++) {
      affcol[i] = -1;
#define COL(name) (flen[i] == sizeof(name) - 1 && memcmp(f[i], name, flen[i]) == 0)
      if (COL("item_id")) c_item = i;
      else if (COL("position")) c_pos = i;
      else if (COL("click")) c_click = i;
      else if (COL("propensity_score") || COL("action_prob")) c_prop = i;
      else if (flen[i] > 19 && memcmp(f[i], "user-item_affinity_", 19) == 0) {
        double k;
        if (field_num(f[i] + 19, flen[i] - 19, &k) == 0 && k >= 0 && k < HUB_OPE_MAX_ACTIONS)
          affcol[i] = (int)k;
      }
#undef COL
    }
    if (c_item < 0 || c_click < 0 || c_prop < 0) {
      snprintf(err, errlen, "the CSV needs item_id, click and propensity_score columns");
      goto done;
    }
    p = nl ? nl + 1 : end;
  }
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
    double item, click, prop, pos = 0;
    int n, a;
    double best = -INFINITY;
    int best_a = -1;
    line++;
    if (le > p && le[-1] == '\r') le--;
    if (le == p) {
      p = nl ? nl + 1 : end;
      continue;
    }
    n = split_csv(p, le, f, flen, OBD_MAX_COLS);
    if (n != nf || field_num(f[c_item], flen[c_item], &item) || field_num(f[c_click], flen[c_click], &click) ||
        field_num(f[c_prop], flen[c_prop], &prop) ||
        (c_pos >= 0 && field_num(f[c_pos], flen[c_pos], &pos)) || item < 0 ||
        item >= HUB_OPE_MAX_ACTIONS || item != floor(item) || !(prop > 0) || prop > 1) {
      snprintf(err, errlen, "malformed OBD row at line %ld", line);
      goto done;
    }
    p = nl ? nl + 1 : end;
    a = (int)item;
    if (a > max_item) max_item = a;
    if (position > 0 && (int)pos != position) continue;
    if (mode == 2) {
      for (i = 0; i < nf; i++) {
        double v;
        if (affcol[i] < 0) continue;
        if (field_num(f[i], flen[i], &v)) {
          snprintf(err, errlen, "malformed affinity at line %ld", line);
          goto done;
        }
        if (v > best || (v == best && affcol[i] < best_a)) {
          best = v;
          best_a = affcol[i];
        }
      }
      if (best_a < 0) {
        snprintf(err, errlen, "policy \"affinity\" needs user-item_affinity_K columns");
        goto done;
      }
    }
    if (nrows >= HUB_OPE_MAX_ROWS) {
      snprintf(err, errlen, "more than %ld rows", (long)HUB_OPE_MAX_ROWS);
      goto done;
    }
    if (nrows == cap) {
      long nc = cap ? cap * 2 : 4096;
      ope_row *nr = hub__realloc(rows, (size_t)nc * sizeof *rows);
      if (!nr) goto oom;
      rows = nr;
      cap = nc;
    }
    rows[nrows].a = a;
    rows[nrows].r = click;
    rows[nrows].p = prop;
    rows[nrows].target = mode == 1 ? fixed : best_a; /* uniform: drawn below */
    nrows++;
  }
  if (actions <= 0) actions = max_item + 1;
  if (actions <= 0) actions = 1;
  for (i = 0; i < (int)nrows; i++) {
    ope_row *r = &rows[i];
    if (mode == 0) {
      r->pi = 1.0 / actions;
      r->target = (int)(hub__tip_unif(&rng) * actions);
    } else {
      r->pi = r->a == r->target ? 1.0 : 0.0;
    }
  }
  ope_finish(rows, nrows, out);
  out->actions = actions;
  ret = 0;
  goto done;
oom:
  snprintf(err, errlen, "out of memory");
done:
  hub_free(rows);
  hub_free(f);
  hub_free(flen);
  hub_free(affcol);
  return ret;
}

int hub__ope_log(hub *h, const char *user, const char *policy, hub__ope *out) {
  sqlite3_stmt *st = NULL;
  ope_row *rows = NULL;
  long n = 0, cap = 0;
  int ret = -1;
  memset(out, 0, sizeof *out);
  st = hub__db_q(h, "SELECT item_key, propensity, policies, reward FROM tip_decisions"
                  " WHERE user=? AND reward IS NOT NULL ORDER BY id", "t", user);
  if (!st) return -1;
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *key = (const char *)sqlite3_column_text(st, 0);
    cJSON *pj = cJSON_Parse((const char *)sqlite3_column_text(st, 2));
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(pj, policy);
    const cJSON *pc = cJSON_GetObjectItemCaseSensitive(t, "choice"), *pp = cJSON_GetObjectItemCaseSensitive(t, "p");
    if (cJSON_IsString(pc) && cJSON_IsNumber(pp) && key && sqlite3_column_double(st, 1) > 0) {
      if (n == cap) {
        long nc = cap ? cap * 2 : 256;
        ope_row *nr = hub__realloc(rows, (size_t)nc * sizeof *rows);
        if (!nr) {
          cJSON_Delete(pj);
          hub__set_err(h, "out of memory");
          goto done;
        }
        rows = nr;
        cap = nc;
      }
      rows[n].a = 0;
      rows[n].target = strcmp(pc->valuestring, key) == 0 ? 0 : 1;
      rows[n].p = sqlite3_column_double(st, 1);
      rows[n].pi = pp->valuedouble;
      rows[n].r = sqlite3_column_double(st, 3);
      n++;
    }
    cJSON_Delete(pj);
  }
  ope_finish(rows, n, out);
  ret = 0;
done:
  hub__db_done(h, st);
  hub_free(rows);
  return ret;
}

static cJSON *ope_json(const hub__ope *o, const char *source, const char *policy) {
  cJSON *r = cJSON_CreateObject();
  cJSON_AddStringToObject(r, "source", source);
  cJSON_AddStringToObject(r, "policy", policy);
  cJSON_AddNumberToObject(r, "events", (double)o->n);
  cJSON_AddNumberToObject(r, "matched", (double)o->matched);
  cJSON_AddNumberToObject(r, "replay", o->replay);
  cJSON_AddNumberToObject(r, "ipw", o->ipw);
  cJSON_AddNumberToObject(r, "snipw", o->snipw);
  cJSON_AddNumberToObject(r, "logged", o->logged);
  if (o->actions) cJSON_AddNumberToObject(r, "actions", o->actions);
  return r;
}

cJSON *hub__tip_eval_cmd(hub *h, const cJSON *req) {
  const cJSON *src = cJSON_GetObjectItemCaseSensitive(req, "source"),
              *pol = cJSON_GetObjectItemCaseSensitive(req, "policy");
  const char *source = cJSON_IsString(src) ? src->valuestring : "log";
  hub__ope o;
  if (!cJSON_IsString(pol)) return hub__error_json(HUB_E_BAD_REQUEST, "tip_eval needs a \"policy\"");
  if (strcmp(source, "log") == 0) {
    char *user = hub__tip_user(h, req);
    int rc;
    if (!user) return hub__error_json(HUB_E_NOMEM, NULL);
    if (hub__tip_policy_index(pol->valuestring) < 0) {
      hub_free(user);
      return hub__error_json(HUB_E_BAD_REQUEST, "policy is one of linucb, score_greedy, random");
    }
    rc = hub__ope_log(h, user, pol->valuestring, &o);
    hub_free(user);
    if (rc) return hub__error_json(HUB_E_DB, h->errmsg);
    return ope_json(&o, "log", pol->valuestring);
  }
  if (strcmp(source, "obd") == 0) {
    const cJSON *csv = cJSON_GetObjectItemCaseSensitive(req, "csv"),
                *pos = cJSON_GetObjectItemCaseSensitive(req, "position"),
                *seed = cJSON_GetObjectItemCaseSensitive(req, "seed"),
                *act = cJSON_GetObjectItemCaseSensitive(req, "actions");
    char err[160];
    if (!cJSON_IsString(csv)) return hub__error_json(HUB_E_BAD_REQUEST, "source \"obd\" needs the CSV text in \"csv\"");
    if (hub__ope_obd(csv->valuestring, strlen(csv->valuestring), pol->valuestring,
                     cJSON_IsNumber(pos) ? (int)pos->valuedouble : 0,
                     cJSON_IsNumber(seed) && seed->valuedouble >= 0 ? (uint64_t)seed->valuedouble : 1,
                     cJSON_IsNumber(act) && act->valuedouble > 0 && act->valuedouble <= HUB_OPE_MAX_ACTIONS
                         ? (int)act->valuedouble : 0,
                     &o, err, sizeof err))
      return hub__error_json(HUB_E_BAD_REQUEST, err);
    return ope_json(&o, "obd", pol->valuestring);
  }
  return hub__error_json(HUB_E_BAD_REQUEST, "\"source\" is \"log\" or \"obd\"");
}

