/*
 * cache.c — the tip's candidates kept ready between tips (tip layer; owns no table).
 *
 * A tip reads, for up to HUB_TIP_MAX_CANDIDATES open items, facts from items, item_reasons,
 * triage, repos (languages), tip_affinity and tip_exposure, plus the user's languages, the
 * last decision, the enabled policies and the tip's settings: hundreds of statements whose
 * answers rarely change between two tips. They are read once (context.c) and kept on the
 * handle (h->tip) together with what they were read under:
 *   - the connection's change counter (sqlite3_total_changes64: every row a statement of this
 *     connection inserted, updated or deleted — a sync, a triage action, a setting, anything);
 *   - the database's data_version (what other connections committed: hubd's writer, the CLI);
 *   - the user, and the moment: the set cannot change by itself before the next snooze ends
 *     (nor for a moment earlier than the one it was read at).
 * Any write the cache did not account for means a reload at the next tip. The tip's own writes
 * are accounted for: after a tip's log is committed, the served item's exposure and the last
 * decision are read again into the kept rows; after a reaction, its item's exposure and its
 * repo's affinity are (a done, snooze or dismiss changes the candidate set itself: reload).
 * Everything that depends on the moment — ages, importance, the decay of affinity and fatigue,
 * the local hour and weekday — is computed at each tip from the kept facts
 * (hub__tip_row_at), with the same arithmetic as right after a load, so a tip from kept rows
 * is the tip a fresh load would give (tests/bandit_test.c compares them, and a golden trace
 * made before the cache existed).
 */
#include <string.h>
#include "db/db.h"
#include "tip/tip_int.h"

struct hub__tip_cache {
  int ok;                        /* kept, rows, cands below are current under the stamp */
  char *user;
  int64_t changes, data_version; /* the stamp: sqlite3_total_changes64 and data_version */
  int64_t loaded_ms, until_ms;   /* the rows hold from loaded_ms until until_ms */
  hub__tip_kept kept;
  hub__tip_row *rows;
  size_t n;
  cand cands[HUB_TIP_MAX_CANDIDATES]; /* the current tip's candidates */
};

static int enabled = 1;

void hub__tip_cache_enable(int on) { enabled = on; }

static int64_t data_version(hub *h) { return hub__db_int(h, "PRAGMA data_version", NULL, 0); }

/* Stamps the kept state as current as of now (after a load, or after our own writes). */
static void stamp(hub *h, struct hub__tip_cache *k) {
  k->changes = (int64_t)sqlite3_total_changes64(h->db);
  k->data_version = data_version(h);
  k->ok = 1;
}

/* 1 when nothing the kept state was read from has changed since it was stamped. */
static int current(hub *h, const struct hub__tip_cache *k) {
  return enabled && k && k->ok && k->changes == (int64_t)sqlite3_total_changes64(h->db) &&
         k->data_version == data_version(h);
}

void hub__tip_cache_drop(hub *h) {
  if (h->tip) h->tip->ok = 0;
}

void hub__tip_cache_free(hub *h) {
  struct hub__tip_cache *k = h->tip;
  if (!k) return;
  hub__tip_rows_free(k->rows, k->n);
  hub_free(k->user);
  hub_free(k);
  h->tip = NULL;
}

int hub__tip_cache_fresh(hub *h, const char *user) {
  return current(h, h->tip) && strcmp(h->tip->user, user) == 0;
}

void hub__tip_cache_cfg(hub *h, tip_cfg *cfg) {
  if (current(h, h->tip)) *cfg = h->tip->kept.cfg;
  else hub__tip_cfg_load(h, cfg);
}

/* Reads everything again for user at now. 0 or -1 (h->errmsg; the cache is not current). */
static int reload(hub *h, struct hub__tip_cache *k, const char *user, int64_t now_ms) {
  hub__tip_row *rows = NULL;
  size_t n = 0;
  int64_t until;
  char *u = hub__strdup(user);
  k->ok = 0;
  if (!u) {
    hub__set_err(h, "out of memory");
    return -1;
  }
  hub__tip_cfg_load(h, &k->kept.cfg);
  hub__tip_policy_enabled(h, k->kept.en);
  if (hub__tip_last_served(h, user, &k->kept.last_item, &k->kept.last_mark, &k->kept.last_in_row) ||
      hub__tip_rows_load(h, user, now_ms, &rows, &n, &until)) {
    hub_free(u);
    return -1;
  }
  hub__tip_rows_free(k->rows, k->n);
  hub_free(k->user);
  k->rows = rows;
  k->n = n;
  k->user = u;
  k->loaded_ms = now_ms;
  k->until_ms = until;
  stamp(h, k);
  return 0;
}

