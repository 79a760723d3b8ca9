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
#include "tip/insight.h"


typedef hub__ope_row ope_row; /* a, target (the target's own action), r, p, pi: tip/insight.h */

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

/* One OBD evaluation in progress: the policy, the header's columns, the rows read. */
typedef struct {
  int mode; /* 0 uniform, 1 fixed item, 2 affinity argmax */
  int fixed, position, nf, c_item, c_pos, c_click, c_prop, max_item;
  const char **f;
  size_t *flen;
  int *affcol; /* per column: K of user-item_affinity_K, or -1 */
  ope_row *rows;
  long nrows, cap, line;
  char *err;
  size_t errlen;
} obd;

static int obd_policy(obd *o, const char *policy) {
  if (strcmp(policy, "uniform") == 0) o->mode = 0;
  else if (strcmp(policy, "affinity") == 0) o->mode = 2;
  else if (strncmp(policy, "item:", 5) == 0 && policy[5] >= '0' && policy[5] <= '9' && strlen(policy) < 12) {
    o->mode = 1;
    o->fixed = atoi(policy + 5);
  } else {
    snprintf(o->err, o->errlen, "unknown OBD policy \"%.60s\" (uniform, item:K, affinity)", policy);
    return -1;
  }
  return 0;
}

/* Reads the header line [p, le): which column is which. */
static int obd_header(obd *o, const char *p, const char *le) {
  int i;
  o->nf = split_csv(p, le, o->f, o->flen, OBD_MAX_COLS);
  for (i = 0; i < o->nf; i++) {
    const char *c = o->f[i];
    size_t n = o->flen[i];
    o->affcol[i] = -1;
#define COL(name) (n == sizeof(name) - 1 && memcmp(c, name, n) == 0)
    if (COL("item_id")) o->c_item = i;
    else if (COL("position")) o->c_pos = i;
    else if (COL("click")) o->c_click = i;
    else if (COL("propensity_score") || COL("action_prob")) o->c_prop = i;
    else if (n > 19 && memcmp(c, "user-item_affinity_", 19) == 0) {
      double k;
      if (field_num(c + 19, n - 19, &k) == 0 && k >= 0 && k < HUB_OPE_MAX_ACTIONS) o->affcol[i] = (int)k;
    }
#undef COL
  }
  if (o->c_item < 0 || o->c_click < 0 || o->c_prop < 0) {
    snprintf(o->err, o->errlen, "the CSV needs item_id, click and propensity_score columns");
    return -1;
  }
  return 0;
}

/* The affinity policy's choice for the row in o->f: the highest affinity, lowest id on ties. */
static int obd_affinity(obd *o, int *best_a) {
  double best = -INFINITY;
  int i;
  *best_a = -1;
  for (i = 0; i < o->nf; i++) {
    double v;
    if (o->affcol[i] < 0) continue;
    if (field_num(o->f[i], o->flen[i], &v)) {
      snprintf(o->err, o->errlen, "malformed affinity at line %ld", o->line);
      return -1;
    }
    if (v > best || (v == best && o->affcol[i] < *best_a)) {
      best = v;
      *best_a = o->affcol[i];
    }
  }
  if (*best_a < 0) {
    snprintf(o->err, o->errlen, "policy \"affinity\" needs user-item_affinity_K columns");
    return -1;
  }
  return 0;
}

/* Reads one data line [p, le) and keeps it when it is at the position asked for. 0 or -1. */
static int obd_row(obd *o, const char *p, const char *le) {
  double item, click, prop, pos = 0;
  int n = split_csv(p, le, o->f, o->flen, OBD_MAX_COLS), a, target = o->fixed;
  if (n != o->nf || field_num(o->f[o->c_item], o->flen[o->c_item], &item) ||
      field_num(o->f[o->c_click], o->flen[o->c_click], &click) ||
      field_num(o->f[o->c_prop], o->flen[o->c_prop], &prop) ||
      (o->c_pos >= 0 && field_num(o->f[o->c_pos], o->flen[o->c_pos], &pos)) || item < 0 ||
      item >= HUB_OPE_MAX_ACTIONS || item != floor(item) || !(prop > 0) || prop > 1 || fabs(pos) > 1e6) {
    snprintf(o->err, o->errlen, "malformed OBD row at line %ld", o->line);
    return -1;
  }
  a = (int)item;
  if (a > o->max_item) o->max_item = a;
  if (o->position > 0 && (int)pos != o->position) return 0;
  if (o->mode == 2 && obd_affinity(o, &target)) return -1;
  if (o->nrows >= HUB_OPE_MAX_ROWS) {
    snprintf(o->err, o->errlen, "more than %ld rows", (long)HUB_OPE_MAX_ROWS);
    return -1;
  }
  if (o->nrows == o->cap) {
    long nc = o->cap ? o->cap * 2 : 4096;
    ope_row *nr = hub__realloc(o->rows, (size_t)nc * sizeof *o->rows);
    if (!nr) {
      snprintf(o->err, o->errlen, "out of memory");
      return -1;
    }
    o->rows = nr;
    o->cap = nc;
  }
  o->rows[o->nrows].a = a;
  o->rows[o->nrows].r = click;
  o->rows[o->nrows].p = prop;
  o->rows[o->nrows].target = target; /* uniform: drawn in obd_targets */
  o->nrows++;
  return 0;
}

