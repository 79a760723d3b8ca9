/*
 * kv.c — the settings table: user settings declared in db/settings.def, plus internal state
 * under dotted keys ("tip.alpha", "state.rescore", "github.next_poll_ms") (db layer; the only
 * writer of table settings). Values are text; numbers are read back with their declared
 * default and range, so a missing or odd value never reaches a computation.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "db/db.h"

static const hub__setting_def defs[] = {
#define X(key, kind, dflt, rescore, owner, check, min, max, choices, help) \
  {#key, HUB_SK_##kind, dflt, rescore, owner, HUB_SC_##check, min, max, choices, help},
#include "db/settings.def"
#undef X
};

const hub__setting_def *hub__settings(size_t *n) {
  *n = sizeof defs / sizeof defs[0];
  return defs;
}

const hub__setting_def *hub__setting_def_of(const char *key) {
  size_t i;
  for (i = 0; i < sizeof defs / sizeof defs[0]; i++)
    if (strcmp(defs[i].key, key) == 0) return &defs[i];
  return NULL;
}

char *hub__kv_get(hub *h, const char *k) {
  return hub__db_str(h, "SELECT v FROM settings WHERE k=?", "t", k);
}

int hub__kv_set(hub *h, const char *k, const char *v) {
  int rc = v ? hub__db_run(h, "INSERT INTO settings(k,v) VALUES(?,?) ON CONFLICT(k) DO UPDATE SET v=excluded.v "
                              "WHERE v IS NOT excluded.v", "tt", k, v)
             : hub__db_run(h, "DELETE FROM settings WHERE k=?", "t", k);
  return rc < 0 ? -1 : 0;
}

double hub__kv_num(hub *h, const char *k, double dflt) {
  char *v = hub__kv_get(h, k), *end = NULL;
  double d = dflt;
  if (v) {
    d = strtod(v, &end);
    if (end == v || *end || !isfinite(d)) d = dflt;
  }
  hub_free(v);
  return d;
}

char *hub__setting_get(hub *h, const char *k) {
  const hub__setting_def *d = hub__setting_def_of(k);
  char *v = hub__kv_get(h, k);
  if (!v && d && d->dflt) v = hub__strdup(d->dflt);
  return v;
}

double hub__setting_num(hub *h, const char *k) {
  const hub__setting_def *d = hub__setting_def_of(k);
  double dflt = d && d->dflt ? strtod(d->dflt, NULL) : 0, v = hub__kv_num(h, k, dflt);
  if (d && d->check == HUB_SC_RANGE) {
    if (v < d->min) v = d->min;
    if (v > d->max) v = d->max;
  }
  return v;
}

int hub__setting_on(hub *h, const char *k) {
  char *v = hub__setting_get(h, k);
  int on = v && strcmp(v, "0") != 0 && strcmp(v, "false") != 0;
  hub_free(v);
  return on;
}

int hub__setting_set(hub *h, const char *k, const char *v) { return hub__kv_set(h, k, v); }
