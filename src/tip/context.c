/*
 * context.c — the tip's candidates and what the tip knows about them beyond the item itself
 * (tip layer): whether it is in one of the user's languages, the affinity learned for its
 * repository, its exposure record; then, at a moment, its feature vectors. The rows are
 * loaded once and kept between tips by cache.c; hub__tip_row_at turns one into a candidate
 * at a moment with the same arithmetic every time.
 *
 * Languages. A repository's language is the first (most bytes) of its `repos.languages`
 * (known for repositories the good-first-issue lists brought in). The user's languages are
 * those of the repositories they own or opened items in, as far as `repos` knows them, at
 * most HUB_TIP_MAX_LANGS. An item without a known language never matches.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "db/db.h"
#include "tip/tip_int.h"

typedef struct {
  char langs[HUB_TIP_MAX_LANGS][40];
  int nlangs;
  hub__tip_repo_aff *aff; /* sorted by repo */
  size_t naff;
} user_ctx;

/* The primary language of repo "owner/name" into out (empty when unknown). 0 or -1. */
static int repo_language(hub *h, const char *repo, char *out, size_t outlen) {
  const char *slash = repo ? strchr(repo, '/') : NULL;
  char owner[128];
  sqlite3_stmt *st;
  out[0] = 0;
  if (!slash || (size_t)(slash - repo) >= sizeof owner || slash == repo) return 0;
  memcpy(owner, repo, (size_t)(slash - repo));
  owner[slash - repo] = 0;
  st = hub__db_q(h, "SELECT languages FROM repos WHERE owner=? AND name=?", "tt", owner, slash + 1);
  if (!st) return -1;
  if (sqlite3_step(st) == SQLITE_ROW) {
    cJSON *a = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
    const cJSON *first = cJSON_GetArrayItem(a, 0);
    if (cJSON_IsString(first) && strlen(first->valuestring) < outlen) strcpy(out, first->valuestring);
    cJSON_Delete(a);
  }
  hub__db_done(h, st);
  return 0;
}

static void add_lang(user_ctx *u, const char *l) {
  int i;
  if (!*l || u->nlangs >= HUB_TIP_MAX_LANGS) return;
  for (i = 0; i < u->nlangs; i++)
    if (hub__ieq(u->langs[i], l)) return;
  strcpy(u->langs[u->nlangs++], l);
}

/* The user's languages: of the repos they own, then of the repos they opened items in. */
static int user_languages(hub *h, const char *user, user_ctx *u) {
  sqlite3_stmt *st;
  char lang[40];
  int rc;
  if (!*user) return 0;
  st = hub__db_q(h, "SELECT owner || '/' || name FROM repos WHERE owner=? LIMIT 200", "t", user);
  if (!st) return -1;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    char *repo = hub__db_col_dup(st, 0);
    int bad = repo ? repo_language(h, repo, lang, sizeof lang) : 0;
    if (repo && !bad) add_lang(u, lang);
    hub_free(repo);
    if (bad) break;
  }
  hub__db_done(h, st);
  st = hub__db_q(h, "SELECT DISTINCT repo FROM items WHERE author=? AND repo IS NOT NULL LIMIT 200", "t", user);
  if (!st) return -1;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    char *repo = hub__db_col_dup(st, 0);
    int bad = repo ? repo_language(h, repo, lang, sizeof lang) : 0;
    if (repo && !bad) add_lang(u, lang);
    hub_free(repo);
    if (bad) break;
  }
  hub__db_done(h, st);
  return 0;
}

static int aff_cmp(const void *k, const void *e) { return strcmp((const char *)k, ((const hub__tip_repo_aff *)e)->repo); }

void hub__tip_rows_free(hub__tip_row *rows, size_t n) {
  size_t i;
  for (i = 0; rows && i < n; i++) {
    hub_free(rows[i].key);
    hub_free(rows[i].repo);
  }
  hub_free(rows);
}

/* The facts of one candidate row of the SELECT in hub__tip_rows_load (no moment in them). */
static void row_facts(sqlite3_stmt *st, const char *user, hub__tip_row *r) {
  const char *author = (const char *)sqlite3_column_text(st, 8), *codes = (const char *)sqlite3_column_text(st, 10);
  int64_t upd = sqlite3_column_int64(st, 6);
  uint64_t m = hub__fnv1a(HUB_FNV_INIT, &upd, sizeof upd);
  cand *x = &r->c;
  x->id = sqlite3_column_int64(st, 0);
  x->it.flags = hub__tip_label_flags((const char *)sqlite3_column_text(st, 2)) | hub__tip_reason_flags(codes);
  if (author && *user && hub__ieq(author, user)) x->it.flags |= HUB_TIPF_AUTHORED;
  if (hub__tip_same_owner((const char *)sqlite3_column_text(st, 9), user)) x->it.flags |= HUB_TIPF_OWN_REPO;
  x->it.engagement = (double)sqlite3_column_int64(st, 3) + (double)sqlite3_column_int64(st, 4);
  r->created_s = sqlite3_column_int64(st, 5);
  r->updated_s = upd;
  r->rank = sqlite3_column_double(st, 7);
  /* the activity mark (last update and reasons): news when it changes */
  if (codes) m = hub__fnv1a(m, codes, strlen(codes));
  x->mark = (int64_t)(m >> 1);
  hub__tip_exposure_cols(st, 11, &r->e);
}