/* The target policy's probability of each logged action (uniform draws its replay choice). */
static void obd_targets(obd *o, int actions, uint64_t seed) {
  uint64_t rng = hub__mix64(seed) | 1u;
  long i;
  for (i = 0; i < o->nrows; i++) {
    ope_row *r = &o->rows[i];
    if (o->mode == 0) {
      r->pi = 1.0 / actions;
      r->target = (int)(hub__tip_unif(&rng) * actions);
    } else {
      r->pi = r->a == r->target ? 1.0 : 0.0;
    }
  }
}

int hub__ope_obd(const char *csv, size_t len, const char *policy, int position, uint64_t seed,
                 int actions, hub__ope *out, char *err, size_t errlen) {
  const char *p = csv, *end = csv + len;
  obd o;
  int ret = -1, header = 1;
  memset(out, 0, sizeof *out);
  memset(&o, 0, sizeof o);
  o.c_item = o.c_pos = o.c_click = o.c_prop = o.fixed = o.max_item = -1;
  o.position = position;
  o.err = err;
  o.errlen = errlen;
  if (obd_policy(&o, policy)) return -1;
  o.f = hub__malloc(OBD_MAX_COLS * sizeof *o.f);
  o.flen = hub__malloc(OBD_MAX_COLS * sizeof *o.flen);
  o.affcol = hub__malloc(OBD_MAX_COLS * sizeof *o.affcol);
  if (!o.f || !o.flen || !o.affcol) {
    snprintf(err, errlen, "out of memory");
    goto done;
  }
  while (p < end || header) {
    const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
    if (le > p && le[-1] == '\r') le--;
    o.line++;
    if (header) {
      if (obd_header(&o, p, le)) goto done;
      header = 0;
    } else if (le > p && obd_row(&o, p, le)) {
      goto done;
    }
    p = nl ? nl + 1 : end;
  }
  if (actions <= 0) actions = o.max_item + 1;
  if (actions <= 0) actions = 1;
  obd_targets(&o, actions, seed);
  ope_finish(o.rows, o.nrows, out);
  out->actions = actions;
  ret = 0;
done:
  hub_free(o.rows);
  hub_free(o.f);
  hub_free(o.flen);
  hub_free(o.affcol);
  return ret;
}

void hub__ope_estimate(const hub__ope_row *rows, long n, hub__ope *out) {
  memset(out, 0, sizeof *out);
  ope_finish(rows, n, out);
}

int hub__ope_log(hub *h, const char *user, const char *policy, hub__ope *out) {
  ope_row *rows = NULL;
  long n = 0;
  memset(out, 0, sizeof *out);
  if (hub__ope_log_rows(h, user, policy, &rows, &n)) return -1;
  ope_finish(rows, n, out);
  hub_free(rows);
  return 0;
}

int hub__ope_log_rows(hub *h, const char *user, const char *policy, hub__ope_row **out, long *nout) {
  sqlite3_stmt *st = NULL;
  ope_row *rows = NULL;
  long n = 0, cap = 0;
  int ret = -1;
  *out = NULL;
  *nout = 0;
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
  *out = rows;
  *nout = n;
  rows = NULL;
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
      return hub__error_json(HUB_E_BAD_REQUEST,
                             "policy is one of linucb, thompson, egreedy, score_greedy, random, seed_linucb");
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
                     cJSON_IsNumber(pos) ? (int)hub__num_clamp(pos->valuedouble, 0, 1000000) : 0,
                     cJSON_IsNumber(seed) && seed->valuedouble >= 0 ? (uint64_t)hub__num_clamp(seed->valuedouble, 0, INT64_MAX) : 1,
                     cJSON_IsNumber(act) && act->valuedouble > 0 && act->valuedouble <= HUB_OPE_MAX_ACTIONS
                         ? (int)act->valuedouble : 0,
                     &o, err, sizeof err))
      return hub__error_json(HUB_E_BAD_REQUEST, err);
    return ope_json(&o, "obd", pol->valuestring);
  }
  return hub__error_json(HUB_E_BAD_REQUEST, "\"source\" is \"log\" or \"obd\"");
}

