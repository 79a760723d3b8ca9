/*
 * feedback.c — a reaction to a tip (tip layer): its reward, the item's tip state (done,
 * snoozed until, dismissed), and what it teaches (learn.c: one update of every model from
 * the decision's logged features, whichever policy served it; the repo's affinity; the
 * item's exposure). The same reaction to the same decision counts once. A reaction
 * may also carry the caller's measured latency of the tip (the core reads no clock).
 * hub__tip_feedback_cmd is a dispatcher over the steps below, in one transaction.
 */
#include <math.h>
#include <string.h>
#include "db/db.h"
#include "tip/tip_int.h"
#include "tip/insight.h"
#include "triage/triage.h"

/* What a feedback request asks, checked. */
typedef struct {
  int64_t now_ms, decision, latency, until;
  int reaction; /* index in hub__tip_rewards, or -1 */
  int has_latency;
  /* from the decision */
  char *user, *features, *repo;
  int64_t item_id;
  int has_item;
} fb;

static cJSON *read_request(const cJSON *req, fb *f) {
  const char *jr = hub__json_str(req, "reaction");
  const cJSON *rj = cJSON_GetObjectItemCaseSensitive(req, "reaction");
  int64_t snooze = 0;
  int hs;
  if (hub__tip_now(req, &f->now_ms)) return hub__error_json(HUB_E_BAD_REQUEST, "tip_feedback needs \"now\" (ms)");
  if (hub__json_int(req, "decision", 1, INT64_MAX / 2, &f->decision) != 1)
    return hub__error_json(HUB_E_BAD_REQUEST, "tip_feedback needs \"decision\" (the id tip returned)");
  f->reaction = -1;
  if (rj && (!jr || (f->reaction = hub__tip_reaction(jr)) < 0))
    return hub__error_json(HUB_E_BAD_REQUEST, "\"reaction\" is one of done, snooze, dismiss, helpful, not_helpful");
  f->has_latency = hub__json_int(req, "latency_us", 0, INT64_MAX / 2, &f->latency) == 1;
  if (!rj && !f->has_latency)
    return hub__error_json(HUB_E_BAD_REQUEST, "tip_feedback needs a \"reaction\" (or \"latency_us\")");
  hs = hub__json_int(req, "snooze_until", 0, 9000000000000000LL, &snooze);
  if (hs < 0) return hub__error_json(HUB_E_BAD_TYPE, "\"snooze_until\" must be a time in ms");
  if (f->reaction == 1) /* snooze: until the given time, else an hour */
    f->until = hs == 1 && snooze > f->now_ms ? snooze : f->now_ms + 3600000;
  return NULL;
}

static cJSON *read_decision(hub *h, fb *f) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT user,item_id,features,repo FROM tip_decisions WHERE id=?", "i", f->decision);
  if (!st) return hub__error_json(HUB_E_DB, h->errmsg);
  if (sqlite3_step(st) != SQLITE_ROW) {
    hub__db_done(h, st);
    return hub__error_json(HUB_E_NOT_FOUND, "no decision with that id");
  }
  f->user = hub__db_col_dup(st, 0);
  f->has_item = sqlite3_column_type(st, 1) != SQLITE_NULL;
  f->item_id = sqlite3_column_int64(st, 1);
  f->features = hub__db_col_dup(st, 2);
  f->repo = hub__db_col_dup(st, 3); /* NULL: no repo (or out of memory: the cache reloads) */
  hub__db_done(h, st);
  return f->user && f->features ? NULL : hub__error_json(HUB_E_NOMEM, NULL);
}

/* Records the reaction; *dup = 1 when this decision already had it. 0 or -1. */
static int record(hub *h, const fb *f, double r, int *dup) {
  int n = hub__db_run(h, "INSERT OR IGNORE INTO tip_reactions(decision_id,at,reaction,reward,snooze_until)"
                         " VALUES(?,?,?,?,nullif(?,0))",
                      "iitdi", f->decision, f->now_ms, hub__tip_rewards[f->reaction].name, r, f->until);
  if (n < 0) return -1;
  *dup = n == 0;
  if (*dup) return 0;
  return hub__db_run(h, "UPDATE tip_decisions SET reward=coalesce(reward,0)+? WHERE id=?", "di", r, f->decision) < 0
             ? -1
             : 0;
}

