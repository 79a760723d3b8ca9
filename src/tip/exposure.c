/*
 * exposure.c — what the user has been shown (tip layer; owns table tip_exposure): per (user,
 * item) the views, the exposure count that makes fatigue, the last reaction and the item's
 * activity mark at the last view; and the run of the same item served in a row.
 *
 * Fatigue. Each view adds 1 to the item's exposure count; a positive reaction (reward > 0:
 * done, helpful) clears it; a snooze adds snooze_views more (so a snoozed item that returns
 * starts behind the items it competed with); the count halves every fatigue_hours and is 0
 * again when the item has news (its activity mark — updated_at and reasons — changed since
 * the last view). The learned policies subtract fatigue × count from their scores. Repeats:
 * an item served HUB_TIP_MAX_REPEAT times in a row is not a candidate for the next tip unless
 * its mark changed since (context.c); each decision logs how many times in a row its item has
 * been served (tip_decisions.in_row).
 */
#include <math.h>
#include <string.h>
#include "db/db.h"
#include "tip/tip_int.h"

double hub__tip_fatigue_now(const hub__tip_exposure *e, int64_t mark, int64_t now_ms, const tip_cfg *cfg) {
  double dt_h;
  if (e->views == 0 || e->mark != mark || !(e->fatigue > 0)) return 0;
  dt_h = now_ms > e->at ? (double)(now_ms - e->at) / 3600000.0 : 0;
  return e->fatigue * exp2(-dt_h / cfg->fatigue_hours);
}

void hub__tip_exposure_view(hub__tip_exposure *e, int64_t mark, int64_t now_ms, const tip_cfg *cfg) {
  e->fatigue = hub__tip_fatigue_now(e, mark, now_ms, cfg) + 1.0;
  e->views++;
  e->at = e->last_shown = now_ms;
  e->mark = mark;
}

void hub__tip_exposure_react(hub__tip_exposure *e, int reaction, double reward, int64_t now_ms, const tip_cfg *cfg) {
  double f = hub__tip_fatigue_now(e, e->mark, now_ms, cfg);
  if (reward > 0) f = 0;
  else if (reaction == REACT_SNOOZE) f += cfg->snooze_views;
  e->fatigue = f;
  e->at = now_ms > e->at ? now_ms : e->at;
  e->last_reaction = reaction;
}

int hub__tip_in_row(int64_t item_id, int64_t mark, int64_t last_item, int64_t last_mark, int last_in_row) {
  return item_id == last_item && mark == last_mark && last_in_row > 0 ? last_in_row + 1 : 1;
}

int hub__tip_last_served(hub *h, const char *user, int64_t *item_id, int64_t *mark, int *in_row) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT item_id, item_mark, in_row FROM tip_decisions WHERE user=?"
                                  " ORDER BY id DESC LIMIT 1", "t", user);
  *item_id = *mark = 0;
  *in_row = 0;
  if (!st) return -1;
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
    *item_id = sqlite3_column_int64(st, 0);
    *mark = sqlite3_column_int64(st, 1);
    *in_row = (int)hub__num_clamp((double)sqlite3_column_int64(st, 2), 0, 1000000);
  }
  hub__db_done(h, st);
  return 0;
}

int hub__tip_exposure_cols(sqlite3_stmt *st, int col, hub__tip_exposure *e) {
  memset(e, 0, sizeof *e);
  e->last_reaction = -1;
  if (sqlite3_column_type(st, col) == SQLITE_NULL) return 0; /* views is NOT NULL: no row */
  e->views = sqlite3_column_int64(st, col);
  e->fatigue = sqlite3_column_double(st, col + 1);
  if (!isfinite(e->fatigue) || e->fatigue < 0) e->fatigue = 0;
  e->at = sqlite3_column_int64(st, col + 2);
  e->last_shown = sqlite3_column_int64(st, col + 3);
  e->last_reaction = sqlite3_column_type(st, col + 4) == SQLITE_NULL
                         ? -1
                         : hub__tip_reaction((const char *)sqlite3_column_text(st, col + 4));
  e->mark = sqlite3_column_int64(st, col + 5);
  return 1;
}

int hub__tip_exposure_get(hub *h, const char *user, int64_t item_id, hub__tip_exposure *e) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT views, fatigue, at, last_shown, last_reaction, mark FROM tip_exposure"
                                  " WHERE user=? AND item_id=?", "ti", user, item_id);
  int found = 0;
  memset(e, 0, sizeof *e);
  e->last_reaction = -1;
  if (!st) return -1;
  if (sqlite3_step(st) == SQLITE_ROW) found = hub__tip_exposure_cols(st, 0, e);
  hub__db_done(h, st);
  return found;
}

static int put(hub *h, const char *user, int64_t item_id, const hub__tip_exposure *e) {
  return hub__db_run(h, "INSERT OR REPLACE INTO tip_exposure(user,item_id,views,fatigue,at,last_shown,"
                        "last_reaction,mark) VALUES(?,?,?,?,?,?,?,?)",
                     "tiidiiti", user, item_id, e->views, e->fatigue, e->at, e->last_shown,
                     e->last_reaction >= 0 ? hub__tip_rewards[e->last_reaction].name : NULL, e->mark) < 0
             ? -1
             : 0;
}

int hub__tip_exposure_serve(hub *h, const char *user, int64_t item_id, int64_t mark, int64_t now_ms, const tip_cfg *cfg) {
  hub__tip_exposure e;
  if (hub__tip_exposure_get(h, user, item_id, &e) < 0) return -1;
  hub__tip_exposure_view(&e, mark, now_ms, cfg);
  return put(h, user, item_id, &e);
}

int hub__tip_exposure_reacted(hub *h, const char *user, int64_t item_id, int reaction, double reward, int64_t now_ms,
                              const tip_cfg *cfg) {
  hub__tip_exposure e;
  int found = hub__tip_exposure_get(h, user, item_id, &e);
  if (found < 0) return -1;
  if (!found) return 0; /* a decision logged before exposures were kept */
  hub__tip_exposure_react(&e, reaction, reward, now_ms, cfg);
  return put(h, user, item_id, &e);
}