const hub__tip_kept *hub__tip_cache_open(hub *h, const char *user, int64_t now_ms) {
  struct hub__tip_cache *k = h->tip;
  if (!k) {
    k = hub__malloc(sizeof *k);
    if (!k) {
      hub__set_err(h, "out of memory");
      return NULL;
    }
    memset(k, 0, sizeof *k);
    h->tip = k;
  }
  if (!current(h, k) || strcmp(k->user, user) != 0 || now_ms < k->loaded_ms || now_ms >= k->until_ms) {
    if (reload(h, k, user, now_ms)) return NULL;
  }
  return &k->kept;
}

void hub__tip_cache_cands(hub *h, const tip_cfg *cfg, int64_t now_ms, cand **c, size_t *n, int *held) {
  struct hub__tip_cache *k = h->tip;
  const hub__weights *w = hub__weights_get(h);
  int hour, weekday;
  size_t i, m = 0;
  *held = 0;
  hub__tip_moment(now_ms, cfg->tz_offset_min, &hour, &weekday);
  for (i = 0; i < k->n; i++) {
    const hub__tip_row *r = &k->rows[i];
    if (hub__tip_in_row(r->c.id, r->c.mark, k->kept.last_item, k->kept.last_mark, k->kept.last_in_row) >
        HUB_TIP_MAX_REPEAT) {
      *held = 1; /* just served too often in a row, and unchanged since: held back */
      continue;
    }
    hub__tip_row_at(r, w, now_ms, cfg, hour, weekday, &k->cands[m++]);
  }
  *c = k->cands;
  *n = m;
}

/* The kept row of item id, or NULL. */
static hub__tip_row *row_of(struct hub__tip_cache *k, int64_t id) {
  size_t i;
  for (i = 0; i < k->n; i++)
    if (k->rows[i].c.id == id) return &k->rows[i];
  return NULL;
}

/* Reads the exposure of item id into its kept row. 0 or -1. */
static int reread_exposure(hub *h, struct hub__tip_cache *k, int64_t id) {
  hub__tip_row *r = row_of(k, id);
  return r && hub__tip_exposure_get(h, k->user, id, &r->e) < 0 ? -1 : 0;
}

void hub__tip_cache_served(hub *h, int64_t item_id, int64_t mark, int in_row) {
  struct hub__tip_cache *k = h->tip;
  if (!k || !k->ok || !enabled) return;
  if (reread_exposure(h, k, item_id)) {
    k->ok = 0;
    return;
  }
  k->kept.last_item = item_id;
  k->kept.last_mark = mark;
  k->kept.last_in_row = in_row;
  stamp(h, k);
}

void hub__tip_cache_reacted(hub *h, int fresh, const char *user, int64_t item_id, const char *repo, int reaction) {
  struct hub__tip_cache *k = h->tip;
  size_t i;
  hub__tip_aff a;
  int found = 0;
  memset(&a, 0, sizeof a);
  if (!k) return;
  if (!fresh || !enabled || !k->ok || strcmp(k->user, user) != 0 || reaction == REACT_DONE ||
      reaction == REACT_SNOOZE || reaction == REACT_DISMISS) {
    k->ok = 0;
    return;
  }
  if (reaction >= 0 && (reread_exposure(h, k, item_id) || (repo && *repo && (found = hub__tip_aff_get(h, user, repo, &a)) < 0))) {
    k->ok = 0;
    return;
  }
  if (reaction >= 0 && repo && *repo)
    for (i = 0; i < k->n; i++) /* every candidate of that repo */
      if (k->rows[i].repo && strcmp(k->rows[i].repo, repo) == 0) {
        k->rows[i].has_aff = found;
        k->rows[i].aff = a;
      }
  stamp(h, k);
}