/* done / snooze / dismiss are the item's triage state, as in the inbox (one batch: undo
 * restores it; a done tells GitHub for a notification thread). */
static int item_state(hub *h, const fb *f) {
  static const hub__triage_action acts[] = {HUB_TA_DONE, HUB_TA_SNOOZE, HUB_TA_DISMISS};
  int64_t batch;
  int queued = 0;
  if (!f->has_item || f->reaction > 2) return 0;
  batch = hub__triage_batch_new(h);
  if (batch < 0 || hub__triage_apply(h, batch, f->item_id, acts[f->reaction], f->until, f->now_ms, &queued) < 0)
    return -1;
  return hub__triage_batch_end(h, batch);
}

/* What the reaction teaches (learn.c: the models, the repo's affinity, the item's exposure).
 * 1 learned, 0 could not, -1 database error. */
static int learn(hub *h, const tip_cfg *cfg, const fb *f, double r, long *updates) {
  return hub__tip_learn(h, cfg, f->decision, f->reaction, r, f->now_ms, updates);
}

cJSON *hub__tip_feedback_cmd(hub *h, const cJSON *req) {
  fb f;
  cJSON *res = NULL, *err;
  tip_cfg cfg;
  double r = 0;
  int dup = 0, learned = 0, fresh;
  long updates = 0;
  memset(&f, 0, sizeof f);
  if ((err = read_request(req, &f)) != NULL || (err = read_decision(h, &f)) != NULL) {
    res = err;
    goto done;
  }
  fresh = hub__tip_cache_fresh(h, f.user); /* before any write: the cache can follow ours */
  if (f.reaction >= 0) hub__tip_cache_cfg(h, &cfg);
  if (hub__db_begin(h)) goto db;
  if (f.has_latency &&
      hub__db_run(h, "UPDATE tip_decisions SET latency_us=? WHERE id=?", "ii", f.latency, f.decision) < 0)
    goto db;
  res = cJSON_CreateObject();
  cJSON_AddNumberToObject(res, "decision", (double)f.decision);
  if (f.reaction >= 0) {
    r = cfg.reward[f.reaction];
    if (record(h, &f, r, &dup)) goto db;
    cJSON_AddStringToObject(res, "reaction", hub__tip_rewards[f.reaction].name);
    if (dup) {
      cJSON_AddBoolToObject(res, "duplicate", 1);
    } else {
      cJSON_AddNumberToObject(res, "reward", r);
      if (item_state(h, &f)) goto db;
      if (f.until && f.has_item) cJSON_AddNumberToObject(res, "snooze_until", (double)f.until);
      learned = learn(h, &cfg, &f, r, &updates);
      if (learned < 0) goto db;
      if (learned) cJSON_AddNumberToObject(res, "updates", (double)updates);
      else cJSON_AddStringToObject(res, "model_error", "the model could not learn from this reaction");
    }
  }
  if (hub__db_commit(h)) goto db;
  hub__tip_cache_reacted(h, fresh, f.user, f.item_id, f.repo, dup ? -1 : f.reaction);
  if (f.reaction >= 0 && !dup) hub__tip_event_reaction(h, f.decision, hub__tip_rewards[f.reaction].name, r, f.now_ms);
  cJSON_AddBoolToObject(res, "ok", 1);
  goto done;
db:
  hub__db_rollback(h);
  hub__tip_cache_drop(h);
  cJSON_Delete(res);
  res = hub__error_json(HUB_E_DB, h->errmsg[0] ? h->errmsg : sqlite3_errmsg(h->db));
done:
  hub_free(f.user);
  hub_free(f.features);
  hub_free(f.repo);
  return res;
}