/* What hub knows about row r beyond the item: the language match and the repo's affinity
 * record. A repo's language is asked once per load (memo: the rows before r). 0 or -1. */
static int row_context(hub *h, const user_ctx *u, hub__tip_row *rows, size_t k) {
  hub__tip_row *r = &rows[k];
  char lang[40];
  size_t j;
  int i;
  if (!r->repo) return 0;
  if (u->naff) {
    const hub__tip_repo_aff *a = bsearch(r->repo, u->aff, u->naff, sizeof *u->aff, aff_cmp);
    if (a) {
      r->has_aff = 1;
      r->aff = a->a;
    }
  }
  if (!u->nlangs) return 0;
  for (j = 0; j < k; j++) /* the same repo earlier in the list: the same answer */
    if (rows[j].repo && strcmp(rows[j].repo, r->repo) == 0) {
      r->c.it.flags |= rows[j].c.it.flags & HUB_TIPF_LANG;
      return 0;
    }
  if (repo_language(h, r->repo, lang, sizeof lang)) return -1;
  for (i = 0; i < u->nlangs && *lang; i++)
    if (hub__ieq(u->langs[i], lang)) r->c.it.flags |= HUB_TIPF_LANG;
  return 0;
}

/* The earliest end of a snooze after now (INT64_MAX: none): the candidate set changes then. */
static int64_t next_return(hub *h, int64_t now_ms) {
  int64_t t = hub__db_int(h, "SELECT coalesce(min(snoozed_until), 0) FROM triage WHERE snoozed_until > ?", "i", now_ms);
  return t > now_ms ? t : INT64_MAX;
}

int hub__tip_rows_load(hub *h, const char *user, int64_t now_ms, hub__tip_row **out, size_t *n, int64_t *until) {
  hub__tip_row *rows = hub__malloc(HUB_TIP_MAX_CANDIDATES * sizeof *rows);
  user_ctx u;
  sqlite3_stmt *st = NULL;
  size_t k = 0;
  int rc = -1, step = SQLITE_DONE;
  *out = NULL;
  *n = 0;
  *until = next_return(h, now_ms);
  memset(&u, 0, sizeof u);
  if (!rows) {
    hub__set_err(h, "out of memory");
    return -1;
  }
  if (user_languages(h, user, &u) || hub__tip_aff_load(h, user, &u.aff, &u.naff)) goto done;
  st = hub__db_q(h,
                 "SELECT i.id, i.key, i.labels, i.comments, i.reactions,"
                 " coalesce(i.created_at, i.first_seen), coalesce(i.updated_at, i.created_at, i.first_seen),"
                 " i.rank, i.author, i.repo,"
                 " (SELECT group_concat(code, ',') FROM item_reasons r WHERE r.item_id = i.id),"
                 " x.views, x.fatigue, x.at, x.last_shown, x.last_reaction, x.mark"
                 " FROM items i LEFT JOIN triage t ON t.item_id = i.id"
                 " LEFT JOIN tip_exposure x ON x.user = ?1 AND x.item_id = i.id WHERE i.state = 'open'"
                 " AND (t.done_at IS NULL OR coalesce(i.updated_at, 0) * 1000 > t.done_at)" /* triage.h */
                 " AND coalesce(t.snoozed_until, 0) <= ?2 AND coalesce(t.muted, 0) = 0"
                 " AND coalesce(t.dismissed, 0) = 0"
                 " ORDER BY i.rank DESC, i.id LIMIT ?3",
                 "tii", user, now_ms, (int64_t)HUB_TIP_MAX_CANDIDATES);
  if (!st) goto done;
  while (k < HUB_TIP_MAX_CANDIDATES && (step = sqlite3_step(st)) == SQLITE_ROW) {
    hub__tip_row *r = &rows[k];
    memset(r, 0, sizeof *r);
    r->key = hub__db_col_dup(st, 1);
    r->repo = hub__db_col_dup(st, 9); /* NULL (no repo, or out of memory): no language, no affinity */
    k++;
    if (!r->key) {
      hub__set_err(h, "out of memory");
      goto done;
    }
    r->c.key = r->key;
    r->c.repo = r->repo;
    row_facts(st, user, r);
    if (row_context(h, &u, rows, k - 1)) goto done;
  }
  if (step != SQLITE_DONE && step != SQLITE_ROW) {
    hub__db_fail(h);
    goto done;
  }
  rc = 0;
done:
  hub__db_done(h, st);
  hub__tip_aff_free(u.aff, u.naff);
  if (rc) {
    hub__tip_rows_free(rows, k);
    return -1;
  }
  *out = rows;
  *n = k;
  return 0;
}

void hub__tip_row_at(const hub__tip_row *r, const hub__weights *w, int64_t now_ms, const tip_cfg *cfg, int hour,
                     int weekday, cand *c) {
  int64_t now_s = now_ms / 1000;
  *c = r->c;
  c->it.age_days = (double)(now_s - r->created_s) / 86400.0;
  c->it.stale_days = (double)(now_s - r->updated_s) / 86400.0;
  c->it.importance = hub__score_at(w, r->rank, now_s);
  c->it.affinity = r->has_aff ? hub__tip_aff_value(&r->aff, now_ms, cfg->half_life_days) : 0;
  c->fatigue = hub__tip_fatigue_now(&r->e, c->mark, now_ms, cfg);
  hub__tip_features(&c->it, hour, weekday, c->x);
  hub__tip_seed_features(&c->it, hour, weekday, c->xs);
}
